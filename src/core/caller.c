/*
 * caller — the caller lookup of the telephone channel: the number normalised as util/phone
 * stores it, then two index ranges (requests_phone, accounts_phone), never a scan. The
 * requests go through perm_scope like any agent's search, so an agent sees a caller's
 * requests of their departments only; an API key of the mairie sees the collectivité's.
 */
#include "core/caller.h"

#include <string.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/perm.h"
#include "core/request.h"

int caller_lookup(core *c, const cat_tenant *t, const core_actor *who, const char *tel, arena *a,
                  caller_card *out, phone_result *problem, error *err)
{
    memset(out, 0, sizeof *out);
    phone_result r = {0};
    int bad = phone_e164(tel ? tel : "", out->phone, &r);
    if (problem)
        *problem = r;
    if (bad != 0)
        return phone_normalise(tel ? tel : "", out->phone, err);
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    f.phone = out->phone;
    f.limit = CALLER_REQUESTS_MAX;
    if (who->kind == ACTOR_AGENT) {
        if (perm_scope(who->agent, &f, err) != 0)
            return -1;
    } else if (who->kind != ACTOR_KEY || who->open311) {
        /* Open311 clients relay citizens: a caller's history is not theirs to read. */
        return error_set(err, ERR_FORBIDDEN, NULL, "caller lookup is for agents and API keys");
    }
    if (request_search(c, &f, a, &out->requests, &out->n_requests, err) != 0)
        return -1;
    out->count = (int64_t)out->n_requests;
    if (out->n_requests == CALLER_REQUESTS_MAX && request_count(c, &f, &out->count, err) != 0)
        return -1;
    if (c->store->ops->accounts.find_phone(c->store, t->rec.id, out->phone, CALLER_ACCOUNTS_MAX, a,
                                           &out->accounts, &out->n_accounts, err) != 0)
        return -1;
    if (out->n_requests > 0) {
        const store_request *latest = &out->requests[0];
        out->first_name = latest->first_name && *latest->first_name ? latest->first_name : NULL;
        out->last_name = latest->last_name && *latest->last_name ? latest->last_name : NULL;
        out->email = latest->email && *latest->email ? latest->email : NULL;
    }
    /* The ids read, never the number: the audit log holds no personal data. */
    int64_t *ids = arena_alloc(a, (out->n_requests + out->n_accounts + 1) * sizeof *ids);
    if (!ids)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < out->n_requests; i++)
        ids[i] = out->requests[i].id;
    if (out->n_requests)
        audit_record_access(c, t->rec.id, who, "search", "request", ids, out->n_requests);
    int64_t *acc_ids = ids + out->n_requests;
    for (size_t i = 0; i < out->n_accounts; i++)
        acc_ids[i] = out->accounts[i].id;
    if (out->n_accounts)
        audit_record_access(c, t->rec.id, who, "search", "account", acc_ids, out->n_accounts);
    return 0;
}

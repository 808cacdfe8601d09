/*
 * mail_contact — contact addresses (mail_contact.h). The writes are admin change jobs
 * (core/change.h); the address's uniqueness across the instance is the store's, checked in
 * the same write as the insertion.
 */
#include "core/mail_contact.h"

#include <ctype.h>
#include <string.h>

#include "core/attrs.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "core/procedure_key.h"
#include "core/outbox.h"
#include "store/store.h"
#include "util/log.h"

int mail_contact_normalise(const char *in, char *out, size_t cap)
{
    if (!in)
        return -1;
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    const char *at = memchr(in, '@', n);
    if (n == 0 || n > MAIL_ADDRESS_MAX || n >= cap || !at || at == in || at == in + n - 1 ||
        memchr(at + 1, '@', (size_t)(in + n - at - 1)))
        return -1;
    size_t o = 0;
    int in_tag = 0;
    for (const char *p = in; p < in + n; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),:;<>[\\]", ch))
            return -1;
        if (p == at)
            in_tag = 0;
        else if (p < at && ch == '+')
            in_tag = 1;
        if (!in_tag)
            out[o++] = (char)tolower(ch);
    }
    out[o] = '\0';
    return out[0] == '@' ? -1 : 0;
}

int mail_contact_procedure_ok(const cat_procedure *p)
{
    return procedure_key_text_ok(p);
}

int mail_contact_list(core *c, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                      error *err)
{
    return c->store->ops->mail.contacts(c->store, tenant_id, a, out, n, err);
}

/* The contact address that addr (as written) is, if any: 1 and *out, 0 when none. */
static int find(core *c, const char *addr, arena *a, store_mail_address *out, error *err)
{
    char norm[MAIL_ADDRESS_MAX + 1];
    int found = 0;
    if (mail_contact_normalise(addr, norm, sizeof norm) != 0)
        return 0;
    if (c->store->ops->mail.contact_find(c->store, norm, a, out, &found, err) != 0)
        return -1;
    return found;
}

int mail_contact_tenant(core *c, const char *const *addrs, size_t n, int64_t prefer,
                        int64_t *tenant_id, error *err)
{
    *tenant_id = 0;
    arena a;
    arena_init(&a, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        store_mail_address m;
        int found = find(c, addrs[i], &a, &m, err);
        if (found < 0) {
            rc = -1;
        } else if (found && (!*tenant_id || m.tenant_id == prefer)) {
            *tenant_id = m.tenant_id;
            if (m.tenant_id == prefer)
                break;
        }
    }
    arena_free(&a);
    return rc;
}

const cat_procedure *mail_contact_procedure(core *c, const cat_tenant *t, const char *const *addrs,
                                            size_t n)
{
    arena a;
    arena_init(&a, 0);
    const cat_procedure *p = NULL;
    for (size_t i = 0; i < n && !p; i++) {
        store_mail_address m;
        error err;
        error_clear(&err);
        int found = find(c, addrs[i], &a, &m, &err);
        if (found < 0) {
            log_warn("mail in: contact addresses unreadable: %s", err.detail);
            break;
        }
        /* Another collectivité's address in Cc names none of t's procedures. */
        if (!found || m.tenant_id != t->rec.id || !m.procedure_id)
            continue;
        const cat_procedure *q = catalogue_procedure_by_id(t, m.procedure_id);
        if (mail_contact_procedure_ok(q))
            p = q;
    }
    arena_free(&a);
    return p;
}

typedef struct contact_arg {
    store_mail_address rec;
    char address[MAIL_ADDRESS_MAX + 1]; /* the job's own copy, which rec points to */
} contact_arg;

static int apply_set(store *s, void *arg, int64_t *id, error *err)
{
    contact_arg *d = arg;
    d->rec.address = d->address;
    *id = d->rec.procedure_id;
    arena a;
    arena_init(&a, 0);
    store_mail_address *list = NULL;
    size_t n = 0;
    int rc = s->ops->mail.tx_contacts(s, d->rec.tenant_id, &a, &list, &n, err);
    if (rc == 0 && n >= MAIL_CONTACTS_MAX) {
        /* At the limit, only a change of one already there. */
        int known = 0;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(list[i].address, d->address) == 0;
        if (!known)
            rc = error_set(err, ERR_CONFLICT, "count", "%d contact addresses at most",
                           MAIL_CONTACTS_MAX);
    }
    arena_free(&a);
    return rc != 0 ? -1 : s->ops->mail.tx_contact_put(s, &d->rec, err);
}

static int apply_delete(store *s, void *arg, int64_t *id, error *err)
{
    contact_arg *d = arg;
    *id = 0;
    return s->ops->mail.tx_contact_delete(s, d->rec.tenant_id, d->address, err);
}

static const change_def set_change = {"admin", "mail_contact", apply_set, 0};
static const change_def delete_change = {"admin", "mail_contact", apply_delete, 0};

int mail_contact_set_as(core *c, const core_actor *who, const cat_tenant *t, const char *address,
                        const char *procedure_code, core_done_fn cb, void *ctx, error *err)
{
    contact_arg d = {.rec = {.tenant_id = t->rec.id}};
    const char *at = address ? strchr(address, '@') : NULL;
    /* A "+" would be cut off as a tag when mail arrives: the address could never match. */
    if (mail_contact_normalise(address, d.address, sizeof d.address) != 0 ||
        !outbox_email_ok(d.address) || memchr(address, '+', (size_t)(at - address)))
        return error_set(err, ERR_INVALID_ARG, "address", "not an e-mail address");
    if (procedure_code && *procedure_code) {
        const cat_procedure *p = catalogue_procedure(t, procedure_code);
        if (!mail_contact_procedure_ok(p))
            return error_set(err, ERR_INVALID_ARG, "procedure",
                             "not a procedure of the collectivité new mail can be filed under");
        d.rec.procedure_id = p->rec.id;
    }
    return change_run(c, who, t->rec.id, &set_change, &d, sizeof d, NULL, cb, ctx, err);
}

int mail_contact_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *address,
                           core_done_fn cb, void *ctx, error *err)
{
    contact_arg d = {.rec = {.tenant_id = tenant_id}};
    if (mail_contact_normalise(address, d.address, sizeof d.address) != 0)
        return error_set(err, ERR_NOT_FOUND, "address", "no such contact address");
    return change_run(c, who, tenant_id, &delete_change, &d, sizeof d, NULL, cb, ctx, err);
}

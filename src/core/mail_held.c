/*
 * mail_held — held spam (mail_held.h). The writes are change jobs
 * (core/change.h): an admin's, audited, or the system's for mail the gateway holds.
 */
#include "core/mail_held.h"

#include <stdio.h>
#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "util/log.h"
#include "util/timeutil.h"

int mail_set_spam_header(core *c, const char *header)
{
    if (!header || !*header) {
        c->mail_spam_header[0] = '\0';
        return 0;
    }
    const char *colon = strchr(header, ':');
    size_t n = strlen(header);
    if (n > MAIL_SPAM_HEADER_MAX || !colon || colon == header || !colon[1])
        return -1;
    for (const char *p = header; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ||
            (p < colon && (*p == ' ' || *p == '\t')))
            return -1;
    memcpy(c->mail_spam_header, header, n + 1);
    return 0;
}

const char *mail_spam_header(const core *c)
{
    return c->mail_spam_header;
}

/* ---- held mail ---- */

typedef struct hold_arg {
    store_mail_held m;
    int64_t purge_before; /* held mail received before this goes in the same job */
} hold_arg;

static int apply_hold(store *s, void *arg, int64_t *id, error *err)
{
    const hold_arg *h = arg;
    return s->ops->mail_in.tx_held_purge(s, h->m.tenant_id, h->purge_before, NULL, err) != 0
               ? -1
               : s->ops->mail_in.tx_held_insert(s, &h->m, id, err);
}

static const change_def hold_change = {"hold", "mail", apply_hold, 0};

int mail_held_retention_days(core *c, int *days, error *err)
{
    return core_setting_int(c, "mail_held_retention_days", MAIL_HELD_RETENTION_DAYS_DEFAULT, days,
                            err);
}

int mail_held_add(core *c, int64_t tenant_id, const char *sender, const char *subject,
                  const char *message, size_t len, core_done_fn cb, void *ctx, error *err)
{
    if (!sender || !*sender || !message || len == 0)
        return error_set(err, ERR_MISSING_ARG, "message", "held mail needs a sender and bytes");
    int days = MAIL_HELD_RETENTION_DAYS_DEFAULT;
    if (mail_held_retention_days(c, &days, err) != 0)
        return -1;
    hold_arg h = {.m = {.tenant_id = tenant_id,
                        .received_at = time_now(),
                        .sender = sender,
                        .subject = subject ? subject : "",
                        .message = message,
                        .message_len = len}};
    h.purge_before = h.m.received_at - (int64_t)days * 86400;
    return change_run(c, &actor_system, tenant_id, &hold_change, &h, sizeof h, NULL, cb, ctx, err);
}

int mail_held_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err)
{
    int days = MAIL_HELD_RETENTION_DAYS_DEFAULT;
    if (mail_held_retention_days(c, &days, err) != 0)
        return -1;
    return core_purge_before(c, c->store->ops->mail_in.tx_held_purge, tenant_id,
                             now - (int64_t)days * 86400, n, err);
}

int mail_held_list(core *c, int64_t tenant_id, arena *a, store_mail_held **out, size_t *n,
                   error *err)
{
    return c->store->ops->mail_in.held_list(c->store, tenant_id, a, out, n, err);
}

int mail_held_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_mail_held *out,
                  error *err)
{
    int found = 0;
    if (c->store->ops->mail_in.held_get(c->store, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    return found ? 0 : error_set(err, ERR_NOT_FOUND, "id", "no such held mail");
}

typedef struct held_delete_arg {
    int64_t tenant_id, id;
} held_delete_arg;

static int apply_held_delete(store *s, void *arg, int64_t *id, error *err)
{
    held_delete_arg *d = arg;
    *id = d->id;
    return s->ops->mail_in.tx_held_delete(s, d->tenant_id, d->id, err);
}

static const change_def held_delete_change = {"delete", "mail", apply_held_delete, 0};

int mail_held_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                        core_done_fn cb, void *ctx, error *err)
{
    held_delete_arg d = {tenant_id, id};
    return change_run(c, who, tenant_id, &held_delete_change, &d, sizeof d, NULL, cb, ctx, err);
}

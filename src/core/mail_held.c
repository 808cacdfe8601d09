/*
 * mail_held — held spam and contact addresses (mail_held.h). The writes are change jobs
 * (core/change.h): an admin's, audited, or the system's for mail the gateway holds.
 */
#include "core/mail_held.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "core/procedure_key.h"
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

static int apply_hold(store *s, void *arg, int64_t *id, error *err)
{
    const store_mail_held *m = arg;
    return s->ops->mail_in.tx_held_purge(s, m->tenant_id,
                                         m->received_at - (int64_t)MAIL_HELD_KEEP_DAYS * 86400,
                                         NULL, err) != 0
               ? -1
               : s->ops->mail_in.tx_held_insert(s, m, id, err);
}

static const change_def hold_change = {"hold", "mail", apply_hold, 0};

int mail_held_add(core *c, int64_t tenant_id, const char *sender, const char *subject,
                  const char *message, size_t len, core_done_fn cb, void *ctx, error *err)
{
    if (!sender || !*sender || !message || len == 0)
        return error_set(err, ERR_MISSING_ARG, "message", "held mail needs a sender and bytes");
    store_mail_held m = {.tenant_id = tenant_id,
                         .received_at = time_now(),
                         .sender = sender,
                         .subject = subject ? subject : "",
                         .message = message,
                         .message_len = len};
    return change_run(c, &actor_system, tenant_id, &hold_change, &m, sizeof m, NULL, cb, ctx, err);
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

/* ---- contact addresses ---- */

int mail_address_normalise(const char *in, char *out, size_t cap)
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

int mail_procedure_ok(const cat_procedure *p)
{
    return procedure_key_text_ok(p);
}

int mail_address_list(core *c, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                      error *err)
{
    return c->store->ops->mail_in.address_list(c->store, tenant_id, a, out, n, err);
}

const cat_procedure *mail_address_procedure(core *c, const cat_tenant *t, const char *const *addrs,
                                            size_t n)
{
    arena a;
    arena_init(&a, 0);
    store_mail_address *list = NULL;
    size_t nl = 0;
    error err;
    error_clear(&err);
    const cat_procedure *found = NULL;
    if (mail_address_list(c, t->rec.id, &a, &list, &nl, &err) != 0) {
        log_warn("mail in: contact addresses unreadable: %s", err.detail);
        nl = 0;
    }
    for (size_t i = 0; i < n && !found; i++) {
        char norm[MAIL_ADDRESS_MAX + 1];
        if (mail_address_normalise(addrs[i], norm, sizeof norm) != 0)
            continue;
        for (size_t j = 0; j < nl && !found; j++) {
            if (strcmp(list[j].address, norm) != 0)
                continue;
            const cat_procedure *p = catalogue_procedure_by_id(t, list[j].procedure_id);
            if (mail_procedure_ok(p))
                found = p;
        }
    }
    arena_free(&a);
    return found;
}

static int apply_address_set(store *s, void *arg, int64_t *id, error *err)
{
    const procedure_key *k = arg;
    store_mail_address rec = {
        .tenant_id = k->tenant_id, .address = k->key, .procedure_id = k->procedure_id};
    *id = k->procedure_id;
    return s->ops->mail_in.tx_address_set(s, &rec, err);
}

static int apply_address_delete(store *s, void *arg, int64_t *id, error *err)
{
    const procedure_key *k = arg;
    *id = 0;
    return s->ops->mail_in.tx_address_delete(s, k->tenant_id, k->key, err);
}

static const change_def address_set_change = {"admin", "mail_address", apply_address_set, 0};
static const change_def address_delete_change = {"admin", "mail_address", apply_address_delete, 0};

int mail_address_set_as(core *c, const core_actor *who, const cat_tenant *t, const char *address,
                        const char *procedure_code, core_done_fn cb, void *ctx, error *err)
{
    procedure_key k = {.tenant_id = t->rec.id};
    if (mail_address_normalise(address, k.key, sizeof k.key) != 0)
        return error_set(err, ERR_INVALID_ARG, "address", "not an e-mail address");
    return procedure_key_add(c, who, t, &address_set_change, &k, procedure_code, mail_procedure_ok,
                             "not a procedure of the collectivité new mail can be filed under", cb,
                             ctx, err);
}

int mail_address_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *address,
                           core_done_fn cb, void *ctx, error *err)
{
    procedure_key k = {.tenant_id = tenant_id};
    if (mail_address_normalise(address, k.key, sizeof k.key) != 0)
        return error_set(err, ERR_NOT_FOUND, "address", "no such contact address");
    return change_run(c, who, tenant_id, &address_delete_change, &k, sizeof k, NULL, cb, ctx, err);
}

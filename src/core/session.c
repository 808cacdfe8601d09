/*
 * session — logged-in sessions, the portal's and (through agent_session) the back office's.
 * The cookie holds 32 random bytes; the store holds only their keyed hash, so a copy of the
 * database opens no session. A citizen's session ends after SESSION_IDLE_SECONDS without use
 * or SESSION_MAX_SECONDS after login, whichever comes first. Every session, a citizen's or
 * an agent's, is written by session_open_tx.
 */
#include "core/session.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/core_op.h"
#include "util/log.h"
#include "util/timeutil.h"

/* last_seen_at is rewritten at most this often: a page view must not cost a write. */
#define SESSION_TOUCH_SECONDS 300
#define SESSION_COOKIE_MAX 128

void session_opening_prepare(core *c, const char *old_token, session_opening *o)
{
    memset(o, 0, sizeof *o);
    core_new_secret("", o->token, sizeof o->token);
    core_hash_secret(c, o->token, o->hash);
    if (old_token && *old_token)
        core_hash_secret(c, old_token, o->old_hash);
    o->now = time_now();
}

void session_opening_wipe(session_opening *o)
{
    sodium_memzero(o->token, sizeof o->token);
}

int session_open_tx(store *s, int64_t tenant_id, const session_opening *o, int64_t account_id,
                    int64_t agent_id, int64_t max_seconds, error *err)
{
    /* Citizens' and agents' sessions share the table: the old cookie names one row either
     * way, and ending it here means a login never leaves the previous session usable. */
    if (o->old_hash[0] && s->ops->sessions.tx_delete(s, tenant_id, o->old_hash, err) != 0)
        return -1;
    store_session se = {.tenant_id = tenant_id,
                        .token_hash = o->hash,
                        .account_id = account_id,
                        .agent_id = agent_id,
                        .created_at = o->now,
                        .last_seen_at = o->now,
                        .expires_at = o->now + max_seconds};
    int64_t id = 0;
    return s->ops->sessions.tx_insert(s, &se, &id, err);
}

typedef struct open_op {
    core_op op;
    int64_t tenant_id, account_id;
    const session_opening *o; /* the caller's, valid until the outcome */
} open_op;

static int apply_open(store *s, core_op *op, error *err)
{
    open_op *j = (open_op *)op;
    return session_open_tx(s, j->tenant_id, j->o, j->account_id, 0, SESSION_MAX_SECONDS, err);
}

int session_open_account(core *c, int64_t tenant_id, int64_t account_id, session_opening *o,
                         core_done_fn cb, void *ctx, error *err)
{
    open_op *j = core_op_new(sizeof *j, apply_open);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->tenant_id = tenant_id;
    j->account_id = account_id;
    j->o = o;
    return core_op_submit(c, j, cb, ctx, err);
}

int session_create(core *c, int64_t tenant_id, int64_t account_id,
                   char token_out[SESSION_TOKEN_LEN], error *err)
{
    session_opening o;
    session_opening_prepare(c, NULL, &o);
    int rc = session_open_account(c, tenant_id, account_id, &o, NULL, NULL, err);
    if (rc == 0)
        memcpy(token_out, o.token, SESSION_TOKEN_LEN);
    session_opening_wipe(&o);
    return rc;
}

/* A write nobody waits for (touch, delete of an expired session): the job owns itself and
 * is freed by its done callback. Failures only cost a log line. */
typedef struct bg_job {
    store_job job;
    int64_t tenant_id, id, when;
    char hash[65];
} bg_job;

static int apply_touch(store *s, void *arg, error *err)
{
    bg_job *b = arg;
    return s->ops->sessions.tx_touch(s, b->id, b->when, err);
}

static int apply_delete_bg(store *s, void *arg, error *err)
{
    bg_job *b = arg;
    return s->ops->sessions.tx_delete(s, b->tenant_id, b->hash, err);
}

static void bg_done(void *arg, int rc, const error *err)
{
    if (rc != 0)
        log_warn("session: background write failed: %s", err ? err->detail : "");
    free(arg);
}

static void write_in_background(core *c, int (*apply)(store *, void *, error *), int64_t tenant_id,
                                int64_t id, int64_t when, const char *hash)
{
    bg_job *b = calloc(1, sizeof *b);
    if (!b)
        return; /* best effort: the next request will try again */
    b->tenant_id = tenant_id;
    b->id = id;
    b->when = when;
    if (hash)
        memcpy(b->hash, hash, sizeof b->hash);
    b->job.apply = apply;
    b->job.done = bg_done;
    b->job.arg = b;
    store_write(c->store, &b->job);
}

static int cookie_ok(const char *token)
{
    if (!token || !*token || strlen(token) > SESSION_COOKIE_MAX)
        return 0;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int session_find_live(core *c, int64_t tenant_id, const char *token, int64_t idle_seconds, arena *a,
                      store_session *out, error *err)
{
    if (!cookie_ok(token))
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no session");
    char hash[65];
    core_hash_secret(c, token, hash);
    int found = 0;
    if (c->store->ops->sessions.find(c->store, tenant_id, hash, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no session");
    int64_t now = time_now();
    if (now >= out->expires_at || now - out->last_seen_at >= idle_seconds) {
        write_in_background(c, apply_delete_bg, tenant_id, out->id, now, hash);
        return error_set(err, ERR_UNAUTHORIZED, NULL, "session expired");
    }
    return 0;
}

void session_touch_later(core *c, const store_session *se, int64_t touch_seconds)
{
    int64_t now = time_now();
    if (now - se->last_seen_at >= touch_seconds)
        write_in_background(c, apply_touch, se->tenant_id, se->id, now, NULL);
}

int session_lookup(core *c, int64_t tenant_id, const char *token, arena *a, store_session *out,
                   store_account *account, error *err)
{
    if (session_find_live(c, tenant_id, token, SESSION_IDLE_SECONDS, a, out, err) != 0)
        return -1;
    int acc_found = 0;
    if (c->store->ops->accounts.get(c->store, tenant_id, out->account_id, a, account, &acc_found,
                                   err) != 0)
        return -1;
    if (!acc_found)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no session");
    session_touch_later(c, out, SESSION_TOUCH_SECONDS);
    return 0;
}

typedef struct destroy_op {
    core_op op;
    int64_t tenant_id;
    char hash[SESSION_HASH_LEN];
} destroy_op;

static int apply_destroy(store *s, core_op *op, error *err)
{
    destroy_op *j = (destroy_op *)op;
    return s->ops->sessions.tx_delete(s, j->tenant_id, j->hash, err);
}

int session_destroy(core *c, int64_t tenant_id, const char *token, core_done_fn cb, void *ctx,
                    error *err)
{
    /* Citizens' and agents' sessions alike: the token names one row either way. A cookie
     * that cannot be a session names none: nothing to write. */
    if (!cookie_ok(token)) {
        if (cb)
            cb(ctx, 0, NULL);
        return 0;
    }
    destroy_op *j = core_op_new(sizeof *j, apply_destroy);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->tenant_id = tenant_id;
    core_hash_secret(c, token, j->hash);
    return core_op_submit(c, j, cb, ctx, err);
}

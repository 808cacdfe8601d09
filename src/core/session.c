/*
 * session — logged-in sessions of the portal. The cookie holds 32 random bytes; the store
 * holds only their keyed hash, so a copy of the database opens no session. A session ends
 * after SESSION_IDLE_SECONDS without use or SESSION_MAX_SECONDS after login, whichever
 * comes first.
 */
#include "core/session.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/log.h"
#include "util/timeutil.h"

/* last_seen_at is rewritten at most this often: a page view must not cost a write. */
#define SESSION_TOUCH_SECONDS 300
#define SESSION_COOKIE_MAX 128

typedef struct insert_arg {
    store_session se;
    int64_t id;
} insert_arg;

static int apply_insert(store *s, void *arg, error *err)
{
    insert_arg *ia = arg;
    return s->ops->sessions.tx_insert(s, &ia->se, &ia->id, err);
}

int session_create(core *c, int64_t tenant_id, int64_t account_id,
                   char token_out[SESSION_TOKEN_LEN], error *err)
{
    char hash[65];
    core_new_secret("", token_out, SESSION_TOKEN_LEN);
    core_hash_secret(c, token_out, hash);
    int64_t now = time_now();
    insert_arg ia = {.se = {.tenant_id = tenant_id,
                            .token_hash = hash,
                            .account_id = account_id,
                            .created_at = now,
                            .last_seen_at = now,
                            .expires_at = now + SESSION_MAX_SECONDS}};
    if (store_write_sync(c->store, apply_insert, &ia, err) != 0) {
        sodium_memzero(token_out, SESSION_TOKEN_LEN);
        return -1;
    }
    return 0;
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

typedef struct delete_arg {
    int64_t tenant_id;
    const char *hash;
} delete_arg;

static int apply_delete(store *s, void *arg, error *err)
{
    delete_arg *da = arg;
    return s->ops->sessions.tx_delete(s, da->tenant_id, da->hash, err);
}

int session_destroy(core *c, int64_t tenant_id, const char *token, error *err)
{
    /* Citizens' and agents' sessions alike: the token names one row either way. */
    if (!cookie_ok(token))
        return 0;
    char hash[65];
    core_hash_secret(c, token, hash);
    delete_arg da = {tenant_id, hash};
    return store_write_sync(c->store, apply_delete, &da, err);
}

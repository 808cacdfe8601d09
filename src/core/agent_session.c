/*
 * agent_session — back-office sessions and the signed pending-login value between the two
 * factors. Sessions reuse the portal's sessions table (agent_id set instead of account_id);
 * the cookie holds 32 random bytes and the store only their keyed hash. Creating a session
 * also records the agent's last login, which agent_totp_check uses as its replay floor.
 */
#include "core/agent_session.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/session.h"
#include "util/log.h"
#include "util/timeutil.h"

/* last_seen_at is rewritten at most this often: with a 30-minute idle limit, a minute of
 * imprecision is harmless and saves a write per page. */
#define AGENT_SESSION_TOUCH_SECONDS 60

typedef struct create_arg {
    store_session se;
    int64_t id;
} create_arg;

static int apply_create(store *s, void *arg, error *err)
{
    create_arg *ca = arg;
    arena a;
    arena_init(&a, 0);
    store_agent ag;
    int found = 0, rc = -1;
    if (s->ops->agents.get(s, ca->se.tenant_id, ca->se.agent_id, &a, &ag, &found, err) != 0)
        goto cleanup;
    if (!found || !ag.active) {
        error_set(err, ERR_UNAUTHORIZED, NULL, "no such active agent");
        goto cleanup;
    }
    ag.last_login_at = ca->se.created_at;
    if (s->ops->agents.tx_update(s, &ag, err) != 0 ||
        s->ops->sessions.tx_insert(s, &ca->se, &ca->id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

int agent_session_create(core *c, int64_t tenant_id, int64_t agent_id,
                         char token_out[AGENT_SESSION_TOKEN_LEN], error *err)
{
    char hash[65];
    core_new_secret("", token_out, AGENT_SESSION_TOKEN_LEN);
    core_hash_secret(c, token_out, hash);
    int64_t now = time_now();
    create_arg ca = {.se = {.tenant_id = tenant_id,
                            .token_hash = hash,
                            .agent_id = agent_id,
                            .created_at = now,
                            .last_seen_at = now,
                            .expires_at = now + AGENT_SESSION_MAX_SECONDS}};
    if (store_write_sync(c->store, apply_create, &ca, err) != 0) {
        sodium_memzero(token_out, AGENT_SESSION_TOKEN_LEN);
        return -1;
    }
    return 0;
}

int agent_session_lookup(core *c, int64_t tenant_id, const char *token, arena *a,
                         store_session *out, store_agent *agent, error *err)
{
    if (session_find_live(c, tenant_id, token, AGENT_SESSION_IDLE_SECONDS, a, out, err) != 0)
        return -1;
    /* A citizen's session cookie never opens the back office. */
    if (out->agent_id <= 0)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no session");
    int ag_found = 0;
    if (c->store->ops->agents.get(c->store, tenant_id, out->agent_id, a, agent, &ag_found, err) != 0)
        return -1;
    if (!ag_found || !agent->active)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no session");
    session_touch_later(c, out, AGENT_SESSION_TOUCH_SECONDS);
    return 0;
}

typedef struct delete_arg {
    int64_t tenant_id, agent_id;
} delete_arg;

static int apply_delete_agent(store *s, void *arg, error *err)
{
    delete_arg *da = arg;
    return s->ops->sessions.tx_delete_agent(s, da->tenant_id, da->agent_id, err);
}

int agent_session_destroy(core *c, int64_t tenant_id, const char *token, error *err)
{
    return session_destroy(c, tenant_id, token, err);
}

int agent_session_destroy_agent(core *c, int64_t tenant_id, int64_t agent_id, error *err)
{
    delete_arg da = {tenant_id, agent_id};
    return store_write_sync(c->store, apply_delete_agent, &da, err);
}

/* ---- pending login ---- */

static int purpose_ok(const char *purpose)
{
    return purpose && (strcmp(purpose, "totp") == 0 || strcmp(purpose, "enrol") == 0);
}

/* The keyed hash binding tenant, agent, purpose and expiry (core_hash_secret is BLAKE2b
 * keyed with the instance secret, so nobody without it can make one). */
static void pending_mac(core *c, int64_t tenant_id, int64_t agent_id, const char *purpose,
                        int64_t expires, char mac[65])
{
    char msg[128];
    snprintf(msg, sizeof msg, "agent-pending-login:%" PRId64 ":%" PRId64 ":%s:%" PRId64, tenant_id,
             agent_id, purpose, expires);
    core_hash_secret(c, msg, mac);
}

void agent_pending_make(core *c, int64_t tenant_id, int64_t agent_id, const char *purpose,
                        int64_t now, char out[AGENT_PENDING_LEN])
{
    char mac[65];
    int64_t expires = now + AGENT_PENDING_SECONDS;
    pending_mac(c, tenant_id, agent_id, purpose_ok(purpose) ? purpose : "totp", expires, mac);
    snprintf(out, AGENT_PENDING_LEN, "%" PRId64 ".%" PRId64 ".%s", agent_id, expires, mac);
}

/* Strict decimal of 1 to 18 digits ending at `end` char; *next after it. */
static int parse_id(const char *s, char end, int64_t *out, const char **next)
{
    int64_t v = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        if (n == 18)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (n == 0 || *s != end || v <= 0)
        return -1;
    *out = v;
    *next = s + 1;
    return 0;
}

int agent_pending_check(core *c, int64_t tenant_id, const char *value, const char *purpose,
                        int64_t now, int64_t *agent_id, error *err)
{
    int64_t id = 0, expires = 0;
    const char *p = value ? value : "";
    if (!purpose_ok(purpose) || strlen(p) >= AGENT_PENDING_LEN || parse_id(p, '.', &id, &p) != 0 ||
        parse_id(p, '.', &expires, &p) != 0 || strlen(p) != 64)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no pending login");
    char mac[65];
    pending_mac(c, tenant_id, id, purpose, expires, mac);
    if (sodium_memcmp(mac, p, 64) != 0 || now >= expires || expires - now > AGENT_PENDING_SECONDS)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no pending login");
    *agent_id = id;
    return 0;
}

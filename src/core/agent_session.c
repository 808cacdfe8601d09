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

#include "core/account.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/session.h"
#include "util/log.h"
#include "util/timeutil.h"

/* last_seen_at is rewritten at most this often: with a 30-minute idle limit, a minute of
 * imprecision is harmless and saves a write per page. */
#define AGENT_SESSION_TOUCH_SECONDS 60

typedef struct login_op {
    core_op op;
    int64_t tenant_id, agent_id;
    core_actor who;
    store_agent who_agent;    /* who.agent's copy */
    const char *enrol_secret; /* in op.a; NULL: no enrolment to confirm */
    session_opening *o;       /* the caller's */
} login_op;

static int apply_login(store *s, core_op *op, error *err)
{
    login_op *j = (login_op *)op;
    store_agent ag;
    int found = 0;
    /* Read inside the job: an agent deactivated since the password step gets no session. */
    if (s->ops->agents.get(s, j->tenant_id, j->agent_id, &op->a, &ag, &found, err) != 0)
        return -1;
    if (!found || !ag.active)
        return error_set(err, ERR_UNAUTHORIZED, NULL, "no such active agent");
    if (j->enrol_secret) {
        if (ag.totp_enabled || !ag.totp_secret || strcmp(ag.totp_secret, j->enrol_secret) != 0)
            return error_set(err, ERR_CONFLICT, "code", "enrolment restarted meanwhile");
        ag.totp_enabled = 1;
    }
    ag.last_login_at = j->o->now;
    if (s->ops->agents.tx_update(s, &ag, err) != 0 ||
        session_open_tx(s, j->tenant_id, j->o, 0, j->agent_id, AGENT_SESSION_MAX_SECONDS, err) != 0)
        return -1;
    if (j->enrol_secret &&
        audit_change_tx(s, j->tenant_id, &j->who, "totp_enrol", "agent", &j->agent_id, 1, err) != 0)
        return -1;
    return audit_change_tx(s, j->tenant_id, &j->who, "login", "agent", &j->agent_id, 1, err);
}

/* The one way an agent's session is opened; who NULL: no audit entry (tests, tools). */
static int login_open(core *c, int64_t tenant_id, int64_t agent_id, const core_actor *who,
                      const char *enrol_secret, session_opening *o, core_done_fn cb, void *ctx,
                      error *err)
{
    login_op *j = core_op_new(sizeof *j, apply_login);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->tenant_id = tenant_id;
    j->agent_id = agent_id;
    j->o = o;
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) != 0) {
        core_op_free(j);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    if (enrol_secret && !(j->enrol_secret = arena_strdup(&j->op.a, enrol_secret))) {
        core_op_free(j);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int agent_login_open(core *c, int64_t tenant_id, const core_actor *who, const char *enrol_secret,
                     session_opening *o, core_done_fn cb, void *ctx, error *err)
{
    if (!who || who->kind != ACTOR_AGENT || who->id <= 0)
        return error_set(err, ERR_INTERNAL, "who", "an agent logs in");
    return login_open(c, tenant_id, who->id, who, enrol_secret, o, cb, ctx, err);
}

int agent_session_create(core *c, int64_t tenant_id, int64_t agent_id,
                         char token_out[AGENT_SESSION_TOKEN_LEN], error *err)
{
    session_opening o;
    session_opening_prepare(c, NULL, &o);
    int rc = login_open(c, tenant_id, agent_id, NULL, NULL, &o, NULL, NULL, err);
    if (rc == 0)
        memcpy(token_out, o.token, AGENT_SESSION_TOKEN_LEN);
    session_opening_wipe(&o);
    return rc;
}

typedef struct failed_op {
    core_op op;
    int64_t tenant_id, agent_id; /* 0: no agent has that address */
    const char *actor, *source;  /* in op.a */
} failed_op;

static int apply_failed(store *s, core_op *op, error *err)
{
    failed_op *j = (failed_op *)op;
    /* Written whoever fails: a wrong address is named "system", which the audit policy
     * alone would not record, yet guessing at the back office is what this entry is for. */
    return audit_append_tx(s, j->tenant_id, 0, j->actor, "login_failed", "agent",
                           j->agent_id ? &j->agent_id : NULL, j->agent_id ? 1 : 0, j->source, err);
}

int agent_login_failed(core *c, int64_t tenant_id, const core_actor *who, const char *email,
                       core_done_fn cb, void *ctx, error *err)
{
    int64_t agent_id = who && who->kind == ACTOR_AGENT ? who->id : 0;
    if (!agent_id && email && *email) {
        char addr[ACCOUNT_EMAIL_MAX + 1];
        arena a;
        arena_init(&a, 0);
        store_agent ag;
        int found = 0;
        error ignored;
        if (account_email_fold(email, addr) == 0 &&
            c->store->ops->agents.find_email(c->store, tenant_id, addr, &a, &ag, &found, &ignored) ==
                0 &&
            found)
            agent_id = ag.id;
        arena_free(&a);
    }
    failed_op *j = core_op_new(sizeof *j, apply_failed);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->tenant_id = tenant_id;
    j->agent_id = agent_id;
    core_actor named = agent_id ? (core_actor){.kind = ACTOR_AGENT, .id = agent_id}
                                : (core_actor){.kind = ACTOR_SYSTEM};
    j->actor = actor_audit_label(&named, &j->op.a);
    j->source = who && who->source ? arena_strdup(&j->op.a, who->source) : NULL;
    if (!j->actor || (who && who->source && !j->source)) {
        core_op_free(j);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

typedef struct logout_op {
    core_op op;
    int64_t tenant_id;
    core_actor who;
    store_agent who_agent; /* who.agent's copy */
    char hash[SESSION_HASH_LEN];
} logout_op;

static int apply_logout(store *s, core_op *op, error *err)
{
    logout_op *j = (logout_op *)op;
    if (j->hash[0] && s->ops->sessions.tx_delete(s, j->tenant_id, j->hash, err) != 0)
        return -1;
    if (j->who.kind != ACTOR_AGENT)
        return 0;
    return audit_change_tx(s, j->tenant_id, &j->who, "logout", "agent", &j->who.id, 1, err);
}

int agent_logout(core *c, int64_t tenant_id, const core_actor *who, const char *token,
                 core_done_fn cb, void *ctx, error *err)
{
    logout_op *j = core_op_new(sizeof *j, apply_logout);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->tenant_id = tenant_id;
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) != 0) {
        core_op_free(j);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    if (token && *token)
        core_hash_secret(c, token, j->hash);
    return core_op_submit(c, j, cb, ctx, err);
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
    return session_destroy(c, tenant_id, token, NULL, NULL, err);
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

/*
 * agent_session — back-office sessions. Like the portal's (core/session.h): a 32-byte random
 * cookie value stored as its keyed hash, new at every login; but shorter (30 minutes idle,
 * 12 hours at most) and created only after both factors. Between the password and the TOTP
 * steps the browser holds a signed, short-lived "pending login" value instead: no session
 * exists until the second factor passes.
 */
#ifndef GUICHET_CORE_AGENT_SESSION_H
#define GUICHET_CORE_AGENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/agent.h"
#include "core/core.h"
#include "core/session.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define AGENT_SESSION_IDLE_SECONDS (30 * 60)
#define AGENT_SESSION_MAX_SECONDS (12 * 3600)
#define AGENT_SESSION_TOKEN_LEN 64     /* buffer for the cookie value */
#define AGENT_PENDING_SECONDS (5 * 60) /* time to type the TOTP code after the password */
#define AGENT_PENDING_LEN 128          /* buffer for a pending-login value */

/* Creates a session for agent_id (call it only once every factor passed), waiting, with no
 * audit entry and no previous session; writes the cookie value into token_out. The back
 * office logs in with agent_login_open. */
int agent_session_create(core *c, int64_t tenant_id, int64_t agent_id,
                         char token_out[AGENT_SESSION_TOKEN_LEN], error *err);

/* ---- the agent's login, as core operations: who acts comes from the entrance, the audit
 * entries are written in the change's own job. With cb, each returns at once (0) and
 * cb(ctx, rc, err) follows the durable commit; with cb NULL it waits. -1 at once: nothing
 * was queued and cb will not be called. ---- */

/* Every factor passed: one job checks that the agent who->id is still active, confirms a
 * pending TOTP enrolment when enrol_secret is set (the sealed secret agent_totp_enrol_check
 * accepted; ERR_CONFLICT when the enrolment restarted meanwhile), records the agent's last
 * login (agent_totp_check's replay floor), ends the browser's previous session and opens
 * o's (session_opening_prepare; o stays the caller's until the outcome), and appends the
 * audit entries of who: "totp_enrol" (with an enrolment), then "login", kind "agent".
 * ERR_UNAUTHORIZED when the agent is gone or inactive. */
int agent_login_open(core *c, int64_t tenant_id, const core_actor *who, const char *enrol_secret,
                     session_opening *o, core_done_fn cb, void *ctx, error *err);
/* A failed login (wrong password or code): its audit entry "login_failed", kind "agent", in
 * a job of its own (no other change comes with it). The agent is who when who is an agent
 * (a wrong code), else the agent of `email` when there is one (ids only, never the address
 * typed; actor "agent:<id>"), else none (actor "system"); who->source is the source. */
int agent_login_failed(core *c, int64_t tenant_id, const core_actor *who, const char *email,
                       core_done_fn cb, void *ctx, error *err);
/* Logout: one job ends the session of cookie value `token` and, when who is an agent,
 * appends who's "logout" entry. Unknown tokens are not an error. */
int agent_logout(core *c, int64_t tenant_id, const core_actor *who, const char *token,
                 core_done_fn cb, void *ctx, error *err);

/* The live session of cookie value `token` and its agent (strings in a). -1 with
 * ERR_UNAUTHORIZED when unknown, expired (deleted then), of a portal account, or when the
 * agent is inactive. Refreshes last_seen_at at most every minute, without waiting. */
int agent_session_lookup(core *c, int64_t tenant_id, const char *token, arena *a,
                         store_session *out, store_agent *agent, error *err);
/* Ends the session of cookie value `token` (logout); unknown tokens are not an error. */
int agent_session_destroy(core *c, int64_t tenant_id, const char *token, error *err);
/* Ends every session of an agent (deactivation, password change, TOTP reset). */
int agent_session_destroy_agent(core *c, int64_t tenant_id, int64_t agent_id, error *err);

/* The pending-login value after a correct password, for a cookie: "<agent id>.<expiry>.<mac>"
 * where mac is a keyed BLAKE2b (instance secret) over the tenant, the agent and the expiry.
 * `purpose` separates the step it allows: "totp" (enter a code) or "enrol" (first enrolment). */
void agent_pending_make(core *c, int64_t tenant_id, int64_t agent_id, const char *purpose,
                        int64_t now, char out[AGENT_PENDING_LEN]);
/* Checks a pending-login value for `purpose` at time now: 0 and *agent_id, or -1 with
 * ERR_UNAUTHORIZED when malformed, forged, of another tenant or purpose, or expired. */
int agent_pending_check(core *c, int64_t tenant_id, const char *value, const char *purpose,
                        int64_t now, int64_t *agent_id, error *err);

#endif

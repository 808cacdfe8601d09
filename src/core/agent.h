/*
 * agent — the back office's people: agents, managers (responsables), élus and admins of a
 * tenant. Accounts with an Argon2id password and a TOTP second factor (sealed at rest with a
 * key derived from the instance secret), their roles and departments. Permissions live in
 * perm.h, sessions in agent_session.h.
 */
#ifndef GUICHET_CORE_AGENT_H
#define GUICHET_CORE_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/actor.h"
#include "core/core.h"
#include "core/totp.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

typedef enum agent_role {
    AGENT_ROLE_AGENT = 0,   /* their departments' requests */
    AGENT_ROLE_MANAGER = 1, /* responsable: their departments, routing, bulk actions */
    AGENT_ROLE_ELECTED = 2, /* élu: reads everything, signs, dashboards */
    AGENT_ROLE_ADMIN = 3,   /* everything in the tenant */
    AGENT_ROLE_COUNT
} agent_role;

#define AGENT_PASSWORD_MIN 12  /* characters (UTF-8 code points) */
#define AGENT_PASSWORD_MAX 256 /* bytes */
#define AGENT_NAME_MAX 200
#define AGENT_EMAIL_MAX 254
#define AGENT_MAX_DEPARTMENTS 32
/* Buffer for an assignee identifier "agent:<local part of the e-mail>" + NUL. */
#define AGENT_ASSIGNEE_LEN 80
/* The demo password of every «Ville de Démo» agent (documented in README). */
#define AGENT_DEMO_PASSWORD "demo-guichet-2026"

/* "agent", "manager", "elected", "admin"; NULL for an unknown value. */
const char *agent_role_name(agent_role r);
/* The role's French or English label: «Agent», «Responsable de service», «Élu», «Administrateur».
 */
const char *agent_role_label(agent_role r, lang l);
/* 0 and *out for one of the names above; -1 otherwise. */
int agent_role_parse(const char *name, agent_role *out);

/* The assignee identifier requests carry for this agent (store_request.assignee):
 * "agent:" followed by the e-mail's local part, e.g. "agent:martin.durand". */
void agent_assignee_id(const store_agent *a, char out[AGENT_ASSIGNEE_LEN]);

/* Creates an active agent, made by `who`: its "admin" entry is written in the same
 * transaction when who is audited. The password is hashed on the password pool first
 * (core/hasher.h: -1 at once with ERR_UNAVAILABLE when its queue is full). cb NULL waits; otherwise
 * 0 once queued and cb(ctx, rc, err) once durable or failed, name, codes, who's strings and id_out
 * staying valid until then (core/change.h); refusals found before the write return -1 at once,
 * without a callback. email is lowercased; department_codes[n] name existing
 * departments of the tenant (n <= AGENT_MAX_DEPARTMENTS). -1 with ERR_INVALID_ARG naming
 * "email", "name", "role", "department" or "password" (12-256 characters), ERR_CONFLICT when
 * the e-mail (or its assignee identifier) is taken. */
int agent_create_as(core *c, const core_actor *who, int64_t tenant_id, const char *email,
                    const char *name, agent_role role, const char *const *department_codes,
                    size_t n, const char *password, int64_t *id_out, core_done_fn cb, void *ctx,
                    error *err);
/* The same as the command line (actor_cli: not audited), waiting. */
int agent_create(core *c, int64_t tenant_id, const char *email, const char *name, agent_role role,
                 const char *const *department_codes, size_t n, const char *password,
                 int64_t *id_out, error *err);
/* Checks e-mail + password. Always spends one Argon2id verification (on the password pool,
 * core/hasher.h), whether the address is known or not. The agent is read at once into *out
 * (strings in a); the check follows: cb NULL waits and returns the outcome; otherwise 0
 * once queued and cb(ctx, rc, err) from the pool's thread, *out and a staying valid until
 * then. Outcome: 0 with *out, or -1 with ERR_UNAUTHORIZED (one generic answer for unknown,
 * wrong password and inactive; *out zeroed); -1 at once with ERR_UNAVAILABLE when the
 * pool's queue is full (no cb follows). The second factor is not checked here: see
 * agent_totp_needed. */
int agent_authenticate(core *c, int64_t tenant_id, const char *email, const char *password,
                       arena *a, store_agent *out, core_done_fn cb, void *ctx, error *err);
/* An agent by id (strings in a); -1 with ERR_NOT_FOUND. */
int agent_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_agent *out, error *err);
/* Every agent of the tenant, active or not, ordered by name; array and strings in a. */
int agent_list(core *c, int64_t tenant_id, arena *a, store_agent **out, size_t *n, error *err);

/* Changes to an agent: a NULL name or departments pointer, or a negative role/active, keeps
 * the current value. */
typedef struct agent_changes {
    const char *name;
    int role;                            /* agent_role, or -1 */
    const char *const *department_codes; /* with n_departments; NULL: unchanged */
    size_t n_departments;
    int active; /* 0, 1, or -1 */
    /* An administrator's actions on the account: both end the agent's sessions. */
    const char *password; /* a new password (12-256 characters); NULL: unchanged */
    int reset_totp;       /* 1: remove the second factor (they enrol again at next login) */
} agent_changes;
/* Applies ch as one job, made by `who` (its "admin" entry in the same transaction when who
 * is audited); answers as agent_create_as. Deactivating an agent ends their sessions.
 * ERR_NOT_FOUND for an agent not of the tenant. */
int agent_update_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                    const agent_changes *ch, core_done_fn cb, void *ctx, error *err);
/* The same as the command line (actor_cli: not audited), waiting. */
int agent_update(core *c, int64_t tenant_id, int64_t id, const agent_changes *ch, error *err);
/* Sets a new password (12-256 characters) and ends every session of the agent. */
int agent_set_password(core *c, int64_t tenant_id, int64_t id, const char *password, error *err);

/* Whether `a` must pass a TOTP step at login: always for admins and élus; for agents and
 * managers when they enrolled, or when the server-wide setting agent_totp_required is "1"
 * (then an agent without TOTP must enrol before anything else). */
int agent_totp_required(core *c, const store_agent *a, int *required, error *err);
/* Starts (or restarts) enrolment: a new random secret, stored sealed in the agent's row
 * while totp_enabled stays 0, so that it counts only once confirmed. Writes the base32 secret
 * (for the QR code and manual entry) into secret_b32 at once; it must stay valid until the
 * outcome, which wipes it on a failure. With cb, returns 0 at once and cb(ctx, rc, err)
 * follows the durable commit; with cb NULL, waits. -1 at once (nothing queued, no cb) with
 * ERR_CONFLICT when the agent already has an enabled factor (an admin resets it first:
 * agent_totp_reset), ERR_NOT_FOUND when there is no such agent. */
int agent_totp_begin(core *c, int64_t tenant_id, int64_t agent_id,
                     char secret_b32[TOTP_SECRET_B32_LEN], core_done_fn cb, void *ctx, error *err);
/* Checks a code from the app against the agent's pending enrolment, without writing: 0 and
 * *sealed (in a), the sealed secret for agent_login_open to confirm in the login's own job.
 * -1 with ERR_UNAUTHORIZED for a wrong code, ERR_CONFLICT when no enrolment is pending. */
int agent_totp_enrol_check(core *c, int64_t tenant_id, int64_t agent_id, const char *code, arena *a,
                           const char **sealed, error *err);
/* Confirms enrolment with a code from the app: the pending secret becomes the agent's factor
 * (agent_totp_enrol_check, then the write, waiting). Same errors. */
int agent_totp_confirm(core *c, int64_t tenant_id, int64_t agent_id, const char *code, error *err);
/* Checks a login code against the agent's enabled factor: steps now-1..now+1, a step is
 * accepted once only (replay), too many failures lock the check for a few minutes
 * (ERR_RATE_LIMITED). -1 with ERR_UNAUTHORIZED for a wrong code or no enabled factor. */
int agent_totp_check(core *c, const store_agent *a, const char *code, error *err);
/* Removes the agent's factor (an admin resets a lost phone); they enrol again at next login. */
int agent_totp_reset(core *c, int64_t tenant_id, int64_t agent_id, error *err);
/* otpauth URI and the accessible SVG QR code for an enrolment: issuer is the tenant's name,
 * label the agent's e-mail. Both appended to the given buffers. */
int agent_totp_enrolment(const char *issuer, const char *email, const char *secret_b32, buf *uri,
                         buf *svg, lang l, error *err);

/* Creates the «Ville de Démo» agents (admin, managers, the agents the demo requests are
 * assigned to, an élu), all with AGENT_DEMO_PASSWORD, and prints a summary on report (may be
 * NULL). Existing e-mails are kept as they are, so a second run changes nothing. */
int agent_demo_load(core *c, int64_t tenant_id, FILE *report, error *err);

#endif

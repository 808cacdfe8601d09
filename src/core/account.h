/*
 * account — citizens' accounts on the portal: sign-up with e-mail verification, login with
 * an Argon2id password, password reset and one-time login links (single-use, expiring
 * tokens sent by e-mail through the outbox), preferences. No function tells whether an
 * e-mail address has an account: callers answer the same whatever the outcome.
 *
 * Writes take a callback: with cb, the call returns 0 at once and cb(ctx, rc, err) follows
 * the durable commit (entrances suspend meanwhile); with cb NULL, it waits. A -1 returned at
 * once (a refused argument; ERR_UNAVAILABLE when the password pool's queue is full) queued
 * nothing and no cb follows. Inputs are copied; outputs
 * (account_id_out, open) must stay valid until the outcome.
 */
#ifndef GUICHET_CORE_ACCOUNT_H
#define GUICHET_CORE_ACCOUNT_H

#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/session.h"
#include "store/records.h"
#include "util/error.h"

#define ACCOUNT_PASSWORD_MIN 12   /* characters */
#define ACCOUNT_PASSWORD_MAX 256  /* bytes */
#define ACCOUNT_TOKEN_TTL_VERIFY (48 * 3600)
#define ACCOUNT_TOKEN_TTL_RESET (3600)
#define ACCOUNT_TOKEN_TTL_LOGIN (20 * 60)
#define ACCOUNT_EMAIL_MAX 254     /* bytes (RFC 5321) */

/* The form under which an e-mail address is looked up, and counted by the rate limits, for
 * citizens and agents alike: white space around it dropped, ASCII letters lowercased, into
 * out[ACCOUNT_EMAIL_MAX + 1]. Returns 0, or -1 when it is longer than ACCOUNT_EMAIL_MAX (out
 * then holds its first ACCOUNT_EMAIL_MAX bytes, still good as a rate-limit key). Nothing
 * else is checked: "ALICE@x " and "alice@x" fold alike, and so count as one address. */
int account_email_fold(const char *in, char out[ACCOUNT_EMAIL_MAX + 1]);

/* 1 when token has the shape of a token this module e-mails (base64url, at most 128
 * characters), which is all a page may echo of one; 0 otherwise. Says nothing of whether it
 * exists. */
int account_token_ok(const char *token);

/* Signs up `email` for tenant t: a new unverified account and an e-mail (outbox, in the same
 * transaction) with its verification link. When the address already has an account,
 * nothing is created and that account's owner gets an e-mail saying someone tried (so the
 * answer to the visitor is the same). -1 with ERR_INVALID_ARG naming "email", "password"
 * (too short, too long, too common) or "display_name". base_url prefixes links. The password
 * is hashed on the password pool (core/hasher.h) before the write is queued. */
int account_signup(core *c, const store_tenant *t, const char *email, const char *password,
                   const char *display_name, lang l, const char *base_url, core_done_fn cb,
                   void *ctx, error *err);
/* Consumes a verification token: the account becomes verified. *account_id_out set (may be
 * NULL). With open (session_opening_prepare; may be NULL), the same job logs the account in
 * (session_open_tx), so that the spent link and the session commit together. ERR_NOT_FOUND
 * when the token is unknown or expired, ERR_CONFLICT (arg "token") when it was used already;
 * the same for every token consumed below. Entrances spend tokens only on a POST the person
 * sends, never on the GET of the e-mailed link, which mail scanners follow. */
int account_verify(core *c, int64_t tenant_id, const char *token, session_opening *open,
                   int64_t *account_id_out, core_done_fn cb, void *ctx, error *err);
/* Checks email + password (always spending the Argon2id time, found or not, on the password
 * pool: core/hasher.h), reading only: the session that follows is session_open_account's
 * write. The account is read at once into *out (strings in a); the check follows: cb NULL
 * waits and returns the outcome; otherwise 0 once queued and cb(ctx, rc, err) from the
 * pool's thread, *out and a staying valid until then. Outcome: 0 and *out on success; -1
 * with ERR_UNAUTHORIZED otherwise, or ERR_FORBIDDEN when the address is not verified yet;
 * -1 at once with ERR_UNAVAILABLE (no cb follows) when the pool's queue is full. */
int account_login(core *c, int64_t tenant_id, const char *email, const char *password, arena *a,
                  store_account *out, core_done_fn cb, void *ctx, error *err);
/* Sends a reset link (purpose "reset") or a one-time login link (purpose "login") when the
 * address has an account; does nothing visible otherwise. */
int account_send_link(core *c, const store_tenant *t, const char *email, const char *purpose,
                      lang l, const char *base_url, core_done_fn cb, void *ctx, error *err);
/* Consumes a reset token and sets a new password; every session of the account ends (and
 * open's, when given, begins). ERR_NOT_FOUND (bad token) or ERR_INVALID_ARG "password". The
 * Argon2id hash is made on the password pool before the write is queued. */
int account_reset_password(core *c, int64_t tenant_id, const char *token, const char *password,
                           session_opening *open, int64_t *account_id_out, core_done_fn cb,
                           void *ctx, error *err);
/* Consumes a login-link token (verifying the address as a side effect), opening open's
 * session in the same job when given. */
int account_consume_login(core *c, int64_t tenant_id, const char *token, session_opening *open,
                          int64_t *account_id_out, core_done_fn cb, void *ctx, error *err);
int account_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_account *out,
                error *err);
/* The account of an e-mail address (folded as logins fold it), for an administrator acting
 * on a citizen's request; -1 with ERR_NOT_FOUND when none. */
int account_find(core *c, int64_t tenant_id, const char *email, arena *a, store_account *out,
                 error *err);
/* Updates display name, phone, notification channel (email, sms, none) and language;
 * NULL keeps a field. The account is read inside the job, so that concurrent changes of
 * different fields are all kept. */
int account_update_prefs(core *c, int64_t tenant_id, int64_t id, const char *display_name,
                         const char *phone, const char *notify, const char *lang_code,
                         core_done_fn cb, void *ctx, error *err);

/* Changes account id's password from «Mon compte»: `current` is checked first on the
 * password pool, with a login's Argon2id work (wrong or missing: ERR_UNAUTHORIZED naming
 * "current_password", nothing written); the new one must pass the same rules as at sign-up
 * (ERR_INVALID_ARG naming "password") and is hashed on the pool too. One write job sets it,
 * ends every session of the account and opens `open` (may be NULL) for the browser that
 * asked. cb(ctx, rc, err) once durable. */
int account_change_password(core *c, int64_t tenant_id, int64_t id, const char *current,
                            const char *password, session_opening *open, core_done_fn cb, void *ctx,
                            error *err);

/* What account_delete did. */
typedef struct account_deletion {
    int64_t n_requests;   /* requests that were the account's (not yet anonymised) */
    int64_t n_anonymised; /* of those, the closed ones, anonymised at once */
} account_deletion;

/* The secret whose keyed hash marks the «moi aussi» supports of account `id` (the portal
 * counts them with it; deleting the account removes them with it), in out. */
void account_support_secret(int64_t id, char *out, size_t size);

/* Deletes account id of collectivité t for `who`: the citizen themselves (ACTOR_CITIZEN
 * with their account id) or an agent on the citizen's request; who's labels and source go
 * to the timeline and the audit log (NULL: an anonymous citizen). password: the citizen's
 * own, checked first on the password pool with the same Argon2id work as a login (wrong
 * or missing: ERR_UNAUTHORIZED, nothing written); NULL when an administrator does it. One
 * write job reads the account again (gone meanwhile: ERR_NOT_FOUND), removes it, its
 * sessions, tokens, «moi aussi» key and the e-mails addressed to it alone, detaches its
 * requests (those of its id, and those filed with its address once verified) marking each
 * for erasure with an internal «account_deleted» event, and records the audit entry
 * (action "delete", kind "account") in the same transaction; then the closed ones are
 * erased by the system (request_erase_due; a failure there is logged and left to the next
 * retention pass: the deletion still succeeds). The open ones keep their contact details,
 * so that the mairie can still answer, and are anonymised by the first retention pass
 * after they are closed. cb NULL waits (command line, tests); otherwise 0 once queued and
 * cb(ctx, rc, err) once the deletion and the erasure are durable (writer thread). *out (may
 * be NULL) and t must stay valid until then. */
int account_delete(core *c, const cat_tenant *t, int64_t id, const char *password,
                   const core_actor *who, account_deletion *out, core_done_fn cb, void *ctx,
                   error *err);

/* Deletes the tenant's single-use codes and links (e-mail confirmation, password reset,
 * login link, phone verification code) expired at `now`, used or not: once expired, none
 * can serve again, and each names its account. For the retention pass; *n (may be NULL)
 * how many went. */
int account_tokens_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err);

#endif

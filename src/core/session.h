/*
 * session — logged-in sessions: a 32-byte random cookie value, stored as its keyed hash,
 * with an idle timeout and an absolute lifetime. A new session is made at every login (the
 * old one is destroyed), so a session id can never be fixed by an attacker. Citizens' and
 * agents' sessions are opened by the one path below (session_opening), inside the write
 * job that proves who logs in.
 */
#ifndef GUICHET_CORE_SESSION_H
#define GUICHET_CORE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define SESSION_IDLE_SECONDS (2 * 3600)
#define SESSION_MAX_SECONDS (12 * 3600)
#define SESSION_TOKEN_LEN 64 /* buffer for the cookie value */
#define SESSION_HASH_LEN 65  /* keyed hash of a cookie value, hex, and its NUL */

/* A session to open: made on the caller's thread (a fresh cookie value, its keyed hash and
 * the hash of the browser's previous session), written by session_open_tx inside the job of
 * the change that logs someone in, so that the proof (a password, a link, a second factor)
 * and the session commit together or not at all. The caller owns it and keeps it valid
 * until the job's outcome; it sets the cookie from token once the job succeeded. */
typedef struct session_opening {
    char token[SESSION_TOKEN_LEN]; /* the new cookie value */
    char hash[SESSION_HASH_LEN];
    char old_hash[SESSION_HASH_LEN]; /* "": no previous session to end */
    int64_t now;
} session_opening;

/* Fills o with a fresh cookie value; old_token (may be NULL) is the browser's current
 * session cookie, ended by the same job. */
void session_opening_prepare(core *c, const char *old_token, session_opening *o);
/* Wipes the cookie value (after a failure, or once the cookie is set). */
void session_opening_wipe(session_opening *o);
/* Inside a write job: ends o's previous session and inserts the new one, of account_id or
 * agent_id (exactly one non-zero), ending max_seconds after o->now. */
int session_open_tx(store *s, int64_t tenant_id, const session_opening *o, int64_t account_id,
                    int64_t agent_id, int64_t max_seconds, error *err);

/* Opens a session for account_id (a password checked by account_login): one write job.
 * With cb, returns at once and cb follows the commit; with cb NULL, waits. */
int session_open_account(core *c, int64_t tenant_id, int64_t account_id, session_opening *o,
                         core_done_fn cb, void *ctx, error *err);
/* The same, waiting, with no previous session: writes the cookie value into token_out. */
int session_create(core *c, int64_t tenant_id, int64_t account_id,
                   char token_out[SESSION_TOKEN_LEN], error *err);
/* The live session of cookie value `token` and its account (strings in a). -1 with
 * ERR_UNAUTHORIZED when unknown or expired (an expired one is deleted). Refreshes
 * last_seen_at at most every few minutes, without waiting for the write. */
int session_lookup(core *c, int64_t tenant_id, const char *token, arena *a, store_session *out,
                   store_account *account, error *err);
/* Ends the session of cookie value `token` (logout); unknown tokens are not an error. With
 * cb, returns at once and cb follows the commit; with cb NULL, waits. */
int session_destroy(core *c, int64_t tenant_id, const char *token, core_done_fn cb, void *ctx,
                    error *err);

#endif

/*
 * session — logged-in sessions: a 32-byte random cookie value, stored as its keyed hash,
 * with an idle timeout and an absolute lifetime. A new session is made at every login (the
 * old one is destroyed), so a session id can never be fixed by an attacker.
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

/* Creates a session for account_id; writes the cookie value into token_out. */
int session_create(core *c, int64_t tenant_id, int64_t account_id,
                   char token_out[SESSION_TOKEN_LEN], error *err);
/* The live session of cookie value `token` and its account (strings in a). -1 with
 * ERR_UNAUTHORIZED when unknown or expired (an expired one is deleted). Refreshes
 * last_seen_at at most every few minutes, without waiting for the write. */
int session_lookup(core *c, int64_t tenant_id, const char *token, arena *a, store_session *out,
                   store_account *account, error *err);
/* Ends the session of cookie value `token` (logout); unknown tokens are not an error. */
int session_destroy(core *c, int64_t tenant_id, const char *token, error *err);

#endif

/*
 * reply_token — the tag that routes a citizen's e-mail answer back to its request: the
 * Reply-To of every message about a request is "<local>+<token>@<domain>", and the mailgate
 * reads the token back from the address the answer was sent to. A token is the request's
 * reference and a MAC of it keyed by the instance secret, so that it needs no row, cannot be
 * made for another request (references are guessable), and survives an MTA that lowercases
 * addresses: "2026-000123.9f3a0c1d2e4b5a67".
 */
#ifndef GUICHET_CORE_REPLY_TOKEN_H
#define GUICHET_CORE_REPLY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define REPLY_TOKEN_MAC_LEN 16 /* hex characters: 64 bits */
#define REPLY_TOKEN_REF_MAX 32 /* bytes of the longest reference a token carries */
/* Bytes of the longest token, NUL included. */
#define REPLY_TOKEN_MAX (REPLY_TOKEN_REF_MAX + 1 + REPLY_TOKEN_MAC_LEN + 1)

/* Writes the token of a request of tenant_id into out (cap bytes; REPLY_TOKEN_MAX is always
 * enough). 0, or -1 when the reference is empty, too long, holds characters an address's
 * local part cannot carry unquoted, or out is too small. */
int reply_token_make(const core *c, int64_t tenant_id, const char *reference, char *out,
                     size_t cap);

/* Checks a token read from an address (case does not matter): 0 and its reference in
 * reference (cap bytes) when its MAC is the one reply_token_make gives for tenant_id, -1
 * otherwise (malformed, forged, made for another collectivité or under another secret). */
int reply_token_check(const core *c, int64_t tenant_id, const char *token, char *reference,
                      size_t cap);

#endif

/*
 * phone_verify — an account's phone number verified by a code sent to it by SMS: the citizen
 * asks for a code on their account page, types the six digits back, and the number is
 * verified (accounts.phone_verified_at) until it changes. Only a verified number may link
 * what comes by SMS to an account; the SMS entrance's replies keep matching the requests'
 * own numbers. The code is a single-use token (purpose "phone", kept as a keyed hash bound to
 * the account and the number), expiring after PHONE_CODE_TTL_S; wrong entries are counted
 * (code_failures, scope "phone") and bounded per code.
 */
#ifndef GUICHET_CORE_PHONE_VERIFY_H
#define GUICHET_CORE_PHONE_VERIFY_H

#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define PHONE_CODE_DIGITS 6
#define PHONE_CODE_TTL_S 600  /* ten minutes */
#define PHONE_CODE_ATTEMPTS 5 /* wrong entries before a new code is needed */

/* 1 when s is PHONE_CODE_DIGITS digits (blanks around and between allowed: «123 456»);
 * the digits into out (PHONE_CODE_DIGITS + 1 bytes). */
int phone_code_read(const char *s, char *out);

/* Sends a new code to account_id's number (an earlier one stays valid until it expires;
 * the count of wrong entries starts again): the token and the SMS (template phone_code) in
 * one write. ERR_NOT_FOUND (no such account), ERR_MISSING_ARG "phone" (no number in
 * E.164), ERR_CONFLICT "phone_verified" (verified already), ERR_CONFLICT "phone" (the
 * number changed meanwhile). Asynchronous: cb NULL waits. */
int phone_verify_send(core *c, int64_t tenant_id, int64_t account_id, core_done_fn cb, void *ctx,
                      error *err);

/* What a code typed back did. */
typedef enum phone_verify_outcome {
    PHONE_VERIFIED = 0, /* the number is verified */
    PHONE_CODE_WRONG,   /* not the code sent (or expired, or used): counted */
    PHONE_CODE_SPENT,   /* PHONE_CODE_ATTEMPTS wrong entries: a new code is needed */
    PHONE_CODE_EXPIRED, /* the code's time is over (where it can be told): a new one is needed */
} phone_verify_outcome;

/* ---- the code itself, for every check of a number by SMS (an account's here, a broadcast
 * subscription's in core/broadcast) ---- */

/* A new random code of PHONE_CODE_DIGITS digits into out. */
void phone_code_new(char out[PHONE_CODE_DIGITS + 1]);
/* The keyed hash of code sent to phone for subject (an account's id in decimal, or another
 * module's prefixed handle): a code sent to another number, or for another subject, is
 * never this one. */
void phone_code_hash(const core *c, const char *subject, const char *phone, const char *code,
                     char out[65]);
/* Inside a write job: queues code to phone (the SMS of template phone_code, in lang_code "fr" or
 * "en") and starts the count of wrong entries of key (scope "phone") again. */
int phone_code_send_tx(store *s, int64_t tenant_id, const char *key, const char *phone,
                       const char *code, const char *lang_code, error *err);
/* Inside a write job: a code typed for key. PHONE_CODE_SPENT at once when key has had
 * PHONE_CODE_ATTEMPTS wrong entries; otherwise match(s, arg, &matched, err) spends the code
 * when it is the one sent (matched 1: PHONE_VERIFIED, the count cleared) or not (0:
 * PHONE_CODE_WRONG, or PHONE_CODE_SPENT at the last attempt; counted, and the count commits
 * with the job). *out the outcome. */
typedef int (*phone_code_match_fn)(store *s, void *arg, int *matched, error *err);
int phone_code_attempt_tx(store *s, int64_t tenant_id, const char *key, phone_code_match_fn match,
                          void *arg, phone_verify_outcome *out, error *err);

/* Checks `code` (phone_code_read's digits) for account_id's current number; *out the
 * outcome, set before cb(ctx, 0, NULL). ERR_INVALID_ARG "code" at once when not six digits,
 * ERR_NOT_FOUND (no account), ERR_MISSING_ARG "phone" (no number). out must stay valid until
 * cb. */
int phone_verify_check(core *c, int64_t tenant_id, int64_t account_id, const char *code,
                       phone_verify_outcome *out, core_done_fn cb, void *ctx, error *err);

/* The account whose verified number is phone (E.164) into *account_id, 0 when none: the only
 * way an inbound SMS may name an account. */
int phone_verified_account(core *c, int64_t tenant_id, const char *phone, int64_t *account_id,
                           error *err);

#endif

/*
 * short_code — the short tracking code a citizen can read over the phone or copy from a
 * receipt: 8 characters from an alphabet without look-alikes, the forms people type it in
 * (any case, spaces and dashes), its grouped display, its keyed hash (the only form kept),
 * and the delay that grows after wrong entries. Pure functions; request_code.c applies them.
 */
#ifndef GUICHET_CORE_SHORT_CODE_H
#define GUICHET_CORE_SHORT_CODE_H

#include <stdint.h>

#include "core/core.h"
#include "store/records.h"

#define SHORT_CODE_LEN 8
/* Digits 2-9 and 18 capitals. Left out, because people read or hear them as others: 0 O
 * (and Q's tail is kept, never an O), 1 I L, 2 Z, 5 S, 8 B, 6 G, U (V), and G/J, which
 * French speakers swap when spelling. 26^8 ≈ 2·10^11 codes (37.6 bits). */
#define SHORT_CODE_ALPHABET "23456789ACDEFHJKMNPQRTVWXY"
/* Room for a displayed code: two groups of 4 and a dash ("K7QM-4TXH"), and the NUL. */
#define SHORT_CODE_DISPLAY_SIZE (SHORT_CODE_LEN + 2)
/* Longest typed form looked at (bytes): blanks and dashes between characters included. */
#define SHORT_CODE_TYPED_MAX 64

/* A new random code (SHORT_CODE_LEN characters of the alphabet and a NUL). */
void short_code_new(char out[SHORT_CODE_LEN + 1]);
/* The code `typed` stands for: letters in any case; spaces, tabs, no-break spaces and
 * dashes (ASCII or typographic) anywhere are ignored. 0 and out (canonical: capitals), or
 * -1 when what is left is not SHORT_CODE_LEN characters of the alphabet. */
int short_code_normalise(const char *typed, char out[SHORT_CODE_LEN + 1]);
/* The canonical `code` as displayed, in two groups of four: "K7QM-4TXH". */
void short_code_format(const char *code, char out[SHORT_CODE_DISPLAY_SIZE]);
/* The keyed BLAKE2b (instance secret) of canonical `code` for request request_id of
 * tenant_id, as 64 hex characters and a NUL. The request's id is in the hash, so that one
 * code gives a different hash on every request: whoever holds the database and the secret
 * must still try every code for each request separately. */
void short_code_hash(const core *c, int64_t tenant_id, int64_t request_id, const char *code,
                     char out[65]);

/* ---- the delay after wrong entries ----
 * After n wrong entries (n ≥ 1) counted under a key, the next entry under that key is looked
 * at only SHORT_CODE_DELAY_FIRST · 2^(n-1) seconds after the last one, up to the key's
 * ceiling: the reference's is lower than the address's, so that a stranger typing wrong codes
 * for someone else's (public) reference can make its owner wait a quarter of an hour at
 * most, never lock them out. A count is forgotten SHORT_CODE_FORGET_AFTER seconds after its
 * last failure. */
#define SHORT_CODE_DELAY_FIRST 2
#define SHORT_CODE_DELAY_MAX_REFERENCE 900
#define SHORT_CODE_DELAY_MAX_ADDRESS 3600
#define SHORT_CODE_FORGET_AFTER 86400

/* The delay after `failures` wrong entries, at most `ceiling` seconds; 0 for none. */
int64_t short_code_delay(int failures, int64_t ceiling);
/* Seconds still to wait at `now` under count f with that ceiling; 0 when none (no failure,
 * the delay over, or the count forgotten). */
int64_t short_code_wait(const store_code_failures *f, int64_t ceiling, int64_t now);
/* Count f after one more wrong entry at now (a forgotten count starts again at 1). */
store_code_failures short_code_failed(const store_code_failures *f, int64_t now);

#endif

/*
 * phone — telephone numbers as people type them, in one stored form: E.164 ("+33612345678").
 * French numbers are accepted in every usual way (06 12 34 56 78, +33 6…, 0033 6…, +33 (0)6…,
 * the overseas departments by their own country code) through util/fr_ids; other countries
 * in their international form (+CC…, 00CC…). Each refusal says what is wrong.
 */
#ifndef GUICHET_UTIL_PHONE_H
#define GUICHET_UTIL_PHONE_H

#include <stddef.h>

#include "util/error.h"

/* An E.164 number: "+", at most 15 digits, NUL. */
#define PHONE_E164_MAX 17

typedef enum phone_problem {
    PHONE_OK = 0,
    PHONE_EMPTY,       /* nothing but blanks */
    PHONE_CHARACTERS,  /* a character other than digits, blanks, . - ( ) and a leading + */
    PHONE_LENGTH,      /* a French number of `got` digits instead of 10 */
    PHONE_PREFIX,      /* a national number starting 00 without a country, or 0 then 0 */
    PHONE_COUNTRY,     /* an international number whose country code starts with 0 */
    PHONE_INTL_LENGTH, /* an international number of `got` digits, not 8 to 15 */
    PHONE_PROBLEM_COUNT
} phone_problem;

typedef struct phone_result {
    phone_problem problem;
    int got; /* PHONE_LENGTH, PHONE_INTL_LENGTH: the digits counted */
} phone_result;

/* Normalises in (UTF-8, NUL-terminated) into out ("+33612345678"; "+262692123456" for a
 * number of La Réunion; "+4915112345678"). 0 on success; -1 with *r saying why, out "". */
int phone_e164(const char *in, char out[PHONE_E164_MAX], phone_result *r);

/* phone_e164 for a number given to core: -1 with ERR_INVALID_ARG on arg "phone" (its detail
 * names the problem, in English, for logs and API clients; pages word it again from
 * phone_e164's result). */
int phone_normalise(const char *in, char out[PHONE_E164_MAX], error *err);

/* 1 when s is already in the stored form ("+" and 8 to 15 digits, the first not 0). */
int phone_is_e164(const char *s);

/* A stable name of a problem for message keys ("length", "country"…); "" for PHONE_OK. */
const char *phone_problem_name(phone_problem p);

#endif

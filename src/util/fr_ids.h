/*
 * fr_ids — French identifiers as people type them: SIREN, SIRET (Luhn), IBAN (ISO 13616
 * mod 97, and the RIB key of French ones), code postal and telephone number. Each check says
 * precisely what is wrong (for a message that tells the citizen what to fix) and writes the
 * value in one normalised form.
 */
#ifndef GUICHET_UTIL_FR_IDS_H
#define GUICHET_UTIL_FR_IDS_H

#include <stddef.h>

typedef enum fr_id_kind {
    FR_ID_SIREN = 0,
    FR_ID_SIRET,
    FR_ID_IBAN,
    FR_ID_CODE_POSTAL,
    FR_ID_TELEPHONE,
    FR_ID_KIND_COUNT
} fr_id_kind;

typedef enum fr_id_problem {
    FR_ID_OK = 0,
    FR_ID_EMPTY,          /* nothing but blanks */
    FR_ID_CHARACTERS,     /* a character that has no place in it (only digits, blanks, . -) */
    FR_ID_LENGTH,         /* got digits (characters for an IBAN) where want are needed */
    FR_ID_CHECKSUM,       /* SIREN/SIRET Luhn key, IBAN mod 97 check digits */
    FR_ID_IBAN_COUNTRY,   /* country: no IBAN country this module knows */
    FR_ID_RIB_KEY,        /* a French IBAN whose RIB key (last two digits) is wrong */
    FR_ID_POSTCODE_AREA,  /* the first digits name no département nor overseas territory */
    FR_ID_POSTCODE_CORSE, /* 2A or 2B: département numbers, never in postcodes (20…) */
    FR_ID_PHONE_PREFIX,   /* not a French number: 00…, a foreign country code, 0 then 0 */
    FR_ID_PROBLEM_COUNT
} fr_id_problem;

typedef struct fr_id_result {
    fr_id_problem problem;
    int got, want;   /* FR_ID_LENGTH */
    char country[3]; /* FR_ID_IBAN_COUNTRY, FR_ID_LENGTH of an IBAN: its first two letters */
} fr_id_result;

/* The longest normalised value, with its NUL (an IBAN is at most 34 characters). */
#define FR_ID_OUT_MAX 40

/* Checks value (UTF-8, NUL-terminated, read whole) as kind. Blanks (space, tab, no-break and
 * narrow no-break spaces) are allowed anywhere, and '.' and '-' between digits of numbers.
 * 0 with the normalised value in out (FR_ID_OUT_MAX bytes): SIREN and SIRET as their 9 or 14
 * digits; an IBAN in ISO 13616's electronic format, upper case without blanks
 * ("FR7630006000011234567890189"); a code postal as its 5 digits; a telephone number in E.164
 * ("+33612345678"; a French overseas number by its own country code, "+262692123456").
 * -1 with *r saying what is wrong. */
int fr_id_check(fr_id_kind kind, const char *value, char out[FR_ID_OUT_MAX], fr_id_result *r);

/* The IBAN length of a country ("FR": 27), 0 for a country not in the table (SEPA's). */
int fr_iban_length(const char *country);

/* Luhn check of a string of decimal digits: 1 when valid. */
int fr_luhn_ok(const char *digits);

/* A stable name of a problem for message keys ("length", "checksum"…). */
const char *fr_id_problem_name(fr_id_problem p);

#endif

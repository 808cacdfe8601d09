/*
 * fr_ids — SIREN/SIRET (INSEE: Luhn key), IBAN (ISO 13616 and ECBS's mod 97-10, the French
 * RIB key), code postal (La Poste), telephone (ARCEP's numbering plan).
 */
#include "util/fr_ids.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIGNIFICANT_MAX 64 /* characters kept of a value; more are only counted */

static const char *const problem_names[FR_ID_PROBLEM_COUNT] = {
    [FR_ID_OK] = "",
    [FR_ID_EMPTY] = "empty",
    [FR_ID_CHARACTERS] = "characters",
    [FR_ID_LENGTH] = "length",
    [FR_ID_CHECKSUM] = "checksum",
    [FR_ID_IBAN_COUNTRY] = "iban_country",
    [FR_ID_RIB_KEY] = "rib_key",
    [FR_ID_POSTCODE_AREA] = "postcode_area",
    [FR_ID_POSTCODE_CORSE] = "postcode_corse",
    [FR_ID_PHONE_PREFIX] = "phone_prefix",
};

const char *fr_id_problem_name(fr_id_problem p)
{
    return p >= 0 && p < FR_ID_PROBLEM_COUNT ? problem_names[p] : "";
}

/* IBAN lengths of the SEPA countries and territories (SWIFT's IBAN registry). */
static const struct {
    char country[3];
    int length;
} iban_lengths[] = {
    {"AD", 24}, {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FR", 27}, {"GB", 22}, {"GI", 23}, {"GR", 27},
    {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IS", 26}, {"IT", 27}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"MC", 27}, {"MT", 31}, {"NL", 18}, {"NO", 15}, {"PL", 28}, {"PT", 25}, {"RO", 24},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"VA", 22},
};

int fr_iban_length(const char *country)
{
    for (size_t i = 0; i < sizeof iban_lengths / sizeof iban_lengths[0]; i++)
        if (strcmp(iban_lengths[i].country, country) == 0)
            return iban_lengths[i].length;
    return 0;
}

int fr_luhn_ok(const char *digits)
{
    size_t n = strlen(digits);
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digits[n - 1 - i] - '0';
        if (d < 0 || d > 9)
            return 0;
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return n > 0 && sum % 10 == 0;
}

static int fail(fr_id_result *r, fr_id_problem p, int got, int want)
{
    r->problem = p;
    r->got = got;
    r->want = want;
    return -1;
}

/* Length of a blank at s (space, tab, U+00A0, U+202F), 0 when s is not one. */
static size_t blank_at(const char *s)
{
    if (*s == ' ' || *s == '\t')
        return 1;
    if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0xAF)
        return 3;
    return 0;
}

/* The significant characters of value into sig (letters upper-cased), blanks and the bytes
 * of separators dropped; *count is how many there were (also beyond SIGNIFICANT_MAX). -1
 * when value has a character that is neither significant, a blank nor in separators. */
static int collect(const char *value, int letters, const char *separators,
                   char sig[SIGNIFICANT_MAX + 1], int *count)
{
    /* The whole value is read, however long (callers bound it: a question's answer has at
     * most ATTR_STRING_MAX characters): a character past a cut could be one it may not have. */
    size_t len = strlen(value);
    int n = 0;
    for (size_t i = 0; i < len;) {
        char c = value[i];
        size_t b = blank_at(value + i);
        if (b) {
            i += b;
            continue;
        }
        if (c >= 'a' && c <= 'z' && letters)
            c = (char)(c - 'a' + 'A');
        if ((c >= '0' && c <= '9') || (letters && c >= 'A' && c <= 'Z') ||
            (c == '+' && strchr(separators, '+') && n == 0)) {
            if (n < SIGNIFICANT_MAX)
                sig[n] = c;
            if (n < INT32_MAX)
                n++;
        } else if (c == '+' || c == '\0' || !strchr(separators, c)) {
            return -1;
        }
        i++;
    }
    sig[n < SIGNIFICANT_MAX ? n : SIGNIFICANT_MAX] = '\0';
    *count = n;
    return 0;
}

/* out = a b c, cut to FR_ID_OUT_MAX - 1 bytes (never reached: callers checked lengths). */
static void put(char *out, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    const char *const parts[] = {a, b, c};
    for (size_t i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p && n < FR_ID_OUT_MAX - 1; p++)
            out[n++] = *p;
    out[n] = '\0';
}

static int all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* SIREN 356000000 is La Poste's: its establishments' SIRET have no Luhn key, the sum of
 * their 14 digits is a multiple of 5 instead (INSEE); its head office's has one. */
static int laposte_siret_ok(const char *d)
{
    if (strncmp(d, "356000000", 9) != 0)
        return 0;
    int sum = 0;
    for (const char *p = d; *p; p++)
        sum += *p - '0';
    return sum % 5 == 0;
}

static int check_siren_siret(int want, const char *value, char *out, fr_id_result *r)
{
    char d[SIGNIFICANT_MAX + 1];
    int n;
    if (collect(value, 0, ".-", d, &n) != 0)
        return fail(r, FR_ID_CHARACTERS, 0, want);
    if (n == 0)
        return fail(r, FR_ID_EMPTY, 0, want);
    if (n != want || !all_digits(d))
        return fail(r, FR_ID_LENGTH, n, want);
    if (!fr_luhn_ok(d) && !(want == 14 && laposte_siret_ok(d)))
        return fail(r, FR_ID_CHECKSUM, n, want);
    put(out, d, "", "");
    return 0;
}

/* The remainder mod 97 of the number written by s, letters counting as 10 (A) to 35 (Z). */
static int mod97(const char *s)
{
    int m = 0;
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            int v = *s - 'A' + 10;
            m = (m * 100 + v) % 97;
        } else {
            m = (m * 10 + (*s - '0')) % 97;
        }
    }
    return m;
}

/* The RIB key of a French BBAN (banque 5, guichet 5, compte 11, clé 2): 97 minus
 * (89 banque + 15 guichet + 3 compte) mod 97, the account's letters counted as the digits
 * 1-9 of the old telegraphic transcription (A,J 1; B,K,S 2; … I,R,Z 9). 1 when right. */
static int rib_key_ok(const char *bban)
{
    int64_t bank = 0, branch = 0, account = 0;
    for (int i = 0; i < 5; i++) {
        if (bban[i] < '0' || bban[i] > '9' || bban[5 + i] < '0' || bban[5 + i] > '9')
            return 0;
        bank = bank * 10 + (bban[i] - '0');
        branch = branch * 10 + (bban[5 + i] - '0');
    }
    for (int i = 10; i < 21; i++) {
        char c = bban[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'S' ? (c - 'S') % 9 + 2 : (c - 'A') % 9 + 1;
        account = account * 10 + v;
    }
    if (bban[21] < '0' || bban[21] > '9' || bban[22] < '0' || bban[22] > '9')
        return 0;
    int key = (bban[21] - '0') * 10 + (bban[22] - '0');
    return 97 - (int)((89 * bank + 15 * branch + 3 * account) % 97) == key;
}

static int check_iban(const char *value, char *out, fr_id_result *r)
{
    char s[SIGNIFICANT_MAX + 1];
    int n;
    if (collect(value, 1, "", s, &n) != 0)
        return fail(r, FR_ID_CHARACTERS, 0, 0);
    if (n == 0)
        return fail(r, FR_ID_EMPTY, 0, 0);
    snprintf(r->country, sizeof r->country, "%.2s", s);
    int want = n >= 2 ? fr_iban_length(r->country) : 0;
    if (want == 0)
        return fail(r, FR_ID_IBAN_COUNTRY, n, 0);
    if (n != want)
        return fail(r, FR_ID_LENGTH, n, want);
    if (s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9')
        return fail(r, FR_ID_CHECKSUM, n, want);
    /* ISO 7064 mod 97-10: the country and check digits moved to the end, the whole is 1. */
    char moved[SIGNIFICANT_MAX + 1];
    snprintf(moved, sizeof moved, "%s%.4s", s + 4, s);
    if (mod97(moved) != 1)
        return fail(r, FR_ID_CHECKSUM, n, want);
    /* Monaco's banks use the French BBAN too. */
    if ((strcmp(r->country, "FR") == 0 || strcmp(r->country, "MC") == 0) && !rib_key_ok(s + 4))
        return fail(r, FR_ID_RIB_KEY, n, want);
    put(out, s, "", "");
    return 0;
}

/* A code postal's first three digits name a place: 01-95 in metropolitan France (Corsica
 * is 20, never 2A or 2B), 971-978 for the overseas départements and collectivités, 980
 * (Monaco, in the French system), 984 (TAAF), 986-988 (Wallis-et-Futuna, Polynésie,
 * Nouvelle-Calédonie). */
static int postcode_area_ok(const char *d)
{
    int two = (d[0] - '0') * 10 + (d[1] - '0');
    if (two >= 1 && two <= 95)
        return 1;
    if (two == 97)
        return d[2] >= '1' && d[2] <= '8';
    if (two == 98)
        return strchr("04678", d[2]) != NULL;
    return 0;
}

static int check_postcode(const char *value, char *out, fr_id_result *r)
{
    char d[SIGNIFICANT_MAX + 1];
    int n;
    char two[3] = {0};
    const char *p = value;
    while (blank_at(p))
        p += blank_at(p);
    snprintf(two, sizeof two, "%.2s", p);
    if (two[0] == '2' && two[1] && strchr("AaBb", two[1]))
        return fail(r, FR_ID_POSTCODE_CORSE, 0, 5);
    if (collect(value, 0, "", d, &n) != 0)
        return fail(r, FR_ID_CHARACTERS, 0, 5);
    if (n == 0)
        return fail(r, FR_ID_EMPTY, 0, 5);
    if (n != 5)
        return fail(r, FR_ID_LENGTH, n, 5);
    if (!postcode_area_ok(d))
        return fail(r, FR_ID_POSTCODE_AREA, n, 5);
    put(out, d, "", "");
    return 0;
}

/* Overseas départements have their own country codes: their national numbers (0 and nine
 * digits, as in metropolitan France) go to E.164 by their first three digits (ARCEP). */
static const struct {
    char prefix[4];
    char code[4];
} overseas[] = {
    {"262", "262"}, {"263", "262"}, {"692", "262"}, {"693", "262"}, /* La Réunion */
    {"269", "262"}, {"639", "262"},                                 /* Mayotte */
    {"590", "590"}, {"690", "590"}, {"691", "590"}, /* Guadeloupe, St-Barthélemy, St-Martin */
    {"594", "594"}, {"694", "594"},                 /* Guyane */
    {"596", "596"}, {"696", "596"}, {"697", "596"}, /* Martinique */
};

static const char *overseas_code(const char *nine)
{
    for (size_t i = 0; i < sizeof overseas / sizeof overseas[0]; i++)
        if (strncmp(nine, overseas[i].prefix, 3) == 0)
            return overseas[i].code;
    return NULL;
}

static int check_phone(const char *value, char *out, fr_id_result *r)
{
    char d[SIGNIFICANT_MAX + 1];
    int n;
    if (collect(value, 0, ".-()+", d, &n) != 0)
        return fail(r, FR_ID_CHARACTERS, 0, 10);
    if (n == 0)
        return fail(r, FR_ID_EMPTY, 0, 10);
    const char *digits = d;
    int international = 0;
    if (d[0] == '+') {
        digits = d + 1;
        international = 1;
    } else if (strncmp(d, "00", 2) == 0) {
        digits = d + 2;
        international = 1;
    }
    if (!all_digits(digits))
        return fail(r, FR_ID_CHARACTERS, 0, 10);
    if (international) {
        int cc33 = strncmp(digits, "33", 2) == 0;
        const char *code = cc33 ? "33" : overseas_code(digits);
        if (!code || (!cc33 && strncmp(code, digits, 3) != 0))
            return fail(r, FR_ID_PHONE_PREFIX, 0, 10);
        const char *national = digits + strlen(code);
        if (*national == '0') /* "+33 (0)6…": the trunk 0 written anyway */
            national++;
        int got = (int)strlen(national) + 1;
        if (got != 10)
            return fail(r, FR_ID_LENGTH, got, 10);
        if (*national == '0')
            return fail(r, FR_ID_PHONE_PREFIX, got, 10);
        /* "+33 692…" is a number of La Réunion written with the metropolitan code. */
        if (cc33 && overseas_code(national))
            code = overseas_code(national);
        put(out, "+", code, national);
        return 0;
    }
    if (n != 10)
        return fail(r, FR_ID_LENGTH, n, 10);
    if (d[0] != '0' || d[1] == '0')
        return fail(r, FR_ID_PHONE_PREFIX, n, 10);
    const char *code = overseas_code(d + 1);
    put(out, "+", code ? code : "33", d + 1);
    return 0;
}

int fr_id_check(fr_id_kind kind, const char *value, char out[FR_ID_OUT_MAX], fr_id_result *r)
{
    memset(r, 0, sizeof *r);
    out[0] = '\0';
    switch (kind) {
    case FR_ID_SIREN:
        return check_siren_siret(9, value, out, r);
    case FR_ID_SIRET:
        return check_siren_siret(14, value, out, r);
    case FR_ID_IBAN:
        return check_iban(value, out, r);
    case FR_ID_CODE_POSTAL:
        return check_postcode(value, out, r);
    case FR_ID_TELEPHONE:
        return check_phone(value, out, r);
    default:
        return fail(r, FR_ID_CHARACTERS, 0, 0);
    }
}

/*
 * phone — E.164 normalisation. French numbers go through util/fr_ids (one reading of the
 * ARCEP numbering plan for form answers and contact numbers alike); what fr_ids refuses as
 * not French but is written internationally is taken as another country's number.
 */
#include "util/phone.h"

#include <string.h>

#include "util/fr_ids.h"

#define E164_DIGITS_MIN 8 /* the shortest numbers in service (country code included) */
#define E164_DIGITS_MAX 15

static const char *const problem_names[PHONE_PROBLEM_COUNT] = {
    [PHONE_OK] = "",
    [PHONE_EMPTY] = "empty",
    [PHONE_CHARACTERS] = "characters",
    [PHONE_LENGTH] = "length",
    [PHONE_PREFIX] = "prefix",
    [PHONE_COUNTRY] = "country",
    [PHONE_INTL_LENGTH] = "intl_length",
};

const char *phone_problem_name(phone_problem p)
{
    return p >= 0 && p < PHONE_PROBLEM_COUNT ? problem_names[p] : "";
}

static int fail(phone_result *r, char *out, phone_problem p, int got)
{
    r->problem = p;
    r->got = got;
    out[0] = '\0';
    return -1;
}

/* A number fr_ids found made of allowed characters but not French: when written with "+" or
 * "00", another country's. Its digits (after "00") go to out behind a "+". */
static int foreign(const char *in, char out[PHONE_E164_MAX], phone_result *r)
{
    const char *p = in;
    while (*p && !(*p >= '0' && *p <= '9') && *p != '+')
        p++;
    int plus = *p == '+', zeros = 0, n = 0;
    if (!plus) {
        /* "00" then the country: the two zeros are the international prefix, not digits of
         * the number. A national number starting "00" is what fr_ids refused. */
        for (const char *q = p; *q && zeros < 2; q++)
            if (*q >= '0' && *q <= '9') {
                if (*q != '0')
                    return fail(r, out, PHONE_PREFIX, 0);
                zeros++;
            }
        if (zeros < 2)
            return fail(r, out, PHONE_PREFIX, 0);
    }
    out[0] = '+';
    int skip = zeros;
    for (; *p; p++) {
        if (!(*p >= '0' && *p <= '9'))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if (n == 0 && *p == '0')
            return fail(r, out, PHONE_COUNTRY, 0);
        if (n < E164_DIGITS_MAX)
            out[1 + n] = *p;
        if (n < 1000)
            n++;
    }
    if (n < E164_DIGITS_MIN || n > E164_DIGITS_MAX)
        return fail(r, out, PHONE_INTL_LENGTH, n);
    out[1 + n] = '\0';
    r->problem = PHONE_OK;
    return 0;
}

int phone_e164(const char *in, char out[PHONE_E164_MAX], phone_result *r)
{
    memset(r, 0, sizeof *r);
    out[0] = '\0';
    if (!in)
        return fail(r, out, PHONE_EMPTY, 0);
    char fr[FR_ID_OUT_MAX];
    fr_id_result fr_r;
    if (fr_id_check(FR_ID_TELEPHONE, in, fr, &fr_r) == 0) {
        if (strlen(fr) >= PHONE_E164_MAX)
            return fail(r, out, PHONE_LENGTH, (int)strlen(fr));
        memcpy(out, fr, strlen(fr) + 1);
        return 0;
    }
    switch (fr_r.problem) {
    case FR_ID_EMPTY:
        return fail(r, out, PHONE_EMPTY, 0);
    case FR_ID_LENGTH:
        return fail(r, out, PHONE_LENGTH, fr_r.got);
    case FR_ID_PHONE_PREFIX:
        return foreign(in, out, r);
    default:
        return fail(r, out, PHONE_CHARACTERS, 0);
    }
}

int phone_normalise(const char *in, char out[PHONE_E164_MAX], error *err)
{
    phone_result r;
    if (phone_e164(in, out, &r) == 0)
        return 0;
    return error_set(err, ERR_INVALID_ARG, "phone", "not a phone number (%s)",
                     phone_problem_name(r.problem));
}

int phone_is_e164(const char *s)
{
    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return 0;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return 0;
    return n >= E164_DIGITS_MIN && n <= E164_DIGITS_MAX;
}

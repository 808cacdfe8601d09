/*
 * fuzz_fr_ids — the French identifiers (util/fr_ids) on arbitrary bytes, as every kind.
 * Checks what attrs and the portal rely on: an accepted value is written in its normalised
 * form (digits only for SIREN, SIRET and code postal, at their lengths; an IBAN of its
 * country's length, upper case; a telephone number "+" and digits) that is accepted again
 * unchanged; a refusal says why, and a length problem counts what it found.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/fr_ids.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static int only(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

static void check_normal(fr_id_kind kind, const char *out)
{
    size_t n = strlen(out);
    CHECK(n < FR_ID_OUT_MAX);
    switch (kind) {
    case FR_ID_SIREN:
        CHECK(n == 9 && only(out, "0123456789"));
        break;
    case FR_ID_SIRET:
        CHECK(n == 14 && only(out, "0123456789"));
        break;
    case FR_ID_CODE_POSTAL:
        CHECK(n == 5 && only(out, "0123456789"));
        break;
    case FR_ID_IBAN: {
        char country[3] = {out[0], out[1], 0};
        CHECK((int)n == fr_iban_length(country));
        CHECK(only(out, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        break;
    }
    case FR_ID_TELEPHONE:
        CHECK(out[0] == '+' && only(out + 1, "0123456789") && n >= 12 && n <= 13);
        break;
    default:
        CHECK(0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (int k = 0; k < FR_ID_KIND_COUNT; k++) {
        char out[FR_ID_OUT_MAX];
        fr_id_result r;
        if (fr_id_check((fr_id_kind)k, s, out, &r) == 0) {
            CHECK(r.problem == FR_ID_OK);
            check_normal((fr_id_kind)k, out);
            char again[FR_ID_OUT_MAX];
            CHECK(fr_id_check((fr_id_kind)k, out, again, &r) == 0);
            CHECK(strcmp(out, again) == 0);
        } else {
            CHECK(r.problem > FR_ID_OK && r.problem < FR_ID_PROBLEM_COUNT);
            CHECK(out[0] == '\0');
            CHECK(r.problem != FR_ID_LENGTH || (r.got >= 0 && r.got != r.want));
        }
    }
    free(s);
    return 0;
}

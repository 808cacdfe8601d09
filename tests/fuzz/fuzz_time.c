/*
 * fuzz_time — time_parse_rfc3339 and time_parse_local on arbitrary text and
 * time_format_rfc3339 on arbitrary instants. Whatever parses must format back to text that
 * parses to the same instant, in UTC and in Europe/Paris; a text never parses both with and
 * without an offset; formatting never writes past TIME_RFC3339_LEN.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* The range formatting can represent without clamping. */
#define T_MIN INT64_C(-62167219200)
#define T_MAX INT64_C(253402300799)

static void roundtrip(int64_t t, const char *tz)
{
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, out);
    CHECK(strlen(out) == 25);
    int64_t back;
    CHECK(time_parse_rfc3339(out, &back) == 0);
    if (t >= T_MIN + 86400 && t <= T_MAX - 86400)
        CHECK(back == t);
    int y = time_year(t, tz);
    CHECK(y >= 0 && y <= 9999);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t t;
    if (time_parse_rfc3339(s, &t) == 0) {
        CHECK(t >= T_MIN - 86400 && t <= T_MAX + 86400);
        roundtrip(t, NULL);
        roundtrip(t, "Europe/Paris");
        CHECK(time_parse_local(s, "Europe/Paris", &t) == -1);
    }
    if (time_parse_local(s, "Europe/Paris", &t) == 0) {
        CHECK(t >= T_MIN - 2 * 86400 && t <= T_MAX + 2 * 86400);
        roundtrip(t, "Europe/Paris");
    }
    free(s);

    if (size >= 8) {
        int64_t raw;
        memcpy(&raw, data, sizeof raw);
        roundtrip(raw, NULL);
        roundtrip(raw, "Europe/Paris");
        roundtrip(raw % (INT64_C(400) * 365 * 86400), "America/New_York");
    }
    return 0;
}

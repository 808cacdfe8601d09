/*
 * fuzz_hours — opening hours as an administrator types them (hours_parse_day) and as the
 * store keeps them (hours_parse), on arbitrary bytes. Checks what pages and e-mails rely on:
 * an accepted day has at most three ranges, each forward within the day and after the one
 * before; what hours_day_format and hours_format write is read back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hours.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_day(const hours_day *d)
{
    CHECK(d->n >= 0 && d->n <= HOURS_RANGES_MAX);
    for (int i = 0; i < d->n; i++) {
        CHECK(d->r[i].start >= 0 && d->r[i].start < d->r[i].end && d->r[i].end <= 1440);
        CHECK(i == 0 || d->r[i].start >= d->r[i - 1].end);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    hours_day d;
    if (hours_parse_day(s, &d) == HOURS_OK) {
        check_day(&d);
        char out[HOURS_DAY_INPUT_MAX + 1];
        hours_day_format(&d, out, sizeof out);
        hours_day again;
        CHECK(hours_parse_day(out, &again) == HOURS_OK);
        CHECK(hours_day_equal(&d, &again));
    }
    hours_week w;
    if (hours_parse(s, &w) == 0) {
        for (int i = 0; i < HOURS_DAYS; i++)
            check_day(&w.day[i]);
        char out[HOURS_CANONICAL_MAX + 1];
        hours_format(&w, out, sizeof out);
        hours_week again;
        CHECK(hours_parse(out, &again) == 0);
        for (int i = 0; i < HOURS_DAYS; i++)
            CHECK(hours_day_equal(&w.day[i], &again.day[i]));
    }
    free(s);
    return 0;
}

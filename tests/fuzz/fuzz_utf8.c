/*
 * fuzz_utf8 — utf8_valid against a plain reference decoder written from RFC 3629, and the
 * invariants the callers rely on: a prefix cut by utf8_prefix_bytes of valid text is valid
 * and holds exactly the requested number of characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Decodes code point by code point and checks each one's range: deliberately a different
 * method from utf8.c's table of second-byte ranges. */
static int reference_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp, min;
        size_t len;
        if (c < 0x80) {
            cp = c, len = 1, min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F, len = 2, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F, len = 3, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07, len = 4, min = 0x10000;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp == 0 || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int v = utf8_valid(s, size);
    CHECK(v == reference_valid(data, size));

    int ctl = 0;
    for (size_t i = 0; i < size; i++)
        if ((data[i] < 0x20 && data[i] != '\t' && data[i] != '\r' && data[i] != '\n') ||
            data[i] == 0x7F)
            ctl = 1;
    CHECK(utf8_has_control(s, size) == ctl);

    if (v) {
        size_t chars = utf8_length(s, size);
        CHECK(chars <= size);
        size_t prev = 0;
        for (size_t k = 0; k <= chars + 1; k++) {
            size_t p = utf8_prefix_bytes(s, size, k);
            CHECK(p <= size);
            CHECK(p >= prev);
            CHECK(utf8_valid(s, p));
            CHECK(utf8_length(s, p) == (k < chars ? k : chars));
            CHECK(utf8_valid(s + p, size - p)); /* the rest is valid too: no split */
            prev = p;
            if (k > 64)
                break; /* enough to exercise the cut on long inputs */
        }
        CHECK(utf8_prefix_bytes(s, size, SIZE_MAX) == size);
    } else {
        /* The longest valid prefix stops before the first bad sequence. */
        size_t p = utf8_prefix_bytes(s, size, SIZE_MAX);
        CHECK(p < size);
        CHECK(utf8_valid(s, p));
    }
    return 0;
}

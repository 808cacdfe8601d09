/*
 * utf8 — strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF, no truncated sequence) plus the NUL ban, and helpers that count and cut text by
 * code points so that limits expressed in characters never split a character.
 */
#include "util/utf8.h"

/* Length of the well-formed sequence starting at s[i], or 0 when it is not well-formed.
 * The second-byte ranges follow RFC 3629's table, which excludes overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF) in one test. */
static size_t seq_len(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = s[i];
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0; /* continuation byte, C0/C1 overlong leads, F5..FF */
    }
    if (n - i < len)
        return 0;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
    return len;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: most input is plain text. */
        if (u[i] >= 0x01 && u[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = seq_len(u, n, i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

size_t utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, chars = 0;
    while (i < n && chars < max_chars) {
        size_t l = seq_len(u, n, i);
        /* Input is documented as valid; stop rather than run past a broken sequence. */
        if (l == 0)
            break;
        i += l;
        chars++;
    }
    return i;
}

int utf8_has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F)
            return 1;
    }
    return 0;
}

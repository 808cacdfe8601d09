/*
 * collate — French alphabetical order: an accent- and case-folded key, then exact bytes.
 */
#include "util/collate.h"

#include <string.h>

/* The folded form of the Latin-1 letters U+00C0..U+00FF, as one or two ASCII letters ("" for
 * the two signs in that range, × and ÷, which keep their code point). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

/* A cursor over one text's folded key: the next key unit (a byte value for ASCII and the
 * folded letters, 0x100 + code point for any other character), or -1 at the end. */
typedef struct fold_cursor {
    const unsigned char *p, *end;
    const char *pending; /* the rest of a two-letter folding («ae», «oe») */
} fold_cursor;

/* Decodes one UTF-8 character at c->p (advancing); an invalid byte is itself + 0x100000. */
static long next_code_point(fold_cursor *c)
{
    const unsigned char *p = c->p;
    size_t left = (size_t)(c->end - p);
    unsigned char b = p[0];
    if (b < 0x80) {
        c->p++;
        return b;
    }
    int len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || (size_t)len > left) {
        c->p++;
        return 0x100000L + b;
    }
    long cp = b & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            c->p++;
            return 0x100000L + b;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    c->p += len;
    return cp;
}

static long next_key_unit(fold_cursor *c)
{
    if (c->pending && *c->pending)
        return (unsigned char)*c->pending++;
    if (c->p >= c->end)
        return -1;
    long cp = next_code_point(c);
    if (cp >= 'A' && cp <= 'Z')
        return cp - 'A' + 'a';
    if (cp < 0x80)
        return cp;
    const char *f = NULL;
    if (cp >= 0xC0 && cp <= 0xFF)
        f = latin1_fold[cp - 0xC0];
    else if (cp == 0x152 || cp == 0x153) /* Œ œ */
        f = "oe";
    else if (cp == 0x178) /* Ÿ */
        f = "y";
    else if (cp == 0x2018 || cp == 0x2019) /* typographic apostrophes, as a phone types them */
        f = "'";
    if (f && *f) {
        c->pending = f + 1;
        return (unsigned char)f[0];
    }
    return 0x100 + cp;
}

int collate_fr(const char *a, size_t an, const char *b, size_t bn)
{
    fold_cursor ca = {(const unsigned char *)a, (const unsigned char *)a + an, NULL};
    fold_cursor cb = {(const unsigned char *)b, (const unsigned char *)b + bn, NULL};
    for (;;) {
        long ka = next_key_unit(&ca), kb = next_key_unit(&cb);
        if (ka != kb)
            return ka < kb ? -1 : 1;
        if (ka < 0)
            break;
    }
    /* Equal keys («Eric» and «Éric»): the bytes decide, shorter first. */
    size_t n = an < bn ? an : bn;
    int r = memcmp(a, b, n);
    if (r != 0)
        return r < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

long collate_fold(const char *s, size_t n, char *out, size_t size)
{
    fold_cursor c = {(const unsigned char *)s, (const unsigned char *)s + n, NULL};
    size_t o = 0;
    for (;;) {
        const unsigned char *start = c.p;
        int pending = c.pending && *c.pending;
        long k = next_key_unit(&c);
        if (k < 0)
            break;
        /* A character with no folding (and an invalid byte) keeps its own bytes. */
        size_t len = (k < 0x100 || pending) ? 1 : (size_t)(c.p - start);
        if (o + len >= size)
            return -1;
        if (len == 1 && k < 0x100)
            out[o] = (char)k;
        else
            memcpy(out + o, start, len);
        o += len;
    }
    if (o >= size)
        return -1;
    out[o] = '\0';
    return (long)o;
}

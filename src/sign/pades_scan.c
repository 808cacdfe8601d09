/*
 * pades_scan — the signature dictionaries of a PDF, found in its raw bytes (see pades.h).
 * A signature's /Contents cannot be compressed or hidden in an object stream (its ByteRange
 * points into the file's bytes), so every signature shows as a /ByteRange key in the clear:
 * scanning for the key finds them all, whatever the revision, without trusting the file's
 * cross-reference sections, and a signature some later update unlinked from its field is
 * still found and checked. The ByteRange's gap must then be exactly the /Contents value.
 */
#include <string.h>

#include "sign/pades.h"

/* How far around the /ByteRange key the rest of its dictionary is looked for. */
#define DICT_REACH 8192

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Parses "[n n n n]" at *p (blanks allowed around), each number of at most ten digits. */
static int parse_range(const char *p, const char *end, size_t r[4])
{
    while (p < end && is_space(*p))
        p++;
    if (p >= end || *p++ != '[')
        return -1;
    for (int i = 0; i < 4; i++) {
        while (p < end && is_space(*p))
            p++;
        int digits = 0;
        size_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (++digits > 10)
                return -1;
            v = v * 10 + (size_t)(*p++ - '0');
        }
        if (digits == 0)
            return -1;
        r[i] = v;
    }
    while (p < end && is_space(*p))
        p++;
    return p < end && *p == ']' ? 0 : -1;
}

/* The last occurrence of word in [from, to), or NULL. */
static const char *last_of(const char *from, const char *to, const char *word)
{
    size_t n = strlen(word), span = (size_t)(to - from);
    /* Offsets, not pointers, count down: no pointer before from is ever formed. */
    for (size_t i = span >= n ? span - n + 1 : 0; i-- > 0;)
        if (memcmp(from + i, word, n) == 0)
            return from + i;
    return NULL;
}

/* Where the value of key (e.g. "/M") begins in [from, to), blanks skipped: its first occurrence
 * followed by a blank or one of the characters of `starts` (not a longer key: /MDP for /M).
 * NULL when absent; the value may still be of another kind, or cut at `to`. */
static const char *key_value(const char *from, const char *to, const char *key, const char *starts)
{
    size_t n = strlen(key);
    for (const char *p = from; p && to - p > (ptrdiff_t)n;
         p = memmem(p + 1, (size_t)(to - p - 1), key, n)) {
        if (memcmp(p, key, n) != 0)
            continue;
        const char *v = p + n;
        if (v < to && !is_space(*v) && (*v == '\0' || !strchr(starts, *v)))
            continue;
        while (v < to && is_space(*v))
            v++;
        return v;
    }
    return NULL;
}

/* Copies the value at v — a literal string without escapes, or a name — into out (size
 * bytes); "" for anything else. */
static void literal_value(const char *v, const char *to, char *out, size_t size)
{
    out[0] = '\0';
    if (v >= to || (*v != '(' && *v != '/'))
        return;
    char close = *v == '(' ? ')' : 0;
    v++;
    size_t k = 0;
    /* Printable ASCII only (blanks inside a string): the value is printed, and a date or a
     * SubFilter needs no more. */
    while (v < to && k + 1 < size && *v != close && *v != '\\' && *v < 0x7f &&
           (close ? *v >= 0x20 : *v > 0x20 && !strchr("/<>[]()", *v)))
        out[k++] = *v++;
    out[k] = '\0';
    if (close && (v >= to || *v != close))
        out[0] = '\0'; /* escaped, or longer than out: not a date we can show */
}

/* Looks for key (e.g. "/M") in [from, to) followed by a delimiter, and copies its value, a
 * literal string without escapes or a name, into out (size bytes); "" when absent. */
static void find_value(const char *from, const char *to, const char *key, char *out, size_t size)
{
    const char *v = key_value(from, to, key, "(/");
    out[0] = '\0';
    if (v)
        literal_value(v, to, out, size);
}

/* Appends code point c to out (size bytes, k used) as UTF-8, '?' for a control character or
 * a surrogate; nothing when it would not fit. */
static void put_utf8(char *out, size_t size, size_t *k, unsigned c)
{
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (c >= 0xd800 && c < 0xe000))
        c = '?';
    unsigned char b[4];
    size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n == 1)
        b[0] = (unsigned char)c;
    else if (n == 2)
        b[0] = (unsigned char)(0xc0 | c >> 6), b[1] = (unsigned char)(0x80 | (c & 0x3f));
    else if (n == 3)
        b[0] = (unsigned char)(0xe0 | c >> 12), b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)),
        b[2] = (unsigned char)(0x80 | (c & 0x3f));
    else
        b[0] = (unsigned char)(0xf0 | c >> 18), b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f)),
        b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)), b[3] = (unsigned char)(0x80 | (c & 0x3f));
    if (*k + n >= size) {
        *k = size - 1; /* full: nothing after a character left out */
        return;
    }
    memcpy(out + *k, b, n);
    *k += n;
    out[*k] = '\0';
}

static unsigned hex_of(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Looks for key in [from, to) followed by a delimiter, and copies its value into out as UTF-8:
 * a literal string of printable ASCII without escapes, or a hex string with a UTF-16BE byte
 * order mark (how guichet writes /Name and /Reason); "" for anything else. */
static void find_text(const char *from, const char *to, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    const char *v = key_value(from, to, key, "(<");
    if (!v)
        return;
    if (v < to && *v == '(') {
        literal_value(v, to, out, size);
        return;
    }
    if (to - v < 6 || memcmp(v, "<FEFF", 5) != 0)
        return;
    size_t k = 0;
    unsigned high = 0;
    for (v += 5; to - v >= 4 && is_hex(v[0]) && is_hex(v[1]) && is_hex(v[2]) && is_hex(v[3]);
         v += 4) {
        unsigned u = hex_of(v[0]) << 12 | hex_of(v[1]) << 8 | hex_of(v[2]) << 4 | hex_of(v[3]);
        if (u >= 0xd800 && u < 0xdc00) {
            high = u;
            continue;
        }
        if (u >= 0xdc00 && u < 0xe000 && high)
            u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
        high = 0;
        put_utf8(out, size, &k, u);
    }
    if (v >= to || *v != '>')
        out[0] = '\0';
}

/* Checks one /ByteRange key at key (p points to it) and fills s. */
static void scan_one(const char *pdf, size_t len, const char *key, pades_sig *s)
{
    memset(s, 0, sizeof *s);
    s->at = (size_t)(key - pdf);
    const char *end = pdf + len;
    if (parse_range(key + strlen("/ByteRange"), end, s->range) != 0) {
        s->problem = "the ByteRange is not an array of four numbers";
        return;
    }
    const size_t *r = s->range;
    if (r[0] != 0 || r[1] < 2 || r[1] > len || r[2] > len || r[2] < r[1] + 2 || r[3] > len - r[2]) {
        s->problem = "the ByteRange does not start the file or lies outside it";
        return;
    }
    s->contents_at = r[1];
    s->contents_len = r[2] - r[1];
    const char *c = pdf + r[1];
    if (s->contents_len > 2 + 2 * (size_t)PADES_CONTENTS_MAX) {
        s->problem = "the signature's /Contents is over its size limit";
        return;
    }
    if (c[0] != '<' || c[s->contents_len - 1] != '>' || s->contents_len % 2 != 0) {
        s->problem = "the ByteRange's gap is not a hex string";
        return;
    }
    for (size_t i = 1; i + 1 < s->contents_len; i++)
        if (!is_hex(c[i])) {
            s->problem = "the ByteRange's gap is not a hex string";
            return;
        }
    const char *k = c;
    while (k > pdf && is_space(k[-1]))
        k--;
    if (k - pdf < 9 || memcmp(k - 9, "/Contents", 9) != 0) {
        s->problem = "the ByteRange's gap is not the signature's /Contents";
        return;
    }
    /* The rest of the dictionary: from its object's start to its end, the gap left out. */
    const char *lo = key - pdf > DICT_REACH ? key - DICT_REACH : pdf;
    const char *obj = last_of(lo, key, " obj");
    lo = obj ? obj : lo;
    const char *hi_from = c + s->contents_len;
    const char *hi = (size_t)(end - hi_from) > DICT_REACH ? hi_from + DICT_REACH : end;
    const char *endobj = memmem(hi_from, (size_t)(hi - hi_from), "endobj", 6);
    hi = endobj ? endobj : hi;
    const char *before_to = key < c ? key : c;
    find_value(lo, before_to, "/M", s->when, sizeof s->when);
    if (!s->when[0])
        find_value(hi_from, hi, "/M", s->when, sizeof s->when);
    find_value(lo, before_to, "/SubFilter", s->subfilter, sizeof s->subfilter);
    if (!s->subfilter[0])
        find_value(hi_from, hi, "/SubFilter", s->subfilter, sizeof s->subfilter);
    find_text(lo, before_to, "/Name", s->name, sizeof s->name);
    if (!s->name[0])
        find_text(hi_from, hi, "/Name", s->name, sizeof s->name);
    find_text(lo, before_to, "/Reason", s->reason, sizeof s->reason);
    if (!s->reason[0])
        find_text(hi_from, hi, "/Reason", s->reason, sizeof s->reason);
}

int pades_scan(const char *pdf, size_t len, pades_sig *sigs, size_t max, size_t *n, error *err)
{
    static const char key[] = "/ByteRange";
    const size_t klen = sizeof key - 1;
    *n = 0;
    const char *p = pdf, *end = pdf + len;
    while (p < end && (p = memmem(p, (size_t)(end - p), key, klen)) != NULL) {
        if (*n == max)
            return error_set(err, ERR_INVALID_ARG, "pdf", "over %zu signatures", max);
        scan_one(pdf, len, p, &sigs[*n]);
        const pades_sig *s = &sigs[*n];
        (*n)++;
        /* A good signature's /Contents is skipped whole: its hex cannot hold the key, and
         * the next one starts after it. */
        p = !s->problem && s->contents_at > (size_t)(p - pdf)
                ? pdf + s->contents_at + s->contents_len
                : p + klen;
    }
    return 0;
}

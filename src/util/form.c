/*
 * form — strict application/x-www-form-urlencoded and query-string parsing. Everything it
 * returns is valid UTF-8 without NUL, so later layers can treat fields as plain C strings;
 * malformed input is refused here with a 4xx code rather than passed on half-decoded.
 */
#include "util/form.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into dst (room for len bytes). Returns the decoded length, or -1 at the
 * first bad escape with *done set to the bytes decoded before it. */
static long decode(const char *s, size_t len, int plus_is_space, char *dst, size_t *done)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *done = o;
                return -1;
            }
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = c;
        }
    }
    *done = o;
    return (long)o;
}

/* Copies into err->arg the longest valid UTF-8 prefix of s[0..n) that fits, so that an error
 * message never echoes broken text. */
static void set_arg(error *err, const char *s, size_t n)
{
    if (!err)
        return;
    size_t cap = sizeof err->arg - 1;
    size_t keep = utf8_prefix_bytes(s, n < cap ? n : cap, cap);
    memcpy(err->arg, s, keep);
    err->arg[keep] = '\0';
}

static int fail(error *err, err_code code, const char *name, size_t name_len, const char *what)
{
    error_set(err, code, NULL, "%s", what);
    if (name)
        set_arg(err, name, name_len);
    return -1;
}

int form_parse(arena *a, const char *s, size_t len, form *out, error *err)
{
    out->fields = NULL;
    out->count = 0;
    if (!s)
        len = 0;

    /* First pass: count the non-empty pairs, so that an oversized form is refused before
     * anything is allocated. */
    size_t pairs = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        if (end > i)
            pairs++;
        i = end + 1;
    }
    if (pairs > FORM_MAX_FIELDS)
        return fail(err, ERR_TOO_LARGE, NULL, 0, "too many form fields");
    if (pairs == 0)
        return 0;
    form_field *fields = arena_alloc(a, pairs * sizeof *fields);
    if (!fields)
        return fail(err, ERR_TOO_LARGE, NULL, 0, "form too large for the request's memory");

    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        const char *pair = s + i;
        size_t plen = end - i;
        i = end + 1;
        if (plen == 0)
            continue;
        const char *eq = memchr(pair, '=', plen);
        size_t nraw = eq ? (size_t)(eq - pair) : plen;
        const char *vraw = eq ? eq + 1 : pair + plen;
        size_t vrawlen = eq ? plen - nraw - 1 : 0;

        char *name = arena_alloc(a, nraw + 1);
        char *value = arena_alloc(a, vrawlen + 1);
        if (!name || !value)
            return fail(err, ERR_TOO_LARGE, NULL, 0, "form too large for the request's memory");
        size_t done;
        long nl = decode(pair, nraw, 1, name, &done);
        if (nl < 0)
            return fail(err, ERR_BAD_REQUEST, name, done, "malformed percent-encoding");
        if ((size_t)nl > FORM_MAX_NAME)
            return fail(err, ERR_TOO_LARGE, name, (size_t)nl, "form field name too long");
        if (!utf8_valid(name, (size_t)nl))
            return fail(err, ERR_INVALID_ARG, name, (size_t)nl,
                        "field name is not valid UTF-8 or holds a NUL byte");
        name[nl] = '\0';
        long vl = decode(vraw, vrawlen, 1, value, &done);
        if (vl < 0)
            return fail(err, ERR_BAD_REQUEST, name, (size_t)nl, "malformed percent-encoding");
        if (!utf8_valid(value, (size_t)vl))
            return fail(err, ERR_INVALID_ARG, name, (size_t)nl,
                        "value is not valid UTF-8 or holds a NUL byte");
        value[vl] = '\0';
        fields[n].name = name;
        fields[n].value = value;
        fields[n].value_len = (size_t)vl;
        n++;
    }
    out->fields = fields;
    out->count = n;
    return 0;
}

const char *form_get(const form *f, const char *name)
{
    if (!f || !name)
        return NULL;
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    return NULL;
}

size_t form_count(const form *f, const char *name)
{
    size_t c = 0;
    if (!f || !name)
        return 0;
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            c++;
    return c;
}

char *form_decode_component(arena *a, const char *s, size_t len, int plus_is_space)
{
    if (!s)
        return NULL;
    char *dst = arena_alloc(a, len + 1);
    if (!dst)
        return NULL;
    size_t done;
    long n = decode(s, len, plus_is_space, dst, &done);
    if (n < 0 || !utf8_valid(dst, (size_t)n))
        return NULL;
    dst[n] = '\0';
    return dst;
}

char *form_encode(arena *a, const char *s, const char *also_keep)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *out = arena_alloc(a, n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (also_keep && strchr(also_keep, c))) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

int form_local_path(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\')
        return 0;
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++, n++)
        if (*c <= ' ' || *c >= 0x7f || *c == '\\' || n >= FORM_LOCAL_PATH_MAX)
            return 0;
    return 1;
}

int form_decimal(const char *s, double lo, double hi, double *out)
{
    char buf[33];
    size_t n = 0, digits = 0;
    int seen_mark = 0;
    if (!s)
        return -1;
    for (const char *c = s; *c; c++) {
        if (n >= sizeof buf - 1)
            return -1;
        if (*c >= '0' && *c <= '9')
            digits++;
        else if ((*c == '.' || *c == ',') && !seen_mark)
            seen_mark = 1;
        else if (!((*c == '-' || *c == '+') && c == s))
            return -1;
        buf[n++] = *c == ',' ? '.' : *c;
    }
    buf[n] = '\0';
    if (digits == 0)
        return -1;
    char *end = NULL;
    double v = strtod(buf, &end);
    if (!end || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

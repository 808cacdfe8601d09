/*
 * jsonw — streaming JSON writer. It refuses to produce invalid JSON: a structural mistake by
 * the caller (a key missing inside an object, a key inside an array, a mismatched end, a
 * second top-level value, nesting deeper than the limit) sets `failed` and stops all output,
 * and bytes that are not valid UTF-8 are written as U+FFFD instead of being copied.
 *
 * need_comma[d] holds the state of nesting level d (0 is the top level): bit 0 "a value was
 * already written at this level", bit 1 "this level is an object". Level 0 is the top level,
 * so at most JSONW_MAX_DEPTH - 1 containers can be open at once.
 */
#include "util/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

#define ST_COMMA 1
#define ST_OBJECT 2

void jsonw_init(jsonw *w, buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

static void put(jsonw *w, const char *s, size_t n)
{
    if (!w->failed && buf_append(w->out, s, n) != 0)
        w->failed = 1;
}

/* Writes s[0..n) as a quoted JSON string. */
static void put_escaped(jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    size_t i = 0;
    while (i < n && !w->failed) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t elen = 0;
        size_t adv = 1;
        if (c >= 0x80) {
            size_t l = utf8_prefix_bytes(s + i, n - i, 1);
            if (l == 0) {
                memcpy(esc, "\\ufffd", 6);
                elen = 6;
            } else if (l == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                       ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
                /* U+2028/U+2029 end a line in older JavaScript: escape them for <script>. */
                memcpy(esc, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                elen = 6;
                adv = 3;
            } else {
                i += l;
                continue;
            }
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F) {
            switch (c) {
            case '\n':
                memcpy(esc, "\\n", 2), elen = 2;
                break;
            case '\r':
                memcpy(esc, "\\r", 2), elen = 2;
                break;
            case '\t':
                memcpy(esc, "\\t", 2), elen = 2;
                break;
            case '\b':
                memcpy(esc, "\\b", 2), elen = 2;
                break;
            case '\f':
                memcpy(esc, "\\f", 2), elen = 2;
                break;
            default:
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            }
        } else {
            i++;
            continue;
        }
        put(w, s + run, i - run);
        put(w, esc, elen);
        i += adv;
        run = i;
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

/* Writes the comma and key that precede a value; 0 when the value may follow. */
static int prefix(jsonw *w, const char *key)
{
    if (w->failed)
        return -1;
    unsigned char *st = &w->need_comma[w->depth];
    int in_object = (*st & ST_OBJECT) != 0;
    /* A key is required exactly inside objects; one top-level value only. */
    if (in_object != (key != NULL) || (w->depth == 0 && (*st & ST_COMMA))) {
        w->failed = 1;
        return -1;
    }
    if (*st & ST_COMMA)
        put(w, ",", 1);
    *st |= ST_COMMA;
    if (key) {
        put_escaped(w, key, strlen(key));
        put(w, ":", 1);
    }
    return w->failed ? -1 : 0;
}

static void begin(jsonw *w, const char *key, int object)
{
    if (w->failed)
        return;
    if (w->depth + 1 >= JSONW_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    if (prefix(w, key) != 0)
        return;
    put(w, object ? "{" : "[", 1);
    w->depth++;
    w->need_comma[w->depth] = object ? ST_OBJECT : 0;
}

static void end(jsonw *w, int object)
{
    if (w->failed)
        return;
    if (w->depth == 0 || ((w->need_comma[w->depth] & ST_OBJECT) != 0) != object) {
        w->failed = 1;
        return;
    }
    put(w, object ? "}" : "]", 1);
    w->need_comma[w->depth] = 0;
    w->depth--;
}

void jsonw_object_begin(jsonw *w, const char *key)
{
    begin(w, key, 1);
}

void jsonw_object_end(jsonw *w)
{
    end(w, 1);
}

void jsonw_array_begin(jsonw *w, const char *key)
{
    begin(w, key, 0);
}

void jsonw_array_end(jsonw *w)
{
    end(w, 0);
}

void jsonw_string_n(jsonw *w, const char *key, const char *value, size_t len)
{
    if (prefix(w, key) != 0)
        return;
    if (!value)
        put(w, "null", 4);
    else
        put_escaped(w, value, len);
}

void jsonw_string(jsonw *w, const char *key, const char *value)
{
    jsonw_string_n(w, key, value, value ? strlen(value) : 0);
}

void jsonw_int(jsonw *w, const char *key, int64_t value)
{
    if (prefix(w, key) != 0)
        return;
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, value);
    put(w, tmp, (size_t)n);
}

void jsonw_double(jsonw *w, const char *key, double value)
{
    if (prefix(w, key) != 0)
        return;
    if (!isfinite(value)) {
        put(w, "null", 4);
        return;
    }
    char tmp[64];
    int n;
    if (fabs(value) >= 1e15) {
        /* Far beyond any coordinate: the exponent form keeps it short and keeps readers
         * such as jansson from refusing a 300-digit integer. */
        n = snprintf(tmp, sizeof tmp, "%.17g", value);
        put(w, tmp, (size_t)n);
        return;
    }
    /* %.7f keeps coordinates at about 1 cm; trailing zeros and a bare point are dropped so
     * that 2.5000000 reads 2.5 and 2.0000000 reads 2. */
    n = snprintf(tmp, sizeof tmp, "%.7f", value);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        w->failed = 1;
        return;
    }
    while (n > 0 && tmp[n - 1] == '0')
        n--;
    if (n > 0 && tmp[n - 1] == '.')
        n--;
    tmp[n] = '\0';
    if (strcmp(tmp, "-0") == 0)
        put(w, "0", 1);
    else
        put(w, tmp, (size_t)n);
}

void jsonw_bool(jsonw *w, const char *key, int value)
{
    if (prefix(w, key) != 0)
        return;
    if (value)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jsonw_null(jsonw *w, const char *key)
{
    if (prefix(w, key) != 0)
        return;
    put(w, "null", 4);
}

void jsonw_raw(jsonw *w, const char *key, const char *json)
{
    if (prefix(w, key) != 0)
        return;
    if (!json || !*json)
        put(w, "null", 4);
    else
        put(w, json, strlen(json));
}

int jsonw_finish(jsonw *w)
{
    if (w->failed || w->out->failed || w->depth != 0 || !(w->need_comma[0] & ST_COMMA))
        return -1;
    return 0;
}

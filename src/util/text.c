/*
 * text — trimming and checking a typed text field (see text.h).
 */
#include "util/text.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *text_trim(arena *a, const char *s)
{
    if (!s)
        return NULL;
    while (blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && blank(s[n - 1]))
        n--;
    return arena_strndup(a, s, n);
}

text_verdict text_field(arena *a, const char *s, size_t max_chars, const char **out)
{
    if (out)
        *out = NULL;
    if (!s)
        return TEXT_EMPTY;
    const char *t = text_trim(a, s);
    if (!t)
        return TEXT_NO_MEMORY;
    size_t len = strlen(t);
    if (len == 0)
        return TEXT_EMPTY;
    if (!utf8_valid(t, len) || utf8_has_control(t, len))
        return TEXT_BAD_CHARACTERS;
    if (utf8_length(t, len) > max_chars)
        return TEXT_TOO_LONG;
    if (out)
        *out = t;
    return TEXT_OK;
}

#define ELLIPSIS "\u2026"

const char *text_excerpt(arena *a, const char *s, size_t max_chars)
{
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if (max_chars < 2 || utf8_length(s, len) <= max_chars)
        return s;
    size_t cut = utf8_prefix_bytes(s, len, max_chars - 1);
    /* Back to the last blank if the cut falls inside a word. */
    if (!blank(s[cut])) {
        size_t b = cut;
        while (b > 0 && !blank(s[b - 1]))
            b--;
        if (b > 0)
            cut = b;
    }
    while (cut > 0 && blank(s[cut - 1]))
        cut--;
    return arena_printf(a, "%.*s" ELLIPSIS, (int)cut, s);
}

const char *text_file_size(char *out, size_t size, int64_t bytes, const text_size_units *u)
{
    if (size == 0)
        return out;
    if (bytes < 0)
        bytes = 0;
    if (bytes < 1024) {
        snprintf(out, size, "%" PRId64 " %s", bytes, u->bytes);
    } else if (bytes < 1024 * 1024) {
        snprintf(out, size, "%" PRId64 " %s", (bytes + 1023) / 1024, u->kb);
    } else {
        int64_t tenths = (bytes / 1024 * 10 + 512) / 1024;
        if (tenths % 10 == 0)
            snprintf(out, size, "%" PRId64 " %s", tenths / 10, u->mb);
        else
            snprintf(out, size, "%" PRId64 "%c%" PRId64 " %s", tenths / 10, u->decimal_mark,
                     tenths % 10, u->mb);
    }
    return out;
}

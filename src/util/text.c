/*
 * text — trimming and checking a typed text field (see text.h).
 */
#include "util/text.h"

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

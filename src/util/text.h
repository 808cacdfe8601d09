/*
 * text — the check of a text typed in a form (a reply, a note, a citizen's message): blanks
 * around it trimmed, valid UTF-8, no control characters but line breaks and tabs, at most so
 * many characters. One check for the back office and the portal alike; each says the
 * verdict in its own words.
 */
#ifndef GUICHET_UTIL_TEXT_H
#define GUICHET_UTIL_TEXT_H

#include <stddef.h>

#include "util/arena.h"

typedef enum text_verdict {
    TEXT_OK = 0,
    TEXT_EMPTY,          /* nothing but blanks (or NULL) */
    TEXT_BAD_CHARACTERS, /* invalid UTF-8 or a control character */
    TEXT_TOO_LONG,       /* over max_chars characters */
    TEXT_NO_MEMORY,      /* the arena is exhausted */
} text_verdict;

/* s without the spaces, tabs and line breaks around it, copied into a; NULL stays NULL
 * (and NULL when a is exhausted). */
const char *text_trim(arena *a, const char *s);

/* Checks the field `s` as typed: *out (may be NULL) is the trimmed text, in a, when the
 * verdict is TEXT_OK, and NULL otherwise. */
text_verdict text_field(arena *a, const char *s, size_t max_chars, const char **out);

#endif

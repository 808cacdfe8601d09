/*
 * text — the check of a text typed in a form (a reply, a note, a citizen's message): blanks
 * around it trimmed, valid UTF-8, no control characters but line breaks and tabs, at most so
 * many characters. One check for the back office and the portal alike; each says the
 * verdict in its own words.
 */
#ifndef GUICHET_UTIL_TEXT_H
#define GUICHET_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

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

/* s shortened for a list: at most max_chars characters (> 1) including a final «…», cut at
 * the last blank before the limit so that no word is cut (unless the first word alone is
 * longer), blanks before the «…» dropped. s itself when it is short enough; NULL stays NULL
 * (and NULL when a is exhausted). s must be valid UTF-8. */
const char *text_excerpt(arena *a, const char *s, size_t max_chars);

/* The words a file size is told with in one language ("octets", "Ko", "Mo", ','). */
typedef struct text_size_units {
    const char *bytes, *kb, *mb;
    char decimal_mark;
} text_size_units;

/* A file's size as people read it, written into out (NUL-terminated, cut to size): under
 * 1 KiB in bytes («512 octets»), under 1 MiB in whole KiB rounded up («850 Ko»: never
 * «0 Ko»), above in MiB to one decimal, the decimal left out when it is 0 («2,3 Mo»,
 * «10 Mo»: a limit reads as it is announced). Returns out. */
const char *text_file_size(char *out, size_t size, int64_t bytes, const text_size_units *u);

#endif

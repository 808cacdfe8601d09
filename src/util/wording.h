/*
 * wording — how guichet words things in French and English below the presentation layer:
 * strings with "{name}" blanks filled, months and dates in words. present/ (pages, e-mails)
 * and core (documents it composes itself, e.g. the PDF receipt) both write through these, so
 * that a date reads the same on a page and in a letter.
 */
#ifndef GUICHET_UTIL_WORDING_H
#define GUICHET_UTIL_WORDING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/error.h"

/* The string at a dotted key ("form.errors.title") in a language's merged i18n tree (strings
 * NULL allowed); the key itself when it is missing or not a string, so that a forgotten
 * string shows rather than vanishes. */
const char *wording_lookup(const json_t *strings, const char *key);
/* pattern with every "{name}" of names[0..n) replaced by its value (NULL: ""), other braces
 * kept, in a. NULL when a is exhausted or the result is over 64 KiB. */
char *wording_subst(arena *a, const char *pattern, const char *const *names,
                    const char *const *values, size_t n);
/* Longest blank name wording_blank_unknown looks at ("{" 1 to 32 letters, digits or '_' "}"). */
#define WORDING_BLANK_MAX 32
/* The first blank of text ("{name}": letters, digits, '_') that is none of names[0..n), or
 * NULL when every blank is known; *len its name's length (the braces left out). A brace that
 * opens no such blank ("{ ", "{}", a lone "}") is text, not a blank. Lets a text people write
 * (a letter template) be refused with the name of the blank it got wrong. */
const char *wording_blank_unknown(const char *text, const char *const *names, size_t n,
                                  size_t *len);
/* The name of month 1..12 as written in a date in words ("décembre", "December"); "" out of
 * range. Static storage. */
const char *wording_month(lang l, int month);
/* Instant t in zone tz (IANA; NULL: UTC), in a: «5 décembre 2026», «1er décembre 2026»,
 * «5 December 2026»; with_time adds «à 22 h 19», «at 22:19». "" when t cannot be written,
 * NULL when a is exhausted. */
const char *wording_date(arena *a, lang l, int64_t t, const char *tz, int with_time);
/* A duration of s seconds as agents read it, days and hours or hours and minutes: «3 j 4 h»,
 * «5 h 12 min», «45 min», «< 1 min» («3 d 4 h» in English); «—» for a negative s (none). In a
 * (NULL when a is exhausted) or static. The dashboards and the monthly report write it. */
const char *wording_duration(arena *a, lang l, int64_t s);
/* The clock time of t alone: «22 h 19», «22:19». */
const char *wording_clock(arena *a, lang l, int64_t t, const char *tz);

#endif

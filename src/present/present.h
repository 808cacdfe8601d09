/*
 * present — presentation as a module of its own: the compiled template set, the strings of
 * both languages and the view settings (the map), created once at start-up and passed
 * explicitly to whatever renders: the web pages (through the request), the mail dispatcher,
 * and tomorrow SMS and PDF documents. Nothing here knows HTTP, so a dispatcher renders
 * without the web layer. Read-only once open: renders on any thread share it without locks.
 *
 * Template names: "templates/home.html" is "home", "templates/account/login.html" is
 * "account/login"; text templates keep their extension ("mail/request_ack.txt") so that an
 * e-mail's text and HTML parts can share a base name.
 */
#ifndef GUICHET_PRESENT_PRESENT_H
#define GUICHET_PRESENT_PRESENT_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>

#include "present/assets.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/tmpl.h"

typedef struct present present;

/* The view settings every page may show. */
typedef struct present_config {
    const char *map_tiles_url;   /* e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png */
    const char *map_attribution; /* "© OpenStreetMap" */
} present_config;

/* Compiles the templates and merges the strings found among files[0..n) (templates/…
 * paths; others are ignored) and copies cfg (NULL: no map). NULL with err when a template
 * does not compile or fr and en strings differ in their keys. Caller frees with
 * present_close. */
present *present_open_files(const present_config *cfg, const web_asset *files, size_t n,
                            error *err);
/* present_open_files over the files embedded in the binary (assets.h). */
present *present_open(const present_config *cfg, error *err);
/* Frees p; p may be NULL. */
void present_close(present *p);

/* The compiled template set (borrowed, lives as long as p). */
const tmpl_set *present_templates(const present *p);
/* The merged strings of language l (borrowed: incref to keep). NULL when p is NULL. */
json_t *present_strings(const present *p, lang l);
/* The string at a dotted key ("form.errors.title") in language l; the key itself when it is
 * missing or not a string, or when p is NULL. */
const char *present_string(const present *p, lang l, const char *key);
/* The word for n things in language l: key + "_one" or key + "_other" by the language's
 * plural rule (French: 0 and 1 take the singular, «0 demande», «1 demande», «2 demandes»;
 * English: 1 alone does), so that no string says «demande(s)». */
const char *present_plural(const present *p, lang l, int64_t n, const char *key);
/* The view settings present_open was given (copied, live as long as p); fields NULL when
 * not set. */
const present_config *present_settings(const present *p);
/* Renders template `name` with ctx into out (appended). -1 with tmpl's error: ERR_INTERNAL
 * for an unknown template (a name in our code, so our bug), or the render's own. */
int present_render(const present *p, const char *name, json_t *ctx, buf *out, error *err);

/* ---- view helpers: pure, for every renderer ---- */

/* Sets obj[key] to the string s; "" when s is NULL or not valid UTF-8 (a template then
 * shows nothing rather than a raw key or a broken byte). */
void present_set_str(json_t *obj, const char *key, const char *s);
/* The same, but s NULL leaves obj[key] unset, for templates that test the key's presence. */
void present_set_str_opt(json_t *obj, const char *key, const char *s);
/* pattern with its first "{name}" replaced by value, into out (cut to size - 1 bytes): the
 * one way strings with a blank are filled («Du {from} au {to}»). */
void present_fill(char *out, size_t size, const char *pattern, const char *name, const char *value);
/* pattern with every "{name}" of names[0..n) replaced by its value (NULL: ""), other braces
 * kept, in a: the way messages with several blanks are filled («… 14 chiffres ; celui-ci en a
 * {got}.»). NULL when a is exhausted. */
char *present_subst(arena *a, const char *pattern, const char *const *names,
                    const char *const *values, size_t n);
/* The name of month 1..12 as written in a date in words ("décembre", "December"), so that
 * no reader misreads 03/04; "" out of range. Static storage. */
const char *present_month_name(lang l, int month);
/* Instant t as people write it, in zone tz (IANA; NULL: UTC), in a: «5 décembre 2026»,
 * «1er décembre 2026» in French, «5 December 2026» in English; with_time adds the clock time,
 * «5 décembre 2026 à 22 h 19», «5 December 2026 at 22:19». The one way every page and
 * message writes a date. NULL when a is exhausted. */
const char *present_date(arena *a, lang l, int64_t t, const char *tz, int with_time);
/* A calendar day given as "YYYY-MM-DD" (a date question's answer: a day, no instant, so no
 * zone) written as present_date writes it, «5 décembre 2026»; NULL when day is not a real
 * date in that form or a is exhausted. */
const char *present_day(arena *a, lang l, const char *day);
/* The clock time of t alone: «22 h 19», «22:19». */
const char *present_clock(arena *a, lang l, int64_t t, const char *tz);
/* A text as the paragraphs a template shows one by one (no HTML ever comes from text): its
 * non-blank lines, trimmed; a line that is not valid UTF-8 is left out rather than
 * mangled. A new JSON array (empty for NULL; caller decrefs). */
json_t *present_paragraphs(const char *text);

#endif

/*
 * tmpl — guichet's template engine: a small, logic-less, Mustache-like language whose output
 * is escaped by default. Templates are compiled once (from the assets embedded in the
 * binary) and rendered against a jansson tree.
 *
 * Syntax:
 *   {{a.b.c}}        value at a dotted path, HTML-escaped (& < > " ' are entities, so it is
 *                    safe in text and in quoted attributes); numbers are printed, true prints
 *                    nothing special ("true"), null/false/missing print nothing.
 *   {{a|url}}        percent-encoded for a URL path segment or query value (RFC 3986
 *                    unreserved characters kept), then HTML-escaped.
 *   {{a|href}}       a whole URL for href/src: kept when it starts with "/", "#", "?",
 *                    "http://", "https://", "mailto:" or "tel:", else replaced by "#";
 *                    HTML-escaped.
 *   {{a|json}}       the value as JSON, escaped for a <script type="application/json">
 *                    block (no "</" possible).
 *   {{#a}}…{{/a}}    section: for an array, once per element with the element as context;
 *                    for an object, once with it as context; for any other truthy value
 *                    (true, non-zero number, non-empty string), once; skipped for false,
 *                    null, missing, 0, "" and [].
 *   {{^a}}…{{/a}}    inverted section: rendered only when {{#a}} would be skipped.
 *   {{> name}}       partial: the template called name, rendered with the current context.
 *   {{.}}            the current context value itself (inside sections over strings).
 *   {{! comment }}   nothing.
 * Names are looked up from the innermost context outwards, as in Mustache. There is no way
 * to output unescaped HTML. Limits: template size, section depth (32), partial depth (8),
 * output size (the buf's max).
 */
#ifndef GUICHET_UTIL_TMPL_H
#define GUICHET_UTIL_TMPL_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define TMPL_MAX_SOURCE (512 * 1024)
#define TMPL_MAX_DEPTH 32
#define TMPL_MAX_PARTIAL_DEPTH 8

typedef struct tmpl_set tmpl_set;

/* An empty set of templates. Caller frees with tmpl_set_free. NULL when out of memory. */
tmpl_set *tmpl_set_new(void);
void tmpl_set_free(tmpl_set *set);
/* Compiles source[0..len) under `name`. -1 with ERR_INVALID_ARG and a detail giving the line
 * and the fault (unclosed tag, mismatched section, unknown filter, too deep, too large). */
int tmpl_add(tmpl_set *set, const char *name, const char *source, size_t len, error *err);
/* 1 when a template called name exists. */
int tmpl_has(const tmpl_set *set, const char *name);
/* Renders template `name` with `data` (not modified, may be NULL) into out. -1 with err when
 * the template or a partial is missing or the output exceeds out's max. A set is read-only
 * once built: renders may run on many threads at once. */
int tmpl_render(const tmpl_set *set, const char *name, json_t *data, buf *out, error *err);

#endif

/*
 * filing_internal — what the filing pages share between their files (filing.c: home,
 * search, confirmation, receipt, information pages; filing_form.c: the procedure forms):
 * accent folding for the search, "{name}" substitution in strings, dates in the tenant's
 * zone, readable answers of a request and page-context helpers. Private to
 * web/portal/filing*.c.
 */
#ifndef GUICHET_WEB_PORTAL_FILING_INTERNAL_H
#define GUICHET_WEB_PORTAL_FILING_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/request.h"
#include "http/http.h"
#include "present/present.h"

/* Descriptions longer than this are refused on the portal (a form, not a letter). */
#define FILING_DESCRIPTION_MAX 4000

/* s lowercased with French accents and ligatures folded to ASCII ("Éclairage" -> "eclairage",
 * "Œuvre" -> "oeuvre"); other non-ASCII characters are kept as they are. In a; NULL only
 * when out of memory. */
char *filing_fold(arena *a, const char *s);
/* 1 when every word of the folded query occurs in the folded haystack. */
int filing_matches(const char *folded_query, const char *folded_haystack);
/* A copy of tmpl (in a) where each "{key}" of keys[i] is replaced by vals[i]; unknown
 * placeholders stay as they are. */
char *filing_subst(arena *a, const char *tmpl, const char *const *keys, const char *const *vals,
                   size_t n);
/* The same with one placeholder. */
char *filing_subst1(arena *a, const char *tmpl, const char *key, const char *val);

/* Percent-encoding of a path segment or query value (RFC 3986 unreserved kept), in a. */
char *filing_url_encode(arena *a, const char *s);

/* "12 décembre 2026" / "12 December 2026": the date of t in zone tz, in a. */
char *filing_date_long(arena *a, int64_t t, const char *tz, lang l);
/* "28/11/2026 à 14:30" / "28 November 2026, 14:30": date and time in zone tz, in a. */
char *filing_datetime(arena *a, int64_t t, const char *tz, lang l);

/* The page context of web_context() for a page that holds no form: when nobody is logged
 * in, the CSRF cookie web_context prepared is dropped again (nothing on the page uses it),
 * so that the page is the same for every anonymous visitor and may be cached. Returns the
 * context (NULL when out of memory) and sets *cacheable. */
json_t *filing_public_context(http_req *rq, int *cacheable);

/* Sets ctx.lang_q to "?lang=en" on English pages: the layout's links keep the language the
 * visitor chose with ?lang= (the server takes it from the query or Accept-Language only). */
void filing_lang_q(http_req *rq, json_t *ctx);

/* The readable answers of a stored request, grouped in sections ([{code, label, answers:
 * [{label, value}]}]): attributes, description, location, contact. The values of lists are
 * their names; dates are written in the tenant's zone. New reference. */
json_t *filing_request_sections(http_req *rq, const cat_tenant *t, const cat_procedure *p,
                                const store_request *r);

/* Route handlers of filing_form.c. */
void filing_form_get(http_req *rq);
void filing_form_post(http_req *rq);
/* The report flow, `/signaler`: any incident category, chosen on the way. */
void filing_report_get(http_req *rq);
void filing_report_post(http_req *rq);

#endif

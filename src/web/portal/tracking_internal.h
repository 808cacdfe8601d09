/*
 * tracking_internal — what the tracking pages share between their files (tracking.c: the
 * citizen's own requests; tracking_public.c: the public incidents): page context helpers,
 * dates in plain words and URL encoding; and the public incident's card, which the report
 * flow's pages show too. Private to web/portal/.
 */
#ifndef GUICHET_WEB_PORTAL_TRACKING_INTERNAL_H
#define GUICHET_WEB_PORTAL_TRACKING_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/request_public.h"
#include "http/http.h"
#include "present/present.h"
#include "store/records.h"

/* Sets ctx[key] (e.g. "filed") to the date of t in words ("3 mars 2026") in the tenant's
 * zone and ctx[key + "_iso"] to its RFC 3339 form for <time datetime>; with_time adds
 * ctx[key + "_time"] ("08:30"). Nothing when t is 0. */
void tracking_set_date(http_req *rq, const cat_tenant *t, json_t *ctx, const char *key,
                       int64_t t_unix, int with_time);
/* s percent-encoded for a query value or a path segment (in rq->arena; "" when out of
 * memory). */
const char *tracking_url_encode(http_req *rq, const char *s);
/* The ?page= number (1 when absent or invalid, at most 10000). */
long tracking_page_param(http_req *rq);
/* Adds a "pages" object (current, total, prev_url, next_url) to ctx when there is more than
 * one page; base_url already holds the other query parameters and ends in '?' or '&'. */
void tracking_set_pages(http_req *rq, json_t *ctx, long page, int64_t total, long per_page,
                        const char *base_url);

/* 1 when request r is on the public incidents list (/signalements/{ref} shows it to anyone). */
int tracking_on_public_list(const cat_tenant *t, const store_request *r);

/* The context of one public incident card (templates/public/_card.html: include it inside a
 * section over a list of these, in a <ul>): reference, url, procedure (the category),
 * address, status, status_label and status_colour (web_set_status), filed and filed_iso
 * (present_date), text (the approved public text: whole with whole_text, else cut on a word
 * boundary; absent while none is approved; paragraphs too when whole), thumb_url (the first
 * approved photo's thumbnail; absent when none), reported_count and reported_plural («moi aussi»
 * included), can_support (still open) and support_url (POST /signalements/{ref}/moi-aussi),
 * distance («à 40 m»; only for request_public_nearby's cards). A new JSON object (caller owns it).
 */
json_t *tracking_public_card_json(http_req *rq, const cat_tenant *t, const request_public_card *c,
                                  int whole_text);

/* GET /signalements, GET /signalements/{ref}, POST /signalements/{ref}/moi-aussi. */
void tracking_public_list(http_req *rq);
void tracking_public_show(http_req *rq);
void tracking_public_support(http_req *rq);
/* GET /signalements/autour?lat=…&lon=…[&rayon=…]. */
void tracking_public_nearby(http_req *rq);

#endif

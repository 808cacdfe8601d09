/*
 * request_public — what readers who are not agents may see of a request: which requests the
 * public incidents pages show, their public text (the one an agent wrote or approved, never
 * the citizen's own words, which name people), the card a list shows of each (with its first
 * approved photo), and the public open incidents near a point for the report flow.
 */
#ifndef GUICHET_CORE_REQUEST_PUBLIC_H
#define GUICHET_CORE_REQUEST_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define REQUEST_PUBLIC_TEXT_MAX 2000 /* characters of a public text (Open311 allows 4,000) */

/* 1 for a procedure whose requests may appear on the public pages: marked public and an
 * incident (démarches are never public; «stationnement gênant» is not marked public). */
int request_public_procedure(const cat_procedure *p);

/* 1 when r may appear on the public pages: shown publicly (an agent accepted it, or its
 * procedure publishes at once) and of a public procedure; *p (may be NULL) its procedure. */
int request_public_visible(const cat_tenant *t, const store_request *r, const cat_procedure **p);

/* The text a reader who is not an agent may see of r (the public pages, Open311): its
 * approved public text, or NULL while none is approved. Never the citizen's description. */
const char *request_public_text(const store_request *r);

/* What a card of a public incident shows: nothing personal. Strings point into the request
 * read (or the arena of request_public_nearby). */
typedef struct request_public_card {
    const char *reference;
    const cat_procedure *procedure; /* the category; in the catalogue snapshot */
    const char *text;               /* request_public_text; NULL: none approved */
    const char *status;             /* status code */
    const char *address;            /* NULL when none */
    int has_location;
    double lat, lon;
    int has_distance;  /* 1 from request_public_nearby: distance_m is set */
    double distance_m; /* from the point request_public_nearby was given */
    int supporters;    /* «moi aussi» count (the reporter not included) */
    int64_t created_at;
    int64_t photo_id; /* the first approved photo with a thumbnail; 0: none */
} request_public_card;

/* Fills *out from r, which must be visible (request_public_visible; ERR_NOT_FOUND
 * otherwise), with its first approved photo read from the store. */
int request_public_card_of(core *c, const cat_tenant *t, const store_request *r,
                           request_public_card *out, error *err);

#define REQUEST_NEARBY_MAX_METRES 5000.0 /* «near here» on foot, not a town-wide list */
#define REQUEST_NEARBY_MAX_LIMIT 50

/* The public open incidents within `metres` (> 0, at most REQUEST_NEARBY_MAX_METRES) of
 * (lat, lon), nearest first, at most `limit` (1 to REQUEST_NEARBY_MAX_LIMIT): each visible on
 * the public pages, not closed, with its distance and first approved photo. Reads a bounding
 * box of the index of public open requests, so that it stays fast at ten million requests.
 * *out (n cards) in a. ERR_INVALID_ARG naming "lat", "lon", "metres" or "limit". */
int request_public_nearby(core *c, const cat_tenant *t, double lat, double lon, double metres,
                          size_t limit, arena *a, request_public_card **out, size_t *n, error *err);

#endif

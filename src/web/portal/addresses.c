/*
 * addresses — the collectivité's address list as JSON for the location step's scripts
 * (static/js/address.js, map.js): GET /adresses?q= (the best hits as the citizen types) and
 * GET /adresses/proche?lat=&lon= (the address at a position: the phone's, the map's
 * marker). Public and the same for every visitor, so answered from the response cache;
 * each client address has its own rate limit. Errors are JSON too, with the collectivité's
 * language's message (templates/i18n/<lang>/address.json).
 */
#include "web/portal/portal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "util/jsonw.h"

#define JSON_CTYPE "application/json; charset=utf-8"

/* Hits answered by default and at most (the search's own bound). */
#define HITS_DEFAULT 8
/* How far from the position an address still names it: beyond, «near» would mislead. */
#define NEARBY_M 150.0
/* Requests per second and burst per client address: a citizen typing, with the script's
 * pause between keys, asks about three a second. */
#define ADDRESS_RATE 5.0
#define ADDRESS_BURST 30.0

/* The JSON error writer of the /adresses mount: {"error": {"code", "message", "argument"}},
 * the message from the strings (address.errors.<argument>) when there is one, else the
 * generic sentence of the code. */
void portal_address_write_error(http_req *rq, const error *e)
{
    err_code code = e->code > ERR_NONE && e->code < ERR_COUNT ? e->code : ERR_INTERNAL;
    int status = err_http_status(code);
    const char *message = err_message(code, rq->lang);
    if (status < 500 && e->arg[0]) {
        char key[96];
        snprintf(key, sizeof key, "address.errors.%s", e->arg);
        const char *s = present_string(rq->present, rq->lang, key);
        if (s && strcmp(s, key) != 0)
            message = s;
    }
    rq->cacheable = 0;
    buf_reset(&rq->out);
    jsonw w;
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_object_begin(&w, "error");
    jsonw_string(&w, "code", err_name(code));
    jsonw_string(&w, "message", message);
    if (e->arg[0])
        jsonw_string(&w, "argument", e->arg);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    jsonw_finish(&w);
    http_add_header(rq, "Cache-Control", "no-store");
    http_respond(rq, status, JSON_CTYPE);
}

static void fail(http_req *rq, err_code code, const char *arg, const char *detail)
{
    error e;
    error_set(&e, code, arg, "%s", detail);
    http_respond_error(rq, &e);
}

/* The collectivité and the client's allowance: 0, or -1 once answered. */
static int address_begin(http_req *rq)
{
    if (!rq->host_tenant) {
        fail(rq, ERR_NOT_FOUND, NULL, "no collectivité answers on this host");
        return -1;
    }
    error e;
    const char *bucket = arena_printf(rq->arena, "address:%s", rq->client_ip ? rq->client_ip : "?");
    if (http_ratelimit(rq, bucket ? bucket : "address", ADDRESS_RATE, ADDRESS_BURST, &e) != 0) {
        http_respond_error(rq, &e);
        return -1;
    }
    return 0;
}

static void write_hit(jsonw *w, const store_address *h)
{
    jsonw_object_begin(w, NULL);
    jsonw_string(w, "label", h->label);
    jsonw_double(w, "lat", h->lat);
    jsonw_double(w, "lon", h->lon);
    jsonw_string(w, "type", h->number > 0 ? "address" : "street");
    jsonw_object_end(w);
}

static void respond_json(http_req *rq, jsonw *w)
{
    if (jsonw_finish(w) != 0) {
        fail(rq, ERR_INTERNAL, NULL, "response over the output limit");
        return;
    }
    http_cacheable(rq);
    http_respond(rq, 200, JSON_CTYPE);
}

/* GET /adresses?q=…&limit=N */
static void address_search_get(http_req *rq)
{
    if (address_begin(rq) != 0)
        return;
    const char *q = form_get(&rq->query, "q");
    if (!q || !*q) {
        fail(rq, ERR_MISSING_ARG, "q", "q is required");
        return;
    }
    size_t limit = HITS_DEFAULT;
    const char *l = form_get(&rq->query, "limit");
    if (l) {
        char *end = NULL;
        long v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > ADDRESS_LIMIT_MAX) {
            fail(rq, ERR_INVALID_ARG, "limit", "limit must be 1 to 20");
            return;
        }
        limit = (size_t)v;
    }
    store_address *hits = NULL;
    size_t n = 0;
    error e;
    if (address_search(rq->core, rq->host_tenant->rec.id, q, limit, rq->arena, &hits, &n, &e) !=
        0) {
        http_respond_error(rq, &e);
        return;
    }
    jsonw w;
    jsonw_init(&w, &rq->out);
    jsonw_array_begin(&w, NULL);
    for (size_t i = 0; i < n; i++)
        write_hit(&w, &hits[i]);
    jsonw_array_end(&w);
    respond_json(rq, &w);
}

/* A coordinate as sent: a decimal number (point or comma) within [-max, max]. */
static int coordinate(http_req *rq, const char *name, double max, double *out)
{
    const char *v = form_get(&rq->query, name);
    if (!v || !*v || strlen(v) > 32) {
        fail(rq, v && *v ? ERR_INVALID_ARG : ERR_MISSING_ARG, name,
             "a decimal coordinate is required");
        return -1;
    }
    char text[33];
    snprintf(text, sizeof text, "%s", v);
    for (char *c = text; *c; c++)
        if (*c == ',')
            *c = '.';
    char *end = NULL;
    double d = strtod(text, &end);
    if (*end || !isfinite(d) || d < -max || d > max) {
        fail(rq, ERR_INVALID_ARG, name, "the coordinate is out of range");
        return -1;
    }
    *out = d;
    return 0;
}

/* GET /adresses/proche?lat=…&lon=… */
static void address_nearby_get(http_req *rq)
{
    if (address_begin(rq) != 0)
        return;
    double lat, lon;
    if (coordinate(rq, "lat", 90, &lat) != 0 || coordinate(rq, "lon", 180, &lon) != 0)
        return;
    store_address ad;
    double d = 0;
    int found = 0;
    error e;
    if (address_nearest(rq->core, rq->host_tenant->rec.id, lat, lon, NEARBY_M, rq->arena, &ad, &d,
                        &found, &e) != 0) {
        http_respond_error(rq, &e);
        return;
    }
    if (!found) {
        fail(rq, ERR_NOT_FOUND, "nearby", "no known address within 150 m");
        return;
    }
    jsonw w;
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "label", ad.label);
    jsonw_double(&w, "lat", ad.lat);
    jsonw_double(&w, "lon", ad.lon);
    jsonw_int(&w, "distance", (int64_t)lround(d));
    jsonw_object_end(&w);
    respond_json(rq, &w);
}

const http_route portal_address_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/adresses", address_search_get},
    {HTTP_GET | HTTP_HEAD, "/adresses/proche", address_nearby_get},
    {0, NULL, NULL},
};

/*
 * static — GET and HEAD /static/… from the assets embedded in the binary. The bytes are
 * already in memory, so they are answered directly (not through the response cache), with
 * an ETag so that browsers revalidate with a 304 instead of downloading again.
 */
#include <string.h>

#include "present/assets.h"
#include "web/web.h"

#define STATIC_CACHE_CONTROL "public, max-age=3600"

int web_etag_matches(const char *header, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p = end;
    }
    return 0;
}

static void serve_static(http_req *rq)
{
    /* The asset path from the decoded segments. The table only holds normalised paths, so
     * ".." can only miss; an encoded slash is refused so that each file has one URL. */
    char path[512] = "static";
    size_t len = strlen(path);
    for (size_t i = 0; i < HTTP_MAX_PARAMS && rq->params[i]; i++) {
        size_t n = strlen(rq->params[i]);
        if (len + 1 + n >= sizeof path || memchr(rq->params[i], '/', n))
            goto not_found;
        path[len++] = '/';
        memcpy(path + len, rq->params[i], n + 1);
        len += n;
    }
    const web_asset *a = assets_find(path);
    if (!a)
        goto not_found;
    http_add_header(rq, "ETag", a->etag);
    http_add_header(rq, "Cache-Control", STATIC_CACHE_CONTROL);
    const char *inm = http_header(rq, "If-None-Match");
    if (inm && web_etag_matches(inm, a->etag)) {
        http_respond(rq, 304, NULL);
        return;
    }
    /* HEAD gets the same Content-Length: libmicrohttpd leaves the body out itself. */
    if (buf_append(&rq->out, a->data, a->len) != 0) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "static asset %s larger than the output limit", path);
        http_respond_error(rq, &e);
        return;
    }
    http_respond(rq, 200, a->content_type);
    return;
not_found:;
    error e;
    error_set(&e, ERR_NOT_FOUND, "path", "no such static file");
    http_respond_error(rq, &e);
}

const http_route web_static_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/static/{}", serve_static},
    {HTTP_GET | HTTP_HEAD, "/static/{}/{}", serve_static},
    {HTTP_GET | HTTP_HEAD, "/static/{}/{}/{}", serve_static},
    {HTTP_GET | HTTP_HEAD, "/static/{}/{}/{}/{}", serve_static},
    {0, NULL, NULL},
};

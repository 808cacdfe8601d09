/*
 * json_error — the JSON entrances' error object (json_error.h).
 */
#include "api/json_error.h"

#include "util/jsonw.h"

#define JSON_CTYPE "application/json; charset=utf-8"

void api_write_json_error(http_req *rq, const error *e)
{
    api_write_json_error_motif(rq, e, NULL);
}

void api_write_json_error_motif(http_req *rq, const error *e, const char *motif)
{
    err_code code = e->code;
    if (code <= ERR_NONE || code >= ERR_COUNT)
        code = ERR_INTERNAL;
    buf_reset(&rq->out);
    jsonw w;
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_object_begin(&w, "error");
    jsonw_string(&w, "code", err_name(code));
    jsonw_string(&w, "message", err_message(code, rq->lang));
    if (e->arg[0])
        jsonw_string(&w, "argument", e->arg);
    /* A client's mistake is explained; our own failures (5xx) say only the generic sentence:
     * their detail (a store operation, SQLite's words) is for the log. */
    if (e->detail[0] && err_http_status(code) < 500)
        jsonw_string(&w, "detail", e->detail);
    if (motif)
        jsonw_string(&w, "motif", motif);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    if (code == ERR_UNAUTHORIZED)
        http_add_header(rq, "WWW-Authenticate", "Bearer realm=\"guichet\"");
    http_respond(rq, err_http_status(code), JSON_CTYPE);
}

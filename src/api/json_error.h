/*
 * json_error — the error object the JSON entrances answer with (the JSON API, the
 * gateways): {"error": {"code", "message", "argument"?, "detail"?}}.
 */
#ifndef GUICHET_API_JSON_ERROR_H
#define GUICHET_API_JSON_ERROR_H

#include "http/http.h"

/* Answers e with err_http_status(code); a 401 carries WWW-Authenticate: Bearer. */
void api_write_json_error(http_req *rq, const error *e);
/* The same with "motif": why, in French, for the person who will read it (the post room's
 * import writes it beside a refused file); NULL: none. */
void api_write_json_error_motif(http_req *rq, const error *e, const char *motif);

#endif

/*
 * gateway — the entrances of the messaging gateways under /passerelle/: POST /passerelle/mail
 * takes one e-mail (message/rfc822) from `guichet mailgate`, with a "gateway"-scope key in
 * `Authorization: Bearer <key>`, and answers in JSON what became of it (docs/api.md);
 * POST /passerelle/courrier takes one scanned letter from `guichet courrier import`.
 */
#ifndef GUICHET_API_GATEWAY_H
#define GUICHET_API_GATEWAY_H

#include "http/http.h"

/* The gateways' routes, terminated by {0, NULL, NULL}; mounted under "/passerelle/". */
extern const http_route gateway_routes[];

/* The mount's error writer: {"error": {"code", "message", "argument"?, "detail"?}} with
 * err_http_status(code), as the JSON API writes them (the mailgate reads the status). */
void gateway_write_error(http_req *rq, const error *err);

#endif

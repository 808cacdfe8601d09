/*
 * rest — the JSON API at /api/v1/ for agents' software: list requests with filters and cursor
 * paging, read one with its whole timeline (public and internal), change its status, assignee,
 * priority or department, and add public or internal notes. Every call needs an "api"-scope
 * key in `Authorization: Bearer <key>`; personal data is part of the answers.
 */
#ifndef GUICHET_API_REST_H
#define GUICHET_API_REST_H

#include "http/http.h"

/* The JSON API's routes, terminated by {0, NULL, NULL}; mounted under "/api/". */
extern const http_route rest_routes[];

/* The mount's error writer: answers err as {"error": {"code", "message", "argument"?,
 * "detail"?}} with err_http_status(code). The server calls it for what it refuses before a
 * handler runs (unknown path, wrong method, body too large, rate limits); handlers reach it
 * through http_respond_error. */
void rest_write_error(http_req *rq, const error *err);

#endif

/*
 * open311 — the Open311 GeoReport v2 entrance at /open311/v2/: service discovery, the service
 * list and definitions, POST and GET of service requests, and tokens, each in .json and
 * .xml. It turns HTTP arguments into core calls (params.h checks them, docw.h writes both
 * formats) and never shows personal data or the citizen's tracking token.
 */
#ifndef GUICHET_API_OPEN311_H
#define GUICHET_API_OPEN311_H

#include "http/http.h"

/* Version stamp announced as the discovery "changeset": the date this API's behaviour last
 * changed (sortable, as Service Discovery asks). */
#define OPEN311_CHANGESET "2026-12-06T12:00:00Z"

/* The Open311 routes, terminated by {0, NULL, NULL}; mounted under "/open311/". */
extern const http_route open311_routes[];

/* The mount's error writer: answers err as the spec's errors list (JSON, or XML when the
 * path asked for .xml) with the HTTP status as code: 403 for any credential problem,
 * err_http_status otherwise. Headers such as Retry-After are the caller's. */
void open311_write_error(http_req *rq, const error *err);

#endif

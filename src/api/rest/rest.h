/*
 * rest — the JSON API at /api/v1/ for agents' software: list requests with filters and cursor
 * paging, read one with its whole timeline (public and internal), change its status, assignee,
 * priority or department, and add public or internal notes. Every call needs an "api"-scope
 * key in `Authorization: Bearer <key>`; personal data is part of the answers.
 */
#ifndef GUICHET_API_REST_H
#define GUICHET_API_REST_H

#include "http/http.h"

/* The JSON API's routes, terminated by {0, NULL, NULL}. Every path under /api/v1 is claimed
 * (up to HTTP_MAX_PARAMS segments) so that unknown ones get a JSON 404, not a text one. */
extern const http_route rest_routes[];

#endif

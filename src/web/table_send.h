/*
 * table_send — the HTTP side of the tables handed out as files (docs/tabular.h), shared by
 * the back office's exports and the portal's open data: the download's headers and the
 * stream handed to the server, and what both sides write in their rows (a time in the
 * collectivité's zone, the quartier of a point).
 */
#ifndef GUICHET_WEB_TABLE_SEND_H
#define GUICHET_WEB_TABLE_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "docs/tabular.h"
#include "http/http.h"
#include "store/records.h"
#include "util/arena.h"

/* Sends stream s (taken) as a download named "<name>.<extension of f>" (name ASCII, no
 * quote), streamed: the table is produced as the client reads it. The caller sets the
 * caching headers first. */
void web_send_table(http_req *rq, tabular_stream *s, tabular_format f, const char *name);

/* Bytes of web_table_time's text, NUL included. */
#define WEB_TABLE_TIME_LEN 17
/* t in zone tz as "YYYY-MM-DD HH:MM" (date_only: "YYYY-MM-DD") into out; "" for 0. */
void web_table_time(int64_t t, const char *tz, int date_only, char out[WEB_TABLE_TIME_LEN]);

/* The name of the first quartier of tenant_id holding (lat, lon) (core/area.h), in a; NULL
 * when none holds it or on a failure (logged: a row without its quartier is still right). */
const char *web_table_quartier(core *c, int64_t tenant_id, double lat, double lon, arena *a);

/* Requests read at a time by web_table_next_requests, and what one batch's strings may
 * take. */
#define WEB_TABLE_BATCH 500
#define WEB_TABLE_BATCH_ARENA_MAX (16u * 1024 * 1024)

/* Sets f for a walk in batches: newest first along the default order's index, keyset paging
 * from the start (the millionth row costs what the first did), WEB_TABLE_BATCH a batch. */
void web_table_walk_start(store_request_filter *f);
/* The next batch of f's walk into *rows (n of them; 0: the walk is over), in a, which is
 * freed and made again first; moves f's cursor past them. -1 on a storage failure (logged,
 * with what). */
int web_table_walk_next(core *c, store_request_filter *f, arena *a, store_request **rows, size_t *n,
                        const char *what);

#endif

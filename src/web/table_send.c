/*
 * table_send — downloads of tables, streamed (see table_send.h).
 */
#include "web/table_send.h"

#include <stdint.h>
#include <string.h>

#include "core/area.h"
#include "core/request.h"
#include "util/log.h"
#include "util/timeutil.h"

void web_send_table(http_req *rq, tabular_stream *s, tabular_format f, const char *name)
{
    http_add_header(
        rq, "Content-Disposition",
        arena_printf(rq->arena, "attachment; filename=\"%s.%s\"", name, tabular_extension(f)));
    /* Never a page of ours, whatever a browser might sniff. */
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond_stream(rq, 200, tabular_content_type(f), tabular_stream_read, tabular_stream_free,
                        s);
}

void web_table_time(int64_t t, const char *tz, int date_only, char out[WEB_TABLE_TIME_LEN])
{
    out[0] = '\0';
    if (!t)
        return;
    char full[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, full);
    /* "2026-12-07T10:15:00+01:00": the date, a space, hours and minutes. */
    size_t n = date_only ? 10 : 16;
    memcpy(out, full, n);
    out[n] = '\0';
    if (!date_only)
        out[10] = ' ';
}

const char *web_table_quartier(core *c, int64_t tenant_id, double lat, double lon, arena *a)
{
    area_hit hit;
    size_t n = 0;
    error err;
    error_clear(&err);
    if (area_at(c, tenant_id, AREA_QUARTIER, lat, lon, a, &hit, 1, &n, &err) != 0) {
        log_warn("table: quartier of a point: %s", err.detail);
        return NULL;
    }
    return n ? hit.name : NULL;
}

void web_table_walk_start(store_request_filter *f)
{
    f->n_references = 0;
    f->sort = STORE_SORT_CREATED_DESC;
    f->offset = 0;
    /* A cursor past every row from the first batch on: every batch then follows the same
     * (created_at, id) order (a text search without a cursor follows the full-text index's
     * ids instead, which the cursor could not continue). */
    f->before_created_at = f->before_id = INT64_MAX;
    f->limit = WEB_TABLE_BATCH;
    f->count_cap = 0;
}

int web_table_walk_next(core *c, store_request_filter *f, arena *a, store_request **rows, size_t *n,
                        const char *what)
{
    arena_free(a);
    arena_init(a, WEB_TABLE_BATCH_ARENA_MAX);
    *rows = NULL;
    *n = 0;
    error err;
    error_clear(&err);
    if (request_search(c, f, a, rows, n, &err) != 0) {
        log_error("%s: %s", what, err.detail);
        return -1;
    }
    if (*n) {
        f->before_created_at = (*rows)[*n - 1].created_at;
        f->before_id = (*rows)[*n - 1].id;
    }
    return 0;
}

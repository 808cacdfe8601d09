/*
 * opendata — the collectivité's incidents as open data, at stable public URLs without a key:
 * /donnees-ouvertes/signalements.csv and /donnees-ouvertes/signalements.geojson. Only what
 * the public incidents pages show (request_public_visible), anonymised: no name, e-mail,
 * telephone or address, never the citizen's own words (only the text an agent approved for
 * the public), the day without the time, and the position snapped to a grid of about 100 m
 * (see round_position). The schema is docs/open-data.md's; its column names are part of it
 * and never translated.
 *
 * The file is written as it is sent (docs/tabular's stream, batches of the store's index)
 * and revalidated cheaply: its ETag and Last-Modified come from the latest change of a
 * public incident, their count and the catalogue's version, read before the walk.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/area.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/workflow.h"
#include "util/log.h"
#include "web/portal/portal.h"
#include "web/table_send.h"

/* Clients may keep the file an hour, then revalidate with its ETag. */
#define CACHE_CONTROL "public, max-age=3600"

/* Degrees of latitude of the grid's step: 0.001° is 111 m everywhere. */
#define GRID_LAT 0.001

enum {
    COL_REFERENCE,
    COL_DATE,
    COL_CATEGORY_CODE,
    COL_CATEGORY,
    COL_STATUS,
    COL_CLOSED,
    COL_QUARTIER,
    COL_LAT,
    COL_LON,
    COL_TEXT,
    COL_SUPPORTERS,
    N_COLS
};

static const tabular_column columns[N_COLS] = {
    [COL_REFERENCE] = {"reference", TABULAR_TEXT},
    [COL_DATE] = {"date_signalement", TABULAR_TEXT},
    [COL_CATEGORY_CODE] = {"categorie_code", TABULAR_TEXT},
    [COL_CATEGORY] = {"categorie", TABULAR_TEXT},
    [COL_STATUS] = {"statut", TABULAR_TEXT},
    [COL_CLOSED] = {"date_cloture", TABULAR_TEXT},
    [COL_QUARTIER] = {"quartier", TABULAR_TEXT},
    [COL_LAT] = {"latitude", TABULAR_NUMBER},
    [COL_LON] = {"longitude", TABULAR_NUMBER},
    [COL_TEXT] = {"description_publique", TABULAR_TEXT},
    [COL_SUPPORTERS] = {"soutiens", TABULAR_NUMBER},
};

typedef struct opendata_ctx {
    core *c;
    const catalogue *cat;
    const cat_tenant *t; /* in cat */
    store_request_filter f;
    int has_quartiers;
    arena batch;
} opendata_ctx;

static void ctx_free(void *p)
{
    opendata_ctx *x = p;
    if (!x)
        return;
    if (x->cat)
        catalogue_release(x->c, x->cat);
    arena_free(&x->batch);
    free(x);
}

/* The position snapped to the grid: latitude to a multiple of GRID_LAT, longitude to a
 * multiple of GRID_LAT / cos(latitude), the same ~111 m on the ground at any latitude (at
 * 45° N that is 0.00141°). A point is then known to within about 55 m each way: a street, not
 * a door. */
static void round_position(double lat, double lon, double *rlat, double *rlon)
{
    *rlat = round(lat / GRID_LAT) * GRID_LAT;
    double c = cos(*rlat * M_PI / 180.0);
    double step = GRID_LAT / (c > 0.01 ? c : 0.01);
    *rlon = round(lon / step) * step;
}

static void row_cells(opendata_ctx *x, const store_request *r, const cat_procedure *p,
                      const char *cells[N_COLS])
{
    arena *a = &x->batch;
    const char *tz = x->t->rec.timezone;
    char day[WEB_TABLE_TIME_LEN];
    memset(cells, 0, N_COLS * sizeof *cells);
    cells[COL_REFERENCE] = r->reference;
    web_table_time(r->created_at, tz, 1, day);
    cells[COL_DATE] = arena_strdup(a, day);
    cells[COL_CATEGORY_CODE] = p->rec.code;
    cells[COL_CATEGORY] = p->rec.name;
    cells[COL_STATUS] =
        web_capitalised_in(a, workflow_citizen_label(p->workflow, r->status, LANG_FR));
    web_table_time(r->closed_at, tz, 1, day);
    cells[COL_CLOSED] = arena_strdup(a, day);
    if (r->has_location) {
        double lat, lon;
        round_position(r->lat, r->lon, &lat, &lon);
        cells[COL_LAT] = arena_printf(a, "%.3f", lat);
        cells[COL_LON] = arena_printf(a, "%.5f", lon);
        /* The quartier of the true position: a quartier names an area far wider than the
         * grid, and the rounded point could fall across its edge. */
        if (x->has_quartiers)
            cells[COL_QUARTIER] = web_table_quartier(x->c, x->t->rec.id, r->lat, r->lon, a);
    }
    cells[COL_TEXT] = request_public_text(r);
    cells[COL_SUPPORTERS] = arena_printf(a, "%d", r->supporters);
}

static int next_batch(void *ctx, tabular *tab)
{
    opendata_ctx *x = ctx;
    store_request *rows = NULL;
    size_t n = 0;
    if (web_table_walk_next(x->c, &x->f, &x->batch, &rows, &n, "open data") != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p;
        if (!request_public_visible(x->t, &rows[i], &p) || !p)
            continue;
        const char *cells[N_COLS];
        row_cells(x, &rows[i], p, cells);
        error err;
        if (tabular_row(tab, cells, &err) != 0) {
            log_error("open data: %s", err.detail);
            return -1;
        }
    }
    return n == WEB_TABLE_BATCH;
}

/* The public incidents of t: shown publicly, of the public procedures when they fit in the
 * filter (each row is checked again with request_public_visible: more procedures than a
 * filter holds, or none, walk every public request). */
static void public_filter(const cat_tenant *t, store_request_filter *f)
{
    memset(f, 0, sizeof *f);
    f->tenant_id = t->rec.id;
    f->only_public = 1;
    size_t n = 0;
    for (size_t i = 0; i < t->n_procedures; i++)
        if (request_public_procedure(&t->procedures[i]))
            n++;
    if (n <= STORE_FILTER_MAX_LIST)
        for (size_t i = 0; i < t->n_procedures; i++)
            if (request_public_procedure(&t->procedures[i]))
                f->procedure_ids[f->n_procedure_ids++] = t->procedures[i].rec.id;
    if (n == 0)
        f->procedure_ids[f->n_procedure_ids++] = -1; /* none: an empty file */
}

/* RFC 9110's IMF-fixdate of t, in a. */
static const char *http_date(arena *a, int64_t t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return NULL;
    return arena_printf(a, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                        months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The validator of the file's content: the latest change of a public request, how many there
 * are, and the catalogue's version (names of categories and statuses), for format f. 0, or -1
 * with err. *last_change: that change's time. */
static int validator(http_req *rq, const store_request_filter *pf, tabular_format f,
                     const char **etag, int64_t *last_change, error *err)
{
    store_request_filter q = *pf;
    q.sort = STORE_SORT_UPDATED_DESC;
    q.limit = 1;
    store_request *rows = NULL;
    size_t n = 0;
    int64_t count = 0;
    if (request_search(rq->core, &q, rq->arena, &rows, &n, err) != 0 ||
        request_count(rq->core, pf, &count, err) != 0)
        return -1;
    *last_change = n ? rows[0].updated_at : 0;
    *etag = arena_printf(rq->arena, "\"%s-%" PRId64 "-%" PRId64 "-%" PRId64 "\"",
                         tabular_extension(f), rq->cat->version, *last_change, count);
    return *etag ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
}

static void send(http_req *rq, tabular_format fmt)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request_filter f;
    public_filter(t, &f);
    const char *etag = NULL;
    int64_t last = 0;
    if (validator(rq, &f, fmt, &etag, &last, &err) != 0) {
        web_write_error(rq, &err);
        return;
    }
    http_add_header(rq, "ETag", etag);
    http_add_header(rq, "Cache-Control", CACHE_CONTROL);
    const char *lm = last ? http_date(rq->arena, last) : NULL;
    if (lm)
        http_add_header(rq, "Last-Modified", lm);
    /* Anyone's script may read it (it is published for that). */
    http_add_header(rq, "Access-Control-Allow-Origin", "*");
    const char *inm = http_header(rq, "If-None-Match");
    if (inm && web_etag_matches(inm, etag)) {
        http_respond(rq, 304, NULL);
        return;
    }
    opendata_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &err);
        return;
    }
    x->c = rq->core;
    arena_init(&x->batch, WEB_TABLE_BATCH_ARENA_MAX);
    x->cat = catalogue_acquire(rq->core);
    x->t = catalogue_tenant_by_id(x->cat, t->rec.id);
    x->f = f;
    web_table_walk_start(&x->f);
    store_area *areas = NULL;
    size_t n_areas = 0;
    if (area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0)
        log_warn("open data: quartiers: %s", err.detail);
    x->has_quartiers = n_areas > 0;
    tabular_options o = {.sheet = "Signalements", .lat_col = COL_LAT, .lon_col = COL_LON};
    tabular *tab = x->t ? tabular_open(fmt, columns, N_COLS, &o, &err) : NULL;
    if (!tab) {
        if (!x->t)
            error_set(&err, ERR_INTERNAL, NULL, "collectivité gone from the catalogue");
        ctx_free(x);
        web_write_error(rq, &err);
        return;
    }
    tabular_stream *s = tabular_stream_new(tab, next_batch, x, ctx_free);
    if (!s) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &err);
        return;
    }
    web_send_table(rq, s, fmt, "signalements");
}

static void csv(http_req *rq)
{
    send(rq, TABULAR_CSV);
}

static void geojson(http_req *rq)
{
    send(rq, TABULAR_GEOJSON);
}

const http_route portal_opendata_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/donnees-ouvertes/signalements.csv", csv},
    {HTTP_GET | HTTP_HEAD, "/donnees-ouvertes/signalements.geojson", geojson},
    {0, NULL, NULL},
};

/*
 * bo_pilotage_map — /agent/pilotage/carte, the incidents map of the dashboards (issue 17): the
 * located requests of the dashboards' filters (bo_pilotage.h: the same rights, scope, rate
 * limit and checks) plus a status (any, open, closed or one status), counted per quartier
 * and on a grid (core/stats_map.h) and drawn on the server (present/svg_map.h) over the
 * quartiers' outlines, beside its alternatives: a table per quartier (open, closed, total)
 * and a table of the busiest cells. /agent/pilotage/carte.svg is the map alone (where each
 * circle's title shows on hover), /agent/pilotage/carte.{csv,xlsx,geojson} its cells as a
 * file. The counts hold no personal data: viewing is not audited; a file is, as the
 * dashboards' are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/stats.h"
#include "core/stats_map.h"
#include "core/workflow.h"
#include "docs/tabular.h"
#include "present/svg_map.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_pilotage.h"
#include "web/backoffice/bo_work.h"
#include "web/table_send.h"
#include "web/web.h"

#define PATH "/agent/pilotage/carte"
#define TEMPLATE "agent/pilotage_map"
/* The map's document: a grid of at most about 41 × 41 circles and the quartiers' outlines,
 * thinned to what the drawing shows, fit well within it; a map past it (thousands of detailed
 * quartiers) is left out and the tables stay. */
#define MAP_MAX_BYTES (1024 * 1024)
/* Cells a file's source writes per call. */
#define ROWS_PER_BATCH 256

/* The map's view: the dashboards' filters and the status asked. */
typedef struct map_view {
    bo_pilotage_view v;
    stats_map_state state;
    const char *status_q; /* "&statut=…" for links, or "" */
} map_view;

/* 1 when code is a status of one of t's workflows. */
static int tenant_status(const cat_tenant *t, const char *code)
{
    static const workflow_codes kinds[] = {WORKFLOW_CODES_OPEN, WORKFLOW_CODES_CLOSED};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const char *codes[STORE_FILTER_MAX_LIST];
        size_t n = workflow_tenant_codes(t, kinds[k], codes, STORE_FILTER_MAX_LIST);
        for (size_t i = 0; i < n; i++)
            if (strcmp(codes[i], code) == 0)
                return 1;
    }
    return 0;
}

/* The status field's options («all», open, closed, then every status of the collectivité's
 * workflows) and its value read into mv (an error beside the field when unknown). */
static void read_status(bo_page *p, const cat_tenant *t, map_view *mv)
{
    http_req *rq = p->rq;
    const char *asked = bo_query(rq, "statut");
    json_t *opts = json_array();
    json_array_append_new(opts,
                          bo_option("ouvertes", bo_page_str(p, "pilotage_map.status_open"), asked));
    json_array_append_new(
        opts, bo_option("cloturees", bo_page_str(p, "pilotage_map.status_closed"), asked));
    static const workflow_codes kinds[] = {WORKFLOW_CODES_OPEN, WORKFLOW_CODES_CLOSED};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const char *codes[STORE_FILTER_MAX_LIST];
        size_t n = workflow_tenant_codes(t, kinds[k], codes, STORE_FILTER_MAX_LIST);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                opts, bo_option(codes[i],
                                web_capitalised(rq, workflow_tenant_label(t, codes[i], rq->lang)),
                                asked));
    }
    bo_page_set(p, "statuses", opts);
    mv->state = STATS_MAP_ANY;
    mv->status_q = "";
    if (!asked)
        return;
    mv->status_q = arena_printf(rq->arena, "&statut=%s", bo_url(rq, asked));
    if (strcmp(asked, "ouvertes") == 0) {
        mv->state = STATS_MAP_OPEN;
    } else if (strcmp(asked, "cloturees") == 0) {
        mv->state = STATS_MAP_CLOSED;
    } else if (tenant_status(t, asked)) {
        mv->v.f.statuses[0] = asked;
        mv->v.f.n_statuses = 1;
    } else {
        bo_page_error_key(p, "statut", "pilotage_map.error_status");
    }
}

/* The view of the map: the dashboards' start, then the status. 0, or -1 when answered. */
static int map_start(http_req *rq, store_agent *a, const cat_tenant **t, bo_page *p, map_view *mv)
{
    if (bo_pilotage_view_start(rq, a, t, p, &mv->v) != 0)
        return -1;
    read_status(p, *t, mv);
    return 0;
}

/* The map of the view; -1 with err. A period with more requests than a walk takes is the
 * dates' fault, shown beside them on the page. */
static int map_query(bo_page *p, const cat_tenant *t, const map_view *mv, stats_map *m, error *err)
{
    if (stats_map_query(p->rq->core, t, &mv->v.f, mv->v.area, mv->state, p->rq->arena, m, err) == 0)
        return 0;
    if (err->code == ERR_INVALID_ARG)
        bo_page_error_key(p, "du", "pilotage.error_too_many_requests");
    return -1;
}

/* «12,346» as the page's language writes a coordinate rounded to about 100 m. */
static const char *coordinate(http_req *rq, double deg)
{
    char *s = arena_printf(rq->arena, "%.3f", deg);
    if (s && rq->lang != LANG_EN)
        for (char *c = s; *c; c++)
            if (*c == '.')
                *c = ',';
    return s;
}

/* The words of cell c's circle: «12 demandes — ouvertes : 8, clôturées : 4». */
static const char *cell_title(bo_page *p, const stats_map_cell *c)
{
    http_req *rq = p->rq;
    int64_t total = c->open + c->closed;
    const char *names[] = {"total", "requests", "open", "closed"};
    const char *values[] = {
        arena_printf(rq->arena, "%lld", (long long)total),
        present_plural(rq->present, rq->lang, total, "pilotage_map.requests"),
        arena_printf(rq->arena, "%lld", (long long)c->open),
        arena_printf(rq->arena, "%lld", (long long)c->closed),
    };
    return present_subst(rq->arena, bo_page_str(p, "pilotage_map.cell_title"), names, values, 4);
}

/* The SVG document of m appended to out (its maximum MAP_MAX_BYTES); -1 when it is past it
 * (or out of memory). */
static int map_svg(bo_page *p, const stats_map *m, buf *out)
{
    http_req *rq = p->rq;
    const char **titles = m->n_cells ? arena_alloc(rq->arena, m->n_cells * sizeof *titles) : NULL;
    if (m->n_cells && !titles)
        return -1;
    for (size_t i = 0; i < m->n_cells; i++)
        titles[i] = cell_title(p, &m->cells[i]);
    svg_map_words w = {
        .title = bo_page_str(p, "pilotage_map.map_title"),
        .desc = bo_page_str(p, "pilotage_map.map_desc"),
        .open = bo_page_str(p, "pilotage_map.legend_open"),
        .closed = bo_page_str(p, "pilotage_map.legend_closed"),
        .scale = bo_page_str(p, "pilotage_map.legend_scale"),
        .cell_titles = titles,
    };
    return svg_map_draw(out, m, &w);
}

/* A row of counts: label, open, closed, total. */
static json_t *counts_json(const char *label, int64_t open, int64_t closed)
{
    json_t *o = json_object();
    present_set_str(o, "label", label);
    json_object_set_new(o, "open", json_integer(open));
    json_object_set_new(o, "closed", json_integer(closed));
    json_object_set_new(o, "total", json_integer(open + closed));
    return o;
}

/* The tables beside the map: the quartiers (those with points, and «in none» when it has
 * any), the busiest cells with their centre and quartier. */
static void map_tables(bo_page *p, const stats_map *m)
{
    http_req *rq = p->rq;
    json_t *areas = json_array();
    for (size_t i = 0; i < m->n_areas; i++) {
        const stats_map_area *ar = &m->areas[i];
        if (!ar->open && !ar->closed)
            continue;
        json_array_append_new(areas,
                              counts_json(ar->name ? ar->name : bo_page_str(p, "pilotage.no_area"),
                                          ar->open, ar->closed));
    }
    bo_page_set(p, "area_rows", areas);
    bo_page_set(p, "area_total", counts_json(bo_page_str(p, "pilotage.total"), m->open, m->closed));
    json_t *top = json_array();
    for (size_t i = 0; i < m->n_cells && i < STATS_MAP_TOP; i++) {
        const stats_map_cell *c = &m->cells[i];
        const stats_map_area *ar = c->area >= 0 ? &m->areas[c->area] : NULL;
        json_t *o = counts_json(arena_printf(rq->arena, "%zu", i + 1), c->open, c->closed);
        present_set_str(o, "lat", coordinate(rq, c->lat));
        present_set_str(o, "lon", coordinate(rq, c->lon));
        present_set_str(o, "area", ar && ar->name ? ar->name : bo_page_str(p, "pilotage.no_area"));
        json_array_append_new(top, o);
    }
    bo_page_set(p, "top_cells", top);
    /* The cells' size, stated beside the table: about so many metres a side. */
    bo_page_set(p, "cell_size",
                json_string(arena_printf(rq->arena, "%.0f", m->cell_lat * 111195.0)));
}

static void map_get(http_req *rq)
{
    store_agent a;
    const cat_tenant *t = NULL;
    bo_page p;
    map_view mv;
    if (map_start(rq, &a, &t, &p, &mv) != 0)
        return;
    bo_page_set(&p, "status_q", json_string(mv.status_q));
    stats_map m = {0};
    error err;
    error_clear(&err);
    if (!bo_page_has_errors(&p)) {
        if (map_query(&p, t, &mv, &m, &err) != 0) {
            if (err.code != ERR_INVALID_ARG) {
                bo_page_fail(&p, &err);
                return;
            }
        } else {
            bo_page_set(&p, "period_text",
                        json_string(arena_printf(rq->arena, "%s – %s",
                                                 bo_date(rq, t, mv.v.f.created_from, 0),
                                                 bo_date(rq, t, mv.v.f.created_to, 0))));
            bo_page_set(&p, "located", json_integer(m.open + m.closed));
            map_tables(&p, &m);
            buf svg;
            buf_init(&svg, MAP_MAX_BYTES);
            if (m.open + m.closed && map_svg(&p, &m, &svg) == 0) {
                const char *src = bo_pilotage_data_url(rq, &svg);
                if (src)
                    bo_page_set(&p, "map_src", json_string(src));
            } else if (m.open + m.closed) {
                bo_page_set(&p, "map_too_large", json_true());
            }
            buf_free(&svg);
            bo_page_set(&p, "has_figures", json_true());
            stats_map_free(&m);
        }
    }
    bo_page_render(&p, 200, TEMPLATE, bo_page_str(&p, "pilotage_map.title"));
}

/* ---- the map alone and its cells as files ---- */

/* The cells of a map being written as a file. */
typedef struct cells_source {
    stats_map m;
    size_t next;
} cells_source;

static void cells_source_free(void *ctx)
{
    cells_source *cs = ctx;
    if (!cs)
        return;
    stats_map_free(&cs->m);
    free(cs);
}

/* tabular_source: the next ROWS_PER_BATCH cells (latitude, longitude, open, closed, total;
 * coordinates of the cell's centre to 6 decimals, the figures being the grid's, not
 * anyone's position). */
static int cells_rows(void *ctx, tabular *t)
{
    cells_source *cs = ctx;
    error err;
    error_clear(&err);
    for (size_t k = 0; k < ROWS_PER_BATCH && cs->next < cs->m.n_cells; k++, cs->next++) {
        const stats_map_cell *c = &cs->m.cells[cs->next];
        char lat[32], lon[32], open[24], closed[24], total[24];
        snprintf(lat, sizeof lat, "%.6f", c->lat);
        snprintf(lon, sizeof lon, "%.6f", c->lon);
        snprintf(open, sizeof open, "%lld", (long long)c->open);
        snprintf(closed, sizeof closed, "%lld", (long long)c->closed);
        snprintf(total, sizeof total, "%lld", (long long)(c->open + c->closed));
        const char *cells[] = {lat, lon, open, closed, total};
        if (tabular_row(t, cells, &err) != 0) {
            log_error("pilotage map: file row: %s", err.detail);
            return -1;
        }
    }
    return cs->next < cs->m.n_cells;
}

/* /agent/pilotage/carte.svg: the map alone; /agent/pilotage/carte.{csv,xlsx,geojson}: its
 * cells. With the page's rights, scope and checks (a refused filter shows the page with its
 * errors). */
static void map_file(http_req *rq)
{
    int svg = rq->format && strcmp(rq->format, "svg") == 0;
    tabular_format fmt = TABULAR_CSV;
    if (!svg && (!rq->format || tabular_format_parse(rq->format, &fmt) != 0)) {
        bo_not_found(rq);
        return;
    }
    store_agent a;
    const cat_tenant *t = NULL;
    bo_page p;
    map_view mv;
    if (map_start(rq, &a, &t, &p, &mv) != 0)
        return;
    error err;
    error_clear(&err);
    cells_source *cs = NULL;
    if (!bo_page_has_errors(&p) && !(cs = calloc(1, sizeof *cs)))
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
    if (bo_page_has_errors(&p) || !cs || map_query(&p, t, &mv, &cs->m, &err) != 0) {
        free(cs);
        if (bo_page_has_errors(&p))
            bo_page_render(&p, 200, TEMPLATE, bo_page_str(&p, "pilotage_map.title"));
        else
            bo_page_fail(&p, &err);
        return;
    }
    char day[WEB_TABLE_TIME_LEN];
    web_table_time(time_now(), t->rec.timezone, 1, day);
    const char *name = arena_printf(rq->arena, "carte-signalements-%s", day);
    http_add_header(rq, "Cache-Control", "no-store");
    if (svg) {
        buf out;
        buf_init(&out, MAP_MAX_BYTES);
        int rc = map_svg(&p, &cs->m, &out);
        bo_page_discard(&p);
        cells_source_free(cs);
        if (rc == 0)
            rc = buf_append(&rq->out, out.data, out.len);
        buf_free(&out);
        if (rc != 0) {
            error_set(&err, ERR_INTERNAL, NULL, "the map is too large to draw");
            http_respond_error(rq, &err);
            return;
        }
        http_respond(rq, 200, "image/svg+xml; charset=utf-8");
        return;
    }
    bo_page_discard(&p);
    tabular_column cols[] = {
        {present_string(rq->present, rq->lang, "pilotage_map.col_lat"), TABULAR_NUMBER},
        {present_string(rq->present, rq->lang, "pilotage_map.col_lon"), TABULAR_NUMBER},
        {present_string(rq->present, rq->lang, "pilotage_map.col_open"), TABULAR_NUMBER},
        {present_string(rq->present, rq->lang, "pilotage_map.col_closed"), TABULAR_NUMBER},
        {present_string(rq->present, rq->lang, "pilotage_map.col_total"), TABULAR_NUMBER},
    };
    tabular_options o = {.sheet = "Carte", .lat_col = -1, .lon_col = -1};
    if (fmt == TABULAR_GEOJSON) {
        o.lat_col = 0;
        o.lon_col = 1;
    }
    tabular *tab = tabular_open(fmt, cols, sizeof cols / sizeof cols[0], &o, &err);
    if (!tab) {
        cells_source_free(cs);
        http_respond_error(rq, &err);
        return;
    }
    /* From here the stream owns the table and the map (freed with it, or at once when it
     * cannot be made). */
    tabular_stream *s = tabular_stream_new(tab, cells_rows, cs, cells_source_free);
    if (!s) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    core_actor who = bo_who(rq, &a);
    audit_record_access(rq->core, t->rec.id, &who, "export", "statistics", NULL, 0);
    web_send_table(rq, s, fmt, name);
}

const http_route bo_pilotage_map_routes[] = {
    {HTTP_GET | HTTP_HEAD, PATH, map_get},
    {HTTP_GET | HTTP_HEAD, PATH ".{fmt}", map_file},
    {0, NULL, NULL},
};

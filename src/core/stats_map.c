/*
 * stats_map — see stats_map.h for the method. The fine cells live in an open-addressing
 * table keyed by their integer coordinates; when it is full, every coordinate is halved
 * (floor division) and the cells that meet are merged, which is the same grid at twice the
 * step. Memory is the table's (about 2.5 MB) whatever the number of requests.
 */
#include "core/stats_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/area.h"
#include "core/core_internal.h"

/* Room for the quartiers' geometry texts read back (freed before returning): the outlines'
 * STATS_MAP_OUTLINE_VERTICES_MAX positions of at most ~48 bytes each, with room to spare. */
#define MAP_GEOMETRY_ARENA (16u * 1024 * 1024)

typedef struct fine_cell {
    int64_t x, y; /* floor(lon / step), floor(lat / step) */
    int64_t open, closed;
} fine_cell;

/* A quartier's index among the map's areas, by id. */
typedef struct area_slot {
    int64_t id;
    size_t index;
} area_slot;

typedef struct map_walk {
    core *c;
    int64_t tenant_id;
    int64_t area; /* the quartier asked for, or STATS_AREA_ANY */
    stats_map_state state;
    stats_map *m;
    area_slot *by_id; /* m's quartiers sorted by id */
    size_t n_by_id;
    fine_cell *cells;
    uint32_t *slots; /* index + 1 into cells; 0: empty */
    size_t n_cells;
    double step;
    int64_t walked;
    int located; /* whether box holds a point yet */
} map_walk;

#define N_SLOTS (2 * STATS_MAP_FINE_MAX)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static size_t slot_of(int64_t x, int64_t y)
{
    uint64_t h = ((uint64_t)x * 0x9E3779B97F4A7C15u) ^ ((uint64_t)y * 0xC2B2AE3D27D4EB4Fu);
    return (size_t)(h >> 40) & (N_SLOTS - 1);
}

/* The cell (x, y), added when new; NULL when the table is full. */
static fine_cell *cell_at(map_walk *w, int64_t x, int64_t y)
{
    for (size_t i = slot_of(x, y);; i = (i + 1) & (N_SLOTS - 1)) {
        uint32_t s = w->slots[i];
        if (s == 0) {
            if (w->n_cells == STATS_MAP_FINE_MAX)
                return NULL;
            fine_cell *cell = &w->cells[w->n_cells];
            *cell = (fine_cell){.x = x, .y = y};
            w->slots[i] = (uint32_t)++w->n_cells;
            return cell;
        }
        if (w->cells[s - 1].x == x && w->cells[s - 1].y == y)
            return &w->cells[s - 1];
    }
}

/* The same points on a grid of twice the step: coordinates halved, cells that meet merged. */
static void coarsen(map_walk *w)
{
    size_t n = w->n_cells;
    memset(w->slots, 0, N_SLOTS * sizeof *w->slots);
    w->n_cells = 0;
    w->step *= 2;
    for (size_t i = 0; i < n; i++) {
        fine_cell old = w->cells[i]; /* cell_at writes at n_cells <= i */
        fine_cell *to = cell_at(w, floor_div(old.x, 2), floor_div(old.y, 2));
        to->open += old.open;
        to->closed += old.closed;
    }
}

static int slot_cmp(const void *x, const void *y)
{
    int64_t a = ((const area_slot *)x)->id, b = ((const area_slot *)y)->id;
    return (a > b) - (a < b);
}

/* The index among m's areas of quartier id («in none», the last, for 0 or a quartier the map
 * does not have). */
static size_t area_slot_of(const map_walk *w, int64_t id)
{
    area_slot key = {.id = id};
    const area_slot *hit =
        id ? bsearch(&key, w->by_id, w->n_by_id, sizeof *w->by_id, slot_cmp) : NULL;
    return hit ? hit->index : w->m->n_areas - 1;
}

static int collect(void *ctx, const store_request_fact *fact, error *err)
{
    map_walk *w = ctx;
    if (++w->walked > STATS_MAX_REQUESTS)
        return error_set(err, ERR_INVALID_ARG, "created_from",
                         "more than %d requests: narrow the period", STATS_MAX_REQUESTS);
    int open = fact->closed_at == 0;
    if (!fact->has_location || (w->state == STATS_MAP_OPEN && !open) ||
        (w->state == STATS_MAP_CLOSED && open))
        return 0;
    int64_t id = fact->area_id;
    if (id < 0 &&
        area_first(w->c, w->tenant_id, AREA_QUARTIER, fact->lat, fact->lon, &id, NULL, err) != 0)
        return -1;
    if (w->area != STATS_AREA_ANY && id != w->area)
        return 0;
    fine_cell *cell;
    while (!(cell = cell_at(w, (int64_t)floor(fact->lon / w->step),
                            (int64_t)floor(fact->lat / w->step))))
        coarsen(w);
    stats_map_area *ar = &w->m->areas[area_slot_of(w, id)];
    if (open) {
        cell->open++;
        ar->open++;
        w->m->open++;
    } else {
        cell->closed++;
        ar->closed++;
        w->m->closed++;
    }
    area_box *b = &w->m->box;
    if (!w->located) {
        *b = (area_box){fact->lon, fact->lat, fact->lon, fact->lat};
        w->located = 1;
    } else {
        b->min_lon = fmin(b->min_lon, fact->lon);
        b->max_lon = fmax(b->max_lon, fact->lon);
        b->min_lat = fmin(b->min_lat, fact->lat);
        b->max_lat = fmax(b->max_lat, fact->lat);
    }
    return 0;
}

/* The outlines of m's quartiers, read only when they are at most
 * STATS_MAP_OUTLINE_VERTICES_MAX vertices in all, so that a view never parses a survey's
 * millions of points. An outline that cannot be read (or a quartier imported between the two
 * reads) is left out of the drawing, not out of the counts. */
static int read_outlines(core *c, int64_t tenant_id, stats_map *m, error *err)
{
    arena geo;
    arena_init(&geo, MAP_GEOMETRY_ARENA);
    store_area *rows = NULL;
    size_t n = 0;
    int ret = c->store->ops->areas.list(c->store, tenant_id, area_kind_name(AREA_QUARTIER), 1, &geo,
                                        &rows, &n, err);
    for (size_t i = 0; ret == 0 && i < n; i++)
        for (size_t k = 0; k + 1 < m->n_areas; k++)
            if (m->areas[k].id == rows[i].id && rows[i].geometry && !m->areas[k].geom.n_rings) {
                if (area_geom_parse(rows[i].geometry, &m->areas[k].geom) != 0)
                    memset(&m->areas[k].geom, 0, sizeof m->areas[k].geom);
                break;
            }
    arena_free(&geo);
    return ret;
}

/* m's areas: the tenant's quartiers in file order (with their outlines when not too many
 * vertices), then «in none»; their boxes joined into m->box (located set when any). */
static int read_areas(core *c, int64_t tenant_id, arena *a, stats_map *m, int *located, error *err)
{
    store_area *rows = NULL;
    size_t n = 0;
    int ret = c->store->ops->areas.list(c->store, tenant_id, area_kind_name(AREA_QUARTIER), 0, a,
                                        &rows, &n, err);
    if (ret == 0 && !(m->areas = calloc(n + 1, sizeof *m->areas)))
        ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int64_t vertices = 0;
    for (size_t i = 0; ret == 0 && i < n; i++) {
        stats_map_area *ar = &m->areas[m->n_areas++];
        ar->id = rows[i].id;
        ar->code = rows[i].code;
        ar->name = rows[i].name;
        vertices += rows[i].vertices;
        area_box rb = {rows[i].min_lon, rows[i].min_lat, rows[i].max_lon, rows[i].max_lat};
        if (!*located) {
            m->box = rb;
            *located = 1;
        } else {
            m->box.min_lon = fmin(m->box.min_lon, rb.min_lon);
            m->box.min_lat = fmin(m->box.min_lat, rb.min_lat);
            m->box.max_lon = fmax(m->box.max_lon, rb.max_lon);
            m->box.max_lat = fmax(m->box.max_lat, rb.max_lat);
        }
    }
    if (ret == 0)
        m->n_areas++; /* «in none», zeroed */
    if (ret == 0 && n && vertices <= STATS_MAP_OUTLINE_VERTICES_MAX)
        ret = read_outlines(c, tenant_id, m, err);
    return ret;
}

static int cell_total_cmp(const void *x, const void *y)
{
    const stats_map_cell *a = x, *b = y;
    int64_t ta = a->open + a->closed, tb = b->open + b->closed;
    if (ta != tb)
        return ta < tb ? 1 : -1;
    if (a->lat != b->lat)
        return a->lat < b->lat ? -1 : 1;
    return (a->lon > b->lon) - (a->lon < b->lon);
}

static int fine_cmp(const void *x, const void *y)
{
    const fine_cell *a = x, *b = y;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return (a->y > b->y) - (a->y < b->y);
}

/* The map's cells from the walk's fine cells: each fine cell's coordinates divided by the
 * map cell's size in fine cells (kx, ky), equal ones summed. */
static int make_cells(map_walk *w, error *err)
{
    stats_map *m = w->m;
    if (!w->n_cells)
        return 0;
    double lat0 = (m->box.min_lat + m->box.max_lat) / 2;
    double cosl = fmax(cos(lat0 * M_PI / 180), 0.01);
    double side = fmax((m->box.max_lon - m->box.min_lon) * cosl, m->box.max_lat - m->box.min_lat);
    double want = side / STATS_MAP_GRID; /* a cell's side, in degrees of latitude */
    int64_t ky = (int64_t)ceil(want / w->step), kx = (int64_t)ceil(want / cosl / w->step);
    if (ky < 1)
        ky = 1;
    if (kx < 1)
        kx = 1;
    m->cell_lat = (double)ky * w->step;
    m->cell_lon = (double)kx * w->step;
    for (size_t i = 0; i < w->n_cells; i++) {
        w->cells[i].x = floor_div(w->cells[i].x, kx);
        w->cells[i].y = floor_div(w->cells[i].y, ky);
    }
    qsort(w->cells, w->n_cells, sizeof *w->cells, fine_cmp);
    if (!(m->cells = calloc(w->n_cells, sizeof *m->cells)))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < w->n_cells;) {
        stats_map_cell *cell = &m->cells[m->n_cells++];
        const fine_cell *first = &w->cells[i];
        cell->lon = ((double)first->x + 0.5) * m->cell_lon;
        cell->lat = ((double)first->y + 0.5) * m->cell_lat;
        cell->area = -1;
        for (; i < w->n_cells && w->cells[i].x == first->x && w->cells[i].y == first->y; i++) {
            cell->open += w->cells[i].open;
            cell->closed += w->cells[i].closed;
        }
    }
    qsort(m->cells, m->n_cells, sizeof *m->cells, cell_total_cmp);
    for (size_t i = 0; i < m->n_cells && i < STATS_MAP_TOP; i++) {
        int64_t id;
        if (area_first(w->c, w->tenant_id, AREA_QUARTIER, m->cells[i].lat, m->cells[i].lon, &id,
                       NULL, err) != 0)
            return -1;
        m->cells[i].area = (int64_t)area_slot_of(w, id);
    }
    return 0;
}

int stats_map_query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                    stats_map_state state, arena *a, stats_map *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (f->tenant_id != t->rec.id)
        return error_set(err, ERR_INTERNAL, NULL, "stats_map_query: filter of another tenant");
    map_walk w = {.c = c,
                  .tenant_id = t->rec.id,
                  .area = area,
                  .state = state,
                  .m = out,
                  .step = STATS_MAP_FINE_STEP};
    int ret = read_areas(c, t->rec.id, a, out, &w.located, err);
    if (ret == 0) {
        w.by_id = calloc(out->n_areas, sizeof *w.by_id);
        w.cells = malloc(STATS_MAP_FINE_MAX * sizeof *w.cells);
        w.slots = calloc(N_SLOTS, sizeof *w.slots);
        if (!w.by_id || !w.cells || !w.slots)
            ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    if (ret == 0) {
        for (size_t i = 0; i + 1 < out->n_areas; i++)
            w.by_id[w.n_by_id++] = (area_slot){out->areas[i].id, i};
        qsort(w.by_id, w.n_by_id, sizeof *w.by_id, slot_cmp);
        ret = c->store->ops->requests.facts(c->store, f, 0, STORE_FACTS_LOCATED, collect, &w, err);
    }
    if (ret == 0)
        ret = make_cells(&w, err);
    free(w.slots);
    free(w.cells);
    free(w.by_id);
    if (ret != 0)
        stats_map_free(out);
    return ret;
}

void stats_map_free(stats_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->areas && i < m->n_areas; i++)
        area_geom_free(&m->areas[i].geom);
    free(m->areas);
    free(m->cells);
    memset(m, 0, sizeof *m);
}

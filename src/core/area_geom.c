/*
 * area_geom — reading and checking GeoJSON areas, the point-in-polygon test and the grid
 * index (see area_geom.h).
 */
#include "core/area_geom.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/geo.h"
#include "util/utf8.h"

/* Pairs of edges the crossing check of one ring may compare, beyond a few per edge: past
 * it the ring is refused as too intricate rather than checked in quadratic time. */
#define CROSS_PAIRS_BASE 200000
#define CROSS_PAIRS_PER_EDGE 64
/* An edge whose box spans more cells of the crossing check's grid than this is compared
 * with every edge of its ring instead of being registered in each cell. */
#define LONG_EDGE_CELLS 16
/* Cells of the index grid along each axis, at most. */
#define GRID_MAX 128

void area_geom_free(area_geom *g)
{
    if (!g)
        return;
    free(g->xy);
    free(g->rings);
    free(g->polys);
    memset(g, 0, sizeof *g);
}

/* ---- point in polygon ---- */

/* Toggles for each edge of ring [a, b) that the ray from (x, y) towards +x crosses. An
 * edge is taken with its lower end first whichever way the ring runs, so that two rings
 * sharing an edge compute the same sign for the same point (the half-open rule of
 * area_geom_contains then gives a shared border to exactly one of them). */
static int ring_crossings(const double *xy, uint32_t a, uint32_t b, double x, double y)
{
    int odd = 0;
    for (uint32_t i = a; i + 1 < b; i++) {
        const double *p = xy + 2 * i, *q = p + 2;
        if ((p[1] > y) == (q[1] > y))
            continue;
        const double *lo = p[1] < q[1] ? p : q, *hi = p[1] < q[1] ? q : p;
        double cross = (hi[0] - lo[0]) * (y - lo[1]) - (x - lo[0]) * (hi[1] - lo[1]);
        if (cross > 0)
            odd ^= 1;
    }
    return odd;
}

int area_geom_contains(const area_geom *g, double lon, double lat)
{
    if (lon < g->box.min_lon || lon > g->box.max_lon || lat < g->box.min_lat ||
        lat > g->box.max_lat)
        return 0;
    for (size_t p = 0; p < g->n_polys; p++) {
        int odd = 0;
        for (uint32_t r = g->polys[p]; r < g->polys[p + 1]; r++)
            odd ^= ring_crossings(g->xy, g->rings[r], g->rings[r + 1], lon, lat);
        if (odd)
            return 1;
    }
    return 0;
}

/* ---- writing ---- */

char *area_geom_write(const area_geom *g)
{
    /* A position is at most 2 × 24 characters and 4 of punctuation; a ring or polygon 4. */
    buf b;
    buf_init(&b, 64 + g->n_pts * 52 + (g->n_rings + g->n_polys) * 4);
    buf_printf(&b, "{\"type\":\"%s\",\"coordinates\":%s", g->multi ? "MultiPolygon" : "Polygon",
               g->multi ? "[" : "");
    for (size_t p = 0; p < g->n_polys; p++) {
        buf_puts(&b, p ? ",[" : "[");
        for (uint32_t r = g->polys[p]; r < g->polys[p + 1]; r++) {
            buf_puts(&b, r > g->polys[p] ? ",[" : "[");
            for (uint32_t i = g->rings[r]; i < g->rings[r + 1]; i++)
                buf_printf(&b, "%s[%.17g,%.17g]", i > g->rings[r] ? "," : "", g->xy[2 * i],
                           g->xy[2 * i + 1]);
            buf_putc(&b, ']');
        }
        buf_putc(&b, ']');
    }
    buf_puts(&b, g->multi ? "]}" : "}");
    if (b.failed) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

/* ---- reading a geometry ---- */

/* A geometry being read, with the room of its arrays and where to say what is wrong. */
typedef struct reader {
    area_geom *g;
    size_t cap_pts, cap_rings, cap_polys;
    size_t vertices_max; /* positions this geometry may still take */
    area_why *why;       /* where it is (poly, ring, position) kept up to date as it reads */
    int oom;
} reader;

static int fail(reader *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(reader *r, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->why->key = key;
    vsnprintf(r->why->text, sizeof r->why->text, fmt, ap);
    va_end(ap);
    return -1;
}

/* fail for a message that names a position (lon, lat). */
static int fail_at(reader *r, const char *key, double lon, double lat, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_at(reader *r, const char *key, double lon, double lat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->why->key = key;
    r->why->lon = lon;
    r->why->lat = lat;
    vsnprintf(r->why->text, sizeof r->why->text, fmt, ap);
    va_end(ap);
    return -1;
}

/* Makes room for one more element of an array of `size` bytes holding n of cap. */
static int grow(reader *r, void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * size);
    if (!p) {
        r->oom = 1;
        return fail(r, NULL, "out of memory");
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

static double orient(const double *a, const double *b, const double *c)
{
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/* 1 when c, collinear with a and b, lies within their box. */
static int on_segment(const double *a, const double *b, const double *c)
{
    return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= c[1] &&
           c[1] <= fmax(a[1], b[1]);
}

static int sign(double v)
{
    return (v > 0) - (v < 0);
}

/* 1 when segments ab and cd meet, touching included. */
static int segments_meet(const double *a, const double *b, const double *c, const double *d)
{
    int d1 = sign(orient(c, d, a)), d2 = sign(orient(c, d, b));
    int d3 = sign(orient(a, b, c)), d4 = sign(orient(a, b, d));
    if (d1 * d2 < 0 && d3 * d4 < 0)
        return 1;
    return (d1 == 0 && on_segment(c, d, a)) || (d2 == 0 && on_segment(c, d, b)) ||
           (d3 == 0 && on_segment(a, b, c)) || (d4 == 0 && on_segment(a, b, d));
}

/* Edges j and k (j < k) of a ring of n edges that share a vertex fold back onto each other
 * when they are collinear and leave that vertex the same way (a spike). */
static int folds_back(const double *p, uint32_t n, uint32_t j, uint32_t k)
{
    const double *shared, *u, *v;
    if (k == j + 1) {
        shared = p + 2 * k;
        u = p + 2 * j;
        v = p + 2 * (k + 1);
    } else { /* j == 0, k == n - 1: the ring's closing vertex */
        shared = p;
        u = p + 2 * 1;
        v = p + 2 * (n - 1);
    }
    return orient(u, shared, v) == 0 &&
           (u[0] - shared[0]) * (v[0] - shared[0]) + (u[1] - shared[1]) * (v[1] - shared[1]) > 0;
}

/* An edge registered in one cell of the crossing check's grid. */
typedef struct cell_edge {
    uint64_t cell;
    uint32_t k;
} cell_edge;

static int by_cell(const void *a, const void *b)
{
    const cell_edge *x = a, *y = b;
    if (x->cell != y->cell)
        return (x->cell > y->cell) - (x->cell < y->cell);
    return (x->k > y->k) - (x->k < y->k);
}

/* 1 when edges j and k (in any order) of the ring of n edges at p cross, touch, or (when
 * they share a vertex) fold back onto each other. */
static int edges_meet(const double *p, uint32_t n, uint32_t j, uint32_t k)
{
    if (j > k) {
        uint32_t t = j;
        j = k;
        k = t;
    }
    if (k == j + 1 || (j == 0 && k == n - 1))
        return folds_back(p, n, j, k);
    return segments_meet(p + 2 * j, p + 2 * j + 2, p + 2 * k, p + 2 * k + 2);
}

/* Checks that the closed ring of m positions at p neither crosses nor touches itself. The
 * edges are hashed into square cells about as wide as an edge is long on average, and only
 * edges sharing a cell are compared: a few per edge for a real boundary, straight stretches
 * of thousands of positions included. The rare edge much longer than the others (over
 * LONG_EDGE_CELLS cells) is compared with every edge. */
static int check_simple(reader *r, const double *p, uint32_t m, const char *where)
{
    uint32_t n = m - 1; /* edges */
    double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY, len = 0;
    for (uint32_t i = 0; i < m; i++) {
        min_x = fmin(min_x, p[2 * i]);
        max_x = fmax(max_x, p[2 * i]);
        min_y = fmin(min_y, p[2 * i + 1]);
        max_y = fmax(max_y, p[2 * i + 1]);
        if (i + 1 < m)
            len += hypot(p[2 * i + 2] - p[2 * i], p[2 * i + 3] - p[2 * i + 1]);
    }
    /* Cells no smaller than 2^-20 of the ring's extent, so that cell numbers fit 21 bits. */
    double side = fmax(len / n, fmax(max_x - min_x, max_y - min_y) / (1 << 20));
    cell_edge *reg = NULL;
    uint32_t *longs = NULL;
    size_t n_reg = 0, cap_reg = 0, n_long = 0;
    int rc = 0;
    for (uint32_t k = 0; k < n && rc == 0; k++) {
        const double *a = p + 2 * k, *b = a + 2;
        uint64_t x0 = (uint64_t)((fmin(a[0], b[0]) - min_x) / side),
                 x1 = (uint64_t)((fmax(a[0], b[0]) - min_x) / side),
                 y0 = (uint64_t)((fmin(a[1], b[1]) - min_y) / side),
                 y1 = (uint64_t)((fmax(a[1], b[1]) - min_y) / side);
        if ((x1 - x0 + 1) * (y1 - y0 + 1) > LONG_EDGE_CELLS) {
            if (!longs && !(longs = malloc(n * sizeof *longs)))
                rc = -1;
            else
                longs[n_long++] = k;
            continue;
        }
        for (uint64_t x = x0; x <= x1 && rc == 0; x++)
            for (uint64_t y = y0; y <= y1 && rc == 0; y++) {
                if (grow(r, (void **)&reg, &cap_reg, n_reg, sizeof *reg) != 0)
                    rc = -1;
                else
                    reg[n_reg++] = (cell_edge){x << 21 | y, k};
            }
    }
    if (rc != 0) {
        free(reg);
        free(longs);
        r->oom = 1;
        return fail(r, NULL, "out of memory");
    }
    qsort(reg, n_reg, sizeof *reg, by_cell);
    size_t budget = CROSS_PAIRS_BASE + (size_t)n * CROSS_PAIRS_PER_EDGE;
    uint32_t at = 0;
    int found = 0, over = 0;
    for (size_t g = 0; g < n_reg && !found && !over;) {
        size_t end = g + 1;
        while (end < n_reg && reg[end].cell == reg[g].cell)
            end++;
        for (size_t i = g; i < end && !found && !over; i++)
            for (size_t t = i + 1; t < end; t++) {
                if (budget-- == 0) {
                    over = 1;
                    break;
                }
                if (edges_meet(p, n, reg[i].k, reg[t].k)) {
                    found = 1;
                    at = reg[t].k;
                    break;
                }
            }
        g = end;
    }
    for (size_t i = 0; i < n_long && !found && !over; i++)
        for (uint32_t k = 0; k < n; k++) {
            if (k == longs[i])
                continue;
            if (budget-- == 0) {
                over = 1;
                break;
            }
            if (edges_meet(p, n, longs[i], k)) {
                found = 1;
                at = k;
                break;
            }
        }
    free(reg);
    free(longs);
    if (found)
        return fail_at(r, "ring_crosses", p[2 * at], p[2 * at + 1],
                       "%s crosses or touches itself near [%.7g, %.7g]", where, p[2 * at],
                       p[2 * at + 1]);
    if (over)
        return fail(r, "ring_complex",
                    "%s has too many overlapping edges to be checked; simplify it", where);
    return 0;
}

/* Reads one position [lon, lat] (or [lon, lat, altitude]) into *x, *y. */
static int read_position(reader *r, const json_t *pos, double *x, double *y, const char *where,
                         size_t i)
{
    r->why->position = i + 1;
    if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3)
        return fail(r, "position_invalid", "%s, position %zu: not an array of 2 or 3 numbers",
                    where, i + 1);
    for (size_t k = 0; k < json_array_size(pos); k++)
        if (!json_is_number(json_array_get(pos, k)))
            return fail(r, "position_invalid", "%s, position %zu: not an array of 2 or 3 numbers",
                        where, i + 1);
    *x = json_number_value(json_array_get(pos, 0));
    *y = json_number_value(json_array_get(pos, 1));
    if (!geo_valid(*y, *x))
        return fail_at(r, "position_range", *x, *y,
                       "%s, position %zu: [%.7g, %.7g] out of range (longitude -180 to 180, "
                       "latitude -90 to 90)",
                       where, i + 1, *x, *y);
    r->why->position = 0;
    return 0;
}

/* Reads a linear ring, dropping repeated consecutive positions, and checks it. */
static int read_ring(reader *r, const json_t *ring, const char *where)
{
    area_geom *g = r->g;
    if (!json_is_array(ring))
        return fail(r, "ring_invalid", "%s is not an array of positions", where);
    size_t m = json_array_size(ring);
    r->why->n = (long)m;
    if (m < 4)
        return fail(r, "ring_short", "%s has %zu position(s): a ring needs at least 4", where, m);
    if (m > r->vertices_max) {
        r->why->n = AREA_VERTICES_MAX;
        return fail(r, "too_many_positions", "%s: the geometry has over %d positions", where,
                    AREA_VERTICES_MAX);
    }
    r->vertices_max -= m;
    size_t start = g->n_pts;
    double first[2] = {0, 0}, last[2] = {0, 0};
    for (size_t i = 0; i < m; i++) {
        double x = 0, y = 0;
        if (read_position(r, json_array_get(ring, i), &x, &y, where, i) != 0)
            return -1;
        if (i == 0) {
            first[0] = x;
            first[1] = y;
        }
        last[0] = x;
        last[1] = y;
        if (g->n_pts > start && g->xy[2 * g->n_pts - 2] == x && g->xy[2 * g->n_pts - 1] == y)
            continue;
        if (grow(r, (void **)&g->xy, &r->cap_pts, g->n_pts, 2 * sizeof(double)) != 0)
            return -1;
        g->xy[2 * g->n_pts] = x;
        g->xy[2 * g->n_pts + 1] = y;
        g->n_pts++;
    }
    if (first[0] != last[0] || first[1] != last[1])
        return fail(r, "ring_open", "%s is not closed (its last position must repeat its first)",
                    where);
    uint32_t kept = (uint32_t)(g->n_pts - start);
    if (kept < 4)
        return fail(r, "ring_distinct", "%s has fewer than 3 distinct positions", where);
    const double *p = g->xy + 2 * start;
    /* Crossings first: a bow tie also has a zero signed area, and its crossing is what
     * the author needs to hear about. */
    if (check_simple(r, p, kept, where) != 0)
        return -1;
    double area2 = 0;
    for (uint32_t i = 0; i + 1 < kept; i++)
        area2 += p[2 * i] * p[2 * i + 3] - p[2 * i + 2] * p[2 * i + 1];
    if (area2 == 0)
        return fail(r, "ring_empty", "%s encloses no area", where);
    for (uint32_t i = 0; i < kept; i++) {
        g->box.min_lon = fmin(g->box.min_lon, p[2 * i]);
        g->box.max_lon = fmax(g->box.max_lon, p[2 * i]);
        g->box.min_lat = fmin(g->box.min_lat, p[2 * i + 1]);
        g->box.max_lat = fmax(g->box.max_lat, p[2 * i + 1]);
    }
    if (grow(r, (void **)&g->rings, &r->cap_rings, g->n_rings + 1, sizeof(uint32_t)) != 0)
        return -1;
    g->rings[++g->n_rings] = (uint32_t)g->n_pts;
    return 0;
}

/* Reads one polygon's array of rings; poly is its number (from 1) in a multipolygon, 0
 * for a Polygon. */
static int read_polygon(reader *r, const json_t *rings, size_t poly)
{
    char where[64];
    r->why->poly = poly;
    if (!json_is_array(rings) || json_array_size(rings) == 0) {
        if (poly)
            return fail(r, "polygon_invalid", "polygon %zu is not a non-empty array of rings",
                        poly);
        return fail(r, "coordinates_rings", "coordinates is not a non-empty array of rings");
    }
    for (size_t i = 0; i < json_array_size(rings); i++) {
        if (poly)
            snprintf(where, sizeof where, "polygon %zu, ring %zu", poly, i + 1);
        else
            snprintf(where, sizeof where, "ring %zu", i + 1);
        r->why->ring = i + 1;
        if (read_ring(r, json_array_get(rings, i), where) != 0)
            return -1;
    }
    r->why->ring = 0;
    area_geom *g = r->g;
    if (grow(r, (void **)&g->polys, &r->cap_polys, g->n_polys + 1, sizeof(uint32_t)) != 0)
        return -1;
    g->polys[++g->n_polys] = (uint32_t)g->n_rings;
    return 0;
}

/* Reads a GeoJSON Polygon or MultiPolygon object into *g; -1 with why filled (r->oom when
 * it was memory). */
static int read_geometry(reader *r, const json_t *geo)
{
    area_geom *g = r->g;
    memset(g, 0, sizeof *g);
    g->box = (area_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    g->rings = malloc(16 * sizeof *g->rings);
    g->polys = malloc(16 * sizeof *g->polys);
    if (!g->rings || !g->polys) {
        r->oom = 1;
        return fail(r, NULL, "out of memory");
    }
    r->cap_rings = r->cap_polys = 16;
    r->cap_pts = 0;
    g->rings[0] = g->polys[0] = 0;
    if (!json_is_object(geo))
        return fail(r, "geometry_missing", "geometry is missing or not an object");
    const char *type = json_string_value(json_object_get(geo, "type"));
    const json_t *coords = json_object_get(geo, "coordinates");
    if (!type || (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0))
        return fail(r, "geometry_type", "geometry type must be Polygon or MultiPolygon");
    g->multi = strcmp(type, "MultiPolygon") == 0;
    if (!g->multi)
        return read_polygon(r, coords, 0);
    if (!json_is_array(coords) || json_array_size(coords) == 0)
        return fail(r, "coordinates_polygons", "coordinates is not a non-empty array of polygons");
    for (size_t i = 0; i < json_array_size(coords); i++)
        if (read_polygon(r, json_array_get(coords, i), i + 1) != 0)
            return -1;
    return 0;
}

int area_geom_from_json(const json_t *geo, area_geom *out, area_why *why)
{
    memset(out, 0, sizeof *out);
    memset(why, 0, sizeof *why);
    reader r = {out, 0, 0, 0, AREA_VERTICES_MAX, why, 0};
    if (read_geometry(&r, geo) == 0)
        return 0;
    area_geom_free(out);
    return r.oom ? -2 : -1;
}

int area_geom_parse(const char *text, area_geom *out)
{
    json_t *geo = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    area_why why;
    int rc = area_geom_from_json(geo, out, &why);
    json_decref(geo);
    return rc == 0 ? 0 : -1;
}

/* ---- reading a FeatureCollection ---- */

/* The first of the properties `names` present, or NULL. */
static const json_t *property(const json_t *props, const char *const *names)
{
    for (; *names; names++) {
        const json_t *v = json_object_get(props, *names);
        if (v && !json_is_null(v))
            return v;
    }
    return NULL;
}

static const char *const code_names[] = {"code", "ref", "id", "code_insee", NULL};
static const char *const name_names[] = {"name", "nom", "libelle", "label", NULL};

/* A text property (an integer too for a code) checked: at most max characters, valid
 * UTF-8, no control character; with code_chars, only letters, digits, '-', '_' and '.'.
 * Returns a malloc'd copy, or NULL with why filled. */
int area_label_check(const char *s, int is_code, char *why, size_t why_size)
{
    const char *what = is_code ? "code" : "name";
    size_t max = is_code ? AREA_CODE_MAX : AREA_NAME_MAX;
    size_t n = s ? strlen(s) : 0;
    if (n == 0) {
        snprintf(why, why_size, "no %s", what);
        return -1;
    }
    if (!utf8_valid(s, n) || utf8_has_control(s, n)) {
        snprintf(why, why_size, "%s holds control characters", what);
        return -1;
    }
    if (utf8_length(s, n) > max) {
        snprintf(why, why_size, "%s is over %zu characters", what, max);
        return -1;
    }
    if (is_code &&
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n) {
        snprintf(why, why_size, "%s holds characters other than letters, digits, '-', '_', '.'",
                 what);
        return -1;
    }
    return 0;
}

static char *read_text(const json_t *v, int code_chars, const char *what, char *why,
                       size_t why_size)
{
    char num[32];
    const char *s = NULL;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (code_chars && json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    }
    if (!v || !s || !*s) {
        snprintf(why, why_size, "no %s (properties %s)", what,
                 code_chars ? "\"code\", \"ref\", \"id\" or \"code_insee\""
                            : "\"name\", \"nom\", \"libelle\" or \"label\"");
        return NULL;
    }
    if (area_label_check(s, code_chars, why, why_size) != 0)
        return NULL;
    char *copy = strdup(s);
    if (!copy)
        snprintf(why, why_size, "out of memory");
    return copy;
}

void area_features_free(area_feature *f, size_t n)
{
    if (!f)
        return;
    for (size_t i = 0; i < n; i++) {
        free(f[i].code);
        free(f[i].name);
        area_geom_free(&f[i].geom);
    }
    free(f);
}

/* Reports one problem, the first AREA_PROBLEMS_MAX of them. */
static void report(area_problem_fn problem, void *ctx, long *problems, long feature,
                   const char *code, const char *what)
{
    if ((*problems)++ < AREA_PROBLEMS_MAX && problem)
        problem(ctx, feature, code, what);
}

size_t area_json_values(const char *text, size_t len)
{
    /* Every JSON value but the first follows a ',' or opens a container: their count bounds
     * the values (strings' own commas only make it larger). */
    size_t values = 1;
    for (size_t i = 0; i < len; i++)
        values += text[i] == ',' || text[i] == '[' || text[i] == '{';
    return values;
}

int area_features_read(const char *text, size_t len, area_code_check_fn check_code,
                       area_problem_fn problem, void *ctx, area_feature **out, size_t *n,
                       long *problems)
{
    *out = NULL;
    *n = 0;
    *problems = 0;
    char why[200];
    if (len > AREA_FILE_MAX) {
        snprintf(why, sizeof why, "the file is over %u bytes", AREA_FILE_MAX);
        report(problem, ctx, problems, -1, NULL, why);
        return 0;
    }
    if (area_json_values(text, len) > AREA_JSON_VALUES_MAX) {
        snprintf(why, sizeof why,
                 "the file holds over %d JSON values (at most %d positions in all)",
                 AREA_JSON_VALUES_MAX, AREA_FILE_VERTICES_MAX);
        report(problem, ctx, problems, -1, NULL, why);
        return 0;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(why, sizeof why, "not JSON: line %d, column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        report(problem, ctx, problems, -1, NULL, why);
        return 0;
    }
    const json_t *features = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
        report(problem, ctx, problems, -1, NULL,
               "not a GeoJSON FeatureCollection (\"type\": \"FeatureCollection\" with a "
               "\"features\" array)");
        json_decref(root);
        return 0;
    }
    size_t count = json_array_size(features);
    if (count == 0 || count > AREA_FEATURES_MAX) {
        snprintf(why, sizeof why, "the collection has %zu features: 1 to %d expected", count,
                 AREA_FEATURES_MAX);
        report(problem, ctx, problems, -1, NULL, why);
        json_decref(root);
        return 0;
    }
    area_feature *f = calloc(count, sizeof *f);
    if (!f) {
        json_decref(root);
        return -1;
    }
    int rc = 0;
    size_t file_vertices = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const json_t *feat = json_array_get(features, i);
        const char *ftype = json_string_value(json_object_get(feat, "type"));
        const json_t *props = json_object_get(feat, "properties");
        if (!ftype || strcmp(ftype, "Feature") != 0 || !json_is_object(props)) {
            report(problem, ctx, problems, (long)i, NULL,
                   "not a Feature with a \"properties\" object");
            continue;
        }
        f[i].code = read_text(property(props, code_names), 1, "code", why, sizeof why);
        if (!f[i].code) {
            report(problem, ctx, problems, (long)i, NULL, why);
            continue;
        }
        const char *refused = check_code ? check_code(ctx, f[i].code) : NULL;
        if (refused)
            report(problem, ctx, problems, (long)i, f[i].code, refused);
        for (size_t j = 0; j < i; j++)
            if (f[j].code && strcmp(f[j].code, f[i].code) == 0) {
                snprintf(why, sizeof why, "code already used by feature %zu", j);
                report(problem, ctx, problems, (long)i, f[i].code, why);
                break;
            }
        f[i].name = read_text(property(props, name_names), 0, "name", why, sizeof why);
        if (!f[i].name)
            report(problem, ctx, problems, (long)i, f[i].code, why);
        area_why gw = {0};
        reader r = {&f[i].geom, 0, 0, 0, AREA_VERTICES_MAX, &gw, 0};
        if (read_geometry(&r, json_object_get(feat, "geometry")) != 0) {
            if (r.oom)
                rc = -1;
            else
                report(problem, ctx, problems, (long)i, f[i].code, gw.text);
            continue;
        }
        file_vertices += f[i].geom.n_pts;
        if (file_vertices > AREA_FILE_VERTICES_MAX) {
            snprintf(why, sizeof why, "the file holds over %d positions", AREA_FILE_VERTICES_MAX);
            report(problem, ctx, problems, (long)i, f[i].code, why);
            break;
        }
    }
    json_decref(root);
    if (rc != 0 || *problems > 0) {
        area_features_free(f, count);
        return rc;
    }
    *out = f;
    *n = count;
    return 0;
}

/* ---- the index ---- */

struct area_index {
    const area_geom *const *geoms;
    size_t n;
    area_box box;    /* of every geometry */
    int w, h;        /* cells along lon and lat */
    double sx, sy;   /* cells per degree */
    uint32_t *start; /* w * h + 1 offsets into items */
    uint32_t *items; /* geometry numbers, ascending within a cell */
};

static int cell_of(double v, double min, double scale, int cells)
{
    int c = (int)((v - min) * scale);
    return c < 0 ? 0 : c >= cells ? cells - 1 : c;
}

/* The cells [x0, x1] × [y0, y1] that box b meets. */
static void cells_of(const area_index *ix, const area_box *b, int *x0, int *x1, int *y0, int *y1)
{
    *x0 = cell_of(b->min_lon, ix->box.min_lon, ix->sx, ix->w);
    *x1 = cell_of(b->max_lon, ix->box.min_lon, ix->sx, ix->w);
    *y0 = cell_of(b->min_lat, ix->box.min_lat, ix->sy, ix->h);
    *y1 = cell_of(b->max_lat, ix->box.min_lat, ix->sy, ix->h);
}

area_index *area_index_build(const area_geom *const *geoms, size_t n)
{
    area_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->geoms = geoms;
    ix->n = n;
    ix->box = (area_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        ix->box.min_lon = fmin(ix->box.min_lon, geoms[i]->box.min_lon);
        ix->box.min_lat = fmin(ix->box.min_lat, geoms[i]->box.min_lat);
        ix->box.max_lon = fmax(ix->box.max_lon, geoms[i]->box.max_lon);
        ix->box.max_lat = fmax(ix->box.max_lat, geoms[i]->box.max_lat);
    }
    /* About four cells per geometry: a tiling's cell then meets two to four boxes. */
    int side = (int)ceil(2 * sqrt((double)n));
    ix->w = ix->h = side < 1 ? 1 : side > GRID_MAX ? GRID_MAX : side;
    ix->sx = n ? ix->w / fmax(ix->box.max_lon - ix->box.min_lon, 1e-9) : 0;
    ix->sy = n ? ix->h / fmax(ix->box.max_lat - ix->box.min_lat, 1e-9) : 0;
    size_t cells = (size_t)ix->w * (size_t)ix->h;
    ix->start = calloc(cells + 1, sizeof *ix->start);
    if (!ix->start) {
        area_index_free(ix);
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int x0, x1, y0, y1;
        cells_of(ix, &geoms[i]->box, &x0, &x1, &y0, &y1);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                ix->start[(size_t)y * ix->w + x + 1]++;
        total += (size_t)(x1 - x0 + 1) * (size_t)(y1 - y0 + 1);
    }
    for (size_t k = 0; k < cells; k++)
        ix->start[k + 1] += ix->start[k];
    ix->items = malloc((total ? total : 1) * sizeof *ix->items);
    uint32_t *fill = malloc(cells * sizeof *fill);
    if (!ix->items || !fill) {
        free(fill);
        area_index_free(ix);
        return NULL;
    }
    memcpy(fill, ix->start, cells * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        int x0, x1, y0, y1;
        cells_of(ix, &geoms[i]->box, &x0, &x1, &y0, &y1);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                ix->items[fill[(size_t)y * ix->w + x]++] = (uint32_t)i;
    }
    free(fill);
    return ix;
}

void area_index_free(area_index *ix)
{
    if (!ix)
        return;
    free(ix->start);
    free(ix->items);
    free(ix);
}

size_t area_index_find(const area_index *ix, double lon, double lat, uint32_t *out, size_t max)
{
    if (!ix->n || !(lon >= ix->box.min_lon && lon <= ix->box.max_lon && lat >= ix->box.min_lat &&
                    lat <= ix->box.max_lat))
        return 0;
    size_t cell = (size_t)cell_of(lat, ix->box.min_lat, ix->sy, ix->h) * ix->w +
                  cell_of(lon, ix->box.min_lon, ix->sx, ix->w);
    size_t found = 0;
    for (uint32_t k = ix->start[cell]; k < ix->start[cell + 1]; k++) {
        uint32_t i = ix->items[k];
        if (area_geom_contains(ix->geoms[i], lon, lat)) {
            if (found < max)
                out[found] = i;
            found++;
        }
    }
    return found;
}

int area_geojson_one(const char *text, size_t len, area_geom *out, area_why *why)
{
    memset(out, 0, sizeof *out);
    memset(why, 0, sizeof *why);
    /* The same bounds as a file's, before anything is parsed. */
    if (len > AREA_FILE_MAX || area_json_values(text, len) > 3 * AREA_VERTICES_MAX + 1000) {
        why->key = "too_many_positions";
        why->n = AREA_VERTICES_MAX;
        snprintf(why->text, sizeof why->text, "over %d positions", AREA_VERTICES_MAX);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        why->key = "not_json";
        why->line = jerr.line;
        why->column = jerr.column;
        snprintf(why->text, sizeof why->text, "not JSON: line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return -1;
    }
    const json_t *geo = root;
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type && strcmp(type, "FeatureCollection") == 0) {
        const json_t *features = json_object_get(root, "features");
        if (json_array_size(features) != 1) {
            why->key = "collection_count";
            why->n = (long)json_array_size(features);
            snprintf(why->text, sizeof why->text, "the collection has %zu features: one expected",
                     json_array_size(features));
            json_decref(root);
            return -1;
        }
        geo = json_array_get(features, 0);
        type = json_string_value(json_object_get(geo, "type"));
    }
    if (type && strcmp(type, "Feature") == 0)
        geo = json_object_get(geo, "geometry");
    int rc = area_geom_from_json(geo, out, why);
    json_decref(root);
    return rc;
}

/*
 * area_lookup — the areas' benchmark (bench/run scenario "areas"): a collectivité with
 * 1,000 department areas tiled over a box the size of a French département (about
 * 100 × 100 km), each bounded by wiggly borders of a few hundred positions shared with its
 * neighbours, one in seven with a hole; imported through core (area_import, as `guichet
 * area import` does), then area_at timed one call at a time at random points of the box.
 * Prints one line of key=value pairs for bench/run.
 *
 * usage: area_lookup DIR [LOOKUPS]   (DIR: an empty directory for the database)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/admin.h"
#include "core/area.h"
#include "store/store.h"
#include "util/buf.h"

#define COLS 40
#define ROWS 25
#define LON0 4.30
#define LAT0 45.20
#define WIDTH 1.30     /* degrees of longitude: about 100 km at 45.6° N */
#define HEIGHT 0.90    /* degrees of latitude: about 100 km */
#define EDGE_POINTS 75 /* positions per border: four borders make a few hundred per area */
#define WIGGLE 0.06    /* of a cell's side: how far a border strays from the straight line */

static double cell_w(void)
{
    return WIDTH / COLS;
}

static double cell_h(void)
{
    return HEIGHT / ROWS;
}

/* The border from grid corner (i0, j0) to (i1, j1) (one step east or north), its k-th of
 * EDGE_POINTS positions: the same whichever cell asks, so that neighbours share it exactly.
 * The stray vanishes to second order at the corners, so borders meet only there. */
static void border_point(int i0, int j0, int i1, int j1, int k, double *x, double *y)
{
    double t = (double)k / EDGE_POINTS;
    double s = sin(M_PI * t);
    double phase = (double)((i0 * 7919 + j0 * 104729 + (i1 - i0) * 31) % 97) / 97.0 * 2 * M_PI;
    double d = WIGGLE * s * s * (0.7 * sin(3 * M_PI * t + phase) + 0.3 * sin(11 * M_PI * t));
    double bx = LON0 + (i0 + t * (i1 - i0)) * cell_w(), by = LAT0 + (j0 + t * (j1 - j0)) * cell_h();
    if (j1 == j0) /* an east-west border strays north and south */
        by += d * cell_h();
    else
        bx += d * cell_w();
    *x = bx;
    *y = by;
}

/* The outer ring of cell (i, j): south border east, east border north, north border west,
 * west border south. */
static void cell_ring(buf *b, int i, int j)
{
    const int corners[4][4] = {
        {i, j, i + 1, j}, {i + 1, j, i + 1, j + 1}, {i, j + 1, i + 1, j + 1}, {i, j, i, j + 1}};
    const int reversed[4] = {0, 0, 1, 1};
    buf_putc(b, '[');
    int first = 1;
    for (int e = 0; e < 4; e++)
        for (int k = 0; k < EDGE_POINTS; k++) {
            int kk = reversed[e] ? EDGE_POINTS - k : k;
            double x, y;
            border_point(corners[e][0], corners[e][1], corners[e][2], corners[e][3], kk, &x, &y);
            buf_printf(b, "%s[%.7f,%.7f]", first ? "" : ",", x, y);
            first = 0;
        }
    double x, y;
    border_point(i, j, i + 1, j, 0, &x, &y);
    buf_printf(b, ",[%.7f,%.7f]]", x, y);
}

/* A hole of a tenth of the cell's side around its middle, clockwise. */
static void cell_hole(buf *b, int i, int j)
{
    double cx = LON0 + (i + 0.5) * cell_w(), cy = LAT0 + (j + 0.5) * cell_h();
    double hx = 0.1 * cell_w(), hy = 0.1 * cell_h();
    buf_printf(b, ",[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]", cx - hx,
               cy - hy, cx - hx, cy + hy, cx + hx, cy + hy, cx + hx, cy - hy, cx - hx, cy - hy);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void problem(void *ctx, long feature, const char *code, const char *what)
{
    (void)ctx;
    fprintf(stderr, "area_lookup: feature %ld (%s): %s\n", feature, code ? code : "?", what);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: area_lookup DIR [LOOKUPS]\n");
        return 2;
    }
    size_t lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
    if (lookups < 100)
        lookups = 100;
    char path[4096];
    snprintf(path, sizeof path, "%s/areas.db", argv[1]);
    error err;
    error_clear(&err);
    store *s = store_sqlite_open(path, &err);
    core *c = NULL;
    if (!s || s->ops->migrate(s, &err) != 0 || !(c = core_open(s, NULL, &err))) {
        fprintf(stderr, "area_lookup: %s\n", err.detail);
        return 1;
    }
    store_tenant t = {.slug = "departement", .name = "Département", .timezone = "Europe/Paris"};
    int64_t tenant = 0;
    if (admin_tenant_upsert(c, &t, &tenant, &err) != 0) {
        fprintf(stderr, "area_lookup: %s\n", err.detail);
        return 1;
    }
    buf b;
    buf_init(&b, 256u * 1024 * 1024);
    buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int j = 0; j < ROWS; j++)
        for (int i = 0; i < COLS; i++) {
            char code[32];
            snprintf(code, sizeof code, "d%02d-%02d", i, j);
            store_department d = {.tenant_id = tenant, .code = code, .name = code};
            int64_t id;
            if (admin_department_upsert(c, &d, &id, &err) != 0) {
                fprintf(stderr, "area_lookup: %s\n", err.detail);
                return 1;
            }
            buf_printf(&b,
                       "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\",\"nom\":\"%s\"},"
                       "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[",
                       i || j ? "," : "", code, code);
            cell_ring(&b, i, j);
            if ((i + j * COLS) % 7 == 3)
                cell_hole(&b, i, j);
            buf_puts(&b, "]}}");
        }
    buf_puts(&b, "]}");
    if (b.failed) {
        fprintf(stderr, "area_lookup: the GeoJSON is over its buffer\n");
        return 1;
    }
    area_import_result r;
    long problems = 0;
    uint64_t t0 = now_ns();
    if (area_import(c, tenant, AREA_DEPARTMENT, b.data, b.len, problem, NULL, &r, &problems,
                    &err) != 0 ||
        problems) {
        fprintf(stderr, "area_lookup: import failed: %s\n", problems ? "problems" : err.detail);
        return 1;
    }
    double import_ms = (double)(now_ns() - t0) / 1e6;
    size_t bytes = b.len;
    buf_free(&b);

    arena a;
    arena_init(&a, 0);
    area_hit hit;
    size_t n = 0;
    /* The first call builds the index from the store: timed apart. */
    t0 = now_ns();
    if (area_at(c, tenant, AREA_DEPARTMENT, LAT0 + 0.5, LON0 + 0.5, &a, &hit, 1, &n, &err) != 0) {
        fprintf(stderr, "area_lookup: %s\n", err.detail);
        return 1;
    }
    double build_ms = (double)(now_ns() - t0) / 1e6;
    uint64_t *ns = malloc(lookups * sizeof *ns);
    if (!ns)
        return 1;
    srand(12345);
    size_t hits = 0;
    uint64_t total0 = now_ns();
    for (size_t k = 0; k < lookups; k++) {
        double lat = LAT0 + HEIGHT * rand() / RAND_MAX, lon = LON0 + WIDTH * rand() / RAND_MAX;
        if (k % 1024 == 0)
            arena_free(&a); /* the hits' strings: keep the arena small */
        uint64_t s0 = now_ns();
        int rc = area_at(c, tenant, AREA_DEPARTMENT, lat, lon, &a, &hit, 1, &n, &err);
        ns[k] = now_ns() - s0;
        if (rc != 0) {
            fprintf(stderr, "area_lookup: %s\n", err.detail);
            return 1;
        }
        hits += n;
    }
    double total_s = (double)(now_ns() - total0) / 1e9;
    qsort(ns, lookups, sizeof *ns, cmp_u64);
    printf("areas=%zu positions=%zu geojson_bytes=%zu import_ms=%.0f index_ms=%.1f lookups=%zu "
           "per_s=%.0f median_us=%.2f p99_us=%.2f max_us=%.1f hit_pct=%.1f\n",
           r.imported, r.vertices, bytes, import_ms, build_ms, lookups, (double)lookups / total_s,
           ns[lookups / 2] / 1000.0, ns[lookups * 99 / 100] / 1000.0, ns[lookups - 1] / 1000.0,
           100.0 * (double)hits / (double)lookups);
    free(ns);
    arena_free(&a);
    core_close(c);
    store_close(s);
    return 0;
}

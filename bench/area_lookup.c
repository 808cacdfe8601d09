/*
 * area_lookup — the areas' benchmark (bench/run scenario "areas"): a collectivité with
 * 1,000 department areas tiled over a box the size of a French département (area_grid.h);
 * imported through core (area_import, as `guichet
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

#include "area_grid.h"

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
    if (area_grid_create(c, tenant, &b, &err) != 0) {
        fprintf(stderr, "area_lookup: %s\n", err.detail);
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
    if (area_at(c, tenant, AREA_DEPARTMENT, AREA_GRID_LAT0 + 0.5, AREA_GRID_LON0 + 0.5, &a, &hit, 1,
                &n, &err) != 0) {
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
        double lat = AREA_GRID_LAT0 + AREA_GRID_HEIGHT * rand() / RAND_MAX,
               lon = AREA_GRID_LON0 + AREA_GRID_WIDTH * rand() / RAND_MAX;
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

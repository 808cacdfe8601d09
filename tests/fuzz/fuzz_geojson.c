/*
 * fuzz_geojson — the areas' GeoJSON reader (area_features_read) on arbitrary bytes. Checks
 * what the index and the store rely on: an accepted file has 1..AREA_FEATURES_MAX features,
 * each with a code and a name within bounds, its rings closed with at least four positions
 * in range and its box holding them; what area_geom_write writes is read back the same; a
 * refused file yields no feature. The point-in-polygon test and the index are run over the
 * accepted areas at their vertices, and must agree with each other. The back office's reader
 * of one area (area_geojson_one: a geometry, a Feature or a one-feature collection) reads the
 * same bytes: what it accepts holds the same invariants, and says why it refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/area_geom.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void count_problem(void *ctx, long feature, const char *code, const char *what)
{
    (void)feature;
    (void)code;
    CHECK(what && *what);
    (*(long *)ctx)++;
}

static void check_geom(const area_geom *g)
{
    CHECK(g->n_polys >= 1 && g->polys[0] == 0 && g->polys[g->n_polys] == g->n_rings);
    CHECK(g->rings[0] == 0 && g->rings[g->n_rings] == g->n_pts);
    for (size_t r = 0; r < g->n_rings; r++) {
        uint32_t a = g->rings[r], b = g->rings[r + 1];
        CHECK(b - a >= 4);
        CHECK(g->xy[2 * a] == g->xy[2 * (b - 1)] && g->xy[2 * a + 1] == g->xy[2 * (b - 1) + 1]);
    }
    for (size_t i = 0; i < g->n_pts; i++) {
        double x = g->xy[2 * i], y = g->xy[2 * i + 1];
        CHECK(x >= -180 && x <= 180 && y >= -90 && y <= 90);
        CHECK(x >= g->box.min_lon && x <= g->box.max_lon && y >= g->box.min_lat &&
              y <= g->box.max_lat);
    }
    char *text = area_geom_write(g);
    CHECK(text);
    area_geom back;
    CHECK(area_geom_parse(text, &back) == 0);
    CHECK(back.n_pts == g->n_pts && back.n_rings == g->n_rings && back.n_polys == g->n_polys);
    CHECK(memcmp(back.xy, g->xy, 2 * g->n_pts * sizeof(double)) == 0);
    area_geom_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    area_geom one;
    area_why why;
    int rc = area_geojson_one((const char *)data, size, &one, &why);
    CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc == 0) {
        check_geom(&one);
        area_geom_free(&one);
    } else if (rc == -1) {
        CHECK(why.text[0] && why.key);
    }
    area_feature *f = NULL;
    size_t n = 0;
    long problems = 0, seen = 0;
    if (area_features_read((const char *)data, size, NULL, count_problem, &seen, &f, &n,
                           &problems) != 0)
        return 0;
    CHECK(problems >= 1 ? f == NULL && n == 0 : f != NULL && n >= 1);
    CHECK(seen == (problems < AREA_PROBLEMS_MAX ? problems : AREA_PROBLEMS_MAX));
    if (!f)
        return 0;
    const area_geom **gs = malloc(n * sizeof *gs);
    CHECK(gs);
    for (size_t i = 0; i < n; i++) {
        CHECK(f[i].code && *f[i].code && strlen(f[i].code) <= AREA_CODE_MAX);
        CHECK(f[i].name && *f[i].name);
        check_geom(&f[i].geom);
        gs[i] = &f[i].geom;
    }
    area_index *ix = area_index_build(gs, n);
    CHECK(ix);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < f[i].geom.n_pts && p < 64; p++) {
            double x = f[i].geom.xy[2 * p], y = f[i].geom.xy[2 * p + 1];
            uint32_t hits[8];
            size_t k = area_index_find(ix, x, y, hits, 8);
            size_t want = 0;
            for (size_t j = 0; j < n; j++)
                want += (size_t)area_geom_contains(gs[j], x, y);
            CHECK(k == want);
        }
    area_index_free(ix);
    free(gs);
    area_features_free(f, n);
    return 0;
}

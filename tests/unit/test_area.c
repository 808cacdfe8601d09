/*
 * test_area — the areas (src/core/area_geom.c, area.c): point in polygon on squares,
 * concave shapes, holes and multipolygons, points on edges and vertices (the half-open rule,
 * a shared border in exactly one area), the grid index against a walk of every area, the
 * GeoJSON reader refusing each invalid case with its message, and the import: unknown
 * department codes refused by name with nothing written, a re-import replacing its kind
 * only, the lookup seeing the new areas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/area.h"
#include "core/catalogue.h"
#include "core/routing.h"
#include <sqlite3.h>
#include "test_db.h"

/* ---- geometries from GeoJSON text ---- */

#define FC(features) "{\"type\":\"FeatureCollection\",\"features\":[" features "]}"
#define FEAT(code, name, geometry)                                                                 \
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"" code "\",\"nom\":\"" name                  \
    "\"},\"geometry\":" geometry "}"
#define POLY(rings) "{\"type\":\"Polygon\",\"coordinates\":[" rings "]}"
#define SQUARE(x0, y0, x1, y1)                                                                     \
    "[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]"

typedef struct problems {
    int n;
    char what[8][200];
    long feature[8];
} problems;

static void collect(void *ctx, long feature, const char *code, const char *what)
{
    (void)code;
    problems *p = ctx;
    if (p->n < 8) {
        snprintf(p->what[p->n], sizeof p->what[p->n], "%s", what);
        p->feature[p->n] = feature;
    }
    p->n++;
}

/* Reads text that must be valid; returns its features. */
static area_feature *read_ok(const char *text, size_t *n)
{
    problems p = {0};
    area_feature *f = NULL;
    long count = 0;
    assert_int_equal(area_features_read(text, strlen(text), NULL, collect, &p, &f, n, &count), 0);
    if (count)
        fprintf(stderr, "unexpected problem: %s\n", p.what[0]);
    assert_int_equal(count, 0);
    assert_non_null(f);
    return f;
}

/* Reads text that must be refused with exactly one problem containing `want`. */
static void read_refused(const char *text, const char *want)
{
    problems p = {0};
    area_feature *f = NULL;
    size_t n = 0;
    long count = 0;
    assert_int_equal(area_features_read(text, strlen(text), NULL, collect, &p, &f, &n, &count), 0);
    assert_null(f);
    assert_int_equal(n, 0);
    assert_int_equal(count, 1);
    if (!strstr(p.what[0], want))
        fprintf(stderr, "problem '%s' lacks '%s'\n", p.what[0], want);
    assert_non_null(strstr(p.what[0], want));
}

static void test_square_edges_and_vertices(void **state)
{
    (void)state;
    size_t n;
    area_feature *f = read_ok(FC(FEAT("c", "Carré", POLY(SQUARE(2, 48, 3, 49)))), &n);
    const area_geom *g = &f[0].geom;
    assert_int_equal(n, 1);
    assert_true(area_geom_contains(g, 2.5, 48.5));
    assert_false(area_geom_contains(g, 3.5, 48.5));
    assert_false(area_geom_contains(g, 2.5, 47.9));
    /* West and south edges in, east and north edges out. */
    assert_true(area_geom_contains(g, 2, 48.5));
    assert_false(area_geom_contains(g, 3, 48.5));
    assert_true(area_geom_contains(g, 2.5, 48));
    assert_false(area_geom_contains(g, 2.5, 49));
    /* Vertices: only the south-west one. */
    assert_true(area_geom_contains(g, 2, 48));
    assert_false(area_geom_contains(g, 3, 48));
    assert_false(area_geom_contains(g, 3, 49));
    assert_false(area_geom_contains(g, 2, 49));
    area_features_free(f, n);
}

static void test_concave(void **state)
{
    (void)state;
    /* A U: the notch [1, 2] × [1, 3] is out, its arms in. */
    size_t n;
    area_feature *f = read_ok(
        FC(FEAT("u", "U", POLY("[[0,0],[3,0],[3,3],[2,3],[2,1],[1,1],[1,3],[0,3],[0,0]]"))), &n);
    const area_geom *g = &f[0].geom;
    assert_true(area_geom_contains(g, 0.5, 2.5));
    assert_true(area_geom_contains(g, 2.5, 2.5));
    assert_true(area_geom_contains(g, 1.5, 0.5));
    assert_false(area_geom_contains(g, 1.5, 2));
    assert_false(area_geom_contains(g, 1.5, 1.5));
    /* The notch's floor is the U's north edge there: out; its west wall is the left arm's
     * east edge: out; its east wall is the right arm's west edge: in. */
    assert_false(area_geom_contains(g, 1.5, 1));
    assert_false(area_geom_contains(g, 1, 2));
    assert_true(area_geom_contains(g, 2, 2));
    area_features_free(f, n);
}

static void test_hole_and_multipolygon(void **state)
{
    (void)state;
    size_t n;
    area_feature *f = read_ok(
        FC(FEAT("h", "Troué", POLY(SQUARE(0, 0, 4, 4) "," SQUARE(1, 1, 3, 3))) "," FEAT(
            "m", "Multi",
            "{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE(10, 0, 11, 1) "],[" SQUARE(
                12, 0, 13, 1) "," SQUARE(12.25, 0.25, 12.75, 0.75) "]]}")),
        &n);
    assert_int_equal(n, 2);
    const area_geom *h = &f[0].geom, *m = &f[1].geom;
    assert_true(area_geom_contains(h, 0.5, 0.5));
    assert_false(area_geom_contains(h, 2, 2));
    assert_true(area_geom_contains(h, 3.5, 2));
    assert_int_equal(h->n_polys, 1);
    assert_int_equal(h->n_rings, 2);
    assert_true(area_geom_contains(m, 10.5, 0.5));
    assert_true(area_geom_contains(m, 12.1, 0.5));
    assert_false(area_geom_contains(m, 12.5, 0.5)); /* the second polygon's hole */
    assert_false(area_geom_contains(m, 11.5, 0.5)); /* between the two */
    assert_int_equal(m->n_polys, 2);
    area_features_free(f, n);
}

/* Two triangles splitting a square along a diagonal, and two squares side by side: every
 * point of a shared border is in exactly one of its two areas. */
static void test_shared_borders(void **state)
{
    (void)state;
    size_t n;
    area_feature *f = read_ok(
        FC(FEAT("a", "A", POLY("[[0.1,0.3],[1.7,0.3],[0.1,1.9],[0.1,0.3]]")) "," FEAT(
            "b", "B",
            POLY(
                "[[1.7,0.3],[1.7,1.9],[0.1,1.9],[1.7,0.3]]")) "," FEAT("c", "C",
                                                                       POLY(SQUARE(
                                                                           5, 5, 6,
                                                                           6))) "," FEAT("d", "D",
                                                                                         POLY(SQUARE(
                                                                                             6, 5,
                                                                                             7,
                                                                                             6)))),
        &n);
    for (int i = 0; i <= 100; i++) {
        double t = i / 100.0;
        double x = 1.7 + (0.1 - 1.7) * t, y = 0.3 + (1.9 - 0.3) * t;
        int in = area_geom_contains(&f[0].geom, x, y) + area_geom_contains(&f[1].geom, x, y);
        if (t > 0 && t < 1)
            assert_int_equal(in, 1);
        int side = area_geom_contains(&f[2].geom, 6, 5 + t * 0.999) +
                   area_geom_contains(&f[3].geom, 6, 5 + t * 0.999);
        assert_int_equal(side, 1);
    }
    area_features_free(f, n);
}

/* The index answers what a walk of every area answers, in the same order. */
static void test_index_matches_walk(void **state)
{
    (void)state;
    size_t n;
    area_feature *f = read_ok(
        FC(FEAT("a", "A", POLY(SQUARE(0, 0, 2, 2))) "," FEAT(
            "b", "B",
            POLY(SQUARE(1, 1, 3,
                        3))) "," FEAT("c", "C",
                                      POLY(SQUARE(2, 0, 4, 1) "," SQUARE(
                                          2.5, 0.25, 3,
                                          0.75))) "," FEAT("d", "D",
                                                           POLY("[[0,3],[4,3],[2,4],[0,3]]"))),
        &n);
    const area_geom *gs[4];
    for (size_t i = 0; i < n; i++)
        gs[i] = &f[i].geom;
    area_index *ix = area_index_build(gs, n);
    assert_non_null(ix);
    srand(7);
    for (int k = 0; k < 20000; k++) {
        double x = -0.5 + 5.0 * rand() / RAND_MAX, y = -0.5 + 5.0 * rand() / RAND_MAX;
        if (k % 7 == 0) { /* on the grid of the squares' edges too */
            x = (rand() % 9) / 2.0;
            y = (rand() % 9) / 2.0;
        }
        uint32_t want[4], got[4];
        size_t nw = 0;
        for (size_t i = 0; i < n; i++)
            if (area_geom_contains(gs[i], x, y))
                want[nw++] = (uint32_t)i;
        size_t ng = area_index_find(ix, x, y, got, 4);
        assert_int_equal(ng, nw);
        assert_memory_equal(got, want, nw * sizeof *got);
    }
    area_index_free(ix);
    area_features_free(f, n);
}

static void test_write_and_parse(void **state)
{
    (void)state;
    size_t n;
    area_feature *f =
        read_ok(FC(FEAT("h", "Troué",
                        POLY("[[0.1,0.2],[4.123456789012345,0],[4,4],[0,4],[0,4],[0.1,0.2]]"
                             "," SQUARE(1, 1, 3, 3)))),
                &n);
    const area_geom *g = &f[0].geom;
    assert_int_equal(g->n_pts, 10); /* the repeated [0,4] dropped */
    char *text = area_geom_write(g);
    assert_non_null(text);
    area_geom back;
    assert_int_equal(area_geom_parse(text, &back), 0);
    assert_int_equal(back.n_pts, g->n_pts);
    assert_int_equal(back.n_rings, g->n_rings);
    assert_memory_equal(back.xy, g->xy, 2 * g->n_pts * sizeof(double));
    area_geom_free(&back);
    assert_int_equal(area_geom_parse("{\"type\":\"Point\",\"coordinates\":[1,2]}", &back), -1);
    area_geom_free(&back);
    free(text);
    area_features_free(f, n);
}

static void test_invalid(void **state)
{
    (void)state;
    read_refused("{", "not JSON");
    read_refused("{\"type\":\"Feature\"}", "not a GeoJSON FeatureCollection");
    read_refused(FC(""), "0 features");
    /* Counted before parsing: a file of empty arrays is refused without building them. */
    size_t big = (size_t)AREA_JSON_VALUES_MAX + 10;
    char *many = malloc(big + 1);
    assert_non_null(many);
    memset(many, '[', big);
    many[big] = '\0';
    read_refused(many, "over 6100000 JSON values");
    free(many);
    read_refused(FC("{\"type\":\"Feature\",\"geometry\":null}"), "properties");
    read_refused(FC("{\"type\":\"Feature\",\"properties\":{\"nom\":\"X\"},\"geometry\":" POLY(
                     SQUARE(0, 0, 1, 1)) "}"),
                 "no code");
    read_refused(FC("{\"type\":\"Feature\",\"properties\":{\"code\":\"x\"},\"geometry\":" POLY(
                     SQUARE(0, 0, 1, 1)) "}"),
                 "no name");
    read_refused(FC(FEAT("a b", "X", POLY(SQUARE(0, 0, 1, 1)))), "characters other than");
    read_refused(
        FC(FEAT("x", "X", POLY(SQUARE(0, 0, 1, 1))) "," FEAT("x", "Y", POLY(SQUARE(2, 0, 3, 1)))),
        "code already used by feature 0");
    read_refused(FC(FEAT("x", "X", "{\"type\":\"Point\",\"coordinates\":[1,2]}")),
                 "Polygon or MultiPolygon");
    read_refused(FC(FEAT("x", "X", "null")), "geometry is missing");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,0],[0,0]]"))), "ring 1 has 3 position(s)");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,0],[1,1],[0,1]]"))), "ring 1 is not closed");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[200,0],[1,1],[0,0]]"))),
                 "position 2: [200, 0] out of range");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,0],[1,91],[0,0]]"))), "out of range");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1],[1,1],[0,0]]"))),
                 "position 2: not an array of 2 or 3 numbers");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,\"0\"],[1,1],[0,0]]"))), "not an array");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,0],[1,0],[0,0]]"))),
                 "fewer than 3 distinct positions");
    /* A flat ring folds back onto itself. */
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,1],[2,2],[0,0]]"))), "touches itself");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[1,1],[1,0],[0,1],[0,0]]"))),
                 "ring 1 crosses or touches itself");
    read_refused(FC(FEAT("x", "X", POLY("[[0,0],[2,0],[2,2],[1,0],[0,2],[0,0]]"))),
                 "touches itself");
    read_refused(FC(FEAT("x", "X", POLY(SQUARE(0, 0, 4, 4) ",[[1,1],[3,3],[3,1],[1,3],[1,1]]"))),
                 "ring 2 crosses or touches itself");
    read_refused(
        FC(FEAT("x", "X",
                "{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE(0, 0, 1, 1) "],[]]}")),
        "polygon 2 is not a non-empty array");

    /* Every feature's problems are reported, with its index. */
    problems p = {0};
    area_feature *f = NULL;
    size_t n = 0;
    long count = 0;
    const char *two = FC(FEAT("ok", "Bon", POLY(SQUARE(0, 0, 1, 1))) "," FEAT(
        "x", "X", POLY("[[0,0],[1,0],[0,0]]")) "," FEAT("y", "Y", "null"));
    assert_int_equal(area_features_read(two, strlen(two), NULL, collect, &p, &f, &n, &count), 0);
    assert_null(f);
    assert_int_equal(count, 2);
    assert_int_equal(p.feature[0], 1);
    assert_int_equal(p.feature[1], 2);
}

/* ---- import and lookup through core ---- */

typedef struct fixture {
    test_db db;
    int64_t tenant;
    arena a;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (test_db_open(&f.db, "area", NULL) != 0)
        return -1;
    store_tenant t = {.slug = "bourg", .name = "Bourg-Exemple", .timezone = "Europe/Paris"};
    error err;
    if (admin_tenant_upsert(f.db.core, &t, &f.tenant, &err) != 0)
        return -1;
    const char *codes[] = {"voirie", "proprete"};
    for (int i = 0; i < 2; i++) {
        store_department d = {.tenant_id = f.tenant, .code = codes[i], .name = codes[i]};
        int64_t id;
        if (admin_department_upsert(f.db.core, &d, &id, &err) != 0)
            return -1;
    }
    arena_init(&f.a, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    return 0;
}

static long import(fixture *f, area_kind kind, const char *text, area_import_result *r, problems *p)
{
    long count = -1;
    error err;
    error_clear(&err);
    assert_int_equal(
        area_import(f->db.core, f->tenant, kind, text, strlen(text), collect, p, r, &count, &err),
        0);
    return count;
}

static const char *at(fixture *f, area_kind kind, double lat, double lon)
{
    area_hit hits[4];
    size_t n = 9;
    error err;
    assert_int_equal(area_at(f->db.core, f->tenant, kind, lat, lon, &f->a, hits, 4, &n, &err), 0);
    return n ? hits[0].code : NULL;
}

/* The id of the tenant's area of kind with code, 0 when none. */
static int64_t area_id(fixture *f, area_kind kind, const char *code)
{
    store_area *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(area_list(f->db.core, f->tenant, kind, &f->a, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].code, code) == 0)
            return rows[i].id;
    return 0;
}

static void test_import_replace_lookup(void **state)
{
    fixture *f = *state;
    area_import_result r;
    problems p = {0};
    assert_null(at(f, AREA_DEPARTMENT, 45.5, 4.5));

    /* An unknown department code: refused by name, nothing written. */
    const char *unknown = FC(FEAT("voirie", "Voirie", POLY(SQUARE(4, 45, 5, 46))) "," FEAT(
        "espaces-verts", "Espaces verts", POLY(SQUARE(5, 45, 6, 46))));
    assert_int_equal(import(f, AREA_DEPARTMENT, unknown, &r, &p), 1);
    assert_int_equal(p.feature[0], 1);
    assert_non_null(strstr(p.what[0], "no department"));
    assert_null(at(f, AREA_DEPARTMENT, 45.5, 4.5));

    /* Overlapping areas: the file's order decides which comes first. */
    const char *depts =
        FC(FEAT("proprete", "Propreté", POLY(SQUARE(4.4, 45.4, 4.6, 45.6))) "," FEAT(
            "voirie", "Voirie", POLY(SQUARE(4, 45, 5, 46))));
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_DEPARTMENT, depts, &r, &p), 0);
    assert_int_equal(r.imported, 2);
    assert_int_equal(r.replaced, 0);
    assert_string_equal(at(f, AREA_DEPARTMENT, 45.5, 4.5), "proprete");
    assert_string_equal(at(f, AREA_DEPARTMENT, 45.1, 4.1), "voirie");
    assert_null(at(f, AREA_DEPARTMENT, 44, 4.5));
    area_hit hits[4];
    size_t n = 0;
    error err;
    assert_int_equal(
        area_at(f->db.core, f->tenant, AREA_DEPARTMENT, 45.5, 4.5, &f->a, hits, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(hits[1].code, "voirie");
    assert_string_equal(hits[0].name, "Propreté");
    assert_true(hits[0].department_id > 0);
    assert_int_equal(
        area_at(f->db.core, f->tenant, AREA_DEPARTMENT, 95, 4.5, &f->a, hits, 4, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);

    /* Quartiers are another kind: importing them leaves the departments alone. */
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_QUARTIER,
                            FC(FEAT("centre", "Centre", POLY(SQUARE(4, 45, 4.5, 45.5)))), &r, &p),
                     0);
    assert_string_equal(at(f, AREA_QUARTIER, 45.2, 4.2), "centre");
    assert_string_equal(at(f, AREA_DEPARTMENT, 45.2, 4.2), "voirie");

    /* A bad file leaves everything as it was. */
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_QUARTIER, FC(FEAT("nord", "Nord", "null")), &r, &p), 1);
    assert_string_equal(at(f, AREA_QUARTIER, 45.2, 4.2), "centre");

    /* A re-import replaces the kind whole; the area whose code stays keeps its id. */
    int64_t voirie_id = area_id(f, AREA_DEPARTMENT, "voirie");
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_DEPARTMENT,
                            FC(FEAT("voirie", "Voirie", POLY(SQUARE(5, 45, 6, 46)))), &r, &p),
                     0);
    assert_int_equal(r.replaced, 1);
    assert_null(at(f, AREA_DEPARTMENT, 45.5, 4.5));
    assert_string_equal(at(f, AREA_DEPARTMENT, 45.5, 5.5), "voirie");
    assert_int_equal(area_id(f, AREA_DEPARTMENT, "voirie"), voirie_id);

    store_area *rows = NULL;
    assert_int_equal(area_list(f->db.core, f->tenant, AREA_ANY, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].kind, "department");
    assert_string_equal(rows[1].code, "centre");
    assert_int_equal(rows[1].vertices, 5);
    assert_int_equal(area_list(f->db.core, f->tenant, AREA_BROADCAST, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
}

/* A square of side 1 whose sides hold `per_side` positions each, in a FeatureCollection;
 * with twist, two positions of its east side swapped across the west one (a crossing).
 * Caller frees. */
static char *dense_square(int per_side, int twist)
{
    size_t cap = (size_t)per_side * 4 * 48 + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = (size_t)snprintf(text, cap, "%s",
                                  "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                                  "\"Feature\",\"properties\":{\"code\":\"d\",\"nom\":\"D\"},"
                                  "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[");
    for (int side = 0; side < 4; side++)
        for (int i = 0; i < per_side; i++) {
            double t = (double)i / per_side, x, y;
            switch (side) {
            case 0:
                x = t, y = 0;
                break;
            case 1:
                x = 1, y = t;
                break;
            case 2:
                x = 1 - t, y = 1;
                break;
            default:
                x = 0, y = 1 - t;
                break;
            }
            if (twist && side == 1 && i == per_side / 2)
                x = -0.5;
            len += (size_t)snprintf(text + len, cap - len, "[%.9f,%.9f],", x, y);
        }
    snprintf(text + len, cap - len, "[0,0]]]}}]}");
    return text;
}

/* Long straight sides of thousands of positions are checked in linear time, and a crossing
 * among them is still found. */
static void test_dense_rings(void **state)
{
    (void)state;
    char *text = dense_square(5000, 0);
    size_t n;
    area_feature *f = read_ok(text, &n);
    assert_int_equal(f[0].geom.n_pts, 20001);
    assert_true(area_geom_contains(&f[0].geom, 0.5, 0.5));
    area_features_free(f, n);
    free(text);
    text = dense_square(5000, 1);
    read_refused(text, "ring 1 crosses or touches itself");
    free(text);
}

/* Another process's import (here a second store and core on the same file) reaches this
 * core's lookups once its catalogue sees the new config_version: the index is rebuilt. */
static void test_other_process_import(void **state)
{
    fixture *f = *state;
    area_import_result r;
    problems p = {0};
    assert_int_equal(
        import(f, AREA_QUARTIER, FC(FEAT("ouest", "Ouest", POLY(SQUARE(4, 45, 5, 46)))), &r, &p),
        0);
    assert_string_equal(at(f, AREA_QUARTIER, 45.5, 4.5), "ouest");

    error err;
    error_clear(&err);
    store *s2 = store_sqlite_open(f->db.path, &err);
    assert_non_null(s2);
    core *c2 = core_open(s2, NULL, &err);
    assert_non_null(c2);
    const char *text = FC(FEAT("est", "Est", POLY(SQUARE(4, 45, 5, 46))));
    long count = -1;
    assert_int_equal(area_import(c2, f->tenant, AREA_QUARTIER, text, strlen(text), collect, &p, &r,
                                 &count, &err),
                     0);
    assert_int_equal(count, 0);
    core_close(c2);
    store_close(s2);

    assert_int_equal(catalogue_reload(f->db.core, &err), 0);
    assert_string_equal(at(f, AREA_QUARTIER, 45.5, 4.5), "est");
}

/* One area at a time, as the back office writes them: created from a geometry, a Feature
 * or a one-feature collection, renamed, redrawn, and deleted unless a routing rule or a
 * broadcast being sent uses it; every bad input refused at once naming its field. */
static void test_edit_one(void **state)
{
    fixture *f = *state;
    error err;
    int64_t id = 0;
    store_agent admin, clerk;
    assert_int_equal(test_db_add_agent(&f->db, f->tenant, "admin@bourg.test", AGENT_ROLE_ADMIN,
                                       NULL, 0, &f->a, &admin),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant, "agent@bourg.test", AGENT_ROLE_AGENT,
                                       NULL, 0, &f->a, &clerk),
                     0);
    core_actor who = actor_of_agent(&admin, "test");
    core_actor not_admin = actor_of_agent(&clerk, "test");
    area_edit e = {.tenant_id = f->tenant,
                   .kind = AREA_QUARTIER,
                   .code = "centre",
                   .name = "Centre",
                   .geojson = POLY(SQUARE(4, 45, 5, 46))};
    e.len = strlen(e.geojson);
    /* Only an administrator writes areas. */
    assert_int_equal(area_save_as(f->db.core, &not_admin, &e, &f->a, &id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(area_save_as(f->db.core, &who, &e, &f->a, &id, NULL, NULL, &err), 0);
    assert_true(id > 0);
    assert_string_equal(at(f, AREA_QUARTIER, 45.5, 4.5), "centre");

    /* Refusals, each naming its field; nothing written. */
    struct {
        const char *code, *name, *geojson, *arg, *detail;
    } bad[] = {
        {"nord", "Nord", POLY("[[0,0],[1,1],[1,0],[0,1],[0,0]]"), "geojson",
         "ring 1 crosses or touches itself"},
        {"nord", "Nord",
         FC(FEAT("a", "A", POLY(SQUARE(0, 0, 1, 1))) "," FEAT("b", "B", POLY(SQUARE(1, 0, 2, 1)))),
         "geojson", "2 features: one expected"},
        {"nord", "Nord", "{\"type\":", "geojson", "not JSON"},
        {"no rd", "Nord", POLY(SQUARE(0, 0, 1, 1)), "code", "characters other than"},
        {"nord", "", POLY(SQUARE(0, 0, 1, 1)), "name", "no name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        area_edit b = e;
        b.code = bad[i].code;
        b.name = bad[i].name;
        b.geojson = bad[i].geojson;
        b.len = strlen(b.geojson);
        error_clear(&err);
        assert_int_equal(area_save_as(f->db.core, &who, &b, &f->a, NULL, NULL, NULL, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, bad[i].arg);
        if (!strstr(err.detail, bad[i].detail))
            fail_msg("case %zu: %s", i, err.detail);
    }
    /* A department area needs a department's code. */
    area_edit d = e;
    d.kind = AREA_DEPARTMENT;
    d.code = "espaces-verts";
    assert_int_equal(area_save_as(f->db.core, &who, &d, &f->a, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "code");
    /* The kind has the code already. */
    assert_int_equal(area_save_as(f->db.core, &who, &e, &f->a, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    /* Renamed: the geometry stays. Redrawn from a Feature: the lookup follows. */
    area_edit r = {.tenant_id = f->tenant, .id = id, .name = "Cœur de ville"};
    assert_int_equal(area_save_as(f->db.core, &who, &r, &f->a, NULL, NULL, NULL, &err), 0);
    area_hit hits[2];
    size_t n = 0;
    assert_int_equal(
        area_at(f->db.core, f->tenant, AREA_QUARTIER, 45.5, 4.5, &f->a, hits, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(hits[0].name, "Cœur de ville");
    r.geojson = FEAT("ignored", "Ignoré", POLY(SQUARE(6, 45, 7, 46)));
    r.len = strlen(r.geojson);
    assert_int_equal(area_save_as(f->db.core, &who, &r, &f->a, NULL, NULL, NULL, &err), 0);
    assert_null(at(f, AREA_QUARTIER, 45.5, 4.5));
    assert_string_equal(at(f, AREA_QUARTIER, 45.5, 6.5), "centre");
    r.id = id + 1000;
    assert_int_equal(area_save_as(f->db.core, &who, &r, &f->a, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* A department area a routing rule names cannot go; once the rule is gone it can. */
    int64_t dept_area = 0;
    d.code = "voirie";
    d.name = "Voirie";
    assert_int_equal(area_save_as(f->db.core, &who, &d, &f->a, &dept_area, NULL, NULL, &err), 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant);
    routing_rule_input rule = {.name = "Voirie du centre",
                               .active = 1,
                               .area = "named",
                               .area_code = "voirie",
                               .department = "voirie"};
    int64_t rule_id = 0;
    assert_int_equal(
        routing_rule_save(f->db.core, &actor_cli, t, &rule, &rule_id, NULL, NULL, &err), 0);
    assert_int_equal(area_delete_as(f->db.core, &who, f->tenant, dept_area, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "rules");
    assert_int_equal(routing_rule_delete(f->db.core, &actor_cli, t, rule_id, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
    assert_int_equal(area_delete_as(f->db.core, &who, f->tenant, dept_area, NULL, NULL, &err), 0);

    /* A broadcast whose recipients are still being queued holds its areas; once queued, no. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO broadcasts (id, tenant_id, subject, body, areas, base_url, created_by, "
             "created_at) VALUES (1, %lld, 'Travaux', 'Rue barrée', '[%lld]', 'https://x', 'a', "
             "1)",
             (long long)f->tenant, (long long)id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(area_delete_as(f->db.core, &who, f->tenant, id, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "broadcasts");
    assert_int_equal(sqlite3_exec(db, "UPDATE broadcasts SET queued_at = 2", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(area_delete_as(f->db.core, &who, f->tenant, id, NULL, NULL, &err), 0);
    assert_null(at(f, AREA_QUARTIER, 45.5, 6.5));
    assert_int_equal(area_delete_as(f->db.core, &who, f->tenant, id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* Each write has its audit entry. */
    store_audit *entries = NULL;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant, 0, 100, &f->a, &entries, &n, &err), 0);
    size_t areas = 0;
    for (size_t i = 0; i < n; i++)
        areas += entries[i].object_kind && strcmp(entries[i].object_kind, "area") == 0;
    assert_int_equal(areas, 6); /* two created, two changes, two deleted */
}

/* Runs sql on the test's database (another connection, as the command line would). */
static void run_sql(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A re-import keeps the ids of the areas whose codes it keeps, and refuses to drop one that
 * a broadcast still being queued targets, naming the broadcast; a geometry wholly outside
 * the collectivité's bounds is refused, on import and in the back office. */
static void test_import_keeps_ids_and_bounds(void **state)
{
    fixture *f = *state;
    area_import_result r;
    problems p = {0};
    const char *both = FC(FEAT("nord", "Nord", POLY(SQUARE(4, 45.5, 5, 46))) "," FEAT(
        "sud", "Sud", POLY(SQUARE(4, 45, 5, 45.5))));
    assert_int_equal(import(f, AREA_BROADCAST, both, &r, &p), 0);
    int64_t nord = area_id(f, AREA_BROADCAST, "nord"), sud = area_id(f, AREA_BROADCAST, "sud");
    assert_true(nord > 0 && sud > 0);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO broadcasts (id, tenant_id, subject, body, areas, base_url, created_by, "
             "created_at) VALUES (7, %lld, 'Coupure d''eau', 'Demain', '[%lld]', 'https://x', "
             "'a', 1)",
             (long long)f->tenant, (long long)sud);
    run_sql(f, sql);

    /* Without sud: refused, the broadcast named, nothing written. */
    const char *nord_only = FC(FEAT("nord", "Nord élargi", POLY(SQUARE(4, 45.4, 5, 46))));
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_BROADCAST, nord_only, &r, &p), 1);
    assert_int_equal(p.feature[0], -1);
    if (!strstr(p.what[0], "broadcast 7 («Coupure d'eau»)") || !strstr(p.what[0], "area sud"))
        fail_msg("%s", p.what[0]);
    assert_string_equal(at(f, AREA_BROADCAST, 45.45, 4.5), "sud");
    /* With both codes: written, the ids kept, the new name and drawing in place. */
    memset(&p, 0, sizeof p);
    const char *redrawn = FC(FEAT("sud", "Sud", POLY(SQUARE(4, 45, 5, 45.4))) "," FEAT(
        "nord", "Nord élargi", POLY(SQUARE(4, 45.4, 5, 46))));
    assert_int_equal(import(f, AREA_BROADCAST, redrawn, &r, &p), 0);
    assert_int_equal(r.replaced, 0);
    assert_int_equal(area_id(f, AREA_BROADCAST, "nord"), nord);
    assert_int_equal(area_id(f, AREA_BROADCAST, "sud"), sud);
    assert_string_equal(at(f, AREA_BROADCAST, 45.45, 4.5), "nord");
    /* Once the broadcast is queued, sud may go. */
    run_sql(f, "UPDATE broadcasts SET queued_at = 2");
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_BROADCAST, nord_only, &r, &p), 0);
    assert_int_equal(r.replaced, 1);
    assert_int_equal(area_id(f, AREA_BROADCAST, "sud"), 0);

    /* Bounds: from the other kinds' areas (the broadcast areas, here), one degree around. */
    memset(&p, 0, sizeof p);
    const char *swapped = FC(FEAT("centre", "Centre", POLY(SQUARE(45, 4, 46, 5))));
    assert_int_equal(import(f, AREA_QUARTIER, swapped, &r, &p), 1);
    assert_int_equal(p.feature[0], 0);
    assert_non_null(strstr(p.what[0], "wholly outside the collectivité's bounds"));
    memset(&p, 0, sizeof p);
    assert_int_equal(import(f, AREA_QUARTIER,
                            FC(FEAT("centre", "Centre", POLY(SQUARE(5.5, 45, 5.8, 45.3)))), &r, &p),
                     0);
    /* The back office: the same check, and the reason's parts for the page to word. */
    store_agent admin;
    assert_int_equal(test_db_add_agent(&f->db, f->tenant, "admin.b@bourg.test", AGENT_ROLE_ADMIN,
                                       NULL, 0, &f->a, &admin),
                     0);
    core_actor who = actor_of_agent(&admin, "test");
    area_why why;
    area_edit e = {.tenant_id = f->tenant,
                   .kind = AREA_QUARTIER,
                   .code = "loin",
                   .name = "Loin",
                   .geojson = POLY(SQUARE(45, 4, 46, 5)),
                   .why = &why};
    e.len = strlen(e.geojson);
    error err;
    assert_int_equal(area_save_as(f->db.core, &who, &e, &f->a, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "geojson");
    assert_string_equal(why.key, "outside");
    assert_true(why.box.min_lon < 4 && why.box.max_lon > 5.8 && why.box.max_lat < 47.1);
    e.geojson = "{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE(
        4, 45, 5, 46) "],[[[4,45],[5,46],[5,45],"
                      "[4,46],[4,45]]]]}";
    e.len = strlen(e.geojson);
    assert_int_equal(area_save_as(f->db.core, &who, &e, &f->a, NULL, NULL, NULL, &err), -1);
    assert_string_equal(why.key, "ring_crosses");
    assert_int_equal(why.poly, 2);
    assert_int_equal(why.ring, 1);
    e.geojson = POLY("[[4,45],[5,45],[200,46],[4,46],[4,45]]");
    e.len = strlen(e.geojson);
    assert_int_equal(area_save_as(f->db.core, &who, &e, &f->a, NULL, NULL, NULL, &err), -1);
    assert_string_equal(why.key, "position_range");
    assert_int_equal(why.poly, 0);
    assert_int_equal(why.ring, 1);
    assert_int_equal(why.position, 3);
    assert_true(why.lon == 200 && why.lat == 46);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square_edges_and_vertices),
        cmocka_unit_test(test_concave),
        cmocka_unit_test(test_hole_and_multipolygon),
        cmocka_unit_test(test_shared_borders),
        cmocka_unit_test(test_index_matches_walk),
        cmocka_unit_test(test_write_and_parse),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_dense_rings),
        cmocka_unit_test_setup_teardown(test_import_replace_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_process_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_keeps_ids_and_bounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

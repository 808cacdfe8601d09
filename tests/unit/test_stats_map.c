/*
 * Unit tests of the incidents map's aggregation (core/stats_map.c) on a fixed dataset whose
 * grid was worked out by hand: two quartiers, «ouest» (lon 1.00–1.20, lat 10.00–10.40) and
 * «est» (lon 1.20–1.40, lat 10.00–10.20), so that the box is lon 1.00–1.40, lat 10.00–10.40.
 * Its longer side once projected is the latitude's, 0.40°, so a cell is about 0.40 / 40 =
 * 0.01° a side: ceil(0.01 × 1024) = 11 fine cells of 1/1024° in latitude and
 * ceil(0.01 / cos(10.2°) × 1024) = ceil(10.40) = 11 in longitude. Points:
 *   A (10.005, 1.005), 2 open and 1 closed, and B (10.006, 1.006), 2 closed: fine cells
 *     (1029, 10245) and (1030, 10246), both in map cell (93, 931), centre (10.00634765625,
 *     1.00439453125): 2 open, 3 closed, in «ouest»;
 *   D (10.10, 1.25), 3 open and 1 closed (procedure «eclairage»): cell (116, 940), centre
 *     (10.10302734375, 1.25146484375), in «est»;
 *   C (10.30, 1.35), 1 open: cell (125, 958), centre (10.29638671875, 1.34814453125), in
 *     none (north of «est», east of «ouest»);
 *   and left out: a request without a location, a merged duplicate at A, one filed before
 *     the period at A.
 * Then the filters (state, status, quartier, procedure, one the facts do not keep), the facts'
 * quartiers worked out beforehand or not, and a lattice of 66,000 points, one per fine cell, which
 * makes the walk double its step: every count still equals a recount on the map's own grid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/area.h"
#include "core/catalogue.h"
#include "core/stats.h"
#include "core/stats_map.h"
#include "test_db.h"
#include "test_req.h"

#define PERIOD_FROM 1780000000 /* 2026-05-28 */
#define BEFORE (PERIOD_FROM - 86400)

typedef struct fixture {
    test_town tt;
    sqlite3 *db;
    int64_t voirie, eclairage;
    int64_t ouest, est;
} fixture;

static void problem(void *ctx, long feature, const char *code, const char *what)
{
    (void)ctx;
    fail_msg("area import: feature %ld (%s): %s", feature, code ? code : "-", what);
}

#define RECT(code, name, w, s, e, n)                                                               \
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"" code "\",\"nom\":\"" name "\"},"           \
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[" w "," s "],[" e "," s "],[" e "," n   \
    "],[" w "," n "],[" w "," s "]]]}}"
static const char quartiers[] = "{\"type\":\"FeatureCollection\",\"features\":[" RECT(
    "ouest", "Ouest", "1.00", "10.00", "1.20", "10.40") "," RECT("est", "Est", "1.20", "10.00",
                                                                 "1.40", "10.20") "]}";

/* n requests at (lat, lon) (has 0: without a location), closed or open, filed at `when`. */
static void add(fixture *f, int n, int has, double lat, double lon, int closed, int64_t proc,
                int64_t when)
{
    static int seq;
    for (int i = 0; i < n; i++) {
        char sql[1024], where[96] = "NULL, NULL";
        if (has)
            snprintf(where, sizeof where, "%.6f, %.6f", lat, lon);
        snprintf(sql, sizeof sql,
                 "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
                 "created_at, updated_at, closed_at, lat, lon) VALUES (%lld, 'M-%06d', %lld, "
                 "'%s', 'web', %lld, %lld, %s, %s)",
                 (long long)f->tt.tenant_id, ++seq, (long long)proc, closed ? "resolved" : "new",
                 (long long)when, (long long)when, closed ? "1780500000" : "NULL", where);
        test_sql_exec(f->db, sql);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(&f->tt, "stats_map"), 0);
    assert_int_equal(test_db_add_incident(&f->tt.db, f->tt.tenant_id, "voirie", "Voirie", 0), 0);
    assert_int_equal(test_db_add_incident(&f->tt.db, f->tt.tenant_id, "eclairage", "Éclairage", 0),
                     0);
    area_import_result r;
    long problems = 0;
    error err;
    error_clear(&err);
    assert_int_equal(area_import(f->tt.db.core, f->tt.tenant_id, AREA_QUARTIER, quartiers,
                                 strlen(quartiers), problem, NULL, &r, &problems, &err),
                     0);
    assert_int_equal(problems, 0);
    assert_int_equal(catalogue_reload(f->tt.db.core, &err), 0);
    assert_int_equal(test_town_read(&f->tt), 0);
    f->voirie = catalogue_procedure(f->tt.t, "voirie")->rec.id;
    f->eclairage = catalogue_procedure(f->tt.t, "eclairage")->rec.id;
    assert_int_equal(sqlite3_open(f->tt.db.path, &f->db), SQLITE_OK);
    sqlite3_busy_timeout(f->db, 5000);
    f->ouest = test_sql_int(f->db, "SELECT id FROM areas WHERE code = 'ouest'");
    f->est = test_sql_int(f->db, "SELECT id FROM areas WHERE code = 'est'");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->db);
    test_town_close(&f->tt);
    free(f);
    return 0;
}

static void dataset(fixture *f)
{
    int64_t in = PERIOD_FROM + 3600;
    add(f, 2, 1, 10.005, 1.005, 0, f->voirie, in);     /* A */
    add(f, 1, 1, 10.005, 1.005, 1, f->voirie, in);     /* A */
    add(f, 2, 1, 10.006, 1.006, 1, f->voirie, in);     /* B */
    add(f, 3, 1, 10.10, 1.25, 0, f->eclairage, in);    /* D */
    add(f, 1, 1, 10.10, 1.25, 1, f->eclairage, in);    /* D */
    add(f, 1, 1, 10.30, 1.35, 0, f->voirie, in);       /* C */
    add(f, 1, 0, 0, 0, 0, f->voirie, in);              /* no location */
    add(f, 1, 1, 10.005, 1.005, 0, f->voirie, BEFORE); /* before the period */
    add(f, 1, 1, 10.005, 1.005, 0, f->voirie, in);     /* merged below */
    test_sql_exec(f->db,
                  "UPDATE requests SET merged_into = (SELECT min(id) FROM requests), status = "
                  "'duplicate', closed_at = 1780500000 WHERE id = (SELECT max(id) FROM requests)");
}

static store_request_filter period(const fixture *f)
{
    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = f->tt.tenant_id;
    flt.created_from = PERIOD_FROM;
    flt.created_to = PERIOD_FROM + 30 * 86400;
    return flt;
}

static void query(fixture *f, const store_request_filter *flt, int64_t area, stats_map_state st,
                  stats_map *m)
{
    error err;
    error_clear(&err);
    assert_int_equal(stats_map_query(f->tt.db.core, f->tt.t, flt, area, st, &f->tt.a, m, &err), 0);
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-9)
        fail_msg("%.12f, not %.12f", got, want);
}

static void assert_cell(const stats_map *m, size_t i, double lat, double lon, int64_t open,
                        int64_t closed, int64_t area)
{
    assert_true(i < m->n_cells);
    assert_near(m->cells[i].lat, lat);
    assert_near(m->cells[i].lon, lon);
    assert_int_equal(m->cells[i].open, open);
    assert_int_equal(m->cells[i].closed, closed);
    if (area >= 0)
        assert_int_equal(m->cells[i].area, area);
}

/* The quartiers' counts: ouest, est, none. */
static void assert_areas(const stats_map *m, int64_t o_open, int64_t o_closed, int64_t e_open,
                         int64_t e_closed, int64_t n_open, int64_t n_closed)
{
    assert_int_equal(m->n_areas, 3);
    assert_string_equal(m->areas[0].code, "ouest");
    assert_string_equal(m->areas[1].code, "est");
    assert_null(m->areas[2].code);
    assert_int_equal(m->areas[2].id, 0);
    int64_t want[3][2] = {{o_open, o_closed}, {e_open, e_closed}, {n_open, n_closed}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(m->areas[i].open, want[i][0]);
        assert_int_equal(m->areas[i].closed, want[i][1]);
    }
    assert_int_equal(m->open, o_open + e_open + n_open);
    assert_int_equal(m->closed, o_closed + e_closed + n_closed);
}

static void test_fixed_dataset(void **state)
{
    fixture *f = *state;
    dataset(f);
    store_request_filter flt = period(f);
    /* Twice: the facts' quartiers found by the walk, then worked out beforehand. */
    for (int pass = 0; pass < 2; pass++) {
        stats_map m;
        query(f, &flt, STATS_AREA_ANY, STATS_MAP_ANY, &m);
        assert_near(m.box.min_lon, 1.00);
        assert_near(m.box.max_lon, 1.40);
        assert_near(m.box.min_lat, 10.00);
        assert_near(m.box.max_lat, 10.40);
        assert_near(m.cell_lat, 11.0 / 1024);
        assert_near(m.cell_lon, 11.0 / 1024);
        assert_int_equal(m.n_cells, 3);
        assert_cell(&m, 0, 10.00634765625, 1.00439453125, 2, 3, 0);
        assert_cell(&m, 1, 10.10302734375, 1.25146484375, 3, 1, 1);
        assert_cell(&m, 2, 10.29638671875, 1.34814453125, 1, 0, 2);
        assert_areas(&m, 2, 3, 3, 1, 1, 0);
        assert_int_equal(m.areas[0].geom.n_rings, 1); /* the outlines, for the drawing */
        assert_int_equal(m.areas[1].geom.n_rings, 1);
        stats_map_free(&m);
        size_t done = 0;
        error err;
        error_clear(&err);
        assert_int_equal(stats_areas_fill(f->tt.db.core, &done, &err), 0);
        assert_int_equal(
            test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NULL"), 0);
    }
}

static void test_filters(void **state)
{
    fixture *f = *state;
    dataset(f);
    store_request_filter flt = period(f);
    stats_map m;

    query(f, &flt, STATS_AREA_ANY, STATS_MAP_OPEN, &m);
    assert_int_equal(m.n_cells, 3);
    assert_cell(&m, 0, 10.10302734375, 1.25146484375, 3, 0, 1);
    assert_cell(&m, 1, 10.00634765625, 1.00439453125, 2, 0, 0);
    assert_areas(&m, 2, 0, 3, 0, 1, 0);
    stats_map_free(&m);

    query(f, &flt, STATS_AREA_ANY, STATS_MAP_CLOSED, &m);
    assert_int_equal(m.n_cells, 2);
    assert_cell(&m, 0, 10.00634765625, 1.00439453125, 0, 3, 0);
    assert_cell(&m, 1, 10.10302734375, 1.25146484375, 0, 1, 1);
    assert_areas(&m, 0, 3, 0, 1, 0, 0);
    stats_map_free(&m);

    /* one status, through the store's filter */
    store_request_filter st = flt;
    st.statuses[st.n_statuses++] = "resolved";
    query(f, &st, STATS_AREA_ANY, STATS_MAP_ANY, &m);
    assert_areas(&m, 0, 3, 0, 1, 0, 0);
    stats_map_free(&m);

    /* a filter the facts do not keep (unassigned: every request here) reads the requests
     * joined to the facts: the same map */
    store_request_filter joined = flt;
    joined.unassigned = 1;
    query(f, &joined, STATS_AREA_ANY, STATS_MAP_ANY, &m);
    assert_int_equal(m.n_cells, 3);
    assert_cell(&m, 0, 10.00634765625, 1.00439453125, 2, 3, 0);
    assert_areas(&m, 2, 3, 3, 1, 1, 0);
    stats_map_free(&m);

    /* a quartier; «in none» */
    query(f, &flt, f->est, STATS_MAP_ANY, &m);
    assert_int_equal(m.n_cells, 1);
    assert_cell(&m, 0, 10.10302734375, 1.25146484375, 3, 1, 1);
    assert_areas(&m, 0, 0, 3, 1, 0, 0);
    stats_map_free(&m);
    query(f, &flt, 0, STATS_MAP_ANY, &m);
    assert_int_equal(m.n_cells, 1);
    assert_cell(&m, 0, 10.29638671875, 1.34814453125, 1, 0, 2);
    stats_map_free(&m);

    /* a procedure; the grid stays the quartiers' */
    store_request_filter pr = flt;
    pr.procedure_ids[pr.n_procedure_ids++] = f->eclairage;
    query(f, &pr, STATS_AREA_ANY, STATS_MAP_ANY, &m);
    assert_int_equal(m.n_cells, 1);
    assert_near(m.cell_lat, 11.0 / 1024);
    assert_cell(&m, 0, 10.10302734375, 1.25146484375, 3, 1, 1);
    assert_areas(&m, 0, 0, 3, 1, 0, 0);
    stats_map_free(&m);

    /* the period: only the request filed before it */
    store_request_filter before = flt;
    before.created_from = BEFORE - 10;
    before.created_to = BEFORE + 10;
    query(f, &before, STATS_AREA_ANY, STATS_MAP_ANY, &m);
    assert_int_equal(m.n_cells, 1);
    assert_cell(&m, 0, 10.00634765625, 1.00439453125, 1, 0, 0);
    stats_map_free(&m);

    /* another collectivité's filter is refused */
    store_request_filter other = flt;
    other.tenant_id = f->tt.tenant_id + 1;
    error err;
    error_clear(&err);
    assert_int_equal(stats_map_query(f->tt.db.core, f->tt.t, &other, STATS_AREA_ANY, STATS_MAP_ANY,
                                     &f->tt.a, &m, &err),
                     -1);
}

/* 300 × 220 points a fine cell apart (one per fine cell: more than STATS_MAP_FINE_MAX), open
 * where (i + j) is even: the walk coarsens, and each map cell still holds exactly the points
 * a recount on its grid puts in it. */
static void test_coarsening(void **state)
{
    fixture *f = *state;
    enum { NX = 300, NY = 220 };
    const double step = 1.0 / 1024;
    /* One statement: the lattice from a recursive count, (i, j) = (n / NY, n % NY). */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM n WHERE v + 1 < %d) "
             "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
             "created_at, updated_at, closed_at, lat, lon) SELECT %lld, 'L-' || v, %lld, 'new', "
             "'web', %d, %d, CASE WHEN (v / %d + v %% %d) %% 2 THEN 1780500000 END, "
             "10.0 + (v %% %d + 0.5) / 1024.0, 1.0 + (v / %d + 0.5) / 1024.0 FROM n",
             NX * NY, (long long)f->tt.tenant_id, (long long)f->voirie, PERIOD_FROM + 60,
             PERIOD_FROM + 60, NY, NY, NY, NY);
    test_sql_exec(f->db, sql);
    store_request_filter flt = period(f);
    stats_map m;
    query(f, &flt, STATS_AREA_ANY, STATS_MAP_ANY, &m);
    assert_int_equal(m.open + m.closed, NX * NY);
    assert_int_equal(m.open, NX * NY / 2);
    /* the step doubled at least once: a cell is a whole number of coarser fine cells */
    double k = m.cell_lat / (2 * step);
    assert_near(k, floor(k));
    /* the recount on the map's grid */
    int64_t *want = calloc((size_t)NX * NY, sizeof *want);
    int64_t cx0 = (int64_t)floor(1.0 / m.cell_lon), cy0 = (int64_t)floor(10.0 / m.cell_lat);
    int64_t cols = (int64_t)NX, rows_max = (int64_t)NY;
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            int64_t cx = (int64_t)floor((1.0 + (i + 0.5) * step) / m.cell_lon) - cx0;
            int64_t cy = (int64_t)floor((10.0 + (j + 0.5) * step) / m.cell_lat) - cy0;
            assert_true(cx >= 0 && cx < cols && cy >= 0 && cy < rows_max);
            want[cy * cols + cx]++;
        }
    int64_t sum = 0;
    for (size_t c = 0; c < m.n_cells; c++) {
        int64_t cx = (int64_t)floor(m.cells[c].lon / m.cell_lon) - cx0;
        int64_t cy = (int64_t)floor(m.cells[c].lat / m.cell_lat) - cy0;
        assert_int_equal(m.cells[c].open + m.cells[c].closed, want[cy * cols + cx]);
        if (c > 0)
            assert_true(m.cells[c].open + m.cells[c].closed <=
                        m.cells[c - 1].open + m.cells[c - 1].closed);
        sum += m.cells[c].open + m.cells[c].closed;
    }
    assert_int_equal(sum, NX * NY);
    /* at most about STATS_MAP_GRID cells along the longer side */
    assert_true(m.n_cells <= (STATS_MAP_GRID + 1) * (STATS_MAP_GRID + 1));
    free(want);
    stats_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fixed_dataset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coarsening, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

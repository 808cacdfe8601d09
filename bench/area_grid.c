/*
 * area_grid — the benchmarks' 1,000 department areas (see area_grid.h).
 */
#include "area_grid.h"

#include <math.h>
#include <stdio.h>

#include "core/admin.h"

#define COLS 40
#define ROWS 25
#define LON0 AREA_GRID_LON0
#define LAT0 AREA_GRID_LAT0
#define WIDTH AREA_GRID_WIDTH
#define HEIGHT AREA_GRID_HEIGHT
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

int area_grid_create(core *c, int64_t tenant, buf *b, error *err)
{
    buf_puts(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int j = 0; j < ROWS; j++)
        for (int i = 0; i < COLS; i++) {
            char code[32];
            snprintf(code, sizeof code, "d%02d-%02d", i, j);
            store_department d = {.tenant_id = tenant, .code = code, .name = code};
            int64_t id;
            if (admin_department_upsert(c, &d, &id, err) != 0)
                return -1;
            buf_printf(b,
                       "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\",\"nom\":\"%s\"},"
                       "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[",
                       i || j ? "," : "", code, code);
            cell_ring(b, i, j);
            if ((i + j * COLS) % 7 == 3)
                cell_hole(b, i, j);
            buf_puts(b, "]}}");
        }
    buf_puts(b, "]}");
    if (b->failed)
        return error_set(err, ERR_INTERNAL, NULL, "the GeoJSON is over its buffer");
    return 0;
}

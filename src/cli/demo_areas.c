/*
 * demo_areas — the demo commune's areas (see demo_areas.h), laid out on the square of side
 * 2 × DEMO_HALF_SIDE around the map's centre that the demo's requests fall in:
 *   quartiers: «Centre» (a square of side 2 × CENTRE_HALF), «Nord» and «Sud» (the halves of
 *     the commune around it: concave shapes);
 *   departments, in the order routing tries them: espaces-verts (the park, a square north-east
 *     of the centre), proprete (the centre, with the park as its hole), voirie (the whole
 *     commune: what the other two leave);
 *   broadcast: «commune», the whole commune.
 */
#include "cli/demo_areas.h"

#include <stdio.h>
#include <string.h>

#include "cli/demo_data.h"
#include "core/area.h"
#include "util/buf.h"

#define CENTRE_HALF 0.006
/* The park: a square of side 2 × PARK_HALF centred PARK_OFFSET north-east of the centre. */
#define PARK_HALF 0.0015
#define PARK_OFFSET 0.003

/* A ring through n points (lon, lat), closed here. */
static void ring(buf *b, const double (*pts)[2], size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i <= n; i++)
        buf_printf(b, "%s[%.6f,%.6f]", i ? "," : "", pts[i % n][0], pts[i % n][1]);
    buf_putc(b, ']');
}

/* The square of half side h around (lon, lat), counterclockwise. */
static void square(buf *b, double lon, double lat, double h)
{
    const double pts[4][2] = {
        {lon - h, lat - h}, {lon + h, lat - h}, {lon + h, lat + h}, {lon - h, lat + h}};
    ring(b, pts, 4);
}

static void feature_open(buf *b, int first, const char *code, const char *name)
{
    buf_printf(b,
               "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\",\"nom\":\"%s\"},"
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[",
               first ? "" : ",", code, name);
}

static void feature_close(buf *b)
{
    buf_puts(b, "]}}");
}

/* One half of the commune (north: sign 1, south: -1) less its part of the centre. */
static void half(buf *b, double sign)
{
    const double x = DEMO_LON_CENTER, y = DEMO_LAT_CENTER, h = DEMO_HALF_SIDE, c = CENTRE_HALF;
    const double pts[8][2] = {{x - h, y}, {x - c, y}, {x - c, y + sign * c}, {x + c, y + sign * c},
                              {x + c, y}, {x + h, y}, {x + h, y + sign * h}, {x - h, y + sign * h}};
    ring(b, pts, 8);
}

static void quartiers(buf *b)
{
    feature_open(b, 1, "centre", "Centre");
    square(b, DEMO_LON_CENTER, DEMO_LAT_CENTER, CENTRE_HALF);
    feature_close(b);
    feature_open(b, 0, "nord", "Nord");
    half(b, 1);
    feature_close(b);
    feature_open(b, 0, "sud", "Sud");
    half(b, -1);
    feature_close(b);
}

static void departments(buf *b)
{
    const double px = DEMO_LON_CENTER + PARK_OFFSET, py = DEMO_LAT_CENTER + PARK_OFFSET;
    feature_open(b, 1, "espaces-verts", "Parc de la Mairie");
    square(b, px, py, PARK_HALF);
    feature_close(b);
    feature_open(b, 0, "proprete", "Centre-ville");
    square(b, DEMO_LON_CENTER, DEMO_LAT_CENTER, CENTRE_HALF);
    buf_putc(b, ',');
    square(b, px, py, PARK_HALF);
    feature_close(b);
    feature_open(b, 0, "voirie", "Toute la commune");
    square(b, DEMO_LON_CENTER, DEMO_LAT_CENTER, DEMO_HALF_SIDE);
    feature_close(b);
}

static void broadcast(buf *b)
{
    feature_open(b, 1, "commune", "Toute la commune");
    square(b, DEMO_LON_CENTER, DEMO_LAT_CENTER, DEMO_HALF_SIDE);
    feature_close(b);
}

static void refused(void *ctx, long feature, const char *code, const char *what)
{
    error *err = ctx;
    error_set(err, ERR_INTERNAL, NULL, "demo area %ld (%s) refused: %s", feature, code ? code : "?",
              what);
}

int demo_load_areas(core *c, int64_t tenant_id, FILE *report, error *err)
{
    static void (*const makers[AREA_KIND_COUNT])(buf *) = {
        [AREA_DEPARTMENT] = departments, [AREA_QUARTIER] = quartiers, [AREA_BROADCAST] = broadcast};
    for (int k = 0; k < AREA_KIND_COUNT; k++) {
        arena a;
        arena_init(&a, 0);
        store_area *rows = NULL;
        size_t existing = 0;
        int rc = area_list(c, tenant_id, (area_kind)k, &a, &rows, &existing, err);
        arena_free(&a);
        if (rc != 0)
            return -1;
        if (existing > 0)
            continue;
        buf b;
        buf_init(&b, 64 * 1024);
        buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
        makers[k](&b);
        buf_puts(&b, "]}");
        if (b.failed) {
            buf_free(&b);
            return error_set(err, ERR_INTERNAL, NULL, "demo areas over their buffer");
        }
        area_import_result r;
        long problems = 0;
        rc = area_import(c, tenant_id, (area_kind)k, b.data, b.len, refused, err, &r, &problems,
                         err);
        buf_free(&b);
        if (rc != 0 || problems > 0)
            return -1;
        if (report)
            fprintf(report, "%zu %s areas.\n", r.imported, area_kind_name((area_kind)k));
    }
    return 0;
}

/*
 * area_grid — the benchmarks' collectivité of 1,000 department areas (bench/area_lookup.c,
 * bench/route_setup.c): a grid of 40 × 25 cells over a box the size of a French département
 * (about 100 × 100 km), each cell a department whose borders, of a few hundred wiggly
 * positions, are shared exactly with its neighbours, one in seven with a hole.
 */
#ifndef GUICHET_BENCH_AREA_GRID_H
#define GUICHET_BENCH_AREA_GRID_H

#include <stdint.h>

#include "core/core.h"
#include "util/buf.h"
#include "util/error.h"

#define AREA_GRID_LON0 4.30
#define AREA_GRID_LAT0 45.20
#define AREA_GRID_WIDTH 1.30  /* degrees of longitude: about 100 km at 45.6° N */
#define AREA_GRID_HEIGHT 0.90 /* degrees of latitude: about 100 km */

/* Creates the grid's 1,000 departments in tenant (codes "dII-JJ") and writes their areas as
 * a GeoJSON FeatureCollection into b (which must hold about 20 MB), for area_import. 0, or
 * -1 with err. */
int area_grid_create(core *c, int64_t tenant, buf *b, error *err);

#endif

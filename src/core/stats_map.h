/*
 * stats_map — the incidents map of pilotage (issue 17): for a collectivité, the located
 * requests a filter matches (those of core/stats.h), open or closed, counted per quartier and
 * on a grid of cells fitted to the box of the quartiers and the points, in one walk of the
 * statistics facts with bounded memory. The counts are exact: each point's quartier is the
 * one routing would take (area_first), each point lies in exactly one cell.
 *
 * Method: the walk counts the points on a fine grid of the whole globe (cells of
 * STATS_MAP_FINE_STEP degrees, doubled whenever more than STATS_MAP_FINE_MAX cells are in use),
 * since the box is only known at its end; the map's cells are then whole multiples of the fine
 * cells, aligned with them, so that summing fine cells into map cells is exact. A map cell is
 * about square once projected (equirectangular, longitudes scaled by the cosine of the box's
 * middle latitude), about STATS_MAP_GRID of them along the box's longer side.
 */
#ifndef GUICHET_CORE_STATS_MAP_H
#define GUICHET_CORE_STATS_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/area_geom.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/stats.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* Map cells along the longer side of the box (fewer when the fine grid had to grow coarser). */
#define STATS_MAP_GRID 40
/* The fine grid's first step, in degrees (a power of two: about 110 m of latitude). */
#define STATS_MAP_FINE_STEP (1.0 / 1024)
/* Fine cells kept during a walk: past it the step doubles (32 bytes a cell and 8 of index). */
#define STATS_MAP_FINE_MAX 65536
/* Busiest cells whose quartier is worked out (the page's table of them). */
#define STATS_MAP_TOP 10
/* Vertices of all the quartiers' outlines a map carries at most: beyond, no outlines (the
 * counts per quartier stay). */
#define STATS_MAP_OUTLINE_VERTICES_MAX 50000

/* Which requests: every one, the open ones or the closed ones (closed now). */
typedef enum stats_map_state {
    STATS_MAP_ANY = 0,
    STATS_MAP_OPEN,
    STATS_MAP_CLOSED
} stats_map_state;

/* A quartier with its counts (id 0, code and name NULL: the points in none). */
typedef struct stats_map_area {
    int64_t id;
    const char *code, *name; /* in the query's arena */
    int64_t open, closed;
    area_geom geom; /* its outline (empty for none, or when the outlines are too many) */
} stats_map_area;

/* A cell of the grid holding at least one point. */
typedef struct stats_map_cell {
    double lat, lon; /* its centre */
    int64_t open, closed;
    int64_t area; /* the index into the map's areas of the quartier holding its centre (the
                     last, «in none», when none); -1 beyond the first STATS_MAP_TOP cells */
} stats_map_cell;

typedef struct stats_map {
    area_box box;              /* the quartiers and the points; all 0 when neither */
    double cell_lat, cell_lon; /* a cell's size in degrees */
    stats_map_cell *cells;     /* malloc'd; busiest first (ties: south then west first) */
    size_t n_cells;
    stats_map_area *areas; /* malloc'd; the quartiers in file order, then «in none» */
    size_t n_areas;
    int64_t open, closed; /* all the points */
} stats_map;

/* The map of the located requests of tenant t that f matches (f->tenant_id must be t's; no
 * text nor references), in `state`, and, unless area is STATS_AREA_ANY, in the quartier of
 * that id (0: in none). 0 and *out (free with stats_map_free; strings in a), or -1:
 * ERR_INVALID_ARG for a filter the store refuses or a walk past STATS_MAX_REQUESTS (naming
 * "created_from"), ERR_INTERNAL otherwise. */
int stats_map_query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                    stats_map_state state, arena *a, stats_map *out, error *err);

/* Frees what m holds (not m); accepts NULL and a zeroed m. */
void stats_map_free(stats_map *m);

#endif

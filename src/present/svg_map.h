/*
 * svg_map — the incidents map of the dashboards (/agent/pilotage/carte) as a standalone SVG
 * document drawn on the server, without map tiles (no request leaves the server, nothing of
 * the agents' views reaches a tile provider): the quartiers' outlines as the backdrop and the
 * counts of core/stats_map.h as circles whose area is proportional to the count, the open
 * ones a solid disc inside a hatched one for all (so that the pattern, not the colour alone,
 * tells them apart), the quartiers' names, a legend below. Equirectangular projection,
 * longitudes scaled by the cosine of the middle latitude. The page shows the same counts as
 * tables beside it.
 */
#ifndef GUICHET_PRESENT_SVG_MAP_H
#define GUICHET_PRESENT_SVG_MAP_H

#include <stddef.h>

#include "core/stats_map.h"
#include "util/buf.h"

/* The words of a map, plain UTF-8 text (escaped when written). */
typedef struct svg_map_words {
    const char *title, *desc;
    const char *open, *closed; /* the legend's two entries */
    const char *scale;         /* the legend's note: the area tells the count */
    const char **cell_titles;  /* one per cell of the map, in its order: the circle's <title> */
} svg_map_words;

/* Appends to out the map of m. 0, or -1 when out's maximum is reached (a map of many
 * quartiers' vertices: the caller shows the tables alone). */
int svg_map_draw(buf *out, const stats_map *m, const svg_map_words *w);

#endif

/*
 * area_geom — the geometry of areas, with nothing of the store: a GeoJSON FeatureCollection
 * read and checked strictly (RFC 7946), polygons with holes and multipolygons held as flat
 * arrays, the exact point-in-polygon test, and a grid index over many areas that answers
 * «which area holds this point» in a few microseconds. core/area.h stores and serves them.
 */
#ifndef GUICHET_CORE_AREA_GEOM_H
#define GUICHET_CORE_AREA_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bounds of what one import reads. */
#define AREA_FILE_MAX (64u * 1024 * 1024) /* bytes of a GeoJSON file */
#define AREA_FEATURES_MAX 5000            /* features of one file */
#define AREA_VERTICES_MAX 200000          /* positions of one feature's geometry */
#define AREA_FILE_VERTICES_MAX 2000000    /* positions of a whole file */
/* JSON values of a file (a position is three: its array and two numbers), counted before
 * the file is parsed: the parsed document costs about 50 bytes a value, so this bounds the
 * memory of an import (about 300 MB at worst) whatever the file holds. */
#define AREA_JSON_VALUES_MAX (3 * AREA_FILE_VERTICES_MAX + 100000)
#define AREA_CODE_MAX 32                  /* characters of a code */
#define AREA_NAME_MAX 100                 /* characters of a name */
/* Problems an import reports at most (the count goes on). */
#define AREA_PROBLEMS_MAX 200

/* A box in degrees, lon the x axis and lat the y axis. */
typedef struct area_box {
    double min_lon, min_lat, max_lon, max_lat;
} area_box;

/* A Polygon or MultiPolygon: positions as (lon, lat) pairs, each ring closed (its last
 * position repeats its first), consecutive repeated positions dropped. Ring r holds the
 * positions [rings[r], rings[r + 1]); polygon p the rings [polys[p], polys[p + 1]), its
 * first ring the outer one and the others its holes. */
typedef struct area_geom {
    double *xy;      /* 2 * n_pts doubles */
    uint32_t *rings; /* n_rings + 1 offsets into the positions */
    uint32_t *polys; /* n_polys + 1 offsets into the rings */
    size_t n_pts, n_rings, n_polys;
    int multi; /* read from a MultiPolygon (written back as one) */
    area_box box;
} area_geom;

/* Why a geometry is refused, for readers of either language: the message's key (its French
 * and English under "areas.refused" in the i18n JSON) with what fills its blanks, and the
 * same in English words for logs, API clients and the command line. */
typedef struct area_why {
    const char *key;  /* static: "ring_crosses", …; NULL: out of memory */
    size_t poly;      /* {poly}: the polygon (from 1) of a MultiPolygon; 0: a Polygon's */
    size_t ring;      /* {ring}: the ring (from 1) of that polygon; 0: the geometry's */
    size_t position;  /* {position}: the position (from 1) in that ring; 0: none */
    double lon, lat;  /* {lon}, {lat}: the position the message names */
    long n;           /* {n}: the count the message names */
    int line, column; /* {line}, {column}: where a JSON text stopped being JSON */
    area_box box;     /* {min_lon}…{max_lat}: the bounds a geometry lies outside of */
    char text[200];
} area_why;

/* Frees what g holds (not g); accepts NULL and a zeroed g. */
void area_geom_free(area_geom *g);

/* 1 when the point (lon, lat) is in g. Even-odd rule within each polygon (a point in a hole
 * is out), a point in any polygon of a multipolygon is in. A point on an edge or a vertex
 * is decided by the half-open rule: it is in when the region lies east of it, or north of
 * it along an east-west edge — so the west and south edges of a square belong to it, its
 * east and north edges do not, and a point on the border shared by two areas that tile the
 * plane is in exactly one of them (both compute the same edge the same way). */
int area_geom_contains(const area_geom *g, double lon, double lat);

/* The GeoJSON geometry of g ("Polygon" or "MultiPolygon", exact to the bit). Caller frees
 * with free; NULL when out of memory. */
char *area_geom_write(const area_geom *g);

/* One feature as read: its code and name (malloc'd), its geometry. */
typedef struct area_feature {
    char *code, *name;
    area_geom geom;
} area_feature;

/* Called for each problem found: feature index (0-based; -1 for the file as a whole), its
 * code (NULL when it has none yet) and what is wrong (English). */
typedef void (*area_problem_fn)(void *ctx, long feature, const char *code, const char *what);

/* Called for each feature's code once read: NULL when the caller takes it, else what is
 * wrong with it (a static English text), reported as a problem of the feature. */
typedef const char *(*area_code_check_fn)(void *ctx, const char *code);

/* An upper bound of the JSON values text (len bytes) holds, counted without parsing it:
 * checked against a limit first, it bounds the memory a parse takes (jansson's is about 50
 * bytes a value). */
size_t area_json_values(const char *text, size_t len);

/* Reads a FeatureCollection from text (len bytes, at most AREA_FILE_MAX). Each feature's
 * properties give its code ("code", else "ref", "id", "code_insee": a string or an integer)
 * and its name ("name", else "nom", "libelle", "label"); its geometry is a Polygon or a
 * MultiPolygon whose rings are closed with at least four positions, longitudes -180..180
 * and latitudes -90..90, at least three distinct positions, and do not cross or touch
 * themselves; check_code (may be NULL) vets each code. Every problem is passed to problem
 * (at most AREA_PROBLEMS_MAX of them; ctx is passed to both callbacks) and counted in
 * *problems; with none, *out holds the n features in the file's order (caller frees with
 * area_features_free). Returns -1 when out of memory, else 0. */
int area_features_read(const char *text, size_t len, area_code_check_fn check_code,
                       area_problem_fn problem, void *ctx, area_feature **out, size_t *n,
                       long *problems);
/* Frees n features and the array; accepts NULL. */
void area_features_free(area_feature *f, size_t n);

/* Reads one GeoJSON geometry object (a Polygon or MultiPolygon checked as
 * area_features_read checks a feature's, at most AREA_VERTICES_MAX positions) into *out
 * (caller frees with area_geom_free). 0; -1 with *why filled when it is not one; -2 when out
 * of memory. */
int area_geom_from_json(const json_t *geo, area_geom *out, area_why *why);

/* Reads one area's geometry from GeoJSON text (len bytes): a Polygon or MultiPolygon, a
 * Feature holding one, or a FeatureCollection of exactly one such Feature (what drawing
 * tools save), checked as area_features_read checks a feature's.
 * 0 and *out (caller frees with area_geom_free); -1 with *why filled; -2 when out of
 * memory. */
int area_geojson_one(const char *text, size_t len, area_geom *out, area_why *why);

/* 0 when s is a valid area code (is_code: 1 to AREA_CODE_MAX letters, digits, '-', '_',
 * '.') or name (1 to AREA_NAME_MAX characters, no control character); -1 with why
 * (English) filled otherwise. The import's rule for its features' properties. */
int area_label_check(const char *s, int is_code, char *why, size_t why_size);

/* Reads one stored geometry (area_geom_write's text) into *out (caller frees with
 * area_geom_free); -1 when it is not one. */
int area_geom_parse(const char *text, area_geom *out);

/* ---- the index ---- */

/* A grid over the boxes of many geometries: a point's cell lists the geometries whose box
 * meets the cell, in their order. */
typedef struct area_index area_index;

/* Indexes geoms[0..n) (borrowed: they must outlive the index). Caller frees with
 * area_index_free; NULL when out of memory. */
area_index *area_index_build(const area_geom *const *geoms, size_t n);
void area_index_free(area_index *ix);
/* The indexes (into the geoms given to area_index_build) of the geometries holding (lon,
 * lat), in ascending order, at most max into out; returns how many hold it (may exceed
 * max). */
size_t area_index_find(const area_index *ix, double lon, double lat, uint32_t *out, size_t max);

#endif

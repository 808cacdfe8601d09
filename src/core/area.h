/*
 * area — a collectivité's areas: its departments' territories (routing), its quartiers and
 * its broadcast areas, imported a kind at a time from GeoJSON (core/area_geom.h reads and
 * checks the file), and the lookup of the areas holding a point, served from an in-memory
 * grid index rebuilt when the areas change.
 */
#ifndef GUICHET_CORE_AREA_H
#define GUICHET_CORE_AREA_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/area_geom.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

typedef enum area_kind {
    AREA_ANY = -1, /* area_list: every kind */
    AREA_DEPARTMENT = 0,
    AREA_QUARTIER,
    AREA_BROADCAST,
    AREA_KIND_COUNT
} area_kind;

/* "department", "quartier", "broadcast" (the CLI's and the table's words). */
const char *area_kind_name(area_kind k);
/* 0 and *out when s names a kind, -1 otherwise. */
int area_kind_parse(const char *s, area_kind *out);

/* An area holding a point: strings in the caller's arena. */
typedef struct area_hit {
    int64_t id;
    const char *code, *name;
    int64_t department_id; /* kind department: the department it names */
} area_hit;

/* The tenant's areas of `kind` holding (lat, lon), in the order of the file they were
 * imported from (the first is the one routing takes: put the more specific areas first
 * when they overlap), at most max into out (*n how many written). Edges: see
 * area_geom_contains (the west and south edges belong to an area, the east and north ones
 * do not). Longitudes are not wrapped: an area across the antimeridian is not supported.
 * ERR_INVALID_ARG naming "lat" when the position is out of range. */
int area_at(core *c, int64_t tenant_id, area_kind kind, double lat, double lon, arena *a,
            area_hit *out, size_t max, size_t *n, error *err);

/* The id of the first of the tenant's areas of `kind` holding (lat, lon), as area_at takes
 * it (routing's choice), without copying names: 0 and *id (0 when in none or when the
 * position is out of range) and *version (may be NULL: the configuration version the areas
 * were read at), -1 and err when the areas cannot be read. For walks of many points (the
 * statistics by quartier). */
int area_first(core *c, int64_t tenant_id, area_kind kind, double lat, double lon, int64_t *id,
               int64_t *version, error *err);

/* The tenant's areas of `kind` (AREA_ANY: all), by kind then file order, without their
 * geometry; *out in a. */
int area_list(core *c, int64_t tenant_id, area_kind kind, arena *a, store_area **out, size_t *n,
              error *err);

/* area_list with each area's geometry (GeoJSON text in a): for a map of them. */
int area_list_outlines(core *c, int64_t tenant_id, arena *a, store_area **out, size_t *n,
                       error *err);

/* What an import did. */
typedef struct area_import_result {
    size_t imported;  /* areas of the kind now */
    int64_t replaced; /* areas of the kind it deleted (their codes are not in the file) */
    size_t vertices;  /* positions imported */
} area_import_result;

/* Replaces the tenant's areas of `kind` with the FeatureCollection in text (len bytes; see
 * area_features_read for what is checked), atomically. For kind department, each code must
 * be a department's of the tenant. An area whose code the file still has keeps its id (a
 * broadcast or a routing rule names it); the others are deleted, unless a broadcast not yet
 * queued targets one: then nothing is written and each such broadcast is a problem. A
 * feature lying wholly outside the collectivité's bounds (the box of its map's centre and
 * its areas of other kinds, widened by one degree; none: not checked) is a
 * problem. Every problem goes to problem(ctx, …) and is counted in *problems; with any,
 * nothing is written (0 returned). -1 and err for a failure of the store or of memory. */
int area_import(core *c, int64_t tenant_id, area_kind kind, const char *text, size_t len,
                area_problem_fn problem, void *ctx, area_import_result *out, long *problems,
                error *err);

/* One area written from the back office: a new one (id 0: kind, code, name and geometry),
 * renamed (geojson NULL) or redrawn. */
typedef struct area_edit {
    int64_t tenant_id;
    int64_t id;          /* 0: a new area */
    area_kind kind;      /* a new area's; an area keeps its kind */
    const char *code;    /* a new area's (for kind department: one of the tenant's
                            departments' codes); an area keeps its code */
    const char *name;    /* area_label_check's rule */
    const char *geojson; /* area_geojson_one's forms; NULL: the geometry stays */
    size_t len;
    area_why *why; /* may be NULL: filled when the geometry is refused, for a page to word */
} area_edit;

/* Checks e at once (ERR_INVALID_ARG naming "code", "name" or "geojson", with area_geom's
 * English words in err->detail and e->why filled for "geojson", a geometry wholly outside the
 * collectivité's bounds included (see area_import; the area's own drawing does not count);
 * "kind"), then writes it as `who` (an admin of the tenant, the
 * command line or the system: ERR_FORBIDDEN otherwise) with its audit entry (action
 * "admin", kind "area"). The written geometry's text lives in a (the caller's, until the
 * outcome). A code the kind already has: ERR_CONFLICT; an id the tenant has not:
 * ERR_NOT_FOUND. *id_out (may be NULL) gets the area's id. cb NULL waits; otherwise as
 * change_run. */
int area_save_as(core *c, const core_actor *who, const area_edit *e, arena *a, int64_t *id_out,
                 core_done_fn cb, void *ctx, error *err);

/* Deletes area id as `who` (rights and audit as area_save_as), refused with ERR_CONFLICT
 * naming "rules" while a routing rule names it or "broadcasts" while a broadcast not yet
 * queued targets it. */
int area_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                   void *ctx, error *err);

#endif

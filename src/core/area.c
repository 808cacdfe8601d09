/*
 * area — importing a collectivité's areas and finding those that hold a point (see area.h).
 * The index of a tenant's kind is built on first use from the store's rows and kept while
 * the catalogue's config_version stays put (the areas table bumps it, so an import by the
 * command line reaches a running server within the catalogue's polling delay).
 */
#include "core/area.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalogue.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "util/geo.h"
#include "util/log.h"

/* Room for the rows of one kind's index (codes, names; geometries are parsed apart). */
#define AREA_ROWS_ARENA (64u * 1024 * 1024)
/* Bytes of one geometry text read back (AREA_VERTICES_MAX positions of ~40 bytes each). */
#define AREA_GEOMETRY_TEXT_MAX ((size_t)AREA_VERTICES_MAX * 48 + 64)

static const char *const kind_names[AREA_KIND_COUNT] = {"department", "quartier", "broadcast"};

const char *area_kind_name(area_kind k)
{
    return k >= 0 && k < AREA_KIND_COUNT ? kind_names[k] : "";
}

int area_kind_parse(const char *s, area_kind *out)
{
    for (int k = 0; k < AREA_KIND_COUNT; k++)
        if (s && strcmp(s, kind_names[k]) == 0) {
            *out = (area_kind)k;
            return 0;
        }
    return -1;
}

/* ---- the index of one tenant's kind ---- */

struct area_cached {
    area_cached *next;
    int64_t tenant_id;
    area_kind kind;
    int64_t version; /* the catalogue's config_version it was built at */
    int refs;        /* readers, plus one while it is in core's list; under area_lock */
    arena a;         /* rows' strings */
    store_area *rows;
    area_geom *geoms;
    const area_geom **ptrs;
    size_t n;
    area_index *ix;
};

static void cached_free(area_cached *e)
{
    if (!e)
        return;
    area_index_free(e->ix);
    for (size_t i = 0; e->geoms && i < e->n; i++)
        area_geom_free(&e->geoms[i]);
    free(e->geoms);
    free(e->ptrs);
    arena_free(&e->a);
    free(e);
}

static void cached_release(core *c, area_cached *e)
{
    pthread_mutex_lock(&c->area_lock);
    int last = --e->refs == 0;
    pthread_mutex_unlock(&c->area_lock);
    if (last)
        cached_free(e);
}

void area_shutdown(core *c)
{
    area_cached *e = c->areas;
    while (e) {
        area_cached *next = e->next;
        cached_free(e);
        e = next;
    }
    c->areas = NULL;
}

/* Reads the tenant's areas of kind and indexes them. */
static area_cached *cached_build(core *c, int64_t tenant_id, area_kind kind, int64_t version,
                                 error *err)
{
    area_cached *e = calloc(1, sizeof *e);
    if (!e) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    e->tenant_id = tenant_id;
    e->kind = kind;
    e->version = version;
    arena_init(&e->a, AREA_ROWS_ARENA);
    if (c->store->ops->areas.list(c->store, tenant_id, kind_names[kind], 1, &e->a, &e->rows, &e->n,
                                  err) != 0) {
        cached_free(e);
        return NULL;
    }
    e->geoms = calloc(e->n ? e->n : 1, sizeof *e->geoms);
    e->ptrs = calloc(e->n ? e->n : 1, sizeof *e->ptrs);
    if (!e->geoms || !e->ptrs) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        cached_free(e);
        return NULL;
    }
    for (size_t i = 0; i < e->n; i++) {
        if (!e->rows[i].geometry || area_geom_parse(e->rows[i].geometry, &e->geoms[i]) != 0) {
            log_error("area: stored geometry of %s area %s (tenant %lld) is unreadable",
                      kind_names[kind], e->rows[i].code, (long long)tenant_id);
            error_set(err, ERR_INTERNAL, NULL, "a stored area geometry is unreadable");
            cached_free(e);
            return NULL;
        }
        e->ptrs[i] = &e->geoms[i];
        e->rows[i].geometry = NULL; /* parsed: the text is not needed any more */
    }
    e->ix = area_index_build(e->ptrs, e->n);
    if (!e->ix) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        cached_free(e);
        return NULL;
    }
    return e;
}

/* The index of the tenant's kind at the current configuration, with a reference the caller
 * gives back with cached_release. */
static area_cached *cached_get(core *c, int64_t tenant_id, area_kind kind, error *err)
{
    const catalogue *cat = catalogue_acquire(c);
    int64_t version = cat->version;
    catalogue_release(c, cat);
    pthread_mutex_lock(&c->area_lock);
    for (area_cached *e = c->areas; e; e = e->next)
        if (e->tenant_id == tenant_id && e->kind == kind && e->version == version) {
            e->refs++;
            pthread_mutex_unlock(&c->area_lock);
            return e;
        }
    pthread_mutex_unlock(&c->area_lock);
    /* Built outside the lock: lookups of other tenants and kinds go on meanwhile. Two
     * threads may both build it; the last one's stays. */
    area_cached *fresh = cached_build(c, tenant_id, kind, version, err);
    if (!fresh)
        return NULL;
    fresh->refs = 2;
    area_cached *old = NULL;
    pthread_mutex_lock(&c->area_lock);
    for (area_cached **p = &c->areas; *p; p = &(*p)->next)
        if ((*p)->tenant_id == tenant_id && (*p)->kind == kind) {
            old = *p;
            *p = old->next;
            break;
        }
    fresh->next = c->areas;
    c->areas = fresh;
    int free_old = old && --old->refs == 0;
    pthread_mutex_unlock(&c->area_lock);
    if (free_old)
        cached_free(old);
    return fresh;
}

int area_at(core *c, int64_t tenant_id, area_kind kind, double lat, double lon, arena *a,
            area_hit *out, size_t max, size_t *n, error *err)
{
    *n = 0;
    if (kind < 0 || kind >= AREA_KIND_COUNT)
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown area kind");
    if (!geo_valid(lat, lon))
        return error_set(err, ERR_INVALID_ARG, "lat", "position out of range");
    area_cached *e = cached_get(c, tenant_id, kind, err);
    if (!e)
        return -1;
    uint32_t found[16];
    size_t want = max < 16 ? max : 16;
    size_t k = area_index_find(e->ix, lon, lat, found, want);
    int rc = 0;
    for (size_t i = 0; i < k && i < want; i++) {
        const store_area *r = &e->rows[found[i]];
        out[i].id = r->id;
        out[i].department_id = r->department_id;
        out[i].code = arena_strdup(a, r->code);
        out[i].name = arena_strdup(a, r->name);
        if (!out[i].code || !out[i].name) {
            rc = error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
            break;
        }
        (*n)++;
    }
    cached_release(c, e);
    return rc;
}

int area_first(core *c, int64_t tenant_id, area_kind kind, double lat, double lon, int64_t *id,
               int64_t *version, error *err)
{
    *id = 0;
    if (kind < 0 || kind >= AREA_KIND_COUNT)
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown area kind");
    area_cached *e = cached_get(c, tenant_id, kind, err);
    if (!e)
        return -1;
    if (version)
        *version = e->version;
    uint32_t found;
    if (geo_valid(lat, lon) && area_index_find(e->ix, lon, lat, &found, 1) > 0)
        *id = e->rows[found].id;
    cached_release(c, e);
    return 0;
}

int area_list(core *c, int64_t tenant_id, area_kind kind, arena *a, store_area **out, size_t *n,
              error *err)
{
    return c->store->ops->areas.list(
        c->store, tenant_id, kind == AREA_ANY ? NULL : area_kind_name(kind), 0, a, out, n, err);
}

int area_list_outlines(core *c, int64_t tenant_id, arena *a, store_area **out, size_t *n,
                       error *err)
{
    return c->store->ops->areas.list(c->store, tenant_id, NULL, 1, a, out, n, err);
}

/* ---- the collectivité's bounds ---- */

/* Degrees added on every side of the bounds (about 75 to 110 km): an area drawn next to
 * the others (a new quartier, a wider broadcast area) stays well within them, while the
 * usual mistakes — longitude and latitude swapped, another place's file — land far out. */
#define AREA_BOUNDS_MARGIN 1.0

/* The collectivité's bounds, which the model has no field for: the box of its map's centre
 * (branding) and of its areas other than those of kind skip_kind (AREA_ANY: none skipped;
 * the kind an import replaces) and area skip_id, widened by AREA_BOUNDS_MARGIN. *has 0 when
 * there is nothing to draw them from: then nothing is checked. */
static int area_bounds(core *c, int64_t tenant_id, area_kind skip_kind, int64_t skip_id,
                       area_box *out, int *has, error *err)
{
    *has = 0;
    area_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, tenant_id);
    if (t && t->branding.has_map) {
        b = (area_box){t->branding.map_lon, t->branding.map_lat, t->branding.map_lon,
                       t->branding.map_lat};
        *has = 1;
    }
    catalogue_release(c, cat);
    arena a;
    arena_init(&a, 0);
    store_area *rows = NULL;
    size_t n = 0;
    int rc = area_list(c, tenant_id, AREA_ANY, &a, &rows, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (rows[i].id == skip_id ||
            (skip_kind != AREA_ANY && strcmp(rows[i].kind, kind_names[skip_kind]) == 0))
            continue;
        b.min_lon = fmin(b.min_lon, rows[i].min_lon);
        b.min_lat = fmin(b.min_lat, rows[i].min_lat);
        b.max_lon = fmax(b.max_lon, rows[i].max_lon);
        b.max_lat = fmax(b.max_lat, rows[i].max_lat);
        *has = 1;
    }
    arena_free(&a);
    *out = (area_box){b.min_lon - AREA_BOUNDS_MARGIN, b.min_lat - AREA_BOUNDS_MARGIN,
                      b.max_lon + AREA_BOUNDS_MARGIN, b.max_lat + AREA_BOUNDS_MARGIN};
    return rc;
}

/* 0 when g meets bounds; -1 with *why filled when it lies wholly outside them. */
static int area_within(const area_geom *g, const area_box *bounds, area_why *why)
{
    if (g->box.max_lon >= bounds->min_lon && g->box.min_lon <= bounds->max_lon &&
        g->box.max_lat >= bounds->min_lat && g->box.min_lat <= bounds->max_lat)
        return 0;
    memset(why, 0, sizeof *why);
    why->key = "outside";
    why->box = *bounds;
    snprintf(why->text, sizeof why->text,
             "the geometry lies wholly outside the collectivité's bounds (longitude %.4f to "
             "%.4f, latitude %.4f to %.4f): are its positions longitude first, then latitude?",
             bounds->min_lon, bounds->max_lon, bounds->min_lat, bounds->max_lat);
    return -1;
}

/* ---- import ---- */

typedef struct import_job {
    int64_t tenant_id;
    area_kind kind;
    const area_feature *f;
    const int64_t *department_ids;
    size_t n;
    const char *keep; /* the file's codes, a JSON array */
    int64_t replaced;
    arena *a;               /* the caller's: losing's strings */
    store_area_use *losing; /* broadcasts that would lose a target: nothing written */
    size_t n_losing;
} import_job;

/* Areas whose code the file keeps keep their ids, so that a broadcast being sent to one
 * still reaches it; one that targets an area the file drops refuses the import (checked in
 * the job: a broadcast created meanwhile is seen). */
static int apply_import(store *s, void *arg, error *err)
{
    import_job *j = arg;
    const char *kind = kind_names[j->kind];
    if (s->ops->areas.tx_drafts_losing(s, j->tenant_id, kind, j->keep, j->a, &j->losing,
                                       &j->n_losing, err) != 0)
        return -1;
    if (j->n_losing > 0)
        return error_set(err, ERR_CONFLICT, "broadcasts",
                         "%zu broadcast(s) being sent target areas the file drops", j->n_losing);
    if (s->ops->areas.tx_delete_kind(s, j->tenant_id, kind, j->keep, &j->replaced, err) != 0)
        return -1;
    for (size_t i = 0; i < j->n; i++) {
        const area_geom *g = &j->f[i].geom;
        char *text = area_geom_write(g);
        if (!text)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        store_area ar = {.tenant_id = j->tenant_id,
                         .kind = kind,
                         .code = j->f[i].code,
                         .name = j->f[i].name,
                         .department_id = j->department_ids[i],
                         .position = (int64_t)i,
                         .min_lat = g->box.min_lat,
                         .min_lon = g->box.min_lon,
                         .max_lat = g->box.max_lat,
                         .max_lon = g->box.max_lon,
                         .vertices = (int64_t)g->n_pts,
                         .geometry = text};
        int rc = s->ops->areas.tx_put(s, &ar, err);
        free(text);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* What the reader's callbacks of an import share: the caller's problem callback, and the
 * tenant's departments while the kind is department. */
typedef struct import_check {
    area_problem_fn problem;
    void *ctx;
    const cat_tenant *tenant; /* NULL: codes are free (quartiers, broadcast areas) */
} import_check;

static void pass_problem(void *ctx, long feature, const char *code, const char *what)
{
    import_check *k = ctx;
    if (k->problem)
        k->problem(k->ctx, feature, code, what);
}

static const char *check_department(void *ctx, const char *code)
{
    import_check *k = ctx;
    if (!k->tenant || catalogue_department(k->tenant, code))
        return NULL;
    return "no department of the collectivité has this code";
}

int area_import(core *c, int64_t tenant_id, area_kind kind, const char *text, size_t len,
                area_problem_fn problem, void *ctx, area_import_result *out, long *problems,
                error *err)
{
    memset(out, 0, sizeof *out);
    *problems = 0;
    if (kind < 0 || kind >= AREA_KIND_COUNT)
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown area kind");
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, tenant_id);
    if (!t) {
        catalogue_release(c, cat);
        return error_set(err, ERR_NOT_FOUND, "tenant", "no such collectivité");
    }
    import_check k = {problem, ctx, kind == AREA_DEPARTMENT ? t : NULL};
    area_feature *f = NULL;
    size_t n = 0;
    int64_t *dept = NULL;
    int rc = area_features_read(text, len, check_department, pass_problem, &k, &f, &n, problems);
    if (rc == 0 && *problems == 0) {
        dept = calloc(n, sizeof *dept);
        for (size_t i = 0; dept && kind == AREA_DEPARTMENT && i < n; i++)
            dept[i] = catalogue_department(t, f[i].code)->rec.id;
        rc = dept ? 0 : -1;
    }
    catalogue_release(c, cat);
    if (rc != 0) {
        area_features_free(f, n);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    area_box bounds;
    int has_bounds = 0;
    if (*problems == 0 && area_bounds(c, tenant_id, kind, 0, &bounds, &has_bounds, err) != 0) {
        free(dept);
        area_features_free(f, n);
        return -1;
    }
    for (size_t i = 0; has_bounds && i < n; i++) {
        area_why why;
        if (area_within(&f[i].geom, &bounds, &why) != 0 && (*problems)++ < AREA_PROBLEMS_MAX)
            pass_problem(&k, (long)i, f[i].code, why.text);
    }
    json_t *codes = json_array();
    for (size_t i = 0; codes && i < n; i++)
        json_array_append_new(codes, json_string(f[i].code));
    char *keep = codes ? json_dumps(codes, JSON_COMPACT) : NULL;
    json_decref(codes);
    if (!keep) {
        free(dept);
        area_features_free(f, n);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    if (*problems == 0) {
        arena a;
        arena_init(&a, 0);
        import_job j = {tenant_id, kind, f, dept, n, keep, 0, &a, NULL, 0};
        rc = store_write_sync(c->store, apply_import, &j, err);
        if (rc != 0 && j.n_losing > 0) {
            /* Refused, not failed: each broadcast and the area it would lose, said as the
             * file's problems are. */
            for (size_t i = 0; i < j.n_losing; i++) {
                char what[300];
                snprintf(what, sizeof what,
                         "broadcast %lld («%s»), not yet sent to all its recipients, targets "
                         "area %s, which the file no longer has: keep the area's code, or "
                         "import once the broadcast is sent",
                         (long long)j.losing[i].broadcast_id, j.losing[i].subject,
                         j.losing[i].area_code);
                if ((*problems)++ < AREA_PROBLEMS_MAX)
                    pass_problem(&k, -1, NULL, what);
            }
            rc = 0;
        }
        arena_free(&a);
        if (rc == 0 && *problems == 0) {
            out->imported = n;
            out->replaced = j.replaced;
            for (size_t i = 0; i < n; i++)
                out->vertices += f[i].geom.n_pts;
            /* This process's lookups see the new areas at once, not after the poll. */
            error rerr;
            error_clear(&rerr);
            if (catalogue_reload(c, &rerr) != 0)
                log_warn("area import: catalogue reload failed: %s", rerr.detail);
        }
    }
    free(keep);
    free(dept);
    area_features_free(f, n);
    return rc;
}

/* ---- one area at a time (the back office) ---- */

/* The job's copy of an edit: the geometry already checked and written (text in the caller's
 * arena), the department an area of kind department names. */
typedef struct save_arg {
    store_area rec;
} save_arg;

static int apply_save(store *s, void *arg, int64_t *id, error *err)
{
    save_arg *sa = arg;
    if (!sa->rec.id)
        return s->ops->areas.tx_append(s, &sa->rec, id, err);
    *id = sa->rec.id;
    return s->ops->areas.tx_update(s, &sa->rec, err);
}

static const change_def area_save_change = {"admin", "area", apply_save, 1};

int area_save_as(core *c, const core_actor *who, const area_edit *e, arena *a, int64_t *id_out,
                 core_done_fn cb, void *ctx, error *err)
{
    char why[200];
    if (!e->id && (e->kind < 0 || e->kind >= AREA_KIND_COUNT))
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown area kind");
    if (!e->id && area_label_check(e->code, 1, why, sizeof why) != 0)
        return error_set(err, ERR_INVALID_ARG, "code", "%s", why);
    if (area_label_check(e->name, 0, why, sizeof why) != 0)
        return error_set(err, ERR_INVALID_ARG, "name", "%s", why);
    if (!e->id && !e->geojson)
        return error_set(err, ERR_INVALID_ARG, "geojson", "a new area needs its geometry");
    save_arg sa = {.rec = {.id = e->id,
                           .tenant_id = e->tenant_id,
                           .kind = e->id ? NULL : kind_names[e->kind],
                           .code = e->id ? NULL : e->code,
                           .name = e->name}};
    if (!e->id && e->kind == AREA_DEPARTMENT) {
        const catalogue *cat = catalogue_acquire(c);
        const cat_tenant *t = catalogue_tenant_by_id(cat, e->tenant_id);
        const cat_department *d = t ? catalogue_department(t, e->code) : NULL;
        sa.rec.department_id = d ? d->rec.id : 0;
        catalogue_release(c, cat);
        if (!sa.rec.department_id)
            return error_set(err, ERR_INVALID_ARG, "code",
                             "no department of the collectivité has this code");
    }
    if (e->geojson) {
        area_geom g;
        area_why gw, *w = e->why ? e->why : &gw;
        int rc = area_geojson_one(e->geojson, e->len, &g, w);
        if (rc == -2)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        if (rc != 0)
            return error_set(err, ERR_INVALID_ARG, "geojson", "%s", w->text);
        area_box bounds;
        int has_bounds = 0;
        if (area_bounds(c, e->tenant_id, AREA_ANY, e->id, &bounds, &has_bounds, err) != 0) {
            area_geom_free(&g);
            return -1;
        }
        if (has_bounds && area_within(&g, &bounds, w) != 0) {
            area_geom_free(&g);
            return error_set(err, ERR_INVALID_ARG, "geojson", "%s", w->text);
        }
        char *text = area_geom_write(&g);
        sa.rec.geometry = text ? arena_strdup(a, text) : NULL;
        free(text);
        sa.rec.min_lat = g.box.min_lat;
        sa.rec.min_lon = g.box.min_lon;
        sa.rec.max_lat = g.box.max_lat;
        sa.rec.max_lon = g.box.max_lon;
        sa.rec.vertices = (int64_t)g.n_pts;
        area_geom_free(&g);
        if (!sa.rec.geometry)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return change_run(c, who, e->tenant_id, &area_save_change, &sa, sizeof sa, id_out, cb, ctx,
                      err);
}

typedef struct delete_arg {
    int64_t tenant_id, id;
} delete_arg;

static int apply_delete(store *s, void *arg, int64_t *id, error *err)
{
    delete_arg *da = arg;
    arena a;
    arena_init(&a, 4096);
    store_area ar;
    int found = 0, rc = -1;
    int64_t rules = 0, broadcasts = 0;
    /* Checked in the job: a rule or a broadcast created meanwhile is seen. */
    if (s->ops->areas.tx_get(s, da->tenant_id, da->id, &a, &ar, &found, err) != 0)
        goto done;
    if (!found) {
        error_set(err, ERR_NOT_FOUND, "area", "no such area");
        goto done;
    }
    if (s->ops->areas.tx_usage(s, da->tenant_id, da->id, ar.code, &rules, &broadcasts, err) != 0)
        goto done;
    if (rules > 0)
        error_set(err, ERR_CONFLICT, "rules", "%lld routing rule(s) use the area",
                  (long long)rules);
    else if (broadcasts > 0)
        error_set(err, ERR_CONFLICT, "broadcasts", "%lld broadcast(s) being sent target the area",
                  (long long)broadcasts);
    else if (s->ops->areas.tx_delete(s, da->tenant_id, da->id, err) == 0) {
        *id = da->id;
        rc = 0;
    }
done:
    arena_free(&a);
    return rc;
}

static const change_def area_delete_change = {"delete", "area", apply_delete, 1};

int area_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                   void *ctx, error *err)
{
    delete_arg da = {tenant_id, id};
    return change_run(c, who, tenant_id, &area_delete_change, &da, sizeof da, NULL, cb, ctx, err);
}

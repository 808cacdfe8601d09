/*
 * bo_admin_zones — the collectivité's areas under /agent/admin/zones, for admins: the list
 * (kind, code, name, vertices, the routing rules that name each), a form that creates one
 * from pasted GeoJSON or, from ?modifier=<id>, renames or redraws it, and its deletion,
 * refused while a routing rule or a broadcast being sent uses it. The checks and the writes
 * are core's (area_save_as, area_delete_as: the import's geometry rules, audited); the page
 * waits for them with its connection suspended, and words a refused drawing from core's
 * reason (area_why) in the page's language. Managers, who target areas in broadcasts, see
 * the list and the map without the forms.
 */
#include <stdlib.h>
#include <string.h>

#include "core/area.h"
#include "core/perm.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/zones"
/* The map shows the areas' outlines up to this many vertices in all: beyond, the page
 * would weigh megabytes, and the table still lists them. */
#define OUTLINES_VERTICES_MAX 20000

/* The routing rules of t that name the department area `code`. */
static int64_t rules_naming(const cat_tenant *t, const store_area *ar)
{
    int64_t n = 0;
    for (size_t i = 0; strcmp(ar->kind, "department") == 0 && i < t->n_routing_rules; i++) {
        const store_routing_rule *r = &t->routing_rules[i];
        n += r->area_code && strcmp(r->area_mode, "named") == 0 &&
             strcmp(r->area_code, ar->code) == 0;
    }
    return n;
}

/* The outlines for the map, as one GeoJSON FeatureCollection text (the map's data attribute;
 * the area being edited flagged), or NULL when they are too many or unreadable. */
static const char *outlines_json(http_req *rq, const store_area *rows, size_t n, int64_t editing)
{
    int64_t vertices = 0;
    for (size_t i = 0; i < n; i++)
        vertices += rows[i].vertices;
    if (n == 0 || vertices > OUTLINES_VERTICES_MAX)
        return NULL;
    json_t *features = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *geo = rows[i].geometry ? json_loads(rows[i].geometry, 0, NULL) : NULL;
        if (!geo)
            continue;
        json_t *props = json_object();
        present_set_str(props, "name", rows[i].name);
        if (rows[i].id == editing)
            json_object_set_new(props, "editing", json_true());
        json_array_append_new(features, json_pack("{s:s, s:o, s:o}", "type", "Feature",
                                                  "properties", props, "geometry", geo));
    }
    json_t *fc = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
    char *text = fc ? json_dumps(fc, JSON_COMPACT) : NULL;
    const char *out = text ? arena_strdup(rq->arena, text) : NULL;
    free(text);
    json_decref(fc);
    return out;
}

static json_t *zones_json(bo_page *p, int64_t editing, store_area *found)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    store_area *rows = NULL;
    size_t n = 0;
    error err = {0};
    json_t *list = json_array();
    if (area_list_outlines(rq->core, t->rec.id, rq->arena, &rows, &n, &err) != 0)
        return list;
    const char *outlines = outlines_json(rq, rows, n, editing);
    if (outlines)
        bo_page_set(p, "outlines", json_string(outlines));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(rows[i].id));
        present_set_str(o, "code", rows[i].code);
        present_set_str(o, "name", rows[i].name);
        present_set_str(
            o, "kind",
            bo_page_str(p, arena_printf(rq->arena, "admin.zones.kind_%s", rows[i].kind)));
        json_object_set_new(o, "vertices", json_integer(rows[i].vertices));
        json_object_set_new(o, "rules", json_integer(rules_naming(t, &rows[i])));
        json_array_append_new(list, o);
        if (editing && rows[i].id == editing && found)
            *found = rows[i];
    }
    return list;
}

/* The kinds a new area may have, the one typed selected (quartier by default). */
static json_t *kinds_json(bo_page *p)
{
    const char *typed = json_string_value(json_object_get(p->values, "kind"));
    json_t *list = json_array();
    for (int k = 0; k < AREA_KIND_COUNT; k++) {
        const char *name = area_kind_name((area_kind)k);
        json_t *o = json_object();
        present_set_str(o, "value", name);
        present_set_str(o, "label",
                        bo_page_str(p, arena_printf(p->rq->arena, "admin.zones.kind_%s", name)));
        if (typed ? strcmp(typed, name) == 0 : k == AREA_QUARTIER)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

static void zones_render(bo_page *p, int status, int64_t editing)
{
    store_area ar = {0};
    bo_page_set(p, "zones", zones_json(p, editing, &ar));
    bo_page_set(p, "kinds", kinds_json(p));
    /* Leaflet and the drawing script (static/js/zones.js): an enhancement of the field. */
    bo_page_set(p, "use_map", json_true());
    bo_page_set(p, "page_script", json_string("zones.js"));
    if (ar.id) {
        bo_page_set(p, "editing", json_true());
        bo_page_value(p, "id", arena_printf(p->rq->arena, "%lld", (long long)ar.id));
        bo_page_value(p, "code", ar.code);
        if (!json_object_get(p->values, "name"))
            bo_page_value(p, "name", ar.name);
    }
    bo_page_render(p, status, "agent/admin/zones", bo_page_str(p, "admin.zones.title"));
}

static void zones_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (!bo_agent(rq, &a))
        return;
    if (!perm_can_admin(&a)) {
        /* Read only: the areas a broadcast may target, without the administration's tabs. */
        if (!perm_can_broadcast(&a)) {
            bo_forbidden(rq);
            return;
        }
        if (bo_page_start(&p, rq, &a) != 0)
            return;
        bo_page_set(&p, "read_only", json_true());
        zones_render(&p, 200, 0);
        return;
    }
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const char *id = form_get(&rq->query, "modifier");
    zones_render(&p, 200, id ? bo_admin_id(id) : 0);
}

/* A refused drawing in the page's language: core's reason (its key under
 * admin.zones.refused, the blanks filled), after where in the drawing it is. */
static const char *why_text(bo_page *p, const area_why *w)
{
    arena *a = p->rq->arena;
    static const char *const where_names[] = {"poly", "ring"};
    const char *where_values[] = {arena_printf(a, "%zu", w->poly), arena_printf(a, "%zu", w->ring)};
    const char *where =
        w->ring == 0 ? ""
                     : present_subst(a,
                                     bo_page_str(p, w->poly ? "admin.zones.refused.where_poly"
                                                            : "admin.zones.refused.where_ring"),
                                     where_names, where_values, 2);
    static const char *const names[] = {"where",   "position", "lon",    "lat",
                                        "n",       "line",     "column", "min_lon",
                                        "max_lon", "min_lat",  "max_lat"};
    const char *values[] = {where,
                            arena_printf(a, "%zu", w->position),
                            arena_printf(a, "%.7g", w->lon),
                            arena_printf(a, "%.7g", w->lat),
                            arena_printf(a, "%ld", w->n),
                            arena_printf(a, "%d", w->line),
                            arena_printf(a, "%d", w->column),
                            arena_printf(a, "%.2f", w->box.min_lon),
                            arena_printf(a, "%.2f", w->box.max_lon),
                            arena_printf(a, "%.2f", w->box.min_lat),
                            arena_printf(a, "%.2f", w->box.max_lat)};
    const char *key = arena_printf(a, "admin.zones.refused.%s", w->key);
    return present_subst(a, bo_page_str(p, key), names, values, sizeof names / sizeof names[0]);
}

static int zone_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const form *f = &st->f;
    const char *id = bo_admin_field(f, "id");
    const char *geojson = bo_admin_field(f, "geojson");
    size_t len = strlen(geojson);
    /* A file sent takes the place of the field (the same reader checks both). */
    for (size_t i = 0; i < st->n_files; i++) {
        const http_file *file = &st->files[i];
        if (strcmp(file->field, "fichier") != 0)
            continue;
        if (file->refused != HTTP_FILE_KEPT)
            return error_set(e, ERR_INVALID_ARG, "geojson", "the file is over %s",
                             web_upload_limits_of(rq).size_words);
        geojson = file->data;
        len = file->len;
    }
    area_edit ed = {.tenant_id = bo_admin_tenant(rq),
                    .why = st->page,
                    .id = *id ? bo_admin_id(id) : 0,
                    .code = bo_admin_field(f, "code"),
                    .name = bo_admin_field(f, "name"),
                    /* Editing, nothing sent keeps the drawing: a rename. */
                    .geojson = len || !*id ? geojson : NULL,
                    .len = len};
    if (*id && !ed.id)
        return error_set(e, ERR_NOT_FOUND, "id", "not an area's id");
    if (!ed.id && area_kind_parse(bo_admin_field(f, "kind"), &ed.kind) != 0)
        return error_set(e, ERR_INVALID_ARG, "kind", "unknown area kind");
    if (!ed.id && !len)
        return error_set(e, ERR_INVALID_ARG, "geojson", "missing");
    return area_save_as(rq->core, &st->who, &ed, rq->arena, &st->id, http_wait_done, w, e);
}

/* Invalid input, or a code the kind has already. */
static int zone_refused(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT;
}

/* The form again, the error beside its field, and what was typed. */
static void zone_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    http_req *rq = p->rq;
    const error *e = &w->err;
    static const char *const known[] = {"kind", "code", "name", "geojson", NULL};
    const char *fld = e->code == ERR_CONFLICT ? "code" : bo_admin_error_field(e, known, "geojson");
    const char *key = e->code == ERR_CONFLICT
                          ? "admin.zones.error_taken"
                          : arena_printf(rq->arena, "admin.zones.error_%s", fld);
    const area_why *why = st->page;
    /* The geometry's fault is said precisely: which polygon, which ring, what. */
    if (strcmp(fld, "geojson") == 0 && why->key)
        bo_page_error(p, fld,
                      arena_printf(rq->arena, "%s %s", bo_page_str(p, key), why_text(p, why)));
    else
        bo_page_error_key(p, fld, key);
    for (size_t i = 0; known[i]; i++)
        bo_page_value(p, known[i], bo_admin_field(&st->f, known[i]));
    const char *id = bo_admin_field(&st->f, "id");
    zones_render(p, 400, *id ? bo_admin_id(id) : 0);
}

static const bo_admin_cycle zone_cycle = {.tab = TAB,
                                          .done = "zone_saved",
                                          .takes_files = 1,
                                          .page_size = sizeof(area_why),
                                          .apply = zone_apply,
                                          .refused = zone_refused,
                                          .render = zone_render};

static void zone_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &zone_cycle);
}

static int zone_delete(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return area_delete_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), st->id, http_wait_done, w,
                          e);
}

/* Used by a routing rule or a broadcast being sent. */
static int delete_refused(const error *e)
{
    return e->code == ERR_CONFLICT;
}

static void delete_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    (void)st;
    const char *key = strcmp(w->err.arg, "rules") == 0 ? "admin.zones.error_used_rules"
                                                       : "admin.zones.error_used_broadcasts";
    bo_page_error_key(p, "liste", key);
    zones_render(p, 409, 0);
}

static const bo_admin_cycle delete_cycle = {.tab = TAB,
                                            .done = "zone_deleted",
                                            .takes_id = 1,
                                            .apply = zone_delete,
                                            .refused = delete_refused,
                                            .render = delete_render};

static void zone_delete_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &delete_cycle);
}

const http_route bo_admin_zone_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, zones_get},
    {HTTP_POST | HTTP_ROUTE_FILES, TAB, zone_post},
    {HTTP_POST, TAB "/{}/supprimer", zone_delete_post},
    {0, NULL, NULL},
};

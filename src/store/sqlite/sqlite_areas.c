/*
 * sqlite_areas — the collectivités' areas (table areas): the list core builds its index
 * from, and the writes of an import that replaces a kind (the areas whose codes the file no
 * longer has deleted, then each area written, keeping the id of one whose code stays, in the
 * one job of the import).
 */
#include "store/sqlite/sq.h"

#include <string.h>

#define SQ_AREA_COLUMNS                                                                            \
    "id, tenant_id, kind, code, name, department_id, position, min_lat, min_lon, max_lat, "        \
    "max_lon, vertices"

static int read_area(sqlite3_stmt *st, arena *a, void *p)
{
    store_area *ar = p;
    int oom = 0;
    ar->id = sqlite3_column_int64(st, 0);
    ar->tenant_id = sqlite3_column_int64(st, 1);
    ar->kind = store_sqlite_col_text(st, 2, a, &oom);
    ar->code = store_sqlite_col_text(st, 3, a, &oom);
    ar->name = store_sqlite_col_text(st, 4, a, &oom);
    ar->department_id = sqlite3_column_int64(st, 5);
    ar->position = sqlite3_column_int64(st, 6);
    ar->min_lat = sqlite3_column_double(st, 7);
    ar->min_lon = sqlite3_column_double(st, 8);
    ar->max_lat = sqlite3_column_double(st, 9);
    ar->max_lon = sqlite3_column_double(st, 10);
    ar->vertices = sqlite3_column_int64(st, 11);
    if (sqlite3_column_count(st) > 12)
        ar->geometry = store_sqlite_col_text(st, 12, a, &oom);
    return oom ? -1 : 0;
}

/* ?2 NULL: every kind. */
static sq_stmt sq_area_list = SQ_STMT("SELECT " SQ_AREA_COLUMNS " FROM areas WHERE tenant_id = ?1 "
                                      "AND (?2 IS NULL OR kind = ?2) ORDER BY kind, position");
static sq_stmt sq_area_list_geometry =
    SQ_STMT("SELECT " SQ_AREA_COLUMNS ", geometry FROM areas WHERE tenant_id = ?1 "
            "AND (?2 IS NULL OR kind = ?2) ORDER BY kind, position");

static int store_sqlite_area_list(store *s, int64_t tenant_id, const char *kind, int with_geometry,
                                  arena *a, store_area **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, with_geometry ? &sq_area_list_geometry : &sq_area_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, kind);
    return store_sqlite_read_all(c, st, read_area, a, sizeof **out, (void **)out, n, "area_list",
                                 err);
}

/* ?3: the codes kept, a JSON array. */
static sq_stmt sq_area_delete_kind =
    SQ_STMT("DELETE FROM areas WHERE tenant_id = ?1 AND kind = ?2 AND code NOT IN (SELECT value "
            "FROM json_each(?3))");

static int store_sqlite_tx_area_delete_kind(store *s, int64_t tenant_id, const char *kind,
                                            const char *keep, int64_t *deleted, error *err)
{
    *deleted = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_delete_kind, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, kind);
    store_sqlite_bind_text(st, 3, keep ? keep : "[]");
    if (store_sqlite_run_write(c, st, NULL, "area_delete_kind", err) != 0)
        return -1;
    *deleted = sqlite3_changes(c->db);
    return 0;
}

/* Binds what an area row holds, ?1 to ?11, for the statements that write one whole. */
static int bind_area(sqlite3_stmt *st, const store_area *ar, error *err)
{
    if (!ar->kind || !ar->code || !ar->name || !ar->geometry)
        return error_set(err, ERR_MISSING_ARG, "area",
                         "an area needs its kind, code, name and geometry");
    sqlite3_bind_int64(st, 1, ar->tenant_id);
    store_sqlite_bind_text(st, 2, ar->kind);
    store_sqlite_bind_text(st, 3, ar->code);
    store_sqlite_bind_text(st, 4, ar->name);
    store_sqlite_bind_id(st, 5, ar->department_id);
    sqlite3_bind_double(st, 6, ar->min_lat);
    sqlite3_bind_double(st, 7, ar->min_lon);
    sqlite3_bind_double(st, 8, ar->max_lat);
    sqlite3_bind_double(st, 9, ar->max_lon);
    sqlite3_bind_int64(st, 10, ar->vertices);
    store_sqlite_bind_text(st, 11, ar->geometry);
    return 0;
}

/* The area of the kind with the same code keeps its id (a broadcast or a link names it). */
static sq_stmt sq_area_put =
    SQ_STMT("INSERT INTO areas (tenant_id, kind, code, name, department_id, min_lat, min_lon, "
            "max_lat, max_lon, vertices, geometry, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, ?9, ?10, ?11, ?12) ON CONFLICT (tenant_id, kind, code) DO UPDATE SET name = "
            "excluded.name, department_id = excluded.department_id, min_lat = excluded.min_lat, "
            "min_lon = excluded.min_lon, max_lat = excluded.max_lat, max_lon = excluded.max_lon, "
            "vertices = excluded.vertices, geometry = excluded.geometry, position = "
            "excluded.position");

static int store_sqlite_tx_area_put(store *s, const store_area *ar, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_put, err);
    if (!st || bind_area(st, ar, err) != 0)
        return -1;
    sqlite3_bind_int64(st, 12, ar->position);
    return store_sqlite_run_write(c, st, NULL, "area_put", err);
}

static sq_stmt sq_area_get =
    SQ_STMT("SELECT " SQ_AREA_COLUMNS " FROM areas WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_area_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                    store_area *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_area, a, out, found, "area_get", err);
}

/* The new area goes after the last of its kind: routing tries areas in position order, and
 * one drawn later than an import is the least specific guess. */
static sq_stmt sq_area_append =
    SQ_STMT("INSERT INTO areas (tenant_id, kind, code, name, department_id, min_lat, min_lon, "
            "max_lat, max_lon, vertices, geometry, position) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, ?9, ?10, ?11, coalesce(max(position) + 1, 0) FROM areas WHERE tenant_id = ?1 "
            "AND kind = ?2 RETURNING id");

static int store_sqlite_tx_area_append(store *s, const store_area *ar, int64_t *id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_append, err);
    if (!st || bind_area(st, ar, err) != 0)
        return -1;
    return store_sqlite_run_write(c, st, id, "area_append", err);
}

/* ?9 NULL: a rename, the geometry and its box stay. */
static sq_stmt sq_area_update = SQ_STMT(
    "UPDATE areas SET name = ?3, min_lat = iif(?9 IS NULL, min_lat, ?4), min_lon = iif(?9 IS "
    "NULL, min_lon, ?5), max_lat = iif(?9 IS NULL, max_lat, ?6), max_lon = iif(?9 IS NULL, "
    "max_lon, ?7), vertices = iif(?9 IS NULL, vertices, ?8), geometry = coalesce(?9, geometry) "
    "WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_area_update(store *s, const store_area *ar, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!ar->name)
        return error_set(err, ERR_MISSING_ARG, "name", "an area needs its name");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ar->tenant_id);
    sqlite3_bind_int64(st, 2, ar->id);
    store_sqlite_bind_text(st, 3, ar->name);
    sqlite3_bind_double(st, 4, ar->min_lat);
    sqlite3_bind_double(st, 5, ar->min_lon);
    sqlite3_bind_double(st, 6, ar->max_lat);
    sqlite3_bind_double(st, 7, ar->max_lon);
    sqlite3_bind_int64(st, 8, ar->vertices);
    store_sqlite_bind_text(st, 9, ar->geometry);
    return store_sqlite_run_update(c, st, "area_update", "area", err);
}

static sq_stmt sq_area_delete = SQ_STMT("DELETE FROM areas WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_area_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "area_delete", "area", err);
}

/* Routing rules name a department area by its code; broadcasts hold area ids in a JSON
 * array, read only until their recipients are all queued (queued_at set). */
static sq_stmt sq_area_rules = SQ_STMT("SELECT count(*) FROM routing_rules WHERE tenant_id = ?1 "
                                       "AND area_mode = 'named' AND area_code = ?2");
static sq_stmt sq_area_broadcasts =
    SQ_STMT("SELECT count(*) FROM broadcasts b WHERE b.tenant_id = ?1 AND b.queued_at IS NULL "
            "AND EXISTS (SELECT 1 FROM json_each(b.areas) WHERE json_each.value = ?2)");

static int store_sqlite_tx_area_usage(store *s, int64_t tenant_id, int64_t id, const char *code,
                                      int64_t *rules, int64_t *broadcasts, error *err)
{
    *rules = *broadcasts = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    int found = 0;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_rules, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, code);
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, rules, &found, "area_rules",
                              err) != 0)
        return -1;
    if (!(st = store_sqlite_stmt(c, &sq_area_broadcasts, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, broadcasts, &found,
                                 "area_broadcasts", err);
}

/* The broadcasts not all queued yet (queued_at NULL) that target an area of the kind whose
 * code is not in ?3 (a JSON array): what deleting the others would leave without them. */
static sq_stmt sq_area_drafts_losing =
    SQ_STMT("SELECT b.id, b.subject, a.code FROM broadcasts b JOIN json_each(b.areas) j JOIN "
            "areas a ON a.id = j.value WHERE b.tenant_id = ?1 AND b.queued_at IS NULL AND "
            "a.tenant_id = ?1 AND a.kind = ?2 AND a.code NOT IN (SELECT value FROM "
            "json_each(?3)) ORDER BY b.id, a.code");

static int read_area_use(sqlite3_stmt *st, arena *a, void *p)
{
    store_area_use *u = p;
    int oom = 0;
    u->broadcast_id = sqlite3_column_int64(st, 0);
    u->subject = store_sqlite_col_text(st, 1, a, &oom);
    u->area_code = store_sqlite_col_text(st, 2, a, &oom);
    return oom ? -1 : 0;
}

static int store_sqlite_tx_area_drafts_losing(store *s, int64_t tenant_id, const char *kind,
                                              const char *keep, arena *a, store_area_use **out,
                                              size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_drafts_losing, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, kind);
    store_sqlite_bind_text(st, 3, keep ? keep : "[]");
    return store_sqlite_read_all(c, st, read_area_use, a, sizeof **out, (void **)out, n,
                                 "area_drafts_losing", err);
}

const store_areas_ops store_sqlite_areas_ops = {
    .list = store_sqlite_area_list,
    .tx_delete_kind = store_sqlite_tx_area_delete_kind,
    .tx_put = store_sqlite_tx_area_put,
    .tx_drafts_losing = store_sqlite_tx_area_drafts_losing,
    .tx_get = store_sqlite_tx_area_get,
    .tx_append = store_sqlite_tx_area_append,
    .tx_update = store_sqlite_tx_area_update,
    .tx_delete = store_sqlite_tx_area_delete,
    .tx_usage = store_sqlite_tx_area_usage,
};

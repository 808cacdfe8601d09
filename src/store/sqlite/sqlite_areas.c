/*
 * sqlite_areas — the collectivités' areas (table areas): the list core builds its index
 * from, and the writes of an import that replaces a kind (delete, then insert each area,
 * in the one job of the import).
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

static sq_stmt sq_area_delete_kind =
    SQ_STMT("DELETE FROM areas WHERE tenant_id = ?1 AND kind = ?2");

static int store_sqlite_tx_area_delete_kind(store *s, int64_t tenant_id, const char *kind,
                                            int64_t *deleted, error *err)
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
    if (store_sqlite_run_write(c, st, NULL, "area_delete_kind", err) != 0)
        return -1;
    *deleted = sqlite3_changes(c->db);
    return 0;
}

static sq_stmt sq_area_insert =
    SQ_STMT("INSERT INTO areas (tenant_id, kind, code, name, department_id, position, min_lat, "
            "min_lon, max_lat, max_lon, vertices, geometry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, ?9, ?10, ?11, ?12)");

static int store_sqlite_tx_area_insert(store *s, const store_area *ar, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!ar->kind || !ar->code || !ar->name || !ar->geometry)
        return error_set(err, ERR_MISSING_ARG, "area",
                         "an area needs its kind, code, name and geometry");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_area_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ar->tenant_id);
    store_sqlite_bind_text(st, 2, ar->kind);
    store_sqlite_bind_text(st, 3, ar->code);
    store_sqlite_bind_text(st, 4, ar->name);
    store_sqlite_bind_id(st, 5, ar->department_id);
    sqlite3_bind_int64(st, 6, ar->position);
    sqlite3_bind_double(st, 7, ar->min_lat);
    sqlite3_bind_double(st, 8, ar->min_lon);
    sqlite3_bind_double(st, 9, ar->max_lat);
    sqlite3_bind_double(st, 10, ar->max_lon);
    sqlite3_bind_int64(st, 11, ar->vertices);
    store_sqlite_bind_text(st, 12, ar->geometry);
    return store_sqlite_run_write(c, st, NULL, "area_insert", err);
}

const store_areas_ops store_sqlite_areas_ops = {
    .list = store_sqlite_area_list,
    .tx_delete_kind = store_sqlite_tx_area_delete_kind,
    .tx_insert = store_sqlite_tx_area_insert,
};

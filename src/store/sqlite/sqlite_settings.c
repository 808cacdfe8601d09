/*
 * sqlite_settings — instance settings (settings: name, value).
 */
#include "store/sqlite/sq.h"

static sq_stmt sq_setting_get = SQ_STMT("SELECT value FROM settings WHERE name = ?1");

static int store_sqlite_setting_get(store *s, const char *name, arena *a, const char **value,
                                    error *err)
{
    *value = NULL;
    if (!name)
        return error_set(err, ERR_MISSING_ARG, "name", "setting name is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_setting_get, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return store_sqlite_read_text(c, st, a, value, "setting_get", err);
}

static sq_stmt sq_setting_set = SQ_STMT("INSERT INTO settings (name, value) VALUES (?1, ?2) "
                                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value");

static int store_sqlite_tx_setting_set(store *s, const char *name, const char *value, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!name)
        return error_set(err, ERR_MISSING_ARG, "name", "setting name is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_setting_set, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    store_sqlite_bind_text(st, 2, value);
    return store_sqlite_run_write(c, st, NULL, "setting_set", err);
}

static sq_stmt sq_setting_delete = SQ_STMT("DELETE FROM settings WHERE name = ?1");

static int store_sqlite_tx_setting_delete(store *s, const char *name, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_setting_delete, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    return store_sqlite_run_write(c, st, NULL, "setting_delete", err);
}

const store_settings_ops store_sqlite_settings_ops = {
    .get = store_sqlite_setting_get,
    .tx_set = store_sqlite_tx_setting_set,
    .tx_delete = store_sqlite_tx_setting_delete,
};

/*
 * sqlite_settings — instance settings (settings: name, value), and each collectivité's
 * costs of a request per channel (channel_costs).
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

static sq_stmt sq_channel_costs =
    SQ_STMT("SELECT channel, cents FROM channel_costs WHERE tenant_id = ?1");

static int read_channel_cost(sqlite3_stmt *st, arena *a, void *out)
{
    store_channel_cost *cc = out;
    int oom = 0;
    cc->channel = store_sqlite_col_text(st, 0, a, &oom);
    cc->cents = sqlite3_column_int64(st, 1);
    return oom ? -1 : 0;
}

static int store_sqlite_channel_costs(store *s, int64_t tenant_id, arena *a,
                                      store_channel_cost **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_channel_costs, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, read_channel_cost, a, sizeof **out, (void **)out, n,
                                 "channel_costs", err);
}

static sq_stmt sq_channel_costs_clear = SQ_STMT("DELETE FROM channel_costs WHERE tenant_id = ?1");
static sq_stmt sq_channel_cost_insert =
    SQ_STMT("INSERT INTO channel_costs (tenant_id, channel, cents) VALUES (?1, ?2, ?3)");

static int store_sqlite_tx_channel_costs_set(store *s, int64_t tenant_id,
                                             const store_channel_cost *rows, size_t n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_channel_costs_clear, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "channel_costs_clear", err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(st = store_sqlite_stmt(c, &sq_channel_cost_insert, err)))
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        store_sqlite_bind_text(st, 2, rows[i].channel);
        sqlite3_bind_int64(st, 3, rows[i].cents);
        if (store_sqlite_run_write(c, st, NULL, "channel_cost_insert", err) != 0)
            return -1;
    }
    return 0;
}

const store_settings_ops store_sqlite_settings_ops = {
    .get = store_sqlite_setting_get,
    .tx_set = store_sqlite_tx_setting_set,
    .tx_delete = store_sqlite_tx_setting_delete,
    .channel_costs = store_sqlite_channel_costs,
    .tx_channel_costs_set = store_sqlite_tx_channel_costs_set,
};

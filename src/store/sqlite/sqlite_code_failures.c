/*
 * sqlite_code_failures — failed short-code entries counted per reference and per client
 * network (code_failures), which core turns into the delay before the next attempt.
 */
#include "store/sqlite/sq.h"

#include <string.h>

static sq_stmt sq_code_failures_get =
    SQ_STMT("SELECT failures, last_failure_at FROM code_failures WHERE tenant_id = ?1 AND "
            "scope = ?2 AND key = ?3");

static int read_failures(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    store_code_failures *out = p;
    out->failures = sqlite3_column_int(st, 0);
    out->last_failure_at = sqlite3_column_int64(st, 1);
    return 0;
}

static int store_sqlite_code_failures_get(store *s, int64_t tenant_id, const char *scope,
                                          const char *key, store_code_failures *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (!scope || !key)
        return error_set(err, ERR_MISSING_ARG, "key", "scope and key are required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_code_failures_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, scope);
    store_sqlite_bind_text(st, 3, key);
    int found = 0;
    return store_sqlite_read_one(c, st, read_failures, NULL, out, &found, "code_failures_get", err);
}

static sq_stmt sq_code_failures_set = SQ_STMT(
    "INSERT INTO code_failures (tenant_id, scope, key, failures, last_failure_at) VALUES (?1, "
    "?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, scope, key) DO UPDATE SET failures = "
    "excluded.failures, last_failure_at = excluded.last_failure_at");

static sq_stmt sq_code_failures_delete =
    SQ_STMT("DELETE FROM code_failures WHERE tenant_id = ?1 AND scope = ?2 AND key = ?3");

static int store_sqlite_tx_code_failures_set(store *s, int64_t tenant_id, const char *scope,
                                             const char *key, const store_code_failures *f,
                                             error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!scope || !key)
        return error_set(err, ERR_MISSING_ARG, "key", "scope and key are required");
    int clear = f->failures <= 0;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, clear ? &sq_code_failures_delete : &sq_code_failures_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, scope);
    store_sqlite_bind_text(st, 3, key);
    if (!clear) {
        sqlite3_bind_int(st, 4, f->failures);
        sqlite3_bind_int64(st, 5, f->last_failure_at);
    }
    return store_sqlite_run_write(c, st, NULL, "code_failures_set", err);
}

static sq_stmt sq_code_failures_purge =
    SQ_STMT("DELETE FROM code_failures WHERE last_failure_at < ?1");

static int store_sqlite_tx_code_failures_purge(store *s, int64_t before, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_code_failures_purge, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, before);
    return store_sqlite_run_write(c, st, NULL, "code_failures_purge", err);
}

const store_code_failures_ops store_sqlite_code_failures_ops = {
    .get = store_sqlite_code_failures_get,
    .tx_set = store_sqlite_tx_code_failures_set,
    .tx_purge = store_sqlite_tx_code_failures_purge,
};

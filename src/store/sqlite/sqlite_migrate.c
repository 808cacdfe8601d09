/*
 * sqlite_migrate — applying the embedded migrations (migrations.c) in order, each in its
 * own transaction, and reading the schema version.
 */
#include "store/sqlite/sq.h"

#include <pthread.h>
#include <string.h>

#include "util/log.h"

static int migration_applied(sqlite3 *db, int version, int *applied, error *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE version = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 1, version);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        *applied = rc == SQLITE_ROW;
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(db, rc, "migrate", err);
}

static int migration_record(sqlite3 *db, int version, error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO schema_migrations (version, applied_at) "
                                "VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 1, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(db, rc, "migrate", err);
}

/* Applies each missing migration in its own IMMEDIATE transaction, checking inside it that
 * no other process applied it meanwhile. */
int store_sqlite_migrate(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    int ret = -1;
    pthread_mutex_lock(&s->write_mu);
    sqlite3 *db = s->wconn->db;
    int rc = sqlite3_exec(db,
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(db, rc, "migrate", err);
        goto cleanup;
    }
    for (int v = 1; v <= store_sqlite_migration_count; v++) {
        if (!store_sqlite_migrations[v - 1])
            continue; /* a number not taken yet (migrations.c) */
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(db, rc, "migrate", err);
            goto cleanup;
        }
        int applied = 0;
        if (migration_applied(db, v, &applied, err) != 0)
            goto rollback;
        if (!applied) {
            rc = sqlite3_exec(db, store_sqlite_migrations[v - 1], NULL, NULL, NULL);
            if (rc != SQLITE_OK) {
                store_sqlite_fail(db, rc, "migrate", err);
                log_error("store: migration %d failed", v);
                goto rollback;
            }
            if (migration_record(db, v, err) != 0)
                goto rollback;
        }
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(db, rc, "migrate", err);
            goto rollback;
        }
        if (!applied)
            log_info("store: applied migration %d", v);
    }
    ret = 0;
    goto cleanup;
rollback:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
    pthread_mutex_unlock(&s->write_mu);
    return ret;
}

int store_sqlite_schema_version(store *st, int *version, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    store_sqlite_conn *c = store_sqlite_read_conn(s, err);
    if (!c)
        return -1;
    *version = 0;
    sqlite3_stmt *q = NULL;
    /* A database that was never migrated has no schema_migrations table: version 0. */
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_schema WHERE "
                                "type = 'table' AND name = 'schema_migrations') THEN 1 ELSE 0 END",
                                -1, &q, NULL);
    int exists = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            exists = sqlite3_column_int(q, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_OK && exists) {
        rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                -1, &q, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(q);
            if (rc == SQLITE_ROW) {
                *version = sqlite3_column_int(q, 0);
                rc = SQLITE_OK;
            }
        }
        sqlite3_finalize(q);
    }
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(c->db, rc, "schema_version", err);
}

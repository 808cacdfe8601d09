/*
 * sqlite_audit — the append-only, hash-chained audit log (audit_log): append, the last
 * entry to chain to, the list, and the purge of the retention. Hashes are core's.
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns the row reader below reads, in its order. */
#define SQ_AUDIT_COLUMNS                                                                           \
    "id, tenant_id, at, agent_id, actor, action, object_kind, object_ids, source, prev_hash, hash"

static int read_audit(sqlite3_stmt *st, arena *a, void *p)
{
    store_audit *e = p;
    int oom = 0;
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->at = sqlite3_column_int64(st, 2);
    e->agent_id = sqlite3_column_int64(st, 3);
    e->actor = store_sqlite_col_text(st, 4, a, &oom);
    e->action = store_sqlite_col_text(st, 5, a, &oom);
    e->object_kind = store_sqlite_col_text(st, 6, a, &oom);
    e->object_ids = store_sqlite_col_text(st, 7, a, &oom);
    e->source = store_sqlite_col_text(st, 8, a, &oom);
    e->prev_hash = store_sqlite_col_text(st, 9, a, &oom);
    e->hash = store_sqlite_col_text(st, 10, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_audit_insert =
    SQ_STMT("INSERT INTO audit_log (tenant_id, at, agent_id, actor, action, "
            "object_kind, object_ids, source, prev_hash, hash) VALUES (?1, ?2, ?3, "
            "?4, ?5, ?6, ?7, ?8, ?9, ?10)");

static int store_sqlite_tx_audit_append(store *s, const store_audit *e, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!e->actor || !e->action || !e->hash)
        return error_set(err, ERR_MISSING_ARG, "audit", "actor, action and hash are required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_audit_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->tenant_id);
    sqlite3_bind_int64(st, 2, e->at);
    store_sqlite_bind_id(st, 3, e->agent_id);
    store_sqlite_bind_text(st, 4, e->actor);
    store_sqlite_bind_text(st, 5, e->action);
    store_sqlite_bind_text(st, 6, e->object_kind);
    store_sqlite_bind_text(st, 7, e->object_ids);
    store_sqlite_bind_text(st, 8, e->source);
    store_sqlite_bind_text(st, 9, e->prev_hash);
    store_sqlite_bind_text(st, 10, e->hash);
    if (store_sqlite_run_write(c, st, NULL, "audit_append", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_audit_last =
    SQ_STMT("SELECT " SQ_AUDIT_COLUMNS " FROM audit_log WHERE tenant_id = ?1 "
            "ORDER BY id DESC LIMIT 1");

static int store_sqlite_audit_last(store *s, int64_t tenant_id, arena *a, store_audit *out,
                                   int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_audit_last, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_one(c, st, read_audit, a, out, found, "audit_last", err);
}

static sq_stmt sq_audit_list =
    SQ_STMT("SELECT " SQ_AUDIT_COLUMNS " FROM audit_log WHERE tenant_id = ?1 AND "
            "id > ?2 ORDER BY id LIMIT ?3");

static int store_sqlite_audit_list(store *s, int64_t tenant_id, int64_t after_id, size_t limit,
                                   arena *a, store_audit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_audit_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_audit, a, sizeof(store_audit), &arr, n, "audit_list",
                              err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static sq_stmt sq_audit_purge = SQ_STMT("DELETE FROM audit_log WHERE tenant_id = ?1 AND at < ?2");

static int store_sqlite_tx_audit_purge_before(store *s, int64_t tenant_id, int64_t before,
                                              int64_t *purged, error *err)
{
    if (purged)
        *purged = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_audit_purge, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    if (store_sqlite_run_write(c, st, NULL, "audit_purge", err) != 0)
        return -1;
    if (purged)
        *purged = sqlite3_changes64(c->db);
    return 0;
}

const store_audit_ops store_sqlite_audit_ops = {
    .tx_append = store_sqlite_tx_audit_append,
    .last = store_sqlite_audit_last,
    .list = store_sqlite_audit_list,
    .tx_purge_before = store_sqlite_tx_audit_purge_before,
};

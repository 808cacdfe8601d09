/*
 * sqlite_audit — the append-only, hash-chained audit log (audit_log): append, the last
 * entry to chain to, the list, and the purge of the retention. Hashes are core's.
 */
#include "store/sqlite/sq.h"

#include <stdio.h>
#include <stdlib.h>
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

static sq_stmt sq_audit_request_insert =
    SQ_STMT("INSERT OR IGNORE INTO audit_log_requests (request_id, audit_id) VALUES (?1, ?2)");

/* Each request id of an entry's comma-separated list, into audit_log_requests (the same
 * transaction as the entry): who read a request is then an index lookup. */
static int index_requests(store_sqlite_conn *c, int64_t audit_id, const char *ids, error *err)
{
    const char *p = ids;
    while (*p) {
        char *end = NULL;
        long long id = strtoll(p, &end, 10);
        if (end == p)
            break;
        if (id > 0) {
            sqlite3_stmt *st = store_sqlite_stmt(c, &sq_audit_request_insert, err);
            if (!st)
                return -1;
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_int64(st, 2, audit_id);
            if (store_sqlite_run_write(c, st, NULL, "audit_append", err) != 0)
                return -1;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
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
    int64_t id = sqlite3_last_insert_rowid(c->db);
    if (id_out)
        *id_out = id;
    if (e->object_kind && strcmp(e->object_kind, "request") == 0 && e->object_ids)
        return index_requests(c, id, e->object_ids, err);
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

static int store_sqlite_audit_search(store *s, const store_audit_filter *f, arena *a,
                                     store_audit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (f->limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    /* Fixed fragments only; every value bound by its number. The period also bounds the ids
     * (entries are appended in time order), so that the walk newest first starts and stops
     * where the period does instead of reading every later entry. */
    char sql[1024];
    snprintf(
        sql, sizeof sql,
        "SELECT l.id, l.tenant_id, l.at, l.agent_id, l.actor, l.action, l.object_kind, "
        "l.object_ids, l.source, l.prev_hash, l.hash FROM %s WHERE l.tenant_id = ?1%s%s%s%s%s%s"
        " ORDER BY l.id DESC LIMIT ?8",
        f->request_id ? "audit_log_requests q JOIN audit_log l ON l.id = q.audit_id"
                      : "audit_log l",
        f->request_id ? " AND q.request_id = ?3" : "", f->agent_id ? " AND l.agent_id = ?2" : "",
        f->from ? " AND l.at >= ?4 AND l.id >= coalesce((SELECT min(id) FROM audit_log "
                  "WHERE tenant_id = ?1 AND at >= ?4), 0)"
                : "",
        f->to ? " AND l.at <= ?5 AND l.id <= coalesce((SELECT max(id) FROM audit_log "
                "WHERE tenant_id = ?1 AND at <= ?5), 0)"
              : "",
        f->before_id ? " AND l.id < ?6" : "", "");
    sqlite3_stmt *st = store_sqlite_stmt_dyn(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, f->tenant_id);
    sqlite3_bind_int64(st, 2, f->agent_id);
    sqlite3_bind_int64(st, 3, f->request_id);
    sqlite3_bind_int64(st, 4, f->from);
    sqlite3_bind_int64(st, 5, f->to);
    sqlite3_bind_int64(st, 6, f->before_id);
    sqlite3_bind_int64(st, 8, f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_audit, a, sizeof(store_audit), &arr, n, "audit_search",
                              err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static int read_request_name(sqlite3_stmt *st, arena *a, void *p)
{
    store_request_name *r = p;
    int oom = 0;
    r->id = sqlite3_column_int64(st, 0);
    r->reference = store_sqlite_col_text(st, 1, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_request_names =
    SQ_STMT("SELECT r.id, r.reference FROM json_each(?2) j JOIN requests r ON r.id = j.value "
            "WHERE r.tenant_id = ?1");

static int store_sqlite_audit_request_names(store *s, int64_t tenant_id, const int64_t *ids,
                                            size_t n_ids, arena *a, store_request_name **out,
                                            size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (n_ids == 0)
        return 0;
    if (n_ids > STORE_AUDIT_NAMES_MAX)
        return error_set(err, ERR_INVALID_ARG, "ids", "too many ids");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    /* The ids as one JSON array: one statement whatever their number. */
    size_t cap = n_ids * 21 + 3;
    char *json = arena_alloc(a, cap);
    if (!json)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t len = 0;
    json[len++] = '[';
    for (size_t i = 0; i < n_ids; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    json[len++] = ']';
    json[len] = '\0';
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_names, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_request_name, a, sizeof(store_request_name), &arr, n,
                              "audit_request_names", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

const store_audit_ops store_sqlite_audit_ops = {
    .search = store_sqlite_audit_search,
    .request_names = store_sqlite_audit_request_names,
    .tx_append = store_sqlite_tx_audit_append,
    .last = store_sqlite_audit_last,
    .list = store_sqlite_audit_list,
    .tx_purge_before = store_sqlite_tx_audit_purge_before,
};

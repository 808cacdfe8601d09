/*
 * sqlite_events — a request's timeline (request_events): the row reader and its column
 * list, the lists of one or many requests, the insert.
 */
#include "store/sqlite/sq.h"

#include <stdio.h>

/* The columns read_event reads, in its order. */
#define EVENT_COLUMNS                                                                              \
    "id, tenant_id, request_id, created_at, kind, is_public, actor, channel, status_from, "        \
    "status_to, body"

static int read_event(sqlite3_stmt *st, arena *a, void *p)
{
    store_event *e = p;
    int oom = 0;
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->request_id = sqlite3_column_int64(st, 2);
    e->created_at = sqlite3_column_int64(st, 3);
    e->kind = store_sqlite_col_text(st, 4, a, &oom);
    e->is_public = sqlite3_column_int(st, 5);
    e->actor = store_sqlite_col_text(st, 6, a, &oom);
    e->channel = store_sqlite_col_text(st, 7, a, &oom);
    e->status_from = store_sqlite_col_text(st, 8, a, &oom);
    e->status_to = store_sqlite_col_text(st, 9, a, &oom);
    e->body = store_sqlite_col_text(st, 10, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_events_list =
    SQ_STMT("SELECT " EVENT_COLUMNS " FROM request_events "
            "WHERE request_id = ?2 AND tenant_id = ?1 AND (?3 = 0 OR is_public = 1) "
            "ORDER BY id");

static int store_sqlite_events_list(store *s, int64_t tenant_id, int64_t request_id,
                                    int public_only, arena *a, store_event **out, size_t *n,
                                    error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_events_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int(st, 3, public_only ? 1 : 0);
    return store_sqlite_read_all(c, st, read_event, a, sizeof **out, (void **)out, n, "events_list",
                                 err);
}

/* The ids come as one bound JSON array, so one statement serves any number of them. */
static sq_stmt sq_events_list_many =
    SQ_STMT("SELECT " EVENT_COLUMNS " FROM request_events "
            "WHERE request_id IN (SELECT value FROM json_each(?2)) AND tenant_id = ?1 "
            "AND (?3 = 0 OR is_public = 1) ORDER BY request_id, id");

static int store_sqlite_events_list_many(store *s, int64_t tenant_id, const int64_t *request_ids,
                                         size_t n_ids, int public_only, arena *a, store_event **out,
                                         size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (n_ids == 0)
        return 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    /* The ids as a JSON array of integers, bound as one text parameter. */
    if (n_ids > (SIZE_MAX - 3) / 22)
        return error_set(err, ERR_INVALID_ARG, "request_ids", "too many ids");
    size_t cap = n_ids * 22 + 3, len = 0;
    char *json = arena_alloc(a, cap);
    if (!json)
        return store_sqlite_oom(err);
    json[len++] = '[';
    for (size_t i = 0; i < n_ids; i++) {
        int w = snprintf(json + len, cap - len, "%s%lld", i ? "," : "", (long long)request_ids[i]);
        if (w < 0 || (size_t)w >= cap - len)
            return error_set(err, ERR_INTERNAL, NULL, "events_list_many: id list overflow");
        len += (size_t)w;
    }
    json[len++] = ']';
    json[len] = '\0';
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_events_list_many, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, public_only ? 1 : 0);
    return store_sqlite_read_all(c, st, read_event, a, sizeof **out, (void **)out, n, "events_list",
                                 err);
}

static sq_stmt sq_event_insert =
    SQ_STMT("INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
            "actor, channel, status_from, status_to, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, ?9, ?10)");

static int store_sqlite_tx_event_insert(store *s, const store_event *e, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_event_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->tenant_id);
    sqlite3_bind_int64(st, 2, e->request_id);
    sqlite3_bind_int64(st, 3, e->created_at);
    store_sqlite_bind_text(st, 4, e->kind);
    sqlite3_bind_int(st, 5, e->is_public ? 1 : 0);
    store_sqlite_bind_text(st, 6, e->actor);
    store_sqlite_bind_text(st, 7, e->channel);
    store_sqlite_bind_text(st, 8, e->status_from);
    store_sqlite_bind_text(st, 9, e->status_to);
    store_sqlite_bind_text(st, 10, e->body);
    if (store_sqlite_run_write(c, st, NULL, "event_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

const store_events_ops store_sqlite_events_ops = {
    .list = store_sqlite_events_list,
    .list_many = store_sqlite_events_list_many,
    .tx_insert = store_sqlite_tx_event_insert,
};

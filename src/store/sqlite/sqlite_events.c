/*
 * sqlite_events — a request's timeline (request_events): the row reader and its column
 * list, the lists of one or many requests, the insert; the Open311 updates feed and the
 * rows Open311 clients' updates add beside their events (open311_updates).
 */
#include "store/sqlite/sq.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

/* The columns read_event reads, in its order, from request_events e LEFT JOIN
 * open311_updates u (EVENT_FROM). */
#define EVENT_COLUMNS                                                                              \
    "e.id, e.tenant_id, e.request_id, e.created_at, e.kind, e.is_public, e.actor, e.channel, "     \
    "e.status_from, e.status_to, e.body, "                                                         \
    "nullif(trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')), ''), "           \
    "u.media_url"
#define EVENT_FROM " FROM request_events e LEFT JOIN open311_updates u ON u.event_id = e.id "
#define EVENT_N_COLUMNS 13

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
    e->author = store_sqlite_col_text(st, 11, a, &oom);
    e->media_url = store_sqlite_col_text(st, 12, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_events_list =
    SQ_STMT("SELECT " EVENT_COLUMNS EVENT_FROM
            "WHERE e.request_id = ?2 AND e.tenant_id = ?1 AND (?3 = 0 OR e.is_public = 1) "
            "ORDER BY e.id");

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
    SQ_STMT("SELECT " EVENT_COLUMNS EVENT_FROM
            "WHERE e.request_id IN (SELECT value FROM json_each(?2)) AND e.tenant_id = ?1 "
            "AND (?3 = 0 OR e.is_public = 1) ORDER BY e.request_id, e.id");

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
            "actor, channel, status_from, status_to, body, copied_from) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8, ?9, ?10, ?11)");

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
    store_sqlite_bind_id(st, 11, e->copied_from);
    if (store_sqlite_run_write(c, st, NULL, "event_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* The status a request had just after event e: e's own when it changed it, else the last
 * one set before it, else the one the next change started from, else today's. */
static sq_stmt sq_updates =
    SQ_STMT("SELECT " EVENT_COLUMNS ", r.reference, r.procedure_id, coalesce(e.status_to, "
            "(SELECT b.status_to FROM request_events b WHERE b.request_id = e.request_id AND "
            "b.status_to IS NOT NULL AND b.id < e.id ORDER BY b.id DESC LIMIT 1), "
            "(SELECT n.status_from FROM request_events n WHERE n.request_id = e.request_id AND "
            "n.status_from IS NOT NULL AND n.id > e.id ORDER BY n.id LIMIT 1), r.status)" EVENT_FROM
            "JOIN requests r ON r.id = e.request_id "
            "JOIN procedures p ON p.id = r.procedure_id AND p.open311 = 1 AND p.open311_detail > 0 "
            "WHERE e.tenant_id = ?1 AND e.is_public = 1 AND e.created_at BETWEEN ?2 AND ?3 "
            "AND e.kind IN (SELECT value FROM json_each(?4)) "
            "ORDER BY e.created_at, e.id LIMIT ?6 OFFSET ?5");

static int read_update(sqlite3_stmt *st, arena *a, void *p)
{
    store_update *u = p;
    if (read_event(st, a, &u->ev) != 0)
        return -1;
    int oom = 0;
    u->reference = store_sqlite_col_text(st, EVENT_N_COLUMNS, a, &oom);
    u->procedure_id = sqlite3_column_int64(st, EVENT_N_COLUMNS + 1);
    u->status_after = store_sqlite_col_text(st, EVENT_N_COLUMNS + 2, a, &oom);
    return oom ? -1 : 0;
}

static int store_sqlite_events_updates(store *s, int64_t tenant_id, int64_t from, int64_t to,
                                       const char *const *kinds, size_t n_kinds, size_t offset,
                                       size_t limit, arena *a, store_update **out, size_t *n,
                                       error *err)
{
    *out = NULL;
    *n = 0;
    if (n_kinds == 0 || limit == 0)
        return 0;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n_kinds; i++)
        if (json_array_append_new(list, json_string(kinds[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (!text)
        return store_sqlite_oom(err);
    int rc = -1;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_updates, err) : NULL;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, from);
        sqlite3_bind_int64(st, 3, to);
        sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)offset);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)limit);
        rc = store_sqlite_read_all(c, st, read_update, a, sizeof **out, (void **)out, n,
                                   "events_updates", err);
    }
    free(text);
    return rc;
}

static sq_stmt sq_client_update_find = SQ_STMT("SELECT event_id, request_id FROM open311_updates "
                                               "WHERE api_key_id = ?1 AND client_update_id = ?2");

typedef struct event_of_update {
    int64_t event_id, request_id;
} event_of_update;

static int read_event_of_update(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    event_of_update *e = p;
    e->event_id = sqlite3_column_int64(st, 0);
    e->request_id = sqlite3_column_int64(st, 1);
    return 0;
}

static int store_sqlite_tx_client_update_find(store *s, int64_t api_key_id,
                                              const char *client_update_id, int64_t *event_id,
                                              int64_t *request_id, int *found, error *err)
{
    *found = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_client_update_find, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, api_key_id);
    store_sqlite_bind_text(st, 2, client_update_id);
    event_of_update e = {0, 0};
    if (store_sqlite_read_one(c, st, read_event_of_update, NULL, &e, found, "client_update_find",
                              err) != 0)
        return -1;
    *event_id = e.event_id;
    *request_id = e.request_id;
    return 0;
}

static sq_stmt sq_client_update_insert = SQ_STMT(
    "INSERT INTO open311_updates (event_id, tenant_id, request_id, api_key_id, client_update_id, "
    "client_status, client_datetime, media_url, first_name, last_name, email, phone) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");

static int store_sqlite_tx_client_update_insert(store *s, const store_client_update *u, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_client_update_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, u->event_id);
    sqlite3_bind_int64(st, 2, u->tenant_id);
    sqlite3_bind_int64(st, 3, u->request_id);
    sqlite3_bind_int64(st, 4, u->api_key_id);
    store_sqlite_bind_text(st, 5, u->client_update_id);
    store_sqlite_bind_text(st, 6, u->client_status);
    sqlite3_bind_int64(st, 7, u->client_datetime);
    store_sqlite_bind_text(st, 8, u->media_url);
    store_sqlite_bind_text(st, 9, u->first_name);
    store_sqlite_bind_text(st, 10, u->last_name);
    store_sqlite_bind_text(st, 11, u->email);
    store_sqlite_bind_text(st, 12, u->phone);
    return store_sqlite_run_write(c, st, NULL, "client_update_insert", err);
}

const store_events_ops store_sqlite_events_ops = {
    .list = store_sqlite_events_list,
    .list_many = store_sqlite_events_list_many,
    .tx_insert = store_sqlite_tx_event_insert,
    .updates = store_sqlite_events_updates,
    .tx_client_update_find = store_sqlite_tx_client_update_find,
    .tx_client_update_insert = store_sqlite_tx_client_update_insert,
};

/*
 * sqlite_disposal — bordereaux d'élimination (disposal_lists, disposal_items): creation
 * from a retention pass, lists with their counts, items, the visa and the end.
 */
#include "store/sqlite/sq.h"

#include <inttypes.h>
#include <string.h>

#include "util/buf.h"

static sq_stmt sq_disposal_insert =
    SQ_STMT("INSERT INTO disposal_lists (tenant_id, created_at, status, "
            "n_requests) VALUES (?1, ?2, 'pending', 0) RETURNING id");

/* The ids come as one bound JSON array; only requests of the tenant are taken. */
static sq_stmt sq_disposal_items_add =
    SQ_STMT("INSERT INTO disposal_items (list_id, request_id) SELECT ?1, r.id FROM requests r "
            "WHERE r.id IN (SELECT value FROM json_each(?2)) AND r.tenant_id = ?3");

static sq_stmt sq_disposal_count_set =
    SQ_STMT("UPDATE disposal_lists SET n_requests = (SELECT count(*) FROM "
            "disposal_items WHERE list_id = ?1) WHERE id = ?1");

static int store_sqlite_tx_disposal_create(store *s, int64_t tenant_id, int64_t now,
                                           const int64_t *ids, size_t n, int64_t *id_out,
                                           error *err)
{
    if (n == 0 || !ids)
        return error_set(err, ERR_INVALID_ARG, "ids", "an empty bordereau");
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    buf json;
    buf_init(&json, n * 21 + 8);
    buf_putc(&json, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(&json, "%s%" PRId64, i ? "," : "", ids[i]);
    buf_putc(&json, ']');
    int ret = -1;
    if (json.failed) {
        store_sqlite_oom(err);
        goto cleanup;
    }
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_insert, err);
    if (!st)
        goto cleanup;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, now);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "disposal_create", err) != 0)
        goto cleanup;
    if (!(st = store_sqlite_stmt(c, &sq_disposal_items_add, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, buf_cstr(&json), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "disposal_create", err) != 0)
        goto cleanup;
    if (!(st = store_sqlite_stmt(c, &sq_disposal_count_set, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    if (store_sqlite_run_write(c, st, NULL, "disposal_create", err) != 0)
        goto cleanup;
    if (id_out)
        *id_out = id;
    ret = 0;
cleanup:
    buf_free(&json);
    return ret;
}

/* The columns the row reader below reads, in its order. */
#define SQ_DISPOSAL_COLUMNS                                                                        \
    "l.id, l.tenant_id, l.created_at, l.status, l.n_requests, l.approved_by, l.approved_at, "      \
    "l.done_at, (SELECT count(*) FROM disposal_items i WHERE i.list_id = l.id AND "                \
    "i.state = 'done'), (SELECT count(*) FROM disposal_items i WHERE i.list_id = l.id AND "        \
    "i.state = 'kept')"

static int read_disposal(sqlite3_stmt *st, arena *a, void *out)
{
    store_disposal_list *l = out;
    int oom = 0;
    l->id = sqlite3_column_int64(st, 0);
    l->tenant_id = sqlite3_column_int64(st, 1);
    l->created_at = sqlite3_column_int64(st, 2);
    l->status = store_sqlite_col_text(st, 3, a, &oom);
    l->n_requests = sqlite3_column_int64(st, 4);
    l->approved_by = sqlite3_column_int64(st, 5);
    l->approved_at = sqlite3_column_int64(st, 6);
    l->done_at = sqlite3_column_int64(st, 7);
    l->n_done = sqlite3_column_int64(st, 8);
    l->n_kept = sqlite3_column_int64(st, 9);
    return oom ? -1 : 0;
}

static sq_stmt sq_disposal_list =
    SQ_STMT("SELECT " SQ_DISPOSAL_COLUMNS " FROM disposal_lists l WHERE "
            "l.tenant_id = ?1 ORDER BY l.id DESC LIMIT ?2");

static int store_sqlite_disposal_list(store *s, int64_t tenant_id, size_t limit, arena *a,
                                      store_disposal_list **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(limit ? limit : 1));
    void *arr = NULL;
    int rc =
        store_sqlite_read_all(c, st, read_disposal, a, sizeof **out, &arr, n, "disposal_list", err);
    *out = arr;
    return rc;
}

static sq_stmt sq_disposal_get =
    SQ_STMT("SELECT " SQ_DISPOSAL_COLUMNS " FROM disposal_lists l WHERE "
            "l.tenant_id = ?1 AND l.id = ?2");

static int store_sqlite_disposal_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                     store_disposal_list *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_disposal, a, out, found, "disposal_get", err);
}

static int read_item(sqlite3_stmt *st, arena *a, void *out)
{
    store_disposal_item *it = out;
    int oom = 0;
    it->request_id = sqlite3_column_int64(st, 0);
    it->reference = store_sqlite_col_text(st, 1, a, &oom);
    it->procedure_id = sqlite3_column_int64(st, 2);
    it->department_id = sqlite3_column_int64(st, 3);
    it->status = store_sqlite_col_text(st, 4, a, &oom);
    it->created_at = sqlite3_column_int64(st, 5);
    it->closed_at = sqlite3_column_int64(st, 6);
    it->anonymised_at = sqlite3_column_int64(st, 7);
    it->state = store_sqlite_col_text(st, 8, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_disposal_items =
    SQ_STMT("SELECT i.request_id, r.reference, r.procedure_id, r.department_id, r.status, "
            "r.created_at, r.closed_at, r.anonymised_at, i.state FROM disposal_items i "
            "JOIN disposal_lists l ON l.id = i.list_id JOIN requests r ON r.id = i.request_id "
            "WHERE i.list_id = ?2 AND l.tenant_id = ?1 AND (?3 IS NULL OR i.state = ?3) AND "
            "i.request_id > ?4 ORDER BY i.request_id LIMIT ?5");

static int store_sqlite_disposal_items(store *s, int64_t tenant_id, int64_t list_id,
                                       const char *state, int64_t after_request_id, size_t limit,
                                       arena *a, store_disposal_item **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_items, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, list_id);
    store_sqlite_bind_text(st, 3, state);
    sqlite3_bind_int64(st, 4, after_request_id);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)(limit ? limit : 1));
    void *arr = NULL;
    int rc =
        store_sqlite_read_all(c, st, read_item, a, sizeof **out, &arr, n, "disposal_items", err);
    *out = arr;
    return rc;
}

static sq_stmt sq_disposal_approve =
    SQ_STMT("UPDATE disposal_lists SET status = 'approved', approved_by = ?3, "
            "approved_at = ?4 WHERE tenant_id = ?1 AND id = ?2 AND "
            "status = 'pending'");

static int store_sqlite_tx_disposal_approve(store *s, int64_t tenant_id, int64_t id,
                                            int64_t agent_id, int64_t now, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_approve, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    store_sqlite_bind_id(st, 3, agent_id);
    sqlite3_bind_int64(st, 4, now);
    if (store_sqlite_run_write(c, st, NULL, "disposal_approve", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 1)
        return 0;
    /* Nothing changed: unknown here, or no longer waiting for its visa. */
    arena a;
    arena_init(&a, 512);
    store_disposal_list l;
    int found = 0;
    int rc = store_sqlite_disposal_get(s, tenant_id, id, &a, &l, &found, err);
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "bordereau", "no such bordereau");
    return error_set(err, ERR_CONFLICT, "bordereau", "the bordereau is not waiting for a visa");
}

static sq_stmt sq_disposal_item_set =
    SQ_STMT("UPDATE disposal_items SET state = ?3 WHERE list_id = ?1 AND request_id = ?2");

static int store_sqlite_tx_disposal_item_set(store *s, int64_t list_id, int64_t request_id,
                                             const char *state, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_item_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, list_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, state);
    return store_sqlite_run_update(c, st, "disposal_item_set", "bordereau item", err);
}

static sq_stmt sq_disposal_finish =
    SQ_STMT("UPDATE disposal_lists SET status = 'done', done_at = ?3 WHERE "
            "tenant_id = ?1 AND id = ?2 AND status = 'approved' AND NOT EXISTS "
            "(SELECT 1 FROM disposal_items WHERE list_id = ?2 AND state = 'due')");

static int store_sqlite_tx_disposal_finish(store *s, int64_t tenant_id, int64_t id, int64_t now,
                                           int *finished, error *err)
{
    *finished = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_disposal_finish, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, now);
    if (store_sqlite_run_write(c, st, NULL, "disposal_finish", err) != 0)
        return -1;
    *finished = sqlite3_changes(c->db) > 0;
    return 0;
}

const store_disposal_ops store_sqlite_disposal_ops = {
    .tx_create = store_sqlite_tx_disposal_create,
    .list = store_sqlite_disposal_list,
    .get = store_sqlite_disposal_get,
    .items = store_sqlite_disposal_items,
    .tx_approve = store_sqlite_tx_disposal_approve,
    .tx_item_set = store_sqlite_tx_disposal_item_set,
    .tx_finish = store_sqlite_tx_disposal_finish,
};

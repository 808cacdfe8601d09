/*
 * sqlite_retention — the SQLite backend's operations for the RGPD lifecycle: finding the
 * requests past their retention, anonymising one request, deleting a citizen's account,
 * the bordereaux d'élimination, and compacting what deleted rows leave in the file. Writes
 * run only inside a job, with the cached statements of sqlite_store.c.
 */
#include "store/sqlite/sq.h"

#include <inttypes.h>
#include <string.h>

#include "util/buf.h"

static store_sqlite_conn *reader(store *s, error *err)
{
    return store_sqlite_read_conn((store_sqlite_store *)s, err);
}

static store_sqlite_conn *writer(store *s, error *err)
{
    return store_sqlite_write_conn((store_sqlite_store *)s, err);
}

/* ---- finding what is due ---- */

int store_sqlite_requests_retention_due(store *s, int64_t tenant_id, int64_t procedure_id,
                                        int64_t closed_before, size_t limit, arena *a,
                                        int64_t **ids, size_t *n, error *err)
{
    *ids = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "requests_retention_due: no limit");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, procedure_id ? SQ_RETENTION_DUE : SQ_ERASE_DUE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (procedure_id) {
        sqlite3_bind_int64(st, 2, procedure_id);
        sqlite3_bind_int64(st, 3, closed_before);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    } else {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    }
    size_t cap = 0;
    int64_t *arr = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *grown = store_sqlite_grow(a, arr, &cap, *n, sizeof *arr);
        if (!grown) {
            ret = store_sqlite_oom(err);
            break;
        }
        arr = grown;
        arr[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "requests_retention_due", err);
    store_sqlite_done(st);
    if (ret == 0)
        *ids = arr;
    else
        *n = 0;
    return ret;
}

int store_sqlite_requests_retention_count(store *s, int64_t tenant_id, int64_t procedure_id,
                                          int64_t closed_before, int64_t *count, error *err)
{
    *count = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, procedure_id ? SQ_RETENTION_COUNT : SQ_ERASE_COUNT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (procedure_id) {
        sqlite3_bind_int64(st, 2, procedure_id);
        sqlite3_bind_int64(st, 3, closed_before);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    store_sqlite_done(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(c->db, rc, "requests_retention_count", err);
    return 0;
}

/* ---- anonymising one request ---- */

static int read_removed(sqlite3_stmt *st, arena *a, void *out)
{
    store_attachment *at = out;
    int oom = 0;
    at->storage_name = store_sqlite_col_text(st, 0, a, &oom);
    at->thumb_name = store_sqlite_col_text(st, 1, a, &oom);
    return oom ? -1 : 0;
}

/* Runs statement id with the request id as its only parameter. */
static int run_on_request(store_sqlite_conn *c, store_sqlite_stmt_id id, int64_t request_id,
                          const char *what, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    return store_sqlite_run_write(c, st, NULL, what, err);
}

int store_sqlite_tx_request_anonymise(store *s, int64_t tenant_id, int64_t request_id,
                                      const store_anonymised *keep, int64_t now, arena *a,
                                      store_attachment **removed, size_t *n_removed, error *err)
{
    *removed = NULL;
    *n_removed = 0;
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ANON_REQUEST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    if (keep && keep->has_location) {
        sqlite3_bind_double(st, 3, keep->lat);
        sqlite3_bind_double(st, 4, keep->lon);
    } else {
        sqlite3_bind_null(st, 3);
        sqlite3_bind_null(st, 4);
    }
    store_sqlite_bind_text(st, 5, keep ? keep->attributes : NULL);
    sqlite3_bind_int64(st, 6, now);
    if (store_sqlite_run_update(c, st, "request_anonymise", "request", err) != 0)
        return -1;
    if (run_on_request(c, SQ_ANON_EVENTS, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, SQ_ANON_SUPPORTS, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, SQ_ANON_OUTBOX, request_id, "request_anonymise", err) != 0)
        return -1;
    st = store_sqlite_stmt(c, SQ_ANON_ATTACHMENTS, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    void *out = NULL;
    if (store_sqlite_read_all(c, st, read_removed, a, sizeof **removed, &out, n_removed,
                              "request_anonymise", err) != 0)
        return -1;
    *removed = out;
    return 0;
}

int store_sqlite_tx_tenant_set_archives_visa(store *s, int64_t tenant_id, int on, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TENANT_SET_VISA, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int(st, 2, on ? 1 : 0);
    return store_sqlite_run_update(c, st, "tenant_set_archives_visa", "tenant", err);
}

/* ---- deleting an account ---- */

/* Binds (tenant, account, e-mail or NULL, now, actor) as the two request statements take
 * them, and runs one; *changed gets the rows it touched. */
static int run_account_requests(store_sqlite_conn *c, store_sqlite_stmt_id id, int64_t tenant_id,
                                int64_t account_id, const char *email, int64_t now,
                                const char *actor, int64_t *changed, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    store_sqlite_bind_text(st, 3, email);
    sqlite3_bind_int64(st, 4, now);
    if (id == SQ_ACCDEL_EVENTS)
        store_sqlite_bind_text(st, 5, actor ? actor : "system");
    if (store_sqlite_run_write(c, st, NULL, "account_delete", err) != 0)
        return -1;
    if (changed)
        *changed = sqlite3_changes(c->db);
    return 0;
}

/* Runs a delete taking (tenant, one text or id) as its parameters. */
static int run_delete2(store_sqlite_conn *c, store_sqlite_stmt_id id, int64_t tenant_id,
                       const char *text, int64_t num, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (text)
        store_sqlite_bind_text(st, 2, text);
    else
        sqlite3_bind_int64(st, 2, num);
    return store_sqlite_run_write(c, st, NULL, "account_delete", err);
}

static int read_account_email(sqlite3_stmt *st, arena *a, void *out)
{
    int oom = 0;
    *(const char **)out = store_sqlite_col_text(st, 2, a, &oom);
    return oom ? -1 : 0;
}

int store_sqlite_tx_account_delete(store *s, int64_t tenant_id, int64_t account_id, int by_email,
                                   const char *supporter_key, const char *actor, int64_t now,
                                   int64_t *n_requests, error *err)
{
    if (n_requests)
        *n_requests = 0;
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    arena a;
    arena_init(&a, 1024);
    const char *email = NULL;
    int found = 0, ret = -1;
    if (store_sqlite_read_one(c, st, read_account_email, &a, &email, &found, "account_delete",
                              err) != 0)
        goto cleanup;
    if (!found) {
        error_set(err, ERR_NOT_FOUND, NULL, "account not found");
        goto cleanup;
    }
    /* The events first: they find the requests by the link the update then removes. */
    const char *match = by_email ? email : NULL;
    if (run_account_requests(c, SQ_ACCDEL_EVENTS, tenant_id, account_id, match, now, actor, NULL,
                             err) != 0 ||
        run_account_requests(c, SQ_ACCDEL_REQUESTS, tenant_id, account_id, match, now, actor,
                             n_requests, err) != 0)
        goto cleanup;
    if (store_sqlite_tx_session_delete_account(s, tenant_id, account_id, err) != 0 ||
        run_delete2(c, SQ_ACCDEL_TOKENS, tenant_id, NULL, account_id, err) != 0 ||
        (supporter_key &&
         run_delete2(c, SQ_ACCDEL_SUPPORT, tenant_id, supporter_key, 0, err) != 0) ||
        (email && run_delete2(c, SQ_ACCDEL_OUTBOX, tenant_id, email, 0, err) != 0) ||
        run_delete2(c, SQ_ACCDEL_ACCOUNT, tenant_id, NULL, account_id, err) != 0)
        goto cleanup;
    ret = 0;
cleanup:
    arena_free(&a);
    return ret;
}

/* ---- bordereaux d'élimination ---- */

int store_sqlite_tx_disposal_create(store *s, int64_t tenant_id, int64_t now, const int64_t *ids,
                                    size_t n, int64_t *id_out, error *err)
{
    if (n == 0 || !ids)
        return error_set(err, ERR_INVALID_ARG, "ids", "an empty bordereau");
    store_sqlite_conn *c = writer(s, err);
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
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_INSERT, err);
    if (!st)
        goto cleanup;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, now);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "disposal_create", err) != 0)
        goto cleanup;
    if (!(st = store_sqlite_stmt(c, SQ_DISPOSAL_ITEMS_ADD, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, buf_cstr(&json), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "disposal_create", err) != 0)
        goto cleanup;
    if (!(st = store_sqlite_stmt(c, SQ_DISPOSAL_COUNT_SET, err)))
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

int store_sqlite_disposal_list(store *s, int64_t tenant_id, size_t limit, arena *a,
                               store_disposal_list **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_LIST, err);
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

int store_sqlite_disposal_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                              store_disposal_list *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_GET, err);
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

int store_sqlite_disposal_items(store *s, int64_t tenant_id, int64_t list_id, const char *state,
                                int64_t after_request_id, size_t limit, arena *a,
                                store_disposal_item **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_ITEMS, err);
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

int store_sqlite_tx_disposal_approve(store *s, int64_t tenant_id, int64_t id, int64_t agent_id,
                                     int64_t now, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_APPROVE, err);
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

int store_sqlite_tx_disposal_item_set(store *s, int64_t list_id, int64_t request_id,
                                      const char *state, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_ITEM_SET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, list_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, state);
    return store_sqlite_run_update(c, st, "disposal_item_set", "bordereau item", err);
}

int store_sqlite_tx_disposal_finish(store *s, int64_t tenant_id, int64_t id, int64_t now,
                                    int *finished, error *err)
{
    *finished = 0;
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DISPOSAL_FINISH, err);
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

/* ---- compaction ---- */

/* The full-text index is contentless: deleting a request's words only adds tombstones to a
 * new segment, and the words stay in older segments until FTS5 merges them. 'optimize'
 * merges every segment into one, dropping them for good; the checkpoint then copies the
 * zeroed pages (secure_delete) into the database file and truncates the log that still
 * holds their former images. Taken under the writer's lock, outside any transaction. */
int store_sqlite_compact(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    pthread_mutex_lock(&s->write_mu);
    sqlite3 *db = s->wconn->db;
    int rc = sqlite3_exec(db, "INSERT INTO requests_fts (requests_fts) VALUES ('optimize')", NULL,
                          NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    int ret = rc == SQLITE_OK ? 0 : store_sqlite_fail(db, rc, "compact", err);
    pthread_mutex_unlock(&s->write_mu);
    return ret;
}

/*
 * sqlite_support — «moi aussi»: the supporter keys of a request (request_supports) and its
 * supporters count, bumped only for a supporter none of whose keys was known.
 */
#include "store/sqlite/sq.h"

/* Only for a request of that tenant; an existing (request, key) pair is left alone. */
static sq_stmt sq_support_insert =
    SQ_STMT("INSERT OR IGNORE INTO request_supports (tenant_id, request_id, "
            "supporter_key, created_at) SELECT tenant_id, id, ?3, ?4 FROM "
            "requests WHERE id = ?2 AND tenant_id = ?1");

static sq_stmt sq_support_bump =
    SQ_STMT("UPDATE requests SET supporters = supporters + 1 WHERE id = ?2 AND tenant_id = ?1");

static sq_stmt sq_request_exists =
    SQ_STMT("SELECT 1 FROM requests WHERE id = ?2 AND tenant_id = ?1");

int store_sqlite_tx_request_support(store *s, int64_t tenant_id, int64_t request_id,
                                    const char *const *keys, size_t n_keys, int64_t when,
                                    int *added, error *err)
{
    *added = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (n_keys == 0)
        return error_set(err, ERR_MISSING_ARG, "supporter", "supporter key is required");
    for (size_t i = 0; i < n_keys; i++)
        if (!keys[i] || !*keys[i])
            return error_set(err, ERR_MISSING_ARG, "supporter", "supporter key is required");
    size_t fresh = 0;
    for (size_t i = 0; i < n_keys; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_support_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, request_id);
        sqlite3_bind_text(st, 3, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, store_sqlite_now_or(when));
        if (store_sqlite_run_write(c, st, NULL, "request_support", err) != 0)
            return -1;
        fresh += sqlite3_changes(c->db) == 1;
    }
    if (fresh == n_keys) {
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_support_bump, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, request_id);
        if (store_sqlite_run_write(c, st, NULL, "request_support", err) != 0)
            return -1;
        *added = 1;
        return 0;
    }
    if (fresh > 0)
        return 0; /* some key was new: the request exists */
    /* Nothing added: a repeat from the same supporter, or no such request in this tenant. */
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_exists, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc == SQLITE_DONE)
        return error_set(err, ERR_NOT_FOUND, NULL, "request not found");
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(c->db, rc, "request_support", err);
    return 0;
}

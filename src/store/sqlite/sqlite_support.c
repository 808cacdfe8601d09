/*
 * sqlite_support — «moi aussi»: the supporter keys of a request (request_supports) and its
 * supporters count, bumped only for a supporter none of whose keys was known; and what a
 * merge carries over from a duplicate to the request it is merged into.
 */
#include "store/sqlite/sq.h"

/* Only for a request of that tenant; an existing (request, key) pair is left alone. */
static sq_stmt sq_support_insert =
    SQ_STMT("INSERT OR IGNORE INTO request_supports (tenant_id, request_id, "
            "supporter_key, created_at, supporter) SELECT tenant_id, id, ?3, ?4, ?5 FROM "
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
    /* The keys of this one supporter, marked alike (a merge counts them once). */
    sqlite3_int64 supporter = 0;
    sqlite3_randomness(sizeof supporter, &supporter);
    size_t fresh = 0;
    for (size_t i = 0; i < n_keys; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_support_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, request_id);
        sqlite3_bind_text(st, 3, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, store_sqlite_now_or(when));
        sqlite3_bind_int64(st, 5, supporter);
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

/* The duplicate's supporters (keys recorded by one «moi aussi»; before migration 9, in the
 * same second) none of whose keys already supports the survivor, capped by the duplicate's
 * own count. */
static sq_stmt sq_support_fresh_groups = SQ_STMT(
    "SELECT min(count(*), (SELECT supporters FROM requests WHERE id = ?2 AND tenant_id = ?1)) "
    "FROM (SELECT d.created_at FROM request_supports d WHERE d.request_id = ?2 AND "
    "d.tenant_id = ?1 GROUP BY coalesce(d.supporter, d.created_at) HAVING sum(EXISTS (SELECT 1 "
    "FROM request_supports "
    "v WHERE v.request_id = ?3 AND v.supporter_key = d.supporter_key)) = 0)");

static sq_stmt sq_support_copy =
    SQ_STMT("INSERT OR IGNORE INTO request_supports (tenant_id, request_id, supporter_key, "
            "created_at, supporter) SELECT tenant_id, ?3, supporter_key, created_at, supporter "
            "FROM request_supports WHERE request_id = ?2 AND tenant_id = ?1");

static sq_stmt sq_support_add =
    SQ_STMT("UPDATE requests SET supporters = supporters + ?3 WHERE id = ?2 AND tenant_id = ?1");

int store_sqlite_tx_request_support_copy(store *s, int64_t tenant_id, int64_t from_id,
                                         int64_t to_id, int *added, error *err)
{
    *added = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    /* Counted before the copy: afterwards every key of the duplicate supports the survivor. */
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_support_fresh_groups, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, from_id);
    sqlite3_bind_int64(st, 3, to_id);
    int rc = sqlite3_step(st);
    int fresh = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    store_sqlite_done(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(c->db, rc, "request_support_copy", err);
    if (!(st = store_sqlite_stmt(c, &sq_support_copy, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, from_id);
    sqlite3_bind_int64(st, 3, to_id);
    if (store_sqlite_run_write(c, st, NULL, "request_support_copy", err) != 0)
        return -1;
    if (fresh > 0) {
        if (!(st = store_sqlite_stmt(c, &sq_support_add, err)))
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, to_id);
        sqlite3_bind_int(st, 3, fresh);
        if (store_sqlite_run_write(c, st, NULL, "request_support_copy", err) != 0)
            return -1;
    }
    *added = fresh;
    return 0;
}

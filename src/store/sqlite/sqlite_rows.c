/*
 * sqlite_rows — what every table file shares to bind, step and read: binding helpers, the
 * row loop that reads one row or every row into an arena array through a row reader, and
 * the runs of write statements (with a RETURNING id, or one that must touch a row).
 */
#include "store/sqlite/sq.h"

#include <string.h>

int store_sqlite_oom(error *err)
{
    return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory (arena full)");
}

void store_sqlite_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int store_sqlite_bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

const char *store_sqlite_col_text(sqlite3_stmt *st, int i, arena *a, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *p = arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
    if (!p)
        *oom = 1;
    return p;
}

void *store_sqlite_grow(arena *a, void *arr, size_t *cap, size_t n, size_t size)
{
    if (arr && n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap < n + 1)
        ncap = n + 1;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, ncap * size);
    if (!p)
        return NULL;
    /* n is the count needed, not the count held: never copy past the old capacity. */
    size_t keep = n < *cap ? n : *cap;
    if (arr && keep)
        memcpy(p, arr, keep * size);
    *cap = ncap;
    return p;
}

/* Steps a statement whose parameters are bound, reading at most one row into out. */
int store_sqlite_read_one(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, void *out, int *found, const char *what, error *err)
{
    *found = 0;
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        ret = rd(st, a, out) == 0 ? 0 : store_sqlite_oom(err);
        *found = ret == 0;
    } else if (rc != SQLITE_DONE) {
        ret = store_sqlite_fail(c->db, rc, what, err);
    }
    store_sqlite_done(st);
    return ret;
}

/* Steps a statement whose parameters are bound, reading every row into an arena array of
 * elements of `size` bytes. */
int store_sqlite_read_all(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, size_t size, void **out, size_t *n, const char *what,
                          error *err)
{
    size_t cap = 0, count = 0;
    char *arr = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *grown = store_sqlite_grow(a, arr, &cap, count, size);
        if (!grown) {
            ret = store_sqlite_oom(err);
            break;
        }
        arr = grown;
        memset(arr + count * size, 0, size);
        if (rd(st, a, arr + count * size) != 0) {
            ret = store_sqlite_oom(err);
            break;
        }
        count++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, what, err);
    store_sqlite_done(st);
    if (ret == 0) {
        *out = arr;
        *n = count;
    }
    return ret;
}

int store_sqlite_read_int64(sqlite3_stmt *st, arena *a, void *out)
{
    (void)a;
    *(int64_t *)out = sqlite3_column_int64(st, 0);
    return 0;
}

/* Runs a one-column, at-most-one-row statement whose parameters are already bound; *value
 * NULL when there is no row or the value is NULL. */
int store_sqlite_read_text(store_sqlite_conn *c, sqlite3_stmt *st, arena *a, const char **value,
                           const char *what, error *err)
{
    int rc = sqlite3_step(st), ret = 0, oom = 0;
    if (rc == SQLITE_ROW) {
        *value = store_sqlite_col_text(st, 0, a, &oom);
        if (oom)
            ret = store_sqlite_oom(err);
    } else if (rc != SQLITE_DONE) {
        ret = store_sqlite_fail(c->db, rc, what, err);
    }
    store_sqlite_done(st);
    return ret;
}

int store_sqlite_run_write(store_sqlite_conn *c, sqlite3_stmt *st, int64_t *id_out,
                           const char *what, error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (id_out)
            *id_out = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, what, err);
    return 0;
}

/* A write that must touch a row: ERR_NOT_FOUND when it changed none. */
int store_sqlite_run_update(store_sqlite_conn *c, sqlite3_stmt *st, const char *what,
                            const char *missing, error *err)
{
    if (store_sqlite_run_write(c, st, NULL, what, err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "%s not found", missing);
    return 0;
}

int store_sqlite_exec_stmt(store_sqlite_conn *c, sq_stmt *id, const char *what, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id, err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, what, err);
    return 0;
}

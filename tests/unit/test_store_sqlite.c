/*
 * test_store_sqlite — what the SQLite backend's table files share, below the store
 * interface: the statement cache keyed by a sq_stmt's slot (one slot per statement, the same
 * on every connection, one prepare per connection), the row loop (read_one, read_all through
 * a row reader, growing the arena array, failing cleanly when the arena is full), and the
 * one waiter (store_waiter) that store_write_sync and core's synchronous forms share.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite/sq.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    store *s;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/guichet-sq-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/g.db", fx->dir);
    error err;
    fx->s = store_sqlite_open(fx->path, &err);
    if (!fx->s || fx->s->ops->migrate(fx->s, &err) != 0)
        return -1;
    /* A table of its own on the writer connection, outside any job: rows for the loop. */
    store_sqlite_store *sq = (store_sqlite_store *)fx->s;
    if (sqlite3_exec(sq->wconn->db,
                     "CREATE TABLE t (x INTEGER NOT NULL, label TEXT);"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
                     " INSERT INTO t SELECT i, 'row ' || i FROM n;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    char p[160];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static sq_stmt sq_t_all = SQ_STMT("SELECT x, label FROM t WHERE x <= ?1 ORDER BY x");
static sq_stmt sq_t_one = SQ_STMT("SELECT x, label FROM t WHERE x = ?1");

typedef struct row {
    int64_t x;
    const char *label;
} row;

static int read_row(sqlite3_stmt *st, arena *a, void *p)
{
    row *r = p;
    int oom = 0;
    r->x = sqlite3_column_int64(st, 0);
    r->label = store_sqlite_col_text(st, 1, a, &oom);
    return oom ? -1 : 0;
}

typedef struct other_thread {
    store *s;
    sqlite3_stmt *st;
    unsigned slot;
} other_thread;

static void *prepare_elsewhere(void *arg)
{
    other_thread *o = arg;
    error err;
    store_sqlite_conn *c = store_sqlite_reader(o->s, &err);
    o->st = c ? store_sqlite_stmt(c, &sq_t_one, &err) : NULL;
    o->slot = atomic_load(&sq_t_one.slot);
    return NULL;
}

/* A statement gets one slot on first use; the same slot on every connection, each with its
 * own prepared statement, kept for the next call; two statements never share a slot. */
static void test_statement_slots(void **state)
{
    fixture *fx = *state;
    error err;
    store_sqlite_conn *c = store_sqlite_reader(fx->s, &err);
    assert_non_null(c);
    sqlite3_stmt *first = store_sqlite_stmt(c, &sq_t_one, &err);
    assert_non_null(first);
    unsigned slot = atomic_load(&sq_t_one.slot);
    assert_true(slot > 0 && slot < SQ_MAX_STMTS);
    assert_ptr_equal(c->stmts[slot], first);
    assert_ptr_equal(store_sqlite_stmt(c, &sq_t_one, &err), first);
    assert_int_equal(atomic_load(&sq_t_one.slot), slot);

    assert_non_null(store_sqlite_stmt(c, &sq_t_all, &err));
    unsigned slot_all = atomic_load(&sq_t_all.slot);
    assert_true(slot_all > 0);
    assert_int_not_equal(slot_all, slot);

    other_thread o = {.s = fx->s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, prepare_elsewhere, &o), 0);
    pthread_join(th, NULL);
    assert_non_null(o.st);
    assert_ptr_not_equal(o.st, first); /* another connection, its own statement */
    assert_int_equal(o.slot, slot);

    /* A statement that does not prepare leaves the slot empty and says why. */
    static sq_stmt bad = SQ_STMT("SELECT nothing FROM no_such_table");
    error_clear(&err);
    assert_null(store_sqlite_stmt(c, &bad, &err));
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_null(c->stmts[atomic_load(&bad.slot)]);
}

/* read_all grows its array past the first capacity and reads every row in order; read_one
 * reads one row or says there is none; both leave the statement reset. */
static void test_row_loop(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    store_sqlite_conn *c = store_sqlite_reader(fx->s, &err);
    assert_non_null(c);
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_t_all, &err);
    assert_non_null(st);
    sqlite3_bind_int64(st, 1, 100);
    row *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        store_sqlite_read_all(c, st, read_row, &a, sizeof *rows, (void **)&rows, &n, "t", &err), 0);
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "row %zu", i + 1);
        assert_int_equal(rows[i].x, (int64_t)i + 1);
        assert_string_equal(rows[i].label, want);
    }
    assert_int_equal(sqlite3_stmt_busy(st), 0);

    /* No row: an empty result, not an error. */
    sqlite3_bind_int64(st, 1, 0);
    rows = NULL;
    n = 7;
    assert_int_equal(
        store_sqlite_read_all(c, st, read_row, &a, sizeof *rows, (void **)&rows, &n, "t", &err), 0);
    assert_int_equal(n, 0);

    sqlite3_stmt *one = store_sqlite_stmt(c, &sq_t_one, &err);
    row r;
    memset(&r, 0, sizeof r);
    int found = 0;
    sqlite3_bind_int64(one, 1, 42);
    assert_int_equal(store_sqlite_read_one(c, one, read_row, &a, &r, &found, "t", &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.x, 42);
    assert_string_equal(r.label, "row 42");
    sqlite3_bind_int64(one, 1, 1000);
    assert_int_equal(store_sqlite_read_one(c, one, read_row, &a, &r, &found, "t", &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(sqlite3_stmt_busy(one), 0);

    /* Ids through the shared integer reader. */
    int64_t *ids = NULL;
    sqlite3_bind_int64(st, 1, 3);
    assert_int_equal(store_sqlite_read_all(c, st, store_sqlite_read_int64, &a, sizeof *ids,
                                           (void **)&ids, &n, "t", &err),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[2], 3);
    arena_free(&a);
}

/* A full arena is ERR_UNAVAILABLE, nothing is handed out, and the statement is reset so that
 * the connection holds no read snapshot. */
static void test_row_loop_arena_full(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 512);
    store_sqlite_conn *c = store_sqlite_reader(fx->s, &err);
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_t_all, &err);
    sqlite3_bind_int64(st, 1, 100);
    row *rows = NULL;
    size_t n = 0;
    error_clear(&err);
    assert_int_equal(
        store_sqlite_read_all(c, st, read_row, &a, sizeof *rows, (void **)&rows, &n, "t", &err),
        -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_int_equal(sqlite3_stmt_busy(st), 0);
    arena_free(&a);
}

typedef struct waiter_call {
    store_waiter *w;
    int rc;
} waiter_call;

static void *finish_later(void *arg)
{
    waiter_call *wc = arg;
    usleep(1000); /* let the waiter block first (the outcome is the same either way) */
    error e;
    error_clear(&e);
    if (wc->rc != 0)
        error_set(&e, ERR_CONFLICT, "field", "taken");
    store_waiter_done(wc->w, wc->rc, wc->rc ? &e : NULL);
    return NULL;
}

/* The waiter returns the outcome given from another thread, with its error copied. */
static void test_waiter(void **state)
{
    (void)state;
    for (int rc = 0; rc >= -1; rc--) {
        store_waiter w;
        store_waiter_init(&w);
        waiter_call wc = {.w = &w, .rc = rc};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, finish_later, &wc), 0);
        error err;
        error_clear(&err);
        assert_int_equal(store_waiter_wait(&w, &err), rc);
        pthread_join(th, NULL);
        if (rc) {
            assert_int_equal(err.code, ERR_CONFLICT);
            assert_string_equal(err.arg, "field");
        } else {
            assert_int_equal(err.code, ERR_NONE);
        }
    }
}

static int failing_apply(store *s, void *arg, error *err)
{
    (void)s;
    (void)arg;
    return error_set(err, ERR_NOT_FOUND, "thing", "no such thing");
}

/* store_write_sync waits through the same waiter: a job's error reaches the caller. */
static void test_write_sync_error(void **state)
{
    fixture *fx = *state;
    error err;
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, failing_apply, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_string_equal(err.arg, "thing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_statement_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_loop_arena_full, setup, teardown),
        cmocka_unit_test(test_waiter),
        cmocka_unit_test_setup_teardown(test_write_sync_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

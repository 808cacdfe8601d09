/*
 * sqlite_tx — transactions of the writer connection, for the generic group-commit writer
 * (store.c): one IMMEDIATE transaction per batch, one savepoint per job.
 */
#include "store/sqlite/sq.h"

#include <pthread.h>

#include "util/log.h"

static sq_stmt sq_begin_immediate = SQ_STMT("BEGIN IMMEDIATE");

/* Takes the writer connection for this thread and begins an IMMEDIATE transaction, so that
 * a concurrent writer in another process shows up here (busy, after busy_timeout) rather
 * than in the middle of a job. */
static int store_sqlite_tx_begin(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    pthread_mutex_lock(&s->write_mu);
    if (store_sqlite_exec_stmt(s->wconn, &sq_begin_immediate, "begin", err) != 0) {
        pthread_mutex_unlock(&s->write_mu);
        return -1;
    }
    store_sqlite_tx_owner = s;
    return 0;
}

static void tx_end(store_sqlite_store *s)
{
    store_sqlite_tx_owner = NULL;
    pthread_mutex_unlock(&s->write_mu);
}

sq_stmt store_sqlite_commit = SQ_STMT("COMMIT");

/* On failure the transaction stays open (unless SQLite already rolled it back) and the
 * caller must call tx_rollback, which ends it and releases the writer connection. */
static int store_sqlite_tx_commit(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return error_set(err, ERR_UNAVAILABLE, NULL,
                         "commit: the transaction was rolled back by an earlier error");
    if (store_sqlite_exec_stmt(s->wconn, &store_sqlite_commit, "commit", err) != 0)
        return -1;
    tx_end(s);
    return 0;
}

sq_stmt store_sqlite_rollback = SQ_STMT("ROLLBACK");

static void store_sqlite_tx_rollback(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (!sqlite3_get_autocommit(s->wconn->db)) {
        error e;
        if (store_sqlite_exec_stmt(s->wconn, &store_sqlite_rollback, "rollback", &e) != 0)
            log_error("store: rollback failed: %s", e.detail);
    }
    tx_end(s);
}

static sq_stmt sq_savepoint = SQ_STMT("SAVEPOINT job");

/* Refuses to start a savepoint when SQLite has already rolled the whole transaction back
 * (after an I/O error or a full disk): outside a transaction, SAVEPOINT would silently start
 * and RELEASE commit a new one, and the job would be reported failed yet be durable. */
static int store_sqlite_tx_savepoint(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return error_set(err, ERR_UNAVAILABLE, NULL,
                         "savepoint: the transaction was rolled back by an earlier error");
    return store_sqlite_exec_stmt(s->wconn, &sq_savepoint, "savepoint", err);
}

static sq_stmt sq_release = SQ_STMT("RELEASE job");

static int store_sqlite_tx_release(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    return store_sqlite_exec_stmt(s->wconn, &sq_release, "release", err);
}

static sq_stmt sq_rollback_to = SQ_STMT("ROLLBACK TO job");

/* Undoes the job's changes and also releases the savepoint, so that the next job starts
 * from the same nesting level. */
static void store_sqlite_tx_rollback_to(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return;
    error e;
    if (store_sqlite_exec_stmt(s->wconn, &sq_rollback_to, "rollback to", &e) != 0 ||
        store_sqlite_exec_stmt(s->wconn, &sq_release, "release", &e) != 0)
        log_error("store: rollback to savepoint failed: %s", e.detail);
}

const store_tx_ops store_sqlite_tx_ops = {
    .begin = store_sqlite_tx_begin,
    .commit = store_sqlite_tx_commit,
    .rollback = store_sqlite_tx_rollback,
    .savepoint = store_sqlite_tx_savepoint,
    .release = store_sqlite_tx_release,
    .rollback_to = store_sqlite_tx_rollback_to,
};

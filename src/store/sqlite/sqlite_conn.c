/*
 * sqlite_conn — the SQLite backend's connections: the writer connection and one read
 * connection per thread, each with its cache of prepared statements, and the mapping of
 * SQLite result codes to guichet errors.
 */
#include "store/sqlite/sq.h"
#include "util/collate.h"
#include "util/phone.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* The store whose write transaction this thread holds, if any: reads made by a job's apply()
 * then go to the writer connection and see the job's own uncommitted changes. */
_Thread_local store_sqlite_store *store_sqlite_tx_owner;

int store_sqlite_fail(sqlite3 *db, int rc, const char *what, error *err)
{
    const char *w = what ? what : "sqlite";
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
        return error_set(err, ERR_UNAVAILABLE, NULL, "%s: %s", w, sqlite3_errstr(rc));
    case SQLITE_CONSTRAINT:
        /* SQLite's constraint messages name tables and columns, never the values. */
        return error_set(err, ERR_CONFLICT, NULL, "%s: %s", w,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    default:
        log_error("store: %s: %s (%d)", w, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
        return error_set(err, ERR_INTERNAL, NULL, "%s: %s", w, sqlite3_errstr(rc));
    }
}

/* Gives def its cache slot, once for the process: the next free one. Taken on a statement's
 * first use only, so the lock is never on the way of a cached statement. */
static unsigned give_slot(sq_stmt *def, error *err)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static unsigned next = 1; /* under mu; slot 0 means "not given" */
    pthread_mutex_lock(&mu);
    unsigned slot = atomic_load_explicit(&def->slot, memory_order_relaxed);
    if (!slot && next < SQ_MAX_STMTS) {
        slot = next++;
        atomic_store_explicit(&def->slot, slot, memory_order_release);
    }
    pthread_mutex_unlock(&mu);
    if (!slot)
        error_set(err, ERR_INTERNAL, NULL, "statement cache full: raise SQ_MAX_STMTS");
    return slot;
}

sqlite3_stmt *store_sqlite_stmt(store_sqlite_conn *c, sq_stmt *def, error *err)
{
    unsigned slot = atomic_load_explicit(&def->slot, memory_order_acquire);
    if (slot && c->stmts[slot])
        return c->stmts[slot];
    if (!slot && !(slot = give_slot(def, err)))
        return NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, def->sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        store_sqlite_fail(c->db, rc, "prepare", err);
        return NULL;
    }
    c->stmts[slot] = st;
    return st;
}

sqlite3_stmt *store_sqlite_stmt_dyn(store_sqlite_conn *c, const char *sql, error *err)
{
    for (unsigned i = 0; i < SQ_DYN_CACHE; i++)
        if (c->dyn[i].sql && strcmp(c->dyn[i].sql, sql) == 0)
            return c->dyn[i].stmt;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        store_sqlite_fail(c->db, rc, "prepare", err);
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    unsigned slot = c->dyn_next++ % SQ_DYN_CACHE;
    sqlite3_finalize(c->dyn[slot].stmt);
    free(c->dyn[slot].sql);
    c->dyn[slot].sql = copy;
    c->dyn[slot].stmt = st;
    return st;
}

void store_sqlite_conn_close(store_sqlite_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ_MAX_STMTS; i++)
        sqlite3_finalize(c->stmts[i]);
    for (unsigned i = 0; i < SQ_DYN_CACHE; i++) {
        sqlite3_finalize(c->dyn[i].stmt);
        free(c->dyn[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

static int sqlite_collate_fr(void *unused, int an, const void *a, int bn, const void *b)
{
    (void)unused;
    return collate_fr(a, (size_t)an, b, (size_t)bn);
}

/* phone_e164(x): x in E.164 (util/phone) when it reads as a phone number, x itself otherwise
 * (NULL stays NULL). For the migration that converted the numbers stored before
 * normalisation, so that SQL and C read a number one way. */
static void sqlite_phone_e164(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *v = sqlite3_value_text(argv[0]);
    if (!v) {
        sqlite3_result_null(ctx);
        return;
    }
    char out[PHONE_E164_MAX];
    phone_result r;
    if (phone_e164((const char *)v, out, &r) == 0)
        sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_value(ctx, argv[0]);
}

/* Opens a connection with the pragmas every connection needs; the writer also sets the
 * database-wide ones (WAL) and the durability ones. */
store_sqlite_conn *store_sqlite_conn_open(store_sqlite_store *s, int writer, error *err)
{
    store_sqlite_conn *c = calloc(1, sizeof *c);
    if (!c) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    c->owner = s;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (writer)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(c->db, rc, "open", err);
        goto cleanup;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->busy_timeout_ms);
    /* French order for lists of names (ORDER BY name COLLATE FR): util/collate.c. Only in
     * queries, never in the schema, so that the sqlite3 shell still opens the database. */
    rc = sqlite3_create_collation_v2(c->db, "FR", SQLITE_UTF8, NULL, sqlite_collate_fr, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(c->db, rc, "collation", err);
        goto cleanup;
    }
    if (writer) {
        rc = sqlite3_create_function_v2(c->db, "phone_e164", 1,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                        sqlite_phone_e164, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(c->db, rc, "function", err);
            goto cleanup;
        }
    }
    /* The writer gets the larger page cache: index pages it updates stay in memory between
     * batches. No memory map: remapping a growing file costs TLB shootdowns on every core,
     * and measured reads were no faster with it. */
    /* secure_delete: what a deletion or an anonymisation removes is overwritten with zeros
     * in the file, not merely unlinked from the b-tree (every write goes through the
     * writer, so the read connections need not set it). */
    const char *pragmas = writer ? "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
                                   "PRAGMA cache_size = -32768; PRAGMA secure_delete = ON;"
                                 /* a read connection must never write by mistake */
                                 : "PRAGMA foreign_keys = ON; PRAGMA query_only = ON;"
                                   "PRAGMA cache_size = -8192;";
    rc = sqlite3_exec(c->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(c->db, rc, "pragma", err);
        goto cleanup;
    }
    if (writer) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            if (!mode || strcmp((const char *)mode, "wal") != 0)
                log_warn("store: journal_mode is %s, not wal", mode ? (const char *)mode : "?");
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(c->db, rc, "journal_mode", err);
            goto cleanup;
        }
    }
    return c;
cleanup:
    store_sqlite_conn_close(c);
    return NULL;
}

/* Runs when a thread that read through a store exits: its connection goes with it. */
void store_sqlite_reader_destroy(void *p)
{
    store_sqlite_conn *c = p;
    if (!c)
        return;
    store_sqlite_store *s = c->owner;
    pthread_mutex_lock(&s->readers_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->readers = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&s->readers_mu);
    store_sqlite_conn_close(c);
}

store_sqlite_conn *store_sqlite_read_conn(store_sqlite_store *s, error *err)
{
    if (store_sqlite_tx_owner == s)
        return s->wconn;
    store_sqlite_conn *c = pthread_getspecific(s->read_key);
    if (c)
        return c;
    c = store_sqlite_conn_open(s, 0, err);
    if (!c)
        return NULL;
    if (pthread_setspecific(s->read_key, c) != 0) {
        store_sqlite_conn_close(c);
        error_set(err, ERR_UNAVAILABLE, NULL, "pthread_setspecific failed");
        return NULL;
    }
    pthread_mutex_lock(&s->readers_mu);
    c->next = s->readers;
    if (s->readers)
        s->readers->prev = c;
    s->readers = c;
    pthread_mutex_unlock(&s->readers_mu);
    return c;
}

store_sqlite_conn *store_sqlite_write_conn(store_sqlite_store *s, error *err)
{
    if (store_sqlite_tx_owner != s) {
        error_set(err, ERR_INTERNAL, NULL, "store write outside a write job");
        return NULL;
    }
    return s->wconn;
}

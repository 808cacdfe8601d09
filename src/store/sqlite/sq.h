/*
 * sq — private to the SQLite backend: the backend's store struct, its connections (one writer
 * connection, one read connection per thread) with their prepared-statement caches, and what
 * the table files (sqlite_<table>.c, each with its SQL, binding and row reader side by side)
 * share. Nothing outside src/store/sqlite/ includes this header.
 */
#ifndef GUICHET_STORE_SQ_H
#define GUICHET_STORE_SQ_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>

#include "store/store.h"

/* ---- statements ---- */

/* A statement of the backend, defined beside the code that binds it and reads its rows
 * (static sq_stmt NAME = SQ_STMT("SELECT ...")). Each is prepared once per connection and
 * kept in the connection's cache at `slot`, a number given on first use and the same on
 * every connection: finding a prepared statement is one array index, as with a fixed enum,
 * without a central list of every statement of every table. */
typedef struct sq_stmt {
    const char *sql;
    _Atomic unsigned slot; /* 0: not given yet (store_sqlite_stmt gives it) */
} sq_stmt;

#define SQ_STMT(text)                                                                              \
    {                                                                                              \
        .sql = (text), .slot = 0                                                                   \
    }

/* Room in each connection's cache (a pointer each); the backend has about 220 statements, and
 * the channels, documents and signature modules will add theirs. A new statement past it is
 * refused (ERR_INTERNAL, «raise SQ_MAX_STMTS») rather than prepared each time. */
#define SQ_MAX_STMTS 512

/* Statements whose text depends on a filter's shape (request_search): a few kept per
 * connection, keyed by their text, so that repeated list queries skip the prepare. */
#define SQ_DYN_CACHE 8

typedef struct store_sqlite_store store_sqlite_store;

typedef struct store_sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_MAX_STMTS]; /* by sq_stmt slot; owned, finalized at close */
    struct {
        char *sql; /* malloc'd */
        sqlite3_stmt *stmt;
    } dyn[SQ_DYN_CACHE];
    unsigned dyn_next; /* slot replaced on the next miss */
    store_sqlite_store *owner;
    struct store_sqlite_conn *prev, *next; /* in owner->readers, under owner->readers_mu */
} store_sqlite_conn;

struct store_sqlite_store {
    store base; /* first: a store * is a store_sqlite_store * */
    char *path;
    int busy_timeout_ms;
    /* The writer connection, used by one thread at a time: the one holding write_mu, which is
     * taken by tx_begin and by migrate and released when the transaction ends. */
    store_sqlite_conn *wconn;
    pthread_mutex_t write_mu;
    /* Read connections, one per thread that read through this store. */
    pthread_key_t read_key;
    pthread_mutex_t readers_mu;
    store_sqlite_conn *readers;
};

/* ---- connections (sqlite_conn.c) ---- */

/* The store whose write transaction this thread holds, if any (set by sqlite_tx.c): reads
 * made by a job's apply() then go to the writer connection and see the job's own
 * uncommitted changes. */
extern _Thread_local store_sqlite_store *store_sqlite_tx_owner;

/* Opens a connection with the pragmas every connection needs; the writer (writer 1) also
 * sets the database-wide ones (WAL) and the durability ones. NULL and err filled on
 * failure; caller frees with store_sqlite_conn_close. */
store_sqlite_conn *store_sqlite_conn_open(store_sqlite_store *s, int writer, error *err);
/* Finalizes the cached statements and closes; c may be NULL. */
void store_sqlite_conn_close(store_sqlite_conn *c);
/* The destructor of s->read_key: a thread that read through a store exits, its connection
 * goes with it. */
void store_sqlite_reader_destroy(void *conn);

/* The connection reads should use on this thread: the writer connection when this thread is
 * inside a write transaction of s (so that a job sees its own changes), otherwise this
 * thread's read connection, opened on first use. NULL and err filled on failure. */
store_sqlite_conn *store_sqlite_read_conn(store_sqlite_store *s, error *err);
/* The writer connection when this thread holds s's write transaction; NULL and an
 * ERR_INTERNAL error otherwise (a write called outside a job). */
store_sqlite_conn *store_sqlite_write_conn(store_sqlite_store *s, error *err);

static inline store_sqlite_conn *store_sqlite_reader(store *s, error *err)
{
    return store_sqlite_read_conn((store_sqlite_store *)s, err);
}

static inline store_sqlite_conn *store_sqlite_writer(store *s, error *err)
{
    return store_sqlite_write_conn((store_sqlite_store *)s, err);
}

/* The cached statement `def` of c, prepared on first use. Reset it with store_sqlite_done. */
sqlite3_stmt *store_sqlite_stmt(store_sqlite_conn *c, sq_stmt *def, error *err);
/* A cached statement for dynamic text `sql` (built from fixed fragments only). */
sqlite3_stmt *store_sqlite_stmt_dyn(store_sqlite_conn *c, const char *sql, error *err);

/* Fills err from a SQLite result code (busy/full/IO -> ERR_UNAVAILABLE, constraint ->
 * ERR_CONFLICT, other -> ERR_INTERNAL) and returns -1. `what` names the operation. */
int store_sqlite_fail(sqlite3 *db, int rc, const char *what, error *err);

/* ---- binding, stepping, reading rows (sqlite_rows.c) ---- */

/* Fills err for a full arena (ERR_UNAVAILABLE) and returns -1. */
int store_sqlite_oom(error *err);
/* Resets a statement and clears its bindings so that it holds no read snapshot. */
void store_sqlite_done(sqlite3_stmt *st);

/* Binding helpers: NULL text and 0 ids become SQL NULL. */
int store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);
int store_sqlite_bind_id(sqlite3_stmt *st, int i, int64_t v);

/* Column helpers: text copied into a (NULL for SQL NULL); *oom set when the arena is full. */
const char *store_sqlite_col_text(sqlite3_stmt *st, int i, arena *a, int *oom);

/* Grows an arena array of elements of `size` bytes so that it holds at least n+1; returns the
 * (possibly moved) array or NULL when out of memory. */
void *store_sqlite_grow(arena *a, void *arr, size_t *cap, size_t n, size_t size);

/* Reads the current row of a statement into a record (strings in a); -1 when the arena is
 * full. Each table file defines its readers beside the column list they read. */
typedef int (*store_sqlite_row_reader)(sqlite3_stmt *st, arena *a, void *out);
/* The row loop, for statements whose parameters are bound; both reset the statement.
 * read_one reads at most one row into out (*found 0: none); read_all reads every row into
 * an arena array of elements of `size` bytes, each zeroed before it is read. */
int store_sqlite_read_one(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, void *out, int *found, const char *what, error *err);
int store_sqlite_read_all(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, size_t size, void **out, size_t *n, const char *what,
                          error *err);
/* The row reader of a one-column integer row (ids): into an int64_t. */
int store_sqlite_read_int64(sqlite3_stmt *st, arena *a, void *out);
/* Runs a one-column, at-most-one-row statement whose parameters are bound; *value NULL when
 * there is no row or the value is NULL (text in a). */
int store_sqlite_read_text(store_sqlite_conn *c, sqlite3_stmt *st, arena *a, const char **value,
                           const char *what, error *err);

/* Steps a write statement to completion; with `id_out`, reads the one RETURNING id row. */
int store_sqlite_run_write(store_sqlite_conn *c, sqlite3_stmt *st, int64_t *id_out,
                           const char *what, error *err);
/* A write that must touch a row: ERR_NOT_FOUND ("<missing> not found") when it changed none. */
int store_sqlite_run_update(store_sqlite_conn *c, sqlite3_stmt *st, const char *what,
                            const char *missing, error *err);
/* Runs a statement without parameters that returns no row (or whose rows are ignored). */
int store_sqlite_exec_stmt(store_sqlite_conn *c, sq_stmt *def, const char *what, error *err);

/* A record's creation time: t, or now when the caller left it 0. */
static inline int64_t store_sqlite_now_or(int64_t t)
{
    return t ? t : (int64_t)time(NULL);
}

/* ---- what the table files share ---- */

/* COMMIT and ROLLBACK (sqlite_tx.c), also ending the catalogue's read transaction. */
extern sq_stmt store_sqlite_commit, store_sqlite_rollback;

/* Fills out from the current row of a statement selecting SQ_REQUEST_COLUMNS (in
 * sqlite_requests.c); a store_sqlite_row_reader. */
#define SQ_REQUEST_COLUMNS                                                                         \
    "r.id, r.tenant_id, r.reference, r.token_hash, r.procedure_id, r.status, r.channel, "          \
    "r.description, r.lat, r.lon, r.address, r.address_id, r.zipcode, r.attributes, "              \
    "r.first_name, r.last_name, r.email, r.phone, r.device_id, r.account_id, r.media_url, "        \
    "r.department_id, r.assignee, r.priority, r.status_notes, r.created_at, r.updated_at, "        \
    "r.closed_at, r.due_at, r.api_key_id, r.citizen_id, r.notify, r.is_public, r.rating, "         \
    "r.rating_comment, r.supporters, r.anonymised_at, r.erase_requested_at, r.lang, "              \
    "r.merged_into, CASE WHEN r.merged_into IS NOT NULL THEN (SELECT mi.reference FROM "           \
    "requests mi WHERE mi.id = r.merged_into) END, r.short_code_hash, r.public_description, "      \
    "r.procedure_version"
int store_sqlite_read_request(sqlite3_stmt *st, arena *a, void *out);

/* Fills out (a store_workflow_timeout) from the current row of a statement selecting
 * SQ_TIMEOUT_COLUMNS of workflow_timeouts (in sqlite_catalogue.c). */
#define SQ_TIMEOUT_COLUMNS                                                                         \
    "workflow_id, status_code, position, delay, unit, kind, target, meaning, whom, repeat_days, "  \
    "repeat_times, warn_before"
int store_sqlite_read_workflow_timeout(sqlite3_stmt *st, arena *a, void *out);

/* Fills out (a store_webhook) from the current row of a statement selecting id, tenant_id,
 * url, events, secret, active, created_at of webhooks (in sqlite_jobs.c). */
int store_sqlite_read_webhook(sqlite3_stmt *st, arena *a, void *out);

/* Operations of the requests table defined in their own files (its table is in
 * sqlite_requests.c): the filtered search (sqlite_request_search.c) and «moi aussi»
 * (sqlite_support.c). */
int store_sqlite_request_search(store *s, const store_request_filter *f, arena *a,
                                store_request **out, size_t *n, error *err);
int store_sqlite_request_count(store *s, const store_request_filter *f, int64_t *count, error *err);
int store_sqlite_request_facts(store *s, const store_request_filter *f, int64_t closed_from,
                               int locate,
                               int (*row)(void *ctx, const store_request_fact *fact, error *err),
                               void *ctx, error *err);
int store_sqlite_facts_unlocated(store *s, int64_t tenant_id, size_t max,
                                 int (*row)(void *ctx, const store_request_fact *fact, error *err),
                                 void *ctx, error *err);
int store_sqlite_tx_fact_area_set(store *s, int64_t tenant_id, int64_t created_at,
                                  int64_t request_id, int has, double lat, double lon,
                                  int64_t area_id, int64_t config_version, int *changed,
                                  error *err);
/* The text of the statement request_search (count 0) or request_count (count 1) runs for f,
 * parameters as '?', into out (cap bytes): what the tests give EXPLAIN QUERY PLAN to check
 * which index a filter walks. 0, or -1 (a filter the store refuses, or out too small). */
int store_sqlite_request_sql(const store_request_filter *f, int count, char *out, size_t cap,
                             error *err);
/* The statement of outbox.due (?1 now, ?2 limit, ?3 channel), for the test of its plan. */
extern const char store_sqlite_outbox_due_sql[];

int store_sqlite_tx_request_support(store *s, int64_t tenant_id, int64_t request_id,
                                    const char *const *keys, size_t n_keys, int64_t when,
                                    int *added, error *err);
int store_sqlite_tx_request_support_copy(store *s, int64_t tenant_id, int64_t from_id,
                                         int64_t to_id, int *added, error *err);

/* The migrations embedded in the binary, in order; version i+1 is store_sqlite_migrations[i]
 * (migrations.c; NULL: a number no migration here holds yet), applied by sqlite_migrate.c. */
extern const char *const store_sqlite_migrations[];
extern const int store_sqlite_migration_count;
int store_sqlite_migrate(store *s, error *err);
int store_sqlite_schema_version(store *s, int *version, error *err);

/* ---- the operation table, one area table per file (assembled by sqlite_store.c) ---- */

extern const store_catalogue_ops store_sqlite_catalogue_ops;
extern const store_requests_ops store_sqlite_requests_ops;
extern const store_events_ops store_sqlite_events_ops;
extern const store_attachments_ops store_sqlite_attachments_ops;
extern const store_outbox_ops store_sqlite_outbox_ops;
extern const store_accounts_ops store_sqlite_accounts_ops;
extern const store_sessions_ops store_sqlite_sessions_ops;
extern const store_tokens_ops store_sqlite_tokens_ops;
extern const store_agents_ops store_sqlite_agents_ops;
extern const store_saved_filters_ops store_sqlite_saved_filters_ops;
extern const store_reply_templates_ops store_sqlite_reply_templates_ops;
extern const store_letter_templates_ops store_sqlite_letter_templates_ops;
extern const store_mail_in_ops store_sqlite_mail_in_ops;
extern const store_apikeys_ops store_sqlite_apikeys_ops;
extern const store_trust_anchors_ops store_sqlite_trust_anchors_ops;
extern const store_idempotency_ops store_sqlite_idempotency_ops;
extern const store_settings_ops store_sqlite_settings_ops;
extern const store_mail_ops store_sqlite_mail_ops;
extern const store_sms_ops store_sqlite_sms_ops;
extern const store_code_failures_ops store_sqlite_code_failures_ops;
extern const store_documents_ops store_sqlite_documents_ops;
extern const store_sign_ops store_sqlite_sign_ops;
extern const store_post_ops store_sqlite_post_ops;
extern const store_addresses_ops store_sqlite_addresses_ops;
extern const store_areas_ops store_sqlite_areas_ops;
extern const store_routing_ops store_sqlite_routing_ops;
extern const store_agent_notices_ops store_sqlite_agent_notices_ops;
extern const store_workflows_ops store_sqlite_workflows_ops;
extern const store_audit_ops store_sqlite_audit_ops;
extern const store_retention_ops store_sqlite_retention_ops;
extern const store_disposal_ops store_sqlite_disposal_ops;
extern const store_jobs_ops store_sqlite_jobs_ops;
extern const store_broadcasts_ops store_sqlite_broadcasts_ops;
extern const store_tx_ops store_sqlite_tx_ops;

#endif

/*
 * sq — private to the SQLite backend: the backend's store struct, its connections (one writer
 * connection, one read connection per thread) with their prepared-statement caches, and the
 * helpers shared by the read, write and migration files. Nothing outside src/store/sqlite/
 * includes this header.
 */
#ifndef GUICHET_STORE_SQ_H
#define GUICHET_STORE_SQ_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

/* Statements prepared once per connection and kept for its lifetime. */
typedef enum store_sqlite_stmt_id {
    SQ_BEGIN_IMMEDIATE,
    SQ_BEGIN_READ,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    SQ_CONFIG_VERSION,
    SQ_TENANTS_ALL,
    SQ_DEPARTMENTS_ALL,
    SQ_PROCEDURES_ALL,
    SQ_REQUEST_GET,
    SQ_EVENTS_LIST,
    SQ_EVENTS_LIST_MANY,
    SQ_APIKEY_FIND,
    SQ_APIKEY_LIST,
    SQ_IDEMPOTENCY_FIND,
    SQ_SETTING_GET,
    SQ_REF_NEXT,
    SQ_REF_AT_LEAST,
    SQ_REQUEST_INSERT,
    SQ_REQUEST_UPDATE,
    SQ_EVENT_INSERT,
    SQ_IDEMPOTENCY_INSERT,
    SQ_TENANT_UPSERT,
    SQ_TENANT_HOSTS_CLEAR,
    SQ_TENANT_HOST_OWNER,
    SQ_TENANT_HOST_ADD,
    SQ_DEPARTMENT_UPSERT,
    SQ_PROCEDURE_UPSERT,
    SQ_APIKEY_INSERT,
    SQ_APIKEY_REVOKE,
    SQ_SETTING_SET,
    SQ_SETTING_DELETE,
    /* citizens' portal */
    SQ_ACCOUNT_GET,
    SQ_ACCOUNT_FIND_EMAIL,
    SQ_ACCOUNT_INSERT,
    SQ_ACCOUNT_UPDATE,
    SQ_SESSION_FIND,
    SQ_SESSION_INSERT,
    SQ_SESSION_TOUCH,
    SQ_SESSION_DELETE,
    SQ_SESSION_DELETE_ACCOUNT,
    SQ_TOKEN_INSERT,
    SQ_TOKEN_CONSUME,
    SQ_OUTBOX_INSERT,
    SQ_OUTBOX_DUE,
    SQ_OUTBOX_SENT,
    SQ_OUTBOX_RETRY,
    SQ_OUTBOX_LIST_REQUEST,
    SQ_OUTBOX_LIST_TENANT,
    SQ_ATTACHMENT_INSERT,
    SQ_ATTACHMENT_GET,
    SQ_ATTACHMENTS_LIST,
    SQ_ATTACHMENT_MODERATE,
    SQ_ATTACHMENT_FILE_KNOWN,
    SQ_SUPPORT_INSERT,
    SQ_SUPPORT_BUMP,
    SQ_REQUEST_EXISTS,
    /* back office */
    SQ_AGENT_GET,
    SQ_AGENT_FIND_EMAIL,
    SQ_AGENT_LIST,
    SQ_AGENT_DEPTS,
    SQ_AGENT_DEPTS_TENANT,
    SQ_AGENT_INSERT,
    SQ_AGENT_UPDATE,
    SQ_AGENT_DEPTS_CLEAR,
    SQ_AGENT_DEPT_ADD,
    SQ_DEPARTMENT_OF_TENANT,
    SQ_SESSION_DELETE_AGENT,
    SQ_AUDIT_INSERT,
    SQ_AUDIT_LAST,
    SQ_AUDIT_LIST,
    SQ_AUDIT_PURGE,
    SQ_SAVED_FILTER_LIST,
    SQ_SAVED_FILTER_INSERT,
    SQ_SAVED_FILTER_DELETE,
    SQ_TEMPLATE_LIST,
    SQ_TEMPLATE_UPSERT,
    SQ_TEMPLATE_UPDATE,
    SQ_TEMPLATE_DELETE,
    SQ_REQUEST_SET_PUBLIC,
    SQ_REQUEST_GET_BY_ID,
    SQ_REQUESTS_NEAR,
    /* retention (sqlite_retention.c) */
    SQ_RETENTION_DUE,
    SQ_RETENTION_COUNT,
    SQ_ERASE_DUE,
    SQ_ERASE_COUNT,
    SQ_ANON_REQUEST,
    SQ_ANON_EVENTS,
    SQ_ANON_SUPPORTS,
    SQ_ANON_OUTBOX,
    SQ_ANON_ATTACHMENTS,
    SQ_TENANT_SET_VISA,
    SQ_ACCDEL_EVENTS,
    SQ_ACCDEL_REQUESTS,
    SQ_ACCDEL_TOKENS,
    SQ_ACCDEL_SUPPORT,
    SQ_ACCDEL_OUTBOX,
    SQ_ACCDEL_ACCOUNT,
    SQ_DISPOSAL_INSERT,
    SQ_DISPOSAL_ITEMS_ADD,
    SQ_DISPOSAL_COUNT_SET,
    SQ_DISPOSAL_LIST,
    SQ_DISPOSAL_GET,
    SQ_DISPOSAL_ITEMS,
    SQ_DISPOSAL_APPROVE,
    SQ_DISPOSAL_ITEM_SET,
    SQ_DISPOSAL_FINISH,
    SQ_STMT_COUNT
} store_sqlite_stmt_id;

/* Statements whose text depends on a filter's shape (request_search): a few kept per
 * connection, keyed by their text, so that repeated list queries skip the prepare. */
#define SQ_DYN_CACHE 8

typedef struct store_sqlite_store store_sqlite_store;

typedef struct store_sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_STMT_COUNT];
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

/* The columns of a request row, in the order store_sqlite_read_request expects, from alias r. */
#define SQ_REQUEST_COLUMNS                                                                         \
    "r.id, r.tenant_id, r.reference, r.token_hash, r.procedure_id, r.status, r.channel, "          \
    "r.description, r.lat, r.lon, r.address, r.address_id, r.zipcode, r.attributes, "              \
    "r.first_name, r.last_name, r.email, r.phone, r.device_id, r.account_id, r.media_url, "        \
    "r.department_id, r.assignee, r.priority, r.status_notes, r.created_at, r.updated_at, "        \
    "r.closed_at, r.due_at, r.api_key_id, r.citizen_id, r.notify, r.is_public, r.rating, "         \
    "r.rating_comment, r.supporters, r.anonymised_at, r.erase_requested_at"

/* The columns read by the portal's row readers (sqlite_portal.c), in their order. */
#define SQ_ACCOUNT_COLUMNS                                                                         \
    "id, tenant_id, email, password_hash, display_name, phone, notify, lang, "                     \
    "email_verified_at, created_at"
#define SQ_OUTBOX_COLUMNS                                                                          \
    "id, tenant_id, channel, recipient, template, params, lang, request_id, attempts, "            \
    "created_at, next_attempt_at, sent_at, failed, last_error"
#define SQ_ATTACHMENT_COLUMNS                                                                      \
    "id, tenant_id, request_id, event_id, filename, content_type, size, storage_name, "            \
    "thumb_name, is_photo, moderation, created_at"

#define SQ_AGENT_COLUMNS                                                                           \
    "id, tenant_id, email, name, role, password_hash, totp_secret, totp_enabled, active, "         \
    "created_at, last_login_at"
#define SQ_AUDIT_COLUMNS                                                                           \
    "id, tenant_id, at, agent_id, actor, action, object_kind, object_ids, source, prev_hash, hash"

/* Fills out from the current row of a statement selecting SQ_REQUEST_COLUMNS; strings in a.
 * Returns -1 (ERR_UNAVAILABLE) when the arena is full. */
int store_sqlite_read_request(sqlite3_stmt *st, arena *a, store_request *out, error *err);

/* Statement texts, indexed by store_sqlite_stmt_id. */
extern const char *const store_sqlite_stmt_sql[SQ_STMT_COUNT];

/* The migrations embedded in the binary, in order; version i+1 is store_sqlite_migrations[i]. */
extern const char *const store_sqlite_migrations[];
extern const int store_sqlite_migration_count;

/* Fills err from a SQLite result code (busy/full/IO -> ERR_UNAVAILABLE, constraint ->
 * ERR_CONFLICT, other -> ERR_INTERNAL) and returns -1. `what` names the operation. */
int store_sqlite_fail(sqlite3 *db, int rc, const char *what, error *err);

/* The connection reads should use on this thread: the writer connection when this thread is
 * inside a write transaction of s (so that a job sees its own changes), otherwise this
 * thread's read connection, opened on first use. NULL and err filled on failure. */
store_sqlite_conn *store_sqlite_read_conn(store_sqlite_store *s, error *err);
/* The writer connection when this thread holds s's write transaction; NULL and an
 * ERR_INTERNAL error otherwise (a write called outside a job). */
store_sqlite_conn *store_sqlite_write_conn(store_sqlite_store *s, error *err);

/* The cached statement `id` of c, prepared on first use. Reset it with store_sqlite_done. */
sqlite3_stmt *store_sqlite_stmt(store_sqlite_conn *c, store_sqlite_stmt_id id, error *err);
/* A cached statement for dynamic text `sql` (built from fixed fragments only). */
sqlite3_stmt *store_sqlite_stmt_dyn(store_sqlite_conn *c, const char *sql, error *err);
/* Resets a statement and clears its bindings so that it holds no read snapshot. */
void store_sqlite_done(sqlite3_stmt *st);

/* Steps a write statement to completion; with `id_out`, reads the one RETURNING id row. */
int store_sqlite_run_write(store_sqlite_conn *c, sqlite3_stmt *st, int64_t *id_out,
                           const char *what, error *err);
/* Fills err for a full arena (ERR_UNAVAILABLE) and returns -1. */
int store_sqlite_oom(error *err);

/* Runs a statement that returns no row (or whose rows are ignored) to completion. */
int store_sqlite_exec_stmt(store_sqlite_conn *c, store_sqlite_stmt_id id, const char *what,
                           error *err);

/* Binding helpers: NULL text and 0 ids become SQL NULL. */
int store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);
int store_sqlite_bind_id(sqlite3_stmt *st, int i, int64_t v);

/* Column helpers: text copied into a (NULL for SQL NULL); *oom set when the arena is full. */
const char *store_sqlite_col_text(sqlite3_stmt *st, int i, arena *a, int *oom);

/* Grows an arena array of elements of `size` bytes so that it holds at least n+1; returns the
 * (possibly moved) array or NULL when out of memory. */
void *store_sqlite_grow(arena *a, void *arr, size_t *cap, size_t n, size_t size);

/* Reads one row of a statement into a record (strings in a); -1 when the arena is full. */
typedef int (*store_sqlite_row_reader)(sqlite3_stmt *st, arena *a, void *out);
/* Steps a statement whose parameters are bound, reading at most one row into out. */
int store_sqlite_read_one(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, void *out, int *found, const char *what, error *err);
/* Steps a statement whose parameters are bound, reading every row into an arena array of
 * elements of `size` bytes (zeroed before each row is read). */
int store_sqlite_read_all(store_sqlite_conn *c, sqlite3_stmt *st, store_sqlite_row_reader rd,
                          arena *a, size_t size, void **out, size_t *n, const char *what,
                          error *err);
/* A write that must touch a row: ERR_NOT_FOUND ("<missing> not found") when it changed none. */
int store_sqlite_run_update(store_sqlite_conn *c, sqlite3_stmt *st, const char *what,
                            const char *missing, error *err);

/* The backend's operations, defined in sqlite_reads.c, sqlite_writes.c, sqlite_portal.c and
 * sqlite_store.c. */
int store_sqlite_migrate(store *s, error *err);
int store_sqlite_schema_version(store *s, int *version, error *err);
int store_sqlite_config_version(store *s, int64_t *version, error *err);
int store_sqlite_catalogue_load(store *s, arena *a, store_catalogue *out, error *err);
int store_sqlite_request_get(store *s, int64_t tenant_id, const char *reference, arena *a,
                             store_request *out, int *found, error *err);
int store_sqlite_request_search(store *s, const store_request_filter *f, arena *a,
                                store_request **out, size_t *n, error *err);
int store_sqlite_request_count(store *s, const store_request_filter *f, int64_t *count, error *err);
int store_sqlite_events_list(store *s, int64_t tenant_id, int64_t request_id, int public_only,
                             arena *a, store_event **out, size_t *n, error *err);
int store_sqlite_events_list_many(store *s, int64_t tenant_id, const int64_t *request_ids,
                                  size_t n_ids, int public_only, arena *a, store_event **out,
                                  size_t *n, error *err);
int store_sqlite_apikey_find(store *s, const char *key_hash, arena *a, store_apikey *out,
                             int *found, error *err);
int store_sqlite_apikey_list(store *s, int64_t tenant_id, arena *a, store_apikey **out, size_t *n,
                             error *err);
int store_sqlite_idempotency_find(store *s, int64_t tenant_id, int64_t api_key_id, const char *key,
                                  arena *a, const char **reference, error *err);
int store_sqlite_setting_get(store *s, const char *name, arena *a, const char **value, error *err);

int store_sqlite_tx_request_insert(store *s, const store_request *r, arena *a, int64_t *id_out,
                                   const char **reference_out, error *err);
int store_sqlite_tx_request_update(store *s, const store_request *r, error *err);
int store_sqlite_tx_event_insert(store *s, const store_event *e, int64_t *id_out, error *err);
int store_sqlite_tx_idempotency_insert(store *s, int64_t tenant_id, int64_t api_key_id,
                                       const char *key, int64_t request_id, int64_t created_at,
                                       error *err);
int store_sqlite_tx_tenant_upsert(store *s, const store_tenant *t, int64_t *id_out, error *err);
int store_sqlite_tx_department_upsert(store *s, const store_department *d, int64_t *id_out,
                                      error *err);
int store_sqlite_tx_procedure_upsert(store *s, const store_procedure *p, int64_t *id_out,
                                     error *err);
int store_sqlite_tx_apikey_insert(store *s, const store_apikey *k, int64_t *id_out, error *err);
int store_sqlite_tx_apikey_revoke(store *s, int64_t tenant_id, int64_t id, int64_t when,
                                  error *err);
int store_sqlite_tx_setting_set(store *s, const char *name, const char *value, error *err);
int store_sqlite_tx_setting_delete(store *s, const char *name, error *err);

/* Citizens' portal, in sqlite_portal.c. */
int store_sqlite_account_get(store *s, int64_t tenant_id, int64_t id, arena *a, store_account *out,
                             int *found, error *err);
int store_sqlite_account_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                    store_account *out, int *found, error *err);
int store_sqlite_tx_account_insert(store *s, const store_account *acc, int64_t *id_out, error *err);
int store_sqlite_tx_account_update(store *s, const store_account *acc, error *err);
int store_sqlite_session_find(store *s, int64_t tenant_id, const char *token_hash, arena *a,
                              store_session *out, int *found, error *err);
int store_sqlite_tx_session_insert(store *s, const store_session *se, int64_t *id_out, error *err);
int store_sqlite_tx_session_touch(store *s, int64_t id, int64_t last_seen_at, error *err);
int store_sqlite_tx_session_delete(store *s, int64_t tenant_id, const char *token_hash, error *err);
int store_sqlite_tx_session_delete_account(store *s, int64_t tenant_id, int64_t account_id,
                                           error *err);
int store_sqlite_tx_token_insert(store *s, const store_token *t, error *err);
int store_sqlite_tx_token_consume(store *s, int64_t tenant_id, const char *purpose,
                                  const char *token_hash, int64_t now, arena *a, store_token *out,
                                  int *found, error *err);
int store_sqlite_tx_outbox_insert(store *s, const store_outbox *m, int64_t *id_out, error *err);
int store_sqlite_outbox_due(store *s, int64_t now, size_t limit, arena *a, store_outbox **out,
                            size_t *n, error *err);
int store_sqlite_tx_outbox_sent(store *s, int64_t id, int64_t when, error *err);
int store_sqlite_tx_outbox_retry(store *s, int64_t id, int attempts, int64_t next_attempt_at,
                                 int failed, const char *last_error, error *err);
int store_sqlite_outbox_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                             store_outbox **out, size_t *n, error *err);
int store_sqlite_tx_attachment_insert(store *s, const store_attachment *at, int64_t *id_out,
                                      error *err);
int store_sqlite_attachment_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                store_attachment *out, int *found, error *err);
int store_sqlite_attachments_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                                  store_attachment **out, size_t *n, error *err);
int store_sqlite_tx_attachment_moderate(store *s, int64_t tenant_id, int64_t id,
                                        const char *moderation, error *err);
int store_sqlite_attachment_file_known(store *s, const char *name, int *known, error *err);
int store_sqlite_tx_request_support(store *s, int64_t tenant_id, int64_t request_id,
                                    const char *const *keys, size_t n_keys, int64_t when,
                                    int *added, error *err);

/* Back office, in sqlite_backoffice.c. */
int store_sqlite_agent_get(store *s, int64_t tenant_id, int64_t id, arena *a, store_agent *out,
                           int *found, error *err);
int store_sqlite_agent_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                  store_agent *out, int *found, error *err);
int store_sqlite_agent_list(store *s, int64_t tenant_id, arena *a, store_agent **out, size_t *n,
                            error *err);
int store_sqlite_tx_agent_insert(store *s, const store_agent *ag, int64_t *id_out, error *err);
int store_sqlite_tx_agent_update(store *s, const store_agent *ag, error *err);
int store_sqlite_tx_session_delete_agent(store *s, int64_t tenant_id, int64_t agent_id, error *err);
int store_sqlite_tx_audit_append(store *s, const store_audit *e, int64_t *id_out, error *err);
int store_sqlite_audit_last(store *s, int64_t tenant_id, arena *a, store_audit *out, int *found,
                            error *err);
int store_sqlite_audit_list(store *s, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                            store_audit **out, size_t *n, error *err);
int store_sqlite_tx_audit_purge_before(store *s, int64_t tenant_id, int64_t before, int64_t *purged,
                                       error *err);
int store_sqlite_saved_filter_list(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                                   store_saved_filter **out, size_t *n, error *err);
int store_sqlite_tx_saved_filter_insert(store *s, const store_saved_filter *f, int64_t *id_out,
                                        error *err);
int store_sqlite_tx_saved_filter_delete(store *s, int64_t tenant_id, int64_t agent_id, int64_t id,
                                        error *err);
int store_sqlite_reply_template_list(store *s, int64_t tenant_id, arena *a,
                                     store_reply_template **out, size_t *n, error *err);
int store_sqlite_tx_reply_template_upsert(store *s, const store_reply_template *t, int64_t *id_out,
                                          error *err);
int store_sqlite_tx_reply_template_delete(store *s, int64_t tenant_id, int64_t id, error *err);
int store_sqlite_tx_request_set_public(store *s, int64_t tenant_id, int64_t request_id,
                                       int is_public, error *err);
int store_sqlite_request_get_by_id(store *s, int64_t tenant_id, int64_t id, arena *a,
                                   store_request *out, int *found, error *err);
int store_sqlite_requests_near(store *s, int64_t tenant_id, double lat, double lon, double radius_m,
                               size_t limit, arena *a, store_request **out, double **distance_m,
                               size_t *n, error *err);

/* Retention (RGPD), in sqlite_retention.c. */
int store_sqlite_requests_retention_due(store *s, int64_t tenant_id, int64_t procedure_id,
                                        int64_t closed_before, size_t limit, arena *a,
                                        int64_t **ids, size_t *n, error *err);
int store_sqlite_requests_retention_count(store *s, int64_t tenant_id, int64_t procedure_id,
                                          int64_t closed_before, int64_t *count, error *err);
int store_sqlite_tx_request_anonymise(store *s, int64_t tenant_id, int64_t request_id,
                                      const store_anonymised *keep, int64_t now, arena *a,
                                      store_attachment **removed, size_t *n_removed, error *err);
int store_sqlite_tx_tenant_set_archives_visa(store *s, int64_t tenant_id, int on, error *err);
int store_sqlite_tx_account_delete(store *s, int64_t tenant_id, int64_t account_id, int by_email,
                                   const char *supporter_key, const char *actor, int64_t now,
                                   int64_t *n_requests, error *err);
int store_sqlite_tx_disposal_create(store *s, int64_t tenant_id, int64_t now, const int64_t *ids,
                                    size_t n, int64_t *id_out, error *err);
int store_sqlite_disposal_list(store *s, int64_t tenant_id, size_t limit, arena *a,
                               store_disposal_list **out, size_t *n, error *err);
int store_sqlite_disposal_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                              store_disposal_list *out, int *found, error *err);
int store_sqlite_disposal_items(store *s, int64_t tenant_id, int64_t list_id, const char *state,
                                int64_t after_request_id, size_t limit, arena *a,
                                store_disposal_item **out, size_t *n, error *err);
int store_sqlite_tx_disposal_approve(store *s, int64_t tenant_id, int64_t id, int64_t agent_id,
                                     int64_t now, error *err);
int store_sqlite_tx_disposal_item_set(store *s, int64_t list_id, int64_t request_id,
                                      const char *state, error *err);
int store_sqlite_tx_disposal_finish(store *s, int64_t tenant_id, int64_t id, int64_t now,
                                    int *finished, error *err);
int store_sqlite_compact(store *s, error *err);

#endif

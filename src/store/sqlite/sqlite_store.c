/*
 * sqlite_store — the SQLite backend's entry: opening a database (WAL, synchronous=FULL),
 * closing it, maintenance (compact), and its operation table assembled from the area
 * tables each table file defines.
 */
#include "store/sqlite/sq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

static void store_sqlite_close(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (!s)
        return;
    pthread_mutex_lock(&s->readers_mu);
    store_sqlite_conn *c = s->readers;
    s->readers = NULL;
    pthread_mutex_unlock(&s->readers_mu);
    while (c) {
        store_sqlite_conn *next = c->next;
        store_sqlite_conn_close(c);
        c = next;
    }
    /* Deleting the key runs no destructor; glibc stops returning the old values. */
    pthread_key_delete(s->read_key);
    store_sqlite_conn_close(s->wconn);
    pthread_mutex_destroy(&s->readers_mu);
    pthread_mutex_destroy(&s->write_mu);
    free(s->path);
    free(s);
}

/* The full-text index is contentless: deleting a request's words only adds tombstones to a
 * new segment, and the words stay in older segments until FTS5 merges them. 'optimize'
 * merges every segment into one, dropping them for good; the checkpoint then copies the
 * zeroed pages (secure_delete) into the database file and truncates the log that still
 * holds their former images. Taken under the writer's lock, outside any transaction. */
static int store_sqlite_compact(store *st, error *err)
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

static int busy_timeout_from_env(void)
{
    const char *v = getenv("GUICHET_BUSY_TIMEOUT_MS");
    if (!v || !*v)
        return DEFAULT_BUSY_TIMEOUT_MS;
    char *end = NULL;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < 0 || ms > 600000) {
        log_warn("store: ignoring invalid GUICHET_BUSY_TIMEOUT_MS");
        return DEFAULT_BUSY_TIMEOUT_MS;
    }
    return (int)ms;
}

/* The backend's operation table: the entry points of this file and the area tables each
 * table file defines, copied in once (configure_sqlite_once) since C cannot initialise a
 * static table from other translation units' constants. Read-only afterwards. */
static store_ops sqlite_ops = {
    .name = "sqlite",
    .close = store_sqlite_close,
    .migrate = store_sqlite_migrate,
    .schema_version = store_sqlite_schema_version,
    .compact = store_sqlite_compact,
};

/* Process-wide settings, made once before the library initialises: the operation table,
 * and SQLite's: without memory
 * statistics, SQLite's allocator takes no global mutex, which the pool threads would
 * otherwise contend on for every read. */
static void configure_sqlite_once(void)
{
    sqlite_ops.catalogue = store_sqlite_catalogue_ops;
    sqlite_ops.requests = store_sqlite_requests_ops;
    sqlite_ops.events = store_sqlite_events_ops;
    sqlite_ops.attachments = store_sqlite_attachments_ops;
    sqlite_ops.outbox = store_sqlite_outbox_ops;
    sqlite_ops.mail = store_sqlite_mail_ops;
    sqlite_ops.accounts = store_sqlite_accounts_ops;
    sqlite_ops.sessions = store_sqlite_sessions_ops;
    sqlite_ops.tokens = store_sqlite_tokens_ops;
    sqlite_ops.agents = store_sqlite_agents_ops;
    sqlite_ops.agent_notices = store_sqlite_agent_notices_ops;
    sqlite_ops.saved_filters = store_sqlite_saved_filters_ops;
    sqlite_ops.reply_templates = store_sqlite_reply_templates_ops;
    sqlite_ops.letter_templates = store_sqlite_letter_templates_ops;
    sqlite_ops.apikeys = store_sqlite_apikeys_ops;
    sqlite_ops.trust_anchors = store_sqlite_trust_anchors_ops;
    sqlite_ops.idempotency = store_sqlite_idempotency_ops;
    sqlite_ops.settings = store_sqlite_settings_ops;
    sqlite_ops.sms = store_sqlite_sms_ops;
    sqlite_ops.code_failures = store_sqlite_code_failures_ops;
    sqlite_ops.documents = store_sqlite_documents_ops;
    sqlite_ops.sign = store_sqlite_sign_ops;
    sqlite_ops.post = store_sqlite_post_ops;
    sqlite_ops.addresses = store_sqlite_addresses_ops;
    sqlite_ops.areas = store_sqlite_areas_ops;
    sqlite_ops.routing = store_sqlite_routing_ops;
    sqlite_ops.workflows = store_sqlite_workflows_ops;
    sqlite_ops.audit = store_sqlite_audit_ops;
    sqlite_ops.retention = store_sqlite_retention_ops;
    sqlite_ops.disposal = store_sqlite_disposal_ops;
    sqlite_ops.jobs = store_sqlite_jobs_ops;
    sqlite_ops.broadcasts = store_sqlite_broadcasts_ops;
    sqlite_ops.mail_in = store_sqlite_mail_in_ops;
    sqlite_ops.tx = store_sqlite_tx_ops;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

store *store_sqlite_open(const char *path, error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite_once);
    if (!path || !*path) {
        error_set(err, ERR_MISSING_ARG, "path", "database path is empty");
        return NULL;
    }
    store_sqlite_store *s = calloc(1, sizeof *s);
    if (!s) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    if (pthread_key_create(&s->read_key, store_sqlite_reader_destroy) != 0) {
        free(s);
        error_set(err, ERR_UNAVAILABLE, NULL, "pthread_key_create failed");
        return NULL;
    }
    /* From here on store_sqlite_close releases whatever was set up. */
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_mutex_init(&s->readers_mu, NULL);
    s->base.ops = &sqlite_ops;
    s->busy_timeout_ms = busy_timeout_from_env();
    s->path = strdup(path);
    if (!s->path) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    s->wconn = store_sqlite_conn_open(s, 1, err);
    if (!s->wconn)
        goto cleanup;
    return &s->base;
cleanup:
    store_sqlite_close(&s->base);
    return NULL;
}

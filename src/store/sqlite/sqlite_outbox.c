/*
 * sqlite_outbox — messages waiting to be sent (outbox), written in the transaction of the
 * change that causes them, and the dispatcher's due list, sent and retry marks.
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns the row reader below reads, in its order. */
#define SQ_OUTBOX_COLUMNS                                                                          \
    "id, tenant_id, channel, recipient, template, params, lang, request_id, attempts, "            \
    "created_at, next_attempt_at, sent_at, failed, last_error, message_id, state, priority, "      \
    "broadcast_id, document_id, document_sha256"

static int read_outbox(sqlite3_stmt *st, arena *a, void *p)
{
    store_outbox *m = p;
    int oom = 0;
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->tenant_id = sqlite3_column_int64(st, 1);
    m->channel = store_sqlite_col_text(st, 2, a, &oom);
    m->recipient = store_sqlite_col_text(st, 3, a, &oom);
    m->template = store_sqlite_col_text(st, 4, a, &oom);
    m->params = store_sqlite_col_text(st, 5, a, &oom);
    m->lang = store_sqlite_col_text(st, 6, a, &oom);
    m->request_id = sqlite3_column_int64(st, 7);
    m->attempts = sqlite3_column_int(st, 8);
    m->created_at = sqlite3_column_int64(st, 9);
    m->next_attempt_at = sqlite3_column_int64(st, 10);
    m->sent_at = sqlite3_column_int64(st, 11);
    m->failed = sqlite3_column_int(st, 12);
    m->last_error = store_sqlite_col_text(st, 13, a, &oom);
    m->message_id = store_sqlite_col_text(st, 14, a, &oom);
    m->state = store_sqlite_col_text(st, 15, a, &oom);
    m->priority = sqlite3_column_int(st, 16);
    m->broadcast_id = sqlite3_column_int64(st, 17);
    m->document_id = sqlite3_column_int64(st, 18);
    m->document_sha256 = store_sqlite_col_text(st, 19, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_outbox_insert = SQ_STMT(
    "INSERT INTO outbox (tenant_id, channel, recipient, template, params, lang, request_id, "
    "attempts, created_at, next_attempt_at, sent_at, failed, last_error, message_id, priority, "
    "broadcast_id, document_id, document_sha256) VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 'fr'), "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");

static int store_sqlite_tx_outbox_insert(store *s, const store_outbox *m, int64_t *id_out,
                                         error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_insert, err);
    if (!st)
        return -1;
    int64_t created = store_sqlite_now_or(m->created_at);
    sqlite3_bind_int64(st, 1, m->tenant_id);
    store_sqlite_bind_text(st, 2, m->channel);
    store_sqlite_bind_text(st, 3, m->recipient);
    store_sqlite_bind_text(st, 4, m->template);
    store_sqlite_bind_text(st, 5, m->params);
    store_sqlite_bind_text(st, 6, m->lang);
    store_sqlite_bind_id(st, 7, m->request_id);
    sqlite3_bind_int(st, 8, m->attempts);
    sqlite3_bind_int64(st, 9, created);
    /* Due at once unless the caller delays it. */
    sqlite3_bind_int64(st, 10, m->next_attempt_at ? m->next_attempt_at : created);
    store_sqlite_bind_id(st, 11, m->sent_at);
    sqlite3_bind_int(st, 12, m->failed ? 1 : 0);
    store_sqlite_bind_text(st, 13, m->last_error);
    store_sqlite_bind_text(st, 14, m->message_id);
    sqlite3_bind_int(st, 15, m->priority);
    store_sqlite_bind_id(st, 16, m->broadcast_id);
    store_sqlite_bind_id(st, 17, m->document_id);
    store_sqlite_bind_text(st, 18, m->document_id ? m->document_sha256 : NULL);
    if (store_sqlite_run_write(c, st, NULL, "outbox_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* Its conditions are those of the partial index outbox_due, whose range of one channel it
 * then walks in order: a request's notices (priority 0) before any broadcast message (1), so
 * that a broadcast draining never delays an acknowledgement, and another channel's backlog is
 * never read (tests/unit/test_store.c checks the plan). */
const char store_sqlite_outbox_due_sql[] =
    "SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE channel = ?3 AND sent_at IS NULL AND "
    "failed = 0 AND next_attempt_at <= ?1 ORDER BY priority, next_attempt_at, id LIMIT ?2";
static sq_stmt sq_outbox_due = SQ_STMT(store_sqlite_outbox_due_sql);

static int store_sqlite_outbox_due(store *s, const char *channel, int64_t now, size_t limit,
                                   arena *a, store_outbox **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    if (!channel || !*channel)
        return error_set(err, ERR_MISSING_ARG, "channel", "the due list is one channel's");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    store_sqlite_bind_text(st, 3, channel);
    return store_sqlite_read_all(c, st, read_outbox, a, sizeof **out, (void **)out, n, "outbox_due",
                                 err);
}

/* A gateway may report delivery before the dispatcher's record of the send commits (a
 * broadcast's outcomes wait for their batch): a final state reported is kept. */
static sq_stmt sq_outbox_sent = SQ_STMT(
    "UPDATE outbox SET sent_at = ?2, params = NULL, state = CASE WHEN state IN ('delivered', "
    "'bounced', 'failed') THEN state ELSE 'sent' END, state_at = CASE WHEN state IN "
    "('delivered', 'bounced', 'failed') THEN state_at ELSE ?2 END WHERE id = ?1");

static int store_sqlite_tx_outbox_sent(store *s, int64_t id, int64_t when, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_sent, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, store_sqlite_now_or(when));
    return store_sqlite_run_update(c, st, "outbox_sent", "message", err);
}

static sq_stmt sq_outbox_retry =
    SQ_STMT("UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, failed = ?4, "
            "last_error = ?5, state = CASE WHEN ?4 THEN 'failed' ELSE state END, "
            "state_at = CASE WHEN ?4 THEN unixepoch() ELSE state_at END WHERE id = ?1");

static int store_sqlite_tx_outbox_retry(store *s, int64_t id, int attempts, int64_t next_attempt_at,
                                        int failed, const char *last_error, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_retry, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempts);
    sqlite3_bind_int64(st, 3, next_attempt_at);
    sqlite3_bind_int(st, 4, failed ? 1 : 0);
    store_sqlite_bind_text(st, 5, last_error);
    return store_sqlite_run_update(c, st, "outbox_retry", "message", err);
}

static sq_stmt sq_outbox_list_request =
    SQ_STMT("SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE request_id = ?2 "
            "AND tenant_id = ?1 ORDER BY id");

static sq_stmt sq_outbox_list_tenant =
    SQ_STMT("SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE tenant_id = ?1 ORDER BY id");

/* request_id 0 lists every message of the tenant (account mail has no request). */
static int store_sqlite_outbox_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                                    store_outbox **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, request_id ? &sq_outbox_list_request : &sq_outbox_list_tenant, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (request_id)
        sqlite3_bind_int64(st, 2, request_id);
    return store_sqlite_read_all(c, st, read_outbox, a, sizeof **out, (void **)out, n,
                                 "outbox_list", err);
}

static sq_stmt sq_outbox_find =
    SQ_STMT("SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE message_id = ?1");

static int find_message(store_sqlite_conn *c, const char *message_id, arena *a, store_outbox *out,
                        int *found, error *err)
{
    *found = 0;
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_find, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, message_id);
    return store_sqlite_read_one(c, st, read_outbox, a, out, found, "outbox_find", err);
}

static int store_sqlite_outbox_find_message(store *s, const char *message_id, arena *a,
                                            store_outbox *out, int *found, error *err)
{
    return find_message(store_sqlite_reader(s, err), message_id, a, out, found, err);
}

static int store_sqlite_tx_outbox_find_message(store *s, const char *message_id, arena *a,
                                               store_outbox *out, int *found, error *err)
{
    return find_message(store_sqlite_writer(s, err), message_id, a, out, found, err);
}

static sq_stmt sq_outbox_state =
    SQ_STMT("UPDATE outbox SET state = ?2, state_at = ?3, state_detail = ?4 WHERE id = ?1");

static int store_sqlite_tx_outbox_state(store *s, int64_t id, const char *state, int64_t when,
                                        const char *detail, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_state, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    store_sqlite_bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, store_sqlite_now_or(when));
    store_sqlite_bind_text(st, 4, detail);
    return store_sqlite_run_update(c, st, "outbox_state", "message", err);
}

/* Both subqueries walk outbox_request (request_id) and stop at their first row. */
#define SQ_THREAD_END(ORDER)                                                                       \
    "(SELECT message_id FROM outbox WHERE request_id = r.id AND channel = ?3 AND recipient = ?4 "  \
    "AND id < ?5 AND state IN ('sent', 'delivered') ORDER BY id " ORDER " LIMIT 1)"
static sq_stmt sq_outbox_thread = SQ_STMT("SELECT r.reference, " SQ_THREAD_END(
    "ASC") ", " SQ_THREAD_END("DESC") " FROM requests r WHERE r.tenant_id = ?1 AND r.id = ?2");

static int read_thread(sqlite3_stmt *st, arena *a, void *p)
{
    store_outbox_thread *t = p;
    int oom = 0;
    t->reference = store_sqlite_col_text(st, 0, a, &oom);
    t->root = store_sqlite_col_text(st, 1, a, &oom);
    t->prev = store_sqlite_col_text(st, 2, a, &oom);
    return oom ? -1 : 0;
}

static int store_sqlite_outbox_thread(store *s, int64_t tenant_id, int64_t request_id,
                                      const char *channel, const char *recipient, int64_t before_id,
                                      arena *a, store_outbox_thread *out, error *err)
{
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_thread, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, channel);
    store_sqlite_bind_text(st, 4, recipient);
    sqlite3_bind_int64(st, 5, before_id);
    int found = 0;
    return store_sqlite_read_one(c, st, read_thread, a, out, &found, "outbox_thread", err);
}

/* The e-mails of the request still queued: the outbox_request index, then a few rows. One
 * waiting for its document goes at once; one the relay already refused keeps its backoff. */
static sq_stmt sq_outbox_attach_document = SQ_STMT(
    "UPDATE outbox SET document_id = ?3, document_sha256 = ?4, next_attempt_at = CASE WHEN "
    "attempts = 0 THEN ?5 ELSE next_attempt_at END WHERE request_id = ?1 AND template = ?2 AND "
    "channel = 'email' AND sent_at IS NULL AND failed = 0 AND state = 'queued' AND tenant_id = "
    "?6");

static int store_sqlite_tx_outbox_attach_document(store *s, int64_t tenant_id, int64_t request_id,
                                                  const char *template_name, int64_t document_id,
                                                  const char *sha256, int64_t now, size_t *n,
                                                  error *err)
{
    *n = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_outbox_attach_document, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    store_sqlite_bind_text(st, 2, template_name);
    sqlite3_bind_int64(st, 3, document_id);
    store_sqlite_bind_text(st, 4, sha256);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "outbox_attach_document", err) != 0)
        return -1;
    *n = (size_t)sqlite3_changes(c->db);
    return 0;
}

const store_outbox_ops store_sqlite_outbox_ops = {
    .tx_insert = store_sqlite_tx_outbox_insert,
    .due = store_sqlite_outbox_due,
    .tx_sent = store_sqlite_tx_outbox_sent,
    .tx_retry = store_sqlite_tx_outbox_retry,
    .list = store_sqlite_outbox_list,
    .find_message = store_sqlite_outbox_find_message,
    .tx_find_message = store_sqlite_tx_outbox_find_message,
    .tx_state = store_sqlite_tx_outbox_state,
    .thread = store_sqlite_outbox_thread,
    .tx_attach_document = store_sqlite_tx_outbox_attach_document,
};

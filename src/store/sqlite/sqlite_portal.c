/*
 * sqlite_portal — the SQLite backend's operations for the citizens' portal: accounts,
 * sessions, single-use tokens, the outbox, attachments and "moi aussi" supports. Reads run on
 * the thread's read connection (the writer's inside a job), writes only inside a job, both
 * with the cached statements of sqlite_store.c.
 */
#include "store/sqlite/sq.h"

#include <string.h>
#include <time.h>

/* ---- shared shapes ---- */

static store_sqlite_conn *reader(store *s, error *err)
{
    return store_sqlite_read_conn((store_sqlite_store *)s, err);
}

static store_sqlite_conn *writer(store *s, error *err)
{
    return store_sqlite_write_conn((store_sqlite_store *)s, err);
}

static int64_t now_or(int64_t t)
{
    return t ? t : (int64_t)time(NULL);
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

/* ---- accounts ---- */

static int read_account(sqlite3_stmt *st, arena *a, void *p)
{
    store_account *acc = p;
    int oom = 0;
    memset(acc, 0, sizeof *acc);
    acc->id = sqlite3_column_int64(st, 0);
    acc->tenant_id = sqlite3_column_int64(st, 1);
    acc->email = store_sqlite_col_text(st, 2, a, &oom);
    acc->password_hash = store_sqlite_col_text(st, 3, a, &oom);
    acc->display_name = store_sqlite_col_text(st, 4, a, &oom);
    acc->phone = store_sqlite_col_text(st, 5, a, &oom);
    acc->notify = store_sqlite_col_text(st, 6, a, &oom);
    acc->lang = store_sqlite_col_text(st, 7, a, &oom);
    acc->email_verified_at = sqlite3_column_int64(st, 8);
    acc->created_at = sqlite3_column_int64(st, 9);
    return oom ? -1 : 0;
}

int store_sqlite_account_get(store *s, int64_t tenant_id, int64_t id, arena *a, store_account *out,
                             int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_account, a, out, found, "account_get", err);
}

int store_sqlite_account_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                    store_account *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_FIND_EMAIL, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_account, a, out, found, "account_find_email", err);
}

int store_sqlite_tx_account_insert(store *s, const store_account *acc, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!acc->email || !*acc->email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, acc->tenant_id);
    store_sqlite_bind_text(st, 2, acc->email);
    store_sqlite_bind_text(st, 3, acc->password_hash);
    store_sqlite_bind_text(st, 4, acc->display_name);
    store_sqlite_bind_text(st, 5, acc->phone);
    store_sqlite_bind_text(st, 6, acc->notify);
    store_sqlite_bind_text(st, 7, acc->lang);
    store_sqlite_bind_id(st, 8, acc->email_verified_at);
    sqlite3_bind_int64(st, 9, now_or(acc->created_at));
    /* A taken address fails the UNIQUE constraint: ERR_CONFLICT from store_sqlite_fail. */
    if (store_sqlite_run_write(c, st, NULL, "account_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_tx_account_update(store *s, const store_account *acc, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ACCOUNT_UPDATE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, acc->tenant_id);
    sqlite3_bind_int64(st, 2, acc->id);
    store_sqlite_bind_text(st, 3, acc->password_hash);
    store_sqlite_bind_text(st, 4, acc->display_name);
    store_sqlite_bind_text(st, 5, acc->phone);
    store_sqlite_bind_text(st, 6, acc->notify);
    store_sqlite_bind_text(st, 7, acc->lang);
    store_sqlite_bind_id(st, 8, acc->email_verified_at);
    return store_sqlite_run_update(c, st, "account_update", "account", err);
}

/* ---- sessions ---- */

static int read_session(sqlite3_stmt *st, arena *a, void *p)
{
    store_session *se = p;
    int oom = 0;
    memset(se, 0, sizeof *se);
    se->id = sqlite3_column_int64(st, 0);
    se->tenant_id = sqlite3_column_int64(st, 1);
    se->token_hash = store_sqlite_col_text(st, 2, a, &oom);
    se->account_id = sqlite3_column_int64(st, 3);
    se->created_at = sqlite3_column_int64(st, 4);
    se->last_seen_at = sqlite3_column_int64(st, 5);
    se->expires_at = sqlite3_column_int64(st, 6);
    se->agent_id = sqlite3_column_int64(st, 7);
    return oom ? -1 : 0;
}

int store_sqlite_session_find(store *s, int64_t tenant_id, const char *token_hash, arena *a,
                              store_session *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!token_hash)
        return error_set(err, ERR_MISSING_ARG, "session", "session token hash is required");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_FIND, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_session, a, out, found, "session_find", err);
}

int store_sqlite_tx_session_insert(store *s, const store_session *se, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    /* The table's CHECK says the same; this gives the caller a clear error first. */
    if ((se->account_id != 0) == (se->agent_id != 0))
        return error_set(err, ERR_INVALID_ARG, "session",
                         "a session belongs to exactly one account or agent");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_INSERT, err);
    if (!st)
        return -1;
    int64_t created = now_or(se->created_at);
    sqlite3_bind_int64(st, 1, se->tenant_id);
    store_sqlite_bind_text(st, 2, se->token_hash);
    store_sqlite_bind_id(st, 3, se->account_id);
    store_sqlite_bind_id(st, 7, se->agent_id);
    sqlite3_bind_int64(st, 4, created);
    sqlite3_bind_int64(st, 5, se->last_seen_at ? se->last_seen_at : created);
    sqlite3_bind_int64(st, 6, se->expires_at);
    if (store_sqlite_run_write(c, st, NULL, "session_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* A session deleted meanwhile (logout in another tab) is not an error: nothing to touch. */
int store_sqlite_tx_session_touch(store *s, int64_t id, int64_t last_seen_at, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_TOUCH, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, last_seen_at);
    return store_sqlite_run_write(c, st, NULL, "session_touch", err);
}

int store_sqlite_tx_session_delete(store *s, int64_t tenant_id, const char *token_hash, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!token_hash)
        return error_set(err, ERR_MISSING_ARG, "session", "session token hash is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_DELETE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
    return store_sqlite_run_write(c, st, NULL, "session_delete", err);
}

int store_sqlite_tx_session_delete_account(store *s, int64_t tenant_id, int64_t account_id,
                                           error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_DELETE_ACCOUNT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    return store_sqlite_run_write(c, st, NULL, "session_delete_account", err);
}

/* ---- single-use tokens ---- */

int store_sqlite_tx_token_insert(store *s, const store_token *t, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TOKEN_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    sqlite3_bind_int64(st, 2, t->account_id);
    store_sqlite_bind_text(st, 3, t->purpose);
    store_sqlite_bind_text(st, 4, t->token_hash);
    sqlite3_bind_int64(st, 5, now_or(t->created_at));
    sqlite3_bind_int64(st, 6, t->expires_at);
    return store_sqlite_run_write(c, st, NULL, "token_insert", err);
}

static int read_token(sqlite3_stmt *st, arena *a, void *p)
{
    store_token *t = p;
    int oom = 0;
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    t->account_id = sqlite3_column_int64(st, 2);
    t->purpose = store_sqlite_col_text(st, 3, a, &oom);
    t->token_hash = store_sqlite_col_text(st, 4, a, &oom);
    t->created_at = sqlite3_column_int64(st, 5);
    t->expires_at = sqlite3_column_int64(st, 6);
    t->used_at = sqlite3_column_int64(st, 7);
    return oom ? -1 : 0;
}

int store_sqlite_tx_token_consume(store *s, int64_t tenant_id, const char *purpose,
                                  const char *token_hash, int64_t now, arena *a, store_token *out,
                                  int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!purpose || !token_hash)
        return error_set(err, ERR_MISSING_ARG, "token", "token purpose and hash are required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TOKEN_CONSUME, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    /* The UPDATE happens on the first step; the RETURNING row is read, then the statement is
     * stepped to its end so that the change is complete before the reset. */
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        if (read_token(st, a, out) != 0)
            ret = store_sqlite_oom(err);
        rc = sqlite3_step(st);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "token_consume", err);
    store_sqlite_done(st);
    if (ret != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    *found = out->id != 0;
    return 0;
}

/* ---- outbox ---- */

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
    return oom ? -1 : 0;
}

int store_sqlite_tx_outbox_insert(store *s, const store_outbox *m, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_OUTBOX_INSERT, err);
    if (!st)
        return -1;
    int64_t created = now_or(m->created_at);
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
    if (store_sqlite_run_write(c, st, NULL, "outbox_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_outbox_due(store *s, int64_t now, size_t limit, arena *a, store_outbox **out,
                            size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_OUTBOX_DUE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    return store_sqlite_read_all(c, st, read_outbox, a, sizeof **out, (void **)out, n, "outbox_due",
                                 err);
}

int store_sqlite_tx_outbox_sent(store *s, int64_t id, int64_t when, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_OUTBOX_SENT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_or(when));
    return store_sqlite_run_update(c, st, "outbox_sent", "message", err);
}

int store_sqlite_tx_outbox_retry(store *s, int64_t id, int attempts, int64_t next_attempt_at,
                                 int failed, const char *last_error, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_OUTBOX_RETRY, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempts);
    sqlite3_bind_int64(st, 3, next_attempt_at);
    sqlite3_bind_int(st, 4, failed ? 1 : 0);
    store_sqlite_bind_text(st, 5, last_error);
    return store_sqlite_run_update(c, st, "outbox_retry", "message", err);
}

/* request_id 0 lists every message of the tenant (account mail has no request). */
int store_sqlite_outbox_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                             store_outbox **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, request_id ? SQ_OUTBOX_LIST_REQUEST : SQ_OUTBOX_LIST_TENANT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (request_id)
        sqlite3_bind_int64(st, 2, request_id);
    return store_sqlite_read_all(c, st, read_outbox, a, sizeof **out, (void **)out, n,
                                 "outbox_list", err);
}

/* ---- attachments ---- */

static int read_attachment(sqlite3_stmt *st, arena *a, void *p)
{
    store_attachment *at = p;
    int oom = 0;
    memset(at, 0, sizeof *at);
    at->id = sqlite3_column_int64(st, 0);
    at->tenant_id = sqlite3_column_int64(st, 1);
    at->request_id = sqlite3_column_int64(st, 2);
    at->event_id = sqlite3_column_int64(st, 3);
    at->filename = store_sqlite_col_text(st, 4, a, &oom);
    at->content_type = store_sqlite_col_text(st, 5, a, &oom);
    at->size = sqlite3_column_int64(st, 6);
    at->storage_name = store_sqlite_col_text(st, 7, a, &oom);
    at->thumb_name = store_sqlite_col_text(st, 8, a, &oom);
    at->is_photo = sqlite3_column_int(st, 9);
    at->moderation = store_sqlite_col_text(st, 10, a, &oom);
    at->created_at = sqlite3_column_int64(st, 11);
    return oom ? -1 : 0;
}

static int moderation_valid(const char *m)
{
    return m &&
           (strcmp(m, "pending") == 0 || strcmp(m, "approved") == 0 || strcmp(m, "rejected") == 0);
}

int store_sqlite_tx_attachment_insert(store *s, const store_attachment *at, int64_t *id_out,
                                      error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (at->moderation && !moderation_valid(at->moderation))
        return error_set(err, ERR_INVALID_ARG, "moderation", "unknown moderation state");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ATTACHMENT_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at->tenant_id);
    sqlite3_bind_int64(st, 2, at->request_id);
    store_sqlite_bind_id(st, 3, at->event_id);
    store_sqlite_bind_text(st, 4, at->filename);
    store_sqlite_bind_text(st, 5, at->content_type);
    sqlite3_bind_int64(st, 6, at->size);
    store_sqlite_bind_text(st, 7, at->storage_name);
    store_sqlite_bind_text(st, 8, at->thumb_name);
    sqlite3_bind_int(st, 9, at->is_photo ? 1 : 0);
    store_sqlite_bind_text(st, 10, at->moderation);
    sqlite3_bind_int64(st, 11, now_or(at->created_at));
    if (store_sqlite_run_write(c, st, NULL, "attachment_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_attachment_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                store_attachment *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ATTACHMENT_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_attachment, a, out, found, "attachment_get", err);
}

int store_sqlite_attachment_file_known(store *s, const char *name, int *known, error *err)
{
    *known = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ATTACHMENT_FILE_KNOWN, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW)
        *known = 1;
    else if (rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "attachment_file_known", err);
    store_sqlite_done(st);
    return ret;
}

int store_sqlite_attachments_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                                  store_attachment **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ATTACHMENTS_LIST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    return store_sqlite_read_all(c, st, read_attachment, a, sizeof **out, (void **)out, n,
                                 "attachments_list", err);
}

int store_sqlite_tx_attachment_moderate(store *s, int64_t tenant_id, int64_t id,
                                        const char *moderation, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!moderation_valid(moderation))
        return error_set(err, ERR_INVALID_ARG, "moderation", "unknown moderation state");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_ATTACHMENT_MODERATE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, moderation, -1, SQLITE_STATIC);
    return store_sqlite_run_update(c, st, "attachment_moderate", "attachment", err);
}

/* ---- "moi aussi" ---- */

int store_sqlite_tx_request_support(store *s, int64_t tenant_id, int64_t request_id,
                                    const char *const *keys, size_t n_keys, int64_t when,
                                    int *added, error *err)
{
    *added = 0;
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (n_keys == 0)
        return error_set(err, ERR_MISSING_ARG, "supporter", "supporter key is required");
    for (size_t i = 0; i < n_keys; i++)
        if (!keys[i] || !*keys[i])
            return error_set(err, ERR_MISSING_ARG, "supporter", "supporter key is required");
    size_t fresh = 0;
    for (size_t i = 0; i < n_keys; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SUPPORT_INSERT, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, request_id);
        sqlite3_bind_text(st, 3, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_or(when));
        if (store_sqlite_run_write(c, st, NULL, "request_support", err) != 0)
            return -1;
        fresh += sqlite3_changes(c->db) == 1;
    }
    if (fresh == n_keys) {
        sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SUPPORT_BUMP, err);
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
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_EXISTS, err);
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

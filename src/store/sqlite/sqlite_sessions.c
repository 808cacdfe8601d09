/*
 * sqlite_sessions — logged-in sessions of citizens and agents (sessions) and the single-use
 * tokens sent by e-mail (account_tokens); only keyed hashes of their secrets are stored.
 */
#include "store/sqlite/sq.h"

#include <string.h>

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

static sq_stmt sq_session_find =
    SQ_STMT("SELECT id, tenant_id, token_hash, account_id, created_at, last_seen_at, "
            "expires_at, agent_id FROM sessions WHERE token_hash = ?2 AND "
            "tenant_id = ?1");

static int store_sqlite_session_find(store *s, int64_t tenant_id, const char *token_hash, arena *a,
                                     store_session *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!token_hash)
        return error_set(err, ERR_MISSING_ARG, "session", "session token hash is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_find, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_session, a, out, found, "session_find", err);
}

static sq_stmt sq_session_insert =
    SQ_STMT("INSERT INTO sessions (tenant_id, token_hash, account_id, created_at, last_seen_at, "
            "expires_at, agent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

static int store_sqlite_tx_session_insert(store *s, const store_session *se, int64_t *id_out,
                                          error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    /* The table's CHECK says the same; this gives the caller a clear error first. */
    if ((se->account_id != 0) == (se->agent_id != 0))
        return error_set(err, ERR_INVALID_ARG, "session",
                         "a session belongs to exactly one account or agent");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_insert, err);
    if (!st)
        return -1;
    int64_t created = store_sqlite_now_or(se->created_at);
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

static sq_stmt sq_session_touch = SQ_STMT("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1");

/* A session deleted meanwhile (logout in another tab) is not an error: nothing to touch. */
static int store_sqlite_tx_session_touch(store *s, int64_t id, int64_t last_seen_at, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_touch, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, last_seen_at);
    return store_sqlite_run_write(c, st, NULL, "session_touch", err);
}

static sq_stmt sq_session_delete =
    SQ_STMT("DELETE FROM sessions WHERE token_hash = ?2 AND tenant_id = ?1");

static int store_sqlite_tx_session_delete(store *s, int64_t tenant_id, const char *token_hash,
                                          error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!token_hash)
        return error_set(err, ERR_MISSING_ARG, "session", "session token hash is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
    return store_sqlite_run_write(c, st, NULL, "session_delete", err);
}

static sq_stmt sq_session_delete_account =
    SQ_STMT("DELETE FROM sessions WHERE tenant_id = ?1 AND account_id = ?2");

static int store_sqlite_tx_session_delete_account(store *s, int64_t tenant_id, int64_t account_id,
                                                  error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_delete_account, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    return store_sqlite_run_write(c, st, NULL, "session_delete_account", err);
}

static sq_stmt sq_session_delete_agent =
    SQ_STMT("DELETE FROM sessions WHERE tenant_id = ?1 AND agent_id = ?2");

static int store_sqlite_tx_session_delete_agent(store *s, int64_t tenant_id, int64_t agent_id,
                                                error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_session_delete_agent, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    return store_sqlite_run_write(c, st, NULL, "session_delete_agent", err);
}

static sq_stmt sq_token_insert =
    SQ_STMT("INSERT INTO account_tokens (tenant_id, account_id, purpose, token_hash, created_at, "
            "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

static int store_sqlite_tx_token_insert(store *s, const store_token *t, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_token_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    sqlite3_bind_int64(st, 2, t->account_id);
    store_sqlite_bind_text(st, 3, t->purpose);
    store_sqlite_bind_text(st, 4, t->token_hash);
    sqlite3_bind_int64(st, 5, store_sqlite_now_or(t->created_at));
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

/* One statement checks and spends the token, so two concurrent uses cannot both win. */
static sq_stmt sq_token_consume =
    SQ_STMT("UPDATE account_tokens SET used_at = ?4 WHERE tenant_id = ?1 AND purpose = ?2 AND "
            "token_hash = ?3 AND used_at IS NULL AND expires_at > ?4 RETURNING id, tenant_id, "
            "account_id, purpose, token_hash, created_at, expires_at, used_at");

static int store_sqlite_tx_token_consume(store *s, int64_t tenant_id, const char *purpose,
                                         const char *token_hash, int64_t now, arena *a,
                                         store_token *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!purpose || !token_hash)
        return error_set(err, ERR_MISSING_ARG, "token", "token purpose and hash are required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_token_consume, err);
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

static sq_stmt sq_token_find =
    SQ_STMT("SELECT id, tenant_id, account_id, purpose, token_hash, created_at, expires_at, "
            "used_at FROM account_tokens WHERE tenant_id = ?1 AND purpose = ?2 AND "
            "token_hash = ?3");

static int store_sqlite_tx_token_find(store *s, int64_t tenant_id, const char *purpose,
                                      const char *token_hash, arena *a, store_token *out,
                                      int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!purpose || !token_hash)
        return error_set(err, ERR_MISSING_ARG, "token", "token purpose and hash are required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_token_find, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token_hash, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_token, a, out, found, "token_find", err);
}

/* A scan of the tenant's rows: tokens live for hours and are now purged daily, so the
 * table stays small without an index on expires_at. */
static sq_stmt sq_token_purge =
    SQ_STMT("DELETE FROM account_tokens WHERE tenant_id = ?1 AND expires_at <= ?2");

static int store_sqlite_tx_token_purge_expired(store *s, int64_t tenant_id, int64_t before,
                                               int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_token_purge, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    if (store_sqlite_run_write(c, st, NULL, "token_purge_expired", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

const store_sessions_ops store_sqlite_sessions_ops = {
    .find = store_sqlite_session_find,
    .tx_insert = store_sqlite_tx_session_insert,
    .tx_touch = store_sqlite_tx_session_touch,
    .tx_delete = store_sqlite_tx_session_delete,
    .tx_delete_account = store_sqlite_tx_session_delete_account,
    .tx_delete_agent = store_sqlite_tx_session_delete_agent,
};

const store_tokens_ops store_sqlite_tokens_ops = {
    .tx_insert = store_sqlite_tx_token_insert,
    .tx_consume = store_sqlite_tx_token_consume,
    .tx_find = store_sqlite_tx_token_find,
    .tx_purge_expired = store_sqlite_tx_token_purge_expired,
};

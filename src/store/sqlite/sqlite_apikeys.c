/*
 * sqlite_apikeys — API keys (api_keys, only their keyed hash) and the idempotency keys of
 * the API (idempotency_keys: the request a key already created).
 */
#include "store/sqlite/sq.h"

#include <string.h>
#include <time.h>

static int read_apikey(sqlite3_stmt *st, arena *a, void *p)
{
    store_apikey *k = p;
    int oom = 0;
    k->id = sqlite3_column_int64(st, 0);
    k->tenant_id = sqlite3_column_int64(st, 1);
    k->name = store_sqlite_col_text(st, 2, a, &oom);
    k->scope = store_sqlite_col_text(st, 3, a, &oom);
    k->key_hash = store_sqlite_col_text(st, 4, a, &oom);
    k->prefix = store_sqlite_col_text(st, 5, a, &oom);
    k->created_at = sqlite3_column_int64(st, 6);
    k->revoked_at = sqlite3_column_int64(st, 7);
    return oom ? -1 : 0;
}

static sq_stmt sq_apikey_find =
    SQ_STMT("SELECT id, tenant_id, name, scope, key_hash, prefix, created_at, "
            "revoked_at FROM api_keys WHERE key_hash = ?1");

static int store_sqlite_apikey_find(store *s, const char *key_hash, arena *a, store_apikey *out,
                                    int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!key_hash)
        return error_set(err, ERR_MISSING_ARG, "key", "key hash is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_apikey_find, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key_hash, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_apikey, a, out, found, "apikey_find", err);
}

static sq_stmt sq_apikey_list =
    SQ_STMT("SELECT id, tenant_id, name, scope, key_hash, prefix, created_at, "
            "revoked_at FROM api_keys WHERE tenant_id = ?1 ORDER BY id");

static int store_sqlite_apikey_list(store *s, int64_t tenant_id, arena *a, store_apikey **out,
                                    size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_apikey_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, read_apikey, a, sizeof **out, (void **)out, n,
                                 "apikey_list", err);
}

static sq_stmt sq_apikey_insert =
    SQ_STMT("INSERT INTO api_keys (tenant_id, name, scope, key_hash, prefix, "
            "created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

static int store_sqlite_tx_apikey_insert(store *s, const store_apikey *k, int64_t *id_out,
                                         error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_apikey_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, k->tenant_id);
    store_sqlite_bind_text(st, 2, k->name);
    store_sqlite_bind_text(st, 3, k->scope);
    store_sqlite_bind_text(st, 4, k->key_hash);
    store_sqlite_bind_text(st, 5, k->prefix);
    sqlite3_bind_int64(st, 6, k->created_at ? k->created_at : (int64_t)time(NULL));
    store_sqlite_bind_id(st, 7, k->revoked_at);
    if (store_sqlite_run_write(c, st, NULL, "apikey_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* Revoking twice keeps the first instant. */
static sq_stmt sq_apikey_revoke =
    SQ_STMT("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) "
            "WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_apikey_revoke(store *s, int64_t tenant_id, int64_t id, int64_t when,
                                         error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_apikey_revoke, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, when ? when : (int64_t)time(NULL));
    if (store_sqlite_run_write(c, st, NULL, "apikey_revoke", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "api key not found");
    return 0;
}

static sq_stmt sq_idempotency_find =
    SQ_STMT("SELECT r.reference FROM idempotency_keys k JOIN requests r "
            "ON r.id = k.request_id WHERE k.tenant_id = ?1 AND "
            "k.api_key_id = ?2 AND k.key = ?3");

static int store_sqlite_idempotency_find(store *s, int64_t tenant_id, int64_t api_key_id,
                                         const char *key, arena *a, const char **reference,
                                         error *err)
{
    *reference = NULL;
    if (!key)
        return error_set(err, ERR_MISSING_ARG, "idempotency_key", "key is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_idempotency_find, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, api_key_id);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    return store_sqlite_read_text(c, st, a, reference, "idempotency_find", err);
}

static sq_stmt sq_idempotency_insert =
    SQ_STMT("INSERT INTO idempotency_keys (tenant_id, api_key_id, key, "
            "request_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");

static int store_sqlite_tx_idempotency_insert(store *s, int64_t tenant_id, int64_t api_key_id,
                                              const char *key, int64_t request_id,
                                              int64_t created_at, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_idempotency_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, api_key_id);
    store_sqlite_bind_text(st, 3, key);
    sqlite3_bind_int64(st, 4, request_id);
    sqlite3_bind_int64(st, 5, created_at);
    return store_sqlite_run_write(c, st, NULL, "idempotency_insert", err);
}

const store_apikeys_ops store_sqlite_apikeys_ops = {
    .find = store_sqlite_apikey_find,
    .list = store_sqlite_apikey_list,
    .tx_insert = store_sqlite_tx_apikey_insert,
    .tx_revoke = store_sqlite_tx_apikey_revoke,
};

const store_idempotency_ops store_sqlite_idempotency_ops = {
    .find = store_sqlite_idempotency_find,
    .tx_insert = store_sqlite_tx_idempotency_insert,
};

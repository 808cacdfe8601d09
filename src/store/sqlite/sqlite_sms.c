/*
 * sqlite_sms — SMS gateways (sms_gateways), opted-out numbers (sms_optouts) and the keywords
 * that file new requests (sms_keywords).
 */
#include "store/sqlite/sq.h"

#include <string.h>

static sq_stmt sq_gateway_get =
    SQ_STMT("SELECT tenant_id, sendsms_url, username, password_sealed, sender, updated_at, "
            "callback_base, dlr_key_sealed, broadcast_rate FROM sms_gateways WHERE tenant_id = "
            "?1");

static int read_gateway(sqlite3_stmt *st, arena *a, void *out)
{
    store_sms_gateway *g = out;
    int oom = 0;
    g->tenant_id = sqlite3_column_int64(st, 0);
    g->sendsms_url = store_sqlite_col_text(st, 1, a, &oom);
    g->username = store_sqlite_col_text(st, 2, a, &oom);
    g->password_sealed = store_sqlite_col_text(st, 3, a, &oom);
    g->sender = store_sqlite_col_text(st, 4, a, &oom);
    g->updated_at = sqlite3_column_int64(st, 5);
    g->callback_base = store_sqlite_col_text(st, 6, a, &oom);
    g->dlr_key_sealed = store_sqlite_col_text(st, 7, a, &oom);
    g->broadcast_rate = sqlite3_column_int(st, 8);
    return oom ? -1 : 0;
}

static int store_sqlite_sms_gateway(store *s, int64_t tenant_id, arena *a, store_sms_gateway *out,
                                    int *found, error *err)
{
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_gateway_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_one(c, st, read_gateway, a, out, found, "sms_gateway", err);
}

static sq_stmt sq_gateway_put = SQ_STMT(
    "INSERT INTO sms_gateways (tenant_id, sendsms_url, username, password_sealed, sender, "
    "updated_at, callback_base, dlr_key_sealed, broadcast_rate) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, coalesce(?9, 10)) ON CONFLICT (tenant_id) DO UPDATE SET sendsms_url = "
    "excluded.sendsms_url, username = excluded.username, password_sealed = "
    "excluded.password_sealed, sender = excluded.sender, updated_at = excluded.updated_at, "
    "callback_base = excluded.callback_base, dlr_key_sealed = excluded.dlr_key_sealed, "
    "broadcast_rate = excluded.broadcast_rate");

static int store_sqlite_tx_put_gateway(store *s, const store_sms_gateway *g, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_gateway_put, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, g->tenant_id);
    store_sqlite_bind_text(st, 2, g->sendsms_url);
    store_sqlite_bind_text(st, 3, g->username);
    store_sqlite_bind_text(st, 4, g->password_sealed);
    store_sqlite_bind_text(st, 5, g->sender);
    sqlite3_bind_int64(st, 6, store_sqlite_now_or(g->updated_at));
    store_sqlite_bind_text(st, 7, g->callback_base);
    store_sqlite_bind_text(st, 8, g->dlr_key_sealed);
    /* 0: the schema's default (NULL bound, coalesced). */
    store_sqlite_bind_id(st, 9, g->broadcast_rate);
    return store_sqlite_run_write(c, st, NULL, "sms_put_gateway", err);
}

static sq_stmt sq_opt_out = SQ_STMT("INSERT INTO sms_optouts (tenant_id, phone, created_at) "
                                    "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");

static int store_sqlite_tx_opt_out(store *s, int64_t tenant_id, const char *phone, int64_t when,
                                   error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_opt_out, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, phone);
    sqlite3_bind_int64(st, 3, store_sqlite_now_or(when));
    return store_sqlite_run_write(c, st, NULL, "sms_opt_out", err);
}

static sq_stmt sq_opt_in = SQ_STMT("DELETE FROM sms_optouts WHERE tenant_id = ?1 AND phone = ?2");

static int store_sqlite_tx_opt_in(store *s, int64_t tenant_id, const char *phone, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_opt_in, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, phone);
    return store_sqlite_run_write(c, st, NULL, "sms_opt_in", err);
}

static sq_stmt sq_opted_out =
    SQ_STMT("SELECT 1 FROM sms_optouts WHERE tenant_id = ?1 AND phone = ?2");

static int store_sqlite_opted_out(store *s, int64_t tenant_id, const char *phone, int *out,
                                  error *err)
{
    *out = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_opted_out, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, phone);
    int64_t one = 0;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &one, out, "sms_opted_out",
                                 err);
}

static int read_keyword(sqlite3_stmt *st, arena *a, void *p)
{
    store_sms_keyword *k = p;
    int oom = 0;
    k->tenant_id = sqlite3_column_int64(st, 0);
    k->keyword = store_sqlite_col_text(st, 1, a, &oom);
    k->procedure_id = sqlite3_column_int64(st, 2);
    return oom ? -1 : 0;
}

static sq_stmt sq_keyword_list = SQ_STMT("SELECT tenant_id, keyword, procedure_id FROM "
                                         "sms_keywords WHERE tenant_id = ?1 ORDER BY keyword");

static int store_sqlite_keyword_list(store *s, int64_t tenant_id, arena *a, store_sms_keyword **out,
                                     size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_keyword_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_keyword, a, sizeof(store_sms_keyword), &arr, n,
                              "sms_keyword_list", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static sq_stmt sq_keyword_add =
    SQ_STMT("INSERT INTO sms_keywords (tenant_id, keyword, procedure_id) VALUES (?1, ?2, ?3)");

static int store_sqlite_tx_keyword_add(store *s, const store_sms_keyword *k, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!k->keyword || !*k->keyword)
        return error_set(err, ERR_MISSING_ARG, "keyword", "the keyword is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_keyword_add, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, k->tenant_id);
    store_sqlite_bind_text(st, 2, k->keyword);
    sqlite3_bind_int64(st, 3, k->procedure_id);
    if (store_sqlite_run_write(c, st, NULL, "sms_keyword_add", err) == 0)
        return 0;
    if (err->code == ERR_CONFLICT) /* the primary key: the keyword is taken */
        error_set(err, ERR_CONFLICT, "keyword", "the collectivité has this keyword already");
    return -1;
}

static sq_stmt sq_keyword_delete =
    SQ_STMT("DELETE FROM sms_keywords WHERE tenant_id = ?1 AND keyword = ?2");

static int store_sqlite_tx_keyword_delete(store *s, int64_t tenant_id, const char *keyword,
                                          error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_keyword_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, keyword);
    return store_sqlite_run_update(c, st, "sms_keyword_delete", "SMS keyword", err);
}

const store_sms_ops store_sqlite_sms_ops = {
    .gateway = store_sqlite_sms_gateway,
    .tx_put_gateway = store_sqlite_tx_put_gateway,
    .tx_opt_out = store_sqlite_tx_opt_out,
    .tx_opt_in = store_sqlite_tx_opt_in,
    .opted_out = store_sqlite_opted_out,
    .keyword_list = store_sqlite_keyword_list,
    .tx_keyword_add = store_sqlite_tx_keyword_add,
    .tx_keyword_delete = store_sqlite_tx_keyword_delete,
};

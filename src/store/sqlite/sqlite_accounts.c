/*
 * sqlite_accounts — citizens' accounts (accounts): reads by id and e-mail, insert, update,
 * and the deletion of an account with what it leaves behind (its requests marked for
 * erasure, its sessions, tokens, «moi aussi» key and messages).
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns the row reader below reads, in its order. */
#define SQ_ACCOUNT_COLUMNS                                                                         \
    "id, tenant_id, email, password_hash, display_name, phone, notify, lang, "                     \
    "email_verified_at, created_at, phone_verified_at"

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
    acc->phone_verified_at = sqlite3_column_int64(st, 10);
    return oom ? -1 : 0;
}

static sq_stmt sq_account_get =
    SQ_STMT("SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_account_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                    store_account *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_account, a, out, found, "account_get", err);
}

/* The column's NOCASE collation makes the comparison case-insensitive (ASCII, as SQLite's
 * lower() that stores it). */
static sq_stmt sq_account_find_email =
    SQ_STMT("SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND email = ?2");

static int store_sqlite_account_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                           store_account *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_find_email, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_account, a, out, found, "account_find_email", err);
}

/* Through accounts_phone (migration 39). */
static sq_stmt sq_account_find_phone =
    SQ_STMT("SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND phone = ?2 "
            "ORDER BY id LIMIT ?3");

static int store_sqlite_account_find_phone(store *s, int64_t tenant_id, const char *phone,
                                           size_t max, arena *a, store_account **out, size_t *n,
                                           error *err)
{
    *out = NULL;
    *n = 0;
    if (!phone)
        return error_set(err, ERR_MISSING_ARG, "phone", "phone number is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_find_phone, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    return store_sqlite_read_all(c, st, read_account, a, sizeof **out, (void **)out, n,
                                 "account_find_phone", err);
}

/* Through accounts_phone too (phone = ?2 implies its phone IS NOT NULL); the verified
 * accounts of a number are among its few rows. */
static sq_stmt sq_account_find_verified_phone =
    SQ_STMT("SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND phone = ?2 "
            "AND phone_verified_at IS NOT NULL ORDER BY phone_verified_at DESC LIMIT 1");

static int store_sqlite_account_find_verified_phone(store *s, int64_t tenant_id, const char *phone,
                                                    arena *a, store_account *out, int *found,
                                                    error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_find_verified_phone, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, phone);
    return store_sqlite_read_one(c, st, read_account, a, out, found, "account_find_verified_phone",
                                 err);
}

/* Ids are never reused, even the last one deleted (accounts_retired, migration 7). */
static sq_stmt sq_account_insert = SQ_STMT(
    "INSERT INTO accounts (id, tenant_id, email, password_hash, display_name, phone, notify, "
    "lang, email_verified_at, created_at) VALUES (1 + max(coalesce((SELECT max(id) FROM "
    "accounts), 0), coalesce((SELECT last FROM accounts_retired), 0)), ?1, lower(?2), ?3, "
    "?4, ?5, coalesce(?6, 'email'), coalesce(?7, 'fr'), ?8, ?9)");

static int store_sqlite_tx_account_insert(store *s, const store_account *acc, int64_t *id_out,
                                          error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!acc->email || !*acc->email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_insert, err);
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
    sqlite3_bind_int64(st, 9, store_sqlite_now_or(acc->created_at));
    /* A taken address fails the UNIQUE constraint: ERR_CONFLICT from store_sqlite_fail. */
    if (store_sqlite_run_write(c, st, NULL, "account_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_account_update =
    SQ_STMT("UPDATE accounts SET password_hash = ?3, display_name = ?4, phone = ?5, "
            "notify = coalesce(?6, 'email'), lang = coalesce(?7, 'fr'), email_verified_at = ?8, "
            "phone_verified_at = ?9 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_account_update(store *s, const store_account *acc, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_update, err);
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
    store_sqlite_bind_id(st, 9, acc->phone_verified_at);
    return store_sqlite_run_update(c, st, "account_update", "account", err);
}

/* The requests of an account, as «Mes demandes» finds them (partial indexes
 * requests_citizen and requests_email); ?3 NULL matches no e-mail. */
static sq_stmt sq_accdel_events = SQ_STMT(
    "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, actor) "
    "SELECT tenant_id, id, max(updated_at, ?4), 'account_deleted', 0, ?5 FROM requests "
    "WHERE tenant_id = ?1 AND anonymised_at IS NULL AND (citizen_id = ?2 OR "
    "email = ?3 COLLATE NOCASE)");

/* Binds (tenant, account, e-mail or NULL, now, actor) as the two request statements take
 * them, and runs one; *changed gets the rows it touched. */
static int run_account_requests(store_sqlite_conn *c, sq_stmt *def, int64_t tenant_id,
                                int64_t account_id, const char *email, int64_t now,
                                const char *actor, int64_t *changed, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    store_sqlite_bind_text(st, 3, email);
    sqlite3_bind_int64(st, 4, now);
    if (def == &sq_accdel_events)
        store_sqlite_bind_text(st, 5, actor ? actor : "system");
    if (store_sqlite_run_write(c, st, NULL, "account_delete", err) != 0)
        return -1;
    if (changed)
        *changed = sqlite3_changes(c->db);
    return 0;
}

/* Runs a delete taking (tenant, one text or id) as its parameters. */
static int run_delete2(store_sqlite_conn *c, sq_stmt *def, int64_t tenant_id, const char *text,
                       int64_t num, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (text)
        store_sqlite_bind_text(st, 2, text);
    else
        sqlite3_bind_int64(st, 2, num);
    return store_sqlite_run_write(c, st, NULL, "account_delete", err);
}

static int read_account_email(sqlite3_stmt *st, arena *a, void *out)
{
    int oom = 0;
    *(const char **)out = store_sqlite_col_text(st, 2, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_accdel_requests =
    SQ_STMT("UPDATE requests SET citizen_id = NULL, erase_requested_at = ?4, "
            "updated_at = max(updated_at, ?4) WHERE tenant_id = ?1 AND anonymised_at IS NULL AND "
            "(citizen_id = ?2 OR email = ?3 COLLATE NOCASE)");

static sq_stmt sq_accdel_tokens =
    SQ_STMT("DELETE FROM account_tokens WHERE account_id = ?2 AND tenant_id = ?1");

static sq_stmt sq_accdel_support =
    SQ_STMT("DELETE FROM request_supports WHERE supporter_key = ?2 AND "
            "tenant_id = ?1");

static sq_stmt sq_accdel_outbox =
    SQ_STMT("DELETE FROM outbox WHERE tenant_id = ?1 AND recipient = ?2 COLLATE "
            "NOCASE AND request_id IS NULL");

/* Broadcast subscriptions (migration 33): the account's, and those of its address. */
static sq_stmt sq_accdel_sub_topics_account =
    SQ_STMT("DELETE FROM subscriber_topics WHERE subscriber_id IN (SELECT id FROM subscribers "
            "WHERE tenant_id = ?1 AND account_id = ?2)");
static sq_stmt sq_accdel_subscribers_account =
    SQ_STMT("DELETE FROM subscribers WHERE tenant_id = ?1 AND account_id = ?2");
static sq_stmt sq_accdel_sub_topics_address =
    SQ_STMT("DELETE FROM subscriber_topics WHERE subscriber_id IN (SELECT id FROM subscribers "
            "WHERE tenant_id = ?1 AND address = ?2 COLLATE NOCASE)");
static sq_stmt sq_accdel_subscribers_address =
    SQ_STMT("DELETE FROM subscribers WHERE tenant_id = ?1 AND address = ?2 COLLATE NOCASE");

static sq_stmt sq_accdel_account = SQ_STMT("DELETE FROM accounts WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_account_delete(store *s, int64_t tenant_id, int64_t account_id,
                                          int by_email, const char *supporter_key,
                                          const char *actor, int64_t now, int64_t *n_requests,
                                          error *err)
{
    if (n_requests)
        *n_requests = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_account_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, account_id);
    arena a;
    arena_init(&a, 1024);
    const char *email = NULL;
    int found = 0, ret = -1;
    if (store_sqlite_read_one(c, st, read_account_email, &a, &email, &found, "account_delete",
                              err) != 0)
        goto cleanup;
    if (!found) {
        error_set(err, ERR_NOT_FOUND, NULL, "account not found");
        goto cleanup;
    }
    /* The events first: they find the requests by the link the update then removes. */
    const char *match = by_email ? email : NULL;
    if (run_account_requests(c, &sq_accdel_events, tenant_id, account_id, match, now, actor, NULL,
                             err) != 0 ||
        run_account_requests(c, &sq_accdel_requests, tenant_id, account_id, match, now, actor,
                             n_requests, err) != 0)
        goto cleanup;
    if (store_sqlite_sessions_ops.tx_delete_account(s, tenant_id, account_id, err) != 0 ||
        run_delete2(c, &sq_accdel_tokens, tenant_id, NULL, account_id, err) != 0 ||
        (supporter_key &&
         run_delete2(c, &sq_accdel_support, tenant_id, supporter_key, 0, err) != 0) ||
        (email && run_delete2(c, &sq_accdel_outbox, tenant_id, email, 0, err) != 0) ||
        run_delete2(c, &sq_accdel_sub_topics_account, tenant_id, NULL, account_id, err) != 0 ||
        run_delete2(c, &sq_accdel_subscribers_account, tenant_id, NULL, account_id, err) != 0 ||
        (email &&
         (run_delete2(c, &sq_accdel_sub_topics_address, tenant_id, email, 0, err) != 0 ||
          run_delete2(c, &sq_accdel_subscribers_address, tenant_id, email, 0, err) != 0)) ||
        run_delete2(c, &sq_accdel_account, tenant_id, NULL, account_id, err) != 0)
        goto cleanup;
    ret = 0;
cleanup:
    arena_free(&a);
    return ret;
}

const store_accounts_ops store_sqlite_accounts_ops = {
    .get = store_sqlite_account_get,
    .find_email = store_sqlite_account_find_email,
    .find_phone = store_sqlite_account_find_phone,
    .find_verified_phone = store_sqlite_account_find_verified_phone,
    .tx_insert = store_sqlite_tx_account_insert,
    .tx_update = store_sqlite_tx_account_update,
    .tx_delete = store_sqlite_tx_account_delete,
};

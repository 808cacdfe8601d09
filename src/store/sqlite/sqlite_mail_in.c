/*
 * sqlite_mail_in — incoming e-mail's table: messages held as spam (mail_held). The contact
 * addresses new mail arrives at are sqlite_mail's (mail_contacts).
 */
#include <string.h>

#include "store/sqlite/sq.h"

static sq_stmt sq_held_insert = SQ_STMT("INSERT INTO mail_held (tenant_id, received_at, sender, "
                                        "subject, message) VALUES (?1, ?2, ?3, ?4, ?5)");

static int store_sqlite_tx_held_insert(store *s, const store_mail_held *m, int64_t *id_out,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!m->message || !m->sender)
        return error_set(err, ERR_MISSING_ARG, "message", "held mail needs its bytes and sender");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_held_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, m->tenant_id);
    sqlite3_bind_int64(st, 2, m->received_at);
    store_sqlite_bind_text(st, 3, m->sender);
    store_sqlite_bind_text(st, 4, m->subject ? m->subject : "");
    sqlite3_bind_blob64(st, 5, m->message, m->message_len, SQLITE_STATIC);
    return store_sqlite_run_write(c, st, id_out, "mail_held_insert", err);
}

static int read_held(sqlite3_stmt *st, arena *a, void *p)
{
    store_mail_held *m = p;
    int oom = 0;
    m->id = sqlite3_column_int64(st, 0);
    m->tenant_id = sqlite3_column_int64(st, 1);
    m->received_at = sqlite3_column_int64(st, 2);
    m->sender = store_sqlite_col_text(st, 3, a, &oom);
    m->subject = store_sqlite_col_text(st, 4, a, &oom);
    if (sqlite3_column_count(st) > 5) {
        const void *b = sqlite3_column_blob(st, 5);
        m->message_len = (size_t)sqlite3_column_bytes(st, 5);
        char *copy = arena_alloc(a, m->message_len + 1);
        if (!copy)
            return -1;
        if (m->message_len)
            memcpy(copy, b, m->message_len);
        copy[m->message_len] = '\0';
        m->message = copy;
    }
    return oom ? -1 : 0;
}

static sq_stmt sq_held_list =
    SQ_STMT("SELECT id, tenant_id, received_at, sender, subject FROM mail_held "
            "WHERE tenant_id = ?1 ORDER BY received_at DESC, id DESC");

static int store_sqlite_held_list(store *s, int64_t tenant_id, arena *a, store_mail_held **out,
                                  size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_held_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_held, a, sizeof(store_mail_held), &arr, n,
                              "mail_held_list", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static sq_stmt sq_held_get =
    SQ_STMT("SELECT id, tenant_id, received_at, sender, subject, message FROM mail_held "
            "WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_held_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                 store_mail_held *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_held_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_held, a, out, found, "mail_held_get", err);
}

static sq_stmt sq_held_delete = SQ_STMT("DELETE FROM mail_held WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_held_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_held_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "mail_held_delete", "held mail", err);
}

static sq_stmt sq_held_purge =
    SQ_STMT("DELETE FROM mail_held WHERE tenant_id = ?1 AND received_at < ?2");

static int store_sqlite_tx_held_purge(store *s, int64_t tenant_id, int64_t before, int64_t *n,
                                      error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_held_purge, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    if (store_sqlite_run_write(c, st, NULL, "mail_held_purge", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

const store_mail_in_ops store_sqlite_mail_in_ops = {
    .tx_held_insert = store_sqlite_tx_held_insert,
    .held_list = store_sqlite_held_list,
    .held_get = store_sqlite_held_get,
    .tx_held_delete = store_sqlite_tx_held_delete,
    .tx_held_purge = store_sqlite_tx_held_purge,
};

/*
 * sqlite_trust_anchors — the collectivités' trust anchors for signed PDF files
 * (trust_anchors: a CA certificate's PEM, with its subject, validity and fingerprint).
 */
#include "store/sqlite/sq.h"

#include <string.h>

static int read_anchor(sqlite3_stmt *st, arena *a, void *p)
{
    store_trust_anchor *t = p;
    int oom = 0;
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    t->pem = store_sqlite_col_text(st, 2, a, &oom);
    t->subject = store_sqlite_col_text(st, 3, a, &oom);
    t->not_before = sqlite3_column_int64(st, 4);
    t->not_after = sqlite3_column_int64(st, 5);
    t->fingerprint = store_sqlite_col_text(st, 6, a, &oom);
    t->added_at = sqlite3_column_int64(st, 7);
    return oom ? -1 : 0;
}

static sq_stmt sq_anchor_list =
    SQ_STMT("SELECT id, tenant_id, pem, subject, not_before, not_after, fingerprint, added_at "
            "FROM trust_anchors WHERE tenant_id = ?1 ORDER BY id");

static int store_sqlite_anchor_list(store *s, int64_t tenant_id, arena *a, store_trust_anchor **out,
                                    size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_anchor_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, read_anchor, a, sizeof **out, (void **)out, n,
                                 "trust_anchor_list", err);
}

static sq_stmt sq_anchor_insert =
    SQ_STMT("INSERT INTO trust_anchors (tenant_id, pem, subject, not_before, not_after, "
            "fingerprint, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

static int store_sqlite_tx_anchor_insert(store *s, const store_trust_anchor *t, int64_t *id_out,
                                         error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_anchor_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    store_sqlite_bind_text(st, 2, t->pem);
    store_sqlite_bind_text(st, 3, t->subject);
    sqlite3_bind_int64(st, 4, t->not_before);
    sqlite3_bind_int64(st, 5, t->not_after);
    store_sqlite_bind_text(st, 6, t->fingerprint);
    sqlite3_bind_int64(st, 7, t->added_at);
    if (store_sqlite_run_write(c, st, NULL, "trust_anchor_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_anchor_delete =
    SQ_STMT("DELETE FROM trust_anchors WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_anchor_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_anchor_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    if (store_sqlite_run_write(c, st, NULL, "trust_anchor_delete", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "trust anchor not found");
    return 0;
}

const store_trust_anchors_ops store_sqlite_trust_anchors_ops = {
    .list = store_sqlite_anchor_list,
    .tx_insert = store_sqlite_tx_anchor_insert,
    .tx_delete = store_sqlite_tx_anchor_delete,
};

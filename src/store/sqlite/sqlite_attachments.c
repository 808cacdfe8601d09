/*
 * sqlite_attachments — files attached to requests (attachments): their rows, moderation,
 * a request's first approved photo (the public cards' thumbnail), and whether a stored file name is
 * still referred to (the start-up sweep).
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns the row reader below reads, in its order. */
#define SQ_ATTACHMENT_COLUMNS                                                                      \
    "id, tenant_id, request_id, event_id, filename, content_type, size, storage_name, "            \
    "thumb_name, is_photo, moderation, created_at"

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

static sq_stmt sq_attachment_insert =
    SQ_STMT("INSERT INTO attachments (tenant_id, request_id, event_id, filename, content_type, "
            "size, storage_name, thumb_name, is_photo, moderation, created_at) VALUES (?1, ?2, ?3, "
            "?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, 'pending'), ?11)");

static int store_sqlite_tx_attachment_insert(store *s, const store_attachment *at, int64_t *id_out,
                                             error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (at->moderation && !moderation_valid(at->moderation))
        return error_set(err, ERR_INVALID_ARG, "moderation", "unknown moderation state");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachment_insert, err);
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
    sqlite3_bind_int64(st, 11, store_sqlite_now_or(at->created_at));
    if (store_sqlite_run_write(c, st, NULL, "attachment_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_attachment_get =
    SQ_STMT("SELECT " SQ_ATTACHMENT_COLUMNS " FROM attachments WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_attachment_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                       store_attachment *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachment_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_attachment, a, out, found, "attachment_get", err);
}

/* Every column is indexed (the thumbnail's by migration 5, the post room's by 46): the post
 * room's scans wait in the same directory before they become attachments. */
static sq_stmt sq_attachment_file_known =
    SQ_STMT("SELECT 1 FROM attachments WHERE storage_name = ?1 UNION ALL "
            "SELECT 1 FROM attachments WHERE thumb_name = ?1 UNION ALL "
            "SELECT 1 FROM post_letters WHERE storage_name = ?1 UNION ALL "
            "SELECT 1 FROM post_letters WHERE preview = ?1 LIMIT 1");

static int store_sqlite_attachment_file_known(store *s, const char *name, int *known, error *err)
{
    *known = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachment_file_known, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    int64_t one;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &one, known,
                                 "attachment_file_known", err);
}

static sq_stmt sq_attachments_list =
    SQ_STMT("SELECT " SQ_ATTACHMENT_COLUMNS " FROM attachments WHERE "
            "request_id = ?2 AND tenant_id = ?1 ORDER BY id");

static int store_sqlite_attachments_list(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                                         store_attachment **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachments_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    return store_sqlite_read_all(c, st, read_attachment, a, sizeof **out, (void **)out, n,
                                 "attachments_list", err);
}

/* Through attachments_request: a request has a handful of files. */
static sq_stmt sq_attachment_first_public_photo =
    SQ_STMT("SELECT id FROM attachments WHERE request_id = ?2 AND tenant_id = ?1 AND "
            "is_photo = 1 AND moderation = 'approved' AND thumb_name IS NOT NULL "
            "ORDER BY id LIMIT 1");

static int store_sqlite_attachment_first_public_photo(store *s, int64_t tenant_id,
                                                      int64_t request_id, int64_t *id, error *err)
{
    *id = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachment_first_public_photo, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    int found = 0;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, id, &found,
                                 "attachment_first_public_photo", err);
}

static sq_stmt sq_attachment_moderate =
    SQ_STMT("UPDATE attachments SET moderation = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_attachment_moderate(store *s, int64_t tenant_id, int64_t id,
                                               const char *moderation, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!moderation_valid(moderation))
        return error_set(err, ERR_INVALID_ARG, "moderation", "unknown moderation state");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_attachment_moderate, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, moderation, -1, SQLITE_STATIC);
    return store_sqlite_run_update(c, st, "attachment_moderate", "attachment", err);
}

const store_attachments_ops store_sqlite_attachments_ops = {
    .tx_insert = store_sqlite_tx_attachment_insert,
    .get = store_sqlite_attachment_get,
    .list = store_sqlite_attachments_list,
    .tx_moderate = store_sqlite_tx_attachment_moderate,
    .file_known = store_sqlite_attachment_file_known,
    .first_public_photo = store_sqlite_attachment_first_public_photo,
};

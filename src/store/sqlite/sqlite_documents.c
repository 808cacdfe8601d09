/*
 * sqlite_documents — documents issued about requests (documents): the insert, a request's
 * versions of a kind, and the versions a verification code leads to. The bytes are written,
 * never read back here with the rows (lists stay small whatever the PDFs weigh).
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns the row reader below reads, in its order (d: documents, r: requests). */
#define SQ_DOCUMENT_COLUMNS                                                                        \
    "d.id, d.tenant_id, d.request_id, r.reference, d.kind, d.version, d.code, d.sha256, d.size, "  \
    "d.created_at, d.title, d.agent_id, d.citizen_visible"

static int read_document(sqlite3_stmt *st, arena *a, void *p)
{
    store_document *d = p;
    int oom = 0;
    d->id = sqlite3_column_int64(st, 0);
    d->tenant_id = sqlite3_column_int64(st, 1);
    d->request_id = sqlite3_column_int64(st, 2);
    d->reference = store_sqlite_col_text(st, 3, a, &oom);
    d->kind = store_sqlite_col_text(st, 4, a, &oom);
    d->version = sqlite3_column_int(st, 5);
    d->code = store_sqlite_col_text(st, 6, a, &oom);
    d->sha256 = store_sqlite_col_text(st, 7, a, &oom);
    d->size = sqlite3_column_int64(st, 8);
    d->created_at = sqlite3_column_int64(st, 9);
    d->title = store_sqlite_col_text(st, 10, a, &oom);
    d->agent_id = sqlite3_column_int64(st, 11);
    d->citizen_visible = sqlite3_column_int(st, 12);
    return oom ? -1 : 0;
}

static sq_stmt sq_document_insert = SQ_STMT(
    "INSERT INTO documents (tenant_id, request_id, kind, version, code, sha256, size, "
    "content, created_at, title, agent_id, citizen_visible) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10, ?11, ?12)");

static int store_sqlite_tx_document_insert(store *s, const store_document *d, int64_t *id_out,
                                           error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!d->content || d->size <= 0)
        return error_set(err, ERR_MISSING_ARG, "content", "a document needs its bytes");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_document_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->tenant_id);
    sqlite3_bind_int64(st, 2, d->request_id);
    store_sqlite_bind_text(st, 3, d->kind);
    sqlite3_bind_int(st, 4, d->version);
    store_sqlite_bind_text(st, 5, d->code);
    store_sqlite_bind_text(st, 6, d->sha256);
    sqlite3_bind_int64(st, 7, d->size);
    sqlite3_bind_blob64(st, 8, d->content, (sqlite3_uint64)d->size, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, store_sqlite_now_or(d->created_at));
    store_sqlite_bind_text(st, 10, d->title);
    store_sqlite_bind_id(st, 11, d->agent_id);
    sqlite3_bind_int(st, 12, d->citizen_visible ? 1 : 0);
    if (store_sqlite_run_write(c, st, NULL, "document_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_document_next_version =
    SQ_STMT("SELECT ifnull(max(version), 0) + 1 FROM documents WHERE request_id = ?1 AND kind = ?2 "
            "AND ifnull(title, '') = ifnull(?3, '')");

static int store_sqlite_tx_document_next_version(store *s, int64_t request_id, const char *kind,
                                                 const char *title, int *out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_document_next_version, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    store_sqlite_bind_text(st, 2, kind);
    store_sqlite_bind_text(st, 3, title);
    int64_t v = 1;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found,
                              "document_next_version", err) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static sq_stmt sq_documents_list =
    SQ_STMT("SELECT " SQ_DOCUMENT_COLUMNS " FROM documents d JOIN requests r ON r.id = "
            "d.request_id WHERE d.tenant_id = ?1 AND d.request_id = ?2 AND (?3 IS NULL OR d.kind = "
            "?3) ORDER BY d.created_at, d.id");

static int store_sqlite_documents_list(store *s, int64_t tenant_id, int64_t request_id,
                                       const char *kind, arena *a, store_document **out, size_t *n,
                                       error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_documents_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, kind);
    return store_sqlite_read_all(c, st, read_document, a, sizeof **out, (void **)out, n,
                                 "documents_list", err);
}

static sq_stmt sq_documents_by_code =
    SQ_STMT("SELECT " SQ_DOCUMENT_COLUMNS " FROM documents d JOIN requests r ON r.id = "
            "d.request_id JOIN documents k ON k.tenant_id = ?1 AND k.code = ?2 AND k.request_id = "
            "d.request_id AND k.kind = d.kind AND k.title IS d.title ORDER BY d.version");

static int store_sqlite_documents_by_code(store *s, int64_t tenant_id, const char *code, arena *a,
                                          store_document **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_documents_by_code, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, code);
    return store_sqlite_read_all(c, st, read_document, a, sizeof **out, (void **)out, n,
                                 "documents_by_code", err);
}

static sq_stmt sq_documents_code_by_sha256 =
    SQ_STMT("SELECT code FROM documents WHERE tenant_id = ?1 AND sha256 = ?2 ORDER BY id DESC "
            "LIMIT 1");

static int store_sqlite_documents_code_by_sha256(store *s, int64_t tenant_id, const char *sha256,
                                                 arena *a, const char **code, error *err)
{
    *code = NULL;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_documents_code_by_sha256, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, sha256);
    return store_sqlite_read_text(c, st, a, code, "documents_code_by_sha256", err);
}

/* Per collectivité through requests_created (tenant, created_at), each request probed in
 * documents_version (request, kind, …) and jobs_request (request, kind). */
static sq_stmt sq_documents_without_receipt = SQ_STMT(
    "SELECT r.tenant_id, r.id, r.created_at FROM tenants t JOIN requests r ON r.tenant_id = t.id "
    "AND r.created_at >= ?1 WHERE r.anonymised_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
    "documents d WHERE d.request_id = r.id AND d.kind = 'receipt') AND NOT EXISTS (SELECT 1 "
    "FROM jobs j WHERE j.request_id = r.id AND j.kind = ?2) LIMIT ?3");

static int read_missing(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    store_document *d = p;
    d->tenant_id = sqlite3_column_int64(st, 0);
    d->request_id = sqlite3_column_int64(st, 1);
    d->created_at = sqlite3_column_int64(st, 2);
    return 0;
}

static int store_sqlite_documents_without_receipt(store *s, int64_t since, const char *job_kind,
                                                  size_t limit, arena *a, store_document **out,
                                                  size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_documents_without_receipt, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    store_sqlite_bind_text(st, 2, job_kind);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    return store_sqlite_read_all(c, st, read_missing, a, sizeof **out, (void **)out, n,
                                 "documents_without_receipt", err);
}

static sq_stmt sq_document_get =
    SQ_STMT("SELECT " SQ_DOCUMENT_COLUMNS ", d.content FROM documents d JOIN requests r ON r.id = "
            "d.request_id WHERE d.tenant_id = ?1 AND d.id = ?2");

/* read_document and the bytes (column 13), copied into a. */
static int read_document_content(sqlite3_stmt *st, arena *a, void *p)
{
    store_document *d = p;
    if (read_document(st, a, d) != 0)
        return -1;
    int n = sqlite3_column_bytes(st, 13);
    void *copy = arena_alloc(a, n > 0 ? (size_t)n : 1);
    if (!copy)
        return -1;
    if (n > 0)
        memcpy(copy, sqlite3_column_blob(st, 13), (size_t)n);
    d->content = copy;
    d->size = n;
    return 0;
}

static int store_sqlite_document_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                     store_document *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_document_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_document_content, a, out, found, "document_get", err);
}

const store_documents_ops store_sqlite_documents_ops = {
    .get = store_sqlite_document_get,
    .tx_insert = store_sqlite_tx_document_insert,
    .tx_next_version = store_sqlite_tx_document_next_version,
    .list = store_sqlite_documents_list,
    .by_code = store_sqlite_documents_by_code,
    .code_by_sha256 = store_sqlite_documents_code_by_sha256,
    .without_receipt = store_sqlite_documents_without_receipt,
};

/*
 * sqlite_retention — retention (RGPD): the closed requests past their retention or whose
 * erasure was asked, and the anonymisation of one request with everything that names its
 * citizen (events' text, «moi aussi» keys, messages, attachments).
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* Each search states the conditions of its partial index (requests_retention,
 * requests_erase), so that anonymised history is never scanned. */
static sq_stmt sq_retention_due =
    SQ_STMT("SELECT id FROM requests WHERE tenant_id = ?1 AND procedure_id = ?2 AND "
            "closed_at IS NOT NULL AND anonymised_at IS NULL AND closed_at < ?3 "
            "ORDER BY closed_at, id LIMIT ?4");

static sq_stmt sq_erase_due =
    SQ_STMT("SELECT id FROM requests WHERE tenant_id = ?1 AND erase_requested_at IS NOT "
            "NULL AND anonymised_at IS NULL AND closed_at IS NOT NULL "
            "ORDER BY closed_at, id LIMIT ?2");

static int store_sqlite_requests_retention_due(store *s, int64_t tenant_id, int64_t procedure_id,
                                               int64_t closed_before, size_t limit, arena *a,
                                               int64_t **ids, size_t *n, error *err)
{
    *ids = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "requests_retention_due: no limit");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, procedure_id ? &sq_retention_due : &sq_erase_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (procedure_id) {
        sqlite3_bind_int64(st, 2, procedure_id);
        sqlite3_bind_int64(st, 3, closed_before);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    } else {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    }
    return store_sqlite_read_all(c, st, store_sqlite_read_int64, a, sizeof **ids, (void **)ids, n,
                                 "requests_retention_due", err);
}

static sq_stmt sq_retention_count =
    SQ_STMT("SELECT count(*) FROM requests WHERE tenant_id = ?1 AND "
            "procedure_id = ?2 AND closed_at IS NOT NULL AND anonymised_at IS "
            "NULL AND closed_at < ?3 AND erase_requested_at IS NULL");

static sq_stmt sq_erase_count =
    SQ_STMT("SELECT count(*) FROM requests WHERE tenant_id = ?1 AND "
            "erase_requested_at IS NOT NULL AND anonymised_at IS NULL AND "
            "closed_at IS NOT NULL");

static int store_sqlite_requests_retention_count(store *s, int64_t tenant_id, int64_t procedure_id,
                                                 int64_t closed_before, int64_t *count, error *err)
{
    *count = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st =
        store_sqlite_stmt(c, procedure_id ? &sq_retention_count : &sq_erase_count, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (procedure_id) {
        sqlite3_bind_int64(st, 2, procedure_id);
        sqlite3_bind_int64(st, 3, closed_before);
    }
    int found; /* count(*) always gives its row */
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, count, &found,
                                 "requests_retention_count", err);
}

static int read_removed(sqlite3_stmt *st, arena *a, void *out)
{
    store_attachment *at = out;
    int oom = 0;
    at->storage_name = store_sqlite_col_text(st, 0, a, &oom);
    at->thumb_name = store_sqlite_col_text(st, 1, a, &oom);
    return oom ? -1 : 0;
}

/* Runs statement def with the request id as its only parameter. */
static int run_on_request(store_sqlite_conn *c, sq_stmt *def, int64_t request_id, const char *what,
                          error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    return store_sqlite_run_write(c, st, NULL, what, err);
}

/* The full-text index follows through its update trigger. */
static sq_stmt sq_anon_request = SQ_STMT(
    "UPDATE requests SET token_hash = NULL, short_code_hash = NULL, description = NULL, "
    "public_description = NULL, lat = ?3, "
    "lon = ?4, "
    "address = NULL, address_id = NULL, attributes = ?5, first_name = NULL, last_name = NULL, "
    "email = NULL, phone = NULL, device_id = NULL, account_id = NULL, media_url = NULL, "
    "status_notes = NULL, citizen_id = NULL, notify = 'none', rating_comment = NULL, "
    "anonymised_at = ?6, updated_at = max(updated_at, ?6) WHERE id = ?2 AND tenant_id = ?1");

/* Kept: bodies that name an agent (assign), a priority or a department code. */
static sq_stmt sq_anon_events =
    SQ_STMT("UPDATE request_events SET body = NULL WHERE request_id = ?1 AND body IS "
            "NOT NULL AND kind NOT IN ('assign', 'priority', 'department')");

/* The copies a merge made of its words on the request it was merged into. */
static sq_stmt sq_anon_copies =
    SQ_STMT("UPDATE request_events SET body = NULL WHERE copied_from = ?1 AND body IS NOT NULL");

/* What an Open311 client told about the author of its updates. */
static sq_stmt sq_anon_client_updates =
    SQ_STMT("UPDATE open311_updates SET first_name = NULL, last_name = NULL, email = NULL, "
            "phone = NULL, media_url = NULL WHERE request_id = ?1");

static sq_stmt sq_anon_supports = SQ_STMT("DELETE FROM request_supports WHERE request_id = ?1");

static sq_stmt sq_anon_outbox = SQ_STMT("DELETE FROM outbox WHERE request_id = ?1");

/* Its signature circuits (parapheur) name its documents and carry the agents' and élus' words
 * about it: they go first, their steps before them, or the documents' foreign keys refuse. */
static sq_stmt sq_anon_sign_steps =
    SQ_STMT("DELETE FROM sign_steps WHERE circuit_id IN (SELECT id FROM sign_circuits WHERE "
            "request_id = ?1)");
static sq_stmt sq_anon_sign_circuits = SQ_STMT("DELETE FROM sign_circuits WHERE request_id = ?1");

/* Its documents name the citizen (a receipt's addressee): they go, and their codes with them. */
static sq_stmt sq_anon_documents = SQ_STMT("DELETE FROM documents WHERE request_id = ?1");

/* The post room's letters filed as it or linked to it: their OCR text, proposals, name and
 * reason go now, and each becomes a letter dropped long ago (no request, decided at 0), so the
 * next pass's purge of dropped scans (courrier_purge) removes its file and preview once no
 * other letter of the same file is still to process or filed with another request. */
static sq_stmt sq_anon_post_letters =
    SQ_STMT("UPDATE post_letters SET state = 'discarded', text = NULL, proposals = NULL, "
            "filename = '', reason = NULL, confidence = 0, request_id = NULL, decided_by = NULL, "
            "decided_at = 0 WHERE tenant_id = ?1 AND request_id = ?2");

static sq_stmt sq_anon_attachments =
    SQ_STMT("DELETE FROM attachments WHERE request_id = ?2 AND tenant_id = ?1 "
            "RETURNING storage_name, thumb_name");

/* The copies of its files a merge made on the request it was merged into (their events
 * name it; by request first, which is indexed). */
static sq_stmt sq_anon_copied_files =
    SQ_STMT("DELETE FROM attachments WHERE tenant_id = ?1 AND request_id IN (SELECT request_id "
            "FROM request_events WHERE copied_from = ?2) AND event_id IN (SELECT id FROM "
            "request_events WHERE copied_from = ?2) RETURNING storage_name, thumb_name");

/* Runs a DELETE … RETURNING storage_name, thumb_name of (tenant_id, request_id), adding the
 * names to *removed (grown in a). */
static int delete_files(store_sqlite_conn *c, sq_stmt *def, int64_t tenant_id, int64_t request_id,
                        arena *a, store_attachment **removed, size_t *n_removed, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    void *out = NULL;
    size_t n = 0;
    if (store_sqlite_read_all(c, st, read_removed, a, sizeof **removed, &out, &n,
                              "request_anonymise", err) != 0)
        return -1;
    if (n == 0)
        return 0;
    if (*n_removed == 0) {
        *removed = out;
        *n_removed = n;
        return 0;
    }
    store_attachment *all = arena_alloc(a, (*n_removed + n) * sizeof *all);
    if (!all)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    memcpy(all, *removed, *n_removed * sizeof *all);
    memcpy(all + *n_removed, out, n * sizeof *all);
    *removed = all;
    *n_removed += n;
    return 0;
}

static int store_sqlite_tx_request_anonymise(store *s, int64_t tenant_id, int64_t request_id,
                                             const store_anonymised *keep, int64_t now, arena *a,
                                             store_attachment **removed, size_t *n_removed,
                                             error *err)
{
    *removed = NULL;
    *n_removed = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_anon_request, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    if (keep && keep->has_location) {
        sqlite3_bind_double(st, 3, keep->lat);
        sqlite3_bind_double(st, 4, keep->lon);
    } else {
        sqlite3_bind_null(st, 3);
        sqlite3_bind_null(st, 4);
    }
    store_sqlite_bind_text(st, 5, keep ? keep->attributes : NULL);
    sqlite3_bind_int64(st, 6, now);
    if (store_sqlite_run_update(c, st, "request_anonymise", "request", err) != 0)
        return -1;
    if (run_on_request(c, &sq_anon_events, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_copies, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_client_updates, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_supports, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_outbox, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_sign_steps, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_sign_circuits, request_id, "request_anonymise", err) != 0 ||
        run_on_request(c, &sq_anon_documents, request_id, "request_anonymise", err) != 0)
        return -1;
    if (!(st = store_sqlite_stmt(c, &sq_anon_post_letters, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    if (store_sqlite_run_write(c, st, NULL, "request_anonymise", err) != 0)
        return -1;
    /* Files are removed once the job is durable, by the caller (core/retention.c). */
    if (delete_files(c, &sq_anon_attachments, tenant_id, request_id, a, removed, n_removed, err) !=
            0 ||
        delete_files(c, &sq_anon_copied_files, tenant_id, request_id, a, removed, n_removed, err) !=
            0)
        return -1;
    return 0;
}

const store_retention_ops store_sqlite_retention_ops = {
    .due = store_sqlite_requests_retention_due,
    .count = store_sqlite_requests_retention_count,
    .tx_anonymise = store_sqlite_tx_request_anonymise,
};

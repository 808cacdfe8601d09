/*
 * sqlite_post — the post room's letters (post_letters): the insert, the one update that
 * moves a letter on from the state it was read in (so that two agents, or a job and an
 * agent, never both decide), a letter, and the list still to process.
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The columns read_letter reads, in its order; the list leaves the text out (column 14
 * NULL). */
#define SQ_POST_HEAD                                                                               \
    "id, tenant_id, COALESCE(scan_id, id), filename, content_type, storage_name, size, "           \
    "received_at, received_by, state, reason, first_page, last_page, pages, "
#define SQ_POST_TAIL ", confidence, proposals, request_id, decided_by, decided_at, preview"

static int read_letter(sqlite3_stmt *st, arena *a, void *p)
{
    store_post_letter *l = p;
    int oom = 0;
    l->id = sqlite3_column_int64(st, 0);
    l->tenant_id = sqlite3_column_int64(st, 1);
    l->scan_id = sqlite3_column_int64(st, 2);
    l->filename = store_sqlite_col_text(st, 3, a, &oom);
    l->content_type = store_sqlite_col_text(st, 4, a, &oom);
    l->storage_name = store_sqlite_col_text(st, 5, a, &oom);
    l->size = sqlite3_column_int64(st, 6);
    l->received_at = sqlite3_column_int64(st, 7);
    l->received_by = store_sqlite_col_text(st, 8, a, &oom);
    l->state = store_sqlite_col_text(st, 9, a, &oom);
    l->reason = store_sqlite_col_text(st, 10, a, &oom);
    l->first_page = sqlite3_column_int(st, 11);
    l->last_page = sqlite3_column_int(st, 12);
    l->pages = sqlite3_column_int(st, 13);
    l->text = store_sqlite_col_text(st, 14, a, &oom);
    l->confidence = sqlite3_column_int(st, 15);
    l->proposals = store_sqlite_col_text(st, 16, a, &oom);
    l->request_id = sqlite3_column_int64(st, 17);
    l->decided_by = store_sqlite_col_text(st, 18, a, &oom);
    l->decided_at = sqlite3_column_int64(st, 19);
    l->preview = store_sqlite_col_text(st, 20, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_post_insert = SQ_STMT(
    "INSERT INTO post_letters (tenant_id, scan_id, filename, content_type, storage_name, size, "
    "received_at, received_by, state, reason, first_page, last_page, pages, text, confidence, "
    "proposals, preview) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17)");

static int store_sqlite_tx_post_insert(store *s, const store_post_letter *l, int64_t *id_out,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_post_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, l->tenant_id);
    store_sqlite_bind_id(st, 2, l->scan_id);
    store_sqlite_bind_text(st, 3, l->filename);
    store_sqlite_bind_text(st, 4, l->content_type);
    store_sqlite_bind_text(st, 5, l->storage_name);
    sqlite3_bind_int64(st, 6, l->size);
    sqlite3_bind_int64(st, 7, store_sqlite_now_or(l->received_at));
    store_sqlite_bind_text(st, 8, l->received_by);
    store_sqlite_bind_text(st, 9, l->state);
    store_sqlite_bind_text(st, 10, l->reason);
    sqlite3_bind_int(st, 11, l->first_page);
    sqlite3_bind_int(st, 12, l->last_page);
    sqlite3_bind_int(st, 13, l->pages);
    store_sqlite_bind_text(st, 14, l->text);
    sqlite3_bind_int(st, 15, l->confidence);
    store_sqlite_bind_text(st, 16, l->proposals);
    store_sqlite_bind_text(st, 17, l->preview);
    if (store_sqlite_run_write(c, st, NULL, "post_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_post_set = SQ_STMT(
    "UPDATE post_letters SET state = ?3, reason = ?4, first_page = ?5, last_page = ?6, pages = "
    "?7, text = ?8, confidence = ?9, proposals = ?10, request_id = ?11, decided_by = ?12, "
    "decided_at = ?13, preview = coalesce(?15, preview) WHERE tenant_id = ?1 AND id = ?2 AND "
    "state = ?14");

static int store_sqlite_tx_post_set(store *s, const store_post_letter *l, const char *from_state,
                                    error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_post_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, l->tenant_id);
    sqlite3_bind_int64(st, 2, l->id);
    store_sqlite_bind_text(st, 3, l->state);
    store_sqlite_bind_text(st, 4, l->reason);
    sqlite3_bind_int(st, 5, l->first_page);
    sqlite3_bind_int(st, 6, l->last_page);
    sqlite3_bind_int(st, 7, l->pages);
    store_sqlite_bind_text(st, 8, l->text);
    sqlite3_bind_int(st, 9, l->confidence);
    store_sqlite_bind_text(st, 10, l->proposals);
    store_sqlite_bind_id(st, 11, l->request_id);
    store_sqlite_bind_text(st, 12, l->decided_by);
    if (l->decided_at)
        sqlite3_bind_int64(st, 13, l->decided_at);
    else
        sqlite3_bind_null(st, 13);
    store_sqlite_bind_text(st, 14, from_state);
    store_sqlite_bind_text(st, 15, l->preview);
    return store_sqlite_run_update(c, st, "post_set", "post letter in that state", err);
}

static sq_stmt sq_post_get = SQ_STMT("SELECT " SQ_POST_HEAD "text" SQ_POST_TAIL
                                     " FROM post_letters WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_post_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                 store_post_letter *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_post_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_letter, a, out, found, "post_get", err);
}

static sq_stmt sq_post_open =
    SQ_STMT("SELECT " SQ_POST_HEAD "NULL" SQ_POST_TAIL
            " FROM post_letters WHERE tenant_id = ?1 AND state IN ('queued', 'pending', "
            "'rejected') ORDER BY received_at, id LIMIT ?2");

static int store_sqlite_post_list_open(store *s, int64_t tenant_id, size_t limit, arena *a,
                                       store_post_letter **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_post_open, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    return store_sqlite_read_all(c, st, read_letter, a, sizeof **out, (void **)out, n,
                                 "post_list_open", err);
}

/* The candidates through post_letters_open (tenant, state, received_at: a letter is decided
 * after it is received), then each file's rows through post_letters_file. */
static sq_stmt sq_post_dropped = SQ_STMT(
    "SELECT c.storage_name, (SELECT max(p.preview) FROM post_letters p WHERE p.storage_name = "
    "c.storage_name AND p.tenant_id = ?1) FROM (SELECT DISTINCT storage_name FROM post_letters "
    "WHERE tenant_id = ?1 AND state IN ('discarded', 'rejected') AND received_at < ?2) c WHERE "
    "NOT EXISTS (SELECT 1 FROM post_letters p WHERE p.storage_name = c.storage_name AND "
    "p.tenant_id = ?1 AND (p.state NOT IN ('discarded', 'rejected') OR coalesce(p.decided_at, "
    "p.received_at) >= ?2)) LIMIT ?3");
static sq_stmt sq_post_delete_file =
    SQ_STMT("DELETE FROM post_letters WHERE tenant_id = ?1 AND storage_name = ?2");

/* A dropped file's name and its preview's (NULL: none). */
typedef struct dropped_file {
    const char *name, *preview;
} dropped_file;

static int read_dropped(sqlite3_stmt *st, arena *a, void *p)
{
    dropped_file *d = p;
    int oom = 0;
    d->name = store_sqlite_col_text(st, 0, a, &oom);
    d->preview = store_sqlite_col_text(st, 1, a, &oom);
    return oom ? -1 : 0;
}

static int store_sqlite_tx_post_purge_dropped(store *s, int64_t tenant_id, int64_t before,
                                              size_t limit, arena *a, const char ***files,
                                              size_t *n_files, int64_t *n_rows, error *err)
{
    *files = NULL;
    *n_files = 0;
    *n_rows = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_post_dropped, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    dropped_file *found = NULL;
    size_t n = 0;
    if (store_sqlite_read_all(c, st, read_dropped, a, sizeof *found, (void **)&found, &n,
                              "post_dropped", err) != 0)
        return -1;
    const char **names = arena_alloc(a, (2 * n + 1) * sizeof *names);
    if (!names)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(st = store_sqlite_stmt(c, &sq_post_delete_file, err)))
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        store_sqlite_bind_text(st, 2, found[i].name);
        if (store_sqlite_run_write(c, st, NULL, "post_delete_file", err) != 0)
            return -1;
        *n_rows += sqlite3_changes(c->db);
        names[(*n_files)++] = found[i].name;
        if (found[i].preview)
            names[(*n_files)++] = found[i].preview;
    }
    *files = names;
    return 0;
}

const store_post_ops store_sqlite_post_ops = {
    .tx_purge_dropped = store_sqlite_tx_post_purge_dropped,
    .tx_insert = store_sqlite_tx_post_insert,
    .tx_set = store_sqlite_tx_post_set,
    .get = store_sqlite_post_get,
    .list_open = store_sqlite_post_list_open,
};

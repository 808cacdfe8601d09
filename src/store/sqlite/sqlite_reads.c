/*
 * sqlite_reads — the SQLite backend's reads. Each runs on the calling thread's own read
 * connection with cached prepared statements, and copies what it returns into the caller's
 * arena before resetting the statement (so that no read snapshot outlives the call).
 */
#include "store/sqlite/sq.h"

#include <stdio.h>
#include <string.h>

static int oom_fail(error *err)
{
    return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory (arena full)");
}

int store_sqlite_read_request(sqlite3_stmt *st, arena *a, store_request *out, error *err)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->tenant_id = sqlite3_column_int64(st, 1);
    out->reference = store_sqlite_col_text(st, 2, a, &oom);
    out->token_hash = store_sqlite_col_text(st, 3, a, &oom);
    out->procedure_id = sqlite3_column_int64(st, 4);
    out->status = store_sqlite_col_text(st, 5, a, &oom);
    out->channel = store_sqlite_col_text(st, 6, a, &oom);
    out->description = store_sqlite_col_text(st, 7, a, &oom);
    if (sqlite3_column_type(st, 8) != SQLITE_NULL && sqlite3_column_type(st, 9) != SQLITE_NULL) {
        out->has_location = 1;
        out->lat = sqlite3_column_double(st, 8);
        out->lon = sqlite3_column_double(st, 9);
    }
    out->address = store_sqlite_col_text(st, 10, a, &oom);
    out->address_id = store_sqlite_col_text(st, 11, a, &oom);
    out->zipcode = store_sqlite_col_text(st, 12, a, &oom);
    out->attributes = store_sqlite_col_text(st, 13, a, &oom);
    out->first_name = store_sqlite_col_text(st, 14, a, &oom);
    out->last_name = store_sqlite_col_text(st, 15, a, &oom);
    out->email = store_sqlite_col_text(st, 16, a, &oom);
    out->phone = store_sqlite_col_text(st, 17, a, &oom);
    out->device_id = store_sqlite_col_text(st, 18, a, &oom);
    out->account_id = store_sqlite_col_text(st, 19, a, &oom);
    out->media_url = store_sqlite_col_text(st, 20, a, &oom);
    out->department_id = sqlite3_column_int64(st, 21);
    out->assignee = store_sqlite_col_text(st, 22, a, &oom);
    out->priority = sqlite3_column_int(st, 23);
    out->status_notes = store_sqlite_col_text(st, 24, a, &oom);
    out->created_at = sqlite3_column_int64(st, 25);
    out->updated_at = sqlite3_column_int64(st, 26);
    out->closed_at = sqlite3_column_int64(st, 27);
    out->due_at = sqlite3_column_int64(st, 28);
    out->api_key_id = sqlite3_column_int64(st, 29);
    out->citizen_id = sqlite3_column_int64(st, 30);
    out->notify = store_sqlite_col_text(st, 31, a, &oom);
    out->is_public = sqlite3_column_int(st, 32);
    out->rating = sqlite3_column_int(st, 33);
    out->rating_comment = store_sqlite_col_text(st, 34, a, &oom);
    out->supporters = sqlite3_column_int(st, 35);
    out->anonymised_at = sqlite3_column_int64(st, 36);
    out->erase_requested_at = sqlite3_column_int64(st, 37);
    return oom ? oom_fail(err) : 0;
}

int store_sqlite_config_version(store *s, int64_t *version, error *err)
{
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_CONFIG_VERSION, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    store_sqlite_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, "config_version", err);
    return 0;
}

static int load_tenants(store_sqlite_conn *c, arena *a, store_catalogue *out, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TENANTS_ALL, err);
    if (!st)
        return -1;
    size_t cap = 0, n = 0;
    store_tenant *arr = NULL;
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_tenant *grown = store_sqlite_grow(a, arr, &cap, n, sizeof *arr);
        if (!grown) {
            oom = 1;
            break;
        }
        arr = grown;
        store_tenant *t = &arr[n++];
        t->id = sqlite3_column_int64(st, 0);
        t->slug = store_sqlite_col_text(st, 1, a, &oom);
        t->name = store_sqlite_col_text(st, 2, a, &oom);
        t->hosts = store_sqlite_col_text(st, 3, a, &oom);
        t->timezone = store_sqlite_col_text(st, 4, a, &oom);
        t->contact = store_sqlite_col_text(st, 5, a, &oom);
        t->archives_visa = sqlite3_column_int(st, 6);
    }
    store_sqlite_done(st);
    if (oom)
        return oom_fail(err);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, "catalogue_load", err);
    out->tenants = arr;
    out->n_tenants = n;
    return 0;
}

static int load_departments(store_sqlite_conn *c, arena *a, store_catalogue *out, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DEPARTMENTS_ALL, err);
    if (!st)
        return -1;
    size_t cap = 0, n = 0;
    store_department *arr = NULL;
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_department *grown = store_sqlite_grow(a, arr, &cap, n, sizeof *arr);
        if (!grown) {
            oom = 1;
            break;
        }
        arr = grown;
        store_department *d = &arr[n++];
        d->id = sqlite3_column_int64(st, 0);
        d->tenant_id = sqlite3_column_int64(st, 1);
        d->code = store_sqlite_col_text(st, 2, a, &oom);
        d->name = store_sqlite_col_text(st, 3, a, &oom);
        d->email = store_sqlite_col_text(st, 4, a, &oom);
    }
    store_sqlite_done(st);
    if (oom)
        return oom_fail(err);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, "catalogue_load", err);
    out->departments = arr;
    out->n_departments = n;
    return 0;
}

static int load_procedures(store_sqlite_conn *c, arena *a, store_catalogue *out, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_PROCEDURES_ALL, err);
    if (!st)
        return -1;
    size_t cap = 0, n = 0;
    store_procedure *arr = NULL;
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_procedure *grown = store_sqlite_grow(a, arr, &cap, n, sizeof *arr);
        if (!grown) {
            oom = 1;
            break;
        }
        arr = grown;
        store_procedure *p = &arr[n++];
        p->id = sqlite3_column_int64(st, 0);
        p->tenant_id = sqlite3_column_int64(st, 1);
        p->code = store_sqlite_col_text(st, 2, a, &oom);
        p->name = store_sqlite_col_text(st, 3, a, &oom);
        p->group_name = store_sqlite_col_text(st, 4, a, &oom);
        p->description = store_sqlite_col_text(st, 5, a, &oom);
        p->keywords = store_sqlite_col_text(st, 6, a, &oom);
        p->attributes = store_sqlite_col_text(st, 7, a, &oom);
        p->service_notice = store_sqlite_col_text(st, 8, a, &oom);
        p->department_id = sqlite3_column_int64(st, 9);
        p->kind = sqlite3_column_int(st, 10);
        p->is_public = sqlite3_column_int(st, 11);
        p->open311 = sqlite3_column_int(st, 12);
        p->delay_days = sqlite3_column_int(st, 13);
        p->active = sqlite3_column_int(st, 14);
        p->auto_public = sqlite3_column_int(st, 15);
        p->allow_anonymous = sqlite3_column_int(st, 16);
        p->open311_detail = sqlite3_column_int(st, 17);
        p->retention_months = sqlite3_column_int(st, 18);
    }
    store_sqlite_done(st);
    if (oom)
        return oom_fail(err);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, "catalogue_load", err);
    out->procedures = arr;
    out->n_procedures = n;
    return 0;
}

/* The four reads run in one read transaction so that the catalogue and its version are one
 * consistent snapshot (a CLI command may change it meanwhile). */
int store_sqlite_catalogue_load(store *s, arena *a, store_catalogue *out, error *err)
{
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    memset(out, 0, sizeof *out);
    int began = 0, ret = -1;
    if (sqlite3_get_autocommit(c->db)) {
        if (store_sqlite_exec_stmt(c, SQ_BEGIN_READ, "catalogue_load", err) != 0)
            return -1;
        began = 1;
    }
    if (load_tenants(c, a, out, err) != 0 || load_departments(c, a, out, err) != 0 ||
        load_procedures(c, a, out, err) != 0 ||
        store_sqlite_config_version(s, &out->version, err) != 0)
        goto cleanup;
    if (began) {
        began = 0;
        if (store_sqlite_exec_stmt(c, SQ_COMMIT, "catalogue_load", err) != 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    if (began) {
        error ignored;
        store_sqlite_exec_stmt(c, SQ_ROLLBACK, "catalogue_load", &ignored);
    }
    if (ret != 0)
        memset(out, 0, sizeof *out);
    return ret;
}

int store_sqlite_request_get(store *s, int64_t tenant_id, const char *reference, arena *a,
                             store_request *out, int *found, error *err)
{
    *found = 0;
    if (!reference)
        return error_set(err, ERR_MISSING_ARG, "reference", "reference is required");
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, reference, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        ret = store_sqlite_read_request(st, a, out, err);
        *found = ret == 0;
    } else if (rc != SQLITE_DONE) {
        ret = store_sqlite_fail(c->db, rc, "request_get", err);
    }
    store_sqlite_done(st);
    return ret;
}

/* ---- request_search: the statement text is assembled from fixed fragments only; every
 * value goes through a bound parameter, recorded alongside while the text is built. ---- */

#define MAX_BINDS (3 * STORE_FILTER_MAX_LIST + 16)

/* The FTS5 query made from a search text: at most this many words and bytes. */
#define FTS_MAX_WORDS 16
#define FTS_MAX_LEN 1024

typedef struct sqlbuild {
    char fts[FTS_MAX_LEN]; /* the bound MATCH expression, when there is one */
    char sql[4096];
    size_t len;
    int overflow;
    struct {
        const char *text; /* NULL: integer */
        int64_t i;
    } binds[MAX_BINDS];
    int n_binds;
} sqlbuild;

static void sb_add(sqlbuild *b, const char *fragment)
{
    size_t n = strlen(fragment);
    if (b->len + n >= sizeof b->sql) {
        b->overflow = 1;
        return;
    }
    memcpy(b->sql + b->len, fragment, n + 1);
    b->len += n;
}

static void sb_int(sqlbuild *b, int64_t v)
{
    if (b->n_binds >= MAX_BINDS) {
        b->overflow = 1;
        return;
    }
    b->binds[b->n_binds].text = NULL;
    b->binds[b->n_binds++].i = v;
}

static void sb_text(sqlbuild *b, const char *v)
{
    if (b->n_binds >= MAX_BINDS) {
        b->overflow = 1;
        return;
    }
    b->binds[b->n_binds].text = v;
    b->binds[b->n_binds++].i = 0;
}

/* " AND <column> IN (?, ?, ...)" with n placeholders. */
static void sb_in_list(sqlbuild *b, const char *column, size_t n)
{
    sb_add(b, " AND ");
    sb_add(b, column);
    sb_add(b, " IN (");
    for (size_t i = 0; i < n; i++)
        sb_add(b, i ? ", ?" : "?");
    sb_add(b, ")");
}

/* The first condition after WHERE: the tenant and, for a citizen's requests, which ones.
 * A citizen's requests are those of their account OR of their e-mail address: written as a
 * UNION of two index lookups (requests_citizen, requests_email) feeding a rowid IN, with the
 * tenant test made unindexable (+), because without statistics the planner would otherwise
 * walk the whole tenant through requests_created rather than use the OR optimisation. The
 * email index is NOCASE, so the comparison must be too. */
static void sb_tenant(sqlbuild *b, const store_request_filter *f)
{
    if (!f->citizen_id && !f->citizen_email) {
        sb_add(b, "r.tenant_id = ?");
        sb_int(b, f->tenant_id);
        return;
    }
    sb_add(b, "+r.tenant_id = ? AND r.id IN (");
    sb_int(b, f->tenant_id);
    if (f->citizen_id) {
        sb_add(b, "SELECT id FROM requests WHERE tenant_id = ? AND citizen_id = ?");
        sb_int(b, f->tenant_id);
        sb_int(b, f->citizen_id);
    }
    if (f->citizen_id && f->citizen_email)
        sb_add(b, " UNION ");
    if (f->citizen_email) {
        sb_add(b, "SELECT id FROM requests WHERE tenant_id = ? AND email = ? COLLATE NOCASE");
        sb_int(b, f->tenant_id);
        sb_text(b, f->citizen_email);
    }
    sb_add(b, ")");
}

/* Whether a word holds something the tokenizer indexes: an ASCII letter or digit, or any
 * non-ASCII character (accented letters). A word of punctuation only would be an empty
 * phrase. */
static int fts_word_useful(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w[i];
        if (ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
            (ch >= 'A' && ch <= 'Z'))
            return 1;
    }
    return 0;
}

/* Turns the user's text into an FTS5 expression in out: each word becomes a quoted string
 * (inner double quotes doubled), so that no character of the input is FTS5 syntax; words are
 * ANDed; the last one matches as a prefix. Returns the number of words (0: nothing to search
 * for) or -1 when the expression would not fit. */
static int fts_query(const char *text, char *out, size_t cap)
{
    size_t len = 0;
    int words = 0;
    const char *p = text;
    out[0] = '\0';
    while (*p && words < FTS_MAX_WORDS) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f' &&
               *p != '\v')
            p++;
        size_t wn = (size_t)(p - w);
        if (wn == 0 || !fts_word_useful(w, wn))
            continue;
        /* room for a space, two quotes, every character doubled, '*' and the NUL */
        if (len + 2 * wn + 5 > cap)
            return -1;
        if (words)
            out[len++] = ' ';
        out[len++] = '"';
        for (size_t i = 0; i < wn; i++) {
            if (w[i] == '"')
                out[len++] = '"';
            out[len++] = w[i];
        }
        out[len++] = '"';
        words++;
    }
    if (words) {
        out[len++] = '*';
        out[len] = '\0';
    }
    return words;
}

/* The FROM and WHERE clauses for a filter; `paging` adds the keyset cursor condition. */
static int build_where(sqlbuild *b, const store_request_filter *f, int paging, error *err)
{
    if (f->n_department_ids > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "department", "too many departments");
    if (f->n_references > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "service_request_id", "too many references");
    if (f->n_procedure_ids > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "service_code", "too many procedures");
    if (f->n_statuses > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "status", "too many statuses");
    if (f->n_references > 0) {
        sb_add(b, " FROM requests r WHERE ");
        sb_tenant(b, f);
        sb_in_list(b, "r.reference", f->n_references);
        for (size_t i = 0; i < f->n_references; i++)
            sb_text(b, f->references[i]);
        /* the privacy conditions apply even to a lookup by reference */
        if (f->only_public)
            sb_add(b, " AND r.is_public = 1");
        return 0;
    }
    if (f->only_open311)
        sb_add(b, " FROM requests r JOIN procedures p ON p.id = r.procedure_id AND p.open311 = 1"
                  " AND p.open311_detail > 0 WHERE ");
    else
        sb_add(b, " FROM requests r WHERE ");
    sb_tenant(b, f);
    if (f->only_public)
        sb_add(b, " AND r.is_public = 1");
    if (f->n_procedure_ids > 0) {
        sb_in_list(b, "r.procedure_id", f->n_procedure_ids);
        for (size_t i = 0; i < f->n_procedure_ids; i++)
            sb_int(b, f->procedure_ids[i]);
    }
    if (f->n_statuses > 0) {
        sb_in_list(b, "r.status", f->n_statuses);
        for (size_t i = 0; i < f->n_statuses; i++)
            sb_text(b, f->statuses[i]);
    }
    if (f->channel) {
        sb_add(b, " AND r.channel = ?");
        sb_text(b, f->channel);
    }
    if (f->department_id) {
        sb_add(b, " AND r.department_id = ?");
        sb_int(b, f->department_id);
    }
    if (f->assignee) {
        sb_add(b, " AND r.assignee = ?");
        sb_text(b, f->assignee);
    }
    if (f->by_priority) {
        sb_add(b, " AND r.priority = ?");
        sb_int(b, f->priority);
    }
    if (f->created_from) {
        sb_add(b, " AND r.created_at >= ?");
        sb_int(b, f->created_from);
    }
    if (f->created_to) {
        sb_add(b, " AND r.created_at <= ?");
        sb_int(b, f->created_to);
    }
    if (f->updated_since) {
        sb_add(b, " AND r.updated_at >= ?");
        sb_int(b, f->updated_since);
    }
    if (f->n_department_ids > 0) {
        sb_in_list(b, "r.department_id", f->n_department_ids);
        for (size_t i = 0; i < f->n_department_ids; i++)
            sb_int(b, f->department_ids[i]);
    }
    if (f->unassigned)
        sb_add(b, " AND r.assignee IS NULL");
    if (f->overdue) {
        sb_add(b, " AND r.due_at < ? AND r.closed_at IS NULL");
        sb_int(b, f->now);
    }
    if (f->text) {
        int words = fts_query(f->text, b->fts, sizeof b->fts);
        if (words < 0)
            return error_set(err, ERR_INVALID_ARG, "q", "search text too long");
        if (words > 0) {
            sb_add(b, " AND r.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?)");
            sb_text(b, b->fts);
        }
    }
    if (paging && (f->before_created_at || f->before_id)) {
        sb_add(b, " AND (r.created_at, r.id) < (?, ?)");
        sb_int(b, f->before_created_at);
        sb_int(b, f->before_id);
    }
    return 0;
}

static sqlite3_stmt *prepare_built(store_sqlite_conn *c, sqlbuild *b, error *err)
{
    if (b->overflow) {
        error_set(err, ERR_INTERNAL, NULL, "request filter statement too long");
        return NULL;
    }
    sqlite3_stmt *st = store_sqlite_stmt_dyn(c, b->sql, err);
    if (!st)
        return NULL;
    for (int i = 0; i < b->n_binds; i++) {
        int rc = b->binds[i].text
                     ? sqlite3_bind_text(st, i + 1, b->binds[i].text, -1, SQLITE_STATIC)
                     : sqlite3_bind_int64(st, i + 1, b->binds[i].i);
        if (rc != SQLITE_OK) {
            store_sqlite_done(st);
            store_sqlite_fail(c->db, rc, "bind", err);
            return NULL;
        }
    }
    return st;
}

/* The ORDER BY of each sort, ending on the id so that the order is total (stable pages). */
static const char *sort_clause(int sort)
{
    switch (sort) {
    case STORE_SORT_CREATED_ASC:
        return " ORDER BY r.created_at ASC, r.id ASC";
    case STORE_SORT_UPDATED_DESC:
        return " ORDER BY r.updated_at DESC, r.id DESC";
    case STORE_SORT_DUE_ASC:
        return " ORDER BY r.due_at IS NULL, r.due_at ASC, r.id ASC";
    case STORE_SORT_PRIORITY_DESC:
        return " ORDER BY r.priority DESC, r.created_at DESC, r.id DESC";
    default:
        return " ORDER BY r.created_at DESC, r.id DESC";
    }
}

int store_sqlite_request_search(store *s, const store_request_filter *f, arena *a,
                                store_request **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (f->limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlbuild b;
    b.len = 0;
    b.overflow = 0;
    b.n_binds = 0;
    b.sql[0] = '\0';
    sb_add(&b, "SELECT " SQ_REQUEST_COLUMNS);
    /* Keyset paging only for the default order, whose index it follows. */
    int keyset = f->n_references == 0 && f->sort == STORE_SORT_CREATED_DESC;
    if (build_where(&b, f, keyset, err) != 0)
        return -1;
    sb_add(&b, sort_clause(f->n_references ? STORE_SORT_CREATED_DESC : f->sort));
    sb_add(&b, " LIMIT ? OFFSET ?");
    sb_int(&b, f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit);
    sb_int(&b, f->n_references || f->offset > INT64_MAX ? 0 : (int64_t)f->offset);
    sqlite3_stmt *st = prepare_built(c, &b, err);
    if (!st)
        return -1;
    size_t cap = 0, count = 0;
    store_request *arr = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_request *grown = store_sqlite_grow(a, arr, &cap, count, sizeof *arr);
        if (!grown) {
            ret = oom_fail(err);
            break;
        }
        arr = grown;
        if (store_sqlite_read_request(st, a, &arr[count], err) != 0) {
            ret = -1;
            break;
        }
        count++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "request_search", err);
    store_sqlite_done(st);
    if (ret == 0) {
        *out = arr;
        *n = count;
    }
    return ret;
}

int store_sqlite_request_count(store *s, const store_request_filter *f, int64_t *count, error *err)
{
    *count = 0;
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlbuild b;
    b.len = 0;
    b.overflow = 0;
    b.n_binds = 0;
    b.sql[0] = '\0';
    sb_add(&b, "SELECT count(*)");
    /* A count is the size of the whole result: the paging cursor does not apply. */
    if (build_where(&b, f, 0, err) != 0)
        return -1;
    sqlite3_stmt *st = prepare_built(c, &b, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    store_sqlite_done(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(c->db, rc, "request_count", err);
    return 0;
}

/* Reads every event row of a statement into an arena array. */
static int read_events(store_sqlite_conn *c, sqlite3_stmt *st, arena *a, store_event **out,
                       size_t *n, error *err)
{
    size_t cap = 0, count = 0;
    store_event *arr = NULL;
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event *grown = store_sqlite_grow(a, arr, &cap, count, sizeof *arr);
        if (!grown) {
            oom = 1;
            break;
        }
        arr = grown;
        store_event *e = &arr[count++];
        e->id = sqlite3_column_int64(st, 0);
        e->tenant_id = sqlite3_column_int64(st, 1);
        e->request_id = sqlite3_column_int64(st, 2);
        e->created_at = sqlite3_column_int64(st, 3);
        e->kind = store_sqlite_col_text(st, 4, a, &oom);
        e->is_public = sqlite3_column_int(st, 5);
        e->actor = store_sqlite_col_text(st, 6, a, &oom);
        e->channel = store_sqlite_col_text(st, 7, a, &oom);
        e->status_from = store_sqlite_col_text(st, 8, a, &oom);
        e->status_to = store_sqlite_col_text(st, 9, a, &oom);
        e->body = store_sqlite_col_text(st, 10, a, &oom);
    }
    store_sqlite_done(st);
    if (oom)
        return oom_fail(err);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, "events_list", err);
    *out = arr;
    *n = count;
    return 0;
}

int store_sqlite_events_list(store *s, int64_t tenant_id, int64_t request_id, int public_only,
                             arena *a, store_event **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_EVENTS_LIST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int(st, 3, public_only ? 1 : 0);
    return read_events(c, st, a, out, n, err);
}

int store_sqlite_events_list_many(store *s, int64_t tenant_id, const int64_t *request_ids,
                                  size_t n_ids, int public_only, arena *a, store_event **out,
                                  size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (n_ids == 0)
        return 0;
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    /* The ids as a JSON array of integers, bound as one text parameter. */
    if (n_ids > (SIZE_MAX - 3) / 22)
        return error_set(err, ERR_INVALID_ARG, "request_ids", "too many ids");
    size_t cap = n_ids * 22 + 3, len = 0;
    char *json = arena_alloc(a, cap);
    if (!json)
        return oom_fail(err);
    json[len++] = '[';
    for (size_t i = 0; i < n_ids; i++) {
        int w = snprintf(json + len, cap - len, "%s%lld", i ? "," : "", (long long)request_ids[i]);
        if (w < 0 || (size_t)w >= cap - len)
            return error_set(err, ERR_INTERNAL, NULL, "events_list_many: id list overflow");
        len += (size_t)w;
    }
    json[len++] = ']';
    json[len] = '\0';
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_EVENTS_LIST_MANY, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, public_only ? 1 : 0);
    return read_events(c, st, a, out, n, err);
}

static int read_apikey(sqlite3_stmt *st, arena *a, store_apikey *k)
{
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

int store_sqlite_apikey_find(store *s, const char *key_hash, arena *a, store_apikey *out,
                             int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!key_hash)
        return error_set(err, ERR_MISSING_ARG, "key", "key hash is required");
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_APIKEY_FIND, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key_hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        ret = read_apikey(st, a, out) == 0 ? 0 : oom_fail(err);
        *found = ret == 0;
    } else if (rc != SQLITE_DONE) {
        ret = store_sqlite_fail(c->db, rc, "apikey_find", err);
    }
    store_sqlite_done(st);
    return ret;
}

int store_sqlite_apikey_list(store *s, int64_t tenant_id, arena *a, store_apikey **out, size_t *n,
                             error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_APIKEY_LIST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    size_t cap = 0, count = 0;
    store_apikey *arr = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_apikey *grown = store_sqlite_grow(a, arr, &cap, count, sizeof *arr);
        if (!grown || read_apikey(st, a, &grown[count]) != 0) {
            ret = oom_fail(err);
            break;
        }
        arr = grown;
        count++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "apikey_list", err);
    store_sqlite_done(st);
    if (ret == 0) {
        *out = arr;
        *n = count;
    }
    return ret;
}

/* Runs a one-column, at-most-one-row statement whose parameters are already bound; *value
 * NULL when there is no row or the value is NULL. */
static int single_text(store_sqlite_conn *c, sqlite3_stmt *st, arena *a, const char **value,
                       const char *what, error *err)
{
    int rc = sqlite3_step(st), ret = 0, oom = 0;
    if (rc == SQLITE_ROW) {
        *value = store_sqlite_col_text(st, 0, a, &oom);
        if (oom)
            ret = oom_fail(err);
    } else if (rc != SQLITE_DONE) {
        ret = store_sqlite_fail(c->db, rc, what, err);
    }
    store_sqlite_done(st);
    return ret;
}

int store_sqlite_idempotency_find(store *s, int64_t tenant_id, int64_t api_key_id, const char *key,
                                  arena *a, const char **reference, error *err)
{
    *reference = NULL;
    if (!key)
        return error_set(err, ERR_MISSING_ARG, "idempotency_key", "key is required");
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_IDEMPOTENCY_FIND, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, api_key_id);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    return single_text(c, st, a, reference, "idempotency_find", err);
}

int store_sqlite_setting_get(store *s, const char *name, arena *a, const char **value, error *err)
{
    *value = NULL;
    if (!name)
        return error_set(err, ERR_MISSING_ARG, "name", "setting name is required");
    store_sqlite_conn *c = store_sqlite_read_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SETTING_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return single_text(c, st, a, value, "setting_get", err);
}

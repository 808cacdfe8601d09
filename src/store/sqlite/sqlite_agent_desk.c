/*
 * sqlite_agent_desk — what agents keep for their work: the inbox queries an agent saved
 * (saved_filters) and the tenant's reply templates (reply_templates).
 */
#include "store/sqlite/sq.h"

static int read_saved_filter(sqlite3_stmt *st, arena *a, void *p)
{
    store_saved_filter *f = p;
    int oom = 0;
    f->id = sqlite3_column_int64(st, 0);
    f->tenant_id = sqlite3_column_int64(st, 1);
    f->agent_id = sqlite3_column_int64(st, 2);
    f->name = store_sqlite_col_text(st, 3, a, &oom);
    f->query = store_sqlite_col_text(st, 4, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_saved_filter_list =
    SQ_STMT("SELECT id, tenant_id, agent_id, name, query FROM saved_filters "
            "WHERE tenant_id = ?1 AND agent_id = ?2 ORDER BY name COLLATE FR, id");

static int store_sqlite_saved_filter_list(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                                          store_saved_filter **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_saved_filter_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_saved_filter, a, sizeof(store_saved_filter), &arr, n,
                              "saved_filter_list", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

/* The agent must be of the same tenant: otherwise nothing is inserted. */
static sq_stmt sq_saved_filter_insert =
    SQ_STMT("INSERT INTO saved_filters (tenant_id, agent_id, name, query) "
            "SELECT tenant_id, id, ?3, ?4 FROM agents WHERE tenant_id = ?1 "
            "AND id = ?2");

static int store_sqlite_tx_saved_filter_insert(store *s, const store_saved_filter *f,
                                               int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!f->name || !*f->name)
        return error_set(err, ERR_MISSING_ARG, "name", "filter name is required");
    if (!f->query)
        return error_set(err, ERR_MISSING_ARG, "query", "filter query is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_saved_filter_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, f->tenant_id);
    sqlite3_bind_int64(st, 2, f->agent_id);
    store_sqlite_bind_text(st, 3, f->name);
    store_sqlite_bind_text(st, 4, f->query);
    if (store_sqlite_run_update(c, st, "saved_filter_insert", "agent", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_saved_filter_delete =
    SQ_STMT("DELETE FROM saved_filters WHERE tenant_id = ?1 AND agent_id = ?2 AND id = ?3");

static int store_sqlite_tx_saved_filter_delete(store *s, int64_t tenant_id, int64_t agent_id,
                                               int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_saved_filter_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_int64(st, 3, id);
    return store_sqlite_run_update(c, st, "saved_filter_delete", "saved filter", err);
}

static int read_template(sqlite3_stmt *st, arena *a, void *p)
{
    store_reply_template *t = p;
    int oom = 0;
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    t->name = store_sqlite_col_text(st, 2, a, &oom);
    t->body = store_sqlite_col_text(st, 3, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_template_list = SQ_STMT("SELECT id, tenant_id, name, body FROM reply_templates "
                                          "WHERE tenant_id = ?1 ORDER BY name COLLATE FR, id");

static int store_sqlite_reply_template_list(store *s, int64_t tenant_id, arena *a,
                                            store_reply_template **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_template_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_template, a, sizeof(store_reply_template), &arr, n,
                              "reply_template_list", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static sq_stmt sq_template_upsert =
    SQ_STMT("INSERT INTO reply_templates (tenant_id, name, body) VALUES "
            "(?1, ?2, ?3) ON CONFLICT (tenant_id, name) DO UPDATE SET "
            "body = excluded.body RETURNING id");

static sq_stmt sq_template_update =
    SQ_STMT("UPDATE reply_templates SET name = ?3, body = ?4 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_reply_template_upsert(store *s, const store_reply_template *t,
                                                 int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!t->name || !*t->name)
        return error_set(err, ERR_MISSING_ARG, "name", "template name is required");
    if (!t->body)
        return error_set(err, ERR_MISSING_ARG, "body", "template body is required");
    if (t->id) {
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_template_update, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, t->tenant_id);
        sqlite3_bind_int64(st, 2, t->id);
        store_sqlite_bind_text(st, 3, t->name);
        store_sqlite_bind_text(st, 4, t->body);
        if (store_sqlite_run_update(c, st, "reply_template_update", "reply template", err) != 0)
            return -1;
        if (id_out)
            *id_out = t->id;
        return 0;
    }
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_template_upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    store_sqlite_bind_text(st, 2, t->name);
    store_sqlite_bind_text(st, 3, t->body);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "reply_template_upsert", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_template_delete =
    SQ_STMT("DELETE FROM reply_templates WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_reply_template_delete(store *s, int64_t tenant_id, int64_t id,
                                                 error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_template_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "reply_template_delete", "reply template", err);
}

const store_saved_filters_ops store_sqlite_saved_filters_ops = {
    .list = store_sqlite_saved_filter_list,
    .tx_insert = store_sqlite_tx_saved_filter_insert,
    .tx_delete = store_sqlite_tx_saved_filter_delete,
};

const store_reply_templates_ops store_sqlite_reply_templates_ops = {
    .list = store_sqlite_reply_template_list,
    .tx_upsert = store_sqlite_tx_reply_template_upsert,
    .tx_delete = store_sqlite_tx_reply_template_delete,
};

/*
 * sqlite_letter_templates — the collectivité's letter templates (letter_templates) and every
 * version written (letter_template_versions): a write rewrites the row as its next version
 * and copies it, in the same transaction, into the versions; a delete leaves the versions.
 */
#include "store/sqlite/sq.h"

#include <string.h>

#define SQ_TEMPLATE_COLUMNS                                                                        \
    "id, tenant_id, name, kind, procedure_id, lang, version, subject, body, visas, "               \
    "considerants, decides, signatory, quality, updated_at, agent_id"

static int read_letter_template(sqlite3_stmt *st, arena *a, void *p)
{
    store_letter_template *t = p;
    int oom = 0;
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    t->name = store_sqlite_col_text(st, 2, a, &oom);
    t->kind = store_sqlite_col_text(st, 3, a, &oom);
    t->procedure_id = sqlite3_column_int64(st, 4);
    t->lang = store_sqlite_col_text(st, 5, a, &oom);
    t->version = sqlite3_column_int(st, 6);
    t->subject = store_sqlite_col_text(st, 7, a, &oom);
    t->body = store_sqlite_col_text(st, 8, a, &oom);
    t->visas = store_sqlite_col_text(st, 9, a, &oom);
    t->considerants = store_sqlite_col_text(st, 10, a, &oom);
    t->decides = store_sqlite_col_text(st, 11, a, &oom);
    t->signatory = store_sqlite_col_text(st, 12, a, &oom);
    t->quality = store_sqlite_col_text(st, 13, a, &oom);
    t->updated_at = sqlite3_column_int64(st, 14);
    t->agent_id = sqlite3_column_int64(st, 15);
    return oom ? -1 : 0;
}

static sq_stmt sq_letter_template_list =
    SQ_STMT("SELECT " SQ_TEMPLATE_COLUMNS " FROM letter_templates WHERE tenant_id = ?1 "
            "ORDER BY name COLLATE FR, id");

static int store_sqlite_letter_template_list(store *s, int64_t tenant_id, arena *a,
                                             store_letter_template **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_letter_template_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_letter_template, a, sizeof(store_letter_template), &arr,
                              n, "letter_template_list", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static sq_stmt sq_letter_template_get = SQ_STMT(
    "SELECT " SQ_TEMPLATE_COLUMNS " FROM letter_templates WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_letter_template_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                            store_letter_template *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_letter_template_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_letter_template, a, out, found, "letter_template_get",
                                 err);
}

static sq_stmt sq_letter_template_insert = SQ_STMT(
    "INSERT INTO letter_templates (tenant_id, name, kind, procedure_id, lang, version, subject, "
    "body, visas, considerants, decides, signatory, quality, updated_at, agent_id) VALUES (?1, "
    "?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id");

static sq_stmt sq_letter_template_update = SQ_STMT(
    "UPDATE letter_templates SET name = ?3, kind = ?4, procedure_id = ?5, lang = ?6, version = "
    "version + 1, subject = ?7, body = ?8, visas = ?9, considerants = ?10, decides = ?11, "
    "signatory = ?12, quality = ?13, updated_at = ?14, agent_id = ?15 WHERE tenant_id = ?1 AND "
    "id = ?2");

static sq_stmt sq_letter_template_keep = SQ_STMT(
    "INSERT INTO letter_template_versions (template_id, version, tenant_id, name, kind, "
    "procedure_id, lang, subject, body, visas, considerants, decides, signatory, quality, "
    "created_at, agent_id) SELECT id, version, tenant_id, name, kind, procedure_id, lang, subject, "
    "body, visas, considerants, decides, signatory, quality, updated_at, agent_id FROM "
    "letter_templates WHERE id = ?1");

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int store_sqlite_tx_letter_template_upsert(store *s, const store_letter_template *t,
                                                  int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!t->name || !*t->name || !t->kind || !t->lang || !t->subject || !t->body)
        return error_set(err, ERR_MISSING_ARG, "name",
                         "a letter template needs a name, kind, language, subject and body");
    sqlite3_stmt *st =
        store_sqlite_stmt(c, t->id ? &sq_letter_template_update : &sq_letter_template_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    if (t->id)
        sqlite3_bind_int64(st, 2, t->id);
    store_sqlite_bind_text(st, 3, t->name);
    store_sqlite_bind_text(st, 4, t->kind);
    store_sqlite_bind_id(st, 5, t->procedure_id);
    store_sqlite_bind_text(st, 6, t->lang);
    store_sqlite_bind_text(st, 7, t->subject);
    store_sqlite_bind_text(st, 8, t->body);
    store_sqlite_bind_text(st, 9, or_empty(t->visas));
    store_sqlite_bind_text(st, 10, or_empty(t->considerants));
    store_sqlite_bind_text(st, 11, or_empty(t->decides));
    store_sqlite_bind_text(st, 12, or_empty(t->signatory));
    store_sqlite_bind_text(st, 13, or_empty(t->quality));
    sqlite3_bind_int64(st, 14, store_sqlite_now_or(t->updated_at));
    store_sqlite_bind_id(st, 15, t->agent_id);
    int64_t id = t->id;
    if (t->id) {
        if (store_sqlite_run_update(c, st, "letter_template_update", "letter template", err) != 0)
            return -1;
    } else if (store_sqlite_run_write(c, st, &id, "letter_template_insert", err) != 0) {
        return -1;
    }
    sqlite3_stmt *keep = store_sqlite_stmt(c, &sq_letter_template_keep, err);
    if (!keep)
        return -1;
    sqlite3_bind_int64(keep, 1, id);
    if (store_sqlite_run_write(c, keep, NULL, "letter_template_keep", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_letter_template_delete =
    SQ_STMT("DELETE FROM letter_templates WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_letter_template_delete(store *s, int64_t tenant_id, int64_t id,
                                                  error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_letter_template_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "letter_template_delete", "letter template", err);
}

const store_letter_templates_ops store_sqlite_letter_templates_ops = {
    .list = store_sqlite_letter_template_list,
    .get = store_sqlite_letter_template_get,
    .tx_upsert = store_sqlite_tx_letter_template_upsert,
    .tx_delete = store_sqlite_tx_letter_template_delete,
};

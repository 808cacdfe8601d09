/*
 * sqlite_workflows — a collectivité's workflow written whole (tables workflows,
 * workflow_statuses, workflow_transitions: an import's), and the statuses its requests are in,
 * which a rewrite must keep. The catalogue's load (sqlite_catalogue.c) reads them.
 */
#include "store/sqlite/sq.h"

#include <string.h>

static sq_stmt sq_workflow_upsert =
    SQ_STMT("INSERT INTO workflows (tenant_id, code, name, name_en) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, "
            "name_en = excluded.name_en RETURNING id");
/* Transitions first: they name statuses (foreign keys). */
static sq_stmt sq_workflow_clear_transitions =
    SQ_STMT("DELETE FROM workflow_transitions WHERE workflow_id = ?1");
static sq_stmt sq_workflow_clear_statuses =
    SQ_STMT("DELETE FROM workflow_statuses WHERE workflow_id = ?1");
static sq_stmt sq_workflow_status_insert = SQ_STMT(
    "INSERT INTO workflow_statuses (workflow_id, code, position, agent_label, agent_label_en, "
    "citizen_label, citizen_label_en, colour, open311, extended_status, citizen_visible, "
    "is_final, is_initial, reopen_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "?12, ?13, ?14)");
static sq_stmt sq_workflow_transition_insert =
    SQ_STMT("INSERT INTO workflow_transitions (workflow_id, position, from_code, to_code, label, "
            "label_en, roles, comment_required) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

static int run_for(store_sqlite_conn *c, sq_stmt *def, int64_t workflow_id, const char *what,
                   error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, workflow_id);
    return store_sqlite_run_write(c, st, NULL, what, err);
}

static int store_sqlite_tx_workflow_put(store *s, const store_workflow *w,
                                        const store_workflow_status *sts, size_t ns,
                                        const store_workflow_transition *tr, size_t nt,
                                        int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_workflow_upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, w->tenant_id);
    store_sqlite_bind_text(st, 2, w->code);
    store_sqlite_bind_text(st, 3, w->name);
    store_sqlite_bind_text(st, 4, w->name_en);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "workflow_upsert", err) != 0 ||
        run_for(c, &sq_workflow_clear_transitions, id, "workflow_clear", err) != 0 ||
        run_for(c, &sq_workflow_clear_statuses, id, "workflow_clear", err) != 0)
        return -1;
    for (size_t i = 0; i < ns; i++) {
        const store_workflow_status *x = &sts[i];
        st = store_sqlite_stmt(c, &sq_workflow_status_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        store_sqlite_bind_text(st, 2, x->code);
        sqlite3_bind_int64(st, 3, (int64_t)i + 1);
        store_sqlite_bind_text(st, 4, x->agent_label);
        store_sqlite_bind_text(st, 5, x->agent_label_en);
        store_sqlite_bind_text(st, 6, x->citizen_label);
        store_sqlite_bind_text(st, 7, x->citizen_label_en);
        store_sqlite_bind_text(st, 8, x->colour);
        store_sqlite_bind_text(st, 9, x->open311_closed ? "closed" : "open");
        store_sqlite_bind_text(st, 10, x->extended_status);
        sqlite3_bind_int(st, 11, x->citizen_visible ? 1 : 0);
        sqlite3_bind_int(st, 12, x->is_final ? 1 : 0);
        sqlite3_bind_int(st, 13, x->is_initial ? 1 : 0);
        store_sqlite_bind_text(st, 14, x->reopen_to);
        if (store_sqlite_run_write(c, st, NULL, "workflow_status_insert", err) != 0)
            return -1;
    }
    for (size_t i = 0; i < nt; i++) {
        const store_workflow_transition *x = &tr[i];
        st = store_sqlite_stmt(c, &sq_workflow_transition_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i + 1);
        store_sqlite_bind_text(st, 3, x->from_code);
        store_sqlite_bind_text(st, 4, x->to_code);
        store_sqlite_bind_text(st, 5, x->label);
        store_sqlite_bind_text(st, 6, x->label_en);
        store_sqlite_bind_text(st, 7, x->roles ? x->roles : "");
        sqlite3_bind_int(st, 8, x->comment_required ? 1 : 0);
        if (store_sqlite_run_write(c, st, NULL, "workflow_transition_insert", err) != 0)
            return -1;
    }
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_status_uses =
    SQ_STMT("SELECT procedure_id, status, count(*) FROM requests WHERE tenant_id = ?1 "
            "GROUP BY procedure_id, status ORDER BY procedure_id, status");

static int read_status_use(sqlite3_stmt *st, arena *a, void *p)
{
    store_status_use *u = p;
    int oom = 0;
    u->procedure_id = sqlite3_column_int64(st, 0);
    u->status = store_sqlite_col_text(st, 1, a, &oom);
    u->n = sqlite3_column_int64(st, 2);
    return oom ? -1 : 0;
}

static int store_sqlite_status_uses(store *s, int64_t tenant_id, arena *a, store_status_use **out,
                                    size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_status_uses, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, read_status_use, a, sizeof **out, (void **)out, n,
                                 "status_uses", err);
}

const store_workflows_ops store_sqlite_workflows_ops = {
    .tx_put = store_sqlite_tx_workflow_put,
    .status_uses = store_sqlite_status_uses,
};

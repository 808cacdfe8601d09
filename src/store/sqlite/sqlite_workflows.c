/*
 * sqlite_workflows — the workflows' edits (tables workflows, workflow_statuses,
 * workflow_transitions), their saved versions (workflow_versions), how many requests each
 * status holds, and the move of a procedure's requests to another workflow.
 */
#include "store/sqlite/sq.h"

#include <string.h>

static sq_stmt sq_create = SQ_STMT("INSERT INTO workflows (tenant_id, code, name, name_en) VALUES "
                                   "(?1, ?2, ?3, ?4) RETURNING id");

static int store_sqlite_tx_workflow_create(store *s, const store_workflow *w, int64_t *id_out,
                                           error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_create, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, w->tenant_id);
    store_sqlite_bind_text(st, 2, w->code);
    store_sqlite_bind_text(st, 3, w->name);
    store_sqlite_bind_text(st, 4, w->name_en);
    return store_sqlite_run_write(c, st, id_out, "workflow_create", err);
}

static sq_stmt sq_names =
    SQ_STMT("UPDATE workflows SET name = ?3, name_en = ?4 WHERE tenant_id = ?1 AND id = ?2");
static sq_stmt sq_transitions_clear = SQ_STMT("DELETE FROM workflow_transitions WHERE "
                                              "workflow_id = ?1");
/* Every status is marked (position -1, not initial, so that the unique initial index never
 * sees two while they are rewritten); those the new definition keeps get their position back,
 * the others are deleted. */
static sq_stmt sq_statuses_mark = SQ_STMT("UPDATE workflow_statuses SET position = -1, "
                                          "is_initial = 0 WHERE workflow_id = ?1");
static sq_stmt sq_status_upsert = SQ_STMT(
    "INSERT INTO workflow_statuses (workflow_id, code, position, agent_label, agent_label_en, "
    "citizen_label, citizen_label_en, colour, open311, extended_status, citizen_visible, "
    "is_final, is_initial, reopen_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
    "?13, ?14) ON CONFLICT (workflow_id, code) DO UPDATE SET position = excluded.position, "
    "agent_label = excluded.agent_label, agent_label_en = excluded.agent_label_en, "
    "citizen_label = excluded.citizen_label, citizen_label_en = excluded.citizen_label_en, "
    "colour = excluded.colour, open311 = excluded.open311, extended_status = "
    "excluded.extended_status, citizen_visible = excluded.citizen_visible, is_final = "
    "excluded.is_final, is_initial = excluded.is_initial, reopen_to = excluded.reopen_to");
static sq_stmt sq_statuses_sweep = SQ_STMT("DELETE FROM workflow_statuses WHERE workflow_id = ?1 "
                                           "AND position = -1");
static sq_stmt sq_transition_insert =
    SQ_STMT("INSERT INTO workflow_transitions (workflow_id, position, from_code, to_code, label, "
            "label_en, roles, comment_required) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

/* Runs def with ?1 the workflow's id. */
static int run_on(store_sqlite_conn *c, sq_stmt *def, int64_t workflow_id, const char *what,
                  error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, workflow_id);
    return store_sqlite_run_write(c, st, NULL, what, err);
}

static int status_upsert(store_sqlite_conn *c, int64_t workflow_id, const store_workflow_status *x,
                         int position, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_status_upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, workflow_id);
    store_sqlite_bind_text(st, 2, x->code);
    sqlite3_bind_int(st, 3, position);
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
    return store_sqlite_run_write(c, st, NULL, "workflow_status_upsert", err);
}

static int transition_insert(store_sqlite_conn *c, int64_t workflow_id,
                             const store_workflow_transition *t, int position, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_transition_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, workflow_id);
    sqlite3_bind_int(st, 2, position);
    store_sqlite_bind_text(st, 3, t->from_code);
    store_sqlite_bind_text(st, 4, t->to_code);
    store_sqlite_bind_text(st, 5, t->label);
    store_sqlite_bind_text(st, 6, t->label_en);
    store_sqlite_bind_text(st, 7, t->roles ? t->roles : "");
    sqlite3_bind_int(st, 8, t->comment_required ? 1 : 0);
    return store_sqlite_run_write(c, st, NULL, "workflow_transition_insert", err);
}

static int store_sqlite_tx_workflow_replace(store *s, const store_workflow *w,
                                            const store_workflow_status *statuses, size_t n,
                                            const store_workflow_transition *transitions, size_t nt,
                                            error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_names, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, w->tenant_id);
    sqlite3_bind_int64(st, 2, w->id);
    store_sqlite_bind_text(st, 3, w->name);
    store_sqlite_bind_text(st, 4, w->name_en);
    if (store_sqlite_run_update(c, st, "workflow_replace", "workflow", err) != 0 ||
        run_on(c, &sq_transitions_clear, w->id, "workflow_replace", err) != 0 ||
        run_on(c, &sq_statuses_mark, w->id, "workflow_replace", err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (status_upsert(c, w->id, &statuses[i], (int)i + 1, err) != 0)
            return -1;
    if (run_on(c, &sq_statuses_sweep, w->id, "workflow_replace", err) != 0)
        return -1;
    for (size_t i = 0; i < nt; i++)
        if (transition_insert(c, w->id, &transitions[i], (int)i + 1, err) != 0)
            return -1;
    return 0;
}

static sq_stmt sq_actions_clear = SQ_STMT("DELETE FROM workflow_actions WHERE workflow_id = ?1");
static sq_stmt sq_action_insert =
    SQ_STMT("INSERT INTO workflow_actions (workflow_id, status_code, position, kind, params) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
static sq_stmt sq_timeouts_clear = SQ_STMT("DELETE FROM workflow_timeouts WHERE workflow_id = ?1");
static sq_stmt sq_timeout_insert = SQ_STMT(
    "INSERT INTO workflow_timeouts (workflow_id, status_code, position, delay, unit, kind, "
    "target, meaning, whom, repeat_days, repeat_times, warn_before) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12)");

static int store_sqlite_tx_actions_replace(store *s, int64_t workflow_id,
                                           const store_workflow_action *list, size_t n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c || run_on(c, &sq_actions_clear, workflow_id, "workflow_actions_replace", err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_action_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, workflow_id);
        store_sqlite_bind_text(st, 2, list[i].status_code);
        sqlite3_bind_int(st, 3, list[i].position);
        store_sqlite_bind_text(st, 4, list[i].kind);
        store_sqlite_bind_text(st, 5, list[i].params ? list[i].params : "{}");
        if (store_sqlite_run_write(c, st, NULL, "workflow_action_insert", err) != 0)
            return -1;
    }
    return 0;
}

static int store_sqlite_tx_timeouts_replace(store *s, int64_t workflow_id,
                                            const store_workflow_timeout *list, size_t n,
                                            error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c || run_on(c, &sq_timeouts_clear, workflow_id, "workflow_timeouts_replace", err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const store_workflow_timeout *t = &list[i];
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_timeout_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, workflow_id);
        store_sqlite_bind_text(st, 2, t->status_code);
        sqlite3_bind_int(st, 3, t->position);
        sqlite3_bind_int(st, 4, t->delay);
        store_sqlite_bind_text(st, 5, t->unit);
        store_sqlite_bind_text(st, 6, t->kind);
        store_sqlite_bind_text(st, 7, t->target);
        store_sqlite_bind_text(st, 8, t->meaning ? t->meaning : "none");
        store_sqlite_bind_text(st, 9, t->whom);
        sqlite3_bind_int(st, 10, t->repeat_days);
        sqlite3_bind_int(st, 11, t->repeat_times);
        sqlite3_bind_int(st, 12, t->warn_before);
        if (store_sqlite_run_write(c, st, NULL, "workflow_timeout_insert", err) != 0)
            return -1;
    }
    return 0;
}

/* ?2 a workflow (its procedures' requests) or, when NULL, ?3 a procedure. */
static sq_stmt sq_status_counts = SQ_STMT(
    "SELECT r.status, count(*) FROM procedures p JOIN requests r ON r.tenant_id = p.tenant_id "
    "AND r.procedure_id = p.id WHERE p.tenant_id = ?1 AND CASE WHEN ?2 IS NOT NULL THEN "
    "p.workflow_id = ?2 ELSE p.id = ?3 END GROUP BY r.status ORDER BY r.status");

static int read_count(sqlite3_stmt *st, arena *a, void *p)
{
    store_status_count *x = p;
    int oom = 0;
    x->status = store_sqlite_col_text(st, 0, a, &oom);
    x->n = sqlite3_column_int64(st, 1);
    return oom ? -1 : 0;
}

static int counts_on(store_sqlite_conn *c, int64_t tenant_id, int64_t workflow_id,
                     int64_t procedure_id, arena *a, store_status_count **out, size_t *n,
                     error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_status_counts, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_id(st, 2, workflow_id);
    sqlite3_bind_int64(st, 3, procedure_id);
    return store_sqlite_read_all(c, st, read_count, a, sizeof **out, (void **)out, n,
                                 "workflow_status_counts", err);
}

static int store_sqlite_status_counts(store *s, int64_t tenant_id, int64_t workflow_id,
                                      int64_t procedure_id, arena *a, store_status_count **out,
                                      size_t *n, error *err)
{
    return counts_on(store_sqlite_reader(s, err), tenant_id, workflow_id, procedure_id, a, out, n,
                     err);
}

static int store_sqlite_tx_status_counts(store *s, int64_t tenant_id, int64_t workflow_id,
                                         int64_t procedure_id, arena *a, store_status_count **out,
                                         size_t *n, error *err)
{
    return counts_on(store_sqlite_writer(s, err), tenant_id, workflow_id, procedure_id, a, out, n,
                     err);
}

static sq_stmt sq_last_version = SQ_STMT("SELECT coalesce(max(version), 0) FROM "
                                         "workflow_versions WHERE workflow_id = ?1");

static int store_sqlite_tx_last_version(store *s, int64_t workflow_id, int *version, error *err)
{
    *version = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_last_version, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, workflow_id);
    int64_t v = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found,
                              "workflow_last_version", err) != 0)
        return -1;
    *version = (int)v;
    return 0;
}

static sq_stmt sq_version_add = SQ_STMT(
    "INSERT INTO workflow_versions (workflow_id, version, definition, created_at, created_by, "
    "summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

static int store_sqlite_tx_version_add(store *s, const store_workflow_version *v, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_version_add, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, v->workflow_id);
    sqlite3_bind_int(st, 2, v->version);
    store_sqlite_bind_text(st, 3, v->definition);
    sqlite3_bind_int64(st, 4, store_sqlite_now_or(v->created_at));
    store_sqlite_bind_text(st, 5, v->created_by);
    store_sqlite_bind_text(st, 6, v->summary ? v->summary : "[]");
    return store_sqlite_run_write(c, st, NULL, "workflow_version_add", err);
}

/* ?3 1: the definition too. */
#define SQ_VERSION_SELECT                                                                          \
    "SELECT v.workflow_id, v.version, CASE WHEN ?3 THEN v.definition END, v.created_at, "          \
    "v.created_by, v.summary FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id "   \
    "WHERE w.tenant_id = ?1 AND v.workflow_id = ?2 "
static sq_stmt sq_versions = SQ_STMT(SQ_VERSION_SELECT "ORDER BY v.version DESC");
static sq_stmt sq_version_get = SQ_STMT(SQ_VERSION_SELECT "AND v.version = ?4");

static int read_version(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow_version *v = p;
    int oom = 0;
    v->workflow_id = sqlite3_column_int64(st, 0);
    v->version = sqlite3_column_int(st, 1);
    v->definition = store_sqlite_col_text(st, 2, a, &oom);
    v->created_at = sqlite3_column_int64(st, 3);
    v->created_by = store_sqlite_col_text(st, 4, a, &oom);
    v->summary = store_sqlite_col_text(st, 5, a, &oom);
    return oom ? -1 : 0;
}

static int store_sqlite_versions(store *s, int64_t tenant_id, int64_t workflow_id, arena *a,
                                 store_workflow_version **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_versions, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, workflow_id);
    sqlite3_bind_int(st, 3, 0);
    return store_sqlite_read_all(c, st, read_version, a, sizeof **out, (void **)out, n,
                                 "workflow_versions", err);
}

static int store_sqlite_version_get(store *s, int64_t tenant_id, int64_t workflow_id, int version,
                                    arena *a, store_workflow_version *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_version_get, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, workflow_id);
    sqlite3_bind_int(st, 3, 1);
    sqlite3_bind_int(st, 4, version);
    return store_sqlite_read_one(c, st, read_version, a, out, found, "workflow_version_get", err);
}

static sq_stmt sq_restatus = SQ_STMT(
    "UPDATE requests SET status = ?4, updated_at = ?6, closed_at = CASE WHEN ?5 THEN "
    "coalesce(closed_at, ?6) END WHERE tenant_id = ?1 AND procedure_id = ?2 AND status = ?3 "
    "RETURNING id");

static int store_sqlite_tx_restatus(store *s, int64_t tenant_id, int64_t procedure_id,
                                    const char *from, const char *to, int closed, int64_t now,
                                    arena *a, int64_t **ids, size_t *n, error *err)
{
    *ids = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_restatus, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, procedure_id);
    store_sqlite_bind_text(st, 3, from);
    store_sqlite_bind_text(st, 4, to);
    sqlite3_bind_int(st, 5, closed ? 1 : 0);
    sqlite3_bind_int64(st, 6, now);
    return store_sqlite_read_all(c, st, store_sqlite_read_int64, a, sizeof **ids, (void **)ids, n,
                                 "workflow_restatus", err);
}

static sq_stmt sq_procedure_set =
    SQ_STMT("UPDATE procedures SET workflow_id = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_procedure_set(store *s, int64_t tenant_id, int64_t procedure_id,
                                         int64_t workflow_id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_procedure_set, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, procedure_id);
    sqlite3_bind_int64(st, 3, workflow_id);
    return store_sqlite_run_update(c, st, "workflow_procedure_set", "procedure", err);
}

const store_workflows_ops store_sqlite_workflows_ops = {
    .tx_create = store_sqlite_tx_workflow_create,
    .tx_replace = store_sqlite_tx_workflow_replace,
    .tx_actions_replace = store_sqlite_tx_actions_replace,
    .tx_timeouts_replace = store_sqlite_tx_timeouts_replace,
    .status_counts = store_sqlite_status_counts,
    .tx_status_counts = store_sqlite_tx_status_counts,
    .tx_last_version = store_sqlite_tx_last_version,
    .tx_version_add = store_sqlite_tx_version_add,
    .versions = store_sqlite_versions,
    .version_get = store_sqlite_version_get,
    .tx_restatus = store_sqlite_tx_restatus,
    .tx_procedure_set = store_sqlite_tx_procedure_set,
};

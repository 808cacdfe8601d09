/*
 * sqlite_catalogue — tenants, departments and procedures: the catalogue read in one snapshot
 * with its config_version, and the upserts of the command line and the administration
 * pages (a tenant's host names are kept in tenant_hosts, one tenant per name).
 */
#include "store/sqlite/sq.h"

#include <string.h>
#include <time.h>

static sq_stmt sq_config_version = SQ_STMT("SELECT version FROM config_version WHERE id = 1");

static int store_sqlite_config_version(store *s, int64_t *version, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_config_version, err);
    if (!st)
        return -1;
    *version = 0; /* no row yet: version 0 */
    int found;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, version, &found,
                                 "config_version", err);
}

static sq_stmt sq_tenants_all = SQ_STMT(
    "SELECT id, slug, name, hosts, timezone, contact, archives_visa FROM tenants ORDER BY id");

static int read_tenant(sqlite3_stmt *st, arena *a, void *p)
{
    store_tenant *t = p;
    int oom = 0;
    t->id = sqlite3_column_int64(st, 0);
    t->slug = store_sqlite_col_text(st, 1, a, &oom);
    t->name = store_sqlite_col_text(st, 2, a, &oom);
    t->hosts = store_sqlite_col_text(st, 3, a, &oom);
    t->timezone = store_sqlite_col_text(st, 4, a, &oom);
    t->contact = store_sqlite_col_text(st, 5, a, &oom);
    t->archives_visa = sqlite3_column_int(st, 6);
    return oom ? -1 : 0;
}

static sq_stmt sq_brandings_all =
    SQ_STMT("SELECT tenant_id, colour_primary, colour_secondary, hours, hours_notes, address, "
            "phone, email, website, map_lat, map_lon, map_zoom, logo_hash, logo_width, "
            "logo_height, publication_director, dpo, host, holidays FROM tenant_branding "
            "ORDER BY tenant_id");

static int read_branding(sqlite3_stmt *st, arena *a, void *p)
{
    store_branding *b = p;
    int oom = 0;
    b->tenant_id = sqlite3_column_int64(st, 0);
    b->colour_primary = store_sqlite_col_text(st, 1, a, &oom);
    b->colour_secondary = store_sqlite_col_text(st, 2, a, &oom);
    b->hours = store_sqlite_col_text(st, 3, a, &oom);
    b->hours_notes = store_sqlite_col_text(st, 4, a, &oom);
    b->address = store_sqlite_col_text(st, 5, a, &oom);
    b->phone = store_sqlite_col_text(st, 6, a, &oom);
    b->email = store_sqlite_col_text(st, 7, a, &oom);
    b->website = store_sqlite_col_text(st, 8, a, &oom);
    b->has_map = sqlite3_column_type(st, 9) != SQLITE_NULL &&
                 sqlite3_column_type(st, 10) != SQLITE_NULL &&
                 sqlite3_column_type(st, 11) != SQLITE_NULL;
    b->map_lat = sqlite3_column_double(st, 9);
    b->map_lon = sqlite3_column_double(st, 10);
    b->map_zoom = sqlite3_column_int(st, 11);
    b->logo_hash = store_sqlite_col_text(st, 12, a, &oom);
    b->logo_width = sqlite3_column_int(st, 13);
    b->logo_height = sqlite3_column_int(st, 14);
    b->publication_director = store_sqlite_col_text(st, 15, a, &oom);
    b->dpo = store_sqlite_col_text(st, 16, a, &oom);
    b->host = store_sqlite_col_text(st, 17, a, &oom);
    b->holidays = sqlite3_column_int(st, 18);
    return oom ? -1 : 0;
}

static sq_stmt sq_departments_all =
    SQ_STMT("SELECT id, tenant_id, code, name, email FROM departments ORDER BY tenant_id, id");

static int read_department(sqlite3_stmt *st, arena *a, void *p)
{
    store_department *d = p;
    int oom = 0;
    d->id = sqlite3_column_int64(st, 0);
    d->tenant_id = sqlite3_column_int64(st, 1);
    d->code = store_sqlite_col_text(st, 2, a, &oom);
    d->name = store_sqlite_col_text(st, 3, a, &oom);
    d->email = store_sqlite_col_text(st, 4, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_procedures_all =
    SQ_STMT("SELECT id, tenant_id, code, name, group_name, description, keywords, attributes, "
            "service_notice, department_id, kind, is_public, open311, delay_days, active, "
            "auto_public, allow_anonymous, open311_detail, retention_months, name_en, "
            "description_en, service_notice_en, icon, delay_working, workflow_id, (SELECT "
            "max(version) FROM procedure_versions v WHERE v.procedure_id = procedures.id) "
            "FROM procedures "
            "ORDER BY tenant_id, id");

static int read_procedure(sqlite3_stmt *st, arena *a, void *q)
{
    store_procedure *p = q;
    int oom = 0;
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
    p->name_en = store_sqlite_col_text(st, 19, a, &oom);
    p->description_en = store_sqlite_col_text(st, 20, a, &oom);
    p->service_notice_en = store_sqlite_col_text(st, 21, a, &oom);
    p->icon = store_sqlite_col_text(st, 22, a, &oom);
    p->delay_working = sqlite3_column_int(st, 23);
    p->workflow_id = sqlite3_column_int64(st, 24);
    p->form_version = sqlite3_column_int(st, 25);
    return oom ? -1 : 0;
}

static sq_stmt sq_workflows_all =
    SQ_STMT("SELECT id, tenant_id, code, name, name_en FROM workflows ORDER BY tenant_id, id");

static int read_workflow(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow *w = p;
    int oom = 0;
    w->id = sqlite3_column_int64(st, 0);
    w->tenant_id = sqlite3_column_int64(st, 1);
    w->code = store_sqlite_col_text(st, 2, a, &oom);
    w->name = store_sqlite_col_text(st, 3, a, &oom);
    w->name_en = store_sqlite_col_text(st, 4, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_workflow_statuses_all =
    SQ_STMT("SELECT workflow_id, code, position, agent_label, agent_label_en, citizen_label, "
            "citizen_label_en, colour, open311, extended_status, citizen_visible, is_final, "
            "is_initial, reopen_to FROM workflow_statuses ORDER BY workflow_id, position, id");

static int read_workflow_status(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow_status *s = p;
    int oom = 0;
    s->workflow_id = sqlite3_column_int64(st, 0);
    s->code = store_sqlite_col_text(st, 1, a, &oom);
    s->position = sqlite3_column_int(st, 2);
    s->agent_label = store_sqlite_col_text(st, 3, a, &oom);
    s->agent_label_en = store_sqlite_col_text(st, 4, a, &oom);
    s->citizen_label = store_sqlite_col_text(st, 5, a, &oom);
    s->citizen_label_en = store_sqlite_col_text(st, 6, a, &oom);
    s->colour = store_sqlite_col_text(st, 7, a, &oom);
    const char *o = (const char *)sqlite3_column_text(st, 8);
    s->open311_closed = o && strcmp(o, "closed") == 0;
    s->extended_status = store_sqlite_col_text(st, 9, a, &oom);
    s->citizen_visible = sqlite3_column_int(st, 10);
    s->is_final = sqlite3_column_int(st, 11);
    s->is_initial = sqlite3_column_int(st, 12);
    s->reopen_to = store_sqlite_col_text(st, 13, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_workflow_transitions_all =
    SQ_STMT("SELECT workflow_id, position, from_code, to_code, label, label_en, roles, "
            "comment_required FROM workflow_transitions ORDER BY workflow_id, position, id");

static int read_workflow_transition(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow_transition *t = p;
    int oom = 0;
    t->workflow_id = sqlite3_column_int64(st, 0);
    t->position = sqlite3_column_int(st, 1);
    t->from_code = store_sqlite_col_text(st, 2, a, &oom);
    t->to_code = store_sqlite_col_text(st, 3, a, &oom);
    t->label = store_sqlite_col_text(st, 4, a, &oom);
    t->label_en = store_sqlite_col_text(st, 5, a, &oom);
    t->roles = store_sqlite_col_text(st, 6, a, &oom);
    t->comment_required = sqlite3_column_int(st, 7);
    return oom ? -1 : 0;
}

static sq_stmt sq_workflow_actions_all =
    SQ_STMT("SELECT workflow_id, status_code, position, kind, params FROM workflow_actions "
            "ORDER BY workflow_id, status_code, position, id");

static int read_workflow_action(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow_action *w = p;
    int oom = 0;
    w->workflow_id = sqlite3_column_int64(st, 0);
    w->status_code = store_sqlite_col_text(st, 1, a, &oom);
    w->position = sqlite3_column_int(st, 2);
    w->kind = store_sqlite_col_text(st, 3, a, &oom);
    w->params = store_sqlite_col_text(st, 4, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_workflow_timeouts_all =
    SQ_STMT("SELECT " SQ_TIMEOUT_COLUMNS " FROM workflow_timeouts ORDER BY workflow_id, "
            "status_code, position, id");

int store_sqlite_read_workflow_timeout(sqlite3_stmt *st, arena *a, void *p)
{
    store_workflow_timeout *t = p;
    int oom = 0;
    memset(t, 0, sizeof *t);
    t->workflow_id = sqlite3_column_int64(st, 0);
    t->status_code = store_sqlite_col_text(st, 1, a, &oom);
    t->position = sqlite3_column_int(st, 2);
    t->delay = sqlite3_column_int(st, 3);
    t->unit = store_sqlite_col_text(st, 4, a, &oom);
    t->kind = store_sqlite_col_text(st, 5, a, &oom);
    t->target = store_sqlite_col_text(st, 6, a, &oom);
    t->meaning = store_sqlite_col_text(st, 7, a, &oom);
    t->whom = store_sqlite_col_text(st, 8, a, &oom);
    t->repeat_days = sqlite3_column_int(st, 9);
    t->repeat_times = sqlite3_column_int(st, 10);
    t->warn_before = sqlite3_column_int(st, 11);
    return oom ? -1 : 0;
}

/* Every row of one of the catalogue's tables (no parameter) into an arena array. */
static int load_all(store_sqlite_conn *c, sq_stmt *def, store_sqlite_row_reader rd, size_t size,
                    arena *a, void **out, size_t *n, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    return store_sqlite_read_all(c, st, rd, a, size, out, n, "catalogue_load", err);
}

static sq_stmt sq_begin_read = SQ_STMT("BEGIN");

/* The reads run in one read transaction so that the catalogue and its version are one
 * consistent snapshot (a CLI command may change it meanwhile). */
static int store_sqlite_catalogue_load(store *s, arena *a, store_catalogue *out, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    memset(out, 0, sizeof *out);
    int began = 0, ret = -1;
    if (sqlite3_get_autocommit(c->db)) {
        if (store_sqlite_exec_stmt(c, &sq_begin_read, "catalogue_load", err) != 0)
            return -1;
        began = 1;
    }
    if (load_all(c, &sq_tenants_all, read_tenant, sizeof(store_tenant), a, (void **)&out->tenants,
                 &out->n_tenants, err) != 0 ||
        load_all(c, &sq_departments_all, read_department, sizeof(store_department), a,
                 (void **)&out->departments, &out->n_departments, err) != 0 ||
        load_all(c, &sq_procedures_all, read_procedure, sizeof(store_procedure), a,
                 (void **)&out->procedures, &out->n_procedures, err) != 0 ||
        load_all(c, &sq_brandings_all, read_branding, sizeof(store_branding), a,
                 (void **)&out->brandings, &out->n_brandings, err) != 0 ||
        load_all(c, &sq_workflows_all, read_workflow, sizeof(store_workflow), a,
                 (void **)&out->workflows, &out->n_workflows, err) != 0 ||
        load_all(c, &sq_workflow_statuses_all, read_workflow_status, sizeof(store_workflow_status),
                 a, (void **)&out->workflow_statuses, &out->n_workflow_statuses, err) != 0 ||
        load_all(c, &sq_workflow_transitions_all, read_workflow_transition,
                 sizeof(store_workflow_transition), a, (void **)&out->workflow_transitions,
                 &out->n_workflow_transitions, err) != 0 ||
        load_all(c, &sq_workflow_actions_all, read_workflow_action, sizeof(store_workflow_action),
                 a, (void **)&out->workflow_actions, &out->n_workflow_actions, err) != 0 ||
        load_all(c, &sq_workflow_timeouts_all, store_sqlite_read_workflow_timeout,
                 sizeof(store_workflow_timeout), a, (void **)&out->workflow_timeouts,
                 &out->n_workflow_timeouts, err) != 0 ||
        store_sqlite_config_version(s, &out->version, err) != 0)
        goto cleanup;
    if (began) {
        began = 0;
        if (store_sqlite_exec_stmt(c, &store_sqlite_commit, "catalogue_load", err) != 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    if (began) {
        error ignored;
        store_sqlite_exec_stmt(c, &store_sqlite_rollback, "catalogue_load", &ignored);
    }
    if (ret != 0)
        memset(out, 0, sizeof *out);
    return ret;
}

static sq_stmt sq_tenant_hosts_clear = SQ_STMT("DELETE FROM tenant_hosts WHERE tenant_id = ?1");

static sq_stmt sq_tenant_host_owner =
    SQ_STMT("SELECT t.slug FROM tenant_hosts h JOIN tenants t ON t.id = "
            "h.tenant_id WHERE h.host = ?1 AND h.tenant_id <> ?2");

static sq_stmt sq_tenant_host_add =
    SQ_STMT("INSERT INTO tenant_hosts (host, tenant_id, position) VALUES (?1, ?2, ?3)");

/* Replaces the rows of tenant_hosts of tenant `id` with the names of `hosts` (one space
 * apart). A name is the key of that table: another tenant's name is refused here with its
 * owner named, before the key would refuse it with a bare constraint message. */
static int set_tenant_hosts(store_sqlite_conn *c, int64_t id, const char *hosts, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_tenant_hosts_clear, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (store_sqlite_run_write(c, st, NULL, "tenant_hosts", err) != 0)
        return -1;
    int position = 0;
    for (const char *p = hosts; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 0) {
            p++;
            continue;
        }
        st = store_sqlite_stmt(c, &sq_tenant_host_owner, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            error_set(err, ERR_CONFLICT, "hosts",
                      "host name '%.*s' already belongs to collectivité %s", (int)(n > 80 ? 80 : n),
                      p, (const char *)sqlite3_column_text(st, 0));
            store_sqlite_done(st);
            return -1;
        }
        store_sqlite_done(st);
        if (rc != SQLITE_DONE)
            return store_sqlite_fail(c->db, rc, "tenant_hosts", err);
        st = store_sqlite_stmt(c, &sq_tenant_host_add, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int(st, 3, position++);
        if (store_sqlite_run_write(c, st, NULL, "tenant_hosts", err) != 0)
            return -1;
        p += n;
    }
    return 0;
}

static sq_stmt sq_tenant_upsert =
    SQ_STMT("INSERT INTO tenants (slug, name, hosts, timezone, contact, created_at) "
            "VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, 'Europe/Paris'), ?5, ?6) "
            "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, hosts = coalesce(?3, hosts), "
            "timezone = excluded.timezone, contact = excluded.contact RETURNING id");

static int store_sqlite_tx_tenant_upsert(store *s, const store_tenant *t, int64_t *id_out,
                                         error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_tenant_upsert, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, t->slug);
    store_sqlite_bind_text(st, 2, t->name);
    store_sqlite_bind_text(st, 3, t->hosts);
    store_sqlite_bind_text(st, 4, t->timezone);
    store_sqlite_bind_text(st, 5, t->contact);
    sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "tenant_upsert", err) != 0)
        return -1;
    if (t->hosts && set_tenant_hosts(c, id, t->hosts, err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_department_upsert =
    SQ_STMT("INSERT INTO departments (tenant_id, code, name, email) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, "
            "email = excluded.email RETURNING id");

static int store_sqlite_tx_department_upsert(store *s, const store_department *d, int64_t *id_out,
                                             error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_department_upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->tenant_id);
    store_sqlite_bind_text(st, 2, d->code);
    store_sqlite_bind_text(st, 3, d->name);
    store_sqlite_bind_text(st, 4, d->email);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "department_upsert", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_procedure_upsert = SQ_STMT(
    "INSERT INTO procedures (tenant_id, code, name, group_name, description, keywords, "
    "attributes, service_notice, department_id, kind, is_public, open311, delay_days, "
    "active, auto_public, allow_anonymous, open311_detail, retention_months, name_en, "
    "description_en, service_notice_en, icon, delay_working, workflow_id) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
    /* 0: the default of its kind, as migration 7 gave existing procedures */
    "CASE WHEN ?18 BETWEEN 1 AND 1200 THEN ?18 WHEN ?10 = 1 THEN 36 ELSE 24 END, ?19, ?20, ?21, "
    "?22, ?23, "
    /* 0: the shipped workflow of its kind */
    "coalesce(?24, (SELECT id FROM workflows WHERE tenant_id = ?1 AND "
    "code = CASE WHEN ?10 = 1 THEN 'demarche' ELSE 'incident' END))) "
    "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, "
    "group_name = excluded.group_name, description = excluded.description, "
    "keywords = excluded.keywords, attributes = excluded.attributes, "
    "service_notice = excluded.service_notice, department_id = excluded.department_id, "
    "kind = excluded.kind, is_public = excluded.is_public, open311 = excluded.open311, "
    "delay_days = excluded.delay_days, active = excluded.active, "
    "auto_public = excluded.auto_public, allow_anonymous = excluded.allow_anonymous, "
    "open311_detail = excluded.open311_detail, "
    "retention_months = excluded.retention_months, name_en = excluded.name_en, "
    "description_en = excluded.description_en, service_notice_en = excluded.service_notice_en, "
    "icon = excluded.icon, delay_working = excluded.delay_working, "
    "workflow_id = coalesce(?24, workflow_id) RETURNING id");

/* The next version of a procedure's form, unless its latest one has the same text. */
static sq_stmt sq_procedure_version_add = SQ_STMT(
    "INSERT INTO procedure_versions (tenant_id, procedure_id, version, definition, created_at, "
    "created_by, summary) SELECT ?1, ?2, coalesce((SELECT max(version) FROM procedure_versions "
    "WHERE procedure_id = ?2), 0) + 1, coalesce(?3, '[]'), CAST(strftime('%s', 'now') AS "
    "INTEGER), ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM procedure_versions WHERE procedure_id = "
    "?2 AND definition = coalesce(?3, '[]') AND version = (SELECT max(version) FROM "
    "procedure_versions WHERE procedure_id = ?2))");

/* The latest version of a procedure's form, by its code (0: none, or no such procedure). */
static sq_stmt sq_procedure_latest_version = SQ_STMT(
    "SELECT coalesce(max(v.version), 0) FROM procedure_versions v JOIN procedures p ON p.id = "
    "v.procedure_id WHERE p.tenant_id = ?1 AND p.code = ?2");

static int store_sqlite_tx_procedure_upsert(store *s, const store_procedure *p, int64_t *id_out,
                                            error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st;
    if (p->seen_form_version > 0) {
        /* Checked in the write's own transaction: no save can slip in between. */
        st = store_sqlite_stmt(c, &sq_procedure_latest_version, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, p->tenant_id);
        store_sqlite_bind_text(st, 2, p->code);
        int64_t latest = 0;
        int found = 0;
        if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &latest, &found,
                                  "procedure_latest_version", err) != 0)
            return -1;
        if (latest != p->seen_form_version)
            return error_set(err, ERR_CONFLICT, "version",
                             "the form is at version %lld, the editor showed version %d",
                             (long long)latest, p->seen_form_version);
    }
    st = store_sqlite_stmt(c, &sq_procedure_upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->tenant_id);
    store_sqlite_bind_text(st, 2, p->code);
    store_sqlite_bind_text(st, 3, p->name);
    store_sqlite_bind_text(st, 4, p->group_name);
    store_sqlite_bind_text(st, 5, p->description);
    store_sqlite_bind_text(st, 6, p->keywords);
    store_sqlite_bind_text(st, 7, p->attributes);
    store_sqlite_bind_text(st, 8, p->service_notice);
    store_sqlite_bind_id(st, 9, p->department_id);
    sqlite3_bind_int(st, 10, p->kind);
    sqlite3_bind_int(st, 11, p->is_public ? 1 : 0);
    sqlite3_bind_int(st, 12, p->open311 ? 1 : 0);
    sqlite3_bind_int(st, 13, p->delay_days);
    sqlite3_bind_int(st, 14, p->active ? 1 : 0);
    sqlite3_bind_int(st, 15, p->auto_public ? 1 : 0);
    sqlite3_bind_int(st, 16, p->allow_anonymous ? 1 : 0);
    sqlite3_bind_int(st, 17, p->open311_detail);
    sqlite3_bind_int(st, 18, p->retention_months);
    store_sqlite_bind_text(st, 19, p->name_en);
    store_sqlite_bind_text(st, 20, p->description_en);
    store_sqlite_bind_text(st, 21, p->service_notice_en);
    store_sqlite_bind_text(st, 22, p->icon);
    sqlite3_bind_int(st, 23, p->delay_working ? 1 : 0);
    store_sqlite_bind_id(st, 24, p->workflow_id);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "procedure_upsert", err) != 0)
        return -1;
    st = store_sqlite_stmt(c, &sq_procedure_version_add, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->tenant_id);
    sqlite3_bind_int64(st, 2, id);
    store_sqlite_bind_text(st, 3, p->attributes);
    store_sqlite_bind_text(st, 4, p->version_by ? p->version_by : "cli");
    store_sqlite_bind_text(st, 5, p->version_summary);
    if (store_sqlite_run_write(c, st, NULL, "procedure_version_add", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_procedure_versions =
    SQ_STMT("SELECT procedure_id, version, NULL, created_at, created_by, summary, (SELECT "
            "count(*) FROM requests r WHERE r.procedure_id = v.procedure_id AND "
            "r.procedure_version = v.version) FROM procedure_versions v WHERE tenant_id = ?1 AND "
            "procedure_id = ?2 ORDER BY version DESC");

static sq_stmt sq_procedure_version_get =
    SQ_STMT("SELECT procedure_id, version, definition, created_at, created_by, summary, 0 FROM "
            "procedure_versions WHERE tenant_id = ?1 AND procedure_id = ?2 AND version = ?3");

static int read_procedure_version(sqlite3_stmt *st, arena *a, void *q)
{
    store_procedure_version *v = q;
    int oom = 0;
    v->procedure_id = sqlite3_column_int64(st, 0);
    v->version = sqlite3_column_int(st, 1);
    v->definition = store_sqlite_col_text(st, 2, a, &oom);
    v->created_at = sqlite3_column_int64(st, 3);
    v->created_by = store_sqlite_col_text(st, 4, a, &oom);
    v->summary = store_sqlite_col_text(st, 5, a, &oom);
    v->requests = sqlite3_column_int64(st, 6);
    return oom ? -1 : 0;
}

static int store_sqlite_procedure_versions(store *s, int64_t tenant_id, int64_t procedure_id,
                                           arena *a, store_procedure_version **out, size_t *n,
                                           error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_procedure_versions, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, procedure_id);
    return store_sqlite_read_all(c, st, read_procedure_version, a, sizeof **out, (void **)out, n,
                                 "procedure_versions", err);
}

static int store_sqlite_procedure_version_get(store *s, int64_t tenant_id, int64_t procedure_id,
                                              int version, arena *a, store_procedure_version *out,
                                              int *found, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_procedure_version_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, procedure_id);
    sqlite3_bind_int(st, 3, version);
    memset(out, 0, sizeof *out);
    return store_sqlite_read_one(c, st, read_procedure_version, a, out, found,
                                 "procedure_version_get", err);
}

static sq_stmt sq_tenant_set_visa = SQ_STMT("UPDATE tenants SET archives_visa = ?2 WHERE id = ?1");

static int store_sqlite_tx_tenant_set_archives_visa(store *s, int64_t tenant_id, int on, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_tenant_set_visa, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int(st, 2, on ? 1 : 0);
    return store_sqlite_run_update(c, st, "tenant_set_archives_visa", "tenant", err);
}

/* The settings only: the logo's columns are tx_logo_set's. */
static sq_stmt sq_branding_set = SQ_STMT(
    "INSERT INTO tenant_branding (tenant_id, colour_primary, colour_secondary, hours, "
    "hours_notes, address, phone, email, website, map_lat, map_lon, map_zoom, updated_at, "
    "publication_director, dpo, host, holidays) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT (tenant_id) DO UPDATE SET colour_primary = excluded.colour_primary, "
    "colour_secondary = excluded.colour_secondary, hours = excluded.hours, "
    "hours_notes = excluded.hours_notes, address = excluded.address, phone = excluded.phone, "
    "email = excluded.email, website = excluded.website, map_lat = excluded.map_lat, "
    "map_lon = excluded.map_lon, map_zoom = excluded.map_zoom, "
    "updated_at = excluded.updated_at, publication_director = excluded.publication_director, "
    "dpo = excluded.dpo, host = excluded.host, holidays = excluded.holidays");

static int store_sqlite_tx_branding_set(store *s, const store_branding *b, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_branding_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, b->tenant_id);
    store_sqlite_bind_text(st, 2, b->colour_primary);
    store_sqlite_bind_text(st, 3, b->colour_secondary);
    store_sqlite_bind_text(st, 4, b->hours);
    store_sqlite_bind_text(st, 5, b->hours_notes);
    store_sqlite_bind_text(st, 6, b->address);
    store_sqlite_bind_text(st, 7, b->phone);
    store_sqlite_bind_text(st, 8, b->email);
    store_sqlite_bind_text(st, 9, b->website);
    if (b->has_map) {
        sqlite3_bind_double(st, 10, b->map_lat);
        sqlite3_bind_double(st, 11, b->map_lon);
        sqlite3_bind_int(st, 12, b->map_zoom);
    } else {
        for (int i = 10; i <= 12; i++)
            sqlite3_bind_null(st, i);
    }
    sqlite3_bind_int64(st, 13, (int64_t)time(NULL));
    store_sqlite_bind_text(st, 14, b->publication_director);
    store_sqlite_bind_text(st, 15, b->dpo);
    store_sqlite_bind_text(st, 16, b->host);
    sqlite3_bind_int(st, 17, b->holidays);
    return store_sqlite_run_write(c, st, NULL, "branding_set", err);
}

static sq_stmt sq_logo_set = SQ_STMT(
    "INSERT INTO tenant_branding (tenant_id, logo, logo_hash, logo_width, logo_height, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id) DO UPDATE SET "
    "logo = excluded.logo, logo_hash = excluded.logo_hash, logo_width = excluded.logo_width, "
    "logo_height = excluded.logo_height, updated_at = excluded.updated_at");

static int store_sqlite_tx_logo_set(store *s, int64_t tenant_id, const store_logo *logo, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_logo_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (logo) {
        sqlite3_bind_blob(st, 2, logo->data, (int)logo->size, SQLITE_STATIC);
        store_sqlite_bind_text(st, 3, logo->hash);
        sqlite3_bind_int(st, 4, logo->width);
        sqlite3_bind_int(st, 5, logo->height);
    } else {
        for (int i = 2; i <= 5; i++)
            sqlite3_bind_null(st, i);
    }
    sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
    return store_sqlite_run_write(c, st, NULL, "logo_set", err);
}

static sq_stmt sq_logo_get = SQ_STMT("SELECT logo, logo_hash, logo_width, logo_height FROM "
                                     "tenant_branding WHERE tenant_id = ?1 AND logo IS NOT NULL");

static int read_logo(sqlite3_stmt *st, arena *a, void *p)
{
    store_logo *l = p;
    int oom = 0;
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const void *blob = sqlite3_column_blob(st, 0);
    void *copy = n ? arena_alloc(a, n) : NULL;
    if (n && !copy)
        return -1;
    if (n)
        memcpy(copy, blob, n);
    l->data = copy;
    l->size = n;
    l->hash = store_sqlite_col_text(st, 1, a, &oom);
    l->width = sqlite3_column_int(st, 2);
    l->height = sqlite3_column_int(st, 3);
    return oom ? -1 : 0;
}

static int store_sqlite_logo_get(store *s, int64_t tenant_id, arena *a, store_logo *out, int *found,
                                 error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_logo_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    memset(out, 0, sizeof *out);
    return store_sqlite_read_one(c, st, read_logo, a, out, found, "logo_get", err);
}

const store_catalogue_ops store_sqlite_catalogue_ops = {
    .config_version = store_sqlite_config_version,
    .load = store_sqlite_catalogue_load,
    .tx_tenant_upsert = store_sqlite_tx_tenant_upsert,
    .tx_department_upsert = store_sqlite_tx_department_upsert,
    .tx_procedure_upsert = store_sqlite_tx_procedure_upsert,
    .procedure_versions = store_sqlite_procedure_versions,
    .procedure_version_get = store_sqlite_procedure_version_get,
    .tx_tenant_set_archives_visa = store_sqlite_tx_tenant_set_archives_visa,
    .tx_branding_set = store_sqlite_tx_branding_set,
    .tx_logo_set = store_sqlite_tx_logo_set,
    .logo_get = store_sqlite_logo_get,
};

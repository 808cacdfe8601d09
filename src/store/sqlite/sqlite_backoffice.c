/*
 * sqlite_backoffice — the SQLite backend's operations for the agents' back office: agents and
 * their departments, agent sessions, the append-only audit log, saved filters, reply
 * templates, a request by id, public visibility and the nearby requests of the mobile view.
 * Reads run on the thread's read connection (the writer's inside a job), writes only inside
 * a job, both with the cached statements of sqlite_store.c.
 */
#include "store/sqlite/sq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounds of requests_near: a wider search would be a list, not "near me". */
#define NEAR_MAX_RADIUS_M 100000.0
#define NEAR_MAX_LIMIT 500
#define EARTH_RADIUS_M 6371008.8
#define METRES_PER_DEGREE 111320.0

static store_sqlite_conn *reader(store *s, error *err)
{
    return store_sqlite_read_conn((store_sqlite_store *)s, err);
}

static store_sqlite_conn *writer(store *s, error *err)
{
    return store_sqlite_write_conn((store_sqlite_store *)s, err);
}

/* ---- agents ---- */

static const char *const agent_roles[] = {"agent", "manager", "elected", "admin"};

static int role_valid(const char *role)
{
    if (!role)
        return 0;
    for (size_t i = 0; i < sizeof agent_roles / sizeof agent_roles[0]; i++)
        if (strcmp(role, agent_roles[i]) == 0)
            return 1;
    return 0;
}

static int read_agent(sqlite3_stmt *st, arena *a, void *p)
{
    store_agent *ag = p;
    int oom = 0;
    memset(ag, 0, sizeof *ag);
    ag->id = sqlite3_column_int64(st, 0);
    ag->tenant_id = sqlite3_column_int64(st, 1);
    ag->email = store_sqlite_col_text(st, 2, a, &oom);
    ag->name = store_sqlite_col_text(st, 3, a, &oom);
    ag->role = store_sqlite_col_text(st, 4, a, &oom);
    ag->password_hash = store_sqlite_col_text(st, 5, a, &oom);
    ag->totp_secret = store_sqlite_col_text(st, 6, a, &oom);
    ag->totp_enabled = sqlite3_column_int(st, 7);
    ag->active = sqlite3_column_int(st, 8);
    ag->created_at = sqlite3_column_int64(st, 9);
    ag->last_login_at = sqlite3_column_int64(st, 10);
    return oom ? -1 : 0;
}

/* Fills ag's departments from agent_departments. */
static int load_departments(store_sqlite_conn *c, store_agent *ag, arena *a, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_DEPTS, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ag->id);
    size_t cap = 0, n = 0;
    int64_t *ids = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *grown = store_sqlite_grow(a, ids, &cap, n, sizeof *ids);
        if (!grown) {
            ret = store_sqlite_oom(err);
            break;
        }
        ids = grown;
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "agent_departments", err);
    store_sqlite_done(st);
    if (ret == 0) {
        ag->department_ids = ids;
        ag->n_departments = n;
    }
    return ret;
}

/* One agent by a statement whose parameters are bound, with its departments. */
static int agent_one(store_sqlite_conn *c, sqlite3_stmt *st, arena *a, store_agent *out, int *found,
                     const char *what, error *err)
{
    if (store_sqlite_read_one(c, st, read_agent, a, out, found, what, err) != 0)
        return -1;
    if (*found && load_departments(c, out, a, err) != 0) {
        *found = 0;
        return -1;
    }
    return 0;
}

int store_sqlite_agent_get(store *s, int64_t tenant_id, int64_t id, arena *a, store_agent *out,
                           int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_GET, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return agent_one(c, st, a, out, found, "agent_get", err);
}

int store_sqlite_agent_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                  store_agent *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_FIND_EMAIL, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    return agent_one(c, st, a, out, found, "agent_find_email", err);
}

/* Hands each agent of a list its departments from one query over the whole tenant. Both the
 * pairs and the lookup are ordered by agent id, so one binary search per pair run suffices. */
static int list_departments(store_sqlite_conn *c, int64_t tenant_id, store_agent *agents,
                            size_t n_agents, arena *a, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_DEPTS_TENANT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    size_t cap = 0, n = 0;
    int64_t *pairs = NULL; /* agent id, department id, ... */
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *grown = store_sqlite_grow(a, pairs, &cap, n + 1, sizeof *pairs);
        if (!grown) {
            ret = store_sqlite_oom(err);
            break;
        }
        pairs = grown;
        pairs[n++] = sqlite3_column_int64(st, 0);
        pairs[n++] = sqlite3_column_int64(st, 1);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "agent_list", err);
    store_sqlite_done(st);
    if (ret != 0)
        return -1;
    /* Each agent's departments are a contiguous run of pairs: point into it, copying the
     * department ids to a dense array. */
    for (size_t i = 0; i < n_agents; i++) {
        size_t lo = 0, hi = n / 2;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (pairs[2 * mid] < agents[i].id)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < n / 2 && pairs[2 * end] == agents[i].id)
            end++;
        if (end == lo)
            continue;
        int64_t *ids = arena_alloc(a, (end - lo) * sizeof *ids);
        if (!ids)
            return store_sqlite_oom(err);
        for (size_t k = lo; k < end; k++)
            ids[k - lo] = pairs[2 * k + 1];
        agents[i].department_ids = ids;
        agents[i].n_departments = end - lo;
    }
    return 0;
}

int store_sqlite_agent_list(store *s, int64_t tenant_id, arena *a, store_agent **out, size_t *n,
                            error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_LIST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    size_t count = 0;
    if (store_sqlite_read_all(c, st, read_agent, a, sizeof(store_agent), &arr, &count, "agent_list",
                              err) != 0)
        return -1;
    if (list_departments(c, tenant_id, arr, count, a, err) != 0)
        return -1;
    *out = arr;
    *n = count;
    return 0;
}

/* Replaces agent id's departments with ag's, each checked to belong to the tenant. */
static int write_departments(store_sqlite_conn *c, int64_t agent_id, const store_agent *ag,
                             error *err)
{
    if (ag->n_departments && !ag->department_ids)
        return error_set(err, ERR_INVALID_ARG, "department", "department list missing");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_DEPTS_CLEAR, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, agent_id);
    if (store_sqlite_run_write(c, st, NULL, "agent_departments", err) != 0)
        return -1;
    for (size_t i = 0; i < ag->n_departments; i++) {
        st = store_sqlite_stmt(c, SQ_DEPARTMENT_OF_TENANT, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, ag->tenant_id);
        sqlite3_bind_int64(st, 2, ag->department_ids[i]);
        int rc = sqlite3_step(st);
        store_sqlite_done(st);
        if (rc == SQLITE_DONE)
            return error_set(err, ERR_INVALID_ARG, "department", "unknown department");
        if (rc != SQLITE_ROW)
            return store_sqlite_fail(c->db, rc, "agent_departments", err);
        st = store_sqlite_stmt(c, SQ_AGENT_DEPT_ADD, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, agent_id);
        sqlite3_bind_int64(st, 2, ag->department_ids[i]);
        if (store_sqlite_run_write(c, st, NULL, "agent_departments", err) != 0)
            return -1;
    }
    return 0;
}

int store_sqlite_tx_agent_insert(store *s, const store_agent *ag, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!ag->email || !*ag->email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    if (!ag->name || !*ag->name)
        return error_set(err, ERR_MISSING_ARG, "name", "name is required");
    if (!role_valid(ag->role))
        return error_set(err, ERR_INVALID_ARG, "role", "unknown role");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ag->tenant_id);
    store_sqlite_bind_text(st, 2, ag->email);
    store_sqlite_bind_text(st, 3, ag->name);
    store_sqlite_bind_text(st, 4, ag->role);
    store_sqlite_bind_text(st, 5, ag->password_hash);
    store_sqlite_bind_text(st, 6, ag->totp_secret);
    sqlite3_bind_int(st, 7, ag->totp_enabled ? 1 : 0);
    sqlite3_bind_int(st, 8, ag->active ? 1 : 0);
    sqlite3_bind_int64(st, 9, ag->created_at ? ag->created_at : (int64_t)time(NULL));
    store_sqlite_bind_id(st, 10, ag->last_login_at);
    if (store_sqlite_run_write(c, st, NULL, "agent_insert", err) != 0)
        return -1;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    if (write_departments(c, id, ag, err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

int store_sqlite_tx_agent_update(store *s, const store_agent *ag, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!ag->name || !*ag->name)
        return error_set(err, ERR_MISSING_ARG, "name", "name is required");
    if (!role_valid(ag->role))
        return error_set(err, ERR_INVALID_ARG, "role", "unknown role");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AGENT_UPDATE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ag->tenant_id);
    sqlite3_bind_int64(st, 2, ag->id);
    store_sqlite_bind_text(st, 3, ag->name);
    store_sqlite_bind_text(st, 4, ag->role);
    store_sqlite_bind_text(st, 5, ag->password_hash);
    store_sqlite_bind_text(st, 6, ag->totp_secret);
    sqlite3_bind_int(st, 7, ag->totp_enabled ? 1 : 0);
    sqlite3_bind_int(st, 8, ag->active ? 1 : 0);
    store_sqlite_bind_id(st, 9, ag->last_login_at);
    if (store_sqlite_run_update(c, st, "agent_update", "agent", err) != 0)
        return -1;
    return write_departments(c, ag->id, ag, err);
}

int store_sqlite_tx_session_delete_agent(store *s, int64_t tenant_id, int64_t agent_id, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SESSION_DELETE_AGENT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    return store_sqlite_run_write(c, st, NULL, "session_delete_agent", err);
}

/* ---- audit log ---- */

static int read_audit(sqlite3_stmt *st, arena *a, void *p)
{
    store_audit *e = p;
    int oom = 0;
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->tenant_id = sqlite3_column_int64(st, 1);
    e->at = sqlite3_column_int64(st, 2);
    e->agent_id = sqlite3_column_int64(st, 3);
    e->actor = store_sqlite_col_text(st, 4, a, &oom);
    e->action = store_sqlite_col_text(st, 5, a, &oom);
    e->object_kind = store_sqlite_col_text(st, 6, a, &oom);
    e->object_ids = store_sqlite_col_text(st, 7, a, &oom);
    e->source = store_sqlite_col_text(st, 8, a, &oom);
    e->prev_hash = store_sqlite_col_text(st, 9, a, &oom);
    e->hash = store_sqlite_col_text(st, 10, a, &oom);
    return oom ? -1 : 0;
}

int store_sqlite_tx_audit_append(store *s, const store_audit *e, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!e->actor || !e->action || !e->hash)
        return error_set(err, ERR_MISSING_ARG, "audit", "actor, action and hash are required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AUDIT_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->tenant_id);
    sqlite3_bind_int64(st, 2, e->at);
    store_sqlite_bind_id(st, 3, e->agent_id);
    store_sqlite_bind_text(st, 4, e->actor);
    store_sqlite_bind_text(st, 5, e->action);
    store_sqlite_bind_text(st, 6, e->object_kind);
    store_sqlite_bind_text(st, 7, e->object_ids);
    store_sqlite_bind_text(st, 8, e->source);
    store_sqlite_bind_text(st, 9, e->prev_hash);
    store_sqlite_bind_text(st, 10, e->hash);
    if (store_sqlite_run_write(c, st, NULL, "audit_append", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_audit_last(store *s, int64_t tenant_id, arena *a, store_audit *out, int *found,
                            error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AUDIT_LAST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_one(c, st, read_audit, a, out, found, "audit_last", err);
}

int store_sqlite_audit_list(store *s, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                            store_audit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AUDIT_LIST, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_audit, a, sizeof(store_audit), &arr, n, "audit_list",
                              err) != 0)
        return -1;
    *out = arr;
    return 0;
}

int store_sqlite_tx_audit_purge_before(store *s, int64_t tenant_id, int64_t before, int64_t *purged,
                                       error *err)
{
    if (purged)
        *purged = 0;
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_AUDIT_PURGE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    if (store_sqlite_run_write(c, st, NULL, "audit_purge", err) != 0)
        return -1;
    if (purged)
        *purged = sqlite3_changes64(c->db);
    return 0;
}

/* ---- saved filters ---- */

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

int store_sqlite_saved_filter_list(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                                   store_saved_filter **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SAVED_FILTER_LIST, err);
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

int store_sqlite_tx_saved_filter_insert(store *s, const store_saved_filter *f, int64_t *id_out,
                                        error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!f->name || !*f->name)
        return error_set(err, ERR_MISSING_ARG, "name", "filter name is required");
    if (!f->query)
        return error_set(err, ERR_MISSING_ARG, "query", "filter query is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SAVED_FILTER_INSERT, err);
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

int store_sqlite_tx_saved_filter_delete(store *s, int64_t tenant_id, int64_t agent_id, int64_t id,
                                        error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SAVED_FILTER_DELETE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_int64(st, 3, id);
    return store_sqlite_run_update(c, st, "saved_filter_delete", "saved filter", err);
}

/* ---- reply templates ---- */

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

int store_sqlite_reply_template_list(store *s, int64_t tenant_id, arena *a,
                                     store_reply_template **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TEMPLATE_LIST, err);
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

int store_sqlite_tx_reply_template_upsert(store *s, const store_reply_template *t, int64_t *id_out,
                                          error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    if (!t->name || !*t->name)
        return error_set(err, ERR_MISSING_ARG, "name", "template name is required");
    if (!t->body)
        return error_set(err, ERR_MISSING_ARG, "body", "template body is required");
    if (t->id) {
        sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TEMPLATE_UPDATE, err);
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
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TEMPLATE_UPSERT, err);
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

int store_sqlite_tx_reply_template_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TEMPLATE_DELETE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "reply_template_delete", "reply template", err);
}

/* ---- requests ---- */

int store_sqlite_tx_request_set_public(store *s, int64_t tenant_id, int64_t request_id,
                                       int is_public, error *err)
{
    store_sqlite_conn *c = writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_SET_PUBLIC, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int(st, 3, is_public ? 1 : 0);
    return store_sqlite_run_update(c, st, "request_set_public", "request", err);
}

static int read_request_row(sqlite3_stmt *st, arena *a, void *p)
{
    error ignored;
    return store_sqlite_read_request(st, a, p, &ignored);
}

int store_sqlite_request_get_by_id(store *s, int64_t tenant_id, int64_t id, arena *a,
                                   store_request *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_GET_BY_ID, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_request_row, a, out, found, "request_get_by_id", err);
}

/* Great-circle distance in metres (haversine). */
static double distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (h > 1.0)
        h = 1.0;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(h));
}

typedef struct near_item {
    store_request r;
    double d;
} near_item;

static int near_cmp(const void *pa, const void *pb)
{
    const near_item *x = pa, *y = pb;
    if (x->d < y->d)
        return -1;
    if (x->d > y->d)
        return 1;
    return x->r.id < y->r.id ? -1 : x->r.id > y->r.id;
}

int store_sqlite_requests_near(store *s, int64_t tenant_id, double lat, double lon, double radius_m,
                               size_t limit, arena *a, store_request **out, double **dist_out,
                               size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (dist_out)
        *dist_out = NULL;
    if (!isfinite(lat) || !isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180)
        return error_set(err, ERR_INVALID_ARG, "lat", "invalid position");
    if (!isfinite(radius_m) || radius_m <= 0 || radius_m > NEAR_MAX_RADIUS_M)
        return error_set(err, ERR_INVALID_ARG, "radius", "radius out of range");
    if (limit == 0 || limit > NEAR_MAX_LIMIT)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit out of range");
    store_sqlite_conn *c = reader(s, err);
    if (!c)
        return -1;
    /* The box holds the circle: near the poles the longitude span grows without bound, so
     * it is then the whole circle of longitudes. */
    double coslat = cos(lat * M_PI / 180.0);
    double dlat = radius_m / METRES_PER_DEGREE;
    double dlon = coslat > 1e-6 ? radius_m / (METRES_PER_DEGREE * coslat) : 360.0;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUESTS_NEAR, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_double(st, 2, lat - dlat);
    sqlite3_bind_double(st, 3, lat + dlat);
    sqlite3_bind_double(st, 4, lon - dlon);
    sqlite3_bind_double(st, 5, lon + dlon);
    sqlite3_bind_double(st, 6, lat);
    sqlite3_bind_double(st, 7, lon);
    sqlite3_bind_double(st, 8, coslat);
    /* Twice the limit: the box's corners lie outside the circle, and the flat-earth order may
     * differ slightly from the exact one at the edge. */
    sqlite3_bind_int64(st, 9, (int64_t)limit * 2);
    size_t cap = 0, count = 0;
    near_item *items = NULL;
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        near_item *grown = store_sqlite_grow(a, items, &cap, count, sizeof *items);
        if (!grown) {
            ret = store_sqlite_oom(err);
            break;
        }
        items = grown;
        if (store_sqlite_read_request(st, a, &items[count].r, err) != 0) {
            ret = -1;
            break;
        }
        items[count].d = distance_m(lat, lon, items[count].r.lat, items[count].r.lon);
        if (items[count].d <= radius_m)
            count++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "requests_near", err);
    store_sqlite_done(st);
    if (ret != 0)
        return -1;
    if (count)
        qsort(items, count, sizeof *items, near_cmp);
    if (count > limit)
        count = limit;
    if (count == 0)
        return 0;
    store_request *reqs = arena_alloc(a, count * sizeof *reqs);
    double *dists = dist_out ? arena_alloc(a, count * sizeof *dists) : NULL;
    if (!reqs || (dist_out && !dists))
        return store_sqlite_oom(err);
    for (size_t i = 0; i < count; i++) {
        reqs[i] = items[i].r;
        if (dists)
            dists[i] = items[i].d;
    }
    *out = reqs;
    if (dist_out)
        *dist_out = dists;
    *n = count;
    return 0;
}

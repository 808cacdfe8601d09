/*
 * sqlite_agents — agents of the collectivité (agents) with their departments
 * (agent_departments): reads with the departments attached, insert and update replacing
 * the whole set.
 */
#include "store/sqlite/sq.h"

#include <string.h>
#include <time.h>

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

/* The columns the row reader below reads, in its order. */
#define SQ_AGENT_COLUMNS                                                                           \
    "id, tenant_id, email, name, role, password_hash, totp_secret, totp_enabled, active, "         \
    "created_at, last_login_at"

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

static sq_stmt sq_agent_depts = SQ_STMT(
    "SELECT department_id FROM agent_departments WHERE agent_id = ?1 ORDER BY department_id");

/* Fills ag's departments from agent_departments. */
static int load_departments(store_sqlite_conn *c, store_agent *ag, arena *a, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_depts, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ag->id);
    int64_t *ids = NULL;
    size_t n = 0;
    if (store_sqlite_read_all(c, st, store_sqlite_read_int64, a, sizeof *ids, (void **)&ids, &n,
                              "agent_departments", err) != 0)
        return -1;
    ag->department_ids = ids;
    ag->n_departments = n;
    return 0;
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

static sq_stmt sq_agent_get =
    SQ_STMT("SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_agent_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                  store_agent *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return agent_one(c, st, a, out, found, "agent_get", err);
}

/* NOCASE column: the comparison ignores (ASCII) case. */
static sq_stmt sq_agent_find_email =
    SQ_STMT("SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND email = ?2");

static int store_sqlite_agent_find_email(store *s, int64_t tenant_id, const char *email, arena *a,
                                         store_agent *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_find_email, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    return agent_one(c, st, a, out, found, "agent_find_email", err);
}

static sq_stmt sq_agent_depts_tenant =
    SQ_STMT("SELECT ad.agent_id, ad.department_id FROM agent_departments ad "
            "JOIN agents a ON a.id = ad.agent_id WHERE a.tenant_id = ?1 "
            "ORDER BY ad.agent_id, ad.department_id");

/* Reads an (agent id, department id) row into two int64_t. */
static int read_pair(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    int64_t *pair = p;
    pair[0] = sqlite3_column_int64(st, 0);
    pair[1] = sqlite3_column_int64(st, 1);
    return 0;
}

/* Hands each agent of a list its departments from one query over the whole tenant. Both the
 * pairs and the lookup are ordered by agent id, so one binary search per pair run suffices. */
static int list_departments(store_sqlite_conn *c, int64_t tenant_id, store_agent *agents,
                            size_t n_agents, arena *a, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_depts_tenant, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t *pairs = NULL; /* agent id, department id, ... */
    size_t n_pairs = 0;
    if (store_sqlite_read_all(c, st, read_pair, a, 2 * sizeof *pairs, (void **)&pairs, &n_pairs,
                              "agent_list", err) != 0)
        return -1;
    size_t n = 2 * n_pairs;
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

static sq_stmt sq_agent_list =
    SQ_STMT("SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 "
            "ORDER BY name COLLATE FR, id");

static int store_sqlite_agent_list(store *s, int64_t tenant_id, arena *a, store_agent **out,
                                   size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_list, err);
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

static sq_stmt sq_agent_depts_clear = SQ_STMT("DELETE FROM agent_departments WHERE agent_id = ?1");

static sq_stmt sq_agent_dept_add =
    SQ_STMT("INSERT OR IGNORE INTO agent_departments (agent_id, department_id) "
            "VALUES (?1, ?2)");

static sq_stmt sq_department_of_tenant =
    SQ_STMT("SELECT 1 FROM departments WHERE id = ?2 AND tenant_id = ?1");

/* Replaces agent id's departments with ag's, each checked to belong to the tenant. */
static int write_departments(store_sqlite_conn *c, int64_t agent_id, const store_agent *ag,
                             error *err)
{
    if (ag->n_departments && !ag->department_ids)
        return error_set(err, ERR_INVALID_ARG, "department", "department list missing");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_depts_clear, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, agent_id);
    if (store_sqlite_run_write(c, st, NULL, "agent_departments", err) != 0)
        return -1;
    for (size_t i = 0; i < ag->n_departments; i++) {
        st = store_sqlite_stmt(c, &sq_department_of_tenant, err);
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
        st = store_sqlite_stmt(c, &sq_agent_dept_add, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, agent_id);
        sqlite3_bind_int64(st, 2, ag->department_ids[i]);
        if (store_sqlite_run_write(c, st, NULL, "agent_departments", err) != 0)
            return -1;
    }
    return 0;
}

static sq_stmt sq_agent_insert =
    SQ_STMT("INSERT INTO agents (tenant_id, email, name, role, password_hash, "
            "totp_secret, totp_enabled, active, created_at, last_login_at) VALUES "
            "(?1, lower(?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");

static int store_sqlite_tx_agent_insert(store *s, const store_agent *ag, int64_t *id_out,
                                        error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!ag->email || !*ag->email)
        return error_set(err, ERR_MISSING_ARG, "email", "e-mail address is required");
    if (!ag->name || !*ag->name)
        return error_set(err, ERR_MISSING_ARG, "name", "name is required");
    if (!role_valid(ag->role))
        return error_set(err, ERR_INVALID_ARG, "role", "unknown role");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_insert, err);
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

static sq_stmt sq_agent_update =
    SQ_STMT("UPDATE agents SET name = ?3, role = ?4, password_hash = ?5, "
            "totp_secret = ?6, totp_enabled = ?7, active = ?8, last_login_at = ?9 "
            "WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_agent_update(store *s, const store_agent *ag, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!ag->name || !*ag->name)
        return error_set(err, ERR_MISSING_ARG, "name", "name is required");
    if (!role_valid(ag->role))
        return error_set(err, ERR_INVALID_ARG, "role", "unknown role");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_update, err);
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

const store_agents_ops store_sqlite_agents_ops = {
    .get = store_sqlite_agent_get,
    .find_email = store_sqlite_agent_find_email,
    .list = store_sqlite_agent_list,
    .tx_insert = store_sqlite_tx_agent_insert,
    .tx_update = store_sqlite_tx_agent_update,
};

/* ---- agents' new-request notices (table agent_notices) ---- */

static sq_stmt sq_notice_get =
    SQ_STMT("SELECT mode FROM agent_notices WHERE tenant_id = ?1 AND agent_id = ?2");

static int store_sqlite_notice_get(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                                   const char **mode, error *err)
{
    *mode = NULL;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_notice_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    return store_sqlite_read_text(c, st, a, mode, "agent_notice_get", err);
}

/* The agent's tenant is checked by the SELECT: no row is written for another's agent. */
static sq_stmt sq_notice_set =
    SQ_STMT("INSERT INTO agent_notices (agent_id, tenant_id, mode) SELECT id, tenant_id, ?3 "
            "FROM agents WHERE tenant_id = ?1 AND id = ?2 ON CONFLICT (agent_id) DO UPDATE SET "
            "mode = excluded.mode WHERE mode IS NOT excluded.mode");
static sq_stmt sq_notice_clear =
    SQ_STMT("DELETE FROM agent_notices WHERE tenant_id = ?1 AND agent_id = ?2");
static sq_stmt sq_agent_exists = SQ_STMT("SELECT id FROM agents WHERE tenant_id = ?1 AND id = ?2");

/* 0 when agent_id is an agent of tenant_id; -1 with ERR_NOT_FOUND otherwise (or the store's
 * error): the per-agent settings below are written only for an agent of the collectivité. */
static int agent_in_tenant(store_sqlite_conn *c, int64_t tenant_id, int64_t agent_id, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_agent_exists, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    int64_t id = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &id, &found, "agent_exists",
                              err) != 0)
        return -1;
    return found ? 0 : error_set(err, ERR_NOT_FOUND, "agent", "no such agent");
}

static int store_sqlite_tx_notice_set(store *s, int64_t tenant_id, int64_t agent_id,
                                      const char *mode, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (agent_in_tenant(c, tenant_id, agent_id, err) != 0)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, mode ? &sq_notice_set : &sq_notice_clear, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    if (mode)
        store_sqlite_bind_text(st, 3, mode);
    return store_sqlite_run_write(c, st, NULL, "agent_notice_set", err);
}

static int read_notice_count(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    store_agent_notice_count *n = p;
    n->tenant_id = sqlite3_column_int64(st, 0);
    n->immediate = sqlite3_column_int(st, 1);
    n->digest = sqlite3_column_int(st, 2);
    return 0;
}

static sq_stmt sq_notice_counts =
    SQ_STMT("SELECT tenant_id, sum(mode = 'immediate'), sum(mode = 'digest') FROM agent_notices "
            "GROUP BY tenant_id ORDER BY tenant_id");

static int store_sqlite_notice_counts(store *s, arena *a, store_agent_notice_count **out, size_t *n,
                                      error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_notice_counts, err);
    if (!st)
        return -1;
    return store_sqlite_read_all(c, st, read_notice_count, a, sizeof **out, (void **)out, n,
                                 "agent_notice_counts", err);
}

static sq_stmt sq_notice_watchers = SQ_STMT(
    "SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND active = 1 AND id "
    "IN (SELECT agent_id FROM agent_notices WHERE tenant_id = ?1 AND mode = ?2) ORDER BY id");

static int store_sqlite_notice_watchers(store *s, int64_t tenant_id, const char *mode, arena *a,
                                        store_agent **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_notice_watchers, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, mode);
    void *arr = NULL;
    size_t count = 0;
    if (store_sqlite_read_all(c, st, read_agent, a, sizeof(store_agent), &arr, &count,
                              "agent_notice_watchers", err) != 0 ||
        list_departments(c, tenant_id, arr, count, a, err) != 0)
        return -1;
    *out = arr;
    *n = count;
    return 0;
}

static int read_new_request(sqlite3_stmt *st, arena *a, void *p)
{
    store_new_request *r = p;
    int oom = 0;
    r->id = sqlite3_column_int64(st, 0);
    r->reference = store_sqlite_col_text(st, 1, a, &oom);
    r->procedure_id = sqlite3_column_int64(st, 2);
    r->department_id = sqlite3_column_int64(st, 3);
    r->channel = store_sqlite_col_text(st, 4, a, &oom);
    r->created_at = sqlite3_column_int64(st, 5);
    return oom ? -1 : 0;
}

/* Walks requests_created (tenant_id, created_at DESC, id DESC) over the window. Merged
 * requests are left out: the request they joined is the one to read. */
static sq_stmt sq_new_requests =
    SQ_STMT("SELECT id, reference, procedure_id, department_id, channel, created_at FROM requests "
            "WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND merged_into IS NULL "
            "ORDER BY created_at, id LIMIT ?4");

static int store_sqlite_new_requests(store *s, int64_t tenant_id, int64_t from, int64_t to,
                                     size_t limit, arena *a, store_new_request **out, size_t *n,
                                     int *more, error *err)
{
    *out = NULL;
    *n = 0;
    *more = 0;
    if (limit == 0 || limit > 100000)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be 1 to 100000");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_new_requests, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
    if (store_sqlite_read_all(c, st, read_new_request, a, sizeof **out, (void **)out, n,
                              "new_requests", err) != 0)
        return -1;
    if (*n > limit) {
        *n = limit;
        *more = 1;
    }
    return 0;
}

/* ---- the weekly digest ---- */

static sq_stmt sq_weekly_get =
    SQ_STMT("SELECT agent_id FROM agent_weekly_digest WHERE tenant_id = ?1 AND agent_id = ?2");

static int store_sqlite_weekly_get(store *s, int64_t tenant_id, int64_t agent_id, int *on,
                                   error *err)
{
    *on = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_weekly_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    int64_t id = 0;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &id, on, "weekly_get", err);
}

/* The agent's tenant is checked by the SELECT, as for the notices. */
static sq_stmt sq_weekly_set =
    SQ_STMT("INSERT INTO agent_weekly_digest (agent_id, tenant_id) SELECT id, tenant_id FROM "
            "agents WHERE tenant_id = ?1 AND id = ?2 ON CONFLICT (agent_id) DO NOTHING");
static sq_stmt sq_weekly_clear =
    SQ_STMT("DELETE FROM agent_weekly_digest WHERE tenant_id = ?1 AND agent_id = ?2");

static int store_sqlite_tx_weekly_set(store *s, int64_t tenant_id, int64_t agent_id, int on,
                                      error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (agent_in_tenant(c, tenant_id, agent_id, err) != 0)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, on ? &sq_weekly_set : &sq_weekly_clear, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    return store_sqlite_run_write(c, st, NULL, "weekly_set", err);
}

static sq_stmt sq_weekly_recipients =
    SQ_STMT("SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND active = 1 AND id "
            "IN (SELECT agent_id FROM agent_weekly_digest WHERE tenant_id = ?1) ORDER BY id");

static int store_sqlite_weekly_recipients(store *s, int64_t tenant_id, arena *a, store_agent **out,
                                          size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_weekly_recipients, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    size_t count = 0;
    if (store_sqlite_read_all(c, st, read_agent, a, sizeof(store_agent), &arr, &count,
                              "weekly_recipients", err) != 0 ||
        list_departments(c, tenant_id, arr, count, a, err) != 0)
        return -1;
    *out = arr;
    *n = count;
    return 0;
}

static int read_week(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    store_department_week *w = p;
    w->department_id = sqlite3_column_int64(st, 0);
    w->created = sqlite3_column_int64(st, 1);
    w->closed = sqlite3_column_int64(st, 2);
    w->open = sqlite3_column_int64(st, 3);
    w->late = sqlite3_column_int64(st, 4);
    return 0;
}

/* Three walks, each on an index of its own: the window's new requests (requests_created), the
 * requests changed since the window opened (requests_updated: a request closed in the window
 * was updated then), and the open requests (requests_due, partial on closed_at IS NULL,
 * covering department and due date). */
static sq_stmt sq_week_figures =
    SQ_STMT("SELECT department_id, sum(c), sum(k), sum(o), sum(l) FROM ("
            " SELECT coalesce(department_id, 0) AS department_id, 1 AS c, 0 AS k, 0 AS o, 0 AS l"
            "  FROM requests WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3"
            "  AND merged_into IS NULL"
            " UNION ALL SELECT coalesce(department_id, 0), 0, 1, 0, 0 FROM requests"
            "  WHERE tenant_id = ?1 AND updated_at >= ?2 AND closed_at >= ?2 AND closed_at < ?3"
            " UNION ALL SELECT coalesce(department_id, 0), 0, 0, 1, due_at < ?4 FROM requests"
            "  INDEXED BY requests_due WHERE tenant_id = ?1 AND closed_at IS NULL"
            ") GROUP BY department_id ORDER BY department_id");

static int store_sqlite_week_figures(store *s, int64_t tenant_id, int64_t from, int64_t to,
                                     int64_t now, arena *a, store_department_week **out, size_t *n,
                                     error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_week_figures, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, now);
    return store_sqlite_read_all(c, st, read_week, a, sizeof **out, (void **)out, n, "week_figures",
                                 err);
}

const store_agent_notices_ops store_sqlite_agent_notices_ops = {
    .get = store_sqlite_notice_get,
    .tx_set = store_sqlite_tx_notice_set,
    .counts = store_sqlite_notice_counts,
    .watchers = store_sqlite_notice_watchers,
    .new_requests = store_sqlite_new_requests,
    .weekly_get = store_sqlite_weekly_get,
    .tx_weekly_set = store_sqlite_tx_weekly_set,
    .weekly_recipients = store_sqlite_weekly_recipients,
    .week_figures = store_sqlite_week_figures,
};

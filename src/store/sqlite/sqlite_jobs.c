/*
 * sqlite_jobs — persistent jobs (jobs): scheduling (idempotent on the job's key),
 * cancelling, the scheduler's due list and the outcome of a run; the collectivité's
 * due-date warning setting (a column of tenant_branding); webhook subscriptions (webhooks).
 */
#include "store/sqlite/sq.h"

#include <string.h>

#define SQ_JOB_COLUMNS                                                                             \
    "id, tenant_id, request_id, kind, ukey, due_at, payload, state, attempts, last_error, "        \
    "created_at, done_at"

static int read_job(sqlite3_stmt *st, arena *a, void *p)
{
    store_job_row *j = p;
    int oom = 0;
    memset(j, 0, sizeof *j);
    j->id = sqlite3_column_int64(st, 0);
    j->tenant_id = sqlite3_column_int64(st, 1);
    j->request_id = sqlite3_column_int64(st, 2);
    j->kind = store_sqlite_col_text(st, 3, a, &oom);
    j->ukey = store_sqlite_col_text(st, 4, a, &oom);
    j->due_at = sqlite3_column_int64(st, 5);
    j->payload = store_sqlite_col_text(st, 6, a, &oom);
    j->state = store_sqlite_col_text(st, 7, a, &oom);
    j->attempts = sqlite3_column_int(st, 8);
    j->last_error = store_sqlite_col_text(st, 9, a, &oom);
    j->created_at = sqlite3_column_int64(st, 10);
    j->done_at = sqlite3_column_int64(st, 11);
    return oom ? -1 : 0;
}

/* A job already there keeps its state, unless it was cancelled: the same cause coming back
 * (a request reopened) schedules it again. The update always happens so that RETURNING
 * gives the row's id. */
static sq_stmt sq_job_schedule =
    SQ_STMT("INSERT INTO jobs (tenant_id, request_id, kind, ukey, due_at, payload, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, '{}'), ?7) "
            "ON CONFLICT (tenant_id, kind, coalesce(request_id, 0), ukey) DO UPDATE SET "
            "due_at = CASE WHEN state = 'cancelled' THEN excluded.due_at ELSE due_at END, "
            "payload = CASE WHEN state = 'cancelled' THEN excluded.payload ELSE payload END, "
            "attempts = CASE WHEN state = 'cancelled' THEN 0 ELSE attempts END, "
            "done_at = CASE WHEN state = 'cancelled' THEN NULL ELSE done_at END, "
            "state = CASE WHEN state = 'cancelled' THEN 'pending' ELSE state END "
            "RETURNING id");

static int store_sqlite_tx_job_schedule(store *s, const store_job_row *j, int64_t *id_out,
                                        error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!j->kind || !*j->kind)
        return error_set(err, ERR_MISSING_ARG, "kind", "a job needs a kind");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_schedule, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, j->tenant_id);
    store_sqlite_bind_id(st, 2, j->request_id);
    store_sqlite_bind_text(st, 3, j->kind);
    store_sqlite_bind_text(st, 4, j->ukey ? j->ukey : "");
    sqlite3_bind_int64(st, 5, j->due_at);
    store_sqlite_bind_text(st, 6, j->payload);
    sqlite3_bind_int64(st, 7, store_sqlite_now_or(j->created_at));
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "job_schedule", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_job_cancel =
    SQ_STMT("UPDATE jobs SET state = 'cancelled', done_at = ?4 WHERE request_id = ?2 AND "
            "kind = ?3 AND tenant_id = ?1 AND state = 'pending'");

static int store_sqlite_tx_job_cancel(store *s, int64_t tenant_id, int64_t request_id,
                                      const char *kind, int64_t now, int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_cancel, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, kind);
    sqlite3_bind_int64(st, 4, now);
    if (store_sqlite_run_write(c, st, NULL, "job_cancel", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

/* Walks the index jobs_due (state, due_at). */
static sq_stmt sq_job_due = SQ_STMT("SELECT " SQ_JOB_COLUMNS " FROM jobs WHERE state = "
                                    "'pending' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2");

static int store_sqlite_jobs_due(store *s, int64_t now, size_t limit, arena *a, store_job_row **out,
                                 size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    return store_sqlite_read_all(c, st, read_job, a, sizeof **out, (void **)out, n, "jobs_due",
                                 err);
}

static sq_stmt sq_job_next =
    SQ_STMT("SELECT due_at FROM jobs WHERE state = 'pending' ORDER BY due_at LIMIT 1");

static int store_sqlite_jobs_next_due(store *s, int64_t *due_at, int *found, error *err)
{
    *due_at = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_next, err);
    if (!st)
        return -1;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, due_at, found,
                                 "jobs_next_due", err);
}

static sq_stmt sq_job_get = SQ_STMT("SELECT " SQ_JOB_COLUMNS " FROM jobs WHERE id = ?1");

static int store_sqlite_job_get(store *s, int64_t id, arena *a, store_job_row *out, int *found,
                                error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return store_sqlite_read_one(c, st, read_job, a, out, found, "job_get", err);
}

static sq_stmt sq_job_update =
    SQ_STMT("UPDATE jobs SET state = ?2, attempts = ?3, due_at = ?4, last_error = ?5, "
            "done_at = ?6 WHERE id = ?1");

static int store_sqlite_tx_job_update(store *s, const store_job_row *j, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, j->id);
    store_sqlite_bind_text(st, 2, j->state);
    sqlite3_bind_int(st, 3, j->attempts);
    sqlite3_bind_int64(st, 4, j->due_at);
    store_sqlite_bind_text(st, 5, j->last_error);
    store_sqlite_bind_id(st, 6, j->done_at);
    return store_sqlite_run_update(c, st, "job_update", "job", err);
}

static sq_stmt sq_job_requeue =
    SQ_STMT("UPDATE jobs SET state = 'pending' WHERE state = 'running'");

static int store_sqlite_tx_jobs_requeue(store *s, int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (store_sqlite_exec_stmt(c, &sq_job_requeue, "jobs_requeue", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

static sq_stmt sq_job_list = SQ_STMT("SELECT " SQ_JOB_COLUMNS " FROM jobs WHERE tenant_id = ?1 "
                                     "AND kind = ?2 ORDER BY id DESC LIMIT ?3");

static int store_sqlite_jobs_list(store *s, int64_t tenant_id, const char *kind, size_t limit,
                                  arena *a, store_job_row **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_job_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, kind);
    sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    return store_sqlite_read_all(c, st, read_job, a, sizeof **out, (void **)out, n, "jobs_list",
                                 err);
}

static sq_stmt sq_due_warning_get = SQ_STMT(
    "SELECT coalesce((SELECT due_warning_days FROM tenant_branding WHERE tenant_id = ?1), -1)");

static int store_sqlite_due_warning_days(store *s, int64_t tenant_id, int *days, error *err)
{
    *days = -1;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_due_warning_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t v = -1;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found, "due_warning_get",
                              err) != 0)
        return -1;
    *days = found ? (int)v : -1;
    return 0;
}

static sq_stmt sq_due_warning_set =
    SQ_STMT("INSERT INTO tenant_branding (tenant_id, due_warning_days, updated_at) VALUES (?1, "
            "?2, unixepoch()) ON CONFLICT (tenant_id) DO UPDATE SET due_warning_days = "
            "excluded.due_warning_days, updated_at = excluded.updated_at");

static int store_sqlite_tx_set_due_warning_days(store *s, int64_t tenant_id, int days, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_due_warning_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int(st, 2, days);
    return store_sqlite_run_write(c, st, NULL, "due_warning_set", err);
}

#define SQ_WEBHOOK_COLUMNS "id, tenant_id, url, events, secret, active, created_at"

int store_sqlite_read_webhook(sqlite3_stmt *st, arena *a, void *p)
{
    store_webhook *w = p;
    int oom = 0;
    memset(w, 0, sizeof *w);
    w->id = sqlite3_column_int64(st, 0);
    w->tenant_id = sqlite3_column_int64(st, 1);
    w->url = store_sqlite_col_text(st, 2, a, &oom);
    w->events = store_sqlite_col_text(st, 3, a, &oom);
    w->secret = store_sqlite_col_text(st, 4, a, &oom);
    w->active = sqlite3_column_int(st, 5);
    w->created_at = sqlite3_column_int64(st, 6);
    return oom ? -1 : 0;
}

static sq_stmt sq_webhooks =
    SQ_STMT("SELECT " SQ_WEBHOOK_COLUMNS " FROM webhooks WHERE tenant_id = ?1 ORDER BY id");

static int store_sqlite_webhooks(store *s, int64_t tenant_id, arena *a, store_webhook **out,
                                 size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_webhooks, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, store_sqlite_read_webhook, a, sizeof **out, (void **)out, n,
                                 "webhooks", err);
}

static sq_stmt sq_webhook_get =
    SQ_STMT("SELECT " SQ_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?2 AND tenant_id = ?1");

static int store_sqlite_webhook_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                    store_webhook *out, int *found, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_webhook_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, store_sqlite_read_webhook, a, out, found, "webhook_get",
                                 err);
}

static sq_stmt sq_webhook_insert =
    SQ_STMT("INSERT INTO webhooks (tenant_id, url, events, secret, active, created_at) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
static sq_stmt sq_webhook_update =
    SQ_STMT("UPDATE webhooks SET url = ?3, events = ?4, secret = ?5, active = ?6 WHERE id = ?2 "
            "AND tenant_id = ?1");

static int store_sqlite_tx_webhook_put(store *s, const store_webhook *w, int64_t *id_out,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, w->id ? &sq_webhook_update : &sq_webhook_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, w->tenant_id);
    if (w->id) {
        sqlite3_bind_int64(st, 2, w->id);
        store_sqlite_bind_text(st, 3, w->url);
        store_sqlite_bind_text(st, 4, w->events);
        store_sqlite_bind_text(st, 5, w->secret);
        sqlite3_bind_int(st, 6, w->active ? 1 : 0);
        if (id_out)
            *id_out = w->id;
        return store_sqlite_run_update(c, st, "webhook_update", "webhook", err);
    }
    store_sqlite_bind_text(st, 2, w->url);
    store_sqlite_bind_text(st, 3, w->events);
    store_sqlite_bind_text(st, 4, w->secret);
    sqlite3_bind_int(st, 5, w->active ? 1 : 0);
    sqlite3_bind_int64(st, 6, store_sqlite_now_or(w->created_at));
    return store_sqlite_run_write(c, st, id_out, "webhook_insert", err);
}

static sq_stmt sq_procedure_code = SQ_STMT("SELECT code FROM procedures WHERE id = ?1");

static int store_sqlite_procedure_code(store *s, int64_t id, arena *a, const char **code,
                                       error *err)
{
    *code = NULL;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_procedure_code, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return store_sqlite_read_text(c, st, a, code, "procedure_code", err);
}

static sq_stmt sq_status_timeouts = SQ_STMT(
    "SELECT " SQ_TIMEOUT_COLUMNS " FROM workflow_timeouts WHERE status_code = ?3 AND workflow_id "
    "= (SELECT workflow_id FROM procedures WHERE id = ?2 AND tenant_id = ?1) ORDER BY position, "
    "id");
static sq_stmt sq_tenant_calendar =
    SQ_STMT("SELECT t.timezone, coalesce(b.holidays, 0) FROM tenants t LEFT JOIN tenant_branding "
            "b ON b.tenant_id = t.id WHERE t.id = ?1");

typedef struct calendar_row {
    const char *tz;
    int holidays;
} calendar_row;

static int read_calendar(sqlite3_stmt *st, arena *a, void *p)
{
    calendar_row *r = p;
    int oom = 0;
    r->tz = store_sqlite_col_text(st, 0, a, &oom);
    r->holidays = sqlite3_column_int(st, 1);
    return oom ? -1 : 0;
}

static int store_sqlite_status_timeouts(store *s, int64_t tenant_id, int64_t procedure_id,
                                        const char *status, arena *a, store_workflow_timeout **out,
                                        size_t *n, const char **tz, int *holidays, error *err)
{
    *out = NULL;
    *n = 0;
    *tz = NULL;
    *holidays = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_status_timeouts, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, procedure_id);
    store_sqlite_bind_text(st, 3, status);
    if (store_sqlite_read_all(c, st, store_sqlite_read_workflow_timeout, a, sizeof **out,
                              (void **)out, n, "status_timeouts", err) != 0)
        return -1;
    if (!*n)
        return 0;
    if (!(st = store_sqlite_stmt(c, &sq_tenant_calendar, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    calendar_row cal = {0};
    int found = 0;
    if (store_sqlite_read_one(c, st, read_calendar, a, &cal, &found, "tenant_calendar", err) != 0)
        return -1;
    *tz = cal.tz;
    *holidays = cal.holidays;
    return 0;
}

static sq_stmt sq_request_pending = SQ_STMT(
    "SELECT " SQ_JOB_COLUMNS " FROM jobs WHERE request_id = ?2 AND kind = ?3 AND tenant_id = ?1 "
    "AND state = 'pending' ORDER BY due_at, id LIMIT ?4");

static int store_sqlite_request_pending(store *s, int64_t tenant_id, int64_t request_id,
                                        const char *kind, size_t limit, arena *a,
                                        store_job_row **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_pending, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, kind);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    return store_sqlite_read_all(c, st, read_job, a, sizeof **out, (void **)out, n,
                                 "request_pending", err);
}

static sq_stmt sq_workflow_pending =
    SQ_STMT("SELECT " SQ_JOB_COLUMNS " FROM jobs WHERE tenant_id = ?1 AND kind = ?3 AND state = "
            "'pending' AND request_id IN (SELECT r.id FROM requests r JOIN procedures p ON p.id = "
            "r.procedure_id WHERE p.workflow_id = ?2 AND r.tenant_id = ?1) ORDER BY id");

static int store_sqlite_workflow_pending(store *s, int64_t tenant_id, int64_t workflow_id,
                                         const char *kind, arena *a, store_job_row **out, size_t *n,
                                         error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_workflow_pending, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, workflow_id);
    store_sqlite_bind_text(st, 3, kind);
    return store_sqlite_read_all(c, st, read_job, a, sizeof **out, (void **)out, n,
                                 "workflow_pending", err);
}

static sq_stmt sq_status_entered =
    SQ_STMT("SELECT coalesce(max(created_at), 0) FROM request_events WHERE request_id = ?1 AND "
            "status_to IS NOT NULL");

static int store_sqlite_status_entered_at(store *s, int64_t request_id, int64_t *at, error *err)
{
    *at = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_status_entered, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, request_id);
    int found = 0;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, at, &found, "status_entered",
                                 err);
}

const store_jobs_ops store_sqlite_jobs_ops = {
    .tx_schedule = store_sqlite_tx_job_schedule,
    .tx_cancel = store_sqlite_tx_job_cancel,
    .due = store_sqlite_jobs_due,
    .next_due = store_sqlite_jobs_next_due,
    .get = store_sqlite_job_get,
    .tx_update = store_sqlite_tx_job_update,
    .tx_requeue_running = store_sqlite_tx_jobs_requeue,
    .list = store_sqlite_jobs_list,
    .due_warning_days = store_sqlite_due_warning_days,
    .tx_set_due_warning_days = store_sqlite_tx_set_due_warning_days,
    .webhooks = store_sqlite_webhooks,
    .webhook_get = store_sqlite_webhook_get,
    .tx_webhook_put = store_sqlite_tx_webhook_put,
    .procedure_code = store_sqlite_procedure_code,
    .status_timeouts = store_sqlite_status_timeouts,
    .status_entered_at = store_sqlite_status_entered_at,
    .request_pending = store_sqlite_request_pending,
    .workflow_pending = store_sqlite_workflow_pending,
};

/*
 * jobs — scheduling, cancelling and running persistent jobs (see jobs.h). A run is one or
 * three write jobs: exactly-once kinds run their handler inside the job that marks them
 * done; at-least-once kinds are claimed (running), run outside any transaction, then their
 * outcome is recorded. A failed attempt is recorded in a job of its own, since the
 * handler's savepoint undid the attempt's writes.
 */
#include "core/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/core_op.h"
#include "store/store.h"
#include "util/log.h"

/* The earliest due time scheduled by the write jobs this writer thread ran since the last
 * outcome it reported (0: none): rung after the commit, never before, so that the scheduler
 * sees the rows when it looks. */
static _Thread_local int64_t wake_hint;

int jobs_register(core *c, const job_handler *h, error *err)
{
    if (!h || !h->kind || !*h->kind || strlen(h->kind) >= JOBS_KIND_MAX ||
        (!h->run_tx == !h->run) || h->max_attempts < 1 || h->retry_base_s < 1 ||
        h->retry_max_s < h->retry_base_s)
        return error_set(err, ERR_INVALID_ARG, "kind", "incomplete job handler");
    if (jobs_handler(c, h->kind))
        return error_set(err, ERR_CONFLICT, "kind", "job kind %s registered twice", h->kind);
    if (c->n_job_handlers >= JOBS_MAX_HANDLERS ||
        c->n_job_handlers >= sizeof c->job_handlers / sizeof c->job_handlers[0])
        return error_set(err, ERR_INVALID_ARG, "kind", "too many job kinds");
    c->job_handlers[c->n_job_handlers++] = h;
    return 0;
}

const job_handler *jobs_handler(const core *c, const char *kind)
{
    for (size_t i = 0; kind && i < c->n_job_handlers; i++)
        if (strcmp(c->job_handlers[i]->kind, kind) == 0)
            return c->job_handlers[i];
    return NULL;
}

int jobs_schedule_tx(store *s, int64_t tenant_id, int64_t request_id, const char *kind,
                     const char *key, int64_t due_at, json_t *payload, int64_t *id_out, error *err)
{
    if (!kind || strlen(kind) >= JOBS_KIND_MAX || (key && strlen(key) >= JOBS_KEY_MAX))
        return error_set(err, ERR_INVALID_ARG, "kind", "job kind or key too long");
    char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (payload && !text)
        return error_set(err, ERR_INTERNAL, NULL, "cannot serialise a job's payload");
    store_job_row j = {.tenant_id = tenant_id,
                       .request_id = request_id,
                       .kind = kind,
                       .ukey = key ? key : "",
                       .due_at = due_at,
                       .payload = text};
    int rc = s->ops->jobs.tx_schedule(s, &j, id_out, err);
    free(text);
    if (rc == 0 && (!wake_hint || due_at < wake_hint))
        wake_hint = due_at > 0 ? due_at : 1;
    return rc;
}

int jobs_cancel_tx(store *s, int64_t tenant_id, int64_t request_id, const char *kind, int64_t now,
                   error *err)
{
    return s->ops->jobs.tx_cancel(s, tenant_id, request_id, kind, now, NULL, err);
}

int jobs_finish_tx(store *s, int64_t id, int64_t now, int *claimed, error *err)
{
    *claimed = 0;
    arena a;
    arena_init(&a, 0);
    store_job_row row;
    int found = 0;
    int rc = s->ops->jobs.get(s, id, &a, &row, &found, err);
    if (rc == 0 && found && strcmp(row.state, "running") == 0) {
        row.state = "done";
        row.attempts++;
        row.last_error = NULL;
        row.done_at = now;
        rc = s->ops->jobs.tx_update(s, &row, err);
        *claimed = rc == 0;
    }
    arena_free(&a);
    return rc;
}

void jobs_set_waker(core *c, void (*wake)(void *ctx, int64_t due_at), void *ctx)
{
    pthread_mutex_lock(&c->jobs_lock);
    c->jobs_wake = wake;
    c->jobs_wake_ctx = ctx;
    pthread_mutex_unlock(&c->jobs_lock);
}

void jobs_after_commit(core *c)
{
    int64_t due = wake_hint;
    if (!due)
        return;
    wake_hint = 0;
    pthread_mutex_lock(&c->jobs_lock);
    if (c->jobs_wake)
        c->jobs_wake(c->jobs_wake_ctx, due);
    pthread_mutex_unlock(&c->jobs_lock);
}

int64_t jobs_backoff(const core *c, const job_handler *h, int attempts)
{
    int64_t d = h->retry_base_of ? h->retry_base_of(c) : h->retry_base_s;
    if (d < 1)
        d = 1;
    for (int i = 1; i < attempts && d < h->retry_max_s; i++)
        d *= 2;
    return d < h->retry_max_s ? d : h->retry_max_s;
}

/* ---- one run ---- */

typedef enum run_step {
    STEP_EXACTLY_ONCE, /* read, run the handler, mark done: one transaction */
    STEP_CLAIM,        /* pending -> running */
    STEP_RECORD,       /* the outcome of an at-least-once run, or a failed attempt */
} run_step;

typedef struct run_job {
    core_op op;
    core *core;
    const cat_tenant *tenant;
    const job_handler *h;
    run_step step;
    int64_t id;
    int64_t now;
    store_job_row row; /* what the transaction read (strings in op.a) */
    /* STEP_RECORD: the attempt's outcome */
    int ok;
    const char *error; /* in op.a */
    int event_public, no_event;
    const char *cancelled_why; /* static */
    /* Set by the apply: */
    int skipped; /* not pending or not due any more (cancelled, rescheduled) */
    int final;   /* STEP_RECORD of a failure: given up */
    int *skipped_out;
} run_job;

/* The timeline's note of a run: event "job", its body the kind, "_failed" after it when
 * given up. Written by "system": no person acted. */
static int add_event(store *s, const run_job *j, int failed, int is_public, error *err)
{
    if (!j->row.request_id)
        return 0;
    char body[JOBS_KIND_MAX + 8];
    snprintf(body, sizeof body, "%s%s", j->row.kind, failed ? "_failed" : "");
    store_event e = {.tenant_id = j->row.tenant_id,
                     .request_id = j->row.request_id,
                     .created_at = j->now,
                     .kind = "job",
                     .is_public = is_public,
                     .actor = "system",
                     .body = body};
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

/* Reads the job in the transaction; 1 when it is still what the run expects. */
static int still_due(store *s, run_job *j, const char *state, error *err)
{
    int found = 0;
    if (s->ops->jobs.get(s, j->id, &j->op.a, &j->row, &found, err) != 0)
        return -1;
    if (!found || strcmp(j->row.state, state) != 0 || j->row.due_at > j->now) {
        j->skipped = 1;
        return 0;
    }
    return 1;
}

static int run_apply(store *s, core_op *op, error *err)
{
    run_job *j = (run_job *)op;
    int due = still_due(s, j, j->step == STEP_RECORD && j->h->run ? "running" : "pending", err);
    if (due <= 0)
        return due;
    switch (j->step) {
    case STEP_EXACTLY_ONCE: {
        job_run r = {
            .core = j->core, .tenant = j->tenant, .job = &j->row, .now = j->now, .a = &op->a};
        if (j->h->run_tx(s, &r, err) != 0)
            return -1;
        j->row.state = r.cancelled_why ? "cancelled" : "done";
        j->row.attempts++;
        j->row.last_error = r.cancelled_why;
        j->row.done_at = j->now;
        if (s->ops->jobs.tx_update(s, &j->row, err) != 0)
            return -1;
        return r.no_event ? 0 : add_event(s, j, 0, r.event_public, err);
    }
    case STEP_CLAIM:
        j->row.state = "running";
        return s->ops->jobs.tx_update(s, &j->row, err);
    case STEP_RECORD:
        j->row.attempts++;
        if (j->ok) {
            j->row.state = j->cancelled_why ? "cancelled" : "done";
            j->row.last_error = j->cancelled_why;
            j->row.done_at = j->now;
        } else {
            j->final = j->row.attempts >= j->h->max_attempts;
            j->row.state = j->final ? "failed" : "pending";
            j->row.last_error = j->error;
            j->row.done_at = j->final ? j->now : 0;
            if (!j->final)
                j->row.due_at = j->now + jobs_backoff(j->core, j->h, j->row.attempts);
        }
        if (s->ops->jobs.tx_update(s, &j->row, err) != 0)
            return -1;
        if ((j->ok && !j->no_event) || j->final)
            return add_event(s, j, !j->ok, j->ok && j->event_public, err);
        return 0;
    }
    return error_set(err, ERR_INTERNAL, NULL, "unknown job step");
}

static void run_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    run_job *j = (run_job *)op;
    if (*rc == 0 && j->skipped_out)
        *j->skipped_out = j->skipped;
}

/* Runs one step of job row's run and waits for it: 0 (*skipped 1 when the job was no longer
 * due: cancelled or rescheduled meanwhile), or -1 with err. For STEP_RECORD, failure NULL
 * is a success and said carries what the handler asked of the timeline. */
static int run_step_wait(core *c, const cat_tenant *t, const job_handler *h,
                         const store_job_row *row, int64_t now, run_step step, const job_run *said,
                         const error *failure, int *skipped, error *err)
{
    run_job *j = core_op_new(sizeof *j, run_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    *skipped = 0;
    j->op.finish = run_finish;
    j->skipped_out = skipped;
    j->core = c;
    j->tenant = t;
    j->h = h;
    j->step = step;
    j->id = row->id;
    j->now = now;
    if (step == STEP_RECORD) {
        j->ok = failure == NULL;
        j->error = failure ? arena_strdup(&j->op.a, failure->detail[0] ? failure->detail
                                                                       : err_name(failure->code))
                           : NULL;
        j->event_public = said ? said->event_public : 0;
        j->no_event = said ? said->no_event : 0;
        j->cancelled_why = said ? said->cancelled_why : NULL;
        if (failure && !j->error) {
            core_op_free(j);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
    }
    return core_op_submit(c, j, NULL, NULL, err);
}

/* The outcome of a handler's failure, kept in a job of its own. */
static void record_failure(core *c, const cat_tenant *t, const job_handler *h,
                           const store_job_row *row, int64_t now, const error *failure,
                           jobs_report *rep)
{
    error err = {0};
    int skipped = 0;
    if (run_step_wait(c, t, h, row, now, STEP_RECORD, NULL, failure, &skipped, &err) != 0) {
        log_error("jobs: job %lld (%s): its failure could not be recorded: %s", (long long)row->id,
                  row->kind, err.detail);
        return;
    }
    if (skipped)
        rep->skipped++;
    else
        rep->retried++;
}

static void run_one(core *c, const cat_tenant *t, const store_job_row *row, int64_t now,
                    jobs_report *rep)
{
    const job_handler *h = jobs_handler(c, row->kind);
    error err = {0};
    if (!h) {
        /* A kind this binary does not know (written by a newer version): left pending for
         * the binary that does, and said once per pass. */
        log_warn("jobs: job %lld has an unknown kind %s: left pending", (long long)row->id,
                 row->kind);
        rep->skipped++;
        return;
    }
    int skipped = 0;
    if (h->run_tx) {
        if (run_step_wait(c, t, h, row, now, STEP_EXACTLY_ONCE, NULL, NULL, &skipped, &err) == 0) {
            if (skipped)
                rep->skipped++;
            else
                rep->done++;
            return;
        }
        log_warn("jobs: job %lld (%s) failed: %s", (long long)row->id, row->kind, err.detail);
        record_failure(c, t, h, row, now, &err, rep);
        return;
    }
    if (run_step_wait(c, t, h, row, now, STEP_CLAIM, NULL, NULL, &skipped, &err) != 0) {
        log_error("jobs: job %lld (%s) could not be claimed: %s", (long long)row->id, row->kind,
                  err.detail);
        return;
    }
    if (skipped) {
        rep->skipped++;
        return;
    }
    arena a;
    arena_init(&a, 0);
    job_run r = {.core = c, .tenant = t, .job = row, .now = now, .a = &a};
    error failure = {0};
    int ok = h->run(&r, &failure) == 0;
    if (!ok)
        log_warn("jobs: job %lld (%s) attempt %d failed: %s", (long long)row->id, row->kind,
                 row->attempts + 1, failure.detail);
    if (run_step_wait(c, t, h, row, now, STEP_RECORD, &r, ok ? NULL : &failure, &skipped, &err) !=
        0)
        log_error("jobs: job %lld (%s): its outcome could not be recorded (it stays running "
                  "until the next start-up): %s",
                  (long long)row->id, row->kind, err.detail);
    else if (ok)
        rep->done++;
    else
        rep->retried++;
    arena_free(&a);
}

int jobs_run_due(core *c, int64_t now, size_t limit, int (*stop)(void *), void *stop_ctx,
                 jobs_report *rep, error *err)
{
    if (limit == 0 || limit > JOBS_BATCH_MAX)
        limit = JOBS_BATCH_MAX;
    arena a;
    arena_init(&a, 0);
    store_job_row *rows = NULL;
    size_t n = 0;
    int rc = c->store->ops->jobs.due(c->store, now, limit, &a, &rows, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (stop && stop(stop_ctx))
            break;
        const catalogue *cat = catalogue_acquire(c);
        run_one(c, catalogue_tenant_by_id(cat, rows[i].tenant_id), &rows[i], now, rep);
        catalogue_release(c, cat);
    }
    arena_free(&a);
    return rc;
}

static int requeue_apply(store *s, void *arg, error *err)
{
    return s->ops->jobs.tx_requeue_running(s, arg, err);
}

int jobs_recover(core *c, error *err)
{
    int64_t n = 0;
    if (store_write_sync(c->store, requeue_apply, &n, err) != 0)
        return -1;
    if (n)
        log_info("jobs: %lld job(s) cut by the last stop are pending again", (long long)n);
    return 0;
}

int jobs_next_due(core *c, int64_t *due_at, int *found, error *err)
{
    return c->store->ops->jobs.next_due(c->store, due_at, found, err);
}

int jobs_list(core *c, int64_t tenant_id, const char *kind, size_t limit, arena *a,
              store_job_row **out, size_t *n, error *err)
{
    return c->store->ops->jobs.list(c->store, tenant_id, kind, limit, a, out, n, err);
}

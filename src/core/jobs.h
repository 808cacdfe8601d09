/*
 * jobs — persistent jobs: work to do at a given time that survives restarts (a due-date
 * warning, a webhook delivery, tomorrow the workflow engine's timeouts and reminders). A
 * core module schedules a job inside its own write job (jobs_schedule_tx), so that the job
 * exists exactly when the change that causes it does; the scheduler (workers/scheduler.c)
 * runs the due ones through jobs_run_due. Each kind has one handler, registered on core:
 * an exactly-once handler runs inside the write transaction that marks its job done, so
 * that a crash leaves both or neither; an at-least-once handler (network) runs outside any
 * transaction, between a claim and the record of its outcome. A run shows on its request's
 * timeline (event "job", its body the kind).
 */
#ifndef GUICHET_CORE_JOBS_H
#define GUICHET_CORE_JOBS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define JOBS_KIND_MAX 32     /* bytes of a kind's name */
#define JOBS_KEY_MAX 128     /* bytes of a job's unique key */
#define JOBS_MAX_HANDLERS 16 /* kinds one core can run */
#define JOBS_BATCH_MAX 100   /* jobs one pass of the scheduler runs at most */

/* One run of one job, as its handler sees it. */
typedef struct job_run {
    core *core;
    /* The job's collectivité in the catalogue the runner holds for the run (never reload
     * the catalogue inside a write transaction); NULL when it is not there any more. */
    const struct cat_tenant *tenant;
    const store_job_row *job; /* as read in the run's transaction (exactly once) or claimed */
    int64_t now;              /* the runner's clock */
    arena *a;                 /* for whatever the handler reads; freed after the run */
    /* Set by the handler: */
    int event_public; /* 1: the timeline event is shown to the citizen too */
    int no_event;     /* 1: nothing to tell (the cause had gone: a request closed meanwhile) */
    /* Set when the job did not do its work because what asked for it has gone (a webhook
     * subscription switched off): the job ends "cancelled", not "done", with this reason
     * (English, no personal data, static) as its last_error, so that lists do not show as
     * done work that was not. */
    const char *cancelled_why;
} job_run;

typedef struct job_handler {
    const char *kind;
    /* Exactly once: runs inside the write job that marks the job done; -1 with err undoes
     * what it wrote and counts a failed attempt. */
    int (*run_tx)(store *s, job_run *r, error *err);
    /* At least once (run_tx NULL): runs outside any transaction; 0 done, -1 with err (no
     * personal data: it is kept as the job's last_error) tried again later. */
    int (*run)(job_run *r, error *err);
    int max_attempts;     /* after that many failed attempts the job is failed (>= 1) */
    int64_t retry_base_s; /* the first retry waits this long, each next one twice as long */
    int64_t retry_max_s;  /* and never longer than this */
    /* When set, the first retry's delay as the server was configured (it replaces
     * retry_base_s; e.g. --webhook-backoff). */
    int64_t (*retry_base_of)(const core *c);
} job_handler;

/* Adds a kind (h is not copied: a static handler). Call before the scheduler starts.
 * ERR_CONFLICT when the kind is known already, ERR_INVALID_ARG when the table is full or h
 * incomplete. core_open registers the built-in kinds (due_warning, webhook). */
int jobs_register(core *c, const job_handler *h, error *err);
/* The handler of kind, NULL when none. */
const job_handler *jobs_handler(const core *c, const char *kind);

/* Inside a write job: schedules kind for request_id (0: none) at due_at with payload (NULL:
 * {}; serialised, the caller keeps its reference). key makes it unique with the kind and
 * the request (NULL: ""): scheduling the same key again writes nothing unless that job was
 * cancelled, which makes it pending again. *id_out (may be NULL): the job's id. */
int jobs_schedule_tx(store *s, int64_t tenant_id, int64_t request_id, const char *kind,
                     const char *key, int64_t due_at, json_t *payload, int64_t *id_out, error *err);
/* Inside a write job: cancels request_id's pending jobs of kind. */
int jobs_cancel_tx(store *s, int64_t tenant_id, int64_t request_id, const char *kind, int64_t now,
                   error *err);

/* Inside a write job: marks job id, claimed by an at-least-once run ("running"), done at now,
 * so that the handler's own write job records its outcome with its work — exactly once, where
 * the run's outcome is otherwise recorded after it (jobs_run_due then finds the job done and
 * leaves it). *claimed 0 (and nothing written) when the job is not running any more: another
 * run did the work. */
int jobs_finish_tx(store *s, int64_t id, int64_t now, int *claimed, error *err);

typedef struct jobs_report {
    size_t done, retried, failed, skipped;
} jobs_report;

/* Runs the jobs due at `now` (at most limit, oldest due first), each as its handler says,
 * waiting for each outcome to be durable; adds to *rep. -1 with err only when the due list
 * cannot be read (a job's failure is its own row's business). stop (may be NULL) is asked
 * between jobs: 1 ends the pass there. */
int jobs_run_due(core *c, int64_t now, size_t limit, int (*stop)(void *), void *stop_ctx,
                 jobs_report *rep, error *err);
/* At start-up, before the first pass: the jobs a stopped process left running (an
 * at-least-once delivery cut in the middle) become pending again. */
int jobs_recover(core *c, error *err);
/* The earliest due time of a pending job; *found 0 when none. */
int jobs_next_due(core *c, int64_t *due_at, int *found, error *err);
/* The tenant's jobs of kind, newest first (at most limit; strings in a). */
int jobs_list(core *c, int64_t tenant_id, const char *kind, size_t limit, arena *a,
              store_job_row **out, size_t *n, error *err);

/* The scheduler's bell: wake(ctx, due_at) is called after the commit of a write job that
 * scheduled something (due_at its earliest), so that a job due now does not wait for the
 * scheduler's next look. NULL removes it. */
void jobs_set_waker(core *c, void (*wake)(void *ctx, int64_t due_at), void *ctx);
/* Called by core_op after each write job's outcome, on the writer thread. */
void jobs_after_commit(core *c);

/* The delay before attempt `attempts` + 1 of h's job on c: its first retry's delay
 * doubled per attempt made after the first, at most retry_max_s. */
int64_t jobs_backoff(const core *c, const job_handler *h, int attempts);

#endif

/*
 * scheduler — the server's timed work, one thread beside the mail dispatcher: it runs the
 * persistent jobs when they fall due (core/jobs.h: due-date warnings, webhook deliveries),
 * those due while the server was down first; every interval it runs a retention pass
 * (core/retention.h: requests past their retention, the erasures citizens asked for, bordereaux
 * with their visa, the audit log's purge) in bounded write jobs, so that the mairie's duties are
 * met without a cron job; and it removes the files kept for forms never sent once their day is over
 * (core/upload_stash.h).
 */
#ifndef GUICHET_WORKERS_SCHEDULER_H
#define GUICHET_WORKERS_SCHEDULER_H

#include "core/core.h"
#include "util/error.h"

typedef struct scheduler_config {
    /* Seconds between two retention passes; 0: none (`guichet retention run` from cron). */
    unsigned retention_interval_s;
    /* Milliseconds before the first pass after start-up (0: at once). */
    unsigned first_delay_ms;
} scheduler_config;

typedef struct scheduler scheduler;

/* Starts the thread over c (the store's writer must be running; the uploads directory set,
 * since anonymisation deletes files). cfg is copied. With a zero interval it runs the jobs
 * and no retention pass. NULL with err when the thread cannot start. Stop it with
 * scheduler_stop before stopping the store's writer. */
scheduler *scheduler_start(core *c, const scheduler_config *cfg, error *err);
/* Ends the pass in progress after its current write job, then stops and frees; s may be
 * NULL. */
void scheduler_stop(scheduler *s);

#endif

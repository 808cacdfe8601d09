/*
 * workflow_timeout — what a workflow does when a request stays in a status (table
 * workflow_timeouts): after a delay in calendar days, working days (the collectivité's public
 * holidays) or calendar months, jump to another status («silence vaut accord / rejet») or
 * remind the agents or the citizen, maybe again every few days; the agents warned some days
 * before a jump. Each is a persistent job (core/jobs.h) scheduled when the request enters the
 * status, keyed by that entry, and cancelled when it leaves; every one runs exactly once.
 */
#ifndef GUICHET_CORE_WORKFLOW_TIMEOUT_H
#define GUICHET_CORE_WORKFLOW_TIMEOUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/workflow.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/workdays.h"

/* The job kinds: the jump, a reminder, the agents' warning before a jump. */
#define WORKFLOW_TIMEOUT_KIND "workflow_timeout"
#define WORKFLOW_REMIND_KIND "workflow_remind"
#define WORKFLOW_WARN_KIND "workflow_warn"

/* Bounds of a timeout's numbers. */
#define WORKFLOW_TIMEOUT_DAYS_MAX 730    /* delay in calendar days: two years */
#define WORKFLOW_TIMEOUT_WORKING_MAX 500 /* delay in working days */
#define WORKFLOW_TIMEOUT_MONTHS_MAX 24   /* delay in months */
#define WORKFLOW_TIMEOUT_REPEAT_DAYS_MAX 365
#define WORKFLOW_TIMEOUT_REPEAT_TIMES_MAX 10
#define WORKFLOW_TIMEOUT_WARN_MAX 90      /* days of warning before a jump */
#define WORKFLOW_TIMEOUT_PER_STATUS_MAX 8 /* timeouts of one status */
#define WORKFLOW_TIMEOUT_STATUS_MAX 64    /* bytes of a status code a job's key names */

/* 0 when t is a valid timeout of wf: its status is one of wf's, not final; unit, kind,
 * meaning and whom known; the delay within its unit's bound; a jump names a target reachable
 * by a transition from the status (the jump is that transition), has no whom nor repetition,
 * and a warning shorter than its delay; a reminder names whom and no target, meaning none,
 * no warning, and a repetition of 1 to WORKFLOW_TIMEOUT_REPEAT_TIMES_MAX times every 1 to
 * WORKFLOW_TIMEOUT_REPEAT_DAYS_MAX days, or none (both 0); at most
 * WORKFLOW_TIMEOUT_PER_STATUS_MAX per status, positions distinct. Otherwise -1 with
 * ERR_INVALID_ARG naming the field at fault ("status_code", "unit", "kind", "delay",
 * "target", "meaning", "whom", "repeat_days", "repeat_times", "warn_before", "position").
 * The catalogue leaves out a workflow with an invalid timeout; an import checks with it. */
int workflow_timeout_check(const cat_workflow *wf, const store_workflow_timeout *t, error *err);

/* The instant a delay of t (its delay and unit) started at instant `from` ends, by zone tz's
 * clocks and region's holidays: the last second of its last day (util/workdays'
 * workdays_due_at: the start day does not count, a last day that is no working day extended
 * to the next one; months to the same-numbered day). */
int64_t workflow_timeout_due(const store_workflow_timeout *t, int64_t from, const char *tz,
                             workdays_region region);

/* Inside a write job, with r as it is about to be written (old_status NULL: just created):
 * when r's status changed, the timeouts of the status it left are cancelled and those of the
 * status it entered scheduled from now (none for a merged or anonymised request). */
/* Inside the write job that saves workflow after over before (the editor): the requests
 * waiting under a timeout of before whose delay (its unit, its count, or a jump's warning)
 * after changes have its jobs moved, in this job: the jump or the first reminder (and a
 * jump's warning) are due at the new delay counted from the request's entry into the status,
 * as if it had been the rule then (tz and region: the collectivité's). A new due time already
 * past runs at the scheduler's next pass, as what fell due while the server was down. What has
 * run stays run (exactly once): a warning or a reminder already sent is not sent again, a
 * reminder's repetitions keep their interval. Timeouts removed are left to their run, which
 * finds the rule gone. */
int workflow_timeouts_reschedule_tx(store *s, const cat_workflow *before, const cat_workflow *after,
                                    const char *tz, workdays_region region, int64_t now,
                                    error *err);

int workflow_timeouts_sync_tx(store *s, const store_request *r, const char *old_status, int64_t now,
                              error *err);

/* Registers the three kinds on c (core_open does). */
int workflow_timeout_register(core *c, error *err);

/* A jump pending for a request, as its pages show it. */
typedef struct workflow_pending {
    const char *to;      /* the status it moves to (in the caller's arena) */
    const char *meaning; /* "accord", "rejet", "none" */
    int64_t due_at;
} workflow_pending;

/* r's pending jumps, earliest first (at most max, into out; strings in a); *n how many. */
int workflow_timeout_pending(core *c, const store_request *r, arena *a, workflow_pending *out,
                             size_t max, size_t *n, error *err);

#endif

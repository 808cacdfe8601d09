/*
 * retention — the RGPD lifecycle of requests. Each procedure keeps its closed requests for
 * its retention period; then their personal data are erased for good (request_anonymise):
 * at once, or — where the collectivité requires the visa of its archives service — once an
 * administrator has recorded that visa on the bordereau d'élimination listing them. A
 * citizen who deletes their account asks for the same erasure of their requests as soon as
 * each is closed. A retention pass (retention_run) does all of this in bounded write jobs,
 * and applies the audit log's own retention; the server's scheduler runs it periodically,
 * `guichet retention run` on demand.
 *
 * What anonymisation keeps (for the figures and open data): the reference, procedure,
 * department, status, channel, dates, priority, assignee, zipcode, rating, «moi aussi» count
 * and publication; for an incident, its position rounded to RETENTION_COORD_DECIMALS
 * decimal places (about a hundred metres: the street, not the house) and the values of its
 * list attributes (chosen from the procedure's own list). Everything else that came from or
 * names the citizen goes: see store.h's tx_request_anonymise and docs/security.md.
 */
#ifndef GUICHET_CORE_RETENTION_H
#define GUICHET_CORE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define RETENTION_MONTHS_INCIDENT 24 /* default of an incident procedure */
#define RETENTION_MONTHS_DEMARCHE 36 /* default of a démarche */
#define RETENTION_MONTHS_MIN 1
#define RETENTION_MONTHS_MAX 1200
/* Requests anonymised per write job: a job holds the writer (and every client's write) for
 * a few milliseconds only, however much is due. */
#define RETENTION_BATCH 50
/* Requests anonymised per collectivité and pass: a pass that finds years of backlog ends
 * within minutes, and the next ones go on. */
#define RETENTION_PASS_MAX 5000
/* Requests per bordereau d'élimination. */
#define DISPOSAL_LIST_MAX 10000
#define RETENTION_COORD_DECIMALS 3

/* The months a closed request of procedure p is kept: its retention_months, or the default
 * of its kind when it has none, never more than RETENTION_MONTHS_MAX. What the pass applies,
 * and so what the register, the legal notice and the back office must show. */
int retention_months_of(const store_procedure *p);
/* The instant before which a request of procedure p must have been closed to be past its
 * retention at `now`: now minus retention_months_of(p) calendar months (UTC). */
int64_t retention_cutoff(const store_procedure *p, int64_t now);

/* Erases the personal data of the requests ids[n] of collectivité t, RETENTION_BATCH per
 * write job. Inside its job each request is read again and erased only when it is closed,
 * not yet anonymised, and past its retention at `now` or asked to be erased by its citizen
 * (erase_requested_at); the others are left as they are. Per erased request the job writes
 * an internal «anonymised» timeline event by `actor`, and one audit entry (action
 * "anonymise", kind "request", the erased ids, `source`) for the job, in the same
 * transaction; once it is durable, the request's files leave the uploads directory.
 * disposal_id > 0: the ids are items of that approved bordereau, whose states follow (done,
 * or kept when left as they are) and which is closed once none is left. who: the erasure's
 * actor (NULL: the system), whose labels the events and the entry carry (actor_event_label,
 * actor_audit_label) with its source. *n_done (may be NULL) gets how many were erased. t
 * must stay valid until this returns (it waits for each job): the command line and the
 * retention pass. */
int request_anonymise(core *c, const cat_tenant *t, const int64_t *ids, size_t n, int64_t now,
                      int64_t disposal_id, const core_actor *who, size_t *n_done, error *err);

/* Which requests request_erase_due erases. */
typedef struct erase_scope {
    int64_t procedure_id; /* > 0: that procedure's, closed before cutoff; 0: those whose
                             citizen asked for their erasure (erase_requested_at) */
    int64_t cutoff;
    int64_t now; /* the instant is_due ages requests at; 0: the current time */
    size_t max;  /* requests at most */
    /* Asked between jobs (on the writer's thread): 1 ends there. May be NULL. */
    int (*stop)(void *ctx);
    void *stop_ctx;
} erase_scope;

/* Erases what is due in *scope for collectivité t, as request_anonymise does, one job after
 * the other: each job finds, in its own transaction, up to RETENTION_BATCH requests due and
 * erases them; the next is queued once it is durable, until nothing erasable is left, max
 * is reached or stop says so. who as for request_anonymise. cb NULL waits; otherwise 0 once
 * the first job is queued and cb(ctx, rc, err) after the last (from the writer's thread);
 * *n_done (may be NULL; the caller's, valid until then) gets how many were erased, also when
 * a job failed. t must stay valid until then. */
int request_erase_due(core *c, const cat_tenant *t, const erase_scope *scope, const core_actor *who,
                      size_t *n_done, core_done_fn cb, void *ctx, error *err);

typedef struct retention_opts {
    int64_t now;           /* 0: the current time */
    int64_t tenant_id;     /* 0: every collectivité */
    int dry_run;           /* 1: count what is due, write nothing */
    size_t max_per_tenant; /* 0: RETENTION_PASS_MAX */
    const char *source;    /* audit source: "scheduler", "cli"; NULL: "system" */
    /* Asked between write jobs: 1 ends the pass there (server shutting down). */
    int (*stop)(void *ctx);
    void *stop_ctx;
} retention_opts;

typedef struct retention_report {
    int64_t anonymised;    /* requests erased (dry run: due now and erasable) */
    int64_t on_request;    /* of which their citizen asked (deleted account) */
    int64_t lists_created; /* bordereaux built (dry run: that would be) */
    int64_t listed;        /* requests put on those bordereaux */
    int64_t awaiting_visa; /* requests on bordereaux waiting for the visa */
    int64_t left;          /* still due after the pass (its cap reached, or stopped) */
    int64_t audit_purged;  /* audit entries past audit_retention_days deleted */
    int64_t mail_purged;   /* held mail past mail_held_retention_days deleted */
    int64_t subscribers_purged; /* subscriptions ended BROADCAST_ENDED_KEEP_DAYS ago deleted */
    int64_t recipients_forgotten; /* broadcast messages' recipients erased
                                     (BROADCAST_SENT_KEEP_DAYS after their last state) */
    int64_t tokens_purged; /* expired single-use links and codes deleted (account_tokens_purge) */
    int64_t post_purged;   /* scanned letters discarded or rejected post_dropped_retention_days
                              ago deleted with their files (courrier_purge) */
} retention_report;

/* One retention pass over opts->tenant_id (or every collectivité): the audit log's purge
 * (audit_retention_days), the held mail's (mail_held_retention_days), the ended broadcast
 * subscriptions' (BROADCAST_ENDED_KEEP_DAYS) and the sent broadcast messages' recipients
 * (BROADCAST_SENT_KEEP_DAYS), the expired single-use links and codes (account_tokens_purge),
 * the post room's dropped scans (courrier_purge: post_dropped_retention_days),
 * the requests whose citizen asked for their erasure,
 * then the requests past their procedure's retention — anonymised at once, or, for a collectivité
 * with archives_visa, those of approved bordereaux, and a new bordereau (audited, action
 * "disposal_create") of what is due when none is waiting for its visa. *rep is added to
 * (zero it first). -1 with err on a storage failure; what was committed before stays. */
int retention_run(core *c, const retention_opts *opts, retention_report *rep, error *err);

/* ---- the archives' visa and the bordereaux ---- */

/* Sets whether collectivité tenant_id requires the visa of its archives service before
 * destruction, made by `who`: its audit entry (action "admin", kind "retention") in the same
 * transaction when who is audited. Reloads the catalogue once committed. cb NULL waits;
 * otherwise 0 once queued and cb(ctx, rc, err) once durable or failed (core/change.h). */
int retention_set_archives_visa(core *c, const core_actor *who, int64_t tenant_id, int on,
                                core_done_fn cb, void *ctx, error *err);
/* The collectivité's bordereaux, newest first (at most limit); out in a. */
int disposal_lists(core *c, int64_t tenant_id, size_t limit, arena *a, store_disposal_list **out,
                   size_t *n, error *err);
/* One bordereau; -1 with ERR_NOT_FOUND when absent or of another collectivité. */
int disposal_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_disposal_list *out,
                 error *err);
/* Its requests by id after after_request_id, at most limit; out in a. */
int disposal_items(core *c, int64_t tenant_id, int64_t id, int64_t after_request_id, size_t limit,
                   arena *a, store_disposal_item **out, size_t *n, error *err);
/* Records the visa of bordereau id by `who`, an agent (ERR_INVALID_ARG for anyone else),
 * with its audit entry (action "approve", kind "disposal") in the same transaction: its
 * requests are anonymised by the next pass. ERR_NOT_FOUND, or ERR_CONFLICT when it is not
 * waiting for a visa. Answers as retention_set_archives_visa. */
int disposal_approve(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                     void *ctx, error *err);

/* Rewrites what erased data may have left in the database file (the full-text index's
 * segments, the write-ahead log): `guichet retention run --compact`, in a quiet hour. */
int retention_compact(core *c, error *err);

#endif

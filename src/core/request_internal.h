/*
 * request_internal — what request.c, request_change.c and request_citizen.c share, private to
 * those three (and to workflow_timeout.c, whose jump is a change like an agent's): the change job
 * (one job for every change of one request, whoever makes it) and the checks and copies every
 * request operation uses.
 */
#ifndef GUICHET_CORE_REQUEST_INTERNAL_H
#define GUICHET_CORE_REQUEST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/attachment.h"
#include "core/core_op.h"
#include "core/request.h"
#include "core/status_actions.h"

typedef enum change_kind {
    CHANGE_FIELDS,  /* agent or API: status, assignee, priority, department */
    CHANGE_NOTE,    /* a note, public or internal */
    CHANGE_MESSAGE, /* the citizen writes, maybe with files */
    CHANGE_RATE,    /* the citizen rates the answer */
    CHANGE_REOPEN,  /* the citizen says the problem is still there */
    CHANGE_ROUTE,   /* «Re-router»: the department the routing rules give (request_route.c) */
    CHANGE_ANSWER,  /* the citizen answers an ask_citizen status, maybe with files */
    CHANGE_NEWS,    /* the citizen chooses how to hear of the request (body: the channel) */
} change_kind;

typedef struct change_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    change_kind kind;
    int64_t tenant_id;
    const char *reference;
    /* CHANGE_FIELDS */
    const char *status;
    const char *note;
    const char *assignee; /* "" unassigns */
    int priority;
    int64_t department_id; /* 0: unchanged; copied so the job outlives the snapshot */
    const char *department_code;
    const char *reply; /* a public answer to the citizen */
    const char *internal_note;
    const char *reply_url;
    const char *procedure_name;
    /* A workflow timeout's jump (request_timeout_jump_tx): the silence's meaning ("accord",
     * "rejet", "none"), written as a "timeout" event beside the status one and standing for
     * the comment a transition may require; NULL for any other change. */
    const char *timeout_meaning;
    int64_t timeout_at; /* and the instant its delay ended (the job's due time) */
    int64_t at;         /* the change's time; 0: the clock's */
    /* CHANGE_ROUTE (with department_id, department_code): the event naming what routed it
     * (core/routing.h), and whether the department was the one it had (nothing written). */
    const char *route_kind, *route_body;
    int unchanged;
    request_reroute_result *reroute_out; /* the caller's, told of unchanged by the finish */
    /* The request's procedure and its workflow, read when the job is made (copied: the job
     * may outlive the catalogue's snapshot); NULL when the request was not found then. */
    int64_t procedure_id;
    const cat_workflow *wf;
    /* What the actions of a status the request enters need (wf, words, the routing rules'
     * answer), prepared with wf; its tracking_url is reply_url, when the entrance gave one. */
    status_env env;
    /* CHANGE_NOTE, CHANGE_MESSAGE, CHANGE_ANSWER, CHANGE_REOPEN, CHANGE_RATE (comment) */
    const char *body;
    const char *folded; /* CHANGE_MESSAGE by e-mail: the quoted history ("mail_history") */
    int is_public;
    int rating;
    store_attachment *attachments; /* CHANGE_MESSAGE, CHANGE_ANSWER; CHANGE_FIELDS: the
                                      internal note's */
    size_t n_attachments;
    core_actor who; /* copied: strings and agent in the arena */
    store_agent who_agent;
    const char *actor;  /* who's timeline label */
    int64_t request_id; /* set by change_apply_one */
    const char *channel;
    /* CHANGE_MESSAGE, CHANGE_ANSWER on a merged request: where the survivor's copies of the files
     * are linked, and those links (removed if the job fails). */
    const attachment_dir *uploads;
    struct request_linked {
        store_attachment *files; /* in the job's arena */
        size_t n, cap;
    } linked;
} change_job;

typedef struct request_linked request_linked;

/* A change job for request `reference` of t by who (copied), on channel ch, with nothing to
 * change yet (priority -1) and the request's workflow; NULL with err when out of memory or
 * the store cannot be read. Its apply is the one every change runs. */
change_job *request_change_new(core *c, const cat_tenant *t, const char *reference,
                               const core_actor *who, channel ch, error *err);

/* Inside a write job (a workflow timeout's, core/workflow_timeout.c): moves request
 * `reference` of tenant_id to status `to` at `now` as the system, through the very apply an
 * agent's change runs (the transition from its status to `to` must be in wf; its timeline
 * event, the "timeout" event saying what the silence meant, the actions of the status entered
 * as env prepared them (NULL: none), its follow-ups) and an audit entry naming the system,
 * which other system changes do not get. due_at: the instant the delay ended, which a
 * document the status generates names as the decision's date. */
int request_timeout_jump_tx(store *s, int64_t tenant_id, const char *reference,
                            int64_t procedure_id, const cat_workflow *wf, const status_env *env,
                            const char *to, const char *meaning, int64_t due_at, int64_t now,
                            error *err);

/* Runs jobs[0..n) (prepared change jobs, never submitted) as ONE write job, each in its own
 * savepoint, with one audit entry naming the requests changed (see request_process_many).
 * Takes jobs (a malloc'd array) and the jobs in it, whatever happens. */
int request_batch_submit(core *c, const cat_tenant *t, const core_actor *who, change_job **jobs,
                         size_t n, size_t *n_done, int64_t *done_ids, core_done_fn cb, void *ctx,
                         error *err);

/* An optional text field: valid UTF-8, no control characters (multi_line allows newlines
 * and tabs), at most max characters. -1 with ERR_INVALID_ARG naming arg otherwise. */
int request_check_text(const char *value, const char *arg, size_t max, int multi_line, error *err);
/* Inside a write job: the internal copy, on request survivor_id, of message event msg of a
 * request merged into it (request_merge.c): a "merged_message" event with the message's
 * author, channel, date and text, and the files of atts[0..n_atts) that came with it,
 * hard-linked (attachment_link) in d and saved with the copy; each link is added to *l. */
int request_copy_message_tx(store *s, const attachment_dir *d, arena *a, int64_t survivor_id,
                            const store_event *msg, const store_attachment *atts, size_t n_atts,
                            request_linked *l, error *err);
/* Removes the files linked in l (after its job failed: no row refers to them). */
void request_linked_discard(const attachment_dir *d, const request_linked *l);

/* The address of «Suivre une demande», where a reference and a short code are typed: base_url
 * and the tracking pages' path without its last slash ("/suivi/" -> "/suivi"), in a; NULL
 * when out of memory. */
const char *request_lookup_url(core *c, arena *a, const char *base_url);

/* Inside a change's write job, with r as it is about to be written: what follows from the
 * change beyond the request's row — its due-date warning kept in step when its due date or
 * its closing moved from old_due / old_closed (core/due_warning.h), the workflow timeouts of
 * the status it left cancelled and those of the one it entered scheduled
 * (core/workflow_timeout.h), and the webhooks of request.status_changed when its status moved
 * from old_status (core/webhook.h). The creation passes old_status NULL. */
int request_followups_tx(store *s, const store_request *r, const char *old_status, int64_t old_due,
                         int64_t old_closed, int64_t now, error *err);

/* A copy of s in a; NULL for NULL or "". */
const char *request_dup_opt(arena *a, const char *s);
/* A prepared attachment whose strings the job owns (copied into a). */
void request_copy_attachment(arena *a, store_attachment *dst, const store_attachment *src);

#endif

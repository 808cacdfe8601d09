/*
 * status_actions — running a workflow's actions when a request enters a status (core/
 * workflow_action.h gives the kinds), inside the write job of the change that moved it:
 * agents' and API clients' changes, the citizen's reopening and answer, a merge, a creation
 * (its initial status) and whatever else goes through the change job. Each action writes
 * what it does (an outbox row, a department, a due date, a webhook delivery) and an internal
 * timeline event naming it, in that transaction: they commit with the change, so they run
 * exactly once. What the write job cannot read from the store — the catalogue's words, the
 * routing rules' answer — is prepared beforehand (status_env_prepare).
 */
#ifndef GUICHET_CORE_STATUS_ACTIONS_H
#define GUICHET_CORE_STATUS_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* The timeline event of each action run: kind "action", internal, its body the action's kind
 * name, followed by "_skipped" when there was nothing to do (the citizen chose no news, the
 * department has no address, the subscription is gone, the rules give the same department). */
#define STATUS_ACTION_EVENT "action"

typedef struct status_department {
    int64_t id;
    const char *code, *email;
} status_department;

/* What the actions need beyond the store, copied into the job's arena (it may outlive the
 * catalogue's snapshot). */
typedef struct status_env {
    const cat_workflow *wf;
    const char *procedure_name, *procedure_name_en;
    const char *tracking_url; /* «Suivre une demande», where the citizen types reference and
                                 code; NULL: the entrance knows no address (no link sent) */
    const char *timezone;
    /* The collectivité's configured base URL (core_base_url) for the back office links of
     * agents' e-mails; NULL: none configured (no link) */
    const char *agent_base;
    int holidays; /* workdays_region of the collectivité */
    status_department *departments;
    size_t n_departments;
    /* assign_by_rule: the rules' answer for the request as it was when the job was made
     * (routed 0: not evaluated, the workflow has no such action) */
    int routed;
    int64_t route_department_id;
    const char *route_kind, *route_body;
} status_env;

/* Fills env for request r (NULL at creation: the intake has just routed it) of procedure p
 * of t, in a: wf copied when wf_copy is NULL, else wf_copy is used as it is (a job's own
 * copy). -1 when out of memory or the routing areas cannot be read. */
int status_env_prepare(core *c, const cat_tenant *t, const cat_procedure *p,
                       const cat_workflow *wf_copy, const store_request *r,
                       const char *tracking_url, arena *a, status_env *env, error *err);

/* How the request entered its status. */
typedef struct status_entry {
    const char *actor, *channel; /* of the change, for the events */
    const char *note;            /* the move's public comment (its note, its reply), which
                                    the status e-mail carries; NULL: none */
    int64_t now;
    /* A timeout's jump: the silence's meaning ("accord", "rejet", "none") and the instant the
     * delay ended; NULL and 0 for any other entry. */
    const char *silence;
    int64_t silence_at;
} status_entry;

/* Inside the write job, with r as it is about to be written, in its new status r->status:
 * runs that status's actions in position order, changing r (department, due date) and
 * writing their rows and events. *citizen_told (may be NULL) is set to 1 when a message to
 * the citizen was queued, so that the change does not send a second one. */
int status_actions_run_tx(store *s, const status_env *env, store_request *r, const status_entry *e,
                          int *citizen_told, error *err);

#endif

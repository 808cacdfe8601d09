/*
 * workflow_edit — the administrators' changes to workflows: a whole edited workflow checked
 * (workflow_check, and the editor's bounds) and saved as one write job that keeps a new
 * version of it (its definition as JSON, who, when, and the changes computed from the
 * difference with the one before), a duplicate under a new code, the history, and moving a
 * procedure to another workflow with its requests' statuses mapped onto the new one. Every
 * write is an administrative change (core/change.h): its audit entry in the same transaction,
 * the catalogue reloaded once durable.
 */
#ifndef GUICHET_CORE_WORKFLOW_EDIT_H
#define GUICHET_CORE_WORKFLOW_EDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/workflow.h"
#include "store/records.h"
#include "util/error.h"

/* The editor's bounds: statuses and transitions of one workflow, bytes of a name or label.
 * The page's statuses form sends 11 fields a status and its transitions form at most 9 a
 * transition, plus an empty row and a few more: both stay within the form parser's 256 fields
 * (util/form.h) with these, and the shipped incident workflow (6 statuses, 25 transitions) fits. */
#define WORKFLOW_EDIT_STATUSES_MAX 20
#define WORKFLOW_EDIT_TRANSITIONS_MAX 26
#define WORKFLOW_EDIT_TEXT_MAX 100
/* Actions and timeouts of one workflow: their own form (the actions' page) sends at most 5
 * fields an action and 8 a timeout, plus the add rows and a few more: 16 * 5 + 16 * 8 + 8
 * stays within the form parser's 256 fields. 16 actions in all also keeps a status within
 * the catalogue's WORKFLOW_ACTIONS_MAX. */
#define WORKFLOW_EDIT_ACTIONS_MAX 16
#define WORKFLOW_EDIT_TIMEOUTS_MAX 16
/* The most requests one change of a procedure's workflow moves to another status, all in one
 * write job: a job holds the writer for its length, and moving 5,000 requests (an update and
 * a timeline event each) takes well under a second. Above, the change is refused: the
 * administrator closes or moves requests first, or asks for the command line. */
#define WORKFLOW_MOVE_MAX 5000
/* The most changes a version's summary lists; one more entry ("more") says how many else. */
#define WORKFLOW_SUMMARY_MAX 20

/* workflow_check's problems, then the editor's bounds (key "too_many_statuses",
 * "too_many_transitions", "too_many_actions", "too_many_timeouts", "text_long" with the
 * status or transition) and "action_ask_twice" (a the status) when a status has two
 * ask_citizen actions (the catalogue would leave the workflow out), into out; returns how
 * many (may exceed max). */
size_t workflow_edit_check(const cat_workflow *wf, workflow_problem *out, size_t max);
/* workflow_edit_check, then every status reachable from the initial one
 * (workflow_check_reachable, the rule a definitions import is held to): what the transitions'
 * form must leave, since it decides how statuses are reached. The statuses' form is held to
 * workflow_edit_check alone: a status it adds waits for the transition that will lead to it. */
size_t workflow_edit_check_transitions(const cat_workflow *wf, workflow_problem *out, size_t max);

/* wf's whole definition: {"code", "name", "name_en", "statuses": [{"code", "agent_label", …}],
 * "transitions": [{"from", "to", "label", "label_en", "roles": [...], "comment_required"}]}.
 * New reference; NULL when out of memory. */
json_t *workflow_edit_json(const cat_workflow *wf);
/* What changed from before to after, as the history lists it: an array of {"k": key, "a",
 * "b"} (keys name_changed, status_added, status_removed, status_renamed, status_changed,
 * statuses_reordered, transition_added, transition_removed, transition_changed,
 * action_added, action_removed, action_changed, actions_reordered, timeout_added,
 * timeout_removed, timeout_changed, more; a the status's label — the old one when renamed or
 * removed — or the transition's from, b its to, an action's kind ("notify_citizen", …) or a
 * timeout's ("jump", "remind") or, for "more", how many else). Actions and timeouts of a
 * status that was added or removed are not listed again; the others are matched by status,
 * kind and rank among the status's of that kind. At most WORKFLOW_SUMMARY_MAX + 1 entries. New
 * reference; NULL when out of memory. */
json_t *workflow_edit_diff(const cat_workflow *before, const cat_workflow *after);

/* 0 when tenant_id has a letter template named name (a generate_document action's); -1
 * with ERR_INVALID_ARG arg "template" when it has none, or the store's error. */
int workflow_edit_template_known(core *c, int64_t tenant_id, const char *name, error *err);

/* Saves `edited` (rec.id: a workflow of t; copied into the job) as workflow rec.id's new
 * definition and next version, when nothing was saved
 * since version `seen` (the latest version the editor showed, 0 when none): ERR_CONFLICT arg
 * "version" otherwise. Refused: ERR_INVALID_ARG arg "workflow" when workflow_edit_check finds
 * a problem (callers check first, to list them), ERR_INVALID_ARG arg "template" when a
 * generate_document action names a template t does not have (workflow_edit_template_known),
 * ERR_NOT_FOUND when t has no such workflow,
 * ERR_CONFLICT arg "status" when a status that requests are in would disappear (detail: its
 * code, a space, how many). The first save keeps the definition it found as version 1.
 * Answers like change_run. */
int workflow_edit_save(core *c, const core_actor *who, const cat_tenant *t,
                       const cat_workflow *edited, int seen, core_done_fn cb, void *ctx,
                       error *err);

/* Inside a write job (an editor's save, a duplicate, an import of definitions: core/procdef.h):
 * makes workflow wf->rec.id (of wf->rec.tenant_id) hold wf's names, statuses and transitions,
 * and keeps them as its version `version` (definition: workflow_edit_json's text; by, summary
 * as store_workflow_version's). The caller has checked wf, its statuses in use and the version
 * number. 0 or -1 with err. */
int workflow_edit_tx_write(store *s, const cat_workflow *wf, int version, const char *definition,
                           const char *by, const char *summary, error *err);

/* Copies t's workflow from_code into a new workflow `code` (workflow_code_valid; its own
 * version 1), named name (required, at most WORKFLOW_EDIT_TEXT_MAX bytes). ERR_INVALID_ARG
 * arg "code" or "name" (detail "invalid", "missing", "long"), ERR_NOT_FOUND for from_code,
 * ERR_CONFLICT arg "code" when t has a workflow of that code. *id_out the new workflow's id.
 * Answers like change_run. */
int workflow_edit_duplicate(core *c, const core_actor *who, const cat_tenant *t,
                            const char *from_code, const char *code, const char *name,
                            int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* How many requests each status holds: of the procedures of workflow_id, or of procedure
 * procedure_id when workflow_id is 0 (statuses with none left out; *out in a). */
int workflow_edit_counts(core *c, int64_t tenant_id, int64_t workflow_id, int64_t procedure_id,
                         arena *a, store_status_count **out, size_t *n, error *err);
/* The versions of t's workflow_id, newest first, without definitions; one of them with. */
int workflow_edit_versions(core *c, int64_t tenant_id, int64_t workflow_id, arena *a,
                           store_workflow_version **out, size_t *n, error *err);
int workflow_edit_version(core *c, int64_t tenant_id, int64_t workflow_id, int version, arena *a,
                          store_workflow_version *out, int *found, error *err);

/* A status of the old workflow and the status of the new one its requests move to. */
typedef struct workflow_mapping {
    const char *from, *to;
} workflow_mapping;

/* Gives procedure p of t the workflow `to` (one of t's), moving its requests in each status
 * `to` lacks along map[n] — one job: their status, closed_at following the new status, a
 * timeline event each (internal, naming both statuses), the audit entries of the change and of
 * the requests moved. Refused with ERR_INVALID_ARG: arg "map" detail the status when requests
 * are in a status `to` lacks and map names no status of `to` for it; arg "count" when more than
 * WORKFLOW_MOVE_MAX requests would move. Checked again inside the job, which sees requests
 * filed meanwhile. Answers like change_run. */
int workflow_edit_assign(core *c, const core_actor *who, const cat_tenant *t,
                         const cat_procedure *p, const cat_workflow *to,
                         const workflow_mapping *map, size_t n, core_done_fn cb, void *ctx,
                         error *err);

#endif

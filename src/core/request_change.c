/*
 * request_change — the changes of a request by agents and API clients (status, assignee,
 * priority, department, notes, replies), alone or several requests in one job, each with its
 * timeline events and its audit entry in the change's own transaction; and the apply of every
 * change job, the citizen's included (request_citizen.c prepares those).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/agent.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/due_warning.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request_internal.h"
#include "core/webhook.h"
#include "core/workflow.h"
#include "core/workflow_timeout.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

int request_followups_tx(store *s, const store_request *r, const char *old_status, int64_t old_due,
                         int64_t old_closed, int64_t now, error *err)
{
    if ((!old_status || r->due_at != old_due || r->closed_at != old_closed) &&
        due_warning_sync_tx(s, r, now, err) != 0)
        return -1;
    if (workflow_timeouts_sync_tx(s, r, old_status, now, err) != 0)
        return -1;
    if (old_status && r->status && strcmp(old_status, r->status) != 0 &&
        webhook_emit_tx(s, r, "request.status_changed", now, err) != 0)
        return -1;
    return 0;
}

static int add_event_id(store *s, const change_job *j, int64_t request_id, int64_t now,
                        const char *kind, int is_public, const char *from, const char *to,
                        const char *body, int64_t *id_out, error *err)
{
    store_event e = {
        .tenant_id = j->tenant_id,
        .request_id = request_id,
        .created_at = now,
        .kind = kind,
        .is_public = is_public,
        .actor = j->actor,
        .channel = j->channel,
        .status_from = from,
        .status_to = to,
        .body = body,
    };
    return s->ops->events.tx_insert(s, &e, id_out, err);
}

static int add_event(store *s, const change_job *j, int64_t request_id, int64_t now,
                     const char *kind, int is_public, const char *from, const char *to,
                     const char *body, error *err)
{
    return add_event_id(s, j, request_id, now, kind, is_public, from, to, body, NULL, err);
}

/* The e-mail telling the citizen a reply is waiting, when they chose news by e-mail; queued
 * in the reply's own transaction, in the language the request was filed in. */
static int queue_reply(store *s, const change_job *j, const store_request *r, error *err)
{
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!via)
        return 0;
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "reference", r->reference, "procedure",
                               j->procedure_name ? j->procedure_name : "", "message", j->reply,
                               "tracking_url", j->reply_url ? j->reply_url : "");
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the reply e-mail");
    int rc = outbox_add_tx(s, j->tenant_id, via, to, "request_reply", params, r->lang, r->id, err);
    json_decref(params);
    return rc;
}

/* A message on a merged request also reaches the agents of the request it was merged into,
 * as the merge's copies did (request_copy_message_tx), and moves that request up their
 * inbox; the citizen keeps writing where they always did. */
static int forward_to_survivor(store *s, change_job *j, const store_request *r, int64_t event_id,
                               int64_t now, error *err)
{
    store_request v;
    int found = 0;
    if (s->ops->requests.get_by_id(s, j->tenant_id, r->merged_into, &j->op.a, &v, &found, err) != 0)
        return -1;
    if (!found)
        return 0; /* nothing to forward to: the message stays where it was written */
    store_event msg = {.id = event_id,
                       .tenant_id = j->tenant_id,
                       .request_id = r->id,
                       .created_at = now,
                       .kind = "message",
                       .is_public = 1,
                       .actor = j->actor,
                       .channel = j->channel,
                       .body = j->body};
    if (request_copy_message_tx(s, j->uploads, &j->op.a, v.id, &msg, j->attachments,
                                j->n_attachments, &j->linked, err) != 0)
        return -1;
    if (v.updated_at < now)
        v.updated_at = now;
    return s->ops->requests.tx_update(s, &v, err);
}

/* The citizen's message (CHANGE_MESSAGE, CHANGE_ANSWER): its public event and files, and
 * its copy on the request it was merged into. */
static int citizen_message(store *s, change_job *j, const store_request *r, int64_t now, error *err)
{
    int64_t event_id = 0;
    if (add_event_id(s, j, r->id, now, "message", 1, NULL, NULL, j->body, &event_id, err) != 0 ||
        (j->n_attachments && attachment_save_tx(s, j->tenant_id, r->id, event_id, j->attachments,
                                                j->n_attachments, err) != 0) ||
        (r->merged_into && forward_to_survivor(s, j, r, event_id, now, err) != 0) ||
        (j->folded &&
         add_event(s, j, r->id, now, "mail_history", 0, NULL, NULL, j->folded, err) != 0))
        return -1;
    return 0;
}

/* Inside the change's job: the actions of the status r has just entered (status_actions.h);
 * note the move's public comment. *citizen_told (may be NULL) as status_actions_run_tx. */
static int enter_status(store *s, change_job *j, store_request *r, const char *note, int64_t now,
                        int *citizen_told, error *err)
{
    status_entry e = {.actor = j->actor,
                      .channel = j->channel,
                      .note = note,
                      .now = now,
                      .silence = j->timeout_meaning,
                      .silence_at = j->timeout_at};
    return status_actions_run_tx(s, &j->env, r, &e, citizen_told, err);
}

/* The citizen's own actions: a message, an answer to a correction asked, a rating, a
 * reopening, a change of the channel of their news. */
static int citizen_apply(store *s, change_job *j, store_request *r, int64_t now, error *err)
{
    const char *old_status = r->status;
    int64_t old_due = r->due_at, old_closed = r->closed_at;
    switch (j->kind) {
    case CHANGE_MESSAGE:
        if (citizen_message(s, j, r, now, err) != 0)
            return -1;
        break;
    case CHANGE_ANSWER: {
        /* Checked on the row the writer sees: an agent may have moved it meanwhile. */
        const cat_action *ask = workflow_ask_citizen(j->wf, r->status);
        if (!ask)
            return error_set(err, ERR_CONFLICT, "status",
                             "this request is not waiting for the citizen's answer");
        if (citizen_message(s, j, r, now, err) != 0 ||
            add_event(s, j, r->id, now, "status", 1, r->status, ask->return_to, NULL, err) != 0)
            return -1;
        r->status = ask->return_to;
        r->closed_at = workflow_is_closed(j->wf, r->status) ? now : 0;
        if (enter_status(s, j, r, NULL, now, NULL, err) != 0)
            return -1;
        break;
    }
    case CHANGE_RATE:
        if (!workflow_is_closed(j->wf, r->status))
            return error_set(err, ERR_CONFLICT, "rating", "only a closed request can be rated");
        if (r->rating)
            return error_set(err, ERR_CONFLICT, "rating", "this request was already rated");
        if (add_event(s, j, r->id, now, "rating", 1, NULL, NULL, j->body, err) != 0)
            return -1;
        r->rating = j->rating;
        r->rating_comment = j->body;
        break;
    case CHANGE_REOPEN: {
        const char *to = workflow_reopen_target(j->wf, r->status);
        if (!to)
            return error_set(err, ERR_CONFLICT, "status",
                             "only a resolved request can be reopened");
        if (add_event(s, j, r->id, now, "reopened", 1, r->status, to, j->body, err) != 0)
            return -1;
        r->status = to;
        r->closed_at = workflow_is_closed(j->wf, to) ? now : 0;
        if (enter_status(s, j, r, NULL, now, NULL, err) != 0)
            return -1;
        break;
    }
    case CHANGE_NEWS: {
        /* Checked on the row: news by SMS need the number, by e-mail the address. */
        if ((strcmp(j->body, "sms") == 0 && !(r->phone && *r->phone)) ||
            (strcmp(j->body, "email") == 0 && !(r->email && *r->email)))
            return error_set(err, ERR_INVALID_ARG, "notify",
                             "the request has no %s to send news to",
                             strcmp(j->body, "sms") == 0 ? "phone number" : "e-mail address");
        const char *now_notify = r->notify && *r->notify ? r->notify : "email";
        if (strcmp(now_notify, j->body) == 0)
            return 0; /* nothing changes: no event, no write */
        if (add_event(s, j, r->id, now, "news", 0, NULL, NULL, j->body, err) != 0)
            return -1;
        r->notify = j->body;
        break;
    }
    default:
        return error_set(err, ERR_INTERNAL, NULL, "not a citizen action");
    }
    r->updated_at = now;
    if (request_followups_tx(s, r, old_status, old_due, old_closed, now, err) != 0)
        return -1;
    return s->ops->requests.tx_update(s, r, err);
}

/* «Je prends»: the change assigns the request to the agent themselves and nothing else of
 * the kind, and they may take it — checked on the row as the writer sees it, so that of two
 * agents taking the same request at once, the second is refused. */
static int taking(const change_job *j, const store_agent *a, const store_request *r)
{
    char me[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(a, me);
    return j->assignee && strcmp(j->assignee, me) == 0 && !j->department_id && perm_can_take(a, r);
}

/* The access rules of an agent's change, read on the row the job is about to change. */
static int change_allowed(const change_job *j, const store_request *r, error *err)
{
    const store_agent *a = j->who.kind == ACTOR_AGENT ? j->who.agent : NULL;
    if (!a)
        return 0;
    if (!perm_can_change(a, r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
    if ((j->assignee || j->department_id) && !perm_can_assign(a, r) && !taking(j, a, r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not assign this request");
    return 0;
}

/* «Re-router»: the department the rules gave, with the department event and the one naming
 * what routed it; nothing at all when the request has that department already (checked on the
 * row as the writer sees it). */
static int route_apply(store *s, change_job *j, store_request *r, int64_t now, error *err)
{
    if (r->department_id == j->department_id) {
        j->unchanged = 1;
        return 0;
    }
    if (add_event(s, j, r->id, now, "department", 0, NULL, NULL, j->department_code, err) != 0 ||
        add_event(s, j, r->id, now, j->route_kind, 0, NULL, NULL, j->route_body, err) != 0)
        return -1;
    r->department_id = j->department_id;
    r->updated_at = now;
    return s->ops->requests.tx_update(s, r, err);
}

/* The agent role the workflow's transitions are checked against; WORKFLOW_ANY_ROLE for an
 * actor that is no agent (an API key: its key's rights were checked by the entrance). */
static int actor_role(const change_job *j)
{
    agent_role role;
    if (j->who.kind == ACTOR_AGENT && j->who.agent)
        return agent_role_parse(j->who.agent->role, &role) == 0 ? (int)role : AGENT_ROLE_COUNT;
    return WORKFLOW_ANY_ROLE;
}

/* codes[0..n) one comma apart, in a, for refusals that say what would have been accepted;
 * "none" when n is 0, "" when out of memory. */
static const char *join_codes(arena *a, const char *const *codes, size_t n)
{
    if (!n)
        return "none";
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(codes[i]) + 2;
    char *out = arena_alloc(a, len + 1);
    if (!out)
        return "";
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            memcpy(p, ", ", 2);
            p += 2;
        }
        size_t k = strlen(codes[i]);
        memcpy(p, codes[i], k);
        p += k;
    }
    *p = '\0';
    return out;
}

/* The codes an actor of `role` may move a request in status `from` to (join_codes). */
static const char *allowed_codes(change_job *j, const char *from, int role)
{
    const cat_transition *ts[WORKFLOW_LIST_MAX];
    const char *codes[WORKFLOW_LIST_MAX];
    size_t n = workflow_transitions_from(j->wf, from, role, ts, WORKFLOW_LIST_MAX);
    for (size_t i = 0; i < n; i++)
        codes[i] = ts[i]->rec.to_code;
    return join_codes(&j->op.a, codes, n);
}

/* Every status code of j's workflow (join_codes). */
static const char *status_codes(change_job *j)
{
    const char *codes[WORKFLOW_LIST_MAX];
    size_t n = 0;
    for (; n < j->wf->n_statuses && n < WORKFLOW_LIST_MAX; n++)
        codes[n] = j->wf->statuses[n].code;
    return join_codes(&j->op.a, codes, n);
}

/* The workflow's word on moving r to j->status: allowed for this actor's role, and with the
 * comment the transition requires (the status note, the reply or the internal note). */
static int check_transition(change_job *j, const store_request *r, error *err)
{
    if (!j->wf || r->procedure_id != j->procedure_id)
        return error_set(err, ERR_CONFLICT, "status", "the request changed meanwhile");
    int role = actor_role(j), comment_required = 0;
    if (!workflow_transition_allowed(j->wf, r->status, j->status, role, &comment_required))
        return error_set(err, ERR_CONFLICT, "status",
                         "a request cannot go from %s to %s (allowed: %s)", r->status, j->status,
                         allowed_codes(j, r->status, role));
    if (comment_required && !j->note && !j->reply && !j->internal_note && !j->timeout_meaning)
        return error_set(err, ERR_MISSING_ARG, "comment", "going from %s to %s requires a comment",
                         r->status, j->status);
    /* The citizen is asked something: a public note or reply says what, on their tracking
     * page (an internal note would not reach them). */
    if (workflow_ask_citizen(j->wf, j->status) && !j->note && !j->reply)
        return error_set(err, ERR_MISSING_ARG, "note",
                         "going to %s asks the citizen: a public note or reply must say what",
                         j->status);
    return 0;
}

/* What the citizen reads of a move: its note, and the reply given with it. */
static const char *status_comment(change_job *j)
{
    if (j->note && j->reply)
        return arena_printf(&j->op.a, "%s\n\n%s", j->note, j->reply);
    return j->note ? j->note : j->reply;
}

/* One change, without its audit entry (change_apply and the batch add it). */
static int change_apply_one(store *s, change_job *j, error *err)
{
    store_request r;
    int found = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->reference, &j->op.a, &r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    j->request_id = r.id;
    if (change_allowed(j, &r, err) != 0)
        return -1;
    int64_t now = j->at ? j->at : time_now();
    if (now < r.updated_at) /* keep the timeline ordered even if the clock stepped back */
        now = r.updated_at;
    if (j->kind == CHANGE_MESSAGE || j->kind == CHANGE_ANSWER || j->kind == CHANGE_RATE ||
        j->kind == CHANGE_REOPEN || j->kind == CHANGE_NEWS)
        return citizen_apply(s, j, &r, now, err);
    if (j->kind == CHANGE_ROUTE)
        return route_apply(s, j, &r, now, err);
    if (j->kind == CHANGE_NOTE) {
        if (add_event(s, j, r.id, now, "note", j->is_public, NULL, NULL, j->body, err) != 0)
            return -1;
        r.updated_at = now;
        return s->ops->requests.tx_update(s, &r, err);
    }
    const char *old_status = r.status;
    int64_t old_due = r.due_at, old_closed = r.closed_at;
    int changed = 0, entered = 0;
    if (j->reply) {
        /* A public note: what the citizen, Open311 and the JSON API show as the mairie's. */
        if (add_event(s, j, r.id, now, "note", 1, NULL, NULL, j->reply, err) != 0)
            return -1;
        changed = 1;
    }
    if (j->internal_note) {
        int64_t event_id = 0;
        if (add_event_id(s, j, r.id, now, "note", 0, NULL, NULL, j->internal_note, &event_id,
                         err) != 0 ||
            (j->n_attachments && attachment_save_tx(s, j->tenant_id, r.id, event_id, j->attachments,
                                                    j->n_attachments, err) != 0))
            return -1;
        changed = 1;
    }
    if (j->status && strcmp(j->status, r.status) != 0) {
        /* A merged duplicate's life goes on in the request it names: reopening it would
         * leave two requests for one matter, one of them without its citizen's messages. */
        if (r.merged_into)
            return error_set(err, ERR_CONFLICT, "status",
                             "this request was merged into another one");
        if (check_transition(j, &r, err) != 0)
            return -1;
        if (add_event(s, j, r.id, now, "status", 1, r.status, j->status, j->note, err) != 0)
            return -1;
        /* Public when the silence means something for the citizen (a decision deemed
         * taken); a plain automatic move says no more than its status event. */
        if (j->timeout_meaning &&
            add_event(s, j, r.id, now, "timeout", strcmp(j->timeout_meaning, "none") != 0, NULL,
                      NULL, j->timeout_meaning, err) != 0)
            return -1;
        /* closed_at marks a request in a closed status, which open/closed filters rely on. */
        if (!workflow_is_closed(j->wf, j->status))
            r.closed_at = 0;
        else if (!workflow_is_closed(j->wf, r.status) || !r.closed_at)
            r.closed_at = now;
        r.status = j->status;
        if (j->note)
            r.status_notes = j->note;
        /* What the citizen is asked, which their tracking page shows while it waits. */
        if (workflow_ask_citizen(j->wf, j->status))
            r.status_notes = status_comment(j);
        changed = entered = 1;
    } else if (j->note) {
        if (add_event(s, j, r.id, now, "note", 1, NULL, NULL, j->note, err) != 0)
            return -1;
        r.status_notes = j->note;
        changed = 1;
    }
    if (j->assignee) {
        const char *to = *j->assignee ? j->assignee : NULL;
        if (!(to == NULL && r.assignee == NULL) &&
            !(to && r.assignee && strcmp(to, r.assignee) == 0)) {
            if (add_event(s, j, r.id, now, "assign", 0, NULL, NULL, to ? to : "", err) != 0)
                return -1;
            r.assignee = to;
            changed = 1;
        }
    }
    if (j->priority >= 0 && j->priority != r.priority) {
        if (add_event(s, j, r.id, now, "priority", 0, NULL, NULL,
                      request_priority_name(j->priority), err) != 0)
            return -1;
        r.priority = j->priority;
        changed = 1;
    }
    if (j->department_id && j->department_id != r.department_id) {
        if (add_event(s, j, r.id, now, "department", 0, NULL, NULL, j->department_code, err) != 0)
            return -1;
        r.department_id = j->department_id;
        changed = 1;
    }
    if (!changed)
        return 0;
    r.updated_at = now;
    /* After every other change, so that the actions see the request as the agent left it;
     * a status e-mail carries the reply, which then goes in no second e-mail. */
    int told = 0;
    if (entered && enter_status(s, j, &r, status_comment(j), now, &told, err) != 0)
        return -1;
    if (j->reply && !told && queue_reply(s, j, &r, err) != 0)
        return -1;
    if (request_followups_tx(s, &r, old_status, old_due, old_closed, now, err) != 0 ||
        (j->reply && webhook_emit_tx(s, &r, "request.replied", now, err) != 0))
        return -1;
    return s->ops->requests.tx_update(s, &r, err);
}

static int change_apply(store *s, core_op *op, error *err)
{
    change_job *j = (change_job *)op;
    if (change_apply_one(s, j, err) != 0)
        return -1;
    if (j->unchanged) /* a re-routing that changed nothing has nothing to audit */
        return 0;
    return audit_change_tx(s, j->tenant_id, &j->who, "change", "request", &j->request_id, 1, err);
}

int request_timeout_jump_tx(store *s, int64_t tenant_id, const char *reference,
                            int64_t procedure_id, const cat_workflow *wf, const status_env *env,
                            const char *to, const char *meaning, int64_t due_at, int64_t now,
                            error *err)
{
    change_job *j = core_op_new(sizeof *j, change_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_FIELDS;
    j->tenant_id = tenant_id;
    j->reference = reference;
    j->procedure_id = procedure_id;
    j->wf = wf; /* the caller's, alive for the job's apply */
    j->status = to;
    j->timeout_meaning = meaning;
    j->timeout_at = due_at;
    j->at = now;
    if (env)
        j->env = *env; /* the caller's, alive for the job's apply */
    j->priority = -1;
    int rc = -1;
    if (actor_copy(&j->op.a, &actor_system, &actor_system, &j->who, &j->who_agent) != 0 ||
        !(j->actor = actor_event_label(&j->who, &j->op.a)))
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
    else if ((rc = change_apply(s, &j->op, err)) == 0)
        /* The system's changes are not audited as a rule (actor_audited), but a decision
         * deemed taken by the administration's silence is an act on the citizen's request:
         * its entry names the system as the one that made it. */
        rc =
            audit_append_who_tx(s, tenant_id, &j->who, "change", "request", &j->request_id, 1, err);
    core_op_free(j);
    return rc;
}

/* Reads the request's procedure (and its name, for a reply's e-mail) and copies its workflow
 * into j. A request not found leaves them unset: the apply reports it. */
static int load_workflow(core *c, const cat_tenant *t, change_job *j, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0, rc = 0;
    if (c->store->ops->requests.get(c->store, t->rec.id, j->reference, &a, &r, &found, err) != 0)
        rc = -1;
    else if (found) {
        const cat_procedure *proc = catalogue_procedure_by_id(t, r.procedure_id);
        if (proc) {
            j->procedure_id = proc->rec.id;
            j->procedure_name = arena_strdup(&j->op.a, proc->rec.name);
            j->wf = workflow_copy(&j->op.a, proc->workflow);
            if (!j->procedure_name || !j->wf)
                rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
            else
                rc = status_env_prepare(c, t, proc, j->wf, &r, NULL, &j->op.a, &j->env, err);
        }
    }
    arena_free(&a);
    return rc;
}

change_job *request_change_new(core *c, const cat_tenant *t, const char *reference,
                               const core_actor *who, channel ch, error *err)
{
    /* Its apply runs it alone; a batch's items are run by batch_apply and never submitted. */
    change_job *j = core_op_new(sizeof *j, change_apply);
    if (!j) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(&j->op.a, reference);
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) == 0)
        j->actor = actor_event_label(&j->who, &j->op.a);
    j->channel = channel_name(ch);
    j->priority = -1;
    if (!j->reference || !j->actor) {
        core_op_free(j);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (load_workflow(c, t, j, err) != 0) {
        core_op_free(j);
        return NULL;
    }
    return j;
}

/* A prepared processing job for `reference` (NULL with err when refused at once). */
static change_job *process_prepare(core *c, const cat_tenant *t, const char *reference,
                                   const request_processing *p, const core_actor *who, error *err)
{
    const request_change *ch = &p->change;
    if (ch->priority < -1 || ch->priority > 3) {
        error_set(err, ERR_INVALID_ARG, "priority", "unknown priority");
        return NULL;
    }
    const cat_department *dep = NULL;
    if (ch->department && !(dep = catalogue_department(t, ch->department))) {
        error_set(err, ERR_INVALID_ARG, "department", "unknown department");
        return NULL;
    }
    if (request_check_text(ch->note, "note", REQUEST_DESCRIPTION_MAX, 1, err) != 0 ||
        request_check_text(ch->assignee, "assignee", REQUEST_FIELD_MAX, 0, err) != 0 ||
        request_check_text(p->reply, "reply", 10000, 1, err) != 0 ||
        request_check_text(p->internal_note, "internal_note", 10000, 1, err) != 0)
        return NULL;
    if (p->n_note_attachments && !p->internal_note) {
        error_set(err, ERR_MISSING_ARG, "internal_note", "files go with an internal note");
        return NULL;
    }
    change_job *j = request_change_new(c, t, reference, who, ch->ch, err);
    if (!j)
        return NULL;
    if (ch->status && j->wf && !workflow_status(j->wf, ch->status)) {
        /* Named with the codes this request's workflow has, for API clients. */
        error_set(err, ERR_INVALID_ARG, "status", "unknown status %.40s (this request's: %s)",
                  ch->status, status_codes(j));
        core_op_free(j);
        return NULL;
    }
    if (p->n_note_attachments) {
        j->attachments = arena_alloc(&j->op.a, sizeof *j->attachments * p->n_note_attachments);
        if (!j->attachments) {
            core_op_free(j);
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < p->n_note_attachments; i++)
            request_copy_attachment(&j->op.a, &j->attachments[i], &p->note_attachments[i]);
        j->n_attachments = p->n_note_attachments;
    }
    j->kind = CHANGE_FIELDS;
    j->status = request_dup_opt(&j->op.a, ch->status);
    j->note = request_dup_opt(&j->op.a, ch->note);
    j->assignee = ch->assignee ? arena_strdup(&j->op.a, ch->assignee) : NULL;
    j->priority = ch->priority;
    j->department_id = dep ? dep->rec.id : 0;
    j->department_code = dep ? arena_strdup(&j->op.a, dep->rec.code) : NULL;
    j->reply = request_dup_opt(&j->op.a, p->reply);
    j->internal_note = request_dup_opt(&j->op.a, p->internal_note);
    j->reply_url = request_dup_opt(&j->op.a, p->reply_url);
    j->env.tracking_url = j->reply_url;
    if ((ch->assignee && !j->assignee) || (dep && !j->department_code)) {
        core_op_free(j);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return j;
}

int request_process(core *c, const cat_tenant *t, const char *reference,
                    const request_processing *p, core_done_fn cb, void *ctx, error *err)
{
    change_job *j = process_prepare(c, t, reference, p, p->change.who, err);
    if (!j)
        return -1;
    return core_op_submit(c, j, cb, ctx, err);
}

/* ---- several requests in one job ---- */

typedef struct batch_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    int64_t tenant_id;
    core_actor who; /* the batch's actor, for its one audit entry */
    store_agent who_agent;
    change_job **items;
    size_t n;
    int64_t *ids; /* the ids changed, n_done of them */
    size_t n_done;
    size_t *n_done_out;
    int64_t *ids_out;
} batch_job;

/* Frees what the batch holds outside its arena: its items and its ids. */
static void batch_release(batch_job *b)
{
    for (size_t i = 0; i < b->n; i++)
        core_op_free(b->items[i]);
    free(b->items);
    free(b->ids);
    b->items = NULL;
    b->ids = NULL;
    b->n = 0;
}

static void batch_free(batch_job *b)
{
    batch_release(b);
    core_op_free(b);
}

/* Each item in a savepoint nested in the job's own (SQLite nests savepoints of the same
 * name: ROLLBACK TO and RELEASE act on the innermost), so a refused item is undone alone. */
static int batch_apply(store *s, core_op *op, error *err)
{
    batch_job *b = (batch_job *)op;
    b->n_done = 0;
    for (size_t i = 0; i < b->n; i++) {
        error ierr;
        error_clear(&ierr);
        if (s->ops->tx.savepoint(s, err) != 0)
            return -1;
        if (change_apply_one(s, b->items[i], &ierr) == 0 && s->ops->tx.release(s, &ierr) == 0) {
            if (!b->items[i]->unchanged) /* a re-routing that found nothing to move */
                b->ids[b->n_done++] = b->items[i]->request_id;
            continue;
        }
        s->ops->tx.rollback_to(s);
        log_info("batch: request %s refused: %s", b->items[i]->reference, ierr.detail);
    }
    if (!b->n_done)
        return 0;
    return audit_change_tx(s, b->tenant_id, &b->who, "change", "request", b->ids, b->n_done, err);
}

/* Copies the outcome out and frees the items (core_op_free then frees the batch). */
static void batch_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    batch_job *b = (batch_job *)op;
    if (*rc == 0) {
        if (b->n_done_out)
            *b->n_done_out = b->n_done;
        if (b->ids_out)
            memcpy(b->ids_out, b->ids, b->n_done * sizeof *b->ids);
    }
    batch_release(b);
}

int request_batch_submit(core *c, const cat_tenant *t, const core_actor *who, change_job **jobs,
                         size_t n, size_t *n_done, int64_t *done_ids, core_done_fn cb, void *ctx,
                         error *err)
{
    if (n_done)
        *n_done = 0;
    batch_job *b = core_op_new(sizeof *b, batch_apply);
    if (!b) {
        for (size_t i = 0; i < n; i++)
            core_op_free(jobs[i]);
        free(jobs);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    b->op.finish = batch_finish;
    b->tenant_id = t->rec.id;
    b->items = jobs;
    b->n = n;
    b->ids = calloc(n ? n : 1, sizeof *b->ids);
    if (!b->ids || actor_copy(&b->op.a, who, &actor_system, &b->who, &b->who_agent) != 0) {
        batch_free(b);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    b->n_done_out = n_done;
    b->ids_out = done_ids;
    return core_op_submit(c, b, cb, ctx, err);
}

int request_process_many(core *c, const cat_tenant *t, const core_actor *who,
                         const request_batch_item *items, size_t n, size_t *n_done,
                         int64_t *done_ids, core_done_fn cb, void *ctx, error *err)
{
    change_job **jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        error ierr;
        error_clear(&ierr);
        change_job *j = process_prepare(c, t, items[i].reference, &items[i].p, who, &ierr);
        if (!j) {
            /* Refused at once (a bad value): skipped like one refused in the job. */
            if (ierr.code == ERR_INTERNAL) {
                *err = ierr;
                for (size_t m = 0; m < k; m++)
                    core_op_free(jobs[m]);
                free(jobs);
                return -1;
            }
            log_info("batch: request %s refused: %s", items[i].reference, ierr.detail);
            continue;
        }
        jobs[k++] = j;
    }
    return request_batch_submit(c, t, who, jobs, k, n_done, done_ids, cb, ctx, err);
}

int request_update(core *c, const cat_tenant *t, const char *reference, const request_change *ch,
                   core_done_fn cb, void *ctx, error *err)
{
    request_processing p = {.change = *ch};
    return request_process(c, t, reference, &p, cb, ctx, err);
}

int request_add_note(core *c, const cat_tenant *t, const char *reference, const char *body,
                     int is_public, const core_actor *who, channel ch, core_done_fn cb, void *ctx,
                     error *err)
{
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "body", "the note is empty");
    if (request_check_text(body, "body", 10000, 1, err) != 0)
        return -1;
    change_job *j = request_change_new(c, t, reference, who, ch, err);
    if (!j)
        return -1;
    j->kind = CHANGE_NOTE;
    j->body = arena_strdup(&j->op.a, body);
    j->is_public = is_public ? 1 : 0;
    if (!j->body) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

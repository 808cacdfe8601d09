/*
 * status_actions — the actions on entering a status, prepared on the caller's thread and run
 * in the change's write job.
 */
#include "core/status_actions.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/agent_notices.h"
#include "core/agent.h"
#include "core/document.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/parapheur.h"
#include "core/routing.h"
#include "core/sla.h"
#include "core/webhook.h"
#include "core/workflow_action.h"
#include "store/store.h"
#include "util/log.h"
#include "util/workdays.h"

/* A copy of s in a; NULL for NULL or "". */
static const char *dup_opt(arena *a, const char *s)
{
    return s && *s ? arena_strdup(a, s) : NULL;
}

static int has_kind(const cat_workflow *wf, workflow_action_kind k)
{
    for (size_t i = 0; wf && i < wf->n_actions; i++)
        if (wf->actions[i].kind == k)
            return 1;
    return 0;
}

int status_env_prepare(core *c, const cat_tenant *t, const cat_procedure *p,
                       const cat_workflow *wf_copy, const store_request *r,
                       const char *tracking_url, arena *a, status_env *env, error *err)
{
    memset(env, 0, sizeof *env);
    env->wf = wf_copy ? wf_copy : workflow_copy(a, p->workflow);
    env->procedure_name = arena_strdup(a, p->rec.name ? p->rec.name : "");
    env->procedure_name_en = dup_opt(a, p->rec.name_en);
    env->tracking_url = dup_opt(a, tracking_url);
    env->timezone = dup_opt(a, t->rec.timezone);
    char base[CORE_URL_MAX];
    env->agent_base = core_base_url(c, t, base, sizeof base) == 0 ? arena_strdup(a, base) : NULL;
    env->holidays = (int)sla_holidays(t);
    env->departments = arena_alloc(a, sizeof *env->departments * (t->n_departments + 1));
    if (!env->wf || !env->procedure_name || !env->departments)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < t->n_departments; i++) {
        status_department *d = &env->departments[env->n_departments++];
        d->id = t->departments[i].rec.id;
        d->code = arena_strdup(a, t->departments[i].rec.code);
        d->email = dup_opt(a, t->departments[i].rec.email);
        if (!d->code)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    if (!r || !has_kind(env->wf, WORKFLOW_ACTION_ASSIGN_BY_RULE))
        return 0;
    /* Evaluated now, from what the request holds: the move waits for the status entry. */
    routing_facts facts = {.procedure = p,
                           .attributes = r->attributes,
                           .has_location = r->has_location,
                           .lat = r->lat,
                           .lon = r->lon};
    routing_result res;
    if (routing_evaluate(c, t, &facts, &res, err) != 0)
        return -1;
    env->routed = 1;
    env->route_department_id = res.department_id;
    env->route_kind = routing_event_kind(res.source);
    env->route_body = res.rule ? arena_strdup(a, res.rule->name) : NULL;
    if (res.rule && !env->route_body)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

static const status_department *department(const status_env *env, int64_t id)
{
    for (size_t i = 0; i < env->n_departments; i++)
        if (env->departments[i].id == id)
            return &env->departments[i];
    return NULL;
}

static int add_event(store *s, const store_request *r, const status_entry *e, const char *kind,
                     const char *body, error *err)
{
    store_event ev = {.tenant_id = r->tenant_id,
                      .request_id = r->id,
                      .created_at = e->now,
                      .kind = kind,
                      .is_public = 0,
                      .actor = e->actor,
                      .channel = e->channel,
                      .body = body};
    return s->ops->events.tx_insert(s, &ev, NULL, err);
}

/* The action's event: its kind's name, "_skipped" after it when it had nothing to do. */
static int action_event(store *s, const store_request *r, const status_entry *e,
                        const cat_action *act, int skipped, error *err)
{
    char body[48];
    snprintf(body, sizeof body, "%s%s", workflow_action_kind_name(act->kind),
             skipped ? "_skipped" : "");
    return add_event(s, r, e, STATUS_ACTION_EVENT, body, err);
}

static void set_opt(json_t *o, const char *key, const char *value)
{
    if (value && *value)
        json_object_set_new(o, key, json_string(value));
}

/* notify_citizen: the request_status message, in the request's language, on the channel the
 * citizen chose for news (e-mail or SMS: outbox_citizen_channel); 1 in *sent when queued. */
static int notify_citizen(store *s, arena *a, const status_env *env, const store_request *r,
                          const status_entry *e, const cat_action *act, int *sent, error *err)
{
    *sent = 0;
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!via)
        return 0;
    lang l = r->lang && strcmp(r->lang, "en") == 0 ? LANG_EN : LANG_FR;
    const char *status = workflow_citizen_label(env->wf, r->status, l);
    const char *procedure =
        l == LANG_EN && env->procedure_name_en ? env->procedure_name_en : env->procedure_name;
    const char *text = l == LANG_EN && act->text_en ? act->text_en : act->text;
    json_t *params = json_object();
    set_opt(params, "reference", r->reference);
    set_opt(params, "procedure", procedure);
    set_opt(params, "status_label", status);
    set_opt(params, "note", e->note);
    set_opt(params, "tracking_url", env->tracking_url);
    if (text) {
        const char *msg =
            workflow_action_text(a, text, r->reference, status, procedure, env->tracking_url);
        if (!msg) {
            json_decref(params);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
        set_opt(params, "message", msg);
    }
    int rc = outbox_add_tx(s, r->tenant_id, via, to, "request_status", params,
                           l == LANG_EN ? "en" : "fr", r->id, err);
    json_decref(params);
    *sent = rc == 0;
    return rc;
}

static int in_department(const store_agent *ag, int64_t department_id)
{
    for (size_t i = 0; i < ag->n_departments; i++)
        if (ag->department_ids[i] == department_id)
            return 1;
    return 0;
}

/* notify_department: the department_status e-mail to the department's address, else to its
 * active agents; reference, procedure and status only (no personal data). *sent: how many. */
static int notify_department(store *s, arena *a, const status_env *env, const store_request *r,
                             size_t *sent, error *err)
{
    *sent = 0;
    const status_department *d = department(env, r->department_id);
    if (!d)
        return 0;
    json_t *params =
        json_pack("{s:s, s:s, s:s}", "reference", r->reference, "procedure", env->procedure_name,
                  "status_label", workflow_agent_label(env->wf, r->status, LANG_FR));
    if (!params || agent_link_put(params, "link", env->agent_base, r->reference) != 0) {
        json_decref(params);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    int rc = 0;
    if (d->email && outbox_email_ok(d->email)) {
        rc = outbox_add_tx(s, r->tenant_id, "email", d->email, "department_status", params, "fr",
                           r->id, err);
        *sent = rc == 0;
    } else {
        store_agent *agents = NULL;
        size_t n = 0;
        rc = s->ops->agents.list(s, r->tenant_id, a, &agents, &n, err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (!agents[i].active || !outbox_email_ok(agents[i].email) ||
                !in_department(&agents[i], d->id))
                continue;
            rc = outbox_add_tx(s, r->tenant_id, "email", agents[i].email, "department_status",
                               params, "fr", r->id, err);
            *sent += rc == 0;
        }
    }
    json_decref(params);
    return rc;
}

/* assign_by_rule: the department the rules gave when the job was made, with the events
 * «re-router» writes; 0 in *moved when it is the request's already (or none). */
static int assign_by_rule(store *s, const status_env *env, store_request *r, const status_entry *e,
                          int *moved, error *err)
{
    *moved = 0;
    const status_department *d = env->routed ? department(env, env->route_department_id) : NULL;
    if (!d || d->id == r->department_id)
        return 0;
    if (add_event(s, r, e, "department", d->code, err) != 0 ||
        (env->route_kind && add_event(s, r, e, env->route_kind, env->route_body, err) != 0))
        return -1;
    r->department_id = d->id;
    *moved = 1;
    return 0;
}

/* Whether the entry is a timeout's jump whose silence means a decision. */
static int is_silence(const status_entry *e)
{
    return e->silence && strcmp(e->silence, "none") != 0;
}

/* generate_document: the job that draws the template and issues the document right after
 * this commit (core/document_generate.c), keyed by the entry so that entering the status again
 * later makes another; 0 in *scheduled when the action waits for a silence that this entry is
 * not. */
static int generate_document(store *s, arena *a, const status_env *env, const store_request *r,
                             const status_entry *e, const cat_action *act, int *scheduled,
                             error *err)
{
    int silence = is_silence(e);
    *scheduled = 0;
    const char *key = arena_printf(a, "%.64s:%d:%lld", r->status, act->position, (long long)e->now);
    json_t *payload = json_pack("{s:s, s:b, s:I}", "template", act->tpl ? act->tpl : "",
                                "citizen_visible", act->citizen_visible, "decided_at",
                                (json_int_t)(silence && e->silence_at ? e->silence_at : e->now));
    if (!key || !payload ||
        (env->tracking_url &&
         json_object_set_new(payload, "tracking_url", json_string(env->tracking_url)) != 0)) {
        json_decref(payload);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    int rc = jobs_schedule_tx(s, r->tenant_id, r->id, DOCUMENT_GENERATE_KIND, key, e->now, payload,
                              NULL, err);
    json_decref(payload);
    *scheduled = rc == 0;
    return rc;
}

/* One action; *skipped when it had nothing to do. */
static int run_one(store *s, arena *a, const status_env *env, store_request *r,
                   const status_entry *e, const cat_action *act, int *skipped, int *citizen_told,
                   error *err)
{
    *skipped = 0;
    switch (act->kind) {
    case WORKFLOW_ACTION_NOTIFY_CITIZEN: {
        int sent = 0;
        if (notify_citizen(s, a, env, r, e, act, &sent, err) != 0)
            return -1;
        *skipped = !sent;
        *citizen_told |= sent;
        return 0;
    }
    case WORKFLOW_ACTION_NOTIFY_DEPARTMENT: {
        size_t sent = 0;
        if (notify_department(s, a, env, r, &sent, err) != 0)
            return -1;
        *skipped = !sent;
        return 0;
    }
    case WORKFLOW_ACTION_ASSIGN_BY_RULE: {
        int moved = 0;
        if (assign_by_rule(s, env, r, e, &moved, err) != 0)
            return -1;
        *skipped = !moved;
        return 0;
    }
    case WORKFLOW_ACTION_SET_DUE_DATE:
        r->due_at = workdays_due_at(e->now, env->timezone, act->days,
                                    act->working ? WORKDAYS_WORKING : WORKDAYS_CALENDAR,
                                    (workdays_region)env->holidays);
        return 0;
    case WORKFLOW_ACTION_ASK_CITIZEN:
        /* The status itself says the request waits for the citizen (workflow_ask_citizen);
         * the message is the move's comment, which the transition required. */
        return 0;
    case WORKFLOW_ACTION_SEND_FOR_SIGNATURE: {
        int sent = 0;
        if (parapheur_action_tx(s, r, act->signers, e->actor, e->channel, e->now, &sent, err) != 0)
            return -1;
        *skipped = !sent;
        return 0;
    }
    case WORKFLOW_ACTION_WEBHOOK: {
        size_t n = 0;
        if (webhook_emit_to_tx(s, r, "request.entered_status", act->url, e->now, &n, err) != 0)
            return -1;
        if (!n)
            log_info("workflow action: no active webhook subscription at the address named on "
                     "status %s of request %s",
                     r->status, r->reference);
        *skipped = !n;
        return 0;
    }
    case WORKFLOW_ACTION_GENERATE_DOCUMENT: {
        int scheduled = 0;
        if (generate_document(s, a, env, r, e, act, &scheduled, err) != 0)
            return -1;
        *skipped = !scheduled;
        return 0;
    }
    }
    return 0;
}

int status_actions_run_tx(store *s, const status_env *env, store_request *r, const status_entry *e,
                          int *citizen_told, error *err)
{
    const cat_action *acts[WORKFLOW_ACTIONS_MAX];
    size_t n =
        env && env->wf ? workflow_actions_on(env->wf, r->status, acts, WORKFLOW_ACTIONS_MAX) : 0;
    int told = 0, rc = 0;
    arena a;
    arena_init(&a, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* An attestation of an implicit decision is for a silence only: any other entry is
         * not its occasion, and the timeline says nothing of it. */
        if (acts[i]->silence_only && !is_silence(e))
            continue;
        int skipped = 0;
        rc = run_one(s, &a, env, r, e, acts[i], &skipped, &told, err);
        if (rc == 0)
            rc = action_event(s, r, e, acts[i], skipped, err);
    }
    arena_free(&a);
    if (citizen_told && told)
        *citizen_told = 1;
    return rc;
}

/*
 * workflow_edit — workflows changed by administrators (see workflow_edit.h): checks, the
 * definition as JSON and the changes between two definitions, the save and its version, the
 * duplicate, and a procedure moved to another workflow with its requests.
 */
#include "core/workflow_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/letter_tpl.h"
#include "core/workflow_action.h"
#include "core/workflow_timeout.h"
#include "store/store.h"
#include "util/timeutil.h"

static int too_long(const char *s)
{
    return s && strlen(s) > WORKFLOW_EDIT_TEXT_MAX;
}

size_t workflow_edit_check(const cat_workflow *wf, workflow_problem *out, size_t max)
{
    size_t n = workflow_check(wf, out, max);
    const workflow_problem extra[] = {
        {"too_many_statuses", NULL, NULL},
        {"too_many_transitions", NULL, NULL},
    };
    if (wf->n_statuses > WORKFLOW_EDIT_STATUSES_MAX && n++ < max)
        out[n - 1] = extra[0];
    if (wf->n_transitions > WORKFLOW_EDIT_TRANSITIONS_MAX && n++ < max)
        out[n - 1] = extra[1];
    if (wf->n_actions > WORKFLOW_EDIT_ACTIONS_MAX && n++ < max)
        out[n - 1] = (workflow_problem){"too_many_actions", NULL, NULL};
    if (wf->n_timeouts > WORKFLOW_EDIT_TIMEOUTS_MAX && n++ < max)
        out[n - 1] = (workflow_problem){"too_many_timeouts", NULL, NULL};
    /* workflow_action_check leaves this one to whoever holds the whole list. */
    for (size_t i = 0; i < wf->n_actions; i++) {
        const cat_action *x = &wf->actions[i];
        if (x->kind != WORKFLOW_ACTION_ASK_CITIZEN || workflow_ask_citizen(wf, x->status) == x)
            continue;
        if (n++ < max)
            out[n - 1] = (workflow_problem){"action_ask_twice", x->status, NULL};
    }
    if ((too_long(wf->rec.name) || too_long(wf->rec.name_en)) && n++ < max)
        out[n - 1] = (workflow_problem){"name_long", NULL, NULL};
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        if ((too_long(s->agent_label) || too_long(s->agent_label_en) ||
             too_long(s->citizen_label) || too_long(s->citizen_label_en)) &&
            n++ < max)
            out[n - 1] = (workflow_problem){"status_long", s->code, NULL};
    }
    for (size_t i = 0; i < wf->n_transitions; i++) {
        const store_workflow_transition *t = &wf->transitions[i].rec;
        if ((too_long(t->label) || too_long(t->label_en)) && n++ < max)
            out[n - 1] = (workflow_problem){"transition_long", t->from_code, t->to_code};
    }
    return n;
}

size_t workflow_edit_check_transitions(const cat_workflow *wf, workflow_problem *out, size_t max)
{
    size_t n = workflow_edit_check(wf, out, max);
    size_t shown = n < max ? n : max;
    return n + workflow_check_reachable(wf, out ? out + shown : NULL, max - shown);
}

/* ---- the definition and its changes ---- */

static void set_opt(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static json_t *roles_json(const char *roles)
{
    json_t *list = json_array();
    for (const char *p = roles ? roles : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (n)
            json_array_append_new(list, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return list;
}

/* The actions on entering status `code`, in order: [{"kind", "params"}]; NULL when none. */
static json_t *actions_json(const cat_workflow *wf, const char *code)
{
    json_t *list = NULL;
    for (size_t i = 0; i < wf->n_actions; i++) {
        const cat_action *a = &wf->actions[i];
        if (strcmp(a->status, code) != 0)
            continue;
        if (!list)
            list = json_array();
        json_t *x = json_object();
        json_object_set_new(x, "kind", json_string(workflow_action_kind_name(a->kind)));
        json_object_set_new(x, "params", workflow_action_params_json(a));
        json_array_append_new(list, x);
    }
    return list;
}

/* The timeouts of status `code`, in order, with the members their kind uses; NULL when
 * none. */
static json_t *timeouts_json(const cat_workflow *wf, const char *code)
{
    json_t *list = NULL;
    for (size_t i = 0; i < wf->n_timeouts; i++) {
        const store_workflow_timeout *t = &wf->timeouts[i];
        if (strcmp(t->status_code, code) != 0)
            continue;
        if (!list)
            list = json_array();
        json_t *x = json_object();
        json_object_set_new(x, "delay", json_integer(t->delay));
        set_opt(x, "unit", t->unit);
        set_opt(x, "kind", t->kind);
        if (t->kind && strcmp(t->kind, "jump") == 0) {
            set_opt(x, "target", t->target);
            set_opt(x, "meaning", t->meaning ? t->meaning : "none");
            json_object_set_new(x, "warn_before", json_integer(t->warn_before));
        } else {
            set_opt(x, "whom", t->whom);
            json_object_set_new(x, "repeat_days", json_integer(t->repeat_days));
            json_object_set_new(x, "repeat_times", json_integer(t->repeat_times));
        }
        json_array_append_new(list, x);
    }
    return list;
}

json_t *workflow_edit_json(const cat_workflow *wf)
{
    json_t *o = json_object(), *sts = json_array(), *trs = json_array();
    if (!o || !sts || !trs) {
        json_decref(o);
        json_decref(sts);
        json_decref(trs);
        return NULL;
    }
    set_opt(o, "code", wf->rec.code);
    set_opt(o, "name", wf->rec.name);
    set_opt(o, "name_en", wf->rec.name_en);
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        json_t *x = json_object();
        set_opt(x, "code", s->code);
        set_opt(x, "agent_label", s->agent_label);
        set_opt(x, "agent_label_en", s->agent_label_en);
        set_opt(x, "citizen_label", s->citizen_label);
        set_opt(x, "citizen_label_en", s->citizen_label_en);
        set_opt(x, "colour", s->colour);
        set_opt(x, "open311", s->open311_closed ? "closed" : "open");
        set_opt(x, "extended_status", s->extended_status);
        json_object_set_new(x, "citizen_visible", json_boolean(s->citizen_visible));
        json_object_set_new(x, "final", json_boolean(s->is_final));
        json_object_set_new(x, "initial", json_boolean(s->is_initial));
        set_opt(x, "reopen_to", s->reopen_to);
        json_t *acts = actions_json(wf, s->code), *tos = timeouts_json(wf, s->code);
        if (acts)
            json_object_set_new(x, "actions", acts);
        if (tos)
            json_object_set_new(x, "timeouts", tos);
        json_array_append_new(sts, x);
    }
    for (size_t i = 0; i < wf->n_transitions; i++) {
        const store_workflow_transition *t = &wf->transitions[i].rec;
        json_t *x = json_object();
        set_opt(x, "from", t->from_code);
        set_opt(x, "to", t->to_code);
        set_opt(x, "label", t->label);
        set_opt(x, "label_en", t->label_en);
        json_object_set_new(x, "roles", roles_json(t->roles));
        json_object_set_new(x, "comment_required", json_boolean(t->comment_required));
        json_array_append_new(trs, x);
    }
    json_object_set_new(o, "statuses", sts);
    json_object_set_new(o, "transitions", trs);
    return o;
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static void change(json_t *list, size_t *more, const char *k, const char *a, const char *b)
{
    if (json_array_size(list) >= WORKFLOW_SUMMARY_MAX) {
        (*more)++;
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "k", json_string(k));
    set_opt(o, "a", a);
    set_opt(o, "b", b);
    json_array_append_new(list, o);
}

static int status_same_flags(const store_workflow_status *x, const store_workflow_status *y)
{
    return same(x->colour, y->colour) && x->open311_closed == y->open311_closed &&
           same(x->extended_status, y->extended_status) &&
           !x->citizen_visible == !y->citizen_visible && !x->is_final == !y->is_final &&
           !x->is_initial == !y->is_initial && same(x->reopen_to, y->reopen_to);
}

static int status_same_labels(const store_workflow_status *x, const store_workflow_status *y)
{
    return same(x->agent_label, y->agent_label) && same(x->agent_label_en, y->agent_label_en) &&
           same(x->citizen_label, y->citizen_label) &&
           same(x->citizen_label_en, y->citizen_label_en);
}

static int transition_same(const store_workflow_transition *x, const store_workflow_transition *y)
{
    return same(x->label, y->label) && same(x->label_en, y->label_en) && same(x->roles, y->roles) &&
           !x->comment_required == !y->comment_required;
}

static int action_same(const cat_action *x, const cat_action *y)
{
    return same(x->text, y->text) && same(x->text_en, y->text_en) && x->days == y->days &&
           !x->working == !y->working && same(x->return_to, y->return_to) && same(x->url, y->url) &&
           same(x->tpl, y->tpl) && !x->citizen_visible == !y->citizen_visible &&
           !x->silence_only == !y->silence_only;
}

static int timeout_same(const store_workflow_timeout *x, const store_workflow_timeout *y)
{
    return x->delay == y->delay && same(x->unit, y->unit) && same(x->target, y->target) &&
           same(x->meaning, y->meaning) && same(x->whom, y->whom) &&
           x->repeat_days == y->repeat_days && x->repeat_times == y->repeat_times &&
           x->warn_before == y->warn_before;
}

/* The rank-th (from 0) action of `kind` on status `code` in wf; NULL when fewer. */
static const cat_action *action_ranked(const cat_workflow *wf, const char *code,
                                       workflow_action_kind kind, size_t rank)
{
    for (size_t i = 0; i < wf->n_actions; i++)
        if (wf->actions[i].kind == kind && same(wf->actions[i].status, code) && rank-- == 0)
            return &wf->actions[i];
    return NULL;
}

static const store_workflow_timeout *timeout_ranked(const cat_workflow *wf, const char *code,
                                                    const char *kind, size_t rank)
{
    for (size_t i = 0; i < wf->n_timeouts; i++)
        if (same(wf->timeouts[i].kind, kind) && same(wf->timeouts[i].status_code, code) &&
            rank-- == 0)
            return &wf->timeouts[i];
    return NULL;
}

/* The actions of status y (kept from x) added, removed or changed: each matched with the
 * one of the same kind and rank on the other side. */
/* 1 when status code's actions run in another order in after than in before, the same
 * kinds on both sides. */
static int actions_reordered(const cat_workflow *before, const cat_workflow *after,
                             const char *code)
{
    size_t i = 0, k = 0;
    int moved = 0;
    for (;;) {
        while (i < before->n_actions && !same(before->actions[i].status, code))
            i++;
        while (k < after->n_actions && !same(after->actions[k].status, code))
            k++;
        if (i == before->n_actions || k == after->n_actions)
            return moved && i == before->n_actions && k == after->n_actions;
        moved |= before->actions[i].kind != after->actions[k].kind;
        i++;
        k++;
    }
}

static void actions_diff(json_t *list, size_t *more, const cat_workflow *before,
                         const cat_workflow *after, const store_workflow_status *y)
{
    if (actions_reordered(before, after, y->code))
        change(list, more, "actions_reordered", y->agent_label, NULL);
    for (size_t i = 0; i < after->n_actions; i++) {
        const cat_action *n = &after->actions[i];
        if (!same(n->status, y->code))
            continue;
        size_t rank = 0;
        for (size_t k = 0; k < i; k++)
            rank += after->actions[k].kind == n->kind && same(after->actions[k].status, y->code);
        const cat_action *o = action_ranked(before, y->code, n->kind, rank);
        const char *kind = workflow_action_kind_name(n->kind);
        if (!o)
            change(list, more, "action_added", y->agent_label, kind);
        else if (!action_same(o, n))
            change(list, more, "action_changed", y->agent_label, kind);
    }
    for (size_t i = 0; i < before->n_actions; i++) {
        const cat_action *o = &before->actions[i];
        if (!same(o->status, y->code))
            continue;
        size_t rank = 0;
        for (size_t k = 0; k < i; k++)
            rank += before->actions[k].kind == o->kind && same(before->actions[k].status, y->code);
        if (!action_ranked(after, y->code, o->kind, rank))
            change(list, more, "action_removed", y->agent_label,
                   workflow_action_kind_name(o->kind));
    }
}

static void timeouts_diff(json_t *list, size_t *more, const cat_workflow *before,
                          const cat_workflow *after, const store_workflow_status *y)
{
    for (size_t i = 0; i < after->n_timeouts; i++) {
        const store_workflow_timeout *n = &after->timeouts[i];
        if (!same(n->status_code, y->code))
            continue;
        size_t rank = 0;
        for (size_t k = 0; k < i; k++)
            rank += same(after->timeouts[k].kind, n->kind) &&
                    same(after->timeouts[k].status_code, y->code);
        const store_workflow_timeout *o = timeout_ranked(before, y->code, n->kind, rank);
        if (!o)
            change(list, more, "timeout_added", y->agent_label, n->kind);
        else if (!timeout_same(o, n))
            change(list, more, "timeout_changed", y->agent_label, n->kind);
    }
    for (size_t i = 0; i < before->n_timeouts; i++) {
        const store_workflow_timeout *o = &before->timeouts[i];
        if (!same(o->status_code, y->code))
            continue;
        size_t rank = 0;
        for (size_t k = 0; k < i; k++)
            rank += same(before->timeouts[k].kind, o->kind) &&
                    same(before->timeouts[k].status_code, y->code);
        if (!timeout_ranked(after, y->code, o->kind, rank))
            change(list, more, "timeout_removed", y->agent_label, o->kind);
    }
}

json_t *workflow_edit_diff(const cat_workflow *before, const cat_workflow *after)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    size_t more = 0;
    if (!same(before->rec.name, after->rec.name) || !same(before->rec.name_en, after->rec.name_en))
        change(list, &more, "name_changed", after->rec.name, NULL);
    /* The kept statuses in their new order against their old one. */
    int reordered = 0;
    size_t kept = 0;
    for (size_t i = 0; i < after->n_statuses; i++) {
        const store_workflow_status *y = &after->statuses[i];
        const store_workflow_status *x = workflow_status(before, y->code);
        if (!x) {
            change(list, &more, "status_added", y->agent_label, NULL);
            continue;
        }
        while (kept < before->n_statuses && !workflow_status(after, before->statuses[kept].code))
            kept++;
        if (kept < before->n_statuses && &before->statuses[kept] != x)
            reordered = 1;
        kept++;
        if (!status_same_labels(x, y))
            change(list, &more, "status_renamed", x->agent_label, y->agent_label);
        if (!status_same_flags(x, y))
            change(list, &more, "status_changed", y->agent_label, NULL);
        actions_diff(list, &more, before, after, y);
        timeouts_diff(list, &more, before, after, y);
    }
    for (size_t i = 0; i < before->n_statuses; i++)
        if (!workflow_status(after, before->statuses[i].code))
            change(list, &more, "status_removed", before->statuses[i].agent_label, NULL);
    if (reordered)
        change(list, &more, "statuses_reordered", NULL, NULL);
    for (size_t i = 0; i < after->n_transitions; i++) {
        const store_workflow_transition *y = &after->transitions[i].rec;
        const cat_transition *x = workflow_transition(before, y->from_code, y->to_code);
        if (!x)
            change(list, &more, "transition_added", y->from_code, y->to_code);
        else if (!transition_same(&x->rec, y))
            change(list, &more, "transition_changed", y->from_code, y->to_code);
    }
    for (size_t i = 0; i < before->n_transitions; i++) {
        const store_workflow_transition *x = &before->transitions[i].rec;
        if (!workflow_transition(after, x->from_code, x->to_code))
            change(list, &more, "transition_removed", x->from_code, x->to_code);
    }
    if (more) {
        char n[24];
        snprintf(n, sizeof n, "%zu", more);
        json_t *o = json_object();
        json_object_set_new(o, "k", json_string("more"));
        json_object_set_new(o, "a", json_null());
        json_object_set_new(o, "b", json_string(n));
        json_array_append_new(list, o);
    }
    return list;
}

/* json as compact text in a; NULL when out of memory. */
static const char *dump_in(arena *a, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    const char *copy = text ? arena_strdup(a, text) : NULL;
    free(text);
    json_decref(json);
    return copy;
}

/* ---- saving a workflow ---- */

/* wf's actions as rows, their parameters written back as workflow_action_check read them. */
static int write_actions(store *s, const cat_workflow *wf, error *err)
{
    store_workflow_action *rows = calloc(wf->n_actions + 1, sizeof *rows);
    char **texts = calloc(wf->n_actions + 1, sizeof *texts);
    int rc = rows && texts ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < wf->n_actions; i++) {
        json_t *params = workflow_action_params_json(&wf->actions[i]);
        texts[i] = params ? json_dumps(params, JSON_COMPACT) : NULL;
        json_decref(params);
        if (!texts[i])
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
        rows[i] = (store_workflow_action){.workflow_id = wf->rec.id,
                                          .status_code = wf->actions[i].status,
                                          .position = wf->actions[i].position,
                                          .kind = workflow_action_kind_name(wf->actions[i].kind),
                                          .params = texts[i]};
    }
    if (rc == 0)
        rc = s->ops->workflows.tx_actions_replace(s, wf->rec.id, rows, wf->n_actions, err);
    for (size_t i = 0; texts && i < wf->n_actions; i++)
        free(texts[i]);
    free(texts);
    free(rows);
    return rc;
}

int workflow_edit_tx_write(store *s, const cat_workflow *wf, int version, const char *definition,
                           const char *by, const char *summary, error *err)
{
    store_workflow_status *sts = calloc(wf->n_statuses + 1, sizeof *sts);
    store_workflow_transition *trs = calloc(wf->n_transitions + 1, sizeof *trs);
    int rc = -1;
    if (!sts || !trs) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < wf->n_statuses; i++)
        sts[i] = wf->statuses[i];
    for (size_t i = 0; i < wf->n_transitions; i++)
        trs[i] = wf->transitions[i].rec;
    store_workflow_version v = {.workflow_id = wf->rec.id,
                                .version = version,
                                .definition = definition,
                                .created_by = by,
                                .summary = summary};
    /* Actions and timeouts refer to their status: cleared before a status may go, then
     * written as wf has them. */
    if (s->ops->workflows.tx_actions_replace(s, wf->rec.id, NULL, 0, err) != 0 ||
        s->ops->workflows.tx_timeouts_replace(s, wf->rec.id, NULL, 0, err) != 0 ||
        s->ops->workflows.tx_replace(s, &wf->rec, sts, wf->n_statuses, trs, wf->n_transitions,
                                     err) != 0 ||
        write_actions(s, wf, err) != 0 ||
        s->ops->workflows.tx_timeouts_replace(s, wf->rec.id, wf->timeouts, wf->n_timeouts, err) !=
            0 ||
        s->ops->workflows.tx_version_add(s, &v, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(trs);
    free(sts);
    return rc;
}

typedef struct save_arg {
    const cat_workflow *edited;
    int seen;
    const char *before_json; /* the definition saved as version 1 when there is none yet */
    const char *after_json, *summary;
    char by[32];
    /* For the requests waiting under a timeout whose delay changes: the workflow as it was,
     * and the collectivité's calendar their new times are counted in. */
    const cat_workflow *before;
    const char *tz;
    int holidays;
} save_arg;

/* Refuses (ERR_CONFLICT "status") when a status of workflow_id that requests are in is not
 * among wf's. */
static int check_in_use_tx(store *s, int64_t tenant_id, const cat_workflow *wf, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_status_count *counts = NULL;
    size_t n = 0;
    int rc = s->ops->workflows.tx_status_counts(s, tenant_id, wf->rec.id, 0, &a, &counts, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (counts[i].n > 0 && !workflow_status(wf, counts[i].status))
            rc = error_set(err, ERR_CONFLICT, "status", "%s %lld", counts[i].status,
                           (long long)counts[i].n);
    arena_free(&a);
    return rc;
}

static int apply_save(store *s, void *arg, int64_t *id, error *err)
{
    save_arg *sa = arg;
    const cat_workflow *wf = sa->edited;
    int last = 0;
    if (s->ops->workflows.tx_last_version(s, wf->rec.id, &last, err) != 0)
        return -1;
    if (last != sa->seen)
        return error_set(err, ERR_CONFLICT, "version", "the workflow was saved meanwhile");
    if (check_in_use_tx(s, wf->rec.tenant_id, wf, err) != 0)
        return -1;
    if (last == 0) {
        store_workflow_version first = {
            .workflow_id = wf->rec.id, .version = 1, .definition = sa->before_json};
        if (s->ops->workflows.tx_version_add(s, &first, err) != 0)
            return -1;
        last = 1;
    }
    if (workflow_edit_tx_write(s, wf, last + 1, sa->after_json, sa->by, sa->summary, err) != 0 ||
        workflow_timeouts_reschedule_tx(s, sa->before, wf, sa->tz,
                                        sa->holidays ? WORKDAYS_ALSACE_MOSELLE : WORKDAYS_FRANCE,
                                        time_now(), err) != 0)
        return -1;
    *id = wf->rec.id;
    return 0;
}

static const change_def save_change = {"admin", "workflow", apply_save, 1};

static const cat_workflow *workflow_by_id(const cat_tenant *t, int64_t id)
{
    for (size_t i = 0; t && i < t->n_workflows; i++)
        if (t->workflows[i].rec.id == id)
            return &t->workflows[i];
    return NULL;
}

/* Who a version names: the actor's audit label ("agent:12", "cli"), at most 31 bytes. */
static void author(const core_actor *who, char out[32])
{
    arena a;
    arena_init(&a, 0);
    const char *label = actor_audit_label(who, &a);
    snprintf(out, 32, "%s", label ? label : "system");
    arena_free(&a);
}

int workflow_edit_template_known(core *c, int64_t tenant_id, const char *name, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_letter_template tpl;
    int found = 0;
    int rc = letter_tpl_find(c, tenant_id, name, &a, &tpl, &found, err);
    arena_free(&a);
    if (rc != 0)
        return -1;
    return found ? 0
                 : error_set(err, ERR_INVALID_ARG, "template", "no letter template named %.100s",
                             name ? name : "");
}

int workflow_edit_save(core *c, const core_actor *who, const cat_tenant *t,
                       const cat_workflow *edited, int seen, core_done_fn cb, void *ctx, error *err)
{
    const cat_workflow *before = workflow_by_id(t, edited->rec.id);
    if (!before || edited->rec.tenant_id != t->rec.id)
        return error_set(err, ERR_NOT_FOUND, "workflow", "no such workflow");
    if (workflow_edit_check(edited, NULL, 0) != 0)
        return error_set(err, ERR_INVALID_ARG, "workflow", "the workflow breaks a rule");
    /* A template named by a document action must exist when the workflow is saved; deleted
     * later, the action's run says so (core/document_generate.c). */
    for (size_t i = 0; i < edited->n_actions; i++)
        if (edited->actions[i].kind == WORKFLOW_ACTION_GENERATE_DOCUMENT &&
            workflow_edit_template_known(c, t->rec.id, edited->actions[i].tpl, err) != 0)
            return -1;
    save_arg sa = {.edited = edited, .seen = seen};
    author(who, sa.by);
    save_arg *copy = NULL;
    void *op =
        change_prepare(c, who, t->rec.id, &save_change, &sa, sizeof sa, NULL, (void **)&copy, err);
    if (!op)
        return -1;
    /* Computed now, in the job's own arena: the texts outlive the caller's snapshot. */
    arena *a = &((core_op *)op)->a;
    copy->before_json = dump_in(a, workflow_edit_json(before));
    copy->after_json = dump_in(a, workflow_edit_json(edited));
    copy->summary = dump_in(a, workflow_edit_diff(before, edited));
    copy->edited = workflow_copy(a, edited);
    copy->before = workflow_copy(a, before);
    copy->tz = t->rec.timezone ? arena_strdup(a, t->rec.timezone) : NULL;
    copy->holidays = t->branding.holidays;
    if (!copy->before_json || !copy->after_json || !copy->summary || !copy->edited ||
        !copy->before || (t->rec.timezone && !copy->tz)) {
        core_op_free(op);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, op, cb, ctx, err);
}

/* ---- duplicating one ---- */

typedef struct dup_arg {
    const cat_workflow *copy; /* the source with the new code and name, in the op's arena */
    const char *definition, *summary;
    char by[32];
} dup_arg;

static int apply_duplicate(store *s, void *arg, int64_t *id, error *err)
{
    dup_arg *da = arg;
    cat_workflow wf = *da->copy;
    if (s->ops->workflows.tx_create(s, &wf.rec, &wf.rec.id, err) != 0) {
        if (err->code == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "code", "taken");
        return -1;
    }
    if (workflow_edit_tx_write(s, &wf, 1, da->definition, da->by, da->summary, err) != 0)
        return -1;
    *id = wf.rec.id;
    return 0;
}

static const change_def duplicate_change = {"admin", "workflow", apply_duplicate, 1};

int workflow_edit_duplicate(core *c, const core_actor *who, const cat_tenant *t,
                            const char *from_code, const char *code, const char *name,
                            int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    const cat_workflow *from = workflow_by_code(t, from_code);
    if (!from)
        return error_set(err, ERR_NOT_FOUND, "workflow", "no such workflow");
    if (!code || !*code)
        return error_set(err, ERR_INVALID_ARG, "code", "missing");
    if (!workflow_code_valid(code))
        return error_set(err, ERR_INVALID_ARG, "code", "invalid");
    if (workflow_by_code(t, code))
        return error_set(err, ERR_CONFLICT, "code", "taken");
    if (!name || !*name)
        return error_set(err, ERR_INVALID_ARG, "name", "missing");
    if (too_long(name))
        return error_set(err, ERR_INVALID_ARG, "name", "long");
    dup_arg da = {0};
    author(who, da.by);
    dup_arg *copy = NULL;
    void *op = change_prepare(c, who, t->rec.id, &duplicate_change, &da, sizeof da, id_out,
                              (void **)&copy, err);
    if (!op)
        return -1;
    arena *a = &((core_op *)op)->a;
    cat_workflow *wf = workflow_copy(a, from);
    if (wf) {
        wf->rec.id = 0;
        wf->rec.code = arena_strdup(a, code);
        wf->rec.name = arena_strdup(a, name);
        wf->rec.name_en = NULL;
    }
    json_t *summary = json_array();
    json_t *one = json_pack("{s:s, s:s, s:n}", "k", "duplicated", "a", from_code, "b");
    if (summary && one)
        json_array_append(summary, one);
    json_decref(one);
    copy->copy = wf;
    copy->definition =
        wf && wf->rec.code && wf->rec.name ? dump_in(a, workflow_edit_json(wf)) : NULL;
    copy->summary = dump_in(a, summary);
    if (!copy->copy || !copy->definition || !copy->summary) {
        core_op_free(op);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, op, cb, ctx, err);
}

/* ---- reads ---- */

int workflow_edit_counts(core *c, int64_t tenant_id, int64_t workflow_id, int64_t procedure_id,
                         arena *a, store_status_count **out, size_t *n, error *err)
{
    store *s = c->store;
    return s->ops->workflows.status_counts(s, tenant_id, workflow_id, procedure_id, a, out, n, err);
}

int workflow_edit_versions(core *c, int64_t tenant_id, int64_t workflow_id, arena *a,
                           store_workflow_version **out, size_t *n, error *err)
{
    store *s = c->store;
    return s->ops->workflows.versions(s, tenant_id, workflow_id, a, out, n, err);
}

int workflow_edit_version(core *c, int64_t tenant_id, int64_t workflow_id, int version, arena *a,
                          store_workflow_version *out, int *found, error *err)
{
    store *s = c->store;
    return s->ops->workflows.version_get(s, tenant_id, workflow_id, version, a, out, found, err);
}

/* ---- a procedure moved to another workflow ---- */

typedef struct assign_arg {
    int64_t tenant_id, procedure_id;
    const cat_workflow *to;      /* in the op's arena */
    const workflow_mapping *map; /* in the op's arena */
    size_t n_map;
    const char *actor; /* the events' actor label, in the op's arena */
    core_actor who;    /* the requests' audit entry's, its strings in the op's arena */
    store_agent agent_room;
} assign_arg;

/* Where requests in status `from` go: from itself when `to` has it, else the mapping's
 * target; NULL when there is none. */
static const char *target_of(const cat_workflow *to, const workflow_mapping *map, size_t n,
                             const char *from)
{
    if (workflow_status(to, from))
        return from;
    for (size_t i = 0; i < n; i++)
        if (same(map[i].from, from) && workflow_status(to, map[i].to))
            return map[i].to;
    return NULL;
}

/* Checks counts against `to` and the mapping: 0, or ERR_INVALID_ARG "map" (detail: a status
 * left without a target) or "count". */
static int check_moves(const cat_workflow *to, const workflow_mapping *map, size_t n,
                       const store_status_count *counts, size_t n_counts, error *err)
{
    int64_t moving = 0;
    for (size_t i = 0; i < n_counts; i++) {
        if (workflow_status(to, counts[i].status))
            continue;
        if (!target_of(to, map, n, counts[i].status))
            return error_set(err, ERR_INVALID_ARG, "map", "%s", counts[i].status);
        moving += counts[i].n;
    }
    if (moving > WORKFLOW_MOVE_MAX)
        return error_set(err, ERR_INVALID_ARG, "count", "%lld", (long long)moving);
    return 0;
}

static int apply_assign(store *s, void *arg, int64_t *id, error *err)
{
    assign_arg *aa = arg;
    arena a;
    arena_init(&a, 0);
    store_status_count *counts = NULL;
    size_t n_counts = 0, n_moved = 0;
    int64_t now = (int64_t)time(NULL);
    int64_t *moved = NULL;
    int rc = -1;
    if (s->ops->workflows.tx_status_counts(s, aa->tenant_id, 0, aa->procedure_id, &a, &counts,
                                           &n_counts, err) != 0 ||
        check_moves(aa->to, aa->map, aa->n_map, counts, n_counts, err) != 0)
        goto cleanup;
    /* Room for every request counted: check_moves bounded them by WORKFLOW_MOVE_MAX. */
    moved = arena_alloc(&a, sizeof *moved * (WORKFLOW_MOVE_MAX + 1));
    if (!moved) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n_counts; i++) {
        const char *from = counts[i].status;
        if (workflow_status(aa->to, from))
            continue;
        const char *to = target_of(aa->to, aa->map, aa->n_map, from);
        int64_t *ids = NULL;
        size_t n = 0;
        if (s->ops->workflows.tx_restatus(s, aa->tenant_id, aa->procedure_id, from, to,
                                          workflow_is_closed(aa->to, to), now, &a, &ids, &n,
                                          err) != 0)
            goto cleanup;
        if (n_moved + n > WORKFLOW_MOVE_MAX) {
            error_set(err, ERR_INVALID_ARG, "count", "%zu", n_moved + n);
            goto cleanup;
        }
        for (size_t k = 0; k < n; k++) {
            store_event e = {.tenant_id = aa->tenant_id,
                             .request_id = ids[k],
                             .created_at = now,
                             .kind = "status",
                             .is_public = 0,
                             .actor = aa->actor,
                             .channel = "web",
                             .status_from = from,
                             .status_to = to};
            if (s->ops->events.tx_insert(s, &e, NULL, err) != 0)
                goto cleanup;
            moved[n_moved++] = ids[k];
        }
    }
    /* One entry naming every request moved, as a bulk change of requests does. */
    if ((n_moved && audit_change_tx(s, aa->tenant_id, &aa->who, "change", "request", moved, n_moved,
                                    err) != 0) ||
        s->ops->workflows.tx_procedure_set(s, aa->tenant_id, aa->procedure_id, aa->to->rec.id,
                                           err) != 0)
        goto cleanup;
    *id = aa->procedure_id;
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

static const change_def assign_change = {"admin", "procedure", apply_assign, 1};

int workflow_edit_assign(core *c, const core_actor *who, const cat_tenant *t,
                         const cat_procedure *p, const cat_workflow *to,
                         const workflow_mapping *map, size_t n, core_done_fn cb, void *ctx,
                         error *err)
{
    if (!p || !to || p->rec.tenant_id != t->rec.id || to->rec.tenant_id != t->rec.id)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such procedure or workflow");
    arena tmp;
    arena_init(&tmp, 0);
    store_status_count *counts = NULL;
    size_t n_counts = 0;
    int rc = workflow_edit_counts(c, t->rec.id, 0, p->rec.id, &tmp, &counts, &n_counts, err);
    if (rc == 0)
        rc = check_moves(to, map, n, counts, n_counts, err);
    arena_free(&tmp);
    if (rc != 0)
        return -1;
    assign_arg aa = {.tenant_id = t->rec.id, .procedure_id = p->rec.id, .n_map = n};
    assign_arg *copy = NULL;
    void *op = change_prepare(c, who, t->rec.id, &assign_change, &aa, sizeof aa, NULL,
                              (void **)&copy, err);
    if (!op)
        return -1;
    arena *a = &((core_op *)op)->a;
    copy->to = workflow_copy(a, to);
    copy->actor = actor_event_label(who, a);
    workflow_mapping *m = arena_alloc(a, sizeof *m * (n + 1));
    int oom = !copy->to || !copy->actor || !m ||
              actor_copy(a, who, &actor_system, &copy->who, &copy->agent_room) != 0;
    for (size_t i = 0; !oom && i < n; i++) {
        m[i].from = map[i].from ? arena_strdup(a, map[i].from) : NULL;
        m[i].to = map[i].to ? arena_strdup(a, map[i].to) : NULL;
        oom = (map[i].from && !m[i].from) || (map[i].to && !m[i].to);
    }
    copy->map = m;
    if (oom) {
        core_op_free(op);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, op, cb, ctx, err);
}

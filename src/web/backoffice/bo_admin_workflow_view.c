/*
 * bo_admin_workflow_view — the workflow editor's rows, forms and words (see the header).
 */
#include "web/backoffice/bo_admin_workflow_view.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/agent.h"
#include "core/workflow_edit.h"
#include "present/present.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_admin_workflow_acts.h"

const char *bo_wf_text(const bo_page *p, const char *fr, const char *en)
{
    return p->l == LANG_EN && en && *en ? en : (fr ? fr : "");
}

const char *bo_wf_fill(bo_page *p, const char *key, const char *a, const char *b)
{
    char one[900], two[900];
    snprintf(one, sizeof one, "%s", bo_page_str(p, key));
    /* A message may name a code twice ("{a} → {b} part du statut « {a} »"): each pass fills
     * the first place left of each name. */
    for (int pass = 0; pass < 3; pass++) {
        present_fill(two, sizeof two, one, "a", a ? a : "");
        present_fill(one, sizeof one, two, "b", b ? b : "");
    }
    return arena_strdup(p->rq->arena, one);
}

json_t *bo_wf_options(bo_page *p, const char *const *values, const char *prefix, const char *chosen)
{
    json_t *list = json_array();
    for (size_t i = 0; values[i]; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", values[i]);
        present_set_str(o, "label",
                        prefix
                            ? bo_page_str(p, arena_printf(p->rq->arena, "%s%s", prefix, values[i]))
                            : values[i]);
        json_object_set_new(o, "selected", json_boolean(chosen && strcmp(chosen, values[i]) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

json_t *bo_wf_status_options(const cat_workflow *wf, const char *chosen, lang l)
{
    json_t *list = json_array();
    for (size_t i = 0; i < wf->n_statuses; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", wf->statuses[i].code);
        present_set_str(o, "label", workflow_agent_label(wf, wf->statuses[i].code, l));
        json_object_set_new(o, "selected",
                            json_boolean(chosen && strcmp(chosen, wf->statuses[i].code) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *status_row(bo_page *p, const cat_workflow *wf, const store_workflow_status *s)
{
    json_t *o = json_object();
    present_set_str(o, "code", s->code);
    present_set_str(o, "al", s->agent_label);
    present_set_str(o, "al_en", s->agent_label_en);
    present_set_str(o, "cl", s->citizen_label);
    present_set_str(o, "cl_en", s->citizen_label_en);
    const char *colour = s->colour ? s->colour : "blue";
    present_set_str(o, "colour", colour);
    present_set_str(o, "colour_label",
                    bo_page_str(p, arena_printf(p->rq->arena, "workflows.colours.%s", colour)));
    json_object_set_new(o, "colours",
                        bo_wf_options(p, workflow_colours, "workflows.colours.", colour));
    json_object_set_new(o, "extendeds",
                        bo_wf_options(p, workflow_extended_statuses, NULL, s->extended_status));
    json_object_set_new(o, "closed", json_boolean(s->open311_closed));
    json_object_set_new(o, "visible", json_boolean(s->citizen_visible));
    json_object_set_new(o, "final", json_boolean(s->is_final));
    json_object_set_new(o, "initial", json_boolean(s->is_initial));
    json_object_set_new(o, "reopens", bo_wf_status_options(wf, s->reopen_to, p->l));
    return o;
}

json_t *bo_wf_statuses_json(bo_page *p, const cat_workflow *saved, const cat_workflow *wf,
                            const store_status_count *counts, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        json_t *o = status_row(p, wf, s);
        json_object_set_new(o, "i", json_integer((json_int_t)i));
        json_object_set_new(o, "up", json_boolean(i > 0));
        json_object_set_new(o, "down", json_boolean(i + 1 < wf->n_statuses));
        /* A status typed but not saved yet (the page refused) keeps its code editable. */
        json_object_set_new(o, "unsaved", json_boolean(!workflow_status(saved, s->code)));
        for (size_t k = 0; k < n; k++)
            if (counts[k].n && strcmp(counts[k].status, s->code) == 0) {
                char num[24];
                snprintf(num, sizeof num, "%lld", (long long)counts[k].n);
                char text[200];
                present_fill(text, sizeof text, bo_page_str(p, "workflows.requests_in"), "n", num);
                present_set_str(o, "in_use", text);
            }
        json_array_append_new(list, o);
    }
    return list;
}

json_t *bo_wf_overview_json(bo_page *p, const cat_workflow *wf)
{
    json_t *list = json_array();
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        json_t *o = status_row(p, wf, s);
        present_set_str(o, "label", bo_wf_text(p, s->agent_label, s->agent_label_en));
        present_set_str(o, "open311",
                        bo_page_str(p, s->open311_closed ? "workflows.closed" : "workflows.open"));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *role_boxes(bo_page *p, const char *roles)
{
    json_t *list = json_array();
    for (int r = 0; r < AGENT_ROLE_COUNT; r++) {
        const char *name = agent_role_name((agent_role)r);
        int on = 0;
        for (const char *q = roles ? roles : ""; *q;) {
            size_t k = strcspn(q, " ");
            on |= k == strlen(name) && strncmp(q, name, k) == 0;
            q += k;
            while (*q == ' ')
                q++;
        }
        json_t *o = json_object();
        present_set_str(o, "value", name);
        present_set_str(o, "label", agent_role_label((agent_role)r, p->l));
        json_object_set_new(o, "checked", json_boolean(on));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *transition_row(bo_page *p, const cat_workflow *wf,
                              const store_workflow_transition *t)
{
    json_t *o = json_object();
    present_set_str(o, "from", t->from_code);
    present_set_str(o, "to", t->to_code);
    present_set_str(o, "label", t->label);
    present_set_str(o, "label_en", t->label_en);
    json_object_set_new(o, "froms", bo_wf_status_options(wf, t->from_code, p->l));
    json_object_set_new(o, "tos", bo_wf_status_options(wf, t->to_code, p->l));
    json_object_set_new(o, "roles", role_boxes(p, t->roles));
    json_object_set_new(o, "comment", json_boolean(t->comment_required));
    return o;
}

json_t *bo_wf_transitions_json(bo_page *p, const cat_workflow *wf)
{
    json_t *list = json_array();
    for (size_t i = 0; i < wf->n_transitions; i++) {
        json_t *o = transition_row(p, wf, &wf->transitions[i].rec);
        json_object_set_new(o, "i", json_integer((json_int_t)i));
        json_array_append_new(list, o);
    }
    return list;
}

static const char *field(const form *f, const char *name)
{
    return f ? bo_admin_field(f, name) : "";
}

static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

/* The new status row as f typed it (prefix "n_"), or the defaults. */
static store_workflow_status new_status_of(const form *f)
{
    store_workflow_status s = {
        .code = field(f, "n_code"),
        .agent_label = field(f, "n_al"),
        .agent_label_en = opt(field(f, "n_al_en")),
        .citizen_label = field(f, "n_cl"),
        .citizen_label_en = opt(field(f, "n_cl_en")),
        .colour = f ? field(f, "n_colour") : "blue",
        .open311_closed = f && bo_admin_checked(f, "n_closed"),
        .extended_status = opt(field(f, "n_ext")),
        .citizen_visible = !f || bo_admin_checked(f, "n_visible"),
        .is_final = f && bo_admin_checked(f, "n_final"),
        .is_initial = f && strcmp(field(f, "initial"), "_new") == 0,
        .reopen_to = opt(field(f, "n_reopen")),
    };
    return s;
}

json_t *bo_wf_new_status_json(bo_page *p, const cat_workflow *wf, const form *f)
{
    store_workflow_status s = new_status_of(f);
    return status_row(p, wf, &s);
}

static store_workflow_transition new_transition_of(arena *a, const form *f);

json_t *bo_wf_new_transition_json(bo_page *p, const cat_workflow *wf, const form *f)
{
    store_workflow_transition t = new_transition_of(p->rq->arena, f);
    return transition_row(p, wf, &t);
}

/* "<row><i>_<part>": a row's field name ("s3_code", "t0_from"). */
static const char *name_of(arena *a, char row, size_t i, const char *part)
{
    return arena_printf(a, "%c%zu_%s", row, i, part);
}

/* A copy of wf whose arrays may grow by one and be rewritten. */
static cat_workflow *room_copy(arena *a, const cat_workflow *wf, size_t ns, size_t nt)
{
    cat_workflow *c = arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    *c = *wf;
    c->statuses = arena_alloc(a, sizeof *c->statuses * (ns + 1));
    c->transitions = arena_alloc(a, sizeof *c->transitions * (nt + 1));
    /* Arrays of its own for the actions and timeouts too: a status removed drops its own
     * from the copy (workflow_prune), never from the catalogue's. */
    c->actions = arena_alloc(a, sizeof *c->actions * (wf->n_actions + 1));
    c->timeouts = arena_alloc(a, sizeof *c->timeouts * (wf->n_timeouts + 1));
    if (!c->statuses || !c->transitions || !c->actions || !c->timeouts)
        return NULL;
    memcpy(c->actions, wf->actions, sizeof *c->actions * wf->n_actions);
    memcpy(c->timeouts, wf->timeouts, sizeof *c->timeouts * wf->n_timeouts);
    return c;
}

/* The row operation op names for rows [0, n): its kind ("up", "down", "del") and index. */
static int row_op(const form *f, size_t n, const char *kind)
{
    const char *op = bo_admin_field(f, "op");
    size_t k = strlen(kind);
    if (strncmp(op, kind, k) != 0 || op[k] != '-')
        return -1;
    int64_t i = bo_admin_id(op + k + 1);
    if (op[k + 1] == '0' && op[k + 2] == '\0')
        i = 0;
    else if (i <= 0)
        return -1;
    return (size_t)i < n ? (int)i : -1;
}

cat_workflow *bo_wf_parse_statuses(arena *a, const cat_workflow *wf, const form *f, bo_page *p)
{
    size_t n = 0;
    while (n <= WORKFLOW_EDIT_STATUSES_MAX && form_get(f, name_of(a, 's', n, "code")))
        n++;
    cat_workflow *c = room_copy(a, wf, n + 1, wf->n_transitions);
    if (!c)
        return NULL;
    memcpy(c->transitions, wf->transitions, sizeof *c->transitions * wf->n_transitions);
    c->rec.name = bo_admin_field(f, "name");
    c->rec.name_en = opt(bo_admin_field(f, "name_en"));
    const char *initial = bo_admin_field(f, "initial");
    c->n_statuses = 0;
    c->initial = NULL;
    for (size_t i = 0; i < n; i++) {
        store_workflow_status *s = &c->statuses[c->n_statuses++];
#define F(x) bo_admin_field(f, name_of(a, 's', i, x))
#define C(x) bo_admin_checked(f, name_of(a, 's', i, x))
        *s = (store_workflow_status){
            .workflow_id = wf->rec.id,
            .code = F("code"),
            .agent_label = F("al"),
            .agent_label_en = opt(F("al_en")),
            .citizen_label = F("cl"),
            .citizen_label_en = opt(F("cl_en")),
            .colour = F("colour"),
            .open311_closed = C("closed"),
            .extended_status = opt(F("ext")),
            .citizen_visible = C("visible"),
            .is_final = C("final"),
            .reopen_to = opt(F("reopen")),
        };
#undef F
#undef C
        s->is_initial = strcmp(initial, s->code) == 0;
    }
    store_workflow_status added = new_status_of(f);
    added.workflow_id = wf->rec.id;
    if (*added.code)
        c->statuses[c->n_statuses++] = added;
    else
        bo_page_set(p, "new_status", bo_wf_new_status_json(p, wf, f));
    int i;
    if ((i = row_op(f, n, "del")) >= 0) {
        memmove(&c->statuses[i], &c->statuses[i + 1],
                sizeof *c->statuses * (c->n_statuses - (size_t)i - 1));
        c->n_statuses--;
    } else if ((i = row_op(f, n, "up")) > 0 ||
               ((i = row_op(f, n, "down")) >= 0 && (size_t)++i < n)) {
        store_workflow_status t = c->statuses[i - 1];
        c->statuses[i - 1] = c->statuses[i];
        c->statuses[i] = t;
    }
    for (size_t k = 0; k < c->n_statuses; k++)
        if (c->statuses[k].is_initial)
            c->initial = &c->statuses[k];
    return c;
}

static const char *roles_of(arena *a, const form *f, const char *name)
{
    const char *out = "";
    for (size_t k = 0; f && k < f->count; k++)
        if (strcmp(f->fields[k].name, name) == 0) {
            agent_role r;
            if (agent_role_parse(f->fields[k].value, &r) == 0)
                out = *out ? arena_printf(a, "%s %s", out, f->fields[k].value) : f->fields[k].value;
        }
    return out;
}

static store_workflow_transition new_transition_of(arena *a, const form *f)
{
    store_workflow_transition t = {
        .from_code = field(f, "tn_from"),
        .to_code = field(f, "tn_to"),
        .label = field(f, "tn_label"),
        .label_en = opt(field(f, "tn_label_en")),
        .roles = f ? roles_of(a, f, "tn_role") : "agent manager admin",
        .comment_required = f && bo_admin_checked(f, "tn_comment"),
    };
    return t;
}

cat_workflow *bo_wf_parse_transitions(arena *a, const cat_workflow *wf, const form *f, bo_page *p)
{
    size_t n = 0;
    while (n <= WORKFLOW_EDIT_TRANSITIONS_MAX && form_get(f, name_of(a, 't', n, "from")))
        n++;
    cat_workflow *c = room_copy(a, wf, wf->n_statuses, n + 1);
    if (!c)
        return NULL;
    memcpy(c->statuses, wf->statuses, sizeof *c->statuses * wf->n_statuses);
    for (size_t k = 0; k < wf->n_statuses; k++)
        if (wf->initial == &wf->statuses[k])
            c->initial = &c->statuses[k];
    c->n_transitions = 0;
    for (size_t i = 0; i < n; i++) {
        cat_transition *t = &c->transitions[c->n_transitions++];
        memset(t, 0, sizeof *t);
        t->rec = (store_workflow_transition){
            .workflow_id = wf->rec.id,
            .position = (int)i + 1,
            .from_code = bo_admin_field(f, name_of(a, 't', i, "from")),
            .to_code = bo_admin_field(f, name_of(a, 't', i, "to")),
            .label = bo_admin_field(f, name_of(a, 't', i, "label")),
            .label_en = opt(bo_admin_field(f, name_of(a, 't', i, "label_en"))),
            .roles = roles_of(a, f, name_of(a, 't', i, "role")),
            .comment_required = bo_admin_checked(f, name_of(a, 't', i, "comment")),
        };
    }
    store_workflow_transition added = new_transition_of(a, f);
    if (*added.from_code || *added.to_code || *added.label) {
        cat_transition *t = &c->transitions[c->n_transitions++];
        memset(t, 0, sizeof *t);
        t->rec = added;
        t->rec.workflow_id = wf->rec.id;
    } else {
        bo_page_set(p, "new_transition", bo_wf_new_transition_json(p, wf, f));
    }
    int i = row_op(f, n, "del");
    if (i >= 0) {
        memmove(&c->transitions[i], &c->transitions[i + 1],
                sizeof *c->transitions * (c->n_transitions - (size_t)i - 1));
        c->n_transitions--;
    }
    return c;
}

void bo_wf_problem(bo_page *p, const workflow_problem *prob)
{
    json_t *e = json_object();
    /* Every problem is listed, several on the same row included: the summary links to the
     * part of the page it concerns. */
    const char *k = prob->key;
    const char *field = strncmp(k, "action", 6) == 0 || strncmp(k, "timeout", 7) == 0 ||
                                strcmp(k, "too_many_actions") == 0 ||
                                strcmp(k, "too_many_timeouts") == 0
                            ? "actions"
                        : prob->b ? "transitions"
                                  : "statuts";
    json_object_set_new(e, "field", json_string(field));
    present_set_str(e, "message",
                    bo_wf_fill(p, arena_printf(p->rq->arena, "workflows.problem.%s", prob->key),
                               prob->a, prob->b));
    json_array_append_new(p->errors, e);
}

const char *bo_wf_author(bo_page *p, const char *by, const store_agent *agents, size_t n)
{
    if (!by)
        return bo_page_str(p, "workflows.who_initial");
    int64_t id = actor_label_agent_id(by);
    for (size_t i = 0; id && i < n; i++)
        if (agents[i].id == id)
            return agents[i].name;
    return id ? by : bo_page_str(p, "workflows.who_cli");
}

const char *bo_wf_summary(bo_page *p, const char *summary)
{
    json_t *list = json_loads(summary ? summary : "[]", 0, NULL);
    const char *out = "";
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        const char *k = json_string_value(json_object_get(o, "k"));
        if (!k || strlen(k) > 40)
            continue;
        const char *b = json_string_value(json_object_get(o, "b"));
        /* An action's or a timeout's kind is a code: its words instead. */
        if (b && strlen(b) <= 40 &&
            (strncmp(k, "action_", 7) == 0 || strncmp(k, "timeout_", 8) == 0))
            b = bo_page_str(p, arena_printf(p->rq->arena, "workflows.%s.%s",
                                            k[0] == 'a' ? "kinds" : "timeout_kinds", b));
        const char *one = bo_wf_fill(p, arena_printf(p->rq->arena, "workflows.change.%s", k),
                                     json_string_value(json_object_get(o, "a")), b);
        out = *out ? arena_printf(p->rq->arena, "%s ; %s", out, one) : one;
    }
    json_decref(list);
    return *out ? out : bo_page_str(p, "workflows.change.none");
}

void bo_wf_version_view(bo_page *p, const char *definition)
{
    json_t *def = json_loads(definition ? definition : "{}", 0, NULL);
    if (!def)
        def = json_object();
    const char *yes = bo_page_str(p, "workflows.yes"), *no = bo_page_str(p, "workflows.no");
    json_t *sts = json_array(), *trs = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(def, "statuses"), i, o)
    {
        json_t *r = json_deep_copy(o);
        /* Only a palette name becomes a class and a message key. */
        const char *colour = json_string_value(json_object_get(o, "colour"));
        size_t c = 0;
        while (workflow_colours[c] && (!colour || strcmp(workflow_colours[c], colour) != 0))
            c++;
        colour = workflow_colours[c] ? workflow_colours[c] : "grey";
        present_set_str(r, "colour", colour);
        present_set_str(r, "colour_label",
                        bo_page_str(p, arena_printf(p->rq->arena, "workflows.colours.%s", colour)));
        present_set_str(r, "visible_text",
                        json_is_true(json_object_get(o, "citizen_visible")) ? yes : no);
        present_set_str(r, "final_text", json_is_true(json_object_get(o, "final")) ? yes : no);
        present_set_str(r, "initial_text", json_is_true(json_object_get(o, "initial")) ? yes : no);
        json_array_append_new(sts, r);
    }
    json_array_foreach(json_object_get(def, "transitions"), i, o)
    {
        json_t *r = json_deep_copy(o);
        const char *roles = "";
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(o, "roles"), k, x)
        {
            agent_role role;
            const char *name = json_string_value(x);
            if (name && agent_role_parse(name, &role) == 0) {
                const char *label = agent_role_label(role, p->l);
                roles = *roles ? arena_printf(p->rq->arena, "%s, %s", roles, label) : label;
            }
        }
        present_set_str(r, "roles_text", roles);
        present_set_str(r, "comment_text",
                        json_is_true(json_object_get(o, "comment_required")) ? yes : no);
        json_array_append_new(trs, r);
    }
    present_set_str(p->ctx, "v_name", json_string_value(json_object_get(def, "name")));
    bo_page_set(p, "v_statuses", sts);
    bo_page_set(p, "v_transitions", trs);
    bo_wf_acts_of_definition(p, json_object_get(def, "statuses"));
    json_decref(def);
}

/*
 * bo_admin_workflow_acts — a workflow's actions and timeouts in the editor (see the header).
 */
#include "web/backoffice/bo_admin_workflow_acts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/letter_tpl.h"
#include "core/workflow_action.h"
#include "core/workflow_edit.h"
#include "core/workflow_timeout.h"
#include "present/present.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_admin_workflow_view.h"

static const char *const action_kinds[] = {
    "notify_citizen", "notify_department", "assign_by_rule", "set_due_date", "ask_citizen",
    "webhook", "generate_document", "send_for_signature", NULL};
static const char *const timeout_kinds[] = {"jump", "remind", NULL};
static const char *const units[] = {"days", "working_days", "months", NULL};
static const char *const meanings[] = {"accord", "rejet", "none", NULL};
static const char *const whoms[] = {"agents", "citizen", NULL};

static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* A row's field name: "a3_text", "o0_delay". */
static const char *name_of(arena *a, char row, size_t i, const char *part)
{
    return arena_printf(a, "%c%zu_%s", row, i, part);
}

/* A typed whole number: 0 when empty, -1 when not a number of at most 6 digits (every bound
 * checked by core is far below). */
static int number_of(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (n > 6 || strspn(s, "0123456789") != n)
        return -1;
    return (int)strtol(s, NULL, 10);
}

/* ---- rows of the form ---- */

/* The number to show in a row's field: what was typed when the page keeps it, else v ("" for
 * 0 when blank_zero). */
static const char *number_shown(bo_page *p, const char *name, int v, int blank_zero)
{
    const char *typed = json_string_value(json_object_get(p->values, name));
    if (typed)
        return typed;
    return v == 0 && blank_zero ? "" : arena_printf(p->rq->arena, "%d", v);
}

/* The row's error of each part into o as "err_<part>" (with "err_any" when one). */
static void row_errors(bo_page *p, json_t *o, char row, size_t i, const char *const *parts)
{
    for (size_t k = 0; parts[k]; k++) {
        const char *msg = json_string_value(
            json_object_get(p->field_errors, name_of(p->rq->arena, row, i, parts[k])));
        if (msg) {
            present_set_str(o, arena_printf(p->rq->arena, "err_%s", parts[k]), msg);
            json_object_set_new(o, "err_any", json_true());
        }
    }
}

/* The collectivité's letter templates as a select's options, `chosen` selected (kept even
 * when no template has that name any more, so that the row shows what it names). */
static json_t *template_options(const store_letter_template *tpls, size_t n, const char *chosen)
{
    json_t *list = json_array();
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", tpls[i].name);
        present_set_str(o, "label", tpls[i].name);
        if (same(tpls[i].name, chosen)) {
            json_object_set_new(o, "selected", json_true());
            found = 1;
        }
        json_array_append_new(list, o);
    }
    if (!found && chosen && *chosen) {
        json_t *o = json_object();
        present_set_str(o, "value", chosen);
        present_set_str(o, "label", chosen);
        json_object_set_new(o, "selected", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *action_row(bo_page *p, const cat_workflow *wf, size_t i,
                          const store_letter_template *tpls, size_t n_tpls)
{
    static const char *const parts[] = {"kind",   "text", "text_en",  "days",
                                        "return", "url",  "template", "signers", NULL};
    const cat_action *x = &wf->actions[i];
    const char *kind = workflow_action_kind_name(x->kind);
    json_t *o = json_object();
    json_object_set_new(o, "i", json_integer((json_int_t)i));
    present_set_str(o, "st", x->status);
    present_set_str(o, "status_label", workflow_agent_label(wf, x->status, p->l));
    present_set_str(o, "kind", kind);
    present_set_str(o, "kind_label",
                    bo_page_str(p, arena_printf(p->rq->arena, "workflows.kinds.%s", kind)));
    json_object_set_new(o, arena_printf(p->rq->arena, "is_%s", kind), json_true());
    present_set_str(o, "text", x->text);
    present_set_str(o, "text_en", x->text_en);
    present_set_str(o, "days", number_shown(p, name_of(p->rq->arena, 'a', i, "days"), x->days, 1));
    json_object_set_new(o, "working", json_boolean(x->working));
    json_object_set_new(o, "returns", bo_wf_status_options(wf, x->return_to, p->l));
    present_set_str(o, "url", x->url);
    json_object_set_new(o, "templates", template_options(tpls, n_tpls, x->tpl));
    json_object_set_new(o, "citizen_visible", json_boolean(x->citizen_visible));
    json_object_set_new(o, "silence_only", json_boolean(x->silence_only));
    /* Order matters only among the actions of one status. */
    json_object_set_new(o, "up", json_boolean(i > 0 && same(wf->actions[i - 1].status, x->status)));
    json_object_set_new(
        o, "down",
        json_boolean(i + 1 < wf->n_actions && same(wf->actions[i + 1].status, x->status)));
    row_errors(p, o, 'a', i, parts);
    return o;
}

static json_t *timeout_row(bo_page *p, const cat_workflow *wf, size_t i)
{
    static const char *const parts[] = {"delay", "unit",  "target", "meaning", "warn",
                                        "whom",  "rdays", "rtimes", NULL};
    const store_workflow_timeout *t = &wf->timeouts[i];
    arena *a = p->rq->arena;
    json_t *o = json_object();
    json_object_set_new(o, "i", json_integer((json_int_t)i));
    present_set_str(o, "st", t->status_code);
    present_set_str(o, "status_label", workflow_agent_label(wf, t->status_code, p->l));
    present_set_str(o, "kind", t->kind);
    present_set_str(o, "kind_label",
                    bo_page_str(p, arena_printf(a, "workflows.timeout_kinds.%s", t->kind)));
    json_object_set_new(o, "is_jump", json_boolean(same(t->kind, "jump")));
    present_set_str(o, "delay", number_shown(p, name_of(a, 'o', i, "delay"), t->delay, 1));
    json_object_set_new(o, "units", bo_wf_options(p, units, "workflows.units.", t->unit));
    json_object_set_new(o, "targets", bo_wf_status_options(wf, t->target, p->l));
    json_t *ms =
        bo_wf_options(p, meanings, "workflows.meanings.", t->meaning ? t->meaning : "none");
    size_t k;
    json_t *m;
    json_array_foreach(ms, k, m) json_object_set_new(m, "i", json_integer((json_int_t)i));
    json_object_set_new(o, "meanings", ms);
    present_set_str(o, "warn", number_shown(p, name_of(a, 'o', i, "warn"), t->warn_before, 0));
    json_object_set_new(o, "whoms", bo_wf_options(p, whoms, "workflows.whoms.", t->whom));
    present_set_str(o, "rdays", number_shown(p, name_of(a, 'o', i, "rdays"), t->repeat_days, 0));
    present_set_str(o, "rtimes", number_shown(p, name_of(a, 'o', i, "rtimes"), t->repeat_times, 0));
    row_errors(p, o, 'o', i, parts);
    return o;
}

void bo_wf_acts_rows(bo_page *p, const cat_workflow *wf)
{
    json_t *acts = json_array(), *tos = json_array();
    /* The templates a generate_document row offers; none listed when they cannot be read
     * (the row then shows the name it holds). */
    store_letter_template *tpls = NULL;
    size_t n_tpls = 0;
    error e;
    if (letter_tpl_list(p->rq->core, wf->rec.tenant_id, p->rq->arena, &tpls, &n_tpls, &e) != 0)
        n_tpls = 0;
    for (size_t i = 0; i < wf->n_actions; i++)
        json_array_append_new(acts, action_row(p, wf, i, tpls, n_tpls));
    for (size_t i = 0; i < wf->n_timeouts; i++)
        json_array_append_new(tos, timeout_row(p, wf, i));
    bo_page_set(p, "actions", acts);
    bo_page_set(p, "timeouts", tos);
    bo_page_set(p, "has_actions", json_boolean(wf->n_actions > 0));
    bo_page_set(p, "has_timeouts", json_boolean(wf->n_timeouts > 0));
    const char *st = json_string_value(json_object_get(p->values, "na_st"));
    bo_page_set(p, "add_action_statuses", bo_wf_status_options(wf, st, p->l));
    st = json_string_value(json_object_get(p->values, "no_st"));
    bo_page_set(p, "add_timeout_statuses", bo_wf_status_options(wf, st, p->l));
    bo_page_set(p, "action_kinds",
                bo_wf_options(p, action_kinds, "workflows.kinds.",
                              json_string_value(json_object_get(p->values, "na_kind"))));
    bo_page_set(p, "timeout_kinds",
                bo_wf_options(p, timeout_kinds, "workflows.timeout_kinds.",
                              json_string_value(json_object_get(p->values, "no_kind"))));
}

/* ---- the form read back ---- */

/* The index op names after prefix ("del-a3" with "del-a": 3) among n rows; -1 otherwise. */
static int op_index(const char *op, const char *prefix, size_t n)
{
    size_t k = strlen(prefix);
    if (strncmp(op, prefix, k) != 0 || !op[k] || strlen(op + k) > 3 ||
        strspn(op + k, "0123456789") != strlen(op + k))
        return -1;
    int i = (int)strtol(op + k, NULL, 10);
    return (size_t)i < n ? i : -1;
}

static size_t status_rank(const cat_workflow *wf, const char *code)
{
    size_t i = 0;
    while (i < wf->n_statuses && !same(wf->statuses[i].code, code))
        i++;
    return i;
}

/* The typed numbers of a row, kept with it through the row operations and the sort so that
 * what was typed is shown back on the row's new place. */
typedef struct typed {
    const char *v[4];
} typed;

/* Sorts rows (actions or timeouts, each `size` bytes, with their typed numbers) by their
 * status's place in wf, keeping the order within a status; an insertion sort: a few dozen
 * rows at most. */
static void sort_rows(const cat_workflow *wf, void *rows, typed *ty, size_t n, size_t size,
                      const char *(*status)(const void *))
{
    char tmp[sizeof(cat_action) > sizeof(store_workflow_timeout) ? sizeof(cat_action)
                                                                 : sizeof(store_workflow_timeout)];
    char *r = rows;
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        while (j > 0 && status_rank(wf, status(r + (j - 1) * size)) >
                            status_rank(wf, status(r + j * size))) {
            memcpy(tmp, r + j * size, size);
            memcpy(r + j * size, r + (j - 1) * size, size);
            memcpy(r + (j - 1) * size, tmp, size);
            typed t = ty[j];
            ty[j] = ty[j - 1];
            ty[j - 1] = t;
            j--;
        }
    }
}

static const char *action_status(const void *x)
{
    return ((const cat_action *)x)->status;
}

static const char *timeout_status(const void *x)
{
    return ((const store_workflow_timeout *)x)->status_code;
}

static void swap_actions(cat_workflow *c, typed *ty, size_t i, size_t j)
{
    cat_action t = c->actions[i];
    c->actions[i] = c->actions[j];
    c->actions[j] = t;
    typed u = ty[i];
    ty[i] = ty[j];
    ty[j] = u;
}

/* Reads the action rows of f into out, their typed days into ty; how many. */
static size_t read_actions(arena *a, const form *f, cat_action *out, typed *ty)
{
    size_t n = 0;
    while (n < WORKFLOW_EDIT_ACTIONS_MAX && form_get(f, name_of(a, 'a', n, "st"))) {
        cat_action *x = &out[n];
        memset(x, 0, sizeof *x);
        memset(&ty[n], 0, sizeof ty[n]);
#define F(part) bo_admin_field(f, name_of(a, 'a', n, part))
        /* An unknown kind is refused by the check, on the row's kind. */
        if (workflow_action_kind_parse(F("kind"), &x->kind) != 0)
            x->kind = (workflow_action_kind)-1;
        x->status = F("st");
        x->text = opt(F("text"));
        x->text_en = opt(F("text_en"));
        ty[n].v[0] = F("days");
        x->days = number_of(ty[n].v[0]);
        x->working = bo_admin_checked(f, name_of(a, 'a', n, "working"));
        x->return_to = opt(F("return"));
        x->url = F("url");
        x->tpl = opt(F("template"));
        x->citizen_visible = bo_admin_checked(f, name_of(a, 'a', n, "visible"));
        x->silence_only = bo_admin_checked(f, name_of(a, 'a', n, "silence"));
        x->signers = F("signers");
#undef F
        n++;
    }
    return n;
}

static size_t read_timeouts(arena *a, const cat_workflow *wf, const form *f,
                            store_workflow_timeout *out, typed *ty)
{
    size_t n = 0;
    while (n < WORKFLOW_EDIT_TIMEOUTS_MAX && form_get(f, name_of(a, 'o', n, "st"))) {
        store_workflow_timeout *t = &out[n];
#define F(part) bo_admin_field(f, name_of(a, 'o', n, part))
        int jump = strcmp(F("kind"), "jump") == 0;
        ty[n] = (typed){{F("delay"), F("warn"), F("rdays"), F("rtimes")}};
        *t = (store_workflow_timeout){
            .workflow_id = wf->rec.id,
            .status_code = F("st"),
            .delay = number_of(ty[n].v[0]),
            .unit = F("unit"),
            .kind = F("kind"),
            .target = jump ? F("target") : NULL,
            .meaning = jump ? F("meaning") : "none",
            .whom = jump ? NULL : F("whom"),
            .repeat_days = jump ? 0 : number_of(ty[n].v[2]),
            .repeat_times = jump ? 0 : number_of(ty[n].v[3]),
            .warn_before = jump ? number_of(ty[n].v[1]) : 0,
        };
#undef F
        n++;
    }
    return n;
}

/* Applies the form's row operation; 1 when it added a row. */
static int apply_op(cat_workflow *c, typed *ta, typed *tt, const form *f, bo_page *p)
{
    const char *op = bo_admin_field(f, "op");
    int i;
    if ((i = op_index(op, "del-a", c->n_actions)) >= 0) {
        memmove(&c->actions[i], &c->actions[i + 1],
                sizeof *c->actions * (c->n_actions - (size_t)i - 1));
        memmove(&ta[i], &ta[i + 1], sizeof *ta * (c->n_actions - (size_t)i - 1));
        c->n_actions--;
    } else if ((i = op_index(op, "up-a", c->n_actions)) > 0 &&
               same(c->actions[i - 1].status, c->actions[i].status)) {
        swap_actions(c, ta, (size_t)i - 1, (size_t)i);
    } else if ((i = op_index(op, "down-a", c->n_actions)) >= 0 && (size_t)i + 1 < c->n_actions &&
               same(c->actions[i + 1].status, c->actions[i].status)) {
        swap_actions(c, ta, (size_t)i, (size_t)i + 1);
    } else if ((i = op_index(op, "del-o", c->n_timeouts)) >= 0) {
        memmove(&c->timeouts[i], &c->timeouts[i + 1],
                sizeof *c->timeouts * (c->n_timeouts - (size_t)i - 1));
        memmove(&tt[i], &tt[i + 1], sizeof *tt * (c->n_timeouts - (size_t)i - 1));
        c->n_timeouts--;
    } else if (strcmp(op, "add-action") == 0 || strcmp(op, "add-timeout") == 0) {
        int action = op[4] == 'a';
        const char *st = bo_admin_field(f, action ? "na_st" : "no_st");
        const char *kind = bo_admin_field(f, action ? "na_kind" : "no_kind");
        bo_page_value(p, action ? "na_st" : "no_st", st);
        bo_page_value(p, action ? "na_kind" : "no_kind", kind);
        workflow_action_kind k;
        if (!workflow_status(c, st)) {
            bo_page_error_key(p, action ? "na_st" : "no_st", "workflows.add_error_status");
            return 1;
        }
        if (action ? workflow_action_kind_parse(kind, &k) != 0
                   : strcmp(kind, "jump") != 0 && strcmp(kind, "remind") != 0) {
            bo_page_error_key(p, action ? "na_kind" : "no_kind", "workflows.add_error_kind");
            return 1;
        }
        if (action && c->n_actions < WORKFLOW_EDIT_ACTIONS_MAX) {
            /* A document generated is shown to the citizen unless unticked. */
            c->actions[c->n_actions] = (cat_action){.kind = k, .status = st, .citizen_visible = 1};
            ta[c->n_actions++] = (typed){{""}};
        } else if (!action && c->n_timeouts < WORKFLOW_EDIT_TIMEOUTS_MAX) {
            int jump = strcmp(kind, "jump") == 0;
            c->timeouts[c->n_timeouts] = (store_workflow_timeout){
                .workflow_id = c->rec.id,
                .status_code = st,
                .unit = "days",
                .kind = jump ? "jump" : "remind",
                .meaning = "none",
                .whom = jump ? NULL : "agents",
            };
            tt[c->n_timeouts++] = (typed){{"", "0", "0", "0"}};
        } else {
            bo_page_error_key(p, action ? "na_kind" : "no_kind",
                              action ? "workflows.problem.too_many_actions"
                                     : "workflows.problem.too_many_timeouts");
        }
        return 1;
    }
    return 0;
}

/* The action check's key at fault as the row's part and the message's key. */
static void action_fault(const error *e, const char **part, const char **key)
{
    static const char *const map[][2] = {{"text", "text"},
                                         {"text_en", "text_en"},
                                         {"days", "days"},
                                         {"working", "days"},
                                         {"return_to", "return"},
                                         {"url", "url"},
                                         {"status", "kind"},
                                         {"template", "template"},
                                         {"citizen_visible", "template"},
                                         {"silence_only", "template"},
                                         {"elus", "signers"}};
    *part = "kind";
    *key = "kind";
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(e->arg, map[i][0]) == 0) {
            *part = map[i][1];
            *key = e->arg;
        }
    /* Precise words for the two ways a text goes wrong that an administrator meets. */
    if (strncmp(e->detail, "has an unknown placeholder", 26) == 0)
        *key = strcmp(e->arg, "text") == 0 ? "text_placeholder" : "text_en_placeholder";
    else if (strcmp(e->arg, "text_en") == 0 && strncmp(e->detail, "goes with", 9) == 0)
        *key = "text_en_alone";
    if (strcmp(*part, "template") == 0)
        *key = "template";
    /* webhook_url_check names its own fields: all are the URL's. */
    if (strcmp(*part, "kind") == 0 && strcmp(e->arg, "status") != 0 && strcmp(e->arg, "kind") &&
        strcmp(e->arg, "params") && strcmp(e->arg, "elus"))
        *part = "url", *key = "url";
}

static const char *timeout_part(const char *arg)
{
    static const char *const map[][2] = {{"delay", "delay"},         {"unit", "unit"},
                                         {"target", "target"},       {"meaning", "meaning"},
                                         {"whom", "whom"},           {"repeat_days", "rdays"},
                                         {"repeat_times", "rtimes"}, {"warn_before", "warn"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(arg, map[i][0]) == 0)
            return map[i][1];
    return "delay";
}

/* Checks each row of c as core would take it, its error on the field at fault. */
static void check_rows(arena *a, const cat_workflow *c, bo_page *p)
{
    for (size_t i = 0; i < c->n_actions; i++) {
        const cat_action *x = &c->actions[i];
        json_t *params = workflow_action_params_json(x);
        char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
        json_decref(params);
        store_workflow_action row = {.workflow_id = c->rec.id,
                                     .status_code = x->status,
                                     .position = x->position,
                                     .kind = workflow_action_kind_name(x->kind),
                                     .params = text ? text : "{}"};
        cat_action out;
        error e;
        error_clear(&e);
        int rc = workflow_action_check(a, c, &row, &out, &e);
        if (rc == 0 && x->kind == WORKFLOW_ACTION_GENERATE_DOCUMENT &&
            workflow_edit_template_known(p->rq->core, c->rec.tenant_id, x->tpl, &e) != 0) {
            /* Named as the collectivité's templates are: the one the row holds is gone. */
            if (e.code == ERR_INVALID_ARG)
                bo_page_error(p, name_of(a, 'a', i, "template"),
                              bo_wf_fill(p, "workflows.act_error.template_unknown",
                                         workflow_agent_label(c, x->status, p->l), x->tpl));
            else
                bo_page_error(p, name_of(a, 'a', i, "template"), e.detail);
        } else if (rc != 0) {
            const char *part, *key;
            action_fault(&e, &part, &key);
            const char *kind = bo_page_str(
                p, arena_printf(a, "workflows.kinds.%s", workflow_action_kind_name(x->kind)));
            bo_page_error(p, name_of(a, 'a', i, part),
                          bo_wf_fill(p, arena_printf(a, "workflows.act_error.%s", key),
                                     workflow_agent_label(c, x->status, p->l), kind));
        }
        free(text);
    }
    for (size_t i = 0; i < c->n_timeouts; i++) {
        error e;
        error_clear(&e);
        if (workflow_timeout_check(c, &c->timeouts[i], &e) != 0) {
            const char *part = timeout_part(e.arg);
            const char *key =
                strcmp(timeout_part(e.arg), "delay") == 0 && strcmp(e.arg, "delay") != 0 ? "other"
                                                                                         : e.arg;
            bo_page_error(p, name_of(a, 'o', i, part),
                          bo_wf_fill(p, arena_printf(a, "workflows.to_error.%s", key),
                                     workflow_agent_label(c, c->timeouts[i].status_code, p->l),
                                     NULL));
        }
    }
}

cat_workflow *bo_wf_parse_acts(arena *a, const cat_workflow *wf, const form *f, bo_page *p,
                               int *adding)
{
    cat_workflow *c = arena_alloc(a, sizeof *c);
    typed *ta = arena_alloc(a, sizeof *ta * (WORKFLOW_EDIT_ACTIONS_MAX + 1));
    typed *tt = arena_alloc(a, sizeof *tt * (WORKFLOW_EDIT_TIMEOUTS_MAX + 1));
    if (!c || !ta || !tt)
        return NULL;
    *c = *wf;
    c->actions = arena_alloc(a, sizeof *c->actions * (WORKFLOW_EDIT_ACTIONS_MAX + 1));
    c->timeouts = arena_alloc(a, sizeof *c->timeouts * (WORKFLOW_EDIT_TIMEOUTS_MAX + 1));
    if (!c->actions || !c->timeouts)
        return NULL;
    c->n_actions = read_actions(a, f, c->actions, ta);
    c->n_timeouts = read_timeouts(a, wf, f, c->timeouts, tt);
    *adding = apply_op(c, ta, tt, f, p);
    sort_rows(c, c->actions, ta, c->n_actions, sizeof *c->actions, action_status);
    sort_rows(c, c->timeouts, tt, c->n_timeouts, sizeof *c->timeouts, timeout_status);
    /* Positions from 1 within each status, in the page's order. */
    for (size_t i = 0; i < c->n_actions; i++)
        c->actions[i].position = i > 0 && same(c->actions[i - 1].status, c->actions[i].status)
                                     ? c->actions[i - 1].position + 1
                                     : 1;
    for (size_t i = 0; i < c->n_timeouts; i++)
        c->timeouts[i].position =
            i > 0 && same(c->timeouts[i - 1].status_code, c->timeouts[i].status_code)
                ? c->timeouts[i - 1].position + 1
                : 1;
    /* What was typed in the number fields, on the rows' places now. */
    static const char *const to_parts[] = {"delay", "warn", "rdays", "rtimes"};
    for (size_t i = 0; i < c->n_actions; i++)
        if (ta[i].v[0])
            bo_page_value(p, name_of(a, 'a', i, "days"), ta[i].v[0]);
    for (size_t i = 0; i < c->n_timeouts; i++)
        for (size_t k = 0; k < 4; k++)
            if (tt[i].v[k])
                bo_page_value(p, name_of(a, 'o', i, to_parts[k]), tt[i].v[k]);
    if (!*adding)
        check_rows(a, c, p);
    return c;
}

/* ---- in words ---- */

static const char *action_words(bo_page *p, const cat_workflow *wf, const cat_action *x)
{
    arena *a = p->rq->arena;
    const char *kind = workflow_action_kind_name(x->kind);
    switch (x->kind) {
    case WORKFLOW_ACTION_NOTIFY_CITIZEN:
        return x->text ? bo_wf_fill(p, "workflows.act_desc.notify_citizen_text", x->text, NULL)
                       : bo_page_str(p, "workflows.act_desc.notify_citizen");
    case WORKFLOW_ACTION_SET_DUE_DATE:
        return bo_wf_fill(p,
                          x->working ? "workflows.act_desc.set_due_date_working"
                                     : "workflows.act_desc.set_due_date",
                          arena_printf(a, "%d", x->days), NULL);
    case WORKFLOW_ACTION_ASK_CITIZEN:
        return bo_wf_fill(p, "workflows.act_desc.ask_citizen",
                          wf ? workflow_agent_label(wf, x->return_to, p->l) : x->return_to, NULL);
    case WORKFLOW_ACTION_WEBHOOK:
        return bo_wf_fill(p, "workflows.act_desc.webhook", x->url, NULL);
    case WORKFLOW_ACTION_GENERATE_DOCUMENT:
        return bo_wf_fill(p,
                          x->silence_only ? "workflows.act_desc.generate_document_silence"
                                          : "workflows.act_desc.generate_document",
                          x->tpl, NULL);
    case WORKFLOW_ACTION_SEND_FOR_SIGNATURE:
        return bo_wf_fill(p, "workflows.act_desc.send_for_signature", x->signers, NULL);
    default:
        return bo_page_str(p, arena_printf(a, "workflows.act_desc.%s", kind));
    }
}

static const char *timeout_words(bo_page *p, const cat_workflow *wf,
                                 const store_workflow_timeout *t)
{
    arena *a = p->rq->arena;
    const char *after =
        arena_printf(a, "%d %s", t->delay,
                     bo_page_str(p, arena_printf(a, "workflows.units.%s", t->unit ? t->unit : "")));
    if (same(t->kind, "jump")) {
        const char *to = wf ? workflow_agent_label(wf, t->target, p->l) : t->target;
        const char *s = bo_wf_fill(p, "workflows.to_desc.jump", after, to);
        s = arena_printf(a, "%s, %s", s,
                         bo_page_str(p, arena_printf(a, "workflows.meanings.%s",
                                                     t->meaning ? t->meaning : "none")));
        if (t->warn_before > 0)
            s = arena_printf(a, "%s, %s", s,
                             bo_wf_fill(p, "workflows.to_desc.warn",
                                        arena_printf(a, "%d", t->warn_before), NULL));
        return s;
    }
    const char *s =
        bo_wf_fill(p, "workflows.to_desc.remind", after,
                   bo_page_str(p, arena_printf(a, "workflows.whoms.%s", t->whom ? t->whom : "")));
    if (t->repeat_times > 0)
        s = arena_printf(a, "%s, %s", s,
                         bo_wf_fill(p, "workflows.to_desc.repeat",
                                    arena_printf(a, "%d", t->repeat_days),
                                    arena_printf(a, "%d", t->repeat_times)));
    return s;
}

void bo_wf_acts_overview(bo_page *p, const cat_workflow *wf)
{
    json_t *list = json_array();
    for (size_t s = 0; s < wf->n_statuses; s++) {
        const char *code = wf->statuses[s].code;
        json_t *acts = json_array(), *tos = json_array();
        for (size_t i = 0; i < wf->n_actions; i++)
            if (same(wf->actions[i].status, code))
                json_array_append_new(acts, json_string(action_words(p, wf, &wf->actions[i])));
        for (size_t i = 0; i < wf->n_timeouts; i++)
            if (same(wf->timeouts[i].status_code, code))
                json_array_append_new(tos, json_string(timeout_words(p, wf, &wf->timeouts[i])));
        if (!json_array_size(acts) && !json_array_size(tos)) {
            json_decref(acts);
            json_decref(tos);
            continue;
        }
        json_t *o = json_object();
        present_set_str(o, "label",
                        bo_wf_text(p, wf->statuses[s].agent_label, wf->statuses[s].agent_label_en));
        json_object_set_new(o, "actions", acts);
        json_object_set_new(o, "timeouts", tos);
        json_array_append_new(list, o);
    }
    bo_page_set(p, "has_acts", json_boolean(json_array_size(list) > 0));
    bo_page_set(p, "acts_overview", list);
}

static const char *str_of(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int int_of(json_t *o, const char *k)
{
    return (int)json_integer_value(json_object_get(o, k));
}

void bo_wf_acts_of_definition(bo_page *p, json_t *statuses)
{
    /* A workflow of the definition's statuses alone, for their labels in the words. */
    size_t n = json_array_size(statuses);
    arena *a = p->rq->arena;
    cat_workflow *wf = arena_alloc(a, sizeof *wf);
    if (!wf)
        return;
    memset(wf, 0, sizeof *wf);
    wf->statuses = arena_alloc(a, sizeof *wf->statuses * (n + 1));
    size_t n_acts = 0, n_tos = 0, i;
    json_t *s;
    json_array_foreach(statuses, i, s)
    {
        n_acts += json_array_size(json_object_get(s, "actions"));
        n_tos += json_array_size(json_object_get(s, "timeouts"));
    }
    wf->actions = arena_alloc(a, sizeof *wf->actions * (n_acts + 1));
    wf->timeouts = arena_alloc(a, sizeof *wf->timeouts * (n_tos + 1));
    if (!wf->statuses || !wf->actions || !wf->timeouts)
        return;
    json_array_foreach(statuses, i, s)
    {
        const char *code = str_of(s, "code");
        wf->statuses[wf->n_statuses++] = (store_workflow_status){
            .code = code ? code : "",
            .agent_label = str_of(s, "agent_label"),
            .agent_label_en = str_of(s, "agent_label_en"),
        };
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(s, "actions"), k, x)
        {
            cat_action *act = &wf->actions[wf->n_actions];
            json_t *params = json_object_get(x, "params");
            if (workflow_action_kind_parse(str_of(x, "kind"), &act->kind) != 0)
                continue;
            act->status = code;
            act->text = str_of(params, "text");
            act->text_en = str_of(params, "text_en");
            act->days = int_of(params, "days");
            act->working = json_is_true(json_object_get(params, "working"));
            act->return_to = str_of(params, "return_to");
            act->url = str_of(params, "url");
            act->tpl = str_of(params, "template");
            act->silence_only = json_is_true(json_object_get(params, "silence_only"));
            wf->n_actions++;
        }
        json_array_foreach(json_object_get(s, "timeouts"), k, x)
        {
            wf->timeouts[wf->n_timeouts++] = (store_workflow_timeout){
                .status_code = code,
                .delay = int_of(x, "delay"),
                .unit = str_of(x, "unit"),
                .kind = str_of(x, "kind"),
                .target = str_of(x, "target"),
                .meaning = str_of(x, "meaning"),
                .whom = str_of(x, "whom"),
                .repeat_days = int_of(x, "repeat_days"),
                .repeat_times = int_of(x, "repeat_times"),
                .warn_before = int_of(x, "warn_before"),
            };
        }
    }
    bo_wf_acts_overview(p, wf);
}

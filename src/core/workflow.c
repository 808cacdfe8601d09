/*
 * workflow — statuses and transitions as data: building a tenant's workflows from the
 * catalogue's rows (with the rules a workflow must keep) and answering every status question.
 */
#include "core/workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/catalogue.h"
#include "core/workflow_action.h"
#include "core/workflow_timeout.h"
#include "util/log.h"

/* The roles a transition names, as bits; -1 for a name that is no role. */
static int roles_parse(const char *names, unsigned *out)
{
    *out = 0;
    for (const char *p = names ? names : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (n) {
            char name[16];
            agent_role r;
            if (n >= sizeof name)
                return -1;
            memcpy(name, p, n);
            name[n] = '\0';
            if (agent_role_parse(name, &r) != 0)
                return -1;
            *out |= 1u << r;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

const char *const workflow_colours[] = {"blue", "purple", "amber", "green",
                                        "red",  "grey",   "teal",  NULL};
const char *const workflow_extended_statuses[] = {"FIXED",
                                                  "IN_PROGRESS",
                                                  "ACTION_SCHEDULED",
                                                  "INVESTIGATING",
                                                  "DUPLICATE",
                                                  "NOT_COUNCILS_RESPONSIBILITY",
                                                  "NO_FURTHER_ACTION",
                                                  "INTERNAL_REFERRAL",
                                                  "FOR_TRIAGE",
                                                  "CANCELLED",
                                                  NULL};

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

int workflow_code_valid(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > WORKFLOW_CODE_MAX || code[0] < 'a' || code[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
              code[i] == '_'))
            return 0;
    return 1;
}

/* Appends one problem when there is room; counts it anyway. */
static void problem(workflow_problem *out, size_t max, size_t *n, const char *key, const char *a,
                    const char *b)
{
    if (*n < max)
        out[*n] = (workflow_problem){.key = key, .a = a, .b = b};
    (*n)++;
}

static int blank(const char *s)
{
    return !s || !*s;
}

/* Marks in seen[] the statuses reachable from status `from` by transitions and reopenings (a
 * citizen's «pas réglé» is a way in too). Breadth first over a queue: a workflow holds few
 * statuses, and the stack stays flat whatever its shape. */
static void mark_reachable(const cat_workflow *wf, size_t from, unsigned char *seen, size_t *queue)
{
    size_t head = 0, tail = 0;
    seen[from] = 1;
    queue[tail++] = from;
    while (head < tail) {
        const store_workflow_status *s = &wf->statuses[queue[head++]];
        /* Each transition out of s, then its reopening. */
        for (size_t i = 0; i <= wf->n_transitions; i++) {
            const char *to = s->reopen_to;
            if (i < wf->n_transitions) {
                const store_workflow_transition *t = &wf->transitions[i].rec;
                if (!t->from_code || !s->code || strcmp(t->from_code, s->code) != 0)
                    continue;
                to = t->to_code;
            }
            const store_workflow_status *next = workflow_status(wf, to);
            size_t k = next ? (size_t)(next - wf->statuses) : 0;
            if (next && !seen[k]) {
                seen[k] = 1;
                queue[tail++] = k;
            }
        }
    }
}

/* Whether action act, checked when it was loaded, still holds in wf as it is now. */
static int action_still_valid(const cat_workflow *wf, const cat_action *act)
{
    error err;
    error_clear(&err);
    return workflow_action_holds(wf, act, &err) == 0;
}

void workflow_prune(cat_workflow *wf)
{
    size_t k = 0;
    for (size_t i = 0; i < wf->n_actions; i++)
        if (workflow_status(wf, wf->actions[i].status))
            wf->actions[k++] = wf->actions[i];
    wf->n_actions = k;
    k = 0;
    for (size_t i = 0; i < wf->n_timeouts; i++)
        if (workflow_status(wf, wf->timeouts[i].status_code))
            wf->timeouts[k++] = wf->timeouts[i];
    wf->n_timeouts = k;
}

size_t workflow_check(const cat_workflow *wf, workflow_problem *out, size_t max)
{
    size_t n = 0, initials = 0;
    if (blank(wf->rec.name))
        problem(out, max, &n, "name_missing", NULL, NULL);
    if (wf->n_statuses == 0)
        problem(out, max, &n, "no_status", NULL, NULL);
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        initials += s->is_initial != 0;
        if (!workflow_code_valid(s->code))
            problem(out, max, &n, "status_code", s->code ? s->code : "", NULL);
        else if (workflow_status(wf, s->code) != s)
            problem(out, max, &n, "status_twice", s->code, NULL);
        if (blank(s->agent_label) || blank(s->citizen_label))
            problem(out, max, &n, "status_label", s->code, NULL);
        if (!in_list(workflow_colours, s->colour))
            problem(out, max, &n, "status_colour", s->code, NULL);
        if (s->extended_status && !in_list(workflow_extended_statuses, s->extended_status))
            problem(out, max, &n, "status_extended", s->code, NULL);
        if (s->reopen_to && !workflow_status(wf, s->reopen_to))
            problem(out, max, &n, "reopen_unknown", s->code, s->reopen_to);
        /* Final: the end of the road, so the request is closed there. */
        if (s->is_final && !s->open311_closed)
            problem(out, max, &n, "final_open", s->code, NULL);
    }
    if (wf->n_statuses && initials == 0)
        problem(out, max, &n, "initial_none", NULL, NULL);
    if (initials > 1)
        problem(out, max, &n, "initial_many", NULL, NULL);
    for (size_t i = 0; i < wf->n_timeouts; i++) {
        error err;
        error_clear(&err);
        if (workflow_timeout_check(wf, &wf->timeouts[i], &err) != 0)
            problem(out, max, &n, "timeout_invalid", wf->timeouts[i].status_code, NULL);
    }
    for (size_t i = 0; i < wf->n_actions; i++)
        if (!action_still_valid(wf, &wf->actions[i]))
            problem(out, max, &n, "action_invalid", wf->actions[i].status,
                    workflow_action_kind_name(wf->actions[i].kind));
    for (size_t i = 0; i < wf->n_transitions; i++) {
        const store_workflow_transition *t = &wf->transitions[i].rec;
        const store_workflow_status *from = workflow_status(wf, t->from_code);
        const char *f = t->from_code ? t->from_code : "", *to = t->to_code ? t->to_code : "";
        unsigned roles;
        if (!from)
            problem(out, max, &n, "transition_from", f, to);
        if (!workflow_status(wf, t->to_code))
            problem(out, max, &n, "transition_to", f, to);
        if (from && strcmp(f, to) == 0)
            problem(out, max, &n, "transition_loop", f, to);
        if (from && from->is_final)
            problem(out, max, &n, "transition_from_final", f, to);
        if (workflow_transition(wf, f, to) != &wf->transitions[i])
            problem(out, max, &n, "transition_twice", f, to);
        if (blank(t->label))
            problem(out, max, &n, "transition_label", f, to);
        if (roles_parse(t->roles, &roles) != 0)
            problem(out, max, &n, "transition_role", f, to);
    }
    return n;
}

/* Checks and attaches wf's actions from the raw rows; the first problem into *broken (in a
 * buffer of the caller's). -1 when out of memory. */
static int build_actions(arena *a, const store_catalogue *raw, cat_workflow *wf, char *broken,
                         size_t size)
{
    size_t na = 0;
    for (size_t j = 0; j < raw->n_workflow_actions; j++)
        na += raw->workflow_actions[j].workflow_id == wf->rec.id;
    wf->actions = arena_alloc(a, sizeof *wf->actions * (na + 1));
    if (!wf->actions)
        return -1;
    for (size_t j = 0; j < raw->n_workflow_actions && !*broken; j++) {
        const store_workflow_action *in = &raw->workflow_actions[j];
        if (in->workflow_id != wf->rec.id)
            continue;
        error err;
        error_clear(&err);
        cat_action *act = &wf->actions[wf->n_actions];
        if (workflow_action_check(a, wf, in, act, &err) != 0) {
            if (err.code == ERR_INTERNAL)
                return -1;
            snprintf(broken, size, "action %.40s on %.40s: %.40s %.160s", in->kind ? in->kind : "",
                     in->status_code ? in->status_code : "", err.arg, err.detail);
            break;
        }
        /* One answer brings the request back: two would not say where. */
        if (act->kind == WORKFLOW_ACTION_ASK_CITIZEN && workflow_ask_citizen(wf, act->status))
            snprintf(broken, size, "status %.40s asks the citizen twice", act->status);
        const cat_action *same[WORKFLOW_ACTIONS_MAX];
        if (workflow_actions_on(wf, act->status, same, WORKFLOW_ACTIONS_MAX) ==
            WORKFLOW_ACTIONS_MAX)
            snprintf(broken, size, "status %.40s has more than %d actions", act->status,
                     WORKFLOW_ACTIONS_MAX);
        wf->n_actions++;
    }
    return 0;
}

size_t workflow_check_reachable(const cat_workflow *wf, workflow_problem *out, size_t max)
{
    size_t n = 0;
    const store_workflow_status *initial = NULL;
    for (size_t i = 0; i < wf->n_statuses; i++)
        if (wf->statuses[i].is_initial)
            initial = initial ? NULL : &wf->statuses[i];
    /* Reachability means something only from one initial status: workflow_check says the
     * rest. */
    if (!initial)
        return 0;
    unsigned char *seen = calloc(wf->n_statuses, 1);
    size_t *queue = malloc(sizeof *queue * wf->n_statuses);
    if (seen && queue) {
        mark_reachable(wf, (size_t)(initial - wf->statuses), seen, queue);
        for (size_t i = 0; i < wf->n_statuses; i++)
            if (!seen[i] && workflow_status(wf, wf->statuses[i].code) == &wf->statuses[i])
                problem(out, max, &n, "status_unreachable", wf->statuses[i].code, initial->code);
    } else {
        /* Not known to be complete is not complete: the caller refuses. */
        problem(out, max, &n, "out_of_memory", NULL, NULL);
    }
    free(seen);
    free(queue);
    return n;
}

int workflow_build(arena *a, const store_catalogue *raw, int64_t tenant_id, cat_workflow **out,
                   size_t *n)
{
    size_t nw = 0;
    for (size_t i = 0; i < raw->n_workflows; i++)
        nw += raw->workflows[i].tenant_id == tenant_id;
    *n = 0;
    *out = arena_alloc(a, sizeof **out * (nw + 1));
    if (!*out)
        return -1;
    for (size_t i = 0; i < raw->n_workflows; i++) {
        const store_workflow *w = &raw->workflows[i];
        if (w->tenant_id != tenant_id)
            continue;
        cat_workflow *wf = &(*out)[*n];
        memset(wf, 0, sizeof *wf);
        wf->rec = *w;
        size_t ns = 0, nt = 0, no = 0;
        for (size_t j = 0; j < raw->n_workflow_statuses; j++)
            ns += raw->workflow_statuses[j].workflow_id == w->id;
        for (size_t j = 0; j < raw->n_workflow_transitions; j++)
            nt += raw->workflow_transitions[j].workflow_id == w->id;
        for (size_t j = 0; j < raw->n_workflow_timeouts; j++)
            no += raw->workflow_timeouts[j].workflow_id == w->id;
        wf->statuses = arena_alloc(a, sizeof *wf->statuses * (ns + 1));
        wf->transitions = arena_alloc(a, sizeof *wf->transitions * (nt + 1));
        wf->timeouts = arena_alloc(a, sizeof *wf->timeouts * (no + 1));
        if (!wf->statuses || !wf->transitions || !wf->timeouts)
            return -1;
        for (size_t j = 0; j < raw->n_workflow_timeouts; j++)
            if (raw->workflow_timeouts[j].workflow_id == w->id)
                wf->timeouts[wf->n_timeouts++] = raw->workflow_timeouts[j];
        for (size_t j = 0; j < raw->n_workflow_statuses; j++)
            if (raw->workflow_statuses[j].workflow_id == w->id) {
                wf->statuses[wf->n_statuses] = raw->workflow_statuses[j];
                if (wf->statuses[wf->n_statuses].is_initial)
                    wf->initial = &wf->statuses[wf->n_statuses];
                wf->n_statuses++;
            }
        for (size_t j = 0; j < raw->n_workflow_transitions; j++)
            if (raw->workflow_transitions[j].workflow_id == w->id) {
                cat_transition *t = &wf->transitions[wf->n_transitions++];
                t->rec = raw->workflow_transitions[j];
                /* A name that is no role gives no bit: workflow_check reports it. */
                roles_parse(t->rec.roles, &t->roles);
            }
        workflow_problem first;
        size_t broken = workflow_check(wf, &first, 1);
        char why[320] = "";
        if (!broken && build_actions(a, raw, wf, why, sizeof why) != 0)
            return -1;
        if (!broken && why[0]) {
            log_error("workflow %s of tenant %lld is left out: %s", w->code, (long long)tenant_id,
                      why);
            continue;
        }
        if (broken) {
            log_error("workflow %s of tenant %lld is left out: %zu problem(s), first %s (%s %s)",
                      w->code, (long long)tenant_id, broken, first.key, first.a ? first.a : "",
                      first.b ? first.b : "");
            continue;
        }
        (*n)++;
    }
    return 0;
}

static const char *dup_opt(arena *a, const char *s, int *oom)
{
    if (!s)
        return NULL;
    const char *d = arena_strdup(a, s);
    if (!d)
        *oom = 1;
    return d;
}

cat_workflow *workflow_copy(arena *a, const cat_workflow *wf)
{
    if (!wf)
        return NULL;
    cat_workflow *c = arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    *c = *wf;
    c->statuses = arena_alloc(a, sizeof *c->statuses * (wf->n_statuses + 1));
    c->transitions = arena_alloc(a, sizeof *c->transitions * (wf->n_transitions + 1));
    c->timeouts = arena_alloc(a, sizeof *c->timeouts * (wf->n_timeouts + 1));
    if (!c->statuses || !c->transitions || !c->timeouts)
        return NULL;
    int oom = 0;
    c->rec.code = dup_opt(a, wf->rec.code, &oom);
    c->rec.name = dup_opt(a, wf->rec.name, &oom);
    c->rec.name_en = dup_opt(a, wf->rec.name_en, &oom);
    for (size_t i = 0; i < wf->n_statuses; i++) {
        store_workflow_status *d = &c->statuses[i];
        const store_workflow_status *s = &wf->statuses[i];
        *d = *s;
        d->code = dup_opt(a, s->code, &oom);
        d->agent_label = dup_opt(a, s->agent_label, &oom);
        d->agent_label_en = dup_opt(a, s->agent_label_en, &oom);
        d->citizen_label = dup_opt(a, s->citizen_label, &oom);
        d->citizen_label_en = dup_opt(a, s->citizen_label_en, &oom);
        d->colour = dup_opt(a, s->colour, &oom);
        d->extended_status = dup_opt(a, s->extended_status, &oom);
        d->reopen_to = dup_opt(a, s->reopen_to, &oom);
        if (s == wf->initial)
            c->initial = d;
    }
    for (size_t i = 0; i < wf->n_transitions; i++) {
        cat_transition *d = &c->transitions[i];
        const cat_transition *s = &wf->transitions[i];
        *d = *s;
        d->rec.from_code = dup_opt(a, s->rec.from_code, &oom);
        d->rec.to_code = dup_opt(a, s->rec.to_code, &oom);
        d->rec.label = dup_opt(a, s->rec.label, &oom);
        d->rec.label_en = dup_opt(a, s->rec.label_en, &oom);
        d->rec.roles = dup_opt(a, s->rec.roles, &oom);
    }
    c->actions = arena_alloc(a, sizeof *c->actions * (wf->n_actions + 1));
    if (!c->actions)
        return NULL;
    for (size_t i = 0; i < wf->n_actions; i++) {
        cat_action *d = &c->actions[i];
        const cat_action *s = &wf->actions[i];
        *d = *s;
        d->status = dup_opt(a, s->status, &oom);
        d->text = dup_opt(a, s->text, &oom);
        d->text_en = dup_opt(a, s->text_en, &oom);
        d->return_to = dup_opt(a, s->return_to, &oom);
        d->url = dup_opt(a, s->url, &oom);
        d->tpl = dup_opt(a, s->tpl, &oom);
    }
    for (size_t i = 0; i < wf->n_timeouts; i++) {
        store_workflow_timeout *d = &c->timeouts[i];
        const store_workflow_timeout *s = &wf->timeouts[i];
        *d = *s;
        d->status_code = dup_opt(a, s->status_code, &oom);
        d->unit = dup_opt(a, s->unit, &oom);
        d->kind = dup_opt(a, s->kind, &oom);
        d->target = dup_opt(a, s->target, &oom);
        d->meaning = dup_opt(a, s->meaning, &oom);
        d->whom = dup_opt(a, s->whom, &oom);
    }
    return oom ? NULL : c;
}

const store_workflow_status *workflow_status(const cat_workflow *wf, const char *code)
{
    for (size_t i = 0; wf && code && i < wf->n_statuses; i++)
        if (strcmp(wf->statuses[i].code, code) == 0)
            return &wf->statuses[i];
    return NULL;
}

int workflow_is_closed(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    return s && s->open311_closed;
}

/* The English text when asked and present, else the French. */
static const char *in_lang(const char *fr, const char *en, lang l)
{
    return l == LANG_EN && en && *en ? en : fr;
}

const char *workflow_agent_label(const cat_workflow *wf, const char *code, lang l)
{
    const store_workflow_status *s = workflow_status(wf, code);
    if (!s)
        return code ? code : "";
    return in_lang(s->agent_label, s->agent_label_en, l);
}

const store_workflow_status *workflow_citizen_status(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    if (!s || s->citizen_visible)
        return s;
    for (const store_workflow_status *p = s; p > wf->statuses;)
        if ((--p)->citizen_visible)
            return p;
    return wf->initial;
}

const char *workflow_citizen_label(const cat_workflow *wf, const char *code, lang l)
{
    const store_workflow_status *s = workflow_citizen_status(wf, code);
    if (!s)
        return code ? code : "";
    return in_lang(s->citizen_label, s->citizen_label_en, l);
}

const char *workflow_colour(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    return s && s->colour ? s->colour : "grey";
}

const char *workflow_open311(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    return s && s->open311_closed ? "closed" : "open";
}

const char *workflow_extended_status(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    return s ? s->extended_status : NULL;
}

static int role_may(const cat_transition *t, int role)
{
    return role == WORKFLOW_ANY_ROLE || (role >= 0 && role < 32 && (t->roles >> role) & 1u);
}

size_t workflow_transitions_from(const cat_workflow *wf, const char *from, int role,
                                 const cat_transition **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; wf && from && i < wf->n_transitions && n < max; i++)
        if (strcmp(wf->transitions[i].rec.from_code, from) == 0 &&
            role_may(&wf->transitions[i], role))
            out[n++] = &wf->transitions[i];
    return n;
}

const cat_transition *workflow_transition(const cat_workflow *wf, const char *from, const char *to)
{
    for (size_t i = 0; wf && from && to && i < wf->n_transitions; i++)
        if (strcmp(wf->transitions[i].rec.from_code, from) == 0 &&
            strcmp(wf->transitions[i].rec.to_code, to) == 0)
            return &wf->transitions[i];
    return NULL;
}

int workflow_transition_allowed(const cat_workflow *wf, const char *from, const char *to, int role,
                                int *comment_required)
{
    const cat_transition *t = workflow_transition(wf, from, to);
    if (!t || !role_may(t, role))
        return 0;
    if (comment_required)
        *comment_required = t->rec.comment_required != 0;
    return 1;
}

const char *workflow_reopen_target(const cat_workflow *wf, const char *code)
{
    const store_workflow_status *s = workflow_status(wf, code);
    return s ? s->reopen_to : NULL;
}

size_t workflow_actions_on(const cat_workflow *wf, const char *status, const cat_action **out,
                           size_t max)
{
    size_t n = 0;
    for (size_t i = 0; wf && status && i < wf->n_actions && n < max; i++)
        if (strcmp(wf->actions[i].status, status) == 0)
            out[n++] = &wf->actions[i];
    /* The rows come by position; a few actions per status: an insertion sort keeps it so
     * whatever order they were given in. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && out[k - 1]->position > out[k]->position; k--) {
            const cat_action *t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

const cat_action *workflow_ask_citizen(const cat_workflow *wf, const char *status)
{
    for (size_t i = 0; wf && status && i < wf->n_actions; i++)
        if (wf->actions[i].kind == WORKFLOW_ACTION_ASK_CITIZEN &&
            strcmp(wf->actions[i].status, status) == 0)
            return &wf->actions[i];
    return NULL;
}

/* The first closed status of wf whose extended status is `extended`, else the one coded
 * `code`. */
static const store_workflow_status *final_of_kind(const cat_workflow *wf, const char *extended,
                                                  const char *code)
{
    for (size_t i = 0; wf && i < wf->n_statuses; i++)
        if (wf->statuses[i].open311_closed && wf->statuses[i].extended_status &&
            strcmp(wf->statuses[i].extended_status, extended) == 0)
            return &wf->statuses[i];
    return workflow_status(wf, code);
}

const store_workflow_status *workflow_duplicate_status(const cat_workflow *wf)
{
    return final_of_kind(wf, "DUPLICATE", "duplicate");
}

const store_workflow_status *workflow_fixed_status(const cat_workflow *wf)
{
    return final_of_kind(wf, "FIXED", "resolved");
}

static int is_of(const store_workflow_status *s, workflow_codes which)
{
    switch (which) {
    case WORKFLOW_CODES_OPEN:
        return !s->open311_closed;
    case WORKFLOW_CODES_CLOSED:
        return s->open311_closed;
    case WORKFLOW_CODES_INITIAL:
        return s->is_initial;
    }
    return 0;
}

size_t workflow_tenant_codes(const struct cat_tenant *t, workflow_codes which, const char **out,
                             size_t max)
{
    size_t n = 0;
    for (size_t w = 0; t && w < t->n_workflows; w++)
        for (size_t i = 0; i < t->workflows[w].n_statuses && n < max; i++) {
            const store_workflow_status *s = &t->workflows[w].statuses[i];
            if (!is_of(s, which))
                continue;
            size_t k = 0;
            while (k < n && strcmp(out[k], s->code) != 0)
                k++;
            if (k == n)
                out[n++] = s->code;
        }
    return n;
}

const char *workflow_tenant_label(const struct cat_tenant *t, const char *code, lang l)
{
    for (size_t w = 0; t && w < t->n_workflows; w++)
        if (workflow_status(&t->workflows[w], code))
            return workflow_agent_label(&t->workflows[w], code, l);
    return code ? code : "";
}

const cat_workflow *workflow_by_code(const struct cat_tenant *t, const char *code)
{
    for (size_t w = 0; t && code && w < t->n_workflows; w++)
        if (strcmp(t->workflows[w].rec.code, code) == 0)
            return &t->workflows[w];
    return NULL;
}

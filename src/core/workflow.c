/*
 * workflow — statuses and transitions as data: building a tenant's workflows from the
 * catalogue's rows (with the rules a workflow must keep) and answering every status question.
 */
#include "core/workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/catalogue.h"
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

/* Reports one broken rule: formats what into a line and hands it on. */
static void say(workflow_problem_fn problem, void *ctx, size_t *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(workflow_problem_fn problem, void *ctx, size_t *count, const char *fmt, ...)
{
    char what[WORKFLOW_PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    (*count)++;
    if (problem)
        problem(ctx, what);
}

/* The position of the first status coded `code` among wf's first `before`, or n_statuses. */
static size_t status_index(const cat_workflow *wf, const char *code, size_t before)
{
    for (size_t i = 0; code && i < before; i++)
        if (wf->statuses[i].code && strcmp(wf->statuses[i].code, code) == 0)
            return i;
    return wf->n_statuses;
}

/* Marks in seen[] the statuses reachable from status `from` by transitions and reopenings
 * (a citizen's «pas réglé» is a way in too). Iterative: a workflow holds few statuses, and
 * a queue keeps the stack flat whatever its shape. */
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
                if (!t->from_code || strcmp(t->from_code, s->code) != 0)
                    continue;
                to = t->to_code;
            }
            size_t k = status_index(wf, to, wf->n_statuses);
            if (k < wf->n_statuses && !seen[k]) {
                seen[k] = 1;
                queue[tail++] = k;
            }
        }
    }
}

size_t workflow_check(const cat_workflow *wf, workflow_problem_fn problem, void *ctx)
{
    size_t count = 0, initials = 0, initial = 0;
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        size_t first = status_index(wf, s->code, i);
        if (first < i)
            say(problem, ctx, &count, "status %zu repeats the code \"%s\" of status %zu", i + 1,
                s->code, first + 1);
        if (s->is_initial)
            initial = i, initials++;
        if (s->reopen_to && !workflow_status(wf, s->reopen_to))
            say(problem, ctx, &count, "status \"%s\" reopens to unknown status \"%s\"", s->code,
                s->reopen_to);
        /* Final: the end of the road, so the request is closed there. */
        if (s->is_final && !s->open311_closed)
            say(problem, ctx, &count, "final status \"%s\" is not closed (open311 \"closed\")",
                s->code);
    }
    if (initials != 1)
        say(problem, ctx, &count, "it has %zu initial statuses, not exactly one", initials);
    for (size_t i = 0; i < wf->n_transitions; i++) {
        const store_workflow_transition *t = &wf->transitions[i].rec;
        const store_workflow_status *from = workflow_status(wf, t->from_code);
        unsigned roles;
        if (!from)
            say(problem, ctx, &count, "transition %zu comes from unknown status \"%s\"", i + 1,
                t->from_code ? t->from_code : "");
        if (!workflow_status(wf, t->to_code))
            say(problem, ctx, &count, "transition %zu goes to unknown status \"%s\"", i + 1,
                t->to_code ? t->to_code : "");
        if (from && from->is_final)
            say(problem, ctx, &count, "transition %zu leaves final status \"%s\"", i + 1,
                from->code);
        if (roles_parse(t->roles, &roles) != 0)
            say(problem, ctx, &count, "transition %zu names an unknown role in \"%s\"", i + 1,
                t->roles);
        for (size_t j = 0; j < i && t->from_code && t->to_code; j++) {
            const store_workflow_transition *u = &wf->transitions[j].rec;
            if (u->from_code && u->to_code && strcmp(u->from_code, t->from_code) == 0 &&
                strcmp(u->to_code, t->to_code) == 0) {
                say(problem, ctx, &count,
                    "transition %zu repeats transition %zu (\"%s\" to \"%s\")", i + 1, j + 1,
                    t->from_code, t->to_code);
                break;
            }
        }
    }
    /* Reachability means something only from one initial status. */
    if (initials == 1 && wf->n_statuses > 0) {
        unsigned char *seen = calloc(wf->n_statuses, 1);
        size_t *queue = malloc(sizeof *queue * wf->n_statuses);
        if (!seen || !queue) {
            say(problem, ctx, &count, "out of memory checking which statuses are reachable");
        } else {
            mark_reachable(wf, initial, seen, queue);
            for (size_t i = 0; i < wf->n_statuses; i++)
                if (!seen[i] && status_index(wf, wf->statuses[i].code, i) == wf->n_statuses)
                    say(problem, ctx, &count,
                        "status \"%s\" is not reachable from the initial status \"%s\"",
                        wf->statuses[i].code, wf->statuses[initial].code);
        }
        free(seen);
        free(queue);
    }
    return count;
}

/* Keeps the first broken rule, for the catalogue's log line. */
static void keep_first(void *ctx, const char *what)
{
    char *first = ctx;
    if (!*first)
        snprintf(first, WORKFLOW_PROBLEM_MAX, "%s", what);
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
        size_t ns = 0, nt = 0;
        for (size_t j = 0; j < raw->n_workflow_statuses; j++)
            ns += raw->workflow_statuses[j].workflow_id == w->id;
        for (size_t j = 0; j < raw->n_workflow_transitions; j++)
            nt += raw->workflow_transitions[j].workflow_id == w->id;
        wf->statuses = arena_alloc(a, sizeof *wf->statuses * (ns + 1));
        wf->transitions = arena_alloc(a, sizeof *wf->transitions * (nt + 1));
        if (!wf->statuses || !wf->transitions)
            return -1;
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
                /* An unknown role is one of workflow_check's broken rules. */
                (void)roles_parse(t->rec.roles, &t->roles);
            }
        /* The same rules as an import's (core/procdef.h), so the two cannot drift. */
        char first[WORKFLOW_PROBLEM_MAX] = "";
        size_t broken = workflow_check(wf, keep_first, first);
        if (broken) {
            log_error("workflow %s of tenant %lld is left out: %s%s", w->code, (long long)tenant_id,
                      first, broken > 1 ? " (and more)" : "");
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
    if (!c->statuses || !c->transitions)
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

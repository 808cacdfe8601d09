/*
 * bo_inbox — the agents' inbox, one list for every channel: tabs «À traiter» (assigned to
 * me), «Mon service» (my departments), «Tout» (as permitted) with their counts, filters as a
 * GET form, full-text search, sorting, pages, the SLA views «En retard» and «Échéance
 * aujourd'hui» with their counts (core/sla.h), saved filters, and bulk actions on a
 * selection (assign, status, reply with a template) for managers and admins.
 * Every query is narrowed by perm_scope; every list is audited by the ids shown ("search" as
 * well when there was a search), never by the search terms. Also the route table of all the
 * work pages (request page, intake, field agents' page).
 */
#include "web/backoffice/backoffice.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/workflow.h"
#include "core/work.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define PER_PAGE 50
#define PAGE_MAX 10000
/* Tab counts stop here when other filters than the tab's own apply (a search, a procedure,
 * dates…): such counts walk the matching requests, and «1000+» says enough. The tabs' own
 * counts (status, department, assignee) are exact whatever their size (store counters). */
#define COUNT_CAP 1000
#define QUERY_MAX 2000
#define FILTER_NAME_MAX 80
#define BULK_MAX 100
/* Inbox exports per agent (tokens per second, burst): each may stream every request of the
 * collectivité; a person exporting what they look at stays under it. */
#define RATE_INBOX_EXPORT (60.0 / 3600), 30

typedef struct tab_def {
    const char *key;
    int bit;
    const char *label_key;
} tab_def;

static const tab_def tabs[] = {
    {"nouvelles", PERM_TAB_TRIAGE, "inbox.tab_new"},
    {"non-assignees", PERM_TAB_TRIAGE, "inbox.tab_unassigned"},
    {"moi", PERM_TAB_MINE, "inbox.tab_mine"},
    {"service", PERM_TAB_DEPARTMENT, "inbox.tab_department"},
    {"tout", PERM_TAB_ALL, "inbox.tab_all"},
};

/* The views (?vue=…): the SLA ones — the open requests late, or due by the end of today, of
 * the tab and filters in use, soonest due first —, and the requests to answer by post
 * (core/mail_fallback.h: no message reaches their citizen). */
typedef struct view_def {
    const char *key;
    sla_state state;
    const char *label_key, *title_key;
    int letter; /* 1: the «à envoyer par courrier» view, not an SLA one */
} view_def;

static const view_def views[] = {
    {"retard", SLA_LATE, "inbox.view_late", "inbox.title_overdue", 0},
    {"aujourdhui", SLA_DUE_TODAY, "inbox.view_today", "inbox.title_today", 0},
    {"courrier", SLA_LATE, "inbox.view_letter", "inbox.title_letter", 1},
};

/* Narrows f to view v. */
static void view_apply(const cat_tenant *t, store_request_filter *f, const view_def *v)
{
    if (v->letter) {
        /* Whatever their status: a closed request's last notice may be the one to post. */
        f->letter_due = 1;
        f->only_open = 0;
        f->n_statuses = 0;
    } else
        sla_filter(t, f, v->state, time_now());
}

typedef struct sort_def {
    const char *key;
    int sort;
    const char *label_key;
} sort_def;

static const sort_def sorts[] = {
    {"recent", STORE_SORT_CREATED_DESC, "inbox.sort_recent"},
    {"ancien", STORE_SORT_CREATED_ASC, "inbox.sort_oldest"},
    {"maj", STORE_SORT_UPDATED_DESC, "inbox.sort_updated"},
    {"echeance", STORE_SORT_DUE_ASC, "inbox.sort_due"},
    {"priorite", STORE_SORT_PRIORITY_DESC, "inbox.sort_priority"},
};

/* The query-string fields the filter form owns, in the order they are written back. */
static const char *const filter_fields[] = {"onglet",  "vue",      "q",     "statut", "demarche",
                                            "service", "canal",    "agent", "du",     "au",
                                            "retard",  "priorite", "tri",   "avant"};

/* The view asked for (?vue=), NULL for none or an unknown one. */
static const view_def *current_view(http_req *rq)
{
    const char *v = bo_query(rq, "vue");
    for (size_t i = 0; v && i < sizeof views / sizeof views[0]; i++)
        if (strcmp(views[i].key, v) == 0)
            return &views[i];
    return NULL;
}

/* The open requests: closed_at unset (what the search index narrows on), and the open codes
 * of the collectivité's workflows (what the kept counts are summed over) when they fit in a
 * filter; more of them, closed_at alone says it (the count then walks the requests). */
static void set_open_statuses(store_request_filter *f, const cat_tenant *t)
{
    const char *codes[STORE_FILTER_MAX_LIST + 1];
    size_t n = workflow_tenant_codes(t, WORKFLOW_CODES_OPEN, codes, STORE_FILTER_MAX_LIST + 1);
    f->only_open = 1;
    f->n_statuses = n <= STORE_FILTER_MAX_LIST ? n : 0;
    memcpy(f->statuses, codes, f->n_statuses * sizeof *codes);
}

/* 1 when code is one of the tenant's statuses of the kind asked (workflow_tenant_codes). */
static int tenant_has_code(const cat_tenant *t, workflow_codes which, const char *code)
{
    const char *codes[STORE_FILTER_MAX_LIST];
    size_t n = workflow_tenant_codes(t, which, codes, STORE_FILTER_MAX_LIST);
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(codes[i], code) == 0)
            return 1;
    return 0;
}

/* "2026-03-12" at 00:00 UTC (+ end_of_day: 23:59:59); -1 when malformed. */
static int parse_day(const char *s, int end_of_day, int64_t *out)
{
    char buf_[40];
    if (!s || strlen(s) != 10)
        return -1;
    snprintf(buf_, sizeof buf_, "%sT%s", s, end_of_day ? "23:59:59Z" : "00:00:00Z");
    return time_parse_rfc3339(buf_, out);
}

/* Fills f from the query and the tab; the agent's scope is applied afterwards. */
static void filter_from_query(http_req *rq, const store_agent *a, const cat_tenant *t,
                              const char *tab, store_request_filter *f)
{
    memset(f, 0, sizeof *f);
    f->tenant_id = t->rec.id;
    f->limit = PER_PAGE;
    if (strcmp(tab, "moi") == 0) {
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(a, id);
        f->assignee = arena_strdup(rq->arena, id);
        set_open_statuses(f, t);
    } else if (strcmp(tab, "service") == 0 || strcmp(tab, "nouvelles") == 0 ||
               strcmp(tab, "non-assignees") == 0) {
        for (size_t i = 0; i < a->n_departments && i < STORE_FILTER_MAX_LIST; i++)
            f->department_ids[f->n_department_ids++] = a->department_ids[i];
        set_open_statuses(f, t);
        if (strcmp(tab, "nouvelles") == 0)
            f->n_statuses = workflow_tenant_codes(t, WORKFLOW_CODES_INITIAL, f->statuses,
                                                  STORE_FILTER_MAX_LIST);
        else if (strcmp(tab, "non-assignees") == 0) {
            f->unassigned = 1;
        }
    }
    const char *v;
    if ((v = bo_query(rq, "statut"))) {
        int is_open = tenant_has_code(t, WORKFLOW_CODES_OPEN, v),
            is_closed = tenant_has_code(t, WORKFLOW_CODES_CLOSED, v);
        if (strcmp(v, "ouvertes") == 0)
            set_open_statuses(f, t);
        else if (is_open || is_closed) {
            f->statuses[0] = v;
            f->n_statuses = 1;
            f->only_open = !is_closed; /* a code closed in no workflow: open requests only */
        }
    }
    if ((v = bo_query(rq, "demarche"))) {
        const cat_procedure *p = catalogue_procedure(t, v);
        f->procedure_ids[f->n_procedure_ids++] = p ? p->rec.id : -1;
    }
    if ((v = bo_query(rq, "service"))) {
        const cat_department *d = catalogue_department(t, v);
        f->department_id = d ? d->rec.id : -1;
    }
    if ((v = bo_query(rq, "canal"))) {
        channel ch;
        f->channel = channel_parse(v, &ch) == 0 ? v : "none";
    }
    if ((v = bo_query(rq, "agent"))) {
        if (strcmp(v, "aucun") == 0)
            f->unassigned = 1;
        else if (strcmp(v, "moi") == 0) {
            char id[AGENT_ASSIGNEE_LEN];
            agent_assignee_id(a, id);
            f->assignee = arena_strdup(rq->arena, id);
        } else
            f->assignee = v;
    }
    int64_t when;
    if ((v = bo_query(rq, "du")) && parse_day(v, 0, &when) == 0)
        f->created_from = when;
    if ((v = bo_query(rq, "au")) && parse_day(v, 1, &when) == 0)
        f->created_to = when;
    /* «Chercher aussi avant 2024»: a search stopped by its time budget goes on from there. */
    char new_year[16];
    if ((v = bo_query(rq, "avant")) && strlen(v) == 4 && strspn(v, "0123456789") == 4 &&
        snprintf(new_year, sizeof new_year, "%s-01-01", v) > 0 &&
        parse_day(new_year, 0, &when) == 0 && when > 0 &&
        (!f->created_to || when - 1 < f->created_to))
        f->created_to = when - 1;
    if ((v = bo_query(rq, "priorite")) && v[0] >= '0' && v[0] <= '3' && v[1] == '\0') {
        f->by_priority = 1;
        f->priority = v[0] - '0';
    }
    /* «En retard seulement» (the filters' box) is the late view as a filter. */
    const view_def *view = current_view(rq);
    if (view)
        view_apply(t, f, view);
    else if (bo_query(rq, "retard"))
        sla_filter(t, f, SLA_LATE, time_now());
    if ((v = bo_query(rq, "tri")))
        for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
            if (strcmp(sorts[i].key, v) == 0)
                f->sort = sorts[i].sort;
    if ((v = bo_query(rq, "q")) && strlen(v) <= 200)
        f->text = v;
}

/* The query string of this page with `tab` and without page/fait, "&" separated, ending
 * with "&" when not empty (so "…?<base>page=2" works). */
static const char *query_base_except(http_req *rq, const char *tab, int keep_tab,
                                     const char *except)
{
    buf b;
    buf_init(&b, QUERY_MAX * 2);
    if (keep_tab)
        buf_printf(&b, "onglet=%s&", tab);
    for (size_t i = 1; i < sizeof filter_fields / sizeof filter_fields[0]; i++) {
        const char *v = bo_query(rq, filter_fields[i]);
        if (v && (!except || strcmp(filter_fields[i], except) != 0))
            buf_printf(&b, "%s=%s&", filter_fields[i], bo_url(rq, v));
    }
    const char *out = arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    return out ? out : "";
}

static const char *query_base(http_req *rq, const char *tab, int keep_tab)
{
    return query_base_except(rq, tab, keep_tab, NULL);
}

static void filter_options(http_req *rq, const cat_tenant *t, const store_agent *agents,
                           size_t n_agents, json_t *ctx)
{
    json_t *sts = json_array();
    json_array_append_new(sts, bo_option("ouvertes",
                                         present_string(rq->present, rq->lang, "inbox.status_open"),
                                         bo_query(rq, "statut")));
    /* The chosen procedure's statuses; none chosen, every code of the collectivité's
     * workflows, each with the label of the first workflow that has it. */
    const cat_procedure *chosen = catalogue_procedure(t, bo_query(rq, "demarche"));
    if (chosen) {
        for (size_t i = 0; i < chosen->workflow->n_statuses; i++) {
            const char *code = chosen->workflow->statuses[i].code;
            json_array_append_new(
                sts, bo_option(code, bo_status_label(rq, chosen, code), bo_query(rq, "statut")));
        }
    } else {
        const char *codes[STORE_FILTER_MAX_LIST * 2];
        size_t n = workflow_tenant_codes(t, WORKFLOW_CODES_OPEN, codes, STORE_FILTER_MAX_LIST);
        n += workflow_tenant_codes(t, WORKFLOW_CODES_CLOSED, codes + n, STORE_FILTER_MAX_LIST);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                sts, bo_option(codes[i],
                               web_capitalised(rq, workflow_tenant_label(t, codes[i], rq->lang)),
                               bo_query(rq, "statut")));
    }
    json_object_set_new(ctx, "statuses", sts);

    json_t *groups = json_array();
    json_t *group = NULL;
    const char *gname = NULL;
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *p = &t->procedures[i];
        const char *g = p->rec.group_name ? p->rec.group_name : "";
        if (!group || strcmp(g, gname) != 0) {
            group = json_object();
            present_set_str_opt(group, "label", g);
            json_object_set_new(group, "options", json_array());
            json_array_append_new(groups, group);
            gname = g;
        }
        json_array_append_new(json_object_get(group, "options"),
                              bo_option(p->rec.code, p->rec.name, bo_query(rq, "demarche")));
    }
    json_object_set_new(ctx, "procedure_groups", groups);

    json_t *deps = json_array();
    for (size_t i = 0; i < t->n_departments; i++)
        json_array_append_new(deps, bo_option(t->departments[i].rec.code,
                                              t->departments[i].rec.name, bo_query(rq, "service")));
    json_object_set_new(ctx, "departments", deps);

    json_t *chs = bo_channel_options(rq, bo_query(rq, "canal"));
    json_object_set_new(ctx, "channels", chs);

    json_t *ags = json_array();
    json_array_append_new(ags, bo_option("moi",
                                         present_string(rq->present, rq->lang, "inbox.assignee_me"),
                                         bo_query(rq, "agent")));
    json_array_append_new(
        ags, bo_option("aucun", present_string(rq->present, rq->lang, "inbox.assignee_none"),
                       bo_query(rq, "agent")));
    json_t *bulk_agents = json_array();
    for (size_t i = 0; i < n_agents; i++) {
        if (!agents[i].active || (agents[i].role && strcmp(agents[i].role, "elected") == 0))
            continue;
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&agents[i], id);
        json_array_append_new(ags, bo_option(id, agents[i].name, bo_query(rq, "agent")));
        json_array_append_new(bulk_agents, bo_option(id, agents[i].name, NULL));
    }
    json_object_set_new(ctx, "assignees", ags);
    json_object_set_new(ctx, "bulk_agents", bulk_agents);

    json_t *prios = json_array();
    for (int i = 3; i >= 0; i--) {
        char v[2] = {(char)('0' + i), '\0'};
        json_array_append_new(prios,
                              bo_option(v, bo_priority_label(rq, i), bo_query(rq, "priorite")));
    }
    json_object_set_new(ctx, "priorities", prios);

    json_t *so = json_array();
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
        json_array_append_new(
            so, bo_option(sorts[i].key, present_string(rq->present, rq->lang, sorts[i].label_key),
                          bo_query(rq, "tri")));
    json_object_set_new(ctx, "sorts", so);

    static const char *const values[] = {"q", "du", "au"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        present_set_str_opt(ctx, arena_printf(rq->arena, "%s_value", values[i]),
                            bo_query(rq, values[i]));
    const view_def *view = current_view(rq);
    json_object_set_new(ctx, "overdue_checked",
                        json_boolean(bo_query(rq, "retard") != NULL ||
                                     (view && !view->letter && view->state == SLA_LATE)));
}

static const char *assignee_name(const store_agent *agents, size_t n, const char *assignee)
{
    if (!assignee)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&agents[i], id);
        if (strcmp(id, assignee) == 0)
            return agents[i].name;
    }
    return assignee;
}

/* The tab an agent lands on without asking for one: the first that has work, in the order
 * of the tabs (a manager: the new requests to dispatch, then the unassigned ones, then their
 * own; an agent: their own), else «Mon service», else the widest they may see. The counts
 * come from the counters: a few rows each. */
static const char *landing_tab(http_req *rq, const store_agent *a, const cat_tenant *t, int allowed)
{
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        if (!(allowed & tabs[i].bit) || !(tabs[i].bit & (PERM_TAB_TRIAGE | PERM_TAB_MINE)))
            continue;
        store_request_filter f;
        filter_from_query(rq, a, t, tabs[i].key, &f);
        f.text = NULL; /* the landing ignores any other filter: counters only */
        f.count_cap = 1;
        int64_t n = 0;
        error err;
        error_clear(&err);
        if (perm_scope(a, &f, &err) == 0 && request_count(rq->core, &f, &n, &err) == 0 && n > 0)
            return tabs[i].key;
    }
    return (allowed & PERM_TAB_DEPARTMENT) ? "service" : (allowed & PERM_TAB_MINE) ? "moi" : "tout";
}

/* The tab asked for (?onglet=) when agent a may see it, else the one they land on. */
static const char *current_tab(http_req *rq, const store_agent *a, const cat_tenant *t, int allowed)
{
    const char *tab = bo_query(rq, "onglet");
    for (size_t i = 0; tab && i < sizeof tabs / sizeof tabs[0]; i++)
        if (strcmp(tabs[i].key, tab) == 0 && (allowed & tabs[i].bit))
            return tab;
    return landing_tab(rq, a, t, allowed);
}

/* The SLA views' links with their counts in ctx "views": the open requests of the tab and
 * filters in use late, or due by the end of today. Each count walks the index of open
 * requests by due date (requests_due) and stops at COUNT_CAP; the current view's is the
 * page's own count (ctx "total…", set by the tabs). Under a text search, as for the tabs,
 * only the current view is counted. */
static int views_json(http_req *rq, const store_agent *a, const cat_tenant *t, const char *tab,
                      json_t *ctx, error *err)
{
    const view_def *cur = current_view(rq);
    const char *base = query_base_except(rq, tab, 1, "vue");
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        const view_def *v = &views[i];
        int64_t count = 0, count_from = 0;
        int counted, capped;
        if (v == cur) {
            counted = json_is_true(json_object_get(ctx, "total_known"));
            count = json_integer_value(json_object_get(ctx, "total"));
            capped = json_is_true(json_object_get(ctx, "total_capped"));
        } else {
            store_request_filter vf;
            filter_from_query(rq, a, t, tab, &vf);
            vf.by_due = 0;
            vf.letter_due = 0;
            view_apply(t, &vf, v);
            vf.count_cap = COUNT_CAP;
            counted = !(vf.text && *vf.text);
            if (perm_scope(a, &vf, err) != 0 ||
                (counted && request_count_text(rq->core, &vf, &count, &count_from, err) != 0)) {
                json_decref(list);
                return -1;
            }
            if (count_from && count == 0)
                counted = 0;
            capped = count == COUNT_CAP || count_from != 0;
        }
        json_t *o = json_object();
        present_set_str_opt(o, "key", v->key);
        present_set_str_opt(o, "label", present_string(rq->present, rq->lang, v->label_key));
        json_object_set_new(o, "counted", json_boolean(counted));
        json_object_set_new(o, "count", json_integer(count));
        json_object_set_new(o, "capped", json_boolean(capped));
        present_set_str_opt(
            o, "count_word",
            present_plural(rq->present, rq->lang, capped ? count + 1 : count, "inbox.requests"));
        present_set_str_opt(o, "href", arena_printf(rq->arena, "/agent/?%svue=%s", base, v->key));
        json_object_set_new(o, "current", json_boolean(v == cur));
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "views", list);
    return 0;
}

/* The notice after a bulk action: how many requests changed and, when some of those selected
 * did not (each is checked against its own workflow, the agent's rights and whether the move
 * needs a comment, in the job), how many and why, so that nobody believes a lot done whole. */
static const char *bulk_outcome(http_req *rq, long done, long selected)
{
    const char *text =
        arena_printf(rq->arena, "%s %ld", present_string(rq->present, rq->lang, "inbox.done_bulk"),
                     done < 0 ? 0 : done);
    if (done >= 0 && selected > done)
        text = arena_printf(rq->arena, "%s %s %ld. %s", text,
                            present_string(rq->present, rq->lang, "inbox.done_bulk_of"), selected,
                            present_string(rq->present, rq->lang, "inbox.done_bulk_skipped"));
    return text;
}

static void inbox(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    error err;
    error_clear(&err);
    int allowed = perm_tabs(&a);
    const char *tab = current_tab(rq, &a, t, allowed);
    const char *pg = bo_query(rq, "page");
    long page = pg ? strtol(pg, NULL, 10) : 1;
    if (page < 1 || page > PAGE_MAX)
        page = 1;

    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (agent_list(rq->core, t->rec.id, rq->arena, &agents, &n_agents, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    json_t *ctx = bo_context(rq, &a);
    if (!ctx) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    const view_def *view = current_view(rq);
    present_set_str_opt(
        ctx, "title",
        present_string(rq->present, rq->lang, view ? view->title_key : "inbox.title"));
    present_set_str_opt(ctx, "tab", tab);

    /* The page first: when it is not full, it is the whole count of its tab. */
    store_request_filter f;
    filter_from_query(rq, &a, t, tab, &f);
    f.offset = (size_t)(page - 1) * PER_PAGE;
    store_request *rows = NULL;
    size_t n = 0;
    int64_t searched_from = 0;
    if (perm_scope(&a, &f, &err) != 0 ||
        request_search_text(rq->core, &f, rq->arena, &rows, &n, &searched_from, &err) != 0) {
        json_decref(ctx);
        http_respond_error(rq, &err);
        return;
    }

    /* Tabs with their counts (the other filters apply to every tab). */
    json_t *tj = json_array();
    store_request_filter tf;
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        if (!(allowed & tabs[i].bit))
            continue;
        int64_t count = 0;
        int cur = strcmp(tabs[i].key, tab) == 0;
        filter_from_query(rq, &a, t, tabs[i].key, &tf);
        tf.count_cap = COUNT_CAP;
        /* Under a text search each count walks the matches: only the open tab's is worth
         * its time; the others keep their link without a figure. */
        int searching = tf.text && *tf.text;
        int counted = cur || !searching;
        int64_t count_from = 0; /* the count stopped at this year (request_count_text) */
        /* A search's page that is not full holds every match of the years it walked: that
         * is the count, without walking them again (the walk is what a search costs). */
        int page_is_count = cur && searching && n < PER_PAGE && (n > 0 || page == 1);
        if (page_is_count) {
            count = (int64_t)f.offset + (int64_t)n;
            count_from = searched_from;
        } else if (perm_scope(&a, &tf, &err) != 0 ||
                   (counted && request_count_text(rq->core, &tf, &count, &count_from, &err) != 0)) {
            json_decref(ctx);
            json_decref(tj);
            http_respond_error(rq, &err);
            return;
        }
        /* A search that stopped at a year without finding anything knows no figure: «0+»
         * would say nothing true; the page says where it stopped instead. */
        if (count_from && count == 0)
            counted = 0;
        json_t *o = json_object();
        present_set_str_opt(o, "key", tabs[i].key);
        present_set_str_opt(o, "label", present_string(rq->present, rq->lang, tabs[i].label_key));
        json_object_set_new(o, "counted", json_boolean(counted));
        json_object_set_new(o, "count", json_integer(count));
        int capped = count == COUNT_CAP || count_from != 0;
        /* «1+» is more than one: plural */
        const char *word =
            present_plural(rq->present, rq->lang, capped ? count + 1 : count, "inbox.requests");
        present_set_str_opt(o, "count_word", word);
        json_object_set_new(o, "capped", json_boolean(capped));
        present_set_str_opt(o, "href",
                            arena_printf(rq->arena, "/agent/?onglet=%s&%s", tabs[i].key,
                                         query_base(rq, tabs[i].key, 0)));
        json_object_set_new(o, "current", json_boolean(cur));
        if (cur) {
            json_object_set_new(ctx, "total_known", json_boolean(counted));
            json_object_set_new(ctx, "total", json_integer(count));
            present_set_str_opt(ctx, "total_word", word);
            json_object_set_new(ctx, "total_capped", json_boolean(capped));
        }
        json_array_append_new(tj, o);
    }
    json_object_set_new(ctx, "tabs", tj);
    if (views_json(rq, &a, t, tab, ctx, &err) != 0) {
        json_decref(ctx);
        http_respond_error(rq, &err);
        return;
    }

    int64_t now = time_now();
    int64_t today_end = sla_today_end(t, now);
    int64_t *ids = n ? arena_alloc(rq->arena, n * sizeof *ids) : NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const store_request *r = &rows[i];
        if (ids)
            ids[i] = r->id;
        const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
        json_t *o = json_object();
        present_set_str_opt(o, "reference", r->reference);
        present_set_str_opt(
            o, "url", arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, r->reference)));
        present_set_str_opt(o, "procedure", p ? p->rec.name : "");
        present_set_str(o, "icon", web_procedure_icon(p));
        web_set_status(rq, o, p, r->status, rq->lang, WEB_AGENT);
        present_set_str_opt(o, "channel", bo_channel_label(rq, r->channel));
        present_set_str_opt(o, "created", bo_date(rq, t, r->created_at, 0));
        present_set_str_opt(o, "due", bo_date(rq, t, r->due_at, 0));
        bo_sla_set(rq, o, sla_state_at(r->due_at, r->closed_at != 0, now, today_end));
        json_object_set_new(o, "urgent", json_boolean(r->priority >= 2));
        present_set_str_opt(o, "priority_label", bo_priority_label(rq, r->priority));
        present_set_str_opt(o, "assignee", assignee_name(agents, n_agents, r->assignee));
        present_set_str_opt(o, "citizen", bo_citizen_name(rq, r));
        present_set_str_opt(o, "address", r->address && *r->address ? r->address : NULL);
        if (perm_can_take(&a, r))
            present_set_str_opt(
                o, "take_url",
                arena_printf(rq->arena, "/agent/demandes/%s/traiter", bo_url(rq, r->reference)));
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "requests", list);
    json_object_set_new(ctx, "has_requests", json_boolean(n > 0));
    bo_record_access(rq, &a, "list", "request", ids, n);
    if (f.text)
        bo_record_access(rq, &a, "search", "request", ids, n);

    const char *base = query_base(rq, tab, 1);
    present_set_str_opt(ctx, "current_url", arena_printf(rq->arena, "/agent/?%s", base));
    present_set_str_opt(ctx, "current_query", base);
    if (searched_from) {
        /* The search stopped at a year to stay fast: say so, and offer the years before. */
        int year = time_year(searched_from, NULL);
        present_set_str_opt(ctx, "searched_since", arena_printf(rq->arena, "%d", year));
        present_set_str_opt(ctx, "search_older_url",
                            arena_printf(rq->arena, "/agent/?%savant=%d",
                                         query_base_except(rq, tab, 1, "avant"), year));
    }
    int64_t total = json_integer_value(json_object_get(ctx, "total"));
    long pages = (long)((total + PER_PAGE - 1) / PER_PAGE);
    /* A count that stopped early («12+») may hide further pages: a full page has a next. */
    if (json_is_true(json_object_get(ctx, "total_capped")) && n == PER_PAGE && pages <= page)
        pages = page + 1;
    if (pages > 1) {
        json_t *pj = json_object();
        json_object_set_new(pj, "current", json_integer(page));
        json_object_set_new(pj, "total", json_integer(pages));
        if (page > 1)
            present_set_str_opt(pj, "prev_url",
                                arena_printf(rq->arena, "/agent/?%spage=%ld", base, page - 1));
        if (page < pages)
            present_set_str_opt(pj, "next_url",
                                arena_printf(rq->arena, "/agent/?%spage=%ld", base, page + 1));
        json_object_set_new(ctx, "pages", pj);
    }
    filter_options(rq, t, agents, n_agents, ctx);

    /* Saved filters. */
    store_saved_filter *sf = NULL;
    size_t n_sf = 0;
    if (work_filters(rq->core, t, a.id, rq->arena, &sf, &n_sf, &err) != 0)
        log_warn("saved filters: %s", err.detail);
    json_t *sfj = json_array();
    for (size_t i = 0; i < n_sf; i++) {
        json_t *o = json_object();
        present_set_str_opt(o, "name", sf[i].name);
        present_set_str_opt(o, "url",
                            arena_printf(rq->arena, "/agent/?%s", sf[i].query ? sf[i].query : ""));
        present_set_str_opt(
            o, "delete_url",
            arena_printf(rq->arena, "/agent/filtres/%" PRId64 "/supprimer", sf[i].id));
        json_array_append_new(sfj, o);
    }
    json_object_set_new(ctx, "saved_filters", sfj);
    json_object_set_new(ctx, "has_saved_filters", json_boolean(n_sf > 0));
    json_object_set_new(ctx, "n_saved_filters", json_integer((json_int_t)n_sf));
    /* The filters beyond the search are folded away unless one is in use: the list starts
     * in the first screen. */
    int active = 0;
    for (size_t i = 0; i < sizeof filter_fields / sizeof filter_fields[0]; i++) {
        const char *name = filter_fields[i];
        if (strcmp(name, "onglet") != 0 && strcmp(name, "vue") != 0 && strcmp(name, "q") != 0 &&
            strcmp(name, "avant") != 0 && bo_query(rq, name))
            active++;
    }
    if (active)
        json_object_set_new(ctx, "filters_active", json_integer(active));

    /* Bulk actions. */
    if (perm_can_bulk(&a)) {
        json_object_set_new(ctx, "can_bulk", json_true());
        /* Every status a transition leads to; each request is checked against its own
         * workflow in the job (one refused is skipped). */
        json_t *bs = json_array();
        const char *codes[STORE_FILTER_MAX_LIST * 2];
        size_t n_codes =
            workflow_tenant_codes(t, WORKFLOW_CODES_OPEN, codes, STORE_FILTER_MAX_LIST);
        n_codes +=
            workflow_tenant_codes(t, WORKFLOW_CODES_CLOSED, codes + n_codes, STORE_FILTER_MAX_LIST);
        for (size_t k = 0; k < n_codes; k++)
            if (!tenant_has_code(t, WORKFLOW_CODES_INITIAL, codes[k]))
                json_array_append_new(
                    bs, bo_option(codes[k],
                                  web_capitalised(rq, workflow_tenant_label(t, codes[k], rq->lang)),
                                  NULL));
        json_object_set_new(ctx, "bulk_statuses", bs);
        store_reply_template *tpl = NULL;
        size_t n_tpl = 0;
        bo_reply_templates(rq, t, &tpl, &n_tpl);
        json_t *bt = json_array();
        for (size_t i = 0; i < n_tpl; i++)
            json_array_append_new(
                bt, bo_option(arena_printf(rq->arena, "%" PRId64, tpl[i].id), tpl[i].name, NULL));
        json_object_set_new(ctx, "bulk_templates", bt);
    }
    const char *done = bo_query(rq, "fait");
    if (done) {
        const char *text = NULL;
        if (strcmp(done, "traite") == 0)
            text = present_string(rq->present, rq->lang, "inbox.done_processed");
        else if (strcmp(done, "pris") == 0 && bo_query(rq, "demande") &&
                 request_reference_ok(bo_query(rq, "demande")))
            text = arena_printf(rq->arena, "%s %s",
                                present_string(rq->present, rq->lang, "inbox.done_taken"),
                                bo_query(rq, "demande"));
        else if (strcmp(done, "filtre") == 0)
            text = present_string(rq->present, rq->lang, "inbox.done_filter");
        else if (strcmp(done, "lot") == 0 && bo_query(rq, "n"))
            text = bulk_outcome(rq, strtol(bo_query(rq, "n"), NULL, 10),
                                bo_query(rq, "sur") ? strtol(bo_query(rq, "sur"), NULL, 10) : -1);
        if (text) {
            json_t *nt = json_object();
            present_set_str_opt(nt, "kind", "success");
            present_set_str_opt(nt, "text", text);
            json_object_set_new(ctx, "notice", nt);
        }
    }
    bo_render(rq, 200, "agent/inbox", ctx);
}

/* ---- exports ---- */

/* /agent/export/{csv,xlsx,geojson}?<the inbox's query>: every request the inbox shows with
 * these filters, on every page, as a file (bo_export.c). */
static void inbox_export(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    tabular_format fmt;
    if (tabular_format_parse(rq->params[0], &fmt) != 0) {
        bo_not_found(rq);
        return;
    }
    if (web_limit_id(rq, "inbox-export", a.id, RATE_INBOX_EXPORT) != 0)
        return;
    const char *tab = current_tab(rq, &a, t, perm_tabs(&a));
    store_request_filter f;
    filter_from_query(rq, &a, t, tab, &f);
    error err;
    error_clear(&err);
    if (perm_scope(&a, &f, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    bo_export_requests(rq, t, &a, &f, fmt);
}

/* ---- saved filters ---- */

/* A saved query: only the inbox's own fields, re-encoded, so that a saved link cannot
 * carry anything else. */
static const char *clean_query(http_req *rq, const char *q)
{
    form f;
    error err;
    if (!q || form_parse(rq->arena, q, strlen(q), &f, &err) != 0)
        return NULL;
    buf b;
    buf_init(&b, QUERY_MAX * 2);
    for (size_t i = 0; i < sizeof filter_fields / sizeof filter_fields[0]; i++) {
        const char *v = form_get(&f, filter_fields[i]);
        if (v && *v)
            buf_printf(&b, "%s%s=%s", b.len ? "&" : "", filter_fields[i], bo_url(rq, v));
    }
    const char *out = b.len <= QUERY_MAX ? arena_strdup(rq->arena, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}

/* A filter of the same name already saved is no failure: the agent gets the list they see. */
static void filter_saved(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0 && w->err.code != ERR_CONFLICT) {
        http_respond_error(rq, &w->err);
        return;
    }
    http_redirect(rq, rq->user);
}

static void filter_save(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    const char *msg = NULL;
    const char *name = bo_text(rq, form_get(&f, "nom"), FILTER_NAME_MAX, 1, &msg);
    const char *query = clean_query(rq, form_get(&f, "requete"));
    error err;
    error_clear(&err);
    if (!name || !query) {
        error_set(&err, ERR_INVALID_ARG, name ? "requete" : "nom", "a name and a query");
        http_respond_error(rq, &err);
        return;
    }
    core_actor who = bo_who(rq, &a);
    rq->user = (void *)arena_printf(rq->arena, "/agent/?%s%sfait=filtre", query, *query ? "&" : "");
    http_wait *w = http_wait_begin(rq, filter_saved);
    int rc = work_filter_save(rq->core, t, &who, name, query, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void filter_delete(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    char *end = NULL;
    long long id = strtoll(rq->params[0], &end, 10);
    error err;
    error_clear(&err);
    if (!end || *end || id <= 0) {
        bo_not_found(rq);
        return;
    }
    core_actor who = bo_who(rq, &a);
    http_wait *w = bo_wait_redirect(rq, "/agent/");
    int rc = work_filter_delete(rq->core, t, &who, id, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* ---- bulk actions ---- */

/* What the bulk action's continuation needs once its job is durable. */
typedef struct bulk_state {
    const char *back;  /* the inbox page to go back to */
    size_t n_selected; /* well-formed references checked, at most BULK_MAX */
    size_t n_done;     /* requests changed, set by the job */
} bulk_state;

static void bulk_done(http_req *rq)
{
    const bulk_state *bs = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        http_respond_error(rq, &w->err);
        return;
    }
    const char *back = bs->back;
    http_redirect(
        rq, arena_printf(rq->arena, "%s%sfait=lot&n=%zu&sur=%zu", back,
                         back[strlen(back) - 1] == '?' || back[strlen(back) - 1] == '&' ? "" : "&",
                         bs->n_done, bs->n_selected));
}

/* «Re-router» on the selection: the references checked, the rules evaluated and the moves
 * written by core in one job (request_reroute_many). */
static void reroute_many(http_req *rq, const cat_tenant *t, const store_agent *a, const form *f,
                         bulk_state *bs)
{
    const char **refs = arena_alloc(rq->arena, BULK_MAX * sizeof *refs);
    error err;
    error_clear(&err);
    if (!refs) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < f->count && n < BULK_MAX; i++)
        if (strcmp(f->fields[i].name, "ids") == 0 && request_reference_ok(f->fields[i].value))
            refs[n++] = f->fields[i].value;
    rq->user = bs;
    core_actor who = bo_who(rq, a);
    http_wait *w = http_wait_begin(rq, bulk_done);
    int rc = request_reroute_many(rq->core, t, &who, refs, n, &bs->n_done, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void bulk(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    if (!perm_can_bulk(&a)) {
        bo_forbidden(rq);
        return;
    }
    error err;
    error_clear(&err);
    const char *action = form_get(&f, "action");
    const char *agent_v = form_get(&f, "agent");
    const char *status_v = form_get(&f, "statut");
    const char *tpl_v = form_get(&f, "modele");
    store_reply_template *tpl = NULL;
    size_t n_tpl = 0;
    int ok =
        action &&
        (strcmp(action, "rerouter") == 0 ||
         (strcmp(action, "assigner") == 0 && agent_v && *agent_v) ||
         (strcmp(action, "statut") == 0 && (tenant_has_code(t, WORKFLOW_CODES_OPEN, status_v) ||
                                            tenant_has_code(t, WORKFLOW_CODES_CLOSED, status_v))) ||
         (strcmp(action, "repondre") == 0 && tpl_v && *tpl_v &&
          bo_reply_templates(rq, t, &tpl, &n_tpl) == 0));
    if (!ok) {
        error_set(&err, ERR_INVALID_ARG, "action", "choose an action and its value");
        http_respond_error(rq, &err);
        return;
    }
    request_batch_item *items = arena_alloc(rq->arena, BULK_MAX * sizeof *items);
    bulk_state *bs = arena_alloc(rq->arena, sizeof *bs);
    if (!items || !bs) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    memset(bs, 0, sizeof *bs);
    const char *back = form_get(&f, "retour");
    if (!form_local_path(back) || strncmp(back, "/agent/?", 8) != 0)
        back = "/agent/?";
    bs->back = back;
    for (size_t i = 0; i < f.count && bs->n_selected < BULK_MAX; i++)
        if (strcmp(f.fields[i].name, "ids") == 0 && request_reference_ok(f.fields[i].value))
            bs->n_selected++;
    if (strcmp(action, "rerouter") == 0) { /* core evaluates each request */
        reroute_many(rq, t, &a, &f, bs);
        return;
    }
    size_t n_items = 0;
    const char *reply_url = arena_printf(rq->arena, "%s/suivi", http_base_url(rq, t));
    core_actor who = bo_who(rq, &a);
    for (size_t i = 0; i < f.count && n_items < BULK_MAX; i++) {
        if (strcmp(f.fields[i].name, "ids") != 0)
            continue;
        store_request r;
        const char *ref = f.fields[i].value;
        /* Out of scope and unknown are skipped alike (core checks the rules again in the job). */
        if (!request_reference_ok(ref) ||
            request_get_as(rq->core, t, &who, ref, rq->arena, &r, &err) != 0 ||
            !perm_can_change(&a, &r))
            continue;
        request_batch_item *it = &items[n_items];
        memset(it, 0, sizeof *it);
        it->reference = r.reference;
        it->p.change.priority = -1;
        it->p.change.ch = CHANNEL_WEB;
        if (action[0] == 'a') {
            if (!perm_can_assign(&a, &r))
                continue;
            it->p.change.assignee = strcmp(agent_v, "-") == 0 ? "" : agent_v;
        } else if (action[0] == 's') {
            it->p.change.status = status_v;
        } else {
            /* The template filled for this request: a public reply, e-mailed as from the
             * request page. */
            it->p.reply = bo_reply_fill(rq, t, tpl, n_tpl, strtoll(tpl_v, NULL, 10), &r, &a);
            it->p.reply_url = reply_url;
            if (!it->p.reply) {
                log_info("bulk %s on request %" PRId64 " refused: no such template", action, r.id);
                continue;
            }
        }
        n_items++;
    }
    rq->user = bs;
    /* One write job for the whole lot: each request in its own savepoint, one audit entry. */
    http_wait *w = http_wait_begin(rq, bulk_done);
    int rc = request_process_many(rq->core, t, &who, items, n_items, &bs->n_done, NULL,
                                  http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_inbox_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/", inbox},
    {HTTP_GET | HTTP_HEAD, "/agent", inbox},
    {HTTP_GET | HTTP_HEAD, "/agent/export/{}", inbox_export},
    {HTTP_POST, "/agent/lot", bulk},
    {HTTP_POST, "/agent/filtres", filter_save},
    {HTTP_POST, "/agent/filtres/{}/supprimer", filter_delete},
    {0, NULL, NULL},
};

/*
 * bo_admin_workflows — the collectivité's workflows under /agent/admin/workflows, for admins,
 * without JavaScript: the list (procedures using each, requests in flight) and «Dupliquer»;
 * a workflow's page with its statuses (one form: labels, colour, Open311, flags, order, add,
 * remove) and its transitions (another form, so that each stays within the form parser's
 * field limit), its actions and timeouts on a page of their own (…/actions: a third form,
 * and the workflow's page stays light), each save checked whole by core (every problem listed,
 * nothing saved, what was typed kept) and kept as a new version; its history and each version's
 * definition. Checks, versions and writes are core's (core/workflow_edit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/workflow_edit.h"
#include "util/log.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_admin_workflow_acts.h"
#include "web/backoffice/bo_admin_workflow_view.h"
#include "web/web.h"

#define TAB "/agent/admin/workflows"

/* ---- the list ---- */

static json_t *workflows_json(bo_page *p, const cat_tenant *t)
{
    http_req *rq = p->rq;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_workflows; i++) {
        const cat_workflow *wf = &t->workflows[i];
        json_t *o = json_object();
        present_set_str(o, "code", wf->rec.code);
        present_set_str(o, "name", bo_wf_text(p, wf->rec.name, wf->rec.name_en));
        json_t *procs = json_array();
        for (size_t k = 0; k < t->n_procedures; k++)
            if (t->procedures[k].workflow == wf)
                json_array_append_new(procs, json_string(t->procedures[k].rec.name));
        json_object_set_new(o, "procedures", procs);
        store_status_count *counts = NULL;
        size_t n = 0;
        int64_t open = 0;
        error e;
        /* A count that cannot be read is logged and shown as 0: the list still serves. */
        if (workflow_edit_counts(rq->core, t->rec.id, wf->rec.id, 0, rq->arena, &counts, &n, &e) !=
            0)
            log_error("admin: requests of workflow %s: %s", wf->rec.code, e.detail);
        for (size_t k = 0; k < n; k++)
            open += workflow_is_closed(wf, counts[k].status) ? 0 : counts[k].n;
        json_object_set_new(o, "in_flight", json_integer(open));
        json_array_append_new(list, o);
    }
    return list;
}

static void list_render(bo_page *p, int status)
{
    const cat_tenant *t = p->rq->host_tenant;
    bo_page_set(p, "workflows", workflows_json(p, t));
    const char *chosen = json_string_value(json_object_get(p->values, "source"));
    json_t *sources = json_array();
    for (size_t i = 0; i < t->n_workflows; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", t->workflows[i].rec.code);
        present_set_str(o, "label", t->workflows[i].rec.name);
        json_object_set_new(o, "selected",
                            json_boolean(chosen && strcmp(chosen, t->workflows[i].rec.code) == 0));
        json_array_append_new(sources, o);
    }
    bo_page_set(p, "sources", sources);
    bo_page_render(p, status, "agent/admin/workflows", bo_page_str(p, "workflows.title"));
}

static void list_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) == 0)
        list_render(&p, 200);
}

static void duplicated(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    const char *code = bo_admin_field(&st->f, "code");
    if (w->rc == 0) {
        bo_admin_done(rq, arena_printf(rq->arena, TAB "/%s", code), "workflow_duplicated");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    const error *e = &w->err;
    if (e->code != ERR_INVALID_ARG && e->code != ERR_CONFLICT && e->code != ERR_NOT_FOUND) {
        bo_page_fail(&p, e);
        return;
    }
    bo_admin_tabs(&p, TAB);
    if (e->code == ERR_NOT_FOUND)
        bo_page_error_key(&p, "source", "workflows.error_source");
    else if (strcmp(e->arg, "name") == 0)
        bo_page_error_key(&p, "name",
                          arena_printf(rq->arena, "workflows.error_name_%s", e->detail));
    else
        bo_page_error_key(&p, "code",
                          arena_printf(rq->arena, "workflows.error_code_%s",
                                       e->code == ERR_CONFLICT ? "taken" : e->detail));
    bo_page_value(&p, "source", bo_admin_field(&st->f, "source"));
    bo_page_value(&p, "code", code);
    bo_page_value(&p, "name", bo_admin_field(&st->f, "name"));
    list_render(&p, 400);
}

static void duplicate_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, duplicated);
    int rc = workflow_edit_duplicate(rq->core, &st->who, rq->host_tenant,
                                     bo_admin_field(&f, "source"), bo_admin_field(&f, "code"),
                                     bo_admin_field(&f, "name"), &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- a workflow's page ---- */

/* The latest version of wf (0: none yet), which a save must still find. */
static int latest_version(http_req *rq, const cat_workflow *wf)
{
    store_workflow_version *v = NULL;
    size_t n = 0;
    error e;
    if (workflow_edit_versions(rq->core, wf->rec.tenant_id, wf->rec.id, rq->arena, &v, &n, &e) != 0)
        return -1;
    return n ? v[0].version : 0;
}

/* The page of wf with `shown` as its statuses and transitions (what was typed, or wf itself). */
static void edit_render(bo_page *p, const cat_workflow *wf, const cat_workflow *shown, int seen,
                        int status)
{
    http_req *rq = p->rq;
    store_status_count *counts = NULL;
    size_t n = 0;
    error e;
    if (workflow_edit_counts(rq->core, wf->rec.tenant_id, wf->rec.id, 0, rq->arena, &counts, &n,
                             &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    bo_page_set(p, "code", json_string(wf->rec.code));
    bo_page_set(p, "wf_name", json_string(shown->rec.name ? shown->rec.name : ""));
    bo_page_set(p, "wf_name_en", json_string(shown->rec.name_en ? shown->rec.name_en : ""));
    bo_page_set(p, "seen", json_integer(seen));
    bo_page_set(p, "statuses", bo_wf_statuses_json(p, wf, shown, counts, n));
    bo_page_set(p, "overview", bo_wf_overview_json(p, shown));
    bo_wf_acts_overview(p, shown);
    bo_page_set(p, "transitions", bo_wf_transitions_json(p, shown));
    if (!json_object_get(p->ctx, "new_status"))
        bo_page_set(p, "new_status", bo_wf_new_status_json(p, shown, NULL));
    if (!json_object_get(p->ctx, "new_transition"))
        bo_page_set(p, "new_transition", bo_wf_new_transition_json(p, shown, NULL));
    char title[300];
    present_fill(title, sizeof title, bo_page_str(p, "workflows.edit_title"), "name",
                 bo_wf_text(p, wf->rec.name, wf->rec.name_en));
    bo_page_set(p, "title", json_string(title));
    bo_page_render(p, status, "agent/admin/workflow", title);
}

static const cat_workflow *workflow_of(http_req *rq)
{
    const cat_workflow *wf = workflow_by_code(rq->host_tenant, rq->params[0]);
    if (!wf)
        bo_not_found(rq);
    return wf;
}

static void edit_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_workflow *wf = workflow_of(rq);
    if (!wf || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    int seen = latest_version(rq, wf);
    if (seen < 0) {
        error e;
        error_set(&e, ERR_UNAVAILABLE, NULL, "the workflow's versions cannot be read");
        bo_page_fail(&p, &e);
        return;
    }
    edit_render(&p, wf, wf, seen, 200);
}

/* The three forms of the editor. */
typedef enum save_form { FORM_STATUSES, FORM_TRANSITIONS, FORM_ACTIONS } save_form;

/* What the state of a save keeps: which form was sent. */
typedef struct save_page {
    save_form form;
    cat_workflow *edited;
} save_page;

/* The workflow as the form sent makes it, in rq->arena; a status removed takes its actions
 * and timeouts with it (the rest are checked with the workflow). *adding 1 when the actions'
 * form only added a row. NULL when out of memory. */
static cat_workflow *edited_of(http_req *rq, const cat_workflow *wf, const form *f, save_form which,
                               bo_page *p, int *adding)
{
    *adding = 0;
    if (which == FORM_ACTIONS)
        return bo_wf_parse_acts(rq->arena, wf, f, p, adding);
    cat_workflow *edited = which == FORM_TRANSITIONS ? bo_wf_parse_transitions(rq->arena, wf, f, p)
                                                     : bo_wf_parse_statuses(rq->arena, wf, f, p);
    if (edited)
        workflow_prune(edited);
    return edited;
}

/* The actions' page of wf with `shown`'s actions and timeouts (what was typed, or wf's). */
static void acts_render(bo_page *p, const cat_workflow *wf, const cat_workflow *shown, int seen,
                        int status)
{
    bo_page_set(p, "code", json_string(wf->rec.code));
    bo_page_set(p, "seen", json_integer(seen));
    bo_wf_acts_rows(p, shown);
    char title[300];
    present_fill(title, sizeof title, bo_page_str(p, "workflows.acts_title"), "name",
                 bo_wf_text(p, wf->rec.name, wf->rec.name_en));
    bo_page_set(p, "title", json_string(title));
    bo_page_render(p, status, "agent/admin/workflow_actions", title);
}

/* The page again with every problem of `edited` listed (and what was typed kept). */
static void refused(bo_page *p, save_form which, const cat_workflow *wf, const cat_workflow *edited,
                    const workflow_problem *probs, size_t n, int seen)
{
    for (size_t i = 0; i < n && i < WORKFLOW_PROBLEMS_MAX; i++)
        bo_wf_problem(p, &probs[i]);
    if (which == FORM_ACTIONS)
        acts_render(p, wf, edited, seen, 400);
    else
        edit_render(p, wf, edited, seen, 400);
}

static void saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    save_page *sp = st->page;
    const http_wait *w = http_wait_result(rq);
    const cat_workflow *wf = workflow_by_code(rq->host_tenant, rq->params[0]);
    if (w->rc == 0) {
        bo_admin_done(rq,
                      arena_printf(rq->arena, TAB "/%s%s", rq->params[0],
                                   sp->form == FORM_ACTIONS ? "/actions" : ""),
                      "workflow_saved");
        return;
    }
    if (!wf) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    const error *e = &w->err;
    if (e->code != ERR_CONFLICT) {
        bo_page_fail(&p, e);
        return;
    }
    bo_admin_tabs(&p, TAB);
    workflow_problem prob = {.key = "version"};
    char code[WORKFLOW_CODE_MAX + 1] = "";
    if (strcmp(e->arg, "status") == 0) {
        /* detail: "<code> <count>" */
        size_t k = strcspn(e->detail, " ");
        snprintf(code, sizeof code, "%.*s", (int)(k < sizeof code ? k : sizeof code - 1),
                 e->detail);
        prob = (workflow_problem){"in_use", code, e->detail[k] ? e->detail + k + 1 : ""};
    }
    const char *seen = bo_admin_field(&st->f, "version");
    refused(&p, sp->form, wf, sp->edited, &prob, 1, (int)bo_admin_id(seen));
}

static void save_post(http_req *rq, save_form which)
{
    store_agent a;
    form f;
    const cat_workflow *wf = workflow_of(rq);
    if (!wf || bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(save_page));
    if (!st)
        return;
    save_page *sp = st->page;
    sp->form = which;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    int adding;
    sp->edited = edited_of(rq, wf, &f, which, &p, &adding);
    if (!sp->edited) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        bo_page_fail(&p, &e);
        return;
    }
    int seen = (int)bo_admin_id(bo_admin_field(&f, "version"));
    if (adding) {
        /* A row added shows its fields: nothing is saved until they are filled. */
        if (!bo_page_has_errors(&p))
            bo_page_notice(&p, "info", bo_page_str(&p, "workflows.acts_added"));
        acts_render(&p, wf, sp->edited, seen, 200);
        return;
    }
    workflow_problem probs[WORKFLOW_PROBLEMS_MAX];
    size_t n = which == FORM_TRANSITIONS
                   ? workflow_edit_check_transitions(sp->edited, probs, WORKFLOW_PROBLEMS_MAX)
                   : workflow_edit_check(sp->edited, probs, WORKFLOW_PROBLEMS_MAX);
    if (bo_page_has_errors(&p)) {
        /* The rows' own errors already name the field at fault: the workflow's problems
         * that repeat them are left out. */
        size_t k = 0;
        for (size_t i = 0; i < n && i < WORKFLOW_PROBLEMS_MAX; i++)
            if (strcmp(probs[i].key, "action_invalid") != 0 &&
                strcmp(probs[i].key, "timeout_invalid") != 0)
                probs[k++] = probs[i];
        n = k;
    }
    if (n || bo_page_has_errors(&p)) {
        refused(&p, which, wf, sp->edited, probs, n, seen);
        return;
    }
    bo_page_discard(&p);
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, saved);
    int rc = workflow_edit_save(rq->core, &st->who, rq->host_tenant, sp->edited, seen,
                                http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void statuses_post(http_req *rq)
{
    save_post(rq, FORM_STATUSES);
}

static void transitions_post(http_req *rq)
{
    save_post(rq, FORM_TRANSITIONS);
}

static void actions_post(http_req *rq)
{
    save_post(rq, FORM_ACTIONS);
}

static void actions_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_workflow *wf = workflow_of(rq);
    if (!wf || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    int seen = latest_version(rq, wf);
    if (seen < 0) {
        error e;
        error_set(&e, ERR_UNAVAILABLE, NULL, "the workflow's versions cannot be read");
        bo_page_fail(&p, &e);
        return;
    }
    acts_render(&p, wf, wf, seen, 200);
}

/* ---- history ---- */

static void history_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_workflow *wf = workflow_of(rq);
    if (!wf || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    store_workflow_version *v = NULL;
    size_t n = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    error e;
    if (workflow_edit_versions(rq->core, wf->rec.tenant_id, wf->rec.id, rq->arena, &v, &n, &e) !=
            0 ||
        agent_list(rq->core, wf->rec.tenant_id, rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "version", json_integer(v[i].version));
        present_set_str(o, "when", bo_admin_when(rq, v[i].created_at));
        present_set_str(o, "who", bo_wf_author(&p, v[i].created_by, agents, n_agents));
        present_set_str(o, "what", bo_wf_summary(&p, v[i].summary));
        json_array_append_new(list, o);
    }
    bo_page_set(&p, "versions", list);
    bo_page_set(&p, "has_versions", json_boolean(n > 0));
    bo_page_set(&p, "code", json_string(wf->rec.code));
    char title[300];
    present_fill(title, sizeof title, bo_page_str(&p, "workflows.history_title"), "name",
                 bo_wf_text(&p, wf->rec.name, wf->rec.name_en));
    bo_page_set(&p, "title", json_string(title));
    bo_page_render(&p, 200, "agent/admin/workflow_history", title);
}

static void version_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_workflow *wf = workflow_of(rq);
    if (!wf)
        return;
    int version = (int)bo_admin_id(rq->params[1]);
    store_workflow_version v;
    int found = 0;
    error e;
    if (version <= 0) {
        bo_not_found(rq);
        return;
    }
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    if (workflow_edit_version(rq->core, wf->rec.tenant_id, wf->rec.id, version, rq->arena, &v,
                              &found, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    if (!found) {
        bo_page_discard(&p);
        bo_not_found(rq);
        return;
    }
    bo_page_set(&p, "code", json_string(wf->rec.code));
    bo_wf_version_view(&p, v.definition);
    char one[300], title[400], n[16];
    snprintf(n, sizeof n, "%d", version);
    present_fill(one, sizeof one, bo_page_str(&p, "workflows.version_title"), "name",
                 bo_wf_text(&p, wf->rec.name, wf->rec.name_en));
    present_fill(title, sizeof title, one, "n", n);
    bo_page_set(&p, "title", json_string(title));
    bo_page_render(&p, 200, "agent/admin/workflow_version", title);
}

const http_route bo_admin_workflow_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, list_get},
    {HTTP_POST, TAB "/dupliquer", duplicate_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}", edit_get},
    {HTTP_POST, TAB "/{}/statuts", statuses_post},
    {HTTP_POST, TAB "/{}/transitions", transitions_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/actions", actions_get},
    {HTTP_POST, TAB "/{}/actions", actions_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/historique", history_get},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/versions/{}", version_get},
    {0, NULL, NULL},
};

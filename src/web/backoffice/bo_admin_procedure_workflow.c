/*
 * bo_admin_procedure_workflow — /agent/admin/demarches/{code}/circuit, for admins, without
 * JavaScript: another workflow for a procedure. The first step chooses it; when the
 * procedure's requests are in statuses the new workflow lacks, a second step asks where each
 * such status goes; then core moves them all in one job (core/workflow_edit.h), with their
 * timeline events and audit, or refuses above WORKFLOW_MOVE_MAX requests.
 */
#include <stdio.h>
#include <string.h>

#include "core/workflow_edit.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_admin_workflow_view.h"
#include "web/web.h"

#define TAB "/agent/admin/demarches"

/* The statuses of p's requests that `to` lacks, with how many requests each: {status, label,
 * n, field, options} for the mapping step (the one chosen in f selected). */
static json_t *missing_json(bo_page *pg, const cat_procedure *p, const cat_workflow *to,
                            const store_status_count *counts, size_t n, const form *f)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (workflow_status(to, counts[i].status))
            continue;
        const char *field = arena_printf(pg->rq->arena, "map_%s", counts[i].status);
        json_t *o = json_object();
        char num[24], one[300], two[400];
        snprintf(num, sizeof num, "%lld", (long long)counts[i].n);
        present_fill(one, sizeof one, bo_page_str(pg, "workflows.assign.map_label"), "status",
                     workflow_agent_label(p->workflow, counts[i].status, pg->l));
        present_fill(two, sizeof two, one, "n", num);
        present_set_str(o, "label", two);
        present_set_str(o, "field", field);
        const char *chosen = f ? form_get(f, field) : NULL;
        json_t *opts = json_array();
        for (size_t k = 0; k < to->n_statuses; k++) {
            json_t *x = json_object();
            present_set_str(x, "value", to->statuses[k].code);
            present_set_str(x, "label", workflow_agent_label(to, to->statuses[k].code, pg->l));
            json_object_set_new(x, "selected",
                                json_boolean(chosen && strcmp(chosen, to->statuses[k].code) == 0));
            json_array_append_new(opts, x);
        }
        json_object_set_new(o, "options", opts);
        json_array_append_new(list, o);
    }
    return list;
}

/* The page: the choice, and when `to` is set and requests need it, the mapping. */
static void render(bo_page *pg, const cat_procedure *p, const cat_workflow *to,
                   const store_status_count *counts, size_t n, const form *f, int status)
{
    const cat_tenant *t = pg->rq->host_tenant;
    json_t *choices = json_array();
    for (size_t i = 0; i < t->n_workflows; i++) {
        const cat_workflow *wf = &t->workflows[i];
        if (wf == p->workflow)
            continue;
        json_t *o = json_object();
        present_set_str(o, "value", wf->rec.code);
        present_set_str(o, "label", bo_wf_text(pg, wf->rec.name, wf->rec.name_en));
        json_object_set_new(o, "selected", json_boolean(wf == to));
        json_array_append_new(choices, o);
    }
    bo_page_set(pg, "choices", choices);
    bo_page_set(pg, "proc_code", json_string(p->rec.code));
    bo_page_set(pg, "current",
                json_string(bo_wf_text(pg, p->workflow->rec.name, p->workflow->rec.name_en)));
    if (to) {
        json_t *missing = missing_json(pg, p, to, counts, n, f);
        if (json_array_size(missing)) {
            char hint[600];
            present_fill(hint, sizeof hint, bo_page_str(pg, "workflows.assign.map_hint"), "name",
                         bo_wf_text(pg, to->rec.name, to->rec.name_en));
            bo_page_set(pg, "map_hint", json_string(hint));
            bo_page_set(pg, "to_code", json_string(to->rec.code));
            bo_page_set(pg, "missing", missing);
        } else {
            json_decref(missing);
        }
    }
    char title[400];
    present_fill(title, sizeof title, bo_page_str(pg, "workflows.assign.title"), "name",
                 p->rec.name);
    bo_page_set(pg, "title", json_string(title));
    bo_page_render(pg, status, "agent/admin/procedure_workflow", title);
}

static const cat_procedure *procedure_of(http_req *rq)
{
    const cat_procedure *p = catalogue_procedure(rq->host_tenant, rq->params[0]);
    if (!p)
        bo_not_found(rq);
    return p;
}

static void choose_get(http_req *rq)
{
    store_agent a;
    bo_page pg;
    const cat_procedure *p = procedure_of(rq);
    if (p && bo_admin_page(rq, &a, &pg, TAB) == 0)
        render(&pg, p, NULL, NULL, 0, NULL, 200);
}

/* The mapping the form sent, one entry per map_<status> field, in rq->arena. */
static workflow_mapping *mapping_of(http_req *rq, const form *f, size_t *n)
{
    workflow_mapping *m = arena_alloc(rq->arena, sizeof *m * (f->count + 1));
    *n = 0;
    for (size_t i = 0; m && i < f->count; i++)
        if (strncmp(f->fields[i].name, "map_", 4) == 0 && f->fields[i].name[4] &&
            *f->fields[i].value)
            m[(*n)++] = (workflow_mapping){f->fields[i].name + 4, f->fields[i].value};
    return m;
}

/* The page again after a refusal e (ERR_INVALID_ARG "map", "count"), what was chosen kept. */
static void refused(http_req *rq, const store_agent *a, const form *f, const error *e)
{
    bo_page pg;
    if (bo_page_start(&pg, rq, a) != 0)
        return;
    const cat_procedure *p = catalogue_procedure(rq->host_tenant, rq->params[0]);
    const cat_workflow *to = workflow_by_code(rq->host_tenant, bo_admin_field(f, "workflow"));
    if (!p || (e->code != ERR_INVALID_ARG && e->code != ERR_CONFLICT)) {
        bo_page_fail(&pg, e);
        return;
    }
    bo_admin_tabs(&pg, TAB);
    store_status_count *counts = NULL;
    size_t n = 0;
    error re;
    if (to && workflow_edit_counts(rq->core, p->rec.tenant_id, 0, p->rec.id, rq->arena, &counts, &n,
                                   &re) != 0) {
        bo_page_fail(&pg, &re);
        return;
    }
    char msg[400];
    if (strcmp(e->arg, "map") == 0) {
        present_fill(msg, sizeof msg, bo_page_str(&pg, "workflows.assign.error_map"), "status",
                     workflow_agent_label(p->workflow, e->detail, pg.l));
        bo_page_error(&pg, arena_printf(rq->arena, "map_%s", e->detail), msg);
    } else if (strcmp(e->arg, "count") == 0) {
        present_fill(msg, sizeof msg, bo_page_str(&pg, "workflows.assign.error_count"), "n",
                     e->detail);
        bo_page_error(&pg, "workflow", msg);
    } else {
        bo_page_error_key(&pg, "workflow", "workflows.assign.error_workflow");
    }
    render(&pg, p, to, counts, n, f, 400);
}

static void assigned(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0)
        bo_admin_done(rq, arena_printf(rq->arena, TAB "/%s", rq->params[0]), "procedure_workflow");
    else
        refused(rq, &st->agent, &st->f, &w->err);
}

static void choose_post(http_req *rq)
{
    store_agent a;
    form f;
    const cat_procedure *p = procedure_of(rq);
    if (!p || bo_admin_form(rq, &a, &f) != 0)
        return;
    const cat_workflow *to = workflow_by_code(rq->host_tenant, bo_admin_field(&f, "workflow"));
    bo_page pg;
    if (!to || to == p->workflow) {
        if (bo_page_start(&pg, rq, &a) != 0)
            return;
        bo_admin_tabs(&pg, TAB);
        bo_page_error_key(&pg, "workflow",
                          to ? "workflows.assign.error_same" : "workflows.assign.error_workflow");
        render(&pg, p, NULL, NULL, 0, NULL, 400);
        return;
    }
    store_status_count *counts = NULL;
    size_t n = 0, n_missing = 0;
    error e;
    if (workflow_edit_counts(rq->core, p->rec.tenant_id, 0, p->rec.id, rq->arena, &counts, &n,
                             &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    for (size_t i = 0; i < n; i++)
        n_missing += !workflow_status(to, counts[i].status);
    /* A mapping to ask for first: the choice alone does not move requests. */
    if (n_missing && !bo_admin_checked(&f, "confirm")) {
        if (bo_page_start(&pg, rq, &a) != 0)
            return;
        bo_admin_tabs(&pg, TAB);
        render(&pg, p, to, counts, n, NULL, 200);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    size_t n_map = 0;
    workflow_mapping *map = mapping_of(rq, &st->f, &n_map);
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, assigned);
    int rc = map ? workflow_edit_assign(rq->core, &st->who, rq->host_tenant, p, to, map, n_map,
                                        http_wait_done, w, &e)
                 : error_set(&e, ERR_INTERNAL, NULL, "out of memory");
    http_wait_started(w, rc, &e);
}

const http_route bo_admin_procedure_workflow_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB "/{}/circuit", choose_get},
    {HTTP_POST, TAB "/{}/circuit", choose_post},
    {0, NULL, NULL},
};

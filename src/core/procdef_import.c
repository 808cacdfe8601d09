/*
 * procdef_import — a checked "guichet-procedures" document written as one administrative
 * change (core/change.h: one write job with its audit entry, then a catalogue reload): what
 * is missing is created, workflows and procedures are written, the routing replaced when the
 * document has it. procdef_check.c has refused anything the store could refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "core/procdef_internal.h"
#include "store/store.h"

typedef struct import_arg {
    procdef_doc *doc;
    procdef_result *res;
} import_arg;

/* *same 1 when the database's workflow already is the document's w (with its transitions
 * trs), compared as both are written out: then it is left alone, nothing to rewrite or
 * report. */
static int workflow_unchanged(const procdef_doc *d, const pd_workflow *w,
                              const store_workflow_transition *trs, int *same, error *err)
{
    const store_workflow *db = NULL;
    for (size_t i = 0; i < d->raw.n_workflows && !db; i++)
        if (d->raw.workflows[i].id == w->id)
            db = &d->raw.workflows[i];
    json_t *now = procdef_workflow_write(&w->wf.rec, w->wf.statuses, w->wf.n_statuses, trs,
                                         w->wf.n_transitions);
    json_t *was = db ? procdef_workflow_write_raw(&d->raw, db) : NULL;
    int oom = !now || (db && !was);
    *same = !oom && was && json_equal(was, now);
    json_decref(now);
    json_decref(was);
    return oom ? error_set(err, ERR_UNAVAILABLE, NULL, "out of memory") : 0;
}

/* The id of department code after the import's departments are written; 0 for NULL. */
static int64_t department_id(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_deps; i++)
        if (strcmp(d->deps[i].rec.code, code) == 0)
            return d->deps[i].rec.id;
    for (size_t i = 0; code && i < d->raw.n_departments; i++)
        if (d->raw.departments[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.departments[i].code, code) == 0)
            return d->raw.departments[i].id;
    return 0;
}

static int64_t workflow_id(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_wfs; i++)
        if (strcmp(d->wfs[i].wf.rec.code, code) == 0)
            return d->wfs[i].id;
    for (size_t i = 0; code && i < d->raw.n_workflows; i++)
        if (d->raw.workflows[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.workflows[i].code, code) == 0)
            return d->raw.workflows[i].id;
    return 0;
}

static int64_t procedure_id(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_procs; i++)
        if (strcmp(d->procs[i].rec.code, code) == 0)
            return d->procs[i].rec.id;
    for (size_t i = 0; code && i < d->raw.n_procedures; i++)
        if (d->raw.procedures[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.procedures[i].code, code) == 0)
            return d->raw.procedures[i].id;
    return 0;
}

static int write_areas(store *s, procdef_doc *d, procdef_result *res, error *err)
{
    int64_t position = d->areas_next_position;
    for (size_t i = 0; i < d->n_areas; i++) {
        const pd_area *p = &d->areas[i];
        if (p->exists)
            continue;
        char *text = area_geom_write(&p->geom);
        if (!text)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        store_area ar = {.tenant_id = d->tenant_id,
                         .kind = "department",
                         .code = p->code,
                         .name = p->name,
                         .department_id = department_id(d, p->department),
                         .position = position++,
                         .min_lat = p->geom.box.min_lat,
                         .min_lon = p->geom.box.min_lon,
                         .max_lat = p->geom.box.max_lat,
                         .max_lon = p->geom.box.max_lon,
                         .vertices = (int64_t)p->geom.n_pts,
                         .geometry = text};
        int rc = s->ops->areas.tx_insert(s, &ar, err);
        free(text);
        if (rc != 0)
            return -1;
        res->areas_created++;
    }
    return 0;
}

static int write_workflows(store *s, procdef_doc *d, procdef_result *res, error *err)
{
    for (size_t i = 0; i < d->n_wfs; i++) {
        pd_workflow *w = &d->wfs[i];
        store_workflow_transition *trs =
            malloc(sizeof *trs * (w->wf.n_transitions ? w->wf.n_transitions : 1));
        if (!trs)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        for (size_t j = 0; j < w->wf.n_transitions; j++)
            trs[j] = w->wf.transitions[j].rec;
        int same = 0, rc = 0;
        if (w->exists && workflow_unchanged(d, w, trs, &same, err) != 0)
            rc = -1;
        else if (!same)
            rc = s->ops->workflows.tx_put(s, &w->wf.rec, w->wf.statuses, w->wf.n_statuses, trs,
                                          w->wf.n_transitions, &w->id, err);
        free(trs);
        if (rc != 0)
            return -1;
        if (same)
            continue;
        if (w->exists)
            res->workflows_updated++;
        else
            res->workflows_created++;
    }
    return 0;
}

static int write_routing(store *s, procdef_doc *d, procdef_result *res, error *err)
{
    if (s->ops->routing.tx_clear(s, d->tenant_id, NULL, err) != 0)
        return -1;
    for (size_t i = 0; i < d->n_rules; i++) {
        store_routing_rule r = d->rules[i].rec;
        r.procedure_id = procedure_id(d, d->rules[i].procedure);
        r.department_id = department_id(d, d->rules[i].department);
        if (s->ops->routing.tx_insert(s, &r, NULL, err) != 0)
            return -1;
    }
    res->routing = 1;
    res->rules = d->n_rules;
    return s->ops->routing.tx_set_default(s, d->tenant_id, department_id(d, d->default_department),
                                          err);
}

static int apply_import(store *s, void *arg, int64_t *id, error *err)
{
    import_arg *ia = arg;
    procdef_doc *d = ia->doc;
    procdef_result *res = ia->res;
    *id = 0;
    for (size_t i = 0; i < d->n_deps; i++) {
        pd_department *p = &d->deps[i];
        if (p->exists)
            continue;
        if (s->ops->catalogue.tx_department_upsert(s, &p->rec, &p->rec.id, err) != 0)
            return -1;
        res->departments_created++;
    }
    if (write_areas(s, d, res, err) != 0 || write_workflows(s, d, res, err) != 0)
        return -1;
    for (size_t i = 0; i < d->n_procs; i++) {
        pd_procedure *p = &d->procs[i];
        p->rec.department_id = department_id(d, p->department);
        p->rec.workflow_id = workflow_id(d, p->workflow);
        if (s->ops->catalogue.tx_procedure_upsert(s, &p->rec, &p->rec.id, err) != 0)
            return -1;
        if (p->exists) {
            res->procedures_updated++;
            res->forms_changed += p->form_changed != 0;
        } else {
            res->procedures_created++;
        }
    }
    return d->has_routing ? write_routing(s, d, res, err) : 0;
}

static const change_def import_change = {"admin", "procedures", apply_import, 1};

int procdef_import(core *c, const core_actor *who, int64_t tenant_id, const char *text, size_t len,
                   procdef_problem_fn problem, void *ctx, procdef_result *out, long *problems,
                   error *err)
{
    memset(out, 0, sizeof *out);
    procdef_doc doc;
    int rc = procdef_check(c, tenant_id, text, len, &doc, problem, ctx, problems, err);
    if (rc == 0 && *problems == 0) {
        import_arg ia = {&doc, out};
        rc = change_run(c, who, tenant_id, &import_change, &ia, sizeof ia, NULL, NULL, NULL, err);
        if (rc != 0)
            memset(out, 0, sizeof *out);
    }
    procdef_doc_free(&doc);
    return rc;
}

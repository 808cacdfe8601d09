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
#include "core/workflow_edit.h"
#include "core/workflow_timeout.h"
#include "store/store.h"
#include "util/timeutil.h"

typedef struct import_arg {
    procdef_doc *doc;
    procdef_result *res;
} import_arg;

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
        int rc = s->ops->areas.tx_put(s, &ar, err);
        free(text);
        if (rc != 0)
            return -1;
        res->areas_created++;
    }
    return 0;
}

/* text's compact JSON in a (NULL when out of memory); takes json. */
static const char *dump_in(arena *a, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    const char *copy = text ? arena_strdup(a, text) : NULL;
    free(text);
    json_decref(json);
    return copy;
}

/* As the editor's save: the requests waiting under a timeout whose delay the document changes
 * have its jobs moved (workflow_timeouts_reschedule_tx), in the collectivité's calendar. */
static int reschedule(store *s, const procdef_doc *d, const cat_workflow *before,
                      const cat_workflow *after, error *err)
{
    const char *tz = NULL;
    int holidays = 0;
    for (size_t i = 0; i < d->raw.n_tenants; i++)
        if (d->raw.tenants[i].id == d->tenant_id)
            tz = d->raw.tenants[i].timezone;
    for (size_t i = 0; i < d->raw.n_brandings; i++)
        if (d->raw.brandings[i].tenant_id == d->tenant_id)
            holidays = d->raw.brandings[i].holidays;
    return workflow_timeouts_reschedule_tx(s, before, after, tz,
                                           holidays ? WORKDAYS_ALSACE_MOSELLE : WORKDAYS_FRANCE,
                                           time_now(), err);
}

/* Writes the document's workflow w as the editor would save it — statuses kept in place by
 * code, the definition kept as the workflow's next version (the one found first as version 1
 * when it has none), by "cli", with the changes as its summary — unless the database already
 * holds exactly it (compared as both are written out). *changed says whether it wrote. */
static int write_workflow(store *s, procdef_doc *d, pd_workflow *w, int *changed, error *err)
{
    arena a;
    arena_init(&a, 0);
    int rc = -1;
    *changed = 0;
    const char *after = dump_in(&a, workflow_edit_json(&w->wf));
    cat_workflow before;
    const store_workflow *db = NULL;
    for (size_t i = 0; w->exists && i < d->raw.n_workflows && !db; i++)
        if (d->raw.workflows[i].id == w->id)
            db = &d->raw.workflows[i];
    const char *was = NULL, *summary = NULL;
    if (db && procdef_raw_workflow(&a, &d->raw, db, &before) == 0) {
        was = dump_in(&a, workflow_edit_json(&before));
        summary = dump_in(&a, workflow_edit_diff(&before, &w->wf));
    }
    if (!after || (db && (!was || !summary))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    if (db && strcmp(was, after) == 0) {
        rc = 0;
        goto cleanup;
    }
    int last = 0;
    if (!db) {
        if (s->ops->workflows.tx_create(s, &w->wf.rec, &w->id, err) != 0)
            goto cleanup;
    } else if (s->ops->workflows.tx_last_version(s, w->id, &last, err) != 0) {
        goto cleanup;
    } else if (last == 0) {
        store_workflow_version first = {.workflow_id = w->id, .version = 1, .definition = was};
        if (s->ops->workflows.tx_version_add(s, &first, err) != 0)
            goto cleanup;
        last = 1;
    }
    w->wf.rec.id = w->id;
    if (workflow_edit_tx_write(s, &w->wf, last + 1, after, "cli", summary, err) != 0 ||
        (db && reschedule(s, d, &before, &w->wf, err) != 0))
        goto cleanup;
    *changed = 1;
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

static int write_workflows(store *s, procdef_doc *d, procdef_result *res, error *err)
{
    for (size_t i = 0; i < d->n_wfs; i++) {
        pd_workflow *w = &d->wfs[i];
        int changed = 0;
        if (write_workflow(s, d, w, &changed, err) != 0)
            return -1;
        if (changed && w->exists)
            res->workflows_updated++;
        else if (changed)
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

/*
 * procdef_export — a collectivité's definitions written as the "guichet-procedures" document
 * (core/procdef.h), from the store's rows rather than the catalogue's snapshot, which leaves
 * out what breaks a rule: an export shows the database as it is. Stable: ids and timestamps
 * are left out, members come in one fixed order, and lists whose order means nothing
 * (departments, workflows, procedures, a form's members) are sorted, so that the same
 * definitions always give the same bytes.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/procdef_internal.h"
#include "core/workflow_action.h"
#include "core/workflow_edit.h"
#include "store/store.h"
#include "util/log.h"

const char *const procdef_kind_names[2] = {"incident", "demarche"};
const char *const procdef_detail_names[3] = {"none", "status", "full"};
/* A document being built: one flag for every allocation that failed, checked at the end. */
typedef struct writer {
    int oom;
} writer;

static json_t *text(writer *w, const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    w->oom |= !v;
    return v;
}

static void put(writer *w, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        w->oom = 1;
}

static void push(writer *w, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        w->oom = 1;
}

static json_t *object(writer *w)
{
    json_t *o = json_object();
    w->oom |= !o;
    return o;
}

static json_t *array(writer *w)
{
    json_t *a = json_array();
    w->oom |= !a;
    return a;
}

int procdef_raw_workflow(arena *a, const store_catalogue *raw, const store_workflow *wf,
                         cat_workflow *out)
{
    memset(out, 0, sizeof *out);
    out->rec = *wf;
    /* The store reads them by workflow then position: each workflow's rows are one run, in
     * the workflow's order. */
    for (size_t i = 0; i < raw->n_workflow_statuses; i++)
        if (raw->workflow_statuses[i].workflow_id == wf->id) {
            if (!out->n_statuses++)
                out->statuses = &raw->workflow_statuses[i];
            if (raw->workflow_statuses[i].is_initial)
                out->initial = &raw->workflow_statuses[i];
        }
    size_t nt = 0;
    for (size_t i = 0; i < raw->n_workflow_transitions; i++)
        nt += raw->workflow_transitions[i].workflow_id == wf->id;
    out->transitions = arena_alloc(a, sizeof *out->transitions * (nt + 1));
    if (!out->transitions)
        return -1;
    for (size_t i = 0; i < raw->n_workflow_transitions; i++)
        if (raw->workflow_transitions[i].workflow_id == wf->id)
            out->transitions[out->n_transitions++] =
                (cat_transition){.rec = raw->workflow_transitions[i]};
    size_t no = 0, na = 0;
    for (size_t i = 0; i < raw->n_workflow_timeouts; i++)
        no += raw->workflow_timeouts[i].workflow_id == wf->id;
    for (size_t i = 0; i < raw->n_workflow_actions; i++)
        na += raw->workflow_actions[i].workflow_id == wf->id;
    out->timeouts = arena_alloc(a, sizeof *out->timeouts * (no + 1));
    out->actions = arena_alloc(a, sizeof *out->actions * (na + 1));
    if (!out->timeouts || !out->actions)
        return -1;
    for (size_t i = 0; i < raw->n_workflow_timeouts; i++)
        if (raw->workflow_timeouts[i].workflow_id == wf->id)
            out->timeouts[out->n_timeouts++] = raw->workflow_timeouts[i];
    /* Actions are kept parsed (their parameters checked and written back the one way); one
     * the rules refuse — its workflow is then left out of the catalogue too — is said. */
    for (size_t i = 0; i < raw->n_workflow_actions; i++) {
        const store_workflow_action *row = &raw->workflow_actions[i];
        if (row->workflow_id != wf->id)
            continue;
        error err;
        error_clear(&err);
        if (workflow_action_check(a, out, row, &out->actions[out->n_actions], &err) == 0)
            out->n_actions++;
        else if (err.code == ERR_INTERNAL)
            return -1;
        else
            log_error("workflow %s: action %s on %s left out: %s %s", wf->code, row->kind,
                      row->status_code, err.arg, err.detail);
    }
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A deep copy of v whose objects have their members sorted by name: a form is written the
 * same whatever order the editor saved its members in. */
static json_t *sorted_copy(writer *w, json_t *v)
{
    if (json_is_array(v)) {
        json_t *arr = array(w);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) push(w, arr, sorted_copy(w, item));
        return arr;
    }
    if (!json_is_object(v))
        return json_incref(v);
    size_t n = json_object_size(v), k = 0;
    const char **keys = malloc(sizeof *keys * (n + 1));
    json_t *o = object(w);
    if (!keys || !o) {
        free(keys);
        json_decref(o);
        w->oom = 1;
        return NULL;
    }
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item) keys[k++] = key;
    qsort(keys, n, sizeof *keys, by_key);
    for (size_t i = 0; i < n; i++)
        put(w, o, keys[i], sorted_copy(w, json_object_get(v, keys[i])));
    free(keys);
    return o;
}

static const char *department_code(const store_catalogue *raw, int64_t id)
{
    for (size_t i = 0; id && i < raw->n_departments; i++)
        if (raw->departments[i].id == id)
            return raw->departments[i].code;
    return NULL;
}

static const store_workflow *workflow_by_id(const store_catalogue *raw, int64_t id)
{
    for (size_t i = 0; i < raw->n_workflows; i++)
        if (raw->workflows[i].id == id)
            return &raw->workflows[i];
    return NULL;
}

static json_t *procedure_write(writer *w, const store_catalogue *raw, const store_procedure *p)
{
    json_t *o = object(w);
    if (!o)
        return NULL;
    const store_workflow *wf = workflow_by_id(raw, p->workflow_id);
    put(w, o, "code", text(w, p->code));
    put(w, o, "name", text(w, p->name));
    put(w, o, "name_en", text(w, p->name_en));
    put(w, o, "kind", text(w, procdef_kind_names[p->kind == PROCEDURE_DEMARCHE]));
    put(w, o, "group", text(w, p->group_name));
    put(w, o, "description", text(w, p->description));
    put(w, o, "description_en", text(w, p->description_en));
    put(w, o, "keywords", text(w, p->keywords));
    put(w, o, "notice", text(w, p->service_notice));
    put(w, o, "notice_en", text(w, p->service_notice_en));
    put(w, o, "icon", text(w, p->icon));
    put(w, o, "department", text(w, department_code(raw, p->department_id)));
    put(w, o, "workflow", text(w, wf ? wf->code : NULL));
    put(w, o, "delay_days", json_integer(p->delay_days));
    put(w, o, "delay_working", json_boolean(p->delay_working));
    put(w, o, "retention_months", json_integer(p->retention_months));
    put(w, o, "active", json_boolean(p->active));
    put(w, o, "public", json_boolean(p->is_public));
    put(w, o, "auto_public", json_boolean(p->auto_public));
    put(w, o, "allow_anonymous", json_boolean(p->allow_anonymous));
    put(w, o, "open311", json_boolean(p->open311));
    int detail = p->open311_detail >= 0 && p->open311_detail <= 2 ? p->open311_detail : 0;
    put(w, o, "open311_detail", text(w, procdef_detail_names[detail]));
    json_t *form = p->attributes && *p->attributes ? json_loads(p->attributes, 0, NULL) : NULL;
    put(w, o, "form", form ? sorted_copy(w, form) : array(w));
    json_decref(form);
    return o;
}

static json_t *rule_write(writer *w, const store_catalogue *raw, const store_routing_rule *r)
{
    json_t *o = object(w);
    if (!o)
        return NULL;
    const char *procedure = NULL;
    for (size_t i = 0; r->procedure_id && i < raw->n_procedures; i++)
        if (raw->procedures[i].id == r->procedure_id)
            procedure = raw->procedures[i].code;
    put(w, o, "name", text(w, r->name));
    put(w, o, "active", json_boolean(r->active));
    put(w, o, "procedure", text(w, procedure));
    put(w, o, "field", text(w, r->field_code));
    put(w, o, "value", text(w, r->field_value));
    put(w, o, "area", text(w, r->area_mode ? r->area_mode : "none"));
    put(w, o, "area_code", text(w, r->area_code));
    put(w, o, "department", text(w, department_code(raw, r->department_id)));
    return o;
}

static json_t *area_write(writer *w, const store_catalogue *raw, const store_area *ar)
{
    json_t *o = object(w);
    if (!o)
        return NULL;
    put(w, o, "kind", text(w, "department"));
    put(w, o, "code", text(w, ar->code));
    put(w, o, "name", text(w, ar->name));
    put(w, o, "department", text(w, department_code(raw, ar->department_id)));
    json_t *geo = ar->geometry ? json_loads(ar->geometry, 0, NULL) : NULL;
    put(w, o, "geometry", geo ? geo : json_null());
    return o;
}

/* Where the code sits in rows of `size` bytes, for sorting their indexes by it. */
typedef struct sorted_rows {
    const char *base;
    size_t size, code_offset;
} sorted_rows;

static int by_code(const void *a, const void *b, void *arg)
{
    const sorted_rows *rows = arg;
    const char *ra = rows->base + *(const size_t *)a * rows->size;
    const char *rb = rows->base + *(const size_t *)b * rows->size;
    return strcmp(*(const char *const *)(ra + rows->code_offset),
                  *(const char *const *)(rb + rows->code_offset));
}

typedef json_t *(*row_write_fn)(writer *w, const store_catalogue *raw, const void *row);

/* Writes into arr, through write, the rows[0..n) (records of `size` bytes whose tenant id and
 * code sit at the offsets given) of tenant_id, by code; only those coded `only` when it is
 * not NULL. One loop for departments, workflows and procedures. */
static void rows_by_code(writer *w, json_t *arr, const store_catalogue *raw, const void *rows,
                         size_t n, size_t size, size_t tenant_offset, size_t code_offset,
                         int64_t tenant_id, row_write_fn write, const char *only)
{
    size_t *idx = malloc(sizeof *idx * (n + 1)), k = 0;
    if (!idx) {
        w->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *row = (const char *)rows + i * size;
        const char *code = *(const char *const *)(row + code_offset);
        if (*(const int64_t *)(row + tenant_offset) == tenant_id &&
            (!only || strcmp(only, code) == 0))
            idx[k++] = i;
    }
    sorted_rows ctx = {rows, size, code_offset};
    qsort_r(idx, k, sizeof *idx, by_code, &ctx);
    for (size_t i = 0; i < k; i++)
        push(w, arr, write(w, raw, (const char *)rows + idx[i] * size));
    free(idx);
}

static json_t *department_write(writer *w, const store_catalogue *raw, const void *row)
{
    (void)raw;
    const store_department *d = row;
    json_t *o = object(w);
    if (!o)
        return NULL;
    put(w, o, "code", text(w, d->code));
    put(w, o, "name", text(w, d->name));
    put(w, o, "email", text(w, d->email));
    return o;
}

/* A workflow is written as the editor keeps its versions (workflow_edit_json): one writer of
 * a status and a transition, whatever they come to hold. */
static json_t *workflow_row_write(writer *w, const store_catalogue *raw, const void *row)
{
    arena a;
    arena_init(&a, 0);
    cat_workflow wf;
    json_t *o = procdef_raw_workflow(&a, raw, row, &wf) == 0 ? workflow_edit_json(&wf) : NULL;
    arena_free(&a);
    w->oom |= !o;
    return o;
}

static json_t *procedure_row_write(writer *w, const store_catalogue *raw, const void *row)
{
    return procedure_write(w, raw, row);
}

int procdef_export(core *c, int64_t tenant_id, const char *code, char **out, error *err)
{
    *out = NULL;
    store *s = c->store;
    arena a;
    arena_init(&a, 64u * 1024 * 1024);
    store_catalogue raw;
    store_routing_rule *rules = NULL;
    store_routing_default *defaults = NULL;
    size_t n_rules = 0, n_defaults = 0;
    store_area *areas = NULL;
    size_t n_areas = 0;
    json_t *root = NULL;
    int rc = -1;
    if (s->ops->catalogue.load(s, &a, &raw, err) != 0 ||
        s->ops->routing.load(s, &a, &rules, &n_rules, &defaults, &n_defaults, err) != 0)
        goto cleanup;
    const store_procedure *only = NULL;
    for (size_t i = 0; code && i < raw.n_procedures; i++)
        if (raw.procedures[i].tenant_id == tenant_id && strcmp(raw.procedures[i].code, code) == 0)
            only = &raw.procedures[i];
    if (code && !only) {
        error_set(err, ERR_NOT_FOUND, "code", "no procedure has the code \"%s\"", code);
        goto cleanup;
    }
    /* Department areas: the ones the rules name, or all when a rule routes by the area that
     * holds the location (any of them may). */
    int all_areas = 0, any_named = 0;
    for (size_t i = 0; !code && i < n_rules; i++)
        if (rules[i].tenant_id == tenant_id && rules[i].area_mode) {
            all_areas |= strcmp(rules[i].area_mode, "own") == 0;
            any_named |= strcmp(rules[i].area_mode, "named") == 0;
        }
    if ((all_areas || any_named) &&
        s->ops->areas.list(s, tenant_id, "department", 1, &a, &areas, &n_areas, err) != 0)
        goto cleanup;

    writer w = {0};
    root = object(&w);
    json_t *deps = array(&w), *ars = array(&w), *wfs = array(&w), *procs = array(&w);
    put(&w, root, "format", text(&w, PROCDEF_FORMAT));
    put(&w, root, "version", json_integer(PROCDEF_VERSION));
    const char *only_dep = only ? department_code(&raw, only->department_id) : NULL;
    const store_workflow *only_wf = only ? workflow_by_id(&raw, only->workflow_id) : NULL;
    if (!only || only_dep)
        rows_by_code(&w, deps, &raw, raw.departments, raw.n_departments, sizeof *raw.departments,
                     offsetof(store_department, tenant_id), offsetof(store_department, code),
                     tenant_id, department_write, only_dep);
    for (size_t i = 0; i < n_areas; i++) {
        int named = all_areas;
        for (size_t j = 0; !named && j < n_rules; j++)
            named = rules[j].tenant_id == tenant_id && rules[j].area_mode &&
                    strcmp(rules[j].area_mode, "named") == 0 && rules[j].area_code &&
                    strcmp(rules[j].area_code, areas[i].code) == 0;
        if (named)
            push(&w, ars, area_write(&w, &raw, &areas[i]));
    }
    if (!only || only_wf)
        rows_by_code(&w, wfs, &raw, raw.workflows, raw.n_workflows, sizeof *raw.workflows,
                     offsetof(store_workflow, tenant_id), offsetof(store_workflow, code), tenant_id,
                     workflow_row_write, only_wf ? only_wf->code : NULL);
    rows_by_code(&w, procs, &raw, raw.procedures, raw.n_procedures, sizeof *raw.procedures,
                 offsetof(store_procedure, tenant_id), offsetof(store_procedure, code), tenant_id,
                 procedure_row_write, code);
    put(&w, root, "departments", deps);
    put(&w, root, "areas", ars);
    put(&w, root, "workflows", wfs);
    put(&w, root, "procedures", procs);
    if (!code) {
        json_t *routing = object(&w), *rs = array(&w);
        int64_t def = 0;
        for (size_t i = 0; i < n_defaults; i++)
            if (defaults[i].tenant_id == tenant_id)
                def = defaults[i].department_id;
        put(&w, routing, "default_department", text(&w, department_code(&raw, def)));
        for (size_t i = 0; i < n_rules; i++)
            if (rules[i].tenant_id == tenant_id)
                push(&w, rs, rule_write(&w, &raw, &rules[i]));
        put(&w, routing, "rules", rs);
        put(&w, root, "routing", routing);
    }
    char *doc = w.oom ? NULL : json_dumps(root, JSON_INDENT(2));
    size_t len = doc ? strlen(doc) : 0;
    char *withnl = doc ? realloc(doc, len + 2) : NULL;
    if (!withnl) {
        free(doc);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    *out = withnl;
    rc = 0;
cleanup:
    json_decref(root);
    arena_free(&a);
    return rc;
}

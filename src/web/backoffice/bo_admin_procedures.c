/*
 * bo_admin_procedures — the collectivité's procedures (démarches and incident types) under
 * /agent/admin/demarches, for admins: the list and a first editor (texts, kind, workflow —
 * chosen at creation, shown afterwards: its requests' statuses are its workflow's —,
 * department, delay, retention, publication, Open311 level, attribute definitions as JSON, and
 * «Prévisualiser», which shows the form being edited, unsaved, as the portal draws it). Saving is
 * core's (admin_procedure_upsert_as: checked, written with its "admin" audit entry in one job,
 * the catalogue reloaded); the page waits for it with its connection suspended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/actor.h"
#include "core/agent.h"
#include "core/attrs.h"
#include "core/forms.h"
#include "core/retention.h"
#include "core/workflow.h"
#include "present/icons.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_form_def.h"
#include "web/backoffice/bo_work.h"
#include "util/log.h"
#include "web/form_field.h"
#include "web/web.h"

#define TAB "/agent/admin/demarches"

static void procedures_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *cp = &t->procedures[i];
        json_t *o = json_object();
        present_set_str(o, "code", cp->rec.code);
        present_set_str(o, "name", cp->rec.name);
        present_set_str(o, "icon", icons_of(&cp->rec));
        present_set_str(o, "group", cp->rec.group_name);
        present_set_str(o, "department", cp->department ? cp->department->rec.name : "");
        present_set_str(o, "kind_label",
                        bo_page_str(&p, cp->rec.kind == PROCEDURE_DEMARCHE
                                            ? "admin.procedure.kind_demarche"
                                            : "admin.procedure.kind_incident"));
        json_object_set_new(o, "delay_days", json_integer(cp->rec.delay_days));
        json_object_set_new(o, "retention_months", json_integer(cp->rec.retention_months));
        json_object_set_new(o, "is_public", json_boolean(cp->rec.is_public));
        json_object_set_new(o, "active", json_boolean(cp->rec.active));
        json_object_set_new(o, "n_attrs", json_integer((json_int_t)cp->n_attrs));
        json_array_append_new(list, o);
    }
    bo_page_set(&p, "procedures", list);
    bo_page_render(&p, 200, "agent/admin/procedures", bo_page_str(&p, "admin.procedures.title"));
}

/* The editor's fields: text ones, then checkboxes. */
static const char *const proc_text_fields[] = {"code",
                                               "name",
                                               "group_name",
                                               "description",
                                               "keywords",
                                               "service_notice",
                                               "attributes",
                                               "delay_days",
                                               "department",
                                               "retention_months",
                                               "kind",
                                               "name_en",
                                               "description_en",
                                               "service_notice_en",
                                               "icon",
                                               "delay_count",
                                               "version_summary",
                                               "workflow",
                                               NULL};
static const char *const proc_flags[] = {"is_public", "auto_public", "allow_anonymous",
                                         "open311",   "active",      NULL};
/* The radio values of open311_detail, indexed by the enum (store.h). */
static const char *const detail_names[] = {"none", "status", "full", NULL};

/* The level a form asks for; anything else (or nothing) is the safest, none. */
static int detail_of_form(const form *f)
{
    const char *v = form_get(f, "open311_detail");
    for (int i = 0; v && detail_names[i]; i++)
        if (strcmp(v, detail_names[i]) == 0)
            return i;
    return OPEN311_DETAIL_NONE;
}

/* Checks the radio of level `detail` in the form's values. */
static void detail_value(bo_page *p, int detail)
{
    if (detail < OPEN311_DETAIL_NONE || detail > OPEN311_DETAIL_FULL)
        detail = OPEN311_DETAIL_NONE;
    json_object_set_new(p->values,
                        arena_printf(p->rq->arena, "open311_detail_%s", detail_names[detail]),
                        json_true());
}

/* The icon choice: every icon of the sprite with its label and preview, the chosen one
 * (values.icon) checked; the «default» choice shows the icon of the kind in the form. */
static void icon_choices(bo_page *p, int kind)
{
    const char *chosen = json_string_value(json_object_get(p->values, "icon"));
    json_t *list = json_array();
    for (size_t i = 0; i < icons_count(); i++) {
        const char *name = icons_at(i);
        json_t *o = json_object();
        present_set_str(o, "icon", name);
        present_set_str(o, "label", bo_page_str(p, arena_printf(p->rq->arena, "icons.%s", name)));
        if (chosen && strcmp(chosen, name) == 0)
            json_object_set_new(o, "checked", json_true());
        json_array_append_new(list, o);
    }
    bo_page_set(p, "icons", list);
    json_t *dflt = json_object();
    present_set_str(dflt, "icon", icons_kind_default(kind));
    bo_page_set(p, "icon_default", dflt);
}

/* pattern with each {names[i]} replaced by values[i], in the request's arena. */
static const char *fill(bo_page *p, const char *pattern, const char *const *names,
                        const char *const *values, size_t n)
{
    return present_subst(p->rq->arena, pattern, names, values, n);
}

/* The questions' JSON checked as core will, its problem on the field "attributes". */
static int attributes_check(bo_page *p, const char *json)
{
    return bo_form_def_check(p, json, "attributes", NULL);
}

/* The collectivité's workflows for the editor's select, the one in values.workflow selected
 * (none: the default of the kind), and its name as "workflow_name" (an existing procedure's,
 * shown, not changed). */
static void workflow_choices(bo_page *p)
{
    const cat_tenant *t = p->rq->host_tenant;
    const char *chosen = json_string_value(json_object_get(p->values, "workflow"));
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_workflows; i++) {
        const cat_workflow *wf = &t->workflows[i];
        const char *name = web_in_lang(p->rq, wf->rec.name, wf->rec.name_en);
        json_t *o = json_object();
        present_set_str(o, "value", wf->rec.code);
        present_set_str(o, "label", name);
        if (chosen && strcmp(chosen, wf->rec.code) == 0) {
            json_object_set_new(o, "selected", json_true());
            bo_page_set(p, "workflow_name", json_string(name));
        }
        json_array_append_new(list, o);
    }
    bo_page_set(p, "workflows", list);
}

static void procedure_render(bo_page *p, int status, int is_new, const char *dept_code)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    json_t *depts = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", t->departments[i].rec.code);
        present_set_str(o, "label", t->departments[i].rec.name);
        if (dept_code && strcmp(dept_code, t->departments[i].rec.code) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(depts, o);
    }
    bo_page_set(p, "departments", depts);
    const char *kind = json_string_value(json_object_get(p->values, "kind"));
    int demarche = kind && strcmp(kind, "demarche") == 0;
    if (demarche)
        bo_page_set(p, "kind_demarche", json_true());
    const char *count = json_string_value(json_object_get(p->values, "delay_count"));
    if (count && strcmp(count, "ouvres") == 0)
        bo_page_set(p, "delay_working", json_true());
    icon_choices(p, demarche ? PROCEDURE_DEMARCHE : PROCEDURE_INCIDENT);
    workflow_choices(p);
    if (is_new)
        bo_page_set(p, "is_new", json_true());
    const char *title =
        is_new ? bo_page_str(p, "admin.procedure.title_new")
               : arena_printf(rq->arena, "%s – %s", bo_page_str(p, "admin.procedure.title"),
                              json_string_value(json_object_get(p->values, "name")));
    bo_page_render(p, status, "agent/admin/procedure", title);
}

static void procedure_values(bo_page *p, const store_procedure *r, const char *dept_code)
{
    char delay[16], retention[16] = "";
    snprintf(delay, sizeof delay, "%d", r->delay_days);
    if (r->retention_months > 0)
        snprintf(retention, sizeof retention, "%d", r->retention_months);
    bo_page_value(p, "code", r->code);
    bo_page_value(p, "name", r->name);
    bo_page_value(p, "group_name", r->group_name);
    bo_page_value(p, "description", r->description);
    bo_page_value(p, "keywords", r->keywords);
    bo_page_value(p, "service_notice", r->service_notice);
    bo_page_value(p, "name_en", r->name_en);
    bo_page_value(p, "description_en", r->description_en);
    bo_page_value(p, "service_notice_en", r->service_notice_en);
    bo_page_value(p, "icon", r->icon && icons_has(r->icon) ? r->icon : "");
    bo_page_value(p, "attributes", r->attributes ? r->attributes : "[]");
    bo_page_value(p, "delay_days", delay);
    bo_page_value(p, "delay_count", r->delay_working ? "ouvres" : "calendaires");
    bo_page_value(p, "retention_months", retention);
    bo_page_value(p, "department", dept_code);
    bo_page_value(p, "kind", r->kind == PROCEDURE_DEMARCHE ? "demarche" : "incident");
    const cat_tenant *t = p->rq->host_tenant;
    for (size_t i = 0; i < t->n_workflows; i++)
        if (t->workflows[i].rec.id == r->workflow_id)
            bo_page_value(p, "workflow", t->workflows[i].rec.code);
    const int flags[] = {r->is_public, r->auto_public, r->allow_anonymous, r->open311, r->active};
    for (size_t i = 0; proc_flags[i]; i++)
        if (flags[i])
            json_object_set_new(p->values, proc_flags[i], json_true());
    detail_value(p, r->open311_detail);
}

static void procedure_new_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    store_procedure r = {.attributes = "[]", .active = 1, .open311 = 1};
    procedure_values(&p, &r, "");
    procedure_render(&p, 200, 1, "");
}

/* Who made a version, as the page names them: an agent by name, else the command line. */
static const char *version_author(bo_page *p, const char *by, const store_agent *agents, size_t n)
{
    int64_t id = actor_label_agent_id(by);
    for (size_t i = 0; id && i < n; i++)
        if (agents[i].id == id)
            return agents[i].name;
    return id ? by : bo_page_str(p, "admin.procedure.history_cli");
}

/* The versions of cp's form, newest first: {version, show_label, date, who, summary,
 * current}. Nothing on p when they cannot be read (logged): the editor still works. */
static void history_values(bo_page *p, const cat_procedure *cp)
{
    http_req *rq = p->rq;
    store_procedure_version *v = NULL;
    size_t n = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    error err;
    if (forms_history(rq->core, cp, rq->arena, &v, &n, &err) != 0 ||
        agent_list(rq->core, cp->rec.tenant_id, rq->arena, &agents, &n_agents, &err) != 0) {
        log_error("admin: versions of procedure %s: %s", cp->rec.code, err.detail);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", v[i].version);
        json_t *o = json_object();
        json_object_set_new(o, "version", json_integer(v[i].version));
        present_set_str(o, "show_label",
                        fill(p, bo_page_str(p, "admin.procedure.history_show"),
                             (const char *const[]){"n"}, (const char *const[]){num}, 1));
        present_set_str(o, "date", bo_date(rq, rq->host_tenant, v[i].created_at, 1));
        present_set_str(o, "who", version_author(p, v[i].created_by, agents, n_agents));
        present_set_str_opt(o, "summary", v[i].summary);
        if (v[i].version == cp->rec.form_version)
            json_object_set_new(o, "current", json_true());
        json_array_append_new(list, o);
    }
    bo_page_set(p, "has_history", json_boolean(n > 0));
    bo_page_set(p, "history", list);
}

/* /agent/admin/demarches/{code}/versions/{n}: one version of the form, read only. */
static void procedure_version_get(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    const cat_procedure *cp = catalogue_procedure(rq->host_tenant, rq->params[0]);
    char *end = NULL;
    long n = strtol(rq->params[1], &end, 10);
    store_procedure_version v;
    int found = 0;
    error err;
    if (!cp || *end || n < 1 || n > 1000000) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (forms_version(rq->core, cp, (int)n, rq->arena, &v, &found, &err) != 0 ||
        (found &&
         agent_list(rq->core, cp->rec.tenant_id, rq->arena, &agents, &n_agents, &err) != 0)) {
        bo_page_fail(&p, &err);
        return;
    }
    if (!found) {
        bo_page_discard(&p);
        bo_not_found(rq);
        return;
    }
    char num[16];
    snprintf(num, sizeof num, "%ld", n);
    const char *title = fill(&p, bo_page_str(&p, "admin.procedure.version_title"),
                             (const char *const[]){"n"}, (const char *const[]){num}, 1);
    bo_page_set(&p, "heading", json_string(title));
    bo_page_set(&p, "code", json_string(cp->rec.code));
    bo_page_set(&p, "date", json_string(bo_date(rq, rq->host_tenant, v.created_at, 1)));
    bo_page_set(&p, "who", json_string(version_author(&p, v.created_by, agents, n_agents)));
    if (v.summary)
        bo_page_set(&p, "summary", json_string(v.summary));
    bo_page_set(&p, "definition", json_string(v.definition));
    bo_page_render(&p, 200, "agent/admin/procedure_version",
                   arena_printf(rq->arena, "%s – %s", title, cp->rec.name));
}

static void procedure_get(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    const cat_procedure *cp = catalogue_procedure(rq->host_tenant, rq->params[0]);
    if (!cp) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const char *dept = cp->department ? cp->department->rec.code : "";
    procedure_values(&p, &cp->rec, dept);
    history_values(&p, cp);
    procedure_render(&p, 200, 0, dept);
}

/* Fills the editor again with what was typed (errors on p already), answering status. */
static void procedure_refill_as(bo_page *p, const form *f, const char *code, int status)
{
    for (size_t i = 0; proc_text_fields[i]; i++)
        bo_page_value(p, proc_text_fields[i], bo_admin_field(f, proc_text_fields[i]));
    if (code)
        bo_page_value(p, "code", code);
    for (size_t i = 0; proc_flags[i]; i++)
        if (bo_admin_checked(f, proc_flags[i]))
            json_object_set_new(p->values, proc_flags[i], json_true());
    detail_value(p, detail_of_form(f));
    procedure_render(p, status, code == NULL, bo_admin_field(f, "department"));
}

/* Fills the editor again with what was typed, after an error (on p already). */
static void procedure_refill(bo_page *p, const form *f, const char *code)
{
    procedure_refill_as(p, f, code, 400);
}

/* The procedure's code while its save commits (NULL: a new one, code from the form). */
typedef struct procedure_state {
    const char *code;
    const char *saved_code;
} procedure_state;

static void procedure_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    procedure_state *ps = st->page;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, arena_printf(rq->arena, TAB "/%s", ps->saved_code),
                      ps->code ? "procedure_saved" : "procedure_created");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    const error *e = &w->err;
    if (e->code != ERR_INVALID_ARG) {
        bo_page_fail(&p, e);
        return;
    }
    static const char *const known[] = {"code", "name_en",    "name",       "kind",
                                        "icon", "delay_days", "department", "retention_months",
                                        NULL};
    const char *fld = bo_admin_error_field(e, known, "attributes");
    /* Core checked the questions as attributes_check does: word its refusal the same way. */
    if (strcmp(fld, "attributes") != 0 ||
        attributes_check(&p, bo_admin_field(&st->f, "attributes")) == 0)
        bo_page_error_key(&p, fld, arena_printf(rq->arena, "admin.procedure.error_%s", fld));
    procedure_refill(&p, &st->f, ps->code);
}

/* Saves the editor's form for procedure `code` (NULL: a new one, code from the form). */
static void procedure_save(http_req *rq, const char *code)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    const cat_procedure *existing = code ? catalogue_procedure(rq->host_tenant, code) : NULL;
    if (code && !existing) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    store_procedure r = {.tenant_id = bo_admin_tenant(rq)};
    if (existing)
        r.id = existing->rec.id;
    r.code = code ? code : bo_admin_field(&f, "code");
    r.name = bo_admin_field(&f, "name");
    r.group_name = *bo_admin_field(&f, "group_name") ? bo_admin_field(&f, "group_name") : NULL;
    r.description = *bo_admin_field(&f, "description") ? bo_admin_field(&f, "description") : NULL;
    r.keywords = *bo_admin_field(&f, "keywords") ? bo_admin_field(&f, "keywords") : NULL;
    r.service_notice =
        *bo_admin_field(&f, "service_notice") ? bo_admin_field(&f, "service_notice") : NULL;
    r.attributes = *bo_admin_field(&f, "attributes") ? bo_admin_field(&f, "attributes") : "[]";
    r.name_en = *bo_admin_field(&f, "name_en") ? bo_admin_field(&f, "name_en") : NULL;
    r.description_en =
        *bo_admin_field(&f, "description_en") ? bo_admin_field(&f, "description_en") : NULL;
    r.service_notice_en =
        *bo_admin_field(&f, "service_notice_en") ? bo_admin_field(&f, "service_notice_en") : NULL;
    r.kind = strcmp(bo_admin_field(&f, "kind"), "demarche") == 0 ? PROCEDURE_DEMARCHE
                                                                 : PROCEDURE_INCIDENT;
    /* Chosen at creation only (empty: its kind's); an existing procedure keeps its own, which
     * its requests' statuses belong to (r.workflow_id 0 keeps it). */
    const char *wf_code = bo_admin_field(&f, "workflow");
    if (!existing && *wf_code) {
        const cat_workflow *wf = workflow_by_code(rq->host_tenant, wf_code);
        if (wf)
            r.workflow_id = wf->rec.id;
        else
            bo_page_error_key(&p, "workflow", "admin.procedure.error_workflow");
    }
    /* Empty: its kind's default. Only the sprite's names: anything else would draw nothing. */
    const char *icon = bo_admin_field(&f, "icon");
    if (*icon && !icons_has(icon))
        bo_page_error_key(&p, "icon", "admin.procedure.error_icon");
    r.icon = *icon ? icon : NULL;
    r.is_public = bo_admin_checked(&f, "is_public");
    r.auto_public = bo_admin_checked(&f, "auto_public");
    r.allow_anonymous = bo_admin_checked(&f, "allow_anonymous");
    r.open311 = bo_admin_checked(&f, "open311");
    r.open311_detail = detail_of_form(&f);
    r.active = bo_admin_checked(&f, "active");
    const char *dept = bo_admin_field(&f, "department");
    if (*dept) {
        const cat_department *d = catalogue_department(rq->host_tenant, dept);
        if (d)
            r.department_id = d->rec.id;
        else
            bo_page_error_key(&p, "department", "admin.procedure.error_department");
    }
    const char *delay = bo_admin_field(&f, "delay_days");
    char *end = NULL;
    long dl = *delay ? strtol(delay, &end, 10) : 0;
    if (*delay && (*end != '\0' || dl < 0 || dl > 3660))
        bo_page_error_key(&p, "delay_days", "admin.procedure.error_delay_days");
    r.delay_days = (int)dl;
    /* «calendaires» (the default) or «ouvrés»: what the radio buttons send, nothing else. */
    const char *count = bo_admin_field(&f, "delay_count");
    if (*count && strcmp(count, "calendaires") != 0 && strcmp(count, "ouvres") != 0)
        bo_page_error_key(&p, "delay_count", "admin.procedure.error_delay_count");
    r.delay_working = strcmp(count, "ouvres") == 0;
    /* Empty: the default of its kind (24 months for an incident, 36 for a démarche). */
    const char *keep = bo_admin_field(&f, "retention_months");
    long months = *keep ? strtol(keep, &end, 10) : 0;
    if (*keep && (*end != '\0' || months < RETENTION_MONTHS_MIN || months > RETENTION_MONTHS_MAX))
        bo_page_error_key(&p, "retention_months", "admin.procedure.error_retention_months");
    r.retention_months = (int)months;
    int attributes_ok = attributes_check(&p, r.attributes) == 0;
    const char *summary = bo_admin_field(&f, "version_summary");
    if (strlen(summary) > PROCEDURE_SUMMARY_MAX)
        bo_page_error_key(&p, "version_summary", "admin.procedure.error_version_summary");
    r.version_summary = *summary ? summary : NULL;
    if (form_get(&f, "previsualiser")) {
        /* «Prévisualiser»: nothing saved, the editor again with what was typed, and below it
         * the form as citizens would see it when its definition is valid. */
        if (attributes_ok)
            bo_form_def_preview(&p, r.attributes);
        bo_page_set(&p, "previewing", json_true()); /* the JSON editor stays unfolded */
        procedure_refill_as(&p, &f, code, bo_page_has_errors(&p) ? 400 : 200);
        return;
    }
    if (bo_page_has_errors(&p)) {
        procedure_refill(&p, &f, code);
        return;
    }
    bo_page_discard(&p);
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(procedure_state));
    if (!st)
        return;
    procedure_state *ps = st->page;
    ps->code = code;
    ps->saved_code = r.code;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, procedure_saved);
    int rc = admin_procedure_upsert_as(rq->core, &st->who, &r, &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void procedure_new_post(http_req *rq)
{
    procedure_save(rq, NULL);
}

static void procedure_post(http_req *rq)
{
    procedure_save(rq, rq->params[0]);
}

const http_route bo_admin_procedure_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, procedures_get},
    {HTTP_GET | HTTP_HEAD, TAB "/nouvelle", procedure_new_get},
    {HTTP_POST, TAB "/nouvelle", procedure_new_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}", procedure_get},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/versions/{}", procedure_version_get},
    {HTTP_POST, TAB "/{}", procedure_post},
    {0, NULL, NULL},
};

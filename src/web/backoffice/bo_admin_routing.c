/*
 * bo_admin_routing — the collectivité's routing rules under /agent/admin/routage, for
 * admins: the rules in the order they are tried, each moved up or down, changed or deleted;
 * a form that adds one or, from ?modifier=<id>, changes it; the default department; and a
 * «tester» (a GET form: it writes nothing) saying which rule would route a procedure, a
 * field's value and a place, and to which department. Checks and changes are core's
 * (core/routing.h); a write's page waits for its commit with its connection suspended.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/area.h"
#include "core/routing.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/routage"
#define PLACE_MAX 200 /* characters of the tester's place */

/* The form's field for each argument core's checks name. */
static const struct {
    const char *arg, *field;
} fields[] = {
    {"name", "nom"},  {"procedure", "procedure"},  {"field", "champ"},        {"value", "valeur"},
    {"area", "zone"}, {"area_code", "territoire"}, {"department", "service"},
};

/* s with its "{name}" filled with value, in rq->arena. */
static const char *fill(bo_page *p, const char *key, const char *name, const char *value)
{
    char out[600];
    present_fill(out, sizeof out, bo_page_str(p, key), name, value ? value : "");
    return arena_strdup(p->rq->arena, out);
}

/* How a rule's named area reads: its name and code («Presqu'île (presquile)») when the
 * collectivité has it, else its code alone (an area removed since: the rule then never
 * matches, and the code is what the administrator must look for). */
static const char *area_words(bo_page *p, const store_area *areas, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(areas[i].code, code) == 0)
            return arena_printf(p->rq->arena, "%s (%s)", areas[i].name, code);
    return code;
}

/* A rule's conditions as sentences; areas: the collectivité's department areas. */
static json_t *conditions_json(bo_page *p, const cat_tenant *t, const store_routing_rule *r,
                               const store_area *areas, size_t n_areas)
{
    json_t *list = json_array();
    const cat_procedure *proc = catalogue_procedure_by_id(t, r->procedure_id);
    if (proc)
        json_array_append_new(
            list, json_string(fill(p, "routing.cond_procedure", "procedure", proc->rec.name)));
    if (r->field_code) {
        const attr_def *d = proc ? attrs_find(proc->attrs, proc->n_attrs, r->field_code) : NULL;
        const char *label = d ? attr_label(d, p->l) : r->field_code;
        const char *value = d ? attr_value_name(d, r->field_value, p->l) : r->field_value;
        char one[600];
        present_fill(one, sizeof one, bo_page_str(p, "routing.cond_field"), "field", label);
        char two[900];
        present_fill(two, sizeof two, one, "value", value);
        json_array_append_new(list, json_string(two));
    }
    routing_area mode = ROUTING_AREA_NONE;
    routing_area_parse(r->area_mode, &mode);
    if (mode == ROUTING_AREA_OWN)
        json_array_append_new(list, json_string(bo_page_str(p, "routing.cond_area_own")));
    else if (mode == ROUTING_AREA_NAMED)
        json_array_append_new(list, json_string(fill(p, "routing.cond_area_named", "area",
                                                     area_words(p, areas, n_areas, r->area_code))));
    if (json_array_size(list) == 0)
        json_array_append_new(list, json_string(bo_page_str(p, "routing.cond_all")));
    return list;
}

static json_t *rules_json(bo_page *p, const cat_tenant *t)
{
    json_t *list = json_array();
    /* Read once for the whole list; unreadable, the rules show codes. */
    store_area *areas = NULL;
    size_t n_areas = 0;
    error e;
    error_clear(&e);
    if (area_list(p->rq->core, t->rec.id, AREA_DEPARTMENT, p->rq->arena, &areas, &n_areas, &e) != 0)
        n_areas = 0;
    for (size_t i = 0; i < t->n_routing_rules; i++) {
        const store_routing_rule *r = &t->routing_rules[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(r->id));
        json_object_set_new(o, "rank", json_integer((json_int_t)i + 1));
        present_set_str(o, "name", r->name);
        json_object_set_new(o, "active", json_boolean(r->active));
        json_object_set_new(o, "conditions", conditions_json(p, t, r, areas, n_areas));
        const cat_department *d = catalogue_department_by_id(t, r->department_id);
        present_set_str(o, "department",
                        d ? d->rec.name : bo_page_str(p, "routing.target_area_own"));
        json_object_set_new(o, "up", json_boolean(i > 0));
        json_object_set_new(o, "down", json_boolean(i + 1 < t->n_routing_rules));
        json_array_append_new(list, o);
    }
    return list;
}

/* Options {value, label, selected} of t's procedures and departments, the one chosen
 * selected. */
static json_t *procedure_options(const cat_tenant *t, const char *chosen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", t->procedures[i].rec.code);
        present_set_str(o, "label", t->procedures[i].rec.name);
        json_object_set_new(o, "selected",
                            json_boolean(chosen && strcmp(chosen, t->procedures[i].rec.code) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *department_options(const cat_tenant *t, const char *chosen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", t->departments[i].rec.code);
        present_set_str(o, "label", t->departments[i].rec.name);
        json_object_set_new(
            o, "selected", json_boolean(chosen && strcmp(chosen, t->departments[i].rec.code) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *area_mode_options(bo_page *p, const char *chosen)
{
    json_t *list = json_array();
    for (int m = ROUTING_AREA_NONE; m <= ROUTING_AREA_NAMED; m++) {
        const char *v = m == ROUTING_AREA_NONE ? "" : routing_area_name((routing_area)m);
        json_t *o = json_object();
        present_set_str(o, "value", v);
        present_set_str(o, "label",
                        bo_page_str(p, arena_printf(p->rq->arena, "routing.area_%s",
                                                    routing_area_name((routing_area)m))));
        json_object_set_new(o, "selected", json_boolean(strcmp(chosen ? chosen : "", v) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

/* Suggestions: every field of every procedure (code, and where it comes from), and the
 * department areas' codes. */
static void suggestions(bo_page *p, const cat_tenant *t)
{
    json_t *fl = json_array();
    for (size_t i = 0; i < t->n_procedures; i++)
        for (size_t k = 0; k < t->procedures[i].n_attrs; k++) {
            const attr_def *d = &t->procedures[i].attrs[k];
            if (!d->variable)
                continue;
            json_t *o = json_object();
            present_set_str(o, "value", d->code);
            present_set_str(o, "label",
                            arena_printf(p->rq->arena, "%s — %s", attr_label(d, p->l),
                                         t->procedures[i].rec.name));
            json_array_append_new(fl, o);
        }
    bo_page_set(p, "field_suggestions", fl);
    json_t *al = json_array();
    store_area *areas = NULL;
    size_t n = 0;
    error e;
    if (area_list(p->rq->core, t->rec.id, AREA_DEPARTMENT, p->rq->arena, &areas, &n, &e) == 0)
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            present_set_str(o, "value", areas[i].code);
            present_set_str(o, "label", areas[i].name);
            json_array_append_new(al, o);
        }
    bo_page_set(p, "area_suggestions", al);
}

static const char *value_of(bo_page *p, const char *field)
{
    return json_string_value(json_object_get(p->values, field));
}

/* ---- the tester ---- */

/* "45.76, 4.83" (a comma or blanks between): 1 and the point. */
static int read_point(const char *s, double *lat, double *lon)
{
    char *end = NULL;
    double a = strtod(s, &end);
    if (end == s)
        return 0;
    while (*end == ' ' || *end == ',' || *end == ';')
        end++;
    const char *rest = end;
    double b = strtod(rest, &end);
    if (end == rest)
        return 0;
    while (*end == ' ')
        end++;
    if (*end || !isfinite(a) || !isfinite(b) || a < -90 || a > 90 || b < -180 || b > 180)
        return 0;
    *lat = a;
    *lon = b;
    return 1;
}

/* The tester's answer for the query's procedure, field value and place, into p. */
static void tester(bo_page *p, const cat_tenant *t)
{
    http_req *rq = p->rq;
    const char *proc = form_get(&rq->query, "t_procedure");
    if (!proc)
        return;
    const char *field = form_get(&rq->query, "t_champ");
    const char *value = form_get(&rq->query, "t_valeur");
    const char *place = form_get(&rq->query, "t_lieu");
    bo_page_value(p, "t_procedure", proc);
    bo_page_value(p, "t_champ", field);
    bo_page_value(p, "t_valeur", value);
    bo_page_value(p, "t_lieu", place);
    const cat_procedure *cp = catalogue_procedure(t, proc);
    if (!cp) {
        bo_page_error_key(p, "t_procedure", "routing.tester_error_procedure");
        return;
    }
    routing_facts facts = {.procedure = cp};
    json_t *res = json_object();
    if (field && *field) {
        json_t *attrs = json_object();
        json_object_set_new(attrs, field, json_string(value ? value : ""));
        char *text = json_dumps(attrs, JSON_COMPACT);
        json_decref(attrs);
        facts.attributes = text ? arena_strdup(rq->arena, text) : NULL;
        free(text);
    }
    if (place && *place) {
        error e;
        store_address *hits = NULL;
        size_t n = 0;
        if (strlen(place) > PLACE_MAX) {
            bo_page_error_key(p, "t_lieu", "routing.tester_error_place");
        } else if (read_point(place, &facts.lat, &facts.lon)) {
            facts.has_location = 1;
        } else if (address_search(rq->core, t->rec.id, place, 1, rq->arena, &hits, &n, &e) == 0 &&
                   n > 0) {
            facts.has_location = 1;
            facts.lat = hits[0].lat;
            facts.lon = hits[0].lon;
            present_set_str(res, "address", hits[0].label);
        } else {
            bo_page_error_key(p, "t_lieu", "routing.tester_error_place");
        }
        if (facts.has_location)
            present_set_str(res, "point",
                            arena_printf(rq->arena, "%.6f, %.6f", facts.lat, facts.lon));
    }
    if (bo_page_has_errors(p)) {
        json_decref(res);
        return;
    }
    routing_result r;
    error e;
    if (routing_evaluate(rq->core, t, &facts, &r, &e) != 0) {
        json_decref(res);
        bo_page_error(p, "t_lieu", bo_page_str(p, "routing.tester_error_areas"));
        return;
    }
    const cat_department *d = catalogue_department_by_id(t, r.department_id);
    static const char *const why[] = {"routing.why_none", "routing.why_rule",
                                      "routing.why_procedure", "routing.why_default"};
    present_set_str(res, "why", fill(p, why[r.source], "rule", r.rule ? r.rule->name : ""));
    present_set_str_opt(res, "department", d ? d->rec.name : NULL);
    bo_page_set(p, "tested", res);
}

static void routing_render(bo_page *p, int status)
{
    const cat_tenant *t = p->rq->host_tenant;
    bo_page_set(p, "rules", rules_json(p, t));
    json_object_set_new(p->ctx, "has_rules", json_boolean(t->n_routing_rules > 0));
    bo_page_set(p, "procedures", procedure_options(t, value_of(p, "procedure")));
    bo_page_set(p, "departments", department_options(t, value_of(p, "service")));
    bo_page_set(p, "area_modes", area_mode_options(p, value_of(p, "zone")));
    bo_page_set(p, "tester_procedures", procedure_options(t, value_of(p, "t_procedure")));
    const cat_department *def = catalogue_department_by_id(t, t->routing_default_department_id);
    bo_page_set(p, "default_departments", department_options(t, def ? def->rec.code : NULL));
    suggestions(p, t);
    bo_page_render(p, status, "agent/admin/routing", bo_page_str(p, "routing.title"));
}

/* The form's values from rule r (editing). */
static void values_of_rule(bo_page *p, const cat_tenant *t, const store_routing_rule *r)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    bo_page_value(p, "id", id);
    bo_page_value(p, "nom", r->name);
    if (r->active)
        json_object_set_new(p->values, "active", json_true());
    const cat_procedure *proc = catalogue_procedure_by_id(t, r->procedure_id);
    bo_page_value(p, "procedure", proc ? proc->rec.code : "");
    bo_page_value(p, "champ", r->field_code);
    bo_page_value(p, "valeur", r->field_value);
    bo_page_value(p, "zone", strcmp(r->area_mode, "none") == 0 ? "" : r->area_mode);
    bo_page_value(p, "territoire", r->area_code);
    const cat_department *d = catalogue_department_by_id(t, r->department_id);
    bo_page_value(p, "service", d ? d->rec.code : "");
}

static void routing_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const cat_tenant *t = rq->host_tenant;
    int64_t id = bo_admin_id(form_get(&rq->query, "modifier"));
    for (size_t i = 0; id && i < t->n_routing_rules; i++)
        if (t->routing_rules[i].id == id) {
            bo_page_set(&p, "editing", json_true());
            values_of_rule(&p, t, &t->routing_rules[i]);
        }
    if (!json_object_get(p.ctx, "editing"))
        json_object_set_new(p.values, "active", json_true());
    tester(&p, t);
    routing_render(&p, 200);
}

/* ---- writes ---- */

/* A conflict is the name's uniqueness, met by a rule saved meanwhile. */
static int rule_refused(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT;
}

/* The form again, with the error core named and what was typed. */
static void rule_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    http_req *rq = p->rq;
    const error *e = &w->err;
    const char *arg = e->code == ERR_CONFLICT ? "name" : e->arg;
    const char *detail = e->code == ERR_CONFLICT ? "taken" : e->detail;
    const char *field = "nom";
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(arg, fields[i].arg) == 0)
            field = fields[i].field;
    const char *key = arena_printf(rq->arena, "routing.error_%s_%s", arg, detail);
    const char *msg = bo_page_str(p, key);
    bo_page_error(p, field, strcmp(msg, key) == 0 ? bo_page_str(p, "routing.error_other") : msg);
    const char *id = bo_admin_field(&st->f, "id");
    if (*id)
        bo_page_set(p, "editing", json_true());
    bo_page_value(p, "id", id);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        bo_page_value(p, fields[i].field, bo_admin_field(&st->f, fields[i].field));
    if (bo_admin_checked(&st->f, "active"))
        json_object_set_new(p->values, "active", json_true());
    routing_render(p, 400);
}

static int rule_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const form *f = &st->f;
    const char *id = bo_admin_field(f, "id");
    routing_rule_input in = {.id = *id ? bo_admin_id(id) : 0,
                             .name = bo_admin_field(f, "nom"),
                             .active = bo_admin_checked(f, "active"),
                             .procedure = bo_admin_field(f, "procedure"),
                             .field = bo_admin_field(f, "champ"),
                             .value = bo_admin_field(f, "valeur"),
                             .area = bo_admin_field(f, "zone"),
                             .area_code = bo_admin_field(f, "territoire"),
                             .department = bo_admin_field(f, "service")};
    if (*id && !in.id)
        return error_set(e, ERR_NOT_FOUND, "id", "not a rule's id");
    return routing_rule_save(rq->core, &st->who, rq->host_tenant, &in, &st->id, http_wait_done, w,
                             e);
}

static const bo_admin_cycle rule_cycle = {.tab = TAB,
                                          .done = "routing_saved",
                                          .apply = rule_apply,
                                          .refused = rule_refused,
                                          .render = rule_render};

static void rule_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &rule_cycle);
}

static int rule_delete(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return routing_rule_delete(p->rq->core, &st->who, p->rq->host_tenant, st->id, http_wait_done, w,
                               e);
}

static int rule_move(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    int up = strcmp(p->rq->params[1], "monter") == 0;
    return routing_rule_move(p->rq->core, &st->who, p->rq->host_tenant, st->id, up, http_wait_done,
                             w, e);
}

static const bo_admin_cycle delete_cycle = {
    .tab = TAB, .done = "routing_deleted", .takes_id = 1, .apply = rule_delete};
static const bo_admin_cycle move_cycle = {
    .tab = TAB, .done = "routing_moved", .takes_id = 1, .apply = rule_move};

/* POST /agent/admin/routage/{id}/{monter,descendre,supprimer}. */
static void rule_action(http_req *rq)
{
    const char *action = rq->params[1] ? rq->params[1] : "";
    if (strcmp(action, "supprimer") == 0)
        bo_admin_cycle_run(rq, &delete_cycle);
    else if (strcmp(action, "monter") == 0 || strcmp(action, "descendre") == 0)
        bo_admin_cycle_run(rq, &move_cycle);
    else
        bo_not_found(rq);
}

static int default_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return routing_set_default(p->rq->core, &st->who, p->rq->host_tenant,
                               bo_admin_field(&st->f, "defaut"), http_wait_done, w, e);
}

static const bo_admin_cycle default_cycle = {
    .tab = TAB, .done = "routing_default", .apply = default_apply};

static void default_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &default_cycle);
}

const http_route bo_admin_routing_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, routing_get},
    {HTTP_POST, TAB, rule_post},
    {HTTP_POST, TAB "/defaut", default_post},
    {HTTP_POST, TAB "/{}/{}", rule_action},
    {0, NULL, NULL},
};

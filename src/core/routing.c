/*
 * routing — evaluating a collectivité's routing rules (see routing.h) and the
 * administration's changes of them. An evaluation reads the rules from the catalogue's
 * snapshot and the department areas from their index (core/area.c), each looked at only when
 * a rule needs it: the request's field values are parsed once, the areas holding its
 * location found once, however many rules ask.
 */
#include "core/routing.h"

#include <math.h>
#include <string.h>

#include <jansson.h>

#include "core/area.h"
#include "core/change.h"
#include "util/utf8.h"

/* Areas of the department kind one point may lie in that routing looks at: the first is the
 * one a rule on the area's own department takes, the others only matter to a named area. */
#define ROUTING_AREA_HITS 16

static const char *const area_names[] = {"none", "own", "named"};

const char *routing_area_name(routing_area m)
{
    return m >= ROUTING_AREA_NONE && m <= ROUTING_AREA_NAMED ? area_names[m] : "none";
}

int routing_area_parse(const char *s, routing_area *out)
{
    if (!s || !*s) {
        *out = ROUTING_AREA_NONE;
        return 0;
    }
    for (int m = ROUTING_AREA_NONE; m <= ROUTING_AREA_NAMED; m++)
        if (strcmp(s, area_names[m]) == 0) {
            *out = (routing_area)m;
            return 0;
        }
    return -1;
}

const char *routing_event_kind(routing_source s)
{
    switch (s) {
    case ROUTING_RULE:
        return ROUTING_EVENT_RULE;
    case ROUTING_PROCEDURE:
        return ROUTING_EVENT_PROCEDURE;
    case ROUTING_DEFAULT:
        return ROUTING_EVENT_DEFAULT;
    default:
        return NULL;
    }
}

/* ---- evaluation ---- */

/* What one evaluation has looked up so far. */
typedef struct eval_state {
    core *c;
    const cat_tenant *t;
    const routing_facts *f;
    json_t *attrs; /* parsed on first need */
    int attrs_read;
    area_hit hits[ROUTING_AREA_HITS];
    size_t n_hits;
    int areas_read;
    arena a; /* the hits' strings */
} eval_state;

/* 1 when the request's field `code` holds `value` (one of the chosen values of a multiple
 * choice). */
static int field_holds(eval_state *st, const char *code, const char *value)
{
    if (!st->attrs_read) {
        st->attrs_read = 1;
        const char *text = st->f->attributes;
        st->attrs = text && *text ? json_loads(text, 0, NULL) : NULL;
    }
    json_t *v = st->attrs ? json_object_get(st->attrs, code) : NULL;
    if (json_is_string(v))
        return strcmp(json_string_value(v), value) == 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *item = json_string_value(json_array_get(v, i));
        if (item && strcmp(item, value) == 0)
            return 1;
    }
    return 0;
}

/* The department areas holding the location, found on first need. 0, or -1 with err when
 * the areas cannot be read. */
static int areas_of(eval_state *st, error *err)
{
    if (st->areas_read)
        return 0;
    st->areas_read = 1;
    const routing_facts *f = st->f;
    if (!f->has_location || !isfinite(f->lat) || !isfinite(f->lon))
        return 0;
    error aerr;
    error_clear(&aerr);
    if (area_at(st->c, st->t->rec.id, AREA_DEPARTMENT, f->lat, f->lon, &st->a, st->hits,
                ROUTING_AREA_HITS, &st->n_hits, &aerr) == 0)
        return 0;
    st->n_hits = 0;
    if (aerr.code == ERR_INVALID_ARG) /* a position out of range is in no area */
        return 0;
    *err = aerr;
    return -1;
}

/* 1 when rule r matches, with its department in *department; 0 when not; -1 with err. */
static int rule_matches(eval_state *st, const store_routing_rule *r, int64_t *department,
                        error *err)
{
    if (!r->active)
        return 0;
    if (r->procedure_id && r->procedure_id != st->f->procedure->rec.id)
        return 0;
    if (r->field_code && r->field_value && !field_holds(st, r->field_code, r->field_value))
        return 0;
    routing_area mode = ROUTING_AREA_NONE;
    routing_area_parse(r->area_mode, &mode);
    *department = r->department_id;
    if (mode == ROUTING_AREA_NONE)
        return 1;
    if (areas_of(st, err) != 0)
        return -1;
    for (size_t i = 0; i < st->n_hits; i++) {
        if (mode == ROUTING_AREA_OWN && st->hits[i].department_id) {
            *department = st->hits[i].department_id;
            return 1;
        }
        if (mode == ROUTING_AREA_NAMED && r->area_code &&
            strcmp(st->hits[i].code, r->area_code) == 0)
            return 1;
    }
    return 0;
}

int routing_evaluate(core *c, const cat_tenant *t, const routing_facts *f, routing_result *out,
                     error *err)
{
    memset(out, 0, sizeof *out);
    eval_state st = {.c = c, .t = t, .f = f};
    arena_init(&st.a, 0);
    int rc = 0;
    for (size_t i = 0; i < t->n_routing_rules; i++) {
        int64_t department = 0;
        int m = rule_matches(&st, &t->routing_rules[i], &department, err);
        if (m < 0) {
            rc = -1;
            break;
        }
        if (m && department) {
            out->source = ROUTING_RULE;
            out->department_id = department;
            out->rule = &t->routing_rules[i];
            break;
        }
    }
    if (rc == 0 && out->source == ROUTING_NONE) {
        if (f->procedure->rec.department_id) {
            out->source = ROUTING_PROCEDURE;
            out->department_id = f->procedure->rec.department_id;
        } else if (t->routing_default_department_id) {
            out->source = ROUTING_DEFAULT;
            out->department_id = t->routing_default_department_id;
        }
    }
    json_decref(st.attrs);
    arena_free(&st.a);
    return rc;
}

/* ---- checks of a rule as the administration gives it ---- */

static int problem(error *err, const char *field, const char *what)
{
    return error_set(err, ERR_INVALID_ARG, field, "%s", what);
}

/* One line of at most max characters: NULL when it is, else the problem's word. */
static const char *line_problem(const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0)
        return "missing";
    if (!utf8_valid(s, len) || utf8_has_control(s, len) || strpbrk(s, "\r\n\t"))
        return "characters";
    if (utf8_length(s, len) > max)
        return "too_long";
    return NULL;
}

/* The tenant's department area `code`: 0 when it is one, else -1 with err naming why. */
static int check_area(core *c, const cat_tenant *t, const char *code, error *err)
{
    if (!code || !*code)
        return problem(err, "area_code", "missing");
    arena a;
    arena_init(&a, 0);
    store_area *areas = NULL;
    size_t n = 0;
    int rc = area_list(c, t->rec.id, AREA_ANY, &a, &areas, &n, err);
    if (rc == 0) {
        /* A code may be both a department area's and a quartier's: the department's wins. */
        int department = 0, other = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(areas[i].code, code) == 0) {
                if (strcmp(areas[i].kind, area_kind_name(AREA_DEPARTMENT)) == 0)
                    department = 1;
                else
                    other = 1;
            }
        if (!department)
            rc = problem(err, "area_code", other ? "wrong_kind" : "unknown");
    }
    arena_free(&a);
    return rc;
}

/* The field condition: code of one of p's fields, and a value it can hold. */
static int check_field(const cat_procedure *p, const char *code, const char *value, error *err)
{
    if (!p)
        return problem(err, "field", "needs_procedure");
    const attr_def *d = attrs_find(p->attrs, p->n_attrs, code);
    if (!d || !d->variable)
        return problem(err, "field", "unknown");
    const char *what = line_problem(value, ROUTING_VALUE_MAX);
    if (what)
        return problem(err, "value", what);
    if (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST) {
        for (size_t i = 0; i < d->n_values; i++)
            if (strcmp(d->values[i].key, value) == 0)
                return 0;
        return problem(err, "value", "not_option");
    }
    return 0;
}

static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

int routing_rule_check(core *c, const cat_tenant *t, const routing_rule_input *in,
                       store_routing_rule *out, error *err)
{
    memset(out, 0, sizeof *out);
    out->tenant_id = t->rec.id;
    out->id = in->id;
    if (in->id) {
        int known = 0;
        for (size_t i = 0; i < t->n_routing_rules; i++)
            known |= t->routing_rules[i].id == in->id;
        if (!known)
            return error_set(err, ERR_NOT_FOUND, "id", "no such routing rule");
    } else if (t->n_routing_rules >= ROUTING_RULES_MAX) {
        return problem(err, "name", "too_many");
    }
    const char *what = line_problem(in->name, ROUTING_NAME_MAX);
    if (what)
        return problem(err, "name", what);
    for (size_t i = 0; i < t->n_routing_rules; i++)
        if (t->routing_rules[i].id != in->id && strcmp(t->routing_rules[i].name, in->name) == 0)
            return problem(err, "name", "taken");
    out->name = in->name;
    out->active = in->active ? 1 : 0;
    const cat_procedure *p = NULL;
    if (opt(in->procedure)) {
        p = catalogue_procedure(t, in->procedure);
        if (!p)
            return problem(err, "procedure", "unknown");
        out->procedure_id = p->rec.id;
    }
    if (opt(in->field)) {
        if (check_field(p, in->field, in->value, err) != 0)
            return -1;
        out->field_code = in->field;
        out->field_value = in->value;
    } else if (opt(in->value)) {
        return problem(err, "field", "missing");
    }
    routing_area mode;
    if (routing_area_parse(in->area, &mode) != 0)
        return problem(err, "area", "unknown");
    out->area_mode = routing_area_name(mode);
    if (mode == ROUTING_AREA_NAMED) {
        if (check_area(c, t, in->area_code, err) != 0)
            return -1;
        out->area_code = in->area_code;
    }
    const cat_department *d = NULL;
    if (opt(in->department) && !(d = catalogue_department(t, in->department)))
        return problem(err, "department", "unknown");
    if (mode == ROUTING_AREA_OWN && d)
        return problem(err, "department", "with_own");
    if (mode != ROUTING_AREA_OWN && !d)
        return problem(err, "department", "missing");
    out->department_id = d ? d->rec.id : 0;
    return 0;
}

/* ---- the administration's changes ---- */

static int apply_save(store *s, void *arg, int64_t *id, error *err)
{
    store_routing_rule *r = arg;
    if (r->id) {
        *id = r->id;
        return s->ops->routing.tx_update(s, r, err);
    }
    return s->ops->routing.tx_insert(s, r, id, err);
}

typedef struct rule_ref {
    int64_t tenant_id, id;
    int up;
} rule_ref;

static int apply_delete(store *s, void *arg, int64_t *id, error *err)
{
    rule_ref *r = arg;
    *id = r->id;
    return s->ops->routing.tx_delete(s, r->tenant_id, r->id, err);
}

static int apply_move(store *s, void *arg, int64_t *id, error *err)
{
    rule_ref *r = arg;
    int moved = 0;
    *id = r->id;
    return s->ops->routing.tx_move(s, r->tenant_id, r->id, r->up, &moved, err);
}

/* rule_ref's id is the department here: the entry names the department chosen. */
static int apply_default(store *s, void *arg, int64_t *id, error *err)
{
    rule_ref *r = arg;
    *id = r->id;
    return s->ops->routing.tx_set_default(s, r->tenant_id, r->id, err);
}

/* Each reloads the catalogue: the next request filed here is routed by the new rules. */
static const change_def save_change = {"admin", "routing_rule", apply_save, 1};
static const change_def delete_change = {"admin", "routing_rule", apply_delete, 1};
static const change_def move_change = {"admin", "routing_rule", apply_move, 1};
static const change_def default_change = {"admin", "routing_default", apply_default, 1};

int routing_rule_save(core *c, const core_actor *who, const cat_tenant *t,
                      const routing_rule_input *in, int64_t *id_out, core_done_fn cb, void *ctx,
                      error *err)
{
    store_routing_rule r;
    if (routing_rule_check(c, t, in, &r, err) != 0)
        return -1;
    return change_run(c, who, t->rec.id, &save_change, &r, sizeof r, id_out, cb, ctx, err);
}

int routing_rule_delete(core *c, const core_actor *who, const cat_tenant *t, int64_t id,
                        core_done_fn cb, void *ctx, error *err)
{
    rule_ref r = {t->rec.id, id, 0};
    return change_run(c, who, t->rec.id, &delete_change, &r, sizeof r, NULL, cb, ctx, err);
}

int routing_rule_move(core *c, const core_actor *who, const cat_tenant *t, int64_t id, int up,
                      core_done_fn cb, void *ctx, error *err)
{
    rule_ref r = {t->rec.id, id, up ? 1 : 0};
    return change_run(c, who, t->rec.id, &move_change, &r, sizeof r, NULL, cb, ctx, err);
}

int routing_set_default(core *c, const core_actor *who, const cat_tenant *t, const char *department,
                        core_done_fn cb, void *ctx, error *err)
{
    const cat_department *d = NULL;
    if (opt(department) && !(d = catalogue_department(t, department)))
        return problem(err, "department", "unknown");
    rule_ref r = {t->rec.id, d ? d->rec.id : 0, 0};
    return change_run(c, who, t->rec.id, &default_change, &r, sizeof r, NULL, cb, ctx, err);
}

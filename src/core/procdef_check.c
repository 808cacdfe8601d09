/*
 * procdef_check — the one validator of a "guichet-procedures" document (core/procdef.h): reads
 * it strictly into a procdef_doc and reports every problem with its place, reusing the rules
 * the rest of core keeps — workflow_check for workflows, attrs_check for forms,
 * area_geom_from_json for geometries, admin's checks of a department's and a procedure's own
 * fields — and checking references against the document and the database together.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attrs.h"
#include "core/core_internal.h"
#include "core/letter_tpl.h"
#include "core/procdef_internal.h"
#include "core/routing.h"
#include "core/workflow_action.h"
#include "core/workflow_edit.h"
#include "core/workflow_timeout.h"
#include "store/store.h"
#include "util/utf8.h"

#define WHERE_MAX 200

/* How many requests of a procedure of the database are in one status. */
typedef struct pd_use {
    int64_t procedure_id;
    const char *status;
    int64_t n;
} pd_use;

typedef struct checker {
    procdef_problem_fn problem;
    void *ctx;
    long *problems;
    int oom;
    procdef_doc *doc;
    /* The database's department areas (codes), and the statuses its requests are in. */
    store_area *db_areas;
    size_t n_db_areas;
    pd_use *uses;
    size_t n_uses;
    /* The collectivité's letter templates, which generate_document actions name. */
    store_letter_template *tpls;
    size_t n_tpls;
} checker;

static void say(checker *k, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(checker *k, const char *where, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (++*k->problems <= PROCDEF_PROBLEMS_MAX && k->problem)
        k->problem(k->ctx, where, what);
}

/* "name[i]" or "name[i] (code)": where an item of an array is. */
static void item_where(char *out, const char *array, size_t i, const char *code)
{
    if (code)
        snprintf(out, WHERE_MAX, "%s[%zu] (%s)", array, i, code);
    else
        snprintf(out, WHERE_MAX, "%s[%zu]", array, i);
}

/* ---- members ---- */

/* Reports each member of o that keys (NULL-ended) does not name: the format is strict, so
 * that a misspelt member is a problem rather than a setting silently ignored. */
static void known_keys(checker *k, const char *where, json_t *o, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        const char *const *p = keys;
        while (*p && strcmp(*p, key) != 0)
            p++;
        if (!*p)
            say(k, where, "unknown member \"%s\"", key);
    }
}

typedef enum text_kind {
    TEXT_LINE, /* one line: no control character */
    TEXT_LONG, /* lines: newlines and tabs allowed */
} text_kind;

/* Member key of o as a text of at most max characters: NULL when absent or null (a problem
 * when required) or when wrong (a problem). */
static const char *get_text(checker *k, const char *where, json_t *o, const char *key, int required,
                            size_t max, text_kind kind)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            say(k, where, "\"%s\" is missing", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        say(k, where, "\"%s\" is not a string", key);
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n) {
        say(k, where, "\"%s\" holds a NUL character", key);
        return NULL;
    }
    if (required && n == 0) {
        say(k, where, "\"%s\" is empty", key);
        return NULL;
    }
    if (utf8_length(s, n) > max) {
        say(k, where, "\"%s\" is over %zu characters", key, max);
        return NULL;
    }
    int control = 0;
    for (size_t i = 0; i < n; i++)
        control |= (unsigned char)s[i] < 0x20 &&
                   (kind == TEXT_LINE || (s[i] != '\n' && s[i] != '\r' && s[i] != '\t'));
    if (control || (kind == TEXT_LINE && utf8_has_control(s, n))) {
        say(k, where, "\"%s\" holds control characters", key);
        return NULL;
    }
    return s;
}

/* A code: 1 to max bytes of lowercase letters, digits and the characters of extra (upper
 * case letters too with upper). */
static int code_ok(const char *s, size_t max, const char *extra, int upper)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              (upper && ch >= 'A' && ch <= 'Z') || strchr(extra, ch)))
            return 0;
    }
    return 1;
}

static const char *get_code(checker *k, const char *where, json_t *o, const char *key, int required,
                            size_t max, const char *extra, int upper)
{
    const char *s = get_text(k, where, o, key, required, max, TEXT_LINE);
    if (s && !code_ok(s, max, extra, upper)) {
        say(k, where, "\"%s\" is not a code (1 to %zu %sletters, digits%s%s)", key, max,
            upper ? "" : "lowercase ", *extra ? " or " : "", extra);
        return NULL;
    }
    return s;
}

static int get_bool(checker *k, const char *where, json_t *o, const char *key, int dflt)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return dflt;
    if (!json_is_boolean(v)) {
        say(k, where, "\"%s\" is not true or false", key);
        return dflt;
    }
    return json_is_true(v);
}

static int get_int(checker *k, const char *where, json_t *o, const char *key, int min, int max,
                   int dflt)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return dflt;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        say(k, where, "\"%s\" is not an integer from %d to %d", key, min, max);
        return dflt;
    }
    return (int)json_integer_value(v);
}

/* The index of member key's word among names (n of them); dflt when absent or wrong. */
static int get_enum(checker *k, const char *where, json_t *o, const char *key,
                    const char *const *names, size_t n, int dflt)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return dflt;
    for (size_t i = 0; json_is_string(v) && i < n; i++)
        if (strcmp(json_string_value(v), names[i]) == 0)
            return (int)i;
    char list[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++)
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", names[i]);
    say(k, where, "\"%s\" is not one of %s", key, list);
    return dflt;
}

/* Member key of o as an array of at most max items (empty when absent); NULL when wrong. */
static json_t *get_array(checker *k, const char *where, json_t *o, const char *key, size_t max)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return NULL;
    if (!json_is_array(v)) {
        say(k, where[0] ? where : "document", "\"%s\" is not an array", key);
        return NULL;
    }
    if (json_array_size(v) > max) {
        say(k, where[0] ? where : "document", "\"%s\" has more than %zu items", key, max);
        return NULL;
    }
    return v;
}

/* An item of an array that must be an object; NULL (a problem) when it is not. */
static json_t *get_object(checker *k, const char *where, json_t *v)
{
    if (json_is_object(v))
        return v;
    say(k, where, "is not an object");
    return NULL;
}

/* Room for n items of size bytes in the doc's arena; NULL (k->oom) when out of memory. */
static void *room(checker *k, size_t n, size_t size)
{
    void *p = arena_alloc(&k->doc->a, size * (n + 1));
    if (!p)
        k->oom = 1;
    else
        memset(p, 0, size * (n + 1));
    return p;
}

/* ---- lookups in the document and the database ---- */

static const store_department *db_department(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->raw.n_departments; i++)
        if (d->raw.departments[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.departments[i].code, code) == 0)
            return &d->raw.departments[i];
    return NULL;
}

static int department_known(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_deps; i++)
        if (d->deps[i].rec.code && strcmp(d->deps[i].rec.code, code) == 0)
            return 1;
    return db_department(d, code) != NULL;
}

static const store_workflow *db_workflow(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->raw.n_workflows; i++)
        if (d->raw.workflows[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.workflows[i].code, code) == 0)
            return &d->raw.workflows[i];
    return NULL;
}

static const pd_workflow *doc_workflow(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_wfs; i++)
        if (d->wfs[i].wf.rec.code && strcmp(d->wfs[i].wf.rec.code, code) == 0)
            return &d->wfs[i];
    return NULL;
}

static const store_procedure *db_procedure(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->raw.n_procedures; i++)
        if (d->raw.procedures[i].tenant_id == d->tenant_id &&
            strcmp(d->raw.procedures[i].code, code) == 0)
            return &d->raw.procedures[i];
    return NULL;
}

static const pd_procedure *doc_procedure(const procdef_doc *d, const char *code)
{
    for (size_t i = 0; code && i < d->n_procs; i++)
        if (d->procs[i].rec.code && strcmp(d->procs[i].rec.code, code) == 0)
            return &d->procs[i];
    return NULL;
}

static int area_known(const checker *k, const char *code)
{
    for (size_t i = 0; code && i < k->doc->n_areas; i++)
        if (k->doc->areas[i].code && strcmp(k->doc->areas[i].code, code) == 0)
            return 1;
    for (size_t i = 0; code && i < k->n_db_areas; i++)
        if (strcmp(k->db_areas[i].code, code) == 0)
            return 1;
    return 0;
}

/* ---- departments and areas ---- */

static const char *const department_keys[] = {"code", "name", "email", NULL};

static void read_departments(checker *k, json_t *arr)
{
    procdef_doc *d = k->doc;
    d->deps = room(k, json_array_size(arr), sizeof *d->deps);
    if (!d->deps)
        return;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char where[WHERE_MAX];
        json_t *o = json_array_get(arr, i);
        const char *code = json_string_value(json_object_get(o, "code"));
        item_where(where, "departments", i, code);
        if (!get_object(k, where, o))
            continue;
        known_keys(k, where, o, department_keys);
        /* Kept whatever its problems, so that what names it is not reported as well (with
         * any problem, nothing is written). */
        pd_department *p = &d->deps[d->n_deps++];
        p->rec.tenant_id = d->tenant_id;
        p->rec.code = get_text(k, where, o, "code", 1, PROCDEF_CODE_MAX, TEXT_LINE);
        p->rec.name = get_text(k, where, o, "name", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
        p->rec.email = get_text(k, where, o, "email", 0, 254, TEXT_LINE);
        if (!p->rec.code || !p->rec.name)
            continue;
        error err;
        error_clear(&err);
        if (admin_department_check(&p->rec, &err) != 0) {
            say(k, where, "\"%s\": %s", err.arg, err.detail);
            continue;
        }
        if (p->rec.email) {
            const char *stored;
            fr_id_result r;
            if (attr_format_check(&d->a, ATTR_FORMAT_EMAIL, p->rec.email, &stored, &r) != 0) {
                say(k, where, "\"email\" is not an e-mail address");
                continue;
            }
        }
        for (size_t j = 0; j + 1 < d->n_deps; j++)
            if (d->deps[j].rec.code && strcmp(d->deps[j].rec.code, p->rec.code) == 0) {
                say(k, where, "the code \"%s\" is an earlier department's", p->rec.code);
                break;
            }
        const store_department *db = db_department(d, p->rec.code);
        p->exists = db != NULL;
        p->rec.id = db ? db->id : 0;
    }
}

static const char *const area_keys[] = {"kind", "code", "name", "department", "geometry", NULL};
static const char *const area_kinds[] = {"department"};

static void read_areas(checker *k, json_t *arr)
{
    procdef_doc *d = k->doc;
    d->areas = room(k, json_array_size(arr), sizeof *d->areas);
    if (!d->areas)
        return;
    size_t vertices = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char where[WHERE_MAX];
        json_t *o = json_array_get(arr, i);
        const char *code = json_string_value(json_object_get(o, "code"));
        item_where(where, "areas", i, code);
        if (!get_object(k, where, o))
            continue;
        known_keys(k, where, o, area_keys);
        if (!json_object_get(o, "kind"))
            say(k, where, "\"kind\" is missing");
        get_enum(k, where, o, "kind", area_kinds, 1, 0);
        pd_area *p = &d->areas[d->n_areas++];
        p->code = get_code(k, where, o, "code", 1, AREA_CODE_MAX, "-_.", 1);
        p->name = get_text(k, where, o, "name", 1, AREA_NAME_MAX, TEXT_LINE);
        p->department = get_text(k, where, o, "department", 1, PROCDEF_CODE_MAX, TEXT_LINE);
        if (p->department && !department_known(d, p->department))
            say(k, where, "department \"%s\" is neither in the file nor in the database",
                p->department);
        for (size_t j = 0; p->code && j + 1 < d->n_areas; j++)
            if (d->areas[j].code && strcmp(d->areas[j].code, p->code) == 0) {
                say(k, where, "the code \"%s\" is an earlier area's", p->code);
                break;
            }
        area_why why;
        int rc = area_geom_from_json(json_object_get(o, "geometry"), &p->geom, &why);
        if (rc == -2) {
            k->oom = 1;
            return;
        }
        if (rc != 0) {
            say(k, where, "geometry: %s", why.text);
            continue;
        }
        vertices += p->geom.n_pts;
        for (size_t j = 0; p->code && j < k->n_db_areas; j++)
            p->exists |= strcmp(k->db_areas[j].code, p->code) == 0;
    }
    if (vertices > AREA_FILE_VERTICES_MAX)
        say(k, "areas", "the geometries hold more than %u positions",
            (unsigned)AREA_FILE_VERTICES_MAX);
}

/* ---- workflows ---- */

static const char *const workflow_keys[] = {"code",     "name",        "name_en",
                                            "statuses", "transitions", NULL};
static const char *const status_keys[] = {
    "code",   "agent_label", "agent_label_en",  "citizen_label",   "citizen_label_en",
    "colour", "open311",     "extended_status", "citizen_visible", "initial",
    "final",  "reopen_to",   "actions",         "timeouts",        NULL};
static const char *const action_keys[] = {"kind", "params", NULL};
static const char *const timeout_keys[] = {"delay",        "unit",        "kind", "target",
                                           "meaning",      "warn_before", "whom", "repeat_days",
                                           "repeat_times", NULL};
static const char *const open311_words[] = {"open", "closed"};
static const char *const transition_keys[] = {
    "from", "to", "label", "label_en", "roles", "comment_required", NULL};

/* The one place a document's status object is read and checked, member by member
 * (workflow_edit_json writes it): into *s, strings borrowed from o. A status's
 * later attributes (its actions, its timeouts) are read here. */
static void read_status(checker *k, const char *where, json_t *o, store_workflow_status *s)
{
    known_keys(k, where, o, status_keys);
    /* Codes, colours and extended statuses are workflow_check's to judge, as the editor's. */
    s->code = get_text(k, where, o, "code", 1, WORKFLOW_CODE_MAX, TEXT_LINE);
    s->agent_label = get_text(k, where, o, "agent_label", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
    s->agent_label_en = get_text(k, where, o, "agent_label_en", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
    s->citizen_label = get_text(k, where, o, "citizen_label", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
    s->citizen_label_en = get_text(k, where, o, "citizen_label_en", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
    s->colour = get_text(k, where, o, "colour", 1, 16, TEXT_LINE);
    if (!json_object_get(o, "open311"))
        say(k, where, "\"open311\" is missing");
    s->open311_closed = get_enum(k, where, o, "open311", open311_words, 2, 0);
    s->extended_status = get_text(k, where, o, "extended_status", 0, 40, TEXT_LINE);
    s->citizen_visible = get_bool(k, where, o, "citizen_visible", 1);
    s->is_initial = get_bool(k, where, o, "initial", 0);
    s->is_final = get_bool(k, where, o, "final", 0);
    s->reopen_to = get_text(k, where, o, "reopen_to", 0, WORKFLOW_CODE_MAX, TEXT_LINE);
}

/* A generate_document action names a letter template the collectivité has: as the editor's
 * save checks (workflow_edit_save), since the import would otherwise write a workflow whose
 * action is cancelled at every run. */
static void template_known(checker *k, const char *where, const cat_action *act)
{
    if (act->kind != WORKFLOW_ACTION_GENERATE_DOCUMENT)
        return;
    for (size_t i = 0; act->tpl && i < k->n_tpls; i++)
        if (strcmp(k->tpls[i].name, act->tpl) == 0)
            return;
    say(k, where,
        "generate_document: the letter template \"%.100s\" does not exist in this collectivité "
        "(Administration › Modèles de courriers)",
        act->tpl ? act->tpl : "");
}

/* A status's actions (j its index, so) into wf->actions, each checked against wf's statuses
 * by workflow_action_check, the one rule set of the catalogue and the editor. */
static void read_actions(checker *k, const char *where, json_t *so, cat_workflow *wf)
{
    json_t *arr = get_array(k, where, so, "actions", WORKFLOW_ACTIONS_MAX);
    const char *code = json_string_value(json_object_get(so, "code"));
    for (size_t m = 0; arr && code && m < json_array_size(arr) && !k->oom; m++) {
        char sub[WHERE_MAX + 80];
        snprintf(sub, sizeof sub, "%s.actions[%zu]", where, m);
        json_t *o = get_object(k, sub, json_array_get(arr, m));
        if (!o)
            continue;
        known_keys(k, sub, o, action_keys);
        const char *kind = get_text(k, sub, o, "kind", 1, 40, TEXT_LINE);
        json_t *params = json_object_get(o, "params");
        if (params && !json_is_object(params)) {
            say(k, sub, "\"params\" is not an object");
            continue;
        }
        char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
        const char *kept = text ? arena_strdup(&k->doc->a, text) : "{}";
        free(text);
        k->oom |= !kept;
        if (!kind || !kept)
            continue;
        store_workflow_action row = {
            .status_code = code, .position = (int)m + 1, .kind = kind, .params = kept};
        error err;
        error_clear(&err);
        if (workflow_action_check(&k->doc->a, wf, &row, &wf->actions[wf->n_actions], &err) == 0)
            template_known(k, sub, &wf->actions[wf->n_actions++]);
        else if (err.code == ERR_INTERNAL)
            k->oom = 1;
        else
            say(k, sub, "%s: %s", err.arg, err.detail);
    }
}

/* A status's timeouts into wf->timeouts, each checked by workflow_timeout_check. */
static void read_timeouts(checker *k, const char *where, json_t *so, cat_workflow *wf)
{
    json_t *arr = get_array(k, where, so, "timeouts", WORKFLOW_TIMEOUT_PER_STATUS_MAX);
    const char *code = json_string_value(json_object_get(so, "code"));
    for (size_t m = 0; arr && code && m < json_array_size(arr) && !k->oom; m++) {
        char sub[WHERE_MAX + 80];
        snprintf(sub, sizeof sub, "%s.timeouts[%zu]", where, m);
        json_t *o = get_object(k, sub, json_array_get(arr, m));
        if (!o)
            continue;
        known_keys(k, sub, o, timeout_keys);
        long before = *k->problems;
        store_workflow_timeout t = {
            .status_code = code,
            .position = (int)m + 1,
            .delay = get_int(k, sub, o, "delay", 1, 100000, 0),
            .unit = get_text(k, sub, o, "unit", 1, 20, TEXT_LINE),
            .kind = get_text(k, sub, o, "kind", 1, 20, TEXT_LINE),
            .target = get_text(k, sub, o, "target", 0, WORKFLOW_CODE_MAX, TEXT_LINE),
            .meaning = get_text(k, sub, o, "meaning", 0, 20, TEXT_LINE),
            .whom = get_text(k, sub, o, "whom", 0, 20, TEXT_LINE),
            .repeat_days = get_int(k, sub, o, "repeat_days", 0, 100000, 0),
            .repeat_times = get_int(k, sub, o, "repeat_times", 0, 100000, 0),
            .warn_before = get_int(k, sub, o, "warn_before", 0, 100000, 0)};
        if (!t.meaning)
            t.meaning = "none";
        if (*k->problems != before)
            continue;
        error err;
        error_clear(&err);
        if (workflow_timeout_check(wf, &t, &err) != 0)
            say(k, sub, "%s: %s", err.arg, err.detail);
        else
            wf->timeouts[wf->n_timeouts++] = t;
    }
}

/* The roles array as the store's string ("agent manager admin", in the roles' order). */
static const char *read_roles(checker *k, const char *where, json_t *o)
{
    json_t *v = json_object_get(o, "roles");
    if (!json_is_array(v)) {
        say(k, where, "\"roles\" is %s", v ? "not an array of role names" : "missing");
        return NULL;
    }
    /* Kept in the document's order, which is the store's: what is exported comes back the
     * same. */
    unsigned bits = 0;
    char joined[128] = "";
    size_t used = 0, i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        agent_role r;
        if (!json_is_string(item) || agent_role_parse(json_string_value(item), &r) != 0) {
            say(k, where, "\"roles\"[%zu] is not a role (agent, manager, elected or admin)", i);
            return NULL;
        }
        if (bits & (1u << r)) {
            say(k, where, "\"roles\" names \"%s\" twice", json_string_value(item));
            return NULL;
        }
        bits |= 1u << r;
        used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s", used ? " " : "",
                                 agent_role_name(r));
    }
    const char *s = arena_strdup(&k->doc->a, joined);
    k->oom |= !s;
    return s;
}

static void read_transition(checker *k, const char *where, json_t *o, store_workflow_transition *t)
{
    known_keys(k, where, o, transition_keys);
    t->from_code = get_text(k, where, o, "from", 1, WORKFLOW_CODE_MAX, TEXT_LINE);
    t->to_code = get_text(k, where, o, "to", 1, WORKFLOW_CODE_MAX, TEXT_LINE);
    t->label = get_text(k, where, o, "label", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
    t->label_en = get_text(k, where, o, "label_en", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
    t->roles = read_roles(k, where, o);
    t->comment_required = get_bool(k, where, o, "comment_required", 0);
}

/* workflow_check's problems in English, by key ({a} and {b} the codes it names, in that
 * order), for the command line; the back office words the same keys in
 * templates/i18n/<lang>/workflows.json. */
static const struct {
    const char *key, *text;
} rule_texts[] = {
    {"name_missing", "it has no name"},
    {"no_status", "it has no status"},
    {"status_code", "the status code \"{a}\" is not lowercase letters, digits and '_', starting "
                    "with a letter (at most 40)"},
    {"status_twice", "two statuses have the code \"{a}\""},
    {"status_label", "status \"{a}\" lacks its French agent or citizen label"},
    {"status_colour", "status \"{a}\" has a colour off the palette"},
    {"status_extended", "status \"{a}\" has an extended status off FixMyStreet's list"},
    {"reopen_unknown", "status \"{a}\" reopens to unknown status \"{b}\""},
    {"final_open", "final status \"{a}\" is not closed (open311 \"closed\")"},
    {"initial_none", "it has no initial status (it needs exactly one)"},
    {"initial_many", "it has several initial statuses (it needs exactly one)"},
    {"status_unreachable", "status \"{a}\" is not reachable from the initial status \"{b}\""},
    {"out_of_memory", "it could not be checked (out of memory)"},
    {"transition_from", "transition {a} → {b} comes from unknown status \"{a}\""},
    {"transition_to", "transition {a} → {b} goes to unknown status \"{b}\""},
    {"transition_loop", "transition {a} → {b} leads back to the status it leaves"},
    {"transition_from_final", "transition {a} → {b} leaves final status \"{a}\""},
    {"transition_twice", "transition {a} → {b} is there twice"},
    {"transition_label", "transition {a} → {b} has no French label"},
    {"transition_role", "transition {a} → {b} names an unknown role"},
    {"timeout_invalid", "a timeout of status \"{a}\" is not valid"},
    {"action_invalid", "action {b} of status \"{a}\" is not valid"},
    {"too_many_statuses", "it has more than 20 statuses (the editor's bound)"},
    {"too_many_transitions", "it has more than 26 transitions (the editor's bound)"},
    {"name_long", "its name is over 100 bytes"},
    {"status_long", "a label of status \"{a}\" is over 100 bytes"},
    {"transition_long", "a label of transition {a} → {b} is over 100 bytes"},
};

/* text with {a} and {b} replaced by a and b (NULL: nothing), into out (cut to size). */
static void word(char *out, size_t size, const char *text, const char *a, const char *b)
{
    size_t used = 0;
    for (const char *p = text; *p && used + 1 < size; p++) {
        if (p[0] == '{' && (p[1] == 'a' || p[1] == 'b') && p[2] == '}') {
            const char *with = p[1] == 'a' ? a : b;
            for (const char *q = with ? with : ""; *q && used + 1 < size; q++)
                out[used++] = *q;
            p += 2;
            continue;
        }
        out[used++] = *p;
    }
    out[used] = '\0';
}

/* Reports every rule wf breaks: workflow_check's (the catalogue's and the editor's), the
 * editor's bounds, so that an imported workflow can be edited in the back office, then
 * whether every status is reachable. */
static int check_rules(checker *k, const char *where, const cat_workflow *wf)
{
    workflow_problem pb[WORKFLOW_PROBLEMS_MAX];
    size_t n = workflow_edit_check(wf, pb, WORKFLOW_PROBLEMS_MAX);
    /* A document is a whole workflow, not a step of an edit: complete, too. */
    if (n == 0)
        n = workflow_check_reachable(wf, pb, WORKFLOW_PROBLEMS_MAX);
    for (size_t i = 0; i < n && i < WORKFLOW_PROBLEMS_MAX; i++) {
        const char *text = NULL;
        for (size_t j = 0; !text && j < sizeof rule_texts / sizeof rule_texts[0]; j++)
            if (strcmp(rule_texts[j].key, pb[i].key) == 0)
                text = rule_texts[j].text;
        char what[300];
        if (text)
            word(what, sizeof what, text, pb[i].a, pb[i].b);
        else
            snprintf(what, sizeof what, "it breaks the rule \"%s\" (%s %s)", pb[i].key,
                     pb[i].a ? pb[i].a : "", pb[i].b ? pb[i].b : "");
        say(k, where, "%s", what);
    }
    if (n > WORKFLOW_PROBLEMS_MAX)
        say(k, where, "and %zu more problem(s)", n - WORKFLOW_PROBLEMS_MAX);
    return n != 0;
}

static void read_workflows(checker *k, json_t *arr)
{
    procdef_doc *d = k->doc;
    d->wfs = room(k, json_array_size(arr), sizeof *d->wfs);
    if (!d->wfs)
        return;
    for (size_t i = 0; i < json_array_size(arr) && !k->oom; i++) {
        char where[WHERE_MAX], sub[WHERE_MAX + 40];
        json_t *o = json_array_get(arr, i);
        const char *code = json_string_value(json_object_get(o, "code"));
        item_where(where, "workflows", i, code);
        if (!get_object(k, where, o))
            continue;
        known_keys(k, where, o, workflow_keys);
        long before = *k->problems;
        const char *wcode = get_text(k, where, o, "code", 1, WORKFLOW_CODE_MAX, TEXT_LINE);
        if (wcode && !workflow_code_valid(wcode)) {
            say(k, where,
                "\"code\" is not lowercase letters, digits and '_', starting with a "
                "letter (at most %d)",
                WORKFLOW_CODE_MAX);
            wcode = NULL;
        }
        if (wcode && doc_workflow(d, wcode))
            say(k, where, "the code \"%s\" is an earlier workflow's", wcode);
        pd_workflow *p = &d->wfs[d->n_wfs++];
        cat_workflow *wf = &p->wf;
        wf->rec.tenant_id = d->tenant_id;
        wf->rec.code = wcode;
        wf->rec.name = get_text(k, where, o, "name", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
        wf->rec.name_en = get_text(k, where, o, "name_en", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
        json_t *sts = get_array(k, where, o, "statuses", PROCDEF_STATUSES_MAX);
        json_t *trs = get_array(k, where, o, "transitions", PROCDEF_TRANSITIONS_MAX);
        if (!sts || json_array_size(sts) == 0) {
            if (!json_object_get(o, "statuses") || (sts && json_array_size(sts) == 0))
                say(k, where, "\"statuses\" is missing or empty");
            continue;
        }
        if (!trs && json_object_get(o, "transitions"))
            continue;
        wf->statuses = room(k, json_array_size(sts), sizeof *wf->statuses);
        wf->transitions = room(k, json_array_size(trs), sizeof *wf->transitions);
        if (!wf->statuses || !wf->transitions)
            return;
        for (size_t j = 0; j < json_array_size(sts); j++) {
            json_t *so = json_array_get(sts, j);
            const char *sc = json_string_value(json_object_get(so, "code"));
            snprintf(sub, sizeof sub, "%s.statuses[%zu]%s%s%s", where, j, sc ? " (" : "",
                     sc ? sc : "", sc ? ")" : "");
            if (get_object(k, sub, so))
                read_status(k, sub, so, &wf->statuses[wf->n_statuses++]);
        }
        for (size_t j = 0; j < json_array_size(trs); j++) {
            json_t *to = json_array_get(trs, j);
            snprintf(sub, sizeof sub, "%s.transitions[%zu]", where, j);
            if (get_object(k, sub, to))
                read_transition(k, sub, to, &wf->transitions[wf->n_transitions++].rec);
        }
        /* Actions and timeouts name statuses and transitions: read once those are. */
        wf->actions = room(k, json_array_size(sts) * WORKFLOW_ACTIONS_MAX, sizeof *wf->actions);
        wf->timeouts =
            room(k, json_array_size(sts) * WORKFLOW_TIMEOUT_PER_STATUS_MAX, sizeof *wf->timeouts);
        if (!wf->actions || !wf->timeouts)
            return;
        if (*k->problems == before)
            for (size_t j = 0; j < json_array_size(sts); j++) {
                json_t *so = json_array_get(sts, j);
                const char *sc = json_string_value(json_object_get(so, "code"));
                snprintf(sub, sizeof sub, "%s.statuses[%zu]%s%s%s", where, j, sc ? " (" : "",
                         sc ? sc : "", sc ? ")" : "");
                if (!json_is_object(so))
                    continue;
                read_timeouts(k, sub, so, wf);
                read_actions(k, sub, so, wf);
            }
        /* The rules, once every status and transition reads: their problems would only
         * echo the ones above. */
        if (*k->problems != before)
            continue;
        if (check_rules(k, where, wf))
            continue;
        for (size_t j = 0; j < wf->n_statuses; j++)
            if (wf->statuses[j].is_initial)
                wf->initial = &wf->statuses[j];
        const store_workflow *db = db_workflow(d, wf->rec.code);
        p->exists = db != NULL;
        p->id = db ? db->id : 0;
    }
}

/* ---- procedures ---- */

static const char *const procedure_keys[] = {
    "code",     "name",           "name_en",        "kind",
    "group",    "description",    "description_en", "keywords",
    "notice",   "notice_en",      "icon",           "department",
    "workflow", "delay_days",     "delay_working",  "retention_months",
    "active",   "public",         "auto_public",    "allow_anonymous",
    "open311",  "open311_detail", "form",           NULL};

/* What an attrs_check problem means, in English, by kind. */
static const char *const attrs_texts[ATTRS_PROBLEM_COUNT] = {
    [ATTRS_SYNTAX] = "is not JSON",
    [ATTRS_NOT_ARRAY] = "is not an array",
    [ATTRS_TOO_MANY] = "has too many questions",
    [ATTRS_NOT_OBJECT] = "is not an object",
    [ATTRS_UNKNOWN_MEMBER] = "has an unknown member",
    [ATTRS_NO_CODE] = "has no code",
    [ATTRS_BAD_CODE] = "has a code that is not 1 to 48 letters, digits, '-', '_' or '.'",
    [ATTRS_REPEATED_CODE] = "repeats the code of an earlier field",
    [ATTRS_NO_DATATYPE] = "has no datatype",
    [ATTRS_BAD_DATATYPE] = "has an unknown datatype",
    [ATTRS_NOT_TEXT] = "has a text member that is not a string or is too long",
    [ATTRS_NOT_BOOL] = "has a flag that is not true or false",
    [ATTRS_NOT_INTEGER] = "has an order that is not an integer",
    [ATTRS_VALUES_COUNT] = "is a list without its values (or with too many)",
    [ATTRS_VALUE_NOT_OBJECT] = "has a value that is not an object",
    [ATTRS_VALUE_UNKNOWN_MEMBER] = "has a value with an unknown member",
    [ATTRS_VALUE_NO_KEY] = "has a value without a key",
    [ATTRS_VALUE_NO_NAME] = "has a value without a name",
    [ATTRS_VALUE_REPEATED_KEY] = "repeats a value's key",
    [ATTRS_BAD_FORMAT] = "has an unknown format",
    [ATTRS_FORMAT_NOT_STRING] = "has a format but is not a string field",
    [ATTRS_YESNO_VALUES] = "is a yes/no field with values (they are fixed)",
    [ATTRS_BAD_CONDITION] = "has a show_if that is not {field, equals} or {field, in}",
    [ATTRS_CONDITION_UNKNOWN] = "has a condition on an unknown field",
    [ATTRS_CONDITION_LATER] = "has a condition on a field that comes after it",
    [ATTRS_CONDITION_NOT_ASKED] = "has a condition on a section or a notice",
    [ATTRS_CONDITION_BAD_VALUE] = "has a condition on a value its field does not offer",
};

/* The form checked by attrs_check (the definitions' one validator): its text to store, NULL
 * after a problem. */
static const char *read_form(checker *k, const char *where, json_t *o)
{
    json_t *form = json_object_get(o, "form");
    if (!form)
        return "[]";
    char *text = json_dumps(form, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        k->oom = 1;
        return NULL;
    }
    attrs_problem pb;
    const char *out = NULL;
    if (attrs_check(text, &pb) != 0) {
        char place[160] = "form";
        if (pb.item)
            snprintf(place, sizeof place, "form[%zu]%s%s%s", pb.item - 1, pb.code[0] ? " (" : "",
                     pb.code, pb.code[0] ? ")" : "");
        const char *what =
            attrs_texts[pb.kind] ? attrs_texts[pb.kind] : attrs_problem_name(pb.kind);
        /* A repeated code's member is "code" itself: nothing to add. */
        if (pb.kind == ATTRS_REPEATED_CODE)
            pb.member[0] = '\0';
        if (pb.value && pb.member[0])
            say(k, where, "%s %s (value %zu, \"%s\")", place, what, pb.value, pb.member);
        else if (pb.value)
            say(k, where, "%s %s (value %zu)", place, what, pb.value);
        else if (pb.member[0])
            say(k, where, "%s %s: \"%s\"", place, what, pb.member);
        else
            say(k, where, "%s %s", place, what);
    } else {
        out = arena_strdup(&k->doc->a, text);
        k->oom |= !out;
    }
    free(text);
    return out;
}

static void read_procedures(checker *k, json_t *arr)
{
    procdef_doc *d = k->doc;
    d->procs = room(k, json_array_size(arr), sizeof *d->procs);
    if (!d->procs)
        return;
    for (size_t i = 0; i < json_array_size(arr) && !k->oom; i++) {
        char where[WHERE_MAX];
        json_t *o = json_array_get(arr, i);
        const char *code = json_string_value(json_object_get(o, "code"));
        item_where(where, "procedures", i, code);
        if (!get_object(k, where, o))
            continue;
        known_keys(k, where, o, procedure_keys);
        long before = *k->problems;
        const char *pcode = get_text(k, where, o, "code", 1, PROCDEF_CODE_MAX, TEXT_LINE);
        if (pcode && doc_procedure(d, pcode))
            say(k, where, "the code \"%s\" is an earlier procedure's", pcode);
        pd_procedure *p = &d->procs[d->n_procs++];
        store_procedure *r = &p->rec;
        r->tenant_id = d->tenant_id;
        r->code = pcode;
        r->name = get_text(k, where, o, "name", 1, PROCDEF_TEXT_MAX, TEXT_LINE);
        r->name_en = get_text(k, where, o, "name_en", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
        r->kind = get_enum(k, where, o, "kind", procdef_kind_names, 2, PROCEDURE_INCIDENT);
        r->group_name = get_text(k, where, o, "group", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
        r->description = get_text(k, where, o, "description", 0, PROCDEF_LONG_MAX, TEXT_LONG);
        r->description_en = get_text(k, where, o, "description_en", 0, PROCDEF_LONG_MAX, TEXT_LONG);
        r->keywords = get_text(k, where, o, "keywords", 0, PROCDEF_TEXT_MAX, TEXT_LINE);
        r->service_notice = get_text(k, where, o, "notice", 0, PROCDEF_LONG_MAX, TEXT_LONG);
        r->service_notice_en = get_text(k, where, o, "notice_en", 0, PROCDEF_LONG_MAX, TEXT_LONG);
        r->icon = get_text(k, where, o, "icon", 0, PROCDEF_CODE_MAX, TEXT_LINE);
        p->department = get_text(k, where, o, "department", 0, PROCDEF_CODE_MAX, TEXT_LINE);
        p->workflow = get_text(k, where, o, "workflow", 0, PROCDEF_CODE_MAX, TEXT_LINE);
        r->delay_days = get_int(k, where, o, "delay_days", 0, 3660, 0);
        r->delay_working = get_bool(k, where, o, "delay_working", 0);
        r->retention_months = get_int(k, where, o, "retention_months", 0, 1200, 0);
        r->active = get_bool(k, where, o, "active", 1);
        r->is_public = get_bool(k, where, o, "public", 0);
        r->auto_public = get_bool(k, where, o, "auto_public", 0);
        r->allow_anonymous = get_bool(k, where, o, "allow_anonymous", 0);
        r->open311 = get_bool(k, where, o, "open311", 0);
        r->open311_detail =
            get_enum(k, where, o, "open311_detail", procdef_detail_names, 3, OPEN311_DETAIL_NONE);
        r->attributes = read_form(k, where, o);
        if (p->department && !department_known(d, p->department))
            say(k, where, "department \"%s\" is neither in the file nor in the database",
                p->department);
        if (p->workflow && !doc_workflow(d, p->workflow) && !db_workflow(d, p->workflow))
            say(k, where, "workflow \"%s\" is neither in the file nor in the database",
                p->workflow);
        if (*k->problems != before)
            continue;
        error err;
        error_clear(&err);
        if (admin_procedure_check(r, &err) != 0) {
            say(k, where, "\"%s\": %s", err.arg, err.detail);
            continue;
        }
        const store_procedure *db = db_procedure(d, r->code);
        p->exists = db != NULL;
        r->id = db ? db->id : 0;
        p->form_changed = 1;
        if (db) {
            /* The same definitions written otherwise (members in another order) are the same
             * form: the stored text stays, and no version is made. */
            json_t *old = json_loads(db->attributes ? db->attributes : "[]", 0, NULL);
            json_t *now = json_loads(r->attributes, 0, NULL);
            if (old && now && json_equal(old, now)) {
                r->attributes = db->attributes ? db->attributes : "[]";
                p->form_changed = 0;
            }
            json_decref(old);
            json_decref(now);
        }
        r->version_by = "cli";
        r->version_summary = "import";
    }
}

/* ---- statuses in use ---- */

/* The statuses workflow code will have after the import: the document's, else the
 * database's; *n -1 when there is no such workflow. */
static const store_workflow_status *statuses_after(const procdef_doc *d, const char *code,
                                                   const store_workflow_status **db_first, long *n)
{
    const pd_workflow *w = doc_workflow(d, code);
    *db_first = NULL;
    *n = -1;
    if (w) {
        /* A workflow of the file too broken to have statuses: its own problems say so. */
        *n = w->wf.n_statuses ? (long)w->wf.n_statuses : -1;
        return w->wf.statuses;
    }
    const store_workflow *db = db_workflow(d, code);
    if (!db)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < d->raw.n_workflow_statuses; i++)
        if (d->raw.workflow_statuses[i].workflow_id == db->id) {
            if (!*db_first)
                *db_first = &d->raw.workflow_statuses[i];
            (*n)++;
        }
    return *db_first;
}

/* Requests stay in a status their procedure's workflow has: a workflow rewritten, or a
 * procedure moved to another workflow, must keep every status requests are in. */
static void check_uses(checker *k)
{
    procdef_doc *d = k->doc;
    for (size_t u = 0; u < k->n_uses; u++) {
        const pd_use *use = &k->uses[u];
        const store_procedure *dbp = NULL;
        for (size_t i = 0; i < d->raw.n_procedures && !dbp; i++)
            if (d->raw.procedures[i].id == use->procedure_id)
                dbp = &d->raw.procedures[i];
        if (!dbp)
            continue;
        const store_workflow *dbw = NULL;
        for (size_t i = 0; i < d->raw.n_workflows && !dbw; i++)
            if (d->raw.workflows[i].id == dbp->workflow_id)
                dbw = &d->raw.workflows[i];
        const pd_procedure *fp = doc_procedure(d, dbp->code);
        const char *wcode = fp && fp->workflow ? fp->workflow : dbw ? dbw->code : NULL;
        if (!wcode)
            continue;
        const store_workflow_status *db_first;
        long n;
        const store_workflow_status *sts = statuses_after(d, wcode, &db_first, &n);
        int found = 0;
        for (long i = 0; sts && i < n && !found; i++)
            found = strcmp(sts[i].code, use->status) == 0;
        if (found || n < 0)
            continue;
        char where[WHERE_MAX];
        if (fp && (!dbw || strcmp(dbw->code, wcode) != 0)) {
            item_where(where, "procedures", (size_t)(fp - d->procs), fp->rec.code);
            say(k, where, "workflow \"%s\" has no status \"%s\", which %lld of its requests are in",
                wcode, use->status, (long long)use->n);
        } else {
            const pd_workflow *w = doc_workflow(d, wcode);
            item_where(where, "workflows", w ? (size_t)(w - d->wfs) : 0, wcode);
            say(k, where,
                "status \"%s\" would disappear, but %lld request(s) of procedure \"%s\" "
                "are in it",
                use->status, (long long)use->n, dbp->code);
        }
    }
}

/* ---- routing ---- */

static const char *const routing_keys[] = {"default_department", "rules", NULL};
static const char *const rule_keys[] = {"name", "active",    "procedure",  "field", "value",
                                        "area", "area_code", "department", NULL};
static const char *const area_modes[] = {"none", "own", "named"};

/* The field `code` of procedure proc after the import (the document's form, else the
 * database's), parsed in the doc's arena; NULL when it has none. */
static const attr_def *field_after(checker *k, const char *proc, const char *code)
{
    const pd_procedure *fp = doc_procedure(k->doc, proc);
    const store_procedure *dbp = db_procedure(k->doc, proc);
    const char *text = fp ? fp->rec.attributes : dbp ? dbp->attributes : NULL;
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    error_clear(&err);
    if (!text || attrs_parse_definitions(&k->doc->a, text, &defs, &n, &err) != 0)
        return NULL;
    return attrs_find(defs, n, code);
}

static void read_rule(checker *k, const char *where, json_t *o, pd_rule *p)
{
    procdef_doc *d = k->doc;
    store_routing_rule *r = &p->rec;
    known_keys(k, where, o, rule_keys);
    r->tenant_id = d->tenant_id;
    r->name = get_text(k, where, o, "name", 1, ROUTING_NAME_MAX, TEXT_LINE);
    r->active = get_bool(k, where, o, "active", 1);
    p->procedure = get_text(k, where, o, "procedure", 0, PROCDEF_CODE_MAX, TEXT_LINE);
    r->field_code = get_text(k, where, o, "field", 0, ATTR_CODE_MAX, TEXT_LINE);
    r->field_value = get_text(k, where, o, "value", 0, ROUTING_VALUE_MAX, TEXT_LINE);
    int mode = get_enum(k, where, o, "area", area_modes, 3, ROUTING_AREA_NONE);
    r->area_mode = area_modes[mode];
    r->area_code = get_text(k, where, o, "area_code", 0, AREA_CODE_MAX, TEXT_LINE);
    p->department = get_text(k, where, o, "department", 0, PROCDEF_CODE_MAX, TEXT_LINE);
    if (p->procedure && !doc_procedure(d, p->procedure) && !db_procedure(d, p->procedure))
        say(k, where, "procedure \"%s\" is neither in the file nor in the database", p->procedure);
    /* A form of the file that does not read has its own problem: no field is looked for. */
    const pd_procedure *fp = doc_procedure(d, p->procedure);
    int form_known = fp ? fp->rec.attributes != NULL : db_procedure(d, p->procedure) != NULL;
    if (r->field_code && !p->procedure)
        say(k, where, "\"field\" needs a \"procedure\"");
    else if (r->field_code && form_known) {
        const attr_def *f = field_after(k, p->procedure, r->field_code);
        int choice = f && (f->type == ATTR_SINGLEVALUELIST || f->type == ATTR_MULTIVALUELIST);
        if (!f || f->type == ATTR_SECTION || !f->variable)
            say(k, where, "procedure \"%s\" has no field \"%s\"", p->procedure, r->field_code);
        else if (!r->field_value)
            say(k, where, "\"value\" is missing: the value field \"%s\" must hold", r->field_code);
        else if (choice) {
            int offered = 0;
            for (size_t i = 0; i < f->n_values && !offered; i++)
                offered = strcmp(f->values[i].key, r->field_value) == 0;
            if (!offered)
                say(k, where, "field \"%s\" offers no value \"%s\"", r->field_code, r->field_value);
        }
    } else if (r->field_value && !r->field_code)
        say(k, where, "\"value\" needs a \"field\"");
    if (mode == ROUTING_AREA_NAMED && !r->area_code)
        say(k, where, "\"area_code\" is missing: area \"named\" names a department area");
    else if (mode != ROUTING_AREA_NAMED && r->area_code)
        say(k, where, "\"area_code\" is only for area \"named\"");
    else if (r->area_code && !area_known(k, r->area_code))
        say(k, where, "department area \"%s\" is neither in the file nor in the database",
            r->area_code);
    if (mode == ROUTING_AREA_OWN && p->department)
        say(k, where, "\"department\" is not given with area \"own\": the area's department is");
    else if (mode != ROUTING_AREA_OWN && !p->department)
        say(k, where, "\"department\" is missing");
    else if (p->department && !department_known(d, p->department))
        say(k, where, "department \"%s\" is neither in the file nor in the database",
            p->department);
}

static void read_routing(checker *k, json_t *o)
{
    procdef_doc *d = k->doc;
    const char *where = "routing";
    if (!get_object(k, where, o))
        return;
    known_keys(k, where, o, routing_keys);
    d->has_routing = 1;
    d->default_department =
        get_text(k, where, o, "default_department", 0, PROCDEF_CODE_MAX, TEXT_LINE);
    if (d->default_department && !department_known(d, d->default_department))
        say(k, where, "default department \"%s\" is neither in the file nor in the database",
            d->default_department);
    json_t *rules = get_array(k, where, o, "rules", ROUTING_RULES_MAX);
    d->rules = room(k, json_array_size(rules), sizeof *d->rules);
    if (!d->rules)
        return;
    for (size_t i = 0; i < json_array_size(rules); i++) {
        char sub[WHERE_MAX];
        json_t *ro = json_array_get(rules, i);
        const char *name = json_string_value(json_object_get(ro, "name"));
        item_where(sub, "routing.rules", i, name);
        if (!get_object(k, sub, ro))
            continue;
        pd_rule *p = &d->rules[d->n_rules];
        read_rule(k, sub, ro, p);
        for (size_t j = 0; p->rec.name && j < d->n_rules; j++)
            if (strcmp(d->rules[j].rec.name, p->rec.name) == 0) {
                say(k, sub, "the name \"%s\" is an earlier rule's", p->rec.name);
                break;
            }
        if (p->rec.name)
            d->n_rules++;
    }
}

/* ---- the document ---- */

static const char *const root_keys[] = {"format",    "version",    "departments", "areas",
                                        "workflows", "procedures", "routing",     NULL};

/* The statuses the database's requests are in, procedure by procedure. */
static int read_uses(checker *k, store *s, error *err)
{
    procdef_doc *d = k->doc;
    size_t cap = 0;
    for (size_t i = 0; i < d->raw.n_procedures; i++) {
        const store_procedure *p = &d->raw.procedures[i];
        store_status_count *counts = NULL;
        size_t n = 0;
        if (p->tenant_id != d->tenant_id)
            continue;
        if (s->ops->workflows.status_counts(s, d->tenant_id, 0, p->id, &d->a, &counts, &n, err) !=
            0)
            return -1;
        for (size_t j = 0; j < n; j++) {
            if (k->n_uses == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                pd_use *more = arena_alloc(&d->a, sizeof *more * ncap);
                if (!more)
                    return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
                if (k->n_uses)
                    memcpy(more, k->uses, sizeof *more * k->n_uses);
                k->uses = more;
                cap = ncap;
            }
            k->uses[k->n_uses++] = (pd_use){p->id, counts[j].status, counts[j].n};
        }
    }
    return 0;
}

void procdef_doc_free(procdef_doc *doc)
{
    for (size_t i = 0; doc->areas && i < doc->n_areas; i++)
        area_geom_free(&doc->areas[i].geom);
    json_decref(doc->root);
    arena_free(&doc->a);
    memset(doc, 0, sizeof *doc);
}

int procdef_check(core *c, int64_t tenant_id, const char *text, size_t len, procdef_doc *doc,
                  procdef_problem_fn problem, void *ctx, long *problems, error *err)
{
    memset(doc, 0, sizeof *doc);
    *problems = 0;
    arena_init(&doc->a, 64u * 1024 * 1024);
    doc->tenant_id = tenant_id;
    checker k = {problem, ctx, problems, 0, doc, NULL, 0, NULL, 0, NULL, 0};
    store *s = c->store;
    if (s->ops->catalogue.load(s, &doc->a, &doc->raw, err) != 0 ||
        letter_tpl_list(c, tenant_id, &doc->a, &k.tpls, &k.n_tpls, err) != 0 ||
        s->ops->areas.list(s, tenant_id, "department", 0, &doc->a, &k.db_areas, &k.n_db_areas,
                           err) != 0 ||
        read_uses(&k, s, err) != 0)
        return -1;
    int tenant_known = 0;
    for (size_t i = 0; i < doc->raw.n_tenants; i++)
        tenant_known |= doc->raw.tenants[i].id == tenant_id;
    if (!tenant_known)
        return error_set(err, ERR_NOT_FOUND, "tenant", "no such collectivité");
    for (size_t i = 0; i < k.n_db_areas; i++)
        if (k.db_areas[i].position >= doc->areas_next_position)
            doc->areas_next_position = k.db_areas[i].position + 1;

    if (len > PROCDEF_FILE_MAX) {
        say(&k, "", "the file is over %u bytes", (unsigned)PROCDEF_FILE_MAX);
        return 0;
    }
    if (area_json_values(text, len) > PROCDEF_JSON_VALUES_MAX) {
        say(&k, "", "the file holds over %d JSON values", PROCDEF_JSON_VALUES_MAX);
        return 0;
    }
    json_error_t jerr;
    doc->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc->root) {
        say(&k, "", "not JSON: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return 0;
    }
    json_t *root = doc->root;
    if (!json_is_object(root)) {
        say(&k, "", "the document is not a JSON object");
        return 0;
    }
    known_keys(&k, "document", root, root_keys);
    const char *format = json_string_value(json_object_get(root, "format"));
    json_t *version = json_object_get(root, "version");
    /* Another document, or another version of this one: its members would mean something
     * else, so nothing more is read. */
    if (!format || strcmp(format, PROCDEF_FORMAT) != 0) {
        say(&k, "document", "\"format\" is not \"" PROCDEF_FORMAT "\"");
        return 0;
    }
    if (!json_is_integer(version) || json_integer_value(version) != PROCDEF_VERSION) {
        say(&k, "document", "\"version\" is not %d (the only version this guichet reads)",
            PROCDEF_VERSION);
        return 0;
    }
    /* In reference order: a department before the areas and procedures naming it, workflows
     * before procedures, procedures and areas before the rules. */
    json_t *deps = get_array(&k, "", root, "departments", PROCDEF_DEPARTMENTS_MAX);
    read_departments(&k, deps);
    json_t *areas = get_array(&k, "", root, "areas", PROCDEF_AREAS_MAX);
    if (!k.oom)
        read_areas(&k, areas);
    json_t *wfs = get_array(&k, "", root, "workflows", PROCDEF_WORKFLOWS_MAX);
    if (!k.oom)
        read_workflows(&k, wfs);
    json_t *procs = get_array(&k, "", root, "procedures", PROCDEF_PROCEDURES_MAX);
    if (!k.oom)
        read_procedures(&k, procs);
    json_t *routing = json_object_get(root, "routing");
    if (routing && !k.oom)
        read_routing(&k, routing);
    if (!k.oom)
        check_uses(&k);
    if (k.oom)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    return 0;
}

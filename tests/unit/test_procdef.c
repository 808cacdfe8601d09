/*
 * test_procdef — the procedure definitions' validator and import (src/core/procdef_*.c): a
 * valid document imported (departments, areas, workflows, procedures and routing created, then
 * re-imported without a change), and each invalid case refused with its message and its
 * place, several problems of one document all listed, nothing written after any of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/procdef.h"
#include "test_db.h"
#include "test_req.h"

/* A small collectivité's definitions, every section used; each case changes one thing. */
static const char base_doc[] =
    "{\"format\": \"guichet-procedures\", \"version\": 1,"
    " \"departments\": [{\"code\": \"espaces-verts\", \"name\": \"Espaces verts\","
    "   \"email\": \"ev@bourg.test\"}],"
    " \"areas\": [{\"kind\": \"department\", \"code\": \"parc\", \"name\": \"Le parc\","
    "   \"department\": \"espaces-verts\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\":"
    "   [[[4.0, 45.0], [4.1, 45.0], [4.1, 45.1], [4.0, 45.1], [4.0, 45.0]]]}}],"
    " \"workflows\": [{\"code\": \"suivi\", \"name\": \"Suivi\", \"name_en\": null,"
    "   \"statuses\": ["
    "     {\"code\": \"ouverte\", \"agent_label\": \"ouverte\", \"citizen_label\": \"ouverte\","
    "      \"colour\": \"blue\", \"open311\": \"open\", \"initial\": true},"
    "     {\"code\": \"traitee\", \"agent_label\": \"traitée\", \"citizen_label\": \"traitée\","
    "      \"colour\": \"green\", \"open311\": \"closed\", \"extended_status\": \"FIXED\","
    "      \"final\": true}],"
    "   \"transitions\": [{\"from\": \"ouverte\", \"to\": \"traitee\", \"label\": \"Traiter\","
    "     \"roles\": [\"agent\", \"manager\"]}]}],"
    " \"procedures\": [{\"code\": \"arbre\", \"name\": \"Arbre\", \"workflow\": \"suivi\","
    "   \"department\": \"espaces-verts\", \"form\": ["
    "     {\"code\": \"essence\", \"datatype\": \"singlevaluelist\", \"description\": \"Essence\","
    "      \"required\": true, \"variable\": true, \"order\": 1, \"values\": ["
    "        {\"key\": \"chene\", \"name\": \"Chêne\"}, {\"key\": \"platane\", \"name\": "
    "\"Platane\"}]},"
    "     {\"code\": \"detail\", \"datatype\": \"string\", \"description\": \"Détail\","
    "      \"required\": false, \"variable\": true, \"order\": 2,"
    "      \"show_if\": {\"field\": \"essence\", \"equals\": \"chene\"}}]}],"
    " \"routing\": {\"default_department\": \"voirie\", \"rules\": ["
    "   {\"name\": \"Parc\", \"procedure\": \"arbre\", \"area\": \"named\", \"area_code\": "
    "\"parc\","
    "    \"department\": \"espaces-verts\"},"
    "   {\"name\": \"Platanes\", \"procedure\": \"arbre\", \"field\": \"essence\", \"value\": "
    "\"platane\","
    "    \"department\": \"voirie\"}]}}";

typedef struct fixture {
    test_db db;
    int64_t tenant;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (test_db_open(&f.db, "procdef", NULL) != 0)
        return -1;
    store_tenant t = {.slug = "bourg", .name = "Bourg-Exemple", .timezone = "Europe/Paris"};
    error err;
    if (admin_tenant_upsert(f.db.core, &t, &f.tenant, &err) != 0)
        return -1;
    store_department d = {.tenant_id = f.tenant, .code = "voirie", .name = "Voirie"};
    if (admin_department_upsert(f.db.core, &d, NULL, &err) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_db_close(&f->db);
    return 0;
}

/* ---- documents ---- */

static json_t *base(void)
{
    json_error_t e;
    json_t *doc = json_loads(base_doc, 0, &e);
    if (!doc)
        fprintf(stderr, "base_doc: %s (line %d, column %d)\n", e.text, e.line, e.column);
    assert_non_null(doc);
    return doc;
}

/* Sets the member at path ("workflows/0/transitions/0/to": object members and array
 * indexes; a last component "-" appends to an array) to v (stolen). */
static void set(json_t *doc, const char *path, json_t *v)
{
    char copy[200];
    snprintf(copy, sizeof copy, "%s", path);
    json_t *at = doc;
    char *save = NULL;
    char *part = strtok_r(copy, "/", &save);
    while (part) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next) {
            if (json_is_array(at) && strcmp(part, "-") == 0)
                assert_int_equal(json_array_append_new(at, v), 0);
            else if (json_is_array(at))
                assert_int_equal(json_array_set_new(at, strtoul(part, NULL, 10), v), 0);
            else
                assert_int_equal(json_object_set_new(at, part, v), 0);
            return;
        }
        at = json_is_array(at) ? json_array_get(at, strtoul(part, NULL, 10))
                               : json_object_get(at, part);
        assert_non_null(at);
        part = next;
    }
}

static json_t *get(json_t *doc, const char *path)
{
    char copy[200];
    snprintf(copy, sizeof copy, "%s", path);
    json_t *at = doc;
    char *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); part && at; part = strtok_r(NULL, "/", &save))
        at = json_is_array(at) ? json_array_get(at, strtoul(part, NULL, 10))
                               : json_object_get(at, part);
    assert_non_null(at);
    return at;
}

/* ---- importing ---- */

#define LINES_MAX 16

typedef struct lines {
    int n;
    char line[LINES_MAX][400];
} lines;

static void collect(void *ctx, const char *where, const char *what)
{
    lines *l = ctx;
    if (l->n < LINES_MAX)
        snprintf(l->line[l->n], sizeof l->line[l->n], "%s%s%s", where, *where ? ": " : "", what);
    l->n++;
}

static char *export_all(fixture *f)
{
    char *out = NULL;
    error err;
    error_clear(&err);
    assert_int_equal(procdef_export(f->db.core, f->tenant, NULL, &out, &err), 0);
    return out;
}

/* Imports text (len bytes): the problems into *l, their count returned. */
static long import_text(fixture *f, const char *text, size_t len, lines *l, procdef_result *r)
{
    long problems = 0;
    error err;
    error_clear(&err);
    memset(l, 0, sizeof *l);
    int rc = procdef_import(f->db.core, &actor_cli, f->tenant, text, len, collect, l, r, &problems,
                            &err);
    if (rc != 0)
        fprintf(stderr, "procdef_import: %s\n", err.detail);
    assert_int_equal(rc, 0);
    return problems;
}

/* Imports doc (which it frees). */
static long import(fixture *f, json_t *doc, lines *l, procdef_result *r)
{
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    assert_non_null(text);
    long problems = import_text(f, text, strlen(text), l, r);
    free(text);
    return problems;
}

/* Imports doc, which must be refused with exactly the problems given (NULL-ended), and
 * leave the definitions as they were. */
static void refused(fixture *f, json_t *doc, ...)
{
    char *before = export_all(f);
    lines l;
    procdef_result r;
    long n = import(f, doc, &l, &r);
    va_list ap;
    va_start(ap, doc);
    int i = 0;
    for (const char *want = va_arg(ap, const char *); want; want = va_arg(ap, const char *), i++) {
        if (i >= l.n || strcmp(l.line[i], want) != 0)
            fprintf(stderr, "problem %d: want '%s', got '%s'\n", i, want,
                    i < l.n ? l.line[i] : "(none)");
        assert_true(i < l.n);
        assert_string_equal(l.line[i], want);
    }
    va_end(ap);
    for (int j = i; j < l.n && j < LINES_MAX; j++)
        fprintf(stderr, "unexpected problem: %s\n", l.line[j]);
    assert_int_equal(n, i);
    assert_int_equal(l.n, i);
    char *after = export_all(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* A document that shortens demarche_sva's «silence vaut accord» moves the jump of a request
 * waiting under it, as the editor's save does. */
static void test_import_reschedules_a_changed_delay(void **state)
{
    fixture *f = *state;
    error err;
    store_procedure p = {.tenant_id = f->tenant,
                         .code = "permis",
                         .name = "Permis",
                         .kind = PROCEDURE_DEMARCHE,
                         .workflow_id = test_db_workflow_id(f->db.core, f->tenant, "demarche_sva"),
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant);
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, "permis"),
                        .ch = CHANNEL_WEB,
                        .description = "Extension"};
    request_created c = test_req_create(f->db.core, &in);
    test_req_set_status(f->db.core, t, c.reference, "under_review", NULL);
    int64_t id = test_req_get(f->db.core, t, c.reference, &a).id;
    catalogue_release(f->db.core, cat);
    store_job_row *jobs = NULL;
    assert_int_equal(test_req_jobs_of(f->db.core, f->tenant, id, "workflow_timeout", &a, &jobs), 1);
    int64_t old_due = jobs[0].due_at;

    char *text = NULL;
    assert_int_equal(procdef_export(f->db.core, f->tenant, "permis", &text, &err), 0);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    json_t *wf, *st, *to;
    size_t i, j, k;
    int changed = 0;
    json_array_foreach(json_object_get(doc, "workflows"), i, wf)
        json_array_foreach(json_object_get(wf, "statuses"), j, st) json_array_foreach(
            json_object_get(st, "timeouts"), k,
            to) if (strcmp(json_string_value(json_object_get(to, "kind")), "jump") == 0)
    {
        json_object_set_new(to, "delay", json_integer(1));
        changed++;
    }
    assert_int_equal(changed, 1);
    lines l;
    procdef_result r;
    assert_int_equal(import(f, doc, &l, &r), 0);
    assert_int_equal(test_req_jobs_of(f->db.core, f->tenant, id, "workflow_timeout", &a, &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");
    assert_true(jobs[0].due_at < old_due);
    arena_free(&a);
}

/* ---- cases ---- */

static void test_valid_document(void **state)
{
    fixture *f = *state;
    lines l;
    procdef_result r;
    assert_int_equal(import(f, base(), &l, &r), 0);
    assert_int_equal(r.departments_created, 1);
    assert_int_equal(r.areas_created, 1);
    assert_int_equal(r.workflows_created, 1);
    assert_int_equal(r.procedures_created, 1);
    assert_int_equal(r.routing, 1);
    assert_int_equal(r.rules, 2);
    char *first = export_all(f);
    /* The department the database had and the four shipped workflows come along; the area the
     * rule names too. */
    json_t *doc = json_loads(first, 0, NULL);
    assert_int_equal(json_array_size(get(doc, "departments")), 2);
    assert_string_equal(json_string_value(get(doc, "areas/0/code")), "parc");
    assert_string_equal(json_string_value(get(doc, "workflows/4/code")), "suivi");
    assert_string_equal(json_string_value(get(doc, "routing/rules/1/value")), "platane");
    json_decref(doc);

    /* Again: nothing to create, the workflow already as it is, the form unchanged. */
    assert_int_equal(import(f, base(), &l, &r), 0);
    assert_int_equal(r.departments_created + r.areas_created + r.workflows_created, 0);
    assert_int_equal(r.workflows_updated, 0);
    assert_int_equal(r.procedures_updated, 1);
    assert_int_equal(r.forms_changed, 0);
    char *second = export_all(f);
    assert_string_equal(first, second);
    free(first);
    free(second);

    /* A label changed: the workflow is rewritten, the rest left as it is. */
    doc = base();
    set(doc, "workflows/0/statuses/1/citizen_label", json_string("réglée"));
    assert_int_equal(import(f, doc, &l, &r), 0);
    assert_int_equal(r.workflows_updated, 1);
    assert_int_equal(r.workflows_created, 0);
    char *third = export_all(f);
    doc = json_loads(third, 0, NULL);
    assert_string_equal(json_string_value(get(doc, "workflows/4/statuses/1/citizen_label")),
                        "réglée");
    json_decref(doc);
    free(third);

    /* --code: the procedure, its department and workflow, no routing. */
    char *one = NULL;
    error err;
    error_clear(&err);
    assert_int_equal(procdef_export(f->db.core, f->tenant, "arbre", &one, &err), 0);
    doc = json_loads(one, 0, NULL);
    assert_int_equal(json_array_size(get(doc, "departments")), 1);
    assert_int_equal(json_array_size(get(doc, "workflows")), 1);
    assert_null(json_object_get(doc, "routing"));
    json_decref(doc);
    free(one);
    assert_int_equal(procdef_export(f->db.core, f->tenant, "piscine", &one, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_null(one);
}

static void test_workflow_rules(void **state)
{
    fixture *f = *state;
    json_t *doc = base();
    set(doc, "workflows/0/transitions/0/to", json_string("fermee"));
    refused(f, doc,
            "workflows[0] (suivi): transition ouverte → fermee goes to unknown status \"fermee\"",
            NULL);

    /* Actions and timeouts, each checked by the rules the catalogue loads them under, named by
     * their place. */
    doc = base();
    set(doc, "workflows/0/statuses/0/actions",
        json_pack("[{s:s, s:{s:s}}, {s:s, s:{s:i}}]", "kind", "notify_citizen", "params", "text",
                  "Votre demande {numero} avance.", "kind", "set_due_date", "params", "days", 0));
    set(doc, "workflows/0/statuses/0/timeouts",
        json_pack("[{s:i, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s}]", "delay", 2, "unit", "months",
                  "kind", "jump", "target", "ouverte", "meaning", "accord", "delay", 3, "unit",
                  "weeks", "kind", "remind"));
    refused(f, doc,
            "workflows[0] (suivi).statuses[0] (ouverte).timeouts[0]: target: no transition from "
            "ouverte to ouverte: the jump is one",
            "workflows[0] (suivi).statuses[0] (ouverte).timeouts[1]: unit: unknown unit (days, "
            "working_days or months)",
            "workflows[0] (suivi).statuses[0] (ouverte).actions[0]: text: has an unknown "
            "placeholder {numero} (known: {reference}, {statut}, {procedure}, {lien})",
            "workflows[0] (suivi).statuses[0] (ouverte).actions[1]: days: must be a whole number "
            "from 1 to 3650",
            NULL);

    /* Once the rest holds, every status must be reachable: a document is a whole workflow. */
    doc = base();
    set(doc, "workflows/0/statuses/-", json_deep_copy(get(doc, "workflows/0/statuses/1")));
    set(doc, "workflows/0/statuses/2/code", json_string("orpheline"));
    refused(f, doc,
            "workflows[0] (suivi): status \"orpheline\" is not reachable from the initial status "
            "\"ouverte\"",
            NULL);

    doc = base();
    set(doc, "workflows/0/transitions/-",
        json_pack("{s:s, s:s, s:s, s:[s]}", "from", "traitee", "to", "ouverte", "label", "Rouvrir",
                  "roles", "agent"));
    set(doc, "workflows/0/statuses/1/open311", json_string("open"));
    refused(
        f, doc, "workflows[0] (suivi): final status \"traitee\" is not closed (open311 \"closed\")",
        "workflows[0] (suivi): transition traitee → ouverte leaves final status \"traitee\"", NULL);

    doc = base();
    set(doc, "workflows/0/statuses/1/initial", json_true());
    set(doc, "workflows/0/statuses/-", json_deep_copy(get(doc, "workflows/0/statuses/0")));
    refused(f, doc, "workflows[0] (suivi): two statuses have the code \"ouverte\"",
            "workflows[0] (suivi): it has several initial statuses (it needs exactly one)", NULL);

    doc = base();
    set(doc, "workflows/0/statuses/0/initial", json_false());
    set(doc, "workflows/0/statuses/1/colour", json_string("pink"));
    set(doc, "workflows/0/statuses/1/code", json_string("Traitée"));
    refused(f, doc,
            "workflows[0] (suivi): the status code \"Traitée\" is not lowercase letters, digits "
            "and '_', starting with a letter (at most 40)",
            "workflows[0] (suivi): status \"Traitée\" has a colour off the palette",
            "workflows[0] (suivi): it has no initial status (it needs exactly one)",
            "workflows[0] (suivi): transition ouverte → traitee goes to unknown status "
            "\"traitee\"",
            NULL);

    /* The editor's bounds: an imported workflow stays editable in the back office. */
    doc = base();
    json_t *sts = get(doc, "workflows/0/statuses");
    for (int i = 0; i < 20; i++) {
        char code[24];
        snprintf(code, sizeof code, "etape_%d", i);
        json_t *st = json_deep_copy(json_array_get(sts, 0));
        json_object_set_new(st, "code", json_string(code));
        json_object_set_new(st, "initial", json_false());
        json_array_append_new(sts, st);
        set(doc, "workflows/0/transitions/-",
            json_pack("{s:s, s:s, s:s, s:[s]}", "from", "ouverte", "to", code, "label", "Vers",
                      "roles", "agent"));
    }
    refused(f, doc, "workflows[0] (suivi): it has more than 20 statuses (the editor's bound)",
            NULL);
}

/* generate_document on (traitee) with these templates' names. */
static json_t *with_documents(const char *first, const char *second)
{
    json_t *doc = base();
    json_t *acts = json_array();
    const char *names[] = {first, second};
    for (size_t i = 0; i < 2; i++)
        if (names[i])
            json_array_append_new(acts, json_pack("{s:s, s:{s:s}}", "kind", "generate_document",
                                                  "params", "template", names[i]));
    set(doc, "workflows/0/statuses/1/actions", acts);
    return doc;
}

/* A document action names a letter template of the collectivité: an unknown one is refused
 * with the action's place, as the editor's save refuses it; the shipped attestation is there. */
static void test_document_templates(void **state)
{
    fixture *f = *state;
    static const char shipped[] = "Attestation de décision implicite d'acceptation";
    refused(f, with_documents("Arrêté inconnu", shipped),
            "workflows[0] (suivi).statuses[1] (traitee).actions[0]: generate_document: the letter "
            "template \"Arrêté inconnu\" does not exist in this collectivité (Administration › "
            "Modèles de courriers)",
            NULL);
    lines l;
    procdef_result r;
    assert_int_equal(import(f, with_documents(shipped, NULL), &l, &r), 0);
    assert_int_equal(r.workflows_created, 1);
}

static void test_shape_and_bounds(void **state)
{
    fixture *f = *state;
    json_t *doc = base();
    set(doc, "extra", json_true());
    set(doc, "workflows/0/statuses/0/couleur", json_string("bleu"));
    set(doc, "workflows/0/transitions/0/roles/-", json_string("maire"));
    set(doc, "procedures/0/delay_days", json_integer(10000));
    char *long_name = malloc(PROCDEF_TEXT_MAX + 2);
    memset(long_name, 'a', PROCDEF_TEXT_MAX + 1);
    long_name[PROCDEF_TEXT_MAX + 1] = '\0';
    set(doc, "departments/0/name", json_string(long_name));
    free(long_name);
    refused(f, doc, "document: unknown member \"extra\"",
            "departments[0] (espaces-verts): \"name\" is over 2000 characters",
            "workflows[0] (suivi).statuses[0] (ouverte): unknown member \"couleur\"",
            "workflows[0] (suivi).transitions[0]: \"roles\"[2] is not a role (agent, manager, "
            "elected or admin)",
            "procedures[0] (arbre): \"delay_days\" is not an integer from 0 to 3660", NULL);

    doc = base();
    json_t *sts = get(doc, "workflows/0/statuses");
    for (int i = 0; i < PROCDEF_STATUSES_MAX; i++)
        json_array_append(sts, json_array_get(sts, 1));
    refused(f, doc, "workflows[0] (suivi): \"statuses\" has more than 64 items", NULL);

    /* Too large, or too many values to parse: refused before parsing. */
    lines l;
    procdef_result r;
    char *big = malloc(PROCDEF_FILE_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', PROCDEF_FILE_MAX + 1);
    assert_int_equal(import_text(f, big, PROCDEF_FILE_MAX + 1, &l, &r), 1);
    assert_string_equal(l.line[0], "the file is over 67108864 bytes");
    memset(big, '[', PROCDEF_JSON_VALUES_MAX);
    assert_int_equal(import_text(f, big, PROCDEF_JSON_VALUES_MAX, &l, &r), 1);
    assert_string_equal(l.line[0], "the file holds over 6600000 JSON values");
    free(big);

    doc = json_pack("{s:s, s:i}", "format", "guichet-procedures", "version", 2);
    refused(f, doc, "document: \"version\" is not 1 (the only version this guichet reads)", NULL);
}

static void test_forms_and_references(void **state)
{
    fixture *f = *state;
    json_t *doc = base();
    set(doc, "procedures/0/form/1/show_if/field", json_string("hauteur"));
    set(doc, "procedures/0/workflow", json_string("inconnu"));
    set(doc, "procedures/0/department", json_string("piscine"));
    set(doc, "procedures/-", json_deep_copy(get(doc, "procedures/0")));
    refused(
        f, doc,
        "procedures[0] (arbre): form[1] (detail) has a condition on an unknown field: "
        "\"hauteur\"",
        "procedures[0] (arbre): department \"piscine\" is neither in the file nor in the "
        "database",
        "procedures[0] (arbre): workflow \"inconnu\" is neither in the file nor in the database",
        "procedures[1] (arbre): the code \"arbre\" is an earlier procedure's",
        "procedures[1] (arbre): form[1] (detail) has a condition on an unknown field: "
        "\"hauteur\"",
        "procedures[1] (arbre): department \"piscine\" is neither in the file nor in the "
        "database",
        "procedures[1] (arbre): workflow \"inconnu\" is neither in the file nor in the database",
        NULL);

    doc = base();
    set(doc, "procedures/0/form/1/code", json_string("essence"));
    set(doc, "procedures/0/form/1/show_if", json_null());
    json_object_del(get(doc, "procedures/0/form/1"), "show_if");
    refused(f, doc,
            /* The rule naming one of its fields is not checked against a form that does not
             * read. */
            "procedures[0] (arbre): form[1] (essence) repeats the code of an earlier field", NULL);
}

static void test_areas_and_routing(void **state)
{
    fixture *f = *state;
    json_t *doc = base();
    /* A bow tie: its ring crosses itself. */
    set(doc, "areas/0/geometry/coordinates/0",
        json_pack("[[f,f],[f,f],[f,f],[f,f],[f,f]]", 4.0, 45.0, 4.1, 45.1, 4.1, 45.0, 4.0, 45.1,
                  4.0, 45.0));
    set(doc, "areas/0/department", json_string("piscine"));
    set(doc, "routing/rules/0/area_code", json_string("bois"));
    set(doc, "routing/rules/1/value", json_string("bouleau"));
    set(doc, "routing/rules/-",
        json_pack("{s:s, s:s, s:s, s:s}", "name", "Parc", "procedure", "fontaine", "field",
                  "hauteur", "department", "voirie"));
    set(doc, "routing/rules/-", json_pack("{s:s, s:s}", "name", "Secteurs", "area", "own"));
    set(doc, "routing/default_department", json_string("accueil"));
    refused(f, doc,
            "areas[0] (parc): department \"piscine\" is neither in the file nor in the database",
            "areas[0] (parc): geometry: ring 1 crosses or touches itself near [4.1, 45]",
            "routing: default department \"accueil\" is neither in the file nor in the database",
            "routing.rules[0] (Parc): department area \"bois\" is neither in the file nor in the "
            "database",
            "routing.rules[1] (Platanes): field \"essence\" offers no value \"bouleau\"",
            "routing.rules[2] (Parc): procedure \"fontaine\" is neither in the file nor in the "
            "database",
            "routing.rules[2] (Parc): the name \"Parc\" is an earlier rule's", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_reschedules_a_changed_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workflow_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forms_and_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_areas_and_routing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

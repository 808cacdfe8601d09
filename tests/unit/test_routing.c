/*
 * test_routing — the routing rules (src/core/routing.c, request_route.c): the first matching
 * rule wins, field conditions (a choice, a multiple choice), area conditions (the area's own
 * department, a named area; a point in a polygon's hole is outside it), the procedure's then
 * the collectivité's default department, inactive rules skipped, the checks of a rule with
 * their precise problems, moving rules, a request filed and routed with the event naming
 * the rule, an explicit department left alone, and «Re-router» (moves and logs, says when
 * nothing changes, refused to an agent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/area.h"
#include "core/catalogue.h"
#include "core/request.h"
#include "core/routing.h"
#include "test_db.h"

#define SQUARE(x0, y0, x1, y1)                                                                     \
    "[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]"
#define FEAT(code, geometry)                                                                       \
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"" code "\",\"nom\":\"" code                  \
    "\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" geometry "]}}"
#define FC(features) "{\"type\":\"FeatureCollection\",\"features\":[" features "]}"

/* Voirie's territory has a hole (a park, 4.4-4.6 × 45.4-45.6); propreté's lies south. */
static const char departments_geojson[] =
    FC(FEAT("voirie", SQUARE(4, 45, 5, 46) "," SQUARE(4.4, 45.4, 4.6, 45.6)) "," FEAT(
        "proprete", SQUARE(4, 44, 5, 45)));
static const char quartiers_geojson[] = FC(FEAT("centre", SQUARE(4, 45, 5, 46)));

static const char attributes[] =
    "[{\"code\":\"type\",\"datatype\":\"singlevaluelist\",\"required\":false,\"variable\":true,"
    "\"description\":\"Type\",\"order\":1,\"values\":[{\"key\":\"trou\",\"name\":\"Trou\"},"
    "{\"key\":\"fissure\",\"name\":\"Fissure\"}]},"
    "{\"code\":\"lieux\",\"datatype\":\"multivaluelist\",\"required\":false,\"variable\":true,"
    "\"description\":\"Lieux\",\"order\":2,\"values\":[{\"key\":\"route\",\"name\":\"Route\"},"
    "{\"key\":\"trottoir\",\"name\":\"Trottoir\"}]},"
    "{\"code\":\"note\",\"datatype\":\"string\",\"required\":false,\"variable\":true,"
    "\"description\":\"Note\",\"order\":3}]";

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    int64_t voirie, proprete, espaces, accueil;
    store_agent agent, manager;
    core_actor who_agent, who_manager;
    const catalogue *cat;
    const cat_tenant *t;
    arena a;
} fixture;

/* The tenant as the current snapshot has it (after a change reloaded it). */
static const cat_tenant *tenant(fixture *f)
{
    catalogue_release(f->db.core, f->cat);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_id(f->cat, f->tenant_id);
    assert_non_null(f->t);
    return f->t;
}

static int64_t department(fixture *f, const char *code)
{
    error err;
    int64_t id = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = code, .name = code};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &id, &err), 0);
    return id;
}

static void add_agent(fixture *f, const char *email, agent_role role, store_agent *out)
{
    const char *deps[] = {"voirie", "proprete", "espaces"};
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, email, role, deps, 3, &f->a, out), 0);
}

static void import(fixture *f, area_kind kind, const char *text)
{
    area_import_result r;
    long problems = -1;
    error err;
    assert_int_equal(area_import(f->db.core, f->tenant_id, kind, text, strlen(text), NULL, NULL, &r,
                                 &problems, &err),
                     0);
    assert_int_equal(problems, 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "routing", NULL), 0);
    arena_init(&f->a, 0);
    error err;
    store_tenant t = {.slug = "bourg", .name = "Bourg", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant_id, &err), 0);
    f->voirie = department(f, "voirie");
    f->proprete = department(f, "proprete");
    f->espaces = department(f, "espaces");
    f->accueil = department(f, "accueil");
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid",
                         .name = "Nid de poule",
                         .attributes = attributes,
                         .department_id = f->voirie,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "lampe",
                         .name = "Lampadaire",
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    import(f, AREA_DEPARTMENT, departments_geojson);
    import(f, AREA_QUARTIER, quartiers_geojson);
    add_agent(f, "agent@bourg.fr", AGENT_ROLE_AGENT, &f->agent);
    add_agent(f, "chef@bourg.fr", AGENT_ROLE_MANAGER, &f->manager);
    f->who_agent = actor_of_agent(&f->agent, "web 192.0.2.1");
    f->who_manager = actor_of_agent(&f->manager, "web 192.0.2.2");
    f->cat = catalogue_acquire(f->db.core);
    tenant(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    catalogue_release(f->db.core, f->cat);
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

/* Saves a rule (as the command line), then reloads the tenant. */
static int64_t save(fixture *f, routing_rule_input in)
{
    int64_t id = 0;
    error err;
    error_clear(&err);
    int rc = routing_rule_save(f->db.core, &actor_cli, tenant(f), &in, &id, NULL, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "save: %s %s\n", err.arg, err.detail);
    assert_int_equal(rc, 0);
    tenant(f);
    return id;
}

/* The check's verdict on in: "" when valid, else "arg/detail". */
static const char *refused(fixture *f, routing_rule_input in)
{
    static char out[sizeof(((error *)0)->arg) + sizeof(((error *)0)->detail) + 2];
    store_routing_rule r;
    error err;
    error_clear(&err);
    if (routing_rule_check(f->db.core, tenant(f), &in, &r, &err) == 0)
        return "";
    snprintf(out, sizeof out, "%s/%s", err.arg, err.detail);
    return out;
}

static routing_result route(fixture *f, const char *procedure, const char *attrs, int located,
                            double lat, double lon)
{
    routing_facts facts = {.procedure = catalogue_procedure(f->t, procedure),
                           .attributes = attrs,
                           .has_location = located,
                           .lat = lat,
                           .lon = lon};
    assert_non_null(facts.procedure);
    routing_result res;
    error err;
    assert_int_equal(routing_evaluate(f->db.core, f->t, &facts, &res, &err), 0);
    return res;
}

static void test_order_fields_default(void **state)
{
    fixture *f = *state;
    /* Without rules: the procedure's department, then none (no default yet), then the
     * default once set. */
    routing_result r = route(f, "nid", NULL, 0, 0, 0);
    assert_int_equal(r.source, ROUTING_PROCEDURE);
    assert_int_equal(r.department_id, f->voirie);
    r = route(f, "lampe", NULL, 0, 0, 0);
    assert_int_equal(r.source, ROUTING_NONE);
    assert_int_equal(r.department_id, 0);
    error err;
    assert_int_equal(
        routing_set_default(f->db.core, &actor_cli, tenant(f), "accueil", NULL, NULL, &err), 0);
    tenant(f);
    r = route(f, "lampe", NULL, 0, 0, 0);
    assert_int_equal(r.source, ROUTING_DEFAULT);
    assert_int_equal(r.department_id, f->accueil);

    /* Two rules match a crack: the first one wins. */
    save(f, (routing_rule_input){.name = "Fissures",
                                 .active = 1,
                                 .procedure = "nid",
                                 .field = "type",
                                 .value = "fissure",
                                 .department = "espaces"});
    save(f,
         (routing_rule_input){
             .name = "Tous les nids", .active = 1, .procedure = "nid", .department = "proprete"});
    r = route(f, "nid", "{\"type\":\"fissure\"}", 0, 0, 0);
    assert_int_equal(r.source, ROUTING_RULE);
    assert_string_equal(r.rule->name, "Fissures");
    assert_int_equal(r.department_id, f->espaces);
    /* Another value: the field rule is passed over, the second one takes it. */
    r = route(f, "nid", "{\"type\":\"trou\"}", 0, 0, 0);
    assert_string_equal(r.rule->name, "Tous les nids");
    r = route(f, "nid", NULL, 0, 0, 0);
    assert_string_equal(r.rule->name, "Tous les nids");
    /* Another procedure: no rule; no procedure department either: the default. */
    r = route(f, "lampe", "{\"type\":\"fissure\"}", 0, 0, 0);
    assert_int_equal(r.source, ROUTING_DEFAULT);

    /* A multiple choice matches when one of its values is the rule's. */
    int64_t trottoir = save(f, (routing_rule_input){.name = "Trottoirs",
                                                    .active = 1,
                                                    .procedure = "nid",
                                                    .field = "lieux",
                                                    .value = "trottoir",
                                                    .department = "accueil"});
    /* Added last: moved first, it wins over both. */
    assert_int_equal(
        routing_rule_move(f->db.core, &actor_cli, tenant(f), trottoir, 1, NULL, NULL, &err), 0);
    assert_int_equal(
        routing_rule_move(f->db.core, &actor_cli, tenant(f), trottoir, 1, NULL, NULL, &err), 0);
    tenant(f);
    assert_string_equal(f->t->routing_rules[0].name, "Trottoirs");
    assert_string_equal(f->t->routing_rules[1].name, "Fissures");
    r = route(f, "nid", "{\"type\":\"fissure\",\"lieux\":[\"route\",\"trottoir\"]}", 0, 0, 0);
    assert_string_equal(r.rule->name, "Trottoirs");
    r = route(f, "nid", "{\"type\":\"fissure\",\"lieux\":[\"route\"]}", 0, 0, 0);
    assert_string_equal(r.rule->name, "Fissures");
    /* At the top already: moving up again changes nothing. */
    assert_int_equal(
        routing_rule_move(f->db.core, &actor_cli, tenant(f), trottoir, 1, NULL, NULL, &err), 0);
    assert_string_equal(tenant(f)->routing_rules[0].name, "Trottoirs");

    /* An inactive rule is skipped. */
    save(f, (routing_rule_input){.id = trottoir,
                                 .name = "Trottoirs",
                                 .active = 0,
                                 .procedure = "nid",
                                 .field = "lieux",
                                 .value = "trottoir",
                                 .department = "accueil"});
    r = route(f, "nid", "{\"type\":\"fissure\",\"lieux\":[\"trottoir\"]}", 0, 0, 0);
    assert_string_equal(r.rule->name, "Fissures");
    /* Deleted, it is gone. */
    assert_int_equal(
        routing_rule_delete(f->db.core, &actor_cli, tenant(f), trottoir, NULL, NULL, &err), 0);
    assert_int_equal(tenant(f)->n_routing_rules, 2);
    assert_int_equal(
        routing_rule_delete(f->db.core, &actor_cli, tenant(f), trottoir, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

static void test_areas(void **state)
{
    fixture *f = *state;
    save(f, (routing_rule_input){.name = "Territoires", .active = 1, .area = "own"});
    /* In voirie's territory, in propreté's, in the hole of voirie's, outside both. */
    routing_result r = route(f, "lampe", NULL, 1, 45.2, 4.2);
    assert_int_equal(r.source, ROUTING_RULE);
    assert_int_equal(r.department_id, f->voirie);
    r = route(f, "lampe", NULL, 1, 44.5, 4.5);
    assert_int_equal(r.department_id, f->proprete);
    r = route(f, "lampe", NULL, 1, 45.5, 4.5);
    assert_int_equal(r.source, ROUTING_NONE);
    r = route(f, "nid", NULL, 1, 47, 4.5);
    assert_int_equal(r.source, ROUTING_PROCEDURE);
    /* No location: an area rule does not match. */
    r = route(f, "nid", NULL, 0, 0, 0);
    assert_int_equal(r.source, ROUTING_PROCEDURE);

    /* A named area, first: within it (not in its hole), the rule's department. */
    int64_t named = save(f, (routing_rule_input){.name = "Nord",
                                                 .active = 1,
                                                 .area = "named",
                                                 .area_code = "voirie",
                                                 .department = "espaces"});
    error err;
    assert_int_equal(
        routing_rule_move(f->db.core, &actor_cli, tenant(f), named, 1, NULL, NULL, &err), 0);
    tenant(f);
    r = route(f, "lampe", NULL, 1, 45.9, 4.9);
    assert_string_equal(r.rule->name, "Nord");
    assert_int_equal(r.department_id, f->espaces);
    r = route(f, "lampe", NULL, 1, 44.5, 4.5);
    assert_string_equal(r.rule->name, "Territoires");
    r = route(f, "lampe", NULL, 1, 45.5, 4.5);
    assert_int_equal(r.source, ROUTING_NONE);
}

static void test_checks(void **state)
{
    fixture *f = *state;
    save(f, (routing_rule_input){.name = "Existante", .active = 1, .department = "voirie"});
    assert_string_equal(refused(f, (routing_rule_input){.name = "", .department = "voirie"}),
                        "name/missing");
    assert_string_equal(refused(f, (routing_rule_input){.name = "a\nb", .department = "voirie"}),
                        "name/characters");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "Existante", .department = "voirie"}),
        "name/taken");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "R", .procedure = "x", .department = "voirie"}),
        "procedure/unknown");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .field = "type",
                                                        .value = "trou",
                                                        .department = "voirie"}),
                        "field/needs_procedure");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .procedure = "nid",
                                                        .field = "couleur",
                                                        .value = "rouge",
                                                        .department = "voirie"}),
                        "field/unknown");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .procedure = "nid",
                                                        .field = "type",
                                                        .value = "bosse",
                                                        .department = "voirie"}),
                        "value/not_option");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .procedure = "nid",
                                                        .field = "type",
                                                        .department = "voirie"}),
                        "value/missing");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "R", .value = "trou", .department = "voirie"}),
        "field/missing");
    /* A free text field takes any value. */
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .procedure = "nid",
                                                        .field = "note",
                                                        .value = "urgent",
                                                        .department = "voirie"}),
                        "");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "R", .area = "partout", .department = "voirie"}),
        "area/unknown");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .area = "named",
                                                        .area_code = "centre",
                                                        .department = "voirie"}),
                        "area_code/wrong_kind");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R",
                                                        .area = "named",
                                                        .area_code = "ouest",
                                                        .department = "voirie"}),
                        "area_code/unknown");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "R", .area = "named", .department = "voirie"}),
        "area_code/missing");
    assert_string_equal(
        refused(f, (routing_rule_input){.name = "R", .area = "own", .department = "voirie"}),
        "department/with_own");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R"}), "department/missing");
    assert_string_equal(refused(f, (routing_rule_input){.name = "R", .department = "police"}),
                        "department/unknown");
    error err;
    store_routing_rule r;
    routing_rule_input ghost = {.id = 9999, .name = "R", .department = "voirie"};
    assert_int_equal(routing_rule_check(f->db.core, tenant(f), &ghost, &r, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* Only an admin changes the rules. */
    routing_rule_input ok = {.name = "Par un agent", .active = 1, .department = "voirie"};
    assert_int_equal(
        routing_rule_save(f->db.core, &f->who_manager, tenant(f), &ok, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
}

/* The events of request `reference`, kinds joined by spaces, bodies of routed_rule after ':'. */
static const char *kinds(fixture *f, const char *reference)
{
    static char out[256];
    store_request r;
    error err;
    assert_int_equal(request_get(f->db.core, f->t, reference, &f->a, &r, &err), 0);
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(request_timeline(f->db.core, f->t, r.id, 0, &f->a, &ev, &n, &err), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%s%s%s%s", i ? " " : "", ev[i].kind,
                 strcmp(ev[i].kind, ROUTING_EVENT_RULE) == 0 ? ":" : "",
                 strcmp(ev[i].kind, ROUTING_EVENT_RULE) == 0 ? ev[i].body : "");
        if (strcmp(ev[i].kind, ROUTING_EVENT_RULE) == 0)
            assert_int_equal(ev[i].is_public, 0);
    }
    return out;
}

static int64_t department_of(fixture *f, const char *reference)
{
    store_request r;
    error err;
    assert_int_equal(request_get(f->db.core, f->t, reference, &f->a, &r, &err), 0);
    return r.department_id;
}

static void test_intake_and_reroute(void **state)
{
    fixture *f = *state;
    save(f, (routing_rule_input){.name = "Voirie nord",
                                 .active = 1,
                                 .procedure = "nid",
                                 .area = "named",
                                 .area_code = "voirie",
                                 .department = "espaces"});
    attr_input type = {"type", "trou"};
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "nid"),
                        .ch = CHANNEL_WEB,
                        .description = "Un trou",
                        .has_location = 1,
                        .lat = 45.2,
                        .lon = 4.2,
                        .attrs = &type,
                        .n_attrs = 1};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    char routed[24];
    snprintf(routed, sizeof routed, "%s", out.reference);
    assert_int_equal(department_of(f, routed), f->espaces);
    assert_string_equal(kinds(f, routed), "created routed_rule:Voirie nord");

    /* An agent's intake choosing a department: the rules are not asked. */
    in.department_id = f->proprete;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    char chosen[24];
    snprintf(chosen, sizeof chosen, "%s", out.reference);
    assert_int_equal(department_of(f, chosen), f->proprete);
    assert_string_equal(kinds(f, chosen), "created");

    /* An agent may not re-route; a manager moves it, with the events and the audit entry. */
    request_reroute_result rr;
    assert_int_equal(
        request_reroute(f->db.core, f->t, chosen, &f->who_agent, &rr, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(department_of(f, chosen), f->proprete);
    assert_int_equal(
        request_reroute(f->db.core, f->t, chosen, &f->who_manager, &rr, NULL, NULL, &err), 0);
    assert_int_equal(rr.unchanged, 0);
    assert_int_equal(rr.source, ROUTING_RULE);
    assert_string_equal(rr.rule, "Voirie nord");
    assert_int_equal(department_of(f, chosen), f->espaces);
    assert_string_equal(kinds(f, chosen), "created department routed_rule:Voirie nord");
    store_request cr;
    assert_int_equal(request_get(f->db.core, f->t, chosen, &f->a, &cr, &err), 0);
    store_audit_filter af = {.tenant_id = f->tenant_id, .request_id = cr.id, .limit = 10};
    store_audit *entries = NULL;
    size_t n = 0;
    assert_int_equal(admin_audit_search(f->db.core, &af, &f->a, &entries, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(entries[0].action, "change");
    /* Again: the rules give the department it has now; nothing is written. */
    assert_int_equal(
        request_reroute(f->db.core, f->t, chosen, &f->who_manager, &rr, NULL, NULL, &err), 0);
    assert_int_equal(rr.unchanged, 1);
    assert_string_equal(kinds(f, chosen), "created department routed_rule:Voirie nord");
    assert_int_equal(admin_audit_search(f->db.core, &af, &f->a, &entries, &n, &err), 0);
    assert_int_equal(n, 1);

    /* A selection in one job: the one the rules move moves, the others are left alone (one
     * already where they send it, an unknown reference). */
    in.department_id = f->voirie;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    char other[24];
    snprintf(other, sizeof other, "%s", out.reference);
    const char *refs[] = {chosen, other, "2099-999999"};
    size_t moved = 9;
    assert_int_equal(
        request_reroute_many(f->db.core, f->t, &f->who_agent, refs, 3, &moved, NULL, NULL, &err),
        0);
    assert_int_equal(moved, 0); /* an agent routes nothing */
    assert_int_equal(department_of(f, other), f->voirie);
    assert_int_equal(
        request_reroute_many(f->db.core, f->t, &f->who_manager, refs, 3, &moved, NULL, NULL, &err),
        0);
    assert_int_equal(moved, 1);
    assert_int_equal(department_of(f, other), f->espaces);
    assert_string_equal(kinds(f, other), "created department routed_rule:Voirie nord");
    assert_string_equal(kinds(f, chosen), "created department routed_rule:Voirie nord");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_fields_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_areas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intake_and_reroute, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

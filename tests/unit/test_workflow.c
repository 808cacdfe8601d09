/*
 * test_workflow — the workflow engine (core/workflow): the shipped incident workflow allows
 * exactly what the fixed statuses allowed before it; transitions and the roles that may take
 * them, comments required, initial and final statuses, a status hidden from citizens, the
 * rules a workflow must keep to be loaded; and through core, a change checked against the
 * acting agent's role with closed_at following the final statuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/catalogue.h"
#include "core/request.h"
#include "core/workflow.h"
#include "test_db.h"

#define PASSWORD "correct horse battery staple"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "workflow", NULL), 0);
    arena_init(&f->a, 0);
    error err;
    store_tenant t = {.slug = "ville-flux", .name = "Ville Flux", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant_id, &err), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "trou",
                         .name = "Trou",
                         .department_id = dep,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "permis",
                         .name = "Permis",
                         .department_id = dep,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    store_procedure r = {.tenant_id = f->tenant_id,
                         .code = "question",
                         .name = "Question",
                         .department_id = dep,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1,
                         .workflow_id = test_db_workflow_id(f->db.core, f->tenant_id, "question")};
    assert_int_equal(admin_procedure_upsert(f->db.core, &r, NULL, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

static const char *const legacy_codes[] = {"new",      "acknowledged", "in_progress",
                                           "resolved", "rejected",     "duplicate"};

/* What core/status.c allowed, word for word: not to itself, never back to new; from a closed
 * status only to in_progress, acknowledged or another closed one. */
static int legacy_allowed(int from, int to)
{
    if (from == to || to == 0)
        return 0;
    if (from >= 3)
        return to == 2 || to == 1 || to >= 3;
    return 1;
}

static void test_shipped_incident_is_the_legacy_lifecycle(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    const cat_procedure *p = catalogue_procedure(t, "trou");
    assert_non_null(p);
    const cat_workflow *wf = p->workflow;
    assert_string_equal(wf->rec.code, "incident");
    assert_int_equal(wf->n_statuses, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(wf->statuses[i].code, legacy_codes[i]);
        assert_int_equal(workflow_is_closed(wf, legacy_codes[i]), i >= 3);
        assert_string_equal(workflow_open311(wf, legacy_codes[i]), i >= 3 ? "closed" : "open");
        for (int j = 0; j < 6; j++)
            for (int role = WORKFLOW_ANY_ROLE; role < AGENT_ROLE_COUNT; role++) {
                int expect = legacy_allowed(i, j) && role != AGENT_ROLE_ELECTED;
                assert_int_equal(
                    workflow_transition_allowed(wf, legacy_codes[i], legacy_codes[j], role, NULL),
                    expect);
            }
    }
    assert_int_equal(wf->n_transitions, 25);
    assert_string_equal(wf->initial->code, "new");
    assert_string_equal(workflow_agent_label(wf, "acknowledged", LANG_FR), "prise en compte");
    assert_string_equal(workflow_agent_label(wf, "in_progress", LANG_EN), "in progress");
    assert_string_equal(workflow_agent_label(wf, "en_attente", LANG_FR), "en_attente");
    assert_string_equal(workflow_agent_label(wf, NULL, LANG_FR), "");
    assert_string_equal(workflow_extended_status(wf, "resolved"), "FIXED");
    assert_string_equal(workflow_extended_status(wf, "rejected"), "NO_FURTHER_ACTION");
    assert_null(workflow_extended_status(wf, "new"));
    assert_string_equal(workflow_reopen_target(wf, "resolved"), "in_progress");
    assert_null(workflow_reopen_target(wf, "rejected"));
    assert_string_equal(workflow_duplicate_status(wf)->code, "duplicate");
    assert_string_equal(workflow_fixed_status(wf)->code, "resolved");
    assert_string_equal(workflow_colour(wf, "rejected"), "red");
    assert_string_equal(workflow_colour(wf, "inconnu"), "grey");
    catalogue_release(f->db.core, cat);
}

static void test_shipped_demarche_and_question(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(t->n_workflows, 4); /* with «demarche_sva» (core/workflow_timeout.h) */
    const cat_workflow *d = catalogue_procedure(t, "permis")->workflow;
    assert_string_equal(d->rec.code, "demarche");
    assert_string_equal(d->initial->code, "submitted");
    int comment = -1;
    assert_true(
        workflow_transition_allowed(d, "submitted", "under_review", AGENT_ROLE_AGENT, &comment));
    assert_int_equal(comment, 0);
    assert_false(workflow_transition_allowed(d, "submitted", "accepted", WORKFLOW_ANY_ROLE, NULL));
    assert_true(
        workflow_transition_allowed(d, "under_review", "refused", AGENT_ROLE_MANAGER, &comment));
    assert_int_equal(comment, 1);
    assert_true(workflow_transition_allowed(d, "under_review", "correction_requested",
                                            AGENT_ROLE_ADMIN, &comment));
    assert_int_equal(comment, 1);
    assert_true(workflow_transition_allowed(d, "correction_requested", "under_review",
                                            AGENT_ROLE_AGENT, NULL));
    assert_true(workflow_status(d, "correction_requested")->citizen_visible);
    assert_false(workflow_is_closed(d, "correction_requested"));
    assert_true(workflow_is_closed(d, "dropped"));
    assert_null(workflow_reopen_target(d, "accepted"));
    assert_null(workflow_duplicate_status(d));
    const cat_transition *from_review[8];
    assert_int_equal(workflow_transitions_from(d, "under_review", AGENT_ROLE_AGENT, from_review, 8),
                     4);
    assert_string_equal(from_review[0]->rec.label, "Accepter");
    assert_int_equal(workflow_transitions_from(d, "under_review", AGENT_ROLE_AGENT, from_review, 2),
                     2); /* bounded by max */
    assert_int_equal(workflow_transitions_from(d, "accepted", AGENT_ROLE_ADMIN, from_review, 8), 0);
    const cat_workflow *q = catalogue_procedure(t, "question")->workflow;
    assert_string_equal(q->rec.code, "question");
    assert_true(workflow_transition_allowed(q, "new", "answered", AGENT_ROLE_AGENT, &comment));
    assert_int_equal(comment, 1);
    assert_true(workflow_is_closed(q, "answered"));
    /* Across the collectivité's workflows: each code once, by kind. */
    const char *codes[32];
    size_t n = workflow_tenant_codes(t, WORKFLOW_CODES_INITIAL, codes, 32);
    assert_int_equal(n, 2);
    assert_string_equal(codes[0], "new");
    assert_string_equal(codes[1], "submitted");
    n = workflow_tenant_codes(t, WORKFLOW_CODES_OPEN, codes, 32);
    assert_int_equal(n,
                     6); /* new, acknowledged, in_progress, submitted, under_review, correction */
    n = workflow_tenant_codes(t, WORKFLOW_CODES_CLOSED, codes, 32);
    assert_int_equal(n, 7);
    assert_int_equal(workflow_tenant_codes(t, WORKFLOW_CODES_CLOSED, codes, 2), 2);
    assert_string_equal(workflow_tenant_label(t, "under_review", LANG_FR), "en instruction");
    assert_ptr_equal(workflow_by_code(t, "demarche"), d);
    assert_null(workflow_by_code(t, "inconnu"));
    catalogue_release(f->db.core, cat);
}

/* ---- a workflow built from rows, as an administrator's would be ---- */

#define ST(C, pos, visible, final, initial)                                                        \
    {                                                                                              \
        .workflow_id = 9, .code = C, .position = pos, .agent_label = C, .citizen_label = "vu " C,  \
        .citizen_label_en = "seen " C, .colour = "teal", .citizen_visible = visible,               \
        .is_final = final, .open311_closed = final, .is_initial = initial                          \
    }

static store_workflow_status custom_statuses[] = {
    ST("recu", 1, 1, 0, 1),     ST("tri", 2, 0, 0, 0),     ST("instruction", 3, 1, 0, 0),
    ST("controle", 4, 0, 0, 0), ST("accorde", 5, 1, 1, 0),
};

static store_workflow_transition custom_transitions[] = {
    {.workflow_id = 9, .from_code = "recu", .to_code = "tri", .label = "Trier", .roles = "agent"},
    {.workflow_id = 9,
     .from_code = "tri",
     .to_code = "instruction",
     .label = "Instruire",
     .roles = "agent manager"},
    {.workflow_id = 9,
     .from_code = "instruction",
     .to_code = "controle",
     .label = "Contrôler",
     .roles = "manager"},
    {.workflow_id = 9,
     .from_code = "controle",
     .to_code = "accorde",
     .label = "Accorder",
     .roles = "admin",
     .comment_required = 1},
};

static store_workflow custom = {
    .id = 9, .tenant_id = 7, .code = "sur-mesure", .name = "Sur mesure"};

static store_catalogue raw_of(store_workflow_status *sts, size_t ns, store_workflow_transition *trs,
                              size_t nt)
{
    store_catalogue raw = {.workflows = &custom,
                           .n_workflows = 1,
                           .workflow_statuses = sts,
                           .n_workflow_statuses = ns,
                           .workflow_transitions = trs,
                           .n_workflow_transitions = nt};
    return raw;
}

static void test_roles_comments_hidden(void **state)
{
    fixture *f = *state;
    store_catalogue raw = raw_of(custom_statuses, 5, custom_transitions, 4);
    cat_workflow *wfs = NULL;
    size_t n = 0;
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 1);
    const cat_workflow *wf = &wfs[0];
    assert_string_equal(wf->initial->code, "recu");
    /* Roles: each transition for the roles it names; élus never; an API key any. */
    assert_true(workflow_transition_allowed(wf, "recu", "tri", AGENT_ROLE_AGENT, NULL));
    assert_false(workflow_transition_allowed(wf, "recu", "tri", AGENT_ROLE_MANAGER, NULL));
    assert_true(workflow_transition_allowed(wf, "tri", "instruction", AGENT_ROLE_MANAGER, NULL));
    assert_false(
        workflow_transition_allowed(wf, "instruction", "controle", AGENT_ROLE_AGENT, NULL));
    assert_false(
        workflow_transition_allowed(wf, "instruction", "controle", AGENT_ROLE_ELECTED, NULL));
    assert_false(
        workflow_transition_allowed(wf, "instruction", "controle", AGENT_ROLE_COUNT, NULL));
    assert_true(
        workflow_transition_allowed(wf, "instruction", "controle", WORKFLOW_ANY_ROLE, NULL));
    int comment = 0;
    assert_true(workflow_transition_allowed(wf, "controle", "accorde", AGENT_ROLE_ADMIN, &comment));
    assert_int_equal(comment, 1);
    assert_false(workflow_transition_allowed(wf, "recu", "accorde", WORKFLOW_ANY_ROLE, NULL));
    const cat_transition *ts[4];
    assert_int_equal(workflow_transitions_from(wf, "tri", AGENT_ROLE_AGENT, ts, 4), 1);
    assert_int_equal(workflow_transitions_from(wf, "tri", AGENT_ROLE_ADMIN, ts, 4), 0);
    /* Hidden statuses show to citizens as the visible one before them, else the initial. */
    assert_string_equal(workflow_citizen_status(wf, "tri")->code, "recu");
    assert_string_equal(workflow_citizen_status(wf, "controle")->code, "instruction");
    assert_string_equal(workflow_citizen_status(wf, "accorde")->code, "accorde");
    assert_string_equal(workflow_citizen_label(wf, "controle", LANG_FR), "vu instruction");
    assert_string_equal(workflow_citizen_label(wf, "controle", LANG_EN), "seen instruction");
    assert_string_equal(workflow_agent_label(wf, "controle", LANG_EN), "controle");
    assert_null(workflow_citizen_status(wf, "inconnu"));
    assert_string_equal(workflow_citizen_label(wf, "inconnu", LANG_FR), "inconnu");
    assert_null(workflow_fixed_status(wf));
    /* Another tenant's rows are not this one's. */
    assert_int_equal(workflow_build(&f->a, &raw, 8, &wfs, &n), 0);
    assert_int_equal(n, 0);
}

static void test_copy_is_deep(void **state)
{
    fixture *f = *state;
    store_catalogue raw = raw_of(custom_statuses, 5, custom_transitions, 4);
    cat_workflow *wfs = NULL;
    size_t n = 0;
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    arena b;
    arena_init(&b, 0);
    cat_workflow *c = workflow_copy(&b, &wfs[0]);
    assert_non_null(c);
    assert_ptr_not_equal(c->statuses, wfs[0].statuses);
    assert_ptr_not_equal(c->statuses[0].code, wfs[0].statuses[0].code);
    assert_ptr_equal(c->initial, &c->statuses[0]);
    assert_int_equal(c->n_transitions, 4);
    assert_true(workflow_transition_allowed(c, "controle", "accorde", AGENT_ROLE_ADMIN, NULL));
    assert_string_equal(workflow_citizen_status(c, "tri")->code, "recu");
    assert_null(workflow_copy(&b, NULL));
    arena_free(&b);
}

/* A workflow that breaks a rule is left out (its procedures then are too). */
static void test_broken_workflows_left_out(void **state)
{
    fixture *f = *state;
    cat_workflow *wfs = NULL;
    size_t n = 0;
    store_workflow_status two_initials[] = {ST("a", 1, 1, 0, 1), ST("b", 2, 1, 1, 1)};
    store_catalogue raw = raw_of(two_initials, 2, NULL, 0);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 0);
    store_workflow_status no_initial[] = {ST("a", 1, 1, 0, 0)};
    raw = raw_of(no_initial, 1, NULL, 0);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 0);
    store_workflow_status ok[] = {ST("a", 1, 1, 0, 1), ST("b", 2, 1, 1, 0)};
    store_workflow_transition unknown_status[] = {
        {.workflow_id = 9, .from_code = "a", .to_code = "z", .label = "?", .roles = "agent"}};
    raw = raw_of(ok, 2, unknown_status, 1);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 0);
    store_workflow_transition unknown_role[] = {
        {.workflow_id = 9, .from_code = "a", .to_code = "b", .label = "?", .roles = "agent maire"}};
    raw = raw_of(ok, 2, unknown_role, 1);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 0);
    ok[1].reopen_to = "z";
    raw = raw_of(ok, 2, NULL, 0);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 0);
    ok[1].reopen_to = "a";
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(workflow_reopen_target(&wfs[0], "b"), "a");

    /* b is not reachable from the initial a (the reopening leads out of b, not into it): the
     * catalogue keeps such a workflow (an edit in two steps), an import refuses it. */
    workflow_problem pb[4];
    assert_int_equal(workflow_check_reachable(&wfs[0], pb, 4), 1);
    assert_string_equal(pb[0].key, "status_unreachable");
    assert_string_equal(pb[0].a, "b");
    assert_string_equal(pb[0].b, "a");
    store_workflow_transition a_to_b[] = {
        {.workflow_id = 9, .from_code = "a", .to_code = "b", .label = "Clore", .roles = "agent"}};
    raw = raw_of(ok, 2, a_to_b, 1);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(workflow_check_reachable(&wfs[0], pb, 4), 0);
    /* From the custom workflow's initial status every status is reached, hidden ones too. */
    raw = raw_of(custom_statuses, 5, custom_transitions, 4);
    assert_int_equal(workflow_build(&f->a, &raw, 7, &wfs, &n), 0);
    assert_int_equal(workflow_check_reachable(&wfs[0], NULL, 0), 0);
}

/* Through core: the acting agent's role, the comment, closed_at set on a final status and
 * cleared when leaving it. */
static void test_change_checked_for_the_agent(void **state)
{
    fixture *f = *state;
    error err;
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    const char *deps[] = {"voirie"};
    int64_t id = 0;
    store_agent ag;
    assert_int_equal(agent_create(f->db.core, f->tenant_id, "agnes@ville-flux.fr", "Agnès",
                                  AGENT_ROLE_AGENT, deps, 1, PASSWORD, &id, &err),
                     0);
    assert_int_equal(agent_get(f->db.core, f->tenant_id, id, &f->a, &ag, &err), 0);
    core_actor who = actor_of_agent(&ag, "web 192.0.2.1");
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, "permis"),
                        .ch = CHANNEL_COUNTER,
                        .description = "Demande de permis"};
    request_created rc;
    assert_int_equal(request_create(f->db.core, &in, &rc, NULL, NULL, &err), 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "submitted");
    assert_int_equal(r.closed_at, 0);

    request_change ch = {.status = "accepted", .priority = -1, .who = &who};
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_non_null(strstr(err.detail, "allowed: under_review"));
    ch.status = "resolved";
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "status");
    ch.status = "under_review";
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), 0);
    ch.status = "refused";
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "comment");
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "under_review");
    ch.note = "Pièce manquante.";
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), 0);
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "refused");
    assert_true(r.closed_at > 0);
    /* A final status has no way out in the démarche workflow. */
    ch.status = "under_review";
    ch.note = NULL;
    assert_int_equal(request_update(f->db.core, t, rc.reference, &ch, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_non_null(strstr(err.detail, "allowed: none"));

    /* An incident reopened by an agent: closed_at cleared. */
    in.procedure = catalogue_procedure(t, "trou");
    assert_int_equal(request_create(f->db.core, &in, &rc, NULL, NULL, &err), 0);
    request_change close = {.status = "resolved", .priority = -1, .who = &who};
    assert_int_equal(request_update(f->db.core, t, rc.reference, &close, NULL, NULL, &err), 0);
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_true(r.closed_at > 0);
    close.status = "in_progress";
    assert_int_equal(request_update(f->db.core, t, rc.reference, &close, NULL, NULL, &err), 0);
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_int_equal(r.closed_at, 0);
    catalogue_release(f->db.core, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_incident_is_the_legacy_lifecycle),
        cmocka_unit_test(test_shipped_demarche_and_question),
        cmocka_unit_test(test_roles_comments_hidden),
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_broken_workflows_left_out),
        cmocka_unit_test(test_change_checked_for_the_agent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

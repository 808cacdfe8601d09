/*
 * test_workflow_edit — the workflow editor's core (core/workflow_edit): the checker lists every
 * problem, not the first; the changes between two definitions; a save makes a new version
 * (the definition found kept as version 1), a stale one is refused; a status requests are in
 * cannot disappear; a procedure moved to another workflow takes its requests along the
 * mapping, and more than WORKFLOW_MOVE_MAX of them are refused; actions and timeouts follow
 * their status's edits.
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
#include "core/catalogue.h"
#include "core/request.h"
#include "core/workflow_action.h"
#include "core/workflow_edit.h"
#include "test_db.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "workflow_edit", NULL), 0);
    arena_init(&f->a, 0);
    error err;
    store_tenant t = {.slug = "ville-edit", .name = "Ville Edit", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant_id, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "trou",
                         .name = "Trou",
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
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

static void test_checker_lists_every_problem(void **state)
{
    (void)state;
    store_workflow_status sts[] = {
        {.code = "a",
         .agent_label = "A",
         .citizen_label = "A",
         .colour = "blue",
         .is_initial = 1,
         .is_final = 1},
        {.code = "b",
         .agent_label = "",
         .citizen_label = "B",
         .colour = "pink",
         .reopen_to = "zz",
         .is_initial = 1},
    };
    cat_transition trs[] = {
        {.rec = {.from_code = "a", .to_code = "b", .label = "Vers b", .roles = "agent"}},
        {.rec = {.from_code = "b", .to_code = "c", .label = "", .roles = "maire"}},
    };
    cat_workflow wf = {.rec = {.code = "x", .name = ""},
                       .statuses = sts,
                       .n_statuses = 2,
                       .transitions = trs,
                       .n_transitions = 2};
    workflow_problem out[WORKFLOW_PROBLEMS_MAX];
    size_t n = workflow_check(&wf, out, WORKFLOW_PROBLEMS_MAX);
    static const char *const keys[] = {
        "name_missing",     "final_open",     "status_label",          "status_colour",
        "reopen_unknown",   "initial_many",   "transition_from_final", "transition_to",
        "transition_label", "transition_role"};
    assert_int_equal(n, sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(out[i].key, keys[i]);
    assert_string_equal(out[4].a, "b");
    assert_string_equal(out[4].b, "zz");
    assert_string_equal(out[7].a, "b");
    assert_string_equal(out[7].b, "c");
    /* Counted beyond the room given. */
    assert_int_equal(workflow_check(&wf, out, 2), n);
    assert_int_equal(workflow_edit_check(&wf, NULL, 0), n);
    /* Fixed, it has none. */
    wf.rec.name = "X";
    sts[0].is_final = 0;
    sts[1] = (store_workflow_status){.code = "b",
                                     .agent_label = "B",
                                     .citizen_label = "B",
                                     .colour = "green",
                                     .open311_closed = 1,
                                     .is_final = 1};
    wf.n_transitions = 1;
    assert_int_equal(workflow_check(&wf, out, WORKFLOW_PROBLEMS_MAX), 0);
}

/* The catalogue's incident workflow of the fixture, copied into f->a. */
static cat_workflow *incident(fixture *f)
{
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    cat_workflow *wf = workflow_copy(&f->a, workflow_by_code(t, "incident"));
    catalogue_release(f->db.core, cat);
    assert_non_null(wf);
    return wf;
}

static const char *summary_of(fixture *f, const cat_workflow *before, const cat_workflow *after)
{
    json_t *d = workflow_edit_diff(before, after);
    assert_non_null(d);
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    const char *copy = arena_strdup(&f->a, text);
    free(text);
    return copy;
}

static void test_diff_summaries(void **state)
{
    fixture *f = *state;
    cat_workflow *before = incident(f);
    cat_workflow *after = workflow_copy(&f->a, before);
    assert_string_equal(summary_of(f, before, after), "[]");
    after->statuses[0].agent_label = "Arrivée";
    after->n_transitions--;
    const store_workflow_transition *gone = &before->transitions[before->n_transitions - 1].rec;
    const char *s = summary_of(f, before, after);
    assert_non_null(strstr(s, "{\"k\":\"status_renamed\",\"a\":\"nouvelle\",\"b\":\"Arrivée\"}"));
    char removed[200];
    snprintf(removed, sizeof removed, "{\"k\":\"transition_removed\",\"a\":\"%s\",\"b\":\"%s\"}",
             gone->from_code, gone->to_code);
    assert_non_null(strstr(s, removed));
    assert_null(strstr(s, "statuses_reordered"));
    /* Two statuses swapped. */
    cat_workflow *swapped = workflow_copy(&f->a, before);
    store_workflow_status tmp = swapped->statuses[1];
    swapped->statuses[1] = swapped->statuses[2];
    swapped->statuses[2] = tmp;
    assert_string_equal(summary_of(f, before, swapped), "[{\"k\":\"statuses_reordered\",\"a\":null,"
                                                        "\"b\":null}]");
}

static void test_save_makes_versions(void **state)
{
    fixture *f = *state;
    error err;
    cat_workflow *edited = incident(f);
    edited->statuses[0].agent_label = "Arrivée";
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, t, edited, 0, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
    store_workflow_version *v = NULL;
    size_t n = 0;
    assert_int_equal(
        workflow_edit_versions(f->db.core, f->tenant_id, edited->rec.id, &f->a, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].version, 2);
    assert_string_equal(v[0].created_by, "cli");
    assert_non_null(strstr(v[0].summary, "status_renamed"));
    assert_int_equal(v[1].version, 1);
    assert_null(v[1].created_by);
    store_workflow_version one;
    int found = 0;
    assert_int_equal(workflow_edit_version(f->db.core, f->tenant_id, edited->rec.id, 1, &f->a, &one,
                                           &found, &err),
                     0);
    assert_true(found);
    assert_non_null(strstr(one.definition, "\"agent_label\":\"nouvelle\""));
    /* The catalogue follows. */
    cat_workflow *now = incident(f);
    assert_string_equal(now->statuses[0].agent_label, "Arrivée");
    /* A save from a page that saw no version is stale now. */
    cat = catalogue_acquire(f->db.core);
    t = catalogue_tenant_by_id(cat, f->tenant_id);
    now->statuses[0].agent_label = "Autre";
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, t, now, 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "version");
    /* An invalid definition is refused before anything is queued. */
    now->statuses[0].colour = "pink";
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, t, now, 2, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    catalogue_release(f->db.core, cat);
}

static cat_workflow *shipped(fixture *f, const char *code)
{
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    cat_workflow *wf = workflow_copy(&f->a, workflow_by_code(t, code));
    catalogue_release(f->db.core, cat);
    return wf;
}

/* Removes status code from wf with the transitions to and from it, then its actions and
 * timeouts (workflow_prune), as the editor's page does. */
static void remove_status(cat_workflow *wf, const char *code)
{
    size_t k = 0;
    for (size_t i = 0; i < wf->n_statuses; i++)
        if (strcmp(wf->statuses[i].code, code) != 0)
            wf->statuses[k++] = wf->statuses[i];
    wf->n_statuses = k;
    k = 0;
    for (size_t i = 0; i < wf->n_transitions; i++)
        if (strcmp(wf->transitions[i].rec.from_code, code) != 0 &&
            strcmp(wf->transitions[i].rec.to_code, code) != 0)
            wf->transitions[k++] = wf->transitions[i];
    wf->n_transitions = k;
    workflow_prune(wf);
}

static int has_problem(const cat_workflow *wf, const char *key, const char *a, const char *b)
{
    workflow_problem pb[WORKFLOW_PROBLEMS_MAX];
    size_t n = workflow_edit_check(wf, pb, WORKFLOW_PROBLEMS_MAX);
    for (size_t i = 0; i < n && i < WORKFLOW_PROBLEMS_MAX; i++)
        if (strcmp(pb[i].key, key) == 0 && strcmp(pb[i].a ? pb[i].a : "", a) == 0 &&
            strcmp(pb[i].b ? pb[i].b : "", b) == 0)
            return 1;
    return 0;
}

/* The transitions' form is held to every status being reachable, the statuses' form not (a
 * status it adds waits for its transition): the shipped workflows pass both; the incident
 * workflow without the transitions to "duplicate" passes the statuses' check alone. */
static void test_transitions_leave_every_status_reachable(void **state)
{
    fixture *f = *state;
    const char *codes[] = {"incident", "demarche", "question", "demarche_sva"};
    workflow_problem pb[WORKFLOW_PROBLEMS_MAX];
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_int_equal(
            workflow_edit_check_transitions(shipped(f, codes[i]), pb, WORKFLOW_PROBLEMS_MAX), 0);
    cat_workflow *wf = shipped(f, "incident");
    size_t k = 0;
    for (size_t i = 0; i < wf->n_transitions; i++)
        if (strcmp(wf->transitions[i].rec.to_code, "duplicate") != 0)
            wf->transitions[k++] = wf->transitions[i];
    assert_true(k < wf->n_transitions);
    wf->n_transitions = k;
    assert_int_equal(workflow_edit_check(wf, pb, WORKFLOW_PROBLEMS_MAX), 0);
    assert_int_equal(workflow_edit_check_transitions(wf, pb, WORKFLOW_PROBLEMS_MAX), 1);
    assert_string_equal(pb[0].key, "status_unreachable");
    assert_string_equal(pb[0].a, "duplicate");
    assert_string_equal(pb[0].b, wf->initial->code);
    /* Counted beyond what out holds, as workflow_edit_check counts. */
    assert_int_equal(workflow_edit_check_transitions(wf, NULL, 0), 1);
}

/* A workflow's actions and timeouts follow its edits: a status removed takes its own with it
 * (the store's rows refer to it), an edit that makes one wrong is refused with a problem
 * naming it, a duplicate copies them. */
static void test_actions_and_timeouts_follow(void **state)
{
    fixture *f = *state;
    error err;
    cat_workflow *wf = shipped(f, "demarche_sva");
    assert_non_null(wf);
    assert_int_equal(wf->n_actions, 8); /* the démarche's 7 and the silence's attestation */
    assert_int_equal(wf->n_timeouts, 2);

    /* Hiding from citizens a status that notifies them: refused, the action named. */
    store_workflow_status *accepted = (store_workflow_status *)workflow_status(wf, "accepted");
    accepted->citizen_visible = 0;
    assert_true(has_problem(wf, "action_invalid", "accepted", "notify_citizen"));
    accepted->citizen_visible = 1;
    assert_int_equal(workflow_edit_check(wf, NULL, 0), 0);

    /* The status a jump leads to removed: its timeout named. */
    cat_workflow *no_accept = shipped(f, "demarche_sva");
    remove_status(no_accept, "accepted");
    assert_true(has_problem(no_accept, "timeout_invalid", "under_review", ""));

    /* correction_requested removed: its two actions and its reminder go with it, and the
     * save goes through although rows referred to it. */
    remove_status(wf, "correction_requested");
    assert_int_equal(wf->n_actions, 6);
    assert_int_equal(wf->n_timeouts, 1);
    assert_int_equal(workflow_edit_check(wf, NULL, 0), 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, t, wf, 0, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
    cat_workflow *now = shipped(f, "demarche_sva");
    assert_non_null(now); /* loaded, not left out */
    assert_null(workflow_status(now, "correction_requested"));
    assert_int_equal(now->n_actions, 6);
    assert_int_equal(now->n_timeouts, 1);
    assert_string_equal(now->timeouts[0].status_code, "under_review");

    /* Duplicated: the copy has them too. */
    cat = catalogue_acquire(f->db.core);
    t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(workflow_edit_duplicate(f->db.core, &actor_cli, t, "demarche_sva", "sva_copie",
                                             "Copie", NULL, NULL, NULL, &err),
                     0);
    catalogue_release(f->db.core, cat);
    cat_workflow *copy = shipped(f, "sva_copie");
    assert_non_null(copy);
    assert_int_equal(copy->n_actions, 6);
    assert_int_equal(copy->n_timeouts, 1);
    assert_string_equal(copy->timeouts[0].target, "accepted");
}

/* Actions and timeouts added, removed and changed are named in the summary, by their
 * status's label and their kind; an action changed keeps its place. */
static void test_diff_actions_and_timeouts(void **state)
{
    fixture *f = *state;
    cat_workflow *before = shipped(f, "demarche_sva");
    cat_workflow *after = shipped(f, "demarche_sva");
    assert_non_null(before);
    assert_non_null(after);
    assert_string_equal(summary_of(f, before, after), "[]");
    cat_action *acts = arena_alloc(&f->a, sizeof *acts * (after->n_actions + 1));
    assert_non_null(acts);
    memcpy(acts, after->actions, sizeof *acts * after->n_actions);
    after->actions = acts;
    const cat_action *last = &before->actions[before->n_actions - 1];
    const char *last_label = workflow_status(before, last->status)->agent_label;
    /* The last action removed, a due date added to the first status. */
    acts[after->n_actions - 1] = (cat_action){.kind = WORKFLOW_ACTION_SET_DUE_DATE,
                                              .status = after->statuses[0].code,
                                              .position = 9,
                                              .days = 10,
                                              .working = 1};
    after->timeouts[0].delay++;
    const char *s = summary_of(f, before, after);
    char want[300];
    snprintf(want, sizeof want, "{\"k\":\"action_added\",\"a\":\"%s\",\"b\":\"set_due_date\"}",
             after->statuses[0].agent_label);
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof want, "{\"k\":\"action_removed\",\"a\":\"%s\",\"b\":\"%s\"}", last_label,
             workflow_action_kind_name(last->kind));
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof want, "{\"k\":\"timeout_changed\",\"a\":\"%s\",\"b\":\"%s\"}",
             workflow_status(before, before->timeouts[0].status_code)->agent_label,
             before->timeouts[0].kind);
    assert_non_null(strstr(s, want));
    assert_null(strstr(s, "action_changed"));
    assert_null(strstr(s, "actions_reordered"));

    /* The first two actions of a status swapped: the order named, nothing else. */
    cat_workflow *swapped = shipped(f, "demarche_sva");
    size_t j = 0;
    while (j + 1 < swapped->n_actions &&
           !(strcmp(swapped->actions[j].status, swapped->actions[j + 1].status) == 0 &&
             swapped->actions[j].kind != swapped->actions[j + 1].kind))
        j++;
    assert_true(j + 1 < swapped->n_actions);
    cat_action tmp = swapped->actions[j];
    swapped->actions[j] = swapped->actions[j + 1];
    swapped->actions[j + 1] = tmp;
    snprintf(want, sizeof want, "[{\"k\":\"actions_reordered\",\"a\":\"%s\",\"b\":null}]",
             workflow_status(before, tmp.status)->agent_label);
    assert_string_equal(summary_of(f, before, swapped), want);

    /* A notification's own text changed; a timeout removed. */
    cat_workflow *texted = shipped(f, "demarche_sva");
    size_t k = 0;
    while (k < texted->n_actions && texted->actions[k].kind != WORKFLOW_ACTION_NOTIFY_CITIZEN)
        k++;
    assert_true(k < texted->n_actions);
    texted->actions[k].text = "Votre demande {reference} avance.";
    texted->n_timeouts--;
    s = summary_of(f, before, texted);
    snprintf(want, sizeof want, "{\"k\":\"action_changed\",\"a\":\"%s\",\"b\":\"notify_citizen\"}",
             workflow_status(before, texted->actions[k].status)->agent_label);
    assert_non_null(strstr(s, want));
    const store_workflow_timeout *gone = &before->timeouts[before->n_timeouts - 1];
    snprintf(want, sizeof want, "{\"k\":\"timeout_removed\",\"a\":\"%s\",\"b\":\"%s\"}",
             workflow_status(before, gone->status_code)->agent_label, gone->kind);
    assert_non_null(strstr(s, want));
}

/* Two ask_citizen actions on one status: the catalogue would leave the workflow out, the
 * editor lists it. */
static void test_ask_twice_refused(void **state)
{
    fixture *f = *state;
    cat_workflow *wf = shipped(f, "demarche_sva");
    assert_non_null(wf);
    const cat_action *ask = NULL;
    for (size_t i = 0; i < wf->n_actions && !ask; i++)
        if (wf->actions[i].kind == WORKFLOW_ACTION_ASK_CITIZEN)
            ask = &wf->actions[i];
    assert_non_null(ask);
    cat_action *acts = arena_alloc(&f->a, sizeof *acts * (wf->n_actions + 1));
    assert_non_null(acts);
    memcpy(acts, wf->actions, sizeof *acts * wf->n_actions);
    acts[wf->n_actions] = *ask;
    acts[wf->n_actions].position = 99;
    wf->actions = acts;
    wf->n_actions++;
    assert_true(has_problem(wf, "action_ask_twice", ask->status, ""));
}

/* The incident workflow without "new": "acknowledged" initial, the transitions from "new"
 * gone. */
static cat_workflow *without_new(fixture *f)
{
    cat_workflow *wf = incident(f);
    memmove(&wf->statuses[0], &wf->statuses[1], sizeof *wf->statuses * (wf->n_statuses - 1));
    wf->n_statuses--;
    wf->statuses[0].is_initial = 1;
    size_t k = 0;
    for (size_t i = 0; i < wf->n_transitions; i++)
        if (strcmp(wf->transitions[i].rec.from_code, "new") != 0)
            wf->transitions[k++] = wf->transitions[i];
    wf->n_transitions = k;
    assert_int_equal(workflow_edit_check(wf, NULL, 0), 0);
    return wf;
}

static void test_status_in_use_stays(void **state)
{
    fixture *f = *state;
    error err;
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, "trou"),
                        .ch = CHANNEL_COUNTER,
                        .description = "Un trou dans la chaussée"};
    request_created rc;
    assert_int_equal(request_create(f->db.core, &in, &rc, NULL, NULL, &err), 0);
    cat_workflow *wf = without_new(f);
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, t, wf, 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "status");
    assert_string_equal(err.detail, "new 1");
    store_workflow_version *v = NULL;
    size_t n = 0;
    assert_int_equal(
        workflow_edit_versions(f->db.core, f->tenant_id, wf->rec.id, &f->a, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_non_null(workflow_status(incident(f), "new"));

    /* Moved to the démarche workflow, the request follows the mapping, closed there. */
    const cat_workflow *demarche = workflow_by_code(t, "demarche");
    workflow_mapping none[] = {{"new", "nowhere"}};
    assert_int_equal(workflow_edit_assign(f->db.core, &actor_cli, t, in.procedure, demarche, none,
                                          1, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "map");
    assert_string_equal(err.detail, "new");
    workflow_mapping map[] = {{"new", "accepted"}};
    assert_int_equal(workflow_edit_assign(f->db.core, &actor_cli, t, in.procedure, demarche, map, 1,
                                          NULL, NULL, &err),
                     0);
    catalogue_release(f->db.core, cat);
    cat = catalogue_acquire(f->db.core);
    t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_string_equal(catalogue_procedure(t, "trou")->workflow->rec.code, "demarche");
    store_request r;
    assert_int_equal(request_get(f->db.core, t, rc.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "accepted");
    assert_true(r.closed_at > 0);
    /* No request in "new" any more: the incident workflow may lose it now. */
    assert_int_equal(
        workflow_edit_save(f->db.core, &actor_cli, t, without_new(f), 0, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
    assert_null(workflow_status(incident(f), "new"));
}

/* More requests to move than one job takes: refused with their number, nothing moved. */
static void test_move_bounded(void **state)
{
    fixture *f = *state;
    error err;
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    const cat_procedure *p = catalogue_procedure(t, "trou");
    size_t n = WORKFLOW_MOVE_MAX + 1;
    admin_import_event ev = {.created_at = 1700000000,
                             .kind = "created",
                             .is_public = 1,
                             .actor = "citizen",
                             .channel = "web",
                             .status_to = "new"};
    admin_import_request *q = calloc(n, sizeof *q);
    assert_non_null(q);
    for (size_t i = 0; i < n; i++) {
        q[i].rec.tenant_id = f->tenant_id;
        q[i].rec.procedure_id = p->rec.id;
        q[i].rec.status = i ? "new" : "acknowledged";
        q[i].rec.channel = "web";
        q[i].rec.description = "Un trou";
        q[i].rec.priority = 1;
        q[i].rec.created_at = 1700000000;
        q[i].events = &ev;
        q[i].n_events = 1;
    }
    size_t written = 0;
    assert_int_equal(admin_import_requests(f->db.core, q, n, &written, &err), 0);
    free(q);
    workflow_mapping map[] = {{"new", "accepted"}, {"acknowledged", "under_review"}};
    assert_int_equal(workflow_edit_assign(f->db.core, &actor_cli, t, p,
                                          workflow_by_code(t, "demarche"), map, 2, NULL, NULL,
                                          &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "count");
    assert_string_equal(err.detail, "5001");
    store_status_count *counts = NULL;
    size_t nc = 0;
    assert_int_equal(
        workflow_edit_counts(f->db.core, f->tenant_id, 0, p->rec.id, &f->a, &counts, &nc, &err), 0);
    assert_int_equal(nc, 2);
    assert_string_equal(counts[0].status, "acknowledged");
    assert_int_equal(counts[0].n, 1);
    assert_string_equal(counts[1].status, "new");
    assert_int_equal(counts[1].n, WORKFLOW_MOVE_MAX);
    catalogue_release(f->db.core, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_lists_every_problem),
        cmocka_unit_test_setup_teardown(test_diff_summaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_makes_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_in_use_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actions_and_timeouts_follow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_actions_and_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ask_twice_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transitions_leave_every_status_reachable, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

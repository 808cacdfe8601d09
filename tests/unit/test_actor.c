/*
 * Unit tests of core/actor and of the audit policy core applies for every entrance: the
 * timeline and audit labels each kind of actor is given (the ones stored before core_actor
 * existed), which actors are audited, and audit_change_tx inside a write job — an entry for
 * an agent or a key, none for a citizen, the command line or the system, and no entry left
 * when the job fails after appending it (the change and its entry commit together or not at
 * all).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/audit.h"
#include "core/core.h"
#include "store/store.h"
#include "test_db.h"

typedef struct fixture {
    test_db db;
    int64_t tenant;
    int64_t agent; /* a real agent: audit entries reference agents */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "actor", NULL), 0);
    error err;
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "a.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    assert_int_equal(agent_create(f->db.core, f->tenant, "claire@ville-test.fr", "Claire",
                                  AGENT_ROLE_AGENT, NULL, 0, "un mot de passe long", &f->agent,
                                  &err),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_db_close(&f->db);
    free(f);
    return 0;
}

static void test_labels(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    store_agent ag = {.id = 12};
    core_actor agent = actor_of_agent(&ag, "web 192.0.2.1");
    core_actor key = {.kind = ACTOR_KEY, .id = 3, .name = "appli-voirie", .source = "api ::1"};
    core_actor gateway = {.kind = ACTOR_GATEWAY, .id = 4, .name = "mx"};
    core_actor citizen = {.kind = ACTOR_CITIZEN, .id = 9};
    assert_string_equal(actor_event_label(&agent, &a), "agent:12");
    assert_string_equal(actor_audit_label(&agent, &a), "agent:12");
    assert_string_equal(actor_event_label(&key, &a), "api:appli-voirie");
    assert_string_equal(actor_audit_label(&key, &a), "api:3");
    assert_string_equal(actor_event_label(&gateway, &a), "gateway:mx");
    assert_string_equal(actor_audit_label(&gateway, &a), "api:4");
    assert_string_equal(actor_event_label(&citizen, &a), "citizen");
    assert_string_equal(actor_audit_label(&citizen, &a), "citizen");
    assert_string_equal(actor_event_label(&actor_cli, &a), "cli");
    assert_string_equal(actor_audit_label(&actor_system, &a), "system");
    assert_string_equal(actor_event_label(NULL, &a), "system");
    /* An unknown address at the login: no agent, so the system, still with its source. */
    core_actor nobody = actor_of_agent(NULL, "web 192.0.2.7");
    assert_int_equal(nobody.kind, ACTOR_SYSTEM);
    assert_string_equal(nobody.source, "web 192.0.2.7");
    assert_int_equal(actor_agent_id(&agent), 12);
    assert_int_equal(actor_agent_id(&key), 0);
    /* A key's actor as the JSON API and Open311 build it: its name labels the events, its
     * id the entries. */
    store_apikey k = {.id = 3, .name = "appli-voirie"};
    core_actor api = actor_of_key(&k, "api ::1", 0);
    assert_int_equal(api.kind, ACTOR_KEY);
    assert_int_equal(api.open311, 0);
    assert_string_equal(actor_event_label(&api, &a), "api:appli-voirie");
    assert_string_equal(actor_audit_label(&api, &a), "api:3");
    assert_string_equal(api.source, "api ::1");
    core_actor o311 = actor_of_key(&k, "api ::1", 1);
    assert_int_equal(o311.open311, 1);
    store_apikey unnamed = {.id = 5};
    assert_string_equal(actor_of_key(&unnamed, NULL, 0).name, "");
    arena_free(&a);
}

/* Stored labels read back: what the request page and the audit page show for an actor. */
static void test_labels_read_back(void **state)
{
    (void)state;
    assert_int_equal(actor_label_agent_id("agent:12"), 12);
    assert_int_equal(actor_label_agent_id("agent:"), 0);
    assert_int_equal(actor_label_agent_id("agent:12x"), 0);
    assert_int_equal(actor_label_agent_id("agent:99999999999999999999"), 0);
    assert_int_equal(actor_label_agent_id("api:12"), 0);
    assert_int_equal(actor_label_agent_id(NULL), 0);
    assert_true(actor_label_is_citizen("citizen"));
    assert_true(actor_label_is_citizen("citizen:compte"));
    assert_false(actor_label_is_citizen("citizenship"));
    assert_false(actor_label_is_citizen("agent:1"));
    assert_false(actor_label_is_citizen(NULL));
}

static void test_policy(void **state)
{
    (void)state;
    store_agent ag = {.id = 1};
    core_actor agent = actor_of_agent(&ag, NULL);
    core_actor key = {.kind = ACTOR_KEY, .id = 1};
    core_actor gateway = {.kind = ACTOR_GATEWAY, .id = 1};
    assert_true(actor_audited(&agent));
    assert_true(actor_audited(&key));
    assert_true(actor_audited(&gateway));
    assert_false(actor_audited(&actor_citizen));
    assert_false(actor_audited(&actor_cli));
    assert_false(actor_audited(&actor_system));
    assert_false(actor_audited(NULL));
}

typedef struct change_job {
    int64_t tenant;
    const core_actor *who;
    int fail_after; /* 1: the change fails after its entry was appended */
    int always;     /* 1: an operation audited whoever acts (audit_append_who_tx) */
} change_job;

static int apply_change(store *s, void *arg, error *err)
{
    change_job *j = arg;
    int64_t ids[] = {42};
    if ((j->always ? audit_append_who_tx(s, j->tenant, j->who, "delete", "account", ids, 1, err)
                   : audit_change_tx(s, j->tenant, j->who, "change", "request", ids, 1, err)) != 0)
        return -1;
    if (j->fail_after)
        return error_set(err, ERR_CONFLICT, NULL, "the change itself failed");
    return 0;
}

static size_t entries(fixture *f, store_audit **out, arena *a)
{
    error err;
    size_t n = 0;
    assert_int_equal(f->db.store->ops->audit.list(f->db.store, f->tenant, 0, 100, a, out, &n, &err),
                     0);
    return n;
}

static void test_change_tx(void **state)
{
    fixture *f = *state;
    error err;
    store_agent ag = {.id = f->agent};
    core_actor agent = actor_of_agent(&ag, "web 192.0.2.1");
    char label[32];
    snprintf(label, sizeof label, "agent:%lld", (long long)f->agent);
    arena a;
    arena_init(&a, 0);
    store_audit *got = NULL;

    /* A citizen's change, the command line's, the system's: no entry. */
    const core_actor *unaudited[] = {&actor_citizen, &actor_cli, &actor_system};
    for (size_t i = 0; i < 3; i++) {
        change_job j = {.tenant = f->tenant, .who = unaudited[i]};
        assert_int_equal(store_write_sync(f->db.store, apply_change, &j, &err), 0);
    }
    assert_int_equal(entries(f, &got, &a), 0);

    /* An agent's change: one entry, with the agent, the ids and the source. */
    change_job j = {.tenant = f->tenant, .who = &agent};
    assert_int_equal(store_write_sync(f->db.store, apply_change, &j, &err), 0);
    assert_int_equal(entries(f, &got, &a), 1);
    assert_string_equal(got[0].actor, label);
    assert_int_equal(got[0].agent_id, f->agent);
    assert_string_equal(got[0].action, "change");
    assert_string_equal(got[0].object_ids, "42");
    assert_string_equal(got[0].source, "web 192.0.2.1");

    /* The change fails after its entry: neither is kept. */
    change_job failing = {.tenant = f->tenant, .who = &agent, .fail_after = 1};
    assert_int_equal(store_write_sync(f->db.store, apply_change, &failing, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(entries(f, &got, &a), 1);

    /* An operation audited whoever acts (an account deleted): the citizen's entry is written
     * too, with their label and source. */
    core_actor citizen = actor_citizen;
    citizen.id = 9;
    citizen.source = "web 198.51.100.2";
    change_job always = {.tenant = f->tenant, .who = &citizen, .always = 1};
    assert_int_equal(store_write_sync(f->db.store, apply_change, &always, &err), 0);
    assert_int_equal(entries(f, &got, &a), 2);
    int found = 0;
    for (size_t i = 0; i < 2; i++)
        if (strcmp(got[i].action, "delete") == 0) {
            found = 1;
            assert_string_equal(got[i].actor, "citizen");
            assert_int_equal(got[i].agent_id, 0);
            assert_string_equal(got[i].source, "web 198.51.100.2");
        }
    assert_true(found);

    int64_t bad = 0, checked = 0;
    assert_int_equal(audit_verify(f->db.core, f->tenant, &bad, &checked, &err), 0);
    assert_int_equal(checked, 2);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_labels_read_back),
        cmocka_unit_test(test_policy),
        cmocka_unit_test_setup_teardown(test_change_tx, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

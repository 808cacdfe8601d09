/*
 * Unit tests of the agents' work in core: who acts labels the events and, for agents and
 * keys, writes the audit entry in the change's own job (none for citizens and Open311
 * clients); the access rules refuse an agent's change outside their scope with nothing
 * written, and a read of it as an unknown request; a batch runs each request in its own savepoint
 * (a refused one is undone alone) with one audit entry for the changed ids; publication and
 * moderation write internal events; a field visit (photos and resolution) is written whole or not
 * at all; saved filters belong to their agent — on a real SQLite database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/work.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent voirie;   /* an agent of the roads department */
    store_agent proprete; /* an agent of another department */
    core_actor who_voirie, who_proprete;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static void add_agent(fixture *f, const char *email, const char *dep, store_agent *out)
{
    assert_int_equal(
        test_db_add_agent(&f->db, f->tenant_id, email, AGENT_ROLE_AGENT, &dep, 1, &f->a, out), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "work", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep_id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep_id, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->db.core, &d2, NULL, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .group_name = "Signaler",
                         .department_id = dep_id,
                         .kind = PROCEDURE_DEMARCHE,
                         .is_public = 1,
                         .open311 = 1,
                         .active = 1,
                         /* the statuses the tests close its requests with */
                         .workflow_id = test_db_workflow_id(f->db.core, f->tenant_id, "incident")};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "question",
                         .name = "Question",
                         .group_name = "Vie quotidienne",
                         .department_id = dep_id,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    add_agent(f, "agnes@ville-test.fr", "voirie", &f->voirie);
    add_agent(f, "paul@ville-test.fr", "proprete", &f->proprete);
    f->who_voirie = actor_of_agent(&f->voirie, "web 192.0.2.1");
    f->who_proprete = actor_of_agent(&f->proprete, "web 192.0.2.2");
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
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

/* A request of `procedure` filed by `who` (NULL: a citizen). */
static request_created file(fixture *f, const char *procedure, const core_actor *who)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, procedure),
                        .ch = CHANNEL_PHONE,
                        .description = "Un trou devant l'école",
                        .who = who};
    return test_req_create(f->db.core, &in);
}

/* The tenant's audit entries from the first, in a. */
static size_t audit_entries(fixture *f, store_audit **out)
{
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a, out, &n, &err), 0);
    return n;
}

static size_t timeline(fixture *f, int64_t id, int public_only, store_event **ev)
{
    size_t n = 0;
    error err;
    assert_int_equal(request_timeline(f->db.core, f->t, id, public_only, &f->a, ev, &n, &err), 0);
    return n;
}

static void test_change_audited_in_its_job(void **state)
{
    fixture *f = *state;
    error err;
    store_audit *e = NULL;
    store_event *ev = NULL;

    /* A citizen's filing and message: no audit entry. */
    request_created c = file(f, "nid-de-poule", NULL);
    /* The citizen's operations are a citizen's: anyone else is refused before anything is
     * queued. */
    assert_int_equal(request_citizen_message(f->db.core, f->t, c.reference, &actor_cli, "Merci",
                                             NULL, 0, CHANNEL_WEB, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        request_rate(f->db.core, f->t, c.reference, &actor_system, 5, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        request_reopen(f->db.core, f->t, c.reference, &actor_cli, "Non", NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    core_actor citizen = actor_citizen;
    citizen.id = 77;
    citizen.source = "web 192.0.2.9";
    assert_int_equal(request_citizen_message(f->db.core, f->t, c.reference, &citizen, "Merci", NULL,
                                             0, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    /* Logged in or not, the timeline says "citizen", as it always has. */
    size_t n_msg = timeline(f, c.id, 0, &ev);
    assert_string_equal(ev[n_msg - 1].kind, "message");
    assert_string_equal(ev[n_msg - 1].actor, "citizen");
    assert_int_equal(audit_entries(f, &e), 0);

    /* An agent's processing: its event names the agent, its entry is written with it. */
    request_processing p = {.change = {.priority = -1, .who = &f->who_voirie, .ch = CHANNEL_WEB},
                            .internal_note = "Vu"};
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &p, NULL, NULL, &err), 0);
    size_t n = timeline(f, c.id, 0, &ev);
    char label[32];
    snprintf(label, sizeof label, "agent:%" PRId64, f->voirie.id);
    assert_string_equal(ev[n - 1].actor, label);
    assert_int_equal(audit_entries(f, &e), 1);
    assert_string_equal(e[0].actor, label);
    assert_string_equal(e[0].action, "change");
    assert_string_equal(e[0].object_kind, "request");
    char ids[32];
    snprintf(ids, sizeof ids, "%" PRId64, c.id);
    assert_string_equal(e[0].object_ids, ids);
    assert_string_equal(e[0].source, "web 192.0.2.1");
    assert_int_equal(e[0].agent_id, f->voirie.id);

    /* Filed by an agent: "create"; by an Open311 client's key: like a citizen, no entry. (A
     * merge's one entry names both requests: tests/unit/test_merge.c.) */
    request_created byagent = file(f, "question", &f->who_voirie);
    assert_int_equal(audit_entries(f, &e), 2);
    assert_string_equal(e[1].action, "create");
    snprintf(ids, sizeof ids, "%" PRId64, byagent.id);
    assert_string_equal(e[1].object_ids, ids);
    core_actor client = {.kind = ACTOR_KEY, .id = 4, .name = "appli", .open311 = 1};
    request_created by311 = file(f, "question", &client);
    n = timeline(f, by311.id, 0, &ev);
    assert_string_equal(ev[0].actor, "api:appli");
    assert_int_equal(audit_entries(f, &e), 2);
    /* The JSON API's key is audited by its id. */
    core_actor key = {.kind = ACTOR_KEY, .id = 4, .name = "appli", .source = "api 192.0.2.9"};
    assert_int_equal(request_add_note(f->db.core, f->t, by311.reference, "Noté", 0, &key,
                                      CHANNEL_API, NULL, NULL, &err),
                     0);
    assert_int_equal(audit_entries(f, &e), 3);
    assert_string_equal(e[2].actor, "api:4");
    assert_int_equal(e[2].agent_id, 0);
}

static void test_change_outside_scope_refused(void **state)
{
    fixture *f = *state;
    error err;
    store_audit *e = NULL;
    store_event *ev = NULL;
    request_created c = file(f, "nid-de-poule", NULL);
    size_t before = timeline(f, c.id, 0, &ev);
    request_processing p = {.change = {.priority = -1, .who = &f->who_proprete},
                            .reply = "Nous passons demain"};
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &p, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(timeline(f, c.id, 0, &ev), before);
    assert_int_equal(audit_entries(f, &e), 0);
    assert_int_equal(
        work_set_public(f->db.core, f->t, c.reference, 1, &f->who_proprete, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(audit_entries(f, &e), 0);
    /* Read as that agent: the same answer as for an unknown request; as its own, the request. */
    store_request r;
    assert_int_equal(
        request_get_as(f->db.core, f->t, &f->who_proprete, c.reference, &f->a, &r, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(request_get_as(f->db.core, f->t, &f->who_voirie, c.reference, &f->a, &r, &err),
                     0);
    assert_int_equal(r.id, c.id);
}

static void test_batch_savepoints(void **state)
{
    fixture *f = *state;
    error err;
    store_audit *e = NULL;
    store_event *ev = NULL;
    request_created a = file(f, "nid-de-poule", NULL);
    request_created b = file(f, "nid-de-poule", NULL);
    request_created c = file(f, "nid-de-poule", NULL);
    request_change close = {.status = "resolved", .priority = -1};
    assert_int_equal(request_update(f->db.core, f->t, b.reference, &close, NULL, NULL, &err), 0);
    size_t b_before = timeline(f, b.id, 0, &ev);

    request_batch_item items[4];
    memset(items, 0, sizeof items);
    for (size_t i = 0; i < 4; i++)
        items[i].p.change.priority = -1;
    items[0].reference = a.reference;
    items[0].p.reply = "Réparé";
    items[0].p.change.status = "resolved";
    /* b: the reply is written, then the transition is refused: its savepoint undoes both. */
    items[1].reference = b.reference;
    items[1].p.reply = "Rouvert ?";
    items[1].p.change.status = "new";
    items[2].reference = "2026-999999";
    items[2].p.internal_note = "Inconnue";
    items[3].reference = c.reference;
    items[3].p.internal_note = "Vu";
    size_t n_done = 99;
    int64_t done[4] = {0};
    assert_int_equal(request_process_many(f->db.core, f->t, &f->who_voirie, items, 4, &n_done, done,
                                          NULL, NULL, &err),
                     0);
    assert_int_equal(n_done, 2);
    assert_int_equal(done[0], a.id);
    assert_int_equal(done[1], c.id);
    assert_int_equal(timeline(f, b.id, 0, &ev), b_before);
    store_request r;
    assert_int_equal(request_get(f->db.core, f->t, b.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "resolved");
    assert_int_equal(request_get(f->db.core, f->t, a.reference, &f->a, &r, &err), 0);
    assert_string_equal(r.status, "resolved");
    /* One entry for the lot, naming only what changed. */
    assert_int_equal(audit_entries(f, &e), 1);
    char ids[48];
    snprintf(ids, sizeof ids, "%" PRId64 ",%" PRId64, a.id, c.id);
    assert_string_equal(e[0].object_ids, ids);

    /* Nothing changed: no entry at all. */
    request_batch_item none = {.reference = b.reference,
                               .p = {.change = {.status = "new", .priority = -1}}};
    assert_int_equal(request_process_many(f->db.core, f->t, &f->who_voirie, &none, 1, &n_done, NULL,
                                          NULL, NULL, &err),
                     0);
    assert_int_equal(n_done, 0);
    assert_int_equal(audit_entries(f, &e), 1);
}

static void test_publication(void **state)
{
    fixture *f = *state;
    error err;
    store_audit *e = NULL;
    store_event *ev = NULL;
    request_created c = file(f, "nid-de-poule", NULL);
    size_t public_before = timeline(f, c.id, 1, &ev);
    assert_int_equal(
        work_set_public(f->db.core, f->t, c.reference, 1, &f->who_voirie, NULL, NULL, &err), 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, f->t, c.reference, &f->a, &r, &err), 0);
    assert_true(r.is_public);
    size_t n = timeline(f, c.id, 0, &ev);
    assert_string_equal(ev[n - 1].kind, "publication");
    assert_string_equal(ev[n - 1].body, "1");
    assert_false(ev[n - 1].is_public);
    /* Internal: the citizen's side never sees it. */
    assert_int_equal(timeline(f, c.id, 1, &ev), public_before);
    assert_int_equal(audit_entries(f, &e), 1);
    assert_string_equal(e[0].action, "change");

    assert_int_equal(
        work_set_public(f->db.core, f->t, c.reference, 0, &f->who_voirie, NULL, NULL, &err), 0);
    assert_int_equal(request_get(f->db.core, f->t, c.reference, &f->a, &r, &err), 0);
    assert_false(r.is_public);
    n = timeline(f, c.id, 0, &ev);
    assert_string_equal(ev[n - 1].body, "0");

    /* A procedure without a public list, an unknown request. */
    request_created q = file(f, "question", NULL);
    assert_int_equal(
        work_set_public(f->db.core, f->t, q.reference, 1, &f->who_voirie, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        work_set_public(f->db.core, f->t, "2026-999999", 1, &f->who_voirie, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* A photo that is not one of the request's. */
    assert_int_equal(work_moderate_photo(f->db.core, f->t, c.reference, 12345, "approved",
                                         &f->who_voirie, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(audit_entries(f, &e), 2);
}

/* A photo as attachment_prepare leaves it (no file needed: only rows are written here). */
static store_attachment photo(const char *name)
{
    store_attachment at = {.filename = "trou.jpg",
                           .content_type = "image/jpeg",
                           .size = 10,
                           .storage_name = name,
                           .is_photo = 1};
    return at;
}

static void test_field_photos_and_moderation(void **state)
{
    fixture *f = *state;
    error err;
    store_audit *e = NULL;
    store_event *ev = NULL;
    request_created c = file(f, "nid-de-poule", NULL);

    /* The field agent's photos ride on an internal note, with the resolution, in one job. */
    store_attachment taken = photo("terrain-1");
    request_processing p = {.change = {.status = "resolved",
                                       .note = "Réparé",
                                       .priority = -1,
                                       .who = &f->who_voirie,
                                       .ch = CHANNEL_MOBILE},
                            .internal_note = "Photo des travaux",
                            .note_attachments = &taken,
                            .n_note_attachments = 1};
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &p, NULL, NULL, &err), 0);
    size_t n = timeline(f, c.id, 0, &ev);
    assert_string_equal(ev[n - 3].kind, "note");
    assert_false(ev[n - 3].is_public);
    assert_string_equal(ev[n - 3].channel, "mobile");
    assert_string_equal(ev[n - 2].kind, "status");
    /* then the resolved status's action (status_actions.h): the citizen told */
    assert_string_equal(ev[n - 1].kind, "action");
    int64_t note_event = ev[n - 3].id;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    assert_int_equal(attachment_list(f->db.core, f->t->rec.id, c.id, &f->a, &atts, &n_atts, &err),
                     0);
    assert_int_equal(n_atts, 1);
    assert_int_equal(atts[0].event_id, note_event);
    assert_int_equal(audit_entries(f, &e), 1);

    /* A refused resolution keeps nothing of the visit: no photo, no note. */
    store_attachment again = photo("terrain-2");
    p.change.status = "new";
    p.note_attachments = &again;
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &p, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(timeline(f, c.id, 0, &ev), n);
    assert_int_equal(attachment_list(f->db.core, f->t->rec.id, c.id, &f->a, &atts, &n_atts, &err),
                     0);
    assert_int_equal(n_atts, 1);
    assert_int_equal(audit_entries(f, &e), 1);

    /* Moderation: the decision, its internal event and its entry; only two decisions. */
    assert_int_equal(work_moderate_photo(f->db.core, f->t, c.reference, atts[0].id, "maybe",
                                         &f->who_voirie, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(work_moderate_photo(f->db.core, f->t, c.reference, atts[0].id, "approved",
                                         &f->who_voirie, NULL, NULL, &err),
                     0);
    assert_int_equal(attachment_list(f->db.core, f->t->rec.id, c.id, &f->a, &atts, &n_atts, &err),
                     0);
    assert_string_equal(atts[0].moderation, "approved");
    n = timeline(f, c.id, 0, &ev);
    assert_string_equal(ev[n - 1].kind, "moderation");
    assert_string_equal(ev[n - 1].body, "approved");
    assert_false(ev[n - 1].is_public);
    assert_int_equal(audit_entries(f, &e), 2);
    /* Not a photo of this request: of another one. */
    request_created other = file(f, "nid-de-poule", NULL);
    assert_int_equal(work_moderate_photo(f->db.core, f->t, other.reference, atts[0].id, "rejected",
                                         &f->who_voirie, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* Out of the agent's scope. */
    assert_int_equal(work_moderate_photo(f->db.core, f->t, c.reference, atts[0].id, "rejected",
                                         &f->who_proprete, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(audit_entries(f, &e), 2);
}

static void test_saved_filters(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(work_filter_save(f->db.core, f->t, &f->who_voirie, "Urgent", "priorite=3",
                                      NULL, NULL, &err),
                     0);
    assert_int_equal(work_filter_save(f->db.core, f->t, &f->who_voirie, "Urgent", "priorite=2",
                                      NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    store_saved_filter *sf = NULL;
    size_t n = 0;
    assert_int_equal(work_filters(f->db.core, f->t, f->voirie.id, &f->a, &sf, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(sf[0].query, "priorite=3");
    assert_int_equal(work_filters(f->db.core, f->t, f->proprete.id, &f->a, &sf, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(work_filters(f->db.core, f->t, f->voirie.id, &f->a, &sf, &n, &err), 0);
    int64_t id = sf[0].id;
    /* Another agent's filter is not theirs to delete. */
    assert_int_equal(work_filter_delete(f->db.core, f->t, &f->who_proprete, id, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(work_filter_delete(f->db.core, f->t, &f->who_voirie, id, NULL, NULL, &err), 0);
    assert_int_equal(work_filters(f->db.core, f->t, f->voirie.id, &f->a, &sf, &n, &err), 0);
    assert_int_equal(n, 0);
    /* Only agents have filters. */
    assert_int_equal(work_filter_save(f->db.core, f->t, &actor_system, "x", "", NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_change_audited_in_its_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_outside_scope_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_photos_and_moderation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saved_filters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

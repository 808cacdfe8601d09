/*
 * Unit tests of the administrative changes as core operations (core/change.c through
 * admin.h, apikey.h, agent.h, retention.h) on a real SQLite database with the group-commit
 * writer running: only an admin of the collectivité (or the command line) may make them; an
 * agent's change and its "admin" audit entry commit in one job (a change refused inside its
 * job leaves no entry), the command line is not audited, the callback form
 * answers once the change is durable with the record's id and the catalogue already
 * reloaded, and reply templates are upserted by name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/apikey.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/retention.h"
#include "store/store.h"
#include "test_db.h"

#define PASSWORD "un mot de passe long"

typedef struct fixture {
    test_db db;
    int64_t tenant;
    int64_t admin_id;
    store_agent admin;
    core_actor who; /* the admin from the web */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "admin", NULL), 0);
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "a.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(
        admin_tenant_upsert_as(f->db.core, &actor_cli, &t, &f->tenant, NULL, NULL, &err), 0);
    assert_int_equal(agent_create_as(f->db.core, &actor_cli, f->tenant, "admin@ville-test.fr",
                                     "Adèle Admin", AGENT_ROLE_ADMIN, NULL, 0, PASSWORD,
                                     &f->admin_id, NULL, NULL, &err),
                     0);
    f->admin =
        (store_agent){.id = f->admin_id, .tenant_id = f->tenant, .role = "admin", .active = 1};
    f->who = actor_of_agent(&f->admin, "web 192.0.2.1");
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

/* The tenant's audit entries, oldest first (in a). */
static store_audit *entries(fixture *f, arena *a, size_t *n)
{
    store_audit *rows = NULL;
    error err;
    assert_int_equal(admin_audit_list(f->db.core, f->tenant, 0, 1000, a, &rows, n, &err), 0);
    return rows;
}

/* How many entries have this action, kind and ids ("" ids: any). */
static size_t count(fixture *f, const char *action, const char *kind, const char *ids)
{
    arena a;
    arena_init(&a, 0);
    size_t n = 0, k = 0;
    store_audit *rows = entries(f, &a, &n);
    for (size_t i = 0; i < n; i++)
        k += strcmp(rows[i].action, action) == 0 && strcmp(rows[i].object_kind, kind) == 0 &&
             (!*ids || strcmp(rows[i].object_ids ? rows[i].object_ids : "", ids) == 0);
    arena_free(&a);
    return k;
}

static const char *id_text(int64_t id, char out[24])
{
    snprintf(out, 24, "%" PRId64, id);
    return out;
}

static void test_agent_change_audited(void **state)
{
    fixture *f = *state;
    error err;
    store_department d = {.tenant_id = f->tenant, .code = "voirie", .name = "Voirie"};
    int64_t id = 0;
    assert_int_equal(admin_department_upsert_as(f->db.core, &f->who, &d, &id, NULL, NULL, &err), 0);
    assert_true(id > 0);
    char ids[24];
    assert_int_equal(count(f, "admin", "department", id_text(id, ids)), 1);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    store_audit *rows = entries(f, &a, &n);
    assert_int_equal(n, 1);
    char actor[32];
    snprintf(actor, sizeof actor, "agent:%" PRId64, f->admin_id);
    assert_string_equal(rows[0].actor, actor);
    assert_int_equal(rows[0].agent_id, f->admin_id);
    assert_string_equal(rows[0].source, "web 192.0.2.1");
    arena_free(&a);

    /* Every administrative change names its record. */
    char key[APIKEY_LEN];
    int64_t key_id = 0;
    assert_int_equal(apikey_create_as(f->db.core, &f->who, f->tenant, "Appli", SCOPE_OPEN311, key,
                                      &key_id, NULL, NULL, &err),
                     0);
    assert_int_equal(apikey_revoke_as(f->db.core, &f->who, f->tenant, key_id, NULL, NULL, &err), 0);
    assert_int_equal(count(f, "admin", "apikey", id_text(key_id, ids)), 2);
    int64_t agent_id = 0;
    const char *codes[] = {"voirie"};
    assert_int_equal(agent_create_as(f->db.core, &f->who, f->tenant, "nina@ville-test.fr", "Nina",
                                     AGENT_ROLE_AGENT, codes, 1, PASSWORD, &agent_id, NULL, NULL,
                                     &err),
                     0);
    agent_changes pw = {.role = -1, .active = -1, .password = "un autre mot de passe"};
    assert_int_equal(
        agent_update_as(f->db.core, &f->who, f->tenant, agent_id, &pw, NULL, NULL, &err), 0);
    agent_changes totp = {.role = -1, .active = -1, .reset_totp = 1};
    assert_int_equal(
        agent_update_as(f->db.core, &f->who, f->tenant, agent_id, &totp, NULL, NULL, &err), 0);
    assert_int_equal(count(f, "admin", "agent", id_text(agent_id, ids)), 3);
    /* The new password is the agent's. */
    arena a2;
    arena_init(&a2, 0);
    store_agent out;
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "nina@ville-test.fr",
                                        "un autre mot de passe", &a2, &out, NULL, NULL, &err),
                     0);
    arena_free(&a2);
    assert_int_equal(
        retention_set_archives_visa(f->db.core, &f->who, f->tenant, 1, NULL, NULL, &err), 0);
    assert_int_equal(count(f, "admin", "retention", id_text(f->tenant, ids)), 1);
}

static void test_refused_in_its_job_leaves_no_entry(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(apikey_revoke_as(f->db.core, &f->who, f->tenant, 999999, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    agent_changes ch = {.role = -1, .active = 0};
    assert_int_equal(agent_update_as(f->db.core, &f->who, f->tenant, 999999, &ch, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* A second agent with the same e-mail is refused inside the job. */
    assert_int_equal(agent_create_as(f->db.core, &f->who, f->tenant, "admin@ville-test.fr", "Autre",
                                     AGENT_ROLE_AGENT, NULL, 0, PASSWORD, NULL, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    entries(f, &a, &n);
    assert_int_equal(n, 0);
    arena_free(&a);
}

/* Core applies the access rule whatever the entrance: only an admin of the collectivité. */
static void test_only_admins(void **state)
{
    fixture *f = *state;
    error err;
    store_department d = {.tenant_id = f->tenant, .code = "interdit", .name = "Interdit"};
    store_agent manager = f->admin;
    manager.role = "manager";
    core_actor who = actor_of_agent(&manager, "web 192.0.2.1");
    assert_int_equal(admin_department_upsert_as(f->db.core, &who, &d, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    /* An admin of another collectivité, an inactive admin, or an agent id without its
     * record (the role unknown) are refused alike. */
    store_agent other = f->admin;
    other.tenant_id = f->tenant + 1;
    who = actor_of_agent(&other, "web 192.0.2.1");
    assert_int_equal(admin_department_upsert_as(f->db.core, &who, &d, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    store_agent inactive = f->admin;
    inactive.active = 0;
    who = actor_of_agent(&inactive, "web 192.0.2.1");
    assert_int_equal(admin_department_upsert_as(f->db.core, &who, &d, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    core_actor bare = {.kind = ACTOR_AGENT, .id = f->admin_id, .source = "web 192.0.2.1"};
    assert_int_equal(admin_department_upsert_as(f->db.core, &bare, &d, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    core_actor key = {.kind = ACTOR_KEY, .id = 1, .name = "Appli"};
    char k[APIKEY_LEN];
    assert_int_equal(
        apikey_create_as(f->db.core, &key, f->tenant, "Clé", SCOPE_API, k, NULL, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    /* Nothing was written, nothing recorded. */
    const catalogue *cat = catalogue_acquire(f->db.core);
    assert_null(catalogue_department(catalogue_tenant_by_id(cat, f->tenant), "interdit"));
    catalogue_release(f->db.core, cat);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    entries(f, &a, &n);
    assert_int_equal(n, 0);
    arena_free(&a);
}

static void test_cli_not_audited(void **state)
{
    fixture *f = *state;
    error err;
    store_department d = {.tenant_id = f->tenant, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert_as(f->db.core, &actor_cli, &d, NULL, NULL, NULL, &err),
                     0);
    store_procedure p = {.tenant_id = f->tenant,
                         .code = "tag",
                         .name = "Tag",
                         .attributes = "[]",
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert_as(f->db.core, &actor_cli, &p, NULL, NULL, NULL, &err),
                     0);
    char key[APIKEY_LEN];
    assert_int_equal(apikey_create_as(f->db.core, &actor_cli, f->tenant, "Outil", SCOPE_API, key,
                                      NULL, NULL, NULL, &err),
                     0);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    entries(f, &a, &n);
    assert_int_equal(n, 0);
    arena_free(&a);
}

/* The callback form, as a suspended page uses it. */
typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, rc;
    error err;
    int64_t seen_procedures; /* what the catalogue held when the callback ran */
    core *core;
    int64_t tenant;
} outcome;

static void on_done(void *ctx, int rc, const error *err)
{
    outcome *o = ctx;
    const catalogue *cat = catalogue_acquire(o->core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, o->tenant);
    int64_t seen = t && catalogue_procedure(t, "eclairage") ? 1 : 0;
    catalogue_release(o->core, cat);
    pthread_mutex_lock(&o->lock);
    o->rc = rc;
    if (err)
        o->err = *err;
    o->seen_procedures = seen;
    o->done = 1;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

static void wait_for(outcome *o)
{
    pthread_mutex_lock(&o->lock);
    while (!o->done)
        pthread_cond_wait(&o->cond, &o->lock);
    pthread_mutex_unlock(&o->lock);
}

static void test_callback_form(void **state)
{
    fixture *f = *state;
    outcome o = {.lock = PTHREAD_MUTEX_INITIALIZER,
                 .cond = PTHREAD_COND_INITIALIZER,
                 .core = f->db.core,
                 .tenant = f->tenant};
    /* The operation keeps its own copy of the record: this one goes out of scope first. */
    int64_t id = 0;
    error err;
    {
        store_procedure p = {.tenant_id = f->tenant,
                             .code = "eclairage",
                             .name = "Éclairage public",
                             .attributes = "[]",
                             .kind = PROCEDURE_INCIDENT,
                             .active = 1};
        assert_int_equal(admin_procedure_upsert_as(f->db.core, &f->who, &p, &id, on_done, &o, &err),
                         0);
    }
    wait_for(&o);
    assert_int_equal(o.rc, 0);
    assert_true(id > 0);
    assert_int_equal(o.seen_procedures, 1);
    char ids[24];
    assert_int_equal(count(f, "admin", "procedure", id_text(id, ids)), 1);

    /* A refusal found before the write: -1 at once, and no callback. */
    outcome none = {.lock = PTHREAD_MUTEX_INITIALIZER,
                    .cond = PTHREAD_COND_INITIALIZER,
                    .core = f->db.core,
                    .tenant = f->tenant};
    store_procedure bad = {.tenant_id = f->tenant, .code = "Pas Bon", .name = "X"};
    assert_int_equal(
        admin_procedure_upsert_as(f->db.core, &f->who, &bad, NULL, on_done, &none, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "code");
    assert_int_equal(none.done, 0);

    /* A refusal inside the job: the callback says so. */
    outcome refused = {.lock = PTHREAD_MUTEX_INITIALIZER,
                       .cond = PTHREAD_COND_INITIALIZER,
                       .core = f->db.core,
                       .tenant = f->tenant};
    assert_int_equal(
        apikey_revoke_as(f->db.core, &f->who, f->tenant, 424242, on_done, &refused, &err), 0);
    wait_for(&refused);
    assert_int_equal(refused.rc, -1);
    assert_int_equal(refused.err.code, ERR_NOT_FOUND);
}

static void test_reply_templates(void **state)
{
    fixture *f = *state;
    error err;
    store_reply_template t = {.tenant_id = f->tenant, .name = "Accusé", .body = "Bonjour"};
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(
        admin_reply_template_upsert_as(f->db.core, &f->who, &t, &id1, NULL, NULL, &err), 0);
    t.body = "Bonjour à vous";
    assert_int_equal(
        admin_reply_template_upsert_as(f->db.core, &f->who, &t, &id2, NULL, NULL, &err), 0);
    assert_int_equal(id1, id2);
    arena a;
    arena_init(&a, 0);
    store_reply_template *list = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->reply_templates.list(f->db.store, f->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].body, "Bonjour à vous");
    arena_free(&a);
    char ids[24];
    assert_int_equal(count(f, "admin", "reply_template", id_text(id1, ids)), 2);
    t.body = "";
    assert_int_equal(
        admin_reply_template_upsert_as(f->db.core, &f->who, &t, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "body");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agent_change_audited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_in_its_job_leaves_no_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_not_audited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_templates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the agent's login as core operations (core/agent_session.h): the session,
 * the last login, a first enrolment and their audit entries written by one job, so that
 * a refused login leaves neither a session nor an entry; a failed attempt's entry naming
 * the agent of the address (or "system"); logout ending the session with its entry; and the
 * callback form reporting the outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/agent_session.h"
#include "core/core.h"
#include "core/session.h"
#include "core/totp.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

#define PW "une phrase de passe assez longue"
#define SOURCE "web 192.0.2.7"

typedef struct fixture {
    test_db db;
    int64_t tenant;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "agent-login", NULL), 0);
    error err;
    store_tenant t = {.slug = "ville-demo",
                      .name = "Ville de Démo",
                      .hosts = "a.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    store_department d = {
        .tenant_id = f->tenant, .code = "voirie", .name = "Voirie", .email = "x@a.test"};
    int64_t id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &id, &err), 0);
    arena_init(&f->a, 0);
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

static int64_t add(fixture *f, const char *email)
{
    const char *deps[1] = {"voirie"};
    int64_t id = 0;
    error err;
    assert_int_equal(agent_create(f->db.core, f->tenant, email, "Nom Prénom", AGENT_ROLE_AGENT,
                                  deps, 1, PW, &id, &err),
                     0);
    return id;
}

static store_agent get(fixture *f, int64_t id)
{
    store_agent ag;
    error err;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    return ag;
}

/* The tenant's audit entries, oldest first. */
static store_audit *entries(fixture *f, size_t *n)
{
    store_audit *rows = NULL;
    error err;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant, 0, 1000, &f->a, &rows, n, &err), 0);
    return rows;
}

static int session_live(fixture *f, const char *token)
{
    store_session se;
    store_agent ag;
    error err;
    return agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err) == 0;
}

static void test_login_opens_session_and_audits(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "lea@ville-demo.test");
    error err;
    char old[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, old, &err), 0);
    size_t n0 = 0;
    entries(f, &n0);
    assert_int_equal(n0, 0); /* agent_session_create writes no entry */

    store_agent ag = get(f, id);
    core_actor who = actor_of_agent(&ag, SOURCE);
    session_opening o;
    session_opening_prepare(f->db.core, old, &o);
    assert_int_equal(agent_login_open(f->db.core, f->tenant, &who, NULL, &o, NULL, NULL, &err), 0);
    assert_true(session_live(f, o.token));
    assert_false(session_live(f, old)); /* the browser's previous session ended */
    assert_int_equal(get(f, id).last_login_at, o.now);

    size_t n = 0;
    store_audit *e = entries(f, &n);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].action, "login");
    assert_string_equal(e[0].object_kind, "agent");
    assert_int_equal(e[0].agent_id, id);
    assert_string_equal(e[0].source, SOURCE);
    session_opening_wipe(&o);
}

static void test_login_refused_writes_nothing(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "paul@ville-demo.test");
    store_agent ag = get(f, id);
    error err;
    agent_changes off = {.role = -1, .active = 0};
    assert_int_equal(agent_update(f->db.core, f->tenant, id, &off, &err), 0);
    /* The password step passed before the deactivation: the job reads the agent again. */
    core_actor who = actor_of_agent(&ag, SOURCE);
    session_opening o;
    session_opening_prepare(f->db.core, NULL, &o);
    assert_int_equal(agent_login_open(f->db.core, f->tenant, &who, NULL, &o, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_false(session_live(f, o.token));
    size_t n = 0;
    entries(f, &n);
    assert_int_equal(n, 0);
    /* Only agents log in. */
    assert_int_equal(
        agent_login_open(f->db.core, f->tenant, &actor_system, NULL, &o, NULL, NULL, &err), -1);
    session_opening_wipe(&o);
}

static void test_login_confirms_enrolment(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "ines@ville-demo.test");
    error err;
    char b32[TOTP_SECRET_B32_LEN];
    assert_int_equal(agent_totp_begin(f->db.core, f->tenant, id, b32, NULL, NULL, &err), 0);
    unsigned char key[TOTP_SECRET_BYTES];
    size_t klen = 0;
    assert_int_equal(totp_base32_decode(b32, key, sizeof key, &klen), 0);
    char code[TOTP_DIGITS + 1];
    assert_int_equal(totp_code(key, klen, time_now(), code), 0);

    const char *sealed = NULL;
    assert_int_equal(agent_totp_enrol_check(f->db.core, f->tenant, id, code, &f->a, &sealed, &err),
                     0);
    assert_non_null(sealed);
    assert_false(get(f, id).totp_enabled); /* checking writes nothing */

    store_agent ag = get(f, id);
    core_actor who = actor_of_agent(&ag, SOURCE);
    session_opening o;
    session_opening_prepare(f->db.core, NULL, &o);
    assert_int_equal(agent_login_open(f->db.core, f->tenant, &who, sealed, &o, NULL, NULL, &err),
                     0);
    assert_true(get(f, id).totp_enabled);
    size_t n = 0;
    store_audit *e = entries(f, &n);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].action, "totp_enrol");
    assert_string_equal(e[1].action, "login");
    assert_int_equal(e[0].agent_id, id);

    /* The same confirmation again: the enrolment is no longer pending, and the refusal
     * leaves neither a session nor an entry behind. */
    session_opening o2;
    session_opening_prepare(f->db.core, NULL, &o2);
    assert_int_equal(agent_login_open(f->db.core, f->tenant, &who, sealed, &o2, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_false(session_live(f, o2.token));
    entries(f, &n);
    assert_int_equal(n, 2);
    session_opening_wipe(&o);
    session_opening_wipe(&o2);
}

typedef struct outcome {
    int calls, rc;
    error err;
} outcome;

static void on_done(void *ctx, int rc, const error *err)
{
    outcome *o = ctx;
    o->calls++;
    o->rc = rc;
    if (err)
        o->err = *err;
}

static void test_login_failed_entries(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "karim@ville-demo.test");
    error err;
    core_actor nobody = actor_of_agent(NULL, SOURCE);
    /* An address that names an agent, however it was typed: the entry names the agent. */
    outcome out = {0};
    assert_int_equal(agent_login_failed(f->db.core, f->tenant, &nobody, " Karim@Ville-Demo.test",
                                        on_done, &out, &err),
                     0);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.rc, 0);
    /* An unknown address: "system", no id (never the address). */
    assert_int_equal(agent_login_failed(f->db.core, f->tenant, &nobody, "personne@ville-demo.test",
                                        NULL, NULL, &err),
                     0);
    /* A wrong code: the agent who acts. */
    store_agent ag = get(f, id);
    core_actor who = actor_of_agent(&ag, SOURCE);
    assert_int_equal(agent_login_failed(f->db.core, f->tenant, &who, NULL, NULL, NULL, &err), 0);

    size_t n = 0;
    store_audit *e = entries(f, &n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i].action, "login_failed");
        assert_string_equal(e[i].object_kind, "agent");
        assert_string_equal(e[i].source, SOURCE);
        assert_null(strchr(e[i].object_ids ? e[i].object_ids : "", '@'));
    }
    assert_int_equal(e[0].agent_id, id);
    assert_string_equal(e[1].actor, "system");
    assert_int_equal(e[1].agent_id, 0);
    assert_int_equal(e[2].agent_id, id);
}

static void test_logout(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "sylvie@ville-demo.test");
    error err;
    char token[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    store_agent ag = get(f, id);
    core_actor who = actor_of_agent(&ag, SOURCE);
    outcome out = {0};
    assert_int_equal(agent_logout(f->db.core, f->tenant, &who, token, on_done, &out, &err), 0);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.rc, 0);
    assert_false(session_live(f, token));
    size_t n = 0;
    store_audit *e = entries(f, &n);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].action, "logout");
    assert_int_equal(e[0].agent_id, id);

    /* A session that was no longer live: ended, and no entry names anyone. */
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    core_actor nobody = actor_of_agent(NULL, SOURCE);
    assert_int_equal(agent_logout(f->db.core, f->tenant, &nobody, token, NULL, NULL, &err), 0);
    assert_false(session_live(f, token));
    entries(f, &n);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_opens_session_and_audits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_refused_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_confirms_enrolment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_failed_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

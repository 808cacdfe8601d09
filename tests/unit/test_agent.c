/*
 * Unit tests of the back office's core: agents (create, checks, authenticate with one answer
 * for every failure, update, password change ending sessions), the TOTP factor (enrolment,
 * sealing at rest, window, replay, lock after failures, a sealed secret moved to another row),
 * agent sessions (both factors first, idle and absolute ends, citizens' cookies refused),
 * the signed pending-login value, the permission matrix (every role x own / other department
 * / assigned x action) and perm_scope, and the demo agents.
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
#include "core/agent_session.h"
#include "core/core.h"
#include "core/perm.h"
#include "core/totp.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

#define PW "une phrase de passe assez longue"
#define PW2 "une autre phrase, tout aussi longue"

typedef struct fixture {
    test_db db;
    int64_t tenant, tenant2;
    int64_t voirie, proprete;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "agent", NULL), 0);
    error err;
    store_tenant t = {.slug = "ville-demo",
                      .name = "Ville de Démo",
                      .hosts = "a.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    store_tenant t2 = {.slug = "autre",
                       .name = "Autre",
                       .hosts = "b.test",
                       .timezone = "Europe/Paris",
                       .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t2, &f->tenant2, &err), 0);
    static const char *const codes[][2] = {{"voirie", "Voirie"},
                                           {"proprete", "Propreté"},
                                           {"eclairage", "Éclairage public"},
                                           {"espaces-verts", "Espaces verts"},
                                           {"etat-civil", "État civil"},
                                           {"scolaire", "Affaires scolaires"},
                                           {"ccas", "CCAS"},
                                           {"vie-associative", "Vie associative"},
                                           {"accueil", "Accueil"}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        store_department d = {
            .tenant_id = f->tenant, .code = codes[i][0], .name = codes[i][1], .email = "x@a.test"};
        int64_t id = 0;
        assert_int_equal(admin_department_upsert(f->db.core, &d, &id, &err), 0);
        if (i == 0)
            f->voirie = id;
        if (i == 1)
            f->proprete = id;
    }
    store_department other = {
        .tenant_id = f->tenant2, .code = "voirie", .name = "Voirie", .email = "x@b.test"};
    int64_t oid;
    assert_int_equal(admin_department_upsert(f->db.core, &other, &oid, &err), 0);
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

static int64_t add(fixture *f, const char *email, agent_role role, const char *dep)
{
    const char *deps[1] = {dep};
    int64_t id = 0;
    error err;
    assert_int_equal(agent_create(f->db.core, f->tenant, email, "Nom Prénom", role, deps,
                                  dep ? 1 : 0, PW, &id, &err),
                     0);
    return id;
}

/* ---- agents ---- */

static void test_create_and_get(void **state)
{
    fixture *f = *state;
    const char *deps[] = {"voirie", "proprete"};
    int64_t id = 0;
    error err;
    assert_int_equal(agent_create(f->db.core, f->tenant, "Martin.Durand@Ville-Demo.test",
                                  "Martin Durand", AGENT_ROLE_MANAGER, deps, 2, PW, &id, &err),
                     0);
    store_agent ag;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_string_equal(ag.email, "martin.durand@ville-demo.test");
    assert_string_equal(ag.role, "manager");
    assert_int_equal(ag.active, 1);
    assert_int_equal(ag.totp_enabled, 0);
    assert_int_equal(ag.n_departments, 2);
    assert_true(perm_in_department(&ag, f->voirie) && perm_in_department(&ag, f->proprete));
    assert_non_null(strstr(ag.password_hash, "$argon2id$"));
    char who[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(&ag, who);
    assert_string_equal(who, "agent:martin.durand");
    /* Another tenant does not see it. */
    assert_int_equal(agent_get(f->db.core, f->tenant2, id, &f->a, &ag, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    store_agent *all = NULL;
    size_t n = 0;
    assert_int_equal(agent_list(f->db.core, f->tenant, &f->a, &all, &n, &err), 0);
    assert_int_equal(n, 1);
}

static void test_create_refusals(void **state)
{
    fixture *f = *state;
    error err;
    int64_t id;
    const char *bad_dep[] = {"inconnu"};
    const char *other_tenant_dep[] = {"voirie"};
    static const struct {
        const char *email, *name, *pw;
        int role;
        const char *arg;
    } cases[] = {
        {"pas-une-adresse", "N", PW, AGENT_ROLE_AGENT, "email"},
        {"a@b", "N", PW, AGENT_ROLE_AGENT, "email"},
        {"a b@c.test", "N", PW, AGENT_ROLE_AGENT, "email"},
        {"a@c.test", "", PW, AGENT_ROLE_AGENT, "name"},
        {"a@c.test", "N", "court", AGENT_ROLE_AGENT, "password"},
        {"a@c.test", "N", "onze carac", AGENT_ROLE_AGENT, "password"},
        {"a@c.test", "N", PW, 9, "role"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(agent_create(f->db.core, f->tenant, cases[i].email, cases[i].name,
                                      (agent_role)cases[i].role, NULL, 0, cases[i].pw, &id, &err),
                         -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, cases[i].arg);
    }
    char longpw[AGENT_PASSWORD_MAX + 2];
    memset(longpw, 'x', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    assert_int_equal(agent_create(f->db.core, f->tenant, "a@c.test", "N", AGENT_ROLE_AGENT, NULL, 0,
                                  longpw, &id, &err),
                     -1);
    /* 12 characters, accented: counted in characters, not bytes. */
    assert_int_equal(agent_create(f->db.core, f->tenant, "ok@c.test", "N", AGENT_ROLE_AGENT, NULL,
                                  0, "éééééééééééé", &id, &err),
                     0);
    assert_int_equal(agent_create(f->db.core, f->tenant, "a@c.test", "N", AGENT_ROLE_AGENT, bad_dep,
                                  1, PW, &id, &err),
                     -1);
    assert_string_equal(err.arg, "department");
    /* A department code of another tenant's catalogue resolves in this tenant's only. */
    assert_int_equal(agent_create(f->db.core, f->tenant2, "a@c.test", "N", AGENT_ROLE_AGENT,
                                  other_tenant_dep, 1, PW, &id, &err),
                     0);
    /* Duplicates: same address, or same local part (same assignee identifier). */
    assert_int_equal(agent_create(f->db.core, f->tenant, "OK@c.test", "N", AGENT_ROLE_AGENT, NULL,
                                  0, PW, &id, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(agent_create(f->db.core, f->tenant, "ok@autre.test", "N", AGENT_ROLE_AGENT,
                                  NULL, 0, PW, &id, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
}

static void test_authenticate(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "sophie@ville-demo.test", AGENT_ROLE_AGENT, "proprete");
    store_agent ag;
    error err;
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "Sophie@ville-demo.test", PW, &f->a,
                                        &ag, NULL, NULL, &err),
                     0);
    assert_int_equal(ag.id, id);
    /* Wrong password, unknown address, other tenant, inactive: the same answer. */
    error e1, e2, e3, e4;
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "sophie@ville-demo.test", PW2, &f->a,
                                        &ag, NULL, NULL, &e1),
                     -1);
    assert_int_equal(ag.id, 0);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "nobody@ville-demo.test", PW, &f->a,
                                        &ag, NULL, NULL, &e2),
                     -1);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant2, "sophie@ville-demo.test", PW, &f->a,
                                        &ag, NULL, NULL, &e3),
                     -1);
    agent_changes ch = {.role = -1, .active = 0};
    assert_int_equal(agent_update(f->db.core, f->tenant, id, &ch, &err), 0);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "sophie@ville-demo.test", PW, &f->a,
                                        &ag, NULL, NULL, &e4),
                     -1);
    const error *all[] = {&e1, &e2, &e3, &e4};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(all[i]->code, ERR_UNAUTHORIZED);
        assert_string_equal(all[i]->detail, e1.detail);
    }
    assert_int_equal(
        agent_authenticate(f->db.core, f->tenant, NULL, NULL, &f->a, &ag, NULL, NULL, &err), -1);
}

static void test_update_and_password(void **state)
{
    fixture *f = *state;
    int64_t id = add(f, "karim@ville-demo.test", AGENT_ROLE_AGENT, "voirie");
    error err;
    char token[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    const char *deps[] = {"proprete"};
    agent_changes ch = {.name = "Karim Benali",
                        .role = AGENT_ROLE_MANAGER,
                        .department_codes = deps,
                        .n_departments = 1,
                        .active = -1};
    assert_int_equal(agent_update(f->db.core, f->tenant, id, &ch, &err), 0);
    store_agent ag;
    store_session se;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_string_equal(ag.name, "Karim Benali");
    assert_string_equal(ag.role, "manager");
    assert_int_equal(ag.n_departments, 1);
    assert_int_equal(ag.department_ids[0], f->proprete);
    /* The session survives an update of the role... */
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), 0);
    /* ...not a password change. */
    assert_int_equal(agent_set_password(f->db.core, f->tenant, id, "court", &err), -1);
    assert_string_equal(err.arg, "password");
    assert_int_equal(agent_set_password(f->db.core, f->tenant, id, PW2, &err), 0);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), -1);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "karim@ville-demo.test", PW2, &f->a,
                                        &ag, NULL, NULL, &err),
                     0);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "karim@ville-demo.test", PW, &f->a,
                                        &ag, NULL, NULL, &err),
                     -1);
    ch = (agent_changes){.role = 7, .active = -1};
    assert_int_equal(agent_update(f->db.core, f->tenant, id, &ch, &err), -1);
    ch = (agent_changes){.role = -1, .active = -1};
    assert_int_equal(agent_update(f->db.core, f->tenant, 9999, &ch, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

/* ---- TOTP ---- */

static void code_at_time(const char *b32, int64_t t, char code[TOTP_DIGITS + 1])
{
    unsigned char key[TOTP_SECRET_BYTES];
    size_t n = 0;
    assert_int_equal(totp_base32_decode(b32, key, sizeof key, &n), 0);
    assert_int_equal(n, TOTP_SECRET_BYTES);
    assert_int_equal(totp_code(key, n, t, code), 0);
}

static void current_code(const char *b32, int64_t offset, char code[TOTP_DIGITS + 1])
{
    code_at_time(b32, time_now() + offset, code);
}

static int64_t enrol(fixture *f, const char *email, agent_role role, char b32[TOTP_SECRET_B32_LEN])
{
    int64_t id = add(f, email, role, "voirie");
    error err;
    assert_int_equal(agent_totp_begin(f->db.core, f->tenant, id, b32, NULL, NULL, &err), 0);
    assert_int_equal(strlen(b32), 32);
    char code[7];
    current_code(b32, 0, code);
    assert_int_equal(agent_totp_confirm(f->db.core, f->tenant, id, code, &err), 0);
    return id;
}

static void test_totp_required(void **state)
{
    fixture *f = *state;
    error err;
    store_agent ag;
    int req = -1;
    static const struct {
        agent_role role;
        int required_default;
    } cases[] = {{AGENT_ROLE_AGENT, 0},
                 {AGENT_ROLE_MANAGER, 0},
                 {AGENT_ROLE_ELECTED, 1},
                 {AGENT_ROLE_ADMIN, 1}};
    char email[64];
    for (size_t i = 0; i < 4; i++) {
        snprintf(email, sizeof email, "r%zu@ville-demo.test", i);
        int64_t id = add(f, email, cases[i].role, NULL);
        assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
        assert_int_equal(agent_totp_required(f->db.core, &ag, &req, &err), 0);
        assert_int_equal(req, cases[i].required_default);
    }
}

static int apply_setting(store *s, void *arg, error *err)
{
    return s->ops->settings.tx_set(s, "agent_totp_required", arg, err);
}

static void test_totp_required_setting(void **state)
{
    fixture *f = *state;
    error err;
    store_agent ag;
    int req = -1;
    int64_t id = add(f, "agent@ville-demo.test", AGENT_ROLE_AGENT, NULL);
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_int_equal(store_write_sync(f->db.store, apply_setting, "1", &err), 0);
    assert_int_equal(agent_totp_required(f->db.core, &ag, &req, &err), 0);
    assert_int_equal(req, 1);
    assert_int_equal(store_write_sync(f->db.store, apply_setting, "0", &err), 0);
    assert_int_equal(agent_totp_required(f->db.core, &ag, &req, &err), 0);
    assert_int_equal(req, 0);
    /* Once enrolled, an agent always passes the step. */
    char b32[TOTP_SECRET_B32_LEN];
    int64_t id2 = enrol(f, "enrolled@ville-demo.test", AGENT_ROLE_AGENT, b32);
    assert_int_equal(agent_get(f->db.core, f->tenant, id2, &f->a, &ag, &err), 0);
    assert_int_equal(agent_totp_required(f->db.core, &ag, &req, &err), 0);
    assert_int_equal(req, 1);
}

static void test_totp_enrol_and_check(void **state)
{
    fixture *f = *state;
    error err;
    char b32[TOTP_SECRET_B32_LEN];
    int64_t id = add(f, "admin@ville-demo.test", AGENT_ROLE_ADMIN, NULL);
    /* Confirm without a pending enrolment. */
    assert_int_equal(agent_totp_confirm(f->db.core, f->tenant, id, "123456", &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(agent_totp_begin(f->db.core, f->tenant, id, b32, NULL, NULL, &err), 0);
    store_agent ag;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_int_equal(ag.totp_enabled, 0);
    /* Sealed at rest: neither the base32 nor the raw secret appears in the row. */
    assert_non_null(ag.totp_secret);
    assert_true(strncmp(ag.totp_secret, "v1.", 3) == 0);
    assert_null(strstr(ag.totp_secret, b32));
    /* A pending factor does not log in. */
    char code[7];
    current_code(b32, 0, code);
    assert_int_equal(agent_totp_check(f->db.core, &ag, code, &err), -1);
    /* A wrong code does not confirm; the right one does. */
    char wrong[7];
    memcpy(wrong, code, 7);
    wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);
    assert_int_equal(agent_totp_confirm(f->db.core, f->tenant, id, wrong, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(agent_totp_confirm(f->db.core, f->tenant, id, code, &err), 0);
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_int_equal(ag.totp_enabled, 1);
    /* An enabled factor is not replaced by a new enrolment. */
    char other[TOTP_SECRET_B32_LEN];
    assert_int_equal(agent_totp_begin(f->db.core, f->tenant, id, other, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    /* The code used to confirm is spent (replay); the next step's code passes once. */
    assert_int_equal(agent_totp_check(f->db.core, &ag, code, &err), -1);
    char next[7];
    current_code(b32, TOTP_STEP_SECONDS, next);
    assert_int_equal(agent_totp_check(f->db.core, &ag, next, &err), 0);
    assert_int_equal(agent_totp_check(f->db.core, &ag, next, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* Two steps ahead is outside the window. */
    char far[7];
    current_code(b32, 2 * TOTP_STEP_SECONDS + 1, far);
    assert_int_equal(agent_totp_check(f->db.core, &ag, far, &err), -1);
    /* Reset: the factor is gone and a new enrolment may start. */
    assert_int_equal(agent_totp_reset(f->db.core, f->tenant, id, &err), 0);
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_int_equal(ag.totp_enabled, 0);
    assert_null(ag.totp_secret);
    assert_int_equal(agent_totp_begin(f->db.core, f->tenant, id, other, NULL, NULL, &err), 0);
    assert_string_not_equal(other, b32);
}

static void test_totp_lock_after_failures(void **state)
{
    fixture *f = *state;
    error err;
    char b32[TOTP_SECRET_B32_LEN];
    int64_t id = enrol(f, "elu@ville-demo.test", AGENT_ROLE_ELECTED, b32);
    store_agent ag;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    char next[7], wrong[7];
    current_code(b32, TOTP_STEP_SECONDS, next);
    memcpy(wrong, next, 7);
    wrong[2] = wrong[2] == '9' ? '0' : (char)(wrong[2] + 1);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(agent_totp_check(f->db.core, &ag, wrong, &err), -1);
        assert_int_equal(err.code, ERR_UNAUTHORIZED);
    }
    /* Locked: even the right code is refused for a while. */
    assert_int_equal(agent_totp_check(f->db.core, &ag, next, &err), -1);
    assert_int_equal(err.code, ERR_RATE_LIMITED);
}

typedef struct move_arg {
    store_agent ag;
} move_arg;

static int apply_agent_update(store *s, void *arg, error *err)
{
    move_arg *m = arg;
    return s->ops->agents.tx_update(s, &m->ag, err);
}

static void test_sealed_secret_bound_to_row(void **state)
{
    fixture *f = *state;
    error err;
    char b32[TOTP_SECRET_B32_LEN];
    int64_t a_id = enrol(f, "a@ville-demo.test", AGENT_ROLE_AGENT, b32);
    int64_t b_id = add(f, "b@ville-demo.test", AGENT_ROLE_AGENT, "voirie");
    store_agent a, b;
    assert_int_equal(agent_get(f->db.core, f->tenant, a_id, &f->a, &a, &err), 0);
    assert_int_equal(agent_get(f->db.core, f->tenant, b_id, &f->a, &b, &err), 0);
    /* Someone with write access copies A's sealed secret into B's row. */
    move_arg m = {b};
    m.ag.totp_secret = a.totp_secret;
    m.ag.totp_enabled = 1;
    assert_int_equal(store_write_sync(f->db.store, apply_agent_update, &m, &err), 0);
    assert_int_equal(agent_get(f->db.core, f->tenant, b_id, &f->a, &b, &err), 0);
    char next[7];
    current_code(b32, TOTP_STEP_SECONDS, next);
    assert_int_equal(agent_totp_check(f->db.core, &b, next, &err), -1);
    /* A itself still works. */
    assert_int_equal(agent_totp_check(f->db.core, &a, next, &err), 0);
}

static void test_enrolment_svg(void **state)
{
    (void)state;
    buf uri, svg;
    buf_init(&uri, 4096);
    buf_init(&svg, 1 << 20);
    error err;
    assert_int_equal(agent_totp_enrolment("Ville de Démo", "admin@ville-demo.test",
                                          "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", &uri, &svg, LANG_FR,
                                          &err),
                     0);
    assert_true(strncmp(buf_cstr(&uri), "otpauth://totp/Ville%20de%20D%C3%A9mo:admin%40", 46) == 0);
    assert_non_null(strstr(buf_cstr(&svg), "role=\"img\""));
    assert_non_null(strstr(buf_cstr(&svg), "QR code à scanner"));
    buf_free(&uri);
    buf_free(&svg);
}

/* ---- sessions and pending logins ---- */

static int64_t touched_id, touched_at;
static int apply_touch(store *s, void *arg, error *err)
{
    (void)arg;
    return s->ops->sessions.tx_touch(s, touched_id, touched_at, err);
}

static void test_sessions(void **state)
{
    fixture *f = *state;
    error err;
    int64_t id = add(f, "lea@ville-demo.test", AGENT_ROLE_AGENT, "voirie");
    char token[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    assert_true(strlen(token) >= 43);
    store_session se;
    store_agent ag;
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), 0);
    assert_int_equal(ag.id, id);
    assert_int_equal(se.agent_id, id);
    assert_int_equal(se.account_id, 0);
    assert_int_equal(se.expires_at - se.created_at, AGENT_SESSION_MAX_SECONDS);
    assert_true(ag.last_login_at >= se.created_at);
    /* Other tenant, garbage, unknown. */
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant2, token, &f->a, &se, &ag, &err),
                     -1);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, "x'--", &f->a, &se, &ag, &err),
                     -1);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, "AAAA", &f->a, &se, &ag, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* Idle for 30 minutes: ended. */
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), 0);
    touched_id = se.id;
    touched_at = time_now() - AGENT_SESSION_IDLE_SECONDS - 1;
    assert_int_equal(store_write_sync(f->db.store, apply_touch, NULL, &err), 0);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), -1);
    /* Logout, deactivation. */
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    assert_int_equal(agent_session_destroy(f->db.core, f->tenant, token, &err), 0);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), -1);
    assert_int_equal(agent_session_destroy(f->db.core, f->tenant, "unknown", &err), 0);
    char t2[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, t2, &err), 0);
    assert_string_not_equal(token, t2);
    agent_changes ch = {.role = -1, .active = 0};
    assert_int_equal(agent_update(f->db.core, f->tenant, id, &ch, &err), 0);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), -1);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, t2, &f->a, &se, &ag, &err), -1);
    /* No session for an inactive agent. */
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), -1);
    /* destroy_agent ends every session. */
    int64_t id2 = add(f, "paul@ville-demo.test", AGENT_ROLE_AGENT, "voirie");
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id2, token, &err), 0);
    assert_int_equal(agent_session_destroy_agent(f->db.core, f->tenant, id2, &err), 0);
    assert_int_equal(agent_session_lookup(f->db.core, f->tenant, token, &f->a, &se, &ag, &err), -1);
}

static void test_login_floor_survives_restart(void **state)
{
    fixture *f = *state;
    error err;
    char b32[TOTP_SECRET_B32_LEN];
    int64_t id = enrol(f, "floor@ville-demo.test", AGENT_ROLE_ADMIN, b32);
    /* A session records the login time in the row. */
    char token[AGENT_SESSION_TOKEN_LEN];
    assert_int_equal(agent_session_create(f->db.core, f->tenant, id, token, &err), 0);
    store_agent ag;
    assert_int_equal(agent_get(f->db.core, f->tenant, id, &f->a, &ag, &err), 0);
    assert_true(ag.last_login_at > 0);
    /* The memory only knows the confirmation's step; a last login one step later (as after
     * a login with the next code, then a restart) refuses that next code through the row. */
    char next[7];
    code_at_time(b32, ag.last_login_at + TOTP_STEP_SECONDS, next);
    store_agent later = ag;
    later.last_login_at = ag.last_login_at + TOTP_STEP_SECONDS;
    assert_int_equal(agent_totp_check(f->db.core, &later, next, &err), -1);
    assert_int_equal(agent_totp_check(f->db.core, &ag, next, &err), 0);
}

static void test_pending(void **state)
{
    fixture *f = *state;
    error err;
    char v[AGENT_PENDING_LEN];
    int64_t now = time_now(), id = 0;
    agent_pending_make(f->db.core, f->tenant, 42, "totp", now, v);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, v, "totp", now + 10, &id, &err), 0);
    assert_int_equal(id, 42);
    /* Other purpose, other tenant, expired, forged id or expiry, garbage. */
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, v, "enrol", now, &id, &err), -1);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant2, v, "totp", now, &id, &err), -1);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, v, "totp",
                                         now + AGENT_PENDING_SECONDS, &id, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    char forged[AGENT_PENDING_LEN];
    snprintf(forged, sizeof forged, "43%s", strchr(v, '.'));
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, forged, "totp", now, &id, &err),
                     -1);
    char longer[AGENT_PENDING_LEN];
    const char *mac = strrchr(v, '.');
    snprintf(longer, sizeof longer, "42.%" PRId64 "%s", now + 100000, mac);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, longer, "totp", now, &id, &err),
                     -1);
    const char *junk[] = {"", "42", "42.1.", "x.y.z", "-1.5.abc", NULL};
    for (int i = 0; junk[i]; i++)
        assert_int_equal(
            agent_pending_check(f->db.core, f->tenant, junk[i], "totp", now, &id, &err), -1);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, NULL, "totp", now, &id, &err), -1);
    agent_pending_make(f->db.core, f->tenant, 42, "enrol", now, v);
    assert_int_equal(agent_pending_check(f->db.core, f->tenant, v, "enrol", now, &id, &err), 0);
}

/* ---- permissions ---- */

enum { D_OWN = 10, D_OTHER = 20 };

static store_agent mk_agent(agent_role role, int64_t tenant, const int64_t *deps, size_t n,
                            const char *email)
{
    store_agent a = {.id = 5,
                     .tenant_id = tenant,
                     .email = email,
                     .name = "X",
                     .role = agent_role_name(role),
                     .active = 1,
                     .department_ids = deps,
                     .n_departments = n};
    return a;
}

static void test_perm_matrix(void **state)
{
    (void)state;
    static const int64_t own[] = {D_OWN};
    /* Requests: own department, other department, other department but assigned to me,
     * no department, own department of another tenant. */
    store_request r_own = {.id = 1, .tenant_id = 1, .department_id = D_OWN};
    store_request r_other = {
        .id = 2, .tenant_id = 1, .department_id = D_OTHER, .assignee = "agent:someone"};
    store_request r_mine = {
        .id = 3, .tenant_id = 1, .department_id = D_OTHER, .assignee = "agent:moi"};
    store_request r_none = {.id = 4, .tenant_id = 1};
    store_request r_tenant2 = {.id = 5, .tenant_id = 2, .department_id = D_OWN};
    const store_request *reqs[] = {&r_own, &r_other, &r_mine, &r_none, &r_tenant2};
    /* Expected view / change / assign per role and request, in that order. */
    static const struct {
        agent_role role;
        int view[5], change[5], assign[5];
        int bulk, intake, admin, sign, dashboard, tabs;
    } m[] = {
        {AGENT_ROLE_AGENT,
         {1, 0, 1, 0, 0},
         {1, 0, 1, 0, 0},
         {0, 0, 0, 0, 0},
         0,
         1,
         0,
         0,
         0,
         PERM_TAB_MINE | PERM_TAB_DEPARTMENT},
        {AGENT_ROLE_MANAGER,
         {1, 0, 1, 0, 0},
         {1, 0, 1, 0, 0},
         {1, 0, 0, 0, 0},
         1,
         1,
         0,
         0,
         1,
         PERM_TAB_MINE | PERM_TAB_DEPARTMENT | PERM_TAB_TRIAGE},
        {AGENT_ROLE_ELECTED,
         {1, 1, 1, 1, 0},
         {0, 0, 0, 0, 0},
         {0, 0, 0, 0, 0},
         0,
         0,
         0,
         1,
         1,
         PERM_TAB_ALL},
        {AGENT_ROLE_ADMIN,
         {1, 1, 1, 1, 0},
         {1, 1, 1, 1, 0},
         {1, 1, 1, 1, 0},
         1,
         1,
         1,
         1,
         1,
         PERM_TAB_MINE | PERM_TAB_DEPARTMENT | PERM_TAB_TRIAGE | PERM_TAB_ALL},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        store_agent a = mk_agent(m[i].role, 1, own, 1, "moi@ville.test");
        for (int j = 0; j < 5; j++) {
            assert_int_equal(perm_can_view(&a, reqs[j]), m[i].view[j]);
            assert_int_equal(perm_can_change(&a, reqs[j]), m[i].change[j]);
            assert_int_equal(perm_can_assign(&a, reqs[j]), m[i].assign[j]);
        }
        assert_int_equal(perm_can_bulk(&a), m[i].bulk);
        assert_int_equal(perm_can_intake(&a), m[i].intake);
        assert_int_equal(perm_can_admin(&a), m[i].admin);
        assert_int_equal(perm_can_sign(&a), m[i].sign);
        assert_int_equal(perm_can_dashboard(&a), m[i].dashboard);
        assert_int_equal(perm_tabs(&a), m[i].tabs);
        /* «Je prends»: the open, unassigned request of their department (an admin: any
         * they may change); never one already assigned, closed, or of another tenant. */
        int takes = m[i].role != AGENT_ROLE_ELECTED;
        assert_int_equal(perm_can_take(&a, &r_own), takes);
        assert_int_equal(perm_can_take(&a, &r_other), 0);
        assert_int_equal(perm_can_take(&a, &r_mine), 0);
        assert_int_equal(perm_can_take(&a, &r_tenant2), 0);
        assert_int_equal(perm_can_take(&a, &r_none), m[i].role == AGENT_ROLE_ADMIN);
        store_request r_closed = r_own;
        r_closed.closed_at = 100;
        assert_int_equal(perm_can_take(&a, &r_closed), 0);
        /* The same agent, inactive: nothing at all. */
        a.active = 0;
        for (int j = 0; j < 5; j++)
            assert_int_equal(perm_can_view(&a, reqs[j]) + perm_can_change(&a, reqs[j]) +
                                 perm_can_assign(&a, reqs[j]),
                             0);
        assert_int_equal(perm_can_bulk(&a) + perm_can_intake(&a) + perm_can_admin(&a) +
                             perm_can_sign(&a) + perm_can_dashboard(&a) + perm_tabs(&a),
                         0);
    }
    /* Unknown role, NULL agent, NULL request: nothing. */
    store_agent odd = mk_agent(AGENT_ROLE_ADMIN, 1, own, 1, "moi@ville.test");
    odd.role = "superuser";
    assert_int_equal(perm_can_view(&odd, &r_own) + perm_can_admin(&odd), 0);
    assert_int_equal(perm_can_view(NULL, &r_own) + perm_can_admin(NULL) + perm_tabs(NULL), 0);
    store_agent admin = mk_agent(AGENT_ROLE_ADMIN, 1, NULL, 0, "chef@ville.test");
    assert_int_equal(perm_can_view(&admin, NULL), 0);
    /* An admin without departments has no «Mon service» tab. */
    assert_int_equal(perm_tabs(&admin), PERM_TAB_MINE | PERM_TAB_ALL);
}

/* Figures per agent: managers and admins; a manager sees the agents who share one of their
 * departments (themselves included), an admin every agent of the tenant, nobody another
 * tenant's; élus, agents, the inactive and NULL nobody's. */
static void test_perm_agent_figures(void **state)
{
    (void)state;
    static const int64_t own[] = {D_OWN}, other[] = {D_OTHER}, both[] = {D_OTHER, D_OWN};
    store_agent in_own = mk_agent(AGENT_ROLE_AGENT, 1, own, 1, "ana@ville.test");
    store_agent in_both = mk_agent(AGENT_ROLE_AGENT, 1, both, 2, "bob@ville.test");
    store_agent in_other = mk_agent(AGENT_ROLE_MANAGER, 1, other, 1, "chloe@ville.test");
    store_agent none = mk_agent(AGENT_ROLE_ELECTED, 1, NULL, 0, "elu@ville.test");
    store_agent tenant2 = mk_agent(AGENT_ROLE_AGENT, 2, own, 1, "zoe@ville.test");
    const store_agent *targets[] = {&in_own, &in_both, &in_other, &none, &tenant2};
    static const struct {
        agent_role role;
        int can;
        int sees[5];
    } m[] = {
        {AGENT_ROLE_AGENT, 0, {0, 0, 0, 0, 0}},
        {AGENT_ROLE_MANAGER, 1, {1, 1, 0, 0, 0}},
        {AGENT_ROLE_ELECTED, 0, {0, 0, 0, 0, 0}},
        {AGENT_ROLE_ADMIN, 1, {1, 1, 1, 1, 0}},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        store_agent a = mk_agent(m[i].role, 1, own, 1, "moi@ville.test");
        assert_int_equal(perm_can_agent_figures(&a), m[i].can);
        for (int j = 0; j < 5; j++)
            assert_int_equal(perm_sees_agent_figures(&a, targets[j]), m[i].sees[j]);
        assert_int_equal(perm_sees_agent_figures(&a, &a), m[i].can);
        assert_int_equal(perm_sees_agent_figures(&a, NULL), 0);
        a.active = 0;
        assert_int_equal(perm_can_agent_figures(&a) + perm_sees_agent_figures(&a, &in_own), 0);
    }
    assert_int_equal(perm_can_agent_figures(NULL) + perm_sees_agent_figures(NULL, &in_own), 0);
}

static void test_perm_scope(void **state)
{
    (void)state;
    static const int64_t deps[] = {D_OWN, 30};
    error err;
    store_agent agent = mk_agent(AGENT_ROLE_AGENT, 1, deps, 2, "moi@ville.test");
    /* Nothing asked: their departments, and the tenant forced. */
    store_request_filter f = {.tenant_id = 2, .limit = 10};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.tenant_id, 1);
    assert_int_equal(f.n_department_ids, 2);
    assert_int_equal(f.department_ids[0], D_OWN);
    assert_int_equal(f.department_ids[1], 30);
    /* Asked departments are intersected; outside: an impossible id, so nothing matches. */
    f = (store_request_filter){
        .tenant_id = 1, .limit = 10, .n_department_ids = 2, .department_ids = {D_OTHER, 30}};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.n_department_ids, 1);
    assert_int_equal(f.department_ids[0], 30);
    f = (store_request_filter){
        .tenant_id = 1, .limit = 10, .n_department_ids = 1, .department_ids = {D_OTHER}};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.n_department_ids, 1);
    assert_int_equal(f.department_ids[0], -1);
    /* department_id outside stays ANDed with the agent's list: empty result in the store. */
    f = (store_request_filter){.tenant_id = 1, .limit = 10, .department_id = D_OTHER};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.department_id, D_OTHER);
    assert_int_equal(f.n_department_ids, 2);
    /* «À traiter»: assigned to me, any department. */
    f = (store_request_filter){.tenant_id = 1, .limit = 10, .assignee = "agent:moi"};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.n_department_ids, 0);
    /* Assigned to someone else: still restricted. */
    f = (store_request_filter){.tenant_id = 1, .limit = 10, .assignee = "agent:autre"};
    assert_int_equal(perm_scope(&agent, &f, &err), 0);
    assert_int_equal(f.n_department_ids, 2);
    /* References bypass filters in the store: refused for scoped roles. */
    f = (store_request_filter){
        .tenant_id = 1, .limit = 10, .n_references = 1, .references = {"2026-000001"}};
    assert_int_equal(perm_scope(&agent, &f, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    /* No department at all: nothing but what is assigned to them. */
    store_agent lonely = mk_agent(AGENT_ROLE_MANAGER, 1, NULL, 0, "seul@ville.test");
    f = (store_request_filter){.tenant_id = 1, .limit = 10};
    assert_int_equal(perm_scope(&lonely, &f, &err), 0);
    assert_int_equal(f.n_department_ids, 1);
    assert_int_equal(f.department_ids[0], -1);
    /* Admins and élus: the tenant only. */
    store_agent elu = mk_agent(AGENT_ROLE_ELECTED, 1, NULL, 0, "elu@ville.test");
    f = (store_request_filter){
        .tenant_id = 2, .limit = 10, .n_references = 1, .references = {"2026-000001"}};
    assert_int_equal(perm_scope(&elu, &f, &err), 0);
    assert_int_equal(f.tenant_id, 1);
    assert_int_equal(f.n_department_ids, 0);
    store_agent off = agent;
    off.active = 0;
    assert_int_equal(perm_scope(&off, &f, &err), -1);
    assert_int_equal(perm_scope(NULL, &f, &err), -1);
}

/* ---- demo ---- */

static void test_demo_agents(void **state)
{
    fixture *f = *state;
    error err;
    char report[1024] = "";
    FILE *out = fmemopen(report, sizeof report, "w");
    assert_int_equal(agent_demo_load(f->db.core, f->tenant, out, &err), 0);
    fclose(out);
    assert_non_null(strstr(report, AGENT_DEMO_PASSWORD));
    store_agent *all = NULL;
    size_t n = 0;
    assert_int_equal(agent_list(f->db.core, f->tenant, &f->a, &all, &n, &err), 0);
    assert_true(n >= 25);
    store_agent ag;
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "martin.durand@ville-demo.test",
                                        AGENT_DEMO_PASSWORD, &f->a, &ag, NULL, NULL, &err),
                     0);
    assert_string_equal(ag.role, "agent");
    assert_true(perm_in_department(&ag, f->voirie));
    char who[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(&ag, who);
    assert_string_equal(who, "agent:martin.durand");
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "admin@ville-demo.test",
                                        AGENT_DEMO_PASSWORD, &f->a, &ag, NULL, NULL, &err),
                     0);
    assert_string_equal(ag.role, "admin");
    int req = 0;
    assert_int_equal(agent_totp_required(f->db.core, &ag, &req, &err), 0);
    assert_int_equal(req, 1);
    assert_int_equal(agent_authenticate(f->db.core, f->tenant, "elu@ville-demo.test",
                                        AGENT_DEMO_PASSWORD, &f->a, &ag, NULL, NULL, &err),
                     0);
    assert_string_equal(ag.role, "elected");
    /* A second run changes nothing. */
    assert_int_equal(agent_demo_load(f->db.core, f->tenant, NULL, &err), 0);
    size_t n2 = 0;
    assert_int_equal(agent_list(f->db.core, f->tenant, &f->a, &all, &n2, &err), 0);
    assert_int_equal(n2, n);
}

static void test_roles(void **state)
{
    (void)state;
    agent_role r;
    for (int i = 0; i < AGENT_ROLE_COUNT; i++) {
        assert_int_equal(agent_role_parse(agent_role_name((agent_role)i), &r), 0);
        assert_int_equal(r, i);
        assert_true(strlen(agent_role_label((agent_role)i, LANG_FR)) > 0);
    }
    assert_string_equal(agent_role_label(AGENT_ROLE_ELECTED, LANG_FR), "Élu");
    assert_string_equal(agent_role_label(AGENT_ROLE_MANAGER, LANG_EN), "Department manager");
    assert_int_equal(agent_role_parse("Admin", &r), -1);
    assert_int_equal(agent_role_parse(NULL, &r), -1);
    assert_null(agent_role_name(AGENT_ROLE_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_and_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totp_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totp_required_setting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totp_enrol_and_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totp_lock_after_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_secret_bound_to_row, setup, teardown),
        cmocka_unit_test(test_enrolment_svg),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_floor_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
        cmocka_unit_test(test_perm_matrix),
        cmocka_unit_test(test_perm_scope),
        cmocka_unit_test(test_perm_agent_figures),
        cmocka_unit_test_setup_teardown(test_demo_agents, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the caller lookup (core/caller.c): every way of typing a number finds the
 * same caller (requests and accounts stored in E.164); a number util/phone refuses is refused
 * with its problem; an agent sees the caller's requests of their departments only, an API
 * key the collectivité's, an Open311 key and a citizen nothing; the card comes from the
 * latest request; the read is audited as a search with the ids read — on a real SQLite
 * database in a temporary directory.
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
#include <time.h>

#include "core/account.h"
#include "core/admin.h"
#include "core/caller.h"
#include "core/catalogue.h"
#include "core/request.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent voirie, proprete;
    const catalogue *cat;
    const cat_tenant *t;
    request_created pothole, dump, other;
    int64_t account_id;
} fixture;

static request_created file(fixture *f, const char *procedure, const char *first_name,
                            const char *email, const char *phone)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, procedure),
                        .ch = CHANNEL_PHONE,
                        .description = "Signalé au téléphone",
                        .address = "1 rue de la Paix",
                        .first_name = first_name,
                        .last_name = "Martin",
                        .email = email,
                        .phone = phone};
    assert_non_null(in.procedure);
    return test_req_create(f->db.core, &in);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "caller", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t voirie = 0, proprete = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &voirie, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->db.core, &d2, &proprete, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .department_id = voirie,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "depot",
                         .name = "Dépôt sauvage",
                         .department_id = proprete,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    const char *dv = "voirie", *dp = "proprete";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "agnes@ville-test.fr",
                                       AGENT_ROLE_AGENT, &dv, 1, &f->a, &f->voirie),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "paul@ville-test.fr", AGENT_ROLE_AGENT,
                                       &dp, 1, &f->a, &f->proprete),
                     0);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
    /* The caller's two requests, typed two ways, the newer one of propreté; someone else's. */
    f->pothole = file(f, "nid-de-poule", "Camille", "camille@example.org", "06 12 34 56 78");
    f->dump = file(f, "depot", "Camille", "c.martin@example.org", "+33 6 12 34 56 78");
    f->other = file(f, "nid-de-poule", "Dominique", NULL, "07 00 00 00 01");
    /* Her account, with the number typed yet another way. */
    assert_int_equal(account_signup(f->db.core, &f->t->rec, "camille@example.org",
                                    "un mot de passe assez long", "Camille Martin", LANG_FR,
                                    "https://ville-test.fr", NULL, NULL, &err),
                     0);
    store_account acc;
    assert_int_equal(
        account_find(f->db.core, f->tenant_id, "camille@example.org", &f->a, &acc, &err), 0);
    f->account_id = acc.id;
    assert_int_equal(account_update_prefs(f->db.core, f->tenant_id, acc.id, NULL,
                                          "0033 6.12.34.56.78", "sms", "en", NULL, NULL, &err),
                     0);
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

static const store_apikey key = {.id = 3, .name = "standard", .scope = "api"};

/* Every form of the number finds the same two requests, newest first, and the account. */
static void test_forms_find_same_caller(void **state)
{
    fixture *f = *state;
    core_actor who = actor_of_key(&key, "api 192.0.2.9", 0);
    static const char *const forms[] = {"06 12 34 56 78",     "0612345678",
                                        "+33612345678",       "+33 (0)6 12 34 56 78",
                                        "0033 6-12-34-56-78", "06.12.34.56.78"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        caller_card cc;
        error err;
        assert_int_equal(caller_lookup(f->db.core, f->t, &who, forms[i], &f->a, &cc, NULL, &err),
                         0);
        assert_string_equal(cc.phone, "+33612345678");
        assert_int_equal(cc.n_requests, 2);
        assert_int_equal(cc.count, 2);
        assert_string_equal(cc.requests[0].reference, f->dump.reference);
        assert_string_equal(cc.requests[1].reference, f->pothole.reference);
        /* The card: the latest request's name and e-mail, the account with that number. */
        assert_string_equal(cc.first_name, "Camille");
        assert_string_equal(cc.last_name, "Martin");
        assert_string_equal(cc.email, "c.martin@example.org");
        assert_int_equal(cc.n_accounts, 1);
        assert_int_equal(cc.accounts[0].id, f->account_id);
        assert_string_equal(cc.accounts[0].notify, "sms");
        assert_string_equal(cc.accounts[0].lang, "en");
    }
}

/* An unknown number is an empty card, not an error. */
static void test_unknown_number(void **state)
{
    fixture *f = *state;
    core_actor who = actor_of_key(&key, NULL, 0);
    caller_card cc;
    error err;
    assert_int_equal(
        caller_lookup(f->db.core, f->t, &who, "01 23 45 67 89", &f->a, &cc, NULL, &err), 0);
    assert_string_equal(cc.phone, "+33123456789");
    assert_int_equal(cc.n_requests, 0);
    assert_int_equal(cc.count, 0);
    assert_int_equal(cc.n_accounts, 0);
    assert_null(cc.first_name);
    assert_null(cc.email);
}

/* What util/phone refuses, refused the same way, with its problem. */
static void test_refusals(void **state)
{
    fixture *f = *state;
    core_actor who = actor_of_key(&key, NULL, 0);
    static const struct {
        const char *typed;
        phone_problem problem;
        int got;
    } cases[] = {
        {"06 12 34 56", PHONE_LENGTH, 8},
        {"06 12 ab 56 78", PHONE_CHARACTERS, 0},
        {"+0 612 345 678", PHONE_COUNTRY, 0},
        {"+49 151", PHONE_INTL_LENGTH, 5},
        {"   ", PHONE_EMPTY, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        caller_card cc;
        phone_result r;
        error err;
        assert_int_equal(
            caller_lookup(f->db.core, f->t, &who, cases[i].typed, &f->a, &cc, &r, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "phone");
        assert_int_equal(r.problem, cases[i].problem);
        if (cases[i].got)
            assert_int_equal(r.got, cases[i].got);
        assert_int_equal(cc.n_requests, 0);
    }
}

/* An agent sees the caller's requests of their departments; the account is the caller's
 * card whoever looks. Open311 keys and citizens may not look. */
static void test_access_rules(void **state)
{
    fixture *f = *state;
    caller_card cc;
    error err;
    core_actor voirie = actor_of_agent(&f->voirie, "web 192.0.2.1");
    assert_int_equal(caller_lookup(f->db.core, f->t, &voirie, "0612345678", &f->a, &cc, NULL, &err),
                     0);
    assert_int_equal(cc.n_requests, 1);
    assert_int_equal(cc.count, 1);
    assert_string_equal(cc.requests[0].reference, f->pothole.reference);
    assert_string_equal(cc.email, "camille@example.org");
    assert_int_equal(cc.n_accounts, 1);
    core_actor proprete = actor_of_agent(&f->proprete, "web 192.0.2.2");
    assert_int_equal(
        caller_lookup(f->db.core, f->t, &proprete, "0612345678", &f->a, &cc, NULL, &err), 0);
    assert_int_equal(cc.n_requests, 1);
    assert_string_equal(cc.requests[0].reference, f->dump.reference);
    core_actor open311 = actor_of_key(&key, NULL, 1);
    assert_int_equal(
        caller_lookup(f->db.core, f->t, &open311, "0612345678", &f->a, &cc, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        caller_lookup(f->db.core, f->t, &actor_citizen, "0612345678", &f->a, &cc, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
}

/* The audit entry of `kind` and action "search" by actor, once written (the read records it
 * in the background): its ids, or NULL after about five seconds without it. */
static const char *audit_ids(fixture *f, const char *actor, const char *kind)
{
    for (int tries = 0; tries < 500; tries++) {
        store_audit *rows = NULL;
        size_t n = 0;
        error err;
        assert_int_equal(f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a,
                                                      &rows, &n, &err),
                         0);
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].actor, actor) == 0 && strcmp(rows[i].action, "search") == 0 &&
                strcmp(rows[i].object_kind, kind) == 0)
                return rows[i].object_ids;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* The read is audited: the requests' ids and the account's, never the number. */
static void test_audited(void **state)
{
    fixture *f = *state;
    caller_card cc;
    error err;
    core_actor who = actor_of_agent(&f->voirie, "web 192.0.2.1");
    assert_int_equal(
        caller_lookup(f->db.core, f->t, &who, "06 12 34 56 78", &f->a, &cc, NULL, &err), 0);
    char label[32], want[32];
    snprintf(label, sizeof label, "agent:%" PRId64, f->voirie.id);
    const char *ids = audit_ids(f, label, "request");
    assert_non_null(ids);
    snprintf(want, sizeof want, "%" PRId64, cc.requests[0].id);
    assert_string_equal(ids, want);
    ids = audit_ids(f, label, "account");
    assert_non_null(ids);
    snprintf(want, sizeof want, "%" PRId64, f->account_id);
    assert_string_equal(ids, want);
    /* An API key's read too. */
    core_actor api = actor_of_key(&key, "api 192.0.2.9", 0);
    assert_int_equal(caller_lookup(f->db.core, f->t, &api, "+33612345678", &f->a, &cc, NULL, &err),
                     0);
    ids = audit_ids(f, "api:3", "request");
    assert_non_null(ids);
    snprintf(want, sizeof want, "%" PRId64 ",%" PRId64, cc.requests[0].id, cc.requests[1].id);
    assert_string_equal(ids, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forms_find_same_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audited, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mail_contact — a collectivité's contact addresses (core/mail_contact) on a real store:
 * an address added lowercased, its procedure changed by adding it again; one address one
 * collectivité's across the instance (ERR_CONFLICT "address" for the other one, any case);
 * what is refused at once (not an address, a "+", another collectivité's procedure, an
 * inactive one); the limit; the collectivité a message's recipients name (the key's when
 * two are named) and the procedure of new mail; the changes audited.
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
#include "core/catalogue.h"
#include "core/mail_contact.h"
#include "store/store.h"
#include "test_db.h"

/* Collectivité A is test_town's "ville-test"; B is added beside it. */
typedef struct fixture {
    test_town tt;
    int64_t a_id, b_id;
    const cat_tenant *ta, *tb;
} fixture;

static void procedure(fixture *f, int64_t tenant_id, const char *code, int active)
{
    store_procedure p = {.tenant_id = tenant_id,
                         .code = code,
                         .name = code,
                         .group_name = "Vie quotidienne",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = active};
    error err;
    assert_int_equal(admin_procedure_upsert(f->tt.db.core, &p, NULL, &err), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(&f->tt, "mailcontact"), 0);
    f->a_id = f->tt.tenant_id;
    store_tenant b = {.slug = "ville-b",
                      .name = "ville-b",
                      .hosts = "b.test",
                      .timezone = "Europe/Paris",
                      .contact = "m"};
    error err;
    assert_int_equal(admin_tenant_upsert(f->tt.db.core, &b, &f->b_id, &err), 0);
    procedure(f, f->a_id, "voirie", 1);
    procedure(f, f->a_id, "ancienne", 0);
    procedure(f, f->b_id, "ecoles", 1);
    assert_int_equal(test_town_read(&f->tt), 0);
    f->ta = f->tt.t;
    f->tb = catalogue_tenant_by_slug(f->tt.cat, "ville-b");
    assert_non_null(f->tb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_town_close(&f->tt);
    free(f);
    return 0;
}

/* Sets an address of t as the command line, waiting: the outcome, err filled. */
static int set(fixture *f, const cat_tenant *t, const char *address, const char *procedure,
               error *err)
{
    error_clear(err);
    return mail_contact_set_as(f->tt.db.core, &actor_cli, t, address, procedure, NULL, NULL, err);
}

static void test_normalise(void **state)
{
    (void)state;
    char out[MAIL_ADDRESS_MAX + 1];
    assert_int_equal(mail_contact_normalise("  Voirie+2026-000001.ab@Ville.FR ", out, sizeof out),
                     0);
    assert_string_equal(out, "voirie@ville.fr");
    assert_int_equal(mail_contact_normalise("pas une adresse", out, sizeof out), -1);
    assert_int_equal(mail_contact_normalise("a@b@c", out, sizeof out), -1);
    assert_int_equal(mail_contact_normalise("+tag@ville.fr", out, sizeof out), -1);
    assert_int_equal(mail_contact_normalise(NULL, out, sizeof out), -1);
}

static void test_set_list_delete(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(set(f, f->ta, " Contact@Ville-A.test ", "", &err), 0);
    assert_int_equal(set(f, f->ta, "voirie@ville-a.test", "voirie", &err), 0);
    store_mail_address *l = NULL;
    size_t n = 0;
    assert_int_equal(mail_contact_list(f->tt.db.core, f->a_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(l[0].address, "contact@ville-a.test");
    assert_int_equal(l[0].procedure_id, 0);
    assert_string_equal(l[1].address, "voirie@ville-a.test");
    assert_int_equal(l[1].procedure_id, catalogue_procedure(f->ta, "voirie")->rec.id);

    /* Added again: its procedure changes, no second row. */
    assert_int_equal(set(f, f->ta, "CONTACT@ville-a.test", "voirie", &err), 0);
    assert_int_equal(mail_contact_list(f->tt.db.core, f->a_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(l[0].procedure_id, catalogue_procedure(f->ta, "voirie")->rec.id);
    assert_int_equal(set(f, f->ta, "contact@ville-a.test", NULL, &err), 0);
    assert_int_equal(mail_contact_list(f->tt.db.core, f->a_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(l[0].procedure_id, 0);

    /* The other collectivité cannot take it, in any case, nor remove it. */
    assert_int_equal(set(f, f->tb, "Voirie@Ville-A.test", "", &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "address");
    error_clear(&err);
    assert_int_equal(mail_contact_delete_as(f->tt.db.core, &actor_cli, f->b_id,
                                            "voirie@ville-a.test", NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(mail_contact_list(f->tt.db.core, f->b_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(n, 0);

    error_clear(&err);
    assert_int_equal(mail_contact_delete_as(f->tt.db.core, &actor_cli, f->a_id,
                                            "VOIRIE@ville-a.test", NULL, NULL, &err),
                     0);
    assert_int_equal(mail_contact_list(f->tt.db.core, f->a_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(n, 1);
    /* Freed: the other collectivité may have it now. */
    assert_int_equal(set(f, f->tb, "voirie@ville-a.test", "ecoles", &err), 0);
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    error err;
    static const char *const bad[] = {"pas une adresse", "", "voirie+x@ville-a.test",
                                      "a@b@ville-a.test", "x@localhost"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(set(f, f->ta, bad[i], "", &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "address");
    }
    /* Another collectivité's procedure, an inactive one, an unknown one. */
    static const char *const procs[] = {"ecoles", "ancienne", "inconnue"};
    for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++) {
        assert_int_equal(set(f, f->ta, "ok@ville-a.test", procs[i], &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "procedure");
    }
    store_mail_address *l = NULL;
    size_t n = 0;
    assert_int_equal(mail_contact_list(f->tt.db.core, f->a_id, &f->tt.a, &l, &n, &err), 0);
    assert_int_equal(n, 0);
}

static void test_limit(void **state)
{
    fixture *f = *state;
    error err;
    char addr[64];
    for (int i = 0; i < MAIL_CONTACTS_MAX; i++) {
        snprintf(addr, sizeof addr, "c%d@ville-a.test", i);
        assert_int_equal(set(f, f->ta, addr, "", &err), 0);
    }
    assert_int_equal(set(f, f->ta, "one-more@ville-a.test", "", &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "count");
    /* One already there may still change its procedure. */
    assert_int_equal(set(f, f->ta, "c0@ville-a.test", "voirie", &err), 0);
}

static void test_tenant_and_procedure(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(set(f, f->ta, "voirie@ville-a.test", "voirie", &err), 0);
    assert_int_equal(set(f, f->ta, "contact@ville-a.test", "", &err), 0);
    assert_int_equal(set(f, f->tb, "contact@ville-b.test", "ecoles", &err), 0);
    int64_t id = -1;
    const char *none[] = {"inconnu@ailleurs.test", "pas une adresse"};
    assert_int_equal(mail_contact_tenant(f->tt.db.core, none, 2, 0, &id, &err), 0);
    assert_int_equal(id, 0);
    /* A reply token's tag is no part of the address. */
    const char *reply[] = {"inconnu@ailleurs.test", "Contact+2026-000001.ab@VILLE-B.test"};
    assert_int_equal(mail_contact_tenant(f->tt.db.core, reply, 2, 0, &id, &err), 0);
    assert_int_equal(id, f->b_id);
    /* Two collectivités named: the first, unless one is the one preferred. */
    const char *both[] = {"contact@ville-b.test", "voirie@ville-a.test"};
    assert_int_equal(mail_contact_tenant(f->tt.db.core, both, 2, 0, &id, &err), 0);
    assert_int_equal(id, f->b_id);
    assert_int_equal(mail_contact_tenant(f->tt.db.core, both, 2, f->a_id, &id, &err), 0);
    assert_int_equal(id, f->a_id);
    assert_int_equal(mail_contact_tenant(f->tt.db.core, both, 1, f->a_id, &id, &err), 0);
    assert_int_equal(id, f->b_id);

    /* The procedure: the first of t's addresses that has one; another collectivité's
     * address names none of t's. */
    assert_ptr_equal(mail_contact_procedure(f->tt.db.core, f->ta, both, 2),
                     catalogue_procedure(f->ta, "voirie"));
    const char *defaults[] = {"contact@ville-a.test", "contact@ville-b.test"};
    assert_null(mail_contact_procedure(f->tt.db.core, f->ta, defaults, 2));
}

static void test_audited(void **state)
{
    fixture *f = *state;
    error err;
    error_clear(&err);
    store_agent admin;
    assert_int_equal(test_db_add_agent(&f->tt.db, f->a_id, "admin@ville-a.test", AGENT_ROLE_ADMIN,
                                       NULL, 0, &f->tt.a, &admin),
                     0);
    core_actor who = actor_of_agent(&admin, "test");
    assert_int_equal(mail_contact_set_as(f->tt.db.core, &who, f->ta, "audit@ville-a.test", "voirie",
                                         NULL, NULL, &err),
                     0);
    assert_int_equal(mail_contact_delete_as(f->tt.db.core, &who, f->a_id, "audit@ville-a.test",
                                            NULL, NULL, &err),
                     0);
    store_audit *e = NULL;
    size_t n = 0;
    assert_int_equal(
        f->tt.db.store->ops->audit.list(f->tt.db.store, f->a_id, 0, 100, &f->tt.a, &e, &n, &err),
        0);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(e[i].action, "admin") == 0 && strcmp(e[i].object_kind, "mail_contact") == 0;
    assert_int_equal(k, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test_setup_teardown(test_set_list_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_and_procedure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audited, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

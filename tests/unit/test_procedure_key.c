/*
 * test_procedure_key — the keys that file a bare text under a procedure (core/procedure_key),
 * on a real SQLite database: the rule both entrances share (an SMS an incident's only, an
 * e-mail any procedure a text alone can file), and SMS keywords added only by an admin, stored
 * folded, removed once and then unknown (the contact addresses' own writes: test_mail_contact).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/mail_contact.h"
#include "core/procedure_key.h"
#include "core/sms_keyword.h"
#include "test_db.h"

typedef struct fixture {
    test_town town;
    store_agent admin, agent;
    core_actor as_admin, as_agent;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    test_town *tt = &f->town;
    assert_int_equal(test_town_open(tt, "procedure-key"), 0);
    assert_int_equal(test_db_add_incident(&tt->db, tt->tenant_id, "voirie", "Voirie", 0), 0);
    store_procedure q = {.tenant_id = tt->tenant_id,
                         .code = "question",
                         .name = "Question",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    store_procedure off = {.tenant_id = tt->tenant_id,
                           .code = "ancienne",
                           .name = "Ancienne",
                           .kind = PROCEDURE_INCIDENT,
                           .active = 0};
    error err;
    assert_int_equal(admin_procedure_upsert(tt->db.core, &q, NULL, &err), 0);
    assert_int_equal(admin_procedure_upsert(tt->db.core, &off, NULL, &err), 0);
    assert_int_equal(test_db_add_agent(&tt->db, tt->tenant_id, "adele@ville-test.fr",
                                       AGENT_ROLE_ADMIN, NULL, 0, &tt->a, &f->admin),
                     0);
    assert_int_equal(test_db_add_agent(&tt->db, tt->tenant_id, "paul@ville-test.fr",
                                       AGENT_ROLE_AGENT, NULL, 0, &tt->a, &f->agent),
                     0);
    f->as_admin = actor_of_agent(&f->admin, "test");
    f->as_agent = actor_of_agent(&f->agent, "test");
    assert_int_equal(test_town_read(tt), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_town_close(&f->town);
    free(f);
    return 0;
}

static void text_alone(void **state)
{
    fixture *f = *state;
    const cat_tenant *t = f->town.t;
    assert_false(procedure_key_text_ok(NULL));
    assert_true(procedure_key_text_ok(catalogue_procedure(t, "voirie")));
    assert_true(procedure_key_text_ok(catalogue_procedure(t, "question")));
    assert_false(procedure_key_text_ok(catalogue_procedure(t, "ancienne")));
    /* An SMS files incidents only; an e-mail any procedure a text alone can file. */
    assert_true(sms_keyword_procedure_ok(catalogue_procedure(t, "voirie")));
    assert_false(sms_keyword_procedure_ok(catalogue_procedure(t, "question")));
    assert_true(mail_contact_procedure_ok(catalogue_procedure(t, "question")));
}

static void keyword_added_and_removed(void **state)
{
    fixture *f = *state;
    test_town *tt = &f->town;
    core *c = tt->db.core;
    error err;
    assert_int_equal(
        sms_keyword_add_as(c, &f->as_agent, tt->t, "Trou", "voirie", NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    const char *refused[] = {"question", "ancienne", "inconnue"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(
            sms_keyword_add_as(c, &f->as_admin, tt->t, "Trou", refused[i], NULL, NULL, NULL, &err),
            -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "procedure");
    }
    assert_int_equal(
        sms_keyword_add_as(c, &f->as_admin, tt->t, "Trou", "voirie", NULL, NULL, NULL, &err), 0);
    store_sms_keyword *kw = NULL;
    size_t n = 0;
    assert_int_equal(sms_keyword_list(c, tt->tenant_id, &tt->a, &kw, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(kw[0].keyword, "trou");
    assert_int_equal(kw[0].procedure_id, catalogue_procedure(tt->t, "voirie")->rec.id);
    assert_ptr_equal(sms_keyword_procedure(c, tt->t, "trou"), catalogue_procedure(tt->t, "voirie"));
    assert_int_equal(
        sms_keyword_delete_as(c, &f->as_agent, tt->tenant_id, "TROU", NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        sms_keyword_delete_as(c, &f->as_admin, tt->tenant_id, "TROU", NULL, NULL, &err), 0);
    assert_int_equal(
        sms_keyword_delete_as(c, &f->as_admin, tt->tenant_id, "trou", NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_null(sms_keyword_procedure(c, tt->t, "trou"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(text_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(keyword_added_and_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

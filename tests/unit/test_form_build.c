/*
 * test_form_build — the form builder's core: the definition read in the form's order, codes
 * proposed from labels, questions built, moved, renamed and found depended on; a save refused
 * when the form moved on since the version the editor showed; the codes requests answered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/form_build.h"
#include "core/forms.h"
#include "core/request.h"
#include "test_db.h"

static void test_load_order_and_text(void **state)
{
    (void)state;
    /* "order" decides, then the text's order; the array comes back without it. */
    json_t *defs = form_build_load("[{\"code\":\"b\",\"datatype\":\"string\",\"order\":2},"
                                   "{\"code\":\"a\",\"datatype\":\"string\",\"order\":1},"
                                   "{\"code\":\"c\",\"datatype\":\"string\",\"order\":2}]");
    assert_non_null(defs);
    assert_int_equal(json_array_size(defs), 3);
    assert_string_equal(form_build_code(defs, 0), "a");
    assert_string_equal(form_build_code(defs, 1), "b");
    assert_string_equal(form_build_code(defs, 2), "c");
    assert_null(json_object_get(json_array_get(defs, 0), "order"));
    arena a;
    arena_init(&a, 0);
    const char *text = form_build_text(&a, defs);
    attrs_problem pb;
    assert_int_equal(attrs_check(text, &pb), 0);
    json_decref(defs);
    assert_null(form_build_load("{\"code\":\"x\"}"));
    defs = form_build_load("");
    assert_int_equal(json_array_size(defs), 0);
    json_decref(defs);
    arena_free(&a);
}

static void test_code_of(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    json_t *defs = form_build_load("[{\"code\":\"type_de_parcelle\",\"datatype\":\"string\"}]");
    assert_string_equal(form_build_code_of(&a, defs, -1, "Nombre d’invités à la fête ?"),
                        "nombre_d_invites_a_la_fete");
    assert_string_equal(form_build_code_of(&a, defs, -1, "Type de parcelle"), "type_de_parcelle_2");
    /* The question itself may keep its code. */
    assert_string_equal(form_build_code_of(&a, defs, 0, "Type de parcelle"), "type_de_parcelle");
    assert_string_equal(form_build_code_of(&a, defs, -1, "« ? »"), "question");
    const char *long_one = form_build_code_of(
        &a, defs, -1, "Un intitulé vraiment très long qui dépasse largement la limite des codes");
    assert_true(strlen(long_one) <= 40);
    assert_true(form_build_code_valid(long_one));
    assert_false(form_build_code_valid("a-b"));
    assert_false(form_build_code_valid(""));
    assert_true(form_build_code_valid("Ab_9"));
    json_decref(defs);
    arena_free(&a);
}

static void test_build_move_depend_rename(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    json_t *defs = json_array();
    form_build_value vals[] = {{"petit", "Petit", "Small"}, {"autre", "Autre", ""}};
    form_build_question list = {.code = "taille",
                                .kind = "singlevaluelist",
                                .label = "Taille",
                                .required = 1,
                                .values = vals,
                                .n_values = 2};
    assert_int_equal(form_build_insert(defs, 0, form_build_object(&list)), 0);
    const char *const shows[] = {"autre"};
    form_build_question detail = {.code = "precision",
                                  .kind = "string",
                                  .label = "Précisez",
                                  .format = "",
                                  .show_field = "taille",
                                  .show_values = shows,
                                  .n_show_values = 1};
    assert_int_equal(form_build_insert(defs, 1, form_build_object(&detail)), 0);
    assert_int_equal(form_build_insert(defs, 5, json_object()), -1);
    attrs_problem pb;
    assert_int_equal(attrs_check(form_build_text(&a, defs), &pb), 0);
    const json_t *c = json_object_get(json_array_get(defs, 1), "show_if");
    assert_string_equal(json_string_value(json_object_get(c, "equals")), "autre");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_array_get(defs, 0), "values"), 0), "name_en")),
        "Small");
    /* Read back as the editor's form shows it. */
    form_build_question back;
    form_build_read(&a, json_array_get(defs, 1), &back);
    assert_string_equal(back.show_field, "taille");
    assert_int_equal(back.n_show_values, 1);
    assert_string_equal(back.show_values[0], "autre");

    assert_string_equal(form_build_dependent(defs, 0), "precision");
    assert_null(form_build_dependent(defs, 1));
    assert_int_equal(form_build_move(defs, 0, 1), -1);
    assert_int_equal(form_build_move(defs, 1, 0), -1);
    /* Moved above the question it depends on: attrs_check refuses the result. */
    assert_int_equal(form_build_move(defs, 1, 1), 0);
    assert_string_equal(form_build_code(defs, 0), "precision");
    assert_int_equal(attrs_check(form_build_text(&a, defs), &pb), -1);
    assert_int_equal(pb.kind, ATTRS_CONDITION_LATER);
    assert_int_equal(form_build_move(defs, 0, 0), 0);
    form_build_rename(defs, "taille", "dimension");
    json_object_set_new(json_array_get(defs, 0), "code", json_string("dimension"));
    assert_int_equal(attrs_check(form_build_text(&a, defs), &pb), 0);
    assert_int_equal(form_build_find(defs, "dimension"), 0);
    assert_int_equal(form_build_find(defs, "taille"), -1);
    /* An edit keeps what the builder does not edit, drops what it edits and left out. */
    json_t *old = json_loads("{\"code\":\"avis\",\"datatype\":\"string\",\"variable\":false,"
                             "\"format\":\"siret\",\"description\":\"Avis\"}",
                             0, NULL);
    form_build_question notice = {.code = "avis", .kind = "string", .label = "Avis au public"};
    json_t *merged = form_build_merge(old, form_build_object(&notice));
    assert_true(json_is_false(json_object_get(merged, "variable")));
    assert_null(json_object_get(merged, "format"));
    assert_string_equal(json_string_value(json_object_get(merged, "description")),
                        "Avis au public");
    json_decref(merged);
    json_decref(old);
    json_decref(defs);
    arena_free(&a);
}

/* A save made with the version an editor showed is refused once another save made a newer
 * one; the codes a request answered are known. */
static void test_stale_and_answered(void **state)
{
    (void)state;
    test_db db;
    assert_int_equal(test_db_open(&db, "form_build", NULL), 0);
    error err;
    int64_t tenant_id = 0;
    store_tenant t = {.slug = "ville", .name = "Ville", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(db.core, &t, &tenant_id, &err), 0);
    store_procedure p = {.tenant_id = tenant_id,
                         .code = "salle",
                         .name = "Salle",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1,
                         .attributes = "[{\"code\":\"nb\",\"datatype\":\"number\","
                                       "\"description\":\"Nombre\"}]"};
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    p.attributes = "[{\"code\":\"nb\",\"datatype\":\"number\",\"description\":\"Invités\"}]";
    p.seen_form_version = 1;
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    /* The same editor's page again (it showed version 1): refused, nothing written. */
    p.attributes = "[{\"code\":\"nb\",\"datatype\":\"number\",\"description\":\"Autre\"}]";
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "version");
    const catalogue *cat = catalogue_acquire(db.core);
    const cat_tenant *ct = catalogue_tenant_by_slug(cat, "ville");
    const cat_procedure *cp = catalogue_procedure(ct, "salle");
    assert_int_equal(cp->rec.form_version, 2);
    assert_string_equal(attr_label(&cp->attrs[0], LANG_FR), "Invités");
    arena a;
    arena_init(&a, 0);
    int answered = 1;
    assert_int_equal(forms_code_answered(db.core, cp, "nb", &a, &answered, &err), 0);
    assert_int_equal(answered, 0);
    attr_input in[] = {{"nb", "12"}};
    request_input ri = {.tenant = ct,
                        .procedure = cp,
                        .ch = CHANNEL_WEB,
                        .description = "Fête",
                        .attrs = in,
                        .n_attrs = 1,
                        .email = "a@exemple.fr"};
    request_created out;
    assert_int_equal(request_create(db.core, &ri, &out, NULL, NULL, &err), 0);
    assert_int_equal(forms_code_answered(db.core, cp, "nb", &a, &answered, &err), 0);
    assert_int_equal(answered, 1);
    assert_int_equal(forms_code_answered(db.core, cp, "autre", &a, &answered, &err), 0);
    assert_int_equal(answered, 0);
    /* The version saved with the right one goes through. */
    p.seen_form_version = 2;
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    arena_free(&a);
    catalogue_release(db.core, cat);
    test_db_close(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_order_and_text),
        cmocka_unit_test(test_code_of),
        cmocka_unit_test(test_build_move_depend_rename),
        cmocka_unit_test(test_stale_and_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_forms — the new field kinds (e-mail, phone, yes/no, sections, locations), conditional
 * display (its checks, its evaluation, hidden values dropped) and the versions of a procedure's
 * form as core keeps them (a request keeps its version; older versions read back with their
 * labels).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/admin.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/forms.h"
#include "core/request.h"
#include "core/retention.h"
#include "store/store.h"
#include "test_db.h"

/* A section, a yes/no question, a question shown when it is «oui», a section shown only for
 * «autre» of a list, and a question under that section. */
#define FORM                                                                                       \
    "[{\"code\":\"demandeur\",\"datatype\":\"section\",\"description\":\"Vous\","                  \
    "\"datatype_description\":\"Qui fait la demande\"},"                                           \
    "{\"code\":\"courriel\",\"datatype\":\"email\",\"description\":\"Courriel\"},"                 \
    "{\"code\":\"tel\",\"datatype\":\"phone\",\"description\":\"Téléphone\"},"                   \
    "{\"code\":\"asso\",\"datatype\":\"yesno\",\"required\":true,\"description\":\"Association "   \
    "?\"},"                                                                                        \
    "{\"code\":\"siret\",\"datatype\":\"string\",\"format\":\"siret\",\"required\":true,"          \
    "\"description\":\"SIRET\",\"show_if\":{\"field\":\"asso\",\"equals\":\"oui\"}},"              \
    "{\"code\":\"objet\",\"datatype\":\"singlevaluelist\",\"required\":true,\"description\":"      \
    "\"Objet\",\"values\":[{\"key\":\"fete\",\"name\":\"Fête\"},{\"key\":\"autre\",\"name\":"     \
    "\"Autre\"}]},"                                                                                \
    "{\"code\":\"precisions\",\"datatype\":\"section\",\"description\":\"Précisions\","           \
    "\"show_if\":{\"field\":\"objet\",\"in\":[\"autre\"]}},"                                       \
    "{\"code\":\"detail\",\"datatype\":\"text\",\"required\":true,\"description\":\"Détail\"}]"

static void test_kinds(void **state)
{
    (void)state;
    attrs_problem pb;
    assert_int_equal(attrs_check(FORM, &pb), 0);
    arena a;
    arena_init(&a, 0);
    attr_def *defs;
    size_t n;
    error err;
    assert_int_equal(attrs_parse_definitions(&a, FORM, &defs, &n, &err), 0);
    assert_int_equal(n, 8);
    assert_int_equal(defs[0].type, ATTR_SECTION);
    assert_int_equal(defs[0].variable, 0);
    assert_string_equal(attr_hint(&defs[0], LANG_FR), "Qui fait la demande");
    assert_int_equal(defs[1].type, ATTR_STRING);
    assert_int_equal(defs[1].format, ATTR_FORMAT_EMAIL);
    assert_ptr_equal(defs[1].section, &defs[0]);
    assert_int_equal(defs[2].format, ATTR_FORMAT_TELEPHONE);
    assert_int_equal(defs[3].type, ATTR_SINGLEVALUELIST);
    assert_int_equal(defs[3].yesno, 1);
    assert_int_equal(defs[3].n_values, 2);
    assert_string_equal(attr_value_name(&defs[3], "oui", LANG_EN), "Yes");
    assert_int_equal(defs[3].conditional, 0);
    assert_int_equal(defs[4].conditional, 1);
    assert_int_equal(defs[7].conditional, 1); /* by its section */
    assert_ptr_equal(defs[7].section, &defs[6]);
    assert_false(attr_open311_exposed(&defs[0]));
    assert_true(attr_open311_exposed(&defs[3]));
    arena_free(&a);
}

/* Each faulty definition is refused with its kind, the question's rank and the member. */
static void expect_problem(const char *json, attrs_problem_kind kind, size_t item,
                           const char *member)
{
    attrs_problem pb;
    assert_int_equal(attrs_check(json, &pb), -1);
    assert_string_equal(attrs_problem_name(pb.kind), attrs_problem_name(kind));
    assert_int_equal(pb.item, item);
    assert_string_equal(pb.member, member);
}

static void test_checks(void **state)
{
    (void)state;
    expect_problem("[{\"code\":\"a\",\"datatype\":\"string\"},{\"code\":\"b\",\"datatype\":"
                   "\"string\",\"show_if\":{\"field\":\"z\",\"equals\":\"x\"}}]",
                   ATTRS_CONDITION_UNKNOWN, 2, "z");
    /* Later by order, though earlier in the text. */
    expect_problem("[{\"code\":\"b\",\"datatype\":\"string\",\"order\":1,\"show_if\":"
                   "{\"field\":\"a\",\"equals\":\"x\"}},{\"code\":\"a\",\"datatype\":\"string\","
                   "\"order\":2}]",
                   ATTRS_CONDITION_LATER, 1, "a");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"section\"},{\"code\":\"b\",\"datatype\":"
                   "\"string\",\"show_if\":{\"field\":\"a\",\"equals\":\"x\"}}]",
                   ATTRS_CONDITION_NOT_ASKED, 2, "a");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"yesno\"},{\"code\":\"b\",\"datatype\":"
                   "\"string\",\"show_if\":{\"field\":\"a\",\"in\":[\"oui\",\"peut-etre\"]}}]",
                   ATTRS_CONDITION_BAD_VALUE, 2, "peut-etre");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"yesno\"},{\"code\":\"b\",\"datatype\":"
                   "\"string\",\"show_if\":{\"field\":\"a\",\"equals\":\"oui\",\"in\":[]}}]",
                   ATTRS_BAD_CONDITION, 2, "show_if");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"yesno\"},{\"code\":\"b\",\"datatype\":"
                   "\"string\",\"show_if\":{\"field\":\"a\",\"equals\":3}}]",
                   ATTRS_BAD_CONDITION, 2, "equals");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"yesno\",\"values\":[{\"key\":\"k\","
                   "\"name\":\"K\"}]}]",
                   ATTRS_YESNO_VALUES, 1, "values");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"email\",\"format\":\"siret\"}]",
                   ATTRS_FORMAT_NOT_STRING, 1, "format");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"string\"},{\"code\":\"a\",\"datatype\":"
                   "\"text\"}]",
                   ATTRS_REPEATED_CODE, 2, "code");
    expect_problem("[{\"code\":\"a\",\"datatype\":\"signature\"}]", ATTRS_BAD_DATATYPE, 1,
                   "signature");
}

static void test_conditions(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs;
    size_t n;
    error err;
    assert_int_equal(attrs_parse_definitions(&a, FORM, &defs, &n, &err), 0);
    const attr_def *siret = attrs_find(defs, n, "siret"), *detail = attrs_find(defs, n, "detail");

    /* «non», «fête»: the SIRET and the «précisions» section are hidden, so neither is
     * required, and a value sent for them is dropped unchecked. */
    attr_input no[] = {
        {"asso", "non"}, {"siret", "pas un siret"}, {"objet", "fete"}, {"detail", "x"}};
    assert_false(attrs_shown(defs, n, siret, no, 4));
    assert_false(attrs_shown(defs, n, detail, no, 4));
    const char *json = NULL;
    assert_int_equal(attrs_validate(&a, defs, n, no, 4, NULL, &json, &err), 0);
    assert_string_equal(json, "{\"asso\":\"non\",\"objet\":\"fete\"}");

    /* «oui», «autre»: both shown, and required. */
    attr_input yes[] = {{"asso", "oui"}, {"objet", "autre"}};
    assert_true(attrs_shown(defs, n, siret, yes, 2));
    assert_true(attrs_shown(defs, n, detail, yes, 2));
    assert_int_equal(attrs_validate(&a, defs, n, yes, 2, NULL, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "attribute[siret]");
    attr_input all[] = {{"asso", "oui"},
                        {"siret", "732 829 320 00074"},
                        {"objet", "autre"},
                        {"detail", "Un vide-grenier"},
                        {"courriel", "pas-une-adresse"}};
    assert_int_equal(attrs_validate(&a, defs, n, all, 5, NULL, &json, &err), -1);
    assert_string_equal(err.arg, "attribute[courriel]");
    all[4].value = "a@exemple.fr";
    assert_int_equal(attrs_validate(&a, defs, n, all, 5, NULL, &json, &err), 0);
    assert_non_null(strstr(json, "\"siret\":\"73282932000074\""));
    assert_non_null(strstr(json, "\"detail\":\"Un vide-grenier\""));
    /* A file question: its value is a file's name, required only where files come with it
     * (the portal's form); elsewhere a value given for it is dropped. */
    attr_def *file_defs;
    size_t nf;
    assert_int_equal(attrs_parse_definitions(&a,
                                             "[{\"code\":\"piece\",\"datatype\":\"file\","
                                             "\"required\":true}]",
                                             &file_defs, &nf, &err),
                     0);
    assert_int_equal(file_defs[0].type, ATTR_FILE);
    assert_false(attr_open311_exposed(&file_defs[0]));
    attrs_policy portal = {.files = 1};
    attr_input piece[] = {{"piece", "facture.pdf"}};
    assert_int_equal(attrs_validate(&a, file_defs, nf, piece, 0, &portal, &json, &err), -1);
    assert_string_equal(err.arg, "attribute[piece]");
    assert_int_equal(attrs_validate(&a, file_defs, nf, piece, 1, &portal, &json, &err), 0);
    assert_string_equal(json, "{\"piece\":\"facture.pdf\"}");
    assert_int_equal(attrs_validate(&a, file_defs, nf, piece, 1, NULL, &json, &err), 0);
    assert_string_equal(json, "{}");
    /* A section is never given a value. */
    attr_input section[] = {{"asso", "non"}, {"objet", "fete"}, {"demandeur", "x"}};
    assert_int_equal(attrs_validate(&a, defs, n, section, 3, NULL, &json, &err), -1);
    assert_string_equal(err.arg, "attribute[demandeur]");
    arena_free(&a);
}

/* A location question: an address as text, or with its position as JSON text
 * (attr_location_input); stored as an object {address, lat, lon}; refused when it is not one
 * line, when one degree comes without the other or out of range; asked, hence required, only
 * where the entrance asks it (not by Open311, which does not expose it). */
static void test_location(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs;
    size_t n;
    error err;
    const char *def = "[{\"code\":\"lieu\",\"datatype\":\"location\",\"required\":true,"
                      "\"description\":\"Lieu de l'événement\"}]";
    attrs_problem pb;
    assert_int_equal(attrs_check(def, &pb), 0);
    assert_int_equal(attrs_parse_definitions(&a, def, &defs, &n, &err), 0);
    assert_int_equal(defs[0].type, ATTR_LOCATION);
    assert_string_equal(attr_type_name(ATTR_LOCATION), "location");
    assert_false(attr_open311_exposed(&defs[0]));
    /* A location is asked without values, a format or a list. */
    assert_int_equal(attrs_check("[{\"code\":\"lieu\",\"datatype\":\"location\","
                                 "\"format\":\"siret\"}]",
                                 &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_FORMAT_NOT_STRING);

    attrs_policy portal = {.tz = "Europe/Paris", .locations = 1};
    const char *json;
    /* With the position the address list gave: stored as numbers. */
    const char *given =
        attr_location_input(&a, "12 Rue Victor Hugo, 69999 Ville", "45.7612345", "4.8512345");
    assert_string_equal(given, "{\"address\":\"12 Rue Victor Hugo, 69999 Ville\","
                               "\"lat\":45.7612345,\"lon\":4.8512345}");
    attr_input with_pos[] = {{"lieu", given}};
    assert_int_equal(attrs_validate(&a, defs, n, with_pos, 1, &portal, &json, &err), 0);
    assert_string_equal(json, "{\"lieu\":{\"address\":\"12 Rue Victor Hugo, 69999 Ville\","
                              "\"lat\":45.7612345,\"lon\":4.8512345}}");
    /* What is stored reads back. */
    json_t *root = json_loads(json, 0, NULL);
    int has_pos;
    double lat, lon;
    assert_string_equal(attr_location_of(json_object_get(root, "lieu"), &has_pos, &lat, &lon),
                        "12 Rue Victor Hugo, 69999 Ville");
    assert_int_equal(has_pos, 1);
    assert_true(lat > 45.76 && lat < 45.77 && lon > 4.85 && lon < 4.86);
    assert_null(attr_location_of(json_object_get(root, "absent"), &has_pos, &lat, &lon));
    assert_int_equal(has_pos, 0);
    json_decref(root);

    /* An address alone, as text or as the object without a position. */
    attr_input text[] = {{"lieu", "devant le stade"}};
    assert_int_equal(attrs_validate(&a, defs, n, text, 1, &portal, &json, &err), 0);
    assert_string_equal(json, "{\"lieu\":{\"address\":\"devant le stade\"}}");
    attr_input bare[] = {{"lieu", attr_location_input(&a, "devant le stade", "", NULL)}};
    assert_int_equal(attrs_validate(&a, defs, n, bare, 1, &portal, &json, &err), 0);
    assert_string_equal(json, "{\"lieu\":{\"address\":\"devant le stade\"}}");

    /* Refused, naming the question. */
    static const struct {
        const char *value, *why;
    } bad[] = {
        {"{\"address\":\"Place\",\"lat\":45.7}", "both its latitude and its longitude"},
        {"{\"address\":\"Place\",\"lat\":91,\"lon\":4}", "within"},
        {"{\"address\":\"Place\",\"lat\":45,\"lon\":-180.5}", "within"},
        {"{\"address\":\"Place\",\"lat\":\"45\",\"lon\":\"4\"}", "decimal degrees"},
        {"{\"address\":\"Place\",\"altitude\":3}", "members address, lat and lon"},
        {"{\"lat\":45,\"lon\":4}", "members address, lat and lon"},
        {"{pas du json", "members address, lat and lon"},
        {"{\"address\":\"\"}", "one line"},
        {"deux\nlignes", "one line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        attr_input in[] = {{"lieu", bad[i].value}};
        assert_int_equal(attrs_validate(&a, defs, n, in, 1, &portal, &json, &err), -1);
        assert_string_equal(err.arg, "attribute[lieu]");
        if (!strstr(err.detail, bad[i].why))
            fail_msg("%s: %s", bad[i].value, err.detail);
    }
    /* Degrees that are not numbers are written as given, for the check to refuse. */
    attr_input typed[] = {{"lieu", attr_location_input(&a, "Place", "45,7", "4.8")}};
    assert_int_equal(attrs_validate(&a, defs, n, typed, 1, &portal, &json, &err), -1);
    /* Too long an address. */
    char *longer = arena_alloc(&a, ATTR_STRING_MAX + 2);
    memset(longer, 'a', ATTR_STRING_MAX + 1);
    longer[ATTR_STRING_MAX + 1] = '\0';
    attr_input too_long[] = {{"lieu", longer}};
    assert_int_equal(attrs_validate(&a, defs, n, too_long, 1, &portal, &json, &err), -1);

    /* Required where it is asked; where it is not (Open311), neither required nor kept. */
    assert_int_equal(attrs_validate(&a, defs, n, text, 0, &portal, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    attrs_policy open311 = {.tz = "Europe/Paris", .ignore_unknown = 1};
    assert_int_equal(attrs_validate(&a, defs, n, text, 0, &open311, &json, &err), 0);
    assert_int_equal(attrs_validate(&a, defs, n, text, 1, &open311, &json, &err), 0);
    assert_string_equal(json, "{}");
    arena_free(&a);
}

/* The versions core keeps: a request filed under version 1 reads its answers with version
 * 1's labels after the form changed, saving the same form again makes no version. */
static void test_versions(void **state)
{
    (void)state;
    test_db db;
    assert_int_equal(test_db_open(&db, "forms", NULL), 0);
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
                                       "\"description\":\"Nombre de personnes\"}]"};
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    const catalogue *cat = catalogue_acquire(db.core);
    const cat_tenant *ct = catalogue_tenant_by_slug(cat, "ville");
    const cat_procedure *cp = catalogue_procedure(ct, "salle");
    assert_int_equal(cp->rec.form_version, 1);
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
    catalogue_release(db.core, cat);

    /* The same form saved again: no new version. */
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    p.attributes = "[{\"code\":\"nb\",\"datatype\":\"number\",\"description\":\"Invités\"}]";
    p.version_summary = "Libellé plus court";
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);

    cat = catalogue_acquire(db.core);
    ct = catalogue_tenant_by_slug(cat, "ville");
    cp = catalogue_procedure(ct, "salle");
    assert_int_equal(cp->rec.form_version, 2);
    arena a;
    arena_init(&a, 0);
    store_procedure_version *hist;
    size_t n;
    assert_int_equal(forms_history(db.core, cp, &a, &hist, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hist[0].version, 2);
    assert_string_equal(hist[0].summary, "Libellé plus court");
    assert_string_equal(hist[0].created_by, "cli");
    store *s = core_store(db.core);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, tenant_id, out.reference, &a, &r, &found, &err), 0);
    assert_int_equal(r.procedure_version, 1);
    const attr_def *defs;
    size_t nd;
    forms_at(db.core, cp, r.procedure_version, &a, &defs, &nd);
    assert_int_equal(nd, 1);
    assert_string_equal(attr_label(&defs[0], LANG_FR), "Nombre de personnes");
    forms_at(db.core, cp, 2, &a, &defs, &nd);
    assert_string_equal(attr_label(&defs[0], LANG_FR), "Invités");
    /* A version the store does not have: the current form. */
    forms_at(db.core, cp, 9, &a, &defs, &nd);
    assert_string_equal(attr_label(&defs[0], LANG_FR), "Invités");

    /* A request filed now gets version 2. */
    ri.procedure = cp;
    ri.tenant = ct;
    assert_int_equal(request_create(db.core, &ri, &out, NULL, NULL, &err), 0);
    assert_int_equal(s->ops->requests.get(s, tenant_id, out.reference, &a, &r, &found, &err), 0);
    assert_int_equal(r.procedure_version, 2);
    arena_free(&a);
    catalogue_release(db.core, cat);
    test_db_close(&db);
}

/* Anonymising keeps an incident's list answers as the version it was filed under says: a
 * question that was a list then keeps its key, though it is free text now, and one that was
 * free text then goes, though it is a list now. */
static void test_retention_reads_its_version(void **state)
{
    (void)state;
    test_db db;
    assert_int_equal(test_db_open(&db, "forms-retention", NULL), 0);
    error err;
    int64_t tenant_id = 0;
    store_tenant t = {.slug = "ville", .name = "Ville", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(db.core, &t, &tenant_id, &err), 0);
    store_procedure p = {.tenant_id = tenant_id,
                         .code = "trou",
                         .name = "Trou",
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1,
                         .attributes = "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\","
                                       "\"values\":[{\"key\":\"grand\",\"name\":\"Grand\"}]},"
                                       "{\"code\":\"plaque\",\"datatype\":\"string\"}]"};
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);
    const catalogue *cat = catalogue_acquire(db.core);
    const cat_tenant *ct = catalogue_tenant_by_slug(cat, "ville");
    attr_input in[] = {{"taille", "grand"}, {"plaque", "AB-123-CD"}};
    request_input ri = {.tenant = ct,
                        .procedure = catalogue_procedure(ct, "trou"),
                        .ch = CHANNEL_WEB,
                        .description = "Trou",
                        .has_location = 1,
                        .lat = 45.7,
                        .lon = 4.8,
                        .attrs = in,
                        .n_attrs = 2,
                        .initial_status = "resolved"};
    request_created out;
    assert_int_equal(request_create(db.core, &ri, &out, NULL, NULL, &err), 0);
    catalogue_release(db.core, cat);
    /* Version 2 swaps them: «taille» free text, «plaque» a list. */
    p.attributes = "[{\"code\":\"taille\",\"datatype\":\"string\"},{\"code\":\"plaque\","
                   "\"datatype\":\"singlevaluelist\",\"values\":[{\"key\":\"AB-123-CD\","
                   "\"name\":\"x\"}]}]";
    assert_int_equal(admin_procedure_upsert(db.core, &p, NULL, &err), 0);

    cat = catalogue_acquire(db.core);
    ct = catalogue_tenant_by_slug(cat, "ville");
    int64_t ids[] = {out.id};
    size_t done = 0;
    int64_t later = (int64_t)time(NULL) + 200LL * 366 * 86400;
    assert_int_equal(request_anonymise(db.core, ct, ids, 1, later, 0, NULL, &done, &err), 0);
    assert_int_equal(done, 1);
    arena a;
    arena_init(&a, 0);
    store *s = core_store(db.core);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, tenant_id, out.reference, &a, &r, &found, &err), 0);
    assert_string_equal(r.attributes, "{\"taille\":\"grand\"}");
    arena_free(&a);
    catalogue_release(db.core, cat);
    test_db_close(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),      cmocka_unit_test(test_checks),
        cmocka_unit_test(test_conditions), cmocka_unit_test(test_location),
        cmocka_unit_test(test_versions),   cmocka_unit_test(test_retention_reads_its_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

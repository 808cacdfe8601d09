/*
 * Unit tests of core: statuses, attribute definitions and validation, the catalogue (hosts,
 * reloads), request creation (validation, references, idempotency), changes and their
 * events, and API keys — on a real SQLite database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/apikey.h"
#include "core/attachment.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "store/store.h"
#include "test_db.h"

/* The agents' software acting through an API key (audited: the audit log names no agent that
 * the database does not hold). */
static const core_actor test_agent_durand = {.kind = ACTOR_KEY, .id = 7, .name = "durand"};

static const char *ATTRS =
    "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"required\":true,\"order\":2,"
    "\"description\":\"Taille\",\"values\":[{\"key\":\"petit\",\"name\":\"Petit\"},"
    "{\"key\":\"grand\",\"name\":\"Grand\"}]},"
    "{\"code\":\"nombre\",\"datatype\":\"number\",\"order\":1},"
    "{\"code\":\"quand\",\"datatype\":\"datetime\",\"order\":3},"
    "{\"code\":\"lampadaire\",\"datatype\":\"string\",\"order\":4},"
    "{\"code\":\"details\",\"datatype\":\"text\",\"order\":5},"
    "{\"code\":\"dechets\",\"datatype\":\"multivaluelist\",\"order\":6,"
    "\"values\":[{\"key\":\"verre\",\"name\":\"Verre\"},{\"key\":\"bois\",\"name\":\"Bois\"}]},"
    "{\"code\":\"info\",\"datatype\":\"string\",\"variable\":false,\"order\":7,"
    "\"description\":\"Pour information\"}]";

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "core", NULL), 0);
    error err;
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep_id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep_id, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->db.core, &d2, NULL, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id, .code = "nid-de-poule", .name = "Nid de poule",
                         .group_name = "Signaler un problème", .attributes = ATTRS,
                         .department_id = dep_id, .kind = PROCEDURE_INCIDENT, .is_public = 1,
                         .open311 = 1, .delay_days = 7, .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id, .code = "question", .name = "Question",
                         .group_name = "Vie quotidienne", .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
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

/* A valid incident input for the fixture's tenant; the caller holds cat. */
static request_input incident(const catalogue *cat)
{
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-test");
    static const attr_input attrs[] = {{"taille", "grand"}, {"dechets", "verre"},
                                       {"dechets", "bois"}, {"nombre", "3"}};
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, "nid-de-poule"),
                        .ch = CHANNEL_WEB,
                        .description = "Un trou profond devant l'école",
                        .has_location = 1,
                        .lat = 45.76,
                        .lon = 4.83,
                        .attrs = attrs,
                        .n_attrs = 4,
                        .email = "jeanne@exemple.fr",
                        .require_location = 1};
    return in;
}

/* The ownership rule of the citizen's pages: the account that filed it, or the account's
 * verified address (any case); never an unverified one. */
static void test_request_owned_by(void **state)
{
    (void)state;
    store_account acc = {.id = 7, .email = "jeanne@exemple.fr", .email_verified_at = 1000};
    store_request r = {.citizen_id = 7};
    assert_true(request_owned_by(&r, &acc));
    r.citizen_id = 8;
    assert_false(request_owned_by(&r, &acc));
    r.email = "Jeanne@Exemple.fr";
    assert_true(request_owned_by(&r, &acc));
    acc.email_verified_at = 0;
    assert_false(request_owned_by(&r, &acc));
    r.citizen_id = 0;
    assert_false(request_owned_by(&r, &acc));
    acc.email_verified_at = 1000;
    r.email = "autre@exemple.fr";
    assert_false(request_owned_by(&r, &acc));
    r.email = NULL;
    assert_false(request_owned_by(&r, &acc));

    /* the same rule as a search filter */
    store_request_filter f = {.tenant_id = 3, .limit = 10};
    request_filter_owned_by(&f, &acc);
    assert_int_equal(f.citizen_id, 7);
    assert_string_equal(f.citizen_email, "jeanne@exemple.fr");
    assert_int_equal(f.tenant_id, 3);
    assert_int_equal(f.limit, 10);
    acc.email_verified_at = 0;
    request_filter_owned_by(&f, &acc);
    assert_null(f.citizen_email);
}

/* Only a photo a moderator approved may be shown publicly. */
static void test_attachment_is_public_photo(void **state)
{
    (void)state;
    store_attachment at = {.is_photo = 1, .moderation = "approved"};
    assert_true(attachment_is_public_photo(&at));
    at.moderation = "pending";
    assert_false(attachment_is_public_photo(&at));
    at.moderation = "rejected";
    assert_false(attachment_is_public_photo(&at));
    at.moderation = NULL;
    assert_false(attachment_is_public_photo(&at));
    at.moderation = "approved";
    at.is_photo = 0; /* a PDF may hold personal data */
    assert_false(attachment_is_public_photo(&at));
}

static void test_attrs(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(attrs_parse_definitions(&a, ATTRS, &defs, &n, &err), 0);
    assert_int_equal(n, 7);
    assert_string_equal(defs[0].code, "nombre"); /* sorted by order */
    assert_int_equal(defs[1].type, ATTR_SINGLEVALUELIST);
    assert_int_equal(defs[1].n_values, 2);
    assert_false(defs[6].variable);

    const char *json = NULL;
    attr_input ok[] = {{"taille", "petit"}, {"quand", "2026-03-01T14:30:00+01:00"},
                       {"dechets", "bois"}, {"dechets", "verre"}, {"details", "ligne 1\nligne 2"}};
    assert_int_equal(attrs_validate(&a, defs, n, ok, 5, NULL, &json, &err), 0);
    assert_string_equal(json, "{\"taille\":\"petit\",\"quand\":\"2026-03-01T14:30:00+01:00\","
                              "\"details\":\"ligne 1\\nligne 2\",\"dechets\":[\"bois\",\"verre\"]}");

    struct {
        attr_input in;
        err_code code;
        const char *arg;
    } bad[] = {
        {{"taille", "moyen"}, ERR_INVALID_ARG, "attribute[taille]"},
        {{"nombre", "trois"}, ERR_INVALID_ARG, "attribute[nombre]"},
        {{"nombre", "inf"}, ERR_INVALID_ARG, "attribute[nombre]"},
        {{"quand", "hier"}, ERR_INVALID_ARG, "attribute[quand]"},
        {{"lampadaire", "a\nb"}, ERR_INVALID_ARG, "attribute[lampadaire]"},
        {{"inconnu", "x"}, ERR_INVALID_ARG, "attribute[inconnu]"},
        {{"info", "x"}, ERR_INVALID_ARG, "attribute[info]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        attr_input in[2] = {{"taille", "petit"}, bad[i].in};
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, NULL, &json, &err), -1);
        assert_int_equal(err.code, bad[i].code);
        assert_string_equal(err.arg, bad[i].arg);
    }
    attr_input missing[] = {{"nombre", "2"}};
    assert_int_equal(attrs_validate(&a, defs, n, missing, 1, NULL, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "attribute[taille]");
    attr_input twice[] = {{"taille", "petit"}, {"taille", "grand"}};
    assert_int_equal(attrs_validate(&a, defs, n, twice, 2, NULL, &json, &err), -1);

    assert_int_equal(attrs_parse_definitions(&a, "{\"not\":\"an array\"}", &defs, &n, &err), -1);
    assert_int_equal(attrs_parse_definitions(&a, "[{\"code\":\"x\",\"datatype\":\"color\"}]",
                                             &defs, &n, &err),
                     -1);
    assert_int_equal(attrs_parse_definitions(
                         &a, "[{\"code\":\"x\",\"datatype\":\"singlevaluelist\"}]", &defs, &n,
                         &err),
                     -1);
    arena_free(&a);
}

/* English texts of questions: given ones on English pages, the French otherwise; the strict
 * check names the question, the value and the member at fault. */
static void test_attrs_english(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    const char *json =
        "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"description\":\"Taille\","
        "\"description_en\":\"Size\",\"datatype_description\":\"Choisissez\","
        "\"values\":[{\"key\":\"p\",\"name\":\"Petit\",\"name_en\":\"Small\"},"
        "{\"key\":\"g\",\"name\":\"Grand\"}]},{\"code\":\"n\",\"datatype\":\"number\"}]";
    assert_int_equal(attrs_parse_definitions(&a, json, &defs, &n, &err), 0);
    attrs_problem pb;
    assert_int_equal(attrs_check(json, &pb), 0);
    assert_string_equal(attr_label(&defs[0], LANG_EN), "Size");
    assert_string_equal(attr_label(&defs[0], LANG_FR), "Taille");
    assert_string_equal(attr_hint(&defs[0], LANG_EN), "Choisissez"); /* no English hint */
    assert_string_equal(attr_value_name(&defs[0], "p", LANG_EN), "Small");
    assert_string_equal(attr_value_name(&defs[0], "g", LANG_EN), "Grand");
    assert_string_equal(attr_value_name(&defs[0], "p", LANG_FR), "Petit");
    assert_string_equal(attr_value_name(&defs[0], "x", LANG_EN), "x");
    assert_string_equal(attr_label(&defs[1], LANG_EN), "n"); /* no label: the code */
    assert_ptr_equal(attrs_find(defs, n, "n"), &defs[1]);
    assert_null(attrs_find(defs, n, "absent"));

    assert_int_equal(attrs_check("[{\"code\":\"t\",\"datatype\":\"singlevaluelist\","
                                 "\"values\":[{\"key\":\"p\",\"name\":\"P\"},"
                                 "{\"key\":\"q\",\"name\":\"Q\",\"name_en\":5}]}]",
                                 &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_NOT_TEXT);
    assert_int_equal(pb.item, 1);
    assert_int_equal(pb.value, 2);
    assert_string_equal(pb.code, "t");
    assert_string_equal(pb.member, "name_en");
    assert_string_equal(attrs_problem_name(pb.kind), "not_text");
    /* Unknown members: refused by the strict check, ignored by what reads the catalogue. */
    const char *typo = "[{\"code\":\"t\",\"datatype\":\"string\",\"descripton\":\"x\"}]";
    assert_int_equal(attrs_check(typo, &pb), -1);
    assert_int_equal(pb.kind, ATTRS_UNKNOWN_MEMBER);
    assert_string_equal(pb.member, "descripton");
    assert_int_equal(attrs_parse_definitions(&a, typo, &defs, &n, &err), 0);
    assert_int_equal(attrs_check("[{\"code\":\"t\",\"datatype\":\"string\"},", &pb), -1);
    assert_int_equal(pb.kind, ATTRS_SYNTAX);
    assert_int_equal(pb.line, 1);
    arena_free(&a);
}

/* Formats of string questions: the strict check names an unknown format and a format on
 * another datatype; values are checked and stored normalised, with an English detail. */
static void test_attrs_format(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attrs_problem pb;
    assert_int_equal(attrs_check("[{\"code\":\"s\",\"datatype\":\"string\","
                                 "\"format\":\"sirette\"}]",
                                 &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_BAD_FORMAT);
    assert_string_equal(pb.member, "sirette");
    assert_string_equal(pb.code, "s");
    assert_string_equal(attrs_problem_name(pb.kind), "bad_format");
    assert_int_equal(attrs_check("[{\"code\":\"s\",\"datatype\":\"string\",\"format\":5}]", &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_BAD_FORMAT);
    assert_int_equal(attrs_check("[{\"code\":\"s\",\"datatype\":\"string\",\"format\":\"\"}]", &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_BAD_FORMAT);
    assert_int_equal(attrs_check("[{\"code\":\"n\",\"datatype\":\"number\","
                                 "\"format\":\"siret\"}]",
                                 &pb),
                     -1);
    assert_int_equal(pb.kind, ATTRS_FORMAT_NOT_STRING);
    assert_string_equal(pb.member, "format");

    const char *json =
        "[{\"code\":\"siret\",\"datatype\":\"string\",\"format\":\"siret\",\"order\":1},"
        "{\"code\":\"iban\",\"datatype\":\"string\",\"format\":\"iban\",\"order\":2},"
        "{\"code\":\"tel\",\"datatype\":\"string\",\"format\":\"telephone\",\"order\":3},"
        "{\"code\":\"cp\",\"datatype\":\"string\",\"format\":\"code_postal\",\"order\":4},"
        "{\"code\":\"mail\",\"datatype\":\"string\",\"format\":\"email\",\"order\":5},"
        "{\"code\":\"siren\",\"datatype\":\"string\",\"format\":\"siren\",\"order\":6}]";
    assert_int_equal(attrs_check(json, &pb), 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(attrs_parse_definitions(&a, json, &defs, &n, &err), 0);
    assert_int_equal(defs[0].format, ATTR_FORMAT_SIRET);
    assert_int_equal(defs[5].format, ATTR_FORMAT_SIREN);
    assert_string_equal(attr_format_name(defs[1].format), "iban");
    assert_non_null(strstr(attr_format_note(ATTR_FORMAT_SIRET, LANG_FR), "14 chiffres"));
    assert_non_null(strstr(attr_format_note(ATTR_FORMAT_SIRET, LANG_EN), "14 digits"));
    assert_null(attr_format_note(ATTR_FORMAT_NONE, LANG_FR));

    const attr_input ok[] = {
        {"siret", "123 456 782 00010"}, {"iban", "fr08 1234 5678 9001 2345 6789 a58"},
        {"tel", "06 12 34 56 78"},      {"cp", "75001"},
        {"mail", "marie@example.fr"},   {"siren", "123 456 782"}};
    const char *out = NULL;
    assert_int_equal(attrs_validate(&a, defs, n, ok, 6, NULL, &out, &err), 0);
    assert_string_equal(out, "{\"siret\":\"12345678200010\","
                             "\"iban\":\"FR0812345678900123456789A58\","
                             "\"tel\":\"+33612345678\",\"cp\":\"75001\","
                             "\"mail\":\"marie@example.fr\",\"siren\":\"123456782\"}");
    static const struct {
        const char *code, *value, *detail;
    } bad[] = {
        {"siret", "1234567820001", "not a valid siret: 13 digits where 14 are needed"},
        {"siret", "12345678200011", "not a valid siret: wrong check digits"},
        {"iban", "FR7812345678900123456789A59", "not a valid iban: wrong RIB key"},
        {"iban", "US12 3456", "not a valid iban: \"US\" is not a SEPA country code"},
        {"iban", "FR08 1234", "not a valid iban: 8 characters where 27 are needed"},
        {"tel", "+44 20 7946 0000", "not a valid telephone: not a French number"},
        {"cp", "2A004", "not a valid code_postal: Corsican postcodes begin with 20, not 2A or 2B"},
        {"mail", "marie@", "not a valid email"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const attr_input in[] = {{bad[i].code, bad[i].value}};
        assert_int_equal(attrs_validate(&a, defs, n, in, 1, NULL, &out, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.detail, bad[i].detail);
    }
    /* Not given (empty) is not checked: these questions are optional. */
    const attr_input empty[] = {{"siret", ""}};
    assert_int_equal(attrs_validate(&a, defs, n, empty, 1, NULL, &out, &err), 0);
    assert_string_equal(out, "{}");
    /* The lenient reader forgets a format it does not know. */
    assert_int_equal(
        attrs_parse_definitions(&a, "[{\"code\":\"s\",\"datatype\":\"string\",\"format\":\"x\"}]",
                                &defs, &n, &err),
        0);
    assert_int_equal(defs[0].format, ATTR_FORMAT_NONE);
    arena_free(&a);
}

/* Open311's tolerances (issue 11): a datetime without offset is the collectivité's local
 * time, stored with its offset; codes no definition has are dropped; defined codes are still
 * checked as strictly. */
static void test_attrs_policy(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(attrs_parse_definitions(&a, ATTRS, &defs, &n, &err), 0);
    const attrs_policy policy = {.tz = "Europe/Paris", .ignore_unknown = 1};
    const char *json = NULL;

    struct {
        const char *given, *stored;
    } local[] = {
        {"2026-12-05T14:30", "2026-12-05T14:30:00+01:00"},    /* datetime-local */
        {"2026-12-05T14:30:15", "2026-12-05T14:30:15+01:00"}, /* with seconds */
        {"2026-07-05 09:05", "2026-07-05T09:05:00+02:00"},    /* summer time */
        {"2026-12-05T14:30:00Z", "2026-12-05T14:30:00Z"},     /* an offset: as given */
        {"2026-12-05T14:30:00+05:00", "2026-12-05T14:30:00+05:00"},
    };
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        attr_input in[] = {{"taille", "petit"}, {"quand", local[i].given}};
        char want[128];
        snprintf(want, sizeof want, "{\"taille\":\"petit\",\"quand\":\"%s\"}",
                 local[i].stored);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, &policy, &json, &err), 0);
        assert_string_equal(json, want);
        /* Without a zone, a time without offset means nothing: refused as before. */
        int has_offset = strcmp(local[i].given, local[i].stored) == 0;
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, NULL, &json, &err),
                         has_offset ? 0 : -1);
    }
    const char *not_times[] = {"2026-12-05T14", "2026-12-05T25:00", "2026-02-30T10:00",
                               "2026-12-05T14:30+", "14:30", "2026-12-05T14:30:00 CET"};
    for (size_t i = 0; i < sizeof not_times / sizeof not_times[0]; i++) {
        attr_input in[] = {{"taille", "petit"}, {"quand", not_times[i]}};
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, &policy, &json, &err), -1);
        assert_string_equal(err.arg, "attribute[quand]");
    }

    /* An undefined code is dropped, wherever it comes; the defined ones are kept. */
    attr_input extra[] = {{"fms_extra", "x"}, {"taille", "grand"}, {"fms_extra", "y"}};
    assert_int_equal(attrs_validate(&a, defs, n, extra, 3, &policy, &json, &err), 0);
    assert_string_equal(json, "{\"taille\":\"grand\"}");
    attr_input only_extra[] = {{"taille", "petit"}, {"inconnu", "x"}};
    error_clear(&err);
    assert_int_equal(attrs_validate(&a, defs, n, only_extra, 2, NULL, &json, &err), -1);
    assert_string_equal(err.arg, "attribute[inconnu]");

    /* Defined attributes stay strict under the policy. */
    struct {
        attr_input in;
        err_code code;
        const char *arg;
    } bad[] = {
        {{"taille", "moyen"}, ERR_INVALID_ARG, "attribute[taille]"},
        {{"nombre", "trois"}, ERR_INVALID_ARG, "attribute[nombre]"},
        {{"info", "x"}, ERR_INVALID_ARG, "attribute[info]"}, /* defined, not an input */
        {{"dechets", "plastique"}, ERR_INVALID_ARG, "attribute[dechets]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        attr_input in[] = {{"inconnu", "x"}, {"taille", "petit"}, bad[i].in};
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 3, &policy, &json, &err), -1);
        assert_int_equal(err.code, bad[i].code);
        assert_string_equal(err.arg, bad[i].arg);
    }
    /* A number typed into a text field (FixMyStreet renders the datatype so): blanks around
     * it and a decimal comma are read, and stored in the strict form; strict without policy. */
    struct {
        const char *given, *stored;
    } typed[] = {{"2,5", "2.5"}, {" 3 ", "3"}, {"\t-0,75", "-0.75"}, {"12", "12"}};
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        attr_input in[] = {{"taille", "petit"}, {"nombre", typed[i].given}};
        char want[128];
        snprintf(want, sizeof want, "{\"nombre\":\"%s\",\"taille\":\"petit\"}", typed[i].stored);
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, &policy, &json, &err), 0);
        assert_string_equal(json, want);
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, NULL, &json, &err),
                         strcmp(typed[i].given, typed[i].stored) == 0 ? 0 : -1);
    }
    const char *not_numbers[] = {"1.234,5", "1 234", "2,5,1", "environ 3", ",", " ", "3 m²"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        attr_input in[] = {{"taille", "petit"}, {"nombre", not_numbers[i]}};
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, &policy, &json, &err), -1);
        assert_string_equal(err.arg, "attribute[nombre]");
    }
    attr_input no_taille[] = {{"inconnu", "x"}, {"nombre", "2"}};
    error_clear(&err);
    assert_int_equal(attrs_validate(&a, defs, n, no_taille, 2, &policy, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "attribute[taille]");
    arena_free(&a);
}

/* A date question: a calendar day stored as YYYY-MM-DD. Strictly that without a policy (what
 * the demo and the form's own check send); with one, also a date typed the French way and a
 * datetime whose written date is kept (Open311 clients have no date datatype). */
static void test_attrs_date(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    const char *def = "[{\"code\":\"naissance\",\"datatype\":\"date\",\"required\":true,"
                      "\"description\":\"Date de naissance\"}]";
    attrs_problem pb;
    assert_int_equal(attrs_check(def, &pb), 0);
    assert_int_equal(attrs_parse_definitions(&a, def, &defs, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(defs[0].type, ATTR_DATE);
    assert_string_equal(attr_type_name(ATTR_DATE), "date");
    attr_type t;
    assert_int_equal(attr_type_parse("date", &t), 0);
    assert_int_equal(t, ATTR_DATE);

    const attrs_policy policy = {.tz = "Europe/Paris"};
    const char *json = NULL;
    struct {
        const char *given, *stored; /* stored NULL: refused even with the policy */
        int strict_ok;
    } cases[] = {
        {"2026-12-05", "2026-12-05", 1},
        {"2028-02-29", "2028-02-29", 1}, /* a leap year */
        {"2000-02-29", "2000-02-29", 1}, /* divisible by 400 */
        {"05/12/2026", "2026-12-05", 0}, /* typed the French way */
        {"5/12/2026", "2026-12-05", 0},
        {" 29/02/2028 ", "2028-02-29", 0},
        {" 2026-12-05 ", "2026-12-05", 0},
        {"2026-12-05T23:30:00-05:00", "2026-12-05", 0}, /* its written date, not Paris's */
        {"2026-12-05T00:00:00Z", "2026-12-05", 0},
        {"2026-12-05T10:00", "2026-12-05", 0},
        {"2026-02-29", NULL, 0}, /* 2026 is no leap year */
        {"1900-02-29", NULL, 0}, /* nor is 1900 */
        {"29/02/2026", NULL, 0},
        {"31/04/2026", NULL, 0},
        {"2026-13-01", NULL, 0},
        {"2026-12-32", NULL, 0},
        {"00/12/2026", NULL, 0},
        {"05/12/26", NULL, 0}, /* a two-digit year is ambiguous */
        {"0999-01-01", NULL, 0},
        {"005/12/2026", NULL, 0},
        {"05/12/20261", NULL, 0},
        {"2026-12-05T25:00", NULL, 0},
        {"2026-12-05Tmidi", NULL, 0},
        {"2026-12-5", NULL, 0},
        {"05-12-2026", NULL, 0},
        {"demain", NULL, 0},
        {"5 décembre 2026", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        attr_input in[] = {{"naissance", cases[i].given}};
        error_clear(&err);
        int rc = attrs_validate(&a, defs, n, in, 1, &policy, &json, &err);
        if (cases[i].stored) {
            char want[64];
            snprintf(want, sizeof want, "{\"naissance\":\"%s\"}", cases[i].stored);
            assert_int_equal(rc, 0);
            assert_string_equal(json, want);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, ERR_INVALID_ARG);
            assert_string_equal(err.arg, "attribute[naissance]");
        }
        error_clear(&err);
        assert_int_equal(attrs_validate(&a, defs, n, in, 1, NULL, &json, &err),
                         cases[i].strict_ok ? 0 : -1);
        /* The reader the form uses agrees with the policy. */
        const char *iso = NULL;
        assert_int_equal(attr_date_read(&a, cases[i].given, &iso), cases[i].stored ? 0 : -1);
        if (cases[i].stored)
            assert_string_equal(iso, cases[i].stored);
    }
    error_clear(&err);
    assert_int_equal(attrs_validate(&a, defs, n, NULL, 0, &policy, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    arena_free(&a);
}

static void test_catalogue(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    assert_int_equal(cat->n_tenants, 1);
    /* A single tenant answers on any host. */
    assert_non_null(catalogue_tenant_for_host(cat, "anything.example:8080"));
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-test");
    assert_non_null(t);
    const cat_procedure *p = catalogue_procedure(t, "nid-de-poule");
    assert_non_null(p);
    assert_int_equal(p->n_attrs, 7);
    assert_non_null(p->department);
    assert_string_equal(p->department->rec.code, "voirie");
    assert_null(catalogue_procedure(t, "absent"));
    catalogue_release(f->db.core, cat);

    /* A second tenant: hosts now decide. */
    error err;
    store_tenant t2 = {.slug = "autre", .name = "Autre", .hosts = "autre.fr www.autre.fr",
                       .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t2, NULL, &err), 0);
    cat = catalogue_acquire(f->db.core);
    assert_int_equal(cat->n_tenants, 2);
    assert_string_equal(catalogue_tenant_for_host(cat, "WWW.Autre.fr:443")->rec.slug, "autre");
    assert_string_equal(catalogue_tenant_for_host(cat, "ville-test.fr")->rec.slug, "ville-test");
    assert_null(catalogue_tenant_for_host(cat, "unknown.fr"));
    assert_null(catalogue_tenant_for_host(cat, "autre"));
    catalogue_release(f->db.core, cat);
}

/* Host names choose the collectivité, so one name belongs to one collectivité only: a second
 * claim is refused (whatever its case) and changes nothing; names are checked and kept in
 * lowercase; NULL hosts leave a collectivité's names as they are. */
static void test_tenant_hosts_unique(void **state)
{
    fixture *f = *state;
    error err;
    store_tenant t2 = {.slug = "autre", .name = "Autre", .hosts = "Autre.fr  www.autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t2, NULL, &err), 0);
    store_tenant thief = {.slug = "voleuse", .name = "Voleuse", .hosts = "voleuse.fr AUTRE.fr"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &thief, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "hosts");
    assert_non_null(strstr(err.detail, "autre.fr"));
    assert_non_null(strstr(err.detail, "autre"));
    /* The existing collectivité taking it is refused the same way. */
    store_tenant t1 = {
        .slug = "ville-test", .name = "Ville Test", .hosts = "ville-test.fr autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t1, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    const catalogue *cat = catalogue_acquire(f->db.core);
    assert_null(catalogue_tenant_by_slug(cat, "voleuse"));
    assert_string_equal(catalogue_tenant_by_slug(cat, "ville-test")->rec.hosts, "ville-test.fr");
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.hosts, "autre.fr www.autre.fr");
    assert_string_equal(catalogue_tenant_for_host(cat, "autre.fr")->rec.slug, "autre");
    catalogue_release(f->db.core, cat);

    /* Saving again with its own names, or without touching them, is fine; giving one up
     * frees it for another collectivité. */
    assert_int_equal(admin_tenant_upsert(f->db.core, &t2, NULL, &err), 0);
    store_tenant rename = {.slug = "autre", .name = "Autre Commune", .hosts = NULL};
    assert_int_equal(admin_tenant_upsert(f->db.core, &rename, NULL, &err), 0);
    cat = catalogue_acquire(f->db.core);
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.name, "Autre Commune");
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.hosts, "autre.fr www.autre.fr");
    catalogue_release(f->db.core, cat);
    store_tenant give_up = {.slug = "autre", .name = "Autre", .hosts = "www.autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &give_up, NULL, &err), 0);
    assert_int_equal(admin_tenant_upsert(f->db.core, &thief, NULL, &err), 0);

    /* Only host names: no port, path, scheme or space inside. */
    const char *bad[] = {"ville.fr:8080", "ville.fr/x", "https://ville.fr", "ville_fr", "-ville.fr",
                         "ville..fr", "[::1", "evil.test\\x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        store_tenant b = {.slug = "mauvaise", .name = "Mauvaise", .hosts = bad[i]};
        assert_int_equal(admin_tenant_upsert(f->db.core, &b, NULL, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "hosts");
    }
    store_tenant ok = {.slug = "bonne", .name = "Bonne", .hosts = "127.0.0.1 [::1] localhost"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &ok, NULL, &err), 0);
}

static void test_catalogue_notices_other_process(void **state)
{
    fixture *f = *state;
    error err;
    /* Another handle on the same file stands for a CLI command run next to the server. */
    store *other = store_open(f->db.path, &err);
    assert_non_null(other);
    core *c2 = core_open(other, NULL, &err);
    assert_non_null(c2);
    store_procedure p = {.tenant_id = f->tenant_id, .code = "graffiti", .name = "Graffiti",
                         .kind = PROCEDURE_INCIDENT, .open311 = 1, .active = 1};
    assert_int_equal(admin_procedure_upsert(c2, &p, NULL, &err), 0);
    core_close(c2);
    store_close(other);
    /* The server side checks the config version at most once a second. */
    int seen = 0;
    for (int i = 0; i < 30 && !seen; i++) {
        const catalogue *cat = catalogue_acquire(f->db.core);
        seen = catalogue_procedure(catalogue_tenant_by_slug(cat, "ville-test"), "graffiti") != NULL;
        catalogue_release(f->db.core, cat);
        if (!seen)
            usleep(100 * 1000);
    }
    assert_true(seen);
}

static void test_request_create(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    request_created out, out2;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    assert_int_equal(strlen(out.reference), 11);
    assert_int_equal(out.reference[4], '-');
    assert_true(strlen(out.token) >= 40);
    assert_int_equal(request_create(f->db.core, &in, &out2, NULL, NULL, &err), 0);
    /* References follow each other within the year. */
    assert_int_equal(strncmp(out.reference, out2.reference, 5), 0);
    assert_int_equal(strtol(out2.reference + 5, NULL, 10), strtol(out.reference + 5, NULL, 10) + 1);
    assert_string_not_equal(out.token, out2.token);

    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "new");
    assert_string_equal(r.channel, "web");
    assert_string_equal(r.email, "jeanne@exemple.fr");
    assert_true(r.has_location);
    assert_string_equal(r.attributes,
                        "{\"nombre\":\"3\",\"taille\":\"grand\",\"dechets\":[\"verre\",\"bois\"]}");
    /* Seven calendar days after the filing day, to the end of the last (moved to the next
     * working day when it is not one): between 7 and 7 + 4 days later (a Saturday before a
     * Monday holiday), at 59 seconds past a minute. */
    assert_true(r.due_at == request_due_at(in.tenant, in.procedure, r.created_at));
    assert_true(r.due_at > r.created_at + 6 * 86400 && r.due_at < r.created_at + 12 * 86400);
    assert_int_equal(r.due_at % 60, 59);
    /* The token is stored hashed, never in clear. */
    char hash[65];
    core_hash_secret(f->db.core, out.token, hash);
    assert_string_equal(r.token_hash, hash);
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].kind, "created");
    assert_int_equal(request_get(f->db.core, in.tenant, "2026-999999", &a, &r, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
    catalogue_release(f->db.core, cat);
}

static void test_request_validation(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_created out;
    error err;
    request_input in = incident(cat);
    in.lat = 91;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "lat");
    in = incident(cat);
    in.lon = -181;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "long");
    in = incident(cat);
    in.has_location = 0;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "location");
    in.address = "3 rue Victor Hugo";
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    in = incident(cat);
    in.email = "pas-une-adresse";
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "email");
    in = incident(cat);
    in.description = "caf\xc3";
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "description");
    in = incident(cat);
    char *longtext = malloc(4002);
    memset(longtext, 'a', 4001);
    longtext[4001] = '\0';
    in.description = longtext;
    in.description_max = 4000;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "description");
    in.description_max = 0; /* other channels take longer texts */
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    free(longtext);
    in = incident(cat);
    in.media_url = "javascript:alert(1)";
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "media_url");
    in = incident(cat);
    in.n_attrs = 1;
    in.attrs = (const attr_input[]){{"nombre", "2"}};
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "attribute[taille]");
    catalogue_release(f->db.core, cat);
}

static void test_idempotency(void **state)
{
    fixture *f = *state;
    error err;
    char key[APIKEY_LEN];
    int64_t key_id = 0;
    assert_int_equal(
        apikey_create(f->db.core, f->tenant_id, "app", SCOPE_OPEN311, key, &key_id, &err), 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    in.api_key_id = key_id;
    in.idempotency_key = "retry-42";
    request_created first, again;
    assert_int_equal(request_create(f->db.core, &in, &first, NULL, NULL, &err), 0);
    assert_false(first.replayed);
    assert_int_equal(request_create(f->db.core, &in, &again, NULL, NULL, &err), 0);
    assert_true(again.replayed);
    assert_string_equal(first.reference, again.reference);
    assert_string_equal(again.token, "");
    in.idempotency_key = "retry-43";
    assert_int_equal(request_create(f->db.core, &in, &again, NULL, NULL, &err), 0);
    assert_string_not_equal(first.reference, again.reference);
    catalogue_release(f->db.core, cat);
}

static void test_request_update(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    request_change ch = {.status = "in_progress",
                         .note = "Une équipe passe demain.",
                         .assignee = "agent:durand",
                         .priority = 2,
                         .department = "proprete",
                         .who = &test_agent_durand,
                         .ch = CHANNEL_API};
    assert_int_equal(request_update(f->db.core, in.tenant, out.reference, &ch, NULL, NULL, &err),
                     0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "in_progress");
    assert_string_equal(r.assignee, "agent:durand");
    assert_int_equal(r.priority, 2);
    assert_string_equal(r.status_notes, "Une équipe passe demain.");
    assert_int_equal(r.department_id, catalogue_department(in.tenant, "proprete")->rec.id);
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 5); /* created, status, assign, priority, department */
    assert_string_equal(ev[1].kind, "status");
    assert_string_equal(ev[1].status_from, "new");
    assert_string_equal(ev[1].status_to, "in_progress");
    assert_true(ev[1].is_public);
    assert_false(ev[2].is_public);
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 1, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);

    request_change close = {.status = "resolved", .priority = -1, .who = &test_agent_durand};
    assert_int_equal(request_update(f->db.core, in.tenant, out.reference, &close, NULL, NULL, &err),
                     0);
    assert_int_equal(request_get(f->db.core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_true(r.closed_at > 0);
    request_change back = {.status = "new", .priority = -1};
    assert_int_equal(request_update(f->db.core, in.tenant, out.reference, &back, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    request_change unknown = {.status = "lost", .priority = -1};
    assert_int_equal(
        request_update(f->db.core, in.tenant, out.reference, &unknown, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    request_change nodep = {.department = "cuisine", .priority = -1};
    assert_int_equal(request_update(f->db.core, in.tenant, out.reference, &nodep, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "department");
    assert_int_equal(request_update(f->db.core, in.tenant, "2000-000001", &close, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    assert_int_equal(request_add_note(f->db.core, in.tenant, out.reference, "Vu sur place", 0,
                                      &test_agent_durand, CHANNEL_COUNTER, NULL, NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->db.core, in.tenant, out.reference, "", 1,
                                      &test_agent_durand, CHANNEL_COUNTER, NULL, NULL, &err),
                     -1);
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_string_equal(ev[n - 1].kind, "note");
    assert_string_equal(ev[n - 1].body, "Vu sur place");
    assert_false(ev[n - 1].is_public);
    arena_free(&a);
    catalogue_release(f->db.core, cat);
}

/* The instance secret leaves the database for its own file, unchanged (tokens hashed with it
 * stay valid), and a copy of the database no longer holds it. */
static void test_secret_file(void **state)
{
    fixture *f = *state;
    error err;
    char before[65], after[65], again[65];
    core_hash_secret(f->db.core, "un jeton", before);
    char key[128];
    snprintf(key, sizeof key, "%s/t.db.key", f->db.dir);

    core *moved = core_open(f->db.store, key, &err);
    assert_non_null(moved);
    core_hash_secret(moved, "un jeton", after);
    assert_string_equal(before, after);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    arena a;
    arena_init(&a, 0);
    const char *stored = "";
    assert_int_equal(
        f->db.store->ops->settings.get(f->db.store, "instance_secret", &a, &stored, &err), 0);
    assert_null(stored); /* gone from the database */
    core_close(moved);

    core *reopened = core_open(f->db.store, key, &err);
    assert_non_null(reopened);
    core_hash_secret(reopened, "un jeton", again);
    assert_string_equal(before, again);
    core_close(reopened);

    /* A new database gets a fresh secret straight into its file. */
    char other[128];
    snprintf(other, sizeof other, "%s/other.key", f->db.dir);
    core *fresh = core_open(f->db.store, other, &err);
    assert_non_null(fresh);
    char h[65];
    core_hash_secret(fresh, "un jeton", h);
    assert_string_not_equal(h, before); /* the database had none left: a new one */
    core_close(fresh);

    /* A damaged file is an error, not a new secret. */
    FILE *bad = fopen(other, "w");
    assert_non_null(bad);
    fputs("not hex\n", bad);
    fclose(bad);
    assert_null(core_open(f->db.store, other, &err));
    assert_non_null(strstr(err.detail, "malformed"));
    arena_free(&a);
}

static void test_apikey(void **state)
{
    fixture *f = *state;
    error err;
    char key[APIKEY_LEN];
    int64_t id = 0;
    assert_int_equal(apikey_create(f->db.core, f->tenant_id, "agents", SCOPE_API, key, &id, &err),
                     0);
    assert_int_equal(strncmp(key, "gk_", 3), 0);
    arena a;
    arena_init(&a, 0);
    store_apikey k;
    assert_int_equal(apikey_authenticate(f->db.core, f->tenant_id, key, SCOPE_API, &a, &k, &err),
                     0);
    assert_int_equal(k.id, id);
    /* An api key may do what an open311 key may, not the reverse. */
    assert_int_equal(
        apikey_authenticate(f->db.core, f->tenant_id, key, SCOPE_OPEN311, &a, &k, &err), 0);
    assert_int_equal(
        apikey_authenticate(f->db.core, f->tenant_id, key, SCOPE_GATEWAY, &a, &k, &err), -1);
    assert_int_equal(
        apikey_authenticate(f->db.core, f->tenant_id + 1, key, SCOPE_API, &a, &k, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(
        apikey_authenticate(f->db.core, f->tenant_id, "gk_wrong", SCOPE_API, &a, &k, &err), -1);
    assert_int_equal(apikey_authenticate(f->db.core, f->tenant_id, "", SCOPE_API, &a, &k, &err),
                     -1);
    assert_int_equal(apikey_revoke(f->db.core, f->tenant_id, id, &err), 0);
    assert_int_equal(apikey_authenticate(f->db.core, f->tenant_id, key, SCOPE_API, &a, &k, &err),
                     -1);
    arena_free(&a);
}

static void test_request_process_atomic(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    store_event *ev = NULL;
    size_t n = 0;

    /* Reply, internal note and a closing status together. */
    request_processing ok = {.change = {.status = "resolved",
                                        .priority = -1,
                                        .who = &test_agent_durand,
                                        .ch = CHANNEL_WEB},
                             .reply = "Le trou a été rebouché ce matin.",
                             .internal_note = "Enrobé à froid, à reprendre au printemps.",
                             .reply_url = "https://grc.example/suivi"};
    assert_int_equal(request_process(f->db.core, in.tenant, out.reference, &ok, NULL, NULL, &err),
                     0);
    assert_int_equal(request_get(f->db.core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "resolved");
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    /* created, reply, internal note, status, and the status's notify_citizen action */
    assert_int_equal(n, 5);
    assert_string_equal(ev[1].body, "Le trou a été rebouché ce matin.");
    assert_true(ev[1].is_public);
    assert_false(ev[2].is_public);
    assert_string_equal(ev[4].kind, "action");
    assert_string_equal(ev[4].body, "notify_citizen");
    assert_false(ev[4].is_public);
    /* The citizen gave an e-mail: one e-mail is queued with the change, the status's, which
     * carries the reply (no second e-mail for the reply alone). */
    store_outbox *mails = NULL;
    size_t n_mails = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, r.id, &a, &mails, &n_mails, &err),
        0);
    assert_int_equal(n_mails, 1);
    assert_string_equal(mails[0].template, "request_status");
    assert_non_null(strstr(mails[0].params, "Le trou a été rebouché ce matin."));

    /* A refused transition writes nothing: neither the reply nor the note. */
    request_processing bad = {
        .change = {.status = "new", .priority = -1, .who = &test_agent_durand},
        .reply = "Ceci ne doit pas partir.",
        .internal_note = "Ni ceci."};
    assert_int_equal(request_process(f->db.core, in.tenant, out.reference, &bad, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(request_timeline(f->db.core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, r.id, &a, &mails, &n_mails, &err),
        0);
    assert_int_equal(n_mails, 1);
    arena_free(&a);
    catalogue_release(f->db.core, cat);
}

/* The language a request is filed in is kept with it, and every message about it (the
 * acknowledgement at creation, a reply later) is queued in it; French when none is given or
 * for a language guichet has no texts in. */
static void test_request_lang_messages(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->db.core);
    static const struct {
        const char *given, *kept;
    } cases[] = {{"en", "en"}, {NULL, "fr"}, {"fr", "fr"}, {"de", "fr"}};
    arena a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        request_input in = incident(cat);
        in.ack_base_url = "https://grc.example";
        in.lang_code = cases[i].given;
        request_created out;
        error err;
        assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
        store_request r;
        assert_int_equal(request_get(f->db.core, in.tenant, out.reference, &a, &r, &err), 0);
        assert_string_equal(r.lang, cases[i].kept);
        request_processing reply = {
            .change = {.priority = -1, .who = &test_agent_durand, .ch = CHANNEL_WEB},
            .reply = "Le trou a été rebouché ce matin.",
            .reply_url = "https://grc.example/suivi"};
        assert_int_equal(
            request_process(f->db.core, in.tenant, out.reference, &reply, NULL, NULL, &err), 0);
        store_outbox *mails = NULL;
        size_t n = 0;
        assert_int_equal(
            f->db.store->ops->outbox.list(f->db.store, f->tenant_id, r.id, &a, &mails, &n, &err),
            0);
        assert_int_equal(n, 2);
        for (size_t m = 0; m < n; m++) {
            assert_true(strcmp(mails[m].template, "request_ack") == 0 ||
                        strcmp(mails[m].template, "request_reply") == 0);
            assert_string_equal(mails[m].lang, cases[i].kept);
        }
    }
    arena_free(&a);
    catalogue_release(f->db.core, cat);
}

typedef struct async_result {
    int calls, rc;
} async_result;

static void async_done(void *ctx, int rc, const error *err)
{
    (void)err;
    async_result *r = ctx;
    r->calls++;
    r->rc = rc;
}

static void test_async_with_writer(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    enum { N = 50 };
    static request_created outs[N];
    static async_result results[N];
    memset(results, 0, sizeof results);
    for (int i = 0; i < N; i++) {
        request_input in = incident(cat);
        assert_int_equal(request_create(f->db.core, &in, &outs[i], async_done, &results[i], &err),
                         0);
    }
    store_writer_stop(f->db.store); /* drains the queue */
    for (int i = 0; i < N; i++) {
        assert_int_equal(results[i].calls, 1);
        assert_int_equal(results[i].rc, 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(outs[i].reference, outs[j].reference);
    }
    store_writer_stats st;
    store_writer_get_stats(f->db.store, &st);
    assert_true(st.jobs >= N);
    assert_true(st.batches <= st.jobs);
    catalogue_release(f->db.core, cat);
}

typedef struct attach_job {
    int64_t tenant_id, request_id;
    store_attachment at[2];
} attach_job;

static int attach_apply(store *s, void *arg, error *err)
{
    attach_job *j = arg;
    return attachment_save_tx(s, j->tenant_id, j->request_id, 0, j->at, 2, err);
}

/* The portal reads attachments through core: one by id within its tenant, and a request's
 * list oldest first; and core_generation moves with every committed write batch (the HTTP
 * response cache's stamp). */
static void test_attachment_reads_and_generation(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    request_created created;
    uint64_t g0 = core_generation(f->db.core);
    assert_int_equal(request_create(f->db.core, &in, &created, NULL, NULL, &err), 0);
    uint64_t g1 = core_generation(f->db.core);
    assert_true(g1 > g0);

    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, in.tenant, created.reference, &a, &r, &err), 0);
    store_attachment *list = NULL;
    size_t n = 99;
    assert_int_equal(attachment_list(f->db.core, f->tenant_id, r.id, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);

    attach_job j = {.tenant_id = f->tenant_id, .request_id = r.id};
    j.at[0] = (store_attachment){.filename = "trou.jpg", .content_type = "image/jpeg", .size = 10,
                                 .storage_name = "0123456789abcdef0123456789abcdef.jpg",
                                 .is_photo = 1, .created_at = 100};
    j.at[1] = (store_attachment){.filename = "plan.pdf", .content_type = "application/pdf",
                                 .size = 20, .storage_name = "fedcba9876543210fedcba9876543210.pdf",
                                 .created_at = 101};
    assert_int_equal(store_write_sync(f->db.store, attach_apply, &j, &err), 0);
    assert_true(core_generation(f->db.core) > g1);

    assert_int_equal(attachment_list(f->db.core, f->tenant_id, r.id, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].filename, "trou.jpg");
    assert_string_equal(list[1].filename, "plan.pdf");
    assert_string_equal(list[0].moderation, "pending");

    store_attachment one;
    int found = 0;
    assert_int_equal(attachment_get(f->db.core, f->tenant_id, j.at[1].id, &a, &one, &found, &err),
                     0);
    assert_true(found);
    assert_int_equal(one.request_id, r.id);
    assert_string_equal(one.content_type, "application/pdf");
    /* another tenant's id finds nothing */
    found = 1;
    assert_int_equal(
        attachment_get(f->db.core, f->tenant_id + 1, j.at[1].id, &a, &one, &found, &err), 0);
    assert_false(found);
    found = 1;
    assert_int_equal(attachment_get(f->db.core, f->tenant_id, 999999, &a, &one, &found, &err), 0);
    assert_false(found);

    arena_free(&a);
    catalogue_release(f->db.core, cat);
    store_writer_stop(f->db.store);
}

static int make_public_apply(store *s, void *arg, error *err)
{
    store_request *r = arg;
    r->is_public = 1;
    return s->ops->requests.tx_update(s, r, err);
}

/* Runs one «moi aussi» in the callback form with fresh copies of keys k0, k1 that the caller
 * overwrites at once (the writer runs the job later). */
static void support_queue(fixture *f, const cat_tenant *t, const char *reference, int n,
                          int *added, async_result *res)
{
    char k0[32], k1[32];
    snprintf(k0, sizeof k0, "browser-%d", n);
    snprintf(k1, sizeof k1, "net-%d", n);
    const char *keys[] = {k0, k1};
    error err;
    assert_int_equal(
        request_support(f->db.core, t, reference, keys, 2, added, async_done, res, &err), 0);
    memset(k0, 'x', sizeof k0 - 1);
    memset(k1, 'x', sizeof k1 - 1);
}

/* «Moi aussi» in its callback form (the portal's, which suspends the connection): the keys
 * are copied, *added is filled before the callback, once durable; the same supporter counts
 * once; a request that is not public takes none. */
static void test_support_async(void **state)
{
    fixture *f = *state;
    error err;
    const catalogue *cat = catalogue_acquire(f->db.core);
    request_input in = incident(cat);
    request_created created;
    assert_int_equal(request_create(f->db.core, &in, &created, NULL, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->db.core, in.tenant, created.reference, &a, &r, &err), 0);
    assert_false(r.is_public);

    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    int refused = -1;
    async_result res_refused = {0, 0};
    support_queue(f, in.tenant, created.reference, 0, &refused, &res_refused);
    store_writer_stop(f->db.store);
    assert_int_equal(res_refused.calls, 1);
    assert_int_equal(res_refused.rc, -1);
    assert_int_equal(refused, -1); /* untouched */

    assert_int_equal(store_write_sync(f->db.store, make_public_apply, &r, &err), 0);
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    int added[3] = {-1, -1, -1};
    async_result res[3];
    memset(res, 0, sizeof res);
    support_queue(f, in.tenant, created.reference, 1, &added[0], &res[0]);
    support_queue(f, in.tenant, created.reference, 2, &added[1], &res[1]);
    support_queue(f, in.tenant, created.reference, 1, &added[2], &res[2]); /* again */
    store_writer_stop(f->db.store);                                        /* drains the queue */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].calls, 1);
        assert_int_equal(res[i].rc, 0);
    }
    assert_int_equal(added[0], 1);
    assert_int_equal(added[1], 1);
    assert_int_equal(added[2], 0);
    assert_int_equal(request_get(f->db.core, in.tenant, created.reference, &a, &r, &err), 0);
    assert_int_equal(r.supporters, 2);

    /* Refused at once, without a callback to come: no key. */
    async_result none = {0, 0};
    const char *no_keys[] = {""};
    assert_int_equal(request_support(f->db.core, in.tenant, created.reference, no_keys, 1, NULL,
                                     async_done, &none, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(none.calls, 0);
    arena_free(&a);
    catalogue_release(f->db.core, cat);
}

/* The shape every entrance checks before looking a reference up. */
static void test_reference_shape(void **state)
{
    (void)state;
    assert_true(request_reference_ok("2026-000123"));
    assert_true(request_reference_ok("A"));
    assert_true(request_reference_ok("12345678901234567890123")); /* 23: the longest */
    assert_false(request_reference_ok("123456789012345678901234"));
    assert_false(request_reference_ok(""));
    assert_false(request_reference_ok(NULL));
    assert_false(request_reference_ok("2026 000123"));
    assert_false(request_reference_ok("2026-00012%"));
    assert_false(request_reference_ok("../etc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_owned_by),
        cmocka_unit_test(test_attachment_is_public_photo),
        cmocka_unit_test(test_attrs),
        cmocka_unit_test(test_attrs_policy),
        cmocka_unit_test(test_attrs_date),
        cmocka_unit_test(test_attrs_english),
        cmocka_unit_test(test_attrs_format),
        cmocka_unit_test_setup_teardown(test_catalogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_hosts_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_notices_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_process_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_lang_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apikey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_with_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attachment_reads_and_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_support_async, setup, teardown),
        cmocka_unit_test(test_reference_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

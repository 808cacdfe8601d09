/*
 * Unit tests of core/ropa (the RGPD article 30 register) on a real SQLite database: one entry
 * per procedure then the accounts and the audit log; data categories from the contact fields
 * and the attributes asked (not the notices), location for incidents only; recipients from
 * the department, the live API keys (api and gateway scopes, not revoked ones), the Open311
 * level and the public list; the audit log's retention from its setting, the procedures'
 * «not defined»; sentences from the strings given (placeholders filled, missing keys shown);
 * CSV quoting, lists, byte order mark and neutralised formulas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/apikey.h"
#include "core/broadcast.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/retention.h"
#include "core/ropa.h"
#include "store/store.h"
#include "test_db.h"

#define ATTRS                                                                                      \
    "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"required\":true,\"order\":1,"        \
    "\"description\":\"Taille du trou\",\"values\":[{\"key\":\"g\",\"name\":\"Grand\"}]},"         \
    "{\"code\":\"plaque\",\"datatype\":\"string\",\"order\":2,\"description\":\"Plaque\"},"        \
    "{\"code\":\"avis\",\"datatype\":\"string\",\"variable\":false,\"order\":3,"                   \
    "\"description\":\"Pour information\"}]"

typedef struct fixture {
    test_db db;
    int64_t tenant;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "ropa", NULL), 0);
    error err;
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie@ville-test.fr"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    store_department d = {.tenant_id = f->tenant, .code = "voirie", .name = "Voirie"};
    int64_t dep = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep, &err), 0);
    store_procedure p = {.tenant_id = f->tenant,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .group_name = "Signaler",
                         .description = "Signalez un trou.",
                         .attributes = ATTRS,
                         .department_id = dep,
                         .kind = PROCEDURE_INCIDENT,
                         .is_public = 1,
                         .allow_anonymous = 1,
                         .open311 = 1,
                         .open311_detail = OPEN311_DETAIL_STATUS,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant,
                         .code = "question",
                         .name = "Question",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 0};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    char key[APIKEY_LEN];
    int64_t revoked = 0;
    assert_int_equal(
        apikey_create(f->db.core, f->tenant, "Logiciel métier", SCOPE_API, key, NULL, &err), 0);
    assert_int_equal(apikey_create(f->db.core, f->tenant, "Ancien", SCOPE_API, key, &revoked, &err),
                     0);
    assert_int_equal(apikey_revoke(f->db.core, f->tenant, revoked, &err), 0);
    assert_int_equal(
        apikey_create(f->db.core, f->tenant, "Passerelle SMS", SCOPE_GATEWAY, key, NULL, &err), 0);
    assert_int_equal(apikey_create(f->db.core, f->tenant, "Appli", SCOPE_OPEN311, key, NULL, &err),
                     0);
    assert_int_equal(core_setting_set(f->db.core, "audit_retention_days", "200", &err), 0);
    assert_int_equal(core_setting_set(f->db.core, "mail_held_retention_days", "12", &err), 0);
    assert_int_equal(core_setting_set(f->db.core, "post_dropped_retention_days", "45", &err), 0);
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

static json_t *build(fixture *f)
{
    const catalogue *cat = catalogue_acquire(f->db.core);
    json_t *model = NULL;
    error err;
    assert_int_equal(
        ropa_build(f->db.core, catalogue_tenant_by_slug(cat, "ville-test"), &model, &err), 0);
    catalogue_release(f->db.core, cat);
    return model;
}

static json_t *entry(json_t *model, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(model, "entries"), i,
                       e) if (strcmp(json_string_value(json_object_get(e, "id")), id) ==
                              0) return e;
    fail_msg("no entry %s", id);
    return NULL;
}

/* The members `field` of list's objects whose `key` is `value`, joined with ','. */
static void pick(json_t *list, const char *key, const char *value, const char *field, char *out,
                 size_t size)
{
    size_t i, len = 0;
    json_t *x;
    out[0] = '\0';
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, key));
        if (!k || strcmp(k, value) != 0)
            continue;
        const char *v = json_string_value(json_object_get(x, field));
        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", v ? v : "-");
    }
}

static void test_model(void **state)
{
    fixture *f = *state;
    json_t *m = build(f);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "controller"), "name")), "Ville Test");
    json_t *entries = json_object_get(m, "entries");
    /* Two procedures, accounts, audit, agents, held mail, SMS opt-outs, subscribers, the
     * documents issued and the post room. */
    assert_int_equal(json_array_size(entries), 10);
    char got[512];

    json_t *nid = entry(m, "procedure:nid-de-poule");
    assert_string_equal(json_string_value(json_object_get(nid, "purpose")), "Signalez un trou.");
    assert_string_equal(json_string_value(json_object_get(nid, "procedure_kind")), "incident");
    assert_true(json_is_true(json_object_get(nid, "anonymous_allowed")));
    json_t *data = json_object_get(nid, "data");
    pick(data, "category", "attribute", "code", got, sizeof got);
    assert_string_equal(got, "taille,plaque"); /* the notice asks nothing */
    pick(data, "category", "location", "category", got, sizeof got);
    assert_string_equal(got, "location");
    pick(data, "code", "plaque", "datatype", got, sizeof got);
    assert_string_equal(got, "string");
    json_t *rec = json_object_get(nid, "recipients");
    pick(rec, "kind", "department", "name", got, sizeof got);
    assert_string_equal(got, "Voirie");
    pick(rec, "kind", "api_key", "name", got, sizeof got);
    assert_string_equal(got, "Logiciel métier"); /* not the revoked one */
    pick(rec, "kind", "gateway_key", "name", got, sizeof got);
    assert_string_equal(got, "Passerelle SMS");
    pick(rec, "kind", "open311", "detail", got, sizeof got);
    assert_string_equal(got, "status");
    pick(rec, "kind", "public_list", "kind", got, sizeof got);
    assert_string_equal(got, "public_list");
    assert_true(json_is_null(json_object_get(nid, "retention_days")));
    /* The retention the pass applies: the default of each kind when none was set. */
    assert_int_equal(json_integer_value(json_object_get(nid, "retention_months")),
                     RETENTION_MONTHS_INCIDENT);

    json_t *question = entry(m, "procedure:question");
    assert_true(json_is_false(json_object_get(question, "active")));
    assert_int_equal(json_integer_value(json_object_get(question, "retention_months")),
                     RETENTION_MONTHS_DEMARCHE);
    pick(json_object_get(question, "data"), "category", "location", "category", got, sizeof got);
    assert_string_equal(got, ""); /* a démarche has no location step */
    rec = json_object_get(question, "recipients");
    pick(rec, "kind", "no_department", "kind", got, sizeof got);
    assert_string_equal(got, "no_department");
    pick(rec, "kind", "open311", "kind", got, sizeof got);
    assert_string_equal(got, "");

    assert_int_equal(json_integer_value(json_object_get(entry(m, "audit"), "retention_days")), 200);
    assert_true(json_is_null(json_object_get(entry(m, "accounts"), "retention_days")));
    /* The channels' own data, each with the period the retention pass applies: the
     * held mail's from its setting, an opt-out's none (it lasts as long as it is wanted). */
    /* The agents as data subjects: their audit entries go with the audit log's period. */
    json_t *agents = entry(m, "agents");
    assert_string_equal(json_string_value(json_object_get(agents, "legal_basis")),
                        "public_interest");
    assert_int_equal(json_integer_value(json_object_get(agents, "retention_days")), 200);
    assert_string_equal(json_string_value(json_object_get(agents, "retention_rule")), "agents");
    pick(json_object_get(agents, "data"), "category", "agent_auth", "category", got, sizeof got);
    assert_string_equal(got, "agent_auth");
    /* the dashboards' figures per agent, which their managers see */
    pick(json_object_get(agents, "data"), "category", "agent_figures", "category", got, sizeof got);
    assert_string_equal(got, "agent_figures");
    json_t *held = entry(m, "mail_held");
    assert_int_equal(json_integer_value(json_object_get(held, "retention_days")), 12);
    assert_string_equal(json_string_value(json_object_get(held, "retention_rule")), "held_mail");
    pick(json_object_get(held, "data"), "category", "held_mail", "category", got, sizeof got);
    assert_string_equal(got, "held_mail");
    json_t *optouts = entry(m, "sms_optouts");
    assert_true(json_is_null(json_object_get(optouts, "retention_days")));
    assert_string_equal(json_string_value(json_object_get(optouts, "legal_basis")), "objection");
    assert_int_equal(json_integer_value(json_object_get(entry(m, "subscribers"), "retention_days")),
                     BROADCAST_ENDED_KEEP_DAYS);
    /* The documents go with their request (its anonymisation), as the post room's letters
     * filed; both say so in their rule. A dropped scan goes after the setting's days. */
    json_t *docs = entry(m, "documents");
    assert_string_equal(json_string_value(json_object_get(docs, "legal_basis")),
                        "legal_obligation");
    assert_string_equal(json_string_value(json_object_get(docs, "retention_rule")), "documents");
    pick(json_object_get(docs, "data"), "category", "document_proof", "category", got, sizeof got);
    assert_string_equal(got, "document_proof");
    json_t *post = entry(m, "post_room");
    assert_string_equal(json_string_value(json_object_get(post, "retention_rule")), "post_room");
    assert_int_equal(json_integer_value(json_object_get(post, "retention_days")), 45);
    pick(json_object_get(post, "data"), "category", "post_scan", "category", got, sizeof got);
    assert_string_equal(got, "post_scan");
    json_decref(m);
}

static void test_labels_and_csv(void **state)
{
    fixture *f = *state;
    json_t *m = build(f);
    json_t *strings = json_pack(
        "{s:{s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s}}}",
        "ropa", "title", "Registre", "columns", "name", "Traitement", "purpose", "Finalité", "data",
        "Données", "purpose", "procedure", "« {name} » ; {description}", "data", "attribute",
        "{label}", "required", "obligatoire", "datatype", "singlevaluelist", "liste", "recipients",
        "department", "Service « {name} »", "api_key", "=Logiciel {name}", "retention", "days",
        "{days} jours", "held_mail", "{days} jours après la réception");
    json_t *l = ropa_label(m, strings);
    assert_non_null(l);
    json_t *nid = entry(l, "procedure:nid-de-poule");
    assert_string_equal(json_string_value(json_object_get(nid, "purpose_text")),
                        "« Nid de poule » ; Signalez un trou.");
    assert_string_equal(json_string_value(json_array_get(json_object_get(nid, "data_text"), 4)),
                        "Taille du trou (liste, obligatoire)");
    /* A string absent from the strings shows its key. */
    assert_string_equal(json_string_value(json_array_get(json_object_get(nid, "data_text"), 0)),
                        "ropa.data.identity");
    assert_string_equal(json_string_value(json_object_get(entry(l, "audit"), "retention_text")),
                        "200 jours");
    assert_string_equal(json_string_value(json_object_get(l, "title")), "Registre");
    /* A channel's retention is worded by its rule, with its days. */
    assert_string_equal(json_string_value(json_object_get(entry(l, "mail_held"), "retention_text")),
                        "12 jours après la réception");

    buf out;
    buf_init(&out, 1024 * 1024);
    error err;
    assert_int_equal(ropa_csv(l, &out, &err), 0);
    const char *csv = out.data;
    assert_memory_equal(csv, "\xEF\xBB\xBFTraitement;Finalité;",
                        strlen("\xEF\xBB\xBFTraitement;Finalité;"));
    /* Eleven lines of CRLF: the heading and ten entries. */
    size_t lines = 0;
    for (const char *p = csv; (p = strstr(p, "\r\n")); p += 2)
        lines++;
    assert_int_equal(lines, 11);
    /* A cell with the separator is quoted; lists are joined; a formula is neutralised. */
    assert_non_null(strstr(csv, "\nNid de poule;\"« Nid de poule » ; Signalez un trou.\";"));
    assert_non_null(strstr(csv, "Service « Voirie » | ropa.recipients.admins"));
    assert_non_null(strstr(csv, "| =Logiciel Logiciel métier |"));
    assert_null(strstr(csv, ";=Logiciel"));
    buf_free(&out);

    /* A cell starting with a formula character gets a quote in front. */
    json_t *one = json_pack("{s:{s:s}, s:[{s:s}]}", "columns", "name", "Nom", "entries", "name",
                            "=HYPERLINK(\"x\")");
    buf_init(&out, 4096);
    assert_int_equal(ropa_csv(one, &out, &err), 0);
    assert_non_null(strstr(out.data, "\r\n\"'=HYPERLINK(\"\"x\"\")\";"));
    buf_free(&out);
    /* Over the buffer's maximum: an error, not a cut register. */
    buf_init(&out, 16);
    assert_int_equal(ropa_csv(l, &out, &err), -1);
    buf_free(&out);
    json_decref(one);
    json_decref(l);
    json_decref(strings);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_and_csv, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/status.h"
#include "store/store.h"

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
    char dir[64];
    char path[96];
    store *store;
    core *core;
    int64_t tenant_id;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/guichet-core-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    error err;
    f->store = store_open(f->path, &err);
    assert_non_null(f->store);
    assert_int_equal(f->store->ops->migrate(f->store, &err), 0);
    f->core = core_open(f->store, NULL, &err);
    assert_non_null(f->core);
    store_tenant t = {.slug = "ville-test", .name = "Ville Test", .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris", .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->core, &t, &f->tenant_id, &err), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep_id = 0;
    assert_int_equal(admin_department_upsert(f->core, &d, &dep_id, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->core, &d2, NULL, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id, .code = "nid-de-poule", .name = "Nid de poule",
                         .group_name = "Signaler un problème", .attributes = ATTRS,
                         .department_id = dep_id, .kind = PROCEDURE_INCIDENT, .is_public = 1,
                         .open311 = 1, .delay_days = 7, .active = 1};
    assert_int_equal(admin_procedure_upsert(f->core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id, .code = "question", .name = "Question",
                         .group_name = "Vie quotidienne", .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->core, &q, NULL, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    core_close(f->core);
    store_close(f->store);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
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

static void test_status(void **state)
{
    (void)state;
    status s;
    assert_int_equal(status_parse("in_progress", &s), 0);
    assert_int_equal(s, STATUS_IN_PROGRESS);
    assert_int_equal(status_parse("bogus", &s), -1);
    assert_string_equal(status_label(STATUS_RESOLVED, LANG_FR), "résolue");
    assert_string_equal(status_label(STATUS_ACKNOWLEDGED, LANG_FR), "prise en compte");
    assert_string_equal(status_label(STATUS_ACKNOWLEDGED, LANG_EN), "acknowledged");
    assert_string_equal(status_open311(STATUS_NEW), "open");
    assert_string_equal(status_open311(STATUS_DUPLICATE), "closed");
    assert_string_equal(status_open311_of("rejected"), "closed");
    assert_true(status_transition_allowed(STATUS_NEW, STATUS_IN_PROGRESS));
    assert_false(status_transition_allowed(STATUS_NEW, STATUS_NEW));
    assert_false(status_transition_allowed(STATUS_RESOLVED, STATUS_NEW));
    assert_true(status_transition_allowed(STATUS_RESOLVED, STATUS_IN_PROGRESS));
    for (int i = 0; i < STATUS_COUNT; i++) {
        assert_int_equal(status_parse(status_code((status)i), &s), 0);
        assert_int_equal(s, i);
    }
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
    assert_int_equal(attrs_validate(&a, defs, n, ok, 5, &json, &err), 0);
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
        assert_int_equal(attrs_validate(&a, defs, n, in, 2, &json, &err), -1);
        assert_int_equal(err.code, bad[i].code);
        assert_string_equal(err.arg, bad[i].arg);
    }
    attr_input missing[] = {{"nombre", "2"}};
    assert_int_equal(attrs_validate(&a, defs, n, missing, 1, &json, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "attribute[taille]");
    attr_input twice[] = {{"taille", "petit"}, {"taille", "grand"}};
    assert_int_equal(attrs_validate(&a, defs, n, twice, 2, &json, &err), -1);

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

static void test_catalogue(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
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
    catalogue_release(f->core, cat);

    /* A second tenant: hosts now decide. */
    error err;
    store_tenant t2 = {.slug = "autre", .name = "Autre", .hosts = "autre.fr www.autre.fr",
                       .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->core, &t2, NULL, &err), 0);
    cat = catalogue_acquire(f->core);
    assert_int_equal(cat->n_tenants, 2);
    assert_string_equal(catalogue_tenant_for_host(cat, "WWW.Autre.fr:443")->rec.slug, "autre");
    assert_string_equal(catalogue_tenant_for_host(cat, "ville-test.fr")->rec.slug, "ville-test");
    assert_null(catalogue_tenant_for_host(cat, "unknown.fr"));
    assert_null(catalogue_tenant_for_host(cat, "autre"));
    catalogue_release(f->core, cat);
}

/* Host names choose the collectivité, so one name belongs to one collectivité only: a second
 * claim is refused (whatever its case) and changes nothing; names are checked and kept in
 * lowercase; NULL hosts leave a collectivité's names as they are. */
static void test_tenant_hosts_unique(void **state)
{
    fixture *f = *state;
    error err;
    store_tenant t2 = {.slug = "autre", .name = "Autre", .hosts = "Autre.fr  www.autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->core, &t2, NULL, &err), 0);
    store_tenant thief = {.slug = "voleuse", .name = "Voleuse", .hosts = "voleuse.fr AUTRE.fr"};
    assert_int_equal(admin_tenant_upsert(f->core, &thief, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "hosts");
    assert_non_null(strstr(err.detail, "autre.fr"));
    assert_non_null(strstr(err.detail, "autre"));
    /* The existing collectivité taking it is refused the same way. */
    store_tenant t1 = {
        .slug = "ville-test", .name = "Ville Test", .hosts = "ville-test.fr autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->core, &t1, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    const catalogue *cat = catalogue_acquire(f->core);
    assert_null(catalogue_tenant_by_slug(cat, "voleuse"));
    assert_string_equal(catalogue_tenant_by_slug(cat, "ville-test")->rec.hosts, "ville-test.fr");
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.hosts, "autre.fr www.autre.fr");
    assert_string_equal(catalogue_tenant_for_host(cat, "autre.fr")->rec.slug, "autre");
    catalogue_release(f->core, cat);

    /* Saving again with its own names, or without touching them, is fine; giving one up
     * frees it for another collectivité. */
    assert_int_equal(admin_tenant_upsert(f->core, &t2, NULL, &err), 0);
    store_tenant rename = {.slug = "autre", .name = "Autre Commune", .hosts = NULL};
    assert_int_equal(admin_tenant_upsert(f->core, &rename, NULL, &err), 0);
    cat = catalogue_acquire(f->core);
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.name, "Autre Commune");
    assert_string_equal(catalogue_tenant_by_slug(cat, "autre")->rec.hosts, "autre.fr www.autre.fr");
    catalogue_release(f->core, cat);
    store_tenant give_up = {.slug = "autre", .name = "Autre", .hosts = "www.autre.fr"};
    assert_int_equal(admin_tenant_upsert(f->core, &give_up, NULL, &err), 0);
    assert_int_equal(admin_tenant_upsert(f->core, &thief, NULL, &err), 0);

    /* Only host names: no port, path, scheme or space inside. */
    const char *bad[] = {"ville.fr:8080", "ville.fr/x", "https://ville.fr", "ville_fr", "-ville.fr",
                         "ville..fr", "[::1", "evil.test\\x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        store_tenant b = {.slug = "mauvaise", .name = "Mauvaise", .hosts = bad[i]};
        assert_int_equal(admin_tenant_upsert(f->core, &b, NULL, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "hosts");
    }
    store_tenant ok = {.slug = "bonne", .name = "Bonne", .hosts = "127.0.0.1 [::1] localhost"};
    assert_int_equal(admin_tenant_upsert(f->core, &ok, NULL, &err), 0);
}

static void test_catalogue_notices_other_process(void **state)
{
    fixture *f = *state;
    error err;
    /* Another handle on the same file stands for a CLI command run next to the server. */
    store *other = store_open(f->path, &err);
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
        const catalogue *cat = catalogue_acquire(f->core);
        seen = catalogue_procedure(catalogue_tenant_by_slug(cat, "ville-test"), "graffiti") != NULL;
        catalogue_release(f->core, cat);
        if (!seen)
            usleep(100 * 1000);
    }
    assert_true(seen);
}

static void test_request_create(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
    request_input in = incident(cat);
    request_created out, out2;
    error err;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    assert_int_equal(strlen(out.reference), 11);
    assert_int_equal(out.reference[4], '-');
    assert_true(strlen(out.token) >= 40);
    assert_int_equal(request_create(f->core, &in, &out2, NULL, NULL, &err), 0);
    /* References follow each other within the year. */
    assert_int_equal(strncmp(out.reference, out2.reference, 5), 0);
    assert_int_equal(strtol(out2.reference + 5, NULL, 10), strtol(out.reference + 5, NULL, 10) + 1);
    assert_string_not_equal(out.token, out2.token);

    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "new");
    assert_string_equal(r.channel, "web");
    assert_string_equal(r.email, "jeanne@exemple.fr");
    assert_true(r.has_location);
    assert_string_equal(r.attributes,
                        "{\"nombre\":\"3\",\"taille\":\"grand\",\"dechets\":[\"verre\",\"bois\"]}");
    assert_true(r.due_at == r.created_at + 7 * 86400);
    /* The token is stored hashed, never in clear. */
    char hash[65];
    core_hash_secret(f->core, out.token, hash);
    assert_string_equal(r.token_hash, hash);
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].kind, "created");
    assert_int_equal(request_get(f->core, in.tenant, "2026-999999", &a, &r, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
    catalogue_release(f->core, cat);
}

static void test_request_validation(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
    request_created out;
    error err;
    request_input in = incident(cat);
    in.lat = 91;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "lat");
    in = incident(cat);
    in.lon = -181;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "long");
    in = incident(cat);
    in.has_location = 0;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(err.arg, "location");
    in.address = "3 rue Victor Hugo";
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    in = incident(cat);
    in.email = "pas-une-adresse";
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "email");
    in = incident(cat);
    in.description = "caf\xc3";
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "description");
    in = incident(cat);
    char *longtext = malloc(4002);
    memset(longtext, 'a', 4001);
    longtext[4001] = '\0';
    in.description = longtext;
    in.description_max = 4000;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "description");
    in.description_max = 0; /* other channels take longer texts */
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    free(longtext);
    in = incident(cat);
    in.media_url = "javascript:alert(1)";
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "media_url");
    in = incident(cat);
    in.n_attrs = 1;
    in.attrs = (const attr_input[]){{"nombre", "2"}};
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), -1);
    assert_string_equal(err.arg, "attribute[taille]");
    catalogue_release(f->core, cat);
}

static void test_idempotency(void **state)
{
    fixture *f = *state;
    error err;
    char key[APIKEY_LEN];
    int64_t key_id = 0;
    assert_int_equal(apikey_create(f->core, f->tenant_id, "app", SCOPE_OPEN311, key, &key_id, &err),
                     0);
    const catalogue *cat = catalogue_acquire(f->core);
    request_input in = incident(cat);
    in.api_key_id = key_id;
    in.idempotency_key = "retry-42";
    request_created first, again;
    assert_int_equal(request_create(f->core, &in, &first, NULL, NULL, &err), 0);
    assert_false(first.replayed);
    assert_int_equal(request_create(f->core, &in, &again, NULL, NULL, &err), 0);
    assert_true(again.replayed);
    assert_string_equal(first.reference, again.reference);
    assert_string_equal(again.token, "");
    in.idempotency_key = "retry-43";
    assert_int_equal(request_create(f->core, &in, &again, NULL, NULL, &err), 0);
    assert_string_not_equal(first.reference, again.reference);
    catalogue_release(f->core, cat);
}

static void test_request_update(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
    request_input in = incident(cat);
    request_created out;
    error err;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    request_change ch = {.status = "in_progress", .note = "Une équipe passe demain.",
                         .assignee = "agent:durand", .priority = 2, .department = "proprete",
                         .actor = "agent:durand", .ch = CHANNEL_API};
    assert_int_equal(request_update(f->core, in.tenant, out.reference, &ch, NULL, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    assert_int_equal(request_get(f->core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "in_progress");
    assert_string_equal(r.assignee, "agent:durand");
    assert_int_equal(r.priority, 2);
    assert_string_equal(r.status_notes, "Une équipe passe demain.");
    assert_int_equal(r.department_id, catalogue_department(in.tenant, "proprete")->rec.id);
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 5); /* created, status, assign, priority, department */
    assert_string_equal(ev[1].kind, "status");
    assert_string_equal(ev[1].status_from, "new");
    assert_string_equal(ev[1].status_to, "in_progress");
    assert_true(ev[1].is_public);
    assert_false(ev[2].is_public);
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 1, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);

    request_change close = {.status = "resolved", .priority = -1, .actor = "agent:durand"};
    assert_int_equal(request_update(f->core, in.tenant, out.reference, &close, NULL, NULL, &err),
                     0);
    assert_int_equal(request_get(f->core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_true(r.closed_at > 0);
    request_change back = {.status = "new", .priority = -1};
    assert_int_equal(request_update(f->core, in.tenant, out.reference, &back, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    request_change unknown = {.status = "lost", .priority = -1};
    assert_int_equal(
        request_update(f->core, in.tenant, out.reference, &unknown, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    request_change nodep = {.department = "cuisine", .priority = -1};
    assert_int_equal(request_update(f->core, in.tenant, out.reference, &nodep, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "department");
    assert_int_equal(request_update(f->core, in.tenant, "2000-000001", &close, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    assert_int_equal(request_add_note(f->core, in.tenant, out.reference, "Vu sur place", 0,
                                      "agent:durand", CHANNEL_COUNTER, NULL, NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->core, in.tenant, out.reference, "", 1, "agent:durand",
                                      CHANNEL_COUNTER, NULL, NULL, &err),
                     -1);
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_string_equal(ev[n - 1].kind, "note");
    assert_string_equal(ev[n - 1].body, "Vu sur place");
    assert_false(ev[n - 1].is_public);
    arena_free(&a);
    catalogue_release(f->core, cat);
}

/* The instance secret leaves the database for its own file, unchanged (tokens hashed with it
 * stay valid), and a copy of the database no longer holds it. */
static void test_secret_file(void **state)
{
    fixture *f = *state;
    error err;
    char before[65], after[65], again[65];
    core_hash_secret(f->core, "un jeton", before);
    char key[128];
    snprintf(key, sizeof key, "%s/t.db.key", f->dir);

    core *moved = core_open(f->store, key, &err);
    assert_non_null(moved);
    core_hash_secret(moved, "un jeton", after);
    assert_string_equal(before, after);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    arena a;
    arena_init(&a, 0);
    const char *stored = "";
    assert_int_equal(f->store->ops->settings.get(f->store, "instance_secret", &a, &stored, &err),
                     0);
    assert_null(stored); /* gone from the database */
    core_close(moved);

    core *reopened = core_open(f->store, key, &err);
    assert_non_null(reopened);
    core_hash_secret(reopened, "un jeton", again);
    assert_string_equal(before, again);
    core_close(reopened);

    /* A new database gets a fresh secret straight into its file. */
    char other[128];
    snprintf(other, sizeof other, "%s/other.key", f->dir);
    core *fresh = core_open(f->store, other, &err);
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
    assert_null(core_open(f->store, other, &err));
    assert_non_null(strstr(err.detail, "malformed"));
    arena_free(&a);
}

static void test_apikey(void **state)
{
    fixture *f = *state;
    error err;
    char key[APIKEY_LEN];
    int64_t id = 0;
    assert_int_equal(apikey_create(f->core, f->tenant_id, "agents", SCOPE_API, key, &id, &err), 0);
    assert_int_equal(strncmp(key, "gk_", 3), 0);
    arena a;
    arena_init(&a, 0);
    store_apikey k;
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, key, SCOPE_API, &a, &k, &err), 0);
    assert_int_equal(k.id, id);
    /* An api key may do what an open311 key may, not the reverse. */
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, key, SCOPE_OPEN311, &a, &k, &err),
                     0);
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, key, SCOPE_GATEWAY, &a, &k, &err),
                     -1);
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id + 1, key, SCOPE_API, &a, &k, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, "gk_wrong", SCOPE_API, &a, &k, &err),
                     -1);
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, "", SCOPE_API, &a, &k, &err), -1);
    assert_int_equal(apikey_revoke(f->core, f->tenant_id, id, &err), 0);
    assert_int_equal(apikey_authenticate(f->core, f->tenant_id, key, SCOPE_API, &a, &k, &err), -1);
    arena_free(&a);
}

static void test_request_process_atomic(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
    request_input in = incident(cat);
    request_created out;
    error err;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    store_event *ev = NULL;
    size_t n = 0;

    /* Reply, internal note and a closing status together. */
    request_processing ok = {.change = {.status = "resolved", .priority = -1,
                                        .actor = "agent:durand", .ch = CHANNEL_WEB},
                             .reply = "Le trou a été rebouché ce matin.",
                             .internal_note = "Enrobé à froid, à reprendre au printemps.",
                             .reply_url = "https://grc.example/suivi"};
    assert_int_equal(request_process(f->core, in.tenant, out.reference, &ok, NULL, NULL, &err), 0);
    assert_int_equal(request_get(f->core, in.tenant, out.reference, &a, &r, &err), 0);
    assert_string_equal(r.status, "resolved");
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 4); /* created, reply, internal note, status */
    assert_string_equal(ev[1].body, "Le trou a été rebouché ce matin.");
    assert_true(ev[1].is_public);
    assert_false(ev[2].is_public);
    /* The citizen gave an e-mail: the reply e-mail is queued with the change. */
    store_outbox *mails = NULL;
    size_t n_mails = 0;
    assert_int_equal(f->store->ops->outbox.list(f->store, f->tenant_id, r.id, &a, &mails,
                                                &n_mails, &err),
                     0);
    assert_int_equal(n_mails, 1);
    assert_string_equal(mails[0].template, "request_reply");

    /* A refused transition writes nothing: neither the reply nor the note. */
    request_processing bad = {.change = {.status = "new", .priority = -1, .actor = "agent:durand"},
                              .reply = "Ceci ne doit pas partir.",
                              .internal_note = "Ni ceci."};
    assert_int_equal(request_process(f->core, in.tenant, out.reference, &bad, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(request_timeline(f->core, in.tenant, r.id, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(f->store->ops->outbox.list(f->store, f->tenant_id, r.id, &a, &mails,
                                                &n_mails, &err),
                     0);
    assert_int_equal(n_mails, 1);
    arena_free(&a);
    catalogue_release(f->core, cat);
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
    assert_int_equal(store_writer_start(f->store, &err), 0);
    const catalogue *cat = catalogue_acquire(f->core);
    enum { N = 50 };
    static request_created outs[N];
    static async_result results[N];
    memset(results, 0, sizeof results);
    for (int i = 0; i < N; i++) {
        request_input in = incident(cat);
        assert_int_equal(request_create(f->core, &in, &outs[i], async_done, &results[i], &err), 0);
    }
    store_writer_stop(f->store); /* drains the queue */
    for (int i = 0; i < N; i++) {
        assert_int_equal(results[i].calls, 1);
        assert_int_equal(results[i].rc, 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(outs[i].reference, outs[j].reference);
    }
    store_writer_stats st;
    store_writer_get_stats(f->store, &st);
    assert_true(st.jobs >= N);
    assert_true(st.batches <= st.jobs);
    catalogue_release(f->core, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_attrs),
        cmocka_unit_test_setup_teardown(test_catalogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_hosts_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_notices_other_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_process_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apikey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_with_writer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_demo — unit tests of the demo commune loader (src/cli/demo.c) and of the bulk import
 * it uses (core/admin.h), on real SQLite databases in a temporary directory: catalogue
 * content, coverage of channels, statuses and datatypes, coordinates, timelines, the
 * showcase descriptions, the citizens' side (publicity, supports, ratings, notifications,
 * anonymity), the back office (reply templates, an agent behind every assignee), determinism
 * and idempotency.
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
#include <strings.h>
#include <unistd.h>

#include "cli/demo.h"
#include "cli/demo_data.h"
#include "core/address.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/workflow.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define N_REQUESTS 400
#define SEED 42

typedef struct db {
    char path[96];
    store *store;
    core *core;
} db;

static char tmpdir[64];

static void db_open(db *d, const char *name)
{
    error err;
    snprintf(d->path, sizeof d->path, "%s/%s", tmpdir, name);
    d->store = store_sqlite_open(d->path, &err);
    assert_non_null(d->store);
    assert_int_equal(d->store->ops->migrate(d->store, &err), 0);
    d->core = core_open(d->store, NULL, &err);
    assert_non_null(d->core);
}

static void db_close(db *d)
{
    core_close(d->core);
    store_close(d->store);
}

static db loaded; /* loaded once by the group setup with N_REQUESTS and SEED */

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/guichet-demo-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    error err;
    db_open(&loaded, "demo.db");
    FILE *report = tmpfile();
    if (!report)
        return -1;
    int rc = demo_load(loaded.core, N_REQUESTS, 1, SEED, report, &err);
    if (rc != 0)
        fprintf(stderr, "demo_load: %s %s\n", err.arg, err.detail);
    fclose(report);
    return rc;
}

static int group_teardown(void **state)
{
    (void)state;
    db_close(&loaded);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static store_request_filter tenant_filter(const cat_tenant *t)
{
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    f.priority = -1;
    f.limit = N_REQUESTS * 2;
    return f;
}

static int64_t count(core *c, const store_request_filter *f)
{
    int64_t n = -1;
    error err;
    assert_int_equal(request_count(c, f, &n, &err), 0);
    return n;
}

/* All requests of the demo tenant, newest first, in a. */
static size_t all_requests(core *c, const cat_tenant *t, arena *a, store_request **out)
{
    store_request_filter f = tenant_filter(t);
    size_t n = 0;
    error err;
    assert_int_equal(request_search(c, &f, a, out, &n, &err), 0);
    return n;
}

static void test_catalogue(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    assert_non_null(t);
    assert_string_equal(t->rec.name, "Ville de Démo");
    assert_string_equal(t->rec.timezone, "Europe/Paris");
    assert_non_null(strstr(t->rec.hosts, "ville-demo.test"));
    assert_true(t->n_departments >= 7);
    static const char *const depts[] = {"voirie",     "proprete", "eclairage", "espaces-verts",
                                        "etat-civil", "scolaire", "ccas"};
    for (size_t i = 0; i < sizeof depts / sizeof depts[0]; i++)
        assert_non_null(catalogue_department(t, depts[i]));
    assert_true(t->n_procedures >= 12);

    int types[ATTR_TYPE_COUNT] = {0};
    int informational = 0;
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *p = &t->procedures[i];
        assert_true(p->rec.active);
        assert_non_null(p->department);
        assert_non_null(p->rec.service_notice);
        for (size_t k = 0; k < p->n_attrs; k++) {
            types[p->attrs[k].type]++;
            informational += !p->attrs[k].variable;
        }
    }
    for (int ty = 0; ty < ATTR_TYPE_COUNT; ty++)
        assert_true(types[ty] > 0);
    assert_true(informational > 0);

    /* Open311 exposure and publicity as the brief sets them */
    const cat_procedure *sg = catalogue_procedure(t, "stationnement-genant");
    assert_non_null(sg);
    assert_int_equal(sg->rec.is_public, 0);
    assert_int_equal(sg->rec.auto_public, 0);
    assert_int_equal(sg->rec.allow_anonymous, 0);
    assert_int_equal(sg->rec.open311, 1);
    static const char *const auto_public[] = {"eclairage-panne", "mobilier-urbain"};
    for (size_t i = 0; i < 2; i++) {
        const cat_procedure *p = catalogue_procedure(t, auto_public[i]);
        assert_non_null(p);
        assert_int_equal(p->rec.is_public, 1);
        assert_int_equal(p->rec.auto_public, 1);
    }
    const cat_procedure *question = catalogue_procedure(t, "question-generale");
    assert_non_null(question);
    assert_int_equal(question->rec.allow_anonymous, 1);
    assert_int_equal(question->rec.is_public, 0);
    /* every incident but stationnement gênant may be anonymous; no other démarche */
    for (size_t i = 0; i < t->n_procedures; i++) {
        const store_procedure *pr = &t->procedures[i].rec;
        int expected = pr->kind == PROCEDURE_INCIDENT
                           ? strcmp(pr->code, "stationnement-genant") != 0
                           : strcmp(pr->code, "question-generale") == 0;
        assert_int_equal(pr->allow_anonymous, expected);
        if (pr->auto_public)
            assert_int_equal(pr->is_public, 1);
    }
    const cat_procedure *ccas = catalogue_procedure(t, "aide-ccas");
    assert_non_null(ccas);
    assert_int_equal(ccas->rec.open311, 0);
    const cat_procedure *nid = catalogue_procedure(t, "nid-de-poule");
    assert_non_null(nid);
    assert_int_equal(nid->rec.open311, 1);
    assert_int_equal(nid->rec.is_public, 1);
    assert_int_equal(nid->rec.kind, PROCEDURE_INCIDENT);
    const cat_procedure *acte = catalogue_procedure(t, "acte-etat-civil");
    assert_non_null(acte);
    assert_int_equal(acte->rec.kind, PROCEDURE_DEMARCHE);
    assert_int_equal(acte->rec.open311, 0);
    assert_int_equal(acte->rec.auto_public, 0);
    catalogue_release(loaded.core, cat);
}

/* Publicity, "moi aussi", ratings, notification channels and anonymity. */
static void test_citizen_side(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs);
    size_t public = 0, supported = 0, rated = 0, commented = 0, sms = 0;
    size_t anonymous = 0;
    int stars[6] = {0};
    for (size_t i = 0; i < n; i++) {
        const store_request *r = &rs[i];
        const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
        /* The demo's requests follow the shipped incident workflow, whatever their kind. */
        assert_string_equal(p->workflow->rec.code, "incident");
        const store_workflow_status *ws = workflow_status(p->workflow, r->status);
        assert_non_null(ws);
        const char *st = ws->code;
        if (r->is_public) {
            public++;
            /* only procedures marked public; never stationnement gênant */
            assert_int_equal(p->rec.is_public, 1);
            assert_string_not_equal(p->rec.code, "stationnement-genant");
            /* a new report is public only where the procedure publishes at once */
            if (strcmp(st, "new") == 0)
                assert_int_equal(p->rec.auto_public, 1);
        } else if (p->rec.is_public && strcmp(st, "rejected") != 0 &&
                   strcmp(st, "duplicate") != 0) {
            /* accepted reports of public procedures are all public */
            assert_string_equal(st, "new");
            assert_int_equal(p->rec.auto_public, 0);
        }
        assert_true(r->supporters >= 0);
        if (r->supporters > 0) {
            supported++;
            assert_int_equal(r->is_public, 1);
        }
        assert_true(r->rating >= 0 && r->rating <= 5);
        if (r->rating) {
            rated++;
            stars[r->rating]++;
            assert_true(ws->open311_closed);
        }
        if (r->rating_comment) {
            commented++;
            assert_true(r->rating > 0);
            assert_true(strlen(r->rating_comment) > 10);
        }
        /* e-mail news whenever there is an address; SMS only with a phone */
        if (r->email)
            assert_string_equal(r->notify, "email");
        else if (r->notify) {
            assert_string_equal(r->notify, "sms");
            assert_non_null(r->phone);
            sms++;
        }
        if (!r->first_name && !r->last_name && !r->email && !r->phone) {
            anonymous++;
            assert_int_equal(p->rec.allow_anonymous, 1);
        }
        assert_int_equal(r->citizen_id, 0); /* the demo has no accounts */
    }
    assert_true(public > N_REQUESTS / 10);
    assert_true(supported > 0);
    assert_true(rated > N_REQUESTS / 20);
    assert_true(commented > 0);
    assert_true(sms > 0);
    assert_true(anonymous > 0);
    assert_true(stars[5] > 0 && stars[4] > 0);
    assert_true(stars[1] + stars[2] > 0);

    /* The store's public filter gives the same set. */
    store_request_filter f = tenant_filter(t);
    f.only_public = 1;
    assert_int_equal(count(loaded.core, &f), (int64_t) public);
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

static void test_counts_channels_statuses(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    assert_non_null(t);
    store_request_filter f = tenant_filter(t);
    assert_int_equal(count(loaded.core, &f), N_REQUESTS);
    int64_t sum = 0;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        store_request_filter fc = tenant_filter(t);
        fc.channel = channel_name((channel)ch);
        int64_t n = count(loaded.core, &fc);
        assert_true(n > 0);
        sum += n;
    }
    assert_int_equal(sum, N_REQUESTS);
    sum = 0;
    const cat_workflow *incident = workflow_by_code(t, "incident");
    for (size_t s = 0; s < incident->n_statuses; s++) {
        store_request_filter fs = tenant_filter(t);
        fs.statuses[0] = incident->statuses[s].code;
        fs.n_statuses = 1;
        int64_t n = count(loaded.core, &fs);
        assert_true(n > 0);
        sum += n;
    }
    assert_int_equal(sum, N_REQUESTS);
    catalogue_release(loaded.core, cat);
}

static void test_requests_content(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs);
    assert_int_equal(n, N_REQUESTS);
    int64_t now = time_now();
    size_t longest = 0, xml = 0, emoji = 0, assigned = 0, closed = 0;
    for (size_t i = 0; i < n; i++) {
        const store_request *r = &rs[i];
        const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
        assert_non_null(p);
        assert_int_equal(r->department_id, p->rec.department_id);
        assert_true(r->created_at > now - 367 * 86400);
        assert_true(r->created_at <= now);
        assert_true(r->updated_at >= r->created_at);
        assert_true(r->updated_at <= now);
        assert_non_null(r->description);
        assert_true(strlen(r->description) > 10);
        assert_non_null(r->reference);
        assert_non_null(r->token_hash);
        if (p->rec.delay_days > 0)
            assert_int_equal(r->due_at, request_due_at(t, p, r->created_at));
        assert_non_null(workflow_status(p->workflow, r->status));
        if (workflow_is_closed(p->workflow, r->status)) {
            closed++;
            assert_true(r->closed_at >= r->created_at);
            assert_true(r->closed_at <= r->updated_at);
        } else {
            assert_int_equal(r->closed_at, 0);
        }
        if (p->rec.kind == PROCEDURE_INCIDENT) {
            assert_true(r->has_location);
            assert_true(r->lat > DEMO_LAT_CENTER - DEMO_HALF_SIDE);
            assert_true(r->lat < DEMO_LAT_CENTER + DEMO_HALF_SIDE);
            assert_true(r->lon > DEMO_LON_CENTER - DEMO_HALF_SIDE);
            assert_true(r->lon < DEMO_LON_CENTER + DEMO_HALF_SIDE);
            assert_non_null(r->address);
            assert_string_equal(r->zipcode, DEMO_ZIPCODE);
        }
        if (r->email)
            assert_non_null(strstr(r->email, "@exemple.fr"));
        /* the year in the reference is the year of creation */
        char year[8];
        snprintf(year, sizeof year, "%d-", time_year(r->created_at, "Europe/Paris"));
        assert_memory_equal(r->reference, year, 5);
        size_t len = utf8_length(r->description, strlen(r->description)); /* characters */
        if (len > longest)
            longest = len;
        if (strpbrk(r->description, "<>&\"'") && strchr(r->description, '<') &&
            strchr(r->description, '&') && strchr(r->description, '"'))
            xml++;
        if (strstr(r->description, "\xF0\x9F")) /* a 4-byte emoji */
            emoji++;
        assigned += r->assignee != NULL;
    }
    assert_true(longest > 4000);
    assert_true(xml >= 1);
    assert_true(emoji >= 1);
    assert_true(assigned > N_REQUESTS / 4);
    assert_true(closed > N_REQUESTS / 2); /* a year of history is mostly closed */
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

/* Stored attribute values are exactly what attrs_validate accepts: the values read back
 * from the stored JSON validate against the procedure and give the same JSON again. */
/* The address list agrees with the requests: each located request's address («12 rue de la
 * Paix») is the first hit of a search for it, and an address lies near its position. */
static void test_addresses(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs), located = 0;
    error err;
    for (size_t i = 0; i < n; i++) {
        if (!rs[i].has_location || !rs[i].address)
            continue;
        located++;
        store_address *hits = NULL;
        size_t n_hits = 0;
        assert_int_equal(
            address_search(loaded.core, t->rec.id, rs[i].address, 1, &a, &hits, &n_hits, &err), 0);
        assert_int_equal(n_hits, 1);
        /* «12 Rue de la Paix, 69999 Ville de Démo» for «12 rue de la Paix». */
        assert_int_equal(strncasecmp(hits[0].label, rs[i].address, strlen(rs[i].address)), 0);
        assert_string_equal(hits[0].label + strlen(rs[i].address), ", 69999 Ville de Démo");
        store_address near;
        int found = 0;
        assert_int_equal(address_nearest(loaded.core, t->rec.id, rs[i].lat, rs[i].lon,
                                         ADDRESS_NEAREST_MAX_M, &a, &near, NULL, &found, &err),
                         0);
        assert_int_equal(found, 1);
    }
    assert_true(located > 0);
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

static void test_attributes_valid(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs);
    size_t with_values = 0;
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p = catalogue_procedure_by_id(t, rs[i].procedure_id);
        assert_non_null(rs[i].attributes);
        json_t *root = json_loads(rs[i].attributes, 0, NULL);
        assert_true(json_is_object(root));
        attr_input in[64];
        size_t n_in = 0;
        const char *code;
        json_t *val;
        json_object_foreach(root, code, val)
        {
            if (json_is_array(val)) {
                size_t k;
                json_t *item;
                json_array_foreach(val, k, item)
                {
                    assert_true(n_in < 64);
                    in[n_in].code = code;
                    in[n_in++].value = json_string_value(item);
                }
            } else if (json_is_object(val)) {
                /* A location: its stored object, as JSON text, is an input for it too. */
                char *text = json_dumps(val, JSON_COMPACT);
                assert_true(n_in < 64 && text);
                in[n_in].code = code;
                in[n_in++].value = arena_strdup(&a, text);
                free(text);
            } else {
                assert_true(n_in < 64);
                in[n_in].code = code;
                in[n_in++].value = json_string_value(val);
            }
        }
        const char *again = NULL;
        error err;
        assert_int_equal(attrs_validate(&a, p->attrs, p->n_attrs, in, n_in, NULL, &again, &err), 0);
        json_t *back = json_loads(again, 0, NULL);
        assert_true(json_equal(root, back));
        json_decref(back);
        json_decref(root);
        with_values += n_in > 0;
    }
    assert_true(with_values > n * 9 / 10); /* only question-generale has none required */
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

static void test_timelines(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs);
    size_t internal = 0, public_notes = 0;
    for (size_t i = 0; i < n; i++) {
        store_event *ev = NULL;
        size_t ne = 0;
        error err;
        assert_int_equal(request_timeline(loaded.core, t, rs[i].id, 0, &a, &ev, &ne, &err), 0);
        assert_true(ne >= 1);
        assert_string_equal(ev[0].kind, "created");
        assert_string_equal(ev[0].channel, rs[i].channel);
        assert_int_equal(ev[0].created_at, rs[i].created_at);
        const char *last_status = "new";
        for (size_t k = 0; k < ne; k++) {
            assert_true(ev[k].created_at >= rs[i].created_at);
            assert_true(ev[k].created_at <= rs[i].updated_at);
            if (k > 0)
                assert_true(ev[k].created_at >= ev[k - 1].created_at);
            if (strcmp(ev[k].kind, "status") == 0) {
                assert_string_equal(ev[k].status_from, last_status);
                last_status = ev[k].status_to;
                assert_non_null(ev[k].body);
            }
            if (strcmp(ev[k].kind, "note") == 0) {
                internal += !ev[k].is_public;
                public_notes += ev[k].is_public;
            }
        }
        /* the timeline ends in the request's status */
        assert_string_equal(last_status, rs[i].status);
    }
    assert_true(internal > 0);
    assert_true(public_notes > 0);
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

static void test_idempotent(void **state)
{
    (void)state;
    error err;
    char text[512] = "";
    FILE *report = tmpfile();
    assert_non_null(report);
    assert_int_equal(demo_load(loaded.core, N_REQUESTS, 1, SEED + 1, report, &err), 0);
    rewind(report);
    size_t got = fread(text, 1, sizeof text - 1, report);
    text[got] = '\0';
    fclose(report);
    assert_non_null(strstr(text, "already loaded"));
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    store_request_filter f = tenant_filter(t);
    assert_int_equal(count(loaded.core, &f), N_REQUESTS);
    catalogue_release(loaded.core, cat);
}

/* Same seed, same commune (apart from the "now" anchor); another seed, another one. */
static void test_deterministic(void **state)
{
    (void)state;
    db d1, d2;
    db_open(&d1, "same.db");
    db_open(&d2, "other.db");
    error err;
    assert_int_equal(demo_load(d1.core, N_REQUESTS, 1, SEED, NULL, &err), 0);
    assert_int_equal(demo_load(d2.core, N_REQUESTS, 1, SEED + 7, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request *r0 = NULL, *r1 = NULL, *r2 = NULL;
    const catalogue *c0 = catalogue_acquire(loaded.core);
    const catalogue *c1 = catalogue_acquire(d1.core);
    const catalogue *c2 = catalogue_acquire(d2.core);
    size_t n0 = all_requests(loaded.core, catalogue_tenant_by_slug(c0, "ville-demo"), &a, &r0);
    size_t n1 = all_requests(d1.core, catalogue_tenant_by_slug(c1, "ville-demo"), &a, &r1);
    size_t n2 = all_requests(d2.core, catalogue_tenant_by_slug(c2, "ville-demo"), &a, &r2);
    assert_int_equal(n0, N_REQUESTS);
    assert_int_equal(n1, N_REQUESTS);
    assert_int_equal(n2, N_REQUESTS);
    /* Only the last day and the statuses of recent requests depend on the instant of the
     * load; the rest must be identical. */
    int64_t now = time_now();
    size_t differ = 0, compared = 0;
    for (size_t i = 0; i < n0; i++) {
        differ += strcmp(r0[i].description, r2[i].description) != 0;
        if (r0[i].created_at > now - 86400)
            continue;
        compared++;
        assert_int_equal(r0[i].created_at, r1[i].created_at);
        assert_string_equal(r0[i].description, r1[i].description);
        assert_string_equal(r0[i].channel, r1[i].channel);
        assert_string_equal(r0[i].attributes, r1[i].attributes);
        assert_int_equal(r0[i].priority, r1[i].priority);
        if (r0[i].created_at < now - 40 * 86400) {
            assert_string_equal(r0[i].status, r1[i].status);
            assert_int_equal(r0[i].closed_at, r1[i].closed_at);
            assert_int_equal(r0[i].is_public, r1[i].is_public);
            assert_int_equal(r0[i].rating, r1[i].rating);
            assert_int_equal(r0[i].supporters, r1[i].supporters);
        }
    }
    assert_true(compared > N_REQUESTS * 9 / 10);
    assert_true(differ > N_REQUESTS / 2);
    catalogue_release(d2.core, c2);
    catalogue_release(d1.core, c1);
    catalogue_release(loaded.core, c0);
    arena_free(&a);
    db_close(&d2);
    db_close(&d1);
}

/* A catalogue-only demo, then a wrong import: nothing is written. */
static void test_import_checks(void **state)
{
    (void)state;
    db d;
    db_open(&d, "empty.db");
    error err;
    assert_int_equal(demo_load(d.core, 0, 1, SEED, NULL, &err), 0);
    const catalogue *cat = catalogue_acquire(d.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    assert_non_null(t);
    const cat_procedure *p = catalogue_procedure(t, "question-generale");
    assert_non_null(p);
    admin_import_event ev = {.created_at = 1700000000,
                             .kind = "created",
                             .is_public = 1,
                             .actor = "citizen",
                             .channel = "web",
                             .status_to = "new"};
    admin_import_request q[2];
    memset(q, 0, sizeof q);
    for (int i = 0; i < 2; i++) {
        q[i].rec.tenant_id = t->rec.id;
        q[i].rec.procedure_id = p->rec.id;
        q[i].rec.status = "new";
        q[i].rec.channel = "web";
        q[i].rec.description = "Bonjour";
        q[i].rec.priority = 1;
        q[i].rec.created_at = 1700000000;
        q[i].events = &ev;
        q[i].n_events = 1;
    }
    q[1].rec.status = "bogus";
    size_t written = 99;
    assert_int_equal(admin_import_requests(d.core, q, 2, &written, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "requests[1].status");
    assert_int_equal(written, 0);
    store_request_filter f = tenant_filter(t);
    assert_int_equal(count(d.core, &f), 0);
    /* fixed, the same import goes in and is numbered in its creation year (2023) */
    q[1].rec.status = "new";
    assert_int_equal(admin_import_requests(d.core, q, 2, &written, &err), 0);
    assert_int_equal(written, 2);
    assert_int_equal(count(d.core, &f), 2);
    arena a;
    arena_init(&a, 0);
    store_request *rs = NULL;
    size_t n = all_requests(d.core, t, &a, &rs);
    assert_int_equal(n, 2);
    assert_memory_equal(rs[0].reference, "2023-", 5);
    assert_string_not_equal(rs[0].token_hash, rs[1].token_hash);
    arena_free(&a);
    catalogue_release(d.core, cat);
    db_close(&d);
}

/* The back office of the demo: reply templates with their variables, and an active agent of
 * the right department behind every assignee of the requests; a second load adds nothing. */
static void test_backoffice(void **state)
{
    (void)state;
    error err;
    store *s = loaded.store;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    assert_non_null(t);
    arena a;
    arena_init(&a, 0);

    store_reply_template *tpl = NULL;
    size_t n_tpl = 0;
    assert_int_equal(s->ops->reply_templates.list(s, t->rec.id, &a, &tpl, &n_tpl, &err), 0);
    assert_true(demo_n_reply_templates >= 5 && demo_n_reply_templates <= 8);
    assert_int_equal(n_tpl, demo_n_reply_templates);
    int scheduled = 0;
    for (size_t i = 0; i < n_tpl; i++) {
        assert_true(utf8_valid(tpl[i].body, strlen(tpl[i].body)));
        assert_non_null(strstr(tpl[i].body, "{{reference}}"));
        assert_non_null(strstr(tpl[i].body, "{{agent}}"));
        assert_non_null(strstr(tpl[i].body, "Bonjour"));
        if (strcmp(tpl[i].name, "Intervention programmée") == 0) {
            scheduled = 1;
            assert_non_null(strstr(tpl[i].body, "{{date}}"));
            assert_non_null(strstr(tpl[i].body, "{{procedure}}"));
        }
    }
    assert_true(scheduled);

    store_agent *agents = NULL;
    size_t n_agents = 0;
    assert_int_equal(s->ops->agents.list(s, t->rec.id, &a, &agents, &n_agents, &err), 0);
    assert_true(n_agents >= demo_n_departments);
    store_request *rs = NULL;
    size_t n = all_requests(loaded.core, t, &a, &rs);
    size_t assigned = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rs[i].assignee)
            continue;
        assigned++;
        const store_agent *found = NULL;
        for (size_t k = 0; k < n_agents && !found; k++) {
            char id[AGENT_ASSIGNEE_LEN];
            agent_assignee_id(&agents[k], id);
            if (strcmp(id, rs[i].assignee) == 0)
                found = &agents[k];
        }
        if (!found)
            fprintf(stderr, "no agent for assignee %s\n", rs[i].assignee);
        assert_non_null(found);
        assert_int_equal(found->active, 1);
        int in_department = 0;
        for (size_t k = 0; k < found->n_departments; k++)
            in_department |= found->department_ids[k] == rs[i].department_id;
        assert_true(in_department);
    }
    assert_true(assigned > N_REQUESTS / 4);

    /* a second load keeps templates and agents as they are */
    assert_int_equal(demo_load(loaded.core, N_REQUESTS, 1, SEED, NULL, &err), 0);
    size_t n2 = 0;
    assert_int_equal(s->ops->reply_templates.list(s, t->rec.id, &a, &tpl, &n2, &err), 0);
    assert_int_equal(n2, n_tpl);
    assert_int_equal(s->ops->agents.list(s, t->rec.id, &a, &agents, &n2, &err), 0);
    assert_int_equal(n2, n_agents);
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

/* The same filter counted by the store's counters and by walking the requests (a created_at
 * bound that every request meets sends the count the long way). */
static void assert_counts_agree(const store_request_filter *f)
{
    store_request_filter walked = *f;
    walked.created_from = 1;
    assert_int_equal(count(loaded.core, f), count(loaded.core, &walked));
}

/* The inbox's counters (request_counts, kept by triggers) equal the rows they count, after the
 * import and after changes of status, assignee and department. */
static void test_counters_follow_changes(void **state)
{
    (void)state;
    const catalogue *cat = catalogue_acquire(loaded.core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-demo");
    arena a;
    arena_init(&a, 0);
    store_request *all = NULL;
    size_t n = all_requests(loaded.core, t, &a, &all);
    assert_true(n > 100);
    for (int round = 0; round < 2; round++) {
        store_request_filter f = tenant_filter(t);
        assert_int_equal(count(loaded.core, &f), (int64_t)n); /* changes never add nor remove */
        assert_counts_agree(&f);
        /* Open requests said by closed_at alone (too many open codes to name): never the
         * counters, which know statuses, not closed_at. */
        f.only_open = 1;
        assert_counts_agree(&f);
        assert_true(count(loaded.core, &f) < (int64_t)n);
        f = tenant_filter(t);
        const cat_workflow *incident = workflow_by_code(t, "incident");
        for (size_t s = 0; s < incident->n_statuses; s++) {
            f = tenant_filter(t);
            f.statuses[0] = incident->statuses[s].code;
            f.n_statuses = 1;
            assert_counts_agree(&f);
            for (size_t d = 0; d < t->n_departments; d++) {
                f.department_ids[0] = t->departments[d].rec.id;
                f.n_department_ids = 1;
                assert_counts_agree(&f);
            }
        }
        f = tenant_filter(t);
        f.unassigned = 1;
        assert_counts_agree(&f);
        for (size_t i = 0; i < n && i < 200; i++) {
            if (!all[i].assignee)
                continue;
            f = tenant_filter(t);
            f.assignee = all[i].assignee;
            assert_counts_agree(&f);
        }
        /* Changes through core: a status, an assignee, a department, for 30 requests. */
        for (size_t i = 0; round == 0 && i < 30; i++) {
            const cat_workflow *wf = catalogue_procedure_by_id(t, all[i].procedure_id)->workflow;
            const cat_transition *next[1];
            request_change ch;
            memset(&ch, 0, sizeof ch);
            ch.priority = -1;
            ch.assignee = i % 3 == 0 ? "" : all[(i * 7) % n].assignee;
            ch.department = t->departments[i % t->n_departments].rec.code;
            if (workflow_transitions_from(wf, all[i].status, WORKFLOW_ANY_ROLE, next, 1) == 1)
                ch.status = next[0]->rec.to_code;
            error err;
            assert_int_equal(
                request_update(loaded.core, t, all[i].reference, &ch, NULL, NULL, &err), 0);
        }
    }
    arena_free(&a);
    catalogue_release(loaded.core, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_citizen_side),
        cmocka_unit_test(test_counts_channels_statuses),
        cmocka_unit_test(test_requests_content),
        cmocka_unit_test(test_attributes_valid),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_timelines),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_import_checks),
        cmocka_unit_test(test_backoffice),
        cmocka_unit_test(test_counters_follow_changes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

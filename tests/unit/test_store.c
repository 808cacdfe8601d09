/*
 * test_store — the store interface on its SQLite backend, against real database files:
 * migrations, catalogue upserts, references, reads and filters, the group-commit writer
 * (savepoint isolation, batching under concurrency) and a busy database; the citizens'
 * portal's records (accounts, sessions, tokens, outbox, attachments, supports); the back
 * office's (agents, agent sessions, audit log, saved filters, reply templates, full-text
 * search, inbox filters and sorts, nearby requests); and the upgrades of databases made by
 * migrations 1 and 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/request.h"
#include "store/sqlite/sq.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    store *s;
    int64_t tenant, tenant2;
    int64_t dep_voirie, dep_proprete;
    int64_t proc_trou, proc_tag, proc_hidden, proc_t2;
} fixture;

/* The backend's embedded migrations (private to it): the tests build databases at older
 * versions with them, and expect a migrated database at the last one. */
extern const char *const store_sqlite_migrations[];
extern const int store_sqlite_migration_count;

static int64_t day(int year, int month, int mday)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = mday;
    tm.tm_hour = 10;
    return (int64_t)timegm(&tm);
}

/* ---- write jobs used by the tests ---- */

static int apply_catalogue(store *s, void *arg, error *err)
{
    fixture *fx = arg;
    const store_ops *o = s->ops;
    store_tenant t = {.slug = "ville-demo",
                      .name = "Ville de Démo",
                      .hosts = "demo.test www.demo.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie@demo.test"};
    store_tenant t2 = {.slug = "autre", .name = "Autre commune"};
    if (o->catalogue.tx_tenant_upsert(s, &t, &fx->tenant, err) != 0 ||
        o->catalogue.tx_tenant_upsert(s, &t2, &fx->tenant2, err) != 0)
        return -1;
    store_department d1 = {.tenant_id = fx->tenant, .code = "voirie", .name = "Voirie"};
    store_department d2 = {.tenant_id = fx->tenant,
                           .code = "proprete",
                           .name = "Propreté",
                           .email = "proprete@demo.test"};
    if (o->catalogue.tx_department_upsert(s, &d1, &fx->dep_voirie, err) != 0 ||
        o->catalogue.tx_department_upsert(s, &d2, &fx->dep_proprete, err) != 0)
        return -1;
    store_procedure p1 = {.tenant_id = fx->tenant,
                          .code = "trou",
                          .name = "Trou dans la chaussée",
                          .group_name = "Voirie",
                          .attributes = "[]",
                          .department_id = fx->dep_voirie,
                          .kind = PROCEDURE_INCIDENT,
                          .is_public = 1,
                          .auto_public = 1,
                          .allow_anonymous = 1,
                          .open311 = 1,
                          .open311_detail = OPEN311_DETAIL_FULL,
                          .delay_days = 10,
                          .icon = "traffic-cone",
                          .active = 1};
    store_procedure p2 = {.tenant_id = fx->tenant,
                          .code = "tag",
                          .name = "Tag",
                          .department_id = fx->dep_proprete,
                          .open311 = 1,
                          .open311_detail = OPEN311_DETAIL_STATUS,
                          .active = 1};
    store_procedure p3 = {.tenant_id = fx->tenant,
                          .code = "etat-civil",
                          .name = "Acte d'état civil",
                          .kind = PROCEDURE_DEMARCHE,
                          .open311 = 0,
                          .active = 0};
    store_procedure p4 = {.tenant_id = fx->tenant2, .code = "trou", .name = "Trou", .active = 1};
    if (o->catalogue.tx_procedure_upsert(s, &p1, &fx->proc_trou, err) != 0 ||
        o->catalogue.tx_procedure_upsert(s, &p2, &fx->proc_tag, err) != 0 ||
        o->catalogue.tx_procedure_upsert(s, &p3, &fx->proc_hidden, err) != 0 ||
        o->catalogue.tx_procedure_upsert(s, &p4, &fx->proc_t2, err) != 0)
        return -1;
    return 0;
}

typedef struct insert_arg {
    store_request r;
    arena a;
    int64_t id;
    const char *ref;
    int fail;         /* apply fails after inserting */
    int event_public; /* also insert a "created" event */
} insert_arg;

static int apply_insert(store *s, void *arg, error *err)
{
    insert_arg *ia = arg;
    if (s->ops->requests.tx_insert(s, &ia->r, &ia->a, &ia->id, &ia->ref, err) != 0)
        return -1;
    store_event e = {.tenant_id = ia->r.tenant_id,
                     .request_id = ia->id,
                     .created_at = ia->r.created_at,
                     .kind = "created",
                     .is_public = 1,
                     .actor = "citizen",
                     .channel = ia->r.channel,
                     .status_to = ia->r.status};
    if (s->ops->events.tx_insert(s, &e, NULL, err) != 0)
        return -1;
    if (ia->fail)
        return error_set(err, ERR_CONFLICT, NULL, "refused on purpose");
    return 0;
}

static void insert_init(insert_arg *ia, const fixture *fx, int64_t proc, int64_t created_at)
{
    memset(ia, 0, sizeof *ia);
    arena_init(&ia->a, 0);
    ia->r.tenant_id = fx->tenant;
    ia->r.procedure_id = proc;
    ia->r.status = "new";
    ia->r.channel = "web";
    ia->r.priority = 1;
    ia->r.created_at = created_at;
    ia->r.updated_at = created_at;
}

/* Inserts one request synchronously; returns its id and copies its reference into ref. */
static int64_t insert_one(fixture *fx, insert_arg *ia, char *ref, size_t ref_size)
{
    error err;
    error_clear(&err);
    int rc = store_write_sync(fx->s, apply_insert, ia, &err);
    if (rc != 0)
        fprintf(stderr, "insert failed: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_non_null(ia->ref);
    if (ref)
        snprintf(ref, ref_size, "%s", ia->ref);
    int64_t id = ia->id;
    arena_free(&ia->a);
    return id;
}

static int64_t quick_insert(fixture *fx, int64_t proc, int64_t created_at, char *ref,
                            size_t ref_size)
{
    insert_arg ia;
    insert_init(&ia, fx, proc, created_at);
    return insert_one(fx, &ia, ref, ref_size);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/guichet-store-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/g.db", fx->dir);
    error err;
    fx->s = store_open(fx->path, &err);
    if (!fx->s)
        return -1;
    if (fx->s->ops->migrate(fx->s, &err) != 0)
        return -1;
    if (store_write_sync(fx->s, apply_catalogue, fx, &err) != 0) {
        fprintf(stderr, "catalogue: %s\n", err.detail);
        return -1;
    }
    *state = fx;
    return 0;
}

static void remove_db(const char *path)
{
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    remove_db(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- tests ---- */

static void test_open_and_migrate(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], url[160];
    snprintf(path, sizeof path, "%s/m.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    error err;
    error_clear(&err);

    assert_null(store_open("postgres:host=localhost", &err));
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_non_null(strstr(err.detail, "PostgreSQL"));

    store *s = store_open(url, &err);
    assert_non_null(s);
    assert_string_equal(s->ops->name, "sqlite");
    int v = -1;
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, store_sqlite_migration_count);
    int v1 = v;
    assert_int_equal(s->ops->migrate(s, &err), 0); /* idempotent */
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, v1);
    int64_t cv = 0;
    assert_int_equal(s->ops->catalogue.config_version(s, &cv, &err), 0);
    assert_int_equal(cv, 1);
    store_close(s);

    /* Reopened, the schema is still there and migrate has nothing to do. */
    s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, v1);
    store_close(s);
    store_close(NULL);
    remove_db(path);
    rmdir(dir);
}

static void test_catalogue(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t v0 = 0, v1 = 0;
    assert_int_equal(s->ops->catalogue.config_version(s, &v0, &err), 0);
    assert_true(v0 > 1);

    /* Upserting again keeps the ids and updates the values. */
    fixture again = *fx;
    assert_int_equal(store_write_sync(s, apply_catalogue, &again, &err), 0);
    assert_int_equal(again.tenant, fx->tenant);
    assert_int_equal(again.dep_proprete, fx->dep_proprete);
    assert_int_equal(again.proc_trou, fx->proc_trou);
    assert_int_equal(again.proc_t2, fx->proc_t2);
    assert_int_equal(s->ops->catalogue.config_version(s, &v1, &err), 0);
    assert_true(v1 > v0);

    store_catalogue cat;
    assert_int_equal(s->ops->catalogue.load(s, &a, &cat, &err), 0);
    assert_int_equal(cat.version, v1);
    assert_int_equal(cat.n_tenants, 2);
    assert_int_equal(cat.n_departments, 2);
    assert_int_equal(cat.n_procedures, 4);
    assert_string_equal(cat.tenants[0].slug, "ville-demo");
    assert_string_equal(cat.tenants[0].name, "Ville de Démo");
    assert_string_equal(cat.tenants[0].hosts, "demo.test www.demo.test");
    assert_string_equal(cat.tenants[1].timezone, "Europe/Paris"); /* default */
    assert_null(cat.tenants[1].contact);
    assert_null(cat.departments[0].email);
    assert_string_equal(cat.departments[1].email, "proprete@demo.test");
    const store_procedure *hidden = NULL, *trou = NULL;
    for (size_t i = 0; i < cat.n_procedures; i++) {
        if (cat.procedures[i].id == fx->proc_hidden)
            hidden = &cat.procedures[i];
        if (cat.procedures[i].id == fx->proc_trou)
            trou = &cat.procedures[i];
    }
    assert_non_null(hidden);
    assert_non_null(trou);
    assert_int_equal(hidden->active, 0);
    assert_int_equal(hidden->kind, PROCEDURE_DEMARCHE);
    assert_null(hidden->icon); /* none chosen: its kind's default, the presentation's */
    assert_string_equal(trou->icon, "traffic-cone");
    assert_int_equal(hidden->department_id, 0);
    assert_null(hidden->group_name);
    assert_int_equal(trou->active, 1);
    assert_int_equal(trou->open311, 1);
    assert_int_equal(trou->is_public, 1);
    assert_int_equal(trou->auto_public, 1);
    assert_int_equal(trou->allow_anonymous, 1);
    assert_int_equal(hidden->auto_public, 0);
    assert_int_equal(hidden->allow_anonymous, 0);
    assert_int_equal(trou->delay_days, 10);
    assert_int_equal(trou->department_id, fx->dep_voirie);
    assert_string_equal(trou->attributes, "[]");
    assert_string_equal(trou->group_name, "Voirie");
    arena_free(&a);
}

typedef struct proc_arg {
    store_procedure p;
    int64_t id;
} proc_arg;

static int apply_procedure(store *s, void *arg, error *err)
{
    proc_arg *pa = arg;
    return s->ops->catalogue.tx_procedure_upsert(s, &pa->p, &pa->id, err);
}

static int apply_tenant(store *s, void *arg, error *err)
{
    return s->ops->catalogue.tx_tenant_upsert(s, arg, NULL, err);
}

static void test_config_version_bumps(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    int64_t v0, v1, v2;
    assert_int_equal(s->ops->catalogue.config_version(s, &v0, &err), 0);
    proc_arg pa = {.p = {.tenant_id = fx->tenant, .code = "tag", .name = "Graffiti", .active = 0}};
    assert_int_equal(store_write_sync(s, apply_procedure, &pa, &err), 0);
    assert_int_equal(pa.id, fx->proc_tag);
    assert_int_equal(s->ops->catalogue.config_version(s, &v1, &err), 0);
    assert_true(v1 > v0);
    /* A request insert is not a configuration change. */
    quick_insert(fx, fx->proc_trou, day(2026, 1, 5), NULL, 0);
    assert_int_equal(s->ops->catalogue.config_version(s, &v2, &err), 0);
    assert_int_equal(v2, v1);
    /* An upsert referring to an unknown tenant is a conflict, and changes nothing. */
    proc_arg bad = {.p = {.tenant_id = 9999, .code = "x", .name = "X", .active = 1}};
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_procedure, &bad, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(s->ops->catalogue.config_version(s, &v2, &err), 0);
    assert_int_equal(v2, v1);
}

static void test_references(void **state)
{
    fixture *fx = *state;
    char ref[32];
    error err;
    quick_insert(fx, fx->proc_trou, day(2026, 1, 2), ref, sizeof ref);
    assert_string_equal(ref, "2026-000001");
    quick_insert(fx, fx->proc_trou, day(2026, 1, 3), ref, sizeof ref);
    assert_string_equal(ref, "2026-000002");
    quick_insert(fx, fx->proc_tag, day(2026, 12, 31), ref, sizeof ref);
    assert_string_equal(ref, "2026-000003");
    quick_insert(fx, fx->proc_tag, day(2025, 6, 1), ref, sizeof ref);
    assert_string_equal(ref, "2025-000001");

    /* Another tenant has its own counter. */
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_t2, day(2026, 2, 1));
    ia.r.tenant_id = fx->tenant2;
    insert_one(fx, &ia, ref, sizeof ref);
    assert_string_equal(ref, "2026-000001");

    /* An imported reference is kept, and later allocations go past it. */
    insert_init(&ia, fx, fx->proc_trou, day(2026, 2, 2));
    ia.r.reference = "2026-000050";
    insert_one(fx, &ia, ref, sizeof ref);
    assert_string_equal(ref, "2026-000050");
    quick_insert(fx, fx->proc_trou, day(2026, 2, 3), ref, sizeof ref);
    assert_string_equal(ref, "2026-000051");
    /* A lower imported number does not move the counter back. */
    insert_init(&ia, fx, fx->proc_trou, day(2026, 2, 2));
    ia.r.reference = "2026-000010";
    insert_one(fx, &ia, ref, sizeof ref);
    quick_insert(fx, fx->proc_trou, day(2026, 2, 4), ref, sizeof ref);
    assert_string_equal(ref, "2026-000052");

    /* The same reference twice is a conflict. */
    insert_init(&ia, fx, fx->proc_trou, day(2026, 2, 2));
    ia.r.reference = "2026-000050";
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_insert, &ia, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_null(strstr(err.detail, "2026-000050")); /* no values in error details */
    arena_free(&ia.a);
}

static void test_request_get(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_trou, day(2026, 3, 1));
    ia.r.token_hash = "abcdef0123";
    ia.r.description = "Nid-de-poule « énorme »";
    ia.r.has_location = 1;
    ia.r.lat = 48.8566;
    ia.r.lon = 2.3522;
    ia.r.address = "1 place de la Mairie";
    ia.r.zipcode = "75001";
    ia.r.attributes = "{\"taille\":\"grand\"}";
    ia.r.first_name = "Camille";
    ia.r.email = "camille@example.org";
    ia.r.department_id = fx->dep_voirie;
    ia.r.priority = 3;
    ia.r.due_at = day(2026, 3, 11);
    char ref[32];
    int64_t id = insert_one(fx, &ia, ref, sizeof ref);

    store_request r;
    int found = -1;
    assert_int_equal(s->ops->requests.get(s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.id, id);
    assert_int_equal(r.tenant_id, fx->tenant);
    assert_string_equal(r.reference, ref);
    assert_string_equal(r.token_hash, "abcdef0123");
    assert_int_equal(r.procedure_id, fx->proc_trou);
    assert_string_equal(r.status, "new");
    assert_string_equal(r.channel, "web");
    assert_string_equal(r.description, "Nid-de-poule « énorme »");
    assert_int_equal(r.has_location, 1);
    assert_true(r.lat > 48.8565 && r.lat < 48.8567);
    assert_true(r.lon > 2.3521 && r.lon < 2.3523);
    assert_string_equal(r.address, "1 place de la Mairie");
    assert_string_equal(r.zipcode, "75001");
    assert_string_equal(r.attributes, "{\"taille\":\"grand\"}");
    assert_string_equal(r.first_name, "Camille");
    assert_null(r.last_name);
    assert_null(r.phone);
    assert_null(r.assignee);
    assert_null(r.address_id);
    assert_string_equal(r.email, "camille@example.org");
    assert_int_equal(r.department_id, fx->dep_voirie);
    assert_int_equal(r.priority, 3);
    assert_int_equal(r.created_at, day(2026, 3, 1));
    assert_int_equal(r.updated_at, day(2026, 3, 1));
    assert_int_equal(r.closed_at, 0);
    assert_int_equal(r.due_at, day(2026, 3, 11));
    assert_int_equal(r.api_key_id, 0);

    /* Another tenant does not see it; an unknown reference is not found. */
    assert_int_equal(s->ops->requests.get(s, fx->tenant2, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(s->ops->requests.get(s, fx->tenant, "2026-999999", &a, &r, &found, &err), 0);
    assert_int_equal(found, 0);

    /* A request without location reads back without one. */
    quick_insert(fx, fx->proc_tag, day(2026, 3, 2), ref, sizeof ref);
    assert_int_equal(s->ops->requests.get(s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.has_location, 0);
    assert_null(r.token_hash);
    arena_free(&a);
}

typedef struct update_arg {
    store_request r;
} update_arg;

static int apply_update(store *s, void *arg, error *err)
{
    update_arg *ua = arg;
    return s->ops->requests.tx_update(s, &ua->r, err);
}

static void test_request_update(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    char ref[32];
    int64_t id = quick_insert(fx, fx->proc_trou, day(2026, 4, 1), ref, sizeof ref);
    update_arg ua = {.r = {.id = id,
                           .tenant_id = fx->tenant,
                           .status = "closed",
                           .department_id = fx->dep_proprete,
                           .assignee = "agent:7",
                           .priority = 2,
                           .status_notes = "Réparé",
                           .updated_at = day(2026, 4, 3),
                           .closed_at = day(2026, 4, 3)}};
    assert_int_equal(store_write_sync(s, apply_update, &ua, &err), 0);
    store_request r;
    int found;
    assert_int_equal(s->ops->requests.get(s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(r.status, "closed");
    assert_int_equal(r.department_id, fx->dep_proprete);
    assert_string_equal(r.assignee, "agent:7");
    assert_int_equal(r.priority, 2);
    assert_string_equal(r.status_notes, "Réparé");
    assert_int_equal(r.closed_at, day(2026, 4, 3));
    assert_int_equal(r.created_at, day(2026, 4, 1));

    /* Another tenant's id is not found. */
    ua.r.tenant_id = fx->tenant2;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_update, &ua, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
}

static store_request_filter base_filter(const fixture *fx, size_t limit)
{
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = fx->tenant;
    f.limit = limit;
    return f;
}

static size_t search(fixture *fx, const store_request_filter *f, arena *a, store_request **out)
{
    error err;
    size_t n = 0;
    int rc = fx->s->ops->requests.search(fx->s, f, a, out, &n, &err);
    if (rc != 0)
        fprintf(stderr, "search: %s\n", err.detail);
    assert_int_equal(rc, 0);
    int64_t count = -1;
    assert_int_equal(fx->s->ops->requests.count(fx->s, f, &count, &err), 0);
    if (f->offset == 0 && !f->before_id && n < f->limit)
        assert_int_equal(count, (int64_t)n);
    return n;
}

static void test_search(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    /* 12 requests: i = 0..11, one day apart, varied fields. */
    char refs[12][32];
    int64_t ids[12];
    for (int i = 0; i < 12; i++) {
        insert_arg ia;
        insert_init(&ia, fx,
                    i % 3 == 0 ? fx->proc_hidden : (i % 3 == 1 ? fx->proc_trou : fx->proc_tag),
                    day(2026, 5, 1 + i));
        ia.r.status = i % 4 == 0 ? "closed" : (i % 4 == 1 ? "open" : "new");
        ia.r.channel = i % 2 ? "sms" : "web";
        ia.r.department_id = i < 6 ? fx->dep_voirie : 0;
        ia.r.assignee = i == 7 ? "agent:1" : NULL;
        ia.r.priority = i == 5 ? 3 : 1;
        ia.r.updated_at = day(2026, 5, 1 + i) + (i == 2 ? 30 * 86400 : 0);
        ids[i] = insert_one(fx, &ia, refs[i], sizeof refs[i]);
    }
    /* One in the other tenant, never returned. */
    insert_arg other;
    insert_init(&other, fx, fx->proc_t2, day(2026, 5, 20));
    other.r.tenant_id = fx->tenant2;
    insert_one(fx, &other, NULL, 0);

    store_request *rs;
    store_request_filter f = base_filter(fx, 100);
    size_t n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) /* newest first */
        assert_int_equal(rs[i].id, ids[11 - i]);

    /* References override every other filter. */
    f = base_filter(fx, 100);
    f.references[0] = refs[3];
    f.references[1] = refs[8];
    f.references[2] = "2026-999999";
    f.n_references = 3;
    f.channel = "nothing";
    f.only_open311 = 1;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 2);
    assert_int_equal(rs[0].id, ids[8]);
    assert_int_equal(rs[1].id, ids[3]);

    f = base_filter(fx, 100);
    f.procedure_ids[0] = fx->proc_trou;
    f.n_procedure_ids = 1;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs[i].procedure_id, fx->proc_trou);
    f.procedure_ids[1] = fx->proc_tag;
    f.n_procedure_ids = 2;
    assert_int_equal(search(fx, &f, &a, &rs), 8);

    f = base_filter(fx, 100);
    f.only_open311 = 1; /* the état civil procedure is not on Open311 */
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(rs[i].procedure_id, fx->proc_hidden);
    /* Exposed on Open311 but showing nothing there: not listed either. */
    proc_arg none = {.p = {.tenant_id = fx->tenant,
                           .code = "tag",
                           .name = "Tag",
                           .department_id = fx->dep_proprete,
                           .open311 = 1,
                           .open311_detail = OPEN311_DETAIL_NONE,
                           .active = 1}};
    error perr;
    assert_int_equal(store_write_sync(fx->s, apply_procedure, &none, &perr), 0);
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs[i].procedure_id, fx->proc_trou);

    f = base_filter(fx, 100);
    f.statuses[0] = "open";
    f.statuses[1] = "closed";
    f.n_statuses = 2;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_true(strcmp(rs[i].status, "new") != 0);

    f = base_filter(fx, 100);
    f.channel = "sms";
    assert_int_equal(search(fx, &f, &a, &rs), 6);
    f.department_id = fx->dep_voirie;
    n = search(fx, &f, &a, &rs); /* i in 1, 3, 5 */
    assert_int_equal(n, 3);
    assert_int_equal(rs[0].id, ids[5]);

    f = base_filter(fx, 100);
    f.assignee = "agent:1";
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, ids[7]);

    f = base_filter(fx, 100);
    f.by_priority = 1;
    f.priority = 3;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, ids[5]);

    f = base_filter(fx, 100);
    f.created_from = day(2026, 5, 3);
    f.created_to = day(2026, 5, 5); /* inclusive: i = 2, 3, 4 */
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 3);
    assert_int_equal(rs[0].id, ids[4]);
    assert_int_equal(rs[2].id, ids[2]);

    f = base_filter(fx, 100);
    f.updated_since = day(2026, 5, 11); /* i = 10, 11, and 2 updated later */
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 3);
    assert_int_equal(rs[2].id, ids[2]);

    /* Offset paging. */
    f = base_filter(fx, 5);
    f.offset = 10;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 2);
    assert_int_equal(rs[0].id, ids[1]);
    assert_int_equal(rs[1].id, ids[0]);

    /* Keyset paging visits every row once, newest first, with the count unaffected. */
    f = base_filter(fx, 5);
    size_t seen = 0, pages = 0;
    for (;;) {
        n = search(fx, &f, &a, &rs);
        int64_t count = 0;
        assert_int_equal(s->ops->requests.count(s, &f, &count, &err), 0);
        assert_int_equal(count, 12);
        if (n == 0)
            break;
        pages++;
        for (size_t i = 0; i < n; i++)
            assert_int_equal(rs[i].id, ids[11 - seen - i]);
        seen += n;
        f.before_created_at = rs[n - 1].created_at;
        f.before_id = rs[n - 1].id;
    }
    assert_int_equal(seen, 12);
    assert_int_equal(pages, 3);

    /* Same created_at: the id breaks the tie. */
    int64_t same = day(2026, 6, 1);
    int64_t a1 = quick_insert(fx, fx->proc_trou, same, NULL, 0);
    int64_t a2 = quick_insert(fx, fx->proc_trou, same, NULL, 0);
    f = base_filter(fx, 1);
    n = search(fx, &f, &a, &rs);
    assert_int_equal(rs[0].id, a2);
    f.before_created_at = same;
    f.before_id = a2;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, a1);

    /* A zero limit and oversized lists are refused. */
    f = base_filter(fx, 0);
    error_clear(&err);
    assert_int_equal(s->ops->requests.search(s, &f, &a, &rs, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    f = base_filter(fx, 10);
    f.n_statuses = STORE_FILTER_MAX_LIST + 1;
    assert_int_equal(s->ops->requests.search(s, &f, &a, &rs, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    arena_free(&a);
}

typedef struct event_arg {
    store_event e;
    int64_t id;
} event_arg;

static int apply_event(store *s, void *arg, error *err)
{
    event_arg *ea = arg;
    return s->ops->events.tx_insert(s, &ea->e, &ea->id, err);
}

static void test_events(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t r1 = quick_insert(fx, fx->proc_trou, day(2026, 7, 1), NULL, 0);
    int64_t r2 = quick_insert(fx, fx->proc_trou, day(2026, 7, 2), NULL, 0);
    event_arg ea = {.e = {.tenant_id = fx->tenant,
                          .request_id = r1,
                          .created_at = day(2026, 7, 3),
                          .kind = "note",
                          .is_public = 0,
                          .actor = "agent:3",
                          .body = "interne"}};
    assert_int_equal(store_write_sync(s, apply_event, &ea, &err), 0);
    assert_true(ea.id > 0);
    ea.e.kind = "status";
    ea.e.is_public = 1;
    ea.e.status_from = "new";
    ea.e.status_to = "open";
    ea.e.body = NULL;
    assert_int_equal(store_write_sync(s, apply_event, &ea, &err), 0);

    store_event *ev;
    size_t n;
    assert_int_equal(s->ops->events.list(s, fx->tenant, r1, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ev[0].kind, "created");
    assert_string_equal(ev[1].kind, "note");
    assert_string_equal(ev[1].body, "interne");
    assert_int_equal(ev[1].is_public, 0);
    assert_string_equal(ev[2].status_to, "open");
    assert_null(ev[2].body);
    assert_true(ev[0].id < ev[1].id && ev[1].id < ev[2].id);
    assert_int_equal(s->ops->events.list(s, fx->tenant, r1, 1, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].kind, "status");
    /* Tenant isolation. */
    assert_int_equal(s->ops->events.list(s, fx->tenant2, r1, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 0);

    int64_t ids[3] = {r2, r1, 123456};
    assert_int_equal(s->ops->events.list_many(s, fx->tenant, ids, 3, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ev[0].request_id, r1);
    assert_int_equal(ev[2].request_id, r1);
    assert_int_equal(ev[3].request_id, r2);
    assert_int_equal(s->ops->events.list_many(s, fx->tenant, ids, 3, 1, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(s->ops->events.list_many(s, fx->tenant, ids, 0, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 0);
    arena_free(&a);
}

typedef struct key_arg {
    store_apikey k;
    int64_t id;
    int revoke;
} key_arg;

static int apply_key(store *s, void *arg, error *err)
{
    key_arg *ka = arg;
    if (ka->revoke)
        return s->ops->apikeys.tx_revoke(s, ka->k.tenant_id, ka->id, 1800000000, err);
    return s->ops->apikeys.tx_insert(s, &ka->k, &ka->id, err);
}

static void test_apikeys(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    key_arg k1 = {.k = {.tenant_id = fx->tenant,
                        .name = "appli",
                        .scope = "open311",
                        .key_hash = "hash-one",
                        .prefix = "g311_ab",
                        .created_at = 1700000000}};
    key_arg k2 = {
        .k = {.tenant_id = fx->tenant, .name = "mail", .scope = "gateway", .key_hash = "hash-two"}};
    assert_int_equal(store_write_sync(s, apply_key, &k1, &err), 0);
    assert_int_equal(store_write_sync(s, apply_key, &k2, &err), 0);
    int64_t v0, v1;
    assert_int_equal(s->ops->catalogue.config_version(s, &v0, &err), 0);

    store_apikey k;
    int found = 0;
    assert_int_equal(s->ops->apikeys.find(s, "hash-one", &a, &k, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(k.id, k1.id);
    assert_int_equal(k.tenant_id, fx->tenant);
    assert_string_equal(k.name, "appli");
    assert_string_equal(k.scope, "open311");
    assert_string_equal(k.prefix, "g311_ab");
    assert_int_equal(k.created_at, 1700000000);
    assert_int_equal(k.revoked_at, 0);
    assert_int_equal(s->ops->apikeys.find(s, "nope", &a, &k, &found, &err), 0);
    assert_int_equal(found, 0);

    /* Bad scope, duplicate hash: conflicts. */
    key_arg bad = {.k = {.tenant_id = fx->tenant, .name = "x", .scope = "root", .key_hash = "h"}};
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_key, &bad, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    bad.k.scope = "api";
    bad.k.key_hash = "hash-two";
    assert_int_equal(store_write_sync(s, apply_key, &bad, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    k1.revoke = 1;
    assert_int_equal(store_write_sync(s, apply_key, &k1, &err), 0);
    assert_int_equal(s->ops->catalogue.config_version(s, &v1, &err), 0);
    assert_true(v1 > v0);
    assert_int_equal(s->ops->apikeys.find(s, "hash-one", &a, &k, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(k.revoked_at, 1800000000);

    store_apikey *list;
    size_t n;
    assert_int_equal(s->ops->apikeys.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[1].name, "mail");
    assert_int_equal(list[1].revoked_at, 0);
    assert_int_equal(s->ops->apikeys.list(s, fx->tenant2, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);

    /* Revoking another tenant's key: not found. */
    k2.revoke = 1;
    k2.k.tenant_id = fx->tenant2;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_key, &k2, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
}

typedef struct anchor_arg {
    store_trust_anchor t;
    int64_t id;
    int remove;
} anchor_arg;

static int apply_anchor(store *s, void *arg, error *err)
{
    anchor_arg *aa = arg;
    if (aa->remove)
        return s->ops->trust_anchors.tx_delete(s, aa->t.tenant_id, aa->id, err);
    return s->ops->trust_anchors.tx_insert(s, &aa->t, &aa->id, err);
}

/* Trust anchors: per collectivité, one row per fingerprint, removed by id within their
 * collectivité only. */
static void test_trust_anchors(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    anchor_arg one = {.t = {.tenant_id = fx->tenant,
                            .pem = "-----BEGIN CERTIFICATE-----",
                            .subject = "CN=Autorité",
                            .not_before = 1700000000,
                            .not_after = 1900000000,
                            .fingerprint = "AB:CD",
                            .added_at = 1800000000}};
    assert_int_equal(store_write_sync(s, apply_anchor, &one, &err), 0);
    anchor_arg same = one;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_anchor, &same, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    anchor_arg other = one;
    other.t.tenant_id = fx->tenant2;
    assert_int_equal(store_write_sync(s, apply_anchor, &other, &err), 0);
    store_trust_anchor *list;
    size_t n;
    assert_int_equal(s->ops->trust_anchors.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, one.id);
    assert_string_equal(list[0].subject, "CN=Autorité");
    assert_string_equal(list[0].fingerprint, "AB:CD");
    assert_int_equal(list[0].not_after, 1900000000);
    /* Another collectivité's anchor: not found, still there. */
    anchor_arg wrong = {.t = {.tenant_id = fx->tenant}, .id = other.id, .remove = 1};
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_anchor, &wrong, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    one.remove = 1;
    assert_int_equal(store_write_sync(s, apply_anchor, &one, &err), 0);
    assert_int_equal(s->ops->trust_anchors.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->trust_anchors.list(s, fx->tenant2, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    arena_free(&a);
}

typedef struct idem_arg {
    insert_arg ins;
    int64_t key_id;
    const char *key;
} idem_arg;

/* What core does for an API create with an Idempotency-Key: insert, then remember the key. */
static int apply_idem(store *s, void *arg, error *err)
{
    idem_arg *ia = arg;
    if (apply_insert(s, &ia->ins, err) != 0)
        return -1;
    return s->ops->idempotency.tx_insert(s, ia->ins.r.tenant_id, ia->key_id, ia->key, ia->ins.id,
                                         ia->ins.r.created_at, err);
}

static void test_idempotency(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    key_arg k = {.k = {.tenant_id = fx->tenant, .name = "k", .scope = "api", .key_hash = "hk"}};
    assert_int_equal(store_write_sync(s, apply_key, &k, &err), 0);

    const char *ref = "x";
    assert_int_equal(s->ops->idempotency.find(s, fx->tenant, k.id, "abc", &a, &ref, &err), 0);
    assert_null(ref);

    idem_arg ia;
    insert_init(&ia.ins, fx, fx->proc_trou, day(2026, 8, 1));
    ia.key_id = k.id;
    ia.key = "abc";
    assert_int_equal(store_write_sync(s, apply_idem, &ia, &err), 0);
    char first[32];
    snprintf(first, sizeof first, "%s", ia.ins.ref);
    arena_free(&ia.ins.a);
    assert_int_equal(s->ops->idempotency.find(s, fx->tenant, k.id, "abc", &a, &ref, &err), 0);
    assert_non_null(ref);
    assert_string_equal(ref, first);
    assert_int_equal(s->ops->idempotency.find(s, fx->tenant, k.id + 1, "abc", &a, &ref, &err), 0);
    assert_null(ref);

    /* The same key again: conflict, and the second request is not kept either. */
    insert_init(&ia.ins, fx, fx->proc_trou, day(2026, 8, 2));
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_idem, &ia, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    arena_free(&ia.ins.a);
    store_request_filter f = base_filter(fx, 10);
    int64_t count = 0;
    assert_int_equal(s->ops->requests.count(s, &f, &count, &err), 0);
    assert_int_equal(count, 1);
    arena_free(&a);
}

typedef struct setting_arg {
    const char *name, *value;
} setting_arg;

static int apply_setting(store *s, void *arg, error *err)
{
    setting_arg *sa = arg;
    return s->ops->settings.tx_set(s, sa->name, sa->value, err);
}

static void test_settings(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    const char *v = "x";
    assert_int_equal(s->ops->settings.get(s, "instance_secret", &a, &v, &err), 0);
    assert_null(v);
    setting_arg sa = {"instance_secret", "s3cr3t"};
    assert_int_equal(store_write_sync(s, apply_setting, &sa, &err), 0);
    assert_int_equal(s->ops->settings.get(s, "instance_secret", &a, &v, &err), 0);
    assert_string_equal(v, "s3cr3t");
    sa.value = "other";
    assert_int_equal(store_write_sync(s, apply_setting, &sa, &err), 0);
    assert_int_equal(s->ops->settings.get(s, "instance_secret", &a, &v, &err), 0);
    assert_string_equal(v, "other");
    arena_free(&a);
}

static void test_write_outside_job_refused(void **state)
{
    fixture *fx = *state;
    error err;
    error_clear(&err);
    assert_int_equal(fx->s->ops->settings.tx_set(fx->s, "a", "b", &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
}

typedef struct own_arg {
    insert_arg ins;
    int found;
    int64_t seen_id;
} own_arg;

/* A job reads its own uncommitted insert: reads inside apply use the writer connection. */
static int apply_insert_then_read(store *s, void *arg, error *err)
{
    own_arg *oa = arg;
    if (apply_insert(s, &oa->ins, err) != 0)
        return -1;
    store_request r;
    if (s->ops->requests.get(s, oa->ins.r.tenant_id, oa->ins.ref, &oa->ins.a, &r, &oa->found, err) !=
        0)
        return -1;
    oa->seen_id = r.id;
    return 0;
}

static void test_job_reads_own_writes(void **state)
{
    fixture *fx = *state;
    error err;
    own_arg oa;
    memset(&oa, 0, sizeof oa);
    insert_init(&oa.ins, fx, fx->proc_trou, day(2026, 9, 1));
    assert_int_equal(store_write_sync(fx->s, apply_insert_then_read, &oa, &err), 0);
    assert_int_equal(oa.found, 1);
    assert_int_equal(oa.seen_id, oa.ins.id);
    arena_free(&oa.ins.a);
}

/* ---- asynchronous jobs and the writer thread ---- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_entered, gate_open, jobs_done;

static int apply_gate(store *s, void *arg, error *err)
{
    (void)s;
    (void)arg;
    (void)err;
    pthread_mutex_lock(&gate_mu);
    gate_entered = 1;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    return 0;
}

typedef struct async_job {
    store_job job;
    insert_arg ins;
    int rc;
    error err;
} async_job;

static void async_done(void *arg, int rc, const error *err)
{
    async_job *aj = arg;
    pthread_mutex_lock(&gate_mu);
    aj->rc = rc;
    if (err)
        aj->err = *err;
    jobs_done++;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static int apply_async_insert(store *s, void *arg, error *err)
{
    async_job *aj = arg;
    return apply_insert(s, &aj->ins, err);
}

static void test_batch_isolates_failing_job(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    assert_int_equal(store_writer_start(s, &err), 0);
    gate_entered = gate_open = jobs_done = 0;

    /* The gate job holds the writer so that the next three queue up and form one batch. */
    async_job gate;
    memset(&gate, 0, sizeof gate);
    gate.job.apply = apply_gate;
    gate.job.done = async_done;
    gate.job.arg = &gate;
    store_write(s, &gate.job);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);

    async_job jobs[3];
    for (int i = 0; i < 3; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        insert_init(&jobs[i].ins, fx, fx->proc_trou, day(2026, 10, 1 + i));
        jobs[i].ins.fail = i == 1;
        jobs[i].job.apply = apply_async_insert;
        jobs[i].job.done = async_done;
        jobs[i].job.arg = &jobs[i];
        store_write(s, &jobs[i].job);
    }
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    while (jobs_done < 4)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);

    store_writer_stats st;
    store_writer_get_stats(s, &st);
    assert_int_equal(st.jobs, 4);
    assert_int_equal(st.batches, 2); /* the gate, then the three together */
    assert_int_equal(st.failed_batches, 0);
    assert_int_equal(gate.rc, 0);
    assert_int_equal(jobs[0].rc, 0);
    assert_int_equal(jobs[1].rc, -1);
    assert_int_equal(jobs[1].err.code, ERR_CONFLICT);
    assert_string_equal(jobs[1].err.detail, "refused on purpose");
    assert_int_equal(jobs[2].rc, 0);
    /* The failed job's reference number was rolled back with it: no gap. */
    assert_string_equal(jobs[0].ins.ref, "2026-000001");
    assert_string_equal(jobs[2].ins.ref, "2026-000002");

    store_request_filter f = base_filter(fx, 10);
    store_request *rs;
    size_t n = 0;
    assert_int_equal(s->ops->requests.search(s, &f, &a, &rs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rs[0].id, jobs[2].ins.id);
    assert_int_equal(rs[1].id, jobs[0].ins.id);
    /* Nor did its event survive: the rowid it used went to the next job, whose only event
     * is its own. */
    store_event *ev;
    assert_int_equal(jobs[1].ins.id, jobs[2].ins.id);
    int64_t both[2] = {jobs[0].ins.id, jobs[2].ins.id};
    assert_int_equal(s->ops->events.list_many(s, fx->tenant, both, 2, 0, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].created_at, day(2026, 10, 1));
    assert_int_equal(ev[1].created_at, day(2026, 10, 3));
    for (int i = 0; i < 3; i++)
        arena_free(&jobs[i].ins.a);

    store_writer_stop(s);
    store_writer_stop(s); /* twice is harmless */
    /* Without the writer, store_write runs the job at once. */
    async_job inl;
    memset(&inl, 0, sizeof inl);
    insert_init(&inl.ins, fx, fx->proc_trou, day(2026, 10, 9));
    inl.job.apply = apply_async_insert;
    inl.job.done = async_done;
    inl.job.arg = &inl;
    store_write(s, &inl.job);
    assert_int_equal(jobs_done, 5);
    assert_int_equal(inl.rc, 0);
    assert_string_equal(inl.ins.ref, "2026-000003");
    arena_free(&inl.ins.a);
    arena_free(&a);
}

#define N_THREADS 8
#define PER_THREAD 40

typedef struct worker_arg {
    fixture *fx;
    int failures;
} worker_arg;

static void *submit_worker(void *arg)
{
    worker_arg *wa = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        insert_arg ia;
        insert_init(&ia, wa->fx, wa->fx->proc_tag, day(2026, 11, 1) + i);
        error err;
        if (store_write_sync(wa->fx->s, apply_insert, &ia, &err) != 0)
            wa->failures++;
        arena_free(&ia.a);
    }
    return NULL;
}

static void test_group_commit_under_concurrency(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    assert_int_equal(store_writer_start(s, &err), 0);
    pthread_t th[N_THREADS];
    worker_arg wa[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        wa[i].fx = fx;
        wa[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, submit_worker, &wa[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(wa[i].failures, 0);
    }
    store_writer_stats st;
    store_writer_get_stats(s, &st);
    store_writer_stop(s);
    assert_int_equal(st.jobs, N_THREADS * PER_THREAD);
    assert_int_equal(st.failed_batches, 0);
    assert_true(st.batches < st.jobs);
    printf("group commit: %llu jobs in %llu batches\n", (unsigned long long)st.jobs,
           (unsigned long long)st.batches);

    store_request_filter f = base_filter(fx, 10);
    int64_t count = 0;
    assert_int_equal(s->ops->requests.count(s, &f, &count, &err), 0);
    assert_int_equal(count, N_THREADS * PER_THREAD);
    /* Every number was handed out exactly once. */
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, fx->tenant, "2026-000320", &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(s->ops->requests.get(s, fx->tenant, "2026-000321", &a, &r, &found, &err), 0);
    assert_int_equal(found, 0);
    arena_free(&a);
}

/* A second store on the same file holds the write lock while the first tries to write. */
typedef struct holder_arg {
    store *s2;
    int rc;
} holder_arg;

static int apply_hold(store *s, void *arg, error *err)
{
    setting_arg sa = {"held", "1"};
    if (apply_setting(s, &sa, err) != 0)
        return -1;
    return apply_gate(s, arg, err);
}

static void *holder_main(void *arg)
{
    holder_arg *ha = arg;
    error err;
    ha->rc = store_write_sync(ha->s2, apply_hold, NULL, &err);
    return NULL;
}

static void test_busy_database(void **state)
{
    fixture *fx = *state;
    error err;
    setenv("GUICHET_BUSY_TIMEOUT_MS", "200", 1);
    store *s1 = store_open(fx->path, &err);
    store *s2 = store_open(fx->path, &err);
    unsetenv("GUICHET_BUSY_TIMEOUT_MS");
    assert_non_null(s1);
    assert_non_null(s2);
    gate_entered = gate_open = jobs_done = 0;

    holder_arg ha = {.s2 = s2, .rc = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, holder_main, &ha), 0);
    pthread_mutex_lock(&gate_mu);
    while (!gate_entered)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);

    /* Without the writer thread. */
    fixture f1 = *fx;
    f1.s = s1;
    insert_arg ia;
    insert_init(&ia, &f1, fx->proc_trou, day(2026, 12, 1));
    error_clear(&err);
    int64_t t0 = (int64_t)time(NULL);
    assert_int_equal(store_write_sync(s1, apply_insert, &ia, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_true((int64_t)time(NULL) - t0 < 5); /* the short busy timeout applied */

    /* With the writer thread: the batch fails as a whole and is counted. */
    assert_int_equal(store_writer_start(s1, &err), 0);
    error_clear(&err);
    assert_int_equal(store_write_sync(s1, apply_insert, &ia, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    store_writer_stats st;
    store_writer_get_stats(s1, &st);
    assert_int_equal(st.failed_batches, 1);
    arena_free(&ia.a);

    /* Reads still work while another process writes (WAL). */
    int64_t v = 0;
    assert_int_equal(s1->ops->catalogue.config_version(s1, &v, &err), 0);
    assert_true(v > 0);

    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    pthread_join(th, NULL);
    assert_int_equal(ha.rc, 0);

    /* Once the lock is gone, writing works again. */
    insert_init(&ia, &f1, fx->proc_trou, day(2026, 12, 1));
    assert_int_equal(store_write_sync(s1, apply_insert, &ia, &err), 0);
    assert_string_equal(ia.ref, "2026-000001");
    arena_free(&ia.a);
    arena a;
    arena_init(&a, 0);
    const char *held = NULL;
    assert_int_equal(s1->ops->settings.get(s1, "held", &a, &held, &err), 0);
    assert_non_null(held);
    assert_string_equal(held, "1");
    arena_free(&a);
    store_close(s2);
    store_close(s1);
}

/* Reads from many threads: each thread gets its own connection, closed with the store. */
static void *reader_main(void *arg)
{
    fixture *fx = arg;
    arena a;
    arena_init(&a, 0);
    long ok = 0;
    for (int i = 0; i < 200; i++) {
        store_request r;
        int found = 0;
        error err;
        if (fx->s->ops->requests.get(fx->s, fx->tenant, "2026-000001", &a, &r, &found, &err) == 0 &&
            found && r.procedure_id == fx->proc_trou)
            ok++;
    }
    arena_free(&a);
    return (void *)ok;
}

static void test_concurrent_reads(void **state)
{
    fixture *fx = *state;
    quick_insert(fx, fx->proc_trou, day(2026, 1, 1), NULL, 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, fx), 0);
    for (int i = 0; i < 4; i++) {
        void *ok = NULL;
        pthread_join(th[i], &ok);
        assert_int_equal((long)ok, 200);
    }
    /* Those threads have exited; this one reads through its own connection still. */
    long ok = (long)reader_main(fx);
    assert_int_equal(ok, 200);
}

/* ---- citizens' portal ---- */

/* Every operation of the backend is there: core calls them without checking. */
static void test_ops_complete(void **state)
{
    fixture *fx = *state;
    const store_ops *o = fx->s->ops;
    assert_non_null(o->name);
    assert_non_null(o->close);
    assert_non_null(o->migrate);
    assert_non_null(o->schema_version);
    assert_non_null(o->catalogue.config_version);
    assert_non_null(o->catalogue.load);
    assert_non_null(o->requests.get);
    assert_non_null(o->requests.search);
    assert_non_null(o->requests.count);
    assert_non_null(o->requests.procedure_counts);
    assert_non_null(o->events.list);
    assert_non_null(o->events.list_many);
    assert_non_null(o->apikeys.find);
    assert_non_null(o->apikeys.list);
    assert_non_null(o->idempotency.find);
    assert_non_null(o->settings.get);
    assert_non_null(o->requests.tx_get);
    assert_non_null(o->requests.tx_insert);
    assert_non_null(o->requests.tx_update);
    assert_non_null(o->events.tx_insert);
    assert_non_null(o->idempotency.tx_insert);
    assert_non_null(o->catalogue.tx_tenant_upsert);
    assert_non_null(o->catalogue.tx_department_upsert);
    assert_non_null(o->catalogue.tx_procedure_upsert);
    assert_non_null(o->apikeys.tx_insert);
    assert_non_null(o->apikeys.tx_revoke);
    assert_non_null(o->trust_anchors.list);
    assert_non_null(o->trust_anchors.tx_insert);
    assert_non_null(o->trust_anchors.tx_delete);
    assert_non_null(o->settings.tx_set);
    assert_non_null(o->accounts.get);
    assert_non_null(o->accounts.find_email);
    assert_non_null(o->accounts.tx_insert);
    assert_non_null(o->accounts.tx_update);
    assert_non_null(o->sessions.find);
    assert_non_null(o->sessions.tx_insert);
    assert_non_null(o->sessions.tx_touch);
    assert_non_null(o->sessions.tx_delete);
    assert_non_null(o->sessions.tx_delete_account);
    assert_non_null(o->tokens.tx_insert);
    assert_non_null(o->tokens.tx_consume);
    assert_non_null(o->outbox.tx_insert);
    assert_non_null(o->outbox.due);
    assert_non_null(o->outbox.tx_sent);
    assert_non_null(o->outbox.tx_retry);
    assert_non_null(o->outbox.list);
    assert_non_null(o->attachments.tx_insert);
    assert_non_null(o->attachments.get);
    assert_non_null(o->attachments.list);
    assert_non_null(o->attachments.tx_moderate);
    assert_non_null(o->requests.tx_support);
    assert_non_null(o->agents.get);
    assert_non_null(o->agents.find_email);
    assert_non_null(o->agents.list);
    assert_non_null(o->agents.tx_insert);
    assert_non_null(o->agents.tx_update);
    assert_non_null(o->sessions.tx_delete_agent);
    assert_non_null(o->audit.tx_append);
    assert_non_null(o->audit.last);
    assert_non_null(o->audit.list);
    assert_non_null(o->audit.tx_purge_before);
    assert_non_null(o->audit.search);
    assert_non_null(o->audit.request_names);
    assert_non_null(o->saved_filters.list);
    assert_non_null(o->saved_filters.tx_insert);
    assert_non_null(o->saved_filters.tx_delete);
    assert_non_null(o->reply_templates.list);
    assert_non_null(o->reply_templates.tx_upsert);
    assert_non_null(o->reply_templates.tx_delete);
    assert_non_null(o->requests.tx_set_public);
    assert_non_null(o->requests.get_by_id);
    assert_non_null(o->requests.near);
    assert_non_null(o->retention.due);
    assert_non_null(o->retention.count);
    assert_non_null(o->retention.tx_anonymise);
    assert_non_null(o->catalogue.tx_tenant_set_archives_visa);
    assert_non_null(o->accounts.tx_delete);
    assert_non_null(o->disposal.tx_create);
    assert_non_null(o->disposal.list);
    assert_non_null(o->disposal.get);
    assert_non_null(o->disposal.items);
    assert_non_null(o->disposal.tx_approve);
    assert_non_null(o->disposal.tx_item_set);
    assert_non_null(o->disposal.tx_finish);
    assert_non_null(o->compact);
    assert_non_null(o->tx.begin);
    assert_non_null(o->tx.commit);
    assert_non_null(o->tx.rollback);
    assert_non_null(o->tx.savepoint);
    assert_non_null(o->tx.release);
    assert_non_null(o->tx.rollback_to);
}


static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sqlite: %s\n", msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

/* Migration 37 calls phone_e164(), which the store registers on its writer: on the empty
 * tables db_at_version migrates, a function that keeps its argument does. */
static void same_value(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_value(ctx, argv[0]);
}

/* A database at schema version n (migrations 1 to n applied and recorded, as a binary of
 * that time left it), in a new directory made from the mkdtemp template dir; its path in
 * path. The open handle: the caller adds its rows, then closes it. */
static sqlite3 *db_at_version(char *dir, char *path, size_t size, int n)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, size, "%s/v%d.db", dir, n);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_create_function_v2(db, "phone_e164", 1, SQLITE_UTF8, NULL, same_value,
                                                NULL, NULL, NULL),
                     SQLITE_OK);
    exec_ok(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                "applied_at INTEGER NOT NULL) STRICT");
    for (int i = 0; i < n; i++) {
        exec_ok(db, store_sqlite_migrations[i]);
        char rec[80];
        snprintf(rec, sizeof rec, "INSERT INTO schema_migrations VALUES (%d, 0)", i + 1);
        exec_ok(db, rec);
    }
    return db;
}

/* A database left at version 1 with data in it is upgraded in place: old rows read with the
 * new columns at their defaults, and the upgrade is no configuration change. */
static void test_migrate_1_to_2(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name, is_public) "
                "VALUES (1, 1, 'trou', 'Trou', 1);"
                "INSERT INTO procedures (id, tenant_id, code, name, kind) "
                "VALUES (2, 1, 'acte', 'Acte', 1);"
                "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
                "email, created_at, updated_at) VALUES (1, '2025-000001', 1, 'new', 'web', "
                "'Old@Example.org', 1, 1);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    int v = -1;
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, 1);
    int64_t cv0 = 0, cv1 = 0;
    assert_int_equal(s->ops->catalogue.config_version(s, &cv0, &err), 0);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    assert_int_equal(s->ops->migrate(s, &err), 0); /* idempotent */
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, store_sqlite_migration_count);
    assert_int_equal(s->ops->catalogue.config_version(s, &cv1, &err), 0);
    /* Only migrations 6, 7, 24 and the timeouts' one change the catalogue: 6 gives the public
     * procedure its Open311 level (what it showed so far, everything), 7 the démarche its
     * retention, 24 each of the two procedures its workflow, the timeouts' the collectivité its
     * «demarche_sva» workflow (one change per row: the workflow, its 6 statuses and 6
     * transitions, and the 7 actions of the démarche's it takes), and migration 51 the
     * silence's attestation action of its two démarche workflows. */
    assert_int_equal(cv1, cv0 + 4 + 13 + 7 + 2);

    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, 1, "2025-000001", &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.citizen_id, 0);
    assert_null(r.notify);
    assert_int_equal(r.is_public, 0);
    assert_int_equal(r.rating, 0);
    assert_null(r.rating_comment);
    assert_int_equal(r.supporters, 0);
    store_catalogue cat;
    assert_int_equal(s->ops->catalogue.load(s, &a, &cat, &err), 0);
    assert_int_equal(cat.n_procedures, 2);
    assert_int_equal(cat.procedures[0].is_public, 1);
    assert_int_equal(cat.procedures[0].open311_detail, OPEN311_DETAIL_FULL);
    assert_int_equal(cat.procedures[0].auto_public, 0);
    assert_int_equal(cat.procedures[0].allow_anonymous, 0);
    /* Migration 7: the incident keeps 24 months, the démarche 36; nothing is anonymised. */
    assert_int_equal(cat.procedures[0].retention_months, 24);
    assert_int_equal(cat.procedures[1].retention_months, 36);
    assert_int_equal(cat.tenants[0].archives_visa, 0);
    assert_int_equal(r.anonymised_at, 0);
    assert_int_equal(r.erase_requested_at, 0);
    /* The e-mail index serves the old row, case-insensitively. */
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = 1;
    f.citizen_email = "old@example.ORG";
    f.limit = 10;
    store_request *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->requests.search(s, &f, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    arena_free(&a);
    store_close(s);
    remove_db(path);
    rmdir(dir);
}

/* ---- accounts ---- */

typedef struct account_arg {
    store_account acc;
    int64_t id;
    int update; /* 1: tx_account_update instead of insert */
} account_arg;

static int apply_account(store *s, void *arg, error *err)
{
    account_arg *aa = arg;
    if (aa->update)
        return s->ops->accounts.tx_update(s, &aa->acc, err);
    return s->ops->accounts.tx_insert(s, &aa->acc, &aa->id, err);
}

static int64_t make_account(fixture *fx, int64_t tenant, const char *email)
{
    error err;
    account_arg aa = {.acc = {.tenant_id = tenant, .email = email, .created_at = 1000}};
    int rc = store_write_sync(fx->s, apply_account, &aa, &err);
    if (rc != 0)
        fprintf(stderr, "account: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_true(aa.id > 0);
    return aa.id;
}

static void test_accounts(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    error_clear(&err);
    arena a;
    arena_init(&a, 0);
    int64_t cv0 = 0, cv1 = 0;
    assert_int_equal(s->ops->catalogue.config_version(s, &cv0, &err), 0);

    account_arg aa = {.acc = {.tenant_id = fx->tenant,
                              .email = "Camille.Martin@Example.ORG",
                              .password_hash = "$argon2id$v=19$x",
                              .display_name = "Camille Martin",
                              .phone = "+33600000001",
                              .notify = "sms",
                              .lang = "en",
                              .created_at = 1000}};
    assert_int_equal(store_write_sync(s, apply_account, &aa, &err), 0);
    assert_true(aa.id > 0);
    assert_int_equal(s->ops->catalogue.config_version(s, &cv1, &err), 0);
    assert_int_equal(cv1, cv0); /* accounts are not configuration */

    store_account acc;
    int found = 0;
    assert_int_equal(s->ops->accounts.get(s, fx->tenant, aa.id, &a, &acc, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(acc.id, aa.id);
    assert_int_equal(acc.tenant_id, fx->tenant);
    assert_string_equal(acc.email, "camille.martin@example.org"); /* stored lowercased */
    assert_string_equal(acc.password_hash, "$argon2id$v=19$x");
    assert_string_equal(acc.display_name, "Camille Martin");
    assert_string_equal(acc.phone, "+33600000001");
    assert_string_equal(acc.notify, "sms");
    assert_string_equal(acc.lang, "en");
    assert_int_equal(acc.email_verified_at, 0);
    assert_int_equal(acc.created_at, 1000);

    /* Found by e-mail whatever its case; not in another tenant; not an unknown address. */
    found = 0;
    assert_int_equal(s->ops->accounts.find_email(s, fx->tenant, "CAMILLE.martin@example.org", &a,
                                                &acc, &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_int_equal(acc.id, aa.id);
    assert_int_equal(s->ops->accounts.find_email(s, fx->tenant2, "camille.martin@example.org", &a,
                                                &acc, &found, &err),
                     0);
    assert_int_equal(found, 0);
    assert_int_equal(
        s->ops->accounts.find_email(s, fx->tenant, "camille@example.org", &a, &acc, &found, &err),
        0);
    assert_int_equal(found, 0);
    assert_int_equal(s->ops->accounts.get(s, fx->tenant2, aa.id, &a, &acc, &found, &err), 0);
    assert_int_equal(found, 0);

    /* The same address in another case is taken; in another tenant it is free. */
    account_arg dup = {.acc = {.tenant_id = fx->tenant, .email = "camille.martin@EXAMPLE.org"}};
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_account, &dup, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    dup.acc.tenant_id = fx->tenant2;
    assert_int_equal(store_write_sync(s, apply_account, &dup, &err), 0);
    assert_true(dup.id > 0 && dup.id != aa.id);

    /* Defaults: notify e-mail, French. */
    assert_int_equal(s->ops->accounts.get(s, fx->tenant2, dup.id, &a, &acc, &found, &err), 0);
    assert_string_equal(acc.notify, "email");
    assert_string_equal(acc.lang, "fr");
    assert_null(acc.password_hash);

    /* Update rewrites the mutable fields, never the e-mail. */
    account_arg up = {.update = 1,
                      .acc = {.id = aa.id,
                              .tenant_id = fx->tenant,
                              .email = "ignored@example.org",
                              .password_hash = "$argon2id$v=19$y",
                              .display_name = "C. Martin",
                              .notify = "none",
                              .lang = "fr",
                              .email_verified_at = 2000}};
    assert_int_equal(store_write_sync(s, apply_account, &up, &err), 0);
    assert_int_equal(s->ops->accounts.get(s, fx->tenant, aa.id, &a, &acc, &found, &err), 0);
    assert_string_equal(acc.email, "camille.martin@example.org");
    assert_string_equal(acc.password_hash, "$argon2id$v=19$y");
    assert_string_equal(acc.display_name, "C. Martin");
    assert_null(acc.phone);
    assert_string_equal(acc.notify, "none");
    assert_string_equal(acc.lang, "fr");
    assert_int_equal(acc.email_verified_at, 2000);
    /* A bad notification channel is refused by the schema. */
    up.acc.notify = "pigeon";
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_account, &up, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    /* Another tenant's account id is not found. */
    up.acc.notify = "email";
    up.acc.tenant_id = fx->tenant2;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_account, &up, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* Writes outside a job are refused. */
    error_clear(&err);
    assert_int_equal(s->ops->accounts.tx_insert(s, &dup.acc, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    arena_free(&a);
}

/* ---- sessions ---- */

typedef struct session_arg {
    int op; /* 0 insert, 1 touch, 2 delete, 3 delete_account */
    store_session se;
    int64_t id;
} session_arg;

static int apply_session(store *s, void *arg, error *err)
{
    session_arg *sa = arg;
    switch (sa->op) {
    case 0:
        return s->ops->sessions.tx_insert(s, &sa->se, &sa->id, err);
    case 1:
        return s->ops->sessions.tx_touch(s, sa->se.id, sa->se.last_seen_at, err);
    case 2:
        return s->ops->sessions.tx_delete(s, sa->se.tenant_id, sa->se.token_hash, err);
    default:
        return s->ops->sessions.tx_delete_account(s, sa->se.tenant_id, sa->se.account_id, err);
    }
}

static int64_t add_session(fixture *fx, int64_t tenant, int64_t account, const char *hash)
{
    error err;
    session_arg sa = {.se = {.tenant_id = tenant,
                             .account_id = account,
                             .token_hash = hash,
                             .created_at = 100,
                             .expires_at = 100 + 12 * 3600}};
    assert_int_equal(store_write_sync(fx->s, apply_session, &sa, &err), 0);
    assert_true(sa.id > 0);
    return sa.id;
}

static int session_exists(fixture *fx, int64_t tenant, const char *hash, store_session *out,
                          arena *a)
{
    error err;
    int found = -1;
    assert_int_equal(fx->s->ops->sessions.find(fx->s, tenant, hash, a, out, &found, &err), 0);
    return found;
}

static void test_sessions(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t acc1 = make_account(fx, fx->tenant, "un@example.org");
    int64_t acc2 = make_account(fx, fx->tenant, "deux@example.org");
    int64_t s1 = add_session(fx, fx->tenant, acc1, "h1");
    add_session(fx, fx->tenant, acc1, "h2");
    add_session(fx, fx->tenant, acc2, "h3");

    store_session se;
    assert_int_equal(session_exists(fx, fx->tenant, "h1", &se, &a), 1);
    assert_int_equal(se.id, s1);
    assert_int_equal(se.tenant_id, fx->tenant);
    assert_int_equal(se.account_id, acc1);
    assert_string_equal(se.token_hash, "h1");
    assert_int_equal(se.created_at, 100);
    assert_int_equal(se.last_seen_at, 100); /* defaults to created_at */
    assert_int_equal(se.expires_at, 100 + 12 * 3600);
    assert_int_equal(session_exists(fx, fx->tenant2, "h1", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "nope", &se, &a), 0);

    /* The same token hash twice is refused. */
    session_arg dup = {
        .se = {.tenant_id = fx->tenant, .account_id = acc2, .token_hash = "h1", .expires_at = 5}};
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_session, &dup, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    session_arg touch = {.op = 1, .se = {.id = s1, .last_seen_at = 500}};
    assert_int_equal(store_write_sync(fx->s, apply_session, &touch, &err), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h1", &se, &a), 1);
    assert_int_equal(se.last_seen_at, 500);

    /* Logout ends one session; another tenant cannot end it. */
    session_arg del = {.op = 2, .se = {.tenant_id = fx->tenant2, .token_hash = "h1"}};
    assert_int_equal(store_write_sync(fx->s, apply_session, &del, &err), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h1", &se, &a), 1);
    del.se.tenant_id = fx->tenant;
    assert_int_equal(store_write_sync(fx->s, apply_session, &del, &err), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h1", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h2", &se, &a), 1);
    /* Deleting an unknown one is no error. */
    assert_int_equal(store_write_sync(fx->s, apply_session, &del, &err), 0);

    /* A password reset ends every session of that account only. */
    add_session(fx, fx->tenant, acc1, "h4");
    session_arg all = {.op = 3, .se = {.tenant_id = fx->tenant, .account_id = acc1}};
    assert_int_equal(store_write_sync(fx->s, apply_session, &all, &err), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h2", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h4", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "h3", &se, &a), 1);
    arena_free(&a);
}

/* ---- single-use tokens ---- */

typedef struct token_arg {
    int consume;
    store_token t;
    int64_t tenant_id;
    const char *purpose, *hash;
    int64_t now;
    arena a;
    store_token out;
    int found;
} token_arg;

static int apply_token(store *s, void *arg, error *err)
{
    token_arg *ta = arg;
    if (!ta->consume)
        return s->ops->tokens.tx_insert(s, &ta->t, err);
    return s->ops->tokens.tx_consume(s, ta->tenant_id, ta->purpose, ta->hash, ta->now, &ta->a,
                                    &ta->out, &ta->found, err);
}

static int consume(fixture *fx, int64_t tenant, const char *purpose, const char *hash, int64_t now,
                   store_token *out)
{
    error err;
    token_arg ta = {.consume = 1,
                    .tenant_id = tenant,
                    .purpose = purpose,
                    .hash = hash,
                    .now = now,
                    .found = -1};
    arena_init(&ta.a, 0);
    int rc = store_write_sync(fx->s, apply_token, &ta, &err);
    if (rc != 0)
        fprintf(stderr, "consume: %s\n", err.detail);
    assert_int_equal(rc, 0);
    if (out && ta.found) {
        *out = ta.out;
        out->purpose = NULL; /* arena freed below */
        out->token_hash = NULL;
    }
    if (ta.found)
        assert_string_equal(ta.out.purpose, purpose);
    arena_free(&ta.a);
    return ta.found;
}

static void test_tokens(void **state)
{
    fixture *fx = *state;
    error err;
    int64_t acc = make_account(fx, fx->tenant, "jeton@example.org");
    const char *purposes[] = {"verify", "reset", "login"};
    const char *hashes[] = {"tv", "tr", "tl"};
    for (int i = 0; i < 3; i++) {
        token_arg ta = {.t = {.tenant_id = fx->tenant,
                              .account_id = acc,
                              .purpose = purposes[i],
                              .token_hash = hashes[i],
                              .created_at = 1000,
                              .expires_at = 2000}};
        assert_int_equal(store_write_sync(fx->s, apply_token, &ta, &err), 0);
    }
    /* An unknown purpose is refused by the schema. */
    token_arg bad = {.t = {.tenant_id = fx->tenant,
                           .account_id = acc,
                           .purpose = "admin",
                           .token_hash = "tx",
                           .expires_at = 2000}};
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_token, &bad, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    store_token t;
    /* Wrong purpose, wrong tenant, unknown hash: nothing, and nothing spent. */
    assert_int_equal(consume(fx, fx->tenant, "reset", "tv", 1500, &t), 0);
    assert_int_equal(consume(fx, fx->tenant2, "verify", "tv", 1500, &t), 0);
    assert_int_equal(consume(fx, fx->tenant, "verify", "zz", 1500, &t), 0);
    /* Right purpose: once. */
    memset(&t, 0, sizeof t);
    assert_int_equal(consume(fx, fx->tenant, "verify", "tv", 1500, &t), 1);
    assert_int_equal(t.account_id, acc);
    assert_int_equal(t.tenant_id, fx->tenant);
    assert_int_equal(t.created_at, 1000);
    assert_int_equal(t.expires_at, 2000);
    assert_int_equal(t.used_at, 1500);
    assert_int_equal(consume(fx, fx->tenant, "verify", "tv", 1501, &t), 0);
    /* Expired (expires_at is exclusive): never, even unused. */
    assert_int_equal(consume(fx, fx->tenant, "reset", "tr", 2000, &t), 0);
    assert_int_equal(consume(fx, fx->tenant, "reset", "tr", 3000, &t), 0);
    assert_int_equal(consume(fx, fx->tenant, "login", "tl", 1999, &t), 1);
}

/* ---- outbox ---- */

typedef struct outbox_arg {
    int op; /* 0 insert, 1 sent, 2 retry */
    store_outbox m;
    int64_t id;
} outbox_arg;

static int apply_outbox(store *s, void *arg, error *err)
{
    outbox_arg *oa = arg;
    switch (oa->op) {
    case 0:
        return s->ops->outbox.tx_insert(s, &oa->m, &oa->id, err);
    case 1:
        return s->ops->outbox.tx_sent(s, oa->m.id, oa->m.sent_at, err);
    default:
        return s->ops->outbox.tx_retry(s, oa->m.id, oa->m.attempts, oa->m.next_attempt_at,
                                       oa->m.failed, oa->m.last_error, err);
    }
}

static int64_t queue_mail(fixture *fx, int64_t request_id, const char *tmpl, int64_t created,
                          int64_t next)
{
    error err;
    outbox_arg oa = {.m = {.tenant_id = fx->tenant,
                           .channel = "email",
                           .recipient = "camille@example.org",
                           .template = tmpl,
                           .params = "{\"link\":\"https://demo.test/t/secret\"}",
                           .request_id = request_id,
                           .created_at = created,
                           .next_attempt_at = next}};
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &oa, &err), 0);
    assert_true(oa.id > 0);
    return oa.id;
}

static size_t due(fixture *fx, int64_t now, size_t limit, arena *a, store_outbox **out)
{
    error err;
    size_t n = 0;
    assert_int_equal(fx->s->ops->outbox.due(fx->s, "email", now, limit, a, out, &n, &err), 0);
    return n;
}

/* The plan SQLite makes for sql on fx's database, its lines' details joined by "\n", into
 * out. */
static void plan_of_sql(const fixture *fx, const char *sql, char *out, size_t cap)
{
    char eqp[8300];
    int l = snprintf(eqp, sizeof eqp, "EXPLAIN QUERY PLAN %s", sql);
    assert_true(l > 0 && (size_t)l < sizeof eqp);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK);
    size_t len = 0;
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        int n = snprintf(out + len, cap - len, "%s\n", detail ? detail : "");
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The plan of the due list's statement (the store's own text) into out, lines joined. */
static void outbox_due_plan(const fixture *fx, char *out, size_t cap)
{
    plan_of_sql(fx, store_sqlite_outbox_due_sql, out, cap);
}

static void test_outbox(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    char ref[32];
    int64_t req = quick_insert(fx, fx->proc_trou, day(2026, 5, 1), ref, sizeof ref);
    /* Inserted out of order of next_attempt_at; m1 and m4 tie on it. */
    int64_t m1 = queue_mail(fx, req, "request_ack", 100, 300);
    int64_t m2 = queue_mail(fx, 0, "account_verify", 110, 200);
    int64_t m3 = queue_mail(fx, req, "request_status", 120, 900);
    int64_t m4 = queue_mail(fx, 0, "account_login", 130, 0); /* due at once: 130 */
    int64_t m5 = queue_mail(fx, 0, "account_reset", 140, 300);
    /* An SMS due before all of them: never in the e-mail dispatcher's list, the only one in
     * the SMS dispatcher's. */
    outbox_arg sms = {.m = {.tenant_id = fx->tenant,
                            .channel = "sms",
                            .recipient = "+33612345678",
                            .template = "request_ack",
                            .created_at = 90,
                            .next_attempt_at = 90}};
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &sms, &err), 0);

    store_outbox *list = NULL;
    size_t n = 0;
    assert_int_equal(fx->s->ops->outbox.due(fx->s, "sms", 300, 10, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, sms.id);
    assert_string_equal(list[0].channel, "sms");
    error_clear(&err);
    assert_int_equal(fx->s->ops->outbox.due(fx->s, NULL, 300, 10, &a, &list, &n, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    /* One channel's range of the partial index outbox_due, in its order: no other channel's
     * row is read, no sort. */
    char plan[1024];
    outbox_due_plan(fx, plan, sizeof plan);
    if (!strstr(plan, "USING INDEX outbox_due (channel=?)") || strstr(plan, "TEMP B-TREE"))
        fail_msg("outbox due plan\n%s", plan);

    n = due(fx, 300, 10, &a, &list);
    assert_int_equal(n, 4);
    assert_int_equal(list[0].id, m4);
    assert_int_equal(list[0].next_attempt_at, 130);
    assert_int_equal(list[1].id, m2);
    assert_int_equal(list[2].id, m1);
    assert_int_equal(list[3].id, m5);
    assert_string_equal(list[2].channel, "email");
    assert_string_equal(list[2].recipient, "camille@example.org");
    assert_string_equal(list[2].template, "request_ack");
    assert_string_equal(list[2].lang, "fr");
    assert_string_equal(list[2].params, "{\"link\":\"https://demo.test/t/secret\"}");
    assert_int_equal(list[2].request_id, req);
    assert_int_equal(list[2].created_at, 100);
    assert_int_equal(list[2].attempts, 0);
    assert_int_equal(list[2].sent_at, 0);
    assert_int_equal(list[2].failed, 0);
    assert_null(list[2].last_error);
    n = due(fx, 300, 2, &a, &list); /* limit */
    assert_int_equal(n, 2);
    assert_int_equal(list[1].id, m2);
    assert_int_equal(due(fx, 129, 10, &a, &list), 0);
    error_clear(&err);
    assert_int_equal(fx->s->ops->outbox.due(fx->s, "email", 300, 0, &a, &list, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);

    /* Sent: out of the due list, params cleared. */
    outbox_arg sent = {.op = 1, .m = {.id = m4, .sent_at = 310}};
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &sent, &err), 0);
    /* Retried later, then given up. */
    outbox_arg retry = {
        .op = 2,
        .m = {.id = m2, .attempts = 1, .next_attempt_at = 1000, .last_error = "relay unavailable"}};
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &retry, &err), 0);
    outbox_arg give_up = {.op = 2,
                          .m = {.id = m5,
                                .attempts = 8,
                                .next_attempt_at = 0,
                                .failed = 1,
                                .last_error = "550 mailbox unavailable"}};
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &give_up, &err), 0);
    n = due(fx, 999, 10, &a, &list);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, m1);
    assert_int_equal(list[1].id, m3);
    n = due(fx, 1000, 10, &a, &list);
    assert_int_equal(n, 3);
    assert_int_equal(list[2].id, m2);
    assert_int_equal(list[2].attempts, 1);
    assert_string_equal(list[2].last_error, "relay unavailable");
    /* An unknown message id is not found. */
    sent.m.id = 999999;
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_outbox, &sent, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* The request's messages, oldest first; the tenant's, with sent and failed ones. */
    n = 0;
    assert_int_equal(fx->s->ops->outbox.list(fx->s, fx->tenant, req, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, m1);
    assert_int_equal(list[1].id, m3);
    assert_int_equal(fx->s->ops->outbox.list(fx->s, fx->tenant, 0, &a, &list, &n, &err), 0);
    assert_int_equal(n, 6); /* the SMS too */
    assert_int_equal(list[3].id, m4);
    assert_int_equal(list[3].sent_at, 310);
    assert_null(list[3].params);
    assert_int_equal(list[4].id, m5);
    assert_int_equal(list[4].failed, 1);
    assert_string_equal(list[4].last_error, "550 mailbox unavailable");
    assert_int_equal(fx->s->ops->outbox.list(fx->s, fx->tenant2, req, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    arena_free(&a);
}

/* ---- attachments ---- */

typedef struct attach_arg {
    int moderate;
    store_attachment at;
    int64_t id;
} attach_arg;

static int apply_attach(store *s, void *arg, error *err)
{
    attach_arg *aa = arg;
    if (aa->moderate)
        return s->ops->attachments.tx_moderate(s, aa->at.tenant_id, aa->at.id, aa->at.moderation,
                                              err);
    return s->ops->attachments.tx_insert(s, &aa->at, &aa->id, err);
}

static void test_attachments(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    char ref[32];
    int64_t req = quick_insert(fx, fx->proc_trou, day(2026, 5, 2), ref, sizeof ref);
    int64_t other = quick_insert(fx, fx->proc_trou, day(2026, 5, 3), NULL, 0);
    attach_arg photo = {.at = {.tenant_id = fx->tenant,
                               .request_id = req,
                               .filename = "trou.jpg",
                               .content_type = "image/jpeg",
                               .size = 123456,
                               .storage_name = "a1b2c3",
                               .thumb_name = "a1b2c3-t",
                               .is_photo = 1,
                               .created_at = 50}};
    attach_arg pdf = {.at = {.tenant_id = fx->tenant,
                             .request_id = req,
                             .filename = "courrier.pdf",
                             .content_type = "application/pdf",
                             .size = 999,
                             .storage_name = "d4e5f6",
                             .moderation = "approved",
                             .created_at = 60}};
    attach_arg elsewhere = {.at = {.tenant_id = fx->tenant,
                                   .request_id = other,
                                   .content_type = "image/png",
                                   .size = 1,
                                   .storage_name = "g7h8",
                                   .is_photo = 1}};
    assert_int_equal(store_write_sync(fx->s, apply_attach, &photo, &err), 0);
    assert_int_equal(store_write_sync(fx->s, apply_attach, &pdf, &err), 0);
    assert_int_equal(store_write_sync(fx->s, apply_attach, &elsewhere, &err), 0);
    /* The same storage name twice is refused. */
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_attach, &pdf, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);

    store_attachment *list = NULL;
    size_t n = 0;
    assert_int_equal(fx->s->ops->attachments.list(fx->s, fx->tenant, req, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, photo.id);
    assert_int_equal(list[1].id, pdf.id);
    assert_string_equal(list[0].moderation, "pending"); /* default */
    assert_string_equal(list[1].moderation, "approved");
    assert_int_equal(list[0].event_id, 0);
    assert_null(list[1].thumb_name);
    assert_int_equal(fx->s->ops->attachments.list(fx->s, fx->tenant2, req, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);

    store_attachment at;
    int found = 0;
    assert_int_equal(fx->s->ops->attachments.get(fx->s, fx->tenant, photo.id, &a, &at, &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_int_equal(at.tenant_id, fx->tenant);
    assert_int_equal(at.request_id, req);
    assert_string_equal(at.filename, "trou.jpg");
    assert_string_equal(at.content_type, "image/jpeg");
    assert_int_equal(at.size, 123456);
    assert_string_equal(at.storage_name, "a1b2c3");
    assert_string_equal(at.thumb_name, "a1b2c3-t");
    assert_int_equal(at.is_photo, 1);
    assert_int_equal(at.created_at, 50);
    assert_int_equal(
        fx->s->ops->attachments.get(fx->s, fx->tenant2, photo.id, &a, &at, &found, &err), 0);
    assert_int_equal(found, 0);

    attach_arg mod = {.moderate = 1,
                      .at = {.tenant_id = fx->tenant, .id = photo.id, .moderation = "approved"}};
    assert_int_equal(store_write_sync(fx->s, apply_attach, &mod, &err), 0);
    assert_int_equal(fx->s->ops->attachments.get(fx->s, fx->tenant, photo.id, &a, &at, &found, &err),
                     0);
    assert_string_equal(at.moderation, "approved");
    mod.at.moderation = "maybe";
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_attach, &mod, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    mod.at.moderation = "rejected";
    mod.at.tenant_id = fx->tenant2;
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_attach, &mod, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(fx->s->ops->attachments.get(fx->s, fx->tenant, photo.id, &a, &at, &found, &err),
                     0);
    assert_string_equal(at.moderation, "approved");
    arena_free(&a);
}

/* ---- requests: the portal's columns, citizen and public filters, supports ---- */

static void test_request_portal_columns(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t acc = make_account(fx, fx->tenant, "citoyen@example.org");
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_trou, day(2026, 6, 1));
    ia.r.citizen_id = acc;
    ia.r.notify = "sms";
    ia.r.is_public = 1;
    ia.r.supporters = 4;
    char ref[32];
    int64_t id = insert_one(fx, &ia, ref, sizeof ref);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.citizen_id, acc);
    assert_string_equal(r.notify, "sms");
    assert_int_equal(r.is_public, 1);
    assert_int_equal(r.rating, 0);
    assert_null(r.rating_comment);
    assert_int_equal(r.supporters, 4);

    /* The update writes the citizen's columns, not the supporters count. */
    update_arg ua;
    ua.r = r;
    ua.r.status = "closed";
    ua.r.closed_at = day(2026, 6, 3);
    ua.r.updated_at = day(2026, 6, 3);
    ua.r.notify = "none";
    ua.r.is_public = 0;
    ua.r.rating = 5;
    ua.r.rating_comment = "Réparé en deux jours, merci !";
    ua.r.supporters = 99;
    assert_int_equal(store_write_sync(s, apply_update, &ua, &err), 0);
    assert_int_equal(s->ops->requests.get(s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(r.id, id);
    assert_int_equal(r.citizen_id, acc);
    assert_string_equal(r.notify, "none");
    assert_int_equal(r.is_public, 0);
    assert_int_equal(r.rating, 5);
    assert_string_equal(r.rating_comment, "Réparé en deux jours, merci !");
    assert_int_equal(r.supporters, 4);
    /* Ratings are 1 to 5 (0: none). */
    ua.r = r;
    ua.r.rating = 6;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_update, &ua, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "rating");
    /* A citizen id that is no account is refused. */
    insert_init(&ia, fx, fx->proc_trou, day(2026, 6, 2));
    ia.r.citizen_id = 424242;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_insert, &ia, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    arena_free(&ia.a);
    arena_free(&a);
}

/* Inserts a request with the citizen fields given; returns its id. */
static int64_t citizen_insert(fixture *fx, int64_t tenant, int64_t proc, int64_t created,
                              int64_t citizen, const char *email, int is_public, char *ref)
{
    insert_arg ia;
    insert_init(&ia, fx, proc, created);
    ia.r.tenant_id = tenant;
    ia.r.citizen_id = citizen;
    ia.r.email = email;
    ia.r.is_public = is_public;
    return insert_one(fx, &ia, ref, ref ? 32 : 0);
}

static void test_citizen_filter(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    int64_t acc = make_account(fx, fx->tenant, "camille@example.org");
    int64_t other_acc = make_account(fx, fx->tenant, "dominique@example.org");
    char ref_b[32];
    /* A: filed logged in, no e-mail; B: at the counter with the address in another case;
     * C: logged in with another address; D: someone else; E: the same address elsewhere. */
    int64_t ra = citizen_insert(fx, fx->tenant, fx->proc_trou, day(2026, 7, 1), acc, NULL, 0, NULL);
    int64_t rb = citizen_insert(fx, fx->tenant, fx->proc_tag, day(2026, 7, 2), 0,
                                "Camille@Example.ORG", 0, ref_b);
    int64_t rc = citizen_insert(fx, fx->tenant, fx->proc_trou, day(2026, 7, 3), acc,
                                "pro@example.org", 1, NULL);
    citizen_insert(fx, fx->tenant, fx->proc_trou, day(2026, 7, 4), other_acc,
                   "dominique@example.org", 1, NULL);
    citizen_insert(fx, fx->tenant2, fx->proc_t2, day(2026, 7, 5), 0, "camille@example.org", 0,
                   NULL);

    store_request_filter f = base_filter(fx, 10);
    f.citizen_id = acc;
    f.citizen_email = "CAMILLE@example.org";
    store_request *list = NULL;
    size_t n = search(fx, &f, &a, &list);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, rc); /* newest first */
    assert_int_equal(list[1].id, rb);
    assert_int_equal(list[2].id, ra);

    /* Only the account, only the address. */
    f.citizen_email = NULL;
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, rc);
    assert_int_equal(list[1].id, ra);
    f.citizen_id = 0;
    f.citizen_email = "camille@EXAMPLE.org";
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, rb);

    /* Combined with the other filters and with keyset paging. */
    f.citizen_id = acc;
    f.n_procedure_ids = 1;
    f.procedure_ids[0] = fx->proc_trou;
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 2);
    f.n_procedure_ids = 0;
    f.limit = 1;
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, rc);
    f.before_created_at = list[0].created_at;
    f.before_id = list[0].id;
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, rb);
    int64_t count = 0;
    error err;
    assert_int_equal(fx->s->ops->requests.count(fx->s, &f, &count, &err), 0);
    assert_int_equal(count, 3);

    /* A lookup by reference stays within the citizen's requests. */
    store_request_filter byref = base_filter(fx, 10);
    byref.n_references = 1;
    byref.references[0] = ref_b;
    byref.citizen_id = other_acc;
    byref.citizen_email = "dominique@example.org";
    assert_int_equal(search(fx, &byref, &a, &list), 0);
    byref.citizen_id = acc;
    byref.citizen_email = "camille@example.org";
    assert_int_equal(search(fx, &byref, &a, &list), 1);

    /* An unknown citizen has nothing. */
    f = base_filter(fx, 10);
    f.citizen_id = 987654;
    f.citizen_email = "personne@example.org";
    assert_int_equal(search(fx, &f, &a, &list), 0);
    arena_free(&a);
}

static void test_only_public(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    char ref_pub[32], ref_priv[32];
    int64_t p1 =
        citizen_insert(fx, fx->tenant, fx->proc_trou, day(2026, 8, 1), 0, NULL, 1, ref_pub);
    citizen_insert(fx, fx->tenant, fx->proc_trou, day(2026, 8, 2), 0, NULL, 0, ref_priv);
    int64_t p3 = citizen_insert(fx, fx->tenant, fx->proc_tag, day(2026, 8, 3), 0, NULL, 1, NULL);
    citizen_insert(fx, fx->tenant2, fx->proc_t2, day(2026, 8, 4), 0, NULL, 1, NULL);

    store_request_filter f = base_filter(fx, 10);
    store_request *list = NULL;
    assert_int_equal(search(fx, &f, &a, &list), 3);
    f.only_public = 1;
    size_t n = search(fx, &f, &a, &list);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, p3);
    assert_int_equal(list[1].id, p1);
    assert_int_equal(list[0].is_public, 1);
    f.n_procedure_ids = 1;
    f.procedure_ids[0] = fx->proc_trou;
    n = search(fx, &f, &a, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, p1);

    /* By reference: a private request is not shown publicly. */
    store_request_filter byref = base_filter(fx, 10);
    byref.only_public = 1;
    byref.n_references = 2;
    byref.references[0] = ref_pub;
    byref.references[1] = ref_priv;
    n = search(fx, &byref, &a, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, p1);
    arena_free(&a);
}

typedef struct support_arg {
    int64_t tenant_id, request_id;
    const char *const *keys;
    size_t n_keys;
    int added;
} support_arg;

static int apply_support(store *s, void *arg, error *err)
{
    support_arg *sa = arg;
    return s->ops->requests.tx_support(s, sa->tenant_id, sa->request_id, sa->keys, sa->n_keys, 77,
                                      &sa->added, err);
}

/* «Moi aussi» by the supporter named by keys[0..n): 1 counted, 0 not, -1 failed. */
static int support_keys(fixture *fx, int64_t tenant, int64_t request_id, const char *const *keys,
                        size_t n, error *err)
{
    support_arg sa = {
        .tenant_id = tenant, .request_id = request_id, .keys = keys, .n_keys = n, .added = -1};
    if (store_write_sync(fx->s, apply_support, &sa, err) != 0)
        return -1;
    return sa.added;
}

static int support(fixture *fx, int64_t tenant, int64_t request_id, const char *key, error *err)
{
    return support_keys(fx, tenant, request_id, &key, 1, err);
}

static int supporters_of(fixture *fx, const char *ref)
{
    arena a;
    arena_init(&a, 0);
    error err;
    store_request r;
    int found = 0;
    assert_int_equal(fx->s->ops->requests.get(fx->s, fx->tenant, ref, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    arena_free(&a);
    return r.supporters;
}

static void test_support(void **state)
{
    fixture *fx = *state;
    error err;
    error_clear(&err);
    char ref[32], ref2[32];
    int64_t id = quick_insert(fx, fx->proc_trou, day(2026, 9, 1), ref, sizeof ref);
    int64_t id2 = quick_insert(fx, fx->proc_trou, day(2026, 9, 2), ref2, sizeof ref2);
    assert_int_equal(supporters_of(fx, ref), 0);
    assert_int_equal(support(fx, fx->tenant, id, "k1", &err), 1);
    assert_int_equal(supporters_of(fx, ref), 1);
    assert_int_equal(support(fx, fx->tenant, id, "k1", &err), 0); /* once per key */
    assert_int_equal(supporters_of(fx, ref), 1);
    assert_int_equal(support(fx, fx->tenant, id, "k2", &err), 1);
    assert_int_equal(supporters_of(fx, ref), 2);
    assert_int_equal(support(fx, fx->tenant, id2, "k1", &err), 1); /* per request */
    assert_int_equal(supporters_of(fx, ref2), 1);
    assert_int_equal(supporters_of(fx, ref), 2);
    /* Another tenant's request or no request: not found, nothing counted. */
    assert_int_equal(support(fx, fx->tenant2, id, "k3", &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    error_clear(&err);
    assert_int_equal(support(fx, fx->tenant, 999999, "k3", &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(supporters_of(fx, ref), 2);
    /* A supporter key is required. */
    error_clear(&err);
    assert_int_equal(support(fx, fx->tenant, id, "", &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_int_equal(support_keys(fx, fx->tenant, id, NULL, 0, &err), -1);
    /* Several keys (browser, network): counted only when none is known, all remembered. */
    const char *const both[] = {"browser-a", "net-1"};
    assert_int_equal(support_keys(fx, fx->tenant, id, both, 2, &err), 1);
    assert_int_equal(supporters_of(fx, ref), 3);
    const char *const new_browser[] = {"browser-b", "net-1"};
    assert_int_equal(support_keys(fx, fx->tenant, id, new_browser, 2, &err), 0);
    const char *const new_net[] = {"browser-b", "net-2"};
    assert_int_equal(support_keys(fx, fx->tenant, id, new_net, 2, &err), 0); /* b remembered */
    const char *const fresh[] = {"browser-c", "net-3"};
    assert_int_equal(support_keys(fx, fx->tenant, id, fresh, 2, &err), 1);
    assert_int_equal(supporters_of(fx, ref), 4);
}

/* ==== back office (migration 3) ==== */

/* A request with the searchable fields set; returns its id. */
static int64_t insert_person(fixture *fx, int64_t created_at, const char *description,
                             const char *first, const char *last, const char *email,
                             const char *phone, const char *address, char *ref, size_t ref_size)
{
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_trou, created_at);
    ia.r.description = description;
    ia.r.first_name = first;
    ia.r.last_name = last;
    ia.r.email = email;
    ia.r.phone = phone;
    ia.r.address = address;
    return insert_one(fx, &ia, ref, ref_size);
}

static size_t text_search(fixture *fx, const char *text, arena *a, store_request **out)
{
    store_request_filter f = base_filter(fx, 50);
    f.text = text;
    return search(fx, &f, a, out);
}

/* Whether id is among the n requests of list. */
static int has_id(const store_request *list, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id)
            return 1;
    return 0;
}

/* The forms a French word is searched in: singular and plural, masculine and feminine,
 * «-al»/«-aux»; accents and case folded; a word never matches as a prefix, a short last word
 * does. */
static void test_fts_word_forms(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    const char *texts[] = {"Trottoir abîmé rue Victor Hugo", "Deux trottoirs abîmés",
                           "Chaussée abîmée devant l'école", "Journaux jetés dans le square",
                           "Un cheval dans le parc"};
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2026, 5, 1 + i));
        ia.r.description = texts[i];
        ids[i] = insert_one(fx, &ia, NULL, 0);
    }
    store_request *rs;
    assert_int_equal(text_search(fx, "trottoir abimé", &a, &rs), 2);
    assert_true(has_id(rs, 2, ids[0]) && has_id(rs, 2, ids[1]));
    assert_int_equal(text_search(fx, "TROTTOIRS", &a, &rs), 2);
    assert_int_equal(text_search(fx, "abimee", &a, &rs), 3);
    assert_int_equal(text_search(fx, "abîmées", &a, &rs), 3);
    assert_int_equal(text_search(fx, "abîmés chaussée", &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[2]);
    assert_int_equal(text_search(fx, "journal", &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[3]);
    assert_int_equal(text_search(fx, "journaux", &a, &rs), 1);
    assert_int_equal(text_search(fx, "chevaux", &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[4]);
    assert_int_equal(text_search(fx, "trot", &a, &rs), 0);
    assert_int_equal(text_search(fx, "ab", &a, &rs), 3);
    assert_int_equal(text_search(fx, "squares", &a, &rs), 1);
    arena_free(&a);
}

/* The index's "o1"/"o0" and "y<year>" tokens: a search of open requests follows a request
 * closed and reopened (the index is updated when closed_at changes, and only then), and a
 * search within creation dates finds exactly the requests of those dates, whether the range
 * is narrowed in the index (three years or fewer) or not. */
static void test_fts_open_and_years(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    int64_t ids[6];
    char ref[6][32];
    for (int i = 0; i < 6; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2021 + i, 12, 31));
        ia.r.description = "Lampadaire éteint";
        ia.r.department_id = fx->dep_voirie;
        ids[i] = insert_one(fx, &ia, ref[i], sizeof ref[i]);
    }
    store_request *rs;
    store_request_filter f = base_filter(fx, 50);
    f.text = "lampadaire";
    f.only_open = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 6);

    /* Closed: out of the open requests; an update that leaves it closed changes nothing;
     * reopened: back. */
    error err;
    store_request r;
    int found = 0;
    assert_int_equal(fx->s->ops->requests.get(fx->s, fx->tenant, ref[5], &a, &r, &found, &err), 0);
    update_arg ua = {.r = r};
    ua.r.status = "resolved";
    ua.r.closed_at = day(2026, 6, 1);
    assert_int_equal(store_write_sync(fx->s, apply_update, &ua, &err), 0);
    assert_int_equal(search(fx, &f, &a, &rs), 5);
    assert_false(has_id(rs, 5, ids[5]));
    ua.r.priority = 2;
    assert_int_equal(store_write_sync(fx->s, apply_update, &ua, &err), 0);
    assert_int_equal(search(fx, &f, &a, &rs), 5);
    f.only_open = 0;
    assert_int_equal(search(fx, &f, &a, &rs), 6);
    ua.r.status = "in_progress";
    ua.r.closed_at = 0;
    assert_int_equal(store_write_sync(fx->s, apply_update, &ua, &err), 0);
    f.only_open = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 6);
    f.department_ids[0] = fx->dep_voirie;
    f.n_department_ids = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 6);

    /* Creation dates: one year (the last second of 2023 included), three, six. */
    f = base_filter(fx, 50);
    f.text = "lampadaire";
    f.created_from = day(2023, 1, 1) - 10 * 3600;
    f.created_to = day(2024, 1, 1) - 10 * 3600 - 1;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[2]);
    f.created_to = day(2025, 12, 31);
    assert_int_equal(search(fx, &f, &a, &rs), 3);
    f.created_from = day(2021, 12, 31);
    f.created_to = day(2026, 12, 31);
    assert_int_equal(search(fx, &f, &a, &rs), 6);
    f.created_from = day(2024, 6, 1); /* from a date within a year: that year's token */
    f.created_to = day(2025, 6, 1);
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[3]);
    arena_free(&a);
}

/* A text search walked year by year from the newest (core/request_search.c): the same rows,
 * in the same order, as one search over every year, page after page; stopped by the time
 * budget (0: one year), it says from which year it searched, and a search before that year
 * goes on from there. Other filters are not walked. */
static void test_search_text_by_year(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    error err;
    core *c = core_open_config(fx->s, NULL, &err);
    assert_non_null(c);
    int64_t ids[15];
    for (int i = 0; i < 15; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2022 + i / 3, 3 + i % 3, 10));
        ia.r.description = i == 7 ? "Lampadaire cassé" : "Lampadaire éteint";
        ids[i] = insert_one(fx, &ia, NULL, 0);
    }
    quick_insert(fx, fx->proc_trou, day(2020, 1, 1), NULL, 0); /* the oldest, no match */
    store_request_filter f = base_filter(fx, 4);
    f.text = "lampadaire";
    store_request *rs = NULL;
    size_t n = 0;
    int64_t from = -1, count = 0;
    for (size_t page = 0; page < 4; page++) {
        f.offset = page * 4;
        assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
        assert_int_equal(from, 0);
        assert_int_equal(n, page < 3 ? 4 : 3);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(rs[i].id, ids[14 - (page * 4 + i)]);
    }
    f.offset = 0;
    assert_int_equal(request_count_text(c, &f, &count, &from, &err), 0);
    assert_int_equal(count, 15);
    assert_int_equal(from, 0);
    f.count_cap = 5;
    assert_int_equal(request_count_text(c, &f, &count, &from, &err), 0);
    assert_int_equal(count, 5);
    f.count_cap = 0;
    f.text = "casse";
    f.limit = 10;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, ids[7]);

    /* No time for older years: one year per search, and the year it stopped at. */
    core_set_search_budget(c, 0);
    f.text = "lampadaire";
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rs[0].id, ids[14]);
    assert_int_equal(from, day(2026, 1, 1) - 10 * 3600);
    assert_int_equal(request_count_text(c, &f, &count, &from, &err), 0);
    assert_int_equal(count, 3);
    assert_int_equal(from, day(2026, 1, 1) - 10 * 3600);
    f.created_to = from - 1;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rs[0].id, ids[11]);
    assert_int_equal(from, day(2025, 1, 1) - 10 * 3600);
    /* Down to the oldest year that can hold a request: nothing more to offer. */
    f.created_to = day(2022, 1, 1) - 10 * 3600 - 1;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 0);
    /* A page that is full stops there, with no year to offer. */
    f.created_to = 0;
    f.limit = 2;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(from, 0);
    /* Not a text search: one search, whatever the budget. */
    f.text = NULL;
    f.limit = 50;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 16);
    assert_int_equal(from, 0);
    /* A request dated after today (an import): the walk starts from the newest request, not
     * from the clock, so it is found first. */
    insert_arg later;
    insert_init(&later, fx, fx->proc_trou, day(2031, 2, 3));
    later.r.description = "Lampadaire importé";
    int64_t later_id = insert_one(fx, &later, NULL, 0);
    core_set_search_budget(c, SEARCH_BUDGET_MS_DEFAULT);
    f.text = "lampadaire";
    f.limit = 1;
    assert_int_equal(request_search_text(c, &f, &a, &rs, &n, &from, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, later_id);
    core_close(c);
    arena_free(&a);
}

/* A text search within departments: the index's `scope` narrows the walk and the result is
 * what the department filter alone gives; a department change moves the request with it; the
 * scope tokens are never matched by the citizen's words. */
static void test_fts_search_departments(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    int64_t deps[3] = {fx->dep_voirie, fx->dep_proprete, 0};
    int64_t ids[3];
    char ref[3][32];
    for (int i = 0; i < 3; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2026, 6, 1 + i));
        ia.r.description = "Lampadaire qui clignote";
        ia.r.department_id = deps[i];
        ids[i] = insert_one(fx, &ia, ref[i], sizeof ref[i]);
    }
    store_request *rs;
    store_request_filter f = base_filter(fx, 50);
    f.text = "lampadaire";
    assert_int_equal(search(fx, &f, &a, &rs), 3);
    f.department_ids[0] = fx->dep_voirie;
    f.n_department_ids = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[0]);
    f.department_ids[1] = fx->dep_proprete;
    f.n_department_ids = 2;
    assert_int_equal(search(fx, &f, &a, &rs), 2);
    f.department_ids[0] = -1; /* perm_scope's "no department": nothing */
    f.n_department_ids = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 0);
    /* One agent's requests (found by their index, checked against the matches). */
    f = base_filter(fx, 50);
    f.text = "clignote";
    f.assignee = "agent:personne";
    assert_int_equal(search(fx, &f, &a, &rs), 0);

    /* The propreté one moves to the voirie. */
    store_request r;
    int found = 0;
    error err;
    assert_int_equal(fx->s->ops->requests.get(fx->s, fx->tenant, ref[1], &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    update_arg ua = {.r = r};
    ua.r.department_id = fx->dep_voirie;
    assert_int_equal(store_write_sync(fx->s, apply_update, &ua, &err), 0);
    f = base_filter(fx, 50);
    f.text = "lampadaire";
    f.department_ids[0] = fx->dep_voirie;
    f.n_department_ids = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 2);
    assert_true(has_id(rs, 2, ids[1]));
    f.department_ids[0] = fx->dep_proprete;
    assert_int_equal(search(fx, &f, &a, &rs), 0);

    /* "d<id>" typed by an agent is a word like any other: no request holds it. */
    char token[32];
    snprintf(token, sizeof token, "d%lld", (long long)fx->dep_voirie);
    assert_int_equal(text_search(fx, token, &a, &rs), 0);
    arena_free(&a);
}

static void test_fts_search(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    char ref1[32], ref2[32];
    int64_t r1 = insert_person(fx, day(2026, 3, 1), "Lampadaire éteint devant l'École Jean Jaurès",
                               "Amélie", "Lefèvre", "amelie.lefevre@example.org", "06 12 34 56 78",
                               "12 rue de l'Église", ref1, sizeof ref1);
    int64_t r2 = insert_person(fx, day(2026, 3, 2), "Nid-de-poule profond sur la chaussée", "Karim",
                               "Benali", "k.benali@example.net", "+33 7 98 76 54 32",
                               "3 avenue des Tilleuls", ref2, sizeof ref2);
    insert_arg other;
    insert_init(&other, fx, fx->proc_t2, day(2026, 3, 3));
    other.r.tenant_id = fx->tenant2;
    other.r.description = "Lampadaire éteint ailleurs";
    insert_one(fx, &other, NULL, 0);

    store_request *rs;
    size_t n;
    /* accents and case are folded both ways */
    n = text_search(fx, "ecole", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r1);
    n = text_search(fx, "ÉGLISE", &a, &rs);
    assert_int_equal(n, 1);
    n = text_search(fx, "lefevre", &a, &rs);
    assert_int_equal(n, 1);
    n = text_search(fx, "Amelie", &a, &rs);
    assert_int_equal(n, 1);
    /* French words whole, singular or plural, masculine or feminine; the tenant's own
     * requests only */
    n = text_search(fx, "lampadaires", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r1);
    n = text_search(fx, "nid poul", &a, &rs); /* «poul»: poule, poules… */
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r2);
    n = text_search(fx, "lampad", &a, &rs); /* not a prefix: a word */
    assert_int_equal(n, 0);
    /* a short last word is a prefix («ni»: nid) */
    n = text_search(fx, "profond ni", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r2);
    /* every word must match */
    n = text_search(fx, "lampadaire chaussée", &a, &rs);
    assert_int_equal(n, 0);
    n = text_search(fx, "lamp eteint", &a, &rs);
    assert_int_equal(n, 0);
    /* reference, whole or as a prefix */
    n = text_search(fx, ref2, &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r2);
    n = text_search(fx, "2026-00000", &a, &rs);
    assert_int_equal(n, 2);
    /* e-mail and phone, as written or as digits */
    n = text_search(fx, "k.benali@example.net", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r2);
    n = text_search(fx, "0612", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r1);
    n = text_search(fx, "06 12 34", &a, &rs);
    assert_int_equal(n, 1);
    n = text_search(fx, "33798765432", &a, &rs);
    assert_int_equal(n, 1);
    assert_int_equal(rs[0].id, r2);
    n = text_search(fx, "tilleuls", &a, &rs);
    assert_int_equal(n, 1);
    /* combined with another filter */
    store_request_filter f = base_filter(fx, 50);
    f.text = "lampadaire";
    f.channel = "sms";
    assert_int_equal(search(fx, &f, &a, &rs), 0);
    /* blank text: no filter */
    n = text_search(fx, "   ", &a, &rs);
    assert_int_equal(n, 2);

    /* The index follows changes of the personal data (anonymisation) and deletions. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE requests SET first_name = NULL, last_name = NULL, email = NULL, "
             "phone = NULL WHERE id = %lld",
             (long long)r1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    n = text_search(fx, "lefevre", &a, &rs);
    assert_int_equal(n, 0);
    n = text_search(fx, "0612", &a, &rs);
    assert_int_equal(n, 0);
    n = text_search(fx, "lampadaire", &a, &rs); /* the description stays */
    assert_int_equal(n, 1);
    sqlite3_close(db);
    arena_free(&a);
}

/* Whatever the user types, the text is words to find: never FTS5 syntax, never an error. */
static void test_fts_hostile_input(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    insert_person(fx, day(2026, 3, 1), "Tag NEAR the school AND \"graffiti\" OR not", "Jean",
                  "O'Neil", NULL, NULL, NULL, NULL, 0);
    insert_person(fx, day(2026, 3, 2), "Poubelle renversée", "Marie", "Curie", NULL, NULL, NULL,
                  NULL, 0);
    const char *hostile[] = {
        "\"",
        "\"\"",
        "a\" OR \"b",
        "NEAR(tag school)",
        "tag*",
        "*",
        "-poubelle",
        "description:tag",
        "^tag",
        "tag AND",
        "OR",
        "NOT poubelle",
        "(",
        ")",
        "{description}",
        "'; DROP TABLE requests; --",
        "\\",
        "tag + school",
        "poubelle\"*",
        "\"poubelle",
        "tag\tschool\n",
        "::",
        "rowid:1",
        "%",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        store_request *rs = NULL;
        store_request_filter f = base_filter(fx, 50);
        f.text = hostile[i];
        error err;
        size_t n = 0;
        int rc = fx->s->ops->requests.search(fx->s, &f, &a, &rs, &n, &err);
        if (rc != 0)
            fprintf(stderr, "hostile %zu (%s): %s\n", i, hostile[i], err.detail);
        assert_int_equal(rc, 0);
        int64_t count = -1;
        assert_int_equal(fx->s->ops->requests.count(fx->s, &f, &count, &err), 0);
        assert_int_equal(count, (int64_t)n);
    }
    /* Operators are searched as words: "NEAR", "AND", "OR" and "not" are in the first text. */
    store_request *rs;
    assert_int_equal(text_search(fx, "NEAR AND OR not", &a, &rs), 1);
    assert_int_equal(text_search(fx, "NOT poubelle", &a, &rs), 0);
    /* a quote inside a word is part of it: the tokenizer splits O'Neil into o, neil */
    assert_int_equal(text_search(fx, "O'Neil", &a, &rs), 1);
    assert_int_equal(text_search(fx, "\"graffiti\"", &a, &rs), 1);
    assert_int_equal(text_search(fx, "a\" OR \"b", &a, &rs), 0);
    /* punctuation only: no word, so no filter */
    assert_int_equal(text_search(fx, "* ( ) \" -", &a, &rs), 2);
    /* the table still exists */
    assert_int_equal(text_search(fx, "poubelle", &a, &rs), 1);
    /* an absurdly long word is refused, not truncated into another meaning */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    store_request_filter f = base_filter(fx, 10);
    f.text = big;
    error err;
    size_t n = 0;
    assert_int_equal(fx->s->ops->requests.search(fx->s, &f, &a, &rs, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    arena_free(&a);
}

static void test_backoffice_filters(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    int64_t now = day(2026, 6, 1);
    int64_t ids[6];
    /* 0 voirie, due yesterday, open -> overdue
     * 1 voirie, due yesterday, closed -> not overdue
     * 2 propreté, due tomorrow, assigned
     * 3 propreté, no due date, unassigned
     * 4 no department, due long ago, open -> overdue, assigned
     * 5 voirie, due exactly now -> not overdue (strictly before) */
    for (int i = 0; i < 6; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2026, 5, 1 + i));
        ia.r.department_id = (i == 0 || i == 1 || i == 5) ? fx->dep_voirie
                             : (i == 2 || i == 3)         ? fx->dep_proprete
                                                          : 0;
        ia.r.due_at = i <= 1   ? now - 86400
                      : i == 2 ? now + 86400
                      : i == 4 ? now - 90 * 86400
                      : i == 5 ? now
                               : 0;
        if (i == 1) {
            ia.r.status = "closed";
            ia.r.closed_at = now - 2 * 86400;
        }
        ia.r.assignee = (i == 2 || i == 4) ? "agent:sophie.bernard" : NULL;
        ids[i] = insert_one(fx, &ia, NULL, 0);
    }
    store_request *rs;
    store_request_filter f = base_filter(fx, 50);
    f.department_ids[0] = fx->dep_voirie;
    f.department_ids[1] = fx->dep_proprete;
    f.n_department_ids = 2;
    assert_int_equal(search(fx, &f, &a, &rs), 5);
    assert_false(has_id(rs, 5, ids[4]));
    f.n_department_ids = 1;
    f.department_ids[0] = fx->dep_proprete;
    assert_int_equal(search(fx, &f, &a, &rs), 2);
    assert_int_equal(rs[0].id, ids[3]);
    assert_int_equal(rs[1].id, ids[2]);

    f = base_filter(fx, 50);
    f.by_due = 1;
    f.due_before = now;
    assert_int_equal(search(fx, &f, &a, &rs), 2);
    assert_int_equal(rs[0].id, ids[4]);
    assert_int_equal(rs[1].id, ids[0]);
    f.department_ids[0] = fx->dep_voirie;
    f.n_department_ids = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[0]);

    f = base_filter(fx, 50);
    f.unassigned = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 4);
    assert_false(has_id(rs, 4, ids[2]));
    assert_false(has_id(rs, 4, ids[4]));
    f.by_due = 1;
    f.due_before = now;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[0]);

    /* A window [from, before): due exactly at its start is in it, at its end is not. */
    f = base_filter(fx, 50);
    f.by_due = 1;
    f.due_from = now;
    f.due_before = now + 86400;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    assert_int_equal(rs[0].id, ids[5]);
    f.due_before = now + 86400 + 1;
    f.sort = STORE_SORT_DUE_ASC;
    assert_int_equal(search(fx, &f, &a, &rs), 2);
    assert_int_equal(rs[0].id, ids[5]);
    assert_int_equal(rs[1].id, ids[2]);
    int64_t count = 0;
    error cerr;
    assert_int_equal(fx->s->ops->requests.count(fx->s, &f, &count, &cerr), 0);
    assert_int_equal(count, 2);

    /* too many departments is refused */
    f = base_filter(fx, 50);
    f.n_department_ids = STORE_FILTER_MAX_LIST + 1;
    error err;
    size_t n;
    assert_int_equal(fx->s->ops->requests.search(fx->s, &f, &a, &rs, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    arena_free(&a);
}

/* The plan SQLite makes for the statement f's search (count 0) or count (count 1) runs, its
 * lines' details joined by "\n", into out. */
static void plan_of(const fixture *fx, const store_request_filter *f, int count, char *out,
                    size_t cap)
{
    char sql[8192];
    error err;
    assert_int_equal(store_sqlite_request_sql(f, count, sql, sizeof sql, &err), 0);
    plan_of_sql(fx, sql, out, cap);
}

/* The inbox's SLA views («En retard», «Échéance aujourd'hui») walk requests_due, the partial
 * index of open requests by due date (requests_due_assignee for one agent's), for every tab: their
 * pages in its order (no sort of the window, only of the requests due at the same instant to order
 * them by id: «RIGHT PART OF ORDER BY», and the LIMIT stops the walk) and their counts, which so
 * never read a closed request. The statements are the store's own (store_sqlite_request_sql). */
static void test_due_views_use_index(void **state)
{
    fixture *fx = *state;
    static const char *const open_statuses[] = {"new", "acknowledged", "in_progress"};
    char plan[4096];
    for (int tab = 0; tab < 4; tab++) {
        for (int window = 0; window < 2; window++) {
            store_request_filter f = base_filter(fx, 50);
            if (tab == 1 || tab == 2) { /* «Mon service», «Non assignées» */
                f.department_ids[f.n_department_ids++] = fx->dep_voirie;
                f.department_ids[f.n_department_ids++] = fx->dep_proprete;
                f.unassigned = tab == 2;
            }
            if (tab == 3) /* «À traiter» */
                f.assignee = "agent:sophie.bernard";
            if (tab > 0) {
                f.only_open = 1;
                for (size_t i = 0; i < 3; i++)
                    f.statuses[f.n_statuses++] = open_statuses[i];
            }
            f.by_due = 1;
            f.due_from = window ? day(2026, 6, 1) : 0;
            f.due_before = window ? day(2026, 6, 2) : day(2026, 6, 1);
            f.sort = STORE_SORT_DUE_ASC;
            /* One agent's own: their range of requests_due_assignee. */
            const char *index = tab == 3 ? "INDEX requests_due_assignee (" : "INDEX requests_due (";
            plan_of(fx, &f, 0, plan, sizeof plan);
            if (!strstr(plan, index) || strstr(plan, "TEMP B-TREE FOR ORDER BY"))
                fail_msg("tab %d window %d: page plan\n%s", tab, window, plan);
            f.count_cap = 1000;
            plan_of(fx, &f, 1, plan, sizeof plan);
            if (!strstr(plan, index))
                fail_msg("tab %d window %d: count plan\n%s", tab, window, plan);
        }
    }
}

static void expect_order(fixture *fx, int sort, const int64_t *expected, size_t n_expected,
                         arena *a)
{
    store_request *rs;
    store_request_filter f = base_filter(fx, 50);
    f.sort = sort;
    size_t n = search(fx, &f, a, &rs);
    assert_int_equal(n, n_expected);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs[i].id, expected[i]);
    /* Paging two by two gives the same order: offset paging for every sort. */
    for (size_t off = 0; off < n_expected; off += 2) {
        f.offset = off;
        f.limit = 2;
        store_request *page;
        error err;
        size_t k = 0;
        assert_int_equal(fx->s->ops->requests.search(fx->s, &f, a, &page, &k, &err), 0);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(page[i].id, expected[off + i]);
    }
}

static void test_sorts(void **state)
{
    fixture *fx = *state;
    arena a;
    arena_init(&a, 0);
    /* created: r0 < r1 < r2 < r3 < r4 (one day apart)
     * updated: r2 last, then r0, r4, r3, r1
     * due:     r3 first, r1, r0; r2 and r4 none
     * priority: r1 and r4 urgent (3), r0 high (2), others normal */
    int64_t upd[5] = {day(2026, 5, 20), day(2026, 5, 2), day(2026, 5, 25), day(2026, 5, 10),
                      day(2026, 5, 15)};
    int64_t due[5] = {day(2026, 6, 3), day(2026, 6, 2), 0, day(2026, 6, 1), 0};
    int prio[5] = {2, 3, 1, 1, 3};
    int64_t id[5];
    for (int i = 0; i < 5; i++) {
        insert_arg ia;
        insert_init(&ia, fx, fx->proc_trou, day(2026, 5, 1 + i));
        ia.r.updated_at = upd[i];
        ia.r.due_at = due[i];
        ia.r.priority = prio[i];
        id[i] = insert_one(fx, &ia, NULL, 0);
    }
    int64_t created_desc[5] = {id[4], id[3], id[2], id[1], id[0]};
    int64_t created_asc[5] = {id[0], id[1], id[2], id[3], id[4]};
    int64_t updated_desc[5] = {id[2], id[0], id[4], id[3], id[1]};
    int64_t due_asc[5] = {id[3], id[1], id[0], id[2], id[4]}; /* NULLs last, by id */
    int64_t prio_desc[5] = {id[4], id[1], id[0], id[3], id[2]};
    expect_order(fx, STORE_SORT_CREATED_DESC, created_desc, 5, &a);
    expect_order(fx, STORE_SORT_CREATED_ASC, created_asc, 5, &a);
    expect_order(fx, STORE_SORT_UPDATED_DESC, updated_desc, 5, &a);
    expect_order(fx, STORE_SORT_DUE_ASC, due_asc, 5, &a);
    expect_order(fx, STORE_SORT_PRIORITY_DESC, prio_desc, 5, &a);

    /* Keyset paging for the default order; the cursor is ignored by the others. */
    store_request *rs;
    store_request_filter f = base_filter(fx, 50);
    f.before_created_at = day(2026, 5, 3);
    f.before_id = id[2];
    size_t n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 2);
    assert_int_equal(rs[0].id, id[1]);
    assert_int_equal(rs[1].id, id[0]);
    f.sort = STORE_SORT_CREATED_ASC;
    n = search(fx, &f, &a, &rs);
    assert_int_equal(n, 5);
    assert_int_equal(rs[0].id, id[0]);
    arena_free(&a);
}

/* ---- agents ---- */

typedef struct agent_arg {
    int update;
    store_agent ag;
    int64_t id;
} agent_arg;

static int apply_agent(store *s, void *arg, error *err)
{
    agent_arg *aa = arg;
    if (aa->update)
        return s->ops->agents.tx_update(s, &aa->ag, err);
    return s->ops->agents.tx_insert(s, &aa->ag, &aa->id, err);
}

static int64_t make_agent(fixture *fx, int64_t tenant, const char *email, const char *name,
                          const char *role, const int64_t *deps, size_t n_deps)
{
    error err;
    agent_arg aa = {.ag = {.tenant_id = tenant,
                           .email = email,
                           .name = name,
                           .role = role,
                           .password_hash = "$argon2id$v=19$m=65536,t=2,p=1$x$y",
                           .active = 1,
                           .created_at = 1000,
                           .department_ids = deps,
                           .n_departments = n_deps}};
    int rc = store_write_sync(fx->s, apply_agent, &aa, &err);
    if (rc != 0)
        fprintf(stderr, "agent: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_true(aa.id > 0);
    return aa.id;
}

static void test_agents(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t both[2] = {fx->dep_proprete, fx->dep_voirie};
    int64_t martin = make_agent(fx, fx->tenant, "Martin.Durand@Ville-Demo.test", "Martin Durand",
                                "agent", both, 2);
    int64_t zoe =
        make_agent(fx, fx->tenant, "zoe.admin@ville-demo.test", "Zoé Admin", "admin", NULL, 0);
    int64_t alice = make_agent(fx, fx->tenant, "alice@ville-demo.test", "alice Martin", "manager",
                               &fx->dep_voirie, 1);
    make_agent(fx, fx->tenant2, "martin.durand@ville-demo.test", "Homonyme", "elected", NULL, 0);

    store_agent ag;
    int found = -1;
    assert_int_equal(s->ops->agents.get(s, fx->tenant, martin, &a, &ag, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(ag.email, "martin.durand@ville-demo.test"); /* lowercased */
    assert_string_equal(ag.name, "Martin Durand");
    assert_string_equal(ag.role, "agent");
    assert_non_null(ag.password_hash);
    assert_null(ag.totp_secret);
    assert_int_equal(ag.totp_enabled, 0);
    assert_int_equal(ag.active, 1);
    assert_int_equal(ag.created_at, 1000);
    assert_int_equal(ag.last_login_at, 0);
    assert_int_equal(ag.n_departments, 2);
    int64_t lo = fx->dep_voirie < fx->dep_proprete ? fx->dep_voirie : fx->dep_proprete;
    assert_int_equal(ag.department_ids[0], lo); /* ordered by id */
    /* another tenant's id is not found */
    assert_int_equal(s->ops->agents.get(s, fx->tenant2, martin, &a, &ag, &found, &err), 0);
    assert_int_equal(found, 0);

    assert_int_equal(s->ops->agents.find_email(s, fx->tenant, "MARTIN.durand@ville-demo.TEST", &a,
                                              &ag, &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_int_equal(ag.id, martin);
    assert_int_equal(
        s->ops->agents.find_email(s, fx->tenant, "nobody@ville-demo.test", &a, &ag, &found, &err),
        0);
    assert_int_equal(found, 0);

    /* list: by name, case-insensitively, with departments, this tenant only */
    store_agent *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->agents.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, alice);
    assert_int_equal(list[1].id, martin);
    assert_int_equal(list[2].id, zoe);
    assert_int_equal(list[0].n_departments, 1);
    assert_int_equal(list[0].department_ids[0], fx->dep_voirie);
    assert_int_equal(list[1].n_departments, 2);
    assert_int_equal(list[2].n_departments, 0);

    /* refusals: same e-mail in any case, unknown role, another tenant's department */
    agent_arg bad = {.ag = {.tenant_id = fx->tenant,
                            .email = "MARTIN.DURAND@ville-demo.test",
                            .name = "Doublon",
                            .role = "agent"}};
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_agent, &bad, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    bad.ag.email = "new@ville-demo.test";
    bad.ag.role = "superuser";
    assert_int_equal(store_write_sync(s, apply_agent, &bad, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    bad.ag.role = "agent";
    int64_t foreign = 999999;
    bad.ag.department_ids = &foreign;
    bad.ag.n_departments = 1;
    assert_int_equal(store_write_sync(s, apply_agent, &bad, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    /* nothing of the refused agent was kept */
    assert_int_equal(
        s->ops->agents.find_email(s, fx->tenant, "new@ville-demo.test", &a, &ag, &found, &err), 0);
    assert_int_equal(found, 0);

    /* update: every mutable field, departments replaced */
    agent_arg up = {.update = 1,
                    .ag = {.id = martin,
                           .tenant_id = fx->tenant,
                           .name = "Martin Durand-Roux",
                           .role = "manager",
                           .password_hash = "$argon2id$new",
                           .totp_secret = "sealed:abc",
                           .totp_enabled = 1,
                           .active = 0,
                           .last_login_at = 5000,
                           .department_ids = &fx->dep_proprete,
                           .n_departments = 1}};
    assert_int_equal(store_write_sync(s, apply_agent, &up, &err), 0);
    assert_int_equal(s->ops->agents.get(s, fx->tenant, martin, &a, &ag, &found, &err), 0);
    assert_string_equal(ag.name, "Martin Durand-Roux");
    assert_string_equal(ag.role, "manager");
    assert_string_equal(ag.password_hash, "$argon2id$new");
    assert_string_equal(ag.totp_secret, "sealed:abc");
    assert_int_equal(ag.totp_enabled, 1);
    assert_int_equal(ag.active, 0);
    assert_int_equal(ag.last_login_at, 5000);
    assert_int_equal(ag.n_departments, 1);
    assert_int_equal(ag.department_ids[0], fx->dep_proprete);
    assert_string_equal(ag.email, "martin.durand@ville-demo.test"); /* e-mail unchanged */
    /* an update with an invalid department changes nothing */
    up.ag.name = "Changed";
    up.ag.department_ids = &foreign;
    assert_int_equal(store_write_sync(s, apply_agent, &up, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(s->ops->agents.get(s, fx->tenant, martin, &a, &ag, &found, &err), 0);
    assert_string_equal(ag.name, "Martin Durand-Roux");
    assert_int_equal(ag.n_departments, 1);
    /* no departments at all; another tenant cannot update it; unknown id */
    up.ag.name = "Martin";
    up.ag.department_ids = NULL;
    up.ag.n_departments = 0;
    up.ag.totp_secret = NULL;
    assert_int_equal(store_write_sync(s, apply_agent, &up, &err), 0);
    assert_int_equal(s->ops->agents.get(s, fx->tenant, martin, &a, &ag, &found, &err), 0);
    assert_int_equal(ag.n_departments, 0);
    assert_null(ag.totp_secret);
    up.ag.tenant_id = fx->tenant2;
    assert_int_equal(store_write_sync(s, apply_agent, &up, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    up.ag.tenant_id = fx->tenant;
    up.ag.id = 424242;
    assert_int_equal(store_write_sync(s, apply_agent, &up, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
}

typedef struct agent_session_arg {
    store_session se;
    int64_t id;
    int delete_agent;
} agent_session_arg;

static int apply_agent_session(store *s, void *arg, error *err)
{
    agent_session_arg *sa = arg;
    if (sa->delete_agent)
        return s->ops->sessions.tx_delete_agent(s, sa->se.tenant_id, sa->se.agent_id, err);
    return s->ops->sessions.tx_insert(s, &sa->se, &sa->id, err);
}

static void test_agent_sessions(void **state)
{
    fixture *fx = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t agent = make_agent(fx, fx->tenant, "session@ville-demo.test", "S", "agent", NULL, 0);
    int64_t acc = make_account(fx, fx->tenant, "citoyen@example.org");
    agent_session_arg sa = {.se = {.tenant_id = fx->tenant,
                                   .agent_id = agent,
                                   .token_hash = "ag1",
                                   .created_at = 100,
                                   .expires_at = 100 + 12 * 3600}};
    assert_int_equal(store_write_sync(fx->s, apply_agent_session, &sa, &err), 0);
    sa.se.token_hash = "ag2";
    assert_int_equal(store_write_sync(fx->s, apply_agent_session, &sa, &err), 0);
    add_session(fx, fx->tenant, acc, "cit1");
    store_session se;
    assert_int_equal(session_exists(fx, fx->tenant, "ag1", &se, &a), 1);
    assert_int_equal(se.agent_id, agent);
    assert_int_equal(se.account_id, 0);
    assert_int_equal(session_exists(fx, fx->tenant, "cit1", &se, &a), 1);
    assert_int_equal(se.agent_id, 0);
    assert_int_equal(se.account_id, acc);

    /* exactly one owner */
    agent_session_arg bad = sa;
    bad.se.token_hash = "both";
    bad.se.account_id = acc;
    error_clear(&err);
    assert_int_equal(store_write_sync(fx->s, apply_agent_session, &bad, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    bad.se.account_id = 0;
    bad.se.agent_id = 0;
    assert_int_equal(store_write_sync(fx->s, apply_agent_session, &bad, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(session_exists(fx, fx->tenant, "both", &se, &a), 0);
    /* the table refuses it too, whatever the application does */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[200];
    snprintf(sql, sizeof sql,
             "INSERT INTO sessions (tenant_id, token_hash, account_id, agent_id, created_at, "
             "last_seen_at, expires_at) VALUES (%lld, 'raw', %lld, %lld, 1, 1, 2)",
             (long long)fx->tenant, (long long)acc, (long long)agent);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff, SQLITE_CONSTRAINT);
    sqlite3_close(db);

    /* ending an agent's sessions leaves the citizens' alone */
    agent_session_arg del = {.delete_agent = 1, .se = {.tenant_id = fx->tenant, .agent_id = agent}};
    assert_int_equal(store_write_sync(fx->s, apply_agent_session, &del, &err), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "ag1", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "ag2", &se, &a), 0);
    assert_int_equal(session_exists(fx, fx->tenant, "cit1", &se, &a), 1);
    arena_free(&a);
}

/* ---- audit log ---- */

typedef struct audit_arg {
    store_audit e;
    int64_t id;
    int purge;
    int64_t before, purged;
} audit_arg;

static int apply_audit(store *s, void *arg, error *err)
{
    audit_arg *aa = arg;
    if (aa->purge)
        return s->ops->audit.tx_purge_before(s, aa->e.tenant_id, aa->before, &aa->purged, err);
    return s->ops->audit.tx_append(s, &aa->e, &aa->id, err);
}

static int64_t audit_add(fixture *fx, int64_t tenant, int64_t at, int64_t agent, const char *action,
                         const char *ids, const char *prev, const char *hash)
{
    error err;
    audit_arg aa = {.e = {.tenant_id = tenant,
                          .at = at,
                          .agent_id = agent,
                          .actor = agent ? "agent:1" : "api:3",
                          .action = action,
                          .object_kind = "request",
                          .object_ids = ids,
                          .source = "192.0.2.7",
                          .prev_hash = prev,
                          .hash = hash}};
    int rc = store_write_sync(fx->s, apply_audit, &aa, &err);
    if (rc != 0)
        fprintf(stderr, "audit: %s\n", err.detail);
    assert_int_equal(rc, 0);
    return aa.id;
}

static void test_audit(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t agent = make_agent(fx, fx->tenant, "audit@ville-demo.test", "A", "admin", NULL, 0);
    store_audit last;
    int found = -1;
    assert_int_equal(s->ops->audit.last(s, fx->tenant, &a, &last, &found, &err), 0);
    assert_int_equal(found, 0);

    int64_t e1 = audit_add(fx, fx->tenant, 1000, agent, "view", "12", "", "aa01");
    int64_t e2 = audit_add(fx, fx->tenant, 2000, 0, "search", "12,13,14", "aa01", "aa02");
    int64_t other = audit_add(fx, fx->tenant2, 2500, 0, "list", NULL, "", "bb01");
    int64_t e3 = audit_add(fx, fx->tenant, 3000, agent, "export", "15", "aa02", "aa03");
    assert_true(e1 < e2 && e2 < other && other < e3);

    assert_int_equal(s->ops->audit.last(s, fx->tenant, &a, &last, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(last.id, e3);
    assert_string_equal(last.hash, "aa03");
    assert_string_equal(last.prev_hash, "aa02");
    assert_int_equal(last.agent_id, agent);
    assert_string_equal(last.action, "export");
    assert_string_equal(last.object_kind, "request");
    assert_string_equal(last.object_ids, "15");
    assert_string_equal(last.source, "192.0.2.7");
    assert_string_equal(last.actor, "agent:1");
    assert_int_equal(last.at, 3000);

    store_audit *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->audit.list(s, fx->tenant, 0, 100, &a, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, e1);
    assert_int_equal(list[1].id, e2);
    assert_int_equal(list[2].id, e3);
    assert_int_equal(list[1].agent_id, 0);
    assert_string_equal(list[1].object_ids, "12,13,14");
    assert_int_equal(s->ops->audit.list(s, fx->tenant, e1, 1, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, e2);
    assert_int_equal(s->ops->audit.list(s, fx->tenant, e3, 10, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->audit.list(s, fx->tenant, 0, 0, &a, &list, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);

    /* Newest first, by request (through audit_log_requests), agent, period, page. */
    store_audit_filter af = {.tenant_id = fx->tenant, .limit = 10};
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, e3);
    assert_int_equal(list[2].id, e1);
    af.request_id = 12;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, e2);
    assert_int_equal(list[1].id, e1);
    af.request_id = 14;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, e2);
    af.request_id = 0;
    af.agent_id = agent;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, e3);
    af.agent_id = 0;
    af.from = 1500;
    af.to = 2999;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, e2);
    af.from = 4000; /* after every entry */
    af.to = 0;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    af.from = 0;
    af.before_id = e3;
    af.limit = 1;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, e2);
    af.limit = 0;
    assert_int_equal(s->ops->audit.search(s, &af, &a, &list, &n, &err), -1);

    /* a hash is required */
    audit_arg bad = {.e = {.tenant_id = fx->tenant, .at = 1, .actor = "x", .action = "view"}};
    assert_int_equal(store_write_sync(s, apply_audit, &bad, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);

    /* Rows cannot be altered through SQL while the trigger is there... */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    assert_int_equal(sqlite3_exec(db, "UPDATE audit_log SET object_ids = '99'", NULL, NULL, &msg) &
                         0xff,
                     SQLITE_CONSTRAINT);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    assert_int_equal(s->ops->audit.last(s, fx->tenant, &a, &last, &found, &err), 0);
    assert_string_equal(last.object_ids, "15");
    /* ...but someone with the file can drop it: that is what the hash chain is for. */
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER audit_log_no_update; "
                                  "UPDATE audit_log SET object_ids = '99' WHERE hash = 'aa03'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(s->ops->audit.last(s, fx->tenant, &a, &last, &found, &err), 0);
    assert_string_equal(last.object_ids, "99");
    assert_string_equal(last.hash, "aa03"); /* the hash no longer matches the row */

    /* Retention: entries older than the limit go, in this tenant only; ids are not reused. */
    audit_arg purge = {.purge = 1, .e = {.tenant_id = fx->tenant}, .before = 2500};
    assert_int_equal(store_write_sync(s, apply_audit, &purge, &err), 0);
    assert_int_equal(purge.purged, 2);
    assert_int_equal(s->ops->audit.list(s, fx->tenant, 0, 100, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, e3);
    assert_int_equal(s->ops->audit.list(s, fx->tenant2, 0, 100, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    purge.before = 10000;
    assert_int_equal(store_write_sync(s, apply_audit, &purge, &err), 0);
    assert_int_equal(purge.purged, 1);
    purge.e.tenant_id = fx->tenant2;
    assert_int_equal(store_write_sync(s, apply_audit, &purge, &err), 0);
    assert_int_equal(purge.purged, 1);
    int64_t e4 = audit_add(fx, fx->tenant, 4000, 0, "login_failed", NULL, "aa03", "aa04");
    assert_true(e4 > e3);
    /* The purged entries' request rows went with them. */
    sqlite3 *db2 = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db2), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db2, "SELECT count(*) FROM audit_log_requests", -1, &q, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(db2);

    /* Requests named by reference: the tenant's only, unknown ids left out. */
    char ref[32];
    int64_t rid = quick_insert(fx, fx->proc_trou, day(2026, 1, 2), ref, sizeof ref);
    int64_t ids[] = {rid, 999999};
    store_request_name *names = NULL;
    assert_int_equal(s->ops->audit.request_names(s, fx->tenant, ids, 2, &a, &names, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(names[0].id, rid);
    assert_string_equal(names[0].reference, ref);
    assert_int_equal(s->ops->audit.request_names(s, fx->tenant2, ids, 2, &a, &names, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->audit.request_names(s, fx->tenant, ids, 0, &a, &names, &n, &err), 0);
    assert_int_equal(n, 0);
    arena_free(&a);
}

/* ---- saved filters and reply templates ---- */

typedef struct bo_arg {
    int op; /* 0 filter insert, 1 filter delete, 2 template upsert, 3 template delete,
               4 set public */
    store_saved_filter f;
    store_reply_template t;
    int64_t tenant, agent, id;
    int is_public;
    int64_t id_out;
} bo_arg;

static int apply_bo(store *s, void *arg, error *err)
{
    bo_arg *b = arg;
    switch (b->op) {
    case 0:
        return s->ops->saved_filters.tx_insert(s, &b->f, &b->id_out, err);
    case 1:
        return s->ops->saved_filters.tx_delete(s, b->tenant, b->agent, b->id, err);
    case 2:
        return s->ops->reply_templates.tx_upsert(s, &b->t, &b->id_out, err);
    case 3:
        return s->ops->reply_templates.tx_delete(s, b->tenant, b->id, err);
    default:
        return s->ops->requests.tx_set_public(s, b->tenant, b->id, b->is_public, err);
    }
}

static void test_saved_filters(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t ag1 = make_agent(fx, fx->tenant, "f1@ville-demo.test", "F1", "agent", NULL, 0);
    int64_t ag2 = make_agent(fx, fx->tenant, "f2@ville-demo.test", "F2", "agent", NULL, 0);
    int64_t ag3 = make_agent(fx, fx->tenant2, "f3@autre.test", "F3", "agent", NULL, 0);
    bo_arg b = {.op = 0,
                .f = {.tenant_id = fx->tenant,
                      .agent_id = ag1,
                      .name = "Urgences voirie",
                      .query = "status=new&priority=3&department=voirie"}};
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    int64_t f1 = b.id_out;
    b.f.name = "En retard";
    b.f.query = "overdue=1";
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    int64_t f2 = b.id_out;
    /* same name for the same agent: conflict; for another agent: fine */
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    b.f.agent_id = ag2;
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    /* an agent of another tenant cannot get a filter in this one */
    b.f.agent_id = ag3;
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    b.f.agent_id = ag1;
    b.f.name = "";
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);

    store_saved_filter *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->saved_filters.list(s, fx->tenant, ag1, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, f2); /* by name */
    assert_string_equal(list[0].name, "En retard");
    assert_string_equal(list[0].query, "overdue=1");
    assert_int_equal(list[1].id, f1);
    assert_int_equal(list[1].agent_id, ag1);
    assert_int_equal(list[1].tenant_id, fx->tenant);

    /* only its owner deletes it */
    bo_arg del = {.op = 1, .tenant = fx->tenant, .agent = ag2, .id = f1};
    assert_int_equal(store_write_sync(s, apply_bo, &del, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    del.agent = ag1;
    assert_int_equal(store_write_sync(s, apply_bo, &del, &err), 0);
    assert_int_equal(s->ops->saved_filters.list(s, fx->tenant, ag1, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, f2);
    assert_int_equal(s->ops->saved_filters.list(s, fx->tenant, ag2, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    arena_free(&a);
}

static void test_reply_templates(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    bo_arg b = {.op = 2,
                .t = {.tenant_id = fx->tenant,
                      .name = "Intervention programmée",
                      .body = "Bonjour, intervention le {{date}} pour {{reference}}."}};
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    int64_t t1 = b.id_out;
    b.t.name = "Accusé de réception";
    b.t.body = "Nous avons reçu {{reference}}.";
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    int64_t t2 = b.id_out;
    /* same name without id: the body is replaced, the id kept */
    b.t.body = "Nous avons bien reçu votre demande {{reference}}.";
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    assert_int_equal(b.id_out, t2);
    /* same name in another tenant: its own template */
    b.t.tenant_id = fx->tenant2;
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    int64_t t3 = b.id_out;
    assert_true(t3 != t2);

    store_reply_template *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->reply_templates.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, t2);
    assert_string_equal(list[0].body, "Nous avons bien reçu votre demande {{reference}}.");
    assert_int_equal(list[1].id, t1);
    assert_string_equal(list[1].name, "Intervention programmée");

    /* by id: rename; to a taken name: conflict; unknown or another tenant's: not found */
    bo_arg up = {.op = 2,
                 .t = {.id = t1,
                       .tenant_id = fx->tenant,
                       .name = "Intervention planifiée",
                       .body = "Le {{date}}."}};
    assert_int_equal(store_write_sync(s, apply_bo, &up, &err), 0);
    assert_int_equal(up.id_out, t1);
    up.t.name = "Accusé de réception";
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_bo, &up, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    up.t.id = t3;
    up.t.name = "X";
    assert_int_equal(store_write_sync(s, apply_bo, &up, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    up.t.body = NULL;
    assert_int_equal(store_write_sync(s, apply_bo, &up, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);

    bo_arg del = {.op = 3, .tenant = fx->tenant2, .id = t1};
    assert_int_equal(store_write_sync(s, apply_bo, &del, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    del.tenant = fx->tenant;
    assert_int_equal(store_write_sync(s, apply_bo, &del, &err), 0);
    assert_int_equal(s->ops->reply_templates.list(s, fx->tenant, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "Accusé de réception");
    arena_free(&a);
}

static void test_request_by_id_and_public(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    char ref[32];
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_trou, day(2026, 4, 1));
    ia.r.description = "Trou";
    ia.r.email = "x@example.org";
    int64_t id = insert_one(fx, &ia, ref, sizeof ref);

    store_request r;
    int found = -1;
    assert_int_equal(s->ops->requests.get_by_id(s, fx->tenant, id, &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.id, id);
    assert_string_equal(r.reference, ref);
    assert_string_equal(r.description, "Trou");
    assert_string_equal(r.email, "x@example.org");
    assert_int_equal(r.is_public, 0);
    assert_int_equal(s->ops->requests.get_by_id(s, fx->tenant2, id, &a, &r, &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(s->ops->requests.get_by_id(s, fx->tenant, id + 1000, &a, &r, &found, &err), 0);
    assert_int_equal(found, 0);

    bo_arg b = {.op = 4, .tenant = fx->tenant, .id = id, .is_public = 1};
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    assert_int_equal(s->ops->requests.get_by_id(s, fx->tenant, id, &a, &r, &found, &err), 0);
    assert_int_equal(r.is_public, 1);
    store_request *rs;
    store_request_filter f = base_filter(fx, 10);
    f.only_public = 1;
    assert_int_equal(search(fx, &f, &a, &rs), 1);
    b.is_public = 0;
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), 0);
    assert_int_equal(search(fx, &f, &a, &rs), 0);
    b.tenant = fx->tenant2;
    error_clear(&err);
    assert_int_equal(store_write_sync(s, apply_bo, &b, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    arena_free(&a);
}

/* The requests each procedure received per day, kept by triggers (migration 20): insertions,
 * deletions and a changed date move them; a period starts at a UTC day; tenants apart. */
static int64_t count_of(const store_procedure_count *pc, size_t n, int64_t procedure_id)
{
    for (size_t i = 0; i < n; i++)
        if (pc[i].procedure_id == procedure_id)
            return pc[i].n;
    return 0;
}

static void test_procedure_counts(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    int64_t d1 = day(2026, 3, 2), d2 = day(2026, 3, 3);
    int64_t gone = quick_insert(fx, fx->proc_trou, d1, NULL, 0);
    quick_insert(fx, fx->proc_trou, d1 + 3600, NULL, 0);
    quick_insert(fx, fx->proc_trou, d2, NULL, 0);
    int64_t moved = quick_insert(fx, fx->proc_tag, d1, NULL, 0);
    insert_arg ia;
    insert_init(&ia, fx, fx->proc_t2, d1);
    ia.r.tenant_id = fx->tenant2;
    insert_one(fx, &ia, NULL, 0);

    store_procedure_count *pc = NULL;
    size_t n = 0;
    assert_int_equal(
        s->ops->requests.procedure_counts(s, fx->tenant, d1 / 86400, &a, &pc, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(count_of(pc, n, fx->proc_trou), 3);
    assert_int_equal(count_of(pc, n, fx->proc_tag), 1);
    assert_int_equal(
        s->ops->requests.procedure_counts(s, fx->tenant, d2 / 86400, &a, &pc, &n, &err), 0);
    assert_int_equal(n, 1); /* the day before is out, and a procedure without any is left out */
    assert_int_equal(count_of(pc, n, fx->proc_trou), 1);
    assert_int_equal(
        s->ops->requests.procedure_counts(s, fx->tenant2, d1 / 86400, &a, &pc, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count_of(pc, n, fx->proc_t2), 1);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[160];
    snprintf(sql, sizeof sql,
             "DELETE FROM request_events WHERE request_id = %lld; "
             "DELETE FROM requests WHERE id = %lld",
             (long long)gone, (long long)gone);
    exec_ok(db, sql);
    snprintf(sql, sizeof sql, "UPDATE requests SET created_at = %lld WHERE id = %lld",
             (long long)d2, (long long)moved);
    exec_ok(db, sql);
    sqlite3_close(db);
    assert_int_equal(
        s->ops->requests.procedure_counts(s, fx->tenant, d1 / 86400, &a, &pc, &n, &err), 0);
    assert_int_equal(count_of(pc, n, fx->proc_trou), 2);
    assert_int_equal(count_of(pc, n, fx->proc_tag), 1);
    assert_int_equal(
        s->ops->requests.procedure_counts(s, fx->tenant, d2 / 86400, &a, &pc, &n, &err), 0);
    assert_int_equal(count_of(pc, n, fx->proc_tag), 1); /* moved to the next day */
    arena_free(&a);
}

static void test_requests_near(void **state)
{
    fixture *fx = *state;
    store *s = fx->s;
    error err;
    arena a;
    arena_init(&a, 0);
    /* Around 45.7640 N, 4.8357 E; 0.001 degree of latitude is about 111 m, of longitude at
     * this latitude about 78 m. */
    const double lat0 = 45.7640, lon0 = 4.8357;
    struct {
        double dlat, dlon;
        int closed, tenant2, no_location;
    } pts[] = {
        {0.0030, 0, 0, 0, 0},        /* 0: ~334 m north */
        {0, 0.0010, 0, 0, 0},        /* 1: ~78 m east */
        {-0.0010, -0.0010, 0, 0, 0}, /* 2: ~134 m south-west */
        {0.0001, 0, 1, 0, 0},        /* 3: ~11 m, but closed */
        {0.0002, 0, 0, 1, 0},        /* 4: ~22 m, other tenant */
        {0, 0, 0, 0, 1},             /* 5: no location */
        {0.0080, 0.0080, 0, 0, 0},   /* 6: ~1.1 km, outside 500 m */
        {0.0040, 0.0043, 0, 0, 0},   /* 7: in the box's corner (~551 m), outside the circle */
    };
    int64_t id[8];
    for (int i = 0; i < 8; i++) {
        insert_arg ia;
        insert_init(&ia, fx, pts[i].tenant2 ? fx->proc_t2 : fx->proc_trou, day(2026, 4, 1 + i));
        if (pts[i].tenant2)
            ia.r.tenant_id = fx->tenant2;
        if (!pts[i].no_location) {
            ia.r.has_location = 1;
            ia.r.lat = lat0 + pts[i].dlat;
            ia.r.lon = lon0 + pts[i].dlon;
        }
        if (pts[i].closed) {
            ia.r.status = "closed";
            ia.r.closed_at = day(2026, 4, 20);
        }
        id[i] = insert_one(fx, &ia, NULL, 0);
    }
    store_request *rs = NULL;
    double *dist = NULL;
    size_t n = 0;
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 500, 10, &a, &rs, &dist, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rs[0].id, id[1]);
    assert_int_equal(rs[1].id, id[2]);
    assert_int_equal(rs[2].id, id[0]);
    assert_true(dist[0] > 70 && dist[0] < 85);
    assert_true(dist[1] > 125 && dist[1] < 145);
    assert_true(dist[2] > 325 && dist[2] < 340);
    assert_true(dist[0] <= dist[1] && dist[1] <= dist[2]);
    /* the limit keeps the nearest; distances are optional */
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 500, 2, &a, &rs, NULL, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rs[0].id, id[1]);
    assert_int_equal(rs[1].id, id[2]);
    /* a wider radius reaches the corner point and the far one */
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 2000, 10, &a, &rs, &dist, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(rs[3].id, id[7]);
    assert_int_equal(rs[4].id, id[6]);
    /* nothing near elsewhere */
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, 48.85, 2.35, 1000, 10, &a, &rs, &dist, &n, &err), 0);
    assert_int_equal(n, 0);
    /* bad arguments */
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, 91, lon0, 500, 10, &a, &rs, &dist, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 0, 10, &a, &rs, &dist, &n, &err), -1);
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 500, 0, &a, &rs, &dist, &n, &err), -1);
    assert_int_equal(
        s->ops->requests.near(s, fx->tenant, lat0, lon0, 1e9, 10, &a, &rs, &dist, &n, &err), -1);
    arena_free(&a);
}

/* A database at version 2 with data is upgraded in place: sessions kept, old requests
 * searchable, the new tables usable. */
/* Migration 15 splits the request ids of the entries already in the audit log into
 * audit_log_requests, so that a request's readers are found for the past too. */
static void test_migrate_audit_requests(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, 14);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO audit_log (id, tenant_id, at, actor, action, object_kind, object_ids, "
                "hash) VALUES (1, 1, 10, 'agent:1', 'list', 'request', '12,13,14', 'h1'),"
                "(2, 1, 11, 'agent:1', 'view', 'request', '13', 'h2'),"
                "(3, 1, 12, 'agent:1', 'admin', 'agent', '13', 'h3'),"
                "(4, 1, 13, 'agent:1', 'search', 'request', '', 'h4'),"
                "(5, 1, 14, 'agent:1', 'search', 'request', NULL, 'h5');");
    sqlite3_close(db);
    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_audit *list = NULL;
    size_t n = 0;
    store_audit_filter f = {.tenant_id = 1, .request_id = 13, .limit = 10};
    assert_int_equal(s->ops->audit.search(s, &f, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, 2);
    assert_int_equal(list[1].id, 1);
    f.request_id = 14;
    assert_int_equal(s->ops->audit.search(s, &f, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, 1);
    arena_free(&a);
    store_close(s);
    remove_db(path);
    rmdir(dir);
}

/* Migration 25: every procedure's form gets its version 1 from its attributes, and the
 * requests filed before point at it; a later upsert with other attributes adds version 2,
 * the same attributes again none. */
static void test_migrate_form_versions(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, 24);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name, attributes) VALUES (1, 1, "
                "'p', 'P', '[{\"code\":\"a\",\"datatype\":\"string\"}]');"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (2, 1, 'q', 'Q');"
                "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
                "attributes, created_at, updated_at) VALUES (1, '2025-000001', 1, 'new', 'web', "
                "'{\"a\":\"x\"}', 1, 1);");
    sqlite3_close(db);
    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0;
    assert_int_equal(s->ops->requests.get(s, 1, "2025-000001", &a, &r, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(r.procedure_version, 1);
    store_procedure_version v;
    assert_int_equal(s->ops->catalogue.procedure_version_get(s, 1, 1, 1, &a, &v, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(v.definition, "[{\"code\":\"a\",\"datatype\":\"string\"}]");
    assert_string_equal(v.created_by, "cli");
    assert_int_equal(s->ops->catalogue.procedure_version_get(s, 1, 2, 1, &a, &v, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(v.definition, "[]");
    store_catalogue cat;
    assert_int_equal(s->ops->catalogue.load(s, &a, &cat, &err), 0);
    assert_int_equal(cat.procedures[0].form_version, 1);

    store_procedure p = cat.procedures[0];
    p.version_by = "agent:4";
    p.version_summary = "Nouvelle question";
    assert_int_equal(s->ops->tx.begin(s, &err), 0);
    assert_int_equal(s->ops->catalogue.tx_procedure_upsert(s, &p, NULL, &err), 0);
    p.attributes = "[{\"code\":\"b\",\"datatype\":\"string\"}]";
    assert_int_equal(s->ops->catalogue.tx_procedure_upsert(s, &p, NULL, &err), 0);
    assert_int_equal(s->ops->catalogue.tx_procedure_upsert(s, &p, NULL, &err), 0);
    assert_int_equal(s->ops->tx.commit(s, &err), 0);
    store_procedure_version *hist = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->catalogue.procedure_versions(s, 1, 1, &a, &hist, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hist[0].version, 2);
    assert_string_equal(hist[0].created_by, "agent:4");
    assert_string_equal(hist[0].summary, "Nouvelle question");
    assert_null(hist[0].definition);
    assert_int_equal(hist[1].version, 1);
    /* The old request still points at version 1. */
    assert_int_equal(s->ops->requests.get(s, 1, "2025-000001", &a, &r, &found, &err), 0);
    assert_int_equal(r.procedure_version, 1);
    arena_free(&a);
    store_close(s);
    remove_db(path);
    rmdir(dir);
}

static void test_migrate_2_to_3(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, 2);
    exec_ok(db, "PRAGMA foreign_keys = ON");
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
                "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
                "description, first_name, lat, lon, created_at, updated_at, due_at) VALUES "
                "(1, '2025-000001', 1, 'new', 'web', 'Réverbère cassé', 'Hélène', 45.0, 4.0, "
                "1, 1, 50);"
                "INSERT INTO accounts (id, tenant_id, email, created_at) VALUES (7, 1, "
                "'a@example.org', 1);"
                "INSERT INTO sessions (tenant_id, token_hash, account_id, created_at, "
                "last_seen_at, expires_at) VALUES (1, 'old-session', 7, 1, 2, 3);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    assert_int_equal(s->ops->migrate(s, &err), 0); /* idempotent */
    int v = -1;
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, store_sqlite_migration_count);

    arena a;
    arena_init(&a, 0);
    store_session se;
    int found = 0;
    assert_int_equal(s->ops->sessions.find(s, 1, "old-session", &a, &se, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(se.account_id, 7);
    assert_int_equal(se.agent_id, 0);
    assert_int_equal(se.last_seen_at, 2);

    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = 1;
    f.limit = 10;
    f.text = "reverbere helene";
    store_request *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->requests.search(s, &f, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    memset(&f, 0, sizeof f);
    f.tenant_id = 1;
    f.limit = 10;
    f.by_due = 1;
    f.due_before = 100;
    assert_int_equal(s->ops->requests.search(s, &f, &a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    double *dist = NULL;
    assert_int_equal(s->ops->requests.near(s, 1, 45.0, 4.0, 100, 5, &a, &list, &dist, &n, &err), 0);
    assert_int_equal(n, 1);
    store_agent *agents = NULL;
    assert_int_equal(s->ops->agents.list(s, 1, &a, &agents, &n, &err), 0);
    assert_int_equal(n, 0);
    arena_free(&a);
    store_close(s);
    remove_db(path);
    rmdir(dir);
}

/* The text of the first column of the first row of sql, copied into out ("" when none). */
static void query_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* Every row of sql, each column quoted, one row a line, into out (asserted to fit). */
static void rows_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t len = 0;
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            int n = snprintf(out + len, size - len, "%s%s", i ? "|" : "", v ? v : "NULL");
            assert_true(n >= 0 && (size_t)n < size - len);
            len += (size_t)n;
        }
        assert_true(len + 1 < size);
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
}

/* The migration to workflows (MIGRATION_WORKFLOWS): a database with requests in every one of
 * the fixed statuses of before, in two collectivités, upgrades without a request row changing;
 * every procedure, incident or démarche, is on its collectivité's incident workflow, whose
 * transitions are exactly those core/status.c allowed (enumerated here); a collectivité created
 * afterwards gets the three shipped workflows too. */
#define MIGRATION_WORKFLOWS 26

static void test_migrate_workflows(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_WORKFLOWS - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0), "
                "(2, 'w', 'W', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name, kind) VALUES "
                "(1, 1, 'trou', 'Trou', 0), (2, 1, 'acte', 'Acte', 1), (3, 2, 'trou', 'Trou', 0);");
    static const char *const codes[] = {"new",      "acknowledged", "in_progress",
                                        "resolved", "rejected",     "duplicate"};
    int id = 0;
    for (int p = 1; p <= 3; p++)
        for (int i = 0; i < 6; i++) {
            char sql[400];
            id++;
            snprintf(sql, sizeof sql,
                     "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, "
                     "channel, created_at, updated_at, closed_at, status_notes) VALUES (%d, %d, "
                     "'2025-%06d', %d, '%s', 'web', %d, %d, %s, 'note %d')",
                     id, p == 3 ? 2 : 1, id, p, codes[i], 1000 + id, 2000 + id,
                     i >= 3 ? "3000" : "NULL", id);
            exec_ok(db, sql);
        }
    static char before[16384], after[16384];
    /* The columns of that version: later migrations may add some (requests.letter_due). */
    char cols[2048], query[2200];
    rows_text(db, "SELECT group_concat(name, ', ') FROM pragma_table_info('requests')", cols,
              sizeof cols);
    cols[strcspn(cols, "\n")] = '\0';
    snprintf(query, sizeof query, "SELECT %s FROM requests ORDER BY id", cols);
    rows_text(db, query, before, sizeof before);
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    rows_text(db, query, after, sizeof after);
    assert_string_equal(after, before);
    char got[4096];
    rows_text(db,
              "SELECT p.tenant_id, p.code, w.code, w.tenant_id FROM procedures p "
              "JOIN workflows w ON w.id = p.workflow_id ORDER BY p.id",
              got, sizeof got);
    assert_string_equal(got, "1|trou|incident|1\n1|acte|incident|1\n2|trou|incident|2\n");
    for (int tenant = 1; tenant <= 2; tenant++) {
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT t.from_code, t.to_code FROM workflow_transitions t JOIN workflows w ON "
                 "w.id = t.workflow_id WHERE w.tenant_id = %d AND w.code = 'incident' "
                 "ORDER BY t.from_code, t.to_code",
                 tenant);
        rows_text(db, sql, got, sizeof got);
        assert_string_equal(got, "acknowledged|duplicate\nacknowledged|in_progress\n"
                                 "acknowledged|rejected\nacknowledged|resolved\n"
                                 "duplicate|acknowledged\nduplicate|in_progress\n"
                                 "duplicate|rejected\nduplicate|resolved\n"
                                 "in_progress|acknowledged\nin_progress|duplicate\n"
                                 "in_progress|rejected\nin_progress|resolved\n"
                                 "new|acknowledged\nnew|duplicate\nnew|in_progress\n"
                                 "new|rejected\nnew|resolved\n"
                                 "rejected|acknowledged\nrejected|duplicate\n"
                                 "rejected|in_progress\nrejected|resolved\n"
                                 "resolved|acknowledged\nresolved|duplicate\n"
                                 "resolved|in_progress\nresolved|rejected\n");
        snprintf(sql, sizeof sql,
                 "SELECT s.code, s.is_final, s.is_initial, s.open311 FROM workflow_statuses s "
                 "JOIN workflows w ON w.id = s.workflow_id WHERE w.tenant_id = %d AND "
                 "w.code = 'incident' ORDER BY s.position",
                 tenant);
        rows_text(db, sql, got, sizeof got);
        assert_string_equal(got, "new|0|1|open\nacknowledged|0|0|open\nin_progress|0|0|open\n"
                                 "resolved|0|0|closed\nrejected|0|0|closed\n"
                                 "duplicate|0|0|closed\n");
    }
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (3, 'x', 'X', 0)");
    rows_text(db,
              "SELECT w.code, count(DISTINCT s.id), count(DISTINCT t.id) FROM workflows w "
              "JOIN workflow_statuses s ON s.workflow_id = w.id JOIN workflow_transitions t ON "
              "t.workflow_id = w.id WHERE w.tenant_id = 3 GROUP BY w.id ORDER BY w.id",
              got, sizeof got);
    assert_string_equal(got, "incident|6|25\ndemarche|6|6\nquestion|2|1\ndemarche_sva|6|6\n");
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* Host lists written before names were checked (commas, capitals, a name two tenants
 * listed) become one name per tenant_hosts row: the older tenant keeps a shared name, the
 * lists are rewritten; from then on a second claim is refused. */
static void test_migrate_4_to_5(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, 4);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, hosts, created_at) VALUES "
                "(1, 'a', 'A', 'Grc.A.fr,  www.a.fr partage.fr', 0), "
                "(2, 'b', 'B', 'PARTAGE.fr b.fr ', 0), (3, 'c', 'C', '', 0);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    int v = -1;
    assert_int_equal(s->ops->schema_version(s, &v, &err), 0);
    assert_int_equal(v, store_sqlite_migration_count);
    /* b claims partage.fr again: refused, naming a, and nothing changes. */
    store_tenant b = {.slug = "b", .name = "B", .hosts = "b.fr partage.fr"};
    assert_int_equal(store_write_sync(s, apply_tenant, &b, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "hosts");
    assert_non_null(strstr(err.detail, "'partage.fr' already belongs to collectivité a"));
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char text[256];
    query_text(db,
               "SELECT group_concat(slug || '=' || hosts, ';') FROM (SELECT slug, hosts "
               "FROM tenants ORDER BY id)",
               text, sizeof text);
    assert_string_equal(text, "a=grc.a.fr www.a.fr partage.fr;b=b.fr;c=");
    query_text(db,
               "SELECT group_concat(host || '>' || tenant_id, ' ') FROM (SELECT host, "
               "tenant_id FROM tenant_hosts ORDER BY tenant_id, position)",
               text, sizeof text);
    assert_string_equal(text, "grc.a.fr>1 www.a.fr>1 partage.fr>1 b.fr>2");
    /* The key is the name whatever its case. */
    assert_int_equal(
        sqlite3_exec(db, "INSERT INTO tenant_hosts VALUES ('WWW.A.FR', 2, 9)", NULL, NULL, NULL),
        SQLITE_CONSTRAINT);
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration that gives requests their language (MIGRATION_REQUEST_LANG): requests
 * already filed become English when their acknowledgement went out in English, French
 * otherwise; only fr and en are stored. */
#define MIGRATION_REQUEST_LANG 10
static void test_migrate_request_lang(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_REQUEST_LANG - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
                "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, channel, "
                "created_at, updated_at) VALUES (1, 1, '2025-000001', 1, 'new', 'web', 1, 1), "
                "(2, 1, '2025-000002', 1, 'new', 'web', 1, 1), "
                "(3, 1, '2025-000003', 1, 'new', 'api', 1, 1);"
                "INSERT INTO outbox (tenant_id, channel, recipient, template, lang, request_id, "
                "created_at, next_attempt_at, sent_at) VALUES "
                "(1, 'email', 'a@example.org', 'request_ack', 'en', 1, 1, 1, 2), "
                "(1, 'email', 'b@example.org', 'request_ack', 'fr', 2, 1, 1, NULL), "
                "(1, 'email', 'c@example.org', 'request_reply', 'en', 3, 1, 1, NULL);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    arena a;
    arena_init(&a, 0);
    static const char *const want[] = {"en", "fr", "fr"};
    for (int id = 1; id <= 3; id++) {
        store_request r;
        int found = 0;
        assert_int_equal(s->ops->requests.get_by_id(s, 1, id, &a, &r, &found, &err), 0);
        assert_int_equal(found, 1);
        assert_string_equal(r.lang, want[id - 1]);
    }
    arena_free(&a);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE requests SET lang = 'de' WHERE id = 1", NULL, NULL, NULL),
        SQLITE_CONSTRAINT);
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration that stores phone numbers in E.164 (MIGRATION_PHONE_E164): the numbers of
 * accounts and requests typed before it are converted, French forms and others; what does
 * not read as a number is kept as typed; none stays NULL. */
#define MIGRATION_PHONE_E164 37
static void test_migrate_phone_e164(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_PHONE_E164 - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
                "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, channel, "
                "phone, created_at, updated_at) VALUES "
                "(1, 1, '2025-000001', 1, 'new', 'web', '06 12 34 56 78', 1, 1), "
                "(2, 1, '2025-000002', 1, 'new', 'web', '0692123456', 1, 1), "
                "(3, 1, '2025-000003', 1, 'new', 'api', '+49 151 12345678', 1, 1), "
                "(4, 1, '2025-000004', 1, 'new', 'api', 'appelez la mairie', 1, 1), "
                "(5, 1, '2025-000005', 1, 'new', 'api', NULL, 1, 1);"
                "INSERT INTO accounts (id, tenant_id, email, phone, created_at) VALUES "
                "(1, 1, 'a@example.org', '0612345678', 1), (2, 1, 'b@example.org', '+33612', 1);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char text[256];
    query_text(db,
               "SELECT group_concat(coalesce(phone, '-'), '|') FROM (SELECT phone FROM requests "
               "ORDER BY id)",
               text, sizeof text);
    assert_string_equal(text, "+33612345678|+262692123456|+4915112345678|appelez la mairie|-");
    query_text(db, "SELECT group_concat(phone, '|') FROM (SELECT phone FROM accounts ORDER BY id)",
               text, sizeof text);
    assert_string_equal(text, "+33612345678|+33612");
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration to the statistics' facts (MIGRATION_FACTS): each request's facts filled from
 * history — the first answer is the first public event of an agent or an API key (not the
 * filing, nor a citizen's, nor the system's, nor a merge's copy), reopenings the citizens'
 * «reopened» events, a merged duplicate marked —, and the triggers keep them afterwards. */
#define MIGRATION_FACTS 49
static void test_migrate_request_facts(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_FACTS - 1);
    exec_ok(db,
            "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
            "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
            "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, channel, "
            "created_at, updated_at, closed_at, merged_into) VALUES "
            "(1, 1, '2025-000001', 1, 'resolved', 'web', 100, 100, 900, NULL), "
            "(2, 1, '2025-000002', 1, 'new', 'phone', 200, 200, NULL, NULL), "
            "(3, 1, '2025-000003', 1, 'duplicate', 'web', 300, 300, 400, 1);"
            "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
            "actor, copied_from) VALUES "
            "(1, 1, 100, 'created', 1, 'agent:1', NULL), (1, 1, 150, 'message', 1, 'citizen', "
            "NULL), (1, 1, 160, 'note', 0, 'agent:1', NULL), (1, 1, 170, 'status', 1, 'system', "
            "NULL), (1, 1, 180, 'note', 1, 'agent:1', 3), (1, 1, 400, 'note', 1, 'api:k', NULL), "
            "(1, 1, 300, 'status', 1, 'agent:2', NULL), (1, 1, 500, 'reopened', 1, 'citizen', "
            "NULL), (1, 2, 250, 'note', 0, 'agent:1', NULL);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char text[256];
    query_text(db,
               "SELECT group_concat(request_id || ':' || created_at || ':' || channel || ':' || "
               "coalesce(first_answer_at, '-') || ':' || coalesce(closed_at, '-') || ':' || "
               "reopened || ':' || merged, '|') FROM (SELECT * FROM request_facts ORDER BY "
               "request_id)",
               text, sizeof text);
    assert_string_equal(text, "1:100:web:300:900:1:0|2:200:phone:-:-:0:0|3:300:web:-:400:0:1");
    /* kept from now on: an answer, a reopening */
    exec_ok(db, "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
                "actor) VALUES (1, 2, 260, 'note', 1, 'agent:3');"
                "UPDATE requests SET status = 'in_progress', closed_at = NULL WHERE id = 1;");
    query_text(db,
               "SELECT group_concat(request_id || ':' || coalesce(first_answer_at, '-') || ':' || "
               "coalesce(closed_at, '-') || ':' || reopened, '|') FROM (SELECT * FROM "
               "request_facts WHERE request_id < 3 ORDER BY request_id)",
               text, sizeof text);
    assert_string_equal(text, "1:300:-:2|2:260:-:0");
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration to the facts' assignee (MIGRATION_FACTS_ASSIGNEE): each fact takes the agent
 * whose identifier its request carries (0 unassigned, -1 an identifier of no agent, another
 * collectivité's agent not taken), and the triggers keep it on reassignment and when an agent
 * with an identifier already assigned is created. */
#define MIGRATION_FACTS_ASSIGNEE 57
static void test_migrate_facts_assignee(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_FACTS_ASSIGNEE - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0), "
                "(2, 'w', 'W', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
                "INSERT INTO agents (id, tenant_id, email, name, role, created_at) VALUES "
                "(7, 1, 'ana.b@v.fr', 'Ana', 'agent', 0), (8, 2, 'bob@w.fr', 'Bob', 'agent', 0);"
                "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, channel, "
                "created_at, updated_at, assignee) VALUES "
                "(1, 1, '2026-000001', 1, 'new', 'web', 100, 100, 'agent:ana.b'), "
                "(2, 1, '2026-000002', 1, 'new', 'web', 200, 200, NULL), "
                "(3, 1, '2026-000003', 1, 'new', 'web', 300, 300, 'agent:bob'), "
                "(4, 1, '2026-000004', 1, 'new', 'web', 400, 400, 'equipe-nord');");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char text[256];
#define ASSIGNEES                                                                                  \
    "SELECT group_concat(request_id || ':' || assignee_id, '|') FROM (SELECT * FROM "              \
    "request_facts ORDER BY request_id)"
    query_text(db, ASSIGNEES, text, sizeof text);
    assert_string_equal(text, "1:7|2:0|3:-1|4:-1");
    /* reassigned, unassigned, an agent created with an identifier already assigned */
    exec_ok(db, "UPDATE requests SET assignee = 'agent:ana.b' WHERE id = 2;"
                "UPDATE requests SET assignee = NULL WHERE id = 1;"
                "INSERT INTO agents (id, tenant_id, email, name, role, created_at) VALUES "
                "(9, 1, 'bob@v.fr', 'Bob V', 'agent', 0);"
                "UPDATE requests SET status = 'resolved', closed_at = 500 WHERE id = 3;");
    query_text(db, ASSIGNEES, text, sizeof text);
    assert_string_equal(text, "1:0|2:7|3:9|4:-1");
#undef ASSIGNEES
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration to one table of contact addresses (MIGRATION_MAIL_CONTACTS): the addresses
 * of mail_contacts keep their collectivité, lowercased, with the procedure mail_addresses
 * gave them; an address only in mail_addresses becomes a contact address of its collectivité
 * with its procedure; one another collectivité has is left to that one; the old tables are
 * gone and the address stays unique across the instance, in any case. */
#define MIGRATION_MAIL_CONTACTS 41
static void test_migrate_mail_contacts(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_MAIL_CONTACTS - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'a', 'A', 0), "
                "(2, 'b', 'B', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'voirie', 'V'), "
                "(2, 2, 'ecoles', 'E');"
                "INSERT INTO mail_contacts (id, tenant_id, address) VALUES "
                "(1, 1, 'Contact@A.test'), (2, 2, 'partage@x.test'), (3, 1, 'mairie@a.test');"
                "INSERT INTO mail_addresses (tenant_id, address, procedure_id) VALUES "
                "(1, 'contact@a.test', 1), (1, 'voirie@a.test', 1), (1, 'partage@x.test', 1), "
                "(2, 'ecoles@b.test', 2);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_mail_address *l = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->mail.contacts(s, 1, &a, &l, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(l[0].address, "contact@a.test");
    assert_int_equal(l[0].procedure_id, 1);
    assert_string_equal(l[1].address, "mairie@a.test");
    assert_int_equal(l[1].procedure_id, 0);
    assert_string_equal(l[2].address, "voirie@a.test");
    assert_int_equal(l[2].procedure_id, 1);
    store_mail_address m;
    int found = 0;
    assert_int_equal(s->ops->mail.contact_find(s, "PARTAGE@x.test", &a, &m, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(m.tenant_id, 2);
    assert_int_equal(m.procedure_id, 0);
    assert_int_equal(s->ops->mail.contact_find(s, "ecoles@b.test", &a, &m, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(m.procedure_id, 2);
    arena_free(&a);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char got[256];
    query_text(db,
               "SELECT count(*) FROM sqlite_master WHERE name IN ('mail_addresses', "
               "'mail_contacts_41')",
               got, sizeof got);
    assert_string_equal(got, "0");
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO mail_contacts (tenant_id, address) VALUES "
                                  "(2, 'VOIRIE@a.test')",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

/* The migration that widens documents' kinds (MIGRATION_DOCUMENT_KINDS): a receipt issued
 * before it keeps its row (bytes, code, hash) and becomes visible to the citizen with no
 * title and no issuing agent; the new kinds are accepted, an unknown one refused, and the
 * trigger still refuses any change of an issued document. */
#define MIGRATION_DOCUMENT_KINDS 45
static void test_migrate_document_kinds(void **state)
{
    (void)state;
    char dir[] = "/tmp/guichet-store-XXXXXX";
    char path[128];
    sqlite3 *db = db_at_version(dir, path, sizeof path, MIGRATION_DOCUMENT_KINDS - 1);
    exec_ok(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 'v', 'V', 0);"
                "INSERT INTO procedures (id, tenant_id, code, name) VALUES (1, 1, 'p', 'P');"
                "INSERT INTO requests (id, tenant_id, reference, procedure_id, status, channel, "
                "created_at, updated_at) VALUES (1, 1, '2026-000001', 1, 'new', 'web', 1, 1);"
                "INSERT INTO documents (id, tenant_id, request_id, kind, version, code, sha256, "
                "size, content, created_at) VALUES (7, 1, 1, 'receipt', 1, 'ABCD2345', "
                "printf('%064d', 0), 4, X'25504446', 5);");
    sqlite3_close(db);

    error err;
    error_clear(&err);
    store *s = store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    arena a;
    arena_init(&a, 0);
    store_document d;
    int found = 0;
    assert_int_equal(s->ops->documents.get(s, 1, 7, &a, &d, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(d.kind, "receipt");
    assert_string_equal(d.code, "ABCD2345");
    assert_int_equal(d.size, 4);
    assert_memory_equal(d.content, "%PDF", 4);
    assert_int_equal(d.citizen_visible, 1);
    assert_null(d.title);
    assert_int_equal(d.agent_id, 0);
    arena_free(&a);
    store_close(s);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "INSERT INTO documents (tenant_id, request_id, kind, version, code, sha256, size, "
                "content, created_at, title, citizen_visible) VALUES (1, 1, 'decision', 1, "
                "'EFGH2345', printf('%064d', 1), 1, X'25', 6, 'Arrêté', 0)");
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO documents (tenant_id, request_id, kind, version, "
                                  "code, sha256, size, content, created_at) VALUES (1, 1, "
                                  "'brouillon', 1, 'JKLM2345', printf('%064d', 2), 1, X'25', 7)",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE documents SET title = 'x' WHERE id = 7", NULL, NULL, NULL),
        SQLITE_CONSTRAINT);
    sqlite3_close(db);
    remove_db(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_migrate),
        cmocka_unit_test_setup_teardown(test_catalogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_version_bumps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apikeys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_anchors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_outside_job_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_reads_own_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_isolates_failing_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_under_concurrency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_procedure_counts, setup, teardown),
        cmocka_unit_test(test_migrate_1_to_2),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_portal_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_citizen_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_public, setup, teardown),
        cmocka_unit_test_setup_teardown(test_support, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_search_departments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_word_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_open_and_years, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_text_by_year, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_hostile_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoffice_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sorts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_views_use_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saved_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_by_id_and_public, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_near, setup, teardown),
        cmocka_unit_test(test_migrate_2_to_3),
        cmocka_unit_test(test_migrate_audit_requests),
        cmocka_unit_test(test_migrate_4_to_5),
        cmocka_unit_test(test_migrate_request_lang),
        cmocka_unit_test(test_migrate_phone_e164),
        cmocka_unit_test(test_migrate_request_facts),
        cmocka_unit_test(test_migrate_facts_assignee),
        cmocka_unit_test(test_migrate_form_versions),
        cmocka_unit_test(test_migrate_workflows),
        cmocka_unit_test(test_migrate_mail_contacts),
        cmocka_unit_test(test_migrate_document_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of core/audit on a real SQLite database: appends chain (first entry links to 64
 * zeros, each to the previous hash), long id lists are split, field checks refuse personal
 * data shapes, concurrent appends through the group-commit writer keep one chain, a row
 * altered or deleted with the sqlite3 shell is found by audit_verify, and a purge leaves an
 * anchor that verification accepts (and that a later deletion still breaks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/audit.h"
#include "core/core.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct fixture {
    test_db db;
    int64_t tenant, tenant2;
    int64_t agent;  /* an agent of tenant: audit entries reference real agents */
    char actor[32]; /* "agent:<id>" */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "audit", NULL), 0);
    error err;
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "a.test",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    store_tenant t2 = {.slug = "autre",
                       .name = "Autre",
                       .hosts = "b.test",
                       .timezone = "Europe/Paris",
                       .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t2, &f->tenant2, &err), 0);
    assert_int_equal(agent_create(f->db.core, f->tenant, "claire@ville-test.fr", "Claire",
                                  AGENT_ROLE_AGENT, NULL, 0, "un mot de passe long", &f->agent,
                                  &err),
                     0);
    snprintf(f->actor, sizeof f->actor, "agent:%" PRId64, f->agent);
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

/* Runs SQL on the database file with the sqlite3 shell, as someone bypassing guichet would. */
static void shell(fixture *f, const char *sql)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"%s\"", f->db.path, sql);
    assert_int_equal(system(cmd), 0);
}

static void record(fixture *f, int64_t tenant, const char *action, int64_t id)
{
    error err;
    assert_int_equal(audit_record(f->db.core, tenant, f->actor, action, "request", &id, 1,
                                  "web 192.0.2.1", &err),
                     0);
}

static store_audit *all_entries(fixture *f, int64_t tenant, arena *a, size_t *n)
{
    store_audit *rows = NULL;
    error err;
    assert_int_equal(f->db.store->ops->audit.list(f->db.store, tenant, 0, 10000, a, &rows, n, &err),
                     0);
    return rows;
}

static void assert_intact(fixture *f, int64_t tenant, int64_t expect_n)
{
    int64_t bad = -1, n = -1;
    error err;
    assert_int_equal(audit_verify(f->db.core, tenant, &bad, &n, &err), 0);
    assert_int_equal(bad, 0);
    assert_int_equal(n, expect_n);
}

static void assert_broken_at(fixture *f, int64_t tenant, int64_t id)
{
    int64_t bad = 0;
    error err;
    assert_int_equal(audit_verify(f->db.core, tenant, &bad, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(bad, id);
}

static void test_chain(void **state)
{
    fixture *f = *state;
    assert_intact(f, f->tenant, 0);
    record(f, f->tenant, "view", 11);
    record(f, f->tenant2, "view", 99); /* another tenant: its own chain */
    record(f, f->tenant, "change", 11);
    int64_t ids[] = {3, 5, 8};
    error err;
    assert_int_equal(audit_record(f->db.core, f->tenant, "api:2", "list", "request", ids, 3,
                                  "api 2001:db8::1", &err),
                     0);
    assert_int_equal(
        audit_record(f->db.core, f->tenant, "system", "purge", NULL, NULL, 0, NULL, &err), 0);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    store_audit *e = all_entries(f, f->tenant, &a, &n);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].prev_hash, ZERO64);
    for (size_t i = 0; i < n; i++) {
        char h[AUDIT_HASH_LEN];
        audit_entry_hash(&e[i], h);
        assert_string_equal(h, e[i].hash);
        if (i > 0)
            assert_string_equal(e[i].prev_hash, e[i - 1].hash);
    }
    assert_int_equal(e[0].agent_id, f->agent);
    assert_string_equal(e[0].actor, f->actor);
    assert_string_equal(e[0].object_ids, "11");
    assert_string_equal(e[0].source, "web 192.0.2.1");
    assert_int_equal(e[2].agent_id, 0);
    assert_string_equal(e[2].object_ids, "3,5,8");
    assert_null(e[3].object_ids);
    assert_null(e[3].object_kind);
    assert_intact(f, f->tenant, 4);
    assert_intact(f, f->tenant2, 1);
    /* Changing any field changes the hash. */
    char before[AUDIT_HASH_LEN], after[AUDIT_HASH_LEN];
    audit_entry_hash(&e[1], before);
    e[1].at++;
    audit_entry_hash(&e[1], after);
    assert_string_not_equal(before, after);
    arena_free(&a);
}

static void test_split_long_lists(void **state)
{
    fixture *f = *state;
    size_t total = 2 * AUDIT_MAX_IDS + 5;
    int64_t *ids = calloc(total, sizeof *ids);
    for (size_t i = 0; i < total; i++)
        ids[i] = (int64_t)i + 1;
    error err;
    assert_int_equal(audit_record(f->db.core, f->tenant, f->actor, "export", "request", ids, total,
                                  "web ::1", &err),
                     0);
    free(ids);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    store_audit *e = all_entries(f, f->tenant, &a, &n);
    assert_int_equal(n, 3);
    assert_true(strncmp(e[1].object_ids, "1001,1002,", 10) == 0);
    assert_string_equal(e[2].object_ids, "2001,2002,2003,2004,2005");
    arena_free(&a);
    assert_intact(f, f->tenant, 3);
}

static void test_field_checks(void **state)
{
    fixture *f = *state;
    error err;
    int64_t id = 1, zero = 0;
    static const struct {
        const char *actor, *action, *kind, *source, *arg;
    } bad[] = {
        {"agent:martin.durand", "view", "request", NULL, "actor"},
        {"agent:", "view", "request", NULL, "actor"},
        {"someone", "view", "request", NULL, "actor"},
        {"agent:1", "View", "request", NULL, "action"},
        {"agent:1", "", "request", NULL, "action"},
        {"agent:1", "search marie dupont", "request", NULL, "action"},
        {"agent:1", "view", "re quest", NULL, "object_kind"},
        {"agent:1", "view", "request", "web marie@example.org", "source"},
        {"agent:1", "view", "request", "line\nbreak", "source"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(audit_record(f->db.core, f->tenant, bad[i].actor, bad[i].action,
                                      bad[i].kind, &id, 1, bad[i].source, &err),
                         -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, bad[i].arg);
    }
    assert_int_equal(
        audit_record(f->db.core, f->tenant, "agent:1", "view", "request", &zero, 1, NULL, &err),
        -1);
    assert_string_equal(err.arg, "ids");
    assert_int_equal(audit_record(f->db.core, 0, "agent:1", "view", "request", &id, 1, NULL, &err),
                     -1);
    assert_intact(f, f->tenant, 0);
}

static void test_tampered_row(void **state)
{
    fixture *f = *state;
    for (int64_t i = 1; i <= 5; i++)
        record(f, f->tenant, "view", 100 + i);
    assert_intact(f, f->tenant, 5);
    /* The trigger refuses updates from anyone, the shell included... */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"UPDATE audit_log SET object_ids = '999' WHERE id = 3\" 2>/dev/null",
             f->db.path);
    assert_int_not_equal(system(cmd), 0);
    assert_intact(f, f->tenant, 5);
    /* ...so someone determined drops it first: the chain tells. */
    shell(f, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET object_ids = '999' WHERE "
             "id = 3");
    assert_broken_at(f, f->tenant, 3);
}

static void test_recomputed_hash_breaks_next_link(void **state)
{
    fixture *f = *state;
    for (int64_t i = 1; i <= 4; i++)
        record(f, f->tenant, "view", i);
    /* An attacker who alters a row and recomputes its hash still breaks the next link. */
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    store_audit *e = all_entries(f, f->tenant, &a, &n);
    e[1].object_ids = "42";
    char h[AUDIT_HASH_LEN];
    audit_entry_hash(&e[1], h);
    char sql[400];
    snprintf(sql, sizeof sql,
             "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET object_ids = '42', hash = "
             "'%s' WHERE id = %" PRId64,
             h, e[1].id);
    shell(f, sql);
    assert_broken_at(f, f->tenant, e[2].id);
    arena_free(&a);
}

static void test_deleted_row(void **state)
{
    fixture *f = *state;
    for (int64_t i = 1; i <= 4; i++)
        record(f, f->tenant, "view", i);
    shell(f, "DELETE FROM audit_log WHERE id = 2");
    assert_broken_at(f, f->tenant, 3);
}

static void test_purge_anchor(void **state)
{
    fixture *f = *state;
    record(f, f->tenant, "view", 1);
    record(f, f->tenant, "view", 2);
    /* The next entries in a later second, so that `before` separates them. */
    int64_t t0 = time_now();
    while (time_now() == t0)
        usleep(20000);
    record(f, f->tenant, "view", 3);
    record(f, f->tenant, "view", 4);
    record(f, f->tenant2, "view", 5);
    arena a;
    arena_init(&a, 0);
    size_t n = 0;
    store_audit *e = all_entries(f, f->tenant, &a, &n);
    assert_int_equal(n, 4);
    int64_t before = e[2].at, third = e[2].id, fourth = e[3].id;
    arena_free(&a);
    int64_t deleted = 0;
    error err;
    assert_int_equal(audit_purge(f->db.core, f->tenant, before, &deleted, &err), 0);
    assert_int_equal(deleted, 2);
    assert_intact(f, f->tenant, 2);
    assert_intact(f, f->tenant2, 1);
    /* Appends go on from the kept chain. */
    record(f, f->tenant, "view", 6);
    assert_intact(f, f->tenant, 3);
    /* Removing the anchor entry itself is seen: the new first entry is not the anchor. */
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE id = %" PRId64, third);
    shell(f, sql);
    assert_broken_at(f, f->tenant, fourth);
}

static void test_purge_everything(void **state)
{
    fixture *f = *state;
    record(f, f->tenant, "view", 1);
    int64_t deleted = 0;
    error err;
    assert_int_equal(audit_purge(f->db.core, f->tenant, time_now() + 10, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_intact(f, f->tenant, 0);
    /* An emptied log starts a chain again from zeros (the old hash is not required). */
    record(f, f->tenant, "view", 2);
    assert_intact(f, f->tenant, 1);
    /* Nothing to purge: nothing changes. */
    assert_int_equal(audit_purge(f->db.core, f->tenant, 1, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_intact(f, f->tenant, 1);
}

typedef struct thread_arg {
    fixture *f;
    int64_t base;
    int failures;
} thread_arg;

static void *appender(void *p)
{
    thread_arg *t = p;
    for (int64_t i = 0; i < 25; i++) {
        int64_t id = t->base + i;
        error err;
        if (audit_record(t->f->db.core, t->f->tenant, t->f->actor, "view", "request", &id, 1,
                         "web ::1", &err) != 0)
            t->failures++;
    }
    return NULL;
}

static void test_concurrent_appends(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){f, 1000 * (i + 1), 0};
        assert_int_equal(pthread_create(&th[i], NULL, appender, &args[i]), 0);
    }
    /* Asynchronous entries too, drained by the writer before it stops. */
    int64_t id = 7;
    for (int i = 0; i < 10; i++)
        assert_int_equal(audit_record_async(f->db.core, f->tenant, "api:1", "view", "request", &id,
                                            1, "api ::1", NULL, NULL, &err),
                         0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    store_writer_stop(f->db.store);
    assert_intact(f, f->tenant, 110);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_long_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recomputed_hash_breaks_next_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

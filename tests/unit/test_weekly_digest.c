/*
 * Unit tests of the managers' weekly digest (core/weekly_digest): Monday at 7 in the
 * collectivité's zone, across a daylight-saving change; only managers and administrators
 * choose it; the job tells each of them their departments' figures of the week before
 * (filed, closed, open, late), nothing personal, nobody else; it schedules the next week
 * while someone wants it and ends the chain when nobody does — on a real SQLite database,
 * with the clock given to jobs_run_due.
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

#include "core/admin.h"
#include "core/agent.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/request.h"
#include "core/weekly_digest.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent chef, agent, admin; /* manager of urbanisme; agent of urbanisme; admin */
} fixture;

static void add_department(fixture *f, const char *code, const char *name)
{
    error err;
    store_department d = {.tenant_id = f->tenant_id, .code = code, .name = name};
    int64_t id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &id, &err), 0);
    assert_int_equal(test_db_add_incident(&f->db, f->tenant_id, code, name, id), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "weekly-digest", NULL), 0);
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    add_department(f, "urbanisme", "Urbanisme");
    add_department(f, "voirie", "Voirie");
    const char *urba = "urbanisme";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "chef@ville-test.fr",
                                       AGENT_ROLE_MANAGER, &urba, 1, &f->a, &f->chef),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "agent@ville-test.fr",
                                       AGENT_ROLE_AGENT, &urba, 1, &f->a, &f->agent),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "admin@ville-test.fr",
                                       AGENT_ROLE_ADMIN, NULL, 0, &f->a, &f->admin),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

static int choose(fixture *f, const store_agent *ag, int on, error *err)
{
    core_actor who = actor_of_agent(ag, "test");
    return weekly_digest_set(f->db.core, &who, on, NULL, NULL, err);
}

static void file(fixture *f, const char *procedure)
{
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, procedure),
                        .ch = CHANNEL_WEB,
                        .description = "Un panneau tombé",
                        .email = "camille.martin@exemple.test",
                        .last_name = "Martin"};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
}

static size_t pending(fixture *f, store_job_row **out)
{
    store_job_row *rows = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(
        jobs_list(f->db.core, f->tenant_id, WEEKLY_DIGEST_KIND, 100, &f->a, &rows, &n, &err), 0);
    *out = arena_alloc(&f->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].state, "pending") == 0)
            (*out)[k++] = rows[i];
    return k;
}

/* The digests queued, oldest first. */
static size_t digests(fixture *f, store_outbox **out)
{
    store_outbox *rows = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    *out = arena_alloc(&f->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, WEEKLY_DIGEST_TEMPLATE) == 0)
            (*out)[k++] = rows[i];
    return k;
}

static void run_at(fixture *f, int64_t now)
{
    jobs_report rep = {0};
    error err;
    assert_int_equal(jobs_run_due(f->db.core, now, 0, NULL, NULL, &rep, &err), 0);
    assert_int_equal(rep.failed, 0);
    assert_int_equal(rep.retried, 0);
}

static void test_monday_seven_in_the_zone(void **state)
{
    (void)state;
    int64_t t = 0, want = 0;
    /* Wednesday 25 March 2026 (UTC+1): Monday 30 March, after the change to summer time. */
    assert_int_equal(time_parse_rfc3339("2026-03-25T12:00:00+01:00", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-03-30T07:00:00+02:00", &want), 0);
    assert_int_equal(weekly_digest_next(t, "Europe/Paris"), want);
    /* Monday 06:59 gives the same morning; Monday 07:00 the next week's. */
    assert_int_equal(time_parse_rfc3339("2026-12-07T06:59:00+01:00", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-12-07T07:00:00+01:00", &want), 0);
    assert_int_equal(weekly_digest_next(t, "Europe/Paris"), want);
    assert_int_equal(weekly_digest_next(want, "Europe/Paris"), want + 7 * 86400);
    /* Sunday evening in Réunion (UTC+4) is Monday morning's digest there. */
    assert_int_equal(time_parse_rfc3339("2026-12-06T22:00:00+04:00", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-12-07T07:00:00+04:00", &want), 0);
    assert_int_equal(weekly_digest_next(t, "Indian/Reunion"), want);
}

static void test_only_managers_choose(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(choose(f, &f->agent, 1, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(weekly_digest_set(f->db.core, &actor_system, 1, NULL, NULL, &err), -1);
    store_job_row *jobs;
    assert_int_equal(pending(f, &jobs), 0);
    int on = 1;
    assert_int_equal(weekly_digest_get(f->db.core, f->tenant_id, f->chef.id, &on, &err), 0);
    assert_int_equal(on, 0);
    assert_int_equal(choose(f, &f->chef, 1, &err), 0);
    assert_int_equal(weekly_digest_get(f->db.core, f->tenant_id, f->chef.id, &on, &err), 0);
    assert_int_equal(on, 1);
    /* Asked twice: still one job. */
    assert_int_equal(choose(f, &f->chef, 1, &err), 0);
    assert_int_equal(pending(f, &jobs), 1);
    assert_true(jobs[0].due_at > time_now());
}

/* The figures of department `name` in a digest's parameters, NULL when absent. */
static json_t *department(json_t *params, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(params, "departments"), i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "name")), name) == 0)
            return d;
    }
    return NULL;
}

static void test_the_week_by_department(void **state)
{
    fixture *f = *state;
    error err;
    file(f, "urbanisme");
    file(f, "urbanisme");
    file(f, "voirie");
    assert_int_equal(choose(f, &f->chef, 1, &err), 0);
    assert_int_equal(choose(f, &f->admin, 1, &err), 0);
    store_job_row *jobs;
    assert_int_equal(pending(f, &jobs), 1);
    int64_t due = jobs[0].due_at;

    store_outbox *out;
    run_at(f, due - 1);
    assert_int_equal(digests(f, &out), 0);
    run_at(f, due);
    assert_int_equal(digests(f, &out), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *params = json_loads(out[i].params, 0, NULL);
        assert_non_null(params);
        /* Counts only: nothing the citizens gave. */
        assert_null(strstr(out[i].params, "camille"));
        assert_null(strstr(out[i].params, "Martin"));
        json_t *u = department(params, "Urbanisme");
        assert_non_null(u);
        assert_int_equal(json_integer_value(json_object_get(u, "created")), 2);
        assert_int_equal(json_integer_value(json_object_get(u, "open")), 2);
        assert_int_equal(json_integer_value(json_object_get(u, "closed")), 0);
        assert_int_equal(json_integer_value(json_object_get(u, "late")), 0);
        if (strcmp(out[i].recipient, "chef@ville-test.fr") == 0) {
            /* The manager's departments only. */
            assert_null(department(params, "Voirie"));
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(params, "total"), "created")),
                2);
        } else {
            assert_string_equal(out[i].recipient, "admin@ville-test.fr");
            assert_non_null(department(params, "Voirie"));
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(params, "total"), "open")), 3);
        }
        assert_non_null(json_string_value(json_object_get(params, "from")));
        json_decref(params);
    }
    /* The next week's waits; the agent who may not choose got nothing. */
    assert_int_equal(pending(f, &jobs), 1);
    assert_int_equal(jobs[0].due_at, weekly_digest_next(due, "Europe/Paris"));

    /* Nobody wants it any more: the next run sends nothing and schedules nothing. */
    assert_int_equal(choose(f, &f->chef, 0, &err), 0);
    assert_int_equal(choose(f, &f->admin, 0, &err), 0);
    run_at(f, jobs[0].due_at);
    assert_int_equal(digests(f, &out), 2);
    assert_int_equal(pending(f, &jobs), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monday_seven_in_the_zone),
        cmocka_unit_test_setup_teardown(test_only_managers_choose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_week_by_department, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of agents' new-request notices (core/agent_notices): the choice read back and
 * counted in the catalogue; a request filed schedules its period's job only when someone
 * wants notices at once; the job tells each such agent of the requests of their departments
 * (others' left out, nobody else told); the daily digest lists the last 24 hours and
 * schedules the next day's while someone wants it; the digest's hour in the collectivité's
 * zone — on a real SQLite database, with the clock given to jobs_run_due.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/agent_notices.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/request.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent ines, paul, zoe; /* urbanisme; urbanisme; voirie */
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
    assert_int_equal(test_db_open(&f->db, "agent-notices", NULL), 0);
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    add_department(f, "urbanisme", "Urbanisme");
    add_department(f, "voirie", "Voirie");
    const char *urba = "urbanisme", *voirie = "voirie";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "ines@ville-test.fr", AGENT_ROLE_AGENT,
                                       &urba, 1, &f->a, &f->ines),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "paul@ville-test.fr", AGENT_ROLE_AGENT,
                                       &urba, 1, &f->a, &f->paul),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "zoe@ville-test.fr", AGENT_ROLE_AGENT,
                                       &voirie, 1, &f->a, &f->zoe),
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

static void choose(fixture *f, const store_agent *ag, agent_notice_mode mode)
{
    core_actor who = actor_of_agent(ag, "test");
    error err;
    assert_int_equal(agent_notices_set(f->db.core, &who, mode, NULL, NULL, &err), 0);
}

static int64_t file(fixture *f, const char *procedure, char *reference)
{
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, procedure),
                        .ch = CHANNEL_WEB,
                        .description = "Un lampadaire ne s'allume plus"};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    catalogue_release(f->db.core, cat);
    if (reference)
        snprintf(reference, 24, "%s", out.reference);
    return out.id;
}

static size_t jobs_of_kind(fixture *f, const char *kind, store_job_row **out)
{
    size_t n = 0;
    error err;
    assert_int_equal(jobs_list(f->db.core, f->tenant_id, kind, 100, &f->a, out, &n, &err), 0);
    return n;
}

/* The messages of template agent_new_requests, oldest first. */
static size_t notices(fixture *f, store_outbox **out)
{
    store_outbox *rows = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    *out = arena_alloc(&f->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, "agent_new_requests") == 0)
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

static void test_choice_read_back_and_counted(void **state)
{
    fixture *f = *state;
    error err;
    agent_notice_mode m = AGENT_NOTICE_DIGEST;
    assert_int_equal(agent_notices_get(f->db.core, f->tenant_id, f->ines.id, &m, &err), 0);
    assert_int_equal(m, AGENT_NOTICE_NONE);
    choose(f, &f->ines, AGENT_NOTICE_IMMEDIATE);
    choose(f, &f->zoe, AGENT_NOTICE_DIGEST);
    assert_int_equal(agent_notices_get(f->db.core, f->tenant_id, f->ines.id, &m, &err), 0);
    assert_int_equal(m, AGENT_NOTICE_IMMEDIATE);
    const catalogue *cat = catalogue_acquire(f->db.core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(t->notices_immediate, 1);
    assert_int_equal(t->notices_digest, 1);
    catalogue_release(f->db.core, cat);

    choose(f, &f->ines, AGENT_NOTICE_NONE);
    assert_int_equal(agent_notices_get(f->db.core, f->tenant_id, f->ines.id, &m, &err), 0);
    assert_int_equal(m, AGENT_NOTICE_NONE);
    cat = catalogue_acquire(f->db.core);
    t = catalogue_tenant_by_id(cat, f->tenant_id);
    assert_int_equal(t->notices_immediate, 0);
    catalogue_release(f->db.core, cat);

    /* Only an agent chooses, for themselves. */
    assert_int_equal(
        agent_notices_set(f->db.core, &actor_system, AGENT_NOTICE_DIGEST, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(agent_notice_mode_parse("weekly", &m), -1);
}

static void test_nobody_at_once_schedules_nothing(void **state)
{
    fixture *f = *state;
    store_job_row *jobs;
    file(f, "urbanisme", NULL);
    assert_int_equal(jobs_of_kind(f, AGENT_NOTICES_KIND, &jobs), 0);
}

static void test_notice_at_once_for_the_departments(void **state)
{
    fixture *f = *state;
    choose(f, &f->ines, AGENT_NOTICE_IMMEDIATE);
    choose(f, &f->zoe, AGENT_NOTICE_IMMEDIATE);
    char ref1[24], ref2[24];
    int64_t before = time_now();
    file(f, "urbanisme", ref1);
    file(f, "urbanisme", ref2);
    store_job_row *jobs;
    /* Two requests of the same period: one job (two when the period ended between them). */
    size_t n_jobs = jobs_of_kind(f, AGENT_NOTICES_KIND, &jobs);
    assert_in_range(n_jobs, 1, 2);
    assert_true(jobs[0].due_at > before);
    assert_int_equal(jobs[0].request_id, 0);

    /* Not due yet: nothing sent. */
    store_outbox *out;
    run_at(f, before);
    assert_int_equal(notices(f, &out), 0);

    run_at(f, time_now() + 2 * AGENT_NOTICES_PERIOD + AGENT_NOTICES_DELAY);
    size_t n = notices(f, &out);
    /* Inès (urbanisme) is told of both, once per job; Zoé (voirie) and Paul (no choice) not. */
    assert_int_equal(n, n_jobs);
    size_t seen1 = 0, seen2 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(out[i].recipient, "ines@ville-test.fr");
        assert_string_equal(out[i].lang, "fr");
        assert_int_equal(out[i].request_id, 0);
        seen1 += strstr(out[i].params, ref1) != NULL;
        seen2 += strstr(out[i].params, ref2) != NULL;
        assert_non_null(strstr(out[i].params, "\"daily\":false"));
        /* Reference, procedure and department: no citizen's words. */
        assert_null(strstr(out[i].params, "lampadaire"));
    }
    assert_int_equal(seen1, 1);
    assert_int_equal(seen2, 1);

    /* Run again later: exactly once. */
    run_at(f, time_now() + 4 * AGENT_NOTICES_PERIOD);
    assert_int_equal(notices(f, &out), n);
}

static void test_daily_digest(void **state)
{
    fixture *f = *state;
    choose(f, &f->paul, AGENT_NOTICE_DIGEST);
    store_job_row *jobs;
    assert_int_equal(jobs_of_kind(f, AGENT_DIGEST_KIND, &jobs), 1);
    int64_t due = jobs[0].due_at;
    assert_int_equal(due, agent_notices_next_digest(time_now(), "Europe/Paris"));
    char ref[24];
    file(f, "urbanisme", ref);
    file(f, "voirie", NULL);
    /* Filing schedules no period job: nobody wants notices at once. */
    assert_int_equal(jobs_of_kind(f, AGENT_NOTICES_KIND, &jobs), 0);

    run_at(f, due);
    store_outbox *out;
    assert_int_equal(notices(f, &out), 1);
    assert_string_equal(out[0].recipient, "paul@ville-test.fr");
    assert_non_null(strstr(out[0].params, ref));
    assert_non_null(strstr(out[0].params, "\"count\":1"));
    assert_non_null(strstr(out[0].params, "\"daily\":true"));
    /* Each request links to its back office page on the collectivité's first host name,
     * the only one configured (no public URL, no server: no request's Host to follow). */
    char link[128];
    snprintf(link, sizeof link, "\"link\":\"https://ville-test.fr/agent/demandes/%s\"", ref);
    assert_non_null(strstr(out[0].params, link));
    /* The next day's digest is waiting. */
    size_t n = jobs_of_kind(f, AGENT_DIGEST_KIND, &jobs);
    assert_int_equal(n, 2);
    int64_t next = jobs[0].due_at > jobs[1].due_at ? jobs[0].due_at : jobs[1].due_at;
    assert_in_range(next - due, 23 * 3600, 25 * 3600);

    /* Nothing filed since: no message, and Paul gives it up: the chain ends. */
    choose(f, &f->paul, AGENT_NOTICE_NONE);
    run_at(f, next);
    assert_int_equal(notices(f, &out), 1);
    assert_int_equal(jobs_of_kind(f, AGENT_DIGEST_KIND, &jobs), 2);
}

static void test_digest_hour_in_the_zone(void **state)
{
    (void)state;
    int64_t t = 0;
    /* Winter in Paris (UTC+1): 06:59 local gives 07:00 the same day; 07:00 the next day. */
    assert_int_equal(time_parse_rfc3339("2026-12-06T06:59:00+01:00", &t), 0);
    int64_t want = 0;
    assert_int_equal(time_parse_rfc3339("2026-12-06T07:00:00+01:00", &want), 0);
    assert_int_equal(agent_notices_next_digest(t, "Europe/Paris"), want);
    assert_int_equal(agent_notices_next_digest(want, "Europe/Paris"), want + 86400);
    /* Summer (UTC+2), late evening: the next morning. */
    assert_int_equal(time_parse_rfc3339("2026-07-14T23:30:00+02:00", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-07-15T07:00:00+02:00", &want), 0);
    assert_int_equal(agent_notices_next_digest(t, "Europe/Paris"), want);
    /* Réunion (UTC+4). */
    assert_int_equal(time_parse_rfc3339("2026-12-06T05:00:00+04:00", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-12-06T07:00:00+04:00", &want), 0);
    assert_int_equal(agent_notices_next_digest(t, "Indian/Reunion"), want);
}

/* core_base_url: only configured URLs. A public URL wins; else the first host name, over
 * https, or over http with the server's port for a local name (none before the server
 * listens: no link); else the listen URL. */
static void test_base_url(void **state)
{
    fixture *f = *state;
    core *c = f->db.core;
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    char url[CORE_URL_MAX];
    assert_int_equal(core_base_url(c, t, url, sizeof url), 0);
    assert_string_equal(url, "https://ville-test.fr");
    assert_int_equal(core_base_url(c, NULL, url, sizeof url), -1); /* nothing configured */
    assert_string_equal(url, "");
    assert_int_equal(core_set_link_origin(c, NULL, "http://127.0.0.1:8080", 8080), 0);
    assert_int_equal(core_base_url(c, NULL, url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:8080");
    assert_int_equal(core_set_link_origin(c, "https://grc.ville.fr", "http://127.0.0.1:8080", 8080),
                     0);
    assert_int_equal(core_base_url(c, t, url, sizeof url), 0);
    assert_string_equal(url, "https://grc.ville.fr");
    json_t *params = json_object();
    assert_int_equal(agent_link_set(c, t, params, "2026-000042"), 0);
    assert_string_equal(json_string_value(json_object_get(params, "link")),
                        "https://grc.ville.fr/agent/demandes/2026-000042");
    /* No base: no link, and no error. */
    assert_int_equal(agent_link_put(params, "other", NULL, "2026-000042"), 0);
    assert_null(json_object_get(params, "other"));
    json_decref(params);
    catalogue_release(c, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_choice_read_back_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nobody_at_once_schedules_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notice_at_once_for_the_departments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daily_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_hour_in_the_zone, NULL, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the persistent jobs (core/jobs.c) and of the two kinds guichet ships: the
 * due-date warning (core/due_warning.c: exactly once) and the webhook's signature and
 * delivery jobs (core/webhook.c), with a controllable clock — jobs_run_due takes `now` —
 * on a real SQLite database: a job not yet due does not run, a due one runs once and never
 * again, a cancelled one never, a handler's failure undoes its writes and counts an attempt
 * with a backoff, then gives up; a store closed and opened again (a restart) runs what fell
 * due meanwhile; the HMAC has a known answer.
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
#include "core/catalogue.h"
#include "core/core.h"
#include "core/due_warning.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/request.h"
#include "core/webhook.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"

#define DAY 86400
/* 2026-03-02 09:00 UTC, a Monday: the clock every test starts from. */
#define T0 1772442000

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent agnes, paul;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static void add_agent(fixture *f, const char *email, const char *dep, store_agent *out)
{
    assert_int_equal(
        test_db_add_agent(&f->db, f->tenant_id, email, AGENT_ROLE_AGENT, &dep, 1, &f->a, out), 0);
}

static void refresh(fixture *f)
{
    if (f->cat)
        catalogue_release(f->db.core, f->cat);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "jobs", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t voirie = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &voirie, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .group_name = "Signaler",
                         .department_id = voirie,
                         .kind = PROCEDURE_INCIDENT,
                         .delay_days = 10,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "question",
                         .name = "Question",
                         .group_name = "Demander",
                         .department_id = voirie,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    add_agent(f, "agnes@ville-test.fr", "voirie", &f->agnes);
    add_agent(f, "paul@ville-test.fr", "voirie", &f->paul);
    refresh(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    catalogue_release(f->db.core, f->cat);
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

static request_created file_at(fixture *f, const char *procedure, int64_t at)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, procedure),
                        .ch = CHANNEL_WEB,
                        .description = "Un trou devant l'école",
                        .address = "1 rue de la Paix",
                        .created_at = at};
    return test_req_create(f->db.core, &in);
}

static store_request get(fixture *f, const char *reference)
{
    return test_req_get(f->db.core, f->t, reference, &f->a);
}

static jobs_report run(fixture *f, int64_t now)
{
    return test_req_run(f->db.core, now);
}

static size_t jobs_of(fixture *f, int64_t request_id, const char *kind, store_job_row **out)
{
    return test_req_jobs_of(f->db.core, f->tenant_id, request_id, kind, &f->a, out);
}

static size_t mails(fixture *f, int64_t request_id, const char *template_name)
{
    return test_req_mails(f->db.store, f->tenant_id, request_id, template_name, &f->a, NULL);
}

static size_t job_events(fixture *f, int64_t request_id, const char *body)
{
    store_event *ev = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(request_timeline(f->db.core, f->t, request_id, 0, &f->a, &ev, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, "job") == 0) {
            assert_false(ev[i].is_public); /* agents' eyes only */
            k += strcmp(ev[i].body, body) == 0;
        }
    return k;
}

static void set_status(fixture *f, const char *reference, const char *status)
{
    test_req_set_status(f->db.core, f->t, reference, status, NULL);
}

/* Not due: nothing; due: one e-mail to each agent of the department and one timeline event,
 * then never again whatever the clock says. */
static void test_due_warning_once(void **state)
{
    fixture *f = *state;
    request_created c = file_at(f, "nid-de-poule", T0);
    store_request r = get(f, c.reference);
    assert_true(r.due_at > T0);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, DUE_WARNING_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, r.due_at - DUE_WARNING_DAYS_DEFAULT * DAY);
    assert_string_equal(jobs[0].state, "pending");

    jobs_report rep = run(f, jobs[0].due_at - 1);
    assert_int_equal(rep.done, 0);
    assert_int_equal(mails(f, r.id, "due_warning"), 0);

    rep = run(f, jobs[0].due_at);
    assert_int_equal(rep.done, 1);
    assert_int_equal(mails(f, r.id, "due_warning"), 2); /* agnes and paul, unassigned */
    assert_int_equal(job_events(f, r.id, "due_warning"), 1);
    assert_int_equal(jobs_of(f, r.id, DUE_WARNING_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "done");
    assert_int_equal(jobs[0].attempts, 1);

    rep = run(f, r.due_at + 30 * DAY);
    assert_int_equal(rep.done, 0);
    assert_int_equal(mails(f, r.id, "due_warning"), 2);
    assert_int_equal(job_events(f, r.id, "due_warning"), 1);
}

/* Assigned: only the assignee is warned. */
static void test_due_warning_assignee(void **state)
{
    fixture *f = *state;
    request_created c = file_at(f, "nid-de-poule", T0);
    char agnes[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(&f->agnes, agnes);
    request_change ch = {.assignee = agnes, .priority = -1, .ch = CHANNEL_WEB};
    error err;
    assert_int_equal(request_update(f->db.core, f->t, c.reference, &ch, NULL, NULL, &err), 0);
    store_request r = get(f, c.reference);
    assert_int_equal(run(f, r.due_at).done, 1);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, r.id, &f->a, &rows, &n, &err), 0);
    size_t warned = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, "due_warning") == 0) {
            assert_string_equal(rows[i].recipient, "agnes@ville-test.fr");
            assert_null(strstr(rows[i].params, "1 rue de la Paix")); /* no personal data */
            warned++;
        }
    assert_int_equal(warned, 1);
}

/* Closing cancels the warning; reopening schedules it again; a request without a due date,
 * or a collectivité that set 0 days, has none. */
static void test_due_warning_cancel_and_settings(void **state)
{
    fixture *f = *state;
    request_created c = file_at(f, "nid-de-poule", T0);
    store_request r = get(f, c.reference);
    set_status(f, c.reference, "resolved");
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, DUE_WARNING_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
    assert_int_equal(run(f, r.due_at).done, 0);
    assert_int_equal(mails(f, r.id, "due_warning"), 0);

    set_status(f, c.reference, "in_progress");
    assert_int_equal(jobs_of(f, r.id, DUE_WARNING_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");
    assert_int_equal(run(f, r.due_at).done, 1);
    assert_int_equal(mails(f, r.id, "due_warning"), 2);

    request_created q = file_at(f, "question", T0);
    assert_int_equal(jobs_of(f, get(f, q.reference).id, DUE_WARNING_KIND, &jobs), 0);

    error err;
    int days = -1;
    assert_int_equal(due_warning_days(f->db.core, f->tenant_id, &days, &err), 0);
    assert_int_equal(days, DUE_WARNING_DAYS_DEFAULT);
    assert_int_equal(due_warning_days_set_as(f->db.core, &actor_cli, f->tenant_id,
                                             DUE_WARNING_DAYS_MAX + 1, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(
        due_warning_days_set_as(f->db.core, &actor_cli, f->tenant_id, 0, NULL, NULL, &err), 0);
    assert_int_equal(due_warning_days(f->db.core, f->tenant_id, &days, &err), 0);
    assert_int_equal(days, 0);
    /* A creation takes D from the catalogue it was given: the change reloaded it. */
    refresh(f);
    request_created off = file_at(f, "nid-de-poule", T0);
    assert_int_equal(jobs_of(f, get(f, off.reference).id, DUE_WARNING_KIND, &jobs), 0);
    assert_int_equal(
        due_warning_days_set_as(f->db.core, &actor_cli, f->tenant_id, 5, NULL, NULL, &err), 0);
    refresh(f);
    request_created five = file_at(f, "nid-de-poule", T0);
    store_request rf = get(f, five.reference);
    assert_int_equal(jobs_of(f, rf.id, DUE_WARNING_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, rf.due_at - 5 * DAY);
}

/* ---- a test kind: counts its runs, fails on demand ---- */

static int test_runs;
static int test_fail;

static int count_run_tx(store *s, job_run *r, error *err)
{
    /* A write the failure must undo: the test's own outbox row. */
    json_t *params = json_object();
    int rc = outbox_add_tx(s, r->job->tenant_id, "email", "essai@ville-test.fr", "test_count",
                           params, "fr", r->job->request_id, err);
    json_decref(params);
    if (rc != 0)
        return -1;
    test_runs++;
    if (test_fail)
        return error_set(err, ERR_UNAVAILABLE, NULL, "asked to fail");
    return 0;
}

static const job_handler count_handler = {.kind = "test_count",
                                          .run_tx = count_run_tx,
                                          .max_attempts = 2,
                                          .retry_base_s = 10,
                                          .retry_max_s = 100};

static int schedule_apply(store *s, void *arg, error *err)
{
    const int64_t *v = arg; /* tenant, request, due_at */
    return jobs_schedule_tx(s, v[0], v[1], "test_count", "k", v[2], NULL, NULL, err);
}

static void schedule_test(fixture *f, int64_t request_id, int64_t due_at)
{
    int64_t v[3] = {f->tenant_id, request_id, due_at};
    error err;
    assert_int_equal(store_write_sync(f->db.store, schedule_apply, v, &err), 0);
}

/* Scheduling the same key twice is one job; a failure undoes the handler's writes, counts
 * an attempt and waits retry_base_s; the last attempt fails the job, on the timeline. */
static void test_runner_failure_and_idempotence(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(jobs_register(f->db.core, &count_handler, &err), 0);
    assert_int_equal(jobs_register(f->db.core, &count_handler, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    request_created c = file_at(f, "question", T0);
    int64_t id = get(f, c.reference).id;
    schedule_test(f, id, T0 + 100);
    schedule_test(f, id, T0 + 100);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, id, "test_count", &jobs), 1);

    test_runs = 0;
    test_fail = 1;
    jobs_report rep = run(f, T0 + 100);
    assert_int_equal(rep.retried, 1);
    assert_int_equal(test_runs, 1);
    assert_int_equal(mails(f, id, "test_count"), 0); /* undone with the attempt */
    assert_int_equal(jobs_of(f, id, "test_count", &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");
    assert_int_equal(jobs[0].attempts, 1);
    assert_int_equal(jobs[0].due_at, T0 + 110);
    assert_string_equal(jobs[0].last_error, "asked to fail");

    assert_int_equal(run(f, T0 + 109).retried, 0); /* the backoff holds */
    rep = run(f, T0 + 110);
    assert_int_equal(jobs_of(f, id, "test_count", &jobs), 1);
    assert_string_equal(jobs[0].state, "failed");
    assert_int_equal(job_events(f, id, "test_count_failed"), 1);

    /* Given up: never run again, even scheduled again under the same key. */
    schedule_test(f, id, T0 + 200);
    test_fail = 0;
    assert_int_equal(run(f, T0 + 300).done, 0);
    assert_int_equal(test_runs, 2);
}

/* The store closed and opened again (a restart): a job that fell due meanwhile runs at the
 * first pass, once. */
static void test_restart_runs_what_was_due(void **state)
{
    fixture *f = *state;
    request_created c = file_at(f, "nid-de-poule", T0);
    int64_t id = get(f, c.reference).id;
    int64_t next = 0;
    int found = 0;
    error err;
    assert_int_equal(jobs_next_due(f->db.core, &next, &found, &err), 0);
    assert_true(found);
    catalogue_release(f->db.core, f->cat);
    f->cat = NULL;
    core_close(f->db.core);
    store_close(f->db.store);
    f->db.store = store_open(f->db.path, &err);
    assert_non_null(f->db.store);
    assert_int_equal(f->db.store->ops->migrate(f->db.store, &err), 0);
    f->db.core = core_open_config(f->db.store, NULL, &err);
    assert_non_null(f->db.core);
    refresh(f);
    assert_int_equal(jobs_recover(f->db.core, &err), 0);
    assert_int_equal(run(f, next + 5 * DAY).done, 1);
    assert_int_equal(mails(f, id, "due_warning"), 2);
    assert_int_equal(run(f, next + 6 * DAY).done, 0);
}

/* HMAC-SHA256 known answer (RFC 4231 test case 2's key and message, the message split at
 * the dot the signature puts after the time). */
static void test_signature_known_answer(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_LEN];
    /* HMAC-SHA256("Jefe", "1700000000.what do ya want for nothing?") */
    assert_int_equal(webhook_sign("Jefe", 1700000000, "what do ya want for nothing?", 28, sig), 0);
    assert_string_equal(
        sig, "t=1700000000,v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e");
    char other[WEBHOOK_SIGNATURE_LEN];
    assert_int_equal(webhook_sign("Jefe", 1700000001, "what do ya want for nothing?", 28, other),
                     0);
    assert_string_not_equal(sig + 13, other + 13);
}

static void test_url_check(void **state)
{
    (void)state;
    error err;
    assert_int_equal(webhook_url_check("https://hooks.example.org/guichet", 0, &err), 0);
    assert_int_equal(webhook_url_check("http://hooks.example.org/", 0, &err), -1);
    assert_int_equal(webhook_url_check("http://127.0.0.1:8080/x", 0, &err), -1);
    assert_int_equal(webhook_url_check("http://127.0.0.1:8080/x", 1, &err), 0);
    assert_int_equal(webhook_url_check("http://localhost/x", 1, &err), 0);
    assert_int_equal(webhook_url_check("http://10.0.0.1/x", 1, &err), -1);
    assert_int_equal(webhook_url_check("https://localhost/x", 0, &err), -1);
    assert_int_equal(webhook_url_check("https://user:pw@example.org/", 0, &err), -1);
    assert_int_equal(webhook_url_check("https:///x", 0, &err), -1);
    assert_int_equal(webhook_url_check("https://exa mple.org/", 0, &err), -1);
    assert_int_equal(webhook_url_check("", 0, &err), -1);
}

/* A subscription's events: one delivery job per matching event, its body fixed at once
 * with the request's public fields only. */
static void test_webhook_jobs(void **state)
{
    fixture *f = *state;
    error err;
    const char *events[] = {"request.created", "request.status_changed", NULL};
    webhook_input in = {.url = "https://hooks.example.org/g", .events = events, .active = 1};
    char secret[WEBHOOK_SECRET_LEN];
    int64_t wid = 0;
    assert_int_equal(webhook_put_as(f->db.core, &actor_cli, f->tenant_id, 0, &in, secret, &wid,
                                    NULL, NULL, &err),
                     0);
    assert_true(wid > 0);
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    const char *bad_events[] = {"request.deleted", NULL};
    webhook_input bad = {.url = "https://hooks.example.org/g", .events = bad_events, .active = 1};
    assert_int_equal(webhook_put_as(f->db.core, &actor_cli, f->tenant_id, 0, &bad, secret, NULL,
                                    NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "events");

    /* A creation finds the subscriptions in the catalogue it was given: the change reloaded
     * it. */
    refresh(f);
    request_created c = file_at(f, "nid-de-poule", T0);
    int64_t id = get(f, c.reference).id;
    set_status(f, c.reference, "in_progress");
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, id, WEBHOOK_KIND, &jobs), 2);
    assert_non_null(strstr(jobs[0].payload, "request.created"));
    assert_non_null(strstr(jobs[1].payload, "request.status_changed"));
    assert_non_null(strstr(jobs[0].payload, c.reference));
    assert_null(strstr(jobs[0].payload, "rue de la Paix"));
    assert_null(strstr(jobs[0].payload, "trou"));
    assert_string_not_equal(jobs[0].ukey, jobs[1].ukey);

    /* Switched off: no more deliveries. */
    in.active = 0;
    assert_int_equal(webhook_put_as(f->db.core, &actor_cli, f->tenant_id, wid, &in, NULL, NULL,
                                    NULL, NULL, &err),
                     0);
    set_status(f, c.reference, "resolved");
    assert_int_equal(jobs_of(f, id, WEBHOOK_KIND, &jobs), 2);
}

static int put_clear_webhook(store *s, void *arg, error *err)
{
    int64_t id = 0;
    return s->ops->jobs.tx_webhook_put(s, arg, &id, err);
}

/* At start-up the secrets still in clear are sealed in one write; with none left, the start
 * reads and queues no write at all. */
static void test_seal_secrets_writes_only_when_needed(void **state)
{
    fixture *f = *state;
    error err;
    store_webhook w = {.tenant_id = f->tenant_id,
                       .url = "https://hooks.example.org/old",
                       .events = "request.created",
                       .secret = "whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
                       .active = 1,
                       .created_at = T0};
    assert_int_equal(store_write_sync(f->db.store, put_clear_webhook, &w, &err), 0);
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    store_writer_stats before, after;
    store_writer_get_stats(f->db.store, &before);
    size_t sealed = 9;
    assert_int_equal(webhook_seal_secrets(f->db.core, &sealed, &err), 0);
    assert_int_equal(sealed, 1);
    store_writer_get_stats(f->db.store, &after);
    assert_int_equal(after.jobs, before.jobs + 1);
    store_webhook *list = NULL;
    size_t n = 0;
    assert_int_equal(webhook_list(f->db.core, f->tenant_id, &f->a, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(strncmp(list[0].secret, "whsec_", 6) != 0, 1);

    sealed = 9;
    assert_int_equal(webhook_seal_secrets(f->db.core, &sealed, &err), 0);
    assert_int_equal(sealed, 0);
    store_writer_get_stats(f->db.store, &before);
    assert_int_equal(before.jobs, after.jobs);
    store_writer_stop(f->db.store);
}

/* ---- a creation's reads: counted through a copy of the store's operations ---- */

static const store_ops *real_ops;
static int n_days_reads, n_webhook_reads, n_cancels;

static int count_days(store *s, int64_t tenant_id, int *days, error *err)
{
    n_days_reads++;
    return real_ops->jobs.due_warning_days(s, tenant_id, days, err);
}

static int count_webhooks(store *s, int64_t tenant_id, arena *a, store_webhook **out, size_t *n,
                          error *err)
{
    n_webhook_reads++;
    return real_ops->jobs.webhooks(s, tenant_id, a, out, n, err);
}

static int count_cancel(store *s, int64_t tenant_id, int64_t request_id, const char *kind,
                        int64_t now, int64_t *n, error *err)
{
    n_cancels++;
    return real_ops->jobs.tx_cancel(s, tenant_id, request_id, kind, now, n, err);
}

/* A creation takes the days of warning and the subscriptions from the catalogue, and cancels
 * nothing (no job of the request can exist yet): it schedules its warning and its
 * request.created delivery all the same. */
static void test_create_reads_the_catalogue(void **state)
{
    fixture *f = *state;
    error err;
    const char *events[] = {"request.created", NULL};
    webhook_input in = {.url = "https://hooks.example.org/c", .events = events, .active = 1};
    char secret[WEBHOOK_SECRET_LEN];
    assert_int_equal(webhook_put_as(f->db.core, &actor_cli, f->tenant_id, 0, &in, secret, NULL,
                                    NULL, NULL, &err),
                     0);
    refresh(f);
    store_ops counting = *f->db.store->ops;
    counting.jobs.due_warning_days = count_days;
    counting.jobs.webhooks = count_webhooks;
    counting.jobs.tx_cancel = count_cancel;
    real_ops = f->db.store->ops;
    n_days_reads = n_webhook_reads = n_cancels = 0;
    f->db.store->ops = &counting;
    request_created c = file_at(f, "nid-de-poule", T0);
    f->db.store->ops = real_ops;
    assert_int_equal(n_days_reads, 0);
    assert_int_equal(n_webhook_reads, 0);
    assert_int_equal(n_cancels, 0);
    store_request r = get(f, c.reference);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, DUE_WARNING_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, r.due_at - DUE_WARNING_DAYS_DEFAULT * DAY);
    assert_int_equal(jobs_of(f, r.id, WEBHOOK_KIND, &jobs), 1);
    assert_non_null(strstr(jobs[0].payload, "request.created"));
    assert_non_null(strstr(jobs[0].payload, "nid-de-poule"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_due_warning_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_warning_assignee, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_warning_cancel_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runner_failure_and_idempotence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_runs_what_was_due, setup, teardown),
        cmocka_unit_test(test_signature_known_answer),
        cmocka_unit_test(test_url_check),
        cmocka_unit_test_setup_teardown(test_webhook_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_secrets_writes_only_when_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_reads_the_catalogue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

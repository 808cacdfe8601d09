/*
 * Unit tests of the workflow timeouts (core/workflow_timeout.c) with a controllable clock —
 * jobs_run_due takes `now` — on a real SQLite database: the delay arithmetic (calendar
 * months, working days over public holidays, Alsace-Moselle), the checks a timeout must pass,
 * the shipped «demarche_sva» workflow, scheduling on entering a status and cancelling on
 * leaving it, a new entry scheduling anew, the jump made once however often it is run and not
 * at all when the status changed meanwhile, and reminders repeated K times then stopping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/request.h"
#include "core/workflow_edit.h"
#include "core/workflow_timeout.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"
#include "util/timeutil.h"
#include "util/workdays.h"

#define DAY 86400
/* 2026-03-02 09:00 UTC, a Monday: when the requests are filed. */
#define T0 1772442000

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent agnes;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static void refresh(fixture *f)
{
    if (f->cat)
        catalogue_release(f->db.core, f->cat);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
}

static void sql(fixture *f, const char *q);

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "wftimeout", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t urba = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "urbanisme", .name = "Urbanisme"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &urba, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "permis",
                         .name = "Permis de construire",
                         .group_name = "Urbanisme",
                         .department_id = urba,
                         .kind = PROCEDURE_DEMARCHE,
                         .workflow_id =
                             test_db_workflow_id(f->db.core, f->tenant_id, "demarche_sva"),
                         .active = 1};
    assert_true(p.workflow_id > 0);
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    const char *dep = "urbanisme";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "agnes@ville-test.fr",
                                       AGENT_ROLE_AGENT, &dep, 1, &f->a, &f->agnes),
                     0);
    refresh(f);
    /* The timeouts alone: demarche_sva's actions on entering a status (its due date, its
     * e-mails, core/status_actions.c, tested there) would add their own jobs to the runs
     * counted here. */
    sql(f, "DELETE FROM workflow_actions WHERE workflow_id IN (SELECT id FROM workflows WHERE "
           "code = 'demarche_sva');");
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

static request_created file(fixture *f)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "permis"),
                        .ch = CHANNEL_WEB,
                        .description = "Extension d'une maison",
                        .first_name = "Jeanne",
                        .last_name = "Martin",
                        .email = "jeanne@example.org",
                        .created_at = T0};
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

static void set_status(fixture *f, const char *reference, const char *status, const char *note)
{
    test_req_set_status(f->db.core, f->t, reference, status, note);
}

static size_t jobs_of(fixture *f, int64_t request_id, const char *kind, store_job_row **out)
{
    return test_req_jobs_of(f->db.core, f->tenant_id, request_id, kind, &f->a, out);
}

static size_t count_state(const store_job_row *jobs, size_t n, const char *state)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(jobs[i].state, state) == 0;
    return k;
}

static size_t mails(fixture *f, int64_t request_id, const char *template_name)
{
    return test_req_mails(f->db.store, f->tenant_id, request_id, template_name, &f->a, NULL);
}

static size_t events(fixture *f, int64_t request_id, const char *kind, const char *body,
                     int *public_out)
{
    return test_req_events(f->db.core, f->t, request_id, kind, body, public_out, &f->a);
}

static int64_t payload_int(const store_job_row *j, const char *key)
{
    json_t *p = json_loads(j->payload, 0, NULL);
    int64_t v = (int64_t)json_integer_value(json_object_get(p, key));
    json_decref(p);
    return v;
}

/* A civil date's day number, and the instant 23:59:59 of day by Paris clocks. */
static int64_t end_of(int y, int m, int d)
{
    return time_from_local(workdays_day(y, m, d) * DAY + DAY - 1, "Europe/Paris");
}

/* Calendar months to the same-numbered day or the month's last; working days over public
 * holidays, Alsace-Moselle's Good Friday included; a last day that is no working day moves
 * to the next one. */
static void test_delay_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(workdays_add_months(workdays_day(2027, 1, 31), 1), workdays_day(2027, 2, 28));
    assert_int_equal(workdays_add_months(workdays_day(2028, 1, 31), 1), workdays_day(2028, 2, 29));
    assert_int_equal(workdays_add_months(workdays_day(2026, 12, 12), 2), workdays_day(2027, 2, 12));
    assert_int_equal(workdays_add_months(workdays_day(2026, 11, 30), 14),
                     workdays_day(2028, 1, 30));

    /* 12 December 2026, 10:00 in Paris + 2 months: Friday 12 February 2027, end of day. */
    store_workflow_timeout two_months = {.delay = 2, .unit = "months", .kind = "jump"};
    int64_t entry = time_from_local(workdays_day(2026, 12, 12) * DAY + 10 * 3600, "Europe/Paris");
    assert_int_equal(workflow_timeout_due(&two_months, entry, "Europe/Paris", WORKDAYS_FRANCE),
                     end_of(2027, 2, 12));
    /* 13 January 2027 + 2 months: Saturday 13 March, extended to Monday 15. */
    entry = time_from_local(workdays_day(2027, 1, 13) * DAY + 10 * 3600, "Europe/Paris");
    assert_int_equal(workflow_timeout_due(&two_months, entry, "Europe/Paris", WORKDAYS_FRANCE),
                     end_of(2027, 3, 15));

    /* Thursday 25 March 2027 + 2 working days: Easter is on the 28th. Nationally Friday 26
     * works and Monday 29 does not: Tuesday 30. In Alsace-Moselle Good Friday does not
     * either: Wednesday 31. */
    store_workflow_timeout working = {.delay = 2, .unit = "working_days", .kind = "remind"};
    entry = time_from_local(workdays_day(2027, 3, 25) * DAY + 10 * 3600, "Europe/Paris");
    assert_int_equal(workflow_timeout_due(&working, entry, "Europe/Paris", WORKDAYS_FRANCE),
                     end_of(2027, 3, 30));
    assert_int_equal(workflow_timeout_due(&working, entry, "Europe/Paris", WORKDAYS_ALSACE_MOSELLE),
                     end_of(2027, 3, 31));
    /* Calendar days: 15 days from Monday 2 March 2026 is Tuesday 17. */
    store_workflow_timeout days = {.delay = 15, .unit = "days", .kind = "remind"};
    assert_int_equal(workflow_timeout_due(&days, T0, "Europe/Paris", WORKDAYS_FRANCE),
                     end_of(2026, 3, 17));
}

/* The shipped workflow carries its two timeouts, valid; each rule refuses what breaks it. */
static void test_check(void **state)
{
    fixture *f = *state;
    const cat_workflow *sva = workflow_by_code(f->t, "demarche_sva");
    assert_non_null(sva);
    assert_int_equal(sva->n_timeouts, 2);
    assert_int_equal(workflow_by_code(f->t, "demarche")->n_timeouts, 0);
    assert_int_equal(workflow_by_code(f->t, "incident")->n_timeouts, 0);
    const store_workflow_timeout *jump = NULL, *remind = NULL;
    for (size_t i = 0; i < sva->n_timeouts; i++)
        if (strcmp(sva->timeouts[i].kind, "jump") == 0)
            jump = &sva->timeouts[i];
        else
            remind = &sva->timeouts[i];
    assert_non_null(jump);
    assert_non_null(remind);
    assert_string_equal(jump->status_code, "under_review");
    assert_string_equal(jump->target, "accepted");
    assert_string_equal(jump->meaning, "accord");
    assert_int_equal(jump->delay, 2);
    assert_string_equal(jump->unit, "months");
    assert_string_equal(remind->status_code, "correction_requested");
    assert_string_equal(remind->whom, "citizen");
    assert_int_equal(remind->repeat_days, 15);
    assert_int_equal(remind->repeat_times, 2);

    error err;
    assert_int_equal(workflow_timeout_check(sva, jump, &err), 0);
    assert_int_equal(workflow_timeout_check(sva, remind, &err), 0);

    struct {
        store_workflow_timeout t;
        const char *field;
    } bad[] = {
        /* No transition under_review -> submitted: the jump must be one. */
        {{.status_code = "under_review",
          .position = 3,
          .delay = 1,
          .unit = "days",
          .kind = "jump",
          .target = "submitted",
          .meaning = "none"},
         "target"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 1,
          .unit = "days",
          .kind = "jump",
          .target = "nowhere",
          .meaning = "none"},
         "target"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 1,
          .unit = "weeks",
          .kind = "jump",
          .target = "accepted",
          .meaning = "accord"},
         "unit"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 1,
          .unit = "days",
          .kind = "explode",
          .target = "accepted",
          .meaning = "accord"},
         "kind"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 25,
          .unit = "months",
          .kind = "jump",
          .target = "accepted",
          .meaning = "accord"},
         "delay"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 0,
          .unit = "days",
          .kind = "jump",
          .target = "accepted",
          .meaning = "accord"},
         "delay"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "jump",
          .target = "accepted",
          .meaning = "accord",
          .warn_before = 5},
         "warn_before"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "jump",
          .target = "accepted",
          .meaning = "maybe"},
         "meaning"},
        {{.status_code = "accepted",
          .position = 1,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .meaning = "none",
          .whom = "agents"},
         "status_code"},
        {{.status_code = "under_review",
          .position = 1,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .meaning = "none",
          .whom = "agents"},
         "position"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .meaning = "none",
          .whom = "mayor"},
         "whom"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .meaning = "none",
          .whom = "agents",
          .repeat_days = 7},
         "repeat_times"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .meaning = "none",
          .whom = "agents",
          .repeat_days = 7,
          .repeat_times = 11},
         "repeat_times"},
        {{.status_code = "under_review",
          .position = 3,
          .delay = 5,
          .unit = "days",
          .kind = "remind",
          .target = "accepted",
          .meaning = "none",
          .whom = "agents"},
         "target"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error_clear(&err);
        assert_int_equal(workflow_timeout_check(sva, &bad[i].t, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, bad[i].field);
    }
}

/* Filed: «déposée» has no timeout. Under review: the jump two months on and the agents'
 * warning 7 days before it, keyed by the entry. The jump does not run a second early, runs
 * once at its time — the request accepted by the system, with a public «timeout» event, the
 * audit, and its closing — and never again. */
static void test_jump_once(void **state)
{
    fixture *f = *state;
    request_created c = file(f);
    store_request r = get(f, c.reference);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 0);

    set_status(f, c.reference, "under_review", NULL);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    store_job_row jump = jobs[0];
    assert_string_equal(jump.state, "pending");
    int64_t entered = payload_int(&jump, "entered_at");
    const cat_workflow *sva = workflow_by_code(f->t, "demarche_sva");
    const store_workflow_timeout *t = NULL;
    for (size_t i = 0; i < sva->n_timeouts; i++)
        if (strcmp(sva->timeouts[i].kind, "jump") == 0)
            t = &sva->timeouts[i];
    assert_int_equal(jump.due_at,
                     workflow_timeout_due(t, entered, "Europe/Paris", WORKDAYS_FRANCE));
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_WARN_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, jump.due_at - 7 * DAY);

    /* The back office's and the portal's pending jump. */
    workflow_pending pend[4];
    size_t np = 0;
    error err;
    assert_int_equal(workflow_timeout_pending(f->db.core, &r, &f->a, pend, 4, &np, &err), 0);
    r = get(f, c.reference);
    assert_int_equal(workflow_timeout_pending(f->db.core, &r, &f->a, pend, 4, &np, &err), 0);
    assert_int_equal(np, 1);
    assert_string_equal(pend[0].meaning, "accord");
    assert_string_equal(pend[0].to, "accepted");
    assert_int_equal(pend[0].due_at, jump.due_at);

    /* The warning: one mail to the department's agent. */
    assert_int_equal(run(f, jump.due_at - 7 * DAY).done, 1);
    assert_int_equal(mails(f, r.id, "workflow_warn"), 1);
    assert_string_equal(get(f, c.reference).status, "under_review");

    assert_int_equal(run(f, jump.due_at - 1).done, 0);
    assert_string_equal(get(f, c.reference).status, "under_review");
    assert_int_equal(run(f, jump.due_at).done, 1);
    r = get(f, c.reference);
    assert_string_equal(r.status, "accepted");
    assert_true(r.closed_at > 0);
    int pub = 0;
    assert_int_equal(events(f, r.id, "timeout", "accord", &pub), 1);
    assert_true(pub);
    assert_int_equal(events(f, r.id, "status", NULL, NULL), 2);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "done");
    assert_int_equal(workflow_timeout_pending(f->db.core, &r, &f->a, pend, 4, &np, &err), 0);
    assert_int_equal(np, 0);

    /* Run again, later and later: nothing more. */
    assert_int_equal(run(f, jump.due_at).done, 0);
    assert_int_equal(run(f, jump.due_at + 400 * DAY).done, 0);
    assert_int_equal(events(f, r.id, "timeout", NULL, NULL), 1);
    assert_int_equal(events(f, r.id, "status", NULL, NULL), 2);
    assert_int_equal(mails(f, r.id, "workflow_warn"), 1);
}

/* A request filed and put under review, where the «silence vaut accord» waits: it, with its
 * pending jump's job in *jump. */
static store_request waiting_under_review(fixture *f, request_created *c, store_job_row *jump)
{
    *c = file(f);
    set_status(f, c->reference, "under_review", NULL);
    store_request r = get(f, c->reference);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    *jump = jobs[0];
    return r;
}

/* The administrator shortens the «silence vaut accord» from two months to one while a
 * request waits under it: its jump and the warning before it move, in the save's own job, to
 * one month after its entry (the warning announcing the new date); each stays one job and
 * runs once, at its new time. */
static void test_changed_delay_reschedules(void **state)
{
    fixture *f = *state;
    request_created c;
    store_job_row jump;
    store_request r = waiting_under_review(f, &c, &jump);
    store_job_row *jobs = NULL;
    int64_t entered = payload_int(&jump, "entered_at");
    int64_t old_due = jump.due_at;

    cat_workflow *edited = workflow_copy(&f->a, workflow_by_code(f->t, "demarche_sva"));
    store_workflow_timeout *t = NULL;
    for (size_t i = 0; i < edited->n_timeouts; i++)
        if (strcmp(edited->timeouts[i].kind, "jump") == 0)
            t = &edited->timeouts[i];
    assert_non_null(t);
    assert_int_equal(t->delay, 2);
    t->delay = 1;
    error err;
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, f->t, edited, 0, NULL, NULL, &err),
                     0);
    int64_t due = workflow_timeout_due(t, entered, "Europe/Paris", WORKDAYS_FRANCE);
    assert_true(due < old_due);

    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");
    assert_int_equal(jobs[0].due_at, due);
    assert_int_equal(payload_int(&jobs[0], "entered_at"), entered);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_WARN_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");
    assert_int_equal(jobs[0].due_at, due - 7 * DAY);
    assert_int_equal(payload_int(&jobs[0], "jump_at"), due);

    /* A save that leaves the delay alone moves nothing. */
    refresh(f);
    edited = workflow_copy(&f->a, workflow_by_code(f->t, "demarche_sva"));
    edited->rec.name = "Démarche (silence vaut accord, un mois)";
    assert_int_equal(workflow_edit_save(f->db.core, &actor_cli, f->t, edited, 2, NULL, NULL, &err),
                     0);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, due);

    refresh(f);
    assert_int_equal(run(f, due - 7 * DAY).done, 1);
    assert_int_equal(mails(f, r.id, "workflow_warn"), 1);
    assert_int_equal(run(f, due).done, 1);
    assert_string_equal(get(f, c.reference).status, "accepted");
    assert_int_equal(run(f, old_due).done, 0);
    assert_int_equal(events(f, r.id, "timeout", "accord", NULL), 1);
    assert_int_equal(mails(f, r.id, "workflow_warn"), 1);
}

/* A «silence vaut accord» withdrawn by an administrator while a request waits under it: the
 * jump is no longer announced, and its job, when due, ends cancelled with the reason instead
 * of accepting the request on a rule that is gone; the warning before it likewise. */
static void test_removed_timeout_does_not_act(void **state)
{
    fixture *f = *state;
    request_created c;
    store_job_row jump;
    store_request r = waiting_under_review(f, &c, &jump);
    store_job_row *jobs = NULL;
    int64_t due = jump.due_at;
    workflow_pending pend[4];
    size_t np = 0;
    error err;
    r = get(f, c.reference);
    assert_int_equal(workflow_timeout_pending(f->db.core, &r, &f->a, pend, 4, &np, &err), 0);
    assert_int_equal(np, 1);

    sql(f, "DELETE FROM workflow_timeouts WHERE kind = 'jump' AND workflow_id IN (SELECT id FROM "
           "workflows WHERE code = 'demarche_sva');");
    assert_int_equal(workflow_timeout_pending(f->db.core, &r, &f->a, pend, 4, &np, &err), 0);
    assert_int_equal(np, 0);

    assert_int_equal(run(f, due).done, 2); /* the warning and the jump, both cancelled */
    assert_string_equal(get(f, c.reference).status, "under_review");
    assert_int_equal(events(f, r.id, "timeout", NULL, NULL), 0);
    assert_int_equal(mails(f, r.id, "workflow_warn"), 0);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
    assert_string_equal(jobs[0].last_error, "the workflow no longer has this timeout");
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_WARN_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
}

/* Leaving the status cancels its jobs; entering it again schedules new ones, keyed by the new
 * entry, and only those run. */
static void test_cancel_and_reenter(void **state)
{
    fixture *f = *state;
    request_created c = file(f);
    store_request r = get(f, c.reference);
    set_status(f, c.reference, "under_review", NULL);
    set_status(f, c.reference, "correction_requested", "Pièce manquante : le plan de masse.");
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_WARN_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "pending");

    set_status(f, c.reference, "under_review", NULL);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs), 1);
    assert_string_equal(jobs[0].state, "cancelled");
    size_t n = jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs);
    /* Two jobs when the entries fell in different seconds, one made pending again when in
     * the same: either way exactly one pending. */
    assert_true(n == 1 || n == 2);
    assert_int_equal(count_state(jobs, n, "pending"), 1);
    int64_t due = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(jobs[i].state, "pending") == 0)
            due = jobs[i].due_at;
    assert_int_equal(run(f, due + 1).done, 2); /* the warning and the jump */
    assert_string_equal(get(f, c.reference).status, "accepted");
    assert_int_equal(events(f, r.id, "timeout", NULL, NULL), 1);
}

static int revive_apply(store *s, void *arg, error *err)
{
    return s->ops->jobs.tx_update(s, arg, err);
}

/* Makes job j pending again, as if its cancel had been lost. */
static void revive(fixture *f, store_job_row j)
{
    j.state = "pending";
    j.done_at = 0;
    error err;
    assert_int_equal(store_write_sync(f->db.store, revive_apply, &j, &err), 0);
}

typedef struct stale_job {
    const store_request *r;
    int64_t entered_at, due_at;
} stale_job;

static int stale_apply(store *s, void *arg, error *err)
{
    const stale_job *sj = arg;
    json_t *p = json_pack("{s:s, s:I, s:i, s:i, s:s, s:s}", "status", "under_review", "entered_at",
                          (json_int_t)sj->entered_at, "position", 1, "nth", 0, "to", "accepted",
                          "meaning", "accord");
    int rc = jobs_schedule_tx(s, sj->r->tenant_id, sj->r->id, WORKFLOW_TIMEOUT_KIND, "stale",
                              sj->due_at, p, NULL, err);
    json_decref(p);
    return rc;
}

/* A jump whose request left the status — or entered it again since the entry the job was
 * for — without the job being cancelled (a row edited by hand, a lost cancel) is refused
 * silently: no status change, no event, the job done. */
static void test_jump_refused_when_status_changed(void **state)
{
    fixture *f = *state;
    request_created c = file(f);
    store_request r = get(f, c.reference);
    set_status(f, c.reference, "under_review", NULL);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 1);
    store_job_row jump = jobs[0];

    /* Still in under_review, but a jump scheduled for an entry before the latest one. */
    int64_t entered = payload_int(&jump, "entered_at");
    stale_job sj = {.r = &r, .entered_at = entered - 100, .due_at = entered + 1};
    error err;
    assert_int_equal(store_write_sync(f->db.store, stale_apply, &sj, &err), 0);
    assert_int_equal(run(f, entered + 1).done, 1);
    assert_string_equal(get(f, c.reference).status, "under_review");
    assert_int_equal(events(f, r.id, "timeout", NULL, NULL), 0);
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs), 2);
    assert_int_equal(count_state(jobs, 2, "done"), 1);
    assert_int_equal(count_state(jobs, 2, "pending"), 1); /* the true one, untouched */

    /* Refused by an agent; the jump brought back to pending: nothing either. */
    set_status(f, c.reference, "refused", "Le projet ne respecte pas le PLU.");
    revive(f, jump);
    assert_int_equal(run(f, jump.due_at + 1).done, 1);
    r = get(f, c.reference);
    assert_string_equal(r.status, "refused");
    assert_int_equal(events(f, r.id, "timeout", NULL, NULL), 0);
    assert_int_equal(events(f, r.id, "status", NULL, NULL), 2);
    size_t n = jobs_of(f, r.id, WORKFLOW_TIMEOUT_KIND, &jobs);
    assert_int_equal(n, 2);
    assert_int_equal(count_state(jobs, n, "done"), 2);
}

/* In correction_requested the citizen is reminded after 15 days, then twice more every 15
 * days — three e-mails in their language, each with its internal timeline note — then
 * never again. */
static void test_reminders_repeat_then_stop(void **state)
{
    fixture *f = *state;
    request_created c = file(f);
    store_request r = get(f, c.reference);
    set_status(f, c.reference, "under_review", NULL);
    set_status(f, c.reference, "correction_requested", "Pièce manquante : le plan de masse.");
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs), 1);
    int64_t first = jobs[0].due_at;
    assert_int_equal(run(f, first - 1).done, 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(run(f, first + (int64_t)k * 15 * DAY).done, 1);
        assert_int_equal(mails(f, r.id, "workflow_remind"), (size_t)k + 1);
    }
    assert_int_equal(run(f, first + 45 * DAY).done, 0);
    assert_int_equal(run(f, first + 400 * DAY).done, 0);
    assert_int_equal(mails(f, r.id, "workflow_remind"), 3);
    assert_int_equal(events(f, r.id, "job", WORKFLOW_REMIND_KIND, NULL), 3);
    size_t n = jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs);
    assert_int_equal(n, 3);
    assert_int_equal(count_state(jobs, n, "done"), 3);
    assert_string_equal(get(f, c.reference).status, "correction_requested");
}

/* Runs SQL on the test's database, as an administrator's tool would, then reloads the
 * catalogue. */
static void sql(fixture *f, const char *q)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", q, msg);
    sqlite3_close(db);
    error err;
    assert_int_equal(catalogue_reload(f->db.core, &err), 0);
    refresh(f);
}

/* A reminder to the agents after 2 working days in «déposée», in an Alsace-Moselle
 * collectivité: filed on Thursday 25 March 2027, it falls on Wednesday 31 (Good Friday and
 * Easter Monday are not worked there), goes to the department's agent without personal
 * data, and is sent once. A citizen who asked for no e-mail gets no reminder. */
static void test_agents_reminder_working_days(void **state)
{
    fixture *f = *state;
    sql(f, "INSERT INTO workflow_timeouts (workflow_id, status_code, position, delay, unit, kind, "
           "whom) SELECT id, 'submitted', 1, 2, 'working_days', 'remind', 'agents' FROM workflows "
           "WHERE code = 'demarche_sva'; INSERT INTO tenant_branding (tenant_id, holidays, "
           "updated_at) SELECT id, 1, 0 FROM tenants WHERE slug = 'ville-test'");
    assert_int_equal(workflow_by_code(f->t, "demarche_sva")->n_timeouts, 3);
    int64_t filed_at = time_from_local(workdays_day(2027, 3, 25) * DAY + 10 * 3600, "Europe/Paris");
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "permis"),
                        .ch = CHANNEL_WEB,
                        .description = "Extension d'une maison",
                        .first_name = "Jeanne",
                        .last_name = "Martin",
                        .email = "jeanne@example.org",
                        .created_at = filed_at};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    store_request r = get(f, out.reference);
    store_job_row *jobs = NULL;
    assert_int_equal(jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs), 1);
    assert_int_equal(jobs[0].due_at, end_of(2027, 3, 31));
    assert_int_equal(run(f, end_of(2027, 3, 30)).done, 0);
    assert_int_equal(run(f, end_of(2027, 3, 31)).done, 1);
    assert_int_equal(run(f, end_of(2027, 6, 30)).done, 0);
    store_outbox *rows = NULL;
    size_t n = 0, sent = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, r.id, &f->a, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, "workflow_remind_agents") == 0) {
            assert_string_equal(rows[i].recipient, "agnes@ville-test.fr");
            assert_null(strstr(rows[i].params, "Martin"));
            assert_null(strstr(rows[i].params, "jeanne@"));
            sent++;
        }
    assert_int_equal(sent, 1);
    assert_int_equal(events(f, r.id, "job", WORKFLOW_REMIND_KIND, NULL), 1);

    /* The citizen's reminder in correction_requested: none for notify "none". */
    in.created_at = T0;
    in.notify = "none";
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    r = get(f, out.reference);
    set_status(f, out.reference, "under_review", NULL);
    set_status(f, out.reference, "correction_requested", "Pièce manquante : le plan de masse.");
    size_t k = jobs_of(f, r.id, WORKFLOW_REMIND_KIND, &jobs);
    int64_t due = 0;
    for (size_t i = 0; i < k; i++)
        if (strcmp(jobs[i].state, "pending") == 0)
            due = jobs[i].due_at;
    assert_true(due > 0);
    assert_int_equal(run(f, due).done, 1);
    assert_int_equal(mails(f, r.id, "workflow_remind"), 0);
    assert_int_equal(events(f, r.id, "job", WORKFLOW_REMIND_KIND, NULL), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_delay_arithmetic),
    cmocka_unit_test_setup_teardown(test_check, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jump_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_removed_timeout_does_not_act, setup, teardown),
    cmocka_unit_test_setup_teardown(test_changed_delay_reschedules, setup, teardown),
    cmocka_unit_test_setup_teardown(test_cancel_and_reenter, setup, teardown),
    cmocka_unit_test_setup_teardown(test_jump_refused_when_status_changed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reminders_repeat_then_stop, setup, teardown),
    cmocka_unit_test_setup_teardown(test_agents_reminder_working_days, setup, teardown),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}

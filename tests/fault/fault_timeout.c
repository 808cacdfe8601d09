/*
 * fault_timeout — see fault_timeout.h. On its own database (tests/support/test_db.h), a
 * démarche on the shipped «demarche_sva» workflow: for N = 1, 2, … a request is filed and put
 * under review (no fault), then its jump is run with the Nth allocation — or storage write —
 * of the writer failing, once; then the scheduler runs again, later, without fault, as often
 * as the job's retries ask. Whatever N, the request must end accepted with exactly one
 * status event to accepted and one «timeout» event, and the job done: never the jump twice,
 * never half of it. The loop ends at the first N the run no longer reaches.
 */
#include "fault_timeout.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/catalogue.h"
#include "core/jobs.h"
#include "core/request.h"
#include "core/workflow_timeout.h"
#include "fault_hooks.h"
#include "store/store.h"
#include "test_db.h"

#define DAY 86400
#define MAX_RUNS 20000

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static int setup(fixture *f)
{
    error err;
    error_clear(&err);
    if (test_db_open(&f->db, "fault-timeout", NULL) != 0)
        return -1;
    store_tenant t = {.slug = "ville-faute",
                      .name = "Ville Faute",
                      .hosts = "ville-faute.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    int64_t dep = 0;
    if (admin_tenant_upsert(f->db.core, &t, &f->tenant_id, &err) != 0)
        goto fail;
    store_department d = {.tenant_id = f->tenant_id, .code = "urbanisme", .name = "Urbanisme"};
    if (admin_department_upsert(f->db.core, &d, &dep, &err) != 0)
        goto fail;
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "permis",
                         .name = "Permis de construire",
                         .group_name = "Urbanisme",
                         .department_id = dep,
                         .kind = PROCEDURE_DEMARCHE,
                         .workflow_id =
                             test_db_workflow_id(f->db.core, f->tenant_id, "demarche_sva"),
                         .active = 1};
    if (!p.workflow_id || admin_procedure_upsert(f->db.core, &p, NULL, &err) != 0)
        goto fail;
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-faute");
    if (f->t)
        return 0;
fail:
    fprintf(stderr, "fault_timeout: set-up failed: %s\n", err.detail);
    return -1;
}

/* A request filed and put under review, without fault; its id and its jump's due time. */
static int prepare(fixture *f, int64_t *id, char *reference, size_t size, int64_t *due)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "permis"),
                        .ch = CHANNEL_WEB,
                        .description = "Extension d'une maison"};
    request_created out;
    error err;
    error_clear(&err);
    if (request_create(f->db.core, &in, &out, NULL, NULL, &err) != 0)
        return -1;
    snprintf(reference, size, "%s", out.reference);
    request_change ch = {.status = "under_review", .priority = -1, .ch = CHANNEL_WEB};
    if (request_update(f->db.core, f->t, reference, &ch, NULL, NULL, &err) != 0)
        return -1;
    arena a;
    arena_init(&a, 0);
    store_request r;
    store_job_row *jobs = NULL;
    size_t n = 0;
    int rc = -1;
    if (request_get(f->db.core, f->t, reference, &a, &r, &err) == 0 &&
        jobs_list(f->db.core, f->tenant_id, WORKFLOW_TIMEOUT_KIND, 1, &a, &jobs, &n, &err) == 0 &&
        n == 1 && jobs[0].request_id == r.id) {
        *id = r.id;
        *due = jobs[0].due_at;
        rc = 0;
    }
    arena_free(&a);
    return rc;
}

/* What the request shows after the runs: 1 when it moved exactly once and its job is done. */
static int moved_once(fixture *f, int64_t id, const char *reference, char *why, size_t size)
{
    arena a;
    arena_init(&a, 0);
    store_request r;
    store_event *ev = NULL;
    store_job_row *jobs = NULL;
    size_t n = 0, nj = 0, statuses = 0, timeouts = 0;
    error err;
    error_clear(&err);
    int ok = 0;
    if (request_get(f->db.core, f->t, reference, &a, &r, &err) != 0 ||
        request_timeline(f->db.core, f->t, id, 0, &a, &ev, &n, &err) != 0 ||
        jobs_list(f->db.core, f->tenant_id, WORKFLOW_TIMEOUT_KIND, 1, &a, &jobs, &nj, &err) != 0) {
        snprintf(why, size, "cannot read it back: %.100s", err.detail);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        statuses += strcmp(ev[i].kind, "status") == 0 && ev[i].status_to &&
                    strcmp(ev[i].status_to, "accepted") == 0;
        timeouts += strcmp(ev[i].kind, "timeout") == 0;
    }
    if (strcmp(r.status, "accepted") != 0 || statuses != 1 || timeouts != 1 || nj != 1 ||
        jobs[0].request_id != id || strcmp(jobs[0].state, "done") != 0)
        snprintf(why, size, "status %s, %zu status events to accepted, %zu timeout events, job %s",
                 r.status, statuses, timeouts, nj ? jobs[0].state : "none");
    else
        ok = 1;
done:
    arena_free(&a);
    return ok;
}

/* One look of the scheduler at `now`, on a thread of its own as the server's is: the test's
 * thread is exempt from failures, and a database opened without the server's writer thread
 * runs each write job on the thread that submits it. */
typedef struct scheduler_pass {
    core *core;
    int64_t now;
    jobs_report rep;
    int rc;
} scheduler_pass;

static void *run_pass(void *arg)
{
    scheduler_pass *p = arg;
    error err;
    error_clear(&err);
    p->rc = jobs_run_due(p->core, p->now, 0, NULL, NULL, &p->rep, &err);
    return NULL;
}

void fault_timeout_loop(int io, long stride, int *passed, int *failed)
{
    const char *what = io ? "writes" : "allocations";
    fixture f;
    memset(&f, 0, sizeof f);
    if (setup(&f) != 0) {
        printf("FAIL  %-22s %s: no set-up\n", "timeout-jump", what);
        (*failed)++;
        return;
    }
    long n = 1, runs = 0, failures = 0;
    int bad = 0;
    for (; n < MAX_RUNS * stride; n += stride, runs++) {
        int64_t id = 0, due = 0;
        char reference[32], why[300];
        if (prepare(&f, &id, reference, sizeof reference, &due) != 0) {
            printf("      timeout-jump: no request to run %ld on\n", n);
            bad = 1;
            break;
        }
        if (io)
            fault_io_arm(n, n % 2 == 0);
        else
            fault_alloc_arm(n);
        scheduler_pass pass = {.core = f.db.core, .now = due};
        pthread_t th;
        if (pthread_create(&th, NULL, run_pass, &pass) != 0) {
            printf("      timeout-jump: cannot start the scheduler's thread\n");
            bad = 1;
            break;
        }
        pthread_join(th, NULL);
        int rc = pass.rc;
        jobs_report rep = pass.rep;
        error err;
        error_clear(&err);
        int fired = io ? fault_io_fired() : fault_alloc_fired();
        if (io)
            fault_io_disarm();
        else
            fault_alloc_disarm();
        failures += rc != 0 || rep.retried || rep.failed;
        /* The scheduler's later looks, past each retry's delay, until nothing is left. */
        for (int k = 1; k <= 8; k++) {
            jobs_report again = {0};
            if (jobs_run_due(f.db.core, due + (int64_t)k * DAY, 0, NULL, NULL, &again, &err) != 0)
                break;
        }
        if (!moved_once(&f, id, reference, why, sizeof why)) {
            printf("      timeout-jump: failure %ld: %s\n", n, why);
            bad = 1;
        }
        if (!fired)
            break;
    }
    printf("%s  %-22s %s: %ld runs, %ld failed a first attempt, the jump made once in each\n",
           bad ? "FAIL" : "ok  ", "timeout-jump", what, runs, failures);
    if (bad)
        (*failed)++;
    else
        (*passed)++;
    catalogue_release(f.db.core, f.cat);
    test_db_close(&f.db);
}

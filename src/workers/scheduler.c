/*
 * scheduler — one thread that sleeps on a condition variable (monotonic clock) between
 * passes, so that scheduler_stop wakes it at once; a pass in progress asks stop_requested
 * between its write jobs and ends there. It runs the persistent jobs (core/jobs.h): at
 * start-up first those due while the server was down, then each time the earliest pending
 * job falls due — it sleeps until then, at most JOBS_MAX_SLEEP_S (the wall clock may step),
 * and a write job that schedules something rings its bell (jobs_set_waker) after its
 * commit, so that a webhook due now leaves at once without any polling. A full batch is
 * followed by the next one at once. After a pass that erased something, at most once a
 * day, it compacts the database (retention_compact), so that erased words leave the
 * full-text index's old segments and the write-ahead log: writes wait meanwhile (0.3 s for
 * 100,000 requests).
 */
#include "workers/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/document.h"
#include "core/jobs.h"
#include "core/parapheur.h"
#include "core/webhook.h"
#include "core/retention.h"
#include "core/stats.h"
#include "core/upload_stash.h"
#include "util/log.h"
#include "util/timeutil.h"

#define COMPACT_EVERY_S (24 * 3600)
#define JOBS_MAX_SLEEP_S 60
/* How long the quartiers' fill may run before the due jobs get their turn. */
#define AREAS_SLICE_MS 200

struct scheduler {
    core *core;
    scheduler_config cfg;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int bell;             /* under mu: a job was scheduled since the last look */
    int64_t last_compact; /* monotonic seconds; 0: never */
};

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static int stop_requested(void *ctx)
{
    scheduler *s = ctx;
    pthread_mutex_lock(&s->mu);
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* Waits ms milliseconds or until stopped; 1 when stopped. */
static int wait_or_stop(scheduler *s, unsigned long long ms)
{
    pthread_mutex_lock(&s->mu);
    time_cond_wait_ms(&s->cv, &s->mu, ms > INT64_MAX ? INT64_MAX : (int64_t)ms, &s->stop, &s->bell);
    s->bell = 0;
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* The bell (jobs_set_waker): called on the writer's thread after a commit that scheduled a
 * job. Waking for a job due later costs one look at the next due time. */
static void ring(void *ctx, int64_t due_at)
{
    (void)due_at;
    scheduler *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->bell = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Runs the due jobs, a batch after another while batches come full; the milliseconds until
 * the next pending job (at most JOBS_MAX_SLEEP_S). */
static unsigned long long run_jobs(scheduler *s)
{
    for (;;) {
        jobs_report rep = {0};
        error err = {0};
        if (jobs_run_due(s->core, (int64_t)time(NULL), JOBS_BATCH_MAX, stop_requested, s, &rep,
                         &err) != 0) {
            log_error("jobs: the due list cannot be read: %s", err.detail);
            break;
        }
        if (rep.done || rep.retried || rep.failed)
            log_info("jobs: %zu done, %zu to try again, %zu failed", rep.done, rep.retried,
                     rep.failed);
        if (rep.done + rep.retried + rep.failed + rep.skipped < JOBS_BATCH_MAX || stop_requested(s))
            break;
    }
    int64_t next = 0;
    int found = 0;
    error err = {0};
    if (jobs_next_due(s->core, &next, &found, &err) != 0 || !found)
        return JOBS_MAX_SLEEP_S * 1000ULL;
    int64_t in = next - (int64_t)time(NULL);
    if (in <= 0)
        return 0;
    return (unsigned long long)(in < JOBS_MAX_SLEEP_S ? in : JOBS_MAX_SLEEP_S) * 1000ULL;
}

/* Files kept for forms never sent (core/upload_stash.h): a day is all they are kept. */
static void purge_kept_uploads(scheduler *s)
{
    const attachment_dir *uploads = core_uploads(s->core);
    if (!uploads->path[0])
        return;
    size_t removed = 0;
    error err = {0};
    if (upload_stash_purge(uploads, (int64_t)time(NULL), UPLOAD_STASH_MAX_AGE_S, &removed, &err) !=
        0)
        log_error("kept uploads: purge failed: %s", err.detail);
    else if (removed)
        log_info("kept uploads: %zu file(s) of forms never sent removed, thumbnails and "
                 "descriptions included",
                 removed);
}

static void run_pass(scheduler *s)
{
    purge_kept_uploads(s);
    retention_opts o = {.source = "scheduler", .stop = stop_requested, .stop_ctx = s};
    retention_report rep = {0};
    error err = {0};
    if (retention_run(s->core, &o, &rep, &err) != 0) {
        log_error("retention: pass failed: %s", err.detail);
        return;
    }
    if (rep.anonymised || rep.lists_created || rep.audit_purged || rep.left || rep.mail_purged ||
        rep.subscribers_purged || rep.recipients_forgotten || rep.tokens_purged || rep.post_purged)
        log_info("retention: %lld request(s) anonymised (%lld on their citizen's request), "
                 "%lld bordereau(x) built, %lld request(s) waiting for the archives' visa, "
                 "%lld still due, %lld audit entr%s purged, %lld held mail(s) and %lld ended "
                 "subscription(s) deleted, %lld broadcast recipient(s) erased, %lld expired "
                 "code(s) deleted, %lld dropped scan(s) deleted",
                 (long long)rep.anonymised, (long long)rep.on_request, (long long)rep.lists_created,
                 (long long)rep.awaiting_visa, (long long)rep.left, (long long)rep.audit_purged,
                 rep.audit_purged == 1 ? "y" : "ies", (long long)rep.mail_purged,
                 (long long)rep.subscribers_purged, (long long)rep.recipients_forgotten,
                 (long long)rep.tokens_purged, (long long)rep.post_purged);
    int64_t now = mono_s();
    if (rep.anonymised > 0 && (!s->last_compact || now - s->last_compact >= COMPACT_EVERY_S)) {
        if (retention_compact(s->core, &err) != 0)
            log_error("retention: compacting failed: %s", err.detail);
        else
            log_info("retention: database compacted (erased data rewritten out of the files)");
        s->last_compact = now > 0 ? now : 1;
    }
}

static void *scheduler_main(void *arg)
{
    scheduler *s = arg;
    error err = {0};
    if (jobs_recover(s->core, &err) != 0)
        log_error("jobs: the jobs left running could not be made pending again: %s", err.detail);
    size_t sealed = 0;
    if (webhook_seal_secrets(s->core, &sealed, &err) != 0)
        log_error("webhooks: the secrets in clear could not be sealed: %s", err.detail);
    else if (sealed)
        log_info("webhooks: %zu secret(s) stored in clear sealed", sealed);
    sealed = 0;
    if (parapheur_seal_keys(s->core, &sealed, &err) != 0)
        log_error("parapheur: the PKCS#12 files in clear could not be sealed: %s", err.detail);
    else if (sealed)
        log_info("parapheur: %zu PKCS#12 file(s) stored in clear sealed", sealed);
    /* Monotonic milliseconds of the next retention pass; 0: none. */
    int64_t next_retention =
        s->cfg.retention_interval_s ? mono_s() * 1000 + (int64_t)s->cfg.first_delay_ms : 0;
    /* Receipts for the requests created outside the server, a batch a pass until none is
     * left (core/document.h); each batch is rendered by run_jobs before the next one. */
    int backfill = 1;
    for (;;) {
        if (backfill) {
            size_t scheduled = 0;
            if (document_receipts_backfill(s->core, (int64_t)time(NULL), &scheduled, &err) != 0) {
                log_error("receipts: the requests without one cannot be read: %s", err.detail);
                backfill = 0;
            } else {
                if (scheduled)
                    log_info("receipts: %zu request(s) created outside the server get theirs",
                             scheduled);
                backfill = scheduled == DOCUMENT_BACKFILL_BATCH;
            }
        }
        /* The quartiers of the statistics' facts not worked out yet (core/stats.h): at start
         * after the migration or an import of quartiers, then those filed or moved since.
         * Batches for at most AREAS_SLICE_MS, then the due jobs, and the next slice at once
         * while batches come full: a million facts to locate never hold receipts, timeouts
         * and reminders back. */
        size_t located = STATS_AREAS_BATCH;
        int more_areas = 0;
        int64_t slice_end = time_mono_ms() + AREAS_SLICE_MS;
        while (located == STATS_AREAS_BATCH && !stop_requested(s)) {
            if (stats_areas_fill(s->core, &located, &err) != 0) {
                log_error("stats: the requests' quartiers cannot be worked out: %s", err.detail);
                break;
            }
            if (located == STATS_AREAS_BATCH && time_mono_ms() >= slice_end) {
                more_areas = 1;
                break;
            }
        }
        unsigned long long sleep_ms = run_jobs(s);
        if (more_areas)
            sleep_ms = 0;
        if (stop_requested(s))
            break;
        int64_t now_ms = mono_s() * 1000;
        if (next_retention && now_ms >= next_retention) {
            run_pass(s);
            now_ms = mono_s() * 1000;
            next_retention = now_ms + (int64_t)s->cfg.retention_interval_s * 1000;
        }
        if (next_retention && (unsigned long long)(next_retention - now_ms) < sleep_ms)
            sleep_ms = (unsigned long long)(next_retention - now_ms);
        if (wait_or_stop(s, sleep_ms))
            break;
    }
    return NULL;
}

scheduler *scheduler_start(core *c, const scheduler_config *cfg, error *err)
{
    scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    s->core = c;
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    time_cond_init(&s->cv);
    if (cfg->retention_interval_s == 0)
        log_info("retention: no periodic pass (retention-interval 0): run guichet retention run");
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "could not start the scheduler thread");
        scheduler_stop(s);
        return NULL;
    }
    s->started = 1;
    jobs_set_waker(c, ring, s);
    if (cfg->retention_interval_s)
        log_info("retention: a pass every %u s", cfg->retention_interval_s);
    return s;
}

void scheduler_stop(scheduler *s)
{
    if (!s)
        return;
    if (s->started) {
        jobs_set_waker(s->core, NULL, NULL);
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/*
 * store — the backend-agnostic part of the store: choosing a backend from a URL, and the
 * group-commit writer. The writer thread takes every queued job at once, runs each in its
 * own savepoint inside one transaction, commits, and only then reports each job's outcome,
 * so that one fsync makes a whole batch durable and a failing job never leaves half a record.
 */
#include "store/store.h"

#include <stdatomic.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* A batch larger than this would make its first jobs wait for the last ones' work; the
 * remaining jobs simply go into the next batch. */
#define WRITER_MAX_BATCH 512

struct store_writer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    store_job *head, *tail; /* FIFO of queued jobs, under mu */
    int stopping;           /* under mu */
    pthread_t thread;
    store_writer_stats stats; /* under mu */
};

store *store_open(const char *url, error *err)
{
    if (!url || !*url) {
        error_set(err, ERR_MISSING_ARG, "database", "no database given");
        return NULL;
    }
    if (strncmp(url, "sqlite:", 7) == 0)
        return store_sqlite_open(url + 7, err);
    if (strncmp(url, "postgres:", 9) == 0 || strncmp(url, "postgresql:", 11) == 0) {
        error_set(err, ERR_INVALID_ARG, "database", "PostgreSQL backend not built yet");
        return NULL;
    }
    return store_sqlite_open(url, err);
}

void store_close(store *s)
{
    if (!s)
        return;
    store_writer_stop(s);
    s->ops->close(s);
}

/* Runs a list of jobs in one transaction, each in its own savepoint. Sets every job's rc and
 * err but calls no done(): the caller does that after updating statistics. Returns 0 when
 * the transaction committed, -1 when the whole batch failed. */
static int run_batch(store *s, store_job *jobs)
{
    const store_ops *ops = s->ops;
    error terr;
    error_clear(&terr);
    for (store_job *j = jobs; j; j = j->next) {
        j->rc = 0;
        error_clear(&j->err);
    }
    if (ops->tx.begin(s, &terr) != 0) {
        for (store_job *j = jobs; j; j = j->next) {
            j->rc = -1;
            j->err = terr;
        }
        return -1;
    }
    for (store_job *j = jobs; j; j = j->next) {
        if (ops->tx.savepoint(s, &j->err) != 0) {
            j->rc = -1;
            continue;
        }
        if (j->apply(s, j->arg, &j->err) == 0) {
            if (ops->tx.release(s, &j->err) == 0)
                continue;
        } else if (j->err.code == ERR_NONE) {
            error_set(&j->err, ERR_INTERNAL, NULL, "write job failed without an error");
        }
        ops->tx.rollback_to(s);
        j->rc = -1;
    }
    if (ops->tx.commit(s, &terr) != 0) {
        ops->tx.rollback(s);
        log_error("store: batch commit failed: %s", terr.detail);
        for (store_job *j = jobs; j; j = j->next) {
            if (j->rc == 0) {
                j->rc = -1;
                j->err = terr;
            }
        }
        return -1;
    }
    /* Before any done() runs, so that a client told "written" never reads a cached answer
     * from before its write. */
    atomic_fetch_add(&s->generation, 1);
    return 0;
}

uint64_t store_generation(store *s)
{
    return atomic_load(&s->generation);
}

/* Calls each job's done(); reads `next` first because done() may free the job. */
static void finish_jobs(store_job *jobs)
{
    while (jobs) {
        store_job *next = jobs->next;
        jobs->next = NULL;
        if (jobs->done)
            jobs->done(jobs->arg, jobs->rc, jobs->rc == 0 ? NULL : &jobs->err);
        jobs = next;
    }
}

static void *writer_main(void *arg)
{
    store *s = arg;
    store_writer *w = s->writer;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head)
            break; /* stopping, and the queue is drained */
        store_job *batch = w->head, *last = w->head;
        uint64_t n = 1;
        while (last->next && n < WRITER_MAX_BATCH) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);

        int rc = run_batch(s, batch);

        pthread_mutex_lock(&w->mu);
        w->stats.batches++;
        w->stats.jobs += n;
        if (rc != 0)
            w->stats.failed_batches++;
        pthread_mutex_unlock(&w->mu);
        /* Outside the lock: done() may queue another job. */
        finish_jobs(batch);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int store_writer_start(store *s, error *err)
{
    if (s->writer)
        return error_set(err, ERR_INTERNAL, NULL, "store writer already running");
    store_writer *w = calloc(1, sizeof *w);
    if (!w)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    s->writer = w;
    if (pthread_create(&w->thread, NULL, writer_main, s) != 0) {
        s->writer = NULL;
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return error_set(err, ERR_UNAVAILABLE, NULL, "cannot start the store writer thread");
    }
    return 0;
}

void store_writer_stop(store *s)
{
    if (!s || !s->writer)
        return;
    store_writer *w = s->writer;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    s->last_stats = w->stats;
    s->writer = NULL;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void store_write(store *s, store_job *job)
{
    job->next = NULL;
    store_writer *w = s->writer;
    if (w) {
        pthread_mutex_lock(&w->mu);
        if (!w->stopping) {
            if (w->tail)
                w->tail->next = job;
            else
                w->head = job;
            w->tail = job;
            pthread_cond_signal(&w->cv);
            pthread_mutex_unlock(&w->mu);
            return;
        }
        /* The writer is draining its last batch: run this one here, the backend serialises
         * transactions on its writer connection. */
        pthread_mutex_unlock(&w->mu);
    }
    run_batch(s, job);
    finish_jobs(job);
}

void store_waiter_init(store_waiter *w)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->finished = 0;
    w->rc = 0;
    error_clear(&w->err);
}

void store_waiter_done(void *arg, int rc, const error *err)
{
    store_waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    w->rc = rc;
    if (rc != 0 && err)
        w->err = *err;
    w->finished = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int store_waiter_wait(store_waiter *w, error *err)
{
    pthread_mutex_lock(&w->lock);
    while (!w->finished)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    if (w->rc != 0 && err)
        *err = w->err;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    return w->rc;
}

/* The job's arg; the caller's apply and arg travel beside the waiter. */
typedef struct sync_call {
    store_waiter wait; /* first: store_waiter_done receives the sync_call as a store_waiter */
    int (*apply)(store *s, void *arg, error *err);
    void *arg;
} sync_call;

static int sync_apply(store *s, void *arg, error *err)
{
    sync_call *c = arg;
    return c->apply(s, c->arg, err);
}

int store_write_sync(store *s, int (*apply)(store *s, void *arg, error *err), void *arg, error *err)
{
    sync_call call;
    store_waiter_init(&call.wait);
    call.apply = apply;
    call.arg = arg;
    store_job job;
    memset(&job, 0, sizeof job);
    job.apply = sync_apply;
    job.done = store_waiter_done;
    job.arg = &call;
    store_write(s, &job);
    return store_waiter_wait(&call.wait, err);
}

void store_writer_get_stats(store *s, store_writer_stats *out)
{
    memset(out, 0, sizeof *out);
    store_writer *w = s ? s->writer : NULL;
    if (!w) {
        if (s)
            *out = s->last_stats;
        return;
    }
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

/*
 * hasher — Argon2id on a pool of its own, behind a bounded FIFO (see hasher.h).
 */
#include "core/hasher.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"

/* The pool's threads run this much nicer than the server's: when the cores are all busy, the
 * scheduler gives reads (cheap, many) the larger share and checks (75 ms each) the smaller (a
 * thread at nice 5 weighs about a third of one at 0); when they are not, a nice thread gets
 * the idle core just the same. A read flood then slows logins (the queue fills: 503) rather
 * than logins slowing every read. Measured with bench scenario 5 on two loaded cores: the
 * reads kept 0.7-1.0 of their idle rate instead of 0.5-0.7, with about as many logins
 * served (at nice 10, a quarter fewer). */
#define HASHER_NICE 5

struct hasher {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hasher_job *head, *tail; /* waiting jobs, oldest first; under mu */
    size_t n_queued, max_queued;
    int stopping;
    unsigned n_threads;
    pthread_t threads[];
};

static void job_init(hasher_job *job, hasher_kind kind, const char *password, hasher_done_fn done,
                     void *ctx)
{
    memset(job, 0, sizeof *job);
    job->kind = kind;
    job->done = done;
    job->ctx = ctx;
    const char *pw = password ? password : "";
    size_t n = strlen(pw);
    if (n > PASSWORD_MAX)
        job->too_long = 1;
    else
        memcpy(job->password, pw, n + 1);
}

void hasher_job_hash(hasher_job *job, const char *password, hasher_done_fn done, void *ctx)
{
    job_init(job, HASHER_HASH, password, done, ctx);
}

void hasher_job_verify(hasher_job *job, const char *hash, const char *password, hasher_done_fn done,
                       void *ctx)
{
    job_init(job, HASHER_VERIFY, password, done, ctx);
    /* A hash that does not fit is no Argon2id string of ours: it matches nothing, and is
     * verified as the dummy so that it costs the same. */
    if (hash && strlen(hash) < sizeof job->hash)
        memcpy(job->hash, hash, strlen(hash) + 1);
}

void hasher_job_wipe(hasher_job *job)
{
    sodium_memzero(job->password, sizeof job->password);
    sodium_memzero(job->hash, sizeof job->hash);
}

/* The work itself; then the password is wiped (the hash is the caller's result). */
static void job_run(hasher_job *job)
{
    error_clear(&job->err);
    job->rc = 0;
    job->match = 0;
    if (job->kind == HASHER_VERIFY) {
        /* password_verify checks an over-long password as "": bounded work, no match. */
        job->match = password_verify(job->hash[0] ? job->hash : NULL,
                                     job->too_long ? NULL : job->password) &&
                     !job->too_long;
    } else if (job->too_long) {
        job->rc = error_set(&job->err, ERR_INVALID_ARG, "password", "password too long");
    } else {
        job->rc = password_hash(job->password, job->hash, &job->err);
    }
    sodium_memzero(job->password, sizeof job->password);
}

static void *worker_main(void *arg)
{
    hasher *h = arg;
    /* Linux gives each thread its own nice value; raising it needs no privilege, and a
     * failure only leaves the thread at the server's priority. */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), HASHER_NICE) != 0)
        log_debug("password hashing thread left at the server's priority");
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->head && !h->stopping)
            pthread_cond_wait(&h->cv, &h->mu);
        if (!h->head)
            break; /* stopping: hasher_stop failed what was queued */
        hasher_job *job = h->head;
        h->head = job->next;
        if (!h->head)
            h->tail = NULL;
        h->n_queued--;
        pthread_mutex_unlock(&h->mu);
        job->next = NULL;
        job_run(job);
        job->done(job); /* may free the job */
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

hasher *hasher_start(unsigned threads, size_t queue, error *err)
{
    if (threads < 1 || threads > HASHER_THREADS_MAX) {
        error_set(err, ERR_INVALID_ARG, "hash-threads", "between 1 and %d", HASHER_THREADS_MAX);
        return NULL;
    }
    if (queue < 1 || queue > HASHER_QUEUE_MAX) {
        error_set(err, ERR_INVALID_ARG, "hash-queue", "between 1 and %d", HASHER_QUEUE_MAX);
        return NULL;
    }
    hasher *h = calloc(1, sizeof *h + threads * sizeof h->threads[0]);
    if (!h) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->max_queued = queue;
    for (; h->n_threads < threads; h->n_threads++) {
        if (pthread_create(&h->threads[h->n_threads], NULL, worker_main, h) != 0) {
            error_set(err, ERR_UNAVAILABLE, NULL, "cannot start a password hashing thread");
            hasher_stop(h);
            return NULL;
        }
    }
    return h;
}

int hasher_submit(hasher *h, hasher_job *job, error *err)
{
    job->next = NULL;
    if (!h) {
        job_run(job);
        job->done(job);
        return 0;
    }
    pthread_mutex_lock(&h->mu);
    if (h->stopping || h->n_queued >= h->max_queued) {
        int stopping = h->stopping;
        pthread_mutex_unlock(&h->mu);
        hasher_job_wipe(job);
        return error_set(err, ERR_UNAVAILABLE, NULL,
                         stopping ? "the server is stopping"
                                  : "too many passwords to check at once: retry in a moment");
    }
    if (h->tail)
        h->tail->next = job;
    else
        h->head = job;
    h->tail = job;
    h->n_queued++;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void hasher_stop(hasher *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    hasher_job *left = h->head;
    h->head = h->tail = NULL;
    h->n_queued = 0;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    /* Their callers are told now rather than after a wait for work nobody will see: a
     * server stopping has already answered or dropped their clients. */
    size_t failed = 0;
    while (left) {
        hasher_job *job = left;
        left = job->next;
        job->next = NULL;
        hasher_job_wipe(job);
        job->rc = error_set(&job->err, ERR_UNAVAILABLE, NULL, "the server is stopping");
        job->done(job);
        failed++;
    }
    if (failed)
        log_warn("password hashing stopped with %zu job(s) still queued: refused", failed);
    for (unsigned i = 0; i < h->n_threads; i++)
        pthread_join(h->threads[i], NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

size_t hasher_queued(hasher *h)
{
    if (!h)
        return 0;
    pthread_mutex_lock(&h->mu);
    size_t n = h->n_queued;
    pthread_mutex_unlock(&h->mu);
    return n;
}

/*
 * Unit tests of the password pool (core/hasher): jobs finish in the order they were queued
 * (one thread), with the right outcome (a match, a mismatch, the dummy for no account, a
 * new hash that verifies); a full queue refuses at once with ERR_UNAVAILABLE and never
 * calls the refused job back; stopping fails the queued jobs, lets the running one finish
 * and returns; without a pool a job runs on the caller's thread. A job's callback can hold
 * the only thread: the tests use that as a gate, so that nothing depends on timing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hasher.h"
#include "core/password.h"

/* Made by crypto_pwhash_str with libsodium's interactive limits. */
#define STORED_HASH                                                                                \
    "$argon2id$v=19$m=65536,t=2,p=1$qLhTC/X2pxQUfK0s8lUvRg$m0SHmn/fFGCrnKdRAE2SmlX/"               \
    "bP+JSRF+1jSSLggdWis"
#define STORED_PASSWORD "une phrase de passe de 2025"
#define MAX_JOBS 8

/* What the callbacks saw, under one lock. */
typedef struct record {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int order[MAX_JOBS]; /* job indexes in the order they were called back */
    int n_done;
    int calls[MAX_JOBS]; /* callbacks per job: never more than one */
    int gate_entered;    /* the gated job's callback is running */
    int gate_open;
} record;

typedef struct tjob {
    hasher_job job;
    int index;
    int gated; /* its callback waits for the gate to open, holding the pool's thread */
    record *r;
} tjob;

static void record_init(record *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

static void record_free(record *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static void on_done(hasher_job *job)
{
    tjob *t = job->ctx;
    record *r = t->r;
    pthread_mutex_lock(&r->mu);
    r->order[r->n_done++] = t->index;
    r->calls[t->index]++;
    if (t->gated) {
        r->gate_entered = 1;
        pthread_cond_broadcast(&r->cv);
        while (!r->gate_open)
            pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void wait_done(record *r, int n)
{
    pthread_mutex_lock(&r->mu);
    while (r->n_done < n)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void wait_gate_entered(record *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->gate_entered)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void open_gate(record *r)
{
    pthread_mutex_lock(&r->mu);
    r->gate_open = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void verify_job(tjob *t, record *r, int index, const char *hash, const char *pw)
{
    memset(t, 0, sizeof *t);
    t->index = index;
    t->r = r;
    hasher_job_verify(&t->job, hash, pw, on_done, t);
}

static void test_order_and_outcomes(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    error err;
    hasher *h = hasher_start(1, MAX_JOBS, &err);
    assert_non_null(h);
    tjob t[5];
    verify_job(&t[0], &r, 0, STORED_HASH, STORED_PASSWORD);
    verify_job(&t[1], &r, 1, STORED_HASH, "pas le bon mot de passe");
    verify_job(&t[2], &r, 2, NULL, STORED_PASSWORD); /* no account: the dummy */
    memset(&t[3], 0, sizeof t[3]);
    t[3].index = 3;
    t[3].r = &r;
    hasher_job_hash(&t[3].job, "une phrase de passe toute neuve", on_done, &t[3]);
    char long_pw[PASSWORD_MAX + 2];
    memset(long_pw, 'a', sizeof long_pw - 1);
    long_pw[sizeof long_pw - 1] = '\0';
    verify_job(&t[4], &r, 4, STORED_HASH, long_pw);
    for (int i = 0; i < 5; i++)
        assert_int_equal(hasher_submit(h, &t[i].job, &err), 0);
    wait_done(&r, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r.order[i], i); /* one thread: first queued, first done */
        assert_int_equal(r.calls[i], 1);
    }
    assert_int_equal(t[0].job.rc, 0);
    assert_int_equal(t[0].job.match, 1);
    assert_int_equal(t[1].job.match, 0);
    assert_int_equal(t[2].job.rc, 0);
    assert_int_equal(t[2].job.match, 0);
    assert_int_equal(t[3].job.rc, 0);
    assert_non_null(strstr(t[3].job.hash, "$argon2id$"));
    assert_true(password_verify(t[3].job.hash, "une phrase de passe toute neuve"));
    assert_int_equal(t[4].job.match, 0);
    /* The work is done: no password is left in the jobs. */
    assert_string_equal(t[0].job.password, "");
    hasher_stop(h);
    record_free(&r);
}

static void test_full_queue(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    error err;
    hasher *h = hasher_start(1, 2, &err);
    assert_non_null(h);
    tjob t[4];
    for (int i = 0; i < 4; i++)
        verify_job(&t[i], &r, i, STORED_HASH, STORED_PASSWORD);
    t[0].gated = 1;
    assert_int_equal(hasher_submit(h, &t[0].job, &err), 0);
    wait_gate_entered(&r); /* the only thread is held: what follows waits in the queue */
    assert_int_equal(hasher_submit(h, &t[1].job, &err), 0);
    assert_int_equal(hasher_submit(h, &t[2].job, &err), 0);
    assert_int_equal(hasher_queued(h), 2);
    error_clear(&err);
    assert_int_equal(hasher_submit(h, &t[3].job, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_string_equal(t[3].job.password, ""); /* refused: wiped at once */
    open_gate(&r);
    wait_done(&r, 3);
    hasher_stop(h);
    assert_int_equal(r.n_done, 3);
    assert_int_equal(r.calls[3], 0); /* refused at once: never called back */
    assert_int_equal(t[1].job.match, 1);
    assert_int_equal(t[2].job.match, 1);
    record_free(&r);
}

static void *stopper(void *arg)
{
    hasher_stop(arg);
    return NULL;
}

static void test_stop_with_queued_jobs(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    error err;
    hasher *h = hasher_start(1, 4, &err);
    assert_non_null(h);
    tjob t[3];
    for (int i = 0; i < 3; i++)
        verify_job(&t[i], &r, i, STORED_HASH, STORED_PASSWORD);
    t[0].gated = 1;
    for (int i = 0; i < 3; i++)
        assert_int_equal(hasher_submit(h, &t[i].job, &err), 0);
    wait_gate_entered(&r);
    /* Stopping while job 0 runs and jobs 1 and 2 wait: they are failed at once, on the
     * stopping thread, before it waits for the running one. */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper, h), 0);
    wait_done(&r, 3);
    open_gate(&r);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.order[0], 0);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(r.calls[i], 1);
        assert_int_equal(t[i].job.rc, -1);
        assert_int_equal(t[i].job.err.code, ERR_UNAVAILABLE);
        assert_int_equal(t[i].job.match, 0);
    }
    assert_int_equal(t[0].job.rc, 0);
    assert_int_equal(t[0].job.match, 1);
    record_free(&r);
}

static void test_without_pool(void **state)
{
    (void)state;
    record r;
    record_init(&r);
    error err;
    tjob t;
    verify_job(&t, &r, 0, STORED_HASH, STORED_PASSWORD);
    assert_int_equal(hasher_submit(NULL, &t.job, &err), 0);
    assert_int_equal(r.n_done, 1); /* on this thread, before the return */
    assert_int_equal(t.job.match, 1);
    hasher_stop(NULL);
    record_free(&r);
}

static void test_bounds(void **state)
{
    (void)state;
    error err;
    assert_null(hasher_start(0, 4, &err));
    assert_string_equal(err.arg, "hash-threads");
    assert_null(hasher_start(HASHER_THREADS_MAX + 1, 4, &err));
    assert_null(hasher_start(1, 0, &err));
    assert_string_equal(err.arg, "hash-queue");
    assert_null(hasher_start(1, HASHER_QUEUE_MAX + 1, &err));
    hasher *h = hasher_start(2, 1, &err);
    assert_non_null(h);
    hasher_stop(h); /* idle: returns */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_outcomes),
        cmocka_unit_test(test_full_queue),
        cmocka_unit_test(test_stop_with_queued_jobs),
        cmocka_unit_test(test_without_pool),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

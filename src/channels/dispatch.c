/*
 * dispatch — the dispatcher loop of the outbox's channels and the guard of the test sends
 * (see dispatch.h). The loop reads and records through core only; what a message becomes on
 * the wire is the channel's callback. It never runs on an HTTP thread.
 */
#include "channels/dispatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/outbox.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/timeutil.h"

int64_t dispatch_backoff(int attempts, int base_s, int max_s)
{
    if (attempts < 1)
        attempts = 1;
    if (base_s < 1)
        base_s = 1;
    if (max_s < base_s)
        max_s = base_s;
    int64_t d = base_s;
    for (int i = 1; i < attempts && d < max_s; i++)
        d *= 2;
    return d > max_s ? max_s : d;
}

int64_t dispatch_throttle_take(dispatch_throttle *t, int64_t now_ms)
{
    if (t->rate <= 0)
        return 0;
    if (now_ms < t->next_ms)
        return t->next_ms - now_ms;
    int64_t step = 1000 / t->rate;
    t->next_ms = (t->next_ms > now_ms - step ? t->next_ms : now_ms) + (step > 0 ? step : 1);
    return 0;
}

/* The throttle of one collectivité's broadcast messages (tenant_id 0: of all of them, when
 * the rate is server-wide). */
typedef struct bulk_throttle {
    int64_t tenant_id;
    dispatch_throttle t;
    uint64_t rate_pass; /* the pass its rate was last asked in */
    uint64_t held_pass; /* the pass it ran out of slots in: skipped for the rest of it */
} bulk_throttle;

struct dispatcher {
    core *core;
    dispatch_config cfg;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake, stop;
    /* Dispatcher thread only: */
    bulk_throttle *bulk; /* broadcast messages' throttles, one per collectivité met */
    size_t n_bulk;
    uint64_t pass;   /* passes run, from 1 */
    int64_t held_ms; /* the last pass stopped at the throttle: wait this long */
    /* Broadcast messages' outcomes of the pass, recorded together (outbox_record_batch)
     * when the pass ends; their texts in pending_why. */
    outbox_outcome pending[DISPATCH_BATCH];
    char pending_why[DISPATCH_BATCH][DISPATCH_WHY_MAX];
    size_t n_pending;
};

/* What one message came to: handled (sent, retried or given up), or put off unattempted. */
typedef enum one_result { ONE_DONE, ONE_POSTPONED } one_result;

/* Records an outcome from the dispatcher's own thread, which may wait for the commit: the
 * next pass must not read the message as still due. */
static int record(dispatcher *d, const outbox_outcome *o, error *err)
{
    return outbox_record(d->core, o, NULL, NULL, err);
}

/* Records the pass's broadcast outcomes in one write. Until then their messages are still
 * due: the pass must flush before it ends, so that the next one does not send them again. */
static void flush_pending(dispatcher *d)
{
    if (d->n_pending == 0)
        return;
    error err = {0};
    if (outbox_record_batch(d->core, d->pending, d->n_pending, &err) != 0)
        log_error("%s: recording %zu broadcast outcome(s) failed: %s", d->cfg.log_name,
                  d->n_pending, err.detail);
    d->n_pending = 0;
}

/* Sends one message through the channel's callback and records the outcome (a broadcast's
 * with the pass's others, flush_pending); *down says whether its gateway was found
 * unreachable. */
static one_result process_one(dispatcher *d, const store_outbox *msg, dispatch_down *down)
{
    const char *name = d->cfg.log_name;
    int64_t t0 = time_mono_ms();
    dispatch_attempt at;
    memset(&at, 0, sizeof at);
    d->cfg.send(d->cfg.ctx, msg, &at);
    at.why[sizeof at.why - 1] = '\0';
    int64_t now = time_now();
    error err = {0};
    if (at.postpone_s > 0) {
        /* Nowhere to send it yet: it waits, without an attempt counted, and leaves the front
         * of the due list to the messages that can go. */
        outbox_outcome later = {.id = msg->id,
                                .attempts = msg->attempts,
                                .when = now,
                                .next_attempt_at = now + at.postpone_s,
                                .last_error = at.why};
        if (record(d, &later, &err) != 0)
            log_error("%s: outbox %lld: postponing it failed: %s", name, (long long)msg->id,
                      err.detail);
        return ONE_POSTPONED;
    }
    int attempts = msg->attempts + 1;
    outbox_outcome o = {.id = msg->id,
                        .sent = at.sent,
                        .attempts = attempts,
                        .when = now,
                        .message_id = msg->message_id};
    if (!at.sent) {
        o.failed = at.permanent || attempts >= d->cfg.max_attempts;
        o.next_attempt_at =
            now + dispatch_backoff(attempts, d->cfg.backoff_s, d->cfg.backoff_max_s);
        o.last_error = at.why;
    }
    int wrc = 0;
    if (msg->priority > 0 && d->n_pending < DISPATCH_BATCH) {
        /* A broadcast's: a batch's outcomes make one commit (the pass's arena holds msg's
         * strings until then; the reason is copied). */
        char *why = d->pending_why[d->n_pending];
        snprintf(why, DISPATCH_WHY_MAX, "%s", at.why);
        if (o.last_error)
            o.last_error = why;
        d->pending[d->n_pending++] = o;
    } else {
        wrc = record(d, &o, &err);
    }
    long long ms = (long long)(time_mono_ms() - t0);
    if (at.sent)
        log_info("%s: outbox %lld template %s sent (%lld ms)", name, (long long)msg->id,
                 msg->template, ms);
    else if (o.failed)
        log_warn("%s: outbox %lld template %s given up after %d attempt(s): %s", name,
                 (long long)msg->id, msg->template, attempts, at.why);
    else
        log_warn("%s: outbox %lld template %s not sent (attempt %d, next in %llds): %s", name,
                 (long long)msg->id, msg->template, attempts, (long long)(o.next_attempt_at - now),
                 at.why);
    if (wrc != 0)
        log_error("%s: outbox %lld: recording the outcome failed: %s", name, (long long)msg->id,
                  err.detail);
    *down = at.sent ? DISPATCH_UP : at.down;
    return ONE_DONE;
}

static int should_stop(dispatcher *d)
{
    pthread_mutex_lock(&d->mu);
    int stop = d->stop;
    pthread_mutex_unlock(&d->mu);
    return stop;
}

/* The throttle of tenant_id's broadcast messages (the one of all when the rate is
 * server-wide), its rate asked again at each pass; NULL when out of memory. */
static bulk_throttle *throttle_for(dispatcher *d, int64_t tenant_id)
{
    int64_t key = d->cfg.broadcast_rate_of ? tenant_id : 0;
    size_t i = 0;
    while (i < d->n_bulk && d->bulk[i].tenant_id != key)
        i++;
    if (i == d->n_bulk) {
        bulk_throttle *more = realloc(d->bulk, (d->n_bulk + 1) * sizeof *more);
        if (!more)
            return NULL;
        d->bulk = more;
        d->bulk[d->n_bulk++] = (bulk_throttle){
            .tenant_id = key, .t = {.rate = d->cfg.broadcast_rate > 0 ? d->cfg.broadcast_rate : 0}};
    }
    bulk_throttle *b = &d->bulk[i];
    if (d->cfg.broadcast_rate_of && b->rate_pass != d->pass) {
        int rate = d->cfg.broadcast_rate_of(d->cfg.ctx, tenant_id);
        b->t.rate = rate > 0 ? rate : 0;
        b->rate_pass = d->pass;
    }
    return b;
}

/* Sleeps up to ms unless woken or stopped meanwhile: 1 when woken or stopped, else 0. */
static int pause_ms(dispatcher *d, int64_t ms)
{
    pthread_mutex_lock(&d->mu);
    time_cond_wait_ms(&d->cv, &d->mu, ms, &d->stop, &d->wake);
    int woken = d->stop || d->wake;
    pthread_mutex_unlock(&d->mu);
    return woken;
}

/* Takes a slot of b for a broadcast message, waiting for it inside the pass while the
 * pass's time lasts (so that a batch's outcomes make one write rather than one a pass).
 * 0 when the message may go; otherwise the ms still to wait, and *end 1 when the pass must
 * end (woken: a stop, or a pass asked for). */
static int64_t throttle_wait(dispatcher *d, bulk_throttle *b, int64_t pass_end, int *end)
{
    int64_t wait;
    while ((wait = dispatch_throttle_take(&b->t, time_mono_ms())) > 0 &&
           time_mono_ms() + wait <= pass_end)
        if (pause_ms(d, wait)) {
            *end = 1;
            return wait;
        }
    return wait;
}

static int tenant_in(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* One pass over the channel's due messages. Returns the number handled (those put off for
 * want of a relay are not counted: going again at once would find them again). */
static size_t run_pass(dispatcher *d)
{
    arena a;
    arena_init(&a, 0);
    store_outbox *msgs = NULL;
    size_t n = 0, handled = 0;
    error err = {0};
    if (outbox_due(d->core, d->cfg.channel, time_now(), DISPATCH_BATCH, &a, &msgs, &n, &err) != 0) {
        log_error("%s: reading the outbox failed: %s", d->cfg.log_name, err.detail);
        arena_free(&a);
        return 0;
    }
    /* A collectivité's gateway found down is not tried again in this pass: its other
     * messages would each wait for the same failure (up to the timeout). They stay due and
     * are tried on the next passes; the other collectivités' messages go on. */
    int64_t down[DISPATCH_BATCH]; /* collectivités whose gateway was found down */
    size_t n_down = 0;
    d->held_ms = 0;
    d->pass++;
    /* A pass waits for its broadcasts' slots at most a poll interval: then it ends, so that
     * a notice queued meanwhile is read at the next one, at most that much later than
     * without a broadcast. */
    int64_t pass_end = time_mono_ms() + d->cfg.poll_ms;
    for (size_t i = 0; i < n && !should_stop(d); i++) {
        if (tenant_in(down, n_down, msgs[i].tenant_id))
            continue;
        /* Broadcasts come after every due notice (outbox_due's order) and at the configured
         * rate, each collectivité's throttle its own: one out of slots for this pass leaves
         * the rest of the batch to the others. */
        if (msgs[i].priority > 0) {
            bulk_throttle *b = throttle_for(d, msgs[i].tenant_id);
            if (!b || b->held_pass == d->pass)
                continue;
            int end = 0;
            int64_t wait = throttle_wait(d, b, pass_end, &end);
            if (wait > 0) {
                b->held_pass = d->pass;
                if (!d->held_ms || wait < d->held_ms)
                    d->held_ms = wait;
                if (end)
                    break;
                continue;
            }
        }
        dispatch_down gw = DISPATCH_UP;
        one_result one = process_one(d, &msgs[i], &gw);
        if (one == ONE_POSTPONED)
            continue;
        handled++;
        if (gw == DISPATCH_DOWN_TENANT && n_down < DISPATCH_BATCH)
            down[n_down++] = msgs[i].tenant_id;
    }
    flush_pending(d);
    arena_free(&a);
    return handled;
}

static void *dispatcher_main(void *arg)
{
    dispatcher *d = arg;
    for (;;) {
        size_t handled = run_pass(d);
        pthread_mutex_lock(&d->mu);
        /* A full batch may have more behind it: go again at once. */
        if (!d->stop && !d->wake && (handled < DISPATCH_BATCH || d->held_ms)) {
            int64_t wait_ms =
                d->held_ms && d->held_ms < d->cfg.poll_ms ? d->held_ms : d->cfg.poll_ms;
            pthread_mutex_unlock(&d->mu);
            pause_ms(d, wait_ms);
            pthread_mutex_lock(&d->mu);
        }
        d->wake = 0;
        int stop = d->stop;
        pthread_mutex_unlock(&d->mu);
        if (stop)
            break;
    }
    return NULL;
}

static void dispatcher_free(dispatcher *d)
{
    free(d->bulk);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

dispatcher *dispatcher_start(core *c, const dispatch_config *cfg, error *err)
{
    if (!cfg || !cfg->channel || !cfg->log_name || !cfg->send) {
        error_set(err, ERR_INVALID_ARG, "dispatch", "a dispatcher needs a channel and a sender");
        return NULL;
    }
    dispatcher *d = calloc(1, sizeof *d);
    if (!d) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    d->core = c;
    d->cfg = *cfg;
    if (d->cfg.poll_ms <= 0)
        d->cfg.poll_ms = DISPATCH_DEFAULT_POLL_MS;
    if (d->cfg.backoff_s <= 0)
        d->cfg.backoff_s = DISPATCH_DEFAULT_BACKOFF_S;
    if (d->cfg.backoff_max_s <= 0)
        d->cfg.backoff_max_s = DISPATCH_DEFAULT_BACKOFF_MAX_S;
    if (d->cfg.max_attempts <= 0)
        d->cfg.max_attempts = DISPATCH_DEFAULT_MAX_ATTEMPTS;
    pthread_mutex_init(&d->mu, NULL);
    time_cond_init(&d->cv);
    if (pthread_create(&d->thread, NULL, dispatcher_main, d) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "could not start the %s thread", cfg->log_name);
        dispatcher_free(d);
        return NULL;
    }
    d->started = 1;
    return d;
}

const dispatch_config *dispatcher_config(const dispatcher *d)
{
    return &d->cfg;
}

void dispatcher_wake(dispatcher *d)
{
    if (!d || !d->started)
        return;
    pthread_mutex_lock(&d->mu);
    d->wake = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

void dispatcher_stop(dispatcher *d)
{
    if (!d)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_signal(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
    }
    dispatcher_free(d);
}

/* ---- the test sends ---- */

/* Process-wide: a test is started by a request handler, which reaches the core but no
 * dispatcher; the server's stop drains them all. */
static pthread_mutex_t tests_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tests_cv = PTHREAD_COND_INITIALIZER;
static int tests_running;

typedef struct test_thread {
    void (*fn)(void *arg);
    void *arg;
} test_thread;

static void *test_main(void *p)
{
    test_thread t = *(test_thread *)p;
    free(p);
    t.fn(t.arg);
    pthread_mutex_lock(&tests_mu);
    if (--tests_running == 0)
        pthread_cond_broadcast(&tests_cv);
    pthread_mutex_unlock(&tests_mu);
    return NULL;
}

/* Runs fn(arg) on a counted thread. -1 with ERR_INTERNAL when the thread cannot start: fn
 * is then not called, arg stays the caller's. */
static int test_run(void (*fn)(void *arg), void *arg, error *err)
{
    test_thread *t = malloc(sizeof *t);
    if (!t)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    t->fn = fn;
    t->arg = arg;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        free(t);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    /* Detached: nobody joins it; the count is what the stop waits for. */
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&tests_mu);
    tests_running++;
    pthread_t th;
    int rc = pthread_create(&th, &attr, test_main, t);
    if (rc != 0)
        tests_running--;
    pthread_mutex_unlock(&tests_mu);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(t);
        return error_set(err, ERR_INTERNAL, NULL, "could not start the test's thread");
    }
    return 0;
}

typedef struct test_job {
    dispatch_test t;
    dispatch_test_fn send;
    core_done_fn cb;
    void *ctx;
} test_job;

static void test_job_free(test_job *j)
{
    free(j->t.to);
    free(j->t.subject);
    free(j->t.text);
    free(j);
}

static void test_job_main(void *arg)
{
    test_job *j = arg;
    error err = {0};
    int rc = j->send(&j->t, &err);
    j->cb(j->ctx, rc, &err);
    test_job_free(j);
}

int dispatch_test_send(core *c, int64_t tenant_id, const char *to, const char *subject,
                       const char *text, char *answer_out, size_t cap, dispatch_test_fn send,
                       core_done_fn cb, void *ctx, error *err)
{
    if (!to || !text || !answer_out || cap == 0 || !send || !cb)
        return error_set(err, ERR_INVALID_ARG, "to", "a test message needs its recipient");
    test_job *j = calloc(1, sizeof *j);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->t = (dispatch_test){.core = c,
                           .tenant_id = tenant_id,
                           .to = strdup(to),
                           .subject = subject ? strdup(subject) : NULL,
                           .text = strdup(text),
                           .answer = answer_out,
                           .cap = cap};
    j->send = send;
    j->cb = cb;
    j->ctx = ctx;
    answer_out[0] = '\0';
    if (!j->t.to || !j->t.text || (subject && !j->t.subject)) {
        test_job_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    /* A counted thread: the server's stop waits for it before it frees the core. */
    if (test_run(test_job_main, j, err) != 0) {
        test_job_free(j);
        return -1;
    }
    return 0;
}

void dispatch_test_drain(void)
{
    pthread_mutex_lock(&tests_mu);
    if (tests_running > 0)
        log_info("waiting for %d test message(s) to end", tests_running);
    while (tests_running > 0)
        pthread_cond_wait(&tests_cv, &tests_mu);
    pthread_mutex_unlock(&tests_mu);
}

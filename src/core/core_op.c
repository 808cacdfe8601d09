/*
 * core_op — queuing a core operation's write job and reporting its outcome (see core_op.h).
 */
#include "core/core_op.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/jobs.h"

void *core_op_new(size_t size, int (*apply)(store *s, core_op *op, error *err))
{
    core_op *op = calloc(1, size < sizeof *op ? sizeof *op : size);
    if (!op)
        return NULL;
    arena_init(&op->a, 0);
    op->apply = apply;
    return op;
}

void core_op_free(void *p)
{
    core_op *op = p;
    if (!op)
        return;
    arena_free(&op->a);
    free(op);
}

static int op_apply(store *s, void *arg, error *err)
{
    core_op *op = arg;
    return op->apply(s, op, err);
}

static void op_done(void *arg, int rc, const error *err)
{
    core_op *op = arg;
    error local;
    error_clear(&local);
    if (rc != 0 && err)
        local = *err;
    if (op->finish)
        op->finish(op, &rc, &local);
    core_done_fn cb = op->cb;
    void *ctx = op->ctx;
    if (op->core)
        jobs_after_commit(op->core);
    core_op_free(op);
    cb(ctx, rc, rc != 0 ? &local : NULL);
}

/* The one job of core_op_submit's chain, queued on the writer. */
typedef struct op_queue {
    store *s;
    store_job *job;
} op_queue;

static int op_start(void *arg, error *err)
{
    (void)err;
    op_queue *q = arg;
    store_write(q->s, q->job);
    return 0;
}

int core_op_submit(core *c, void *p, core_done_fn cb, void *ctx, error *err)
{
    core_op *op = p;
    op->job.apply = op_apply;
    op->job.done = op_done;
    op->job.arg = op;
    op->core = c;
    op_queue q = {c->store, &op->job};
    return core_op_chain(&op->cb, &op->ctx, cb, ctx, op_start, &q, err);
}

int core_op_chain(core_done_fn *chain_cb, void **chain_ctx, core_done_fn cb, void *ctx,
                  int (*start)(void *arg, error *err), void *arg, error *err)
{
    core_waiter waiter;
    if (cb) {
        *chain_cb = cb;
        *chain_ctx = ctx;
    } else {
        core_waiter_init(&waiter);
        *chain_cb = core_waiter_done;
        *chain_ctx = &waiter;
    }
    /* Once start has queued, the chain may end and free what holds *chain_cb at any time
     * on the writer thread: nothing of it is read after. */
    if (start(arg, err) != 0) {
        if (!cb) { /* the waiter, never told: told now, only to be destroyed */
            core_waiter_done(&waiter, -1, err);
            core_waiter_wait(&waiter, NULL);
        }
        return -1;
    }
    return cb ? 0 : core_waiter_wait(&waiter, err);
}

/* ---- chains starting on the password pool ---- */

/* A pool job and where the chain goes next. */
typedef struct pw_link {
    hasher_job job;
    core *c;
    core_op *op;           /* core_op_submit_hashed: the op the hash goes into */
    char *hash;            /* inside op */
    core_verified_fn then; /* core_verify_then */
    void *arg;
    core_done_fn cb; /* the chain's end, set by core_op_chain */
    void *ctx;
} pw_link;

static void link_free(pw_link *l)
{
    hasher_job_wipe(&l->job);
    free(l);
}

static void ignore_done(void *ctx, int rc, const error *err)
{
    (void)ctx;
    (void)rc;
    (void)err;
}

/* Queues the link's job; refused (the pool is full), frees everything the chain holds, as
 * core_op_chain's start must: the refusal itself is the caller's return value. */
static int link_start(void *arg, error *err)
{
    pw_link *l = arg;
    error e;
    error_clear(&e);
    if (hasher_submit(l->c->hasher, &l->job, &e) == 0)
        return 0;
    if (err)
        *err = e;
    if (l->op) {
        int rc = -1;
        if (l->op->finish)
            l->op->finish(l->op, &rc, &e);
        core_op_free(l->op);
    } else {
        l->then(l->arg, -1, 0, &e, ignore_done, NULL);
    }
    link_free(l);
    return -1;
}

static void hashed(hasher_job *job)
{
    pw_link *l = job->ctx;
    core *c = l->c;
    core_op *op = l->op;
    core_done_fn cb = l->cb;
    void *ctx = l->ctx;
    int rc = job->rc;
    error e = job->err;
    if (rc == 0)
        memcpy(l->hash, job->hash, PASSWORD_HASH_LEN);
    link_free(l);
    if (rc == 0 && core_op_submit(c, op, cb, ctx, &e) == 0)
        return;
    if (rc == 0) { /* not queued (cannot happen today: the writer takes every job) */
        cb(ctx, -1, &e);
        return;
    }
    /* The op never ran: its finish, which wipes what it holds, runs now. */
    if (op->finish)
        op->finish(op, &rc, &e);
    core_op_free(op);
    cb(ctx, -1, &e);
}

int core_op_submit_hashed(core *c, void *op, const char *password, char *hash, core_done_fn cb,
                          void *ctx, error *err)
{
    pw_link *l = calloc(1, sizeof *l);
    if (!l) {
        int rc = -1;
        core_op *o = op;
        error e;
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        if (o->finish)
            o->finish(o, &rc, &e);
        core_op_free(op);
        if (err)
            *err = e;
        return -1;
    }
    l->c = c;
    l->op = op;
    l->hash = hash;
    hasher_job_hash(&l->job, password, hashed, l);
    return core_op_chain(&l->cb, &l->ctx, cb, ctx, link_start, l, err);
}

static void verified(hasher_job *job)
{
    pw_link *l = job->ctx;
    core_verified_fn then = l->then;
    void *arg = l->arg;
    core_done_fn cb = l->cb;
    void *ctx = l->ctx;
    int rc = job->rc, match = job->match;
    error e = job->err;
    link_free(l);
    then(arg, rc, match, rc != 0 ? &e : NULL, cb, ctx);
}

int core_verify_then(core *c, const char *hash, const char *password, core_verified_fn then,
                     void *arg, core_done_fn cb, void *ctx, error *err)
{
    pw_link *l = calloc(1, sizeof *l);
    if (!l) {
        error e;
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        then(arg, -1, 0, &e, ignore_done, NULL);
        if (err)
            *err = e;
        return -1;
    }
    l->c = c;
    l->then = then;
    l->arg = arg;
    hasher_job_verify(&l->job, hash, password, verified, l);
    return core_op_chain(&l->cb, &l->ctx, cb, ctx, link_start, l, err);
}

/* The job and the waiter of core_password_hash_wait. */
typedef struct hash_wait {
    hasher_job job;
    core_waiter w;
} hash_wait;

static void hash_waited(hasher_job *job)
{
    hash_wait *hw = job->ctx;
    core_waiter_done(&hw->w, job->rc, &job->err);
}

int core_password_hash_wait(core *c, const char *password, char out[PASSWORD_HASH_LEN], error *err)
{
    hash_wait hw;
    core_waiter_init(&hw.w);
    hasher_job_hash(&hw.job, password, hash_waited, &hw);
    if (hasher_submit(c->hasher, &hw.job, err) != 0) {
        core_waiter_done(&hw.w, -1, err); /* never told: told now, only to be destroyed */
        core_waiter_wait(&hw.w, NULL);
        return -1;
    }
    int rc = core_waiter_wait(&hw.w, err);
    if (rc == 0)
        memcpy(out, hw.job.hash, PASSWORD_HASH_LEN);
    hasher_job_wipe(&hw.job);
    return rc;
}

/*
 * core_op — queuing a core operation's write job and reporting its outcome (see core_op.h).
 */
#include "core/core_op.h"

#include <stdlib.h>

#include "core/core_internal.h"

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

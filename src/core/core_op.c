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

int core_op_submit(core *c, void *p, core_done_fn cb, void *ctx, error *err)
{
    core_op *op = p;
    op->job.apply = op_apply;
    op->job.done = op_done;
    op->job.arg = op;
    return core_write(c, &op->job, &op->cb, &op->ctx, cb, ctx, err);
}

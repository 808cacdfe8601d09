/*
 * core_op — the write job of a core operation, for core modules only: the operation's
 * state (its struct starts with a core_op) is allocated on the heap with an arena for its
 * strings, queued to the writer, and freed once its outcome is reported. With a callback
 * the caller is told from the writer thread after the durable commit (entrances suspend
 * meanwhile); without one the call waits (command line, tests).
 */
#ifndef GUICHET_CORE_OP_H
#define GUICHET_CORE_OP_H

#include <stddef.h>

#include "core/core.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct core_op core_op;
struct core_op {
    store_job job; /* job.arg is the op itself */
    arena a;       /* the operation's copies of its inputs and what it reads */
    /* Runs in the writer's transaction: the operation's change. */
    int (*apply)(store *s, core_op *op, error *err);
    /* Runs after the commit (rc 0) or the failure, on the writer thread, before the caller
     * is told: copies results out, wipes secrets. May be NULL. It may change *rc and *err
     * (e.g. to report a refusal decided in apply as the outcome). */
    void (*finish)(core_op *op, int *rc, error *err);
    core_done_fn cb;
    void *ctx;
};

/* A zeroed op of `size` bytes (a struct whose first member is a core_op) with its arena
 * and apply; NULL when out of memory. */
void *core_op_new(size_t size, int (*apply)(store *s, core_op *op, error *err));
/* Frees an op that was never submitted. Accepts NULL. */
void core_op_free(void *op);
/* Queues op (which it takes). With cb, returns 0 at once and cb(ctx, rc, err) follows the
 * commit; without cb, waits and returns the outcome (-1 with err). */
int core_op_submit(core *c, void *op, core_done_fn cb, void *ctx, error *err);

/* Runs a chain of write jobs (one op, or an op whose outcome queues the next) that reports
 * its end once, on the writer thread, by calling *chain_cb(*chain_ctx, rc, err). Sets those
 * first: to cb and ctx, then returns start's outcome at once; or, with cb NULL, to a
 * waiter, and returns the chain's outcome once it is over. start(arg, err) queues the first
 * job: 0, or -1 with err when nothing was queued (it then frees what the chain held, and
 * the end is never reported). */
int core_op_chain(core_done_fn *chain_cb, void **chain_ctx, core_done_fn cb, void *ctx,
                  int (*start)(void *arg, error *err), void *arg, error *err);

#endif

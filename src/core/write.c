/*
 * write — how a core operation hands its prepared job to the store's writer, in the callback
 * form every web and API entrance uses, or waiting (the command line, tests).
 */
#include "core/core_internal.h"

int core_write(core *c, store_job *job, core_done_fn *job_cb, void **job_ctx, core_done_fn cb,
               void *ctx, error *err)
{
    core_waiter waiter;
    if (cb) {
        *job_cb = cb;
        *job_ctx = ctx;
    } else {
        core_waiter_init(&waiter);
        *job_cb = core_waiter_done;
        *job_ctx = &waiter;
    }
    store_write(c->store, job);
    return cb ? 0 : core_waiter_wait(&waiter, err);
}

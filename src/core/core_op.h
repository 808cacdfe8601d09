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
#include "core/hasher.h"
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
    core *core; /* set by core_op_submit: who is told of jobs it scheduled (core/jobs.h) */
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

/* ---- chains that start with Argon2id on the password pool (core/hasher.h) ----
 * The hash or the check runs on the pool, never on the caller's thread (a server thread)
 * nor on the writer's; both return as core_op_chain does, and -1 at once with
 * ERR_UNAVAILABLE when the pool's queue is full. */

/* Hashes password into hash (PASSWORD_HASH_LEN bytes inside op), then submits op, which it
 * takes whatever happens (an op that never runs gets its finish with rc -1, then is freed). */
int core_op_submit_hashed(core *c, void *op, const char *password, char *hash, core_done_fn cb,
                          void *ctx, error *err);

/* What follows a password check, on the pool's thread: rc 0 and match (1 when the password
 * matches), or rc -1 and err (the pool stopped, or refused the check at once: then cb is a
 * no-op, the refusal being core_verify_then's return value). It ends the chain by calling
 * cb(ctx, …) once, itself or through a job it queues, and frees arg. */
typedef void (*core_verified_fn)(void *arg, int rc, int match, const error *err, core_done_fn cb,
                                 void *ctx);
/* Checks password against hash (NULL: no account; the dummy hash makes it cost the same),
 * then calls then(arg, …), exactly once whatever happens. */
int core_verify_then(core *c, const char *hash, const char *password, core_verified_fn then,
                     void *arg, core_done_fn cb, void *ctx, error *err);

/* Hashes password into out through the pool, waiting (the command line: the demo's agents). */
int core_password_hash_wait(core *c, const char *password, char out[PASSWORD_HASH_LEN], error *err);

#endif

/*
 * change — how core runs one administrative change as one write job (a core_op,
 * core/core_op.h): the access rule (an admin, the command line or the system), the change's
 * own apply, then, in the same transaction, the audit entry of who made it (audit_change_tx:
 * only for the actors the policy audits), an optional catalogue reload once it is durable,
 * and the outcome given to a callback (entrances that suspend) or to the caller waiting for
 * it (cb NULL: the command line, tests). Private to core: entrances call the operations built
 * on it (admin.h, apikey.h, agent.h, retention.h).
 */
#ifndef GUICHET_CORE_CHANGE_H
#define GUICHET_CORE_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/store.h"
#include "util/error.h"

/* The change itself, inside the job's transaction: arg is the job's own copy of what the
 * operation passed; *id receives the record changed (0: none), which the audit entry names
 * and the caller gets back. */
typedef int (*change_apply_fn)(store *s, void *arg, int64_t *id, error *err);

typedef struct change_def {
    const char *action; /* the audit entry's action: "admin", "approve", ... */
    const char *kind;   /* its object kind: "department", "agent", "apikey", ... */
    change_apply_fn apply;
    int reload_catalogue; /* 1: reload the catalogue after the commit (tenants, departments,
                             procedures), so that this process sees the change at once */
} change_def;

/* Refuses with ERR_FORBIDDEN (at once, no callback) a change by anyone but an admin agent of
 * tenant_id (who->agent set, as actor_of_agent gives it), the command line or the system.
 * Then runs def->apply over a copy of arg (arg_size bytes) as one write job of tenant_id,
 * with its audit entry for `who` (whose strings are copied). Pointers inside arg and id_out
 * must stay valid until the outcome: the caller's stack when it waits, the request's arena
 * when it is suspended. cb NULL: waits and returns the outcome (0 or -1 with err). Otherwise
 * returns 0 once queued, and cb(ctx, rc, err) is called once the change is durable or failed
 * (from the writer's thread); -1 with err (and no callback) when it could not be queued.
 * *id_out (may be NULL) is set before the outcome. */
int change_run(core *c, const core_actor *who, int64_t tenant_id, const change_def *def,
               const void *arg, size_t arg_size, int64_t *id_out, core_done_fn cb, void *ctx,
               error *err);

/* change_run's checks and job, not queued yet, for a change that needs work first (a password
 * hashed on the pool: core_op_submit_hashed): the op, and in *arg_copy (may be NULL) its
 * copy of arg, which the caller may complete until it submits the op (core_op_submit*) or
 * frees it (core_op_free). NULL with err when refused. */
void *change_prepare(core *c, const core_actor *who, int64_t tenant_id, const change_def *def,
                     const void *arg, size_t arg_size, int64_t *id_out, void **arg_copy,
                     error *err);

#endif

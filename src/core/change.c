/*
 * change — one administrative change as one write job (see change.h).
 */
#include "core/change.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/catalogue.h"
#include "core/core_internal.h"
#include "core/perm.h"

typedef struct change_job {
    store_job job;
    core *c;
    core_actor who; /* a copy; its agent pointer is dropped (the audit needs none) */
    int64_t tenant_id;
    const change_def *def;
    int64_t id;
    int64_t *id_out;
    core_done_fn cb;
    void *ctx;
    max_align_t arg[]; /* the operation's argument, copied */
} change_job;

static int change_apply(store *s, void *arg, error *err)
{
    change_job *j = arg;
    if (j->def->apply(s, j->arg, &j->id, err) != 0)
        return -1;
    /* The entry commits with the change or not at all: never a change without its entry. */
    return audit_change_tx(s, j->tenant_id, &j->who, j->def->action, j->def->kind,
                           j->id ? &j->id : NULL, j->id ? 1 : 0, err);
}

static void change_done(void *arg, int rc, const error *err)
{
    change_job *j = arg;
    error local;
    error_clear(&local);
    if (rc != 0 && err)
        local = *err;
    /* Committed: the catalogue is read again before anyone is told, so that the page the
     * administrator is sent to shows the change. */
    if (rc == 0 && j->def->reload_catalogue && catalogue_reload(j->c, &local) != 0)
        rc = -1;
    if (rc == 0 && j->id_out)
        *j->id_out = j->id;
    core_done_fn cb = j->cb;
    void *ctx = j->ctx;
    free(j);
    cb(ctx, rc, rc != 0 ? &local : NULL);
}

/* The access rule of every administrative change, whatever the entrance: an admin of the
 * collectivité, or whoever holds the database (the command line, the system). Keys, gateways
 * and citizens administer nothing. */
static int may_administer(const core_actor *who, int64_t tenant_id)
{
    switch (who ? who->kind : ACTOR_SYSTEM) {
    case ACTOR_CLI:
    case ACTOR_SYSTEM:
        return 1;
    case ACTOR_AGENT:
        return who->agent && who->agent->id == who->id && who->agent->tenant_id == tenant_id &&
               perm_can_admin(who->agent);
    case ACTOR_CITIZEN:
    case ACTOR_KEY:
    case ACTOR_GATEWAY:
        break;
    }
    return 0;
}

int change_run(core *c, const core_actor *who, int64_t tenant_id, const change_def *def,
               const void *arg, size_t arg_size, int64_t *id_out, core_done_fn cb, void *ctx,
               error *err)
{
    if (!may_administer(who, tenant_id))
        return error_set(err, ERR_FORBIDDEN, NULL,
                         "only an administrator of the collectivité may "
                         "make this change");
    change_job *j = calloc(1, sizeof *j + arg_size);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    memcpy(j->arg, arg, arg_size);
    j->c = c;
    j->who = who ? *who : actor_system;
    j->who.agent = NULL;
    j->tenant_id = tenant_id;
    j->def = def;
    j->id_out = id_out;
    core_waiter waiter;
    if (!cb) {
        core_waiter_init(&waiter);
        j->cb = core_waiter_done;
        j->ctx = &waiter;
    } else {
        j->cb = cb;
        j->ctx = ctx;
    }
    j->job.apply = change_apply;
    j->job.done = change_done;
    j->job.arg = j;
    store_write(c->store, &j->job);
    return cb ? 0 : core_waiter_wait(&waiter, err);
}

/*
 * change — one administrative change as one write job (see change.h).
 */
#include "core/change.h"

#include <string.h>

#include "core/audit.h"
#include "core/catalogue.h"
#include "core/core_op.h"
#include "core/perm.h"

typedef struct change_op {
    core_op op; /* first: the write job (core/core_op.h) */
    core *c;
    core_actor who; /* a copy, its strings in op.a; its agent pointer is dropped (the audit
                       needs none, and the caller's record may be gone by then) */
    int64_t tenant_id;
    const change_def *def;
    int64_t id;
    int64_t *id_out;
    max_align_t arg[]; /* the operation's argument, copied */
} change_op;

static int change_apply(store *s, core_op *op, error *err)
{
    change_op *ch = (change_op *)op;
    if (ch->def->apply(s, ch->arg, &ch->id, err) != 0)
        return -1;
    /* The entry commits with the change or not at all: never a change without its entry. */
    return audit_change_tx(s, ch->tenant_id, &ch->who, ch->def->action, ch->def->kind,
                           ch->id ? &ch->id : NULL, ch->id ? 1 : 0, err);
}

static void change_finish(core_op *op, int *rc, error *err)
{
    change_op *ch = (change_op *)op;
    /* Committed: the catalogue is read again before anyone is told, so that the page the
     * administrator is sent to shows the change. */
    if (*rc == 0 && ch->def->reload_catalogue && catalogue_reload(ch->c, err) != 0)
        *rc = -1;
    if (*rc == 0 && ch->id_out)
        *ch->id_out = ch->id;
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

void *change_prepare(core *c, const core_actor *who, int64_t tenant_id, const change_def *def,
                     const void *arg, size_t arg_size, int64_t *id_out, void **arg_copy, error *err)
{
    if (!may_administer(who, tenant_id)) {
        error_set(err, ERR_FORBIDDEN, NULL,
                  "only an administrator of the collectivité may make this change");
        return NULL;
    }
    change_op *ch = core_op_new(sizeof *ch + arg_size, change_apply);
    if (!ch) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    memcpy(ch->arg, arg, arg_size);
    ch->c = c;
    ch->who = who ? *who : actor_system;
    ch->who.agent = NULL;
    if (ch->who.source)
        ch->who.source = arena_strdup(&ch->op.a, ch->who.source);
    if (ch->who.name)
        ch->who.name = arena_strdup(&ch->op.a, ch->who.name);
    ch->tenant_id = tenant_id;
    ch->def = def;
    ch->id_out = id_out;
    ch->op.finish = change_finish;
    if (arg_copy)
        *arg_copy = ch->arg;
    return ch;
}

int change_run(core *c, const core_actor *who, int64_t tenant_id, const change_def *def,
               const void *arg, size_t arg_size, int64_t *id_out, core_done_fn cb, void *ctx,
               error *err)
{
    change_op *ch = change_prepare(c, who, tenant_id, def, arg, arg_size, id_out, NULL, err);
    return ch ? core_op_submit(c, ch, cb, ctx, err) : -1;
}

/*
 * request_route — «Re-router»: a request's routing rules evaluated again with what it holds
 * now (its procedure, field values and location), on the caller's thread from the
 * catalogue's snapshot, then the move written by the change job every agent's change runs
 * (request_change.c), which compares the department on the row the writer sees.
 */
#include <stdio.h>
#include <string.h>

#include "core/perm.h"
#include "core/request_internal.h"
#include "core/routing.h"

/* Copies what the job found on the row out of it before the caller is told. */
static void reroute_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    change_job *j = (change_job *)op;
    if (*rc == 0 && j->unchanged)
        j->reroute_out->unchanged = 1;
}

int request_reroute(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                    request_reroute_result *out, core_done_fn cb, void *ctx, error *err)
{
    memset(out, 0, sizeof *out);
    arena a;
    arena_init(&a, 0);
    store_request r;
    int rc = request_get_as(c, t, who, reference, &a, &r, err);
    if (rc == 0 && who && who->kind == ACTOR_AGENT && !perm_can_assign(who->agent, &r))
        rc = error_set(err, ERR_FORBIDDEN, NULL, "this agent may not route this request");
    const cat_procedure *p = rc == 0 ? catalogue_procedure_by_id(t, r.procedure_id) : NULL;
    if (rc == 0 && !p)
        rc = error_set(err, ERR_CONFLICT, "procedure", "the request's procedure is gone");
    routing_result res;
    if (rc == 0) {
        routing_facts facts = {.procedure = p,
                               .attributes = r.attributes,
                               .has_location = r.has_location,
                               .lat = r.lat,
                               .lon = r.lon};
        rc = routing_evaluate(c, t, &facts, &res, err);
    }
    int64_t current = rc == 0 ? r.department_id : 0;
    arena_free(&a);
    if (rc != 0)
        return -1;
    out->source = res.source;
    out->department_id = res.department_id ? res.department_id : current;
    if (res.rule)
        snprintf(out->rule, sizeof out->rule, "%s", res.rule->name);
    const cat_department *d = catalogue_department_by_id(t, res.department_id);
    if (!d || res.department_id == current) {
        /* Nothing to move it to, or nowhere new: answered at once, nothing written. */
        out->unchanged = 1;
        if (cb)
            cb(ctx, 0, NULL);
        return 0;
    }
    change_job *j = request_change_new(t, reference, who, CHANNEL_WEB);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_ROUTE;
    j->op.finish = reroute_finish;
    j->department_id = d->rec.id;
    j->department_code = arena_strdup(&j->op.a, d->rec.code);
    j->route_kind = routing_event_kind(res.source);
    j->route_body = res.rule ? arena_strdup(&j->op.a, res.rule->name) : NULL;
    j->reroute_out = out;
    if (!j->department_code || (res.rule && !j->route_body)) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

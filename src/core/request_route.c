/*
 * request_route — «Re-router»: a request's routing rules evaluated again with what it holds
 * now (its procedure, field values and location), on the caller's thread from the
 * catalogue's snapshot, then the move written by the change job every agent's change runs
 * (request_change.c), which compares the department on the row the writer sees; one request,
 * or a selection as one job (the back office's bulk action).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "core/request_internal.h"
#include "core/routing.h"
#include "util/log.h"

/* Copies what the job found on the row out of it before the caller is told. */
static void reroute_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    change_job *j = (change_job *)op;
    if (*rc == 0 && j->unchanged && j->reroute_out)
        j->reroute_out->unchanged = 1;
}

/* Evaluates request `reference`'s rules for who and prepares its move: the job (not
 * submitted), or NULL with *out filled and out->unchanged 1 when there is nothing to move
 * (rc 0), or NULL and -1 in *rc with err. */
static change_job *reroute_prepare(core *c, const cat_tenant *t, const char *reference,
                                   const core_actor *who, request_reroute_result *out, int *rc,
                                   error *err)
{
    memset(out, 0, sizeof *out);
    arena a;
    arena_init(&a, 0);
    store_request r;
    *rc = request_get_as(c, t, who, reference, &a, &r, err);
    if (*rc == 0 && who && who->kind == ACTOR_AGENT && !perm_can_assign(who->agent, &r))
        *rc = error_set(err, ERR_FORBIDDEN, NULL, "this agent may not route this request");
    const cat_procedure *p = *rc == 0 ? catalogue_procedure_by_id(t, r.procedure_id) : NULL;
    if (*rc == 0 && !p)
        *rc = error_set(err, ERR_CONFLICT, "procedure", "the request's procedure is gone");
    routing_result res;
    if (*rc == 0) {
        routing_facts facts = {.procedure = p,
                               .attributes = r.attributes,
                               .has_location = r.has_location,
                               .lat = r.lat,
                               .lon = r.lon};
        *rc = routing_evaluate(c, t, &facts, &res, err);
    }
    int64_t current = *rc == 0 ? r.department_id : 0;
    arena_free(&a);
    if (*rc != 0)
        return NULL;
    out->source = res.source;
    out->department_id = res.department_id ? res.department_id : current;
    if (res.rule)
        snprintf(out->rule, sizeof out->rule, "%s", res.rule->name);
    const cat_department *d = catalogue_department_by_id(t, res.department_id);
    if (!d || res.department_id == current) {
        /* Nothing to move it to, or nowhere new: nothing to write. */
        out->unchanged = 1;
        return NULL;
    }
    change_job *j = request_change_new(c, t, reference, who, CHANNEL_WEB, err);
    if (!j) {
        *rc = -1;
        return NULL;
    }
    j->kind = CHANGE_ROUTE;
    j->op.finish = reroute_finish;
    j->department_id = d->rec.id;
    j->department_code = arena_strdup(&j->op.a, d->rec.code);
    j->route_kind = routing_event_kind(res.source);
    j->route_body = res.rule ? arena_strdup(&j->op.a, res.rule->name) : NULL;
    if (!j->department_code || (res.rule && !j->route_body)) {
        core_op_free(j);
        *rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return j;
}

int request_reroute(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                    request_reroute_result *out, core_done_fn cb, void *ctx, error *err)
{
    int rc = 0;
    change_job *j = reroute_prepare(c, t, reference, who, out, &rc, err);
    if (!j) {
        if (rc == 0 && cb) /* answered at once: nothing written */
            cb(ctx, 0, NULL);
        return rc;
    }
    j->reroute_out = out;
    return core_op_submit(c, j, cb, ctx, err);
}

int request_reroute_many(core *c, const cat_tenant *t, const core_actor *who,
                         const char *const *references, size_t n, size_t *n_done, core_done_fn cb,
                         void *ctx, error *err)
{
    change_job **jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        request_reroute_result res;
        error ierr;
        error_clear(&ierr);
        int rc = 0;
        change_job *j = reroute_prepare(c, t, references[i], who, &res, &rc, &ierr);
        if (j) {
            jobs[k++] = j;
            continue;
        }
        if (rc != 0 && (ierr.code == ERR_INTERNAL || ierr.code == ERR_UNAVAILABLE)) {
            for (size_t m = 0; m < k; m++)
                core_op_free(jobs[m]);
            free(jobs);
            *err = ierr;
            return -1;
        }
        if (rc != 0) /* out of scope, not theirs to route: skipped as a bulk action does */
            log_info("batch: request %s not re-routed: %s", references[i], ierr.detail);
    }
    return request_batch_submit(c, t, who, jobs, k, n_done, NULL, cb, ctx, err);
}

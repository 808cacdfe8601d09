/*
 * procedure_key — the contact addresses' and SMS keywords' shared rule and write (see
 * procedure_key.h).
 */
#include "core/procedure_key.h"

#include "core/attrs.h"

int procedure_key_text_ok(const cat_procedure *p)
{
    if (!p || !p->rec.active)
        return 0;
    /* No answer to any question, as these entrances' policy (files and places aside, which
     * neither asks). */
    attrs_policy policy = {.ignore_unknown = 1, .files = 0, .locations = 0};
    arena a;
    arena_init(&a, 0);
    const char *json = NULL;
    error err;
    int ok = attrs_validate(&a, p->attrs, p->n_attrs, NULL, 0, &policy, &json, &err) == 0;
    arena_free(&a);
    return ok;
}

int procedure_key_add(core *c, const core_actor *who, const cat_tenant *t, const change_def *def,
                      procedure_key *k, const char *procedure_code,
                      int (*ok)(const cat_procedure *p), const char *why, core_done_fn cb,
                      void *ctx, error *err)
{
    const cat_procedure *p = procedure_code ? catalogue_procedure(t, procedure_code) : NULL;
    if (!ok(p))
        return error_set(err, ERR_INVALID_ARG, "procedure", "%s", why);
    k->procedure_id = p->rec.id;
    return change_run(c, who, t->rec.id, def, k, sizeof *k, NULL, cb, ctx, err);
}

/*
 * forms — a procedure's form versions, read from the store and parsed when a request filed
 * under an older one is shown.
 */
#include "core/forms.h"

#include "core/core_internal.h"
#include "util/log.h"

void forms_at(core *c, const cat_procedure *p, int version, arena *a, const attr_def **defs,
              size_t *n)
{
    forms_at_store(core_store(c), p, version, a, defs, n);
}

void forms_at_store(store *s, const cat_procedure *p, int version, arena *a, const attr_def **defs,
                    size_t *n)
{
    *defs = p->attrs;
    *n = p->n_attrs;
    if (version <= 0 || version == p->rec.form_version)
        return;
    store_procedure_version v;
    int found = 0;
    error err;
    attr_def *old = NULL;
    size_t n_old = 0;
    if (s->ops->catalogue.procedure_version_get(s, p->rec.tenant_id, p->rec.id, version, a, &v,
                                                &found, &err) != 0 ||
        !found || attrs_parse_definitions(a, v.definition, &old, &n_old, &err) != 0) {
        log_error("forms: version %d of procedure %s unreadable (%s), its current form is shown",
                  version, p->rec.code, found ? err.detail : "no such version");
        return;
    }
    *defs = old;
    *n = n_old;
}

int forms_history(core *c, const cat_procedure *p, arena *a, store_procedure_version **out,
                  size_t *n, error *err)
{
    store *s = core_store(c);
    return s->ops->catalogue.procedure_versions(s, p->rec.tenant_id, p->rec.id, a, out, n, err);
}

int forms_version(core *c, const cat_procedure *p, int version, arena *a,
                  store_procedure_version *out, int *found, error *err)
{
    store *s = core_store(c);
    return s->ops->catalogue.procedure_version_get(s, p->rec.tenant_id, p->rec.id, version, a, out,
                                                   found, err);
}

int forms_code_answered(core *c, const cat_procedure *p, const char *code, arena *a, int *answered,
                        error *err)
{
    *answered = 0;
    store_procedure_version *v = NULL;
    size_t n = 0;
    if (forms_history(c, p, a, &v, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n && !*answered; i++) {
        if (v[i].requests == 0)
            continue;
        store_procedure_version one;
        int found = 0;
        attr_def *defs = NULL;
        size_t n_defs = 0;
        error perr;
        if (forms_version(c, p, v[i].version, a, &one, &found, err) != 0)
            return -1;
        /* A version that no longer parses cannot say: its requests show the current form
         * (forms_at), so only the current codes count for it. */
        if (found && attrs_parse_definitions(a, one.definition, &defs, &n_defs, &perr) == 0)
            *answered = attrs_find(defs, n_defs, code) != NULL;
    }
    return 0;
}

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

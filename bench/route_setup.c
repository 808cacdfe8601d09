/*
 * route_setup — prepares a copy of the benchmark's demo database for the routed variant of
 * the durable creates (bench/run scenario 3): the collectivité's department areas replaced by
 * the grid of 1,000 (area_grid.h, their departments created), one routing rule on the
 * procedure posted, one of its fields holding a value and the location's own department
 * area, so that a routed POST checks the field, then finds the area among 1,000; and a new
 * version of the procedure's form with one more required question, BENCH_CONDITIONAL,
 * shown only when that field holds that value, so that a routed POST also evaluates a
 * condition and stores the question it shows. Prints one line of key=value pairs for
 * bench/run.
 *
 * usage: route_setup DB TENANT_SLUG PROCEDURE FIELD VALUE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/admin.h"
#include "core/area.h"
#include "core/catalogue.h"
#include "core/routing.h"
#include "store/store.h"

#include "area_grid.h"

#define BENCH_CONDITIONAL "precision_banc"

/* Procedure code's form plus the question BENCH_CONDITIONAL shown when field = value, saved
 * as the procedure's new version. */
static int add_conditional_question(core *c, const cat_tenant *t, const char *code,
                                    const char *field, const char *value, error *err)
{
    const cat_procedure *p = catalogue_procedure(t, code);
    if (!p)
        return error_set(err, ERR_NOT_FOUND, "procedure", "no procedure %s", code);
    json_t *defs = json_loads(p->rec.attributes ? p->rec.attributes : "[]", 0, NULL);
    json_t *q =
        json_pack("{s:s, s:s, s:b, s:b, s:s, s:s, s:{s:s, s:s}}", "code", BENCH_CONDITIONAL,
                  "datatype", "string", "required", 1, "variable", 1, "description", "Précision",
                  "description_en", "Detail", "show_if", "field", field, "equals", value);
    char *text = NULL;
    if (!json_is_array(defs) || !q || json_array_append_new(defs, q) != 0 ||
        !(text = json_dumps(defs, JSON_COMPACT))) {
        json_decref(defs);
        return error_set(err, ERR_INTERNAL, "attributes", "cannot extend the form of %s", code);
    }
    json_decref(defs);
    store_procedure rec = p->rec;
    rec.attributes = text;
    rec.version_by = "bench";
    rec.version_summary = "conditional question for the routed POST";
    int rc = admin_procedure_upsert(c, &rec, NULL, err);
    free(text);
    return rc;
}

static int fail(const char *what, const error *err)
{
    fprintf(stderr, "route_setup: %s: %s %s\n", what, err->arg, err->detail);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: route_setup DB TENANT_SLUG PROCEDURE FIELD VALUE\n");
        return 2;
    }
    error err;
    error_clear(&err);
    store *s = store_sqlite_open(argv[1], &err);
    core *c = NULL;
    if (!s || s->ops->migrate(s, &err) != 0 || !(c = core_open(s, NULL, &err)))
        return fail("open", &err);
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, argv[2]);
    int64_t tenant = t ? t->rec.id : 0;
    catalogue_release(c, cat);
    if (!tenant) {
        fprintf(stderr, "route_setup: no collectivité %s\n", argv[2]);
        return 1;
    }
    buf b;
    buf_init(&b, 256u * 1024 * 1024);
    if (area_grid_create(c, tenant, &b, &err) != 0)
        return fail("departments", &err);
    area_import_result r;
    long problems = 0;
    if (area_import(c, tenant, AREA_DEPARTMENT, b.data, b.len, NULL, NULL, &r, &problems, &err) !=
            0 ||
        problems)
        return fail("import", &err);
    buf_free(&b);
    cat = catalogue_acquire(c);
    t = catalogue_tenant_by_id(cat, tenant);
    routing_rule_input rule = {.name = "Banc d'essai",
                               .active = 1,
                               .procedure = argv[3],
                               .field = argv[4],
                               .value = argv[5],
                               .area = "own"};
    int rc = routing_rule_save(c, &actor_cli, t, &rule, NULL, NULL, NULL, &err);
    if (rc != 0) {
        catalogue_release(c, cat);
        return fail("rule", &err);
    }
    rc = add_conditional_question(c, t, argv[3], argv[4], argv[5], &err);
    catalogue_release(c, cat);
    if (rc != 0)
        return fail("form", &err);
    printf("areas=%zu positions=%zu rule=1 conditional=%s\n", r.imported, r.vertices,
           BENCH_CONDITIONAL);
    core_close(c);
    store_close(s);
    return 0;
}

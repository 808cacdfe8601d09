/*
 * route_setup — prepares a copy of the benchmark's demo database for the routed variant of
 * the durable creates (bench/run scenario 3): the collectivité's department areas replaced by
 * the grid of 1,000 (area_grid.h, their departments created), and one routing rule on the
 * procedure posted, one of its fields holding a value and the location's own department
 * area, so that a routed POST checks the field, then finds the area among 1,000. Prints one
 * line of key=value pairs for bench/run.
 *
 * usage: route_setup DB TENANT_SLUG PROCEDURE FIELD VALUE
 */
#include <stdio.h>
#include <string.h>

#include "core/area.h"
#include "core/catalogue.h"
#include "core/routing.h"
#include "store/store.h"

#include "area_grid.h"

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
    catalogue_release(c, cat);
    if (rc != 0)
        return fail("rule", &err);
    printf("areas=%zu positions=%zu rule=1\n", r.imported, r.vertices);
    core_close(c);
    store_close(s);
    return 0;
}

/*
 * fuzz_procdef — the procedure definitions' validator (procdef_check) on arbitrary bytes,
 * against a small database opened once. Checks what the import relies on: every problem is
 * reported with a text; a document accepted without a problem holds only what its checks let
 * through — codes set, each workflow keeping workflow_check's rules with its one initial
 * status, within the editor's bounds and every status reachable, each form passing attrs_check,
 * each area with a geometry — so that the write job never meets what the store would refuse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/attrs.h"
#include "core/procdef_internal.h"
#include "core/workflow_edit.h"
#include "test_db.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static test_db db;
static int64_t tenant;

static void close_db(void)
{
    test_db_close(&db);
}

static void open_db(void)
{
    CHECK(test_db_open(&db, "fuzz-procdef", NULL) == 0);
    store_tenant t = {.slug = "bourg", .name = "Bourg-Exemple", .timezone = "Europe/Paris"};
    error err;
    CHECK(admin_tenant_upsert(db.core, &t, &tenant, &err) == 0);
    store_department d = {.tenant_id = tenant, .code = "voirie", .name = "Voirie"};
    CHECK(admin_department_upsert(db.core, &d, NULL, &err) == 0);
    atexit(close_db);
}

static void count_problem(void *ctx, const char *where, const char *what)
{
    CHECK(where && what && *what);
    (*(long *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db.core)
        open_db();
    procdef_doc doc;
    long problems = 0, seen = 0;
    error err;
    error_clear(&err);
    CHECK(procdef_check(db.core, tenant, (const char *)data, size, &doc, count_problem, &seen,
                        &problems, &err) == 0);
    CHECK(problems >= 0 && seen == (problems < PROCDEF_PROBLEMS_MAX ? problems
                                                                    : PROCDEF_PROBLEMS_MAX));
    if (problems == 0) {
        for (size_t i = 0; i < doc.n_deps; i++)
            CHECK(doc.deps[i].rec.code && doc.deps[i].rec.name);
        for (size_t i = 0; i < doc.n_areas; i++)
            CHECK(doc.areas[i].code && doc.areas[i].geom.n_pts >= 4);
        for (size_t i = 0; i < doc.n_wfs; i++) {
            const cat_workflow *wf = &doc.wfs[i].wf;
            CHECK(wf->rec.code && wf->initial && wf->n_statuses >= 1);
            CHECK(workflow_edit_check(wf, NULL, 0) == 0 &&
                  workflow_check_reachable(wf, NULL, 0) == 0);
        }
        for (size_t i = 0; i < doc.n_procs; i++) {
            attrs_problem pb;
            CHECK(doc.procs[i].rec.code && doc.procs[i].rec.attributes);
            CHECK(attrs_check(doc.procs[i].rec.attributes, &pb) == 0);
        }
        for (size_t i = 0; i < doc.n_rules; i++)
            CHECK(doc.rules[i].rec.name);
    }
    procdef_doc_free(&doc);
    return 0;
}

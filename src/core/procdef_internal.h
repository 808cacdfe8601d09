/*
 * procdef_internal — what the document's writer (procdef_export.c) and its reader
 * (procdef_check.c, procdef_import.c) share: the words of its enumerations, so that what one
 * writes the other reads, and the checked document the import writes from.
 */
#ifndef GUICHET_CORE_PROCDEF_INTERNAL_H
#define GUICHET_CORE_PROCDEF_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/procdef.h"
#include "core/workflow.h"
#include "store/records.h"
#include "util/arena.h"

/* The words of procedure_kind and open311_detail, by value. */
extern const char *const procdef_kind_names[2];
extern const char *const procdef_detail_names[3];
/* Workflow wf of the store's rows as core/workflow.h holds one (its statuses pointing into
 * raw, its transitions copied into a), for workflow_edit_json and workflow_edit_diff. 0, or -1
 * when out of memory. */
int procdef_raw_workflow(arena *a, const store_catalogue *raw, const store_workflow *wf,
                         cat_workflow *out);

/* A department, area, workflow, procedure or rule of a checked document, with what the
 * database holds of it. Strings borrow from the document's JSON. */
typedef struct pd_department {
    store_department rec;
    int exists; /* rec.id is the database's */
} pd_department;

typedef struct pd_area {
    const char *code, *name, *department;
    area_geom geom;
    int exists; /* an area of that code is in the database: kept as it is */
} pd_area;

typedef struct pd_workflow {
    cat_workflow wf; /* its statuses and transitions as workflow_check reads them */
    int exists;
    int64_t id; /* the database's, once known */
} pd_workflow;

typedef struct pd_procedure {
    store_procedure rec; /* attributes: the form's text to store */
    const char *department, *workflow;
    int exists, form_changed;
} pd_procedure;

typedef struct pd_rule {
    store_routing_rule rec;
    const char *procedure, *department;
} pd_rule;

typedef struct procdef_doc {
    arena a;
    json_t *root;
    int64_t tenant_id;
    pd_department *deps;
    size_t n_deps;
    pd_area *areas;
    size_t n_areas;
    int64_t areas_next_position; /* after the database's department areas */
    pd_workflow *wfs;
    size_t n_wfs;
    pd_procedure *procs;
    size_t n_procs;
    int has_routing;
    const char *default_department; /* NULL: none */
    pd_rule *rules;
    size_t n_rules;
    /* The database's departments, by code, for the ids of those the document only names. */
    store_catalogue raw;
} procdef_doc;

/* Reads and checks text into *doc (see procdef_import): every problem to problem(ctx, …),
 * counted in *problems. -1 with err only for a failure of the store or of memory. The doc
 * is freed with procdef_doc_free whatever the outcome. */
int procdef_check(core *c, int64_t tenant_id, const char *text, size_t len, procdef_doc *doc,
                  procdef_problem_fn problem, void *ctx, long *problems, error *err);
void procdef_doc_free(procdef_doc *doc);

#endif

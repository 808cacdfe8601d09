/*
 * procdef — a collectivité's procedures as one JSON document, format "guichet-procedures"
 * version 1 (docs/procedures-format.md, schema docs/schemas/procedures.schema.json): its
 * departments, the department areas its routing needs, its workflows, its procedures with
 * their current form, and its routing rules, all by code. Written out stable (no ids, no
 * timestamps, a fixed key order), checked whole (every problem, with its place), and imported
 * in one write job, so that definitions move between databases and live in version control.
 */
#ifndef GUICHET_CORE_PROCDEF_H
#define GUICHET_CORE_PROCDEF_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/area_geom.h"
#include "core/core.h"
#include "util/error.h"

#define PROCDEF_FORMAT "guichet-procedures"
#define PROCDEF_VERSION 1

/* Bounds of what one document holds. Its size is an area file's: the areas' geometries are
 * most of it. */
#define PROCDEF_FILE_MAX AREA_FILE_MAX
/* JSON values of a document, counted before it is parsed (area_json_values): the areas'
 * positions and room for the rest. */
#define PROCDEF_JSON_VALUES_MAX (AREA_JSON_VALUES_MAX + 500000)
#define PROCDEF_DEPARTMENTS_MAX 500
#define PROCDEF_AREAS_MAX AREA_FEATURES_MAX
#define PROCDEF_WORKFLOWS_MAX 200
#define PROCDEF_STATUSES_MAX 64     /* of one workflow (WORKFLOW_LIST_MAX) */
#define PROCDEF_TRANSITIONS_MAX 500 /* of one workflow */
#define PROCDEF_PROCEDURES_MAX 1000
#define PROCDEF_CODE_MAX 64    /* bytes of a department's, workflow's or procedure's code */
#define PROCDEF_TEXT_MAX 2000  /* characters of a name or label */
#define PROCDEF_LONG_MAX 20000 /* characters of a description or notice */
/* Problems reported at most (the count goes on). */
#define PROCDEF_PROBLEMS_MAX 200

/* Writes tenant_id's definitions as the document's text (UTF-8, two-space indented, ending
 * with a newline): every department, workflow and procedure, the routing rules and default
 * department, and the department areas the rules need (the ones they name, or every one when
 * a rule routes to the department whose area holds the location). With code (not NULL), only
 * procedure `code` and what it refers to: its department and its workflow, and no routing
 * (routing rules are the collectivité's whole list; an import of such a file keeps it).
 * *out: caller frees with free. -1 with ERR_NOT_FOUND "code" when there is no such procedure,
 * or a failure of the store or of memory. */
int procdef_export(core *c, int64_t tenant_id, const char *code, char **out, error *err);

/* Called for each problem of a document: where (a path such as "workflows[0] (incident)" or
 * "procedures[2] (trou)", "document" for its top level, "" for the file as a whole: its size,
 * its syntax) and what (English). */
typedef void (*procdef_problem_fn)(void *ctx, const char *where, const char *what);

/* What an import did. */
typedef struct procdef_result {
    size_t departments_created, areas_created;
    size_t workflows_created, workflows_updated;
    size_t procedures_created, procedures_updated;
    size_t forms_changed; /* procedures given a new version of their form */
    int routing;          /* 1: the rules were replaced */
    size_t rules;         /* the rules written */
} procdef_result;

/* Checks the document text (len bytes) against itself and tenant_id's database: its shape
 * (strict: unknown members are problems), bounds, codes, each workflow against
 * workflow_edit_check (workflow_check's rules and the editor's bounds) then
 * workflow_check_reachable, each form against attrs_check, each area's geometry as an area
 * import checks it, references to departments, workflows, procedures, fields and areas (in
 * the document or the database), and that no workflow nor procedure changes so that requests
 * would be left in a status their workflow no longer has. Each problem goes to problem(ctx, …)
 * and is counted in *problems. With none, imports it as one write job by who (its "admin"
 * audit entry, kind "procedures"): departments and areas it names that do not exist are
 * created (existing ones are kept as they are), workflows are created or rewritten as the
 * editor saves them (workflow_edit_tx_write: the next version, by "cli") unless unchanged,
 * procedures are created or updated (a changed form makes the form's next version, by
 * "cli", summary "import"), and the routing rules and default department replaced when the
 * document has "routing". With problems, nothing is written (0 returned). -1 and err for a
 * failure of the store or of memory, or ERR_NOT_FOUND for an unknown tenant. */
int procdef_import(core *c, const core_actor *who, int64_t tenant_id, const char *text, size_t len,
                   procdef_problem_fn problem, void *ctx, procdef_result *out, long *problems,
                   error *err);

#endif

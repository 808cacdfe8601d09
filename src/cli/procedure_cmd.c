/*
 * procedure_cmd — the procedure commands: the export written to standard output; the
 * import's file read (bounded), every problem printed with its place, or what was done.
 */
#include "cli/procedure_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/file_read.h"
#include "cli/session.h"
#include "core/catalogue.h"
#include "core/procdef.h"

const opt_spec procedure_cmd_export_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"code", NULL, OPT_STRING, NULL, 0, 0, 0,
     "only this procedure, with its department and workflow (and no routing)"},
    {0}};

const opt_spec procedure_cmd_import_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"DEFINITIONS.json", NULL, OPT_ARG, NULL, 1, 0, 0,
     "a guichet-procedures document, as procedure export writes it (- for standard input)"},
    {0}};

static const char export_cmd[] = "guichet procedure export";
static const char import_cmd[] = "guichet procedure import";

/* The collectivité's id (and its slug into slug), or 0 after a message. */
static int64_t pick_tenant(const char *cmd, cli_session *s, const opt_values *v, char *slug,
                           size_t size)
{
    const catalogue *cat = catalogue_acquire(s->core);
    const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
    int64_t id = t ? t->rec.id : 0;
    snprintf(slug, size, "%s", t ? t->rec.slug : "");
    catalogue_release(s->core, cat);
    return id;
}

int procedure_cmd_export(const opt_values *v)
{
    cli_session s;
    if (cli_session_open(export_cmd, v, &s) != 0)
        return 1;
    int rc = 1;
    char slug[128];
    int64_t tenant_id = pick_tenant(export_cmd, &s, v, slug, sizeof slug);
    const char *code = opt_str(v, "code");
    if (tenant_id) {
        char *doc = NULL;
        error err;
        error_clear(&err);
        if (procdef_export(s.core, tenant_id, code && *code ? code : NULL, &doc, &err) != 0) {
            fprintf(stderr, "%s: %s\n", export_cmd,
                    err.detail[0] ? err.detail : err_name(err.code));
            rc = err.code == ERR_NOT_FOUND ? 2 : 1;
        } else {
            rc = fputs(doc, stdout) < 0 || fflush(stdout) != 0 ? 1 : 0;
            if (rc)
                fprintf(stderr, "%s: cannot write the document\n", export_cmd);
        }
        free(doc);
    }
    cli_session_close(&s);
    return rc;
}

static void print_problem(void *ctx, const char *where, const char *what)
{
    (void)ctx;
    if (where && *where)
        fprintf(stderr, "%s: %s: %s\n", import_cmd, where, what);
    else
        fprintf(stderr, "%s: %s\n", import_cmd, what);
}

/* The summary's line: what the import created and changed. */
static void print_summary(const char *slug, const procdef_result *r)
{
    printf("%s: for %s: %zu department(s) and %zu area(s) created; %zu workflow(s) created, "
           "%zu updated; %zu procedure(s) created, %zu updated (%zu new form version(s))",
           import_cmd, slug, r->departments_created, r->areas_created, r->workflows_created,
           r->workflows_updated, r->procedures_created, r->procedures_updated, r->forms_changed);
    if (r->routing)
        printf("; routing replaced (%zu rule(s))", r->rules);
    printf("\n");
}

int procedure_cmd_import(const opt_values *v)
{
    const char *path = opt_str(v, "DEFINITIONS.json");
    size_t len = 0;
    int too_large = 0;
    char *text = cli_file_read(import_cmd, path, PROCDEF_FILE_MAX, &len, &too_large);
    if (!text)
        return too_large ? 2 : 1;
    cli_session s;
    if (cli_session_open(import_cmd, v, &s) != 0) {
        free(text);
        return 1;
    }
    int rc = 1;
    char slug[128];
    int64_t tenant_id = pick_tenant(import_cmd, &s, v, slug, sizeof slug);
    if (tenant_id) {
        procdef_result r;
        long problems = 0;
        error err;
        error_clear(&err);
        if (procdef_import(s.core, &actor_cli, tenant_id, text, len, print_problem, NULL, &r,
                           &problems, &err) != 0) {
            fprintf(stderr, "%s: %s\n", import_cmd,
                    err.detail[0] ? err.detail : err_name(err.code));
        } else if (problems > 0) {
            fprintf(stderr, "%s: %ld problem(s)%s: nothing imported\n", import_cmd, problems,
                    problems > PROCDEF_PROBLEMS_MAX ? " (the first ones shown)" : "");
            rc = 2;
        } else {
            print_summary(slug, &r);
            rc = 0;
        }
    }
    cli_session_close(&s);
    free(text);
    return rc;
}

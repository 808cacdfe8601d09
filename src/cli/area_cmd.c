/*
 * area_cmd — the area commands: reads the GeoJSON file (bounded), hands it to core's
 * import, prints every problem with the feature it is in, or what was done; lists areas.
 */
#include "cli/area_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/file_read.h"
#include "cli/session.h"
#include "core/area.h"
#include "core/catalogue.h"

#define AREA_KIND_HELP "department, quartier or broadcast"

const opt_spec area_cmd_import_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"kind", NULL, OPT_STRING, NULL, 1, 0, 0,
     "the kind of areas the file holds, replacing that kind's: " AREA_KIND_HELP},
    {"FILE.geojson", NULL, OPT_ARG, NULL, 1, 0, 0,
     "a GeoJSON FeatureCollection of Polygon or MultiPolygon features, each with a code "
     "(property code, ref, id or code_insee) and a name (name, nom, libelle or label)"},
    {0}};

const opt_spec area_cmd_list_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"kind", NULL, OPT_STRING, NULL, 0, 0, 0, "only this kind: " AREA_KIND_HELP},
    {0}};

static const char import_cmd[] = "guichet area import";
static const char list_cmd[] = "guichet area list";

static void print_problem(void *ctx, long feature, const char *code, const char *what)
{
    (void)ctx;
    if (feature < 0)
        fprintf(stderr, "%s: %s\n", import_cmd, what);
    else if (code)
        fprintf(stderr, "%s: feature %ld (code %s): %s\n", import_cmd, feature, code, what);
    else
        fprintf(stderr, "%s: feature %ld: %s\n", import_cmd, feature, what);
}

/* The --kind given, or -1 with a message (required says whether it must be there). */
static int pick_kind(const char *cmd, const opt_values *v, area_kind *out)
{
    const char *s = opt_str(v, "kind");
    if (!s || !*s) {
        *out = AREA_ANY;
        return 0;
    }
    if (area_kind_parse(s, out) != 0) {
        fprintf(stderr, "%s: unknown --kind '%s' (" AREA_KIND_HELP ")\n", cmd, s);
        return -1;
    }
    return 0;
}

int area_cmd_import(const opt_values *v)
{
    area_kind kind;
    if (pick_kind(import_cmd, v, &kind) != 0 || kind == AREA_ANY)
        return 2;
    const char *path = opt_str(v, "FILE.geojson");
    size_t len = 0;
    int too_large = 0;
    char *text = cli_file_read(import_cmd, path, AREA_FILE_MAX, &len, &too_large);
    if (!text)
        return too_large ? 2 : 1;
    cli_session s;
    if (cli_session_open(import_cmd, v, &s) != 0) {
        free(text);
        return 1;
    }
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant(import_cmd, cat, v);
    int64_t tenant_id = t ? t->rec.id : 0;
    char slug[128];
    snprintf(slug, sizeof slug, "%s", t ? t->rec.slug : "");
    catalogue_release(s.core, cat);
    if (tenant_id) {
        area_import_result r;
        long problems = 0;
        error err;
        error_clear(&err);
        if (area_import(s.core, tenant_id, kind, text, len, print_problem, NULL, &r, &problems,
                        &err) != 0) {
            fprintf(stderr, "%s: %s\n", import_cmd,
                    err.detail[0] ? err.detail : err_name(err.code));
        } else if (problems > 0) {
            fprintf(stderr, "%s: %ld problem(s)%s: nothing imported, %s keeps its %s areas\n",
                    import_cmd, problems,
                    problems > AREA_PROBLEMS_MAX ? " (the first ones shown)" : "", slug,
                    area_kind_name(kind));
            rc = 2;
        } else {
            printf("%s: %zu %s area(s), %zu positions, imported for %s (areas of the same code "
                   "keep their ids), deleting %lld\n",
                   import_cmd, r.imported, area_kind_name(kind), r.vertices, slug,
                   (long long)r.replaced);
            rc = 0;
        }
    }
    cli_session_close(&s);
    free(text);
    return rc;
}

int area_cmd_list(const opt_values *v)
{
    area_kind kind;
    if (pick_kind(list_cmd, v, &kind) != 0)
        return 2;
    cli_session s;
    if (cli_session_open(list_cmd, v, &s) != 0)
        return 1;
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant(list_cmd, cat, v);
    int64_t tenant_id = t ? t->rec.id : 0;
    catalogue_release(s.core, cat);
    if (tenant_id) {
        arena a;
        arena_init(&a, 16u * 1024 * 1024);
        store_area *rows = NULL;
        size_t n = 0;
        error err;
        error_clear(&err);
        if (area_list(s.core, tenant_id, kind, &a, &rows, &n, &err) != 0) {
            fprintf(stderr, "%s: %s\n", list_cmd, err.detail[0] ? err.detail : err_name(err.code));
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%s\t%s\t%s\t%lld\n", rows[i].kind, rows[i].code, rows[i].name,
                       (long long)rows[i].vertices);
            rc = 0;
        }
        arena_free(&a);
    }
    cli_session_close(&s);
    return rc;
}

/*
 * address_cmd — the address list's import command: opens the file (or standard input),
 * hands it to core's BAN reader, prints the bad lines and what was done.
 */
#include "cli/address_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/session.h"
#include "core/address_ban.h"
#include "core/catalogue.h"

/* Bad lines printed at most: the count says how many more there were. */
#define ADDRESS_CMD_BAD_SHOWN 20

const opt_spec address_cmd_import_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"FILE.csv", NULL, OPT_ARG, NULL, 1, 0, 0,
     "the BAN's adresses-XX.csv, or - for standard input (zcat adresses-XX.csv.gz | …)"},
    {"skip-invalid", NULL, OPT_FLAG, NULL, 0, 0, 0,
     "import the valid lines and leave the invalid ones out (default: any invalid line and "
     "nothing is imported, the current list staying as it is)"},
    {0}};

static const char cmd[] = "guichet address import";

typedef struct bad_lines {
    long shown;
} bad_lines;

static void print_bad(void *ctx, long line, const char *why)
{
    bad_lines *b = ctx;
    if (b->shown++ < ADDRESS_CMD_BAD_SHOWN)
        fprintf(stderr, "%s: line %ld: %s\n", cmd, line, why);
}

int address_cmd_import(const opt_values *v)
{
    const char *path = opt_str(v, "FILE.csv");
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", cmd, path, strerror(errno));
        return 1;
    }
    cli_session s;
    if (cli_session_open(cmd, v, &s) != 0) {
        if (in != stdin)
            fclose(in);
        return 1;
    }
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
    if (t) {
        bad_lines bad = {0};
        address_ban_report r;
        error err;
        error_clear(&err);
        address_ban_mode mode =
            opt_flag(v, "skip-invalid") ? ADDRESS_BAN_SKIP_BAD : ADDRESS_BAN_ALL_OR_NOTHING;
        if (address_ban_import(s.core, t->rec.id, in, mode, print_bad, &bad, &r, &err) != 0) {
            fprintf(stderr, "%s: %s\n", cmd, err.detail[0] ? err.detail : err_name(err.code));
        } else if (!r.imported) {
            fprintf(stderr,
                    "%s: %ld invalid line(s) of %ld%s: nothing imported, %s keeps its current "
                    "list (mend the file, or import the valid lines with --skip-invalid)\n",
                    cmd, r.bad_lines, r.lines,
                    r.bad_lines > ADDRESS_CMD_BAD_SHOWN ? " (the first ones shown)" : "",
                    t->rec.slug);
        } else {
            printf("%s: %lld addresses in %lld streets imported for %s", cmd,
                   (long long)r.result.addresses, (long long)r.result.streets, t->rec.slug);
            if (r.result.replaced)
                printf(", replacing %lld", (long long)r.result.replaced);
            printf("\n");
            if (r.bad_lines)
                printf("%s: %ld invalid line(s) left out%s\n", cmd, r.bad_lines,
                       r.bad_lines > ADDRESS_CMD_BAD_SHOWN ? " (the first ones shown above)" : "");
            rc = 0;
        }
    }
    catalogue_release(s.core, cat);
    cli_session_close(&s);
    if (in != stdin)
        fclose(in);
    return rc;
}

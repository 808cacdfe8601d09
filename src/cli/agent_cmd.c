/*
 * agent_cmd — the back-office commands: create an agent (password from standard input, never
 * from argv, which every user of the machine can read), verify the audit chain, purge old
 * audit entries, print the RGPD register. Exit codes as every command: 0 success, 1 failure, 2
 * wrong usage.
 */
#include "cli/agent_cmd.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/session.h"
#include "core/agent.h"
#include "core/audit.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/ropa.h"
#include "util/timeutil.h"
#include "present/present.h"

#define OPT_DB_SPEC CLI_OPT_DB
#define OPT_TENANT_SPEC CLI_OPT_TENANT

const opt_spec agent_cmd_add_opts[] = {
    OPT_DB_SPEC,
    OPT_TENANT_SPEC,
    {"email", NULL, OPT_STRING, NULL, 1, 0, 0, "the agent's e-mail address (their login)"},
    {"name", NULL, OPT_STRING, NULL, 1, 0, 0, "the agent's full name"},
    {"role", NULL, OPT_STRING, NULL, 1, 0, 0, "agent, manager, elected or admin"},
    {"department", NULL, OPT_LIST, "", 0, 0, 0,
     "department code; repeat it or separate codes with commas"},
    {"password-stdin", NULL, OPT_FLAG, NULL, 0, 0, 0,
     "the password (12 to 256 characters) is the first line of standard input; it is never "
     "taken from the command line"},
    {0}};

const opt_spec agent_cmd_audit_verify_opts[] = {OPT_DB_SPEC, OPT_TENANT_SPEC, {0}};

const opt_spec agent_cmd_audit_purge_opts[] = {
    OPT_DB_SPEC,
    OPT_TENANT_SPEC,
    {"before-days", NULL, OPT_UINT, NULL, 0, 1, 3650,
     "delete entries older than this many days (default: the audit_retention_days setting, "
     "else 365; CNIL: keep 180 to 365)"},
    {0}};

const opt_spec agent_cmd_register_opts[] = {
    OPT_DB_SPEC,
    OPT_TENANT_SPEC,
    {"format", NULL, OPT_STRING, "json", 0, 0, 0, "json or csv"},
    {"lang", NULL, OPT_STRING, "fr", 0, 0, 0, "language of the texts: fr or en"},
    {0}};

typedef cli_session cmd_ctx;

static void ctx_close(cmd_ctx *x)
{
    cli_session_close(x);
}

static int ctx_open(const char *cmd, const opt_values *v, cmd_ctx *x)
{
    return cli_session_open(cmd, v, x);
}

/* Reads the first line of stdin (without its line end) into pw. -1 when empty or too long. */
static int read_password(char *pw, size_t size)
{
    if (!fgets(pw, (int)size, stdin))
        return -1;
    size_t n = strlen(pw);
    if (n > 0 && pw[n - 1] != '\n' && !feof(stdin))
        return -1; /* longer than the buffer */
    while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
        pw[--n] = '\0';
    return n > 0 ? 0 : -1;
}

int agent_cmd_add(const opt_values *v)
{
    static const char cmd[] = "guichet agent add";
    if (!opt_flag(v, "password-stdin")) {
        fprintf(stderr, "%s: the password is only read from standard input (--password-stdin)\n",
                cmd);
        return 2;
    }
    agent_role role;
    if (agent_role_parse(opt_str(v, "role"), &role) != 0) {
        fprintf(stderr, "%s: invalid value for --role: '%s' (agent, manager, elected or admin)\n",
                cmd, opt_str(v, "role"));
        return 2;
    }
    /* "voirie,proprete" -> codes; empty items (",,") are a usage error. */
    char deps[512];
    const char *codes[AGENT_MAX_DEPARTMENTS];
    size_t n = 0;
    const char *dep_opt = opt_str(v, "department");
    if (strlen(dep_opt) >= sizeof deps) {
        fprintf(stderr, "%s: --department is too long\n", cmd);
        return 2;
    }
    snprintf(deps, sizeof deps, "%s", dep_opt);
    int n_codes = opt_list_split(deps, codes, AGENT_MAX_DEPARTMENTS);
    if (n_codes < 0) {
        fprintf(stderr,
                "%s: invalid value for --department: '%s' (codes separated by commas, at most "
                "%d)\n",
                cmd, dep_opt, AGENT_MAX_DEPARTMENTS);
        return 2;
    }
    n = (size_t)n_codes;
    char pw[AGENT_PASSWORD_MAX + 2];
    if (read_password(pw, sizeof pw) != 0) {
        fprintf(stderr,
                "%s: give the password (12 to 256 characters) on the first line of "
                "standard input\n",
                cmd);
        sodium_memzero(pw, sizeof pw);
        return 2;
    }
    cmd_ctx x;
    if (ctx_open(cmd, v, &x) != 0) {
        sodium_memzero(pw, sizeof pw);
        return 1;
    }
    int rc = 1;
    const catalogue *cat = catalogue_acquire(x.core);
    const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
    int64_t tenant_id = t ? t->rec.id : 0;
    char slug[128];
    snprintf(slug, sizeof slug, "%s", t ? t->rec.slug : "");
    catalogue_release(x.core, cat);
    if (tenant_id) {
        int64_t id = 0;
        error err;
        error_clear(&err);
        if (agent_create_as(x.core, &actor_cli, tenant_id, opt_str(v, "email"), opt_str(v, "name"),
                            role, codes, n, pw, &id, NULL, NULL, &err) == 0) {
            printf("agent %" PRId64 " (%s) created for %s\n", id, agent_role_name(role), slug);
            rc = 0;
        } else {
            fprintf(stderr, "%s: %s%s%s\n", cmd, err.arg[0] ? err.arg : "", err.arg[0] ? ": " : "",
                    err.detail);
            rc = err.code == ERR_INVALID_ARG ? 2 : 1;
        }
    }
    sodium_memzero(pw, sizeof pw);
    ctx_close(&x);
    return rc;
}

/* Verifies one tenant's chain and prints the outcome; 0 intact, 1 otherwise. */
static int verify_one(core *c, int64_t tenant_id, const char *slug)
{
    int64_t bad = 0, n = 0;
    error err;
    error_clear(&err);
    if (audit_verify(c, tenant_id, &bad, &n, &err) == 0) {
        printf("audit %s: %" PRId64 " entries, chain intact\n", slug, n);
        return 0;
    }
    if (bad > 0)
        fprintf(stderr, "audit %s: entry %" PRId64 " was altered, or an entry before it removed\n",
                slug, bad);
    else
        fprintf(stderr, "audit %s: cannot verify: %s\n", slug, err.detail);
    return 1;
}

int agent_cmd_audit_verify(const opt_values *v)
{
    static const char cmd[] = "guichet audit verify";
    cmd_ctx x;
    if (ctx_open(cmd, v, &x) != 0)
        return 1;
    int rc = 0;
    const catalogue *cat = catalogue_acquire(x.core);
    if (opt_str(v, "tenant")) {
        const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
        rc = t ? verify_one(x.core, t->rec.id, t->rec.slug) : 1;
    } else {
        for (size_t i = 0; i < cat->n_tenants; i++)
            if (verify_one(x.core, cat->tenants[i].rec.id, cat->tenants[i].rec.slug) != 0)
                rc = 1;
    }
    catalogue_release(x.core, cat);
    ctx_close(&x);
    return rc;
}

int agent_cmd_audit_purge(const opt_values *v)
{
    static const char cmd[] = "guichet audit purge";
    cmd_ctx x;
    if (ctx_open(cmd, v, &x) != 0)
        return 1;
    int days = (int)opt_uint(v, "before-days");
    error rerr;
    if (!opt_str(v, "before-days") && audit_retention_days(x.core, &days, &rerr) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, rerr.detail);
        ctx_close(&x);
        return 1;
    }
    int64_t before = time_now() - (int64_t)days * 86400;
    int rc = 0;
    const catalogue *cat = catalogue_acquire(x.core);
    const cat_tenant *only = opt_str(v, "tenant") ? cli_pick_tenant(cmd, cat, v) : NULL;
    if (opt_str(v, "tenant") && !only)
        rc = 1;
    for (size_t i = 0; rc == 0 && i < cat->n_tenants; i++) {
        const cat_tenant *t = &cat->tenants[i];
        if (only && only != t)
            continue;
        int64_t n = 0;
        error err;
        error_clear(&err);
        if (audit_purge(x.core, t->rec.id, before, &n, &err) != 0) {
            fprintf(stderr, "%s: %s: %s\n", cmd, t->rec.slug, err.detail);
            rc = 1;
            break;
        }
        printf("audit %s: %" PRId64 " entries older than %d days deleted\n", t->rec.slug, n,
               days);
        rc = verify_one(x.core, t->rec.id, t->rec.slug);
    }
    catalogue_release(x.core, cat);
    ctx_close(&x);
    return rc;
}

int agent_cmd_register(const opt_values *v)
{
    static const char cmd[] = "guichet register";
    const char *format = opt_str(v, "format"), *lang_code = opt_str(v, "lang");
    int csv = strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "json") != 0) {
        fprintf(stderr, "%s: invalid value for --format: '%s' (json or csv)\n", cmd, format);
        return 2;
    }
    if (strcmp(lang_code, "fr") != 0 && strcmp(lang_code, "en") != 0) {
        fprintf(stderr, "%s: invalid value for --lang: '%s' (fr or en)\n", cmd, lang_code);
        return 2;
    }
    cmd_ctx x;
    if (ctx_open(cmd, v, &x) != 0)
        return 1;
    error err;
    error_clear(&err);
    int rc = 1;
    json_t *model = NULL, *labelled = NULL;
    present *pr = NULL;
    buf out;
    buf_init(&out, 64u * 1024 * 1024);
    const catalogue *cat = catalogue_acquire(x.core);
    const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
    if (!t)
        goto cleanup;
    /* The sentences are the pages' strings (embedded in the binary), as in the back office. */
    if (!(pr = present_open(NULL, &err)) ||
        ropa_build(x.core, t, &model, &err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err.detail);
        goto cleanup;
    }
    labelled =
        ropa_label(model, present_strings(pr, strcmp(lang_code, "en") == 0 ? LANG_EN : LANG_FR));
    if (!labelled) {
        fprintf(stderr, "%s: out of memory\n", cmd);
        goto cleanup;
    }
    if (csv) {
        if (ropa_csv(labelled, &out, &err) != 0) {
            fprintf(stderr, "%s: %s\n", cmd, err.detail);
            goto cleanup;
        }
    } else {
        char *text = json_dumps(labelled, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text || buf_puts(&out, text) != 0 || buf_putc(&out, '\n') != 0) {
            free(text);
            fprintf(stderr, "%s: out of memory\n", cmd);
            goto cleanup;
        }
        free(text);
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the register\n", cmd);
        goto cleanup;
    }
    rc = 0;
cleanup:
    buf_free(&out);
    json_decref(labelled);
    json_decref(model);
    present_close(pr);
    catalogue_release(x.core, cat);
    ctx_close(&x);
    return rc;
}

#include "cli/session.h"

#include <stdio.h>
#include <string.h>

#include "web/web.h"

void cli_session_close(cli_session *s)
{
    core_close(s->core);
    store_close(s->store);
    s->core = NULL;
    s->store = NULL;
}

int cli_session_open(const char *cmd, const opt_values *v, cli_session *s)
{
    return cli_session_open_files(cmd, v, NULL, s);
}

int cli_session_open_files(const char *cmd, const opt_values *v, const char *uploads_dir,
                           cli_session *s)
{
    error err;
    error_clear(&err);
    memset(s, 0, sizeof *s);
    const char *db = opt_str(v, "db");
    const char *secret = opt_str(v, "secret-file");
    char default_secret[4096];
    if (!secret || !*secret) {
        if ((size_t)snprintf(default_secret, sizeof default_secret, "%s.key", db) >=
            sizeof default_secret) {
            fprintf(stderr, "%s: the database path is too long\n", cmd);
            return -1;
        }
        secret = default_secret;
    }
    core_config cfg = {
        .secret_file = secret, .uploads_dir = uploads_dir, .links = web_portal_links};
    s->store = store_open(db, &err);
    if (!s->store || s->store->ops->migrate(s->store, &err) != 0 ||
        !(s->core = core_open_config(s->store, &cfg, &err))) {
        if (strcmp(err.arg, "uploads-dir") == 0)
            fprintf(stderr, "%s: uploads directory: %s\n", cmd, err.detail);
        else
            fprintf(stderr, "%s: cannot open database '%s': %s\n", cmd, db,
                    err.detail[0] ? err.detail : err_message(err.code, LANG_EN));
        cli_session_close(s);
        return -1;
    }
    return 0;
}

const cat_tenant *cli_pick_tenant(const char *cmd, const catalogue *cat, const opt_values *v)
{
    const char *slug = opt_str(v, "tenant");
    if (slug) {
        const cat_tenant *t = catalogue_tenant_by_slug(cat, slug);
        if (!t)
            fprintf(stderr, "%s: no collectivité '%s'\n", cmd, slug);
        return t;
    }
    if (cat->n_tenants == 1)
        return &cat->tenants[0];
    fprintf(stderr,
            cat->n_tenants == 0 ? "%s: the database has no collectivité yet: run 'guichet demo' or "
                                  "'guichet tenant add'\n"
                                : "%s: several collectivités: say which one with --tenant SLUG\n",
            cmd);
    return NULL;
}

/*
 * session — what a command working on a database opens: the store, migrated, and core over
 * it, with the instance secret read from its own file (core_open): by default the
 * database's path plus ".key", so that a copy of the database alone unlocks nothing.
 */
#ifndef GUICHET_CLI_SESSION_H
#define GUICHET_CLI_SESSION_H

#include "cli/options.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/store.h"

/* The options of every command that opens a database. */
#define CLI_OPT_DB                                                                                 \
    {"db", "GUICHET_DB", OPT_STRING, NULL, 1, 0, 0, "database file (SQLite)"},                     \
    {                                                                                              \
        "secret-file", "GUICHET_SECRET_FILE", OPT_STRING, NULL, 0, 0, 0,                           \
            "file holding the instance secret (default: the database's path with .key added)"      \
    }

/* The option naming the collectivité a command works on. */
#define CLI_OPT_TENANT                                                                             \
    {                                                                                              \
        "tenant", "GUICHET_TENANT", OPT_STRING, NULL, 0, 0, 0,                                     \
            "collectivité slug (optional with a single one)"                                      \
    }

typedef struct cli_session {
    store *store;
    core *core;
} cli_session;

/* Opens and migrates the store named by --db, then core with --secret-file and the
 * portal's links. Prints the reason (prefixed with cmd) and returns -1 on failure. */
int cli_session_open(const char *cmd, const opt_values *v, cli_session *s);
/* The same for a command that reads or writes attachments: core is given uploads_dir. */
int cli_session_open_files(const char *cmd, const opt_values *v, const char *uploads_dir,
                           cli_session *s);
/* The collectivité named by --tenant, or the only one of the database. Prints why not
 * (prefixed with cmd) and returns NULL. */
const cat_tenant *cli_pick_tenant(const char *cmd, const catalogue *cat, const opt_values *v);
/* Closes what cli_session_open opened (also after a failure). */
void cli_session_close(cli_session *s);

#endif

/*
 * agent_cmd — bodies and option specs of the back-office commands: `agent add`,
 * `audit verify`, `audit purge` and `register`. The command table in commands.c lists them; like every
 * command they open the store and core and call core functions, never SQL.
 */
#ifndef GUICHET_CLI_AGENT_CMD_H
#define GUICHET_CLI_AGENT_CMD_H

#include "cli/options.h"

extern const opt_spec agent_cmd_add_opts[];
extern const opt_spec agent_cmd_audit_verify_opts[];
extern const opt_spec agent_cmd_audit_purge_opts[];
extern const opt_spec agent_cmd_register_opts[];

/* guichet agent add --db FILE --email E --name N --role agent|manager|elected|admin
 *   [--department CODE[,CODE...]] --password-stdin [--tenant SLUG]
 * The password is the first line of standard input (never an argument: argv is visible to
 * every user of the machine). Exit 0, 1 failure, 2 wrong usage. */
int agent_cmd_add(const opt_values *v);
/* guichet audit verify --db FILE [--tenant SLUG]: every tenant's chain (or one). Exit 0 when
 * intact, 1 naming the first bad entry id ("audit: entry 42 of ville-demo was altered"). */
int agent_cmd_audit_verify(const opt_values *v);
/* guichet audit purge --db FILE --before-days N [--tenant SLUG]: deletes entries older than N
 * days (N from AUDIT_RETENTION_DAYS_MIN to 3650), then verifies the remaining chain. */
int agent_cmd_audit_purge(const opt_values *v);
/* guichet register --db FILE [--format json|csv] [--lang fr|en] [--tenant SLUG]: the record
 * of processing activities (RGPD art. 30) generated from the configuration, on standard
 * output. Exit 0, 1 failure, 2 wrong usage. */
int agent_cmd_register(const opt_values *v);

#endif

/*
 * procedure_cmd — `guichet procedure export` and `guichet procedure import`: a collectivité's
 * procedures, workflows, departments, routing areas and rules as one JSON document
 * (core/procdef.h). The command table in commands.c lists them.
 */
#ifndef GUICHET_CLI_PROCEDURE_CMD_H
#define GUICHET_CLI_PROCEDURE_CMD_H

#include "cli/options.h"

extern const opt_spec procedure_cmd_export_opts[];
extern const opt_spec procedure_cmd_import_opts[];

/* guichet procedure export --db FILE [--tenant SLUG] [--code CODE]: prints the document on
 * standard output. Exit 0; 2 for an unknown --code or a wrong usage; 1 when the database
 * fails. */
int procedure_cmd_export(const opt_values *v);

/* guichet procedure import --db FILE [--tenant SLUG] DEFINITIONS.json (- for standard input):
 * checks the whole document first; prints every problem and exits 2 writing nothing, or
 * imports it in one transaction and prints a one-line summary (exit 0). Exit 1 when the file
 * cannot be read or the database fails. */
int procedure_cmd_import(const opt_values *v);

#endif

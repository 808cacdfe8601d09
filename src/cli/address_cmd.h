/*
 * address_cmd — `guichet address import`: loads a collectivité's address list from the Base
 * Adresse Nationale's CSV (core/address_ban.h). The command table in commands.c lists it.
 */
#ifndef GUICHET_CLI_ADDRESS_CMD_H
#define GUICHET_CLI_ADDRESS_CMD_H

#include "cli/options.h"

extern const opt_spec address_cmd_import_opts[];

/* guichet address import --db FILE [--tenant SLUG] [--skip-invalid] FILE.csv|-
 * Replaces the collectivité's list with the file's addresses ("-": standard input, e.g.
 * from zcat). Bad lines are printed with their number (the first ADDRESS_CMD_BAD_SHOWN);
 * any of them and nothing is imported, unless --skip-invalid. Exit 0 when the list was
 * replaced, 1 otherwise, 2 on a wrong usage. */
int address_cmd_import(const opt_values *v);

#endif

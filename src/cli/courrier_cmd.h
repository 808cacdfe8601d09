/*
 * courrier_cmd — `guichet courrier import`: hands the scans of a scanner's folder to the
 * running server's post room (POST /passerelle/courrier, a "gateway"-scope key), so that the
 * server stays the only writer. The command table in commands.c lists it.
 */
#ifndef GUICHET_CLI_COURRIER_CMD_H
#define GUICHET_CLI_COURRIER_CMD_H

#include "cli/options.h"

extern const opt_spec courrier_cmd_import_opts[];

/* guichet courrier import --url BASE_URL --key-file FILE [--tenant SLUG] [--timeout S] DIR
 * One pass: one line per file (received as letter N, refused with its reason, or not taken),
 * then a summary. Exit 0 when every file was received or refused; 1 when the pass stopped
 * (the server unreachable, the key refused, a file that could not be moved), the files not
 * handed over left in DIR; 2 for a wrong usage. */
int courrier_cmd_import(const opt_values *v);

#endif

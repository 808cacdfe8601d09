/*
 * area_cmd — `guichet area import` and `guichet area list`: a collectivité's departments'
 * territories, quartiers and broadcast areas from GeoJSON (core/area.h). The command table
 * in commands.c lists them.
 */
#ifndef GUICHET_CLI_AREA_CMD_H
#define GUICHET_CLI_AREA_CMD_H

#include "cli/options.h"

extern const opt_spec area_cmd_import_opts[];
extern const opt_spec area_cmd_list_opts[];

/* guichet area import --db FILE [--tenant SLUG] --kind KIND FILE.geojson
 * Replaces the collectivité's areas of KIND with the file's features, all or nothing.
 * Exit 0 when replaced; 2 when the file has problems (each printed, nothing written) or on a
 * wrong usage; 1 when the file cannot be read or the database fails. */
int area_cmd_import(const opt_values *v);

/* guichet area list --db FILE [--tenant SLUG] [--kind KIND]: one line per area, tab-separated
 * (kind, code, name, positions). */
int area_cmd_list(const opt_values *v);

#endif

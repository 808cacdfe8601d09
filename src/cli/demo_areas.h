/*
 * demo_areas — the demo commune's areas around its map's centre, so that routing, the
 * channels and the dashboards have data: three quartiers, three departments' territories
 * (one with a hole) and the whole commune as a broadcast area. Part of `guichet demo`.
 */
#ifndef GUICHET_CLI_DEMO_AREAS_H
#define GUICHET_CLI_DEMO_AREAS_H

#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "util/error.h"

/* Imports the areas of each kind the tenant has none of yet (a kind already there is kept),
 * through core as `guichet area import` would. Writes a line per kind to report (may be
 * NULL). 0 or -1 with err (ERR_INTERNAL: the demo's own areas were refused, a bug). */
int demo_load_areas(core *c, int64_t tenant_id, FILE *report, error *err);

#endif

/*
 * demo — loads «Ville de Démo», the fictional commune used by `guichet demo`, `make run` and
 * the benchmarks: its tenant, departments, procedures (all six Open311 datatypes) and a year
 * of realistic, deterministic request history over every channel and status.
 */
#ifndef GUICHET_CLI_DEMO_H
#define GUICHET_CLI_DEMO_H

#include <stdio.h>

#include "core/core.h"
#include "util/error.h"

#define DEMO_TENANT_SLUG "ville-demo"
#define DEMO_DEFAULT_REQUESTS 500
#define DEMO_MAX_REQUESTS 10000000u

/* Loads the demo commune through core (core_open'ed over a migrated store): catalogue first,
 * then `requests` requests created over the `years` × 365 days before now (years 0 counts as
 * 1), the same for a given `seed`
 * apart from that anchor. When the tenant already has requests nothing is written and a
 * message says so (success). Writes a short summary to `report` (may be NULL). 0 or -1 with
 * err; ERR_INTERNAL means the demo tables disagree with the attribute rules (a bug). */
int demo_load(core *c, unsigned requests, unsigned years, unsigned seed, FILE *report, error *err);

#endif

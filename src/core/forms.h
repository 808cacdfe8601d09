/*
 * forms — the versions of a procedure's form. The catalogue holds each procedure's current
 * form parsed; a request filed under an older version is read, displayed and exported with
 * that version's definitions, which this module reads from the store and parses on demand
 * (a few kilobytes of JSON: cheaper to parse again than to cache and invalidate).
 */
#ifndef GUICHET_CORE_FORMS_H
#define GUICHET_CORE_FORMS_H

#include <stddef.h>

#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"

/* The definitions of p's form at version `version`: the catalogue's own (borrowed from the
 * snapshot) when it is the current one or 0, otherwise read and parsed into a. A version the
 * store does not have, or that no longer parses, gives the current form (logged): a request
 * always shows with some labels. Never fails. */
void forms_at(core *c, const cat_procedure *p, int version, arena *a, const attr_def **defs,
              size_t *n);

/* The versions of p's form, newest first, without their definitions; *out in a. 0 or -1. */
int forms_history(core *c, const cat_procedure *p, arena *a, store_procedure_version **out,
                  size_t *n, error *err);

/* Version `version` of p's form with its definition, into *out (strings in a); *found 0 when
 * there is none. 0 or -1. */
int forms_version(core *c, const cat_procedure *p, int version, arena *a,
                  store_procedure_version *out, int *found, error *err);

/* Whether some request answered the question `code` of p: *answered 1 when a version of
 * p's form under which at least one request was filed has a question of that code (those
 * answers are stored under it, so the code stays). 0 or -1. */
int forms_code_answered(core *c, const cat_procedure *p, const char *code, arena *a, int *answered,
                        error *err);

#endif

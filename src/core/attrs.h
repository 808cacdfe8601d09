/*
 * attrs — a procedure's attribute definitions (the Open311 service definition: six datatypes,
 * required flags, list values) parsed from their JSON form, and validation of the values a
 * citizen or a client gives for them.
 *
 * Stored JSON form (procedures.attributes), an array of:
 *   {"code": "taille", "datatype": "singlevaluelist", "required": true, "variable": true,
 *    "description": "Taille du trou", "datatype_description": "…", "order": 1,
 *    "values": [{"key": "petit", "name": "Petit (moins de 20 cm)"}]}
 * Stored values (requests.attributes): a JSON object code -> string (array of strings for
 * multivaluelist).
 */
#ifndef GUICHET_CORE_ATTRS_H
#define GUICHET_CORE_ATTRS_H

#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

typedef enum attr_type {
    ATTR_STRING = 0,
    ATTR_NUMBER,
    ATTR_DATETIME,
    ATTR_TEXT,
    ATTR_SINGLEVALUELIST,
    ATTR_MULTIVALUELIST,
    ATTR_TYPE_COUNT
} attr_type;

#define ATTR_STRING_MAX 1000 /* characters, single line */
#define ATTR_TEXT_MAX 10000  /* characters */

typedef struct attr_value {
    const char *key;
    const char *name;
} attr_value;

typedef struct attr_def {
    const char *code;
    attr_type type;
    int variable; /* 0: informational only, no input */
    int required;
    int order;
    const char *description;
    const char *datatype_description; /* NULL when none */
    attr_value *values;
    size_t n_values;
} attr_def;

/* One value given for an attribute; a multivaluelist gives one entry per chosen key. */
typedef struct attr_input {
    const char *code;
    const char *value;
} attr_input;

/* Open311 datatype name of a type ("singlevaluelist", …), and the reverse (-1 if unknown). */
const char *attr_type_name(attr_type t);
int attr_type_parse(const char *name, attr_type *out);

/* Parses a JSON definition array (NULL or "" gives none) into defs allocated in a, sorted by
 * order. -1 with ERR_INVALID_ARG naming the faulty attribute. */
int attrs_parse_definitions(arena *a, const char *json, attr_def **defs, size_t *n,
                            error *err);

/* How far attrs_validate goes beyond the letter of the definitions. */
typedef struct attrs_policy {
    /* The collectivité's zone: a datetime without offset ("2026-12-05T14:30", what an HTML
     * datetime-local sends) is the time its clocks show, stored as RFC 3339 with its offset.
     * NULL: such a value is refused. */
    const char *tz;
    /* 1: a code no definition has is dropped and logged (Open311 clients send their own extra
     * fields) instead of refused. Defined codes are checked as strictly either way. */
    int ignore_unknown;
} attrs_policy;

/* Checks inputs against defs: unknown or non-variable codes, datatypes (number: decimal, and
 * with a policy also with blanks around it or a decimal comma, stored as "2.5"; datetime:
 * RFC 3339, or a local time in policy->tz; string: one line; list keys), lengths,
 * required ones present. policy may be NULL (strict). On success returns the normalised JSON
 * object text in *json_out (allocated in a; "{}" when none). On failure -1 with
 * ERR_MISSING_ARG/ERR_INVALID_ARG and err->arg "attribute[CODE]". */
int attrs_validate(arena *a, const attr_def *defs, size_t n, const attr_input *in,
                   size_t n_in, const attrs_policy *policy, const char **json_out,
                   error *err);

#endif

/*
 * routing — which department gets a request: a collectivité's ordered rules (conditions on
 * the procedure, on one of its fields' value, on the location within a department area), the
 * first that matches winning, then the procedure's own department, then the collectivité's
 * default one. The rules live in the catalogue's snapshot and areas in their in-memory index,
 * so an evaluation reads nothing from the store; request_create runs it on every channel's
 * intake, request_reroute again on an agent's demand. Also the administration's changes of
 * the rules, each one job with its "admin" audit entry.
 */
#ifndef GUICHET_CORE_ROUTING_H
#define GUICHET_CORE_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define ROUTING_NAME_MAX 100  /* characters of a rule's name */
#define ROUTING_VALUE_MAX 200 /* characters of a field condition's value */
#define ROUTING_RULES_MAX 500 /* rules of one collectivité */

/* What decided a request's department. */
typedef enum routing_source {
    ROUTING_NONE = 0,  /* nothing: no rule matched, no procedure nor default department */
    ROUTING_RULE,      /* a rule */
    ROUTING_PROCEDURE, /* the procedure's own department */
    ROUTING_DEFAULT    /* the collectivité's default department */
} routing_source;

/* What the rules look at. */
typedef struct routing_facts {
    const cat_procedure *procedure; /* required */
    /* The request's field values as stored (requests.attributes: a JSON object code ->
     * string, or array of strings for a multiple choice); NULL or "" for none. */
    const char *attributes;
    int has_location;
    double lat, lon;
} routing_facts;

typedef struct routing_result {
    routing_source source;
    int64_t department_id;          /* 0: none */
    const store_routing_rule *rule; /* ROUTING_RULE: the rule, in t's snapshot; else NULL */
} routing_result;

/* Routes the facts through t's rules: the first active rule whose every condition holds
 * gives its department (a rule on the area's own department, the department of the first
 * department area holding the location); else the procedure's department; else t's default.
 * A rule on a field or an area does not match a request without that value or without a
 * location. -1 with err only when the areas cannot be read (ERR_UNAVAILABLE,
 * ERR_INTERNAL). */
int routing_evaluate(core *c, const cat_tenant *t, const routing_facts *f, routing_result *out,
                     error *err);

/* The words of area_mode, and the reverse ("" reads as none); -1 when unknown. */
typedef enum routing_area {
    ROUTING_AREA_NONE = 0,
    ROUTING_AREA_OWN,   /* the department whose area holds the location */
    ROUTING_AREA_NAMED, /* the location within a named department area */
} routing_area;
const char *routing_area_name(routing_area m);
int routing_area_parse(const char *s, routing_area *out);

/* A rule as the administration's form gives it: codes, not ids. */
typedef struct routing_rule_input {
    int64_t id;             /* 0: a new rule, added last */
    const char *name;       /* required, unique in the collectivité */
    int active;             /* 0: kept, but skipped */
    const char *procedure;  /* a procedure's code; NULL or "": any */
    const char *field;      /* one of that procedure's fields; NULL or "": none */
    const char *value;      /* the value it must hold (a choice field: one of its keys) */
    const char *area;       /* "", "own" or "named" */
    const char *area_code;  /* "named": a department area's code */
    const char *department; /* the department given (a code); NULL or "" with "own" */
} routing_rule_input;

/* Checks in against t (and its areas) and fills out (strings borrowed from in; its ids from
 * the snapshot). -1 with ERR_INVALID_ARG, err->arg the field at fault ("name", "procedure",
 * "field", "value", "area", "area_code", "department") and err->detail a stable word saying
 * what is wrong, for the page's message: "missing", "too_long", "characters", "taken"
 * (another rule's name), "unknown" (no such procedure, field, area or department),
 * "needs_procedure" (a field without its procedure), "not_option" (a value a choice field does not
 * offer), "wrong_kind" (a quartier's or a broadcast area's code), "with_own" (a department given
 * with "own"), "too_many" (ROUTING_RULES_MAX rules already); ERR_NOT_FOUND "id" for an
 * unknown rule. */
int routing_rule_check(core *c, const cat_tenant *t, const routing_rule_input *in,
                       store_routing_rule *out, error *err);

/* The administration's changes, each one job with its "admin" audit entry (kind
 * "routing_rule", or "routing_default"), then a catalogue reload; refused with
 * ERR_FORBIDDEN for anyone but an admin of t, the command line or the system. Asynchronous
 * as change_run (core/change.h): cb NULL waits. routing_rule_save checks first as
 * routing_rule_check (-1 at once, no callback); *id_out (may be NULL) is the rule's id. */
int routing_rule_save(core *c, const core_actor *who, const cat_tenant *t,
                      const routing_rule_input *in, int64_t *id_out, core_done_fn cb, void *ctx,
                      error *err);
/* ERR_NOT_FOUND when t has no rule id. */
int routing_rule_delete(core *c, const core_actor *who, const cat_tenant *t, int64_t id,
                        core_done_fn cb, void *ctx, error *err);
/* Moves rule id one place up (earlier) or down; at the top (bottom) already, nothing. */
int routing_rule_move(core *c, const core_actor *who, const cat_tenant *t, int64_t id, int up,
                      core_done_fn cb, void *ctx, error *err);
/* Sets t's default department (a code; NULL or "": none). ERR_INVALID_ARG "department"
 * "unknown". */
int routing_set_default(core *c, const core_actor *who, const cat_tenant *t, const char *department,
                        core_done_fn cb, void *ctx, error *err);

/* The timeline event kinds a routing writes beside "created" and "department": internal
 * events naming what routed the request. ROUTING_EVENT_RULE's body is the rule's name. */
#define ROUTING_EVENT_RULE "routed_rule"
#define ROUTING_EVENT_PROCEDURE "routed_procedure"
#define ROUTING_EVENT_DEFAULT "routed_default"
/* The event kind for a source (NULL for ROUTING_NONE). */
const char *routing_event_kind(routing_source s);

#endif

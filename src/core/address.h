/*
 * address — the collectivité's address list (the Base Adresse Nationale's, imported by the
 * command line): the search a citizen types into («12 r de la paix», «paix 12»), the
 * nearest address to a position (the map's marker, the phone's location), and the import
 * that replaces a list whole, so that a reader never sees half of one.
 */
#ifndef GUICHET_CORE_ADDRESS_H
#define GUICHET_CORE_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* Bounds of the search: characters of a query, hits of one answer. */
#define ADDRESS_QUERY_MAX 200
#define ADDRESS_LIMIT_MAX 20
/* The farthest address_nearest looks (a wider circle would name a place the citizen is
 * not at). */
#define ADDRESS_NEAREST_MAX_M 1000.0

/* Bounds of one address as imported: characters of each field. */
#define ADDRESS_ID_MAX 64
#define ADDRESS_REP_MAX 16
#define ADDRESS_STREET_MAX 200
#define ADDRESS_COMMUNE_MAX 100
/* The greatest house number; the Base Adresse Nationale writes 99999 for a place without
 * one (a lieu-dit), which the list keeps as 0. */
#define ADDRESS_NUMBER_MAX 99999
#define ADDRESS_NUMBER_NONE 99999

/* The addresses and streets of the tenant's list that match `query` as typed, best first,
 * at most limit (1..ADDRESS_LIMIT_MAX): every word of the query starts a word of the
 * street, its commune or its postcode, accents and case aside («r» for «rue»; a few
 * abbreviations too: «bd», «st», «fg»…); a number typed (with «bis», «ter», or a letter
 * stuck to it: «12b») picks that number on the streets found, before the streets
 * themselves. A street hit has number 0, the street's label and the position of its middle
 * address. No words (nothing but a number), or a tenant without a list: no hit. *out in a.
 * ERR_INVALID_ARG naming "q" when the query is over ADDRESS_QUERY_MAX characters or not
 * valid UTF-8, "limit" when out of range. */
int address_search(core *c, int64_t tenant_id, const char *query, size_t limit, arena *a,
                   store_address **out, size_t *n, error *err);

/* What an address typed without the list's help (a form sent without JavaScript) resolves
 * to: the hits of address_search (at most limit), and *take the one to take without asking —
 * the only numbered address among them, or the only hit; else the one whose label is
 * `chosen` (the citizen's choice among hits offered before; NULL or "" when none) — NULL when
 * the citizen is to choose among several or nothing was found. A query address_search refuses
 * is no hit (0); -1 only when the list could not be read. *hits in a. */
int address_resolve(core *c, int64_t tenant_id, const char *typed, const char *chosen, size_t limit,
                    arena *a, store_address **hits, size_t *n, const store_address **take,
                    error *err);

/* The tenant's address nearest to (lat, lon) within max_m metres (0 < max_m <=
 * ADDRESS_NEAREST_MAX_M): *found 1, *out (strings in a) and *distance_m (may be NULL);
 * *found 0 when none is that close. ERR_INVALID_ARG naming "lat" or "max" when out of
 * range. */
int address_nearest(core *c, int64_t tenant_id, double lat, double lon, double max_m, arena *a,
                    store_address *out, double *distance_m, int *found, error *err);

/* How many addresses the tenant's current list holds (0: it has none). */
int address_count(core *c, int64_t tenant_id, int64_t *count, error *err);

/* ---- import ---- */

/* One address as read from a file, checked by address_check before it is added. */
typedef struct address_input {
    const char *ban_id;   /* required: letters, digits, '_' and '-' */
    int number;           /* 0..ADDRESS_NUMBER_MAX (ADDRESS_NUMBER_NONE: none) */
    const char *rep;      /* may be NULL or "" */
    const char *street;   /* required */
    const char *postcode; /* required: five digits */
    const char *insee;    /* required: five characters, digits (2A, 2B for Corsica) */
    const char *commune;  /* required */
    double lat, lon;
} address_input;

/* 0 when in is an address the list takes; -1 with ERR_INVALID_ARG naming the field at
 * fault ("id", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
 * "lat", "lon": the Base Adresse Nationale's column names) and an English detail saying
 * why. */
int address_check(const address_input *in, error *err);

/* An import under way: the tenant's new list, filled in bounded writes while the current
 * one goes on serving. */
typedef struct address_import address_import;

/* Starts replacing the tenant's list (an import of it that was under way is given up).
 * *out freed by address_import_commit or address_import_abort. */
int address_import_begin(core *c, int64_t tenant_id, address_import **out, error *err);
/* Adds one address (checked with address_check first; -1 when it is refused, the import
 * going on). Written in batches. */
int address_import_add(address_import *im, const address_input *in, error *err);
/* What an import did. */
typedef struct address_import_result {
    int64_t addresses, streets; /* of the new list */
    int64_t replaced;           /* addresses of the list it replaced (0: none) */
} address_import_result;
/* Writes what remains and makes the new list the tenant's, in one write; then purges the
 * list replaced in bounded writes. Frees im whatever happens. ERR_CONFLICT when another
 * import of the tenant started meanwhile (this one is dropped). */
int address_import_commit(address_import *im, address_import_result *out, error *err);
/* Gives the import up: the tenant keeps its current list, what was written is purged.
 * Frees im; accepts NULL. */
void address_import_abort(address_import *im);

/* The words an address or a query is searched by: s folded (accents and case), every run
 * of ASCII letters and digits a word (any other character separates them: «l’Église» is
 * "l eglise"), one space apart, into out (NUL-terminated, cut at a word's
 * end when it would not fit). Returns out. */
const char *address_words(const char *s, char *out, size_t size);

#endif

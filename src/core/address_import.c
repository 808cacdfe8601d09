/*
 * address_import — the import side of core/address.h: an address checked, then written in
 * batches into a 'loading' list, its streets placed, the list made current in one small
 * write, and the list it replaced purged in bounded writes.
 */
#include "core/address.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_internal.h"
#include "util/log.h"
#include "util/utf8.h"

/* Addresses written per write job of an import. */
#define IMPORT_BATCH 4000
/* Streets placed at their middle address per write job. */
#define PLACE_BATCH 2000
/* Rows deleted per write job when purging a replaced list. */
#define PURGE_BATCH 10000
/* Room for a folded street key («rue du general de gaulle 69001 lyon 1er arrondissement»):
 * folding at most doubles a text. */
#define KEY_MAX (2 * (ADDRESS_STREET_MAX * 4 + ADDRESS_COMMUNE_MAX * 4) + 16)

/* ---- checking an address ---- */

/* A required text of at most max characters: valid UTF-8, no control character. */
static int check_text(const char *s, size_t max, int required, const char *field, error *err)
{
    if (!s || !*s)
        return required ? error_set(err, ERR_INVALID_ARG, field, "%s is empty", field) : 0;
    size_t n = strlen(s);
    if (!utf8_valid(s, n) || utf8_has_control(s, n))
        return error_set(err, ERR_INVALID_ARG, field, "%s holds invalid characters", field);
    if (utf8_length(s, n) > max)
        return error_set(err, ERR_INVALID_ARG, field, "%s is over %zu characters", field, max);
    return 0;
}

/* 1 when s has exactly n characters, each in `allowed`. */
static int only(const char *s, size_t n, const char *allowed)
{
    return s && strlen(s) == n && strspn(s, allowed) == n;
}

int address_check(const address_input *in, error *err)
{
    if (check_text(in->ban_id, ADDRESS_ID_MAX, 1, "id", err) != 0)
        return -1;
    if (strspn(in->ban_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        strlen(in->ban_id))
        return error_set(err, ERR_INVALID_ARG, "id",
                         "id holds characters other than letters, digits, '_' and '-'");
    if (in->number < 0 || in->number > ADDRESS_NUMBER_MAX)
        return error_set(err, ERR_INVALID_ARG, "numero", "numero must be 0 to %d",
                         ADDRESS_NUMBER_MAX);
    if (check_text(in->rep, ADDRESS_REP_MAX, 0, "rep", err) != 0 ||
        check_text(in->street, ADDRESS_STREET_MAX, 1, "nom_voie", err) != 0 ||
        check_text(in->commune, ADDRESS_COMMUNE_MAX, 1, "nom_commune", err) != 0)
        return -1;
    if (!only(in->postcode, 5, "0123456789"))
        return error_set(err, ERR_INVALID_ARG, "code_postal", "code_postal must be five digits");
    if (!only(in->insee, 5, "0123456789AB") || strspn(in->insee + 2, "0123456789") != 3)
        return error_set(err, ERR_INVALID_ARG, "code_insee",
                         "code_insee must be five digits (2A or 2B first in Corsica)");
    if (!isfinite(in->lat) || in->lat < -90 || in->lat > 90)
        return error_set(err, ERR_INVALID_ARG, "lat", "lat must be -90 to 90");
    if (!isfinite(in->lon) || in->lon < -180 || in->lon > 180)
        return error_set(err, ERR_INVALID_ARG, "lon", "lon must be -180 to 180");
    return 0;
}

/* ---- import ---- */

/* One address waiting for its batch, with its own copies of the strings. */
typedef struct pending {
    store_address ad;
    store_address_street st;
} pending;

struct address_import {
    core *core;
    int64_t tenant_id, set_id;
    int64_t addresses;
    pending *rows; /* IMPORT_BATCH of them */
    size_t n_rows;
    arena a; /* the batch's strings, emptied after each write */
    /* The street of the previous address: files list a street's addresses together. */
    char last_insee[8], last_postcode[8], last_name[ADDRESS_STREET_MAX * 4 + 1];
    int64_t last_street;
    int64_t streets;
};

/* The label of an address («12 bis Rue de la Paix, 69001 Lyon») or, number 0, of its
 * street; in a. */
static const char *address_label(arena *a, int number, const char *rep, const char *street,
                                 const char *postcode, const char *commune)
{
    if (number <= 0)
        return arena_printf(a, "%s, %s %s", street, postcode, commune);
    return arena_printf(a, "%d%s%s %s, %s %s", number, rep && *rep ? " " : "", rep ? rep : "",
                        street, postcode, commune);
}

static int apply_begin(store *s, void *arg, error *err)
{
    address_import *im = arg;
    return s->ops->addresses.tx_set_begin(s, im->tenant_id, (int64_t)time(NULL), &im->set_id, err);
}

int address_import_begin(core *c, int64_t tenant_id, address_import **out, error *err)
{
    *out = NULL;
    address_import *im = calloc(1, sizeof *im);
    if (im)
        im->rows = calloc(IMPORT_BATCH, sizeof *im->rows);
    if (!im || !im->rows) {
        if (im)
            free(im);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    im->core = c;
    im->tenant_id = tenant_id;
    arena_init(&im->a, 0);
    if (store_write_sync(c->store, apply_begin, im, err) != 0) {
        arena_free(&im->a);
        free(im->rows);
        free(im);
        return -1;
    }
    *out = im;
    return 0;
}

static int apply_batch(store *s, void *arg, error *err)
{
    address_import *im = arg;
    for (size_t i = 0; i < im->n_rows; i++) {
        pending *p = &im->rows[i];
        int same = im->last_street && strcmp(p->st.insee, im->last_insee) == 0 &&
                   strcmp(p->st.postcode, im->last_postcode) == 0 &&
                   strcmp(p->st.name, im->last_name) == 0;
        if (!same) {
            int created = 0;
            if (s->ops->addresses.tx_street(s, &p->st, &im->last_street, &created, err) != 0)
                return -1;
            im->streets += created;
            snprintf(im->last_insee, sizeof im->last_insee, "%s", p->st.insee);
            snprintf(im->last_postcode, sizeof im->last_postcode, "%s", p->st.postcode);
            snprintf(im->last_name, sizeof im->last_name, "%s", p->st.name);
        }
        p->ad.street_id = im->last_street;
        if (s->ops->addresses.tx_insert(s, im->tenant_id, im->set_id, &p->ad, err) != 0)
            return -1;
    }
    return 0;
}

/* Writes the rows waiting; the street cache is forgotten when the write fails (its ids
 * were rolled back). */
static int flush(address_import *im, error *err)
{
    if (im->n_rows == 0)
        return 0;
    int rc = store_write_sync(im->core->store, apply_batch, im, err);
    if (rc == 0)
        im->addresses += (int64_t)im->n_rows;
    else
        im->last_street = 0;
    im->n_rows = 0;
    arena_free(&im->a);
    arena_init(&im->a, 0);
    return rc;
}

int address_import_add(address_import *im, const address_input *in, error *err)
{
    if (address_check(in, err) != 0)
        return -1;
    pending *p = &im->rows[im->n_rows];
    memset(p, 0, sizeof *p);
    int number = in->number == ADDRESS_NUMBER_NONE ? 0 : in->number;
    const char *rep = in->rep && *in->rep && number > 0 ? arena_strdup(&im->a, in->rep) : NULL;
    char key[KEY_MAX];
    char *joined = arena_printf(&im->a, "%s %s %s", in->street, in->commune, in->postcode);
    p->st.set_id = im->set_id;
    p->st.tenant_id = im->tenant_id;
    p->st.name = arena_strdup(&im->a, in->street);
    p->st.postcode = arena_strdup(&im->a, in->postcode);
    p->st.insee = arena_strdup(&im->a, in->insee);
    p->st.commune = arena_strdup(&im->a, in->commune);
    p->st.key = joined ? arena_strdup(&im->a, address_words(joined, key, sizeof key)) : NULL;
    p->st.label = address_label(&im->a, 0, NULL, in->street, in->postcode, in->commune);
    p->ad.ban_id = arena_strdup(&im->a, in->ban_id);
    p->ad.number = number;
    p->ad.rep = rep;
    p->ad.lat = in->lat;
    p->ad.lon = in->lon;
    p->ad.label = address_label(&im->a, number, rep, in->street, in->postcode, in->commune);
    if (!p->st.name || !p->st.postcode || !p->st.insee || !p->st.commune || !p->st.key ||
        !p->st.label || !p->ad.ban_id || !p->ad.label || (in->rep && *in->rep && number && !rep))
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    im->n_rows++;
    if (im->n_rows == IMPORT_BATCH)
        return flush(im, err);
    return 0;
}

typedef struct place_args {
    int64_t set_id, after, last;
} place_args;

static int apply_place(store *s, void *arg, error *err)
{
    place_args *p = arg;
    return s->ops->addresses.tx_streets_place(s, p->set_id, p->after, PLACE_BATCH, &p->last, err);
}

/* Places the new list's streets at their middle address, a bounded number per write. */
static int place_streets(address_import *im, error *err)
{
    place_args p = {im->set_id, 0, 0};
    do {
        if (store_write_sync(im->core->store, apply_place, &p, err) != 0)
            return -1;
        p.after = p.last;
    } while (p.last != 0);
    return 0;
}

typedef struct finish_args {
    address_import *im;
    int64_t replaced;
} finish_args;

static int apply_finish(store *s, void *arg, error *err)
{
    finish_args *f = arg;
    int64_t old_set = 0;
    if (s->ops->addresses.current(s, f->im->tenant_id, &old_set, &f->replaced, err) != 0)
        return -1;
    return s->ops->addresses.tx_set_finish(s, f->im->tenant_id, f->im->set_id, f->im->addresses,
                                           err);
}

typedef struct purge_args {
    int64_t tenant_id, deleted;
} purge_args;

static int apply_purge(store *s, void *arg, error *err)
{
    purge_args *p = arg;
    return s->ops->addresses.tx_purge(s, p->tenant_id, PURGE_BATCH, &p->deleted, err);
}

/* Purges the tenant's replaced or abandoned lists, one bounded write at a time. */
static int purge_old(core *c, int64_t tenant_id, error *err)
{
    purge_args p = {tenant_id, 0};
    do {
        if (store_write_sync(c->store, apply_purge, &p, err) != 0)
            return -1;
    } while (p.deleted > 0);
    return 0;
}

static void import_free(address_import *im)
{
    arena_free(&im->a);
    free(im->rows);
    free(im);
}

static int apply_drop(store *s, void *arg, error *err)
{
    address_import *im = arg;
    return s->ops->addresses.tx_set_drop(s, im->tenant_id, im->set_id, err);
}

int address_import_commit(address_import *im, address_import_result *out, error *err)
{
    memset(out, 0, sizeof *out);
    core *c = im->core;
    int64_t tenant_id = im->tenant_id;
    finish_args f = {im, 0};
    int rc = flush(im, err);
    if (rc == 0)
        rc = place_streets(im, err);
    if (rc == 0)
        rc = store_write_sync(c->store, apply_finish, &f, err);
    if (rc == 0) {
        out->addresses = im->addresses;
        out->replaced = f.replaced;
        out->streets = im->streets;
    } else {
        error keep = *err;
        store_write_sync(c->store, apply_drop, im, NULL);
        *err = keep;
    }
    import_free(im);
    /* The list is replaced (or the import given up) whatever the purge does: a list it
     * leaves behind is 'old', and the next import purges it. */
    error perr;
    error_clear(&perr);
    if (purge_old(c, tenant_id, &perr) != 0)
        log_warn("address import: the replaced list is left for the next import to purge: %s",
                 perr.detail);
    return rc;
}

void address_import_abort(address_import *im)
{
    if (!im)
        return;
    core *c = im->core;
    int64_t tenant_id = im->tenant_id;
    store_write_sync(c->store, apply_drop, im, NULL);
    import_free(im);
    purge_old(c, tenant_id, NULL);
}

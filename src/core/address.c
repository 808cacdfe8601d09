/*
 * address — search, nearest address and import of the collectivité's address list. The
 * search finds candidate streets by the range of its most telling word's prefix in the
 * words index, keeps those every other word matches, ranks them, then reads the number
 * typed on the best ones.
 */
#include "core/address.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_internal.h"
#include "util/collate.h"
#include "util/geo.h"
#include "util/log.h"
#include "util/utf8.h"

/* Streets read for the driving word at most: a one-letter prefix matches thousands of
 * streets of a département, of which only the first are ranked. */
#define CANDIDATES_MAX 2000
/* Words of a query taken into account; the others are ignored. */
#define QUERY_WORDS_MAX 8
/* Streets whose numbers are read for a numbered query: the best streets may not have it. */
#define NUMBERED_STREETS_MAX 40
/* Addresses kept per candidate box of address_nearest. */
#define NEAREST_CANDIDATES 16
/* Addresses written per write job of an import. */
#define IMPORT_BATCH 4000
/* Streets placed at their middle address per write job. */
#define PLACE_BATCH 2000
/* Rows deleted per write job when purging a replaced list. */
#define PURGE_BATCH 10000
/* Room for a folded street key («rue du general de gaulle 69001 lyon 1er arrondissement»):
 * folding at most doubles a text. */
#define KEY_MAX (2 * (ADDRESS_STREET_MAX * 4 + ADDRESS_COMMUNE_MAX * 4) + 16)

/* Letters and digits once folded: what French addresses are written with. A character the
 * folding leaves as it is (a typographic apostrophe or dash, «», a letter of another script)
 * separates words. */
static int is_word_byte(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9');
}

const char *address_words(const char *s, char *out, size_t size)
{
    if (size == 0)
        return out;
    out[0] = '\0';
    if (!s)
        return out;
    size_t n = strlen(s);
    char *folded = malloc(2 * n + 1);
    if (!folded)
        return out;
    size_t o = 0;
    if (collate_fold(s, n, folded, 2 * n + 1) >= 0) {
        const unsigned char *p = (const unsigned char *)folded;
        while (*p) {
            while (*p && !is_word_byte(*p))
                p++;
            const unsigned char *w = p;
            while (*p && is_word_byte(*p))
                p++;
            size_t len = (size_t)(p - w);
            if (len == 0)
                break;
            size_t need = len + (o ? 1 : 0);
            if (o + need >= size)
                break;
            if (o)
                out[o++] = ' ';
            memcpy(out + o, w, len);
            o += len;
        }
    }
    out[o] = '\0';
    free(folded);
    return out;
}

/* ---- the query ---- */

/* Abbreviations of street words: those that are not their prefix, and «r», which is a
 * prefix of «route» and «rue» too but stands for «rue». An abbreviation matches its word as
 * an exact word does. */
static const struct {
    const char *abbr, *word;
} abbreviations[] = {
    {"r", "rue"},      {"bd", "boulevard"}, {"bld", "boulevard"}, {"bvd", "boulevard"},
    {"st", "saint"},   {"ste", "sainte"},   {"fg", "faubourg"},   {"rte", "route"},
    {"mt", "mont"},    {"gd", "grand"},     {"gde", "grande"},    {"pt", "petit"},
    {"che", "chemin"}, {"rpt", "rond"},     {"crs", "cours"},     {"pte", "porte"},
    {"sq", "square"},
};

static const char *expansion(const char *w)
{
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0]; i++)
        if (strcmp(w, abbreviations[i].abbr) == 0)
            return abbreviations[i].word;
    return NULL;
}

/* The words «bis», «ter»… that follow a number as its repetition index. */
static int is_rep_word(const char *w)
{
    static const char *const reps[] = {"bis", "ter", "quater", "quinquies"};
    for (size_t i = 0; i < sizeof reps / sizeof reps[0]; i++)
        if (strcmp(w, reps[i]) == 0)
            return 1;
    return 0;
}

typedef struct query {
    char buf[ADDRESS_QUERY_MAX * 2 + 1]; /* the folded words, split in place */
    const char *words[QUERY_WORDS_MAX];
    const char *alt[QUERY_WORDS_MAX]; /* the word an abbreviation stands for, or NULL */
    size_t n_words;
    int number; /* -1: none typed */
    char rep[ADDRESS_REP_MAX + 1];
} query;

/* Splits the folded query into its number (with its rep) and its words. */
static void query_parse(const char *text, query *q)
{
    memset(q, 0, sizeof *q);
    q->number = -1;
    address_words(text, q->buf, sizeof q->buf);
    char *save = NULL;
    int after_number = 0;
    for (char *w = strtok_r(q->buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        size_t digits = strspn(w, "0123456789");
        /* «12», «12b», «12bis»: a number (a postcode's five digits are a word) and a rep
         * stuck to it. */
        if (q->number < 0 && digits > 0 && digits <= 4 && strlen(w + digits) <= ADDRESS_REP_MAX &&
            strspn(w + digits, "abcdefghijklmnopqrstuvwxyz") == strlen(w + digits)) {
            int number = 0;
            for (size_t i = 0; i < digits; i++)
                number = number * 10 + (w[i] - '0');
            q->number = number;
            snprintf(q->rep, sizeof q->rep, "%s", w + digits);
            after_number = 1;
            continue;
        }
        if (after_number && !q->rep[0] && is_rep_word(w)) {
            snprintf(q->rep, sizeof q->rep, "%s", w);
            after_number = 0;
            continue;
        }
        after_number = 0;
        if (q->n_words < QUERY_WORDS_MAX) {
            q->words[q->n_words] = w;
            q->alt[q->n_words] = expansion(w);
            q->n_words++;
        }
    }
}

/* How well street key `key` matches the query's words: -1 when a word matches none of its
 * words; otherwise 3 per word equal to one of them (or its abbreviation's), 1 per prefix,
 * less one per word of the street's name the query left out (so that «rue de la paix»
 * ranks «Rue de la Paix» before «Rue de la Paix Prolongée»). */
static int street_score(const query *q, const store_address_street *st)
{
    int score = 0;
    unsigned used = 0; /* bits of the key words matched (the first 32) */
    for (size_t i = 0; i < q->n_words; i++) {
        size_t wl = strlen(q->words[i]);
        int best = 0;
        unsigned idx = 0, best_idx = 0;
        for (const char *p = st->key; *p; idx++) {
            size_t len = strcspn(p, " ");
            int m = 0;
            if (len == wl && memcmp(p, q->words[i], wl) == 0)
                m = 3;
            else if (q->alt[i] && len == strlen(q->alt[i]) && memcmp(p, q->alt[i], len) == 0)
                m = 3;
            else if (len > wl && memcmp(p, q->words[i], wl) == 0)
                m = 1;
            /* Among equal matches, a key word no earlier query word took. */
            if (m > best || (m == best && m && (used & (1u << (best_idx & 31))) &&
                             !(used & (1u << (idx & 31))))) {
                best = m;
                best_idx = idx;
            }
            p += len;
            while (*p == ' ')
                p++;
        }
        if (!best)
            return -1;
        score += best;
        used |= 1u << (best_idx & 31);
    }
    /* Words of the street's own name left unmatched (its commune and postcode aside). */
    char name[ADDRESS_STREET_MAX * 8 + 1];
    address_words(st->name, name, sizeof name);
    unsigned name_words = 0;
    for (const char *p = name; *p; name_words++) {
        p += strcspn(p, " ");
        while (*p == ' ')
            p++;
    }
    unsigned matched = 0;
    for (unsigned b = 0; b < name_words && b < 32; b++)
        if (used & (1u << b))
            matched++;
    return score * 16 - (int)(name_words - matched);
}

typedef struct ranked {
    store_address_street *st;
    int score;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *x = pa, *y = pb;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return collate_fr(x->st->label, strlen(x->st->label), y->st->label, strlen(y->st->label));
}

/* The end of the range of words that start with w: w with its last byte raised by one
 * (every word byte is below 0xFF). */
static void prefix_end(const char *w, char *out, size_t size)
{
    snprintf(out, size, "%s", w);
    size_t n = strlen(out);
    if (n)
        out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
}

/* Adds the streets of list set_id having a word in the range of `word` (all of them when
 * exact is 0: its prefix) to *cands, skipping those already there. */
static int add_candidates(core *c, int64_t set_id, const char *word, int exact, arena *a,
                          store_address_street **cands, size_t *n, size_t *cap, error *err)
{
    char to[ADDRESS_QUERY_MAX * 2 + 2];
    if (exact)
        snprintf(to, sizeof to, "%s ", word); /* ' ' sorts before every word byte */
    else
        prefix_end(word, to, sizeof to);
    store_address_street *got = NULL;
    size_t n_got = 0;
    if (c->store->ops->addresses.streets_by_word(c->store, set_id, word, to, CANDIDATES_MAX, a,
                                                 &got, &n_got, err) != 0)
        return -1;
    for (size_t i = 0; i < n_got; i++) {
        int dup = 0;
        for (size_t j = 0; j < *n && !dup; j++)
            dup = (*cands)[j].id == got[i].id;
        if (dup)
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            store_address_street *grown = arena_alloc(a, ncap * sizeof *grown);
            if (!grown)
                return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
            if (*n)
                memcpy(grown, *cands, *n * sizeof *grown);
            *cands = grown;
            *cap = ncap;
        }
        (*cands)[(*n)++] = got[i];
    }
    return 0;
}

/* 1 when address rep `rep` answers the rep typed (a prefix of it: «b» for «bis»). */
static int rep_matches(const char *typed, const char *rep)
{
    if (!typed[0])
        return 1;
    if (!rep)
        return 0;
    char folded[ADDRESS_REP_MAX * 2 + 1];
    address_words(rep, folded, sizeof folded);
    return strncmp(folded, typed, strlen(typed)) == 0;
}

/* A street as a hit: number 0, its label and middle position. */
static store_address street_hit(const store_address_street *st)
{
    store_address h = {0};
    h.street_id = st->id;
    h.street = st->name;
    h.postcode = st->postcode;
    h.insee = st->insee;
    h.commune = st->commune;
    h.lat = st->lat;
    h.lon = st->lon;
    h.label = st->label;
    return h;
}

int address_search(core *c, int64_t tenant_id, const char *text, size_t limit, arena *a,
                   store_address **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > ADDRESS_LIMIT_MAX)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be 1 to %d", ADDRESS_LIMIT_MAX);
    if (!text)
        text = "";
    size_t len = strlen(text);
    if (!utf8_valid(text, len))
        return error_set(err, ERR_INVALID_ARG, "q", "the query is not valid UTF-8");
    if (utf8_length(text, len) > ADDRESS_QUERY_MAX)
        return error_set(err, ERR_INVALID_ARG, "q", "the query is over %d characters",
                         ADDRESS_QUERY_MAX);
    query *q = arena_alloc(a, sizeof *q);
    if (!q)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    query_parse(text, q);
    if (q->n_words == 0)
        return 0;
    int64_t set_id = 0, size = 0;
    if (c->store->ops->addresses.current(c->store, tenant_id, &set_id, &size, err) != 0)
        return -1;
    if (!set_id)
        return 0;

    /* The rarest word drives: the streets it finds are few and hold the answer. */
    size_t drive = 0;
    int64_t fewest = -1;
    for (size_t i = 0; i < q->n_words; i++) {
        char to[ADDRESS_QUERY_MAX * 2 + 2];
        prefix_end(q->words[i], to, sizeof to);
        int64_t count = 0, alt = 0;
        if (c->store->ops->addresses.words_count(c->store, set_id, q->words[i], to,
                                                 CANDIDATES_MAX + 1, &count, err) != 0)
            return -1;
        if (q->alt[i]) {
            snprintf(to, sizeof to, "%s ", q->alt[i]);
            if (c->store->ops->addresses.words_count(c->store, set_id, q->alt[i], to,
                                                     CANDIDATES_MAX + 1, &alt, err) != 0)
                return -1;
            count += alt;
        }
        if (fewest < 0 || count < fewest) {
            fewest = count;
            drive = i;
        }
    }
    store_address_street *cands = NULL;
    size_t n_cands = 0, cap = 0;
    if (add_candidates(c, set_id, q->words[drive], 0, a, &cands, &n_cands, &cap, err) != 0 ||
        (q->alt[drive] &&
         add_candidates(c, set_id, q->alt[drive], 1, a, &cands, &n_cands, &cap, err) != 0))
        return -1;
    ranked *rk = n_cands ? arena_alloc(a, n_cands * sizeof *rk) : NULL;
    if (n_cands && !rk)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    size_t n_rk = 0;
    for (size_t i = 0; i < n_cands; i++) {
        int sc = street_score(q, &cands[i]);
        if (sc >= 0)
            rk[n_rk++] = (ranked){&cands[i], sc};
    }
    if (n_rk == 0)
        return 0;
    qsort(rk, n_rk, sizeof *rk, ranked_cmp);

    store_address *hits = arena_alloc(a, limit * sizeof *hits);
    if (!hits)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    size_t n_hits = 0;
    if (q->number >= 0) {
        /* The number typed on the best streets: the rep typed first, then the others. */
        size_t streets = n_rk < NUMBERED_STREETS_MAX ? n_rk : NUMBERED_STREETS_MAX;
        for (size_t i = 0; i < streets && n_hits < limit; i++) {
            store_address *found = NULL;
            size_t n_found = 0;
            if (c->store->ops->addresses.by_number(c->store, rk[i].st->id, q->number, a, &found,
                                                   &n_found, err) != 0)
                return -1;
            for (int pass = 0; pass < 2; pass++)
                for (size_t j = 0; j < n_found && n_hits < limit; j++)
                    if (rep_matches(q->rep, found[j].rep) == (pass == 0) &&
                        (pass == 0 || q->rep[0]))
                        hits[n_hits++] = found[j];
        }
    }
    /* Then the streets themselves (where the number typed is not, or none was). */
    for (size_t i = 0; i < n_rk && n_hits < limit; i++)
        hits[n_hits++] = street_hit(rk[i].st);
    *out = hits;
    *n = n_hits;
    return 0;
}

int address_nearest(core *c, int64_t tenant_id, double lat, double lon, double max_m, arena *a,
                    store_address *out, double *distance_m, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    if (distance_m)
        *distance_m = 0;
    if (!geo_valid(lat, lon))
        return error_set(err, ERR_INVALID_ARG, "lat", "invalid position");
    if (!isfinite(max_m) || max_m <= 0 || max_m > ADDRESS_NEAREST_MAX_M)
        return error_set(err, ERR_INVALID_ARG, "max", "the distance must be 0 to %.0f m",
                         ADDRESS_NEAREST_MAX_M);
    int64_t set_id = 0, count = 0;
    if (c->store->ops->addresses.current(c->store, tenant_id, &set_id, &count, err) != 0)
        return -1;
    if (!set_id)
        return 0;
    double dlat, dlon, coslat;
    geo_box(lat, max_m, &dlat, &dlon, &coslat);
    store_address *cands = NULL;
    size_t n = 0;
    if (c->store->ops->addresses.in_box(c->store, set_id, lat - dlat, lat + dlat, lon - dlon,
                                        lon + dlon, lat, lon, coslat, NEAREST_CANDIDATES, a, &cands,
                                        &n, err) != 0)
        return -1;
    /* The box's order is flat-earth: the exact distance decides among its first few. */
    double best = max_m;
    for (size_t i = 0; i < n; i++) {
        double d = geo_distance_m(lat, lon, cands[i].lat, cands[i].lon);
        if (d <= best) {
            best = d;
            *out = cands[i];
            *found = 1;
        }
    }
    if (*found && distance_m)
        *distance_m = best;
    return 0;
}

int address_count(core *c, int64_t tenant_id, int64_t *count, error *err)
{
    int64_t set_id = 0;
    return c->store->ops->addresses.current(c->store, tenant_id, &set_id, count, err);
}

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

/*
 * address — the search and the nearest address of the collectivité's address list (its
 * import is address_import.c). The search finds candidate streets by the range of its
 * rarest word's prefix in the words index, keeps those every other word matches, ranks them,
 * then reads the number typed on the best ones.
 */
#include "core/address.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/collate.h"
#include "util/geo.h"
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

int address_resolve(core *c, int64_t tenant_id, const char *typed, const char *chosen, size_t limit,
                    arena *a, store_address **hits, size_t *n, const store_address **take,
                    error *err)
{
    *take = NULL;
    if (address_search(c, tenant_id, typed, limit, a, hits, n, err) != 0)
        return err->code == ERR_INVALID_ARG ? 0 : -1;
    /* A street and its numbers answer «rue de la Paix 12»: the one number is meant. */
    size_t numbered = 0;
    for (size_t i = 0; i < *n; i++)
        if ((*hits)[i].number > 0 && numbered++ == 0)
            *take = &(*hits)[i];
    if (numbered != 1)
        *take = *n == 1 ? &(*hits)[0] : NULL;
    /* Chosen by its label: an address typed differently since is looked up afresh. */
    for (size_t i = 0; chosen && *chosen && i < *n; i++)
        if (strcmp(chosen, (*hits)[i].label) == 0)
            *take = &(*hits)[i];
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

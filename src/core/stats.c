/*
 * stats — see stats.h for the method. The walk hands each fact to collect(), which keeps its
 * three delays and, for each grouping asked, finds its group through a small open-addressing
 * table keyed by an integer (an id, a day number, a month or week number, or the index of an
 * interned channel or status), adds its counts to the group and keeps the group's index beside
 * the delays. Then, per grouping, the delays are laid out group after group in scratch
 * vectors (a counting sort) and the percentiles selected (quickselect) in place. The vectors
 * are malloc'd, not taken from the request's arena, whose bound is sized for pages, and freed
 * before returning.
 */
#include "core/stats.h"

#include "core/area.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct channel or status codes one query may meet: the workflows' codes are few. */
#define STATS_MAX_NAMES 256
/* Most groups: ten years of days is 3,653; procedures and departments are fewer. */
#define STATS_MAX_GROUPS 8192
/* A fact's group index outside a grouping's window (group indexes are below STATS_MAX_GROUPS). */
#define NOT_GROUPED UINT16_MAX

/* A fact's delays in seconds, -1 where it has none: what the percentiles are selected from. */
typedef struct fact_delays {
    int32_t answer, close, open_age;
} fact_delays;

/* The three delays, in fact_delays' order. */
enum { D_ANSWER, D_CLOSE, D_OPEN_AGE, N_DELAYS };

typedef struct group_acc {
    int64_t key;
    int64_t count, reopened;
    int64_t closed_on_time, closed_late, overdue, rated, rating_sum, supporters;
    size_t n_delays[N_DELAYS]; /* the facts with each delay */
} group_acc;

/* One grouping's groups as the walk finds them. */
typedef struct grouping_acc {
    stats_grouping spec;
    group_acc *groups; /* STATS_MAX_GROUPS of room */
    size_t n_groups;
    int32_t slots[2 * STATS_MAX_GROUPS]; /* index + 1 into groups; 0: empty */
    int64_t last_day, last_day_key;      /* the time bucket of the previous fact's local day */
    size_t last_group;                   /* the previous fact's group + 1: often this one's too */
} grouping_acc;

typedef struct walk {
    core *c;
    int64_t tenant_id;
    int64_t area;      /* the quartier asked for, or STATS_AREA_ANY */
    int locate;        /* whether the facts' quartiers are needed (by or area) */
    int64_t fact_area; /* the quartier of the fact being collected, when locate */
    int64_t fact_day;  /* its local day, INT64_MIN until a grouping by time asks */
    int64_t now;
    const char *tz;
    char names[STATS_MAX_NAMES][48];
    size_t n_names;
    size_t last_name;
    int64_t walked;
    grouping_acc *gs;
    size_t k;
    /* Per fact kept, in walk order: its delays, and its group in each of the k groupings. */
    fact_delays *delays;
    uint16_t *gix;
    size_t n, cap;
} walk;

static const struct {
    const char *name;
    stats_group by;
} group_names[] = {
    {"channel", STATS_BY_CHANNEL},
    {"procedure", STATS_BY_PROCEDURE},
    {"department", STATS_BY_DEPARTMENT},
    {"status", STATS_BY_STATUS},
    {"day", STATS_BY_DAY},
    {"week", STATS_BY_WEEK},
    {"month", STATS_BY_MONTH},
    {"area", STATS_BY_AREA},
};

int stats_group_parse(const char *name, stats_group *out)
{
    for (size_t i = 0; i < sizeof group_names / sizeof *group_names; i++)
        if (strcmp(name, group_names[i].name) == 0) {
            *out = group_names[i].by;
            return 0;
        }
    return -1;
}

/* A delay past 68 years, or negative (a clock set back), is clamped, not wrapped. */
static int32_t clamp_delay(int64_t x)
{
    return x < 0 ? 0 : x > INT32_MAX ? INT32_MAX : (int32_t)x;
}

/* The index of code in w's interned names, added when new; -1 when the table is full. */
static int64_t intern(walk *w, const char *code)
{
    if (w->last_name < w->n_names && strcmp(w->names[w->last_name], code) == 0)
        return (int64_t)w->last_name;
    for (size_t i = 0; i < w->n_names; i++)
        if (strcmp(w->names[i], code) == 0)
            return (int64_t)(w->last_name = i);
    if (w->n_names == STATS_MAX_NAMES || strlen(code) >= sizeof w->names[0])
        return -1;
    memcpy(w->names[w->n_names], code, strlen(code) + 1);
    return (int64_t)(w->last_name = w->n_names++);
}

static int id_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The integer key of fact's group in grouping g. */
static int fact_key(walk *w, grouping_acc *g, const store_request_fact *fact, int64_t *key)
{
    int year;
    unsigned month, mday, week;
    stats_group by = g->spec.by;
    switch (by) {
    case STATS_BY_NONE:
        *key = 0;
        return 0;
    case STATS_BY_CHANNEL:
        *key = intern(w, fact->channel);
        return *key < 0 ? -1 : 0;
    case STATS_BY_STATUS:
        *key = intern(w, fact->status);
        return *key < 0 ? -1 : 0;
    case STATS_BY_PROCEDURE:
        *key = fact->procedure_id;
        return 0;
    case STATS_BY_DEPARTMENT:
        *key = fact->department_id;
        return 0;
    case STATS_BY_AREA:
        *key = w->fact_area;
        return 0;
    case STATS_BY_AGENT:
        /* Every assignee not asked for, and an identifier of no agent (-1), fold into -1. */
        *key = fact->assignee_id;
        if (*key > 0 && (!g->spec.n_agent_ids ||
                         !bsearch(&fact->assignee_id, g->spec.agent_ids, g->spec.n_agent_ids,
                                  sizeof *g->spec.agent_ids, id_cmp)))
            *key = -1;
        return 0;
    case STATS_BY_DAY:
    case STATS_BY_WEEK:
    case STATS_BY_MONTH:
    case STATS_BY_MONTH_CHANNEL:
        break;
    }
    /* Facts come in filing order, most of them on the day of the one before: its bucket is
     * reused rather than the calendar worked out again. */
    if (w->fact_day == INT64_MIN)
        w->fact_day = time_local_day(fact->created_at, w->tz);
    int64_t day = w->fact_day;
    if (day != g->last_day) {
        if (by == STATS_BY_DAY) {
            g->last_day_key = day;
        } else if (by == STATS_BY_WEEK) {
            time_day_iso_week(day, &year, &week);
            g->last_day_key = (int64_t)year * 100 + week;
        } else {
            time_day_civil(day, &year, &month, &mday);
            g->last_day_key = (int64_t)year * 100 + month;
        }
        g->last_day = day;
    }
    *key = g->last_day_key;
    if (by == STATS_BY_MONTH_CHANNEL) {
        int64_t ch = intern(w, fact->channel); /* below STATS_MAX_NAMES */
        if (ch < 0)
            return -1;
        *key = *key * STATS_MAX_NAMES + ch;
    }
    return 0;
}

/* The index of g's group of key, added when new; SIZE_MAX when g has STATS_MAX_GROUPS. */
static size_t group_of(grouping_acc *g, int64_t key)
{
    if (g->last_group && g->groups[g->last_group - 1].key == key)
        return g->last_group - 1;
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15u;
    size_t mask = sizeof g->slots / sizeof *g->slots - 1;
    for (size_t i = (size_t)(h >> 40) & mask;; i = (i + 1) & mask) {
        int32_t s = g->slots[i];
        if (s == 0) {
            if (g->n_groups == STATS_MAX_GROUPS)
                return SIZE_MAX;
            group_acc *ga = &g->groups[g->n_groups];
            memset(ga, 0, sizeof *ga);
            ga->key = key;
            g->slots[i] = (int32_t)++g->n_groups;
            return g->n_groups - 1;
        }
        if (g->groups[s - 1].key == key)
            return (size_t)s - 1;
    }
}

/* Room for one more fact: the kept arrays grow by half. */
static int make_room(walk *w)
{
    if (w->n < w->cap)
        return 0;
    size_t cap = w->cap ? w->cap + w->cap / 2 : 4096;
    fact_delays *d = realloc(w->delays, cap * sizeof *d);
    if (d)
        w->delays = d;
    uint16_t *x = d ? realloc(w->gix, cap * w->k * sizeof *x) : NULL;
    if (!x)
        return -1;
    w->gix = x;
    w->cap = cap;
    return 0;
}

static int collect(void *ctx, const store_request_fact *fact, error *err)
{
    walk *w = ctx;
    if (++w->walked > STATS_MAX_REQUESTS)
        return error_set(err, ERR_INVALID_ARG, "created_from",
                         "more than %d requests: narrow the period", STATS_MAX_REQUESTS);
    if (w->locate) {
        /* Not worked out yet (filed or moved since the last stats_areas_fill): found here as
         * the fill would, so that the figure is exact now. */
        w->fact_area = fact->area_id;
        if (w->fact_area < 0) {
            w->fact_area = 0;
            if (fact->has_location && area_first(w->c, w->tenant_id, AREA_QUARTIER, fact->lat,
                                                 fact->lon, &w->fact_area, NULL, err) != 0)
                return -1;
        }
        if (w->area != STATS_AREA_ANY && w->fact_area != w->area)
            return 0;
    }
    if (make_room(w) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    fact_delays *d = &w->delays[w->n];
    d->answer = fact->first_answer_at ? clamp_delay(fact->first_answer_at - fact->created_at) : -1;
    d->close = fact->closed_at ? clamp_delay(fact->closed_at - fact->created_at) : -1;
    d->open_age = fact->closed_at ? -1 : clamp_delay(w->now - fact->created_at);
    uint16_t *gix = &w->gix[w->n * w->k];
    w->fact_day = INT64_MIN;
    int keep = 0; /* a grouping with delays takes the fact */
    for (size_t j = 0; j < w->k; j++) {
        grouping_acc *g = &w->gs[j];
        if ((g->spec.created_from && fact->created_at < g->spec.created_from) ||
            (g->spec.created_to && fact->created_at > g->spec.created_to)) {
            gix[j] = NOT_GROUPED;
            continue;
        }
        int64_t key;
        size_t i = fact_key(w, g, fact, &key) == 0 ? group_of(g, key) : SIZE_MAX;
        if (i == SIZE_MAX)
            return error_set(err, ERR_INVALID_ARG, "group_by",
                             "more than %d groups: narrow the period", STATS_MAX_GROUPS);
        g->last_group = i + 1;
        gix[j] = (uint16_t)i;
        group_acc *ga = &g->groups[i];
        ga->count++;
        ga->reopened += fact->reopened > 0;
        if (fact->due_at && fact->closed_at) {
            ga->closed_on_time += fact->closed_at <= fact->due_at;
            ga->closed_late += fact->closed_at > fact->due_at;
        } else if (fact->due_at) {
            ga->overdue += fact->due_at < w->now;
        }
        if (fact->rating >= 1 && fact->rating <= 5) {
            ga->rated++;
            ga->rating_sum += fact->rating;
        }
        ga->supporters += fact->supporters;
        ga->n_delays[D_ANSWER] += d->answer >= 0;
        ga->n_delays[D_CLOSE] += d->close >= 0;
        ga->n_delays[D_OPEN_AGE] += d->open_age >= 0;
        if (g->spec.counts_only)
            gix[j] = NOT_GROUPED; /* counted, its delays laid out for none of its groups */
        else
            keep = 1;
    }
    /* Kept only for a grouping that selects delays; otherwise its room serves the next. */
    w->n += (size_t)keep;
    return 0;
}

/* Puts the k-th smallest of v[0..n) at v[k] (Hoare's selection, middle pivot), every smaller
 * one before it and every larger one after it. */
static void select_kth(int32_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                int32_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* Nearest-rank median and p90 of v[0..n) (reordered); -1 each when empty. */
static void percentiles(int32_t *v, size_t n, int64_t *median, int64_t *p90)
{
    *median = *p90 = -1;
    if (n == 0)
        return;
    size_t km = (n + 1) / 2 - 1, k9 = (9 * n + 9) / 10 - 1;
    select_kth(v, n, km);
    *median = v[km];
    /* The p90 lies at or after the median: only that part is searched again. */
    select_kth(v + km, n - km, k9 - km);
    *p90 = v[k9];
}

/* g's figures, its delays in delays[d][0..g->n_delays[d]) (reordered); delays NULL: the
 * counts alone, every median and p90 -1. */
static void figures_of(const group_acc *g, int32_t *const delays[N_DELAYS], stats_figures *fig)
{
    fig->count = g->count;
    fig->reopened = g->reopened;
    fig->closed_on_time = g->closed_on_time;
    fig->closed_late = g->closed_late;
    fig->overdue = g->overdue;
    fig->rated = g->rated;
    fig->rating_sum = g->rating_sum;
    fig->supporters = g->supporters;
    fig->answered = (int64_t)g->n_delays[D_ANSWER];
    fig->closed = (int64_t)g->n_delays[D_CLOSE];
    if (!delays) {
        fig->median_first_answer_s = fig->p90_first_answer_s = -1;
        fig->median_close_s = fig->p90_close_s = -1;
        fig->median_open_age_s = fig->p90_open_age_s = -1;
        return;
    }
    percentiles(delays[D_ANSWER], g->n_delays[D_ANSWER], &fig->median_first_answer_s,
                &fig->p90_first_answer_s);
    percentiles(delays[D_CLOSE], g->n_delays[D_CLOSE], &fig->median_close_s, &fig->p90_close_s);
    percentiles(delays[D_OPEN_AGE], g->n_delays[D_OPEN_AGE], &fig->median_open_age_s,
                &fig->p90_open_age_s);
}

/* The figures of grouping j's groups into figs[0..n_groups) (in the walk's order) and, when
 * total, of all its facts into *total. scratch: N_DELAYS vectors of room for w->n values,
 * into which the delays are laid out group after group (a counting sort: the groups' sizes
 * are known) and selected in place. -1 when out of memory. */
static int grouping_figures(const walk *w, size_t j, int32_t *const scratch[N_DELAYS],
                            stats_figures *figs, stats_figures *total)
{
    const grouping_acc *g = &w->gs[j];
    size_t ng = g->n_groups;
    size_t *end = malloc((ng ? ng : 1) * N_DELAYS * sizeof *end);
    if (!end)
        return -1;
    group_acc all;
    memset(&all, 0, sizeof all);
    for (size_t i = 0; i < ng; i++) {
        const group_acc *ga = &g->groups[i];
        for (int d = 0; d < N_DELAYS; d++) {
            end[i * N_DELAYS + d] = all.n_delays[d];
            all.n_delays[d] += ga->n_delays[d];
        }
        all.count += ga->count;
        all.reopened += ga->reopened;
        all.closed_on_time += ga->closed_on_time;
        all.closed_late += ga->closed_late;
        all.overdue += ga->overdue;
        all.rated += ga->rated;
        all.rating_sum += ga->rating_sum;
        all.supporters += ga->supporters;
    }
    if (g->spec.counts_only) {
        for (size_t i = 0; i < ng; i++)
            figures_of(&g->groups[i], NULL, &figs[i]);
        if (total)
            figures_of(&all, NULL, total);
        free(end);
        return 0;
    }
    for (size_t f = 0; f < w->n; f++) {
        uint16_t i = w->gix[f * w->k + j];
        if (i == NOT_GROUPED)
            continue;
        const fact_delays *fd = &w->delays[f];
        size_t *e = &end[(size_t)i * N_DELAYS];
        if (fd->answer >= 0)
            scratch[D_ANSWER][e[D_ANSWER]++] = fd->answer;
        if (fd->close >= 0)
            scratch[D_CLOSE][e[D_CLOSE]++] = fd->close;
        if (fd->open_age >= 0)
            scratch[D_OPEN_AGE][e[D_OPEN_AGE]++] = fd->open_age;
    }
    for (size_t i = 0; i < ng; i++) {
        const group_acc *ga = &g->groups[i];
        int32_t *seg[N_DELAYS];
        for (int d = 0; d < N_DELAYS; d++)
            seg[d] = scratch[d] + end[i * N_DELAYS + d] - ga->n_delays[d];
        figures_of(ga, seg, &figs[i]);
    }
    /* Selecting reorders each group's part of the vectors, not the whole's set. A single group
     * is the total itself. */
    if (total && ng == 1)
        *total = figs[0];
    else if (total)
        figures_of(&all, scratch, total);
    free(end);
    return 0;
}

/* The code of quartier id among areas[0..n) (NULL: in none; its id when it is gone). */
static const char *area_code(const store_area *areas, size_t n, int64_t id, arena *a)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (areas[i].id == id)
            return areas[i].code;
    return arena_printf(a, "%lld", (long long)id);
}

/* The key text of group g (areas: the tenant's quartiers, for STATS_BY_AREA). */
static const char *key_text(const walk *w, stats_group by, const cat_tenant *t, const group_acc *g,
                            const store_area *areas, size_t n_areas, arena *a)
{
    int year;
    unsigned month, mday;
    switch (by) {
    case STATS_BY_CHANNEL:
    case STATS_BY_STATUS:
        return arena_strdup(a, w->names[g->key]);
    case STATS_BY_PROCEDURE: {
        const cat_procedure *p = catalogue_procedure_by_id(t, g->key);
        return p ? p->rec.code : arena_printf(a, "%lld", (long long)g->key);
    }
    case STATS_BY_DEPARTMENT: {
        if (!g->key)
            return NULL;
        const cat_department *d = catalogue_department_by_id(t, g->key);
        return d ? d->rec.code : arena_printf(a, "%lld", (long long)g->key);
    }
    case STATS_BY_AREA:
        return area_code(areas, n_areas, g->key, a);
    case STATS_BY_AGENT:
        return !g->key      ? NULL
               : g->key < 0 ? STATS_AGENT_OTHERS
                            : arena_printf(a, "%lld", (long long)g->key);
    case STATS_BY_DAY:
        time_day_civil(g->key, &year, &month, &mday);
        return arena_printf(a, "%04d-%02u-%02u", year, month, mday);
    case STATS_BY_WEEK:
        return arena_printf(a, "%04lld-W%02lld", (long long)(g->key / 100),
                            (long long)(g->key % 100));
    case STATS_BY_MONTH:
        return arena_printf(a, "%04lld-%02lld", (long long)(g->key / 100),
                            (long long)(g->key % 100));
    case STATS_BY_MONTH_CHANNEL: {
        int64_t m = g->key / STATS_MAX_NAMES;
        return arena_printf(a, "%04lld-%02lld %s", (long long)(m / 100), (long long)(m % 100),
                            w->names[g->key % STATS_MAX_NAMES]);
    }
    case STATS_BY_NONE:
        break;
    }
    return "";
}

static int row_cmp(const void *x, const void *y)
{
    const char *a = ((const stats_group_row *)x)->key, *b = ((const stats_group_row *)y)->key;
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* The N_DELAYS scratch vectors grouping_figures lays w's delays out in, room for w->n values
 * each: 0, or -1 out of memory (then every one NULL or freeable: scratch_free it). */
static int scratch_new(const walk *w, int32_t *scratch[N_DELAYS])
{
    int rc = 0;
    for (int d = 0; d < N_DELAYS; d++)
        if (!(scratch[d] = malloc((w->n ? w->n : 1) * sizeof *scratch[d])))
            rc = -1;
    return rc;
}

static void scratch_free(int32_t *scratch[N_DELAYS])
{
    for (int d = 0; d < N_DELAYS; d++)
        free(scratch[d]);
}

static void walk_free(walk *w)
{
    if (!w)
        return;
    for (size_t j = 0; w->gs && j < w->k; j++)
        free(w->gs[j].groups);
    free(w->gs);
    free(w->delays);
    free(w->gix);
    free(w);
}

/* Walks f's facts (closed from closed_from when > 0; in quartier area unless
 * STATS_AREA_ANY) into a new walk feeding the k groupings of gs, overdue counted at now;
 * NULL and err on failure. */
static walk *walk_run(core *c, const cat_tenant *t, const store_request_filter *f,
                      int64_t closed_from, int64_t area, const stats_grouping *gs, size_t k,
                      int64_t now, error *err)
{
    walk *w = calloc(1, sizeof *w);
    if (w) {
        w->k = k;
        w->gs = calloc(k, sizeof *w->gs);
    }
    int ok = w && w->gs;
    for (size_t j = 0; ok && j < k; j++) {
        w->gs[j].spec = gs[j];
        w->gs[j].last_day = INT64_MIN;
        ok = (w->gs[j].groups = malloc(STATS_MAX_GROUPS * sizeof *w->gs[j].groups)) != NULL;
        w->locate |= gs[j].by == STATS_BY_AREA;
    }
    if (!ok) {
        walk_free(w);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    w->c = c;
    w->tenant_id = t->rec.id;
    w->area = area;
    w->locate |= area != STATS_AREA_ANY;
    w->now = now;
    w->tz = t->rec.timezone;
    if (c->store->ops->requests.facts(c->store, f, closed_from, w->locate, collect, w, err) != 0) {
        walk_free(w);
        return NULL;
    }
    return w;
}

/* Grouping j of w as *out, its keys in words (areas: the tenant's quartiers); the total
 * copied from shared when not NULL (the same facts), else worked out. */
static int grouping_result(const walk *w, size_t j, const cat_tenant *t, const store_area *areas,
                           size_t n_areas, int32_t *const scratch[N_DELAYS],
                           const stats_figures *shared, arena *a, stats_result *out, error *err)
{
    const grouping_acc *g = &w->gs[j];
    stats_group by = g->spec.by;
    memset(out, 0, sizeof *out);
    stats_figures *figs = malloc((g->n_groups ? g->n_groups : 1) * sizeof *figs);
    if (!figs || grouping_figures(w, j, scratch, figs, shared ? NULL : &out->total) != 0) {
        free(figs);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    if (shared)
        out->total = *shared;
    if (by != STATS_BY_NONE && g->n_groups) {
        out->groups = arena_alloc(a, g->n_groups * sizeof *out->groups);
        if (!out->groups) {
            free(figs);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
        out->n_groups = g->n_groups;
        for (size_t i = 0; i < g->n_groups; i++) {
            stats_group_row *row = &out->groups[i];
            row->key = key_text(w, by, t, &g->groups[i], areas, n_areas, a);
            row->label = NULL;
            row->fig = figs[i];
            if (!row->key &&
                !((by == STATS_BY_DEPARTMENT || by == STATS_BY_AREA || by == STATS_BY_AGENT) &&
                  !g->groups[i].key)) {
                free(figs);
                return error_set(err, ERR_INTERNAL, NULL, "out of memory");
            }
        }
        if (out->n_groups > 1)
            qsort(out->groups, out->n_groups, sizeof *out->groups, row_cmp);
    }
    free(figs);
    return 0;
}

int stats_query_set(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                    const stats_grouping *gs, size_t n, int64_t now, arena *a, stats_result *out,
                    error *err)
{
    memset(out, 0, n * sizeof *out);
    if (f->tenant_id != t->rec.id)
        return error_set(err, ERR_INTERNAL, NULL, "stats_query: filter of another tenant");
    if (n == 0 || n > STATS_MAX_GROUPINGS)
        return error_set(err, ERR_INTERNAL, NULL, "stats_query: %zu groupings", n);
    store_area *areas = NULL;
    size_t n_areas = 0;
    int by_area = 0;
    for (size_t j = 0; j < n; j++)
        by_area |= gs[j].by == STATS_BY_AREA;
    if (by_area && area_list(c, t->rec.id, AREA_QUARTIER, a, &areas, &n_areas, err) != 0)
        return -1;
    walk *w = walk_run(c, t, f, 0, area, gs, n, now, err);
    if (!w)
        return -1;
    int32_t *scratch[N_DELAYS];
    int ret =
        scratch_new(w, scratch) == 0 ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
    /* The groupings of one window hold the same facts: their total is worked out once. */
    for (size_t j = 0; ret == 0 && j < n; j++) {
        const stats_figures *shared = NULL;
        for (size_t i = 0; i < j && !shared; i++)
            if (gs[i].created_from == gs[j].created_from && gs[i].created_to == gs[j].created_to &&
                gs[i].counts_only == gs[j].counts_only)
                shared = &out[i].total;
        ret = grouping_result(w, j, t, areas, n_areas, scratch, shared, a, &out[j], err);
    }
    scratch_free(scratch);
    walk_free(w);
    if (ret != 0)
        memset(out, 0, n * sizeof *out);
    return ret;
}

int stats_query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                stats_group by, int64_t now, arena *a, stats_result *out, error *err)
{
    if (by == STATS_BY_AGENT) {
        memset(out, 0, sizeof *out);
        return error_set(err, ERR_INTERNAL, NULL, "stats_query: per agent through stats_agent");
    }
    stats_grouping g = {.by = by};
    return stats_query_set(c, t, f, area, &g, 1, now, a, out, err);
}

/* ---- the portal's honest delays ---- */

typedef struct delay_row {
    int64_t procedure_id, closed, median_s, p90_s;
} delay_row;

struct stats_cached {
    struct stats_cached *next;
    int64_t tenant_id;
    int64_t computed_at;
    delay_row *rows; /* malloc'd */
    size_t n;
};

/* One walk of the tenant's requests closed in the last STATS_DELAY_DAYS days, by procedure,
 * through request_facts_closed. */
static int delays_compute(core *c, const cat_tenant *t, int64_t now, delay_row **rows, size_t *n,
                          error *err)
{
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    stats_grouping by = {.by = STATS_BY_PROCEDURE};
    walk *w = walk_run(c, t, &f, now - (int64_t)STATS_DELAY_DAYS * 86400, STATS_AREA_ANY, &by, 1,
                       now, err);
    if (!w)
        return -1;
    size_t ng = w->gs[0].n_groups;
    int32_t *scratch[N_DELAYS];
    int ok = scratch_new(w, scratch) == 0;
    stats_figures *figs = ok ? malloc((ng ? ng : 1) * sizeof *figs) : NULL;
    *rows = figs ? calloc(ng ? ng : 1, sizeof **rows) : NULL;
    ok = *rows && grouping_figures(w, 0, scratch, figs, NULL) == 0;
    for (size_t i = 0; ok && i < ng; i++)
        (*rows)[i] = (delay_row){w->gs[0].groups[i].key, figs[i].closed, figs[i].median_close_s,
                                 figs[i].p90_close_s};
    *n = ng;
    scratch_free(scratch);
    free(figs);
    walk_free(w);
    if (!ok) {
        free(*rows);
        *rows = NULL;
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int stats_procedure_delay(core *c, const cat_tenant *t, int64_t procedure_id, int64_t *median_s,
                          int64_t *p90_s)
{
    int64_t now = time_now();
    int found = 0;
    pthread_mutex_lock(&c->stats_lock);
    struct stats_cached *e = c->stats_cache;
    while (e && e->tenant_id != t->rec.id)
        e = e->next;
    if (!e || now - e->computed_at >= STATS_DELAY_TTL_S || now < e->computed_at) {
        /* Under the lock: concurrent views of a stale figure wait for one walk rather than
         * each starting its own. */
        error err;
        error_clear(&err);
        delay_row *rows = NULL;
        size_t n = 0;
        if (delays_compute(c, t, now, &rows, &n, &err) != 0) {
            log_error("stats: honest delays of tenant %lld: %s", (long long)t->rec.id, err.detail);
        } else {
            if (!e && (e = calloc(1, sizeof *e)) != NULL) {
                e->tenant_id = t->rec.id;
                e->next = c->stats_cache;
                c->stats_cache = e;
            }
            if (e) {
                free(e->rows);
                e->rows = rows;
                e->n = n;
                e->computed_at = now;
                rows = NULL;
            }
            free(rows);
        }
    }
    for (size_t i = 0; e && i < e->n && !found; i++)
        if (e->rows[i].procedure_id == procedure_id &&
            e->rows[i].closed >= STATS_DELAY_MIN_CLOSED) {
            *median_s = e->rows[i].median_s;
            *p90_s = e->rows[i].p90_s;
            found = 1;
        }
    pthread_mutex_unlock(&c->stats_lock);
    return found;
}

void stats_shutdown(core *c)
{
    struct stats_cached *e = c->stats_cache;
    while (e) {
        struct stats_cached *next = e->next;
        free(e->rows);
        free(e);
        e = next;
    }
    c->stats_cache = NULL;
}

int stats_area_parse(core *c, const cat_tenant *t, const char *code, int64_t *id, error *err)
{
    if (strcmp(code, "none") == 0) {
        *id = 0;
        return 0;
    }
    arena a;
    arena_init(&a, 0);
    store_area *areas = NULL;
    size_t n = 0;
    int ret = area_list(c, t->rec.id, AREA_QUARTIER, &a, &areas, &n, err);
    if (ret == 0) {
        ret = error_set(err, ERR_INVALID_ARG, "area", "no quartier has this code");
        for (size_t i = 0; i < n; i++)
            if (strcmp(areas[i].code, code) == 0) {
                *id = areas[i].id;
                error_clear(err);
                ret = 0;
                break;
            }
    }
    arena_free(&a);
    return ret;
}

double stats_mean_rating(const stats_figures *fig)
{
    return fig->rated ? (double)fig->rating_sum / (double)fig->rated : 0;
}

/* ---- the facts' quartiers ---- */

typedef struct area_found {
    int64_t tenant_id, created_at, request_id, area_id, version;
    int has;
    double lat, lon;
} area_found;

typedef struct fill_op {
    core_op op;
    area_found *rows; /* in op.a */
    size_t n;
    size_t changed; /* facts the job wrote */
    size_t *done;   /* the caller's, told changed: it waits for the job */
} fill_op;

typedef struct fill_walk {
    core *c;
    int64_t tenant_id;
    area_found *rows;
    size_t n, max;
} fill_walk;

static int fill_row(void *ctx, const store_request_fact *fact, error *err)
{
    fill_walk *fw = ctx;
    if (fw->n == fw->max)
        return 0;
    area_found *r = &fw->rows[fw->n];
    *r = (area_found){.tenant_id = fw->tenant_id,
                      .created_at = fact->created_at,
                      .request_id = fact->procedure_id, /* see facts_unlocated */
                      .has = fact->has_location,
                      .lat = fact->lat,
                      .lon = fact->lon};
    if (area_first(fw->c, fw->tenant_id, AREA_QUARTIER, r->has ? r->lat : 0, r->has ? r->lon : 0,
                   &r->area_id, &r->version, err) != 0)
        return -1;
    if (!r->has)
        r->area_id = 0;
    fw->n++;
    return 0;
}

static int fill_apply(store *s, core_op *op, error *err)
{
    fill_op *fo = (fill_op *)op;
    fo->changed = 0;
    for (size_t i = 0; i < fo->n; i++) {
        const area_found *r = &fo->rows[i];
        int changed = 0;
        if (s->ops->requests.tx_fact_area_set(s, r->tenant_id, r->created_at, r->request_id, r->has,
                                              r->lat, r->lon, r->area_id, r->version, &changed,
                                              err) != 0)
            return -1;
        fo->changed += (size_t)changed;
    }
    return 0;
}

static void fill_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    fill_op *fo = (fill_op *)op;
    if (*rc == 0 && fo->done)
        *fo->done = fo->changed;
}

int stats_areas_fill(core *c, size_t *done, error *err)
{
    *done = 0;
    fill_op *fo = core_op_new(sizeof *fo, fill_apply);
    if (!fo)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    fill_walk fw = {.c = c, .max = STATS_AREAS_BATCH};
    fw.rows = arena_alloc(&fo->op.a, STATS_AREAS_BATCH * sizeof *fw.rows);
    if (!fw.rows) {
        core_op_free(fo);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    const catalogue *cat = catalogue_acquire(c);
    for (size_t i = 0; i < cat->n_tenants && fw.n < fw.max; i++) {
        fw.tenant_id = cat->tenants[i].rec.id;
        size_t before = fw.n;
        error one;
        error_clear(&one);
        /* A collectivité whose quartiers cannot be read (or whose read failed) keeps its
         * facts unknown, still exact at query time; the others are filled all the same. */
        if (c->store->ops->requests.facts_unlocated(c->store, fw.tenant_id, fw.max - fw.n, fill_row,
                                                    &fw, &one) != 0) {
            log_warn("stats: the quartiers of collectivité %lld are not worked out: %s",
                     (long long)fw.tenant_id, one.detail);
            fw.n = before;
        }
    }
    catalogue_release(c, cat);
    if (fw.n == 0) {
        core_op_free(fo);
        return 0;
    }
    fo->rows = fw.rows;
    fo->n = fw.n;
    fo->done = done;
    fo->op.finish = fill_finish;
    return core_op_submit(c, fo, NULL, NULL, err);
}

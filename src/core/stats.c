/*
 * stats — see stats.h for the method. The walk hands each fact to collect(), which finds its
 * group through a small open-addressing table keyed by an integer (an id, a day number, a
 * month or week number, or the index of an interned channel or status) and appends its
 * delays to the group's vectors; the percentiles are then selected (quickselect) in place.
 * The vectors are malloc'd, not taken from the request's arena, whose bound is sized for
 * pages, and freed before returning.
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

typedef struct i32vec {
    int32_t *v;
    size_t n, cap;
} i32vec;

typedef struct group_acc {
    int64_t key;
    int64_t count, reopened;
    int64_t closed_on_time, closed_late, overdue, rated, rating_sum, supporters;
    i32vec answer, close, open_age;
} group_acc;

typedef struct walk {
    stats_group by;
    core *c;
    int64_t tenant_id;
    int64_t area;      /* the quartier asked for, or STATS_AREA_ANY */
    int locate;        /* whether the facts' quartiers are needed (by or area) */
    int64_t fact_area; /* the quartier of the fact being collected, when locate */
    int64_t now;
    const char *tz;
    group_acc *groups;
    size_t n_groups;
    int32_t slots[2 * STATS_MAX_GROUPS]; /* index + 1 into groups; 0: empty */
    char names[STATS_MAX_NAMES][48];
    size_t n_names;
    size_t last_name;
    int64_t last_day, last_day_key; /* the time bucket of the previous fact's local day */
    group_acc *last_group;          /* the previous fact's group: often this one's too */
    int64_t walked;
    const int64_t *agent_ids; /* STATS_BY_AGENT: the agents with a group of their own, sorted */
    size_t n_agent_ids;
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

static int vec_push(i32vec *v, int64_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        int32_t *grown = realloc(v->v, cap * sizeof *grown);
        if (!grown)
            return -1;
        v->v = grown;
        v->cap = cap;
    }
    /* A delay past 68 years, or negative (a clock set back), is clamped, not wrapped. */
    v->v[v->n++] = x < 0 ? 0 : x > INT32_MAX ? INT32_MAX : (int32_t)x;
    return 0;
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

/* The integer key of fact's group. */
static int fact_key(walk *w, const store_request_fact *fact, int64_t *key)
{
    int year;
    unsigned month, mday, week;
    switch (w->by) {
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
        if (*key > 0 && (!w->n_agent_ids || !bsearch(&fact->assignee_id, w->agent_ids,
                                                     w->n_agent_ids, sizeof *w->agent_ids, id_cmp)))
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
    int64_t day = time_local_day(fact->created_at, w->tz);
    if (day != w->last_day) {
        if (w->by == STATS_BY_DAY) {
            w->last_day_key = day;
        } else if (w->by == STATS_BY_WEEK) {
            time_day_iso_week(day, &year, &week);
            w->last_day_key = (int64_t)year * 100 + week;
        } else {
            time_day_civil(day, &year, &month, &mday);
            w->last_day_key = (int64_t)year * 100 + month;
        }
        w->last_day = day;
    }
    *key = w->last_day_key;
    if (w->by == STATS_BY_MONTH_CHANNEL) {
        int64_t ch = intern(w, fact->channel); /* below STATS_MAX_NAMES */
        if (ch < 0)
            return -1;
        *key = *key * STATS_MAX_NAMES + ch;
    }
    return 0;
}

static group_acc *group_of(walk *w, int64_t key)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15u;
    size_t mask = sizeof w->slots / sizeof *w->slots - 1;
    for (size_t i = (size_t)(h >> 40) & mask;; i = (i + 1) & mask) {
        int32_t s = w->slots[i];
        if (s == 0) {
            if (w->n_groups == STATS_MAX_GROUPS)
                return NULL;
            group_acc *g = &w->groups[w->n_groups];
            memset(g, 0, sizeof *g);
            g->key = key;
            w->slots[i] = (int32_t)++w->n_groups;
            return g;
        }
        if (w->groups[s - 1].key == key)
            return &w->groups[s - 1];
    }
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
    int64_t key;
    group_acc *g = NULL;
    if (fact_key(w, fact, &key) == 0)
        g = w->last_group && w->last_group->key == key ? w->last_group : group_of(w, key);
    w->last_group = g;
    if (!g)
        return error_set(err, ERR_INVALID_ARG, "group_by", "more than %d groups: narrow the period",
                         STATS_MAX_GROUPS);
    g->count++;
    g->reopened += fact->reopened > 0;
    if (fact->due_at && fact->closed_at) {
        g->closed_on_time += fact->closed_at <= fact->due_at;
        g->closed_late += fact->closed_at > fact->due_at;
    } else if (fact->due_at) {
        g->overdue += fact->due_at < w->now;
    }
    if (fact->rating >= 1 && fact->rating <= 5) {
        g->rated++;
        g->rating_sum += fact->rating;
    }
    g->supporters += fact->supporters;
    if ((fact->first_answer_at && vec_push(&g->answer, fact->first_answer_at - fact->created_at)) ||
        (fact->closed_at && vec_push(&g->close, fact->closed_at - fact->created_at)) ||
        (!fact->closed_at && vec_push(&g->open_age, w->now - fact->created_at)))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
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

/* Nearest-rank median and p90 of v (reordered); -1 each when empty. */
static void percentiles(i32vec *v, int64_t *median, int64_t *p90)
{
    *median = *p90 = -1;
    if (v->n == 0)
        return;
    size_t km = (v->n + 1) / 2 - 1, k9 = (9 * v->n + 9) / 10 - 1;
    select_kth(v->v, v->n, km);
    *median = v->v[km];
    /* The p90 lies at or after the median: only that part is searched again. */
    select_kth(v->v + km, v->n - km, k9 - km);
    *p90 = v->v[k9];
}

static void figures_of(group_acc *g, stats_figures *fig)
{
    fig->count = g->count;
    fig->reopened = g->reopened;
    fig->closed_on_time = g->closed_on_time;
    fig->closed_late = g->closed_late;
    fig->overdue = g->overdue;
    fig->rated = g->rated;
    fig->rating_sum = g->rating_sum;
    fig->supporters = g->supporters;
    fig->answered = (int64_t)g->answer.n;
    fig->closed = (int64_t)g->close.n;
    percentiles(&g->answer, &fig->median_first_answer_s, &fig->p90_first_answer_s);
    percentiles(&g->close, &fig->median_close_s, &fig->p90_close_s);
    percentiles(&g->open_age, &fig->median_open_age_s, &fig->p90_open_age_s);
}

/* v's values appended to all (sized beforehand). */
static void vec_append(i32vec *all, const i32vec *v)
{
    if (v->n)
        memcpy(all->v + all->n, v->v, v->n * sizeof *v->v);
    all->n += v->n;
}

/* The delays of every group in one, for the total: one allocation per vector, each group's
 * values copied in. */
static int merge_all(walk *w, group_acc *all)
{
    memset(all, 0, sizeof *all);
    size_t na = 0, nc = 0, no = 0;
    for (size_t i = 0; i < w->n_groups; i++) {
        na += w->groups[i].answer.n;
        nc += w->groups[i].close.n;
        no += w->groups[i].open_age.n;
    }
    all->answer.v = malloc((na ? na : 1) * sizeof *all->answer.v);
    all->close.v = malloc((nc ? nc : 1) * sizeof *all->close.v);
    all->open_age.v = malloc((no ? no : 1) * sizeof *all->open_age.v);
    if (!all->answer.v || !all->close.v || !all->open_age.v)
        return -1;
    all->answer.cap = na;
    all->close.cap = nc;
    all->open_age.cap = no;
    for (size_t i = 0; i < w->n_groups; i++) {
        group_acc *g = &w->groups[i];
        all->count += g->count;
        all->reopened += g->reopened;
        all->closed_on_time += g->closed_on_time;
        all->closed_late += g->closed_late;
        all->overdue += g->overdue;
        all->rated += g->rated;
        all->rating_sum += g->rating_sum;
        all->supporters += g->supporters;
        vec_append(&all->answer, &g->answer);
        vec_append(&all->close, &g->close);
        vec_append(&all->open_age, &g->open_age);
    }
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
static const char *key_text(walk *w, const cat_tenant *t, const group_acc *g,
                            const store_area *areas, size_t n_areas, arena *a)
{
    int year;
    unsigned month, mday;
    switch (w->by) {
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

static void walk_free(walk *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_groups; i++) {
        free(w->groups[i].answer.v);
        free(w->groups[i].close.v);
        free(w->groups[i].open_age.v);
    }
    free(w->groups);
    free(w);
}

/* Walks f's facts (closed from closed_from when > 0; in quartier area unless
 * STATS_AREA_ANY; by agent, the agents of agent_ids[0..n_ids) apart) into a new walk, overdue
 * counted at now; NULL and err on failure. */
static walk *walk_run(core *c, const cat_tenant *t, const store_request_filter *f,
                      int64_t closed_from, int64_t area, stats_group by, const int64_t *agent_ids,
                      size_t n_ids, int64_t now, error *err)
{
    walk *w = calloc(1, sizeof *w);
    if (w)
        w->groups = malloc(STATS_MAX_GROUPS * sizeof *w->groups);
    if (!w || !w->groups) {
        walk_free(w);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    w->by = by;
    w->c = c;
    w->tenant_id = t->rec.id;
    w->area = area;
    w->locate = by == STATS_BY_AREA || area != STATS_AREA_ANY;
    w->now = now;
    w->tz = t->rec.timezone;
    w->last_day = INT64_MIN;
    w->agent_ids = agent_ids;
    w->n_agent_ids = n_ids;
    if (c->store->ops->requests.facts(c->store, f, closed_from, w->locate, collect, w, err) != 0) {
        walk_free(w);
        return NULL;
    }
    return w;
}

static int query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                 stats_group by, const int64_t *agent_ids, size_t n_ids, int64_t now, arena *a,
                 stats_result *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (f->tenant_id != t->rec.id)
        return error_set(err, ERR_INTERNAL, NULL, "stats_query: filter of another tenant");
    store_area *areas = NULL;
    size_t n_areas = 0;
    if (by == STATS_BY_AREA &&
        area_list(c, t->rec.id, AREA_QUARTIER, a, &areas, &n_areas, err) != 0)
        return -1;
    walk *w = walk_run(c, t, f, 0, area, by, agent_ids, n_ids, now, err);
    if (!w)
        return -1;
    int ret = 0;
    group_acc all;
    memset(&all, 0, sizeof all);
    if (by != STATS_BY_NONE && w->n_groups) {
        out->groups = arena_alloc(a, w->n_groups * sizeof *out->groups);
        if (!out->groups) {
            ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto cleanup;
        }
        out->n_groups = w->n_groups;
        for (size_t i = 0; i < w->n_groups; i++) {
            out->groups[i].key = key_text(w, t, &w->groups[i], areas, n_areas, a);
            out->groups[i].label = NULL;
            if (!out->groups[i].key &&
                !((by == STATS_BY_DEPARTMENT || by == STATS_BY_AREA || by == STATS_BY_AGENT) &&
                  !w->groups[i].key)) {
                ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
                goto cleanup;
            }
        }
    }
    /* The total before the groups: selecting reorders the groups' vectors, not their sets.
     * A single group is the total itself. */
    if (w->n_groups == 1) {
        figures_of(&w->groups[0], &out->total);
    } else if (merge_all(w, &all) != 0) {
        ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    } else {
        figures_of(&all, &out->total);
    }
    for (size_t i = 0; i < out->n_groups; i++) {
        if (w->n_groups == 1)
            out->groups[i].fig = out->total;
        else
            figures_of(&w->groups[i], &out->groups[i].fig);
    }
    if (out->n_groups > 1)
        qsort(out->groups, out->n_groups, sizeof *out->groups, row_cmp);
cleanup:
    free(all.answer.v);
    free(all.close.v);
    free(all.open_age.v);
    walk_free(w);
    return ret;
}

int stats_query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                stats_group by, int64_t now, arena *a, stats_result *out, error *err)
{
    if (by == STATS_BY_AGENT) {
        memset(out, 0, sizeof *out);
        return error_set(err, ERR_INTERNAL, NULL, "stats_query: per agent through stats_agent");
    }
    return query(c, t, f, area, by, NULL, 0, now, a, out, err);
}

int stats_query_assignees(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                          const int64_t *agent_ids, size_t n, int64_t now, arena *a,
                          stats_result *out, error *err)
{
    return query(c, t, f, area, STATS_BY_AGENT, agent_ids, n, now, a, out, err);
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
    walk *w = walk_run(c, t, &f, now - (int64_t)STATS_DELAY_DAYS * 86400, STATS_AREA_ANY,
                       STATS_BY_PROCEDURE, NULL, 0, now, err);
    if (!w)
        return -1;
    *rows = calloc(w->n_groups ? w->n_groups : 1, sizeof **rows);
    if (!*rows) {
        walk_free(w);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    *n = w->n_groups;
    for (size_t i = 0; i < w->n_groups; i++) {
        stats_figures fig;
        figures_of(&w->groups[i], &fig);
        (*rows)[i] = (delay_row){w->groups[i].key, fig.closed, fig.median_close_s, fig.p90_close_s};
    }
    walk_free(w);
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

/*
 * stats — the statistics engine of pilotage (issue 17): for a collectivité, the requests a
 * filter matches (the filters of GET /api/v1/requests: store_request_filter), grouped by
 * channel, procedure, department, status or by day, ISO week or month of filing in the
 * collectivité's time zone, with per group the count and the exact median and 90th
 * percentile of the time to first answer (the first public event by an agent or an API key)
 * and to close. The JSON API (GET /api/v1/stats), the portal's honest delays and the
 * dashboards all ask here, so that one figure is the same everywhere.
 *
 * Method: the store keeps one narrow facts row per request (request_facts, migration 49),
 * written by triggers in the same transaction as every change, clustered by (tenant, filing
 * time); a query walks the matching facts once, keeping each fact's three delays and its
 * group in every grouping asked (a dashboard's tables share the walk), then per grouping lays
 * the delays out group by group (a counting sort, one pass) and computes each group's
 * percentiles exactly by selection (nearest rank: the median of n values is the ceil(n/2)-th
 * smallest, the p90 the ceil(0.9 n)-th). Why not precomputed daily buckets: a median does not add
 * up across days, and buckets by every filter combination would be bucketed medians at best; a walk
 * of 1,000,000 facts of ~50 bytes costs a few hundred milliseconds at most, and creates pay one
 * small row insert. Merged duplicates are left out (they live on in the request they joined).
 */
#ifndef GUICHET_CORE_STATS_H
#define GUICHET_CORE_STATS_H

#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* Most requests one query may walk: bounds its memory (see stats_query_set). Past it the
 * query is refused (ERR_INVALID_ARG on created_from): narrow the period. */
#define STATS_MAX_REQUESTS 8000000

/* The portal's honest delays: over the requests closed in the last STATS_DELAY_DAYS days,
 * shown only from STATS_DELAY_MIN_CLOSED of them on (fewer say nothing reliable about a p90),
 * recomputed at most every STATS_DELAY_TTL_S seconds per collectivité. */
#define STATS_DELAY_DAYS 90
#define STATS_DELAY_MIN_CLOSED 10
#define STATS_DELAY_TTL_S 3600

typedef enum stats_group {
    STATS_BY_NONE = 0, /* the total only */
    STATS_BY_CHANNEL,
    STATS_BY_PROCEDURE,
    STATS_BY_DEPARTMENT,
    STATS_BY_STATUS,
    STATS_BY_DAY,   /* "2026-12-05" */
    STATS_BY_WEEK,  /* "2026-W49" (ISO 8601) */
    STATS_BY_MONTH, /* "2026-12" */
    STATS_BY_AREA,  /* the quartier's code (NULL: in none) */
    /* Month and channel together, "2026-12 web": the dashboards' channel shift in one walk
     * (not a grouping of the API). */
    STATS_BY_MONTH_CHANNEL,
    /* The current assignee, through core/stats_agent.h only (not a grouping of the API): the
     * agent's id in decimal, NULL for the unassigned requests, STATS_AGENT_OTHERS for every
     * other assignee. */
    STATS_BY_AGENT,
} stats_group;

/* STATS_BY_AGENT's key of the requests assigned to an agent not asked for, or to an
 * identifier no agent carries. */
#define STATS_AGENT_OTHERS "others"

/* The grouping named `name` ("channel", "procedure", "department", "status", "day", "week",
 * "month", "area"): 0 and *out, or -1 when unknown. */
int stats_group_parse(const char *name, stats_group *out);

/* Figures of a set of requests. Delays in seconds; -1 when no request of the set has one. */
typedef struct stats_figures {
    int64_t count;
    int64_t answered; /* with a first answer */
    int64_t closed;   /* closed now */
    int64_t reopened; /* reopened at least once */
    /* Against the SLA's due date (core/sla.h), requests without one left out: closed by it,
     * closed after it, and still open past it at the query's instant. */
    int64_t closed_on_time, closed_late, overdue;
    int64_t rated, rating_sum; /* ratings given (1 to 5) and their sum */
    int64_t supporters;        /* «moi aussi» */
    int64_t median_first_answer_s, p90_first_answer_s;
    int64_t median_close_s, p90_close_s;
    /* The backlog's age: of the requests still open, the time since filing at the query's
     * instant (count − closed of them). */
    int64_t median_open_age_s, p90_open_age_s;
} stats_figures;

typedef struct stats_group_row {
    /* channel name, procedure code, department code (NULL: requests of no department), status
     * code, or the time bucket's key in the collectivité's zone */
    const char *key;
    const char *label; /* STATS_BY_AGENT: the agent's name (core/stats_agent.h); else NULL */
    stats_figures fig;
} stats_group_row;

typedef struct stats_result {
    stats_group_row *groups; /* in a, sorted by key (NULL key first) */
    size_t n_groups;
    stats_figures total;
} stats_result;

/* stats_query's `area`: any quartier or none. */
#define STATS_AREA_ANY (-1)

/* The figures of the requests of tenant t that f matches (f->tenant_id must be t's; no text
 * nor references) and, unless area is STATS_AREA_ANY, that lie in the quartier of that id (0:
 * in none), grouped by `by`; overdue counted at `now`. 0 and *out (in a), or -1:
 * ERR_INVALID_ARG for a filter the engine refuses or a walk past STATS_MAX_REQUESTS,
 * ERR_INTERNAL otherwise. */
int stats_query(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                stats_group by, int64_t now, arena *a, stats_result *out, error *err);

/* Most groupings one stats_query_set walk feeds. */
#define STATS_MAX_GROUPINGS 12

/* One grouping of stats_query_set. */
typedef struct stats_grouping {
    stats_group by;
    /* STATS_BY_AGENT (only through core/stats_agent.h, which chooses them): the agents with a
     * group of their own, sorted ascending. */
    const int64_t *agent_ids;
    size_t n_agent_ids;
    /* When non-zero, only the requests filed from created_from to created_to (inclusive, as
     * the filter's) among those the walk's filter matches: a page's period beside its year to
     * date, in one walk. */
    int64_t created_from, created_to;
    /* Only the counts (requests, answered, closed, on time, ratings…), no delays: every
     * median and p90 of its figures -1. A fact only such groupings take is not kept for the
     * delays at all (a page's year to date beside a month is then a walk of counts). */
    int counts_only;
} stats_grouping;

/* stats_query for n (1 to STATS_MAX_GROUPINGS) groupings at once, out[0..n) answering
 * gs[0..n): one walk of the facts feeds them all, so a dashboard of many tables costs about
 * one table (each out[i].total is then that grouping's). Same answers as stats_query. Memory:
 * about 24 + 2 n bytes a request kept (taken by a grouping that is not counts_only), freed
 * before returning. */
int stats_query_set(core *c, const cat_tenant *t, const store_request_filter *f, int64_t area,
                    const stats_grouping *gs, size_t n, int64_t now, arena *a, stats_result *out,
                    error *err);

/* The id of t's quartier of code `code` ("none": 0, the requests in no quartier): 0 and *id,
 * or -1 with ERR_INVALID_ARG naming "area" when t has no such quartier. */
int stats_area_parse(core *c, const cat_tenant *t, const char *code, int64_t *id, error *err);

/* Mean rating of fig (0 when none rated). */
double stats_mean_rating(const stats_figures *fig);

/* Most facts one stats_areas_fill call works out. */
#define STATS_AREAS_BATCH 2000

/* Works out the quartier of at most STATS_AREAS_BATCH facts (of every collectivité) that do
 * not have it yet — after the migration, a filing, a move or a change of quartiers — and
 * writes them in one write job, waiting for it; idempotent, so any number of runs at any
 * time. The walks work out the others themselves, so a figure never waits for it: it keeps
 * them cheap. 0 and *done (how many were written: a fact moved or whose quartiers changed
 * meanwhile is left for the next run; STATS_AREAS_BATCH: call again), or -1 when the write
 * fails. A collectivité whose facts cannot be read or whose quartiers cannot be (a damaged
 * geometry) is logged and left out, so it never stops the others'. */
int stats_areas_fill(core *c, size_t *done, error *err);

/* The portal's delay to close for procedure_id of tenant t, over the requests closed in the
 * last STATS_DELAY_DAYS days: 1 with *median_s and *p90_s when at least
 * STATS_DELAY_MIN_CLOSED were closed, 0 when too few (or on an error, logged: a public page
 * goes on without the figure). From a per-collectivité cache refreshed every
 * STATS_DELAY_TTL_S seconds, so that a page view never walks 90 days of requests. */
int stats_procedure_delay(core *c, const cat_tenant *t, int64_t procedure_id, int64_t *median_s,
                          int64_t *p90_s);

/* Drops the delays' cache (at close; no reader may remain). */
void stats_shutdown(core *c);

#endif

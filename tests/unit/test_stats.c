/*
 * Unit tests of the statistics engine (core/stats.c) and of the facts it reads (request_facts,
 * kept by the triggers of migration 49): figures computed by hand on a fixed dataset in
 * Europe/Paris — a request at 00:30 local on each daylight-saving change day (UTC still says
 * the day before), either side of a month boundary, ISO weeks across a year end (2027-01-01
 * is in 2026-W53, 2025-12-29 in 2026-W01) —, events that are not a first answer (a citizen's,
 * an internal note, the system's, a merge's copy), a first answer written out of order, a
 * merged duplicate left out, filters through the facts alone and through the requests; then
 * random creations, answers, closings, reopenings, merges, anonymisations, moves and
 * deletions, after which the facts equal a full recount from the requests and their events;
 * and the figures per agent (core/stats_agent.h) after random assignments, reassignments,
 * closings and an agent created after their identifier was assigned, against a recount by
 * identifier, as an admin and as a manager, élus and agents refused.
 * Rows are written with SQL on a second connection: what maintains the facts is the
 * triggers, whichever code writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/area.h"
#include "core/catalogue.h"
#include "core/channel_cost.h"
#include "core/agent.h"
#include "core/stats.h"
#include "core/stats_agent.h"
#include "test_db.h"
#include "test_req.h"
#include "util/timeutil.h"

typedef struct fixture {
    test_town tt;
    sqlite3 *db;
    int64_t voirie, eclairage;
} fixture;

static int64_t at(const char *rfc3339)
{
    int64_t t;
    assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
    return t;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(&f->tt, "stats"), 0);
    assert_int_equal(test_db_add_incident(&f->tt.db, f->tt.tenant_id, "voirie", "Voirie", 0), 0);
    assert_int_equal(test_db_add_incident(&f->tt.db, f->tt.tenant_id, "eclairage", "Éclairage", 0),
                     0);
    assert_int_equal(test_town_read(&f->tt), 0);
    f->voirie = catalogue_procedure(f->tt.t, "voirie")->rec.id;
    f->eclairage = catalogue_procedure(f->tt.t, "eclairage")->rec.id;
    assert_int_equal(sqlite3_open(f->tt.db.path, &f->db), SQLITE_OK);
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->db);
    test_town_close(&f->tt);
    free(f);
    return 0;
}

/* Inserts a request; closed_at 0: open. Returns its id. */
static int64_t add_request(fixture *f, const char *ref, int64_t created, const char *chan,
                           int64_t procedure_id, const char *status, int64_t closed_at)
{
    char sql[1024];
    char closed[32] = "NULL";
    if (closed_at)
        snprintf(closed, sizeof closed, "%lld", (long long)closed_at);
    snprintf(sql, sizeof sql,
             "INSERT INTO requests (tenant_id, reference, procedure_id, status, channel, "
             "created_at, updated_at, closed_at, first_name, email) VALUES (%lld, '%s', %lld, "
             "'%s', '%s', %lld, %lld, %s, 'Camille', 'camille@example.org')",
             (long long)f->tt.tenant_id, ref, (long long)procedure_id, status, chan,
             (long long)created, (long long)created, closed);
    test_sql_exec(f->db, sql);
    return sqlite3_last_insert_rowid(f->db);
}

static void add_event(fixture *f, int64_t request_id, int64_t when, const char *kind, int is_public,
                      const char *actor, int64_t copied_from)
{
    char sql[512], copied[32] = "NULL";
    if (copied_from)
        snprintf(copied, sizeof copied, "%lld", (long long)copied_from);
    snprintf(sql, sizeof sql,
             "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
             "actor, copied_from) VALUES (%lld, %lld, %lld, '%s', %d, '%s', %s)",
             (long long)f->tt.tenant_id, (long long)request_id, (long long)when, kind, is_public,
             actor, copied);
    test_sql_exec(f->db, sql);
}

/* The fixed dataset (local times in Europe/Paris), first-answer and close delays in seconds
 * (-1: none):
 *   R1 2026-03-29 00:30 (+01:00, spring change day)  web   voirie     60    3600
 *   R2 2026-10-25 00:30 (+02:00, autumn change day)  web   voirie     120   7200
 *   R3 2026-01-31 23:30                              phone eclairage  -1    10800
 *   R4 2026-02-01 00:30                              email eclairage  300   14400
 *   R5 2026-12-31 12:00 (Thursday: 2026-W53)         web   voirie     600   36000
 *   R6 2027-01-01 10:00 (Friday: 2026-W53)           web   voirie     -1    open
 *   R7 2027-01-04 10:00 (Monday: 2027-W01)           phone voirie     30    open
 *   R8 2025-12-29 10:00 (Monday: 2026-W01)           web   eclairage  45    600
 *   R9 2026-05-05, merged into R1: left out. */
static void load_dataset(fixture *f)
{
    static const struct {
        const char *ref, *created, *channel;
        int eclairage;
        int64_t answer, close;
    } rows[] = {
        {"2026-000001", "2026-03-29T00:30:00+01:00", "web", 0, 60, 3600},
        {"2026-000002", "2026-10-25T00:30:00+02:00", "web", 0, 120, 7200},
        {"2026-000003", "2026-01-31T23:30:00+01:00", "phone", 1, -1, 10800},
        {"2026-000004", "2026-02-01T00:30:00+01:00", "email", 1, 300, 14400},
        {"2026-000005", "2026-12-31T12:00:00+01:00", "web", 0, 600, 36000},
        {"2027-000001", "2027-01-01T10:00:00+01:00", "web", 0, -1, -1},
        {"2027-000002", "2027-01-04T10:00:00+01:00", "phone", 0, 30, -1},
        {"2025-000001", "2025-12-29T10:00:00+01:00", "web", 1, 45, 600},
    };
    int64_t ids[8];
    for (size_t i = 0; i < 8; i++) {
        int64_t c = at(rows[i].created);
        ids[i] = add_request(
            f, rows[i].ref, c, rows[i].channel, rows[i].eclairage ? f->eclairage : f->voirie,
            rows[i].close >= 0 ? "resolved" : (rows[i].answer >= 0 ? "in_progress" : "new"),
            rows[i].close >= 0 ? c + rows[i].close : 0);
        add_event(f, ids[i], c, "created", 1, "agent:1", 0); /* filed at the counter */
        if (i == 1) /* R2: a later answer written first, the first one after it */
            add_event(f, ids[i], c + 500, "note", 1, "agent:2", 0);
        if (rows[i].answer >= 0)
            add_event(f, ids[i], c + rows[i].answer, "note", 1, i == 3 ? "api:logiciel" : "agent:1",
                      0);
        if (i == 0) /* R1: a second answer changes nothing */
            add_event(f, ids[i], c + 5000, "status", 1, "agent:1", 0);
    }
    int64_t c9 = at("2026-05-05T10:00:00+02:00");
    int64_t r9 = add_request(f, "2026-000009", c9, "web", f->voirie, "new", 0);
    add_event(f, r9, c9 + 10, "note", 1, "agent:1", 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE requests SET merged_into = %lld, status = 'duplicate', closed_at = %lld "
             "WHERE id = %lld",
             (long long)ids[0], (long long)(c9 + 20), (long long)r9);
    test_sql_exec(f->db, sql);
    /* R3: none of these is an agent's public answer */
    int64_t c3 = at(rows[2].created);
    add_event(f, ids[2], c3 + 10, "message", 1, "citizen", 0);
    add_event(f, ids[2], c3 + 20, "note", 0, "agent:1", 0);
    add_event(f, ids[2], c3 + 30, "status", 1, "system", 0);
    add_event(f, ids[2], c3 + 40, "note", 1, "agent:1", r9);
}

static void base_filter(fixture *f, store_request_filter *flt)
{
    memset(flt, 0, sizeof *flt);
    flt->tenant_id = f->tt.tenant_id;
}

static void query(fixture *f, const store_request_filter *flt, stats_group by, stats_result *res)
{
    error err;
    error_clear(&err);
    if (stats_query(f->tt.db.core, f->tt.t, flt, STATS_AREA_ANY, by, time_now(), &f->tt.a, res,
                    &err) != 0)
        fail_msg("stats_query: %s", err.detail);
}

static void check_fig(const stats_figures *g, int64_t count, int64_t med_a, int64_t p90_a,
                      int64_t med_c, int64_t p90_c)
{
    assert_int_equal(g->count, count);
    assert_int_equal(g->median_first_answer_s, med_a);
    assert_int_equal(g->p90_first_answer_s, p90_a);
    assert_int_equal(g->median_close_s, med_c);
    assert_int_equal(g->p90_close_s, p90_c);
}

static void check_keys(const stats_result *res, const char *const *keys, const int64_t *counts,
                       size_t n)
{
    assert_int_equal(res->n_groups, n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(res->groups[i].key);
        assert_string_equal(res->groups[i].key, keys[i]);
        assert_int_equal(res->groups[i].fig.count, counts[i]);
    }
}

static void test_hand_computed_figures(void **state)
{
    fixture *f = *state;
    load_dataset(f);
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;

    /* answers 30 45 60 120 300 600: the 3rd and 6th; closes 600 3600 7200 10800 14400 36000 */
    query(f, &flt, STATS_BY_NONE, &res);
    assert_int_equal(res.n_groups, 0);
    check_fig(&res.total, 8, 60, 600, 7200, 36000);
    assert_int_equal(res.total.answered, 6);
    assert_int_equal(res.total.closed, 6);
    assert_int_equal(res.total.reopened, 0);

    /* 00:30 on the change days is still the day before in UTC */
    query(f, &flt, STATS_BY_DAY, &res);
    const char *days[] = {"2025-12-29", "2026-01-31", "2026-02-01", "2026-03-29",
                          "2026-10-25", "2026-12-31", "2027-01-01", "2027-01-04"};
    const int64_t ones[] = {1, 1, 1, 1, 1, 1, 1, 1};
    check_keys(&res, days, ones, 8);
    check_fig(&res.groups[3].fig, 1, 60, 60, 3600, 3600);
    check_fig(&res.groups[6].fig, 1, -1, -1, -1, -1);

    query(f, &flt, STATS_BY_WEEK, &res);
    const char *weeks[] = {"2026-W01", "2026-W05", "2026-W13", "2026-W43", "2026-W53", "2027-W01"};
    const int64_t wcounts[] = {1, 2, 1, 1, 2, 1};
    check_keys(&res, weeks, wcounts, 6);
    check_fig(&res.groups[1].fig, 2, 300, 300, 10800, 14400);
    check_fig(&res.groups[4].fig, 2, 600, 600, 36000, 36000);

    query(f, &flt, STATS_BY_MONTH, &res);
    const char *months[] = {"2025-12", "2026-01", "2026-02", "2026-03",
                            "2026-10", "2026-12", "2027-01"};
    const int64_t mcounts[] = {1, 1, 1, 1, 1, 1, 2};
    check_keys(&res, months, mcounts, 7);
    check_fig(&res.groups[1].fig, 1, -1, -1, 10800, 10800);
    check_fig(&res.groups[6].fig, 2, 30, 30, -1, -1);

    /* web: answers 45 60 120 600 (2nd, 4th), closes 600 3600 7200 36000 */
    query(f, &flt, STATS_BY_CHANNEL, &res);
    const char *channels[] = {"email", "phone", "web"};
    const int64_t ccounts[] = {1, 2, 5};
    check_keys(&res, channels, ccounts, 3);
    check_fig(&res.groups[2].fig, 5, 60, 600, 3600, 36000);

    query(f, &flt, STATS_BY_PROCEDURE, &res);
    const char *procs[] = {"eclairage", "voirie"};
    const int64_t pcounts[] = {3, 5};
    check_keys(&res, procs, pcounts, 2);

    query(f, &flt, STATS_BY_STATUS, &res);
    const char *statuses[] = {"in_progress", "new", "resolved"};
    const int64_t scounts[] = {1, 1, 6};
    check_keys(&res, statuses, scounts, 3);

    query(f, &flt, STATS_BY_DEPARTMENT, &res);
    assert_int_equal(res.n_groups, 1);
    assert_null(res.groups[0].key);
    assert_int_equal(res.groups[0].fig.count, 8);

    /* a period in local time: February to December 2026 */
    flt.created_from = at("2026-02-01T00:00:00+01:00");
    flt.created_to = at("2026-12-31T23:59:59+01:00");
    query(f, &flt, STATS_BY_MONTH, &res);
    const char *period[] = {"2026-02", "2026-03", "2026-10", "2026-12"};
    check_keys(&res, period, ones, 4);

    /* the facts alone (channel, procedure) and through the requests (priority) */
    base_filter(f, &flt);
    flt.channel = "web";
    flt.procedure_ids[0] = f->voirie;
    flt.n_procedure_ids = 1;
    query(f, &flt, STATS_BY_NONE, &res);
    check_fig(&res.total, 4, 120, 600, 7200, 36000);
    test_sql_exec(f->db, "UPDATE requests SET priority = 3 WHERE reference = '2027-000002'");
    base_filter(f, &flt);
    flt.by_priority = 1;
    flt.priority = 3;
    query(f, &flt, STATS_BY_CHANNEL, &res);
    const char *urgent[] = {"phone"};
    const int64_t one[] = {1};
    check_keys(&res, urgent, one, 1);
    check_fig(&res.groups[0].fig, 1, 30, 30, -1, -1);

    /* a reopening is counted, and the close delay is the last close's */
    test_sql_exec(f->db, "UPDATE requests SET status = 'in_progress', closed_at = NULL "
                         "WHERE reference = '2026-000003'");
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE requests SET status = 'resolved', closed_at = %lld "
             "WHERE reference = '2026-000003'",
             (long long)(at("2026-01-31T23:30:00+01:00") + 20000));
    test_sql_exec(f->db, sql);
    base_filter(f, &flt);
    flt.channel = "phone";
    query(f, &flt, STATS_BY_NONE, &res);
    check_fig(&res.total, 2, 30, 30, 20000, 20000);
    assert_int_equal(res.total.reopened, 1);

    /* text and references are not statistics' filters */
    base_filter(f, &flt);
    flt.text = "lampadaire";
    error err;
    error_clear(&err);
    assert_int_equal(stats_query(f->tt.db.core, f->tt.t, &flt, STATS_AREA_ANY, STATS_BY_NONE,
                                 time_now(), &f->tt.a, &res, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
}

static void test_group_parse_and_weeks(void **state)
{
    (void)state;
    stats_group g;
    assert_int_equal(stats_group_parse("week", &g), 0);
    assert_int_equal(g, STATS_BY_WEEK);
    assert_int_equal(stats_group_parse("Week", &g), -1);
    assert_int_equal(stats_group_parse("", &g), -1);
    /* ISO weeks around year ends: 2020 had 53 weeks, 2021-01-03 (Sunday) is still 2020-W53 */
    static const struct {
        const char *day;
        int year;
        unsigned week;
    } cases[] = {
        {"2021-01-03", 2020, 53}, {"2021-01-04", 2021, 1},  {"2024-12-30", 2025, 1},
        {"2026-01-01", 2026, 1},  {"2027-01-03", 2026, 53}, {"2027-01-04", 2027, 1},
        {"2026-12-05", 2026, 49},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int y;
        unsigned w;
        time_day_iso_week(at(cases[i].day) / 86400, &y, &w);
        assert_int_equal(y, cases[i].year);
        assert_int_equal(w, cases[i].week);
    }
}

/* The facts as a full recount from the requests and their events would give them (reopened
 * aside: which statuses are closed is the workflows', checked against the test's own count). */
#define RECOUNT                                                                                    \
    "SELECT r.tenant_id, r.created_at, r.id, r.procedure_id, r.department_id, r.channel, "         \
    "r.status, (SELECT min(e.created_at) FROM request_events e WHERE e.request_id = r.id AND "     \
    "e.is_public = 1 AND e.copied_from IS NULL AND e.kind <> 'created' AND "                       \
    "(e.actor LIKE 'agent:%' OR e.actor LIKE 'api:%')), r.closed_at, r.merged_into IS NOT NULL, "  \
    "r.due_at, r.rating, r.supporters, r.lat, r.lon FROM requests r"
#define FACTS                                                                                      \
    "SELECT tenant_id, created_at, request_id, procedure_id, department_id, channel, status, "     \
    "first_answer_at, closed_at, merged, due_at, rating, supporters, lat, lon FROM request_facts"

/* a's figures equal b's; with counts_only, b's counts without delays (every median and p90
 * -1: a counts-only grouping against a full one). */
static void assert_figures(const stats_figures *a, const stats_figures *b, int counts_only)
{
    stats_figures want = *b;
    if (counts_only) {
        want.median_first_answer_s = want.p90_first_answer_s = -1;
        want.median_close_s = want.p90_close_s = -1;
        want.median_open_age_s = want.p90_open_age_s = -1;
    }
    assert_memory_equal(a, &want, sizeof want);
}

/* Every figure of a and b equal (counts_only: as assert_figures), group by group. */
static void assert_result(const stats_result *a, const stats_result *b, int counts_only)
{
    assert_figures(&a->total, &b->total, counts_only);
    assert_int_equal(a->n_groups, b->n_groups);
    for (size_t i = 0; i < a->n_groups; i++) {
        const char *ka = a->groups[i].key, *kb = b->groups[i].key;
        assert_true((ka == NULL) == (kb == NULL));
        if (ka)
            assert_string_equal(ka, kb);
        assert_figures(&a->groups[i].fig, &b->groups[i].fig, counts_only);
    }
}

static void assert_same_result(const stats_result *a, const stats_result *b)
{
    assert_result(a, b, 0);
}

/* One walk for many groupings (stats_query_set) answers as a walk for each: every grouping,
 * and groupings narrowed to a window of their own, against stats_query on the narrowed
 * filter. */
static void check_set_equals_singles(fixture *f, const store_request_filter *flt, int64_t now)
{
    int64_t from = at("2026-04-01T00:00:00+02:00"), to = at("2026-06-30T23:59:59+02:00");
    const stats_grouping gs[] = {
        {.by = STATS_BY_NONE},
        {.by = STATS_BY_CHANNEL},
        {.by = STATS_BY_PROCEDURE},
        {.by = STATS_BY_STATUS},
        {.by = STATS_BY_DAY},
        {.by = STATS_BY_WEEK},
        {.by = STATS_BY_MONTH},
        {.by = STATS_BY_MONTH_CHANNEL},
        {.by = STATS_BY_CHANNEL, .created_from = from, .created_to = to},
        {.by = STATS_BY_NONE, .created_from = from},
        {.by = STATS_BY_DAY, .created_to = to},
    };
    size_t n = sizeof gs / sizeof gs[0];
    stats_result set[sizeof gs / sizeof gs[0]];
    error err;
    error_clear(&err);
    if (stats_query_set(f->tt.db.core, f->tt.t, flt, STATS_AREA_ANY, gs, n, now, &f->tt.a, set,
                        &err) != 0)
        fail_msg("stats_query_set: %s", err.detail);
    for (size_t i = 0; i < n; i++) {
        store_request_filter one = *flt;
        if (gs[i].created_from)
            one.created_from = gs[i].created_from;
        if (gs[i].created_to)
            one.created_to = gs[i].created_to;
        stats_result single;
        if (stats_query(f->tt.db.core, f->tt.t, &one, STATS_AREA_ANY, gs[i].by, now, &f->tt.a,
                        &single, &err) != 0)
            fail_msg("stats_query: %s", err.detail);
        assert_true(single.total.count > 0);
        assert_same_result(&set[i], &single);
    }
    assert_true(set[8].total.count < set[1].total.count);
    /* Counts-only groupings: the full ones' counts, no delays. Beside a grouping windowed to
     * [from, to], the facts outside it are taken by counts-only groupings alone (not kept for
     * the delays): the windowed one still equals its own walk; one of the same window but
     * counts only shares no total with it. */
    const stats_grouping cg[] = {
        {.by = STATS_BY_CHANNEL, .created_from = from, .created_to = to},
        {.by = STATS_BY_MONTH_CHANNEL, .counts_only = 1},
        {.by = STATS_BY_CHANNEL, .counts_only = 1},
        {.by = STATS_BY_NONE, .created_from = from, .created_to = to, .counts_only = 1},
    };
    stats_result counted[4];
    if (stats_query_set(f->tt.db.core, f->tt.t, flt, STATS_AREA_ANY, cg, 4, now, &f->tt.a, counted,
                        &err) != 0)
        fail_msg("stats_query_set: %s", err.detail);
    assert_same_result(&counted[0], &set[8]);
    assert_result(&counted[1], &set[7], 1);
    assert_result(&counted[2], &set[1], 1);
    assert_figures(&counted[3].total, &set[8].total, 1);
    assert_true(set[8].total.median_first_answer_s >= 0);
    /* more groupings than a walk feeds, or none, are the caller's mistake */
    stats_grouping many[STATS_MAX_GROUPINGS + 1];
    memset(many, 0, sizeof many);
    stats_result out[STATS_MAX_GROUPINGS + 1];
    assert_int_equal(stats_query_set(f->tt.db.core, f->tt.t, flt, STATS_AREA_ANY, many,
                                     STATS_MAX_GROUPINGS + 1, now, &f->tt.a, out, &err),
                     -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_int_equal(stats_query_set(f->tt.db.core, f->tt.t, flt, STATS_AREA_ANY, many, 0, now,
                                     &f->tt.a, out, &err),
                     -1);
}

static void test_facts_equal_a_recount_after_random_changes(void **state)
{
    fixture *f = *state;
    srand(17);
    int64_t base = at("2026-01-01T00:00:00+01:00");
    int64_t created = 0;
    static const char *const channels[] = {"web", "email", "sms", "phone", "counter", "post"};
    static const char *const actors[] = {"agent:1", "agent:7", "api:logiciel", "citizen", "system"};
    char sql[512];
    test_sql_exec(f->db, "CREATE TEMP TABLE reopens (id INTEGER)");
    test_sql_exec(f->db, "BEGIN");
    for (int op = 0; op < 3000; op++) {
        int64_t n = test_sql_int(f->db, "SELECT count(*) FROM requests");
        int64_t id = n ? test_sql_int(f->db, "SELECT max(id) FROM requests") - rand() % (n + 3) : 0;
        int64_t when = base + rand() % (365 * 86400);
        int kind = n < 20 ? 0 : rand() % 11;
        switch (kind) {
        case 0:
        case 1: {
            char ref[32];
            snprintf(ref, sizeof ref, "R-%06lld", (long long)++created);
            add_request(f, ref, when, channels[rand() % 6], rand() % 2 ? f->voirie : f->eclairage,
                        "new", 0);
            break;
        }
        case 2:
        case 3: /* an event of any kind: maybe an answer */
            snprintf(sql, sizeof sql, "SELECT count(*) FROM requests WHERE id = %lld",
                     (long long)id);
            if (test_sql_int(f->db, sql))
                add_event(f, id, when, rand() % 4 ? "note" : "created", rand() % 2,
                          actors[rand() % 5], rand() % 8 ? 0 : id);
            break;
        case 4:
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET status = 'resolved', closed_at = max(created_at, %lld) "
                     "WHERE id = %lld",
                     (long long)when, (long long)id);
            test_sql_exec(f->db, sql);
            break;
        case 5:
            /* the test's own count of reopenings, per request (a deleted one takes its own) */
            snprintf(sql, sizeof sql,
                     "INSERT INTO temp.reopens SELECT id FROM requests "
                     "WHERE id = %lld AND closed_at IS NOT NULL",
                     (long long)id);
            test_sql_exec(f->db, sql);
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET status = 'in_progress', closed_at = NULL WHERE id = %lld",
                     (long long)id);
            test_sql_exec(f->db, sql);
            break;
        case 6: /* merged into another request */
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET status = 'duplicate', merged_into = %lld, "
                     "closed_at = coalesce(closed_at, created_at + 60) WHERE id = %lld",
                     (long long)(id - 1), (long long)id);
            test_sql_exec(f->db, sql);
            break;
        case 7: /* anonymised by retention: personal data gone, the facts stay */
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET first_name = NULL, email = NULL, description = NULL, "
                     "anonymised_at = %lld WHERE id = %lld",
                     (long long)when, (long long)id);
            test_sql_exec(f->db, sql);
            break;
        case 8: /* moved: another procedure, department, channel, filing time or place */
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET procedure_id = %lld, channel = '%s', created_at = "
                     "created_at - %d, lat = CASE WHEN %d THEN 48.84 + %d * 1e-5 END, lon = CASE "
                     "WHEN lat IS NOT NULL OR %d THEN 2.30 + %d * 1e-5 END WHERE id = %lld",
                     (long long)(rand() % 2 ? f->voirie : f->eclairage), channels[rand() % 6],
                     rand() % 1000, rand() % 4, rand() % 2000, rand() % 4, rand() % 2000,
                     (long long)id);
            test_sql_exec(f->db, sql);
            break;
        case 9: /* a due date, a rating, «moi aussi» */
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET due_at = CASE WHEN %d THEN created_at + %d END, rating = "
                     "%d, supporters = supporters + %d WHERE id = %lld",
                     rand() % 4, rand() % (30 * 86400), rand() % 6, rand() % 3, (long long)id);
            test_sql_exec(f->db, sql);
            break;
        default: /* deleted */
            snprintf(sql, sizeof sql,
                     "DELETE FROM request_events WHERE request_id = %lld; "
                     "DELETE FROM requests WHERE id = %lld",
                     (long long)id, (long long)id);
            test_sql_exec(f->db, sql);
            break;
        }
    }
    test_sql_exec(f->db, "COMMIT");
    assert_true(test_sql_int(f->db, "SELECT count(*) FROM requests") > 100);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM (" RECOUNT " EXCEPT " FACTS ")"), 0);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM (" FACTS " EXCEPT " RECOUNT ")"), 0);
    assert_true(test_sql_int(f->db, "SELECT count(*) FROM temp.reopens") > 10);
    assert_int_equal(test_sql_int(f->db, "SELECT sum(reopened) FROM request_facts"),
                     test_sql_int(f->db, "SELECT count(*) FROM temp.reopens WHERE id IN "
                                         "(SELECT id FROM requests)"));

    /* and the engine's total is the recount's */
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;
    query(f, &flt, STATS_BY_MONTH, &res);
    assert_int_equal(
        res.total.count,
        test_sql_int(f->db, "SELECT count(*) FROM requests WHERE merged_into IS NULL"));
    assert_int_equal(res.total.closed,
                     test_sql_int(f->db, "SELECT count(*) FROM requests WHERE "
                                         "merged_into IS NULL AND closed_at IS NOT "
                                         "NULL"));
    int64_t sum = 0;
    for (size_t i = 0; i < res.n_groups; i++)
        sum += res.groups[i].fig.count;
    assert_int_equal(sum, res.total.count);
    /* the selected median and p90 are the sorted list's nearest ranks */
#define CLOSES                                                                                     \
    "SELECT closed_at - created_at AS d FROM requests WHERE merged_into IS NULL AND "              \
    "closed_at IS NOT NULL ORDER BY d"
    int64_t n = res.total.closed;
    assert_true(n > 50);
    snprintf(sql, sizeof sql, CLOSES " LIMIT 1 OFFSET %lld", (long long)((n + 1) / 2 - 1));
    assert_int_equal(res.total.median_close_s, test_sql_int(f->db, sql));
    snprintf(sql, sizeof sql, CLOSES " LIMIT 1 OFFSET %lld", (long long)((9 * n + 9) / 10 - 1));
    assert_int_equal(res.total.p90_close_s, test_sql_int(f->db, sql));
    /* the backlog's age at the query's instant: the open requests' ages by nearest rank */
    int64_t now = time_now();
    error err;
    error_clear(&err);
    if (stats_query(f->tt.db.core, f->tt.t, &flt, STATS_AREA_ANY, STATS_BY_MONTH, now, &f->tt.a,
                    &res, &err) != 0)
        fail_msg("stats_query: %s", err.detail);
    int64_t open = res.total.count - res.total.closed;
    assert_true(open > 20);
    for (int q = 0; q < 2; q++) {
        int64_t k = q ? (9 * open + 9) / 10 - 1 : (open + 1) / 2 - 1;
        snprintf(sql, sizeof sql,
                 "SELECT max(0, %lld - created_at) AS d FROM requests WHERE merged_into IS NULL "
                 "AND closed_at IS NULL ORDER BY d LIMIT 1 OFFSET %lld",
                 (long long)now, (long long)k);
        assert_int_equal(q ? res.total.p90_open_age_s : res.total.median_open_age_s,
                         test_sql_int(f->db, sql));
    }
    check_set_equals_singles(f, &flt, now);
}

/* Two quartiers drawn as rectangles, "nord" first, overlapping "sud": for rectangles the
 * first area holding a point is a SQL recount (west and south edges in, east and north out). */
#define QUARTIERS(nord_south)                                                                      \
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{"         \
    "\"code\":\"nord\",\"nom\":\"Nord\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[["   \
    "2.30," nord_south "],[2.32," nord_south "],[2.32,48.86],[2.30,48.86],[2.30," nord_south       \
    "]]]}},{\"type\":\"Feature\",\"properties\":{\"code\":\"sud\",\"nom\":\"Sud\"},\"geometry\":{" \
    "\"type\":\"Polygon\",\"coordinates\":[[[2.30,48.84],[2.32,48.84],[2.32,48.855],[2.30,"        \
    "48.855],[2.30,48.84]]]}}]}"
/* Each request's quartier as the recount gives it (0: in none). */
#define AREA_RECOUNT                                                                               \
    "SELECT r.id, coalesce((SELECT a.id FROM areas a WHERE a.tenant_id = r.tenant_id AND a.kind "  \
    "= 'quartier' AND r.lat >= a.min_lat AND r.lat < a.max_lat AND r.lon >= a.min_lon AND r.lon "  \
    "< a.max_lon ORDER BY a.position LIMIT 1), 0) AS area FROM requests r"

static void problem(void *ctx, long feature, const char *code, const char *what)
{
    (void)ctx;
    fail_msg("area import: feature %ld (%s): %s", feature, code ? code : "-", what);
}

static void import_quartiers(fixture *f, const char *text)
{
    area_import_result r;
    long problems = 0;
    error err;
    error_clear(&err);
    assert_int_equal(area_import(f->tt.db.core, f->tt.tenant_id, AREA_QUARTIER, text, strlen(text),
                                 problem, NULL, &r, &problems, &err),
                     0);
    assert_int_equal(problems, 0);
    assert_int_equal(catalogue_reload(f->tt.db.core, &err), 0);
}

/* The engine's figures by quartier and in one quartier against the recount, whether the facts'
 * quartiers are worked out yet or not; the new figures' totals against SQL. */
static void check_areas(fixture *f, int64_t now)
{
    char sql[1024];
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;
    error err;
    error_clear(&err);
    assert_int_equal(stats_query(f->tt.db.core, f->tt.t, &flt, STATS_AREA_ANY, STATS_BY_AREA, now,
                                 &f->tt.a, &res, &err),
                     0);
    int64_t sum = 0;
    for (size_t i = 0; i < res.n_groups; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM (" AREA_RECOUNT ") x JOIN requests r ON r.id = x.id "
                 "WHERE r.merged_into IS NULL AND x.area = coalesce((SELECT id FROM areas "
                 "WHERE kind = 'quartier' AND code = '%s'), 0)",
                 res.groups[i].key ? res.groups[i].key : "");
        assert_int_equal(res.groups[i].fig.count, test_sql_int(f->db, sql));
        sum += res.groups[i].fig.count;
    }
    assert_int_equal(sum, res.total.count);
    int64_t nord = 0;
    assert_int_equal(stats_area_parse(f->tt.db.core, f->tt.t, "nord", &nord, &err), 0);
    assert_int_equal(
        stats_query(f->tt.db.core, f->tt.t, &flt, nord, STATS_BY_NONE, now, &f->tt.a, &res, &err),
        0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM requests r WHERE r.merged_into IS NULL AND r.lat >= "
             "(SELECT min_lat FROM areas WHERE id = %lld) AND r.lat < 48.86 AND r.lon >= 2.30 AND "
             "r.lon < 2.32",
             (long long)nord);
    assert_true(res.total.count > 100);
    assert_int_equal(res.total.count, test_sql_int(f->db, sql));
    /* the new figures, over every request */
    assert_int_equal(stats_query(f->tt.db.core, f->tt.t, &flt, STATS_AREA_ANY, STATS_BY_CHANNEL,
                                 now, &f->tt.a, &res, &err),
                     0);
#define LIVE "FROM requests WHERE merged_into IS NULL"
    snprintf(sql, sizeof sql,
             "SELECT count(*) " LIVE " AND due_at IS NOT NULL AND closed_at IS NULL "
             "AND due_at < %lld",
             (long long)now);
    assert_int_equal(res.total.overdue, test_sql_int(f->db, sql));
    assert_int_equal(res.total.closed_on_time,
                     test_sql_int(f->db, "SELECT count(*) " LIVE " AND closed_at "
                                         "<= due_at"));
    assert_int_equal(res.total.closed_late,
                     test_sql_int(f->db, "SELECT count(*) " LIVE " AND closed_at "
                                         "> due_at"));
    assert_int_equal(res.total.rated,
                     test_sql_int(f->db, "SELECT count(*) " LIVE " AND rating > 0"));
    assert_int_equal(res.total.rating_sum, test_sql_int(f->db, "SELECT total(rating) " LIVE));
    assert_int_equal(res.total.supporters, test_sql_int(f->db, "SELECT total(supporters) " LIVE));
    int64_t overdue = 0, rated = 0;
    for (size_t i = 0; i < res.n_groups; i++) {
        overdue += res.groups[i].fig.overdue;
        rated += res.groups[i].fig.rated;
    }
    assert_int_equal(overdue, res.total.overdue);
    assert_int_equal(rated, res.total.rated);
}

/* Works out every fact's quartier, then checks them against the recount. */
static void fill_and_check(fixture *f)
{
    size_t done = 0;
    error err;
    error_clear(&err);
    do
        assert_int_equal(stats_areas_fill(f->tt.db.core, &done, &err), 0);
    while (done == STATS_AREAS_BATCH);
    assert_int_equal(
        test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NULL"), 0);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM (SELECT request_id, area_id FROM "
                                         "request_facts EXCEPT " AREA_RECOUNT ")"),
                     0);
    /* idempotent: nothing left to do */
    assert_int_equal(stats_areas_fill(f->tt.db.core, &done, &err), 0);
    assert_int_equal(done, 0);
}

static void test_quartiers_and_deadlines(void **state)
{
    fixture *f = *state;
    srand(54);
    import_quartiers(f, QUARTIERS("48.85"));
    int64_t now = time_now();
    char sql[512];
    test_sql_exec(f->db, "BEGIN");
    for (int i = 0; i < 2500; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "Q-%05d", i);
        int64_t created = now - rand() % (200 * 86400);
        int closed = rand() % 2;
        int64_t id = add_request(f, ref, created, rand() % 2 ? "web" : "counter",
                                 rand() % 2 ? f->voirie : f->eclairage, closed ? "resolved" : "new",
                                 closed ? created + rand() % (40 * 86400) : 0);
        if (rand() % 5 == 0)
            continue; /* without a location, due date, rating or support */
        snprintf(sql, sizeof sql,
                 "UPDATE requests SET lat = 48.835 + %d * 0.00003, lon = 2.295 + %d * 0.00003, "
                 "due_at = created_at + %d, rating = %d, supporters = %d WHERE id = %lld",
                 rand() % 1000, rand() % 1000, rand() % (30 * 86400), rand() % 6, rand() % 4,
                 (long long)id);
        test_sql_exec(f->db, sql);
    }
    test_sql_exec(f->db, "COMMIT");
    /* nothing worked out yet: the walk finds each quartier itself */
    assert_int_equal(
        test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NOT NULL"), 0);
    check_areas(f, now);
    fill_and_check(f);
    check_areas(f, now);
    /* moves: those facts' quartiers are unknown again, and the figures still exact */
    test_sql_exec(f->db,
                  "UPDATE requests SET lat = lat + 0.004 WHERE id % 7 = 0 AND lat IS NOT NULL");
    assert_true(test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NULL") >
                200);
    check_areas(f, now);
    fill_and_check(f);
    /* a location taken away: unknown again, then in none */
    test_sql_exec(f->db,
                  "CREATE TEMP TABLE moved AS SELECT min(id) AS id FROM requests WHERE lat IS NOT "
                  "NULL AND lat >= 48.84 AND lat < 48.86 AND lon >= 2.30 AND lon < 2.32");
    test_sql_exec(f->db,
                  "UPDATE requests SET lat = NULL, lon = NULL WHERE id = (SELECT id FROM moved)");
    assert_int_equal(test_sql_int(f->db, "SELECT area_id IS NULL FROM request_facts WHERE "
                                         "request_id = (SELECT id FROM moved)"),
                     1);
    check_areas(f, now);
    fill_and_check(f);
    assert_int_equal(test_sql_int(f->db, "SELECT area_id FROM request_facts WHERE "
                                         "request_id = (SELECT id FROM moved)"),
                     0);
    /* the quartiers redrawn: every fact's quartier unknown, the figures follow the new map */
    import_quartiers(f, QUARTIERS("48.852"));
    assert_int_equal(
        test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NOT NULL"), 0);
    check_areas(f, now);
    fill_and_check(f);
    check_areas(f, now);
    /* renamed only: every fact keeps its quartier (a rename must not make an import of a
     * metropolis's names walk every request again) */
    test_sql_exec(f->db, "UPDATE areas SET name = name || ' (renommé)' WHERE kind = 'quartier'");
    assert_int_equal(
        test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NULL"), 0);
    /* put in another order (the first holding a point may change): every one unknown */
    test_sql_exec(f->db, "SAVEPOINT reorder");
    test_sql_exec(f->db, "UPDATE areas SET position = -position WHERE kind = 'quartier'");
    assert_int_equal(
        test_sql_int(f->db, "SELECT count(*) FROM request_facts WHERE area_id IS NOT NULL"), 0);
    test_sql_exec(f->db, "ROLLBACK TO reorder");
    test_sql_exec(f->db, "RELEASE reorder");
    /* an unknown quartier is refused, "none" is the requests in none */
    int64_t id = -5;
    error err;
    error_clear(&err);
    assert_int_equal(stats_area_parse(f->tt.db.core, f->tt.t, "none", &id, &err), 0);
    assert_int_equal(id, 0);
    assert_int_equal(stats_area_parse(f->tt.db.core, f->tt.t, "ouest", &id, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "area");
}

/* Amounts as typed, the costs written and read back, and the shift and savings computed by
 * hand: 10 requests at the counter cost 120 €; 4 on the web at 1 €, 3 by post at 4 € and 3 at
 * the counter at 12 € cost 4 + 12 + 36 = 52 €: 68 € saved, 4 of 10 digital. */
static void test_channel_costs(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *text;
        int64_t cents; /* -1: refused */
    } amounts[] = {
        {"12", 1200},  {"0,5", 50},     {"0.10", 10},   {" 4 ", 400},  {"1000", 100000},
        {"0", 0},      {"1000,01", -1}, {"12,345", -1}, {"-4", -1},    {"", -1},
        {"douze", -1}, {"12,", -1},     {",5", -1},     {"1 000", -1}, {"99999999", -1},
        {"4.1", 410},  {"12e3", -1},    {"0x10", -1},
    };
    for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++) {
        int64_t c = -7;
        int rc = channel_cost_parse(amounts[i].text, &c);
        if (amounts[i].cents < 0) {
            assert_int_equal(rc, -1);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(c, amounts[i].cents);
        }
    }
    error err;
    error_clear(&err);
    int64_t cents[CHANNEL_COUNT];
    assert_int_equal(channel_costs_get(f->tt.db.core, f->tt.tenant_id, cents, &err), 0);
    for (int i = 0; i < CHANNEL_COUNT; i++)
        assert_int_equal(cents[i], -1);
    int64_t want[CHANNEL_COUNT];
    for (int i = 0; i < CHANNEL_COUNT; i++)
        want[i] = -1;
    want[CHANNEL_COUNTER] = 1200;
    want[CHANNEL_WEB] = 100;
    want[CHANNEL_POST] = 400;
    assert_int_equal(
        channel_costs_set_as(f->tt.db.core, &actor_system, f->tt.tenant_id, want, NULL, NULL, &err),
        0);
    assert_int_equal(channel_costs_get(f->tt.db.core, f->tt.tenant_id, cents, &err), 0);
    assert_memory_equal(cents, want, sizeof cents);
    assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log WHERE object_kind = "
                                         "'channel_costs'"),
                     0); /* the system is not audited; an admin is (tests/http/pilotage.test.js) */
    int64_t too_much[CHANNEL_COUNT];
    memcpy(too_much, want, sizeof too_much);
    too_much[CHANNEL_SMS] = CHANNEL_COST_MAX_CENTS + 1;
    assert_int_equal(channel_costs_set_as(f->tt.db.core, &actor_system, f->tt.tenant_id, too_much,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "sms");

    int64_t count[CHANNEL_COUNT] = {0};
    count[CHANNEL_WEB] = 4;
    count[CHANNEL_POST] = 3;
    count[CHANNEL_COUNTER] = 3;
    channel_shift sh;
    channel_shift_of(count, cents, &sh);
    assert_int_equal(sh.total, 10);
    assert_int_equal(sh.digital, 4);
    assert_true(sh.priced);
    assert_int_equal(sh.at_counter_cents, 12000);
    assert_int_equal(sh.actual_cents, 5200);
    assert_int_equal(sh.saved_cents, 6800);
    /* a channel with requests and no cost: no savings, the shift still */
    count[CHANNEL_SMS] = 2;
    channel_shift_of(count, cents, &sh);
    assert_false(sh.priced);
    assert_int_equal(sh.saved_cents, 0);
    assert_int_equal(sh.digital, 6);
    /* no counter cost: nothing to compare with */
    count[CHANNEL_SMS] = 0;
    cents[CHANNEL_COUNTER] = -1;
    channel_shift_of(count, cents, &sh);
    assert_false(sh.priced);

    /* the walk by month and channel: the hand dataset's months, each channel apart */
    load_dataset(f);
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;
    query(f, &flt, STATS_BY_MONTH_CHANNEL, &res);
    const char *keys[] = {"2025-12 web", "2026-01 phone", "2026-02 email", "2026-03 web",
                          "2026-10 web", "2026-12 web",   "2027-01 phone", "2027-01 web"};
    const int64_t ones[] = {1, 1, 1, 1, 1, 1, 1, 1};
    check_keys(&res, keys, ones, 8);
    assert_int_equal(res.total.count, 8);
}

/* The portal's delay: nothing under STATS_DELAY_MIN_CLOSED closed requests, then the figures
 * of the last STATS_DELAY_DAYS days only. */
static void test_procedure_delay(void **state)
{
    fixture *f = *state;
    int64_t now = time_now();
    char ref[32];
    for (int i = 0; i < STATS_DELAY_MIN_CLOSED - 1; i++) {
        snprintf(ref, sizeof ref, "D-%02d", i);
        add_request(f, ref, now - 86400 * 5, "web", f->voirie, "resolved",
                    now - 86400 * 5 + 3600 * (i + 1));
    }
    /* closed 100 days ago: outside the window */
    add_request(f, "D-old", now - 86400 * 120, "web", f->voirie, "resolved", now - 86400 * 100);
    int64_t med = 0, p90 = 0;
    assert_int_equal(stats_procedure_delay(f->tt.db.core, f->tt.t, f->voirie, &med, &p90), 0);
    /* the cache is per collectivité and refreshed hourly: a new core sees the tenth one */
    add_request(f, "D-10", now - 86400 * 5, "web", f->voirie, "resolved",
                now - 86400 * 5 + 3600 * 10);
    stats_shutdown(f->tt.db.core);
    assert_int_equal(stats_procedure_delay(f->tt.db.core, f->tt.t, f->voirie, &med, &p90), 1);
    assert_int_equal(med, 5 * 3600); /* 1..10 hours: the 5th */
    assert_int_equal(p90, 9 * 3600); /* the 9th */
    assert_int_equal(stats_procedure_delay(f->tt.db.core, f->tt.t, f->eclairage, &med, &p90), 0);
}

/* ---- figures per agent ---- */

/* The figures of the requests of department dep (0: any) assigned to `who` (NULL:
 * unassigned; "others": to none of the identifiers in mine[0..n)), as SQL recounts them. */
static void agent_recount(fixture *f, int64_t dep, const char *who, char mine[][AGENT_ASSIGNEE_LEN],
                          size_t n, int64_t *count, int64_t *closed, int64_t *median_close)
{
    char where[2048], sql[2600];
    int len = snprintf(where, sizeof where, "merged_into IS NULL");
    if (dep)
        len += snprintf(where + len, sizeof where - (size_t)len, " AND department_id = %lld",
                        (long long)dep);
    if (!who) {
        len += snprintf(where + len, sizeof where - (size_t)len, " AND assignee IS NULL");
    } else if (strcmp(who, STATS_AGENT_OTHERS) == 0) {
        len += snprintf(where + len, sizeof where - (size_t)len, " AND assignee IS NOT NULL");
        for (size_t i = 0; i < n; i++)
            len +=
                snprintf(where + len, sizeof where - (size_t)len, " AND assignee <> '%s'", mine[i]);
    } else {
        len += snprintf(where + len, sizeof where - (size_t)len, " AND assignee = '%s'", who);
    }
    assert_true(len < (int)sizeof where);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM requests WHERE %s", where);
    *count = test_sql_int(f->db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM requests WHERE %s AND closed_at IS NOT NULL",
             where);
    *closed = test_sql_int(f->db, sql);
    *median_close = -1;
    if (*closed) {
        snprintf(sql, sizeof sql,
                 "SELECT closed_at - created_at AS d FROM requests WHERE %s AND closed_at IS NOT "
                 "NULL ORDER BY d LIMIT 1 OFFSET %lld",
                 where, (long long)((*closed + 1) / 2 - 1));
        *median_close = test_sql_int(f->db, sql);
    }
}

/* viewer's table per agent against the recount over department dep (0: the whole
 * collectivité), the agents named being exactly those of seen[0..n_seen); the rows in
 * order: agents, unassigned, others. */
static void check_agent_table(fixture *f, const store_agent *viewer, int64_t dep,
                              char seen[][AGENT_ASSIGNEE_LEN], size_t n_seen)
{
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;
    error err;
    error_clear(&err);
    core_actor who = actor_of_agent(viewer, "test");
    if (stats_agent_query(f->tt.db.core, f->tt.t, viewer, &who, "view", &flt, STATS_AREA_ANY,
                          time_now(), &f->tt.a, &res, &err) != 0)
        fail_msg("stats_agent_query: %s", err.detail);
    int64_t sum = 0;
    size_t named = 0;
    int stage = 0; /* 0: agents, 1: unassigned, 2: others */
    for (size_t i = 0; i < res.n_groups; i++) {
        const stats_group_row *g = &res.groups[i];
        int this_stage = !g->key ? 1 : strcmp(g->key, STATS_AGENT_OTHERS) == 0 ? 2 : 0;
        assert_true(this_stage >= stage);
        stage = this_stage;
        if (this_stage == 0) {
            size_t k = 0;
            while (k < n_seen && strcmp(seen[k], g->key) != 0)
                k++;
            if (k == n_seen)
                fail_msg("%s shown to %s", g->key, viewer->email);
            assert_non_null(g->label);
            named++;
        } else {
            assert_null(g->label);
        }
        int64_t count, closed, median;
        agent_recount(f, dep, g->key, seen, n_seen, &count, &closed, &median);
        assert_int_equal(g->fig.count, count);
        assert_int_equal(g->fig.closed, closed);
        assert_int_equal(g->fig.median_close_s, median);
        sum += g->fig.count;
    }
    assert_true(named >= 2);
    /* every row the recount has is there: the rows add up to the scope's total */
    stats_result all;
    if (dep)
        flt.department_ids[flt.n_department_ids++] = dep;
    query(f, &flt, STATS_BY_NONE, &all);
    assert_int_equal(sum, all.total.count);
    assert_int_equal(res.total.count, all.total.count);
    assert_int_equal(res.total.median_close_s, all.total.median_close_s);
}

static void test_figures_per_agent(void **state)
{
    fixture *f = *state;
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO departments (tenant_id, code, name) VALUES (%lld, 'voirie', 'Voirie'), "
             "(%lld, 'culture', 'Culture')",
             (long long)f->tt.tenant_id, (long long)f->tt.tenant_id);
    test_sql_exec(f->db, sql);
    error rerr;
    error_clear(&rerr);
    assert_int_equal(catalogue_reload(f->tt.db.core, &rerr), 0);
    catalogue_release(f->tt.db.core, f->tt.cat); /* the setup's, before the departments */
    assert_int_equal(test_town_read(&f->tt), 0);
    int64_t d_voirie = catalogue_department(f->tt.t, "voirie")->rec.id;
    int64_t d_culture = catalogue_department(f->tt.t, "culture")->rec.id;
    const char *voirie[] = {"voirie"}, *culture[] = {"culture"};
    store_agent ag[6];
    static const char *const emails[] = {"ana@ville-test.fr",   "bruno@ville-test.fr",
                                         "chloe@ville-test.fr", "manon@ville-test.fr",
                                         "admin@ville-test.fr", "elu@ville-test.fr"};
    static const agent_role roles[] = {AGENT_ROLE_AGENT,   AGENT_ROLE_AGENT, AGENT_ROLE_AGENT,
                                       AGENT_ROLE_MANAGER, AGENT_ROLE_ADMIN, AGENT_ROLE_ELECTED};
    for (int i = 0; i < 6; i++)
        assert_int_equal(test_db_add_agent(&f->tt.db, f->tt.tenant_id, emails[i], roles[i],
                                           i == 2 ? culture : voirie, i < 4, &f->tt.a, &ag[i]),
                         0);
    /* assignees: the six agents, one not created yet, one that is no agent's (the API's) */
    static const char *const assignees[] = {"agent:ana",   "agent:bruno", "agent:chloe",
                                            "agent:manon", "agent:admin", "agent:elu",
                                            "agent:zoe",   "equipe-nord"};
    srand(57);
    int64_t base = at("2026-03-01T00:00:00+01:00");
    for (int op = 0; op < 1500; op++) {
        if (op == 900) { /* zoé arrives and takes the requests already assigned to her */
            store_agent zoe;
            assert_int_equal(test_db_add_agent(&f->tt.db, f->tt.tenant_id, "zoe@ville-test.fr",
                                               AGENT_ROLE_AGENT, voirie, 1, &f->tt.a, &zoe),
                             0);
        }
        int64_t n = test_sql_int(f->db, "SELECT count(*) FROM requests");
        int64_t id = n ? test_sql_int(f->db, "SELECT max(id) FROM requests") - rand() % (n + 3) : 0;
        int64_t when = base + rand() % (200 * 86400);
        int kind = n < 20 ? 0 : rand() % 8;
        char assignee[40] = "NULL";
        if (rand() % 5)
            snprintf(assignee, sizeof assignee, "'%s'", assignees[rand() % 8]);
        if (kind <= 1) {
            char ref[32];
            snprintf(ref, sizeof ref, "A-%06d", op);
            int64_t rid = add_request(f, ref, when, "web", f->voirie, "new", 0);
            int64_t dep = rand() % 3 == 0 ? 0 : rand() % 2 ? d_voirie : d_culture;
            char department[24] = "NULL";
            if (dep)
                snprintf(department, sizeof department, "%lld", (long long)dep);
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET department_id = %s, assignee = %s WHERE id = %lld",
                     department, assignee, (long long)rid);
        } else if (kind <= 4) { /* (re)assigned, or unassigned */
            snprintf(sql, sizeof sql, "UPDATE requests SET assignee = %s WHERE id = %lld", assignee,
                     (long long)id);
        } else if (kind == 5) {
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET status = 'resolved', closed_at = max(created_at, %lld) "
                     "WHERE id = %lld",
                     (long long)when, (long long)id);
        } else if (kind == 6) {
            snprintf(sql, sizeof sql,
                     "UPDATE requests SET status = 'in_progress', closed_at = NULL WHERE id = %lld",
                     (long long)id);
        } else {
            snprintf(sql, sizeof sql, "DELETE FROM requests WHERE id = %lld", (long long)id);
        }
        test_sql_exec(f->db, sql);
    }
    assert_true(test_sql_int(f->db, "SELECT count(*) FROM requests WHERE assignee = 'agent:zoe'") >
                5);
    assert_true(test_sql_int(f->db, "SELECT count(*) FROM requests WHERE assignee IS NULL") > 5);

    /* an admin: every agent by name, then the unassigned, then «equipe-nord» among the others */
    char everyone[7][AGENT_ASSIGNEE_LEN] = {"agent:ana",   "agent:bruno", "agent:chloe",
                                            "agent:manon", "agent:admin", "agent:elu",
                                            "agent:zoe"};
    check_agent_table(f, &ag[4], 0, everyone, 7);
    /* a manager of voirie: voirie's requests; the agents of voirie named (zoé too), chloé
     * (culture), the admin and the élu (no department) among the others */
    char manons[4][AGENT_ASSIGNEE_LEN] = {"agent:ana", "agent:bruno", "agent:manon", "agent:zoe"};
    check_agent_table(f, &ag[3], d_voirie, manons, 4);
    assert_true(test_sql_int(f->db,
                             "SELECT count(*) FROM requests WHERE department_id = "
                             "(SELECT id FROM departments WHERE code = 'voirie') AND assignee "
                             "= 'agent:chloe'") > 0);

    /* élus and agents: refused */
    for (int i = 0; i < 6; i += 5) {
        store_request_filter flt;
        base_filter(f, &flt);
        stats_result res;
        error err;
        error_clear(&err);
        core_actor who = actor_of_agent(&ag[i], "test");
        assert_int_equal(stats_agent_query(f->tt.db.core, f->tt.t, &ag[i], &who, "view", &flt,
                                           STATS_AREA_ANY, time_now(), &f->tt.a, &res, &err),
                         -1);
        assert_int_equal(err.code, ERR_FORBIDDEN);
    }
    /* and stats_query never groups by agent itself */
    store_request_filter flt;
    base_filter(f, &flt);
    stats_result res;
    error err;
    error_clear(&err);
    assert_int_equal(stats_query(f->tt.db.core, f->tt.t, &flt, STATS_AREA_ANY, STATS_BY_AGENT,
                                 time_now(), &f->tt.a, &res, &err),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hand_computed_figures, setup, teardown),
        cmocka_unit_test(test_group_parse_and_weeks),
        cmocka_unit_test_setup_teardown(test_facts_equal_a_recount_after_random_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_procedure_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quartiers_and_deadlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_costs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures_per_agent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

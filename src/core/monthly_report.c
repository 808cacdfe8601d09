/*
 * monthly_report — see monthly_report.h. The report is composed in one arena: the figures
 * asked of core/stats.h for the month and the month before, worded with the language's
 * strings (util/wording.h), then handed to docs/report.h on the letterhead of the
 * collectivité's documents (core/document.h).
 */
#include "core/monthly_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/branding.h"
#include "core/document.h"
#include "core/stats.h"
#include "docs/report.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/wording.h"

/* The report's strings, the stats' groups (a month of days, a catalogue of procedures) and
 * the logo. */
#define REPORT_ARENA_MAX (4 * 1024 * 1024 + BRANDING_LOGO_MAX_BYTES)

typedef struct compose {
    const monthly_report_in *in;
    arena *a;
} compose;

static const char *say(const compose *k, const char *key)
{
    return wording_lookup(k->in->strings, arena_printf(k->a, "monthly_report.%s", key));
}

/* Key's string with its one blank {name} filled. */
static const char *say1(const compose *k, const char *key, const char *name, const char *value)
{
    const char *names[] = {name};
    const char *values[] = {value};
    return wording_subst(k->a, say(k, key), names, values, 1);
}

/* s with its decimal point as the language writes it (a comma in French). */
static const char *decimals(const compose *k, char *s)
{
    if (s && k->in->lang != LANG_EN)
        for (char *c = s; *c; c++)
            if (*c == '.')
                *c = ',';
    return s;
}

static const char *count_text(const compose *k, int64_t n)
{
    return arena_printf(k->a, "%lld", (long long)n);
}

/* A share in percent, one decimal: «12,5 %»; «—» when of is 0. */
static const char *percent(const compose *k, int64_t n, int64_t of)
{
    if (of <= 0)
        return "—";
    return decimals(k, arena_printf(k->a, "%.1f %%", 100.0 * (double)n / (double)of));
}

/* The sign of a change: «+», «−» (U+2212, as French typography writes it) or nothing. */
static const char *sign_of(double d)
{
    return d > 0 ? "+" : d < 0 ? "−" : "";
}

/* «(+8,5 %)» of cur against prev; "" when prev is 0 (no base to compare with). */
static const char *relative(const compose *k, double cur, double prev)
{
    if (prev <= 0)
        return "";
    double r = 100.0 * (cur - prev) / prev;
    return decimals(k, arena_printf(k->a, " (%s%.1f %%)", sign_of(r), r < 0 ? -r : r));
}

/* What one row of the key figures measures. */
typedef enum measure { M_COUNT, M_DURATION, M_RATE, M_RATING } measure;

typedef struct figure {
    const char *key; /* its label's string: monthly_report.row_<key> */
    measure m;
    /* Its value of fig: *v, and 1; 0 when fig has none (no delay, no rating, no base). */
    int (*value)(const stats_figures *fig, double *v);
} figure;

static int v_count(const stats_figures *f, double *v)
{
    *v = (double)f->count;
    return 1;
}
static int v_answered(const stats_figures *f, double *v)
{
    *v = (double)f->answered;
    return 1;
}
static int v_closed(const stats_figures *f, double *v)
{
    *v = (double)f->closed;
    return 1;
}
static int v_delay(int64_t s, double *v)
{
    *v = (double)s;
    return s >= 0;
}
static int v_median_answer(const stats_figures *f, double *v)
{
    return v_delay(f->median_first_answer_s, v);
}
static int v_p90_answer(const stats_figures *f, double *v)
{
    return v_delay(f->p90_first_answer_s, v);
}
static int v_median_close(const stats_figures *f, double *v)
{
    return v_delay(f->median_close_s, v);
}
static int v_p90_close(const stats_figures *f, double *v)
{
    return v_delay(f->p90_close_s, v);
}
/* Deadline compliance: of the requests with a due date closed, those closed by it. */
static int v_compliance(const stats_figures *f, double *v)
{
    int64_t due = f->closed_on_time + f->closed_late;
    *v = due ? 100.0 * (double)f->closed_on_time / (double)due : 0;
    return due > 0;
}
static int v_reopened(const stats_figures *f, double *v)
{
    *v = f->count ? 100.0 * (double)f->reopened / (double)f->count : 0;
    return f->count > 0;
}
static int v_rating(const stats_figures *f, double *v)
{
    *v = stats_mean_rating(f);
    return f->rated > 0;
}
static int v_supporters(const stats_figures *f, double *v)
{
    *v = (double)f->supporters;
    return 1;
}

static const figure figures[] = {
    {"filed", M_COUNT, v_count},
    {"answered", M_COUNT, v_answered},
    {"closed", M_COUNT, v_closed},
    {"median_answer", M_DURATION, v_median_answer},
    {"p90_answer", M_DURATION, v_p90_answer},
    {"median_close", M_DURATION, v_median_close},
    {"p90_close", M_DURATION, v_p90_close},
    {"compliance", M_RATE, v_compliance},
    {"reopened", M_RATE, v_reopened},
    {"rating", M_RATING, v_rating},
    {"supporters", M_COUNT, v_supporters},
};
#define N_FIGURES (sizeof figures / sizeof figures[0])
#define KEY_COLS 4

static const char *value_text(const compose *k, measure m, double v)
{
    switch (m) {
    case M_COUNT:
        return count_text(k, (int64_t)v);
    case M_DURATION:
        return wording_duration(k->a, k->in->lang, (int64_t)v);
    case M_RATE:
        return decimals(k, arena_printf(k->a, "%.1f %%", v));
    case M_RATING:
        return decimals(k, arena_printf(k->a, "%.1f", v));
    }
    return "";
}

/* The change from prev to cur: counts «+12 (+8,5 %)», delays «−3 h (−12,0 %)», rates in
 * points «+2,1 pts», ratings «+0,2»; «=» when equal. */
static const char *change_text(const compose *k, measure m, double cur, double prev)
{
    double d = cur - prev, ad = d < 0 ? -d : d;
    switch (m) {
    case M_COUNT:
        if (d == 0)
            return "=";
        return arena_printf(k->a, "%s%lld%s", sign_of(d), (long long)ad, relative(k, cur, prev));
    case M_DURATION:
        if ((int64_t)ad / 60 == 0)
            return "=";
        return arena_printf(k->a, "%s%s%s", sign_of(d),
                            wording_duration(k->a, k->in->lang, (int64_t)ad),
                            relative(k, cur, prev));
    case M_RATE:
        return decimals(k, arena_printf(k->a, "%s%.1f %s", sign_of(d), ad, say(k, "points")));
    case M_RATING:
        return decimals(k, arena_printf(k->a, "%s%.1f", sign_of(d), ad));
    }
    return "";
}

/* The key figures: one row per figure, this month, the month before, the change. 0, or -1
 * when the arena is exhausted. */
static int key_table(const compose *k, const stats_figures *cur, const stats_figures *prev,
                     const char *month, const char *prev_month, report_table *t)
{
    static const double widths[KEY_COLS] = {0.38, 0.17, 0.17, 0.28};
    const char **head = arena_alloc(k->a, KEY_COLS * sizeof *head);
    const char **cells = arena_alloc(k->a, N_FIGURES * KEY_COLS * sizeof *cells);
    if (!head || !cells)
        return -1;
    *t = (report_table){.heading = say(k, "key_heading"), .widths = widths, .n_cols = KEY_COLS};
    head[0] = say(k, "col_indicator");
    head[1] = month;
    head[2] = prev_month;
    head[3] = say(k, "col_change");
    for (size_t i = 0; i < N_FIGURES; i++) {
        const figure *fg = &figures[i];
        double vc, vp;
        int hc = fg->value(cur, &vc), hp = fg->value(prev, &vp);
        const char **row = cells + i * KEY_COLS;
        row[0] = say(k, arena_printf(k->a, "row_%s", fg->key));
        row[1] = hc ? value_text(k, fg->m, vc) : "—";
        row[2] = hp ? value_text(k, fg->m, vp) : "—";
        row[3] = hc && hp ? change_text(k, fg->m, vc, vp) : "—";
    }
    t->head = head;
    t->cells = cells;
    t->n_rows = N_FIGURES;
    return 0;
}

/* ---- the top tables ---- */

#define TOP_COLS 4

static const char *group_label(const compose *k, const cat_tenant *t, stats_group by,
                               const char *key)
{
    if (by == STATS_BY_CHANNEL)
        return wording_lookup(k->in->strings, arena_printf(k->a, "request_bo.channel_%s", key));
    if (by == STATS_BY_PROCEDURE) {
        const cat_procedure *p = key ? catalogue_procedure(t, key) : NULL;
        return p ? p->rec.name : key;
    }
    const cat_department *d = key ? catalogue_department(t, key) : NULL;
    return d ? d->rec.name : key ? key : wording_lookup(k->in->strings, "pilotage.no_department");
}

/* Sorts groups by count, the most first; equal counts by key, so that the order is stable. */
static int by_count(const void *x, const void *y)
{
    const stats_group_row *a = x, *b = y;
    if (a->fig.count != b->fig.count)
        return a->fig.count < b->fig.count ? 1 : -1;
    if (!a->key || !b->key)
        return a->key ? 1 : b->key ? -1 : 0;
    return strcmp(a->key, b->key);
}

static void top_row(const compose *k, const char **row, const char *label, int64_t count,
                    int64_t median_close_s, int64_t total)
{
    row[0] = label;
    row[1] = count_text(k, count);
    row[2] = percent(k, count, total);
    row[3] = wording_duration(k->a, k->in->lang, median_close_s);
}

/* A top table of res (sorted here): the MONTHLY_REPORT_TOP largest groups with their count,
 * share and median time to close, the others summed as one «autres» row (medians do not add
 * up: «—»). Their total is the key figures' requests filed and median time to close. 0, or -1
 * when the arena is exhausted. */
static int top_table(const compose *k, const cat_tenant *t, stats_group by, const char *what,
                     stats_result *res, int half, report_table *tab)
{
    static const double half_widths[TOP_COLS] = {0.28, 0.23, 0.17, 0.32};
    static const double full_widths[TOP_COLS] = {0.58, 0.12, 0.12, 0.18};
    const char **head = arena_alloc(k->a, TOP_COLS * sizeof *head);
    size_t max_rows = MONTHLY_REPORT_TOP + 1;
    const char **cells = arena_alloc(k->a, max_rows * TOP_COLS * sizeof *cells);
    if (!head || !cells)
        return -1;
    *tab = (report_table){.heading = say(k, arena_printf(k->a, "top_%s", what)),
                          .widths = half ? half_widths : full_widths,
                          .n_cols = TOP_COLS,
                          .half = half};
    head[0] = say(k, arena_printf(k->a, "col_%s", what));
    head[1] = say(k, "col_count");
    head[2] = say(k, "col_share");
    head[3] = say(k, "col_median_close");
    qsort(res->groups, res->n_groups, sizeof *res->groups, by_count);
    size_t n = 0;
    int64_t other_count = 0;
    size_t others = 0;
    for (size_t i = 0; i < res->n_groups; i++) {
        const stats_group_row *g = &res->groups[i];
        if (i < MONTHLY_REPORT_TOP) {
            top_row(k, cells + n++ * TOP_COLS, group_label(k, t, by, g->key), g->fig.count,
                    g->fig.median_close_s, res->total.count);
        } else {
            other_count += g->fig.count;
            others++;
        }
    }
    if (others)
        top_row(k, cells + n++ * TOP_COLS,
                say1(k, "others", "n", arena_printf(k->a, "%zu", others)), other_count, -1,
                res->total.count);
    tab->head = head;
    tab->cells = cells;
    tab->n_rows = n;
    return 0;
}

/* ---- the month ---- */

int monthly_report_month_parse(const char *s, int *year, int *month)
{
    if (!s || strlen(s) != 7 || s[0] != '2' || s[1] != '0' || s[4] != '-')
        return -1;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[2] - '0') * 10 + (s[3] - '0') + 2000;
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    if (m < 1 || m > 12)
        return -1;
    *year = y;
    *month = m;
    return 0;
}

/* The local day (days since 1970-01-01) of the first of month m of year y. */
static int64_t first_day(int y, int m)
{
    while (m > 12) {
        m -= 12;
        y++;
    }
    while (m < 1) {
        m += 12;
        y--;
    }
    char s[16];
    int64_t t = 0;
    snprintf(s, sizeof s, "%04d-%02d-01", y, m);
    time_parse_rfc3339(s, &t);
    return t / 86400;
}

/* f with the period from local day `from` to the day before `to` in tz. */
static store_request_filter period(const store_request_filter *f, int64_t from, int64_t to,
                                   const char *tz)
{
    store_request_filter p = *f;
    p.created_from = time_from_local(from * 86400, tz);
    p.created_to = time_from_local(to * 86400, tz) - 1;
    return p;
}

/* «novembre 2026» */
static const char *month_words(const compose *k, int64_t first)
{
    int y;
    unsigned m, d;
    time_day_civil(first, &y, &m, &d);
    return arena_printf(k->a, "%s %d", wording_month(k->in->lang, (int)m), y);
}

/* The month's figures in one walk of both months: by day, the month's total beside the
 * previous month's, and by channel, department and procedure (groups[]). A walk the engine
 * refuses is the month's fault. */
static int query(core *c, const cat_tenant *t, const compose *k, const store_request_filter *cur,
                 const store_request_filter *prev, const stats_group groups[3], stats_result *days,
                 stats_result *prev_res, stats_result by[3], error *err)
{
    store_request_filter both = *cur;
    both.created_from = prev->created_from;
    stats_grouping gs[5] = {
        {.by = STATS_BY_DAY},
        {.by = STATS_BY_NONE, .created_from = prev->created_from, .created_to = prev->created_to},
    };
    for (size_t i = 0; i < 3; i++)
        gs[2 + i].by = groups[i];
    for (size_t i = 0; i < 5; i++)
        if (i != 1) {
            gs[i].created_from = cur->created_from;
            gs[i].created_to = cur->created_to;
        }
    stats_result res[5];
    if (stats_query_set(c, t, &both, k->in->area, gs, 5, k->in->now, k->a, res, err) == 0) {
        *days = res[0];
        *prev_res = res[1];
        for (size_t i = 0; i < 3; i++)
            by[i] = res[2 + i];
        return 0;
    }
    if (err->code == ERR_INVALID_ARG) {
        char detail[sizeof err->detail];
        snprintf(detail, sizeof detail, "%s", err->detail);
        error_set(err, ERR_INVALID_ARG, "mois", "%s", detail);
    }
    return -1;
}

/* A refusal of what the collectivité stored (its logo, its letterhead's text) or of our own
 * layout (a report past its page) is the server's fault, not the agent's request's: said as an
 * internal error, so the page is a 5xx and the log says why. */
static void server_fault(error *err)
{
    if (err->code == ERR_INVALID_ARG)
        err->code = ERR_INTERNAL;
}

int monthly_report_pdf(core *c, const cat_tenant *t, const monthly_report_in *in, buf *out,
                       error *err)
{
    if (in->year < 2000 || in->year > 2099 || in->month < 1 || in->month > 12)
        return error_set(err, ERR_INVALID_ARG, "mois", "month %d-%d out of range", in->year,
                         in->month);
    if (in->n_filters > MONTHLY_REPORT_FILTERS_MAX)
        return error_set(err, ERR_INVALID_ARG, "filters", "over %d filter lines",
                         MONTHLY_REPORT_FILTERS_MAX);
    arena a;
    arena_init(&a, REPORT_ARENA_MAX);
    compose k = {.in = in, .a = &a};
    const char *tz = t->rec.timezone;
    int rc = -1;
    int64_t from = first_day(in->year, in->month), to = first_day(in->year, in->month + 1);
    int64_t prev_from = first_day(in->year, in->month - 1);
    store_request_filter cur_f = period(in->f, from, to, tz);
    store_request_filter prev_f = period(in->f, prev_from, from, tz);
    stats_result days, prev, by[3];
    static const stats_group groups[3] = {STATS_BY_CHANNEL, STATS_BY_DEPARTMENT,
                                          STATS_BY_PROCEDURE};
    static const char *const names[3] = {"channel", "department", "procedure"};
    if (query(c, t, &k, &cur_f, &prev_f, groups, &days, &prev, by, err) != 0)
        goto cleanup;

    const char *month = month_words(&k, from), *prev_month = month_words(&k, prev_from);
    /* The lines under the title: the period and its comparison, the filters, the instant. */
    const char *lines[3];
    const char *pn[] = {"from", "to", "previous"};
    const char *pv[] = {wording_date(&a, in->lang, time_from_local(from * 86400, tz), tz, 0),
                        wording_date(&a, in->lang, time_from_local((to - 1) * 86400, tz), tz, 0),
                        prev_month};
    lines[0] = wording_subst(&a, say(&k, "period"), pn, pv, 3);
    buf fl;
    buf_init(&fl, 4096);
    for (size_t i = 0; i < in->n_filters; i++)
        buf_printf(&fl, "%s%s", i ? " · " : "", in->filters[i]);
    lines[1] =
        in->n_filters ? say1(&k, "filters", "filters", buf_cstr(&fl)) : say(&k, "filters_none");
    buf_free(&fl);
    lines[2] = say1(&k, "as_of", "date", wording_date(&a, in->lang, in->now, tz, 1));

    report_table tables[4];
    int built = key_table(&k, &days.total, &prev.total, month, prev_month, &tables[0]);
    for (size_t i = 0; built == 0 && i < 3; i++)
        built = top_table(&k, t, groups[i], names[i], &by[i], i < 2, &tables[1 + i]);
    if (built != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the report's arena is exhausted");
        goto cleanup;
    }

    /* Every day of the month, those without requests at 0. */
    size_t n_days = (size_t)(to - from);
    const char **labels = arena_alloc(&a, n_days * sizeof *labels);
    int64_t *values = arena_alloc(&a, n_days * sizeof *values);
    if (!labels || !values) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    buf alt_days;
    buf_init(&alt_days, 8192);
    for (size_t d = 0; d < n_days; d++) {
        labels[d] = arena_printf(&a, "%zu", d + 1);
        values[d] = 0;
        for (size_t g = 0; g < days.n_groups; g++)
            if (days.groups[g].key && strlen(days.groups[g].key) == 10 &&
                strtol(days.groups[g].key + 8, NULL, 10) == (long)(d + 1))
                values[d] = days.groups[g].fig.count;
        buf_printf(&alt_days, "%s%zu : %lld", d ? " ; " : "", d + 1, (long long)values[d]);
    }
    const char *an[] = {"month", "total", "days"};
    const char *av[] = {month, count_text(&k, days.total.count), buf_cstr(&alt_days)};
    report_chart chart = {
        .heading = say(&k, "chart_heading"),
        .alt = wording_subst(&a, say(&k, "chart_alt"), an, av, 3),
        .labels = labels,
        .values = values,
        .n = n_days,
    };
    buf_free(&alt_days);

    letter_head head;
    document_logo_held *held = NULL;
    if (document_letterhead(c, t, NULL, &a, &head, &held, err) != 0) {
        server_fault(err);
        goto cleanup;
    }
    report r = {
        .title = say1(&k, "title", "month", month),
        .lang = wording_lookup(in->strings, "documents.lang"),
        .page_word = wording_lookup(in->strings, "documents.page"),
        .lines = lines,
        .n_lines = 3,
        .tables = tables,
        .n_tables = 4,
        .chart = &chart,
        .chart_at = 1,
    };
    rc = report_render(&head, &r, out, err);
    if (rc != 0)
        server_fault(err);
    document_letterhead_done(c, held);
cleanup:
    arena_free(&a);
    return rc;
}

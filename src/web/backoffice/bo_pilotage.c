/*
 * bo_pilotage — /agent/pilotage, the dashboards of managers, élus and admins (issue 17):
 * for a period (a preset or two dates, days in the collectivité's zone), a channel, a
 * procedure and a department, the volume of requests over time as a bar chart drawn on the
 * server (present/svg_chart.h) with its data table, and the figures by channel, procedure and
 * department (count, answered, closed, median and p90 to first answer and to close), all from
 * the statistics engine (core/stats.h). The filters are a GET form, so a view's URL is its
 * bookmark. Managers see their departments' figures only (perm_scope, as in the inbox), élus
 * and admins the whole collectivité. The figures hold no personal data, except the table per
 * agent (core/stats_agent.h: managers and admins only, each view audited there).
 */
#include "web/backoffice/backoffice.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/area.h"
#include "core/audit.h"
#include "core/channel_cost.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/stats.h"
#include "core/stats_agent.h"
#include "present/svg_chart.h"
#include "util/buf.h"
#include "util/log.h"
#include "docs/tabular.h"
#include "util/timeutil.h"
#include "util/wording.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_pilotage.h"
#include "web/backoffice/bo_pilotage_report.h"
#include "web/backoffice/bo_work.h"
#include "web/table_send.h"
#include "web/web.h"

#define PATH "/agent/pilotage"
/* Views of the dashboards and their tables' files per agent (tokens per second, burst): each
 * walks the period's facts several times (up to 8,000,000 rows each), so a script asking
 * without pause cannot hold the server's threads; a person changing filters stays well under
 * it. */
#define RATE_PILOTAGE (30.0 / 60), 60
/* Longest period one view covers: ten years of days keep the calendar walk below small. */
#define MAX_PERIOD_DAYS 3660
/* The chart's document: SVG_CHART_MAX_BARS bars and labels fit well within it. */
#define CHART_MAX_BYTES (256 * 1024)

typedef struct choice {
    const char *value;
    const char *label_key;
} choice;

static const choice periods[] = {
    {"30j", "pilotage.period_30d"},
    {"mois", "pilotage.period_month"},
    {"annee", "pilotage.period_year"},
    {"dates", "pilotage.period_dates"},
};

typedef struct granularity {
    const char *value;
    const char *label_key;
    stats_group by;
} granularity;

static const granularity granularities[] = {
    {"jour", "pilotage.by_day", STATS_BY_DAY},
    {"semaine", "pilotage.by_week", STATS_BY_WEEK},
    {"mois", "pilotage.by_month", STATS_BY_MONTH},
};
#define N_GRAN (sizeof granularities / sizeof granularities[0])

/* The filters as asked and understood (bo_pilotage.h: the map reads them too). */
typedef bo_pilotage_view view;

/* "2026-12-05" as days since 1970-01-01; -1 when not such a date of years 2000–2099. */
static int parse_day(const char *s, int64_t *day)
{
    int64_t t;
    if (!s || strlen(s) != 10 || strncmp(s, "20", 2) != 0 || time_parse_rfc3339(s, &t) != 0)
        return -1;
    *day = t / 86400;
    return 0;
}

/* A bucket's key as the engine writes it (core/stats.c) for local day `day`. */
static const char *bucket_key(arena *a, stats_group by, int64_t day)
{
    int year, iso_year;
    unsigned month, mday, week;
    if (by == STATS_BY_WEEK) {
        time_day_iso_week(day, &iso_year, &week);
        return arena_printf(a, "%04d-W%02u", iso_year, week);
    }
    time_day_civil(day, &year, &month, &mday);
    if (by == STATS_BY_MONTH)
        return arena_printf(a, "%04d-%02u", year, month);
    return arena_printf(a, "%04d-%02u-%02u", year, month, mday);
}

/* The words a bucket is shown with, in the chart and in its table: «05/12/2026»,
 * «S49 2026», «12/2026». */
static const char *bucket_label(http_req *rq, stats_group by, const char *key)
{
    if (by == STATS_BY_WEEK)
        return arena_printf(rq->arena, "%s%s %.4s", rq->lang == LANG_EN ? "W" : "S", key + 6, key);
    if (by == STATS_BY_MONTH)
        return arena_printf(rq->arena, "%s/%.4s", key + 5, key);
    return arena_printf(rq->arena, "%s/%.2s/%.4s", key + 8, key + 5, key);
}

/* A duration as agents read it: «3 j 4 h», «5 h 12 min», «45 min», «< 1 min»; «—» for none. */
static const char *duration(http_req *rq, int64_t s)
{
    return wording_duration(rq->arena, rq->lang, s);
}

/* s with its decimal points as the page's language writes them (a comma in French). */
static char *decimals(http_req *rq, char *s)
{
    if (s && rq->lang != LANG_EN)
        for (char *c = s; *c; c++)
            if (*c == '.')
                *c = ',';
    return s;
}

/* «12 (3,4 %)»: a count and its share of all. */
static const char *count_share(http_req *rq, int64_t n, int64_t of)
{
    if (!of)
        return arena_printf(rq->arena, "%lld", (long long)n);
    return decimals(rq, arena_printf(rq->arena, "%lld (%.1f %%)", (long long)n,
                                     100.0 * (double)n / (double)of));
}

static json_t *figures_json(http_req *rq, const char *label, const stats_figures *fig)
{
    json_t *o = json_object();
    present_set_str_opt(o, "label", label);
    json_object_set_new(o, "count", json_integer(fig->count));
    json_object_set_new(o, "answered", json_integer(fig->answered));
    json_object_set_new(o, "closed", json_integer(fig->closed));
    json_object_set_new(o, "closed_on_time", json_integer(fig->closed_on_time));
    json_object_set_new(o, "closed_late", json_integer(fig->closed_late));
    json_object_set_new(o, "overdue", json_integer(fig->overdue));
    present_set_str(o, "reopened", count_share(rq, fig->reopened, fig->count));
    json_object_set_new(o, "supporters", json_integer(fig->supporters));
    present_set_str(
        o, "rating",
        fig->rated ? decimals(rq, arena_printf(rq->arena, "%.1f", stats_mean_rating(fig))) : "—");
    json_object_set_new(o, "ratings", json_integer(fig->rated));
    present_set_str(o, "median_first_answer", duration(rq, fig->median_first_answer_s));
    present_set_str(o, "p90_first_answer", duration(rq, fig->p90_first_answer_s));
    present_set_str(o, "median_close", duration(rq, fig->median_close_s));
    present_set_str(o, "p90_close", duration(rq, fig->p90_close_s));
    return o;
}

/* Whether the agent sees department d's figures: élus and admins every department, managers
 * their own. */
static int department_visible(const store_agent *a, const cat_department *d)
{
    store_request_filter probe;
    memset(&probe, 0, sizeof probe);
    probe.department_ids[probe.n_department_ids++] = d->rec.id;
    error err;
    error_clear(&err);
    return perm_scope(a, &probe, &err) == 0 && probe.n_department_ids == 1 &&
           probe.department_ids[0] == d->rec.id;
}

/* The form's lists, with what was asked selected (even when refused: nothing typed is lost). */
static void form_options(bo_page *p, const cat_tenant *t, const store_agent *a)
{
    http_req *rq = p->rq;
    json_t *ps = json_array();
    const char *period = bo_query(rq, "periode") ? bo_query(rq, "periode") : "30j";
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        json_array_append_new(
            ps, bo_option(periods[i].value, bo_page_str(p, periods[i].label_key), period));
    bo_page_set(p, "periods", ps);
    json_t *gs = json_array();
    for (size_t i = 0; i < N_GRAN; i++)
        json_array_append_new(gs, bo_option(granularities[i].value,
                                            bo_page_str(p, granularities[i].label_key),
                                            bo_query(rq, "granularite")));
    bo_page_set(p, "granularities", gs);
    json_t *chs = bo_channel_options(rq, bo_query(rq, "canal"));
    bo_page_set(p, "channels", chs);
    json_t *prs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++)
        json_array_append_new(prs, bo_option(t->procedures[i].rec.code, t->procedures[i].rec.name,
                                             bo_query(rq, "demarche")));
    bo_page_set(p, "procedures", prs);
    json_t *deps = json_array();
    for (size_t i = 0; i < t->n_departments; i++)
        if (department_visible(a, &t->departments[i]))
            json_array_append_new(deps,
                                  bo_option(t->departments[i].rec.code, t->departments[i].rec.name,
                                            bo_query(rq, "service")));
    bo_page_set(p, "departments", deps);
    /* The quartiers, then «in none» (the requests without a location or outside them). */
    json_t *qs = json_array();
    store_area *areas = NULL;
    size_t n_areas = 0;
    error err;
    error_clear(&err);
    if (area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0)
        log_warn("pilotage: quartiers: %s", err.detail);
    for (size_t i = 0; i < n_areas; i++)
        json_array_append_new(qs,
                              bo_option(areas[i].code, areas[i].name, bo_query(rq, "quartier")));
    if (n_areas)
        json_array_append_new(
            qs, bo_option("none", bo_page_str(p, "pilotage.no_area"), bo_query(rq, "quartier")));
    bo_page_set(p, "quartiers", qs);
    /* The field is shown when there are quartiers, or to say what was wrong with one asked. */
    if (n_areas || bo_query(rq, "quartier"))
        bo_page_set(p, "has_quartiers", json_true());
    static const char *const kept[] = {"periode", "du", "au"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (bo_query(rq, kept[i]))
            bo_page_value(p, kept[i], bo_query(rq, kept[i]));
}

/* Reads and checks the filters into v; each fault is an error beside its field. */
static void read_view(bo_page *p, const cat_tenant *t, const store_agent *a, view *v)
{
    http_req *rq = p->rq;
    const char *tz = t->rec.timezone;
    memset(v, 0, sizeof *v);
    int64_t today = time_local_day(time_now(), tz);
    int year;
    unsigned month, mday;
    time_day_civil(today, &year, &month, &mday);
    const char *period = bo_query(rq, "periode") ? bo_query(rq, "periode") : "30j";
    v->day_to = today;
    if (strcmp(period, "30j") == 0) {
        v->day_from = today - 29;
    } else if (strcmp(period, "mois") == 0) {
        v->day_from = today - (mday - 1);
    } else if (strcmp(period, "annee") == 0) {
        char jan1[16];
        snprintf(jan1, sizeof jan1, "%04d-01-01", year);
        parse_day(jan1, &v->day_from);
    } else if (strcmp(period, "dates") == 0) {
        if (!bo_query(rq, "du"))
            bo_page_error_key(p, "du", "pilotage.error_from_missing");
        else if (parse_day(bo_query(rq, "du"), &v->day_from) != 0)
            bo_page_error_key(p, "du", "pilotage.error_date");
        if (!bo_query(rq, "au"))
            bo_page_error_key(p, "au", "pilotage.error_to_missing");
        else if (parse_day(bo_query(rq, "au"), &v->day_to) != 0)
            bo_page_error_key(p, "au", "pilotage.error_date");
        else if (!bo_page_has_errors(p) && v->day_to < v->day_from)
            bo_page_error_key(p, "au", "pilotage.error_order");
        else if (!bo_page_has_errors(p) && v->day_to - v->day_from >= MAX_PERIOD_DAYS)
            bo_page_error_key(p, "au", "pilotage.error_too_long");
    } else {
        bo_page_error_key(p, "periode", "pilotage.error_period");
    }

    /* No granularity asked: days up to two months, weeks up to a year, months beyond. */
    int64_t span = v->day_to - v->day_from + 1;
    v->gran = &granularities[span <= 62 ? 0 : span <= 366 ? 1 : 2];
    const char *g = bo_query(rq, "granularite");
    if (g) {
        v->gran = NULL;
        for (size_t i = 0; i < N_GRAN; i++)
            if (strcmp(granularities[i].value, g) == 0)
                v->gran = &granularities[i];
        if (!v->gran) {
            bo_page_error_key(p, "granularite", "pilotage.error_granularity");
            v->gran = &granularities[0];
        }
    }

    store_request_filter *f = &v->f;
    f->tenant_id = t->rec.id;
    const char *s;
    channel ch;
    if ((s = bo_query(rq, "canal"))) {
        if (channel_parse(s, &ch) == 0)
            f->channel = s;
        else
            bo_page_error_key(p, "canal", "pilotage.error_channel");
    }
    if ((s = bo_query(rq, "demarche"))) {
        const cat_procedure *pr = catalogue_procedure(t, s);
        if (pr)
            f->procedure_ids[f->n_procedure_ids++] = pr->rec.id;
        else
            bo_page_error_key(p, "demarche", "pilotage.error_procedure");
    }
    if ((s = bo_query(rq, "service"))) {
        const cat_department *d = catalogue_department(t, s);
        if (!d)
            bo_page_error_key(p, "service", "pilotage.error_department");
        else if (!department_visible(a, d))
            bo_page_error_key(p, "service", "pilotage.error_department_scope");
        else
            f->department_ids[f->n_department_ids++] = d->rec.id;
    }
    v->area = STATS_AREA_ANY;
    if ((s = bo_query(rq, "quartier"))) {
        error err;
        error_clear(&err);
        if (stats_area_parse(rq->core, t, s, &v->area, &err) != 0)
            bo_page_error_key(p, "quartier", "pilotage.error_area");
    }
    v->now = time_now();
    f->created_from = time_from_local(v->day_from * 86400, tz);
    f->created_to = time_from_local((v->day_to + 1) * 86400, tz) - 1;
}

/* A table for the partial agent/partials/pilotage_table: its id, heading, caption, first
 * column's heading, rows and total line. */
static json_t *table_json(bo_page *p, const char *id, const char *key_prefix,
                          const char *first_col_key, json_t *rows, const stats_figures *total)
{
    http_req *rq = p->rq;
    json_t *o = json_object();
    present_set_str(o, "id", id);
    present_set_str(o, "title", bo_page_str(p, arena_printf(rq->arena, "%s_title", key_prefix)));
    present_set_str(o, "caption",
                    bo_page_str(p, arena_printf(rq->arena, "%s_caption", key_prefix)));
    present_set_str(o, "first_col", bo_page_str(p, first_col_key));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "total", figures_json(rq, bo_page_str(p, "pilotage.total"), total));
    return o;
}

/* A bucket without requests. */
static const stats_figures no_figures = {.median_first_answer_s = -1,
                                         .p90_first_answer_s = -1,
                                         .median_close_s = -1,
                                         .p90_close_s = -1,
                                         .median_open_age_s = -1,
                                         .p90_open_age_s = -1};

/* Every bucket of v's period in order, those without requests at no_figures: at most
 * SVG_CHART_MAX_BARS labels and figures into labels[] and figs[], *n how many; -1 when the
 * period has more (an error beside «granularite» in p). For the chart, its table and the
 * table's export alike. */
static int buckets(bo_page *p, const view *v, const stats_result *res, const char **labels,
                   const stats_figures **figs, size_t *n)
{
    http_req *rq = p->rq;
    stats_group by = v->gran->by;
    size_t gi = 0;
    const char *last = NULL;
    *n = 0;
    for (int64_t day = v->day_from; day <= v->day_to; day++) {
        const char *key = bucket_key(rq->arena, by, day);
        if (!key)
            break;
        if (last && strcmp(key, last) == 0)
            continue;
        last = key;
        if (*n == SVG_CHART_MAX_BARS) {
            bo_page_error_key(p, "granularite", "pilotage.error_too_many_bars");
            return -1;
        }
        while (gi < res->n_groups && res->groups[gi].key && strcmp(res->groups[gi].key, key) < 0)
            gi++;
        figs[*n] =
            gi < res->n_groups && res->groups[gi].key && strcmp(res->groups[gi].key, key) == 0
                ? &res->groups[gi].fig
                : &no_figures;
        labels[*n] = bucket_label(rq, by, key);
        (*n)++;
    }
    return 0;
}

/* The volume over time: every bucket of the period, those without requests at 0, as a chart
 * (an image with the SVG inline as a data: URL, which the CSP allows) and as table rows. */
static int volumes(bo_page *p, const view *v, const stats_result *res)
{
    http_req *rq = p->rq;
    svg_bar bars[SVG_CHART_MAX_BARS];
    const char *labels[SVG_CHART_MAX_BARS];
    const stats_figures *figs[SVG_CHART_MAX_BARS];
    size_t n = 0;
    if (buckets(p, v, res, labels, figs, &n) != 0)
        return -1;
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        bars[i].label = labels[i];
        bars[i].value = figs[i]->count;
        json_array_append_new(rows, figures_json(rq, labels[i], figs[i]));
    }
    json_t *tab =
        table_json(p, "volumes", "pilotage.volumes", "pilotage.col_bucket", rows, &res->total);
    json_object_set_new(tab, "export", json_string("period"));
    bo_page_set(p, "volume_table", tab);

    buf svg;
    buf_init(&svg, CHART_MAX_BYTES);
    const char *title = bo_page_str(p, "pilotage.chart_title");
    const char *desc = arena_printf(rq->arena, "%s %s", bo_page_str(p, v->gran->label_key),
                                    bo_page_str(p, "pilotage.chart_desc"));
    int rc = svg_chart_bars(&svg, title, desc, bars, n);
    const char *src = rc == 0 ? bo_pilotage_data_url(rq, &svg) : NULL;
    if (src)
        bo_page_set(p, "chart_src", json_string(src));
    buf_free(&svg);
    return rc;
}

const char *bo_pilotage_data_url(http_req *rq, const buf *svg)
{
    size_t len = sodium_base64_ENCODED_LEN(svg->len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = arena_alloc(rq->arena, len);
    if (!b64)
        return NULL;
    sodium_bin2base64(b64, len, (const unsigned char *)svg->data, svg->len,
                      sodium_base64_VARIANT_ORIGINAL);
    return arena_printf(rq->arena, "data:image/svg+xml;base64,%s", b64);
}

/* The words group `key` of a grouping `by` is shown with. */
static const char *group_label(http_req *rq, const cat_tenant *t, stats_group by, const char *key,
                               const store_area *areas, size_t n_areas)
{
    const char *label = key;
    if (by == STATS_BY_CHANNEL) {
        label = bo_channel_label(rq, key);
    } else if (by == STATS_BY_PROCEDURE) {
        const cat_procedure *pr = catalogue_procedure(t, key);
        label = pr ? pr->rec.name : key;
    } else if (by == STATS_BY_DEPARTMENT) {
        const cat_department *d = key ? catalogue_department(t, key) : NULL;
        label = d     ? d->rec.name
                : key ? key
                      : present_string(rq->present, rq->lang, "pilotage.no_department");
    } else if (by == STATS_BY_AREA) {
        label = key ? key : present_string(rq->present, rq->lang, "pilotage.no_area");
        for (size_t k = 0; key && k < n_areas; k++)
            if (strcmp(areas[k].code, key) == 0)
                label = areas[k].name;
    }
    return label;
}

/* The words row g of a grouping `by` is shown with: an agent's name, or what the rows
 * without one hold; group_label otherwise. */
static const char *row_label(http_req *rq, const cat_tenant *t, stats_group by,
                             const stats_group_row *g, const store_area *areas, size_t n_areas)
{
    if (by != STATS_BY_AGENT)
        return group_label(rq, t, by, g->key, areas, n_areas);
    if (g->label)
        return g->label;
    return present_string(rq->present, rq->lang,
                          g->key ? "pilotage_agent.others" : "pilotage_agent.unassigned");
}

/* A table of the figures grouped by `by`, each key shown with its label. */
static json_t *group_rows(http_req *rq, const cat_tenant *t, stats_group by,
                          const stats_result *res, const store_area *areas, size_t n_areas)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < res->n_groups; i++)
        json_array_append_new(
            rows, figures_json(rq, row_label(rq, t, by, &res->groups[i], areas, n_areas),
                               &res->groups[i].fig));
    return rows;
}

/* ---- channel shift and savings ---- */

/* An amount of cents as the page's language writes euros: «1234,50 €», «€1234.50». */
static const char *euros(http_req *rq, int64_t cents)
{
    int64_t a = cents < 0 ? -cents : cents;
    const char *sign = cents < 0 ? "−" : "";
    if (rq->lang == LANG_EN)
        return arena_printf(rq->arena, "%s€%lld.%02lld", sign, (long long)(a / 100),
                            (long long)(a % 100));
    return arena_printf(rq->arena, "%s%lld,%02lld €", sign, (long long)(a / 100),
                        (long long)(a % 100));
}

/* One line of the channel shift's table: requests, digital ones and their share, and when
 * priced the cost had they all come to the counter, their cost and the difference. */
static json_t *shift_json(http_req *rq, const char *label, const int64_t count[CHANNEL_COUNT],
                          const int64_t cents[CHANNEL_COUNT])
{
    channel_shift sh;
    channel_shift_of(count, cents, &sh);
    json_t *o = json_object();
    present_set_str(o, "label", label);
    json_object_set_new(o, "total", json_integer(sh.total));
    json_object_set_new(o, "digital", json_integer(sh.digital));
    present_set_str(o, "share",
                    sh.total
                        ? decimals(rq, arena_printf(rq->arena, "%.1f %%",
                                                    100.0 * (double)sh.digital / (double)sh.total))
                        : "—");
    present_set_str(o, "at_counter", sh.priced ? euros(rq, sh.at_counter_cents) : "—");
    present_set_str(o, "actual", sh.priced ? euros(rq, sh.actual_cents) : "—");
    present_set_str(o, "saved", sh.priced ? euros(rq, sh.saved_cents) : "—");
    return o;
}

/* Adds the counts of res's groups (keyed by channel, or "YYYY-MM channel" from key + skip)
 * into count[]. */
static void add_counts(const stats_group_row *g, size_t skip, int64_t count[CHANNEL_COUNT])
{
    channel ch;
    if (g->key && strlen(g->key) > skip && channel_parse(g->key + skip, &ch) == 0)
        count[ch] += g->fig.count;
}

/* The first instant of this year in the collectivité's zone (the channel shift's year to
 * date); -1 with err when the calendar fails. */
static int year_start(const cat_tenant *t, int64_t now, int *year, int64_t *start, error *err)
{
    unsigned month, mday;
    time_day_civil(time_local_day(now, t->rec.timezone), year, &month, &mday);
    char jan1[16];
    int64_t day;
    snprintf(jan1, sizeof jan1, "%04d-01-01", *year);
    if (parse_day(jan1, &day) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "the first of January of %d", *year);
    *start = time_from_local(day * 86400, t->rec.timezone);
    return 0;
}

/* The channel shift by month over the view (by_month: grouped by STATS_BY_MONTH_CHANNEL) and
 * over the year to date (ytd: the same filters from the first of January of `year`, by
 * channel), with the costs the administrator gave and the formula in words. -1 with err when
 * the costs cannot be read. */
static int channel_shift_section(bo_page *p, const cat_tenant *t, const stats_result *by_month,
                                 const stats_result *ytd, int year, error *err)
{
    http_req *rq = p->rq;
    int64_t cents[CHANNEL_COUNT];
    if (channel_costs_get(rq->core, t->rec.id, cents, err) != 0)
        return -1;
    json_t *rows = json_array();
    /* Groups are sorted by key: a month's channels follow each other. */
    for (size_t i = 0; i < by_month->n_groups;) {
        int64_t count[CHANNEL_COUNT] = {0};
        size_t j = i;
        while (j < by_month->n_groups &&
               strncmp(by_month->groups[j].key, by_month->groups[i].key, 7) == 0)
            add_counts(&by_month->groups[j++], 8, count);
        const char *month = arena_strndup(rq->arena, by_month->groups[i].key, 7);
        json_array_append_new(
            rows,
            shift_json(rq, month ? bucket_label(rq, STATS_BY_MONTH, month) : "", count, cents));
        i = j;
    }
    bo_page_set(p, "shift_rows", rows);
    int64_t count[CHANNEL_COUNT] = {0};
    for (size_t i = 0; i < ytd->n_groups; i++)
        add_counts(&ytd->groups[i], 0, count);
    bo_page_set(
        p, "shift_ytd",
        shift_json(rq, arena_printf(rq->arena, "%s %d", bo_page_str(p, "pilotage.shift_ytd"), year),
                   count, cents));
    /* The costs as given, for the formula stated beside the table. */
    json_t *costs = json_array();
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        if (cents[ch] < 0)
            continue;
        json_t *o = json_object();
        present_set_str(o, "channel", bo_channel_label(rq, channel_name((channel)ch)));
        present_set_str(o, "cost", euros(rq, cents[ch]));
        json_array_append_new(costs, o);
    }
    if (json_array_size(costs))
        bo_page_set(p, "has_shift_costs", json_true());
    bo_page_set(p, "shift_costs", costs);
    if (cents[CHANNEL_COUNTER] < 0)
        bo_page_set(p, "shift_unpriced", json_true());
    return 0;
}

/* The tables by group, in the page's order; `name` is the export's table=. */
static const struct {
    const char *id, *key_prefix, *first_col_key, *name;
    stats_group by;
} tables[] = {
    {"by-channel", "pilotage.channel", "pilotage.channel", "channel", STATS_BY_CHANNEL},
    {"by-procedure", "pilotage.procedure", "pilotage.procedure", "procedure", STATS_BY_PROCEDURE},
    {"by-department", "pilotage.department", "pilotage.department", "department",
     STATS_BY_DEPARTMENT},
    {"by-area", "pilotage.area", "pilotage.area", "area", STATS_BY_AREA},
    {"by-agent", "pilotage_agent.agent", "pilotage_agent.agent", "agent", STATS_BY_AGENT},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* The figures of one of the tables by group; by agent through core/stats_agent.h, which
 * checks the agent's right to them and records the `action` ("view", "export"). */
static int table_query(http_req *rq, const store_agent *a, const cat_tenant *t, const view *v,
                       stats_group by, const char *action, stats_result *res, error *err)
{
    if (by != STATS_BY_AGENT)
        return stats_query(rq->core, t, &v->f, v->area, by, v->now, rq->arena, res, err);
    core_actor who = bo_who(rq, a);
    return stats_agent_query(rq->core, t, a, &who, action, &v->f, v->area, v->now, rq->arena, res,
                             err);
}

int bo_pilotage_view_start(http_req *rq, store_agent *a, const cat_tenant **t, bo_page *p, view *v)
{
    if (!bo_agent(rq, a))
        return -1;
    if (!perm_can_dashboard(a)) {
        bo_forbidden(rq);
        return -1;
    }
    if (web_limit_id(rq, "pilotage", a->id, RATE_PILOTAGE) != 0)
        return -1;
    *t = web_tenant(rq);
    if (!*t || bo_page_start(p, rq, a) != 0)
        return -1;
    form_options(p, *t, a);
    bo_pilotage_report_form(p, *t);
    read_view(p, *t, a, v);
    bo_page_set(
        p, "scope_note",
        json_string(bo_page_str(p, bo_role(a) == AGENT_ROLE_MANAGER ? "pilotage.scope_departments"
                                                                    : "pilotage.scope_all")));
    error err;
    error_clear(&err);
    if (!bo_page_has_errors(p) && perm_scope(a, &v->f, &err) != 0) {
        bo_page_fail(p, &err);
        return -1;
    }
    /* The filters as asked, for the exports' links: a file holds what the page shows. */
    static const char *const fields[] = {"periode", "du",       "au",          "canal", "demarche",
                                         "service", "quartier", "granularite", "lang"};
    buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (bo_query(rq, fields[i]))
            buf_printf(&b, "&%s=%s", fields[i], bo_url(rq, bo_query(rq, fields[i])));
    bo_page_set(p, "filters_q", json_string(buf_cstr(&b)));
    bo_page_set(p, "filters_qs", json_string(b.len ? buf_cstr(&b) + 1 : ""));
    buf_free(&b);
    return 0;
}

/* The engine's refusal of a period (too many requests to walk) is the dates' fault, shown
 * on the page; anything else is the error page. */
static void query_failed(bo_page *p, const error *err)
{
    if (err->code == ERR_INVALID_ARG) {
        bo_page_error_key(p, "du", "pilotage.error_too_many_requests");
        bo_page_render(p, 200, "agent/pilotage", bo_page_str(p, "pilotage.title"));
        return;
    }
    bo_page_fail(p, err);
}

/* What the dashboards show, from one walk of the view's facts: the volumes by the view's
 * granularity, the channel shift by month, each table shown (by quartier only when there are
 * quartiers, per agent only for those who may see it) and the year to date by channel — in
 * the same walk when it meets the period (the walk then spans both, each grouping narrowed
 * to its own dates), else in a second one, page_ytd's, once the page is sure to be shown. */
typedef struct page_figures {
    stats_result volumes, shift_by_month, ytd;
    stats_result tables[N_TABLES];
    int shown[N_TABLES];
    stats_agent_plan plan;        /* when the table per agent is shown */
    store_request_filter walk;    /* the walk's filter */
    int ytd_done;                 /* the year to date came with the walk */
    int year;                     /* the year to date's */
    int64_t year_from;            /* its first instant */
} page_figures;

static int page_query(http_req *rq, const store_agent *a, const cat_tenant *t, const view *v,
                      size_t n_areas, page_figures *pf, error *err)
{
    memset(pf, 0, sizeof *pf);
    if (year_start(t, v->now, &pf->year, &pf->year_from, err) != 0)
        return -1;
    int64_t jan1 = pf->year_from;
    store_request_filter walk = v->f;
    int agents = perm_can_agent_figures(a);
    if (agents) {
        if (stats_agent_plan_make(rq->core, t, a, &v->f, rq->arena, &pf->plan, err) != 0)
            return -1;
        walk = pf->plan.f; /* the view's scope, applied again: the same requests */
    }
    int fold = v->f.created_from > 0 && v->f.created_to > 0 && jan1 <= v->f.created_to + 1 &&
               v->now + 1 >= v->f.created_from;
    if (fold) {
        if (jan1 < walk.created_from)
            walk.created_from = jan1;
        if (v->now > walk.created_to)
            walk.created_to = v->now;
    }
    stats_grouping gs[2 + N_TABLES + 1];
    stats_result res[2 + N_TABLES + 1];
    size_t slot[N_TABLES] = {0}, n = 0;
    gs[n++] = (stats_grouping){.by = v->gran->by};
    /* The channel shift: counts, no delays. */
    gs[n++] = (stats_grouping){.by = STATS_BY_MONTH_CHANNEL, .counts_only = 1};
    for (size_t i = 0; i < N_TABLES; i++) {
        if (tables[i].by == STATS_BY_AREA && !n_areas)
            continue; /* no quartiers imported: every request would be in none */
        if (tables[i].by == STATS_BY_AGENT && !agents)
            continue; /* élus: «per agent only for their managers» */
        pf->shown[i] = 1;
        slot[i] = n;
        gs[n++] = tables[i].by == STATS_BY_AGENT ? pf->plan.grouping
                                                 : (stats_grouping){.by = tables[i].by};
    }
    for (size_t i = 0; i < n; i++) {
        gs[i].created_from = v->f.created_from;
        gs[i].created_to = v->f.created_to;
    }
    if (fold)
        gs[n++] = (stats_grouping){
            .by = STATS_BY_CHANNEL, .created_from = jan1, .created_to = v->now, .counts_only = 1};
    if (stats_query_set(rq->core, t, &walk, v->area, gs, n, v->now, rq->arena, res, err) != 0)
        return -1;
    pf->walk = walk;
    pf->volumes = res[0];
    pf->shift_by_month = res[1];
    for (size_t i = 0; i < N_TABLES; i++)
        if (pf->shown[i])
            pf->tables[i] = res[slot[i]];
    if (fold) {
        pf->ytd = res[n - 1];
        pf->ytd_done = 1;
    }
    return 0;
}

/* The year to date's own walk when it did not meet the period. */
static int page_ytd(http_req *rq, const cat_tenant *t, const view *v, page_figures *pf,
                    error *err)
{
    if (pf->ytd_done)
        return 0;
    store_request_filter ytd = pf->walk;
    ytd.created_from = pf->year_from;
    ytd.created_to = v->now;
    stats_grouping by_channel = {.by = STATS_BY_CHANNEL, .counts_only = 1};
    return stats_query_set(rq->core, t, &ytd, v->area, &by_channel, 1, v->now, rq->arena, &pf->ytd,
                           err);
}

static void pilotage_get(http_req *rq)
{
    store_agent a;
    const cat_tenant *t = NULL;
    bo_page p;
    view v;
    if (bo_pilotage_view_start(rq, &a, &t, &p, &v) != 0)
        return;
    error err;
    error_clear(&err);
    bo_page_set(&p, "period_text",
                json_string(arena_printf(rq->arena, "%s – %s", bo_date(rq, t, v.f.created_from, 0),
                                         bo_date(rq, t, v.f.created_to, 0))));
    store_area *areas = NULL;
    size_t n_areas = 0;
    page_figures pf;
    if (!bo_page_has_errors(&p)) {
        if (area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0 ||
            page_query(rq, &a, t, &v, n_areas, &pf, &err) != 0) {
            query_failed(&p, &err);
            return;
        }
        const stats_figures *all = &pf.volumes.total;
        if (volumes(&p, &v, &pf.volumes) == 0) {
            bo_page_set(&p, "open_now", json_integer(all->count - all->closed));
            /* The backlog's age, at the instant «overdue» is counted at. */
            if (all->median_open_age_s >= 0) {
                bo_page_set(&p, "open_age_median",
                            json_string(duration(rq, all->median_open_age_s)));
                bo_page_set(&p, "open_age_p90", json_string(duration(rq, all->p90_open_age_s)));
            }
            json_t *list = json_array();
            for (size_t i = 0; i < N_TABLES; i++) {
                if (!pf.shown[i])
                    continue;
                stats_result *res = &pf.tables[i];
                /* The agents' rows named and their view recorded only now, shown for sure. */
                core_actor who = bo_who(rq, &a);
                if (tables[i].by == STATS_BY_AGENT &&
                    stats_agent_rows(rq->core, t, &pf.plan, &who, "view", rq->arena, res, &err) !=
                        0) {
                    json_decref(list);
                    query_failed(&p, &err);
                    return;
                }
                json_t *tab =
                    table_json(&p, tables[i].id, tables[i].key_prefix, tables[i].first_col_key,
                               group_rows(rq, t, tables[i].by, res, areas, n_areas), &res->total);
                json_object_set_new(tab, "export", json_string(tables[i].name));
                if (tables[i].by == STATS_BY_AGENT)
                    present_set_str(tab, "note",
                                    bo_page_str(&p, bo_role(&a) == AGENT_ROLE_MANAGER
                                                        ? "pilotage_agent.note_departments"
                                                        : "pilotage_agent.note_all"));
                json_array_append_new(list, tab);
            }
            bo_page_set(&p, "tables", list);
            if (page_ytd(rq, t, &v, &pf, &err) != 0 ||
                channel_shift_section(&p, t, &pf.shift_by_month, &pf.ytd, pf.year, &err) != 0) {
                query_failed(&p, &err);
                return;
            }
            bo_page_set(&p, "has_figures", json_true());
        }
    }
    bo_page_render(&p, 200, "agent/pilotage", bo_page_str(&p, "pilotage.title"));
}

/* ---- the tables as files ---- */

/* The export's columns after the first (the group's): headings from "pilotage.<key>", delays
 * in hours (the heading says so), the reopening rate in percent. */
enum {
    X_COUNT,
    X_ANSWERED,
    X_CLOSED,
    X_MEDIAN_ANSWER,
    X_P90_ANSWER,
    X_MEDIAN_CLOSE,
    X_P90_CLOSE,
    X_ON_TIME,
    X_LATE,
    X_OVERDUE,
    X_REOPENED,
    X_REOPENED_RATE,
    X_RATING,
    X_RATINGS,
    X_SUPPORTERS,
    X_N
};
static const char *const x_keys[X_N] = {
    [X_COUNT] = "col_count",
    [X_ANSWERED] = "col_answered",
    [X_CLOSED] = "col_closed",
    [X_MEDIAN_ANSWER] = "col_median_answer",
    [X_P90_ANSWER] = "col_p90_answer",
    [X_MEDIAN_CLOSE] = "col_median_close",
    [X_P90_CLOSE] = "col_p90_close",
    [X_ON_TIME] = "col_on_time",
    [X_LATE] = "col_late",
    [X_OVERDUE] = "col_overdue",
    [X_REOPENED] = "col_reopened_count",
    [X_REOPENED_RATE] = "col_reopened_rate",
    [X_RATING] = "col_rating",
    [X_RATINGS] = "col_ratings",
    [X_SUPPORTERS] = "col_supporters",
};

/* Hours, two decimals; empty for none. */
static const char *hours(arena *a, int64_t s)
{
    return s < 0 ? NULL : arena_printf(a, "%.2f", (double)s / 3600.0);
}

/* One row of figures: label, then the X_ columns. */
static int export_row(tabular *tab, arena *a, const char *label, const stats_figures *fig,
                      error *err)
{
    const char *cells[1 + X_N] = {label};
    const char **c = cells + 1;
    c[X_COUNT] = arena_printf(a, "%lld", (long long)fig->count);
    c[X_ANSWERED] = arena_printf(a, "%lld", (long long)fig->answered);
    c[X_CLOSED] = arena_printf(a, "%lld", (long long)fig->closed);
    c[X_MEDIAN_ANSWER] = hours(a, fig->median_first_answer_s);
    c[X_P90_ANSWER] = hours(a, fig->p90_first_answer_s);
    c[X_MEDIAN_CLOSE] = hours(a, fig->median_close_s);
    c[X_P90_CLOSE] = hours(a, fig->p90_close_s);
    c[X_ON_TIME] = arena_printf(a, "%lld", (long long)fig->closed_on_time);
    c[X_LATE] = arena_printf(a, "%lld", (long long)fig->closed_late);
    c[X_OVERDUE] = arena_printf(a, "%lld", (long long)fig->overdue);
    c[X_REOPENED] = arena_printf(a, "%lld", (long long)fig->reopened);
    c[X_REOPENED_RATE] =
        fig->count ? arena_printf(a, "%.1f", 100.0 * (double)fig->reopened / (double)fig->count)
                   : NULL;
    c[X_RATING] = fig->rated ? arena_printf(a, "%.2f", stats_mean_rating(fig)) : NULL;
    c[X_RATINGS] = arena_printf(a, "%lld", (long long)fig->rated);
    c[X_SUPPORTERS] = arena_printf(a, "%lld", (long long)fig->supporters);
    return tabular_row(tab, cells, err);
}

/* tabular_source: every row was written before the stream began (a table of the dashboard
 * is at most a few hundred rows), so there is nothing more to pull. */
static int no_more_rows(void *ctx, tabular *t)
{
    (void)ctx;
    (void)t;
    return 0;
}

/* /agent/pilotage/export.{csv,xlsx}?table=channel|procedure|department|area|period&<the page's
 * filters>: one table of the page as a file, with the page's rights, scope and checks (a
 * refused filter shows the page with its errors). The figures hold no personal data, but an
 * export is recorded in the audit log as the inbox's are, as the agent's export of
 * "statistics". */
static void pilotage_export(http_req *rq)
{
    tabular_format fmt;
    if (rq->format && strcmp(rq->format, "csv") == 0)
        fmt = TABULAR_CSV;
    else if (rq->format && strcmp(rq->format, "xlsx") == 0)
        fmt = TABULAR_XLSX;
    else {
        bo_not_found(rq);
        return;
    }
    store_agent a;
    const cat_tenant *t = NULL;
    bo_page p;
    view v;
    if (bo_pilotage_view_start(rq, &a, &t, &p, &v) != 0)
        return;
    const char *name = bo_query(rq, "table");
    size_t which = N_TABLES; /* N_TABLES: the period's table */
    if (!name || strcmp(name, "period") != 0) {
        for (which = 0; name && which < N_TABLES; which++)
            if (strcmp(tables[which].name, name) == 0)
                break;
        if (!name || which == N_TABLES) {
            bo_page_discard(&p);
            error err;
            error_set(&err, ERR_INVALID_ARG, "table",
                      "table: one of channel, procedure, department, area, agent, period");
            http_respond_error(rq, &err);
            return;
        }
    }
    if (which < N_TABLES && tables[which].by == STATS_BY_AGENT && !perm_can_agent_figures(&a)) {
        bo_page_discard(&p);
        bo_forbidden(rq);
        return;
    }
    if (bo_page_has_errors(&p)) {
        bo_page_render(&p, 200, "agent/pilotage", bo_page_str(&p, "pilotage.title"));
        return;
    }
    stats_group by = which == N_TABLES ? v.gran->by : tables[which].by;
    error err;
    error_clear(&err);
    stats_result res;
    store_area *areas = NULL;
    size_t n_areas = 0;
    if (table_query(rq, &a, t, &v, by, "export", &res, &err) != 0 ||
        area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0) {
        query_failed(&p, &err);
        return;
    }
    const char *labels[SVG_CHART_MAX_BARS];
    const stats_figures *figs[SVG_CHART_MAX_BARS];
    size_t n = 0;
    if (which == N_TABLES && buckets(&p, &v, &res, labels, figs, &n) != 0) {
        bo_page_render(&p, 200, "agent/pilotage", bo_page_str(&p, "pilotage.title"));
        return;
    }
    tabular_column cols[1 + X_N];
    cols[0] = (tabular_column){
        bo_page_str(&p, which == N_TABLES ? "pilotage.col_bucket" : tables[which].first_col_key),
        TABULAR_TEXT};
    for (size_t i = 0; i < X_N; i++)
        cols[1 + i] = (tabular_column){
            bo_page_str(&p, arena_printf(rq->arena, "pilotage.%s", x_keys[i])), TABULAR_NUMBER};
    const char *hours_note = bo_page_str(&p, "pilotage.in_hours");
    for (size_t i = X_MEDIAN_ANSWER; i <= X_P90_CLOSE; i++)
        cols[1 + i].name = arena_printf(rq->arena, "%s %s", cols[1 + i].name, hours_note);
    tabular_options o = {.sheet = "Pilotage", .lat_col = -1, .lon_col = -1};
    tabular *tab = tabular_open(fmt, cols, 1 + X_N, &o, &err);
    int rc = tab ? 0 : -1;
    if (which == N_TABLES)
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = export_row(tab, rq->arena, labels[i], figs[i], &err);
    else
        for (size_t i = 0; rc == 0 && i < res.n_groups; i++)
            rc = export_row(tab, rq->arena, row_label(rq, t, by, &res.groups[i], areas, n_areas),
                            &res.groups[i].fig, &err);
    if (rc == 0)
        rc = export_row(tab, rq->arena, bo_page_str(&p, "pilotage.total"), &res.total, &err);
    bo_page_discard(&p);
    if (rc != 0) {
        tabular_free(tab);
        http_respond_error(rq, &err);
        return;
    }
    tabular_stream *s = tabular_stream_new(tab, no_more_rows, NULL, NULL);
    if (!s) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    core_actor who = bo_who(rq, &a);
    audit_record_access(rq->core, t->rec.id, &who, "export", "statistics", NULL, 0);
    char day[WEB_TABLE_TIME_LEN];
    web_table_time(time_now(), t->rec.timezone, 1, day);
    http_add_header(rq, "Cache-Control", "no-store");
    web_send_table(
        rq, s, fmt,
        arena_printf(rq->arena, "pilotage-%s-%s", which == N_TABLES ? "period" : name, day));
}

const http_route bo_pilotage_routes[] = {
    {HTTP_GET | HTTP_HEAD, PATH, pilotage_get},
    {HTTP_GET | HTTP_HEAD, PATH "/export.{fmt}", pilotage_export},
    {HTTP_GET | HTTP_HEAD, PATH "/rapport.pdf", bo_pilotage_report},
    {0, NULL, NULL},
};

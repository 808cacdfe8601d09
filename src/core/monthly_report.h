/*
 * monthly_report — the one-page monthly report of pilotage (issue 17): for a month of a
 * collectivité and the dashboards' filters, the key figures beside the month before's with
 * their change, the requests filed each day as a bar chart, and the top channels, procedures
 * and departments, on the collectivité's letterhead as a tagged PDF (docs/report.h). Every
 * figure comes from the statistics engine (core/stats.h), so that the report says what the
 * dashboards and the API say. The figures hold no personal data.
 */
#ifndef GUICHET_CORE_MONTHLY_REPORT_H
#define GUICHET_CORE_MONTHLY_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

struct buf;

/* Rows of a top table before the rest is summed up as «autres». */
#define MONTHLY_REPORT_TOP 8
/* Most filter lines (monthly_report_in.filters). */
#define MONTHLY_REPORT_FILTERS_MAX 4

typedef struct monthly_report_in {
    /* The i18n tree of the report's language: its "monthly_report" and "documents" areas,
     * the channels' names ("request_bo.channel_…") and "pilotage.no_department". */
    const json_t *strings;
    lang lang;
    int year, month; /* the month reported (monthly_report_month_parse) */
    /* The dashboards' filters, the agent's scope applied (perm_scope): channel, procedures,
     * departments; the period is the month's, whatever f says. */
    const store_request_filter *f;
    int64_t area; /* the quartier (0: in none), or STATS_AREA_ANY */
    /* The filters applied, in words («Canal : Web»): shown under the title. */
    const char *const *filters;
    size_t n_filters; /* at most MONTHLY_REPORT_FILTERS_MAX */
    int64_t now;      /* the instant «overdue now» is counted at, and the report's date */
} monthly_report_in;

/* "2026-11" as *year and *month: 0, or -1 when s is not a month of years 2000–2099. */
int monthly_report_month_parse(const char *s, int *year, int *month);

/* Appends to out (max at least REPORT_PDF_MAX) the report of in->month of tenant t as one
 * page of PDF. 0, or -1 with err: ERR_INVALID_ARG (arg "mois") for a month out of range or
 * a month stats_query refuses (too many requests to walk, the month before included), else
 * as stats_query and report_render. Runs on the caller's thread: one walk of the two months
 * (stats_query_set: the month by day, the month before, the month by channel, department and
 * procedure), bounded as the dashboards' are, and a few milliseconds of drawing in bounded
 * memory (an arena and out). */
int monthly_report_pdf(core *c, const cat_tenant *t, const monthly_report_in *in, struct buf *out,
                       error *err);

#endif

/*
 * report — lays out a one-page report of figures on the collectivité's letterhead as a
 * tagged PDF with cairo and pango: a title, a few lines saying what it covers, tables (a
 * heading, a row of column headings, rows headed by their first cell; half-width ones side
 * by side) and one bar chart of counts with its value axis from 0. Every cell holds one line,
 * cut with «…» when too long, and the inputs are bounded, so that the report always fits its
 * one page; it is refused rather than spilled onto a second. The monthly report of pilotage
 * (core/monthly_report.h) says what to write; this module only draws it.
 */
#ifndef GUICHET_DOCS_REPORT_H
#define GUICHET_DOCS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "docs/page.h"
#include "util/buf.h"
#include "util/error.h"

/* Bounds of what one report may hold. */
#define REPORT_LINES_MAX 6
#define REPORT_TABLES_MAX 6
#define REPORT_COLS_MAX 8
#define REPORT_ROWS_MAX 16
#define REPORT_BARS_MAX 62
#define REPORT_VALUE_MAX INT64_C(1000000000000000)
#define REPORT_PDF_MAX (2 * 1024 * 1024) /* bytes of the finished PDF */

typedef struct report_table {
    const char *heading;      /* the table's heading (H2) */
    const char *const *head;  /* n_cols column headings (TH) */
    const double *widths;     /* n_cols fractions of the table's width, their sum at most 1 */
    size_t n_cols;            /* 1..REPORT_COLS_MAX */
    const char *const *cells; /* n_rows × n_cols, row by row; each row's first cell heads it */
    size_t n_rows;            /* 0..REPORT_ROWS_MAX */
    int half;                 /* half the width: beside the next table when it is half too */
} report_table;

typedef struct report_chart {
    const char *heading;       /* the chart's heading (H2) */
    const char *alt;           /* the Figure's alternative text: what the chart shows */
    const char *const *labels; /* n labels under the bars */
    const int64_t *values;     /* n counts, 0..REPORT_VALUE_MAX */
    size_t n;                  /* 0..REPORT_BARS_MAX */
} report_chart;

typedef struct report {
    const char *title;        /* the heading (H1) and the document's title */
    const char *lang;         /* BCP 47, e.g. "fr-FR": the document's /Lang */
    const char *page_word;    /* the footer's «page 1 / 1» word */
    const char *const *lines; /* paragraphs under the title, at most two lines shown of each */
    size_t n_lines;           /* 0..REPORT_LINES_MAX */
    const report_table *tables;
    size_t n_tables;           /* 0..REPORT_TABLES_MAX */
    const report_chart *chart; /* NULL: none */
    size_t chart_at;           /* the chart comes before tables[chart_at] (n_tables: last) */
} report;

/* Renders r on head as one finished page of PDF (tagged, titled, its /Lang set) appended to
 * out (its max should allow REPORT_PDF_MAX). 0, or -1 with ERR_INVALID_ARG (arg "text":
 * invalid UTF-8, a text over PAGE_TEXT_MAX or a count over its bound; "chart": a value out of
 * range; "pages": the report does not fit on its page),
 * ERR_TOO_LARGE (out is full) or ERR_INTERNAL (cairo or qpdf failed). Safe to call from
 * several threads at once, as letter_render. */
int report_render(const letter_head *head, const report *r, buf *out, error *err);

#endif

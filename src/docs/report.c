/*
 * report — one pass over one cairo PDF page: the letterhead and footer, then the title, the
 * lines, the tables and the chart from the top down, each in its structure tag (H1, P, H2,
 * Table with TR, TH and TD, Figure); y is checked against the footer at the end and a report
 * that ran over is refused. pdf_finish then sets /Lang and the chart's /Alt.
 */
#include "docs/report.h"

#include <stdio.h>
#include <string.h>

#include "docs/pdf.h"
#include "util/axis.h"

#define FONT_TITLE "DejaVu Sans Bold 11"
#define FONT_HEADING "DejaVu Sans Bold 8.5"
#define FONT_CELL "DejaVu Sans 6"
#define FONT_CELL_BOLD "DejaVu Sans Bold 6"
#define FONT_AXIS "DejaVu Sans 5.5"
#define SPACE_SECTION 6.0 /* above a heading */
#define SPACE_HEADING 2.0 /* between a heading and what it heads */
#define CELL_PAD 2.5      /* a cell's text from its column's edges */
#define ROW_GAP 0.8       /* between rows */
#define COLUMN_GAP 16.0   /* between two half tables */
/* Lines each text of the letterhead shows at most: whatever the collectivité typed, the
 * letterhead leaves the page its room. */
#define HEAD_LINES 2
/* The chart: its plot's height, and the room under it for the bars' labels. */
#define CHART_PLOT_H 80.0
#define CHART_LABELS_H 10.0
/* Colours on white, as the dashboards' SVG (present/svg_chart.c): bars 8.3:1, axis 7:1. */
#define BAR_R 0.114
#define BAR_G 0.310
#define BAR_B 0.569
#define AXIS_GREY 0.35
#define GRID_GREY 0.82

/* One line of text, cut with «…» when over width. Caller frees with g_object_unref. */
static PangoLayout *one_line(cairo_t *cr, const char *font, const char *text, double width,
                             PangoAlignment align)
{
    PangoLayout *l = page_layout(cr, font, text ? text : "", width, align);
    pango_layout_set_single_paragraph_mode(l, TRUE);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    return l;
}

/* A heading (H2) at y; returns the y under it. */
static double heading(cairo_t *cr, const char *text, double x, double y, double width)
{
    PangoLayout *l = one_line(cr, FONT_HEADING, text, width, PANGO_ALIGN_LEFT);
    page_show(cr, l, x, y, "H2");
    y += page_layout_h(l) + SPACE_HEADING;
    g_object_unref(l);
    return y;
}

/* One row of t at y, in cells tagged TH (head, or a row's first cell) or TD; returns the y
 * under it. */
static double table_row(cairo_t *cr, const report_table *t, const char *const *cells, int head,
                        double x, double y, double width)
{
    cairo_tag_begin(cr, "TR", "");
    double cx = x, h = 0;
    for (size_t c = 0; c < t->n_cols; c++) {
        double w = width * t->widths[c];
        int th = head || c == 0;
        PangoLayout *l = one_line(cr, head ? FONT_CELL_BOLD : FONT_CELL, cells[c], w - 2 * CELL_PAD,
                                  c == 0 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT);
        page_show(cr, l, cx + CELL_PAD, y, th ? "TH" : "TD");
        double lh = page_layout_h(l);
        if (lh > h)
            h = lh;
        g_object_unref(l);
        cx += w;
    }
    cairo_tag_end(cr, "TR");
    return y + h + ROW_GAP;
}

static void rule(cairo_t *cr, double x, double y, double width, double grey)
{
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + width, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

/* Table t with its heading at (x, y), width wide; returns the y under it. */
static double table_draw(cairo_t *cr, const report_table *t, double x, double y, double width)
{
    y = heading(cr, t->heading, x, y, width);
    cairo_tag_begin(cr, "Table", "");
    y = table_row(cr, t, t->head, 1, x, y, width);
    rule(cr, x, y - ROW_GAP / 2, width, AXIS_GREY);
    for (size_t r = 0; r < t->n_rows; r++)
        y = table_row(cr, t, t->cells + r * t->n_cols, 0, x, y, width);
    rule(cr, x, y - ROW_GAP / 2, width, GRID_GREY);
    cairo_tag_end(cr, "Table");
    return y;
}

/* v with a narrow no-break space between groups of three digits, as French writes numbers
 * (and English readers read). */
static void number_text(int64_t v, char *out, size_t size)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 4 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            memcpy(out + o, "\xe2\x80\xaf", 3);
            o += 3;
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* The chart with its heading at y; returns the y under it. The value axis starts at 0 and
 * rises in round steps (util/axis.h), gridlines at each; the bars' labels are written under
 * them, one every few bars when they would run into each other. */
static double chart_draw(cairo_t *cr, const report_chart *ch, double y)
{
    y = heading(cr, ch->heading, PAGE_MARGIN_X, y, PAGE_CONTENT_W);
    int64_t max = 0;
    for (size_t i = 0; i < ch->n; i++)
        if (ch->values[i] > max)
            max = ch->values[i];
    int64_t step, top;
    axis_ticks(max, &step, &top);
    char text[64];
    number_text(top, text, sizeof text);
    PangoLayout *probe = one_line(cr, FONT_AXIS, text, PAGE_CONTENT_W, PANGO_ALIGN_LEFT);
    int tw, th;
    pango_layout_get_pixel_size(probe, &tw, &th);
    g_object_unref(probe);
    double axis_w = tw + 6.0;
    double x0 = PAGE_MARGIN_X + axis_w, plot_w = PAGE_CONTENT_W - axis_w;
    double top_y = y + th / 2.0, base_y = top_y + CHART_PLOT_H;

    cairo_tag_begin(cr, "Figure", "");
    for (int64_t v = 0; v <= top; v += step) {
        double gy = base_y - CHART_PLOT_H * (double)v / (double)top;
        rule(cr, x0, gy, plot_w, v == 0 ? AXIS_GREY : GRID_GREY);
        number_text(v, text, sizeof text);
        PangoLayout *l = one_line(cr, FONT_AXIS, text, axis_w - 4.0, PANGO_ALIGN_RIGHT);
        cairo_set_source_rgb(cr, AXIS_GREY, AXIS_GREY, AXIS_GREY);
        page_show(cr, l, PAGE_MARGIN_X, gy - th / 2.0, NULL);
        g_object_unref(l);
    }
    double slot = ch->n ? plot_w / (double)ch->n : plot_w;
    cairo_set_source_rgb(cr, BAR_R, BAR_G, BAR_B);
    for (size_t i = 0; i < ch->n; i++) {
        double h = CHART_PLOT_H * (double)ch->values[i] / (double)top;
        cairo_rectangle(cr, x0 + slot * (double)i + slot * 0.15, base_y - h, slot * 0.7, h);
    }
    cairo_fill(cr);
    /* The widest label decides how many bars one label serves. */
    double widest = 0;
    for (size_t i = 0; i < ch->n; i++) {
        PangoLayout *l = one_line(cr, FONT_AXIS, ch->labels[i], PAGE_CONTENT_W, PANGO_ALIGN_LEFT);
        int w, h;
        pango_layout_get_pixel_size(l, &w, &h);
        g_object_unref(l);
        if (w > widest)
            widest = w;
    }
    size_t every = 1;
    while (every < ch->n && slot * (double)every < widest + 3.0)
        every++;
    cairo_set_source_rgb(cr, AXIS_GREY, AXIS_GREY, AXIS_GREY);
    for (size_t i = 0; i < ch->n; i += every) {
        PangoLayout *l =
            one_line(cr, FONT_AXIS, ch->labels[i], slot * (double)every, PANGO_ALIGN_CENTER);
        double lx = x0 + slot * (double)i + slot / 2 - slot * (double)every / 2;
        page_show(cr, l, lx, base_y + 2.0, NULL);
        g_object_unref(l);
    }
    cairo_tag_end(cr, "Figure");
    cairo_set_source_rgb(cr, 0, 0, 0);
    return base_y + CHART_LABELS_H;
}

/* Whether r is within its bounds and its texts are UTF-8: 0, or -1 with err. */
static int check(const letter_head *head, const report *r, error *err)
{
    if (!head->name || !page_text_ok(head->name) || !page_text_ok(head->address) ||
        !page_text_ok(head->contact) || !page_text_ok(head->department) ||
        !page_text_ok(head->department_contact) || !page_text_ok(r->title) ||
        !page_text_ok(r->page_word))
        return error_set(err, ERR_INVALID_ARG, "text", "a letterhead's text is not valid UTF-8");
    if (r->n_lines > REPORT_LINES_MAX || r->n_tables > REPORT_TABLES_MAX ||
        r->chart_at > r->n_tables)
        return error_set(err, ERR_INVALID_ARG, "text", "over %d lines or %d tables",
                         REPORT_LINES_MAX, REPORT_TABLES_MAX);
    for (size_t i = 0; i < r->n_lines; i++)
        if (!page_text_ok(r->lines[i]))
            return error_set(err, ERR_INVALID_ARG, "text", "line %zu is not valid UTF-8", i);
    for (size_t i = 0; i < r->n_tables; i++) {
        const report_table *t = &r->tables[i];
        if (t->n_cols < 1 || t->n_cols > REPORT_COLS_MAX || t->n_rows > REPORT_ROWS_MAX)
            return error_set(err, ERR_INVALID_ARG, "text",
                             "table %zu: 1 to %d columns and at most %d rows", i, REPORT_COLS_MAX,
                             REPORT_ROWS_MAX);
        double sum = 0;
        int ok = page_text_ok(t->heading);
        for (size_t c = 0; c < t->n_cols; c++) {
            ok = ok && page_text_ok(t->head[c]) && t->widths[c] > 0;
            sum += t->widths[c];
        }
        for (size_t c = 0; ok && c < t->n_rows * t->n_cols; c++)
            ok = page_text_ok(t->cells[c]);
        if (!ok || sum > 1.0001)
            return error_set(err, ERR_INVALID_ARG, "text",
                             "table %zu: a text is not valid UTF-8 or its widths are over 1", i);
    }
    const report_chart *ch = r->chart;
    if (ch) {
        if (ch->n > REPORT_BARS_MAX || !page_text_ok(ch->heading) || !ch->alt || !*ch->alt ||
            !page_text_ok(ch->alt))
            return error_set(err, ERR_INVALID_ARG, "chart",
                             "a chart has at most %d bars, a heading and its alternative text",
                             REPORT_BARS_MAX);
        for (size_t i = 0; i < ch->n; i++)
            if (ch->values[i] < 0 || ch->values[i] > REPORT_VALUE_MAX ||
                !page_text_ok(ch->labels[i]))
                return error_set(err, ERR_INVALID_ARG, "chart", "bar %zu is out of range", i);
    }
    return 0;
}

/* Everything under the letterhead, from body_top; returns the y under the last of it. */
static double body_draw(cairo_t *cr, const report *r, double y)
{
    PangoLayout *l = one_line(cr, FONT_TITLE, r->title, PAGE_CONTENT_W, PANGO_ALIGN_LEFT);
    page_show(cr, l, PAGE_MARGIN_X, y, "H1");
    y += page_layout_h(l) + 4.0;
    g_object_unref(l);
    for (size_t i = 0; i < r->n_lines; i++) {
        l = page_layout(cr, PAGE_FONT_SMALL, r->lines[i], PAGE_CONTENT_W, PANGO_ALIGN_LEFT);
        /* Two lines at most (a negative height counts lines), the rest cut with «…». */
        pango_layout_set_height(l, -2);
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        page_show(cr, l, PAGE_MARGIN_X, y, "P");
        y += page_layout_h(l) + 1.5;
        g_object_unref(l);
    }
    double half_w = (PAGE_CONTENT_W - COLUMN_GAP) / 2;
    for (size_t i = 0; i <= r->n_tables; i++) {
        if (r->chart && i == r->chart_at)
            y = chart_draw(cr, r->chart, y + SPACE_SECTION);
        if (i == r->n_tables)
            break;
        const report_table *t = &r->tables[i];
        y += SPACE_SECTION;
        if (t->half && i + 1 < r->n_tables && r->tables[i + 1].half &&
            !(r->chart && i + 1 == r->chart_at)) {
            double left = table_draw(cr, t, PAGE_MARGIN_X, y, half_w);
            double right =
                table_draw(cr, &r->tables[i + 1], PAGE_MARGIN_X + half_w + COLUMN_GAP, y, half_w);
            y = left > right ? left : right;
            i++;
        } else {
            y = table_draw(cr, t, PAGE_MARGIN_X, y, t->half ? half_w : PAGE_CONTENT_W);
        }
    }
    return y;
}

int report_render(const letter_head *head, const report *r, buf *out, error *err)
{
    if (check(head, r, err) != 0)
        return -1;
    int rc = -1;
    page_doc d;
    if (page_doc_open(&d, REPORT_PDF_MAX, r->title, head, HEAD_LINES, err) != 0)
        goto cleanup;
    cairo_t *cr = d.cr;
    page_head_draw(cr, &d.head, 1);
    page_foot_draw(cr, head->name, r->page_word, 1, 1);
    double bottom = body_draw(cr, r, PAGE_MARGIN_TOP + d.head.height + PAGE_HEAD_GAP);
    if (bottom > PAGE_BODY_BOTTOM) {
        error_set(err, ERR_INVALID_ARG, "pages", "the report runs %.0f points past its page",
                  bottom - PAGE_BODY_BOTTOM);
        goto cleanup;
    }
    cairo_show_page(cr);
    if (page_doc_finish(&d, r->lang, r->chart ? r->chart->alt : NULL, out, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    page_doc_close(&d);
    return rc;
}

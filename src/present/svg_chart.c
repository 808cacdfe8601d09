/*
 * svg_chart — see svg_chart.h. Geometry is worked out in a fixed viewBox (CHART_W × CHART_H
 * units) and the document has no width or height of its own, so the page's CSS sizes it.
 */
#include "present/svg_chart.h"

#include <stdio.h>
#include <string.h>

#include "util/axis.h"
#include "util/utf8.h"

#define CHART_W 720
#define CHART_H 360
#define MARGIN_TOP 16
#define MARGIN_RIGHT 16
#define FONT_PX 12
/* Most labels written under the bars: past that, one label every few bars. */
#define MAX_LABELS 24
/* Colours on white: text #1a1a1a (17:1), bars #1d4f91 (8.3:1) and axis #595959 (7:1), all
 * above the contrasts WCAG 2.1 asks for text (4.5:1) and graphics (3:1). */
#define COLOUR_TEXT "#1a1a1a"
#define COLOUR_BAR "#1d4f91"
#define COLOUR_AXIS "#595959"
#define COLOUR_GRID "#d0d0d0"

void svg_text(buf *out, const char *s)
{
    if (!s || !utf8_valid(s, strlen(s)))
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        case '\'':
            buf_puts(out, "&#39;");
            break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r')
                buf_putc(out, (char)*p);
        }
    }
}

/* v with a narrow no-break space between groups of three digits, as French writes numbers. */
static void put_number(buf *out, int64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v);
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
            buf_puts(out, "\xe2\x80\xaf");
        buf_putc(out, digits[i]);
    }
}

int svg_chart_bars(buf *out, const char *title, const char *desc, const svg_bar *bars, size_t n)
{
    if (n > SVG_CHART_MAX_BARS)
        return -1;
    int64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        if (bars[i].value < 0 || bars[i].value > SVG_CHART_MAX_VALUE)
            return -1;
        if (bars[i].value > max)
            max = bars[i].value;
    }
    int64_t step, top;
    axis_ticks(max, &step, &top);

    /* Room on the left for the longest tick label (the top's), below for the bar labels:
     * slanted when there are many, so that they do not run into each other. */
    char top_digits[24];
    int top_len = snprintf(top_digits, sizeof top_digits, "%lld", (long long)top);
    int left = 16 + (top_len + (top_len - 1) / 3) * 7;
    size_t label_every = n > MAX_LABELS ? (n + MAX_LABELS - 1) / MAX_LABELS : 1;
    int slanted = n > 12;
    int bottom = slanted ? 72 : 32;
    double plot_w = CHART_W - left - MARGIN_RIGHT, plot_h = CHART_H - MARGIN_TOP - bottom;
    double base_y = MARGIN_TOP + plot_h;

    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
               "aria-labelledby=\"chart-title chart-desc\" font-family=\"sans-serif\" "
               "font-size=\"%d\">\n<title id=\"chart-title\">",
               CHART_W, CHART_H, FONT_PX);
    svg_text(out, title);
    buf_puts(out, "</title>\n<desc id=\"chart-desc\">");
    svg_text(out, desc);
    buf_printf(out, "</desc>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", CHART_W,
               CHART_H);

    /* Ticks and their grid lines, from 0 to the top. */
    buf_printf(out, "<g class=\"ticks\" fill=\"%s\" text-anchor=\"end\">\n", COLOUR_TEXT);
    for (int64_t v = 0; v <= top; v += step) {
        double y = base_y - plot_h * ((double)v / (double)top);
        buf_printf(out,
                   "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                   "<text x=\"%d\" y=\"%.1f\" dy=\"0.35em\">",
                   left, left + plot_w, y, y, v == 0 ? COLOUR_AXIS : COLOUR_GRID, left - 6, y);
        put_number(out, v);
        buf_puts(out, "</text>\n");
    }
    buf_puts(out, "</g>\n");

    if (n > 0) {
        double slot = plot_w / (double)n, width = slot * 0.7;
        buf_printf(out, "<g class=\"bars\" fill=\"%s\">\n", COLOUR_BAR);
        for (size_t i = 0; i < n; i++) {
            double h = plot_h * ((double)bars[i].value / (double)top);
            buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                       left + slot * (double)i + (slot - width) / 2, base_y - h, width, h);
        }
        buf_printf(out, "</g>\n<g class=\"labels\" fill=\"%s\" text-anchor=\"%s\">\n", COLOUR_TEXT,
                   slanted ? "end" : "middle");
        for (size_t i = 0; i < n; i += label_every) {
            double x = left + slot * (double)i + slot / 2, y = base_y + 16;
            if (slanted)
                buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-45 %.1f %.1f)\">",
                           x, y, x, y);
            else
                buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", x, y);
            svg_text(out, bars[i].label);
            buf_puts(out, "</text>\n");
        }
        buf_puts(out, "</g>\n");
    }
    buf_puts(out, "</svg>\n");
    return out->failed ? -1 : 0;
}

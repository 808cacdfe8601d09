/*
 * svg_chart — server-rendered SVG bar charts for the dashboards (/agent/pilotage): one series
 * of non-negative counts under labels, drawn as a standalone SVG document with a value axis
 * of rounded ticks (util/axis.h), sized by its viewBox so that it scales to any width (a phone,
 * paper). The document carries role="img", a <title> and a <desc> tied by aria-labelledby; the page
 * shows the same figures as a data table beside it, the alternative RGAA asks for.
 */
#ifndef GUICHET_PRESENT_SVG_CHART_H
#define GUICHET_PRESENT_SVG_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Most bars one chart draws (a year of days), and the largest value it accepts: far above any
 * count of requests, and small enough that tick arithmetic never overflows. */
#define SVG_CHART_MAX_BARS 400
#define SVG_CHART_MAX_VALUE INT64_C(1000000000000000)

typedef struct svg_bar {
    const char *label; /* UTF-8, escaped when written */
    int64_t value;     /* 0..SVG_CHART_MAX_VALUE */
} svg_bar;

/* Appends s as text for an SVG element or a quoted attribute: the five XML specials as
 * entities, control characters XML 1.0 forbids left out; text that is not UTF-8 is left out
 * whole. Shared by the dashboards' drawings (svg_map.h). */
void svg_text(buf *out, const char *s);

/* Appends to out a bar chart of bars[0..n) titled `title` and described by `desc` (plain
 * UTF-8 text, escaped). Zero bars draw the axis alone. 0, or -1 when n exceeds
 * SVG_CHART_MAX_BARS, a value is out of range or out's maximum is reached. */
int svg_chart_bars(buf *out, const char *title, const char *desc, const svg_bar *bars, size_t n);

#endif

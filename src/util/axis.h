/*
 * axis — the value axis of a bar chart, shared by the dashboards' SVG charts
 * (present/svg_chart.h) and the monthly report's PDF chart (docs/report.h), so that both
 * scale a series the same honest way: from 0, in round steps.
 */
#ifndef GUICHET_UTIL_AXIS_H
#define GUICHET_UTIL_AXIS_H

#include <stdint.h>

/* The value axis for data whose largest value is max (>= 0): the step between ticks, 1, 2 or
 * 5 times a power of ten, so that at most 6 steps reach max, and the top of the axis, the
 * smallest multiple of the step >= max (one step when max is 0). */
void axis_ticks(int64_t max, int64_t *step, int64_t *top);

#endif

/*
 * axis — see axis.h.
 */
#include "util/axis.h"

void axis_ticks(int64_t max, int64_t *step, int64_t *top)
{
    if (max <= 0) {
        *step = 1;
        *top = 1;
        return;
    }
    /* The smallest step of 1, 2 or 5 × 10^k with at most 6 steps up to max. */
    int64_t raw = (max + 5) / 6, mag = 1;
    while (mag <= INT64_MAX / 10 && mag * 10 <= raw)
        mag *= 10;
    int64_t s = mag;
    if (s < raw)
        s = 2 * mag;
    if (s < raw)
        s = 5 * mag;
    if (s < raw)
        s = 10 * mag;
    *step = s;
    *top = (max + s - 1) / s * s;
}

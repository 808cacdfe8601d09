#include "core/status.h"

#include <string.h>

static const struct {
    const char *code;
    const char *fr;
    const char *en;
    int closed;
} statuses[STATUS_COUNT] = {
    [STATUS_NEW] = {"new", "nouvelle", "new", 0},
    [STATUS_ACKNOWLEDGED] = {"acknowledged", "prise en compte", "acknowledged", 0},
    [STATUS_IN_PROGRESS] = {"in_progress", "en cours", "in progress", 0},
    [STATUS_RESOLVED] = {"resolved", "résolue", "resolved", 1},
    [STATUS_REJECTED] = {"rejected", "rejetée", "rejected", 1},
    [STATUS_DUPLICATE] = {"duplicate", "doublon", "duplicate", 1},
};

const char *status_code(status s)
{
    return (s >= 0 && s < STATUS_COUNT) ? statuses[s].code : "new";
}

int status_parse(const char *code, status *out)
{
    if (!code)
        return -1;
    for (int i = 0; i < STATUS_COUNT; i++)
        if (strcmp(code, statuses[i].code) == 0) {
            *out = (status)i;
            return 0;
        }
    return -1;
}

const char *status_label(status s, lang l)
{
    if (s < 0 || s >= STATUS_COUNT)
        s = STATUS_NEW;
    return l == LANG_EN ? statuses[s].en : statuses[s].fr;
}

int status_is_closed(status s)
{
    return s >= 0 && s < STATUS_COUNT && statuses[s].closed;
}

size_t status_codes_of_state(int closed, const char **out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < STATUS_COUNT && n < max; i++)
        if (statuses[i].closed == (closed ? 1 : 0))
            out[n++] = statuses[i].code;
    return n;
}

const char *status_open311(status s)
{
    return status_is_closed(s) ? "closed" : "open";
}

const char *status_open311_of(const char *code)
{
    status s;
    return status_parse(code, &s) == 0 ? status_open311(s) : "open";
}

int status_transition_allowed(status from, status to)
{
    if (from == to || to == STATUS_NEW)
        return 0;
    if (from < 0 || from >= STATUS_COUNT || to < 0 || to >= STATUS_COUNT)
        return 0;
    /* A closed request may be reopened (in_progress) when the citizen says the problem is
     * still there, or closed differently; everything open may move anywhere forward. */
    if (status_is_closed(from))
        return to == STATUS_IN_PROGRESS || to == STATUS_ACKNOWLEDGED || status_is_closed(to);
    return 1;
}

/*
 * status — the request lifecycle: stable status codes, their French and English labels, the
 * Open311 open/closed mapping and which transitions are allowed. All status logic lives here
 * so that the configurable workflow engine can take this module over later.
 */
#ifndef GUICHET_CORE_STATUS_H
#define GUICHET_CORE_STATUS_H

#include <stddef.h>

#include "util/error.h"

typedef enum status {
    STATUS_NEW = 0,
    STATUS_ACKNOWLEDGED,
    STATUS_IN_PROGRESS,
    STATUS_RESOLVED,
    STATUS_REJECTED,
    STATUS_DUPLICATE,
    STATUS_COUNT
} status;

/* "new", "acknowledged", … — the code stored and used in the JSON API. */
const char *status_code(status s);
/* 0 and *out for a known code, -1 otherwise. */
int status_parse(const char *code, status *out);
/* "nouvelle" / "new", … */
const char *status_label(status s, lang l);
/* 1 for resolved, rejected, duplicate. */
int status_is_closed(status s);
/* The codes of every open (closed 0) or closed (closed 1) status, in lifecycle order, into
 * out[0..max) (static strings); returns how many were written. For filters such as the
 * public list's «ouverts» / «clos», so that no page lists the statuses itself. */
size_t status_codes_of_state(int closed, const char **out, size_t max);
/* "open" or "closed" (Open311). */
const char *status_open311(status s);
/* The same for a stored code; unknown codes count as open. */
const char *status_open311_of(const char *code);
/* 1 when a request may move from `from` to `to` (not to itself, not back to new). */
int status_transition_allowed(status from, status to);

#endif

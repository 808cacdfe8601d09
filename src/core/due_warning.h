/*
 * due_warning — the due-date warning, the first exactly-once job kind: D days before a
 * request's due date (the collectivité's setting, DUE_WARNING_DAYS_DEFAULT until an
 * administrator changes it, 0: never), the agent it is assigned to — or, unassigned, the
 * active agents of its department — get one e-mail (template due_warning) and the timeline
 * says so, in the same transaction. The request's life keeps the job in step: scheduled
 * when a request is filed with a due date, scheduled again when its due date changes or it
 * is reopened, cancelled when it closes (due_warning_sync_tx, from every change that moves
 * those).
 */
#ifndef GUICHET_CORE_DUE_WARNING_H
#define GUICHET_CORE_DUE_WARNING_H

#include <stdint.h>

#include <jansson.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define DUE_WARNING_KIND "due_warning"
#define DUE_WARNING_DAYS_DEFAULT 2
#define DUE_WARNING_DAYS_MAX 90

/* Registers the kind on c (core_open does). */
int due_warning_register(core *c, error *err);

/* Inside a write job, after r (as it is about to be written) changed or was created: its
 * warning scheduled at due_at − D days (due at once when that is past) when it is open, has a
 * due date and D > 0; otherwise its pending warning cancelled. A warning already sent for
 * the same due date is not sent again. */
int due_warning_sync_tx(store *s, const store_request *r, int64_t now, error *err);
/* due_warning_sync_tx for a request that has no warning yet (its creation) with D known
 * (days, resolved: the catalogue's cat_tenant.due_warning_days): nothing cancelled, nothing
 * read. */
int due_warning_schedule_tx(store *s, const store_request *r, int days, error *err);

/* Inside a write job: one e-mail of template tmpl with params (copied) to each agent
 * concerned by r — its assignee, or when nobody is assigned, the active agents of its
 * department —, in French (agents' mail; params carry no personal data); *sent how many.
 * Agents read in a. */
int due_warning_notify_agents_tx(store *s, const store_request *r, const char *tmpl, json_t *params,
                                 arena *a, size_t *sent, error *err);

/* The collectivité's D (the default when never set). */
int due_warning_days(core *c, int64_t tenant_id, int *days, error *err);
/* Sets D (0 to DUE_WARNING_DAYS_MAX, else ERR_INVALID_ARG "due_warning_days" at once) as an
 * administrative change with its audit entry (kind "due_warning"); answers like change_run.
 * Requests already filed keep the warning they have until their next change. */
int due_warning_days_set_as(core *c, const core_actor *who, int64_t tenant_id, int days,
                            core_done_fn cb, void *ctx, error *err);

#endif

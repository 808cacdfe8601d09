/*
 * weekly_digest — the managers' weekly digest: each manager or administrator who asked for it
 * on their own page («Mes notifications») gets, every Monday at AGENT_DIGEST_HOUR (the
 * collectivité's time), an e-mail with their departments' figures of the week before — filed,
 * closed, open now (the backlog) and late now — and a link to the back office. Counts only: no
 * reference, name or address leaves by it.
 *
 * One exactly-once job a collectivité and week (core/jobs.h): the choice schedules the next
 * one, each run schedules the one after while anyone still wants it, so that a crash neither
 * loses nor repeats a digest and a collectivité where nobody asks pays nothing.
 */
#ifndef GUICHET_CORE_WEEKLY_DIGEST_H
#define GUICHET_CORE_WEEKLY_DIGEST_H

#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "util/error.h"

#define WEEKLY_DIGEST_KIND "weekly_digest"
/* The message's template (core/outbox.h): from, to (the week's days, "DD/MM/YYYY"),
 * departments [{name, created, closed, open, late}], total {created, closed, open, late},
 * link (the back office's inbox; absent without a configured URL). */
#define WEEKLY_DIGEST_TEMPLATE "agent_weekly_digest"

/* Registers the job kind on c (core_open does). */
int weekly_digest_register(core *c, error *err);

/* 1 when agent role `role` may ask for the digest (managers and administrators). */
int weekly_digest_allowed(const char *role);

/* Whether agent agent_id of tenant_id asked for it: *on 0 or 1. */
int weekly_digest_get(core *c, int64_t tenant_id, int64_t agent_id, int *on, error *err);

/* The agent `who` asks for the digest (on 1) or stops it (0); asking schedules the next one.
 * cb NULL: waits for the commit; otherwise 0 at once and cb(ctx, rc, err) once durable.
 * ERR_FORBIDDEN for anyone but a manager or an administrator. */
int weekly_digest_set(core *c, const core_actor *who, int on, core_done_fn cb, void *ctx,
                      error *err);

/* The next digest's time after `now` in zone tz: Monday, AGENT_DIGEST_HOUR o'clock local. */
int64_t weekly_digest_next(int64_t now, const char *tz);

#endif

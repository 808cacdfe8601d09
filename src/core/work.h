/*
 * work — the agents' work on requests beyond request.c's changes: showing a request on the
 * public list or hiding it, its public text, moderating a citizen's photo, an agent's saved inbox
 * filters, the reply templates, and the reads the work pages need (nearby requests, a request's
 * files). Every change is one write job that also writes its timeline event and, when `who`
 * is audited, its audit entry, so that pages and the JSON API share one way to do it.
 */
#ifndef GUICHET_CORE_WORK_H
#define GUICHET_CORE_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

/* Changes follow request_create's form: with cb they return at once and cb(ctx, rc, err)
 * fires once the change is durable or failed; with cb NULL they wait. */

/* Shows (is_public 1) or hides (0) request `reference` on the public list, with an internal
 * "publication" event (body "1" or "0") and the audit entry ("change" on "request").
 * ERR_NOT_FOUND; ERR_FORBIDDEN when `who`, an agent, may not change it or its procedure has
 * no public list. */
int work_set_public(core *c, const cat_tenant *t, const char *reference, int is_public,
                    const core_actor *who, core_done_fn cb, void *ctx, error *err);

/* Approves `text` as the public text of request `reference` (core/request_public.h: what
 * the public pages and Open311 show instead of the citizen's words), or withdraws it (text
 * NULL or blank: nothing is shown again), with an internal "public_text" event (body: the
 * text approved, or none when withdrawn) and the audit entry ("change" on "request"). The
 * text is trimmed; ERR_INVALID_ARG naming "public_text" when longer than
 * REQUEST_PUBLIC_TEXT_MAX characters or holding control characters other than line breaks;
 * ERR_FORBIDDEN as work_set_public, or when its procedure shows its requests' text nowhere
 * (neither a public list nor Open311 in full). */
int work_set_public_text(core *c, const cat_tenant *t, const char *reference, const char *text,
                         const core_actor *who, core_done_fn cb, void *ctx, error *err);

/* 1 when the requests of p have a public text to moderate: they may be on the public list
 * or are shown in full on Open311. */
int work_public_text_used(const cat_procedure *p);

/* Moderates photo `attachment_id` of request `reference`: decision "approved" or
 * "rejected", with an internal "moderation" event (body: the decision) and the audit entry
 * ("change" on "request"). ERR_NOT_FOUND when the photo is not one of the request's;
 * ERR_INVALID_ARG naming "decision"; ERR_FORBIDDEN as work_set_public. */
int work_moderate_photo(core *c, const cat_tenant *t, const char *reference, int64_t attachment_id,
                        const char *decision, const core_actor *who, core_done_fn cb, void *ctx,
                        error *err);

/* An agent's saved filters, by name (strings in a). */
int work_filters(core *c, const cat_tenant *t, int64_t agent_id, arena *a, store_saved_filter **out,
                 size_t *n, error *err);
/* Saves filter `name` (query: the inbox's query string) for agent `who`; ERR_CONFLICT when
 * the agent has one of that name. */
int work_filter_save(core *c, const cat_tenant *t, const core_actor *who, const char *name,
                     const char *query, core_done_fn cb, void *ctx, error *err);
/* Deletes filter `id` of agent `who`; ERR_NOT_FOUND when it is not theirs. */
int work_filter_delete(core *c, const cat_tenant *t, const core_actor *who, int64_t id,
                       core_done_fn cb, void *ctx, error *err);

/* The tenant's reply templates, by name (strings in a). */
int work_reply_templates(core *c, const cat_tenant *t, arena *a, store_reply_template **out,
                         size_t *n, error *err);

/* The open located requests within radius_m metres of (lat, lon), nearest first, at most
 * limit; *distance_m (may be NULL) one per request; all in a. */
int work_requests_near(core *c, const cat_tenant *t, double lat, double lon, double radius_m,
                       size_t limit, arena *a, store_request **out, double **distance_m, size_t *n,
                       error *err);

#endif

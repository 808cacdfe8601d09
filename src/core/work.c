/*
 * work — publication, the public text, photo moderation, saved filters, reply templates and the
 * work pages' reads (see work.h). Each change is a job on the store's writer that checks the access
 * rules on the row it changes, writes its internal timeline event and its audit entry in
 * the same transaction as the change.
 */
#include "core/work.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/perm.h"
#include "core/request_public.h"
#include "util/text.h"
#include "util/timeutil.h"

typedef enum work_kind {
    WORK_PUBLISH,
    WORK_PUBLIC_TEXT,
    WORK_MODERATE,
    WORK_FILTER_SAVE,
    WORK_FILTER_DELETE,
} work_kind;

typedef struct work_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    work_kind kind;
    int64_t tenant_id;
    core_actor who;
    store_agent who_agent;
    const char *reference;
    int is_public;
    int64_t id;       /* WORK_MODERATE: the attachment; WORK_FILTER_DELETE: the filter */
    const char *text; /* WORK_MODERATE: the decision; WORK_FILTER_SAVE: the name;
                         WORK_PUBLIC_TEXT: the text, NULL to withdraw it */
    const char *query;
} work_job;

static int work_apply(store *s, core_op *op, error *err);

static work_job *work_new(const cat_tenant *t, work_kind kind, const char *reference,
                          const core_actor *who, error *err)
{
    work_job *j = core_op_new(sizeof *j, work_apply);
    if (!j) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    j->kind = kind;
    j->tenant_id = t->rec.id;
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) != 0 ||
        (reference && !(j->reference = arena_strdup(&j->op.a, reference)))) {
        core_op_free(j);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return j;
}

/* The request the job is about, read on the writer's connection, after the access rules of
 * an agent's change. */
static int open_request(store *s, work_job *j, store_request *r, error *err)
{
    int found = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->reference, &j->op.a, r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    if (j->who.kind == ACTOR_AGENT && j->who.agent && !perm_can_change(j->who.agent, r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
    return 0;
}

/* An internal event of the change (never shown on the citizen's side nor on Open311). */
static int internal_event(store *s, work_job *j, const store_request *r, const char *kind,
                          const char *body, error *err)
{
    int64_t now = time_now();
    if (now < r->updated_at)
        now = r->updated_at;
    store_event e = {.tenant_id = j->tenant_id,
                     .request_id = r->id,
                     .created_at = now,
                     .kind = kind,
                     .is_public = 0,
                     .actor = actor_event_label(&j->who, &j->op.a),
                     .channel = "web",
                     .body = body};
    if (!e.actor)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

static int work_apply(store *s, core_op *op, error *err)
{
    work_job *j = (work_job *)op;
    store_request r;
    switch (j->kind) {
    case WORK_PUBLISH:
        if (open_request(s, j, &r, err) != 0 ||
            s->ops->requests.tx_set_public(s, j->tenant_id, r.id, j->is_public, err) != 0 ||
            internal_event(s, j, &r, "publication", j->is_public ? "1" : "0", err) != 0)
            return -1;
        return audit_change_tx(s, j->tenant_id, &j->who, "change", "request", &r.id, 1, err);
    case WORK_PUBLIC_TEXT:
        if (open_request(s, j, &r, err) != 0 ||
            s->ops->requests.tx_set_public_description(s, j->tenant_id, r.id, j->text, err) != 0 ||
            internal_event(s, j, &r, "public_text", j->text, err) != 0)
            return -1;
        return audit_change_tx(s, j->tenant_id, &j->who, "change", "request", &r.id, 1, err);
    case WORK_MODERATE:
        if (open_request(s, j, &r, err) != 0 ||
            s->ops->attachments.tx_moderate(s, j->tenant_id, j->id, j->text, err) != 0 ||
            internal_event(s, j, &r, "moderation", j->text, err) != 0)
            return -1;
        return audit_change_tx(s, j->tenant_id, &j->who, "change", "request", &r.id, 1, err);
    case WORK_FILTER_SAVE: {
        store_saved_filter f = {
            .tenant_id = j->tenant_id, .agent_id = j->who.id, .name = j->text, .query = j->query};
        return s->ops->saved_filters.tx_insert(s, &f, &j->id, err);
    }
    case WORK_FILTER_DELETE:
        return s->ops->saved_filters.tx_delete(s, j->tenant_id, j->who.id, j->id, err);
    }
    return error_set(err, ERR_INTERNAL, NULL, "unknown work job");
}

/* Request `reference` as the caller's thread reads it (strings in a). */
static int read_request(core *c, const cat_tenant *t, const char *reference, arena *a,
                        store_request *r, error *err)
{
    int found = 0;
    if (!reference ||
        c->store->ops->requests.get(c->store, t->rec.id, reference, a, r, &found, err) != 0)
        return reference ? -1 : error_set(err, ERR_MISSING_ARG, "reference", "no reference");
    return found ? 0 : error_set(err, ERR_NOT_FOUND, "reference", "no such request");
}

int work_set_public(core *c, const cat_tenant *t, const char *reference, int is_public,
                    const core_actor *who, core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_request r;
    int rc = read_request(c, t, reference, &a, &r, err);
    const cat_procedure *p = rc == 0 ? catalogue_procedure_by_id(t, r.procedure_id) : NULL;
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!p || !p->rec.is_public)
        return error_set(err, ERR_FORBIDDEN, NULL, "this procedure has no public list");
    work_job *j = work_new(t, WORK_PUBLISH, reference, who, err);
    if (!j)
        return -1;
    j->is_public = is_public ? 1 : 0;
    return core_op_submit(c, j, cb, ctx, err);
}

int work_public_text_used(const cat_procedure *p)
{
    return request_public_procedure(p) ||
           (p && p->rec.open311 && p->rec.open311_detail >= OPEN311_DETAIL_FULL);
}

int work_set_public_text(core *c, const cat_tenant *t, const char *reference, const char *text,
                         const core_actor *who, core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_request r;
    int rc = read_request(c, t, reference, &a, &r, err);
    const cat_procedure *p = rc == 0 ? catalogue_procedure_by_id(t, r.procedure_id) : NULL;
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!work_public_text_used(p))
        return error_set(err, ERR_FORBIDDEN, NULL, "this procedure shows no public text");
    work_job *j = work_new(t, WORK_PUBLIC_TEXT, reference, who, err);
    if (!j)
        return -1;
    const char *kept = NULL;
    switch (text_field(&j->op.a, text, REQUEST_PUBLIC_TEXT_MAX, &kept)) {
    case TEXT_OK:
    case TEXT_EMPTY: /* blank: withdrawn */
        break;
    case TEXT_TOO_LONG:
        core_op_free(j);
        return error_set(err, ERR_INVALID_ARG, "public_text", "longer than %d characters",
                         REQUEST_PUBLIC_TEXT_MAX);
    case TEXT_BAD_CHARACTERS:
        core_op_free(j);
        return error_set(err, ERR_INVALID_ARG, "public_text", "contains control characters");
    case TEXT_NO_MEMORY:
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    j->text = kept;
    return core_op_submit(c, j, cb, ctx, err);
}

int work_moderate_photo(core *c, const cat_tenant *t, const char *reference, int64_t attachment_id,
                        const char *decision, const core_actor *who, core_done_fn cb, void *ctx,
                        error *err)
{
    arena a;
    arena_init(&a, 0);
    store_request r;
    store_attachment at;
    int found = 0;
    int rc = read_request(c, t, reference, &a, &r, err);
    if (rc == 0 && attachment_id > 0)
        rc =
            c->store->ops->attachments.get(c->store, t->rec.id, attachment_id, &a, &at, &found, err);
    int is_ours = rc == 0 && found && at.request_id == r.id && at.is_photo;
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!is_ours)
        return error_set(err, ERR_NOT_FOUND, "photo", "no such photo on this request");
    if (!decision || (strcmp(decision, "approved") != 0 && strcmp(decision, "rejected") != 0))
        return error_set(err, ERR_INVALID_ARG, "decision", "approved or rejected");
    work_job *j = work_new(t, WORK_MODERATE, reference, who, err);
    if (!j)
        return -1;
    j->id = attachment_id;
    j->text = decision[0] == 'a' ? "approved" : "rejected";
    return core_op_submit(c, j, cb, ctx, err);
}

int work_filters(core *c, const cat_tenant *t, int64_t agent_id, arena *a, store_saved_filter **out,
                 size_t *n, error *err)
{
    return c->store->ops->saved_filters.list(c->store, t->rec.id, agent_id, a, out, n, err);
}

int work_filter_save(core *c, const cat_tenant *t, const core_actor *who, const char *name,
                     const char *query, core_done_fn cb, void *ctx, error *err)
{
    if (!who || who->kind != ACTOR_AGENT || who->id <= 0)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent saves filters");
    if (!name || !*name || !query)
        return error_set(err, ERR_MISSING_ARG, name && *name ? "query" : "name",
                         "a name and a query");
    work_job *j = work_new(t, WORK_FILTER_SAVE, NULL, who, err);
    if (!j)
        return -1;
    j->text = arena_strdup(&j->op.a, name);
    j->query = arena_strdup(&j->op.a, query);
    if (!j->text || !j->query) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int work_filter_delete(core *c, const cat_tenant *t, const core_actor *who, int64_t id,
                       core_done_fn cb, void *ctx, error *err)
{
    if (!who || who->kind != ACTOR_AGENT || who->id <= 0)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent deletes filters");
    if (id <= 0)
        return error_set(err, ERR_NOT_FOUND, "id", "no such filter");
    work_job *j = work_new(t, WORK_FILTER_DELETE, NULL, who, err);
    if (!j)
        return -1;
    j->id = id;
    return core_op_submit(c, j, cb, ctx, err);
}

int work_reply_templates(core *c, const cat_tenant *t, arena *a, store_reply_template **out,
                         size_t *n, error *err)
{
    return c->store->ops->reply_templates.list(c->store, t->rec.id, a, out, n, err);
}

int work_requests_near(core *c, const cat_tenant *t, double lat, double lon, double radius_m,
                       size_t limit, arena *a, store_request **out, double **distance_m, size_t *n,
                       error *err)
{
    return c->store->ops->requests.near(c->store, t->rec.id, lat, lon, radius_m, limit, a, out,
                                        distance_m, n, err);
}


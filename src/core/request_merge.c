/*
 * request_merge — «Fusionner»: a duplicate merged into the request that goes on (the
 * survivor), as one write job. The duplicate is closed as a duplicate pointing at the
 * survivor; what its citizen brought reaches the survivor's agents; both citizens are told;
 * one audit entry names both requests.
 */
#include <string.h>

#include <jansson.h>

#include "core/attachment.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request_internal.h"
#include "core/workflow.h"
#include "store/store.h"
#include "util/timeutil.h"

typedef struct merge_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    core *core; /* its links (the e-mails' tracking paths) and uploads directory */
    int64_t tenant_id;
    const char *duplicate, *survivor; /* references */
    core_actor who;                   /* copied: strings and agent in the arena */
    store_agent who_agent;
    const char *actor; /* who's timeline label */
    const char *channel;
    const char *base_url; /* the collectivité's, for the tracking links; NULL: no e-mail */
    const char *duplicate_procedure, *survivor_procedure; /* names, for the e-mails */
    /* The status each one's workflow closes a duplicate with (workflow_duplicate_status),
     * copied; NULL: its workflow has none. */
    const char *duplicate_status, *survivor_dup_status;
    status_env env; /* the actions of the duplicate's status (status_actions.h) */
    /* Names linked for the survivor's copies of attachments, removed again if the job
     * fails (the rows that would have referred to them are rolled back). */
    request_linked linked;
    request_merge_result result;
    request_merge_result *result_out; /* the caller's, filled before cb */
} merge_job;

/* The e-mail telling a citizen about the merge, when they chose news by e-mail; queued in
 * the merge's own transaction. Its link is their own request's tracking page without the
 * token (core never holds it in clear after the acknowledgement): the page asks for it. */
static int queue_told(store *s, merge_job *j, const store_request *r, const char *template,
                      const char *procedure, const char *survivor, error *err)
{
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!j->base_url || !via)
        return 0;
    const core_links *l = core_links_get(j->core);
    const char *url = arena_printf(&j->op.a, "%s%s%s", j->base_url, l->tracking ? l->tracking : "",
                                   l->tracking ? r->reference : "");
    if (!url)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    json_t *params =
        json_pack("{s:s, s:s, s:s, s:s?}", "reference", r->reference, "procedure",
                  procedure ? procedure : "", "tracking_url", url, "survivor", survivor);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the merge e-mail");
    /* In the language the request was filed in, as every message about it. */
    int rc = outbox_add_tx(s, j->tenant_id, via, to, template, params, r->lang, r->id, err);
    json_decref(params);
    return rc;
}

/* The refusals, read on the rows the job is about to change. */
static int merge_allowed(store *s, merge_job *j, const store_request *d, const store_request *v,
                         error *err)
{
    if (d->id == v->id)
        return error_set(err, ERR_INVALID_ARG, "survivor",
                         "a request cannot be merged into itself");
    const store_agent *a = j->who.kind == ACTOR_AGENT ? j->who.agent : NULL;
    if (a && (!perm_can_change(a, d) || !perm_can_change(a, v)))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change both requests");
    if (!j->duplicate_status)
        return error_set(err, ERR_CONFLICT, "duplicate",
                         "this request's workflow has no duplicate status");
    if (d->merged_into || strcmp(d->status, j->duplicate_status) == 0)
        return error_set(err, ERR_CONFLICT, "duplicate",
                         "this request is already closed as a duplicate");
    if (v->merged_into ||
        (j->survivor_dup_status && strcmp(v->status, j->survivor_dup_status) == 0))
        return error_set(err, ERR_CONFLICT, "survivor",
                         "the request to keep is itself a duplicate of another");
    /* Every merged request points at one that goes on (never at another duplicate): so a
     * request others were merged into is kept, and no chain nor cycle can form. */
    store_request *children = NULL;
    size_t n = 0;
    if (s->ops->requests.merged(s, j->tenant_id, d->id, &j->op.a, &children, &n, err) != 0)
        return -1;
    if (n)
        return error_set(err, ERR_CONFLICT, "duplicate",
                         "other requests were merged into this one: keep it instead");
    return 0;
}

/* Remembers a linked copy in l (grown in a), for its removal if the job fails. */
static int add_linked(request_linked *l, arena *a, const store_attachment *at, error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        store_attachment *grown = arena_alloc(a, cap * sizeof *grown);
        if (!grown)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        if (l->n)
            memcpy(grown, l->files, l->n * sizeof *grown);
        l->files = grown;
        l->cap = cap;
    }
    l->files[l->n++] = *at;
    return 0;
}

/* A copy of file `at` (hard links) saved for request_id with event_id. */
static int link_save(store *s, const attachment_dir *d, arena *a, int64_t tenant_id,
                     int64_t request_id, int64_t event_id, const store_attachment *at,
                     request_linked *l, error *err)
{
    store_attachment copy;
    return attachment_link(d, at, a, &copy, err) != 0 || add_linked(l, a, &copy, err) != 0 ||
                   attachment_save_tx(s, tenant_id, request_id, event_id, &copy, 1, err) != 0
               ? -1
               : 0;
}

int request_copy_message_tx(store *s, const attachment_dir *d, arena *a, int64_t survivor_id,
                            const store_event *msg, const store_attachment *atts, size_t n_atts,
                            request_linked *l, error *err)
{
    store_event e = *msg; /* its author, channel and date: the copy says who and when */
    e.id = 0;
    e.request_id = survivor_id;
    e.kind = "merged_message";
    e.is_public = 0;
    e.copied_from = msg->request_id; /* erased with it (anonymisation) */
    e.status_from = e.status_to = NULL;
    int64_t id = 0;
    if (s->ops->events.tx_insert(s, &e, &id, err) != 0)
        return -1;
    for (size_t i = 0; i < n_atts; i++)
        if (atts[i].event_id == msg->id &&
            link_save(s, d, a, msg->tenant_id, survivor_id, id, &atts[i], l, err) != 0)
            return -1;
    return 0;
}

void request_linked_discard(const attachment_dir *d, const request_linked *l)
{
    for (size_t i = 0; i < l->n; i++)
        attachment_discard(d, &l->files[i]);
}

/* What the duplicate's citizen brought, copied to the survivor for its agents: the
 * citizen's messages (each an internal "merged_message" event, with its files), the files
 * filed with the request or with another of its public events (with the merge's event),
 * and the «moi aussi».
 *
 * Copied, not moved: the duplicate's timeline stays whole for its citizen, who keeps
 * reading their own messages and files on their tracking page (and in their data export),
 * and each request keeps its own retention (anonymising one leaves the other's copy). The
 * copies are internal to the survivor: its citizen must not see another citizen's words,
 * files or name. Files are hard links, so no bytes are duplicated. */
static int copy_to_survivor(store *s, merge_job *j, const store_request *d, const store_request *v,
                            int64_t here_id, error *err)
{
    const attachment_dir *dir = core_uploads(j->core);
    store_event *events = NULL;
    size_t n_events = 0;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    if (s->ops->events.list(s, j->tenant_id, d->id, 1, &j->op.a, &events, &n_events, err) != 0 ||
        s->ops->attachments.list(s, j->tenant_id, d->id, &j->op.a, &atts, &n_atts, err) != 0)
        return -1;
    for (size_t i = 0; i < n_events; i++) {
        if (strcmp(events[i].kind, "message") != 0 || !request_event_by_citizen(&events[i]))
            continue;
        size_t before = j->linked.n;
        if (request_copy_message_tx(s, dir, &j->op.a, v->id, &events[i], atts, n_atts, &j->linked,
                                    err) != 0)
            return -1;
        j->result.messages++;
        j->result.attachments += (int)(j->linked.n - before);
    }
    for (size_t k = 0; k < n_atts; k++) {
        /* Filed with the request, or with a public event other than a citizen's message
         * (copied above); an internal note's files are the services' own. */
        int with_here = atts[k].event_id == 0;
        for (size_t i = 0; i < n_events && !with_here; i++)
            with_here =
                events[i].id == atts[k].event_id &&
                !(strcmp(events[i].kind, "message") == 0 && request_event_by_citizen(&events[i]));
        if (!with_here)
            continue;
        if (link_save(s, dir, &j->op.a, j->tenant_id, v->id, here_id, &atts[k], &j->linked, err) !=
            0)
            return -1;
        j->result.attachments++;
    }
    return s->ops->requests.tx_support_copy(s, j->tenant_id, d->id, v->id, &j->result.supporters,
                                            err);
}

static int merge_apply(store *s, core_op *op, error *err)
{
    merge_job *j = (merge_job *)op;
    memset(&j->result, 0, sizeof j->result);
    store_request d, v;
    int found_d = 0, found_v = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->duplicate, &op->a, &d, &found_d, err) != 0 ||
        s->ops->requests.tx_get(s, j->tenant_id, j->survivor, &op->a, &v, &found_v, err) != 0)
        return -1;
    if (!found_d)
        return error_set(err, ERR_NOT_FOUND, "duplicate", "no such request");
    if (!found_v)
        return error_set(err, ERR_NOT_FOUND, "survivor", "no such request");
    if (merge_allowed(s, j, &d, &v, err) != 0)
        return -1;
    int64_t now = time_now();
    if (now < d.updated_at) /* keep both timelines ordered even if the clock stepped back */
        now = d.updated_at;
    if (now < v.updated_at)
        now = v.updated_at;

    /* The survivor: an internal event naming the duplicate (its reference only: the
     * survivor's citizen sees nothing of the merge), then the copies after it. */
    store_event here = {.tenant_id = j->tenant_id,
                        .request_id = v.id,
                        .created_at = now,
                        .kind = "merged_here",
                        .is_public = 0,
                        .actor = j->actor,
                        .channel = j->channel,
                        .body = d.reference,
                        .copied_from = d.id}; /* the duplicate's files go with it */
    int64_t here_id = 0;
    if (s->ops->events.tx_insert(s, &here, &here_id, err) != 0 ||
        copy_to_survivor(s, j, &d, &v, here_id, err) != 0)
        return -1;
    v.updated_at = now;

    /* The duplicate: closed as a duplicate, with a public status event whose note names the
     * survivor by its reference, which is no personal data. The note is the collectivité's
     * words (French), as Open311's status_notes shows them; pages say it in the reader's
     * language from merged_into. */
    const char *note = arena_printf(&op->a, "Fusionnée avec la demande %s", v.reference);
    if (!note)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    store_event closing = {.tenant_id = j->tenant_id,
                           .request_id = d.id,
                           .created_at = now,
                           .kind = "status",
                           .is_public = 1,
                           .actor = j->actor,
                           .channel = j->channel,
                           .status_from = d.status,
                           .status_to = j->duplicate_status,
                           .body = note};
    if (s->ops->events.tx_insert(s, &closing, NULL, err) != 0)
        return -1;
    const char *old_status = d.status;
    int64_t old_closed = d.closed_at;
    d.status = j->duplicate_status;
    d.status_notes = note;
    d.closed_at = now;
    d.updated_at = now;
    d.merged_into = v.id;
    /* The duplicate status's actions; a status e-mail they send carries the note naming the
     * survivor, and replaces the merge's own e-mail to the duplicate's citizen. */
    int told = 0;
    status_entry entry = {.actor = j->actor, .channel = j->channel, .note = note, .now = now};
    if (status_actions_run_tx(s, &j->env, &d, &entry, &told, err) != 0 ||
        request_followups_tx(s, &d, old_status, d.due_at, old_closed, now, err) != 0 ||
        s->ops->requests.tx_update(s, &d, err) != 0 || s->ops->requests.tx_update(s, &v, err) != 0)
        return -1;

    if ((!told &&
         queue_told(s, j, &d, "request_merged", j->duplicate_procedure, v.reference, err) != 0) ||
        queue_told(s, j, &v, "request_merged_here", j->survivor_procedure, NULL, err) != 0)
        return -1;
    int64_t ids[2] = {d.id, v.id};
    return audit_change_tx(s, j->tenant_id, &j->who, "merge", "request", ids, 2, err);
}

static void merge_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    merge_job *j = (merge_job *)op;
    if (*rc != 0) {
        /* Rolled back: no row refers to the new names. */
        request_linked_discard(core_uploads(j->core), &j->linked);
        return;
    }
    if (j->result_out)
        *j->result_out = j->result;
}

/* The name of request `reference`'s procedure and the code of its workflow's duplicate
 * status (NULL: none), copied into a (the job may outlive the catalogue snapshot), and when
 * env is set, what its actions need (status_env_prepare, with tracking_url); -1 with
 * ERR_NOT_FOUND naming arg when who may not see it. */
static int procedure_name(core *c, const cat_tenant *t, const core_actor *who,
                          const char *reference, const char *arg, arena *a, const char **out,
                          const char **dup_status, status_env *env, const char *tracking_url,
                          error *err)
{
    arena tmp;
    arena_init(&tmp, 0);
    store_request r;
    int rc = request_get_as(c, t, who, reference, &tmp, &r, err);
    if (rc == 0) {
        const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
        *out = arena_strdup(a, p ? p->rec.name : "");
        const store_workflow_status *dup = p ? workflow_duplicate_status(p->workflow) : NULL;
        *dup_status = dup ? arena_strdup(a, dup->code) : NULL;
        if (!*out || (dup && !*dup_status))
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
        else if (env && p)
            rc = status_env_prepare(c, t, p, NULL, &r, tracking_url, a, env, err);
    } else if (err->code == ERR_NOT_FOUND) {
        error_set(err, ERR_NOT_FOUND, arg, "no such request");
    }
    arena_free(&tmp);
    return rc;
}

int request_merge(core *c, const cat_tenant *t, const char *duplicate, const char *survivor,
                  const core_actor *who, const char *base_url, request_merge_result *result,
                  core_done_fn cb, void *ctx, error *err)
{
    if (!request_reference_ok(duplicate))
        return error_set(err, ERR_INVALID_ARG, "duplicate", "not a reference");
    if (!request_reference_ok(survivor))
        return error_set(err, ERR_INVALID_ARG, "survivor", "not a reference");
    if (strcmp(duplicate, survivor) == 0)
        return error_set(err, ERR_INVALID_ARG, "survivor",
                         "a request cannot be merged into itself");
    merge_job *j = core_op_new(sizeof *j, merge_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = merge_finish;
    arena *a = &j->op.a;
    /* Read now for the e-mails' procedure names, and to refuse an unknown or unseen request
     * before queuing; the job checks everything again on the rows it changes. */
    const char *lookup = base_url && *base_url ? request_lookup_url(c, a, base_url) : NULL;
    if (procedure_name(c, t, who, duplicate, "duplicate", a, &j->duplicate_procedure,
                       &j->duplicate_status, &j->env, lookup, err) != 0 ||
        procedure_name(c, t, who, survivor, "survivor", a, &j->survivor_procedure,
                       &j->survivor_dup_status, NULL, NULL, err) != 0) {
        core_op_free(j);
        return -1;
    }
    j->core = c;
    j->tenant_id = t->rec.id;
    j->duplicate = arena_strdup(a, duplicate);
    j->survivor = arena_strdup(a, survivor);
    j->base_url = request_dup_opt(a, base_url);
    j->channel = channel_name(CHANNEL_WEB);
    j->result_out = result;
    if (actor_copy(a, who, &actor_system, &j->who, &j->who_agent) == 0)
        j->actor = actor_event_label(&j->who, a);
    if (!j->duplicate || !j->survivor || !j->actor || (base_url && *base_url && !j->base_url)) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int request_merged(core *c, const cat_tenant *t, int64_t survivor_id, arena *a, store_request **out,
                   size_t *n, error *err)
{
    return c->store->ops->requests.merged(c->store, t->rec.id, survivor_id, a, out, n, err);
}

int request_merged_into(core *c, const cat_tenant *t, const store_request *r, arena *a,
                        store_request *out, error *err)
{
    int found = 0;
    if (!r->merged_into)
        return error_set(err, ERR_NOT_FOUND, NULL, "not merged");
    if (c->store->ops->requests.get_by_id(c->store, t->rec.id, r->merged_into, a, out, &found,
                                          err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such request");
    return 0;
}

/*
 * request_updates — Open311 service request updates: the comments clients relay from
 * citizens (one public timeline event each, with what the client told beside it, written
 * once per client update id) and the feed of public events they read back.
 */
#include <string.h>

#include "core/core_internal.h"
#include "core/request_internal.h"
#include "core/workflow.h"
#include "store/store.h"
#include "util/phone.h"
#include "util/timeutil.h"

#define CLIENT_UPDATE_TEXT_MAX REQUEST_DESCRIPTION_MAX

const char *const request_update_kinds[] = {"status", "reopened", "note", "comment"};
const size_t request_update_n_kinds = sizeof request_update_kinds / sizeof request_update_kinds[0];

int request_reopen_allowed(const cat_procedure *p, const char *status_now)
{
    /* «Pas réglé» is an incident's notion: a démarche's answer is contested otherwise. */
    return p != NULL && p->rec.kind == PROCEDURE_INCIDENT &&
           workflow_reopen_target(p->workflow, status_now) != NULL;
}

typedef struct client_update_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    int64_t tenant_id;
    int64_t procedure_id;
    int incident;           /* an incident: its citizens may reopen where its workflow says */
    const cat_workflow *wf; /* the procedure's, copied in op.a */
    const char *reference;
    const char *actor;
    store_client_update row; /* strings in op.a; event_id and request_id set by apply */
    const char *description;
    int64_t event_id;
    int64_t *update_id_out; /* the caller's, filled before cb */
} client_update_job;

/* Whether the client asks to reopen r: REOPEN, or OPEN about a request that was closed
 * before the client's update was made. */
static int asks_reopen(const client_update_job *j, const store_request *r)
{
    if (strcmp(j->row.client_status, "REOPEN") == 0)
        return 1;
    return strcmp(j->row.client_status, "OPEN") == 0 && workflow_is_closed(j->wf, r->status) &&
           r->closed_at != 0 && r->closed_at < j->row.client_datetime;
}

static int client_update_apply(store *s, core_op *op, error *err)
{
    client_update_job *j = (client_update_job *)op;
    int64_t event_id = 0, request_id = 0;
    int found = 0;
    if (s->ops->events.tx_client_update_find(s, j->row.api_key_id, j->row.client_update_id,
                                             &event_id, &request_id, &found, err) != 0)
        return -1;
    store_request r;
    int exists = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->reference, &j->op.a, &r, &exists, err) != 0)
        return -1;
    if (!exists || r.procedure_id != j->procedure_id)
        return error_set(err, ERR_NOT_FOUND, "service_request_id", "no such request");
    if (found) {
        if (request_id != r.id)
            return error_set(err, ERR_CONFLICT, "update_id",
                             "update_id: already used for another request");
        j->event_id = event_id; /* the same update again: the same answer, nothing written */
        return 0;
    }
    int64_t now = time_now();
    if (now < r.updated_at) /* keep the timeline ordered even if the clock stepped back */
        now = r.updated_at;
    const char *to = workflow_reopen_target(j->wf, r.status);
    int reopen = asks_reopen(j, &r) && j->incident && to != NULL;
    store_event e = {
        .tenant_id = j->tenant_id,
        .request_id = r.id,
        .created_at = now,
        .kind = reopen ? "reopened" : "comment",
        .is_public = 1,
        .actor = j->actor,
        .channel = channel_name(CHANNEL_API),
        .status_from = reopen ? r.status : NULL,
        .status_to = reopen ? to : NULL,
        .body = j->description,
    };
    if (s->ops->events.tx_insert(s, &e, &j->event_id, err) != 0)
        return -1;
    j->row.event_id = j->event_id;
    j->row.request_id = r.id;
    if (s->ops->events.tx_client_update_insert(s, &j->row, err) != 0)
        return -1;
    const char *old_status = r.status;
    int64_t old_closed = r.closed_at;
    if (reopen) {
        r.status = to;
        r.closed_at = 0;
    }
    r.updated_at = now;
    if (request_followups_tx(s, &r, old_status, r.due_at, old_closed, now, err) != 0)
        return -1;
    return s->ops->requests.tx_update(s, &r, err);
}

static void client_update_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    client_update_job *j = (client_update_job *)op;
    if (*rc == 0 && j->update_id_out)
        *j->update_id_out = j->event_id;
}

/* A copy of an optional string in a; *oom set when it could not be made. */
static const char *copy_opt(arena *a, const char *v, int *oom)
{
    if (v == NULL || *v == '\0')
        return NULL;
    const char *d = arena_strdup(a, v);
    if (d == NULL)
        *oom = 1;
    return d;
}

int request_client_update_add(core *c, const request_client_update *u, int64_t *update_id,
                              core_done_fn cb, void *ctx, error *err)
{
    if (!u->who || u->who->kind != ACTOR_KEY || !u->procedure || !u->reference ||
        !u->client_update_id || !*u->client_update_id || !u->client_status)
        return error_set(err, ERR_INTERNAL, NULL, "an Open311 client's update, incomplete");
    if (!u->description || !*u->description)
        return error_set(err, ERR_MISSING_ARG, "description", "description: missing");
    if (request_check_text(u->description, "description", CLIENT_UPDATE_TEXT_MAX, 1, err) != 0 ||
        request_check_text(u->first_name, "first_name", REQUEST_FIELD_MAX, 0, err) != 0 ||
        request_check_text(u->last_name, "last_name", REQUEST_FIELD_MAX, 0, err) != 0 ||
        request_check_text(u->email, "email", REQUEST_FIELD_MAX, 0, err) != 0 ||
        request_check_text(u->phone, "phone", REQUEST_FIELD_MAX, 0, err) != 0 ||
        request_check_text(u->media_url, "media_url", REQUEST_FIELD_MAX, 0, err) != 0)
        return -1;
    char e164[PHONE_E164_MAX] = "";
    if (u->phone && *u->phone && phone_normalise(u->phone, e164, err) != 0)
        return -1;
    client_update_job *j = core_op_new(sizeof *j, client_update_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = client_update_finish;
    j->tenant_id = u->tenant->rec.id;
    j->procedure_id = u->procedure->rec.id;
    j->incident = u->procedure->rec.kind == PROCEDURE_INCIDENT;
    j->wf = workflow_copy(&j->op.a, u->procedure->workflow);
    j->update_id_out = update_id;
    arena *a = &j->op.a;
    int oom = 0;
    oom = j->wf == NULL;
    j->reference = copy_opt(a, u->reference, &oom);
    j->actor = actor_event_label(u->who, a);
    j->description = copy_opt(a, u->description, &oom);
    j->row = (store_client_update){
        .tenant_id = j->tenant_id,
        .api_key_id = u->api_key_id,
        .client_update_id = copy_opt(a, u->client_update_id, &oom),
        .client_status = copy_opt(a, u->client_status, &oom),
        .client_datetime = u->client_datetime,
        .media_url = copy_opt(a, u->media_url, &oom),
        .first_name = copy_opt(a, u->first_name, &oom),
        .last_name = copy_opt(a, u->last_name, &oom),
        .email = copy_opt(a, u->email, &oom),
        .phone = copy_opt(a, *e164 ? e164 : NULL, &oom),
    };
    if (oom || !j->reference || !j->actor) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int request_public_updates(core *c, const cat_tenant *t, int64_t from, int64_t to, size_t offset,
                           size_t limit, arena *a, store_update **out, size_t *n, error *err)
{
    return c->store->ops->events.updates(c->store, t->rec.id, from, to, request_update_kinds,
                                         request_update_n_kinds, offset, limit, a, out, n, err);
}

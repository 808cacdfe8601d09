/*
 * request — creation, reads and changes of requests. Validation happens on the caller's
 * thread; the write itself is a job for the store's group-commit writer, whose callback
 * reports the durable outcome.
 */
#include "core/request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "core/attachment.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/perm.h"
#include "core/outbox.h"
#include "core/status.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static const char *const channel_names[CHANNEL_COUNT] = {
    "web", "mobile", "email", "sms", "phone", "counter", "post", "api",
};

const char *channel_name(channel ch)
{
    return (ch >= 0 && ch < CHANNEL_COUNT) ? channel_names[ch] : "web";
}

int channel_parse(const char *name, channel *out)
{
    for (int i = 0; name && i < CHANNEL_COUNT; i++)
        if (strcmp(name, channel_names[i]) == 0) {
            *out = (channel)i;
            return 0;
        }
    return -1;
}

static const char *const priority_names[] = {"low", "normal", "high", "urgent"};

const char *request_priority_name(int priority)
{
    return (priority >= 0 && priority < 4) ? priority_names[priority] : "normal";
}

int request_priority_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, priority_names[i]) == 0)
            return i;
    return -1;
}

/* ---- validation ---- */

/* An optional text field: valid UTF-8, no control characters (multi_line allows newlines
 * and tabs), at most max characters. */
static int check_text(const char *value, const char *arg, size_t max, int multi_line, error *err)
{
    if (!value)
        return 0;
    size_t len = strlen(value);
    if (!utf8_valid(value, len))
        return error_set(err, ERR_INVALID_ARG, arg, "not valid UTF-8");
    if (utf8_length(value, len) > max)
        return error_set(err, ERR_INVALID_ARG, arg, "longer than %zu characters", max);
    if (utf8_has_control(value, len) || (!multi_line && strpbrk(value, "\r\n\t")))
        return error_set(err, ERR_INVALID_ARG, arg, "contains control characters");
    return 0;
}

static int check_email(const char *email, error *err)
{
    if (!email || !*email)
        return 0;
    const char *at = strchr(email, '@');
    if (!at || at == email || !at[1] || strchr(at + 1, '@') || strpbrk(email, " <>\"(),;:") ||
        !strchr(at + 1, '.'))
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    return 0;
}

static int check_url(const char *url, const char *arg, error *err)
{
    if (!url || !*url)
        return 0;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return error_set(err, ERR_INVALID_ARG, arg, "must be an http or https URL");
    if (strpbrk(url, " <>\"") || strlen(url) > 2000)
        return error_set(err, ERR_INVALID_ARG, arg, "not a valid URL");
    return 0;
}

static int validate_input(const request_input *in, error *err)
{
    if (!in->tenant || !in->procedure)
        return error_set(err, ERR_MISSING_ARG, "service_code", "procedure missing");
    if (!in->procedure->rec.active)
        return error_set(err, ERR_NOT_FOUND, "service_code", "procedure not available");
    if (in->ch < 0 || in->ch >= CHANNEL_COUNT)
        return error_set(err, ERR_INVALID_ARG, "channel", "unknown channel");
    size_t dmax = in->description_max ? in->description_max : REQUEST_DESCRIPTION_MAX;
    if (check_text(in->description, "description", dmax, 1, err) != 0)
        return -1;
    if (in->has_location) {
        if (!isfinite(in->lat) || in->lat < -90 || in->lat > 90)
            return error_set(err, ERR_INVALID_ARG, "lat", "latitude must be between -90 and 90");
        if (!isfinite(in->lon) || in->lon < -180 || in->lon > 180)
            return error_set(err, ERR_INVALID_ARG, "long",
                             "longitude must be between -180 and 180");
    }
    struct {
        const char *value, *arg;
    } fields[] = {
        {in->address, "address_string"},
        {in->address_id, "address_id"},
        {in->zipcode, "zipcode"},
        {in->first_name, "first_name"},
        {in->last_name, "last_name"},
        {in->email, "email"},
        {in->phone, "phone"},
        {in->device_id, "device_id"},
        {in->account_id, "account_id"},
        {in->media_url, "media_url"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (check_text(fields[i].value, fields[i].arg, REQUEST_FIELD_MAX, 0, err) != 0)
            return -1;
    if (check_email(in->email, err) != 0 || check_url(in->media_url, "media_url", err) != 0)
        return -1;
    if (in->require_location && !in->has_location && !(in->address && *in->address) &&
        !(in->address_id && *in->address_id))
        return error_set(err, ERR_MISSING_ARG, "location",
                         "a location is required: lat and long, address_string or address_id");
    if (in->notify && strcmp(in->notify, "email") != 0 && strcmp(in->notify, "sms") != 0 &&
        strcmp(in->notify, "none") != 0)
        return error_set(err, ERR_INVALID_ARG, "notify", "email, sms or none");
    if (in->notify && strcmp(in->notify, "email") == 0 && !(in->email && *in->email))
        return error_set(err, ERR_MISSING_ARG, "email",
                         "an e-mail address is needed for news "
                         "by e-mail");
    if (in->notify && strcmp(in->notify, "sms") == 0 && !(in->phone && *in->phone))
        return error_set(err, ERR_MISSING_ARG, "phone",
                         "a phone number is needed for news by "
                         "SMS");
    if (in->n_attachments > ATTACHMENT_MAX_FILES)
        return error_set(err, ERR_INVALID_ARG, "files", "at most %d files", ATTACHMENT_MAX_FILES);
    if (in->initial_status) {
        status st;
        if (status_parse(in->initial_status, &st) != 0)
            return error_set(err, ERR_INVALID_ARG, "status", "unknown status");
    }
    return 0;
}

/* ---- creation ---- */

typedef struct create_job {
    core_op op; /* first: the write job; op.a holds copies of every input string */
    core *core;
    store_request rec;
    store_event event;
    core_actor who; /* copied: strings in the arena */
    store_agent who_agent;
    int64_t api_key_id;
    const char *idempotency_key;
    store_attachment *attachments; /* copies, in the job's arena */
    size_t n_attachments;
    const char *ack_base_url; /* set: queue the acknowledgement e-mail */
    const char *lang_code;
    const char *procedure_name;
    const char *service_notice;
    const char *timezone;
    int64_t id;            /* set by create_apply */
    const char *reference; /* set by create_apply, in op.a */
    request_created *out;
} create_job;

static const char *dup_opt(arena *a, const char *s)
{
    return (s && *s) ? arena_strdup(a, s) : NULL;
}

/* A prepared attachment whose strings the job owns. */
static void copy_attachment(arena *a, store_attachment *dst, const store_attachment *src)
{
    *dst = *src;
    dst->filename = dup_opt(a, src->filename);
    dst->content_type = dup_opt(a, src->content_type);
    dst->storage_name = dup_opt(a, src->storage_name);
    dst->thumb_name = dup_opt(a, src->thumb_name);
    dst->moderation = dup_opt(a, src->moderation);
}

/* The acknowledgement e-mail, queued in the request's own transaction: it leaves once the
 * request is on disk, and never for a request that was not written. */
static int queue_ack(store *s, const create_job *j, int64_t id, const char *reference, error *err)
{
    char due[TIME_RFC3339_LEN] = "";
    if (j->rec.due_at)
        time_format_rfc3339(j->rec.due_at, j->timezone, due);
    const core_links *l = core_links_get(j->core); /* the portal's tracking page */
    json_t *params = json_pack(
        "{s:s, s:s, s:s++++, s:s?, s:s}", "reference", reference, "procedure", j->procedure_name,
        "tracking_url", j->ack_base_url, l->tracking ? l->tracking : "", reference,
        l->tracking_token ? l->tracking_token : "", j->out->token, "service_notice",
        j->service_notice, "due_date", due[0] ? due : "");
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the acknowledgement");
    int rc = outbox_add_tx(s, j->rec.tenant_id, "email", j->rec.email, "request_ack", params,
                           j->lang_code, id, err);
    json_decref(params);
    return rc;
}

static int create_apply(store *s, core_op *op, error *err)
{
    create_job *j = (create_job *)op;
    const char *reference = NULL;
    int64_t id = 0;
    if (s->ops->requests.tx_insert(s, &j->rec, &op->a, &id, &reference, err) != 0)
        return -1;
    j->event.request_id = id;
    if (s->ops->events.tx_insert(s, &j->event, NULL, err) != 0)
        return -1;
    if (j->idempotency_key &&
        s->ops->idempotency.tx_insert(s, j->rec.tenant_id, j->api_key_id, j->idempotency_key, id,
                                      j->rec.created_at, err) != 0)
        return -1;
    if (j->n_attachments &&
        attachment_save_tx(s, j->rec.tenant_id, id, 0, j->attachments, j->n_attachments, err) != 0)
        return -1;
    if (j->ack_base_url && j->rec.email && queue_ack(s, j, id, reference, err) != 0)
        return -1;
    /* The audit entry in the creation's own transaction: a crash keeps both or neither. */
    if (audit_change_tx(s, j->rec.tenant_id, &j->who, "create", "request", &id, 1, err) != 0)
        return -1;
    j->id = id;
    j->reference = reference;
    return 0;
}

/* The request created earlier with the same idempotency key: 1 found, 0 not, -1 error. */
static int find_replay(core *c, int64_t tenant_id, int64_t key_id, const char *key,
                       request_created *out, error *err)
{
    arena a;
    arena_init(&a, 0);
    const char *reference = NULL;
    int rc = c->store->ops->idempotency.find(c->store, tenant_id, key_id, key, &a, &reference, err);
    if (rc == 0 && reference) {
        memset(out, 0, sizeof *out);
        snprintf(out->reference, sizeof out->reference, "%s", reference);
        out->replayed = 1;
        rc = 1;
    }
    arena_free(&a);
    return rc;
}

static void create_finish(core_op *op, int *rc, error *err)
{
    create_job *j = (create_job *)op;
    if (*rc == 0) {
        j->out->id = j->id;
        snprintf(j->out->reference, sizeof j->out->reference, "%s",
                 j->reference ? j->reference : "");
        return;
    }
    /* Two retries of the same POST in one batch: the second hits the idempotency key's
     * uniqueness; answer it with the first one's result. */
    if (err->code == ERR_CONFLICT && j->idempotency_key &&
        find_replay(j->core, j->rec.tenant_id, j->api_key_id, j->idempotency_key, j->out, err) == 1)
        *rc = 0;
    if (*rc != 0)
        memset(j->out->token, 0, sizeof j->out->token);
}

int request_create(core *c, const request_input *in, request_created *out, core_done_fn cb,
                   void *ctx, error *err)
{
    if (validate_input(in, err) != 0)
        return -1;
    memset(out, 0, sizeof *out);
    const cat_procedure *p = in->procedure;

    if (in->idempotency_key && in->api_key_id) {
        int found =
            find_replay(c, in->tenant->rec.id, in->api_key_id, in->idempotency_key, out, err);
        if (found < 0)
            return -1;
        if (found) {
            if (cb)
                cb(ctx, 0, NULL);
            return 0;
        }
    }

    create_job *j = core_op_new(sizeof *j, create_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = create_finish;
    arena *a = &j->op.a;
    int64_t now = in->created_at ? in->created_at : time_now();

    /* Attribute values are validated into their stored JSON form. */
    const char *attrs_json = "{}";
    if (attrs_validate(a, p->attrs, p->n_attrs, in->attrs, in->n_attrs, &attrs_json, err) != 0)
        goto fail;

    core_new_secret("", out->token, sizeof out->token);
    char token_hash[65];
    core_hash_secret(c, out->token, token_hash);

    store_request *r = &j->rec;
    r->tenant_id = in->tenant->rec.id;
    r->token_hash = arena_strdup(a, token_hash);
    r->procedure_id = p->rec.id;
    r->status = in->initial_status ? arena_strdup(a, in->initial_status) : "new";
    r->channel = channel_name(in->ch);
    r->description = dup_opt(a, in->description);
    r->has_location = in->has_location;
    r->lat = in->lat;
    r->lon = in->lon;
    r->address = dup_opt(a, in->address);
    r->address_id = dup_opt(a, in->address_id);
    r->zipcode = dup_opt(a, in->zipcode);
    r->attributes = attrs_json;
    r->first_name = dup_opt(a, in->first_name);
    r->last_name = dup_opt(a, in->last_name);
    r->email = dup_opt(a, in->email);
    r->phone = dup_opt(a, in->phone);
    r->device_id = dup_opt(a, in->device_id);
    r->account_id = dup_opt(a, in->account_id);
    r->media_url = dup_opt(a, in->media_url);
    r->department_id = p->rec.department_id;
    r->priority = 1;
    r->created_at = r->updated_at = now;
    r->due_at = p->rec.delay_days > 0 ? now + (int64_t)p->rec.delay_days * 86400 : 0;
    status st = STATUS_NEW;
    status_parse(r->status, &st);
    if (status_is_closed(st))
        r->closed_at = now;
    r->api_key_id = in->api_key_id;
    r->citizen_id = in->citizen_id;
    r->notify = in->notify ? arena_strdup(a, in->notify) : (r->email ? "email" : "none");
    r->is_public = p->rec.is_public && p->rec.auto_public;

    if (in->n_attachments) {
        j->attachments = arena_alloc(a, sizeof *j->attachments * in->n_attachments);
        if (!j->attachments) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < in->n_attachments; i++)
            copy_attachment(a, &j->attachments[i], &in->attachments[i]);
        j->n_attachments = in->n_attachments;
    }
    if (in->ack_base_url && r->email) {
        j->ack_base_url = arena_strdup(a, in->ack_base_url);
        j->lang_code = in->lang_code && strcmp(in->lang_code, "en") == 0 ? "en" : "fr";
        j->procedure_name = arena_strdup(a, p->rec.name);
        j->service_notice = dup_opt(a, p->rec.service_notice);
        j->timezone = dup_opt(a, in->tenant->rec.timezone);
    }

    store_event *e = &j->event;
    e->tenant_id = r->tenant_id;
    e->created_at = now;
    e->kind = "created";
    e->is_public = 1;
    if (actor_copy(a, in->who, &actor_citizen, &j->who, &j->who_agent) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    e->actor = actor_event_label(&j->who, a);
    e->channel = r->channel;
    e->status_to = r->status;

    j->core = c;
    j->api_key_id = in->api_key_id;
    j->idempotency_key = in->api_key_id ? dup_opt(a, in->idempotency_key) : NULL;
    j->out = out;
    if (!r->token_hash || !e->actor) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }

    return core_op_submit(c, j, cb, ctx, err);
fail:
    memset(out->token, 0, sizeof out->token);
    core_op_free(j);
    return -1;
}

/* ---- reads ---- */

int request_get(core *c, const cat_tenant *t, const char *reference, arena *a, store_request *out,
                error *err)
{
    int found = 0;
    if (c->store->ops->requests.get(c->store, t->rec.id, reference, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    return 0;
}

int request_get_as(core *c, const cat_tenant *t, const core_actor *who, const char *reference,
                   arena *a, store_request *out, error *err)
{
    if (request_get(c, t, reference, a, out, err) != 0)
        return -1;
    if (who && who->kind == ACTOR_AGENT && !perm_can_view(who->agent, out))
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    return 0;
}

int request_search(core *c, const store_request_filter *f, arena *a, store_request **out, size_t *n,
                   error *err)
{
    return c->store->ops->requests.search(c->store, f, a, out, n, err);
}

int request_count(core *c, const store_request_filter *f, int64_t *count, error *err)
{
    return c->store->ops->requests.count(c->store, f, count, err);
}

int request_timeline(core *c, const cat_tenant *t, int64_t request_id, int public_only, arena *a,
                     store_event **out, size_t *n, error *err)
{
    return c->store->ops->events.list(c->store, t->rec.id, request_id, public_only, a, out, n, err);
}

int request_timelines(core *c, const cat_tenant *t, const int64_t *ids, size_t n_ids,
                      int public_only, arena *a, store_event **out, size_t *n, error *err)
{
    return c->store->ops->events.list_many(c->store, t->rec.id, ids, n_ids, public_only, a, out, n,
                                           err);
}

int request_attachment_for_citizen(core *c, const cat_tenant *t, const store_request *r,
                                   const store_attachment *at, arena *a, int *visible,
                                   error *err)
{
    *visible = 0;
    if (at->request_id != r->id)
        return 0;
    if (at->event_id == 0) {
        *visible = 1;
        return 0;
    }
    store_event *events = NULL;
    size_t n = 0;
    if (request_timeline(c, t, r->id, 1, a, &events, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n && !*visible; i++)
        *visible = events[i].id == at->event_id;
    return 0;
}

/* ---- changes ---- */

typedef enum change_kind {
    CHANGE_FIELDS,  /* agent or API: status, assignee, priority, department */
    CHANGE_NOTE,    /* a note, public or internal */
    CHANGE_MESSAGE, /* the citizen writes, maybe with files */
    CHANGE_RATE,    /* the citizen rates the answer */
    CHANGE_REOPEN,  /* the citizen says the problem is still there */
} change_kind;

typedef struct change_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    change_kind kind;
    int64_t tenant_id;
    const char *reference;
    /* CHANGE_FIELDS */
    const char *status;
    const char *note;
    const char *assignee; /* "" unassigns */
    int priority;
    int64_t department_id; /* 0: unchanged; copied so the job outlives the snapshot */
    const char *department_code;
    const char *reply; /* a public answer to the citizen */
    const char *internal_note;
    const char *reply_url;
    const char *procedure_name;
    /* CHANGE_NOTE, CHANGE_MESSAGE, CHANGE_REOPEN, CHANGE_RATE (comment) */
    const char *body;
    int is_public;
    int rating;
    store_attachment *attachments; /* CHANGE_MESSAGE; CHANGE_FIELDS: the internal note's */
    size_t n_attachments;
    core_actor who; /* copied: strings and agent in the arena */
    store_agent who_agent;
    const char *actor;  /* who's timeline label */
    int64_t also_id;    /* another request named by the audit entry; 0: none */
    int64_t request_id; /* set by change_apply_one */
    const char *channel;
} change_job;

static int add_event_id(store *s, const change_job *j, int64_t request_id, int64_t now,
                        const char *kind, int is_public, const char *from, const char *to,
                        const char *body, int64_t *id_out, error *err)
{
    store_event e = {
        .tenant_id = j->tenant_id,
        .request_id = request_id,
        .created_at = now,
        .kind = kind,
        .is_public = is_public,
        .actor = j->actor,
        .channel = j->channel,
        .status_from = from,
        .status_to = to,
        .body = body,
    };
    return s->ops->events.tx_insert(s, &e, id_out, err);
}

static int add_event(store *s, const change_job *j, int64_t request_id, int64_t now,
                     const char *kind, int is_public, const char *from, const char *to,
                     const char *body, error *err)
{
    return add_event_id(s, j, request_id, now, kind, is_public, from, to, body, NULL, err);
}

/* The e-mail telling the citizen a reply is waiting, when they chose news by e-mail; queued
 * in the reply's own transaction. */
static int queue_reply(store *s, const change_job *j, const store_request *r, error *err)
{
    if (!r->email || !*r->email || (r->notify && strcmp(r->notify, "email") != 0))
        return 0;
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "reference", r->reference, "procedure",
                               j->procedure_name ? j->procedure_name : "", "message", j->reply,
                               "tracking_url", j->reply_url ? j->reply_url : "");
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the reply e-mail");
    int rc = outbox_add_tx(s, j->tenant_id, "email", r->email, "request_reply", params, "fr", r->id,
                           err);
    json_decref(params);
    return rc;
}

/* The citizen's own actions: a message, a rating, a reopening. */
static int citizen_apply(store *s, change_job *j, store_request *r, int64_t now, error *err)
{
    status st = STATUS_NEW;
    status_parse(r->status, &st);
    switch (j->kind) {
    case CHANGE_MESSAGE: {
        int64_t event_id = 0;
        if (add_event_id(s, j, r->id, now, "message", 1, NULL, NULL, j->body, &event_id, err) !=
                0 ||
            (j->n_attachments && attachment_save_tx(s, j->tenant_id, r->id, event_id,
                                                    j->attachments, j->n_attachments, err) != 0))
            return -1;
        break;
    }
    case CHANGE_RATE:
        if (!status_is_closed(st))
            return error_set(err, ERR_CONFLICT, "rating", "only a closed request can be rated");
        if (r->rating)
            return error_set(err, ERR_CONFLICT, "rating", "this request was already rated");
        if (add_event(s, j, r->id, now, "rating", 1, NULL, NULL, j->body, err) != 0)
            return -1;
        r->rating = j->rating;
        r->rating_comment = j->body;
        break;
    case CHANGE_REOPEN:
        if (st != STATUS_RESOLVED)
            return error_set(err, ERR_CONFLICT, "status",
                             "only a resolved request can be reopened");
        if (add_event(s, j, r->id, now, "reopened", 1, r->status, status_code(STATUS_IN_PROGRESS),
                      j->body, err) != 0)
            return -1;
        r->status = status_code(STATUS_IN_PROGRESS);
        r->closed_at = 0;
        break;
    default:
        return error_set(err, ERR_INTERNAL, NULL, "not a citizen action");
    }
    r->updated_at = now;
    return s->ops->requests.tx_update(s, r, err);
}

/* The access rules of an agent's change, read on the row the job is about to change. */
static int change_allowed(const change_job *j, const store_request *r, error *err)
{
    const store_agent *a = j->who.kind == ACTOR_AGENT ? j->who.agent : NULL;
    if (!a)
        return 0;
    if (!perm_can_change(a, r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
    if ((j->assignee || j->department_id) && !perm_can_assign(a, r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not assign this request");
    return 0;
}

/* One change, without its audit entry (change_apply and the batch add it). */
static int change_apply_one(store *s, change_job *j, error *err)
{
    store_request r;
    int found = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->reference, &j->op.a, &r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    j->request_id = r.id;
    if (change_allowed(j, &r, err) != 0)
        return -1;
    int64_t now = time_now();
    if (now < r.updated_at) /* keep the timeline ordered even if the clock stepped back */
        now = r.updated_at;
    if (j->kind == CHANGE_MESSAGE || j->kind == CHANGE_RATE || j->kind == CHANGE_REOPEN)
        return citizen_apply(s, j, &r, now, err);
    if (j->kind == CHANGE_NOTE) {
        if (add_event(s, j, r.id, now, "note", j->is_public, NULL, NULL, j->body, err) != 0)
            return -1;
        r.updated_at = now;
        return s->ops->requests.tx_update(s, &r, err);
    }
    int changed = 0;
    if (j->reply) {
        /* A public note: what the citizen, Open311 and the JSON API show as the mairie's. */
        if (add_event(s, j, r.id, now, "note", 1, NULL, NULL, j->reply, err) != 0 ||
            queue_reply(s, j, &r, err) != 0)
            return -1;
        changed = 1;
    }
    if (j->internal_note) {
        int64_t event_id = 0;
        if (add_event_id(s, j, r.id, now, "note", 0, NULL, NULL, j->internal_note, &event_id,
                         err) != 0 ||
            (j->n_attachments && attachment_save_tx(s, j->tenant_id, r.id, event_id, j->attachments,
                                                    j->n_attachments, err) != 0))
            return -1;
        changed = 1;
    }
    if (j->status && strcmp(j->status, r.status) != 0) {
        status from, to;
        if (status_parse(r.status, &from) != 0)
            from = STATUS_NEW;
        status_parse(j->status, &to);
        if (!status_transition_allowed(from, to))
            return error_set(err, ERR_CONFLICT, "status", "a request cannot go from %s to %s",
                             status_code(from), status_code(to));
        if (add_event(s, j, r.id, now, "status", 1, r.status, j->status, j->note, err) != 0)
            return -1;
        r.status = j->status;
        r.closed_at = status_is_closed(to) ? now : 0;
        if (j->note)
            r.status_notes = j->note;
        changed = 1;
    } else if (j->note) {
        if (add_event(s, j, r.id, now, "note", 1, NULL, NULL, j->note, err) != 0)
            return -1;
        r.status_notes = j->note;
        changed = 1;
    }
    if (j->assignee) {
        const char *to = *j->assignee ? j->assignee : NULL;
        if (!(to == NULL && r.assignee == NULL) &&
            !(to && r.assignee && strcmp(to, r.assignee) == 0)) {
            if (add_event(s, j, r.id, now, "assign", 0, NULL, NULL, to ? to : "", err) != 0)
                return -1;
            r.assignee = to;
            changed = 1;
        }
    }
    if (j->priority >= 0 && j->priority != r.priority) {
        if (add_event(s, j, r.id, now, "priority", 0, NULL, NULL,
                      request_priority_name(j->priority), err) != 0)
            return -1;
        r.priority = j->priority;
        changed = 1;
    }
    if (j->department_id && j->department_id != r.department_id) {
        if (add_event(s, j, r.id, now, "department", 0, NULL, NULL, j->department_code, err) != 0)
            return -1;
        r.department_id = j->department_id;
        changed = 1;
    }
    if (!changed)
        return 0;
    r.updated_at = now;
    return s->ops->requests.tx_update(s, &r, err);
}

static int change_apply(store *s, core_op *op, error *err)
{
    change_job *j = (change_job *)op;
    if (change_apply_one(s, j, err) != 0)
        return -1;
    int64_t ids[2] = {j->request_id, j->also_id};
    return audit_change_tx(s, j->tenant_id, &j->who, "change", "request", ids, j->also_id ? 2 : 1,
                           err);
}

static change_job *change_new(const cat_tenant *t, const char *reference, const core_actor *who,
                              channel ch)
{
    /* Its apply runs it alone; a batch's items are run by batch_apply and never submitted. */
    change_job *j = core_op_new(sizeof *j, change_apply);
    if (!j)
        return NULL;
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(&j->op.a, reference);
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) == 0)
        j->actor = actor_event_label(&j->who, &j->op.a);
    j->channel = channel_name(ch);
    j->priority = -1;
    if (!j->reference || !j->actor) {
        core_op_free(j);
        return NULL;
    }
    return j;
}

/* A prepared processing job for `reference` (NULL with err when refused at once). */
static change_job *process_prepare(core *c, const cat_tenant *t, const char *reference,
                                   const request_processing *p, const core_actor *who, error *err)
{
    const request_change *ch = &p->change;
    status st;
    if (ch->status && status_parse(ch->status, &st) != 0) {
        error_set(err, ERR_INVALID_ARG, "status", "unknown status");
        return NULL;
    }
    if (ch->priority < -1 || ch->priority > 3) {
        error_set(err, ERR_INVALID_ARG, "priority", "unknown priority");
        return NULL;
    }
    const cat_department *dep = NULL;
    if (ch->department && !(dep = catalogue_department(t, ch->department))) {
        error_set(err, ERR_INVALID_ARG, "department", "unknown department");
        return NULL;
    }
    if (check_text(ch->note, "note", REQUEST_DESCRIPTION_MAX, 1, err) != 0 ||
        check_text(ch->assignee, "assignee", REQUEST_FIELD_MAX, 0, err) != 0 ||
        check_text(p->reply, "reply", 10000, 1, err) != 0 ||
        check_text(p->internal_note, "internal_note", 10000, 1, err) != 0)
        return NULL;
    if (p->n_note_attachments && !p->internal_note) {
        error_set(err, ERR_MISSING_ARG, "internal_note", "files go with an internal note");
        return NULL;
    }
    change_job *j = change_new(t, reference, who, ch->ch);
    if (!j) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    j->also_id = ch->audit_also_id;
    if (p->n_note_attachments) {
        j->attachments = arena_alloc(&j->op.a, sizeof *j->attachments * p->n_note_attachments);
        if (!j->attachments) {
            core_op_free(j);
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < p->n_note_attachments; i++)
            copy_attachment(&j->op.a, &j->attachments[i], &p->note_attachments[i]);
        j->n_attachments = p->n_note_attachments;
    }
    j->kind = CHANGE_FIELDS;
    j->status = ch->status ? status_code(st) : NULL;
    j->note = dup_opt(&j->op.a, ch->note);
    j->assignee = ch->assignee ? arena_strdup(&j->op.a, ch->assignee) : NULL;
    j->priority = ch->priority;
    j->department_id = dep ? dep->rec.id : 0;
    j->department_code = dep ? arena_strdup(&j->op.a, dep->rec.code) : NULL;
    j->reply = dup_opt(&j->op.a, p->reply);
    j->internal_note = dup_opt(&j->op.a, p->internal_note);
    j->reply_url = dup_opt(&j->op.a, p->reply_url);
    if ((ch->assignee && !j->assignee) || (dep && !j->department_code)) {
        core_op_free(j);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (j->reply) {
        /* The procedure's name for the e-mail, copied: the job may outlive the snapshot. */
        arena a;
        arena_init(&a, 0);
        store_request r;
        int found = 0;
        if (c->store->ops->requests.get(c->store, t->rec.id, reference, &a, &r, &found, err) == 0 &&
            found) {
            const cat_procedure *proc = catalogue_procedure_by_id(t, r.procedure_id);
            j->procedure_name = proc ? arena_strdup(&j->op.a, proc->rec.name) : NULL;
        }
        arena_free(&a);
    }
    return j;
}

int request_process(core *c, const cat_tenant *t, const char *reference,
                    const request_processing *p, core_done_fn cb, void *ctx, error *err)
{
    change_job *j = process_prepare(c, t, reference, p, p->change.who, err);
    if (!j)
        return -1;
    return core_op_submit(c, j, cb, ctx, err);
}

/* ---- several requests in one job ---- */

typedef struct batch_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    int64_t tenant_id;
    core_actor who; /* the batch's actor, for its one audit entry */
    store_agent who_agent;
    change_job **items;
    size_t n;
    int64_t *ids; /* the ids changed, n_done of them */
    size_t n_done;
    size_t *n_done_out;
    int64_t *ids_out;
} batch_job;

/* Frees what the batch holds outside its arena: its items and its ids. */
static void batch_release(batch_job *b)
{
    for (size_t i = 0; i < b->n; i++)
        core_op_free(b->items[i]);
    free(b->items);
    free(b->ids);
    b->items = NULL;
    b->ids = NULL;
    b->n = 0;
}

static void batch_free(batch_job *b)
{
    batch_release(b);
    core_op_free(b);
}

/* Each item in a savepoint nested in the job's own (SQLite nests savepoints of the same
 * name: ROLLBACK TO and RELEASE act on the innermost), so a refused item is undone alone. */
static int batch_apply(store *s, core_op *op, error *err)
{
    batch_job *b = (batch_job *)op;
    b->n_done = 0;
    for (size_t i = 0; i < b->n; i++) {
        error ierr;
        error_clear(&ierr);
        if (s->ops->tx.savepoint(s, err) != 0)
            return -1;
        if (change_apply_one(s, b->items[i], &ierr) == 0 && s->ops->tx.release(s, &ierr) == 0) {
            b->ids[b->n_done++] = b->items[i]->request_id;
            continue;
        }
        s->ops->tx.rollback_to(s);
        log_info("batch: request %s refused: %s", b->items[i]->reference, ierr.detail);
    }
    if (!b->n_done)
        return 0;
    return audit_change_tx(s, b->tenant_id, &b->who, "change", "request", b->ids, b->n_done, err);
}

/* Copies the outcome out and frees the items (core_op_free then frees the batch). */
static void batch_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    batch_job *b = (batch_job *)op;
    if (*rc == 0) {
        if (b->n_done_out)
            *b->n_done_out = b->n_done;
        if (b->ids_out)
            memcpy(b->ids_out, b->ids, b->n_done * sizeof *b->ids);
    }
    batch_release(b);
}

int request_process_many(core *c, const cat_tenant *t, const core_actor *who,
                         const request_batch_item *items, size_t n, size_t *n_done,
                         int64_t *done_ids, core_done_fn cb, void *ctx, error *err)
{
    if (n_done)
        *n_done = 0;
    batch_job *b = core_op_new(sizeof *b, batch_apply);
    if (!b)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    b->op.finish = batch_finish;
    b->tenant_id = t->rec.id;
    b->items = calloc(n ? n : 1, sizeof *b->items);
    b->ids = calloc(n ? n : 1, sizeof *b->ids);
    if (!b->items || !b->ids ||
        actor_copy(&b->op.a, who, &actor_system, &b->who, &b->who_agent) != 0) {
        batch_free(b);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        error ierr;
        error_clear(&ierr);
        change_job *j = process_prepare(c, t, items[i].reference, &items[i].p, who, &ierr);
        if (!j) {
            /* Refused at once (a bad value): skipped like one refused in the job. */
            if (ierr.code == ERR_INTERNAL) {
                *err = ierr;
                batch_free(b);
                return -1;
            }
            log_info("batch: request %s refused: %s", items[i].reference, ierr.detail);
            continue;
        }
        b->items[b->n++] = j;
    }
    b->n_done_out = n_done;
    b->ids_out = done_ids;
    return core_op_submit(c, b, cb, ctx, err);
}

int request_update(core *c, const cat_tenant *t, const char *reference, const request_change *ch,
                   core_done_fn cb, void *ctx, error *err)
{
    request_processing p = {.change = *ch};
    return request_process(c, t, reference, &p, cb, ctx, err);
}

int request_add_note(core *c, const cat_tenant *t, const char *reference, const char *body,
                     int is_public, const core_actor *who, channel ch, core_done_fn cb, void *ctx,
                     error *err)
{
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "body", "the note is empty");
    if (check_text(body, "body", 10000, 1, err) != 0)
        return -1;
    change_job *j = change_new(t, reference, who, ch);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_NOTE;
    j->body = arena_strdup(&j->op.a, body);
    j->is_public = is_public ? 1 : 0;
    if (!j->body) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* ---- the citizen's side ---- */

int request_event_by_citizen(const store_event *e)
{
    return e->actor && strncmp(e->actor, "citizen", 7) == 0 &&
           (e->actor[7] == '\0' || e->actor[7] == ':');
}

int request_owned_by(const store_request *r, const store_account *acc)
{
    if (r->citizen_id != 0 && r->citizen_id == acc->id)
        return 1;
    return acc->email_verified_at != 0 && acc->email && r->email &&
           strcasecmp(acc->email, r->email) == 0;
}

void request_filter_owned_by(store_request_filter *f, const store_account *acc)
{
    f->citizen_id = acc->id;
    /* Requests filed by e-mail or at the counter carry the address, not the account: only a
     * verified address proves they are this citizen's. */
    f->citizen_email = acc->email_verified_at ? acc->email : NULL;
}

int request_token_matches(core *c, const store_request *r, const char *token)
{
    if (!r || !r->token_hash || !token || !*token || strlen(token) > 128)
        return 0;
    char hash[65];
    core_hash_secret(c, token, hash);
    return strlen(r->token_hash) == 64 && sodium_memcmp(hash, r->token_hash, 64) == 0;
}

/* The citizen acting on their request: who, or an anonymous citizen when NULL; NULL for any
 * other kind of actor (the caller refuses). */
static const core_actor *citizen_of(const core_actor *who)
{
    if (!who)
        return &actor_citizen;
    return who->kind == ACTOR_CITIZEN ? who : NULL;
}

int request_citizen_message(core *c, const cat_tenant *t, const char *reference,
                            const core_actor *who, const char *body, store_attachment *attachments,
                            size_t n, channel ch, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's message");
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "message", "the message is empty");
    if (check_text(body, "message", 10000, 1, err) != 0)
        return -1;
    if (n > ATTACHMENT_MAX_FILES)
        return error_set(err, ERR_INVALID_ARG, "files", "at most %d files", ATTACHMENT_MAX_FILES);
    change_job *j = change_new(t, reference, citizen_of(who), ch);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_MESSAGE;
    j->body = arena_strdup(&j->op.a, body);
    if (n) {
        j->attachments = arena_alloc(&j->op.a, sizeof *j->attachments * n);
        if (!j->attachments) {
            core_op_free(j);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            copy_attachment(&j->op.a, &j->attachments[i], &attachments[i]);
        j->n_attachments = n;
    }
    if (!j->body) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int request_rate(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                 int rating, const char *comment, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's rating");
    if (rating < 1 || rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating from 1 to 5");
    if (check_text(comment, "comment", 2000, 1, err) != 0)
        return -1;
    change_job *j = change_new(t, reference, citizen_of(who), CHANNEL_WEB);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_RATE;
    j->rating = rating;
    j->body = dup_opt(&j->op.a, comment);
    return core_op_submit(c, j, cb, ctx, err);
}

int request_reopen(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                   const char *body, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's reopening");
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "message", "say in a few words what is still wrong");
    if (check_text(body, "message", 10000, 1, err) != 0)
        return -1;
    change_job *j = change_new(t, reference, citizen_of(who), CHANNEL_WEB);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->kind = CHANGE_REOPEN;
    j->body = arena_strdup(&j->op.a, body);
    if (!j->body) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* A «moi aussi» write. It owns copies of the reference and the keys: in the callback form
 * the caller's strings may be gone before the writer runs it. */
typedef struct support_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    int64_t tenant_id;
    const char *reference;
    const char *keys[REQUEST_SUPPORT_MAX_KEYS];
    size_t n_keys;
    int added;
    int *added_out; /* the caller's, filled before cb */
} support_job;

static int support_apply(store *s, core_op *op, error *err)
{
    support_job *sa = (support_job *)op;
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0, rc = -1;
    if (s->ops->requests.tx_get(s, sa->tenant_id, sa->reference, &a, &r, &found, err) != 0)
        goto cleanup;
    if (!found || !r.is_public) {
        error_set(err, ERR_NOT_FOUND, "reference", "no such public request");
        goto cleanup;
    }
    rc = s->ops->requests.tx_support(s, sa->tenant_id, r.id, sa->keys, sa->n_keys, time_now(),
                                    &sa->added, err);
cleanup:
    arena_free(&a);
    return rc;
}

static void support_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    support_job *j = (support_job *)op;
    if (*rc == 0 && j->added_out)
        *j->added_out = j->added;
}

int request_support(core *c, const cat_tenant *t, const char *reference, const char *const *keys,
                    size_t n_keys, int *added, core_done_fn cb, void *ctx, error *err)
{
    if (!keys || n_keys == 0 || n_keys > REQUEST_SUPPORT_MAX_KEYS)
        return error_set(err, ERR_INVALID_ARG, "supporter", "no supporter key");
    for (size_t i = 0; i < n_keys; i++)
        if (!keys[i] || !*keys[i] || strlen(keys[i]) > 128)
            return error_set(err, ERR_INVALID_ARG, "supporter", "no supporter key");
    support_job *j = core_op_new(sizeof *j, support_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = support_finish;
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(&j->op.a, reference);
    int ok = j->reference != NULL;
    for (size_t i = 0; ok && i < n_keys; i++)
        ok = (j->keys[i] = arena_strdup(&j->op.a, keys[i])) != NULL;
    if (!ok) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    j->n_keys = n_keys;
    j->added_out = added;
    return core_op_submit(c, j, cb, ctx, err);
}

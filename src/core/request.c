/*
 * request — creation and reads of requests, the checks every request operation shares, and
 * the names of channels and priorities. Changes are in request_change.c, the citizen's own
 * operations in request_citizen.c (request_internal.h is what the three share). Validation
 * happens on the caller's thread; the write itself is a job for the store's group-commit
 * writer, whose callback reports the durable outcome.
 */
#include "core/request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/agent_notices.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/courrier.h"
#include "core/document.h"
#include "core/due_warning.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request_internal.h"
#include "core/routing.h"
#include "core/webhook.h"
#include "core/short_code.h"
#include "core/sla.h"
#include "core/workflow.h"
#include "core/workflow_timeout.h"
#include "util/phone.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/workdays.h"

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

int64_t request_due_at(const cat_tenant *t, const cat_procedure *p, int64_t filed)
{
    if (!p || p->rec.delay_days <= 0)
        return 0;
    return workdays_due_at(filed, t ? t->rec.timezone : NULL, p->rec.delay_days,
                           p->rec.delay_working ? WORKDAYS_WORKING : WORKDAYS_CALENDAR,
                           sla_holidays(t));
}

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
int request_check_text(const char *value, const char *arg, size_t max, int multi_line, error *err)
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
    if (in->department_id && !catalogue_department_by_id(in->tenant, in->department_id))
        return error_set(err, ERR_INVALID_ARG, "department", "unknown department");
    if (in->ch < 0 || in->ch >= CHANNEL_COUNT)
        return error_set(err, ERR_INVALID_ARG, "channel", "unknown channel");
    size_t dmax = in->description_max ? in->description_max : REQUEST_DESCRIPTION_MAX;
    if (request_check_text(in->description, "description", dmax, 1, err) != 0 ||
        request_check_text(in->mail_history, "description", REQUEST_DESCRIPTION_MAX, 1, err) != 0 ||
        request_check_text(in->sms_unplaced, "description", dmax, 1, err) != 0 ||
        (in->mail_cites && !request_reference_ok(in->mail_cites) &&
         error_set(err, ERR_INVALID_ARG, "reference", "not a reference") != 0))
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
        if (request_check_text(fields[i].value, fields[i].arg, REQUEST_FIELD_MAX, 0, err) != 0)
            return -1;
    if (check_email(in->email, err) != 0 || check_url(in->media_url, "media_url", err) != 0)
        return -1;
    char e164[PHONE_E164_MAX];
    if (in->phone && *in->phone && phone_normalise(in->phone, e164, err) != 0)
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
    if (in->initial_status && !workflow_status(in->procedure->workflow, in->initial_status))
        return error_set(err, ERR_INVALID_ARG, "status", "unknown status");
    return 0;
}

/* ---- creation ---- */

typedef struct create_job {
    core_op op; /* first: the write job; op.a holds copies of every input string */
    core *core;
    store_request rec;
    store_event event;
    store_event routed; /* kind NULL: none (the department was chosen, or is the procedure's) */
    store_event mail[3]; /* the e-mail and SMS entrances' internal events; kind NULL: none */
    core_actor who; /* copied: strings in the arena */
    store_agent who_agent;
    int64_t api_key_id;
    const char *idempotency_key;
    store_attachment *attachments; /* copies, in the job's arena */
    size_t n_attachments;
    const char *ack_base_url; /* set: queue the acknowledgement e-mail */
    const char *procedure_name;
    const char *service_notice;
    const char *timezone;
    int notices_immediate; /* the collectivité's agents wanting new-request notices at once */
    int64_t id;            /* set by create_apply */
    const char *reference; /* set by create_apply, in op.a */
    request_created *out;
    status_env env; /* for the actions of the initial status */
    /* From the catalogue, so that the job reads neither: the collectivité's days of warning
     * before a due date, and the subscriptions request.created goes to (copies, no secret). */
    int due_warning_days;
    store_webhook *webhooks;
    size_t n_webhooks;
    const char *procedure_code;
    int64_t post_letter_id;
} create_job;

const char *request_dup_opt(arena *a, const char *s)
{
    return (s && *s) ? arena_strdup(a, s) : NULL;
}

/* A prepared attachment whose strings the job owns. */
void request_copy_attachment(arena *a, store_attachment *dst, const store_attachment *src)
{
    *dst = *src;
    dst->filename = request_dup_opt(a, src->filename);
    dst->content_type = request_dup_opt(a, src->content_type);
    dst->storage_name = request_dup_opt(a, src->storage_name);
    dst->thumb_name = request_dup_opt(a, src->thumb_name);
    dst->moderation = request_dup_opt(a, src->moderation);
}

/* The acknowledgement e-mail, queued in the request's own transaction: it leaves once the
 * request is on disk, and never for a request that was not written. */
static int queue_ack(store *s, create_job *j, int64_t id, const char *reference, error *err)
{
    char due[TIME_RFC3339_LEN] = "";
    if (j->rec.due_at)
        time_format_rfc3339(j->rec.due_at, j->timezone, due);
    const core_links *l = core_links_get(j->core); /* the portal's tracking page */
    char code[SHORT_CODE_DISPLAY_SIZE];
    short_code_format(j->out->short_code, code);
    const char *lookup = request_lookup_url(j->core, &j->op.a, j->ack_base_url);
    json_t *params = lookup ? json_pack("{s:s, s:s, s:s++++, s:s?, s:s, s:s, s:s}", "reference",
                                        reference, "procedure", j->procedure_name, "tracking_url",
                                        j->ack_base_url, l->tracking ? l->tracking : "", reference,
                                        l->tracking_token ? l->tracking_token : "", j->out->token,
                                        "service_notice", j->service_notice, "due_date",
                                        due[0] ? due : "", "short_code", code, "lookup_url", lookup)
                            : NULL;
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the acknowledgement");
    /* The acknowledgement goes by SMS to whom chose SMS, by e-mail to anyone else who gave
     * an address (news or not: it holds their tracking link). */
    const char *to = NULL;
    const char *via = outbox_citizen_channel(strcmp(j->rec.notify, "sms") == 0 ? "sms" : "email",
                                             j->rec.email, j->rec.phone, &to);
    /* By e-mail it waits a little for the receipt, which it then carries (core/document.h). */
    outbox_document_ref wait = {.hold_until = document_receipt_hold(j->core, j->rec.created_at)};
    int rc = via ? outbox_add_document_tx(s, j->rec.tenant_id, via, to, "request_ack", params,
                                          j->rec.lang, id, wait.hold_until ? &wait : NULL, err)
                 : 0;
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
    /* The short code's hash names the request's id, known only now. */
    char code_hash[65];
    short_code_hash(j->core, j->rec.tenant_id, id, j->out->short_code, code_hash);
    if (s->ops->requests.tx_set_short_code(s, j->rec.tenant_id, id, code_hash, err) != 0)
        return -1;
    j->event.request_id = id;
    if (s->ops->events.tx_insert(s, &j->event, NULL, err) != 0)
        return -1;
    j->routed.request_id = id;
    if (j->routed.kind && s->ops->events.tx_insert(s, &j->routed, NULL, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof j->mail / sizeof j->mail[0]; i++) {
        j->mail[i].request_id = id;
        if (j->mail[i].kind && s->ops->events.tx_insert(s, &j->mail[i], NULL, err) != 0)
            return -1;
    }
    if (j->idempotency_key &&
        s->ops->idempotency.tx_insert(s, j->rec.tenant_id, j->api_key_id, j->idempotency_key, id,
                                      j->rec.created_at, err) != 0)
        return -1;
    if (j->n_attachments &&
        attachment_save_tx(s, j->rec.tenant_id, id, 0, j->attachments, j->n_attachments, err) != 0)
        return -1;
    if (j->ack_base_url && queue_ack(s, j, id, reference, err) != 0)
        return -1;
    if (j->post_letter_id &&
        courrier_filed_tx(s, j->rec.tenant_id, j->post_letter_id, id,
                          actor_audit_label(&j->who, &op->a), j->rec.created_at, err) != 0)
        return -1;
    store_request created = j->rec;
    created.id = id;
    created.reference = reference;
    /* The initial status's actions, as any status entered; the acknowledgement is the
     * citizen's news of it. What they change of the row is written again. */
    status_entry entry = {
        .actor = j->event.actor, .channel = j->event.channel, .now = j->rec.created_at};
    if (status_actions_run_tx(s, &j->env, &created, &entry, NULL, err) != 0)
        return -1;
    if ((created.due_at != j->rec.due_at || created.department_id != j->rec.department_id) &&
        s->ops->requests.tx_update(s, &created, err) != 0)
        return -1;
    /* request_followups_tx's work for a request that has no job yet: nothing to cancel, and
     * what it would read is in the job (the catalogue's). */
    if (due_warning_schedule_tx(s, &created, j->due_warning_days, err) != 0 ||
        workflow_timeouts_sync_tx(s, &created, NULL, j->rec.created_at, err) != 0 ||
        webhook_emit_targets_tx(s, &created, j->procedure_code, j->webhooks, j->n_webhooks,
                                "request.created", j->rec.created_at, err) != 0 ||
        agent_notices_on_create_tx(s, j->rec.tenant_id, j->notices_immediate, j->rec.created_at,
                                   err) != 0 ||
        document_receipt_schedule_tx(j->core, s, &created, err) != 0)
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
    if (*rc != 0) {
        memset(j->out->token, 0, sizeof j->out->token);
        memset(j->out->short_code, 0, sizeof j->out->short_code);
    }
}

/* The department of a request filed without one chosen: the routing rules' (or the
 * procedure's, or the collectivité's default), with the internal event naming the rule or the
 * default when one of those decided. */
static int route(core *c, const request_input *in, const char *attrs_json, create_job *j,
                 error *err)
{
    routing_facts facts = {.procedure = in->procedure,
                           .attributes = attrs_json,
                           .has_location = in->has_location,
                           .lat = in->lat,
                           .lon = in->lon};
    routing_result res;
    if (routing_evaluate(c, in->tenant, &facts, &res, err) != 0)
        return -1;
    j->rec.department_id = res.department_id;
    if (res.source == ROUTING_RULE || res.source == ROUTING_DEFAULT) {
        j->routed.kind = routing_event_kind(res.source);
        j->routed.is_public = 0;
        j->routed.body = res.rule ? arena_strdup(&j->op.a, res.rule->name) : NULL;
        if (res.rule && !j->routed.body)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
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

    /* Attribute values are validated into their stored JSON form; a time without offset is
     * the collectivité's. */
    const char *attrs_json = "{}";
    attrs_policy policy = {.tz = in->tenant->rec.timezone,
                           .ignore_unknown = in->ignore_unknown_attrs,
                           .files = in->attr_files,
                           .locations = in->attr_locations};
    if (attrs_validate(a, p->attrs, p->n_attrs, in->attrs, in->n_attrs, &policy, &attrs_json,
                       err) != 0)
        goto fail;

    core_new_secret("", out->token, sizeof out->token);
    short_code_new(out->short_code);
    char token_hash[65];
    core_hash_secret(c, out->token, token_hash);

    store_request *r = &j->rec;
    r->tenant_id = in->tenant->rec.id;
    r->token_hash = arena_strdup(a, token_hash);
    r->procedure_id = p->rec.id;
    r->procedure_version = p->rec.form_version; /* the one its values were checked against */
    r->status =
        arena_strdup(a, in->initial_status ? in->initial_status : p->workflow->initial->code);
    r->channel = channel_name(in->ch);
    r->description = request_dup_opt(a, in->description);
    r->has_location = in->has_location;
    r->lat = in->lat;
    r->lon = in->lon;
    r->address = request_dup_opt(a, in->address);
    r->address_id = request_dup_opt(a, in->address_id);
    r->zipcode = request_dup_opt(a, in->zipcode);
    r->attributes = attrs_json;
    r->first_name = request_dup_opt(a, in->first_name);
    r->last_name = request_dup_opt(a, in->last_name);
    r->email = request_dup_opt(a, in->email);
    if (in->phone && *in->phone) {
        /* Stored in E.164, as SMS are sent and numbers matched (validate_input checked it). */
        char e164[PHONE_E164_MAX];
        if (phone_normalise(in->phone, e164, err) != 0)
            goto fail;
        r->phone = arena_strdup(a, e164);
    }
    r->device_id = request_dup_opt(a, in->device_id);
    r->account_id = request_dup_opt(a, in->account_id);
    r->media_url = request_dup_opt(a, in->media_url);
    if (in->department_id) {
        r->department_id = in->department_id;
    } else if (route(c, in, attrs_json, j, err) != 0) {
        goto fail;
    }
    r->priority = 1;
    r->created_at = r->updated_at = now;
    r->due_at = request_due_at(in->tenant, p, now);
    if (workflow_is_closed(p->workflow, r->status))
        r->closed_at = now;
    r->api_key_id = in->api_key_id;
    r->citizen_id = in->citizen_id;
    r->notify = in->notify ? arena_strdup(a, in->notify) : (r->email ? "email" : "none");
    r->is_public = p->rec.is_public && p->rec.auto_public;
    r->lang = in->lang_code && strcmp(in->lang_code, "en") == 0 ? "en" : "fr";

    if (in->n_attachments) {
        j->attachments = arena_alloc(a, sizeof *j->attachments * in->n_attachments);
        if (!j->attachments) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < in->n_attachments; i++)
            request_copy_attachment(a, &j->attachments[i], &in->attachments[i]);
        j->n_attachments = in->n_attachments;
    }
    j->notices_immediate = in->tenant->notices_immediate;
    if (in->ack_base_url && ((r->email && *r->email) || (r->phone && *r->phone))) {
        j->ack_base_url = arena_strdup(a, in->ack_base_url);
        j->procedure_name = arena_strdup(a, p->rec.name);
        j->service_notice = request_dup_opt(a, p->rec.service_notice);
        j->timezone = request_dup_opt(a, in->tenant->rec.timezone);
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
    if (j->routed.kind) {
        /* An internal event beside the public "created": a rule's name is the services'
         * business, not something the citizen or Open311 clients read. */
        j->routed.tenant_id = r->tenant_id;
        j->routed.created_at = now;
        j->routed.actor = e->actor;
        j->routed.channel = r->channel;
    }
    const char *mail_kinds[3] = {"mail_history", "mail_cites", "sms_unplaced"};
    const char *mail_bodies[3] = {in->mail_history, in->mail_cites, in->sms_unplaced};
    for (size_t i = 0; i < 3; i++) {
        if (!mail_bodies[i] || !*mail_bodies[i])
            continue;
        j->mail[i] = (store_event){.tenant_id = r->tenant_id,
                                   .created_at = now,
                                   .kind = mail_kinds[i],
                                   .actor = e->actor,
                                   .channel = r->channel,
                                   .body = arena_strdup(a, mail_bodies[i])};
        if (!j->mail[i].body) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
    }

    /* Most initial statuses have no action: no copy of the workflow for them. */
    const cat_action *first;
    if (workflow_actions_on(p->workflow, r->status, &first, 1) &&
        status_env_prepare(c, in->tenant, p, NULL, NULL,
                           in->ack_base_url ? request_lookup_url(c, a, in->ack_base_url) : NULL, a,
                           &j->env, err) != 0)
        goto fail;
    j->due_warning_days = in->tenant->due_warning_days;
    if (webhook_targets(a, in->tenant, "request.created", &j->webhooks, &j->n_webhooks) != 0 ||
        (j->n_webhooks && !(j->procedure_code = arena_strdup(a, p->rec.code)))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    j->core = c;
    j->post_letter_id = in->post_letter_id;
    j->api_key_id = in->api_key_id;
    j->idempotency_key = in->api_key_id ? request_dup_opt(a, in->idempotency_key) : NULL;
    j->out = out;
    if (!r->token_hash || !r->status || !e->actor) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }

    return core_op_submit(c, j, cb, ctx, err);
fail:
    memset(out->token, 0, sizeof out->token);
    memset(out->short_code, 0, sizeof out->short_code);
    core_op_free(j);
    return -1;
}

/* ---- reads ---- */

int request_reference_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > REQUEST_REFERENCE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return 0;
    return 1;
}

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

int request_get_by_id(core *c, const cat_tenant *t, int64_t id, arena *a, store_request *out,
                      error *err)
{
    int found = 0;
    if (c->store->ops->requests.get_by_id(c->store, t->rec.id, id, a, out, &found, err) != 0)
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

int request_procedure_counts(core *c, const cat_tenant *t, int days, arena *a,
                             store_procedure_count **out, size_t *n, error *err)
{
    int64_t today = time_now() / 86400;
    return c->store->ops->requests.procedure_counts(c->store, t->rec.id, today - (days - 1), a, out,
                                                    n, err);
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

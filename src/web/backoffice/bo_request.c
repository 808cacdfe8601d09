/*
 * bo_request — one request in the back office: everything the citizen gave (description,
 * location with links to the phone's maps, attributes, contact, attachments with thumbnails),
 * the timeline with public and internal events told apart in words, the citizen's other
 * requests (360°) and the actions. The main form «Traiter» does in one submission what an
 * agent does most: reply (typed or from a template), internal note, status, priority,
 * assignment, so that «reply and close» is one page load. Every view and every change is
 * audited by ids; a request outside the agent's scope is the same 404 as an unknown one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/agent.h"
#include "core/attachment.h"
#include "core/document.h"
#include "core/forms.h"
#include "core/mail_fallback.h"
#include "util/form.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/short_code.h"
#include "core/status_actions.h"
#include "core/workflow.h"
#include "core/workflow_timeout.h"
#include "core/work.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define OTHERS_MAX 20

/* ---- the request page ---- */

/* A new group of answers under section d (NULL: the answers before any section), appended
 * to groups: {heading, hint, items: []}. Returns its items. */
static json_t *answer_group(http_req *rq, json_t *groups, const attr_def *d)
{
    json_t *g = json_object();
    json_t *items = json_array();
    /* Set even when absent: the template would find the page's own otherwise. */
    const char *hint = d ? attr_hint(d, rq->lang) : NULL;
    json_object_set_new(g, "heading", d ? json_string(attr_label(d, rq->lang)) : json_false());
    json_object_set_new(g, "hint", hint && *hint ? json_string(hint) : json_false());
    json_object_set_new(g, "items", items);
    json_array_append_new(groups, g);
    return items;
}

/* The OpenStreetMap page centred on a position, its marker there. In rq's arena. */
static const char *osm_url(http_req *rq, double lat, double lon)
{
    return arena_printf(rq->arena,
                        "https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=18/%.6f/%.6f", lat,
                        lon, lat, lon);
}

/* A location question's answer {label, value, map_url}: its address, and the map at its
 * position when it has one. NULL when v is no location (a definition changed since). */
static json_t *location_item(http_req *rq, const attr_def *d, const json_t *v)
{
    int has_pos;
    double lat, lon;
    const char *address = attr_location_of(v, &has_pos, &lat, &lon);
    if (!address)
        return NULL;
    json_t *o = json_object();
    present_set_str_opt(o, "label", attr_label(d, rq->lang));
    present_set_str_opt(o, "value", address);
    if (has_pos)
        present_set_str_opt(o, "map_url", osm_url(rq, lat, lon));
    return o;
}

/* Attribute values with their labels, by section, as the form's version the request was
 * filed under names them: [{heading, hint, items: [{label, value}]}], sections with no
 * answer left out; list keys by their names, dates written out in the collectivité's
 * zone. */
static json_t *attributes_json(http_req *rq, const cat_tenant *t, const cat_procedure *p,
                               const store_request *r)
{
    json_t *out = json_array();
    json_t *vals = r->attributes ? json_loads(r->attributes, 0, NULL) : NULL;
    if (!p || !json_is_object(vals)) {
        json_decref(vals);
        return out;
    }
    const attr_def *defs;
    size_t n_defs;
    forms_at(rq->core, p, r->procedure_version, rq->arena, &defs, &n_defs);
    json_t *items = NULL;
    const attr_def *section = NULL;
    for (size_t i = 0; i < n_defs; i++) {
        const attr_def *d = &defs[i];
        if (d->type == ATTR_SECTION) {
            section = d;
            items = NULL;
            continue;
        }
        json_t *v = json_object_get(vals, d->code);
        if (!v)
            continue;
        if (d->type == ATTR_LOCATION) {
            json_t *o = location_item(rq, d, v);
            if (o && !items)
                items = answer_group(rq, out, section);
            if (o)
                json_array_append_new(items, o);
            continue;
        }
        buf text;
        buf_init(&text, 16 * 1024);
        size_t k;
        json_t *e;
        json_t *list = json_is_array(v) ? v : NULL;
        for (k = 0; k < (list ? json_array_size(list) : 1); k++) {
            e = list ? json_array_get(list, k) : v;
            const char *sv = json_string_value(e);
            if (!sv)
                continue;
            int64_t when;
            const char *day;
            if (d->type == ATTR_DATETIME && time_parse_rfc3339(sv, &when) == 0)
                sv = bo_date(rq, t, when, 1);
            else if (d->type == ATTR_DATE && (day = present_day(rq->arena, rq->lang, sv)) != NULL)
                sv = day;
            else
                sv = attr_value_name(d, sv, rq->lang);
            if (text.len)
                buf_puts(&text, ", ");
            buf_puts(&text, sv);
        }
        if (text.len) {
            if (!items)
                items = answer_group(rq, out, section);
            json_t *o = json_object();
            present_set_str_opt(o, "label", attr_label(d, rq->lang));
            present_set_str_opt(o, "value", buf_cstr(&text));
            json_array_append_new(items, o);
        }
        buf_free(&text);
    }
    json_decref(vals);
    return out;
}

/* The agent's name for an actor "agent:<id>", from the tenant's agents. */
static const char *actor_name(http_req *rq, const char *actor, const store_agent *agents, size_t n)
{
    if (!actor)
        return "";
    int64_t id = actor_label_agent_id(actor);
    for (size_t i = 0; id && i < n; i++)
        if (agents[i].id == id)
            return agents[i].name;
    if (actor_label_is_citizen(actor))
        return present_string(rq->present, rq->lang, "request_bo.who_citizen");
    if (strcmp(actor, "system") == 0)
        return present_string(rq->present, rq->lang, "request_bo.who_system");
    return actor;
}

/* The agent whose assignee identifier is `assignee`, NULL when none. */
static const store_agent *agent_by_assignee(const store_agent *agents, size_t n,
                                            const char *assignee)
{
    if (!assignee)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&agents[i], id);
        if (strcmp(id, assignee) == 0)
            return &agents[i];
    }
    return NULL;
}

typedef struct bo_letter_state {
    store_agent agent;
} bo_letter_state;

/* A delivery event's title: its channel and state in words («Courriel envoyé», «Courriel
 * refusé par le serveur»…); its body is the state, then the detail (core/outbox.h). A
 * permanent SMTP refusal ("smtp 5xx") is told apart from giving up after retries. */
static const char *delivery_title(http_req *rq, const store_event *e)
{
    const char *body = e->body ? e->body : "";
    size_t n = strcspn(body, " ");
    int refused =
        strncmp(body, OUTBOX_STATE_FAILED " smtp 5", strlen(OUTBOX_STATE_FAILED) + 7) == 0;
    const char *ch = e->channel && strcmp(e->channel, "sms") == 0 ? "sms" : "email";
    const char *key = arena_printf(rq->arena, "request_bo.event_delivery_%s_%.*s%s", ch,
                                   (int)(n < 16 ? n : 16), body, refused ? "_refused" : "");
    return present_string(rq->present, rq->lang, key);
}

static json_t *event_json(http_req *rq, const cat_tenant *t, const cat_procedure *p,
                          const store_event *e, const store_agent *agents, size_t n_agents)
{
    json_t *o = json_object();
    const char *kind = e->kind ? e->kind : "";
    present_set_str_opt(o, "date", bo_date(rq, t, e->created_at, 1));
    const char *who = actor_name(rq, e->actor, agents, n_agents);
    /* An Open311 client's comment: the author it named, then the client. */
    if (e->author)
        who = arena_printf(rq->arena, "%s (%s)", e->author, who);
    present_set_str_opt(o, "who", who);
    present_set_str_opt(o, "media_url", e->media_url);
    json_object_set_new(o, "is_public", json_boolean(e->is_public));
    present_set_str_opt(o, "visibility",
                        present_string(rq->present, rq->lang,
                                       e->is_public ? "request_bo.public" : "request_bo.internal"));
    const char *title;
    /* Publication and moderation say what was decided in their title: their body is a code
     * ("1"/"0", "approved"/"rejected"), not words to show. */
    int coded = strcmp(kind, "publication") == 0 || strcmp(kind, "moderation") == 0 ||
                strcmp(kind, "job") == 0 || /* a scheduled job's run: its kind (core/jobs.h) */
                strcmp(kind, STATUS_ACTION_EVENT) == 0 || /* a workflow action run, by kind */
                strcmp(kind, "timeout") == 0 || /* what a workflow timeout's silence meant */
                strcmp(kind, "news") == 0;      /* the channel the citizen chose for news */
    if (coded)
        title = present_string(
            rq->present, rq->lang,
            arena_printf(rq->arena, "request_bo.event_%s_%s", kind, e->body ? e->body : ""));
    else if (strcmp(kind, OUTBOX_DELIVERY_EVENT) == 0)
        title = delivery_title(rq, e);
    else if (strcmp(kind, "public_text") == 0)
        /* Its body is the text approved; none: the text was withdrawn. */
        title = present_string(rq->present, rq->lang,
                               e->body && *e->body ? "request_bo.event_public_text"
                                                   : "request_bo.event_public_text_withdrawn");
    else if (strcmp(kind, ROUTING_EVENT_RULE) == 0 && e->body) {
        /* Its body is the rule's name, at the time it routed the request. */
        char named[600];
        present_fill(named, sizeof named,
                     present_string(rq->present, rq->lang, "request_bo.event_routed_rule"), "rule",
                     e->body);
        title = arena_strdup(rq->arena, named);
    } else if (strcmp(kind, "status") == 0 && e->status_to)
        title = arena_printf(rq->arena, "%s %s",
                             present_string(rq->present, rq->lang, "request_bo.event_status"),
                             bo_status_label(rq, p, e->status_to));
    else
        title =
            present_string(rq->present, rq->lang,
                           arena_printf(rq->arena, "request_bo.event_%s", *kind ? kind : "other"));
    if (strncmp(title, "request_bo.", 11) == 0)
        title = kind;
    present_set_str_opt(o, "title", title);
    if (strcmp(kind, "assign") == 0 && e->body) {
        const store_agent *ag = agent_by_assignee(agents, n_agents, e->body);
        json_object_set_new(o, "paragraphs", present_paragraphs(ag ? ag->name : e->body));
    } else if (strcmp(kind, OUTBOX_DELIVERY_EVENT) == 0) {
        /* The state is in the title; the relay's or the report's detail, if any, below. */
        const char *sp = e->body ? strchr(e->body, ' ') : NULL;
        if (sp && sp[1])
            json_object_set_new(o, "paragraphs", present_paragraphs(sp + 1));
    } else if (strcmp(kind, "created") != 0 && strcmp(kind, ROUTING_EVENT_RULE) != 0 && !coded) {
        json_object_set_new(o, "paragraphs", present_paragraphs(e->body));
    }
    /* The quoted history and signature an e-mail carried: kept, folded away. */
    if (strcmp(kind, "mail_history") == 0)
        json_object_set_new(o, "folded", json_true());
    return o;
}

/* r's pending workflow jumps (core/workflow_timeout.h), each a sentence with its date:
 * «Silence vaut accord le 12 février 2027»; [] when none or unreadable (logged: the page
 * still shows). */
static json_t *timeouts_json(http_req *rq, const cat_tenant *t, const cat_procedure *p,
                             const store_request *r)
{
    json_t *out = json_array();
    workflow_pending pend[WORKFLOW_TIMEOUT_PER_STATUS_MAX];
    size_t n = 0;
    error err;
    error_clear(&err);
    if (workflow_timeout_pending(rq->core, r, rq->arena, pend, WORKFLOW_TIMEOUT_PER_STATUS_MAX, &n,
                                 &err) != 0) {
        log_error("request page: pending timeouts of %s: %s", r->reference, err.detail);
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *pattern =
            present_string(rq->present, rq->lang,
                           arena_printf(rq->arena, "request_bo.timeout_%s", pend[i].meaning));
        char with_status[300], text[400];
        present_fill(with_status, sizeof with_status, pattern, "status",
                     bo_status_label(rq, p, pend[i].to));
        present_fill(text, sizeof text, with_status, "date", bo_date(rq, t, pend[i].due_at, 0));
        json_array_append_new(out, json_string(text));
    }
    return out;
}

/* The transitions agent a may take from r's status, for the status select: [{code, label,
 * to_label, comment_required}], labelled by the transition. */
static json_t *next_statuses(http_req *rq, const store_agent *a, const cat_procedure *p,
                             const store_request *r)
{
    json_t *out = json_array();
    const cat_transition *ts[WORKFLOW_LIST_MAX];
    size_t n =
        p ? workflow_transitions_from(p->workflow, r->status, bo_role(a), ts, WORKFLOW_LIST_MAX)
          : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        present_set_str_opt(o, "code", ts[i]->rec.to_code);
        present_set_str_opt(o, "label", web_in_lang(rq, ts[i]->rec.label, ts[i]->rec.label_en));
        present_set_str_opt(o, "to_label", bo_status_label(rq, p, ts[i]->rec.to_code));
        /* A status that asks the citizen needs the words asking them. */
        json_object_set_new(o, "comment_required",
                            json_boolean(ts[i]->rec.comment_required ||
                                         workflow_ask_citizen(p->workflow, ts[i]->rec.to_code)));
        json_array_append_new(out, o);
    }
    return out;
}

/* 1 when r was closed as a duplicate: merged, or in its workflow's duplicate status. */
static int closed_as_duplicate(const cat_tenant *t, const store_request *r)
{
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    const store_workflow_status *dup = p ? workflow_duplicate_status(p->workflow) : NULL;
    return r->merged_into || (dup && strcmp(r->status, dup->code) == 0);
}

/* A phone number as one search word: the digits the index also keeps it as (without spaces,
 * dots, dashes, slashes or '+'), one rare term instead of «06», «12»… that half the numbers
 * share. */
static const char *phone_search_word(http_req *rq, const char *phone)
{
    char *w = arena_strdup(rq->arena, phone);
    if (!w)
        return phone;
    size_t k = 0;
    for (const char *p = phone; *p; p++)
        if (!strchr(" .-+/", *p))
            w[k++] = *p;
    w[k] = '\0';
    return w;
}

/* The citizen's other requests: same account, e-mail or phone, within the agent's scope. */
static json_t *others_json(http_req *rq, const store_agent *a, const cat_tenant *t,
                           const store_request *r)
{
    json_t *out = json_array();
    int64_t seen[OTHERS_MAX * 3];
    size_t n_seen = 0;
    for (int pass = 0; pass < 3; pass++) {
        store_request_filter f;
        memset(&f, 0, sizeof f);
        f.tenant_id = t->rec.id;
        f.limit = OTHERS_MAX;
        if (pass == 0 && r->citizen_id)
            f.citizen_id = r->citizen_id;
        else if (pass == 1 && r->email && *r->email)
            f.citizen_email = r->email;
        else if (pass == 2 && r->phone && *r->phone)
            f.text = phone_search_word(rq, r->phone);
        else
            continue;
        error err;
        error_clear(&err);
        store_request *rows = NULL;
        size_t n = 0;
        int64_t searched_from; /* a glance: the years the search budget covers will do */
        if (perm_scope(a, &f, &err) != 0 ||
            request_search_text(rq->core, &f, rq->arena, &rows, &n, &searched_from, &err) != 0) {
            log_warn("360 view: %s", err.detail);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            int dup = rows[i].id == r->id;
            for (size_t k = 0; k < n_seen && !dup; k++)
                dup = seen[k] == rows[i].id;
            if (dup || n_seen >= sizeof seen / sizeof seen[0])
                continue;
            /* The phone pass is a text search: keep only exact phone matches. */
            if (pass == 2 && !(rows[i].phone && strcmp(rows[i].phone, r->phone) == 0))
                continue;
            seen[n_seen++] = rows[i].id;
            const cat_procedure *p = catalogue_procedure_by_id(t, rows[i].procedure_id);
            json_t *o = json_object();
            present_set_str_opt(o, "reference", rows[i].reference);
            present_set_str_opt(
                o, "url",
                arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, rows[i].reference)));
            present_set_str_opt(o, "procedure", p ? p->rec.name : "");
            web_set_status(rq, o, p, rows[i].status, rq->lang, WEB_AGENT);
            present_set_str_opt(o, "created", bo_date(rq, t, rows[i].created_at, 0));
            json_array_append_new(out, o);
        }
    }
    return out;
}

static json_t *attachment_json(http_req *rq, const store_request *r, const store_attachment *at,
                               int can_moderate)
{
    json_t *o = json_object();
    const char *base =
        arena_printf(rq->arena, "/pieces-jointes/%s/%" PRId64, bo_url(rq, r->reference), at->id);
    present_set_str_opt(o, "url", base);
    if (at->is_photo)
        present_set_str_opt(o, "thumb_url", arena_printf(rq->arena, "%s?miniature=1", base));
    json_object_set_new(o, "id", json_integer(at->id));
    present_set_str_opt(
        o, "filename",
        at->filename && *at->filename
            ? at->filename
            : present_string(rq->present, rq->lang, "request_bo.attachment_unnamed"));
    json_object_set_new(o, "is_photo", json_boolean(at->is_photo));
    json_object_set_new(
        o, "is_pdf",
        json_boolean(at->content_type && strcmp(at->content_type, "application/pdf") == 0));
    present_set_str_opt(o, "size", web_file_size(rq, at->size));
    if (at->is_photo) {
        const char *m = at->moderation ? at->moderation : "pending";
        present_set_str_opt(o, "moderation", m);
        present_set_str_opt(o, "moderation_label",
                            present_string(rq->present, rq->lang,
                                           arena_printf(rq->arena, "request_bo.moderation_%s", m)));
        json_object_set_new(o, "can_moderate", json_boolean(can_moderate));
        present_set_str_opt(o, "action",
                            arena_printf(rq->arena, "/agent/demandes/%s/photos/%" PRId64,
                                         bo_url(rq, r->reference), at->id));
    }
    return o;
}

/* The request's documents, oldest first: what each is, its version, when and by whom it was
 * issued, whether the citizen sees it, its size, the start of its SHA-256 and its
 * verification code, each linked to its download (/documents/…, which audits the reading);
 * and the upload form's hint. -1 after answering an error. */
static int documents_context(http_req *rq, const cat_tenant *t, const store_request *r,
                             const store_agent *agents, size_t n_agents, json_t *ctx)
{
    error err;
    error_clear(&err);
    store_document *docs = NULL;
    size_t n = 0;
    if (document_list(rq->core, t->rec.id, r->id, NULL, rq->arena, &docs, &n, &err) != 0) {
        http_respond_error(rq, &err);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const store_document *d = &docs[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(d->id));
        present_set_str_opt(
            o, "url",
            arena_printf(rq->arena, "/documents/%s/%" PRId64, bo_url(rq, r->reference), d->id));
        present_set_str_opt(o, "title", web_document_label(rq, d));
        json_object_set_new(o, "version", json_integer(d->version));
        present_set_str_opt(o, "date", bo_date(rq, t, d->created_at, 1));
        const char *by = NULL;
        for (size_t k = 0; k < n_agents && d->agent_id; k++)
            if (agents[k].id == d->agent_id)
                by = agents[k].name;
        present_set_str_opt(o, "by",
                            by ? by
                               : present_string(rq->present, rq->lang,
                                                d->agent_id ? "request_bo.document_by_agent_gone"
                                                            : "request_bo.document_by_guichet"));
        present_set_str_opt(o, "visible",
                            present_string(rq->present, rq->lang,
                                           d->citizen_visible ? "request_bo.document_visible_yes"
                                                              : "request_bo.document_visible_no"));
        present_set_str_opt(o, "size", web_file_size(rq, d->size));
        present_set_str_opt(o, "sha256", d->sha256);
        present_set_str_opt(o, "sha256_short",
                            arena_printf(rq->arena, "%.12s…", d->sha256 ? d->sha256 : ""));
        char shown[SHORT_CODE_DISPLAY_SIZE] = "";
        if (d->code && strlen(d->code) == SHORT_CODE_LEN)
            short_code_format(d->code, shown);
        present_set_str_opt(o, "code", shown);
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "documents", list);
    json_object_set_new(ctx, "has_documents", json_boolean(n > 0));
    present_set_str_opt(ctx, "document_file_hint",
                        web_upload_hint(rq, present_string(rq->present, rq->lang,
                                                           "request_bo.document_file_hint")));
    return 0;
}

/* The merge's side of the page: the request r was merged into (merged_into) and the
 * requests merged into r (merged, each linked when the agent may open it). -1 after
 * answering an error. */
static int merge_context(http_req *rq, const store_agent *a, const cat_tenant *t,
                         const store_request *r, json_t *ctx)
{
    error err;
    error_clear(&err);
    store_request into, *merged = NULL;
    size_t n = 0;
    if (r->merged_into) {
        if (request_merged_into(rq->core, t, r, rq->arena, &into, &err) != 0) {
            http_respond_error(rq, &err);
            return -1;
        }
        json_t *m = json_object();
        present_set_str_opt(m, "reference", into.reference);
        if (perm_can_view(a, &into))
            present_set_str_opt(
                m, "url",
                arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, into.reference)));
        json_object_set_new(ctx, "merged_into", m);
    }
    if (request_merged(rq->core, t, r->id, rq->arena, &merged, &n, &err) != 0) {
        http_respond_error(rq, &err);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_object();
        present_set_str_opt(m, "reference", merged[i].reference);
        if (perm_can_view(a, &merged[i]))
            present_set_str_opt(
                m, "url",
                arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, merged[i].reference)));
        present_set_str_opt(m, "merged", bo_date(rq, t, merged[i].closed_at, 0));
        json_array_append_new(list, m);
    }
    json_object_set_new(ctx, "has_merged", json_boolean(n > 0));
    json_object_set_new(ctx, "merged", list);
    return 0;
}

/* The page context of request r; NULL after answering an error. */
static json_t *show_context(http_req *rq, const store_agent *a, const cat_tenant *t,
                            const store_request *r)
{
    error err;
    error_clear(&err);
    store_event *events = NULL;
    size_t n_events = 0;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (request_timeline(rq->core, t, r->id, 0, rq->arena, &events, &n_events, &err) != 0 ||
        attachment_list(rq->core, t->rec.id, r->id, rq->arena, &atts, &n_atts, &err) != 0 ||
        agent_list(rq->core, t->rec.id, rq->arena, &agents, &n_agents, &err) != 0) {
        http_respond_error(rq, &err);
        return NULL;
    }
    json_t *ctx = bo_context(rq, a);
    if (!ctx) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return NULL;
    }
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    const cat_department *d = catalogue_department_by_id(t, r->department_id);
    int can_change = perm_can_change(a, r);
    int can_assign = perm_can_assign(a, r);
    present_set_str_opt(ctx, "title",
                        arena_printf(rq->arena, "%s %s",
                                     present_string(rq->present, rq->lang, "request_bo.title"),
                                     r->reference));
    present_set_str_opt(ctx, "base",
                        arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, r->reference)));

    json_t *q = json_object();
    int closed = p && workflow_is_closed(p->workflow, r->status);
    present_set_str_opt(q, "reference", r->reference);
    present_set_str_opt(q, "procedure", p ? p->rec.name : "");
    web_set_status(rq, q, p, r->status, rq->lang, WEB_AGENT);
    json_object_set_new(q, "closed", json_boolean(closed));
    /* Retention (core/retention.h): what is left of an anonymised request, and a request
     * whose citizen deleted their account. */
    present_set_str_opt(q, "anonymised", bo_date(rq, t, r->anonymised_at, 0));
    json_object_set_new(q, "erase_requested",
                        json_boolean(r->erase_requested_at && !r->anonymised_at));
    present_set_str_opt(q, "channel", bo_channel_label(rq, r->channel));
    present_set_str_opt(q, "created", bo_date(rq, t, r->created_at, 1));
    present_set_str_opt(q, "due", bo_date(rq, t, r->due_at, 0));
    bo_sla_set(rq, q, sla_of(t, r, time_now()));
    json_t *timeouts = timeouts_json(rq, t, p, r);
    json_object_set_new(q, "has_timeouts", json_boolean(json_array_size(timeouts) > 0));
    json_object_set_new(q, "timeouts", timeouts);
    present_set_str_opt(q, "priority_label", bo_priority_label(rq, r->priority));
    present_set_str_opt(q, "department", d ? d->rec.name : NULL);
    const store_agent *assignee = agent_by_assignee(agents, n_agents, r->assignee);
    present_set_str_opt(q, "assignee", assignee ? assignee->name : r->assignee);
    json_object_set_new(q, "description", present_paragraphs(r->description));
    present_set_str_opt(q, "address", r->address && *r->address ? r->address : NULL);
    if (r->has_location) {
        present_set_str_opt(q, "geo_url", arena_printf(rq->arena, "geo:%.6f,%.6f", r->lat, r->lon));
        present_set_str_opt(q, "osm_url", osm_url(rq, r->lat, r->lon));
        present_set_str_opt(q, "coordinates",
                            arena_printf(rq->arena, "%.6f, %.6f", r->lat, r->lon));
    }
    json_t *attrs = attributes_json(rq, t, p, r);
    json_object_set_new(q, "has_attributes", json_boolean(json_array_size(attrs) > 0));
    json_object_set_new(q, "attributes", attrs);
    json_object_set_new(q, "form_version", json_integer(r->procedure_version));
    json_t *c = json_object();
    present_set_str_opt(c, "name", bo_citizen_name(rq, r));
    present_set_str_opt(c, "email", r->email && *r->email ? r->email : NULL);
    present_set_str_opt(c, "phone", r->phone && *r->phone ? r->phone : NULL);
    if (r->email && *r->email)
        present_set_str_opt(c, "mailto", arena_printf(rq->arena, "mailto:%s", r->email));
    if (r->phone && *r->phone)
        present_set_str_opt(c, "tel", arena_printf(rq->arena, "tel:%s", r->phone));
    json_object_set_new(c, "has_account", json_boolean(r->citizen_id != 0));
    present_set_str_opt(c, "notify",
                        present_string(rq->present, rq->lang,
                                       arena_printf(rq->arena, "request_bo.notify_%s",
                                                    r->notify ? r->notify : "email")));
    /* The language its messages go out in: an agent answers in it too. */
    present_set_str_opt(c, "message_lang",
                        present_string(rq->present, rq->lang,
                                       r->lang && strcmp(r->lang, "en") == 0
                                           ? "request_bo.lang_en"
                                           : "request_bo.lang_fr"));
    json_object_set_new(q, "contact", c);
    json_object_set_new(q, "is_public", json_boolean(r->is_public));
    json_object_set_new(q, "can_publish", json_boolean(p && p->rec.is_public && can_change));
    /* The public text: what the public pages and Open311 show instead of the citizen's
     * words. The form starts from the text approved, or else from the citizen's own, for the
     * agent to strip of names, numbers and plates. */
    present_set_str_opt(q, "public_text", request_public_text(r));
    json_object_set_new(q, "can_public_text",
                        json_boolean(can_change && !r->anonymised_at && work_public_text_used(p)));
    present_set_str_opt(ctx, "texte_public_value",
                        request_public_text(r) ? request_public_text(r) : r->description);
    json_object_set_new(ctx, "request", q);
    if (r->has_location) {
        /* The location on a map (static/js/public-map.js, Leaflet): an enhancement of the
         * coordinates and links above, which stay the whole story without JavaScript. */
        json_t *m = json_object();
        json_object_set_new(m, "lat", json_real(r->lat));
        json_object_set_new(m, "lon", json_real(r->lon));
        present_set_str_opt(m, "title", r->reference);
        present_set_str_opt(m, "address", r->address);
        json_t *markers = json_array();
        json_array_append_new(markers, m);
        json_object_set_new(ctx, "map_data", json_pack("{s:o}", "markers", markers));
    }

    json_t *files = json_array();
    for (size_t i = 0; i < n_atts; i++)
        json_array_append_new(files, attachment_json(rq, r, &atts[i], can_change));
    json_object_set_new(ctx, "has_attachments", json_boolean(n_atts > 0));
    json_object_set_new(ctx, "attachments", files);

    json_t *tl = json_array();
    for (size_t i = 0; i < n_events; i++)
        json_array_append_new(tl, event_json(rq, t, p, &events[i], agents, n_agents));
    json_object_set_new(ctx, "timeline", tl);

    json_t *others = others_json(rq, a, t, r);
    json_object_set_new(ctx, "has_others", json_boolean(json_array_size(others) > 0));
    json_object_set_new(ctx, "others", others);

    json_object_set_new(ctx, "can_change", json_boolean(can_change));
    json_object_set_new(ctx, "can_assign", json_boolean(can_assign));
    if (merge_context(rq, a, t, r, ctx) != 0 ||
        documents_context(rq, t, r, agents, n_agents, ctx) != 0) {
        json_decref(ctx);
        return NULL;
    }
    /* Agents who may change the request upload documents; élus read them. */
    json_object_set_new(ctx, "can_upload_document", json_boolean(can_change && !r->anonymised_at));
    /* A merged request keeps its status (core refuses a change): its life goes on in the
     * request it names. */
    /* A new short code for whoever may change the request, while it still has a citizen. */
    json_object_set_new(ctx, "can_renew_code", json_boolean(can_change && !r->anonymised_at));
    json_object_set_new(ctx, "can_merge", json_boolean(can_change && !closed_as_duplicate(t, r)));
    /* A correction or a document asked of the citizen: the request waits for their answer,
     * which brings it back (core/workflow.h's workflow_ask_citizen). */
    if (p && !r->merged_into && workflow_ask_citizen(p->workflow, r->status)) {
        json_t *w = json_object();
        json_object_set_new(w, "message", present_paragraphs(r->status_notes));
        present_set_str_opt(
            w, "return_to",
            bo_status_label(rq, p, workflow_ask_citizen(p->workflow, r->status)->return_to));
        json_object_set_new(ctx, "waiting_citizen", w);
    }
    if (can_change) {
        json_t *sts = r->merged_into ? json_array() : next_statuses(rq, a, p, r);
        json_object_set_new(ctx, "has_statuses", json_boolean(json_array_size(sts) > 0));
        int need_comment = 0;
        size_t k;
        json_t *tr;
        json_array_foreach(sts, k, tr) need_comment |=
            json_is_true(json_object_get(tr, "comment_required"));
        json_object_set_new(ctx, "statuses_need_comment", json_boolean(need_comment));
        json_object_set_new(ctx, "statuses", sts);
        json_t *prios = json_array();
        for (int i = 0; i <= 3; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "value", json_integer(i));
            present_set_str_opt(o, "label", bo_priority_label(rq, i));
            json_object_set_new(o, "selected", json_boolean(i == r->priority));
            json_array_append_new(prios, o);
        }
        json_object_set_new(ctx, "priorities", prios);
        store_reply_template *tpl = NULL;
        size_t n_tpl = 0;
        bo_reply_templates(rq, t, &tpl, &n_tpl);
        json_t *tj = json_array();
        for (size_t i = 0; i < n_tpl; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(tpl[i].id));
            present_set_str_opt(o, "name", tpl[i].name);
            present_set_str_opt(o, "body", bo_reply_fill(rq, t, tpl, n_tpl, tpl[i].id, r, a));
            json_array_append_new(tj, o);
        }
        json_object_set_new(ctx, "has_templates", json_boolean(n_tpl > 0));
        json_object_set_new(ctx, "templates", tj);
    }
    json_object_set_new(ctx, "can_take", json_boolean(perm_can_take(a, r)));
    if (can_assign) {
        /* The request's department's agents first, then the others (French order in each). */
        json_t *groups = json_array();
        for (int own = 1; own >= 0; own--) {
            json_t *ags = json_array();
            for (size_t i = 0; i < n_agents; i++) {
                if (!agents[i].active || (agents[i].role && strcmp(agents[i].role, "elected") == 0))
                    continue;
                int in_dep = 0;
                for (size_t k = 0; k < agents[i].n_departments; k++)
                    in_dep |= agents[i].department_ids[k] == r->department_id;
                if (in_dep != own)
                    continue;
                char id[AGENT_ASSIGNEE_LEN];
                agent_assignee_id(&agents[i], id);
                json_t *o = json_object();
                present_set_str_opt(o, "value", id);
                present_set_str_opt(o, "label", agents[i].name);
                json_object_set_new(o, "selected",
                                    json_boolean(r->assignee && strcmp(r->assignee, id) == 0));
                json_array_append_new(ags, o);
            }
            if (json_array_size(ags) == 0) {
                json_decref(ags);
                continue;
            }
            const cat_department *own_dep = catalogue_department_by_id(t, r->department_id);
            json_t *g = json_object();
            present_set_str_opt(
                g, "label",
                own ? arena_printf(rq->arena, "%s %s",
                                   present_string(rq->present, rq->lang, "request_bo.agents_of"),
                                   own_dep ? own_dep->rec.name : "")
                    : present_string(rq->present, rq->lang, "request_bo.agents_other"));
            json_object_set_new(g, "agents", ags);
            json_array_append_new(groups, g);
        }
        json_object_set_new(ctx, "agent_groups", groups);
        json_t *deps = json_array();
        for (size_t i = 0; i < t->n_departments; i++) {
            json_t *o = json_object();
            present_set_str_opt(o, "value", t->departments[i].rec.code);
            present_set_str_opt(o, "label", t->departments[i].rec.name);
            json_object_set_new(o, "selected",
                                json_boolean(t->departments[i].rec.id == r->department_id));
            json_array_append_new(deps, o);
        }
        json_object_set_new(ctx, "departments", deps);
    }
    /* «À envoyer par courrier»: no message reaches the citizen (core/mail_fallback.h). */
    int letter = 0;
    error lerr;
    error_clear(&lerr);
    if (mail_fallback_letter_due(rq->core, t->rec.id, r->id, &letter, &lerr) != 0)
        log_error("request page: letter flag of %s: %s", r->reference, lerr.detail);
    json_object_set_new(ctx, "letter_due", json_boolean(letter && perm_can_change(a, r)));
    json_object_set_new(ctx, "letter_due_shown", json_boolean(letter));
    bo_letters_context(rq, a, t, r, ctx);
    const char *done = form_get(&rq->query, "fait");
    if (done && (strcmp(done, "1") == 0 || strcmp(done, "fusion") == 0 ||
                 strcmp(done, "courrier") == 0 || strcmp(done, "publication") == 0 ||
                 strcmp(done, "photo") == 0 || strcmp(done, "texte") == 0 ||
                 strcmp(done, "texte_retire") == 0 || strcmp(done, "rerouter") == 0 ||
                 strcmp(done, "rerouter_inchange") == 0 || strcmp(done, "document") == 0 ||
                 strcmp(done, "emis") == 0 || strcmp(done, "signature") == 0)) {
        json_t *n = json_object();
        present_set_str_opt(n, "kind", "success");
        present_set_str_opt(n, "text",
                            present_string(rq->present, rq->lang,
                                           arena_printf(rq->arena, "request_bo.done_%s", done)));
        json_object_set_new(ctx, "notice", n);
    }
    return ctx;
}

static void show_render(http_req *rq, const store_agent *a, const cat_tenant *t,
                        const store_request *r, int http_status, json_t *extra)
{
    json_t *ctx = show_context(rq, a, t, r);
    if (!ctx) {
        json_decref(extra);
        return;
    }
    if (extra) {
        json_object_update(ctx, extra);
        json_decref(extra);
    }
    /* The status the agent chose comes back selected with the error. */
    const char *chosen = json_string_value(json_object_get(ctx, "statut_value"));
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(ctx, "statuses"), i, o) json_object_set_new(
        o, "selected",
        json_boolean(chosen && strcmp(chosen, json_string_value(json_object_get(o, "code"))) == 0));
    if (json_object_get(ctx, "has_errors"))
        present_set_str_opt(
            ctx, "title",
            arena_printf(rq->arena, "%s %s",
                         present_string(rq->present, rq->lang, "common.error_prefix"),
                         json_string_value(json_object_get(ctx, "title"))));
    bo_render(rq, http_status, "agent/request", ctx);
}

static void bo_request_show(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request r;
    if (!bo_open_request(rq, &a, t, rq->params[0], &r))
        return;
    bo_record_access(rq, &a, "view", "request", &r.id, 1);
    show_render(rq, &a, t, &r, 200, NULL);
}

static void add_error(json_t *ctx, const char *field, const char *text)
{
    json_t *errors = json_object_get(ctx, "errors");
    if (!errors) {
        errors = json_array();
        json_object_set_new(ctx, "errors", errors);
    }
    json_t *e = json_object();
    present_set_str_opt(e, "field", field);
    present_set_str_opt(e, "message", text);
    json_array_append_new(errors, e);
    json_object_set_new(ctx, "has_errors", json_true());
    char k[64];
    snprintf(k, sizeof k, "%s_error", field);
    present_set_str_opt(ctx, k, text);
}

/* The common start of the POST actions: the agent, the form, the request and the right to
 * change it. 0 after answering. */
static int action_open(http_req *rq, store_agent *a, const cat_tenant **t, form *f,
                       store_request *r)
{
    if (!bo_agent(rq, a))
        return 0;
    *t = web_tenant(rq);
    if (!*t)
        return 0;
    if (bo_form(rq, f) != 0)
        return 0;
    if (!bo_open_request(rq, a, *t, rq->params[0], r))
        return 0;
    if (!perm_can_change(a, r)) {
        bo_forbidden(rq);
        return 0;
    }
    return 1;
}

/* A local inbox URL given back by the form, or NULL. */
static const char *inbox_return(const form *f)
{
    const char *back = form_get(f, "retour");
    if (!form_local_path(back) || strncmp(back, "/agent/", 7) != 0)
        return NULL;
    return back;
}

/* What the «Traiter» form's continuation needs once the write is durable. */
typedef struct process_state {
    store_agent a;
    const cat_tenant *t;
    store_request r;
    const char *back;
    int closing;
    int taken; /* «Je prends» from the inbox: back to it, saying which request */
} process_state;

static void process_done(http_req *rq)
{
    process_state *ps = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc == 0) {
        if (ps->taken) {
            size_t len = strlen(ps->back);
            http_redirect(rq, arena_printf(rq->arena, "%s%sfait=pris&demande=%s", ps->back,
                                           strchr("?&", ps->back[len - 1]) ? "" : "&",
                                           bo_url(rq, ps->r.reference)));
            return;
        }
        if (ps->closing)
            http_redirect(rq, ps->back ? ps->back : "/agent/?fait=traite");
        else
            http_redirect(rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=1",
                                           bo_url(rq, ps->r.reference)));
        return;
    }
    if (outcome->err.code == ERR_CONFLICT || outcome->err.code == ERR_INVALID_ARG) {
        /* Nothing was written: the page shows the request as it now is, with the error. */
        error err;
        store_request fresh;
        if (request_get(rq->core, ps->t, ps->r.reference, rq->arena, &fresh, &err) == 0)
            ps->r = fresh;
        json_t *e = json_object();
        add_error(e, "statut", present_string(rq->present, rq->lang, "request_bo.error_conflict"));
        show_render(rq, &ps->a, ps->t, &ps->r, 409, e);
        return;
    }
    bo_write_refused(rq, &outcome->err);
}

static void bo_request_process(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    error err;
    error_clear(&err);
    json_t *extra = json_object();
    const char *msg = NULL;
    const char *reply = bo_text(rq, form_get(&f, "reponse"), BO_REPLY_MAX, 0, &msg);
    if (msg)
        add_error(extra, "reponse", present_string(rq->present, rq->lang, msg));
    msg = NULL;
    const char *tpl_s = form_get(&f, "modele");
    if (!reply && !json_object_get(extra, "reponse_error") && tpl_s && *tpl_s) {
        store_reply_template *tpl = NULL;
        size_t n_tpl = 0;
        bo_reply_templates(rq, t, &tpl, &n_tpl);
        reply = bo_reply_fill(rq, t, tpl, n_tpl, strtoll(tpl_s, NULL, 10), &r, &a);
        if (!reply)
            add_error(extra, "modele",
                      present_string(rq->present, rq->lang, "request_bo.error_template"));
    }
    const char *note = bo_text(rq, form_get(&f, "note"), BO_REPLY_MAX, 0, &msg);
    if (msg)
        add_error(extra, "note", present_string(rq->present, rq->lang, msg));

    request_change ch;
    memset(&ch, 0, sizeof ch);
    ch.priority = -1;
    core_actor who = bo_who(rq, &a);
    ch.who = &who;
    ch.ch = CHANNEL_WEB;
    int changed = 0;
    const char *st = form_get(&f, "statut");
    const cat_procedure *rp = catalogue_procedure_by_id(t, r.procedure_id);
    const cat_workflow *wf = rp ? rp->workflow : NULL;
    int comment_required = 0;
    if (st && *st) {
        if (!workflow_transition_allowed(wf, r.status, st, bo_role(&a), &comment_required))
            add_error(extra, "statut",
                      present_string(rq->present, rq->lang, "request_bo.error_status"));
        else if (comment_required && !reply && !note && !json_object_get(extra, "reponse_error") &&
                 !json_object_get(extra, "note_error"))
            /* Checked here to keep what was typed; core checks it again in the write. */
            add_error(extra, "statut",
                      present_string(rq->present, rq->lang, "request_bo.error_comment_required"));
        else if (workflow_ask_citizen(wf, st) && !reply && !json_object_get(extra, "reponse_error"))
            /* The citizen reads what they are asked in the reply, never in an internal note. */
            add_error(extra, "reponse",
                      present_string(rq->present, rq->lang, "request_bo.error_ask_message"));
        else {
            ch.status = st;
            changed = 1;
        }
    }
    const char *pr = form_get(&f, "priorite");
    if (pr && *pr) {
        if (pr[0] < '0' || pr[0] > '3' || pr[1] != '\0')
            add_error(extra, "priorite",
                      present_string(rq->present, rq->lang, "request_bo.error_priority"));
        else if (pr[0] - '0' != r.priority) {
            ch.priority = pr[0] - '0';
            changed = 1;
        }
    }
    const char *as = form_get(&f, "assigner");
    const char *dep = form_get(&f, "service");
    /* «Je prends»: the agent assigns the request to themselves, from its page or the inbox. */
    const char *take = form_get(&f, "prendre");
    int taking = take && *take;
    if (taking) {
        if (!perm_can_take(&a, &r)) {
            json_decref(extra);
            bo_forbidden(rq);
            return;
        }
        char me[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&a, me);
        as = arena_strdup(rq->arena, me);
    }
    int wants_assign = (as && *as && !(r.assignee && strcmp(as, r.assignee) == 0) &&
                        !(strcmp(as, "-") == 0 && !r.assignee));
    const cat_department *dd = dep && *dep ? catalogue_department(t, dep) : NULL;
    int wants_transfer = dep && *dep && !(dd && dd->rec.id == r.department_id);
    if (((wants_assign && !taking) || wants_transfer) && !perm_can_assign(&a, &r)) {
        json_decref(extra);
        bo_forbidden(rq);
        return;
    }
    if (wants_assign) {
        ch.assignee = strcmp(as, "-") == 0 ? "" : as;
        changed = 1;
    }
    if (wants_transfer) {
        if (!dd)
            add_error(extra, "service",
                      present_string(rq->present, rq->lang, "request_bo.error_department"));
        ch.department = dep;
        changed = 1;
    }
    if (!json_object_get(extra, "errors") && !reply && !note && !changed)
        add_error(extra, "reponse",
                  present_string(rq->present, rq->lang, "request_bo.error_nothing"));
    if (json_object_get(extra, "errors")) {
        present_set_str_opt(extra, "reponse_value", form_get(&f, "reponse"));
        present_set_str_opt(extra, "note_value", form_get(&f, "note"));
        present_set_str_opt(extra, "statut_value", st);
        show_render(rq, &a, t, &r, 400, extra);
        return;
    }
    json_decref(extra);
    /* Reply, internal note and changes in one transaction: all of it is written or none. */
    process_state *ps = arena_alloc(rq->arena, sizeof *ps);
    if (!ps) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    ps->a = a;
    ps->t = t;
    ps->r = r;
    ps->back = inbox_return(&f);
    /* Closing, or taking from the inbox: back to the list the agent came from. */
    ps->closing = ch.status && workflow_is_closed(wf, ch.status);
    ps->taken = taking && ps->back && !ps->closing;
    rq->user = ps;
    request_processing proc = {.change = ch,
                               .reply = reply,
                               .internal_note = note,
                               .reply_url =
                                   arena_printf(rq->arena, "%s/suivi", http_base_url(rq, t))};
    http_wait *w = http_wait_begin(rq, process_done);
    int rc = request_process(rq->core, t, r.reference, &proc, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* ---- «Fusionner»: this request merged into the one to keep ---- */

/* What the merge's continuation needs once the write is over. */
typedef struct merge_state {
    store_agent a;
    const cat_tenant *t;
    store_request r; /* the duplicate, this page's request */
    const char *keep;
} merge_state;

/* The duplicate's page again with the merge's error on the reference field. */
static void merge_refused(http_req *rq, const store_agent *a, const cat_tenant *t,
                          const store_request *r, const char *keep, const char *msg_key,
                          int http_status)
{
    json_t *e = json_object();
    add_error(e, "conserver", present_string(rq->present, rq->lang, msg_key));
    present_set_str_opt(e, "conserver_value", keep);
    show_render(rq, a, t, r, http_status, e);
}

/* The message for a merge core refused (the checks run again on the rows it changes). */
static const char *merge_error_key(const error *err)
{
    if (err->code == ERR_CONFLICT && strcmp(err->arg, "survivor") == 0)
        return "request_bo.merge_error_survivor";
    if (err->code == ERR_CONFLICT)
        return "request_bo.merge_error_already";
    if (err->code == ERR_FORBIDDEN)
        return "request_bo.merge_error_forbidden";
    if (err->code == ERR_INVALID_ARG)
        return "request_bo.merge_error_same";
    return NULL;
}

static void merge_done(http_req *rq)
{
    merge_state *ms = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc == 0) {
        /* The work goes on in the request kept: its page, with the merged one listed. */
        http_redirect(
            rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=fusion", bo_url(rq, ms->keep)));
        return;
    }
    const char *key = merge_error_key(&outcome->err);
    if (!key && outcome->err.code == ERR_NOT_FOUND && strcmp(outcome->err.arg, "survivor") == 0)
        key = "request_bo.merge_error_unknown";
    if (!key) {
        bo_write_refused(rq, &outcome->err);
        return;
    }
    /* Nothing was written: the page shows the request as it now is, with the error. */
    error err;
    store_request fresh;
    if (request_get(rq->core, ms->t, ms->r.reference, rq->arena, &fresh, &err) == 0)
        ms->r = fresh;
    merge_refused(rq, &ms->a, ms->t, &ms->r, ms->keep, key, 409);
}

/* 1 when requests were merged into r (it is kept: merge the other one into it). */
static int has_merged(http_req *rq, const cat_tenant *t, const store_request *r, error *err)
{
    store_request *merged = NULL;
    size_t n = 0;
    return request_merged(rq->core, t, r->id, rq->arena, &merged, &n, err) == 0 && n > 0;
}

/* POST /agent/demandes/{}/fusionner: conserver (the reference of the request to keep);
 * without confirmer=1, the page asks to confirm, saying what will happen; with it, the
 * merge (core's request_merge, one write job). */
static void bo_request_merge(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    error err;
    error_clear(&err);
    const char *keep = bo_trim(rq, form_get(&f, "conserver"));
    core_actor who = bo_who(rq, &a);
    store_request o;
    const char *msg = NULL;
    if (!keep || !*keep)
        msg = "request_bo.merge_error_empty";
    else if (!request_reference_ok(keep) ||
             request_get_as(rq->core, t, &who, keep, rq->arena, &o, &err) != 0)
        msg = "request_bo.merge_error_unknown";
    else if (o.id == r.id)
        msg = "request_bo.merge_error_same";
    else if (!perm_can_change(&a, &o))
        msg = "request_bo.merge_error_forbidden";
    else if (closed_as_duplicate(t, &r))
        msg = "request_bo.merge_error_already";
    else if (closed_as_duplicate(t, &o))
        msg = "request_bo.merge_error_survivor";
    else if (has_merged(rq, t, &r, &err))
        msg = "request_bo.merge_error_has_merged";
    if (msg) {
        merge_refused(rq, &a, t, &r, keep, msg, 400);
        return;
    }
    const char *confirmed = form_get(&f, "confirmer");
    if (!confirmed || strcmp(confirmed, "1") != 0) {
        /* The confirmation names the request kept (which the agent may see) and what the
         * merge does, at the top of the page. */
        const cat_procedure *p = catalogue_procedure_by_id(t, o.procedure_id);
        json_t *e = json_object();
        json_t *m = json_object();
        present_set_str_opt(m, "reference", o.reference);
        present_set_str_opt(m, "url",
                            arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, o.reference)));
        present_set_str_opt(m, "procedure", p ? p->rec.name : "");
        present_set_str_opt(m, "status_label", bo_status_label(rq, p, o.status));
        present_set_str_opt(m, "created", bo_date(rq, t, o.created_at, 0));
        json_object_set_new(e, "merge_confirm", m);
        present_set_str_opt(e, "conserver_value", o.reference);
        show_render(rq, &a, t, &r, 200, e);
        return;
    }
    merge_state *ms = arena_alloc(rq->arena, sizeof *ms);
    if (!ms) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    ms->a = a;
    ms->t = t;
    ms->r = r;
    ms->keep = o.reference;
    rq->user = ms;
    http_wait *w = http_wait_begin(rq, merge_done);
    int rc = request_merge(rq->core, t, r.reference, o.reference, &who, http_base_url(rq, t), NULL,
                           http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void bo_request_publish(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
    const char *v = form_get(&f, "public");
    if (!p || !p->rec.is_public || !v || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)) {
        bo_forbidden(rq);
        return;
    }
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, &a);
    http_wait *w =
        bo_wait_redirect(rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=publication",
                                          bo_url(rq, r.reference)));
    int rc = work_set_public(rq->core, t, r.reference, v[0] == '1', &who, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* «Texte public»: approves the text typed (action "approuver") or withdraws the approved one
 * ("retirer"). A refused text is shown again as typed, with its error. */
static void bo_request_public_text(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
    const char *action = form_get(&f, "action");
    int withdraw = action && strcmp(action, "retirer") == 0;
    if (!work_public_text_used(p) || r.anonymised_at ||
        (!withdraw && !(action && strcmp(action, "approuver") == 0))) {
        bo_forbidden(rq);
        return;
    }
    const char *typed = form_get(&f, "texte_public");
    const char *text = NULL;
    if (!withdraw) {
        static const web_text_messages m = {"request_bo.public_text_error_empty",
                                            "request_bo.error_characters",
                                            "request_bo.public_text_error_too_long"};
        const char *msg = NULL;
        text = web_text_field(rq, typed, REQUEST_PUBLIC_TEXT_MAX, 1, &m, &msg);
        if (msg) {
            json_t *e = json_object();
            add_error(e, "texte_public", present_string(rq->present, rq->lang, msg));
            present_set_str_opt(e, "texte_public_value", typed ? typed : "");
            show_render(rq, &a, t, &r, 400, e);
            return;
        }
    }
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, &a);
    http_wait *w = bo_wait_redirect(
        rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=%s#texte-public",
                         bo_url(rq, r.reference), withdraw ? "texte_retire" : "texte"));
    int rc = work_set_public_text(rq->core, t, r.reference, text, &who, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void bo_request_moderate(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    error err;
    error_clear(&err);
    char *end = NULL;
    long long id = strtoll(rq->params[1] ? rq->params[1] : "", &end, 10);
    const char *d = form_get(&f, "decision");
    if (!end || *end || id <= 0) {
        bo_not_found(rq);
        return;
    }
    core_actor who = bo_who(rq, &a);
    http_wait *w = bo_wait_redirect(
        rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=photo", bo_url(rq, r.reference)));
    /* An unknown photo is a 404 (checked before the decision, as the page always did). */
    int rc = work_moderate_photo(rq->core, t, r.reference, id, d, &who, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* «Re-router»: the routing rules again, on the request as it now is (core's
 * request_reroute); the page then says whether it moved. */
typedef struct reroute_state {
    request_reroute_result res;
    const char *reference;
} reroute_state;

static void reroute_done(http_req *rq)
{
    reroute_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        bo_write_refused(rq, &w->err);
        return;
    }
    http_redirect(rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=%s#fil-titre",
                                   bo_url(rq, st->reference),
                                   st->res.unchanged ? "rerouter_inchange" : "rerouter"));
}

static void bo_request_reroute(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    if (!perm_can_assign(&a, &r)) {
        bo_forbidden(rq);
        return;
    }
    reroute_state *st = arena_alloc(rq->arena, sizeof *st);
    error err;
    error_clear(&err);
    if (!st || !(st->reference = arena_strdup(rq->arena, r.reference))) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    rq->user = st;
    core_actor who = bo_who(rq, &a);
    http_wait *w = http_wait_begin(rq, reroute_done);
    int rc = request_reroute(rq->core, t, r.reference, &who, &st->res, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* «Courrier envoyé»: the letter a failed e-mail called for went; the flag is cleared with its
 * timeline event and audit entry (core's mail_fallback_letter_sent_as). */
static void bo_request_letter(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    form f;
    store_request r;
    if (!action_open(rq, &a, &t, &f, &r))
        return;
    bo_letter_state *ls = arena_alloc(rq->arena, sizeof *ls);
    if (!ls) {
        error oom;
        error_set(&oom, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &oom);
        return;
    }
    /* The agent outlives this frame: the job reads it once queued. */
    ls->agent = a;
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, &ls->agent);
    http_wait *w = bo_wait_redirect(
        rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=courrier", bo_url(rq, r.reference)));
    int rc = mail_fallback_letter_sent_as(rq->core, &who, t->rec.id, r.id, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* ---- «Déposer un document PDF» ---- */

/* What the upload's continuation needs: the page again with the title and the choice as
 * typed when the file is refused. */
typedef struct document_state {
    store_agent a;
    const cat_tenant *t;
    store_request r;
    const char *title;
    int visible;
    document_upload_out out;
} document_state;

/* The message key of a refused upload (core's error arg), or NULL for an error that is not
 * the agent's file. *status the page's status. */
static const char *document_refusal(http_req *rq, const error *err, int *status)
{
    *status = 400;
    const char *key = NULL;
    /* The antivirus's two refusals, as every upload tells them (503 with Retry-After when it
     * could not scan). */
    if (attachment_is_infected(err) || attachment_is_unscanned(err)) {
        *status = web_file_refusal(rq, "request_bo.document_error", err, &key);
        return key;
    }
    static const char *const args[] = {"too_large", "not_pdf",  "damaged", "encrypted",
                                       "active",    "embedded", "pages"};
    if (err->code != ERR_INVALID_ARG)
        return NULL;
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        if (strcmp(err->arg, args[i]) == 0)
            return arena_printf(rq->arena, "request_bo.document_error_%s", args[i]);
    if (strcmp(err->arg, "title") == 0)
        return "request_bo.document_error_title_characters";
    return NULL;
}

/* The request page again, with the upload's error beside its field. */
static void document_refused(http_req *rq, const document_state *ds, const char *field,
                             const char *key, int status)
{
    json_t *e = json_object();
    add_error(e, field, present_string(rq->present, rq->lang, key));
    present_set_str_opt(e, "document_titre_value", ds->title ? ds->title : "");
    json_object_set_new(e, "document_visible_checked", json_boolean(ds->visible));
    show_render(rq, &ds->a, ds->t, &ds->r, status, e);
}

static void document_done(http_req *rq)
{
    document_state *ds = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        http_redirect(rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=document#documents",
                                       bo_url(rq, ds->r.reference)));
        return;
    }
    int status;
    const char *key = document_refusal(rq, &w->err, &status);
    if (!key) {
        bo_write_refused(rq, &w->err);
        return;
    }
    if (strcmp(w->err.arg, "title") == 0)
        document_refused(rq, ds, "document_titre", key, status);
    else
        document_refused(rq, ds, "document_fichier", key, status);
}

static void bo_request_document(http_req *rq)
{
    document_state *ds = arena_alloc(rq->arena, sizeof *ds);
    error err;
    error_clear(&err);
    if (!ds) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    memset(ds, 0, sizeof *ds);
    if (!bo_agent(rq, &ds->a) || !(ds->t = web_tenant(rq)))
        return;
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_with_files(rq, &f, &files, &n_files) != 0)
        return;
    if (!bo_open_request(rq, &ds->a, ds->t, rq->params[0], &ds->r))
        return;
    if (!perm_can_change(&ds->a, &ds->r) || ds->r.anonymised_at) {
        bo_forbidden(rq);
        return;
    }
    const char *typed = form_get(&f, "document_titre");
    ds->title = typed;
    const char *vis = form_get(&f, "document_visible");
    ds->visible = vis && strcmp(vis, "1") == 0;
    static const web_text_messages m = {"request_bo.document_error_title_empty",
                                        "request_bo.document_error_title_characters",
                                        "request_bo.document_error_title_too_long"};
    const char *msg = NULL;
    const char *title = web_text_field(rq, typed, DOCUMENT_TITLE_MAX, 1, &m, &msg);
    if (msg) {
        document_refused(rq, ds, "document_titre", msg, 400);
        return;
    }
    const http_file *file = NULL;
    for (size_t i = 0; i < n_files && !file; i++)
        if (strcmp(files[i].field, "document_fichier") == 0)
            file = &files[i];
    if (!file) {
        document_refused(rq, ds, "document_fichier", "request_bo.document_error_no_file", 400);
        return;
    }
    if (file->refused == HTTP_FILE_TOO_LARGE) {
        document_refused(rq, ds, "document_fichier", "request_bo.document_error_too_large", 400);
        return;
    }
    rq->user = ds;
    core_actor who = bo_who(rq, &ds->a);
    document_upload_in in = {ds->r.id, title, ds->visible, file->data, file->len};
    http_wait *w = http_wait_begin(rq, document_done);
    int rc = document_upload(rq->core, ds->t, &who, &in, &ds->out, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_request_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/demandes/{}", bo_request_show},
    {HTTP_POST, "/agent/demandes/{}/traiter", bo_request_process},
    {HTTP_POST, "/agent/demandes/{}/fusionner", bo_request_merge},
    {HTTP_POST, "/agent/demandes/{}/rerouter", bo_request_reroute},
    {HTTP_POST, "/agent/demandes/{}/publication", bo_request_publish},
    {HTTP_POST, "/agent/demandes/{}/texte-public", bo_request_public_text},
    {HTTP_POST, "/agent/demandes/{}/photos/{}", bo_request_moderate},
    {HTTP_POST, "/agent/demandes/{}/courrier", bo_request_letter},
    {HTTP_POST | HTTP_ROUTE_FILES, "/agent/demandes/{}/documents", bo_request_document},
    {0, NULL, NULL},
};

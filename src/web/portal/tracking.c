/*
 * tracking — the citizen's side of a request once filed: finding it by reference and tracking
 * code (/suivi), the tracking page (status in plain words, what was given, the public
 * timeline, attachments, the message thread and its reply form, rating and «Le problème
 * est-il réglé ?» once closed) and «Mes demandes». Access to a request needs its tracking
 * token or the account that owns it; anything else is the same 404 as an unknown reference,
 * so that nobody learns which references exist. The public incidents live in
 * tracking_public.c.
 */
#include "web/portal/portal.h"
#include "util/form.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attachment.h"
#include "core/document.h"
#include "core/letter_tpl.h"
#include "core/parapheur.h"
#include "core/forms.h"
#include "core/request.h"
#include "core/workflow.h"
#include "core/workflow_timeout.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/portal/tracking_internal.h"
#include "web/web.h"

/* POST /suivi: enough for a citizen who mistypes, far too few to guess anything. */
#define LOOKUP_RATE (10.0 / 60.0)
#define LOOKUP_BURST 20.0
#define TOKEN_MAX 128
#define MESSAGE_MAX_CHARS 10000
#define COMMENT_MAX_CHARS 2000
#define REOPEN_MAX_CHARS 2000
#define MINE_PER_PAGE 20
#define PAGE_MAX 10000

/* ---- shared helpers (tracking_internal.h) ---- */

/* The date of `when` in words, its RFC 3339 form and its clock time, in rq->arena. */
static int format_date(http_req *rq, const cat_tenant *t, int64_t when, const char **words,
                       const char **iso, const char **clock)
{
    const char *tz = t ? t->rec.timezone : NULL;
    char s[TIME_RFC3339_LEN];
    time_format_rfc3339(when, tz, s);
    *words = present_date(rq->arena, rq->lang, when, tz, 0);
    *clock = present_clock(rq->arena, rq->lang, when, tz);
    *iso = arena_strdup(rq->arena, s);
    return (*words && **words && *iso && *clock) ? 0 : -1;
}

void tracking_set_date(http_req *rq, const cat_tenant *t, json_t *ctx, const char *key,
                       int64_t when, int with_time)
{
    const char *words, *iso, *clock;
    if (when <= 0 || format_date(rq, t, when, &words, &iso, &clock) != 0)
        return;
    char k[64];
    present_set_str_opt(ctx, key, words);
    snprintf(k, sizeof k, "%s_iso", key);
    present_set_str_opt(ctx, k, iso);
    if (with_time) {
        snprintf(k, sizeof k, "%s_time", key);
        present_set_str_opt(ctx, k, clock);
    }
}

const char *tracking_url_encode(http_req *rq, const char *s)
{
    const char *out = form_encode(rq->arena, s, NULL);
    return out ? out : "";
}

long tracking_page_param(http_req *rq)
{
    const char *s = form_get(&rq->query, "page");
    if (!s || !*s)
        return 1;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > PAGE_MAX)
        return 1;
    return v;
}

void tracking_set_pages(http_req *rq, json_t *ctx, long page, int64_t total, long per_page,
                        const char *base_url)
{
    long pages = (long)((total + per_page - 1) / per_page);
    if (pages <= 1)
        return;
    json_t *p = json_object();
    json_object_set_new(p, "current", json_integer(page));
    json_object_set_new(p, "total", json_integer(pages));
    if (page > 1)
        present_set_str_opt(p, "prev_url",
                            arena_printf(rq->arena, "%spage=%ld", base_url, page - 1));
    if (page < pages)
        present_set_str_opt(p, "next_url",
                            arena_printf(rq->arena, "%spage=%ld", base_url, page + 1));
    json_object_set_new(ctx, "pages", p);
}

/* ---- small helpers ---- */

/* s without leading and trailing blanks, in the arena; NULL stays NULL. */
static const char *trim(http_req *rq, const char *s)
{
    return text_trim(rq->arena, s);
}

/* The text of a citizen's field: NULL with *msg_key set when it is missing, too long or
 * holds control characters. */
static const char *check_text(http_req *rq, const char *s, size_t max_chars, int required,
                              const char **msg_key)
{
    static const web_text_messages m = {"track.error_empty", "track.error_characters",
                                        "track.error_too_long"};
    return web_text_field(rq, s, max_chars, required, &m, msg_key);
}

static void add_error(json_t *ctx, const char *field, const char *href, const char *text)
{
    json_t *errors = json_object_get(ctx, "errors");
    if (!errors) {
        errors = json_array();
        json_object_set_new(ctx, "errors", errors);
    }
    json_t *e = json_object();
    present_set_str_opt(e, "href", href);
    present_set_str_opt(e, "text", text);
    json_array_append_new(errors, e);
    json_object_set_new(ctx, "has_errors", json_true());
    if (field) {
        char k[64];
        snprintf(k, sizeof k, "%s_error", field);
        present_set_str_opt(ctx, k, text);
    }
}

/* «Erreur : …» before the title of a page showing errors, so that screen readers hear it
 * first (RGAA 11.10). */
static void prefix_title_on_error(http_req *rq, json_t *ctx)
{
    const char *title = json_string_value(json_object_get(ctx, "title"));
    if (!json_object_get(ctx, "has_errors") || !title)
        return;
    present_set_str_opt(
        ctx, "title",
        arena_printf(rq->arena, "%s %s",
                     present_string(rq->present, rq->lang, "track.title_error_prefix"), title));
}

static void not_found(http_req *rq)
{
    error e;
    error_set(&e, ERR_NOT_FOUND, NULL, "no such request");
    http_respond_error(rq, &e);
}

/* ---- access ---- */

/* Everything a tracking page needs, kept in rq->user across a suspension. */
typedef struct track_state {
    const cat_tenant *tenant;
    const cat_procedure *proc;
    store_request req;
    const char *token; /* the tracking token when it opened the request; NULL: the account */
    int has_account;
    store_account acc;
    /* the write in flight */
    const char *form_name; /* "message", "reponse", "avis", "rouvrir", "nouvelles" */
    const char *done_flag; /* query flag of the page after success */
    const char *text;      /* the citizen's text, shown again when the write fails */
    const char *comment;
    int rating;
    store_attachment *atts;
    size_t n_atts;
} track_state;

/* Opens request rq->params[0] for its citizen: with `token` or through the account. NULL
 * after answering (404 for every refusal, whatever the reason). */
static track_state *track_open(http_req *rq, const char *token)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return NULL;
    track_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return NULL;
    }
    rq->user = st;
    st->tenant = t;
    st->has_account = web_account(rq, &st->acc);
    const char *ref = rq->params[0];
    if (!request_reference_ok(ref)) {
        not_found(rq);
        return NULL;
    }
    if (request_get(rq->core, t, ref, rq->arena, &st->req, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            not_found(rq);
        else
            http_respond_error(rq, &err);
        return NULL;
    }
    if (token && *token && strlen(token) <= TOKEN_MAX &&
        request_token_matches(rq->core, &st->req, token))
        st->token = token;
    else if (!(st->has_account && request_owned_by(&st->req, &st->acc))) {
        not_found(rq);
        return NULL;
    }
    st->proc = catalogue_procedure_by_id(t, st->req.procedure_id);
    return st;
}

/* The request's page, with `flag` ("envoye=1") added when not NULL. */
static const char *self_url(http_req *rq, const track_state *st, const char *flag)
{
    const char *ref = tracking_url_encode(rq, st->req.reference);
    if (st->token)
        return arena_printf(rq->arena, "/suivi/%s?jeton=%s%s%s", ref,
                            tracking_url_encode(rq, st->token), flag ? "&" : "", flag ? flag : "");
    return arena_printf(rq->arena, "/suivi/%s%s%s", ref, flag ? "?" : "", flag ? flag : "");
}

/* ---- the tracking page ---- */

/* The value of one attribute in words: list keys become their names, dates are written
 * out. */
static const char *attr_value_text(http_req *rq, const cat_tenant *t, const attr_def *d,
                                   const char *v)
{
    if (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST)
        return attr_value_name(d, v, rq->lang);
    const char *day = d->type == ATTR_DATE ? present_day(rq->arena, rq->lang, v) : NULL;
    if (day)
        return day;
    if (d->type == ATTR_DATETIME) {
        int64_t when;
        const char *words, *iso, *clock;
        if (time_parse_rfc3339(v, &when) == 0 &&
            format_date(rq, t, when, &words, &iso, &clock) == 0)
            return arena_printf(rq->arena, "%s, %s", words, clock);
    }
    return v;
}

/* What the citizen gave for the procedure's attributes: [{label, paragraphs}]. */
static json_t *attributes_json(http_req *rq, const track_state *st)
{
    json_t *out = json_array();
    if (!st->proc || !st->req.attributes)
        return out;
    json_t *vals = json_loads(st->req.attributes, 0, NULL);
    if (!json_is_object(vals)) {
        json_decref(vals);
        return out;
    }
    /* The labels of the form's version the request was filed under. */
    const attr_def *defs;
    size_t n_defs;
    forms_at(rq->core, st->proc, st->req.procedure_version, rq->arena, &defs, &n_defs);
    for (size_t i = 0; i < n_defs; i++) {
        const attr_def *d = &defs[i];
        json_t *v = json_object_get(vals, d->code);
        if (!d->variable || !v)
            continue;
        buf text;
        buf_init(&text, 64 * 1024);
        int has_pos;
        double lat, lon;
        const char *place =
            d->type == ATTR_LOCATION ? attr_location_of(v, &has_pos, &lat, &lon) : NULL;
        if (place) {
            buf_puts(&text, place); /* in words: degrees are not something a citizen reads */
        } else if (json_is_string(v)) {
            buf_puts(&text, attr_value_text(rq, st->tenant, d, json_string_value(v)));
        } else if (json_is_array(v)) {
            size_t k;
            json_t *e;
            json_array_foreach(v, k, e)
            {
                if (!json_is_string(e))
                    continue;
                if (text.len)
                    buf_puts(&text, ", ");
                buf_puts(&text, attr_value_text(rq, st->tenant, d, json_string_value(e)));
            }
        }
        if (text.len) {
            json_t *a = json_object();
            present_set_str_opt(a, "label", attr_label(d, rq->lang));
            json_object_set_new(a, "paragraphs", present_paragraphs(buf_cstr(&text)));
            json_array_append_new(out, a);
        }
        buf_free(&text);
    }
    json_decref(vals);
    return out;
}

static json_t *attachment_json(http_req *rq, const track_state *st, const store_attachment *at)
{
    json_t *o = json_object();
    const char *q =
        st->token ? arena_printf(rq->arena, "?jeton=%s", tracking_url_encode(rq, st->token)) : "";
    present_set_str_opt(o, "url",
                        arena_printf(rq->arena, "/pieces-jointes/%s/%" PRId64 "%s",
                                     tracking_url_encode(rq, st->req.reference), at->id, q));
    present_set_str_opt(o, "filename",
                        at->filename && *at->filename
                            ? at->filename
                            : present_string(rq->present, rq->lang, "track.attachment_unnamed"));
    present_set_str_opt(o, "size", web_file_size(rq, at->size));
    json_object_set_new(o, "is_photo", json_boolean(at->is_photo));
    present_set_str_opt(
        o, "kind",
        present_string(rq->present, rq->lang,
                       at->is_photo ? "track.attachment_photo" : "track.attachment_pdf"));
    return o;
}

/* The date the administration's silence would decide st's request — a right the citizen is
 * told of (CRPA R112-5: the acknowledgement gives it) — as a sentence: «Sans décision de la mairie
 * d'ici le 12 février 2027, votre demande sera réputée acceptée…»; NULL when no pending jump means
 * accord or rejet. */
static const char *silence_text(http_req *rq, const track_state *st)
{
    workflow_pending pend[WORKFLOW_TIMEOUT_PER_STATUS_MAX];
    size_t n = 0;
    error err;
    error_clear(&err);
    if (workflow_timeout_pending(rq->core, &st->req, rq->arena, pend,
                                 WORKFLOW_TIMEOUT_PER_STATUS_MAX, &n, &err) != 0) {
        log_error("tracking: pending timeouts of %s: %s", st->req.reference, err.detail);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pend[i].meaning, "accord") != 0 && strcmp(pend[i].meaning, "rejet") != 0)
            continue;
        const char *tz = st->tenant ? st->tenant->rec.timezone : NULL;
        char text[400];
        present_fill(text, sizeof text,
                     present_string(rq->present, rq->lang,
                                    arena_printf(rq->arena, "track.silence_%s", pend[i].meaning)),
                     "date", present_date(rq->arena, rq->lang, pend[i].due_at, tz, 0));
        return arena_strdup(rq->arena, text);
    }
    return NULL;
}

static json_t *event_json(http_req *rq, const track_state *st, const store_event *e,
                          const store_attachment *atts, size_t n_atts)
{
    json_t *o = json_object();
    int citizen = request_event_by_citizen(e);
    const char *kind = e->kind ? e->kind : "";
    /* An Open311 client (FixMyStreet…) relaying someone's words: not «vous», not the mairie.
     * Only its comments and reopenings: a key of the JSON API is the mairie's own software. */
    int partner = actor_label_is_key(e->actor) &&
                  (strcmp(kind, "comment") == 0 || strcmp(kind, "reopened") == 0);
    const char *title;
    if (strcmp(kind, "created") == 0) {
        title = present_string(rq->present, rq->lang, "track.event_created");
    } else if (strcmp(kind, "status") == 0 && e->status_to) {
        title = arena_printf(rq->arena, "%s %s",
                             present_string(rq->present, rq->lang, "track.event_status"),
                             web_set_status(rq, o, st->proc, e->status_to, rq->lang, WEB_CITIZEN));
    } else if (strcmp(kind, "reopened") == 0) {
        title = present_string(rq->present, rq->lang,
                               partner ? "track.event_reopened_partner" : "track.event_reopened");
    } else if (strcmp(kind, "timeout") == 0 && e->body) {
        /* A workflow timeout's silence: what it means for the request (accord, rejet). */
        title = present_string(rq->present, rq->lang,
                               arena_printf(rq->arena, "track.event_timeout_%s", e->body));
    } else if (strcmp(kind, LETTER_TPL_EVENT) == 0) {
        /* A letter or decision issued (core/letter_tpl.h): its title is the body. */
        title = present_string(rq->present, rq->lang, "track.event_letter_issued");
    } else if (strcmp(kind, PARAPHEUR_EVENT_PUBLIC) == 0) {
        /* The signed version of a document (core/parapheur.h): its title is the body. */
        title = present_string(rq->present, rq->lang, "track.event_document_signed");
    } else if (strcmp(kind, "comment") == 0) {
        title = present_string(rq->present, rq->lang, "track.event_comment");
    } else if (strcmp(kind, "rating") == 0) {
        title = present_string(rq->present, rq->lang, "track.event_rating");
    } else if (strcmp(kind, "message") == 0 || strcmp(kind, "note") == 0) {
        title =
            present_string(rq->present, rq->lang,
                           citizen ? "track.event_message_citizen" : "track.event_message_mairie");
    } else {
        title = present_string(rq->present, rq->lang, "track.event_other");
    }
    present_set_str_opt(o, "title", title);
    present_set_str_opt(o, "who",
                        present_string(rq->present, rq->lang,
                                       citizen   ? "track.who_you"
                                       : partner ? "track.who_partner"
                                                 : "track.who_mairie"));
    json_object_set_new(o, "by_citizen", json_boolean(citizen));
    tracking_set_date(rq, st->tenant, o, "date", e->created_at, 1);
    /* The creation event repeats the description, shown above already. */
    json_object_set_new(o, "paragraphs",
                        present_paragraphs(strcmp(kind, "created") != 0 ? e->body : NULL));
    json_t *files = json_array();
    for (size_t i = 0; i < n_atts; i++)
        if (atts[i].event_id != 0 && atts[i].event_id == e->id)
            json_array_append_new(files, attachment_json(rq, st, &atts[i]));
    json_object_set_new(o, "has_attachments", json_boolean(json_array_size(files) > 0));
    json_object_set_new(o, "attachments", files);
    return o;
}

/* A merged request: what its citizen may know of the request its matter goes on in — its
 * reference, its status and when it last moved, and a link to its public page when it is
 * on the public list anyway. Never its citizen, description, place, messages nor tracking
 * token: they are another person's. Sets req.merged_into; nothing when it cannot be read. */
static void merged_into_json(http_req *rq, const track_state *st, json_t *req)
{
    store_request m;
    error err;
    error_clear(&err);
    if (request_merged_into(rq->core, st->tenant, &st->req, rq->arena, &m, &err) != 0) {
        log_warn("tracking: the request %s was merged into cannot be read: %s", st->req.reference,
                 err.detail);
        return;
    }
    json_t *o = json_object();
    present_set_str_opt(o, "reference", m.reference);
    web_set_status(rq, o, catalogue_procedure_by_id(st->tenant, m.procedure_id), m.status, rq->lang,
                   WEB_CITIZEN);
    tracking_set_date(rq, st->tenant, o, "updated", m.updated_at, 0);
    if (tracking_on_public_list(st->tenant, &m))
        present_set_str_opt(
            o, "public_url",
            arena_printf(rq->arena, "/signalements/%s", tracking_url_encode(rq, m.reference)));
    json_object_set_new(req, "merged_into", o);
}

/* The documents the mairie issued about the request for the citizen (its receipt, letters,
 * decisions, files an agent shared), each version a link to
 * its PDF (/documents/…, checked as the tracking page is). A failure to read them leaves the
 * list empty (logged) rather than the page unanswered. */
static json_t *documents_json(http_req *rq, const track_state *st)
{
    json_t *out = json_array();
    store_document *docs = NULL;
    size_t n = 0;
    error err;
    if (document_list(rq->core, st->tenant->rec.id, st->req.id, NULL, rq->arena, &docs, &n, &err) !=
        0) {
        log_warn("tracking: documents of a request unreadable: %s", err.detail);
        return out;
    }
    const char *q =
        st->token ? arena_printf(rq->arena, "?jeton=%s", tracking_url_encode(rq, st->token)) : "";
    for (size_t i = 0; i < n; i++) {
        if (!docs[i].citizen_visible)
            continue;
        json_t *o = json_object();
        present_set_str_opt(o, "url",
                            arena_printf(rq->arena, "/documents/%s/%" PRId64 "%s",
                                         tracking_url_encode(rq, st->req.reference), docs[i].id,
                                         q));
        present_set_str_opt(o, "label", web_document_label(rq, &docs[i]));
        present_set_str_opt(o, "size", web_file_size(rq, docs[i].size));
        present_set_str_opt(
            o, "issued",
            present_date(rq->arena, rq->lang, docs[i].created_at, st->tenant->rec.timezone, 0));
        json_array_append_new(out, o);
    }
    return out;
}

/* The context of the tracking page; forms' state is added by the caller. NULL after
 * answering an error. */
static json_t *show_context(http_req *rq, track_state *st)
{
    error err;
    error_clear(&err);
    const store_request *r = &st->req;
    store_event *events = NULL;
    size_t n_events = 0;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    if (request_timeline(rq->core, st->tenant, r->id, 1, rq->arena, &events, &n_events, &err) !=
            0 ||
        attachment_list(rq->core, st->tenant->rec.id, r->id, rq->arena, &atts, &n_atts, &err) !=
            0) {
        http_respond_error(rq, &err);
        return NULL;
    }
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title",
                        arena_printf(rq->arena, "%s %s",
                                     present_string(rq->present, rq->lang, "track.title_request"),
                                     r->reference));
    present_set_str_opt(ctx, "jeton", st->token);
    present_set_str_opt(ctx, "self_url", self_url(rq, st, NULL));
    present_set_str_opt(
        ctx, "files_hint",
        web_upload_hint(rq, present_string(rq->present, rq->lang, "track.files_hint")));
    present_set_str_opt(
        ctx, "form_base",
        arena_printf(rq->arena, "/suivi/%s", tracking_url_encode(rq, r->reference)));

    json_t *req = json_object();
    int closed = st->proc && workflow_is_closed(st->proc->workflow, r->status);
    present_set_str_opt(req, "reference", r->reference);
    web_set_status(rq, req, st->proc, r->status, rq->lang, WEB_CITIZEN);
    /* What the status means for the citizen, where the strings explain it (the shipped
     * workflows' statuses); nothing for a status they do not know. */
    const char *text_key = arena_printf(rq->arena, "track.status_text_%s",
                                        json_string_value(json_object_get(req, "status")));
    const char *text = text_key ? present_string(rq->present, rq->lang, text_key) : NULL;
    present_set_str_opt(req, "status_text", text && strcmp(text, text_key) != 0 ? text : NULL);
    present_set_str_opt(req, "procedure", web_procedure_name(rq, st->proc));
    json_object_set_new(req, "closed", json_boolean(closed));
    if (r->merged_into)
        merged_into_json(rq, st, req);
    tracking_set_date(rq, st->tenant, req, "filed", r->created_at, 1);
    if (closed) {
        tracking_set_date(rq, st->tenant, req, "closed_on", r->closed_at, 0);
    } else {
        int64_t due = r->due_at;
        if (!due)
            due = request_due_at(st->tenant, st->proc, r->created_at);
        tracking_set_date(rq, st->tenant, req, "expected", due, 0);
        if (!r->merged_into)
            present_set_str_opt(req, "silence", silence_text(rq, st));
    }
    present_set_str_opt(req, "channel",
                        present_string(rq->present, rq->lang,
                                       arena_printf(rq->arena, "track.channel_%s",
                                                    r->channel ? r->channel : "web")));
    json_t *desc = present_paragraphs(r->description);
    json_object_set_new(ctx, "has_description", json_boolean(json_array_size(desc) > 0));
    json_object_set_new(req, "description", desc);
    present_set_str_opt(req, "address", r->address && *r->address ? r->address : NULL);
    json_t *attrs = attributes_json(rq, st);
    json_object_set_new(ctx, "has_attributes", json_boolean(json_array_size(attrs) > 0));
    json_object_set_new(req, "attributes", attrs);
    json_object_set_new(ctx, "request", req);

    json_t *filed_files = json_array();
    for (size_t i = 0; i < n_atts; i++)
        if (atts[i].event_id == 0)
            json_array_append_new(filed_files, attachment_json(rq, st, &atts[i]));
    json_object_set_new(ctx, "has_attachments", json_boolean(json_array_size(filed_files) > 0));
    json_object_set_new(ctx, "attachments", filed_files);
    json_t *docs = documents_json(rq, st);
    json_object_set_new(ctx, "has_documents", json_boolean(json_array_size(docs) > 0));
    json_object_set_new(ctx, "documents", docs);

    json_t *tl = json_array();
    for (size_t i = 0; i < n_events; i++)
        json_array_append_new(tl, event_json(rq, st, &events[i], atts, n_atts));
    json_object_set_new(ctx, "timeline", tl);

    /* Closing the loop. */
    if (closed) {
        if (r->rating > 0) {
            json_object_set_new(ctx, "rated", json_integer(r->rating));
            json_object_set_new(ctx, "rated_comment", present_paragraphs(r->rating_comment));
        } else {
            json_t *opts = json_array();
            for (int v = 1; v <= 5; v++) {
                json_t *o = json_object();
                json_object_set_new(o, "value", json_integer(v));
                present_set_str_opt(o, "label",
                                    present_string(rq->present, rq->lang,
                                                   arena_printf(rq->arena, "track.rating_%d", v)));
                json_array_append_new(opts, o);
            }
            json_object_set_new(ctx, "rating_options", opts);
            json_object_set_new(ctx, "can_rate", json_true());
        }
    }
    if (request_reopen_allowed(st->proc, r->status)) {
        json_t *q = json_object();
        present_set_str_opt(q, "yes_url",
                            arena_printf(rq->arena, "%s#avis", self_url(rq, st, "regle=oui")));
        present_set_str_opt(q, "no_url",
                            arena_printf(rq->arena, "%s#rouvrir", self_url(rq, st, "regle=non")));
        const char *answer = form_get(&rq->query, "regle");
        if (answer && strcmp(answer, "non") == 0)
            json_object_set_new(q, "reopen_form", json_true());
        else if (answer && strcmp(answer, "oui") == 0)
            json_object_set_new(q, "answered_yes", json_true());
        json_object_set_new(ctx, "solved_question", q);
    }

    /* A correction or a document asked: the agent's words and the answer's form. */
    if (!r->merged_into && st->proc && workflow_ask_citizen(st->proc->workflow, r->status)) {
        json_t *ask = json_object();
        json_t *words = present_paragraphs(r->status_notes);
        json_object_set_new(ask, "has_message", json_boolean(json_array_size(words) > 0));
        json_object_set_new(ask, "message", words);
        json_object_set_new(ctx, "correction", ask);
    }

    /* How the citizen hears of it: the channels the request can reach them on. */
    if (!r->merged_into) {
        const char *now_notify = r->notify && *r->notify ? r->notify : "email";
        json_t *opts = json_array();
        static const char *const channels[] = {"email", "sms", "none"};
        for (size_t i = 0; i < 3; i++) {
            if ((i == 0 && !(r->email && *r->email)) || (i == 1 && !(r->phone && *r->phone)))
                continue;
            json_t *o = json_object();
            present_set_str_opt(o, "value", channels[i]);
            present_set_str_opt(
                o, "label",
                present_string(rq->present, rq->lang,
                               arena_printf(rq->arena, "track.news_%s", channels[i])));
            json_object_set_new(o, "checked", json_boolean(strcmp(now_notify, channels[i]) == 0));
            json_array_append_new(opts, o);
        }
        json_t *news = json_object();
        json_object_set_new(news, "options", opts);
        if (json_array_size(opts) > 1) /* a choice only when there is one to make */
            json_object_set_new(ctx, "news", news);
        else
            json_decref(news);
    }

    /* What the last action did (after its redirect). */
    static const char *const flags[][2] = {
        {"nouvelles", "track.notice_news"},   {"envoye", "track.notice_message_sent"},
        {"corrige", "track.notice_answered"}, {"avis", "track.notice_rated"},
        {"rouvert", "track.notice_reopened"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = form_get(&rq->query, flags[i][0]);
        if (v && strcmp(v, "1") == 0)
            present_set_str_opt(ctx, "notice", present_string(rq->present, rq->lang, flags[i][1]));
    }
    return ctx;
}

static void show_render(http_req *rq, track_state *st, int http_status, json_t *extra)
{
    json_t *ctx = show_context(rq, st);
    if (!ctx) {
        json_decref(extra);
        return;
    }
    if (extra) {
        json_object_update(ctx, extra);
        json_decref(extra);
    }
    /* A failed reopen shows its form again even without ?regle=non. */
    json_t *q = json_object_get(ctx, "solved_question");
    if (q && json_object_get(ctx, "explication_error"))
        json_object_set_new(q, "reopen_form", json_true());
    prefix_title_on_error(rq, ctx);
    web_render(rq, http_status, "track/show", ctx);
}

static void show(http_req *rq)
{
    track_state *st = track_open(rq, form_get(&rq->query, "jeton"));
    if (!st)
        return;
    show_render(rq, st, 200, NULL);
}

/* ---- the citizen's writes ---- */

static void write_cont(http_req *rq)
{
    track_state *st = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc == 0) {
        http_redirect(rq, self_url(rq, st, st->done_flag));
        return;
    }
    for (size_t i = 0; i < st->n_atts; i++)
        attachment_discard(core_uploads(rq->core), &st->atts[i]);
    const char *key;
    switch (outcome->err.code) {
    case ERR_CONFLICT:
        key = strcmp(st->form_name, "avis") == 0      ? "track.error_already_rated"
              : strcmp(st->form_name, "rouvrir") == 0 ? "track.error_cannot_reopen"
              : strcmp(st->form_name, "reponse") == 0 ? "track.error_not_waiting"
                                                      : "track.error_conflict";
        break;
    case ERR_INVALID_ARG:
    case ERR_MISSING_ARG:
        key = strcmp(st->form_name, "nouvelles") == 0 ? "track.error_news" : "track.error_invalid";
        break;
    default:
        http_respond_error(rq, &outcome->err);
        return;
    }
    json_t *extra = json_object();
    const char *field = strcmp(st->form_name, "avis") == 0        ? "note"
                        : strcmp(st->form_name, "rouvrir") == 0   ? "explication"
                        : strcmp(st->form_name, "reponse") == 0   ? "reponse"
                        : strcmp(st->form_name, "nouvelles") == 0 ? "nouvelles"
                                                                  : "message";
    /* A group of radio buttons is reached by its first one. */
    const char *anchor = strcmp(field, "note") == 0        ? "#note-1"
                         : strcmp(field, "nouvelles") == 0 ? "#nouvelles"
                                                           : arena_printf(rq->arena, "#%s", field);
    add_error(extra, field, anchor, present_string(rq->present, rq->lang, key));
    present_set_str_opt(extra, arena_printf(rq->arena, "%s_value", field), st->text);
    present_set_str_opt(extra, "commentaire_value", st->comment);
    show_render(rq, st, err_http_status(outcome->err.code), extra);
}

/* The two forms of a text and files: the message to the mairie, and the answer to a
 * correction asked (its own field names: both forms are on one page). */
typedef struct text_form {
    const char *name;        /* the text field, and st->form_name */
    const char *files_field; /* where file errors are told */
    const char *done_flag;   /* the page's query flag after success */
    int answer;              /* 1: request_citizen_answer, else request_citizen_message */
} text_form;

static const text_form message_form = {"message", "fichiers", "envoye=1", 0};
static const text_form answer_form = {"reponse", "reponse_fichiers", "corrige=1", 1};

/* POST of a text_form: text and files (multipart). */
static void post_text(http_req *rq, const text_form *tf)
{
    error err;
    error_clear(&err);
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_and_files(rq, &f, &files, &n_files) != 0)
        return;
    track_state *st = track_open(rq, form_get(&f, "jeton"));
    if (!st)
        return;
    json_t *extra = json_object();
    web_upload_limits limits = web_upload_limits_of(rq);
    const char *msg_key = NULL;
    const char *raw = form_get(&f, tf->name);
    st->form_name = tf->name;
    st->text = check_text(rq, raw, MESSAGE_MAX_CHARS, 1, &msg_key);
    if (!st->text)
        add_error(extra, tf->name, arena_printf(rq->arena, "#%s", tf->name),
                  present_string(rq->present, rq->lang, msg_key));
    st->atts = n_files ? arena_alloc(rq->arena, n_files * sizeof *st->atts) : NULL;
    if (n_files && !st->atts) {
        json_decref(extra);
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    int http_status = 400; /* 503 when the antivirus could not scan a file */
    for (size_t i = 0; i < n_files; i++) {
        attachment_upload up = {files[i].field, files[i].filename, files[i].data, files[i].len};
        error aerr;
        error_clear(&aerr);
        const char *key = NULL, *max = NULL;
        int file_status = 400;
        if (files[i].refused == HTTP_FILE_TOO_MANY) {
            key = "track.error_files_count"; /* told by name; the message is kept */
            max = limits.files_words;
        } else if (attachment_prepare(core_uploads(rq->core), &up, rq->arena, &st->atts[st->n_atts],
                                      &aerr) == 0) {
            st->n_atts++;
            continue;
        } else if (attachment_is_too_large(&aerr)) {
            key = "track.error_file_too_large";
            max = limits.size_words;
        } else {
            file_status = web_file_refusal(rq, "track.error_file", &aerr, &key);
        }
        if (!file_status) {
            for (size_t k = 0; k < st->n_atts; k++)
                attachment_discard(core_uploads(rq->core), &st->atts[k]);
            json_decref(extra);
            http_respond_error(rq, &aerr);
            return;
        }
        if (file_status > http_status)
            http_status = file_status;
        const char *name = files[i].filename && *files[i].filename ? files[i].filename : "";
        char said[512];
        present_fill(said, sizeof said, present_string(rq->present, rq->lang, key), "max",
                     max ? max : "");
        add_error(extra, tf->files_field, arena_printf(rq->arena, "#%s", tf->files_field),
                  arena_printf(rq->arena, "%s%s%s", name, *name ? " — " : "", said));
        if (file_status == 503)
            break; /* the next files would wait for the antivirus as long */
    }
    if (json_object_get(extra, "errors")) {
        for (size_t k = 0; k < st->n_atts; k++)
            attachment_discard(core_uploads(rq->core), &st->atts[k]);
        st->n_atts = 0;
        present_set_str_opt(extra, arena_printf(rq->arena, "%s_value", tf->name), raw);
        show_render(rq, st, http_status, extra);
        return;
    }
    json_decref(extra);
    st->done_flag = tf->done_flag;
    http_wait *w = http_wait_begin(rq, write_cont);
    core_actor who = portal_citizen(rq, st->has_account ? st->acc.id : 0);
    int rc =
        tf->answer
            ? request_citizen_answer(
                  rq->core, st->tenant, st->req.reference, &who, st->text, st->atts, st->n_atts,
                  arena_printf(rq->arena, "%s/suivi", http_base_url(rq, st->tenant)), CHANNEL_WEB,
                  http_wait_done, w, &err)
            : request_citizen_message(rq->core, st->tenant, st->req.reference, &who, st->text,
                                      st->atts, st->n_atts, CHANNEL_WEB, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* POST /suivi/{ref}/message: the citizen writes to the mairie. */
static void post_message(http_req *rq)
{
    post_text(rq, &message_form);
}

/* POST /suivi/{ref}/correction: the citizen answers the correction or document asked. */
static void post_answer(http_req *rq)
{
    post_text(rq, &answer_form);
}

/* A citizen's small form on the tracking page: its body read, its CSRF token checked, the
 * request opened with the form's token or the account. NULL after answering. */
static track_state *track_form_open(http_req *rq, form *f)
{
    error err;
    error_clear(&err);
    if (http_form_body(rq, f, &err) != 0) {
        http_respond_error(rq, &err);
        return NULL;
    }
    if (web_check_csrf(rq, f) != 0)
        return NULL;
    return track_open(rq, form_get(f, "jeton"));
}

/* POST /suivi/{ref}/avis: a rating from 1 to 5 and an optional comment. */
static void post_rating(http_req *rq)
{
    error err;
    error_clear(&err);
    form f;
    track_state *st = track_form_open(rq, &f);
    if (!st)
        return;
    json_t *extra = json_object();
    st->form_name = "avis";
    const char *note = form_get(&f, "note");
    if (note && note[0] >= '1' && note[0] <= '5' && note[1] == '\0')
        st->rating = note[0] - '0';
    else
        add_error(extra, "note", "#note-1",
                  present_string(rq->present, rq->lang, "track.error_rating"));
    const char *msg_key = NULL;
    const char *raw = form_get(&f, "commentaire");
    st->comment = check_text(rq, raw, COMMENT_MAX_CHARS, 0, &msg_key);
    if (msg_key)
        add_error(extra, "commentaire", "#commentaire",
                  present_string(rq->present, rq->lang, msg_key));
    if (json_object_get(extra, "errors")) {
        present_set_str_opt(extra, "commentaire_value", raw);
        show_render(rq, st, 400, extra);
        return;
    }
    json_decref(extra);
    st->done_flag = "avis=1";
    http_wait *w = http_wait_begin(rq, write_cont);
    core_actor who = portal_citizen(rq, st->has_account ? st->acc.id : 0);
    int rc = request_rate(rq->core, st->tenant, st->req.reference, &who, st->rating, st->comment,
                          http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* POST /suivi/{ref}/nouvelles: how the citizen hears of the request (e-mail, SMS, none). */
static void post_news(http_req *rq)
{
    error err;
    error_clear(&err);
    form f;
    track_state *st = track_form_open(rq, &f);
    if (!st)
        return;
    st->form_name = "nouvelles";
    st->done_flag = "nouvelles=1";
    const char *notify = form_get(&f, "nouvelles");
    http_wait *w = http_wait_begin(rq, write_cont);
    core_actor who = portal_citizen(rq, st->has_account ? st->acc.id : 0);
    int rc = request_set_news(rq->core, st->tenant, st->req.reference, &who, notify ? notify : "",
                              http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* POST /suivi/{ref}/rouvrir: «Non, le problème n'est pas réglé», in the citizen's words. */
static void post_reopen(http_req *rq)
{
    error err;
    error_clear(&err);
    form f;
    track_state *st = track_form_open(rq, &f);
    if (!st)
        return;
    st->form_name = "rouvrir";
    const char *msg_key = NULL;
    const char *raw = form_get(&f, "explication");
    st->text = check_text(rq, raw, REOPEN_MAX_CHARS, 1, &msg_key);
    if (!st->text) {
        json_t *extra = json_object();
        add_error(extra, "explication", "#explication",
                  present_string(rq->present, rq->lang, msg_key));
        present_set_str_opt(extra, "explication_value", raw);
        show_render(rq, st, 400, extra);
        return;
    }
    st->done_flag = "rouvert=1";
    http_wait *w = http_wait_begin(rq, write_cont);
    core_actor who = portal_citizen(rq, st->has_account ? st->acc.id : 0);
    int rc = request_reopen(rq->core, st->tenant, st->req.reference, &who, st->text, http_wait_done,
                            w, &err);
    http_wait_started(w, rc, &err);
}

/* ---- /suivi: finding a request by reference and tracking code ---- */

static void lookup_render(http_req *rq, int http_status, json_t *extra)
{
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "track.lookup_title"));
    store_account acc;
    if (web_account(rq, &acc))
        json_object_set_new(ctx, "logged_in", json_true());
    if (extra) {
        json_object_update(ctx, extra);
        json_decref(extra);
    }
    prefix_title_on_error(rq, ctx);
    web_render(rq, http_status, "track/lookup", ctx);
}

static void lookup_form(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    lookup_render(rq, 200, NULL);
}

/* A wait in words: "1 minute et 4 secondes", "15 minutes", "1 hour". */
static const char *wait_words(http_req *rq, int64_t seconds)
{
    static const struct {
        int64_t size;
        const char *one, *many;
    } units[] = {
        {3600, "track.unit_hour", "track.unit_hours"},
        {60, "track.unit_minute", "track.unit_minutes"},
        {1, "track.unit_second", "track.unit_seconds"},
    };
    const char *out = "";
    int parts = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && parts < 2; i++) {
        int64_t n = seconds / units[i].size;
        seconds %= units[i].size;
        if (n == 0)
            continue;
        const char *unit =
            present_string(rq->present, rq->lang, n > 1 ? units[i].many : units[i].one);
        out = arena_printf(rq->arena, "%s%s%" PRId64 " %s", out,
                           parts ? present_string(rq->present, rq->lang, "track.unit_and") : "", n,
                           unit);
        if (!out)
            return "";
        parts++;
    }
    return out;
}

/* What a lookup keeps across the check's write. */
typedef struct lookup_state {
    const char *reference, *code; /* as typed (trimmed), shown again on refusal */
    request_code_result res;
} lookup_state;

static void lookup_refused(http_req *rq, const lookup_state *ls, int http_status, const char *field,
                           const char *text)
{
    json_t *extra = json_object();
    present_set_str_opt(extra, "reference_value", ls->reference);
    present_set_str_opt(extra, "code_value", ls->code);
    add_error(extra, field, field ? arena_printf(rq->arena, "#%s", field) : "#reference", text);
    if (!field)
        json_object_set_new(extra, "no_match", json_true());
    lookup_render(rq, http_status, extra);
}

static void lookup_checked(http_req *rq)
{
    lookup_state *ls = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc != 0 && outcome->err.code == ERR_INVALID_ARG) {
        /* A reference or a code that cannot be one: a typo, said as such and not counted. */
        int is_ref = strcmp(outcome->err.arg, "reference") == 0;
        lookup_refused(
            rq, ls, 400, is_ref ? "reference" : "code",
            present_string(rq->present, rq->lang,
                           is_ref ? "track.error_reference_shape" : "track.error_code_shape"));
        return;
    }
    if (outcome->rc != 0) {
        http_respond_error(rq, &outcome->err);
        return;
    }
    if (ls->res.opened) {
        http_redirect(rq, arena_printf(rq->arena, "/suivi/%s?jeton=%s",
                                       tracking_url_encode(rq, ls->reference),
                                       tracking_url_encode(rq, ls->res.pass)));
        return;
    }
    /* The same answer whether the reference exists, the code was wrong, or it was not even
     * looked at because a delay runs: only the wait differs. 429: try again later. */
    const char *text = arena_printf(rq->arena, "%s %s %s.",
                                    present_string(rq->present, rq->lang, "track.error_no_match"),
                                    present_string(rq->present, rq->lang, "track.error_wait"),
                                    wait_words(rq, ls->res.wait_seconds));
    http_add_header(rq, "Retry-After", arena_printf(rq->arena, "%" PRId64, ls->res.wait_seconds));
    lookup_refused(rq, ls, 429, NULL, text);
}

static void lookup_post(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    if (http_form_body(rq, &f, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (web_check_csrf(rq, &f) != 0)
        return;
    const char *bucket = arena_printf(rq->arena, "suivi:%s", rq->client_ip ? rq->client_ip : "");
    if (!bucket || http_ratelimit(rq, bucket, LOOKUP_RATE, LOOKUP_BURST, &err) != 0) {
        if (!bucket)
            error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    lookup_state *ls = arena_alloc(rq->arena, sizeof *ls);
    if (!ls) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    memset(ls, 0, sizeof *ls);
    rq->user = ls;
    ls->reference = trim(rq, form_get(&f, "reference"));
    ls->code = trim(rq, form_get(&f, "code"));
    json_t *extra = json_object();
    present_set_str_opt(extra, "reference_value", ls->reference);
    present_set_str_opt(extra, "code_value", ls->code);
    if (!ls->reference || !*ls->reference)
        add_error(extra, "reference", "#reference",
                  present_string(rq->present, rq->lang, "track.error_reference"));
    if (!ls->code || !*ls->code)
        add_error(extra, "code", "#code",
                  present_string(rq->present, rq->lang, "track.error_code"));
    if (json_object_get(extra, "errors")) {
        lookup_render(rq, 400, extra);
        return;
    }
    json_decref(extra);
    http_wait *w = http_wait_begin(rq, lookup_checked);
    int rc = request_code_check(rq->core, t, ls->reference, ls->code, web_client_network(rq),
                                &ls->res, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* ---- «Mes demandes» ---- */

static void mine(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_account acc;
    if (!web_account(rq, &acc)) {
        http_redirect(rq, "/compte/connexion?retour=/mes-demandes");
        return;
    }
    long page = tracking_page_param(rq);
    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = t->rec.id;
    request_filter_owned_by(&flt, &acc);
    flt.offset = (size_t)(page - 1) * MINE_PER_PAGE;
    flt.limit = MINE_PER_PAGE;
    int64_t total = 0;
    store_request *rows = NULL;
    size_t n = 0;
    if (request_count(rq->core, &flt, &total, &err) != 0 ||
        request_search(rq->core, &flt, rq->arena, &rows, &n, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "mine.title"));
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const store_request *r = &rows[i];
        const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
        json_t *o = json_object();
        present_set_str_opt(o, "reference", r->reference);
        present_set_str_opt(
            o, "url", arena_printf(rq->arena, "/suivi/%s", tracking_url_encode(rq, r->reference)));
        present_set_str_opt(o, "procedure", web_procedure_name(rq, p));
        present_set_str(o, "icon", web_procedure_icon(p));
        web_set_status(rq, o, p, r->status, rq->lang, WEB_CITIZEN);
        present_set_str_opt(o, "channel",
                            present_string(rq->present, rq->lang,
                                           arena_printf(rq->arena, "track.channel_%s",
                                                        r->channel ? r->channel : "web")));
        tracking_set_date(rq, t, o, "filed", r->created_at, 0);
        tracking_set_date(rq, t, o, "updated", r->updated_at, 0);
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "requests", list);
    json_object_set_new(ctx, "total", json_integer(total));
    present_set_str_opt(ctx, "total_word",
                        present_plural(rq->present, rq->lang, total, "mine.requests"));
    json_object_set_new(ctx, "verified", json_boolean(acc.email_verified_at != 0));
    tracking_set_pages(rq, ctx, page, total, MINE_PER_PAGE, "/mes-demandes?");
    web_render(rq, 200, "mine/list", ctx);
}

const http_route portal_tracking_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/suivi", lookup_form},
    {HTTP_POST, "/suivi", lookup_post},
    {HTTP_GET | HTTP_HEAD, "/suivi/{}", show},
    {HTTP_POST | HTTP_ROUTE_FILES, "/suivi/{}/message", post_message},
    {HTTP_POST | HTTP_ROUTE_FILES, "/suivi/{}/correction", post_answer},
    {HTTP_POST, "/suivi/{}/avis", post_rating},
    {HTTP_POST, "/suivi/{}/rouvrir", post_reopen},
    {HTTP_POST, "/suivi/{}/nouvelles", post_news},
    {HTTP_GET | HTTP_HEAD, "/mes-demandes", mine},
    {HTTP_GET | HTTP_HEAD, "/signalements", tracking_public_list},
    {HTTP_GET | HTTP_HEAD, "/signalements/autour", tracking_public_nearby},
    {HTTP_GET | HTTP_HEAD, "/signalements/{}", tracking_public_show},
    {HTTP_POST, "/signalements/{}/moi-aussi", tracking_public_support},
    {0, NULL, NULL},
};

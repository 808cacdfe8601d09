/*
 * open311 — GeoReport v2 handlers. Each endpoint writes its document once through docw (JSON
 * or XML), picks the tenant from jurisdiction_id or the Host header, and answers errors as
 * the spec's <errors> list with the HTTP status as code. POST suspends the connection while
 * the group-commit writer makes the new request durable. The GET of one request is the
 * benchmarked hot path: one store read and the JSON written straight into the response.
 */
#include "api/open311/open311.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/open311/docw.h"
#include "api/open311/params.h"
#include "core/apikey.h"
#include "core/forms.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/workflow.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define SPEC_URL "http://wiki.open311.org/GeoReport_v2"
/* Where mySociety describes the servicerequestupdates extension FixMyStreet speaks. */
#define UPDATES_SPEC_URL                                                                           \
    "https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311"
#define ELLIPSIS "\xE2\x80\xA6" /* U+2026, one character */

/* ---- errors ---- */

/* The Open311 HTTP status of an error: the spec wants 403 for any api_key problem. */
static int error_status(const error *err)
{
    if (err->code == ERR_UNAUTHORIZED)
        return 403;
    return err_http_status(err->code);
}

/* "arg: detail" for a client's mistake; a generic sentence for our own failures, whose
 * details go to the log only. */
static const char *error_text(http_req *rq, const error *err)
{
    if (err->code == ERR_INTERNAL || err->code == ERR_UNAVAILABLE)
        return err_message(err->code, LANG_EN);
    const char *detail = err->detail;
    size_t alen = strlen(err->arg);
    if (detail[0] == '\0') {
        if (alen == 0)
            return err_message(err->code, LANG_EN);
        return arena_printf(rq->arena, "%s: %s", err->arg,
                            err->code == ERR_MISSING_ARG ? "missing" : "invalid");
    }
    if (alen == 0 || (strncmp(detail, err->arg, alen) == 0 && detail[alen] == ':'))
        return detail;
    return arena_printf(rq->arena, "%s: %s", err->arg, detail);
}

/* Writes the errors document for err in fmt and sets the status. */
static void write_errors(http_req *rq, docw_format fmt, const error *err)
{
    int code = error_status(err);
    if (code >= 500)
        log_error("open311 %s: %s (%s)", rq->path, err_name(err->code), err->detail);
    const char *text = error_text(rq, err);
    buf_reset(&rq->out);
    docw w;
    if (docw_begin(&w, fmt, &rq->out) == 0) {
        docw_list_begin(&w, "errors");
        docw_object_begin(&w, "error");
        docw_int(&w, "code", code);
        docw_string(&w, "description", text != NULL ? text : err_message(err->code, LANG_EN));
        docw_object_end(&w);
        docw_list_end(&w);
        docw_finish(&w);
    }
    http_respond(rq, code, docw_content_type(fmt));
}

void open311_write_error(http_req *rq, const error *err)
{
    docw_format fmt;
    if (docw_format_parse(rq->format, &fmt) < 0) {
        /* Refusals before routing (a malformed query string, a body over the limit) have
         * no format capture yet: the path's suffix still says what the client reads. */
        const char *dot = rq->path != NULL ? strrchr(rq->path, '.') : NULL;
        if (dot == NULL || strchr(dot, '/') != NULL || docw_format_parse(dot + 1, &fmt) < 0)
            fmt = DOCW_JSON;
    }
    write_errors(rq, fmt, err);
}

/* A handler's error: 503 tells the client when to retry (the rate limiter prepares its own
 * Retry-After). */
static void respond_error(http_req *rq, docw_format fmt, const error *err)
{
    if (err->code == ERR_UNAVAILABLE)
        http_add_header(rq, "Retry-After", "2");
    write_errors(rq, fmt, err);
}

static void fail(http_req *rq, docw_format fmt, err_code code, const char *arg, const char *text)
{
    error err;
    error_set(&err, code, arg, "%s", text);
    respond_error(rq, fmt, &err);
}

/* Sends the finished document, or a 500 when it could not be written whole. */
/* Sends the finished document, or a 500 when it could not be written whole; -1 then. */
static int send_doc(http_req *rq, docw *w, int http_status)
{
    if (docw_finish(w) < 0) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "response document could not be written");
        respond_error(rq, w->fmt, &err);
        return -1;
    }
    http_respond(rq, http_status, docw_content_type(w->fmt));
    return 0;
}

/* send_doc for the reads the server may keep: every Open311 read but the updates feed is
 * public data that depends only on the URI, the host and the language, so the server may
 * answer it again from memory until the next write. */
static void respond_doc(http_req *rq, docw *w, int http_status)
{
    if (send_doc(rq, w, http_status) == 0 && rq->method == HTTP_GET && http_status == 200)
        http_cacheable(rq);
}

/* Starts the answer's document; -1 after answering 500 when the writer cannot start. */
static int begin_doc(http_req *rq, docw_format fmt, docw *w)
{
    if (docw_begin(w, fmt, &rq->out) == 0)
        return 0;
    fail(rq, fmt, ERR_INTERNAL, NULL, "xml writer");
    return -1;
}

/* After a suspended write: -1 after answering its error, 0 when it succeeded. */
static int write_succeeded(http_req *rq, docw_format fmt)
{
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc >= 0)
        return 0;
    respond_error(rq, fmt, &outcome->err);
    return -1;
}

/* ---- common preamble ---- */

/* The route's format; unknown formats get a JSON 404, since nothing else can be assumed. */
static int get_format(http_req *rq, docw_format *fmt)
{
    if (docw_format_parse(rq->format, fmt) == 0)
        return 0;
    fail(rq, DOCW_JSON, ERR_NOT_FOUND, "format", "format: unknown, use .json or .xml");
    return -1;
}

/* The tenant named by jurisdiction_id, else the one the Host header chose. */
static const cat_tenant *pick_tenant(http_req *rq, const char *jurisdiction, error *err)
{
    if (jurisdiction != NULL) {
        const cat_tenant *t = catalogue_tenant_by_slug(rq->cat, jurisdiction);
        if (t == NULL)
            error_set(err, ERR_NOT_FOUND, "jurisdiction_id", "jurisdiction_id: not found");
        return t;
    }
    if (rq->host_tenant == NULL)
        error_set(err, ERR_MISSING_ARG, "jurisdiction_id",
                  "jurisdiction_id: missing (this endpoint serves several jurisdictions)");
    return rq->host_tenant;
}

/* Format and tenant for the GET endpoints that take no other query argument. */
static const cat_tenant *begin_simple(http_req *rq, docw_format *fmt)
{
    if (get_format(rq, fmt) < 0)
        return NULL;
    error err;
    const char *jurisdiction = NULL;
    if (o311_params_jurisdiction(&rq->query, &jurisdiction, &err) < 0) {
        respond_error(rq, *fmt, &err);
        return NULL;
    }
    const cat_tenant *t = pick_tenant(rq, jurisdiction, &err);
    if (t == NULL)
        respond_error(rq, *fmt, &err);
    return t;
}

static int exposed(const cat_procedure *p)
{
    return p != NULL && p->rec.open311 && p->rec.active;
}

/* What the GET endpoints show of p's requests: nothing unless p is exposed on Open311, and
 * never more than its setting, whatever the stored value. */
static open311_detail detail_of(const cat_procedure *p)
{
    if (p == NULL || !p->rec.open311)
        return OPEN311_DETAIL_NONE;
    if (p->rec.open311_detail >= OPEN311_DETAIL_FULL)
        return OPEN311_DETAIL_FULL;
    if (p->rec.open311_detail == OPEN311_DETAIL_STATUS)
        return OPEN311_DETAIL_STATUS;
    return OPEN311_DETAIL_NONE;
}

/* ---- discovery ---- */

static void h_discovery(http_req *rq)
{
    docw_format fmt;
    const cat_tenant *t = begin_simple(rq, &fmt);
    if (t == NULL)
        return;
    const char *contact =
        t->rec.contact != NULL && t->rec.contact[0] != '\0' ? t->rec.contact : t->rec.name;
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_object_begin(&w, "discovery");
    docw_string(&w, "changeset", OPEN311_CHANGESET);
    docw_string(&w, "contact", contact);
    docw_string(&w, "key_service",
                arena_printf(rq->arena,
                             "API keys for posting requests are issued by %s on request: %s",
                             t->rec.name, contact));
    /* GeoReport v2 itself, then the same endpoint again for mySociety's service request
     * updates: a client looks for the specification it speaks. */
    const char *url = arena_printf(rq->arena, "%s/open311/v2", http_base_url(rq, t));
    static const char *const specifications[] = {SPEC_URL, UPDATES_SPEC_URL};
    docw_list_begin(&w, "endpoints");
    for (size_t i = 0; i < sizeof specifications / sizeof specifications[0]; i++) {
        docw_object_begin(&w, "endpoint");
        docw_string(&w, "specification", specifications[i]);
        docw_string(&w, "url", url);
        docw_string(&w, "changeset", OPEN311_CHANGESET);
        docw_string(&w, "type", "production");
        docw_list_begin(&w, "formats");
        docw_string(&w, "format", "text/xml");
        docw_string(&w, "format", "application/json");
        docw_list_end(&w);
        docw_object_end(&w);
    }
    docw_list_end(&w);
    docw_object_end(&w);
    respond_doc(rq, &w, 200);
}

/* ---- services ---- */

static void h_services(http_req *rq)
{
    docw_format fmt;
    const cat_tenant *t = begin_simple(rq, &fmt);
    if (t == NULL)
        return;
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_list_begin(&w, "services");
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *p = &t->procedures[i];
        if (!exposed(p))
            continue;
        docw_object_begin(&w, "service");
        docw_string(&w, "service_code", p->rec.code);
        docw_string(&w, "service_name", p->rec.name);
        docw_string(&w, "description", p->rec.description);
        docw_bool(&w, "metadata", p->n_attrs > 0);
        docw_string(&w, "type", "realtime"); /* every request gets its id at once */
        docw_string(&w, "keywords", p->rec.keywords);
        docw_string(&w, "group", p->rec.group_name);
        docw_object_end(&w);
    }
    docw_list_end(&w);
    respond_doc(rq, &w, 200);
}

/* GeoReport v2 has no date datatype: a date question is shown as a datetime whose
 * datatype_description says a day is expected (and what becomes of a time sent with it).
 * Nor formats: a string question's datatype_description says what its format accepts. */
static const char *const date_expected[2] = {
    [LANG_FR] = "Une date sans heure, AAAA-MM-JJ ; d’une date et heure, seule la date écrite est "
                "gardée.",
    [LANG_EN] = "A date with no time, YYYY-MM-DD; of a date and time, only the written date is "
                "kept.",
};

/* One attribute of a service definition. Its texts are in language l: French unless the
 * request asked English (?lang=en, or an Accept-Language that starts with en), and then the
 * English ones where the procedure gives them; codes and keys never change. */
static void write_attribute_def(docw *w, const attr_def *d, lang l)
{
    docw_object_begin(w, "attribute");
    docw_bool(w, "variable", d->variable);
    docw_string(w, "code", d->code);
    int is_date = d->type == ATTR_DATE;
    docw_string(w, "datatype", attr_type_name(is_date ? ATTR_DATETIME : d->type));
    /* A question a condition may hide cannot be required of every client: the server
     * checks it when its condition holds (attrs_validate: a 400 naming it). */
    docw_bool(w, "required", d->required && !d->conditional);
    const char *hint = attr_hint(d, l);
    /* A hint has at most ATTR_LABEL_MAX characters of up to 4 bytes. */
    char dated[ATTR_LABEL_MAX * 4 + 512];
    /* What the server checks of a value goes after the procedure's own hint: a date
     * question's day, a string question's format (SIRET, IBAN…). */
    const char *note =
        is_date ? date_expected[l == LANG_EN ? LANG_EN : LANG_FR] : attr_format_note(d->format, l);
    if (note) {
        if (hint && *hint)
            snprintf(dated, sizeof dated, "%s (%s)", hint, note);
        else
            snprintf(dated, sizeof dated, "%s", note);
        hint = dated;
    }
    docw_string(w, "datatype_description", hint);
    docw_int(w, "order", d->order);
    docw_string(w, "description", attr_label(d, l));
    if (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST) {
        docw_list_begin(w, "values");
        for (size_t k = 0; k < d->n_values; k++) {
            docw_object_begin(w, "value");
            docw_string(w, "key", d->values[k].key);
            docw_string(w, "name", attr_value_name(d, d->values[k].key, l));
            docw_object_end(w);
        }
        docw_list_end(w);
    }
    docw_object_end(w);
}

static void h_service_definition(http_req *rq)
{
    docw_format fmt;
    const cat_tenant *t = begin_simple(rq, &fmt);
    if (t == NULL)
        return;
    const cat_procedure *p = catalogue_procedure(t, rq->params[0]);
    if (!exposed(p)) {
        fail(rq, fmt, ERR_NOT_FOUND, "service_code", "service_code: not found");
        return;
    }
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_object_begin(&w, "service_definition");
    docw_string(&w, "service_code", p->rec.code);
    docw_list_begin(&w, "attributes");
    /* Derived from the form: sections are not questions; yes/no is a singlevaluelist of
     * oui and non (attrs parses it so). */
    for (size_t i = 0; i < p->n_attrs; i++)
        if (attr_open311_exposed(&p->attrs[i]))
            write_attribute_def(&w, &p->attrs[i], rq->lang);
    docw_list_end(&w);
    docw_object_end(&w);
    respond_doc(rq, &w, 200);
}

/* ---- tokens ---- */

static void h_token(http_req *rq)
{
    docw_format fmt;
    const cat_tenant *t = begin_simple(rq, &fmt);
    if (t == NULL)
        return;
    /* Every service is realtime: no token was ever issued, so none can be found. */
    fail(rq, fmt, ERR_NOT_FOUND, "token", "token: not found (this server issues no tokens)");
}

/* ---- service requests: output ---- */

/* Public timeline events of the requests being written (extensions=true), sorted by
 * request then time so that each request's notes are one contiguous run. */
typedef struct notes {
    store_event *ev;
    size_t n;
} notes;

static int event_cmp(const void *pa, const void *pb)
{
    const store_event *a = pa, *b = pb;
    if (a->request_id != b->request_id)
        return a->request_id < b->request_id ? -1 : 1;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

static void write_time(docw *w, const char *name, int64_t t, const char *tz)
{
    if (t == 0) {
        docw_null(w, name);
        return;
    }
    char text[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, text);
    docw_string(w, name, text);
}

/* The description within the schema's 4,000 characters: longer ones (from e-mail or the
 * counter) are cut to 3,999 characters plus an ellipsis. */
static void write_description(docw *w, const char *d)
{
    if (d == NULL) {
        docw_null(w, "description");
        return;
    }
    size_t len = strlen(d);
    if (len <= O311_DESCRIPTION_MAX || utf8_length(d, len) <= O311_DESCRIPTION_MAX) {
        docw_string_n(w, "description", d, len);
        return;
    }
    size_t cut = utf8_prefix_bytes(d, len, O311_DESCRIPTION_MAX - 1);
    char *tmp = malloc(cut + sizeof ELLIPSIS);
    if (tmp == NULL) {
        w->failed = 1;
        return;
    }
    memcpy(tmp, d, cut);
    memcpy(tmp + cut, ELLIPSIS, sizeof ELLIPSIS);
    docw_string_n(w, "description", tmp, cut + sizeof ELLIPSIS - 1);
    free(tmp);
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 when the byte at p may stay as it is in a URI (RFC 3986): an unreserved or reserved
 * character, or a '%' that starts an escape. `[` and `]` only in the authority (an IPv6
 * literal), `#` only once. */
static int uri_byte_ok(const unsigned char *p, int in_authority, int seen_hash)
{
    unsigned char c = *p;
    if (c == '%')
        return is_hex(p[1]) && is_hex(p[2]);
    if (c <= 0x20 || c >= 0x7F)
        return 0;
    if (c == '[' || c == ']')
        return in_authority;
    if (c == '#')
        return !seen_hash;
    return strchr("\"<>\\^`{|}", c) == NULL;
}

/* media_url as a URI. It is stored as the client gave it, which core only checks to start
 * with http:// or https://: it may be an IRI («…/façade.jpg») or hold characters no URI
 * has («|», «{»). Those bytes are percent-encoded (RFC 3987, 3.1), a '%' that starts no
 * escape included, so that the answer holds a URI as the spec and the schemas say. url
 * itself when nothing needs encoding; NULL for NULL, or when the arena is full. */
static const char *uri_of(arena *a, const char *url)
{
    if (url == NULL)
        return NULL;
    size_t len = 0, extra = 0;
    int slashes = 0, hash = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++, len++) {
        int in_authority = slashes == 2;
        if (!uri_byte_ok(p, in_authority, hash))
            extra += 2;
        if (*p == '/' && slashes < 3)
            slashes++;
        if (*p == '#')
            hash = 1;
    }
    if (extra == 0)
        return url;
    char *out = arena_alloc(a, len + extra + 1);
    if (out == NULL)
        return NULL;
    static const char hexdigits[] = "0123456789ABCDEF";
    size_t o = 0;
    slashes = 0;
    hash = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (uri_byte_ok(p, slashes == 2, hash)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hexdigits[*p >> 4];
            out[o++] = hexdigits[*p & 0x0F];
        }
        if (*p == '/' && slashes < 3)
            slashes++;
        if (*p == '#')
            hash = 1;
    }
    out[o] = '\0';
    return out;
}

/* One entry of the Extensions "attributes" list: name is the attribute code, label its
 * description, code the stored value (a list key) and value its human-readable name, texts in
 * language l as in the service definition. */
static void write_attr_value(docw *w, const attr_def *d, const char *code, const char *value,
                             lang l)
{
    const char *shown = d != NULL ? attr_value_name(d, value, l) : value;
    docw_object_begin(w, "attribute");
    docw_string(w, "label", d != NULL ? attr_label(d, l) : NULL);
    docw_string(w, "name", code);
    docw_string(w, "value", shown);
    docw_string(w, "code", value);
    docw_object_end(w);
}

/* The values of json with the labels of defs[0..n), the form's version the request was
 * filed under. */
static void write_attr_values(docw *w, const attr_def *defs, size_t n, const char *json, lang l)
{
    docw_list_begin(w, "attributes");
    json_t *root = json != NULL ? json_loads(json, 0, NULL) : NULL;
    const char *code;
    json_t *v;
    if (json_is_object(root)) {
        json_object_foreach(root, code, v)
        {
            const attr_def *d = attrs_find(defs, n, code);
            if (json_is_string(v)) {
                write_attr_value(w, d, code, json_string_value(v), l);
            } else if (json_is_array(v)) {
                size_t i;
                json_t *item;
                json_array_foreach(v, i, item)
                {
                    if (json_is_string(item))
                        write_attr_value(w, d, code, json_string_value(item), l);
                }
            }
        }
    }
    json_decref(root);
    docw_list_end(w);
}

/* The label a status change is told by (the citizens' words: Open311 is public); NULL when
 * code is no status of p's workflow. */
static const char *status_text(http_req *rq, const cat_procedure *p, const char *code)
{
    return p && workflow_status(p->workflow, code)
               ? workflow_citizen_label(p->workflow, code, rq->lang)
               : NULL;
}

/* The text of a public event as Open311 tells it. The citizen's own words (a message, a
 * rating's comment, the reason of a reopening) are never written, as their description is
 * not: they may name people, and only an agent's words are moderated. A status change the
 * citizen made is told by its status alone; NULL for their other events. */
static const char *note_text(http_req *rq, const cat_procedure *p, const store_event *e)
{
    /* A workflow timeout's meaning is a code (accord, rejet): the status change written beside
     * it tells Open311 clients what happened. */
    if (e->kind && strcmp(e->kind, "timeout") == 0)
        return NULL;
    if (!request_event_by_citizen(e) && e->body != NULL && e->body[0] != '\0')
        return e->body;
    return status_text(rq, p, e->status_to);
}

/* The notes of request_id. With status_only, only the status changes, labelled by their
 * status alone: the text agents write with them may name someone. */
static void write_notes(http_req *rq, docw *w, const cat_procedure *p, const notes *ns,
                        int64_t request_id, const char *tz, int status_only)
{
    docw_list_begin(w, "notes");
    size_t lo = 0, hi = ns->n;
    while (lo < hi) { /* first event of request_id */
        size_t mid = lo + (hi - lo) / 2;
        if (ns->ev[mid].request_id < request_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < ns->n && ns->ev[i].request_id == request_id; i++) {
        const store_event *e = &ns->ev[i];
        if (!e->is_public) /* the store filtered already; never trust one layer alone */
            continue;
        const char *label = status_text(rq, p, e->status_to);
        if (status_only && !label)
            continue;
        const char *text = status_only ? label : note_text(rq, p, e);
        if (text == NULL)
            continue; /* the citizen's own words: not for Open311 (note_text) */
        docw_object_begin(w, "note");
        write_time(w, "datetime", e->created_at, tz);
        docw_string(w, "description", text);
        docw_string(w, "type", e->kind);
        docw_object_end(w);
    }
    docw_list_end(w);
}

/* One <request>. Personal data (names, e-mail, phone, device and account ids) and the
 * tracking token are never written; for a procedure whose detail is STATUS, nothing of what
 * the request is about either (description, place, media, status notes, attributes, notes'
 * text): the elements stay, empty, so that clients read one shape. */
static void write_request(http_req *rq, docw *w, const cat_tenant *t, const cat_procedure *p,
                          const store_request *r, const notes *ns)
{
    const char *tz = t->rec.timezone;
    int full = detail_of(p) == OPEN311_DETAIL_FULL;
    const cat_department *dep =
        r->department_id != 0 ? catalogue_department_by_id(t, r->department_id) : p->department;
    docw_object_begin(w, "request");
    docw_string(w, "service_request_id", r->reference);
    docw_string(w, "status", workflow_open311(p->workflow, r->status));
    docw_string(w, "status_notes", full ? r->status_notes : NULL);
    docw_string(w, "service_name", p->rec.name);
    docw_string(w, "service_code", p->rec.code);
    /* The public text an agent approved, never the citizen's own words (request_public.h). */
    write_description(w, full ? request_public_text(r) : NULL);
    docw_string(w, "agency_responsible", dep != NULL ? dep->rec.name : NULL);
    docw_string(w, "service_notice", p->rec.service_notice);
    write_time(w, "requested_datetime", r->created_at, tz);
    write_time(w, "updated_datetime", r->updated_at != 0 ? r->updated_at : r->created_at, tz);
    write_time(w, "expected_datetime", r->due_at, tz);
    docw_string(w, "address", full ? r->address : NULL);
    docw_string(w, "address_id", full ? r->address_id : NULL);
    docw_string(w, "zipcode", full ? r->zipcode : NULL);
    if (full && r->has_location) {
        docw_double(w, "lat", r->lat);
        docw_double(w, "long", r->lon);
    } else {
        docw_null(w, "lat");
        docw_null(w, "long");
    }
    const char *media = full ? uri_of(rq->arena, r->media_url) : NULL;
    if (full && r->media_url != NULL && media == NULL)
        w->failed = 1; /* arena full: a 500 rather than a request without its media */
    docw_string(w, "media_url", media);
    if (ns != NULL) {
        const attr_def *defs = NULL;
        size_t n_defs = 0;
        if (p != NULL && full)
            forms_at(rq->core, p, r->procedure_version, rq->arena, &defs, &n_defs);
        write_attr_values(w, defs, n_defs, full ? r->attributes : NULL, rq->lang);
        docw_object_begin(w, "extended_attributes");
        docw_string(w, "channel", r->channel);
        /* A merged duplicate (closed): the request its matter goes on in. A reference is no
         * personal data, and it says why the request closed, so every level shows it. */
        if (r->merged_into_reference)
            docw_string(w, "merged_into", r->merged_into_reference);
        /* FixMyStreet's finer status (FIXED, IN_PROGRESS…), where the workflow gives one. */
        const char *extended = workflow_extended_status(p->workflow, r->status);
        if (extended)
            docw_string(w, "extended_status", extended);
        docw_object_end(w);
        write_notes(rq, w, p, ns, r->id, tz, !full);
    }
    docw_object_end(w);
}

/* Loads the public timelines of reqs[0..n) into ns (sorted). */
static int load_notes(http_req *rq, const cat_tenant *t, const store_request *reqs, size_t n,
                      notes *ns, error *err)
{
    ns->ev = NULL;
    ns->n = 0;
    if (n == 0)
        return 0;
    int64_t *ids = arena_alloc(rq->arena, n * sizeof *ids);
    if (ids == NULL)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        ids[i] = reqs[i].id;
    if (request_timelines(rq->core, t, ids, n, 1, rq->arena, &ns->ev, &ns->n, err) < 0)
        return -1;
    if (ns->n > 1)
        qsort(ns->ev, ns->n, sizeof *ns->ev, event_cmp);
    return 0;
}

/* ---- GET requests/{id} ---- */

static int query_extensions(http_req *rq, int *ext, error *err)
{
    const char *v = form_get(&rq->query, "extensions");
    *ext = 0;
    if (v == NULL || v[0] == '\0' || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *ext = 1;
        return 0;
    }
    return error_set(err, ERR_INVALID_ARG, "extensions", "extensions: must be true or false");
}

static void h_request_one(http_req *rq)
{
    docw_format fmt;
    const cat_tenant *t = begin_simple(rq, &fmt);
    if (t == NULL)
        return;
    error err;
    int ext;
    if (query_extensions(rq, &ext, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    store_request r;
    if (request_get(rq->core, t, rq->params[0], rq->arena, &r, &err) < 0) {
        if (err.code == ERR_NOT_FOUND)
            fail(rq, fmt, ERR_NOT_FOUND, "service_request_id", "service_request_id: not found");
        else
            respond_error(rq, fmt, &err);
        return;
    }
    /* A request Open311 may not show is answered exactly like one that does not exist. */
    const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
    if (detail_of(p) == OPEN311_DETAIL_NONE) {
        fail(rq, fmt, ERR_NOT_FOUND, "service_request_id", "service_request_id: not found");
        return;
    }
    notes ns;
    if (ext && load_notes(rq, t, &r, 1, &ns, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_list_begin(&w, "service_requests"); /* one request is still a list */
    write_request(rq, &w, t, p, &r, ext ? &ns : NULL);
    docw_list_end(&w);
    respond_doc(rq, &w, 200);
}

/* ---- GET requests ---- */

/* The store statuses behind the Open311 open/closed filter: the codes the collectivité's
 * workflows map to it. */
static void filter_statuses(store_request_filter *f, const cat_tenant *t, const o311_query *q)
{
    if (q->want_open == q->want_closed)
        return; /* neither or both: every status */
    f->n_statuses =
        workflow_tenant_codes(t, q->want_closed ? WORKFLOW_CODES_CLOSED : WORKFLOW_CODES_OPEN,
                              f->statuses, STORE_FILTER_MAX_LIST);
}

/* Appends the results of one search to *all (grown in the arena). */
static int search_append(http_req *rq, const store_request_filter *f, store_request **all,
                         size_t *n_all, error *err)
{
    store_request *found = NULL;
    size_t n = 0;
    if (request_search(rq->core, f, rq->arena, &found, &n, err) < 0)
        return -1;
    if (*n_all == 0) {
        *all = found;
        *n_all = n;
        return 0;
    }
    if (n == 0)
        return 0;
    store_request *joined = arena_alloc(rq->arena, (*n_all + n) * sizeof *joined);
    if (joined == NULL)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    memcpy(joined, *all, *n_all * sizeof *joined);
    memcpy(joined + *n_all, found, n * sizeof *joined);
    *all = joined;
    *n_all += n;
    return 0;
}

/* Runs the search the filters describe; explicit ids go in chunks of the store's list size. */
static int run_search(http_req *rq, const cat_tenant *t, const o311_query *q, store_request **out,
                      size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    f.only_open311 = 1;
    if (q->n_ids > 0) {
        for (size_t i = 0; i < q->n_ids; i += STORE_FILTER_MAX_LIST) {
            size_t k = q->n_ids - i < STORE_FILTER_MAX_LIST ? q->n_ids - i : STORE_FILTER_MAX_LIST;
            for (size_t j = 0; j < k; j++)
                f.references[j] = q->ids[i + j];
            f.n_references = k;
            f.limit = k;
            if (search_append(rq, &f, out, n, err) < 0)
                return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < q->n_codes; i++) {
        const cat_procedure *p = catalogue_procedure(t, q->codes[i]);
        if (detail_of(p) != OPEN311_DETAIL_NONE)
            f.procedure_ids[f.n_procedure_ids++] = p->rec.id;
    }
    if (q->n_codes > 0 && f.n_procedure_ids == 0)
        return 0; /* only unknown codes: nothing matches */
    filter_statuses(&f, t, q);
    f.created_from = q->created_from;
    f.created_to = q->created_to;
    f.offset = (q->page - 1) * q->page_size;
    f.limit = q->page_size;
    return search_append(rq, &f, out, n, err);
}

static void get_requests(http_req *rq, docw_format fmt)
{
    error err;
    o311_query q;
    const char *jurisdiction = NULL;
    const cat_tenant *t = NULL;
    /* The tenant first: dates without an offset are read in its time zone. */
    if (o311_params_jurisdiction(&rq->query, &jurisdiction, &err) < 0 ||
        (t = pick_tenant(rq, jurisdiction, &err)) == NULL ||
        o311_params_query(rq->arena, &rq->query, time_now(), t->rec.timezone, &q, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    store_request *reqs = NULL;
    size_t n = 0;
    notes ns;
    if (run_search(rq, t, &q, &reqs, &n, &err) < 0 ||
        (q.extensions && load_notes(rq, t, reqs, n, &ns, &err) < 0)) {
        respond_error(rq, fmt, &err);
        return;
    }
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_list_begin(&w, "service_requests");
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p = catalogue_procedure_by_id(t, reqs[i].procedure_id);
        if (detail_of(p) == OPEN311_DETAIL_NONE) /* the store filtered, but not lookups by id */
            continue;
        write_request(rq, &w, t, p, &reqs[i], q.extensions ? &ns : NULL);
    }
    docw_list_end(&w);
    respond_doc(rq, &w, 200);
}

/* ---- POST requests ---- */

/* State kept across the suspension while the writer commits. */
typedef struct post_state {
    docw_format fmt;
    const cat_procedure *proc;
    request_created created;
} post_state;

static void post_finish(http_req *rq)
{
    post_state *st = rq->user;
    if (write_succeeded(rq, st->fmt) < 0)
        return;
    docw w;
    if (begin_doc(rq, st->fmt, &w) < 0)
        return;
    /* The tracking token in st->created is the citizen's secret: it is not written here.
     * account_id is personal data, so it stays null. */
    docw_list_begin(&w, "service_requests");
    docw_object_begin(&w, "request");
    docw_string(&w, "service_request_id", st->created.reference);
    docw_string(&w, "service_notice", st->proc->rec.service_notice);
    docw_null(&w, "account_id");
    docw_object_end(&w);
    docw_list_end(&w);
    /* 200 as in every example of the spec; a replayed POST answers the same. */
    respond_doc(rq, &w, 200);
}

/* The Open311 key named by `key` (a form value, maybe NULL), within its rate limit; -1
 * after answering 403 (the spec's status for any api_key problem) or the limiter's 429. */
static int authenticate(http_req *rq, docw_format fmt, const cat_tenant *t, const char *key,
                        store_apikey *k)
{
    error err;
    if (key == NULL || key[0] == '\0') {
        fail(rq, fmt, ERR_FORBIDDEN, "api_key", "api_key: missing");
        return -1;
    }
    if (apikey_authenticate(rq->core, t->rec.id, key, SCOPE_OPEN311, rq->arena, k, &err) < 0) {
        if (err.code == ERR_FORBIDDEN || err.code == ERR_UNAUTHORIZED)
            fail(rq, fmt, ERR_FORBIDDEN, "api_key", "api_key: invalid");
        else
            respond_error(rq, fmt, &err);
        return -1;
    }
    if (http_ratelimit_key(rq, k->id, &err) < 0) {
        respond_error(rq, fmt, &err);
        return -1;
    }
    return 0;
}

/* jurisdiction_id from the body, else from the query string. */
static int post_jurisdiction(http_req *rq, const form *body, const char **out, error *err)
{
    if (o311_params_jurisdiction(body, out, err) < 0)
        return -1;
    if (*out == NULL)
        return o311_params_jurisdiction(&rq->query, out, err);
    return 0;
}

static void post_requests(http_req *rq, docw_format fmt)
{
    error err;
    form body;
    const char *jurisdiction = NULL;
    if (http_form_body(rq, &body, &err) < 0 ||
        post_jurisdiction(rq, &body, &jurisdiction, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    const cat_tenant *t = pick_tenant(rq, jurisdiction, &err);
    if (t == NULL) {
        respond_error(rq, fmt, &err);
        return;
    }
    store_apikey k;
    if (authenticate(rq, fmt, t, form_get(&body, "api_key"), &k) < 0)
        return;
    o311_post p;
    if (o311_params_post(rq->arena, &body, &p, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    const cat_procedure *proc = catalogue_procedure(t, p.service_code);
    if (!exposed(proc)) {
        fail(rq, fmt, ERR_NOT_FOUND, "service_code", "service_code: not found");
        return;
    }
    const char *idem = http_header(rq, "Idempotency-Key");
    if (idem != NULL && !o311_idempotency_key_valid(idem)) {
        fail(rq, fmt, ERR_INVALID_ARG, "Idempotency-Key",
             "Idempotency-Key: 1 to 128 printable characters without spaces");
        return;
    }
    post_state *st = arena_alloc(rq->arena, sizeof *st);
    if (st == NULL) {
        fail(rq, fmt, ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    st->fmt = fmt;
    st->proc = proc;
    request_input in;
    memset(&in, 0, sizeof in);
    in.tenant = t;
    in.procedure = proc;
    in.ch = CHANNEL_API;
    in.description = p.description;
    in.description_max = O311_POST_DESCRIPTION_MAX;
    in.ignore_unknown_attrs = 1; /* clients send their own extra fields */
    in.has_location = p.has_location;
    in.lat = p.lat;
    in.lon = p.lon;
    in.address = p.address_string;
    in.address_id = p.address_id;
    in.attrs = p.attrs;
    in.n_attrs = p.n_attrs;
    in.first_name = p.first_name;
    in.last_name = p.last_name;
    in.email = p.email;
    in.phone = p.phone;
    in.device_id = p.device_id;
    in.account_id = p.account_id;
    in.media_url = p.media_url;
    /* The language of the messages about it: the body's lang, else the request's own
     * (?lang=, then Accept-Language), French by default. */
    in.lang_code = p.lang_code ? p.lang_code : rq->lang == LANG_EN ? "en" : "fr";
    /* An Open311 client's key: its reports are filed like a citizen's, not audited. */
    core_actor who = actor_of_key(&k, http_audit_source(rq, "api"), 1);
    in.who = &who;
    in.api_key_id = k.id;
    in.idempotency_key = idem;
    in.require_location = proc->rec.kind == PROCEDURE_INCIDENT;
    rq->user = st;
    /* Suspend before queuing: the writer may answer at any moment after. */
    http_wait *w = http_wait_begin(rq, post_finish);
    int rc = request_create(rq->core, &in, &st->created, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void h_requests(http_req *rq)
{
    docw_format fmt;
    if (get_format(rq, &fmt) < 0)
        return;
    if (rq->method == HTTP_POST)
        post_requests(rq, fmt);
    else
        get_requests(rq, fmt);
}

/* ---- service request updates (mySociety's extension) ---- */

/* The status an update shows for a status of p's workflow: its extended status, the values
 * FixMyStreet reads (docs/open311.md «Service request updates»); one without is OPEN or
 * CLOSED by its Open311 mapping. */
static const char *update_status_of(const cat_procedure *p, const char *code)
{
    const cat_workflow *wf = p ? p->workflow : NULL;
    const char *extended = workflow_extended_status(wf, code);
    if (extended)
        return extended;
    return strcmp(workflow_open311(wf, code), "closed") == 0 ? "CLOSED" : "OPEN";
}

/* One <request_update>. With status_only (the procedure shows its status alone), only status
 * changes, labelled by their status: the text with them may name someone. Returns 1 when
 * written, 0 when u is not for this procedure's eyes (nothing written). */
static int write_update(http_req *rq, docw *w, const cat_tenant *t, const store_update *u,
                        int status_only)
{
    const store_event *e = &u->ev;
    int is_status = e->status_to != NULL;
    if (status_only && !is_status)
        return 0;
    const cat_procedure *p = catalogue_procedure_by_id(t, u->procedure_id);
    const char *label = status_text(rq, p, e->status_to);
    const char *text = status_only && label ? label : note_text(rq, p, e);
    docw_object_begin(w, "request_update");
    docw_string(w, "update_id", arena_printf(rq->arena, "%" PRId64, e->id));
    docw_string(w, "service_request_id", u->reference);
    docw_string(w, "status", update_status_of(p, u->status_after));
    write_time(w, "updated_datetime", e->created_at, t->rec.timezone);
    write_description(w, text);
    const char *media = status_only ? NULL : uri_of(rq->arena, e->media_url);
    if (!status_only && e->media_url != NULL && media == NULL)
        w->failed = 1; /* arena full: a 500 rather than an update without its media */
    docw_string(w, "media_url", media);
    docw_string(w, "external_status_code", u->status_after);
    docw_object_end(w);
    return 1;
}

static void get_updates(http_req *rq, docw_format fmt)
{
    error err;
    o311_updates_query q;
    const char *jurisdiction = NULL;
    const cat_tenant *t = NULL;
    if (o311_params_jurisdiction(&rq->query, &jurisdiction, &err) < 0 ||
        (t = pick_tenant(rq, jurisdiction, &err)) == NULL ||
        o311_params_updates(&rq->query, time_now(), t->rec.timezone, &q, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    /* api_key is optional: the feed is public, but a key given must be a valid one. */
    store_apikey k;
    if (q.api_key != NULL && authenticate(rq, fmt, t, q.api_key, &k) < 0)
        return;
    store_update *ups = NULL;
    size_t n = 0;
    if (request_public_updates(rq->core, t, q.from, q.to, (q.page - 1) * q.page_size, q.page_size,
                               rq->arena, &ups, &n, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    docw w;
    if (begin_doc(rq, fmt, &w) < 0)
        return;
    docw_list_begin(&w, "service_request_updates");
    for (size_t i = 0; i < n; i++) {
        open311_detail d = detail_of(catalogue_procedure_by_id(t, ups[i].procedure_id));
        if (d != OPEN311_DETAIL_NONE) /* the store filtered; never trust one layer alone */
            write_update(rq, &w, t, &ups[i], d != OPEN311_DETAIL_FULL);
    }
    docw_list_end(&w);
    /* Not cacheable by URI alone as other reads are: without dates the window moves with
     * the clock. The default window is the common case, so no caching at all. */
    send_doc(rq, &w, 200);
}

typedef struct update_state {
    docw_format fmt;
    int64_t update_id;
} update_state;

static void update_finish(http_req *rq)
{
    update_state *st = rq->user;
    if (write_succeeded(rq, st->fmt) < 0)
        return;
    docw w;
    if (begin_doc(rq, st->fmt, &w) < 0)
        return;
    docw_list_begin(&w, "service_request_updates");
    docw_object_begin(&w, "request_update");
    docw_string(&w, "update_id", arena_printf(rq->arena, "%" PRId64, st->update_id));
    docw_object_end(&w);
    docw_list_end(&w);
    respond_doc(rq, &w, 200); /* the same answer when the client sends the update again */
}

static void post_updates(http_req *rq, docw_format fmt)
{
    error err;
    form body;
    const char *jurisdiction = NULL;
    const cat_tenant *t = NULL;
    if (http_form_body(rq, &body, &err) < 0 ||
        post_jurisdiction(rq, &body, &jurisdiction, &err) < 0 ||
        (t = pick_tenant(rq, jurisdiction, &err)) == NULL) {
        respond_error(rq, fmt, &err);
        return;
    }
    store_apikey k;
    if (authenticate(rq, fmt, t, form_get(&body, "api_key"), &k) < 0)
        return;
    o311_update_post p;
    if (o311_params_update_post(&body, t->rec.timezone, &p, &err) < 0) {
        respond_error(rq, fmt, &err);
        return;
    }
    store_request r;
    const cat_procedure *proc = NULL;
    if (request_get(rq->core, t, p.service_request_id, rq->arena, &r, &err) < 0 ||
        detail_of(proc = catalogue_procedure_by_id(t, r.procedure_id)) == OPEN311_DETAIL_NONE) {
        /* A request Open311 may not show is answered like one that does not exist. */
        if (proc != NULL || err.code == ERR_NOT_FOUND)
            fail(rq, fmt, ERR_NOT_FOUND, "service_request_id", "service_request_id: not found");
        else
            respond_error(rq, fmt, &err);
        return;
    }
    update_state *st = arena_alloc(rq->arena, sizeof *st);
    if (st == NULL) {
        fail(rq, fmt, ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    st->fmt = fmt;
    st->update_id = 0;
    /* An Open311 client's key: it relays a citizen's words, not audited (as its reports). */
    core_actor who = actor_of_key(&k, http_audit_source(rq, "api"), 1);
    request_client_update u = {
        .tenant = t,
        .procedure = proc,
        .reference = r.reference,
        .who = &who,
        .api_key_id = k.id,
        .client_update_id = p.update_id,
        .client_status = p.status,
        .client_datetime = p.updated_at,
        .description = p.description,
        .media_url = p.media_url,
        .first_name = p.first_name,
        .last_name = p.last_name,
        .email = p.email,
        .phone = p.phone,
    };
    rq->user = st;
    http_wait *w = http_wait_begin(rq, update_finish); /* before queuing: see post_requests */
    int rc = request_client_update_add(rq->core, &u, &st->update_id, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void h_updates(http_req *rq)
{
    docw_format fmt;
    if (get_format(rq, &fmt) < 0)
        return;
    if (rq->method == HTTP_POST)
        post_updates(rq, fmt);
    else
        get_updates(rq, fmt);
}

const http_route open311_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/open311/discovery.{fmt}", h_discovery},
    {HTTP_GET | HTTP_HEAD, "/open311/v2/discovery.{fmt}", h_discovery},
    {HTTP_GET | HTTP_HEAD, "/open311/v2/services.{fmt}", h_services},
    {HTTP_GET | HTTP_HEAD, "/open311/v2/services/{}.{fmt}", h_service_definition},
    {HTTP_GET | HTTP_HEAD | HTTP_POST, "/open311/v2/requests.{fmt}", h_requests},
    {HTTP_GET | HTTP_HEAD, "/open311/v2/requests/{}.{fmt}", h_request_one},
    {HTTP_GET | HTTP_HEAD, "/open311/v2/tokens/{}.{fmt}", h_token},
    {HTTP_GET | HTTP_HEAD | HTTP_POST, "/open311/v2/servicerequestupdates.{fmt}", h_updates},
    {0, NULL, NULL},
};

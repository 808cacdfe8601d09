/*
 * rest — the JSON API at /api/v1/ (see rest.h and docs/api.md). Every route goes through
 * run(): tenant, Bearer key of scope "api", query parameters checked against the operation's
 * table, per-key rate limit for writes, then the operation. Writes suspend the connection
 * while the group commit makes them durable, and answer from a continuation with the request
 * re-read from the store.
 */
#include "api/rest/rest.h"

#include "api/json_error.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/apikey.h"
#include "core/audit.h"
#include "core/caller.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/stats.h"
#include "core/workflow.h"
#include "present/icons.h"
#include "util/jsonw.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/form_field.h"

#define JSON_CTYPE "application/json; charset=utf-8"
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200
#define NOTE_MAX_CHARS 10000
/* None of our bodies nests: a small bound keeps jansson's recursion shallow. */
#define BODY_MAX_DEPTH 8
#define CURSOR_MAX_LEN 40

/* Everything an operation needs, kept in rq->user so that it survives a suspension. */
typedef struct rest_state {
    const cat_tenant *tenant;
    store_apikey key;
    core_actor who; /* the key: core labels its events and audit entries */
    store_request_filter filter;
    size_t limit;
    const char *tel; /* GET /api/v1/callers: the number as given */
    stats_group group_by; /* GET /api/v1/stats */
    int64_t area;         /* GET /api/v1/stats: the quartier, or STATS_AREA_ANY */
    /* writes */
    request_change change;
    const char *note_body;
    int note_public;
    int success_status; /* 200 after PATCH, 201 after a new note */
} rest_state;

/* ---- answers ---- */

void rest_write_error(http_req *rq, const error *e)
{
    api_write_json_error(rq, e);
}

/* Errors go through the server, which adds Retry-After to 503s and logs internal errors
 * loudly, then calls rest_write_error as the mount's writer. */
static void respond_code(http_req *rq, err_code code, const char *arg, const char *detail)
{
    error e;
    error_set(&e, code, arg, "%s", detail ? detail : "");
    http_respond_error(rq, &e);
}

/* Sends what the writer produced, or a 500 when it hit the output limit or a mistake. */
static void respond_json(http_req *rq, jsonw *w, int http_status)
{
    if (jsonw_finish(w) != 0) {
        respond_code(rq, ERR_INTERNAL, NULL, "response over the output limit");
        return;
    }
    http_respond(rq, http_status, JSON_CTYPE);
}

/* RFC 3339 in the tenant's zone, null for "never". */
static void write_time(jsonw *w, const char *key, int64_t t, const char *tz)
{
    if (t == 0) {
        jsonw_null(w, key);
        return;
    }
    char s[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, s);
    jsonw_string(w, key, s);
}

static void write_event(jsonw *w, const store_event *e, const char *tz)
{
    jsonw_object_begin(w, NULL);
    jsonw_int(w, "id", e->id);
    jsonw_string(w, "kind", e->kind);
    jsonw_bool(w, "public", e->is_public);
    jsonw_string(w, "actor", e->actor);
    jsonw_string(w, "channel", e->channel);
    jsonw_string(w, "status_from", e->status_from);
    jsonw_string(w, "status_to", e->status_to);
    jsonw_string(w, "body", e->body);
    write_time(w, "created_at", e->created_at, tz);
    jsonw_object_end(w);
}

/* One request as the API shows it; the timeline only when `timeline` is not NULL. */
static void write_request(jsonw *w, lang l, const cat_tenant *t, const store_request *r,
                          const store_event *timeline, size_t n_events)
{
    const char *tz = t->rec.timezone;
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    const char *label = p ? workflow_agent_label(p->workflow, r->status, l) : r->status;
    const cat_department *d =
        r->department_id ? catalogue_department_by_id(t, r->department_id) : NULL;

    jsonw_object_begin(w, NULL);
    jsonw_string(w, "reference", r->reference);
    jsonw_string(w, "status", r->status);
    jsonw_string(w, "status_label", label);
    if (p) {
        jsonw_object_begin(w, "procedure");
        jsonw_string(w, "code", p->rec.code);
        jsonw_string(w, "name", p->rec.name);
        jsonw_string(w, "icon", icons_of(&p->rec));
        jsonw_object_end(w);
    } else {
        jsonw_null(w, "procedure");
    }
    if (d) {
        jsonw_object_begin(w, "department");
        jsonw_string(w, "code", d->rec.code);
        jsonw_string(w, "name", d->rec.name);
        jsonw_object_end(w);
    } else {
        jsonw_null(w, "department");
    }
    jsonw_string(w, "channel", r->channel);
    jsonw_string(w, "lang", r->lang && strcmp(r->lang, "en") == 0 ? "en" : "fr");
    jsonw_string(w, "description", r->description);
    /* What the public pages and Open311 show instead (null until an agent approves one). */
    jsonw_string(w, "public_description", request_public_text(r));
    if (r->has_location) {
        jsonw_object_begin(w, "location");
        jsonw_double(w, "lat", r->lat);
        jsonw_double(w, "long", r->lon);
        jsonw_object_end(w);
    } else {
        jsonw_null(w, "location");
    }
    jsonw_string(w, "address", r->address);
    jsonw_string(w, "address_id", r->address_id);
    jsonw_string(w, "zipcode", r->zipcode);
    jsonw_string(w, "media_url", r->media_url);
    /* Stored by core after validation, so it is trusted JSON. */
    jsonw_raw(w, "attributes", r->attributes && *r->attributes ? r->attributes : "{}");
    jsonw_object_begin(w, "contact");
    jsonw_string(w, "first_name", r->first_name);
    jsonw_string(w, "last_name", r->last_name);
    jsonw_string(w, "email", r->email);
    jsonw_string(w, "phone", r->phone);
    jsonw_object_end(w);
    jsonw_string(w, "assignee", r->assignee);
    jsonw_string(w, "priority", request_priority_name(r->priority));
    write_time(w, "created_at", r->created_at, tz);
    write_time(w, "updated_at", r->updated_at, tz);
    write_time(w, "closed_at", r->closed_at, tz);
    write_time(w, "due_at", r->due_at, tz);
    jsonw_string(w, "status_notes", r->status_notes);
    /* The reference of the request a merged duplicate's matter goes on in; null otherwise. */
    jsonw_string(w, "merged_into", r->merged_into_reference);
    if (timeline) {
        jsonw_array_begin(w, "timeline");
        for (size_t i = 0; i < n_events; i++)
            write_event(w, &timeline[i], tz);
        jsonw_array_end(w);
    }
    jsonw_object_end(w);
}

/* Reads request `reference` with its whole timeline, records the read in the audit log as
 * `audit_action` ("view"; NULL after a change, whose entry core wrote with it), and answers it
 * with `http_status`. */
static void respond_request(http_req *rq, const rest_state *st, const char *reference,
                            const char *audit_action, int http_status)
{
    error err;
    error_clear(&err);
    store_request r;
    store_event *events = NULL;
    size_t n_events = 0;
    if (request_get(rq->core, st->tenant, reference, rq->arena, &r, &err) != 0 ||
        request_timeline(rq->core, st->tenant, r.id, 0, rq->arena, &events, &n_events, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (audit_action)
        audit_record_access(rq->core, st->tenant->rec.id, &st->who, audit_action, "request", &r.id,
                            1);
    /* A NULL timeline means "list item" to write_request: an empty one must not be NULL. */
    static const store_event none;
    jsonw w;
    buf_reset(&rq->out);
    jsonw_init(&w, &rq->out);
    write_request(&w, rq->lang, st->tenant, &r, events ? events : &none, n_events);
    respond_json(rq, &w, http_status);
}

/* ---- query parameters of the list ---- */

/* Cursor: "<created_at>.<id>" in lowercase hex without leading zeros, e.g. "6756f3a0.1f4".
 * Clients treat it as opaque; the strict syntax lets us reject anything we did not issue. */
static int parse_hex_field(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 16 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = v * 16 + d;
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int q_cursor(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    size_t n = strlen(v);
    const char *dot = memchr(v, '.', n);
    int64_t created, id;
    if (n > CURSOR_MAX_LEN || !dot || parse_hex_field(v, (size_t)(dot - v), &created) != 0 ||
        parse_hex_field(dot + 1, n - (size_t)(dot - v) - 1, &id) != 0 || id <= 0)
        return error_set(err, ERR_INVALID_ARG, "cursor",
                         "not a cursor issued by this API: pass next_cursor as it came");
    st->filter.before_created_at = created;
    st->filter.before_id = id;
    return 0;
}

static int q_limit(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    size_t n = strlen(v);
    long val = 0;
    if (n == 0 || n > 3)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            goto bad;
        val = val * 10 + (v[i] - '0');
    }
    if (val < 1 || val > LIST_LIMIT_MAX)
        goto bad;
    st->limit = (size_t)val;
    return 0;
bad:
    return error_set(err, ERR_INVALID_ARG, "limit", "an integer from 1 to %d", LIST_LIMIT_MAX);
}

/* Splits a comma list into arena copies; -1 on an empty item or too many items. */
static int split_list(arena *a, const char *v, const char **items, size_t max, size_t *n)
{
    *n = 0;
    const char *p = v;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || *n == max)
            return -1;
        items[*n] = arena_strndup(a, p, len);
        if (!items[*n])
            return -1;
        (*n)++;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int q_status(http_req *rq, rest_state *st, const char *v, error *err)
{
    if (split_list(rq->arena, v, st->filter.statuses, STORE_FILTER_MAX_LIST,
                   &st->filter.n_statuses) != 0)
        return error_set(err, ERR_INVALID_ARG, "status", "a comma list of at most %d status codes",
                         STORE_FILTER_MAX_LIST);
    /* Any code of the collectivité's workflows (each procedure has its own: GET
     * /api/v1/procedures/{code}/workflow lists them). */
    for (size_t i = 0; i < st->filter.n_statuses; i++) {
        int known = 0;
        for (size_t w = 0; w < st->tenant->n_workflows && !known; w++)
            known = workflow_status(&st->tenant->workflows[w], st->filter.statuses[i]) != NULL;
        if (!known)
            return error_set(err, ERR_INVALID_ARG, "status",
                             "unknown status code %.40s: see each procedure's workflow",
                             st->filter.statuses[i]);
    }
    return 0;
}

static int q_procedure(http_req *rq, rest_state *st, const char *v, error *err)
{
    const char *codes[STORE_FILTER_MAX_LIST];
    size_t n;
    if (split_list(rq->arena, v, codes, STORE_FILTER_MAX_LIST, &n) != 0)
        return error_set(err, ERR_INVALID_ARG, "procedure",
                         "a comma list of at most %d procedure codes", STORE_FILTER_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p = catalogue_procedure(st->tenant, codes[i]);
        if (!p)
            return error_set(err, ERR_INVALID_ARG, "procedure", "unknown procedure code");
        st->filter.procedure_ids[i] = p->rec.id;
    }
    st->filter.n_procedure_ids = n;
    return 0;
}

static int q_department(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    const cat_department *d = catalogue_department(st->tenant, v);
    if (!d)
        return error_set(err, ERR_INVALID_ARG, "department", "unknown department code");
    st->filter.department_id = d->rec.id;
    return 0;
}

static int q_channel(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    channel ch;
    if (channel_parse(v, &ch) != 0)
        return error_set(err, ERR_INVALID_ARG, "channel",
                         "one of web, mobile, email, sms, phone, counter, post, api");
    st->filter.channel = channel_name(ch);
    return 0;
}

static int q_assignee(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    if (!*v)
        return error_set(err, ERR_INVALID_ARG, "assignee", "empty assignee");
    st->filter.assignee = v;
    return 0;
}

static int q_priority(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    int p = request_priority_parse(v);
    if (p < 0)
        return error_set(err, ERR_INVALID_ARG, "priority", "one of low, normal, high, urgent");
    st->filter.by_priority = 1;
    st->filter.priority = p;
    return 0;
}

static int parse_time_arg(const char *name, const char *v, int64_t *out, error *err)
{
    if (time_parse_rfc3339(v, out) != 0)
        return error_set(err, ERR_INVALID_ARG, name,
                         "an RFC 3339 date-time such as 2026-03-01T08:00:00+01:00");
    return 0;
}

static int q_created_from(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    return parse_time_arg("created_from", v, &st->filter.created_from, err);
}

static int q_created_to(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    return parse_time_arg("created_to", v, &st->filter.created_to, err);
}

static int q_updated_since(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    return parse_time_arg("updated_since", v, &st->filter.updated_since, err);
}

typedef struct query_param {
    const char *name;
    int (*fn)(http_req *rq, rest_state *st, const char *value, error *err);
} query_param;

/* The filters of the list, which the statistics take too (through the same parsers). */
static const query_param filter_params[] = {
    {"status", q_status},
    {"procedure", q_procedure},
    {"department", q_department},
    {"channel", q_channel},
    {"assignee", q_assignee},
    {"priority", q_priority},
    {"created_from", q_created_from},
    {"created_to", q_created_to},
    {"updated_since", q_updated_since},
};

/* The list's paging. */
static const query_param paging_params[] = {
    {"limit", q_limit},
    {"cursor", q_cursor},
};

static int q_group_by(http_req *rq, rest_state *st, const char *v, error *err)
{
    (void)rq;
    if (stats_group_parse(v, &st->group_by) != 0)
        return error_set(err, ERR_INVALID_ARG, "group_by",
                         "one of channel, procedure, department, status, day, week, month, area");
    return 0;
}

static int q_area(http_req *rq, rest_state *st, const char *v, error *err)
{
    return stats_area_parse(rq->core, st->tenant, v, &st->area, err);
}

/* The statistics' own: the grouping and the quartier (no paging). */
static const query_param stats_params[] = {
    {"group_by", q_group_by},
    {"area", q_area},
};

/* The caller's number, any form: core normalises it and says what is wrong. */
static int q_tel(http_req *rq, rest_state *st, const char *value, error *err)
{
    (void)rq;
    (void)err;
    st->tel = value;
    return 0;
}

static const query_param caller_params[] = {
    {"tel", q_tel},
};

/* Parameters every route accepts: the server reads lang itself, dispatch reads tenant. */
static const char *const common_params[] = {"tenant", "lang"};

/* Applies the query string to st through `params`; unknown or repeated names are refused so
 * that a misspelt filter never silently returns everything. */
/* A route's parameters: the filters or not, and its own (n of them). */
typedef struct query_params {
    int filters; /* 1: filter_params too */
    const query_param *own;
    size_t n;
} query_params;

/* The parameter called name among qp's, or NULL. */
static const query_param *query_param_find(const query_params *qp, const char *name)
{
    for (size_t j = 0; j < qp->n; j++)
        if (strcmp(name, qp->own[j].name) == 0)
            return &qp->own[j];
    for (size_t j = 0; qp->filters && j < sizeof filter_params / sizeof *filter_params; j++)
        if (strcmp(name, filter_params[j].name) == 0)
            return &filter_params[j];
    return NULL;
}

static int apply_query(http_req *rq, rest_state *st, const query_params *qp, error *err)
{
    for (size_t i = 0; i < rq->query.count; i++) {
        const form_field *f = &rq->query.fields[i];
        if (form_count(&rq->query, f->name) > 1)
            return error_set(err, ERR_INVALID_ARG, f->name, "parameter given more than once");
        int known = 0;
        for (size_t j = 0; j < sizeof common_params / sizeof *common_params; j++)
            if (strcmp(f->name, common_params[j]) == 0)
                known = 1;
        if (known)
            continue;
        const query_param *p = query_param_find(qp, f->name);
        if (!p)
            return error_set(err, ERR_INVALID_ARG, f->name, "unknown query parameter");
        if (p->fn(rq, st, f->value, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- JSON bodies ---- */

typedef struct body_field {
    const char *name;
    int (*fn)(http_req *rq, rest_state *st, json_t *v, error *err);
} body_field;

static int is_json_type(const char *ct)
{
    static const char media[] = "application/json";
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, media, sizeof media - 1) != 0)
        return 0;
    ct += sizeof media - 1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* jansson recurses once per nesting level (up to 2048): refuse deep bodies before parsing. */
static int depth_ok(const char *s, size_t n, int max)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

/* Parses the body as one JSON object and hands each member to its entry in `fields`. All
 * unknown members are named in the error; a type or value error names its member. */
static int parse_body(http_req *rq, rest_state *st, const body_field *fields, size_t n, error *err)
{
    int rc = -1;
    json_t *root = NULL;
    if (!is_json_type(http_header(rq, "Content-Type")))
        return error_set(err, ERR_UNSUPPORTED, NULL, "send Content-Type: application/json");
    if (!rq->body || rq->body_len == 0)
        return error_set(err, ERR_BAD_REQUEST, NULL, "empty body: a JSON object is expected");
    if (!depth_ok(rq->body, rq->body_len, BODY_MAX_DEPTH))
        return error_set(err, ERR_BAD_REQUEST, NULL, "JSON nested deeper than %d levels",
                         BODY_MAX_DEPTH);
    json_error_t jerr;
    root = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* Position only: jansson's text may quote the client's data. */
        error_set(err, ERR_BAD_REQUEST, NULL, "invalid JSON%s at line %d, column %d",
                  json_error_code(&jerr) == json_error_duplicate_key ? " (duplicate member)" : "",
                  jerr.line, jerr.column);
        goto cleanup;
    }
    if (!json_is_object(root)) {
        error_set(err, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
        goto cleanup;
    }
    char unknown[200] = "";
    size_t n_unknown = 0;
    error field_err;
    error_clear(&field_err);
    const char *first_unknown = NULL;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        const body_field *f = NULL;
        for (size_t i = 0; i < n && !f; i++)
            if (strcmp(key, fields[i].name) == 0)
                f = &fields[i];
        if (!f) {
            size_t used = strlen(unknown);
            snprintf(unknown + used, sizeof unknown - used, "%s%s", n_unknown ? ", " : "", key);
            if (!first_unknown)
                first_unknown = arena_strdup(rq->arena, key);
            n_unknown++;
        } else if (field_err.code == ERR_NONE) {
            f->fn(rq, st, value, &field_err);
        }
    }
    if (n_unknown) {
        error_set(err, ERR_INVALID_ARG, first_unknown, "unknown field%s: %s",
                  n_unknown > 1 ? "s" : "", unknown);
        goto cleanup;
    }
    if (field_err.code != ERR_NONE) {
        *err = field_err;
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}

/* A JSON string member copied into the arena: valid UTF-8 (jansson checks it), 1..max_chars
 * characters, no control characters other than tab and line breaks when multiline. */
static const char *body_string(http_req *rq, const char *name, json_t *v, size_t max_chars,
                               int multiline, error *err)
{
    if (!json_is_string(v)) {
        error_set(err, ERR_INVALID_ARG, name, "must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!utf8_valid(s, len)) {
        error_set(err, ERR_INVALID_ARG, name, "invalid UTF-8");
        return NULL;
    }
    size_t chars = utf8_length(s, len);
    if (chars == 0 || chars > max_chars) {
        error_set(err, ERR_INVALID_ARG, name, "must hold 1 to %zu characters", max_chars);
        return NULL;
    }
    if (utf8_has_control(s, len) || (!multiline && strpbrk(s, "\t\r\n"))) {
        error_set(err, ERR_INVALID_ARG, name, "control characters are not allowed");
        return NULL;
    }
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i == len) {
        error_set(err, ERR_INVALID_ARG, name, "must not be blank");
        return NULL;
    }
    char *copy = arena_strndup(rq->arena, s, len);
    if (!copy)
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return copy;
}

static int b_status(http_req *rq, rest_state *st, json_t *v, error *err)
{
    /* Checked against the request's own workflow by core, whose refusal names the codes
     * allowed. */
    st->change.status = body_string(rq, "status", v, REQUEST_FIELD_MAX, 0, err);
    return st->change.status ? 0 : -1;
}

static int b_note(http_req *rq, rest_state *st, json_t *v, error *err)
{
    st->change.note = body_string(rq, "note", v, NOTE_MAX_CHARS, 1, err);
    return st->change.note ? 0 : -1;
}

static int b_assignee(http_req *rq, rest_state *st, json_t *v, error *err)
{
    if (json_is_null(v)) {
        st->change.assignee = ""; /* core's way of saying "unassign" */
        return 0;
    }
    st->change.assignee = body_string(rq, "assignee", v, REQUEST_FIELD_MAX, 0, err);
    return st->change.assignee ? 0 : -1;
}

static int b_priority(http_req *rq, rest_state *st, json_t *v, error *err)
{
    const char *s = body_string(rq, "priority", v, REQUEST_FIELD_MAX, 0, err);
    if (!s)
        return -1;
    int p = request_priority_parse(s);
    if (p < 0)
        return error_set(err, ERR_INVALID_ARG, "priority", "one of low, normal, high, urgent");
    st->change.priority = p;
    return 0;
}

static int b_department(http_req *rq, rest_state *st, json_t *v, error *err)
{
    const char *s = body_string(rq, "department", v, REQUEST_FIELD_MAX, 0, err);
    if (!s)
        return -1;
    if (!catalogue_department(st->tenant, s))
        return error_set(err, ERR_INVALID_ARG, "department", "unknown department code");
    st->change.department = s;
    return 0;
}

static const body_field patch_fields[] = {
    {"status", b_status},         {"note", b_note},
    {"assignee", b_assignee},     {"priority", b_priority},
    {"department", b_department},
};

static int b_body(http_req *rq, rest_state *st, json_t *v, error *err)
{
    st->note_body = body_string(rq, "body", v, NOTE_MAX_CHARS, 1, err);
    return st->note_body ? 0 : -1;
}

static int b_public(http_req *rq, rest_state *st, json_t *v, error *err)
{
    (void)rq;
    if (!json_is_boolean(v))
        return error_set(err, ERR_INVALID_ARG, "public", "must be true or false");
    st->note_public = json_is_true(v);
    return 0;
}

static const body_field note_fields[] = {
    {"body", b_body},
    {"public", b_public},
};

/* ---- operations ---- */

static void op_list(http_req *rq, rest_state *st)
{
    error err;
    error_clear(&err);
    store_request *rows = NULL;
    size_t n = 0;
    /* One row more than asked tells whether another page exists without a count. */
    st->filter.limit = st->limit + 1;
    if (request_search(rq->core, &st->filter, rq->arena, &rows, &n, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    int more = n > st->limit;
    if (more)
        n = st->limit;
    if (n > 0) {
        int64_t *ids = arena_alloc(rq->arena, n * sizeof *ids);
        if (!ids) {
            error_set(&err, ERR_INTERNAL, NULL, "out of memory");
            http_respond_error(rq, &err);
            return;
        }
        for (size_t i = 0; i < n; i++)
            ids[i] = rows[i].id;
        audit_record_access(rq->core, st->tenant->rec.id, &st->who, "list", "request", ids, n);
    }
    jsonw w;
    buf_reset(&rq->out);
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_array_begin(&w, "data");
    for (size_t i = 0; i < n; i++)
        write_request(&w, rq->lang, st->tenant, &rows[i], NULL, 0);
    jsonw_array_end(&w);
    if (more && n > 0) {
        char cursor[CURSOR_MAX_LEN + 1];
        snprintf(cursor, sizeof cursor, "%" PRIx64 ".%" PRIx64, (uint64_t)rows[n - 1].created_at,
                 (uint64_t)rows[n - 1].id);
        jsonw_string(&w, "next_cursor", cursor);
    } else {
        jsonw_null(&w, "next_cursor");
    }
    jsonw_object_end(&w);
    respond_json(rq, &w, 200);
}

static void write_delay(jsonw *w, const char *key, int64_t s)
{
    if (s < 0)
        jsonw_null(w, key);
    else
        jsonw_int(w, key, s);
}

static void write_figures(jsonw *w, const stats_figures *fig)
{
    jsonw_int(w, "count", fig->count);
    jsonw_int(w, "answered", fig->answered);
    jsonw_int(w, "closed", fig->closed);
    jsonw_int(w, "reopened", fig->reopened);
    write_delay(w, "median_first_answer_s", fig->median_first_answer_s);
    write_delay(w, "p90_first_answer_s", fig->p90_first_answer_s);
    write_delay(w, "median_close_s", fig->median_close_s);
    write_delay(w, "p90_close_s", fig->p90_close_s);
    jsonw_int(w, "closed_on_time", fig->closed_on_time);
    jsonw_int(w, "closed_late", fig->closed_late);
    jsonw_int(w, "overdue", fig->overdue);
    jsonw_int(w, "ratings", fig->rated);
    if (fig->rated)
        jsonw_double(w, "mean_rating", stats_mean_rating(fig));
    else
        jsonw_null(w, "mean_rating");
    jsonw_int(w, "supporters", fig->supporters);
}

/* Counts and delays only: no personal data, so no access to audit. */
static void op_stats(http_req *rq, rest_state *st)
{
    error err;
    error_clear(&err);
    stats_result res;
    if (stats_query(rq->core, st->tenant, &st->filter, st->area, st->group_by, time_now(),
                    rq->arena, &res, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    jsonw w;
    buf_reset(&rq->out);
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_array_begin(&w, "groups");
    for (size_t i = 0; i < res.n_groups; i++) {
        jsonw_object_begin(&w, NULL);
        if (res.groups[i].key)
            jsonw_string(&w, "key", res.groups[i].key);
        else
            jsonw_null(&w, "key");
        write_figures(&w, &res.groups[i].fig);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_begin(&w, "total");
    write_figures(&w, &res.total);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    respond_json(rq, &w, 200);
}

static void op_get(http_req *rq, rest_state *st)
{
    respond_request(rq, st, rq->params[0], "view", 200);
}

/* Continuation of every write: the outcome, or the request as it now is. */
static void write_cont(http_req *rq)
{
    rest_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        http_respond_error(rq, &w->err);
        return;
    }
    respond_request(rq, st, rq->params[0], NULL, st->success_status);
}

static void op_patch(http_req *rq, rest_state *st)
{
    error err;
    error_clear(&err);
    st->change.priority = -1;
    st->change.who = &st->who;
    st->change.ch = CHANNEL_API;
    if (parse_body(rq, st, patch_fields, sizeof patch_fields / sizeof *patch_fields, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (!st->change.status && !st->change.note && !st->change.assignee && st->change.priority < 0 &&
        !st->change.department) {
        respond_code(rq, ERR_BAD_REQUEST, NULL,
                     "nothing to change: give status, note, assignee, priority or department");
        return;
    }
    st->success_status = 200;
    http_wait *w = http_wait_begin(rq, write_cont);
    /* The tracking lookup page, for the e-mails of the status entered (its actions). */
    request_processing p = {.change = st->change,
                            .reply_url =
                                arena_printf(rq->arena, "%s/suivi", http_base_url(rq, st->tenant))};
    int rc = request_process(rq->core, st->tenant, rq->params[0], &p, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void op_add_event(http_req *rq, rest_state *st)
{
    error err;
    error_clear(&err);
    if (parse_body(rq, st, note_fields, sizeof note_fields / sizeof *note_fields, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (!st->note_body) {
        respond_code(rq, ERR_MISSING_ARG, "body", "the text of the note is required");
        return;
    }
    st->success_status = 201;
    http_wait *w = http_wait_begin(rq, write_cont);
    int rc = request_add_note(rq->core, st->tenant, rq->params[0], st->note_body, st->note_public,
                              &st->who, CHANNEL_API, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* GET /api/v1/procedures/{code}/workflow: the statuses a request of that procedure can be in
 * and the moves between them, which PATCH checks a status change against. */
static void op_workflow(http_req *rq, rest_state *st)
{
    const cat_procedure *p = catalogue_procedure(st->tenant, rq->params[0]);
    if (!p) {
        respond_code(rq, ERR_NOT_FOUND, "code", "no procedure with this code");
        return;
    }
    const cat_workflow *wf = p->workflow;
    lang l = rq->lang;
    jsonw w;
    buf_reset(&rq->out);
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "procedure", p->rec.code);
    jsonw_string(&w, "code", wf->rec.code);
    jsonw_string(&w, "name", l == LANG_EN && wf->rec.name_en ? wf->rec.name_en : wf->rec.name);
    jsonw_array_begin(&w, "statuses");
    for (size_t i = 0; i < wf->n_statuses; i++) {
        const store_workflow_status *s = &wf->statuses[i];
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "code", s->code);
        jsonw_string(&w, "label", workflow_agent_label(wf, s->code, l));
        jsonw_string(&w, "citizen_label", workflow_citizen_label(wf, s->code, l));
        jsonw_string(&w, "open311", s->open311_closed ? "closed" : "open");
        jsonw_string(&w, "extended_status", s->extended_status);
        jsonw_bool(&w, "citizen_visible", s->citizen_visible);
        jsonw_bool(&w, "initial", s->is_initial);
        jsonw_bool(&w, "final", s->is_final);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_array_begin(&w, "transitions");
    for (size_t i = 0; i < wf->n_transitions; i++) {
        const store_workflow_transition *t = &wf->transitions[i].rec;
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "from", t->from_code);
        jsonw_string(&w, "to", t->to_code);
        jsonw_string(&w, "label", l == LANG_EN && t->label_en ? t->label_en : t->label);
        jsonw_bool(&w, "comment_required", t->comment_required);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    respond_json(rq, &w, 200);
}

/* GET /api/v1/callers?tel=…: a telephony system's screen-pop. The caller's contact card and
 * their requests in the collectivité, most recent first (core/caller.h, which audits the
 * read). */
static void op_callers(http_req *rq, rest_state *st)
{
    if (!st->tel || st->tel[strspn(st->tel, " \t")] == '\0') {
        respond_code(rq, ERR_MISSING_ARG, "tel", "the caller's phone number is required");
        return;
    }
    error err;
    error_clear(&err);
    caller_card cc;
    if (caller_lookup(rq->core, st->tenant, &st->who, st->tel, rq->arena, &cc, NULL, &err) != 0) {
        /* The parameter at fault is tel, and the detail says what is wrong with the number
         * in the words the forms use (in English, as every detail is). */
        const char *why = err.code == ERR_INVALID_ARG
                              ? form_field_phone_refusal(rq->arena, rq->present, LANG_EN, st->tel)
                              : NULL;
        if (err.code == ERR_INVALID_ARG)
            error_set(&err, ERR_INVALID_ARG, "tel", "%s",
                      why ? why : "the caller's phone number is required");
        http_respond_error(rq, &err);
        return;
    }
    const char *tz = st->tenant->rec.timezone;
    jsonw w;
    buf_reset(&rq->out);
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "phone", cc.phone);
    jsonw_bool(&w, "known", cc.n_requests > 0 || cc.n_accounts > 0);
    jsonw_object_begin(&w, "contact");
    jsonw_string(&w, "first_name", cc.first_name);
    jsonw_string(&w, "last_name", cc.last_name);
    jsonw_string(&w, "email", cc.email);
    jsonw_object_end(&w);
    jsonw_array_begin(&w, "accounts");
    for (size_t i = 0; i < cc.n_accounts; i++) {
        const store_account *acc = &cc.accounts[i];
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "name", acc->display_name);
        jsonw_string(&w, "email", acc->email);
        jsonw_string(&w, "lang", acc->lang);
        jsonw_string(&w, "notify", acc->notify);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_int(&w, "count", cc.count);
    jsonw_array_begin(&w, "requests");
    for (size_t i = 0; i < cc.n_requests; i++) {
        const store_request *r = &cc.requests[i];
        const cat_procedure *p = catalogue_procedure_by_id(st->tenant, r->procedure_id);
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "reference", r->reference);
        jsonw_string(&w, "procedure", p ? p->rec.code : NULL);
        jsonw_string(&w, "procedure_name", p ? p->rec.name : NULL);
        jsonw_string(&w, "status", r->status);
        jsonw_string(&w, "status_label",
                     p ? workflow_agent_label(p->workflow, r->status, rq->lang) : r->status);
        write_time(&w, "created_at", r->created_at, tz);
        write_time(&w, "closed_at", r->closed_at, tz);
        jsonw_bool(&w, "closed", r->closed_at != 0);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    respond_json(rq, &w, 200);
}

/* ---- dispatch ---- */

#define OWN(table) (table), sizeof(table) / sizeof *(table)

typedef struct rest_op {
    void (*fn)(http_req *rq, rest_state *st);
    int is_write; /* counted by the per-key rate limit */
    query_params query;
} rest_op;

static const rest_op list_op = {op_list, 0, {1, OWN(paging_params)}};
static const rest_op get_op = {op_get, 0, {0, NULL, 0}};
static const rest_op stats_op = {op_stats, 0, {1, OWN(stats_params)}};
static const rest_op patch_op = {op_patch, 1, {0, NULL, 0}};
static const rest_op add_event_op = {op_add_event, 1, {0, NULL, 0}};
static const rest_op workflow_op = {op_workflow, 0, {0, NULL, 0}};
static const rest_op callers_op = {op_callers, 0, {0, OWN(caller_params)}};

/* The tenant: ?tenant=SLUG when given, else the one the Host header chose. */
static int resolve_tenant(http_req *rq, rest_state *st, error *err)
{
    const char *slug = form_get(&rq->query, "tenant");
    if (slug) {
        st->tenant = catalogue_tenant_by_slug(rq->cat, slug);
        if (!st->tenant)
            return error_set(err, ERR_NOT_FOUND, "tenant", "unknown tenant");
        return 0;
    }
    st->tenant = rq->host_tenant;
    if (!st->tenant)
        return error_set(err, ERR_MISSING_ARG, "tenant",
                         "this server holds several tenants: add ?tenant=SLUG");
    return 0;
}

/* Authorization: Bearer <key>, of scope "api" for the tenant. */
static int authenticate(http_req *rq, rest_state *st, error *err)
{
    const char *key = http_bearer(rq, err);
    if (!key)
        return -1;
    if (apikey_authenticate(rq->core, st->tenant->rec.id, key, SCOPE_API, rq->arena, &st->key,
                            err) != 0)
        return -1;
    st->who = actor_of_key(&st->key, http_audit_source(rq, "api"), 0);
    return 0;
}

/* What every operation goes through before it runs. */
static void run(http_req *rq, const rest_op *op)
{
    error err;
    error_clear(&err);
    rest_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    rq->user = st;
    st->limit = LIST_LIMIT_DEFAULT;
    st->area = STATS_AREA_ANY;
    if (resolve_tenant(rq, st, &err) != 0 || authenticate(rq, st, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    st->filter.tenant_id = st->tenant->rec.id;
    if (apply_query(rq, st, &op->query, &err) != 0 ||
        (op->is_write && http_ratelimit_key(rq, st->key.id, &err) != 0)) {
        http_respond_error(rq, &err);
        return;
    }
    op->fn(rq, st);
}

static void route_list(http_req *rq)
{
    run(rq, &list_op);
}

static void route_stats(http_req *rq)
{
    run(rq, &stats_op);
}

static void route_get(http_req *rq)
{
    run(rq, &get_op);
}

static void route_patch(http_req *rq)
{
    run(rq, &patch_op);
}

static void route_add_event(http_req *rq)
{
    run(rq, &add_event_op);
}

static void route_workflow(http_req *rq)
{
    run(rq, &workflow_op);
}

static void route_callers(http_req *rq)
{
    run(rq, &callers_op);
}

/* Methods per path; the server answers unknown paths under /api/ (404) and other methods
 * (405 with Allow) through rest_write_error. */
const http_route rest_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/api/v1/requests", route_list},
    {HTTP_GET | HTTP_HEAD, "/api/v1/requests/{}", route_get},
    {HTTP_PATCH, "/api/v1/requests/{}", route_patch},
    {HTTP_POST, "/api/v1/requests/{}/events", route_add_event},
    {HTTP_GET | HTTP_HEAD, "/api/v1/procedures/{}/workflow", route_workflow},
    {HTTP_GET | HTTP_HEAD, "/api/v1/callers", route_callers},
    {HTTP_GET | HTTP_HEAD, "/api/v1/stats", route_stats},
    {0, NULL, NULL},
};

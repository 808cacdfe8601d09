/*
 * params — Open311 argument checking, driven by field tables: each argument has a kind
 * (single-line text, multi-line text, decimal, URL, e-mail, key, date, integer, boolean) and
 * a maximum, and one checker per kind. Nothing here touches core or the store.
 */
#include "api/open311/params.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/timeutil.h"
#include "util/utf8.h"

typedef enum field_kind {
    FK_LINE = 0, /* one line of text */
    FK_TEXT,     /* text with line breaks */
    FK_DECIMAL,  /* [+-]digits[.digits] */
    FK_URL,      /* http:// or https:// */
    FK_EMAIL,
    FK_KEY,  /* printable ASCII without spaces */
    FK_LANG, /* a language tag: letters, digits and "-", starting with a letter */
} field_kind;

/* One named argument stored as a const char * member of a parsed struct (o311_post,
 * o311_update_post). */
typedef struct post_field {
    const char *name;
    size_t offset; /* of the const char * member */
    field_kind kind;
    size_t max_chars;
    /* 1: given again, each value is checked and the first is kept (FixMyStreet's
     * multi_photos sends every photo's URL as media_url); 0: given twice is refused. */
    int keep_first;
} post_field;

#define POST_FIELD(n, member, kind, max)                                                           \
    {                                                                                              \
        n, offsetof(o311_post, member), kind, max, 0                                               \
    }
#define UPDATE_FIELD(n, member, kind, max)                                                         \
    {                                                                                              \
        n, offsetof(o311_update_post, member), kind, max, 0                                        \
    }

static const post_field post_fields[] = {
    POST_FIELD("jurisdiction_id", jurisdiction_id, FK_LINE, 200),
    POST_FIELD("api_key", api_key, FK_KEY, 200),
    POST_FIELD("service_code", service_code, FK_LINE, 200),
    POST_FIELD("lat", lat_text, FK_DECIMAL, 40),
    POST_FIELD("long", long_text, FK_DECIMAL, 40),
    POST_FIELD("address_string", address_string, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("address_id", address_id, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("email", email, FK_EMAIL, 254),
    POST_FIELD("device_id", device_id, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("account_id", account_id, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("first_name", first_name, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("last_name", last_name, FK_LINE, O311_FIELD_MAX),
    POST_FIELD("phone", phone, FK_LINE, 50),
    POST_FIELD("description", description, FK_TEXT, O311_POST_DESCRIPTION_MAX),
    {"media_url", offsetof(o311_post, media_url), FK_URL, O311_FIELD_MAX, 1},
    /* Not in GeoReport v2: guichet's extension for the language of the messages about the
     * request (a language tag, RFC 5646's 35 characters at most). */
    POST_FIELD("lang", lang_tag, FK_LANG, 35),
};

/* POST /servicerequestupdates: the fields mySociety's extension names. */
static const post_field update_fields[] = {
    UPDATE_FIELD("jurisdiction_id", jurisdiction_id, FK_LINE, 200),
    UPDATE_FIELD("api_key", api_key, FK_KEY, 200),
    UPDATE_FIELD("service_request_id", service_request_id, FK_LINE, 200),
    UPDATE_FIELD("update_id", update_id, FK_KEY, O311_UPDATE_ID_MAX),
    UPDATE_FIELD("updated_datetime", updated_datetime, FK_LINE, 64),
    UPDATE_FIELD("status", status_text, FK_LINE, 64),
    UPDATE_FIELD("description", description, FK_TEXT, O311_POST_DESCRIPTION_MAX),
    {"media_url", offsetof(o311_update_post, media_url), FK_URL, O311_FIELD_MAX, 1},
    UPDATE_FIELD("first_name", first_name, FK_LINE, O311_FIELD_MAX),
    UPDATE_FIELD("last_name", last_name, FK_LINE, O311_FIELD_MAX),
    UPDATE_FIELD("email", email, FK_EMAIL, 254),
    UPDATE_FIELD("phone", phone, FK_LINE, 50),
    UPDATE_FIELD("account_id", account_id, FK_LINE, O311_FIELD_MAX),
};

#define ATTR_PREFIX "attribute"

static int has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

static int is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

static int is_printable_key(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F)
            return 0;
    return 1;
}

/* An absolute http(s) URL with a host: the spec only says "URL to media", and anything
 * else (javascript:, data:, relative paths) would be dangerous once shown in a page. */
static int is_http_url(const char *s)
{
    size_t skip;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return 0;
    const char *host = s + skip;
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
        return 0;
    for (const char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7F)
            return 0;
    return 1;
}

/* A plausible address: one '@' with text on both sides, a dot in the domain, no spaces. */
static int is_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return 0;
    const char *dot = strchr(at + 1, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return 0;
    for (const char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7F)
            return 0;
    return 1;
}

/* A language tag's shape (RFC 5646, loosely): a letter first, then letters, digits and
 * hyphens. */
static int is_lang_tag(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return 0;
    for (; *s != '\0'; s++)
        if (!isalnum((unsigned char)*s) && *s != '-')
            return 0;
    return 1;
}

/* The language of the messages for a tag: English when its primary subtag is "en" ("en",
 * "en-GB"), French for any other, the collectivité's own language. */
static const char *lang_code_of_tag(const char *tag)
{
    return strncasecmp(tag, "en", 2) == 0 && (tag[2] == '\0' || tag[2] == '-') ? "en" : "fr";
}

static int check_field(const post_field *pf, const char *v, size_t len, error *err)
{
    if (!utf8_valid(v, len))
        return error_set(err, ERR_INVALID_ARG, pf->name, "%s: invalid UTF-8", pf->name);
    size_t chars = utf8_length(v, len);
    if (chars > pf->max_chars)
        return error_set(err, ERR_INVALID_ARG, pf->name, "%s: longer than %zu characters", pf->name,
                         pf->max_chars);
    if (utf8_has_control(v, len) || (pf->kind != FK_TEXT && has_line_break(v)))
        return error_set(err, ERR_INVALID_ARG, pf->name, "%s: control characters not allowed",
                         pf->name);
    int ok = 1;
    switch (pf->kind) {
    case FK_LINE:
    case FK_TEXT:
        break;
    case FK_DECIMAL:
        ok = is_decimal(v);
        break;
    case FK_URL:
        ok = is_http_url(v);
        break;
    case FK_EMAIL:
        ok = is_email(v);
        break;
    case FK_KEY:
        ok = is_printable_key(v);
        break;
    case FK_LANG:
        ok = is_lang_tag(v);
        break;
    }
    if (!ok)
        return error_set(err, ERR_INVALID_ARG, pf->name, "%s: invalid", pf->name);
    return 0;
}

/* Stores ff in its member of base when table[0..n) names it: 1 stored (or empty, which
 * counts as not passed, or a later value of a keep_first field, checked and dropped), 0 not a
 * field of the table (clients add their own: ignored), -1 a field given twice or failing its
 * check (err set). */
static int store_field(const post_field *table, size_t n, const form_field *ff, void *base,
                       error *err)
{
    const post_field *pf = NULL;
    for (size_t i = 0; i < n && pf == NULL; i++)
        if (strcmp(table[i].name, ff->name) == 0)
            pf = &table[i];
    if (pf == NULL)
        return 0;
    const char **slot = (const char **)((char *)base + pf->offset);
    if (ff->value_len == 0)
        return 1;
    if (*slot != NULL && !pf->keep_first)
        return error_set(err, ERR_INVALID_ARG, pf->name, "%s: given more than once", pf->name);
    if (check_field(pf, ff->value, ff->value_len, err) < 0)
        return -1;
    if (*slot == NULL)
        *slot = ff->value;
    return 1;
}

/* "attribute[CODE]" or "attribute[CODE][]" → CODE (in a). 0: not an attribute field,
 * 1: parsed, -1: malformed (err set). */
static int parse_attribute_name(arena *a, const char *name, const char **code, error *err)
{
    size_t plen = strlen(ATTR_PREFIX);
    if (strncmp(name, ATTR_PREFIX, plen) != 0)
        return 0;
    const char *p = name + plen;
    if (*p != '[')
        return *p == '\0' ? error_set(err, ERR_INVALID_ARG, ATTR_PREFIX,
                                      "attribute: expected attribute[code]=value")
                          : 0; /* e.g. "attributes": not ours, ignored like other fields */
    p++;
    const char *close = strchr(p, ']');
    size_t n = close != NULL ? (size_t)(close - p) : 0;
    int ok = close != NULL && n > 0 && n <= ATTR_CODE_MAX &&
             (close[1] == '\0' || strcmp(close + 1, "[]") == 0);
    for (size_t i = 0; ok && i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || p[i] == '[' || (unsigned char)p[i] == 0x7F)
            ok = 0;
    if (!ok)
        return error_set(err, ERR_INVALID_ARG, ATTR_PREFIX,
                         "attribute: malformed name, expected attribute[code] or "
                         "attribute[code][]");
    *code = arena_strndup(a, p, n);
    if (*code == NULL)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 1;
}

static int parse_coordinate(const char *name, const char *text, double limit, double *out,
                            error *err)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0')
        return error_set(err, ERR_INVALID_ARG, name, "%s: invalid", name);
    if (v < -limit || v > limit)
        return error_set(err, ERR_INVALID_ARG, name, "%s: out of range (-%g to %g)", name, limit,
                         limit);
    *out = v;
    return 0;
}

int o311_params_post(arena *a, const form *f, o311_post *out, error *err)
{
    memset(out, 0, sizeof *out);
    out->attrs = arena_alloc(a, (f->count > 0 ? f->count : 1) * sizeof *out->attrs);
    if (out->attrs == NULL)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < f->count; i++) {
        const form_field *ff = &f->fields[i];
        const char *code = NULL;
        int r = parse_attribute_name(a, ff->name, &code, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            /* An empty value is "not passed" (the spec's Optional Arguments rule); a
             * required attribute left empty is then reported missing by core. */
            if (ff->value_len == 0)
                continue;
            out->attrs[out->n_attrs].code = code;
            out->attrs[out->n_attrs].value = ff->value;
            out->n_attrs++;
            continue;
        }
        if (store_field(post_fields, sizeof post_fields / sizeof post_fields[0], ff, out, err) < 0)
            return -1;
    }
    if (out->service_code == NULL)
        return error_set(err, ERR_MISSING_ARG, "service_code", "service_code: missing");
    if ((out->lat_text == NULL) != (out->long_text == NULL)) {
        const char *missing = out->lat_text == NULL ? "lat" : "long";
        return error_set(err, ERR_MISSING_ARG, missing,
                         "%s: missing (lat and long must be given together)", missing);
    }
    if (out->lat_text != NULL) {
        if (parse_coordinate("lat", out->lat_text, 90.0, &out->lat, err) < 0 ||
            parse_coordinate("long", out->long_text, 180.0, &out->lon, err) < 0)
            return -1;
        out->has_location = 1;
    }
    if (out->lang_tag != NULL)
        out->lang_code = lang_code_of_tag(out->lang_tag);
    return 0;
}

/* ---- GET /requests ---- */

typedef enum query_kind { QK_LINE = 0, QK_DATE, QK_UINT, QK_BOOL } query_kind;

typedef struct query_scalar {
    const char *name;
    query_kind kind;
} query_scalar;

enum { QS_JURISDICTION = 0, QS_START, QS_END, QS_PAGE, QS_PAGE_SIZE, QS_EXTENSIONS, QS_COUNT };

static const query_scalar query_scalars[QS_COUNT] = {
    [QS_JURISDICTION] = {"jurisdiction_id", QK_LINE},
    [QS_START] = {"start_date", QK_DATE},
    [QS_END] = {"end_date", QK_DATE},
    [QS_PAGE] = {"page", QK_UINT},
    [QS_PAGE_SIZE] = {"page_size", QK_UINT},
    [QS_EXTENSIONS] = {"extensions", QK_BOOL},
};

typedef struct bool_word {
    const char *word;
    int value;
} bool_word;

static const bool_word bool_words[] = {{"true", 1}, {"false", 0}, {"1", 1}, {"0", 0}};

typedef struct status_word {
    const char *word;
    int closed;
} status_word;

static const status_word status_words[] = {{"open", 0}, {"closed", 1}};

/* The value of a query argument given at most once; NULL when absent or empty. */
static int single_value(const form *f, const char *name, const char **out, error *err)
{
    *out = NULL;
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->fields[i].name, name) != 0 || f->fields[i].value_len == 0)
            continue;
        if (*out != NULL)
            return error_set(err, ERR_INVALID_ARG, name, "%s: given more than once", name);
        *out = f->fields[i].value;
    }
    return 0;
}

static int parse_uint(const char *name, const char *s, size_t min, size_t max, size_t *out,
                      error *err)
{
    size_t v = 0;
    size_t digits = 0;
    for (const char *p = s; *p != '\0'; p++, digits++) {
        if (!isdigit((unsigned char)*p) || digits >= 9)
            return error_set(err, ERR_INVALID_ARG, name, "%s: invalid", name);
        v = v * 10 + (size_t)(*p - '0');
    }
    if (digits == 0 || v < min || v > max)
        return error_set(err, ERR_INVALID_ARG, name, "%s: must be between %zu and %zu", name, min,
                         max);
    *out = v;
    return 0;
}

static int trim_span(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
    return *n > 0;
}

/* Every comma-separated item of every occurrence of `name`, trimmed, empty items skipped,
 * into a list allocated in a (at most max items). */
static int comma_list(arena *a, const form *f, const char *name, size_t max, const char ***out,
                      size_t *n_out, error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t cap = 0;
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->fields[i].name, name) != 0)
            continue;
        for (const char *v = f->fields[i].value; *v != '\0';) {
            const char *comma = strchr(v, ',');
            size_t n = comma != NULL ? (size_t)(comma - v) : strlen(v);
            const char *item = v;
            v += n + (comma != NULL ? 1 : 0);
            if (!trim_span(&item, &n))
                continue;
            if (*n_out >= max)
                return error_set(err, ERR_INVALID_ARG, name, "%s: more than %zu values", name, max);
            if (*n_out == cap) {
                size_t ncap = cap == 0 ? 8 : cap * 2;
                const char **grown = arena_alloc(a, ncap * sizeof *grown);
                if (grown == NULL)
                    return error_set(err, ERR_INTERNAL, NULL, "out of memory");
                if (*n_out > 0)
                    memcpy(grown, *out, *n_out * sizeof *grown);
                *out = grown;
                cap = ncap;
            }
            const char *copy = arena_strndup(a, item, n);
            if (copy == NULL)
                return error_set(err, ERR_INTERNAL, NULL, "out of memory");
            if (utf8_has_control(copy, n))
                return error_set(err, ERR_INVALID_ARG, name, "%s: control characters not allowed",
                                 name);
            (*out)[(*n_out)++] = copy;
        }
    }
    return 0;
}

static int parse_status(arena *a, const form *f, o311_query *q, error *err)
{
    const char **items = NULL;
    size_t n = 0;
    if (comma_list(a, f, "status", 8, &items, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        size_t nw = sizeof status_words / sizeof status_words[0];
        while (k < nw && strcasecmp(items[i], status_words[k].word) != 0)
            k++;
        if (k == nw)
            return error_set(err, ERR_INVALID_ARG, "status", "status: must be open or closed");
        if (status_words[k].closed)
            q->want_closed = 1;
        else
            q->want_open = 1;
    }
    return 0;
}

/* An instant: RFC 3339 with its offset (or a bare date), or a wall-clock time without
 * offset read in zone tz, as clients that fill it from a local clock send. */
static int parse_instant(const char *name, const char *text, const char *tz, int64_t *out,
                         error *err)
{
    if (time_parse_rfc3339(text, out) == 0 || time_parse_local(text, tz, out) == 0)
        return 0;
    return error_set(err, ERR_INVALID_ARG, name,
                     "%s: invalid, expected e.g. 2026-12-05T14:30:00+01:00", name);
}

/* The window [from, to] that start_date and end_date (either may be NULL) describe; `now`
 * gives the default 90 days. */
static int parse_window(const char *start_text, const char *end_text, int64_t now, const char *tz,
                        int64_t *from, int64_t *to, error *err)
{
    const int64_t span = (int64_t)O311_RANGE_DAYS * 86400;
    int64_t start = 0, end = 0;
    if ((start_text != NULL && parse_instant("start_date", start_text, tz, &start, err) < 0) ||
        (end_text != NULL && parse_instant("end_date", end_text, tz, &end, err) < 0))
        return -1;
    if (start_text != NULL && end_text != NULL) {
        /* Any length: the spec's 90 days would refuse clients' back-fills, and the answer is
         * bounded by page_size anyway. */
        if (end < start)
            return error_set(err, ERR_INVALID_ARG, "end_date", "end_date: before start_date");
        *from = start;
        *to = end;
    } else if (start_text != NULL) {
        *from = start;
        *to = start + span;
    } else if (end_text != NULL) {
        *from = end - span;
        *to = end;
    } else {
        *from = now - span;
        *to = now;
    }
    return 0;
}

/* page and page_size, when given. */
static int parse_paging(const char *page_text, const char *size_text, size_t *page,
                        size_t *page_size, error *err)
{
    if (page_text != NULL && parse_uint("page", page_text, 1, 1000000, page, err) < 0)
        return -1;
    if (size_text != NULL &&
        parse_uint("page_size", size_text, 1, O311_MAX_RESULTS, page_size, err) < 0)
        return -1;
    return 0;
}

int o311_params_query(arena *a, const form *f, int64_t now, const char *tz, o311_query *out,
                      error *err)
{
    memset(out, 0, sizeof *out);
    out->page = 1;
    out->page_size = O311_MAX_RESULTS;
    const char *v[QS_COUNT];
    for (size_t i = 0; i < QS_COUNT; i++)
        if (single_value(f, query_scalars[i].name, &v[i], err) < 0)
            return -1;
    out->jurisdiction_id = v[QS_JURISDICTION];
    for (size_t i = 0; i < QS_COUNT; i++) {
        if (v[i] == NULL || query_scalars[i].kind != QK_BOOL)
            continue;
        size_t k = 0;
        size_t nw = sizeof bool_words / sizeof bool_words[0];
        while (k < nw && strcasecmp(v[i], bool_words[k].word) != 0)
            k++;
        if (k == nw)
            return error_set(err, ERR_INVALID_ARG, query_scalars[i].name,
                             "%s: must be true or false", query_scalars[i].name);
        out->extensions = bool_words[k].value;
    }
    if (parse_paging(v[QS_PAGE], v[QS_PAGE_SIZE], &out->page, &out->page_size, err) < 0)
        return -1;
    if (comma_list(a, f, "service_request_id", O311_MAX_IDS, &out->ids, &out->n_ids, err) < 0)
        return -1;
    if (out->n_ids > 0)
        return 0; /* "This overrides all other arguments." */
    if (comma_list(a, f, "service_code", O311_MAX_CODES, &out->codes, &out->n_codes, err) < 0 ||
        parse_status(a, f, out, err) < 0 ||
        parse_window(v[QS_START], v[QS_END], now, tz, &out->created_from, &out->created_to, err) <
            0)
        return -1;
    return 0;
}

/* ---- service request updates ---- */

int o311_params_updates(const form *f, int64_t now, const char *tz, o311_updates_query *out,
                        error *err)
{
    memset(out, 0, sizeof *out);
    out->page = 1;
    out->page_size = O311_MAX_RESULTS;
    const char *start = NULL, *end = NULL, *page = NULL, *size = NULL;
    if (single_value(f, "jurisdiction_id", &out->jurisdiction_id, err) < 0 ||
        single_value(f, "api_key", &out->api_key, err) < 0 ||
        single_value(f, "start_date", &start, err) < 0 ||
        single_value(f, "end_date", &end, err) < 0 || single_value(f, "page", &page, err) < 0 ||
        single_value(f, "page_size", &size, err) < 0)
        return -1;
    if (parse_paging(page, size, &out->page, &out->page_size, err) < 0)
        return -1;
    return parse_window(start, end, now, tz, &out->from, &out->to, err);
}

/* The statuses clients send with an update: the two of GeoReport v2 and the extended ones of
 * mySociety's extension (FixMyStreet), and REOPEN. */
static const char *const update_statuses[] = {"OPEN",
                                              "CLOSED",
                                              "FIXED",
                                              "IN_PROGRESS",
                                              "ACTION_SCHEDULED",
                                              "INVESTIGATING",
                                              "DUPLICATE",
                                              "NOT_COUNCILS_RESPONSIBILITY",
                                              "NO_FURTHER_ACTION",
                                              "INTERNAL_REFERRAL",
                                              "FOR_TRIAGE",
                                              "CANCELLED",
                                              "REOPEN"};

static int required(const char *value, const char *name, error *err)
{
    if (value != NULL)
        return 0;
    return error_set(err, ERR_MISSING_ARG, name, "%s: missing", name);
}

/* FixMyStreet sends "-" for a name it does not have: that is no name. */
static const char *no_dash(const char *name)
{
    return name != NULL && strcmp(name, "-") == 0 ? NULL : name;
}

int o311_params_update_post(const form *f, const char *tz, o311_update_post *out, error *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < f->count; i++)
        if (store_field(update_fields, sizeof update_fields / sizeof update_fields[0],
                        &f->fields[i], out, err) < 0)
            return -1;
    if (required(out->service_request_id, "service_request_id", err) < 0 ||
        required(out->update_id, "update_id", err) < 0 ||
        required(out->status_text, "status", err) < 0 ||
        required(out->updated_datetime, "updated_datetime", err) < 0 ||
        required(out->description, "description", err) < 0)
        return -1;
    size_t n = sizeof update_statuses / sizeof update_statuses[0];
    for (size_t k = 0; k < n && out->status == NULL; k++)
        if (strcasecmp(out->status_text, update_statuses[k]) == 0)
            out->status = update_statuses[k];
    if (out->status == NULL)
        return error_set(err, ERR_INVALID_ARG, "status",
                         "status: must be OPEN, CLOSED, FIXED, IN_PROGRESS, ACTION_SCHEDULED, "
                         "INVESTIGATING, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY, "
                         "NO_FURTHER_ACTION, INTERNAL_REFERRAL, FOR_TRIAGE, CANCELLED or REOPEN");
    if (parse_instant("updated_datetime", out->updated_datetime, tz, &out->updated_at, err) < 0)
        return -1;
    out->first_name = no_dash(out->first_name);
    out->last_name = no_dash(out->last_name);
    return 0;
}

int o311_params_jurisdiction(const form *f, const char **out, error *err)
{
    return single_value(f, "jurisdiction_id", out, err);
}

int o311_idempotency_key_valid(const char *key)
{
    size_t n = strlen(key);
    return n > 0 && n <= O311_IDEMPOTENCY_KEY_MAX && is_printable_key(key);
}

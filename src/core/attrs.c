/*
 * attrs — attribute definitions (JSON, parsed with jansson) and validation of given values.
 */
#include "core/attrs.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define ATTRS_MAX 100
#define ATTR_VALUES_MAX 200

static const char *const type_names[ATTR_TYPE_COUNT] = {
    [ATTR_STRING] = "string",
    [ATTR_NUMBER] = "number",
    [ATTR_DATETIME] = "datetime",
    [ATTR_TEXT] = "text",
    [ATTR_SINGLEVALUELIST] = "singlevaluelist",
    [ATTR_MULTIVALUELIST] = "multivaluelist",
};

const char *attr_type_name(attr_type t)
{
    return (t >= 0 && t < ATTR_TYPE_COUNT) ? type_names[t] : "string";
}

int attr_type_parse(const char *name, attr_type *out)
{
    for (int i = 0; name && i < ATTR_TYPE_COUNT; i++)
        if (strcmp(name, type_names[i]) == 0) {
            *out = (attr_type)i;
            return 0;
        }
    return -1;
}

static int cmp_order(const void *pa, const void *pb)
{
    const attr_def *a = pa, *b = pb;
    return (a->order > b->order) - (a->order < b->order);
}

/* A string member copied into the arena; NULL when absent or not a string. */
static const char *member_str(arena *a, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? arena_strndup(a, json_string_value(v), json_string_length(v))
                             : NULL;
}

int attrs_parse_definitions(arena *a, const char *json, attr_def **defs, size_t *n, error *err)
{
    *defs = NULL;
    *n = 0;
    if (!json || !*json)
        return 0;
    json_error_t jerr;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!json_is_array(root) || json_array_size(root) > ATTRS_MAX) {
        error_set(err, ERR_INVALID_ARG, "attributes", "attribute definitions must be an array "
                                                      "of at most %d objects",
                  ATTRS_MAX);
        goto cleanup;
    }
    size_t count = json_array_size(root);
    attr_def *out = arena_alloc(a, sizeof *out * (count + 1));
    if (!out) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_array_get(root, i);
        attr_def *d = &out[i];
        d->code = member_str(a, o, "code");
        const char *type = member_str(a, o, "datatype");
        if (!json_is_object(o) || !d->code || !*d->code || !type ||
            attr_type_parse(type, &d->type) != 0) {
            error_set(err, ERR_INVALID_ARG, "attributes",
                      "attribute %zu needs a code and a known datatype", i + 1);
            goto cleanup;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].code, d->code) == 0) {
                error_set(err, ERR_INVALID_ARG, "attributes", "attribute code %s repeated",
                          d->code);
                goto cleanup;
            }
        json_t *variable = json_object_get(o, "variable");
        d->variable = variable ? json_is_true(variable) : 1;
        d->required = d->variable && json_is_true(json_object_get(o, "required"));
        json_t *order = json_object_get(o, "order");
        d->order = json_is_integer(order) ? (int)json_integer_value(order) : (int)i + 1;
        d->description = member_str(a, o, "description");
        d->datatype_description = member_str(a, o, "datatype_description");
        json_t *values = json_object_get(o, "values");
        int is_list = d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST;
        if (is_list) {
            size_t nv = json_array_size(values);
            if (!json_is_array(values) || nv == 0 || nv > ATTR_VALUES_MAX) {
                error_set(err, ERR_INVALID_ARG, "attributes",
                          "list attribute %s needs 1 to %d values", d->code, ATTR_VALUES_MAX);
                goto cleanup;
            }
            d->values = arena_alloc(a, sizeof *d->values * nv);
            if (!d->values) {
                error_set(err, ERR_INTERNAL, NULL, "out of memory");
                goto cleanup;
            }
            for (size_t j = 0; j < nv; j++) {
                json_t *v = json_array_get(values, j);
                d->values[j].key = member_str(a, v, "key");
                d->values[j].name = member_str(a, v, "name");
                if (!d->values[j].key || !d->values[j].name) {
                    error_set(err, ERR_INVALID_ARG, "attributes",
                              "value %zu of attribute %s needs a key and a name", j + 1,
                              d->code);
                    goto cleanup;
                }
            }
            d->n_values = nv;
        }
    }
    qsort(out, count, sizeof *out, cmp_order);
    *defs = out;
    *n = count;
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}

static const attr_def *find_def(const attr_def *defs, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i].code, code) == 0)
            return &defs[i];
    return NULL;
}

static int list_has_key(const attr_def *d, const char *key)
{
    for (size_t i = 0; i < d->n_values; i++)
        if (strcmp(d->values[i].key, key) == 0)
            return 1;
    return 0;
}

/* A strict decimal number: optional sign, digits, optional fraction, optional exponent. */
static int is_decimal(const char *s)
{
    char *end = NULL;
    if (!*s || strlen(s) > 64 || s[0] == ' ' || s[0] == '+')
        return 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return 0;
    /* strtod also takes "inf", "nan", hex floats: refuse anything but digits and . - e */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789.-eE+", *p))
            return 0;
    return 1;
}

/* A number as people type it into a text field, as FixMyStreet renders the number datatype:
 * blanks around it, and in French a decimal comma ("2,5"). Written back as the strict form
 * into *stored; 0 when nothing but those differs from is_decimal, -1 otherwise, -2 out of
 * memory. Thousands separators are not guessed: "1.234,5" and "1 234" stay refused. */
static int read_typed_number(arena *a, const char *value, const char **stored)
{
    size_t len = strlen(value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    while (len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    char *text = arena_strndup(a, value, len);
    if (text == NULL)
        return -2;
    char *comma = strchr(text, ',');
    if (comma != NULL && strchr(comma + 1, ',') == NULL && strchr(text, '.') == NULL)
        *comma = '.';
    if (!is_decimal(text))
        return -1;
    *stored = text;
    return 0;
}

/* A datetime value into *stored: RFC 3339 as given, or a local time in tz (NULL: none is
 * accepted) written as RFC 3339 with the zone's offset then, as the portal stores it. */
static int check_datetime(arena *a, const char *value, const char *tz, const char **stored,
                          const char *argname, error *err)
{
    int64_t t;
    if (time_parse_rfc3339(value, &t) == 0)
        return 0;
    if (tz == NULL || time_parse_local(value, tz, &t) != 0)
        return error_set(err, ERR_INVALID_ARG, argname,
                         "must be a date-time such as 2026-03-01T14:30:00+01:00");
    char *text = arena_alloc(a, TIME_RFC3339_LEN);
    if (text == NULL)
        return error_set(err, ERR_INTERNAL, argname, "out of memory");
    time_format_rfc3339(t, tz, text);
    *stored = text;
    return 0;
}

/* Checks one value of d; *stored is what is kept of it (the value itself, or a datetime
 * normalised). */
static int check_value(arena *a, const attr_def *d, const attrs_policy *policy,
                       const char *value, const char **stored, char *argname, error *err)
{
    size_t len = strlen(value);
    *stored = value;
    if (!utf8_valid(value, len))
        return error_set(err, ERR_INVALID_ARG, argname, "not valid UTF-8");
    size_t chars = utf8_length(value, len);
    switch (d->type) {
    case ATTR_STRING:
        if (chars > ATTR_STRING_MAX || strchr(value, '\n') || utf8_has_control(value, len))
            return error_set(err, ERR_INVALID_ARG, argname,
                             "must be one line of at most %d characters", ATTR_STRING_MAX);
        return 0;
    case ATTR_TEXT:
        if (chars > ATTR_TEXT_MAX)
            return error_set(err, ERR_INVALID_ARG, argname, "longer than %d characters",
                             ATTR_TEXT_MAX);
        return 0;
    case ATTR_NUMBER: {
        if (is_decimal(value))
            return 0;
        int r = policy != NULL ? read_typed_number(a, value, stored) : -1;
        if (r == -2)
            return error_set(err, ERR_INTERNAL, argname, "out of memory");
        return r == 0 ? 0 : error_set(err, ERR_INVALID_ARG, argname, "must be a number");
    }
    case ATTR_DATETIME:
        return check_datetime(a, value, policy != NULL ? policy->tz : NULL, stored, argname,
                              err);
    case ATTR_SINGLEVALUELIST:
    case ATTR_MULTIVALUELIST:
        return list_has_key(d, value)
                   ? 0
                   : error_set(err, ERR_INVALID_ARG, argname, "not one of the listed values");
    default:
        return error_set(err, ERR_INTERNAL, argname, "unknown datatype");
    }
}

int attrs_validate(arena *a, const attr_def *defs, size_t n, const attr_input *in, size_t n_in,
                   const attrs_policy *policy, const char **json_out, error *err)
{
    char argname[sizeof err->arg];
    const char **stored = arena_alloc(a, (n_in > 0 ? n_in : 1) * sizeof *stored);
    if (stored == NULL)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    /* Unknown codes, repeated single values and datatypes first, in input order. */
    for (size_t i = 0; i < n_in; i++) {
        snprintf(argname, sizeof argname, "attribute[%s]", in[i].code);
        const attr_def *d = find_def(defs, n, in[i].code);
        stored[i] = NULL;
        if (d == NULL && policy != NULL && policy->ignore_unknown) {
            /* The code only: values may be personal data. Nothing below writes it, since
             * the stored object is built from the definitions. */
            log_info("attrs: %s ignored, the procedure does not define it", argname);
            continue;
        }
        if (!d || !d->variable)
            return error_set(err, ERR_INVALID_ARG, argname, "unknown attribute");
        if (d->type != ATTR_MULTIVALUELIST)
            for (size_t j = 0; j < i; j++)
                if (strcmp(in[j].code, in[i].code) == 0)
                    return error_set(err, ERR_INVALID_ARG, argname, "given more than once");
        if (check_value(a, d, policy, in[i].value, &stored[i], argname, err) != 0)
            return -1;
    }
    buf out;
    buf_init(&out, 64 * 1024 * 1024);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w, NULL);
    for (size_t k = 0; k < n; k++) {
        const attr_def *d = &defs[k];
        size_t given = 0;
        for (size_t i = 0; i < n_in; i++)
            given += strcmp(in[i].code, d->code) == 0 && in[i].value[0] != '\0';
        if (!given) {
            if (d->required) {
                snprintf(argname, sizeof argname, "attribute[%s]", d->code);
                buf_free(&out);
                return error_set(err, ERR_MISSING_ARG, argname, "required attribute missing");
            }
            continue;
        }
        if (d->type == ATTR_MULTIVALUELIST)
            jsonw_array_begin(&w, d->code);
        for (size_t i = 0; i < n_in; i++)
            if (strcmp(in[i].code, d->code) == 0 && in[i].value[0] != '\0')
                jsonw_string(&w, d->type == ATTR_MULTIVALUELIST ? NULL : d->code, stored[i]);
        if (d->type == ATTR_MULTIVALUELIST)
            jsonw_array_end(&w);
    }
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    if (rc == 0) {
        *json_out = arena_strndup(a, buf_cstr(&out), out.len);
        if (!*json_out)
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    } else {
        error_set(err, ERR_INTERNAL, NULL, "attribute values too large to serialise");
    }
    buf_free(&out);
    return rc;
}

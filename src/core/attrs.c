/*
 * attrs — attribute definitions (JSON, parsed with jansson) and validation of given values.
 */
#include "core/attrs.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/outbox.h"
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
    [ATTR_DATE] = "date",
    [ATTR_SECTION] = "section",
    [ATTR_FILE] = "file",
    [ATTR_LOCATION] = "location",
};

/* Datatypes that are another one with something implied: a string of a format, or a list
 * whose values are fixed. */
static const struct {
    const char *name;
    attr_type type;
    attr_format format;
    int yesno;
} type_aliases[] = {
    {"email", ATTR_STRING, ATTR_FORMAT_EMAIL, 0},
    {"phone", ATTR_STRING, ATTR_FORMAT_TELEPHONE, 0},
    {"yesno", ATTR_SINGLEVALUELIST, ATTR_FORMAT_NONE, 1},
};

/* The values of every yesno question. */
static attr_value yesno_values[] = {{"oui", "Oui", "Yes"}, {"non", "Non", "No"}};

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

static const char *const format_names[ATTR_FORMAT_COUNT] = {
    [ATTR_FORMAT_NONE] = "",
    [ATTR_FORMAT_SIRET] = "siret",
    [ATTR_FORMAT_SIREN] = "siren",
    [ATTR_FORMAT_IBAN] = "iban",
    [ATTR_FORMAT_CODE_POSTAL] = "code_postal",
    [ATTR_FORMAT_TELEPHONE] = "telephone",
    [ATTR_FORMAT_EMAIL] = "email",
};

/* The fr_ids check of each format (FR_ID_KIND_COUNT: none, the e-mail's is outbox's). */
static const fr_id_kind format_ids[ATTR_FORMAT_COUNT] = {
    [ATTR_FORMAT_NONE] = FR_ID_KIND_COUNT,
    [ATTR_FORMAT_SIRET] = FR_ID_SIRET,
    [ATTR_FORMAT_SIREN] = FR_ID_SIREN,
    [ATTR_FORMAT_IBAN] = FR_ID_IBAN,
    [ATTR_FORMAT_CODE_POSTAL] = FR_ID_CODE_POSTAL,
    [ATTR_FORMAT_TELEPHONE] = FR_ID_TELEPHONE,
    [ATTR_FORMAT_EMAIL] = FR_ID_KIND_COUNT,
};

static const char *const format_notes[ATTR_FORMAT_COUNT][2] = {
    [ATTR_FORMAT_SIRET] = {"Numéro SIRET : 14 chiffres, les espaces sont acceptés ; enregistré "
                           "sans espaces.",
                           "SIRET number: 14 digits, blanks allowed; stored without blanks."},
    [ATTR_FORMAT_SIREN] = {"Numéro SIREN : 9 chiffres, les espaces sont acceptés ; enregistré "
                           "sans espaces.",
                           "SIREN number: 9 digits, blanks allowed; stored without blanks."},
    [ATTR_FORMAT_IBAN] = {"IBAN d’un pays de la zone SEPA, clé de contrôle vérifiée, les "
                          "espaces sont acceptés ; enregistré en majuscules sans espaces.",
                          "IBAN of a SEPA country, check digits verified, blanks allowed; "
                          "stored upper case without blanks."},
    [ATTR_FORMAT_CODE_POSTAL] = {"Code postal français : 5 chiffres.",
                                 "French postcode: 5 digits."},
    [ATTR_FORMAT_TELEPHONE] = {"Numéro de téléphone français : 10 chiffres commençant par 0, ou "
                               "+33 suivi de 9 chiffres ; enregistré au format international "
                               "E.164 (+33…).",
                               "French telephone number: 10 digits starting with 0, or +33 and "
                               "9 digits; stored in the international E.164 format (+33…)."},
    [ATTR_FORMAT_EMAIL] = {"Adresse électronique, par exemple nom@exemple.fr.",
                           "E-mail address, for example name@example.fr."},
};

const char *attr_format_name(attr_format f)
{
    return f >= 0 && f < ATTR_FORMAT_COUNT ? format_names[f] : "";
}

int attr_format_parse(const char *name, attr_format *out)
{
    for (int i = 0; name && i < ATTR_FORMAT_COUNT; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (attr_format)i;
            return 0;
        }
    return -1;
}

const char *attr_format_note(attr_format f, lang l)
{
    if (f <= ATTR_FORMAT_NONE || f >= ATTR_FORMAT_COUNT)
        return NULL;
    return format_notes[f][l == LANG_EN ? 1 : 0];
}

int attr_format_check(arena *a, attr_format f, const char *value, const char **stored,
                      fr_id_result *r)
{
    char out[FR_ID_OUT_MAX];
    memset(r, 0, sizeof *r);
    if (f == ATTR_FORMAT_EMAIL) {
        if (!outbox_email_ok(value)) {
            r->problem = FR_ID_CHARACTERS;
            return -1;
        }
        *stored = value;
        return 0;
    }
    if (f <= ATTR_FORMAT_NONE || f >= ATTR_FORMAT_COUNT) {
        *stored = value;
        return 0;
    }
    if (fr_id_check(format_ids[f], value, out, r) != 0)
        return -1;
    *stored = arena_strdup(a, out);
    return *stored ? 0 : -2;
}

/* A question and its rank in the text, for a stable sort by order that remembers where
 * each one was written (a condition's problem names that rank). */
typedef struct ranked {
    attr_def def;
    size_t pos;
} ranked;

static int cmp_order(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int o = (a->def.order > b->def.order) - (a->def.order < b->def.order);
    return o ? o : (a->pos > b->pos) - (a->pos < b->pos);
}

static const char *const problem_names[ATTRS_PROBLEM_COUNT] = {
    [ATTRS_OK] = "",
    [ATTRS_SYNTAX] = "syntax",
    [ATTRS_NOT_ARRAY] = "not_array",
    [ATTRS_TOO_MANY] = "too_many",
    [ATTRS_NOT_OBJECT] = "not_object",
    [ATTRS_UNKNOWN_MEMBER] = "unknown_member",
    [ATTRS_NO_CODE] = "no_code",
    [ATTRS_BAD_CODE] = "bad_code",
    [ATTRS_REPEATED_CODE] = "repeated_code",
    [ATTRS_NO_DATATYPE] = "no_datatype",
    [ATTRS_BAD_DATATYPE] = "bad_datatype",
    [ATTRS_NOT_TEXT] = "not_text",
    [ATTRS_NOT_BOOL] = "not_bool",
    [ATTRS_NOT_INTEGER] = "not_integer",
    [ATTRS_VALUES_COUNT] = "values_count",
    [ATTRS_VALUE_NOT_OBJECT] = "value_not_object",
    [ATTRS_VALUE_UNKNOWN_MEMBER] = "value_unknown_member",
    [ATTRS_VALUE_NO_KEY] = "value_no_key",
    [ATTRS_VALUE_NO_NAME] = "value_no_name",
    [ATTRS_VALUE_REPEATED_KEY] = "value_repeated_key",
    [ATTRS_BAD_FORMAT] = "bad_format",
    [ATTRS_FORMAT_NOT_STRING] = "format_not_string",
    [ATTRS_YESNO_VALUES] = "yesno_values",
    [ATTRS_BAD_CONDITION] = "bad_condition",
    [ATTRS_CONDITION_UNKNOWN] = "condition_unknown",
    [ATTRS_CONDITION_LATER] = "condition_later",
    [ATTRS_CONDITION_NOT_ASKED] = "condition_not_asked",
    [ATTRS_CONDITION_BAD_VALUE] = "condition_bad_value",
};

const char *attrs_problem_name(attrs_problem_kind kind)
{
    return kind >= 0 && kind < ATTRS_PROBLEM_COUNT ? problem_names[kind] : "";
}

/* The members a definition and a list value may have (Open311's, and the English texts). */
static const char *const def_members[] = {"code",
                                          "datatype",
                                          "description",
                                          "description_en",
                                          "datatype_description",
                                          "datatype_description_en",
                                          "required",
                                          "variable",
                                          "order",
                                          "values",
                                          "format",
                                          "show_if",
                                          NULL};
static const char *const value_members[] = {"key", "name", "name_en", NULL};

/* The parse in progress: strict for attrs_check, lenient for what is stored already. */
typedef struct parser {
    arena *a;
    int strict;
    attrs_problem *pb;
    size_t *pos; /* each parsed question's rank in the text, from 0 (kept across the sort) */
} parser;

/* Records a problem at question item (from 0) and value (from 0, or (size_t)-1 for none);
 * returns -1. */
static int problem(parser *ps, attrs_problem_kind kind, size_t item, size_t value,
                   const char *member, int max)
{
    attrs_problem *pb = ps->pb;
    pb->kind = kind;
    pb->item = item + 1;
    pb->value = value == (size_t)-1 ? 0 : value + 1;
    snprintf(pb->member, sizeof pb->member, "%s", member ? member : "");
    pb->max = max;
    return -1;
}

static int known_member(const char *const *list, const char *key)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return 1;
    return 0;
}

/* The first member of obj that list does not name, NULL when none. */
static const char *unknown_member(json_t *obj, const char *const *list)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!known_member(list, key))
            return key;
    }
    return NULL;
}

/* A text member into *out (NULL when absent). Strict: a present member must be a string of
 * at most ATTR_LABEL_MAX characters; lenient: anything else counts as absent. */
static int text_member(parser *ps, json_t *obj, const char *key, size_t item, size_t value,
                       const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) ||
        (ps->strict &&
         (!utf8_valid(json_string_value(v), json_string_length(v)) ||
          utf8_length(json_string_value(v), json_string_length(v)) > ATTR_LABEL_MAX))) {
        if (!ps->strict)
            return 0;
        return problem(ps, ATTRS_NOT_TEXT, item, value, key, ATTR_LABEL_MAX);
    }
    *out = arena_strndup(ps->a, json_string_value(v), json_string_length(v));
    return *out ? 0 : problem(ps, ATTRS_NOT_TEXT, item, value, key, 0);
}

/* A boolean member: *out = its value, or dflt when absent (lenient: anything but true is
 * false). */
static int bool_member(parser *ps, json_t *obj, const char *key, size_t item, int dflt, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (v && ps->strict && !json_is_boolean(v))
        return problem(ps, ATTRS_NOT_BOOL, item, (size_t)-1, key, 0);
    *out = v ? json_is_true(v) : dflt;
    return 0;
}

/* A code as the editor accepts it: it names form fields ("attribute[code]") and audit
 * arguments, so it stays short and plain. */
static int valid_code(const char *code)
{
    size_t len = strlen(code);
    if (len == 0 || len > ATTR_CODE_MAX)
        return 0;
    for (const char *p = code; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
            !strchr("-_.", *p))
            return 0;
    return 1;
}

static int list_has_key(const attr_def *d, const char *key)
{
    for (size_t i = 0; i < d->n_values; i++)
        if (strcmp(d->values[i].key, key) == 0)
            return 1;
    return 0;
}

static int parse_values(parser *ps, json_t *o, size_t i, attr_def *d)
{
    json_t *values = json_object_get(o, "values");
    size_t nv = json_array_size(values);
    if (!json_is_array(values) || nv == 0 || nv > ATTR_VALUES_MAX)
        return problem(ps, ATTRS_VALUES_COUNT, i, (size_t)-1, "values", ATTR_VALUES_MAX);
    d->values = arena_alloc(ps->a, sizeof *d->values * nv);
    if (!d->values)
        return problem(ps, ATTRS_VALUES_COUNT, i, (size_t)-1, "values", 0);
    for (size_t j = 0; j < nv; j++) {
        json_t *v = json_array_get(values, j);
        attr_value *av = &d->values[j];
        if (!json_is_object(v))
            return problem(ps, ATTRS_VALUE_NOT_OBJECT, i, j, NULL, 0);
        const char *extra = ps->strict ? unknown_member(v, value_members) : NULL;
        if (extra)
            return problem(ps, ATTRS_VALUE_UNKNOWN_MEMBER, i, j, extra, 0);
        if (text_member(ps, v, "key", i, j, &av->key) != 0 ||
            text_member(ps, v, "name", i, j, &av->name) != 0 ||
            text_member(ps, v, "name_en", i, j, &av->name_en) != 0)
            return -1;
        if (!av->key || (ps->strict && !*av->key))
            return problem(ps, ATTRS_VALUE_NO_KEY, i, j, "key", 0);
        if (!av->name || (ps->strict && !*av->name))
            return problem(ps, ATTRS_VALUE_NO_NAME, i, j, "name", 0);
        for (size_t k = 0; ps->strict && k < j; k++)
            if (strcmp(d->values[k].key, av->key) == 0)
                return problem(ps, ATTRS_VALUE_REPEATED_KEY, i, j, av->key, 0);
    }
    d->n_values = nv;
    return 0;
}

/* The format member of question i into d->format. Lenient: an unknown one, or one on a
 * question that is not a string, is none. */
static int parse_format(parser *ps, json_t *o, size_t i, attr_def *d)
{
    json_t *f = json_object_get(o, "format");
    if (!f)
        return 0;
    attr_format format;
    if (!json_is_string(f) || attr_format_parse(json_string_value(f), &format) != 0 ||
        format == ATTR_FORMAT_NONE)
        return ps->strict ? problem(ps, ATTRS_BAD_FORMAT, i, (size_t)-1,
                                    json_is_string(f) ? json_string_value(f) : "", 0)
                          : 0;
    /* An e-mail or phone question has its format already. */
    if (d->type != ATTR_STRING || d->format != ATTR_FORMAT_NONE)
        return ps->strict ? problem(ps, ATTRS_FORMAT_NOT_STRING, i, (size_t)-1, "format", 0) : 0;
    d->format = format;
    return 0;
}

/* A datatype name, or an alias of one, into d's type (and format, yesno). -1 if unknown. */
static int parse_datatype(attr_def *d, const char *name)
{
    d->format = ATTR_FORMAT_NONE;
    d->yesno = 0;
    for (size_t k = 0; name && k < sizeof type_aliases / sizeof type_aliases[0]; k++)
        if (strcmp(name, type_aliases[k].name) == 0) {
            d->type = type_aliases[k].type;
            d->format = type_aliases[k].format;
            d->yesno = type_aliases[k].yesno;
            return 0;
        }
    return attr_type_parse(name, &d->type);
}

/* A condition's value: a string of at most ATTR_LABEL_MAX bytes (the keys it names are
 * checked once every question is known). NULL when it is not one. */
static const char *condition_value(parser *ps, json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > ATTR_LABEL_MAX)
        return NULL;
    return arena_strndup(ps->a, json_string_value(v), json_string_length(v));
}

/* The show_if member of question i into d: {"field": CODE, "equals": KEY} or {"field": CODE,
 * "in": [KEY, …]}, nothing else. Lenient: a malformed one hides nothing. */
static int parse_condition(parser *ps, json_t *o, size_t i, attr_def *d)
{
    json_t *c = json_object_get(o, "show_if");
    if (!c)
        return 0;
    const char *bad = NULL;
    json_t *field = json_object_get(c, "field"), *equals = json_object_get(c, "equals"),
           *in = json_object_get(c, "in");
    if (!json_is_object(c))
        bad = "show_if";
    else if (!json_is_string(field) || !valid_code(json_string_value(field)))
        bad = "field";
    else if ((equals != NULL) == (in != NULL) || json_object_size(c) != 2)
        bad = "show_if";
    else if (in && (!json_is_array(in) || json_array_size(in) == 0 ||
                    json_array_size(in) > ATTR_VALUES_MAX))
        bad = "in";
    if (bad)
        return ps->strict ? problem(ps, ATTRS_BAD_CONDITION, i, (size_t)-1, bad, 0) : 0;
    size_t nv = in ? json_array_size(in) : 1;
    const char **values = arena_alloc(ps->a, nv * sizeof *values);
    if (!values)
        return problem(ps, ATTRS_BAD_CONDITION, i, (size_t)-1, "show_if", 0);
    for (size_t k = 0; k < nv; k++) {
        values[k] = condition_value(ps, in ? json_array_get(in, k) : equals);
        if (!values[k])
            return ps->strict
                       ? problem(ps, ATTRS_BAD_CONDITION, i, (size_t)-1, in ? "in" : "equals", 0)
                       : 0;
    }
    d->show_field = arena_strdup(ps->a, json_string_value(field));
    d->show_values = values;
    d->n_show_values = nv;
    return d->show_field ? 0 : problem(ps, ATTRS_BAD_CONDITION, i, (size_t)-1, "field", 0);
}

/* Question i of the text, object o, into d; earlier ones in out[0..i) for repeated codes. */
static int parse_one(parser *ps, json_t *o, size_t i, attr_def *out)
{
    attr_def *d = &out[i];
    if (!json_is_object(o))
        return problem(ps, ATTRS_NOT_OBJECT, i, (size_t)-1, NULL, 0);
    json_t *code = json_object_get(o, "code");
    if (!json_is_string(code) || json_string_length(code) == 0)
        return problem(ps, ATTRS_NO_CODE, i, (size_t)-1, "code", 0);
    d->code = arena_strndup(ps->a, json_string_value(code), json_string_length(code));
    if (!d->code || (ps->strict && !valid_code(d->code)))
        return problem(ps, ATTRS_BAD_CODE, i, (size_t)-1, "code", ATTR_CODE_MAX);
    snprintf(ps->pb->code, sizeof ps->pb->code, "%s", d->code);
    const char *extra = ps->strict ? unknown_member(o, def_members) : NULL;
    if (extra)
        return problem(ps, ATTRS_UNKNOWN_MEMBER, i, (size_t)-1, extra, 0);
    for (size_t j = 0; j < i; j++)
        if (strcmp(out[j].code, d->code) == 0)
            return problem(ps, ATTRS_REPEATED_CODE, i, (size_t)-1, "code", 0);
    json_t *type = json_object_get(o, "datatype");
    if (!type)
        return problem(ps, ATTRS_NO_DATATYPE, i, (size_t)-1, "datatype", 0);
    if (parse_datatype(d, json_string_value(type)) != 0)
        return problem(ps, ATTRS_BAD_DATATYPE, i, (size_t)-1,
                       json_is_string(type) ? json_string_value(type) : "", 0);
    if (parse_format(ps, o, i, d) != 0 || parse_condition(ps, o, i, d) != 0)
        return -1;
    if (bool_member(ps, o, "variable", i, 1, &d->variable) != 0 ||
        bool_member(ps, o, "required", i, 0, &d->required) != 0)
        return -1;
    if (d->type == ATTR_SECTION)
        d->variable = 0;
    d->required = d->variable && d->required;
    json_t *order = json_object_get(o, "order");
    if (order && ps->strict && !json_is_integer(order))
        return problem(ps, ATTRS_NOT_INTEGER, i, (size_t)-1, "order", 0);
    d->order = json_is_integer(order) ? (int)json_integer_value(order) : (int)i + 1;
    if (text_member(ps, o, "description", i, (size_t)-1, &d->description) != 0 ||
        text_member(ps, o, "description_en", i, (size_t)-1, &d->description_en) != 0 ||
        text_member(ps, o, "datatype_description", i, (size_t)-1, &d->datatype_description) != 0 ||
        text_member(ps, o, "datatype_description_en", i, (size_t)-1, &d->datatype_description_en) !=
            0)
        return -1;
    if (d->yesno) {
        if (ps->strict && json_object_get(o, "values"))
            return problem(ps, ATTRS_YESNO_VALUES, i, (size_t)-1, "values", 0);
        d->values = yesno_values;
        d->n_values = sizeof yesno_values / sizeof yesno_values[0];
        return 0;
    }
    if (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST)
        return parse_values(ps, o, i, d);
    return 0;
}

/* After the sort: each question's section, whether a condition may hide it, and (strict)
 * conditions that name a question that exists, comes before, has values, and for a list,
 * keys it has. */
static int link_conditions(parser *ps, attr_def *defs, size_t n)
{
    const attr_def *section = NULL;
    for (size_t k = 0; k < n; k++) {
        attr_def *d = &defs[k];
        if (d->type == ATTR_SECTION)
            section = d;
        else
            d->section = section;
        d->conditional = d->show_field != NULL || (d->section && d->section->conditional);
        if (!d->show_field || !ps->strict)
            continue;
        size_t item = ps->pos[k];
        snprintf(ps->pb->code, sizeof ps->pb->code, "%s", d->code);
        const attr_def *f = attrs_find(defs, n, d->show_field);
        if (!f)
            return problem(ps, ATTRS_CONDITION_UNKNOWN, item, (size_t)-1, d->show_field, 0);
        if (f >= d)
            return problem(ps, ATTRS_CONDITION_LATER, item, (size_t)-1, d->show_field, 0);
        if (!f->variable)
            return problem(ps, ATTRS_CONDITION_NOT_ASKED, item, (size_t)-1, d->show_field, 0);
        for (size_t j = 0; f->n_values && j < d->n_show_values; j++)
            if (!list_has_key(f, d->show_values[j]))
                return problem(ps, ATTRS_CONDITION_BAD_VALUE, item, (size_t)-1, d->show_values[j],
                               0);
    }
    return 0;
}

/* Sorts defs[0..n) by order (ties in the text's order), filling ps->pos. */
static int sort_defs(parser *ps, attr_def *defs, size_t n)
{
    ranked *r = arena_alloc(ps->a, (n + 1) * sizeof *r);
    ps->pos = arena_alloc(ps->a, (n + 1) * sizeof *ps->pos);
    if (!r || !ps->pos) {
        ps->pb->kind = ATTRS_TOO_MANY;
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        r[k] = (ranked){defs[k], k};
    qsort(r, n, sizeof *r, cmp_order);
    for (size_t k = 0; k < n; k++) {
        defs[k] = r[k].def;
        ps->pos[k] = r[k].pos;
    }
    return 0;
}

static int parse(parser *ps, const char *json, attr_def **defs, size_t *n)
{
    *defs = NULL;
    *n = 0;
    memset(ps->pb, 0, sizeof *ps->pb);
    if (!json || !*json)
        return 0;
    json_error_t jerr;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!root) {
        ps->pb->kind = ATTRS_SYNTAX;
        ps->pb->line = jerr.line;
        ps->pb->column = jerr.column;
        return -1;
    }
    if (!json_is_array(root)) {
        ps->pb->kind = ATTRS_NOT_ARRAY;
        goto cleanup;
    }
    size_t count = json_array_size(root);
    if (count > ATTRS_MAX) {
        ps->pb->kind = ATTRS_TOO_MANY;
        ps->pb->max = ATTRS_MAX;
        goto cleanup;
    }
    attr_def *out = arena_alloc(ps->a, sizeof *out * (count + 1));
    if (!out) {
        ps->pb->kind = ATTRS_TOO_MANY;
        goto cleanup;
    }
    memset(out, 0, sizeof *out * (count + 1));
    for (size_t i = 0; i < count; i++) {
        ps->pb->code[0] = '\0';
        if (parse_one(ps, json_array_get(root, i), i, out) != 0)
            goto cleanup;
    }
    memset(ps->pb, 0, sizeof *ps->pb);
    if (sort_defs(ps, out, count) != 0 || link_conditions(ps, out, count) != 0)
        goto cleanup;
    memset(ps->pb, 0, sizeof *ps->pb);
    *defs = out;
    *n = count;
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}

int attrs_check(const char *json, attrs_problem *pb)
{
    arena a;
    arena_init(&a, 0);
    parser ps = {.a = &a, .strict = 1, .pb = pb};
    attr_def *defs;
    size_t n;
    int rc = parse(&ps, json, &defs, &n);
    arena_free(&a);
    return rc;
}

int attrs_parse_definitions(arena *a, const char *json, attr_def **defs, size_t *n, error *err)
{
    attrs_problem pb;
    parser ps = {.a = a, .strict = 0, .pb = &pb};
    if (parse(&ps, json, defs, n) == 0)
        return 0;
    /* English for logs and the CLI; the editor words the problem itself (attrs_check). */
    return error_set(err, ERR_INVALID_ARG, "attributes",
                     "attribute definitions: %s (question %zu%s%s%s, value %zu, member %s)",
                     attrs_problem_name(pb.kind), pb.item, pb.code[0] ? " \"" : "", pb.code,
                     pb.code[0] ? "\"" : "", pb.value, pb.member);
}

const char *attr_label(const attr_def *d, lang l)
{
    if (l == LANG_EN && d->description_en && *d->description_en)
        return d->description_en;
    return d->description && *d->description ? d->description : d->code;
}

const char *attr_hint(const attr_def *d, lang l)
{
    if (l == LANG_EN && d->datatype_description_en && *d->datatype_description_en)
        return d->datatype_description_en;
    return d->datatype_description;
}

const char *attr_value_name(const attr_def *d, const char *key, lang l)
{
    for (size_t i = 0; key && i < d->n_values; i++)
        if (strcmp(d->values[i].key, key) == 0)
            return l == LANG_EN && d->values[i].name_en && *d->values[i].name_en
                       ? d->values[i].name_en
                       : d->values[i].name;
    return key;
}

const attr_def *attrs_find(const attr_def *defs, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(defs[i].code, code) == 0)
            return &defs[i];
    return NULL;
}

/* 1 when one of the values given for code is among d's show_values. */
static int condition_met(const attr_def *d, const char *code, const attr_input *in, size_t n_in)
{
    for (size_t i = 0; i < n_in; i++)
        if (strcmp(in[i].code, code) == 0)
            for (size_t k = 0; k < d->n_show_values; k++)
                if (strcmp(in[i].value, d->show_values[k]) == 0)
                    return 1;
    return 0;
}

int attrs_shown(const attr_def *defs, size_t n, const attr_def *d, const attr_input *in,
                size_t n_in)
{
    /* A condition names an earlier question (attrs_check), so each step goes up the form:
     * at most n of them, even with a stored definition that was never checked. */
    for (size_t steps = 0; d && steps <= n; steps++) {
        if (d->section && !attrs_shown(defs, n, d->section, in, n_in))
            return 0;
        if (!d->show_field)
            return 1;
        const attr_def *f = attrs_find(defs, n, d->show_field);
        if (!f || f >= d || !condition_met(d, f->code, in, n_in))
            return 0;
        d = f;
    }
    return 1;
}

int attr_open311_exposed(const attr_def *d)
{
    return d->type != ATTR_SECTION && d->type != ATTR_FILE && d->type != ATTR_LOCATION;
}

const char *attr_location_of(const json_t *v, int *has_pos, double *lat, double *lon)
{
    json_t *la = json_object_get(v, "lat"), *lo = json_object_get(v, "lon");
    *has_pos = json_is_number(la) && json_is_number(lo);
    *lat = *has_pos ? json_number_value(la) : 0;
    *lon = *has_pos ? json_number_value(lo) : 0;
    return json_string_value(json_object_get(v, "address"));
}

/* 1 when the entrance asks d: a file question only where files come with the values, a
 * location only where it is asked (attrs_policy). */
static int asked_here(const attr_def *d, const attrs_policy *policy)
{
    if (d->type == ATTR_FILE)
        return policy && policy->files;
    if (d->type == ATTR_LOCATION)
        return !policy || policy->locations;
    return 1;
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

/* A strict date: exactly YYYY-MM-DD, a real day of years 1000..9999. */
static int is_iso_date(const char *s)
{
    int64_t t;
    return strlen(s) == 10 && s[0] >= '1' && time_parse_rfc3339(s, &t) == 0;
}

/* Reads 1 to max digits at *p into *out; -1 when there is none or more follow. */
static int read_number(const char **p, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max && **p >= '0' && **p <= '9') {
        v = v * 10 + (*(*p)++ - '0');
        n++;
    }
    *out = v;
    return n > 0 && !(**p >= '0' && **p <= '9') ? 0 : -1;
}

int attr_date_read(arena *a, const char *value, const char **iso)
{
    if (is_iso_date(value)) {
        *iso = value;
        return 0;
    }
    const char *p = value;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len < 8 || len > 64)
        return -1;
    char text[65];
    memcpy(text, p, len);
    text[len] = '\0';
    char day[32]; /* room for any int the compiler imagines in %04d-%02d-%02d */
    int64_t t;
    if (text[4] == '-') {
        /* A date and time, with or without offset: its written date, once the whole reads. */
        if (len < 10 || (len > 10 && time_parse_rfc3339(text, &t) != 0 &&
                         time_parse_local(text, NULL, &t) != 0))
            return -1;
        memcpy(day, text, 10);
        day[10] = '\0';
    } else {
        int d, m, y;
        const char *q = text;
        if (read_number(&q, 2, &d) != 0 || *q++ != '/' || read_number(&q, 2, &m) != 0 ||
            *q++ != '/' || read_number(&q, 4, &y) != 0 || *q != '\0' || y < 1000 || m < 1 ||
            m > 12 || d < 1 || d > 31)
            return -1;
        snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
    }
    if (!is_iso_date(day))
        return -1;
    *iso = arena_strdup(a, day);
    return *iso ? 0 : -2;
}

/* A formatted string value (attr_format_check), with an English detail for API clients that
 * says what is wrong. */
static int check_format(arena *a, attr_format f, const char *value, const char **stored,
                        const char *argname, error *err)
{
    fr_id_result r;
    int rc = attr_format_check(a, f, value, stored, &r);
    if (rc == 0)
        return 0;
    if (rc == -2)
        return error_set(err, ERR_INTERNAL, argname, "out of memory");
    const char *name = attr_format_name(f);
    switch (r.problem) {
    case FR_ID_LENGTH:
        return error_set(err, ERR_INVALID_ARG, argname, "not a valid %s: %d %s where %d %s needed",
                         name, r.got, f == ATTR_FORMAT_IBAN ? "characters" : "digits", r.want,
                         r.want > 1 ? "are" : "is");
    case FR_ID_CHECKSUM:
        return error_set(err, ERR_INVALID_ARG, argname, "not a valid %s: wrong check digits", name);
    case FR_ID_RIB_KEY:
        return error_set(err, ERR_INVALID_ARG, argname, "not a valid %s: wrong RIB key", name);
    case FR_ID_IBAN_COUNTRY:
        return error_set(err, ERR_INVALID_ARG, argname,
                         "not a valid %s: \"%s\" is not a SEPA country code", name, r.country);
    case FR_ID_POSTCODE_AREA:
        return error_set(err, ERR_INVALID_ARG, argname,
                         "not a valid %s: no French département begins so", name);
    case FR_ID_POSTCODE_CORSE:
        return error_set(err, ERR_INVALID_ARG, argname,
                         "not a valid %s: Corsican postcodes begin with 20, not 2A or 2B", name);
    case FR_ID_PHONE_PREFIX:
        return error_set(err, ERR_INVALID_ARG, argname, "not a valid %s: not a French number",
                         name);
    default:
        return error_set(err, ERR_INVALID_ARG, argname, "not a valid %s", name);
    }
}

/* The text of a stored location (canonical: address, then lat and lon when given) into
 * *stored, in a. -1 out of memory. */
static int location_text(arena *a, const char *address, int has_pos, double lat, double lon,
                         const char **stored)
{
    buf out;
    buf_init(&out, 64 * 1024);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "address", address);
    if (has_pos) {
        jsonw_double(&w, "lat", lat);
        jsonw_double(&w, "lon", lon);
    }
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    *stored = rc == 0 ? arena_strndup(a, buf_cstr(&out), out.len) : NULL;
    buf_free(&out);
    return *stored ? 0 : -1;
}

const char *attr_location_input(arena *a, const char *address, const char *lat, const char *lon)
{
    buf out;
    buf_init(&out, 64 * 1024);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "address", address ? address : "");
    const char *deg[2] = {lat, lon}, *key[2] = {"lat", "lon"};
    for (int k = 0; k < 2; k++)
        if (deg[k] && *deg[k]) {
            if (is_decimal(deg[k]))
                jsonw_double(&w, key[k], strtod(deg[k], NULL));
            else
                jsonw_string(&w, key[k], deg[k]);
        }
    jsonw_object_end(&w);
    const char *text = jsonw_finish(&w) == 0 ? arena_strndup(a, buf_cstr(&out), out.len) : NULL;
    buf_free(&out);
    return text;
}

/* A location's value (attr_input) checked into its stored object's text *stored: an address
 * of one line, and a position whose degrees are both given, in range. */
static int check_location(arena *a, const char *value, const char **stored, const char *argname,
                          error *err)
{
    const char *address = value;
    double lat = 0, lon = 0;
    int has_pos = 0;
    json_t *o = NULL;
    if (*value == '{') {
        o = json_loads(value, JSON_REJECT_DUPLICATES, NULL);
        json_t *la = json_object_get(o, "lat"), *lo = json_object_get(o, "lon");
        address = json_string_value(json_object_get(o, "address"));
        size_t members = json_object_size(o) - (address != NULL) - (la != NULL) - (lo != NULL);
        if (!json_is_object(o) || !address || members != 0) {
            json_decref(o);
            return error_set(err, ERR_INVALID_ARG, argname,
                             "a location is an address, or an object with the members address, "
                             "lat and lon");
        }
        if ((la != NULL) != (lo != NULL)) {
            json_decref(o);
            return error_set(err, ERR_INVALID_ARG, argname,
                             "a position needs both its latitude and its longitude");
        }
        has_pos = la != NULL;
        lat = json_number_value(la);
        lon = json_number_value(lo);
        if (has_pos &&
            (!json_is_number(la) || !json_is_number(lo) || fabs(lat) > 90 || fabs(lon) > 180)) {
            json_decref(o);
            return error_set(err, ERR_INVALID_ARG, argname,
                             "the position must be decimal degrees, latitude within ±90 and "
                             "longitude within ±180");
        }
    }
    size_t len = strlen(address);
    int rc;
    if (!*address || !utf8_valid(address, len) || utf8_length(address, len) > ATTR_STRING_MAX ||
        strchr(address, '\n') || utf8_has_control(address, len))
        rc = error_set(err, ERR_INVALID_ARG, argname,
                       "the address must be one line of 1 to %d characters", ATTR_STRING_MAX);
    else if (location_text(a, address, has_pos, lat, lon, stored) != 0)
        rc = error_set(err, ERR_INTERNAL, argname, "out of memory");
    else
        rc = 0;
    json_decref(o);
    return rc;
}

/* Checks one value of d; *stored is what is kept of it (the value itself, or a number, a
 * datetime or a date normalised, a location's object as JSON text). */
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
        return d->format != ATTR_FORMAT_NONE && *value
                   ? check_format(a, d->format, value, stored, argname, err)
                   : 0;
    case ATTR_LOCATION:
        return check_location(a, value, stored, argname, err);
    case ATTR_FILE:
        if (chars > ATTR_FILE_NAME_MAX || strchr(value, '\n') || utf8_has_control(value, len))
            return error_set(err, ERR_INVALID_ARG, argname,
                             "must be a file name of at most %d characters", ATTR_FILE_NAME_MAX);
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
    case ATTR_DATE: {
        int r = policy != NULL ? attr_date_read(a, value, stored) : is_iso_date(value) ? 0 : -1;
        if (r == -2)
            return error_set(err, ERR_INTERNAL, argname, "out of memory");
        return r == 0 ? 0
                      : error_set(err, ERR_INVALID_ARG, argname,
                                  "must be a real calendar date such as 2026-12-05");
    }
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
        const attr_def *d = attrs_find(defs, n, in[i].code);
        stored[i] = NULL;
        if (d == NULL && policy != NULL && policy->ignore_unknown) {
            /* The code only: values may be personal data. Nothing below writes it, since
             * the stored object is built from the definitions. */
            log_info("attrs: %s ignored, the procedure does not define it", argname);
            continue;
        }
        if (!d || !d->variable)
            return error_set(err, ERR_INVALID_ARG, argname, "unknown attribute");
        if (d->conditional && !attrs_shown(defs, n, d, in, n_in))
            continue; /* hidden: dropped below, whatever it is */
        if (!asked_here(d, policy))
            continue; /* no file comes with it, or no place is asked: dropped below */
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
        if (!d->variable || (d->conditional && !attrs_shown(defs, n, d, in, n_in)) ||
            !asked_here(d, policy))
            continue;
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
            if (strcmp(in[i].code, d->code) != 0 || in[i].value[0] == '\0')
                continue;
            else if (d->type == ATTR_LOCATION)
                jsonw_raw(&w, d->code, stored[i]);
            else
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

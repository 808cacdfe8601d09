/*
 * form_field — the widget of each datatype and a field's context for partials/field.html.
 */
#include "web/form_field.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "present/present.h"
#include "util/phone.h"
#include "util/utf8.h"

/* A string question's input as its format wants it. */
static void format_input(form_field_widget *w, attr_format f)
{
    static const struct {
        const char *type, *inputmode, *autocomplete;
        int is_short;
    } inputs[ATTR_FORMAT_COUNT] = {
        [ATTR_FORMAT_NONE] = {"text", NULL, NULL, 0},
        [ATTR_FORMAT_SIRET] = {"text", "numeric", "off", 1},
        [ATTR_FORMAT_SIREN] = {"text", "numeric", "off", 1},
        [ATTR_FORMAT_IBAN] = {"text", "text", "off", 0},
        [ATTR_FORMAT_CODE_POSTAL] = {"text", "numeric", "postal-code", 1},
        [ATTR_FORMAT_TELEPHONE] = {"tel", "tel", "tel", 1},
        [ATTR_FORMAT_EMAIL] = {"email", "email", "email", 0},
    };
    int i = f > ATTR_FORMAT_NONE && f < ATTR_FORMAT_COUNT ? (int)f : 0;
    w->input_type = inputs[i].type;
    w->inputmode = inputs[i].inputmode;
    w->autocomplete = inputs[i].autocomplete;
    w->is_short = inputs[i].is_short;
}

void form_field_widget_of(const attr_def *d, form_field_widget *w)
{
    memset(w, 0, sizeof *w);
    if (d->type == ATTR_SECTION) {
        w->kind = FORM_FIELD_SECTION;
        return;
    }
    if (!d->variable) {
        w->kind = FORM_FIELD_NOTICE;
        return;
    }
    switch (d->type) {
    case ATTR_FILE:
        w->kind = FORM_FIELD_FILE;
        break;
    case ATTR_LOCATION:
        w->kind = FORM_FIELD_INPUT;
        w->input_type = "text";
        w->autocomplete = "street-address";
        break;
    case ATTR_NUMBER:
        w->kind = FORM_FIELD_INPUT;
        w->input_type = "text";
        w->inputmode = "decimal";
        w->is_short = 1;
        break;
    case ATTR_DATETIME:
        w->kind = FORM_FIELD_INPUT;
        w->input_type = "datetime-local";
        break;
    case ATTR_DATE:
        w->kind = FORM_FIELD_INPUT;
        w->input_type = "date";
        break;
    case ATTR_TEXT:
        w->kind = FORM_FIELD_TEXTAREA;
        break;
    case ATTR_SINGLEVALUELIST:
        w->kind =
            d->n_values > FORM_FIELD_SELECT_THRESHOLD ? FORM_FIELD_SELECT : FORM_FIELD_CHOICES;
        break;
    case ATTR_MULTIVALUELIST:
        w->kind = FORM_FIELD_CHOICES;
        w->multi = 1;
        break;
    default:
        w->kind = FORM_FIELD_INPUT;
        format_input(w, d->format);
        break;
    }
}

const char *form_field_id(arena *a, const char *code)
{
    char *id = arena_printf(a, "attr-%s", code);
    for (char *c = id; c && *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            *c = '-';
    return id;
}

const char *form_field_name(arena *a, const attr_def *d)
{
    return d->type == ATTR_MULTIVALUELIST ? arena_printf(a, "attribute[%s][]", d->code)
                                          : arena_printf(a, "attribute[%s]", d->code);
}

json_t *form_field_option(arena *a, const char *id, size_t i, const char *value, const char *label,
                          int checked)
{
    json_t *o = json_object();
    present_set_str(o, "id", arena_printf(a, "%s-%zu", id, i));
    present_set_str(o, "value", value);
    present_set_str(o, "label", label);
    json_object_set_new(o, "checked", json_boolean(checked));
    return o;
}

json_t *form_field_json(arena *a, const char *id, const char *name, const char *label,
                        const char *hint, const form_field_widget *w, int required,
                        const char *value, const char *message)
{
    json_t *o = json_object();
    present_set_str(o, "id", id);
    present_set_str(o, "name", name);
    present_set_str(o, "label", label);
    if (w->kind == FORM_FIELD_NOTICE) {
        json_object_set_new(o, "k_notice", json_true());
        return o;
    }
    if (w->kind == FORM_FIELD_SECTION) {
        json_object_set_new(o, "k_section", json_true());
        present_set_str_opt(o, "hint", hint);
        return o;
    }
    if (hint && *hint)
        present_set_str(o, "hint", hint);
    if (message)
        present_set_str(o, "error", message);
    const char *described = NULL;
    if (hint && *hint && message)
        described = arena_printf(a, "%s-hint %s-error", id, id);
    else if (hint && *hint)
        described = arena_printf(a, "%s-hint", id);
    else if (message)
        described = arena_printf(a, "%s-error", id);
    if (described)
        present_set_str(o, "describedby", described);
    json_object_set_new(o, "required", json_boolean(required));
    const char *v = value ? value : "";
    switch (w->kind) {
    case FORM_FIELD_HIDDEN:
        json_object_set_new(o, "k_hidden", json_true());
        present_set_str(o, "value", v);
        break;
    case FORM_FIELD_INPUT:
        json_object_set_new(o, "k_input", json_true());
        present_set_str(o, "input_type", w->input_type ? w->input_type : "text");
        if (w->inputmode)
            present_set_str(o, "inputmode", w->inputmode);
        if (w->autocomplete)
            present_set_str(o, "autocomplete", w->autocomplete);
        json_object_set_new(o, "short", json_boolean(w->is_short));
        present_set_str(o, "value", v);
        break;
    case FORM_FIELD_TEXTAREA:
        json_object_set_new(o, "k_textarea", json_true());
        present_set_str(o, "value", v);
        break;
    case FORM_FIELD_FILE:
        json_object_set_new(o, "k_file_question", json_true());
        break;
    case FORM_FIELD_SELECT:
    case FORM_FIELD_CHOICES:
        json_object_set_new(o, w->kind == FORM_FIELD_SELECT ? "k_select" : "k_choices",
                            json_true());
        present_set_str(o, "choice_type", w->multi ? "checkbox" : "radio");
        json_object_set_new(o, "radio_required", json_boolean(required && !w->multi));
        break;
    default:
        break;
    }
    return o;
}

json_t *form_field_values(arena *a, const attr_def *d, const char *id, lang l,
                          int (*checked)(void *ctx, const char *key), void *ctx)
{
    json_t *opts = json_array();
    for (size_t i = 0; i < d->n_values; i++) {
        const char *key = d->values[i].key;
        json_array_append_new(opts, form_field_option(a, id, i, key, attr_value_name(d, key, l),
                                                      checked && checked(ctx, key)));
    }
    return opts;
}

json_t *form_field_of(arena *a, const attr_def *d, lang l)
{
    form_field_widget w;
    form_field_widget_of(d, &w);
    const char *id = form_field_id(a, d->code);
    int asked = w.kind != FORM_FIELD_SECTION && w.kind != FORM_FIELD_NOTICE;
    json_t *o = form_field_json(a, id, asked ? form_field_name(a, d) : "", attr_label(d, l),
                                attr_hint(d, l), &w, d->required, NULL, NULL);
    if (w.kind == FORM_FIELD_CHOICES || w.kind == FORM_FIELD_SELECT)
        json_object_set_new(o, "options", form_field_values(a, d, id, l, NULL, NULL));
    return o;
}

/* The message of key with the question's label. */
static const char *worded(arena *a, const present *p, lang l, const char *key, const char *label)
{
    const char *name = "label";
    return present_subst(a, present_string(p, l, key), &name, &label, 1);
}

/* The message that says what is wrong with value for a question with a format
 * ("procedure.err_format.siret.length": «… 14 chiffres ; celui-ci en a 13.»); NULL when the
 * format finds nothing wrong (the value failed on something else: its length, a line). */
static const char *format_refusal(arena *a, const present *p, lang l, const attr_def *d,
                                  const char *label, const char *value)
{
    const char *stored;
    fr_id_result r;
    if (attr_format_check(a, d->format, value, &stored, &r) != -1 || r.problem == FR_ID_EMPTY)
        return NULL;
    const char *key = arena_printf(a, "procedure.err_format.%s.%s", attr_format_name(d->format),
                                   fr_id_problem_name(r.problem));
    char got[16], want[16];
    snprintf(got, sizeof got, "%d", r.got);
    snprintf(want, sizeof want, "%d", r.want);
    const char *names[] = {"label", "got", "want", "country"};
    const char *values[] = {label, got, want, r.country};
    return present_subst(a, present_string(p, l, key), names, values, 4);
}

const char *form_field_phone_refusal(arena *a, const present *p, lang l, const char *typed)
{
    char e164[PHONE_E164_MAX];
    phone_result r;
    if (!typed || phone_e164(typed, e164, &r) == 0 || r.problem == PHONE_EMPTY)
        return NULL;
    const char *key = arena_printf(a, "phone.errors.%s", phone_problem_name(r.problem));
    char got[16];
    snprintf(got, sizeof got, "%d", r.got);
    const char *name = "got", *value = got;
    return present_subst(a, present_string(p, l, key), &name, &value, 1);
}

const char *form_field_refusal(arena *a, const present *p, lang l, const attr_def *d,
                               const char *label, const attr_input *in, size_t n, const char *typed)
{
    const char *json;
    error e;
    error_clear(&e);
    attr_def alone = *d;
    alone.conditional = 0;
    if (attrs_validate(a, &alone, 1, in, n, NULL, &json, &e) == 0)
        return NULL;
    if (e.code == ERR_MISSING_ARG) {
        form_field_widget w;
        form_field_widget_of(d, &w);
        return worded(a, p, l,
                      w.kind == FORM_FIELD_CHOICES || w.kind == FORM_FIELD_SELECT
                          ? "procedure.err_choose"
                          : "procedure.err_required",
                      label);
    }
    const char *v = typed ? typed : n ? in[0].value : "";
    if (!v)
        v = "";
    if (d->type == ATTR_STRING && d->format != ATTR_FORMAT_NONE && n == 1) {
        const char *m = format_refusal(a, p, l, d, label, in[0].value);
        if (m)
            return m;
    }
    const char *key = "procedure.err_invalid";
    switch (d->type) {
    case ATTR_LOCATION:
        /* The position is the list's or the map's: the citizen mends it by choosing again. */
        key = strstr(e.detail, "position")                  ? "procedure.err_place_position"
              : strpbrk(v, "\r\n")                          ? "procedure.err_one_line"
              : utf8_length(v, strlen(v)) > ATTR_STRING_MAX ? "procedure.err_too_long"
                                                            : "procedure.err_invalid";
        break;
    case ATTR_NUMBER:
        key = "procedure.err_number";
        break;
    case ATTR_DATETIME:
        key = "procedure.err_datetime";
        break;
    case ATTR_DATE:
        key = "procedure.err_date";
        break;
    case ATTR_STRING:
    case ATTR_TEXT:
        key = strstr(e.detail, "long")                       ? "procedure.err_too_long"
              : d->type == ATTR_STRING && strpbrk(v, "\r\n") ? "procedure.err_one_line"
                                                             : "procedure.err_invalid";
        break;
    default:
        break;
    }
    return worded(a, p, l, key, label);
}

const char *form_field_condition_note(arena *a, const present *p, lang l, const attr_def *defs,
                                      size_t n, const attr_def *d, const char *pattern_key)
{
    const attr_def *f = d->show_field ? attrs_find(defs, n, d->show_field) : NULL;
    if (!f)
        return NULL;
    const char *values = "";
    for (size_t k = 0; k < d->n_show_values; k++) {
        const char *vname = "value";
        const char *name = attr_value_name(f, d->show_values[k], l);
        const char *one =
            present_subst(a, present_string(p, l, "procedure.condition_value"), &vname, &name, 1);
        values = arena_printf(a, "%s%s%s", values,
                              k ? present_string(p, l, "procedure.condition_or") : "", one);
    }
    const char *names[] = {"field", "values"};
    const char *vals[] = {attr_label(f, l), values};
    return present_subst(a, present_string(p, l, pattern_key), names, vals, 2);
}

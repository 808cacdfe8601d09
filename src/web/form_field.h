/*
 * form_field — how a procedure's questions become the fields templates/partials/field.html
 * draws: the widget of each datatype and format, a question's id and field name, and a
 * field's context. Shared by the portal's forms (web/portal/filing_form.c), which add the
 * answers, errors and conditions of a filing, and the procedure editor's preview
 * (web/backoffice), which shows a definition not saved yet exactly as citizens will see it.
 */
#ifndef GUICHET_WEB_FORM_FIELD_H
#define GUICHET_WEB_FORM_FIELD_H

#include <jansson.h>

#include "core/attrs.h"
#include "present/present.h"
#include "util/arena.h"

/* More values than this: a <select> instead of radio buttons. */
#define FORM_FIELD_SELECT_THRESHOLD 6

typedef enum form_field_kind {
    FORM_FIELD_INPUT,
    FORM_FIELD_TEXTAREA,
    FORM_FIELD_CHOICES,
    FORM_FIELD_SELECT,
    FORM_FIELD_NOTICE,
    FORM_FIELD_HIDDEN,
    FORM_FIELD_SECTION,
    FORM_FIELD_FILE /* a file question: one document */
} form_field_kind;

/* What a field is drawn as. */
typedef struct form_field_widget {
    form_field_kind kind;
    const char *input_type, *inputmode, *autocomplete; /* an input's; NULL: none */
    int is_short;                                      /* a short box, for short numbers */
    int multi;                                         /* checkboxes rather than radios */
} form_field_widget;

/* The widget of question d: its datatype's (a section, a notice, a file, a text, a list as
 * radio buttons, a <select> past FORM_FIELD_SELECT_THRESHOLD values, checkboxes) and, for a
 * string, its format's keyboard and autofill (type "text" but for telephone and e-mail, so
 * that a browser never refuses on its own what the server words better). */
void form_field_widget_of(const attr_def *d, form_field_widget *w);

/* The id of question `code`: "attr-" and its letters, digits, '-' and '_' (others become
 * '-'). The field name of question d: "attribute[CODE]" ("attribute[CODE][]" for a
 * multivaluelist). In a. */
const char *form_field_id(arena *a, const char *code);
const char *form_field_name(arena *a, const attr_def *d);

/* The context of one field for partials/field.html: its id, name, label, hint (NULL: none),
 * widget w's flag and attributes, required, value (NULL: none) and error message (NULL:
 * none), and the aria-describedby they make. Choices get no options here (form_field_option). New
 * reference. */
json_t *form_field_json(arena *a, const char *id, const char *name, const char *label,
                        const char *hint, const form_field_widget *w, int required,
                        const char *value, const char *message);

/* Option i of a choice whose field has id `id`: its own id, value, label, checked. New
 * reference. */
json_t *form_field_option(arena *a, const char *id, size_t i, const char *value, const char *label,
                          int checked);

/* The options of list question d, for a field of id `id`: its values with their names in
 * language l, those checked(ctx, key) says checked (checked NULL: none). New reference. */
json_t *form_field_values(arena *a, const attr_def *d, const char *id, lang l,
                          int (*checked)(void *ctx, const char *key), void *ctx);

/* The field of question d unanswered, as a form first shows it to a citizen in language l:
 * form_field_json of its widget, id, name, label, hint and required flag, with its options.
 * New reference. */
json_t *form_field_of(arena *a, const attr_def *d, lang l);

/* Why the answer in[0..n) to question d is refused, in words for the person who typed it, in
 * language l (texts of p), with the question's label: NULL when it is accepted. d is checked
 * alone, as shown (its condition names another question: not this check's to evaluate).
 * typed: what was typed when in[] holds something else (a location's address, its answer
 * being JSON); NULL: in[0]'s value. The one wording of refused answers, for the portal's
 * forms and the counter's intake. */
const char *form_field_refusal(arena *a, const present *p, lang l, const attr_def *d,
                               const char *label, const attr_input *in, size_t n,
                               const char *typed);

/* What is wrong with a phone number typed (util/phone), worded for language l ("Le numéro
 * de téléphone doit comporter 10 chiffres ; celui-ci en a 8."): NULL when it is accepted or
 * empty. The one wording of refused numbers, for the portal's forms, the account page and the
 * counter's intake; in a. */
const char *form_field_phone_refusal(arena *a, const present *p, lang l, const char *typed);

/* When question or section d of defs[0..n) shows, by the names citizens read in l: the text
 * of pattern_key with {field} the question it depends on and {values} its values («Affiché si
 * la réponse à « Question » est « Oui » ou « Non ».»); NULL when always shown. For the
 * editor's preview and the counter's intake, which draw every question. */
const char *form_field_condition_note(arena *a, const present *p, lang l, const attr_def *defs,
                                      size_t n, const attr_def *d, const char *pattern_key);

#endif

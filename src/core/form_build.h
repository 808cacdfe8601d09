/*
 * form_build — a procedure's form edited question by question (the back office's form
 * builder): its definition text (core/attrs.h) read into a JSON array in the form's order,
 * questions built from what an editor gives, added, replaced, moved and removed, and the
 * array written back as text. The text then goes the one way every definition goes: checked
 * by attrs_check and saved by admin_procedure_upsert_as, as the JSON editor's text does.
 */
#ifndef GUICHET_CORE_FORM_BUILD_H
#define GUICHET_CORE_FORM_BUILD_H

#include <jansson.h>
#include <stddef.h>

#include "core/attrs.h"
#include "util/arena.h"

/* The kinds of question the builder offers, as the "datatype" it writes ("string", "text",
 * "number", "date", "datetime", "email", "phone", "singlevaluelist", "multivaluelist",
 * "yesno", "file", "location", "section"): NULL-terminated. */
extern const char *const form_build_kinds[];
/* 1 when kind is one of them. */
int form_build_kind_known(const char *kind);
/* 1 when a question of kind has a list of values the editor gives. */
int form_build_kind_has_values(const char *kind);
/* 1 when a condition may name a question of kind (a choice or a yes/no). */
int form_build_kind_is_choice(const char *kind);

/* One value of a list question as given. */
typedef struct form_build_value {
    const char *key, *name, *name_en; /* name_en NULL or "" when none */
} form_build_value;

/* A question as the builder's form gives it; texts NULL or "" when not given. */
typedef struct form_build_question {
    const char *code;
    const char *kind; /* one of form_build_kinds */
    const char *label, *label_en, *help, *help_en;
    int required;
    const char *format; /* a string question's (attr_format_name), "" for none */
    const form_build_value *values;
    size_t n_values;
    const char *show_field; /* the condition's question, NULL or "" for none */
    const char *const *show_values;
    size_t n_show_values;
} form_build_question;

/* The questions of a definition text (NULL or "" is none) as a new array, in the form's
 * order (by "order", then as written: attrs_parse_definitions's), their "order" members
 * dropped (the array's order is the form's). NULL when the text is not a JSON array. */
json_t *form_build_load(const char *json);
/* The array as a definition text, in a (NULL when out of memory). */
const char *form_build_text(arena *a, const json_t *defs);

/* The question's JSON object (a new reference; NULL when out of memory). */
json_t *form_build_object(const form_build_question *q);
/* An edited question: q (its reference taken) over the question it replaces, old, whose
 * members the builder does not edit (as "variable": a notice asks nothing) are kept and
 * whose members the builder edits but q leaves out (a format, a condition) are dropped. A
 * new reference; NULL when out of memory. */
json_t *form_build_merge(const json_t *old, json_t *q);
/* The reverse, for the editor's form: q's strings and arrays borrowed from o or in a. */
void form_build_read(arena *a, const json_t *o, form_build_question *q);

/* The rank of the question of code in defs, -1 when none. */
long form_build_find(const json_t *defs, const char *code);
/* The code of question i, "" when it has none. */
const char *form_build_code(const json_t *defs, size_t i);
/* The code of the first question whose condition names question i, NULL when none. */
const char *form_build_dependent(const json_t *defs, size_t i);

/* Makes the conditions that name question `from` name `to` (a question's code changed). */
void form_build_rename(json_t *defs, const char *from, const char *to);

/* Puts q at rank `at` (0 to the array's size), taking the reference. 0, -1 when out of
 * memory or at is out of range. */
int form_build_insert(json_t *defs, size_t at, json_t *q);
/* Swaps question i with the one before it (up) or after it: 0, -1 when there is none. */
int form_build_move(json_t *defs, size_t i, int up);

/* A code for a question labelled label: its letters and digits without accents, lowercase,
 * '_' between words, at most 40 bytes, "question" when none is left, and a suffix "_2", "_3"…
 * when another question of defs (but the one at rank except, -1 for none) has it. In a;
 * NULL when out of memory. */
const char *form_build_code_of(arena *a, const json_t *defs, long except, const char *label);
/* 1 when code is one a question may have: 1 to ATTR_CODE_MAX letters, digits or '_'. */
int form_build_code_valid(const char *code);

#endif

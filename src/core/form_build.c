/*
 * form_build — a procedure's form edited question by question: the JSON array the builder
 * works on, and the questions it builds.
 */
#include "core/form_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/collate.h"

const char *const form_build_kinds[] = {
    "string",          "text",           "number", "date", "datetime", "email",   "phone",
    "singlevaluelist", "multivaluelist", "yesno",  "file", "location", "section", NULL};

int form_build_kind_known(const char *kind)
{
    for (size_t i = 0; kind && form_build_kinds[i]; i++)
        if (strcmp(kind, form_build_kinds[i]) == 0)
            return 1;
    return 0;
}

int form_build_kind_has_values(const char *kind)
{
    return kind && (strcmp(kind, "singlevaluelist") == 0 || strcmp(kind, "multivaluelist") == 0);
}

int form_build_kind_is_choice(const char *kind)
{
    return form_build_kind_has_values(kind) || (kind && strcmp(kind, "yesno") == 0);
}

/* The rank a question has in the form: its "order" when it is an integer, else its place
 * in the text from 1 (attrs_parse_definitions's rule). */
static json_int_t order_of(const json_t *o, size_t i)
{
    const json_t *ord = json_object_get(o, "order");
    return json_is_integer(ord) ? json_integer_value(ord) : (json_int_t)i + 1;
}

typedef struct ranked_item {
    json_t *o;
    json_int_t order;
    size_t pos;
} ranked_item;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked_item *a = pa, *b = pb;
    int o = (a->order > b->order) - (a->order < b->order);
    return o ? o : (a->pos > b->pos) - (a->pos < b->pos);
}

json_t *form_build_load(const char *json)
{
    json_t *in = json && *json ? json_loads(json, 0, NULL) : json_array();
    if (!json_is_array(in)) {
        json_decref(in);
        return NULL;
    }
    size_t n = json_array_size(in);
    ranked_item *r = n ? calloc(n, sizeof *r) : NULL;
    json_t *out = json_array();
    if ((n && !r) || !out) {
        free(r);
        json_decref(in);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked_item){json_array_get(in, i), order_of(json_array_get(in, i), i), i};
    if (n) /* qsort's array must not be NULL, even for no element */
        qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_deep_copy(r[i].o);
        if (json_is_object(o))
            json_object_del(o, "order");
        json_array_append_new(out, o);
    }
    free(r);
    json_decref(in);
    return out;
}

const char *form_build_text(arena *a, const json_t *defs)
{
    char *s = json_dumps(defs, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    const char *out = s ? arena_strdup(a, s) : NULL;
    free(s);
    return out;
}

/* Sets member key of o to the text s when it is given. */
static void set_text(json_t *o, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(o, key, json_string(s));
}

json_t *form_build_object(const form_build_question *q)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    set_text(o, "code", q->code);
    set_text(o, "datatype", q->kind);
    set_text(o, "description", q->label);
    set_text(o, "description_en", q->label_en);
    set_text(o, "datatype_description", q->help);
    set_text(o, "datatype_description_en", q->help_en);
    /* A section asks nothing: it is neither required nor an input. */
    if (q->kind && strcmp(q->kind, "section") != 0)
        json_object_set_new(o, "required", json_boolean(q->required));
    if (q->kind && strcmp(q->kind, "string") == 0)
        set_text(o, "format", q->format);
    if (form_build_kind_has_values(q->kind)) {
        json_t *vals = json_array();
        for (size_t i = 0; i < q->n_values; i++) {
            json_t *v = json_object();
            set_text(v, "key", q->values[i].key);
            set_text(v, "name", q->values[i].name);
            set_text(v, "name_en", q->values[i].name_en);
            json_array_append_new(vals, v);
        }
        json_object_set_new(o, "values", vals);
    }
    if (q->show_field && *q->show_field) {
        json_t *c = json_object();
        json_object_set_new(c, "field", json_string(q->show_field));
        if (q->n_show_values == 1) {
            json_object_set_new(c, "equals", json_string(q->show_values[0]));
        } else {
            json_t *in = json_array();
            for (size_t i = 0; i < q->n_show_values; i++)
                json_array_append_new(in, json_string(q->show_values[i]));
            json_object_set_new(c, "in", in);
        }
        json_object_set_new(o, "show_if", c);
    }
    return o;
}

/* The members form_build_object writes. */
static const char *const built_members[] = {"code",
                                            "datatype",
                                            "description",
                                            "description_en",
                                            "datatype_description",
                                            "datatype_description_en",
                                            "required",
                                            "format",
                                            "values",
                                            "show_if",
                                            NULL};

json_t *form_build_merge(const json_t *old, json_t *q)
{
    json_t *out = json_is_object(old) ? json_deep_copy(old) : json_object();
    if (!out || !q) {
        json_decref(out);
        json_decref(q);
        return NULL;
    }
    for (size_t i = 0; built_members[i]; i++)
        json_object_del(out, built_members[i]);
    int rc = json_object_update(out, q);
    json_decref(q);
    if (rc != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Member key of o when it is a string, else "". */
static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void form_build_read(arena *a, const json_t *o, form_build_question *q)
{
    memset(q, 0, sizeof *q);
    q->code = text_of(o, "code");
    q->kind = text_of(o, "datatype");
    q->label = text_of(o, "description");
    q->label_en = text_of(o, "description_en");
    q->help = text_of(o, "datatype_description");
    q->help_en = text_of(o, "datatype_description_en");
    q->required = json_is_true(json_object_get(o, "required"));
    q->format = text_of(o, "format");
    const json_t *vals = json_object_get(o, "values");
    size_t n = json_array_size(vals);
    form_build_value *v = n ? arena_alloc(a, n * sizeof *v) : NULL;
    for (size_t i = 0; v && i < n; i++) {
        const json_t *e = json_array_get(vals, i);
        v[i] = (form_build_value){text_of(e, "key"), text_of(e, "name"), text_of(e, "name_en")};
    }
    q->values = v;
    q->n_values = v ? n : 0;
    const json_t *c = json_object_get(o, "show_if");
    q->show_field = text_of(c, "field");
    const json_t *eq = json_object_get(c, "equals");
    const json_t *in = json_object_get(c, "in");
    size_t k = json_is_string(eq) ? 1 : json_array_size(in);
    const char **sv = k ? arena_alloc(a, k * sizeof *sv) : NULL;
    for (size_t i = 0; sv && i < k; i++)
        sv[i] = json_is_string(eq) ? json_string_value(eq)
                                   : (json_string_value(json_array_get(in, i))
                                          ? json_string_value(json_array_get(in, i))
                                          : "");
    q->show_values = sv;
    q->n_show_values = sv ? k : 0;
}

long form_build_find(const json_t *defs, const char *code)
{
    for (size_t i = 0; code && i < json_array_size(defs); i++)
        if (strcmp(form_build_code(defs, i), code) == 0)
            return (long)i;
    return -1;
}

const char *form_build_code(const json_t *defs, size_t i)
{
    return text_of(json_array_get(defs, i), "code");
}

const char *form_build_dependent(const json_t *defs, size_t i)
{
    const char *code = form_build_code(defs, i);
    if (!*code)
        return NULL;
    for (size_t k = 0; k < json_array_size(defs); k++) {
        const json_t *c = json_object_get(json_array_get(defs, k), "show_if");
        if (k != i && strcmp(text_of(c, "field"), code) == 0)
            return form_build_code(defs, k);
    }
    return NULL;
}

void form_build_rename(json_t *defs, const char *from, const char *to)
{
    for (size_t k = 0; k < json_array_size(defs); k++) {
        json_t *c = json_object_get(json_array_get(defs, k), "show_if");
        if (strcmp(text_of(c, "field"), from) == 0)
            json_object_set_new(c, "field", json_string(to));
    }
}

int form_build_insert(json_t *defs, size_t at, json_t *q)
{
    if (!q || at > json_array_size(defs)) {
        json_decref(q);
        return -1;
    }
    return json_array_insert_new(defs, at, q) == 0 ? 0 : -1;
}

int form_build_move(json_t *defs, size_t i, int up)
{
    size_t n = json_array_size(defs);
    if (i >= n || (up && i == 0) || (!up && i + 1 >= n))
        return -1;
    size_t j = up ? i - 1 : i + 1;
    json_t *a = json_incref(json_array_get(defs, i));
    json_t *b = json_incref(json_array_get(defs, j));
    json_array_set_new(defs, i, b);
    json_array_set_new(defs, j, a);
    return 0;
}

int form_build_code_valid(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > ATTR_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = code[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* The longest code proposed, leaving room for a suffix within ATTR_CODE_MAX. */
#define CODE_PROPOSED_MAX 40

const char *form_build_code_of(arena *a, const json_t *defs, long except, const char *label)
{
    char folded[2 * ATTR_LABEL_MAX + 8];
    size_t len = label ? strlen(label) : 0;
    if (len > ATTR_LABEL_MAX)
        len = ATTR_LABEL_MAX;
    if (collate_fold(label ? label : "", len, folded, sizeof folded) < 0)
        folded[0] = '\0';
    char base[CODE_PROPOSED_MAX + 1];
    size_t k = 0;
    int gap = 0;
    for (const char *s = folded; *s && k < CODE_PROPOSED_MAX; s++) {
        char ch = *s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (gap && k > 0 && k + 1 < CODE_PROPOSED_MAX)
                base[k++] = '_';
            base[k++] = ch;
            gap = 0;
        } else {
            gap = 1;
        }
    }
    base[k] = '\0';
    if (k == 0)
        snprintf(base, sizeof base, "question");
    for (int n = 1; n < 10000; n++) {
        const char *code = n == 1 ? arena_strdup(a, base) : arena_printf(a, "%s_%d", base, n);
        if (!code)
            return NULL;
        long at = form_build_find(defs, code);
        if (at < 0 || at == except)
            return code;
    }
    return NULL;
}

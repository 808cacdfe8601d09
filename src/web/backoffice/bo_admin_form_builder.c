/*
 * bo_admin_form_builder — a procedure's form edited question by question, without
 * JavaScript, under /agent/admin/demarches/{code}/formulaire (admins only): the questions in
 * order (sections as headings) with their kind, label, required flag and condition in words,
 * each to edit, move up or down, or remove; a question's own page (its code, texts, required
 * flag and, by kind, its list values one per line, a text's format, the condition on an
 * earlier choice question); the form's preview as citizens see it. Every change rebuilds the
 * whole definition (core/form_build.h), checks it as the JSON editor does (bo_form_def_check)
 * and saves it through admin_procedure_upsert_as with the version the page showed: a page
 * made stale by another save is refused, and a change is a new version its history names.
 */
#include <stdio.h>
#include <string.h>

#include "core/admin.h"
#include "core/attrs.h"
#include "core/form_build.h"
#include "core/forms.h"
#include "util/utf8.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_form_def.h"
#include "web/form_field.h"
#include "web/web.h"

#define TAB "/agent/admin/demarches"

/* The most lines a list's values take: attrs_check refuses more than it allows anyway, and
 * this bounds the work done on a forged text. */
#define VALUE_LINES_MAX 250
/* The most bytes of a label a version's summary quotes (PROCEDURE_SUMMARY_MAX in all). */
#define SUMMARY_LABEL_MAX 120

static const cat_procedure *procedure_of(http_req *rq)
{
    const cat_procedure *cp = catalogue_procedure(rq->host_tenant, rq->params[0]);
    if (!cp)
        bo_not_found(rq);
    return cp;
}

static const char *kind_label(bo_page *p, const char *kind)
{
    return bo_page_str(p, arena_printf(p->rq->arena, "admin.form_builder.kinds.%s", kind));
}

/* The label of question i of defs in the page's language, its code when it has none. */
static const char *question_label(bo_page *p, const json_t *defs, size_t i)
{
    const json_t *o = json_array_get(defs, i);
    const char *fr = json_string_value(json_object_get(o, "description"));
    const char *en = json_string_value(json_object_get(o, "description_en"));
    const char *l = web_in_lang(p->rq, fr && *fr ? fr : NULL, en && *en ? en : NULL);
    return l && *l ? l : form_build_code(defs, i);
}

static const char *question_kind(const json_t *defs, size_t i)
{
    const char *k = json_string_value(json_object_get(json_array_get(defs, i), "datatype"));
    return k ? k : "";
}

/* Sets "title" and "code" and renders the builder's template tmpl. */
static void render(bo_page *p, const cat_procedure *cp, int status, const char *tmpl,
                   const char *heading)
{
    bo_page_set(p, "code", json_string(cp->rec.code));
    bo_page_set(p, "procedure_name", json_string(cp->rec.name));
    bo_page_set(p, "procedure_code", json_string(cp->rec.code));
    bo_page_set(p, "heading", json_string(heading));
    bo_page_render(p, status, tmpl, arena_printf(p->rq->arena, "%s – %s", heading, cp->rec.name));
}

/* ---- the list of questions ---- */

/* The builder's page for cp's current form: its questions, the form to add one, the
 * preview; `seen` its version, which the page's forms send back. */
static void builder_render(bo_page *p, const cat_procedure *cp, int status)
{
    http_req *rq = p->rq;
    json_t *defs = form_build_load(cp->rec.attributes);
    attr_def *parsed = NULL;
    size_t n = 0;
    error err;
    if (!defs || attrs_parse_definitions(rq->arena, cp->rec.attributes, &parsed, &n, &err) != 0 ||
        n != json_array_size(defs)) {
        json_decref(defs);
        error_set(&err, ERR_INTERNAL, NULL, "the form of procedure %s does not read", cp->rec.code);
        bo_page_fail(p, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        const char *kind = question_kind(defs, i);
        present_set_str(o, "code", form_build_code(defs, i));
        present_set_str(o, "label", question_label(p, defs, i));
        /* A notice (variable false, written in JSON) asks nothing: say so, not its datatype. */
        present_set_str(o, "kind_label",
                        !parsed[i].variable && parsed[i].type != ATTR_SECTION
                            ? bo_page_str(p, "admin.form_builder.notice")
                            : kind_label(p, kind));
        json_object_set_new(o, "is_section", json_boolean(strcmp(kind, "section") == 0));
        json_object_set_new(o, "required", json_boolean(parsed[i].required));
        present_set_str_opt(o, "condition",
                            form_field_condition_note(rq->arena, rq->present, rq->lang, parsed, n,
                                                      &parsed[i], "admin.form_builder.condition"));
        json_object_set_new(o, "up", json_boolean(i > 0));
        json_object_set_new(o, "down", json_boolean(i + 1 < n));
        json_array_append_new(list, o);
    }
    json_decref(defs);
    json_t *kinds = json_array();
    for (size_t i = 0; form_build_kinds[i]; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", form_build_kinds[i]);
        present_set_str(o, "label", kind_label(p, form_build_kinds[i]));
        json_array_append_new(kinds, o);
    }
    bo_page_set(p, "questions", list);
    bo_page_set(p, "has_questions", json_boolean(n > 0));
    bo_page_set(p, "kinds", kinds);
    bo_page_set(p, "seen", json_integer(cp->rec.form_version));
    if (rq->lang == LANG_EN)
        bo_page_set(p, "lang_en", json_true());
    bo_form_def_preview(p, cp->rec.attributes);
    render(p, cp, status, "agent/admin/form_builder", bo_page_str(p, "admin.form_builder.title"));
}

static void builder_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_procedure *cp = procedure_of(rq);
    if (!cp || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    builder_render(&p, cp, 200);
}

/* The version a form sent (its hidden "version"): the one its page showed. */
static int seen_of(const form *f)
{
    return (int)bo_admin_id(bo_admin_field(f, "version"));
}

/* The «someone saved meanwhile» refusal, on field "stale" (the paragraph under the page's
 * heading). */
static void stale_error(bo_page *p)
{
    bo_page_error_key(p, "stale", "admin.form_builder.error_stale");
}

/* A version's summary: the pattern of key with {label} the question's label, cut. */
static const char *summary_of(bo_page *p, const char *key, const char *label)
{
    size_t keep = utf8_prefix_bytes(label, strlen(label), SUMMARY_LABEL_MAX / 2);
    while (keep > SUMMARY_LABEL_MAX)
        keep = utf8_prefix_bytes(label, keep, keep / 2);
    const char *cut = arena_printf(p->rq->arena, "%.*s", (int)keep, label);
    const char *const names[] = {"label"};
    const char *const values[] = {cut};
    return present_subst(p->rq->arena, bo_page_str(p, key), names, values, 1);
}

/* What a save keeps while it commits: which page to show again when it is refused. */
typedef struct builder_save {
    int question; /* 1: the question's page, 0: the list */
} builder_save;

static void question_refill(bo_page *p, const cat_procedure *cp, const form *f, int status);

static void builder_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    builder_save *bs = st->page;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, arena_printf(rq->arena, TAB "/%s/formulaire", rq->params[0]),
                      "form_saved");
        return;
    }
    const cat_procedure *cp = catalogue_procedure(rq->host_tenant, rq->params[0]);
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    if (!cp || w->err.code != ERR_CONFLICT) {
        bo_page_fail(&p, &w->err);
        return;
    }
    stale_error(&p);
    if (bs->question)
        question_refill(&p, cp, &st->f, 409);
    else
        builder_render(&p, cp, 409);
}

/* Saves defs as cp's form, refusing it when the version the page showed is no longer the
 * latest; answers once it is durable. */
static void builder_save_defs(http_req *rq, const store_agent *a, const form *f,
                              const cat_procedure *cp, const char *text, const char *summary,
                              int question)
{
    bo_admin_write *st = bo_admin_write_new(rq, a, f, sizeof(builder_save));
    if (!st)
        return;
    ((builder_save *)st->page)->question = question;
    store_procedure r = cp->rec;
    r.attributes = text;
    r.version_summary = summary;
    r.seen_form_version = seen_of(f);
    /* An old procedure whose form has no version yet: nothing to compare with. */
    if (r.seen_form_version <= 0)
        r.seen_form_version = 0;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, builder_saved);
    int rc = admin_procedure_upsert_as(rq->core, &st->who, &r, &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* «Monter», «Descendre», «Retirer»: op is "up:CODE", "down:CODE" or "remove:CODE". */
static void builder_post(http_req *rq)
{
    store_agent a;
    form f;
    const cat_procedure *cp = procedure_of(rq);
    if (!cp || bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    if (seen_of(&f) != cp->rec.form_version) {
        stale_error(&p);
        builder_render(&p, cp, 409);
        return;
    }
    const char *op = bo_admin_field(&f, "op");
    const char *colon = strchr(op, ':');
    json_t *defs = form_build_load(cp->rec.attributes);
    long i = colon && defs ? form_build_find(defs, colon + 1) : -1;
    if (i < 0) {
        json_decref(defs);
        bo_page_error_key(&p, "questions", "admin.form_builder.error_no_question");
        builder_render(&p, cp, 400);
        return;
    }
    size_t verb = (size_t)(colon - op);
    /* Copied: a removal releases the question's strings. */
    const char *label = arena_strdup(rq->arena, question_label(&p, defs, (size_t)i));
    const char *summary_key = NULL;
    int rc = -1;
    if (verb == 2 && strncmp(op, "up", 2) == 0) {
        rc = form_build_move(defs, (size_t)i, 1);
        summary_key = "admin.form_builder.summary_up";
    } else if (verb == 4 && strncmp(op, "down", 4) == 0) {
        rc = form_build_move(defs, (size_t)i, 0);
        summary_key = "admin.form_builder.summary_down";
    } else if (verb == 6 && strncmp(op, "remove", 6) == 0) {
        const char *dep = form_build_dependent(defs, (size_t)i);
        if (dep) {
            long k = form_build_find(defs, dep);
            const char *const names[] = {"label", "dependent"};
            const char *const values[] = {label, question_label(&p, defs, (size_t)k)};
            bo_page_error(&p, "questions",
                          present_subst(rq->arena,
                                        bo_page_str(&p, "admin.form_builder.error_depended_on"),
                                        names, values, 2));
        } else {
            rc = json_array_remove(defs, (size_t)i);
            summary_key = "admin.form_builder.summary_removed";
        }
    }
    if (rc != 0 && !bo_page_has_errors(&p))
        bo_page_error_key(&p, "questions", "admin.form_builder.error_no_question");
    const char *text = bo_page_has_errors(&p) ? NULL : form_build_text(rq->arena, defs);
    json_decref(defs);
    /* A move may put a question above the one its condition names: the check says so. */
    if (text)
        bo_form_def_check(&p, text, "questions", NULL);
    if (bo_page_has_errors(&p) || !text) {
        if (!bo_page_has_errors(&p))
            bo_page_error_key(&p, "questions", "admin.form_builder.error_no_question");
        builder_render(&p, cp, 400);
        return;
    }
    const char *summary = summary_of(&p, summary_key, label);
    bo_page_discard(&p);
    builder_save_defs(rq, &a, &f, cp, text, summary, 0);
}

/* ---- a question's page ---- */

/* A question's page as the form shows it: what is saved or what was typed. */
typedef struct question_page {
    const char *original; /* the code of the question edited, "" for a new one */
    const char *kind;
    const char *after; /* a new one: the code of the question it follows, "" at the end */
    int seen;
    form_build_question q;
    const char *values_text;
    const char *const *checked; /* the condition's boxes checked, "CODE/KEY" */
    size_t n_checked;
    int code_locked; /* requests answered it: its code stays */
} question_page;

/* The values as the textarea shows them: "code | Libellé | English label" per line. */
static const char *values_text_of(arena *a, const form_build_question *q)
{
    const char *out = "";
    for (size_t i = 0; i < q->n_values; i++) {
        const form_build_value *v = &q->values[i];
        const char *en = v->name_en && *v->name_en ? v->name_en : NULL;
        out =
            arena_printf(a, "%s%s | %s%s%s\n", out, v->key, v->name, en ? " | " : "", en ? en : "");
    }
    return out;
}

/* The rank a new question takes, or an edited one has, in defs. */
static size_t position_of(const json_t *defs, const question_page *qp)
{
    long i = form_build_find(defs, *qp->original ? qp->original : qp->after);
    if (*qp->original)
        return i < 0 ? json_array_size(defs) : (size_t)i;
    return *qp->after && i >= 0 ? (size_t)i + 1 : json_array_size(defs);
}

static int is_checked(const question_page *qp, const char *box)
{
    for (size_t i = 0; i < qp->n_checked; i++)
        if (strcmp(qp->checked[i], box) == 0)
            return 1;
    return 0;
}

/* The condition's choices: every choice question before the one edited, with its values as
 * boxes named show_value, valued "CODE/KEY". */
static json_t *condition_choices(bo_page *p, const cat_procedure *cp, const json_t *defs,
                                 const question_page *qp)
{
    http_req *rq = p->rq;
    json_t *list = json_array();
    size_t at = position_of(defs, qp);
    for (size_t i = 0; i < at && i < json_array_size(defs); i++) {
        const attr_def *d = attrs_find(cp->attrs, cp->n_attrs, form_build_code(defs, i));
        if (!d || !form_build_kind_is_choice(question_kind(defs, i)))
            continue;
        json_t *o = json_object();
        present_set_str(o, "code", d->code);
        present_set_str(o, "label", attr_label(d, rq->lang));
        if (qp->q.show_field && strcmp(qp->q.show_field, d->code) == 0)
            json_object_set_new(o, "selected", json_true());
        json_t *vals = json_array();
        for (size_t k = 0; k < d->n_values; k++) {
            json_t *v = json_object();
            const char *box = arena_printf(rq->arena, "%s/%s", d->code, d->values[k].key);
            present_set_str(v, "value", box);
            present_set_str(v, "id", arena_printf(rq->arena, "show_value-%zu-%zu", i, k));
            present_set_str(v, "label", attr_value_name(d, d->values[k].key, rq->lang));
            if (is_checked(qp, box))
                json_object_set_new(v, "checked", json_true());
            json_array_append_new(vals, v);
        }
        json_object_set_new(o, "values", vals);
        json_array_append_new(list, o);
    }
    return list;
}

static void question_render(bo_page *p, const cat_procedure *cp, const question_page *qp,
                            int status)
{
    http_req *rq = p->rq;
    const form_build_question *q = &qp->q;
    bo_page_value(p, "code", q->code);
    bo_page_value(p, "label", q->label);
    bo_page_value(p, "label_en", q->label_en);
    bo_page_value(p, "help", q->help);
    bo_page_value(p, "help_en", q->help_en);
    bo_page_value(p, "values", qp->values_text);
    if (q->required)
        json_object_set_new(p->values, "required", json_true());
    bo_page_set(p, "original", json_string(qp->original));
    bo_page_set(p, "kind", json_string(qp->kind));
    bo_page_set(p, "kind_label", json_string(kind_label(p, qp->kind)));
    bo_page_set(p, "after", json_string(qp->after));
    bo_page_set(p, "seen", json_integer(qp->seen));
    bo_page_set(p, "is_section", json_boolean(strcmp(qp->kind, "section") == 0));
    bo_page_set(p, "is_string", json_boolean(strcmp(qp->kind, "string") == 0));
    bo_page_set(p, "has_values", json_boolean(form_build_kind_has_values(qp->kind)));
    bo_page_set(p, "code_locked", json_boolean(qp->code_locked));
    json_t *formats = json_array();
    for (int i = ATTR_FORMAT_NONE + 1; i < ATTR_FORMAT_COUNT; i++) {
        const char *name = attr_format_name((attr_format)i);
        json_t *o = json_object();
        present_set_str(o, "value", name);
        present_set_str(
            o, "label",
            bo_page_str(p, arena_printf(rq->arena, "admin.form_builder.formats.%s", name)));
        if (q->format && strcmp(q->format, name) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(formats, o);
    }
    bo_page_set(p, "formats", formats);
    json_t *defs = form_build_load(cp->rec.attributes);
    json_t *conds = defs ? condition_choices(p, cp, defs, qp) : json_array();
    json_decref(defs);
    bo_page_set(p, "has_conditions", json_boolean(json_array_size(conds) > 0));
    bo_page_set(p, "conditions", conds);
    const char *heading =
        *qp->original ? present_subst(rq->arena, bo_page_str(p, "admin.form_builder.edit_title"),
                                      (const char *const[]){"label"},
                                      (const char *const[]){*q->label ? q->label : qp->original}, 1)
                      : present_subst(rq->arena, bo_page_str(p, "admin.form_builder.new_title"),
                                      (const char *const[]){"kind"},
                                      (const char *const[]){kind_label(p, qp->kind)}, 1);
    render(p, cp, status, "agent/admin/form_question", heading);
}

/* Whether requests answered the question `code` of cp (its code then stays). -1 when the
 * versions cannot be read (the page fails). */
static int code_locked(bo_page *p, const cat_procedure *cp, const char *code)
{
    int answered = 0;
    error err;
    if (forms_code_answered(p->rq->core, cp, code, p->rq->arena, &answered, &err) != 0) {
        bo_page_fail(p, &err);
        return -1;
    }
    return answered;
}

/* GET …/formulaire/nouvelle?type=KIND&apres=CODE: a new question's page. */
static void question_new_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_procedure *cp = procedure_of(rq);
    if (!cp || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const char *kind = form_get(&rq->query, "type");
    const char *after = form_get(&rq->query, "apres");
    if (!form_build_kind_known(kind) ||
        (after && *after && !attrs_find(cp->attrs, cp->n_attrs, after))) {
        bo_page_error_key(&p, "type", "admin.form_builder.error_type");
        builder_render(&p, cp, 400);
        return;
    }
    question_page qp = {.original = "",
                        .kind = kind,
                        .after = after ? after : "",
                        .seen = cp->rec.form_version,
                        .values_text = ""};
    qp.q.kind = kind;
    qp.q.code = "";
    qp.q.label = qp.q.label_en = qp.q.help = qp.q.help_en = qp.q.format = "";
    question_render(&p, cp, &qp, 200);
}

/* GET …/formulaire/questions/{code}: a question's page. */
static void question_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    const cat_procedure *cp = procedure_of(rq);
    if (!cp || bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    json_t *defs = form_build_load(cp->rec.attributes);
    long i = defs ? form_build_find(defs, rq->params[1]) : -1;
    if (i < 0) {
        json_decref(defs);
        bo_page_discard(&p);
        bo_not_found(rq);
        return;
    }
    question_page qp = {.original = rq->params[1], .after = "", .seen = cp->rec.form_version};
    form_build_question q;
    form_build_read(rq->arena, json_array_get(defs, (size_t)i), &q);
    qp.values_text = values_text_of(rq->arena, &q);
    /* The condition's boxes as the form sends them back. */
    const char **checked =
        q.n_show_values ? arena_alloc(rq->arena, q.n_show_values * sizeof *checked) : NULL;
    for (size_t k = 0; checked && k < q.n_show_values; k++)
        checked[k] = arena_printf(rq->arena, "%s/%s", q.show_field, q.show_values[k]);
    qp.checked = checked;
    qp.n_checked = checked ? q.n_show_values : 0;
    qp.q = q;
    qp.kind = q.kind;
    int locked = code_locked(&p, cp, qp.original);
    if (locked >= 0) {
        qp.code_locked = locked;
        /* q borrows defs' strings: released once the page is rendered. */
        question_render(&p, cp, &qp, 200);
    }
    json_decref(defs);
}

/* The values' lines into *out (in rq->arena): "Libellé", "code | Libellé" or
 * "code | Libellé | English label", blanks around each part dropped, empty lines skipped; a
 * value given without a code gets one from its label. Problems on the field "values". */
static void values_parse(bo_page *p, const char *text, form_build_value **out, size_t *n)
{
    http_req *rq = p->rq;
    *out = arena_alloc(rq->arena, VALUE_LINES_MAX * sizeof **out);
    *n = 0;
    json_t *keys = json_array(); /* the keys so far, as {"code": KEY}, for form_build_code_of */
    size_t line = 0;
    for (const char *s = text; *out && *s;) {
        size_t len = strcspn(s, "\r\n");
        line++;
        const char *parts[3] = {"", "", ""};
        size_t k = 0;
        const char *seg = s;
        const char *end = s + len;
        while (seg <= end && k < 4) {
            const char *bar = memchr(seg, '|', (size_t)(end - seg));
            const char *stop = bar ? bar : end;
            const char *b = seg, *e = stop;
            while (b < e && (*b == ' ' || *b == '\t'))
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (k < 3)
                parts[k] = arena_printf(rq->arena, "%.*s", (int)(e - b), b);
            k++;
            if (!bar)
                break;
            seg = bar + 1;
        }
        s += len;
        while (*s == '\r' || *s == '\n')
            s++;
        if (k == 1 && !*parts[0])
            continue;
        char num[24];
        snprintf(num, sizeof num, "%zu", line);
        if (k > 3 || *n >= VALUE_LINES_MAX) {
            bo_page_error(
                p, "values",
                present_subst(rq->arena, bo_page_str(p, "admin.form_builder.error_value_line"),
                              (const char *const[]){"line"}, (const char *const[]){num}, 1));
            break;
        }
        form_build_value v = {.name_en = ""};
        if (k == 1) {
            v.name = parts[0];
            v.key = form_build_code_of(rq->arena, keys, -1, parts[0]);
        } else {
            v.key = parts[0];
            v.name = parts[1];
            v.name_en = k == 3 ? parts[2] : "";
        }
        if (!v.key || !form_build_code_valid(v.key) || !*v.name) {
            bo_page_error(
                p, "values",
                present_subst(rq->arena, bo_page_str(p, "admin.form_builder.error_value_line"),
                              (const char *const[]){"line"}, (const char *const[]){num}, 1));
            break;
        }
        json_t *ko = json_object();
        json_object_set_new(ko, "code", json_string(v.key));
        json_array_append_new(keys, ko);
        (*out)[(*n)++] = v;
    }
    json_decref(keys);
    if (!bo_page_has_errors(p) && *n == 0)
        bo_page_error_key(p, "values", "admin.form_builder.error_values_none");
}

/* The question's page as the form sent it (for showing it again). Its kind is the saved
 * question's (a question keeps its kind) or, for a new one, the form's. */
static int question_page_of(http_req *rq, const cat_procedure *cp, const form *f, question_page *qp)
{
    memset(qp, 0, sizeof *qp);
    qp->original = bo_admin_field(f, "original");
    qp->after = bo_admin_field(f, "apres");
    qp->seen = seen_of(f);
    json_t *defs = *qp->original ? form_build_load(cp->rec.attributes) : NULL;
    long i = defs ? form_build_find(defs, qp->original) : -1;
    qp->kind = i >= 0 ? arena_strdup(rq->arena, question_kind(defs, (size_t)i))
                      : bo_admin_field(f, "type");
    json_decref(defs);
    if ((*qp->original && i < 0) || !form_build_kind_known(qp->kind))
        return -1;
    form_build_question *q = &qp->q;
    q->kind = qp->kind;
    q->code = bo_admin_field(f, "code");
    q->label = bo_admin_field(f, "label");
    q->label_en = bo_admin_field(f, "label_en");
    q->help = bo_admin_field(f, "help");
    q->help_en = bo_admin_field(f, "help_en");
    q->required = bo_admin_checked(f, "required");
    q->format = bo_admin_field(f, "format");
    q->show_field = bo_admin_field(f, "show_field");
    qp->values_text = bo_admin_field(f, "values");
    size_t n = form_count(f, "show_value");
    const char **checked = n ? arena_alloc(rq->arena, n * sizeof *checked) : NULL;
    size_t k = 0;
    for (size_t j = 0; checked && j < f->count; j++)
        if (strcmp(f->fields[j].name, "show_value") == 0 && k < n)
            checked[k++] = f->fields[j].value;
    qp->checked = checked;
    qp->n_checked = k;
    return 0;
}

static void question_refill(bo_page *p, const cat_procedure *cp, const form *f, int status)
{
    question_page qp;
    if (question_page_of(p->rq, cp, f, &qp) != 0) {
        builder_render(p, cp, status);
        return;
    }
    int locked = *qp.original ? code_locked(p, cp, qp.original) : 0;
    if (locked < 0)
        return;
    qp.code_locked = locked;
    question_render(p, cp, &qp, status);
}

/* The field of the question's page a problem attrs_check found in question `item` (from 1)
 * belongs to, when that question is the one edited (rank `at`, from 0); "label" otherwise
 * (the message names the question). */
static const char *problem_field(const attrs_problem *pb, size_t at)
{
    if (pb->item != at + 1)
        return "label";
    if (pb->value > 0 || pb->kind == ATTRS_VALUES_COUNT)
        return "values";
    if (pb->kind >= ATTRS_BAD_CONDITION && pb->kind <= ATTRS_CONDITION_BAD_VALUE)
        return "show_field";
    static const struct {
        const char *member, *field;
    } fields[] = {{"code", "code"},
                  {"description", "label"},
                  {"description_en", "label_en"},
                  {"datatype_description", "help"},
                  {"datatype_description_en", "help_en"},
                  {"format", "format"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(pb->member, fields[i].member) == 0)
            return fields[i].field;
    return pb->kind == ATTRS_REPEATED_CODE || pb->kind == ATTRS_BAD_CODE ? "code" : "label";
}

/* The condition the form sent into q: show_field and the boxes of its values. */
static void condition_of(bo_page *p, const json_t *defs, size_t at, question_page *qp)
{
    http_req *rq = p->rq;
    form_build_question *q = &qp->q;
    if (!*q->show_field) {
        if (qp->n_checked)
            bo_page_error_key(p, "show_field", "admin.form_builder.error_condition_field");
        return;
    }
    long i = form_build_find(defs, q->show_field);
    if (i < 0 || (size_t)i >= at || !form_build_kind_is_choice(question_kind(defs, (size_t)i))) {
        bo_page_error_key(p, "show_field", "admin.form_builder.error_condition_earlier");
        return;
    }
    const char **keys = qp->n_checked ? arena_alloc(rq->arena, qp->n_checked * sizeof *keys) : NULL;
    size_t n = 0;
    size_t flen = strlen(q->show_field);
    for (size_t k = 0; keys && k < qp->n_checked; k++) {
        const char *box = qp->checked[k];
        if (strncmp(box, q->show_field, flen) != 0 || box[flen] != '/') {
            bo_page_error_key(p, "show_field", "admin.form_builder.error_condition_other");
            return;
        }
        keys[n++] = box + flen + 1;
    }
    if (n == 0) {
        bo_page_error_key(p, "show_field", "admin.form_builder.error_condition_values");
        return;
    }
    q->show_values = keys;
    q->n_show_values = n;
}

/* POST …/formulaire/questions: a question saved, new (original "") or edited. */
static void question_post(http_req *rq)
{
    store_agent a;
    form f;
    const cat_procedure *cp = procedure_of(rq);
    if (!cp || bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    question_page qp;
    if (question_page_of(rq, cp, &f, &qp) != 0) {
        bo_page_error_key(&p, "questions", "admin.form_builder.error_no_question");
        builder_render(&p, cp, 400);
        return;
    }
    if (qp.seen != cp->rec.form_version) {
        stale_error(&p);
        question_refill(&p, cp, &f, 409);
        return;
    }
    json_t *defs = form_build_load(cp->rec.attributes);
    if (!defs) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "the form of procedure %s does not read", cp->rec.code);
        bo_page_fail(&p, &err);
        return;
    }
    form_build_question *q = &qp.q;
    size_t at = position_of(defs, &qp);
    long self = *qp.original ? (long)at : -1;
    if (!*q->label)
        bo_page_error_key(&p, "label", "admin.form_builder.error_label");
    if (!*q->code)
        q->code = form_build_code_of(rq->arena, defs, self, q->label);
    int locked = 0;
    if (*qp.original && strcmp(q->code ? q->code : "", qp.original) != 0) {
        locked = code_locked(&p, cp, qp.original);
        if (locked < 0) {
            json_decref(defs);
            return;
        }
    }
    long other = q->code ? form_build_find(defs, q->code) : -1;
    if (!q->code || !form_build_code_valid(q->code)) {
        bo_page_error_key(&p, "code", "admin.form_builder.error_code");
    } else if (locked) {
        bo_page_error_key(&p, "code", "admin.form_builder.error_code_locked");
    } else if (other >= 0 && other != self) {
        bo_page_error(
            &p, "code",
            present_subst(rq->arena, bo_page_str(&p, "admin.form_builder.error_code_taken"),
                          (const char *const[]){"code", "label"},
                          (const char *const[]){q->code, question_label(&p, defs, (size_t)other)},
                          2));
    }
    attr_format fmt;
    if (*q->format && (strcmp(qp.kind, "string") != 0 || attr_format_parse(q->format, &fmt) != 0))
        bo_page_error_key(&p, "format", "admin.form_builder.error_format");
    if (form_build_kind_has_values(qp.kind)) {
        form_build_value *vals = NULL;
        size_t n_vals = 0;
        values_parse(&p, qp.values_text, &vals, &n_vals);
        q->values = vals;
        q->n_values = n_vals;
    }
    condition_of(&p, defs, at, &qp);
    const char *text = NULL;
    if (!bo_page_has_errors(&p)) {
        json_t *o = form_build_object(q);
        int rc;
        if (*qp.original) {
            o = form_build_merge(json_array_get(defs, at), o);
            rc = o ? json_array_set_new(defs, at, o) : -1;
            if (rc == 0 && strcmp(q->code, qp.original) != 0)
                form_build_rename(defs, qp.original, q->code);
        } else {
            rc = form_build_insert(defs, at, o);
        }
        text = rc == 0 ? form_build_text(rq->arena, defs) : NULL;
        attrs_problem pb;
        if (text && attrs_check(text, &pb) != 0)
            bo_form_def_check(&p, text, problem_field(&pb, at), NULL);
        else if (!text)
            bo_page_error_key(&p, "label", "admin.form_builder.error_no_question");
    }
    json_decref(defs);
    if (bo_page_has_errors(&p)) {
        /* The code as typed: one proposed from a label being corrected would stick. */
        q->code = bo_admin_field(&f, "code");
        qp.code_locked = *qp.original ? code_locked(&p, cp, qp.original) : 0;
        if (qp.code_locked < 0)
            return;
        question_render(&p, cp, &qp, 400);
        return;
    }
    const char *summary = summary_of(&p,
                                     *qp.original ? "admin.form_builder.summary_changed"
                                                  : "admin.form_builder.summary_added",
                                     q->label);
    bo_page_discard(&p);
    builder_save_defs(rq, &a, &f, cp, text, summary, 1);
}

const http_route bo_admin_form_builder_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB "/{}/formulaire", builder_get},
    {HTTP_POST, TAB "/{}/formulaire", builder_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/formulaire/nouvelle", question_new_get},
    {HTTP_GET | HTTP_HEAD, TAB "/{}/formulaire/questions/{}", question_get},
    {HTTP_POST, TAB "/{}/formulaire/questions", question_post},
    {0, NULL, NULL},
};

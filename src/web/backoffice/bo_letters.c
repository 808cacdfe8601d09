/*
 * bo_letters — letters and decisions from the collectivité's templates (core/letter_tpl.h).
 * For admins, /agent/admin/modeles-courriers: the templates, a form that creates one or, from
 * ?modifier=<id>, edits it as its next version, its deletion, and each template's PDF preview, with
 * a sample request or, from &demande=<reference>, a real one. For agents who may change a request,
 * /agent/demandes/{ref}/redaction: the template chosen on the request page, its text filled for the
 * request and editable, its preview (the letter's blocks as HTML, or its PDF), and its issue; every
 * refusal gives the form back with what was typed.
 */
#include <inttypes.h>
#include <string.h>

#include "core/letter_tpl.h"
#include "core/perm.h"
#include "core/request.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define TAB "/agent/admin/modeles-courriers"

/* The text fields of a template and of a letter, as the forms name them. */
static const char *const text_fields[] = {"subject", "body",      "visas",  "considerants",
                                          "decides", "signatory", "quality"};
#define N_TEXT_FIELDS (sizeof text_fields / sizeof text_fields[0])

/* Pointers to t's text fields, in text_fields' order. */
static void text_slots(store_letter_template *t, const char **slots[N_TEXT_FIELDS])
{
    slots[0] = &t->subject;
    slots[1] = &t->body;
    slots[2] = &t->visas;
    slots[3] = &t->considerants;
    slots[4] = &t->decides;
    slots[5] = &t->signatory;
    slots[6] = &t->quality;
}

/* The text fields of form f into t. */
static void text_from_form(const form *f, store_letter_template *t)
{
    const char **slots[N_TEXT_FIELDS];
    text_slots(t, slots);
    for (size_t i = 0; i < N_TEXT_FIELDS; i++)
        *slots[i] = bo_admin_field(f, text_fields[i]);
}

/* t's text fields as the page's values. */
static void text_values(bo_page *p, store_letter_template *t)
{
    const char **slots[N_TEXT_FIELDS];
    text_slots(t, slots);
    for (size_t i = 0; i < N_TEXT_FIELDS; i++)
        bo_page_value(p, text_fields[i], *slots[i] ? *slots[i] : "");
}

/* The placeholders' list as a template's author types them: «{reference}, {date_depot}, …». */
static const char *placeholder_list(http_req *rq)
{
    buf b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < LETTER_TPL_N_PLACEHOLDERS; i++)
        buf_printf(&b, "%s{%s}", i ? ", " : "", letter_tpl_placeholders[i]);
    const char *s = arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* The message of core's refusal err on the page, tied to the field it names (among known,
 * else fallback): an unknown placeholder named, a field missing, too long or not text. */
static void text_error(bo_page *p, const error *err, const char *const *known, const char *fallback)
{
    http_req *rq = p->rq;
    const char *field = bo_admin_error_field(err, known, fallback);
    const char *d = err->detail;
    const char *ph = strstr(d, "placeholder {");
    char text[600];
    if (ph) {
        const char *name = ph + strlen("placeholder {");
        size_t n = strcspn(name, "}");
        present_fill(text, sizeof text, bo_page_str(p, "letters.errors.placeholder"), "name",
                     arena_printf(rq->arena, "{%.*s}", (int)(n < 40 ? n : 40), name));
        present_fill(text, sizeof text, arena_strdup(rq->arena, text), "list",
                     placeholder_list(rq));
        bo_page_error(p, field, arena_strdup(rq->arena, text));
    } else if (strstr(d, "is required")) {
        bo_page_error_key(p, field, "letters.errors.required");
    } else if (strstr(d, "is over") || strcmp(err->arg, "pages") == 0) {
        /* Too long for its field, or for the letter's pages once laid out. */
        bo_page_error_key(p, field, "letters.errors.too_long");
    } else if (strstr(d, "not plain text")) {
        bo_page_error_key(p, field, "letters.errors.text");
    } else {
        bo_page_error_key(p, field, arena_printf(rq->arena, "letters.errors.%s", field));
    }
}

static const char *kind_label(bo_page *p, const char *kind)
{
    return bo_page_str(p,
                       arena_printf(p->rq->arena, "letters.kinds.%s",
                                    kind && strcmp(kind, "decision") == 0 ? "decision" : "letter"));
}

/* The tenant's templates, or NULL after answering 500. */
static int read_templates(http_req *rq, int64_t tenant_id, store_letter_template **out, size_t *n)
{
    error err;
    error_clear(&err);
    if (letter_tpl_list(rq->core, tenant_id, rq->arena, out, n, &err) != 0) {
        http_respond_error(rq, &err);
        return -1;
    }
    return 0;
}

/* ---- the administration's page ---- */

static json_t *choices(bo_page *p, const char *field, const char *const *values,
                       const char *const *label_keys, size_t n)
{
    const char *chosen = json_string_value(json_object_get(p->values, field));
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", values[i]);
        present_set_str(o, "label", bo_page_str(p, label_keys[i]));
        json_object_set_new(o, "selected", json_boolean(chosen && strcmp(chosen, values[i]) == 0));
        json_array_append_new(list, o);
    }
    return list;
}

static void admin_render(bo_page *p, int status)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    store_letter_template *tpl = NULL;
    size_t n = 0;
    if (read_templates(rq, t->rec.id, &tpl, &n) != 0) {
        bo_page_discard(p);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(tpl[i].id));
        present_set_str(o, "name", tpl[i].name);
        present_set_str(o, "kind", kind_label(p, tpl[i].kind));
        const cat_procedure *pr =
            tpl[i].procedure_id ? catalogue_procedure_by_id(t, tpl[i].procedure_id) : NULL;
        present_set_str(o, "procedure", pr ? pr->rec.name : bo_page_str(p, "letters.all"));
        present_set_str(o, "lang",
                        bo_page_str(p, arena_printf(rq->arena, "letters.langs.%s", tpl[i].lang)));
        json_object_set_new(o, "version", json_integer(tpl[i].version));
        present_set_str(o, "updated", bo_admin_when(rq, tpl[i].updated_at));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "has_templates", json_boolean(n > 0));
    bo_page_set(p, "templates", list);
    bo_page_set(p, "decision_fields", json_true());
    static const char *const kinds[] = {"letter", "decision"};
    static const char *const kind_keys[] = {"letters.kinds.letter", "letters.kinds.decision"};
    static const char *const langs[] = {"fr", "en"};
    static const char *const lang_keys[] = {"letters.langs.fr", "letters.langs.en"};
    bo_page_set(p, "kinds", choices(p, "kind", kinds, kind_keys, 2));
    bo_page_set(p, "langs", choices(p, "lang", langs, lang_keys, 2));
    const char *chosen = json_string_value(json_object_get(p->values, "procedure_id"));
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        json_t *o = json_object();
        const char *id = arena_printf(rq->arena, "%" PRId64, t->procedures[i].rec.id);
        present_set_str(o, "value", id);
        present_set_str(o, "label", t->procedures[i].rec.name);
        json_object_set_new(o, "selected", json_boolean(chosen && strcmp(chosen, id) == 0));
        json_array_append_new(procs, o);
    }
    bo_page_set(p, "procedures", procs);
    present_set_str(p->ctx, "placeholders", placeholder_list(rq));
    bo_page_render(p, status, "agent/admin/letters", bo_page_str(p, "letters.admin.title"));
}

static void admin_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    int64_t id = bo_admin_id(form_get(&rq->query, "modifier"));
    if (id) {
        store_letter_template t;
        int found = 0;
        error err;
        error_clear(&err);
        if (letter_tpl_get(rq->core, rq->host_tenant->rec.id, id, rq->arena, &t, &found, &err) !=
            0) {
            bo_page_fail(&p, &err);
            return;
        }
        if (found) {
            bo_page_set(&p, "editing", json_integer(t.id));
            bo_page_value(&p, "name", t.name);
            bo_page_value(&p, "kind", t.kind);
            bo_page_value(&p, "lang", t.lang);
            bo_page_value(&p, "procedure_id",
                          t.procedure_id ? arena_printf(rq->arena, "%" PRId64, t.procedure_id)
                                         : "");
            text_values(&p, &t);
        }
    }
    admin_render(&p, 200);
}

/* The template the form describes (strings in the form). */
static store_letter_template admin_template(bo_admin_write *st, int64_t tenant_id)
{
    store_letter_template t = {
        .id = bo_admin_id(form_get(&st->f, "editing")),
        .tenant_id = tenant_id,
        .name = bo_admin_field(&st->f, "name"),
        .kind = bo_admin_field(&st->f, "kind"),
        .lang = bo_admin_field(&st->f, "lang"),
        .procedure_id = bo_admin_id(form_get(&st->f, "procedure_id")),
    };
    text_from_form(&st->f, &t);
    return t;
}

static void admin_check(bo_page *p, bo_admin_write *st)
{
    const char *proc = bo_admin_field(&st->f, "procedure_id");
    if (*proc && !bo_admin_id(proc))
        bo_page_error_key(p, "procedure_id", "letters.errors.procedure_id");
}

static int admin_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    store_letter_template *t = arena_alloc(p->rq->arena, sizeof *t);
    if (!t)
        return error_set(e, ERR_INTERNAL, NULL, "out of memory");
    *t = admin_template(st, bo_admin_tenant(p->rq));
    return letter_tpl_upsert_as(p->rq->core, &st->who, t, &st->id, http_wait_done, w, e);
}

static int admin_refusable(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT || e->code == ERR_MISSING_ARG;
}

static void admin_refused(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    static const char *const known[] = {"name",    "kind",      "lang",    "procedure_id",
                                        "subject", "body",      "visas",   "considerants",
                                        "decides", "signatory", "quality", NULL};
    if (w && w->err.code == ERR_CONFLICT)
        bo_page_error_key(p, "name", "letters.errors.name_taken");
    else if (w)
        text_error(p, &w->err, known, "name");
    int64_t editing = bo_admin_id(form_get(&st->f, "editing"));
    if (editing)
        bo_page_set(p, "editing", json_integer(editing));
    static const char *const kept[] = {"name", "kind", "lang", "procedure_id"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        bo_page_value(p, kept[i], bo_admin_field(&st->f, kept[i]));
    store_letter_template t = admin_template(st, 0);
    text_values(p, &t);
    admin_render(p, 400);
}

static const bo_admin_cycle admin_cycle = {.tab = TAB,
                                           .done = "letter_template",
                                           .check = admin_check,
                                           .apply = admin_apply,
                                           .refused = admin_refusable,
                                           .render = admin_refused};

static void admin_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &admin_cycle);
}

static int delete_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return letter_tpl_delete_as(rq->core, &st->who, bo_admin_tenant(rq), st->id, http_wait_done, w,
                                e);
}

static const bo_admin_cycle delete_cycle = {
    .tab = TAB, .done = "letter_template_deleted", .takes_id = 1, .apply = delete_apply};

/* POST …/{id}/supprimer: the template goes; its versions and the documents issued stay. */
static void admin_delete(http_req *rq)
{
    bo_admin_cycle_run(rq, &delete_cycle);
}

/* Sends pdf as the response, inline (the browser's viewer shows it). */
static void send_pdf(http_req *rq, const buf *pdf, const char *name)
{
    if (buf_append(&rq->out, pdf->data, pdf->len) != 0) {
        buf_reset(&rq->out);
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "preview over the response's limit");
        http_respond_error(rq, &err);
        return;
    }
    http_add_header(rq, "Content-Disposition",
                    arena_printf(rq->arena, "inline; filename=\"%s.pdf\"", name));
    http_add_header(rq, "Cache-Control", "private, no-store");
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond(rq, 200, "application/pdf");
}

/* GET …/apercu?modele=ID[&demande=REF]: the template drawn for a sample request, or for a request
 * the admin names (404 when there is none: an admin sees all of their collectivité's). */
static void admin_preview(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    int64_t id = bo_admin_id(form_get(&rq->query, "modele"));
    if (!t)
        return;
    store_letter_template tpl;
    int found = 0;
    error err;
    error_clear(&err);
    if (id && letter_tpl_get(rq->core, t->rec.id, id, rq->arena, &tpl, &found, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (!found) {
        bo_not_found(rq);
        return;
    }
    int64_t now = time_now();
    store_request r;
    const char *ref = form_get(&rq->query, "demande");
    if (ref && *ref) {
        if (!bo_open_request(rq, &a, t, ref, &r))
            return;
        /* The preview names the request's citizen. */
        bo_record_access(rq, &a, "view", "request", &r.id, 1);
    } else {
        letter_tpl_sample_request(t, now, &r);
        /* A template of one procedure is previewed with that procedure's words. */
        if (tpl.procedure_id && catalogue_procedure_by_id(t, tpl.procedure_id)) {
            r.procedure_id = tpl.procedure_id;
            r.department_id = 0;
        }
    }
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    if (letter_tpl_pdf(rq->core, t, &r, &tpl, a.name, now, NULL, &pdf, &err) != 0)
        http_respond_error(rq, &err);
    else
        send_pdf(rq, &pdf, "apercu");
    buf_free(&pdf);
}

/* ---- the agent's letter for a request ---- */

/* The request page's section: the templates that apply to r's procedure, for an agent who
 * may change it (none once it is anonymised). */
void bo_letters_context(http_req *rq, const store_agent *a, const cat_tenant *t,
                        const store_request *r, json_t *ctx)
{
    if (!perm_can_change(a, r) || r->anonymised_at)
        return;
    store_letter_template *tpl = NULL;
    size_t n = 0;
    error err;
    error_clear(&err);
    if (letter_tpl_list(rq->core, t->rec.id, rq->arena, &tpl, &n, &err) != 0) {
        log_error("request page: letter templates: %s", err.detail);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (tpl[i].procedure_id && tpl[i].procedure_id != r->procedure_id)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(tpl[i].id));
        present_set_str(o, "name", tpl[i].name);
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "has_letter_templates", json_boolean(json_array_size(list) > 0));
    json_object_set_new(ctx, "letter_templates", list);
}

/* The template of id `id` that applies to r, into *out: 1, or 0 (none such). -1 on a
 * storage failure, after answering. */
static int applicable(http_req *rq, const cat_tenant *t, const store_request *r, int64_t id,
                      store_letter_template *out)
{
    int found = 0;
    error err;
    error_clear(&err);
    if (id && letter_tpl_get(rq->core, t->rec.id, id, rq->arena, out, &found, &err) != 0) {
        http_respond_error(rq, &err);
        return -1;
    }
    return found && (!out->procedure_id || out->procedure_id == r->procedure_id);
}

/* What the letter's pages keep: the agent, the request, the template and the text. */
typedef struct letter_state {
    store_agent a;
    const cat_tenant *t;
    store_request r;
    store_letter_template text; /* the template's kind and language, the typed text */
    letter_tpl_issued issued;
    const char *base; /* /agent/demandes/<ref> */
    form f;           /* a POST's form, kept for the issue's continuation */
} letter_state;

/* Opens the letter's page: agent, tenant, request within scope (404), the right to change it
 * (403), the template (404 when none applies). post 0: a GET (template from ?modele); 1: a
 * POST, its form (CSRF checked) in st->f. NULL after answering. */
static letter_state *letter_open(http_req *rq, int post)
{
    letter_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &e);
        return NULL;
    }
    memset(st, 0, sizeof *st);
    form *f = post ? &st->f : NULL;
    if (!bo_agent(rq, &st->a) || !(st->t = web_tenant(rq)) || (f && bo_form(rq, f) != 0) ||
        !bo_open_request(rq, &st->a, st->t, rq->params[0], &st->r))
        return NULL;
    /* An anonymised request takes no new document (as uploads: bo_request.c). */
    if (!perm_can_change(&st->a, &st->r) || st->r.anonymised_at) {
        bo_forbidden(rq);
        return NULL;
    }
    int64_t id = bo_admin_id(f ? form_get(f, "modele") : form_get(&rq->query, "modele"));
    int ok = applicable(rq, st->t, &st->r, id, &st->text);
    if (ok < 0)
        return NULL;
    if (!ok) {
        bo_not_found(rq);
        return NULL;
    }
    st->base = arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, st->r.reference));
    rq->user = st;
    return st;
}

/* The letter's page: "agent/letters/write" (the form) or "agent/letters/preview". */
static void page_render(bo_page *p, const letter_state *st, const char *tmpl, int status)
{
    http_req *rq = p->rq;
    bo_page_set(p, "base", json_string(st->base));
    bo_page_set(p, "reference", json_string(st->r.reference));
    bo_page_set(p, "template_id", json_integer(st->text.id));
    bo_page_set(p, "template_name", json_string(st->text.name));
    bo_page_set(p, "kind_label", json_string(kind_label(p, st->text.kind)));
    bo_page_set(p, "decision_fields", json_boolean(strcmp(st->text.kind, "decision") == 0));
    present_set_str(p->ctx, "placeholders", placeholder_list(rq));
    bo_page_render(
        p, status, tmpl,
        arena_printf(rq->arena, "%s %s", bo_page_str(p, "letters.write.title"), st->r.reference));
}

/* GET …/redaction?modele=ID: the template's text filled for the request, to edit. */
static void letter_get(http_req *rq)
{
    letter_state *st = letter_open(rq, 0);
    if (!st)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &st->a) != 0)
        return;
    letter_tpl_values v;
    letter_tpl_values_of(rq->arena, st->t, &st->r, st->a.name, time_now(),
                         strcmp(st->text.lang, "en") == 0 ? LANG_EN : LANG_FR, &v);
    store_letter_template filled;
    if (letter_tpl_fill(rq->arena, &st->text, &v, &filled) != 0) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        bo_page_fail(&p, &e);
        return;
    }
    text_values(&p, &filled);
    /* The letter names the citizen: reading it is an access to their request. */
    bo_record_access(rq, &st->a, "view", "request", &st->r.id, 1);
    page_render(&p, st, "agent/letters/write", 200);
}

/* The form again with core's refusal (or the typed text as it is, err NULL). */
static void letter_again(http_req *rq, letter_state *st, const form *f, const error *err)
{
    bo_page p;
    if (bo_page_start(&p, rq, &st->a) != 0)
        return;
    static const char *const known[] = {"subject", "body",      "visas",   "considerants",
                                        "decides", "signatory", "quality", NULL};
    if (err)
        text_error(&p, err, known, "body");
    store_letter_template typed = st->text;
    text_from_form(f, &typed);
    text_values(&p, &typed);
    page_render(&p, st, "agent/letters/write", err ? 400 : 200);
}

/* The blocks of the letter as the preview shows them: [{heading|title|right|paragraph, lines}]. */
static json_t *blocks_json(http_req *rq, const letter_block *b, size_t n)
{
    static const char *const kinds[] = {
        [LETTER_TITLE] = "title",
        [LETTER_HEADING] = "heading",
        [LETTER_PARAGRAPH] = "paragraph",
        [LETTER_RIGHT] = "right",
    };
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, kinds[b[i].kind], json_true());
        json_t *lines = json_array();
        const char *s = b[i].text;
        while (s) {
            const char *nl = strchr(s, '\n');
            json_array_append_new(
                lines, json_string(nl ? arena_printf(rq->arena, "%.*s", (int)(nl - s), s) : s));
            s = nl ? nl + 1 : NULL;
        }
        json_object_set_new(o, "lines", lines);
        json_array_append_new(list, o);
    }
    return list;
}

/* What the issue's continuation does: to the request with «fait», or the form again. */
static void issue_done(http_req *rq)
{
    letter_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc == 0) {
        http_redirect(rq, arena_printf(rq->arena, "%s?fait=emis", st->base));
        return;
    }
    if (w && (w->err.code == ERR_INVALID_ARG || w->err.code == ERR_TOO_LARGE)) {
        letter_again(rq, st, &st->f, &w->err);
        return;
    }
    bo_write_refused(rq, w ? &w->err : NULL);
}

/* POST …/redaction: action «apercu» (the preview page), «pdf» (the PDF), «modifier» (the
 * form again), «emettre» (the issue). */
static void letter_post(http_req *rq)
{
    letter_state *st = letter_open(rq, 1);
    if (!st)
        return;
    const form *f = &st->f;
    const char *action = bo_admin_field(f, "action");
    text_from_form(f, &st->text);
    error err;
    error_clear(&err);
    if (strcmp(action, "modifier") == 0) {
        letter_again(rq, st, f, NULL);
        return;
    }
    if (strcmp(action, "emettre") == 0) {
        core_actor who = bo_who(rq, &st->a);
        http_wait *w = http_wait_begin(rq, issue_done);
        int rc = letter_tpl_issue(rq->core, st->t, &who, st->r.reference, &st->text,
                                  arena_printf(rq->arena, "%s/suivi", http_base_url(rq, st->t)),
                                  &st->issued, http_wait_done, w, &err);
        http_wait_started(w, rc, &err);
        return;
    }
    int64_t now = time_now();
    if (strcmp(action, "pdf") == 0) {
        buf pdf;
        buf_init(&pdf, LETTER_PDF_MAX);
        if (letter_tpl_pdf(rq->core, st->t, &st->r, &st->text, st->a.name, now, NULL, &pdf, &err) !=
            0) {
            if (err.code == ERR_INVALID_ARG || err.code == ERR_TOO_LARGE)
                letter_again(rq, st, f, &err);
            else
                http_respond_error(rq, &err);
        } else {
            bo_record_access(rq, &st->a, "view", "request", &st->r.id, 1);
            send_pdf(rq, &pdf, "apercu");
        }
        buf_free(&pdf);
        return;
    }
    /* «Aperçu»: the letter's blocks, drawn as the PDF draws them. */
    if (letter_tpl_check(&st->text, 0, &err) != 0) {
        letter_again(rq, st, f, &err);
        return;
    }
    lang l = strcmp(st->text.lang, "en") == 0 ? LANG_EN : LANG_FR;
    letter_tpl_values v;
    letter_tpl_values_of(rq->arena, st->t, &st->r, st->a.name, now, l, &v);
    store_letter_template filled;
    letter_block *blocks = arena_alloc(rq->arena, LETTER_TPL_BLOCKS_MAX * sizeof *blocks);
    if (!blocks || letter_tpl_fill(rq->arena, &st->text, &v, &filled) != 0) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    size_t n =
        letter_tpl_blocks(rq->arena, present_strings(rq->present, l), &filled, st->r.reference,
                          letter_tpl_recipient(rq->arena, &st->r), NULL, NULL, blocks);
    bo_page p;
    if (bo_page_start(&p, rq, &st->a) != 0)
        return;
    text_values(&p, &st->text);
    bo_page_set(&p, "blocks", blocks_json(rq, blocks, n));
    bo_record_access(rq, &st->a, "view", "request", &st->r.id, 1);
    page_render(&p, st, "agent/letters/preview", 200);
}

const http_route bo_letters_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, admin_get},
    {HTTP_POST, TAB, admin_post},
    {HTTP_GET | HTTP_HEAD, TAB "/apercu", admin_preview},
    {HTTP_POST, TAB "/{}/supprimer", admin_delete},
    {HTTP_GET | HTTP_HEAD, "/agent/demandes/{}/redaction", letter_get},
    {HTTP_POST, "/agent/demandes/{}/redaction", letter_post},
    {0, NULL, NULL},
};

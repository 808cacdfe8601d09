/*
 * letter_tpl — templates checked and filled, a letter's blocks, its PDF through
 * document_render (the receipt's letterhead), and its issue as one write job.
 */
#include "core/letter_tpl.h"

#include <string.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/change.h"
#include "core/core_op.h"
#include "core/document.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/request_internal.h"
#include "core/short_code.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/wording.h"

const char *const letter_tpl_placeholders[LETTER_TPL_N_PLACEHOLDERS] = {
    [LETTER_TPL_REFERENCE] = "reference",
    [LETTER_TPL_DATE_DEPOT] = "date_depot",
    [LETTER_TPL_DEMARCHE] = "demarche",
    [LETTER_TPL_ADRESSE] = "adresse",
    [LETTER_TPL_NOM] = "nom",
    [LETTER_TPL_PRENOM] = "prenom",
    [LETTER_TPL_SERVICE] = "service",
    [LETTER_TPL_DATE] = "date",
    [LETTER_TPL_AGENT] = "agent",
    [LETTER_TPL_COLLECTIVITE] = "collectivite",
    [LETTER_TPL_DATE_DECISION] = "date_decision",
};

static int set(const char *s)
{
    return s && *s;
}

/* One field's bounds, text (one line when oneline: a title, a name) and placeholders: 0, or
 * -1 with ERR_INVALID_ARG naming it. */
static int check_field(const char *field, const char *s, size_t min, size_t max, int oneline,
                       error *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min)
        return error_set(err, ERR_INVALID_ARG, field, "%s is required", field);
    if (n > max)
        return error_set(err, ERR_INVALID_ARG, field, "%s is over %zu bytes", field, max);
    if (n && (!utf8_valid(s, n) || utf8_has_control(s, n) || (oneline && strpbrk(s, "\r\n"))))
        return error_set(err, ERR_INVALID_ARG, field, "%s is not plain text", field);
    size_t len = 0;
    const char *bad =
        wording_blank_unknown(s, letter_tpl_placeholders, LETTER_TPL_N_PLACEHOLDERS, &len);
    if (bad)
        return error_set(err, ERR_INVALID_ARG, field, "placeholder {%.*s} is unknown", (int)len,
                         bad);
    return 0;
}

int letter_tpl_check(const store_letter_template *t, int need_name, error *err)
{
    if (need_name && check_field("name", t->name, 1, LETTER_TPL_NAME_MAX, 1, err) != 0)
        return -1;
    if (!t->kind || (strcmp(t->kind, "letter") != 0 && strcmp(t->kind, "decision") != 0))
        return error_set(err, ERR_INVALID_ARG, "kind", "kind is letter or decision");
    if (!t->lang || (strcmp(t->lang, "fr") != 0 && strcmp(t->lang, "en") != 0))
        return error_set(err, ERR_INVALID_ARG, "lang", "lang is fr or en");
    if (check_field("subject", t->subject, 1, LETTER_TPL_SUBJECT_MAX, 1, err) != 0 ||
        check_field("body", t->body, 1, LETTER_TPL_BODY_MAX, 0, err) != 0 ||
        check_field("visas", t->visas, 0, LETTER_TPL_LINES_MAX, 0, err) != 0 ||
        check_field("considerants", t->considerants, 0, LETTER_TPL_LINES_MAX, 0, err) != 0 ||
        check_field("decides", t->decides, 0, LETTER_TPL_SIGN_MAX, 1, err) != 0 ||
        check_field("signatory", t->signatory, 0, LETTER_TPL_SIGN_MAX, 1, err) != 0 ||
        check_field("quality", t->quality, 0, LETTER_TPL_SIGN_MAX, 0, err) != 0)
        return -1;
    return 0;
}

void letter_tpl_values_of(arena *a, const cat_tenant *t, const store_request *r,
                          const char *agent_name, int64_t now, lang l, letter_tpl_values *out)
{
    memset(out, 0, sizeof *out);
    const char *tz = t->rec.timezone;
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    const cat_department *d = r->department_id ? catalogue_department_by_id(t, r->department_id)
                              : p              ? p->department
                                               : NULL;
    out->v[LETTER_TPL_REFERENCE] = r->reference;
    out->v[LETTER_TPL_DATE_DEPOT] = wording_date(a, l, r->created_at, tz, 0);
    out->v[LETTER_TPL_DEMARCHE] =
        p ? (l == LANG_EN && set(p->rec.name_en) ? p->rec.name_en : p->rec.name) : NULL;
    out->v[LETTER_TPL_ADRESSE] = r->address;
    out->v[LETTER_TPL_NOM] = r->last_name;
    out->v[LETTER_TPL_PRENOM] = r->first_name;
    out->v[LETTER_TPL_SERVICE] = d ? d->rec.name : NULL;
    out->v[LETTER_TPL_DATE] = wording_date(a, l, now, tz, 0);
    out->v[LETTER_TPL_DATE_DECISION] = out->v[LETTER_TPL_DATE];
    out->v[LETTER_TPL_AGENT] = agent_name;
    out->v[LETTER_TPL_COLLECTIVITE] = t->rec.name;
}

void letter_tpl_sample_request(const cat_tenant *t, int64_t now, store_request *out)
{
    memset(out, 0, sizeof *out);
    out->tenant_id = t->rec.id;
    out->reference = "2026-000042";
    out->first_name = "Camille";
    out->last_name = "Exemple";
    out->address = "12 rue de la Mairie";
    out->created_at = now - 10 * 86400;
    out->lang = "fr";
    if (t->n_procedures) {
        out->procedure_id = t->procedures[0].rec.id;
        out->department_id = t->procedures[0].department ? t->procedures[0].department->rec.id : 0;
    }
}

int letter_tpl_fill(arena *a, const store_letter_template *in, const letter_tpl_values *v,
                    store_letter_template *out)
{
    *out = *in;
    const char *const *in_f[] = {&in->subject, &in->body,      &in->visas,  &in->considerants,
                                 &in->decides, &in->signatory, &in->quality};
    const char **out_f[] = {&out->subject, &out->body,      &out->visas,  &out->considerants,
                            &out->decides, &out->signatory, &out->quality};
    for (size_t i = 0; i < sizeof in_f / sizeof in_f[0]; i++) {
        if (!*in_f[i])
            continue;
        *out_f[i] =
            wording_subst(a, *in_f[i], letter_tpl_placeholders, v->v, LETTER_TPL_N_PLACEHOLDERS);
        if (!*out_f[i])
            return -1;
    }
    return 0;
}

/* ---- blocks ---- */

typedef struct block_list {
    arena *a;
    const json_t *strings;
    letter_block *out;
    size_t n;
} block_list;

static void add(block_list *b, letter_kind kind, const char *text)
{
    if (b->n < LETTER_TPL_BLOCKS_MAX && set(text))
        b->out[b->n++] = (letter_block){kind, text};
}

/* "letters.doc.<key>" with its blanks filled. */
static const char *say(block_list *b, const char *key, const char *const *names,
                       const char *const *values, size_t n)
{
    const char *path = arena_printf(b->a, "letters.doc.%s", key);
    const char *s =
        path ? wording_subst(b->a, wording_lookup(b->strings, path), names, values, n) : NULL;
    return s ? s : "";
}

/* [s, e) in a without the blanks and line breaks around it, nor carriage returns inside it
 * (a browser sends a textarea's lines CRLF); line breaks inside stay. NULL when a is
 * exhausted. */
static const char *trimmed(arena *a, const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    char *out = arena_alloc(a, (size_t)(e - s) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *c = s; c < e; c++)
        if (*c != '\r')
            out[o++] = *c;
    out[o] = '\0';
    return out;
}

/* Calls each(b, piece, i) for the pieces of text split at `sep` ("\n": lines, "\n\n":
 * paragraphs), each trimmed of blanks and line breaks, empty ones skipped; i counts from 1. */
static void split(block_list *b, const char *text, int paragraphs,
                  void (*each)(block_list *b, const char *piece, int i))
{
    if (!text)
        return;
    int i = 0;
    const char *p = text;
    while (*p) {
        const char *end = p;
        if (paragraphs) {
            /* A paragraph ends at a line holding only blanks. */
            for (;;) {
                const char *nl = strchr(end, '\n');
                if (!nl) {
                    end += strlen(end);
                    break;
                }
                const char *q = nl + 1;
                while (*q == ' ' || *q == '\t' || *q == '\r')
                    q++;
                if (*q == '\n' || !*q) {
                    end = nl;
                    break;
                }
                end = nl + 1;
            }
        } else {
            end = p + strcspn(p, "\n");
        }
        const char *piece = trimmed(b->a, p, end);
        if (piece && *piece)
            each(b, piece, ++i);
        p = *end ? end + 1 : end;
    }
}

static void each_paragraph(block_list *b, const char *piece, int i)
{
    (void)i;
    add(b, LETTER_PARAGRAPH, piece);
}

static void each_article(block_list *b, const char *piece, int i)
{
    const char *names[] = {"n", "text"};
    const char *values[] = {arena_printf(b->a, "%d", i), piece};
    add(b, LETTER_PARAGRAPH, say(b, "article", names, values, 2));
}

/* The signatory: their quality over their name, aligned right. */
static void signature(block_list *b, const store_letter_template *text)
{
    const char *quality =
        text->quality ? trimmed(b->a, text->quality, text->quality + strlen(text->quality)) : NULL;
    if (set(quality) && set(text->signatory))
        add(b, LETTER_RIGHT, arena_printf(b->a, "%s\n%s", quality, text->signatory));
    else
        add(b, LETTER_RIGHT, set(quality) ? quality : text->signatory);
}

size_t letter_tpl_blocks(arena *a, const json_t *strings, const store_letter_template *text,
                         const char *ref, const char *recipient, const char *base_url,
                         const char *code, letter_block *out)
{
    block_list b = {.a = a, .strings = strings, .out = out};
    const char *n_ref[] = {"reference"}, *v_ref[] = {ref};
    const char *n_subj[] = {"subject"}, *v_subj[] = {text->subject};
    int decision = text->kind && strcmp(text->kind, "decision") == 0;
    if (decision) {
        add(&b, LETTER_TITLE, text->subject);
        add(&b, LETTER_PARAGRAPH, say(&b, "reference", n_ref, v_ref, 1));
        split(&b, text->visas, 0, each_paragraph);
        split(&b, text->considerants, 0, each_paragraph);
        add(&b, LETTER_HEADING,
            set(text->decides) ? text->decides : say(&b, "decides", NULL, NULL, 0));
        split(&b, text->body, 1, each_article);
    } else {
        add(&b, LETTER_PARAGRAPH, recipient);
        add(&b, LETTER_TITLE, say(&b, "object", n_subj, v_subj, 1));
        add(&b, LETTER_PARAGRAPH, say(&b, "reference", n_ref, v_ref, 1));
        split(&b, text->body, 1, each_paragraph);
    }
    signature(&b, text);
    if (set(base_url) && set(code)) {
        const char *n_v[] = {"url", "code"};
        const char *v_v[] = {arena_printf(a, "%s/verifier/%s", base_url, code), code};
        add(&b, LETTER_VERIFY, say(&b, "verify", n_v, v_v, 2));
    }
    return b.n;
}

/* ---- templates ---- */

int letter_tpl_list(core *c, int64_t tenant_id, arena *a, store_letter_template **out, size_t *n,
                    error *err)
{
    return c->store->ops->letter_templates.list(c->store, tenant_id, a, out, n, err);
}

int letter_tpl_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_letter_template *out,
                   int *found, error *err)
{
    return c->store->ops->letter_templates.get(c->store, tenant_id, id, a, out, found, err);
}

static int apply_template(store *s, void *arg, int64_t *id, error *err)
{
    return s->ops->letter_templates.tx_upsert(s, arg, id, err);
}

/* Not in the catalogue: agents' pages read them when they write a letter. */
static const change_def template_change = {"admin", "letter_template", apply_template, 0};

int letter_tpl_upsert_as(core *c, const core_actor *who, const store_letter_template *t,
                         int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (letter_tpl_check(t, 1, err) != 0)
        return -1;
    if (t->procedure_id) {
        const catalogue *cat = catalogue_acquire(c);
        const cat_tenant *ct = catalogue_tenant_by_id(cat, t->tenant_id);
        int known = ct && catalogue_procedure_by_id(ct, t->procedure_id);
        catalogue_release(c, cat);
        if (!known)
            return error_set(err, ERR_INVALID_ARG, "procedure_id",
                             "no such procedure in the collectivité");
    }
    store_letter_template copy = *t;
    copy.agent_id = actor_agent_id(who);
    copy.updated_at = time_now();
    return change_run(c, who, t->tenant_id, &template_change, &copy, sizeof copy, id_out, cb, ctx,
                      err);
}

typedef struct delete_arg {
    int64_t tenant_id, id;
} delete_arg;

static int apply_delete(store *s, void *arg, int64_t *id, error *err)
{
    const delete_arg *d = arg;
    *id = d->id;
    return s->ops->letter_templates.tx_delete(s, d->tenant_id, d->id, err);
}

static const change_def delete_change = {"admin", "letter_template", apply_delete, 0};

int letter_tpl_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                         core_done_fn cb, void *ctx, error *err)
{
    delete_arg d = {tenant_id, id};
    return change_run(c, who, tenant_id, &delete_change, &d, sizeof d, NULL, cb, ctx, err);
}

/* ---- a letter for a request ---- */

/* The department in charge of r, as its receipt names it. */
static const cat_department *department_of(const cat_tenant *t, const store_request *r)
{
    if (r->department_id)
        return catalogue_department_by_id(t, r->department_id);
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    return p ? p->department : NULL;
}

/* The collectivité's link base ("https://<first host name>"), in a; NULL when it has none. */
static const char *link_base(arena *a, const cat_tenant *t)
{
    size_t host_len = 0;
    const char *host = catalogue_tenant_link_host(t, &host_len);
    return host ? arena_printf(a, "https://%.*s", (int)host_len, host) : NULL;
}

const char *letter_tpl_recipient(arena *a, const store_request *r)
{
    const char *name = arena_printf(a, "%s%s%s", set(r->first_name) ? r->first_name : "",
                                    set(r->first_name) && set(r->last_name) ? " " : "",
                                    set(r->last_name) ? r->last_name : "");
    if (set(name) && set(r->address))
        return arena_printf(a, "%s\n%s", name, r->address);
    return set(name) ? name : r->address;
}

/* The language a template is written in. */
static lang text_lang(const store_letter_template *text)
{
    return strcmp(text->lang, "en") == 0 ? LANG_EN : LANG_FR;
}

/* Checks text, fills it with v into *filled: 0, or -1 with err. */
static int prepare(arena *a, const store_letter_template *text, const letter_tpl_values *v,
                   store_letter_template *filled, error *err)
{
    if (letter_tpl_check(text, 0, err) != 0)
        return -1;
    if (letter_tpl_fill(a, text, v, filled) != 0)
        return error_set(err, ERR_TOO_LARGE, "body", "the letter is too long once filled");
    return 0;
}

int letter_tpl_render(core *c, const cat_tenant *t, const store_request *r,
                      const store_letter_template *text, const letter_tpl_values *v,
                      const char *code, arena *a, const char **title, struct buf *out, error *err)
{
    store_letter_template filled;
    if (prepare(a, text, v, &filled, err) != 0)
        return -1;
    const json_t *strings = c->document_strings[text_lang(text)];
    if (!strings)
        return error_set(err, ERR_UNAVAILABLE, NULL, "no strings to write documents with");
    letter_block blocks[LETTER_TPL_BLOCKS_MAX];
    const char *base = link_base(a, t);
    size_t n = letter_tpl_blocks(a, strings, &filled, r->reference, letter_tpl_recipient(a, r),
                                 base, code, blocks);
    /* Issued with its code: the verification line beside its QR code, as on the receipt. */
    letter_verify verify = {0};
    if (set(base) && set(code)) {
        verify.url = arena_printf(a, "%s/verifier/%s", base, code);
        const char *n_v[] = {"url"};
        const char *v_v[] = {verify.url};
        verify.alt = wording_subst(a, wording_lookup(strings, "documents.qr_alt"), n_v, v_v, 1);
    }
    if (title)
        *title = filled.subject;
    return document_render(c, t, department_of(t, r), strings, filled.subject,
                           verify.url ? &verify : NULL, blocks, n, out, err);
}

int letter_tpl_pdf(core *c, const cat_tenant *t, const store_request *r,
                   const store_letter_template *text, const char *agent_name, int64_t now,
                   const char *code, struct buf *out, error *err)
{
    arena a;
    arena_init(&a, 4 * 1024 * 1024);
    letter_tpl_values v;
    letter_tpl_values_of(&a, t, r, agent_name, now, text_lang(text), &v);
    int rc = letter_tpl_render(c, t, r, text, &v, code, &a, NULL, out, err);
    arena_free(&a);
    return rc;
}

int letter_tpl_find(core *c, int64_t tenant_id, const char *name, arena *a,
                    store_letter_template *out, int *found, error *err)
{
    *found = 0;
    store_letter_template *list = NULL;
    size_t n = 0;
    if (letter_tpl_list(c, tenant_id, a, &list, &n, err) != 0)
        return -1;
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(list[i].name, name) == 0) {
            *out = list[i];
            *found = 1;
            break;
        }
    return 0;
}

int letter_tpl_notify_tx(store *s, const store_request *r, const char *procedure,
                         const store_document *doc, int64_t doc_id, const char *tracking_url,
                         error *err)
{
    const char *title = doc->title;
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!via)
        return 0;
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "reference", r->reference, "procedure",
                               procedure ? procedure : "", "document", title ? title : "",
                               "tracking_url", tracking_url ? tracking_url : "");
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the document's notice");
    outbox_document_ref ref = {.id = doc_id, .sha256 = doc->sha256};
    int rc = outbox_add_document_tx(s, r->tenant_id, via, to, "document_issued", params, r->lang,
                                    r->id, &ref, err);
    json_decref(params);
    return rc;
}

typedef struct issue_op {
    core_op op;
    core_actor who; /* copied into op.a */
    store_agent who_agent;
    const char *reference;
    const char *procedure;    /* its name, for the notice */
    const char *tracking_url; /* base URL + the tracking page */
    store_document doc;       /* its version: the next of its kind and title */
    letter_tpl_issued *out;
} issue_op;

int letter_tpl_store_tx(store *s, store_request *r, store_document *doc, const core_actor *who,
                        const char *actor_label, const char *procedure, const char *tracking_url,
                        int64_t now, int64_t *doc_id, error *err)
{
    if (now < r->updated_at) /* keep the timeline ordered even if the clock stepped back */
        now = r->updated_at;
    doc->request_id = r->id;
    doc->created_at = now;
    int64_t id = 0;
    /* A letter issued again under the same title is that letter's next version. */
    if (s->ops->documents.tx_next_version(s, r->id, doc->kind, doc->title, &doc->version, err) !=
            0 ||
        s->ops->documents.tx_insert(s, doc, &id, err) != 0)
        return -1;
    store_event e = {
        .tenant_id = r->tenant_id,
        .request_id = r->id,
        .created_at = now,
        .kind = LETTER_TPL_EVENT,
        .is_public = doc->citizen_visible,
        .actor = actor_label,
        .channel = "web",
        .body = doc->title,
    };
    if (s->ops->events.tx_insert(s, &e, NULL, err) != 0 ||
        audit_change_tx(s, r->tenant_id, who, "issue", "document", &id, 1, err) != 0 ||
        (doc->citizen_visible &&
         letter_tpl_notify_tx(s, r, procedure, doc, id, tracking_url, err) != 0))
        return -1;
    r->updated_at = now;
    if (s->ops->requests.tx_update(s, r, err) != 0)
        return -1;
    if (doc_id)
        *doc_id = id;
    return 0;
}

static int issue_apply(store *s, core_op *op, error *err)
{
    issue_op *o = (issue_op *)op;
    store_request r;
    int found = 0;
    if (s->ops->requests.tx_get(s, o->doc.tenant_id, o->reference, &op->a, &r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    const store_agent *a = o->who.kind == ACTOR_AGENT ? o->who.agent : NULL;
    if (o->who.kind == ACTOR_AGENT && (!a || !perm_can_change(a, &r)))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
    /* An anonymised request's documents went with its personal data: a letter, whose text
     * an agent writes freely, would bring some back. */
    if (r.anonymised_at)
        return error_set(err, ERR_CONFLICT, "request", "the request is anonymised");
    int64_t doc_id = 0;
    if (letter_tpl_store_tx(s, &r, &o->doc, &o->who, actor_event_label(&o->who, &op->a),
                            o->procedure, o->tracking_url, time_now(), &doc_id, err) != 0)
        return -1;
    if (o->out)
        *o->out = (letter_tpl_issued){.document_id = doc_id};
    return 0;
}

int letter_tpl_issue(core *c, const cat_tenant *t, const core_actor *who, const char *reference,
                     const store_letter_template *text, const char *tracking_url,
                     letter_tpl_issued *out, core_done_fn cb, void *ctx, error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    arena a;
    arena_init(&a, 4 * 1024 * 1024);
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    issue_op *op = NULL;
    int rc = -1;
    store_request r;
    if (request_get_as(c, t, who, reference, &a, &r, err) != 0)
        goto cleanup;
    if (who->kind == ACTOR_AGENT && !perm_can_change(who->agent, &r)) {
        error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
        goto cleanup;
    }
    int64_t now = time_now();
    char code[SHORT_CODE_LEN + 1], shown[SHORT_CODE_DISPLAY_SIZE];
    document_code_new(code, shown);
    const char *agent_name = who->kind == ACTOR_AGENT && who->agent ? who->agent->name : NULL;
    letter_tpl_values v;
    letter_tpl_values_of(&a, t, &r, agent_name, now, text_lang(text), &v);
    const char *title = NULL;
    if (letter_tpl_render(c, t, &r, text, &v, shown, &a, &title, &pdf, err) != 0)
        goto cleanup;
    if (!(op = core_op_new(sizeof *op, issue_apply))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    arena *oa = &op->op.a;
    const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
    op->doc = (store_document){
        .tenant_id = t->rec.id,
        .kind = arena_strdup(oa, text->kind),
        .title = arena_strdup(oa, title),
        .agent_id = actor_agent_id(who),
        .citizen_visible = 1,
    };
    if (document_row_fill(oa, code, pdf.data, pdf.len, &op->doc) != 0 ||
        actor_copy(oa, who, &actor_system, &op->who, &op->who_agent) != 0 ||
        !(op->reference = arena_strdup(oa, r.reference))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    op->procedure = p ? arena_strdup(oa, p->rec.name) : NULL;
    op->tracking_url = tracking_url ? arena_strdup(oa, tracking_url) : NULL;
    op->out = out;
    rc = core_op_submit(c, op, cb, ctx, err);
    op = NULL;
cleanup:
    core_op_free(op);
    buf_free(&pdf);
    arena_free(&a);
    return rc;
}

/*
 * document — the receipt's text, sentence by sentence from the "documents" strings, each
 * block of the letter given to docs/letter.c on the collectivité's letterhead.
 */
#include "core/document.h"

#include <sodium.h>
#include <string.h>

#include "core/branding.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/short_code.h"
#include "core/request.h"
#include "core/sla.h"
#include "core/workflow_timeout.h"
#include "docs/letter.h"
#include "util/arena.h"
#include "util/wording.h"

#define DOCUMENT_ARENA_MAX (1024 * 1024 + BRANDING_LOGO_MAX_BYTES)
#define DOCUMENT_BLOCKS_MAX 24

lang document_lang(const store_request *r)
{
    return r->lang && strcmp(r->lang, "en") == 0 ? LANG_EN : LANG_FR;
}

/* The composition of one document: its strings, its arena and the blocks written so far. */
typedef struct compose {
    const json_t *strings;
    arena *a;
    letter_block blocks[DOCUMENT_BLOCKS_MAX];
    size_t n;
    letter_verify verify; /* its URL set when a LETTER_VERIFY block was added */
} compose;

/* The string "documents.<key>" with its blanks filled (names[i] → values[i]). */
static const char *say(compose *k, const char *key, const char *const *names,
                       const char *const *values, size_t n)
{
    char path[96];
    size_t len = strlen(key);
    if (len + sizeof "documents." > sizeof path)
        return key;
    memcpy(path, "documents.", sizeof "documents." - 1);
    memcpy(path + sizeof "documents." - 1, key, len + 1);
    const char *s = wording_subst(k->a, wording_lookup(k->strings, path), names, values, n);
    return s ? s : "";
}

static void add(compose *k, letter_kind kind, const char *text)
{
    if (k->n < DOCUMENT_BLOCKS_MAX && text && *text)
        k->blocks[k->n++] = (letter_block){kind, text};
}

/* A postal address on one line: its lines joined by ", " (a sentence, not a block). */
static const char *one_line(arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *out = arena_alloc(a, 2 * n + 1);
    if (!out)
        return s;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r')
            continue;
        if (s[i] == '\n') {
            if (o > 0 && i + 1 < n) {
                out[o++] = ',';
                out[o++] = ' ';
            }
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static int set(const char *s)
{
    return s && *s;
}

/* The first jump of p's workflow that gives the silence a meaning (accord or rejet), NULL
 * when none: the receipt then says nothing of silence. */
static const store_workflow_timeout *silence_rule(const cat_procedure *p)
{
    const cat_workflow *wf = p->workflow;
    for (size_t i = 0; wf && i < wf->n_timeouts; i++) {
        const store_workflow_timeout *tm = &wf->timeouts[i];
        if (strcmp(tm->kind, "jump") == 0 && tm->meaning &&
            (strcmp(tm->meaning, "accord") == 0 || strcmp(tm->meaning, "rejet") == 0))
            return tm;
    }
    return NULL;
}

/* The blocks of r's receipt, into k. */
static void receipt_blocks(compose *k, const cat_tenant *t, const cat_procedure *p,
                           const cat_department *d, const store_request *r, lang l,
                           const document_receipt_in *in)
{
    const char *tz = t->rec.timezone;
    const store_branding *b = &t->branding;
    const char *coll = t->rec.name;
    const char *ref = r->reference;
    const char *proc = l == LANG_EN && set(p->rec.name_en) ? p->rec.name_en : p->rec.name;
    const char *dept = d ? d->rec.name : NULL;

    const char *n_date[] = {"date"};
    const char *v_issued[] = {wording_date(k->a, l, in->issued_at, tz, 0)};
    add(k, LETTER_RIGHT, say(k, "receipt.issued", n_date, v_issued, 1));
    if (set(r->first_name) || set(r->last_name)) {
        const char *n_name[] = {"name"};
        const char *v_name[] = {arena_printf(k->a, "%s%s%s",
                                             set(r->first_name) ? r->first_name : "",
                                             set(r->first_name) && set(r->last_name) ? " " : "",
                                             set(r->last_name) ? r->last_name : "")};
        add(k, LETTER_PARAGRAPH, say(k, "receipt.to", n_name, v_name, 1));
    }
    const char *n_ref[] = {"reference"};
    const char *v_ref[] = {ref};
    add(k, LETTER_TITLE, say(k, "receipt.heading", n_ref, v_ref, 1));
    add(k, LETTER_PARAGRAPH, say(k, "receipt.salutation", NULL, NULL, 0));
    const char *n_recv[] = {"procedure", "date", "reference"};
    const char *v_recv[] = {proc, wording_date(k->a, l, r->created_at, tz, 1), ref};
    add(k, LETTER_PARAGRAPH, say(k, "receipt.received", n_recv, v_recv, 3));

    /* The department in charge and how to reach it (R112-5: its designation, postal and
     * electronic addresses, telephone number). */
    add(k, LETTER_HEADING, say(k, "receipt.department_heading", NULL, NULL, 0));
    const char *n_dep[] = {"department", "collectivite"};
    const char *v_dep[] = {dept, coll};
    add(k, LETTER_PARAGRAPH,
        say(k, dept ? "receipt.department" : "receipt.department_none", n_dep, v_dep, 2));
    const char *email = d && set(d->rec.email) ? d->rec.email : b->email;
    buf lines;
    buf_init(&lines, 4096);
    buf_puts(&lines, say(k, "receipt.contact", NULL, NULL, 0));
    const char *n_e[] = {"email"}, *v_e[] = {email};
    const char *n_p[] = {"phone"}, *v_p[] = {b->phone};
    const char *n_a[] = {"address"}, *v_a[] = {one_line(k->a, b->address)};
    if (set(email))
        buf_printf(&lines, "\n– %s", say(k, "receipt.contact_email", n_e, v_e, 1));
    if (set(b->phone))
        buf_printf(&lines, "\n– %s", say(k, "receipt.contact_phone", n_p, v_p, 1));
    if (set(b->address))
        buf_printf(&lines, "\n– %s", say(k, "receipt.contact_address", n_a, v_a, 1));
    if (set(email) || set(b->phone) || set(b->address))
        add(k, LETTER_PARAGRAPH, arena_strdup(k->a, buf_cstr(&lines)));
    buf_free(&lines);

    /* The expected delay. */
    add(k, LETTER_HEADING, say(k, "receipt.delay_heading", NULL, NULL, 0));
    int64_t due = r->due_at ? r->due_at : request_due_at(t, p, r->created_at);
    if (p->rec.delay_days > 0 && due) {
        const char *n_d[] = {"days", "date"};
        const char *v_d[] = {arena_printf(k->a, "%d", p->rec.delay_days),
                             wording_date(k->a, l, due, tz, 0)};
        add(k, LETTER_PARAGRAPH,
            say(k, p->rec.delay_working ? "receipt.delay_working" : "receipt.delay", n_d, v_d, 2));
    } else {
        add(k, LETTER_PARAGRAPH, say(k, "receipt.delay_none", NULL, NULL, 0));
    }

    /* What silence means, counted from the receipt as the CRPA counts it (art. L231-1). */
    const store_workflow_timeout *rule = silence_rule(p);
    if (rule) {
        int64_t when = workflow_timeout_due(rule, r->created_at, tz, sla_holidays(t));
        const char *v_s[] = {wording_date(k->a, l, when, tz, 0)};
        add(k, LETTER_HEADING, say(k, "receipt.silence_heading", NULL, NULL, 0));
        add(k, LETTER_PARAGRAPH,
            say(k,
                strcmp(rule->meaning, "accord") == 0 ? "receipt.silence_accord"
                                                     : "receipt.silence_rejet",
                n_date, v_s, 1));
    }

    const char *n_coll[] = {"collectivite"};
    const char *v_coll[] = {coll};
    add(k, LETTER_HEADING, say(k, "receipt.appeal_heading", NULL, NULL, 0));
    add(k, LETTER_PARAGRAPH, say(k, "receipt.appeal", n_coll, v_coll, 1));
    add(k, LETTER_HEADING, say(k, "receipt.follow_heading", NULL, NULL, 0));
    const char *follow = say(k, "receipt.follow", n_ref, v_ref, 1);
    if (set(in->base_url) && set(in->code)) {
        /* How to follow it, then how to verify it, beside the QR code (docs/letter.h). */
        const char *url = arena_printf(k->a, "%s/verifier/%s", in->base_url, in->code);
        const char *n_v[] = {"url", "code"};
        const char *v_v[] = {url, in->code};
        k->verify = (letter_verify){url, say(k, "qr_alt", n_v, v_v, 1)};
        add(k, LETTER_VERIFY,
            arena_printf(k->a, "%s\n%s", follow, say(k, "receipt.verify", n_v, v_v, 2)));
    } else {
        add(k, LETTER_PARAGRAPH, follow);
    }
    add(k, LETTER_RIGHT,
        say(k, dept ? "receipt.signature" : "receipt.signature_none", n_dep, v_dep, 2));
}

int document_letterhead(core *c, const cat_tenant *t, const cat_department *d, arena *a,
                        letter_head *head, document_logo_held **held, error *err)
{
    const store_branding *b = &t->branding;
    *head = (letter_head){
        .name = t->rec.name,
        .address = b->address,
        .department = d ? d->rec.name : NULL,
        .department_contact = d && set(d->rec.email) ? d->rec.email : NULL,
    };
    /* The letterhead's contact line: telephone, e-mail, website, as the collectivité set them. */
    const char *parts[] = {b->phone, b->email, b->website};
    buf contact;
    buf_init(&contact, 2048);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (set(parts[i]))
            buf_printf(&contact, "%s%s", contact.len ? " · " : "", parts[i]);
    head->contact = contact.len ? arena_strdup(a, buf_cstr(&contact)) : NULL;
    buf_free(&contact);
    return document_logo_acquire(c, t, &head->logo, held, err);
}

void document_letterhead_done(core *c, document_logo_held *held)
{
    document_logo_release(c, held);
}

int document_render(core *c, const cat_tenant *t, const cat_department *d, const json_t *strings,
                    const char *title, const letter_verify *verify, const letter_block *blocks,
                    size_t n, buf *out, error *err)
{
    arena a;
    arena_init(&a, DOCUMENT_ARENA_MAX);
    int rc = -1;
    letter_head head;
    document_logo_held *held = NULL;
    if (document_letterhead(c, t, d, &a, &head, &held, err) != 0)
        goto cleanup;
    letter doc = {
        .verify = verify,
        .title = title,
        .lang = wording_lookup(strings, "documents.lang"),
        .page_word = wording_lookup(strings, "documents.page"),
        .blocks = blocks,
        .n_blocks = n,
    };
    rc = letter_render(&head, &doc, out, NULL, err);
    document_letterhead_done(c, held);
cleanup:
    arena_free(&a);
    return rc;
}

int document_receipt_pdf(core *c, const cat_tenant *t, const store_request *r,
                         const document_receipt_in *in, buf *out, error *err)
{
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    if (!p)
        return error_set(err, ERR_NOT_FOUND, "procedure", "the request's procedure is gone");
    const cat_department *d =
        r->department_id ? catalogue_department_by_id(t, r->department_id) : p->department;
    arena a;
    arena_init(&a, DOCUMENT_ARENA_MAX);
    compose k = {.strings = in->strings, .a = &a};
    receipt_blocks(&k, t, p, d, r, document_lang(r), in);
    const char *n_ref[] = {"reference"};
    const char *v_ref[] = {r->reference};
    int rc = document_render(c, t, d, in->strings, say(&k, "receipt.title", n_ref, v_ref, 1),
                             k.verify.url ? &k.verify : NULL, k.blocks, k.n, out, err);
    arena_free(&a);
    return rc;
}

/* ---- issued documents ---- */

void document_set_strings(core *c, json_t *fr, json_t *en)
{
    json_decref(c->document_strings[LANG_FR]);
    json_decref(c->document_strings[LANG_EN]);
    c->document_strings[LANG_FR] = json_incref(fr);
    c->document_strings[LANG_EN] = json_incref(en);
}

int document_receipt_schedule_tx(core *c, store *s, const store_request *r, error *err)
{
    if (!c->document_strings[LANG_FR])
        return 0;
    return jobs_schedule_tx(s, r->tenant_id, r->id, DOCUMENT_RECEIPT_KIND, DOCUMENT_KIND_RECEIPT,
                            r->created_at, NULL, NULL, err);
}

int64_t document_receipt_hold(core *c, int64_t created_at)
{
    return c->document_strings[LANG_FR] ? created_at + DOCUMENT_RECEIPT_HOLD_S : 0;
}

typedef struct backfill_arg {
    const store_document *missing;
    size_t n;
} backfill_arg;

static int backfill_apply(store *s, void *arg, error *err)
{
    const backfill_arg *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        store_request r = {.id = b->missing[i].request_id,
                           .tenant_id = b->missing[i].tenant_id,
                           .created_at = b->missing[i].created_at};
        if (jobs_schedule_tx(s, r.tenant_id, r.id, DOCUMENT_RECEIPT_KIND, DOCUMENT_KIND_RECEIPT,
                             r.created_at, NULL, NULL, err) != 0)
            return -1;
    }
    return 0;
}

int document_receipts_backfill(core *c, int64_t now, size_t *scheduled, error *err)
{
    *scheduled = 0;
    if (!c->document_strings[LANG_FR])
        return 0;
    arena a;
    arena_init(&a, 0);
    store_document *missing = NULL;
    size_t n = 0;
    int rc = c->store->ops->documents.without_receipt(
        c->store, now - (int64_t)DOCUMENT_BACKFILL_DAYS * 86400, DOCUMENT_RECEIPT_KIND,
        DOCUMENT_BACKFILL_BATCH, &a, &missing, &n, err);
    backfill_arg b = {missing, n};
    if (rc == 0 && n)
        rc = store_write_sync(c->store, backfill_apply, &b, err);
    if (rc == 0)
        *scheduled = n;
    arena_free(&a);
    return rc;
}

int document_list(core *c, int64_t tenant_id, int64_t request_id, const char *kind, arena *a,
                  store_document **out, size_t *n, error *err)
{
    return c->store->ops->documents.list(c->store, tenant_id, request_id, kind, a, out, n, err);
}

int document_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_document *out, int *found,
                 error *err)
{
    return c->store->ops->documents.get(c->store, tenant_id, id, a, out, found, err);
}

int document_verify(core *c, int64_t tenant_id, const char *typed, arena *a, store_document **out,
                    size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    char code[SHORT_CODE_LEN + 1];
    if (!typed || strlen(typed) > SHORT_CODE_TYPED_MAX || short_code_normalise(typed, code) != 0)
        return 0;
    return c->store->ops->documents.by_code(c->store, tenant_id, code, a, out, n, err);
}

void document_code_new(char code[SHORT_CODE_LEN + 1], char shown[SHORT_CODE_DISPLAY_SIZE])
{
    short_code_new(code);
    short_code_format(code, shown);
}

int document_row_fill(arena *a, const char *code, const void *pdf, size_t len, store_document *doc)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, pdf, len);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    void *content = arena_alloc(a, len ? len : 1);
    doc->code = arena_strdup(a, code);
    doc->sha256 = arena_strdup(a, hex);
    if (!content || !doc->code || !doc->sha256)
        return -1;
    memcpy(content, pdf, len);
    doc->content = content;
    doc->size = (int64_t)len;
    return 0;
}

typedef struct insert_op {
    core_op op;
    store_document doc;
} insert_op;

static int insert_apply(store *s, core_op *op, error *err)
{
    insert_op *o = (insert_op *)op;
    int64_t id = 0;
    size_t n = 0;
    if (s->ops->documents.tx_insert(s, &o->doc, &id, err) != 0)
        return -1;
    /* The acknowledgement waiting for it leaves now, with it. */
    return outbox_attach_document_tx(s, o->doc.tenant_id, o->doc.request_id,
                                     DOCUMENT_RECEIPT_ACK_TEMPLATE, id, o->doc.sha256, &n, err);
}

/* 1 when request_id already has a receipt; -1 on a storage failure. */
static int has_receipt(core *c, int64_t tenant_id, int64_t request_id, error *err)
{
    arena a;
    arena_init(&a, 64 * 1024);
    store_document *docs;
    size_t n = 0;
    int rc = document_list(c, tenant_id, request_id, DOCUMENT_KIND_RECEIPT, &a, &docs, &n, err);
    arena_free(&a);
    return rc != 0 ? -1 : n > 0;
}

int document_issue_receipt(core *c, const cat_tenant *t, int64_t request_id, int64_t now,
                           int *issued, error *err)
{
    *issued = 0;
    int had = has_receipt(c, t->rec.id, request_id, err);
    if (had != 0)
        return had < 0 ? -1 : 0;
    arena a;
    arena_init(&a, 4 * 1024 * 1024);
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    insert_op *op = NULL;
    int rc = -1;
    store_request r;
    if (request_get_by_id(c, t, request_id, &a, &r, err) != 0)
        goto cleanup;
    const json_t *strings = c->document_strings[document_lang(&r)];
    if (!strings) {
        error_set(err, ERR_UNAVAILABLE, NULL, "no strings to write documents with");
        goto cleanup;
    }
    /* The verification link on the collectivité's first host name: its pages are served
     * over TLS behind the reverse proxy (docs/deployment.md). */
    size_t host_len = 0;
    const char *host = catalogue_tenant_link_host(t, &host_len);
    char code[SHORT_CODE_LEN + 1], shown[SHORT_CODE_DISPLAY_SIZE];
    document_code_new(code, shown);
    document_receipt_in in = {
        .strings = strings,
        .issued_at = now,
        .base_url = host ? arena_printf(&a, "https://%.*s", (int)host_len, host) : NULL,
        .code = shown,
    };
    if (document_receipt_pdf(c, t, &r, &in, &pdf, err) != 0)
        goto cleanup;
    if (!(op = core_op_new(sizeof *op, insert_apply))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    op->doc = (store_document){
        .tenant_id = t->rec.id,
        .request_id = request_id,
        .kind = DOCUMENT_KIND_RECEIPT,
        .version = 1,
        .created_at = now,
        .citizen_visible = 1,
    };
    if (document_row_fill(&op->op.a, code, pdf.data, pdf.len, &op->doc) != 0) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    rc = core_op_submit(c, op, NULL, NULL, err);
    op = NULL;
    if (rc == 0) {
        *issued = 1;
    } else if (err->code == ERR_CONFLICT && has_receipt(c, t->rec.id, request_id, err) == 1) {
        /* Another run issued it meanwhile (an at-least-once job run twice): it stands. */
        rc = 0;
    }
cleanup:
    core_op_free(op);
    buf_free(&pdf);
    arena_free(&a);
    return rc;
}

/* The job: at least once, outside any transaction (a PDF takes milliseconds the writer must
 * not wait for); its write is one job of its own, and a second run finds the receipt there. */
static int receipt_job(job_run *jr, error *err)
{
    if (!jr->tenant) {
        jr->cancelled_why = "collectivité gone";
        return 0;
    }
    int issued = 0;
    if (document_issue_receipt(jr->core, jr->tenant, jr->job->request_id, jr->now, &issued, err) !=
        0) {
        if (err->code != ERR_NOT_FOUND)
            return -1;
        jr->cancelled_why = "request gone";
        return 0;
    }
    /* Not a timeline event: every request gets one, and the request's documents are their
     * own list (document_list), not a line among the agents' actions. */
    jr->no_event = 1;
    return 0;
}

static const job_handler receipt_handler = {
    .kind = DOCUMENT_RECEIPT_KIND,
    .run = receipt_job,
    .max_attempts = 8,
    .retry_base_s = 30,
    .retry_max_s = 3600,
};

int document_register(core *c, error *err)
{
    return jobs_register(c, &receipt_handler, err);
}

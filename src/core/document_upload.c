/*
 * document_upload — a PDF an agent prepared elsewhere, issued as a document of the request:
 * the checks that need no storage first, on the caller's thread (size, antivirus, libqpdf's
 * check and clean rewrite), then one write job that numbers its version, stores it with its
 * digest and verification code, and writes its timeline event and audit entry.
 */
#include <sodium.h>
#include <string.h>

#include "core/attachment.h"
#include "core/audit.h"
#include "core/core_op.h"
#include "core/document.h"
#include "core/perm.h"
#include "core/short_code.h"
#include "docs/pdf.h"
#include "util/text.h"
#include "util/timeutil.h"

typedef struct upload_op {
    core_op op; /* first: the write job (core/core_op.h) */
    store_document doc;
    buf pdf; /* the clean rewrite, doc.content */
    core_actor who;
    store_agent agent; /* a copy; its strings stay the caller's (valid until the outcome) */
    document_upload_out *out;
} upload_op;

static int upload_apply(store *s, core_op *op, error *err)
{
    upload_op *o = (upload_op *)op;
    store_document *d = &o->doc;
    store_request r;
    int found = 0;
    if (s->ops->requests.get_by_id(s, d->tenant_id, d->request_id, &o->op.a, &r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "request", "request not found");
    if (!perm_can_change(&o->agent, &r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change the request");
    /* An anonymised request's documents were deleted with its personal data: none is added. */
    if (r.anonymised_at)
        return error_set(err, ERR_CONFLICT, "request", "the request is anonymised");
    if (s->ops->documents.tx_next_version(s, d->request_id, d->kind, d->title, &d->version, err) !=
        0)
        return -1;
    int64_t id = 0;
    if (s->ops->documents.tx_insert(s, d, &id, err) != 0)
        return -1;
    if (o->out) {
        o->out->id = id;
        o->out->version = d->version;
    }
    store_event e = {.tenant_id = d->tenant_id,
                     .request_id = d->request_id,
                     .created_at = d->created_at,
                     .kind = DOCUMENT_UPLOAD_EVENT,
                     .body = d->title,
                     .is_public = 0,
                     .actor = actor_event_label(&o->who, &o->op.a),
                     .channel = "web"};
    if (s->ops->events.tx_insert(s, &e, NULL, err) != 0)
        return -1;
    return audit_change_tx(s, d->tenant_id, &o->who, "document_upload", "request", &d->request_id,
                           1, err);
}

static void upload_finish(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    buf_free(&((upload_op *)op)->pdf);
}

int document_upload(core *c, const cat_tenant *t, const core_actor *who,
                    const document_upload_in *in, document_upload_out *out, core_done_fn cb,
                    void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !who->agent)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent uploads a document");
    const attachment_dir *d = core_uploads(c);
    size_t max = d->max_file_bytes ? d->max_file_bytes : ATTACHMENT_MAX_BYTES;
    if (in->len > max)
        return error_set(err, ERR_INVALID_ARG, "too_large", "over %zu bytes", max);
    upload_op *o = core_op_new(sizeof *o, upload_apply);
    if (!o)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    o->op.finish = upload_finish;
    /* The rewrite of a file is about its size; room is left for what object streams and
     * decompressed cross-references may add to a small one. */
    buf_init(&o->pdf, max + max / 4 + 64 * 1024);
    const char *title = NULL;
    text_verdict v = text_field(&o->op.a, in->title, DOCUMENT_TITLE_MAX, &title);
    if (v != TEXT_OK) {
        error_set(err, v == TEXT_NO_MEMORY ? ERR_INTERNAL : ERR_INVALID_ARG, "title",
                  v == TEXT_EMPTY ? "a title is required" : "not a valid title");
        goto refused;
    }
    if (in->len == 0) {
        error_set(err, ERR_INVALID_ARG, "not_pdf", "no file");
        goto refused;
    }
    /* The antivirus sees the bytes as sent, before any parser does. */
    if (attachment_scan(in->data, in->len, "file", err) != 0)
        goto refused;
    if (pdf_normalise(in->data, in->len, PDF_UPLOAD_PAGES_MAX, &o->pdf, NULL, err) != 0)
        goto refused;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)o->pdf.data, o->pdf.len);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char code[SHORT_CODE_LEN + 1];
    short_code_new(code);
    o->agent = *who->agent;
    o->who = *who;
    o->who.agent = &o->agent;
    o->who.name = who->name ? arena_strdup(&o->op.a, who->name) : NULL;
    o->who.source = who->source ? arena_strdup(&o->op.a, who->source) : NULL;
    o->out = out;
    o->doc = (store_document){
        .tenant_id = t->rec.id,
        .request_id = in->request_id,
        .kind = DOCUMENT_KIND_UPLOAD,
        .code = arena_strdup(&o->op.a, code),
        .sha256 = arena_strdup(&o->op.a, hex),
        .size = (int64_t)o->pdf.len,
        .content = o->pdf.data,
        .created_at = time_now(),
        .title = title,
        .agent_id = who->agent->id,
        .citizen_visible = in->citizen_visible ? 1 : 0,
    };
    return core_op_submit(c, o, cb, ctx, err);
refused:
    buf_free(&o->pdf);
    core_op_free(o);
    return -1;
}

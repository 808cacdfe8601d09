/*
 * portal/verify — /verifier/{code}: anyone holding a document the mairie issued (the citizen,
 * or whoever the citizen handed it to) confirms that it was issued and has not been changed:
 * the request's reference, the kind of document and, for every version, its date and the
 * SHA-256 of its PDF. No personal data: not the citizen's name, nor the request's text, nor
 * the document itself. /verifier alone (or with ?code=) is the form to type a code.
 *
 * POST /verifier checks a signed PDF someone uploads (core/signed_pdf.h): for each signature,
 * who signed, when, in which capacity, its level, whether it chains to the collectivité's
 * trust anchors and whether the file changed since; and whether the file is one the mairie
 * issued (then a link to its /verifier/{code}). The file is read, checked and dropped: nothing
 * of it is kept.
 */
#include <string.h>
#include <time.h>

#include "core/document.h"
#include "core/signed_pdf.h"
#include "present/present.h"
#include "web/portal/portal.h"
#include "web/web.h"

/* Look-ups per client address: a burst of 20, then one every 3 seconds, so that nobody walks
 * the 2·10^11 codes (core/short_code.h) in a lifetime. */
#define RATE_VERIFY (1.0 / 3), 20
#define VERIFY_TYPED_MAX 64 /* bytes of a typed code kept to show again */
/* Uploaded signed files checked per client address: a burst of 10, then one a minute (each
 * check reads the whole file twice with libqpdf and verifies every signature). */
#define RATE_VERIFY_PDF (1.0 / 60), 10

/* The page's context, its title set, with this browser's CSRF token for the upload form (so
 * the page is no longer one every visitor shares); NULL after answering 500. */
static json_t *page_context(http_req *rq)
{
    json_t *ctx = web_context(rq);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return NULL;
    }
    present_set_str(ctx, "title", present_string(rq->present, rq->lang, "documents.verify.title"));
    present_set_str(
        ctx, "upload_hint",
        web_upload_hint(rq, present_string(rq->present, rq->lang, "documents.verify.pdf_hint")));
    return ctx;
}

static void verify_page(http_req *rq, const char *typed)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    int status = 200;
    json_t *ctx = page_context(rq);
    if (!ctx)
        return;
    if (typed && *typed) {
        if (web_limit(rq, "verify", NULL, RATE_VERIFY) != 0) {
            json_decref(ctx);
            return;
        }
        if (strlen(typed) <= VERIFY_TYPED_MAX)
            present_set_str(ctx, "code_value", typed);
        store_document *docs = NULL;
        size_t n = 0;
        error err;
        error_clear(&err);
        if (document_verify(rq->core, t->rec.id, typed, rq->arena, &docs, &n, &err) != 0) {
            json_decref(ctx);
            web_write_error(rq, &err);
            return;
        }
        if (n == 0) {
            status = 404;
            present_set_str(ctx, "code_error",
                            present_string(rq->present, rq->lang, "documents.verify.not_found"));
        } else {
            json_t *list = json_array();
            for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                char key[64];
                snprintf(key, sizeof key, "documents.verify.kinds.%s", docs[i].kind);
                present_set_str(o, "reference", docs[i].reference);
                present_set_str(o, "kind", present_string(rq->present, rq->lang, key));
                json_object_set_new(o, "version", json_integer(docs[i].version));
                present_set_str(
                    o, "issued",
                    present_date(rq->arena, rq->lang, docs[i].created_at, t->rec.timezone, 1));
                present_set_str(o, "sha256", docs[i].sha256);
                json_array_append_new(list, o);
            }
            json_object_set_new(ctx, "found", json_true());
            json_object_set_new(ctx, "list", list);
        }
    }
    web_render(rq, status, "verify/show", ctx);
}

static void verify_form(http_req *rq)
{
    verify_page(rq, form_get(&rq->query, "code"));
}

static void verify_code(http_req *rq)
{
    verify_page(rq, rq->params[0]);
}

static const char *str(http_req *rq, const char *key)
{
    return present_string(rq->present, rq->lang, key);
}

/* What the page says of whether the file changed after signature i of r: from the last
 * signature on, what follows may be validation data (DSS updates, document timestamps). */
static const char *changed_text(http_req *rq, const signed_pdf_report *r, size_t i)
{
    if (r->checks[i].covers_whole)
        return str(rq, "documents.verify.unchanged");
    if (r->after.validation_after && (i >= r->after.last_sig || r->after.last_sig == r->n))
        return str(rq, "documents.verify.unchanged_dss");
    if (i + 1 == r->n || i == r->after.last_sig)
        return str(rq, "documents.verify.changed");
    return str(rq, "documents.verify.changed_later");
}

/* One signature as the page shows it. */
static json_t *signature_json(http_req *rq, const cat_tenant *t, const signed_pdf_report *r,
                              size_t i)
{
    const pades_sig *s = &r->sigs[i];
    const pades_check *c = &r->checks[i];
    json_t *o = json_object();
    json_object_set_new(o, "number", json_integer((json_int_t)i + 1));
    present_set_str(o, "signer", c->signer[0] ? c->signer : str(rq, "documents.verify.unknown"));
    present_set_str(o, "name", s->name);
    present_set_str(o, "reason", s->reason);
    /* The time: the timestamp's when there is one (a third party's clock), else /M. */
    struct tm tm = {0};
    const char *when = c->stamped[0] ? c->stamped : s->when + (strncmp(s->when, "D:", 2) == 0) * 2;
    const char *end = c->stamped[0] ? strptime(when, "%Y-%m-%d %H:%M:%S", &tm)
                                    : strptime(when, "%Y%m%d%H%M%S", &tm);
    present_set_str(
        o, "when",
        end ? present_date(rq->arena, rq->lang, (int64_t)timegm(&tm), t->rec.timezone, 1)
            : str(rq, "documents.verify.unknown"));
    json_object_set_new(o, "stamped", json_boolean(c->stamped[0] != 0));
    present_set_str(o, "level", c->level[0] ? c->level : "—");
    json_object_set_new(o, "intact", json_boolean(c->intact));
    json_object_set_new(o, "chains", json_boolean(c->valid));
    present_set_str(o, "changed", changed_text(rq, r, i));
    json_object_set_new(o, "doc_timestamp", json_boolean(c->doc_timestamp));
    present_set_str(o, "not_lt", c->not_lt);
    present_set_str(o, "why", c->why);
    return o;
}

/* POST /verifier: the uploaded file checked, or the form again with the error beside it. */
static void verify_pdf_post(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_and_files(rq, &f, &files, &n_files) != 0)
        return;
    if (web_limit(rq, "verify-pdf", NULL, RATE_VERIFY_PDF) != 0)
        return;
    json_t *ctx = page_context(rq);
    if (!ctx)
        return;
    const http_file *file = NULL;
    for (size_t i = 0; i < n_files && !file; i++)
        if (strcmp(files[i].field, "fichier") == 0)
            file = &files[i];
    signed_pdf_report r;
    error err;
    error_clear(&err);
    const char *field_error = NULL;
    int too_large = file && (file->refused != HTTP_FILE_KEPT || file->len > PDF_UPDATE_FILE_MAX);
    if (!file)
        field_error = "documents.verify.pdf_missing";
    else if (too_large)
        field_error = "documents.verify.pdf_too_large";
    else if (signed_pdf_check(rq->core, t->rec.id, file->data, file->len, rq->arena, &r, &err) !=
             0) {
        if (err.code != ERR_INVALID_ARG) {
            json_decref(ctx);
            web_write_error(rq, &err);
            return;
        }
        field_error = "documents.verify.pdf_not_pdf";
    } else if (r.n == 0) {
        field_error = "documents.verify.pdf_unsigned";
    }
    if (field_error) {
        present_set_str(ctx, "pdf_error",
                        too_large ? web_upload_hint(rq, str(rq, field_error))
                                  : str(rq, field_error));
        web_render(rq, 400, "verify/show", ctx);
        return;
    }
    json_t *list = json_array();
    int all = 1;
    for (size_t i = 0; i < r.n; i++) {
        json_array_append_new(list, signature_json(rq, t, &r, i));
        all = all && r.checks[i].valid;
    }
    json_t *checked = json_object();
    json_object_set_new(checked, "signatures", list);
    json_object_set_new(checked, "all_valid", json_boolean(all && r.after.total));
    json_object_set_new(checked, "no_anchors", json_boolean(!r.has_anchors));
    present_set_str(checked, "sha256", r.sha256);
    if (r.code) {
        present_set_str(checked, "code", r.code);
        present_set_str(checked, "code_href", arena_printf(rq->arena, "/verifier/%s", r.code));
    }
    json_object_set_new(ctx, "checked", checked);
    web_render(rq, 200, "verify/show", ctx);
}

const http_route portal_verify_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/verifier", verify_form},
    {HTTP_POST | HTTP_ROUTE_FILES, "/verifier", verify_pdf_post},
    {HTTP_GET | HTTP_HEAD, "/verifier/{}", verify_code},
    {0, NULL, NULL},
};

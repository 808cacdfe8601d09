/*
 * portal/verify — /verifier/{code}: anyone holding a document the mairie issued (the citizen,
 * or whoever the citizen handed it to) confirms that it was issued and has not been changed:
 * the request's reference, the kind of document and, for every version, its date and the
 * SHA-256 of its PDF. No personal data: not the citizen's name, nor the request's text, nor
 * the document itself. /verifier alone (or with ?code=) is the form to type a code.
 */
#include <string.h>

#include "core/document.h"
#include "present/present.h"
#include "web/portal/portal.h"
#include "web/web.h"

/* Look-ups per client address: a burst of 20, then one every 3 seconds, so that nobody walks
 * the 2·10^11 codes (core/short_code.h) in a lifetime. */
#define RATE_VERIFY (1.0 / 3), 20
#define VERIFY_TYPED_MAX 64 /* bytes of a typed code kept to show again */

static void verify_page(http_req *rq, const char *typed)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    int status = 200;
    int cacheable;
    json_t *ctx = web_context_public(rq, &cacheable);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    present_set_str(ctx, "title", present_string(rq->present, rq->lang, "documents.verify.title"));
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

const http_route portal_verify_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/verifier", verify_form},
    {HTTP_GET | HTTP_HEAD, "/verifier/{}", verify_code},
    {0, NULL, NULL},
};

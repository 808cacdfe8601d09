/*
 * document — the documents guichet issues about a request, composed by core from the request,
 * its procedure and workflow and the collectivité's branding, and drawn by the docs layer
 * (docs/letter.h). First the accusé de réception the Code des relations entre le public et
 * l'administration asks for (art. L112-3 and R112-5): date of receipt, department in charge
 * and how to reach it, expected delay, what silence means when the procedure's workflow has a
 * silence-vaut-accord or -rejet timeout (core/workflow_timeout.h), how to appeal; in the
 * request's language.
 */
#ifndef GUICHET_CORE_DOCUMENT_H
#define GUICHET_CORE_DOCUMENT_H

#include <jansson.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/buf.h"
#include "util/error.h"

/* What a receipt says besides the request. */
typedef struct document_receipt_in {
    /* The i18n tree of the request's language (document_lang): its "documents" area is read;
     * a missing string shows its key. */
    const json_t *strings;
    int64_t issued_at; /* the date the receipt bears */
    /* The collectivité's base URL ("https://demo.example") and the document's verification
     * code: together they make the receipt's «vérifiable sur …» line; either NULL: none. */
    const char *base_url;
    const char *code;
} document_receipt_in;

/* The language a request's documents are written in: its own (requests.lang). */
lang document_lang(const store_request *r);

/* Appends to out (max at least LETTER_PDF_MAX) the receipt of request r of tenant t as a
 * tagged PDF on t's letterhead (its logo read from the store when it has one). 0, or -1
 * with err: ERR_NOT_FOUND (arg "procedure") when r's procedure is not in t's catalogue any
 * more, else as letter_render. Runs on the caller's thread (CPU: a few milliseconds). */
int document_receipt_pdf(core *c, const cat_tenant *t, const store_request *r,
                         const document_receipt_in *in, buf *out, error *err);

#endif

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

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/short_code.h"
#include "store/records.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

/* util/buf.h's and docs/letter.h's, left incomplete here so that includers need not see
 * them. */
struct buf;
struct letter_block;
struct letter_head;
struct letter_verify;

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
                         const document_receipt_in *in, struct buf *out, error *err);

typedef struct document_logo_held document_logo_held;

/* The letterhead of t's documents into *head (docs/page.h), department d (NULL: none) at
 * its right: the collectivité's name, address, contact line (in a) and logo, made ready once
 * per collectivité (core/document_logo.c) and held in *held until document_letterhead_done.
 * 0, or -1 with err when the logo cannot be read or does not decode (*held NULL). The
 * letters' and the monthly report's (core/monthly_report.h) one letterhead. */
int document_letterhead(core *c, const cat_tenant *t, const cat_department *d, arena *a,
                        struct letter_head *head, document_logo_held **held, error *err);

/* Gives back the logo document_letterhead held, once the document is drawn (NULL: nothing). */
void document_letterhead_done(core *c, document_logo_held *held);

/* Appends to out (max at least LETTER_PDF_MAX) the PDF of blocks[0..n) on t's letterhead,
 * department d (NULL: none) at its right, titled `title`, in the language of `strings` (an
 * i18n tree: its "documents.lang" and "documents.page"): the one letterhead of the receipt
 * and of the letters and decisions (core/letter_tpl.h). 0, or -1 as letter_render. */
int document_render(core *c, const cat_tenant *t, const cat_department *d, const json_t *strings,
                    const char *title, const struct letter_verify *verify,
                    const struct letter_block *blocks, size_t n, struct buf *out, error *err);

/* ---- issued documents (table documents) ---- */

/* The job kind that issues a request's receipt right after its creation's commit. */
#define DOCUMENT_RECEIPT_KIND "document_receipt"
#define DOCUMENT_KIND_RECEIPT "receipt"

/* The strings documents issued by jobs are written with: each language's whole i18n tree
 * (present_strings), referenced, not copied. Set before the scheduler starts (the server does;
 * without them a receipt job fails and is tried again later), then only read. */
void document_set_strings(core *c, json_t *fr, json_t *en);

/* Inside request r's creation job: schedules its receipt, issued by a job at once (so that a
 * durable create never waits for a PDF). Nothing when c has no strings (document_set_strings):
 * a core that cannot write documents (command-line tools, unit tests) issues none. */
int document_receipt_schedule_tx(core *c, store *s, const store_request *r, error *err);

/* The acknowledgement e-mail of a new request (core/outbox.h's request_ack) carries its
 * receipt: queued in the creation's job, it waits for the receipt job, whose write attaches
 * the receipt to it and makes it due at once (outbox_attach_document_tx) — milliseconds after
 * the commit as a rule. It waits DOCUMENT_RECEIPT_HOLD_S at most: a receipt job that fails
 * and is tried again later does not hold back the citizen's tracking link, which then goes
 * without the receipt (it stays on the tracking page). */
#define DOCUMENT_RECEIPT_HOLD_S 60
#define DOCUMENT_RECEIPT_ACK_TEMPLATE "request_ack"

/* Until when a request created at created_at holds its acknowledgement for its receipt;
 * 0 when c issues no receipt (document_receipt_schedule_tx schedules none). */
int64_t document_receipt_hold(core *c, int64_t created_at);

/* Issues request_id's receipt (version 1) unless it has one: renders it, then writes it with
 * its SHA-256 and a new verification code in one write job, waiting. *issued 1 when this call
 * wrote it, 0 when it was there already. -1 with err: ERR_NOT_FOUND (no such request),
 * ERR_UNAVAILABLE (no strings set, storage busy), as document_receipt_pdf. Its write attaches
 * it to the request's acknowledgement e-mail still queued (DOCUMENT_RECEIPT_HOLD_S). */
int document_issue_receipt(core *c, const cat_tenant *t, int64_t request_id, int64_t now,
                           int *issued, error *err);

/* A new verification code for a document about to be drawn: its stored form into code, the
 * form the document prints into shown. */
void document_code_new(char code[SHORT_CODE_LEN + 1], char shown[SHORT_CODE_DISPLAY_SIZE]);

/* Fills the row of a document about to be written from its PDF pdf[0..len): its code (the
 * stored form), SHA-256 (hex), size and content, all copied into a (the write job's arena,
 * which outlives the caller's buffer). -1 when a is exhausted. The receipt, the letters and
 * the generated documents make their rows with it. */
int document_row_fill(arena *a, const char *code, const void *pdf, size_t len, store_document *doc);

/* Requests created outside the server (`guichet demo`, imports by the command line) have no
 * receipt job: the server's scheduler gives them one, DOCUMENT_BACKFILL_BATCH at a time —
 * each batch rendered before the next is scheduled — and only to requests of the last
 * DOCUMENT_BACKFILL_DAYS days, so that a demo of a million requests does not render a million
 * PDFs: a receipt serves the delays the law counts from it (two months at most before a
 * silence decides, two more to appeal: 120 days), which older requests have passed. */
#define DOCUMENT_BACKFILL_DAYS 120
#define DOCUMENT_BACKFILL_BATCH 100

/* Schedules, in one write job, the receipt jobs of at most DOCUMENT_BACKFILL_BATCH requests
 * created since now - DOCUMENT_BACKFILL_DAYS days that have neither a receipt nor a receipt
 * job; *scheduled how many (fewer than the batch: none left). Nothing when c has no strings
 * (document_set_strings). */
int document_receipts_backfill(core *c, int64_t now, size_t *scheduled, error *err);

/* The versions of request_id's documents of kind (without their bytes; strings in a). */
int document_list(core *c, int64_t tenant_id, int64_t request_id, const char *kind, arena *a,
                  store_document **out, size_t *n, error *err);

/* Document id of tenant_id with its bytes (in a): *found 0 when there is none. Whoever
 * serves it decides access first, as for the request itself. */
int document_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_document *out, int *found,
                 error *err);

/* What /verifier/{code} shows: every version of the document whose code `typed` is (typed
 * as people type a short code: any case, blanks and dashes), without bytes nor personal
 * data; *n 0 when the code is malformed or unknown in tenant_id. */
int document_verify(core *c, int64_t tenant_id, const char *typed, arena *a, store_document **out,
                    size_t *n, error *err);

/* ---- documents agents upload (core/document_upload.c) ---- */

#define DOCUMENT_KIND_UPLOAD "upload"
#define DOCUMENT_TITLE_MAX 120 /* characters of an uploaded document's title */
/* The internal timeline event an upload writes; its body is the title. */
#define DOCUMENT_UPLOAD_EVENT "document"

/* A PDF an agent prepared elsewhere, for request_id. */
typedef struct document_upload_in {
    int64_t request_id;
    const char *title; /* as typed: trimmed, 1 to DOCUMENT_TITLE_MAX characters of text */
    int citizen_visible;
    const void *data; /* the file as sent */
    size_t len;
} document_upload_in;

/* What an upload wrote, filled before cb runs. */
typedef struct document_upload_out {
    int64_t id;
    int version;
} document_upload_out;

/* Checks the file and issues it as a document of kind upload: at most the uploads' size
 * (core_uploads(c)->max_file_bytes), scanned by the antivirus when one is configured, then
 * checked and rewritten clean by pdf_normalise (docs/pdf.h; PDF_UPLOAD_PAGES_MAX pages) on
 * the caller's thread; then one write job, after which cb(ctx, …) is told (without cb, waits):
 * who (an agent who may change the request) is checked again, the version is the next of the
 * request's uploads of the same title (a document uploaded again under its title is a new
 * version of it), with its SHA-256 and a new verification code, an internal timeline event
 * and an audit entry ("document_upload", the request). -1 at once with err: ERR_INVALID_ARG
 * and arg "title" (empty, bad characters, too long), "too_large", pdf_normalise's args
 * ("not_pdf", "damaged", "encrypted", "active", "embedded", "pages"), or the antivirus's
 * refusals (attachment_is_infected, attachment_is_unscanned on arg "file"); after the job:
 * ERR_NOT_FOUND, ERR_FORBIDDEN, ERR_CONFLICT (the request is anonymised). */
int document_upload(core *c, const cat_tenant *t, const core_actor *who,
                    const document_upload_in *in, document_upload_out *out, core_done_fn cb,
                    void *ctx, error *err);

/* Registers the receipt job's kind on c (core_open does). */
int document_register(core *c, error *err);

/* ---- documents a workflow generates (core/document_generate.c) ---- */

/* The job kind of the workflow action generate_document (core/status_actions.c schedules it
 * in the status entry's write job). Its payload: "template" (the letter template's name),
 * "citizen_visible", "decided_at" (the instant the decision was made: the silence's deadline
 * after a timeout's jump, else the entry) and "tracking_url" when the entrance knew it. */
#define DOCUMENT_GENERATE_KIND "document_generate"

/* Registers the generate_document job's kind on c (core_open does). */
int document_generate_register(core *c, error *err);

#endif

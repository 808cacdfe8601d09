/*
 * letter_tpl — the letters and decisions agents issue from a request: the collectivité's
 * templates (an answer letter; an arrêté or décision with its visas, considérants, articles
 * and signatory), their {placeholders} checked and filled from the request, the text laid out
 * in blocks (shown as HTML by the preview, drawn as PDF on the letterhead by
 * core/document.h), and the issue: the PDF stored as a new document of the request with its
 * timeline event, its audit entry and the citizen's notice in one write job.
 */
#ifndef GUICHET_CORE_LETTER_TPL_H
#define GUICHET_CORE_LETTER_TPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "docs/letter.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

struct buf;

/* Bounds of a template's fields and of a letter's text (bytes). */
/* The timeline event of a letter or decision issued (its body: the title). */
#define LETTER_TPL_EVENT "letter_issued"
#define LETTER_TPL_NAME_MAX 100
#define LETTER_TPL_SUBJECT_MAX 300
#define LETTER_TPL_BODY_MAX 20000
#define LETTER_TPL_LINES_MAX 8000 /* visas, considérants */
#define LETTER_TPL_SIGN_MAX 200   /* decides, signatory, quality */
/* Blocks of one letter: its paragraphs, visas, considérants and articles together. */
#define LETTER_TPL_BLOCKS_MAX 120

/* The placeholders a template may hold, by index: {reference}, {date_depot} (the request's
 * date of receipt), {demarche} (its procedure), {adresse} (its location, or the citizen's
 * postal address), {nom}, {prenom}, {service} (the department in charge), {date} (the day of
 * issue), {agent} (who issues it), {collectivite}, {date_decision} (the day the decision was
 * made: the deadline a silence became a decision at, for an attestation; else the day of
 * issue). */
enum {
    LETTER_TPL_REFERENCE,
    LETTER_TPL_DATE_DEPOT,
    LETTER_TPL_DEMARCHE,
    LETTER_TPL_ADRESSE,
    LETTER_TPL_NOM,
    LETTER_TPL_PRENOM,
    LETTER_TPL_SERVICE,
    LETTER_TPL_DATE,
    LETTER_TPL_AGENT,
    LETTER_TPL_COLLECTIVITE,
    LETTER_TPL_DATE_DECISION,
    LETTER_TPL_N_PLACEHOLDERS
};
/* Their names, by index (static storage). */
extern const char *const letter_tpl_placeholders[LETTER_TPL_N_PLACEHOLDERS];

/* What each placeholder stands for (NULL: ""). */
typedef struct letter_tpl_values {
    const char *v[LETTER_TPL_N_PLACEHOLDERS];
} letter_tpl_values;

/* Checks a template or a letter's text: name (1 to LETTER_TPL_NAME_MAX bytes, unless
 * need_name is 0), kind ("letter" or "decision"), lang ("fr", "en"), the subject (1 to
 * LETTER_TPL_SUBJECT_MAX), body (1 to LETTER_TPL_BODY_MAX), visas and considérants (up to
 * LETTER_TPL_LINES_MAX), decides, signatory and quality (up to LETTER_TPL_SIGN_MAX), every one
 * valid UTF-8 without control characters but line breaks and tabs (and without line breaks
 * in the name, subject, decides and signatory: one line each), and every {placeholder}
 * known. 0, or -1 with ERR_INVALID_ARG whose arg is the field ("subject", "body", ...) and
 * whose detail, for an unknown placeholder, starts with "placeholder " and its name. */
int letter_tpl_check(const store_letter_template *t, int need_name, error *err);

/* The values of the placeholders for request r of t (its procedure and department from t's
 * catalogue), issued on `now` by agent_name (may be NULL), in language l; strings in a. */
void letter_tpl_values_of(arena *a, const cat_tenant *t, const store_request *r,
                          const char *agent_name, int64_t now, lang l, letter_tpl_values *out);

/* A request made up for the admin's preview of a template: reference, names, address,
 * dates, t's first procedure and its department. */
void letter_tpl_sample_request(const cat_tenant *t, int64_t now, store_request *out);

/* *out = *in with every text field's placeholders filled from v (strings in a). 0, or -1
 * when a is exhausted. */
int letter_tpl_fill(arena *a, const store_letter_template *in, const letter_tpl_values *v,
                    store_letter_template *out);

/* The blocks of a letter whose text (filled) is `text` for the request of reference `ref`,
 * in the language of `strings` (an i18n tree: its "letters.doc" strings), into
 * blocks[0..LETTER_TPL_BLOCKS_MAX) (texts in a): a letter's date, recipient, object,
 * reference, paragraphs and signatory; a decision's title, reference, visas, considérants,
 * dispositive word, numbered articles («Article 1 : …») and signatory; then, when code is
 * set, where it can be verified (base_url + "/verifier/" + code). Returns the count. */
size_t letter_tpl_blocks(arena *a, const json_t *strings, const store_letter_template *text,
                         const char *ref, const char *recipient, const char *base_url,
                         const char *code, letter_block *blocks);

/* A letter's recipient block for request r: the citizen's name, then the request's address
 * (in a); NULL when it has neither. */
const char *letter_tpl_recipient(arena *a, const store_request *r);

/* ---- the templates (table letter_templates) ---- */

/* The templates of tenant_id, by name (strings in a). */
int letter_tpl_list(core *c, int64_t tenant_id, arena *a, store_letter_template **out, size_t *n,
                    error *err);
/* Template id of tenant_id (strings in a); *found 0 when there is none. */
int letter_tpl_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_letter_template *out,
                   int *found, error *err);
/* Creates (t->id 0) or edits a template of t->tenant_id as its next version, the previous ones
 * kept, with its "admin" audit entry, as one job: an admin, the command line or the system
 * only (ERR_FORBIDDEN). letter_tpl_check first (ERR_INVALID_ARG), and t->procedure_id 0 or a
 * procedure of the tenant (ERR_INVALID_ARG, arg "procedure_id"). ERR_CONFLICT (arg "name")
 * when another template has the name; ERR_NOT_FOUND for an unknown t->id. Asynchronous as
 * change_run (cb NULL: waits). */
int letter_tpl_upsert_as(core *c, const core_actor *who, const store_letter_template *t,
                         int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* Deletes template id of tenant_id, its versions kept (documents issued from it are theirs
 * anyway), with its "admin" audit entry, as one job: an admin, the command line or the system
 * only (ERR_FORBIDDEN); ERR_NOT_FOUND when it is not one of tenant_id's. Asynchronous as
 * change_run. */
int letter_tpl_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                         core_done_fn cb, void *ctx, error *err);

/* ---- a letter for a request ---- */

/* Renders `text` (its placeholders filled from r, who's name and now) for request r of t as
 * the PDF a letter would be, on t's letterhead with r's department, appended to out (max
 * at least LETTER_PDF_MAX); code (displayed form, may be NULL) its verification code. The
 * preview and the issue draw with this one function. -1 with err as letter_tpl_check (the
 * text) or letter_render. */
int letter_tpl_pdf(core *c, const cat_tenant *t, const store_request *r,
                   const store_letter_template *text, const char *agent_name, int64_t now,
                   const char *code, struct buf *out, error *err);

/* letter_tpl_pdf with the values v given (letter_tpl_values_of's, some of them changed: a
 * decision's date); *title (may be NULL) the filled subject, in a. */
int letter_tpl_render(core *c, const cat_tenant *t, const store_request *r,
                      const store_letter_template *text, const letter_tpl_values *v,
                      const char *code, arena *a, const char **title, struct buf *out, error *err);

/* The template of tenant_id named `name` (strings in a); *found 0 when there is none. */
int letter_tpl_find(core *c, int64_t tenant_id, const char *name, arena *a,
                    store_letter_template *out, int *found, error *err);

/* Inside a write job, for request r as the writer read it: inserts doc (its version the
 * next of r's documents of its kind and title; request_id, created_at set here from r and
 * now), the timeline event LETTER_TPL_EVENT (public when the citizen sees the document), the
 * audit entry "issue" of the document by who, the citizen's notice when visible
 * (letter_tpl_notify_tx) and r's updated_at. *doc_id (may be NULL) its id. The agent's issue
 * and the workflow's generated documents write with this one function. */
int letter_tpl_store_tx(store *s, store_request *r, store_document *doc, const core_actor *who,
                        const char *actor_label, const char *procedure, const char *tracking_url,
                        int64_t now, int64_t *doc_id, error *err);

/* What an issue gives back once durable. */
typedef struct letter_tpl_issued {
    int64_t document_id;
    int version;
} letter_tpl_issued;

/* Issues `text` (checked, then filled as letter_tpl_pdf fills it) as a new document of
 * request `reference` of t, kind text->kind, titled with its filled subject, shown to the
 * citizen: rendered on the caller's thread, then one write job that checks the agent may
 * change the request (ERR_FORBIDDEN; perm_can_change on the row as the writer sees it),
 * inserts the document (the request's next version of that kind) with a new verification
 * code, the public timeline event "document" (body: the title), the audit entry "issue"
 * of the document and the notice to the citizen (core/outbox.h's "document_issued", by
 * their channel, with tracking_url) — all or nothing. *out (may be NULL, valid until cb) is
 * set before the outcome. Asynchronous as core_op_submit (cb NULL: waits). */
int letter_tpl_issue(core *c, const cat_tenant *t, const core_actor *who, const char *reference,
                     const store_letter_template *text, const char *tracking_url,
                     letter_tpl_issued *out, core_done_fn cb, void *ctx, error *err);

/* Inside a write job that inserted citizen-visible document doc (its title, SHA-256) of
 * request r as row doc_id: queues the "document_issued" notice to r's citizen by the channel
 * they chose (none when they have none), with tracking_url (the tracking page, where they open
 * the document); by e-mail the notice carries the document (outbox_add_document_tx). */
int letter_tpl_notify_tx(store *s, const store_request *r, const char *procedure,
                         const store_document *doc, int64_t doc_id, const char *tracking_url,
                         error *err);

#endif

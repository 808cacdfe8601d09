/*
 * courrier — the post room: scanned letters (PDF, PNG, JPEG, TIFF) received in bulk from the
 * back office or from `guichet courrier import` are checked and stored like attachments and
 * wait as letters «à traiter»; a job reads each file outside the request path (scan/: OCR,
 * cut at separator pages, proposals) and an agent then files each letter as a request of
 * channel post (request_create with request_input.post_letter_id), links it to a request it
 * cites, or discards it with a reason. A file that cannot be read is kept, rejected with its
 * reason. Every agent who may do intake (perm_can_intake) processes the collectivité's
 * post: it has no department until it is filed.
 */
#ifndef GUICHET_CORE_COURRIER_H
#define GUICHET_CORE_COURRIER_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/attachment.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define COURRIER_OCR_KIND "courrier_ocr"
#define COURRIER_LIST_MAX 200   /* letters the list shows */
#define COURRIER_REASON_MAX 500 /* characters of a discard's reason */
#define COURRIER_PAGES_MAX 50   /* pages of one file (scan.h's bound) */
#define COURRIER_LETTERS_MAX 50 /* letters one file is cut into */
#define COURRIER_SOURCE_UPLOAD "upload"
#define COURRIER_SOURCE_IMPORT "import"

/* Registers the OCR job's kind (core_open does). */
int courrier_register(core *c, error *err);

/* Checks one scan as received (size, antivirus, type from the content: PDF or image; a TIFF
 * becomes a PDF of its pages) and stores it under a random name: *out ready for
 * courrier_queue (strings in a). -1 as attachment_prepare (the same refusals, the same
 * attachment_is_* tests), naming the field up->field; a TIFF that does not decode is
 * damaged. On the caller's thread. */
int courrier_prepare(core *c, const attachment_upload *up, arena *a, store_attachment *out,
                     error *err);

/* One write job: a letter «en attente de lecture» for each of the n prepared files, received
 * by who (its audit label), with the OCR job of each; ids (may be NULL) gets their ids. With
 * cb, returns at once and cb follows the commit; without, waits. The caller discards the
 * files (attachment_discard) when it fails. */
int courrier_queue(core *c, const cat_tenant *t, const core_actor *who,
                   const store_attachment *files, size_t n, int64_t *ids, core_done_fn cb,
                   void *ctx, error *err);

/* The letters still to process (read, being read, or rejected), oldest first (in a). */
int courrier_list_open(core *c, const cat_tenant *t, arena *a, store_post_letter **out, size_t *n,
                       error *err);
/* Letter id (its text and proposals; strings in a), its read recorded for who (personal
 * data): *found 0 when there is none. */
int courrier_get(core *c, const cat_tenant *t, const core_actor *who, int64_t id, arena *a,
                 store_post_letter *out, int *found, error *err);

/* The bytes of letter l's file (malloc'd, caller frees): 0, or -1 with ERR_UNAVAILABLE. */
int courrier_file(core *c, const store_post_letter *l, char **bytes, size_t *len, error *err);
/* The width of a PDF letter's preview, page 1 as a PNG: rendered once by the OCR job (never
 * on a page's thread: poppler on a scan takes a second and tens of MB), within its bounds
 * (the width, a height at most four times it), and stored beside the scan (l->preview). */
#define COURRIER_PREVIEW_WIDTH 800
/* The stored preview of letter l (malloc'd, caller frees): 0, or -1 with ERR_NOT_FOUND when
 * it has none (an image letter, shown as it is; not read yet; or it did not render) or
 * ERR_UNAVAILABLE when its file cannot be read. */
int courrier_preview(core *c, const store_post_letter *l, char **bytes, size_t *len, error *err);

/* Letter l's file as an attachment for a request (filed or linked: not a photo, never
 * public), *out ready for request_create or courrier_link (strings in a). A letter that is
 * some pages of a PDF holding others (cut at separator pages) gets those pages alone, cut
 * with qpdf and rewritten as an agent's upload is (docs/pdf.h), stored as a new file named
 * «courrier-<day received in t's zone>-p<first>-<last>.pdf»: the other letters of the batch
 * are other people's mail and never reach this request. An image or a whole-file letter is
 * its scan, linked under a new name. The caller discards *out when the write fails. -1 with
 * ERR_UNAVAILABLE (the scan unreadable, the disk), ERR_INVALID_ARG (arg "letter": qpdf
 * cannot cut it), ERR_TOO_LARGE (the cut over the uploads' limit). On the caller's thread:
 * the cut copies pages without decoding their images (milliseconds). */
int courrier_attachment(core *c, const cat_tenant *t, const store_post_letter *l, arena *a,
                        store_attachment *out, error *err);
/* 1 when err is courrier_attachment failing because the letter's pages could not be cut out
 * of its scan or are over the limit (the file's fault, not an outage): the agent is told so and
 * may discard the letter. 0 for any other error. */
int courrier_is_uncut(const error *err);

/* Inside request_create's job: letter_id, pending, becomes filed as request_id by who.
 * ERR_CONFLICT when it is no longer pending (another agent was first). */
int courrier_filed_tx(store *s, int64_t tenant_id, int64_t letter_id, int64_t request_id,
                      const char *who_label, int64_t now, error *err);

/* Links pending letter l to request r (an internal "post_letter" event with the file, the
 * letter linked, an audit entry), *att prepared by courrier_attachment. ERR_CONFLICT when
 * it is no longer pending. cb as courrier_queue. */
int courrier_link(core *c, const cat_tenant *t, const core_actor *who, const store_post_letter *l,
                  const store_request *r, const store_attachment *att, core_done_fn cb, void *ctx,
                  error *err);
/* ---- retention of dropped scans ---- */

/* Days a scan stays once dropped — every letter of its file discarded by an agent or rejected
 * by the reading — before the retention pass deletes it, rows and file: the server-wide
 * setting "post_dropped_retention_days" (7 to 365), else this. A month leaves time to undo a
 * mistake (file it again from the scanner's copy) without keeping mail nobody processes. */
#define COURRIER_DROPPED_RETENTION_DAYS_DEFAULT 30
/* Files deleted per write job of the purge. */
#define COURRIER_PURGE_BATCH 200

int courrier_dropped_retention_days(core *c, int *days, error *err);

/* Deletes tenant_id's scans dropped before now minus the retention days: the rows in write
 * jobs of COURRIER_PURGE_BATCH files, each file unlinked once its job is durable (a crash
 * between leaves a file the start-up sweep removes). A file with a letter filed, linked or
 * still to process stays whole. *n (may be NULL) the letters deleted. */
int courrier_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err);

/* Discards pending or rejected letter l with reason (1 to COURRIER_REASON_MAX characters,
 * kept for the audit). ERR_INVALID_ARG "reason", ERR_CONFLICT when it was decided meanwhile. */
int courrier_discard(core *c, const cat_tenant *t, const core_actor *who,
                     const store_post_letter *l, const char *reason, core_done_fn cb, void *ctx,
                     error *err);

#endif

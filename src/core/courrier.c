/*
 * courrier — the post room (courrier.h): scans stored as attachments are, letters waiting in
 * post_letters, the OCR job (at least once: the reading runs outside any transaction, its
 * outcome is one write that only a still-queued letter takes, so a second run changes
 * nothing), and the agents' three decisions.
 */
#include "core/courrier.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/jobs.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/request_internal.h"
#include "docs/pdf.h"
#include "scan/scan.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define STATE_QUEUED "queued"
#define STATE_PENDING "pending"
#define STATE_REJECTED "rejected"
#define EVENT_KIND "post_letter"
/* A scan's bytes read back for the OCR: the largest a file may be stored with. */
#define READ_MAX (64 * 1024 * 1024)

int courrier_prepare(core *c, const attachment_upload *up, arena *a, store_attachment *out,
                     error *err)
{
    const attachment_dir *d = core_uploads(c);
    size_t max = d->max_file_bytes ? d->max_file_bytes : ATTACHMENT_MAX_BYTES;
    char type[128] = "";
    attachment_upload u = *up;
    /* A TIFF, which attachments do not take, is scanned as sent, then stored as the PDF of
     * its pages; the other types go through attachment_prepare as they are. */
    if (up->len > 0 && up->len <= max &&
        attachment_sniff(up->data, up->len, type, sizeof type) == 0 &&
        strcmp(type, "image/tiff") == 0) {
        if (attachment_scan(up->data, up->len, up->field, err) != 0)
            return -1;
        void *pdf = NULL;
        size_t pdf_len = 0;
        scan_problem problem;
        error serr;
        if (scan_tiff_to_pdf(up->data, up->len, a, &pdf, &pdf_len, &problem, &serr) != 0)
            return error_set(err, ERR_INVALID_ARG, up->field,
                             "damaged: the file does not decode whole (cut off or corrupt)");
        u.data = pdf;
        u.len = pdf_len;
        u.filename = arena_printf(a, "%s.pdf", up->filename ? up->filename : "courrier");
    }
    if (attachment_prepare(d, &u, a, out, err) != 0)
        return -1;
    if (out->thumb_name) {
        /* A letter has no thumbnail: the page's preview is the scan itself. */
        store_attachment thumb = {.storage_name = out->thumb_name};
        attachment_discard(d, &thumb);
        out->thumb_name = NULL;
    }
    out->is_photo = 0;
    return 0;
}

/* ---- receiving ---- */

typedef struct queue_op {
    core_op op;
    int64_t tenant_id;
    core_actor who;
    store_agent who_agent;
    store_post_letter *rows;
    size_t n;
    int64_t *ids_out; /* caller's, filled in finish */
    int64_t *ids;     /* the job's */
} queue_op;

static int queue_apply(store *s, core_op *op, error *err)
{
    queue_op *q = (queue_op *)op;
    for (size_t i = 0; i < q->n; i++) {
        if (s->ops->post.tx_insert(s, &q->rows[i], &q->ids[i], err) != 0)
            return -1;
        char key[32];
        snprintf(key, sizeof key, "l%lld", (long long)q->ids[i]);
        if (jobs_schedule_tx(s, q->tenant_id, 0, COURRIER_OCR_KIND, key, q->rows[i].received_at,
                             NULL, NULL, err) != 0)
            return -1;
    }
    return audit_change_tx(s, q->tenant_id, &q->who, "receive", "post_letter", q->ids, q->n, err);
}

static void queue_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    queue_op *q = (queue_op *)op;
    if (*rc == 0 && q->ids_out)
        memcpy(q->ids_out, q->ids, q->n * sizeof *q->ids);
}

int courrier_queue(core *c, const cat_tenant *t, const core_actor *who,
                   const store_attachment *files, size_t n, int64_t *ids, core_done_fn cb,
                   void *ctx, error *err)
{
    if (n == 0)
        return error_set(err, ERR_MISSING_ARG, "files", "no file to receive");
    queue_op *q = core_op_new(sizeof *q, queue_apply);
    if (!q)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    q->op.finish = queue_finish;
    arena *a = &q->op.a;
    q->tenant_id = t->rec.id;
    q->n = n;
    q->ids_out = ids;
    q->rows = arena_alloc(a, n * sizeof *q->rows);
    q->ids = arena_alloc(a, n * sizeof *q->ids);
    const char *label = NULL;
    if (!q->rows || !q->ids || actor_copy(a, who, &actor_system, &q->who, &q->who_agent) != 0 ||
        !(label = actor_audit_label(who, a))) {
        core_op_free(q);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    int64_t now = time_now();
    for (size_t i = 0; i < n; i++) {
        q->rows[i] = (store_post_letter){
            .tenant_id = t->rec.id,
            .filename = arena_strdup(a, files[i].filename ? files[i].filename : "courrier"),
            .content_type = arena_strdup(a, files[i].content_type),
            .storage_name = arena_strdup(a, files[i].storage_name),
            .size = files[i].size,
            .received_at = now,
            .received_by = label,
            .state = STATE_QUEUED,
        };
        if (!q->rows[i].filename || !q->rows[i].content_type || !q->rows[i].storage_name) {
            core_op_free(q);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
    }
    return core_op_submit(c, q, cb, ctx, err);
}

/* ---- reading (the OCR job) ---- */

/* The bytes of file `name` of the uploads directory (malloc'd). */
static int read_stored(core *c, const char *name, char **bytes, size_t *len, error *err)
{
    *bytes = NULL;
    *len = 0;
    arena a;
    arena_init(&a, 0);
    const char *path = attachment_path(core_uploads(c), &a, name);
    FILE *f = path ? fopen(path, "rb") : NULL;
    arena_free(&a);
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > READ_MAX) {
        if (f)
            fclose(f);
        return error_set(err, ERR_UNAVAILABLE, NULL, "the scan's file cannot be read");
    }
    char *b = malloc((size_t)st.st_size);
    if (!b || fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(b);
        fclose(f);
        return error_set(err, ERR_UNAVAILABLE, NULL, "the scan's file cannot be read");
    }
    fclose(f);
    *bytes = b;
    *len = (size_t)st.st_size;
    return 0;
}

int courrier_file(core *c, const store_post_letter *l, char **bytes, size_t *len, error *err)
{
    return read_stored(c, l->storage_name, bytes, len, err);
}

int courrier_preview(core *c, const store_post_letter *l, char **bytes, size_t *len, error *err)
{
    *bytes = NULL;
    *len = 0;
    if (!l->preview)
        return error_set(err, ERR_NOT_FOUND, "letter", "the letter has no preview");
    return read_stored(c, l->preview, bytes, len, err);
}

/* Page 1 of PDF bytes[0..len) rendered and stored in the uploads directory, its name (in a)
 * returned; NULL when it does not render or cannot be stored (logged: the page then says the
 * preview is missing, and the letter is read all the same). */
static const char *store_preview(core *c, const store_post_letter *l, const char *bytes, size_t len,
                                 arena *a)
{
    if (strcmp(l->content_type, "application/pdf") != 0)
        return NULL;
    void *png = NULL;
    size_t png_len = 0;
    const char *name = NULL;
    error perr;
    error_clear(&perr);
    if (scan_pdf_preview_png(bytes, len, COURRIER_PREVIEW_WIDTH, a, &png, &png_len, &perr) != 0 ||
        attachment_store_bytes(core_uploads(c), ".png", png, png_len, a, &name, &perr) != 0) {
        log_warn("courrier: letter %lld: no preview: %s", (long long)l->id, perr.detail);
        return NULL;
    }
    return name;
}

/* The proposals as the JSON the row keeps (strings "" when none). */
static char *proposals_json(const scan_proposals *p)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "description", p->description,
                  "first_name", p->first_name, "last_name", p->last_name, "address", p->address,
                  "email", p->email, "phone", p->phone, "reference", p->reference);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

typedef struct read_op {
    core_op op;
    store_post_letter first; /* the queued row, its outcome set */
    store_post_letter *more; /* the file's next letters, to insert */
    size_t n_more;
} read_op;

static int read_apply(store *s, core_op *op, error *err)
{
    read_op *r = (read_op *)op;
    if (s->ops->post.tx_set(s, &r->first, STATE_QUEUED, err) != 0)
        return -1;
    for (size_t i = 0; i < r->n_more; i++)
        if (s->ops->post.tx_insert(s, &r->more[i], NULL, err) != 0)
            return -1;
    return 0;
}

/* Reads the file of queued letter l and writes what became of it. -1 only when it could not
 * run (the file unreadable from disk, the engine, the store): the job tries again. */
static int read_letter_file(core *c, const store_post_letter *l, error *err)
{
    arena a;
    arena_init(&a, 0);
    char *bytes = NULL;
    size_t len = 0;
    read_op *r = NULL;
    int rc = -1;
    const char *preview = NULL;
    if (courrier_file(c, l, &bytes, &len, err) != 0)
        goto cleanup;
    scan_doc doc;
    scan_problem problem = SCAN_OK;
    error serr;
    error_clear(&serr);
    int read_rc = scan_read(bytes, len, NULL, &a, &doc, &problem, &serr);
    if (read_rc != 0 && problem == SCAN_ENGINE) {
        *err = serr;
        goto cleanup;
    }
    /* Once, here, beside the OCR: the page then serves the stored file. */
    if (!(read_rc != 0 && problem == SCAN_ENCRYPTED))
        preview = store_preview(c, l, bytes, len, &a);
    if (!(r = core_op_new(sizeof *r, read_apply))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    r->first = *l;
    r->first.preview = preview ? arena_strdup(&r->op.a, preview) : NULL;
    if (read_rc != 0) {
        r->first.state = STATE_REJECTED;
        r->first.reason = scan_problem_name(problem);
        log_info("courrier: letter %lld rejected (%s)", (long long)l->id, r->first.reason);
    } else {
        scan_letter letters[COURRIER_LETTERS_MAX];
        size_t n = scan_split(&doc, letters, COURRIER_LETTERS_MAX);
        r->more = n > 1 ? arena_alloc(&r->op.a, (n - 1) * sizeof *r->more) : NULL;
        if (n > 1 && !r->more) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) {
            store_post_letter *row = i == 0 ? &r->first : &r->more[i - 1];
            if (i > 0) {
                *row = *l;
                row->id = 0;
                row->scan_id = l->id;
            }
            const char *text = scan_letter_text(&doc, &letters[i], &a);
            scan_proposals pr;
            scan_propose(text, REQUEST_DESCRIPTION_MAX, &a, &pr);
            char *json = proposals_json(&pr);
            row->state = STATE_PENDING;
            row->reason = NULL;
            row->first_page = (int)letters[i].first + 1;
            row->last_page = (int)letters[i].last + 1;
            row->pages = (int)doc.n_pages;
            row->text = text ? arena_strdup(&r->op.a, text) : NULL;
            row->proposals = json ? arena_strdup(&r->op.a, json) : NULL;
            free(json);
            int conf = 0, counted = 0;
            for (size_t p = letters[i].first; p <= letters[i].last; p++, counted++)
                conf += doc.pages[p].confidence;
            row->confidence = counted ? conf / counted : 0;
            if (!row->text || !row->proposals) {
                error_set(err, ERR_INTERNAL, NULL, "out of memory");
                goto cleanup;
            }
        }
        r->n_more = n > 1 ? n - 1 : 0;
        /* The strings copied from l live in the caller's arena: the job's own copies. */
        for (size_t i = 0; i <= r->n_more; i++) {
            store_post_letter *row = i == 0 ? &r->first : &r->more[i - 1];
            row->filename = arena_strdup(&r->op.a, l->filename);
            row->content_type = arena_strdup(&r->op.a, l->content_type);
            row->storage_name = arena_strdup(&r->op.a, l->storage_name);
            row->received_by = arena_strdup(&r->op.a, l->received_by);
            row->preview = preview ? arena_strdup(&r->op.a, preview) : NULL;
        }
        log_info("courrier: letter %lld read (%zu page(s), %zu letter(s))", (long long)l->id,
                 doc.n_pages, n);
    }
    rc = core_op_submit(c, r, NULL, NULL, err);
    r = NULL;
    if (rc != 0 && err->code == ERR_NOT_FOUND)
        rc = 0; /* read by another run meanwhile: what it wrote stands */
    else if (rc == 0)
        preview = NULL; /* the rows name it now */
cleanup:
    /* Not recorded (a failure, or another run's outcome stands): not kept. */
    if (preview)
        attachment_discard(core_uploads(c), &(store_attachment){.storage_name = preview});
    core_op_free(r);
    free(bytes);
    arena_free(&a);
    return rc;
}

/* Reads every letter of queued file id and writes the outcome: 0 (a file that does not read
 * is rejected, which is 0), or -1 with err when it could not run (the file, the engine, the
 * store): the job tries again. */
static int read_now(core *c, const cat_tenant *t, int64_t id, error *err)
{
    arena a;
    arena_init(&a, 0);
    store *s = core_store(c);
    store_post_letter l;
    int found = 0;
    int rc = s->ops->post.get(s, t->rec.id, id, &a, &l, &found, err);
    if (rc == 0 && !found)
        rc = error_set(err, ERR_NOT_FOUND, "letter", "no such letter");
    if (rc == 0 && strcmp(l.state, STATE_QUEUED) == 0)
        rc = read_letter_file(c, &l, err);
    arena_free(&a);
    return rc;
}

static int ocr_job(job_run *jr, error *err)
{
    /* No request yet: nothing on a timeline. */
    jr->no_event = 1;
    if (!jr->tenant) {
        jr->cancelled_why = "collectivité gone";
        return 0;
    }
    const char *key = jr->job->ukey;
    char *end = NULL;
    long long id = key && key[0] == 'l' ? strtoll(key + 1, &end, 10) : 0;
    if (id <= 0 || !end || *end) {
        jr->cancelled_why = "malformed key";
        return 0;
    }
    return read_now(jr->core, jr->tenant, id, err);
}

static const job_handler ocr_handler = {
    .kind = COURRIER_OCR_KIND,
    .run = ocr_job,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};

int courrier_register(core *c, error *err)
{
    return jobs_register(c, &ocr_handler, err);
}

/* ---- reads ---- */

int courrier_list_open(core *c, const cat_tenant *t, arena *a, store_post_letter **out, size_t *n,
                       error *err)
{
    store *s = core_store(c);
    return s->ops->post.list_open(s, t->rec.id, COURRIER_LIST_MAX, a, out, n, err);
}

int courrier_get(core *c, const cat_tenant *t, const core_actor *who, int64_t id, arena *a,
                 store_post_letter *out, int *found, error *err)
{
    store *s = core_store(c);
    if (s->ops->post.get(s, t->rec.id, id, a, out, found, err) != 0)
        return -1;
    if (*found)
        audit_record_access(c, t->rec.id, who, "read", "post_letter", &id, 1);
    return 0;
}

/* 1 when letter l is some pages of a PDF that holds others too (a file cut at separator pages,
 * or a letter whose file ends with a separator): what the request receives is then its pages
 * alone. An image, a letter read before the cut was recorded (first_page 0) or one that is its
 * whole file is taken as it is. */
static int letter_is_part(const store_post_letter *l)
{
    return l->content_type && strcmp(l->content_type, "application/pdf") == 0 &&
           l->first_page >= 1 && l->last_page >= l->first_page &&
           (l->first_page > 1 || l->last_page < l->pages);
}

/* Letter l's pages cut out of its scan, checked and rewritten as an uploaded PDF is
 * (pdf_normalise), stored under a new name: *out is src with that file, named
 * «courrier-<day received>-p<first>-<last>.pdf». -1 with ERR_UNAVAILABLE when the scan cannot
 * be read or the cut stored, ERR_INVALID_ARG (arg "letter") when qpdf cannot cut or clean it,
 * ERR_TOO_LARGE when the cut is over the uploads' limit. */
static int letter_pages(core *c, const cat_tenant *t, const store_post_letter *l,
                        const store_attachment *src, arena *a, store_attachment *out, error *err)
{
    const attachment_dir *d = core_uploads(c);
    size_t max = d->max_file_bytes ? d->max_file_bytes : ATTACHMENT_MAX_BYTES;
    char *bytes = NULL;
    size_t len = 0;
    buf cut, clean;
    buf_init(&cut, READ_MAX);
    buf_init(&clean, max);
    int rc = -1;
    error perr;
    error_clear(&perr);
    if (courrier_file(c, l, &bytes, &len, err) != 0)
        goto cleanup;
    if (pdf_pages(bytes, len, l->first_page, l->last_page, &cut, &perr) != 0 ||
        pdf_normalise(cut.data, cut.len, PDF_UPLOAD_PAGES_MAX, &clean, NULL, &perr) != 0) {
        log_warn("courrier: letter %lld: pages %d-%d not cut: %s", (long long)l->id, l->first_page,
                 l->last_page, perr.detail);
        if (perr.code == ERR_TOO_LARGE)
            error_set(err, ERR_TOO_LARGE, "letter", "the letter's pages are over %zu bytes", max);
        else if (perr.code == ERR_INVALID_ARG)
            error_set(err, ERR_INVALID_ARG, "letter",
                      "the letter's pages cannot be cut out of its scan (%s)", perr.arg);
        else
            *err = perr;
        goto cleanup;
    }
    const char *name = NULL;
    if (attachment_store_bytes(d, ".pdf", clean.data, clean.len, a, &name, err) != 0)
        goto cleanup;
    int year;
    unsigned month, mday;
    time_day_civil(time_local_day(l->received_at, t->rec.timezone), &year, &month, &mday);
    *out = *src;
    out->storage_name = name;
    out->size = (int64_t)clean.len;
    out->filename = arena_printf(a, "courrier-%04d-%02u-%02u-p%d-%d.pdf", year, month, mday,
                                 l->first_page, l->last_page);
    if (!out->filename) {
        attachment_discard(d, out);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    rc = 0;
cleanup:
    buf_free(&clean);
    buf_free(&cut);
    free(bytes);
    return rc;
}

int courrier_is_uncut(const error *err)
{
    return err && (err->code == ERR_INVALID_ARG || err->code == ERR_TOO_LARGE) &&
           strcmp(err->arg, "letter") == 0;
}

int courrier_attachment(core *c, const cat_tenant *t, const store_post_letter *l, arena *a,
                        store_attachment *out, error *err)
{
    store_attachment src = {
        .tenant_id = l->tenant_id,
        .filename = l->filename,
        .content_type = l->content_type,
        .size = l->size,
        .storage_name = l->storage_name,
        .moderation = "rejected", /* a letter is never shown publicly */
        .created_at = l->received_at,
    };
    if (letter_is_part(l))
        return letter_pages(c, t, l, &src, a, out, err);
    return attachment_link(core_uploads(c), &src, a, out, err);
}

/* ---- decisions ---- */

/* Reads letter id inside the job and moves it from its state (one of from) to `to`. */
static int decide_tx(store *s, int64_t tenant_id, int64_t id, const char *const *from,
                     const char *to, const char *reason, int64_t request_id, const char *who_label,
                     int64_t now, arena *a, error *err)
{
    store_post_letter l;
    int found = 0;
    if (s->ops->post.get(s, tenant_id, id, a, &l, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "letter", "no such letter");
    int ok = 0;
    for (size_t i = 0; from[i] && !ok; i++)
        ok = strcmp(l.state, from[i]) == 0;
    if (!ok)
        return error_set(err, ERR_CONFLICT, "letter", "the letter was processed meanwhile");
    const char *was = l.state;
    l.state = to;
    if (reason)
        l.reason = reason;
    l.request_id = request_id;
    l.decided_by = who_label;
    l.decided_at = now;
    return s->ops->post.tx_set(s, &l, was, err);
}

static const char *const from_pending[] = {STATE_PENDING, NULL};

int courrier_filed_tx(store *s, int64_t tenant_id, int64_t letter_id, int64_t request_id,
                      const char *who_label, int64_t now, error *err)
{
    arena a;
    arena_init(&a, 0);
    int rc = decide_tx(s, tenant_id, letter_id, from_pending, "filed", NULL, request_id, who_label,
                       now, &a, err);
    arena_free(&a);
    return rc;
}

typedef struct decide_op {
    core_op op;
    int64_t tenant_id;
    int64_t letter_id;
    core_actor who;
    store_agent who_agent;
    const char *to;
    const char *reason;
    store_request request; /* link: the request (id, tenant) */
    store_attachment att;
    const char *event_body;
} decide_op;

static int decide_apply(store *s, core_op *op, error *err)
{
    decide_op *d = (decide_op *)op;
    int64_t now = time_now();
    const char *label = actor_audit_label(&d->who, &op->a);
    if (!label)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int linking = d->request.id != 0;
    if (linking) {
        /* Read again in the write: the agent may still change the request (a request they
         * only see is not theirs to add to), and it still holds personal data (a scan would
         * bring some back into an anonymised one). */
        store_request r;
        int found = 0;
        if (s->ops->requests.get_by_id(s, d->tenant_id, d->request.id, &op->a, &r, &found, err) !=
            0)
            return -1;
        if (!found)
            return error_set(err, ERR_NOT_FOUND, "request", "request not found");
        if (d->who.kind == ACTOR_AGENT && !perm_can_change(&d->who_agent, &r))
            return error_set(err, ERR_FORBIDDEN, "request",
                             "this agent may not change the request");
        if (r.anonymised_at)
            return error_set(err, ERR_CONFLICT, "request", "the request is anonymised");
    }
    static const char *const from_open[] = {STATE_PENDING, STATE_REJECTED, NULL};
    if (decide_tx(s, d->tenant_id, d->letter_id, linking ? from_pending : from_open, d->to,
                  d->reason, d->request.id, label, now, &op->a, err) != 0)
        return -1;
    if (linking) {
        store_event e = {
            .tenant_id = d->tenant_id,
            .request_id = d->request.id,
            .created_at = now,
            .kind = EVENT_KIND,
            .actor = actor_event_label(&d->who, &op->a),
            .channel = "post",
            .body = d->event_body,
        };
        int64_t event_id = 0;
        if (s->ops->events.tx_insert(s, &e, &event_id, err) != 0 ||
            attachment_save_tx(s, d->tenant_id, d->request.id, event_id, &d->att, 1, err) != 0 ||
            audit_change_tx(s, d->tenant_id, &d->who, "link", "request", &d->request.id, 1, err) !=
                0)
            return -1;
    }
    return audit_change_tx(s, d->tenant_id, &d->who, linking ? "link" : "discard", "post_letter",
                           &d->letter_id, 1, err);
}

static decide_op *decide_new(const cat_tenant *t, const core_actor *who, const store_post_letter *l,
                             const char *to, error *err)
{
    decide_op *d = core_op_new(sizeof *d, decide_apply);
    if (!d) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    d->tenant_id = t->rec.id;
    d->letter_id = l->id;
    d->to = to;
    if (actor_copy(&d->op.a, who, &actor_system, &d->who, &d->who_agent) != 0) {
        core_op_free(d);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return d;
}

int courrier_link(core *c, const cat_tenant *t, const core_actor *who, const store_post_letter *l,
                  const store_request *r, const store_attachment *att, core_done_fn cb, void *ctx,
                  error *err)
{
    decide_op *d = decide_new(t, who, l, "linked", err);
    if (!d)
        return -1;
    d->request.id = r->id;
    request_copy_attachment(&d->op.a, &d->att, att);
    d->event_body = l->pages > 1 ? arena_printf(&d->op.a, "%s (pages %d–%d / %d)", l->filename,
                                                l->first_page, l->last_page, l->pages)
                                 : arena_strdup(&d->op.a, l->filename);
    if (!d->event_body) {
        core_op_free(d);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, d, cb, ctx, err);
}

int courrier_discard(core *c, const cat_tenant *t, const core_actor *who,
                     const store_post_letter *l, const char *reason, core_done_fn cb, void *ctx,
                     error *err)
{
    if (!reason || !*reason)
        return error_set(err, ERR_MISSING_ARG, "reason", "say why the letter is discarded");
    if (request_check_text(reason, "reason", COURRIER_REASON_MAX, 1, err) != 0)
        return -1;
    decide_op *d = decide_new(t, who, l, "discarded", err);
    if (!d)
        return -1;
    d->reason = arena_strdup(&d->op.a, reason);
    if (!d->reason) {
        core_op_free(d);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, d, cb, ctx, err);
}

/* ---- retention of dropped scans ---- */

int courrier_dropped_retention_days(core *c, int *days, error *err)
{
    return core_setting_int(c, "post_dropped_retention_days",
                            COURRIER_DROPPED_RETENTION_DAYS_DEFAULT, days, err);
}

typedef struct purge_arg {
    int64_t tenant_id, before;
    arena *a;
    const char **files;
    size_t n_files;
    int64_t n_rows;
} purge_arg;

static int purge_apply(store *s, void *arg, error *err)
{
    purge_arg *p = arg;
    return s->ops->post.tx_purge_dropped(s, p->tenant_id, p->before, COURRIER_PURGE_BATCH, p->a,
                                         &p->files, &p->n_files, &p->n_rows, err);
}

int courrier_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err)
{
    if (n)
        *n = 0;
    int days = COURRIER_DROPPED_RETENTION_DAYS_DEFAULT;
    if (courrier_dropped_retention_days(c, &days, err) != 0)
        return -1;
    for (;;) {
        arena a;
        arena_init(&a, 0);
        purge_arg p = {.tenant_id = tenant_id, .before = now - (int64_t)days * 86400, .a = &a};
        int rc = store_write_sync(c->store, purge_apply, &p, err);
        /* Durable: the rows are gone, so are the files now. */
        for (size_t i = 0; rc == 0 && i < p.n_files; i++)
            attachment_discard(core_uploads(c), &(store_attachment){.storage_name = p.files[i]});
        if (rc == 0 && n)
            *n += p.n_rows;
        /* Fewer rows than a batch's files: none left (a file has one row at least). */
        int64_t rows = p.n_rows;
        arena_free(&a);
        if (rc != 0)
            return -1;
        if (rows < COURRIER_PURGE_BATCH)
            return 0;
    }
}

/*
 * pdf — PDFs through libqpdf's C API (qpdf-c.h), read from memory and written back to memory:
 * the finishing of guichet's own (the catalogue's /Lang and /ViewerPreferences, the Figures'
 * /Alt, the logo), an incremental update that has qpdf parse only what it changes; the check
 * and clean rewrite of uploaded ones (a walk over every object reachable from the trailer for
 * what is refused, then a rewrite with object streams); and a range of pages copied into an
 * empty document.
 */
#include "docs/pdf.h"

#include "sign/pdf_update.h"

#include <qpdf/qpdf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDF_LANG_MAX 35 /* bytes of a BCP 47 tag we write (RFC 5646's practical maximum) */

static int lang_ok(const char *tag)
{
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n > PDF_LANG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = tag[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 (ch == '-' && i > 0 && i + 1 < n);
        if (!ok)
            return 0;
    }
    return 1;
}

/* The indirect objects pdf_finish changed in qpdf's memory (the catalog, the structure
 * elements holding a Figure), to be written again as new versions: few in a document of ours,
 * bounded all the same. */
#define CHANGED_MAX 64
typedef struct changed {
    qpdf_oh oh[CHANGED_MAX];
    int n;
    int over; /* more than CHANGED_MAX: the document is refused */
} changed;

static void changed_add(qpdf_data q, changed *c, qpdf_oh oh)
{
    int id = qpdf_oh_get_object_id(q, oh);
    for (int i = 0; i < c->n; i++)
        if (qpdf_oh_get_object_id(q, c->oh[i]) == id)
            return;
    if (c->n == CHANGED_MAX)
        c->over = 1;
    else
        c->oh[c->n++] = oh;
}

/* Sets alt as the /Alt of the Figure elements under element e that have none (cairo's own
 * tree: shallow, depth bounded all the same), noting in c the indirect object each change
 * is written in (holder: e's nearest indirect ancestor, or e itself). */
static void figures_alt(qpdf_data q, qpdf_oh e, qpdf_oh holder, const char *alt, changed *c,
                        int depth)
{
    if (depth > 64)
        return;
    if (qpdf_oh_is_indirect(q, e))
        holder = e;
    if (qpdf_oh_is_array(q, e)) {
        int n = qpdf_oh_get_array_n_items(q, e);
        for (int i = 0; i < n; i++)
            figures_alt(q, qpdf_oh_get_array_item(q, e, i), holder, alt, c, depth + 1);
        return;
    }
    if (!qpdf_oh_is_dictionary(q, e))
        return;
    if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, e, "/S"), "/Figure") &&
        !qpdf_oh_has_key(q, e, "/Alt")) {
        qpdf_oh_replace_key(q, e, "/Alt", qpdf_oh_new_unicode_string(q, alt));
        changed_add(q, c, holder);
    }
    if (qpdf_oh_has_key(q, e, "/K"))
        figures_alt(q, qpdf_oh_get_key(q, e, "/K"), holder, alt, c, depth + 1);
}

/* Writes an image stream of w × h samples of `space` (8 bits), data compressed with zlib, as
 * object id; smask: its soft mask's object, 0 for none. */
static void put_image(pdf_edit *ed, int id, int w, int h, const char *space, const void *data,
                      size_t len, int smask)
{
    buf *out = pdf_edit_out(ed);
    pdf_edit_begin(ed, id, 0);
    /* Scaled smoothly (/Interpolate), as cairo draws its own images. */
    buf_printf(out,
               "<<\n/Type /XObject\n/Subtype /Image\n/Width %d\n/Height %d\n/ColorSpace %s\n"
               "/BitsPerComponent 8\n/Interpolate true\n/Filter /FlateDecode\n/Length %zu\n",
               w, h, space, len);
    if (smask)
        buf_printf(out, "/SMask %d 0 R\n", smask);
    buf_puts(out, ">>\nstream\n");
    buf_append(out, data, len);
    buf_puts(out, "\nendstream");
    pdf_edit_end(ed);
}

/* The name the stamp's image has in every page's resources (cairo names its own /x5, /s7…). */
#define STAMP_NAME "/GuichetStamp"
/* Draws st's image on every page: one image object (and its soft mask), named in each page's
 * /XObject resources, and one content stream put before each page's own; every page written
 * again with those. 0, or -1 with err (a place too large to write). */
static int stamp_pages(pdf_edit *ed, const pdf_stamp *st, error *err)
{
    qpdf_data q = pdf_edit_qpdf(ed);
    buf *out = pdf_edit_out(ed);
    const pdf_image *im = st->image;
    int img = pdf_edit_new_id(ed), mask = im->alpha ? pdf_edit_new_id(ed) : 0;
    int ops_id = pdf_edit_new_id(ed);
    put_image(ed, img, im->width, im->height, "/DeviceRGB", im->rgb, im->rgb_len, mask);
    if (mask)
        put_image(ed, mask, im->width, im->height, "/DeviceGray", im->alpha, im->alpha_len, 0);
    char ops[256];
    int n = snprintf(ops, sizeof ops,
                     "q /Artifact BMC %.3f 0 0 %.3f %.3f %.3f cm " STAMP_NAME " Do EMC Q\n", st->w,
                     st->h, st->x, st->y);
    if (n < 0 || (size_t)n >= sizeof ops)
        return error_set(err, ERR_INVALID_ARG, "stamp", "the logo's place is out of bounds");
    pdf_edit_begin(ed, ops_id, 0);
    buf_printf(out, "<<\n/Length %d\n>>\nstream\n%s\nendstream", n, ops);
    pdf_edit_end(ed);
    int pages = qpdf_get_num_pages(q);
    for (int i = 0; i < pages; i++) {
        qpdf_oh page = qpdf_get_page_n(q, (size_t)i);
        /* Resources inherited through the page tree are copied into the page's own, so that
         * the dictionary the image is added to holds what the page's content already uses. */
        qpdf_oh res = pdf_inherited(q, page, "/Resources", qpdf_oh_is_dictionary);
        qpdf_oh xobjects = qpdf_oh_is_dictionary(q, res) ? qpdf_oh_get_key(q, res, "/XObject")
                                                         : qpdf_oh_new_null(q);
        pdf_edit_begin(ed, qpdf_oh_get_object_id(q, page), qpdf_oh_get_generation(q, page));
        buf_puts(out, "<<\n");
        pdf_edit_put_keys(ed, page, (const char *const[]){"/Contents", "/Resources", NULL});
        buf_puts(out, "/Resources <<\n");
        if (qpdf_oh_is_dictionary(q, res))
            pdf_edit_put_keys(ed, res, (const char *const[]){"/XObject", NULL});
        buf_puts(out, "/XObject <<\n");
        if (qpdf_oh_is_dictionary(q, xobjects))
            pdf_edit_put_keys(ed, xobjects, (const char *const[]){STAMP_NAME, NULL});
        /* First, in the page's initial graphics state: cairo's own stream changes the matrix
         * without restoring it. */
        buf_printf(out, STAMP_NAME " %d 0 R\n>>\n>>\n/Contents [%d 0 R", img, ops_id);
        qpdf_oh old = qpdf_oh_get_key(q, page, "/Contents");
        if (qpdf_oh_is_array(q, old)) {
            int k = qpdf_oh_get_array_n_items(q, old);
            for (int j = 0; j < k; j++)
                buf_printf(out, " %s", qpdf_oh_unparse(q, qpdf_oh_get_array_item(q, old, j)));
        } else if (qpdf_oh_is_stream(q, old)) {
            buf_printf(out, " %s", qpdf_oh_unparse(q, old));
        }
        buf_puts(out, "]\n>>");
        pdf_edit_end(ed);
    }
    return 0;
}

static int write_to(qpdf_data q, buf *out, error *err)
{
    if (qpdf_write(q) & QPDF_ERRORS)
        return error_set(err, ERR_INTERNAL, NULL, "qpdf cannot write: %s",
                         qpdf_get_error_full_text(q, qpdf_get_error(q)));
    if (buf_append(out, qpdf_get_buffer(q), qpdf_get_buffer_length(q)) != 0)
        return error_set(err, ERR_TOO_LARGE, NULL, "the PDF is over its buffer's limit");
    return 0;
}

int pdf_library_ready(error *err)
{
    qpdf_data q = qpdf_init();
    if (!q)
        return error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
    buf out;
    buf_init(&out, 4096);
    int rc = -1;
    /* Writing an empty document computes its /ID, which is what makes the crypto provider. */
    if (!(qpdf_empty_pdf(q) & QPDF_ERRORS) && !(qpdf_init_write_memory(q) & QPDF_ERRORS))
        rc = write_to(q, &out, err);
    else
        error_set(err, ERR_INTERNAL, NULL, "qpdf cannot make an empty document");
    buf_free(&out);
    qpdf_cleanup(&q);
    return rc;
}

/* Puts out back to what it held (kept: a copy of it then), after a failed update appended to
 * it: its memory may have moved, its bytes up to kept's length are the same. */
static void out_restore(buf *out, const buf *kept)
{
    out->len = kept->len;
    out->failed = kept->failed;
    if (out->data)
        out->data[out->len] = '\0';
}

int pdf_finish(const void *pdf, size_t len, const char *tag, const char *figure_alt,
               const pdf_stamp *stamp, buf *out, error *err)
{
    if (!lang_ok(tag))
        return error_set(err, ERR_INVALID_ARG, "lang", "not a language tag");
    /* An incremental update of cairo's file, not a rewrite: qpdf parses only the objects
     * looked at, and cairo's bytes are kept (a rewrite was a fifth of a receipt's time). On
     * failure out is left as it was. */
    const buf kept = *out;
    pdf_edit *ed;
    if (pdf_edit_open(pdf, len, out, &ed, err) != 0) {
        out_restore(out, &kept);
        return -1;
    }
    qpdf_data q = pdf_edit_qpdf(ed);
    qpdf_oh root = pdf_edit_root(ed);
    changed c = {.n = 0};
    changed_add(q, &c, root);
    qpdf_oh_replace_key(q, root, "/Lang", qpdf_oh_new_unicode_string(q, tag));
    /* cairo 1.16 writes the structure tree but not the flag that says the document is
     * tagged (PDF 32000-1 §14.7.1): readers and pdfinfo would take it for an untagged one. */
    if (qpdf_oh_has_key(q, root, "/StructTreeRoot")) {
        qpdf_oh mark = qpdf_oh_new_dictionary(q);
        qpdf_oh_replace_key(q, mark, "/Marked", qpdf_oh_new_bool(q, QPDF_TRUE));
        qpdf_oh_replace_key(q, root, "/MarkInfo", mark);
        if (figure_alt && *figure_alt)
            figures_alt(q, qpdf_oh_get_key(q, root, "/StructTreeRoot"), root, figure_alt, &c, 0);
    }
    qpdf_oh prefs = qpdf_oh_new_dictionary(q);
    qpdf_oh_replace_key(q, prefs, "/DisplayDocTitle", qpdf_oh_new_bool(q, QPDF_TRUE));
    qpdf_oh_replace_key(q, root, "/ViewerPreferences", prefs);
    if (c.over) {
        pdf_edit_free(ed);
        out_restore(out, &kept);
        return error_set(err, ERR_INVALID_ARG, "pdf", "over %d structure elements to change",
                         CHANGED_MAX);
    }
    /* The objects changed in memory, each written whole as its new version (their references
     * to other objects kept as references). */
    for (int i = 0; i < c.n; i++) {
        pdf_edit_begin(ed, qpdf_oh_get_object_id(q, c.oh[i]), qpdf_oh_get_generation(q, c.oh[i]));
        buf_puts(pdf_edit_out(ed), qpdf_oh_unparse_resolved(q, c.oh[i]));
        pdf_edit_end(ed);
    }
    int rc = stamp && stamp->image ? stamp_pages(ed, stamp, err) : 0;
    if (rc == 0)
        rc = pdf_edit_close(ed, err);
    else
        pdf_edit_free(ed);
    if (rc != 0)
        out_restore(out, &kept);
    return rc;
}

/* ---- uploads ---- */

/* The walk over an uploaded file's objects: a stack of handles still to look at, and the
 * indirect objects seen (by number), each looked at once. */
typedef struct walk {
    qpdf_oh *stack;
    size_t n, cap;
    unsigned char *seen; /* one byte per object number */
    size_t seen_cap;
    size_t visited;
} walk;

static int push(walk *w, qpdf_oh oh)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 1024;
        qpdf_oh *grown = realloc(w->stack, cap * sizeof *grown);
        if (!grown)
            return -1;
        w->stack = grown;
        w->cap = cap;
    }
    w->stack[w->n++] = oh;
    return 0;
}

/* 1 when indirect object number id was seen already (and marks it); -1 when out of memory. */
static int seen_before(walk *w, int id)
{
    size_t i = (size_t)id;
    if (i >= w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap : 4096;
        while (cap <= i)
            cap *= 2;
        unsigned char *grown = realloc(w->seen, cap);
        if (!grown)
            return -1;
        memset(grown + w->seen_cap, 0, cap - w->seen_cap);
        w->seen = grown;
        w->seen_cap = cap;
    }
    if (w->seen[i])
        return 1;
    w->seen[i] = 1;
    return 0;
}

static int name_is(qpdf_data q, qpdf_oh d, const char *key, const char *name)
{
    return qpdf_oh_has_key(q, d, key) &&
           qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, d, key), name);
}

/* What a dictionary says of the file: ERR_INVALID_ARG with "active" for a JavaScript or launch
 * action (or a /JS entry, or a document-level JavaScript name tree), "embedded" for an
 * embedded file, its file specification or a file attachment annotation; 0 otherwise. */
static int check_dict(qpdf_data q, qpdf_oh d, error *err)
{
    /* Actions that run something, send or fetch data, or open what the check cannot see:
     * scripts, programs, form submission and import, embedded targets, multimedia. */
    static const char *const actions[] = {"/JavaScript",      "/Launch", "/SubmitForm",
                                          "/ImportData",      "/GoToE",  "/Rendition",
                                          "/RichMediaExecute"};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (name_is(q, d, "/S", actions[i]))
            return error_set(err, ERR_INVALID_ARG, "active", "the PDF holds an action %s",
                             actions[i]);
    /* XFA forms carry their own scripts; rich media its own players' content. */
    if (qpdf_oh_has_key(q, d, "/JS") || qpdf_oh_has_key(q, d, "/JavaScript") ||
        qpdf_oh_has_key(q, d, "/XFA") || qpdf_oh_has_key(q, d, "/RichMediaContent") ||
        name_is(q, d, "/Subtype", "/RichMedia"))
        return error_set(err, ERR_INVALID_ARG, "active",
                         "the PDF holds JavaScript, an XFA form or rich media");
    if (name_is(q, d, "/Type", "/EmbeddedFile") || qpdf_oh_has_key(q, d, "/EF") ||
        qpdf_oh_has_key(q, d, "/EmbeddedFiles") || name_is(q, d, "/Subtype", "/FileAttachment"))
        return error_set(err, ERR_INVALID_ARG, "embedded", "the PDF holds embedded files");
    return 0;
}

/* Every object reachable from the trailer, each indirect one once: what the rewrite keeps. */
static int scan(qpdf_data q, error *err)
{
    walk w = {0};
    int rc = -1;
    char **keys = NULL;
    if (push(&w, qpdf_get_trailer(q)) != 0)
        goto oom;
    while (w.n > 0) {
        qpdf_oh oh = w.stack[--w.n];
        if (++w.visited > PDF_UPLOAD_OBJECTS_MAX) {
            error_set(err, ERR_INVALID_ARG, "pages", "the PDF has over %d objects",
                      PDF_UPLOAD_OBJECTS_MAX);
            goto cleanup;
        }
        if (qpdf_oh_is_indirect(q, oh)) {
            /* The seen set is indexed by object number: a crafted reference («2000000000 0
             * R») must not make it gigabytes. Real files number their objects below /Size. */
            int id = qpdf_oh_get_object_id(q, oh);
            if (id < 0 || id > PDF_UPLOAD_OBJECT_ID_MAX) {
                error_set(err, ERR_INVALID_ARG, "damaged", "object number %d out of range", id);
                goto cleanup;
            }
            int seen = seen_before(&w, id);
            if (seen < 0)
                goto oom;
            if (seen)
                continue;
        }
        if (qpdf_oh_is_stream(q, oh))
            oh = qpdf_oh_get_dict(q, oh);
        if (qpdf_oh_is_array(q, oh)) {
            int n = qpdf_oh_get_array_n_items(q, oh);
            for (int i = 0; i < n; i++)
                if (push(&w, qpdf_oh_get_array_item(q, oh, i)) != 0)
                    goto oom;
        } else if (qpdf_oh_is_dictionary(q, oh)) {
            if (check_dict(q, oh, err) != 0)
                goto cleanup;
            /* The key iterator is one per qpdf_data and its key valid until the next call:
             * the keys are copied, then their values pushed. */
            size_t nk = 0, capk = 0;
            qpdf_oh_begin_dict_key_iter(q, oh);
            while (qpdf_oh_dict_more_keys(q)) {
                if (nk == capk) {
                    capk = capk ? 2 * capk : 16;
                    char **grown = realloc(keys, capk * sizeof *grown);
                    if (!grown)
                        goto oom_keys;
                    keys = grown;
                }
                if (!(keys[nk] = strdup(qpdf_oh_dict_next_key(q))))
                    goto oom_keys;
                nk++;
            }
            int failed = 0;
            for (size_t i = 0; i < nk; i++) {
                if (!failed && push(&w, qpdf_oh_get_key(q, oh, keys[i])) != 0)
                    failed = 1;
                free(keys[i]);
            }
            if (failed)
                goto oom;
            continue;
        oom_keys:
            for (size_t i = 0; i < nk; i++)
                free(keys[i]);
            goto oom;
        }
    }
    rc = 0;
    goto cleanup;
oom:
    error_set(err, ERR_INTERNAL, NULL, "out of memory");
cleanup:
    free(keys);
    free(w.stack);
    free(w.seen);
    return rc;
}

static int has_header(const unsigned char *p, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= n; i++)
        if (memcmp(p + i, "%PDF-", 5) == 0)
            return 1;
    return 0;
}

/* Keeps in the trailer only what the rewrite carries over as it is — /Root, /Info, /ID — and
 * a /Size, which qpdf's writer fills with the new count but writes only when the trailer has
 * the key. A damaged trailer that the repair read without /Size (and with stray keys, named
 * /QPDFFake1, /QPDFFake2…) was otherwise written as a cross-reference stream without /Size,
 * a file that qpdf itself cannot read back (found by fuzz_pdf). */
static int trailer_clean(qpdf_data q, error *err)
{
    enum { TRAILER_KEYS_MAX = 64 };
    qpdf_oh trailer = qpdf_get_trailer(q);
    char *drop[TRAILER_KEYS_MAX];
    size_t n = 0;
    int rc = 0;
    qpdf_oh_begin_dict_key_iter(q, trailer);
    while (qpdf_oh_dict_more_keys(q)) {
        const char *key = qpdf_oh_dict_next_key(q);
        if (strcmp(key, "/Root") == 0 || strcmp(key, "/Info") == 0 || strcmp(key, "/ID") == 0 ||
            strcmp(key, "/Size") == 0)
            continue;
        if (n == TRAILER_KEYS_MAX) {
            rc = error_set(err, ERR_INVALID_ARG, "damaged", "the PDF's trailer has over %d keys",
                           TRAILER_KEYS_MAX);
            break;
        }
        if (!(drop[n] = strdup(key))) {
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
            break;
        }
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            qpdf_oh_remove_key(q, trailer, drop[i]);
        free(drop[i]);
    }
    if (rc == 0)
        qpdf_oh_replace_key(q, trailer, "/Size", qpdf_oh_new_integer(q, 0));
    return rc;
}

/* Whether the rewrite reads back without a warning and with its pages: what is stored must be
 * a clean file that signing can extend. qpdf carries some damage over as it read it — a name
 * whose stray # it decoded to a NUL, which no key lookup can then reach — and such a file is
 * refused as damaged rather than stored with the flaw (found by fuzz_pdf). */
static int reads_clean(const unsigned char *pdf, size_t len, int pages, error *err)
{
    qpdf_data q = qpdf_init();
    if (!q)
        return error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    int rc = 0;
    QPDF_ERROR_CODE read = qpdf_read_memory(q, "rewrite", (const char *)pdf, len, NULL);
    /* The walk resolves every object, as the first read's did: objects are parsed lazily. */
    if (read != QPDF_SUCCESS || qpdf_get_num_pages(q) != pages || scan(q, err) != 0 ||
        qpdf_has_error(q) || qpdf_more_warnings(q))
        rc = error_set(err, ERR_INVALID_ARG, "damaged",
                       "the PDF's damage survives its rewrite (qpdf reads the result with "
                       "warnings)");
    qpdf_cleanup(&q);
    return rc;
}

int pdf_normalise(const void *pdf, size_t len, int max_pages, buf *out, pdf_upload_info *info,
                  error *err)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (!pdf || !has_header(pdf, len))
        return error_set(err, ERR_INVALID_ARG, "not_pdf", "not a PDF");
    qpdf_data q = qpdf_init();
    if (!q)
        return error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
    int rc = -1;
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    QPDF_ERROR_CODE read = qpdf_read_memory(q, "upload", pdf, len, NULL);
    if (read & QPDF_ERRORS) {
        qpdf_error e = qpdf_get_error(q);
        if (qpdf_get_error_code(q, e) == qpdf_e_password)
            error_set(err, ERR_INVALID_ARG, "encrypted", "the PDF needs a password to open");
        else
            error_set(err, ERR_INVALID_ARG, "damaged", "qpdf cannot read it: %s",
                      qpdf_get_error_full_text(q, e));
        goto cleanup;
    }
    int repaired = (read & QPDF_WARNINGS) != 0;
    /* Warnings read so far are the repairs; the ones the rewrite adds are counted apart. */
    while (qpdf_more_warnings(q))
        qpdf_next_warning(q);
    if (qpdf_is_encrypted(q)) {
        error_set(err, ERR_INVALID_ARG, "encrypted", "the PDF is encrypted");
        goto cleanup;
    }
    int pages = qpdf_get_num_pages(q);
    if (pages <= 0 || qpdf_has_error(q)) {
        /* qpdf_get_error also takes the error, which qpdf would otherwise print at cleanup. */
        error_set(err, ERR_INVALID_ARG, "damaged", "the PDF has no readable page: %s",
                  qpdf_has_error(q) ? qpdf_get_error_full_text(q, qpdf_get_error(q)) : "none");
        goto cleanup;
    }
    if (pages > max_pages) {
        error_set(err, ERR_INVALID_ARG, "pages", "the PDF has %d pages, over %d", pages, max_pages);
        goto cleanup;
    }
    if (scan(q, err) != 0)
        goto cleanup;
    if (qpdf_has_error(q)) {
        error_set(err, ERR_INVALID_ARG, "damaged", "qpdf: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    if (trailer_clean(q, err) != 0)
        goto cleanup;
    if (qpdf_init_write_memory(q) & QPDF_ERRORS) {
        error_set(err, ERR_INTERNAL, NULL, "qpdf cannot write: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    qpdf_set_deterministic_ID(q, QPDF_TRUE);
    qpdf_set_preserve_encryption(q, QPDF_FALSE);
    qpdf_set_linearization(q, QPDF_FALSE);
    qpdf_set_object_stream_mode(q, qpdf_o_generate);
    qpdf_set_compress_streams(q, QPDF_TRUE);
    /* Streams are copied as they are (compressed when they were not): inflating them would let
     * a few megabytes of a crafted file expand to gigabytes, and a stream that does not decode
     * is the agent's file as it came, which the rewrite neither repairs nor makes worse. */
    qpdf_set_decode_level(q, qpdf_dl_none);
    if (qpdf_write(q) & QPDF_ERRORS) {
        error_set(err, ERR_INVALID_ARG, "damaged", "qpdf cannot rewrite it: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    if (reads_clean(qpdf_get_buffer(q), qpdf_get_buffer_length(q), pages, err) != 0)
        goto cleanup;
    if (buf_append(out, qpdf_get_buffer(q), qpdf_get_buffer_length(q)) != 0) {
        error_set(err, ERR_TOO_LARGE, NULL, "the PDF is over its buffer's limit");
        goto cleanup;
    }
    if (info) {
        info->pages = pages;
        info->repaired = repaired;
    }
    rc = 0;
cleanup:
    qpdf_cleanup(&q);
    return rc;
}

/* ---- a range of pages ---- */

/* qpdf_data q's error as err's detail, with arg and code; -1. */
static int qpdf_fail(qpdf_data q, int code, const char *arg, const char *what, error *err)
{
    return error_set(err, code, arg, "%s: %s", what,
                     qpdf_has_error(q) ? qpdf_get_error_full_text(q, qpdf_get_error(q))
                                       : "no detail");
}

int pdf_pages(const void *pdf, size_t len, int first, int last, buf *out, error *err)
{
    if (!pdf || !has_header(pdf, len))
        return error_set(err, ERR_INVALID_ARG, "damaged", "not a PDF");
    qpdf_data src = qpdf_init();
    qpdf_data dst = qpdf_init();
    int rc = -1;
    if (!src || !dst) {
        error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
        goto cleanup;
    }
    qpdf_silence_errors(src);
    qpdf_set_suppress_warnings(src, QPDF_TRUE);
    qpdf_silence_errors(dst);
    qpdf_set_suppress_warnings(dst, QPDF_TRUE);
    if (qpdf_read_memory(src, "scan", pdf, len, NULL) & QPDF_ERRORS) {
        qpdf_fail(src, ERR_INVALID_ARG, "damaged", "qpdf cannot read it", err);
        goto cleanup;
    }
    if (qpdf_is_encrypted(src)) {
        error_set(err, ERR_INVALID_ARG, "encrypted", "the PDF is encrypted");
        goto cleanup;
    }
    int n = qpdf_get_num_pages(src);
    if (n < 0) {
        qpdf_fail(src, ERR_INVALID_ARG, "damaged", "qpdf cannot read its pages", err);
        goto cleanup;
    }
    if (first < 1 || last < first || last > n) {
        error_set(err, ERR_INVALID_ARG, "pages", "pages %d to %d of a PDF of %d", first, last, n);
        goto cleanup;
    }
    /* A page's /MediaBox, /Resources or /Rotate may be its page tree's: the copy has another
     * tree, so each page takes its own first. */
    if (qpdf_push_inherited_attributes_to_page(src) & QPDF_ERRORS) {
        qpdf_fail(src, ERR_INVALID_ARG, "damaged", "qpdf cannot read its page tree", err);
        goto cleanup;
    }
    if (qpdf_empty_pdf(dst) & QPDF_ERRORS) {
        qpdf_fail(dst, ERR_INTERNAL, NULL, "qpdf cannot make an empty document", err);
        goto cleanup;
    }
    for (int i = first - 1; i < last; i++) {
        qpdf_oh page = qpdf_get_page_n(src, (size_t)i);
        if (qpdf_add_page(dst, src, page, QPDF_FALSE) & QPDF_ERRORS) {
            qpdf_fail(dst, ERR_INVALID_ARG, "damaged", "qpdf cannot copy a page", err);
            goto cleanup;
        }
    }
    if (qpdf_init_write_memory(dst) & QPDF_ERRORS) {
        qpdf_fail(dst, ERR_INTERNAL, NULL, "qpdf cannot write", err);
        goto cleanup;
    }
    qpdf_set_deterministic_ID(dst, QPDF_TRUE);
    /* The copied streams are written as they were read (pdf_normalise's reasons). */
    qpdf_set_decode_level(dst, qpdf_dl_none);
    /* The source stays open until then: qpdf reads the copied streams' data from it, so a
     * stream the scan's damage makes unreadable fails here, the file's fault. */
    if (qpdf_write(dst) & QPDF_ERRORS) {
        qpdf_fail(dst, ERR_INVALID_ARG, "damaged", "qpdf cannot write the pages", err);
        goto cleanup;
    }
    if (buf_append(out, qpdf_get_buffer(dst), qpdf_get_buffer_length(dst)) != 0) {
        error_set(err, ERR_TOO_LARGE, NULL, "the PDF is over its buffer's limit");
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (dst)
        qpdf_cleanup(&dst);
    if (src)
        qpdf_cleanup(&src);
    return rc;
}

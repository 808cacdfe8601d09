/*
 * pdf_update — the incremental updates of pdf_update.h: the signature's and the DSS's, and the
 * general pdf_edit (docs/pdf.c's finishing of cairo's documents). libqpdf reads the file to
 * find the trailer and the objects to change (the catalog, the first page, the AcroForm…);
 * their new versions are written here from qpdf's unparsed values, key by key, so that every
 * other object keeps its original bytes (and a signature covers the file as it was).
 */
#include "sign/pdf_update.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <qpdf/qpdf-c.h>

#include "sign/appearance.h"
#include "util/utf8.h"

/* Above this, a field list is not one a mairie's document has: refused rather than scanned. */
#define FIELDS_MAX 10000
/* qpdf's largest object number, and ours: the xref stream's offsets are 4 bytes wide. */
#define OBJECT_MAX 8000000

int pdf_update_startxref(const char *pdf, size_t len, size_t *offset)
{
    static const char word[] = "startxref";
    size_t from = len > 1024 ? len - 1024 : 0;
    const char *last = NULL;
    for (const char *p = pdf + from; p + sizeof word - 1 <= pdf + len; p++)
        if (memcmp(p, word, sizeof word - 1) == 0)
            last = p;
    if (!last)
        return -1;
    const char *p = last + sizeof word - 1;
    while (p < pdf + len && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t'))
        p++;
    size_t v = 0;
    int digits = 0;
    while (p < pdf + len && *p >= '0' && *p <= '9' && digits < 11) {
        v = v * 10 + (size_t)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || digits > 10 || v >= len)
        return -1;
    *offset = v;
    return 0;
}

/* Appends a PDF name for a key qpdf gives decoded: '#xx' for every byte that is not a
 * regular printable character, as ISO 32000-1 7.3.5 asks. */
static void put_name(buf *out, const char *name)
{
    buf_putc(out, '/');
    for (const unsigned char *p = (const unsigned char *)name + (name[0] == '/'); *p; p++) {
        if (*p > 32 && *p < 127 && !strchr("#()<>[]{}/%", *p))
            buf_putc(out, (char)*p);
        else
            buf_printf(out, "#%02X", *p);
    }
}

/* Appends a text string as UTF-16BE hex with its byte order mark: every reader takes it,
 * whatever the characters. text is valid UTF-8 (checked by the caller). */
static void put_text(buf *out, const char *text)
{
    buf_puts(out, "<FEFF");
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        uint32_t c;
        int n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        c = n == 1 ? *p : n == 2 ? *p & 0x1Fu : n == 3 ? *p & 0x0Fu : *p & 0x07u;
        for (int i = 1; i < n; i++)
            c = (c << 6) | (p[i] & 0x3Fu);
        p += n;
        if (c >= 0x10000) {
            c -= 0x10000;
            buf_printf(out, "%04X%04X", 0xD800u | (c >> 10), 0xDC00u | (c & 0x3FFu));
        } else {
            buf_printf(out, "%04X", c);
        }
    }
    buf_putc(out, '>');
}

static int text_ok(const char *arg, const char *text, error *err)
{
    if (!text || !*text)
        return 0;
    size_t n = strlen(text);
    if (!utf8_valid(text, n) || utf8_has_control(text, n))
        return error_set(err, ERR_INVALID_ARG, arg, "not UTF-8 text without control characters");
    if (utf8_length(text, n) > PDF_UPDATE_TEXT_MAX)
        return error_set(err, ERR_INVALID_ARG, arg, "over %d characters", PDF_UPDATE_TEXT_MAX);
    return 0;
}

/* Appends "key value" for every key of dict not in skip (NULL-terminated), values as qpdf
 * unparses them: indirect ones as references, direct ones whole. */
static void put_keys(qpdf_data q, qpdf_oh dict, const char *const *skip, buf *out)
{
    qpdf_oh_begin_dict_key_iter(q, dict);
    while (qpdf_oh_dict_more_keys(q)) {
        char key[256];
        snprintf(key, sizeof key, "%s", qpdf_oh_dict_next_key(q));
        int skipped = 0;
        for (const char *const *s = skip; *s && !skipped; s++)
            skipped = strcmp(key, *s) == 0;
        if (skipped)
            continue;
        put_name(out, key);
        buf_putc(out, ' ');
        buf_puts(out, qpdf_oh_unparse(q, qpdf_oh_get_key(q, dict, key)));
        buf_putc(out, '\n');
    }
}

/* Appends the items of an array (direct or not) separated by blanks: nothing when arr is
 * no array. */
static void put_items(qpdf_data q, qpdf_oh arr, buf *out)
{
    if (!qpdf_oh_is_array(q, arr))
        return;
    int n = qpdf_oh_get_array_n_items(q, arr);
    for (int i = 0; i < n; i++) {
        buf_puts(out, qpdf_oh_unparse(q, qpdf_oh_get_array_item(q, arr, i)));
        buf_putc(out, ' ');
    }
}

/* The first "SignatureN" no top-level field of fields is called. */
static int pick_field_name(qpdf_data q, qpdf_oh fields, char *name, size_t size, error *err)
{
    int n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
    if (n > FIELDS_MAX)
        return error_set(err, ERR_INVALID_ARG, "pdf", "over %d form fields", FIELDS_MAX);
    for (int k = 1; k <= n + 1; k++) {
        snprintf(name, size, "Signature%d", k);
        int taken = 0;
        for (int i = 0; i < n && !taken; i++) {
            qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
            qpdf_oh t = qpdf_oh_is_dictionary(q, f) ? qpdf_oh_get_key(q, f, "/T") : f;
            if (qpdf_oh_is_string(q, t))
                taken = strcmp(qpdf_oh_get_utf8_value(q, t), name) == 0;
        }
        if (!taken)
            return 0;
    }
    return error_set(err, ERR_INTERNAL, NULL, "no free signature field name");
}

qpdf_oh pdf_inherited(qpdf_data q, qpdf_oh page, const char *key,
                      int (*wanted)(qpdf_data q, qpdf_oh value))
{
    qpdf_oh node = page;
    for (int depth = 0; depth < PDF_PAGE_TREE_DEPTH_MAX && qpdf_oh_is_dictionary(q, node);
         depth++) {
        qpdf_oh v = qpdf_oh_get_key(q, node, key);
        if (wanted(q, v))
            return v;
        node = qpdf_oh_get_key(q, node, "/Parent");
    }
    return qpdf_oh_new_null(q);
}

static int is_box(qpdf_data q, qpdf_oh v)
{
    return qpdf_oh_is_array(q, v) && qpdf_oh_get_array_n_items(q, v) == 4;
}

/* The page's /MediaBox, inherited from its parents when it has none (A4 when nobody has):
 * where the visible box is placed. */
static void media_box(qpdf_data q, qpdf_oh page, double box[4])
{
    const double a4[4] = {0, 0, 595, 842};
    memcpy(box, a4, sizeof a4);
    qpdf_oh mb = pdf_inherited(q, page, "/MediaBox", is_box);
    if (!is_box(q, mb))
        return;
    for (int i = 0; i < 4; i++) {
        qpdf_oh v = qpdf_oh_get_array_item(q, mb, i);
        if (!qpdf_oh_is_number(q, v)) {
            memcpy(box, a4, sizeof a4);
            return;
        }
        box[i] = qpdf_oh_get_numeric_value(q, v);
    }
}

/* One object of the update, for the cross-reference section. */
typedef struct xref_entry {
    int id, gen;
    size_t offset;
} xref_entry;

static int by_id(const void *a, const void *b)
{
    const xref_entry *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Opens object id gen at the end of out, recording its offset. */
static void open_object(buf *out, xref_entry *e, int *n, int id, int gen)
{
    e[*n] = (xref_entry){id, gen, out->len};
    (*n)++;
    buf_printf(out, "%d %d obj\n", id, gen);
}

/* The new cross-reference section as a classic table: one subsection per object. */
static void put_xref_table(buf *out, const xref_entry *e, int n)
{
    buf_puts(out, "xref\n");
    for (int i = 0; i < n; i++)
        buf_printf(out, "%d 1\n%010zu %05d n\r\n", e[i].id, e[i].offset, e[i].gen);
}

/* The trailer's keys a new section keeps: everything but what it says itself. */
static const char *const trailer_skip[] = {"/Size",        "/Prev",   "/Root",    "/XRefStm",
                                           "/Type",        "/W",      "/Index",   "/Filter",
                                           "/DecodeParms", "/Length", "/Encrypt", NULL};

/* The file opened with qpdf for an update: its last cross-reference section's offset and kind,
 * its trailer, its catalog and its /Size. 0, or -1 with err (*q set whenever it is not NULL:
 * the caller cleans it up). */
typedef struct opened {
    qpdf_data q;
    size_t prev;
    int xref_stream;
    qpdf_oh trailer, root;
    int size;
} opened;

static int open_pdf(const char *pdf, size_t len, opened *o, error *err)
{
    memset(o, 0, sizeof *o);
    if (len > PDF_UPDATE_FILE_MAX)
        return error_set(err, ERR_INVALID_ARG, "pdf", "over %u bytes", PDF_UPDATE_FILE_MAX);
    if (len < 8 || memcmp(pdf, "%PDF-", 5) != 0 || pdf_update_startxref(pdf, len, &o->prev) != 0)
        return error_set(err, ERR_INVALID_ARG, "pdf", "not a PDF file (no header or no startxref)");
    const char *x = pdf + o->prev;
    while (x < pdf + len && (*x == ' ' || *x == '\r' || *x == '\n' || *x == '\t'))
        x++;
    o->xref_stream = !(pdf + len - x >= 4 && memcmp(x, "xref", 4) == 0);
    if (!(o->q = qpdf_init()))
        return error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
    qpdf_silence_errors(o->q);
    qpdf_set_suppress_warnings(o->q, QPDF_TRUE);
    if (qpdf_read_memory(o->q, "pdf", pdf, len, NULL) & QPDF_ERRORS)
        return error_set(err, ERR_INVALID_ARG, "pdf", "unreadable PDF: %s",
                         qpdf_get_error_full_text(o->q, qpdf_get_error(o->q)));
    if (qpdf_is_encrypted(o->q))
        return error_set(err, ERR_INVALID_ARG, "pdf", "the PDF is encrypted");
    o->trailer = qpdf_get_trailer(o->q);
    o->root = qpdf_get_root(o->q);
    qpdf_oh size_oh = qpdf_oh_get_key(o->q, o->trailer, "/Size");
    long long size = qpdf_oh_is_integer(o->q, size_oh) ? qpdf_oh_get_int_value(o->q, size_oh) : 0;
    if (!qpdf_oh_is_dictionary(o->q, o->root) || !qpdf_oh_is_indirect(o->q, o->root) || size < 1 ||
        size > OBJECT_MAX)
        return error_set(err, ERR_INVALID_ARG, "pdf", "no catalog or no /Size in the trailer");
    o->size = (int)size;
    return 0;
}

/* Ends an update whose objects are e[0 … n) (room for one more): its cross-reference section
 * (a stream, object xref_id, when the file has one; a table otherwise), the trailer pointing
 * back to the previous section (extra: more of its keys, "" or NULL for none), startxref.
 * next is the new /Size. Then qpdf's lazy reading has seen every object it was asked for: a
 * damaged one shows now. 0, or -1 with err. */
static int put_xref_trailer(const opened *o, buf *out, xref_entry *e, int n, int xref_id, int next,
                            const char *extra, error *err)
{
    qpdf_data q = o->q;
    int root_id = qpdf_oh_get_object_id(q, o->root), root_gen = qpdf_oh_get_generation(q, o->root);
    size_t xref_at = out->len;
    if (o->xref_stream) {
        e[n++] = (xref_entry){xref_id, 0, xref_at};
        qsort(e, (size_t)n, sizeof e[0], by_id);
        buf_printf(out, "%d 0 obj\n<<\n/Type /XRef\n/Size %d\n/W [1 4 2]\n/Index [", xref_id, next);
        for (int i = 0; i < n; i++)
            buf_printf(out, "%d 1 ", e[i].id);
        buf_printf(out, "]\n/Length %d\n/Root %d %d R\n/Prev %zu\n", n * 7, root_id, root_gen,
                   o->prev);
        put_keys(q, o->trailer, trailer_skip, out);
        if (extra)
            buf_puts(out, extra);
        buf_puts(out, ">>\nstream\n");
        for (int i = 0; i < n; i++) {
            unsigned char row[7] = {1,
                                    (unsigned char)(e[i].offset >> 24),
                                    (unsigned char)(e[i].offset >> 16),
                                    (unsigned char)(e[i].offset >> 8),
                                    (unsigned char)e[i].offset,
                                    (unsigned char)(e[i].gen >> 8),
                                    (unsigned char)e[i].gen};
            buf_append(out, row, sizeof row);
        }
        buf_puts(out, "\nendstream\nendobj\n");
    } else {
        qsort(e, (size_t)n, sizeof e[0], by_id);
        put_xref_table(out, e, n);
        buf_printf(out, "trailer\n<<\n/Size %d\n/Root %d %d R\n/Prev %zu\n", next, root_id,
                   root_gen, o->prev);
        put_keys(q, o->trailer, trailer_skip, out);
        if (extra)
            buf_puts(out, extra);
        buf_puts(out, ">>\n");
    }
    buf_printf(out, "startxref\n%zu\n%%%%EOF\n", xref_at);
    if (qpdf_has_error(q) || qpdf_more_warnings(q))
        return error_set(err, ERR_INVALID_ARG, "pdf",
                         "damaged PDF (repair it first, e.g. with qpdf)");
    if (out->failed)
        return error_set(err, ERR_TOO_LARGE, "pdf", "the updated file would be over %zu bytes",
                         out->max);
    return 0;
}

/* Appends pdf to out, and a line end when it does not end with one: the update's first
 * object starts a line. */
static void put_original(buf *out, const char *pdf, size_t len)
{
    buf_append(out, pdf, len);
    if (pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
        buf_putc(out, '\n');
}

int pdf_update_write(const char *pdf, size_t len, const pdf_sig_meta *m, buf *out,
                     pdf_update_pos *pos, error *err)
{
    memset(pos, 0, sizeof *pos);
    if (text_ok("reason", m->reason, err) != 0 || text_ok("location", m->location, err) != 0 ||
        text_ok("name", m->name, err) != 0)
        return -1;
    int rc = -1;
    opened o;
    if (open_pdf(pdf, len, &o, err) != 0)
        goto cleanup;
    qpdf_data q = o.q;
    qpdf_oh root = o.root;
    if (qpdf_get_num_pages(q) < 1) {
        error_set(err, ERR_INVALID_ARG, "pdf", "the PDF has no page");
        goto cleanup;
    }
    qpdf_oh page = qpdf_get_page_n(q, 0);
    qpdf_oh form = qpdf_oh_get_key(q, root, "/AcroForm");
    int form_indirect = qpdf_oh_is_dictionary(q, form) && qpdf_oh_is_indirect(q, form);
    qpdf_oh fields =
        qpdf_oh_is_dictionary(q, form) ? qpdf_oh_get_key(q, form, "/Fields") : qpdf_oh_new_null(q);
    if (pick_field_name(q, fields, pos->field, sizeof pos->field, err) != 0)
        goto cleanup;
    int next = o.size;
    int form_id = form_indirect ? qpdf_oh_get_object_id(q, form) : next++;
    int form_gen = form_indirect ? qpdf_oh_get_generation(q, form) : 0;
    int sig_id = next++, field_id = next++;
    /* A document timestamp shows nothing: a verifier accepts its field after a signature
     * only because it adds nothing a reader displays (pades_only_dss_after). */
    int visible = m->visible && !m->doc_timestamp;
    int ap_id = visible ? next++ : 0, font_id = visible ? next++ : 0;
    int xref_id = o.xref_stream ? next++ : 0;
    int page_id = qpdf_oh_get_object_id(q, page), page_gen = qpdf_oh_get_generation(q, page);
    int root_id = qpdf_oh_get_object_id(q, root), root_gen = qpdf_oh_get_generation(q, root);

    xref_entry e[8];
    int n = 0;
    put_original(out, pdf, len);

    /* The catalog: every key but /AcroForm, which now names the form object. */
    open_object(out, e, &n, root_id, root_gen);
    buf_puts(out, "<<\n");
    put_keys(q, root, (const char *const[]){"/AcroForm", NULL}, out);
    buf_printf(out, "/AcroForm %d %d R\n>>\nendobj\n", form_id, form_gen);

    /* The form: its keys kept, the new field added, /SigFlags 3 (signatures exist, and the
     * file is to be updated incrementally only). */
    open_object(out, e, &n, form_id, form_gen);
    buf_puts(out, "<<\n");
    if (qpdf_oh_is_dictionary(q, form))
        put_keys(q, form, (const char *const[]){"/Fields", "/SigFlags", NULL}, out);
    buf_puts(out, "/Fields [");
    put_items(q, fields, out);
    buf_printf(out, "%d 0 R]\n/SigFlags 3\n>>\nendobj\n", field_id);

    /* The first page, with the widget added to its annotations. */
    open_object(out, e, &n, page_id, page_gen);
    buf_puts(out, "<<\n");
    put_keys(q, page, (const char *const[]){"/Annots", NULL}, out);
    buf_puts(out, "/Annots [");
    put_items(q, qpdf_oh_get_key(q, page, "/Annots"), out);
    buf_printf(out, "%d 0 R]\n>>\nendobj\n", field_id);

    /* The field merged with its widget, printed and locked (/F 132), pointing to the
     * signature: invisible (an empty rectangle), or a box with its appearance. */
    open_object(out, e, &n, field_id, 0);
    buf_printf(out, "<<\n/FT /Sig\n/T (%s)\n/V %d 0 R\n/Type /Annot\n/Subtype /Widget\n",
               pos->field, sig_id);
    if (visible) {
        double box[4];
        media_box(q, page, box);
        /* Right-aligned with guichet's letters' text and just above their footer. */
        double x2 = box[2] - 56, y1 = box[1] + 56;
        buf_printf(out, "/Rect [%.2f %.2f %.2f %.2f]\n/AP << /N %d 0 R >>\n",
                   x2 - SIGN_APPEARANCE_W, y1, x2, y1 + SIGN_APPEARANCE_H, ap_id);
    } else {
        buf_puts(out, "/Rect [0 0 0 0]\n");
    }
    buf_printf(out, "/F 132\n/P %d %d R\n>>\nendobj\n", page_id, page_gen);
    if (visible) {
        buf text;
        buf_init(&text, 4096);
        sign_appearance_stream(m->name, m->reason, m->when, &text);
        open_object(out, e, &n, ap_id, 0);
        buf_printf(out,
                   "<<\n/Type /XObject\n/Subtype /Form\n/BBox [0 0 %d %d]\n"
                   "/Resources << /Font << /F1 %d 0 R >> >>\n/Length %zu\n>>\nstream\n",
                   SIGN_APPEARANCE_W, SIGN_APPEARANCE_H, font_id, text.len);
        buf_append(out, text.data, text.len);
        buf_puts(out, "\nendstream\nendobj\n");
        buf_free(&text);
        open_object(out, e, &n, font_id, 0);
        buf_puts(out, "<<\n/Type /Font\n/Subtype /Type1\n/BaseFont /Helvetica\n"
                      "/Encoding /WinAnsiEncoding\n>>\nendobj\n");
    }

    /* The signature dictionary, /Contents last so that its placeholder ends the object. */
    open_object(out, e, &n, sig_id, 0);
    if (m->doc_timestamp) {
        buf_puts(out,
                 "<<\n/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161\n");
    } else {
        struct tm tm;
        gmtime_r(&m->when, &tm);
        char when[32];
        strftime(when, sizeof when, "D:%Y%m%d%H%M%S+00'00'", &tm);
        buf_printf(out,
                   "<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n"
                   "/M (%s)\n",
                   when);
        const char *texts[][2] = {
            {"/Name ", m->name}, {"/Reason ", m->reason}, {"/Location ", m->location}};
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
            if (texts[i][1] && *texts[i][1]) {
                buf_puts(out, texts[i][0]);
                put_text(out, texts[i][1]);
                buf_putc(out, '\n');
            }
    }
    buf_puts(out, "/ByteRange ");
    pos->byterange_at = out->len;
    buf_printf(out, "%-*s\n/Contents ", PDF_UPDATE_BYTERANGE_LEN, "[]");
    pos->contents_at = out->len;
    pos->contents_len = 2 + 2 * (size_t)PDF_UPDATE_CONTENTS_MAX;
    buf_putc(out, '<');
    for (size_t i = 0; i < 2 * (size_t)PDF_UPDATE_CONTENTS_MAX; i++)
        buf_putc(out, '0');
    buf_puts(out, ">\n>>\nendobj\n");

    rc = put_xref_trailer(&o, out, e, n, xref_id, next, NULL, err);
cleanup:
    if (o.q)
        qpdf_cleanup(&o.q);
    return rc;
}

int pdf_update_set_byterange(buf *out, const pdf_update_pos *pos, error *err)
{
    size_t after = pos->contents_at + pos->contents_len;
    if (after > out->len || pos->byterange_at + PDF_UPDATE_BYTERANGE_LEN > pos->contents_at)
        return error_set(err, ERR_INTERNAL, NULL, "placeholders outside the file");
    char range[PDF_UPDATE_BYTERANGE_LEN + 1];
    int w =
        snprintf(range, sizeof range, "[0 %zu %zu %zu]", pos->contents_at, after, out->len - after);
    if (w < 0 || (size_t)w > PDF_UPDATE_BYTERANGE_LEN)
        return error_set(err, ERR_INTERNAL, NULL, "ByteRange over its placeholder");
    memset(out->data + pos->byterange_at, ' ', PDF_UPDATE_BYTERANGE_LEN);
    memcpy(out->data + pos->byterange_at, range, (size_t)w);
    return 0;
}

/* Appends the items of key's array in dict (a DSS's /Certs, /CRLs…), when there is one. */
static void put_array_items(qpdf_data q, qpdf_oh dict, const char *key, buf *out)
{
    if (qpdf_oh_is_dictionary(q, dict))
        put_items(q, qpdf_oh_get_key(q, dict, key), out);
}

/* Appends the objects of blobs as streams numbered from first on, recording them in e. */
static void put_streams(buf *out, xref_entry *e, int *n, int first, const pdf_blob *blobs,
                        size_t count)
{
    for (size_t i = 0; i < count; i++) {
        open_object(out, e, n, first + (int)i, 0);
        buf_printf(out, "<<\n/Length %zu\n>>\nstream\n", blobs[i].len);
        buf_append(out, blobs[i].data, blobs[i].len);
        buf_puts(out, "\nendstream\nendobj\n");
    }
}

/* Appends "a 0 R b 0 R …" for count objects numbered from first. */
static void put_refs(buf *out, int first, size_t count)
{
    for (size_t i = 0; i < count; i++)
        buf_printf(out, "%s%d 0 R", i ? " " : "", first + (int)i);
}

int pdf_update_write_dss(const char *pdf, size_t len, const pdf_dss *d, buf *out, error *err)
{
    if (d->ncerts > PDF_DSS_ITEMS_MAX || d->ncrls > PDF_DSS_ITEMS_MAX || strlen(d->vri) != 40 ||
        strspn(d->vri, "0123456789ABCDEF") != 40)
        return error_set(err, ERR_INTERNAL, NULL, "a DSS over its bounds or a bad VRI key");
    int rc = -1;
    xref_entry *e = calloc(d->ncerts + d->ncrls + 3, sizeof *e);
    opened o;
    if (!e) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return -1;
    }
    if (open_pdf(pdf, len, &o, err) != 0)
        goto cleanup;
    qpdf_data q = o.q;
    /* A DSS already there (an earlier B-LT signature) is kept: its items and its VRI entries
     * stay, referenced as they were, and this signature's are added. */
    qpdf_oh old = qpdf_oh_get_key(q, o.root, "/DSS");
    qpdf_oh old_vri =
        qpdf_oh_is_dictionary(q, old) ? qpdf_oh_get_key(q, old, "/VRI") : qpdf_oh_new_null(q);
    int next = o.size;
    int dss_id = next++, certs_from = next, crls_from = next + (int)d->ncerts;
    int root_id = qpdf_oh_get_object_id(q, o.root), root_gen = qpdf_oh_get_generation(q, o.root);
    int n = 0;
    put_original(out, pdf, len);

    open_object(out, e, &n, root_id, root_gen);
    buf_puts(out, "<<\n");
    put_keys(q, o.root, (const char *const[]){"/DSS", NULL}, out);
    buf_printf(out, "/DSS %d 0 R\n>>\nendobj\n", dss_id);

    next += (int)(d->ncerts + d->ncrls);
    put_streams(out, e, &n, certs_from, d->certs, d->ncerts);
    put_streams(out, e, &n, crls_from, d->crls, d->ncrls);

    open_object(out, e, &n, dss_id, 0);
    buf_puts(out, "<<\n/Type /DSS\n/Certs [");
    put_array_items(q, old, "/Certs", out);
    put_refs(out, certs_from, d->ncerts);
    buf_puts(out, "]\n/CRLs [");
    put_array_items(q, old, "/CRLs", out);
    put_refs(out, crls_from, d->ncrls);
    buf_puts(out, "]\n/OCSPs [");
    put_array_items(q, old, "/OCSPs", out);
    buf_puts(out, "]\n/VRI <<\n");
    /* qpdf names keys with their '/': this signature's entry, if the file had one, is
     * replaced rather than repeated. */
    char key[42];
    snprintf(key, sizeof key, "/%s", d->vri);
    if (qpdf_oh_is_dictionary(q, old_vri))
        put_keys(q, old_vri, (const char *const[]){key, NULL}, out);
    buf_printf(out, "/%s << /Cert [", d->vri);
    put_refs(out, certs_from, d->ncerts);
    buf_puts(out, "] /CRL [");
    put_refs(out, crls_from, d->ncrls);
    buf_puts(out, "] >>\n>>\n>>\nendobj\n");
    int xref_id = o.xref_stream ? next++ : 0;
    rc = put_xref_trailer(&o, out, e, n, xref_id, next, NULL, err);
cleanup:
    if (o.q)
        qpdf_cleanup(&o.q);
    free(e);
    return rc;
}

/* ---- a general update (pdf_edit) ---- */

struct pdf_edit {
    opened o;
    buf *out;
    xref_entry *e; /* the objects written, room for one more (the xref stream) */
    int n, cap;
    int next;    /* the next new object's number */
    char id[80]; /* "/ID [<…> <…>]\n" when the file has no /ID (cairo writes none): derived
                    from its bytes, so the same document gives the same file; "" otherwise */
    int failed;  /* an entry could not be recorded: out of memory */
};

int pdf_edit_open(const char *pdf, size_t len, buf *out, pdf_edit **ed, error *err)
{
    *ed = calloc(1, sizeof **ed);
    if (!*ed)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    pdf_edit *d = *ed;
    if (open_pdf(pdf, len, &d->o, err) != 0) {
        pdf_edit_free(d);
        *ed = NULL;
        return -1;
    }
    d->out = out;
    d->next = d->o.size;
    if (!qpdf_oh_has_key(d->o.q, d->o.trailer, "/ID")) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (EVP_Digest(pdf, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len < 16) {
            pdf_edit_free(d);
            *ed = NULL;
            return error_set(err, ERR_INTERNAL, NULL, "SHA-256 failed");
        }
        char hex[33];
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        snprintf(d->id, sizeof d->id, "/ID [<%s> <%s>]\n", hex, hex);
    }
    put_original(out, pdf, len);
    return 0;
}

qpdf_data pdf_edit_qpdf(const pdf_edit *ed)
{
    return ed->o.q;
}

qpdf_oh pdf_edit_root(const pdf_edit *ed)
{
    return ed->o.root;
}

int pdf_edit_new_id(pdf_edit *ed)
{
    return ed->next++;
}

buf *pdf_edit_out(pdf_edit *ed)
{
    return ed->out;
}

/* Room in ed's entries for `need` of them: 0, or -1 (ed->failed set) out of memory. */
static int room(pdf_edit *ed, int need)
{
    if (need <= ed->cap)
        return 0;
    int cap = ed->cap ? ed->cap * 2 : 16;
    xref_entry *e =
        cap >= need && cap <= OBJECT_MAX ? realloc(ed->e, (size_t)cap * sizeof *e) : NULL;
    if (!e) {
        ed->failed = 1;
        return -1;
    }
    ed->e = e;
    ed->cap = cap;
    return 0;
}

int pdf_edit_begin(pdf_edit *ed, int id, int gen)
{
    /* One more than this object: the xref stream's own entry, at the end. */
    if (room(ed, ed->n + 2) != 0)
        return -1;
    open_object(ed->out, ed->e, &ed->n, id, gen);
    return 0;
}

void pdf_edit_end(pdf_edit *ed)
{
    buf_puts(ed->out, "\nendobj\n");
}

void pdf_edit_put_keys(pdf_edit *ed, qpdf_oh dict, const char *const *skip)
{
    put_keys(ed->o.q, dict, skip, ed->out);
}

int pdf_edit_close(pdf_edit *ed, error *err)
{
    int rc = -1;
    if (ed->failed || room(ed, ed->n + 1) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
    } else {
        int xref_id = ed->o.xref_stream ? ed->next++ : 0;
        rc = put_xref_trailer(&ed->o, ed->out, ed->e, ed->n, xref_id, ed->next, ed->id, err);
    }
    pdf_edit_free(ed);
    return rc;
}

void pdf_edit_free(pdf_edit *ed)
{
    if (!ed)
        return;
    if (ed->o.q)
        qpdf_cleanup(&ed->o.q);
    free(ed->e);
    free(ed);
}

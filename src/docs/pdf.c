/*
 * pdf — the finishing of a PDF with libqpdf's C API (qpdf-c.h): read from memory, the
 * catalogue's /Lang and /ViewerPreferences set, written back to memory.
 */
#include "docs/pdf.h"

#include <qpdf/qpdf-c.h>
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

int pdf_finish(const void *pdf, size_t len, const char *tag, buf *out, error *err)
{
    if (!lang_ok(tag))
        return error_set(err, ERR_INVALID_ARG, "lang", "not a language tag");
    qpdf_data q = qpdf_init();
    if (!q)
        return error_set(err, ERR_INTERNAL, NULL, "qpdf_init failed");
    int rc = -1;
    /* qpdf prints its errors on stderr unless told not to: they go to err and the log. */
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    if (qpdf_read_memory(q, "document", pdf, len, NULL) & QPDF_ERRORS) {
        error_set(err, ERR_INVALID_ARG, "pdf", "qpdf cannot read it: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh_replace_key(q, root, "/Lang", qpdf_oh_new_unicode_string(q, tag));
    /* cairo 1.16 writes the structure tree but not the flag that says the document is
     * tagged (PDF 32000-1 §14.7.1): readers and pdfinfo would take it for an untagged one. */
    if (qpdf_oh_has_key(q, root, "/StructTreeRoot")) {
        qpdf_oh mark = qpdf_oh_new_dictionary(q);
        qpdf_oh_replace_key(q, mark, "/Marked", qpdf_oh_new_bool(q, QPDF_TRUE));
        qpdf_oh_replace_key(q, root, "/MarkInfo", mark);
    }
    qpdf_oh prefs = qpdf_oh_new_dictionary(q);
    qpdf_oh_replace_key(q, prefs, "/DisplayDocTitle", qpdf_oh_new_bool(q, QPDF_TRUE));
    qpdf_oh_replace_key(q, root, "/ViewerPreferences", prefs);
    if (qpdf_has_error(q)) {
        error_set(err, ERR_INTERNAL, NULL, "qpdf: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    if (qpdf_init_write_memory(q) & QPDF_ERRORS) {
        error_set(err, ERR_INTERNAL, NULL, "qpdf cannot write: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    /* The /ID from the content rather than random: the same letter gives the same bytes. */
    qpdf_set_deterministic_ID(q, QPDF_TRUE);
    /* cairo's streams are compressed already: copied as they are, not inflated and deflated
     * again (a third of a receipt's time otherwise). */
    qpdf_set_decode_level(q, qpdf_dl_none);
    if (qpdf_write(q) & QPDF_ERRORS) {
        error_set(err, ERR_INTERNAL, NULL, "qpdf cannot write: %s",
                  qpdf_get_error_full_text(q, qpdf_get_error(q)));
        goto cleanup;
    }
    if (buf_append(out, qpdf_get_buffer(q), qpdf_get_buffer_length(q)) != 0) {
        error_set(err, ERR_TOO_LARGE, NULL, "the PDF is over its buffer's limit");
        goto cleanup;
    }
    rc = 0;
cleanup:
    qpdf_cleanup(&q);
    return rc;
}

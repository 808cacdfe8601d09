/*
 * pdf — what guichet does to a PDF once it is written, with libqpdf: the finishing cairo cannot
 * do (the document's language, /Lang, which screen readers need to pick their voice; the
 * viewer showing the title rather than the file's name), written back as a clean file that
 * `qpdf --check` accepts. Tomorrow also the check and normalisation of PDFs agents upload.
 */
#ifndef GUICHET_DOCS_PDF_H
#define GUICHET_DOCS_PDF_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Appends to out the PDF pdf[0..len) with the catalogue's /Lang set to tag (BCP 47, e.g.
 * "fr-FR") /ViewerPreferences /DisplayDocTitle true and, when it has a structure tree,
 * /MarkInfo /Marked true (cairo 1.16 leaves it out), its /ID derived from its content
 * (the same input gives the same bytes). 0, or -1 with ERR_INVALID_ARG (arg "pdf": qpdf cannot
 * read it; "lang": not letters, digits and '-'), ERR_TOO_LARGE (out is full). */
int pdf_finish(const void *pdf, size_t len, const char *tag, buf *out, error *err);

#endif

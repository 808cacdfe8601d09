/*
 * pdf — what guichet does to a PDF with libqpdf: the finishing cairo cannot do to its own
 * documents (the document's language, /Lang, which screen readers need to pick their voice;
 * the viewer showing the title rather than the file's name; the QR code's alternative text),
 * and the check and normalisation of PDFs agents upload, rewritten as clean files (one
 * cross-reference, object streams, no encryption) that `qpdf --check` accepts and that a
 * signature can later be added to as an incremental update; and the cut of a range of pages
 * out of a scanned batch into a file of its own (the post room's letters).
 */
#ifndef GUICHET_DOCS_PDF_H
#define GUICHET_DOCS_PDF_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* An image pdf_finish draws on every page: its samples compressed once, as a PDF image
 * stream's (zlib, /FlateDecode), so that each document copies them instead of having cairo
 * compress them again (for a letterhead's logo, a fifth of a receipt's time). */
typedef struct pdf_image {
    int width, height; /* pixels */
    const void *rgb;   /* DeviceRGB, 8 bits a sample, width × height × 3 bytes compressed */
    size_t rgb_len;
    const void *alpha; /* its soft mask: DeviceGray, width × height bytes compressed; NULL when
                          the image is opaque */
    size_t alpha_len;
} pdf_image;

/* Where: the image's lower-left corner (x, y) and size (w, h), in points of PDF user space
 * (origin at the page's lower left). It is drawn under everything else, as an artifact
 * (decoration a screen reader skips). */
typedef struct pdf_stamp {
    const pdf_image *image;
    double x, y, w, h;
} pdf_stamp;

/* Appends to out the PDF pdf[0..len) with the catalogue's /Lang set to tag (BCP 47, e.g.
 * "fr-FR") /ViewerPreferences /DisplayDocTitle true and, when it has a structure tree,
 * /MarkInfo /Marked true (cairo 1.16 leaves it out) and figure_alt (UTF-8; NULL: none) as the
 * /Alt of its Figure elements that have none (cairo 1.16 writes no attribute on a structure
 * element), stamp's image on every page (stamp NULL: none), an /ID derived from its content
 * when it has none (the same input gives the same bytes). Written as an incremental update
 * (sign/pdf_update.h's pdf_edit): pdf's bytes first, untouched, then the new versions of the
 * catalog, of the structure elements given an /Alt and of the stamped pages. 0, or -1 with
 * ERR_INVALID_ARG (arg "pdf": qpdf cannot read it, finds it damaged, or more than 64 objects
 * hold Figures to give an /Alt; "lang": not letters, digits and '-'; "stamp": a place too
 * large to write) or ERR_TOO_LARGE (out is full), out then left as it was. */
int pdf_finish(const void *pdf, size_t len, const char *tag, const char *figure_alt,
               const pdf_stamp *stamp, buf *out, error *err);

/* Builds libqpdf's process-wide state (its crypto provider, made on first use) now, in the
 * calling thread. qpdf destroys that state among the exit handlers, in the reverse order of
 * first use: a process that stops its worker threads from an exit handler (the embedded server
 * of the fuzz and unit tests) calls this before registering that handler, so a worker still
 * writing a PDF when exit() runs does not find it destroyed. 0, or -1 with ERR_INTERNAL. */
int pdf_library_ready(error *err);

/* Bounds of an uploaded PDF's structure, so that no file makes the check unbounded. */
#define PDF_UPLOAD_PAGES_MAX 500
#define PDF_UPLOAD_OBJECTS_MAX 500000
#define PDF_UPLOAD_OBJECT_ID_MAX 8000000 /* the highest object number a file may use */

/* What pdf_normalise found. */
typedef struct pdf_upload_info {
    int pages;
    int repaired; /* qpdf recovered a damaged structure (warnings while reading) */
} pdf_upload_info;

/* Checks the uploaded file pdf[0..len) and appends to out its clean rewrite: every object
 * reachable from the trailer, object streams generated, streams compressed, no encryption,
 * not linearised, an /ID from the content; streams copied without being decoded (a stream
 * that does not decode stays as it came). What qpdf repairs while reading (warnings: a broken
 * cross-reference table, wrong offsets) is accepted, since the rewrite is the repaired file;
 * what it cannot (errors: no trailer, no catalogue, no page tree) is refused. -1 with
 * ERR_INVALID_ARG and arg: "not_pdf" (no %PDF- header in its first 1024 bytes), "damaged" (qpdf
 * cannot read or rewrite it, it has no page, or an object number over PDF_UPLOAD_OBJECT_ID_MAX),
 * "encrypted" (with or without a password to open it), "active" (JavaScript, an XFA form, rich
 * media, or an action that launches, submits, imports or opens embedded content), "embedded" (files
 * embedded or attached), "pages" (over max_pages pages, or over PDF_UPLOAD_OBJECTS_MAX objects);
 * ERR_TOO_LARGE (out is full), ERR_INTERNAL. *info (may be NULL) says what was found. */
int pdf_normalise(const void *pdf, size_t len, int max_pages, buf *out, pdf_upload_info *info,
                  error *err);

/* Appends to out a new PDF holding pages first..last (1-based, inclusive) of pdf[0..len) and
 * what they draw with, nothing else: each page copied into an empty document with the
 * attributes it inherited from its page tree made its own, and whatever of the source it
 * reaches through another page (a link's destination, an annotation's /P) left out — qpdf does
 * not follow a reference into a page it was not asked to copy. The post room's cut of one
 * letter out of a scan of several (core/courrier.h), so that a request receives its sender's
 * pages and nobody else's. Not checked nor cleaned: run pdf_normalise on the result. 0, or -1
 * with ERR_INVALID_ARG: arg "damaged" (qpdf cannot read it or copy a page), "encrypted",
 * "pages" (first..last is not a range of its pages); ERR_TOO_LARGE (out is full),
 * ERR_INTERNAL. */
int pdf_pages(const void *pdf, size_t len, int first, int last, buf *out, error *err);

#endif

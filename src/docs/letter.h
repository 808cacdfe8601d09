/*
 * letter — lays out a letter on a collectivité's letterhead as a tagged PDF with cairo and
 * pango: the letterhead (logo, name, address, contact, the department in charge) and the
 * footer with «page N / M» on every page, then the letter's blocks (title, headings,
 * paragraphs, right-aligned lines, the verification line beside its QR code) flowing over as
 * many pages as they need. Text is UTF-8,
 * broken into lines by pango, drawn with a subset of DejaVu Sans, so that `pdftotext` gives it
 * back exactly. The document carries its title and its structure (cairo ≥ 1.16's tags) and,
 * once finished by pdf.h, its language. No storage, no knowledge of requests: core's
 * documents (core/document.h) say what to write, this module only draws it.
 */
#ifndef GUICHET_DOCS_LETTER_H
#define GUICHET_DOCS_LETTER_H

#include <stddef.h>

#include "docs/page.h"
#include "util/buf.h"
#include "util/error.h"

/* Bounds of what one letter may hold, so that no input makes an unbounded document. */
#define LETTER_BLOCKS_MAX 200
#define LETTER_TEXT_MAX PAGE_TEXT_MAX /* bytes of one block's text */
#define LETTER_PAGES_MAX 40
#define LETTER_PDF_MAX (8 * 1024 * 1024) /* bytes of the finished PDF */

typedef enum letter_kind {
    LETTER_TITLE,     /* the letter's object (structure H1) */
    LETTER_HEADING,   /* a section (H2), kept with the line after it */
    LETTER_PARAGRAPH, /* a paragraph (P); '\n' starts a new line inside it */
    LETTER_RIGHT,     /* a paragraph aligned right: place and date, signatory */
    LETTER_VERIFY,    /* the «vérifiable sur …» paragraph, the QR code of letter.verify at its
                         right, kept together on a page; at most one */
} letter_kind;

typedef struct letter_block {
    letter_kind kind;
    const char *text; /* UTF-8, at most LETTER_TEXT_MAX bytes */
} letter_block;

/* The document's verification: a QR code of url drawn as vector squares beside the
 * LETTER_VERIFY block. The QR code is a Figure of the structure tree whose /Alt is alt, so
 * that a screen reader says what it is. */
typedef struct letter_verify {
    const char *url; /* what the QR code holds, at most LETTER_VERIFY_URL_MAX bytes */
    const char *alt; /* UTF-8, the QR code's alternative text */
} letter_verify;

#define LETTER_VERIFY_URL_MAX 256

typedef struct letter {
    const char *title;     /* the document's title in its metadata (and its viewer's bar) */
    const char *lang;      /* BCP 47, e.g. "fr-FR": the document's /Lang */
    const char *page_word; /* the footer's «page N / M» word: «page», «Page» */
    const letter_block *blocks;
    size_t n_blocks;
    const letter_verify *verify; /* with one LETTER_VERIFY block; NULL: none */
} letter;

/* What letter_render laid out: for tests and logs. */
typedef struct letter_info {
    int pages;
} letter_info;

/* Renders l on head as a finished PDF (tagged, titled, its /Lang set) appended to out (its
 * max should allow LETTER_PDF_MAX). 0, or -1 with ERR_INVALID_ARG (arg "text" for invalid
 * UTF-8, over LETTER_TEXT_MAX or LETTER_BLOCKS_MAX; "verify" for a verification without
 * its URL, its alternative text or its one LETTER_VERIFY block, or with a URL over
 * LETTER_VERIFY_URL_MAX; "pages" when the text needs more than
 * LETTER_PAGES_MAX pages), ERR_TOO_LARGE (out is full)
 * or ERR_INTERNAL (cairo or qpdf failed). *info (may be NULL) says what was laid out. Safe to
 * call from several threads at once: each call has its own surface, and pango's font map is
 * per thread. */
int letter_render(const letter_head *head, const letter *l, buf *out, letter_info *info,
                  error *err);

#endif

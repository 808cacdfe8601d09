/*
 * scan — the post room's reading of scanned letters: the pages of a PDF (rasterised with
 * poppler-glib and cairo at 300 dpi) or of an image (PNG, JPEG, TIFF, decoded by Leptonica)
 * → the text of each page and Tesseract's confidence, through its C API, within bounds
 * (pages, pixels, time); the pages cut into letters at separator pages; and what a letter's
 * text proposes for its request (scan_propose). Below core, like docs/: it reads bytes it is
 * given and never calls the store. Thread-safe: every call makes its own Tesseract engine.
 */
#ifndef GUICHET_SCAN_SCAN_H
#define GUICHET_SCAN_SCAN_H

#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

#define SCAN_DPI 300                   /* the resolution PDF pages are rasterised at */
#define SCAN_MAX_PAGES 50              /* pages of one file */
#define SCAN_MAX_PIXELS 40000000.0     /* one page's raster (A3 at 300 dpi is 17.4 M) */
#define SCAN_PAGE_MS 60000             /* Tesseract's deadline for one page */
#define SCAN_TOTAL_MS (10 * 60 * 1000) /* and for the whole file */
#define SCAN_PAGE_TEXT_MAX (64 * 1024) /* bytes of one page's text kept */

/* Why a file could not be read: the reasons kept with a rejected scan and worded for agents
 * by the pages ("courrier.reason_<name>", scan_problem_name). */
typedef enum scan_problem {
    SCAN_OK = 0,
    SCAN_UNREADABLE, /* not a PDF or image this module decodes, or corrupt */
    SCAN_ENCRYPTED,  /* a PDF protected by a password */
    SCAN_TOO_MANY_PAGES,
    SCAN_TOO_LARGE, /* a page over SCAN_MAX_PIXELS: refused before it is decoded */
    SCAN_TIMEOUT,   /* OCR over its time budget */
    SCAN_NO_TEXT,   /* no page carries text */
    SCAN_ENGINE,    /* Tesseract or its French data could not start (our side) */
    SCAN_PROBLEM_COUNT
} scan_problem;

/* A stable name of a problem ("unreadable", "timeout"…); "" for SCAN_OK. */
const char *scan_problem_name(scan_problem p);

typedef struct scan_limits {
    int max_pages;     /* 0: SCAN_MAX_PAGES */
    double max_pixels; /* 0: SCAN_MAX_PIXELS */
    int page_ms;       /* 0: SCAN_PAGE_MS */
    int total_ms;      /* 0: SCAN_TOTAL_MS */
} scan_limits;

typedef struct scan_page {
    char *text;     /* UTF-8, in the arena; "" on a blank page */
    int confidence; /* Tesseract's mean word confidence, 0–100 (0 on a blank page) */
    int blank;      /* almost no ink: not OCRed */
    int separator;  /* blank, or carrying the word «SÉPARATEUR» */
} scan_page;

typedef struct scan_doc {
    scan_page *pages; /* in the arena */
    size_t n_pages;
} scan_doc;

/* Reads every page of data (a PDF, PNG, JPEG or TIFF; the type from the bytes) within lim
 * (NULL: the defaults); pages and texts in a. 0, or -1 with *problem saying why and err
 * (ERR_INVALID_ARG on "file" for the file's fault, ERR_INTERNAL for SCAN_ENGINE). */
int scan_read(const void *data, size_t len, const scan_limits *lim, arena *a, scan_doc *out,
              scan_problem *problem, error *err);

/* One letter of a document: pages first..last (0-based, inclusive). */
typedef struct scan_letter {
    size_t first, last;
} scan_letter;

/* Cuts d into letters at its separator pages (a separator belongs to no letter; runs of
 * separators, or one at either end, make no empty letter); at most max letters are written
 * to out, the last of them holding every page left when there would be more (no page is
 * ever dropped). Returns the number of letters written (0 when every page is a separator or
 * max is 0). */
size_t scan_split(const scan_doc *d, scan_letter *out, size_t max);

/* The text of pages first..last joined, in a. */
const char *scan_letter_text(const scan_doc *d, const scan_letter *l, arena *a);

/* A TIFF (every page) as a PDF of its images, in a: the form the post room stores a TIFF in,
 * since attachments are PDFs or photos. Bounded as scan_read; -1 with *problem and err. */
int scan_tiff_to_pdf(const void *data, size_t len, arena *a, void **pdf, size_t *pdf_len,
                     scan_problem *problem, error *err);

/* Page 1 of a PDF rendered as a PNG of width `width` pixels (the agents' preview), in a. -1
 * with err when the PDF does not render. */
int scan_pdf_preview_png(const void *data, size_t len, int width, arena *a, void **png,
                         size_t *png_len, error *err);

/* ---- what a letter's text proposes (scan_text.c) ---- */

#define SCAN_FIELD_MAX 200

typedef struct scan_proposals {
    const char *description; /* the text cleaned (blanks folded, noise lines dropped); in a */
    char first_name[SCAN_FIELD_MAX];
    char last_name[SCAN_FIELD_MAX];
    char address[SCAN_FIELD_MAX]; /* street line and postcode line, joined by ", " */
    char email[SCAN_FIELD_MAX];
    char phone[SCAN_FIELD_MAX];     /* E.164; French numbers only */
    char reference[SCAN_FIELD_MAX]; /* a request reference cited ("2026-000123") */
} scan_proposals;

/* Fills out from a letter's text: every field "" when the text offers none. The
 * description is at most desc_max characters (cut at a character boundary). */
void scan_propose(const char *text, size_t desc_max, arena *a, scan_proposals *out);

#endif

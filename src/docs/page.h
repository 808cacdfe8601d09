/*
 * page — what every A4 page guichet draws with cairo and pango shares: the geometry and
 * fonts, text laid out by pango, the collectivité's letterhead at the top and the footer at
 * the bottom. The letters (docs/letter.h) flow over pages of it, the monthly report
 * (docs/report.h) fills one; so both carry the same letterhead, drawn by the same code.
 */
#ifndef GUICHET_DOCS_PAGE_H
#define GUICHET_DOCS_PAGE_H

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stddef.h>

#include "docs/pdf.h"
#include "util/buf.h"
#include "util/error.h"

/* A4 in points (1/72 inch), and the margins the French norm for letters (NF Z 11-001)
 * leaves around the text: 20 mm at the sides. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define PAGE_MARGIN_X 56.69
#define PAGE_MARGIN_TOP 42.52
#define PAGE_CONTENT_W (PAGE_W - 2 * PAGE_MARGIN_X)
#define PAGE_BODY_BOTTOM (PAGE_H - 70.0) /* the footer lives below */
#define PAGE_HEAD_GAP 18.0               /* between the letterhead's rule and the text */
/* Most bytes of one text drawn (a block of a letter, a cell of a report). */
#define PAGE_TEXT_MAX (64 * 1024)

/* One family for every text: DejaVu Sans (fonts-dejavu-core) has every French character
 * («», œ, €, the narrow no-break space) and cairo embeds only the glyphs used. */
#define PAGE_FONT_BODY "DejaVu Sans 9.5"
#define PAGE_FONT_SMALL "DejaVu Sans 8.5"
#define PAGE_FONT_SMALL_BOLD "DejaVu Sans Bold 8.5"
#define PAGE_GREY 0.33 /* the letterhead's and footer's secondary text: 8.6:1 on white */

/* A letterhead's logo made ready once for any number of documents (docs/letter_logo.c): the
 * PNG decoded, its colour and alpha compressed as a PDF image's, so that each document copies
 * them (pdf_finish draws it: page_logo_stamp). Immutable once made: any number of threads may
 * draw with one at once. */
typedef struct letter_logo letter_logo;

/* Most pixels a logo may have. */
#define LETTER_LOGO_PIXELS_MAX (4096 * 4096)

/* png[0..len) made ready: 0 and *out (free it with letter_logo_free), or -1 with
 * ERR_INVALID_ARG, arg "logo" (not a readable PNG, or more than LETTER_LOGO_PIXELS_MAX pixels,
 * said before decoding), or ERR_INTERNAL (out of memory). */
int letter_logo_make(const void *png, size_t len, letter_logo **out, error *err);

/* The image l draws. */
const pdf_image *letter_logo_image(const letter_logo *l);

void letter_logo_free(letter_logo *l);

/* The collectivité's letterhead, repeated at the top of every page. Any string may be NULL
 * (left out) but name. */
typedef struct letter_head {
    const char *name;               /* «Ville de Démo» */
    const char *address;            /* postal address, one line per line */
    const char *contact;            /* one line: phone, e-mail, website */
    const letter_logo *logo;        /* the branding's logo; NULL: none */
    const char *department;         /* the department in charge, shown at the right */
    const char *department_contact; /* its e-mail, under it */
} letter_head;

/* The letterhead laid out once, drawn on every page. */
typedef struct page_head {
    const pdf_image *logo; /* NULL: none; pdf_finish draws it (page_logo_stamp) */
    double logo_w, logo_h;
    PangoLayout *name, *address, *contact, *dept, *dept_contact;
    double right_w; /* the department's column, at the right edge */
    double height;  /* from PAGE_MARGIN_TOP to the rule */
} page_head;

/* Whether s (NULL: yes) is valid UTF-8 of at most PAGE_TEXT_MAX bytes. */
int page_text_ok(const char *s);

/* text laid out in `font` (a pango description), wrapped at width points, aligned. Caller
 * frees with g_object_unref. */
PangoLayout *page_layout(cairo_t *cr, const char *font, const char *text, double width,
                         PangoAlignment align);

/* The height of l in points; 0 for NULL. */
double page_layout_h(PangoLayout *l);

/* Draws l at (x, y), inside a structure tag when tag is not NULL. */
void page_show(cairo_t *cr, PangoLayout *l, double x, double y, const char *tag);

/* Lays h out into *ph (freed with page_head_close); with max_lines > 0, each of its texts
 * shows at most that many lines, the rest cut with «…», so that the letterhead's height is
 * bounded whatever the collectivité typed (a one-page report's); 0: every line (a letter,
 * which flows onto more pages). */
void page_head_open(cairo_t *cr, const letter_head *h, int max_lines, page_head *ph);
void page_head_close(page_head *ph);

/* Where pdf_finish draws ph's logo on every page (its place left free by page_head_draw);
 * its image NULL when there is none. */
pdf_stamp page_logo_stamp(const page_head *ph);

/* The letterhead at the top of a page. Only the first page's is tagged: a screen reader
 * reads who writes once, the repeated ones are left out of the structure (untagged content
 * of a tagged PDF is an artifact to assistive technologies). */
void page_head_draw(cairo_t *cr, const page_head *ph, int first);

/* The footer: a rule, the collectivité's name at the left, «page N / M» at the right (with
 * page_word, NULL: «page»). An artifact (untagged) like the repeated letterheads. */
void page_foot_draw(cairo_t *cr, const char *name, const char *page_word, int page, int pages);

/* A document being drawn, as letters and the monthly report draw theirs: cairo's PDF surface
 * writing into raw, its context, and the letterhead laid out. */
typedef struct page_doc {
    buf raw;
    cairo_surface_t *surf;
    cairo_t *cr;
    page_head head;
} page_doc;

/* Opens d: a PDF surface of A4 pages writing at most max bytes, titled `title` (NULL: ""),
 * its context, and the letterhead h laid out (its texts cut at max_lines, 0: not cut). 0, or
 * -1 with err; d is to be closed either way. */
int page_doc_open(page_doc *d, size_t max, const char *title, const letter_head *h, int max_lines,
                  error *err);

/* Ends d's drawing and appends the finished document to out (pdf_finish: lang_tag, NULL for
 * "fr-FR"; figure_alt; the letterhead's logo). 0, or -1 with err (ERR_TOO_LARGE when the
 * document is over its maximum). */
int page_doc_finish(page_doc *d, const char *lang_tag, const char *figure_alt, buf *out,
                    error *err);

/* Frees what d holds (after page_doc_open, whatever happened since). */
void page_doc_close(page_doc *d);

#endif

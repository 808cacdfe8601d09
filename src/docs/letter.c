/*
 * letter — two passes over one cairo PDF surface: the first lays every block out with pango
 * and places each of its lines on a page (so that the number of pages is known before the
 * footers say «page N / M»), the second draws each page: letterhead, footer, then its lines,
 * each block's lines on a page wrapped in its structure tag, the verification block's QR code
 * at its right. pdf_finish then sets /Lang and the QR code's /Alt.
 */
#include "docs/letter.h"

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs/page.h"
#include "docs/pdf.h"
#include "util/qr.h"

/* The verification's QR code: 18 mm a side, which leaves a module of 0.5 mm or more for a
 * link of up to 60 characters (version 4), what a phone's camera reads at arm's length. The
 * box holds a margin of QR_MARGIN modules; the rest of the quiet zone readers need (4 modules)
 * is the blank around the box: the page's margin at its right, QR_GAP at its left, the space
 * before the block above it. The text beside it takes the rest of the width. */
#define QR_SIDE 50.0
#define QR_MARGIN 1
#define QR_GAP 14.0
#define VERIFY_SPACE 7.0

#define FONT_BODY PAGE_FONT_BODY
#define FONT_TITLE "DejaVu Sans Bold 12"
#define FONT_HEADING "DejaVu Sans Bold 10.5"

typedef struct kind_style {
    const char *font;
    const char *tag; /* PDF standard structure type */
    double space_before;
    PangoAlignment align;
} kind_style;

static const kind_style styles[] = {
    [LETTER_TITLE] = {FONT_TITLE, "H1", 10.0, PANGO_ALIGN_LEFT},
    [LETTER_HEADING] = {FONT_HEADING, "H2", 9.0, PANGO_ALIGN_LEFT},
    [LETTER_PARAGRAPH] = {FONT_BODY, "P", 5.0, PANGO_ALIGN_LEFT},
    [LETTER_RIGHT] = {FONT_BODY, "P", 5.0, PANGO_ALIGN_RIGHT},
    [LETTER_VERIFY] = {FONT_BODY, "P", 5.0, PANGO_ALIGN_LEFT},
};

/* The width a block's text is laid out in: the verification's leaves room for its QR code. */
static double block_width(letter_kind k)
{
    return k == LETTER_VERIFY ? PAGE_CONTENT_W - QR_SIDE - QR_GAP : PAGE_CONTENT_W;
}

/* A line of a block, placed. */
typedef struct placed {
    size_t block;
    int line;
    int page; /* from 1 */
    double x, baseline;
} placed;

/* The first pass: every line of every block placed on a page. *n_out lines into out (which
 * holds the total of the blocks' line counts); -1 with err when over LETTER_PAGES_MAX. */
/* Where the verification's QR code goes: page 0 when the letter has none. */
typedef struct qr_place {
    int page;
    double y;
} qr_place;

static int place_lines(PangoLayout *const *layouts, const letter *l, double body_top, placed *out,
                       size_t *n_out, int *pages, qr_place *qr, error *err)
{
    size_t n = 0;
    int page = 1;
    double y = body_top;
    for (size_t b = 0; b < l->n_blocks; b++) {
        const kind_style *st = &styles[l->blocks[b].kind];
        double before = y > body_top ? st->space_before : 0;
        /* A heading is kept with the first line of what follows it. */
        double need = page_layout_h(layouts[b]);
        if (l->blocks[b].kind == LETTER_HEADING || l->blocks[b].kind == LETTER_TITLE) {
            PangoLayoutIter *it = pango_layout_get_iter(layouts[b]);
            need = 0;
            do {
                PangoRectangle r;
                pango_layout_iter_get_line_extents(it, NULL, &r);
                need += (double)r.height / PANGO_SCALE;
            } while (pango_layout_iter_next_line(it));
            pango_layout_iter_free(it);
            if (b + 1 < l->n_blocks) {
                PangoLayoutLine *first = pango_layout_get_line_readonly(layouts[b + 1], 0);
                PangoRectangle r;
                pango_layout_line_get_extents(first, NULL, &r);
                need += styles[l->blocks[b + 1].kind].space_before + (double)r.height / PANGO_SCALE;
            }
            if (y > body_top && y + before + need > PAGE_BODY_BOTTOM) {
                page++;
                y = body_top;
                before = 0;
            }
        } else if (l->blocks[b].kind == LETTER_VERIFY) {
            /* The line and its QR code stay together, on a new page when they do not fit. */
            if (need < QR_SIDE)
                need = QR_SIDE;
            if (y > body_top && y + before + need > PAGE_BODY_BOTTOM) {
                page++;
                y = body_top;
                before = 0;
            }
            qr->page = page;
            qr->y = y + before;
        }
        y += before;
        double block_top = y;
        PangoLayoutIter *it = pango_layout_get_iter(layouts[b]);
        int line = 0;
        do {
            PangoRectangle r;
            pango_layout_iter_get_line_extents(it, NULL, &r);
            double top = (double)r.y / PANGO_SCALE;
            double h = (double)r.height / PANGO_SCALE;
            double base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
            if (y > body_top && y + h > PAGE_BODY_BOTTOM) {
                page++;
                y = body_top;
            }
            out[n].block = b;
            out[n].line = line++;
            out[n].page = page;
            out[n].x = PAGE_MARGIN_X + (double)r.x / PANGO_SCALE;
            out[n].baseline = y + (base - top);
            n++;
            y += h;
        } while (pango_layout_iter_next_line(it));
        pango_layout_iter_free(it);
        if (l->blocks[b].kind == LETTER_VERIFY && y < block_top + QR_SIDE)
            y = block_top + QR_SIDE;
        if (page > LETTER_PAGES_MAX)
            return error_set(err, ERR_INVALID_ARG, "pages", "the letter needs more than %d pages",
                             LETTER_PAGES_MAX);
    }
    *n_out = n;
    *pages = page;
    return 0;
}

/* Cairo's side of util/qr.h: the module's size from the symbol's width, then one rectangle
 * per run, filled at once. */
typedef struct qr_draw {
    cairo_t *cr;
    double x, y, module;
} qr_draw;

static int qr_begin(void *ctx, int width)
{
    qr_draw *q = ctx;
    q->module = QR_SIDE / (width + 2 * QR_MARGIN);
    return 0;
}

static int qr_run(void *ctx, int x, int y, int len)
{
    qr_draw *q = ctx;
    cairo_rectangle(q->cr, q->x + (x + QR_MARGIN) * q->module, q->y + (y + QR_MARGIN) * q->module,
                    len * q->module, q->module);
    return 0;
}

/* The verification's QR code at the right of its line, a Figure of the structure tree
 * (pdf_finish gives it its /Alt). */
static int qr_draw_at(cairo_t *cr, const qr_place *p, const letter_verify *lv)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    qr_draw q = {cr, PAGE_MARGIN_X + PAGE_CONTENT_W - QR_SIDE, p->y, 0};
    cairo_tag_begin(cr, "Figure", "");
    int rc = qr_runs(lv->url, qr_begin, qr_run, &q);
    cairo_fill(cr);
    cairo_tag_end(cr, "Figure");
    return rc;
}

/* The second pass: page after page, the letterhead, the footer and the page's lines, each
 * block's run of lines on the page in its own tag (a tag never spans a page: cairo writes it
 * as marked content of one page's stream). */
static int draw_pages(cairo_t *cr, const letter_head *h, const page_head *hl,
                      PangoLayout *const *layouts, const letter *l, const placed *pl, size_t n,
                      int pages, const qr_place *qr)
{
    size_t i = 0;
    for (int page = 1; page <= pages; page++) {
        page_head_draw(cr, hl, page == 1);
        page_foot_draw(cr, h->name, l->page_word, page, pages);
        const char *open = NULL;
        size_t open_block = 0;
        for (; i < n && pl[i].page == page; i++) {
            if (open && open_block != pl[i].block) {
                cairo_tag_end(cr, open);
                open = NULL;
            }
            if (!open) {
                open = styles[l->blocks[pl[i].block].kind].tag;
                open_block = pl[i].block;
                cairo_tag_begin(cr, open, "");
            }
            PangoLayoutLine *line =
                pango_layout_get_line_readonly(layouts[pl[i].block], pl[i].line);
            cairo_move_to(cr, pl[i].x, pl[i].baseline);
            pango_cairo_show_layout_line(cr, line);
        }
        if (open)
            cairo_tag_end(cr, open);
        if (qr->page == page && qr_draw_at(cr, qr, l->verify) != 0)
            return -1;
        cairo_show_page(cr);
    }
    return 0;
}

int letter_render(const letter_head *head, const letter *l, buf *out, letter_info *info, error *err)
{
    if (!head->name || !page_text_ok(head->name) || !page_text_ok(head->address) ||
        !page_text_ok(head->contact) || !page_text_ok(head->department) ||
        !page_text_ok(head->department_contact) || !page_text_ok(l->title) ||
        !page_text_ok(l->page_word))
        return error_set(err, ERR_INVALID_ARG, "text", "a letterhead's text is not valid UTF-8");
    if (l->n_blocks > LETTER_BLOCKS_MAX)
        return error_set(err, ERR_INVALID_ARG, "text", "more than %d blocks", LETTER_BLOCKS_MAX);
    for (size_t b = 0; b < l->n_blocks; b++)
        if (!l->blocks[b].text || !page_text_ok(l->blocks[b].text) ||
            (unsigned)l->blocks[b].kind > LETTER_VERIFY)
            return error_set(err, ERR_INVALID_ARG, "text", "block %zu is not valid UTF-8 text", b);
    size_t n_verify = 0;
    for (size_t b = 0; b < l->n_blocks; b++)
        n_verify += l->blocks[b].kind == LETTER_VERIFY;
    const letter_verify *lv = l->verify;
    if (n_verify != (lv ? 1u : 0u) ||
        (lv && (!lv->url || !*lv->url || strlen(lv->url) > LETTER_VERIFY_URL_MAX || !lv->alt ||
                !*lv->alt || !page_text_ok(lv->alt))))
        return error_set(err, ERR_INVALID_ARG, "verify",
                         "a verification is one LETTER_VERIFY block with its URL (at most %d "
                         "bytes) and alternative text",
                         LETTER_VERIFY_URL_MAX);

    int rc = -1;
    PangoLayout **layouts = NULL;
    placed *pl = NULL;
    qr_place qr = {0};
    page_doc d;
    if (page_doc_open(&d, LETTER_PDF_MAX, l->title, head, 0, err) != 0)
        goto cleanup;
    cairo_t *cr = d.cr;
    double body_top = PAGE_MARGIN_TOP + d.head.height + PAGE_HEAD_GAP;

    layouts = calloc(l->n_blocks ? l->n_blocks : 1, sizeof *layouts);
    if (!layouts) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    size_t lines = 0;
    for (size_t b = 0; b < l->n_blocks; b++) {
        const kind_style *st = &styles[l->blocks[b].kind];
        layouts[b] =
            page_layout(cr, st->font, l->blocks[b].text, block_width(l->blocks[b].kind), st->align);
        lines += (size_t)pango_layout_get_line_count(layouts[b]);
    }
    pl = calloc(lines ? lines : 1, sizeof *pl);
    if (!pl) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    size_t n = 0;
    int pages = 1;
    if (place_lines(layouts, l, body_top, pl, &n, &pages, &qr, err) != 0)
        goto cleanup;
    if (draw_pages(cr, head, &d.head, layouts, l, pl, n, pages, &qr) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the verification URL does not fit in a QR code");
        goto cleanup;
    }
    if (page_doc_finish(&d, l->lang, lv ? lv->alt : NULL, out, err) != 0)
        goto cleanup;
    if (info)
        info->pages = pages;
    rc = 0;
cleanup:
    free(pl);
    if (layouts)
        for (size_t b = 0; b < l->n_blocks; b++)
            if (layouts[b])
                g_object_unref(layouts[b]);
    free(layouts);
    page_doc_close(&d);
    return rc;
}

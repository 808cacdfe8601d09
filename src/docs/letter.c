/*
 * letter — two passes over one cairo PDF surface: the first lays every block out with pango
 * and places each of its lines on a page (so that the number of pages is known before the
 * footers say «page N / M»), the second draws each page: letterhead, footer, then its lines,
 * each block's lines on a page wrapped in its structure tag, the verification block's QR code
 * at its right. pdf_finish then sets /Lang and the QR code's /Alt.
 */
#include "docs/letter.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs/pdf.h"
#include "util/qr.h"
#include "util/utf8.h"

/* A4 in points (1/72 inch), and the margins the French norm for letters (NF Z 11-001)
 * leaves around the text: 20 mm at the sides. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define MARGIN_X 56.69
#define MARGIN_TOP 42.52
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define BODY_BOTTOM (PAGE_H - 70.0) /* the footer lives below */
#define FOOTER_RULE_Y (PAGE_H - 52.0)
#define FOOTER_Y (PAGE_H - 46.0)
#define HEAD_GAP 18.0 /* between the letterhead's rule and the text */
#define LOGO_MAX_H 56.0
#define LOGO_MAX_W 112.0
#define LOGO_GAP 12.0
/* The verification's QR code: 18 mm a side, which leaves a module of 0.5 mm or more for a
 * link of up to 60 characters (version 4), what a phone's camera reads at arm's length. The
 * box holds a margin of QR_MARGIN modules; the rest of the quiet zone readers need (4 modules)
 * is the blank around the box: the page's margin at its right, QR_GAP at its left, the space
 * before the block above it. The text beside it takes the rest of the width. */
#define QR_SIDE 50.0
#define QR_MARGIN 1
#define QR_GAP 14.0
#define VERIFY_SPACE 7.0

/* One family for every text: DejaVu Sans (fonts-dejavu-core) has every French character
 * («», œ, €, the narrow no-break space) and cairo embeds only the glyphs used. */
#define FONT_BODY "DejaVu Sans 9.5"
#define FONT_TITLE "DejaVu Sans Bold 12"
#define FONT_HEADING "DejaVu Sans Bold 10.5"
#define FONT_NAME "DejaVu Sans Bold 12"
#define FONT_SMALL "DejaVu Sans 8.5"
#define FONT_SMALL_BOLD "DejaVu Sans Bold 8.5"

#define GREY 0.33 /* the letterhead's and footer's secondary text: 8.6:1 on white */

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
    return k == LETTER_VERIFY ? CONTENT_W - QR_SIDE - QR_GAP : CONTENT_W;
}

/* A line of a block, placed. */
typedef struct placed {
    size_t block;
    int line;
    int page; /* from 1 */
    double x, baseline;
} placed;

/* The letterhead's pieces, laid out once and drawn on every page. */
typedef struct head_layout {
    double logo_w, logo_h; /* 0: no logo (pdf_finish draws it: see letter_logo.c) */
    PangoLayout *name, *address, *contact, *dept, *dept_contact;
    double right_w; /* the department's column, at the right edge */
    double height;  /* from MARGIN_TOP to the rule */
} head_layout;

static int text_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n <= LETTER_TEXT_MAX && (n == 0 || utf8_valid(s, n));
}

static PangoLayout *make_layout(cairo_t *cr, const char *font, const char *text, double width,
                                PangoAlignment align)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    pango_layout_set_text(l, text, -1);
    return l;
}

static double layout_h(PangoLayout *l)
{
    if (!l)
        return 0;
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)h / PANGO_SCALE;
}

static cairo_status_t write_buf(void *ctx, const unsigned char *data, unsigned int length)
{
    return buf_append(ctx, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void head_open(cairo_t *cr, const letter_head *h, head_layout *hl)
{
    memset(hl, 0, sizeof *hl);
    double text_x = 0;
    if (h->logo) {
        const pdf_image *im = letter_logo_image(h->logo);
        double w = im->width, ht = im->height;
        double scale = LOGO_MAX_H / ht;
        if (w * scale > LOGO_MAX_W)
            scale = LOGO_MAX_W / w;
        hl->logo_w = w * scale;
        hl->logo_h = ht * scale;
        text_x = hl->logo_w + LOGO_GAP;
    }
    /* The left column (name, address, contact) takes 60 % of the width after the logo, the
     * department the rest, aligned right. */
    double left_w = (CONTENT_W - text_x) * 0.6;
    double right_w = CONTENT_W - text_x - left_w - 8.0;
    hl->right_w = right_w;
    hl->name = make_layout(cr, FONT_NAME, h->name, left_w, PANGO_ALIGN_LEFT);
    if (h->address && *h->address)
        hl->address = make_layout(cr, FONT_SMALL, h->address, left_w, PANGO_ALIGN_LEFT);
    if (h->contact && *h->contact)
        hl->contact = make_layout(cr, FONT_SMALL, h->contact, left_w, PANGO_ALIGN_LEFT);
    if (h->department && *h->department)
        hl->dept = make_layout(cr, FONT_SMALL_BOLD, h->department, right_w, PANGO_ALIGN_RIGHT);
    if (h->department_contact && *h->department_contact)
        hl->dept_contact =
            make_layout(cr, FONT_SMALL, h->department_contact, right_w, PANGO_ALIGN_RIGHT);
    double left = layout_h(hl->name) + 3 + layout_h(hl->address) + 2 + layout_h(hl->contact);
    double right = layout_h(hl->dept) + 2 + layout_h(hl->dept_contact);
    hl->height = left > right ? left : right;
    if (hl->logo_h > hl->height)
        hl->height = hl->logo_h;
    hl->height += 8.0;
}

static void head_close(head_layout *hl)
{
    PangoLayout *ls[] = {hl->name, hl->address, hl->contact, hl->dept, hl->dept_contact};
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
        if (ls[i])
            g_object_unref(ls[i]);
}

/* Draws l at (x, y), inside a structure tag when tag is not NULL. */
static void show(cairo_t *cr, PangoLayout *l, double x, double y, const char *tag)
{
    if (!l)
        return;
    if (tag)
        cairo_tag_begin(cr, tag, "");
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    if (tag)
        cairo_tag_end(cr, tag);
}

/* The letterhead at the top of a page. Only the first page's is tagged: a screen reader
 * reads who writes once, the repeated ones are left out of the structure (untagged content
 * of a tagged PDF is an artifact to assistive technologies). */
static void head_draw(cairo_t *cr, const head_layout *hl, int first)
{
    const char *tag = first ? "P" : NULL;
    double x = MARGIN_X;
    /* The logo's place: pdf_finish draws it there. */
    if (hl->logo_w > 0)
        x += hl->logo_w + LOGO_GAP;
    double y = MARGIN_TOP;
    cairo_set_source_rgb(cr, 0, 0, 0);
    show(cr, hl->name, x, y, tag);
    y += layout_h(hl->name) + 3;
    cairo_set_source_rgb(cr, GREY, GREY, GREY);
    show(cr, hl->address, x, y, tag);
    y += layout_h(hl->address) + 2;
    show(cr, hl->contact, x, y, tag);
    if (hl->dept) {
        /* The layouts are as wide as the column and aligned right inside it. */
        double rx = MARGIN_X + CONTENT_W - hl->right_w;
        cairo_set_source_rgb(cr, 0, 0, 0);
        show(cr, hl->dept, rx, MARGIN_TOP, tag);
        if (hl->dept_contact) {
            cairo_set_source_rgb(cr, GREY, GREY, GREY);
            show(cr, hl->dept_contact, rx, MARGIN_TOP + layout_h(hl->dept) + 2, tag);
        }
    }
    cairo_set_source_rgb(cr, GREY, GREY, GREY);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, MARGIN_X, MARGIN_TOP + hl->height);
    cairo_line_to(cr, MARGIN_X + CONTENT_W, MARGIN_TOP + hl->height);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

/* The footer: a rule, the collectivité's name at the left, «page N / M» at the right. An
 * artifact (untagged) like the repeated letterheads. */
static void foot_draw(cairo_t *cr, const letter_head *h, const letter *l, int page, int pages)
{
    cairo_set_source_rgb(cr, GREY, GREY, GREY);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, MARGIN_X, FOOTER_RULE_Y);
    cairo_line_to(cr, MARGIN_X + CONTENT_W, FOOTER_RULE_Y);
    cairo_stroke(cr);
    PangoLayout *name = make_layout(cr, FONT_SMALL, h->name, CONTENT_W * 0.7, PANGO_ALIGN_LEFT);
    pango_layout_set_ellipsize(name, PANGO_ELLIPSIZE_END);
    cairo_move_to(cr, MARGIN_X, FOOTER_Y);
    pango_cairo_show_layout(cr, name);
    g_object_unref(name);
    char label[64];
    snprintf(label, sizeof label, "%s %d / %d", l->page_word ? l->page_word : "page", page, pages);
    PangoLayout *num = make_layout(cr, FONT_SMALL, label, CONTENT_W * 0.3, PANGO_ALIGN_RIGHT);
    cairo_move_to(cr, MARGIN_X + CONTENT_W * 0.7, FOOTER_Y);
    pango_cairo_show_layout(cr, num);
    g_object_unref(num);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

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
        double need = layout_h(layouts[b]);
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
            if (y > body_top && y + before + need > BODY_BOTTOM) {
                page++;
                y = body_top;
                before = 0;
            }
        } else if (l->blocks[b].kind == LETTER_VERIFY) {
            /* The line and its QR code stay together, on a new page when they do not fit. */
            if (need < QR_SIDE)
                need = QR_SIDE;
            if (y > body_top && y + before + need > BODY_BOTTOM) {
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
            if (y > body_top && y + h > BODY_BOTTOM) {
                page++;
                y = body_top;
            }
            out[n].block = b;
            out[n].line = line++;
            out[n].page = page;
            out[n].x = MARGIN_X + (double)r.x / PANGO_SCALE;
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
    qr_draw q = {cr, MARGIN_X + CONTENT_W - QR_SIDE, p->y, 0};
    cairo_tag_begin(cr, "Figure", "");
    int rc = qr_runs(lv->url, qr_begin, qr_run, &q);
    cairo_fill(cr);
    cairo_tag_end(cr, "Figure");
    return rc;
}

/* The second pass: page after page, the letterhead, the footer and the page's lines, each
 * block's run of lines on the page in its own tag (a tag never spans a page: cairo writes it
 * as marked content of one page's stream). */
static int draw_pages(cairo_t *cr, const letter_head *h, const head_layout *hl,
                      PangoLayout *const *layouts, const letter *l, const placed *pl, size_t n,
                      int pages, const qr_place *qr)
{
    size_t i = 0;
    for (int page = 1; page <= pages; page++) {
        head_draw(cr, hl, page == 1);
        foot_draw(cr, h, l, page, pages);
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
    if (!head->name || !text_ok(head->name) || !text_ok(head->address) || !text_ok(head->contact) ||
        !text_ok(head->department) || !text_ok(head->department_contact) || !text_ok(l->title) ||
        !text_ok(l->page_word))
        return error_set(err, ERR_INVALID_ARG, "text", "a letterhead's text is not valid UTF-8");
    if (l->n_blocks > LETTER_BLOCKS_MAX)
        return error_set(err, ERR_INVALID_ARG, "text", "more than %d blocks", LETTER_BLOCKS_MAX);
    for (size_t b = 0; b < l->n_blocks; b++)
        if (!l->blocks[b].text || !text_ok(l->blocks[b].text) ||
            (unsigned)l->blocks[b].kind > LETTER_VERIFY)
            return error_set(err, ERR_INVALID_ARG, "text", "block %zu is not valid UTF-8 text", b);
    size_t n_verify = 0;
    for (size_t b = 0; b < l->n_blocks; b++)
        n_verify += l->blocks[b].kind == LETTER_VERIFY;
    const letter_verify *lv = l->verify;
    if (n_verify != (lv ? 1u : 0u) ||
        (lv && (!lv->url || !*lv->url || strlen(lv->url) > LETTER_VERIFY_URL_MAX || !lv->alt ||
                !*lv->alt || !text_ok(lv->alt))))
        return error_set(err, ERR_INVALID_ARG, "verify",
                         "a verification is one LETTER_VERIFY block with its URL (at most %d "
                         "bytes) and alternative text",
                         LETTER_VERIFY_URL_MAX);

    int rc = -1;
    buf raw;
    buf_init(&raw, LETTER_PDF_MAX);
    PangoLayout **layouts = NULL;
    placed *pl = NULL;
    qr_place qr = {0};
    head_layout hl;
    memset(&hl, 0, sizeof hl);
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(write_buf, &raw, PAGE_W, PAGE_H);
    cairo_t *cr = cairo_create(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        error_set(err, ERR_INTERNAL, NULL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
        goto cleanup;
    }
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, l->title ? l->title : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "guichet");
    head_open(cr, head, &hl);
    double body_top = MARGIN_TOP + hl.height + HEAD_GAP;

    layouts = calloc(l->n_blocks ? l->n_blocks : 1, sizeof *layouts);
    if (!layouts) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    size_t lines = 0;
    for (size_t b = 0; b < l->n_blocks; b++) {
        const kind_style *st = &styles[l->blocks[b].kind];
        layouts[b] =
            make_layout(cr, st->font, l->blocks[b].text, block_width(l->blocks[b].kind), st->align);
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
    if (draw_pages(cr, head, &hl, layouts, l, pl, n, pages, &qr) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the verification URL does not fit in a QR code");
        goto cleanup;
    }
    cairo_destroy(cr);
    cr = NULL;
    cairo_surface_finish(surf);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS || raw.failed) {
        error_set(err, raw.failed ? ERR_TOO_LARGE : ERR_INTERNAL, NULL, "cairo: %s",
                  cairo_status_to_string(cairo_surface_status(surf)));
        goto cleanup;
    }
    pdf_stamp logo = {
        .image = head->logo ? letter_logo_image(head->logo) : NULL,
        .x = MARGIN_X,
        .y = PAGE_H - MARGIN_TOP - hl.logo_h,
        .w = hl.logo_w,
        .h = hl.logo_h,
    };
    if (pdf_finish(raw.data, raw.len, l->lang ? l->lang : "fr-FR", lv ? lv->alt : NULL,
                   logo.image ? &logo : NULL, out, err) != 0)
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
    head_close(&hl);
    if (cr)
        cairo_destroy(cr);
    cairo_surface_destroy(surf);
    buf_free(&raw);
    return rc;
}

/*
 * page — see page.h: the letterhead's pieces are laid out with pango once per document and
 * drawn on each page; the logo, made ready once (letter_logo.c), is left to pdf_finish, which
 * copies its compressed image into the document.
 */
#include "docs/page.h"

#include <cairo-pdf.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

#define FONT_NAME "DejaVu Sans Bold 12"
#define FOOTER_RULE_Y (PAGE_H - 52.0)
#define FOOTER_Y (PAGE_H - 46.0)
#define LOGO_MAX_H 56.0
#define LOGO_MAX_W 112.0
#define LOGO_GAP 12.0

int page_text_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n <= PAGE_TEXT_MAX && (n == 0 || utf8_valid(s, n));
}

/* Sets text as l's, drawn so that each font is embedded once and the text reads back as it
 * was written. cairo writes the glyphs of characters outside WinAnsi into a second subset of
 * the same font (a CID font, carrying the whole of DejaVu's hinting tables again): pango's
 * «ﬁ» ligature and the no-break space (which cairo keeps out of WinAnsi) each cost a receipt
 * a font. So ligatures are off (the text extracts as «fi», not U+FB01), and a no-break space
 * is drawn as a space where pango may not break the line. */
static void set_text(PangoLayout *l, const char *text)
{
    if (!text)
        text = "";
    PangoAttrList *attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_font_features_new("liga=0"));
    GString *t = g_string_sized_new(strlen(text));
    for (const char *c = text; *c; c++) {
        if ((unsigned char)c[0] == 0xC2 && (unsigned char)c[1] == 0xA0) {
            /* The space and the character after it: no break between them. */
            PangoAttribute *keep = pango_attr_allow_breaks_new(FALSE);
            keep->start_index = (guint)t->len;
            keep->end_index = (guint)t->len + 1 + (c[2] ? (guint)g_utf8_skip[(guchar)c[2]] : 0);
            pango_attr_list_insert(attrs, keep);
            g_string_append_c(t, ' ');
            c++;
        } else {
            g_string_append_c(t, *c);
        }
    }
    pango_layout_set_text(l, t->str, (int)t->len);
    pango_layout_set_attributes(l, attrs);
    pango_attr_list_unref(attrs);
    g_string_free(t, TRUE);
}

PangoLayout *page_layout(cairo_t *cr, const char *font, const char *text, double width,
                         PangoAlignment align)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    set_text(l, text);
    return l;
}

double page_layout_h(PangoLayout *l)
{
    if (!l)
        return 0;
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)h / PANGO_SCALE;
}

void page_show(cairo_t *cr, PangoLayout *l, double x, double y, const char *tag)
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

/* cairo's write function appending to the buf passed as its closure. */
static cairo_status_t write_buf(void *ctx, const unsigned char *data, unsigned int length)
{
    return buf_append(ctx, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* A letterhead's text laid out as page_layout does, cut to max_lines lines (0: all) with «…».
 * pango counts the lines of a negative height per paragraph, so the text's line breaks become
 * «, » first (before set_text reads it: its no-break spaces keep their place): an address of
 * five lines is one paragraph cut at max_lines. */
static PangoLayout *head_layout(cairo_t *cr, const char *font, const char *text, double width,
                                PangoAlignment align, int max_lines)
{
    if (max_lines <= 0 || !text)
        return page_layout(cr, font, text, width, align);
    GString *one = g_string_new(NULL);
    for (const char *c = text; *c; c++) {
        if (*c == '\r')
            continue;
        if (*c == '\n')
            g_string_append(one, ", ");
        else
            g_string_append_c(one, *c);
    }
    PangoLayout *l = page_layout(cr, font, one->str, width, align);
    g_string_free(one, TRUE);
    pango_layout_set_height(l, -max_lines);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    return l;
}

void page_head_open(cairo_t *cr, const letter_head *h, int max_lines, page_head *ph)
{
    memset(ph, 0, sizeof *ph);
    double text_x = 0;
    if (h->logo) {
        ph->logo = letter_logo_image(h->logo);
        double w = ph->logo->width, ht = ph->logo->height;
        double scale = LOGO_MAX_H / ht;
        if (w * scale > LOGO_MAX_W)
            scale = LOGO_MAX_W / w;
        ph->logo_w = w * scale;
        ph->logo_h = ht * scale;
        text_x = ph->logo_w + LOGO_GAP;
    }
    /* The left column (name, address, contact) takes 60 % of the width after the logo, the
     * department the rest, aligned right. */
    double left_w = (PAGE_CONTENT_W - text_x) * 0.6;
    double right_w = PAGE_CONTENT_W - text_x - left_w - 8.0;
    ph->right_w = right_w;
    ph->name = head_layout(cr, FONT_NAME, h->name, left_w, PANGO_ALIGN_LEFT, max_lines);
    if (h->address && *h->address)
        ph->address =
            head_layout(cr, PAGE_FONT_SMALL, h->address, left_w, PANGO_ALIGN_LEFT, max_lines);
    if (h->contact && *h->contact)
        ph->contact =
            head_layout(cr, PAGE_FONT_SMALL, h->contact, left_w, PANGO_ALIGN_LEFT, max_lines);
    if (h->department && *h->department)
        ph->dept = head_layout(cr, PAGE_FONT_SMALL_BOLD, h->department, right_w, PANGO_ALIGN_RIGHT,
                               max_lines);
    if (h->department_contact && *h->department_contact)
        ph->dept_contact = head_layout(cr, PAGE_FONT_SMALL, h->department_contact, right_w,
                                       PANGO_ALIGN_RIGHT, max_lines);
    double left =
        page_layout_h(ph->name) + 3 + page_layout_h(ph->address) + 2 + page_layout_h(ph->contact);
    double right = page_layout_h(ph->dept) + 2 + page_layout_h(ph->dept_contact);
    ph->height = left > right ? left : right;
    if (ph->logo_h > ph->height)
        ph->height = ph->logo_h;
    ph->height += 8.0;
}

void page_head_close(page_head *ph)
{
    PangoLayout *ls[] = {ph->name, ph->address, ph->contact, ph->dept, ph->dept_contact};
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++)
        if (ls[i])
            g_object_unref(ls[i]);
    memset(ph, 0, sizeof *ph);
}

pdf_stamp page_logo_stamp(const page_head *ph)
{
    return (pdf_stamp){
        .image = ph->logo,
        .x = PAGE_MARGIN_X,
        .y = PAGE_H - PAGE_MARGIN_TOP - ph->logo_h,
        .w = ph->logo_w,
        .h = ph->logo_h,
    };
}

void page_head_draw(cairo_t *cr, const page_head *ph, int first)
{
    const char *tag = first ? "P" : NULL;
    double x = PAGE_MARGIN_X;
    /* The logo's place: pdf_finish draws it there (page_logo_stamp). */
    if (ph->logo)
        x += ph->logo_w + LOGO_GAP;
    double y = PAGE_MARGIN_TOP;
    cairo_set_source_rgb(cr, 0, 0, 0);
    page_show(cr, ph->name, x, y, tag);
    y += page_layout_h(ph->name) + 3;
    cairo_set_source_rgb(cr, PAGE_GREY, PAGE_GREY, PAGE_GREY);
    page_show(cr, ph->address, x, y, tag);
    y += page_layout_h(ph->address) + 2;
    page_show(cr, ph->contact, x, y, tag);
    if (ph->dept) {
        /* The layouts are as wide as the column and aligned right inside it. */
        double rx = PAGE_MARGIN_X + PAGE_CONTENT_W - ph->right_w;
        cairo_set_source_rgb(cr, 0, 0, 0);
        page_show(cr, ph->dept, rx, PAGE_MARGIN_TOP, tag);
        if (ph->dept_contact) {
            cairo_set_source_rgb(cr, PAGE_GREY, PAGE_GREY, PAGE_GREY);
            page_show(cr, ph->dept_contact, rx, PAGE_MARGIN_TOP + page_layout_h(ph->dept) + 2, tag);
        }
    }
    cairo_set_source_rgb(cr, PAGE_GREY, PAGE_GREY, PAGE_GREY);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, PAGE_MARGIN_X, PAGE_MARGIN_TOP + ph->height);
    cairo_line_to(cr, PAGE_MARGIN_X + PAGE_CONTENT_W, PAGE_MARGIN_TOP + ph->height);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

void page_foot_draw(cairo_t *cr, const char *name, const char *page_word, int page, int pages)
{
    cairo_set_source_rgb(cr, PAGE_GREY, PAGE_GREY, PAGE_GREY);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, PAGE_MARGIN_X, FOOTER_RULE_Y);
    cairo_line_to(cr, PAGE_MARGIN_X + PAGE_CONTENT_W, FOOTER_RULE_Y);
    cairo_stroke(cr);
    PangoLayout *l = page_layout(cr, PAGE_FONT_SMALL, name, PAGE_CONTENT_W * 0.7, PANGO_ALIGN_LEFT);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    cairo_move_to(cr, PAGE_MARGIN_X, FOOTER_Y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    char label[64];
    snprintf(label, sizeof label, "%s %d / %d", page_word ? page_word : "page", page, pages);
    PangoLayout *num =
        page_layout(cr, PAGE_FONT_SMALL, label, PAGE_CONTENT_W * 0.3, PANGO_ALIGN_RIGHT);
    cairo_move_to(cr, PAGE_MARGIN_X + PAGE_CONTENT_W * 0.7, FOOTER_Y);
    pango_cairo_show_layout(cr, num);
    g_object_unref(num);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

int page_doc_open(page_doc *d, size_t max, const char *title, const letter_head *h, int max_lines,
                  error *err)
{
    memset(d, 0, sizeof *d);
    buf_init(&d->raw, max);
    d->surf = cairo_pdf_surface_create_for_stream(write_buf, &d->raw, PAGE_W, PAGE_H);
    d->cr = cairo_create(d->surf);
    if (cairo_status(d->cr) != CAIRO_STATUS_SUCCESS)
        return error_set(err, ERR_INTERNAL, NULL, "cairo: %s",
                         cairo_status_to_string(cairo_status(d->cr)));
    cairo_pdf_surface_set_metadata(d->surf, CAIRO_PDF_METADATA_TITLE, title ? title : "");
    cairo_pdf_surface_set_metadata(d->surf, CAIRO_PDF_METADATA_CREATOR, "guichet");
    page_head_open(d->cr, h, max_lines, &d->head);
    return 0;
}

int page_doc_finish(page_doc *d, const char *lang_tag, const char *figure_alt, buf *out, error *err)
{
    cairo_destroy(d->cr);
    d->cr = NULL;
    cairo_surface_finish(d->surf);
    if (cairo_surface_status(d->surf) != CAIRO_STATUS_SUCCESS || d->raw.failed)
        return error_set(err, d->raw.failed ? ERR_TOO_LARGE : ERR_INTERNAL, NULL, "cairo: %s",
                         cairo_status_to_string(cairo_surface_status(d->surf)));
    pdf_stamp logo = page_logo_stamp(&d->head);
    return pdf_finish(d->raw.data, d->raw.len, lang_tag ? lang_tag : "fr-FR", figure_alt,
                      logo.image ? &logo : NULL, out, err);
}

void page_doc_close(page_doc *d)
{
    page_head_close(&d->head);
    if (d->cr)
        cairo_destroy(d->cr);
    if (d->surf)
        cairo_surface_destroy(d->surf);
    d->cr = NULL;
    d->surf = NULL;
    buf_free(&d->raw);
}

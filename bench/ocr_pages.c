/*
 * ocr_pages — the post room's benchmark (bench/run scenario "ocr"): PAGES dense A4 letters
 * (35 lines of French text each) drawn by cairo and pango into a PDF in memory, then read by
 * scan_read as the OCR job reads a scan (300 dpi, Tesseract in French, one thread). Prints one
 * line of key=value pairs for bench/run; exits 1 when a page does not read. With OUT.pdf, the
 * same PDF is written there first, for bench/run's reference (poppler's pdftoppm and the
 * tesseract command on the very same pages).
 *
 * usage: ocr_pages [PAGES [OUT.pdf]]   (default 6)
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan/scan.h"
#include "util/buf.h"

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* One page of a letter, 11 pt DejaVu Sans in a 17 cm column. */
static void draw_page(cairo_t *cr, int page)
{
    buf text;
    buf_init(&text, 16 * 1024);
    buf_printf(&text,
               "Marie DUPONT\n12 rue des Lilas\n69003 Lyon\nmarie.dupont@exemple.fr\n\n"
               "Objet : demande 2026-%06d\n\n",
               page + 1);
    for (int i = 0; i < 28; i++)
        buf_printf(&text,
                   "Ligne %d : le trottoir devant chez moi est abîmé depuis un mois, "
                   "merci d'intervenir.\n",
                   i + 1);
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
    pango_font_description_set_absolute_size(fd, 11 * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_width(l, (int)(17 * 72 / 2.54 * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD);
    pango_layout_set_text(l, buf_cstr(&text), -1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, 2 * 72 / 2.54, 2 * 72 / 2.54);
    pango_cairo_show_layout(cr, l);
    cairo_show_page(cr);
    pango_font_description_free(fd);
    g_object_unref(l);
    buf_free(&text);
}

int main(int argc, char **argv)
{
    long pages = argc > 1 ? strtol(argv[1], NULL, 10) : 6;
    if (pages < 1 || pages > SCAN_MAX_PAGES) {
        fprintf(stderr, "usage: ocr_pages [PAGES [OUT.pdf]]   (1 to %d pages)\n", SCAN_MAX_PAGES);
        return 2;
    }
    buf pdf;
    buf_init(&pdf, 64 * 1024 * 1024);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, &pdf, 595, 842);
    cairo_t *cr = cairo_create(s);
    for (long i = 0; i < pages; i++)
        draw_page(cr, (int)i);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    if (argc > 2) {
        FILE *f = fopen(argv[2], "wb");
        if (!f || fwrite(pdf.data, 1, pdf.len, f) != pdf.len || fclose(f) != 0) {
            fprintf(stderr, "ocr_pages: cannot write %s\n", argv[2]);
            return 1;
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    arena a;
    arena_init(&a, 0);
    scan_doc d;
    scan_problem p;
    error err;
    int rc = scan_read(pdf.data, pdf.len, NULL, &a, &d, &p, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int ok = rc == 0 && d.n_pages == (size_t)pages;
    for (size_t i = 0; ok && i < d.n_pages; i++)
        ok = strstr(d.pages[i].text, "2026-") != NULL;
    if (!ok)
        fprintf(stderr, "ocr_pages: the pages did not read (%s)\n",
                rc ? err.detail : "a page without its reference");
    else
        printf("pages=%ld seconds=%.2f per_min=%.1f\n", pages, secs, (double)pages / secs * 60.0);
    arena_free(&a);
    buf_free(&pdf);
    return ok ? 0 : 1;
}

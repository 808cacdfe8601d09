/*
 * test_scan — the post room's OCR (scan/scan.h) on letters this test draws itself with cairo
 * and pango: a French letter rotated by 2° with salt-and-pepper noise, as a PNG, gives back its
 * reference sentence, the sender's e-mail, telephone, name and address; a six-page PDF with a
 * «SÉPARATEUR» sheet and a blank page gives three letters, a page that mentions a «séparateur»
 * and a page of three words staying in theirs; a TIFF reads, as it is and as the PDF it is
 * stored as; bad bytes, a page over the pixel budget, too many pages and nothing but blank
 * pages are refused with their reason; and the proposals read from a text alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"
#include "util/buf.h"

#define LETTER_TEXT                                                                                \
    "Marie DUPONT\n"                                                                               \
    "12 rue des Lilas\n"                                                                           \
    "69003 Lyon\n"                                                                                 \
    "Téléphone : 06 12 34 56 78\n"                                                               \
    "Courriel : marie.dupont@exemple.fr\n"                                                         \
    "\n"                                                                                           \
    "Mairie de Démo\n"                                                                            \
    "1 place de la Mairie\n"                                                                       \
    "69000 Démo\n"                                                                                \
    "\n"                                                                                           \
    "Objet : demande numéro 2026-000123\n"                                                        \
    "\n"                                                                                           \
    "Madame, Monsieur,\n"                                                                          \
    "Je vous écris au sujet de ma demande 2026-000123 concernant le trottoir abîmé devant "     \
    "chez moi. Merci de bien vouloir intervenir rapidement.\n"                                     \
    "Veuillez agréer mes salutations distinguées.\n"

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Lays text out in a column 17 cm wide from (2 cm, 2 cm), in points. */
static void draw_text(cairo_t *cr, const char *text, double size_pt)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
    pango_font_description_set_absolute_size(fd, size_pt * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_width(l, (int)(17 * 72 / 2.54 * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD);
    pango_layout_set_text(l, text, -1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, 2 * 72 / 2.54, 2 * 72 / 2.54);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
}

/* The letter as a scanner gives it: A4 at 200 dpi, rotated by 2°, with 0.3 % of the pixels
 * flipped to black or white at random (fixed seed), as a PNG in out. */
static void scanned_png(buf *out)
{
    const double dpi = 200;
    int w = (int)(8.27 * dpi), h = (int)(11.69 * dpi);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_translate(cr, w / 2.0, h / 2.0);
    cairo_rotate(cr, 2.0 * M_PI / 180.0);
    cairo_translate(cr, -w / 2.0, -h / 2.0);
    cairo_scale(cr, dpi / 72.0, dpi / 72.0);
    draw_text(cr, LETTER_TEXT, 11);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    srand(42);
    for (int i = 0; i < w * h / 330; i++) {
        int x = rand() % w, y = rand() % h;
        uint32_t *p = (uint32_t *)(px + (size_t)y * (size_t)stride) + x;
        *p = rand() % 2 ? 0x000000 : 0xffffff;
    }
    cairo_surface_mark_dirty(s);
    assert_int_equal(cairo_surface_write_to_png_stream(s, collect, out), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static void test_letter_image(void **state)
{
    (void)state;
    buf png;
    buf_init(&png, 64 * 1024 * 1024);
    scanned_png(&png);
    arena a;
    arena_init(&a, 0);
    scan_doc d;
    scan_problem p;
    error err;
    assert_int_equal(scan_read(png.data, png.len, NULL, &a, &d, &p, &err), 0);
    assert_int_equal(d.n_pages, 1);
    assert_false(d.pages[0].separator);
    assert_true(d.pages[0].confidence > 50);
    assert_non_null(strstr(d.pages[0].text, "2026-000123"));
    assert_non_null(strstr(d.pages[0].text, "marie.dupont@exemple.fr"));
    scan_proposals pr;
    scan_propose(d.pages[0].text, 2000, &a, &pr);
    assert_string_equal(pr.reference, "2026-000123");
    assert_string_equal(pr.email, "marie.dupont@exemple.fr");
    assert_string_equal(pr.phone, "+33612345678");
    assert_string_equal(pr.first_name, "Marie");
    assert_string_equal(pr.last_name, "DUPONT");
    /* OCR may misread a letter of the street («ruée»): its number and name stay. */
    assert_true(strncmp(pr.address, "12 ", 3) == 0);
    assert_non_null(strstr(pr.address, "Lilas, 69003 Lyon"));
    assert_non_null(strstr(pr.description, "trottoir"));
    arena_free(&a);
    buf_free(&png);
}

/* The scanned letter as a TIFF (Leptonica, Deflate), read as it is and as the PDF the post
 * room stores a TIFF as (scan_tiff_to_pdf): both give the e-mail back. */
static void test_tiff(void **state)
{
    (void)state;
    buf png;
    buf_init(&png, 64 * 1024 * 1024);
    scanned_png(&png);
    PIX *pix = pixReadMem((const l_uint8 *)png.data, png.len);
    assert_non_null(pix);
    l_uint8 *tiff = NULL;
    size_t tiff_len = 0;
    assert_int_equal(pixWriteMemTiff(&tiff, &tiff_len, pix, IFF_TIFF_ZIP), 0);
    pixDestroy(&pix);
    arena a;
    arena_init(&a, 0);
    scan_doc d;
    scan_problem p;
    error err;
    assert_int_equal(scan_read(tiff, tiff_len, NULL, &a, &d, &p, &err), 0);
    assert_non_null(strstr(d.pages[0].text, "marie.dupont@exemple.fr"));
    void *pdf = NULL;
    size_t pdf_len = 0;
    assert_int_equal(scan_tiff_to_pdf(tiff, tiff_len, &a, &pdf, &pdf_len, &p, &err), 0);
    assert_true(pdf_len > 5 && memcmp(pdf, "%PDF-", 5) == 0);
    assert_int_equal(scan_read(pdf, pdf_len, NULL, &a, &d, &p, &err), 0);
    assert_int_equal(d.n_pages, 1);
    assert_non_null(strstr(d.pages[0].text, "marie.dupont@exemple.fr"));
    /* A TIFF cut short is refused, not half read. */
    assert_int_equal(scan_tiff_to_pdf(tiff, 200, &a, &pdf, &pdf_len, &p, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    lept_free(tiff);
    arena_free(&a);
    buf_free(&png);
}

/* A PDF of pages drawn from texts ("" for a blank page), in out. */
static void pdf_of(const char *const *pages, size_t n, buf *out)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, out, 595, 842);
    cairo_t *cr = cairo_create(s);
    for (size_t i = 0; i < n; i++) {
        if (*pages[i])
            draw_text(cr, pages[i], i == 1 ? 40 : 11); /* the second page large: a separator */
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

static void test_separator_pdf(void **state)
{
    (void)state;
    /* Page 2 a separator sheet, page 4 blank; page 5 mentions a «séparateur» and page 6
     * holds three words: both belong to the third letter. */
    const char *pages[] = {LETTER_TEXT,
                           "SÉPARATEUR\nCourrier suivant",
                           "Jean MARTIN\n3 avenue Foch\n69006 Lyon\n\nObjet : éclairage public\n"
                           "Le lampadaire de ma rue est éteint depuis une semaine.\n",
                           "",
                           "Paul DURAND\n5 rue Neuve\n69001 Lyon\n\nLe séparateur de voie devant "
                           "chez moi est cassé.\n",
                           "Fait à Lyon"};
    buf pdf;
    buf_init(&pdf, 16 * 1024 * 1024);
    pdf_of(pages, 6, &pdf);
    arena a;
    arena_init(&a, 0);
    scan_doc d;
    scan_problem p;
    error err;
    assert_int_equal(scan_read(pdf.data, pdf.len, NULL, &a, &d, &p, &err), 0);
    assert_int_equal(d.n_pages, 6);
    assert_true(d.pages[1].separator);
    assert_false(d.pages[1].blank);
    assert_true(d.pages[3].blank);
    scan_letter l[8];
    assert_int_equal(scan_split(&d, l, 8), 3);
    assert_int_equal(l[0].first, 0);
    assert_int_equal(l[0].last, 0);
    assert_int_equal(l[1].first, 2);
    assert_false(d.pages[4].separator);
    assert_false(d.pages[5].blank);
    assert_int_equal(l[2].first, 4);
    assert_int_equal(l[2].last, 5);
    scan_proposals pr;
    scan_propose(scan_letter_text(&d, &l[1], &a), 2000, &a, &pr);
    assert_string_equal(pr.last_name, "MARTIN");
    assert_non_null(strstr(pr.description, "lampadaire"));
    assert_string_equal(pr.reference, "");
    /* The agents' preview of page 1. */
    void *png = NULL;
    size_t png_len = 0;
    assert_int_equal(scan_pdf_preview_png(pdf.data, pdf.len, 600, &a, &png, &png_len, &err), 0);
    assert_true(png_len > 8 && memcmp(png, "\x89PNG", 4) == 0);
    arena_free(&a);
    buf_free(&pdf);
}

static void test_refused(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    scan_doc d;
    scan_problem p;
    error err;
    const char junk[] = "ceci n'est pas un scan";
    assert_int_equal(scan_read(junk, sizeof junk, NULL, &a, &d, &p, &err), -1);
    assert_int_equal(p, SCAN_UNREADABLE);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(scan_problem_name(p), "unreadable");

    /* A cut PDF. */
    const char *pages[] = {"Bonjour", "Au revoir", "Encore"};
    buf pdf;
    buf_init(&pdf, 16 * 1024 * 1024);
    pdf_of(pages, 3, &pdf);
    assert_int_equal(scan_read(pdf.data, 40, NULL, &a, &d, &p, &err), -1);
    assert_int_equal(p, SCAN_UNREADABLE);
    /* Too many pages, and a page over the pixel budget (even at 150 dpi). */
    scan_limits few = {.max_pages = 2};
    assert_int_equal(scan_read(pdf.data, pdf.len, &few, &a, &d, &p, &err), -1);
    assert_int_equal(p, SCAN_TOO_MANY_PAGES);
    scan_limits tiny = {.max_pixels = 1000000};
    assert_int_equal(scan_read(pdf.data, pdf.len, &tiny, &a, &d, &p, &err), -1);
    assert_int_equal(p, SCAN_TOO_LARGE);
    /* Nothing but blank pages. */
    const char *blank[] = {"", ""};
    buf_reset(&pdf);
    pdf_of(blank, 2, &pdf);
    assert_int_equal(scan_read(pdf.data, pdf.len, NULL, &a, &d, &p, &err), -1);
    assert_int_equal(p, SCAN_NO_TEXT);
    buf_free(&pdf);
    arena_free(&a);
}

static void test_proposals(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    scan_proposals pr;
    scan_propose("Mairie de Démo\n1 place de la Mairie\n69000 Démo\n\n"
                 "Madame Anne-Sophie Le Goff\n7, allée des Pins\n29200 Brest\n"
                 "tél. +33 2 98 00 11 22 — anne@@x  ;  a.le-goff@ mail.example.org.\n"
                 "~~ ;; --\n\n\n\nréf 2026-00012 et 2025-0004567\n",
                 2000, &a, &pr);
    assert_string_equal(pr.first_name, "Anne-Sophie Le");
    assert_string_equal(pr.last_name, "Goff");
    assert_string_equal(pr.address, "7, allée des Pins, 29200 Brest");
    assert_string_equal(pr.phone, "+33298001122");
    assert_string_equal(pr.email, "a.le-goff@mail.example.org");
    assert_string_equal(pr.reference, "2025-0004567");
    /* The noise line is gone, the empty lines folded into one. */
    assert_null(strstr(pr.description, "~~"));
    assert_null(strstr(pr.description, "\n\n\n"));
    /* Cut at a character boundary. */
    scan_propose("éééééé", 3, &a, &pr);
    assert_string_equal(pr.description, "ééé");
    scan_propose("", 10, &a, &pr);
    assert_string_equal(pr.description, "");
    assert_string_equal(pr.email, "");
    arena_free(&a);
}

/* The split without OCR: letters between separators, and past the limit the last letter
 * keeps every page left (none dropped). */
static void test_split_limit(void **state)
{
    (void)state;
    /* S = separator: S A A S B S S C S D */
    const int sep[] = {1, 0, 0, 1, 0, 1, 1, 0, 1, 0};
    scan_page pages[10];
    memset(pages, 0, sizeof pages);
    for (size_t i = 0; i < 10; i++)
        pages[i].separator = sep[i];
    scan_doc d = {pages, 10};
    scan_letter l[4];
    assert_int_equal(scan_split(&d, l, 4), 4);
    assert_int_equal(l[0].first, 1);
    assert_int_equal(l[0].last, 2);
    assert_int_equal(l[1].first, 4);
    assert_int_equal(l[1].last, 4);
    assert_int_equal(l[2].first, 7);
    assert_int_equal(l[3].first, 9);
    assert_int_equal(l[3].last, 9);
    /* Two slots for four letters: the second runs from B to D's page. */
    assert_int_equal(scan_split(&d, l, 2), 2);
    assert_int_equal(l[0].first, 1);
    assert_int_equal(l[0].last, 2);
    assert_int_equal(l[1].first, 4);
    assert_int_equal(l[1].last, 9);
    assert_int_equal(scan_split(&d, l, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letter_image), cmocka_unit_test(test_separator_pdf),
        cmocka_unit_test(test_tiff),         cmocka_unit_test(test_refused),
        cmocka_unit_test(test_proposals),    cmocka_unit_test(test_split_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

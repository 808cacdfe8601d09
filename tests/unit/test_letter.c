/*
 * test_letter — the PDF letter (docs/letter.h): a short letter holds on one page, a long one
 * flows over several with «page N / M» on each and its first and last paragraphs on the first
 * and last pages (read back with poppler's pdftotext), French characters come back exactly,
 * the document is tagged with its title and /Lang, a logo is drawn, the verification line's QR
 * code decodes (zbarimg on pdftoppm's rendering) to its URL and is a Figure with its /Alt, and
 * bad input is refused; an answer letter whose recipient and text carry «», €, œ, accents and
 * a very long address keeps out of the right and bottom margins (pdftoppm's image) and is read
 * back by Tesseract at 300 dpi.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/letter_tpl.h"
#include "docs/letter.h"
#include "docs/page.h"
#include "test_cmd.h"
#include "util/buf.h"

static const letter_head head = {
    .name = "Ville de Démo",
    .address = "Hôtel de ville\n1 place de l’Église\n69000 Démo",
    .contact = "04 72 00 00 00 · mairie@demo.example · https://demo.example",
    .department = "Voirie",
    .department_contact = "voirie@demo.example",
};

/* How many times needle occurs in the current version of pdf's objects: pdf_finish writes
 * its changes as an incremental update, where an object's earlier version stays in the bytes,
 * so the file is read as qpdf rewrites it (each object once, as it now is; streams left as
 * they are). */
static int count(const buf *pdf, const char *needle)
{
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", pdf->data, pdf->len), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "qpdf --decode-level=none %s %s/current.pdf", s.path, s.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/current.pdf", s.dir);
    buf b;
    assert_int_equal(test_file_read(cmd, &b, LETTER_PDF_MAX), 0);
    test_scratch_remove(&s);
    int n = 0;
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= b.len; i++)
        if (memcmp(b.data + i, needle, k) == 0)
            n++;
    buf_free(&b);
    return n;
}

/* pdftotext's text of pages [first, last] of pdf (0: all), in out (caller frees). */
static char *pdf_text(const buf *pdf, int first, int last)
{
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", pdf->data, pdf->len), 0);
    char cmd[256];
    if (first)
        snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 -f %d -l %d %s -", first, last, s.path);
    else
        snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s -", s.path);
    char *t = test_cmd_run(cmd, 4 * 1024 * 1024);
    assert_non_null(t);
    test_scratch_remove(&s);
    return t;
}

/* Page `page` of pdf rendered by pdftoppm with `options` (format and resolution) into s's
 * directory: the image's path in img. */
static void render_page(const test_scratch *s, const char *options, int page, const char *ext,
                        char *img, size_t img_size)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "pdftoppm %s -singlefile -f %d -l %d %s %s/p", options, page, page,
             s->path, s->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(img, img_size, "%s/p.%s", s->dir, ext);
}

static void render_on(const letter_head *h, const letter *l, buf *out, letter_info *info)
{
    error err;
    error_clear(&err);
    buf_init(out, LETTER_PDF_MAX);
    int rc = letter_render(h, l, out, info, &err);
    if (rc != 0)
        fail_msg("letter_render: %s", err.detail);
}

static void render(const letter *l, buf *out, letter_info *info)
{
    render_on(&head, l, out, info);
}

static void test_short_letter(void **state)
{
    (void)state;
    const letter_block blocks[] = {
        {LETTER_RIGHT, "Démo, le 6 décembre 2026"},
        {LETTER_TITLE, "Accusé de réception n° 2026-000042"},
        {LETTER_PARAGRAPH, "« Œuvre » d’art : 12,50 € — cœur, Noël, où, ça."},
        {LETTER_HEADING, "Délai"},
        {LETTER_PARAGRAPH, "Deux mois."},
    };
    letter l = {"Accusé de réception 2026-000042", "fr-FR", "page", blocks, 5, NULL};
    buf out;
    letter_info info = {0};
    render(&l, &out, &info);
    assert_int_equal(info.pages, 1);
    assert_memory_equal(out.data, "%PDF-", 5);
    assert_int_equal(count(&out, "/Lang (fr-FR)"), 1);
    assert_int_equal(count(&out, "/DisplayDocTitle true"), 1);
    assert_true(count(&out, "/StructTreeRoot") >= 1);
    assert_true(count(&out, "/Marked true") >= 1);
    char *text = pdf_text(&out, 0, 0);
    assert_non_null(strstr(text, "« Œuvre » d’art : 12,50 € — cœur, Noël, où, ça."));
    assert_non_null(strstr(text, "Accusé de réception n° 2026-000042"));
    assert_non_null(strstr(text, "Ville de Démo"));
    assert_non_null(strstr(text, "1 place de l’Église"));
    assert_non_null(strstr(text, "Voirie"));
    assert_non_null(strstr(text, "voirie@demo.example"));
    assert_non_null(strstr(text, "page 1 / 1"));
    free(text);
    buf_free(&out);
}

/* n paragraphs of about `words` words, each naming its number («paragraphe 7 :»), long enough to
 * wrap. */
static letter_block *long_blocks(size_t n, int words, char ***texts)
{
    letter_block *b = calloc(n, sizeof *b);
    *texts = calloc(n, sizeof **texts);
    for (size_t i = 0; i < n; i++) {
        buf t;
        buf_init(&t, 64 * 1024);
        buf_printf(&t, "Début du paragraphe %zu :", i + 1);
        for (int w = 0; w < words; w++)
            buf_puts(&t, " mot accentué");
        buf_printf(&t, " fin du paragraphe %zu.", i + 1);
        size_t len;
        (*texts)[i] = buf_steal(&t, &len);
        b[i].kind = i % 10 == 0 ? LETTER_HEADING : LETTER_PARAGRAPH;
        b[i].text = (*texts)[i];
    }
    return b;
}

static void free_blocks(letter_block *b, char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(b);
}

static void test_flows_over_pages(void **state)
{
    (void)state;
    char **texts;
    size_t n = 60;
    letter_block *b = long_blocks(n, 40, &texts);
    letter l = {"Lettre longue", "fr-FR", "page", b, n, NULL};
    buf out;
    letter_info info = {0};
    render(&l, &out, &info);
    assert_true(info.pages >= 3);
    assert_int_equal(count(&out, "/Type /Page\n") + count(&out, "/Type /Page "), info.pages);

    char *first = pdf_text(&out, 1, 1);
    assert_non_null(strstr(first, "Début du paragraphe 1 :"));
    assert_null(strstr(first, "fin du paragraphe 60."));
    char label[32];
    snprintf(label, sizeof label, "page 1 / %d", info.pages);
    assert_non_null(strstr(first, label));
    free(first);
    char *last = pdf_text(&out, info.pages, info.pages);
    assert_non_null(strstr(last, "fin du paragraphe 60."));
    snprintf(label, sizeof label, "page %d / %d", info.pages, info.pages);
    assert_non_null(strstr(last, label));
    /* Every page carries the letterhead. */
    assert_non_null(strstr(last, "Ville de Démo"));
    free(last);
    /* Nothing is lost or doubled at the page breaks: every paragraph's end comes once. */
    char *all = pdf_text(&out, 0, 0);
    for (size_t i = 1; i <= n; i++) {
        char end[48];
        snprintf(end, sizeof end, "fin du paragraphe %zu.", i);
        const char *at = strstr(all, end);
        assert_non_null(at);
        assert_null(strstr(at + 1, end));
    }
    free(all);

    /* More text, more pages. */
    buf more;
    char **texts2;
    letter_block *b2 = long_blocks(n * 2, 40, &texts2);
    letter l2 = {"Lettre plus longue", "fr-FR", "page", b2, n * 2, NULL};
    letter_info info2 = {0};
    render(&l2, &more, &info2);
    assert_true(info2.pages > info.pages);
    buf_free(&more);
    free_blocks(b2, texts2, n * 2);
    buf_free(&out);
    free_blocks(b, texts, n);
}

static cairo_status_t png_to_buf(void *ctx, const unsigned char *data, unsigned int len)
{
    return buf_append(ctx, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Page `page` of pdf rasterised by poppler's pdftoppm as 8-bit grey at dpi: the pixels (caller
 * frees), *w and *h. */
static unsigned char *raster(const buf *pdf, int page, int dpi, int *w, int *h)
{
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", pdf->data, pdf->len), 0);
    char options[32], img[160];
    snprintf(options, sizeof options, "-gray -r %d", dpi);
    render_page(&s, options, page, "pgm", img, sizeof img);
    FILE *f = fopen(img, "rb");
    assert_non_null(f);
    int maxval;
    assert_int_equal(fscanf(f, "P5 %d %d %d", w, h, &maxval), 3);
    fgetc(f);
    unsigned char *px = malloc((size_t)*w * (size_t)*h);
    assert_int_equal(fread(px, 1, (size_t)*w * (size_t)*h, f), (size_t)*w * (size_t)*h);
    fclose(f);
    test_scratch_remove(&s);
    return px;
}

/* A rendered page, looked at as an image: long unbreakable words, a long address and French
 * signs stay inside the margins (nothing drawn in the 20 mm at either side but the letterhead's
 * and footer's rules, which stop at the margin too), and the text is drawn. */
static void test_rendered_page(void **state)
{
    (void)state;
    letter_head h = head;
    h.address = "Hôtel de ville, service des relations avec les usagers et de la citoyenneté, "
                "1 place de l’Église Saint-Jean-Baptiste-de-la-Salle-sur-Saône\n69000 Démo";
    const letter_block blocks[] = {
        {LETTER_TITLE, "Accusé de réception n° 2026-000042 — « Œuvre »"},
        {LETTER_PARAGRAPH,
         "Adresse du signalement : 123 bis avenue du Maréchal-de-Lattre-de-Tassigny-et-du-"
         "Général-Leclerc-de-Hauteclocque, Résidence « Les Jardins de l’Œuvre », bâtiment C, "
         "escalier 4, 69000 Démo. Montant : 12,50 € ; cœur, sœur, Noël."},
        {LETTER_PARAGRAPH,
         "Anticonstitutionnellementanticonstitutionnellementanticonstitutionnellement"
         "anticonstitutionnellementanticonstitutionnellement"},
        {LETTER_RIGHT, "Pour Ville de Démo,\nle service Voirie"},
    };
    letter l = {"Image", "fr-FR", "page", blocks, 4, NULL};
    buf out;
    letter_info info = {0};
    render_on(&h, &l, &out, &info);
    int w, ht;
    const int dpi = 72; /* one pixel per point */
    unsigned char *px = raster(&out, 1, dpi, &w, &ht);
    assert_in_range(w, 595, 596); /* A4 is 595.28 points wide */
    int margin = 56;              /* 20 mm in points, a pixel less for anti-aliasing */
    long dark_body = 0;
    for (int y = 0; y < ht; y++)
        for (int x = 0; x < w; x++) {
            unsigned char v = px[(size_t)y * (size_t)w + (size_t)x];
            if (x < margin - 1 || x > w - margin)
                if (v < 200)
                    fail_msg("ink at (%d, %d) in the margin", x, y);
            if (v < 128)
                dark_body++;
        }
    assert_true(dark_body > 2000);
    free(px);
    char *t = pdf_text(&out, 0, 0);
    /* Lines break anywhere: each piece on its own. */
    assert_non_null(strstr(t, "12,50 €"));
    assert_non_null(strstr(t, "Œuvre"));
    assert_non_null(strstr(t, "Noël."));
    assert_non_null(strstr(t, "Anticonstitutionnellementanti"));
    free(t);
    buf_free(&out);
}

/* What zbarimg reads in page `page` of pdf rendered at 150 dpi (caller frees). */
static char *qr_read(const buf *pdf, int page)
{
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", pdf->data, pdf->len), 0);
    char img[160], cmd[256];
    render_page(&s, "-gray -r 150", page, "pgm", img, sizeof img);
    /* zbarimg exits 4 when it finds no code: the empty line says so. */
    snprintf(cmd, sizeof cmd, "zbarimg -q --raw %s 2>/dev/null", img);
    int status;
    char *line = test_cmd_output(cmd, 64 * 1024, &status);
    assert_non_null(line);
    line[strcspn(line, "\n")] = '\0';
    test_scratch_remove(&s);
    return line;
}

/* s with its line breaks made spaces (a sentence may be broken anywhere). */
static char *one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s;
}

static void test_verify_qr(void **state)
{
    (void)state;
    const char *url = "https://demo.example/verifier/K7QM-4TXH";
    const letter_verify v = {url, "Code QR menant à la page de vérification de ce document"};
    const letter_block blocks[] = {
        {LETTER_TITLE, "Accusé de réception n° 2026-000042"},
        {LETTER_VERIFY, "Ce document peut être vérifié sur\n"
                        "https://demo.example/verifier/K7QM-4TXH avec le code K7QM-4TXH."},
        {LETTER_RIGHT, "Pour Ville de Démo"},
    };
    letter l = {"QR", "fr-FR", "page", blocks, 3, &v};
    buf out;
    render(&l, &out, NULL);
    char *read = qr_read(&out, 1);
    assert_string_equal(read, url);
    free(read);
    assert_int_equal(count(&out, "/Figure"), 1);
    assert_int_equal(count(&out, "/Alt"), 1);
    char *t = one_line(pdf_text(&out, 0, 0));
    assert_non_null(strstr(t, "/verifier/K7QM-4TXH avec le code K7QM-4TXH."));
    free(t);
    buf_free(&out);

    /* After text over several pages: the line and its code together on the last page. */
    char **texts;
    size_t n = 10;
    letter_block *b = long_blocks(n, 120, &texts);
    b[n - 1] = blocks[1];
    letter full = {"QR", "fr-FR", "page", b, n, &v};
    letter_info info = {0};
    render(&full, &out, &info);
    assert_true(info.pages > 1);
    read = qr_read(&out, info.pages);
    assert_string_equal(read, url);
    free(read);
    t = one_line(pdf_text(&out, info.pages, info.pages));
    assert_non_null(strstr(t, "avec le code K7QM-4TXH."));
    free(t);
    buf_free(&out);
    free_blocks(b, texts, n);

    /* A verification without its alternative text, or its block without one, is refused. */
    letter_verify no_alt = {url, NULL};
    l.verify = &no_alt;
    error err;
    buf_init(&out, LETTER_PDF_MAX);
    assert_int_equal(letter_render(&head, &l, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "verify");
    l.verify = NULL;
    assert_int_equal(letter_render(&head, &l, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "verify");
    buf_free(&out);
}

static void test_refused(void **state)
{
    (void)state;
    error err;
    buf out;
    buf_init(&out, LETTER_PDF_MAX);
    const letter_block bad[] = {{LETTER_PARAGRAPH, "caf\xe9"}};
    letter l = {"Mauvais", "fr-FR", "page", bad, 1, NULL};
    assert_int_equal(letter_render(&head, &l, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "text");

    /* More than LETTER_PAGES_MAX pages. */
    char **texts;
    size_t n = LETTER_BLOCKS_MAX + 1;
    letter_block *b = long_blocks(n, 200, &texts);
    letter big = {"Trop long", "fr-FR", "page", b, LETTER_BLOCKS_MAX, NULL};
    assert_int_equal(letter_render(&head, &big, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "pages");
    assert_int_equal(out.len, 0);

    big.n_blocks = LETTER_BLOCKS_MAX + 1;
    assert_int_equal(letter_render(&head, &big, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "text");
    free_blocks(b, texts, n);

    const letter_block ok[] = {{LETTER_PARAGRAPH, "Bien."}};
    letter badlang = {"Langue", "fr FR", "page", ok, 1, NULL};
    assert_int_equal(letter_render(&head, &badlang, &out, NULL, &err), -1);
    assert_string_equal(err.arg, "lang");
    buf_free(&out);
}

/* An arrêté laid out by core/letter_tpl.h: pdftotext gives back its visas, considérants,
 * dispositive word and numbered articles in their order, then the signatory. */
static void test_decision(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024 * 1024);
    json_t *strings =
        json_pack("{s:{s:{s:s, s:s, s:s, s:s}}}", "letters", "doc", "reference",
                  "Référence de la demande : {reference}", "decides", "ARRÊTE :", "article",
                  "Article {n} : {text}", "object", "Objet : {subject}");
    const store_letter_template t = {
        .kind = "decision",
        .lang = "fr",
        .subject = "Arrêté n° 2026-118 portant permission de stationnement",
        .visas = "Vu le code général des collectivités territoriales ;\n"
                 "Vu la demande n° 2026-000042 ;",
        .considerants = "Considérant que l’occupation est compatible avec la circulation ;\n"
                        "Considérant que le trottoir reste libre sur 1,40 m ;",
        .body = "Mme Œuvray est autorisée à stationner une benne au 3 rue de l’Église.\n\n"
                "Le présent arrêté peut faire l’objet d’un recours devant le tribunal "
                "administratif dans un délai de deux mois (Télérecours citoyens).",
        .quality = "Pour le Maire et par délégation,\nl’adjoint chargé de la voirie",
        .signatory = "Jeanne Dupont",
    };
    letter_block blocks[LETTER_TPL_BLOCKS_MAX];
    size_t n = letter_tpl_blocks(&a, strings, &t, "2026-000042", NULL, NULL, NULL, blocks);
    letter l = {
        .title = t.subject, .lang = "fr-FR", .page_word = "page", .blocks = blocks, .n_blocks = n};
    buf out;
    render(&l, &out, NULL);
    char *text = pdf_text(&out, 0, 0);
    /* pdftotext breaks lines where the layout did: a sentence may span two. */
    for (char *c = text; *c; c++)
        if (*c == '\n')
            *c = ' ';
    static const char *const order[] = {
        "Arrêté n° 2026-118 portant permission de stationnement",
        "Référence de la demande : 2026-000042",
        "Vu le code général des collectivités territoriales ;",
        "Vu la demande n° 2026-000042 ;",
        "Considérant que l’occupation est compatible avec la circulation ;",
        "Considérant que le trottoir reste libre sur 1,40 m ;",
        "ARRÊTE :",
        "Article 1 : Mme Œuvray est autorisée à stationner une benne",
        "Article 2 : Le présent arrêté peut faire l’objet d’un recours",
        "Pour le Maire et par délégation,",
        "l’adjoint chargé de la voirie",
        "Jeanne Dupont",
    };
    const char *at = text;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *found = strstr(at, order[i]);
        if (!found)
            fail_msg("«%s» not found in order in:\n%s", order[i], text);
        at = found + strlen(order[i]);
    }
    free(text);
    buf_free(&out);
    json_decref(strings);
    arena_free(&a);
}

/* What Tesseract (French) reads on page `page` of pdf rendered at 300 dpi by pdftoppm (caller
 * frees). */
static char *ocr_page(const buf *pdf, int page)
{
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", pdf->data, pdf->len), 0);
    char img[160], cmd[256];
    render_page(&s, "-png -r 300", page, "png", img, sizeof img);
    snprintf(cmd, sizeof cmd, "tesseract %s - -l fra 2>/dev/null", img);
    char *t = test_cmd_run(cmd, 4 * 1024 * 1024);
    assert_non_null(t);
    test_scratch_remove(&s);
    return t;
}

/* Pixels darker than this are ink (anti-aliased edges of a glyph included). */
#define INK 200

/* The number of ink pixels of px (w × h) in the rectangle [x0, x1) × [y0, y1). */
static long ink_in(const unsigned char *px, int w, int h, int x0, int y0, int x1, int y1)
{
    long n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++)
            if (px[(size_t)y * (size_t)w + (size_t)x] < INK)
                n++;
    return n;
}

/* An answer letter as an agent issues it — the citizen's name and a very long address as the
 * recipient, the template's text with «», €, œ and accents — looked at as an image: at 100 dpi
 * nothing is drawn in the right margin (20 mm) nor in the page's last 10 mm, and the text runs
 * up to the right margin (so the check looks where ink would be if a line were not wrapped);
 * at 300 dpi Tesseract reads back the accented words, «€» and «œ»; pdftotext gives the exact
 * strings. Observed when the wrapping was broken on purpose (pango's layout width set to -1 in
 * docs/letter.c's layout): the long lines ran off the page's right edge and the right
 * margin's check failed with 1,616 ink pixels. */
static void test_answer_letter_image(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024 * 1024);
    json_t *strings =
        json_pack("{s:{s:{s:s, s:s}}}", "letters", "doc", "reference",
                  "Référence de la demande : {reference}", "object", "Objet : {subject}");
    const store_request r = {
        .first_name = "Agnès",
        .last_name = "Lœuvre-Bérégovoy",
        .address = "Résidence « Les Jardins de l’Œuvre », bâtiment C, escalier 4, 123 bis avenue "
                   "du Maréchal-de-Lattre-de-Tassigny-et-du-Général-Leclerc-de-Hauteclocque, "
                   "69000 Démo",
    };
    const store_letter_template tpl = {
        .kind = "letter",
        .lang = "fr",
        .subject = "Votre demande « Œuvre d’art » du quartier Saint-Éloi",
        .body = "Madame {nom},\n\n"
                "Nous avons bien reçu votre demande concernant l’œuvre installée au {adresse}.\n\n"
                "La participation demandée est de 12,50 € ; elle sera réglée à l’accueil de la "
                "mairie, où l’équipe vous remettra un reçu. Nous restons à votre écoute pour "
                "toute précision complémentaire.",
        .quality = "Pour le Maire et par délégation,",
        .signatory = "Hélène Béranger",
    };
    letter_tpl_values v = {0};
    v.v[LETTER_TPL_NOM] = r.last_name;
    v.v[LETTER_TPL_ADRESSE] = r.address;
    store_letter_template filled;
    assert_int_equal(letter_tpl_fill(&a, &tpl, &v, &filled), 0);
    letter_block blocks[LETTER_TPL_BLOCKS_MAX];
    size_t n = letter_tpl_blocks(&a, strings, &filled, "2026-000042", letter_tpl_recipient(&a, &r),
                                 NULL, NULL, blocks);
    letter l = {.title = filled.subject,
                .lang = "fr-FR",
                .page_word = "page",
                .blocks = blocks,
                .n_blocks = n};
    buf out;
    letter_info info = {0};
    render(&l, &out, &info);
    assert_int_equal(info.pages, 1);

    /* The exact strings, each within one line of the layout. */
    char *text = pdf_text(&out, 0, 0);
    static const char *const exact[] = {"Agnès Lœuvre-Bérégovoy",   "« Les Jardins de l’Œuvre »",
                                        "« Œuvre d’art »",          "12,50 €",
                                        "Madame Lœuvre-Bérégovoy,", "l’œuvre",
                                        "Hélène Béranger"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strstr(text, exact[i]))
            fail_msg("pdftotext: «%s» not in:\n%s", exact[i], text);
    free(text);

    /* The image at 100 dpi (pixels per point: 100 / 72). */
    const double s = 100.0 / 72.0;
    int w, h;
    unsigned char *px = raster(&out, 1, 100, &w, &h);
    assert_in_range(w, 826, 827); /* A4: 595.28 points */
    assert_in_range(h, 1169, 1170);
    int right = (int)((595.276 - 56.69) * s) + 1; /* the right margin, a pixel for anti-aliasing */
    int bottom = (int)((841.89 - 28.35) * s) + 1; /* the last 10 mm */
    long off_right = ink_in(px, w, h, right, 0, w, h);
    long off_bottom = ink_in(px, w, h, 0, bottom, w, h);
    if (off_right || off_bottom)
        fail_msg("%ld ink pixels in the right margin, %ld in the last 10 mm", off_right,
                 off_bottom);
    /* The same check with the margin 4 mm narrower finds ink: the lines were wrapped at the
     * margin, where a line not wrapped would have crossed it. */
    int narrowed = right - (int)(11.34 * s);
    assert_true(ink_in(px, w, h, narrowed, 0, right, h) > 50);
    free(px);

    /* Read back as a scanner's page would be. */
    char *seen = ocr_page(&out, 1);
    static const char *const read[] = {"Agnès Lœuvre-Bérégovoy",
                                       "« Œuvre d",
                                       "12,50 €",
                                       "œuvre",
                                       "Maréchal-de-Lattre",
                                       "Hélène Béranger",
                                       "précision complémentaire"};
    for (size_t i = 0; i < sizeof read / sizeof read[0]; i++)
        if (!strstr(seen, read[i]))
            fail_msg("Tesseract: «%s» not in:\n%s", read[i], seen);
    free(seen);
    buf_free(&out);
    json_decref(strings);
    arena_free(&a);
}

/* A 200 × 100 logo as PNG: its left half opaque dark blue, its right half fully transparent
 * (or white and opaque when `opaque`). */
static void logo_png(buf *png, int opaque)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 200, 100);
    cairo_t *cr = cairo_create(img);
    if (opaque) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
    }
    cairo_set_source_rgb(cr, 0.1, 0.2, 0.5);
    cairo_rectangle(cr, 0, 0, 100, 100);
    cairo_fill(cr);
    cairo_destroy(cr);
    buf_init(png, 1024 * 1024);
    assert_int_equal(cairo_surface_write_to_png_stream(img, png_to_buf, png), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(img);
}

/* The logo, made ready once (letter_logo) and copied into each letter by pdf_finish: drawn at
 * its place on every page — its opaque half ink, its transparent half the paper — as one image
 * and its soft mask, listed by pdfimages; an opaque logo has no mask; a file that is no PNG, or
 * says it has more pixels than allowed, is refused before anything is drawn. */
static void test_logo(void **state)
{
    (void)state;
    buf png;
    logo_png(&png, 0);
    letter_logo *logo = NULL;
    error err;
    error_clear(&err);
    assert_int_equal(letter_logo_make(png.data, png.len, &logo, &err), 0);
    const pdf_image *im = letter_logo_image(logo);
    assert_int_equal(im->width, 200);
    assert_int_equal(im->height, 100);
    assert_non_null(im->alpha);

    letter_head h = head;
    h.logo = logo;
    /* Enough paragraphs for two pages: the logo is on both. */
    enum { N = 60 };
    letter_block blocks[N];
    for (int i = 0; i < N; i++)
        blocks[i] = (letter_block){LETTER_PARAGRAPH, "Avec logo, sur chaque page de la lettre."};
    letter l = {"Logo", "fr-FR", "page", blocks, N, NULL};
    buf out;
    buf_init(&out, LETTER_PDF_MAX);
    letter_info info;
    assert_int_equal(letter_render(&h, &l, &out, &info, &err), 0);
    assert_true(info.pages >= 2);

    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", out.data, out.len), 0);
    char cmd[256];
    assert_true(test_qpdf_accepts(s.path));
    /* One image object and its mask, shown on each page. */
    snprintf(cmd, sizeof cmd, "pdfimages -list %s", s.path);
    char *list = test_cmd_run(cmd, 64 * 1024);
    assert_non_null(list);
    int images = 0, masks = 0;
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int page, w, hh;
        char type[16];
        if (sscanf(line, "%d %*d %15s %d %d", &page, type, &w, &hh) == 4 && w == 200 && hh == 100) {
            images += strcmp(type, "image") == 0;
            masks += strcmp(type, "smask") == 0;
        }
    }
    free(list);
    test_scratch_remove(&s);
    assert_int_equal(images, info.pages);
    assert_int_equal(masks, info.pages);

    /* At 72 dpi a point is a pixel: the logo is 112 × 56 at (57, 43) from the top left. */
    for (int page = 1; page <= 2; page++) {
        int w, ht;
        unsigned char *px = raster(&out, page, 72, &w, &ht);
        long blue = ink_in(px, w, ht, 60, 46, 110, 96);
        long clear = ink_in(px, w, ht, 116, 46, 166, 96);
        free(px);
        if (blue < 50 * 50 * 9 / 10 || clear != 0)
            fail_msg("page %d: %ld ink pixels in the opaque half, %ld in the clear one", page, blue,
                     clear);
    }
    buf_free(&out);
    letter_logo_free(logo);
    buf_free(&png);

    /* Opaque: no soft mask at all. */
    logo_png(&png, 1);
    assert_int_equal(letter_logo_make(png.data, png.len, &logo, &err), 0);
    assert_null(letter_logo_image(logo)->alpha);
    h.logo = logo;
    buf_init(&out, LETTER_PDF_MAX);
    letter one = {"Logo", "fr-FR", "page", blocks, 1, NULL};
    assert_int_equal(letter_render(&h, &one, &out, NULL, &err), 0);
    assert_int_equal(count(&out, "/SMask"), 0);
    assert_int_equal(count(&out, "/Subtype /Image"), 1);
    buf_free(&out);
    letter_logo_free(logo);

    /* Not a PNG; a header that announces 5,000 × 5,000 pixels, refused before decoding. */
    assert_int_equal(letter_logo_make("not a png", 9, &logo, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "logo");
    assert_null(logo);
    unsigned char big[64];
    memcpy(big, png.data, sizeof big);
    const unsigned char side[4] = {0, 0, 0x13, 0x88};
    memcpy(big + 16, side, 4);
    memcpy(big + 20, side, 4);
    error_clear(&err);
    assert_int_equal(letter_logo_make(big, sizeof big, &logo, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_non_null(strstr(err.detail, "pixels"));
    buf_free(&png);
}

/* No line of l ends right after «n°» (its space included): a no-break space held. */
static void assert_no_break_after_no(PangoLayout *l)
{
    const char *text = pango_layout_get_text(l);
    for (GSList *line = pango_layout_get_lines_readonly(l); line; line = line->next) {
        const PangoLayoutLine *ll = line->data;
        const char *end = text + ll->start_index + ll->length;
        assert_false(end - text >= 4 && strncmp(end - 4, "n\u00b0 ", 4) == 0);
        assert_false(end - text >= 3 && strncmp(end - 3, "n\u00b0", 3) == 0);
    }
}

/* Each face embedded once: a letter whose text has an «fi» (pango's ligature) and no-break
 * spaces (which cairo keeps out of WinAnsi) in bold and in regular text gets exactly two
 * fonts, both WinAnsi subsets (a second, CID subset of a face carried DejaVu's hinting tables
 * again); the text reads back with «fi», and a no-break space still never ends a line: the
 * title's «n° 2026-000042» stays together at every width pango could break it. */
static void test_fonts_once(void **state)
{
    (void)state;
    const letter_block blocks[] = {
        {LETTER_TITLE, "Accusé de réception de votre demande n°\u00a02026-000042"},
        {LETTER_PARAGRAPH, "Votre fichier a été vérifié\u00a0: merci."},
    };
    letter l = {"Polices", "fr-FR", "page", blocks, 2, NULL};
    buf out;
    render(&l, &out, NULL);
    test_scratch s;
    assert_int_equal(test_scratch_make(&s, "doc.pdf", out.data, out.len), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "pdffonts %s", s.path);
    char *fonts = test_cmd_run(cmd, 1 << 16);
    assert_non_null(fonts);
    int lines = 0;
    for (const char *c = fonts; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2 + 2); /* the heading's two lines, then one per font */
    assert_null(strstr(fonts, "CID"));
    free(fonts);
    test_scratch_remove(&s);
    char *t = one_line(pdf_text(&out, 0, 0));
    assert_non_null(strstr(t, "Votre fichier a été vérifié : merci."));
    free(t);
    buf_free(&out);

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(surface);
    const char *title = "Accusé de réception de votre demande n°\u00a02026-000042";
    for (double width = 400; width >= 60; width -= 2) {
        PangoLayout *pl = page_layout(cr, PAGE_FONT_BODY, title, width, PANGO_ALIGN_LEFT);
        assert_no_break_after_no(pl);
        g_object_unref(pl);
    }
    /* The letterhead's texts, cut to a few lines (their line breaks made «, » first), keep
     * theirs too: the address's «n° 12» together wherever the line ends fall. */
    char address[256]; /* an ASCII prefix: cut at any byte */
    for (int k = 0; k < 60; k++) {
        snprintf(address, sizeof address, "%.*s\nBâtiment n°\u00a012, place de la Mairie", k,
                 "Hotel de ville, service des affaires generales et de l'etat civil");
        letter_head lh = {.name = "Ville de Démo", .address = address};
        page_head ph;
        page_head_open(cr, &lh, 3, &ph);
        assert_non_null(ph.address);
        assert_no_break_after_no(ph.address);
        page_head_close(&ph);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_letter), cmocka_unit_test(test_flows_over_pages),
        cmocka_unit_test(test_logo),         cmocka_unit_test(test_rendered_page),
        cmocka_unit_test(test_refused),      cmocka_unit_test(test_verify_qr),
        cmocka_unit_test(test_decision),     cmocka_unit_test(test_answer_letter_image),
        cmocka_unit_test(test_fonts_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pdf — the check and clean rewrite of uploaded PDFs (docs/pdf.h's pdf_normalise): a
 * letter guichet renders comes out as a file `qpdf --check` accepts, with object streams; a
 * file whose cross-reference table is wrong is repaired; not a PDF, a broken one, encrypted
 * ones (with and without a password to open them, made by the qpdf command at test time), one
 * with JavaScript or a launch action, one with an embedded file, one without a page tree and
 * one over the page limit are each refused with their own reason. The post room's cut
 * (pdf_pages): pages 2–3 of a four-page batch come out as a two-page file that `qpdf --check`
 * accepts, each page with its own text (pdftotext) and its inherited media box, and nothing
 * of the other pages — not even the one a link of page 2 points to; a range outside the file
 * is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "docs/letter.h"
#include "docs/pdf.h"
#include "util/buf.h"
#include "test_cmd.h"

#define OUT_MAX (16 * 1024 * 1024)

static const letter_head head = {.name = "Ville de Démo"};

/* A letter of several pages as guichet draws it. */
static void letter_pdf(buf *out)
{
    static char text[6000];
    for (size_t i = 0; i + 1 < sizeof text; i++)
        text[i] = i % 7 == 6 ? ' ' : 'a';
    text[sizeof text - 1] = '\0';
    letter_block blocks[3] = {
        {LETTER_PARAGRAPH, text}, {LETTER_PARAGRAPH, text}, {LETTER_PARAGRAPH, text}};
    letter l = {"Plan", "fr-FR", "page", blocks, 3, NULL};
    error err;
    buf_init(out, LETTER_PDF_MAX);
    letter_info info;
    assert_int_equal(letter_render(&head, &l, out, &info, &err), 0);
    assert_true(info.pages >= 2);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void read_file(const char *path, buf *out)
{
    assert_int_equal(test_file_read(path, out, OUT_MAX), 0);
}

/* pdf_normalise's error arg for in (NULL when it accepts it); the clean file in *clean when
 * not NULL. */
static pdf_upload_info info; /* what the last pdf_normalise found */

static const char *normalise(const void *in, size_t len, int max_pages, buf *clean)
{
    static error err;
    buf out;
    buf_init(&out, OUT_MAX);
    int rc = pdf_normalise(in, len, max_pages, &out, &info, &err);
    if (rc != 0) {
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_int_equal(out.len, 0);
        buf_free(&out);
        return err.arg;
    }
    if (clean)
        *clean = out;
    else
        buf_free(&out);
    return NULL;
}

/* A one-page PDF written by hand around the catalogue's extra entries `catalogue` and the page
 * content stream `stream_dict` + `stream`, its startxref pointing into the middle of an object
 * when `bad_xref` (qpdf then rebuilds the table by scanning the file). */
static void handmade(buf *out, const char *catalogue, const char *stream_dict, const char *stream,
                     int bad_xref)
{
    buf_init(out, 64 * 1024);
    long off[5];
    buf_puts(out, "%PDF-1.7\n");
    off[1] = (long)out->len;
    buf_printf(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R %s >>\nendobj\n", catalogue);
    off[2] = (long)out->len;
    buf_puts(out, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[3] = (long)out->len;
    buf_puts(out, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
                  ">>\nendobj\n");
    off[4] = (long)out->len;
    buf_printf(out, "4 0 obj\n<< /Length %zu %s >>\nstream\n%s\nendstream\nendobj\n",
               strlen(stream), stream_dict, stream);
    long xref = (long)out->len;
    buf_puts(out, "xref\n0 5\n0000000000 65535 f \n");
    for (int i = 1; i <= 4; i++)
        buf_printf(out, "%010ld 00000 n \n", off[i]);
    buf_printf(out, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n",
               bad_xref ? off[2] + 5 : xref);
    assert_false(out->failed);
}

static void test_clean_rewrite(void **state)
{
    (void)state;
    buf in, clean;
    letter_pdf(&in);
    assert_null(normalise(in.data, in.len, 10, &clean));
    assert_memory_equal(clean.data, "%PDF-", 5);
    char dir[] = "/tmp/test_pdf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[96];
    snprintf(path, sizeof path, "%s/clean.pdf", dir);
    write_file(path, clean.data, clean.len);
    assert_true(test_qpdf_accepts(path));
    /* Object streams generated: the rewrite has a cross-reference stream. */
    assert_non_null(memmem(clean.data, clean.len, "/ObjStm", 6));
    /* The same file gives the same bytes. */
    buf again;
    assert_null(normalise(in.data, in.len, 10, &again));
    assert_int_equal(again.len, clean.len);
    assert_memory_equal(again.data, clean.data, clean.len);
    /* Over the page limit. */
    assert_string_equal(normalise(in.data, in.len, 1, NULL), "pages");
    unlink(path);
    rmdir(dir);
    buf_free(&again);
    buf_free(&clean);
    buf_free(&in);
}

/* pdf_finish on a file whose page inherits its resources (a font) from the page tree and has
 * its content as an array: an incremental update (the original's bytes first, untouched) that
 * `qpdf --check` accepts, with /Lang, a content-derived /ID (the same input, the same bytes),
 * the stamp's image and mask on the page, the page's text still drawn with its inherited
 * font, and the /Alt of a Figure held directly in the structure tree's root; a file that
 * cannot be finished leaves the output as it was. */
static void test_finish_update(void **state)
{
    (void)state;
    buf in, out, again;
    buf_init(&in, OUT_MAX);
    long off[7];
    const char *text = "BT /F1 12 Tf 20 100 Td (Bonjour tout le monde) Tj ET";
    buf_puts(&in, "%PDF-1.7\n");
    off[1] = (long)in.len;
    buf_puts(&in, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /StructTreeRoot 6 0 R >>\nendobj\n");
    off[2] = (long)in.len;
    buf_puts(&in, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 "
                  "0 R >> >> >>\nendobj\n");
    off[3] = (long)in.len;
    buf_puts(&in, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents [4 0 "
                  "R] >>\nendobj\n");
    off[4] = (long)in.len;
    buf_printf(&in, "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", strlen(text),
               text);
    off[5] = (long)in.len;
    buf_puts(&in, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
    /* A structure tree holding a Figure as a direct object: its holder, the tree's root, is
     * written again. */
    off[6] = (long)in.len;
    buf_puts(&in, "6 0 obj\n<< /Type /StructTreeRoot /K [<< /S /Figure /P 6 0 R >>] >>\nendobj\n");
    long xref = (long)in.len;
    buf_puts(&in, "xref\n0 7\n0000000000 65535 f \n");
    for (int i = 1; i <= 6; i++)
        buf_printf(&in, "%010ld 00000 n \n", off[i]);
    buf_printf(&in, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", xref);
    /* A 2 × 2 image, red, half transparent. */
    const unsigned char rgb[12] = {255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0};
    const unsigned char alpha[4] = {128, 128, 128, 128};
    unsigned char zrgb[64], zalpha[64];
    uLongf zrgb_len = sizeof zrgb, zalpha_len = sizeof zalpha;
    assert_int_equal(compress(zrgb, &zrgb_len, rgb, sizeof rgb), Z_OK);
    assert_int_equal(compress(zalpha, &zalpha_len, alpha, sizeof alpha), Z_OK);
    const pdf_image im = {2, 2, zrgb, zrgb_len, zalpha, zalpha_len};
    const pdf_stamp stamp = {&im, 10, 150, 40, 40};
    error err = {0};
    buf_init(&out, OUT_MAX);
    buf_init(&again, OUT_MAX);
    assert_int_equal(pdf_finish(in.data, in.len, "fr-FR", "Logo", &stamp, &out, &err), 0);
    assert_int_equal(pdf_finish(in.data, in.len, "fr-FR", "Logo", &stamp, &again, &err), 0);
    assert_true(out.len > in.len);
    assert_memory_equal(out.data, in.data, in.len);
    assert_int_equal(again.len, out.len);
    assert_memory_equal(again.data, out.data, out.len);
    const char *update = out.data + in.len;
    size_t update_len = out.len - in.len;
    assert_non_null(memmem(update, update_len, "/Lang (fr-FR)", 13));
    assert_non_null(memmem(update, update_len, "/ID [<", 6));
    assert_non_null(memmem(update, update_len, "/Prev ", 6));
    assert_non_null(memmem(update, update_len, "/Marked true", 12));
    const char *root6 = memmem(update, update_len, "\n6 0 obj", 8);
    assert_non_null(root6);
    const char *end6 = memmem(root6, update_len - (size_t)(root6 - update), "endobj", 6);
    assert_non_null(end6);
    assert_non_null(memmem(root6, (size_t)(end6 - root6), "/Alt (Logo)", 11));
    /* A finishing that fails once the update has begun leaves out as it was. */
    size_t before = again.len;
    const pdf_stamp huge = {&im, 10, 150, 1e300, 40};
    assert_int_equal(pdf_finish(in.data, in.len, "fr-FR", NULL, &huge, &again, &err), -1);
    assert_string_equal(err.arg, "stamp");
    assert_int_equal(again.len, before);
    assert_memory_equal(again.data, out.data, out.len);

    test_scratch sc;
    assert_int_equal(test_scratch_make(&sc, "finished.pdf", out.data, out.len), 0);
    char cmd[256];
    assert_true(test_qpdf_accepts(sc.path));
    snprintf(cmd, sizeof cmd, "pdftotext %s -", sc.path);
    char *t = test_cmd_run(cmd, 1 << 20);
    assert_non_null(t);
    assert_non_null(strstr(t, "Bonjour tout le monde"));
    free(t);
    snprintf(cmd, sizeof cmd, "pdfimages -list %s", sc.path);
    t = test_cmd_run(cmd, 1 << 20);
    assert_non_null(t);
    assert_non_null(strstr(t, " image "));
    assert_non_null(strstr(t, " smask "));
    free(t);
    test_scratch_remove(&sc);
    buf_free(&again);
    buf_free(&out);
    buf_free(&in);
}

static void test_repaired_and_refused(void **state)
{
    (void)state;
    buf b;
    handmade(&b, "", "", "0 0 m 100 100 l S", 0);
    assert_null(normalise(b.data, b.len, 10, NULL));
    assert_int_equal(info.pages, 1);
    assert_int_equal(info.repaired, 0);
    buf_free(&b);
    /* Wrong offsets: qpdf rebuilds the table, and the rewrite is the repaired file. */
    handmade(&b, "", "", "0 0 m 100 100 l S", 1);
    assert_null(normalise(b.data, b.len, 10, NULL));
    assert_int_equal(info.repaired, 1);
    buf_free(&b);

    assert_string_equal(normalise("Bonjour, ceci est un texte.", 27, 10, NULL), "not_pdf");
    const char broken[] = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages";
    assert_string_equal(normalise(broken, sizeof broken - 1, 10, NULL), "damaged");

    handmade(&b, "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", "", "0 0 m S", 0);
    assert_string_equal(normalise(b.data, b.len, 10, NULL), "active");
    buf_free(&b);
    handmade(&b, "/OpenAction << /S /Launch /F (calc.exe) >>", "", "0 0 m S", 0);
    assert_string_equal(normalise(b.data, b.len, 10, NULL), "active");
    buf_free(&b);
    /* A form that sends what is typed elsewhere, and an XFA form (its own scripts). */
    handmade(&b, "/OpenAction << /S /SubmitForm /F (https://example.org/collect) >>", "", "0 0 m S",
             0);
    assert_string_equal(normalise(b.data, b.len, 10, NULL), "active");
    buf_free(&b);
    handmade(&b, "/AcroForm << /Fields [] /XFA (<xdp:xdp/>) >>", "", "0 0 m S", 0);
    assert_string_equal(normalise(b.data, b.len, 10, NULL), "active");
    buf_free(&b);
    /* A reference to an object number no file defines reads as null (qpdf): accepted, and
     * no set sized by that number is made. */
    handmade(&b, "/Extra 2000000000 0 R", "", "0 0 m S", 0);
    assert_null(normalise(b.data, b.len, 10, NULL));
    buf_free(&b);
    handmade(&b,
             "/Names << /EmbeddedFiles << /Names [(a.txt) << /Type /Filespec /F (a.txt) /EF << "
             "/F 4 0 R >> >>] >> >>",
             "", "0 0 m S", 0);
    assert_string_equal(normalise(b.data, b.len, 10, NULL), "embedded");
    buf_free(&b);
    /* No page tree. */
    const char no_pages[] = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
                            "trailer\n<< /Size 2 /Root 1 0 R >>\n%%EOF\n";
    assert_string_equal(normalise(no_pages, sizeof no_pages - 1, 10, NULL), "damaged");
    /* A content stream that says it is compressed and is not is copied as it came (streams are
     * not inflated: a crafted one could expand a thousandfold). */
    handmade(&b, "", "/Filter /FlateDecode", "this is not deflate data at all", 0);
    assert_null(normalise(b.data, b.len, 10, NULL));
    buf_free(&b);
}

static void test_encrypted(void **state)
{
    (void)state;
    buf in;
    letter_pdf(&in);
    char dir[] = "/tmp/test_pdf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char plain[96], locked[96], cmd[512];
    snprintf(plain, sizeof plain, "%s/plain.pdf", dir);
    snprintf(locked, sizeof locked, "%s/locked.pdf", dir);
    write_file(plain, in.data, in.len);
    /* With a password to open it, then with only an owner password (opens without one). */
    const char *users[] = {"secret", ""};
    for (size_t i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "qpdf --encrypt '%s' owner 256 -- %s %s", users[i], plain,
                 locked);
        assert_int_equal(system(cmd), 0);
        buf enc;
        read_file(locked, &enc);
        assert_string_equal(normalise(enc.data, enc.len, 10, NULL), "encrypted");
        buf_free(&enc);
        unlink(locked);
    }
    unlink(plain);
    rmdir(dir);
    buf_free(&in);
}

/* ---- pdf_pages ---- */

static const char *const batch_letters[] = {"Lettre de Anne LEROY", "Lettre de Luc MOREAU",
                                            "Suite de la lettre de Luc MOREAU",
                                            "Lettre de Paul DURAND"};
#define BATCH_PAGES 4

/* A scanner's batch of BATCH_PAGES pages, page i saying batch_letters[i] in Helvetica: the
 * media box and the font inherited from the page tree (qpdf must make them each page's own),
 * and on page 2 a link whose destination is page 4 (another sender's, which the cut must not
 * bring along). */
static void batch_pdf(buf *out)
{
    buf_init(out, 64 * 1024);
    /* Objects: 1 catalogue, 2 pages, 3 font, 4 the link; page i is 5 + 2i, its content 6 + 2i. */
    enum { N_OBJ = 5 + 2 * BATCH_PAGES };
    long off[N_OBJ];
    buf_puts(out, "%PDF-1.4\n");
    off[1] = (long)out->len;
    buf_puts(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = (long)out->len;
    buf_puts(out, "2 0 obj\n<< /Type /Pages /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 "
                  "0 R >> >> /Count 4 /Kids [");
    for (int i = 0; i < BATCH_PAGES; i++)
        buf_printf(out, "%d 0 R ", 5 + 2 * i);
    buf_puts(out, "] >>\nendobj\n");
    off[3] = (long)out->len;
    buf_puts(out, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
    off[4] = (long)out->len;
    buf_printf(out,
               "4 0 obj\n<< /Type /Annot /Subtype /Link /Rect [60 700 300 720] /Dest [%d 0 R /Fit] "
               ">>\nendobj\n",
               5 + 2 * (BATCH_PAGES - 1));
    for (int i = 0; i < BATCH_PAGES; i++) {
        char content[200];
        int n = snprintf(content, sizeof content, "BT /F1 14 Tf 60 780 Td (%s) Tj ET",
                         batch_letters[i]);
        off[5 + 2 * i] = (long)out->len;
        buf_printf(out, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /Contents %d 0 R%s >>\nendobj\n",
                   5 + 2 * i, 6 + 2 * i, i == 1 ? " /Annots [4 0 R]" : "");
        off[6 + 2 * i] = (long)out->len;
        buf_printf(out, "%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", 6 + 2 * i, n,
                   content);
    }
    long xref = (long)out->len;
    buf_printf(out, "xref\n0 %d\n0000000000 65535 f \n", N_OBJ);
    for (int i = 1; i < N_OBJ; i++)
        buf_printf(out, "%010ld 00000 n \n", off[i]);
    buf_printf(out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", N_OBJ, xref);
    assert_false(out->failed);
}

static void test_pages(void **state)
{
    (void)state;
    buf in, cut, clean;
    batch_pdf(&in);
    error err;
    error_clear(&err);
    buf_init(&cut, OUT_MAX);
    /* Luc MOREAU's letter: pages 2 and 3 of the batch. */
    assert_int_equal(pdf_pages(in.data, in.len, 2, 3, &cut, &err), 0);
    /* Then rewritten as an upload is, as the post room stores it. */
    assert_null(normalise(cut.data, cut.len, PDF_UPLOAD_PAGES_MAX, &clean));
    assert_int_equal(info.pages, 2);

    char dir[] = "/tmp/test_pdf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[96], cmd[256];
    snprintf(path, sizeof path, "%s/cut.pdf", dir);
    write_file(path, clean.data, clean.len);
    assert_true(test_qpdf_accepts(path));
    snprintf(cmd, sizeof cmd, "pdfinfo %s 2>/dev/null", path);
    char *infos = test_cmd_run(cmd, 1024 * 1024);
    assert_non_null(infos);
    if (!strstr(infos, "Pages:           2\n"))
        fail_msg("pdfinfo: %s", infos);
    /* The media box inherited from the batch's page tree came along with each page. */
    assert_non_null(strstr(infos, "Page size:       595 x 842 pts (A4)"));
    free(infos);
    /* Each page's text is the letter's, and the other letters' are nowhere. */
    for (int page = 1; page <= 2; page++) {
        /* poppler warns of the link whose destination was left out. */
        snprintf(cmd, sizeof cmd, "pdftotext -f %d -l %d %s - 2>/dev/null", page, page, path);
        char *t = test_cmd_run(cmd, 1024 * 1024);
        assert_non_null(t);
        assert_non_null(strstr(t, batch_letters[page]));
        free(t);
    }
    snprintf(cmd, sizeof cmd, "pdftotext %s - 2>/dev/null", path);
    char *all = test_cmd_run(cmd, 1024 * 1024);
    assert_non_null(all);
    assert_null(strstr(all, "LEROY"));
    assert_null(strstr(all, "DURAND"));
    free(all);
    /* Page 4, reached by page 2's link, is not copied: qpdf's uncompressed rewrite of the cut
     * (every stream decoded) holds no «DURAND», though it holds the pages' own text. */
    char qdf[96];
    snprintf(qdf, sizeof qdf, "%s/cut.qdf", dir);
    snprintf(cmd, sizeof cmd, "qpdf --qdf --object-streams=disable %s %s", path, qdf);
    assert_int_equal(system(cmd), 0);
    buf plain;
    read_file(qdf, &plain);
    assert_non_null(memmem(plain.data, plain.len, "Luc MOREAU", 10));
    assert_null(memmem(plain.data, plain.len, "DURAND", 6));
    assert_null(memmem(plain.data, plain.len, "LEROY", 5));
    buf_free(&plain);
    unlink(qdf);
    unlink(path);
    rmdir(dir);

    /* One page at either end. */
    buf_free(&cut);
    buf_init(&cut, OUT_MAX);
    assert_int_equal(pdf_pages(in.data, in.len, 4, 4, &cut, &err), 0);
    buf_free(&clean);
    assert_null(normalise(cut.data, cut.len, PDF_UPLOAD_PAGES_MAX, &clean));
    assert_int_equal(info.pages, 1);

    /* A range that is not the file's, and a file that is no PDF. */
    const int bad[][2] = {{0, 1}, {3, 2}, {4, 5}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf none;
        buf_init(&none, OUT_MAX);
        assert_int_equal(pdf_pages(in.data, in.len, bad[i][0], bad[i][1], &none, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "pages");
        assert_int_equal(none.len, 0);
        buf_free(&none);
    }
    assert_int_equal(pdf_pages("Bonjour", 7, 1, 1, &cut, &err), -1);
    assert_string_equal(err.arg, "damaged");
    buf_free(&clean);
    buf_free(&cut);
    buf_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_rewrite),
        cmocka_unit_test(test_finish_update),
        cmocka_unit_test(test_repaired_and_refused),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

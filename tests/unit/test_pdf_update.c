/*
 * test_pdf_update — the signature's incremental update (src/sign/pdf_update) and the
 * verifier's scanner (src/sign/pades_scan): the original bytes kept as they were, a file
 * qpdf reads back without a warning whose catalog, form and first page are the new versions
 * (the field in /Fields and /Annots, /SigFlags 3), a cross-reference stream when the file
 * had one, a second signature as a second field, the ByteRange around /Contents exactly;
 * files that cannot be signed and texts refused; the scanner's findings on good and broken
 * ByteRanges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <qpdf/qpdf-c.h>

#include "sign/appearance.h"
#include "sign/pades.h"
#include "sign/pdf_update.h"
#include "util/buf.h"

/* A one-page PDF with a classic cross-reference table, offsets computed, its catalog's
 * dictionary given. */
static void pdf_with_catalog(buf *b, const char *catalog)
{
    const char *objs[] = {
        catalog,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Annots [5 0 R] >>",
        "<< /Length 0 >>\nstream\n\nendstream",
        "<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /Contents (note) >>",
    };
    size_t off[5];
    buf_reset(b);
    buf_puts(b, "%PDF-1.7\n");
    for (int i = 0; i < 5; i++) {
        off[i] = b->len;
        buf_printf(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    size_t x = b->len;
    buf_puts(b, "xref\n0 6\n0000000000 65535 f \n");
    for (int i = 0; i < 5; i++)
        buf_printf(b, "%010zu 00000 n \n", off[i]);
    buf_printf(b,
               "trailer\n<< /Size 6 /Root 1 0 R /ID [<01020304><01020304>] >>\nstartxref\n%zu\n"
               "%%%%EOF\n",
               x);
}

static void minimal_pdf(buf *b)
{
    pdf_with_catalog(b, "<< /Type /Catalog /Pages 2 0 R >>");
}

/* The same file rewritten by qpdf with object streams: a cross-reference stream. */
static void stream_pdf(const buf *in, buf *out)
{
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_false(qpdf_read_memory(q, "in", in->data, in->len, NULL) & QPDF_ERRORS);
    assert_false(qpdf_init_write_memory(q) & QPDF_ERRORS);
    qpdf_set_object_stream_mode(q, qpdf_o_generate);
    assert_false(qpdf_write(q) & QPDF_ERRORS);
    buf_reset(out);
    buf_append(out, qpdf_get_buffer(q), qpdf_get_buffer_length(q));
    qpdf_cleanup(&q);
}

static const pdf_sig_meta meta = {"Arrêté n° 42", "Mairie", "Camille Maire", 1796000000, 0, 0};

/* Signs in into out (placeholders and ByteRange), asserting success. */
static void update(const buf *in, buf *out, pdf_update_pos *pos)
{
    error err;
    buf_reset(out);
    assert_int_equal(pdf_update_write(in->data, in->len, &meta, out, pos, &err), 0);
    assert_int_equal(pdf_update_set_byterange(out, pos, &err), 0);
}

/* Reads pdf with qpdf: no error, no warning; the number of fields of its form, the /T of
 * field i in name and whether the first page's /Annots lists that field. */
static int read_back(const buf *pdf, int i, char *name, size_t size, int *in_annots)
{
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    assert_false(qpdf_read_memory(q, "out", pdf->data, pdf->len, NULL) & QPDF_ERRORS);
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh form = qpdf_oh_get_key(q, root, "/AcroForm");
    assert_int_equal(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, form, "/SigFlags")), 3);
    qpdf_oh fields = qpdf_oh_get_key(q, form, "/Fields");
    int n = qpdf_oh_get_array_n_items(q, fields);
    qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
    snprintf(name, size, "%s", qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, f, "/T")));
    assert_string_equal(qpdf_oh_get_name(q, qpdf_oh_get_key(q, f, "/FT")), "/Sig");
    qpdf_oh v = qpdf_oh_get_key(q, f, "/V");
    assert_string_equal(qpdf_oh_get_name(q, qpdf_oh_get_key(q, v, "/SubFilter")),
                        "/ETSI.CAdES.detached");
    assert_string_equal(qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, v, "/Reason")),
                        "Arrêté n° 42");
    qpdf_oh annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Annots");
    *in_annots = 0;
    for (int k = 0; k < qpdf_oh_get_array_n_items(q, annots); k++)
        *in_annots |= qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, annots, k)) ==
                      qpdf_oh_get_object_id(q, f);
    /* The annotation the page had is kept. */
    assert_true(qpdf_oh_get_array_n_items(q, annots) >= 2);
    assert_false(qpdf_more_warnings(q));
    assert_false(qpdf_has_error(q));
    qpdf_cleanup(&q);
    return n;
}

static void test_update_keeps_the_original(void **state)
{
    (void)state;
    buf in, out;
    buf_init(&in, 1 << 20);
    buf_init(&out, 1 << 20);
    minimal_pdf(&in);
    pdf_update_pos pos;
    update(&in, &out, &pos);
    assert_true(out.len > in.len);
    assert_memory_equal(out.data, in.data, in.len);
    assert_string_equal(pos.field, "Signature1");
    char name[64];
    int annot;
    assert_int_equal(read_back(&out, 0, name, sizeof name, &annot), 1);
    assert_string_equal(name, "Signature1");
    assert_true(annot);
    /* /Prev points to the original's cross-reference table; /ID is kept. */
    size_t prev, last;
    assert_int_equal(pdf_update_startxref(in.data, in.len, &prev), 0);
    assert_int_equal(pdf_update_startxref(out.data, out.len, &last), 0);
    char want[64];
    snprintf(want, sizeof want, "/Prev %zu\n", prev);
    assert_non_null(memmem(out.data + last, out.len - last, want, strlen(want)));
    assert_non_null(memmem(out.data + last, out.len - last, "/ID [", 5));
    assert_memory_equal(out.data + last, "xref", 4);
    /* The ByteRange leaves out exactly /Contents, '<' to '>'. */
    size_t after = pos.contents_at + pos.contents_len;
    char range[64];
    snprintf(range, sizeof range, "[0 %zu %zu %zu]", pos.contents_at, after, out.len - after);
    assert_memory_equal(out.data + pos.byterange_at, range, strlen(range));
    assert_int_equal(out.data[pos.contents_at], '<');
    assert_int_equal(out.data[after - 1], '>');
    assert_int_equal(pos.contents_len, 2 + 2 * PDF_UPDATE_CONTENTS_MAX);
    buf_free(&in);
    buf_free(&out);
}

static void test_second_signature_is_a_second_field(void **state)
{
    (void)state;
    buf in, one, two;
    buf_init(&in, 1 << 20);
    buf_init(&one, 1 << 20);
    buf_init(&two, 1 << 20);
    minimal_pdf(&in);
    pdf_update_pos pos;
    update(&in, &one, &pos);
    update(&one, &two, &pos);
    assert_string_equal(pos.field, "Signature2");
    assert_memory_equal(two.data, one.data, one.len);
    char name[64];
    int annot;
    assert_int_equal(read_back(&two, 1, name, sizeof name, &annot), 2);
    assert_string_equal(name, "Signature2");
    assert_true(annot);
    read_back(&two, 0, name, sizeof name, &annot);
    assert_string_equal(name, "Signature1");
    assert_true(annot);
    /* The scanner finds both, the first covering the first revision only. */
    pades_sig sigs[4];
    size_t n;
    error err;
    assert_int_equal(pades_scan(two.data, two.len, sigs, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_null(sigs[0].problem);
    assert_null(sigs[1].problem);
    assert_int_equal(sigs[0].range[2] + sigs[0].range[3], one.len);
    assert_int_equal(sigs[1].range[2] + sigs[1].range[3], two.len);
    assert_int_equal(sigs[1].contents_at, pos.contents_at);
    assert_string_equal(sigs[1].subfilter, "ETSI.CAdES.detached");
    assert_string_equal(sigs[1].when, "D:20261130005320+00'00'");
    buf_free(&in);
    buf_free(&one);
    buf_free(&two);
}

static void test_xref_stream_gets_a_stream(void **state)
{
    (void)state;
    buf plain, in, out;
    buf_init(&plain, 1 << 20);
    buf_init(&in, 1 << 20);
    buf_init(&out, 1 << 20);
    minimal_pdf(&plain);
    stream_pdf(&plain, &in);
    pdf_update_pos pos;
    update(&in, &out, &pos);
    assert_memory_equal(out.data, in.data, in.len);
    size_t last;
    assert_int_equal(pdf_update_startxref(out.data, out.len, &last), 0);
    assert_non_null(memmem(out.data + last, out.len - last, "/Type /XRef", 11));
    char name[64];
    int annot;
    assert_int_equal(read_back(&out, 0, name, sizeof name, &annot), 1);
    assert_true(annot);
    buf_free(&plain);
    buf_free(&in);
    buf_free(&out);
}

/* A form already there, direct in the catalog, with a text field that took the first name:
 * its keys and field kept, the form now an object of its own, the next name taken. */
static void test_existing_form_kept(void **state)
{
    (void)state;
    buf in, out;
    buf_init(&in, 1 << 20);
    buf_init(&out, 1 << 20);
    pdf_with_catalog(&in, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [<< /FT /Tx "
                          "/T (Signature1) >>] /DA (/Helv 0 Tf 0 g) /NeedAppearances true >> >>");
    pdf_update_pos pos;
    update(&in, &out, &pos);
    assert_string_equal(pos.field, "Signature2");
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    assert_false(qpdf_read_memory(q, "out", out.data, out.len, NULL) & QPDF_ERRORS);
    qpdf_oh form = qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm");
    assert_true(qpdf_oh_is_indirect(q, form));
    assert_string_equal(qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, form, "/DA")),
                        "/Helv 0 Tf 0 g");
    assert_true(qpdf_oh_get_bool_value(q, qpdf_oh_get_key(q, form, "/NeedAppearances")));
    qpdf_oh fields = qpdf_oh_get_key(q, form, "/Fields");
    assert_int_equal(qpdf_oh_get_array_n_items(q, fields), 2);
    assert_string_equal(
        qpdf_oh_get_utf8_value(q, qpdf_oh_get_key(q, qpdf_oh_get_array_item(q, fields, 0), "/T")),
        "Signature1");
    assert_false(qpdf_more_warnings(q));
    qpdf_cleanup(&q);
    buf_free(&in);
    buf_free(&out);
}

static void test_refused(void **state)
{
    (void)state;
    buf in, out;
    buf_init(&in, 1 << 20);
    buf_init(&out, 1 << 20);
    pdf_update_pos pos;
    error err;
    const char *junk = "hello, not a PDF";
    assert_int_equal(pdf_update_write(junk, strlen(junk), &meta, &out, &pos, &err), -1);
    assert_string_equal(err.arg, "pdf");
    /* A header and a startxref but nothing qpdf can read as a document. */
    const char *broken = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n";
    buf_reset(&out);
    assert_int_equal(pdf_update_write(broken, strlen(broken), &meta, &out, &pos, &err), -1);
    assert_string_equal(err.arg, "pdf");
    minimal_pdf(&in);
    char longer[PDF_UPDATE_TEXT_MAX + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    pdf_sig_meta m = meta;
    m.reason = longer;
    buf_reset(&out);
    assert_int_equal(pdf_update_write(in.data, in.len, &m, &out, &pos, &err), -1);
    assert_string_equal(err.arg, "reason");
    m = meta;
    m.location = "bip\x07";
    buf_reset(&out);
    assert_int_equal(pdf_update_write(in.data, in.len, &m, &out, &pos, &err), -1);
    assert_string_equal(err.arg, "location");
    m = meta;
    m.name = "\xC3(";
    buf_reset(&out);
    assert_int_equal(pdf_update_write(in.data, in.len, &m, &out, &pos, &err), -1);
    assert_string_equal(err.arg, "name");
    buf_free(&in);
    buf_free(&out);
}

/* The visible box: French text in WinAnsiEncoding, literal strings escaped, what the encoding
 * lacks as '?', the reason's line left out when there is none; the widget gets a rectangle
 * and its appearance. */
static void test_visible(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 8192);
    sign_appearance_stream("Zo\xC3\xAB (adjointe) \xC5\x8C", "1\xE2\x82\xAC \xE2\x80\x94 \\",
                           1796000000, &b);
    const char *t = buf_cstr(&b);
    assert_non_null(strstr(t, "(Sign\xE9 \xE9lectroniquement par) Tj"));
    assert_non_null(strstr(t, "(Zo\xEB \\(adjointe\\) ?) Tj"));
    assert_non_null(strstr(t, "(1\x80 \x97 \\\\) Tj"));
    assert_non_null(strstr(t, "(le 30/11/2026 \xE0 00:53 UTC) Tj"));
    buf_reset(&b);
    sign_appearance_stream("Camille", NULL, 0, &b);
    t = buf_cstr(&b);
    assert_int_equal(strstr(t, "Tj") ? 1 : 0, 1);
    size_t lines = 0;
    for (const char *p = t; (p = strstr(p, " Tj")); p++)
        lines++;
    assert_int_equal(lines, 3);

    buf in, out;
    buf_init(&in, 1 << 20);
    buf_init(&out, 1 << 20);
    minimal_pdf(&in);
    pdf_sig_meta m = meta;
    m.visible = 1;
    pdf_update_pos pos;
    error err;
    assert_int_equal(pdf_update_write(in.data, in.len, &m, &out, &pos, &err), 0);
    assert_int_equal(pdf_update_set_byterange(&out, &pos, &err), 0);
    /* The page is 595 × 842: the box ends 56 points from its right and bottom. */
    assert_non_null(memmem(out.data, out.len, "/Rect [319.00 56.00 539.00 102.00]", 34));
    assert_non_null(memmem(out.data, out.len, "/Subtype /Form", 14));
    assert_non_null(memmem(out.data, out.len, "/BaseFont /Helvetica", 20));
    char name[64];
    int annot;
    assert_int_equal(read_back(&out, 0, name, sizeof name, &annot), 1);
    assert_true(annot);
    buf_free(&in);
    buf_free(&out);
    buf_free(&b);
}

/* One scan of text: the problem of its only signature ("" when none). */
static const char *scan_problem(const char *text)
{
    static pades_sig s[2];
    size_t n;
    error err;
    assert_int_equal(pades_scan(text, strlen(text), s, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    return s[0].problem ? s[0].problem : "";
}

static void test_scan_broken_ranges(void **state)
{
    (void)state;
    assert_string_equal(scan_problem("/ByteRange [0 1 2]"),
                        "the ByteRange is not an array of four numbers");
    assert_string_equal(scan_problem("/ByteRange [0 12345678901 2 3]"),
                        "the ByteRange is not an array of four numbers");
    assert_string_equal(scan_problem("/ByteRange [0 5 900 3] /Contents <00>"),
                        "the ByteRange does not start the file or lies outside it");
    assert_string_equal(scan_problem("/ByteRange [1 5 9 0] /Contents <00>"),
                        "the ByteRange does not start the file or lies outside it");
    /* "/Contents <00>" : '<' at 33, '>' at 36 */
    assert_string_equal(scan_problem("/ByteRange [0 33 37 0] /Contents <00>"), "");
    assert_string_equal(scan_problem("/ByteRange [0 33 37 0] /Contents <0g>"),
                        "the ByteRange's gap is not a hex string");
    assert_string_equal(scan_problem("/ByteRange [0 33 37 0] /Reasons  <00>"),
                        "the ByteRange's gap is not the signature's /Contents");
    assert_string_equal(scan_problem("/ByteRange [0 32 37 0] /Contents <00>"),
                        "the ByteRange's gap is not a hex string");
    /* Too many signatures: an error, not an overflow. */
    pades_sig s[1];
    size_t n;
    error err;
    const char *two = "/ByteRange [] /ByteRange []";
    assert_int_equal(pades_scan(two, strlen(two), s, 1, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(pades_scan("", 0, s, 1, &n, &err), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_keeps_the_original),
        cmocka_unit_test(test_second_signature_is_a_second_field),
        cmocka_unit_test(test_xref_stream_gets_a_stream),
        cmocka_unit_test(test_existing_form_kept),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_visible),
        cmocka_unit_test(test_scan_broken_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

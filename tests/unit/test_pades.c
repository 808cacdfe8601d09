/*
 * test_pades — signing and verifying in one process (src/sign/pades, cms_sign, tsa): a key
 * and a self-signed certificate made here sign a one-page PDF; the verifier finds it valid,
 * covering the whole file, with the attributes of the baseline; a changed byte is a digest
 * mismatch, bytes appended leave it valid but not covering the file, a store without the
 * certificate refuses the chain; a second signature over the first keeps both valid; a
 * timestamp token that is not one is refused with its reason; trust anchors must be readable;
 * a DSS update (B-LT's, without CRLs for a self-signed signer) is allowed after a signature,
 * bytes that bring none are not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/pades.h"
#include "sign/tsa.h"
#include "test_signer.h"
#include "util/buf.h"

static sign_key key;
static X509_STORE *trust;
static buf pdf;

/* A one-page PDF with a classic cross-reference table. */
static void minimal_pdf(buf *b)
{
    const char *objs[] = {"<< /Type /Catalog /Pages 2 0 R >>",
                          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"};
    size_t off[3];
    buf_puts(b, "%PDF-1.7\n");
    for (int i = 0; i < 3; i++) {
        off[i] = b->len;
        buf_printf(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    size_t x = b->len;
    buf_puts(b, "xref\n0 4\n0000000000 65535 f \n");
    for (int i = 0; i < 3; i++)
        buf_printf(b, "%010zu 00000 n \n", off[i]);
    buf_printf(b, "trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", x);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(test_signer_make(2048, "Élu d'essai", &key.key, &key.cert), 0);
    key.chain = sk_X509_new_null();
    trust = X509_STORE_new();
    X509_STORE_add_cert(trust, key.cert);
    buf_init(&pdf, 1 << 20);
    minimal_pdf(&pdf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sign_key_free(&key);
    X509_STORE_free(trust);
    buf_free(&pdf);
    return 0;
}

static const pdf_sig_meta meta = {"Arrêté", NULL, NULL, 1796000000, 0};

/* Verifies every signature of b: how many there are, the checks in out (max 4). */
static size_t verify_all(const buf *b, X509_STORE *st, pades_check out[4])
{
    pades_sig sigs[4];
    size_t n;
    error err;
    assert_int_equal(pades_scan(b->data, b->len, sigs, 4, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        pades_verify(b->data, b->len, &sigs[i], st, &out[i]);
    return n;
}

static void test_sign_then_verify(void **state)
{
    (void)state;
    buf out;
    buf_init(&out, 4 << 20);
    char field[32];
    error err;
    assert_int_equal(pades_sign(pdf.data, pdf.len, &key, &meta, NULL, &out, field, &err), 0);
    assert_string_equal(field, "Signature1");
    /* /Name defaults to the certificate's common name, as a UTF-16 text string. */
    assert_non_null(memmem(out.data, out.len, "/Name <FEFF00C9006C", 19));
    pades_check c[4];
    assert_int_equal(verify_all(&out, trust, c), 1);
    assert_true(c[0].valid);
    assert_string_equal(c[0].why, "");
    assert_true(c[0].covers_whole);
    assert_string_equal(c[0].signer, "Élu d'essai");
    assert_string_equal(c[0].stamped, "");

    /* A byte of the first range changed. */
    out.data[pdf.len / 2] ^= 1;
    verify_all(&out, trust, c);
    assert_false(c[0].valid);
    assert_string_equal(c[0].why, "digest mismatch: the signed bytes were changed");
    out.data[pdf.len / 2] ^= 1;

    /* Bytes appended: still valid, no longer the whole file. */
    buf_puts(&out, "% later\n");
    verify_all(&out, trust, c);
    assert_true(c[0].valid);
    assert_false(c[0].covers_whole);

    /* Anchors without the signer. */
    X509_STORE *empty = X509_STORE_new();
    verify_all(&out, empty, c);
    assert_false(c[0].valid);
    assert_non_null(strstr(c[0].why, "does not chain to the trusted CA"));
    X509_STORE_free(empty);
    buf_free(&out);
}

static void test_two_signatures(void **state)
{
    (void)state;
    buf one, two;
    buf_init(&one, 4 << 20);
    buf_init(&two, 4 << 20);
    char field[32];
    error err;
    assert_int_equal(pades_sign(pdf.data, pdf.len, &key, &meta, NULL, &one, field, &err), 0);
    assert_int_equal(pades_sign(one.data, one.len, &key, &meta, NULL, &two, field, &err), 0);
    assert_string_equal(field, "Signature2");
    pades_check c[4];
    assert_int_equal(verify_all(&two, trust, c), 2);
    assert_true(c[0].valid && c[1].valid);
    assert_false(c[0].covers_whole);
    assert_true(c[1].covers_whole);
    buf_free(&one);
    buf_free(&two);
}

static void test_dss_update(void **state)
{
    (void)state;
    buf one, lt;
    buf_init(&one, 4 << 20);
    buf_init(&lt, 4 << 20);
    char field[32], why[96];
    error err;
    assert_int_equal(pades_sign(pdf.data, pdf.len, &key, &meta, NULL, &one, field, &err), 0);
    /* A self-signed signer has no issuer, so no CRL to fetch: the DSS holds its certificate. */
    assert_int_equal(pades_add_lt(one.data, one.len, 0, &lt, &err), 0);
    assert_memory_equal(lt.data, one.data, one.len);
    assert_non_null(memmem(lt.data + one.len, lt.len - one.len, "/DSS", 4));
    assert_int_equal(pades_only_dss_after(lt.data, lt.len, one.len, why), 0);
    pades_check c[4];
    assert_int_equal(verify_all(&lt, trust, c), 1);
    assert_true(c[0].valid);
    assert_false(c[0].covers_whole);
    assert_string_equal(c[0].level, "B-B");
    /* Bytes that bring no DSS are no DSS update; a file not ending with a signature gets
     * none. */
    buf_puts(&one, "% later\n");
    assert_int_equal(pades_only_dss_after(one.data, one.len, one.len - 8, why), -1);
    assert_string_equal(why, "bytes after the last signature are not signed");
    buf_reset(&one);
    assert_int_equal(pades_add_lt(lt.data, lt.len, 0, &one, &err), -1);
    assert_string_equal(err.detail, "the file does not end with a signature");
    /* A second DSS for the same signature: the first one's items kept, its VRI entry once. */
    const unsigned char der[] = {0x30, 0x00};
    const pdf_blob blob = {der, sizeof der};
    pdf_dss d = {.certs = &blob, .ncerts = 1, .crls = &blob, .ncrls = 1};
    memset(d.vri, 'A', 40);
    buf_reset(&one);
    buf_reset(&lt);
    assert_int_equal(pdf_update_write_dss(pdf.data, pdf.len, &d, &one, &err), 0);
    assert_int_equal(pdf_update_write_dss(one.data, one.len, &d, &lt, &err), 0);
    const char *last = NULL;
    for (const char *p = lt.data; (p = memmem(p, lt.len - (size_t)(p - lt.data), "/Type /DSS", 10));
         p++)
        last = p;
    assert_non_null(last);
    const char *end = strstr(last, "endobj");
    size_t keys = 0;
    for (const char *p = last;
         (p = strstr(p, "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA <<")) && p < end; p++)
        keys++;
    assert_int_equal(keys, 1);
    assert_non_null(strstr(last, "/Certs [5 0 R 8 0 R]"));
    buf_free(&one);
    buf_free(&lt);
}

/* The last "N 0 obj" of f, its body from "<<" to "endobj" (NULL when none). */
static const char *last_object(const buf *f, int n, size_t *len)
{
    char head[32];
    snprintf(head, sizeof head, "\n%d 0 obj\n", n);
    const char *last = NULL;
    for (const char *p = f->data;
         (p = memmem(p, f->len - (size_t)(p - f->data), head, strlen(head))); p++)
        last = p + strlen(head);
    if (!last)
        return NULL;
    const char *end = memmem(last, f->len - (size_t)(last - f->data), "endobj", 6);
    *len = end ? (size_t)(end - last) : 0;
    return end ? last : NULL;
}

/* A one-page PDF whose page draws content stream 9 (objects 4 to 8 unused): an object the
 * signature covers with a number past 8. */
static void pdf_with_content_9(buf *b)
{
    size_t off[9];
    buf_puts(b, "%PDF-1.7\n");
    for (int i = 1; i <= 9; i++) {
        off[i - 1] = b->len;
        if (i == 1)
            buf_puts(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        else if (i == 2)
            buf_puts(b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
        else if (i == 3)
            buf_puts(b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                        "/Contents 9 0 R >>\nendobj\n");
        else if (i < 9)
            buf_printf(b, "%d 0 obj\nnull\nendobj\n", i);
        else
            buf_puts(b, "9 0 obj\n<< /Length 11 >>\nstream\n0 0 m 9 9 l\nendstream\nendobj\n");
    }
    size_t x = b->len;
    buf_puts(b, "xref\n0 10\n0000000000 65535 f \n");
    for (int i = 0; i < 9; i++)
        buf_printf(b, "%010zu 00000 n \n", off[i]);
    buf_printf(b, "trailer\n<< /Size 10 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", x);
}

/* An update after the signature that adds a DSS and also redraws the page (content stream 9),
 * with a trailer whose /Size claims one object: refused (the walk never trusts the update's
 * count, which once left objects past it uncompared). */
static void test_dss_update_with_false_size(void **state)
{
    (void)state;
    buf base, one, bad;
    buf_init(&base, 1 << 20);
    buf_init(&one, 4 << 20);
    buf_init(&bad, 4 << 20);
    char field[32], why[96];
    error err;
    pdf_with_content_9(&base);
    int signed_rc = pades_sign(base.data, base.len, &key, &meta, NULL, &one, field, &err);
    if (signed_rc != 0)
        fprintf(stderr, "sign: %s\n", err.detail);
    assert_int_equal(signed_rc, 0);
    const char *sx = NULL;
    for (const char *p = one.data;
         (p = memmem(p, one.len - (size_t)(p - one.data), "startxref\n", 10)); p++)
        sx = p + 10;
    assert_non_null(sx);
    long prev = strtol(sx, NULL, 10);
    size_t cat_len = 0;
    const char *cat = last_object(&one, 1, &cat_len);
    assert_non_null(cat);
    assert_true(cat_len > 2 && cat[0] == '<' && cat[1] == '<');
    buf_append(&bad, one.data, one.len);
    size_t off_content = bad.len;
    buf_puts(&bad, "9 0 obj\n<< /Length 11 >>\nstream\n0 0 m 1 1 l\nendstream\nendobj\n");
    size_t off_cat = bad.len;
    buf_puts(&bad, "1 0 obj\n<< /DSS 900 0 R ");
    buf_append(&bad, cat + 2, cat_len - 2);
    buf_puts(&bad, "endobj\n");
    size_t off_dss = bad.len;
    buf_puts(&bad, "900 0 obj\n<< /Type /DSS /Certs [] >>\nendobj\n");
    size_t x = bad.len;
    buf_printf(&bad,
               "xref\n1 1\n%010zu 00000 n \n9 1\n%010zu 00000 n \n900 1\n%010zu 00000 n \n"
               "trailer\n<< /Size 1 /Root 1 0 R /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n",
               off_cat, off_content, off_dss, prev, x);
    assert_int_equal(pades_only_dss_after(bad.data, bad.len, one.len, why), -1);
    assert_string_not_equal(why, "");
    buf_free(&base);
    buf_free(&one);
    buf_free(&bad);
}

static void test_refusals(void **state)
{
    (void)state;
    char when[32];
    const char *why = NULL;
    const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(tsa_check(junk, sizeof junk, junk, sizeof junk, trust, when, &why), -1);
    assert_string_equal(why, "the timestamp is not an RFC 3161 token");
    error err;
    assert_null(pades_trust_load("/nonexistent/ca.pem", &err));
    assert_string_equal(err.arg, "ca");
    sign_key k;
    assert_int_equal(sign_key_load_p12(junk, sizeof junk, "x", &k, &err), -1);
    assert_string_equal(err.arg, "p12");
    sign_key_free(&k);
}

/* The server's TSA is an administrator's URL: on a private address it is refused before any
 * connection (port 9, discard: nothing listens there, so a connection would fail otherwise),
 * unless the operator allowed it; an address given in any form is judged as the one it is. */
static void test_tsa_private_refused(void **state)
{
    (void)state;
    static const char *const urls[] = {"http://127.0.0.1:9/", "http://[::1]:9/",
                                       "http://[::ffff:169.254.169.254]:9/", "http://10.0.0.1:9/",
                                       "http://localhost:9/"};
    const unsigned char data[] = "signature value";
    tsa_set_private_ok(0);
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        buf token;
        buf_init(&token, 65536);
        error err;
        error_clear(&err);
        assert_int_equal(tsa_stamp(urls[i], data, sizeof data, &token, &err), -1);
        assert_int_equal(err.code, ERR_UNAVAILABLE);
        assert_string_equal(err.arg, "tsa");
        if (!strstr(err.detail, "allowed only with --crl-private-ok"))
            fail_msg("%s: %s", urls[i], err.detail);
        assert_int_equal(token.len, 0);
        buf_free(&token);
    }
    /* Allowed: the request goes, and fails on the closed port instead. */
    tsa_set_private_ok(1);
    buf token;
    buf_init(&token, 65536);
    error err;
    error_clear(&err);
    assert_int_equal(tsa_stamp(urls[0], data, sizeof data, &token, &err), -1);
    assert_null(strstr(err.detail, "--crl-private-ok"));
    buf_free(&token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_then_verify), cmocka_unit_test(test_two_signatures),
        cmocka_unit_test(test_dss_update),       cmocka_unit_test(test_dss_update_with_false_size),
        cmocka_unit_test(test_refusals),         cmocka_unit_test(test_tsa_private_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

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
    assert_int_equal(pades_add_lt(one.data, one.len, &lt, &err), 0);
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
    assert_int_equal(pades_add_lt(lt.data, lt.len, &one, &err), -1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_then_verify),
        cmocka_unit_test(test_two_signatures),
        cmocka_unit_test(test_dss_update),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_pades — signing and verifying in one process (src/sign/pades, cms_sign, tsa): a key
 * and a self-signed certificate made here sign a one-page PDF; the verifier finds it valid,
 * covering the whole file, with the attributes of the baseline; a changed byte is a digest
 * mismatch, bytes appended leave it valid but not covering the file, a store without the
 * certificate refuses the chain; a second signature over the first keeps both valid; a
 * timestamp token that is not one is refused with its reason; trust anchors must be readable;
 * a DSS update (B-LT's, without CRLs for a self-signed signer) is allowed after a signature,
 * bytes that bring none are not. Document timestamps, made against a TSA served on loopback
 * by this process (OpenSSL's TS_RESP_CTX behind a one-request-at-a-time HTTP loop), verify
 * and may follow a signature, but a page changed before one leaves the file not total. A test
 * CA issues the TSA and an élu, and its CRLs, put in a DSS with pdf_update_write_dss, are read
 * back: the élu revoked is invalid, a DSS without the élu's CRL is not B-LT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "sign/crl.h"
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

/* The test CA, the TSA and the élu it issued; a CA of elsewhere. */
static EVP_PKEY *ca_key, *tsa_key, *other_key;
static X509 *ca_cert, *tsa_cert, *other_cert;
static sign_key elu;
static const char *const ca_exts[][2] = {{"basicConstraints", "critical,CA:TRUE"},
                                         {"keyUsage", "critical,keyCertSign,cRLSign"},
                                         {NULL, NULL}};

/* The TSA on loopback: its listening socket, its thread and its URL. */
static int tsa_fd = -1;
static pthread_t tsa_thread;
static char tsa_url[64];

/* The TimeStampResp for the request body (n bytes) in out: a token by the TSA, signed with
 * SHA-256 under policy 1.2.3.4.1. */
static void tsa_answer(const char *body, size_t n, buf *out)
{
    TS_RESP_CTX *ctx = TS_RESP_CTX_new();
    BIO *in = BIO_new_mem_buf(body, (int)n);
    ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
    TS_RESP *resp = NULL;
    unsigned char *der = NULL;
    if (ctx && in && policy && TS_RESP_CTX_set_signer_cert(ctx, tsa_cert) &&
        TS_RESP_CTX_set_signer_key(ctx, tsa_key) && TS_RESP_CTX_set_def_policy(ctx, policy) &&
        TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) && TS_RESP_CTX_add_md(ctx, EVP_sha256()) &&
        (resp = TS_RESP_create_response(ctx, in))) {
        int len = i2d_TS_RESP(resp, &der);
        if (len > 0)
            buf_append(out, der, (size_t)len);
    }
    OPENSSL_free(der);
    TS_RESP_free(resp);
    ASN1_OBJECT_free(policy);
    BIO_free(in);
    TS_RESP_CTX_free(ctx);
}

/* Answers each connection's one POST until the socket is shut down. */
static void *tsa_serve(void *arg)
{
    (void)arg;
    int c;
    while ((c = accept(tsa_fd, NULL, NULL)) >= 0) {
        char req[8192];
        size_t got = 0;
        const char *body = NULL;
        long want = -1;
        for (ssize_t r; got < sizeof req && (r = read(c, req + got, sizeof req - got)) > 0;) {
            got += (size_t)r;
            const char *end = memmem(req, got, "\r\n\r\n", 4);
            if (end && !body) {
                body = end + 4;
                const char *cl = memmem(req, (size_t)(end - req), "Content-Length:", 15);
                want = cl ? strtol(cl + 15, NULL, 10) : 0;
            }
            if (body && (long)(got - (size_t)(body - req)) >= want)
                break;
        }
        buf resp;
        buf_init(&resp, 64 * 1024);
        if (body)
            tsa_answer(body, got - (size_t)(body - req), &resp);
        char head[128];
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.0 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          resp.len);
        if (write(c, head, (size_t)hn) < 0 || write(c, resp.data, resp.len) < 0)
            fprintf(stderr, "tsa: write failed\n");
        buf_free(&resp);
        close(c);
    }
    return NULL;
}

static void tsa_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    tsa_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(tsa_fd >= 0);
    assert_int_equal(bind(tsa_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(tsa_fd, 4), 0);
    assert_int_equal(getsockname(tsa_fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(tsa_url, sizeof tsa_url, "http://127.0.0.1:%u/tsa", ntohs(a.sin_port));
    assert_int_equal(pthread_create(&tsa_thread, NULL, tsa_serve, NULL), 0);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(test_signer_make(2048, "Élu d'essai", &key.key, &key.cert), 0);
    key.chain = sk_X509_new_null();
    const char *const tsa_exts[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                       {"keyUsage", "critical,digitalSignature"},
                                       {"extendedKeyUsage", "critical,timeStamping"},
                                       {NULL, NULL}};
    const char *const elu_exts[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                       {"keyUsage", "critical,digitalSignature,nonRepudiation"},
                                       {NULL, NULL}};
    assert_int_equal(
        test_signer_issue(2048, "CA d'essai", ca_exts, NULL, NULL, 1, &ca_key, &ca_cert), 0);
    assert_int_equal(
        test_signer_issue(2048, "Autre CA", ca_exts, NULL, NULL, 1, &other_key, &other_cert), 0);
    assert_int_equal(test_signer_issue(2048, "Horodatage d'essai", tsa_exts, ca_key, ca_cert, 2,
                                       &tsa_key, &tsa_cert),
                     0);
    assert_int_equal(
        test_signer_issue(2048, "Élue révoquée", elu_exts, ca_key, ca_cert, 3, &elu.key, &elu.cert),
        0);
    elu.chain = sk_X509_new_null();
    assert_true(X509_up_ref(ca_cert) && sk_X509_push(elu.chain, ca_cert) > 0);
    trust = X509_STORE_new();
    X509_STORE_add_cert(trust, key.cert);
    X509_STORE_add_cert(trust, ca_cert);
    tsa_start();
    buf_init(&pdf, 1 << 20);
    minimal_pdf(&pdf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    shutdown(tsa_fd, SHUT_RDWR);
    pthread_join(tsa_thread, NULL);
    close(tsa_fd);
    sign_key_free(&key);
    sign_key_free(&elu);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(tsa_key);
    EVP_PKEY_free(other_key);
    X509_free(ca_cert);
    X509_free(tsa_cert);
    X509_free(other_cert);
    X509_STORE_free(trust);
    buf_free(&pdf);
    return 0;
}

static const pdf_sig_meta meta = {"Arrêté", NULL, NULL, 1796000000, 0, 0};

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
    assert_int_equal(pades_only_dss_after(lt.data, lt.len, one.len, 0, why), 0);
    pades_check c[4];
    assert_int_equal(verify_all(&lt, trust, c), 1);
    assert_true(c[0].valid);
    assert_false(c[0].covers_whole);
    assert_string_equal(c[0].level, "B-B");
    /* Bytes that bring no DSS are no DSS update; a file not ending with a signature gets
     * none. */
    buf_puts(&one, "% later\n");
    assert_int_equal(pades_only_dss_after(one.data, one.len, one.len - 8, 0, why), -1);
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
    assert_int_equal(pades_only_dss_after(bad.data, bad.len, one.len, 1, why), -1);
    assert_string_not_equal(why, "");
    buf_free(&base);
    buf_free(&one);
    buf_free(&bad);
}

/* Verifies every signature of b with pades_verify_all: how many, the checks in c (max 4). */
static size_t verify_file(const buf *b, pades_check c[4], pades_after *after)
{
    pades_sig sigs[4];
    size_t n = 0;
    error err;
    assert_int_equal(pades_verify_all(b->data, b->len, trust, sigs, c, 4, &n, after, &err), 0);
    return n;
}

static void test_doc_timestamp(void **state)
{
    (void)state;
    buf one, ts, changed, bad;
    buf_init(&one, 4 << 20);
    buf_init(&ts, 4 << 20);
    buf_init(&changed, 4 << 20);
    buf_init(&bad, 4 << 20);
    char field[32];
    error err;
    assert_int_equal(pades_sign(pdf.data, pdf.len, &key, &meta, NULL, &one, field, &err), 0);
    int rc = pades_timestamp(one.data, one.len, tsa_url, &ts, field, &err);
    if (rc != 0)
        fprintf(stderr, "timestamp: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_string_equal(field, "Signature2");
    assert_memory_equal(ts.data, one.data, one.len);
    assert_non_null(
        memmem(ts.data + one.len, ts.len - one.len,
               "/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161\n", 67));
    pades_check c[4];
    pades_after after;
    assert_int_equal(verify_file(&ts, c, &after), 2);
    assert_true(c[0].valid);
    assert_false(c[0].covers_whole);
    assert_true(c[1].valid);
    assert_true(c[1].doc_timestamp);
    assert_true(c[1].covers_whole);
    assert_string_equal(c[1].level, "DocTS");
    assert_string_equal(c[1].signer, "Horodatage d'essai");
    assert_non_null(strstr(c[1].stamped, " UTC"));
    assert_true(after.total);
    assert_true(after.validation_after);
    assert_int_equal(after.last_sig, 0);

    /* A TSA the anchors do not know: the timestamp is not valid. */
    X509_STORE *only_signer = X509_STORE_new();
    X509_STORE_add_cert(only_signer, key.cert);
    pades_sig sigs[4];
    size_t n;
    assert_int_equal(pades_scan(ts.data, ts.len, sigs, 4, &n, &err), 0);
    pades_verify(ts.data, ts.len, &sigs[1], only_signer, &c[1]);
    assert_false(c[1].valid);
    assert_non_null(strstr(c[1].why, "the TSA's chain"));
    X509_STORE_free(only_signer);

    /* A byte of the signature's revision changed: the timestamp's imprint no longer matches. */
    buf_append(&bad, ts.data, ts.len);
    bad.data[pdf.len / 2] ^= 1;
    verify_file(&bad, c, &after);
    assert_false(c[1].valid);
    buf_reset(&bad);

    /* The page changed after the signature, then the whole timestamped: the timestamp is
     * valid and covers the file, yet the file is not total. */
    size_t page_len = 0;
    const char *page = last_object(&one, 3, &page_len);
    assert_non_null(page);
    size_t prev = 0;
    assert_int_equal(pdf_update_startxref(one.data, one.len, &prev), 0);
    buf_append(&changed, one.data, one.len);
    size_t at = changed.len;
    buf_puts(&changed, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] ");
    const char *annots = memmem(page, page_len, "/Annots", 7);
    assert_non_null(annots);
    buf_append(&changed, annots, (size_t)(memchr(annots, ']', page_len) - (void *)annots) + 1);
    buf_puts(&changed, " >>\nendobj\n");
    size_t x = changed.len;
    buf_printf(&changed,
               "xref\n3 1\n%010zu 00000 n \ntrailer\n<< /Size 7 /Root 1 0 R /Prev %zu >>\n"
               "startxref\n%zu\n%%%%EOF\n",
               at, prev, x);
    rc = pades_timestamp(changed.data, changed.len, tsa_url, &bad, field, &err);
    if (rc != 0)
        fprintf(stderr, "timestamp: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_int_equal(verify_file(&bad, c, &after), 2);
    assert_true(c[0].valid && c[1].valid && c[1].covers_whole);
    assert_false(after.total);
    assert_string_equal(after.why, "the update after it changes object 3 0");
    /* Without the timestamp, bytes after the signature that bring neither DSS nor timestamp. */
    verify_file(&changed, c, &after);
    assert_false(after.total);
    buf_free(&one);
    buf_free(&ts);
    buf_free(&changed);
    buf_free(&bad);
}

/* signed (pades_sign of the minimal PDF: form 4, field 6, /Size 7) with an update adding the
 * field 7 of a document timestamp whose value (8) has no ByteRange, its rectangle rect, with
 * extra keys, in out. */
static void add_stamp_field(const buf *signed_pdf, const char *rect, const char *extra, buf *out)
{
    size_t prev = 0, off[4];
    assert_int_equal(pdf_update_startxref(signed_pdf->data, signed_pdf->len, &prev), 0);
    buf_reset(out);
    buf_append(out, signed_pdf->data, signed_pdf->len);
    const char *objs[4] = {
        "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [6 0 R 7 0 R] >>",
        "4 0 obj\n<< /Fields [6 0 R 7 0 R] /SigFlags 3 >>", NULL,
        "8 0 obj\n<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 >>"};
    for (int i = 0; i < 4; i++) {
        off[i] = out->len;
        if (objs[i])
            buf_puts(out, objs[i]);
        else
            buf_printf(
                out,
                "7 0 obj\n<< /FT /Sig /T (Signature2) /V 8 0 R /Type /Annot /Subtype /Widget "
                "/Rect %s /F 132 /P 3 0 R %s >>",
                rect, extra);
        buf_puts(out, "\nendobj\n");
    }
    size_t x = out->len;
    buf_printf(out,
               "xref\n3 2\n%010zu 00000 n \n%010zu 00000 n \n7 2\n%010zu 00000 n \n"
               "%010zu 00000 n \n",
               off[0], off[1], off[2], off[3]);
    buf_printf(out, "trailer\n<< /Size 9 /Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", prev,
               x);
}

/* A document timestamp's field may follow a signature; one carrying an action (a page-open
 * script could redraw the page) or drawn on the page may not. */
static void test_doc_timestamp_field_rules(void **state)
{
    (void)state;
    buf one, out;
    buf_init(&one, 4 << 20);
    buf_init(&out, 4 << 20);
    char field[32], why[96];
    error err;
    assert_int_equal(pades_sign(pdf.data, pdf.len, &key, &meta, NULL, &one, field, &err), 0);
    add_stamp_field(&one, "[0 0 0 0]", "", &out);
    int rc = pades_only_dss_after(out.data, out.len, one.len, 1, why);
    if (rc != 0)
        fprintf(stderr, "%s\n", why);
    assert_int_equal(rc, 0);
    /* Not when only DSS updates are allowed (after the last document timestamp). */
    assert_int_equal(pades_only_dss_after(out.data, out.len, one.len, 0, why), -1);
    add_stamp_field(&one, "[0 0 0 0]",
                    "/AA << /PO << /S /JavaScript /JS (this.getField\\(1\\)) >> >>", &out);
    assert_int_equal(pades_only_dss_after(out.data, out.len, one.len, 1, why), -1);
    assert_string_equal(why, "bytes after the last signature are not signed");
    /* Drawn on the page: likewise. */
    add_stamp_field(&one, "[10 10 200 60]", "", &out);
    assert_int_equal(pades_only_dss_after(out.data, out.len, one.len, 1, why), -1);
    buf_free(&one);
    buf_free(&out);
}

/* A CRL of issuer (key ikey) revoking the certificate numbered revoked (0: none) since
 * revoked_at seconds from now, current from an hour ago for a day, as DER in out. */
static void make_crl(X509 *issuer, EVP_PKEY *ikey, long revoked, long revoked_at, buf *out)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *from = X509_gmtime_adj(NULL, -3600), *to = X509_gmtime_adj(NULL, 86400);
    assert_true(crl && from && to && X509_CRL_set_version(crl, 1) &&
                X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
                X509_CRL_set1_lastUpdate(crl, from) && X509_CRL_set1_nextUpdate(crl, to));
    if (revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();
        ASN1_TIME *since = X509_gmtime_adj(NULL, revoked_at);
        assert_true(r && serial && since && ASN1_INTEGER_set(serial, revoked) &&
                    X509_REVOKED_set_serialNumber(r, serial) &&
                    X509_REVOKED_set_revocationDate(r, since) && X509_CRL_add0_revoked(crl, r));
        ASN1_TIME_free(since);
        ASN1_INTEGER_free(serial);
    }
    assert_true(X509_CRL_sort(crl) && X509_CRL_sign(crl, ikey, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509_CRL(crl, &der);
    assert_true(len > 0);
    buf_append(out, der, (size_t)len);
    OPENSSL_free(der);
    ASN1_TIME_free(from);
    ASN1_TIME_free(to);
    X509_CRL_free(crl);
}

/* signed_pdf (ending with its signature) with a DSS holding crl and the signature's VRI key,
 * in out; the signature then checked into c. */
static void dss_with_crl(const buf *signed_pdf, const buf *crl, buf *out, pades_check *c)
{
    pades_sig sigs[4];
    size_t n;
    error err;
    assert_int_equal(pades_scan(signed_pdf->data, signed_pdf->len, sigs, 4, &n, &err), 0);
    const pades_sig *s = &sigs[n - 1];
    size_t clen = (s->contents_len - 2) / 2;
    unsigned char *contents = malloc(clen);
    assert_non_null(contents);
    for (size_t i = 0; i < clen; i++) {
        char hex[3] = {signed_pdf->data[s->contents_at + 1 + 2 * i],
                       signed_pdf->data[s->contents_at + 2 + 2 * i], 0};
        contents[i] = (unsigned char)strtoul(hex, NULL, 16);
    }
    unsigned char sha1[SHA_DIGEST_LENGTH];
    SHA1(contents, clen, sha1);
    free(contents);
    pdf_dss d = {0};
    for (size_t i = 0; i < sizeof sha1; i++)
        snprintf(d.vri + 2 * i, 3, "%02X", sha1[i]);
    const pdf_blob blob = {(const unsigned char *)crl->data, crl->len};
    d.crls = &blob;
    d.ncrls = 1;
    buf_reset(out);
    assert_int_equal(pdf_update_write_dss(signed_pdf->data, signed_pdf->len, &d, out, &err), 0);
    assert_int_equal(pades_scan(out->data, out->len, sigs, 4, &n, &err), 0);
    pades_verify(out->data, out->len, &sigs[n - 1], trust, c);
}

/* in with an update redefining object id as a FlateDecode stream of data (n bytes), in out;
 * the last signature then checked into c. */
static void flate_object(const buf *in, int id, const unsigned char *data, size_t n, buf *out,
                         pades_check *c)
{
    uLongf zlen = compressBound((uLong)n);
    unsigned char *z = malloc(zlen);
    assert_non_null(z);
    assert_int_equal(compress2(z, &zlen, data, (uLong)n, 9), Z_OK);
    size_t prev = 0;
    assert_int_equal(pdf_update_startxref(in->data, in->len, &prev), 0);
    buf_reset(out);
    buf_append(out, in->data, in->len);
    size_t at = out->len;
    buf_printf(out, "%d 0 obj\n<< /Length %lu /Filter /FlateDecode >>\nstream\n", id,
               (unsigned long)zlen);
    buf_append(out, z, zlen);
    buf_puts(out, "\nendstream\nendobj\n");
    free(z);
    size_t x = out->len;
    buf_printf(out,
               "xref\n%d 1\n%010zu 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Prev %zu >>\n"
               "startxref\n%zu\n%%%%EOF\n",
               id, at, id + 1, prev, x);
    pades_sig sigs[4];
    size_t count;
    error err;
    assert_int_equal(pades_scan(out->data, out->len, sigs, 4, &count, &err), 0);
    pades_verify(out->data, out->len, &sigs[count - 1], trust, c);
}

static void test_dss_crls(void **state)
{
    (void)state;
    buf bt, lt, crl;
    buf_init(&bt, 4 << 20);
    buf_init(&lt, 4 << 20);
    buf_init(&crl, 1 << 20);
    char field[32];
    error err;
    /* B-T by the CA's élu: the DSS's CRLs are checked at the timestamp's time. */
    int rc = pades_sign(pdf.data, pdf.len, &elu, &meta, tsa_url, &bt, field, &err);
    if (rc != 0)
        fprintf(stderr, "sign: %s\n", err.detail);
    assert_int_equal(rc, 0);
    pades_check c;

    /* The CA's CRL, the élu not on it: B-LT, valid. */
    make_crl(ca_cert, ca_key, 0, 0, &crl);
    dss_with_crl(&bt, &crl, &lt, &c);
    assert_true(c.valid);
    assert_string_equal(c.level, "B-LT");
    assert_string_equal(c.not_lt, "");

    /* Revoked after the signature timestamp: the signature stands. */
    buf_reset(&crl);
    make_crl(ca_cert, ca_key, 3, 600, &crl);
    dss_with_crl(&bt, &crl, &lt, &c);
    assert_true(c.valid);
    assert_string_equal(c.level, "B-LT");

    /* The élu revoked on it before: invalid. */
    buf_reset(&crl);
    make_crl(ca_cert, ca_key, 3, -600, &crl);
    dss_with_crl(&bt, &crl, &lt, &c);
    assert_false(c.valid);
    assert_true(c.intact);
    assert_string_equal(c.why, "the signer's certificate was revoked (CRL in the DSS)");

    /* The same CRL compressed, as other tools write a DSS (object 8: the DSS is 7): read
     * back inflated. A stream inflating past its bound is refused without inflating it all. */
    buf flated;
    buf_init(&flated, 8 << 20);
    flate_object(&lt, 8, (const unsigned char *)crl.data, crl.len, &flated, &c);
    assert_false(c.valid);
    assert_string_equal(c.why, "the signer's certificate was revoked (CRL in the DSS)");
    unsigned char *zeros = calloc(CRL_MAX + 16, 1);
    assert_non_null(zeros);
    flate_object(&lt, 8, zeros, CRL_MAX + 16, &flated, &c);
    free(zeros);
    assert_true(c.valid);
    assert_string_equal(c.level, "B-T");
    assert_string_equal(c.not_lt, "a CRL of the DSS does not inflate within its size limit");
    buf_free(&flated);

    /* Only another CA's CRL: nothing says the élu is not revoked, so no B-LT, still valid. */
    buf_reset(&crl);
    make_crl(other_cert, other_key, 3, -600, &crl);
    dss_with_crl(&bt, &crl, &lt, &c);
    assert_true(c.valid);
    assert_string_equal(c.level, "B-T");
    assert_non_null(strstr(c.not_lt, "the DSS's CRLs do not cover the chain: unable to get"));
    buf_free(&bt);
    buf_free(&lt);
    buf_free(&crl);
}

static void test_refusals(void **state)
{
    (void)state;
    tsa_info info;
    const char *why = NULL;
    const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(tsa_check(junk, sizeof junk, junk, sizeof junk, trust, &info, &why), -1);
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
        cmocka_unit_test(test_doc_timestamp),    cmocka_unit_test(test_doc_timestamp_field_rules),
        cmocka_unit_test(test_dss_crls),         cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tsa_private_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * pdf_sign — the signatures' benchmark (bench/run scenario "sign"): a PKCS#12 key (RSA-3072,
 * a self-signed certificate, made here and opened with sign_key_load_p12 as `guichet pdf
 * sign` does) signs a one-page PDF again and again (pades_sign: the incremental update, the
 * ByteRange's digest, the CMS); the reference is the same key's bare RSA signature of a
 * SHA-256 digest in the same run, the floor any signer pays. Then a document signed ten times
 * in a row is verified whole (pades_scan and pades_verify of every signature), timed.
 * With a PKCS#11 token (bench/run puts an RSA-3072 key and its certificate on a SoftHSM2
 * token), the same signatures made through the token (sign_key_load_pkcs11: the module called
 * with p11-kit, the PIN given once per session, C_Sign for each signature) are counted too.
 * Prints one line of key=value pairs for bench/run.
 *
 * usage: pdf_sign [SECONDS [MODULE TOKEN KEY PIN]]   (each rate measure runs SECONDS; default 3)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/pades.h"
#include "sign/pkcs11.h"
#include "test_signer.h"
#include "util/buf.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    fprintf(stderr, "pdf_sign: %s\n", what);
    return 1;
}

/* A PKCS#12 file (DER) of a new RSA-3072 key and its self-signed certificate. */
static int make_p12(buf *out)
{
    EVP_PKEY *k;
    X509 *c;
    if (test_signer_make(3072, "Banc d'essai", &k, &c) != 0)
        return -1;
    int rc = test_signer_p12(k, c, "banc", out);
    X509_free(c);
    EVP_PKEY_free(k);
    return rc;
}

static void one_page(buf *b)
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

/* Signs pdf with k again and again for seconds: signatures per second in *rate. 0, or -1 after
 * a message. */
static int sign_rate(const sign_key *k, const buf *pdf, const pdf_sig_meta *m, double seconds,
                     buf *out, double *rate)
{
    char field[32];
    error err;
    long signs = 0;
    double t0 = now_s(), t;
    do {
        buf_reset(out);
        if (pades_sign(pdf->data, pdf->len, k, m, NULL, out, field, &err) != 0)
            return fail(err.detail);
        signs++;
    } while ((t = now_s()) - t0 < seconds);
    *rate = (double)signs / (t - t0);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 3;
    if (!(seconds > 0 && seconds < 600))
        return fail("SECONDS must be between 0 and 600");
    if (argc != 2 && argc != 1 && argc != 6)
        return fail("usage: pdf_sign [SECONDS [MODULE TOKEN KEY PIN]]");
    buf p12, pdf, out, doc;
    buf_init(&p12, 1 << 20);
    buf_init(&pdf, 1 << 20);
    buf_init(&out, 4 << 20);
    buf_init(&doc, 4 << 20);
    sign_key k;
    error err;
    if (make_p12(&p12) != 0 || sign_key_load_p12(p12.data, p12.len, "banc", &k, &err) != 0)
        return fail("the PKCS#12 key could not be made");
    X509_STORE *trust = X509_STORE_new();
    X509_STORE_add_cert(trust, k.cert);
    one_page(&pdf);
    const pdf_sig_meta m = {"Banc", NULL, NULL, 1796000000, 0, 0};
    char field[32];

    /* guichet: whole signatures. */
    double sign_rate_p12, t0, t;
    if (sign_rate(&k, &pdf, &m, seconds, &out, &sign_rate_p12) != 0)
        return 1;

    /* The same through the token, when one is given. */
    double sign_rate_hsm = 0;
    if (argc == 6) {
        sign_key hk;
        if (sign_key_load_pkcs11(argv[2], argv[3], argv[4], argv[5], &hk, &err) != 0)
            return fail(err.detail);
        int rc = sign_rate(&hk, &pdf, &m, seconds, &out, &sign_rate_hsm);
        sign_key_free(&hk);
        if (rc != 0)
            return 1;
    }

    /* The reference: the key's bare signature of a digest. */
    unsigned char md[32] = {1}, sig[512];
    long raws = 0;
    t0 = now_s();
    do {
        size_t siglen = sizeof sig;
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(k.key, NULL);
        if (!pctx || EVP_PKEY_sign_init(pctx) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_sign(pctx, sig, &siglen, md, sizeof md) <= 0)
            return fail("RSA signature failed");
        EVP_PKEY_CTX_free(pctx);
        raws++;
    } while ((t = now_s()) - t0 < seconds);
    double raw_rate = (double)raws / (t - t0);

    /* A document signed ten times, verified whole. */
    buf_append(&doc, pdf.data, pdf.len);
    for (int i = 0; i < 10; i++) {
        buf_reset(&out);
        if (pades_sign(doc.data, doc.len, &k, &m, NULL, &out, field, &err) != 0)
            return fail(err.detail);
        buf_reset(&doc);
        buf_append(&doc, out.data, out.len);
    }
    pades_sig sigs[PADES_SIGS_MAX];
    double best = 1e9;
    for (int round = 0; round < 20; round++) {
        size_t n = 0;
        t0 = now_s();
        if (pades_scan(doc.data, doc.len, sigs, PADES_SIGS_MAX, &n, &err) != 0 || n != 10)
            return fail("the ten signatures were not found");
        for (size_t i = 0; i < n; i++) {
            pades_check c;
            pades_verify(doc.data, doc.len, &sigs[i], trust, &c);
            if (!c.valid)
                return fail(c.why);
        }
        double d = now_s() - t0;
        best = d < best ? d : best;
    }
    printf("sign_per_s=%.1f rsa_per_s=%.1f verify10_ms=%.2f doc10_bytes=%zu", sign_rate_p12,
           raw_rate, best * 1000, doc.len);
    if (argc == 6)
        printf(" hsm_sign_per_s=%.1f", sign_rate_hsm);
    printf("\n");
    X509_STORE_free(trust);
    sign_key_free(&k);
    buf_free(&p12);
    buf_free(&pdf);
    buf_free(&out);
    buf_free(&doc);
    return 0;
}

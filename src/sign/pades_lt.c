/*
 * pades_lt — PAdES B-LT (see pades.h): the validation data of a file's last signature put in
 * the catalog's /DSS by a further incremental update, so that the signature can still be
 * checked once its certificates have expired and their CA's services are gone. The
 * certificates are the ones the signature and its timestamp carry (the signer's chain, the
 * TSA's): each one that has an issuer must find it among them, and gets its CRL, fetched and
 * checked by sign/crl. Anything missing refuses B-LT rather than writing a DSS that would not
 * validate the signature later. The verifier reads the DSS's CRLs back here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/sha.h>
#include <qpdf/qpdf-c.h>
#include <zlib.h>

#include "sign/crl.h"
#include "sign/pades.h"

/* The value of hex digit c (checked by pades_scan). */
static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Adds x to pool (a new reference) unless an equal certificate is there. 0, or -1. */
static int pool_add(STACK_OF(X509) * pool, X509 *x)
{
    for (int i = 0; i < sk_X509_num(pool); i++)
        if (X509_cmp(sk_X509_value(pool, i), x) == 0)
            return 0;
    if (sk_X509_num(pool) >= PDF_DSS_ITEMS_MAX || !X509_up_ref(x))
        return -1;
    if (sk_X509_push(pool, x) <= 0) {
        X509_free(x);
        return -1;
    }
    return 0;
}

/* Adds the certificates of the signature timestamp si carries (B-T), if any, to pool. */
static int add_timestamp_certs(CMS_SignerInfo *si, STACK_OF(X509) * pool)
{
    int at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
    if (at < 0)
        return 0;
    ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, at), 0);
    if (!t || t->type != V_ASN1_SEQUENCE)
        return -1;
    const unsigned char *p = ASN1_STRING_get0_data(t->value.sequence);
    PKCS7 *token = d2i_PKCS7(NULL, &p, ASN1_STRING_length(t->value.sequence));
    int rc = token && PKCS7_type_is_signed(token) ? 0 : -1;
    STACK_OF(X509) *certs = rc == 0 ? token->d.sign->cert : NULL;
    for (int i = 0; rc == 0 && i < sk_X509_num(certs); i++)
        rc = pool_add(pool, sk_X509_value(certs, i));
    PKCS7_free(token);
    return rc;
}

/* The issuer of x among pool, NULL when none is. */
static X509 *issuer_in(STACK_OF(X509) * pool, X509 *x)
{
    for (int i = 0; i < sk_X509_num(pool); i++)
        if (X509_check_issued(sk_X509_value(pool, i), x) == X509_V_OK)
            return sk_X509_value(pool, i);
    return NULL;
}

/* The DER of every item of pool, in der, cut into blobs once der no longer moves. */
static int encode_all(STACK_OF(X509) * pool, buf *der, size_t *ends)
{
    for (int i = 0; i < sk_X509_num(pool); i++) {
        unsigned char *p = NULL;
        int n = i2d_X509(sk_X509_value(pool, i), &p);
        int ok = n > 0 && buf_append(der, p, (size_t)n) == 0;
        OPENSSL_free(p);
        if (!ok)
            return -1;
        ends[i] = der->len;
    }
    return 0;
}

static void to_blobs(const buf *b, const size_t *ends, size_t n, pdf_blob *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t from = i ? ends[i - 1] : 0;
        out[i] = (pdf_blob){(const unsigned char *)b->data + from, ends[i] - from};
    }
}

int pades_add_lt(const char *pdf, size_t len, int crl_private_ok, buf *out, error *err)
{
    int rc = -1;
    pades_sig *sigs = calloc(PADES_SIGS_MAX, sizeof *sigs);
    unsigned char *contents = NULL;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *pool = sk_X509_new_null();
    buf certs, crls;
    buf_init(&certs, (size_t)PDF_DSS_ITEMS_MAX * SIGN_CERT_MAX);
    buf_init(&crls, 4 * (size_t)CRL_MAX);
    size_t cert_ends[PDF_DSS_ITEMS_MAX], crl_ends[PDF_DSS_ITEMS_MAX], n = 0, ncrls = 0;
    pdf_blob cert_blobs[PDF_DSS_ITEMS_MAX], crl_blobs[PDF_DSS_ITEMS_MAX];
    pdf_dss d = {0};
    ERR_clear_error();
    if (!sigs || !pool) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    if (pades_scan(pdf, len, sigs, PADES_SIGS_MAX, &n, err) != 0)
        goto cleanup;
    const pades_sig *s = n ? &sigs[n - 1] : NULL;
    if (!s || s->problem || s->range[2] + s->range[3] != len) {
        error_set(err, ERR_INVALID_ARG, "pdf", "the file does not end with a signature");
        goto cleanup;
    }
    /* The VRI key hashes the /Contents string whole, padding included (EN 319 142-1
     * 5.4.2.3: the signature's value as the dictionary holds it). */
    size_t clen = (s->contents_len - 2) / 2;
    if (!(contents = malloc(clen ? clen : 1))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < clen; i++)
        contents[i] = (unsigned char)(hexval(pdf[s->contents_at + 1 + 2 * i]) << 4 |
                                      hexval(pdf[s->contents_at + 2 + 2 * i]));
    unsigned char sha1[SHA_DIGEST_LENGTH];
    SHA1(contents, clen, sha1);
    for (size_t i = 0; i < sizeof sha1; i++)
        snprintf(d.vri + 2 * i, 3, "%02X", sha1[i]);

    const unsigned char *p = contents;
    STACK_OF(CMS_SignerInfo) *sis = NULL;
    if (!(cms = d2i_CMS_ContentInfo(NULL, &p, (long)clen)) || !(sis = CMS_get0_SignerInfos(cms)) ||
        sk_CMS_SignerInfo_num(sis) != 1) {
        error_set(err, ERR_INVALID_ARG, "pdf", "the last signature is not a one-signer CMS");
        goto cleanup;
    }
    STACK_OF(X509) *carried = CMS_get1_certs(cms);
    int bad = 0;
    for (int i = 0; !bad && i < sk_X509_num(carried); i++)
        bad = pool_add(pool, sk_X509_value(carried, i)) != 0;
    sk_X509_pop_free(carried, X509_free);
    if (bad || add_timestamp_certs(sk_CMS_SignerInfo_value(sis, 0), pool) != 0) {
        error_set(err, ERR_INVALID_ARG, "pdf",
                  "the signature's certificates cannot be read or are over %d", PDF_DSS_ITEMS_MAX);
        goto cleanup;
    }
    if (encode_all(pool, &certs, cert_ends) != 0) {
        error_set(err, ERR_TOO_LARGE, "pdf", "the signature's certificates are too large");
        goto cleanup;
    }
    /* A CRL per certificate that has an issuer; one CRL serves all the certificates its CA
     * issued (the signer's and the TSA's, often), and is kept once. */
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *x = sk_X509_value(pool, i);
        if (X509_self_signed(x, 0) == 1)
            continue;
        X509 *issuer = issuer_in(pool, x);
        if (!issuer) {
            char who[160];
            cms_subject_name(x, who, sizeof who);
            error_set(err, ERR_INVALID_ARG, "pdf",
                      "the issuer of «%s» is not among the signature's certificates: put the "
                      "whole chain in the key store",
                      who);
            goto cleanup;
        }
        size_t before = crls.len;
        if (crl_fetch_checked(x, issuer, crl_private_ok, &crls, err) != 0)
            goto cleanup;
        size_t from = 0;
        int seen = 0;
        for (size_t k = 0; !seen && k < ncrls; from = crl_ends[k++])
            seen = crl_ends[k] - from == crls.len - before &&
                   memcmp(crls.data + from, crls.data + before, crls.len - before) == 0;
        if (seen)
            crls.len = before;
        else
            crl_ends[ncrls++] = crls.len;
    }
    to_blobs(&certs, cert_ends, (size_t)sk_X509_num(pool), cert_blobs);
    to_blobs(&crls, crl_ends, ncrls, crl_blobs);
    d.certs = cert_blobs;
    d.ncerts = (size_t)sk_X509_num(pool);
    d.crls = crl_blobs;
    d.ncrls = ncrls;
    rc = pdf_update_write_dss(pdf, len, &d, out, err);
cleanup:
    buf_free(&crls);
    buf_free(&certs);
    sk_X509_pop_free(pool, X509_free);
    CMS_ContentInfo_free(cms);
    free(contents);
    free(sigs);
    ERR_clear_error();
    return rc;
}

/* The bytes of stream s (in q), at most CRL_MAX of them, in *data (caller frees with free):
 * as stored, or inflated when its only filter is /FlateDecode without parameters (how other
 * tools write a DSS), never past the bound whatever the compression ratio. NULL, or why not. */
static const char *crl_bytes(qpdf_data q, qpdf_oh s, unsigned char **data, size_t *len)
{
    *data = NULL;
    qpdf_oh dict = qpdf_oh_get_dict(q, s), filter = qpdf_oh_get_key(q, dict, "/Filter");
    if (qpdf_oh_is_array(q, filter) && qpdf_oh_get_array_n_items(q, filter) == 1)
        filter = qpdf_oh_get_array_item(q, filter, 0);
    int flate = qpdf_oh_is_name_and_equals(q, filter, "/FlateDecode");
    if ((!flate && !qpdf_oh_is_null(q, filter)) ||
        (flate && qpdf_oh_has_key(q, dict, "/DecodeParms")))
        return "a CRL of the DSS has a filter other than FlateDecode";
    unsigned char *raw = NULL;
    size_t n = 0;
    if ((qpdf_oh_get_stream_data(q, s, qpdf_dl_none, NULL, &raw, &n) & QPDF_ERRORS) ||
        n > CRL_MAX) {
        free(raw);
        return "a CRL of the DSS cannot be read or is over its size limit";
    }
    if (!flate) {
        *data = raw;
        *len = n;
        return NULL;
    }
    const char *bad = "a CRL of the DSS does not inflate within its size limit";
    z_stream z = {0};
    unsigned char *out = malloc(CRL_MAX + 1);
    if (out && inflateInit(&z) == Z_OK) {
        z.next_in = raw;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = CRL_MAX + 1;
        /* One more byte than the bound: filling it means the CRL is over it. */
        if (inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out <= CRL_MAX) {
            *data = out;
            *len = z.total_out;
            out = NULL;
            bad = NULL;
        }
        inflateEnd(&z);
    }
    free(out);
    free(raw);
    return bad;
}

/* The CRLs of the /CRLs array dss (in q) pushed to crls: NULL, or why not. */
static const char *read_crls(qpdf_data q, qpdf_oh dss, STACK_OF(X509_CRL) * crls)
{
    qpdf_oh arr = qpdf_oh_get_key_if_dict(q, dss, "/CRLs");
    if (!qpdf_oh_is_array(q, arr))
        return NULL;
    int n = qpdf_oh_get_array_n_items(q, arr);
    if (n > PDF_DSS_ITEMS_MAX)
        return "the DSS has more CRLs than a verifier reads";
    for (int i = 0; i < n; i++) {
        qpdf_oh s = qpdf_oh_get_array_item(q, arr, i);
        if (!qpdf_oh_is_stream(q, s))
            return "a CRL of the DSS is not a stream";
        unsigned char *data = NULL;
        size_t len = 0;
        const char *bad = crl_bytes(q, s, &data, &len);
        if (bad)
            return bad;
        const unsigned char *p = data;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        free(data);
        if (!crl || sk_X509_CRL_push(crls, crl) <= 0) {
            X509_CRL_free(crl);
            return "a CRL of the DSS is not a DER CRL";
        }
    }
    return NULL;
}

const char *pades_dss_crls(const char *pdf, size_t len, STACK_OF(X509_CRL) * *crls)
{
    const char *bad = "out of memory";
    *crls = sk_X509_CRL_new_null();
    qpdf_data q = qpdf_init();
    if (!*crls || !q)
        goto cleanup;
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    if (qpdf_read_memory(q, "pdf", pdf, len, NULL) & QPDF_ERRORS) {
        bad = "the file cannot be read for its DSS";
        goto cleanup;
    }
    bad = read_crls(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/DSS"), *crls);
    if (!bad && qpdf_has_error(q))
        bad = "the DSS is damaged";
cleanup:
    if (q)
        qpdf_cleanup(&q);
    if (bad) {
        sk_X509_CRL_pop_free(*crls, X509_CRL_free);
        *crls = NULL;
    }
    ERR_clear_error();
    return bad;
}

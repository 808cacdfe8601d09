/*
 * pades — signing and verifying (see pades.h). The verifier computes the ByteRange's digest
 * itself and compares it with the messageDigest attribute before checking the signature over
 * the attributes (CMS_SignerInfo_verify), so that a changed byte is told apart from a bad
 * signature, and checks the chain itself against the given anchors, so that its reason is
 * OpenSSL's own words.
 */
#include "sign/pades.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "sign/tsa.h"

/* The digest of the two ranges of a ByteRange (the caller checked they lie in the file). */
static int range_digest(const char *pdf, const size_t r[4], const EVP_MD *md, unsigned char *out,
                        unsigned *outlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, pdf + r[0], r[1]) &&
             EVP_DigestUpdate(ctx, pdf + r[2], r[3]) && EVP_DigestFinal_ex(ctx, out, outlen);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* Writes pdf and its signature update for cert (m->name empty: the certificate's common
 * name) to out, ByteRange filled; the range's SHA-256 in digest. 0, or -1 with err. */
static int place_update(const char *pdf, size_t len, X509 *cert, const pdf_sig_meta *m, buf *out,
                        pdf_update_pos *pos, unsigned char digest[32], error *err)
{
    pdf_sig_meta meta = *m;
    char cn[PDF_UPDATE_TEXT_MAX + 1];
    if (!meta.doc_timestamp && (!meta.name || !*meta.name)) {
        cms_subject_name(cert, cn, sizeof cn);
        meta.name = cn;
    }
    if (pdf_update_write(pdf, len, &meta, out, pos, err) != 0 ||
        pdf_update_set_byterange(out, pos, err) != 0)
        return -1;
    size_t after = pos->contents_at + pos->contents_len;
    size_t r[4] = {0, pos->contents_at, after, out->len - after};
    unsigned dlen = 0;
    if (range_digest(out->data, r, EVP_sha256(), digest, &dlen) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "SHA-256 failed");
    return 0;
}

/* Writes der's hex into the /Contents whose '<' is at contents_at and that spans
 * contents_len bytes from '<' to '>' inside out. 0, or -1 with err (ERR_INVALID_ARG when it
 * would not fit: nothing is written). */
static int put_contents(buf *out, size_t contents_at, size_t contents_len, const buf *der,
                        error *err)
{
    if (contents_len < 2 || contents_at > out->len || contents_len > out->len - contents_at)
        return error_set(err, ERR_INVALID_ARG, "pdf",
                         "the signature's /Contents is not in the file");
    /* The hex digits go between '<' and '>': never past the placeholder, which would
     * overwrite signed bytes or run off the file. */
    if (2 * der->len > contents_len - 2)
        return error_set(err, ERR_INVALID_ARG, "pdf",
                         "the signature (%zu bytes) does not fit the reserved /Contents", der->len);
    static const char hex[] = "0123456789ABCDEF";
    char *h = out->data + contents_at + 1;
    for (size_t i = 0; i < der->len; i++) {
        h[2 * i] = hex[(unsigned char)der->data[i] >> 4];
        h[2 * i + 1] = hex[(unsigned char)der->data[i] & 15];
    }
    return 0;
}

/* Signs digest with k (cms_sign_digest) and writes the CMS into the /Contents at contents_at
 * (put_contents). 0, or -1 with err. */
static int fill_contents(buf *out, size_t contents_at, size_t contents_len, const sign_key *k,
                         const unsigned char digest[32], const char *tsa_url, error *err)
{
    buf der;
    buf_init(&der, PDF_UPDATE_CONTENTS_MAX);
    int rc = cms_sign_digest(k, digest, tsa_url, &der, err);
    if (rc == 0)
        rc = put_contents(out, contents_at, contents_len, &der, err);
    buf_free(&der);
    return rc;
}

int pades_sign(const char *pdf, size_t len, const sign_key *k, const pdf_sig_meta *m,
               const char *tsa_url, buf *out, char field[32], error *err)
{
    pdf_update_pos pos;
    unsigned char digest[32];
    if (place_update(pdf, len, k->cert, m, out, &pos, digest, err) != 0 ||
        fill_contents(out, pos.contents_at, pos.contents_len, k, digest, tsa_url, err) != 0)
        return -1;
    snprintf(field, 32, "%s", pos.field);
    return 0;
}

int pades_timestamp(const char *pdf, size_t len, const char *tsa_url, buf *out, char field[32],
                    error *err)
{
    pdf_update_pos pos;
    unsigned char digest[32];
    const pdf_sig_meta m = {.doc_timestamp = 1};
    if (place_update(pdf, len, NULL, &m, out, &pos, digest, err) != 0)
        return -1;
    /* The token itself is the /Contents: a ContentInfo SignedData over a TSTInfo whose
     * imprint is the ByteRange's SHA-256 (ETSI EN 319 142-1 5.4.3). */
    buf token;
    buf_init(&token, PDF_UPDATE_CONTENTS_MAX);
    int rc = tsa_stamp_digest(tsa_url, digest, &token, err);
    if (rc == 0)
        rc = put_contents(out, pos.contents_at, pos.contents_len, &token, err);
    buf_free(&token);
    if (rc == 0)
        snprintf(field, 32, "%s", pos.field);
    return rc;
}

int pades_prepare(const char *pdf, size_t len, X509 *cert, const pdf_sig_meta *m, buf *out,
                  unsigned char to_sign[32], char field[32], error *err)
{
    pdf_update_pos pos;
    unsigned char digest[32];
    const sign_key k = {.cert = cert};
    if (place_update(pdf, len, cert, m, out, &pos, digest, err) != 0 ||
        cms_attrs_digest(&k, digest, to_sign, err) != 0)
        return -1;
    snprintf(field, 32, "%s", pos.field);
    return 0;
}

int pades_complete(const char *prep, size_t len, const sign_key *k, const char *tsa_url, buf *out,
                   error *err)
{
    pades_sig *sigs = calloc(PADES_SIGS_MAX, sizeof *sigs);
    size_t n = 0;
    int rc = -1;
    if (!sigs)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (pades_scan(prep, len, sigs, PADES_SIGS_MAX, &n, err) != 0)
        goto cleanup;
    /* The prepared signature: the file's last, whole, its /Contents the placeholder `pdf
     * prepare` reserves (its size exactly) and still all zeros. */
    const pades_sig *s = n ? &sigs[n - 1] : NULL;
    int empty = s && !s->problem && s->range[2] + s->range[3] == len &&
                s->contents_len == 2 + 2 * (size_t)PDF_UPDATE_CONTENTS_MAX;
    for (size_t i = 1; empty && i + 1 < s->contents_len; i++)
        empty = prep[s->contents_at + i] == '0';
    if (!empty) {
        error_set(err, ERR_INVALID_ARG, "pdf", "not a file prepared by guichet pdf prepare");
        goto cleanup;
    }
    unsigned char digest[32];
    unsigned dlen = 0;
    if (buf_append(out, prep, len) != 0 ||
        range_digest(out->data, s->range, EVP_sha256(), digest, &dlen) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "SHA-256 failed");
        goto cleanup;
    }
    rc = fill_contents(out, s->contents_at, s->contents_len, k, digest, tsa_url, err);
cleanup:
    free(sigs);
    return rc;
}

X509_STORE *pades_trust_load(const char *path, error *err)
{
    X509_STORE *st = X509_STORE_new();
    if (!st) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    if (X509_STORE_load_file(st, path) != 1 ||
        sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) < 1) {
        error_set(err, ERR_INVALID_ARG, "ca", "no certificate could be read from %s", path);
        X509_STORE_free(st);
        return NULL;
    }
    return st;
}

static void why(pades_check *c, const char *text)
{
    snprintf(c->why, sizeof c->why, "%s", text);
}

/* The value of hex digit c (checked by pades_scan). */
static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Checks the signer's ESS signing-certificate-v2 attribute against its certificate. */
static int ess_matches(CMS_SignerInfo *si, X509 *signer, STACK_OF(X509) * certs)
{
    ASN1_STRING *seq = CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE);
    if (!seq)
        return -1;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    ESS_SIGNING_CERT_V2 *v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(seq));
    STACK_OF(X509) *chain = sk_X509_new_null();
    int ok = v2 && chain && sk_X509_push(chain, signer);
    for (int i = 0; ok && i < sk_X509_num(certs); i++)
        if (sk_X509_value(certs, i) != signer)
            ok = sk_X509_push(chain, sk_X509_value(certs, i)) > 0;
    ok = ok && OSSL_ESS_check_signing_certs(NULL, v2, chain, 1) > 0;
    sk_X509_free(chain);
    ESS_SIGNING_CERT_V2_free(v2);
    return ok ? 0 : -2;
}

/* The signature's level (pades_check.level): B-T when its signer si has a timestamp
 * attribute; B-LT when, after the signature, a /VRI key is the SHA-1 of its /Contents (der,
 * n bytes, padding included) as pades_add_lt writes it. */
static void level(const char *pdf, size_t len, const pades_sig *sig, const unsigned char *der,
                  size_t n, CMS_SignerInfo *si, pades_check *out)
{
    snprintf(out->level, sizeof out->level, "B-B");
    if (CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) < 0)
        return;
    snprintf(out->level, sizeof out->level, "B-T");
    unsigned char sha1[20];
    char key[42] = "/";
    SHA1(der, n, sha1);
    for (size_t i = 0; i < sizeof sha1; i++)
        snprintf(key + 1 + 2 * i, 3, "%02X", sha1[i]);
    size_t from = sig->contents_at + sig->contents_len;
    const char *hit = memmem(pdf + from, len - from, key, 41);
    if (hit && (size_t)(hit + 41 - pdf) < len && hit[41] && strchr(" \t\r\n<", hit[41]))
        snprintf(out->level, sizeof out->level, "B-LT");
}

/* A document timestamp (/SubFilter /ETSI.RFC3161): its /Contents (der, n bytes) is the TSA's
 * token over the ByteRange, checked as a signature timestamp is (tsa_check_ranges). */
static void verify_doc_timestamp(const char *pdf, const pades_sig *sig, const unsigned char *der,
                                 size_t n, X509_STORE *trust, pades_check *out)
{
    out->doc_timestamp = 1;
    snprintf(out->level, sizeof out->level, "DocTS");
    tsa_info info;
    const char *bad = NULL;
    if (tsa_check_ranges(der, n, pdf, sig->range, trust, &info, &bad) != 0) {
        why(out, bad);
        return;
    }
    snprintf(out->signer, sizeof out->signer, "%s", info.tsa);
    snprintf(out->stamped, sizeof out->stamped, "%s", info.when);
    out->intact = 1;
    out->valid = 1;
}

/* What the CRL check's callback knows: the DSS's CRLs and the signature timestamp's time. */
typedef struct crl_time {
    STACK_OF(X509_CRL) * crls;
    time_t at;
} crl_time;

/* Lets a certificate revoked after the signature timestamp through: the timestamp proves the
 * signature existed while the certificate was good (a later revocation — an élu who left
 * office, a key retired — does not undo the acts signed before). */
static int revoked_after_stamp(int ok, X509_STORE_CTX *ctx)
{
    const crl_time *ct = X509_STORE_CTX_get_app_data(ctx);
    if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CERT_REVOKED || !ct || !ct->at)
        return ok;
    X509 *x = X509_STORE_CTX_get_current_cert(ctx);
    time_t at = ct->at;
    for (int i = 0; x && i < sk_X509_CRL_num(ct->crls); i++) {
        X509_REVOKED *r = NULL;
        if (X509_CRL_get0_by_cert(sk_X509_CRL_value(ct->crls, i), &r, x) > 0 &&
            X509_cmp_time(X509_REVOKED_get0_revocationDate(r), &at) <= 0)
            return 0;
    }
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
}

/* B-LT's revocation data read back: when the file's /DSS holds CRLs, the signer's chain
 * (signer, with the untrusted certs) is checked against them at time at (the signature
 * timestamp's; 0: now). A certificate revoked (before at, when there is a timestamp) makes
 * the signature invalid (-1 with why set); a DSS without a current CRL for every certificate
 * of the chain only takes B-LT away (not_lt says why). 0 otherwise. */
static int check_dss_crls(const char *pdf, size_t len, X509_STORE *trust, X509 *signer,
                          STACK_OF(X509) * certs, time_t at, pades_check *out)
{
    if (!memmem(pdf, len, "/DSS", 4))
        return 0;
    STACK_OF(X509_CRL) *crls = NULL;
    X509_STORE_CTX *ctx = NULL;
    int rc = 0, is_lt = strcmp(out->level, "B-LT") == 0;
    const char *bad = pades_dss_crls(pdf, len, &crls);
    if (bad || sk_X509_CRL_num(crls) == 0) {
        if (bad && is_lt)
            snprintf(out->not_lt, sizeof out->not_lt, "%s", bad);
        goto cleanup;
    }
    if (!(ctx = X509_STORE_CTX_new()) || X509_STORE_CTX_init(ctx, trust, signer, certs) != 1) {
        why(out, "out of memory");
        rc = -1;
        goto cleanup;
    }
    X509_STORE_CTX_set0_crls(ctx, crls);
    crl_time ct = {crls, at};
    X509_STORE_CTX_set_app_data(ctx, &ct);
    X509_STORE_CTX_set_verify_cb(ctx, revoked_after_stamp);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    if (at)
        X509_VERIFY_PARAM_set_time(param, at);
    if (X509_verify_cert(ctx) == 1)
        goto cleanup;
    int e = X509_STORE_CTX_get_error(ctx);
    if (e == X509_V_ERR_CERT_REVOKED) {
        why(out, X509_STORE_CTX_get_error_depth(ctx) == 0
                     ? "the signer's certificate was revoked (CRL in the DSS)"
                     : "a CA certificate of the signer's chain was revoked (CRL in the DSS)");
        rc = -1;
    } else if (is_lt) {
        snprintf(out->not_lt, sizeof out->not_lt, "the DSS's CRLs do not cover the chain: %s",
                 X509_verify_cert_error_string(e));
    }
cleanup:
    if (out->not_lt[0])
        snprintf(out->level, sizeof out->level, "B-T");
    X509_STORE_CTX_free(ctx);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return rc;
}

void pades_verify(const char *pdf, size_t len, const pades_sig *sig, X509_STORE *trust,
                  pades_check *out)
{
    memset(out, 0, sizeof *out);
    if (sig->problem) {
        why(out, sig->problem);
        return;
    }
    out->covers_whole = sig->range[2] + sig->range[3] == len;
    ERR_clear_error();
    size_t n = (sig->contents_len - 2) / 2;
    unsigned char *der = malloc(n ? n : 1);
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *certs = NULL;
    X509_STORE_CTX *ctx = NULL;
    X509 *signer = NULL;
    if (!der) {
        why(out, "out of memory");
        return;
    }
    const char *h = pdf + sig->contents_at + 1;
    for (size_t i = 0; i < n; i++)
        der[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
    if (strcmp(sig->subfilter, "ETSI.RFC3161") == 0) {
        verify_doc_timestamp(pdf, sig, der, n, trust, out);
        goto cleanup;
    }
    const unsigned char *p = der;
    if (!(cms = d2i_CMS_ContentInfo(NULL, &p, (long)n)) ||
        OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        why(out, "the /Contents is not a CMS SignedData");
        goto cleanup;
    }
    if (CMS_is_detached(cms) != 1) {
        why(out, "the CMS is not detached");
        goto cleanup;
    }
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    if (sk_CMS_SignerInfo_num(sis) != 1) {
        why(out, "the CMS has not exactly one signer");
        goto cleanup;
    }
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    level(pdf, len, sig, der, n, si, out);
    certs = CMS_get1_certs(cms);
    for (int i = 0; !signer && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
            signer = sk_X509_value(certs, i);
    if (!signer) {
        why(out, "the signer's certificate is not in the signature");
        goto cleanup;
    }
    cms_subject_name(signer, out->signer, sizeof out->signer);

    /* The bytes: the digest of the ByteRange against the signed messageDigest. */
    X509_ALGOR *digalg = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &digalg, NULL);
    int md_nid = digalg ? OBJ_obj2nid(digalg->algorithm) : NID_undef;
    const EVP_MD *md = md_nid == NID_sha256 || md_nid == NID_sha384 || md_nid == NID_sha512
                           ? EVP_get_digestbynid(md_nid)
                           : NULL;
    if (!md) {
        why(out, "the digest algorithm is not SHA-256, SHA-384 or SHA-512");
        goto cleanup;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    ASN1_OCTET_STRING *signed_md = CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
    if (!signed_md) {
        why(out, "the signature has no messageDigest attribute");
        goto cleanup;
    }
    if (range_digest(pdf, sig->range, md, digest, &dlen) != 0) {
        why(out, "the digest could not be computed");
        goto cleanup;
    }
    if ((unsigned)ASN1_STRING_length(signed_md) != dlen ||
        memcmp(ASN1_STRING_get0_data(signed_md), digest, dlen) != 0) {
        why(out, "digest mismatch: the signed bytes were changed");
        goto cleanup;
    }
    CMS_SignerInfo_set1_signer_cert(si, signer);
    if (CMS_SignerInfo_verify(si) != 1) {
        why(out, "the signature does not verify with the signer's key");
        goto cleanup;
    }

    /* The baseline's attributes (ETSI EN 319 142-1 5.2). */
    if (strcmp(sig->subfilter, "ETSI.CAdES.detached") != 0) {
        snprintf(out->why, sizeof out->why, "SubFilter %s is not PAdES (ETSI.CAdES.detached)",
                 sig->subfilter[0] ? sig->subfilter : "(none)");
        goto cleanup;
    }
    if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0) {
        why(out, "the CMS has a signing-time attribute, which PAdES baseline forbids");
        goto cleanup;
    }
    int ess = ess_matches(si, signer, certs);
    if (ess != 0) {
        why(out, ess == -1 ? "the CMS has no signing-certificate-v2 attribute"
                           : "the signing-certificate-v2 attribute does not match the signer");
        goto cleanup;
    }

    out->intact = 1;
    /* The signer: a signing certificate chaining to the anchors. */
    uint32_t ku = X509_get_key_usage(signer);
    if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
        why(out, "the signer's certificate is not for signatures (keyUsage)");
        goto cleanup;
    }
    if (!(ctx = X509_STORE_CTX_new()) || X509_STORE_CTX_init(ctx, trust, signer, certs) != 1) {
        why(out, "out of memory");
        goto cleanup;
    }
    if (X509_verify_cert(ctx) != 1) {
        snprintf(out->why, sizeof out->why, "the signer does not chain to the trusted CA: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto cleanup;
    }
    /* B-T: a signature timestamp, when there is one, must stamp this signature. */
    int at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
    tsa_info stamp = {0};
    if (at >= 0) {
        ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, at), 0);
        ASN1_OCTET_STRING *value = CMS_SignerInfo_get0_signature(si);
        const char *bad = "the signature timestamp is not a SEQUENCE";
        if (!t || t->type != V_ASN1_SEQUENCE ||
            tsa_check(ASN1_STRING_get0_data(t->value.sequence),
                      (size_t)ASN1_STRING_length(t->value.sequence), ASN1_STRING_get0_data(value),
                      (size_t)ASN1_STRING_length(value), trust, &stamp, &bad) != 0) {
            why(out, bad);
            goto cleanup;
        }
        snprintf(out->stamped, sizeof out->stamped, "%s", stamp.when);
    }
    /* The revocation data the file carries, at the time the signature was stamped. */
    if (check_dss_crls(pdf, len, trust, signer, certs, stamp.at, out) != 0)
        goto cleanup;
    out->valid = 1;
cleanup:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    free(der);
}

int pades_verify_all(const char *pdf, size_t len, X509_STORE *trust, pades_sig *sigs,
                     pades_check *checks, size_t max, size_t *n, pades_after *after, error *err)
{
    memset(after, 0, sizeof *after);
    if (pades_scan(pdf, len, sigs, max, n, err) != 0)
        return -1;
    after->last_sig = *n;
    for (size_t i = 0; i < *n; i++) {
        pades_verify(pdf, len, &sigs[i], trust, &checks[i]);
        if (strcmp(sigs[i].subfilter, "ETSI.RFC3161") != 0)
            after->last_sig = i;
    }
    if (*n == 0 || sigs[*n - 1].problem)
        return 0;
    /* After the last signature, document timestamps and DSS updates; after the last
     * document timestamp, DSS updates only (ETSI EN 319 142-1 5.4.3). */
    int ok = 1;
    const pades_sig *last = &sigs[*n - 1], *sig = NULL;
    size_t last_end = last->range[2] + last->range[3];
    if (after->last_sig + 1 < *n) {
        sig = &sigs[after->last_sig];
        if (sig->problem) {
            ok = 0;
            snprintf(after->why, sizeof after->why, "the last signature cannot be read");
        } else {
            ok = pades_only_dss_after(pdf, len, sig->range[2] + sig->range[3], 1, after->why) == 0;
        }
    }
    if (ok && last_end < len)
        ok = pades_only_dss_after(pdf, len, last_end, 0, after->why) == 0;
    after->total = ok;
    after->validation_after = ok && (last_end < len || sig);
    return 0;
}

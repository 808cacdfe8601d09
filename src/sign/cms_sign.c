/*
 * cms_sign — the SignedData of a PAdES signature (see cms_sign.h). CMS_add1_signer with
 * CMS_PARTIAL prepares the SignerInfo (digest algorithm, signing-certificate-v2 through
 * CMS_CADES) without signing; the messageDigest and contentType attributes are added here,
 * the attributes encoded as the DER SET OF they are signed as, and the signature put in place
 * of the one CMS_SignerInfo_sign would have made after adding a signing-time.
 */
#include "sign/cms_sign.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "sign/pkcs11.h"
#include "sign/tsa.h"

/* The signed attributes as signed: a DER SET OF Attribute (RFC 5652 5.4), sorted. Defined
 * at the end of the file: clang-format cannot lay out what follows OpenSSL's template macros. */
DECLARE_ASN1_ITEM(SIGN_SIGNED_ATTRS)

/* OpenSSL's last error as text, for a message. */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown OpenSSL error";
}

int sign_key_load_p12(const void *p12, size_t len, const char *password, sign_key *k, error *err)
{
    memset(k, 0, sizeof *k);
    ERR_clear_error();
    const unsigned char *p = p12;
    PKCS12 *pk = len <= SIGN_P12_MAX ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
    if (!pk)
        return error_set(err, ERR_INVALID_ARG, "p12", "not a PKCS#12 file");
    int rc = -1;
    /* The MAC check first, so that a wrong password says so rather than a decryption error. */
    if (PKCS12_mac_present(pk) && !PKCS12_verify_mac(pk, password, -1)) {
        error_set(err, ERR_INVALID_ARG, "password", "the password does not open the PKCS#12 file");
        goto cleanup;
    }
    if (!PKCS12_parse(pk, password, &k->key, &k->cert, &k->chain)) {
        error_set(err, ERR_INVALID_ARG, "p12", "the PKCS#12 file cannot be opened: %s",
                  ossl_reason());
        goto cleanup;
    }
    if (!k->key || !k->cert) {
        error_set(err, ERR_INVALID_ARG, "p12",
                  "the PKCS#12 file holds no key with its certificate");
        goto cleanup;
    }
    if (X509_check_private_key(k->cert, k->key) != 1) {
        error_set(err, ERR_INVALID_ARG, "p12", "the key does not match the certificate");
        goto cleanup;
    }
    if (!k->chain && !(k->chain = sk_X509_new_null())) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    rc = 0;
cleanup:
    PKCS12_free(pk);
    return rc;
}

void sign_key_free(sign_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->key);
    sign_token_free(k->token);
    X509_free(k->cert);
    sk_X509_pop_free(k->chain, X509_free);
    memset(k, 0, sizeof *k);
}

/* B-T: the signature value timestamped, the token added as an unsigned attribute
 * (id-aa-signatureTimeStampToken, RFC 5126 / ETSI EN 319 122-1 5.3). */
static int add_timestamp(CMS_SignerInfo *si, const char *url, error *err)
{
    ASN1_OCTET_STRING *value = CMS_SignerInfo_get0_signature(si);
    buf token;
    buf_init(&token, TSA_REPLY_MAX);
    int rc = tsa_stamp(url, ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value), &token,
                       err);
    if (rc == 0 && !CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
                                                  V_ASN1_SEQUENCE, token.data, (int)token.len))
        rc = error_set(err, ERR_INTERNAL, NULL, "the timestamp could not be added");
    buf_free(&token);
    return rc;
}

/* The SignerInfo of k's certificate over the content's digest, prepared but not signed, and
 * the DER of its signed attributes as they are signed (*attrs, OPENSSL_free). The same inputs
 * give the same bytes: the two-step signing rebuilds them. 0, or -1. */
static int prepare_signer(const sign_key *k, const unsigned char digest[32], CMS_ContentInfo **cms,
                          CMS_SignerInfo **si, unsigned char **attrs, int *alen)
{
    *attrs = NULL;
    *si = NULL;
    *cms = CMS_sign(NULL, NULL, k->chain, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
    /* Without the private key at hand (a token, or a signature made elsewhere),
     * CMS_add1_signer is given the certificate's public key: enough to name the algorithms,
     * since it signs nothing with CMS_PARTIAL. */
    if (!*cms || !(*si = CMS_add1_signer(*cms, k->cert, k->key ? k->key : X509_get0_pubkey(k->cert),
                                         EVP_sha256(),
                                         CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES)))
        return -1;
    if (!CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                     OBJ_nid2obj(NID_pkcs7_data), -1) ||
        !CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest, 32))
        return -1;
    STACK_OF(X509_ATTRIBUTE) *set = sk_X509_ATTRIBUTE_new_null();
    int ok = set != NULL;
    for (int i = 0; ok && i < CMS_signed_get_attr_count(*si); i++)
        ok = sk_X509_ATTRIBUTE_push(set, CMS_signed_get_attr(*si, i)) > 0;
    *alen = ok ? ASN1_item_i2d((ASN1_VALUE *)set, attrs, ASN1_ITEM_rptr(SIGN_SIGNED_ATTRS)) : -1;
    sk_X509_ATTRIBUTE_free(set);
    return *alen > 0 ? 0 : -1;
}

int cms_attrs_digest(const sign_key *k, const unsigned char digest[32], unsigned char out[32],
                     error *err)
{
    ERR_clear_error();
    CMS_ContentInfo *cms = NULL;
    CMS_SignerInfo *si;
    unsigned char *attrs = NULL;
    int alen = 0;
    int ok = prepare_signer(k, digest, &cms, &si, &attrs, &alen) == 0 &&
             EVP_Digest(attrs, (size_t)alen, out, NULL, EVP_sha256(), NULL);
    OPENSSL_free(attrs);
    CMS_ContentInfo_free(cms);
    return ok ? 0 : error_set(err, ERR_INTERNAL, NULL, "CMS attributes failed: %s", ossl_reason());
}

int cms_sign_digest(const sign_key *k, const unsigned char digest[32], const char *tsa_url,
                    buf *der, error *err)
{
    int rc = -1;
    ERR_clear_error();
    unsigned char *attrs = NULL, *out = NULL, *sig = NULL;
    EVP_MD_CTX *mctx = NULL;
    CMS_ContentInfo *cms = NULL;
    CMS_SignerInfo *si = NULL;
    int alen = 0;
    if (prepare_signer(k, digest, &cms, &si, &attrs, &alen) != 0)
        goto fail;
    size_t siglen = 0;
    if (k->token) {
        /* A token signs inside itself. */
        if (sign_token_sign(k->token, attrs, (size_t)alen, &sig, &siglen, err) != 0)
            goto cleanup;
    } else if (!k->key) {
        /* A signature made elsewhere over cms_attrs_digest: checked before it is used. */
        if (!(mctx = EVP_MD_CTX_new()) ||
            EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(k->cert)) <= 0 ||
            EVP_DigestVerify(mctx, k->external, k->external_len, attrs, (size_t)alen) != 1) {
            error_set(err, ERR_INVALID_ARG, "signature",
                      "the signature does not verify with the certificate over the prepared file");
            goto cleanup;
        }
        if (!(sig = OPENSSL_memdup(k->external, k->external_len)))
            goto fail;
        siglen = k->external_len;
    } else if (!(mctx = EVP_MD_CTX_new()) ||
               EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, k->key) <= 0 ||
               EVP_DigestSign(mctx, NULL, &siglen, attrs, (size_t)alen) <= 0 ||
               !(sig = OPENSSL_malloc(siglen)) ||
               EVP_DigestSign(mctx, sig, &siglen, attrs, (size_t)alen) <= 0) {
        goto fail;
    }
    ASN1_STRING_set0(CMS_SignerInfo_get0_signature(si), sig, (int)siglen);
    sig = NULL;
    if (tsa_url && add_timestamp(si, tsa_url, err) != 0)
        goto cleanup;
    int len = i2d_CMS_ContentInfo(cms, &out);
    if (len <= 0)
        goto fail;
    if (buf_append(der, out, (size_t)len) != 0) {
        error_set(err, ERR_TOO_LARGE, NULL, "the signature (%d bytes) is over its %zu bytes", len,
                  der->max);
        goto cleanup;
    }
    rc = 0;
    goto cleanup;
fail:
    error_set(err, ERR_INTERNAL, NULL, "CMS signature failed: %s", ossl_reason());
cleanup:
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(sig);
    OPENSSL_free(out);
    OPENSSL_free(attrs);
    CMS_ContentInfo_free(cms);
    return rc;
}

X509 *sign_cert_read(const void *data, size_t len)
{
    if (len > SIGN_CERT_MAX)
        return NULL;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x) {
        const unsigned char *p = data;
        x = d2i_X509(NULL, &p, (long)len);
    }
    ERR_clear_error();
    return x;
}

void cms_subject_name(X509 *cert, char *out, size_t size)
{
    out[0] = '\0';
    X509_NAME *subject = X509_get_subject_name(cert);
    int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    if (at >= 0 && ASN1_STRING_to_UTF8(
                       &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at))) >= 0) {
        snprintf(out, size, "%s", (const char *)utf8);
        OPENSSL_free(utf8);
    } else {
        X509_NAME_oneline(subject, out, (int)size);
    }
    /* A certificate found in a file is anyone's: no control character reaches a terminal. */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* clang-format off */
ASN1_ITEM_TEMPLATE(SIGN_SIGNED_ATTRS) =
    ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_ORDER, 0, SIGN_SIGNED_ATTRS, X509_ATTRIBUTE)
ASN1_ITEM_TEMPLATE_END(SIGN_SIGNED_ATTRS)
    /* clang-format on */

/*
 * tsa — RFC 3161 timestamps (see tsa.h). OpenSSL builds the request and checks the reply
 * (TS_RESP_verify_response with the request's imprint and nonce); libcurl carries it, with
 * the reply bounded and http(s) alone allowed, redirects not followed, the host checked and
 * pinned (sign/host_pin.h). curl_easy_init sets libcurl up on first use when nothing did: the
 * command line is one thread, and the server's dispatchers call curl_global_init once at
 * their start.
 */
#include "sign/tsa.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "sign/cms_sign.h"
#include "sign/host_pin.h"

/* A TimeStampReq for the SHA-256 md, with a random 64-bit nonce and the TSA's certificate
 * asked for. NULL on failure. */
static TS_REQ *make_request(const unsigned char md[32])
{
    unsigned char nonce[8];
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *n = NULL;
    int ok = req && mi && alg && X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
             TS_MSG_IMPRINT_set_algo(mi, alg) &&
             TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)md, 32) && TS_REQ_set_version(req, 1) &&
             TS_REQ_set_msg_imprint(req, mi) && RAND_bytes(nonce, sizeof nonce) == 1 &&
             (bn = BN_bin2bn(nonce, sizeof nonce, NULL)) && (n = BN_to_ASN1_INTEGER(bn, NULL)) &&
             TS_REQ_set_nonce(req, n) && TS_REQ_set_cert_req(req, 1);
    ASN1_INTEGER_free(n);
    BN_free(bn);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    if (!ok) {
        TS_REQ_free(req);
        return NULL;
    }
    return req;
}

static int private_ok = 1;

void tsa_set_private_ok(int ok)
{
    private_ok = ok;
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    buf *b = userdata;
    return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

int tsa_stamp(const char *url, const unsigned char *data, size_t len, buf *token, error *err)
{
    unsigned char md[32];
    if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
        return error_set(err, ERR_INTERNAL, NULL, "SHA-256 failed");
    return tsa_stamp_digest(url, md, token, err);
}

int tsa_stamp_digest(const char *url, const unsigned char sha256[32], buf *token, error *err)
{
    int rc = -1;
    ERR_clear_error();
    unsigned char *q = NULL, *t = NULL;
    TS_RESP *resp = NULL;
    TS_VERIFY_CTX *vctx = NULL;
    struct curl_slist *headers = NULL, *pinned = NULL;
    buf reply;
    buf_init(&reply, TSA_REPLY_MAX);
    TS_REQ *req = make_request(sha256);
    int qlen = req ? i2d_TS_REQ(req, &q) : -1;
    CURL *c = curl_easy_init();
    if (qlen <= 0 || !c) {
        error_set(err, ERR_INTERNAL, NULL, "the timestamp request could not be made");
        goto cleanup;
    }
    if (host_pin_curl(c, url, "the timestamp request to the TSA", "tsa", private_ok, &pinned,
                      err) != 0)
        goto cleanup;
    headers = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)TSA_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)q);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)qlen);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK || status != 200) {
        error_set(err, ERR_UNAVAILABLE, "tsa", "the TSA did not answer: %s",
                  cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP status other than 200");
        goto cleanup;
    }
    const unsigned char *p = (const unsigned char *)reply.data;
    if (!(resp = d2i_TS_RESP(NULL, &p, (long)reply.len))) {
        error_set(err, ERR_UNAVAILABLE, "tsa", "the TSA's answer is not a timestamp reply");
        goto cleanup;
    }
    /* Granted, for this imprint and this nonce (the token's signature is the verifier's). */
    if (!(vctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) || TS_RESP_verify_response(vctx, resp) != 1) {
        unsigned long e = ERR_peek_last_error();
        error_set(err, ERR_UNAVAILABLE, "tsa", "the TSA's reply does not grant this timestamp: %s",
                  e ? ERR_reason_error_string(e) : "refused");
        goto cleanup;
    }
    int tlen = i2d_PKCS7(TS_RESP_get_token(resp), &t);
    if (tlen <= 0 || buf_append(token, t, (size_t)tlen) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the timestamp token could not be kept");
        goto cleanup;
    }
    rc = 0;
cleanup:
    OPENSSL_free(t);
    TS_VERIFY_CTX_free(vctx);
    TS_RESP_free(resp);
    curl_slist_free_all(headers);
    curl_slist_free_all(pinned);
    if (c)
        curl_easy_cleanup(c);
    OPENSSL_free(q);
    TS_REQ_free(req);
    buf_free(&reply);
    return rc;
}

/* Checks token der against what it stamps: the data of bio (TS_VFY_DATA) or, when bio is
 * NULL, the imprint md (TS_VFY_IMPRINT, md_len bytes); fills info. 0, or -1 with why. */
static int check_token(const unsigned char *der, size_t len, BIO *bio, const unsigned char *md,
                       size_t md_len, X509_STORE *trust, tsa_info *info, const char **why)
{
    int rc = -1;
    memset(info, 0, sizeof *info);
    const unsigned char *p = der;
    PKCS7 *token = d2i_PKCS7(NULL, &p, (long)len);
    TS_TST_INFO *tst = token ? PKCS7_to_TS_TST_INFO(token) : NULL;
    TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
    unsigned char *imprint = md ? OPENSSL_memdup(md, md_len) : NULL;
    STACK_OF(X509) *signers = NULL;
    if (!tst) {
        *why = "the timestamp is not an RFC 3161 token";
        goto cleanup;
    }
    if (!ctx || (!bio && !imprint) || !X509_STORE_up_ref(trust)) {
        *why = "out of memory";
        goto cleanup;
    }
    /* The context frees what it is given: the data's BIO or the imprint, and a reference to
     * the store. */
    TS_VERIFY_CTX_set_store(ctx, trust);
    if (bio) {
        TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
        TS_VERIFY_CTX_set_data(ctx, bio);
    } else {
        TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
        TS_VERIFY_CTX_set_imprint(ctx, imprint, (long)md_len);
    }
    bio = NULL;
    imprint = NULL;
    if (TS_RESP_verify_token(ctx, token) != 1) {
        *why = "the timestamp does not verify (imprint, signature or the TSA's chain)";
        goto cleanup;
    }
    struct tm tm;
    const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(tst);
    if (t && ASN1_TIME_to_tm(t, &tm) == 1) {
        strftime(info->when, sizeof info->when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        info->at = timegm(&tm);
    }
    /* The TSA: the token's signer, whose certificate the signature check found. */
    signers = PKCS7_get0_signers(token, NULL, 0);
    if (signers && sk_X509_num(signers) == 1)
        cms_subject_name(sk_X509_value(signers, 0), info->tsa, sizeof info->tsa);
    rc = 0;
cleanup:
    sk_X509_free(signers);
    OPENSSL_free(imprint);
    BIO_free(bio);
    TS_VERIFY_CTX_free(ctx);
    TS_TST_INFO_free(tst);
    PKCS7_free(token);
    ERR_clear_error();
    return rc;
}

int tsa_check(const unsigned char *der, size_t len, const unsigned char *data, size_t data_len,
              X509_STORE *trust, tsa_info *info, const char **why)
{
    BIO *bio = BIO_new_mem_buf(data, (int)data_len);
    if (!bio) {
        memset(info, 0, sizeof *info);
        *why = "out of memory";
        return -1;
    }
    return check_token(der, len, bio, NULL, 0, trust, info, why);
}

int tsa_check_ranges(const unsigned char *der, size_t len, const char *pdf, const size_t r[4],
                     X509_STORE *trust, tsa_info *info, const char **why)
{
    memset(info, 0, sizeof *info);
    const unsigned char *p = der;
    PKCS7 *token = d2i_PKCS7(NULL, &p, (long)len);
    TS_TST_INFO *tst = token ? PKCS7_to_TS_TST_INFO(token) : NULL;
    PKCS7_free(token);
    if (!tst) {
        *why = "the timestamp is not an RFC 3161 token";
        return -1;
    }
    /* The ranges hashed as the token's imprint says: the TSA chose among the strong ones. */
    X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
    int nid = alg ? OBJ_obj2nid(alg->algorithm) : NID_undef;
    TS_TST_INFO_free(tst);
    const EVP_MD *md = nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512
                           ? EVP_get_digestbynid(nid)
                           : NULL;
    if (!md) {
        *why = "the timestamp's imprint is not SHA-256, SHA-384 or SHA-512";
        return -1;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, pdf + r[0], r[1]) &&
             EVP_DigestUpdate(c, pdf + r[2], r[3]) && EVP_DigestFinal_ex(c, digest, &dlen);
    EVP_MD_CTX_free(c);
    if (!ok) {
        *why = "the digest could not be computed";
        return -1;
    }
    return check_token(der, len, NULL, digest, dlen, trust, info, why);
}

/*
 * crl — a certificate's CRL for PAdES B-LT (see crl.h). Only http is followed: a CRL is signed
 * by its issuer, so TLS adds nothing to it, and a distribution point naming another scheme
 * (ldap, file) is not one a server should open. The CRL is checked here rather than left to
 * the verifier: a B-LT file is made to be checked in decades, and revocation data that does
 * not cover the signer then would make the level a lie.
 */
#include "sign/crl.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "sign/cms_sign.h"
#include "sign/host_pin.h"

/* The first http URI among the full names of cert's CRL distribution points, in url; 0, or
 * -1 when there is none. */
static int first_http_dp(X509 *cert, char url[CRL_URL_MAX])
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    int found = 0;
    for (int i = 0; !found && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; !found && j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
            if (g->type != GEN_URI)
                continue;
            const unsigned char *u = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
            int n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
            if (n > 7 && n < CRL_URL_MAX && strncmp((const char *)u, "http://", 7) == 0 &&
                !memchr(u, '\0', (size_t)n)) {
                memcpy(url, u, (size_t)n);
                url[n] = '\0';
                found = 1;
            }
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return found ? 0 : -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    buf *b = userdata;
    return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* The CRL at url (http only, bounded, to the address host_pin checked), parsed (DER, else
 * PEM). NULL with err. */
static X509_CRL *download(const char *url, const char *who, int private_ok, error *err)
{
    buf body;
    buf_init(&body, CRL_MAX);
    X509_CRL *crl = NULL;
    struct curl_slist *connect_to = NULL;
    char what[200];
    snprintf(what, sizeof what, "the CRL of «%s»", who);
    CURL *c = curl_easy_init();
    if (!c) {
        error_set(err, ERR_INTERNAL, NULL, "curl_easy_init failed");
        goto cleanup;
    }
    if (host_pin_curl(c, url, what, "crl", private_ok, &connect_to, err) != 0)
        goto cleanup;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CRL_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CRL_MAX);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK || status != 200) {
        error_set(err, ERR_UNAVAILABLE, "crl", "the CRL of «%s» could not be fetched from %s: %s",
                  who, url,
                  body.failed      ? "over its size limit"
                  : cc != CURLE_OK ? curl_easy_strerror(cc)
                                   : "HTTP status other than 200");
        goto cleanup;
    }
    const unsigned char *p = (const unsigned char *)body.data;
    if (!(crl = body.len ? d2i_X509_CRL(NULL, &p, (long)body.len) : NULL)) {
        BIO *b = BIO_new_mem_buf(body.data, (int)body.len);
        crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    if (!crl)
        error_set(err, ERR_UNAVAILABLE, "crl", "%s does not serve a CRL (DER or PEM)", url);
cleanup:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(connect_to);
    buf_free(&body);
    ERR_clear_error();
    return crl;
}

int crl_fetch_checked(X509 *cert, X509 *issuer, int private_ok, buf *der, error *err)
{
    char who[160], url[CRL_URL_MAX];
    cms_subject_name(cert, who, sizeof who);
    if (first_http_dp(cert, url) != 0)
        return error_set(err, ERR_UNAVAILABLE, "crl",
                         "the certificate «%s» names no http CRL distribution point", who);
    X509_CRL *crl = download(url, who, private_ok, err);
    if (!crl)
        return -1;
    int rc = -1;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    X509_REVOKED *revoked = NULL;
    unsigned char *out = NULL;
    int len;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
        X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
        error_set(err, ERR_UNAVAILABLE, "crl", "the CRL at %s is not signed by the issuer of «%s»",
                  url, who);
    } else if (X509_cmp_current_time(X509_CRL_get0_lastUpdate(crl)) > 0 ||
               (next && X509_cmp_current_time(next) < 0)) {
        error_set(err, ERR_UNAVAILABLE, "crl",
                  "the CRL at %s is not current (thisUpdate, nextUpdate)", url);
    } else if (X509_CRL_get0_by_cert(crl, &revoked, cert) == 1) {
        error_set(err, ERR_CONFLICT, "crl", "the certificate «%s» is revoked (CRL at %s)", who,
                  url);
    } else if ((len = i2d_X509_CRL(crl, &out)) <= 0 || buf_append(der, out, (size_t)len) != 0) {
        error_set(err, ERR_TOO_LARGE, "crl", "the CRL at %s is over its size limit", url);
    } else {
        rc = 0;
    }
    OPENSSL_free(out);
    X509_CRL_free(crl);
    ERR_clear_error();
    return rc;
}

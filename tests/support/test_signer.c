/*
 * test_signer — a throwaway key and certificate (see test_signer.h).
 */
#include "test_signer.h"

#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

int test_signer_make(int bits, const char *cn, EVP_PKEY **key, X509 **cert)
{
    *key = EVP_RSA_gen((unsigned)bits);
    *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = *key && *cert && name &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_version(*cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1) &&
             X509_gmtime_adj(X509_getm_notBefore(*cert), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(*cert), 86400) &&
             X509_set_subject_name(*cert, name) && X509_set_issuer_name(*cert, name) &&
             X509_set_pubkey(*cert, *key) && X509_sign(*cert, *key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        EVP_PKEY_free(*key);
        X509_free(*cert);
        *key = NULL;
        *cert = NULL;
        return -1;
    }
    return 0;
}

int test_signer_p12(EVP_PKEY *key, X509 *cert, const char *password, buf *out)
{
    PKCS12 *p = PKCS12_create(password, NULL, key, cert, NULL, 0, 0, 0, 0, 0);
    unsigned char *der = NULL;
    int len = p ? i2d_PKCS12(p, &der) : -1;
    int ok = len > 0 && buf_append(out, der, (size_t)len) == 0;
    OPENSSL_free(der);
    PKCS12_free(p);
    return ok ? 0 : -1;
}

int test_signer_issue(int bits, const char *cn, const char *const (*exts)[2], EVP_PKEY *ca_key,
                      X509 *ca_cert, long serial, EVP_PKEY **key, X509 **cert)
{
    *key = EVP_RSA_gen((unsigned)bits);
    *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = *key && *cert && name &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_version(*cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(*cert), serial) &&
             X509_gmtime_adj(X509_getm_notBefore(*cert), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(*cert), 86400) &&
             X509_set_subject_name(*cert, name) &&
             X509_set_issuer_name(*cert, ca_cert ? X509_get_subject_name(ca_cert) : name) &&
             X509_set_pubkey(*cert, *key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, ca_cert ? ca_cert : *cert, *cert, NULL, NULL, 0);
    for (size_t i = 0; ok && exts[i][0]; i++) {
        X509_EXTENSION *ext = X509V3_EXT_nconf(NULL, &v3, exts[i][0], exts[i][1]);
        ok = ext && X509_add_ext(*cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(*cert, ca_key ? ca_key : *key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        EVP_PKEY_free(*key);
        X509_free(*cert);
        *key = NULL;
        *cert = NULL;
        return -1;
    }
    return 0;
}

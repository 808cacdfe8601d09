/*
 * test_signer — a throwaway key and certificate (see test_signer.h).
 */
#include "test_signer.h"

#include <openssl/pkcs12.h>

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

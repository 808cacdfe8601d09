/*
 * test_signer — a throwaway signer for the signature tests and the benchmark: a new RSA key
 * and a self-signed certificate naming it, made in memory, nothing written to disk; and the
 * same as a PKCS#12 file, for what opens one as `guichet pdf sign --p12` does.
 */
#ifndef GUICHET_TESTS_TEST_SIGNER_H
#define GUICHET_TESTS_TEST_SIGNER_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/buf.h"

/* A new RSA key of bits bits and its self-signed certificate for common name cn (UTF-8), valid
 * from an hour ago for a day. 0, or -1 (nothing to free). Caller frees *key with
 * EVP_PKEY_free and *cert with X509_free. */
int test_signer_make(int bits, const char *cn, EVP_PKEY **key, X509 **cert);

/* key and cert as a PKCS#12 file (DER) protected by password, appended to out. 0, or -1. */
int test_signer_p12(EVP_PKEY *key, X509 *cert, const char *password, buf *out);

#endif

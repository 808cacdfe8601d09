/*
 * test_signer — a throwaway signer for the signature tests and the benchmark: a new RSA key
 * and a self-signed certificate naming it, made in memory, nothing written to disk (or a
 * certificate with extensions, issued by a test CA); and the same as a PKCS#12 file, for what opens
 * one as `guichet pdf sign --p12` does.
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

/* A new RSA key of bits bits in *key and its certificate for cn in *cert, issued by ca_cert
 * with ca_key (both NULL: self-signed), serial number serial, valid from an hour ago for a
 * day, with the extensions exts ({name, value} pairs as openssl's configuration writes them,
 * e.g. {"basicConstraints", "critical,CA:TRUE"}, ending with {NULL, NULL}). 0, or -1 (nothing
 * to free). */
int test_signer_issue(int bits, const char *cn, const char *const (*exts)[2], EVP_PKEY *ca_key,
                      X509 *ca_cert, long serial, EVP_PKEY **key, X509 **cert);

/* key and cert as a PKCS#12 file (DER) protected by password, appended to out. 0, or -1. */
int test_signer_p12(EVP_PKEY *key, X509 *cert, const char *password, buf *out);

#endif

/*
 * cms_sign — the CMS SignedData of a PAdES baseline signature, made with OpenSSL 3: detached,
 * SHA-256, the signer's chain included, signed attributes contentType, messageDigest and
 * signing-certificate-v2 (RFC 5035) and no signing-time (ETSI EN 319 142-1 puts the time in
 * the signature dictionary's /M). OpenSSL 3.0 adds a signing-time whenever it signs the
 * attributes itself, so they are signed here. Also the key store: a PKCS#12 file.
 */
#ifndef GUICHET_SIGN_CMS_SIGN_H
#define GUICHET_SIGN_CMS_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/buf.h"
#include "util/error.h"

/* The largest PKCS#12 file read (bytes). */
#define SIGN_P12_MAX (256u * 1024)

/* A PKCS#11 session holding a signer's key (sign/pkcs11.h). */
typedef struct sign_token sign_token;

/* A signer: its private key (or the token that holds it), its certificate and the rest of its
 * chain. */
typedef struct sign_key {
    EVP_PKEY *key;     /* a PKCS#12 file's key, NULL when token signs */
    sign_token *token; /* a PKCS#11 token's session and key, NULL for a PKCS#12 key */
    const unsigned char *external; /* neither: a signature made elsewhere (two-step signing) */
    size_t external_len;
    X509 *cert;
    STACK_OF(X509) * chain; /* the other certificates of the PKCS#12 file, may be empty */
} sign_key;

/* Opens a PKCS#12 file's key and certificate with password. 0, or -1 with err: arg
 * "password" when the password does not open it, "p12" when it is no PKCS#12 file or holds
 * no key with its certificate. Free k with sign_key_free, also after a failure. */
int sign_key_load_p12(const void *p12, size_t len, const char *password, sign_key *k, error *err);
void sign_key_free(sign_key *k);

/* The DER of a detached CMS SignedData signing the SHA-256 digest (32 bytes) of the content,
 * appended to der (which bounds it). With tsa_url (PAdES B-T), the signature value is
 * timestamped there (sign/tsa.h) and the token added as the signature-time-stamp unsigned
 * attribute; NULL for B-B. With neither key nor token, k->external is the signature, refused
 * (arg "signature") unless it verifies with the certificate. 0, or -1 with err (tsa_stamp's
 * errors included). */
int cms_sign_digest(const sign_key *k, const unsigned char digest[32], const char *tsa_url,
                    buf *der, error *err);

/* The largest certificate file read (bytes). */
#define SIGN_CERT_MAX (64u * 1024)

/* A certificate in PEM or DER (len bytes); NULL when it is neither. Caller frees with
 * X509_free. */
X509 *sign_cert_read(const void *data, size_t len);

/* The two-step signing's first half: the SHA-256 of the signed attributes cms_sign_digest
 * would sign for k's certificate (k->key may be NULL) and the content's digest, in out: what
 * a key held elsewhere signs (RSA PKCS#1 v1.5 over this SHA-256). 0, or -1 with err. */
int cms_attrs_digest(const sign_key *k, const unsigned char digest[32], unsigned char out[32],
                     error *err);

/* The subject's common name of cert as UTF-8 (else its whole subject), in out (NUL-ended,
 * cut to size), control characters replaced by '?': it is printed. */
void cms_subject_name(X509 *cert, char *out, size_t size);

#endif

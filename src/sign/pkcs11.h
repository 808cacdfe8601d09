/*
 * pkcs11 — a signer's key held by a PKCS#11 token (an HSM on the server; SoftHSM2 in the
 * tests): the module loaded with p11-kit and called directly (Debian 12 has no OpenSSL
 * PKCS#11 provider, and the engine API is deprecated), the token found by its label, a
 * session opened with the élu's PIN, the private key and its certificate found by the key's
 * label. The key never leaves the token: it signs what cms_sign gives it (RSA, PKCS#1 v1.5
 * with SHA-256).
 */
#ifndef GUICHET_SIGN_PKCS11_H
#define GUICHET_SIGN_PKCS11_H

#include <stddef.h>

#include "sign/cms_sign.h"
#include "util/error.h"

/* The longest token or key label (PKCS#11 token labels are 32 bytes). */
#define SIGN_PKCS11_LABEL_MAX 64

/* Opens the token labelled token in the module at module_path with pin, and finds the private
 * key labelled key and its certificate (the one with the key's CKA_ID, else its label). Fills
 * k->cert and k->token (k->key stays NULL). 0, or -1 with err: arg "pkcs11-module" (cannot
 * load it), "token" (no such token), "pin" (refused), "key" (no such RSA key or no
 * certificate). Free k with sign_key_free. */
int sign_key_load_pkcs11(const char *module_path, const char *token, const char *key,
                         const char *pin, sign_key *k, error *err);

/* Signs data (len bytes) with the token's key: SHA-256 then PKCS#1 v1.5, in the token.
 * *sig (caller frees with OPENSSL_free) and *siglen; 0, or -1 with err. */
int sign_token_sign(sign_token *t, const unsigned char *data, size_t len, unsigned char **sig,
                    size_t *siglen, error *err);

/* Logs out, closes the session and releases the module; t may be NULL. */
void sign_token_free(sign_token *t);

#endif

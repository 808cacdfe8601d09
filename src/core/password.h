/*
 * password — the one Argon2id implementation (libsodium's crypto_pwhash_str, interactive
 * limits) that citizens' accounts and agents share, with the dummy hash that makes an
 * unknown address cost what a known one costs. Stored hashes carry their own parameters,
 * so hashes written by earlier versions keep verifying.
 */
#ifndef GUICHET_CORE_PASSWORD_H
#define GUICHET_CORE_PASSWORD_H

#include "util/error.h"

#define PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES: the encoded hash and its NUL */
#define PASSWORD_MAX 256      /* bytes: longer passwords are never hashed */

/* Both spend the Argon2id time on the calling thread: only the password pool calls them
 * (core/hasher.h), which every hash and check of core goes through. */

/* Hashes pw into out. -1 with ERR_UNAVAILABLE when memory is short. */
int password_hash(const char *pw, char out[PASSWORD_HASH_LEN], error *err);
/* 1 when pw (NULL counts as "") matches hash. With hash NULL (no such account), spends the
 * same time against a hash of a random password and answers 0, so that neither the answer
 * nor its time tells whether an address is registered. A pw longer than PASSWORD_MAX is
 * checked as "" (the work stays bounded) and so never matches a real hash. */
int password_verify(const char *hash, const char *pw);

#endif

/*
 * password — Argon2id hashing and verification with the timing-equalising dummy hash (see
 * password.h).
 */
#include "core/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "core/core.h"

_Static_assert(PASSWORD_HASH_LEN == crypto_pwhash_STRBYTES, "buffer of an encoded Argon2id hash");

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static int dummy_ok;

/* A hash of a random password with the same parameters as real ones: verifying against it
 * costs what verifying a real account costs, and never succeeds. */
static void dummy_init(void)
{
    char pw[48];
    core_new_secret("", pw, sizeof pw);
    dummy_ok = crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    sodium_memzero(pw, sizeof pw);
}

int password_hash(const char *pw, char out[PASSWORD_HASH_LEN], error *err)
{
    if (!pw)
        pw = "";
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory hashing a password");
    return 0;
}

int password_verify(const char *hash, const char *pw)
{
    if (!pw || strlen(pw) > PASSWORD_MAX)
        pw = "";
    pthread_once(&dummy_once, dummy_init);
    const char *h = hash ? hash : (dummy_ok ? dummy_hash : NULL);
    if (!h)
        return 0;
    int ok = crypto_pwhash_str_verify(h, pw, strlen(pw)) == 0;
    return hash ? ok : 0;
}

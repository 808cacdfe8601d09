/*
 * seal — sealing short secrets at rest (see seal.h).
 */
#include "core/seal.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "v1."
#define PREFIX_LEN (sizeof PREFIX - 1)
#define BLOB_MAGIC "gsb1"
#define BLOB_MAGIC_LEN (sizeof BLOB_MAGIC - 1)

_Static_assert(SEAL_BLOB_OVERHEAD ==
                   BLOB_MAGIC_LEN + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES,
               "SEAL_BLOB_OVERHEAD is the blob's magic, nonce and MAC");

/* The row's own key: BLAKE2b keyed by the instance-derived key of the purpose over
 * "purpose:tenant:owner" (for "totp", exactly the key agents' secrets were first sealed with). */
static void row_key(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
                    unsigned char key[crypto_secretbox_KEYBYTES])
{
    char name[48], hex[65];
    unsigned char master[32];
    snprintf(name, sizeof name, "%s-key", purpose);
    core_hash_secret(c, name, hex);
    sodium_hex2bin(master, sizeof master, hex, 64, NULL, NULL, NULL);
    char msg[96];
    int len = snprintf(msg, sizeof msg, "%s:%" PRId64 ":%" PRId64, purpose, tenant_id, owner_id);
    crypto_generichash(key, crypto_secretbox_KEYBYTES, (const unsigned char *)msg, (size_t)len,
                       master, sizeof master);
    sodium_memzero(master, sizeof master);
    sodium_memzero(hex, sizeof hex);
}

int seal_text(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
              const void *plain, size_t n, char *out, size_t cap)
{
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SEAL_PLAIN_MAX];
    size_t box_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    if (n > SEAL_PLAIN_MAX ||
        cap < PREFIX_LEN +
                  sodium_base64_ENCODED_LEN(box_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return -1;
    unsigned char key[crypto_secretbox_KEYBYTES];
    row_key(c, purpose, tenant_id, owner_id, key);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, n, box, key);
    memcpy(out, PREFIX, PREFIX_LEN);
    sodium_bin2base64(out + PREFIX_LEN, cap - PREFIX_LEN, box, box_len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(key, sizeof key);
    sodium_memzero(box, sizeof box);
    return 0;
}

int seal_open(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
              const char *sealed, void *plain, size_t cap, size_t *n)
{
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SEAL_PLAIN_MAX];
    size_t box_len = 0;
    if (!seal_is_sealed(sealed))
        return -1;
    const char *b64 = sealed + PREFIX_LEN;
    if (sodium_base642bin(box, sizeof box, b64, strlen(b64), NULL, &box_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        box_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return -1;
    size_t len = box_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (len > cap)
        return -1;
    unsigned char key[crypto_secretbox_KEYBYTES];
    row_key(c, purpose, tenant_id, owner_id, key);
    int rc = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                        box_len - crypto_secretbox_NONCEBYTES, box, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0)
        return -1;
    *n = len;
    return 0;
}

int seal_is_sealed(const char *text)
{
    return text && strncmp(text, PREFIX, PREFIX_LEN) == 0;
}

void seal_blob(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
               const void *plain, size_t n, unsigned char *out)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    row_key(c, purpose, tenant_id, owner_id, key);
    unsigned char *nonce = out + BLOB_MAGIC_LEN;
    memcpy(out, BLOB_MAGIC, BLOB_MAGIC_LEN);
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, plain, n, nonce, key);
    sodium_memzero(key, sizeof key);
}

int seal_blob_open(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
                   const void *sealed, size_t n, unsigned char *plain)
{
    if (!seal_blob_is_sealed(sealed, n) || n < SEAL_BLOB_OVERHEAD)
        return -1;
    const unsigned char *nonce = (const unsigned char *)sealed + BLOB_MAGIC_LEN;
    unsigned char key[crypto_secretbox_KEYBYTES];
    row_key(c, purpose, tenant_id, owner_id, key);
    int rc =
        crypto_secretbox_open_easy(plain, nonce + crypto_secretbox_NONCEBYTES,
                                   n - BLOB_MAGIC_LEN - crypto_secretbox_NONCEBYTES, nonce, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0)
        sodium_memzero(plain, n - SEAL_BLOB_OVERHEAD);
    return rc == 0 ? 0 : -1;
}

int seal_blob_is_sealed(const void *data, size_t n)
{
    return data && n >= BLOB_MAGIC_LEN && memcmp(data, BLOB_MAGIC, BLOB_MAGIC_LEN) == 0;
}

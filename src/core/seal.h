/*
 * seal — short secrets kept at rest sealed with crypto_secretbox under a key derived from the
 * instance secret for one purpose and one owner row, so that a copy of the database alone
 * reveals none of them and a sealed value moved to another row does not open: the agents'
 * TOTP secrets (purpose "totp", owner the agent), the webhook subscriptions' signing secrets
 * (purpose "webhook", owner the collectivité). Sealed text: "v1." then base64url, without
 * padding, of nonce | MAC | ciphertext. Larger binary secrets (the élus' PKCS#12 files,
 * purpose "sign_key_p12", owner the élu) are sealed blobs: "gsb1" | nonce | MAC | ciphertext,
 * under the same per-row key.
 */
#ifndef GUICHET_CORE_SEAL_H
#define GUICHET_CORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define SEAL_PLAIN_MAX 64 /* bytes a sealed secret holds at most */
/* Bytes of the longest sealed text, NUL included: "v1." + base64 of 24 + 16 + 64 bytes. */
#define SEAL_TEXT_MAX (3 + 4 * ((24 + 16 + SEAL_PLAIN_MAX + 2) / 3) + 1)

/* Seals plain (n bytes, at most SEAL_PLAIN_MAX) for (purpose, tenant_id, owner_id) into out
 * (cap bytes, SEAL_TEXT_MAX is always enough). 0, or -1 when n or cap do not fit. */
int seal_text(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
              const void *plain, size_t n, char *out, size_t cap);

/* Opens sealed text for (purpose, tenant_id, owner_id) into plain (cap bytes); *n its
 * length. -1 when it is not sealed text, was sealed for another purpose or row or under
 * another instance secret, or does not fit. */
int seal_open(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
              const char *sealed, void *plain, size_t cap, size_t *n);

/* 1 when text has the sealed form's prefix (whether it opens or not). */
int seal_is_sealed(const char *text);

/* Bytes a sealed blob has over its plain bytes: its magic, nonce and MAC. */
#define SEAL_BLOB_OVERHEAD (4 + 24 + 16)

/* Seals plain (n bytes) for (purpose, tenant_id, owner_id) into out, which has room for
 * n + SEAL_BLOB_OVERHEAD bytes, all of them written. */
void seal_blob(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
               const void *plain, size_t n, unsigned char *out);

/* Opens the sealed blob (n bytes) for (purpose, tenant_id, owner_id) into plain, which has
 * room for n - SEAL_BLOB_OVERHEAD bytes, all of them written. -1 when it is no sealed blob,
 * was sealed for another purpose or row or under another instance secret (plain then
 * zeroed). */
int seal_blob_open(const core *c, const char *purpose, int64_t tenant_id, int64_t owner_id,
                   const void *sealed, size_t n, unsigned char *plain);

/* 1 when data (n bytes) begins with a sealed blob's magic (whether it opens or not): a DER
 * PKCS#12 file, which begins with a SEQUENCE's 0x30, never does. */
int seal_blob_is_sealed(const void *data, size_t n);

#endif

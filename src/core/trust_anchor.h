/*
 * trust_anchor — the CA certificates a collectivité trusts for signed PDF files: an admin adds
 * one (PEM or DER, a CA's: basicConstraints CA) or removes it, each change audited; `guichet
 * pdf verify --db` and the public /verifier page check signatures against them
 * (trust_anchor_store).
 */
#ifndef GUICHET_CORE_TRUST_ANCHOR_H
#define GUICHET_CORE_TRUST_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"

/* The most anchors a collectivité keeps. */
#define TRUST_ANCHORS_MAX 50

/* Adds the CA certificate cert (len bytes, PEM or DER) to tenant_id's anchors, made by `who`
 * (its "admin" audit entry in the same transaction); what is stored (the PEM, the subject,
 * the fingerprint) is put in a, which must outlive the outcome. Answers as change_run
 * (core/change.h): cb NULL waits. -1 with err: ERR_INVALID_ARG arg "certificate" for bytes
 * that are no certificate or not a CA's, ERR_CONFLICT when the collectivité has it already
 * (then from the write), ERR_TOO_LARGE past TRUST_ANCHORS_MAX. */
int trust_anchor_add_as(core *c, const core_actor *who, int64_t tenant_id, const void *cert,
                        size_t len, arena *a, int64_t *id_out, core_done_fn cb, void *ctx,
                        error *err);
/* Removes anchor id of tenant_id (ERR_NOT_FOUND when not one of its anchors), made by `who`;
 * answers as trust_anchor_add_as. */
int trust_anchor_remove_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                           core_done_fn cb, void *ctx, error *err);
/* Every anchor of tenant_id, oldest first (array and strings in a). */
int trust_anchor_list(core *c, int64_t tenant_id, arena *a, store_trust_anchor **out, size_t *n,
                      error *err);
/* tenant_id's anchors as an OpenSSL store, to verify signatures against. NULL with err:
 * ERR_NOT_FOUND (arg "trust_anchors") when it has none. Caller frees with X509_STORE_free. */
X509_STORE *trust_anchor_store(core *c, int64_t tenant_id, error *err);

#endif

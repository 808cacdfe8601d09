/*
 * apikey — API keys for Open311 clients, the JSON API and the gateways. A key is 32 random
 * bytes shown once; only its keyed BLAKE2b hash is stored (keys are high-entropy, so a fast
 * hash is enough, unlike passwords).
 */
#ifndef GUICHET_CORE_APIKEY_H
#define GUICHET_CORE_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"

typedef enum apikey_scope { SCOPE_OPEN311 = 0, SCOPE_API, SCOPE_GATEWAY } apikey_scope;

const char *apikey_scope_name(apikey_scope s);
int apikey_scope_parse(const char *name, apikey_scope *out);

#define APIKEY_LEN 64 /* buffer size for a key in clear */

/* Creates a key for tenant_id, made by `who` (its "admin" entry in the same transaction when
 * who is audited); writes it in clear into key_out (APIKEY_LEN bytes) at once, and its id
 * into *id_out (may be NULL) once written. cb NULL waits; otherwise 0 once queued and
 * cb(ctx, rc, err) once durable or failed, name, who's strings, key_out and id_out staying
 * valid until then (core/change.h). A key whose write failed must not be shown. */
int apikey_create_as(core *c, const core_actor *who, int64_t tenant_id, const char *name,
                     apikey_scope scope, char key_out[APIKEY_LEN], int64_t *id_out, core_done_fn cb,
                     void *ctx, error *err);
/* Revokes key id of tenant_id (ERR_NOT_FOUND when not one of its keys), made by `who`;
 * answers as apikey_create_as. */
int apikey_revoke_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                     void *ctx, error *err);
/* Every key of tenant_id, live and revoked (array and strings in a). */
int apikey_list(core *c, int64_t tenant_id, arena *a, store_apikey **out, size_t *n, error *err);
/* The same two as the command line (actor_cli: not audited), waiting: tools and tests. */
int apikey_create(core *c, int64_t tenant_id, const char *name, apikey_scope scope,
                  char key_out[APIKEY_LEN], int64_t *id_out, error *err);
/* Finds the live key `key` of tenant_id allowed for `scope` (an "api" key may also do
 * everything an "open311" key may). -1 with ERR_FORBIDDEN when unknown, revoked, of
 * another tenant or of a narrower scope. */
int apikey_authenticate(core *c, int64_t tenant_id, const char *key, apikey_scope scope,
                        arena *a, store_apikey *out, error *err);
/* The same for a caller that knows no tenant yet (the mail gateway on a URL that names no
 * collectivité): the live key `key`, whichever tenant's, out->tenant_id saying whose. The
 * caller must then act for that tenant only. */
int apikey_identify(core *c, const char *key, apikey_scope scope, arena *a, store_apikey *out,
                    error *err);
int apikey_revoke(core *c, int64_t tenant_id, int64_t id, error *err);

#endif

/*
 * apikey — creation (shown once, stored as a keyed hash), authentication and revocation.
 */
#include "core/apikey.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/timeutil.h"

#define KEY_PREFIX "gk_"
#define KEY_MAX_LEN 128

static const char *const scope_names[] = {"open311", "api", "gateway"};

const char *apikey_scope_name(apikey_scope s)
{
    return (s >= SCOPE_OPEN311 && s <= SCOPE_GATEWAY) ? scope_names[s] : "open311";
}

int apikey_scope_parse(const char *name, apikey_scope *out)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, scope_names[i]) == 0) {
            *out = (apikey_scope)i;
            return 0;
        }
    return -1;
}

typedef struct insert_arg {
    store_apikey key;
    int64_t id;
} insert_arg;

static int apply_insert(store *s, void *arg, error *err)
{
    insert_arg *ia = arg;
    return s->ops->apikeys.tx_insert(s, &ia->key, &ia->id, err);
}

int apikey_create(core *c, int64_t tenant_id, const char *name, apikey_scope scope,
                  char key_out[APIKEY_LEN], int64_t *id_out, error *err)
{
    if (!name || !*name || strlen(name) > 100)
        return error_set(err, ERR_INVALID_ARG, "name", "a key needs a name of 1 to 100 bytes");
    char hash[65];
    char prefix[12];
    core_new_secret(KEY_PREFIX, key_out, APIKEY_LEN);
    core_hash_secret(c, key_out, hash);
    snprintf(prefix, sizeof prefix, "%.8s", key_out);
    insert_arg ia = {
        .key = {.tenant_id = tenant_id,
                .name = name,
                .scope = apikey_scope_name(scope),
                .key_hash = hash,
                .prefix = prefix,
                .created_at = time_now()},
    };
    if (store_write_sync(c->store, apply_insert, &ia, err) != 0) {
        sodium_memzero(key_out, APIKEY_LEN);
        return -1;
    }
    if (id_out)
        *id_out = ia.id;
    return 0;
}

/* An "api" key may do what an "open311" key may; "gateway" keys only their own work. */
static int scope_allows(const char *have, apikey_scope want)
{
    apikey_scope s;
    if (apikey_scope_parse(have, &s) != 0)
        return 0;
    return s == want || (s == SCOPE_API && want == SCOPE_OPEN311);
}

int apikey_authenticate(core *c, int64_t tenant_id, const char *key, apikey_scope scope,
                        arena *a, store_apikey *out, error *err)
{
    if (!key || !*key)
        return error_set(err, ERR_FORBIDDEN, "api_key", "an API key is required");
    if (strlen(key) > KEY_MAX_LEN)
        return error_set(err, ERR_FORBIDDEN, "api_key", "unknown API key");
    char hash[65];
    core_hash_secret(c, key, hash);
    int found = 0;
    if (c->store->ops->apikeys.find(c->store, hash, a, out, &found, err) != 0)
        return -1;
    if (!found || out->revoked_at || out->tenant_id != tenant_id)
        return error_set(err, ERR_FORBIDDEN, "api_key", "unknown API key");
    if (!scope_allows(out->scope, scope))
        return error_set(err, ERR_FORBIDDEN, "api_key", "this key's scope does not allow this");
    return 0;
}

typedef struct revoke_arg {
    int64_t tenant_id, id;
} revoke_arg;

static int apply_revoke(store *s, void *arg, error *err)
{
    revoke_arg *ra = arg;
    return s->ops->apikeys.tx_revoke(s, ra->tenant_id, ra->id, time_now(), err);
}

int apikey_revoke(core *c, int64_t tenant_id, int64_t id, error *err)
{
    revoke_arg ra = {tenant_id, id};
    return store_write_sync(c->store, apply_revoke, &ra, err);
}

/*
 * apikey — creation (shown once, stored as a keyed hash), authentication and revocation.
 */
#include "core/apikey.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/change.h"
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

/* A key's row as the job keeps it, with the strings it points to. */
typedef struct key_arg {
    store_apikey key;
    char hash[65];
    char prefix[12];
} key_arg;

static int apply_insert(store *s, void *arg, int64_t *id, error *err)
{
    key_arg *ka = arg;
    ka->key.key_hash = ka->hash;
    ka->key.prefix = ka->prefix;
    return s->ops->apikeys.tx_insert(s, &ka->key, id, err);
}

static const change_def create_change = {"admin", "apikey", apply_insert, 0};

int apikey_create_as(core *c, const core_actor *who, int64_t tenant_id, const char *name,
                     apikey_scope scope, char key_out[APIKEY_LEN], int64_t *id_out, core_done_fn cb,
                     void *ctx, error *err)
{
    if (!name || !*name || strlen(name) > 100)
        return error_set(err, ERR_INVALID_ARG, "name", "a key needs a name of 1 to 100 bytes");
    char hash[65];
    char prefix[12];
    core_new_secret(KEY_PREFIX, key_out, APIKEY_LEN);
    core_hash_secret(c, key_out, hash);
    snprintf(prefix, sizeof prefix, "%.8s", key_out);
    /* The hash and prefix live in the job's copy: a suspended page keeps no stack. */
    key_arg ka = {.key = {.tenant_id = tenant_id,
                          .name = name,
                          .scope = apikey_scope_name(scope),
                          .created_at = time_now()}};
    memcpy(ka.hash, hash, sizeof ka.hash);
    memcpy(ka.prefix, prefix, sizeof ka.prefix);
    if (change_run(c, who, tenant_id, &create_change, &ka, sizeof ka, id_out, cb, ctx, err) != 0) {
        sodium_memzero(key_out, APIKEY_LEN);
        return -1;
    }
    return 0;
}

int apikey_create(core *c, int64_t tenant_id, const char *name, apikey_scope scope,
                  char key_out[APIKEY_LEN], int64_t *id_out, error *err)
{
    return apikey_create_as(c, &actor_cli, tenant_id, name, scope, key_out, id_out, NULL, NULL,
                            err);
}

/* An "api" key may do what an "open311" key may; "gateway" keys only their own work. */
static int scope_allows(const char *have, apikey_scope want)
{
    apikey_scope s;
    if (apikey_scope_parse(have, &s) != 0)
        return 0;
    return s == want || (s == SCOPE_API && want == SCOPE_OPEN311);
}

/* The live key `key` allowed for scope, of tenant_id, or of any tenant when tenant_id is 0
 * (apikey_identify's): one lookup by hash, the same refusals. */
static int key_find(core *c, int64_t tenant_id, const char *key, apikey_scope scope, arena *a,
                    store_apikey *out, error *err)
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
    if (!found || out->revoked_at || (tenant_id && out->tenant_id != tenant_id))
        return error_set(err, ERR_FORBIDDEN, "api_key", "unknown API key");
    if (!scope_allows(out->scope, scope))
        return error_set(err, ERR_FORBIDDEN, "api_key", "this key's scope does not allow this");
    return 0;
}

int apikey_authenticate(core *c, int64_t tenant_id, const char *key, apikey_scope scope, arena *a,
                        store_apikey *out, error *err)
{
    if (tenant_id <= 0)
        return error_set(err, ERR_FORBIDDEN, "api_key", "unknown API key");
    return key_find(c, tenant_id, key, scope, a, out, err);
}

int apikey_identify(core *c, const char *key, apikey_scope scope, arena *a, store_apikey *out,
                    error *err)
{
    return key_find(c, 0, key, scope, a, out, err);
}

typedef struct revoke_arg {
    int64_t tenant_id, id;
} revoke_arg;

static int apply_revoke(store *s, void *arg, int64_t *id, error *err)
{
    revoke_arg *ra = arg;
    *id = ra->id;
    return s->ops->apikeys.tx_revoke(s, ra->tenant_id, ra->id, time_now(), err);
}

static const change_def revoke_change = {"admin", "apikey", apply_revoke, 0};

int apikey_revoke_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                     void *ctx, error *err)
{
    revoke_arg ra = {tenant_id, id};
    return change_run(c, who, tenant_id, &revoke_change, &ra, sizeof ra, NULL, cb, ctx, err);
}

int apikey_revoke(core *c, int64_t tenant_id, int64_t id, error *err)
{
    return apikey_revoke_as(c, &actor_cli, tenant_id, id, NULL, NULL, err);
}

int apikey_list(core *c, int64_t tenant_id, arena *a, store_apikey **out, size_t *n, error *err)
{
    return c->store->ops->apikeys.list(c->store, tenant_id, a, out, n, err);
}

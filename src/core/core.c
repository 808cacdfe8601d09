/*
 * core — the context: store handle, instance secret, catalogue cache; secrets and their
 * keyed hashes.
 */
#include "core/core.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/log.h"

#define SECRET_SETTING "instance_secret"

static int apply_store_secret(store *s, void *arg, error *err)
{
    return s->ops->tx_setting_set(s, SECRET_SETTING, arg, err);
}

/* Reads the instance secret, creating it on first use. */
static int load_secret(core *c, error *err)
{
    arena a;
    arena_init(&a, 0);
    const char *hex = NULL;
    int rc = -1;
    if (c->store->ops->setting_get(c->store, SECRET_SETTING, &a, &hex, err) != 0)
        goto cleanup;
    if (!hex) {
        unsigned char fresh[32];
        char fresh_hex[65];
        randombytes_buf(fresh, sizeof fresh);
        sodium_bin2hex(fresh_hex, sizeof fresh_hex, fresh, sizeof fresh);
        if (store_write_sync(c->store, apply_store_secret, fresh_hex, err) != 0)
            goto cleanup;
        /* Read it back: another process may have won the race to create it. */
        if (c->store->ops->setting_get(c->store, SECRET_SETTING, &a, &hex, err) != 0)
            goto cleanup;
    }
    size_t len = 0;
    if (!hex ||
        sodium_hex2bin(c->secret, sizeof c->secret, hex, strlen(hex), NULL, &len, NULL) != 0 ||
        len != sizeof c->secret) {
        error_set(err, ERR_INTERNAL, NULL, "instance secret in the database is malformed");
        goto cleanup;
    }
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

core *core_open(store *s, error *err)
{
    if (sodium_init() < 0) {
        error_set(err, ERR_INTERNAL, NULL, "libsodium failed to initialise");
        return NULL;
    }
    core *c = calloc(1, sizeof *c);
    if (!c) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    c->store = s;
    pthread_mutex_init(&c->cat_lock, NULL);
    if (load_secret(c, err) != 0 || catalogue_init(c, err) != 0) {
        core_close(c);
        return NULL;
    }
    return c;
}

void core_close(core *c)
{
    if (!c)
        return;
    catalogue_shutdown(c);
    pthread_mutex_destroy(&c->cat_lock);
    sodium_memzero(c->secret, sizeof c->secret);
    free(c);
}

store *core_store(core *c)
{
    return c->store;
}

void core_hash_secret(const core *c, const char *secret, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), c->secret,
                       sizeof c->secret);
    sodium_bin2hex(out, 65, h, sizeof h);
}

void core_new_secret(const char *prefix, char *out, size_t out_size)
{
    unsigned char raw[32];
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, out_size, "%s%s", prefix ? prefix : "", b64);
    sodium_memzero(raw, sizeof raw);
}

void core_waiter_init(core_waiter *w)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->done = 0;
    w->rc = 0;
    error_clear(&w->err);
}

void core_waiter_done(void *ctx, int rc, const error *err)
{
    core_waiter *w = ctx;
    pthread_mutex_lock(&w->lock);
    w->rc = rc;
    if (rc != 0 && err)
        w->err = *err;
    w->done = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int core_waiter_wait(core_waiter *w, error *err)
{
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    if (w->rc != 0 && err)
        *err = w->err;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    return w->rc;
}

/* ---- administrators' settings ---- */

const core_setting_info core_settings[] = {
    {"agent_totp_required", 0, 1,
     "1: agents and managers must use a second factor too (admins and elected always do)"},
    {"audit_retention_days", 180, 365,
     "days the audit log keeps its entries (CNIL: 6 to 12 months); guichet audit purge uses it"},
    {NULL, 0, 0, NULL},
};

static const core_setting_info *setting_info(const char *name)
{
    for (const core_setting_info *i = core_settings; name && i->name; i++)
        if (strcmp(i->name, name) == 0)
            return i;
    return NULL;
}

typedef struct setting_arg {
    const char *name, *value;
} setting_arg;

static int apply_setting(store *s, void *arg, error *err)
{
    setting_arg *sa = arg;
    return s->ops->tx_setting_set(s, sa->name, sa->value, err);
}

int core_setting_set(core *c, const char *name, const char *value, error *err)
{
    const core_setting_info *info = setting_info(name);
    if (!info)
        return error_set(err, ERR_INVALID_ARG, "name", "unknown setting");
    char *end = NULL;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || !*value || *end || v < info->min || v > info->max)
        return error_set(err, ERR_INVALID_ARG, "value", "%s takes an integer from %ld to %ld",
                         info->name, info->min, info->max);
    char canonical[24];
    snprintf(canonical, sizeof canonical, "%ld", v);
    setting_arg sa = {info->name, canonical};
    return store_write_sync(c->store, apply_setting, &sa, err);
}

int core_setting_get(core *c, const char *name, arena *a, const char **value, error *err)
{
    if (!setting_info(name))
        return error_set(err, ERR_INVALID_ARG, "name", "unknown setting");
    return c->store->ops->setting_get(c->store, name, a, value, err);
}

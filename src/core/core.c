/*
 * core — the context: store handle, instance secret, catalogue cache; secrets and their
 * keyed hashes.
 */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core_internal.h"
#include "core/stats.h"
#include "core/agent_notices.h"
#include "core/broadcast.h"
#include "core/courrier.h"
#include "core/document.h"
#include "core/due_warning.h"
#include "core/parapheur.h"
#include "core/workflow_timeout.h"
#include "core/webhook.h"
#include "core/weekly_digest.h"
#include "util/log.h"

#define SECRET_SETTING "instance_secret"

static int apply_store_secret(store *s, void *arg, error *err)
{
    return s->ops->settings.tx_set(s, SECRET_SETTING, arg, err);
}

static int apply_drop_secret(store *s, void *arg, error *err)
{
    (void)arg;
    return s->ops->settings.tx_delete(s, SECRET_SETTING, err);
}

/* Decodes 64 hex digits (a final newline allowed) into c->secret. */
static int decode_secret(core *c, const char *hex, size_t len, const char *where, error *err)
{
    while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r'))
        len--;
    size_t bin_len = 0;
    if (len != 2 * sizeof c->secret ||
        sodium_hex2bin(c->secret, sizeof c->secret, hex, len, NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof c->secret)
        return error_set(err, ERR_INTERNAL, NULL, "the instance secret in %s is malformed", where);
    return 0;
}

/* The secret kept in the database (before secret files, or in unit tests); *hex NULL when
 * there is none. */
static int stored_secret(core *c, arena *a, const char **hex, error *err)
{
    return c->store->ops->settings.get(c->store, SECRET_SETTING, a, hex, err);
}

/* Reads the instance secret from the database, creating it on first use (unit tests). */
static int load_stored_secret(core *c, error *err)
{
    arena a;
    arena_init(&a, 0);
    const char *hex = NULL;
    int rc = -1;
    if (stored_secret(c, &a, &hex, err) != 0)
        goto cleanup;
    if (!hex) {
        unsigned char fresh[32];
        char fresh_hex[65];
        randombytes_buf(fresh, sizeof fresh);
        sodium_bin2hex(fresh_hex, sizeof fresh_hex, fresh, sizeof fresh);
        sodium_memzero(fresh, sizeof fresh);
        if (store_write_sync(c->store, apply_store_secret, fresh_hex, err) != 0)
            goto cleanup;
        /* Read it back: another process may have won the race to create it. */
        if (stored_secret(c, &a, &hex, err) != 0)
            goto cleanup;
    }
    rc = hex ? decode_secret(c, hex, strlen(hex), "the database", err)
             : error_set(err, ERR_INTERNAL, NULL, "the instance secret vanished");
cleanup:
    arena_free(&a);
    return rc;
}

/* Reads the secret file; 1 when it does not exist. */
static int read_secret_file(core *c, const char *path, error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0)
        return error_set(err, ERR_INTERNAL, NULL, "cannot read the secret file %.150s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        log_warn("the secret file %s is readable by others: chmod 600 it", path);
    char buf[80];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    int rc = n < 0 ? error_set(err, ERR_INTERNAL, NULL, "cannot read the secret file %.150s", path)
                   : decode_secret(c, buf, (size_t)n, path, err);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* Writes hex as the secret file, atomically and never over an existing one: -1 with errno
 * EEXIST when another process created it first. */
static int create_secret_file(const char *path, const char *hex)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new-%ld", path, (long)getpid()) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(hex);
    int ok = write(fd, hex, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    /* link() refuses to replace: of two processes creating it at once, one wins. */
    int rc = ok ? link(tmp, path) : -1;
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return rc;
}

/* The secret from secret_file; created there (from the database's, when an earlier version
 * kept it there, else fresh) when the file does not exist yet. The database's copy is then
 * removed. */
static int load_secret_file(core *c, const char *path, error *err)
{
    int r = read_secret_file(c, path, err);
    if (r < 0)
        return -1;
    arena a;
    arena_init(&a, 0);
    const char *legacy = NULL;
    int rc = -1;
    if (stored_secret(c, &a, &legacy, err) != 0)
        goto cleanup;
    if (r == 1) {
        char hex[65];
        if (legacy && strlen(legacy) == 64) {
            memcpy(hex, legacy, 65);
        } else {
            unsigned char fresh[32];
            randombytes_buf(fresh, sizeof fresh);
            sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
            sodium_memzero(fresh, sizeof fresh);
        }
        int created = create_secret_file(path, hex);
        sodium_memzero(hex, sizeof hex);
        if (created != 0 && errno != EEXIST) {
            error_set(err, ERR_INTERNAL, NULL, "cannot create the secret file %.150s: %s", path,
                      strerror(errno));
            goto cleanup;
        }
        if (created == 0)
            log_info("instance secret %s %s", legacy ? "moved from the database to" : "created in",
                     path);
        if (read_secret_file(c, path, err) != 0)
            goto cleanup;
    }
    if (legacy) {
        /* Only once the file holds the very same secret: the tokens hashed with it stay
         * valid. A different one means the file came from elsewhere: keep both, say so. */
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, c->secret, sizeof c->secret);
        int same = strlen(legacy) == 64 && sodium_memcmp(hex, legacy, 64) == 0;
        sodium_memzero(hex, sizeof hex);
        if (!same)
            log_warn("the database holds another instance secret than %s: the file's is used",
                     path);
        else if (store_write_sync(c->store, apply_drop_secret, NULL, err) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

/* The links' strings as core's own copies; -1 when out of memory. */
static int copy_links(core_links *dst, const core_links *src)
{
    const char *const *from[] = {&src->tracking, &src->tracking_token, &src->verify,
                                 &src->login,    &src->reset,          &src->login_link};
    const char **to[] = {&dst->tracking, &dst->tracking_token, &dst->verify,
                         &dst->login,    &dst->reset,          &dst->login_link};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
        if (*from[i] && !(*to[i] = strdup(*from[i])))
            return -1;
    return 0;
}

static void free_links(core_links *l)
{
    free((char *)l->tracking);
    free((char *)l->tracking_token);
    free((char *)l->verify);
    free((char *)l->login);
    free((char *)l->reset);
    free((char *)l->login_link);
    memset(l, 0, sizeof *l);
}

core *core_open(store *s, const char *secret_file, error *err)
{
    core_config cfg = {.secret_file = secret_file};
    return core_open_config(s, &cfg, err);
}

core *core_open_config(store *s, const core_config *cfg, error *err)
{
    static const core_config defaults = {0};
    if (!cfg)
        cfg = &defaults;
    const char *secret_file = cfg->secret_file;
    if (sodium_init() < 0) {
        error_set(err, ERR_INTERNAL, NULL, "libsodium failed to initialise");
        return NULL;
    }
    core *c = calloc(1, sizeof *c);
    if (!c) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    c->search_budget_ms = SEARCH_BUDGET_MS_DEFAULT;
    c->store = s;
    pthread_mutex_init(&c->cat_lock, NULL);
    pthread_mutex_init(&c->area_lock, NULL);
    pthread_mutex_init(&c->stats_lock, NULL);
    pthread_mutex_init(&c->jobs_lock, NULL);
    pthread_mutex_init(&c->link_lock, NULL);
    pthread_mutex_init(&c->logo_lock, NULL);
    if (copy_links(&c->links, &cfg->links) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        core_close(c);
        return NULL;
    }
    if (cfg->uploads_dir && attachment_dir_open(&c->uploads, cfg->uploads_dir, err) != 0) {
        core_close(c);
        return NULL;
    }
    int loaded = secret_file ? load_secret_file(c, secret_file, err) : load_stored_secret(c, err);
    if (loaded != 0 || catalogue_init(c, err) != 0 || due_warning_register(c, err) != 0 ||
        workflow_timeout_register(c, err) != 0 || webhook_register(c, err) != 0 ||
        agent_notices_register(c, err) != 0 || broadcast_register(c, err) != 0 ||
        document_register(c, err) != 0 || document_generate_register(c, err) != 0 ||
        courrier_register(c, err) != 0 || weekly_digest_register(c, err) != 0 ||
        parapheur_register(c, err) != 0) {
        core_close(c);
        return NULL;
    }
    return c;
}

int core_hasher_start(core *c, unsigned threads, size_t queue, error *err)
{
    if (c->hasher)
        return error_set(err, ERR_INTERNAL, NULL, "password hashing already running");
    c->hasher = hasher_start(threads, queue, err);
    return c->hasher ? 0 : -1;
}

void core_hasher_stop(core *c)
{
    if (!c)
        return;
    hasher_stop(c->hasher);
    c->hasher = NULL;
}

void core_close(core *c)
{
    if (!c)
        return;
    core_hasher_stop(c);
    catalogue_shutdown(c);
    pthread_mutex_destroy(&c->cat_lock);
    area_shutdown(c);
    pthread_mutex_destroy(&c->area_lock);
    stats_shutdown(c);
    pthread_mutex_destroy(&c->stats_lock);
    pthread_mutex_destroy(&c->jobs_lock);
    pthread_mutex_destroy(&c->link_lock);
    document_logo_shutdown(c);
    pthread_mutex_destroy(&c->logo_lock);
    sodium_memzero(c->secret, sizeof c->secret);
    json_decref(c->document_strings[0]);
    json_decref(c->document_strings[1]);
    free_links(&c->links);
    free(c);
}

store *core_store(core *c)
{
    return c->store;
}

const core_links *core_links_get(const core *c)
{
    return &c->links;
}

const attachment_dir *core_uploads(const core *c)
{
    return &c->uploads;
}

void core_set_upload_limits(core *c, size_t max_file_bytes, size_t max_files)
{
    if (max_file_bytes)
        c->uploads.max_file_bytes = max_file_bytes;
    if (max_files)
        c->uploads.max_files = max_files;
}

uint64_t core_generation(core *c)
{
    return store_generation(c->store);
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

/* ---- links ---- */

int core_set_link_origin(core *c, const char *public_url, const char *listen_url, int port)
{
    if ((public_url && strlen(public_url) >= CORE_URL_MAX) ||
        (listen_url && strlen(listen_url) >= CORE_URL_MAX))
        return -1;
    pthread_mutex_lock(&c->link_lock);
    snprintf(c->public_url, sizeof c->public_url, "%s", public_url ? public_url : "");
    snprintf(c->listen_url, sizeof c->listen_url, "%s", listen_url ? listen_url : "");
    c->port = port;
    pthread_mutex_unlock(&c->link_lock);
    return 0;
}

/* 1 for a name of this machine or of a domain reserved for tests (localhost and
 * *.localhost, RFC 6761; *.test, RFC 2606; 127.x.x.x; [::1]): nothing there sits behind a
 * TLS proxy on the standard port, so links to it use plain HTTP and this server's own port. */
static int local_host(const char *h, size_t n)
{
    static const char *const suffixes[] = {".localhost", ".test"};
    if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0))
        return 1;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strncasecmp(h + n - k, suffixes[i], k) == 0)
            return 1;
    }
    if (n < 4 || memcmp(h, "127.", 4) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
            return 0;
    return 1;
}

int core_base_url(core *c, const cat_tenant *t, char *out, size_t cap)
{
    size_t n = 0;
    const char *host = catalogue_tenant_link_host(t, &n);
    int w = -1;
    pthread_mutex_lock(&c->link_lock);
    if (c->public_url[0])
        w = snprintf(out, cap, "%s", c->public_url);
    else if (!host && c->listen_url[0])
        w = snprintf(out, cap, "%s", c->listen_url);
    else if (host && local_host(host, n) && c->port > 0)
        w = snprintf(out, cap, "http://%.*s:%d", (int)n, host, c->port);
    else if (host && !local_host(host, n))
        w = snprintf(out, cap, "https://%.*s", (int)n, host);
    pthread_mutex_unlock(&c->link_lock);
    if (w < 0 || (size_t)w >= cap) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- administrators' settings ---- */

const core_setting_info core_settings[] = {
    {"agent_totp_required", 0, 1,
     "1: agents and managers must use a second factor too (admins and elected always do)"},
    {"audit_retention_days", 180, 365,
     "days the audit log keeps its entries (CNIL: 6 to 12 months); guichet audit purge uses it"},
    {"mail_held_retention_days", 7, 90,
     "days mail held as spam waits for an administrator before the retention pass deletes it"},
    {"post_dropped_retention_days", 7, 365,
     "days a scanned letter discarded by an agent or rejected by the reading is kept before "
     "the retention pass deletes it and its file"},
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
    return s->ops->settings.tx_set(s, sa->name, sa->value, err);
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
    return c->store->ops->settings.get(c->store, name, a, value, err);
}

typedef struct purge_arg {
    core_purge_fn tx;
    int64_t tenant_id, before, n;
} purge_arg;

static int apply_purge(store *s, void *arg, error *err)
{
    purge_arg *p = arg;
    return p->tx(s, p->tenant_id, p->before, &p->n, err);
}

int core_purge_before(core *c, core_purge_fn tx, int64_t tenant_id, int64_t before, int64_t *n,
                      error *err)
{
    purge_arg p = {tx, tenant_id, before, 0};
    if (store_write_sync(c->store, apply_purge, &p, err) != 0)
        return -1;
    if (n)
        *n = p.n;
    return 0;
}

int core_setting_int(core *c, const char *name, int def, int *out, error *err)
{
    *out = def;
    const core_setting_info *info = setting_info(name);
    if (!info)
        return error_set(err, ERR_INVALID_ARG, "name", "unknown setting");
    arena a;
    arena_init(&a, 0);
    const char *value = NULL;
    int rc = c->store->ops->settings.get(c->store, name, &a, &value, err);
    if (rc == 0 && value) {
        /* Stored through core_setting_set, which checks; a value written by hand in the
         * database that does not fit is said and left aside rather than applied. */
        char *end = NULL;
        long v = strtol(value, &end, 10);
        if (end && end != value && !*end && v >= info->min && v <= info->max)
            *out = (int)v;
        else
            log_warn("setting %s '%s' ignored (%ld to %ld)", name, value, info->min, info->max);
    }
    arena_free(&a);
    return rc;
}

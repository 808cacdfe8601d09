#include "http/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64
#define ENTRY_MAX (256 * 1024)
#define CTYPE_MAX 64

typedef struct entry {
    http_cache_stamp stamp;
    size_t key_len, len;
    char ctype[CTYPE_MAX];
    char data[]; /* key, then body */
} entry;

struct http_cache {
    size_t n_slots; /* power of two */
    int ttl_ms;
    size_t max_bytes;
    _Atomic size_t bytes; /* held by the entries: never more than max_bytes */
    pthread_mutex_t locks[STRIPES];
    entry **slots;
};

http_cache *http_cache_new(size_t max_bytes, int ttl_ms)
{
    if (max_bytes == 0)
        return NULL;
    http_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    /* About one slot per KiB of budget (Open311 answers for one request are near 1 KiB);
     * the bytes themselves are counted, so the budget holds whatever the answers' sizes. */
    size_t n = 1024;
    while (n * 2 * 1024 <= max_bytes && n < (1u << 22))
        n *= 2;
    c->max_bytes = max_bytes;
    c->n_slots = n;
    c->ttl_ms = ttl_ms;
    c->slots = calloc(n, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->locks[i], NULL);
    return c;
}

void http_cache_free(http_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_slots; i++)
        free(c->slots[i]);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->locks[i]);
    free(c->slots);
    free(c);
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int fresh(const http_cache *c, const entry *e, const http_cache_stamp *now)
{
    return e->stamp.generation == now->generation &&
           e->stamp.catalogue_version == now->catalogue_version &&
           now->now_ms - e->stamp.now_ms < c->ttl_ms;
}

int http_cache_get(http_cache *c, const char *key, size_t key_len, const http_cache_stamp *now,
                   buf *out, char *ctype, size_t ctype_size)
{
    if (!c)
        return 0;
    uint64_t h = hash(key, key_len);
    size_t slot = h & (c->n_slots - 1);
    pthread_mutex_t *lock = &c->locks[slot % STRIPES];
    int hit = 0;
    pthread_mutex_lock(lock);
    entry *e = c->slots[slot];
    if (e && e->key_len == key_len && memcmp(e->data, key, key_len) == 0 && fresh(c, e, now) &&
        buf_append(out, e->data + key_len, e->len) == 0) {
        size_t n = strlen(e->ctype);
        if (n >= ctype_size)
            n = ctype_size - 1;
        memcpy(ctype, e->ctype, n);
        ctype[n] = '\0';
        hit = 1;
    }
    pthread_mutex_unlock(lock);
    return hit;
}

void http_cache_put(http_cache *c, const char *key, size_t key_len, const http_cache_stamp *at,
                    const char *ctype, const char *body, size_t len)
{
    if (!c || len > ENTRY_MAX || key_len > 4096 || strlen(ctype) >= CTYPE_MAX)
        return;
    size_t size = sizeof(entry) + key_len + len;
    entry *e = malloc(size);
    if (!e)
        return;
    e->stamp = *at;
    e->key_len = key_len;
    e->len = len;
    memcpy(e->ctype, ctype, strlen(ctype) + 1);
    memcpy(e->data, key, key_len);
    memcpy(e->data + key_len, body, len);
    size_t slot = hash(key, key_len) & (c->n_slots - 1);
    pthread_mutex_t *lock = &c->locks[slot % STRIPES];
    pthread_mutex_lock(lock);
    entry *old = c->slots[slot];
    size_t old_size = old ? sizeof(entry) + old->key_len + old->len : 0;
    /* The new entry replaces the slot's: it fits when the total, less the old one, stays
     * within the budget; otherwise the answer is simply not kept. */
    size_t held = atomic_fetch_add(&c->bytes, size) + size;
    if (held - old_size > c->max_bytes) {
        atomic_fetch_sub(&c->bytes, size);
        pthread_mutex_unlock(lock);
        free(e);
        return;
    }
    c->slots[slot] = e;
    pthread_mutex_unlock(lock);
    atomic_fetch_sub(&c->bytes, old_size);
    free(old);
}

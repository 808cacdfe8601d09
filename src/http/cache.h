/*
 * cache — a bounded in-memory cache of whole GET responses (public Open311 data). An entry
 * is served only while nothing was written since it was made (the store's generation), the
 * catalogue is the same, and it is younger than a short TTL, which bounds how stale it can
 * be after a change made by another process (a CLI import). Direct-mapped slots with striped
 * locks; the bytes held are counted and never exceed the budget (an answer that does not fit
 * is not kept).
 */
#ifndef GUICHET_HTTP_CACHE_H
#define GUICHET_HTTP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct http_cache http_cache;

/* Validity stamp of an entry: every field must match at lookup. */
typedef struct http_cache_stamp {
    uint64_t generation;     /* core_generation() */
    int64_t catalogue_version;
    int64_t now_ms;          /* monotonic time of the lookup or the fill */
} http_cache_stamp;

/* max_bytes 0 disables the cache (http_cache_new returns NULL, every call is a miss).
 * Caller frees with http_cache_free. */
http_cache *http_cache_new(size_t max_bytes, int ttl_ms);
void http_cache_free(http_cache *c);
/* On a hit appends the body to out, copies the content type (at most ctype_size bytes) and
 * returns 1; 0 on a miss. */
int http_cache_get(http_cache *c, const char *key, size_t key_len, const http_cache_stamp *now,
                   buf *out, char *ctype, size_t ctype_size);
/* Stores a copy of a response (too large ones are skipped). */
void http_cache_put(http_cache *c, const char *key, size_t key_len, const http_cache_stamp *at,
                    const char *ctype, const char *body, size_t len);

#endif

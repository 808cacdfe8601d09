/*
 * ratelimit — token buckets keyed by client address or API key, in a fixed-size table with
 * striped locks: memory stays bounded whatever the number of clients, and an idle bucket is
 * recycled for a new key.
 */
#ifndef GUICHET_HTTP_RATELIMIT_H
#define GUICHET_HTTP_RATELIMIT_H

#include <stdint.h>

typedef struct ratelimit ratelimit;

/* rate tokens per second, burst capacity; rate <= 0 means unlimited. Caller frees with
 * ratelimit_free. NULL when out of memory. */
ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(ratelimit *rl);
/* Takes one token for key at now_ms: 0 allowed, otherwise the number of seconds after which
 * a token will be there (>= 1). */
int ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms);

#endif

#include "http/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8192 /* power of two */
#define STRIPES 64
#define PROBES 8
#define KEY_MAX 48

typedef struct bucket {
    char key[KEY_MAX];
    double tokens;
    int64_t last_ms;
} bucket;

struct ratelimit {
    double rate, burst;
    pthread_mutex_t locks[STRIPES];
    bucket slots[SLOTS];
};

ratelimit *ratelimit_new(double rate, double burst)
{
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->rate = rate;
    rl->burst = burst < 1 ? 1 : burst;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void refill(const ratelimit *rl, bucket *b, int64_t now_ms)
{
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
}

int ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms)
{
    if (!rl || rl->rate <= 0)
        return 0;
    char k[KEY_MAX];
    size_t len = strlen(key);
    if (len < KEY_MAX) {
        memcpy(k, key, len + 1);
    } else {
        /* A long key ("login:<IPv6 address>:<e-mail>") is kept whole as its BLAKE2b hash:
         * cut short, every e-mail of that address would share one bucket. */
        unsigned char digest[16];
        crypto_generichash(digest, sizeof digest, (const unsigned char *)key, len, NULL, 0);
        k[0] = '#';
        sodium_bin2hex(k + 1, sizeof k - 1, digest, sizeof digest);
        len = strlen(k);
    }
    uint32_t h = hash(k);
    /* The probe window never crosses a stripe, so one lock covers it. */
    uint32_t first = (h & (SLOTS - 1)) & ~(uint32_t)(PROBES - 1);
    pthread_mutex_t *lock = &rl->locks[(first / PROBES) % STRIPES];
    int wait = 0;
    pthread_mutex_lock(lock);
    bucket *b = NULL, *victim = NULL;
    for (uint32_t i = 0; i < PROBES; i++) {
        bucket *cand = &rl->slots[first + i];
        if (strcmp(cand->key, k) == 0 && cand->key[0]) {
            b = cand;
            break;
        }
        refill(rl, cand, now_ms);
        /* An empty slot, or a full bucket (idle long enough to be indistinguishable from a
         * new one), can be given to this key. */
        if (!victim && (!cand->key[0] || cand->tokens >= rl->burst))
            victim = cand;
    }
    if (!b && victim) {
        b = victim;
        memcpy(b->key, k, len + 1);
        b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
    if (b) {
        refill(rl, b, now_ms);
        if (b->tokens >= 1) {
            b->tokens -= 1;
        } else {
            double secs = (1 - b->tokens) / rl->rate;
            wait = secs < 1 ? 1 : (int)(secs + 0.999);
        }
    }
    /* With every slot of the window busy, we let the request through rather than punish a
     * client for someone else's traffic. */
    pthread_mutex_unlock(lock);
    return wait;
}

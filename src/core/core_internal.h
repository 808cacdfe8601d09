/*
 * core_internal — what the core modules share and entrances must not see: the core struct
 * and the waiter that turns an asynchronous write into a synchronous one.
 */
#ifndef GUICHET_CORE_INTERNAL_H
#define GUICHET_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/catalogue.h"
#include "core/core.h"

typedef struct cat_snapshot cat_snapshot;

struct core {
    store *store;
    unsigned char secret[32]; /* instance secret: key of the BLAKE2b hashes */
    pthread_mutex_t cat_lock;
    cat_snapshot *current;
    _Atomic int64_t next_check_ms; /* when to look at the store's config_version again */
};

/* Loads the first catalogue snapshot; 0 or -1. */
int catalogue_init(core *c, error *err);
/* Releases the current snapshot (at close; no reader may remain). */
void catalogue_shutdown(core *c);

/* Waits for one asynchronous write: pass core_waiter_done and the waiter as cb/ctx, then
 * core_waiter_wait returns the outcome. */
typedef struct core_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    int rc;
    error err;
} core_waiter;

void core_waiter_init(core_waiter *w);
void core_waiter_done(void *ctx, int rc, const error *err);
/* Waits, copies the error into err (may be NULL), destroys the waiter, returns rc. */
int core_waiter_wait(core_waiter *w, error *err);

#endif

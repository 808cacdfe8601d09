/*
 * core_internal — what the core modules share and entrances must not see: the core struct
 * and the waiter that turns an asynchronous write into a synchronous one.
 */
#ifndef GUICHET_CORE_INTERNAL_H
#define GUICHET_CORE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/mail_held.h"
#include "core/hasher.h"
#include "store/store.h"

typedef struct cat_snapshot cat_snapshot;
typedef struct area_cached area_cached;

struct core {
    store *store;
    unsigned char secret[32]; /* instance secret: key of the BLAKE2b hashes */
    pthread_mutex_t cat_lock;
    cat_snapshot *current;
    _Atomic int64_t next_check_ms; /* when to look at the store's config_version again */
    core_links links;              /* strings owned (core_open_config's copies) */
    attachment_dir uploads;        /* core_config.uploads_dir, opened */
    hasher *hasher;                /* core_hasher_start's pool; NULL: on the caller's thread */
    _Atomic int search_budget_ms;  /* core_set_search_budget (request_search.c) */
    char mail_spam_header[MAIL_SPAM_HEADER_MAX + 1]; /* mail_set_spam_header (mail_held.c) */
    pthread_mutex_t area_lock;     /* guards areas */
    area_cached *areas;            /* area.c's indexes, one per tenant and kind */
    pthread_mutex_t stats_lock;    /* guards stats_cache */
    struct stats_cached *stats_cache; /* stats.c: the portal's delays, one per tenant */
    /* jobs.c: the handlers by kind (registered before the scheduler starts, then only
     * read) and the scheduler's bell, under jobs_lock. */
    const struct job_handler *job_handlers[16];
    size_t n_job_handlers;
    pthread_mutex_t jobs_lock;
    void (*jobs_wake)(void *ctx, int64_t due_at);
    void *jobs_wake_ctx;
    _Atomic int webhook_allow_local; /* webhook.c: loopback and private targets allowed */
    _Atomic int webhook_backoff_s;   /* webhook.c: first retry's delay; 0: the default */
    /* core_set_link_origin's configuration, read by core_base_url from any thread (the
     * scheduler starts before the server knows its port), under link_lock. */
    pthread_mutex_t link_lock;
    char public_url[CORE_URL_MAX];
    char listen_url[CORE_URL_MAX];
    int port;
    /* document.c: the strings of jobs' documents, fr and en (referenced; set before the
     * scheduler starts, then only read). */
    json_t *document_strings[2];
    pthread_mutex_t logo_lock;        /* guards logos */
    struct document_logo_held *logos; /* document_logo.c: letterheads' logos made ready */
};

/* Loads the first catalogue snapshot; 0 or -1. */
int catalogue_init(core *c, error *err);
/* Releases the current snapshot (at close; no reader may remain). */
void catalogue_shutdown(core *c);

/* ---- the letterheads' logos made ready (document_logo.c) ---- */

typedef struct document_logo_held document_logo_held;
typedef struct letter_logo letter_logo; /* docs/letter.h */

/* t's logo made ready for letters: 0 with *logo (NULL when t has none) and *held, to give back
 * with document_logo_release once the letter is drawn; or -1 (the logo cannot be read or does
 * not decode: ERR_INVALID_ARG, arg "logo"). From a cache kept per collectivité while the
 * catalogue's logo hash stays the same. */
int document_logo_acquire(core *c, const cat_tenant *t, const letter_logo **logo,
                          document_logo_held **held, error *err);
void document_logo_release(core *c, document_logo_held *held);
/* Frees the cache (at close; no letter may be drawing). */
void document_logo_shutdown(core *c);

/* Frees area.c's indexes (at close; no reader may remain). */
void area_shutdown(core *c);

/* forms_at for a job that holds the store rather than core (the retention pass): the same
 * definitions, read through s. */
void forms_at_store(store *s, const cat_procedure *p, int version, arena *a, const attr_def **defs,
                    size_t *n);

/* ---- what citizens' and agents' sessions share (session.c) ---- */

/* The session of cookie value `token` if it is live: known, before its absolute end and
 * seen within idle_seconds (an expired one is deleted in the background). 0 and *out
 * (strings in a), or -1 with ERR_UNAUTHORIZED. The caller checks whose session it is. */
int session_find_live(core *c, int64_t tenant_id, const char *token, int64_t idle_seconds, arena *a,
                      store_session *out, error *err);
/* Refreshes se's last_seen_at in the background when it is older than touch_seconds. */
void session_touch_later(core *c, const store_session *se, int64_t touch_seconds);

/* Waits for one asynchronous write: pass core_waiter_done and the waiter as cb/ctx, then
 * core_waiter_wait returns the outcome. The store's waiter (store_waiter), under core's
 * names for the core modules that use it. */
typedef store_waiter core_waiter;

static inline void core_waiter_init(core_waiter *w)
{
    store_waiter_init(w);
}

static inline void core_waiter_done(void *ctx, int rc, const error *err)
{
    store_waiter_done(ctx, rc, err);
}

/* Waits, copies the error into err (may be NULL), destroys the waiter, returns rc. */
static inline int core_waiter_wait(core_waiter *w, error *err)
{
    return store_waiter_wait(w, err);
}

/* A store deletion of a tenant's rows older than `before` (held mail, ended subscriptions):
 * *n (may be NULL) gets how many went. */
typedef int (*core_purge_fn)(store *s, int64_t tenant_id, int64_t before, int64_t *n, error *err);
/* Runs tx as one write job and waits for it: the retention pass's purges. */
int core_purge_before(core *c, core_purge_fn tx, int64_t tenant_id, int64_t before, int64_t *n,
                      error *err);

#endif

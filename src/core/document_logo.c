/*
 * document_logo — the letterheads' logos made ready for letters (docs/letter.h's letter_logo:
 * decoded and compressed once), one per collectivité, kept while its logo's hash is the
 * catalogue's: a receipt neither reads the logo from the store nor decodes it. A new logo
 * replaces the entry; the old one goes when the last letter drawing with it is done.
 */
#include "core/core_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/branding.h"
#include "docs/letter.h"
#include "util/log.h"

#define LOGO_HASH_MAX 128

struct document_logo_held {
    struct document_logo_held *next;
    int64_t tenant_id;
    char hash[LOGO_HASH_MAX + 1];
    letter_logo *logo;
    int refs; /* the cache's (while listed) and each letter's; under logo_lock */
};

static void held_unref(document_logo_held *h)
{
    if (--h->refs == 0) {
        letter_logo_free(h->logo);
        free(h);
    }
}

/* The entry of tenant_id still holding the logo of hash, referenced for the caller; NULL when
 * there is none. Under logo_lock. */
static document_logo_held *find(core *c, int64_t tenant_id, const char *hash)
{
    for (document_logo_held *h = c->logos; h; h = h->next)
        if (h->tenant_id == tenant_id && strcmp(h->hash, hash) == 0) {
            h->refs++;
            return h;
        }
    return NULL;
}

/* Lists fresh (referenced once more for the cache), in place of tenant_id's older entry. Under
 * logo_lock. */
static void replace(core *c, document_logo_held *fresh)
{
    for (document_logo_held **p = &c->logos; *p; p = &(*p)->next)
        if ((*p)->tenant_id == fresh->tenant_id) {
            document_logo_held *old = *p;
            *p = old->next;
            held_unref(old);
            break;
        }
    fresh->refs++;
    fresh->next = c->logos;
    c->logos = fresh;
}

int document_logo_acquire(core *c, const cat_tenant *t, const letter_logo **logo,
                          document_logo_held **held, error *err)
{
    *logo = NULL;
    *held = NULL;
    const char *hash = t->branding.logo_hash;
    if (!hash || strlen(hash) > LOGO_HASH_MAX)
        return 0;
    pthread_mutex_lock(&c->logo_lock);
    document_logo_held *h = find(c, t->rec.id, hash);
    pthread_mutex_unlock(&c->logo_lock);
    if (!h) {
        /* Made outside the lock: two letters may make it at once, the second's is dropped. */
        arena a;
        arena_init(&a, 0);
        store_logo stored;
        int found = 0;
        int rc = branding_logo_get(c, t->rec.id, &a, &stored, &found, err);
        letter_logo *made = NULL;
        if (rc == 0 && found)
            rc = letter_logo_make(stored.data, stored.size, &made, err);
        /* The store may hold a newer logo than this catalogue's snapshot says: those bytes
         * serve this document but are not filed under the snapshot's hash, or a logo changed
         * and changed back would keep the bytes in between. */
        int current = made && stored.hash && strcmp(stored.hash, hash) == 0;
        arena_free(&a);
        if (rc != 0)
            return -1;
        if (!made)
            return 0; /* removed since the catalogue was read */
        h = calloc(1, sizeof *h);
        if (!h) {
            letter_logo_free(made);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
        h->tenant_id = t->rec.id;
        memcpy(h->hash, hash, strlen(hash) + 1);
        h->logo = made;
        h->refs = 1;
        if (current) {
            pthread_mutex_lock(&c->logo_lock);
            document_logo_held *other = find(c, t->rec.id, hash);
            if (other) {
                held_unref(h);
                h = other;
            } else {
                replace(c, h);
            }
            pthread_mutex_unlock(&c->logo_lock);
        }
    }
    *logo = h->logo;
    *held = h;
    return 0;
}

void document_logo_release(core *c, document_logo_held *held)
{
    if (!held)
        return;
    pthread_mutex_lock(&c->logo_lock);
    held_unref(held);
    pthread_mutex_unlock(&c->logo_lock);
}

void document_logo_shutdown(core *c)
{
    while (c->logos) {
        document_logo_held *h = c->logos;
        c->logos = h->next;
        held_unref(h);
    }
}

/*
 * webhook — a collectivité's webhook subscriptions and their deliveries. Administrators
 * subscribe a URL to events (request.created, request.status_changed, request.replied);
 * each event writes one delivery job per matching active subscription in the transaction
 * of the change (webhook_emit_tx), with its body built once, so that every retry sends the
 * same bytes under the same X-Guichet-Delivery id. The delivery (an at-least-once job kind,
 * core/jobs.h) POSTs the body with libcurl, signed X-Guichet-Signature: t=<unix>,v1=<hex
 * HMAC-SHA256(secret, t "." body)>; a 2xx is done, anything else is retried with
 * exponential backoff, then failed. Secrets are kept sealed (core/seal.h), shown once. Targets are
 * https:// URLs on public addresses; plain http:// to 127.0.0.1 or localhost only when the server
 * allows it (tests).
 */
#ifndef GUICHET_CORE_WEBHOOK_H
#define GUICHET_CORE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define WEBHOOK_KIND "webhook"
#define WEBHOOK_URL_MAX 500
#define WEBHOOK_PER_TENANT_MAX 20
#define WEBHOOK_SECRET_LEN 64 /* "whsec_" + 43 characters + NUL fit */
/* "t=" + 20 digits + ",v1=" + 64 hex + NUL */
#define WEBHOOK_SIGNATURE_LEN 96

/* The events a subscription may choose, NULL-terminated. */
extern const char *const webhook_events[];

int webhook_register(core *c, error *err);
/* Whether deliveries may go to http://127.0.0.1, http://localhost or other loopback and
 * private addresses (the server's --webhook-allow-local, for tests). Off by default. */
void webhook_allow_local(core *c, int on);
/* Seconds before a failed delivery's first retry (doubling after, up to 6 hours):
 * WEBHOOK_BACKOFF_DEFAULT_S unless set (--webhook-backoff). */
#define WEBHOOK_BACKOFF_DEFAULT_S 30
#define WEBHOOK_ATTEMPTS_MAX 10 /* about five hours with the default backoff */
void webhook_set_backoff(core *c, int seconds);

/* Checks a subscription's URL: https:// with a host (or, allow_local, http:// to
 * 127.0.0.1 or localhost); at most WEBHOOK_URL_MAX bytes, no control characters, no
 * credentials. -1 with ERR_INVALID_ARG "url". Addresses are checked again when delivering,
 * after the name is resolved. */
int webhook_url_check(const char *url, int allow_local, error *err);

/* "t=<t>,v1=<hex HMAC-SHA256(secret, t "." body)>" into out. 0, or -1 when OpenSSL fails. */
int webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                 char out[WEBHOOK_SIGNATURE_LEN]);

/* Inside a write job, with r as it is being written (its id and reference set): one
 * delivery job per active subscription of r's tenant to event, due now, its body (event,
 * delivery id, occurred_at, the request's public fields) built here once. */
int webhook_emit_tx(store *s, const store_request *r, const char *event, int64_t now, error *err);
/* The same for one subscription: the active one at address url, whatever events it chose (a
 * workflow's webhook action names it, for request.entered_status); *n_out (may be NULL) is 1
 * when there is one, 0 when no active subscription has that address (nothing written). */
int webhook_emit_to_tx(store *s, const store_request *r, const char *event, const char *url,
                       int64_t now, size_t *n_out, error *err);

/* The subscriptions of t (the catalogue's) that event goes to, copied into a without their
 * secrets, for a write job that may outlive the snapshot; 0, or -1 when out of memory. */
int webhook_targets(arena *a, const cat_tenant *t, const char *event, store_webhook **out,
                    size_t *n);
/* webhook_emit_tx to subs[0..n) (webhook_targets' for event) for r of procedure
 * procedure_code: what a creation emits with no read of its own. */
int webhook_emit_targets_tx(store *s, const store_request *r, const char *procedure_code,
                            const store_webhook *subs, size_t n, const char *event, int64_t now,
                            error *err);

/* The tenant's subscriptions (secrets sealed, core/seal.h). */
int webhook_list(core *c, int64_t tenant_id, arena *a, store_webhook **out, size_t *n, error *err);
/* At start-up: seals the secrets of every collectivité's subscriptions still stored in clear
 * (made before secrets were sealed), in one write; *sealed (may be NULL) says how many. A
 * secret in clear still signs until then. Reads first: with nothing in clear, no write. */
int webhook_seal_secrets(core *c, size_t *sealed, error *err);

/* The tenant's last deliveries, newest first (at most limit). */
int webhook_deliveries(core *c, int64_t tenant_id, size_t limit, arena *a, store_job_row **out,
                       size_t *n, error *err);

/* What an administrator asks of a subscription. events: a NULL-terminated list of names of
 * webhook_events. */
typedef struct webhook_input {
    const char *url;
    const char *const *events;
    int active;
} webhook_input;

/* Creates a subscription (id 0) or changes subscription id (its secret kept); checked here
 * (ERR_INVALID_ARG "url" or "events" at once). A new subscription's secret is written into
 * secret_out (shown once). Administrative changes with their audit entry (kind "webhook");
 * strings of in and secret_out must live until the outcome; answers like change_run. */
int webhook_put_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                   const webhook_input *in, char secret_out[WEBHOOK_SECRET_LEN], int64_t *id_out,
                   core_done_fn cb, void *ctx, error *err);
/* Gives subscription id a new secret (into secret_out, shown once): ERR_NOT_FOUND. */
int webhook_rotate_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                      char secret_out[WEBHOOK_SECRET_LEN], core_done_fn cb, void *ctx, error *err);

#endif

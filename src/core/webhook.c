/*
 * webhook — subscriptions, the delivery jobs an event writes, and their delivery over HTTP
 * (see webhook.h).
 */
#include "core/webhook.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/catalogue.h"
#include "core/change.h"
#include "core/core_op.h"
#include "core/core_internal.h"
#include "core/jobs.h"
#include "core/seal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define CONNECT_TIMEOUT_S 5L
#define TOTAL_TIMEOUT_S 15L
#define DELIVERY_ID_BYTES 16
#define ANSWER_KEPT 200 /* bytes of an error answer's status line kept */

const char *const webhook_events[] = {"request.created", "request.status_changed",
                                      "request.replied", NULL};

void webhook_allow_local(core *c, int on)
{
    atomic_store(&c->webhook_allow_local, on ? 1 : 0);
}

void webhook_set_backoff(core *c, int seconds)
{
    atomic_store(&c->webhook_backoff_s, seconds > 0 ? seconds : 0);
}

static int64_t backoff_of(const core *c)
{
    int s = atomic_load(&((core *)c)->webhook_backoff_s);
    return s > 0 ? s : WEBHOOK_BACKOFF_DEFAULT_S;
}

/* ---- the URL ---- */

/* 1 when the URL's host (between "//" and the next '/', ':', '?' or '#') is 127.0.0.1 or
 * localhost. */
static int host_is_local(const char *after_scheme)
{
    size_t n = strcspn(after_scheme, "/:?#");
    return (n == 9 && strncmp(after_scheme, "127.0.0.1", 9) == 0) ||
           (n == 9 && strncasecmp(after_scheme, "localhost", 9) == 0);
}

int webhook_url_check(const char *url, int allow_local, error *err)
{
    size_t len = url ? strlen(url) : 0;
    if (!len)
        return error_set(err, ERR_INVALID_ARG, "url", "a URL is required");
    if (len > WEBHOOK_URL_MAX)
        return error_set(err, ERR_INVALID_ARG, "url", "at most %d bytes", WEBHOOK_URL_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
            return error_set(err, ERR_INVALID_ARG, "url",
                             "spaces and non-ASCII characters are "
                             "not allowed in a URL");
    const char *rest = NULL;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0 && allow_local && host_is_local(url + 7))
        rest = url + 7;
    else
        return error_set(err, ERR_INVALID_ARG, "url", "an https:// URL is required");
    size_t host = strcspn(rest, "/?#");
    if (!host || rest[0] == ':' || rest[0] == '[')
        return error_set(err, ERR_INVALID_ARG, "url", "the URL has no host name");
    if (memchr(rest, '@', host))
        return error_set(err, ERR_INVALID_ARG, "url", "credentials are not allowed in the URL");
    if (!allow_local && host_is_local(rest))
        return error_set(err, ERR_INVALID_ARG, "url", "a local address is not allowed");
    return 0;
}

/* ---- the signature ---- */

int webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                 char out[WEBHOOK_SIGNATURE_LEN])
{
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld", (long long)t);
    unsigned char mac[32];
    size_t mac_len = 0;
    int ok = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tl) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
        EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) == 1 && mac_len == sizeof mac)
        ok = 1;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    if (!ok)
        return -1;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, WEBHOOK_SIGNATURE_LEN, "t=%s,v1=%s", ts, hex);
    return 0;
}

/* ---- emitting ---- */

static int subscribed(const store_webhook *w, const char *event)
{
    size_t n = strlen(event);
    for (const char *p = w->events; p && *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && strncmp(p, event, n) == 0)
            return 1;
        p += l;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static void set_time(json_t *o, const char *name, int64_t t)
{
    char buf[TIME_RFC3339_LEN];
    if (!t) {
        json_object_set_new(o, name, json_null());
        return;
    }
    time_format_rfc3339(t, NULL, buf);
    json_object_set_new(o, name, json_string(buf));
}

/* The body every attempt sends, in out (caller frees); NULL when out of memory. What the
 * JSON API shows an "api" key of any request, without its citizen's words or contact. */
static char *delivery_body(const store_request *r, const char *procedure_code, const char *event,
                           const char *delivery, int64_t now)
{
    json_t *req = json_object();
    json_object_set_new(req, "reference", json_string(r->reference ? r->reference : ""));
    json_object_set_new(req, "procedure", json_string(procedure_code ? procedure_code : ""));
    json_object_set_new(req, "status", json_string(r->status ? r->status : ""));
    set_time(req, "created_at", r->created_at);
    set_time(req, "updated_at", r->updated_at);
    set_time(req, "due_at", r->due_at);
    set_time(req, "closed_at", r->closed_at);
    json_t *o = json_object();
    json_object_set_new(o, "event", json_string(event));
    json_object_set_new(o, "delivery", json_string(delivery));
    set_time(o, "occurred_at", now);
    json_object_set_new(o, "request", req);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* Whether subscription w gets event: the active ones subscribed to it or, when url is set,
 * the active one at that address whatever it subscribed to (a workflow's action names it). */
static int targeted(const store_webhook *w, const char *event, const char *url)
{
    if (!w->active)
        return 0;
    return url ? w->url && strcmp(w->url, url) == 0 : subscribed(w, event);
}

/* One delivery job per subscription of subs[0..n) targeted(event, url); their number in
 * *n_out (may be NULL). procedure_code NULL: read when there is one (a is the reads'). */
static int emit_to(store *s, const store_request *r, const char *procedure_code,
                   const store_webhook *subs, size_t n, const char *event, const char *url,
                   int64_t now, arena *a, size_t *n_out, error *err)
{
    size_t wanted = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        wanted += targeted(&subs[i], event, url);
    if (n_out)
        *n_out = wanted;
    /* Most collectivités have no subscription: no further read then. */
    if (wanted && !procedure_code)
        rc = s->ops->jobs.procedure_code(s, r->procedure_id, a, &procedure_code, err);
    for (size_t i = 0; rc == 0 && wanted && i < n; i++) {
        if (!targeted(&subs[i], event, url))
            continue;
        unsigned char raw[DELIVERY_ID_BYTES];
        char delivery[DELIVERY_ID_BYTES * 2 + 1];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(delivery, sizeof delivery, raw, sizeof raw);
        char *body = delivery_body(r, procedure_code, event, delivery, now);
        json_t *payload = body
                              ? json_pack("{s:I, s:s, s:s, s:s}", "webhook", (json_int_t)subs[i].id,
                                          "event", event, "delivery", delivery, "body", body)
                              : NULL;
        free(body);
        rc = payload ? jobs_schedule_tx(s, r->tenant_id, r->id, WEBHOOK_KIND, delivery, now,
                                        payload, NULL, err)
                     : error_set(err, ERR_INTERNAL, NULL, "out of memory");
        json_decref(payload);
    }
    return rc;
}

/* emit_to the tenant's subscriptions as the write job reads them. */
static int emit(store *s, const store_request *r, const char *event, const char *url, int64_t now,
                size_t *n_out, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_webhook *subs = NULL;
    size_t n = 0;
    int rc = s->ops->jobs.webhooks(s, r->tenant_id, &a, &subs, &n, err);
    if (rc == 0)
        rc = emit_to(s, r, NULL, subs, n, event, url, now, &a, n_out, err);
    arena_free(&a);
    return rc;
}

int webhook_emit_tx(store *s, const store_request *r, const char *event, int64_t now, error *err)
{
    return emit(s, r, event, NULL, now, NULL, err);
}

int webhook_emit_to_tx(store *s, const store_request *r, const char *event, const char *url,
                       int64_t now, size_t *n_out, error *err)
{
    return emit(s, r, event, url, now, n_out, err);
}

int webhook_targets(arena *a, const cat_tenant *t, const char *event, store_webhook **out,
                    size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t wanted = 0;
    for (size_t i = 0; t && i < t->n_webhooks; i++)
        wanted += targeted(&t->webhooks[i], event, NULL);
    if (!wanted)
        return 0;
    *out = arena_alloc(a, sizeof **out * wanted);
    if (!*out)
        return -1;
    for (size_t i = 0; i < t->n_webhooks; i++) {
        const store_webhook *w = &t->webhooks[i];
        if (!targeted(w, event, NULL))
            continue;
        store_webhook *c = &(*out)[(*n)++];
        *c = *w;
        c->url = arena_strdup(a, w->url ? w->url : "");
        c->events = arena_strdup(a, w->events ? w->events : "");
        c->secret = NULL;
        if (!c->url || !c->events)
            return -1;
    }
    return 0;
}

int webhook_emit_targets_tx(store *s, const store_request *r, const char *procedure_code,
                            const store_webhook *subs, size_t n, const char *event, int64_t now,
                            error *err)
{
    arena a;
    arena_init(&a, 0);
    int rc = emit_to(s, r, procedure_code, subs, n, event, NULL, now, &a, NULL, err);
    arena_free(&a);
    return rc;
}

/* ---- delivering ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_setup(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The answer's body is not kept: only its size is bounded. */
static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
    (void)ptr;
    size_t *total = ctx;
    *total += size * n;
    return *total > 65536 ? 0 : size * n;
}

/* Refuses, after resolution and before connecting, an address a webhook must not reach. */
static int prereq(void *ctx, char *ip, char *local_ip, int remote_port, int local_port)
{
    (void)local_ip;
    (void)remote_port;
    (void)local_port;
    const int *allow_local = ctx;
    if (!*allow_local && netaddr_private_text(ip))
        return CURL_PREREQFUNC_ABORT;
    return CURL_PREREQFUNC_OK;
}

static int post(const char *url, int allow_local, const char *event, const char *delivery,
                const char *signature, const char *body, error *err)
{
    pthread_once(&curl_once, curl_setup);
    if (curl_init_rc != CURLE_OK)
        return error_set(err, ERR_UNAVAILABLE, NULL, "libcurl could not start");
    CURL *h = curl_easy_init();
    if (!h)
        return error_set(err, ERR_UNAVAILABLE, NULL, "libcurl could not start");
    char hdr[3][160];
    snprintf(hdr[0], sizeof hdr[0], "X-Guichet-Delivery: %s", delivery);
    snprintf(hdr[1], sizeof hdr[1], "X-Guichet-Event: %s", event);
    snprintf(hdr[2], sizeof hdr[2], "X-Guichet-Signature: %s", signature);
    struct curl_slist *headers = NULL, *next = NULL;
    const char *lines[] = {"Content-Type: application/json", "Expect:", hdr[0], hdr[1], hdr[2]};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        next = curl_slist_append(headers, lines[i]);
        if (!next)
            break;
        headers = next;
    }
    size_t received = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, allow_local ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "guichet-webhook/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, &allow_local);
    int rc = 0;
    CURLcode cr = next ? curl_easy_perform(h) : CURLE_OUT_OF_MEMORY;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cr == CURLE_ABORTED_BY_CALLBACK)
        rc = error_set(err, ERR_FORBIDDEN, NULL,
                       "refused: the host resolves to a private or "
                       "local address");
    else if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && status))
        rc = error_set(err, ERR_UNAVAILABLE, NULL, "%s", curl_easy_strerror(cr));
    else if (status < 200 || status > 299)
        rc = error_set(err, ERR_UNAVAILABLE, NULL, "HTTP %ld", status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- secrets at rest ---- */

/* Sealed per collectivité (core/seal.h): a copy of the database alone cannot sign. */
#define SEAL_PURPOSE "webhook"

static int secret_seal(const core *c, int64_t tenant_id, const char *secret,
                       char out[SEAL_TEXT_MAX])
{
    return seal_text(c, SEAL_PURPOSE, tenant_id, 0, secret, strlen(secret), out, SEAL_TEXT_MAX);
}

/* w's secret as a string into out. One stored before secrets were sealed (still "whsec_…",
 * until webhook_seal_secrets runs at start-up) is taken as it is. */
static int secret_open(const core *c, const store_webhook *w, char out[SEAL_PLAIN_MAX + 1])
{
    if (!seal_is_sealed(w->secret)) {
        size_t n = w->secret ? strlen(w->secret) : SEAL_PLAIN_MAX + 1;
        if (n > SEAL_PLAIN_MAX)
            return -1;
        memcpy(out, w->secret, n + 1);
        return 0;
    }
    size_t n = 0;
    if (seal_open(c, SEAL_PURPOSE, w->tenant_id, 0, w->secret, out, SEAL_PLAIN_MAX, &n) != 0)
        return -1;
    out[n] = '\0';
    return 0;
}

typedef struct seal_all_op {
    core_op op;
    int64_t *tenants;
    size_t n_tenants;
    size_t sealed;
    size_t *sealed_out; /* the caller's, told by seal_all_finish */
} seal_all_op;

static int seal_all_apply(store *s, core_op *op, error *err)
{
    seal_all_op *j = (seal_all_op *)op;
    for (size_t t = 0; t < j->n_tenants; t++) {
        store_webhook *list = NULL;
        size_t n = 0;
        if (s->ops->jobs.webhooks(s, j->tenants[t], &op->a, &list, &n, err) != 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (seal_is_sealed(list[i].secret))
                continue;
            char sealed[SEAL_TEXT_MAX];
            if (!list[i].secret ||
                secret_seal(op->core, list[i].tenant_id, list[i].secret, sealed) != 0)
                return error_set(err, ERR_INTERNAL, NULL,
                                 "webhook %lld: its secret cannot be sealed",
                                 (long long)list[i].id);
            store_webhook w = list[i];
            w.secret = sealed;
            int64_t id = 0;
            if (s->ops->jobs.tx_webhook_put(s, &w, &id, err) != 0)
                return -1;
            j->sealed++;
        }
    }
    return 0;
}

static void seal_all_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    seal_all_op *j = (seal_all_op *)op;
    if (*rc == 0 && j->sealed_out)
        *j->sealed_out = j->sealed;
}

/* 1 when a subscription of tenant_id still has its secret in clear, 0 when none, -1 on error:
 * read on this thread, so that a start with nothing to seal queues no write. */
static int any_in_clear(core *c, int64_t tenant_id, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_webhook *list = NULL;
    size_t n = 0;
    int rc = c->store->ops->jobs.webhooks(c->store, tenant_id, &a, &list, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!seal_is_sealed(list[i].secret))
            rc = 1;
    arena_free(&a);
    return rc;
}

int webhook_seal_secrets(core *c, size_t *sealed, error *err)
{
    if (sealed)
        *sealed = 0;
    seal_all_op *j = core_op_new(sizeof *j, seal_all_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    const catalogue *cat = catalogue_acquire(c);
    j->tenants = cat->n_tenants ? arena_alloc(&j->op.a, cat->n_tenants * sizeof *j->tenants) : NULL;
    int rc = 0;
    /* Only the collectivités with a secret in clear go to the writer (the job reads theirs
     * again: the one that counts is the writer's). */
    for (size_t i = 0; j->tenants && rc == 0 && i < cat->n_tenants; i++) {
        rc = any_in_clear(c, cat->tenants[i].rec.id, err);
        if (rc == 1) {
            j->tenants[j->n_tenants++] = cat->tenants[i].rec.id;
            rc = 0;
        }
    }
    catalogue_release(c, cat);
    if (rc != 0 || !j->n_tenants) {
        core_op_free(j);
        return rc;
    }
    j->sealed_out = sealed;
    j->op.finish = seal_all_finish;
    return core_op_submit(c, j, NULL, NULL, err);
}

static int deliver(job_run *run, error *err)
{
    const store_job_row *job = run->job;
    json_t *p = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    int64_t id = (int64_t)json_integer_value(json_object_get(p, "webhook"));
    const char *event = json_string_value(json_object_get(p, "event"));
    const char *delivery = json_string_value(json_object_get(p, "delivery"));
    const char *body = json_string_value(json_object_get(p, "body"));
    int rc = -1;
    store_webhook w;
    int found = 0;
    core *c = run->core;
    if (!event || !delivery || !body) {
        error_set(err, ERR_INTERNAL, NULL, "malformed delivery job");
        goto cleanup;
    }
    if (c->store->ops->jobs.webhook_get(c->store, job->tenant_id, id, run->a, &w, &found, err) != 0)
        goto cleanup;
    /* A subscription removed or switched off since: nothing is sent any more, and the
     * delivery's row says so. */
    if (!found || !w.active) {
        run->no_event = 1;
        run->cancelled_why = found ? "subscription switched off" : "subscription removed";
        rc = 0;
        goto cleanup;
    }
    int allow_local = atomic_load(&c->webhook_allow_local);
    if (webhook_url_check(w.url, allow_local, err) != 0)
        goto cleanup;
    char secret[SEAL_PLAIN_MAX + 1];
    if (secret_open(c, &w, secret) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the secret does not unseal (instance secret changed?)");
        goto cleanup;
    }
    char signature[WEBHOOK_SIGNATURE_LEN];
    int signed_ok = webhook_sign(secret, run->now, body, strlen(body), signature) == 0;
    sodium_memzero(secret, sizeof secret);
    if (!signed_ok) {
        error_set(err, ERR_INTERNAL, NULL, "cannot sign");
        goto cleanup;
    }
    rc = post(w.url, allow_local, event, delivery, signature, body, err);
cleanup:
    json_decref(p);
    return rc;
}

static const job_handler webhook_handler = {
    .kind = WEBHOOK_KIND,
    .run = deliver,
    .max_attempts = WEBHOOK_ATTEMPTS_MAX,
    .retry_base_s = WEBHOOK_BACKOFF_DEFAULT_S,
    .retry_max_s = 6 * 3600,
    .retry_base_of = backoff_of,
};

int webhook_register(core *c, error *err)
{
    return jobs_register(c, &webhook_handler, err);
}

/* ---- administration ---- */

int webhook_list(core *c, int64_t tenant_id, arena *a, store_webhook **out, size_t *n, error *err)
{
    return c->store->ops->jobs.webhooks(c->store, tenant_id, a, out, n, err);
}

int webhook_deliveries(core *c, int64_t tenant_id, size_t limit, arena *a, store_job_row **out,
                       size_t *n, error *err)
{
    return jobs_list(c, tenant_id, WEBHOOK_KIND, limit, a, out, n, err);
}

typedef struct put_arg {
    store_webhook w; /* its events are the copy below, its secret (if new) the sealed one */
    char events[128];
    char sealed[SEAL_TEXT_MAX]; /* a new secret, sealed; "" when the secret stays */
    int rotate; /* only a new secret */
} put_arg;

static int put_apply(store *s, void *arg, int64_t *id, error *err)
{
    put_arg *p = arg;
    store_webhook w = p->w;
    w.events = p->events;
    w.secret = p->sealed[0] ? p->sealed : NULL;
    if (w.id) {
        arena a;
        arena_init(&a, 0);
        store_webhook old;
        int found = 0;
        int rc = s->ops->jobs.webhook_get(s, w.tenant_id, w.id, &a, &old, &found, err);
        if (rc == 0 && !found)
            rc = error_set(err, ERR_NOT_FOUND, NULL, "no such webhook");
        if (rc == 0) {
            if (p->rotate) {
                w.url = old.url;
                w.events = old.events;
                w.active = old.active;
            } else {
                w.secret = old.secret;
            }
            rc = s->ops->jobs.tx_webhook_put(s, &w, id, err);
        }
        arena_free(&a);
        return rc;
    }
    store_webhook *list = NULL;
    size_t n = 0;
    arena a;
    arena_init(&a, 0);
    int rc = s->ops->jobs.webhooks(s, w.tenant_id, &a, &list, &n, err);
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (n >= WEBHOOK_PER_TENANT_MAX)
        return error_set(err, ERR_CONFLICT, "url", "at most %d webhooks", WEBHOOK_PER_TENANT_MAX);
    return s->ops->jobs.tx_webhook_put(s, &w, id, err);
}

/* The catalogue holds the subscriptions for the creations (cat_tenant.webhooks). */
static const change_def put_def = {
    .action = "admin", .kind = "webhook", .apply = put_apply, .reload_catalogue = 1};

/* The chosen events as stored: known names, in webhook_events' order, one space apart. */
static int events_text(const char *const *chosen, char *out, size_t size, error *err)
{
    out[0] = '\0';
    size_t used = 0, n_chosen = 0;
    for (size_t i = 0; chosen && chosen[i]; i++) {
        int known = 0;
        for (size_t k = 0; webhook_events[k]; k++)
            known |= strcmp(chosen[i], webhook_events[k]) == 0;
        if (!known)
            return error_set(err, ERR_INVALID_ARG, "events", "unknown event");
        n_chosen++;
    }
    if (!n_chosen)
        return error_set(err, ERR_INVALID_ARG, "events", "choose at least one event");
    for (size_t k = 0; webhook_events[k]; k++)
        for (size_t i = 0; chosen[i]; i++)
            if (strcmp(chosen[i], webhook_events[k]) == 0) {
                used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                                         webhook_events[k]);
                break;
            }
    return 0;
}

int webhook_put_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                   const webhook_input *in, char secret_out[WEBHOOK_SECRET_LEN], int64_t *id_out,
                   core_done_fn cb, void *ctx, error *err)
{
    put_arg p = {.w = {.id = id,
                       .tenant_id = tenant_id,
                       .url = in->url,
                       .active = in->active,
                       .created_at = time_now()}};
    if (webhook_url_check(in->url, atomic_load(&c->webhook_allow_local), err) != 0 ||
        events_text(in->events, p.events, sizeof p.events, err) != 0)
        return -1;
    if (!id) {
        core_new_secret("whsec_", secret_out, WEBHOOK_SECRET_LEN);
        if (secret_seal(c, tenant_id, secret_out, p.sealed) != 0)
            return error_set(err, ERR_INTERNAL, NULL, "cannot seal the secret");
    }
    return change_run(c, who, tenant_id, &put_def, &p, sizeof p, id_out, cb, ctx, err);
}

int webhook_rotate_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                      char secret_out[WEBHOOK_SECRET_LEN], core_done_fn cb, void *ctx, error *err)
{
    core_new_secret("whsec_", secret_out, WEBHOOK_SECRET_LEN);
    put_arg p = {.w = {.id = id, .tenant_id = tenant_id}, .rotate = 1};
    if (secret_seal(c, tenant_id, secret_out, p.sealed) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "cannot seal the secret");
    return change_run(c, who, tenant_id, &put_def, &p, sizeof p, NULL, cb, ctx, err);
}

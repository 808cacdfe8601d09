/*
 * mail — the outbox dispatcher for e-mail: one thread that wakes every poll interval (or
 * when asked), sends the due messages one by one over SMTP with libcurl and records each
 * outcome. The messages are read and their outcomes written through core (core/outbox.h),
 * and rendered with the presentation handle it was given (present/present.h), so the
 * dispatcher needs neither the store nor the web layer. It never runs on an HTTP thread,
 * and a relay outage only delays messages: they are retried with exponential backoff.
 */
#include "channels/mail/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalogue.h"
#include "core/outbox.h"
#include "present/tenant.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAIL_BATCH 50
#define MAIL_URL_MAX 512
#define MAIL_LAST_ERROR_MAX 200

struct mailer {
    core *core;
    const present *present; /* borrowed: outlives the mailer */
    mailer_config cfg; /* strings below are owned copies */
    char *smtp_url;    /* with the EHLO name as path */
    char *from_addr, *from_name, *from_domain;
    long use_ssl;
    CURL *curl;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake, stop;
    mail_throttle bulk; /* broadcast messages; dispatcher thread only */
    int64_t held_ms;    /* the last pass stopped at the throttle: wait this long */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe: once per process, before any handle. */
static void curl_setup(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* 1 when host (from a URL's authority) names this machine: no TLS is needed there. */
static int host_is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

/* Checks the URL and derives the TLS mode and the final URL whose path is the EHLO name
 * (libcurl sends the path of an smtp:// URL as its EHLO argument). */
static int prepare_url(mailer *m, const char *url, const char *helo, error *err)
{
    int implicit_tls;
    const char *rest;
    if (strncmp(url, "smtp://", 7) == 0) {
        implicit_tls = 0;
        rest = url + 7;
    } else if (strncmp(url, "smtps://", 8) == 0) {
        implicit_tls = 1;
        rest = url + 8;
    } else {
        return error_set(err, ERR_INVALID_ARG, "smtp-url",
                         "the SMTP URL must start with smtp:// or smtps://");
    }
    size_t auth_len = strcspn(rest, "/?#");
    if (auth_len == 0 || auth_len > 255 || strchr(rest, '@') || rest[auth_len] == '?' ||
        rest[auth_len] == '#')
        return error_set(err, ERR_INVALID_ARG, "smtp-url",
                         "the SMTP URL must be smtp[s]://host[:port][/ehlo-name]");
    char host[256];
    memcpy(host, rest, auth_len);
    host[auth_len] = '\0';
    /* Strip the port, keeping a bracketed IPv6 address whole. */
    char *colon = host[0] == '[' ? strchr(host, ']') : host;
    colon = colon ? strrchr(colon, ':') : NULL;
    if (colon)
        *colon = '\0';
    if (implicit_tls)
        m->use_ssl = CURLUSESSL_ALL;
    else if (host_is_loopback(host))
        m->use_ssl = CURLUSESSL_NONE;
    else
        m->use_ssl = CURLUSESSL_TRY; /* STARTTLS when the relay offers it */

    const char *path = rest + auth_len;
    char buf_url[MAIL_URL_MAX];
    int n;
    if (*path == '/' && path[1])
        n = snprintf(buf_url, sizeof buf_url, "%s", url);
    else
        n = snprintf(buf_url, sizeof buf_url, "%.*s/%s", (int)(path - url), url, helo);
    if (n < 0 || (size_t)n >= sizeof buf_url)
        return error_set(err, ERR_INVALID_ARG, "smtp-url", "the SMTP URL is too long");
    m->smtp_url = strdup(buf_url);
    if (!m->smtp_url)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

static void mailer_free(mailer *m)
{
    if (!m)
        return;
    if (m->curl)
        curl_easy_cleanup(m->curl);
    free(m->smtp_url);
    free(m->from_addr);
    free(m->from_name);
    free(m->from_domain);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---- one message ---- */

typedef struct upload {
    const char *data;
    size_t len, pos;
} upload;

static size_t read_upload(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    upload *u = userdata;
    size_t room = size * nmemb, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(ptr, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* Sends one composed message. 0 when the relay accepted it; -1 otherwise with *permanent set
 * for a 5xx answer, *relay_down when the relay could not be reached at all, and last_error
 * filled without personal data (the server's text may quote the address, so only curl's
 * generic message and the reply code are kept). */
static int smtp_send(mailer *m, const char *to, const char *data, size_t len, int *permanent,
                     int *relay_down, char *last_error, size_t last_error_size)
{
    *permanent = 0;
    *relay_down = 0;
    CURL *h = m->curl;
    curl_easy_reset(h);
    char from[300], rcpt[300];
    snprintf(from, sizeof from, "<%s>", m->from_addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    if (!rcpts) {
        snprintf(last_error, last_error_size, "out of memory");
        return -1;
    }
    upload u = {.data = data, .len = len};
    long timeout = m->cfg.timeout_s;
    curl_easy_setopt(h, CURLOPT_URL, m->smtp_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, m->use_ssl);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpts);
    if (rc == CURLE_OK)
        return 0;
    if (code >= 500 && code <= 599)
        *permanent = 1;
    *relay_down = code == 0 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                                rc == CURLE_OPERATION_TIMEDOUT);
    if (code > 0)
        snprintf(last_error, last_error_size, "smtp %ld: %s", code, curl_easy_strerror(rc));
    else
        snprintf(last_error, last_error_size, "%s", curl_easy_strerror(rc));
    return -1;
}

/* Renders and composes message msg into *raw. -1 with err for a message that can never be
 * sent as it is (missing template, bad params or address). */
static int build_message(mailer *m, const store_outbox *msg, char **raw, size_t *raw_len,
                         error *err)
{
    int rc = -1;
    json_t *params = NULL, *strings = NULL, *ctx = NULL;
    char *text = NULL, *html = NULL;
    char *tenant_name = NULL, *tenant_contact = NULL;
    json_t *tenant = NULL;
    lang l = msg->lang && strcmp(msg->lang, "en") == 0 ? LANG_EN : LANG_FR;

    const catalogue *cat = catalogue_acquire(m->core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, msg->tenant_id);
    if (t) {
        tenant_name = dup_or_null(t->rec.name);
        tenant_contact = dup_or_null(t->rec.contact);
        /* The signature says what the portal's footer says: address, phone, e-mail,
         * website, opening hours (copied out of the snapshot). */
        tenant = present_tenant(m->present, l, &t->rec, &t->branding);
    }
    catalogue_release(m->core, cat);
    if (!t) {
        error_set(err, ERR_NOT_FOUND, "tenant", "tenant %lld not found", (long long)msg->tenant_id);
        goto cleanup;
    }
    json_error_t jerr;
    params = json_loads(msg->params ? msg->params : "{}", 0, &jerr);
    if (!json_is_object(params)) {
        error_set(err, ERR_INVALID_ARG, "params", "params are not a JSON object");
        goto cleanup;
    }
    /* The strings tree is shared and read-only; jansson's reference counts are atomic. */
    strings = present_strings(m->present, l);
    if (!strings) {
        error_set(err, ERR_INTERNAL, NULL, "no presentation to render with");
        goto cleanup;
    }
    json_incref(strings);
    if (!(ctx = mail_context(msg->template, params, strings, l == LANG_EN ? "en" : "fr",
                             tenant_name, tenant_contact))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory building a mail context");
        goto cleanup;
    }
    if (tenant) {
        json_object_set_new(ctx, "tenant", tenant);
        tenant = NULL;
    }
    const tmpl_set *set = present_templates(m->present);
    if (!set) {
        error_set(err, ERR_INTERNAL, NULL, "no presentation to render with");
        goto cleanup;
    }
    if (mail_render(set, msg->template, ctx, &text, &html, err) != 0)
        goto cleanup;
    mail_message mm = {
        .from_addr = m->from_addr,
        .from_name = m->from_name ? m->from_name : tenant_name,
        .to_addr = msg->recipient,
        .subject = json_string_value(json_object_get(ctx, "subject")),
        .text = text,
        .html = html,
        .lang_code = l == LANG_EN ? "en" : "fr",
        .date = time_now(),
        .message_id_domain = m->from_domain,
        .list_unsubscribe = json_string_value(json_object_get(params, "unsubscribe_url")),
    };
    rc = mail_compose(&mm, raw, raw_len, err);
cleanup:
    free(html);
    free(text);
    json_decref(ctx);
    json_decref(strings);
    json_decref(params);
    json_decref(tenant);
    free(tenant_contact);
    free(tenant_name);
    return rc;
}

/* Sends one message and records the outcome. Returns 1 when the relay is unreachable. */
static int process_one(mailer *m, const store_outbox *msg)
{
    int64_t t0 = time_mono_ms();
    char *raw = NULL;
    size_t raw_len = 0;
    error err = {0};
    char last_error[MAIL_LAST_ERROR_MAX] = "";
    int permanent = 0, sent = 0, relay_down = 0;

    if (build_message(m, msg, &raw, &raw_len, &err) != 0) {
        /* Bad data or a missing template: retrying would not help. Out of memory or the
         * templates not loaded yet (ERR_INTERNAL) may pass: try again later. */
        permanent = err.code != ERR_INTERNAL;
        snprintf(last_error, sizeof last_error, "compose: %s%s%s", err_name(err.code),
                 err.arg[0] ? " " : "", err.arg);
        log_error("mail: outbox %lld template %s cannot be composed: %s", (long long)msg->id,
                  msg->template, err.detail);
    } else if (smtp_send(m, msg->recipient, raw, raw_len, &permanent, &relay_down, last_error,
                         sizeof last_error) == 0) {
        sent = 1;
    }
    free(raw);

    int attempts = msg->attempts + 1;
    int64_t now = time_now();
    outbox_outcome j = {.id = msg->id, .sent = sent, .attempts = attempts, .when = now};
    if (!sent) {
        j.failed = permanent || attempts >= m->cfg.max_attempts;
        j.next_attempt_at = now + mail_backoff(attempts, m->cfg.backoff_s, m->cfg.backoff_max_s);
        j.last_error = last_error;
    }
    error werr = {0};
    /* This thread is the dispatcher's own: it may wait for the commit. */
    int wrc = outbox_record(m->core, &j, NULL, NULL, &werr);
    long long ms = (long long)(time_mono_ms() - t0);
    if (sent)
        log_info("mail: outbox %lld template %s sent (%lld ms)", (long long)msg->id, msg->template,
                 ms);
    else if (j.failed)
        log_warn("mail: outbox %lld template %s given up after %d attempt(s): %s",
                 (long long)msg->id, msg->template, attempts, last_error);
    else
        log_warn("mail: outbox %lld template %s not sent (attempt %d, next in %llds): %s",
                 (long long)msg->id, msg->template, attempts, (long long)(j.next_attempt_at - now),
                 last_error);
    if (wrc != 0)
        log_error("mail: outbox %lld: recording the outcome failed: %s", (long long)msg->id,
                  werr.detail);
    return relay_down;
}

int64_t mail_throttle_take(mail_throttle *t, int64_t now_ms)
{
    if (t->rate <= 0)
        return 0;
    if (now_ms < t->next_ms)
        return t->next_ms - now_ms;
    int64_t step = 1000 / t->rate;
    t->next_ms = (t->next_ms > now_ms - step ? t->next_ms : now_ms) + (step > 0 ? step : 1);
    return 0;
}

static int should_stop(mailer *m)
{
    pthread_mutex_lock(&m->mu);
    int stop = m->stop;
    pthread_mutex_unlock(&m->mu);
    return stop;
}

/* One pass over the due messages. Returns the number of e-mails handled. */
static size_t run_pass(mailer *m)
{
    arena a;
    arena_init(&a, 0);
    store_outbox *msgs = NULL;
    size_t n = 0, handled = 0;
    error err = {0};
    if (outbox_due(m->core, time_now(), MAIL_BATCH, &a, &msgs, &n, &err) != 0) {
        log_error("mail: reading the outbox failed: %s", err.detail);
        arena_free(&a);
        return 0;
    }
    m->held_ms = 0;
    for (size_t i = 0; i < n && !should_stop(m); i++) {
        if (!msgs[i].channel || strcmp(msgs[i].channel, "email") != 0)
            continue;
        /* Broadcasts come after every due notice (outbox_due's order) and at the configured
         * rate: at the throttle the pass ends, so that a notice queued meanwhile is read at
         * the next one instead of waiting behind the rest of this batch. */
        if (msgs[i].priority > 0 && (m->held_ms = mail_throttle_take(&m->bulk, time_mono_ms())))
            break;
        handled++;
        /* The relay is down: the others would each wait for the same failure (up to the
         * timeout). They stay due and are tried on the next passes, one at a time. */
        if (process_one(m, &msgs[i]))
            break;
    }
    arena_free(&a);
    return handled;
}

static void *dispatcher_main(void *arg)
{
    mailer *m = arg;
    for (;;) {
        size_t handled = run_pass(m);
        pthread_mutex_lock(&m->mu);
        /* A full batch may have more behind it: go again at once. */
        if (!m->stop && !m->wake && (handled < MAIL_BATCH || m->held_ms)) {
            int64_t wait_ms =
                m->held_ms && m->held_ms < m->cfg.poll_ms ? m->held_ms : m->cfg.poll_ms;
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += (time_t)(wait_ms / 1000);
            until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!m->stop && !m->wake) {
                if (pthread_cond_timedwait(&m->cv, &m->mu, &until) == ETIMEDOUT)
                    break;
            }
        }
        m->wake = 0;
        int stop = m->stop;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            break;
    }
    return NULL;
}

mailer *mailer_start(core *c, const present *p, const mailer_config *cfg, error *err)
{
    if (!p) {
        error_set(err, ERR_INVALID_ARG, "present", "the mailer needs a presentation");
        return NULL;
    }
    mailer *m = calloc(1, sizeof *m);
    if (!m) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    m->core = c;
    m->present = p;
    m->cfg = *cfg;
    m->cfg.smtp_url = m->cfg.from_addr = m->cfg.from_name = m->cfg.helo = NULL;
    if (m->cfg.poll_ms <= 0)
        m->cfg.poll_ms = MAIL_DEFAULT_POLL_MS;
    if (m->cfg.backoff_s <= 0)
        m->cfg.backoff_s = MAIL_DEFAULT_BACKOFF_S;
    if (m->cfg.backoff_max_s <= 0)
        m->cfg.backoff_max_s = MAIL_DEFAULT_BACKOFF_MAX_S;
    if (m->cfg.max_attempts <= 0)
        m->cfg.max_attempts = MAIL_DEFAULT_MAX_ATTEMPTS;
    if (m->cfg.timeout_s <= 0)
        m->cfg.timeout_s = MAIL_DEFAULT_TIMEOUT_S;
    m->bulk.rate = m->cfg.broadcast_rate > 0 ? m->cfg.broadcast_rate : 0;
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);

    if (!cfg->smtp_url || !*cfg->smtp_url) {
        log_info("mail: no SMTP relay configured; e-mails stay queued in the outbox");
        return m;
    }
    const char *from = cfg->from_addr;
    const char *at = from ? strchr(from, '@') : NULL;
    if (!from || !*from || !at || at == from || !at[1] || strpbrk(from, " <>\r\n")) {
        error_set(err, ERR_MISSING_ARG, "mail-from",
                  "sending e-mail needs a sender address (--mail-from)");
        goto cleanup;
    }
    m->from_addr = strdup(from);
    m->from_domain = strdup(at + 1);
    m->from_name = dup_or_null(cfg->from_name);
    if (!m->from_addr || !m->from_domain || (cfg->from_name && *cfg->from_name && !m->from_name)) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    if (prepare_url(m, cfg->smtp_url, cfg->helo && *cfg->helo ? cfg->helo : m->from_domain, err) !=
        0)
        goto cleanup;
    pthread_once(&curl_once, curl_setup);
    if (curl_init_rc != CURLE_OK || !(m->curl = curl_easy_init())) {
        error_set(err, ERR_INTERNAL, NULL, "libcurl could not be initialised");
        goto cleanup;
    }
    if (pthread_create(&m->thread, NULL, dispatcher_main, m) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "could not start the mail thread");
        goto cleanup;
    }
    m->started = 1;
    log_info("mail: dispatcher started (relay %s, poll %d ms, backoff %d s)",
             strncmp(cfg->smtp_url, "smtps", 5) == 0 ? "smtps" : "smtp", m->cfg.poll_ms,
             m->cfg.backoff_s);
    return m;
cleanup:
    mailer_free(m);
    return NULL;
}

void mailer_wake(mailer *m)
{
    if (!m || !m->started)
        return;
    pthread_mutex_lock(&m->mu);
    m->wake = 1;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void mailer_stop(mailer *m)
{
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    mailer_free(m);
}

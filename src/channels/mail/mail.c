/*
 * mail — the outbox dispatcher for e-mail: the shared dispatcher loop (channels/dispatch)
 * with this file's sender, which picks each message's relay, renders it with the
 * presentation handle it was given (present/present.h) and sends it over SMTP with libcurl.
 * The loop reads the messages and records their outcomes through core (core/outbox.h), so
 * the dispatcher needs neither the store nor the web layer. It never runs on an HTTP thread,
 * and a relay outage only delays messages: they are retried with exponential backoff.
 */
#include "channels/mail/mail.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "channels/dispatch.h"
#include "core/catalogue.h"
#include "core/mail_settings.h"
#include "core/outbox.h"
#include "core/reply_token.h"
#include "present/tenant.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAIL_URL_MAX (MAIL_SETTINGS_URL_MAX + 256) /* and the EHLO name */
#define MAIL_LAST_ERROR_MAX 200
/* How long a message of a collectivité without any relay waits before it is looked at
 * again: a relay set in the back office meanwhile takes it then. */
#define MAIL_NO_RELAY_WAIT_S 300

/* Where and as whom one message goes: the server's relay (--smtp-url) or a collectivité's. */
typedef struct relay {
    char url[MAIL_URL_MAX]; /* with the EHLO name as path */
    long use_ssl;
    const char *user, *password; /* NULL: no SMTP AUTH */
    const char *from_addr, *from_name, *from_domain;
    const char *reply_local, *reply_domain; /* the collectivité's reply address; NULL: none */
} relay;

struct mailer {
    core *core;
    const present *present; /* borrowed: outlives the mailer */
    mailer_config cfg;      /* strings below are owned copies */
    relay def;              /* the server's relay; def.url "" when there is none */
    char *from_addr, *from_name, *from_domain, *helo;
    CURL *curl;       /* the dispatcher thread's */
    dispatcher *disp; /* the loop (channels/dispatch) that calls send_one */
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

/* Checks a relay URL and derives its TLS mode and the final URL whose path is the EHLO name
 * (libcurl sends the path of an smtp:// URL as its EHLO argument). With credentials, smtp://
 * to another machine requires STARTTLS: a password never crosses the network in clear. */
static int relay_setup(relay *r, const char *url, const char *helo, int with_auth, error *err)
{
    int implicit_tls;
    char host[MAIL_SETTINGS_URL_MAX + 1];
    size_t auth_len;
    if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0)
        return error_set(err, ERR_INVALID_ARG, "smtp-url",
                         "the SMTP URL must start with smtp:// or smtps://");
    if (mail_settings_url_parse(url, &implicit_tls, host, sizeof host, &auth_len) != 0)
        return error_set(err, ERR_INVALID_ARG, "smtp-url",
                         "the SMTP URL must be smtp[s]://host[:port][/ehlo-name]");
    if (implicit_tls)
        r->use_ssl = CURLUSESSL_ALL;
    else if (host_is_loopback(host))
        r->use_ssl = CURLUSESSL_NONE;
    else
        r->use_ssl = with_auth ? CURLUSESSL_ALL : CURLUSESSL_TRY;

    const char *path = url + auth_len;
    int n;
    if (*path == '/' && path[1])
        n = snprintf(r->url, sizeof r->url, "%s", url);
    else
        n = snprintf(r->url, sizeof r->url, "%.*s/%s", (int)auth_len, url, helo);
    if (n < 0 || (size_t)n >= sizeof r->url)
        return error_set(err, ERR_INVALID_ARG, "smtp-url", "the SMTP URL is too long");
    return 0;
}

static void mailer_free(mailer *m)
{
    if (!m)
        return;
    if (m->curl)
        curl_easy_cleanup(m->curl);
    free(m->helo);
    free(m->from_addr);
    free(m->from_name);
    free(m->from_domain);
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

/* The relay's last answer line, kept by the debug callback (for the test message). */
typedef struct answer {
    char *buf;
    size_t cap;
} answer;

static int keep_answer(CURL *h, curl_infotype type, char *data, size_t size, void *userdata)
{
    (void)h;
    answer *an = userdata;
    /* The answer to QUIT (221) says nothing of the message: the one before it does. */
    if (type != CURLINFO_HEADER_IN || !an->buf || an->cap == 0 ||
        (size >= 3 && !memcmp(data, "221", 3)))
        return 0;
    size_t n = size < an->cap - 1 ? size : an->cap - 1;
    while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
        n--;
    memcpy(an->buf, data, n);
    an->buf[n] = '\0';
    return 0;
}

/* Sends one composed message through r with handle h. 0 when the relay accepted it; -1
 * otherwise with *permanent set for a 5xx answer, *relay_down when the relay could not be
 * reached at all, and last_error filled without personal data (the server's text may quote
 * the address, so only curl's generic message and the reply code are kept). With reply
 * (may be NULL), the relay's last answer line as it is (the test message shows it). */
static int smtp_send(CURL *h, const relay *r, long timeout, const char *to, const char *data,
                     size_t len, int *permanent, int *relay_down, char *last_error,
                     size_t last_error_size, char *reply, size_t reply_size)
{
    *permanent = 0;
    *relay_down = 0;
    curl_easy_reset(h);
    char from[300], rcpt[300];
    snprintf(from, sizeof from, "<%s>", r->from_addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    if (!rcpts) {
        snprintf(last_error, last_error_size, "out of memory");
        return -1;
    }
    upload u = {.data = data, .len = len};
    answer an = {.buf = reply, .cap = reply_size};
    if (reply && reply_size)
        reply[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, r->use_ssl);
    if (r->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (reply) {
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, keep_answer);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &an);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }
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

/* The relay of a message of tenant_id: the collectivité's own when it has one, else the
 * server's; its sender the collectivité's when set. 1 with *r filled (strings in a or m's),
 * 0 when there is no relay at all (the message waits), -1 with err. */
static int pick_relay(mailer *m, int64_t tenant_id, arena *a, relay *r, error *err)
{
    store_mail_settings ms;
    int found = 0;
    if (mail_settings_open(m->core, tenant_id, a, &ms, &found, err) != 0)
        return -1;
    *r = m->def;
    if (found && ms.from_addr) {
        r->from_addr = ms.from_addr;
        r->from_domain = strchr(ms.from_addr, '@') + 1;
    }
    if (found && ms.from_name)
        r->from_name = ms.from_name;
    if (found && ms.reply_local && ms.reply_domain) {
        r->reply_local = ms.reply_local;
        r->reply_domain = ms.reply_domain;
    }
    if (found && ms.smtp_url) {
        if (!ms.from_addr)
            return error_set(err, ERR_INVALID_ARG, "from_addr",
                             "the collectivité's relay has no sender address");
        r->user = ms.smtp_user;
        r->password = ms.smtp_user ? ms.smtp_password : NULL;
        const char *helo = m->helo ? m->helo : r->from_domain;
        return relay_setup(r, ms.smtp_url, helo, r->user != NULL, err) == 0 ? 1 : -1;
    }
    return r->url[0] ? 1 : 0;
}

/* The Reply-To of a message about request `reference` through r: the collectivité's reply
 * address tagged with the request's reply token, so that the answer finds its request; ""
 * when the collectivité has none (or the address would not be valid: logged). */
static void reply_address(mailer *m, const relay *r, int64_t tenant_id, const char *reference,
                          char *out, size_t cap)
{
    out[0] = '\0';
    char token[REPLY_TOKEN_MAX];
    if (!r->reply_local || !reference ||
        reply_token_make(m->core, tenant_id, reference, token, sizeof token) != 0)
        return;
    int n = snprintf(out, cap, "%s+%s@%s", r->reply_local, token, r->reply_domain);
    if (n < 0 || (size_t)n >= cap || !outbox_email_ok(out)) {
        log_warn("mail: tenant %lld: the reply address with a token is not valid; no Reply-To",
                 (long long)tenant_id);
        out[0] = '\0';
    }
}

/* The document msg carries, frozen: loaded in a with its hash checked (outbox_document),
 * then told to the template as ctx's "attachment" — joined under a name made of its kind's
 * stem (strings "mail.attachment_names.<kind>") and reference (its bytes and name into *doc
 * and name), or too large and announced with the tracking link (name left ""). -1 with err:
 * ERR_NOT_FOUND or ERR_CONFLICT when it is gone or changed (given up: never another file in
 * its place), ERR_INTERNAL for a failed read (tried again). */
static int attach_document(mailer *m, const store_outbox *msg, json_t *strings,
                           const char *reference, arena *a, json_t *ctx, store_document *doc,
                           char *name, size_t cap, error *err)
{
    if (outbox_document(m->core, msg, a, doc, err) != 0) {
        if (err->code != ERR_NOT_FOUND && err->code != ERR_CONFLICT)
            err->code = ERR_INTERNAL;
        return -1;
    }
    size_t max = m->cfg.attachment_max ? m->cfg.attachment_max : MAIL_DEFAULT_ATTACHMENT_MAX;
    json_t *att = NULL;
    if ((size_t)doc->size > max) {
        att = json_pack("{s:b}", "too_large", 1);
    } else {
        const char *stem = json_string_value(json_object_get(
            json_object_get(json_object_get(strings, "mail"), "attachment_names"), doc->kind));
        if (mail_attachment_name(stem, reference, doc->version, name, cap) != 0)
            return error_set(err, ERR_INVALID_ARG, "attachment",
                             "no file name for a document of kind %s", doc->kind);
        att = json_pack("{s:b, s:s}", "attached", 1, "filename", name);
    }
    if (!att || json_object_set_new(ctx, "attachment", att) != 0) {
        name[0] = '\0';
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* Renders and composes message msg for relay r into *raw, with its stored Message-ID, its
 * place in its request's thread and its Reply-To. -1 with err for a message that can never
 * be sent as it is (missing template, bad params or address). */
static int build_message(mailer *m, const relay *r, const store_outbox *msg, arena *a, char **raw,
                         size_t *raw_len, error *err)
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
    store_outbox_thread th;
    if (outbox_thread(m->core, msg, a, &th, err) != 0) {
        /* A read that failed is not the message's fault: try again later. */
        err->code = ERR_INTERNAL;
        goto cleanup;
    }
    store_document doc = {0};
    char file_name[MAIL_ATTACHMENT_NAME_MAX + 1] = "";
    if (msg->document_id && attach_document(m, msg, strings, th.reference, a, ctx, &doc, file_name,
                                            sizeof file_name, err) != 0)
        goto cleanup;
    if (mail_render(set, msg->template, ctx, &text, &html, err) != 0)
        goto cleanup;
    const char *refs[3] = {NULL, NULL, NULL};
    size_t k = 0;
    if (th.root)
        refs[k++] = th.root;
    if (th.prev && (!th.root || strcmp(th.prev, th.root) != 0))
        refs[k++] = th.prev;
    char reply_to[MAIL_SETTINGS_ADDR_MAX + 1];
    reply_address(m, r, msg->tenant_id, th.reference, reply_to, sizeof reply_to);
    mail_message mm = {
        .from_addr = r->from_addr,
        .from_name = r->from_name ? r->from_name : tenant_name,
        .to_addr = msg->recipient,
        .subject = json_string_value(json_object_get(ctx, "subject")),
        .text = text,
        .html = html,
        .lang_code = l == LANG_EN ? "en" : "fr",
        .date = time_now(),
        .message_id_domain = r->from_domain,
        .message_id = msg->message_id,
        .reply_to = reply_to[0] ? reply_to : NULL,
        .references = refs,
        .list_unsubscribe = json_string_value(json_object_get(params, "unsubscribe_url")),
        .attachment = file_name[0] ? doc.content : NULL,
        .attachment_len = file_name[0] ? (size_t)doc.size : 0,
        .attachment_name = file_name[0] ? file_name : NULL,
        .attachment_type = "application/pdf",
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

/* The dispatcher's send callback (channels/dispatch): renders one message and hands it to
 * its relay. */
static void send_one(void *ctx, const store_outbox *msg, dispatch_attempt *at)
{
    mailer *m = ctx;
    char *raw = NULL;
    size_t raw_len = 0;
    error err = {0};
    int relay_down = 0;
    arena a;
    arena_init(&a, 0);
    relay r;
    int have = pick_relay(m, msg->tenant_id, &a, &r, &err);
    if (have == 0) {
        /* Nowhere to send it yet: a relay set in the back office meanwhile takes it then. */
        at->postpone_s = MAIL_NO_RELAY_WAIT_S;
        snprintf(at->why, sizeof at->why, "no relay configured");
    } else if (have < 0) {
        /* The collectivité's settings cannot be used now (a read failed, or they are
         * incomplete): a later attempt may find them mended. */
        snprintf(at->why, sizeof at->why, "relay: %s%s%s", err_name(err.code),
                 err.arg[0] ? " " : "", err.arg);
        log_error("mail: outbox %lld: the relay of tenant %lld cannot be used: %s",
                  (long long)msg->id, (long long)msg->tenant_id, err.detail);
    } else if (build_message(m, &r, msg, &a, &raw, &raw_len, &err) != 0) {
        /* Bad data or a missing template: retrying would not help. Out of memory or the
         * templates not loaded yet (ERR_INTERNAL) may pass: try again later. */
        at->permanent = err.code != ERR_INTERNAL;
        snprintf(at->why, sizeof at->why, "compose: %s%s%s", err_name(err.code),
                 err.arg[0] ? " " : "", err.arg);
        log_error("mail: outbox %lld template %s cannot be composed: %s", (long long)msg->id,
                  msg->template, err.detail);
    } else if (smtp_send(m->curl, &r, m->cfg.timeout_s, msg->recipient, raw, raw_len,
                         &at->permanent, &relay_down, at->why, sizeof at->why, NULL, 0) == 0) {
        at->sent = 1;
    }
    /* Each collectivité may have its own relay: one found down holds back only its
     * collectivité's messages. */
    if (relay_down)
        at->down = DISPATCH_DOWN_TENANT;
    free(raw);
    arena_free(&a);
}

/* Sets up libcurl once and gives a handle; NULL when it cannot. */
static CURL *curl_handle(void)
{
    pthread_once(&curl_once, curl_setup);
    return curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
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
    if (m->cfg.timeout_s <= 0)
        m->cfg.timeout_s = MAIL_DEFAULT_TIMEOUT_S;

    m->helo = dup_or_null(cfg->helo);
    if (cfg->helo && *cfg->helo && !m->helo) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    int has_default = cfg->smtp_url && *cfg->smtp_url;
    if (has_default) {
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
        if (!m->from_addr || !m->from_domain ||
            (cfg->from_name && *cfg->from_name && !m->from_name)) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            goto cleanup;
        }
        m->def.from_addr = m->from_addr;
        m->def.from_domain = m->from_domain;
        m->def.from_name = m->from_name;
        if (relay_setup(&m->def, cfg->smtp_url, m->helo ? m->helo : m->from_domain, 0, err) != 0)
            goto cleanup;
    } else {
        /* The collectivités' own relays may still be set in the back office. */
        log_info("mail: no server-wide SMTP relay; e-mails of a collectivité without a relay "
                 "of its own stay queued in the outbox");
    }
    if (!(m->curl = curl_handle())) {
        error_set(err, ERR_INTERNAL, NULL, "libcurl could not be initialised");
        goto cleanup;
    }
    dispatch_config dc = {.channel = "email",
                          .log_name = "mail",
                          .poll_ms = cfg->poll_ms,
                          .backoff_s = cfg->backoff_s,
                          .backoff_max_s = cfg->backoff_max_s,
                          .max_attempts = cfg->max_attempts,
                          .broadcast_rate = cfg->broadcast_rate,
                          .send = send_one,
                          .ctx = m};
    if (!(m->disp = dispatcher_start(c, &dc, err)))
        goto cleanup;
    const dispatch_config *eff = dispatcher_config(m->disp);
    log_info("mail: dispatcher started (relay %s, poll %d ms, backoff %d s)",
             !has_default                              ? "per collectivité"
             : strncmp(cfg->smtp_url, "smtps", 5) == 0 ? "smtps"
                                                       : "smtp",
             eff->poll_ms, eff->backoff_s);
    return m;
cleanup:
    mailer_free(m);
    return NULL;
}

void mailer_wake(mailer *m)
{
    if (m)
        dispatcher_wake(m->disp);
}

void mailer_stop(mailer *m)
{
    if (!m)
        return;
    /* The thread first: it uses the handle and the relay freed below. */
    dispatcher_stop(m->disp);
    mailer_free(m);
}

/* ---- the test message of the back office ---- */

/* The test message's one try of the collectivité's relay (dispatch_test_send's thread). */
static int test_try(const dispatch_test *t, error *err)
{
    arena a;
    arena_init(&a, 0);
    char *raw = NULL;
    size_t raw_len = 0;
    CURL *h = NULL;
    int rc = -1;
    relay r;
    store_mail_settings ms;
    int found = 0;
    if (mail_settings_open(t->core, t->tenant_id, &a, &ms, &found, err) != 0)
        goto done;
    if (!found || !ms.smtp_url || !ms.from_addr) {
        error_set(err, ERR_NOT_FOUND, "smtp_url", "the collectivité has no relay of its own");
        goto done;
    }
    memset(&r, 0, sizeof r);
    r.from_addr = ms.from_addr;
    r.from_domain = strchr(ms.from_addr, '@') + 1;
    r.from_name = ms.from_name;
    r.user = ms.smtp_user;
    r.password = ms.smtp_user ? ms.smtp_password : NULL;
    if (relay_setup(&r, ms.smtp_url, r.from_domain, r.user != NULL, err) != 0)
        goto done;
    mail_message mm = {
        .from_addr = r.from_addr,
        .from_name = r.from_name,
        .to_addr = t->to,
        .subject = t->subject,
        .text = t->text,
        .date = time_now(),
        .message_id_domain = r.from_domain,
    };
    if (mail_compose(&mm, &raw, &raw_len, err) != 0)
        goto done;
    if (!(h = curl_handle())) {
        error_set(err, ERR_INTERNAL, NULL, "libcurl could not be initialised");
        goto done;
    }
    int permanent, down;
    char last_error[MAIL_LAST_ERROR_MAX], reply[MAIL_TEST_ANSWER_MAX];
    if (smtp_send(h, &r, MAIL_DEFAULT_TIMEOUT_S, t->to, raw, raw_len, &permanent, &down, last_error,
                  sizeof last_error, reply, sizeof reply) == 0) {
        rc = 0;
        snprintf(t->answer, t->cap, "%s", reply);
    } else {
        /* The relay's own words when it answered, curl's when it did not. */
        error_set(err, ERR_UNAVAILABLE, "relay", "%s", reply[0] ? reply : last_error);
    }
done:
    if (h)
        curl_easy_cleanup(h);
    free(raw);
    arena_free(&a);
    return rc;
}

int mail_test_send(core *c, int64_t tenant_id, const char *to, const char *subject,
                   const char *text, char *answer_out, size_t cap, core_done_fn cb, void *ctx,
                   error *err)
{
    if (!outbox_email_ok(to))
        return error_set(err, ERR_INVALID_ARG, "to", "not an e-mail address");
    return dispatch_test_send(c, tenant_id, to, subject, text, answer_out, cap, test_try, cb, ctx,
                              err);
}

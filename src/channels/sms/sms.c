/*
 * sms — rendering, the sendsms request and the dispatcher's sender (see sms.h). The loop is
 * channels/dispatch's, the mail dispatcher's too: it reads and records through core only;
 * the sender renders with the presentation handle it was given. It never runs on an HTTP
 * thread.
 */
#include "channels/sms/sms.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/dispatch.h"
#include "core/catalogue.h"
#include "core/outbox.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/sms_text.h"
#include "util/timeutil.h"

#define SMS_ANSWER_MAX 200

/* ---- rendering ---- */

static const char *param(json_t *params, const char *name)
{
    const char *v = json_string_value(json_object_get(params, name));
    return v ? v : "";
}

int sms_render(const present *p, lang l, const char *tenant_name, const char *template_name,
               const char *params_text, const char *reply_number, char out[SMS_TEXT_MAX],
               error *err)
{
    char key[96];
    snprintf(key, sizeof key, "sms.%s", template_name);
    const char *pattern = present_string(p, l, key);
    /* present_string answers the key itself for a string it does not have. */
    if (!pattern || strcmp(pattern, key) == 0)
        return error_set(err, ERR_NOT_FOUND, "template", "no SMS text for %s", template_name);
    json_error_t jerr;
    json_t *params = json_loads(params_text ? params_text : "{}", 0, &jerr);
    if (!json_is_object(params)) {
        json_decref(params);
        return error_set(err, ERR_INVALID_ARG, "params", "params are not a JSON object");
    }
    static const char *const names[] = {"tenant",     "reference", "procedure", "status",
                                        "short_code", "survivor",  "code",      "body"};
    const char *status =
        *param(params, "status_label") ? param(params, "status_label") : param(params, "status");
    const char *values[] = {tenant_name ? tenant_name : "", param(params, "reference"),
                            param(params, "procedure"),     status,
                            param(params, "short_code"),    param(params, "survivor"),
                            param(params, "code"),          param(params, "body")};
    const char *link = *param(params, "lookup_url")     ? param(params, "lookup_url")
                       : *param(params, "tracking_url") ? param(params, "tracking_url")
                                                        : param(params, "link");
    arena a;
    arena_init(&a, 0);
    char *text = present_subst(&a, pattern, names, values, sizeof names / sizeof names[0]);
    if (text && json_is_true(json_object_get(params, "stop")) &&
        sms_sender_is_number(reply_number)) {
        /* The mention goes after the link, never cut: it is how the citizen leaves. */
        static const char *const number[] = {"number"};
        const char *mention =
            present_subst(&a, present_string(p, l, "sms.stop_mention"), number, &reply_number, 1);
        link = mention ? arena_printf(&a, "%s%s%s", link, *link ? " " : "", mention) : NULL;
        if (!link)
            text = NULL;
    }
    int rc = 0;
    if (!text) {
        rc = error_set(err, ERR_INTERNAL, NULL, "out of memory rendering an SMS");
    } else {
        sms_text_fold(text);
        if (sms_text_fit(text, link, out, SMS_TEXT_MAX) < 0)
            rc = error_set(err, ERR_INVALID_ARG, "text", "the SMS %s cannot fit", template_name);
    }
    arena_free(&a);
    json_decref(params);
    return rc;
}

/* ---- the sendsms request ---- */

/* s percent-encoded (RFC 3986's unreserved characters kept) onto b. */
static int put_encoded(buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (plain ? buf_putc(b, (char)*p) != 0 : buf_printf(b, "%%%02X", *p) != 0)
            return -1;
    }
    return 0;
}

/* Every delivery state Kannel reports: delivered, undelivered, buffered, SMSC ack and reject. */
#define DLR_MASK "31"

/* The report URL Kannel calls for message_id, %d standing for the state; NULL when g asks for
 * none or a is exhausted. */
static const char *dlr_url(arena *a, const sms_gateway *g, const char *message_id)
{
    if (!message_id || !*message_id || !g->callback_base || !*g->callback_base || !g->dlr_key[0])
        return NULL;
    buf b;
    buf_init(&b, 2048);
    int rc = buf_printf(&b, "%s/passerelle/sms/dlr?key=", g->callback_base) ||
             put_encoded(&b, g->dlr_key) || buf_printf(&b, "&id=%s&status=%%d", message_id);
    const char *out = rc == 0 ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}

const char *sms_sendsms_url(arena *a, const sms_gateway *g, const char *to, const char *text,
                            const char *message_id)
{
    sms_count count;
    int ucs2 = sms_text_count(text, &count) == 0 && count.encoding == SMS_UCS2;
    const char *report = dlr_url(a, g, message_id);
    struct {
        const char *name, *value;
    } fields[] = {
        {"username", g->username},
        {"password", g->password},
        {"to", to},
        {"text", text},
        {"from", g->sender && *g->sender ? g->sender : NULL},
        {"charset", "UTF-8"},
        /* Kannel sends 7-bit GSM by default and drops what it cannot map: a text with a
         * character outside GSM-7 goes as UCS-2, as it was counted. */
        {"coding", ucs2 ? "2" : NULL},
        {"dlr-mask", report ? DLR_MASK : NULL},
        {"dlr-url", report},
    };
    buf b;
    buf_init(&b, 4096);
    /* The base URL is the administrator's, checked on input: kept as it is. */
    int rc = buf_puts(&b, g->sendsms_url);
    char sep = strchr(g->sendsms_url, '?') ? '&' : '?';
    for (size_t i = 0; rc == 0 && i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].value)
            continue;
        rc = buf_printf(&b, "%c%s=", sep, fields[i].name) || put_encoded(&b, fields[i].value);
        sep = '&';
    }
    const char *out = rc == 0 ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}

/* ---- talking to Kannel ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_setup(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Kannel's answer, kept to its first SMS_ANSWER_MAX bytes. */
typedef struct answer {
    char text[SMS_ANSWER_MAX + 1];
    size_t len;
} answer;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    answer *ans = arg;
    size_t got = size * n, room = SMS_ANSWER_MAX - ans->len;
    size_t take = got < room ? got : room;
    memcpy(ans->text + ans->len, data, take);
    ans->len += take;
    ans->text[ans->len] = '\0';
    return got;
}

/* What became of one sendsms request. */
typedef enum kannel_outcome {
    KANNEL_ACCEPTED,
    KANNEL_REFUSED,
    KANNEL_RETRY,
    KANNEL_DOWN
} kannel_outcome;

/* GETs url (a sendsms request) and classifies the answer: 2xx accepted (Kannel answers 202
 * «0: Accepted for delivery» or «3: Queued for later delivery»); 4xx refused for good
 * (credentials, a parameter); 5xx or no answer to retry, KANNEL_DOWN when nothing listens.
 * ans holds the body (control characters made blanks) or curl's reason. */
static kannel_outcome kannel_get(const char *url, int timeout_s, answer *ans, long *code)
{
    ans->len = 0;
    ans->text[0] = '\0';
    *code = 0;
    pthread_once(&curl_once, curl_setup);
    CURL *h = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!h) {
        snprintf(ans->text, sizeof ans->text, "libcurl could not be initialised");
        return KANNEL_RETRY;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
    curl_easy_cleanup(h);
    for (size_t i = 0; i < ans->len; i++)
        if ((unsigned char)ans->text[i] < ' ')
            ans->text[i] = ' ';
    while (ans->len && ans->text[ans->len - 1] == ' ')
        ans->text[--ans->len] = '\0';
    if (rc != CURLE_OK) {
        snprintf(ans->text, sizeof ans->text, "%s", curl_easy_strerror(rc));
        ans->len = strlen(ans->text);
        return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                       rc == CURLE_OPERATION_TIMEDOUT
                   ? KANNEL_DOWN
                   : KANNEL_RETRY;
    }
    if (*code >= 200 && *code <= 299)
        return KANNEL_ACCEPTED;
    return *code >= 400 && *code <= 499 ? KANNEL_REFUSED : KANNEL_RETRY;
}

/* ---- the back office's test SMS ---- */

/* On dispatch_test_send's thread: one try of the gateway, Kannel's words kept. */
static int test_try(const dispatch_test *t, error *err)
{
    arena a;
    arena_init(&a, 0);
    sms_gateway g = {0};
    int found = 0, rc = -1;
    const char *url = NULL;
    if (sms_gateway_get(t->core, t->tenant_id, &a, &g, &found, err) != 0) {
        /* err says why */
    } else if (!found) {
        error_set(err, ERR_NOT_FOUND, "gateway", "the collectivité has no SMS gateway");
    } else if (!(url = sms_sendsms_url(&a, &g, t->to, t->text, NULL))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    } else {
        answer ans;
        long code = 0;
        kannel_outcome o = kannel_get(url, SMS_DEFAULT_TIMEOUT_S, &ans, &code);
        if (code)
            snprintf(t->answer, t->cap, "HTTP %ld : %s", code, ans.text);
        else
            snprintf(t->answer, t->cap, "%s", ans.text);
        if (o == KANNEL_ACCEPTED)
            rc = 0;
        else
            error_set(err, ERR_UNAVAILABLE, "gateway", "Kannel did not accept the SMS");
    }
    sodium_memzero(g.password, sizeof g.password);
    sodium_memzero(g.dlr_key, sizeof g.dlr_key);
    arena_free(&a);
    return rc;
}

int sms_test_send(core *c, int64_t tenant_id, const char *to, const char *text, char *answer_out,
                  size_t cap, core_done_fn cb, void *ctx, error *err)
{
    if (!to || strlen(to) > SMS_TEST_TO_MAX || cap == 0)
        return error_set(err, ERR_INVALID_ARG, "to", "not a number in E.164");
    return dispatch_test_send(c, tenant_id, to, NULL, text, answer_out, cap, test_try, cb, ctx,
                              err);
}

/* ---- the dispatcher ---- */

struct smser {
    core *core;
    const present *present; /* borrowed: outlives the dispatcher */
    int timeout_s;
    dispatcher *disp; /* the loop (channels/dispatch) that calls send_one */
};

/* The dispatcher's rate of a collectivité's broadcast SMS (channels/dispatch). */
static int rate_of(void *ctx, int64_t tenant_id)
{
    smser *d = ctx;
    return sms_broadcast_rate(d->core, tenant_id);
}

/* The dispatcher's send callback (channels/dispatch): renders one SMS and hands it to the
 * collectivité's Kannel. */
static void send_one(void *ctx, const store_outbox *msg, dispatch_attempt *at)
{
    smser *d = ctx;
    arena a;
    arena_init(&a, 0);
    error err = {0};
    lang l = msg->lang && strcmp(msg->lang, "en") == 0 ? LANG_EN : LANG_FR;
    const catalogue *cat = catalogue_acquire(d->core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, msg->tenant_id);
    const char *tenant_name = t ? arena_strdup(&a, t->rec.name) : NULL;
    catalogue_release(d->core, cat);
    sms_gateway g = {0};
    int found = 0, opted_out = 0;
    char text[SMS_TEXT_MAX];
    const char *url = NULL;
    if (!t) {
        at->permanent = 1;
        snprintf(at->why, sizeof at->why, "no such collectivité");
    } else if (sms_opted_out(d->core, msg->tenant_id, msg->recipient, &opted_out, &err) != 0) {
        snprintf(at->why, sizeof at->why, "opt-out list: %s", err_name(err.code));
    } else if (opted_out) {
        /* STOP is final: the message is never sent, and says why without the number. */
        at->permanent = 1;
        snprintf(at->why, sizeof at->why, "the number opted out (STOP)");
    } else if (sms_gateway_get(d->core, msg->tenant_id, &a, &g, &found, &err) != 0 || !found) {
        /* Kept queued: the gateway may be set in the back office meanwhile. */
        snprintf(at->why, sizeof at->why, "%s",
                 found ? "the gateway's settings do not open" : "no SMS gateway set");
    } else if (sms_render(d->present, l, tenant_name, msg->template, msg->params, g.sender, text,
                          &err) != 0) {
        at->permanent = err.code != ERR_INTERNAL;
        snprintf(at->why, sizeof at->why, "render: %s %s", err_name(err.code), err.arg);
    } else if (!(url = sms_sendsms_url(&a, &g, msg->recipient, text, msg->message_id))) {
        snprintf(at->why, sizeof at->why, "out of memory");
    } else {
        answer ans;
        long code = 0;
        kannel_outcome o = kannel_get(url, d->timeout_s, &ans, &code);
        at->sent = o == KANNEL_ACCEPTED;
        at->permanent = o == KANNEL_REFUSED;
        /* The collectivité's Kannel is down: its other messages would wait for the same
         * failure and stay due; the other collectivités' gateways are their own. */
        at->down = o == KANNEL_DOWN ? DISPATCH_DOWN_TENANT : DISPATCH_UP;
        /* Kannel's answer names no number nor text: it may go into last_error. */
        if (!at->sent)
            snprintf(at->why, sizeof at->why, "kannel %ld: %.150s", code, ans.text);
    }
    sodium_memzero(g.password, sizeof g.password);
    sodium_memzero(g.dlr_key, sizeof g.dlr_key);
    arena_free(&a);
}

smser *smser_start(core *c, const present *p, const smser_config *cfg, error *err)
{
    if (!p) {
        error_set(err, ERR_INVALID_ARG, "present", "the SMS dispatcher needs a presentation");
        return NULL;
    }
    pthread_once(&curl_once, curl_setup);
    if (curl_init_rc != CURLE_OK) {
        error_set(err, ERR_INTERNAL, NULL, "libcurl could not be initialised");
        return NULL;
    }
    smser *d = calloc(1, sizeof *d);
    if (!d) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    smser_config sc = cfg ? *cfg : (smser_config){0};
    d->core = c;
    d->present = p;
    d->timeout_s = sc.timeout_s > 0 ? sc.timeout_s : SMS_DEFAULT_TIMEOUT_S;
    dispatch_config dc = {.channel = "sms",
                          .log_name = "sms",
                          .poll_ms = sc.poll_ms,
                          .backoff_s = sc.backoff_s,
                          .backoff_max_s = sc.backoff_max_s,
                          .max_attempts = sc.max_attempts,
                          .broadcast_rate_of = rate_of,
                          .send = send_one,
                          .ctx = d};
    if (!(d->disp = dispatcher_start(c, &dc, err))) {
        free(d);
        return NULL;
    }
    const dispatch_config *eff = dispatcher_config(d->disp);
    log_info("sms: dispatcher started (poll %d ms, backoff %d s)", eff->poll_ms, eff->backoff_s);
    return d;
}

void smser_wake(smser *d)
{
    if (d)
        dispatcher_wake(d->disp);
}

void smser_stop(smser *d)
{
    if (!d)
        return;
    dispatcher_stop(d->disp);
    free(d);
}

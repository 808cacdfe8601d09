/*
 * web — the glue every HTML page shares: the tenant of the request, the page context
 * (strings, language, branding, logged-in citizen, CSRF token), rendering, redirects, the
 * HTML error page, CSRF checks and the session cookie. Templates, strings and the view
 * settings belong to the presentation module (present/), whose handle each request
 * carries (rq->present).
 *
 * Per-request state (a cookie set earlier in the same request, after a login or the first
 * CSRF token) is read back from the response's own Set-Cookie headers rather than kept in
 * a side structure: the response is the one place both the server and this file already
 * share.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include "web/web.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "core/account.h"
#include "core/attachment.h"
#include "core/session.h"
#include "core/workflow.h"
#include "present/icons.h"
#include "present/tenant.h"
#include "util/log.h"
#include "util/text.h"

#define COOKIE_SESSION WEB_SESSION_COOKIE
#define COOKIE_CSRF "guichet_csrf"
#define CSRF_SECRET_LEN 43 /* core_new_secret without prefix: 43 base64url characters */
#define CSRF_TOKEN_LEN 64  /* hex keyed hash */

/* Kept beside the routes' tables in spirit: these are the portal's own paths (tracking.c,
 * account.c); a change of route there must change them here. */
const core_links web_portal_links = {
    .tracking = "/suivi/",
    .tracking_token = "?jeton=",
    .verify = "/compte/verifier?jeton=",
    .login = "/compte/connexion",
    .reset = "/compte/nouveau-mot-de-passe?jeton=",
    .login_link = "/compte/lien?jeton=",
};

void web_shutdown(void)
{
    web_shared_pages_free();
}

/* ---- cookies of this request ---- */

/* The value of cookie `name` as this response already sets it (the last Set-Cookie for it
 * wins, as in browsers), or NULL when the response does not set it. "" when deleted. */
static const char *pending_cookie(http_req *rq, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = rq->n_headers_out; i-- > 0;) {
        const char *h = rq->headers_out[i][0], *v = rq->headers_out[i][1];
        if (!h || !v || strcasecmp(h, "Set-Cookie") != 0)
            continue;
        if (strncmp(v, name, nlen) != 0 || v[nlen] != '=')
            continue;
        const char *start = v + nlen + 1;
        return arena_strndup(rq->arena, start, strcspn(start, ";"));
    }
    return NULL;
}

/* The browser's cookie, or the one this response sets. */
static const char *current_cookie(http_req *rq, const char *name)
{
    const char *p = pending_cookie(rq, name);
    return p ? p : http_cookie(rq, name);
}

static int b64url_ok(const char *s, size_t len)
{
    if (!s || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

/* The CSRF token is a keyed hash of the browser's secret cookie, so the server keeps no
 * state and a token from one browser is worthless in another. */
static const char *csrf_token_of(http_req *rq, const char *secret)
{
    char in[8 + CSRF_SECRET_LEN + 1];
    char out[65];
    memcpy(in, "csrf:", 5);
    memcpy(in + 5, secret, CSRF_SECRET_LEN + 1);
    core_hash_secret(rq->core, in, out);
    return arena_strdup(rq->arena, out);
}

static const char *new_csrf_secret(http_req *rq)
{
    char secret[CSRF_SECRET_LEN + 8];
    core_new_secret("", secret, sizeof secret);
    http_set_cookie(rq, COOKIE_CSRF, secret, -1, 1);
    return arena_strdup(rq->arena, secret);
}

const char *web_csrf_token(http_req *rq)
{
    const char *secret = current_cookie(rq, COOKIE_CSRF);
    if (!b64url_ok(secret, CSRF_SECRET_LEN))
        secret = new_csrf_secret(rq);
    return secret ? csrf_token_of(rq, secret) : "";
}

/* The 403 of a form whose CSRF token is missing or wrong. */
static int refuse_csrf(http_req *rq, const char *why)
{
    log_info("csrf: refused %s from %s (%s)", rq->path ? rq->path : "?",
             rq->client_ip ? rq->client_ip : "?", why);
    error e;
    error_set(&e, ERR_FORBIDDEN, "csrf_token", "missing or wrong CSRF token");
    web_write_error(rq, &e);
    return -1;
}

int web_admit_form(http_req *rq)
{
    if (b64url_ok(http_cookie(rq, COOKIE_CSRF), CSRF_SECRET_LEN))
        return 0;
    return refuse_csrf(rq, "no CSRF cookie, body not read");
}

int web_check_csrf(http_req *rq, const form *f)
{
    const char *secret = http_cookie(rq, COOKIE_CSRF);
    const char *token = f ? form_get(f, "csrf_token") : NULL;
    if (b64url_ok(secret, CSRF_SECRET_LEN) && token && strlen(token) == CSRF_TOKEN_LEN) {
        const char *expected = csrf_token_of(rq, secret);
        if (expected && sodium_memcmp(expected, token, CSRF_TOKEN_LEN) == 0)
            return 0;
    }
    return refuse_csrf(rq, "token");
}

/* ---- sessions ---- */

int web_account(http_req *rq, store_account *out)
{
    if (!rq->host_tenant)
        return 0;
    const char *token = current_cookie(rq, COOKIE_SESSION);
    if (!token || !*token)
        return 0;
    store_session se;
    error e;
    if (session_lookup(rq->core, rq->host_tenant->rec.id, token, rq->arena, &se, out, &e) != 0) {
        if (e.code != ERR_UNAUTHORIZED)
            log_warn("session lookup failed: %s", e.detail);
        return 0;
    }
    return 1;
}

session_opening *web_login_prepare(http_req *rq)
{
    session_opening *o = arena_alloc(rq->arena, sizeof *o);
    if (o)
        session_opening_prepare(rq->core, current_cookie(rq, COOKIE_SESSION), o);
    return o;
}

void web_login_done(http_req *rq, session_opening *o, int ok)
{
    if (!o)
        return;
    if (ok) {
        http_set_cookie(rq, COOKIE_SESSION, arena_strdup(rq->arena, o->token), -1, 1);
        /* A fresh CSRF secret too: a token seen before login is worth nothing after it. */
        new_csrf_secret(rq);
    }
    session_opening_wipe(o);
}

void web_logout_cookies(http_req *rq)
{
    http_set_cookie(rq, COOKIE_SESSION, "", 0, 1);
    new_csrf_secret(rq);
}

int web_logout(http_req *rq, core_done_fn cb, void *ctx, error *err)
{
    const char *token = current_cookie(rq, COOKIE_SESSION);
    web_logout_cookies(rq);
    if (!token || !*token || !rq->host_tenant) {
        if (cb)
            cb(ctx, 0, NULL);
        return 0;
    }
    return session_destroy(rq->core, rq->host_tenant->rec.id, token, cb, ctx, err);
}

/* ---- tenant, context, rendering ---- */

const cat_tenant *web_tenant(http_req *rq)
{
    if (rq->host_tenant)
        return rq->host_tenant;
    error e;
    error_set(&e, ERR_NOT_FOUND, NULL, "no collectivité answers on this host");
    web_write_error(rq, &e);
    return NULL;
}

static json_t *tenant_json(http_req *rq)
{
    const cat_tenant *ct = rq->host_tenant;
    return present_tenant(rq->present, rq->lang == LANG_EN ? LANG_EN : LANG_FR,
                          ct ? &ct->rec : NULL, ct ? &ct->branding : NULL);
}

/* The context of a page; with_csrf 0 leaves the CSRF token (and its cookie) out. */
static json_t *context(http_req *rq, int with_csrf, int *logged_in)
{
    json_t *ctx = json_object();
    if (!ctx)
        return NULL;
    lang l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    json_t *strings = present_strings(rq->present, l);
    json_object_set_new(ctx, "t", strings ? json_incref(strings) : json_object());
    present_set_str(ctx, "lang", l == LANG_EN ? "en" : "fr");
    present_set_str(ctx, "other_lang", l == LANG_EN ? "fr" : "en");
    json_object_set_new(ctx, "tenant", tenant_json(rq));
    store_account acc;
    if (web_account(rq, &acc)) {
        json_t *u = json_object();
        present_set_str(u, "name",
                        acc.display_name && *acc.display_name ? acc.display_name : acc.email);
        present_set_str(u, "email", acc.email);
        json_object_set_new(ctx, "user", u);
        *logged_in = 1;
        with_csrf = 1; /* the layout's logout form needs it */
    }
    present_set_str(ctx, "csrf", with_csrf ? web_csrf_token(rq) : "");
    /* The layouts link to this path (the language switch): a request for //evil.example/x
     * must not become a link to another site. */
    present_set_str(ctx, "path", form_local_path(rq->path) ? rq->path : "/");
    json_t *map = json_object();
    const present_config *cfg = present_settings(rq->present);
    if (cfg && cfg->map_tiles_url)
        present_set_str(map, "tiles_url", cfg->map_tiles_url);
    if (cfg && cfg->map_attribution)
        present_set_str(map, "attribution", cfg->map_attribution);
    json_object_set_new(ctx, "map", map);
    return ctx;
}

json_t *web_context(http_req *rq)
{
    int logged_in = 0;
    return context(rq, 1, &logged_in);
}

json_t *web_context_public(http_req *rq, int *cacheable)
{
    int logged_in = 0;
    json_t *ctx = context(rq, 0, &logged_in);
    *cacheable = ctx && !logged_in;
    return ctx;
}

/* A page holding this browser's CSRF token or a citizen's data must never be served to
 * another visitor from the response cache. */
static void keep_private(http_req *rq, json_t *ctx)
{
    if (!rq->cacheable)
        return;
    const char *csrf = json_string_value(json_object_get(ctx, "csrf"));
    if (json_object_get(ctx, "user") || rq->n_headers_out > 0 ||
        (csrf && *csrf && strstr(buf_cstr(&rq->out), csrf)))
        rq->cacheable = 0;
}

/* The one place that decides what caches may do with a page, called before every HTML
 * answer: a page that is not the same for every visitor (not cacheable: a citizen's or an
 * agent's page, a tracking page reached with its token, a form with this browser's CSRF
 * token or what was typed into it, an error page) may hold personal data, so no cache,
 * shared or the browser's own, may store it. A handler's own Cache-Control stands. */
static void cache_policy(http_req *rq)
{
    if (rq->cacheable)
        return;
    for (size_t i = 0; i < rq->n_headers_out; i++)
        if (strcasecmp(rq->headers_out[i][0], "Cache-Control") == 0)
            return;
    http_add_header(rq, "Cache-Control", "no-store");
}

void web_render(http_req *rq, int status, const char *name, json_t *ctx)
{
    error e;
    error_clear(&e);
    buf_reset(&rq->out);
    int rc = ctx ? present_render(rq->present, name, ctx, &rq->out, &e)
                 : error_set(&e, ERR_INTERNAL, NULL, "no page context");
    if (rc != 0) {
        json_decref(ctx);
        if (e.code != ERR_INTERNAL) {
            log_error("rendering %s failed: %s", name, e.detail);
            error_set(&e, ERR_INTERNAL, NULL, "rendering %s failed", name);
        }
        buf_reset(&rq->out);
        web_write_error(rq, &e);
        return;
    }
    keep_private(rq, ctx);
    json_decref(ctx);
    cache_policy(rq);
    http_respond(rq, status, "text/html; charset=utf-8");
}

void web_redirect(http_req *rq, const char *path)
{
    http_redirect(rq, path);
}

/* ---- rate limits of the forms ---- */

static int take(http_req *rq, const char *bucket, double rate, double burst)
{
    error e;
    if (http_ratelimit(rq, bucket, rate, burst, &e) == 0)
        return 0;
    web_write_error(rq, &e);
    return -1;
}

const char *web_in_lang(http_req *rq, const char *fr, const char *en)
{
    return rq->lang == LANG_EN && en && *en ? en : fr;
}

const char *web_procedure_name(http_req *rq, const cat_procedure *p)
{
    return p ? web_in_lang(rq, p->rec.name, p->rec.name_en) : "";
}

const char *web_procedure_icon(const cat_procedure *p)
{
    return p ? icons_of(&p->rec) : icons_kind_default(PROCEDURE_INCIDENT);
}

/* The code a reader sees for code: a hidden status shows to citizens as workflow_citizen_status
 * says. */
static const char *shown_code(const cat_procedure *p, const char *code, web_reader who)
{
    const store_workflow_status *s =
        who == WEB_CITIZEN && p ? workflow_citizen_status(p->workflow, code) : NULL;
    return s ? s->code : code;
}

const char *web_status_label(http_req *rq, const cat_procedure *p, const char *code, lang l,
                             web_reader who)
{
    if (!code)
        return "";
    const char *label = !p                 ? code
                        : who == WEB_AGENT ? workflow_agent_label(p->workflow, code, l)
                                           : workflow_citizen_label(p->workflow, code, l);
    /* Labels are lowercase for use inside sentences; on their own they start a phrase. */
    return web_capitalised(rq, label);
}

const char *web_capitalised(http_req *rq, const char *label)
{
    return web_capitalised_in(rq->arena, label);
}

const char *web_capitalised_in(arena *a, const char *label)
{
    char *cap = arena_strdup(a, label ? label : "");
    if (!cap)
        return label;
    if (cap[0] >= 'a' && cap[0] <= 'z')
        cap[0] = (char)(cap[0] - 'a' + 'A');
    return cap;
}

const char *web_set_status(http_req *rq, json_t *o, const cat_procedure *p, const char *code,
                           lang l, web_reader who)
{
    const char *label = web_status_label(rq, p, code, l, who);
    const char *shown = shown_code(p, code, who);
    present_set_str_opt(o, "status", shown);
    present_set_str_opt(o, "status_label", label);
    present_set_str_opt(o, "status_colour", p ? workflow_colour(p->workflow, shown) : "grey");
    return label;
}

const char *web_procedure_description(http_req *rq, const cat_procedure *p)
{
    return p ? web_in_lang(rq, p->rec.description, p->rec.description_en) : NULL;
}

const char *web_procedure_notice(http_req *rq, const cat_procedure *p)
{
    return p ? web_in_lang(rq, p->rec.service_notice, p->rec.service_notice_en) : NULL;
}

const char *web_audit_source(http_req *rq)
{
    return http_audit_source(rq, "web");
}

const char *web_client_network(http_req *rq)
{
    const char *ip = rq->client_ip ? rq->client_ip : "";
    unsigned char a[16];
    if (!strchr(ip, ':') || inet_pton(AF_INET6, ip, a) != 1)
        return ip;
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN];
    if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
        if (!inet_ntop(AF_INET, a + 12, text, sizeof text))
            return ip;
    } else {
        memset(a + 8, 0, 8);
        if (!inet_ntop(AF_INET6, a, text, sizeof text))
            return ip;
    }
    const char *out = arena_printf(rq->arena, "%s", text);
    return out ? out : ip;
}

/* The files one submission takes: --max-files, through core's uploads directory. */
static size_t max_files(http_req *rq)
{
    size_t n = core_uploads(rq->core)->max_files;
    return n ? n : ATTACHMENT_MAX_FILES;
}

int web_form_and_files(http_req *rq, form *f, http_file **files, size_t *n_files)
{
    error e;
    error_clear(&e);
    if (http_form_files(rq, f, files, n_files, max_files(rq), &e) != 0) {
        web_write_error(rq, &e);
        return -1;
    }
    return web_check_csrf(rq, f);
}

int web_form_with_files(http_req *rq, form *f, http_file **files, size_t *n_files)
{
    if (web_form_and_files(rq, f, files, n_files) != 0)
        return -1;
    for (size_t i = 0; i < *n_files; i++)
        if ((*files)[i].refused == HTTP_FILE_TOO_MANY) {
            error e;
            error_set(&e, ERR_INVALID_ARG, "files", "more than %zu files", max_files(rq));
            web_write_error(rq, &e);
            return -1;
        }
    return 0;
}

const char *web_file_size(http_req *rq, int64_t bytes)
{
    lang l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    text_size_units u = {present_string(rq->present, l, "common.size_b"),
                         present_string(rq->present, l, "common.size_kb"),
                         present_string(rq->present, l, "common.size_mb"),
                         l == LANG_EN ? '.' : ','};
    char out[64];
    return arena_strdup(rq->arena, text_file_size(out, sizeof out, bytes, &u));
}

const char *web_document_label(http_req *rq, const store_document *d)
{
    if (d->title && *d->title)
        return d->title;
    return present_string(rq->present, rq->lang,
                          arena_printf(rq->arena, "documents.verify.kinds.%s", d->kind));
}

web_upload_limits web_upload_limits_of(http_req *rq)
{
    const attachment_dir *d = core_uploads(rq->core);
    web_upload_limits l = {
        .files = max_files(rq),
        .file_bytes = d->max_file_bytes ? d->max_file_bytes : ATTACHMENT_MAX_BYTES,
    };
    l.files_words = arena_printf(rq->arena, "%zu", l.files);
    l.size_words = web_file_size(rq, (int64_t)l.file_bytes);
    return l;
}

const char *web_upload_hint(http_req *rq, const char *pattern)
{
    web_upload_limits l = web_upload_limits_of(rq);
    char counted[1024], out[1024];
    present_fill(counted, sizeof counted, pattern, "count", l.files_words ? l.files_words : "");
    present_fill(out, sizeof out, counted, "size", l.size_words ? l.size_words : "");
    return arena_strdup(rq->arena, out);
}

int web_upload_owner(http_req *rq, const char *scope, char out[65])
{
    const char *secret = http_cookie(rq, COOKIE_CSRF);
    if (!b64url_ok(secret, CSRF_SECRET_LEN) || !scope)
        return -1;
    /* Keyed with the instance secret and apart from the CSRF token's own hash ("csrf:"), so
     * that the name of a stash on disk tells nothing of the cookie nor of the token. */
    const char *in = arena_printf(rq->arena, "uploads:%s:%s", secret, scope);
    if (!in)
        return -1;
    core_hash_secret(rq->core, in, out);
    return 0;
}

const char *web_text_field(http_req *rq, const char *s, size_t max_chars, int required,
                           const web_text_messages *m, const char **msg_key)
{
    const char *out = NULL;
    switch (text_field(rq->arena, s, max_chars, &out)) {
    case TEXT_OK:
        return out;
    case TEXT_EMPTY:
        if (required)
            *msg_key = m->empty;
        return NULL;
    case TEXT_BAD_CHARACTERS:
        *msg_key = m->characters;
        return NULL;
    case TEXT_TOO_LONG:
    case TEXT_NO_MEMORY:
        break;
    }
    *msg_key = m->too_long;
    return NULL;
}

int web_limit(http_req *rq, const char *name, const char *extra, double rate, double burst)
{
    const char *bucket =
        arena_printf(rq->arena, "%s:%s%s%s", name, rq->client_ip ? rq->client_ip : "?",
                     extra ? ":" : "", extra ? extra : "");
    return take(rq, bucket ? bucket : name, rate, burst);
}

int web_limit_shared(http_req *rq, const char *name, const char *extra, double rate, double burst)
{
    const char *bucket = arena_printf(rq->arena, "%s:%s", name, extra ? extra : "");
    return take(rq, bucket ? bucket : name, rate, burst);
}

int web_limit_id(http_req *rq, const char *name, int64_t id, double rate, double burst)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    return web_limit_shared(rq, name, key, rate, burst);
}

/* The login forms' limits (tokens per second, burst), the portal's and the back office's:
 * per client address whatever the e-mail, and per address and e-mail. */
#define RATE_LOGIN_IP (30.0 / 60), 30
#define RATE_LOGIN_EMAIL (5.0 / 60), 10

int web_limit_login(http_req *rq, const char *name, const char *email)
{
    const char *ip_bucket = arena_printf(rq->arena, "%s-ip", name);
    return web_limit(rq, ip_bucket ? ip_bucket : name, NULL, RATE_LOGIN_IP) != 0 ||
                   web_limit(rq, name, web_email_key(rq, email), RATE_LOGIN_EMAIL) != 0
               ? -1
               : 0;
}

const char *web_email_key(http_req *rq, const char *email)
{
    char *k = arena_alloc(rq->arena, ACCOUNT_EMAIL_MAX + 1);
    if (!k)
        return "";
    account_email_fold(email, k); /* too long: its first bytes are key enough */
    return k;
}

/* ---- the HTML error page ---- */

/* The strings of an error page: errors.<key>.title and errors.<key>.text. */
static const char *error_key(const error *err, int status)
{
    if (err->code == ERR_FORBIDDEN && strcmp(err->arg, "csrf_token") == 0)
        return "csrf";
    switch (status) {
    case 400:
        return "e400";
    case 401:
        return "e401";
    case 403:
        return "e403";
    case 404:
        return "e404";
    case 405:
        return "e405";
    case 409:
        return "e409";
    case 413:
        return "e413";
    case 414:
        return "e414";
    case 415:
        return "e415";
    case 421:
        return "e421";
    case 429:
        return "e429";
    case 503:
        return "e503";
    default:
        return "e500";
    }
}

static int has_header(http_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_headers_out; i++)
        if (rq->headers_out[i][0] && strcasecmp(rq->headers_out[i][0], name) == 0)
            return 1;
    return 0;
}

/* Retry-After for the errors that pass by themselves, unless the answer has one already. */
static void retry_after(http_req *rq, const error *err)
{
    if ((err->code == ERR_RATE_LIMITED || err->code == ERR_UNAVAILABLE) &&
        !has_header(rq, "Retry-After"))
        http_add_header(rq, "Retry-After", err->code == ERR_UNAVAILABLE ? "2" : "60");
}

int web_busy(http_req *rq, const error *err)
{
    if (err->code != ERR_UNAVAILABLE)
        return 0;
    retry_after(rq, err);
    return 1;
}

void web_write_error(http_req *rq, const error *err)
{
    int status = err_http_status(err->code);
    lang l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    retry_after(rq, err);
    if (status == 405 && !has_header(rq, "Allow"))
        http_add_header(rq, "Allow", "GET, HEAD, POST");
    rq->cacheable = 0;
    buf_reset(&rq->out);
    const char *key = error_key(err, status);
    char k_title[48], k_text[48];
    snprintf(k_title, sizeof k_title, "errors.%s.title", key);
    snprintf(k_text, sizeof k_text, "errors.%s.text", key);
    const char *title = present_string(rq->present, l, k_title);
    json_t *ctx = web_context(rq);
    error e;
    if (ctx && rq->present) {
        json_object_set_new(ctx, "title", json_string(title));
        json_object_set_new(ctx, "heading", json_string(title));
        json_object_set_new(ctx, "message", json_string(present_string(rq->present, l, k_text)));
        json_object_set_new(ctx, "status", json_integer(status));
        if (err->code == ERR_FORBIDDEN && strcmp(err->arg, "csrf_token") == 0)
            json_object_set_new(ctx, "retry_form", json_true());
        if (status == 401)
            json_object_set_new(ctx, "login_link", json_true());
        if (present_render(rq->present, "errors/error", ctx, &rq->out, &e) == 0) {
            json_decref(ctx);
            rq->cacheable = 0;
            cache_policy(rq);
            http_respond(rq, status, "text/html; charset=utf-8");
            return;
        }
        log_error("rendering the error page failed: %s", e.detail);
    }
    json_decref(ctx);
    /* The page itself failed: plain words are still better than nothing. */
    buf_reset(&rq->out);
    http_respond_text(rq, status, err_message(err->code, l));
}

int web_file_refusal(http_req *rq, const char *base, const error *err, const char **key)
{
    const char *suffix = "";
    int status = 400;
    if (attachment_is_unscanned(err)) {
        suffix = "_unscanned";
        status = 503;
        /* Long enough for clamd to reload its databases or restart. */
        if (!has_header(rq, "Retry-After"))
            http_add_header(rq, "Retry-After", "30");
    } else if (attachment_is_infected(err)) {
        suffix = "_infected";
    } else if (attachment_is_damaged(err)) {
        suffix = "_damaged";
    } else if (err->code != ERR_INVALID_ARG && err->code != ERR_UNSUPPORTED &&
               err->code != ERR_TOO_LARGE) {
        return 0;
    }
    *key = *suffix ? arena_printf(rq->arena, "%s%s", base, suffix) : base;
    return *key ? status : 0;
}

/* ---- pages shared by every anonymous visitor but for their CSRF token ----
 *
 * A form page is the same for every anonymous visitor except for the CSRF token in its
 * hidden inputs. It is rendered once per key with a marker in the token's place (the marker
 * has the token's length), kept until the catalogue changes, and copied for each visitor
 * with their token written over the marker. */

#define SHARED_SLOTS 256
#define SHARED_MAX_PAGE (256 * 1024)
#define TOKEN_LEN 64

typedef struct shared_page {
    char *key;
    int64_t catalogue_version;
    char *html;
    size_t len;
} shared_page;

static struct {
    pthread_mutex_t lock;
    shared_page slots[SHARED_SLOTS];
    char marker[TOKEN_LEN + 1];
} shared = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void shared_init(void)
{
    unsigned char raw[TOKEN_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(shared.marker, sizeof shared.marker, raw, sizeof raw);
}

static const char *shared_key(http_req *rq, const char *key)
{
    const cat_tenant *t = rq->host_tenant;
    return arena_printf(rq->arena, "%s|%s|%s", t ? t->rec.slug : "-",
                        rq->lang == LANG_EN ? "en" : "fr", key);
}

static size_t shared_slot(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % SHARED_SLOTS;
}

/* Writes the visitor's token over every marker in rq->out; -1 when it cannot. */
static int put_token(http_req *rq)
{
    const char *token = web_csrf_token(rq);
    if (!token || strlen(token) != TOKEN_LEN)
        return -1;
    char *p = rq->out.data;
    size_t left = rq->out.len;
    while (p && left >= TOKEN_LEN) {
        char *hit = memmem(p, left, shared.marker, TOKEN_LEN);
        if (!hit)
            break;
        memcpy(hit, token, TOKEN_LEN);
        left -= (size_t)(hit + TOKEN_LEN - p);
        p = hit + TOKEN_LEN;
    }
    return 0;
}

int web_shared_page(http_req *rq, const char *key)
{
    pthread_once(&shared_once, shared_init);
    store_account acc;
    if (web_account(rq, &acc))
        return 0; /* a citizen's page is prefilled with their details */
    const char *k = shared_key(rq, key);
    if (!k)
        return 0;
    shared_page *sp = &shared.slots[shared_slot(k)];
    int hit = 0;
    buf_reset(&rq->out);
    pthread_mutex_lock(&shared.lock);
    if (sp->key && strcmp(sp->key, k) == 0 && sp->catalogue_version == rq->cat->version)
        hit = buf_append(&rq->out, sp->html, sp->len) == 0;
    pthread_mutex_unlock(&shared.lock);
    if (!hit || put_token(rq) != 0) {
        buf_reset(&rq->out);
        return 0;
    }
    rq->cacheable = 0; /* this visitor's own CSRF token is in it */
    cache_policy(rq);
    http_respond(rq, 200, "text/html; charset=utf-8");
    return 1;
}

void web_render_shared(http_req *rq, const char *key, int status, const char *name, json_t *ctx)
{
    pthread_once(&shared_once, shared_init);
    store_account acc;
    int shareable = status == 200 && ctx && !web_account(rq, &acc);
    if (shareable)
        json_object_set_new(ctx, "csrf", json_string(shared.marker));
    web_render(rq, status, name, ctx);
    if (!shareable || rq->status != 200)
        return;
    const char *k = shared_key(rq, key);
    if (k && rq->out.len <= SHARED_MAX_PAGE) {
        shared_page fresh = {.key = strdup(k),
                             .catalogue_version = rq->cat->version,
                             .html = malloc(rq->out.len ? rq->out.len : 1),
                             .len = rq->out.len};
        if (fresh.key && fresh.html) {
            memcpy(fresh.html, rq->out.data, rq->out.len);
            pthread_mutex_lock(&shared.lock);
            shared_page *sp = &shared.slots[shared_slot(k)];
            shared_page old = *sp;
            *sp = fresh;
            pthread_mutex_unlock(&shared.lock);
            free(old.key);
            free(old.html);
        } else {
            free(fresh.key);
            free(fresh.html);
        }
    }
    if (put_token(rq) != 0) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "no CSRF token for a shared page");
        buf_reset(&rq->out);
        web_write_error(rq, &e);
    }
}

void web_shared_pages_free(void)
{
    pthread_mutex_lock(&shared.lock);
    for (size_t i = 0; i < SHARED_SLOTS; i++) {
        free(shared.slots[i].key);
        free(shared.slots[i].html);
        memset(&shared.slots[i], 0, sizeof shared.slots[i]);
    }
    pthread_mutex_unlock(&shared.lock);
}

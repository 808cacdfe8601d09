/*
 * bo_auth — the back office's entrance: the password step (/agent/connexion), the second
 * factor (/agent/connexion/code), the first TOTP enrolment when the role requires one
 * (/agent/totp) and logout. No session exists before every factor passed: between the steps
 * the browser holds a signed, short-lived pending-login cookie (core/agent_session.h). Forms
 * carry the CSRF token, attempts are rate-limited, and logins and failures are audited.
 */
#include <sodium.h>
#include <string.h>

#include "core/agent.h"
#include "util/form.h"
#include "core/agent_session.h"
#include "core/totp.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/web.h"

#define PENDING_COOKIE "guichet_agent_pending"
/* web.c's CSRF cookie: deleted at login so that a token seen before it is worth nothing. */
#define CSRF_COOKIE "guichet_csrf"
#define HOME "/agent/"

/* Rate limits (tokens per second, burst). The password step per address and per address and
 * e-mail; codes per address (core also locks an agent's code check after repeated failures). */
#define RATE_LOGIN_IP (30.0 / 60), 30
#define RATE_LOGIN_EMAIL (5.0 / 60), 10
#define RATE_CODE_IP (10.0 / 60), 10

/* ---- helpers ---- */

static int64_t tenant_id(http_req *rq)
{
    return rq->host_tenant->rec.id;
}

/* The page to go to after login: a back-office path of this site (form_local_path), or
 * the inbox. */
static const char *safe_retour(const char *r)
{
    if (!form_local_path(r) || strncmp(r, "/agent/", 7) != 0)
        return HOME;
    /* Never back into the login steps themselves. */
    if (strncmp(r, "/agent/connexion", 16) == 0 || strncmp(r, "/agent/totp", 11) == 0 ||
        strncmp(r, "/agent/deconnexion", 18) == 0)
        return HOME;
    return r;
}

static const char *lang_suffix(http_req *rq, char sep)
{
    if (rq->lang != LANG_EN)
        return "";
    return sep == '?' ? "?lang=en" : "&lang=en";
}

/* Percent-encodes a retour path for a query value (it is a path: '/' kept). */
static const char *encode_retour(http_req *rq, const char *r)
{
    const char *out = form_encode(rq->arena, r, "/");
    return out ? out : "";
}

/* A next step's path carrying the retour. */
static const char *step_path(http_req *rq, const char *path, const char *retour)
{
    if (strcmp(retour, HOME) == 0)
        return arena_printf(rq->arena, "%s%s", path, lang_suffix(rq, '?'));
    return arena_printf(rq->arena, "%s?retour=%s%s", path, encode_retour(rq, retour),
                        lang_suffix(rq, '&'));
}

static void clear_pending(http_req *rq)
{
    if (http_cookie(rq, PENDING_COOKIE))
        http_set_cookie(rq, PENDING_COOKIE, "", 0, 1);
}

/* The agent a pending-login cookie names for `purpose`: 0 and *out, or -1. */
static int pending_agent(http_req *rq, const char *purpose, store_agent *out)
{
    const char *v = http_cookie(rq, PENDING_COOKIE);
    if (!v || !*v)
        return -1;
    int64_t id;
    error e;
    if (agent_pending_check(rq->core, tenant_id(rq), v, purpose, time_now(), &id, &e) != 0)
        return -1;
    if (agent_get(rq->core, tenant_id(rq), id, rq->arena, out, &e) != 0 || !out->active)
        return -1;
    return 0;
}

/* Both factors passed: a fresh session (no fixation), a fresh CSRF secret, the audit entry,
 * and on to the page asked for. */
static void finish_login(http_req *rq, const store_agent *a, const char *retour)
{
    char token[AGENT_SESSION_TOKEN_LEN];
    error e;
    const char *old = http_cookie(rq, BO_SESSION_COOKIE);
    if (old && *old && agent_session_destroy(rq->core, tenant_id(rq), old, &e) != 0)
        log_warn("agent login: could not end the previous session: %s", e.detail);
    if (agent_session_create(rq->core, tenant_id(rq), a->id, token, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    http_set_cookie(rq, BO_SESSION_COOKIE, token, -1, 1);
    sodium_memzero(token, sizeof token);
    clear_pending(rq);
    http_set_cookie(rq, CSRF_COOKIE, "", 0, 1);
    bo_audit_wait(rq, a, "login", "agent", &a->id, 1);
    web_redirect(rq, retour);
}

/* ---- /agent/connexion ---- */

static void login_page(bo_page *p, const char *retour)
{
    if (retour && strcmp(retour, HOME) != 0)
        bo_page_value(p, "retour", retour);
    bo_page_render(p, 200, "agent/login", bo_page_str(p, "agent.login.title"));
}

static void login_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    const char *retour = safe_retour(form_get(&rq->query, "retour"));
    /* Already logged in: straight on. */
    const char *tok = http_cookie(rq, BO_SESSION_COOKIE);
    store_session se;
    error e;
    if (tok && *tok &&
        agent_session_lookup(rq->core, tenant_id(rq), tok, rq->arena, &se, &a, &e) == 0) {
        bo_page_discard(&p);
        web_redirect(rq, retour);
        return;
    }
    if (form_get(&rq->query, "expiree"))
        bo_page_notice(&p, "info", bo_page_str(&p, "agent.login.expired"));
    else if (form_get(&rq->query, "deconnecte"))
        bo_page_notice(&p, "success", bo_page_str(&p, "agent.login.logged_out"));
    else if (form_get(&rq->query, "recommencer"))
        bo_page_notice(&p, "info", bo_page_str(&p, "agent.login.restart"));
    login_page(&p, retour);
}

/* Audits a failed attempt on the agent of that e-mail when there is one (ids only: never the
 * address typed). */
static void audit_failed(http_req *rq, const char *email)
{
    store *s = core_store(rq->core);
    store_agent a;
    int found = 0;
    error e;
    if (email && *email &&
        s->ops->agents.find_email(s, tenant_id(rq), email, rq->arena, &a, &found, &e) != 0)
        found = 0;
    if (found)
        bo_audit_wait(rq, &a, "login_failed", "agent", &a.id, 1);
    else
        bo_audit_wait(rq, NULL, "login_failed", "agent", NULL, 0);
}

static void login_post(http_req *rq)
{
    bo_page p;
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    if (web_limit(rq, "agent-login", NULL, RATE_LOGIN_IP) != 0)
        return;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    const char *email = form_get(&f, "email");
    const char *password = form_get(&f, "password");
    const char *retour = safe_retour(form_get(&f, "retour"));
    bo_page_value(&p, "email", email);
    if (!email || !*email)
        bo_page_error_key(&p, "email", "agent.login.error_email");
    if (!password || !*password)
        bo_page_error_key(&p, "password", "agent.login.error_password");
    if (json_array_size(p.errors) > 0) {
        login_page(&p, retour);
        return;
    }
    if (web_limit(rq, "agent-login-email", web_email_key(rq, email), RATE_LOGIN_EMAIL) != 0) {
        bo_page_discard(&p);
        return;
    }
    store_agent a;
    error e;
    if (agent_authenticate(rq->core, tenant_id(rq), email, password, rq->arena, &a, &e) != 0) {
        if (e.code != ERR_UNAUTHORIZED && e.code != ERR_INVALID_ARG) {
            bo_page_discard(&p);
            web_write_error(rq, &e);
            return;
        }
        audit_failed(rq, web_email_key(rq, email));
        bo_page_error_key(&p, "email", "agent.login.error_failed");
        login_page(&p, retour);
        return;
    }
    bo_page_discard(&p);
    int required = 1;
    if (agent_totp_required(rq->core, &a, &required, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    char pending[AGENT_PENDING_LEN];
    if (a.totp_enabled) {
        agent_pending_make(rq->core, tenant_id(rq), a.id, "totp", time_now(), pending);
        http_set_cookie(rq, PENDING_COOKIE, pending, AGENT_PENDING_SECONDS, 1);
        web_redirect(rq, step_path(rq, "/agent/connexion/code", retour));
        return;
    }
    if (required) {
        agent_pending_make(rq->core, tenant_id(rq), a.id, "enrol", time_now(), pending);
        http_set_cookie(rq, PENDING_COOKIE, pending, AGENT_PENDING_SECONDS, 1);
        web_redirect(rq, step_path(rq, "/agent/totp", retour));
        return;
    }
    finish_login(rq, &a, retour);
}

/* ---- /agent/connexion/code ---- */

static void restart_login(http_req *rq)
{
    clear_pending(rq);
    web_redirect(rq,
                 arena_printf(rq->arena, "/agent/connexion?recommencer=1%s", lang_suffix(rq, '&')));
}

static void code_page(bo_page *p, const char *retour)
{
    if (retour && strcmp(retour, HOME) != 0)
        bo_page_value(p, "retour", retour);
    bo_page_render(p, 200, "agent/login_code", bo_page_str(p, "agent.code.title"));
}

static void code_get(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    store_agent a;
    if (pending_agent(rq, "totp", &a) != 0) {
        restart_login(rq);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    code_page(&p, safe_retour(form_get(&rq->query, "retour")));
}

/* Exactly six digits once spaces are removed. */
static int code_well_formed(const char *code)
{
    int digits = 0;
    for (const char *c = code ? code : ""; *c; c++) {
        if (*c == ' ')
            continue;
        if (*c < '0' || *c > '9')
            return 0;
        digits++;
    }
    return digits == TOTP_DIGITS;
}

static void code_post(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    if (web_limit(rq, "agent-code", NULL, RATE_CODE_IP) != 0)
        return;
    store_agent a;
    if (pending_agent(rq, "totp", &a) != 0) {
        restart_login(rq);
        return;
    }
    const char *retour = safe_retour(form_get(&f, "retour"));
    const char *code = form_get(&f, "code");
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    if (!code_well_formed(code)) {
        bo_page_error_key(&p, "code", "agent.code.error_format");
        code_page(&p, retour);
        return;
    }
    error e;
    if (agent_totp_check(rq->core, &a, code, &e) != 0) {
        if (e.code != ERR_UNAUTHORIZED) {
            bo_page_discard(&p);
            if (e.code == ERR_RATE_LIMITED)
                bo_audit_wait(rq, &a, "login_failed", "agent", &a.id, 1);
            web_write_error(rq, &e);
            return;
        }
        bo_audit_wait(rq, &a, "login_failed", "agent", &a.id, 1);
        bo_page_error_key(&p, "code", "agent.code.error_wrong");
        code_page(&p, retour);
        return;
    }
    bo_page_discard(&p);
    finish_login(rq, &a, retour);
}

/* ---- /agent/totp: first enrolment, right after the password ---- */

/* "ABCD EFGH …": the secret in groups of four, easier to type. */
static const char *grouped(http_req *rq, const char *secret)
{
    size_t n = strlen(secret);
    char *out = arena_alloc(rq->arena, n + n / 4 + 1);
    if (!out)
        return secret;
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 4 == 0)
            *o++ = ' ';
        *o++ = secret[i];
    }
    *o = '\0';
    return out;
}

/* A base32 secret as given back by the enrolment form (display only: core checks codes
 * against the secret it sealed, never against this). */
static int secret_shape_ok(const char *s)
{
    size_t n = 0;
    for (const char *c = s ? s : ""; *c; c++, n++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '2' && *c <= '7')))
            return 0;
    return n == TOTP_SECRET_B32_LEN - 1;
}

/* Renders the enrolment page for secret (base32). */
static void enrol_page(bo_page *p, const store_agent *a, const char *secret, const char *retour)
{
    http_req *rq = p->rq;
    buf uri, svg;
    buf_init(&uri, 4096);
    buf_init(&svg, 256 * 1024);
    error e;
    const char *issuer = rq->host_tenant->rec.name ? rq->host_tenant->rec.name : "guichet";
    if (agent_totp_enrolment(issuer, a->email, secret, &uri, &svg, p->l, &e) != 0) {
        buf_free(&uri);
        buf_free(&svg);
        bo_page_fail(p, &e);
        return;
    }
    /* The QR code as an image (CSP allows data: images); its alt text says what it is, and
     * the key in text below is the accessible alternative. */
    size_t b64_len = sodium_base64_ENCODED_LEN(svg.len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = arena_alloc(rq->arena, b64_len);
    if (b64)
        sodium_bin2base64(b64, b64_len, (const unsigned char *)svg.data, svg.len,
                          sodium_base64_VARIANT_ORIGINAL);
    bo_page_set(
        p, "qr_src",
        json_string(b64 ? arena_printf(rq->arena, "data:image/svg+xml;base64,%s", b64) : ""));
    bo_page_set(p, "secret", json_string(secret));
    bo_page_set(p, "secret_grouped", json_string(grouped(rq, secret)));
    bo_page_set(p, "otpauth_uri", json_string(buf_cstr(&uri)));
    buf_free(&uri);
    buf_free(&svg);
    if (retour && strcmp(retour, HOME) != 0)
        bo_page_value(p, "retour", retour);
    bo_page_render(p, 200, "agent/totp", bo_page_str(p, "agent.totp.title"));
}

static void totp_get(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    store_agent a;
    if (pending_agent(rq, "enrol", &a) != 0) {
        restart_login(rq);
        return;
    }
    char secret[TOTP_SECRET_B32_LEN];
    error e;
    if (agent_totp_begin(rq->core, tenant_id(rq), a.id, secret, &e) != 0) {
        if (e.code == ERR_CONFLICT) { /* enrolled meanwhile: the code step applies */
            restart_login(rq);
            return;
        }
        web_write_error(rq, &e);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    enrol_page(&p, &a, secret, safe_retour(form_get(&rq->query, "retour")));
    sodium_memzero(secret, sizeof secret);
}

static void totp_post(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    if (web_limit(rq, "agent-code", NULL, RATE_CODE_IP) != 0)
        return;
    store_agent a;
    if (pending_agent(rq, "enrol", &a) != 0) {
        restart_login(rq);
        return;
    }
    const char *retour = safe_retour(form_get(&f, "retour"));
    const char *code = form_get(&f, "code");
    const char *secret = form_get(&f, "secret");
    error e;
    int well_formed = code_well_formed(code);
    if (well_formed && agent_totp_confirm(rq->core, tenant_id(rq), a.id, code, &e) == 0) {
        bo_audit_wait(rq, &a, "totp_enrol", "agent", &a.id, 1);
        finish_login(rq, &a, retour);
        return;
    }
    if (well_formed && e.code != ERR_UNAUTHORIZED) {
        if (e.code == ERR_CONFLICT) {
            restart_login(rq);
            return;
        }
        web_write_error(rq, &e);
        return;
    }
    /* The same secret again when the form sent it back, so that the account already added
     * in the app stays the right one; otherwise a new enrolment. */
    char fresh[TOTP_SECRET_B32_LEN];
    if (!secret_shape_ok(secret)) {
        if (agent_totp_begin(rq->core, tenant_id(rq), a.id, fresh, &e) != 0) {
            web_write_error(rq, &e);
            return;
        }
        secret = arena_strdup(rq->arena, fresh);
        sodium_memzero(fresh, sizeof fresh);
    }
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    bo_page_error_key(&p, "code",
                      well_formed ? "agent.code.error_wrong" : "agent.code.error_format");
    enrol_page(&p, &a, secret ? secret : "", retour);
}

/* ---- logout ---- */

static void logout_post(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    const char *tok = http_cookie(rq, BO_SESSION_COOKIE);
    store_agent a;
    store_session se;
    error e;
    if (tok && *tok) {
        if (agent_session_lookup(rq->core, tenant_id(rq), tok, rq->arena, &se, &a, &e) == 0)
            bo_audit_wait(rq, &a, "logout", "agent", &a.id, 1);
        if (agent_session_destroy(rq->core, tenant_id(rq), tok, &e) != 0)
            log_warn("agent logout: could not end the session: %s", e.detail);
    }
    http_set_cookie(rq, BO_SESSION_COOKIE, "", 0, 1);
    clear_pending(rq);
    http_set_cookie(rq, CSRF_COOKIE, "", 0, 1);
    web_redirect(rq,
                 arena_printf(rq->arena, "/agent/connexion?deconnecte=1%s", lang_suffix(rq, '&')));
}

const http_route bo_auth_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/connexion", login_get},
    {HTTP_POST, "/agent/connexion", login_post},
    {HTTP_GET | HTTP_HEAD, "/agent/connexion/code", code_get},
    {HTTP_POST, "/agent/connexion/code", code_post},
    {HTTP_GET | HTTP_HEAD, "/agent/totp", totp_get},
    {HTTP_POST, "/agent/totp", totp_post},
    {HTTP_POST, "/agent/deconnexion", logout_post},
    {0, NULL, NULL},
};

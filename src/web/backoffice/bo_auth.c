/*
 * bo_auth — the back office's entrance: the password step (/agent/connexion), the second
 * factor (/agent/connexion/code), the first TOTP enrolment when the role requires one
 * (/agent/totp) and logout. No session exists before every factor passed: between the steps
 * the browser holds a signed, short-lived pending-login cookie (core/agent_session.h). Forms
 * carry the CSRF token, attempts are rate-limited, and logins and failures are audited.
 *
 * Each step's write is a core operation told who acts (core/agent_session.h): the session,
 * the enrolment and their audit entries commit in one job, and the handler suspends until
 * that job is durable (http_wait) rather than holding a pool thread. Argon2id runs on core's
 * password pool, the handler suspended the same way (a full pool: the form again with 503 and
 * Retry-After, the e-mail kept); the code check runs on the server thread, before the write
 * is queued.
 */
#include <sodium.h>
#include <string.h>

#include "core/actor.h"
#include "core/agent.h"
#include "core/agent_session.h"
#include "core/totp.h"
#include "util/form.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/web.h"

#define PENDING_COOKIE "guichet_agent_pending"
/* web.c's CSRF cookie: deleted at login so that a token seen before it is worth nothing. */
#define CSRF_COOKIE "guichet_csrf"
#define HOME "/agent/"

/* Codes per address (tokens per second, burst; core also locks an agent's code check after
 * repeated failures). The password step has the login forms' limits (web_limit_login). */
#define RATE_CODE_IP (10.0 / 60), 10

/* ---- helpers ---- */

static int64_t tenant_id(http_req *rq)
{
    return rq->host_tenant->rec.id;
}

/* What a step keeps while its write commits (rq->user, in rq's arena). */
typedef struct auth_state {
    store_agent agent;
    const char *email; /* as typed at the password step */
    const char *retour;
    session_opening *open; /* the session a login opens */
    int enrolling;         /* the login confirms a first enrolment */
    bo_page page;          /* a form shown again once the failure is recorded */
    const char *tmpl;      /* its template: "agent/login" or "agent/login_code" */
    int rate_limited;      /* a locked code check: answered 429 instead */
    error err;
    char *secret;          /* a new enrolment's base32 secret */
    const char *error_key; /* the enrolment form's message; NULL: none */
} auth_state;

static auth_state *auth_state_new(http_req *rq)
{
    auth_state *st = arena_alloc(rq->arena, sizeof *st);
    if (st)
        memset(st, 0, sizeof *st);
    rq->user = st;
    return st;
}

static void out_of_memory(http_req *rq)
{
    error e;
    error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
    web_write_error(rq, &e);
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

static void restart_login(http_req *rq);

/* The login's job is durable: the session's cookie, a fresh CSRF secret, and on to the page
 * asked for. */
static void login_opened(http_req *rq)
{
    auth_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        session_opening_wipe(st->open);
        if (w && st->enrolling && w->err.code == ERR_CONFLICT) { /* restarted meanwhile */
            restart_login(rq);
            return;
        }
        error e;
        if (w)
            e = w->err;
        else
            error_set(&e, ERR_INTERNAL, NULL, "login without its write");
        web_write_error(rq, &e);
        return;
    }
    http_set_cookie(rq, BO_SESSION_COOKIE, arena_strdup(rq->arena, st->open->token), -1, 1);
    session_opening_wipe(st->open);
    clear_pending(rq);
    http_set_cookie(rq, CSRF_COOKIE, "", 0, 1);
    web_redirect(rq, st->retour);
}

/* Both factors passed: one job opens a fresh session (no fixation; the browser's previous
 * one ends), confirms the enrolment when there is one (enrol_secret) and records the audit
 * entries; login_opened answers. */
static void finish_login(http_req *rq, auth_state *st, const char *enrol_secret)
{
    st->open = arena_alloc(rq->arena, sizeof *st->open);
    if (!st->open) {
        out_of_memory(rq);
        return;
    }
    session_opening_prepare(rq->core, http_cookie(rq, BO_SESSION_COOKIE), st->open);
    st->enrolling = enrol_secret != NULL;
    core_actor who = bo_who(rq, &st->agent);
    error e;
    http_wait *w = http_wait_begin(rq, login_opened);
    int rc = agent_login_open(rq->core, tenant_id(rq), &who, enrol_secret, st->open, http_wait_done,
                              w, &e);
    http_wait_started(w, rc, &e);
}

/* A failed attempt is recorded: the form again with its message, or the 429 of a locked
 * code check. The attempt failed whatever the audit's fate, which is logged loudly. */
static void failure_recorded(http_req *rq)
{
    auth_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc != 0)
        log_error("audit: could not record login_failed agent: %s", w->err.detail);
    if (st->rate_limited) {
        bo_page_discard(&st->page);
        web_write_error(rq, &st->err);
        return;
    }
    if (st->retour && strcmp(st->retour, HOME) != 0)
        bo_page_value(&st->page, "retour", st->retour);
    const char *title_key =
        strcmp(st->tmpl, "agent/login") == 0 ? "agent.login.title" : "agent.code.title";
    bo_page_render(&st->page, 200, st->tmpl, bo_page_str(&st->page, title_key));
}

/* Records a failed attempt (core's job: the agent a, or the agent of email when a is NULL)
 * before failure_recorded answers with the page kept in rq->user. */
static void record_failure(http_req *rq, const store_agent *a, const char *email)
{
    core_actor who = bo_who(rq, a);
    error e;
    http_wait *w = http_wait_begin(rq, failure_recorded);
    int rc = agent_login_failed(rq->core, tenant_id(rq), &who, email, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- /agent/connexion ---- */

static void login_page(bo_page *p, const char *retour, int status)
{
    if (retour && strcmp(retour, HOME) != 0)
        bo_page_value(p, "retour", retour);
    bo_page_render(p, status, "agent/login", bo_page_str(p, "agent.login.title"));
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
    login_page(&p, retour, 200);
}

/* The password step's check is over (core's pool): the form again, or the next step. */
static void login_checked(http_req *rq)
{
    auth_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    error e = w->err;
    if (w->rc != 0) {
        if (web_busy(rq, &e)) {
            bo_page_error_key(&st->page, "password", "errors.busy_form");
            login_page(&st->page, st->retour, 503);
            return;
        }
        if (e.code != ERR_UNAUTHORIZED && e.code != ERR_INVALID_ARG) {
            bo_page_discard(&st->page);
            web_write_error(rq, &e);
            return;
        }
        bo_page_error_key(&st->page, "email", "agent.login.error_failed");
        record_failure(rq, NULL, st->email);
        return;
    }
    bo_page_discard(&st->page);
    const store_agent *a = &st->agent;
    int required = 1;
    if (agent_totp_required(rq->core, a, &required, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    const char *retour = st->retour;
    char pending[AGENT_PENDING_LEN];
    if (a->totp_enabled) {
        agent_pending_make(rq->core, tenant_id(rq), a->id, "totp", time_now(), pending);
        http_set_cookie(rq, PENDING_COOKIE, pending, AGENT_PENDING_SECONDS, 1);
        web_redirect(rq, step_path(rq, "/agent/connexion/code", retour));
        return;
    }
    if (required) {
        agent_pending_make(rq->core, tenant_id(rq), a->id, "enrol", time_now(), pending);
        http_set_cookie(rq, PENDING_COOKIE, pending, AGENT_PENDING_SECONDS, 1);
        web_redirect(rq, step_path(rq, "/agent/totp", retour));
        return;
    }
    finish_login(rq, st, NULL);
}

static void login_post(http_req *rq)
{
    bo_page p;
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    const char *email = form_get(&f, "email");
    const char *password = form_get(&f, "password");
    if (web_limit_login(rq, "agent-login", email) != 0)
        return;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    const char *retour = safe_retour(form_get(&f, "retour"));
    bo_page_value(&p, "email", email);
    if (!email || !*email)
        bo_page_error_key(&p, "email", "agent.login.error_email");
    if (!password || !*password)
        bo_page_error_key(&p, "password", "agent.login.error_password");
    if (json_array_size(p.errors) > 0) {
        login_page(&p, retour, 200);
        return;
    }
    auth_state *st = auth_state_new(rq);
    if (!st) {
        bo_page_discard(&p);
        out_of_memory(rq);
        return;
    }
    st->retour = retour;
    st->email = email;
    st->page = p;
    st->tmpl = "agent/login";
    error e;
    /* A read here, then Argon2id on core's pool while the connection is suspended. */
    http_wait *w = http_wait_begin(rq, login_checked);
    int rc = agent_authenticate(rq->core, tenant_id(rq), email, password, rq->arena, &st->agent,
                                http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
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
    auth_state *st = auth_state_new(rq);
    if (!st) {
        out_of_memory(rq);
        return;
    }
    if (pending_agent(rq, "totp", &st->agent) != 0) {
        restart_login(rq);
        return;
    }
    st->retour = safe_retour(form_get(&f, "retour"));
    const char *code = form_get(&f, "code");
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    if (!code_well_formed(code)) {
        bo_page_error_key(&p, "code", "agent.code.error_format");
        code_page(&p, st->retour);
        return;
    }
    error e;
    if (agent_totp_check(rq->core, &st->agent, code, &e) != 0) {
        if (e.code != ERR_UNAUTHORIZED && e.code != ERR_RATE_LIMITED) {
            bo_page_discard(&p);
            web_write_error(rq, &e);
            return;
        }
        st->rate_limited = e.code == ERR_RATE_LIMITED;
        st->err = e;
        if (!st->rate_limited)
            bo_page_error_key(&p, "code", "agent.code.error_wrong");
        st->page = p;
        st->tmpl = "agent/login_code";
        record_failure(rq, &st->agent, NULL);
        return;
    }
    bo_page_discard(&p);
    finish_login(rq, st, NULL);
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

/* A new enrolment secret is stored (sealed): the enrolment page shows it, with st's message
 * when the form is shown again. */
static void totp_begun(http_req *rq)
{
    auth_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        if (w && w->err.code == ERR_CONFLICT) { /* enrolled meanwhile: the code step applies */
            restart_login(rq);
            return;
        }
        error e;
        if (w)
            e = w->err;
        else
            error_set(&e, ERR_INTERNAL, NULL, "enrolment without its write");
        web_write_error(rq, &e);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, NULL) == 0) {
        if (st->error_key)
            bo_page_error_key(&p, "code", st->error_key);
        enrol_page(&p, &st->agent, st->secret, st->retour);
    }
    sodium_memzero(st->secret, TOTP_SECRET_B32_LEN);
}

/* Starts (or restarts) the enrolment of st's agent; totp_begun answers. */
static void begin_enrolment(http_req *rq, auth_state *st)
{
    st->secret = arena_alloc(rq->arena, TOTP_SECRET_B32_LEN);
    if (!st->secret) {
        out_of_memory(rq);
        return;
    }
    error e;
    http_wait *w = http_wait_begin(rq, totp_begun);
    int rc =
        agent_totp_begin(rq->core, tenant_id(rq), st->agent.id, st->secret, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void totp_get(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    auth_state *st = auth_state_new(rq);
    if (!st) {
        out_of_memory(rq);
        return;
    }
    if (pending_agent(rq, "enrol", &st->agent) != 0) {
        restart_login(rq);
        return;
    }
    st->retour = safe_retour(form_get(&rq->query, "retour"));
    begin_enrolment(rq, st);
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
    auth_state *st = auth_state_new(rq);
    if (!st) {
        out_of_memory(rq);
        return;
    }
    if (pending_agent(rq, "enrol", &st->agent) != 0) {
        restart_login(rq);
        return;
    }
    st->retour = safe_retour(form_get(&f, "retour"));
    const char *code = form_get(&f, "code");
    const char *secret = form_get(&f, "secret");
    error e;
    int well_formed = code_well_formed(code);
    const char *sealed = NULL;
    if (well_formed && agent_totp_enrol_check(rq->core, tenant_id(rq), st->agent.id, code,
                                              rq->arena, &sealed, &e) == 0) {
        finish_login(rq, st, sealed);
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
    st->error_key = well_formed ? "agent.code.error_wrong" : "agent.code.error_format";
    /* The same secret again when the form sent it back, so that the account already added
     * in the app stays the right one; otherwise a new enrolment. */
    if (!secret_shape_ok(secret)) {
        begin_enrolment(rq, st);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, NULL) != 0)
        return;
    bo_page_error_key(&p, "code", st->error_key);
    enrol_page(&p, &st->agent, secret, st->retour);
}

/* ---- logout ---- */

static void logged_out(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc != 0)
        log_warn("agent logout: could not end the session: %s", w->err.detail);
    web_redirect(rq,
                 arena_printf(rq->arena, "/agent/connexion?deconnecte=1%s", lang_suffix(rq, '&')));
}

static void logout_post(http_req *rq)
{
    if (!web_tenant(rq))
        return;
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    const char *tok = http_cookie(rq, BO_SESSION_COOKIE);
    http_set_cookie(rq, BO_SESSION_COOKIE, "", 0, 1);
    clear_pending(rq);
    http_set_cookie(rq, CSRF_COOKIE, "", 0, 1);
    if (!tok || !*tok) {
        logged_out(rq);
        return;
    }
    /* The entry names the agent of a live session; an expired one is only deleted. */
    store_agent a;
    store_session se;
    error e;
    int live = agent_session_lookup(rq->core, tenant_id(rq), tok, rq->arena, &se, &a, &e) == 0;
    core_actor who = bo_who(rq, live ? &a : NULL);
    http_wait *w = http_wait_begin(rq, logged_out);
    int rc = agent_logout(rq->core, tenant_id(rq), &who, tok, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
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

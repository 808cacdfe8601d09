/*
 * portal/account — the citizen's account pages: sign-up and e-mail verification, login
 * (password or one-time link), logout, password reset, notification preferences and the
 * deletion of the account. Every
 * answer that follows an e-mail address is the same whether or not the address has an
 * account; forms are rate-limited per client address and checked for their CSRF token.
 *
 * Every write (a sign-up, a link spent, a session opened or ended, preferences) is a core
 * operation in callback form: the handler suspends until its job is durable (http_wait) and
 * a continuation answers, so no pool thread waits for the disk. Argon2id (sign-up, login,
 * reset, deletion) runs on core's password pool, the handler suspended the same way; when
 * that pool's queue is full, the form comes back with 503 and Retry-After, keeping what was
 * typed but the password (web_busy).
 */
#include <string.h>

#include "core/account.h"
#include "core/session.h"
#include "util/log.h"
#include "util/phone.h"
#include "util/utf8.h"
#include "web/portal/portal.h"
#include "web/form_field.h"
#include "web/web.h"

/* Rate limits (tokens per second, burst), per client address unless said otherwise. The
 * login form has web_limit_login's. */
#define RATE_DELETE (5.0 / 60), 10 /* password guesses per account, as a login allows */
/* Sign-ups and e-mailed links: 3 a minute, with room for a family or an office sharing one
 * address; only well-formed forms count, so typing mistakes cost nothing. */
#define RATE_SIGNUP (3.0 / 60), 10
#define RATE_MAIL_LINK (3.0 / 60), 10 /* reset and login links */
/* Reset and login links sent to one address, whoever asks for them: five, then one every
 * twelve minutes, so that nobody floods a mailbox from many client addresses. */
#define RATE_MAIL_TO (5.0 / 3600), 5

#define FIELD_MAX 512 /* longest value echoed back into a form */
#define DEFAULT_AFTER_LOGIN "/mes-demandes"

/* ---- page helpers ---- */

typedef struct page {
    http_req *rq;
    lang l;
    const cat_tenant *tenant;
    json_t *ctx;
    json_t *errors;       /* [{field, message}] for the error summary */
    json_t *field_errors; /* {field: message} next to each field */
    json_t *values;       /* values typed by the visitor, shown again */
} page;

static const char *S(const page *p, const char *key)
{
    return present_string(p->rq->present, p->l, key);
}

/* Starts a page: 0, or -1 when the host has no tenant (answered already). */
static int page_start(page *p, http_req *rq)
{
    memset(p, 0, sizeof *p);
    p->rq = rq;
    p->l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    p->tenant = web_tenant(rq);
    if (!p->tenant)
        return -1;
    p->ctx = web_context(rq);
    p->errors = json_array();
    p->field_errors = json_object();
    p->values = json_object();
    if (!p->ctx || !p->errors || !p->field_errors || !p->values) {
        json_decref(p->ctx);
        json_decref(p->errors);
        json_decref(p->field_errors);
        json_decref(p->values);
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return -1;
    }
    return 0;
}

/* An error on field worded by msg (NULL: nothing to add). */
static void page_message(page *p, const char *field, const char *msg)
{
    if (!msg || json_object_get(p->field_errors, field))
        return; /* one message per field: the first is the one to fix */
    json_t *e = json_object();
    json_object_set_new(e, "field", json_string(field));
    json_object_set_new(e, "message", json_string(msg));
    json_array_append_new(p->errors, e);
    json_object_set_new(p->field_errors, field, json_string(msg));
}

static void page_error(page *p, const char *field, const char *msg_key)
{
    page_message(p, field, S(p, msg_key));
}

static int page_has_errors(const page *p)
{
    return json_array_size(p->errors) > 0;
}

/* Keeps what the visitor typed (cut to a sane length; invalid UTF-8 is never echoed). */
static void page_value(page *p, const char *field, const char *value)
{
    if (!value)
        return;
    size_t n = strlen(value);
    if (!utf8_valid(value, n))
        return;
    n = utf8_prefix_bytes(value, n, FIELD_MAX);
    json_object_set_new(p->values, field, json_stringn(value, n));
}

static void set(page *p, const char *key, json_t *v)
{
    json_object_set_new(p->ctx, key, v);
}

/* Renders template `name` with the page's title (prefixed when the form has errors, so
 * that screen reader users hear it first) and its form state. */
static void page_render(page *p, int status, const char *name, const char *title_key)
{
    const char *title = S(p, title_key);
    if (page_has_errors(p)) {
        title = arena_printf(p->rq->arena, "%s%s", S(p, "account.title_error_prefix"), title);
        set(p, "has_errors", json_true());
        if (status == 200)
            status = 400;
    }
    set(p, "title", json_string(title ? title : ""));
    set(p, "errors", p->errors);
    set(p, "field_errors", p->field_errors);
    set(p, "values", p->values);
    web_render(p->rq, status, name, p->ctx);
}

/* A page with a heading, a notice and links: what follows a sent e-mail, a verified
 * address, an invalid link. actions: pairs of (href, label key), NULL-terminated. */
static void message_page(page *p, int status, const char *key, const char *kind,
                         const char *const *actions)
{
    char k[96];
    snprintf(k, sizeof k, "account.%s.title", key);
    set(p, "heading", json_string(S(p, k)));
    snprintf(k, sizeof k, "account.%s.text", key);
    set(p, "message", json_string(S(p, k)));
    snprintf(k, sizeof k, "account.%s.more", key);
    const char *more = S(p, k);
    if (more && strcmp(more, k) != 0)
        set(p, "message_more", json_string(more));
    set(p, "kind", json_string(kind));
    json_t *list = json_array();
    for (size_t i = 0; actions && actions[i]; i += 2) {
        json_t *a = json_object();
        json_object_set_new(a, "href", json_string(actions[i]));
        json_object_set_new(a, "label", json_string(S(p, actions[i + 1])));
        if (i == 0)
            json_object_set_new(a, "primary", json_true());
        json_array_append_new(list, a);
    }
    set(p, "actions", list);
    snprintf(k, sizeof k, "account.%s.title", key);
    page_render(p, status, "account/message", k);
}

/* Drops a page that will not be rendered. */
static void page_discard(page *p)
{
    json_decref(p->ctx);
    json_decref(p->errors);
    json_decref(p->field_errors);
    json_decref(p->values);
    p->ctx = p->errors = p->field_errors = p->values = NULL;
}

static void page_fail(page *p, const error *err)
{
    page_discard(p);
    web_write_error(p->rq, err);
}

/* Reads the POST body and checks its CSRF token: 0, or -1 after answering. */
static int read_form(http_req *rq, form *f)
{
    error e;
    if (http_form_body(rq, f, &e) != 0) {
        web_write_error(rq, &e);
        return -1;
    }
    return web_check_csrf(rq, f);
}

static const char *field(const form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v ? v : "";
}

/* Only a path of this site may follow a login (form_local_path); NULL otherwise. */
static const char *safe_return(const char *r)
{
    return form_local_path(r) ? r : NULL;
}

/* First checks of a new password and its confirmation, before core's own. */
static void check_new_password(page *p, const char *pw, const char *confirm)
{
    size_t n = strlen(pw);
    if (!*pw)
        page_error(p, "password", "account.errors.password_required");
    else if (n > ACCOUNT_PASSWORD_MAX)
        page_error(p, "password", "account.errors.password_long");
    else if (!utf8_valid(pw, n) || utf8_length(pw, n) < ACCOUNT_PASSWORD_MIN)
        page_error(p, "password", "account.errors.password_short");
    if (!*confirm)
        page_error(p, "password_confirm", "account.errors.password_confirm_required");
    else if (*pw && strcmp(pw, confirm) != 0)
        page_error(p, "password_confirm", "account.errors.password_mismatch");
}

/* A cheap shape check so that every mistake shows at once; core has the real rules. */
static void check_email(page *p, const char *email)
{
    if (!*email)
        page_error(p, "email", "account.errors.email_required");
    else if (!strchr(email, '@') || strlen(email) > 254)
        page_error(p, "email", "account.errors.email_invalid");
}

/* Maps core's ERR_INVALID_ARG onto the form: 1 when it did, 0 for other errors. */
static int core_field_error(page *p, const error *e)
{
    if (e->code != ERR_INVALID_ARG)
        return 0;
    if (strcmp(e->arg, "email") == 0)
        page_error(p, "email", "account.errors.email_invalid");
    else if (strcmp(e->arg, "password") == 0)
        page_error(p, "password",
                   strstr(e->detail, "common")  ? "account.errors.password_common"
                   : strstr(e->detail, "short") ? "account.errors.password_short"
                                                : "account.errors.password_long");
    else if (strcmp(e->arg, "display_name") == 0)
        page_error(p, "display_name", "account.errors.name_invalid");
    else if (strcmp(e->arg, "phone") == 0 && strstr(e->detail, "SMS"))
        page_error(p, "phone", "account.errors.phone_required_sms");
    else if (strcmp(e->arg, "phone") == 0)
        page_error(p, "phone", "account.errors.phone_invalid");
    else if (strcmp(e->arg, "notify") == 0)
        page_error(p, "notify_email", "account.errors.notify_invalid");
    else if (strcmp(e->arg, "lang") == 0)
        page_error(p, "lang_fr", "account.errors.lang_invalid");
    else
        return 0;
    return 1;
}

/* ---- waiting for a write ---- */

typedef struct link_kind {
    const char *purpose; /* account_send_link's */
    const char *tmpl;    /* the form */
    const char *title;   /* its title key */
    const char *sent;    /* the message page once sent */
    const char *limit;   /* rate limit bucket */
} link_kind;

static const link_kind reset_kind = {"reset", "account/forgot", "account.forgot.title",
                                     "forgot_sent", "mail-link"};
static const link_kind login_kind = {"login", "account/link_request", "account.link_request.title",
                                     "link_sent", "mail-link"};

/* What a handler keeps while its write commits (rq->user, in rq's arena). */
typedef struct acct_state {
    page p;                /* the page the continuation renders */
    session_opening *open; /* the session the write opens; NULL: none */
    int64_t account_id;    /* the account a spent link names */
    const char *back;      /* where a login goes next */
    const char *token;     /* the reset form's token, shown again */
    const link_kind *kind; /* the link form */
    store_account acc;     /* the preferences' account; the login's */
    const char *notify, *lang_code;
    core_actor who;            /* the citizen deleting their account */
    account_deletion deletion; /* what account_delete did */
} acct_state;

/* A state for p's handler, or NULL after answering (out of memory). With login, the session
 * the write will open is prepared too. */
static acct_state *state_new(page *p, int login)
{
    http_req *rq = p->rq;
    acct_state *st = arena_alloc(rq->arena, sizeof *st);
    if (st) {
        memset(st, 0, sizeof *st);
        st->p = *p;
        if (login)
            st->open = web_login_prepare(rq);
    }
    if (!st || (login && !st->open)) {
        error e;
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        page_fail(p, &e);
        return NULL;
    }
    rq->user = st;
    return st;
}

/* The outcome of the write the handler waited for, in the continuation: 0, or -1 and *e. */
static int outcome(http_req *rq, error *e)
{
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc == 0)
        return 0;
    if (w)
        *e = w->err;
    else
        error_set(e, ERR_INTERNAL, NULL, "no write was waited for");
    return -1;
}

/* When e says the server is busy (web_busy): the form's message on the password field, to
 * be typed again, and 1: the caller renders the form with 503. */
static int busy_form(page *p, const error *e)
{
    if (!web_busy(p->rq, e))
        return 0;
    page_error(p, "password", "errors.busy_form");
    return 1;
}

/* ---- sign-up and verification ---- */

static void signup_get(http_req *rq)
{
    page p;
    if (page_start(&p, rq) != 0)
        return;
    page_render(&p, 200, "account/signup", "account.signup.title");
}

static void signup_done(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    if (outcome(rq, &e) != 0) {
        if (core_field_error(&st->p, &e) || busy_form(&st->p, &e)) {
            page_render(&st->p, e.code == ERR_UNAVAILABLE ? 503 : 400, "account/signup",
                        "account.signup.title");
            return;
        }
        page_fail(&st->p, &e);
        return;
    }
    static const char *const actions[] = {"/", "account.actions.home", NULL};
    message_page(&st->p, 200, "signup_sent", "info", actions);
}

static void signup_post(http_req *rq)
{
    form f;
    page p;
    if (read_form(rq, &f) != 0 || page_start(&p, rq) != 0)
        return;
    const char *email = field(&f, "email"), *name = field(&f, "display_name");
    const char *pw = field(&f, "password"), *confirm = field(&f, "password_confirm");
    page_value(&p, "email", email);
    page_value(&p, "display_name", name);
    check_email(&p, email);
    if (!*name)
        page_error(&p, "display_name", "account.errors.name_required");
    check_new_password(&p, pw, confirm);
    if (page_has_errors(&p)) {
        page_render(&p, 400, "account/signup", "account.signup.title");
        return;
    }
    if (web_limit(rq, "signup", NULL, RATE_SIGNUP) != 0) {
        page_discard(&p);
        return;
    }
    acct_state *st = state_new(&p, 0);
    if (!st)
        return;
    store_tenant t = p.tenant->rec;
    error e;
    http_wait *w = http_wait_begin(rq, signup_done);
    int rc = account_signup(rq->core, &t, email, pw, name, p.l, http_base_url(rq, p.tenant),
                            http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static const char *const invalid_link_actions[] = {"/compte/lien-connexion",
                                                   "account.actions.new_link",
                                                   "/compte/mot-de-passe-oublie",
                                                   "account.actions.forgot",
                                                   "/compte/connexion",
                                                   "account.actions.login",
                                                   NULL};

/* The page of a link core would not spend: already used (ERR_CONFLICT), or unknown or
 * expired (ERR_NOT_FOUND), each with the ways to a new one. 0 when err is neither: the
 * caller answers it. */
static int link_refused(page *p, const error *err)
{
    if (err->code == ERR_CONFLICT && strcmp(err->arg, "token") == 0)
        message_page(p, 400, "link_used", "info", invalid_link_actions);
    else if (err->code == ERR_NOT_FOUND)
        message_page(p, 400, "link_invalid", "info", invalid_link_actions);
    else
        return 0;
    return 1;
}

/* ---- e-mailed links: shown by GET, spent by POST ----
 *
 * Mail scanners, link previews and prefetching browsers open the links of an e-mail before
 * the citizen does. So the GET of a link only shows a page with one button; the POST it
 * sends, with the CSRF token, is what spends the token. The GET reads nothing of the token
 * (neither its validity nor its account) and logs nobody in. */

/* The token of an e-mailed link (?jeton= or the form's field) when it has a token's shape
 * (account_token_ok), so that nothing else is echoed into a page or a link; NULL otherwise. */
static const char *link_token(const char *t)
{
    return account_token_ok(t) ? t : NULL;
}

/* Prepares a page that holds the token of an e-mailed link (in its address, its form): no
 * Referer may carry the address to another site, nor to this one, and no cache may keep
 * the page; the language switch shows the same page in the other language, token kept. */
static void link_page(page *p, const char *path, const char *token)
{
    http_add_header(p->rq, "Referrer-Policy", "no-referrer");
    http_add_header(p->rq, "Cache-Control", "no-store");
    page_value(p, "jeton", token);
    set(p, "lang_switch_url",
        json_string(arena_printf(p->rq->arena, "%s?jeton=%s&lang=%s", path, token ? token : "",
                                 p->l == LANG_EN ? "fr" : "en")));
}

/* A link whose GET asks for the citizen's go-ahead: its strings (account.<key>.title,
 * .intro, .submit) and its path, which the button posts back to. */
typedef struct confirm_kind {
    const char *key;
    const char *path;
} confirm_kind;

static const confirm_kind verify_confirm = {"verify_confirm", "/compte/verifier"};
static const confirm_kind login_confirm = {"login_confirm", "/compte/lien"};

static void confirm_get(http_req *rq, const confirm_kind *k)
{
    page p;
    if (page_start(&p, rq) != 0)
        return;
    const char *token = link_token(form_get(&rq->query, "jeton"));
    if (!token) {
        message_page(&p, 400, "link_invalid", "info", invalid_link_actions);
        return;
    }
    link_page(&p, k->path, token);
    char key[64];
    snprintf(key, sizeof key, "account.%s.intro", k->key);
    set(&p, "intro", json_string(S(&p, key)));
    snprintf(key, sizeof key, "account.%s.submit", k->key);
    set(&p, "submit", json_string(S(&p, key)));
    set(&p, "action",
        json_string(arena_printf(rq->arena, "%s?lang=%s", k->path, p.l == LANG_EN ? "en" : "fr")));
    snprintf(key, sizeof key, "account.%s.title", k->key);
    set(&p, "heading", json_string(S(&p, key)));
    page_render(&p, 200, "account/confirm_link", key);
}

static void verify_done(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    int rc = outcome(rq, &e);
    web_login_done(rq, st->open, rc == 0);
    if (rc != 0) {
        if (!link_refused(&st->p, &e))
            page_fail(&st->p, &e);
        return;
    }
    /* The context was made before the login: rebuild it so the page shows the citizen
     * logged in and carries the new CSRF token. */
    json_decref(st->p.ctx);
    st->p.ctx = web_context(rq);
    static const char *const actions[] = {DEFAULT_AFTER_LOGIN, "account.actions.my_requests",
                                          "/compte/preferences", "account.actions.prefs", NULL};
    message_page(&st->p, 200, "verified", "success", actions);
}

static void verify_get(http_req *rq)
{
    confirm_get(rq, &verify_confirm);
}

static void verify_post(http_req *rq)
{
    form f;
    page p;
    if (read_form(rq, &f) != 0 || page_start(&p, rq) != 0)
        return;
    acct_state *st = state_new(&p, 1);
    if (!st)
        return;
    error e;
    http_wait *w = http_wait_begin(rq, verify_done);
    int rc = account_verify(rq->core, p.tenant->rec.id, form_get(&f, "jeton"), st->open,
                            &st->account_id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- login and logout ---- */

static void login_render(page *p, int status)
{
    page_render(p, status, "account/login", "account.login.title");
}

static void login_get(http_req *rq)
{
    page p;
    if (page_start(&p, rq) != 0)
        return;
    page_value(&p, "retour", safe_return(form_get(&rq->query, "retour")));
    login_render(&p, 200);
}

static void login_done(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    int rc = outcome(rq, &e);
    web_login_done(rq, st->open, rc == 0);
    if (rc != 0) {
        web_write_error(rq, &e);
        return;
    }
    web_redirect(rq, st->back ? st->back : DEFAULT_AFTER_LOGIN);
}

/* The password is checked (core's pool): the form again, or the session's write. */
static void login_checked(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    if (outcome(rq, &e) != 0) {
        if (e.code == ERR_UNAUTHORIZED) {
            page_error(&st->p, "email", "account.errors.login_failed");
            login_render(&st->p, 400);
        } else if (e.code == ERR_FORBIDDEN) {
            page_error(&st->p, "email", "account.errors.not_verified");
            login_render(&st->p, 400);
        } else if (busy_form(&st->p, &e)) {
            login_render(&st->p, 503);
        } else {
            page_fail(&st->p, &e);
        }
        return;
    }
    page_discard(&st->p);
    if (!(st->open = web_login_prepare(rq))) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    http_wait *w = http_wait_begin(rq, login_done);
    int rc = session_open_account(rq->core, st->p.tenant->rec.id, st->acc.id, st->open,
                                  http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void login_post(http_req *rq)
{
    form f;
    if (read_form(rq, &f) != 0)
        return;
    const char *email = field(&f, "email"), *pw = field(&f, "password");
    if (web_limit_login(rq, "login", email) != 0)
        return;
    page p;
    if (page_start(&p, rq) != 0)
        return;
    const char *back = safe_return(form_get(&f, "retour"));
    page_value(&p, "email", email);
    page_value(&p, "retour", back);
    if (!*email)
        page_error(&p, "email", "account.errors.email_required");
    if (!*pw)
        page_error(&p, "password", "account.errors.password_required");
    if (page_has_errors(&p)) {
        login_render(&p, 400);
        return;
    }
    acct_state *st = state_new(&p, 0);
    if (!st)
        return;
    st->back = back;
    error e;
    /* A read here, then Argon2id on core's pool while the connection is suspended; the
     * session is the write that follows. */
    http_wait *w = http_wait_begin(rq, login_checked);
    int rc = account_login(rq->core, p.tenant->rec.id, email, pw, rq->arena, &st->acc,
                           http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void logout_done(http_req *rq)
{
    error e;
    if (outcome(rq, &e) != 0)
        log_warn("logout: could not end the session: %s", e.detail);
    web_redirect(rq, "/");
}

static void logout_post(http_req *rq)
{
    form f;
    if (read_form(rq, &f) != 0)
        return;
    error e;
    http_wait *w = http_wait_begin(rq, logout_done);
    int rc = web_logout(rq, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- links by e-mail: password reset, one-time login ---- */

static void link_form_get(http_req *rq, const link_kind *k)
{
    page p;
    if (page_start(&p, rq) != 0)
        return;
    page_render(&p, 200, k->tmpl, k->title);
}

static void link_sent(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    if (outcome(rq, &e) != 0) {
        if (core_field_error(&st->p, &e)) {
            page_render(&st->p, 400, st->kind->tmpl, st->kind->title);
            return;
        }
        page_fail(&st->p, &e);
        return;
    }
    static const char *const actions[] = {"/compte/connexion", "account.actions.login", NULL};
    message_page(&st->p, 200, st->kind->sent, "info", actions);
}

static void link_form_post(http_req *rq, const link_kind *k)
{
    form f;
    page p;
    if (read_form(rq, &f) != 0 || page_start(&p, rq) != 0)
        return;
    const char *email = field(&f, "email");
    page_value(&p, "email", email);
    check_email(&p, email);
    if (page_has_errors(&p)) {
        page_render(&p, 400, k->tmpl, k->title);
        return;
    }
    if (web_limit(rq, k->limit, NULL, RATE_MAIL_LINK) != 0 ||
        web_limit_shared(rq, "mail-to", web_email_key(rq, email), RATE_MAIL_TO) != 0) {
        page_discard(&p);
        return;
    }
    acct_state *st = state_new(&p, 0);
    if (!st)
        return;
    st->kind = k;
    store_tenant t = p.tenant->rec;
    error e;
    http_wait *w = http_wait_begin(rq, link_sent);
    int rc = account_send_link(rq->core, &t, email, k->purpose, p.l, http_base_url(rq, p.tenant),
                               http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void forgot_get(http_req *rq)
{
    link_form_get(rq, &reset_kind);
}

static void forgot_post(http_req *rq)
{
    link_form_post(rq, &reset_kind);
}

static void link_request_get(http_req *rq)
{
    link_form_get(rq, &login_kind);
}

static void link_request_post(http_req *rq)
{
    link_form_post(rq, &login_kind);
}

/* The reset form carries the token from the e-mail's link in a hidden field; the
 * language switch keeps it too. */
static void reset_render(page *p, int status, const char *token)
{
    link_page(p, "/compte/nouveau-mot-de-passe", link_token(token));
    page_render(p, status, "account/reset", "account.reset.title");
}

static void reset_get(http_req *rq)
{
    page p;
    if (page_start(&p, rq) != 0)
        return;
    reset_render(&p, 200, form_get(&rq->query, "jeton"));
}

static void reset_done(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    int rc = outcome(rq, &e);
    web_login_done(rq, st->open, rc == 0);
    if (rc != 0) {
        if (link_refused(&st->p, &e))
            return;
        if (core_field_error(&st->p, &e))
            reset_render(&st->p, 400, st->token);
        else if (busy_form(&st->p, &e))
            reset_render(&st->p, 503, st->token);
        else
            page_fail(&st->p, &e);
        return;
    }
    json_decref(st->p.ctx);
    st->p.ctx = web_context(rq);
    static const char *const actions[] = {DEFAULT_AFTER_LOGIN, "account.actions.my_requests", NULL};
    message_page(&st->p, 200, "reset_done", "success", actions);
}

static void reset_post(http_req *rq)
{
    form f;
    page p;
    if (read_form(rq, &f) != 0 || web_limit(rq, "reset-set", NULL, RATE_MAIL_LINK) != 0 ||
        page_start(&p, rq) != 0)
        return;
    const char *token = field(&f, "jeton");
    const char *pw = field(&f, "password"), *confirm = field(&f, "password_confirm");
    check_new_password(&p, pw, confirm);
    if (page_has_errors(&p)) {
        reset_render(&p, 400, token);
        return;
    }
    acct_state *st = state_new(&p, 1);
    if (!st)
        return;
    st->token = token;
    error e;
    http_wait *w = http_wait_begin(rq, reset_done);
    int rc = account_reset_password(rq->core, p.tenant->rec.id, token, pw, st->open,
                                    &st->account_id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void consume_done(http_req *rq)
{
    acct_state *st = rq->user;
    error e;
    int rc = outcome(rq, &e);
    web_login_done(rq, st->open, rc == 0);
    if (rc != 0) {
        if (!link_refused(&st->p, &e))
            page_fail(&st->p, &e);
        return;
    }
    page_discard(&st->p);
    web_redirect(rq, DEFAULT_AFTER_LOGIN);
}

static void link_consume_get(http_req *rq)
{
    confirm_get(rq, &login_confirm);
}

static void link_consume_post(http_req *rq)
{
    form f;
    page p;
    if (read_form(rq, &f) != 0 || page_start(&p, rq) != 0)
        return;
    acct_state *st = state_new(&p, 1);
    if (!st)
        return;
    error e;
    http_wait *w = http_wait_begin(rq, consume_done);
    int rc = account_consume_login(rq->core, p.tenant->rec.id, form_get(&f, "jeton"), st->open,
                                   &st->account_id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- preferences ---- */

static const char *const notify_choices[] = {"email", "sms", "none"};
static const char *const lang_choices[] = {"fr", "en"};

/* Radio buttons as data: [{id, value, label, checked}]. */
static json_t *choices(page *p, const char *name, const char *const *vals, size_t n,
                       const char *current)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "account.prefs.%s_%s", name, vals[i]);
        json_t *c = json_object();
        json_object_set_new(c, "id",
                            json_string(arena_printf(p->rq->arena, "%s_%s", name, vals[i])));
        json_object_set_new(c, "value", json_string(vals[i]));
        json_object_set_new(c, "label", json_string(S(p, key)));
        if (current && strcmp(current, vals[i]) == 0)
            json_object_set_new(c, "checked", json_true());
        json_array_append_new(list, c);
    }
    return list;
}

/* «Vérifier mon numéro» (account_phone.c): whether the number is verified or can be, and
 * what the last step did (?telephone=, one of a fixed set: anything else shows nothing). A
 * wrong code is the code field's error. */
static void phone_state_set(page *p, const store_account *acc)
{
    set(p, "phone_verified", json_boolean(acc->phone_verified_at != 0));
    set(p, "can_verify", json_boolean(acc->phone && phone_is_e164(acc->phone)));
    static const char *const states[] = {"code_sent",  "verified", "code_wrong", "code_invalid",
                                         "code_spent", "too_many", "no_phone",   "changed"};
    const char *state = form_get(&p->rq->query, "telephone");
    for (size_t i = 0; state && i < sizeof states / sizeof states[0]; i++) {
        if (strcmp(state, states[i]) != 0)
            continue;
        const char *key = arena_printf(p->rq->arena, "account.prefs.phone_state_%s", state);
        if (strcmp(state, "code_wrong") == 0 || strcmp(state, "code_invalid") == 0) {
            page_error(p, "code", key);
            return;
        }
        set(p, "phone_notice", json_string(S(p, key)));
        set(p, "phone_notice_error", json_boolean(i >= 4));
    }
}

static void prefs_render(page *p, int status, const store_account *acc, const char *notify,
                         const char *lang_code)
{
    set(p, "account_email", json_string(acc->email ? acc->email : ""));
    phone_state_set(p, acc);
    set(p, "notify_choices", choices(p, "notify", notify_choices, 3, notify));
    set(p, "lang_choices", choices(p, "lang", lang_choices, 2, lang_code));
    page_render(p, status, "account/preferences", "account.prefs.title");
}

int portal_require_login(http_req *rq, store_account *acc, const char *back)
{
    if (!web_tenant(rq))
        return -1;
    if (web_account(rq, acc))
        return 0;
    web_redirect(rq, arena_printf(rq->arena, "/compte/connexion?retour=%s", back));
    return -1;
}

core_actor portal_citizen(http_req *rq, int64_t account_id)
{
    core_actor who = actor_citizen;
    who.id = account_id > 0 ? account_id : 0;
    who.source = web_audit_source(rq);
    return who;
}

static void prefs_get(http_req *rq)
{
    store_account acc;
    page p;
    if (portal_require_login(rq, &acc, "/compte/preferences") != 0 || page_start(&p, rq) != 0)
        return;
    page_value(&p, "display_name", acc.display_name);
    page_value(&p, "phone", acc.phone);
    prefs_render(&p, 200, &acc, acc.notify ? acc.notify : "email", acc.lang ? acc.lang : "fr");
}

static void prefs_done(http_req *rq)
{
    acct_state *st = rq->user;
    page *p = &st->p;
    error e;
    if (outcome(rq, &e) != 0 && !core_field_error(p, &e)) {
        page_fail(p, &e);
        return;
    }
    if (!page_has_errors(p))
        set(p, "saved", json_true());
    /* The account as saved: a number changed is no longer the one verified. */
    store_account now;
    error ge;
    if (!page_has_errors(p) &&
        account_get(rq->core, st->acc.tenant_id, st->acc.id, rq->arena, &now, &ge) == 0)
        st->acc = now;
    prefs_render(p, page_has_errors(p) ? 400 : 200, &st->acc, st->notify, st->lang_code);
}

static void prefs_post(http_req *rq)
{
    form f;
    store_account acc;
    page p;
    if (read_form(rq, &f) != 0 || portal_require_login(rq, &acc, "/compte/preferences") != 0 ||
        page_start(&p, rq) != 0)
        return;
    const char *name = field(&f, "display_name"), *phone = field(&f, "phone");
    const char *notify = field(&f, "notify"), *lang_code = field(&f, "lang");
    page_value(&p, "display_name", name);
    page_value(&p, "phone", phone);
    if (!*name)
        page_error(&p, "display_name", "account.errors.name_required");
    if (strcmp(notify, "sms") == 0 && !*phone)
        page_error(&p, "phone", "account.errors.phone_required_sms");
    page_message(&p, "phone", form_field_phone_refusal(rq->arena, rq->present, p.l, phone));
    if (!*notify)
        page_error(&p, "notify_email", "account.errors.notify_invalid");
    if (!*lang_code)
        page_error(&p, "lang_fr", "account.errors.lang_invalid");
    if (page_has_errors(&p)) {
        prefs_render(&p, 400, &acc, notify, lang_code);
        return;
    }
    acct_state *st = state_new(&p, 0);
    if (!st)
        return;
    st->acc = acc;
    st->notify = notify;
    st->lang_code = lang_code;
    error e;
    http_wait *w = http_wait_begin(rq, prefs_done);
    int rc = account_update_prefs(rq->core, p.tenant->rec.id, acc.id, name, phone, notify,
                                  lang_code, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- a new password ---- */

/* The current password proves that the person at the keyboard owns the account, not merely
 * its open session; every other session ends with the change. */
static void password_get(http_req *rq)
{
    store_account acc;
    page p;
    if (portal_require_login(rq, &acc, "/compte/mot-de-passe") != 0 || page_start(&p, rq) != 0)
        return;
    page_render(&p, 200, "account/password", "account.password.title");
}

static void password_done(http_req *rq)
{
    acct_state *st = rq->user;
    page *p = &st->p;
    error e;
    int rc = outcome(rq, &e);
    web_login_done(rq, st->open, rc == 0);
    if (rc != 0) {
        if (e.code == ERR_UNAUTHORIZED)
            page_error(p, "current_password", "account.errors.current_password_wrong");
        if (e.code == ERR_UNAUTHORIZED || core_field_error(p, &e))
            page_render(p, 400, "account/password", "account.password.title");
        else if (busy_form(p, &e))
            page_render(p, 503, "account/password", "account.password.title");
        else
            page_fail(p, &e);
        return;
    }
    static const char *const actions[] = {"/compte/preferences", "account.actions.prefs",
                                          DEFAULT_AFTER_LOGIN, "account.actions.my_requests", NULL};
    message_page(p, 200, "password_done", "success", actions);
}

static void password_post(http_req *rq)
{
    form f;
    store_account acc;
    page p;
    if (read_form(rq, &f) != 0 || portal_require_login(rq, &acc, "/compte/mot-de-passe") != 0)
        return;
    /* As many guesses of the current password as a login allows, per account. */
    if (web_limit_id(rq, "account-password", acc.id, RATE_DELETE) != 0 || page_start(&p, rq) != 0)
        return;
    const char *current = field(&f, "current_password");
    const char *pw = field(&f, "password"), *confirm = field(&f, "password_confirm");
    if (!*current)
        page_error(&p, "current_password", "account.errors.current_password_required");
    check_new_password(&p, pw, confirm);
    if (page_has_errors(&p)) {
        page_render(&p, 400, "account/password", "account.password.title");
        return;
    }
    acct_state *st = state_new(&p, 1);
    if (!st)
        return;
    error e;
    http_wait *w = http_wait_begin(rq, password_done);
    int rc = account_change_password(rq->core, p.tenant->rec.id, acc.id, current, pw, st->open,
                                     http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- deletion ---- */

/* What deletion erases and keeps is said on the page (account/delete); the password proves
 * that the person at the keyboard owns the account, not merely its open session. */
static void delete_get(http_req *rq)
{
    store_account acc;
    page p;
    if (portal_require_login(rq, &acc, "/compte/supprimer") != 0 || page_start(&p, rq) != 0)
        return;
    page_render(&p, 200, "account/delete", "account.delete.title");
}

/* The deletion is durable (or refused): the farewell page, or the form again. */
static void delete_done(http_req *rq)
{
    acct_state *st = rq->user;
    page *p = &st->p;
    error e;
    if (outcome(rq, &e) != 0) {
        if (e.code == ERR_UNAUTHORIZED) {
            page_error(p, "password", "account.errors.password_wrong");
            page_render(p, 400, "account/delete", "account.delete.title");
        } else if (busy_form(p, &e)) {
            page_render(p, 503, "account/delete", "account.delete.title");
        } else {
            page_fail(p, &e);
        }
        return;
    }
    /* The session row went with the account: what is left is the browser's side, the cookie
     * and the CSRF secret; the page is then built for a visitor. */
    web_logout_cookies(rq);
    json_decref(p->ctx);
    p->ctx = web_context(rq);
    static const char *const actions[] = {"/", "account.actions.home", NULL};
    message_page(p, 200, "deleted", "success", actions);
}

static void delete_post(http_req *rq)
{
    form f;
    store_account acc;
    page p;
    if (read_form(rq, &f) != 0 || portal_require_login(rq, &acc, "/compte/supprimer") != 0)
        return;
    /* As many guesses as a login allows, per account from any address: a stolen session
     * does not give the password. */
    if (web_limit_id(rq, "account-delete", acc.id, RATE_DELETE) != 0 || page_start(&p, rq) != 0)
        return;
    const char *pw = field(&f, "password");
    if (!*pw) {
        page_error(&p, "password", "account.errors.password_required");
        page_render(&p, 400, "account/delete", "account.delete.title");
        return;
    }
    acct_state *st = state_new(&p, 0);
    if (!st)
        return;
    st->who = portal_citizen(rq, acc.id);
    error e;
    /* account_delete checks the password (Argon2id, on core's pool) before it queues the
     * deletion; the answer follows the durable commit. */
    http_wait *w = http_wait_begin(rq, delete_done);
    int rc = account_delete(rq->core, p.tenant, acc.id, pw, &st->who, &st->deletion, http_wait_done,
                            w, &e);
    http_wait_started(w, rc, &e);
}

const http_route portal_account_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/compte/inscription", signup_get},
    {HTTP_POST, "/compte/inscription", signup_post},
    {HTTP_GET | HTTP_HEAD, "/compte/verifier", verify_get},
    {HTTP_POST, "/compte/verifier", verify_post},
    {HTTP_GET | HTTP_HEAD, "/compte/connexion", login_get},
    {HTTP_POST, "/compte/connexion", login_post},
    {HTTP_POST, "/compte/deconnexion", logout_post},
    {HTTP_GET | HTTP_HEAD, "/compte/mot-de-passe-oublie", forgot_get},
    {HTTP_POST, "/compte/mot-de-passe-oublie", forgot_post},
    {HTTP_GET | HTTP_HEAD, "/compte/nouveau-mot-de-passe", reset_get},
    {HTTP_POST, "/compte/nouveau-mot-de-passe", reset_post},
    {HTTP_GET | HTTP_HEAD, "/compte/lien-connexion", link_request_get},
    {HTTP_POST, "/compte/lien-connexion", link_request_post},
    {HTTP_GET | HTTP_HEAD, "/compte/lien", link_consume_get},
    {HTTP_POST, "/compte/lien", link_consume_post},
    {HTTP_GET | HTTP_HEAD, "/compte/mot-de-passe", password_get},
    {HTTP_POST, "/compte/mot-de-passe", password_post},
    {HTTP_GET | HTTP_HEAD, "/compte/preferences", prefs_get},
    {HTTP_POST, "/compte/preferences", prefs_post},
    {HTTP_GET | HTTP_HEAD, "/compte/supprimer", delete_get},
    {HTTP_POST, "/compte/supprimer", delete_post},
    {0, NULL, NULL},
};

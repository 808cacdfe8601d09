/*
 * portal/subscriptions — «Abonnements»: citizens choose the topics the mairie writes about
 * and give their e-mail address, their mobile number, or both; nothing is sent before they
 * follow the confirmation link, or type back the code sent by SMS on the page that follows
 * (double opt-in; a logged-in citizen's own verified number needs no code). Every e-mail
 * carries a link to leave: its GET shows a button, its POST (the button's, or a mail
 * client's RFC 8058 one-click POST, which carries no CSRF token: the link's secret is the
 * authority) unsubscribes; an SMS subscriber leaves by STOP. A number that sent STOP is told
 * how to opt in again (START). A logged-in citizen sees their subscriptions here. Sign-ups
 * are rate-limited per client address and per address or number typed; codes typed, per
 * client and by their count per code.
 */
#include <string.h>

#include "core/address.h"
#include "core/broadcast.h"
#include "core/sms.h"
#include "util/phone.h"
#include "util/utf8.h"
#include "web/form_field.h"
#include "web/portal/portal.h"
#include "web/web.h"

/* Sign-ups: as many as the account's e-mailed links, per client and per address or number
 * typed (each code is an SMS the collectivité pays for). */
#define RATE_SUBSCRIBE (3.0 / 60), 10
#define RATE_SUBSCRIBE_TO (5.0 / 3600), 5
/* Codes typed back, per client: beyond the count of wrong entries each code allows. */
#define RATE_CODE (10.0 / 60), 20
#define FIELD_MAX 254
#define CODE_FIELD_MAX 32

typedef struct sub_page {
    http_req *rq;
    lang l;
    const cat_tenant *tenant;
    json_t *ctx, *errors, *field_errors, *values;
} sub_page;

static const char *S(const sub_page *p, const char *key)
{
    return present_string(p->rq->present, p->l, key);
}

/* Drops a page that will not be rendered. */
static void page_discard(sub_page *p)
{
    json_decref(p->ctx);
    json_decref(p->errors);
    json_decref(p->field_errors);
    json_decref(p->values);
    p->ctx = p->errors = p->field_errors = p->values = NULL;
}

static int page_start(sub_page *p, http_req *rq)
{
    memset(p, 0, sizeof *p);
    p->rq = rq;
    p->l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    if (!(p->tenant = web_tenant(rq)))
        return -1;
    p->ctx = web_context(rq);
    p->errors = json_array();
    p->field_errors = json_object();
    p->values = json_object();
    if (!p->ctx || !p->errors || !p->field_errors || !p->values) {
        page_discard(p);
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return -1;
    }
    return 0;
}

static void page_error(sub_page *p, const char *field, const char *key)
{
    if (json_object_get(p->field_errors, field))
        return;
    json_array_append_new(p->errors, json_pack("{s:s, s:s}", "field", field, "message", S(p, key)));
    json_object_set_new(p->field_errors, field, json_string(S(p, key)));
}

static void page_render(sub_page *p, int status, const char *name, const char *title_key)
{
    const char *title = S(p, title_key);
    if (json_array_size(p->errors) > 0) {
        title = arena_printf(p->rq->arena, "%s%s", S(p, "account.title_error_prefix"), title);
        json_object_set_new(p->ctx, "has_errors", json_true());
        if (status == 200)
            status = 400;
    }
    json_object_set_new(p->ctx, "title", json_string(title));
    json_object_set_new(p->ctx, "errors", p->errors);
    json_object_set_new(p->ctx, "field_errors", p->field_errors);
    json_object_set_new(p->ctx, "values", p->values);
    web_render(p->rq, status, name, p->ctx);
}

/* The account pages' message layout (account/message): a heading, a notice, a way on. */
static void message(sub_page *p, int status, const char *key, const char *kind)
{
    char k[96];
    snprintf(k, sizeof k, "subscriptions.%s.text", key);
    json_object_set_new(p->ctx, "message", json_string(S(p, k)));
    snprintf(k, sizeof k, "subscriptions.%s.title", key);
    json_object_set_new(p->ctx, "heading", json_string(S(p, k)));
    json_object_set_new(p->ctx, "kind", json_string(kind));
    json_object_set_new(p->ctx, "actions",
                        json_pack("[{s:s, s:s, s:b}]", "href", "/", "label",
                                  S(p, "account.actions.home"), "primary", 1));
    page_render(p, status, "account/message", k);
}

/* The outcome of the write waited for: 0, or -1 and *e. */
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

/* ---- the form ---- */

/* Topic checkboxes, ticked as the visitor left them; the account's subscriptions, with a
 * button to leave each. */
static int form_page(sub_page *p, const form *typed, int status)
{
    http_req *rq = p->rq;
    store_topic *topics = NULL;
    size_t nt = 0;
    error e;
    if (broadcast_topics(rq->core, p->tenant->rec.id, 1, rq->arena, &topics, &nt, &e) != 0)
        goto failed;
    json_t *list = json_array();
    for (size_t i = 0; i < nt; i++) {
        const char *id = arena_printf(rq->arena, "%lld", (long long)topics[i].id);
        int checked = 0;
        for (size_t k = 0; typed && k < typed->count; k++)
            checked |= strcmp(typed->fields[k].name, "topics") == 0 &&
                       strcmp(typed->fields[k].value, id) == 0;
        int en = p->l == LANG_EN && topics[i].name_en && *topics[i].name_en;
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:b}", "value", id, "name",
                                        en ? topics[i].name_en : topics[i].name, "description",
                                        en && *topics[i].description_en ? topics[i].description_en
                                                                        : topics[i].description,
                                        "checked", checked));
    }
    json_object_set_new(p->ctx, "topics", list);
    int64_t addresses = 0;
    if (address_count(rq->core, p->tenant->rec.id, &addresses, &e) != 0)
        goto failed;
    json_object_set_new(p->ctx, "ask_address", json_boolean(addresses > 0));
    store_account acc;
    if (web_account(rq, &acc)) {
        store_subscriber *subs = NULL;
        size_t ns = 0;
        if (broadcast_subscriptions(rq->core, p->tenant->rec.id, acc.email, acc.id,
                                    acc.phone_verified_at ? acc.phone : NULL, rq->arena, &subs, &ns,
                                    &e) != 0)
            goto failed;
        json_t *mine = json_array();
        for (size_t i = 0; i < ns; i++) {
            json_t *names = json_array();
            for (size_t k = 0; k < subs[i].n_topics; k++)
                for (size_t j = 0; j < nt; j++)
                    if (topics[j].id == subs[i].topic_ids[k])
                        json_array_append_new(names,
                                              json_string(p->l == LANG_EN && *topics[j].name_en
                                                              ? topics[j].name_en
                                                              : topics[j].name));
            json_array_append_new(mine,
                                  json_pack("{s:s, s:o, s:s}", "address", subs[i].address, "topics",
                                            names, "leave",
                                            arena_printf(rq->arena, "%s%s", BROADCAST_LEAVE_PATH,
                                                         subs[i].leave_token)));
        }
        json_object_set_new(p->ctx, "has_mine", json_boolean(ns > 0));
        json_object_set_new(p->ctx, "mine", mine);
        if (!json_object_get(p->values, "email") && !json_object_get(p->values, "phone"))
            json_object_set_new(p->values, "email", json_string(acc.email));
    }
    page_render(p, status, "subscriptions/form", "subscriptions.form.title");
    return 0;
failed:
    page_discard(p);
    web_write_error(rq, &e);
    return -1;
}

static void form_get_page(http_req *rq)
{
    sub_page p;
    if (page_start(&p, rq) == 0)
        form_page(&p, NULL, 200);
}

/* A sign-up on its way: what was asked for, and what came of it so far. The form's fields
 * are kept so that a refusal shows it again as typed. */
typedef struct signup {
    sub_page page;
    form typed;
    int64_t topics[BROADCAST_TOPICS_MAX];
    size_t n_topics;
    int64_t account_id;
    broadcast_point at;
    const char *email;          /* NULL: none */
    char phone[PHONE_E164_MAX]; /* "": none */
    int email_done;             /* the e-mail's link went */
    broadcast_sms_signup sms;
    phone_verify_outcome code_outcome;
    const char *handle; /* the code page's */
} signup;

/* The page that asks for the code sent by SMS, with the error of the last try (key NULL:
 * none). */
static void code_page(signup *su, int status, const char *error_key)
{
    sub_page *p = &su->page;
    http_add_header(p->rq, "Cache-Control", "no-store");
    if (error_key)
        page_error(p, "code", error_key);
    json_object_set_new(p->values, "jeton", json_string(su->handle));
    json_object_set_new(p->ctx, "email_sent", json_boolean(su->email_done));
    page_render(p, status, "subscriptions/code", "subscriptions.code.title");
}

/* Why a number is refused for SMS: it sent STOP; saying how to opt in again, with the
 * number to write to when the gateway's sender is one. */
static void opted_out_error(signup *su)
{
    sub_page *p = &su->page;
    const char *number = sms_reply_number(p->rq->core, p->tenant->rec.id, p->rq->arena);
    const char *key =
        number ? "subscriptions.errors.phone_opted_out_to" : "subscriptions.errors.phone_opted_out";
    static const char *const names[] = {"number"};
    const char *text = present_subst(p->rq->arena, S(p, key), names, &number, number ? 1 : 0);
    json_array_append_new(p->errors, json_pack("{s:s, s:s}", "field", "phone", "message", text));
    json_object_set_new(p->field_errors, "phone", json_string(text));
}

/* What the citizen reads once everything asked for is written: the number confirmed at
 * once, or the page for its code, or the e-mail's link sent. */
static void signup_answer(signup *su)
{
    sub_page *p = &su->page;
    if (!su->phone[0]) {
        message(p, 200, "sent", "info");
        return;
    }
    if (su->sms.confirmed) {
        message(p, 200, su->email_done ? "confirmed_sms_sent" : "confirmed", "success");
        return;
    }
    su->handle = su->sms.handle;
    code_page(su, 200, NULL);
}

static void subscribe_email(signup *su);

static void sms_done(http_req *rq)
{
    signup *su = rq->user;
    sub_page *p = &su->page;
    error e;
    if (outcome(rq, &e) != 0) {
        /* The number sent STOP since the form was checked: nothing is written yet, the
         * e-mail's subscription included, and the form says why. */
        if (e.code == ERR_CONFLICT && strcmp(e.arg, "phone_opted_out") == 0) {
            opted_out_error(su);
            form_page(p, &su->typed, 400);
            return;
        }
        page_discard(p);
        web_write_error(rq, &e);
        return;
    }
    if (su->email) {
        subscribe_email(su);
        return;
    }
    signup_answer(su);
}

/* The number's subscription, first: the write that may still be refused (a STOP sent
 * meanwhile) goes before the e-mail's, so that a refusal leaves nothing written. */
static void subscribe_sms(signup *su)
{
    http_req *rq = su->page.rq;
    error e;
    http_wait *w = http_wait_begin(rq, sms_done);
    int rc = broadcast_subscribe_sms(rq->core, su->page.tenant->rec.id, su->phone,
                                     su->page.l == LANG_EN ? "en" : "fr", su->topics, su->n_topics,
                                     su->account_id, &su->at, &su->sms, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* The address was checked with broadcast_email_ok before the number's write: a refusal
 * here is not the form's to show. */
static void subscribe_done(http_req *rq)
{
    signup *su = rq->user;
    error e;
    if (outcome(rq, &e) != 0) {
        page_discard(&su->page);
        web_write_error(rq, &e);
        return;
    }
    su->email_done = 1;
    signup_answer(su);
}

/* The e-mail's subscription, after the number's when there was one. */
static void subscribe_email(signup *su)
{
    http_req *rq = su->page.rq;
    error e;
    http_wait *w = http_wait_begin(rq, subscribe_done);
    int rc = broadcast_subscribe(rq->core, su->page.tenant->rec.id, su->email,
                                 su->page.l == LANG_EN ? "en" : "fr", su->topics, su->n_topics,
                                 su->account_id, &su->at, http_base_url(rq, su->page.tenant),
                                 http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* The opening of the form's and the code's POSTs: the body read, its CSRF token checked,
 * the sign-up's state (kept with the form as typed) and its page started. NULL once the
 * refusal is answered. */
static signup *signup_open(http_req *rq)
{
    form f;
    error e;
    if (http_form_body(rq, &f, &e) != 0) {
        web_write_error(rq, &e);
        return NULL;
    }
    if (web_check_csrf(rq, &f) != 0)
        return NULL;
    signup *su = arena_alloc(rq->arena, sizeof *su);
    if (!su) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        web_write_error(rq, &e);
        return NULL;
    }
    memset(su, 0, sizeof *su);
    su->typed = f;
    return page_start(&su->page, rq) == 0 ? su : NULL;
}

static void subscribe_post(http_req *rq)
{
    error e;
    signup *su = signup_open(rq);
    if (!su)
        return;
    const form f = su->typed;
    sub_page *p = &su->page;
    const char *email = form_get(&f, "email");
    email = email ? email : "";
    const char *phone = form_get(&f, "phone");
    phone = phone ? phone : "";
    if (utf8_valid(email, strlen(email)) && strlen(email) <= FIELD_MAX)
        json_object_set_new(p->values, "email", json_string(email));
    if (utf8_valid(phone, strlen(phone)) && strlen(phone) <= FIELD_MAX)
        json_object_set_new(p->values, "phone", json_string(phone));
    /* An address, a number, or both: one of them at least. */
    if (!*email && !*phone)
        page_error(p, "email", "subscriptions.errors.contact_required");
    else if (*email && (strlen(email) > FIELD_MAX || !broadcast_email_ok(email)))
        page_error(p, "email", "account.errors.email_invalid");
    if (*phone) {
        phone_result pr;
        const char *why = strlen(phone) > FIELD_MAX
                              ? S(p, "subscriptions.errors.phone_invalid")
                              : form_field_phone_refusal(rq->arena, rq->present, p->l, phone);
        if (why || phone_e164(phone, su->phone, &pr) != 0) {
            why = why ? why : S(p, "subscriptions.errors.phone_invalid");
            json_array_append_new(p->errors,
                                  json_pack("{s:s, s:s}", "field", "phone", "message", why));
            json_object_set_new(p->field_errors, "phone", json_string(why));
        } else {
            int opted_out = 0;
            if (sms_opted_out(rq->core, p->tenant->rec.id, su->phone, &opted_out, &e) != 0) {
                page_discard(p);
                web_write_error(rq, &e);
                return;
            }
            /* Refused before anything is written, the e-mail's subscription included. */
            if (opted_out)
                opted_out_error(su);
        }
    }
    const char *values[BROADCAST_TOPICS_MAX + 1];
    size_t nv = 0;
    for (size_t i = 0; i < f.count && nv <= BROADCAST_TOPICS_MAX; i++)
        if (strcmp(f.fields[i].name, "topics") == 0)
            values[nv++] = f.fields[i].value;
    /* Where they live, when given: the portal's address list resolves what was typed (the
     * same lookup as a report's location without JavaScript), for broadcasts to areas. */
    broadcast_point at = {0};
    const char *typed = form_get(&f, "address");
    if (typed && *typed) {
        if (utf8_valid(typed, strlen(typed)) && strlen(typed) <= FIELD_MAX)
            json_object_set_new(p->values, "address", json_string(typed));
        store_address *hits = NULL;
        size_t nh = 0;
        const store_address *take = NULL;
        if (address_resolve(rq->core, p->tenant->rec.id, typed, NULL, 5, rq->arena, &hits, &nh,
                            &take, &e) != 0) {
            page_discard(p);
            web_write_error(rq, &e);
            return;
        }
        if (take)
            at = (broadcast_point){.has = 1, .lat = take->lat, .lon = take->lon};
        else
            page_error(p, "address", "subscriptions.errors.address_unknown");
    }
    if (broadcast_pick_topics(rq->core, p->tenant->rec.id, values, nv, su->topics, &su->n_topics,
                              &e) != 0) {
        if (e.code != ERR_MISSING_ARG && e.code != ERR_INVALID_ARG) {
            page_discard(p);
            web_write_error(rq, &e);
            return;
        }
        page_error(p, "topics",
                   e.code == ERR_MISSING_ARG ? "subscriptions.errors.topics_required"
                                             : "subscriptions.errors.topics_invalid");
    }
    if (json_array_size(p->errors) > 0) {
        form_page(p, &f, 400);
        return;
    }
    if (web_limit(rq, "subscribe", NULL, RATE_SUBSCRIBE) != 0 ||
        (*email &&
         web_limit_shared(rq, "subscribe-to", web_email_key(rq, email), RATE_SUBSCRIBE_TO) != 0) ||
        (su->phone[0] && web_limit_shared(rq, "subscribe-to", su->phone, RATE_SUBSCRIBE_TO) != 0)) {
        page_discard(p);
        return;
    }
    store_account acc;
    su->account_id = web_account(rq, &acc) ? acc.id : 0;
    su->at = at;
    su->email = *email ? email : NULL;
    rq->user = su;
    if (su->phone[0])
        subscribe_sms(su);
    else
        subscribe_email(su);
}

/* ---- the code sent by SMS, typed back ---- */

static void refused_page(http_req *rq);

static void code_done(http_req *rq)
{
    signup *su = rq->user;
    error e;
    if (outcome(rq, &e) != 0) {
        if (e.code == ERR_NOT_FOUND) {
            page_discard(&su->page);
            refused_page(rq);
            return;
        }
        page_discard(&su->page);
        web_write_error(rq, &e);
        return;
    }
    static const char *const keys[] = {
        [PHONE_VERIFIED] = NULL,
        [PHONE_CODE_WRONG] = "subscriptions.errors.code_wrong",
        [PHONE_CODE_SPENT] = "subscriptions.errors.code_spent",
        [PHONE_CODE_EXPIRED] = "subscriptions.errors.code_expired",
    };
    if (su->code_outcome == PHONE_VERIFIED)
        message(&su->page, 200, "confirmed", "success");
    else
        code_page(su, 400, keys[su->code_outcome]);
}

static void code_post(http_req *rq)
{
    error e;
    signup *su = signup_open(rq);
    if (!su)
        return;
    const char *handle = form_get(&su->typed, "jeton");
    const char *code = form_get(&su->typed, "code");
    code = code ? code : "";
    if (!broadcast_token_ok(handle)) {
        page_discard(&su->page);
        refused_page(rq);
        return;
    }
    su->handle = handle;
    if (strlen(code) <= CODE_FIELD_MAX && utf8_valid(code, strlen(code)))
        json_object_set_new(su->page.values, "code", json_string(code));
    char digits[PHONE_CODE_DIGITS + 1];
    if (!phone_code_read(code, digits)) {
        code_page(su, 400, "subscriptions.errors.code_invalid");
        return;
    }
    if (web_limit(rq, "subscribe-code", NULL, RATE_CODE) != 0) {
        page_discard(&su->page);
        return;
    }
    rq->user = su;
    http_wait *w = http_wait_begin(rq, code_done);
    int rc = broadcast_confirm_code(rq->core, su->page.tenant->rec.id, handle, digits,
                                    &su->code_outcome, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- links: shown by GET, spent by POST (mail scanners open links) ---- */

/* A page with one button that posts back to action; the token's page is neither cached nor
 * named in a Referer. */
static void button_page(http_req *rq, const char *key, const char *action, const char *jeton)
{
    sub_page p;
    if (page_start(&p, rq) != 0)
        return;
    http_add_header(rq, "Referrer-Policy", "no-referrer");
    http_add_header(rq, "Cache-Control", "no-store");
    char k[96];
    snprintf(k, sizeof k, "subscriptions.%s.intro", key);
    json_object_set_new(p.ctx, "intro", json_string(S(&p, k)));
    snprintf(k, sizeof k, "subscriptions.%s.submit", key);
    json_object_set_new(p.ctx, "submit", json_string(S(&p, k)));
    json_object_set_new(p.ctx, "action", json_string(action));
    if (jeton)
        json_object_set_new(p.values, "jeton", json_string(jeton));
    snprintf(k, sizeof k, "subscriptions.%s.title", key);
    json_object_set_new(p.ctx, "heading", json_string(S(&p, k)));
    page_render(&p, 200, "account/confirm_link", k);
}

static void refused(http_req *rq, const char *key)
{
    sub_page p;
    if (page_start(&p, rq) == 0)
        message(&p, 404, key, "info");
}

/* A code page whose subscription is gone (confirmed, ended, unknown): sign up again. */
static void refused_page(http_req *rq)
{
    refused(rq, "code_gone");
}

static void confirm_get(http_req *rq)
{
    const char *token = form_get(&rq->query, "jeton");
    if (!broadcast_token_ok(token)) {
        refused(rq, "invalid");
        return;
    }
    button_page(rq, "confirm", "/abonnements/confirmer", token);
}

static void link_done(http_req *rq)
{
    error e;
    const char *key = rq->user;
    if (outcome(rq, &e) != 0) {
        if (e.code == ERR_NOT_FOUND)
            refused(rq, "invalid");
        else
            web_write_error(rq, &e);
        return;
    }
    sub_page p;
    if (page_start(&p, rq) == 0)
        message(&p, 200, key, "success");
}

static void confirm_post(http_req *rq)
{
    form f;
    error e;
    if (http_form_body(rq, &f, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    if (web_check_csrf(rq, &f) != 0)
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    rq->user = (void *)"confirmed";
    http_wait *w = http_wait_begin(rq, link_done);
    int rc = broadcast_confirm(rq->core, t->rec.id, form_get(&f, "jeton"), http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void leave_get(http_req *rq)
{
    const char *token = rq->params[0];
    if (!broadcast_token_ok(token)) {
        refused(rq, "invalid");
        return;
    }
    button_page(rq, "leave", arena_printf(rq->arena, "%s%s", BROADCAST_LEAVE_PATH, token), NULL);
}

/* The button's POST and a mail client's one-click POST alike: no CSRF token is asked for
 * (a mail client has none); the secret in the path is what allows it, and all it allows is
 * leaving. */
static void leave_post(http_req *rq)
{
    form f;
    error e;
    if (http_form_body(rq, &f, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    rq->user = (void *)"left";
    http_wait *w = http_wait_begin(rq, link_done);
    int rc = broadcast_leave(rq->core, t->rec.id, rq->params[0], http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route portal_subscription_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/abonnements", form_get_page},
    {HTTP_POST, "/abonnements", subscribe_post},
    {HTTP_GET | HTTP_HEAD, "/abonnements/confirmer", confirm_get},
    {HTTP_POST, "/abonnements/confirmer", confirm_post},
    {HTTP_POST, "/abonnements/code", code_post},
    {HTTP_GET | HTTP_HEAD, "/abonnements/quitter/{}", leave_get},
    {0, NULL, NULL},
};

const http_route portal_unsubscribe_routes[] = {
    {HTTP_POST, "/abonnements/quitter/{}", leave_post},
    {0, NULL, NULL},
};

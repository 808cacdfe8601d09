/*
 * account_phone — «Vérifier mon numéro» on the account page (/compte/preferences): POST
 * /compte/telephone/code sends a six-digit code by SMS to the account's number (at most three
 * an hour from an account), POST /compte/telephone/verifier checks the code typed back
 * (core/phone_verify.h). Each answers with a redirection to the account page, whose
 * ?telephone= names what happened (a fixed set of states the page words): plain forms, no
 * script.
 */
#include <stdio.h>
#include <string.h>

#include "core/phone_verify.h"
#include "web/portal/portal.h"
#include "web/web.h"

#define BACK "/compte/preferences"
#define CODES_PER_HOUR 3.0

static void back_to(http_req *rq, const char *state)
{
    web_redirect(rq, arena_printf(rq->arena, BACK "?telephone=%s#verification-titre", state));
}

/* The form, checked, and the logged-in account; -1 after answering. */
static int start(http_req *rq, form *f, store_account *acc)
{
    error e;
    if (http_form_body(rq, f, &e) != 0) {
        web_write_error(rq, &e);
        return -1;
    }
    if (web_check_csrf(rq, f) != 0)
        return -1;
    return portal_require_login(rq, acc, BACK);
}

/* An error core refused at once or the write reported: the page's state for it. */
static const char *state_of(const error *e)
{
    if (e->code == ERR_MISSING_ARG && strcmp(e->arg, "phone") == 0)
        return "no_phone";
    if (e->code == ERR_CONFLICT && strcmp(e->arg, "phone") == 0)
        return "changed";
    if (e->code == ERR_CONFLICT && strcmp(e->arg, "phone_verified") == 0)
        return "verified"; /* a second tab's click: it is done */
    if (e->code == ERR_INVALID_ARG && strcmp(e->arg, "code") == 0)
        return "code_invalid";
    return NULL;
}

static void written(http_req *rq, const char *ok_state)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        back_to(rq, ok_state ? ok_state : (const char *)rq->user);
        return;
    }
    const char *state = state_of(&w->err);
    if (state)
        back_to(rq, state);
    else
        web_write_error(rq, &w->err);
}

static void code_sent(http_req *rq)
{
    written(rq, "code_sent");
}

static void code_post(http_req *rq)
{
    form f;
    store_account acc;
    if (start(rq, &f, &acc) != 0)
        return;
    error e;
    error_clear(&e);
    /* Each code is an SMS the collectivité pays for, and a guess's chance: bounded. */
    const char *bucket = arena_printf(rq->arena, "phone-code:%lld", (long long)acc.id);
    if (http_ratelimit(rq, bucket, CODES_PER_HOUR / 3600.0, CODES_PER_HOUR, &e) != 0) {
        back_to(rq, "too_many");
        return;
    }
    http_wait *w = http_wait_begin(rq, code_sent);
    int rc = phone_verify_send(rq->core, acc.tenant_id, acc.id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void checked(http_req *rq)
{
    static const char *const states[] = {[PHONE_VERIFIED] = "verified",
                                         [PHONE_CODE_WRONG] = "code_wrong",
                                         [PHONE_CODE_SPENT] = "code_spent",
                                         [PHONE_CODE_EXPIRED] = "code_wrong"};
    const phone_verify_outcome *o = rq->user;
    rq->user = (void *)states[*o];
    written(rq, NULL);
}

static void verify_post(http_req *rq)
{
    form f;
    store_account acc;
    if (start(rq, &f, &acc) != 0)
        return;
    phone_verify_outcome *o = arena_alloc(rq->arena, sizeof *o);
    if (!o) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    rq->user = o;
    error e;
    error_clear(&e);
    const char *code = form_get(&f, "code");
    http_wait *w = http_wait_begin(rq, checked);
    int rc = phone_verify_check(rq->core, acc.tenant_id, acc.id, code ? code : "", o,
                                http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route portal_account_phone_routes[] = {
    {HTTP_POST, "/compte/telephone/code", code_post},
    {HTTP_POST, "/compte/telephone/verifier", verify_post},
    {0, NULL, NULL},
};

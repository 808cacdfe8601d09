/*
 * bo_receipt — what an agent hands a citizen who filed by phone, at the counter or by post:
 * the printable receipt (the collectivité's name, logo and contact, the reference, the short
 * tracking code, the procedure, the date and how to follow the request, in the request's
 * language), and a new short code for a request whose code was lost or that was filed before
 * codes existed. The code is never stored in clear: the receipt is asked for with the code
 * the previous page showed (a POST, so that it stays out of URLs and histories), and core
 * checks it with its delays like any other entry of a code.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/perm.h"
#include "core/request.h"
#include "core/short_code.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

/* The request an agent's POST on /agent/demandes/{ref}/… is about, and who asks: the first
 * member of each handler's state. */
typedef struct request_action {
    store_agent a;
    const cat_tenant *t;
    store_request r;
} request_action;

/* Allocates a zeroed state of `size` bytes (a struct whose first member is a request_action)
 * and fills that from the agent's session, the collectivité, the form (CSRF checked) and the
 * request of the path, within the agent's scope; sets rq->user. NULL after answering. */
static void *action_begin(http_req *rq, size_t size, form *f)
{
    request_action *act = arena_alloc(rq->arena, size);
    if (!act) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &e);
        return NULL;
    }
    memset(act, 0, size);
    if (!bo_agent(rq, &act->a) || !(act->t = web_tenant(rq)) || bo_form(rq, f) != 0 ||
        !bo_open_request(rq, &act->a, act->t, rq->params[0], &act->r))
        return NULL;
    rq->user = act;
    return act;
}

/* What the receipt keeps across the code's check. */
typedef struct receipt_state {
    request_action act;
    char code[SHORT_CODE_LEN + 1]; /* canonical */
    request_code_result res;
} receipt_state;

/* The code could not be checked or was refused (a tampered form, or delays after wrong
 * codes): said on a back-office page whose error summary leads to the way back to the
 * request (id "code"). */
static void receipt_refused(http_req *rq, const receipt_state *st, int status, const char *text)
{
    bo_page p;
    if (bo_page_start(&p, rq, &st->act.a) != 0)
        return;
    bo_page_error(&p, "code", text);
    bo_page_set(&p, "reference", json_string(st->act.r.reference));
    bo_page_set(&p, "request_url",
                json_string(arena_printf(rq->arena, "/agent/demandes/%s",
                                         bo_url(rq, st->act.r.reference))));
    bo_page_render(&p, status, "agent/receipt_refused", bo_page_str(&p, "intake.receipt_title"));
}

static void receipt_show(http_req *rq)
{
    receipt_state *st = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc != 0 && outcome->err.code != ERR_INVALID_ARG) {
        http_respond_error(rq, &outcome->err);
        return;
    }
    if (outcome->rc != 0 || !st->res.opened) {
        const char *text =
            outcome->rc != 0
                ? present_string(rq->present, rq->lang, "intake.receipt_bad_code")
                : arena_printf(rq->arena, "%s %" PRId64 " s.",
                               present_string(rq->present, rq->lang, "intake.receipt_wait"),
                               st->res.wait_seconds);
        receipt_refused(rq, st, outcome->rc != 0 ? 400 : 429, text);
        return;
    }
    /* The citizen's page: in the language their request was filed in. */
    rq->lang = st->act.r.lang && strcmp(st->act.r.lang, "en") == 0 ? LANG_EN : LANG_FR;
    json_t *ctx = web_context(rq);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &e);
        return;
    }
    const cat_procedure *p = catalogue_procedure_by_id(st->act.t, st->act.r.procedure_id);
    char shown[SHORT_CODE_DISPLAY_SIZE];
    short_code_format(st->code, shown);
    present_set_str_opt(
        ctx, "title",
        arena_printf(rq->arena, "%s %s",
                     present_string(rq->present, rq->lang, "procedure.receipt_title"),
                     st->act.r.reference));
    present_set_str_opt(ctx, "reference", st->act.r.reference);
    present_set_str_opt(ctx, "short_code", shown);
    present_set_str_opt(ctx, "procedure_name", web_procedure_name(rq, p));
    present_set_str_opt(ctx, "created", bo_date(rq, st->act.t, st->act.r.created_at, 1));
    present_set_str_opt(ctx, "channel_label", bo_channel_label(rq, st->act.r.channel));
    present_set_str_opt(ctx, "lookup_url",
                        arena_printf(rq->arena, "%s/suivi", http_base_url(rq, st->act.t)));
    present_set_str_opt(
        ctx, "request_url",
        arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, st->act.r.reference)));
    if (st->act.r.email && *st->act.r.email && st->act.r.notify &&
        strcmp(st->act.r.notify, "email") == 0)
        present_set_str_opt(ctx, "email", st->act.r.email);
    web_render(rq, 200, "agent/receipt", ctx);
}

/* POST /agent/demandes/{ref}/recu, code: the receipt to print for the citizen. */
static void bo_receipt(http_req *rq)
{
    form f;
    receipt_state *st = action_begin(rq, sizeof *st, &f);
    if (!st)
        return;
    const char *typed = form_get(&f, "code");
    if (typed && short_code_normalise(typed, st->code) != 0)
        st->code[0] = '\0';
    error err;
    error_clear(&err);
    http_wait *w = http_wait_begin(rq, receipt_show);
    int rc = request_code_check(rq->core, st->act.t, st->act.r.reference, st->code,
                                web_client_network(rq), &st->res, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* What a new code's page keeps across its write. */
typedef struct renew_state {
    request_action act;
    char code[SHORT_CODE_LEN + 1];
} renew_state;

static void renew_done(http_req *rq)
{
    renew_state *st = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc != 0) {
        bo_write_refused(rq, &outcome->err);
        return;
    }
    json_t *ctx = bo_context(rq, &st->act.a);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &e);
        return;
    }
    char shown[SHORT_CODE_DISPLAY_SIZE];
    short_code_format(st->code, shown);
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "intake.code_title"));
    present_set_str_opt(ctx, "reference", st->act.r.reference);
    present_set_str_opt(ctx, "short_code", shown);
    present_set_str_opt(ctx, "code", st->code);
    present_set_str_opt(
        ctx, "request_url",
        arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, st->act.r.reference)));
    present_set_str_opt(ctx, "tracking_url",
                        arena_printf(rq->arena, "%s/suivi", http_base_url(rq, st->act.t)));
    bo_render(rq, 201, "agent/code_done", ctx);
}

/* POST /agent/demandes/{ref}/code: a new short code, replacing the old one. */
static void bo_renew_code(http_req *rq)
{
    form f;
    renew_state *st = action_begin(rq, sizeof *st, &f);
    if (!st)
        return;
    if (!perm_can_change(&st->act.a, &st->act.r)) {
        bo_forbidden(rq);
        return;
    }
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, &st->act.a);
    http_wait *w = http_wait_begin(rq, renew_done);
    /* With the collectivité's address: the citizen who chose news by e-mail gets the code. */
    int rc = request_code_renew(rq->core, st->act.t, st->act.r.reference, &who,
                                http_base_url(rq, st->act.t), st->code, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_receipt_routes[] = {
    {HTTP_POST, "/agent/demandes/{}/recu", bo_receipt},
    {HTTP_POST, "/agent/demandes/{}/code", bo_renew_code},
    {0, NULL, NULL},
};

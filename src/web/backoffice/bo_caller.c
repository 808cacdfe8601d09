/*
 * bo_caller — the caller lookup of the telephone channel, GET /agent/appel?tel=…: the agent
 * (or a telephony system's screen-pop opening this address) sees who is calling before
 * saying «bonjour» — the contact card and the requests of that number within the agent's
 * scope (core/caller.h, which audits the read) — and files a new request for the caller
 * through the intake form, prefilled with the number, the name and e-mail known, and the
 * channel «téléphone». Without a number, or with one that is refused, the page is a form.
 */
#include <string.h>

#include "core/caller.h"
#include "core/perm.h"
#include "present/present.h"
#include "util/log.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/form_field.h"
#include "web/web.h"

/* Longest number typed that the page looks up (blanks and punctuation included). */
#define TEL_MAX 40

/* The intake form for this caller: channel phone, the number, the name and e-mail known. */
static const char *intake_url(http_req *rq, const caller_card *cc)
{
    const char *url =
        arena_printf(rq->arena, "/agent/saisie?canal=phone&tel=%s", bo_url(rq, cc->phone));
    if (cc->first_name)
        url = arena_printf(rq->arena, "%s&prenom=%s", url, bo_url(rq, cc->first_name));
    if (cc->last_name)
        url = arena_printf(rq->arena, "%s&nom=%s", url, bo_url(rq, cc->last_name));
    if (cc->email)
        url = arena_printf(rq->arena, "%s&email=%s", url, bo_url(rq, cc->email));
    return url;
}

static json_t *accounts_json(http_req *rq, const caller_card *cc)
{
    json_t *out = json_array();
    for (size_t i = 0; i < cc->n_accounts; i++) {
        const store_account *acc = &cc->accounts[i];
        json_t *o = json_object();
        present_set_str_opt(o, "name",
                            acc->display_name && *acc->display_name ? acc->display_name : NULL);
        present_set_str_opt(o, "email", acc->email);
        present_set_str_opt(o, "lang",
                            present_string(rq->present, rq->lang,
                                           acc->lang && strcmp(acc->lang, "en") == 0
                                               ? "request_bo.lang_en"
                                               : "request_bo.lang_fr"));
        const char *notify =
            acc->notify && (strcmp(acc->notify, "sms") == 0 || strcmp(acc->notify, "none") == 0)
                ? acc->notify
                : "email";
        present_set_str_opt(o, "notify",
                            present_string(rq->present, rq->lang,
                                           arena_printf(rq->arena, "caller.notify_%s", notify)));
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *requests_json(http_req *rq, const cat_tenant *t, const caller_card *cc)
{
    json_t *out = json_array();
    for (size_t i = 0; i < cc->n_requests; i++) {
        const store_request *r = &cc->requests[i];
        const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
        json_t *o = json_object();
        present_set_str_opt(o, "reference", r->reference);
        present_set_str_opt(
            o, "url", arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, r->reference)));
        present_set_str_opt(o, "procedure", web_procedure_name(rq, p));
        web_set_status(rq, o, p, r->status, rq->lang, WEB_AGENT);
        present_set_str_opt(o, "created",
                            present_date(rq->arena, rq->lang, r->created_at, t->rec.timezone, 0));
        present_set_str_opt(
            o, "state",
            present_string(rq->present, rq->lang, r->closed_at ? "caller.closed" : "caller.open"));
        json_array_append_new(out, o);
    }
    return out;
}

static void bo_caller_get(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    const char *tel = form_get(&rq->query, "tel");
    if (tel && tel[strspn(tel, " \t")] == '\0')
        tel = NULL;
    if (!tel) {
        bo_page_render(&p, 200, "agent/caller", bo_page_str(&p, "caller.title"));
        return;
    }
    bo_page_value(&p, "tel", tel);
    if (strlen(tel) > TEL_MAX) {
        bo_page_error_key(&p, "tel", "caller.error_long");
        bo_page_render(&p, 200, "agent/caller", bo_page_str(&p, "caller.title"));
        return;
    }
    core_actor who = bo_who(rq, &a);
    caller_card cc;
    error err;
    error_clear(&err);
    if (caller_lookup(rq->core, t, &who, tel, rq->arena, &cc, NULL, &err) != 0) {
        if (err.code != ERR_INVALID_ARG) {
            bo_page_fail(&p, &err);
            return;
        }
        bo_page_error(&p, "tel", form_field_phone_refusal(rq->arena, rq->present, rq->lang, tel));
        bo_page_render(&p, 200, "agent/caller", bo_page_str(&p, "caller.title"));
        return;
    }
    json_t *card = json_object();
    present_set_str_opt(card, "phone", cc.phone);
    const char *name = cc.first_name || cc.last_name
                           ? arena_printf(rq->arena, "%s%s%s", cc.first_name ? cc.first_name : "",
                                          cc.first_name && cc.last_name ? " " : "",
                                          cc.last_name ? cc.last_name : "")
                           : NULL;
    present_set_str_opt(card, "name", name);
    present_set_str_opt(card, "email", cc.email);
    json_object_set_new(card, "known", json_boolean(cc.n_requests > 0 || cc.n_accounts > 0));
    json_object_set_new(card, "has_accounts", json_boolean(cc.n_accounts > 0));
    json_object_set_new(card, "accounts", accounts_json(rq, &cc));
    json_object_set_new(card, "has_requests", json_boolean(cc.n_requests > 0));
    json_object_set_new(card, "requests", requests_json(rq, t, &cc));
    present_set_str_opt(card, "count", arena_printf(rq->arena, "%lld", (long long)cc.count));
    json_object_set_new(card, "more", json_boolean(cc.count > (int64_t)cc.n_requests));
    present_set_str_opt(card, "shown", arena_printf(rq->arena, "%zu", cc.n_requests));
    /* Élus read but do not file: no intake button for them. */
    if (perm_can_intake(&a))
        present_set_str_opt(card, "intake_url", intake_url(rq, &cc));
    bo_page_set(&p, "caller", card);
    bo_page_render(&p, 200, "agent/caller",
                   arena_printf(rq->arena, "%s %s", bo_page_str(&p, "caller.title"), cc.phone));
}

const http_route bo_caller_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/appel", bo_caller_get},
    {0, NULL, NULL},
};

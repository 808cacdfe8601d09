/*
 * bo_admin_sms — under /agent/admin/sms, for admins: the collectivité's SMS gateway (Kannel's
 * sendsms URL, the account there, its password — never shown again, kept when the field is
 * left empty —, the sender id, the gateway key its delivery reports carry, sealed and kept
 * the same way — they come back to this server's base URL —, and the rate of broadcast SMS),
 * and «Envoyer un SMS de test»,
 * which shows what Kannel answered. The change is core's (sms_gateway_set: the change and its
 * "admin" audit entry in one job); the page waits for it with its connection suspended. Below,
 * the keywords an SMS report starts with, each with its incident procedure, added and removed
 * (core/sms_keyword.h, audited the same way). No script: plain forms.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "channels/sms/sms.h"
#include "core/sms.h"
#include "core/sms_keyword.h"
#include "util/phone.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/form_field.h"
#include "web/web.h"

#define TAB "/agent/admin/sms"

static const char *const gateway_fields[] = {"sendsms_url", "username",       "password", "sender",
                                             "dlr_key",     "broadcast_rate", NULL};

/* The keywords and the procedures one may be given (`chosen` selected). 0, or -1 after
 * failing the page. */
static int keywords_set(bo_page *p, const char *chosen)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    store_sms_keyword *kw = NULL;
    size_t n = 0;
    error e;
    error_clear(&e);
    if (sms_keyword_list(rq->core, t->rec.id, rq->arena, &kw, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *pr = catalogue_procedure_by_id(t, kw[i].procedure_id);
        json_t *o = json_object();
        present_set_str(o, "keyword", kw[i].keyword);
        present_set_str(o, "procedure", pr ? web_procedure_name(rq, pr) : "—");
        json_array_append_new(list, o);
    }
    bo_page_set(p, "keywords", list);
    bo_page_set(p, "has_keywords", json_boolean(n > 0));
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *pr = &t->procedures[i];
        if (!sms_keyword_procedure_ok(pr))
            continue;
        json_t *o = json_object();
        present_set_str(o, "value", pr->rec.code);
        present_set_str(o, "label", web_procedure_name(rq, pr));
        if (chosen && strcmp(chosen, pr->rec.code) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(procs, o);
    }
    bo_page_set(p, "has_keyword_procedures", json_boolean(json_array_size(procs) > 0));
    bo_page_set(p, "keyword_procedures", procs);
    return 0;
}

/* The page, its form filled from the stored gateway unless `typed` (the gateway's form posted
 * back); `procedure` the one the keyword form had chosen (NULL: none). */
static void page_render(bo_page *p, int status, const form *typed, const char *procedure)
{
    http_req *rq = p->rq;
    if (keywords_set(p, procedure) != 0)
        return;
    if (!typed) {
        sms_gateway g;
        int found = 0;
        error e;
        error_clear(&e);
        if (sms_gateway_get(rq->core, bo_admin_tenant(rq), rq->arena, &g, &found, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        if (found) {
            bo_page_value(p, "sendsms_url", g.sendsms_url);
            bo_page_value(p, "username", g.username);
            bo_page_value(p, "sender", g.sender ? g.sender : "");
            bo_page_value(p, "broadcast_rate", arena_printf(rq->arena, "%d", g.broadcast_rate));
            bo_page_set(p, "has_gateway", json_true());
            bo_page_set(p, "has_dlr_key", json_boolean(g.dlr_key[0] != '\0'));
            sodium_memzero(g.password, sizeof g.password);
            sodium_memzero(g.dlr_key, sizeof g.dlr_key);
            bo_page_set(p, "updated", json_string(bo_admin_when(rq, g.updated_at)));
        }
    } else {
        for (size_t i = 0; gateway_fields[i]; i++)
            if (strcmp(gateway_fields[i], "password") != 0 &&
                strcmp(gateway_fields[i], "dlr_key") != 0)
                bo_page_value(p, gateway_fields[i], bo_admin_field(typed, gateway_fields[i]));
    }
    bo_page_render(p, status, "agent/admin/sms", bo_page_str(p, "sms.admin.title"));
}

static void sms_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    page_render(&p, 200, NULL, NULL);
}

static int input_error(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_MISSING_ARG;
}

static void gateway_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    const char *field = bo_admin_error_field(&w->err, gateway_fields, "sendsms_url");
    bo_page_error_key(p, field, arena_printf(p->rq->arena, "sms.admin.error_%s", field));
    page_render(p, 400, &st->f, NULL);
}

static int gateway_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    sms_gateway_input in = {.sendsms_url = bo_admin_field(&st->f, "sendsms_url"),
                            .username = bo_admin_field(&st->f, "username"),
                            .password = bo_admin_field(&st->f, "password"),
                            .sender = bo_admin_field(&st->f, "sender"),
                            .dlr_key = bo_admin_field(&st->f, "dlr_key"),
                            .broadcast_rate = bo_admin_field(&st->f, "broadcast_rate"),
                            /* Where Kannel reports: this server's configured base URL. */
                            .callback_base = http_base_url(rq, rq->host_tenant)};
    return sms_gateway_set(rq->core, &st->who, bo_admin_tenant(rq), &in, http_wait_done, w, e);
}

static const bo_admin_cycle gateway_cycle = {.tab = TAB,
                                             .done = "sms_saved",
                                             .apply = gateway_apply,
                                             .refused = input_error,
                                             .render = gateway_render};

static void save_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &gateway_cycle);
}

/* After Kannel's answer, or why there was none: the page with it. */
static void tested(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0 && w->err.code != ERR_NOT_FOUND && w->err.code != ERR_UNAVAILABLE) {
        web_write_error(rq, &w->err); /* the gateway's settings could not be read */
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    bo_page_value(&p, "test_phone", bo_admin_field(&st->f, "test_phone"));
    if (w->rc != 0 && w->err.code == ERR_NOT_FOUND) {
        bo_page_error_key(&p, "test_phone", "sms.admin.error_no_gateway");
        page_render(&p, 400, NULL, NULL);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_boolean(w->rc == 0));
    present_set_str(o, "answer", (const char *)st->page);
    bo_page_set(&p, "test", o);
    page_render(&p, 200, NULL, NULL);
}

/* Sends one SMS through the stored gateway and shows Kannel's answer. Kannel may take up to
 * SMS_DEFAULT_TIMEOUT_S: the try runs on a thread of its own (sms_test_send), the connection
 * suspended meanwhile. */
static void test_post(http_req *rq)
{
    store_agent a;
    form f;
    bo_page p;
    if (bo_admin_form(rq, &a, &f) != 0 || bo_page_start(&p, rq, &a) != 0)
        return;
    const char *typed = bo_admin_field(&f, "test_phone");
    char to[PHONE_E164_MAX];
    phone_result pr;
    if (phone_e164(typed, to, &pr) != 0) {
        bo_admin_tabs(&p, TAB);
        bo_page_value(&p, "test_phone", typed);
        const char *why = form_field_phone_refusal(rq->arena, rq->present, rq->lang, typed);
        bo_page_error(&p, "test_phone", why ? why : bo_page_str(&p, "sms.admin.error_test_phone"));
        page_render(&p, 400, NULL, NULL);
        return;
    }
    /* The text in the admin's language. */
    const char *text = arena_strdup(rq->arena, bo_page_str(&p, "sms.admin.test_text"));
    bo_page_discard(&p);
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, SMS_TEST_ANSWER_MAX);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, tested);
    int rc = sms_test_send(rq->core, bo_admin_tenant(rq), to, text ? text : "", st->page,
                           SMS_TEST_ANSWER_MAX, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static int keyword_refused(const error *e)
{
    return input_error(e) || e->code == ERR_CONFLICT;
}

static void keyword_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    http_req *rq = p->rq;
    if (strcmp(w->err.arg, "procedure") == 0) {
        bo_page_error_key(p, "keyword_procedure", "sms.admin.error_keyword_procedure");
    } else {
        /* The problem again, from what was typed: the error crossed a thread. */
        char folded[SMS_KEYWORD_FOLDED_MAX + 1];
        sms_keyword_problem pb =
            w->err.code == ERR_CONFLICT
                ? sms_keyword_conflict(&w->err)
                : sms_keyword_normalise(bo_admin_field(&st->f, "keyword"), folded, sizeof folded);
        bo_page_error_key(
            p, "keyword",
            arena_printf(rq->arena, "sms.admin.error_keyword_%s", sms_keyword_problem_name(pb)));
    }
    bo_page_value(p, "keyword", bo_admin_field(&st->f, "keyword"));
    page_render(p, 400, NULL, bo_admin_field(&st->f, "keyword_procedure"));
}

static int keyword_add(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return sms_keyword_add_as(
        rq->core, &st->who, rq->host_tenant, bo_admin_field(&st->f, "keyword"),
        bo_admin_field(&st->f, "keyword_procedure"), NULL, http_wait_done, w, e);
}

static const bo_admin_cycle keyword_cycle = {.tab = TAB,
                                             .done = "sms_keyword_saved",
                                             .apply = keyword_add,
                                             .refused = keyword_refused,
                                             .render = keyword_render};

static void keyword_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &keyword_cycle);
}

static int keyword_remove(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return sms_keyword_delete_as(rq->core, &st->who, bo_admin_tenant(rq),
                                 bo_admin_field(&st->f, "keyword"), http_wait_done, w, e);
}

static const bo_admin_cycle keyword_remove_cycle = {
    .tab = TAB, .done = "sms_keyword_removed", .apply = keyword_remove};

static void keyword_remove_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &keyword_remove_cycle);
}

const http_route bo_admin_sms_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, sms_get},
    {HTTP_POST, TAB, save_post},
    {HTTP_POST, TAB "/test", test_post},
    {HTTP_POST, TAB "/mots-cles", keyword_post},
    {HTTP_POST, TAB "/mots-cles/retirer", keyword_remove_post},
    {0, NULL, NULL},
};

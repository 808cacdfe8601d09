/*
 * bo_admin_sms — under /agent/admin/sms, for admins: the collectivité's SMS gateway (Kannel's
 * sendsms URL, the account there, its password — never shown again, kept when the field is
 * left empty —, the sender id, and the gateway key its delivery reports carry, sealed and
 * kept the same way; they come back to this server's base URL), and «Envoyer un SMS de test»,
 * which shows what Kannel answered. The change is core's (sms_gateway_set: the change and its
 * "admin" audit entry in one job); the page waits for it with its connection suspended. No script:
 * plain forms.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "channels/sms/sms.h"
#include "core/sms.h"
#include "util/phone.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/form_field.h"
#include "web/web.h"

#define TAB "/agent/admin/sms"

static const char *const gateway_fields[] = {"sendsms_url", "username", "password",
                                             "sender",      "dlr_key",  NULL};

/* The page, its form filled from the stored gateway unless `typed` (a form posted back). */
static void page_render(bo_page *p, int status, const form *typed)
{
    http_req *rq = p->rq;
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
    page_render(&p, 200, NULL);
}

static void saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, "sms_saved");
        return;
    }
    if (w->err.code != ERR_INVALID_ARG && w->err.code != ERR_MISSING_ARG) {
        web_write_error(rq, &w->err);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    const char *field = bo_admin_error_field(&w->err, gateway_fields, "sendsms_url");
    bo_page_error_key(&p, field, arena_printf(rq->arena, "sms.admin.error_%s", field));
    page_render(&p, 400, &st->f);
}

static void save_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    sms_gateway_input in = {.sendsms_url = bo_admin_field(&st->f, "sendsms_url"),
                            .username = bo_admin_field(&st->f, "username"),
                            .password = bo_admin_field(&st->f, "password"),
                            .sender = bo_admin_field(&st->f, "sender"),
                            .dlr_key = bo_admin_field(&st->f, "dlr_key"),
                            /* Where Kannel reports: this server's configured base URL. */
                            .callback_base = http_base_url(rq, rq->host_tenant)};
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, saved);
    int rc = sms_gateway_set(rq->core, &st->who, bo_admin_tenant(rq), &in, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* Sends one SMS through the stored gateway and shows Kannel's answer. The request waits for
 * Kannel (at most SMS_DEFAULT_TIMEOUT_S): an administrator's rare test, not a citizen's page. */
static void test_post(http_req *rq)
{
    store_agent a;
    form f;
    bo_page p;
    if (bo_admin_form(rq, &a, &f) != 0 || bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    const char *typed = bo_admin_field(&f, "test_phone");
    bo_page_value(&p, "test_phone", typed);
    char to[PHONE_E164_MAX];
    phone_result pr;
    if (phone_e164(typed, to, &pr) != 0) {
        const char *why = form_field_phone_refusal(rq->arena, rq->present, rq->lang, typed);
        bo_page_error(&p, "test_phone", why ? why : bo_page_str(&p, "sms.admin.error_test_phone"));
        page_render(&p, 400, NULL);
        return;
    }
    sms_gateway g;
    int found = 0;
    error e;
    error_clear(&e);
    if (sms_gateway_get(rq->core, bo_admin_tenant(rq), rq->arena, &g, &found, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    if (!found) {
        bo_page_error_key(&p, "test_phone", "sms.admin.error_no_gateway");
        page_render(&p, 400, NULL);
        return;
    }
    const char *answer = NULL;
    int ok =
        sms_send_test(&g, to, bo_page_str(&p, "sms.admin.test_text"), rq->arena, &answer, &e) == 0;
    sodium_memzero(g.password, sizeof g.password);
    sodium_memzero(g.dlr_key, sizeof g.dlr_key);
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_boolean(ok));
    present_set_str(o, "answer", answer ? answer : "");
    bo_page_set(&p, "test", o);
    page_render(&p, 200, NULL);
}

const http_route bo_admin_sms_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, sms_get},
    {HTTP_POST, TAB, save_post},
    {HTTP_POST, TAB "/test", test_post},
    {0, NULL, NULL},
};

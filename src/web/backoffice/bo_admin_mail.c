/*
 * bo_admin_mail — the collectivité's e-mail settings under /agent/admin/messagerie, for
 * admins: its own SMTP relay (which wins over the server's --smtp-url), its sender, the reply
 * address its messages' Reply-To is made of; and «Envoyer un message de test» to a typed
 * address through the relay saved, whose answer (accepted, or the SMTP error) the page shows.
 * The contact addresses where citizens' new mail arrives are edited on «Courriels reçus»
 * (bo_admin_mail_in), which the page links to: one editor of those rows. Every field is checked at
 * once (core's mail_settings_check) and the change is written with its "admin" audit entry by
 * mail_settings_set_as; the relay's password is sealed and never shown again. Pages wait for
 * the write, or for the relay, with their connection suspended.
 */
#include <stdio.h>
#include <string.h>

#include "channels/mail/mail.h"
#include "core/mail_settings.h"
#include "core/outbox.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/messagerie"

/* The settings form's fields, in their order on the page. */
static const char *const fields[] = {
    "smtp_url",  "smtp_user",   "smtp_password", "from_addr",
    "from_name", "reply_local", "reply_domain",
};

static const char *const kind_names[] = {
    [MAIL_PROBLEM_REQUIRED] = "required",
    [MAIL_PROBLEM_TOO_LONG] = "too_long",
    [MAIL_PROBLEM_BAD] = "bad",
};

static void problem_error(bo_page *p, const mail_settings_problem *pb)
{
    bo_page_error_key(
        p, pb->field,
        arena_printf(p->rq->arena, "admin.mail.error_%s_%s", pb->field, kind_names[pb->kind]));
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* The values as stored (the password never). */
static int values_of_store(bo_page *p, int *has_password)
{
    http_req *rq = p->rq;
    int64_t tenant = bo_admin_tenant(rq);
    store_mail_settings ms;
    int found = 0;
    error e;
    error_clear(&e);
    if (mail_settings_get(rq->core, tenant, rq->arena, &ms, &found, &e) != 0) {
        bo_page_fail(p, &e);
        return -1;
    }
    *has_password = found && ms.smtp_password != NULL;
    if (found) {
        bo_page_value(p, "smtp_url", or_empty(ms.smtp_url));
        bo_page_value(p, "smtp_user", or_empty(ms.smtp_user));
        bo_page_value(p, "from_addr", or_empty(ms.from_addr));
        bo_page_value(p, "from_name", or_empty(ms.from_name));
        bo_page_value(p, "reply_local", or_empty(ms.reply_local));
        bo_page_value(p, "reply_domain", or_empty(ms.reply_domain));
    }
    return 0;
}

/* The page. form: the settings as typed (NULL: as stored); test_to: the test's address. */
static void mail_render_page(bo_page *p, int status, const form *f, const char *test_to)
{
    http_req *rq = p->rq;
    int has_password = 0;
    if (f) {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (strcmp(fields[i], "smtp_password") != 0)
                bo_page_value(p, fields[i], bo_admin_field(f, fields[i]));
        /* Whether one is stored is the store's word, not the form's. */
        store_mail_settings ms;
        int found = 0;
        error e;
        error_clear(&e);
        if (mail_settings_get(rq->core, bo_admin_tenant(rq), rq->arena, &ms, &found, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        has_password = found && ms.smtp_password;
    } else if (values_of_store(p, &has_password) != 0) {
        return;
    }
    bo_page_set(p, "has_password", json_boolean(has_password));
    bo_page_value(p, "test_to", test_to ? test_to : "");
    bo_page_render(p, status, "agent/admin/mail", bo_page_str(p, "admin.mail.title"));
}

static void mail_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    mail_render_page(&p, 200, NULL, NULL);
}

static void input_of_form(const form *f, mail_settings_input *in)
{
    in->smtp_url = bo_admin_field(f, "smtp_url");
    in->smtp_user = bo_admin_field(f, "smtp_user");
    in->smtp_password = bo_admin_field(f, "smtp_password");
    in->from_addr = bo_admin_field(f, "from_addr");
    in->from_name = bo_admin_field(f, "from_name");
    in->reply_local = bo_admin_field(f, "reply_local");
    in->reply_domain = bo_admin_field(f, "reply_domain");
}

static void settings_check(bo_page *p, bo_admin_write *st)
{
    mail_settings_input in;
    input_of_form(&st->f, &in);
    mail_settings_problem pbs[MAIL_SETTINGS_PROBLEMS_MAX];
    size_t n = mail_settings_check(&in, pbs, MAIL_SETTINGS_PROBLEMS_MAX);
    for (size_t i = 0; i < n && i < MAIL_SETTINGS_PROBLEMS_MAX; i++)
        problem_error(p, &pbs[i]);
}

static int settings_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    mail_settings_input in;
    input_of_form(&st->f, &in);
    return mail_settings_set_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), &in, http_wait_done,
                                w, e);
}

/* Only a refused check renders the page again (w NULL): every write error is an error page. */
static void settings_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    (void)w;
    mail_render_page(p, 400, &st->f, NULL);
}

static const bo_admin_cycle settings_cycle = {.tab = TAB,
                                              .done = "mail_saved",
                                              .check = settings_check,
                                              .apply = settings_apply,
                                              .render = settings_render};

static void settings_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &settings_cycle);
}

/* ---- the test message ---- */

static void test_check(bo_page *p, bo_admin_write *st)
{
    const char *to = bo_admin_field(&st->f, "test_to");
    if (!*to || strlen(to) > MAIL_SETTINGS_ADDR_MAX || !outbox_email_ok(to))
        bo_page_error_key(p, "test_to", "admin.mail.error_test_to");
}

static int test_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    /* The message's words in the admin's language, with the collectivité's name. */
    const char *name = rq->host_tenant ? rq->host_tenant->rec.name : "";
    char text[1024];
    present_fill(text, sizeof text, bo_page_str(p, "admin.mail.test_body"), "name", name);
    const char *subject = arena_strdup(rq->arena, bo_page_str(p, "admin.mail.test_subject"));
    return mail_test_send(rq->core, bo_admin_tenant(rq), bo_admin_field(&st->f, "test_to"), subject,
                          text, st->page, MAIL_TEST_ANSWER_MAX, http_wait_done, w, e);
}

/* Whatever the relay answered, the page shows it. */
static int any_answer(const error *e)
{
    (void)e;
    return 1;
}

/* After the relay's answer: the page with it; or the address refused. */
static void test_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    const char *to = bo_admin_field(&st->f, "test_to");
    if (!w) {
        mail_render_page(p, 400, NULL, to);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_boolean(w->rc == 0));
    if (w->rc != 0 && w->err.code == ERR_NOT_FOUND) {
        json_object_set_new(o, "no_relay", json_true());
    } else {
        present_set_str(o, "to", to);
        present_set_str(o, "answer", w->rc == 0 ? (const char *)st->page : w->err.detail);
    }
    bo_page_set(p, "test_result", o);
    mail_render_page(p, 200, NULL, to);
}

static const bo_admin_cycle test_cycle = {.tab = TAB,
                                          .page_size = MAIL_TEST_ANSWER_MAX,
                                          .check = test_check,
                                          .apply = test_apply,
                                          .refused = any_answer,
                                          .render = test_render};

static void test_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &test_cycle);
}

const http_route bo_admin_mail_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, mail_get},
    {HTTP_POST, TAB, settings_post},
    {HTTP_POST, TAB "/test", test_post},
    {0, NULL, NULL},
};

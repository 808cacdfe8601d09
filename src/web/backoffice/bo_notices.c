/*
 * bo_notices — /agent/notifications, every agent's own page: whether to be told by e-mail of
 * the requests filed in their departments, at once or once a day (core/agent_notices.h), and
 * for managers and administrators whether to get their departments' weekly digest
 * (core/weekly_digest.h). Two forms (three radio buttons; one checkbox), no script; each
 * choice is core's write, waited for with the connection suspended, then «Enregistré» on the
 * page again.
 */
#include <string.h>

#include "core/agent_notices.h"
#include "core/weekly_digest.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/web.h"

#define PATH "/agent/notifications"

/* The page with the notices' choice `mode` and, for a manager or an administrator, the
 * weekly digest's (read here: each form shows the stored state of the other). */
static void notices_render(bo_page *p, const store_agent *a, agent_notice_mode mode, int status)
{
    if (weekly_digest_allowed(a->role)) {
        int on = 0;
        error err;
        error_clear(&err);
        if (weekly_digest_get(p->rq->core, a->tenant_id, a->id, &on, &err) != 0) {
            bo_page_fail(p, &err);
            return;
        }
        bo_page_set(p, "weekly_allowed", json_true());
        bo_page_set(p, "weekly_on", json_boolean(on));
    }
    json_t *choices = json_array();
    for (int m = AGENT_NOTICE_NONE; m <= AGENT_NOTICE_DIGEST; m++) {
        const char *name = agent_notice_mode_name((agent_notice_mode)m);
        json_t *o = json_object();
        present_set_str(o, "value", name);
        present_set_str(o, "label",
                        bo_page_str(p, arena_printf(p->rq->arena, "agent.notices.mode_%s", name)));
        present_set_str(o, "hint",
                        bo_page_str(p, arena_printf(p->rq->arena, "agent.notices.hint_%s", name)));
        json_object_set_new(o, "checked", json_boolean(m == (int)mode));
        json_array_append_new(choices, o);
    }
    bo_page_set(p, "choices", choices);
    bo_page_render(p, status, "agent/notices", bo_page_str(p, "agent.notices.title"));
}

static void notices_get(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    error err;
    error_clear(&err);
    agent_notice_mode mode = AGENT_NOTICE_NONE;
    if (agent_notices_get(rq->core, a.tenant_id, a.id, &mode, &err) != 0) {
        web_write_error(rq, &err);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    if (form_get(&rq->query, "enregistre"))
        bo_page_notice(&p, "success", bo_page_str(&p, "agent.notices.saved"));
    notices_render(&p, &a, mode, 200);
}

static void notices_saved(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc != 0) {
        web_write_error(rq, &w->err);
        return;
    }
    web_redirect(rq, rq->lang == LANG_EN ? PATH "?enregistre=1&lang=en" : PATH "?enregistre=1");
}

static void notices_post(http_req *rq)
{
    store_agent a;
    form f;
    if (!bo_agent(rq, &a) || bo_form(rq, &f) != 0)
        return;
    agent_notice_mode mode;
    if (agent_notice_mode_parse(form_get(&f, "notices"), &mode) != 0) {
        bo_page p;
        if (bo_page_start(&p, rq, &a) != 0)
            return;
        bo_page_error_key(&p, "notices", "agent.notices.error_choice");
        notices_render(&p, &a, AGENT_NOTICE_NONE, 400);
        return;
    }
    core_actor who = bo_who(rq, &a);
    error err;
    error_clear(&err);
    http_wait *w = http_wait_begin(rq, notices_saved);
    int rc = agent_notices_set(rq->core, &who, mode, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* The weekly digest's checkbox: checked asks for it, unchecked (absent) stops it. */
static void weekly_post(http_req *rq)
{
    store_agent a;
    form f;
    if (!bo_agent(rq, &a) || bo_form(rq, &f) != 0)
        return;
    const char *v = form_get(&f, "bilan");
    if (!weekly_digest_allowed(a.role) || (v && strcmp(v, "1") != 0)) {
        error err;
        error_set(&err, weekly_digest_allowed(a.role) ? ERR_INVALID_ARG : ERR_FORBIDDEN, "bilan",
                  "the weekly digest is a manager's choice, 1 or nothing");
        web_write_error(rq, &err);
        return;
    }
    core_actor who = bo_who(rq, &a);
    error err;
    error_clear(&err);
    http_wait *w = http_wait_begin(rq, notices_saved);
    int rc = weekly_digest_set(rq->core, &who, v != NULL, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_notices_routes[] = {
    {HTTP_GET | HTTP_HEAD, PATH, notices_get},
    {HTTP_POST, PATH, notices_post},
    {HTTP_POST, PATH "/bilan", weekly_post},
    {0, NULL, NULL},
};

/*
 * bo_admin_webhooks — under /agent/admin/webhooks, for admins: the due-date warning's
 * number of days, the collectivité's webhook subscriptions (creation with the events
 * chosen, switching on and off, a new secret) and their last deliveries with their state
 * and last error. A subscription's secret is shown once, on the answer to its creation or
 * to its rotation. Every change is core's (due_warning_days_set_as, webhook_put_as,
 * webhook_rotate_as: the change and its "admin" audit entry in one job); the page waits
 * for it with its connection suspended. No script: plain forms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/due_warning.h"
#include "core/webhook.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/webhooks"
#define DELIVERIES_SHOWN 20

/* The form field of each event (a checkbox) and its label key. */
static const char *event_field(http_req *rq, const char *event)
{
    return arena_printf(rq->arena, "event_%s", strchr(event, '.') + 1);
}

static json_t *events_json(bo_page *p, const char *chosen)
{
    http_req *rq = p->rq;
    json_t *list = json_array();
    for (size_t i = 0; webhook_events[i]; i++) {
        json_t *o = json_object();
        const char *field = event_field(rq, webhook_events[i]);
        present_set_str(o, "name", webhook_events[i]);
        present_set_str(o, "field", field);
        present_set_str(o, "label",
                        bo_page_str(p, arena_printf(rq->arena, "admin.webhooks.%s", field)));
        if (chosen && strstr(chosen, webhook_events[i]))
            json_object_set_new(o, "checked", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

/* Each stored event name, in the page's words, one comma apart. */
static const char *events_words(bo_page *p, const char *events)
{
    http_req *rq = p->rq;
    const char *out = "";
    for (size_t i = 0; webhook_events[i]; i++)
        if (events && strstr(events, webhook_events[i]))
            out = arena_printf(rq->arena, "%s%s%s", out, *out ? ", " : "",
                               bo_page_str(p, arena_printf(rq->arena, "admin.webhooks.%s",
                                                           event_field(rq, webhook_events[i]))));
    return out;
}

static int render_lists(bo_page *p)
{
    http_req *rq = p->rq;
    int64_t tenant = bo_admin_tenant(rq);
    error e;
    store_webhook *subs = NULL;
    size_t n = 0;
    if (webhook_list(rq->core, tenant, rq->arena, &subs, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(subs[i].id));
        present_set_str(o, "url", subs[i].url);
        present_set_str(o, "events", events_words(p, subs[i].events));
        present_set_str(o, "created", bo_admin_when(rq, subs[i].created_at));
        json_object_set_new(o, "active", json_boolean(subs[i].active));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "webhooks", list);
    bo_page_set(p, "has_webhooks", json_boolean(n > 0));
    store_job_row *jobs = NULL;
    if (webhook_deliveries(rq->core, tenant, DELIVERIES_SHOWN, rq->arena, &jobs, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return -1;
    }
    json_t *deliveries = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_t *payload = json_loads(jobs[i].payload ? jobs[i].payload : "{}", 0, NULL);
        const char *event = json_string_value(json_object_get(payload, "event"));
        present_set_str(o, "event", event ? event : "");
        json_decref(payload);
        present_set_str(o, "delivery", jobs[i].ukey);
        present_set_str(o, "created", bo_admin_when(rq, jobs[i].created_at));
        present_set_str(
            o, "state",
            bo_page_str(p, arena_printf(rq->arena, "admin.webhooks.state_%s", jobs[i].state)));
        json_object_set_new(o, "attempts", json_integer(jobs[i].attempts));
        present_set_str(o, "next",
                        strcmp(jobs[i].state, "pending") == 0 ? bo_admin_when(rq, jobs[i].due_at)
                                                              : "");
        present_set_str(o, "last_error", jobs[i].last_error ? jobs[i].last_error : "");
        json_array_append_new(deliveries, o);
    }
    bo_page_set(p, "deliveries", deliveries);
    bo_page_set(p, "has_deliveries", json_boolean(n > 0));
    return 0;
}

/* The page; chosen: the events to show checked in the creation form (NULL: all). */
static void webhooks_render(bo_page *p, int status, const char *chosen, const char *days)
{
    http_req *rq = p->rq;
    if (render_lists(p) != 0)
        return;
    bo_page_set(p, "events",
                events_json(p, chosen ? chosen
                                      : "request.created "
                                        "request.status_changed "
                                        "request.replied"));
    if (!days) {
        int d = DUE_WARNING_DAYS_DEFAULT;
        error e;
        if (due_warning_days(rq->core, bo_admin_tenant(rq), &d, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        days = arena_printf(rq->arena, "%d", d);
    }
    bo_page_value(p, "due_warning_days", days);
    bo_page_render(p, status, "agent/admin/webhooks", bo_page_str(p, "admin.webhooks.title"));
}

static void webhooks_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    webhooks_render(&p, 200, NULL, NULL);
}

/* ---- the due-date warning ---- */

static int invalid(const error *e)
{
    return e->code == ERR_INVALID_ARG;
}

static void days_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    (void)w;
    bo_page_error_key(p, "due_warning_days", "admin.webhooks.error_days");
    webhooks_render(p, 400, NULL, bo_admin_field(&st->f, "due_warning_days"));
}

static int days_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    const char *s = bo_admin_field(&st->f, "due_warning_days");
    char *end = NULL;
    long days = strtol(s, &end, 10);
    /* Digits only (strtol would take spaces and a sign); out of range: core says so. */
    int digits = *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 3;
    if (!digits || !end || *end)
        return error_set(e, ERR_INVALID_ARG, "due_warning_days", "not a number of days");
    return due_warning_days_set_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), (int)days,
                                   http_wait_done, w, e);
}

static const bo_admin_cycle days_cycle = {.tab = TAB,
                                          .done = "due_warning",
                                          .apply = days_apply,
                                          .refused = invalid,
                                          .render = days_render};

static void days_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &days_cycle);
}

/* ---- subscriptions ---- */

/* The secret while its row commits: shown once it is durable, never otherwise. */
typedef struct secret_state {
    char secret[WEBHOOK_SECRET_LEN];
    const char *events[8];
    int rotated;
} secret_state;

static int secret_refused(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT;
}

/* After a creation or a rotation: the page with the secret, or the form with its errors. */
static void secret_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    http_req *rq = p->rq;
    secret_state *ss = st->page;
    if (w->rc != 0) {
        /* Core stops at the first problem, the URL's; the page names both at once, so that
         * one submission shows all there is to mend. */
        int on_events = strcmp(w->err.arg, "events") == 0;
        if (!on_events)
            bo_page_error_key(p, "url",
                              w->err.code == ERR_CONFLICT ? "admin.webhooks.error_too_many"
                                                          : "admin.webhooks.error_url");
        if (on_events || (!ss->rotated && !ss->events[0]))
            bo_page_error_key(p, "events", "admin.webhooks.error_events");
        bo_page_value(p, "url", bo_admin_field(&st->f, "url"));
        const char *chosen = "";
        for (size_t i = 0; ss->events[i]; i++)
            chosen = arena_printf(rq->arena, "%s %s", chosen, ss->events[i]);
        webhooks_render(p, 400, chosen, NULL);
        return;
    }
    /* Shown once, on this answer only. */
    json_t *o = json_object();
    present_set_str(o, "secret", ss->secret);
    json_object_set_new(o, "rotated", json_boolean(ss->rotated));
    bo_page_set(p, "created_secret", o);
    webhooks_render(p, 200, NULL, NULL);
}

/* Keeps in ss->events the events checked on form f, or without a form those `stored` names. */
static void events_keep(http_req *rq, secret_state *ss, const form *f, const char *stored)
{
    size_t k = 0;
    for (size_t i = 0; webhook_events[i] && k + 1 < sizeof ss->events / sizeof ss->events[0]; i++)
        if (f ? bo_admin_checked(f, event_field(rq, webhook_events[i]))
              : strstr(stored, webhook_events[i]) != NULL)
            ss->events[k++] = webhook_events[i];
}

/* Puts subscription id (0: a new one) with in's URL and activity and the events kept, in
 * the request's arena: they must live until the outcome. */
static int put(bo_page *p, bo_admin_write *st, int64_t id, webhook_input *in, char *secret,
               int64_t *id_out, http_wait *w, error *e)
{
    secret_state *ss = st->page;
    webhook_input *kept = arena_alloc(p->rq->arena, sizeof *kept);
    if (!kept)
        return error_set(e, ERR_INTERNAL, NULL, "out of memory");
    *kept = *in;
    kept->events = ss->events;
    return webhook_put_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), id, kept, secret, id_out,
                          http_wait_done, w, e);
}

static int create_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    secret_state *ss = st->page;
    events_keep(p->rq, ss, &st->f, NULL);
    webhook_input in = {.url = bo_admin_field(&st->f, "url"),
                        .active = bo_admin_checked(&st->f, "active")};
    return put(p, st, 0, &in, ss->secret, &st->id, w, e);
}

static const bo_admin_cycle create_cycle = {.tab = TAB,
                                            .page_size = sizeof(secret_state),
                                            .apply = create_apply,
                                            .refused = secret_refused,
                                            .render = secret_render};

static void create_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &create_cycle);
}

static int rotate_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    secret_state *ss = st->page;
    ss->rotated = 1;
    return webhook_rotate_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), st->id, ss->secret,
                             http_wait_done, w, e);
}

static const bo_admin_cycle rotate_cycle = {.tab = TAB,
                                            .takes_id = 1,
                                            .page_size = sizeof(secret_state),
                                            .apply = rotate_apply,
                                            .refused = secret_refused,
                                            .render = secret_render};

static void rotate_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &rotate_cycle);
}

/* Switches a subscription on or off (active=1 or 0), its URL and events as they are. */
static int active_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    store_webhook *subs = NULL;
    size_t n = 0;
    if (webhook_list(rq->core, bo_admin_tenant(rq), rq->arena, &subs, &n, e) != 0)
        return -1;
    const store_webhook *sub = NULL;
    for (size_t i = 0; i < n; i++)
        if (subs[i].id == st->id)
            sub = &subs[i];
    if (!sub)
        return error_set(e, ERR_NOT_FOUND, "id", "no such webhook");
    events_keep(rq, st->page, NULL, sub->events);
    webhook_input in = {.url = sub->url,
                        .active = strcmp(bo_admin_field(&st->f, "active"), "1") == 0};
    return put(p, st, st->id, &in, NULL, NULL, w, e);
}

static const bo_admin_cycle active_cycle = {.tab = TAB,
                                            .done = "webhook_saved",
                                            .takes_id = 1,
                                            .page_size = sizeof(secret_state),
                                            .apply = active_apply};

static void active_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &active_cycle);
}

const http_route bo_admin_webhook_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, webhooks_get},      {HTTP_POST, TAB, create_post},
    {HTTP_POST, TAB "/echeance", days_post},        {HTTP_POST, TAB "/{}/secret", rotate_post},
    {HTTP_POST, TAB "/{}/activation", active_post}, {0, NULL, NULL},
};

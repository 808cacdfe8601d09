/*
 * bo_admin_costs — /agent/admin/couts, for admins: what one request costs the collectivité on
 * each channel, in euros, as the administrator knows it (nothing is assumed: a channel left
 * blank has no cost, and the dashboards then say the savings cannot be computed). Every
 * amount is checked before anything is written, each wrong one named beside its field, what
 * was typed kept; core writes them in one job with its "admin" audit entry
 * (core/channel_cost.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/channel_cost.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define TAB "/agent/admin/couts"

/* The form's field of channel ch: "cost_web", "cost_counter"… */
static const char *field_name(http_req *rq, int ch)
{
    return arena_printf(rq->arena, "cost_%s", channel_name((channel)ch));
}

/* The page: one field per channel, the saved amount or what was typed (f). */
static void costs_render(bo_page *p, int status, const form *f)
{
    http_req *rq = p->rq;
    int64_t cents[CHANNEL_COUNT];
    error e;
    error_clear(&e);
    if (channel_costs_get(rq->core, bo_admin_tenant(rq), cents, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        const char *name = field_name(rq, ch);
        json_t *o = json_object();
        present_set_str(o, "name", name);
        present_set_str(o, "label", bo_channel_label(rq, channel_name((channel)ch)));
        json_object_set_new(o, "digital", json_boolean(channel_is_digital((channel)ch)));
        const char *typed = f ? form_get(f, name) : NULL;
        char saved[32] = "";
        if (cents[ch] >= 0)
            snprintf(saved, sizeof saved, "%lld%s%02lld", (long long)(cents[ch] / 100),
                     rq->lang == LANG_EN ? "." : ",", (long long)(cents[ch] % 100));
        present_set_str(o, "value", typed ? typed : saved);
        json_t *err = json_object_get(p->field_errors, name);
        json_object_set(o, "error", err ? err : json_false());
        json_array_append_new(list, o);
    }
    bo_page_set(p, "costs", list);
    bo_page_render(p, status, "agent/admin/costs", bo_page_str(p, "costs.title"));
}

static void costs_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    costs_render(&p, 200, NULL);
}

/* Every amount read into st->page (int64_t[CHANNEL_COUNT], -1 for a blank one), each wrong
 * one an error beside its field. */
static void costs_check(bo_page *p, bo_admin_write *st)
{
    int64_t *cents = st->page;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        const char *name = field_name(p->rq, ch);
        const char *v = bo_admin_field(&st->f, name);
        cents[ch] = -1;
        if (v[strspn(v, " ")] == '\0')
            continue;
        if (channel_cost_parse(v, &cents[ch]) != 0)
            bo_page_error_key(p, name, "costs.error_amount");
    }
}

static int costs_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return channel_costs_set_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), st->page,
                                http_wait_done, w, e);
}

static void costs_form_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    (void)w;
    costs_render(p, 400, &st->f);
}

static const bo_admin_cycle costs_cycle = {.tab = TAB,
                                           .done = "channel_costs",
                                           .page_size = CHANNEL_COUNT * sizeof(int64_t),
                                           .check = costs_check,
                                           .apply = costs_apply,
                                           .render = costs_form_render};

static void costs_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &costs_cycle);
}

const http_route bo_admin_costs_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, costs_get},
    {HTTP_POST, TAB, costs_post},
    {0, NULL, NULL},
};

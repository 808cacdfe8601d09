/*
 * bo_work — what the agents' work pages share (see bo_work.h): formatting helpers, who acts,
 * opening a request within the agent's scope, reply templates, and the continuation of a
 * write that answers with a redirect once the change is durable.
 */
#include "web/backoffice/bo_work.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/request.h"
#include "core/agent.h"
#include "core/work.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/backoffice/bo_common.h"
#include "web/web.h"

const char *bo_url(http_req *rq, const char *s)
{
    const char *out = form_encode(rq->arena, s, NULL);
    return out ? out : "";
}

const char *bo_date(http_req *rq, const cat_tenant *t, int64_t when, int with_time)
{
    if (when <= 0)
        return NULL;
    return present_date(rq->arena, rq->lang, when, t ? t->rec.timezone : NULL, with_time);
}

const char *bo_status_label(http_req *rq, const cat_procedure *p, const char *code)
{
    return web_status_label(rq, p, code, rq->lang, WEB_AGENT);
}

int bo_role(const store_agent *a)
{
    agent_role r;
    return a && agent_role_parse(a->role, &r) == 0 ? (int)r : AGENT_ROLE_COUNT;
}

const char *bo_channel_label(http_req *rq, const char *code)
{
    channel ch;
    if (!code || channel_parse(code, &ch) != 0)
        return code ? code : "";
    return present_string(rq->present, rq->lang,
                          arena_printf(rq->arena, "request_bo.channel_%s", code));
}

const char *bo_query(http_req *rq, const char *name)
{
    const char *v = form_get(&rq->query, name);
    return v && *v ? v : NULL;
}

json_t *bo_option(const char *value, const char *label, const char *current)
{
    json_t *o = json_object();
    present_set_str_opt(o, "value", value);
    present_set_str_opt(o, "label", label);
    json_object_set_new(o, "selected", json_boolean(current && strcmp(value, current) == 0));
    return o;
}

json_t *bo_channel_options(http_req *rq, const char *current)
{
    json_t *list = json_array();
    for (int c = 0; c < CHANNEL_COUNT; c++)
        json_array_append_new(list,
                              bo_option(channel_name((channel)c),
                                        bo_channel_label(rq, channel_name((channel)c)), current));
    return list;
}

const char *bo_priority_label(http_req *rq, int priority)
{
    if (priority < 0 || priority > 3)
        priority = 1;
    return present_string(rq->present, rq->lang,
                          arena_printf(rq->arena, "request_bo.priority_%d", priority));
}

void bo_sla_set(http_req *rq, json_t *o, sla_state s)
{
    const char *name = sla_name(s);
    if (!name)
        return;
    present_set_str(o, "sla", name);
    present_set_str(
        o, "sla_label",
        present_string(rq->present, rq->lang, arena_printf(rq->arena, "request_bo.sla_%s", name)));
}

const char *bo_trim(http_req *rq, const char *s)
{
    return text_trim(rq->arena, s);
}

const char *bo_text(http_req *rq, const char *s, size_t max_chars, int required,
                    const char **msg_key)
{
    static const web_text_messages m = {"request_bo.error_empty", "request_bo.error_characters",
                                        "request_bo.error_too_long"};
    return web_text_field(rq, s, max_chars, required, &m, msg_key);
}

const char *bo_citizen_name(http_req *rq, const store_request *r)
{
    const char *f = r->first_name && *r->first_name ? r->first_name : NULL;
    const char *l = r->last_name && *r->last_name ? r->last_name : NULL;
    if (!f && !l)
        return NULL;
    return arena_printf(rq->arena, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
}

int bo_open_request(http_req *rq, const store_agent *a, const cat_tenant *t, const char *reference,
                    store_request *out)
{
    error err;
    error_clear(&err);
    if (!request_reference_ok(reference)) {
        bo_not_found(rq);
        return 0;
    }
    core_actor who = bo_who(rq, a);
    if (request_get_as(rq->core, t, &who, reference, rq->arena, out, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            bo_not_found(rq);
        else
            http_respond_error(rq, &err);
        return 0;
    }
    return 1;
}

int bo_reply_templates(http_req *rq, const cat_tenant *t, store_reply_template **out, size_t *n)
{
    error err;
    error_clear(&err);
    *out = NULL;
    *n = 0;
    if (work_reply_templates(rq->core, t, rq->arena, out, n, &err) != 0) {
        log_error("reply templates: %s", err.detail);
        return -1;
    }
    return 0;
}

const char *bo_reply_fill(http_req *rq, const cat_tenant *t, const store_reply_template *tpl,
                          size_t n_tpl, int64_t id, const store_request *r, const store_agent *a)
{
    const store_reply_template *found = NULL;
    for (size_t i = 0; i < n_tpl; i++)
        if (tpl[i].id == id)
            found = &tpl[i];
    if (!found || !found->body)
        return NULL;
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    const char *citizen = bo_citizen_name(rq, r);
    const char *date = bo_date(rq, t, time_now(), 0);
    const char *const keys[] = {"reference", "procedure", "citizen", "agent", "date"};
    const char *const vals[] = {
        r->reference, p ? p->rec.name : "",
        citizen ? citizen : present_string(rq->present, rq->lang, "request_bo.madam_sir"),
        a->name ? a->name : "", date ? date : ""};
    buf b;
    buf_init(&b, 64 * 1024);
    const char *s = found->body;
    while (*s) {
        const char *open = strstr(s, "{{");
        if (!open) {
            buf_puts(&b, s);
            break;
        }
        buf_append(&b, s, (size_t)(open - s));
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            buf_puts(&b, open);
            break;
        }
        const char *name = open + 2;
        while (*name == ' ')
            name++;
        size_t nlen = (size_t)(close - name);
        while (nlen > 0 && name[nlen - 1] == ' ')
            nlen--;
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] &&
               !(strlen(keys[k]) == nlen && strncmp(keys[k], name, nlen) == 0))
            k++;
        if (k < sizeof keys / sizeof keys[0])
            buf_puts(&b, vals[k]);
        else
            buf_append(&b, open, (size_t)(close + 2 - open));
        s = close + 2;
    }
    const char *out = arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* The continuation of bo_wait_redirect: rq->user is the address to go to. */
static void redirect_done(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc == 0) {
        http_redirect(rq, rq->user);
        return;
    }
    bo_write_refused(rq, w ? &w->err : NULL);
}

void bo_write_refused(http_req *rq, const error *err)
{
    if (err && err->code == ERR_NOT_FOUND)
        bo_not_found(rq);
    else if (err && err->code == ERR_FORBIDDEN)
        bo_forbidden(rq);
    else {
        error e;
        if (!err) {
            error_set(&e, ERR_INTERNAL, NULL, "no outcome");
            err = &e;
        }
        http_respond_error(rq, err);
    }
}

http_wait *bo_wait_redirect(http_req *rq, const char *to)
{
    rq->user = (void *)to;
    return http_wait_begin(rq, redirect_done);
}

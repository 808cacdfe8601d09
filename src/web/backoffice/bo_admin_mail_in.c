/*
 * bo_admin_mail_in — incoming e-mail under /agent/admin/courriels, for admins: the mail the
 * MTA flagged as spam, held (core/mail_held.h), each with «Accepter» (handled then as any
 * mail: a request or a reply, acknowledged as usual) and «Supprimer»; and the contact
 * addresses whose new mail is filed under a procedure of their own (others: «Question
 * générale»). Writes are core's admin changes; the page waits for them with its connection
 * suspended. «Accepter» handles the mail on this thread (it is rare and an admin's) before
 * its held copy's deletion, which the page waits for as for the others.
 */
#include <string.h>

#include "channels/mail/inbound.h"
#include "core/mail_held.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/courriels"

static void mail_in_render(bo_page *p, int status, const char *procedure)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    store_mail_held *held = NULL;
    store_mail_address *addrs = NULL;
    size_t n_held = 0, n_addrs = 0;
    error e;
    if (mail_held_list(rq->core, t->rec.id, rq->arena, &held, &n_held, &e) != 0 ||
        mail_address_list(rq->core, t->rec.id, rq->arena, &addrs, &n_addrs, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n_held; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(held[i].id));
        present_set_str(o, "received", bo_admin_when(rq, held[i].received_at));
        present_set_str(o, "sender", held[i].sender);
        present_set_str(o, "subject",
                        *held[i].subject ? held[i].subject
                                         : bo_page_str(p, "admin.mail_in.no_subject"));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "held", list);
    bo_page_set(p, "has_held", json_boolean(n_held > 0));
    json_t *al = json_array();
    for (size_t i = 0; i < n_addrs; i++) {
        const cat_procedure *pr = catalogue_procedure_by_id(t, addrs[i].procedure_id);
        json_t *o = json_object();
        present_set_str(o, "address", addrs[i].address);
        present_set_str(o, "procedure", pr ? web_procedure_name(rq, pr) : "—");
        json_array_append_new(al, o);
    }
    bo_page_set(p, "addresses", al);
    bo_page_set(p, "has_addresses", json_boolean(n_addrs > 0));
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *pr = &t->procedures[i];
        if (!mail_procedure_ok(pr))
            continue;
        json_t *o = json_object();
        present_set_str(o, "value", pr->rec.code);
        present_set_str(o, "label", web_procedure_name(rq, pr));
        if (procedure && strcmp(procedure, pr->rec.code) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(procs, o);
    }
    bo_page_set(p, "procedures", procs);
    bo_page_render(p, status, "agent/admin/mail_in", bo_page_str(p, "admin.mail_in.title"));
}

static void mail_in_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    mail_in_render(&p, 200, MAIL_IN_PROCEDURE);
}

static int held_delete(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return mail_held_delete_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), st->id,
                               http_wait_done, w, e);
}

static const bo_admin_cycle held_delete_cycle = {
    .tab = TAB, .done = "mail_deleted", .takes_id = 1, .apply = held_delete};

static void held_delete_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &held_delete_cycle);
}

/* Handled first (a request or a reply, on this thread), deleted after: a failure between the
 * two leaves it held, never lost. */
static int held_accept(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    store_mail_held held;
    mail_in m;
    mail_in_result r;
    mail_in_config cfg = {.accept_spam = 1};
    if (mail_held_get(rq->core, t->rec.id, st->id, rq->arena, &held, e) != 0 ||
        mail_in_parse(held.message, held.message_len, &cfg, rq->arena, &m, e) != 0 ||
        mail_in_route(rq->core, t, &m, http_base_url(rq, t), rq->arena, &r, NULL, NULL, e) < 0)
        return -1;
    return mail_held_delete_as(rq->core, &st->who, t->rec.id, st->id, http_wait_done, w, e);
}

static const bo_admin_cycle held_accept_cycle = {
    .tab = TAB, .done = "mail_accepted", .takes_id = 1, .apply = held_accept};

static void held_accept_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &held_accept_cycle);
}

static int address_invalid(const error *e)
{
    return e->code == ERR_INVALID_ARG;
}

static void address_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    const char *field = strcmp(w->err.arg, "procedure") == 0 ? "procedure" : "address";
    bo_page_error_key(p, field,
                      strcmp(field, "procedure") == 0 ? "admin.mail_in.error_procedure"
                                                      : "admin.mail_in.error_address");
    bo_page_value(p, "address", bo_admin_field(&st->f, "address"));
    mail_in_render(p, 400, bo_admin_field(&st->f, "procedure"));
}

static int address_set(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return mail_address_set_as(rq->core, &st->who, rq->host_tenant,
                               bo_admin_field(&st->f, "address"),
                               bo_admin_field(&st->f, "procedure"), http_wait_done, w, e);
}

static const bo_admin_cycle address_cycle = {.tab = TAB,
                                             .done = "mail_address_saved",
                                             .apply = address_set,
                                             .refused = address_invalid,
                                             .render = address_render};

static void address_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &address_cycle);
}

static int address_remove(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return mail_address_delete_as(p->rq->core, &st->who, bo_admin_tenant(p->rq),
                                  bo_admin_field(&st->f, "address"), http_wait_done, w, e);
}

static const bo_admin_cycle address_remove_cycle = {
    .tab = TAB, .done = "mail_address_removed", .apply = address_remove};

static void address_remove_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &address_remove_cycle);
}

const http_route bo_admin_mail_in_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, mail_in_get},
    {HTTP_POST, TAB "/{}/accepter", held_accept_post},
    {HTTP_POST, TAB "/{}/supprimer", held_delete_post},
    {HTTP_POST, TAB "/adresses", address_post},
    {HTTP_POST, TAB "/adresses/retirer", address_remove_post},
    {0, NULL, NULL},
};

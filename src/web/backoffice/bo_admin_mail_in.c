/*
 * bo_admin_mail_in — incoming e-mail under /agent/admin/courriels, for admins: the mail the
 * MTA flagged as spam, held (core/mail_held.h), each with «Accepter» (handled then as any
 * mail: a request or a reply, acknowledged as usual) and «Supprimer»; and the collectivité's
 * contact addresses (core/mail_contact.h: the one editor of them; «Messagerie» links here),
 * each with the procedure its new mail is filed under (none: «Question générale»). Writes are
 * core's admin changes; the page waits for them with its connection suspended, except «Accepter»,
 * whose two steps (the mail handled, then its held copy deleted) run one after the other on this
 * thread: it is rare and an admin's.
 */
#include <string.h>

#include "channels/mail/inbound.h"
#include "core/mail_contact.h"
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
        mail_contact_list(rq->core, t->rec.id, rq->arena, &addrs, &n_addrs, &e) != 0) {
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
        const cat_procedure *pr =
            addrs[i].procedure_id ? catalogue_procedure_by_id(t, addrs[i].procedure_id) : NULL;
        json_t *o = json_object();
        present_set_str(o, "address", addrs[i].address);
        present_set_str(o, "procedure",
                        pr ? web_procedure_name(rq, pr)
                           : bo_page_str(p, "admin.mail_in.procedure_default"));
        json_array_append_new(al, o);
    }
    bo_page_set(p, "addresses", al);
    bo_page_set(p, "has_addresses", json_boolean(n_addrs > 0));
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *pr = &t->procedures[i];
        if (!mail_contact_procedure_ok(pr))
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
    mail_in_render(&p, 200, "");
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

/* A held message being accepted: what it became, kept across the two writes. Two writes in
 * a row are not one form cycle (bo_admin_cycle_run): this POST runs its own. */
typedef struct held_accept {
    int64_t id;
    mail_in m; /* points into the held message, in rq->arena */
    mail_in_result r;
} held_accept;

/* A write of the accept failed: the held message is not there any more, or an error. */
static void accept_failed(http_req *rq, const error *e)
{
    if (e->code == ERR_NOT_FOUND)
        bo_not_found(rq);
    else
        web_write_error(rq, e);
}

static void held_accepted(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0)
        bo_admin_done(rq, TAB, "mail_accepted");
    else
        accept_failed(rq, &w->err);
}

/* Handled first, deleted after: a failure between the two leaves it held, never lost. */
static void held_routed(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        accept_failed(rq, &w->err);
        return;
    }
    const held_accept *ha = st->page;
    error e;
    error_clear(&e);
    http_wait *w2 = http_wait_begin(rq, held_accepted);
    int rc = mail_held_delete_as(rq->core, &st->who, bo_admin_tenant(rq), ha->id, http_wait_done,
                                 w2, &e);
    http_wait_started(w2, rc, &e);
}

/* Both writes are queued and answered when durable, the connection suspended meanwhile. */
static void held_accept_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    int64_t id = bo_admin_id(rq->params[0]);
    if (!id) {
        bo_not_found(rq);
        return;
    }
    const cat_tenant *t = rq->host_tenant;
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(held_accept));
    if (!st)
        return;
    held_accept *ha = st->page;
    ha->id = id;
    error e;
    error_clear(&e);
    store_mail_held held;
    mail_in_config cfg = {.accept_spam = 1};
    if (mail_held_get(rq->core, t->rec.id, id, rq->arena, &held, &e) != 0) {
        accept_failed(rq, &e);
        return;
    }
    if (mail_in_parse(held.message, held.message_len, &cfg, rq->arena, &ha->m, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    http_wait *w = http_wait_begin(rq, held_routed);
    int rc = mail_in_route(rq->core, t, &ha->m, http_base_url(rq, t), rq->arena, &ha->r,
                           http_wait_done, w, &e);
    if (rc == 1) /* nothing to write (dropped): on to the deletion */
        http_wait_done(w, 0, NULL);
    else
        http_wait_started(w, rc, &e);
}

/* The form's own mistakes, shown beside their field (address_render); the others are errors. */
static const struct address_fault {
    err_code code;
    const char *arg, *field, *key;
} address_faults[] = {
    {ERR_INVALID_ARG, "address", "address", "admin.mail_in.error_address"},
    {ERR_INVALID_ARG, "procedure", "procedure", "admin.mail_in.error_procedure"},
    {ERR_CONFLICT, "address", "address", "admin.mail_in.error_taken"},
    {ERR_CONFLICT, "count", "address", "admin.mail_in.error_count"},
};

static const struct address_fault *address_fault_of(const error *e)
{
    for (size_t k = 0; k < sizeof address_faults / sizeof address_faults[0]; k++)
        if (e->code == address_faults[k].code && strcmp(e->arg, address_faults[k].arg) == 0)
            return &address_faults[k];
    return NULL;
}

static int address_refused(const error *e)
{
    return address_fault_of(e) != NULL;
}

static void address_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    const struct address_fault *f = address_fault_of(&w->err);
    bo_page_error_key(p, f->field, f->key);
    bo_page_value(p, "address", bo_admin_field(&st->f, "address"));
    mail_in_render(p, 400, bo_admin_field(&st->f, "procedure"));
}

static int address_set(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return mail_contact_set_as(rq->core, &st->who, rq->host_tenant,
                               bo_admin_field(&st->f, "address"),
                               bo_admin_field(&st->f, "procedure"), http_wait_done, w, e);
}

static const bo_admin_cycle address_cycle = {.tab = TAB,
                                             .done = "mail_address_saved",
                                             .apply = address_set,
                                             .refused = address_refused,
                                             .render = address_render};

static void address_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &address_cycle);
}

static int address_remove(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return mail_contact_delete_as(p->rq->core, &st->who, bo_admin_tenant(p->rq),
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

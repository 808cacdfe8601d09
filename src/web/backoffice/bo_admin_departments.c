/*
 * bo_admin_departments — the collectivité's departments (services) under
 * /agent/admin/services, for admins: the list, and a form that creates one or, from
 * ?modifier=<code>, changes it. The change is core's (admin_department_upsert_as: written with
 * its "admin" audit entry in one job); the page waits for it with its connection suspended.
 */
#include <string.h>

#include "core/admin.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/services"

static json_t *departments_json(http_req *rq)
{
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        const store_department *d = &t->departments[i].rec;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(d->id));
        present_set_str(o, "code", d->code);
        present_set_str(o, "name", d->name);
        present_set_str(o, "email", d->email);
        json_array_append_new(list, o);
    }
    return list;
}

static void departments_render(bo_page *p, int status)
{
    bo_page_set(p, "departments", departments_json(p->rq));
    bo_page_render(p, status, "agent/admin/departments", bo_page_str(p, "admin.departments.title"));
}

static void departments_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const char *code = form_get(&rq->query, "modifier");
    const cat_department *d = code ? catalogue_department(rq->host_tenant, code) : NULL;
    if (d) {
        bo_page_set(&p, "editing", json_true());
        bo_page_value(&p, "code", d->rec.code);
        bo_page_value(&p, "name", d->rec.name);
        bo_page_value(&p, "email", d->rec.email);
    }
    departments_render(&p, 200);
}

/* The form again, with the error e names and what was typed. */
static void departments_refused(http_req *rq, const store_agent *a, const form *f, const error *e)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    if (e->code != ERR_INVALID_ARG) {
        bo_page_fail(&p, e);
        return;
    }
    bo_admin_tabs(&p, TAB);
    static const char *const known[] = {"code", "name", "email", NULL};
    const char *fld = bo_admin_error_field(e, known, "code");
    bo_page_error_key(&p, fld, arena_printf(rq->arena, "admin.departments.error_%s", fld));
    if (form_get(f, "editing"))
        bo_page_set(&p, "editing", json_true());
    bo_page_value(&p, "code", bo_admin_field(f, "code"));
    bo_page_value(&p, "name", bo_admin_field(f, "name"));
    bo_page_value(&p, "email", bo_admin_field(f, "email"));
    departments_render(&p, 400);
}

static void departments_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, "department");
        return;
    }
    departments_refused(rq, &st->agent, &st->f, &w->err);
}

static void departments_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    const char *code = bo_admin_field(&f, "code"), *name = bo_admin_field(&f, "name"),
               *email = bo_admin_field(&f, "email");
    error e;
    if (*email && (!strchr(email, '@') || strlen(email) > 254)) {
        error_set(&e, ERR_INVALID_ARG, "email", "not an e-mail address");
        departments_refused(rq, &a, &f, &e);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    store_department d = {.tenant_id = bo_admin_tenant(rq),
                          .code = code,
                          .name = name,
                          .email = *email ? email : NULL};
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, departments_saved);
    int rc = admin_department_upsert_as(rq->core, &st->who, &d, &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_admin_department_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, departments_get},
    {HTTP_POST, TAB, departments_post},
    {0, NULL, NULL},
};

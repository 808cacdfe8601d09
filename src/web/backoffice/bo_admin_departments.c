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

static void departments_check(bo_page *p, bo_admin_write *st)
{
    const char *email = bo_admin_field(&st->f, "email");
    if (*email && (!strchr(email, '@') || strlen(email) > 254))
        bo_page_error_key(p, "email", "admin.departments.error_email");
}

static int departments_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    const char *email = bo_admin_field(&st->f, "email");
    store_department d = {.tenant_id = bo_admin_tenant(p->rq),
                          .code = bo_admin_field(&st->f, "code"),
                          .name = bo_admin_field(&st->f, "name"),
                          .email = *email ? email : NULL};
    return admin_department_upsert_as(p->rq->core, &st->who, &d, &st->id, http_wait_done, w, e);
}

static int invalid(const error *e)
{
    return e->code == ERR_INVALID_ARG;
}

/* The form again, with the error core named (w) or the check's, and what was typed. */
static void departments_refused(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    if (w) {
        static const char *const known[] = {"code", "name", "email", NULL};
        const char *fld = bo_admin_error_field(&w->err, known, "code");
        bo_page_error_key(p, fld, arena_printf(p->rq->arena, "admin.departments.error_%s", fld));
    }
    if (form_get(&st->f, "editing"))
        bo_page_set(p, "editing", json_true());
    bo_page_value(p, "code", bo_admin_field(&st->f, "code"));
    bo_page_value(p, "name", bo_admin_field(&st->f, "name"));
    bo_page_value(p, "email", bo_admin_field(&st->f, "email"));
    departments_render(p, 400);
}

static const bo_admin_cycle departments_cycle = {.tab = TAB,
                                                 .done = "department",
                                                 .check = departments_check,
                                                 .apply = departments_apply,
                                                 .refused = invalid,
                                                 .render = departments_refused};

static void departments_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &departments_cycle);
}

const http_route bo_admin_department_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, departments_get},
    {HTTP_POST, TAB, departments_post},
    {0, NULL, NULL},
};

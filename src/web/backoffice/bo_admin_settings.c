/*
 * bo_admin_settings — the collectivité's own settings under /agent/admin/collectivite, for
 * admins: its name and contact details (branding). The change is core's
 * (admin_tenant_upsert_as: written with its "admin" audit entry in one job, the catalogue
 * reloaded); the page waits for it with its connection suspended.
 */
#include <string.h>

#include "core/admin.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/collectivite"

/* The host names are shown, never edited here: they choose which collectivité a request
 * is for and build the links e-mailed to citizens, so an administrator of one collectivité
 * could otherwise take another's names. Only the server's administrator sets them
 * (`guichet tenant add`). */
static void branding_render(bo_page *p, int status)
{
    const store_tenant *t = &p->rq->host_tenant->rec;
    bo_page_set(p, "slug", json_string(t->slug));
    bo_page_set(p, "hosts", json_string(t->hosts ? t->hosts : ""));
    bo_page_render(p, status, "agent/admin/branding", bo_page_str(p, "admin.branding.title"));
}

static void branding_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    const store_tenant *t = &rq->host_tenant->rec;
    bo_page_value(&p, "name", t->name);
    bo_page_value(&p, "contact", t->contact);
    branding_render(&p, 200);
}

/* The form again with what was typed (errors already on p). */
static void branding_refill(bo_page *p, const form *f)
{
    bo_page_value(p, "name", bo_admin_field(f, "name"));
    bo_page_value(p, "contact", bo_admin_field(f, "contact"));
    branding_render(p, 400);
}

static void branding_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, "branding");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    if (w->err.code != ERR_INVALID_ARG) {
        bo_page_fail(&p, &w->err);
        return;
    }
    bo_page_error_key(&p, "name", "admin.branding.error_name");
    branding_refill(&p, &st->f);
}

static void branding_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    store_tenant t = rq->host_tenant->rec;
    t.name = bo_admin_field(&f, "name");
    t.contact = *bo_admin_field(&f, "contact") ? bo_admin_field(&f, "contact") : NULL;
    t.hosts = NULL; /* kept as they are: see branding_render */
    if (!*t.name || strlen(t.name) > 200)
        bo_page_error_key(&p, "name", "admin.branding.error_name");
    if (t.contact && strlen(t.contact) > 1000)
        bo_page_error_key(&p, "contact", "admin.branding.error_contact");
    if (bo_page_has_errors(&p)) {
        branding_refill(&p, &f);
        return;
    }
    bo_page_discard(&p);
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, branding_saved);
    int rc = admin_tenant_upsert_as(rq->core, &st->who, &t, &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_admin_settings_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, branding_get},
    {HTTP_POST, TAB, branding_post},
    {0, NULL, NULL},
};

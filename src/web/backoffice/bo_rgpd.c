/*
 * bo_rgpd — the RGPD pages of the administration: the record of processing activities
 * (article 30) generated from the configuration by core/ropa — as a page, a printable page,
 * CSV and JSON — and the export of one citizen's data for a request of access received by
 * post or at the counter, whose read and audit entries core/export commits together. The
 * write waits with the connection suspended, as every back-office change does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/export.h"
#include "core/perm.h"
#include "core/ropa.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define REGISTER_PATH "/agent/admin/registre"
#define EXPORT_PATH "/agent/admin/export"
#define REGISTER_MAX (16u * 1024 * 1024)
/* Exports per agent: the archive reads every request of a citizen. */
#define RATE_AGENT_EXPORT (30.0 / 3600), 10

/* Starts a page of the administration that `allowed` lets the agent see: 0, or -1 after
 * answering (login page, 403). */
static int page_start(http_req *rq, store_agent *a, bo_page *p, const char *tab,
                      int (*allowed)(const store_agent *))
{
    if (!bo_agent(rq, a))
        return -1;
    if (!allowed(a)) {
        bo_forbidden(rq);
        return -1;
    }
    if (bo_page_start(p, rq, a) != 0)
        return -1;
    bo_admin_tabs(p, tab);
    return 0;
}

/* ---- the register ---- */

/* The register of this collectivité with the sentences of the page's language; NULL with
 * err. Caller decrefs. */
static json_t *labelled_register(http_req *rq, error *err)
{
    json_t *model = NULL;
    if (ropa_build(rq->core, rq->host_tenant, &model, err) != 0)
        return NULL;
    json_t *out = ropa_label(model, present_strings(rq->present, rq->lang));
    json_decref(model);
    if (!out)
        error_set(err, ERR_INTERNAL, NULL, "out of memory labelling the register");
    return out;
}

/* "2026-11-29 08:30" from the register's RFC 3339 time. */
static void set_generated(bo_page *p, const json_t *reg)
{
    const char *iso = json_string_value(json_object_get(reg, "generated_at"));
    char shown[17] = "";
    if (iso && strlen(iso) >= 16) {
        memcpy(shown, iso, 16);
        shown[10] = ' ';
    }
    bo_page_set(p, "generated", json_string(shown));
}

static void register_render(http_req *rq, const char *tmpl)
{
    store_agent a;
    bo_page p;
    if (page_start(rq, &a, &p, REGISTER_PATH, perm_can_register) != 0)
        return;
    error e;
    json_t *reg = labelled_register(rq, &e);
    if (!reg) {
        bo_page_fail(&p, &e);
        return;
    }
    set_generated(&p, reg);
    const char *title = json_string_value(json_object_get(reg, "title"));
    bo_page_set(&p, "register", reg);
    bo_page_render(&p, 200, tmpl, title ? title : "");
}

static void register_get(http_req *rq)
{
    register_render(rq, "agent/admin/register");
}

/* The same register on a page without navigation, to print or save as PDF. */
static void register_print(http_req *rq)
{
    register_render(rq, "agent/admin/register_print");
}

/* /agent/admin/registre.csv and .json: downloads for the collectivité's own register. */
static void register_file(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    if (!perm_can_register(&a)) {
        bo_forbidden(rq);
        return;
    }
    int csv = rq->format && strcmp(rq->format, "csv") == 0;
    if (!csv && !(rq->format && strcmp(rq->format, "json") == 0)) {
        bo_not_found(rq);
        return;
    }
    error e;
    json_t *reg = labelled_register(rq, &e);
    if (!reg) {
        web_write_error(rq, &e);
        return;
    }
    buf_reset(&rq->out);
    int rc = 0;
    if (csv) {
        rc = ropa_csv(reg, &rq->out, &e);
    } else {
        char *text = json_dumps(reg, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text || buf_puts(&rq->out, text) != 0 || buf_putc(&rq->out, '\n') != 0)
            rc = error_set(&e, ERR_INTERNAL, NULL, "the register does not fit the output");
        free(text);
    }
    json_decref(reg);
    if (rc != 0) {
        buf_reset(&rq->out);
        web_write_error(rq, &e);
        return;
    }
    const cat_tenant *t = rq->host_tenant;
    char date[TIME_RFC3339_LEN];
    time_format_rfc3339(time_now(), t->rec.timezone, date);
    date[10] = '\0';
    http_add_header(rq, "Content-Disposition",
                    arena_printf(rq->arena, "attachment; filename=\"registre-%s-%s.%s\"",
                                 t->rec.slug, date, csv ? "csv" : "json"));
    http_add_header(rq, "Cache-Control", "no-store");
    http_add_header(rq, "X-Robots-Tag", "noindex, nofollow");
    http_respond(rq, 200, csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8");
}

/* ---- one citizen's data, for an agent ---- */

static void export_render(bo_page *p, int status)
{
    bo_page_render(p, status, "agent/admin/export", bo_page_str(p, "rgpd.export.title"));
}

static void export_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (page_start(rq, &a, &p, EXPORT_PATH, perm_can_export_citizen) != 0)
        return;
    export_render(&p, 200);
}

/* Kept in rq->user while the read and its audit entries commit. */
typedef struct export_state {
    store_agent agent;
    const char *email;
    export_plan *plan; /* set by core before the continuation runs */
} export_state;

static void export_done(http_req *rq)
{
    export_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w && w->rc == 0 && st->plan && !export_plan_empty(st->plan)) {
        web_send_export(rq, rq->host_tenant, st->plan);
        return;
    }
    export_plan_free(st->plan);
    st->plan = NULL;
    int bad_email =
        w && w->rc != 0 && w->err.code == ERR_INVALID_ARG && strcmp(w->err.arg, "email") == 0;
    if (w && w->rc != 0 && !bad_email) {
        web_write_error(rq, &w->err);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, EXPORT_PATH);
    bo_page_value(&p, "email", st->email);
    if (bad_email) {
        bo_page_error_key(&p, "email", "rgpd.export.error_email");
        export_render(&p, 400);
        return;
    }
    /* Nothing found: a valid answer to a request of access («no data about you»). */
    bo_page_notice(&p, "info", bo_page_str(&p, "rgpd.export.nothing"));
    export_render(&p, 200);
}

static void export_post(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    if (!perm_can_export_citizen(&a)) {
        bo_forbidden(rq);
        return;
    }
    form f;
    if (bo_form(rq, &f) != 0)
        return;
    if (web_limit_id(rq, "agent-export", a.id, RATE_AGENT_EXPORT) != 0)
        return;
    export_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    st->agent = a;
    st->email = form_get(&f, "email");
    rq->user = st;
    core_actor who = bo_who(rq, &st->agent);
    error err;
    error_clear(&err);
    http_wait *w = http_wait_begin(rq, export_done);
    int rc = export_plan_agent(rq->core, rq->host_tenant->rec.id, st->email, &who, &st->plan,
                               http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_rgpd_routes[] = {
    {HTTP_GET | HTTP_HEAD, REGISTER_PATH, register_get},
    {HTTP_GET | HTTP_HEAD, REGISTER_PATH "/imprimer", register_print},
    {HTTP_GET | HTTP_HEAD, REGISTER_PATH ".{fmt}", register_file},
    {HTTP_GET | HTTP_HEAD, EXPORT_PATH, export_get},
    {HTTP_POST, EXPORT_PATH, export_post},
    {0, NULL, NULL},
};

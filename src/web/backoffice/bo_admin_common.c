/*
 * bo_admin_common — the administration's shared pieces (see bo_admin_common.h and the
 * administration part of bo_common.h) and its overview page, /agent/admin.
 */
#include "web/backoffice/bo_admin_common.h"

#include <string.h>

#include "core/agent.h"
#include "core/apikey.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/web.h"

/* The administration's tabs: path, label key. */
static const struct {
    const char *href;
    const char *label_key;
} tabs[] = {
    {"/agent/admin", "admin.tabs.overview"},
    {"/agent/admin/services", "admin.tabs.departments"},
    {"/agent/admin/agents", "admin.tabs.agents"},
    {"/agent/admin/demarches", "admin.tabs.procedures"},
    {"/agent/admin/routage", "admin.tabs.routing"},
    {"/agent/admin/zones", "admin.tabs.zones"},
    {"/agent/admin/workflows", "admin.tabs.workflows"},
    {"/agent/admin/cles", "admin.tabs.apikeys"},
    {"/agent/admin/certificats", "admin.tabs.trust"},
    {"/agent/admin/signatures", "parapheur.admin_tab"},
    {"/agent/admin/courriels", "admin.tabs.mail_in"},
    {"/agent/admin/webhooks", "admin.tabs.webhooks"},
    {"/agent/admin/messagerie", "admin.tabs.mail"},
    {"/agent/admin/sms", "admin.tabs.sms"},
    {"/agent/admin/collectivite", "admin.tabs.branding"},
    {"/agent/admin/couts", "admin.tabs.costs"},
    {"/agent/admin/modeles-courriers", "admin.tabs.letters"},
    {"/agent/admin/conservation", "admin.tabs.retention"},
    {"/agent/admin/comptes", "admin.tabs.accounts"},
    {"/agent/admin/audit", "admin.tabs.audit"},
    {"/agent/admin/registre", "admin.tabs.register"},
    {"/agent/admin/export", "admin.tabs.export"},
};

static json_t *tabs_json(bo_page *p, const char *current)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "href", json_string(tabs[i].href));
        json_object_set_new(t, "label", json_string(bo_page_str(p, tabs[i].label_key)));
        if (strcmp(tabs[i].href, current) == 0)
            json_object_set_new(t, "current", json_true());
        json_array_append_new(list, t);
    }
    return list;
}

/* ---- bo_common.h: the administration's pages ---- */

int bo_admin_page(http_req *rq, store_agent *a, bo_page *p, const char *tab)
{
    if (!bo_admin(rq, a))
        return -1;
    if (bo_page_start(p, rq, a) != 0)
        return -1;
    bo_admin_tabs(p, tab);
    /* «Fait» notices after a redirect: only known keys. */
    const char *done = form_get(&rq->query, "fait");
    if (done && strlen(done) < 40) {
        const char *key = arena_printf(rq->arena, "admin.done.%s", done);
        const char *text = key ? bo_page_str(p, key) : NULL;
        if (text && strcmp(text, key) != 0)
            bo_page_notice(p, "success", text);
    }
    return 0;
}

int bo_admin_form(http_req *rq, store_agent *a, form *f)
{
    /* Admin first (a logged-out browser is sent to login, others get 403), then the CSRF
     * token. */
    if (!bo_admin(rq, a))
        return -1;
    return bo_form(rq, f);
}

void bo_admin_tabs(bo_page *p, const char *tab)
{
    bo_page_set(p, "admin_tabs", tabs_json(p, tab));
}

void bo_admin_done(http_req *rq, const char *path, const char *done)
{
    web_redirect(rq, arena_printf(rq->arena, "%s%sfait=%s%s", path, strchr(path, '?') ? "&" : "?",
                                  done, rq->lang == LANG_EN ? "&lang=en" : ""));
}

int64_t bo_admin_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    int64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (*c - '0');
    }
    return v;
}

/* ---- bo_admin_common.h ---- */

int64_t bo_admin_tenant(http_req *rq)
{
    return rq->host_tenant->rec.id;
}

const char *bo_admin_field(const form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v ? v : "";
}

int bo_admin_checked(const form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
}

const char *bo_admin_when(http_req *rq, int64_t t)
{
    if (t <= 0)
        return "";
    return present_date(rq->arena, rq->lang, t, rq->host_tenant->rec.timezone, 1);
}

const char *bo_admin_iso(http_req *rq, int64_t t)
{
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, rq->host_tenant->rec.timezone, out);
    return arena_strdup(rq->arena, out);
}

const char *bo_admin_error_field(const error *e, const char *const *known, const char *fallback)
{
    for (size_t i = 0; known[i]; i++)
        if (strncmp(e->arg, known[i], strlen(known[i])) == 0)
            return known[i];
    return fallback;
}

bo_admin_write *bo_admin_write_new(http_req *rq, const store_agent *a, const form *f,
                                   size_t page_size)
{
    bo_admin_write *st = arena_alloc(rq->arena, sizeof *st);
    void *page = st && page_size ? arena_alloc(rq->arena, page_size) : NULL;
    if (!st || (page_size && !page)) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return NULL;
    }
    memset(st, 0, sizeof *st);
    if (page) {
        memset(page, 0, page_size);
        st->page = page;
    }
    st->agent = *a;
    st->who = bo_who(rq, &st->agent);
    st->f = *f;
    rq->user = st;
    return st;
}

bo_admin_write *bo_admin_write_of(http_req *rq)
{
    return rq->user;
}

/* The continuation of every cycle: its write is durable, or failed. */
static void cycle_written(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const bo_admin_cycle *c = st->cycle;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0 && c->done) {
        bo_admin_done(rq, c->tab, c->done);
        return;
    }
    if (w->rc != 0 && !(c->refused && c->refused(&w->err))) {
        if (w->err.code == ERR_NOT_FOUND)
            bo_not_found(rq);
        else
            web_write_error(rq, &w->err);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, c->tab);
    c->render(&p, st, w);
}

void bo_admin_cycle_run(http_req *rq, const bo_admin_cycle *c)
{
    store_agent a;
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (c->takes_files ? !bo_admin(rq, &a) || web_form_with_files(rq, &f, &files, &n_files) != 0
                       : bo_admin_form(rq, &a, &f) != 0)
        return;
    int64_t id = 0;
    if (c->takes_id && !(id = bo_admin_id(rq->params[0]))) {
        bo_not_found(rq);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, c->page_size);
    if (!st)
        return;
    st->id = id;
    st->cycle = c;
    st->files = files;
    st->n_files = n_files;
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    if (c->check) {
        c->check(&p, st);
        if (bo_page_has_errors(&p)) {
            bo_admin_tabs(&p, c->tab);
            c->render(&p, st, NULL);
            return;
        }
    }
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, cycle_written);
    int rc = c->apply(&p, st, w, &e);
    bo_page_discard(&p);
    http_wait_started(w, rc, &e);
}

/* ---- /agent/admin: the overview ---- */

static void overview_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, "/agent/admin") != 0)
        return;
    const cat_tenant *t = rq->host_tenant;
    store_agent *agents = NULL;
    size_t n_agents = 0, n_keys = 0, n_active_keys = 0;
    store_apikey *keys = NULL;
    error e;
    if (agent_list(rq->core, bo_admin_tenant(rq), rq->arena, &agents, &n_agents, &e) != 0 ||
        apikey_list(rq->core, bo_admin_tenant(rq), rq->arena, &keys, &n_keys, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    for (size_t i = 0; i < n_keys; i++)
        n_active_keys += keys[i].revoked_at == 0;
    json_t *counts = json_object();
    json_object_set_new(counts, "departments", json_integer((json_int_t)t->n_departments));
    json_object_set_new(counts, "agents", json_integer((json_int_t)n_agents));
    json_object_set_new(counts, "procedures", json_integer((json_int_t)t->n_procedures));
    json_object_set_new(counts, "apikeys", json_integer((json_int_t)n_active_keys));
    bo_page_set(&p, "counts", counts);
    bo_page_render(&p, 200, "agent/admin/index", bo_page_str(&p, "admin.overview.title"));
}

const http_route bo_admin_overview_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/admin", overview_get},
    {0, NULL, NULL},
};

/*
 * bo_common — the back office's shared helpers: the agent of the request (from the agent
 * session cookie, or a redirect to the login page), the page context with the agent and the
 * navigation their role allows, rendering with the agent layout, the 403/404 pages in that
 * layout, CSRF-checked forms and the audit hook.
 */
#include "web/backoffice/bo_common.h"
#include "web/backoffice/backoffice.h"
#include "util/form.h"

#include <string.h>

#include "core/agent.h"
#include "core/audit.h"
#include "core/perm.h"
#include "util/log.h"
#include "util/utf8.h"
#include "web/web.h"

#define LOGIN_PATH "/agent/connexion"
#define RETOUR_MAX 512 /* longest path kept to come back to after login */

static lang lang_of(http_req *rq)
{
    return rq->lang == LANG_EN ? LANG_EN : LANG_FR;
}

/* Percent-encodes s for a query value (RFC 3986 unreserved characters and '/' kept). */
static const char *query_escape(http_req *rq, const char *s)
{
    const char *out = form_encode(rq->arena, s, "/");
    return out ? out : "";
}

/* The page to come back to after login: this GET's path and query; for other methods the
 * path alone (the form will be shown again). */
static const char *retour_of(http_req *rq)
{
    const char *path = rq->path ? rq->path : "/agent/";
    if (rq->method != HTTP_GET || rq->query.count == 0)
        return path;
    buf b;
    buf_init(&b, RETOUR_MAX);
    int ok = buf_puts(&b, path) == 0;
    for (size_t i = 0; ok && i < rq->query.count; i++) {
        const form_field *f = &rq->query.fields[i];
        ok = buf_puts(&b, i == 0 ? "?" : "&") == 0 &&
             buf_puts(&b, query_escape(rq, f->name)) == 0 && buf_puts(&b, "=") == 0 &&
             buf_puts(&b, query_escape(rq, f->value)) == 0;
    }
    const char *r = ok ? arena_strdup(rq->arena, buf_cstr(&b)) : path;
    buf_free(&b);
    return r ? r : path;
}

int bo_agent(http_req *rq, store_agent *out)
{
    if (!web_tenant(rq))
        return 0;
    int had_cookie;
    if (web_agent(rq, out, &had_cookie))
        return 1;
    if (had_cookie)
        http_set_cookie(rq, BO_SESSION_COOKIE, "", 0, 1);
    const char *to =
        arena_printf(rq->arena, "%s?retour=%s%s%s", LOGIN_PATH, query_escape(rq, retour_of(rq)),
                     had_cookie ? "&expiree=1" : "", lang_of(rq) == LANG_EN ? "&lang=en" : "");
    web_redirect(rq, to ? to : LOGIN_PATH);
    return 0;
}

int bo_admit(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return -1;
    return web_admit_form(rq);
}

int bo_admin(http_req *rq, store_agent *out)
{
    if (!bo_agent(rq, out))
        return 0;
    if (perm_can_admin(out))
        return 1;
    bo_forbidden(rq);
    return 0;
}

const char *bo_role_label(http_req *rq, const char *role)
{
    agent_role r;
    if (!role || agent_role_parse(role, &r) != 0)
        return role ? role : "";
    return agent_role_label(r, lang_of(rq));
}

/* Transition alias: the one implementation is present_set_str (present/present.h). */

/* The navigation entries: path, label key, who sees them. */
typedef struct nav_entry {
    const char *href;
    const char *label_key;
    int (*allowed)(const store_agent *a);
    const char *section; /* the path prefix that makes it current */
} nav_entry;

static int everyone(const store_agent *a)
{
    return a != NULL;
}

static const nav_entry nav_entries[] = {
    {"/agent/", "agent.layout.nav_inbox", everyone, "/agent/"},
    {"/agent/saisie", "agent.layout.nav_intake", perm_can_intake, "/agent/saisie"},
    {"/agent/courrier", "agent.layout.nav_post", perm_can_intake, "/agent/courrier"},
    {"/agent/appel", "agent.layout.nav_caller", everyone, "/agent/appel"},
    /* The field view (a phone's page): everyone who changes requests, not élus. */
    {"/agent/terrain", "agent.layout.nav_field", perm_can_intake, "/agent/terrain"},
    {"/agent/diffusions", "broadcasts.nav", perm_can_broadcast, "/agent/diffusions"},
    {"/agent/parapheur", "parapheur.nav", perm_can_sign, "/agent/parapheur"},
    {"/agent/pilotage", "pilotage.nav", perm_can_dashboard, "/agent/pilotage"},
    {"/agent/admin", "agent.layout.nav_admin", perm_can_admin, "/agent/admin"},
    {"/agent/admin/audit", "agent.layout.nav_audit", perm_can_admin, "/agent/admin/audit"},
};
#define N_NAV (sizeof nav_entries / sizeof nav_entries[0])

static int has_prefix(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 &&
           (path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/');
}

static json_t *nav_json(http_req *rq, const store_agent *a)
{
    const char *path = rq->path ? rq->path : "";
    /* The longest matching section is the current one: /agent/admin/audit is the audit
     * log, not the administration overview. */
    size_t best = N_NAV, best_len = 0;
    for (size_t i = 0; i < N_NAV; i++) {
        size_t n = strlen(nav_entries[i].section);
        if (nav_entries[i].allowed(a) && has_prefix(path, nav_entries[i].section) && n > best_len) {
            best = i;
            best_len = n;
        }
    }
    json_t *nav = json_array();
    const char *lq = lang_of(rq) == LANG_EN ? "?lang=en" : "";
    for (size_t i = 0; nav && i < N_NAV; i++) {
        if (!nav_entries[i].allowed(a))
            continue;
        json_t *e = json_object();
        present_set_str(e, "href", arena_printf(rq->arena, "%s%s", nav_entries[i].href, lq));
        present_set_str(e, "label",
                        present_string(rq->present, lang_of(rq), nav_entries[i].label_key));
        if (i == best)
            json_object_set_new(e, "current", json_true());
        json_array_append_new(nav, e);
    }
    return nav;
}

json_t *bo_context(http_req *rq, const store_agent *a)
{
    json_t *ctx = web_context(rq);
    if (!ctx)
        return NULL;
    /* A citizen session in the same browser has nothing to do with the back office. */
    json_object_del(ctx, "user");
    if (lang_of(rq) == LANG_EN)
        present_set_str(ctx, "lang_q", "?lang=en");
    if (!a)
        return ctx;
    json_t *ag = json_object();
    json_object_set_new(ag, "id", json_integer(a->id));
    present_set_str(ag, "name", a->name && *a->name ? a->name : a->email);
    present_set_str(ag, "email", a->email);
    present_set_str(ag, "role", a->role);
    present_set_str(ag, "role_label", bo_role_label(rq, a->role));
    json_object_set_new(ag, "is_admin", json_boolean(perm_can_admin(a)));
    json_object_set_new(ag, "is_manager", json_boolean(a->role && !strcmp(a->role, "manager")));
    json_object_set_new(ag, "is_elected", json_boolean(a->role && !strcmp(a->role, "elected")));
    json_object_set_new(ag, "can_intake", json_boolean(perm_can_intake(a)));
    json_object_set_new(ag, "can_bulk", json_boolean(perm_can_bulk(a)));
    json_object_set_new(ctx, "agent", ag);
    json_object_set_new(ctx, "nav", nav_json(rq, a));
    return ctx;
}

void bo_render(http_req *rq, int status, const char *tmpl, json_t *ctx)
{
    rq->cacheable = 0; /* and so web_render says no-store */
    http_add_header(rq, "X-Robots-Tag", "noindex, nofollow");
    web_render(rq, status, tmpl, ctx);
}

static void error_page(http_req *rq, int status, const char *title_key, const char *text_key)
{
    store_agent a;
    int had_cookie;
    int logged_in = web_agent(rq, &a, &had_cookie);
    json_t *ctx = bo_context(rq, logged_in ? &a : NULL);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    const char *title = present_string(rq->present, lang_of(rq), title_key);
    present_set_str(ctx, "title", title);
    present_set_str(ctx, "heading", title);
    present_set_str(ctx, "message", present_string(rq->present, lang_of(rq), text_key));
    json_object_set_new(ctx, "status", json_integer(status));
    buf_reset(&rq->out);
    bo_render(rq, status, "agent/partials/error_page", ctx);
}

void bo_forbidden(http_req *rq)
{
    log_info("backoffice: 403 on %s", rq->path ? rq->path : "?");
    error_page(rq, 403, "agent.layout.forbidden_title", "agent.layout.forbidden_text");
}

void bo_not_found(http_req *rq)
{
    error_page(rq, 404, "agent.layout.not_found_title", "agent.layout.not_found_text");
}

int bo_form(http_req *rq, form *out)
{
    error e;
    if (http_form_body(rq, out, &e) != 0) {
        web_write_error(rq, &e);
        return -1;
    }
    return web_check_csrf(rq, out);
}

core_actor bo_who(http_req *rq, const store_agent *a)
{
    return actor_of_agent(a, web_audit_source(rq));
}

void bo_record_access(http_req *rq, const store_agent *a, const char *action, const char *kind,
                      const int64_t *ids, size_t n)
{
    if (!rq->host_tenant)
        return;
    core_actor who = bo_who(rq, a);
    audit_record_access(rq->core, rq->host_tenant->rec.id, &who, action, kind, ids, n);
}

/* ---- form pages ---- */

#define VALUE_MAX 4000 /* characters of a typed value shown again */

int bo_page_start(bo_page *p, http_req *rq, const store_agent *a)
{
    memset(p, 0, sizeof *p);
    p->rq = rq;
    p->l = lang_of(rq);
    if (!web_tenant(rq))
        return -1;
    p->ctx = bo_context(rq, a);
    p->errors = json_array();
    p->field_errors = json_object();
    p->values = json_object();
    if (!p->ctx || !p->errors || !p->field_errors || !p->values) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        bo_page_fail(p, &e);
        return -1;
    }
    return 0;
}

const char *bo_page_str(const bo_page *p, const char *key)
{
    return present_string(p->rq->present, p->l, key);
}

void bo_page_error(bo_page *p, const char *field, const char *message)
{
    if (json_object_get(p->field_errors, field))
        return;
    json_t *e = json_object();
    json_object_set_new(e, "field", json_string(field));
    json_object_set_new(e, "message", json_string(message ? message : ""));
    json_array_append_new(p->errors, e);
    json_object_set_new(p->field_errors, field, json_string(message ? message : ""));
}

void bo_page_error_key(bo_page *p, const char *field, const char *msg_key)
{
    bo_page_error(p, field, bo_page_str(p, msg_key));
}

int bo_page_has_errors(const bo_page *p)
{
    return json_array_size(p->errors) > 0;
}

void bo_page_notice(bo_page *p, const char *kind, const char *text)
{
    json_t *n = json_object();
    json_object_set_new(n, "kind", json_string(kind));
    json_object_set_new(n, "text", json_string(text ? text : ""));
    json_object_set_new(p->ctx, "notice", n);
}

void bo_page_value(bo_page *p, const char *field, const char *value)
{
    if (!value)
        return;
    size_t n = strlen(value);
    if (!utf8_valid(value, n))
        return;
    n = utf8_prefix_bytes(value, n, VALUE_MAX);
    json_object_set_new(p->values, field, json_stringn(value, n));
}

void bo_page_set(bo_page *p, const char *key, json_t *v)
{
    json_object_set_new(p->ctx, key, v);
}

void bo_page_render(bo_page *p, int status, const char *tmpl, const char *title)
{
    if (bo_page_has_errors(p)) {
        title = arena_printf(p->rq->arena, "%s %s", bo_page_str(p, "common.error_prefix"),
                             title ? title : "");
        json_object_set_new(p->ctx, "has_errors", json_true());
        if (status == 200)
            status = 400;
    }
    json_object_set_new(p->ctx, "title", json_string(title ? title : ""));
    json_object_set_new(p->ctx, "errors", p->errors);
    json_object_set_new(p->ctx, "field_errors", p->field_errors);
    json_object_set_new(p->ctx, "values", p->values);
    json_t *ctx = p->ctx;
    p->ctx = p->errors = p->field_errors = p->values = NULL;
    bo_render(p->rq, status, tmpl, ctx);
}

void bo_page_discard(bo_page *p)
{
    json_decref(p->ctx);
    json_decref(p->errors);
    json_decref(p->field_errors);
    json_decref(p->values);
    p->ctx = p->errors = p->field_errors = p->values = NULL;
}

void bo_page_fail(bo_page *p, const error *err)
{
    bo_page_discard(p);
    web_write_error(p->rq, err);
}

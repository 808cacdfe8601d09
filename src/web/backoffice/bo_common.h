/*
 * bo_common — what every back-office page shares: the logged-in agent (or a redirect to the
 * login page), the page context with the agent and the navigation, rendering with the agent
 * layout, the 403/404 pages, CSRF-checked form bodies and who acts (bo_who) for core.
 *
 * Every handler under /agent/ (but the login pages) starts with bo_agent(): nothing there is
 * readable without a session that passed the second factor. Permissions on objects are core's
 * (core/perm.h); these helpers only answer when a check fails.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_COMMON_H
#define GUICHET_WEB_BACKOFFICE_BO_COMMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "http/http.h"
#include "store/records.h"
#include "util/error.h"
#include "util/form.h"
#include "web/web.h"

/* The agent session cookie (web.h: the portal's attachments read it too). */
#define BO_SESSION_COOKIE WEB_AGENT_COOKIE

/* The logged-in agent of this request: 1 and *out (strings in rq->arena). Otherwise answers
 * 303 to /agent/connexion?retour=<this path> (with &expiree=1 when the browser's session
 * ran out: 30 minutes idle or 12 hours) and returns 0: the handler must return at once. */
int bo_agent(http_req *rq, store_agent *out);
/* Like bo_agent, and the agent must be an admin: otherwise answers 403 and returns 0. */
int bo_admin(http_req *rq, store_agent *out);

/* A new page context: web_context (t, lang, tenant, csrf, path…) plus
 *   agent  {id, name, email, role, role_label, is_admin, is_manager, is_elected}
 *   nav    [{href, label, current}] the navigation the agent's role allows
 *   nav_current  the first path segment after /agent/ ("", "saisie", "admin"…)
 * The caller adds its fields and passes it to bo_render. NULL when out of memory. */
json_t *bo_context(http_req *rq, const store_agent *a);
/* Renders template `tmpl` ("agent/inbox") with ctx (its reference is taken). Back-office
 * pages are never cached and never indexed. */
void bo_render(http_req *rq, int status, const char *tmpl, json_t *ctx);

/* 403 page ("you may not do this"). */
void bo_forbidden(http_req *rq);
/* 404 page: for objects outside the agent's scope, so that nothing about them leaks. */
void bo_not_found(http_req *rq);

/* The POST body parsed and its CSRF token checked: 0, or -1 after answering (400 for a
 * malformed body, 403 for a wrong token); the handler must then return at once. */
int bo_form(http_req *rq, form *out);

/* Agent a acting from this request's address (web_audit_source): what every back-office
 * page tells core of who acts. a may be NULL (a login with an address that names no agent:
 * the audit log says "system"). Points to a and to rq->arena: a must outlive the call (the
 * handler's stack while it runs; a copy in rq->arena when the handler suspends). */
core_actor bo_who(http_req *rq, const store_agent *a);
/* Records agent a's read of personal data (action "view", "list", "search", "export"; kind
 * of record "request", "account"…; the records' ids, never personal data) in the
 * background, through core's audit policy (audit_record_access). */
void bo_record_access(http_req *rq, const store_agent *a, const char *action, const char *kind,
                      const int64_t *ids, size_t n);

/* ---- form pages: context, error summary, values typed, notice ---- */

/* A page being built. errors [{field, message}] feed the error summary (partial
 * agent/partials/errors, which also shows `notice`), field_errors {field: message} the
 * fields, values {field: value} what was typed. */
typedef struct bo_page {
    http_req *rq;
    lang l;
    json_t *ctx;
    json_t *errors;
    json_t *field_errors;
    json_t *values;
} bo_page;

/* Starts a page with bo_context(rq, a) (a may be NULL: login pages): 0, or -1 after
 * answering (no tenant, out of memory). */
int bo_page_start(bo_page *p, http_req *rq, const store_agent *a);
/* The string `key` of the page's language. */
const char *bo_page_str(const bo_page *p, const char *key);
/* Adds an error on field (the first per field wins); message is shown as is. */
void bo_page_error(bo_page *p, const char *field, const char *message);
/* The same with the string of i18n key msg_key. */
void bo_page_error_key(bo_page *p, const char *field, const char *msg_key);
int bo_page_has_errors(const bo_page *p);
/* A framed message above the content: kind "info" or "success". */
void bo_page_notice(bo_page *p, const char *kind, const char *text);
/* Keeps a typed value (valid UTF-8 without control characters, cut to 4,000 characters). */
void bo_page_value(bo_page *p, const char *field, const char *value);
/* Sets ctx[key] (reference taken). */
void bo_page_set(bo_page *p, const char *key, json_t *v);
/* Renders tmpl with title (prefixed «Erreur :» when there are errors, and then status 200
 * becomes 400). Frees the page. */
void bo_page_render(bo_page *p, int status, const char *tmpl, const char *title);
/* Drops the page without rendering (the handler answered otherwise). */
void bo_page_discard(bo_page *p);
/* Drops the page and answers err with the HTML error page. */
void bo_page_fail(bo_page *p, const error *err);

/* ---- the administration's pages (bo_admin_common.c), for its other files ---- */

/* Starts an admin page under tab `tab` ("/agent/admin/…"): the agent must be an admin
 * (else 303 to login or 403), the tabs are set and a «fait» notice shown. 0, or -1 after
 * answering. */
int bo_admin_page(http_req *rq, store_agent *a, bo_page *p, const char *tab);
/* An admin's POST: admin, then its CSRF token. 0, or -1 after answering. */
int bo_admin_form(http_req *rq, store_agent *a, form *f);
/* Sets the administration's tabs on a page started otherwise, `tab` current. */
void bo_admin_tabs(bo_page *p, const char *tab);
/* 303 to `path` with the «fait=<done>» notice (admin.done.<done>) and the page's language. */
void bo_admin_done(http_req *rq, const char *path, const char *done);
/* A positive id from a path segment; 0 when it is not one. */
int64_t bo_admin_id(const char *s);

/* The role's label in the page's language ("Agent", "Responsable", "Élu", "Administrateur"). */
const char *bo_role_label(http_req *rq, const char *role);

#endif

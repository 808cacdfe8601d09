/*
 * bo_common — what every back-office page shares: the logged-in agent (or a redirect to the
 * login page), the page context with the agent and the navigation, rendering with the agent
 * layout, the 403/404 pages, CSRF-checked form bodies and the audit hook.
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

#include "http/http.h"
#include "store/store.h"
#include "util/form.h"

/* The agent session cookie (distinct from the citizens' one: an agent can be a citizen too). */
#define BO_SESSION_COOKIE "guichet_agent"

/* The logged-in agent of this request: 1 and *out (strings in rq->arena). Otherwise answers
 * 303 to /agent/connexion?retour=<this path> (with ?expiree=1 when the session just ran out)
 * and returns 0: the handler must return at once. Looked up once per request. */
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

/* Writes one audit entry for agent a: action ("view", "search", "list", "export",
 * "change", "login", "admin"…), kind of record ("request", "contact", "agent"…), the
 * records' ids (never personal data). Failures are logged loudly, never shown. */
void bo_audit(http_req *rq, const store_agent *a, const char *action, const char *kind,
              const int64_t *ids, size_t n);

/* The role's label in the page's language ("Agent", "Responsable", "Élu", "Administrateur"). */
const char *bo_role_label(http_req *rq, const char *role);

#endif

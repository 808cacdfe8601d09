/*
 * bo_work — what the agents' work pages share (private to bo_inbox.c, bo_request.c,
 * bo_intake.c and bo_mobile.c; bo_retention.c uses its context helpers): small context helpers,
 * who acts (the core_actor every core operation is given), opening a request within the
 * agent's scope (404 otherwise: no existence leak), reply templates with their variables, the
 * continuation of a write answered by a redirect. Each work area exports its own route
 * table (backoffice.h).
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_WORK_H
#define GUICHET_WEB_BACKOFFICE_BO_WORK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/sla.h"
#include "docs/tabular.h"
#include "http/http.h"
#include "present/present.h"
#include "store/records.h"

#define BO_REPLY_MAX 10000 /* characters of a reply or a note */

/* Percent-encoding of a path segment or query value, in rq->arena ("" for NULL). */
const char *bo_url(http_req *rq, const char *s);
/* "12/03/2026" (with_time: "12/03/2026 14:30") in the tenant's zone, in rq->arena; NULL for
 * when <= 0. */
const char *bo_date(http_req *rq, const cat_tenant *t, int64_t when, int with_time);
/* The agents' label of status code of a request of procedure p (web_status_label), with a
 * capital letter, in rq->arena. */
const char *bo_status_label(http_req *rq, const cat_procedure *p, const char *code);
/* The agent_role of a's role name; AGENT_ROLE_COUNT (no transition names it) when unknown. */
int bo_role(const store_agent *a);
/* The channel's label ("Téléphone"…), from the i18n strings. */
const char *bo_channel_label(http_req *rq, const char *code);
/* The query parameter name, NULL when missing or empty. */
const char *bo_query(http_req *rq, const char *name);
/* A <select>'s option for the templates: {"value", "label", "selected": value = current}. */
json_t *bo_option(const char *value, const char *label, const char *current);
/* Every channel as options (bo_option), labelled, current selected: the filters of the inbox
 * and of the dashboards. */
json_t *bo_channel_options(http_req *rq, const char *current);
/* The priority's label ("Urgente"…). */
const char *bo_priority_label(http_req *rq, int priority);
/* The SLA badge of a request in o: "sla" (its state's name, core/sla.h) and "sla_label" (the
 * words the badge says, never its colour alone); nothing for SLA_NONE. */
void bo_sla_set(http_req *rq, json_t *o, sla_state s);
/* s without surrounding blanks, in the arena; NULL stays NULL. */
const char *bo_trim(http_req *rq, const char *s);
/* Checks a text typed by an agent: NULL with *msg_key set when required and missing, too
 * long or holding control characters other than line breaks and tabs. */
const char *bo_text(http_req *rq, const char *s, size_t max_chars, int required,
                    const char **msg_key);
/* The citizen's name as given, or NULL. */
const char *bo_citizen_name(http_req *rq, const store_request *r);

/* Opens request `reference` for agent a: 1 and *out, or 0 after answering 404 (unknown, of
 * another tenant, or outside the agent's scope: the same answer) or 500. */
int bo_open_request(http_req *rq, const store_agent *a, const cat_tenant *t, const char *reference,
                    store_request *out);

/* The request page's letter section (bo_letters.c): ctx["letter_templates"], the templates
 * that apply to r, when a may change r; nothing otherwise. */
void bo_letters_context(http_req *rq, const store_agent *a, const cat_tenant *t,
                        const store_request *r, json_t *ctx);

/* The tenant's reply templates (id, name, body). */
int bo_reply_templates(http_req *rq, const cat_tenant *t, store_reply_template **out, size_t *n);
/* The body of template `id` with {{reference}}, {{procedure}}, {{citizen}}, {{agent}} and
 * {{date}} filled for request r, in rq->arena; NULL when no such template. */
const char *bo_reply_fill(http_req *rq, const cat_tenant *t, const store_reply_template *tpl,
                          size_t n_tpl, int64_t id, const store_request *r, const store_agent *a);
/* Suspends rq for one write (give http_wait_done and the result to the core operation, then
 * http_wait_started); once it is durable, redirects to `to` (in rq->arena), else answers as
 * bo_write_refused. */
http_wait *bo_wait_redirect(http_req *rq, const char *to);
/* Answers a refused write: the back office's 404 for ERR_NOT_FOUND (out of scope and unknown
 * alike), its 403 for ERR_FORBIDDEN, the error page otherwise. */
void bo_write_refused(http_req *rq, const error *err);

/* Answers every request of filter f (the inbox's, already narrowed by perm_scope to agent
 * a's scope; its strings are copied) as a download in format fmt, streamed in batches and
 * each batch audited as an export by a (bo_export.c). GeoJSON leaves out the requests
 * without a position. */
void bo_export_requests(http_req *rq, const cat_tenant *t, const store_agent *a,
                        const store_request_filter *f, tabular_format fmt);

#endif

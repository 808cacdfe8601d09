/*
 * bo_admin_audit — the audit log under /agent/admin/audit, for admins: its entries in words
 * («Martin Durand a consulté la demande 2026-000466»), newest first, filtered by agent,
 * request and period, a page at a time; and the verification of its hash chain. Reads go
 * through core (admin_audit_search, audit_verify).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/audit.h"
#include "core/request.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define TAB "/agent/admin/audit"
#define AUDIT_PAGE 50

/* Who acted, in words: an agent's name, else what the label says («la clé d'API n° 3»,
 * «guichet», «un usager»). */
static const char *actor_words(bo_page *p, const char *actor, const store_agent *agents, size_t n)
{
    http_req *rq = p->rq;
    int64_t id = actor_label_agent_id(actor);
    for (size_t i = 0; id && i < n; i++)
        if (agents[i].id == id)
            return agents[i].name;
    if (!actor)
        return "";
    const char *colon = strchr(actor, ':');
    size_t kind_len = colon ? (size_t)(colon - actor) : strlen(actor);
    char key[64];
    snprintf(key, sizeof key, "admin.audit.who.%.*s", (int)kind_len, actor);
    const char *words = bo_page_str(p, key);
    if (!words || strcmp(words, key) == 0)
        return actor;
    return colon ? arena_printf(rq->arena, "%s %s", words, colon + 1) : words;
}

/* The requests an entry names, as links to their pages (at most AUDIT_REFS_SHOWN, then «et N
 * autres»); an id whose request is gone (erased) shows as «n° id». */
#define AUDIT_REFS_SHOWN 10
static json_t *named_requests(bo_page *p, const char *ids, const store_request_name *names,
                              size_t n_names, size_t *count)
{
    http_req *rq = p->rq;
    json_t *arr = json_array();
    *count = 0;
    for (const char *q = ids; q && *q;) {
        char *end = NULL;
        long long id = strtoll(q, &end, 10);
        if (end == q)
            break;
        q = *end == ',' ? end + 1 : end;
        if (id <= 0)
            continue;
        if ((*count)++ >= AUDIT_REFS_SHOWN)
            continue;
        const char *ref = NULL;
        for (size_t i = 0; i < n_names && !ref; i++)
            if (names[i].id == id)
                ref = names[i].reference;
        json_t *o = json_object();
        present_set_str(o, "sep", *count > 1 ? ", " : " ");
        if (ref) {
            present_set_str(o, "reference", ref);
            present_set_str(o, "href", arena_printf(rq->arena, "/agent/demandes/%s", ref));
        } else {
            present_set_str(o, "reference", arena_printf(rq->arena, "n° %lld", id));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

/* One entry in words: «Martin Durand a consulté la demande 2026-000466». The verb phrase
 * comes from admin.audit.did.<action>_<kind> (else .<action>, else the raw action); requests
 * are named by reference; other objects by their number. */
static json_t *entry_json(bo_page *p, const store_audit *e, const store_agent *agents,
                          size_t n_agents, const store_request_name *names, size_t n_names)
{
    http_req *rq = p->rq;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    present_set_str(o, "when", bo_admin_when(rq, e->at));
    present_set_str(o, "iso", bo_admin_iso(rq, e->at));
    present_set_str(o, "who", actor_words(p, e->actor, agents, n_agents));
    const char *kind = e->object_kind ? e->object_kind : "";
    int is_request = strcmp(kind, "request") == 0;
    size_t n_refs = 0;
    json_t *refs = is_request ? named_requests(p, e->object_ids, names, n_names, &n_refs) : NULL;
    char key[96];
    snprintf(key, sizeof key, "admin.audit.did.%s_%s%s", e->action, kind,
             is_request && n_refs == 0 ? "_none" : "");
    const char *did = bo_page_str(p, key);
    if (strcmp(did, key) == 0) {
        snprintf(key, sizeof key, "admin.audit.did.%s", e->action);
        did = bo_page_str(p, key);
        if (strcmp(did, key) == 0)
            did = arena_printf(rq->arena, "%s %s", e->action, kind);
    }
    present_set_str(o, "did", did);
    if (refs) {
        json_object_set_new(o, "requests", refs);
        if (n_refs > AUDIT_REFS_SHOWN)
            present_set_str(
                o, "more",
                arena_printf(rq->arena, "%s %zu %s", bo_page_str(p, "admin.audit.and"),
                             n_refs - AUDIT_REFS_SHOWN,
                             bo_page_str(p, n_refs - AUDIT_REFS_SHOWN > 1 ? "admin.audit.others"
                                                                          : "admin.audit.other")));
    } else if (e->object_ids && *e->object_ids) {
        present_set_str(o, "object", arena_printf(rq->arena, "n° %s", e->object_ids));
    }
    present_set_str(o, "source", e->source ? e->source : "");
    return o;
}

/* "2026-03-12" as the start (or, end_of_day, the last second) of that day in the
 * collectivité's zone; -1 when malformed. */
static int64_t local_day(http_req *rq, const char *s, int end_of_day)
{
    const cat_tenant *t = web_tenant(rq);
    char buf_[40];
    int64_t out = 0;
    if (!s || strlen(s) != 10)
        return -1;
    snprintf(buf_, sizeof buf_, "%sT%s", s, end_of_day ? "23:59:59" : "00:00:00");
    if (time_parse_local(buf_, t ? t->rec.timezone : NULL, &out) != 0)
        return -1;
    return out;
}

/* The page: newest first, filtered by agent, request and period (the query string: agent,
 * demande, du, au), a page at a time (avant: the oldest entry shown). */
static void audit_render(bo_page *p, int status)
{
    http_req *rq = p->rq;
    error e;
    error_clear(&e);
    int64_t tenant = bo_admin_tenant(rq);
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (agent_list(rq->core, tenant, rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    store_audit_filter f = {.tenant_id = tenant, .limit = AUDIT_PAGE + 1};
    const char *agent_q = form_get(&rq->query, "agent");
    const char *ref_q = form_get(&rq->query, "demande");
    const char *from_q = form_get(&rq->query, "du");
    const char *to_q = form_get(&rq->query, "au");
    const char *before_q = form_get(&rq->query, "avant");
    json_t *problems = json_array();
    if (agent_q && *agent_q)
        f.agent_id = bo_admin_id(agent_q);
    if (before_q && *before_q)
        f.before_id = bo_admin_id(before_q) > 0 ? bo_admin_id(before_q) : 0;
    if (from_q && *from_q && (f.from = local_day(rq, from_q, 0)) < 0) {
        f.from = 0;
        json_array_append_new(problems, json_string(bo_page_str(p, "admin.audit.bad_from")));
    }
    if (to_q && *to_q && (f.to = local_day(rq, to_q, 1)) < 0) {
        f.to = 0;
        json_array_append_new(problems, json_string(bo_page_str(p, "admin.audit.bad_to")));
    }
    int nothing = 0; /* a filter that can match nothing: no query */
    if (f.agent_id < 0)
        nothing = 1;
    if (ref_q && *ref_q) {
        store_request r;
        const cat_tenant *t = web_tenant(rq);
        if (!t || !request_reference_ok(ref_q) ||
            request_get(rq->core, t, ref_q, rq->arena, &r, &e) != 0) {
            error_clear(&e);
            json_array_append_new(problems, json_string(arena_printf(
                                                rq->arena, "%s %s",
                                                bo_page_str(p, "admin.audit.no_request"), ref_q)));
            nothing = 1;
        } else {
            f.request_id = r.id;
        }
    }
    store_audit *list = NULL;
    size_t n = 0;
    if (!nothing && admin_audit_search(rq->core, &f, rq->arena, &list, &n, &e) != 0) {
        json_decref(problems);
        bo_page_fail(p, &e);
        return;
    }
    int more = n > AUDIT_PAGE;
    if (more)
        n = AUDIT_PAGE;
    /* Every request the page's entries name, by reference, in one read. */
    /* At most AUDIT_REFS_SHOWN named per entry: a bounded array, not the store's maximum. */
    int64_t ids[AUDIT_PAGE * AUDIT_REFS_SHOWN];
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (!list[i].object_kind || strcmp(list[i].object_kind, "request") != 0)
            continue;
        size_t shown = 0;
        for (const char *q = list[i].object_ids;
             q && *q && n_ids < sizeof ids / sizeof ids[0] && shown < AUDIT_REFS_SHOWN;) {
            char *end = NULL;
            long long id = strtoll(q, &end, 10);
            if (end == q)
                break;
            q = *end == ',' ? end + 1 : end;
            if (id > 0) {
                ids[n_ids++] = id;
                shown++;
            }
        }
    }
    store_request_name *names = NULL;
    size_t n_names = 0;
    if (admin_audit_request_names(rq->core, tenant, ids, n_ids, rq->arena, &names, &n_names, &e) !=
        0) {
        json_decref(problems);
        bo_page_fail(p, &e);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, entry_json(p, &list[i], agents, n_agents, names, n_names));
    bo_page_set(p, "entries", arr);
    bo_page_set(p, "problems", problems);
    /* The filter form: agents in French order, the values typed kept. */
    json_t *aj = json_array();
    for (size_t i = 0; i < n_agents; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(agents[i].id));
        present_set_str(o, "name", agents[i].name);
        json_object_set_new(o, "selected", json_boolean(agents[i].id == f.agent_id));
        json_array_append_new(aj, o);
    }
    bo_page_set(p, "agents", aj);
    bo_page_set(p, "f_ref", json_string(ref_q ? ref_q : ""));
    bo_page_set(p, "f_from", json_string(from_q ? from_q : ""));
    bo_page_set(p, "f_to", json_string(to_q ? to_q : ""));
    /* Paging keeps the filters. */
    buf b;
    buf_init(&b, 512);
    if (f.agent_id > 0)
        buf_printf(&b, "agent=%lld&", (long long)f.agent_id);
    if (ref_q && *ref_q)
        buf_printf(&b, "demande=%s&", bo_url(rq, ref_q));
    if (from_q && *from_q)
        buf_printf(&b, "du=%s&", bo_url(rq, from_q));
    if (to_q && *to_q)
        buf_printf(&b, "au=%s&", bo_url(rq, to_q));
    if (rq->lang == LANG_EN)
        buf_printf(&b, "lang=en&");
    const char *base = arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    if (more)
        bo_page_set(p, "older_href",
                    json_string(arena_printf(rq->arena, "/agent/admin/audit?%savant=%lld", base,
                                             (long long)list[n - 1].id)));
    if (f.before_id)
        bo_page_set(p, "newest_href",
                    json_string(arena_printf(rq->arena, "/agent/admin/audit?%s", base)));
    bo_page_render(p, status, "agent/admin/audit", bo_page_str(p, "admin.audit.title"));
}

static void audit_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    audit_render(&p, 200);
}

static void audit_verify_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    int64_t bad = 0, checked_n = 0;
    error e;
    json_t *v = json_object();
    if (audit_verify(rq->core, bo_admin_tenant(rq), &bad, &checked_n, &e) == 0) {
        json_object_set_new(v, "intact", json_true());
        present_set_str(v, "text",
                        arena_printf(rq->arena, "%s (%lld)", bo_page_str(&p, "admin.audit.intact"),
                                     (long long)checked_n));
    } else if (e.code == ERR_CONFLICT) {
        present_set_str(v, "text",
                        arena_printf(rq->arena, "%s %lld", bo_page_str(&p, "admin.audit.broken"),
                                     (long long)bad));
        json_object_set_new(v, "first_bad", json_integer(bad));
    } else {
        json_decref(v);
        bo_page_fail(&p, &e);
        return;
    }
    bo_page_set(&p, "verify", v);
    audit_render(&p, 200);
}

const http_route bo_admin_audit_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, audit_get},
    {HTTP_POST, TAB "/verifier", audit_verify_post},
    {0, NULL, NULL},
};

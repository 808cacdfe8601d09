/*
 * bo_admin_audit — the audit log under /agent/admin/audit, for admins: its entries a page at
 * a time (agents named beside their id), and the verification of its hash chain. Reads go
 * through core (admin_audit_list, audit_verify).
 */
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/audit.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/audit"
#define AUDIT_PAGE 50

/* "agent:12" → the agent's name when known. */
static const char *actor_label(http_req *rq, const char *actor, const store_agent *agents, size_t n)
{
    int64_t id = actor_label_agent_id(actor);
    for (size_t i = 0; id && i < n; i++)
        if (agents[i].id == id)
            return arena_printf(rq->arena, "%s (%s)", agents[i].name, actor);
    return actor ? actor : "";
}

static void audit_render(bo_page *p, int status)
{
    http_req *rq = p->rq;
    error e;
    int64_t after = -1;
    const char *q = form_get(&rq->query, "apres");
    if (q)
        after = bo_admin_id(q);
    if (after < 0) {
        /* Without a position: the latest page. Ids are shared by every tenant, so this is a
         * lower bound that shows at most a page of this tenant's latest entries. */
        store_audit last;
        int found = 0;
        if (admin_audit_last(rq->core, bo_admin_tenant(rq), rq->arena, &last, &found, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        after = found && last.id > AUDIT_PAGE ? last.id - AUDIT_PAGE : 0;
    }
    store_audit *list = NULL;
    size_t n = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (admin_audit_list(rq->core, bo_admin_tenant(rq), after, AUDIT_PAGE + 1, rq->arena, &list, &n,
                         &e) != 0 ||
        agent_list(rq->core, bo_admin_tenant(rq), rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    int more = n > AUDIT_PAGE;
    if (more)
        n = AUDIT_PAGE;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(list[i].id));
        present_set_str(o, "when", bo_admin_when(rq, list[i].at));
        present_set_str(o, "iso", bo_admin_iso(rq, list[i].at));
        present_set_str(o, "actor", actor_label(rq, list[i].actor, agents, n_agents));
        present_set_str(o, "action", list[i].action);
        present_set_str(o, "kind", list[i].object_kind);
        present_set_str(o, "ids", list[i].object_ids);
        present_set_str(o, "source", list[i].source);
        json_array_append_new(arr, o);
    }
    bo_page_set(p, "entries", arr);
    const char *lq = rq->lang == LANG_EN ? "&lang=en" : "";
    if (after > 0)
        bo_page_set(p, "prev_href",
                    json_string(arena_printf(
                        rq->arena, "/agent/admin/audit?apres=%lld%s",
                        (long long)(after > AUDIT_PAGE ? after - AUDIT_PAGE : 0), lq)));
    if (more)
        bo_page_set(p, "next_href",
                    json_string(arena_printf(rq->arena, "/agent/admin/audit?apres=%lld%s",
                                             (long long)list[n - 1].id, lq)));
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

/*
 * perm — the access rules. Everything here is a pure function of the agent's record and the
 * request's record, so the whole matrix is unit-tested (tests/unit/test_agent.c). A request
 * without a department is routed by admins (or by the automatic routing of its procedure);
 * agents and managers see it once it is in one of their departments or assigned to them.
 */
#include "core/perm.h"

#include <string.h>

/* The role of an active agent, or -1 (inactive, unknown role, NULL). */
static int role_of(const store_agent *a)
{
    agent_role r;
    if (!a || !a->active || agent_role_parse(a->role, &r) != 0)
        return -1;
    return (int)r;
}

int perm_in_department(const store_agent *a, int64_t department_id)
{
    if (!a || department_id <= 0)
        return 0;
    for (size_t i = 0; i < a->n_departments; i++)
        if (a->department_ids && a->department_ids[i] == department_id)
            return 1;
    return 0;
}

static int assigned_to(const store_agent *a, const store_request *r)
{
    if (!r->assignee)
        return 0;
    char me[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(a, me);
    return strcmp(me, r->assignee) == 0;
}

int perm_can_view(const store_agent *a, const store_request *r)
{
    int role = role_of(a);
    if (role < 0 || !r || r->tenant_id != a->tenant_id)
        return 0;
    switch (role) {
    case AGENT_ROLE_ADMIN:
    case AGENT_ROLE_ELECTED:
        return 1;
    case AGENT_ROLE_MANAGER:
    case AGENT_ROLE_AGENT:
        return perm_in_department(a, r->department_id) || assigned_to(a, r);
    default:
        return 0;
    }
}

int perm_can_change(const store_agent *a, const store_request *r)
{
    return role_of(a) != AGENT_ROLE_ELECTED && perm_can_view(a, r);
}

int perm_can_assign(const store_agent *a, const store_request *r)
{
    int role = role_of(a);
    if (!perm_can_view(a, r))
        return 0;
    return role == AGENT_ROLE_ADMIN ||
           (role == AGENT_ROLE_MANAGER && perm_in_department(a, r->department_id));
}

int perm_can_take(const store_agent *a, const store_request *r)
{
    int role = role_of(a);
    if (role != AGENT_ROLE_AGENT && role != AGENT_ROLE_MANAGER && role != AGENT_ROLE_ADMIN)
        return 0;
    if (!perm_can_change(a, r) || (r->assignee && *r->assignee) || r->closed_at)
        return 0;
    return role == AGENT_ROLE_ADMIN || perm_in_department(a, r->department_id);
}

int perm_can_bulk(const store_agent *a)
{
    int role = role_of(a);
    return role == AGENT_ROLE_ADMIN || role == AGENT_ROLE_MANAGER;
}

int perm_can_broadcast(const store_agent *a)
{
    return perm_can_bulk(a);
}

int perm_can_intake(const store_agent *a)
{
    int role = role_of(a);
    return role >= 0 && role != AGENT_ROLE_ELECTED;
}

int perm_can_admin(const store_agent *a)
{
    return role_of(a) == AGENT_ROLE_ADMIN;
}

int perm_can_export_citizen(const store_agent *a)
{
    return role_of(a) == AGENT_ROLE_ADMIN;
}

int perm_can_register(const store_agent *a)
{
    return role_of(a) == AGENT_ROLE_ADMIN;
}

int perm_can_sign(const store_agent *a)
{
    int role = role_of(a);
    return role == AGENT_ROLE_ADMIN || role == AGENT_ROLE_ELECTED;
}

int perm_can_dashboard(const store_agent *a)
{
    int role = role_of(a);
    return role == AGENT_ROLE_ADMIN || role == AGENT_ROLE_ELECTED || role == AGENT_ROLE_MANAGER;
}

int perm_can_agent_figures(const store_agent *a)
{
    int role = role_of(a);
    return role == AGENT_ROLE_ADMIN || role == AGENT_ROLE_MANAGER;
}

int perm_sees_agent_figures(const store_agent *viewer, const store_agent *target)
{
    if (!perm_can_agent_figures(viewer) || !target || target->tenant_id != viewer->tenant_id)
        return 0;
    if (role_of(viewer) == AGENT_ROLE_ADMIN)
        return 1;
    for (size_t i = 0; i < target->n_departments; i++)
        if (target->department_ids && perm_in_department(viewer, target->department_ids[i]))
            return 1;
    return 0;
}

int perm_tabs(const store_agent *a)
{
    int role = role_of(a);
    int dep = a && a->n_departments > 0 ? PERM_TAB_DEPARTMENT : 0;
    switch (role) {
    case AGENT_ROLE_ADMIN:
        return PERM_TAB_MINE | dep | (dep ? PERM_TAB_TRIAGE : 0) | PERM_TAB_ALL;
    case AGENT_ROLE_ELECTED:
        return PERM_TAB_ALL;
    case AGENT_ROLE_MANAGER:
        /* Managers dispatch their departments' requests: the triage tabs. */
        return PERM_TAB_MINE | dep | (dep ? PERM_TAB_TRIAGE : 0);
    case AGENT_ROLE_AGENT:
        return PERM_TAB_MINE | dep;
    default:
        return 0;
    }
}

int perm_scope(const store_agent *a, store_request_filter *f, error *err)
{
    int role = role_of(a);
    if (role < 0)
        return error_set(err, ERR_FORBIDDEN, NULL, "no active agent");
    f->tenant_id = a->tenant_id;
    if (role == AGENT_ROLE_ADMIN || role == AGENT_ROLE_ELECTED)
        return 0;
    /* The store ignores every other filter on a lookup by references, so no department
     * restriction could apply: such lookups go through request_get and perm_can_view. */
    if (f->n_references > 0)
        return error_set(err, ERR_FORBIDDEN, "reference",
                         "reference lookups are checked one by one with perm_can_view");
    char me[AGENT_ASSIGNEE_LEN];
    agent_assignee_id(a, me);
    if (f->assignee && strcmp(f->assignee, me) == 0 && f->department_id == 0 &&
        f->n_department_ids == 0)
        return 0; /* "assigned to me": visible whatever the department */
    /* Intersect what was asked with the agent's departments. The store ANDs department_id
     * with department_ids, so an asked department outside the scope yields nothing. */
    int64_t keep[STORE_FILTER_MAX_LIST];
    size_t n = 0;
    for (size_t i = 0; i < a->n_departments && n < STORE_FILTER_MAX_LIST; i++) {
        int64_t d = a->department_ids[i];
        int asked = f->n_department_ids == 0;
        for (size_t j = 0; !asked && j < f->n_department_ids; j++)
            asked = f->department_ids[j] == d;
        if (asked)
            keep[n++] = d;
    }
    if (n == 0)
        keep[n++] = -1; /* no department has this id: the search matches nothing */
    memcpy(f->department_ids, keep, n * sizeof keep[0]);
    f->n_department_ids = n;
    return 0;
}

/*
 * perm — who may do what in the back office, in one place. Pure functions of the agent's
 * record (role, departments, assignee identifier) and the request's record; every route and
 * every object check calls them, and perm_scope narrows searches to what an agent may see.
 *   admin: everything in the tenant; manager: their departments (and what is assigned to them),
 *   routing and bulk actions; agent: their departments and what is assigned to them;
 *   elected: reads everything, changes nothing, signs.
 */
#ifndef GUICHET_CORE_PERM_H
#define GUICHET_CORE_PERM_H

#include "core/agent.h"
#include "store/records.h"
#include "util/error.h"

/* Inbox tabs an agent sees (bit set). */
enum {
    PERM_TAB_MINE = 1,       /* «À traiter»: assigned to me */
    PERM_TAB_DEPARTMENT = 2, /* «Mon service»: my departments */
    PERM_TAB_ALL = 4,        /* «Tout»: every request of the tenant */
    PERM_TAB_TRIAGE = 8      /* «Nouvelles», «Non assignées»: my departments' triage */
};

/* Each returns 1 (allowed) or 0. A NULL agent, an inactive agent, or a request of another
 * tenant is always 0. */
int perm_can_view(const store_agent *a, const store_request *r);
/* Status, internal notes, replies, priority, attachments: view rights, and not an élu. */
int perm_can_change(const store_agent *a, const store_request *r);
/* Assign to an agent or transfer to another department: managers (their departments) and
 * admins. */
int perm_can_assign(const store_agent *a, const store_request *r);
/* «Je prends»: an agent, manager or admin taking an open, unassigned request of one of their
 * departments (any department for an admin) for themselves. */
int perm_can_take(const store_agent *a, const store_request *r);
/* Bulk actions on a selection (each request is still checked with perm_can_change). */
int perm_can_bulk(const store_agent *a);
/* Writing and sending broadcasts to subscribers: managers and administrators. */
int perm_can_broadcast(const store_agent *a);
/* Phone, counter and post intake: everyone but élus. */
int perm_can_intake(const store_agent *a);
/* Administration pages (departments, agents, procedures, API keys, branding, audit). */
int perm_can_admin(const store_agent *a);
/* Exporting all of one citizen's data (RGPD art. 15 and 20, for a request received by post or
 * at the counter): admins only, since the archive must be complete and an agent or manager
 * sees only their departments; the export is audited. */
int perm_can_export_citizen(const store_agent *a);
/* Reading the record of processing activities (RGPD art. 30): admins. */
int perm_can_register(const store_agent *a);
/* The signing queue (parapheur). */
int perm_can_sign(const store_agent *a);
/* Dashboards (statistics without personal data): managers, élus, admins. */
int perm_can_dashboard(const store_agent *a);
/* The figures per agent on the dashboards (how many requests each handles and how fast: data
 * about the agents themselves): managers and admins, not élus (issue 17: «per agent only for
 * their managers»). */
int perm_can_agent_figures(const store_agent *a);
/* Whether `viewer` may see the figures of agent `target`: an admin, every agent of the
 * collectivité; a manager, the agents who share one of their departments (themselves
 * included); nobody else. */
int perm_sees_agent_figures(const store_agent *viewer, const store_agent *target);
/* PERM_TAB_* bits. */
int perm_tabs(const store_agent *a);
/* Whether the agent belongs to department_id. */
int perm_in_department(const store_agent *a, int64_t department_id);

/* Restricts f (already filled with what the agent asked) to what the agent may see: the
 * tenant; for admins and élus nothing more; for agents and managers, when f->assignee is
 * their own assignee identifier (the «À traiter» tab) and no department is asked, nothing
 * more; otherwise the asked departments intersected with theirs (an asked department outside
 * their scope, or an agent without departments, gives an empty result, not an error).
 * -1 with ERR_FORBIDDEN for a NULL or inactive agent, and for agents and managers when
 * f->n_references > 0 (the store ignores other filters then: look references up with
 * request_get and perm_can_view). */
int perm_scope(const store_agent *a, store_request_filter *f, error *err);

#endif

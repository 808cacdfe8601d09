/*
 * stats_agent — the dashboards' figures per agent (issue 17: «per agent only for their
 * managers»): the figures of core/stats.h grouped by each request's current assignee, shown
 * to a manager for the agents of their departments and to an admin for every agent of the
 * collectivité (perm_sees_agent_figures); élus and agents are refused. How much an agent
 * handles and how fast is data about that agent, so every read that shows an agent's row is
 * recorded in the audit log, as the other reads of personal data are.
 */
#ifndef GUICHET_CORE_STATS_AGENT_H
#define GUICHET_CORE_STATS_AGENT_H

#include "core/actor.h"
#include "core/stats.h"

/* What a walk needs for viewer's table per agent, from stats_agent_plan_make. */
typedef struct stats_agent_plan {
    /* The filter narrowed (again) to viewer's scope with perm_scope: the walk's. */
    store_request_filter f;
    /* STATS_BY_AGENT, with the agents viewer may see (its ids point into the arena). */
    stats_grouping grouping;
    /* private to stats_agent.c */
    store_agent *agents;
    size_t n_agents;
    size_t *rank; /* of grouping.agent_ids[i] in agents (agent_list's order, by name) */
} stats_agent_plan;

/* Checks that viewer may see figures per agent and chooses the agents (in a): 0 and *plan,
 * or -1 with ERR_FORBIDDEN when viewer may not (perm_can_agent_figures), ERR_INTERNAL
 * otherwise. The walk is then the caller's: stats_query_set(plan->f, …, &plan->grouping, …)
 * — alone, or beside other groupings of the same filter —, and its result goes through
 * stats_agent_rows. */
int stats_agent_plan_make(core *c, const cat_tenant *t, const store_agent *viewer,
                          const store_request_filter *f, arena *a, stats_agent_plan *plan,
                          error *err);

/* The result of plan's grouping made rows (in place): one per agent viewer may see who has
 * some — key their assignee identifier ("agent:…", as requests carry it), label their name
 * —, in the order of agent_list (by name), then the unassigned requests (key and label NULL),
 * then those assigned to anyone else (key STATS_AGENT_OTHERS, label NULL: an agent viewer may
 * not see, or an identifier no agent carries), so that the total is stats_query's. The agents
 * shown are recorded for `who` as `action` ("view", "export") of "agent_figures"
 * (audit_record_access). 0, or -1 (ERR_INTERNAL). */
int stats_agent_rows(core *c, const cat_tenant *t, const stats_agent_plan *plan,
                     const core_actor *who, const char *action, arena *a, stats_result *out,
                     error *err);

/* The two and the walk between: the figures of the requests f matches (narrowed to viewer's
 * scope) and, unless area is STATS_AREA_ANY, that lie in that quartier, per current assignee
 * as stats_agent_rows gives them. 0 and *out (in a), or -1: ERR_FORBIDDEN when viewer may
 * not see figures per agent, else as stats_query. */
int stats_agent_query(core *c, const cat_tenant *t, const store_agent *viewer,
                      const core_actor *who, const char *action, const store_request_filter *f,
                      int64_t area, int64_t now, arena *a, stats_result *out, error *err);

#endif

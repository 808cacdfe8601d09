/*
 * stats_agent — see stats_agent.h. The engine's walk keys each fact by the agent id the facts
 * keep (request_facts.assignee_id, migration 57) and folds every agent not asked for into one
 * group, so that the viewer's rows and the «others» row have exact medians of their own; here
 * the agents the viewer may see are chosen, and the rows named, ordered and audited.
 */
#include "core/stats_agent.h"

#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/audit.h"
#include "core/perm.h"

/* A visible agent's id and its position in agent_list's order (by name). */
typedef struct seen {
    int64_t id;
    size_t rank;
} seen;

static int seen_cmp(const void *x, const void *y)
{
    int64_t a = ((const seen *)x)->id, b = ((const seen *)y)->id;
    return (a > b) - (a < b);
}

static int id_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Where a row goes: the agents in agent_list's order, then the unassigned, then the others. */
typedef struct ranked {
    size_t rank;
    stats_group_row row;
} ranked;

static int ranked_cmp(const void *x, const void *y)
{
    size_t a = ((const ranked *)x)->rank, b = ((const ranked *)y)->rank;
    return (a > b) - (a < b);
}

int stats_agent_plan_make(core *c, const cat_tenant *t, const store_agent *viewer,
                          const store_request_filter *f, arena *a, stats_agent_plan *plan,
                          error *err)
{
    memset(plan, 0, sizeof *plan);
    if (!perm_can_agent_figures(viewer) || viewer->tenant_id != t->rec.id)
        return error_set(err, ERR_FORBIDDEN, NULL, "figures per agent: managers and admins");
    plan->f = *f;
    if (perm_scope(viewer, &plan->f, err) != 0)
        return -1;
    if (agent_list(c, t->rec.id, a, &plan->agents, &plan->n_agents, err) != 0)
        return -1;
    size_t room = plan->n_agents ? plan->n_agents : 1;
    seen *vis = arena_alloc(a, room * sizeof *vis);
    int64_t *ids = arena_alloc(a, room * sizeof *ids);
    plan->rank = arena_alloc(a, room * sizeof *plan->rank);
    if (!vis || !ids || !plan->rank)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t n_vis = 0;
    for (size_t i = 0; i < plan->n_agents; i++)
        if (perm_sees_agent_figures(viewer, &plan->agents[i]))
            vis[n_vis++] = (seen){plan->agents[i].id, i};
    qsort(vis, n_vis, sizeof *vis, seen_cmp);
    for (size_t i = 0; i < n_vis; i++) {
        ids[i] = vis[i].id;
        plan->rank[i] = vis[i].rank;
    }
    plan->grouping = (stats_grouping){.by = STATS_BY_AGENT, .agent_ids = ids, .n_agent_ids = n_vis};
    return 0;
}

int stats_agent_rows(core *c, const cat_tenant *t, const stats_agent_plan *plan,
                     const core_actor *who, const char *action, arena *a, stats_result *out,
                     error *err)
{
    if (!out->n_groups)
        return 0;
    ranked *rows = malloc(out->n_groups * sizeof *rows);
    int64_t *shown = malloc(out->n_groups * sizeof *shown);
    if (!rows || !shown) {
        free(rows);
        free(shown);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    const int64_t *ids = plan->grouping.agent_ids;
    size_t n_ids = plan->grouping.n_agent_ids, n_shown = 0;
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < out->n_groups; i++) {
        stats_group_row *g = &out->groups[i];
        rows[i].rank = plan->n_agents + (g->key != NULL); /* unassigned, then the others */
        if (g->key && strcmp(g->key, STATS_AGENT_OTHERS) != 0) {
            int64_t id = strtoll(g->key, NULL, 10);
            const int64_t *at = n_ids ? bsearch(&id, ids, n_ids, sizeof *ids, id_cmp) : NULL;
            char *assignee = at ? arena_alloc(a, AGENT_ASSIGNEE_LEN) : NULL;
            if (!at) { /* the engine keys only the agents it was given */
                ret = error_set(err, ERR_INTERNAL, NULL, "agent %s not asked for", g->key);
                break;
            }
            if (!assignee) {
                ret = error_set(err, ERR_INTERNAL, NULL, "out of memory");
                break;
            }
            const store_agent *ag = &plan->agents[plan->rank[at - ids]];
            agent_assignee_id(ag, assignee);
            g->key = assignee;
            g->label = ag->name;
            rows[i].rank = plan->rank[at - ids];
            shown[n_shown++] = ag->id;
        }
        rows[i].row = *g;
    }
    if (ret == 0) {
        qsort(rows, out->n_groups, sizeof *rows, ranked_cmp);
        for (size_t i = 0; i < out->n_groups; i++)
            out->groups[i] = rows[i].row;
        if (n_shown)
            audit_record_access(c, t->rec.id, who, action, "agent_figures", shown, n_shown);
    }
    free(rows);
    free(shown);
    return ret;
}

int stats_agent_query(core *c, const cat_tenant *t, const store_agent *viewer,
                      const core_actor *who, const char *action, const store_request_filter *f,
                      int64_t area, int64_t now, arena *a, stats_result *out, error *err)
{
    memset(out, 0, sizeof *out);
    stats_agent_plan plan;
    if (stats_agent_plan_make(c, t, viewer, f, a, &plan, err) != 0 ||
        stats_query_set(c, t, &plan.f, area, &plan.grouping, 1, now, a, out, err) != 0)
        return -1;
    return stats_agent_rows(c, t, &plan, who, action, a, out, err);
}

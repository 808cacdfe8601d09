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

int stats_agent_query(core *c, const cat_tenant *t, const store_agent *viewer,
                      const core_actor *who, const char *action, const store_request_filter *f,
                      int64_t area, int64_t now, arena *a, stats_result *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (!perm_can_agent_figures(viewer) || viewer->tenant_id != t->rec.id)
        return error_set(err, ERR_FORBIDDEN, NULL, "figures per agent: managers and admins");
    store_request_filter scoped = *f;
    if (perm_scope(viewer, &scoped, err) != 0)
        return -1;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (agent_list(c, t->rec.id, a, &agents, &n_agents, err) != 0)
        return -1;
    seen *vis = arena_alloc(a, (n_agents ? n_agents : 1) * sizeof *vis);
    int64_t *ids = arena_alloc(a, (n_agents ? n_agents : 1) * sizeof *ids);
    if (!vis || !ids)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t n_vis = 0;
    for (size_t i = 0; i < n_agents; i++)
        if (perm_sees_agent_figures(viewer, &agents[i]))
            vis[n_vis++] = (seen){agents[i].id, i};
    qsort(vis, n_vis, sizeof *vis, seen_cmp);
    for (size_t i = 0; i < n_vis; i++)
        ids[i] = vis[i].id;
    if (stats_query_assignees(c, t, &scoped, area, ids, n_vis, now, a, out, err) != 0)
        return -1;
    if (!out->n_groups)
        return 0;

    ranked *rows = malloc(out->n_groups * sizeof *rows);
    if (!rows)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t n_shown = 0;
    for (size_t i = 0; i < out->n_groups; i++) {
        stats_group_row *g = &out->groups[i];
        rows[i].rank = n_agents + (g->key != NULL); /* unassigned, then the others */
        if (g->key && strcmp(g->key, STATS_AGENT_OTHERS) != 0) {
            seen key = {strtoll(g->key, NULL, 10), 0};
            const seen *s = bsearch(&key, vis, n_vis, sizeof *vis, seen_cmp);
            if (!s) { /* the engine keys only the agents it was given */
                free(rows);
                return error_set(err, ERR_INTERNAL, NULL, "agent %s not asked for", g->key);
            }
            const store_agent *ag = &agents[s->rank];
            char *assignee = arena_alloc(a, AGENT_ASSIGNEE_LEN);
            if (!assignee) {
                free(rows);
                return error_set(err, ERR_INTERNAL, NULL, "out of memory");
            }
            agent_assignee_id(ag, assignee);
            g->key = assignee;
            g->label = ag->name;
            rows[i].rank = s->rank;
            ids[n_shown++] = ag->id;
        }
        rows[i].row = *g;
    }
    qsort(rows, out->n_groups, sizeof *rows, ranked_cmp);
    for (size_t i = 0; i < out->n_groups; i++)
        out->groups[i] = rows[i].row;
    free(rows);
    if (n_shown)
        audit_record_access(c, t->rec.id, who, action, "agent_figures", ids, n_shown);
    return 0;
}

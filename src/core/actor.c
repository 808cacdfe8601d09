/*
 * actor — labels and the audit policy of who acts (see actor.h).
 */
#include "core/actor.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

const core_actor actor_system = {.kind = ACTOR_SYSTEM};
const core_actor actor_cli = {.kind = ACTOR_CLI, .source = "cli"};
const core_actor actor_citizen = {.kind = ACTOR_CITIZEN};

core_actor actor_of_agent(const store_agent *agent, const char *source)
{
    core_actor who = {.kind = agent ? ACTOR_AGENT : ACTOR_SYSTEM, .source = source};
    if (agent) {
        who.id = agent->id;
        who.agent = agent;
    }
    return who;
}

core_actor actor_of_key(const store_apikey *k, const char *source, int open311)
{
    return (core_actor){.kind = ACTOR_KEY,
                        .id = k->id,
                        .name = k->name ? k->name : "",
                        .source = source,
                        .open311 = open311 ? 1 : 0};
}

const char *actor_event_label(const core_actor *who, arena *a)
{
    switch (who ? who->kind : ACTOR_SYSTEM) {
    case ACTOR_CITIZEN:
        return "citizen";
    case ACTOR_AGENT:
        return arena_printf(a, "agent:%" PRId64, who->id);
    case ACTOR_KEY:
        return arena_printf(a, "api:%s", who->name ? who->name : "");
    case ACTOR_GATEWAY:
        return arena_printf(a, "gateway:%s", who->name ? who->name : "");
    case ACTOR_CLI:
        return "cli";
    case ACTOR_SYSTEM:
        break;
    }
    return "system";
}

const char *actor_audit_label(const core_actor *who, arena *a)
{
    switch (who ? who->kind : ACTOR_SYSTEM) {
    case ACTOR_CITIZEN:
        return "citizen";
    case ACTOR_AGENT:
        return arena_printf(a, "agent:%" PRId64, who->id);
    case ACTOR_KEY:
    case ACTOR_GATEWAY:
        /* Gateways are keys too: the audit names every key "api:<id>". */
        return arena_printf(a, "api:%" PRId64, who->id);
    case ACTOR_CLI:
        return "cli";
    case ACTOR_SYSTEM:
        break;
    }
    return "system";
}

int64_t actor_label_agent_id(const char *label)
{
    if (!label || strncmp(label, "agent:", 6) != 0 || !label[6])
        return 0;
    int64_t id = 0;
    for (const char *p = label + 6; *p; p++) {
        if (*p < '0' || *p > '9' || id > (INT64_MAX - 9) / 10)
            return 0;
        id = id * 10 + (*p - '0');
    }
    return id;
}

int actor_label_is_citizen(const char *label)
{
    return label && strncmp(label, "citizen", 7) == 0 && (label[7] == '\0' || label[7] == ':');
}

int actor_label_is_key(const char *label)
{
    return label && strncmp(label, "api:", 4) == 0;
}

int64_t actor_agent_id(const core_actor *who)
{
    return who && who->kind == ACTOR_AGENT ? who->id : 0;
}

int actor_audited(const core_actor *who)
{
    return who && (who->kind == ACTOR_AGENT || (who->kind == ACTOR_KEY && !who->open311) ||
                   who->kind == ACTOR_GATEWAY);
}

static const char *copy_str(arena *a, const char *s, int *oom)
{
    if (!s)
        return NULL;
    const char *d = arena_strdup(a, s);
    if (!d)
        *oom = 1;
    return d;
}

int actor_copy(arena *a, const core_actor *src, const core_actor *fallback, core_actor *dst,
               store_agent *agent_room)
{
    int oom = 0;
    *dst = src ? *src : *fallback;
    dst->name = copy_str(a, dst->name, &oom);
    dst->source = copy_str(a, dst->source, &oom);
    if (dst->agent) {
        /* Only what the access rules read: never the secrets. */
        const store_agent *g = dst->agent;
        memset(agent_room, 0, sizeof *agent_room);
        agent_room->id = g->id;
        agent_room->tenant_id = g->tenant_id;
        agent_room->active = g->active;
        agent_room->email = copy_str(a, g->email, &oom);
        agent_room->name = copy_str(a, g->name, &oom);
        agent_room->role = copy_str(a, g->role, &oom);
        if (g->n_departments && g->department_ids) {
            int64_t *ids = arena_alloc(a, g->n_departments * sizeof *ids);
            if (!ids)
                oom = 1;
            else {
                memcpy(ids, g->department_ids, g->n_departments * sizeof *ids);
                agent_room->department_ids = ids;
                agent_room->n_departments = g->n_departments;
            }
        }
        dst->agent = agent_room;
    }
    return oom ? -1 : 0;
}

/*
 * actor — labels and the audit policy of who acts (see actor.h).
 */
#include "core/actor.h"

#include <inttypes.h>
#include <stddef.h>

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

int64_t actor_agent_id(const core_actor *who)
{
    return who && who->kind == ACTOR_AGENT ? who->id : 0;
}

int actor_audited(const core_actor *who)
{
    return who && (who->kind == ACTOR_AGENT || who->kind == ACTOR_KEY || who->kind == ACTOR_GATEWAY);
}

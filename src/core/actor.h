/*
 * actor — who acts, as every entrance tells core: a citizen (with or without an account), an
 * agent of the back office, an API key (JSON API, Open311), the mail or SMS gateway, the
 * command line, or the system itself (the scheduler, the dispatchers). Core reads it to apply
 * the access rules and the audit policy once, whatever the entrance: entrances never write
 * audit entries of their own. The labels it gives are the ones the timeline and the audit log
 * have always used, so that nothing stored changes meaning.
 */
#ifndef GUICHET_CORE_ACTOR_H
#define GUICHET_CORE_ACTOR_H

#include <stdint.h>

#include "store/records.h"
#include "util/arena.h"

typedef enum actor_kind {
    ACTOR_SYSTEM = 0, /* the server itself: scheduler, dispatchers, retention pass */
    ACTOR_CITIZEN,    /* a citizen on the portal (id: their account, 0 when anonymous) */
    ACTOR_AGENT,      /* an agent of the back office (id, and agent for the access rules) */
    ACTOR_KEY,        /* an API key: JSON API or Open311 (id and name of the key) */
    ACTOR_GATEWAY,    /* a gateway key: e-mail or SMS coming in (id and name of the key) */
    ACTOR_CLI,        /* the command line, run by whoever holds the database */
} actor_kind;

typedef struct core_actor {
    actor_kind kind;
    int64_t id;               /* the agent's, key's or citizen account's id; 0: none */
    const char *name;         /* ACTOR_KEY, ACTOR_GATEWAY: the key's name (timeline label) */
    const store_agent *agent; /* ACTOR_AGENT: role and departments the access rules read;
                                 owned by the caller, valid for the call */
    const char *source;       /* where from, for the audit log: "web 192.0.2.1",
                                 "api 2001:db8::1", "cli"; NULL: unknown */
    int open311;              /* ACTOR_KEY: an Open311 client's key, whose reports are filed
                                 like a citizen's and have never been audited */
} core_actor;

/* Ready-made actors that carry no id. */
extern const core_actor actor_system;
extern const core_actor actor_cli;
extern const core_actor actor_citizen; /* anonymous citizen */

/* The actor of an agent's action from `source` (agent may be NULL: an unknown address at the
 * login, which the audit names "system"). */
core_actor actor_of_agent(const store_agent *agent, const char *source);

/* The actor of a request made with API key k (scope "api" or "open311") from `source`:
 * ACTOR_KEY with the key's id and name (its timeline label); open311 1 for an Open311
 * client's key, whose reports are filed like a citizen's. Points to k's strings. */
core_actor actor_of_key(const store_apikey *k, const char *source, int open311);

/* The label of the timeline events it writes: "citizen", "agent:12", "api:<key name>",
 * "gateway:<key name>", "cli", "system". In a (or a static string); NULL when a is out of
 * memory. */
const char *actor_event_label(const core_actor *who, arena *a);
/* The label of its audit entries (ids, never names): "agent:12", "api:3", "gateway:3",
 * "citizen", "cli", "system". */
const char *actor_audit_label(const core_actor *who, arena *a);
/* Reading a stored label back (a timeline event's or an audit entry's actor): the agent's id
 * of "agent:<id>", 0 for any other label (or a malformed one). */
int64_t actor_label_agent_id(const char *label);
/* 1 for the labels of a citizen's own actions ("citizen", "citizen:…"). */
int actor_label_is_citizen(const char *label);
/* 1 for the labels of an API key's actions ("api:<key name>"): an Open311 client relaying a
 * citizen, or an application of the mairie. */
int actor_label_is_key(const char *label);

/* The agent id an audit entry carries (0 for everyone but agents). */
int64_t actor_agent_id(const core_actor *who);
/* The audit policy for changes and accesses to personal data: 1 for agents and keys (JSON
 * API, gateways), whose every change and access is recorded; 0 for citizens acting on their
 * own requests, the command line and the system, whose changes are audited only where an
 * operation says so (an account deleted, an export, a retention pass). */
int actor_audited(const core_actor *who);

/* A deep copy of *src for a write job that outlives the caller's strings: dst's name,
 * source and agent (with its role and departments, for the access rules) point into `a` and
 * *agent_room. src NULL copies `fallback`. -1 when `a` is out of memory. */
int actor_copy(arena *a, const core_actor *src, const core_actor *fallback, core_actor *dst,
               store_agent *agent_room);

#endif

/*
 * catalogue — an in-memory, immutable snapshot of tenants, departments and procedures with
 * their parsed attribute definitions, workflows and the routing rules. Readers acquire the current
 * snapshot (a
 * reference count), use it without locks, and release it. The snapshot is reloaded when the store's
 * config_version changes (checked at most once a second), so CLI changes made by another
 * process show up without a restart.
 */
#ifndef GUICHET_CORE_CATALOGUE_H
#define GUICHET_CORE_CATALOGUE_H

#include <stddef.h>

#include "core/attrs.h"
#include "core/core.h"
#include "core/workflow.h"
#include "store/records.h"

typedef struct cat_department {
    store_department rec;
} cat_department;

typedef struct cat_procedure {
    store_procedure rec;
    attr_def *attrs; /* sorted by order */
    size_t n_attrs;
    const cat_department *department; /* NULL when none */
    const cat_workflow *workflow;     /* never NULL: a procedure without one is left out */
} cat_procedure;

typedef struct cat_tenant {
    store_tenant rec;
    cat_department *departments;
    size_t n_departments;
    cat_procedure *procedures; /* sorted by group then name */
    size_t n_procedures;
    cat_workflow *workflows; /* by id; the shipped ones first */
    size_t n_workflows;
    /* Its branding and public settings (core/branding.h); every field unset (tenant_id
     * still set) when the administrator set none. */
    store_branding branding;
    /* Its routing rules in the order they are tried (core/routing.h), and the department
     * routing falls back to after a procedure's own (0: none). */
    const store_routing_rule *routing_rules;
    size_t n_routing_rules;
    int64_t routing_default_department_id;
    /* How many of its agents asked for new-request notices at once, and as a daily digest
     * (core/agent_notices.h). */
    int notices_immediate, notices_digest;
} cat_tenant;

typedef struct catalogue catalogue;
struct catalogue {
    cat_tenant *tenants;
    size_t n_tenants;
    int64_t version;
};

/* The current snapshot, refreshed first when the store says it changed. Never NULL once
 * core_open succeeded. Release it with catalogue_release when done. */
const catalogue *catalogue_acquire(core *c);
void catalogue_release(core *c, const catalogue *cat);
/* Forces a reload now (after a change made through this process). 0 or -1. */
int catalogue_reload(core *c, error *err);

/* The tenant answering on `host` (port ignored, case-insensitive); with a single tenant,
 * that tenant whatever the host; NULL otherwise. */
const cat_tenant *catalogue_tenant_for_host(const catalogue *cat, const char *host);
/* The host name links to t's pages are built on: its first one (not NUL-terminated: the
 * length goes to *len). NULL when t is NULL or has no host name. Points into the snapshot. */
const char *catalogue_tenant_link_host(const cat_tenant *t, size_t *len);
const cat_tenant *catalogue_tenant_by_slug(const catalogue *cat, const char *slug);
const cat_tenant *catalogue_tenant_by_id(const catalogue *cat, int64_t id);
const cat_procedure *catalogue_procedure(const cat_tenant *t, const char *code);
const cat_procedure *catalogue_procedure_by_id(const cat_tenant *t, int64_t id);
const cat_department *catalogue_department(const cat_tenant *t, const char *code);
const cat_department *catalogue_department_by_id(const cat_tenant *t, int64_t id);

#endif

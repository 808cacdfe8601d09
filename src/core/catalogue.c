/*
 * catalogue — immutable snapshots of tenants, departments and procedures, shared by all
 * threads with a reference count and replaced when the store's config_version moves.
 */
#include "core/catalogue.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_internal.h"
#include "util/log.h"
#include "util/timeutil.h"

#define CHECK_INTERVAL_MS 1000

struct cat_snapshot {
    catalogue cat; /* first member: a const catalogue * is the snapshot's address */
    arena arena;
    int refs; /* under core.cat_lock */
};

static int cmp_procedure(const void *pa, const void *pb)
{
    const cat_procedure *a = pa, *b = pb;
    int g = strcmp(a->rec.group_name ? a->rec.group_name : "",
                   b->rec.group_name ? b->rec.group_name : "");
    return g ? g : strcmp(a->rec.name ? a->rec.name : "", b->rec.name ? b->rec.name : "");
}

static void snapshot_free(cat_snapshot *snap)
{
    if (!snap)
        return;
    arena_free(&snap->arena);
    free(snap);
}

/* Builds a snapshot from the store: groups rows by tenant and parses attribute definitions.
 * A procedure whose definitions do not parse is kept but inactive, and logged, so that one
 * bad row cannot take the whole catalogue down. */
static cat_snapshot *snapshot_load(core *c, error *err)
{
    cat_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    arena_init(&snap->arena, 0);
    arena *a = &snap->arena;
    store_catalogue raw;
    memset(&raw, 0, sizeof raw);
    if (c->store->ops->catalogue.load(c->store, a, &raw, err) != 0)
        goto fail;
    store_routing_rule *rules = NULL;
    store_routing_default *defaults = NULL;
    size_t n_rules = 0, n_defaults = 0;
    if (c->store->ops->routing.load(c->store, a, &rules, &n_rules, &defaults, &n_defaults, err) !=
        0)
        goto fail;
    store_agent_notice_count *notices = NULL;
    size_t n_notices = 0;
    if (c->store->ops->agent_notices.counts(c->store, a, &notices, &n_notices, err) != 0)
        goto fail;
    catalogue *cat = &snap->cat;
    cat->version = raw.version;
    cat->n_tenants = raw.n_tenants;
    cat->tenants = arena_alloc(a, sizeof *cat->tenants * (raw.n_tenants + 1));
    if (!cat->tenants)
        goto oom;
    for (size_t i = 0; i < raw.n_tenants; i++) {
        cat_tenant *t = &cat->tenants[i];
        t->rec = raw.tenants[i];
        t->branding.tenant_id = t->rec.id;
        for (size_t j = 0; j < raw.n_brandings; j++)
            if (raw.brandings[j].tenant_id == t->rec.id)
                t->branding = raw.brandings[j];
        /* The store gives the rules by tenant then position: each tenant's are one run. */
        for (size_t j = 0; j < n_rules; j++)
            if (rules[j].tenant_id == t->rec.id) {
                if (!t->routing_rules)
                    t->routing_rules = &rules[j];
                t->n_routing_rules++;
            }
        for (size_t j = 0; j < n_defaults; j++)
            if (defaults[j].tenant_id == t->rec.id)
                t->routing_default_department_id = defaults[j].department_id;
        for (size_t j = 0; j < n_notices; j++)
            if (notices[j].tenant_id == t->rec.id) {
                t->notices_immediate = notices[j].immediate;
                t->notices_digest = notices[j].digest;
            }
        size_t nd = 0, np = 0;
        for (size_t j = 0; j < raw.n_departments; j++)
            nd += raw.departments[j].tenant_id == t->rec.id;
        for (size_t j = 0; j < raw.n_procedures; j++)
            np += raw.procedures[j].tenant_id == t->rec.id;
        t->departments = arena_alloc(a, sizeof *t->departments * (nd + 1));
        t->procedures = arena_alloc(a, sizeof *t->procedures * (np + 1));
        if (!t->departments || !t->procedures)
            goto oom;
        for (size_t j = 0; j < raw.n_departments; j++)
            if (raw.departments[j].tenant_id == t->rec.id)
                t->departments[t->n_departments++].rec = raw.departments[j];
        if (workflow_build(a, &raw, t->rec.id, &t->workflows, &t->n_workflows) != 0)
            goto oom;
        for (size_t j = 0; j < raw.n_procedures; j++) {
            if (raw.procedures[j].tenant_id != t->rec.id)
                continue;
            const cat_workflow *wf = NULL;
            for (size_t k = 0; k < t->n_workflows && !wf; k++)
                if (t->workflows[k].rec.id == raw.procedures[j].workflow_id)
                    wf = &t->workflows[k];
            if (!wf) {
                /* Its requests' statuses would mean nothing: better absent than wrong. */
                log_error("catalogue: procedure %s of tenant %s has no valid workflow; it is left "
                          "out",
                          raw.procedures[j].code, t->rec.slug);
                continue;
            }
            cat_procedure *p = &t->procedures[t->n_procedures++];
            p->rec = raw.procedures[j];
            p->workflow = wf;
            error perr;
            if (attrs_parse_definitions(a, p->rec.attributes, &p->attrs, &p->n_attrs, &perr) !=
                0) {
                log_error("catalogue: procedure %s of tenant %s has invalid attributes (%s %s); "
                          "it is disabled",
                          p->rec.code, t->rec.slug, perr.arg, perr.detail);
                p->rec.active = 0;
                p->attrs = NULL;
                p->n_attrs = 0;
            }
        }
        /* Departments are resolved after the sort, so the pointers stay right. */
        qsort(t->procedures, t->n_procedures, sizeof *t->procedures, cmp_procedure);
        for (size_t j = 0; j < t->n_procedures; j++)
            t->procedures[j].department =
                catalogue_department_by_id(t, t->procedures[j].rec.department_id);
    }
    return snap;
oom:
    error_set(err, ERR_INTERNAL, NULL, "out of memory loading the catalogue");
fail:
    snapshot_free(snap);
    return NULL;
}

/* Makes `snap` current; the previous one goes when its last reader releases it. */
static void snapshot_install(core *c, cat_snapshot *snap)
{
    cat_snapshot *old;
    pthread_mutex_lock(&c->cat_lock);
    old = c->current;
    snap->refs = 1; /* the reference held by `current` */
    c->current = snap;
    if (old && --old->refs > 0)
        old = NULL;
    pthread_mutex_unlock(&c->cat_lock);
    snapshot_free(old);
}

int catalogue_init(core *c, error *err)
{
    cat_snapshot *snap = snapshot_load(c, err);
    if (!snap)
        return -1;
    snapshot_install(c, snap);
    atomic_store(&c->next_check_ms, time_mono_ms() + CHECK_INTERVAL_MS);
    return 0;
}

void catalogue_shutdown(core *c)
{
    cat_snapshot *old = c->current;
    c->current = NULL;
    if (old && --old->refs == 0)
        snapshot_free(old);
}

int catalogue_reload(core *c, error *err)
{
    cat_snapshot *snap = snapshot_load(c, err);
    if (!snap)
        return -1;
    snapshot_install(c, snap);
    return 0;
}

/* One thread at a time (the one that moves next_check_ms) asks the store whether the
 * configuration changed; the others go on with the current snapshot. */
static void maybe_refresh(core *c)
{
    int64_t now = time_mono_ms();
    int64_t due = atomic_load(&c->next_check_ms);
    if (now < due ||
        !atomic_compare_exchange_strong(&c->next_check_ms, &due, now + CHECK_INTERVAL_MS))
        return;
    int64_t version = 0;
    error err;
    if (c->store->ops->catalogue.config_version(c->store, &version, &err) != 0) {
        log_warn("catalogue: cannot read config version: %s", err.detail);
        return;
    }
    pthread_mutex_lock(&c->cat_lock);
    int64_t current = c->current ? c->current->cat.version : -1;
    pthread_mutex_unlock(&c->cat_lock);
    if (version == current)
        return;
    if (catalogue_reload(c, &err) != 0)
        log_error("catalogue: reload failed, keeping the previous one: %s", err.detail);
    else
        log_info("catalogue: reloaded at config version %lld", (long long)version);
}

const catalogue *catalogue_acquire(core *c)
{
    maybe_refresh(c);
    pthread_mutex_lock(&c->cat_lock);
    cat_snapshot *snap = c->current;
    snap->refs++;
    pthread_mutex_unlock(&c->cat_lock);
    return &snap->cat;
}

void catalogue_release(core *c, const catalogue *cat)
{
    if (!cat)
        return;
    cat_snapshot *snap = (cat_snapshot *)cat;
    pthread_mutex_lock(&c->cat_lock);
    int last = --snap->refs == 0;
    pthread_mutex_unlock(&c->cat_lock);
    if (last)
        snapshot_free(snap);
}

/* The next name of a host list (names separated by spaces; commas are tolerated in lists
 * written before names were checked): its start, with its length in *len; NULL at the end.
 * *p moves past it. */
static const char *next_host(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',')
        s++;
    const char *start = s;
    while (*s && *s != ' ' && *s != ',')
        s++;
    *p = s;
    *len = (size_t)(s - start);
    return *len ? start : NULL;
}

/* 1 when the list `hosts` contains host[0..len), case-insensitively. */
static int host_listed(const char *hosts, const char *host, size_t len)
{
    const char *p = hosts ? hosts : "";
    size_t n;
    for (const char *name; (name = next_host(&p, &n));)
        if (n == len && strncasecmp(name, host, len) == 0)
            return 1;
    return 0;
}

const char *catalogue_tenant_link_host(const cat_tenant *t, size_t *len)
{
    const char *p = t && t->rec.hosts ? t->rec.hosts : "";
    return next_host(&p, len);
}

const cat_tenant *catalogue_tenant_for_host(const catalogue *cat, const char *host)
{
    if (cat->n_tenants == 1)
        return &cat->tenants[0];
    if (!host)
        return NULL;
    size_t len = strlen(host);
    if (host[0] == '[') { /* [::1]:8080 */
        const char *end = strchr(host, ']');
        len = end ? (size_t)(end - host + 1) : len;
    } else {
        const char *colon = strchr(host, ':');
        if (colon)
            len = (size_t)(colon - host);
    }
    for (size_t i = 0; i < cat->n_tenants; i++)
        if (host_listed(cat->tenants[i].rec.hosts, host, len))
            return &cat->tenants[i];
    return NULL;
}

const cat_tenant *catalogue_tenant_by_slug(const catalogue *cat, const char *slug)
{
    for (size_t i = 0; slug && i < cat->n_tenants; i++)
        if (strcmp(cat->tenants[i].rec.slug, slug) == 0)
            return &cat->tenants[i];
    return NULL;
}

const cat_tenant *catalogue_tenant_by_id(const catalogue *cat, int64_t id)
{
    for (size_t i = 0; i < cat->n_tenants; i++)
        if (cat->tenants[i].rec.id == id)
            return &cat->tenants[i];
    return NULL;
}

const cat_procedure *catalogue_procedure(const cat_tenant *t, const char *code)
{
    for (size_t i = 0; t && code && i < t->n_procedures; i++)
        if (strcmp(t->procedures[i].rec.code, code) == 0)
            return &t->procedures[i];
    return NULL;
}

const cat_procedure *catalogue_procedure_by_id(const cat_tenant *t, int64_t id)
{
    for (size_t i = 0; t && i < t->n_procedures; i++)
        if (t->procedures[i].rec.id == id)
            return &t->procedures[i];
    return NULL;
}

const cat_department *catalogue_department(const cat_tenant *t, const char *code)
{
    for (size_t i = 0; t && code && i < t->n_departments; i++)
        if (strcmp(t->departments[i].rec.code, code) == 0)
            return &t->departments[i];
    return NULL;
}

const cat_department *catalogue_department_by_id(const cat_tenant *t, int64_t id)
{
    for (size_t i = 0; t && id && i < t->n_departments; i++)
        if (t->departments[i].rec.id == id)
            return &t->departments[i];
    return NULL;
}

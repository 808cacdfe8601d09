/*
 * admin — validated configuration upserts and the bulk import of request history, both
 * written through the store's writer so that they commit durably and, when a server shares
 * the database, alongside its own writes.
 */
#include "core/admin.h"

#include <stdio.h>
#include <string.h>

#include "core/attrs.h"
#include "core/change.h"
#include "core/catalogue.h"
#include "core/request.h"
#include "core/retention.h"
#include "core/workflow.h"
#include "store/store.h"

#define CODE_MAX 64
#define NAME_MAX_LEN 500
#define HOST_MAX 253   /* the longest DNS name */
#define HOSTS_MAX 1000 /* a collectivité's whole list */
#define REPLY_TEMPLATE_MAX 10000

/* Codes appear in URLs (Open311 service_code, jurisdiction_id) and in configuration files:
 * keep them to a safe alphabet so that they never need escaping. */
static int valid_code(const char *s, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr(extra, ch)))
            return 0;
    }
    return 1;
}

static int valid_name(const char *s)
{
    return s && *s && strlen(s) <= NAME_MAX_LEN;
}

/* ---- configuration upserts: one job each, with the "admin" audit entry of who made it ---- */

/* The job's copy of a tenant: its host names are copied too (normalised on the caller's
 * stack, which a suspended page does not keep). */
typedef struct tenant_arg {
    store_tenant rec;
    int has_hosts;
    char hosts[HOSTS_MAX + 1];
} tenant_arg;

static int apply_tenant(store *s, void *arg, int64_t *id, error *err)
{
    tenant_arg *ta = arg;
    if (ta->has_hosts)
        ta->rec.hosts = ta->hosts;
    return s->ops->catalogue.tx_tenant_upsert(s, &ta->rec, id, err);
}

static int apply_department(store *s, void *arg, int64_t *id, error *err)
{
    return s->ops->catalogue.tx_department_upsert(s, arg, id, err);
}

/* A procedure to save, with who saves it as its new form version will name them (kept in
 * the job's copy of the argument, which holds no pointer to the caller's actor). */
typedef struct procedure_arg {
    store_procedure rec;
    char by[32];
} procedure_arg;

static int apply_procedure(store *s, void *arg, int64_t *id, error *err)
{
    procedure_arg *pa = arg;
    pa->rec.version_by = pa->by;
    return s->ops->catalogue.tx_procedure_upsert(s, &pa->rec, id, err);
}

/* Each reloads the catalogue after its commit, so that the next catalogue_acquire of this
 * process sees it at once (other processes notice through config_version). */
static const change_def tenant_change = {"admin", "tenant", apply_tenant, 1};
static const change_def department_change = {"admin", "department", apply_department, 1};
static const change_def procedure_change = {"admin", "procedure", apply_procedure, 1};

static int apply_reply_template(store *s, void *arg, int64_t *id, error *err)
{
    return s->ops->reply_templates.tx_upsert(s, arg, id, err);
}

/* Not in the catalogue: agents' pages read them when they answer. */
static const change_def reply_template_change = {"admin", "reply_template", apply_reply_template,
                                                 0};

/* One host name as the Host header carries it, without its port: DNS labels (letters,
 * digits, '-' inside) separated by dots, an IPv4 address, or an IPv6 address in brackets.
 * Anything else (a scheme, a port, a path, a backslash) could not match a Host header, and
 * would be copied into the links of e-mails. */
static int valid_host(const char *s, size_t n)
{
    if (n == 0 || n > HOST_MAX)
        return 0;
    if (s[0] == '[') {
        if (n < 4 || s[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (!strchr("0123456789abcdefABCDEF:.", s[i]))
                return 0;
        return 1;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !(ch == '-' && label > 0))
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && s[n - 1] != '-';
}

/* Checks the space-separated host names of `hosts` and writes them to out lowercased, one
 * space apart, each once: the form the store keeps and compares. */
static int normalise_hosts(const char *hosts, char *out, size_t size, error *err)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = hosts; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        if (!valid_host(p, n))
            return error_set(err, ERR_INVALID_ARG, "hosts",
                             "'%.*s' is not a host name (letters, digits, '-' and '.', or an "
                             "IPv6 address in brackets; no scheme, port or path)",
                             (int)(n > 80 ? 80 : n), p);
        char name[HOST_MAX + 1];
        for (size_t i = 0; i < n; i++)
            name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' : p[i]);
        name[n] = '\0';
        p += n;
        /* Listed twice: once is enough. */
        int seen = 0;
        for (const char *q = out; *q && !seen;) {
            size_t m = strcspn(q, " ");
            seen = m == n && memcmp(q, name, n) == 0;
            q += m + (q[m] == ' ');
        }
        if (seen)
            continue;
        if (len + (len > 0) + n + 1 > size)
            return error_set(err, ERR_INVALID_ARG, "hosts",
                             "too many host names (%zu bytes at most)", size - 1);
        if (len > 0)
            out[len++] = ' ';
        memcpy(out + len, name, n + 1);
        len += n;
    }
    return 0;
}

int admin_tenant_upsert_as(core *c, const core_actor *who, const store_tenant *t, int64_t *id_out,
                           core_done_fn cb, void *ctx, error *err)
{
    if (!valid_code(t->slug, "-"))
        return error_set(err, ERR_INVALID_ARG, "slug",
                         "a tenant slug is 1 to 64 lowercase letters, digits or '-'");
    if (!valid_name(t->name))
        return error_set(err, ERR_INVALID_ARG, "name", "a tenant needs a name");
    if (t->timezone && t->timezone[0] == '\0')
        return error_set(err, ERR_INVALID_ARG, "timezone", "empty time zone");
    tenant_arg ta = {.rec = *t, .has_hosts = t->hosts != NULL};
    if (t->hosts && normalise_hosts(t->hosts, ta.hosts, sizeof ta.hosts, err) != 0)
        return -1;
    return change_run(c, who, t->id, &tenant_change, &ta, sizeof ta, id_out, cb, ctx, err);
}

int admin_tenant_upsert(core *c, const store_tenant *t, int64_t *id_out, error *err)
{
    return admin_tenant_upsert_as(c, &actor_cli, t, id_out, NULL, NULL, err);
}

/* The tenant with id `tenant_id` in the current catalogue must exist; `dept_id`, when not 0,
 * must be one of its departments. */
/* 0 when tenant_id exists and the department and workflow named (0: none) are its own. */
static int check_owner(core *c, int64_t tenant_id, int64_t dept_id, int64_t workflow_id, error *err)
{
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, tenant_id);
    int rc = 0, own_workflow = 0;
    for (size_t i = 0; t && i < t->n_workflows; i++)
        own_workflow |= t->workflows[i].rec.id == workflow_id;
    if (!t)
        rc = error_set(err, ERR_INVALID_ARG, "tenant_id", "no tenant %lld", (long long)tenant_id);
    else if (dept_id && !catalogue_department_by_id(t, dept_id))
        rc = error_set(err, ERR_INVALID_ARG, "department_id",
                       "department %lld is not one of tenant %lld", (long long)dept_id,
                       (long long)tenant_id);
    else if (workflow_id && !own_workflow)
        rc = error_set(err, ERR_INVALID_ARG, "workflow_id",
                       "workflow %lld is not one of tenant %lld", (long long)workflow_id,
                       (long long)tenant_id);
    catalogue_release(c, cat);
    return rc;
}

int admin_department_check(const store_department *d, error *err)
{
    if (!valid_code(d->code, "-_"))
        return error_set(err, ERR_INVALID_ARG, "code",
                         "a department code is 1 to 64 lowercase letters, digits, '-' or '_'");
    if (!valid_name(d->name))
        return error_set(err, ERR_INVALID_ARG, "name", "a department needs a name");
    return 0;
}

int admin_department_upsert_as(core *c, const core_actor *who, const store_department *d,
                               int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (admin_department_check(d, err) != 0 || check_owner(c, d->tenant_id, 0, 0, err) != 0)
        return -1;
    return change_run(c, who, d->tenant_id, &department_change, d, sizeof *d, id_out, cb, ctx, err);
}

int admin_department_upsert(core *c, const store_department *d, int64_t *id_out, error *err)
{
    return admin_department_upsert_as(c, &actor_cli, d, id_out, NULL, NULL, err);
}

int admin_procedure_check(const store_procedure *p, error *err)
{
    if (!valid_code(p->code, "-_."))
        return error_set(err, ERR_INVALID_ARG, "code",
                         "a procedure code is 1 to 64 lowercase letters, digits, '-', '_' or '.'");
    if (!valid_name(p->name))
        return error_set(err, ERR_INVALID_ARG, "name", "a procedure needs a name");
    if (p->name_en && strlen(p->name_en) > NAME_MAX_LEN)
        return error_set(err, ERR_INVALID_ARG, "name_en", "the English name is too long");
    if (p->kind != PROCEDURE_INCIDENT && p->kind != PROCEDURE_DEMARCHE)
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown procedure kind %d", p->kind);
    /* The shape only: the names the binary embeds are the presentation's to know (the back
     * office offers and checks them); an unknown one is shown as its kind's default. */
    if (p->icon && !valid_code(p->icon, "-"))
        return error_set(err, ERR_INVALID_ARG, "icon",
                         "an icon name is 1 to 64 lowercase letters, digits or '-'");
    if (p->delay_days < 0 || p->delay_days > 3660)
        return error_set(err, ERR_INVALID_ARG, "delay_days", "delay out of range");
    /* 0: the default of its kind (core/retention.h), which the store applies. */
    if (p->retention_months != 0 &&
        (p->retention_months < RETENTION_MONTHS_MIN || p->retention_months > RETENTION_MONTHS_MAX))
        return error_set(err, ERR_INVALID_ARG, "retention_months",
                         "retention out of range (%d to %d months)", RETENTION_MONTHS_MIN,
                         RETENTION_MONTHS_MAX);
    /* A definition that does not parse would leave the procedure inactive in every
     * catalogue snapshot: refuse it here, strictly (attrs_check), where the administrator
     * sees the message. */
    attrs_problem pb;
    if (attrs_check(p->attributes, &pb) != 0)
        return error_set(err, ERR_INVALID_ARG, "attributes",
                         "attribute definitions: %s (question %zu, value %zu, member %s)",
                         attrs_problem_name(pb.kind), pb.item, pb.value, pb.member);
    if (p->version_summary && strlen(p->version_summary) > PROCEDURE_SUMMARY_MAX)
        return error_set(err, ERR_INVALID_ARG, "version_summary",
                         "a change summary has at most %d bytes", PROCEDURE_SUMMARY_MAX);
    return 0;
}

int admin_procedure_upsert_as(core *c, const core_actor *who, const store_procedure *p,
                              int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (admin_procedure_check(p, err) != 0 ||
        check_owner(c, p->tenant_id, p->department_id, p->workflow_id, err) != 0)
        return -1;
    procedure_arg pa = {.rec = *p};
    if (who && who->kind == ACTOR_AGENT)
        snprintf(pa.by, sizeof pa.by, "agent:%lld", (long long)who->id);
    else
        snprintf(pa.by, sizeof pa.by, "cli");
    return change_run(c, who, p->tenant_id, &procedure_change, &pa, sizeof pa, id_out, cb, ctx,
                      err);
}

int admin_procedure_upsert(core *c, const store_procedure *p, int64_t *id_out, error *err)
{
    return admin_procedure_upsert_as(c, &actor_cli, p, id_out, NULL, NULL, err);
}

int admin_reply_template_upsert_as(core *c, const core_actor *who, const store_reply_template *t,
                                   int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (!valid_name(t->name))
        return error_set(err, ERR_INVALID_ARG, "name", "a reply template needs a name");
    if (!t->body || !*t->body || strlen(t->body) > REPLY_TEMPLATE_MAX)
        return error_set(err, ERR_INVALID_ARG, "body",
                         "a reply template needs 1 to %d bytes of text", REPLY_TEMPLATE_MAX);
    if (check_owner(c, t->tenant_id, 0, 0, err) != 0)
        return -1;
    return change_run(c, who, t->tenant_id, &reply_template_change, t, sizeof *t, id_out, cb, ctx,
                      err);
}

/* ---- the audit log ---- */

int admin_audit_list(core *c, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                     store_audit **out, size_t *n, error *err)
{
    store *s = core_store(c);
    return s->ops->audit.list(s, tenant_id, after_id, limit, a, out, n, err);
}

int admin_audit_search(core *c, const store_audit_filter *f, arena *a, store_audit **out, size_t *n,
                       error *err)
{
    store *s = core_store(c);
    return s->ops->audit.search(s, f, a, out, n, err);
}

int admin_audit_request_names(core *c, int64_t tenant_id, const int64_t *ids, size_t n_ids,
                              arena *a, store_request_name **out, size_t *n, error *err)
{
    store *s = core_store(c);
    return s->ops->audit.request_names(s, tenant_id, ids, n_ids, a, out, n, err);
}

int admin_audit_last(core *c, int64_t tenant_id, arena *a, store_audit *out, int *found, error *err)
{
    store *s = core_store(c);
    return s->ops->audit.last(s, tenant_id, a, out, found, err);
}

/* ---- history import ---- */

static const char *const event_kinds[] = {"created", "status",   "note",
                                          "assign",  "priority", "department"};

static int known_event_kind(const char *k)
{
    for (size_t i = 0; k && i < sizeof event_kinds / sizeof event_kinds[0]; i++)
        if (strcmp(k, event_kinds[i]) == 0)
            return 1;
    return 0;
}

/* A status of the imported request's own workflow. */
static int known_status(const cat_procedure *p, const char *code)
{
    return workflow_status(p->workflow, code) != NULL;
}

/* err->arg names the faulty request and field, e.g. "requests[12].status". */
static int import_fail(error *err, size_t i, const char *field, const char *detail)
{
    char arg[sizeof err->arg];
    snprintf(arg, sizeof arg, "requests[%zu].%s", i, field);
    return error_set(err, ERR_INVALID_ARG, arg, "%s", detail);
}

static int check_import(const cat_tenant *t, const admin_import_request *q, size_t i, error *err)
{
    const store_request *r = &q->rec;
    channel ch;
    if (!t || r->tenant_id != t->rec.id)
        return import_fail(err, i, "tenant_id", "unknown tenant");
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    if (!p)
        return import_fail(err, i, "procedure_id", "not a procedure of the tenant");
    if (r->department_id && !catalogue_department_by_id(t, r->department_id))
        return import_fail(err, i, "department_id", "not a department of the tenant");
    if (!known_status(p, r->status))
        return import_fail(err, i, "status", "unknown status");
    if (!r->channel || channel_parse(r->channel, &ch) != 0)
        return import_fail(err, i, "channel", "unknown channel");
    if (r->created_at <= 0)
        return import_fail(err, i, "created_at", "missing creation time");
    if (r->updated_at && r->updated_at < r->created_at)
        return import_fail(err, i, "updated_at", "updated before created");
    if (r->priority < 0 || r->priority > 3)
        return import_fail(err, i, "priority", "priority out of range");
    if (r->has_location && (r->lat < -90 || r->lat > 90 || r->lon < -180 || r->lon > 180))
        return import_fail(err, i, "lat", "coordinates out of range");
    if (q->n_events == 0 || !q->events)
        return import_fail(err, i, "events", "a request needs at least its created event");
    for (size_t k = 0; k < q->n_events; k++) {
        const admin_import_event *e = &q->events[k];
        if (!known_event_kind(e->kind))
            return import_fail(err, i, "events", "unknown event kind");
        if (e->created_at < r->created_at)
            return import_fail(err, i, "events", "event older than its request");
        if ((e->status_from && !known_status(p, e->status_from)) ||
            (e->status_to && !known_status(p, e->status_to)))
            return import_fail(err, i, "events", "unknown status in an event");
        if (e->channel && channel_parse(e->channel, &ch) != 0)
            return import_fail(err, i, "events", "unknown channel in an event");
    }
    return 0;
}

typedef struct import_job {
    core *c;
    const admin_import_request *reqs;
    size_t from, to;
    arena a; /* the references the store hands back */
} import_job;

static int apply_import(store *s, void *arg, error *err)
{
    import_job *j = arg;
    for (size_t i = j->from; i < j->to; i++) {
        const admin_import_request *q = &j->reqs[i];
        store_request r = q->rec;
        char token[64], hash[65];
        core_new_secret("", token, sizeof token);
        core_hash_secret(j->c, token, hash);
        r.id = 0;
        r.reference = NULL;
        r.token_hash = hash;
        if (!r.updated_at) {
            r.updated_at = r.created_at;
            for (size_t k = 0; k < q->n_events; k++)
                if (q->events[k].created_at > r.updated_at)
                    r.updated_at = q->events[k].created_at;
        }
        int64_t id = 0;
        const char *ref = NULL;
        if (s->ops->requests.tx_insert(s, &r, &j->a, &id, &ref, err) != 0)
            return -1;
        for (size_t k = 0; k < q->n_events; k++) {
            const admin_import_event *ie = &q->events[k];
            store_event e = {
                .tenant_id = r.tenant_id,
                .request_id = id,
                .created_at = ie->created_at,
                .kind = ie->kind,
                .is_public = ie->is_public,
                .actor = ie->actor,
                .channel = ie->channel,
                .status_from = ie->status_from,
                .status_to = ie->status_to,
                .body = ie->body,
            };
            int64_t eid;
            if (s->ops->events.tx_insert(s, &e, &eid, err) != 0)
                return -1;
        }
    }
    return 0;
}

int admin_import_requests(core *c, const admin_import_request *reqs, size_t n, size_t *n_written,
                          error *err)
{
    if (n_written)
        *n_written = 0;
    if (n == 0)
        return 0;
    /* Everything is checked before the first write, so that a wrong input never leaves
     * half an import behind. */
    const catalogue *cat = catalogue_acquire(c);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = check_import(catalogue_tenant_by_id(cat, reqs[i].rec.tenant_id), &reqs[i], i, err);
    catalogue_release(c, cat);
    if (rc != 0)
        return -1;

    import_job j = {.c = c, .reqs = reqs};
    arena_init(&j.a, 0);
    for (size_t from = 0; from < n; from += ADMIN_IMPORT_BATCH) {
        j.from = from;
        j.to = from + ADMIN_IMPORT_BATCH < n ? from + ADMIN_IMPORT_BATCH : n;
        rc = store_write_sync(core_store(c), apply_import, &j, err);
        arena_free(&j.a);
        if (rc != 0)
            break;
        if (n_written)
            *n_written = j.to;
    }
    return rc;
}

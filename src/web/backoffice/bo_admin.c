/*
 * bo_admin — the tenant's administration under /agent/admin, for admins only (403 for every
 * other role, checked on every route): departments, agents and their roles, a first editor
 * of procedures, API keys, the collectivité's branding, and the audit log with its chain
 * verification. Every change goes through core's validated operations and is audited with
 * action "admin"; successful POSTs redirect (303) to a page that says what was done.
 */
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/apikey.h"
#include "core/audit.h"
#include "core/perm.h"
#include "core/retention.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/web.h"

#define AUDIT_PAGE 50
#define MAX_DEPT_CODES AGENT_MAX_DEPARTMENTS

/* ---- shared ---- */

static int64_t tenant_id(http_req *rq)
{
    return rq->host_tenant->rec.id;
}

static const char *S(const bo_page *p, const char *key)
{
    return bo_page_str(p, key);
}

/* The administration's tabs: path, label key. */
static const struct {
    const char *href;
    const char *label_key;
} tabs[] = {
    {"/agent/admin", "admin.tabs.overview"},
    {"/agent/admin/services", "admin.tabs.departments"},
    {"/agent/admin/agents", "admin.tabs.agents"},
    {"/agent/admin/demarches", "admin.tabs.procedures"},
    {"/agent/admin/cles", "admin.tabs.apikeys"},
    {"/agent/admin/collectivite", "admin.tabs.branding"},
    {"/agent/admin/conservation", "admin.tabs.retention"},
    {"/agent/admin/comptes", "admin.tabs.accounts"},
    {"/agent/admin/audit", "admin.tabs.audit"},
    {"/agent/admin/registre", "admin.tabs.register"},
    {"/agent/admin/export", "admin.tabs.export"},
};

static json_t *tabs_json(bo_page *p, const char *current)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "href", json_string(tabs[i].href));
        json_object_set_new(t, "label", json_string(S(p, tabs[i].label_key)));
        if (strcmp(tabs[i].href, current) == 0)
            json_object_set_new(t, "current", json_true());
        json_array_append_new(list, t);
    }
    return list;
}

/* Starts an admin page: the agent must be an admin. 0, or -1 after answering. */
static int admin_start(http_req *rq, store_agent *a, bo_page *p, const char *tab)
{
    if (!bo_admin(rq, a))
        return -1;
    if (bo_page_start(p, rq, a) != 0)
        return -1;
    bo_page_set(p, "admin_tabs", tabs_json(p, tab));
    /* «Fait» notices after a redirect: only known keys. */
    const char *done = form_get(&rq->query, "fait");
    if (done && strlen(done) < 40) {
        const char *key = arena_printf(rq->arena, "admin.done.%s", done);
        const char *text = key ? S(p, key) : NULL;
        if (text && strcmp(text, key) != 0)
            bo_page_notice(p, "success", text);
    }
    return 0;
}

/* For POSTs: admin first (a logged-out browser is sent to login, others get 403), then the
 * CSRF token. 0, or -1 after answering. */
static int admin_post(http_req *rq, store_agent *a, form *f)
{
    if (!bo_admin(rq, a))
        return -1;
    return bo_form(rq, f);
}

static const char *field(const form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v ? v : "";
}

/* A checkbox: present and "1" or "on". */
static int checked(const form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
}

static void redirect_done(http_req *rq, const char *path, const char *done)
{
    web_redirect(rq, arena_printf(rq->arena, "%s%sfait=%s%s", path, strchr(path, '?') ? "&" : "?",
                                  done, rq->lang == LANG_EN ? "&lang=en" : ""));
}

static void audit_change(http_req *rq, const store_agent *a, const char *kind, int64_t id)
{
    bo_audit_wait(rq, a, "admin", kind, id ? &id : NULL, id ? 1 : 0);
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, json_string(v ? v : ""));
}

/* "2026-11-29 08:30" in the tenant's zone. */
static const char *when(http_req *rq, int64_t t)
{
    if (t <= 0)
        return "";
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, rq->host_tenant->rec.timezone, out);
    out[10] = ' ';
    out[16] = '\0';
    return arena_strdup(rq->arena, out);
}

static const char *iso(http_req *rq, int64_t t)
{
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, rq->host_tenant->rec.timezone, out);
    return arena_strdup(rq->arena, out);
}

/* A positive id from a path segment; 0 when not one. */
static int64_t parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    int64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (*c - '0');
    }
    return v;
}

/* ---- for the administration's other pages (bo_common.h) ---- */

int bo_admin_page(http_req *rq, store_agent *a, bo_page *p, const char *tab)
{
    return admin_start(rq, a, p, tab);
}

int bo_admin_form(http_req *rq, store_agent *a, form *f)
{
    return admin_post(rq, a, f);
}

void bo_admin_tabs(bo_page *p, const char *tab)
{
    bo_page_set(p, "admin_tabs", tabs_json(p, tab));
}

void bo_admin_done(http_req *rq, const char *path, const char *done)
{
    redirect_done(rq, path, done);
}

int64_t bo_admin_id(const char *s)
{
    return parse_id(s);
}

/* The error's field for a form: err->arg when it names one of `known` (NULL-terminated),
 * else fallback. */
static const char *error_field(const error *e, const char *const *known, const char *fallback)
{
    for (size_t i = 0; known[i]; i++)
        if (strncmp(e->arg, known[i], strlen(known[i])) == 0)
            return known[i];
    return fallback;
}

/* ---- /agent/admin: overview ---- */

static void overview_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin") != 0)
        return;
    const cat_tenant *t = rq->host_tenant;
    store_agent *agents = NULL;
    size_t n_agents = 0, n_keys = 0, n_active_keys = 0;
    store_apikey *keys = NULL;
    error e;
    store *s = core_store(rq->core);
    if (agent_list(rq->core, tenant_id(rq), rq->arena, &agents, &n_agents, &e) != 0 ||
        s->ops->apikeys.list(s, tenant_id(rq), rq->arena, &keys, &n_keys, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    for (size_t i = 0; i < n_keys; i++)
        n_active_keys += keys[i].revoked_at == 0;
    json_t *counts = json_object();
    json_object_set_new(counts, "departments", json_integer((json_int_t)t->n_departments));
    json_object_set_new(counts, "agents", json_integer((json_int_t)n_agents));
    json_object_set_new(counts, "procedures", json_integer((json_int_t)t->n_procedures));
    json_object_set_new(counts, "apikeys", json_integer((json_int_t)n_active_keys));
    bo_page_set(&p, "counts", counts);
    bo_page_render(&p, 200, "agent/admin/index", S(&p, "admin.overview.title"));
}

/* ---- departments ---- */

static json_t *departments_json(http_req *rq)
{
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        const store_department *d = &t->departments[i].rec;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(d->id));
        set_str(o, "code", d->code);
        set_str(o, "name", d->name);
        set_str(o, "email", d->email);
        json_array_append_new(list, o);
    }
    return list;
}

static void departments_render(bo_page *p, int status)
{
    bo_page_set(p, "departments", departments_json(p->rq));
    bo_page_render(p, status, "agent/admin/departments", S(p, "admin.departments.title"));
}

static void departments_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/services") != 0)
        return;
    const char *code = form_get(&rq->query, "modifier");
    const cat_department *d = code ? catalogue_department(rq->host_tenant, code) : NULL;
    if (d) {
        bo_page_set(&p, "editing", json_true());
        bo_page_value(&p, "code", d->rec.code);
        bo_page_value(&p, "name", d->rec.name);
        bo_page_value(&p, "email", d->rec.email);
    }
    departments_render(&p, 200);
}

static void departments_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    const char *code = field(&f, "code"), *name = field(&f, "name"), *email = field(&f, "email");
    store_department d = {
        .tenant_id = tenant_id(rq), .code = code, .name = name, .email = *email ? email : NULL};
    int64_t id = 0;
    error e;
    if (*email && (!strchr(email, '@') || strlen(email) > 254)) {
        error_set(&e, ERR_INVALID_ARG, "email", "not an e-mail address");
    } else if (admin_department_upsert(rq->core, &d, &id, &e) == 0) {
        audit_change(rq, &a, "department", id);
        redirect_done(rq, "/agent/admin/services", "department");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    if (e.code != ERR_INVALID_ARG) {
        bo_page_fail(&p, &e);
        return;
    }
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/services"));
    static const char *const known[] = {"code", "name", "email", NULL};
    const char *fld = error_field(&e, known, "code");
    bo_page_error_key(&p, fld, arena_printf(rq->arena, "admin.departments.error_%s", fld));
    if (form_get(&f, "editing"))
        bo_page_set(&p, "editing", json_true());
    bo_page_value(&p, "code", code);
    bo_page_value(&p, "name", name);
    bo_page_value(&p, "email", email);
    departments_render(&p, 400);
}

/* ---- agents ---- */

static const char *const role_names[] = {"agent", "manager", "elected", "admin"};
#define N_ROLES 4

static json_t *roles_json(http_req *rq, const char *current)
{
    json_t *list = json_array();
    for (size_t i = 0; i < N_ROLES; i++) {
        json_t *o = json_object();
        set_str(o, "value", role_names[i]);
        set_str(o, "label", bo_role_label(rq, role_names[i]));
        if (current && strcmp(current, role_names[i]) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

/* The tenant's departments as checkboxes, those in codes[n] (or ids[n_ids]) checked. */
static json_t *dept_choices(http_req *rq, const char *const *codes, size_t n, const int64_t *ids,
                            size_t n_ids)
{
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        const store_department *d = &t->departments[i].rec;
        int on = 0;
        for (size_t k = 0; k < n && !on; k++)
            on = strcmp(codes[k], d->code) == 0;
        for (size_t k = 0; k < n_ids && !on; k++)
            on = ids[k] == d->id;
        json_t *o = json_object();
        set_str(o, "code", d->code);
        set_str(o, "name", d->name);
        set_str(o, "id", arena_printf(rq->arena, "dept-%s", d->code));
        if (on)
            json_object_set_new(o, "checked", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

/* The department codes checked in f (field "departments"), at most MAX_DEPT_CODES. */
static size_t form_departments(const form *f, const char **codes)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count && n < MAX_DEPT_CODES; i++)
        if (strcmp(f->fields[i].name, "departments") == 0 && *f->fields[i].value)
            codes[n++] = f->fields[i].value;
    return n;
}

static const char *dept_names(http_req *rq, const store_agent *ag)
{
    buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < ag->n_departments; i++) {
        const cat_department *d =
            catalogue_department_by_id(rq->host_tenant, ag->department_ids[i]);
        if (!d)
            continue;
        if (b.len)
            buf_puts(&b, ", ");
        buf_puts(&b, d->rec.name);
    }
    const char *r = arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    return r ? r : "";
}

static json_t *agent_json(http_req *rq, const store_agent *ag)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(ag->id));
    set_str(o, "name", ag->name);
    set_str(o, "email", ag->email);
    set_str(o, "role", ag->role);
    set_str(o, "role_label", bo_role_label(rq, ag->role));
    set_str(o, "departments", dept_names(rq, ag));
    json_object_set_new(o, "totp", json_boolean(ag->totp_enabled));
    json_object_set_new(o, "active", json_boolean(ag->active));
    set_str(o, "last_login", when(rq, ag->last_login_at));
    return o;
}

static void agents_render(bo_page *p, int status, const char *role, const char *const *codes,
                          size_t n_codes)
{
    http_req *rq = p->rq;
    store_agent *list = NULL;
    size_t n = 0;
    error e;
    if (agent_list(rq->core, tenant_id(rq), rq->arena, &list, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, agent_json(rq, &list[i]));
    bo_page_set(p, "agents", arr);
    bo_page_set(p, "roles", roles_json(rq, role ? role : "agent"));
    bo_page_set(p, "dept_choices", dept_choices(rq, codes, n_codes, NULL, 0));
    bo_page_set(p, "password_min", json_integer(AGENT_PASSWORD_MIN));
    bo_page_render(p, status, "agent/admin/agents", S(p, "admin.agents.title"));
}

static void agents_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/agents") != 0)
        return;
    agents_render(&p, 200, NULL, NULL, 0);
}

/* Maps an agent_* validation error to a field and its message. */
static void agent_error(bo_page *p, const error *e)
{
    static const char *const known[] = {"email", "name", "role", "department", "password", NULL};
    if (e->code == ERR_CONFLICT) {
        bo_page_error_key(p, "email", "admin.agents.error_taken");
        return;
    }
    const char *fld = error_field(e, known, "email");
    const char *key = arena_printf(p->rq->arena, "admin.agents.error_%s", fld);
    bo_page_error_key(p, strcmp(fld, "department") == 0 ? "departments" : fld, key);
}

static void agents_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    const char *codes[MAX_DEPT_CODES];
    size_t n = form_departments(&f, codes);
    const char *role_s = field(&f, "role");
    agent_role role;
    error e;
    int64_t id = 0;
    if (agent_role_parse(role_s, &role) != 0) {
        error_set(&e, ERR_INVALID_ARG, "role", "unknown role");
    } else if (agent_create(rq->core, tenant_id(rq), field(&f, "email"), field(&f, "name"), role,
                            codes, n, field(&f, "password"), &id, &e) == 0) {
        audit_change(rq, &a, "agent", id);
        redirect_done(rq, "/agent/admin/agents", "agent_created");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    if (e.code != ERR_INVALID_ARG && e.code != ERR_CONFLICT) {
        bo_page_fail(&p, &e);
        return;
    }
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/agents"));
    agent_error(&p, &e);
    bo_page_value(&p, "email", field(&f, "email"));
    bo_page_value(&p, "name", field(&f, "name"));
    agents_render(&p, 400, role_s, codes, n);
}

/* One agent's page. */
static void agent_page_render(bo_page *p, int status, const store_agent *ag, const store_agent *me)
{
    http_req *rq = p->rq;
    bo_page_set(p, "target", agent_json(rq, ag));
    bo_page_set(p, "roles", roles_json(rq, ag->role));
    bo_page_set(p, "dept_choices",
                dept_choices(rq, NULL, 0, ag->department_ids, ag->n_departments));
    bo_page_set(p, "password_min", json_integer(AGENT_PASSWORD_MIN));
    if (ag->id == me->id)
        bo_page_set(p, "is_self", json_true());
    if (!json_object_get(p->values, "name"))
        bo_page_value(p, "name", ag->name);
    bo_page_render(p, status, "agent/admin/agent",
                   arena_printf(rq->arena, "%s – %s", S(p, "admin.agent.title"), ag->name));
}

static int load_target(http_req *rq, store_agent *ag)
{
    int64_t id = parse_id(rq->params[0]);
    error e;
    if (!id || agent_get(rq->core, tenant_id(rq), id, rq->arena, ag, &e) != 0) {
        bo_not_found(rq);
        return -1;
    }
    return 0;
}

static void agent_get_page(http_req *rq)
{
    store_agent a, ag;
    if (!bo_admin(rq, &a) || load_target(rq, &ag) != 0)
        return;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/agents") != 0)
        return;
    agent_page_render(&p, 200, &ag, &a);
}

static void agent_post_page(http_req *rq)
{
    store_agent a, ag;
    form f;
    if (admin_post(rq, &a, &f) != 0 || load_target(rq, &ag) != 0)
        return;
    const char *action = field(&f, "action");
    const char *self_path = arena_printf(rq->arena, "/agent/admin/agents/%lld", (long long)ag.id);
    const int self = ag.id == a.id;
    error e;
    error_clear(&e);
    const char *done = NULL, *err_field = NULL, *err_key = NULL;
    int rc = -1;
    if (strcmp(action, "save") == 0) {
        const char *codes[MAX_DEPT_CODES];
        size_t n = form_departments(&f, codes);
        agent_role role;
        if (agent_role_parse(field(&f, "role"), &role) != 0) {
            err_field = "role";
            err_key = "admin.agents.error_role";
        } else if (self && strcmp(role_names[role], ag.role) != 0) {
            err_field = "role";
            err_key = "admin.agent.error_self_role";
        } else {
            agent_changes ch = {.name = field(&f, "name"),
                                .role = (int)role,
                                .department_codes = codes,
                                .n_departments = n,
                                .active = -1};
            rc = agent_update(rq->core, tenant_id(rq), ag.id, &ch, &e);
            done = "agent_saved";
        }
    } else if (strcmp(action, "deactivate") == 0 || strcmp(action, "activate") == 0) {
        int on = strcmp(action, "activate") == 0;
        if (self && !on) {
            err_field = "deactivate";
            err_key = "admin.agent.error_self_deactivate";
        } else {
            agent_changes ch = {.role = -1, .active = on};
            rc = agent_update(rq->core, tenant_id(rq), ag.id, &ch, &e);
            done = on ? "agent_activated" : "agent_deactivated";
        }
    } else if (strcmp(action, "reset_totp") == 0) {
        rc = agent_totp_reset(rq->core, tenant_id(rq), ag.id, &e);
        done = "totp_reset";
    } else if (strcmp(action, "password") == 0) {
        rc = agent_set_password(rq->core, tenant_id(rq), ag.id, field(&f, "password"), &e);
        done = "password_set";
    } else {
        error_set(&e, ERR_BAD_REQUEST, "action", "unknown action");
        web_write_error(rq, &e);
        return;
    }
    if (rc == 0) {
        audit_change(rq, &a, "agent", ag.id);
        redirect_done(rq, self_path, done);
        return;
    }
    if (!err_field && e.code != ERR_INVALID_ARG && e.code != ERR_CONFLICT) {
        web_write_error(rq, &e);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/agents"));
    if (err_field)
        bo_page_error_key(&p, err_field, err_key);
    else
        agent_error(&p, &e);
    bo_page_value(&p, "name", field(&f, "name"));
    agent_page_render(&p, 400, &ag, &a);
}

/* ---- procedures ---- */

static void procedures_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/demarches") != 0)
        return;
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *cp = &t->procedures[i];
        json_t *o = json_object();
        set_str(o, "code", cp->rec.code);
        set_str(o, "name", cp->rec.name);
        set_str(o, "group", cp->rec.group_name);
        set_str(o, "department", cp->department ? cp->department->rec.name : "");
        set_str(o, "kind_label",
                S(&p, cp->rec.kind == PROCEDURE_DEMARCHE ? "admin.procedure.kind_demarche"
                                                         : "admin.procedure.kind_incident"));
        json_object_set_new(o, "delay_days", json_integer(cp->rec.delay_days));
        json_object_set_new(o, "retention_months", json_integer(cp->rec.retention_months));
        json_object_set_new(o, "is_public", json_boolean(cp->rec.is_public));
        json_object_set_new(o, "active", json_boolean(cp->rec.active));
        json_object_set_new(o, "n_attrs", json_integer((json_int_t)cp->n_attrs));
        json_array_append_new(list, o);
    }
    bo_page_set(&p, "procedures", list);
    bo_page_render(&p, 200, "agent/admin/procedures", S(&p, "admin.procedures.title"));
}

/* The editor's fields: text ones, then checkboxes. */
static const char *const proc_text_fields[] = {
    "code",       "name",       "group_name", "description",      "keywords", "service_notice",
    "attributes", "delay_days", "department", "retention_months", "kind",     NULL};
static const char *const proc_flags[] = {"is_public", "auto_public", "allow_anonymous",
                                         "open311",   "active",      NULL};
/* The radio values of open311_detail, indexed by the enum (store.h). */
static const char *const detail_names[] = {"none", "status", "full", NULL};

/* The level a form asks for; anything else (or nothing) is the safest, none. */
static int detail_of_form(const form *f)
{
    const char *v = form_get(f, "open311_detail");
    for (int i = 0; v && detail_names[i]; i++)
        if (strcmp(v, detail_names[i]) == 0)
            return i;
    return OPEN311_DETAIL_NONE;
}

/* Checks the radio of level `detail` in the form's values. */
static void detail_value(bo_page *p, int detail)
{
    if (detail < OPEN311_DETAIL_NONE || detail > OPEN311_DETAIL_FULL)
        detail = OPEN311_DETAIL_NONE;
    json_object_set_new(p->values,
                        arena_printf(p->rq->arena, "open311_detail_%s", detail_names[detail]),
                        json_true());
}

static void procedure_render(bo_page *p, int status, int is_new, const char *dept_code)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    json_t *depts = json_array();
    for (size_t i = 0; i < t->n_departments; i++) {
        json_t *o = json_object();
        set_str(o, "value", t->departments[i].rec.code);
        set_str(o, "label", t->departments[i].rec.name);
        if (dept_code && strcmp(dept_code, t->departments[i].rec.code) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(depts, o);
    }
    bo_page_set(p, "departments", depts);
    const char *kind = json_string_value(json_object_get(p->values, "kind"));
    if (kind && strcmp(kind, "demarche") == 0)
        bo_page_set(p, "kind_demarche", json_true());
    if (is_new)
        bo_page_set(p, "is_new", json_true());
    const char *title = is_new
                            ? S(p, "admin.procedure.title_new")
                            : arena_printf(rq->arena, "%s – %s", S(p, "admin.procedure.title"),
                                           json_string_value(json_object_get(p->values, "name")));
    bo_page_render(p, status, "agent/admin/procedure", title);
}

static void procedure_values(bo_page *p, const store_procedure *r, const char *dept_code)
{
    char delay[16], retention[16] = "";
    snprintf(delay, sizeof delay, "%d", r->delay_days);
    if (r->retention_months > 0)
        snprintf(retention, sizeof retention, "%d", r->retention_months);
    bo_page_value(p, "code", r->code);
    bo_page_value(p, "name", r->name);
    bo_page_value(p, "group_name", r->group_name);
    bo_page_value(p, "description", r->description);
    bo_page_value(p, "keywords", r->keywords);
    bo_page_value(p, "service_notice", r->service_notice);
    bo_page_value(p, "attributes", r->attributes ? r->attributes : "[]");
    bo_page_value(p, "delay_days", delay);
    bo_page_value(p, "retention_months", retention);
    bo_page_value(p, "department", dept_code);
    bo_page_value(p, "kind", r->kind == PROCEDURE_DEMARCHE ? "demarche" : "incident");
    const int flags[] = {r->is_public, r->auto_public, r->allow_anonymous, r->open311, r->active};
    for (size_t i = 0; proc_flags[i]; i++)
        if (flags[i])
            json_object_set_new(p->values, proc_flags[i], json_true());
    detail_value(p, r->open311_detail);
}

static void procedure_new_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/demarches") != 0)
        return;
    store_procedure r = {.attributes = "[]", .active = 1, .open311 = 1};
    procedure_values(&p, &r, "");
    procedure_render(&p, 200, 1, "");
}

static void procedure_get(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    const cat_procedure *cp = catalogue_procedure(rq->host_tenant, rq->params[0]);
    if (!cp) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/demarches") != 0)
        return;
    const char *dept = cp->department ? cp->department->rec.code : "";
    procedure_values(&p, &cp->rec, dept);
    procedure_render(&p, 200, 0, dept);
}

/* Saves the editor's form for procedure `code` (NULL: a new one, code from the form). */
static void procedure_save(http_req *rq, const char *code)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    const cat_procedure *existing = code ? catalogue_procedure(rq->host_tenant, code) : NULL;
    if (code && !existing) {
        bo_not_found(rq);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/demarches"));
    store_procedure r = {.tenant_id = tenant_id(rq)};
    if (existing)
        r.id = existing->rec.id;
    r.code = code ? code : field(&f, "code");
    r.name = field(&f, "name");
    r.group_name = *field(&f, "group_name") ? field(&f, "group_name") : NULL;
    r.description = *field(&f, "description") ? field(&f, "description") : NULL;
    r.keywords = *field(&f, "keywords") ? field(&f, "keywords") : NULL;
    r.service_notice = *field(&f, "service_notice") ? field(&f, "service_notice") : NULL;
    r.attributes = *field(&f, "attributes") ? field(&f, "attributes") : "[]";
    r.kind = strcmp(field(&f, "kind"), "demarche") == 0 ? PROCEDURE_DEMARCHE : PROCEDURE_INCIDENT;
    r.is_public = checked(&f, "is_public");
    r.auto_public = checked(&f, "auto_public");
    r.allow_anonymous = checked(&f, "allow_anonymous");
    r.open311 = checked(&f, "open311");
    r.open311_detail = detail_of_form(&f);
    r.active = checked(&f, "active");
    const char *dept = field(&f, "department");
    if (*dept) {
        const cat_department *d = catalogue_department(rq->host_tenant, dept);
        if (d)
            r.department_id = d->rec.id;
        else
            bo_page_error_key(&p, "department", "admin.procedure.error_department");
    }
    const char *delay = field(&f, "delay_days");
    char *end = NULL;
    long dl = *delay ? strtol(delay, &end, 10) : 0;
    if (*delay && (*end != '\0' || dl < 0 || dl > 3660))
        bo_page_error_key(&p, "delay_days", "admin.procedure.error_delay_days");
    r.delay_days = (int)dl;
    /* Empty: the default of its kind (24 months for an incident, 36 for a démarche). */
    const char *keep = field(&f, "retention_months");
    long months = *keep ? strtol(keep, &end, 10) : 0;
    if (*keep && (*end != '\0' || months < RETENTION_MONTHS_MIN || months > RETENTION_MONTHS_MAX))
        bo_page_error_key(&p, "retention_months", "admin.procedure.error_retention_months");
    r.retention_months = (int)months;
    error e;
    int64_t id = 0;
    if (!bo_page_has_errors(&p)) {
        if (admin_procedure_upsert(rq->core, &r, &id, &e) == 0) {
            bo_page_discard(&p);
            audit_change(rq, &a, "procedure", id);
            redirect_done(rq, arena_printf(rq->arena, "/agent/admin/demarches/%s", r.code),
                          code ? "procedure_saved" : "procedure_created");
            return;
        }
        if (e.code != ERR_INVALID_ARG) {
            bo_page_fail(&p, &e);
            return;
        }
        static const char *const known[] = {
            "code", "name", "kind", "delay_days", "department", "retention_months", NULL};
        const char *fld = error_field(&e, known, "attributes");
        if (strcmp(fld, "attributes") == 0)
            bo_page_error(&p, "attributes",
                          arena_printf(rq->arena, "%s %s",
                                       S(&p, "admin.procedure.error_attributes"), e.detail));
        else
            bo_page_error_key(&p, fld, arena_printf(rq->arena, "admin.procedure.error_%s", fld));
    }
    for (size_t i = 0; proc_text_fields[i]; i++)
        bo_page_value(&p, proc_text_fields[i], field(&f, proc_text_fields[i]));
    if (code)
        bo_page_value(&p, "code", code);
    for (size_t i = 0; proc_flags[i]; i++)
        if (checked(&f, proc_flags[i]))
            json_object_set_new(p.values, proc_flags[i], json_true());
    detail_value(&p, r.open311_detail);
    procedure_render(&p, 400, code == NULL, dept);
}

static void procedure_new_post(http_req *rq)
{
    procedure_save(rq, NULL);
}

static void procedure_post(http_req *rq)
{
    procedure_save(rq, rq->params[0]);
}

/* ---- API keys ---- */

static const char *const scopes[] = {"open311", "api", "gateway", NULL};

static void apikeys_render(bo_page *p, int status, const char *scope)
{
    http_req *rq = p->rq;
    store *s = core_store(rq->core);
    store_apikey *keys = NULL;
    size_t n = 0;
    error e;
    if (s->ops->apikeys.list(s, tenant_id(rq), rq->arena, &keys, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(keys[i].id));
        set_str(o, "name", keys[i].name);
        set_str(o, "scope", keys[i].scope);
        set_str(o, "prefix", keys[i].prefix);
        set_str(o, "created", when(rq, keys[i].created_at));
        set_str(o, "revoked", when(rq, keys[i].revoked_at));
        json_object_set_new(o, "live", json_boolean(keys[i].revoked_at == 0));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "keys", list);
    json_t *sc = json_array();
    for (size_t i = 0; scopes[i]; i++) {
        json_t *o = json_object();
        set_str(o, "value", scopes[i]);
        set_str(o, "label", S(p, arena_printf(rq->arena, "admin.apikeys.scope_%s", scopes[i])));
        if (scope && strcmp(scope, scopes[i]) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(sc, o);
    }
    bo_page_set(p, "scopes", sc);
    bo_page_render(p, status, "agent/admin/apikeys", S(p, "admin.apikeys.title"));
}

static void apikeys_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/cles") != 0)
        return;
    apikeys_render(&p, 200, "open311");
}

static void apikeys_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/cles"));
    const char *name = field(&f, "name"), *scope_s = field(&f, "scope");
    apikey_scope scope;
    if (!*name || strlen(name) > 100 || utf8_has_control(name, strlen(name)))
        bo_page_error_key(&p, "name", "admin.apikeys.error_name");
    if (apikey_scope_parse(scope_s, &scope) != 0)
        bo_page_error_key(&p, "scope", "admin.apikeys.error_scope");
    if (bo_page_has_errors(&p)) {
        bo_page_value(&p, "name", name);
        apikeys_render(&p, 400, scope_s);
        return;
    }
    char key[APIKEY_LEN];
    int64_t id = 0;
    error e;
    if (apikey_create(rq->core, tenant_id(rq), name, scope, key, &id, &e) != 0) {
        if (e.code != ERR_INVALID_ARG) {
            bo_page_fail(&p, &e);
            return;
        }
        bo_page_error_key(&p, "name", "admin.apikeys.error_name");
        bo_page_value(&p, "name", name);
        apikeys_render(&p, 400, scope_s);
        return;
    }
    audit_change(rq, &a, "apikey", id);
    /* Shown once, on this answer only: only its hash is stored. */
    json_t *created = json_object();
    set_str(created, "key", key);
    set_str(created, "name", name);
    bo_page_set(&p, "created_key", created);
    apikeys_render(&p, 200, "open311");
}

static void apikey_revoke_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    int64_t id = parse_id(rq->params[0]);
    error e;
    if (!id || apikey_revoke(rq->core, tenant_id(rq), id, &e) != 0) {
        if (!id || e.code == ERR_NOT_FOUND)
            bo_not_found(rq);
        else
            web_write_error(rq, &e);
        return;
    }
    audit_change(rq, &a, "apikey", id);
    redirect_done(rq, "/agent/admin/cles", "key_revoked");
}

/* ---- branding ---- */

/* The host names are shown, never edited here: they choose which collectivité a request
 * is for and build the links e-mailed to citizens, so an administrator of one collectivité
 * could otherwise take another's names. Only the server's administrator sets them
 * (`guichet tenant add`). */
static void branding_render(bo_page *p, int status)
{
    const store_tenant *t = &p->rq->host_tenant->rec;
    bo_page_set(p, "slug", json_string(t->slug));
    bo_page_set(p, "hosts", json_string(t->hosts ? t->hosts : ""));
    bo_page_render(p, status, "agent/admin/branding", S(p, "admin.branding.title"));
}

static void branding_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/collectivite") != 0)
        return;
    const store_tenant *t = &rq->host_tenant->rec;
    bo_page_value(&p, "name", t->name);
    bo_page_value(&p, "contact", t->contact);
    branding_render(&p, 200);
}

static void branding_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/collectivite"));
    const store_tenant *cur = &rq->host_tenant->rec;
    store_tenant t = *cur;
    t.name = field(&f, "name");
    t.contact = *field(&f, "contact") ? field(&f, "contact") : NULL;
    t.hosts = NULL; /* kept as they are: see branding_render */
    if (!*t.name || strlen(t.name) > 200)
        bo_page_error_key(&p, "name", "admin.branding.error_name");
    if (t.contact && strlen(t.contact) > 1000)
        bo_page_error_key(&p, "contact", "admin.branding.error_contact");
    error e;
    int64_t id = 0;
    if (!bo_page_has_errors(&p)) {
        if (admin_tenant_upsert(rq->core, &t, &id, &e) == 0) {
            bo_page_discard(&p);
            audit_change(rq, &a, "tenant", id);
            redirect_done(rq, "/agent/admin/collectivite", "branding");
            return;
        }
        if (e.code != ERR_INVALID_ARG) {
            bo_page_fail(&p, &e);
            return;
        }
        bo_page_error_key(&p, "name", "admin.branding.error_name");
    }
    bo_page_value(&p, "name", field(&f, "name"));
    bo_page_value(&p, "contact", field(&f, "contact"));
    branding_render(&p, 400);
}

/* ---- audit log ---- */

/* "agent:12" → the agent's name when known. */
static const char *actor_label(http_req *rq, const char *actor, const store_agent *agents, size_t n)
{
    if (actor && strncmp(actor, "agent:", 6) == 0) {
        int64_t id = parse_id(actor + 6);
        for (size_t i = 0; i < n; i++)
            if (agents[i].id == id)
                return arena_printf(rq->arena, "%s (%s)", agents[i].name, actor);
    }
    return actor ? actor : "";
}

static void audit_render(bo_page *p, int status)
{
    http_req *rq = p->rq;
    store *s = core_store(rq->core);
    error e;
    int64_t after = -1;
    const char *q = form_get(&rq->query, "apres");
    if (q)
        after = parse_id(q);
    if (after < 0) {
        /* Without a position: the latest page. Ids are shared by every tenant, so this is a
         * lower bound that shows at most a page of this tenant's latest entries. */
        store_audit last;
        int found = 0;
        if (s->ops->audit.last(s, tenant_id(rq), rq->arena, &last, &found, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        after = found && last.id > AUDIT_PAGE ? last.id - AUDIT_PAGE : 0;
    }
    store_audit *list = NULL;
    size_t n = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (s->ops->audit.list(s, tenant_id(rq), after, AUDIT_PAGE + 1, rq->arena, &list, &n, &e) !=
            0 ||
        agent_list(rq->core, tenant_id(rq), rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    int more = n > AUDIT_PAGE;
    if (more)
        n = AUDIT_PAGE;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(list[i].id));
        set_str(o, "when", when(rq, list[i].at));
        set_str(o, "iso", iso(rq, list[i].at));
        set_str(o, "actor", actor_label(rq, list[i].actor, agents, n_agents));
        set_str(o, "action", list[i].action);
        set_str(o, "kind", list[i].object_kind);
        set_str(o, "ids", list[i].object_ids);
        set_str(o, "source", list[i].source);
        json_array_append_new(arr, o);
    }
    bo_page_set(p, "entries", arr);
    const char *lq = rq->lang == LANG_EN ? "&lang=en" : "";
    if (after > 0)
        bo_page_set(p, "prev_href",
                    json_string(arena_printf(
                        rq->arena, "/agent/admin/audit?apres=%lld%s",
                        (long long)(after > AUDIT_PAGE ? after - AUDIT_PAGE : 0), lq)));
    if (more)
        bo_page_set(p, "next_href",
                    json_string(arena_printf(rq->arena, "/agent/admin/audit?apres=%lld%s",
                                             (long long)list[n - 1].id, lq)));
    bo_page_render(p, status, "agent/admin/audit", S(p, "admin.audit.title"));
}

static void audit_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (admin_start(rq, &a, &p, "/agent/admin/audit") != 0)
        return;
    audit_render(&p, 200);
}

static void audit_verify_post(http_req *rq)
{
    store_agent a;
    form f;
    if (admin_post(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_page_set(&p, "admin_tabs", tabs_json(&p, "/agent/admin/audit"));
    int64_t bad = 0, checked_n = 0;
    error e;
    json_t *v = json_object();
    if (audit_verify(rq->core, tenant_id(rq), &bad, &checked_n, &e) == 0) {
        json_object_set_new(v, "intact", json_true());
        set_str(v, "text",
                arena_printf(rq->arena, "%s (%lld)", S(&p, "admin.audit.intact"),
                             (long long)checked_n));
    } else if (e.code == ERR_CONFLICT) {
        set_str(v, "text",
                arena_printf(rq->arena, "%s %lld", S(&p, "admin.audit.broken"), (long long)bad));
        json_object_set_new(v, "first_bad", json_integer(bad));
    } else {
        json_decref(v);
        bo_page_fail(&p, &e);
        return;
    }
    bo_page_set(&p, "verify", v);
    audit_render(&p, 200);
}

const http_route bo_admin_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/admin", overview_get},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/services", departments_get},
    {HTTP_POST, "/agent/admin/services", departments_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/agents", agents_get},
    {HTTP_POST, "/agent/admin/agents", agents_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/agents/{}", agent_get_page},
    {HTTP_POST, "/agent/admin/agents/{}", agent_post_page},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/demarches", procedures_get},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/demarches/nouvelle", procedure_new_get},
    {HTTP_POST, "/agent/admin/demarches/nouvelle", procedure_new_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/demarches/{}", procedure_get},
    {HTTP_POST, "/agent/admin/demarches/{}", procedure_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/cles", apikeys_get},
    {HTTP_POST, "/agent/admin/cles", apikeys_post},
    {HTTP_POST, "/agent/admin/cles/{}/revoquer", apikey_revoke_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/collectivite", branding_get},
    {HTTP_POST, "/agent/admin/collectivite", branding_post},
    {HTTP_GET | HTTP_HEAD, "/agent/admin/audit", audit_get},
    {HTTP_POST, "/agent/admin/audit/verifier", audit_verify_post},
    {0, NULL, NULL},
};

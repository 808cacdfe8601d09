/*
 * bo_admin_agents — the collectivité's agents under /agent/admin/agents, for admins: the
 * list with a creation form, and one agent's page (name, role, departments, deactivation,
 * second factor reset, a new password). Every change is core's (agent_create_as,
 * agent_update_as: the change and its "admin" audit entry in one job); the page waits for it
 * with its connection suspended. An admin may not change their own role nor deactivate
 * themselves (they would lock the collectivité out).
 */
#include <string.h>

#include "core/agent.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/agents"
#define MAX_DEPT_CODES AGENT_MAX_DEPARTMENTS

static const char *const role_names[] = {"agent", "manager", "elected", "admin"};
#define N_ROLES 4

static json_t *roles_json(http_req *rq, const char *current)
{
    json_t *list = json_array();
    for (size_t i = 0; i < N_ROLES; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", role_names[i]);
        present_set_str(o, "label", bo_role_label(rq, role_names[i]));
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
        present_set_str(o, "code", d->code);
        present_set_str(o, "name", d->name);
        present_set_str(o, "id", arena_printf(rq->arena, "dept-%s", d->code));
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
    present_set_str(o, "name", ag->name);
    present_set_str(o, "email", ag->email);
    present_set_str(o, "role", ag->role);
    present_set_str(o, "role_label", bo_role_label(rq, ag->role));
    present_set_str(o, "departments", dept_names(rq, ag));
    json_object_set_new(o, "totp", json_boolean(ag->totp_enabled));
    json_object_set_new(o, "active", json_boolean(ag->active));
    present_set_str(o, "last_login", bo_admin_when(rq, ag->last_login_at));
    return o;
}

static void agents_render(bo_page *p, int status, const char *role, const char *const *codes,
                          size_t n_codes)
{
    http_req *rq = p->rq;
    store_agent *list = NULL;
    size_t n = 0;
    error e;
    if (agent_list(rq->core, bo_admin_tenant(rq), rq->arena, &list, &n, &e) != 0) {
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
    bo_page_render(p, status, "agent/admin/agents", bo_page_str(p, "admin.agents.title"));
}

static void agents_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
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
    const char *fld = bo_admin_error_field(e, known, "email");
    const char *key = arena_printf(p->rq->arena, "admin.agents.error_%s", fld);
    bo_page_error_key(p, strcmp(fld, "department") == 0 ? "departments" : fld, key);
}

static void agents_check(bo_page *p, bo_admin_write *st)
{
    agent_role role;
    if (agent_role_parse(bo_admin_field(&st->f, "role"), &role) != 0)
        bo_page_error_key(p, "role", "admin.agents.error_role");
}

static int agents_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const char *codes[MAX_DEPT_CODES];
    size_t n = form_departments(&st->f, codes);
    agent_role role = AGENT_ROLE_AGENT;
    /* Known: agents_check let no other through. */
    (void)agent_role_parse(bo_admin_field(&st->f, "role"), &role);
    return agent_create_as(rq->core, &st->who, bo_admin_tenant(rq), bo_admin_field(&st->f, "email"),
                           bo_admin_field(&st->f, "name"), role, codes, n,
                           bo_admin_field(&st->f, "password"), &st->id, http_wait_done, w, e);
}

/* A field's error, or a server too busy to hash the password now (503, the form kept). */
static int agents_refused(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT || e->code == ERR_UNAVAILABLE;
}

/* The list again with the creation form, its error and what was typed. */
static void agents_render_refused(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    int busy = w && web_busy(p->rq, &w->err);
    if (busy)
        bo_page_error_key(p, "password", "errors.busy_form");
    else if (w)
        agent_error(p, &w->err);
    bo_page_value(p, "email", bo_admin_field(&st->f, "email"));
    bo_page_value(p, "name", bo_admin_field(&st->f, "name"));
    const char *codes[MAX_DEPT_CODES];
    size_t n = form_departments(&st->f, codes);
    agents_render(p, busy ? 503 : 400, bo_admin_field(&st->f, "role"), codes, n);
}

static const bo_admin_cycle agents_cycle = {.tab = TAB,
                                            .done = "agent_created",
                                            .check = agents_check,
                                            .apply = agents_apply,
                                            .refused = agents_refused,
                                            .render = agents_render_refused};

static void agents_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &agents_cycle);
}

/* ---- one agent ---- */

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
    bo_page_render(
        p, status, "agent/admin/agent",
        arena_printf(rq->arena, "%s – %s", bo_page_str(p, "admin.agent.title"), ag->name));
}

static int load_target(http_req *rq, store_agent *ag)
{
    int64_t id = bo_admin_id(rq->params[0]);
    error e;
    if (!id || agent_get(rq->core, bo_admin_tenant(rq), id, rq->arena, ag, &e) != 0) {
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
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    agent_page_render(&p, 200, &ag, &a);
}

/* What the agent page's continuation needs besides the write's state. */
typedef struct agent_page_state {
    store_agent target;
    const char *done; /* the «fait» notice of the action */
} agent_page_state;

/* The agent's page again, with the error (err_key on err_field, or what e names). */
static void agent_refused(http_req *rq, const store_agent *a, const store_agent *ag, const form *f,
                          const char *err_field, const char *err_key, const error *e)
{
    int busy = !err_field && web_busy(rq, e);
    if (!err_field && !busy && e->code != ERR_INVALID_ARG && e->code != ERR_CONFLICT) {
        web_write_error(rq, e);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    if (err_field)
        bo_page_error_key(&p, err_field, err_key);
    else if (busy)
        bo_page_error_key(&p, "password", "errors.busy_form");
    else
        agent_error(&p, e);
    bo_page_value(&p, "name", bo_admin_field(f, "name"));
    agent_page_render(&p, busy ? 503 : 400, ag, a);
}

static void agent_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    agent_page_state *ps = st->page;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, arena_printf(rq->arena, TAB "/%lld", (long long)ps->target.id), ps->done);
        return;
    }
    agent_refused(rq, &st->agent, &ps->target, &st->f, NULL, NULL, &w->err);
}

static void agent_post_page(http_req *rq)
{
    store_agent a, ag;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0 || load_target(rq, &ag) != 0)
        return;
    const char *action = bo_admin_field(&f, "action");
    const int self = ag.id == a.id;
    const char *codes[MAX_DEPT_CODES];
    agent_changes ch = {.role = -1, .active = -1};
    const char *done = NULL;
    error e;
    error_clear(&e);
    if (strcmp(action, "save") == 0) {
        agent_role role;
        if (agent_role_parse(bo_admin_field(&f, "role"), &role) != 0) {
            agent_refused(rq, &a, &ag, &f, "role", "admin.agents.error_role", &e);
            return;
        }
        if (self && strcmp(role_names[role], ag.role) != 0) {
            agent_refused(rq, &a, &ag, &f, "role", "admin.agent.error_self_role", &e);
            return;
        }
        ch.name = bo_admin_field(&f, "name");
        ch.role = (int)role;
        ch.department_codes = codes;
        ch.n_departments = form_departments(&f, codes);
        done = "agent_saved";
    } else if (strcmp(action, "deactivate") == 0 || strcmp(action, "activate") == 0) {
        int on = strcmp(action, "activate") == 0;
        if (self && !on) {
            agent_refused(rq, &a, &ag, &f, "deactivate", "admin.agent.error_self_deactivate", &e);
            return;
        }
        ch.active = on;
        done = on ? "agent_activated" : "agent_deactivated";
    } else if (strcmp(action, "reset_totp") == 0) {
        ch.reset_totp = 1;
        done = "totp_reset";
    } else if (strcmp(action, "password") == 0) {
        ch.password = bo_admin_field(&f, "password");
        done = "password_set";
    } else {
        error_set(&e, ERR_BAD_REQUEST, "action", "unknown action");
        web_write_error(rq, &e);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(agent_page_state));
    if (!st)
        return;
    agent_page_state *ps = st->page;
    ps->target = ag;
    ps->done = done;
    http_wait *w = http_wait_begin(rq, agent_saved);
    int rc =
        agent_update_as(rq->core, &st->who, bo_admin_tenant(rq), ag.id, &ch, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_admin_agent_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, agents_get},
    {HTTP_POST, TAB, agents_post},
    {HTTP_GET | HTTP_HEAD, TAB "/{}", agent_get_page},
    {HTTP_POST, TAB "/{}", agent_post_page},
    {0, NULL, NULL},
};

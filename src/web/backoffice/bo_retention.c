/*
 * bo_retention — the administration's RGPD pages, for admins only: data retention
 * (/agent/admin/conservation: whether the archives' visa is required, each procedure's
 * retention, the bordereaux d'élimination with their detail, CSV download and visa) and
 * citizens' accounts (/agent/admin/comptes: find an account by its e-mail address and
 * delete it at the citizen's request). Changes go through core (retention.h, account.h),
 * which audits them in the same transaction, the visa and the setting with the connection
 * suspended until they are durable; views and downloads are recorded by core's audit policy
 * (audit_record_access) for the agent as core_actor.
 */
#include <string.h>

#include "core/account.h"
#include "core/agent.h"
#include "core/audit.h"
#include "core/request.h"
#include "core/retention.h"
#include "core/workflow.h"
#include "util/csv.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define RETENTION_TAB "/agent/admin/conservation"
#define ACCOUNTS_TAB "/agent/admin/comptes"
#define LISTS_SHOWN 50  /* bordereaux on the retention page */
#define ITEMS_SHOWN 200 /* requests on a bordereau's page; the CSV has them all */
#define ITEMS_PAGE 1000 /* requests read at a time */

static const char *S(const bo_page *p, const char *key)
{
    return bo_page_str(p, key);
}

static int64_t tenant_id(http_req *rq)
{
    return rq->host_tenant->rec.id;
}

/* "2026-03-12": dates of the CSV, sortable whatever the reader's locale. */
static const char *iso_day(http_req *rq, int64_t t)
{
    if (t <= 0)
        return "";
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, rq->host_tenant->rec.timezone, out);
    out[10] = '\0';
    return arena_strdup(rq->arena, out);
}

static const char *status_label_of(bo_page *p, const char *code)
{
    return S(p, arena_printf(p->rq->arena, "admin.retention.status_%s", code ? code : "done"));
}

static const char *state_label(bo_page *p, const char *state)
{
    return S(p, arena_printf(p->rq->arena, "admin.disposal.state_%s", state ? state : "due"));
}

static const char *agent_name(const store_agent *agents, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (agents[i].id == id)
            return agents[i].name;
    return NULL;
}

/* ---- data retention ---- */

static void retention_render(bo_page *p, int http_status)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    if (t->rec.archives_visa)
        json_object_set_new(p->values, "archives_visa", json_true());
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *cp = &t->procedures[i];
        json_t *o = json_object();
        present_set_str_opt(o, "code", cp->rec.code);
        present_set_str_opt(o, "name", cp->rec.name);
        present_set_str_opt(o, "kind",
                            S(p, cp->rec.kind == PROCEDURE_DEMARCHE
                                     ? "admin.procedure.kind_demarche"
                                     : "admin.procedure.kind_incident"));
        json_object_set_new(o, "months", json_integer(retention_months_of(&cp->rec)));
        json_array_append_new(procs, o);
    }
    bo_page_set(p, "procedures", procs);
    store_disposal_list *lists = NULL;
    size_t n = 0, n_agents = 0;
    store_agent *agents = NULL;
    error e;
    if (disposal_lists(rq->core, tenant_id(rq), LISTS_SHOWN, rq->arena, &lists, &n, &e) != 0 ||
        agent_list(rq->core, tenant_id(rq), rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(lists[i].id));
        present_set_str_opt(o, "created", bo_date(rq, t, lists[i].created_at, 0));
        json_object_set_new(o, "n_requests", json_integer(lists[i].n_requests));
        present_set_str_opt(o, "status", status_label_of(p, lists[i].status));
        if (lists[i].approved_at)
            present_set_str_opt(
                o, "visa",
                arena_printf(rq->arena, "%s, %s",
                             agent_name(agents, n_agents, lists[i].approved_by)
                                 ? agent_name(agents, n_agents, lists[i].approved_by)
                                 : "?",
                             bo_date(rq, t, lists[i].approved_at, 0)));
        json_array_append_new(arr, o);
    }
    bo_page_set(p, "lists", arr);
    if (n)
        bo_page_set(p, "has_lists", json_true());
    bo_page_render(p, http_status, "agent/admin/retention", S(p, "admin.retention.title"));
}

static void retention_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, RETENTION_TAB) != 0)
        return;
    retention_render(&p, 200);
}

static void retention_saved(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        web_write_error(rq, &w->err);
        return;
    }
    bo_admin_done(rq, RETENTION_TAB, "retention_saved");
}

static void retention_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, retention_saved);
    int rc =
        retention_set_archives_visa(rq->core, &st->who, tenant_id(rq),
                                    bo_admin_checked(&f, "archives_visa"), http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- a bordereau ---- */

/* Per procedure: how many requests, and the earliest and latest dates, for the summary. */
typedef struct proc_sum {
    int64_t procedure_id;
    int64_t n;
    int64_t filed_min, filed_max, closed_min, closed_max;
} proc_sum;

static void sum_add(proc_sum *sums, size_t *n_sums, size_t max, const store_disposal_item *it)
{
    size_t k = 0;
    while (k < *n_sums && sums[k].procedure_id != it->procedure_id)
        k++;
    if (k == *n_sums) {
        if (k == max)
            return;
        sums[k] = (proc_sum){.procedure_id = it->procedure_id,
                             .filed_min = it->created_at,
                             .filed_max = it->created_at,
                             .closed_min = it->closed_at,
                             .closed_max = it->closed_at};
        (*n_sums)++;
    }
    proc_sum *s = &sums[k];
    s->n++;
    if (it->created_at < s->filed_min)
        s->filed_min = it->created_at;
    if (it->created_at > s->filed_max)
        s->filed_max = it->created_at;
    if (it->closed_at < s->closed_min)
        s->closed_min = it->closed_at;
    if (it->closed_at > s->closed_max)
        s->closed_max = it->closed_at;
}

static json_t *item_json(bo_page *p, const store_disposal_item *it)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    const cat_procedure *cp = catalogue_procedure_by_id(t, it->procedure_id);
    const cat_department *d = catalogue_department_by_id(t, it->department_id);
    json_t *o = json_object();
    present_set_str_opt(o, "reference", it->reference);
    present_set_str_opt(o, "procedure", cp ? cp->rec.name : "");
    present_set_str_opt(o, "department", d ? d->rec.name : "");
    present_set_str_opt(o, "filed", bo_date(rq, t, it->created_at, 0));
    present_set_str_opt(o, "closed", bo_date(rq, t, it->closed_at, 0));
    present_set_str_opt(o, "state", state_label(p, it->state));
    return o;
}

/* The bordereau's page: its state, a summary per procedure, its first requests, and the
 * visa form while it waits for one. */
static void disposal_render(bo_page *p, int http_status, const store_disposal_list *l)
{
    http_req *rq = p->rq;
    const cat_tenant *t = rq->host_tenant;
    enum { MAX_SUMS = 256 };
    proc_sum sums[MAX_SUMS];
    size_t n_sums = 0, shown = 0;
    json_t *items = json_array();
    int64_t after = 0;
    error e;
    for (;;) {
        arena page;
        arena_init(&page, 0);
        store_disposal_item *it = NULL;
        size_t n = 0;
        if (disposal_items(rq->core, tenant_id(rq), l->id, after, ITEMS_PAGE, &page, &it, &n, &e) !=
            0) {
            arena_free(&page);
            json_decref(items);
            bo_page_fail(p, &e);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            sum_add(sums, &n_sums, MAX_SUMS, &it[i]);
            if (shown < ITEMS_SHOWN) {
                json_array_append_new(items, item_json(p, &it[i]));
                shown++;
            }
            after = it[i].request_id;
        }
        arena_free(&page);
        if (n < ITEMS_PAGE)
            break;
    }
    json_t *summary = json_array();
    for (size_t k = 0; k < n_sums; k++) {
        const cat_procedure *cp = catalogue_procedure_by_id(t, sums[k].procedure_id);
        json_t *o = json_object();
        present_set_str_opt(o, "procedure", cp ? cp->rec.name : "");
        json_object_set_new(o, "n", json_integer(sums[k].n));
        present_set_str_opt(o, "filed_from", bo_date(rq, t, sums[k].filed_min, 0));
        present_set_str_opt(o, "filed_to", bo_date(rq, t, sums[k].filed_max, 0));
        present_set_str_opt(o, "closed_from", bo_date(rq, t, sums[k].closed_min, 0));
        present_set_str_opt(o, "closed_to", bo_date(rq, t, sums[k].closed_max, 0));
        json_array_append_new(summary, o);
    }
    json_t *info = json_object();
    json_object_set_new(info, "id", json_integer(l->id));
    present_set_str_opt(info, "created", bo_date(rq, t, l->created_at, 1));
    json_object_set_new(info, "n_requests", json_integer(l->n_requests));
    json_object_set_new(info, "n_done", json_integer(l->n_done));
    json_object_set_new(info, "n_kept", json_integer(l->n_kept));
    present_set_str_opt(info, "status", status_label_of(p, l->status));
    if (strcmp(l->status, "pending") == 0)
        json_object_set_new(info, "pending", json_true());
    if (l->approved_at) {
        store_agent ag;
        present_set_str_opt(
            info, "approved_by",
            agent_get(rq->core, tenant_id(rq), l->approved_by, rq->arena, &ag, &e) == 0 ? ag.name
                                                                                        : "?");
        present_set_str_opt(info, "approved_on", bo_date(rq, t, l->approved_at, 1));
    }
    bo_page_set(p, "list", info);
    bo_page_set(p, "summary", summary);
    bo_page_set(p, "items", items);
    if ((size_t)l->n_requests > shown)
        bo_page_set(p, "items_truncated", json_true());
    bo_page_render(
        p, http_status, "agent/admin/disposal",
        arena_printf(rq->arena, "%s %lld", S(p, "admin.disposal.title"), (long long)l->id));
}

/* The bordereau named by the path, or 0 after answering 404. */
static int load_list(http_req *rq, store_disposal_list *l)
{
    int64_t id = bo_admin_id(rq->params[0]);
    error e;
    if (id && disposal_get(rq->core, tenant_id(rq), id, rq->arena, l, &e) == 0)
        return 1;
    if (id && e.code != ERR_NOT_FOUND)
        web_write_error(rq, &e);
    else
        bo_not_found(rq);
    return 0;
}

static void disposal_get_page(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    store_disposal_list l;
    if (!load_list(rq, &l))
        return;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, RETENTION_TAB) != 0)
        return;
    bo_record_access(rq, &a, "view", "disposal", &l.id, 1);
    disposal_render(&p, 200, &l);
}

/* The bordereau's page again with the visa's error: its state as it now is after a
 * concurrent visa (409), or as it was (400). */
static void disposal_refused(http_req *rq, const store_agent *a, store_disposal_list *l,
                             const char *error_key, int http_status)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    bo_admin_tabs(&p, RETENTION_TAB);
    bo_page_error_key(&p, "confirm", error_key);
    error e;
    if (http_status == 409 && disposal_get(rq->core, tenant_id(rq), l->id, rq->arena, l, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    disposal_render(&p, http_status, l);
}

static void disposal_approved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    store_disposal_list *l = st->page;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq,
                      arena_printf(rq->arena, RETENTION_TAB "/bordereaux/%lld", (long long)l->id),
                      "disposal_approved");
        return;
    }
    if (w->err.code != ERR_CONFLICT) {
        web_write_error(rq, &w->err);
        return;
    }
    disposal_refused(rq, &st->agent, l, "admin.disposal.error_state", 409);
}

static void disposal_approve_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    store_disposal_list l;
    if (!load_list(rq, &l))
        return;
    if (!bo_admin_checked(&f, "confirm")) {
        disposal_refused(rq, &a, &l, "admin.disposal.error_confirm", 400);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(store_disposal_list));
    if (!st)
        return;
    *(store_disposal_list *)st->page = l;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, disposal_approved);
    int rc = disposal_approve(rq->core, &st->who, tenant_id(rq), l.id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* One field of the bordereau, always quoted (a procedure's name may hold the separator or
 * quotes), then its separator or the row's end. */
static void csv_cell(buf *b, const char *s, int last)
{
    csv_field(b, s, CSV_QUOTE_ALWAYS);
    csv_end(b, last);
}

/* The bordereau as a CSV file for the archives service: one row per request, «;» between
 * fields and a byte-order mark, as spreadsheets in French expect. */
static void disposal_csv(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    store_disposal_list l;
    if (!load_list(rq, &l))
        return;
    const cat_tenant *t = rq->host_tenant;
    lang lg = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    static const char *const head[] = {"reference", "procedure", "department",
                                       "filed",     "closed",    "state"};
    buf *b = &rq->out; /* bounded by the server: DISPOSAL_LIST_MAX rows fit many times */
    buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; i < sizeof head / sizeof *head; i++)
        csv_cell(
            b,
            present_string(rq->present, lg, arena_printf(rq->arena, "admin.disposal.%s", head[i])),
            i + 1 == sizeof head / sizeof *head);
    int64_t after = 0;
    error e;
    for (;;) {
        arena page;
        arena_init(&page, 0);
        store_disposal_item *it = NULL;
        size_t n = 0;
        if (disposal_items(rq->core, tenant_id(rq), l.id, after, ITEMS_PAGE, &page, &it, &n, &e) !=
            0) {
            arena_free(&page);
            buf_reset(b);
            web_write_error(rq, &e);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            const cat_procedure *cp = catalogue_procedure_by_id(t, it[i].procedure_id);
            const cat_department *d = catalogue_department_by_id(t, it[i].department_id);
            csv_cell(b, it[i].reference, 0);
            csv_cell(b, cp ? cp->rec.name : "", 0);
            csv_cell(b, d ? d->rec.name : "", 0);
            csv_cell(b, iso_day(rq, it[i].created_at), 0);
            csv_cell(b, iso_day(rq, it[i].closed_at), 0);
            csv_cell(b,
                     present_string(rq->present, lg,
                                    arena_printf(rq->arena, "admin.disposal.state_%s",
                                                 it[i].state ? it[i].state : "due")),
                     1);
            after = it[i].request_id;
        }
        arena_free(&page);
        if (n < ITEMS_PAGE)
            break;
    }
    if (b->failed) {
        buf_reset(b);
        error_set(&e, ERR_INTERNAL, NULL, "the bordereau's CSV does not fit in an answer");
        web_write_error(rq, &e);
        return;
    }
    bo_record_access(rq, &a, "export", "disposal", &l.id, 1);
    http_add_header(
        rq, "Content-Disposition",
        arena_printf(rq->arena, "attachment; filename=\"bordereau-%lld.csv\"", (long long)l.id));
    http_add_header(rq, "Cache-Control", "private, no-store");
    http_add_header(rq, "X-Robots-Tag", "noindex, nofollow");
    http_respond(rq, 200, "text/csv; charset=utf-8");
}

/* ---- citizens' accounts ---- */

/* The requests of an account as «Mes demandes» counts them: all, and the open ones. */
static int count_requests(http_req *rq, const store_account *acc, int64_t *all, int64_t *open,
                          error *e)
{
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = tenant_id(rq);
    f.citizen_id = acc->id;
    f.citizen_email = acc->email_verified_at ? acc->email : NULL;
    f.limit = 1;
    if (request_count(rq->core, &f, all, e) != 0)
        return -1;
    f.only_open = 1;
    f.n_statuses = workflow_tenant_codes(rq->host_tenant, WORKFLOW_CODES_OPEN, f.statuses,
                                         STORE_FILTER_MAX_LIST);
    return request_count(rq->core, &f, open, e);
}

/* The page: the lookup form, and the account found (with the deletion form) if any. */
static void accounts_render(bo_page *p, int http_status, const store_account *acc)
{
    http_req *rq = p->rq;
    if (acc) {
        int64_t all = 0, open = 0;
        error e;
        if (count_requests(rq, acc, &all, &open, &e) != 0) {
            bo_page_fail(p, &e);
            return;
        }
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(acc->id));
        present_set_str_opt(o, "email", acc->email);
        present_set_str_opt(o, "name", acc->display_name);
        present_set_str_opt(o, "created", bo_date(rq, rq->host_tenant, acc->created_at, 0));
        if (acc->email_verified_at)
            json_object_set_new(o, "verified", json_true());
        json_object_set_new(o, "requests_open", json_integer(open));
        json_object_set_new(o, "requests_closed", json_integer(all - open));
        bo_page_set(p, "account", o);
    }
    bo_page_render(p, http_status, "agent/admin/accounts", S(p, "admin.accounts.title"));
}

static void accounts_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, ACCOUNTS_TAB) != 0)
        return;
    const char *email = form_get(&rq->query, "email");
    if (!email) {
        accounts_render(&p, 200, NULL);
        return;
    }
    bo_page_value(&p, "email", email);
    if (!*bo_trim(rq, email)) {
        bo_page_error_key(&p, "email", "admin.accounts.error_email");
        accounts_render(&p, 400, NULL);
        return;
    }
    store_account acc;
    error e;
    if (account_find(rq->core, tenant_id(rq), email, rq->arena, &acc, &e) != 0) {
        if (e.code != ERR_NOT_FOUND) {
            bo_page_fail(&p, &e);
            return;
        }
        bo_page_set(&p, "not_found", json_true());
        accounts_render(&p, 200, NULL);
        return;
    }
    /* Personal data shown to an agent: audited (the id, never the address searched). */
    bo_record_access(rq, &a, "view", "account", &acc.id, 1);
    accounts_render(&p, 200, &acc);
}

/* The deletion is durable (or failed): back to the accounts' tab. */
static void account_deleted(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    account_deletion *out = st->page;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        if (w && w->err.code == ERR_NOT_FOUND) {
            bo_not_found(rq);
        } else {
            error e;
            if (w)
                e = w->err;
            else
                error_set(&e, ERR_INTERNAL, NULL, "no write was waited for");
            web_write_error(rq, &e);
        }
        return;
    }
    log_info("backoffice: agent %lld deleted account %lld (%lld request(s), %lld anonymised)",
             (long long)st->agent.id, (long long)st->id, (long long)out->n_requests,
             (long long)out->n_anonymised);
    bo_admin_done(rq, ACCOUNTS_TAB, "account_deleted");
}

static void account_delete_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    int64_t id = bo_admin_id(rq->params[0]);
    store_account acc;
    error e;
    if (!id || account_get(rq->core, tenant_id(rq), id, rq->arena, &acc, &e) != 0) {
        if (id && e.code != ERR_NOT_FOUND)
            web_write_error(rq, &e);
        else
            bo_not_found(rq);
        return;
    }
    if (!bo_admin_checked(&f, "confirm")) {
        bo_page p;
        if (bo_page_start(&p, rq, &a) != 0)
            return;
        bo_admin_tabs(&p, ACCOUNTS_TAB);
        bo_page_value(&p, "email", acc.email);
        bo_page_error_key(&p, "confirm", "admin.accounts.error_confirm");
        accounts_render(&p, 400, &acc);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(account_deletion));
    if (!st)
        return;
    account_deletion *out = st->page;
    st->id = id;
    http_wait *w = http_wait_begin(rq, account_deleted);
    int rc =
        account_delete(rq->core, rq->host_tenant, id, NULL, &st->who, out, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_retention_routes[] = {
    {HTTP_GET | HTTP_HEAD, RETENTION_TAB, retention_get},
    {HTTP_POST, RETENTION_TAB, retention_post},
    {HTTP_GET | HTTP_HEAD, RETENTION_TAB "/bordereaux/{}", disposal_get_page},
    {HTTP_GET | HTTP_HEAD, RETENTION_TAB "/bordereaux/{}/csv", disposal_csv},
    {HTTP_POST, RETENTION_TAB "/bordereaux/{}/viser", disposal_approve_post},
    {HTTP_GET | HTTP_HEAD, ACCOUNTS_TAB, accounts_get},
    {HTTP_POST, ACCOUNTS_TAB "/{}/supprimer", account_delete_post},
    {0, NULL, NULL},
};

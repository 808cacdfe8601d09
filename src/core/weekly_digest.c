/*
 * weekly_digest — the choice, the job and its message (see weekly_digest.h).
 */
#include "core/weekly_digest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/agent_notices.h"
#include "core/catalogue.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "util/log.h"
#include "util/timeutil.h"

/* The back office's inbox, after the base URL. */
#define INBOX_PATH "/agent/"

int weekly_digest_allowed(const char *role)
{
    return role && (strcmp(role, "manager") == 0 || strcmp(role, "admin") == 0);
}

/* 00:00 UTC of the local day holding `at` in tz (its wall-clock date read as UTC); -1 when
 * it cannot be read. */
static int64_t local_day(int64_t at, const char *tz)
{
    char day[TIME_RFC3339_LEN];
    time_format_rfc3339(at, tz, day);
    day[10] = '\0';
    int64_t midnight = 0;
    return time_parse_rfc3339(day, &midnight) == 0 ? midnight : -1;
}

int64_t weekly_digest_next(int64_t now, const char *tz)
{
    int64_t day = local_day(now, tz);
    if (day < 0)
        return now + 7 * 86400;
    /* 1970-01-01 was a Thursday: Monday is the day whose count from it is 4 modulo 7. */
    for (int k = 0; k < 15; k++) {
        int64_t d = day + (int64_t)k * 86400;
        if (((d / 86400) % 7 + 7) % 7 != 4)
            continue;
        int64_t at = time_from_local(d + AGENT_DIGEST_HOUR * 3600, tz);
        if (at > now)
            return at;
    }
    return now + 7 * 86400;
}

/* "DD/MM/YYYY" of the local day starting at wall-clock midnight `day` (a local_day value). */
static void day_label(int64_t day, char out[16])
{
    char iso[TIME_RFC3339_LEN];
    time_format_rfc3339(day, "UTC", iso);
    snprintf(out, 16, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

/* ---- the job ---- */

/* Whether figures row w is one of recipient ag's: their departments, or every one (and the
 * requests no department holds yet) for an administrator. */
static int is_theirs(const store_agent *ag, const store_department_week *w)
{
    if (strcmp(ag->role, "admin") == 0)
        return 1;
    for (size_t i = 0; i < ag->n_departments; i++)
        if (ag->department_ids[i] == w->department_id)
            return 1;
    return 0;
}

static int add_counts(json_t *o, const store_department_week *w)
{
    return json_object_set_new(o, "created", json_integer(w->created)) |
           json_object_set_new(o, "closed", json_integer(w->closed)) |
           json_object_set_new(o, "open", json_integer(w->open)) |
           json_object_set_new(o, "late", json_integer(w->late));
}

/* The message's parameters for ag, NULL when out of memory; *empty 1 when ag has no
 * department at all (a manager without one: nothing to tell). */
static json_t *digest_params(const job_run *run, const store_agent *ag,
                             const store_department_week *w, size_t n, const char *from,
                             const char *to, const char *base, int *empty)
{
    *empty = strcmp(ag->role, "admin") != 0 && ag->n_departments == 0;
    json_t *params = json_object(), *list = json_array();
    store_department_week total = {0};
    int bad = !params || !list;
    /* Every department of theirs, with zeros for a quiet one: the digest says so. */
    const cat_tenant *t = run->tenant;
    for (size_t i = 0; !bad && t && i < t->n_departments; i++) {
        store_department_week row = {.department_id = t->departments[i].rec.id};
        if (!is_theirs(ag, &row))
            continue;
        for (size_t k = 0; k < n; k++)
            if (w[k].department_id == row.department_id)
                row = w[k];
        json_t *o = json_pack("{s:s}", "name", t->departments[i].rec.name);
        bad |= !o || add_counts(o, &row) != 0 || json_array_append_new(list, o) != 0;
        total.created += row.created;
        total.closed += row.closed;
        total.open += row.open;
        total.late += row.late;
    }
    /* The requests no department holds yet, for the administrators who route them. */
    for (size_t k = 0; !bad && k < n; k++)
        if (w[k].department_id == 0 && strcmp(ag->role, "admin") == 0) {
            json_t *o = json_pack("{s:s}", "name", "—");
            bad |= !o || add_counts(o, &w[k]) != 0 || json_array_append_new(list, o) != 0;
            total.created += w[k].created;
            total.closed += w[k].closed;
            total.open += w[k].open;
            total.late += w[k].late;
        }
    json_t *tj = json_object();
    bad |= !tj || add_counts(tj, &total) != 0;
    bad |= json_object_set_new(params, "departments", list) != 0;
    list = NULL;
    bad |= json_object_set_new(params, "total", tj) != 0;
    bad |= json_object_set_new(params, "from", json_string(from)) != 0 ||
           json_object_set_new(params, "to", json_string(to)) != 0;
    if (base && *base) {
        char url[CORE_URL_MAX + sizeof INBOX_PATH];
        snprintf(url, sizeof url, "%s" INBOX_PATH, base);
        bad |= json_object_set_new(params, "link", json_string(url)) != 0;
    }
    json_decref(list);
    if (bad) {
        json_decref(params);
        return NULL;
    }
    return params;
}

/* Schedules the digest due at `at` (key "w" and the instant: one per week). */
static int schedule(store *s, int64_t tenant_id, int64_t at, error *err)
{
    char key[32];
    snprintf(key, sizeof key, "w%lld", (long long)at);
    return jobs_schedule_tx(s, tenant_id, 0, WEEKLY_DIGEST_KIND, key, at, NULL, NULL, err);
}

static int run_tx(store *s, job_run *run, error *err)
{
    const store_job_row *job = run->job;
    run->no_event = 1; /* a collectivité's job: no request's timeline */
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (s->ops->agent_notices.weekly_recipients(s, job->tenant_id, run->a, &agents, &n_agents,
                                                err) != 0)
        return -1;
    if (n_agents == 0) /* nobody wants it any more: the chain ends until someone does */
        return 0;
    const char *tz = run->tenant ? run->tenant->rec.timezone : NULL;
    /* The week before the due day: Monday 00:00 to Monday 00:00, local time. */
    int64_t day = local_day(job->due_at, tz);
    if (day < 0)
        return error_set(err, ERR_INTERNAL, NULL, "weekly digest: cannot read the due day");
    int64_t to = time_from_local(day, tz), from = time_from_local(day - 7 * 86400, tz);
    store_department_week *w = NULL;
    size_t n = 0;
    if (s->ops->agent_notices.week_figures(s, job->tenant_id, from, to, job->due_at, run->a, &w, &n,
                                           err) != 0)
        return -1;
    char from_s[16], to_s[16];
    day_label(day - 7 * 86400, from_s);
    day_label(day - 86400, to_s);
    /* The collectivité's configured base URL, never a request's Host (there is none here). */
    char base[CORE_URL_MAX] = "";
    if (run->tenant)
        core_base_url(run->core, run->tenant, base, sizeof base);
    size_t sent = 0;
    for (size_t i = 0; i < n_agents; i++) {
        if (!weekly_digest_allowed(agents[i].role) || !outbox_email_ok(agents[i].email))
            continue; /* no longer a manager: no figures of the departments */
        int empty = 0;
        json_t *params = digest_params(run, &agents[i], w, n, from_s, to_s, base, &empty);
        if (!params)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        int rc = empty ? 0
                       : outbox_add_tx(s, job->tenant_id, "email", agents[i].email,
                                       WEEKLY_DIGEST_TEMPLATE, params, "fr", 0, err);
        json_decref(params);
        if (rc != 0)
            return -1;
        sent += !empty;
    }
    log_info("weekly digest: %zu message(s) for the week of %s", sent, from_s);
    return schedule(s, job->tenant_id, weekly_digest_next(job->due_at, tz), err);
}

static const job_handler handler = {
    .kind = WEEKLY_DIGEST_KIND,
    .run_tx = run_tx,
    .max_attempts = 5,
    .retry_base_s = 300,
    .retry_max_s = 3600,
};

int weekly_digest_register(core *c, error *err)
{
    return jobs_register(c, &handler, err);
}

/* ---- the choice ---- */

int weekly_digest_get(core *c, int64_t tenant_id, int64_t agent_id, int *on, error *err)
{
    return c->store->ops->agent_notices.weekly_get(c->store, tenant_id, agent_id, on, err);
}

typedef struct set_op {
    core_op op; /* first: the write job (core/core_op.h) */
    int64_t tenant_id, agent_id;
    int on;
    int64_t next;
} set_op;

static int apply_set(store *s, core_op *op, error *err)
{
    set_op *j = (set_op *)op;
    if (s->ops->agent_notices.tx_weekly_set(s, j->tenant_id, j->agent_id, j->on, err) != 0)
        return -1;
    return j->on ? schedule(s, j->tenant_id, j->next, err) : 0;
}

int weekly_digest_set(core *c, const core_actor *who, int on, core_done_fn cb, void *ctx,
                      error *err)
{
    if (!who || who->kind != ACTOR_AGENT || !who->agent || !weekly_digest_allowed(who->agent->role))
        return error_set(err, ERR_FORBIDDEN, NULL,
                         "only managers and administrators receive the weekly digest");
    set_op *j = core_op_new(sizeof *j, apply_set);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, who->agent->tenant_id);
    j->tenant_id = who->agent->tenant_id;
    j->agent_id = who->agent->id;
    j->on = on != 0;
    j->next = weekly_digest_next(time_now(), t ? t->rec.timezone : NULL);
    catalogue_release(c, cat);
    return core_op_submit(c, j, cb, ctx, err);
}

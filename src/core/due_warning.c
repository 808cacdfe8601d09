/*
 * due_warning — scheduling the due-date warning with the request's changes and sending it
 * (see due_warning.h).
 */
#include "core/due_warning.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/agent_notices.h"
#include "core/agent.h"
#include "core/catalogue.h"
#include "core/change.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

#define DAY_S 86400

/* The collectivité's D as the writer or a reader sees it: the default when never set. */
static int days_of(store *s, int64_t tenant_id, int *days, error *err)
{
    if (s->ops->jobs.due_warning_days(s, tenant_id, days, err) != 0)
        return -1;
    if (*days < 0)
        *days = DUE_WARNING_DAYS_DEFAULT;
    return 0;
}

int due_warning_sync_tx(store *s, const store_request *r, int64_t now, error *err)
{
    /* Whatever was pending was for the request as it was: the due date may have moved. */
    if (jobs_cancel_tx(s, r->tenant_id, r->id, DUE_WARNING_KIND, now, err) != 0)
        return -1;
    if (r->closed_at || !r->due_at || r->merged_into || r->anonymised_at)
        return 0;
    int days = 0;
    if (days_of(s, r->tenant_id, &days, err) != 0)
        return -1;
    return due_warning_schedule_tx(s, r, days, err);
}

int due_warning_schedule_tx(store *s, const store_request *r, int days, error *err)
{
    if (r->closed_at || !r->due_at || r->merged_into || r->anonymised_at || days <= 0)
        return 0;
    /* Keyed by the due date: the same date never warns twice, a new one warns again. */
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, r->due_at);
    int64_t at = r->due_at - (int64_t)days * DAY_S;
    json_t *payload = json_pack("{s:I}", "due_at", (json_int_t)r->due_at);
    if (!payload)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    /* A time already past is due at the scheduler's next look: a request filed or moved
     * within D days of its due date warns at once. */
    int rc =
        jobs_schedule_tx(s, r->tenant_id, r->id, DUE_WARNING_KIND, key, at, payload, NULL, err);
    json_decref(payload);
    return rc;
}

/* Whether agent ag is to be warned about r: the assignee, or when nobody is assigned, an
 * active agent of r's department. */
static int warned(const store_agent *ag, const store_request *r)
{
    if (!ag->active || !ag->email || !*ag->email)
        return 0;
    if (r->assignee) {
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(ag, id);
        return strcmp(id, r->assignee) == 0;
    }
    for (size_t i = 0; i < ag->n_departments; i++)
        if (ag->department_ids[i] == r->department_id)
            return 1;
    return 0;
}

int due_warning_notify_agents_tx(store *s, const store_request *r, const char *tmpl, json_t *params,
                                 arena *a, size_t *sent, error *err)
{
    *sent = 0;
    store_agent *agents = NULL;
    size_t n = 0;
    if (s->ops->agents.list(s, r->tenant_id, a, &agents, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (warned(&agents[i], r)) {
            if (outbox_add_tx(s, r->tenant_id, "email", agents[i].email, tmpl, params, "fr", r->id,
                              err) != 0)
                return -1;
            (*sent)++;
        }
    return 0;
}

static int warn_run_tx(store *s, job_run *run, error *err)
{
    const store_job_row *job = run->job;
    store_request r;
    int found = 0;
    if (s->ops->requests.get_by_id(s, job->tenant_id, job->request_id, run->a, &r, &found, err) !=
        0)
        return -1;
    json_t *payload = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    int64_t due = (int64_t)json_integer_value(json_object_get(payload, "due_at"));
    json_decref(payload);
    /* The cause has gone (closed, or the due date moved without its job being rescheduled):
     * nothing to say. */
    if (!found || r.closed_at || !r.due_at || r.due_at != due) {
        run->no_event = 1;
        return 0;
    }
    const cat_procedure *p =
        run->tenant ? catalogue_procedure_by_id(run->tenant, r.procedure_id) : NULL;
    const char *procedure = p ? p->rec.name : "";
    const char *tz = run->tenant ? run->tenant->rec.timezone : NULL;
    char date[TIME_RFC3339_LEN];
    time_format_rfc3339(r.due_at, tz, date);
    /* Reference, procedure and date only: the subject and body carry no personal data. */
    json_t *params = json_pack("{s:s, s:s, s:s}", "reference", r.reference, "procedure", procedure,
                               "due_date", date);
    if (!params ||
        (run->tenant && agent_link_set(run->core, run->tenant, params, r.reference) != 0)) {
        json_decref(params);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    size_t sent = 0;
    int rc = due_warning_notify_agents_tx(s, &r, "due_warning", params, run->a, &sent, err);
    json_decref(params);
    if (rc == 0 && !sent) {
        log_info("due warning: request %s has nobody to warn (no assignee, no agent in its "
                 "department)",
                 r.reference);
        run->no_event = 1;
    }
    return rc;
}

static const job_handler due_warning_handler = {
    .kind = DUE_WARNING_KIND,
    .run_tx = warn_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};

int due_warning_register(core *c, error *err)
{
    return jobs_register(c, &due_warning_handler, err);
}

int due_warning_days(core *c, int64_t tenant_id, int *days, error *err)
{
    return days_of(core_store(c), tenant_id, days, err);
}

static int set_apply(store *s, void *arg, int64_t *id, error *err)
{
    const int64_t *v = arg; /* tenant, days */
    *id = v[0];
    return s->ops->jobs.tx_set_due_warning_days(s, v[0], (int)v[1], err);
}

/* The catalogue holds D for the creations (cat_tenant.due_warning_days). */
static const change_def set_def = {
    .action = "admin", .kind = "due_warning", .apply = set_apply, .reload_catalogue = 1};

int due_warning_days_set_as(core *c, const core_actor *who, int64_t tenant_id, int days,
                            core_done_fn cb, void *ctx, error *err)
{
    if (days < 0 || days > DUE_WARNING_DAYS_MAX)
        return error_set(err, ERR_INVALID_ARG, "due_warning_days", "between 0 and %d days",
                         DUE_WARNING_DAYS_MAX);
    int64_t v[2] = {tenant_id, days};
    return change_run(c, who, tenant_id, &set_def, v, sizeof v, NULL, cb, ctx, err);
}

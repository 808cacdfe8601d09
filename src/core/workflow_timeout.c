/*
 * workflow_timeout — checking a workflow's timeouts, scheduling them when a request enters a
 * status and cancelling them when it leaves, and the three exactly-once kinds that run them:
 * the jump, the reminder and the agents' warning (see workflow_timeout.h).
 */
#include "core/workflow_timeout.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/agent_notices.h"
#include "core/due_warning.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/request_internal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

#define DAY_S 86400

/* ---- checking ---- */

static int one_of(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (strcmp(v, *set) == 0)
            return 1;
    return 0;
}

static const char *const units[] = {"days", "working_days", "months", NULL};
static const char *const kinds[] = {"jump", "remind", NULL};
static const char *const meanings[] = {"accord", "rejet", "none", NULL};
static const char *const whoms[] = {"agents", "citizen", NULL};

/* The largest delay of unit (a known one). */
static int delay_max(const char *unit)
{
    if (strcmp(unit, "months") == 0)
        return WORKFLOW_TIMEOUT_MONTHS_MAX;
    if (strcmp(unit, "working_days") == 0)
        return WORKFLOW_TIMEOUT_WORKING_MAX;
    return WORKFLOW_TIMEOUT_DAYS_MAX;
}

/* The fewest calendar days a delay of t lasts: what a warning before it must stay under. */
static int delay_min_days(const store_workflow_timeout *t)
{
    if (strcmp(t->unit, "months") == 0)
        return t->delay * 28;
    return t->delay;
}

int workflow_timeout_check(const cat_workflow *wf, const store_workflow_timeout *t, error *err)
{
    const store_workflow_status *st = workflow_status(wf, t->status_code);
    if (!st)
        return error_set(err, ERR_INVALID_ARG, "status_code", "unknown status %.40s",
                         t->status_code ? t->status_code : "");
    if (strlen(st->code) >= WORKFLOW_TIMEOUT_STATUS_MAX)
        return error_set(err, ERR_INVALID_ARG, "status_code", "status code longer than %d bytes",
                         WORKFLOW_TIMEOUT_STATUS_MAX - 1);
    if (st->is_final)
        return error_set(err, ERR_INVALID_ARG, "status_code",
                         "status %.40s is final: nothing happens after it", st->code);
    if (t->position < 1 || t->position > WORKFLOW_TIMEOUT_PER_STATUS_MAX)
        return error_set(err, ERR_INVALID_ARG, "position", "position between 1 and %d",
                         WORKFLOW_TIMEOUT_PER_STATUS_MAX);
    size_t same = 0;
    for (size_t i = 0; i < wf->n_timeouts; i++) {
        const store_workflow_timeout *o = &wf->timeouts[i];
        if (o != t && strcmp(o->status_code, t->status_code) == 0 && o->position == t->position)
            return error_set(err, ERR_INVALID_ARG, "position",
                             "two timeouts of status %.40s at position %d", st->code, t->position);
        same += strcmp(o->status_code, t->status_code) == 0;
    }
    if (same > WORKFLOW_TIMEOUT_PER_STATUS_MAX)
        return error_set(err, ERR_INVALID_ARG, "position", "more than %d timeouts in status %.40s",
                         WORKFLOW_TIMEOUT_PER_STATUS_MAX, st->code);
    if (!one_of(t->unit, units))
        return error_set(err, ERR_INVALID_ARG, "unit",
                         "unknown unit (days, working_days or months)");
    if (t->delay < 1 || t->delay > delay_max(t->unit))
        return error_set(err, ERR_INVALID_ARG, "delay", "a delay of 1 to %d %s", delay_max(t->unit),
                         t->unit);
    if (!one_of(t->kind, kinds))
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown kind (jump or remind)");
    if (!one_of(t->meaning ? t->meaning : "none", meanings))
        return error_set(err, ERR_INVALID_ARG, "meaning",
                         "unknown meaning (accord, rejet or none)");
    if (strcmp(t->kind, "jump") == 0) {
        if (!t->target || !workflow_status(wf, t->target))
            return error_set(err, ERR_INVALID_ARG, "target",
                             "a jump names a status of its workflow");
        if (!workflow_transition(wf, t->status_code, t->target))
            return error_set(err, ERR_INVALID_ARG, "target",
                             "no transition from %.40s to %.40s: the jump is one", st->code,
                             t->target);
        if (t->whom)
            return error_set(err, ERR_INVALID_ARG, "whom", "a jump reminds nobody");
        if (t->repeat_days || t->repeat_times)
            return error_set(err, ERR_INVALID_ARG, "repeat_days", "a jump happens once");
        if (t->warn_before < 0 || t->warn_before > WORKFLOW_TIMEOUT_WARN_MAX ||
            (t->warn_before && t->warn_before >= delay_min_days(t)))
            return error_set(err, ERR_INVALID_ARG, "warn_before",
                             "a warning 0 to %d days before the jump, shorter than its delay",
                             WORKFLOW_TIMEOUT_WARN_MAX);
        return 0;
    }
    if (!one_of(t->whom, whoms))
        return error_set(err, ERR_INVALID_ARG, "whom", "a reminder is for agents or citizen");
    if (t->target)
        return error_set(err, ERR_INVALID_ARG, "target", "a reminder moves the request nowhere");
    if (t->meaning && strcmp(t->meaning, "none") != 0)
        return error_set(err, ERR_INVALID_ARG, "meaning", "a reminder means nothing (none)");
    if (t->warn_before)
        return error_set(err, ERR_INVALID_ARG, "warn_before", "only a jump is warned of");
    if (t->repeat_days < 0 || t->repeat_days > WORKFLOW_TIMEOUT_REPEAT_DAYS_MAX)
        return error_set(err, ERR_INVALID_ARG, "repeat_days", "every 0 to %d days",
                         WORKFLOW_TIMEOUT_REPEAT_DAYS_MAX);
    if (t->repeat_times < 0 || t->repeat_times > WORKFLOW_TIMEOUT_REPEAT_TIMES_MAX)
        return error_set(err, ERR_INVALID_ARG, "repeat_times", "0 to %d more times",
                         WORKFLOW_TIMEOUT_REPEAT_TIMES_MAX);
    if (!t->repeat_days != !t->repeat_times)
        return error_set(err, ERR_INVALID_ARG, "repeat_times",
                         "a repetition has both its interval and its count");
    return 0;
}

int64_t workflow_timeout_due(const store_workflow_timeout *t, int64_t from, const char *tz,
                             workdays_region region)
{
    workdays_count count = strcmp(t->unit, "months") == 0         ? WORKDAYS_MONTHS
                           : strcmp(t->unit, "working_days") == 0 ? WORKDAYS_WORKING
                                                                  : WORKDAYS_CALENDAR;
    return workdays_due_at(from, tz, t->delay, count, region);
}

/* ---- scheduling ---- */

/* The kinds a status's timeouts are run by, all cancelled when the request leaves it. */
static const char *const job_kinds[] = {WORKFLOW_TIMEOUT_KIND, WORKFLOW_REMIND_KIND,
                                        WORKFLOW_WARN_KIND};

/* A job's key: the entry into the status (its time), the timeout's position and, for a
 * reminder, its number — so that entering the status again later schedules anew, while the
 * same entry never schedules twice. */
static void job_key(char *out, size_t size, const char *status, int64_t entered, int position,
                    int nth)
{
    snprintf(out, size, "%.*s:%" PRId64 ":%d:%d", WORKFLOW_TIMEOUT_STATUS_MAX - 1, status, entered,
             position, nth);
}

/* Schedules job kind for r with the entry's facts in its payload, plus extra's members. */
static int schedule(store *s, const store_request *r, const char *kind, int64_t entered,
                    int position, int nth, int64_t due_at, json_t *extra, error *err)
{
    char key[JOBS_KEY_MAX];
    job_key(key, sizeof key, r->status, entered, position, nth);
    json_t *payload = json_pack("{s:s, s:I, s:i, s:i}", "status", r->status, "entered_at",
                                (json_int_t)entered, "position", position, "nth", nth);
    if (!payload || (extra && json_object_update(payload, extra) != 0)) {
        json_decref(payload);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    int rc = jobs_schedule_tx(s, r->tenant_id, r->id, kind, key, due_at, payload, NULL, err);
    json_decref(payload);
    return rc;
}

static int schedule_one(store *s, const store_request *r, const store_workflow_timeout *t,
                        int64_t now, const char *tz, workdays_region region, error *err)
{
    int64_t due = workflow_timeout_due(t, now, tz, region);
    int rc;
    if (strcmp(t->kind, "jump") == 0) {
        json_t *extra =
            json_pack("{s:s, s:s}", "to", t->target, "meaning", t->meaning ? t->meaning : "none");
        if (!extra)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        rc = schedule(s, r, WORKFLOW_TIMEOUT_KIND, now, t->position, 0, due, extra, err);
        if (rc == 0 && t->warn_before) {
            json_object_set_new(extra, "jump_at", json_integer(due));
            rc = schedule(s, r, WORKFLOW_WARN_KIND, now, t->position, 0,
                          due - (int64_t)t->warn_before * DAY_S, extra, err);
        }
        json_decref(extra);
        return rc;
    }
    json_t *extra = json_pack("{s:s, s:i, s:i}", "whom", t->whom, "repeat_days", t->repeat_days,
                              "left", t->repeat_times);
    if (!extra)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    rc = schedule(s, r, WORKFLOW_REMIND_KIND, now, t->position, 0, due, extra, err);
    json_decref(extra);
    return rc;
}

int workflow_timeouts_sync_tx(store *s, const store_request *r, const char *old_status, int64_t now,
                              error *err)
{
    if (old_status && r->status && strcmp(old_status, r->status) == 0)
        return 0;
    if (old_status)
        for (size_t i = 0; i < sizeof job_kinds / sizeof job_kinds[0]; i++)
            if (jobs_cancel_tx(s, r->tenant_id, r->id, job_kinds[i], now, err) != 0)
                return -1;
    if (!r->status || r->merged_into || r->anonymised_at)
        return 0;
    arena a;
    arena_init(&a, 0);
    store_workflow_timeout *ts = NULL;
    size_t n = 0;
    const char *tz = NULL;
    int holidays = 0;
    int rc = s->ops->jobs.status_timeouts(s, r->tenant_id, r->procedure_id, r->status, &a, &ts, &n,
                                          &tz, &holidays, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = schedule_one(s, r, &ts[i], now, tz,
                          holidays ? WORKDAYS_ALSACE_MOSELLE : WORKDAYS_FRANCE, err);
    arena_free(&a);
    return rc;
}

/* The timeout of wf in status at position; NULL when none. */
static const store_workflow_timeout *timeout_at(const cat_workflow *wf, const char *status,
                                                int position)
{
    for (size_t i = 0; wf && status && i < wf->n_timeouts; i++)
        if (wf->timeouts[i].position == position &&
            strcmp(wf->timeouts[i].status_code, status) == 0)
            return &wf->timeouts[i];
    return NULL;
}

/* The timeout of after a job of before's (status, position) now runs under, when its times
 * moved: the same kind with another delay, unit or warning; NULL otherwise. */
static const store_workflow_timeout *moved(const cat_workflow *before, const cat_workflow *after,
                                           const char *status, int position)
{
    const store_workflow_timeout *o = timeout_at(before, status, position);
    const store_workflow_timeout *t = timeout_at(after, status, position);
    if (!o || !t || strcmp(o->kind, t->kind) != 0)
        return NULL;
    return o->delay != t->delay || strcmp(o->unit, t->unit) != 0 || o->warn_before != t->warn_before
               ? t
               : NULL;
}

int workflow_timeouts_reschedule_tx(store *s, const cat_workflow *before, const cat_workflow *after,
                                    const char *tz, workdays_region region, int64_t now, error *err)
{
    size_t changed = 0;
    for (size_t i = 0; i < after->n_timeouts; i++)
        changed += moved(before, after, after->timeouts[i].status_code,
                         after->timeouts[i].position) != NULL;
    if (!changed) /* most saves: nothing read */
        return 0;
    arena a;
    arena_init(&a, 0);
    int rc = 0;
    /* Each entry's pending jobs are cancelled, then scheduled again under their own keys
     * (which makes a cancelled job pending with its new time, and leaves one done alone). */
    for (size_t k = 0; rc == 0 && k < sizeof job_kinds / sizeof job_kinds[0]; k++) {
        store_job_row *jobs = NULL;
        size_t n = 0;
        rc = s->ops->jobs.workflow_pending(s, after->rec.tenant_id, after->rec.id, job_kinds[k], &a,
                                           &jobs, &n, err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_t *p = json_loads(jobs[i].payload ? jobs[i].payload : "{}", 0, NULL);
            const char *status = json_string_value(json_object_get(p, "status"));
            int position = (int)json_integer_value(json_object_get(p, "position"));
            int nth = (int)json_integer_value(json_object_get(p, "nth"));
            int64_t entered = (int64_t)json_integer_value(json_object_get(p, "entered_at"));
            const store_workflow_timeout *t = moved(before, after, status, position);
            if (t && nth == 0) {
                store_job_row j = jobs[i];
                j.state = "cancelled";
                j.done_at = now;
                store_request r = {.id = j.request_id, .tenant_id = j.tenant_id, .status = status};
                rc = s->ops->jobs.tx_update(s, &j, err);
                if (rc == 0)
                    rc = schedule_one(s, &r, t, entered, tz, region, err);
            }
            json_decref(p);
        }
    }
    arena_free(&a);
    return rc;
}

/* ---- running ---- */

/* What every run reads: the request and the payload, and whether the entry the job was
 * scheduled for still holds (the request in that status since that very entry). */
typedef struct run_ctx {
    store_request r;
    json_t *payload;
    const char *status;
    int64_t entered_at;
    const cat_procedure *proc;
} run_ctx;

/* 1 when the job's cause holds, 0 when it has gone (nothing to do), -1 on error. */
static int load(store *s, job_run *run, run_ctx *x, error *err)
{
    const store_job_row *job = run->job;
    int found = 0;
    if (s->ops->requests.get_by_id(s, job->tenant_id, job->request_id, run->a, &x->r, &found,
                                   err) != 0)
        return -1;
    x->payload = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    x->status = json_string_value(json_object_get(x->payload, "status"));
    x->entered_at = (int64_t)json_integer_value(json_object_get(x->payload, "entered_at"));
    if (!found || !x->status || !x->r.status || strcmp(x->r.status, x->status) != 0 ||
        x->r.merged_into || x->r.anonymised_at)
        return 0;
    int64_t entered = 0;
    if (s->ops->jobs.status_entered_at(s, x->r.id, &entered, err) != 0)
        return -1;
    /* Left and entered again since: that later entry has jobs of its own. */
    if (entered != x->entered_at)
        return 0;
    x->proc = run->tenant ? catalogue_procedure_by_id(run->tenant, x->r.procedure_id) : NULL;
    return 1;
}

/* Whether the workflow wf, as the catalogue has it now, still has in `status` a timeout of
 * `kind` to `to` (a jump, and the warning before it) or for `whom` (a reminder): an
 * administrator may have removed it since the request entered the status, and a job
 * scheduled then must not act on a rule that is gone (a «silence vaut accord» withdrawn). */
static int still_configured(const cat_workflow *wf, const char *status, const char *kind,
                            const char *to, const char *whom)
{
    for (size_t i = 0; wf && status && i < wf->n_timeouts; i++) {
        const store_workflow_timeout *t = &wf->timeouts[i];
        if (!t->kind || strcmp(t->kind, kind) != 0 || strcmp(t->status_code, status) != 0)
            continue;
        if (to && (!t->target || strcmp(t->target, to) != 0))
            continue;
        if (whom && (!t->whom || strcmp(t->whom, whom) != 0))
            continue;
        return 1;
    }
    return 0;
}

#define GONE "the workflow no longer has this timeout"

static int jump_run_tx(store *s, job_run *run, error *err)
{
    run_ctx x = {0};
    int ok = load(s, run, &x, err);
    const char *to = json_string_value(json_object_get(x.payload, "to"));
    const char *meaning = json_string_value(json_object_get(x.payload, "meaning"));
    int rc = ok < 0 ? -1 : 0;
    /* The status event and the "timeout" event tell the run; the job's own would repeat it. */
    run->no_event = 1;
    if (ok == 1 &&
        !still_configured(x.proc ? x.proc->workflow : NULL, x.status, "jump", to, NULL)) {
        run->cancelled_why = GONE;
    } else if (ok == 1) {
        if (!x.proc || !to || !workflow_transition(x.proc->workflow, x.status, to)) {
            /* The workflow changed since the entry: the jump is no transition any more. */
            log_warn("workflow timeout: request %s: no transition %s -> %s any more, no jump",
                     x.r.reference, x.status, to ? to : "?");
        } else {
            const char *ref = arena_strdup(run->a, x.r.reference);
            const char *t = arena_strdup(run->a, to);
            const char *m = arena_strdup(run->a, meaning ? meaning : "none");
            /* The actions of the status the silence leads to, as any entry runs them; the
             * routing rules are not evaluated again here (they read the area index, which a
             * write transaction must not wait on): an assign_by_rule there stays put. */
            status_env env;
            rc = !ref || !t || !m
                     ? error_set(err, ERR_INTERNAL, NULL, "out of memory")
                     : status_env_prepare(run->core, run->tenant, x.proc, x.proc->workflow, NULL,
                                          NULL, run->a, &env, err);
            if (rc == 0)
                rc =
                    request_timeout_jump_tx(s, x.r.tenant_id, ref, x.proc->rec.id, x.proc->workflow,
                                            &env, t, m, run->job->due_at, run->now, err);
        }
    }
    json_decref(x.payload);
    return rc;
}

/* The parameters of an agents' mail about x's request: reference, procedure and the status
 * it is in, no personal data (agents read French). */
/* What agents' e-mails about x's request carry, with its back office link; NULL when out of
 * memory. */
static json_t *agent_params(const job_run *run, const run_ctx *x)
{
    const cat_workflow *wf = x->proc ? x->proc->workflow : NULL;
    json_t *params = json_pack("{s:s, s:s, s:s}", "reference", x->r.reference, "procedure",
                               x->proc ? x->proc->rec.name : "", "status",
                               workflow_agent_label(wf, x->status, LANG_FR));
    if (params && run->tenant &&
        agent_link_set(run->core, run->tenant, params, x->r.reference) != 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

static int warn_run_tx(store *s, job_run *run, error *err)
{
    run_ctx x = {0};
    int ok = load(s, run, &x, err), rc = ok < 0 ? -1 : 0;
    size_t sent = 0;
    if (ok == 1 && !still_configured(x.proc ? x.proc->workflow : NULL, x.status, "jump",
                                     json_string_value(json_object_get(x.payload, "to")), NULL)) {
        run->cancelled_why = GONE;
    } else if (ok == 1) {
        const char *tz = run->tenant ? run->tenant->rec.timezone : NULL;
        char when[TIME_RFC3339_LEN];
        time_format_rfc3339((int64_t)json_integer_value(json_object_get(x.payload, "jump_at")), tz,
                            when);
        const char *to = json_string_value(json_object_get(x.payload, "to"));
        json_t *params = agent_params(run, &x);
        /* due_date: the mail renderer writes it as a date in words. */
        if (!params || json_object_set_new(params, "due_date", json_string(when)) != 0 ||
            json_object_set_new(params, "next_status",
                                json_string(workflow_agent_label(x.proc ? x.proc->workflow : NULL,
                                                                 to, LANG_FR))) != 0)
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
        else
            rc = due_warning_notify_agents_tx(s, &x.r, "workflow_warn", params, run->a, &sent, err);
        json_decref(params);
    }
    run->no_event = rc == 0 && !sent;
    json_decref(x.payload);
    return rc;
}

/* The citizen's reminder, in their language, when they chose news by e-mail; *sent 1. */
static int remind_citizen(store *s, const run_ctx *x, size_t *sent, error *err)
{
    const store_request *r = &x->r;
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!via)
        return 0;
    const char *procedure = "";
    if (x->proc)
        procedure = r->lang && strcmp(r->lang, "en") == 0 && x->proc->rec.name_en
                        ? x->proc->rec.name_en
                        : x->proc->rec.name;
    const store_workflow_status *st =
        x->proc ? workflow_status(x->proc->workflow, x->status) : NULL;
    const char *label = "";
    if (st)
        label = r->lang && strcmp(r->lang, "en") == 0 && st->citizen_label_en ? st->citizen_label_en
                                                                              : st->citizen_label;
    json_t *params = json_pack("{s:s, s:s, s:s}", "reference", r->reference, "procedure", procedure,
                               "status", label);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int rc =
        outbox_add_tx(s, r->tenant_id, via, to, "workflow_remind", params, r->lang, r->id, err);
    json_decref(params);
    *sent = rc == 0;
    return rc;
}

static int remind_run_tx(store *s, job_run *run, error *err)
{
    run_ctx x = {0};
    int ok = load(s, run, &x, err), rc = ok < 0 ? -1 : 0;
    size_t sent = 0;
    const char *whom = json_string_value(json_object_get(x.payload, "whom"));
    if (ok == 1 && !still_configured(x.proc ? x.proc->workflow : NULL, x.status, "remind", NULL,
                                     whom ? whom : "agents")) {
        run->cancelled_why = GONE;
    } else if (ok == 1) {
        if (whom && strcmp(whom, "citizen") == 0)
            rc = remind_citizen(s, &x, &sent, err);
        else {
            json_t *params = agent_params(run, &x);
            rc = params ? due_warning_notify_agents_tx(s, &x.r, "workflow_remind_agents", params,
                                                       run->a, &sent, err)
                        : error_set(err, ERR_INTERNAL, NULL, "out of memory");
            json_decref(params);
        }
        /* The next reminder, in this same transaction: exactly as many as asked. */
        int left = (int)json_integer_value(json_object_get(x.payload, "left"));
        int every = (int)json_integer_value(json_object_get(x.payload, "repeat_days"));
        int position = (int)json_integer_value(json_object_get(x.payload, "position"));
        int nth = (int)json_integer_value(json_object_get(x.payload, "nth"));
        if (rc == 0 && left > 0 && every > 0) {
            json_t *extra = json_pack("{s:s, s:i, s:i}", "whom", whom ? whom : "agents",
                                      "repeat_days", every, "left", left - 1);
            rc = extra ? schedule(s, &x.r, WORKFLOW_REMIND_KIND, x.entered_at, position, nth + 1,
                                  run->job->due_at + (int64_t)every * DAY_S, extra, err)
                       : error_set(err, ERR_INTERNAL, NULL, "out of memory");
            json_decref(extra);
        }
    }
    run->no_event = rc == 0 && !sent;
    json_decref(x.payload);
    return rc;
}

static const job_handler jump_handler = {
    .kind = WORKFLOW_TIMEOUT_KIND,
    .run_tx = jump_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};
static const job_handler remind_handler = {
    .kind = WORKFLOW_REMIND_KIND,
    .run_tx = remind_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};
static const job_handler warn_handler = {
    .kind = WORKFLOW_WARN_KIND,
    .run_tx = warn_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};

int workflow_timeout_register(core *c, error *err)
{
    if (jobs_register(c, &jump_handler, err) != 0 || jobs_register(c, &remind_handler, err) != 0 ||
        jobs_register(c, &warn_handler, err) != 0)
        return -1;
    return 0;
}

int workflow_timeout_pending(core *c, const store_request *r, arena *a, workflow_pending *out,
                             size_t max, size_t *n, error *err)
{
    *n = 0;
    store *s = core_store(c);
    /* Only what the workflow still says: a timeout removed since the entry will not act (its
     * job ends cancelled), so it is not announced. */
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, r->tenant_id);
    const cat_procedure *proc = t ? catalogue_procedure_by_id(t, r->procedure_id) : NULL;
    store_job_row *rows = NULL;
    size_t nr = 0;
    if (s->ops->jobs.request_pending(s, r->tenant_id, r->id, WORKFLOW_TIMEOUT_KIND, max, a, &rows,
                                     &nr, err) != 0) {
        catalogue_release(c, cat);
        return -1;
    }
    for (size_t i = 0; i < nr && *n < max; i++) {
        json_t *p = json_loads(rows[i].payload ? rows[i].payload : "{}", 0, NULL);
        const char *st = json_string_value(json_object_get(p, "status"));
        const char *to = json_string_value(json_object_get(p, "to"));
        const char *meaning = json_string_value(json_object_get(p, "meaning"));
        /* Only a jump of the status the request is in (the one it was scheduled for). */
        if (st && to && r->status && strcmp(st, r->status) == 0 &&
            still_configured(proc ? proc->workflow : NULL, st, "jump", to, NULL)) {
            out[*n].to = arena_strdup(a, to);
            out[*n].meaning = arena_strdup(a, meaning ? meaning : "none");
            out[*n].due_at = rows[i].due_at;
            if (out[*n].to && out[*n].meaning)
                (*n)++;
        }
        json_decref(p);
    }
    catalogue_release(c, cat);
    return 0;
}

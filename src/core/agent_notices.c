/*
 * agent_notices — the choice, the two job kinds and the message they queue (template
 * agent_new_requests: count, the requests listed, how many more, daily or not).
 */
#include "core/agent_notices.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/catalogue.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/request.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Requests one run reads at most: a message says «more than» past it. */
#define AGENT_NOTICES_READ_MAX 5000

static const char *const mode_names[] = {"none", "immediate", "digest"};

const char *agent_notice_mode_name(agent_notice_mode m)
{
    return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "none";
}

int agent_notice_mode_parse(const char *name, agent_notice_mode *out)
{
    for (size_t i = 0; name && i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (agent_notice_mode)i;
            return 0;
        }
    return -1;
}

int64_t agent_notices_next_digest(int64_t now, const char *tz)
{
    char today[TIME_RFC3339_LEN];
    time_format_rfc3339(now, tz, today);
    today[10] = 0; /* "YYYY-MM-DD" of the local day */
    int64_t midnight_utc = 0;
    if (time_parse_rfc3339(today, &midnight_utc) != 0)
        return now + 86400;
    /* Today's hour, else tomorrow's: the local wall clock, then the instant it shows it. */
    for (int day = 0; day < 3; day++) {
        int64_t at = time_from_local(midnight_utc + day * 86400 + AGENT_DIGEST_HOUR * 3600, tz);
        if (at > now)
            return at;
    }
    return now + 86400;
}

/* ---- the message ---- */

/* 1 when agent ag is told of request r: its department is one of theirs; a request no
 * department holds yet is for those who route (managers and administrators). */
static int concerns(const store_agent *ag, const store_new_request *r)
{
    if (!r->department_id)
        return strcmp(ag->role, "manager") == 0 || strcmp(ag->role, "admin") == 0;
    for (size_t i = 0; i < ag->n_departments; i++)
        if (ag->department_ids[i] == r->department_id)
            return 1;
    return 0;
}

int agent_link_put(json_t *params, const char *key, const char *base, const char *reference)
{
    if (!base || !*base || !reference)
        return 0;
    char url[CORE_URL_MAX + sizeof AGENT_REQUEST_PATH + REQUEST_REFERENCE_MAX];
    snprintf(url, sizeof url, "%s" AGENT_REQUEST_PATH "%s", base, reference);
    return json_object_set_new(params, key, json_string(url));
}

int agent_link_set(core *c, const cat_tenant *t, json_t *params, const char *reference)
{
    char base[CORE_URL_MAX];
    if (core_base_url(c, t, base, sizeof base) != 0)
        return 0;
    return agent_link_put(params, "link", base, reference);
}

/* One message to ag listing reqs[0..n) that concern them, each with its back office link
 * when base (may be NULL) is known; *queued 1 when there was any. */
static int notify_agent(store *s, const cat_tenant *t, const char *base, const store_agent *ag,
                        const store_new_request *reqs, size_t n, int more, int daily, int *queued,
                        error *err)
{
    *queued = 0;
    json_t *list = json_array();
    size_t count = 0;
    for (size_t i = 0; list && i < n; i++) {
        if (!concerns(ag, &reqs[i]))
            continue;
        if (++count > AGENT_NOTICES_LISTED)
            continue;
        const cat_procedure *p = t ? catalogue_procedure_by_id(t, reqs[i].procedure_id) : NULL;
        const cat_department *d = t ? catalogue_department_by_id(t, reqs[i].department_id) : NULL;
        json_t *item = json_pack("{s:s, s:s, s:s}", "reference", reqs[i].reference, "procedure",
                                 p ? p->rec.name : "", "department", d ? d->rec.name : "");
        if (!item || agent_link_put(item, "link", base, reqs[i].reference) != 0 ||
            json_array_append_new(list, item) != 0) {
            json_decref(list);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
    }
    if (!list)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (count == 0) {
        json_decref(list);
        return 0;
    }
    size_t listed = count < AGENT_NOTICES_LISTED ? count : AGENT_NOTICES_LISTED;
    json_t *params = json_pack("{s:I, s:b, s:o, s:I, s:b, s:b}", "count", (json_int_t)count,
                               "several", count > 1, "requests", list, "others",
                               (json_int_t)(count - listed), "at_least", more, "daily", daily);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int rc = outbox_add_tx(s, ag->tenant_id, "email", ag->email, "agent_new_requests", params, "fr",
                           0, err);
    json_decref(params);
    *queued = rc == 0;
    return rc;
}

/* Tells each agent who chose mode of the requests filed in [from, to). */
static int notify_window(store *s, job_run *run, const char *mode, int64_t from, int64_t to,
                         size_t *watchers, error *err)
{
    const store_job_row *job = run->job;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (s->ops->agent_notices.watchers(s, job->tenant_id, mode, run->a, &agents, &n_agents, err) !=
        0)
        return -1;
    *watchers = n_agents;
    if (n_agents == 0)
        return 0;
    store_new_request *reqs = NULL;
    size_t n = 0;
    int more = 0;
    if (s->ops->agent_notices.new_requests(s, job->tenant_id, from, to, AGENT_NOTICES_READ_MAX,
                                           run->a, &reqs, &n, &more, err) != 0)
        return -1;
    /* The collectivité's configured base URL, never a request's Host (there is none here). */
    char base[CORE_URL_MAX] = "";
    if (run->tenant)
        core_base_url(run->core, run->tenant, base, sizeof base);
    size_t sent = 0;
    for (size_t i = 0; i < n_agents; i++) {
        int queued = 0;
        if (notify_agent(s, run->tenant, base, &agents[i], reqs, n, more,
                         strcmp(mode, "digest") == 0, &queued, err) != 0)
            return -1;
        sent += (size_t)queued;
    }
    log_info("agent notices: %zu message(s) of %s notices for %zu request(s)", sent, mode, n);
    return 0;
}

/* The period's key: "b" and the period's number. */
static void period_key(int64_t at, char key[32])
{
    snprintf(key, 32, "b%lld", (long long)(at / AGENT_NOTICES_PERIOD));
}

static int immediate_run_tx(store *s, job_run *run, error *err)
{
    const char *key = run->job->ukey;
    long long period = 0;
    if (!key || sscanf(key, "b%lld", &period) != 1 || period < 0)
        return error_set(err, ERR_INTERNAL, NULL, "agent notices: bad job key");
    int64_t from = (int64_t)period * AGENT_NOTICES_PERIOD;
    size_t watchers = 0;
    run->no_event = 1; /* a collectivité's job: no request's timeline */
    return notify_window(s, run, "immediate", from, from + AGENT_NOTICES_PERIOD, &watchers, err);
}

/* Schedules the digest due at `at` (key "d" and the instant: one per day). */
static int schedule_digest(store *s, int64_t tenant_id, int64_t at, error *err)
{
    char key[32];
    snprintf(key, sizeof key, "d%lld", (long long)at);
    return jobs_schedule_tx(s, tenant_id, 0, AGENT_DIGEST_KIND, key, at, NULL, NULL, err);
}

static int digest_run_tx(store *s, job_run *run, error *err)
{
    const store_job_row *job = run->job;
    size_t watchers = 0;
    run->no_event = 1;
    if (notify_window(s, run, "digest", job->due_at - 86400, job->due_at, &watchers, err) != 0)
        return -1;
    if (!watchers) /* nobody wants it any more: the chain ends here until someone does */
        return 0;
    const char *tz = run->tenant ? run->tenant->rec.timezone : NULL;
    return schedule_digest(s, job->tenant_id, agent_notices_next_digest(job->due_at, tz), err);
}

static const job_handler immediate_handler = {
    .kind = AGENT_NOTICES_KIND,
    .run_tx = immediate_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};

static const job_handler digest_handler = {
    .kind = AGENT_DIGEST_KIND,
    .run_tx = digest_run_tx,
    .max_attempts = 5,
    .retry_base_s = 300,
    .retry_max_s = 3600,
};

int agent_notices_register(core *c, error *err)
{
    if (jobs_register(c, &immediate_handler, err) != 0)
        return -1;
    return jobs_register(c, &digest_handler, err);
}

int agent_notices_on_create_tx(store *s, int64_t tenant_id, int immediate, int64_t created_at,
                               error *err)
{
    if (!immediate)
        return 0;
    char key[32];
    period_key(created_at, key);
    int64_t due =
        (created_at / AGENT_NOTICES_PERIOD + 1) * AGENT_NOTICES_PERIOD + AGENT_NOTICES_DELAY;
    return jobs_schedule_tx(s, tenant_id, 0, AGENT_NOTICES_KIND, key, due, NULL, NULL, err);
}

/* ---- the choice ---- */

int agent_notices_get(core *c, int64_t tenant_id, int64_t agent_id, agent_notice_mode *out,
                      error *err)
{
    *out = AGENT_NOTICE_NONE;
    arena a;
    arena_init(&a, 1024);
    const char *mode = NULL;
    int rc = c->store->ops->agent_notices.get(c->store, tenant_id, agent_id, &a, &mode, err);
    if (rc == 0 && mode && agent_notice_mode_parse(mode, out) != 0)
        *out = AGENT_NOTICE_NONE;
    arena_free(&a);
    return rc;
}

typedef struct set_op {
    core_op op; /* first: the write job (core/core_op.h) */
    int64_t tenant_id, agent_id;
    agent_notice_mode mode;
    int64_t next_digest;
} set_op;

static int apply_set(store *s, core_op *op, error *err)
{
    set_op *j = (set_op *)op;
    const char *mode = j->mode == AGENT_NOTICE_NONE ? NULL : agent_notice_mode_name(j->mode);
    if (s->ops->agent_notices.tx_set(s, j->tenant_id, j->agent_id, mode, err) != 0)
        return -1;
    return j->mode == AGENT_NOTICE_DIGEST ? schedule_digest(s, j->tenant_id, j->next_digest, err)
                                          : 0;
}

/* Committed: the catalogue's counts are read again before the agent is told, so that the
 * next request filed knows at once that someone waits for it. */
static void set_finish(core_op *op, int *rc, error *err)
{
    if (*rc == 0 && catalogue_reload(op->core, err) != 0)
        *rc = -1;
}

int agent_notices_set(core *c, const core_actor *who, agent_notice_mode mode, core_done_fn cb,
                      void *ctx, error *err)
{
    if (!who || who->kind != ACTOR_AGENT || !who->agent)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent chooses their notices");
    if ((unsigned)mode > AGENT_NOTICE_DIGEST)
        return error_set(err, ERR_INVALID_ARG, "notices", "unknown choice of notices");
    set_op *j = core_op_new(sizeof *j, apply_set);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = set_finish;
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_id(cat, who->agent->tenant_id);
    j->tenant_id = who->agent->tenant_id;
    j->agent_id = who->agent->id;
    j->mode = mode;
    j->next_digest = agent_notices_next_digest(time_now(), t ? t->rec.timezone : NULL);
    catalogue_release(c, cat);
    return core_op_submit(c, j, cb, ctx, err);
}

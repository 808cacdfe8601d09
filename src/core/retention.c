/*
 * retention — anonymisation of requests and the retention pass. Which requests are due is
 * decided here from each procedure's retention (the store only finds rows by the instants
 * core computes); what anonymisation keeps of a request is decided here too (keep_of); the
 * store erases the rest in one operation. Every write is a bounded job whose timeline
 * events and audit entry commit with it; files are deleted only once the job is durable,
 * so a crash in between leaves orphans for the start-up sweep, never a row without its file.
 */
#include "core/retention.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/account.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/broadcast.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/courrier.h"
#include "core/mail_held.h"
#include "core/request.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Bordereaux examined per pass for an approved one still to process. */
#define DISPOSAL_SCAN 20

int retention_months_of(const store_procedure *p)
{
    int months = p && p->retention_months >= RETENTION_MONTHS_MIN ? p->retention_months
                 : p && p->kind == PROCEDURE_DEMARCHE             ? RETENTION_MONTHS_DEMARCHE
                                                                  : RETENTION_MONTHS_INCIDENT;
    return months > RETENTION_MONTHS_MAX ? RETENTION_MONTHS_MAX : months;
}

int64_t retention_cutoff(const store_procedure *p, int64_t now)
{
    int months = retention_months_of(p);
    time_t t = (time_t)now;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    /* timegm normalises the month and a day past its end (31 March - 1 month: 3 March). */
    int total = tm.tm_year * 12 + tm.tm_mon - months;
    tm.tm_year = total / 12;
    tm.tm_mon = total % 12;
    if (tm.tm_mon < 0) {
        tm.tm_mon += 12;
        tm.tm_year--;
    }
    return (int64_t)timegm(&tm);
}

/* ---- what anonymisation keeps ---- */

static double coarse(double v)
{
    double f = pow(10.0, RETENTION_COORD_DECIMALS);
    return round(v * f) / f;
}

/* What request r keeps: for an incident (a place, not a person) its position, coarsened,
 * and the values of its list attributes, which the procedure's own list wrote; a démarche
 * concerns a person, so it keeps neither (its position is usually their home, its lists
 * their situation). Free-text, number and date attributes never stay. */
static int keep_of(store *s, arena *a, const cat_procedure *p, const store_request *r,
                   store_anonymised *k, error *err)
{
    memset(k, 0, sizeof *k);
    k->attributes = "{}"; /* as a request filed without any */
    if (!p || p->rec.kind != PROCEDURE_INCIDENT)
        return 0;
    if (r->has_location) {
        k->has_location = 1;
        k->lat = coarse(r->lat);
        k->lon = coarse(r->lon);
    }
    /* The definitions of the form's version it was filed under: a question that was a list
     * then keeps its key, one that was free text then goes, whatever it is now. */
    const attr_def *defs;
    size_t n_defs;
    forms_at_store(s, p, r->procedure_version, a, &defs, &n_defs);
    json_t *in = r->attributes ? json_loads(r->attributes, 0, NULL) : NULL;
    json_t *out = json_object();
    if (!out) {
        json_decref(in);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    const char *code;
    json_t *value;
    json_object_foreach(in, code, value)
    {
        const attr_def *d = attrs_find(defs, n_defs, code);
        if (d && (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST))
            json_object_set(out, code, value);
    }
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(in);
    json_decref(out);
    k->attributes = text ? arena_strdup(a, text) : NULL;
    free(text);
    if (!k->attributes)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

/* 1 when r may be anonymised at `now`: closed, not yet anonymised, and past its retention
 * or asked to be erased by its citizen. */
static int is_due(const cat_tenant *t, const store_request *r, int64_t now)
{
    if (!r->closed_at || r->anonymised_at)
        return 0;
    if (r->erase_requested_at)
        return 1;
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    return p && r->closed_at < retention_cutoff(&p->rec, now);
}

/* ---- anonymising, one job per RETENTION_BATCH requests ---- */

/* One anonymisation job: the requests ids[n] given, or (due mode) those the job itself
 * finds due in its own transaction. A core_op, freed once its outcome is reported. */
typedef struct anon_op {
    core_op op;
    const cat_tenant *t;           /* the caller's, valid until the op's outcome is reported */
    const attachment_dir *uploads; /* core's */
    int64_t ids[RETENTION_BATCH];
    size_t n;
    const erase_scope *due; /* non-NULL: due mode, ids found inside the job */
    size_t limit;           /* due mode: requests at most */
    int64_t now, disposal_id;
    core_actor who; /* the erasure's actor; strings in op.a */
    store_agent agent_room;
    const char *event_actor; /* who's timeline label */
    store_attachment *files; /* of the erased requests: deleted once durable */
    size_t n_files, cap_files;
    int64_t done[RETENTION_BATCH]; /* the erased requests' ids */
    size_t n_done;
    size_t *n_done_out;  /* added to once durable; may be NULL */
    size_t *n_found_out; /* set once durable: requests looked at; may be NULL */
} anon_op;

static int add_files(anon_op *j, const store_attachment *at, size_t n, error *err)
{
    if (n == 0)
        return 0; /* at may be NULL then */
    if (j->n_files + n > j->cap_files) {
        size_t cap = (j->cap_files ? j->cap_files * 2 : 16) + n;
        store_attachment *grown = arena_alloc(&j->op.a, cap * sizeof *grown);
        if (!grown)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        if (j->n_files)
            memcpy(grown, j->files, j->n_files * sizeof *grown);
        j->files = grown;
        j->cap_files = cap;
    }
    memcpy(j->files + j->n_files, at, n * sizeof *at);
    j->n_files += n;
    return 0;
}

/* Anonymises one request if it is still due; *erased says whether it was, *gone whether it
 * is anonymised now (by this job or earlier: a bordereau's item anonymised meanwhile, e.g.
 * while the visa was no longer required, is destroyed, not kept). */
static int anon_one(store *s, anon_op *j, int64_t id, int64_t stamp, int *erased, int *gone,
                    error *err)
{
    *erased = *gone = 0;
    store_request r;
    int found = 0;
    /* Inside the job, reads see the writer's transaction: the request as it is now. */
    if (s->ops->requests.get_by_id(s, j->t->rec.id, id, &j->op.a, &r, &found, err) != 0)
        return -1;
    *gone = found && r.anonymised_at != 0;
    if (!found || !is_due(j->t, &r, j->now))
        return 0;
    store_anonymised keep;
    if (keep_of(s, &j->op.a, catalogue_procedure_by_id(j->t, r.procedure_id), &r, &keep, err) != 0)
        return -1;
    store_attachment *removed = NULL;
    size_t n_removed = 0;
    if (s->ops->retention.tx_anonymise(s, j->t->rec.id, id, &keep, stamp, &j->op.a, &removed,
                                       &n_removed, err) != 0)
        return -1;
    store_event e = {.tenant_id = j->t->rec.id,
                     .request_id = id,
                     .created_at = stamp > r.updated_at ? stamp : r.updated_at,
                     .kind = "anonymised",
                     .is_public = 0,
                     .actor = j->event_actor};
    if (s->ops->events.tx_insert(s, &e, NULL, err) != 0 ||
        add_files(j, removed, n_removed, err) != 0)
        return -1;
    *erased = *gone = 1;
    return 0;
}

/* In due mode, what is due now as the job's transaction sees it, into j->ids. */
static int anon_find_due(store *s, anon_op *j, error *err)
{
    int64_t *found = NULL;
    size_t n = 0;
    if (s->ops->retention.due(s, j->t->rec.id, j->due->procedure_id, j->due->cutoff, j->limit,
                              &j->op.a, &found, &n, err) != 0)
        return -1;
    j->n = n < RETENTION_BATCH ? n : RETENTION_BATCH;
    if (j->n)
        memcpy(j->ids, found, j->n * sizeof *found);
    return 0;
}

static int anon_apply(store *s, core_op *op, error *err)
{
    anon_op *j = (anon_op *)op;
    j->n_files = 0;
    j->n_done = 0;
    if (j->due && anon_find_due(s, j, err) != 0)
        return -1;
    int64_t stamp = time_now();
    for (size_t i = 0; i < j->n; i++) {
        int erased = 0, gone = 0;
        if (anon_one(s, j, j->ids[i], stamp, &erased, &gone, err) != 0)
            return -1;
        if (erased)
            j->done[j->n_done++] = j->ids[i];
        if (j->disposal_id && s->ops->disposal.tx_item_set(s, j->disposal_id, j->ids[i],
                                                           gone ? "done" : "kept", err) != 0)
            return -1;
    }
    /* An erasure is audited whoever acts (the system, mostly). */
    if (j->n_done && audit_append_who_tx(s, j->t->rec.id, &j->who, "anonymise", "request", j->done,
                                         j->n_done, err) != 0)
        return -1;
    int finished = 0;
    if (j->disposal_id &&
        s->ops->disposal.tx_finish(s, j->t->rec.id, j->disposal_id, stamp, &finished, err) != 0)
        return -1;
    return 0;
}

static void anon_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    anon_op *j = (anon_op *)op;
    if (*rc != 0)
        return;
    /* Durable: the rows are gone, so are the files now. */
    for (size_t i = 0; i < j->n_files; i++)
        attachment_discard(j->uploads, &j->files[i]);
    if (j->n_done_out)
        *j->n_done_out += j->n_done;
    if (j->n_found_out)
        *j->n_found_out = j->n;
}

/* A new anonymisation op of core c for t by who (NULL: the system), not yet given its requests;
 * NULL when out of memory. */
static anon_op *anon_new(core *c, const cat_tenant *t, int64_t now, const core_actor *who)
{
    anon_op *j = core_op_new(sizeof *j, anon_apply);
    if (!j)
        return NULL;
    j->op.finish = anon_finish;
    j->uploads = core_uploads(c);
    j->t = t;
    j->now = now ? now : time_now();
    if (actor_copy(&j->op.a, who, &actor_system, &j->who, &j->agent_room) != 0 ||
        !(j->event_actor = actor_event_label(&j->who, &j->op.a))) {
        core_op_free(j);
        return NULL;
    }
    return j;
}

int request_anonymise(core *c, const cat_tenant *t, const int64_t *ids, size_t n, int64_t now,
                      int64_t disposal_id, const core_actor *who, size_t *n_done, error *err)
{
    if (n_done)
        *n_done = 0;
    if (!t || (n && !ids))
        return error_set(err, ERR_INVALID_ARG, "ids", "request_anonymise: nothing to do");
    for (size_t off = 0; off < n; off += RETENTION_BATCH) {
        anon_op *j = anon_new(c, t, now, who);
        if (!j)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        j->n = n - off < RETENTION_BATCH ? n - off : RETENTION_BATCH;
        memcpy(j->ids, ids + off, j->n * sizeof *ids);
        j->disposal_id = disposal_id;
        j->n_done_out = n_done;
        if (core_op_submit(c, j, NULL, NULL, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- erasing what is due, job after job ---- */

/* The state of request_erase_due across its jobs: each job's outcome decides, on the
 * writer's thread, whether another is queued. Heap, freed when the caller is told. */
typedef struct erase_run {
    core *c;
    const cat_tenant *t;
    erase_scope scope;
    core_actor who; /* strings in a */
    store_agent agent_room;
    arena a;
    size_t n_done;      /* erased so far */
    size_t done_before; /* erased before the last job */
    size_t batch_found; /* requests the last job looked at */
    size_t limit;       /* what the last job could take */
    size_t *n_done_out;
    core_done_fn cb;
    void *ctx;
} erase_run;

static void erase_run_end(erase_run *r, int rc, const error *err)
{
    if (r->n_done_out)
        *r->n_done_out = r->n_done;
    core_done_fn cb = r->cb;
    void *ctx = r->ctx;
    arena_free(&r->a);
    free(r);
    cb(ctx, rc, err);
}

static void erase_run_step(void *ctx, int rc, const error *err);

/* Queues the next job: 0, or -1 with err (nothing queued). */
static int erase_run_next(erase_run *r, error *err)
{
    anon_op *j = anon_new(r->c, r->t, r->scope.now, &r->who);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    size_t left = r->scope.max - r->n_done;
    j->due = &r->scope;
    j->limit = left < RETENTION_BATCH ? left : RETENTION_BATCH;
    r->limit = j->limit;
    r->done_before = r->n_done;
    r->batch_found = 0;
    j->n_done_out = &r->n_done;
    j->n_found_out = &r->batch_found;
    return core_op_submit(r->c, j, erase_run_step, r, err);
}

/* The outcome of one job (writer thread): the next one, or the end. */
static void erase_run_step(void *ctx, int rc, const error *err)
{
    erase_run *r = ctx;
    if (rc != 0) {
        erase_run_end(r, rc, err);
        return;
    }
    /* Nothing found, or nothing of it erasable any more (changed meanwhile), the cap
     * reached or the pass stopping: done. */
    int more = r->batch_found >= r->limit && r->n_done < r->scope.max &&
               r->n_done > r->done_before && !(r->scope.stop && r->scope.stop(r->scope.stop_ctx));
    error e;
    if (more && erase_run_next(r, &e) != 0) {
        erase_run_end(r, -1, &e);
        return;
    }
    if (!more)
        erase_run_end(r, 0, NULL);
}

/* The chain's first job; on failure frees the run. */
static int erase_run_start(void *arg, error *err)
{
    erase_run *r = arg;
    if (erase_run_next(r, err) == 0)
        return 0;
    arena_free(&r->a);
    free(r);
    return -1;
}

int request_erase_due(core *c, const cat_tenant *t, const erase_scope *scope, const core_actor *who,
                      size_t *n_done, core_done_fn cb, void *ctx, error *err)
{
    if (n_done)
        *n_done = 0;
    if (!t || !scope)
        return error_set(err, ERR_INVALID_ARG, NULL, "request_erase_due: nothing to do");
    if (scope->max == 0 || (scope->stop && scope->stop(scope->stop_ctx)))
        return cb ? (cb(ctx, 0, NULL), 0) : 0;
    erase_run *r = calloc(1, sizeof *r);
    if (!r)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    arena_init(&r->a, 0);
    r->c = c;
    r->t = t;
    r->scope = *scope;
    r->scope.now = scope->now ? scope->now : time_now();
    r->n_done_out = n_done;
    if (actor_copy(&r->a, who, &actor_system, &r->who, &r->agent_room) != 0) {
        arena_free(&r->a);
        free(r);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_chain(&r->cb, &r->ctx, cb, ctx, erase_run_start, r, err);
}

/* ---- the pass ---- */

typedef struct pass {
    core *c;
    const retention_opts *o;
    retention_report *rep;
    const cat_tenant *t;
    int64_t now;
    size_t budget; /* requests this collectivité may still have anonymised in this pass */
    core_actor who; /* the system, from the pass's source */
} pass;

static int stopped(const pass *p)
{
    return p->o->stop && p->o->stop(p->o->stop_ctx);
}

/* Anonymises, job by job, what is due (procedure_id > 0: past the retention of that
 * procedure; 0: asked by their citizen), within the budget. *n_done: how many. */
static int drain(pass *p, int64_t procedure_id, int64_t cutoff, int64_t *n_done, error *err)
{
    erase_scope scope = {.procedure_id = procedure_id,
                         .cutoff = cutoff,
                         .now = p->now,
                         .max = p->budget,
                         .stop = p->o->stop,
                         .stop_ctx = p->o->stop_ctx};
    size_t done = 0;
    int rc = request_erase_due(p->c, p->t, &scope, &p->who, &done, NULL, NULL, err);
    *n_done = (int64_t)done;
    p->budget -= done < p->budget ? done : p->budget;
    return rc;
}

/* Requests still due after the pass, for the report. */
static int count_left(pass *p, int with_periods, error *err)
{
    store *s = p->c->store;
    int64_t n = 0;
    if (s->ops->retention.count(s, p->t->rec.id, 0, 0, &n, err) != 0)
        return -1;
    p->rep->left += n;
    for (size_t i = 0; with_periods && i < p->t->n_procedures; i++) {
        const store_procedure *pr = &p->t->procedures[i].rec;
        if (s->ops->retention.count(s, p->t->rec.id, pr->id, retention_cutoff(pr, p->now),
                                             &n, err) != 0)
            return -1;
        p->rep->left += n;
    }
    return 0;
}

/* What a dry run reports: everything due now, nothing written. */
static int dry_run(pass *p, error *err)
{
    store *s = p->c->store;
    int64_t n = 0, due = 0;
    if (s->ops->retention.count(s, p->t->rec.id, 0, 0, &n, err) != 0)
        return -1;
    p->rep->anonymised += n;
    p->rep->on_request += n;
    for (size_t i = 0; i < p->t->n_procedures; i++) {
        const store_procedure *pr = &p->t->procedures[i].rec;
        if (s->ops->retention.count(s, p->t->rec.id, pr->id, retention_cutoff(pr, p->now),
                                             &n, err) != 0)
            return -1;
        due += n;
    }
    if (!p->t->rec.archives_visa) {
        p->rep->anonymised += due;
        return 0;
    }
    /* With the visa, what is due goes on a bordereau (unless one is already open). */
    arena a;
    arena_init(&a, 0);
    store_disposal_list *lists = NULL;
    size_t nl = 0;
    int rc = s->ops->disposal.list(s, p->t->rec.id, DISPOSAL_SCAN, &a, &lists, &nl, err);
    int open = 0;
    for (size_t i = 0; rc == 0 && i < nl; i++) {
        if (strcmp(lists[i].status, "done") == 0)
            continue;
        open = 1;
        int64_t waiting = lists[i].n_requests - lists[i].n_done - lists[i].n_kept;
        if (strcmp(lists[i].status, "pending") == 0)
            p->rep->awaiting_visa += waiting;
        else
            p->rep->anonymised += waiting;
    }
    arena_free(&a);
    if (rc == 0 && !open && due > 0) {
        p->rep->lists_created++;
        p->rep->listed += due < DISPOSAL_LIST_MAX ? due : DISPOSAL_LIST_MAX;
    }
    return rc;
}

/* The items of approved bordereaux, anonymised within the budget. */
static int process_approved(pass *p, int *open_list, error *err)
{
    store *s = p->c->store;
    *open_list = 0;
    arena a;
    arena_init(&a, 0);
    store_disposal_list *lists = NULL;
    size_t nl = 0;
    int rc = s->ops->disposal.list(s, p->t->rec.id, DISPOSAL_SCAN, &a, &lists, &nl, err);
    for (size_t i = 0; rc == 0 && i < nl; i++) {
        if (strcmp(lists[i].status, "pending") == 0) {
            *open_list = 1;
            p->rep->awaiting_visa += lists[i].n_requests - lists[i].n_done - lists[i].n_kept;
            continue;
        }
        if (strcmp(lists[i].status, "approved") != 0)
            continue;
        while (rc == 0 && p->budget > 0 && !stopped(p)) {
            arena ia;
            arena_init(&ia, 0);
            store_disposal_item *items = NULL;
            size_t n = 0;
            size_t limit = p->budget < RETENTION_BATCH ? p->budget : RETENTION_BATCH;
            rc = s->ops->disposal.items(s, p->t->rec.id, lists[i].id, "due", 0, limit, &ia, &items,
                                        &n, err);
            int64_t ids[RETENTION_BATCH];
            for (size_t k = 0; k < n; k++)
                ids[k] = items[k].request_id;
            size_t done = 0;
            if (rc == 0 && n > 0)
                rc =
                    request_anonymise(p->c, p->t, ids, n, p->now, lists[i].id, &p->who, &done, err);
            arena_free(&ia);
            p->rep->anonymised += (int64_t)done;
            p->budget -= done < p->budget ? done : p->budget;
            /* Every item handled leaves state due (done or kept): no item comes back. */
            if (rc != 0 || n < limit)
                break;
        }
        store_disposal_list now_l;
        int found = 0;
        if (rc == 0 &&
            (rc = s->ops->disposal.get(s, p->t->rec.id, lists[i].id, &a, &now_l, &found, err)) ==
                0 &&
            found && strcmp(now_l.status, "done") != 0)
            *open_list = 1;
    }
    arena_free(&a);
    return rc;
}

typedef struct create_arg {
    const cat_tenant *t;
    const int64_t *ids;
    size_t n;
    const core_actor *who;
    int64_t id;
} create_arg;

static int create_apply(store *s, void *arg, error *err)
{
    create_arg *ca = arg;
    if (s->ops->disposal.tx_create(s, ca->t->rec.id, time_now(), ca->ids, ca->n, &ca->id, err) != 0)
        return -1;
    return audit_append_who_tx(s, ca->t->rec.id, ca->who, "disposal_create", "disposal", &ca->id, 1,
                               err);
}

/* A new bordereau of what is due now (at most DISPOSAL_LIST_MAX requests), oldest closures
 * of each procedure first. */
static int build_list(pass *p, error *err)
{
    store *s = p->c->store;
    arena a;
    arena_init(&a, 0);
    int64_t *all = malloc(DISPOSAL_LIST_MAX * sizeof *all);
    if (!all)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t total = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->t->n_procedures && total < DISPOSAL_LIST_MAX; i++) {
        const store_procedure *pr = &p->t->procedures[i].rec;
        int64_t *ids = NULL;
        size_t n = 0;
        rc = s->ops->retention.due(s, p->t->rec.id, pr->id, retention_cutoff(pr, p->now),
                                            DISPOSAL_LIST_MAX - total, &a, &ids, &n, err);
        if (rc == 0 && n)
            memcpy(all + total, ids, n * sizeof *ids);
        total += rc == 0 ? n : 0;
    }
    if (rc == 0 && total > 0) {
        create_arg ca = {.t = p->t, .ids = all, .n = total, .who = &p->who};
        rc = store_write_sync(s, create_apply, &ca, err);
        if (rc == 0) {
            p->rep->lists_created++;
            p->rep->listed += (int64_t)total;
            p->rep->awaiting_visa += (int64_t)total;
            log_info("retention: %s: bordereau %lld of %zu request(s) waits for the archives' visa",
                     p->t->rec.slug, (long long)ca.id, total);
        }
    }
    free(all);
    arena_free(&a);
    return rc;
}

static int run_tenant(pass *p, error *err)
{
    if (p->o->dry_run)
        return dry_run(p, err);
    /* The audit log's own retention first: it does not depend on anything below. */
    int days = 0;
    int64_t purged = 0;
    if (audit_retention_days(p->c, &days, err) != 0 ||
        /* The real clock: opts->now ages requests (tests, a catch-up), not the audit log. */
        audit_purge(p->c, p->t->rec.id, time_now() - (int64_t)days * 86400, &purged, err) != 0)
        return -1;
    p->rep->audit_purged += purged;
    /* Issue 14's channels keep personal data outside requests: held mail and ended
     * subscriptions go by their own periods, aged at the pass's instant like requests. */
    if (mail_held_purge(p->c, p->t->rec.id, p->now, &purged, err) != 0)
        return -1;
    p->rep->mail_purged += purged;
    if (broadcast_subscribers_purge(p->c, p->t->rec.id, p->now, &purged, err) != 0)
        return -1;
    p->rep->subscribers_purged += purged;
    if (broadcast_recipients_forget(p->c, p->t->rec.id, p->now, &purged, err) != 0)
        return -1;
    p->rep->recipients_forgotten += purged;
    if (account_tokens_purge(p->c, p->t->rec.id, p->now, &purged, err) != 0)
        return -1;
    p->rep->tokens_purged += purged;
    /* The post room's scans nobody files: discarded or unreadable letters, and their files. */
    if (courrier_purge(p->c, p->t->rec.id, p->now, &purged, err) != 0)
        return -1;
    p->rep->post_purged += purged;
    int64_t n = 0;
    if (drain(p, 0, 0, &n, err) != 0)
        return -1;
    p->rep->anonymised += n;
    p->rep->on_request += n;
    if (p->t->rec.archives_visa) {
        int open_list = 0;
        if (process_approved(p, &open_list, err) != 0)
            return -1;
        if (!open_list && !stopped(p) && build_list(p, err) != 0)
            return -1;
        return count_left(p, 0, err);
    }
    for (size_t i = 0; i < p->t->n_procedures && !stopped(p); i++) {
        const store_procedure *pr = &p->t->procedures[i].rec;
        if (drain(p, pr->id, retention_cutoff(pr, p->now), &n, err) != 0)
            return -1;
        p->rep->anonymised += n;
    }
    return count_left(p, 1, err);
}

int retention_run(core *c, const retention_opts *opts, retention_report *rep, error *err)
{
    /* The short codes' counts of wrong entries, whose keys name client networks, go once
     * they no longer count, whatever the collectivité. */
    if (!opts->dry_run && !opts->tenant_id && request_code_forget(c, err) != 0)
        return -1;
    const catalogue *cat = catalogue_acquire(c);
    int rc = 0;
    /* One collectivité's failure (said in the log and returned) does not hold the others'. */
    for (size_t i = 0; i < cat->n_tenants; i++) {
        const cat_tenant *t = &cat->tenants[i];
        if (opts->tenant_id && t->rec.id != opts->tenant_id)
            continue;
        pass p = {.c = c,
                  .o = opts,
                  .rep = rep,
                  .t = t,
                  .now = opts->now ? opts->now : time_now(),
                  .budget = opts->max_per_tenant ? opts->max_per_tenant : RETENTION_PASS_MAX,
                  .who = actor_system};
        p.who.source = opts->source ? opts->source : "system";
        if (stopped(&p))
            break;
        if (run_tenant(&p, err) != 0) {
            rc = -1;
            log_error("retention: %s: the pass failed: %s", t->rec.slug, err ? err->detail : "");
        }
    }
    catalogue_release(c, cat);
    return rc;
}

/* ---- the visa and the bordereaux ---- */

typedef struct visa_arg {
    int64_t tenant_id;
    int on;
} visa_arg;

static int visa_apply(store *s, void *arg, int64_t *id, error *err)
{
    visa_arg *va = arg;
    *id = va->tenant_id;
    return s->ops->catalogue.tx_tenant_set_archives_visa(s, va->tenant_id, va->on, err);
}

/* The visa is the tenant's: the catalogue is read again after it. */
static const change_def visa_change = {"admin", "retention", visa_apply, 1};

int retention_set_archives_visa(core *c, const core_actor *who, int64_t tenant_id, int on,
                                core_done_fn cb, void *ctx, error *err)
{
    visa_arg va = {tenant_id, on ? 1 : 0};
    return change_run(c, who, tenant_id, &visa_change, &va, sizeof va, NULL, cb, ctx, err);
}

int disposal_lists(core *c, int64_t tenant_id, size_t limit, arena *a, store_disposal_list **out,
                   size_t *n, error *err)
{
    return c->store->ops->disposal.list(c->store, tenant_id, limit, a, out, n, err);
}

int disposal_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_disposal_list *out,
                 error *err)
{
    int found = 0;
    if (c->store->ops->disposal.get(c->store, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "bordereau", "no such bordereau");
    return 0;
}

int disposal_items(core *c, int64_t tenant_id, int64_t id, int64_t after_request_id, size_t limit,
                   arena *a, store_disposal_item **out, size_t *n, error *err)
{
    return c->store->ops->disposal.items(c->store, tenant_id, id, NULL, after_request_id, limit, a,
                                         out, n, err);
}

typedef struct approve_arg {
    int64_t tenant_id, id, agent_id;
} approve_arg;

static int approve_apply(store *s, void *arg, int64_t *id, error *err)
{
    approve_arg *aa = arg;
    *id = aa->id;
    return s->ops->disposal.tx_approve(s, aa->tenant_id, aa->id, aa->agent_id, time_now(), err);
}

static const change_def approve_change = {"approve", "disposal", approve_apply, 0};

int disposal_approve(core *c, const core_actor *who, int64_t tenant_id, int64_t id, core_done_fn cb,
                     void *ctx, error *err)
{
    int64_t agent_id = actor_agent_id(who);
    if (agent_id <= 0)
        return error_set(err, ERR_INVALID_ARG, "agent", "a visa is recorded by an agent");
    approve_arg aa = {tenant_id, id, agent_id};
    return change_run(c, who, tenant_id, &approve_change, &aa, sizeof aa, NULL, cb, ctx, err);
}

int retention_compact(core *c, error *err)
{
    return c->store->ops->compact(c->store, err);
}

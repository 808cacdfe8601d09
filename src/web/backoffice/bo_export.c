/*
 * bo_export — the inbox list as a file (CSV, XLSX, or GeoJSON of the located ones): every
 * request the inbox's filters select, within the agent's scope, not only the page shown. The
 * rows are read from the store in batches along the default order's index (newest first,
 * keyset paging: each batch starts after the last row of the one before, so the millionth
 * row costs what the first did) as the client downloads, through docs/tabular's stream.
 * Each batch's requests are audited as an export by the agent before their bytes go out
 * (the rows carry addresses: personal data).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/area.h"
#include "core/audit.h"
#include "core/request.h"
#include "core/workflow.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/table_send.h"
#include "web/web.h"

/* The columns, in their order; headings from the i18n strings "exports.col_<key>". */
enum {
    COL_REFERENCE,
    COL_CREATED,
    COL_CHANNEL,
    COL_PROCEDURE,
    COL_DEPARTMENT,
    COL_STATUS,
    COL_DUE,
    COL_DELAY,
    COL_PRIORITY,
    COL_ADDRESS,
    COL_QUARTIER,
    COL_LAT,
    COL_LON,
    COL_ASSIGNEE,
    COL_CLOSED,
    N_COLS
};

static const struct {
    const char *key;
    tabular_kind kind;
} columns[N_COLS] = {
    [COL_REFERENCE] = {"reference", TABULAR_TEXT},
    [COL_CREATED] = {"created", TABULAR_TEXT},
    [COL_CHANNEL] = {"channel", TABULAR_TEXT},
    [COL_PROCEDURE] = {"procedure", TABULAR_TEXT},
    [COL_DEPARTMENT] = {"department", TABULAR_TEXT},
    [COL_STATUS] = {"status", TABULAR_TEXT},
    [COL_DUE] = {"due", TABULAR_TEXT},
    [COL_DELAY] = {"delay", TABULAR_TEXT},
    [COL_PRIORITY] = {"priority", TABULAR_TEXT},
    [COL_ADDRESS] = {"address", TABULAR_TEXT},
    [COL_QUARTIER] = {"quartier", TABULAR_TEXT},
    [COL_LAT] = {"latitude", TABULAR_NUMBER},
    [COL_LON] = {"longitude", TABULAR_NUMBER},
    [COL_ASSIGNEE] = {"assignee", TABULAR_TEXT},
    [COL_CLOSED] = {"closed", TABULAR_TEXT},
};

/* Everything the stream uses, owned by it: the request's arena and catalogue are gone once
 * the handler has returned. */
typedef struct export_ctx {
    core *c;
    const catalogue *cat;
    const cat_tenant *t; /* in cat */
    lang l;
    arena own; /* the filter's strings, the actor, the words, the agents' names */
    store_request_filter f;
    core_actor who;
    store_agent who_agent;
    const char *channels[CHANNEL_COUNT];
    const char *sla[4];      /* by sla_state */
    const char *priority[4]; /* 0 low … 3 urgent */
    store_agent *agents;
    size_t n_agents;
    int has_quartiers;
    int located_only; /* GeoJSON: the requests without a position are left out */
    arena batch;      /* the current batch's rows and cells */
} export_ctx;

static void ctx_free(void *p)
{
    export_ctx *x = p;
    if (!x)
        return;
    if (x->cat)
        catalogue_release(x->c, x->cat);
    arena_free(&x->batch);
    arena_free(&x->own);
    free(x);
}

static const char *own_str(export_ctx *x, const char *s, int *oom)
{
    if (!s)
        return NULL;
    const char *d = arena_strdup(&x->own, s);
    if (!d)
        *oom = 1;
    return d;
}

/* f with its strings copied into x->own, set for the walk: default order, keyset paging. */
static int copy_filter(export_ctx *x, const store_request_filter *f)
{
    int oom = 0;
    x->f = *f;
    for (size_t i = 0; i < f->n_statuses; i++)
        x->f.statuses[i] = own_str(x, f->statuses[i], &oom);
    x->f.channel = own_str(x, f->channel, &oom);
    x->f.assignee = own_str(x, f->assignee, &oom);
    x->f.text = own_str(x, f->text, &oom);
    x->f.citizen_email = own_str(x, f->citizen_email, &oom);
    x->f.phone = own_str(x, f->phone, &oom);
    web_table_walk_start(&x->f); /* perm_scope refuses references to agents: none lost */
    return oom ? -1 : 0;
}

static const char *assignee_name(const export_ctx *x, const char *assignee)
{
    if (!assignee)
        return NULL;
    for (size_t i = 0; i < x->n_agents; i++) {
        char id[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&x->agents[i], id);
        if (strcmp(id, assignee) == 0)
            return x->agents[i].name;
    }
    return assignee;
}

/* The cells of request r into cells[], in x->batch. */
static void row_cells(export_ctx *x, const store_request *r, int64_t now, int64_t today_end,
                      const char *cells[N_COLS])
{
    arena *a = &x->batch;
    const cat_procedure *p = catalogue_procedure_by_id(x->t, r->procedure_id);
    const cat_department *d =
        r->department_id ? catalogue_department_by_id(x->t, r->department_id) : NULL;
    char when[WEB_TABLE_TIME_LEN];
    memset(cells, 0, N_COLS * sizeof *cells);
    cells[COL_REFERENCE] = r->reference;
    web_table_time(r->created_at, x->t->rec.timezone, 0, when);
    cells[COL_CREATED] = arena_strdup(a, when);
    channel ch;
    cells[COL_CHANNEL] =
        r->channel && channel_parse(r->channel, &ch) == 0 ? x->channels[ch] : r->channel;
    cells[COL_PROCEDURE] = p ? p->rec.name : NULL;
    cells[COL_DEPARTMENT] = d ? d->rec.name : NULL;
    cells[COL_STATUS] =
        p ? web_capitalised_in(a, workflow_agent_label(p->workflow, r->status, x->l)) : r->status;
    web_table_time(r->due_at, x->t->rec.timezone, 0, when);
    cells[COL_DUE] = arena_strdup(a, when);
    sla_state s = sla_state_at(r->due_at, r->closed_at != 0, now, today_end);
    cells[COL_DELAY] = sla_name(s) ? x->sla[s] : NULL;
    cells[COL_PRIORITY] = x->priority[r->priority >= 0 && r->priority <= 3 ? r->priority : 1];
    cells[COL_ADDRESS] = r->address;
    if (r->has_location) {
        cells[COL_LAT] = arena_printf(a, "%.6f", r->lat);
        cells[COL_LON] = arena_printf(a, "%.6f", r->lon);
        if (x->has_quartiers)
            cells[COL_QUARTIER] = web_table_quartier(x->c, x->t->rec.id, r->lat, r->lon, a);
    }
    cells[COL_ASSIGNEE] = assignee_name(x, r->assignee);
    web_table_time(r->closed_at, x->t->rec.timezone, 0, when);
    cells[COL_CLOSED] = arena_strdup(a, when);
}

/* tabular_source: the next batch after the last row written. */
static int next_batch(void *ctx, tabular *tab)
{
    export_ctx *x = ctx;
    store_request *rows = NULL;
    size_t n = 0;
    if (web_table_walk_next(x->c, &x->f, &x->batch, &rows, &n, "inbox export") != 0)
        return -1;
    if (n == 0)
        return 0;
    int64_t *ids = arena_alloc(&x->batch, n * sizeof *ids);
    if (!ids) {
        log_error("inbox export: out of memory");
        return -1;
    }
    size_t n_out = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].has_location || !x->located_only)
            ids[n_out++] = rows[i].id;
    /* Recorded before the rows are written out: nothing leaves unaudited. */
    if (n_out)
        audit_record_access(x->c, x->t->rec.id, &x->who, "export", "request", ids, n_out);
    int64_t now = time_now(), today_end = sla_today_end(x->t, now);
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].has_location && x->located_only)
            continue;
        const char *cells[N_COLS];
        row_cells(x, &rows[i], now, today_end, cells);
        error err;
        if (tabular_row(tab, cells, &err) != 0) {
            log_error("inbox export: %s", err.detail);
            return -1;
        }
    }
    return n == WEB_TABLE_BATCH;
}

/* The words of the rows and the agents' names, copied into x->own. */
static int copy_words(export_ctx *x, http_req *rq, const cat_tenant *t)
{
    int oom = 0;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        x->channels[ch] = own_str(x, bo_channel_label(rq, channel_name((channel)ch)), &oom);
    for (int s = 0; s < 4; s++) {
        const char *name = sla_name((sla_state)s);
        x->sla[s] =
            name ? own_str(x,
                           present_string(rq->present, rq->lang,
                                          arena_printf(rq->arena, "request_bo.sla_%s", name)),
                           &oom)
                 : NULL;
    }
    for (int p = 0; p < 4; p++)
        x->priority[p] = own_str(x, bo_priority_label(rq, p), &oom);
    error err;
    error_clear(&err);
    if (agent_list(rq->core, t->rec.id, &x->own, &x->agents, &x->n_agents, &err) != 0) {
        log_error("inbox export: agents: %s", err.detail);
        return -1;
    }
    store_area *areas = NULL;
    size_t n_areas = 0;
    if (area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0)
        log_warn("inbox export: quartiers: %s", err.detail);
    x->has_quartiers = n_areas > 0;
    return oom ? -1 : 0;
}

void bo_export_requests(http_req *rq, const cat_tenant *t, const store_agent *a,
                        const store_request_filter *f, tabular_format fmt)
{
    error err;
    error_clear(&err);
    export_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &err);
        return;
    }
    x->c = rq->core;
    x->l = rq->lang;
    arena_init(&x->own, 0);
    arena_init(&x->batch, WEB_TABLE_BATCH_ARENA_MAX);
    x->cat = catalogue_acquire(rq->core);
    x->t = catalogue_tenant_by_id(x->cat, t->rec.id);
    core_actor who = bo_who(rq, a);
    tabular_column cols[N_COLS];
    int oom = !x->t || copy_filter(x, f) != 0 ||
              actor_copy(&x->own, &who, &actor_system, &x->who, &x->who_agent) != 0;
    for (size_t i = 0; i < N_COLS; i++) {
        cols[i].kind = columns[i].kind;
        cols[i].name = present_string(rq->present, rq->lang,
                                      arena_printf(rq->arena, "exports.col_%s", columns[i].key));
    }
    if (oom || copy_words(x, rq, t) != 0) {
        ctx_free(x);
        error_set(&err, ERR_INTERNAL, NULL, "inbox export: out of memory");
        web_write_error(rq, &err);
        return;
    }
    tabular_options o = {.sheet = "Demandes", .lat_col = COL_LAT, .lon_col = COL_LON};
    tabular *tab = tabular_open(fmt, cols, N_COLS, &o, &err);
    if (!tab) {
        ctx_free(x);
        web_write_error(rq, &err);
        return;
    }
    x->located_only = fmt == TABULAR_GEOJSON;
    tabular_stream *s = tabular_stream_new(tab, next_batch, x, ctx_free);
    if (!s) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &err);
        return;
    }
    char day[WEB_TABLE_TIME_LEN];
    web_table_time(time_now(), t->rec.timezone, 1, day);
    http_add_header(rq, "Cache-Control", "no-store");
    web_send_table(rq, s, fmt, arena_printf(rq->arena, "demandes-%s", day));
}

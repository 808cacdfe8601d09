/*
 * tracking_public — the public incidents (/signalements): a list with filters and a map
 * enhancement, one incident's page, and «moi aussi». Only requests an agent accepted (or that
 * their procedure publishes at once) of incident procedures marked public are shown, and
 * never anything personal: no names, contacts or descriptions (citizens write names in
 * them), no messages or notes, photos only once a moderator approved them. Procedures that
 * are never public (stationnement gênant) are checked here as well as in the store filter.
 * «Moi aussi» counts once per account, or once per browser and client network.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/account.h"
#include "core/attachment.h"
#include "core/request.h"
#include "core/status.h"
#include "web/portal/tracking_internal.h"
#include "web/web.h"

#define PUBLIC_PER_PAGE 30
#define SUPPORT_RATE (10.0 / 60.0)
#define SUPPORT_BURST 20.0

/* 1 for a procedure whose requests may appear on the public pages. */
static int procedure_public(const cat_procedure *p)
{
    return p && p->rec.is_public && p->rec.kind == PROCEDURE_INCIDENT;
}

static int request_public(const cat_tenant *t, const store_request *r, const cat_procedure **p)
{
    *p = catalogue_procedure_by_id(t, r->procedure_id);
    return r->is_public && procedure_public(*p);
}

int tracking_on_public_list(const cat_tenant *t, const store_request *r)
{
    const cat_procedure *p;
    return request_public(t, r, &p);
}

static void not_found(http_req *rq)
{
    error e;
    error_set(&e, ERR_NOT_FOUND, NULL, "no such public incident");
    http_respond_error(rq, &e);
}

/* «N personnes ont signalé ce problème»: the reporter and everyone who said «moi aussi». */
static void set_reported(json_t *o, const store_request *r)
{
    int n = 1 + (r->supporters > 0 ? r->supporters : 0);
    json_object_set_new(o, "reported_count", json_integer(n));
    json_object_set_new(o, "reported_plural", json_boolean(n > 1));
}

/* The fields of a public incident that carry nothing personal. */
static json_t *incident_json(http_req *rq, const cat_tenant *t, const store_request *r,
                             const cat_procedure *p)
{
    json_t *o = json_object();
    present_set_str_opt(o, "reference", r->reference);
    present_set_str_opt(
        o, "url",
        arena_printf(rq->arena, "/signalements/%s", tracking_url_encode(rq, r->reference)));
    present_set_str_opt(o, "procedure", web_procedure_name(rq, p));
    present_set_str_opt(o, "address", r->address && *r->address ? r->address : NULL);
    present_set_str_opt(o, "status", r->status);
    present_set_str_opt(o, "status_label", tracking_status_label(rq, r->status));
    tracking_set_date(rq, t, o, "filed", r->created_at, 0);
    set_reported(o, r);
    return o;
}

static json_t *marker_json(http_req *rq, const store_request *r, const cat_procedure *p)
{
    json_t *m = json_object();
    json_object_set_new(m, "lat", json_real(r->lat));
    json_object_set_new(m, "lon", json_real(r->lon));
    present_set_str_opt(m, "title", web_procedure_name(rq, p));
    present_set_str_opt(m, "status", tracking_status_label(rq, r->status));
    present_set_str_opt(m, "address", r->address && *r->address ? r->address : NULL);
    present_set_str_opt(
        m, "url",
        arena_printf(rq->arena, "/signalements/%s", tracking_url_encode(rq, r->reference)));
    return m;
}

void tracking_public_list(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    const char *want = form_get(&rq->query, "demarche");
    const char *state = form_get(&rq->query, "etat");
    if (want && !*want)
        want = NULL;
    if (state && strcmp(state, "ouverts") != 0 && strcmp(state, "clos") != 0)
        state = NULL;
    long page = tracking_page_param(rq);

    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = t->rec.id;
    flt.only_public = 1;
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "public.title"));
    json_t *options = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *p = &t->procedures[i];
        if (!procedure_public(p) || !p->rec.active)
            continue;
        int chosen = want && strcmp(want, p->rec.code) == 0;
        json_t *o = json_object();
        present_set_str_opt(o, "code", p->rec.code);
        present_set_str_opt(o, "name", web_procedure_name(rq, p));
        json_object_set_new(o, "selected", json_boolean(chosen));
        json_array_append_new(options, o);
        if ((!want || chosen) && flt.n_procedure_ids < STORE_FILTER_MAX_LIST)
            flt.procedure_ids[flt.n_procedure_ids++] = p->rec.id;
    }
    json_object_set_new(ctx, "procedures", options);
    json_object_set_new(ctx, "state_open", json_boolean(state && strcmp(state, "ouverts") == 0));
    json_object_set_new(ctx, "state_closed", json_boolean(state && strcmp(state, "clos") == 0));
    json_object_set_new(ctx, "filtered", json_boolean(want || state));
    if (state)
        flt.n_statuses =
            status_codes_of(strcmp(state, "clos") == 0, flt.statuses, STORE_FILTER_MAX_LIST);

    store_request *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    /* No public procedure chosen: an empty filter would mean "every procedure". */
    if (flt.n_procedure_ids > 0) {
        flt.offset = (size_t)(page - 1) * PUBLIC_PER_PAGE;
        flt.limit = PUBLIC_PER_PAGE;
        if (request_count(rq->core, &flt, &total, &err) != 0 ||
            request_search(rq->core, &flt, rq->arena, &rows, &n, &err) != 0) {
            json_decref(ctx);
            http_respond_error(rq, &err);
            return;
        }
    }
    json_t *list = json_array();
    json_t *markers = json_array();
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p;
        if (!request_public(t, &rows[i], &p))
            continue;
        json_array_append_new(list, incident_json(rq, t, &rows[i], p));
        if (rows[i].has_location)
            json_array_append_new(markers, marker_json(rq, &rows[i], p));
    }
    json_object_set_new(ctx, "total", json_integer(total));
    present_set_str_opt(ctx, "total_word",
                        present_plural(rq->present, rq->lang, total, "public.results"));
    json_object_set_new(ctx, "incidents", list);
    if (json_array_size(markers) > 0) {
        json_t *md = json_object();
        json_object_set_new(md, "markers", markers);
        json_object_set_new(ctx, "map_data", md);
    } else {
        json_decref(markers);
    }
    const char *base = "/signalements?";
    if (want)
        base = arena_printf(rq->arena, "%sdemarche=%s&", base, tracking_url_encode(rq, want));
    if (state)
        base = arena_printf(rq->arena, "%setat=%s&", base, state);
    tracking_set_pages(rq, ctx, page, total, PUBLIC_PER_PAGE, base);
    web_render(rq, 200, "public/list", ctx);
}

/* The public incident rq->params[0], or 0 after answering 404. */
static int load_public(http_req *rq, const cat_tenant *t, store_request *r, const cat_procedure **p)
{
    error err;
    error_clear(&err);
    const char *ref = rq->params[0];
    if (!ref || strlen(ref) > REQUEST_REFERENCE_MAX) {
        not_found(rq);
        return 0;
    }
    if (request_get(rq->core, t, ref, rq->arena, r, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            not_found(rq);
        else
            http_respond_error(rq, &err);
        return 0;
    }
    if (!request_public(t, r, p)) {
        not_found(rq);
        return 0;
    }
    return 1;
}

void tracking_public_show(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request r;
    const cat_procedure *p;
    if (!load_public(rq, t, &r, &p))
        return;
    store_event *events = NULL;
    size_t n_events = 0;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    if (request_timeline(rq->core, t, r.id, 1, rq->arena, &events, &n_events, &err) != 0 ||
        attachment_list(rq->core, t->rec.id, r.id, rq->arena, &atts, &n_atts, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title",
                        arena_printf(rq->arena, "%s — %s", web_procedure_name(rq, p),
                                     present_string(rq->present, rq->lang, "public.title_one")));
    json_object_set_new(ctx, "incident", incident_json(rq, t, &r, p));

    /* Status changes only: their notes and every message may name someone. */
    json_t *history = json_array();
    for (size_t i = 0; i < n_events; i++) {
        const store_event *e = &events[i];
        if (!e->kind || (strcmp(e->kind, "status") != 0 && strcmp(e->kind, "reopened") != 0) ||
            !e->status_to)
            continue;
        json_t *h = json_object();
        present_set_str_opt(h, "status", e->status_to);
        present_set_str_opt(h, "status_label", tracking_status_label(rq, e->status_to));
        tracking_set_date(rq, t, h, "date", e->created_at, 0);
        json_array_append_new(history, h);
    }
    json_object_set_new(ctx, "history", history);

    json_t *photos = json_array();
    for (size_t i = 0; i < n_atts; i++) {
        const store_attachment *at = &atts[i];
        if (!attachment_is_public_photo(at))
            continue;
        json_t *ph = json_object();
        const char *base = arena_printf(rq->arena, "/pieces-jointes/%s/%" PRId64,
                                        tracking_url_encode(rq, r.reference), at->id);
        present_set_str_opt(ph, "url", base);
        present_set_str_opt(ph, "thumb_url", arena_printf(rq->arena, "%s?miniature=1", base));
        json_object_set_new(ph, "number", json_integer((json_int_t)json_array_size(photos) + 1));
        json_array_append_new(photos, ph);
    }
    json_object_set_new(ctx, "has_photos", json_boolean(json_array_size(photos) > 0));
    json_object_set_new(ctx, "photos", photos);

    if (r.has_location) {
        json_t *markers = json_array();
        json_array_append_new(markers, marker_json(rq, &r, p));
        json_t *md = json_object();
        json_object_set_new(md, "markers", markers);
        json_object_set_new(ctx, "map_data", md);
    }
    status code;
    json_object_set_new(
        ctx, "can_support",
        json_boolean(status_parse(r.status, &code) == 0 && !status_is_closed(code)));
    present_set_str_opt(ctx, "support_url",
                        arena_printf(rq->arena, "/signalements/%s/moi-aussi",
                                     tracking_url_encode(rq, r.reference)));
    const char *merci = form_get(&rq->query, "merci");
    const char *deja = form_get(&rq->query, "deja");
    if (merci && strcmp(merci, "1") == 0)
        present_set_str_opt(ctx, "notice",
                            present_string(rq->present, rq->lang, "public.notice_thanks"));
    else if (deja && strcmp(deja, "1") == 0)
        present_set_str_opt(ctx, "notice",
                            present_string(rq->present, rq->lang, "public.notice_already"));
    web_render(rq, 200, "public/show", ctx);
}

/* What the «moi aussi» continuation answers from (in the request's arena). */
typedef struct support_state {
    const char *reference;
    int added; /* filled by core before the continuation runs */
} support_state;

/* Once the «moi aussi» is durable: back to the incident, thanked or told it counted before. */
static void support_cont(http_req *rq)
{
    const support_state *ss = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc != 0) {
        http_respond_error(rq, &outcome->err);
        return;
    }
    http_redirect(rq, arena_printf(rq->arena, "/signalements/%s?%s",
                                   tracking_url_encode(rq, ss->reference),
                                   ss->added ? "merci=1" : "deja=1"));
}

void tracking_public_support(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    form f;
    if (http_form_body(rq, &f, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    if (web_check_csrf(rq, &f) != 0)
        return;
    const char *bucket =
        arena_printf(rq->arena, "moi-aussi:%s", rq->client_ip ? rq->client_ip : "");
    if (!bucket || http_ratelimit(rq, bucket, SUPPORT_RATE, SUPPORT_BURST, &err) != 0) {
        if (!bucket)
            error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    store_request r;
    const cat_procedure *p;
    if (!load_public(rq, t, &r, &p))
        return;
    /* A signed-in citizen counts once per account: an account needs a verified e-mail
     * address, which a script cannot mint for free. A visitor counts once per browser (the
     * CSRF secret, the browser's own random value) and once per network of the client, so
     * that fresh cookies from one address add nothing. Only keyed hashes are stored. */
    store_account acc;
    const char *secrets[2];
    secrets[0] = arena_printf(rq->arena, "support:browser:%s", web_csrf_token(rq));
    char account_secret[64];
    if (web_account(rq, &acc)) {
        account_support_secret(acc.id, account_secret, sizeof account_secret);
        secrets[1] = account_secret;
    } else
        secrets[1] = arena_printf(rq->arena, "support:net:%s", web_client_network(rq));
    if (!secrets[0] || !secrets[1]) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    char hashes[2][65];
    const char *keys[2] = {hashes[0], hashes[1]};
    for (size_t i = 0; i < 2; i++)
        core_hash_secret(rq->core, secrets[i], hashes[i]);
    support_state *ss = arena_alloc(rq->arena, sizeof *ss);
    if (!ss) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    ss->reference = r.reference;
    ss->added = 0;
    rq->user = ss;
    /* The connection waits, suspended, for the durable commit: no pool thread blocks. */
    http_wait *w = http_wait_begin(rq, support_cont);
    int rc =
        request_support(rq->core, t, r.reference, keys, 2, &ss->added, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

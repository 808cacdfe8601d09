/*
 * tracking_public — the public incidents (/signalements): a list of cards with filters and a
 * map enhancement, one incident's page, and «moi aussi». Only requests an agent accepted (or
 * that their procedure publishes at once) of incident procedures marked public are shown
 * (core/request_public.h), and never anything personal: no names or contacts, not the
 * citizen's description (citizens write names in it) but the public text an agent wrote or
 * approved, no messages or notes, photos only once a moderator approved them. «Moi aussi»
 * counts once per account, or once per browser and client network. The card is one partial
 * (public/_card) that other portal pages show too (tracking_public_card_json).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/account.h"
#include "core/attachment.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/workflow.h"
#include "util/form.h"
#include "util/text.h"
#include "web/portal/tracking_internal.h"
#include "web/web.h"

#define PUBLIC_PER_PAGE 30
#define SUPPORT_RATE (10.0 / 60.0)
#define SUPPORT_BURST 20.0
/* Characters of the public text a list's card shows, «…» included: about three lines. */
#define CARD_EXCERPT_CHARS 180

int tracking_on_public_list(const cat_tenant *t, const store_request *r)
{
    return request_public_visible(t, r, NULL);
}

static void not_found(http_req *rq)
{
    error e;
    error_set(&e, ERR_NOT_FOUND, NULL, "no such public incident");
    http_respond_error(rq, &e);
}

/* «N personnes ont signalé ce problème»: the reporter and everyone who said «moi aussi». */
static void set_reported(json_t *o, int supporters)
{
    int n = 1 + (supporters > 0 ? supporters : 0);
    json_object_set_new(o, "reported_count", json_integer(n));
    json_object_set_new(o, "reported_plural", json_boolean(n > 1));
}

static const char *incident_url(http_req *rq, const char *reference)
{
    return arena_printf(rq->arena, "/signalements/%s", tracking_url_encode(rq, reference));
}

json_t *tracking_public_card_json(http_req *rq, const cat_tenant *t, const request_public_card *c,
                                  int whole_text)
{
    json_t *o = json_object();
    present_set_str_opt(o, "reference", c->reference);
    present_set_str_opt(o, "url", incident_url(rq, c->reference));
    present_set_str_opt(o, "procedure", web_procedure_name(rq, c->procedure));
    present_set_str_opt(o, "address", c->address);
    web_set_status(rq, o, c->procedure, c->status, rq->lang, WEB_CITIZEN);
    tracking_set_date(rq, t, o, "filed", c->created_at, 0);
    if (c->text) {
        present_set_str_opt(
            o, "text", whole_text ? c->text : text_excerpt(rq->arena, c->text, CARD_EXCERPT_CHARS));
        if (whole_text)
            json_object_set_new(o, "paragraphs", present_paragraphs(c->text));
    }
    if (c->photo_id > 0)
        present_set_str_opt(o, "thumb_url",
                            arena_printf(rq->arena, "/pieces-jointes/%s/%" PRId64 "?miniature=1",
                                         tracking_url_encode(rq, c->reference), c->photo_id));
    json_object_set_new(
        o, "can_support",
        json_boolean(c->procedure && !workflow_is_closed(c->procedure->workflow, c->status)));
    present_set_str_opt(o, "support_url",
                        arena_printf(rq->arena, "%s/moi-aussi", incident_url(rq, c->reference)));
    if (c->has_distance) {
        /* «à 40 m», «à 1,2 km»: rounded as a person on the spot would say it. */
        long m = (long)(c->distance_m + 0.5);
        long tenths = (m + 50) / 100; /* of a kilometre */
        const char *d = m < 995 ? arena_printf(rq->arena, "%ld m", m < 10 ? 10 : (m + 5) / 10 * 10)
                                : arena_printf(rq->arena, "%ld%s%ld km", tenths / 10,
                                               rq->lang == LANG_EN ? "." : ",", tenths % 10);
        const char *before = present_string(rq->present, rq->lang, "public.distance_before");
        const char *after = present_string(rq->present, rq->lang, "public.distance_after");
        present_set_str_opt(o, "distance",
                            arena_printf(rq->arena, "%s%s%s%s%s", before, *before ? " " : "", d,
                                         *after ? " " : "", after));
    }
    set_reported(o, c->supporters);
    return o;
}

/* The card of public request r (visible: the caller checked), or NULL with err. */
static json_t *card_of(http_req *rq, const cat_tenant *t, const store_request *r, int whole_text,
                       error *err)
{
    request_public_card c;
    if (request_public_card_of(rq->core, t, r, &c, err) != 0)
        return NULL;
    return tracking_public_card_json(rq, t, &c, whole_text);
}

static json_t *marker_json(http_req *rq, const store_request *r, const cat_procedure *p)
{
    json_t *m = json_object();
    json_object_set_new(m, "lat", json_real(r->lat));
    json_object_set_new(m, "lon", json_real(r->lon));
    present_set_str_opt(m, "title", web_procedure_name(rq, p));
    present_set_str_opt(m, "status", web_status_label(rq, p, r->status, rq->lang, WEB_CITIZEN));
    present_set_str_opt(m, "address", r->address && *r->address ? r->address : NULL);
    present_set_str_opt(m, "url", incident_url(rq, r->reference));
    return m;
}

/* The «État» filter: «En cours» (the default: the page is about what is still to be done,
 * so that «moi aussi» goes to open problems), «Clos», «Tous». */
typedef enum public_state { STATE_OPEN, STATE_CLOSED, STATE_ALL } public_state;

static public_state state_param(http_req *rq)
{
    const char *v = form_get(&rq->query, "etat");
    if (v && strcmp(v, "clos") == 0)
        return STATE_CLOSED;
    if (v && strcmp(v, "tous") == 0)
        return STATE_ALL;
    return STATE_OPEN;
}

void tracking_public_list(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    const char *want = form_get(&rq->query, "demarche");
    if (want && !*want)
        want = NULL;
    public_state state = state_param(rq);
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
        if (!request_public_procedure(p) || !p->rec.active)
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
    json_object_set_new(ctx, "state_open", json_boolean(state == STATE_OPEN));
    json_object_set_new(ctx, "state_closed", json_boolean(state == STATE_CLOSED));
    json_object_set_new(ctx, "state_all", json_boolean(state == STATE_ALL));
    json_object_set_new(ctx, "filtered", json_boolean(want || state != STATE_OPEN));
    /* Open is what closed_at says (the index's own condition), not a list of statuses. */
    if (state == STATE_OPEN)
        flt.only_open = 1;
    else if (state == STATE_CLOSED)
        flt.n_statuses =
            workflow_tenant_codes(t, WORKFLOW_CODES_CLOSED, flt.statuses, STORE_FILTER_MAX_LIST);

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
        if (!request_public_visible(t, &rows[i], &p))
            continue;
        json_t *card = card_of(rq, t, &rows[i], 0, &err);
        if (!card) {
            json_decref(list);
            json_decref(markers);
            json_decref(ctx);
            http_respond_error(rq, &err);
            return;
        }
        json_array_append_new(list, card);
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
    if (state != STATE_OPEN)
        base = arena_printf(rq->arena, "%setat=%s&", base, state == STATE_CLOSED ? "clos" : "tous");
    tracking_set_pages(rq, ctx, page, total, PUBLIC_PER_PAGE, base);
    web_render(rq, 200, "public/list", ctx);
}

#define NEARBY_RADIUS_DEFAULT 300.0 /* metres: the street around the place */
#define NEARBY_RADIUS_MIN 20.0
#define NEARBY_LIMIT 10

/* The notice of a page a «moi aussi» came back to (?merci=1 or ?deja=1), or nothing. */
static void set_support_notice(http_req *rq, json_t *ctx)
{
    const char *merci = form_get(&rq->query, "merci");
    const char *deja = form_get(&rq->query, "deja");
    if (merci && strcmp(merci, "1") == 0)
        present_set_str_opt(ctx, "notice",
                            present_string(rq->present, rq->lang, "public.notice_thanks"));
    else if (deja && strcmp(deja, "1") == 0)
        present_set_str_opt(ctx, "notice",
                            present_string(rq->present, rq->lang, "public.notice_already"));
}

/* GET /signalements/autour?lat=…&lon=…[&rayon=…]: the public open incidents around a place,
 * nearest first, each with its «moi aussi» button that comes back here. What the report flow
 * shows before filing, and a page of its own without JavaScript. */
void tracking_public_nearby(http_req *rq)
{
    error err;
    error_clear(&err);
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "public.nearby_title"));
    double lat = 0, lon = 0, radius = NEARBY_RADIUS_DEFAULT;
    const char *rayon = form_get(&rq->query, "rayon");
    const char *bad = NULL;
    if (form_decimal(form_get(&rq->query, "lat"), -90, 90, &lat) != 0 ||
        form_decimal(form_get(&rq->query, "lon"), -180, 180, &lon) != 0)
        bad = "public.nearby_error_place";
    else if (rayon && *rayon &&
             form_decimal(rayon, NEARBY_RADIUS_MIN, REQUEST_NEARBY_MAX_METRES, &radius) != 0)
        bad = "public.nearby_error_radius";
    if (bad) {
        present_set_str_opt(ctx, "error", present_string(rq->present, rq->lang, bad));
        web_render(rq, 400, "public/nearby", ctx);
        return;
    }
    request_public_card *cards = NULL;
    size_t n = 0;
    if (request_public_nearby(rq->core, t, lat, lon, radius, NEARBY_LIMIT, rq->arena, &cards, &n,
                              &err) != 0) {
        json_decref(ctx);
        http_respond_error(rq, &err);
        return;
    }
    /* «Moi aussi» comes back to this very place (its own query, without the notice). */
    const char *here = arena_printf(rq->arena, "/signalements/autour?lat=%.6f&lon=%.6f&rayon=%.0f",
                                    lat, lon, radius);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *c = tracking_public_card_json(rq, t, &cards[i], 0);
        json_object_set_new(c, "with_support", json_true());
        present_set_str_opt(c, "support_return", here);
        json_array_append_new(list, c);
    }
    json_object_set_new(ctx, "has_incidents", json_boolean(n > 0));
    json_object_set_new(ctx, "incidents", list);
    present_set_str_opt(ctx, "radius", arena_printf(rq->arena, "%.0f m", radius));
    set_support_notice(rq, ctx);
    web_render(rq, 200, "public/nearby", ctx);
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
    if (!request_public_visible(t, r, p)) {
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
    json_t *card = NULL;
    if (request_timeline(rq->core, t, r.id, 1, rq->arena, &events, &n_events, &err) != 0 ||
        attachment_list(rq->core, t->rec.id, r.id, rq->arena, &atts, &n_atts, &err) != 0 ||
        !(card = card_of(rq, t, &r, 1, &err))) {
        http_respond_error(rq, &err);
        return;
    }
    json_t *ctx = web_context(rq);
    present_set_str_opt(ctx, "title",
                        arena_printf(rq->arena, "%s — %s", web_procedure_name(rq, p),
                                     present_string(rq->present, rq->lang, "public.title_one")));
    json_object_set_new(ctx, "incident", card);

    /* Status changes only: their notes and every message may name someone. */
    json_t *history = json_array();
    for (size_t i = 0; i < n_events; i++) {
        const store_event *e = &events[i];
        if (!e->kind || (strcmp(e->kind, "status") != 0 && strcmp(e->kind, "reopened") != 0) ||
            !e->status_to)
            continue;
        json_t *h = json_object();
        web_set_status(rq, h, p, e->status_to, rq->lang, WEB_CITIZEN);
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
    set_support_notice(rq, ctx);
    web_render(rq, 200, "public/show", ctx);
}

/* What the «moi aussi» continuation answers from (in the request's arena). */
typedef struct support_state {
    const char *reference;
    const char *back; /* a validated `retour`, or NULL: the incident's page */
    int added;        /* filled by core before the continuation runs */
} support_state;

/* The page a «moi aussi» sent from elsewhere on the portal goes back to: a path of this
 * site (form_local_path), not the back office's, without a fragment (the answer adds its
 * query parameters at the end). NULL otherwise. */
static const char *support_return(const form *f)
{
    const char *back = form_get(f, "retour");
    if (!form_local_path(back) || strncmp(back, "/agent", 6) == 0 || strchr(back, '#'))
        return NULL;
    return back;
}

/* Once the «moi aussi» is durable: back to the incident (or to `retour`, naming the
 * incident), thanked or told it counted before. */
static void support_cont(http_req *rq)
{
    const support_state *ss = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc != 0) {
        http_respond_error(rq, &outcome->err);
        return;
    }
    const char *said = ss->added ? "merci=1" : "deja=1";
    if (ss->back)
        http_redirect(rq, arena_printf(rq->arena, "%s%s%s&signalement=%s", ss->back,
                                       strchr(ss->back, '?') ? "&" : "?", said,
                                       tracking_url_encode(rq, ss->reference)));
    else
        http_redirect(rq, arena_printf(rq->arena, "%s?%s", incident_url(rq, ss->reference), said));
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
    const char *back = support_return(&f);
    ss->back = back ? arena_strdup(rq->arena, back) : NULL;
    ss->added = 0;
    rq->user = ss;
    /* The connection waits, suspended, for the durable commit: no pool thread blocks. */
    http_wait *w = http_wait_begin(rq, support_cont);
    int rc =
        request_support(rq->core, t, r.reference, keys, 2, &ss->added, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

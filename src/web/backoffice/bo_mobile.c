/*
 * bo_mobile — the field agents' page (/agent/terrain), made for a phone held in one hand: the
 * open requests near a position (typed, or filled by the browser's geolocation through
 * backoffice.js), one card each with what the agent goes there for (the first photo as a
 * thumbnail, the start of the description, the address, the state) and a link that opens the
 * place in the phone's maps (geo: URI, OpenStreetMap). The actions fold behind «Agir» per card
 * (details/summary, no script): a «Photo des travaux» taken with the camera and attached to an
 * internal note, and «Résolu», which goes through the same request_process as the desk so the
 * citizen is told the same way: photos and resolution are one write, whole or not at all. Only
 * requests the agent may see are listed; every list and change is audited by ids (core writes a
 * change's entry with it).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attachment.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/workflow.h"
#include "core/work.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define NEAR_MAX 30
#define RADIUS_DEFAULT 1000.0
#define RADIUS_MAX 20000.0
#define NOTE_MAX 2000
#define EXCERPT_CHARS 240 /* of a description on a card: enough to recognise the request */

static int parse_coord(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The start of text, cut at a word after at most EXCERPT_CHARS characters, with «…» when
 * cut; NULL when there is none. */
static const char *excerpt(http_req *rq, const char *text)
{
    if (!text || !*text)
        return NULL;
    size_t len = strlen(text);
    size_t keep = utf8_prefix_bytes(text, len, EXCERPT_CHARS);
    if (keep == len)
        return text;
    size_t word = keep;
    while (word > keep / 2 && text[word] != ' ' && text[word] != '\n')
        word--;
    if (word > keep / 2)
        keep = word;
    return arena_printf(rq->arena, "%.*s…", (int)keep, text);
}

/* The card's thumbnail: the request's first photo, its page and its miniature. Nothing when
 * it has none or the list cannot be read (the card is still useful without it). */
static void first_photo(http_req *rq, const cat_tenant *t, const store_request *r, json_t *o)
{
    store_attachment *atts = NULL;
    size_t n = 0;
    error err;
    error_clear(&err);
    if (attachment_list(rq->core, t->rec.id, r->id, rq->arena, &atts, &n, &err) != 0) {
        log_warn("field view: attachments of %s not listed: %s", r->reference, err.detail);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!atts[i].is_photo)
            continue;
        const char *base = arena_printf(rq->arena, "/pieces-jointes/%s/%" PRId64,
                                        bo_url(rq, r->reference), atts[i].id);
        present_set_str_opt(o, "photo_url", base);
        present_set_str_opt(o, "thumb_url", arena_printf(rq->arena, "%s?miniature=1", base));
        return;
    }
}

/* The status «résolu» takes a request of procedure p in status `from` to, when agent a may
 * move it there (core/workflow.h); NULL otherwise. */
static const store_workflow_status *fixed_status(const cat_procedure *p, const store_agent *a,
                                                 const char *from)
{
    const store_workflow_status *fixed = p ? workflow_fixed_status(p->workflow) : NULL;
    return fixed && workflow_transition_allowed(p->workflow, from, fixed->code, bo_role(a), NULL)
               ? fixed
               : NULL;
}

static void render(http_req *rq, const store_agent *a, const cat_tenant *t, int http_status,
                   json_t *extra)
{
    /* The card whose form was refused shows its actions unfolded, next to the message. */
    const char *open_ref = extra ? json_string_value(json_object_get(extra, "open_ref")) : NULL;
    error err;
    error_clear(&err);
    json_t *ctx = bo_context(rq, a);
    if (!ctx) {
        json_decref(extra);
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    present_set_str_opt(ctx, "title",
                        present_string(rq->present, rq->lang, "request_bo.terrain_title"));
    const char *lat_s = form_get(&rq->query, "lat"), *lon_s = form_get(&rq->query, "long");
    const char *rad_s = form_get(&rq->query, "rayon");
    present_set_str_opt(ctx, "lat_value", lat_s);
    present_set_str_opt(ctx, "long_value", lon_s);
    double lat, lon, radius = RADIUS_DEFAULT;
    if (rad_s && *rad_s && parse_coord(rad_s, 50, RADIUS_MAX, &radius) != 0)
        radius = RADIUS_DEFAULT;
    json_t *radii = json_array();
    static const int choices[] = {250, 500, 1000, 2000, 5000};
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "value", json_integer(choices[i]));
        present_set_str_opt(o, "label",
                            choices[i] >= 1000 ? arena_printf(rq->arena, "%d km", choices[i] / 1000)
                                               : arena_printf(rq->arena, "%d m", choices[i]));
        json_object_set_new(o, "selected", json_boolean((int)radius == choices[i]));
        json_array_append_new(radii, o);
    }
    json_object_set_new(ctx, "radii", radii);
    int has_pos = lat_s && lon_s && *lat_s && *lon_s;
    if (has_pos &&
        (parse_coord(lat_s, -90, 90, &lat) != 0 || parse_coord(lon_s, -180, 180, &lon) != 0)) {
        json_t *errors = json_array();
        json_t *e = json_object();
        present_set_str_opt(e, "field", "lat");
        present_set_str_opt(
            e, "message",
            present_string(rq->present, rq->lang, "request_bo.terrain_error_position"));
        json_array_append_new(errors, e);
        json_object_set_new(ctx, "errors", errors);
        json_object_set_new(ctx, "has_errors", json_true());
        has_pos = 0;
        if (http_status == 200)
            http_status = 400; /* a mistake in the form, as on every other form */
    }
    if (has_pos) {
        store_request *rows = NULL;
        double *dist = NULL;
        size_t n = 0;
        if (work_requests_near(rq->core, t, lat, lon, radius, NEAR_MAX * 3, rq->arena, &rows, &dist,
                               &n, &err) != 0) {
            json_decref(ctx);
            json_decref(extra);
            http_respond_error(rq, &err);
            return;
        }
        /* The position travels with each card's form too, so that a refused form comes back
         * with the list around its card (and the others) rather than without it. */
        const char *back = arena_printf(rq->arena, "lat=%s&long=%s&rayon=%.0f", bo_url(rq, lat_s),
                                        bo_url(rq, lon_s), radius);
        int64_t ids[NEAR_MAX * 3];
        size_t n_ids = 0;
        json_t *list = json_array();
        for (size_t i = 0; i < n && n_ids < NEAR_MAX; i++) {
            const store_request *r = &rows[i];
            if (!perm_can_view(a, r))
                continue;
            ids[n_ids++] = r->id;
            const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
            json_t *o = json_object();
            present_set_str_opt(o, "reference", r->reference);
            present_set_str_opt(
                o, "url", arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, r->reference)));
            present_set_str_opt(
                o, "action",
                arena_printf(rq->arena, "/agent/terrain/%s?%s", bo_url(rq, r->reference), back));
            present_set_str_opt(o, "procedure", web_procedure_name(rq, p));
            web_set_status(rq, o, p, r->status, rq->lang, WEB_AGENT);
            present_set_str_opt(o, "address", r->address && *r->address ? r->address : NULL);
            present_set_str_opt(o, "description", excerpt(rq, r->description));
            first_photo(rq, t, r, o);
            if (open_ref && strcmp(open_ref, r->reference) == 0)
                json_object_set_new(o, "open", json_true());
            present_set_str_opt(o, "distance",
                                arena_printf(rq->arena, "%.0f m", dist ? dist[i] : 0.0));
            present_set_str_opt(o, "geo_url",
                                arena_printf(rq->arena, "geo:%.6f,%.6f", r->lat, r->lon));
            present_set_str_opt(
                o, "osm_url",
                arena_printf(rq->arena,
                             "https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=19/%.6f/%.6f",
                             r->lat, r->lon, r->lat, r->lon));
            json_object_set_new(o, "can_change", json_boolean(perm_can_change(a, r)));
            json_object_set_new(o, "can_resolve",
                                json_boolean(fixed_status(p, a, r->status) != NULL));
            present_set_str_opt(o, "id", arena_printf(rq->arena, "d-%s", r->reference));
            json_array_append_new(list, o);
        }
        bo_record_access(rq, a, "list", "request", ids, n_ids);
        json_object_set_new(ctx, "searched", json_true());
        json_object_set_new(ctx, "requests", list);
        json_object_set_new(ctx, "has_requests", json_boolean(n_ids > 0));
        present_set_str_opt(ctx, "back_query", back);
    }
    const char *done = form_get(&rq->query, "fait");
    if (done && (strcmp(done, "photo") == 0 || strcmp(done, "resolu") == 0)) {
        json_t *nt = json_object();
        present_set_str_opt(nt, "kind", "success");
        present_set_str_opt(
            nt, "text",
            present_string(rq->present, rq->lang,
                           arena_printf(rq->arena, "request_bo.terrain_done_%s", done)));
        json_object_set_new(ctx, "notice", nt);
    }
    if (extra) {
        json_object_update(ctx, extra);
        json_decref(extra);
    }
    bo_render(rq, http_status, "agent/mobile", ctx);
}

static void bo_mobile_get(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    render(rq, &a, t, 200, NULL);
}

/* What the field form's continuation needs once its write is durable or refused. */
typedef struct field_state {
    store_agent a;
    const cat_tenant *t;
    const char *reference;
    store_attachment *atts; /* prepared files, discarded when the write fails */
    size_t n_atts;
    const char *done_url;
} field_state;

/* One field error on the page, with `status`. */
static void field_error(http_req *rq, store_agent *a, const cat_tenant *t, const char *reference,
                        const char *msg_key, int http_status)
{
    json_t *extra = json_object();
    json_t *errors = json_array();
    json_t *e = json_object();
    present_set_str_opt(e, "field", arena_printf(rq->arena, "photo-%s", reference));
    present_set_str_opt(e, "message", present_string(rq->present, rq->lang, msg_key));
    json_array_append_new(errors, e);
    json_object_set_new(extra, "errors", errors);
    json_object_set_new(extra, "has_errors", json_true());
    present_set_str_opt(extra, "open_ref", reference);
    render(rq, a, t, http_status, extra);
}

static void field_done(http_req *rq)
{
    field_state *fs = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        http_redirect(rq, fs->done_url);
        return;
    }
    for (size_t k = 0; k < fs->n_atts; k++)
        attachment_discard(core_uploads(rq->core), &fs->atts[k]);
    if (w->err.code == ERR_CONFLICT)
        field_error(rq, &fs->a, fs->t, fs->reference, "request_bo.error_conflict", 409);
    else
        bo_write_refused(rq, &w->err);
}

static void bo_mobile_post(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    error err;
    error_clear(&err);
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_with_files(rq, &f, &files, &n_files) != 0)
        return;
    store_request r;
    if (!bo_open_request(rq, &a, t, rq->params[0], &r))
        return;
    if (!perm_can_change(&a, &r)) {
        bo_forbidden(rq);
        return;
    }
    const char *msg = NULL;
    const char *note = bo_text(rq, form_get(&f, "note"), NOTE_MAX, 0, &msg);
    const char *action = form_get(&f, "action");
    int resolve = action && strcmp(action, "resolu") == 0;
    const store_workflow_status *fixed =
        resolve ? fixed_status(catalogue_procedure_by_id(t, r.procedure_id), &a, r.status) : NULL;
    if (resolve && !fixed) {
        field_error(rq, &a, t, r.reference, "request_bo.error_conflict", 409);
        return;
    }
    store_attachment *atts = n_files ? arena_alloc(rq->arena, n_files * sizeof *atts) : NULL;
    size_t n_atts = 0;
    const char *file_key = NULL; /* why a file was refused */
    int http_status = 400;       /* 503 when the antivirus could not scan a file */
    for (size_t i = 0; i < n_files && atts; i++) {
        attachment_upload up = {files[i].field, files[i].filename, files[i].data, files[i].len};
        error aerr;
        error_clear(&aerr);
        if (attachment_prepare(core_uploads(rq->core), &up, rq->arena, &atts[n_atts], &aerr) == 0) {
            n_atts++;
            continue;
        }
        const char *key;
        int file_status = web_file_refusal(rq, "request_bo.terrain_error_photo", &aerr, &key);
        if (!file_status) {
            for (size_t k = 0; k < n_atts; k++)
                attachment_discard(core_uploads(rq->core), &atts[k]);
            http_respond_error(rq, &aerr);
            return;
        }
        if (file_status >= http_status) {
            http_status = file_status;
            file_key = key;
        }
        if (file_status == 503)
            break; /* the next files would wait for the antivirus as long */
    }
    if (msg || file_key || (!resolve && n_atts == 0)) {
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        field_error(rq, &a, t, r.reference,
                    msg        ? msg
                    : file_key ? file_key
                               : "request_bo.terrain_error_nothing",
                    !msg && file_key ? http_status : 400);
        return;
    }
    const char *back = form_get(&f, "retour");
    int back_ok = back && strncmp(back, "lat=", 4) == 0 && !strchr(back, '/') && strlen(back) < 200;
    field_state *fs = arena_alloc(rq->arena, sizeof *fs);
    if (!fs) {
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    fs->a = a;
    fs->t = t;
    fs->reference = r.reference;
    fs->atts = atts;
    fs->n_atts = n_atts;
    fs->done_url = arena_printf(rq->arena, "/agent/terrain?%s%sfait=%s", back_ok ? back : "",
                                back_ok ? "&" : "", resolve ? "resolu" : "photo");
    rq->user = fs;
    /* The photos (an internal note carrying them) and the resolution in one job: the field
     * visit is written whole or not at all. */
    core_actor who = bo_who(rq, &a);
    request_processing p;
    memset(&p, 0, sizeof p);
    p.change.priority = -1;
    p.change.who = &who;
    p.change.ch = CHANNEL_MOBILE;
    if (n_atts) {
        p.internal_note = present_string(rq->present, rq->lang, "request_bo.terrain_photo_event");
        p.note_attachments = atts;
        p.n_note_attachments = n_atts;
    }
    if (resolve) {
        p.change.status = fixed->code;
        p.change.note = note;
        /* The tracking lookup page, for the e-mails of the status entered (its actions). */
        p.reply_url = arena_printf(rq->arena, "%s/suivi", http_base_url(rq, t));
    }
    http_wait *w = http_wait_begin(rq, field_done);
    int rc = request_process(rq->core, t, r.reference, &p, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_mobile_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/terrain", bo_mobile_get},
    {HTTP_POST | HTTP_ROUTE_FILES, "/agent/terrain/{}", bo_mobile_post},
    {0, NULL, NULL},
};

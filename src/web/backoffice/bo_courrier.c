/*
 * bo_courrier — the post room under /agent/courrier: the letters still to process (being
 * read, read, or set aside with their reason) and the bulk upload of scans; a letter's page
 * with its scan, its OCR text and its three outcomes — filing it as a request of channel post
 * (the intake form, prefilled from the letter: /agent/saisie?courrier=ID), linking it to a
 * request it cites, or discarding it with a reason; its file and its page-1 preview. Every
 * agent who may do intake (perm_can_intake) may, for the whole collectivité: the post has
 * no department before it is filed. Every read of a letter is recorded (courrier_get).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attachment.h"
#include "core/courrier.h"
#include "core/perm.h"
#include "core/request.h"
#include "util/log.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

/* The agent of the page, allowed into the post room: 1, or 0 after answering. */
static int post_agent(http_req *rq, store_agent *a, const cat_tenant **t)
{
    if (!bo_agent(rq, a))
        return 0;
    if (!(*t = web_tenant(rq)))
        return 0;
    if (!perm_can_intake(a)) {
        bo_forbidden(rq);
        return 0;
    }
    return 1;
}

static const char *state_label(bo_page *p, const char *state)
{
    return bo_page_str(p, arena_printf(p->rq->arena, "courrier.state_%s", state));
}

/* The reason of a rejected letter in words (scan_problem_name's key). */
static const char *reason_label(bo_page *p, const store_post_letter *l)
{
    if (!l->reason)
        return NULL;
    if (strcmp(l->state, "rejected") != 0)
        return l->reason; /* an agent's own words */
    const char *s = bo_page_str(p, arena_printf(p->rq->arena, "courrier.reason_%s", l->reason));
    return strncmp(s, "courrier.", 9) == 0 ? l->reason : s;
}

static void list_page(http_req *rq, const store_agent *a, const cat_tenant *t, bo_page *p,
                      int status)
{
    store_post_letter *ls = NULL;
    size_t n = 0;
    error err;
    error_clear(&err);
    if (courrier_list_open(rq->core, t, rq->arena, &ls, &n, &err) != 0) {
        bo_page_fail(p, &err);
        return;
    }
    json_t *rows = json_array();
    int64_t *ids = n ? arena_alloc(rq->arena, n * sizeof *ids) : NULL;
    for (size_t i = 0; i < n; i++) {
        const store_post_letter *l = &ls[i];
        if (ids)
            ids[i] = l->id;
        json_t *o = json_object();
        present_set_str_opt(o, "url", arena_printf(rq->arena, "/agent/courrier/%" PRId64, l->id));
        present_set_str_opt(o, "filename", l->filename);
        present_set_str_opt(o, "received", bo_date(rq, t, l->received_at, 1));
        present_set_str_opt(o, "state", state_label(p, l->state));
        present_set_str_opt(o, "reason", reason_label(p, l));
        if (l->pages > 1)
            present_set_str_opt(
                o, "pages",
                arena_printf(rq->arena, "%d–%d / %d", l->first_page, l->last_page, l->pages));
        json_object_set_new(o, "ready", json_boolean(strcmp(l->state, "queued") != 0));
        json_array_append_new(rows, o);
    }
    bo_record_access(rq, a, "list", "post_letter", ids, ids ? n : 0);
    bo_page_set(p, "letters", rows);
    bo_page_set(p, "has_letters", json_boolean(n > 0));
    bo_page_set(p, "files_hint",
                json_string(web_upload_hint(rq, bo_page_str(p, "courrier.files_hint"))));
    bo_page_render(p, status, "agent/courrier", bo_page_str(p, "courrier.title"));
}

static void bo_courrier_get(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    if (!post_agent(rq, &a, &t))
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    const char *done = form_get(&rq->query, "fait");
    if (done && (strcmp(done, "recus") == 0 || strcmp(done, "rattache") == 0 ||
                 strcmp(done, "ecarte") == 0))
        bo_page_notice(&p, "success",
                       bo_page_str(&p, arena_printf(rq->arena, "courrier.done_%s", done)));
    list_page(rq, &a, t, &p, 200);
}

static const char *name_or_empty(const char *s)
{
    return s ? s : "";
}

/* What the upload's continuation needs once the letters are written. */
typedef struct upload_state {
    store_agent a;
    const cat_tenant *t;
    bo_page p;
    store_attachment *files;
    size_t n;
    int status;
} upload_state;

static void upload_done(http_req *rq)
{
    upload_state *us = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "the upload's write did not report");
        for (size_t i = 0; i < us->n; i++)
            attachment_discard(core_uploads(rq->core), &us->files[i]);
        bo_page_fail(&us->p, w ? &w->err : &err);
        return;
    }
    char count[32];
    snprintf(count, sizeof count, "%zu", us->n);
    char text[300];
    present_fill(text, sizeof text, bo_page_str(&us->p, "courrier.received"), "count", count);
    bo_page_notice(&us->p, "success", text);
    list_page(rq, &us->a, us->t, &us->p, us->status);
}

static void bo_courrier_post(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    if (!bo_agent(rq, &a) || !(t = web_tenant(rq)))
        return;
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_and_files(rq, &f, &files, &n_files) != 0)
        return;
    if (!perm_can_intake(&a)) {
        bo_forbidden(rq);
        return;
    }
    upload_state *us = arena_alloc(rq->arena, sizeof *us);
    if (!us) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    memset(us, 0, sizeof *us);
    us->a = a;
    us->t = t;
    us->status = 200;
    if (bo_page_start(&us->p, rq, &us->a) != 0)
        return;
    us->files = n_files ? arena_alloc(rq->arena, n_files * sizeof *us->files) : NULL;
    /* Each file on its own: a refused one is named with its reason, the others are taken. */
    for (size_t i = 0; i < n_files; i++) {
        const char *name = files[i].filename && *files[i].filename ? files[i].filename : "?";
        if (files[i].len == 0 && !*name_or_empty(files[i].filename))
            continue; /* the file input left empty: the browser sends a nameless part */
        error err;
        error_clear(&err);
        const char *key = NULL;
        int refused_status = 0;
        if (files[i].refused != HTTP_FILE_KEPT) {
            key = files[i].refused == HTTP_FILE_TOO_MANY ? "courrier.refused_too_many"
                                                         : "courrier.refused_too_large";
            refused_status = 400;
        } else {
            attachment_upload up = {"scans", files[i].filename, files[i].data, files[i].len};
            if (us->files &&
                courrier_prepare(rq->core, &up, rq->arena, &us->files[us->n], &err) == 0) {
                us->n++;
                continue;
            }
            refused_status = web_file_refusal(rq, "courrier.refused", &err, &key);
            if (!refused_status) {
                for (size_t k = 0; k < us->n; k++)
                    attachment_discard(core_uploads(rq->core), &us->files[k]);
                bo_page_fail(&us->p, &err);
                return;
            }
        }
        char text[400];
        present_fill(text, sizeof text, bo_page_str(&us->p, "courrier.refused_file"), "name", name);
        bo_page_error(&us->p, "scans",
                      arena_printf(rq->arena, "%s %s", text, bo_page_str(&us->p, key)));
        if (refused_status > us->status)
            us->status = refused_status;
    }
    if (us->n == 0) {
        if (!bo_page_has_errors(&us->p))
            bo_page_error_key(&us->p, "scans", "courrier.error_no_file");
        list_page(rq, &us->a, t, &us->p, us->status == 200 ? 400 : us->status);
        return;
    }
    rq->user = us;
    core_actor who = bo_who(rq, &us->a);
    error err;
    error_clear(&err);
    http_wait *w = http_wait_begin(rq, upload_done);
    int rc = courrier_queue(rq->core, t, &who, us->files, us->n, NULL, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* The letter of the path, read for agent a (recorded): 1, or 0 after answering 404. */
static int letter_of_path(http_req *rq, const store_agent *a, const cat_tenant *t,
                          store_post_letter *l)
{
    int64_t id = bo_admin_id(rq->params[0]);
    int found = 0;
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, a);
    if (id && courrier_get(rq->core, t, &who, id, rq->arena, l, &found, &err) != 0) {
        http_respond_error(rq, &err);
        return 0;
    }
    if (!id || !found) {
        bo_not_found(rq);
        return 0;
    }
    return 1;
}

/* A proposal of the letter (its JSON), NULL when none. */
static const char *proposal(http_req *rq, const store_post_letter *l, const char *name)
{
    json_error_t jerr;
    json_t *j = l->proposals ? json_loads(l->proposals, 0, &jerr) : NULL;
    const char *v = json_string_value(json_object_get(j, name));
    const char *out = v && *v ? arena_strdup(rq->arena, v) : NULL;
    json_decref(j);
    return out;
}

static void letter_page(http_req *rq, const cat_tenant *t, const store_post_letter *l, bo_page *p,
                        int status)
{
    const char *base = arena_printf(rq->arena, "/agent/courrier/%" PRId64, l->id);
    bo_page_set(p, "id", json_integer(l->id));
    bo_page_set(p, "base", json_string(base));
    bo_page_set(p, "filename", json_string(l->filename));
    bo_page_set(p, "received", json_string(bo_date(rq, t, l->received_at, 1)));
    bo_page_set(p, "state", json_string(state_label(p, l->state)));
    const char *reason = reason_label(p, l);
    if (reason)
        bo_page_set(p, "reason", json_string(reason));
    int is_pdf = strcmp(l->content_type, "application/pdf") == 0;
    bo_page_set(p, "file_url", json_string(arena_printf(rq->arena, "%s/fichier", base)));
    /* A PDF's page 1 as the OCR job stored it; none (not read yet, or it did not render): the
     * page says so and links to the file. */
    if (!is_pdf || l->preview)
        bo_page_set(
            p, "preview_url",
            json_string(arena_printf(rq->arena, is_pdf ? "%s/apercu.png" : "%s/fichier", base)));
    bo_page_set(p, "is_pdf", json_boolean(is_pdf));
    if (l->pages > 1)
        bo_page_set(p, "pages",
                    json_string(arena_printf(rq->arena, "%d–%d / %d", l->first_page, l->last_page,
                                             l->pages)));
    if (l->text)
        bo_page_set(p, "text", json_string(l->text));
    bo_page_set(p, "confidence", json_integer(l->confidence));
    int pending = strcmp(l->state, "pending") == 0;
    bo_page_set(p, "pending", json_boolean(pending));
    bo_page_set(p, "queued", json_boolean(strcmp(l->state, "queued") == 0));
    bo_page_set(p, "discardable", json_boolean(pending || strcmp(l->state, "rejected") == 0));
    bo_page_set(
        p, "intake_url",
        json_string(arena_printf(rq->arena, "/agent/saisie?canal=post&courrier=%" PRId64, l->id)));
    const json_t *typed = json_object_get(p->values, "reference");
    if (!typed) {
        const char *cited = proposal(rq, l, "reference");
        if (cited)
            bo_page_value(p, "reference", cited);
    }
    bo_page_render(p, status, "agent/courrier_letter", bo_page_str(p, "courrier.letter_title"));
}

static void bo_courrier_letter(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    store_post_letter l;
    if (!post_agent(rq, &a, &t) || !letter_of_path(rq, &a, t, &l))
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    letter_page(rq, t, &l, &p, 200);
}

/* The letter's bytes: inline (the page shows it), never run as a page of ours. */
static void bo_courrier_file(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    store_post_letter l;
    if (!post_agent(rq, &a, &t) || !letter_of_path(rq, &a, t, &l))
        return;
    char *bytes = NULL;
    size_t len = 0;
    error err;
    error_clear(&err);
    if (courrier_file(rq->core, &l, &bytes, &len, &err) != 0 ||
        buf_append(&rq->out, bytes, len) != 0) {
        free(bytes);
        buf_reset(&rq->out);
        if (err.code == ERR_NONE)
            error_set(&err, ERR_INTERNAL, NULL, "scan over the response's limit");
        http_respond_error(rq, &err);
        return;
    }
    free(bytes);
    http_add_header(rq, "Content-Disposition", "inline");
    http_add_header(rq, "Cache-Control", "private, no-store");
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond(rq, 200, l.content_type);
}

static void bo_courrier_preview(http_req *rq)
{
    store_agent a;
    const cat_tenant *t;
    store_post_letter l;
    if (!post_agent(rq, &a, &t) || !letter_of_path(rq, &a, t, &l))
        return;
    if (!l.preview) {
        bo_not_found(rq); /* the page says why instead of linking here */
        return;
    }
    /* Rendered once and never changed: its random name is its version, so a page shown
     * again revalidates it (304). A scanned letter is personal data: never in the browser's
     * cache (a counter's shared computer), whatever retention later deletes. */
    const char *etag = arena_printf(rq->arena, "\"%s\"", l.preview);
    http_add_header(rq, "ETag", etag);
    http_add_header(rq, "Cache-Control", "private, no-store");
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    const char *inm = http_header(rq, "If-None-Match");
    if (inm && web_etag_matches(inm, etag)) {
        http_respond(rq, 304, NULL);
        return;
    }
    char *png = NULL;
    size_t len = 0;
    error err;
    error_clear(&err);
    if (courrier_preview(rq->core, &l, &png, &len, &err) != 0 ||
        buf_append(&rq->out, png, len) != 0) {
        free(png);
        buf_reset(&rq->out);
        if (err.code == ERR_NONE)
            error_set(&err, ERR_INTERNAL, NULL, "preview over the response's limit");
        http_respond_error(rq, &err);
        return;
    }
    free(png);
    http_respond(rq, 200, "image/png");
}

/* What a decision's continuation needs. */
typedef struct decide_state {
    store_agent a;
    const cat_tenant *t;
    store_post_letter l;
    bo_page p;
    store_attachment att; /* linking: the file's new name, discarded on failure */
    int linking;
} decide_state;

static void decide_done(http_req *rq)
{
    decide_state *ds = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "the decision's write did not report");
        const error *e = w ? &w->err : &err;
        if (ds->linking)
            attachment_discard(core_uploads(rq->core), &ds->att);
        if (ds->linking && strcmp(e->arg, "request") == 0 &&
            (e->code == ERR_FORBIDDEN || e->code == ERR_CONFLICT)) {
            bo_page_error_key(&ds->p, "reference",
                              e->code == ERR_CONFLICT ? "courrier.error_reference_anonymised"
                                                      : "courrier.error_reference_forbidden");
            letter_page(rq, ds->t, &ds->l, &ds->p, e->code == ERR_CONFLICT ? 409 : 403);
            return;
        }
        if (e->code == ERR_CONFLICT || e->code == ERR_NOT_FOUND) {
            bo_page_error_key(&ds->p, ds->linking ? "reference" : "motif",
                              "courrier.error_decided");
            letter_page(rq, ds->t, &ds->l, &ds->p, 409);
            return;
        }
        bo_page_fail(&ds->p, e);
        return;
    }
    bo_page_discard(&ds->p);
    http_redirect(rq,
                  ds->linking ? "/agent/courrier?fait=rattache" : "/agent/courrier?fait=ecarte");
}

/* A decision's POST: the agent, the token, the letter; 1 with *ds set, or 0 after answering. */
static int decide_start(http_req *rq, decide_state **out, form *f)
{
    decide_state *ds = arena_alloc(rq->arena, sizeof *ds);
    if (!ds) {
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return 0;
    }
    memset(ds, 0, sizeof *ds);
    if (!post_agent(rq, &ds->a, &ds->t) || bo_form(rq, f) != 0 ||
        !letter_of_path(rq, &ds->a, ds->t, &ds->l) || bo_page_start(&ds->p, rq, &ds->a) != 0)
        return 0;
    rq->user = ds;
    *out = ds;
    return 1;
}

static void bo_courrier_link(http_req *rq)
{
    decide_state *ds;
    form f;
    if (!decide_start(rq, &ds, &f))
        return;
    const char *ref = form_get(&f, "reference");
    ref = ref ? bo_trim(rq, ref) : NULL;
    bo_page_value(&ds->p, "reference", ref ? ref : "");
    store_request r;
    error err;
    error_clear(&err);
    if (strcmp(ds->l.state, "pending") != 0) {
        bo_page_error_key(&ds->p, "reference", "courrier.error_decided");
        letter_page(rq, ds->t, &ds->l, &ds->p, 409);
        return;
    }
    if (!ref || !*ref) {
        bo_page_error_key(&ds->p, "reference", "courrier.error_reference_missing");
        letter_page(rq, ds->t, &ds->l, &ds->p, 400);
        return;
    }
    /* A request the agent may not see is as unknown as one that does not exist. */
    if (!request_reference_ok(ref) || request_get(rq->core, ds->t, ref, rq->arena, &r, &err) != 0 ||
        !perm_can_view(&ds->a, &r)) {
        if (err.code != ERR_NONE && err.code != ERR_NOT_FOUND) {
            bo_page_fail(&ds->p, &err);
            return;
        }
        bo_page_error_key(&ds->p, "reference", "courrier.error_reference_unknown");
        letter_page(rq, ds->t, &ds->l, &ds->p, 400);
        return;
    }
    /* Linking adds to the request: seeing it is not enough (checked again in the write). */
    if (r.anonymised_at || !perm_can_change(&ds->a, &r)) {
        bo_page_error_key(&ds->p, "reference",
                          r.anonymised_at ? "courrier.error_reference_anonymised"
                                          : "courrier.error_reference_forbidden");
        letter_page(rq, ds->t, &ds->l, &ds->p, r.anonymised_at ? 409 : 403);
        return;
    }
    if (courrier_attachment(rq->core, ds->t, &ds->l, rq->arena, &ds->att, &err) != 0) {
        /* The letter's pages could not be cut out of its scan: it stays to process, and
         * never goes whole (the batch's other letters with it). */
        if (courrier_is_uncut(&err)) {
            bo_page_error_key(&ds->p, "reference", "courrier.error_cut");
            letter_page(rq, ds->t, &ds->l, &ds->p, 400);
            return;
        }
        bo_page_fail(&ds->p, &err);
        return;
    }
    ds->linking = 1;
    core_actor who = bo_who(rq, &ds->a);
    http_wait *w = http_wait_begin(rq, decide_done);
    int rc = courrier_link(rq->core, ds->t, &who, &ds->l, &r, &ds->att, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void bo_courrier_discard(http_req *rq)
{
    decide_state *ds;
    form f;
    if (!decide_start(rq, &ds, &f))
        return;
    const char *msg = NULL;
    const char *reason = bo_text(rq, form_get(&f, "motif"), COURRIER_REASON_MAX, 1, &msg);
    bo_page_value(&ds->p, "motif", form_get(&f, "motif"));
    if (msg) {
        bo_page_error_key(&ds->p, "motif", msg);
        letter_page(rq, ds->t, &ds->l, &ds->p, 400);
        return;
    }
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, &ds->a);
    http_wait *w = http_wait_begin(rq, decide_done);
    int rc = courrier_discard(rq->core, ds->t, &who, &ds->l, reason, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route bo_courrier_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/courrier", bo_courrier_get},
    {HTTP_POST | HTTP_ROUTE_FILES, "/agent/courrier", bo_courrier_post},
    {HTTP_GET | HTTP_HEAD, "/agent/courrier/{}", bo_courrier_letter},
    {HTTP_GET | HTTP_HEAD, "/agent/courrier/{}/fichier", bo_courrier_file},
    {HTTP_GET | HTTP_HEAD, "/agent/courrier/{}/apercu.png", bo_courrier_preview},
    {HTTP_POST, "/agent/courrier/{}/rattacher", bo_courrier_link},
    {HTTP_POST, "/agent/courrier/{}/ecarter", bo_courrier_discard},
    {0, NULL, NULL},
};

/*
 * bo_admin_trust — the collectivité's trust anchors for signed PDF files under
 * /agent/admin/certificats, for admins: the list (subject, validity, SHA-256 fingerprint), a CA
 * certificate added by upload or pasted as PEM, and removal. Both are core's
 * (trust_anchor_add_as, trust_anchor_remove_as: the change and its "admin" audit entry in one
 * job); the page waits for them with its connection suspended.
 */
#include <string.h>
#include <time.h>

#include "core/trust_anchor.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/certificats"

static void anchors_render(bo_page *p, int status)
{
    http_req *rq = p->rq;
    store_trust_anchor *rows = NULL;
    size_t n = 0;
    error e;
    if (trust_anchor_list(rq->core, bo_admin_tenant(rq), rq->arena, &rows, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    int64_t now = (int64_t)time(NULL);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(rows[i].id));
        present_set_str(o, "subject", rows[i].subject);
        present_set_str(o, "not_before", bo_admin_when(rq, rows[i].not_before));
        present_set_str(o, "not_after", bo_admin_when(rq, rows[i].not_after));
        present_set_str(o, "fingerprint", rows[i].fingerprint);
        json_object_set_new(o, "expired", json_boolean(rows[i].not_after < now));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "anchors", list);
    bo_page_render(p, status, "agent/admin/trust_anchors", bo_page_str(p, "admin.trust.title"));
}

static void anchors_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    anchors_render(&p, 200);
}

static int add_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const char *pem = bo_admin_field(&st->f, "certificate");
    size_t len = strlen(pem);
    /* A file sent takes the place of the field. */
    for (size_t i = 0; i < st->n_files; i++) {
        const http_file *file = &st->files[i];
        if (strcmp(file->field, "fichier") != 0 || (file->refused == HTTP_FILE_KEPT && !file->len))
            continue;
        if (file->refused != HTTP_FILE_KEPT)
            return error_set(e, ERR_INVALID_ARG, "certificate", "the file is over %s",
                             web_upload_limits_of(rq).size_words);
        pem = file->data;
        len = file->len;
    }
    if (!len)
        return error_set(e, ERR_INVALID_ARG, "certificate", "missing");
    return trust_anchor_add_as(rq->core, &st->who, bo_admin_tenant(rq), pem, len, rq->arena,
                               &st->id, http_wait_done, w, e);
}

/* Not a CA certificate, one the collectivité has, or one too many. */
static int add_refused(const error *e)
{
    return e->code == ERR_INVALID_ARG || e->code == ERR_CONFLICT || e->code == ERR_TOO_LARGE;
}

/* The form again, the error beside the field, what was pasted kept. */
static void add_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    const error *e = &w->err;
    const char *key = e->code == ERR_CONFLICT             ? "admin.trust.error_taken"
                      : e->code == ERR_TOO_LARGE          ? "admin.trust.error_too_many"
                      : strcmp(e->detail, "missing") == 0 ? "admin.trust.error_missing"
                      : strstr(e->detail, "not a CA")     ? "admin.trust.error_not_ca"
                                                          : "admin.trust.error_certificate";
    bo_page_error_key(p, "certificate", key);
    bo_page_value(p, "certificate", bo_admin_field(&st->f, "certificate"));
    anchors_render(p, 400);
}

static const bo_admin_cycle add_cycle = {.tab = TAB,
                                         .done = "trust_anchor_added",
                                         .takes_files = 1,
                                         .apply = add_apply,
                                         .refused = add_refused,
                                         .render = add_render};

static void anchor_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &add_cycle);
}

static int remove_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    return trust_anchor_remove_as(p->rq->core, &st->who, bo_admin_tenant(p->rq), st->id,
                                  http_wait_done, w, e);
}

static const bo_admin_cycle remove_cycle = {
    .tab = TAB, .done = "trust_anchor_removed", .takes_id = 1, .apply = remove_apply};

static void anchor_remove_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &remove_cycle);
}

const http_route bo_admin_trust_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, anchors_get},
    {HTTP_POST | HTTP_ROUTE_FILES, TAB, anchor_post},
    {HTTP_POST, TAB "/{}/supprimer", anchor_remove_post},
    {0, NULL, NULL},
};

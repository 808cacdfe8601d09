/*
 * bo_admin_common — what the administration's pages share (private to bo_admin_*.c,
 * bo_retention.c, bo_rgpd.c and bo_parapheur.c; JSON strings go through present_set_str): form
 * fields, dates in the collectivité's zone, the field an error names, who acts (the admin as a
 * core_actor, for core's access rules and audit), the state an administrative write keeps while its
 * connection waits, suspended, for the commit, and the form cycle built on it (bo_admin_cycle_run).
 * The tabs, the admin check and the «fait» notices are in bo_common.h (bo_admin_page,
 * bo_admin_form, bo_admin_tabs, bo_admin_done, bo_admin_id).
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_ADMIN_COMMON_H
#define GUICHET_WEB_BACKOFFICE_BO_ADMIN_COMMON_H

#include <jansson.h>
#include <stdint.h>

#include "core/actor.h"
#include "http/http.h"
#include "present/present.h"
#include "util/form.h"
#include "web/backoffice/bo_common.h"

/* The collectivité of the request (every admin route has one: bo_admin checks it). */
int64_t bo_admin_tenant(http_req *rq);
/* A form field, "" when absent. */
const char *bo_admin_field(const form *f, const char *name);
/* A checkbox: present and "1" or "on". */
int bo_admin_checked(const form *f, const char *name);
/* "2026-11-29 08:30" in the collectivité's zone ("" for t <= 0), in rq->arena. */
const char *bo_admin_when(http_req *rq, int64_t t);
/* RFC 3339 in the collectivité's zone, in rq->arena. */
const char *bo_admin_iso(http_req *rq, int64_t t);
/* The form field that err->arg names when it starts with one of `known` (NULL-terminated),
 * else fallback. */
const char *bo_admin_error_field(const error *e, const char *const *known, const char *fallback);

/* What an administrative POST keeps in rq->user while its write commits: the admin (copied,
 * so that `who` stays valid once the handler has returned), the form, and what core writes
 * back. */
typedef struct bo_admin_write {
    store_agent agent;
    core_actor who; /* agent points to `agent` above */
    form f;
    int64_t id; /* the record: the route's {} (bo_admin_cycle.takes_id), or set by core once
                   durable */
    void *page; /* the handler's own state, if any (rq->arena) */
    const struct bo_admin_cycle *cycle; /* the cycle it runs, if any */
    http_file *files;                   /* a cycle with takes_files: the form's files (rq->arena) */
    size_t n_files;
} bo_admin_write;

/* Allocates the state in rq->arena, with page_size zeroed bytes of the handler's own in
 * ->page when page_size > 0, and sets rq->user: NULL after answering 500. */
bo_admin_write *bo_admin_write_new(http_req *rq, const store_agent *a, const form *f,
                                   size_t page_size);
/* In the continuation: the state and the outcome of the write (see http_wait_result). */
bo_admin_write *bo_admin_write_of(http_req *rq);

/* One administrative form's cycle, so that each page says only what is its own: the admin
 * check and the CSRF token, the form read and checked, core's write started and waited for
 * with the connection suspended, then the redirect with «fait», or the page again with the
 * errors tied to their fields and what was typed kept. A page's POST route calls
 * bo_admin_cycle_run with its cycle, a static const. */
typedef struct bo_admin_cycle {
    const char *tab;  /* the page: its tab, and where «fait» sends */
    const char *done; /* the «fait» key after the write; NULL: the page is rendered instead */
    int takes_id;     /* the route's {} is a record's id: 404 unless one; in st->id */
    int takes_files;  /* multipart with files (its route flagged HTTP_ROUTE_FILES): in
                         st->files, a file over --max-upload with data "" and its length */
    size_t page_size; /* bytes of the handler's own state, zeroed, in st->page */
    /* May be NULL. Before any write: marks the form's errors on p (bo_page_error*); when it
     * marked any, nothing is written and render answers (w NULL). */
    void (*check)(bo_page *p, bo_admin_write *st);
    /* Starts core's write with http_wait_done and w as its callback (p: the page's strings,
     * dropped afterwards); returns as that call does (-1 with e: refused at once). */
    int (*apply)(bo_page *p, bo_admin_write *st, http_wait *w, error *e);
    /* May be NULL (none is). Whether a failed write's error is the form's to show again
     * rather than an error page; ERR_NOT_FOUND otherwise is the 404 page. */
    int (*refused)(const error *e);
    /* May be NULL when done is set and nothing is refused or checked. Renders the page, the
     * administration's tabs set: after the write (w its outcome: a refusal, or a success when
     * done is NULL) or after check's errors (w NULL); what was typed is in st->f. */
    void (*render)(bo_page *p, bo_admin_write *st, const http_wait *w);
} bo_admin_cycle;

/* Runs cycle c for rq; the answer comes from it (now, or once the write is durable). */
void bo_admin_cycle_run(http_req *rq, const bo_admin_cycle *c);

#endif

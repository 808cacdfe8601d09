/*
 * bo_admin_common — what the administration's pages share (private to bo_admin_*.c,
 * bo_retention.c and bo_rgpd.c; JSON strings go through present_set_str): form fields, dates in the
 * collectivité's zone, the field an error names, who acts (the admin as a core_actor, for core's
 * access rules and audit), and the state an administrative write keeps while its connection waits,
 * suspended, for the commit. The tabs, the admin check and the «fait» notices are in bo_common.h
 * (bo_admin_page, bo_admin_form, bo_admin_tabs, bo_admin_done, bo_admin_id).
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
    int64_t id; /* the record written, set by core once durable */
    void *page; /* the handler's own state, if any (rq->arena) */
} bo_admin_write;

/* Allocates the state in rq->arena, with page_size zeroed bytes of the handler's own in
 * ->page when page_size > 0, and sets rq->user: NULL after answering 500. */
bo_admin_write *bo_admin_write_new(http_req *rq, const store_agent *a, const form *f,
                                   size_t page_size);
/* In the continuation: the state and the outcome of the write (see http_wait_result). */
bo_admin_write *bo_admin_write_of(http_req *rq);

#endif

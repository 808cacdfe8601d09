/*
 * admin — configuration writes made by administrators and the CLI (tenants, departments,
 * procedures, reply templates), each validated, committed as one job with its "admin" audit
 * entry (when the actor is audited: agents, not the CLI) and followed by a catalogue reload;
 * the audit log read for the administration's page; and the bulk import of request history
 * (demo data, migrations from another tool) with given timestamps, statuses and timelines.
 */
#ifndef GUICHET_CORE_ADMIN_H
#define GUICHET_CORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

/* Requests written per write job by admin_import_requests: large enough that 100,000
 * requests take about a hundred commits, small enough that a job never holds the writer
 * (and a server's clients) for long. */
#define ADMIN_IMPORT_BATCH 1000

/* Creates or updates the tenant with t->slug (slug: lowercase letters, digits and '-'; name
 * required). t->hosts, when not NULL, replaces its host names: names separated by spaces,
 * without scheme, port or path (ERR_INVALID_ARG "hosts"), kept lowercased; a name another
 * tenant has is refused (ERR_CONFLICT "hosts", naming it and its tenant). NULL keeps the
 * names it has. Host names choose the tenant of a request and build the links sent to
 * citizens: only a server-wide administrator (the CLI) gives them. Sets *id_out (may be
 * NULL). Reloads the catalogue. 0 or -1 with err. */
int admin_tenant_upsert_as(core *c, const core_actor *who, const store_tenant *t, int64_t *id_out,
                           core_done_fn cb, void *ctx, error *err);

/* The rules a department's and a procedure's own fields keep, whoever saves them (the upserts
 * below, an import of definitions: core/procdef.h): 0, or -1 with ERR_INVALID_ARG, err->arg
 * the field at fault and err->detail saying what is wrong (English). References to a tenant,
 * department or workflow are the caller's to check. */
int admin_department_check(const store_department *d, error *err);
int admin_procedure_check(const store_procedure *p, error *err);
/* Creates or updates department d->code of tenant d->tenant_id (which must exist). Sets
 * *id_out (may be NULL). Reloads the catalogue. */
int admin_department_upsert_as(core *c, const core_actor *who, const store_department *d,
                               int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* The longest change summary kept with a new version of a procedure's form. */
#define PROCEDURE_SUMMARY_MAX 200

/* Creates or updates procedure p->code of tenant p->tenant_id. Its attribute definitions
 * must parse (core/attrs.h) and its department, when set, must belong to the same tenant.
 * When its attributes differ from its form's latest version, the next version is made,
 * naming who ("agent:<id>", else "cli") and p->version_summary (at most
 * PROCEDURE_SUMMARY_MAX bytes, may be NULL). Sets *id_out (may be NULL). Reloads the
 * catalogue. */
int admin_procedure_upsert_as(core *c, const core_actor *who, const store_procedure *p,
                              int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* Creates or updates a reply template of tenant t->tenant_id (see tx_reply_template_upsert:
 * t->id 0 replaces the body of the template of the same name). name required, body 1 to
 * 10,000 bytes. */
int admin_reply_template_upsert_as(core *c, const core_actor *who, const store_reply_template *t,
                                   int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* Every change above is made by `who` (its "admin" entry, with the record's id, is written
 * in the change's own transaction when who is audited) and answers like change_run: cb
 * NULL waits; otherwise 0 once queued and cb(ctx, rc, err) once durable or failed, the
 * record (its strings), who's strings and id_out staying valid until then. t->id names the
 * tenant of a tenant's entry. Refusals found before the write (ERR_INVALID_ARG) return -1
 * at once, without a callback.
 *
 * The same as the command line (actor_cli: not audited), waiting: for tools and tests. */
int admin_tenant_upsert(core *c, const store_tenant *t, int64_t *id_out, error *err);
int admin_department_upsert(core *c, const store_department *d, int64_t *id_out, error *err);
int admin_procedure_upsert(core *c, const store_procedure *p, int64_t *id_out, error *err);

/* ---- the audit log, for the administration's page ---- */

/* The tenant's entries with an id above after_id, oldest first, at most limit (array and
 * strings in a). */
int admin_audit_list(core *c, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                     store_audit **out, size_t *n, error *err);
/* The entries matching f (its tenant's), newest first (array and strings in a). */
int admin_audit_search(core *c, const store_audit_filter *f, arena *a, store_audit **out, size_t *n,
                       error *err);
/* The references of the tenant's requests among ids (at most STORE_AUDIT_NAMES_MAX), to
 * name the requests entries list; unknown (erased) ids are left out. */
int admin_audit_request_names(core *c, int64_t tenant_id, const int64_t *ids, size_t n_ids,
                              arena *a, store_request_name **out, size_t *n, error *err);
/* The tenant's latest entry: *found 0 when it has none. */
int admin_audit_last(core *c, int64_t tenant_id, arena *a, store_audit *out, int *found,
                     error *err);

/* One timeline entry of an imported request (see store_event). */
typedef struct admin_import_event {
    int64_t created_at; /* >= the request's created_at */
    const char *kind;   /* created, status, note, assign, priority, department */
    int is_public;
    const char *actor;
    const char *channel;
    const char *status_from, *status_to;
    const char *body;
} admin_import_event;

/* One imported request. In rec, id, reference and token_hash are ignored: the store numbers
 * the request in the year of rec.created_at and a fresh tracking token is drawn (its clear
 * text is not kept: imported history is followed by agents, not by token). rec.status and
 * rec.channel must be known codes, rec.procedure_id a procedure of rec.tenant_id, and
 * rec.updated_at (0: the last event's time) no earlier than rec.created_at. */
typedef struct admin_import_request {
    store_request rec;
    const admin_import_event *events; /* oldest first; include the "created" event */
    size_t n_events;
} admin_import_request;

/* Checks every request first (nothing is written when one is wrong: -1 with
 * ERR_INVALID_ARG naming "requests[i]..."), then writes them in jobs of ADMIN_IMPORT_BATCH,
 * each durable before the next starts. On a storage failure the jobs already committed stay:
 * *n_written (may be NULL) says how many requests were written. */
int admin_import_requests(core *c, const admin_import_request *reqs, size_t n, size_t *n_written,
                          error *err);

#endif

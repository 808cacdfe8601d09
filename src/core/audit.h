/*
 * audit — the RGPD access log: every view, search, list, export and change of personal data
 * by an agent or through the JSON API, appended to a hash-chained, append-only table. An entry
 * holds ids, never personal data (no names, search terms or messages), so anonymising a
 * request never touches the chain. Each entry's hash is SHA-256 over the previous entry's
 * hash and the entry's canonical fields; audit_verify walks the chain.
 */
#ifndef GUICHET_CORE_AUDIT_H
#define GUICHET_CORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define AUDIT_MAX_IDS 1000   /* ids per entry; longer lists are split into entries */
#define AUDIT_FIELD_MAX 64   /* actor, action, object kind */
#define AUDIT_SOURCE_MAX 100 /* "web 192.0.2.1", "api 2001:db8::1", "cli" */
#define AUDIT_HASH_LEN 65    /* hex SHA-256 + NUL */
#define AUDIT_RETENTION_DAYS_DEFAULT 365
#define AUDIT_RETENTION_DAYS_MIN 180 /* CNIL: 6 to 12 months */
#define AUDIT_RETENTION_DAYS_MAX 365

/* Records one entry and waits for it to be durable. actor: "agent:<id>", "api:<key id>",
 * "cli", "system" or "citizen"; action: "view", "list", "search", "export", "change", "create",
 * "login", ...; object_kind: "request", "contact", "agent", ...; ids[n] the records concerned
 * (n may be 0); source: where from ("web <address>", "api <address>", "cli"). Every text
 * field is checked to be printable ASCII without personal data shapes ('@' refused).
 * -1 with ERR_INVALID_ARG naming the field. */
int audit_record(core *c, int64_t tenant_id, const char *actor, const char *action,
                 const char *object_kind, const int64_t *ids, size_t n, const char *source,
                 error *err);
/* The same without waiting: done(ctx, rc, err) is called once it is durable or failed (from
 * the writer's thread); done may be NULL (a failure is then logged loudly). */
int audit_record_async(core *c, int64_t tenant_id, const char *actor, const char *action,
                       const char *object_kind, const int64_t *ids, size_t n, const char *source,
                       core_done_fn done, void *ctx, error *err);

/* The same from inside a write job (a core operation's apply; s is the job's store), so that
 * a change, or a read that must be recorded (an export), and its entry commit together or
 * not at all: appends to the chain as the job's transaction sees it. at: the entry's time
 * (0: now). Same checks and errors as audit_record; -1 fails the job whole. */
int audit_append_tx(store *s, int64_t tenant_id, int64_t at, const char *actor, const char *action,
                    const char *object_kind, const int64_t *ids, size_t n, const char *source,
                    error *err);

/* The audit policy applied by core, for every entrance alike (see actor_audited): inside a
 * change's own write job, appends the entry when `who` is audited and does nothing
 * otherwise, so that the change and its entry commit together or not at all. The entry's
 * actor, agent id and source come from `who`. Same checks and errors as audit_append_tx. */
int audit_change_tx(store *s, int64_t tenant_id, const core_actor *who, const char *action,
                    const char *object_kind, const int64_t *ids, size_t n, error *err);
/* The same whoever acts, for the operations that are audited whatever the actor's kind (an
 * account deleted, an export, an erasure, a bordereau built by the system): appends the
 * entry with who's audit label and source. Same checks and errors as audit_append_tx. */
int audit_append_who_tx(store *s, int64_t tenant_id, const core_actor *who, const char *action,
                        const char *object_kind, const int64_t *ids, size_t n, error *err);
/* A read of personal data by `who` (view, list, search, export): recorded in the background
 * when `who` is audited (a failure is logged loudly); nothing otherwise. Reads do not wait
 * for their entry: the page is already on its way. */
void audit_record_access(core *c, int64_t tenant_id, const core_actor *who, const char *action,
                         const char *object_kind, const int64_t *ids, size_t n);

/* Computes the hash of an entry from its fields and prev_hash (hex, 64 chars). */
void audit_entry_hash(const store_audit *e, char out[AUDIT_HASH_LEN]);

/* Walks the tenant's chain from its first entry. 0 when intact (*n_checked entries, may be
 * NULL). -1 with ERR_CONFLICT and *first_bad_id set to the first entry whose hash or link is
 * wrong; -1 with another code (and *first_bad_id 0) when the store fails. The first entry
 * must link to 64 zeros, or be the anchor recorded by the last purge. */
int audit_verify(core *c, int64_t tenant_id, int64_t *first_bad_id, int64_t *n_checked, error *err);
/* Deletes the tenant's entries older than `before` (unix seconds) and records the first
 * remaining one as the chain's new anchor. *n_deleted may be NULL. */
int audit_purge(core *c, int64_t tenant_id, int64_t before, int64_t *n_deleted, error *err);

/* The retention in days: the server-wide setting "audit_retention_days" (180-365), else
 * AUDIT_RETENTION_DAYS_DEFAULT. */
int audit_retention_days(core *c, int *days, error *err);

#endif

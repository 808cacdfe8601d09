/*
 * audit — the hash-chained access log. Each entry's hash is hex SHA-256 over a versioned,
 * newline-separated canonical form of (prev_hash, tenant, at, agent id, actor, action, kind,
 * ids, source); every field is checked to be printable ASCII without newlines, so the form
 * is unambiguous. The entry id is left out: it is the store's, and a deleted or inserted row
 * already breaks the link of the row after it. Appends read the last hash inside their write
 * job, on the writer's connection, so concurrent appends are serialised by the writer and
 * never fork the chain.
 */
#include "core/audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_VERIFY_PAGE 512
/* The setting holding the anchor left by the last purge of tenant N: "audit_anchor.N". */
#define AUDIT_ANCHOR_SETTING "audit_anchor."

/* Printable ASCII, no newline, no '@' (an e-mail address is personal data), bounded. */
static int field_ok(const char *s, size_t max, int required)
{
    if (!s || !*s)
        return !required;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++)
        if (*p < 0x20 || *p > 0x7e || *p == '@' || n >= max)
            return 0;
    return 1;
}

/* "agent:<digits>", "api:<digits>", "cli", "system" or "citizen" (a citizen acting on their
 * own data, e.g. deleting their account; the entry names the account by its id): the agent
 * id, or 0. -1 otherwise. */
static int parse_actor(const char *actor, int64_t *agent_id)
{
    *agent_id = 0;
    if (!actor)
        return -1;
    if (strcmp(actor, "cli") == 0 || strcmp(actor, "system") == 0 || strcmp(actor, "citizen") == 0)
        return 0;
    const char *digits = NULL;
    if (strncmp(actor, "agent:", 6) == 0)
        digits = actor + 6;
    else if (strncmp(actor, "api:", 4) == 0)
        digits = actor + 4;
    if (!digits || !*digits || strlen(digits) > 18)
        return -1;
    int64_t v = 0;
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0)
        return -1;
    if (actor[1] == 'g')
        *agent_id = v;
    return 0;
}

static int action_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= AUDIT_FIELD_MAX)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

void audit_entry_hash(const store_audit *e, char out[AUDIT_HASH_LEN])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    char num[64];
    const char *fields[] = {e->prev_hash,   e->actor,      e->action,
                            e->object_kind, e->object_ids, e->source};
    crypto_hash_sha256_update(&st, (const unsigned char *)"guichet-audit-v1\n", 17);
    int len = snprintf(num, sizeof num, "%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n", e->tenant_id,
                       e->at, e->agent_id);
    crypto_hash_sha256_update(&st, (const unsigned char *)num, (unsigned long long)len);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *f = fields[i] ? fields[i] : "";
        crypto_hash_sha256_update(&st, (const unsigned char *)f, strlen(f));
        crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, AUDIT_HASH_LEN, h, sizeof h);
}

/* One append request: its own copies, since the async caller does not wait. */
typedef struct audit_job {
    store_job job;
    int64_t tenant_id, at, agent_id;
    char actor[AUDIT_FIELD_MAX], action[AUDIT_FIELD_MAX], kind[AUDIT_FIELD_MAX];
    char source[AUDIT_SOURCE_MAX];
    char *ids; /* "1,2,3" chunks separated by ';' (one entry per chunk); NULL: none */
    core_done_fn done;
    void *ctx;
} audit_job;

static void audit_job_free(audit_job *j)
{
    if (!j)
        return;
    free(j->ids);
    free(j);
}

static int append_one(store *s, audit_job *j, const char *ids, char prev[AUDIT_HASH_LEN],
                      error *err)
{
    char hash[AUDIT_HASH_LEN];
    store_audit e = {.tenant_id = j->tenant_id,
                     .at = j->at,
                     .agent_id = j->agent_id,
                     .actor = j->actor,
                     .action = j->action,
                     .object_kind = j->kind[0] ? j->kind : NULL,
                     .object_ids = ids,
                     .source = j->source[0] ? j->source : NULL,
                     .prev_hash = prev};
    audit_entry_hash(&e, hash);
    e.hash = hash;
    int64_t id = 0;
    if (s->ops->audit.tx_append(s, &e, &id, err) != 0)
        return -1;
    memcpy(prev, hash, AUDIT_HASH_LEN);
    return 0;
}

static int apply_append(store *s, void *arg, error *err)
{
    audit_job *j = arg;
    arena a;
    arena_init(&a, 0);
    int rc = -1;
    store_audit last;
    int found = 0;
    char prev[AUDIT_HASH_LEN];
    if (s->ops->audit.last(s, j->tenant_id, &a, &last, &found, err) != 0)
        goto cleanup;
    if (found && last.hash && strlen(last.hash) == AUDIT_HASH_LEN - 1)
        memcpy(prev, last.hash, AUDIT_HASH_LEN);
    else if (found) {
        error_set(err, ERR_INTERNAL, NULL, "audit: last entry %" PRId64 " has no valid hash",
                  last.id);
        goto cleanup;
    } else
        memcpy(prev, AUDIT_ZERO_HASH, AUDIT_HASH_LEN);
    if (!j->ids) {
        rc = append_one(s, j, NULL, prev, err);
        goto cleanup;
    }
    for (char *chunk = j->ids; chunk;) {
        char *next = strchr(chunk, ';');
        if (next)
            *next++ = '\0';
        if (append_one(s, j, chunk, prev, err) != 0)
            goto cleanup;
        chunk = next;
    }
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

static void done_append(void *arg, int rc, const error *err)
{
    audit_job *j = arg;
    if (rc != 0)
        log_error("audit: entry %s %s not recorded: %s", j->action, j->kind,
                  err ? err->detail : "");
    if (j->done)
        j->done(j->ctx, rc, err);
    audit_job_free(j);
}

/* Checks the fields and builds the job (caller queues it). NULL with err filled. */
static audit_job *make_job(int64_t tenant_id, const char *actor, const char *action,
                           const char *object_kind, const int64_t *ids, size_t n,
                           const char *source, error *err)
{
    int64_t agent_id = 0;
    if (tenant_id <= 0) {
        error_set(err, ERR_INVALID_ARG, "tenant", "audit: no tenant");
        return NULL;
    }
    if (parse_actor(actor, &agent_id) != 0) {
        error_set(err, ERR_INVALID_ARG, "actor",
                  "audit: actor must be agent:<id>, api:<id>, "
                  "cli, system or citizen");
        return NULL;
    }
    if (!action_ok(action)) {
        error_set(err, ERR_INVALID_ARG, "action", "audit: invalid action");
        return NULL;
    }
    if (object_kind && *object_kind && !action_ok(object_kind)) {
        error_set(err, ERR_INVALID_ARG, "object_kind", "audit: invalid object kind");
        return NULL;
    }
    if (!field_ok(source, AUDIT_SOURCE_MAX, 0)) {
        error_set(err, ERR_INVALID_ARG, "source", "audit: invalid source");
        return NULL;
    }
    if (n > 0 && !ids) {
        error_set(err, ERR_INVALID_ARG, "ids", "audit: ids missing");
        return NULL;
    }
    audit_job *j = calloc(1, sizeof *j);
    if (!j) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    j->tenant_id = tenant_id;
    j->at = time_now();
    j->agent_id = agent_id;
    snprintf(j->actor, sizeof j->actor, "%s", actor);
    snprintf(j->action, sizeof j->action, "%s", action);
    snprintf(j->kind, sizeof j->kind, "%s", object_kind ? object_kind : "");
    snprintf(j->source, sizeof j->source, "%s", source ? source : "");
    if (n > 0) {
        buf b;
        buf_init(&b, (size_t)21 * n + 16);
        for (size_t i = 0; i < n; i++) {
            if (ids[i] <= 0) {
                buf_free(&b);
                audit_job_free(j);
                error_set(err, ERR_INVALID_ARG, "ids", "audit: ids must be positive");
                return NULL;
            }
            const char *sep = i == 0 ? "" : (i % AUDIT_MAX_IDS == 0 ? ";" : ",");
            buf_printf(&b, "%s%" PRId64, sep, ids[i]);
        }
        if (b.failed) {
            buf_free(&b);
            audit_job_free(j);
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        j->ids = buf_steal(&b, NULL);
    }
    j->job.apply = apply_append;
    j->job.done = done_append;
    j->job.arg = j;
    return j;
}

int audit_record_async(core *c, int64_t tenant_id, const char *actor, const char *action,
                       const char *object_kind, const int64_t *ids, size_t n, const char *source,
                       core_done_fn done, void *ctx, error *err)
{
    audit_job *j = make_job(tenant_id, actor, action, object_kind, ids, n, source, err);
    if (!j)
        return -1;
    j->done = done;
    j->ctx = ctx;
    store_write(c->store, &j->job);
    return 0;
}

int audit_append_tx(store *s, int64_t tenant_id, int64_t at, const char *actor, const char *action,
                    const char *object_kind, const int64_t *ids, size_t n, const char *source,
                    error *err)
{
    audit_job *j = make_job(tenant_id, actor, action, object_kind, ids, n, source, err);
    if (!j)
        return -1;
    if (at > 0)
        j->at = at;
    int rc = apply_append(s, j, err);
    audit_job_free(j);
    return rc;
}

int audit_record(core *c, int64_t tenant_id, const char *actor, const char *action,
                 const char *object_kind, const int64_t *ids, size_t n, const char *source,
                 error *err)
{
    core_waiter w;
    core_waiter_init(&w);
    if (audit_record_async(c, tenant_id, actor, action, object_kind, ids, n, source,
                           core_waiter_done, &w, err) != 0) {
        core_waiter_done(&w, -1, err);
        core_waiter_wait(&w, NULL);
        return -1;
    }
    return core_waiter_wait(&w, err);
}

int audit_change_tx(store *s, int64_t tenant_id, const core_actor *who, const char *action,
                    const char *object_kind, const int64_t *ids, size_t n, error *err)
{
    if (!actor_audited(who))
        return 0;
    return audit_append_who_tx(s, tenant_id, who, action, object_kind, ids, n, err);
}

int audit_append_who_tx(store *s, int64_t tenant_id, const core_actor *who, const char *action,
                        const char *object_kind, const int64_t *ids, size_t n, error *err)
{
    arena a;
    arena_init(&a, 0);
    const char *label = actor_audit_label(who, &a);
    int rc = label ? audit_append_tx(s, tenant_id, 0, label, action, object_kind, ids, n,
                                     who->source, err)
                   : error_set(err, ERR_INTERNAL, NULL, "out of memory");
    arena_free(&a);
    return rc;
}

void audit_record_access(core *c, int64_t tenant_id, const core_actor *who, const char *action,
                  const char *object_kind, const int64_t *ids, size_t n)
{
    if (!actor_audited(who))
        return;
    arena a;
    arena_init(&a, 0);
    const char *label = actor_audit_label(who, &a);
    error e;
    if (!label || audit_record_async(c, tenant_id, label, action, object_kind, ids, n,
                                     who->source, NULL, NULL, &e) != 0)
        log_error("audit: could not record %s %s by %s: %s", action, object_kind,
                  label ? label : "?", label ? e.detail : "out of memory");
    arena_free(&a);
}

/* The anchor the last purge left: the first remaining entry's id and prev_hash. */
static int read_anchor(store *s, int64_t tenant_id, int64_t *id, char prev[AUDIT_HASH_LEN],
                       error *err)
{
    char name[64];
    snprintf(name, sizeof name, AUDIT_ANCHOR_SETTING "%" PRId64, tenant_id);
    arena a;
    arena_init(&a, 0);
    const char *value = NULL;
    *id = 0;
    prev[0] = '\0';
    int rc = s->ops->settings.get(s, name, &a, &value, err);
    if (rc == 0 && value) {
        char *end = NULL;
        long long v = strtoll(value, &end, 10);
        if (end && *end == ' ' && strlen(end + 1) == AUDIT_HASH_LEN - 1) {
            *id = v;
            memcpy(prev, end + 1, AUDIT_HASH_LEN);
        }
    }
    arena_free(&a);
    return rc;
}

int audit_verify(core *c, int64_t tenant_id, int64_t *first_bad_id, int64_t *n_checked, error *err)
{
    store *s = c->store;
    *first_bad_id = 0;
    if (n_checked)
        *n_checked = 0;
    int64_t anchor_id = 0;
    char anchor_prev[AUDIT_HASH_LEN];
    if (read_anchor(s, tenant_id, &anchor_id, anchor_prev, err) != 0)
        return -1;
    char expect[AUDIT_HASH_LEN] = "";
    int first = 1;
    int64_t after = 0, count = 0;
    arena a;
    arena_init(&a, 0);
    int rc = -1;
    for (;;) {
        store_audit *page = NULL;
        size_t n = 0;
        if (s->ops->audit.list(s, tenant_id, after, AUDIT_VERIFY_PAGE, &a, &page, &n, err) != 0)
            goto cleanup;
        for (size_t i = 0; i < n; i++) {
            const store_audit *e = &page[i];
            const char *prev = e->prev_hash ? e->prev_hash : "";
            int link_ok;
            if (first)
                link_ok = strcmp(prev, AUDIT_ZERO_HASH) == 0 ||
                          (anchor_id == e->id && strcmp(prev, anchor_prev) == 0);
            else
                link_ok = strcmp(prev, expect) == 0;
            char h[AUDIT_HASH_LEN];
            audit_entry_hash(e, h);
            if (!link_ok || !e->hash || strlen(e->hash) != AUDIT_HASH_LEN - 1 ||
                sodium_memcmp(h, e->hash, AUDIT_HASH_LEN - 1) != 0 || e->tenant_id != tenant_id) {
                *first_bad_id = e->id;
                error_set(err, ERR_CONFLICT, NULL,
                          "audit: entry %" PRId64 " was altered or its predecessor removed", e->id);
                goto cleanup;
            }
            memcpy(expect, h, AUDIT_HASH_LEN);
            first = 0;
            count++;
            after = e->id;
        }
        if (n < AUDIT_VERIFY_PAGE)
            break;
        arena_free(&a);
    }
    if (n_checked)
        *n_checked = count;
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

typedef struct purge_arg {
    int64_t tenant_id, before, purged;
} purge_arg;

/* Deletes, then records the first remaining entry as the anchor, in the same transaction, so
 * that verification knows where the kept chain legitimately begins. */
static int apply_purge(store *s, void *arg, error *err)
{
    purge_arg *p = arg;
    if (s->ops->audit.tx_purge_before(s, p->tenant_id, p->before, &p->purged, err) != 0)
        return -1;
    if (p->purged == 0)
        return 0;
    arena a;
    arena_init(&a, 0);
    store_audit *first = NULL;
    size_t n = 0;
    int rc = s->ops->audit.list(s, p->tenant_id, 0, 1, &a, &first, &n, err);
    if (rc == 0) {
        char name[64];
        snprintf(name, sizeof name, AUDIT_ANCHOR_SETTING "%" PRId64, p->tenant_id);
        char value[AUDIT_HASH_LEN + 32] = "";
        if (n == 1 && first[0].prev_hash)
            snprintf(value, sizeof value, "%" PRId64 " %s", first[0].id, first[0].prev_hash);
        /* An empty log has no anchor: the next entry links to zeros again. */
        rc = s->ops->settings.tx_set(s, name, value, err);
    }
    arena_free(&a);
    return rc;
}

int audit_purge(core *c, int64_t tenant_id, int64_t before, int64_t *n_deleted, error *err)
{
    purge_arg p = {tenant_id, before, 0};
    if (store_write_sync(c->store, apply_purge, &p, err) != 0)
        return -1;
    if (n_deleted)
        *n_deleted = p.purged;
    return 0;
}

int audit_retention_days(core *c, int *days, error *err)
{
    return core_setting_int(c, "audit_retention_days", AUDIT_RETENTION_DAYS_DEFAULT, days, err);
}

/*
 * agent — back-office accounts. Passwords are Argon2id (core/password, shared with citizens'
 * accounts); an unknown e-mail costs the same verification time as a known one. The TOTP secret is
 * sealed (core/seal.h) under a key derived per agent from the instance secret, so a copy of the
 * database alone gives no second factor, and a sealed secret moved to another row does not
 * open. Replay protection keeps the last accepted step per agent in memory, with the agent's
 * last login as a floor that survives restarts.
 */
#include "core/agent.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/account.h"
#include "core/agent_session.h"
#include "core/catalogue.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/password.h"
#include "core/seal.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define TOTP_MAX_FAILURES 5          /* wrong codes per agent ... */
#define TOTP_FAILURE_WINDOW (5 * 60) /* ... within this many seconds lock the check */
#define TOTP_TABLE_MAX 4096          /* agents remembered (replay and failures) */

static const char *const role_names[AGENT_ROLE_COUNT] = {"agent", "manager", "elected", "admin"};
static const char *const role_labels[AGENT_ROLE_COUNT][2] = {
    {"Agent", "Agent"},
    {"Responsable de service", "Department manager"},
    {"Élu", "Elected official"},
    {"Administrateur", "Administrator"},
};

const char *agent_role_name(agent_role r)
{
    return (unsigned)r < AGENT_ROLE_COUNT ? role_names[r] : NULL;
}

const char *agent_role_label(agent_role r, lang l)
{
    return (unsigned)r < AGENT_ROLE_COUNT ? role_labels[r][l == LANG_EN] : "";
}

int agent_role_parse(const char *name, agent_role *out)
{
    for (int i = 0; name && i < AGENT_ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0) {
            *out = (agent_role)i;
            return 0;
        }
    return -1;
}

void agent_assignee_id(const store_agent *a, char out[AGENT_ASSIGNEE_LEN])
{
    const char *email = a && a->email ? a->email : "";
    const char *at = strchr(email, '@');
    int local = at ? (int)(at - email) : (int)strlen(email);
    snprintf(out, AGENT_ASSIGNEE_LEN, "agent:%.*s", local, email);
}

/* ---- checks ---- */

_Static_assert(AGENT_EMAIL_MAX == ACCOUNT_EMAIL_MAX, "agents' and citizens' addresses fold alike");

/* Folds into out as citizens' addresses are (account_email_fold: the form the login's rate
 * limit counts), then checks it: the local part is restricted to what an assignee
 * identifier may hold (letters, digits, . _ + -), the domain to host name characters. */
static int email_normalise(const char *in, char out[AGENT_EMAIL_MAX + 1], error *err)
{
    if (!in || account_email_fold(in, out) != 0)
        return error_set(err, ERR_INVALID_ARG, "email", "invalid e-mail address");
    size_t n = strlen(out);
    const char *at = strchr(out, '@');
    if (n == 0 || !at || at == out || strchr(at + 1, '@') ||
        (size_t)(at - out) > AGENT_ASSIGNEE_LEN - 8 || !strchr(at + 1, '.') || at[1] == '.' ||
        out[n - 1] == '.')
        return error_set(err, ERR_INVALID_ARG, "email", "invalid e-mail address");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)out[i];
        int local = out + i < at;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
                 (local && (ch == '_' || ch == '+')) || out + i == at;
        if (!ok)
            return error_set(err, ERR_INVALID_ARG, "email", "invalid e-mail address");
    }
    return 0;
}

static int name_check(const char *name, error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || !utf8_valid(name, n) || utf8_has_control(name, n) ||
        utf8_length(name, n) > AGENT_NAME_MAX)
        return error_set(err, ERR_INVALID_ARG, "name", "a name of 1 to %d characters is required",
                         AGENT_NAME_MAX);
    return 0;
}

static int password_check(const char *pw, error *err)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n == 0)
        return error_set(err, ERR_INVALID_ARG, "password", "a password is required");
    if (n > AGENT_PASSWORD_MAX || !utf8_valid(pw, n))
        return error_set(err, ERR_INVALID_ARG, "password", "password too long or not UTF-8");
    if (utf8_length(pw, n) < AGENT_PASSWORD_MIN)
        return error_set(err, ERR_INVALID_ARG, "password", "password shorter than %d characters",
                         AGENT_PASSWORD_MIN);
    return 0;
}

/* Department codes to ids through the catalogue (reloaded once when a code is unknown, as
 * the departments may have just been created). */
static int departments_resolve(core *c, int64_t tenant_id, const char *const *codes, size_t n,
                               int64_t ids[AGENT_MAX_DEPARTMENTS], error *err)
{
    if (n > AGENT_MAX_DEPARTMENTS)
        return error_set(err, ERR_INVALID_ARG, "department", "at most %d departments",
                         AGENT_MAX_DEPARTMENTS);
    for (int attempt = 0; attempt < 2; attempt++) {
        const catalogue *cat = catalogue_acquire(c);
        const cat_tenant *t = catalogue_tenant_by_id(cat, tenant_id);
        size_t i = 0;
        for (; t && i < n; i++) {
            const cat_department *d = catalogue_department(t, codes[i] ? codes[i] : "");
            if (!d)
                break;
            ids[i] = d->rec.id;
        }
        catalogue_release(c, cat);
        if (!t)
            return error_set(err, ERR_NOT_FOUND, "tenant", "no such collectivité");
        if (i == n)
            return 0;
        if (attempt == 0 && catalogue_reload(c, err) != 0)
            return -1;
        if (attempt == 1)
            return error_set(err, ERR_INVALID_ARG, "department", "unknown department '%.60s'",
                             codes[i] ? codes[i] : "");
    }
    return -1;
}

/* ---- create ---- */

/* The job's copy of a new agent, with the strings and ids its row points to (a suspended
 * page keeps no stack). */
typedef struct create_arg {
    store_agent ag;
    char email[AGENT_EMAIL_MAX + 1];
    char hash[PASSWORD_HASH_LEN];
    int64_t dep_ids[AGENT_MAX_DEPARTMENTS];
    char assignee[AGENT_ASSIGNEE_LEN];
    int keep_existing;
    int *existed; /* demo: set to 1 when the e-mail was taken and nothing written */
} create_arg;

static int apply_create(store *s, void *arg, int64_t *id, error *err)
{
    create_arg *ca = arg;
    ca->ag.email = ca->email;
    ca->ag.password_hash = ca->hash;
    ca->ag.department_ids = ca->dep_ids;
    arena a;
    arena_init(&a, 0);
    int rc = -1;
    store_agent *all = NULL;
    size_t n = 0;
    /* Requests name their assignee by the e-mail's local part: two agents sharing one (in
     * different domains) would share each other's work. */
    if (s->ops->agents.list(s, ca->ag.tenant_id, &a, &all, &n, err) != 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        char other[AGENT_ASSIGNEE_LEN];
        agent_assignee_id(&all[i], other);
        if (strcmp(all[i].email, ca->ag.email) == 0 && ca->keep_existing) {
            if (ca->existed)
                *ca->existed = 1;
            *id = all[i].id;
            rc = 0;
            goto cleanup;
        }
        if (strcmp(other, ca->assignee) == 0) {
            error_set(err, ERR_CONFLICT, "email",
                      "an agent with this e-mail (or the same name "
                      "before '@') exists");
            goto cleanup;
        }
    }
    rc = s->ops->agents.tx_insert(s, &ca->ag, id, err);
cleanup:
    arena_free(&a);
    return rc;
}

static const change_def create_change = {"admin", "agent", apply_create, 0};

/* The creation's job with every check done, its hash not set yet: the op, and *ca its copy
 * of the new agent (whose hash the caller fills). NULL with err when refused. */
static void *create_prepare(core *c, const core_actor *who, int64_t tenant_id, const char *email,
                            const char *name, agent_role role, const char *const *codes, size_t n,
                            int keep_existing, int64_t *id_out, int *existed, create_arg **ca_out,
                            error *err)
{
    create_arg ca = {.keep_existing = keep_existing, .existed = existed};
    if (email_normalise(email, ca.email, err) != 0 || name_check(name, err) != 0)
        return NULL;
    if (!agent_role_name(role)) {
        error_set(err, ERR_INVALID_ARG, "role", "role must be agent, manager, elected or admin");
        return NULL;
    }
    if (departments_resolve(c, tenant_id, codes, n, ca.dep_ids, err) != 0)
        return NULL;
    ca.ag = (store_agent){.tenant_id = tenant_id,
                          .email = ca.email,
                          .name = name,
                          .role = agent_role_name(role),
                          .active = 1,
                          .created_at = time_now(),
                          .n_departments = n};
    agent_assignee_id(&ca.ag, ca.assignee);
    if (existed)
        *existed = 0;
    void *copy = NULL;
    void *op =
        change_prepare(c, who, tenant_id, &create_change, &ca, sizeof ca, id_out, &copy, err);
    *ca_out = copy;
    return op;
}

int agent_create_as(core *c, const core_actor *who, int64_t tenant_id, const char *email,
                    const char *name, agent_role role, const char *const *department_codes,
                    size_t n, const char *password, int64_t *id_out, core_done_fn cb, void *ctx,
                    error *err)
{
    create_arg *ca;
    void *op;
    if (password_check(password, err) != 0 ||
        !(op = create_prepare(c, who, tenant_id, email, name, role, department_codes, n, 0, id_out,
                              NULL, &ca, err)))
        return -1;
    return core_op_submit_hashed(c, op, password, ca->hash, cb, ctx, err);
}

int agent_create(core *c, int64_t tenant_id, const char *email, const char *name, agent_role role,
                 const char *const *department_codes, size_t n, const char *password,
                 int64_t *id_out, error *err)
{
    return agent_create_as(c, &actor_cli, tenant_id, email, name, role, department_codes, n,
                           password, id_out, NULL, NULL, err);
}

/* ---- reads ---- */

/* A login's check while its Argon2id work runs on the pool. */
typedef struct auth_check {
    store_agent *out; /* the caller's, read before the check */
    int found;
} auth_check;

static void auth_checked(void *arg, int rc, int match, const error *err, core_done_fn cb, void *ctx)
{
    auth_check *ac = arg;
    error e;
    error_clear(&e);
    if (rc != 0)
        e = *err;
    else if (!match || !ac->found || !ac->out->active)
        rc = error_set(&e, ERR_UNAUTHORIZED, "email", "wrong e-mail address or password");
    if (rc != 0)
        memset(ac->out, 0, sizeof *ac->out);
    free(ac);
    cb(ctx, rc, rc != 0 ? &e : NULL);
}

int agent_authenticate(core *c, int64_t tenant_id, const char *email, const char *password,
                       arena *a, store_agent *out, core_done_fn cb, void *ctx, error *err)
{
    char addr[AGENT_EMAIL_MAX + 1];
    int found = 0;
    error ignored;
    memset(out, 0, sizeof *out);
    if (email_normalise(email, addr, &ignored) == 0 &&
        c->store->ops->agents.find_email(c->store, tenant_id, addr, a, out, &found, err) != 0)
        return -1;
    auth_check *ac = calloc(1, sizeof *ac);
    if (!ac)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    ac->out = out;
    ac->found = found;
    /* Over AGENT_PASSWORD_MAX, the pool checks "" instead: the same bounded work, no match. */
    _Static_assert(AGENT_PASSWORD_MAX == PASSWORD_MAX, "one bound on what is hashed");
    return core_verify_then(c, found ? out->password_hash : NULL, password, auth_checked, ac, cb,
                            ctx, err);
}

int agent_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_agent *out, error *err)
{
    int found = 0;
    if (c->store->ops->agents.get(c->store, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "agent", "no such agent");
    return 0;
}

int agent_list(core *c, int64_t tenant_id, arena *a, store_agent **out, size_t *n, error *err)
{
    return c->store->ops->agents.list(c->store, tenant_id, a, out, n, err);
}

/* ---- updates: each job reads the agent on the writer's connection, changes some fields
 * and rewrites the row, so concurrent changes to other fields are not lost. ---- */

typedef struct update_arg {
    int64_t tenant_id, id;
    /* what to change */
    const char *name;
    const char *role;
    const int64_t *dep_ids;
    size_t n_deps;
    int set_deps;
    int active;                /* -1 keep */
    const char *password_hash; /* NULL keep */
    int set_totp;              /* write totp_secret / totp_enabled below */
    const char *totp_secret;
    int totp_enabled;
    const char *expect_secret; /* confirm: the secret must still be this one */
    int end_sessions;
} update_arg;

static int apply_update(store *s, void *arg, error *err)
{
    update_arg *u = arg;
    arena a;
    arena_init(&a, 0);
    int rc = -1;
    store_agent ag;
    int found = 0;
    if (s->ops->agents.get(s, u->tenant_id, u->id, &a, &ag, &found, err) != 0)
        goto cleanup;
    if (!found) {
        error_set(err, ERR_NOT_FOUND, "agent", "no such agent");
        goto cleanup;
    }
    if (u->expect_secret && (!ag.totp_secret || strcmp(ag.totp_secret, u->expect_secret) != 0)) {
        error_set(err, ERR_CONFLICT, "code", "enrolment restarted meanwhile");
        goto cleanup;
    }
    if (u->name)
        ag.name = u->name;
    if (u->role)
        ag.role = u->role;
    if (u->set_deps) {
        ag.department_ids = u->dep_ids;
        ag.n_departments = u->n_deps;
    }
    if (u->active >= 0)
        ag.active = u->active;
    if (u->password_hash)
        ag.password_hash = u->password_hash;
    if (u->set_totp) {
        ag.totp_secret = u->totp_secret;
        ag.totp_enabled = u->totp_enabled;
    }
    if (s->ops->agents.tx_update(s, &ag, err) != 0)
        goto cleanup;
    if (u->end_sessions && s->ops->sessions.tx_delete_agent(s, u->tenant_id, u->id, err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    arena_free(&a);
    return rc;
}

/* An administrator's change as its job keeps it: the update, with the department ids and the
 * password hash it points to. */
typedef struct admin_update_arg {
    update_arg u;
    int64_t dep_ids[AGENT_MAX_DEPARTMENTS];
    char hash[PASSWORD_HASH_LEN];
} admin_update_arg;

static int apply_admin_update(store *s, void *arg, int64_t *id, error *err)
{
    admin_update_arg *x = arg;
    if (x->u.set_deps)
        x->u.dep_ids = x->dep_ids;
    if (x->hash[0])
        x->u.password_hash = x->hash;
    *id = x->u.id;
    return apply_update(s, &x->u, err);
}

static const change_def update_change = {"admin", "agent", apply_admin_update, 0};

int agent_update_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                    const agent_changes *ch, core_done_fn cb, void *ctx, error *err)
{
    admin_update_arg x = {.u = {.tenant_id = tenant_id, .id = id, .active = -1}};
    update_arg *u = &x.u;
    if (ch->name) {
        if (name_check(ch->name, err) != 0)
            return -1;
        u->name = ch->name;
    }
    if (ch->role >= 0) {
        if (!(u->role = agent_role_name((agent_role)ch->role)))
            return error_set(err, ERR_INVALID_ARG, "role", "unknown role");
    }
    if (ch->department_codes) {
        if (departments_resolve(c, tenant_id, ch->department_codes, ch->n_departments, x.dep_ids,
                                err) != 0)
            return -1;
        u->n_deps = ch->n_departments;
        u->set_deps = 1;
    }
    if (ch->active >= 0) {
        u->active = ch->active ? 1 : 0;
        u->end_sessions = !u->active;
    }
    if (ch->password) {
        if (password_check(ch->password, err) != 0)
            return -1;
        u->end_sessions = 1;
    }
    if (ch->reset_totp) {
        u->set_totp = 1;
        u->totp_secret = NULL;
        u->totp_enabled = 0;
        u->end_sessions = 1;
    }
    if (!ch->password)
        return change_run(c, who, tenant_id, &update_change, &x, sizeof x, NULL, cb, ctx, err);
    void *copy;
    void *op = change_prepare(c, who, tenant_id, &update_change, &x, sizeof x, NULL, &copy, err);
    return op ? core_op_submit_hashed(c, op, ch->password, ((admin_update_arg *)copy)->hash, cb,
                                      ctx, err)
              : -1;
}

int agent_update(core *c, int64_t tenant_id, int64_t id, const agent_changes *ch, error *err)
{
    return agent_update_as(c, &actor_cli, tenant_id, id, ch, NULL, NULL, err);
}

int agent_set_password(core *c, int64_t tenant_id, int64_t id, const char *password, error *err)
{
    agent_changes ch = {.role = -1, .active = -1, .password = password};
    return agent_update(c, tenant_id, id, &ch, err);
}

/* ---- TOTP secret sealing ---- */

/* Sealed per agent (core/seal.h): a secret moved to another row does not open. */
static void totp_seal(const core *c, int64_t tenant_id, int64_t agent_id,
                      const unsigned char secret[TOTP_SECRET_BYTES], char out[SEAL_TEXT_MAX])
{
    seal_text(c, "totp", tenant_id, agent_id, secret, TOTP_SECRET_BYTES, out, SEAL_TEXT_MAX);
}

static int totp_unseal(const core *c, int64_t tenant_id, int64_t agent_id, const char *sealed,
                       unsigned char secret[TOTP_SECRET_BYTES])
{
    size_t n = 0;
    return seal_open(c, "totp", tenant_id, agent_id, sealed, secret, TOTP_SECRET_BYTES, &n) == 0 &&
                   n == TOTP_SECRET_BYTES
               ? 0
               : -1;
}

/* ---- replay and failure memory ---- */

typedef struct totp_slot {
    unsigned char fp[16]; /* fingerprint of tenant, agent and sealed secret */
    int64_t last_step;    /* last accepted step; 0: none */
    int failures;
    int64_t window_start;
    int64_t touched;
} totp_slot;

static pthread_mutex_t totp_mu = PTHREAD_MUTEX_INITIALIZER;
static totp_slot *totp_slots;
static size_t totp_n;

/* Keyed by the sealed secret too: a new enrolment starts afresh, and an agent id reused by
 * another database in the same process (tests) never inherits a stale step. */
static void slot_fp(int64_t tenant_id, int64_t agent_id, const char *sealed, unsigned char fp[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)&tenant_id, sizeof tenant_id);
    crypto_generichash_update(&st, (const unsigned char *)&agent_id, sizeof agent_id);
    crypto_generichash_update(&st, (const unsigned char *)sealed, strlen(sealed));
    crypto_generichash_final(&st, fp, 16);
}

/* The slot of fp, created when absent (evicting the least recently used when full). Called
 * with totp_mu held; NULL only when out of memory. */
static totp_slot *slot_get(const unsigned char fp[16], int64_t now)
{
    size_t oldest = 0;
    for (size_t i = 0; i < totp_n; i++) {
        if (memcmp(totp_slots[i].fp, fp, 16) == 0) {
            totp_slots[i].touched = now;
            return &totp_slots[i];
        }
        if (totp_slots[i].touched < totp_slots[oldest].touched)
            oldest = i;
    }
    totp_slot *s = NULL;
    if (totp_n < TOTP_TABLE_MAX) {
        if (!totp_slots) {
            totp_slots = calloc(TOTP_TABLE_MAX, sizeof *totp_slots);
            if (!totp_slots)
                return NULL;
        }
        s = &totp_slots[totp_n++];
    } else {
        s = &totp_slots[oldest];
    }
    memset(s, 0, sizeof *s);
    memcpy(s->fp, fp, 16);
    s->touched = now;
    return s;
}

/* Verifies code against the sealed secret of (tenant, agent) with replay and failure limits;
 * floor_step: steps at or below it are refused too. */
static int check_code(core *c, int64_t tenant_id, int64_t agent_id, const char *sealed,
                      const char *code, int64_t floor_step, error *err)
{
    unsigned char secret[TOTP_SECRET_BYTES];
    if (totp_unseal(c, tenant_id, agent_id, sealed, secret) != 0) {
        log_error("agent %" PRId64 ": TOTP secret does not unseal (instance secret changed?)",
                  agent_id);
        return error_set(err, ERR_UNAUTHORIZED, "code", "wrong one-time code");
    }
    unsigned char fp[16];
    slot_fp(tenant_id, agent_id, sealed, fp);
    int64_t now = time_now();
    int rc = -1;
    pthread_mutex_lock(&totp_mu);
    totp_slot *s = slot_get(fp, now);
    if (!s) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    if (now - s->window_start >= TOTP_FAILURE_WINDOW) {
        s->window_start = now;
        s->failures = 0;
    }
    if (s->failures >= TOTP_MAX_FAILURES) {
        error_set(err, ERR_RATE_LIMITED, "code", "too many wrong codes: wait a few minutes");
        goto cleanup;
    }
    int64_t last = s->last_step > floor_step ? s->last_step : floor_step;
    if (totp_verify(secret, sizeof secret, code, now, &last, err) != 0) {
        s->failures++;
        goto cleanup;
    }
    s->last_step = last;
    s->failures = 0;
    rc = 0;
cleanup:
    pthread_mutex_unlock(&totp_mu);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

/* ---- TOTP ---- */

int agent_totp_required(core *c, const store_agent *a, int *required, error *err)
{
    agent_role r = AGENT_ROLE_AGENT;
    *required = 1;
    if (agent_role_parse(a->role, &r) != 0 || r == AGENT_ROLE_ADMIN || r == AGENT_ROLE_ELECTED ||
        a->totp_enabled)
        return 0;
    arena ar;
    arena_init(&ar, 0);
    const char *value = NULL;
    int rc = c->store->ops->settings.get(c->store, "agent_totp_required", &ar, &value, err);
    if (rc == 0)
        *required = value && strcmp(value, "1") == 0;
    arena_free(&ar);
    return rc;
}

typedef struct begin_op {
    core_op op;
    update_arg u;
    char sealed[SEAL_TEXT_MAX];
    char *secret_b32; /* the caller's: wiped when the write fails */
} begin_op;

static int apply_begin(store *s, core_op *op, error *err)
{
    return apply_update(s, &((begin_op *)op)->u, err);
}

static void finish_begin(core_op *op, int *rc, error *err)
{
    (void)err;
    begin_op *j = (begin_op *)op;
    if (*rc != 0)
        sodium_memzero(j->secret_b32, TOTP_SECRET_B32_LEN);
    sodium_memzero(j->sealed, sizeof j->sealed);
}

int agent_totp_begin(core *c, int64_t tenant_id, int64_t agent_id,
                     char secret_b32[TOTP_SECRET_B32_LEN], core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_agent ag;
    int rc = agent_get(c, tenant_id, agent_id, &a, &ag, err);
    int enabled = rc == 0 && ag.totp_enabled;
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (enabled)
        return error_set(err, ERR_CONFLICT, NULL, "a second factor is already enabled");
    begin_op *j = core_op_new(sizeof *j, apply_begin);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    unsigned char secret[TOTP_SECRET_BYTES];
    randombytes_buf(secret, sizeof secret);
    totp_seal(c, tenant_id, agent_id, secret, j->sealed);
    totp_base32_encode(secret, sizeof secret, secret_b32, TOTP_SECRET_B32_LEN);
    sodium_memzero(secret, sizeof secret);
    j->op.finish = finish_begin;
    j->secret_b32 = secret_b32;
    j->u = (update_arg){.tenant_id = tenant_id,
                        .id = agent_id,
                        .active = -1,
                        .set_totp = 1,
                        .totp_secret = j->sealed,
                        .totp_enabled = 0};
    return core_op_submit(c, j, cb, ctx, err);
}

int agent_totp_enrol_check(core *c, int64_t tenant_id, int64_t agent_id, const char *code, arena *a,
                           const char **sealed, error *err)
{
    store_agent ag;
    *sealed = NULL;
    if (agent_get(c, tenant_id, agent_id, a, &ag, err) != 0)
        return -1;
    if (ag.totp_enabled || !ag.totp_secret)
        return error_set(err, ERR_CONFLICT, NULL, "no enrolment pending");
    if (check_code(c, tenant_id, agent_id, ag.totp_secret, code, 0, err) != 0)
        return -1;
    *sealed = ag.totp_secret;
    return 0;
}

int agent_totp_confirm(core *c, int64_t tenant_id, int64_t agent_id, const char *code, error *err)
{
    arena a;
    arena_init(&a, 0);
    const char *sealed = NULL;
    int rc = agent_totp_enrol_check(c, tenant_id, agent_id, code, &a, &sealed, err);
    if (rc == 0) {
        update_arg u = {.tenant_id = tenant_id,
                        .id = agent_id,
                        .active = -1,
                        .set_totp = 1,
                        .totp_secret = sealed,
                        .totp_enabled = 1,
                        .expect_secret = sealed};
        rc = store_write_sync(c->store, apply_update, &u, err);
    }
    arena_free(&a);
    return rc;
}

int agent_totp_check(core *c, const store_agent *a, const char *code, error *err)
{
    if (!a || !a->totp_enabled || !a->totp_secret || !a->active)
        return error_set(err, ERR_UNAUTHORIZED, "code", "wrong one-time code");
    /* The last login happened after its code was accepted: no code of that step or before
     * may open another session, even after a restart emptied the memory. */
    int64_t floor_step = a->last_login_at > 0 ? totp_step(a->last_login_at) : 0;
    return check_code(c, a->tenant_id, a->id, a->totp_secret, code, floor_step, err);
}

int agent_totp_reset(core *c, int64_t tenant_id, int64_t agent_id, error *err)
{
    update_arg u = {.tenant_id = tenant_id,
                    .id = agent_id,
                    .active = -1,
                    .set_totp = 1,
                    .totp_secret = NULL,
                    .totp_enabled = 0,
                    .end_sessions = 1};
    return store_write_sync(c->store, apply_update, &u, err);
}

int agent_totp_enrolment(const char *issuer, const char *email, const char *secret_b32, buf *uri,
                         buf *svg, lang l, error *err)
{
    if (totp_uri(uri, issuer, email, secret_b32) != 0)
        return error_set(err, ERR_TOO_LARGE, NULL, "otpauth URI exceeds its buffer");
    const char *title = l == LANG_EN
                            ? "QR code to scan with your authenticator app"
                            : "QR code à scanner avec votre application d'authentification";
    return totp_qr_svg(svg, buf_cstr(uri), title, err);
}

/* ---- demo ---- */

/* «Ville de Démo»'s back office. The agents are those the demo requests are assigned to
 * (src/cli/demo_data.c): "agent:martin.durand" is martin.durand@ville-demo.test. */
typedef struct demo_agent {
    const char *local;
    const char *name;
    agent_role role;
    const char *departments[3];
} demo_agent;

static const demo_agent demo_agents[] = {
    {"admin", "Camille Administratrice", AGENT_ROLE_ADMIN, {NULL}},
    {"elu", "Jean-Pierre Maire-Adjoint", AGENT_ROLE_ELECTED, {NULL}},
    {"responsable.technique",
     "Laurent Chevalier",
     AGENT_ROLE_MANAGER,
     {"voirie", "eclairage", "espaces-verts"}},
    {"responsable.proprete", "Valérie Gauthier", AGENT_ROLE_MANAGER, {"proprete"}},
    {"responsable.population",
     "Christine Morel",
     AGENT_ROLE_MANAGER,
     {"etat-civil", "scolaire", "accueil"}},
    {"responsable.solidarite", "Patrick Renaud", AGENT_ROLE_MANAGER, {"ccas", "vie-associative"}},
    {"martin.durand", "Martin Durand", AGENT_ROLE_AGENT, {"voirie"}},
    {"karim.benali", "Karim Benali", AGENT_ROLE_AGENT, {"voirie"}},
    {"olivier.marchand", "Olivier Marchand", AGENT_ROLE_AGENT, {"voirie"}},
    {"sophie.lefebvre", "Sophie Lefebvre", AGENT_ROLE_AGENT, {"proprete"}},
    {"julien.moreau", "Julien Moreau", AGENT_ROLE_AGENT, {"proprete"}},
    {"mamadou.diallo", "Mamadou Diallo", AGENT_ROLE_AGENT, {"proprete"}},
    {"thomas.garnier", "Thomas Garnier", AGENT_ROLE_AGENT, {"eclairage"}},
    {"eric.vasseur", "Éric Vasseur", AGENT_ROLE_AGENT, {"eclairage"}},
    {"claire.fontaine", "Claire Fontaine", AGENT_ROLE_AGENT, {"espaces-verts"}},
    {"lucas.petit", "Lucas Petit", AGENT_ROLE_AGENT, {"espaces-verts"}},
    {"nadia.haddad", "Nadia Haddad", AGENT_ROLE_AGENT, {"etat-civil"}},
    {"isabelle.roux", "Isabelle Roux", AGENT_ROLE_AGENT, {"etat-civil"}},
    {"camille.bernard", "Camille Bernard", AGENT_ROLE_AGENT, {"scolaire"}},
    {"helene.girard", "Hélène Girard", AGENT_ROLE_AGENT, {"scolaire"}},
    {"fatima.elamrani", "Fatima El Amrani", AGENT_ROLE_AGENT, {"ccas"}},
    {"pierre.lambert", "Pierre Lambert", AGENT_ROLE_AGENT, {"ccas"}},
    {"antoine.mercier", "Antoine Mercier", AGENT_ROLE_AGENT, {"vie-associative"}},
    {"lea.dubois", "Léa Dubois", AGENT_ROLE_AGENT, {"vie-associative"}},
    {"sylvie.leroy", "Sylvie Leroy", AGENT_ROLE_AGENT, {"accueil"}},
    {"mehdi.bouzid", "Mehdi Bouzid", AGENT_ROLE_AGENT, {"accueil"}},
    {"nathalie.perrin", "Nathalie Perrin", AGENT_ROLE_AGENT, {"accueil"}},
};

int agent_demo_load(core *c, int64_t tenant_id, FILE *report, error *err)
{
    /* One Argon2id hash for every demo agent: the password is public anyway, and thirty
     * hashes would slow the demo load by seconds. */
    char hash[PASSWORD_HASH_LEN];
    if (core_password_hash_wait(c, AGENT_DEMO_PASSWORD, hash, err) != 0)
        return -1;
    size_t created = 0, kept = 0;
    for (size_t i = 0; i < sizeof demo_agents / sizeof demo_agents[0]; i++) {
        const demo_agent *d = &demo_agents[i];
        char email[AGENT_EMAIL_MAX + 1];
        snprintf(email, sizeof email, "%s@ville-demo.test", d->local);
        size_t n = 0;
        while (n < 3 && d->departments[n])
            n++;
        int existed = 0;
        create_arg *ca;
        void *op = create_prepare(c, &actor_cli, tenant_id, email, d->name, d->role, d->departments,
                                  n, 1, NULL, &existed, &ca, err);
        if (op)
            memcpy(ca->hash, hash, sizeof hash);
        if (!op || core_op_submit(c, op, NULL, NULL, err) != 0) {
            char detail[sizeof err->detail];
            snprintf(detail, sizeof detail, "%s", err->detail);
            return error_set(err, err->code, err->arg, "demo agent %s: %s", email, detail);
        }
        if (existed)
            kept++;
        else
            created++;
    }
    if (report)
        fprintf(report,
                "%zu back-office agents created (%zu kept), password «%s»: "
                "admin@ville-demo.test (admin, TOTP enrolment at first login), "
                "elu@ville-demo.test (élu), responsable.technique@ville-demo.test (manager), "
                "martin.durand@ville-demo.test (agent, voirie)…\n",
                created, kept, AGENT_DEMO_PASSWORD);
    return 0;
}

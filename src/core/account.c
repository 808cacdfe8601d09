/*
 * account — citizens' accounts: e-mail and password checks (the hashing is core/password's),
 * single-use tokens (stored as keyed hashes) and the e-mails they travel in, queued in the
 * outbox in the same write job as the change. Every path spends the same kind of work whether or not
 * an address has an account, so neither answers nor timings reveal who is registered.
 */
#include "core/account.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/password.h"
#include "core/session.h"
#include "core/outbox.h"
#include "core/retention.h"
#include "util/log.h"
#include "util/phone.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define EMAIL_MAX ACCOUNT_EMAIL_MAX
#define EMAIL_LOCAL_MAX 64
#define NAME_MAX_CHARS 100
#define TOKEN_MAX 128 /* longer "tokens" are refused before hashing */
#define LINK_MAX 1024

/* The most used passwords of 12 characters or more in public breach corpora, French ones
 * first; compared case-insensitively. A short list: the length rule does most of the work. */
static const char *const common_passwords[] = {
    "123456789012",   "1234567890123",  "12345678901234",       "123456123456",
    "000000000000",   "111111111111",   "azertyuiop12",         "azertyuiop123",
    "azertyuiopqs",   "azertyuiopqsdf", "azertyuiopqsdfghjklm", "qwertyuiop12",
    "qwertyuiop123",  "qwertyuiopasdf", "motdepasse12",         "motdepasse123",
    "motdepasse1234", "motdepasse2024", "motdepasse2025",       "motdepasse2026",
    "password1234",   "password12345",  "password123456",       "passwordpassword",
    "iloveyou1234",   "jetaime123456",  "soleil123456",         "bonjour12345",
    "bonjour123456",  "doudou123456",   "chouchou1234",         "marseille1234",
    "1q2w3e4r5t6y",   "qwerty123456",   "azerty123456",         "abcdefghijkl",
    "abc123abc123",   "aaaaaaaaaaaa",   "mairie123456",
};

/* ---- input checks ---- */

int account_email_fold(const char *in, char out[ACCOUNT_EMAIL_MAX + 1])
{
    static const char space[] = " \t\r\n\f\v";
    if (!in)
        in = "";
    while (*in && strchr(space, *in))
        in++;
    size_t n = strlen(in);
    while (n > 0 && strchr(space, in[n - 1]))
        n--;
    int rc = 0;
    if (n > ACCOUNT_EMAIL_MAX) {
        n = ACCOUNT_EMAIL_MAX;
        rc = -1;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + ('a' - 'A')) : in[i];
    out[n] = '\0';
    return rc;
}

/* Lowercases and checks an address into out[EMAIL_MAX + 1]; 0, or -1 with ERR_INVALID_ARG
 * "email". Deliberately plain: local@domain.tld, printable ASCII, no quoted forms. */
static int email_normalise(const char *in, char *out, error *err)
{
    if (!in)
        return error_set(err, ERR_INVALID_ARG, "email", "an e-mail address is required");
    if (account_email_fold(in, out) != 0)
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    size_t n = strlen(out);
    if (n < 6)
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    size_t at = n, ats = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)out[i];
        if (ch == '@') {
            at = i;
            ats++;
        } else if (ch <= ' ' || ch >= 0x7f || strchr("\"(),:;<>[\\]", ch)) {
            return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
        }
    }
    if (ats != 1 || at == 0 || at > EMAIL_LOCAL_MAX || n - at - 1 < 4)
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    const char *local = out, *domain = out + at + 1;
    if (local[0] == '.' || out[at - 1] == '.' || strstr(out, ".."))
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    const char *dot = strrchr(domain, '.');
    if (!dot || dot == domain || dot[1] == '\0' || strlen(dot + 1) < 2 || domain[0] == '-' ||
        domain[0] == '.')
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    /* LDH labels: no empty label, none starting or ending with a hyphen. */
    char prev = '.';
    for (const char *p = domain; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.') ||
            (*p == '.' && (prev == '.' || prev == '-')) || (*p == '-' && prev == '.'))
            return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
        prev = *p;
    }
    if (prev == '-')
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    return 0;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int password_check(const char *pw, error *err)
{
    if (!pw || !*pw)
        return error_set(err, ERR_INVALID_ARG, "password", "a password is required");
    size_t n = strlen(pw);
    if (n > ACCOUNT_PASSWORD_MAX || !utf8_valid(pw, n))
        return error_set(err, ERR_INVALID_ARG, "password", "password too long or not UTF-8");
    if (utf8_length(pw, n) < ACCOUNT_PASSWORD_MIN)
        return error_set(err, ERR_INVALID_ARG, "password", "password too short");
    for (size_t i = 0; i < sizeof common_passwords / sizeof *common_passwords; i++)
        if (ascii_ieq(pw, common_passwords[i]))
            return error_set(err, ERR_INVALID_ARG, "password", "password too common");
    /* One character repeated is as weak as any listed word. */
    size_t same = 1;
    while (same < n && pw[same] == pw[0])
        same++;
    if (same == n)
        return error_set(err, ERR_INVALID_ARG, "password", "password too common");
    return 0;
}

static int name_check(const char *name, const char *arg, int required, error *err)
{
    if (!name || !*name) {
        if (required)
            return error_set(err, ERR_INVALID_ARG, arg, "a name is required");
        return 0;
    }
    size_t n = strlen(name);
    if (!utf8_valid(name, n) || utf8_has_control(name, n) || utf8_length(name, n) > NAME_MAX_CHARS)
        return error_set(err, ERR_INVALID_ARG, arg, "a name of at most %d characters",
                         NAME_MAX_CHARS);
    return 0;
}

int account_token_ok(const char *token)
{
    if (!token || !*token || strlen(token) > TOKEN_MAX)
        return 0;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

/* ---- shared pieces of the write jobs ---- */

static char *make_link(const char *base_url, const char *path, const char *token, char *out)
{
    snprintf(out, LINK_MAX, "%s%s%s", base_url ? base_url : "", path ? path : "",
             token ? token : "");
    return out;
}

static int queue_mail(store *s, int64_t tenant_id, const char *to, const char *tmpl,
                      const char *name, const char *link, const char *lang_code, error *err)
{
    json_t *params = json_object();
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (name)
        json_object_set_new(params, "name", json_string(name));
    json_object_set_new(params, "link", json_string(link));
    int rc = outbox_add_tx(s, tenant_id, "email", to, tmpl, params, lang_code, 0, err);
    json_decref(params);
    return rc;
}

static const char *lang_code_of(lang l)
{
    return l == LANG_EN ? "en" : "fr";
}

/* Reads an account from inside a write job: inside the writer's transaction the store reads
 * through the writer's own connection, so the job sees the earlier jobs of its batch, and two
 * changes to one account in one batch (two preference forms sent at once) never lose one. */
static int job_account_get(store *s, int64_t tenant_id, int64_t id, arena *a, store_account *out,
                           error *err)
{
    int found = 0;
    if (s->ops->accounts.get(s, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "account %lld is gone", (long long)id);
    return 0;
}

/* ---- sign-up ---- */

typedef struct signup_op {
    core_op op;
    int64_t tenant_id;
    const char *email, *display_name, *lang_code; /* in op.a */
    char hash[PASSWORD_HASH_LEN];
    char token_hash[65];
    char verify_link[LINK_MAX], login_link[LINK_MAX];
    int64_t now;
} signup_op;

static int apply_signup(store *s, core_op *op, error *err)
{
    signup_op *sa = (signup_op *)op;
    store_account acc = {.tenant_id = sa->tenant_id,
                         .email = sa->email,
                         .password_hash = sa->hash,
                         .display_name = sa->display_name,
                         .notify = "email",
                         .lang = sa->lang_code,
                         .created_at = sa->now};
    int64_t id = 0;
    error e;
    error_clear(&e);
    if (s->ops->accounts.tx_insert(s, &acc, &id, &e) != 0) {
        if (e.code != ERR_CONFLICT) {
            if (err)
                *err = e;
            return -1;
        }
        /* The address has an account: tell its owner, create nothing. */
        return queue_mail(s, sa->tenant_id, sa->email, "account_exists", NULL, sa->login_link,
                          sa->lang_code, err);
    }
    store_token t = {.tenant_id = sa->tenant_id,
                     .account_id = id,
                     .purpose = "verify",
                     .token_hash = sa->token_hash,
                     .created_at = sa->now,
                     .expires_at = sa->now + ACCOUNT_TOKEN_TTL_VERIFY};
    if (s->ops->tokens.tx_insert(s, &t, err) != 0)
        return -1;
    return queue_mail(s, sa->tenant_id, sa->email, "account_verify", sa->display_name,
                      sa->verify_link, sa->lang_code, err);
}

/* The links hold tokens: nothing of them stays in freed memory. */
static void finish_signup(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    signup_op *sa = (signup_op *)op;
    sodium_memzero(sa->verify_link, sizeof sa->verify_link);
    sodium_memzero(sa->hash, sizeof sa->hash);
}

int account_signup(core *c, const store_tenant *t, const char *email, const char *password,
                   const char *display_name, lang l, const char *base_url, core_done_fn cb,
                   void *ctx, error *err)
{
    char addr[EMAIL_MAX + 1];
    if (email_normalise(email, addr, err) != 0 || password_check(password, err) != 0 ||
        name_check(display_name, "display_name", 1, err) != 0)
        return -1;
    signup_op *sa = core_op_new(sizeof *sa, apply_signup);
    if (!sa)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    sa->op.finish = finish_signup;
    char token[64];
    core_new_secret("", token, sizeof token);
    core_hash_secret(c, token, sa->token_hash);
    sa->tenant_id = t->id;
    sa->email = arena_strdup(&sa->op.a, addr);
    sa->display_name = arena_strdup(&sa->op.a, display_name);
    sa->lang_code = lang_code_of(l);
    make_link(base_url, core_links_get(c)->verify, token, sa->verify_link);
    make_link(base_url, core_links_get(c)->login, NULL, sa->login_link);
    sa->now = time_now();
    sodium_memzero(token, sizeof token);
    if (!sa->email || !sa->display_name) {
        finish_signup(&sa->op, NULL, NULL);
        core_op_free(sa);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    /* Argon2id on the password pool, then the write: neither a server thread nor the writer
     * spends its time hashing. */
    return core_op_submit_hashed(c, sa, password, sa->hash, cb, ctx, err);
}

/* ---- token consumption: verify, reset, login link ---- */

typedef struct consume_op {
    core_op op;
    int64_t tenant_id;
    const char *purpose;
    char token_hash[65];
    char new_hash[PASSWORD_HASH_LEN]; /* reset: the new password's hash; "" otherwise */
    int64_t now;
    int64_t account_id;
    session_opening *open;   /* the caller's; NULL: no session */
    int64_t *account_id_out; /* the caller's; may be NULL */
} consume_op;

/* Why a token could not be spent: ERR_CONFLICT when it was already (the citizen is told
 * that the link served, perhaps not by them), ERR_NOT_FOUND when it is unknown or expired. */
static int token_refusal(store *s, consume_op *ca, error *err)
{
    store_token tok;
    int found = 0;
    if (s->ops->tokens.tx_find(s, ca->tenant_id, ca->purpose, ca->token_hash, &ca->op.a, &tok,
                               &found, err) != 0)
        return -1;
    if (found && tok.used_at)
        return error_set(err, ERR_CONFLICT, "token", "token already used");
    return error_set(err, ERR_NOT_FOUND, "token", "unknown or expired token");
}

static int apply_consume(store *s, core_op *op, error *err)
{
    consume_op *ca = (consume_op *)op;
    const char *new_hash = ca->new_hash[0] ? ca->new_hash : NULL;
    store_token tok;
    int found = 0;
    if (s->ops->tokens.tx_consume(s, ca->tenant_id, ca->purpose, ca->token_hash, ca->now, &op->a,
                                 &tok, &found, err) != 0)
        return -1;
    if (!found)
        return token_refusal(s, ca, err);
    store_account acc;
    if (job_account_get(s, ca->tenant_id, tok.account_id, &op->a, &acc, err) != 0)
        return -1;
    /* Every token arrived by e-mail: using it proves the address. */
    int changed = 0;
    if (!acc.email_verified_at) {
        acc.email_verified_at = ca->now;
        changed = 1;
    }
    if (new_hash) {
        acc.password_hash = new_hash;
        changed = 1;
    }
    if (changed && s->ops->accounts.tx_update(s, &acc, err) != 0)
        return -1;
    if (new_hash && s->ops->sessions.tx_delete_account(s, ca->tenant_id, tok.account_id, err) != 0)
        return -1;
    /* The link logs its owner in: the session commits with the token it spends. */
    if (ca->open && session_open_tx(s, ca->tenant_id, ca->open, tok.account_id, 0,
                                    SESSION_MAX_SECONDS, err) != 0)
        return -1;
    ca->account_id = tok.account_id;
    return 0;
}

static void finish_consume(core_op *op, int *rc, error *err)
{
    (void)err;
    consume_op *ca = (consume_op *)op;
    if (*rc == 0 && ca->account_id_out)
        *ca->account_id_out = ca->account_id;
    sodium_memzero(ca->new_hash, sizeof ca->new_hash);
}

/* new_password (reset only; NULL otherwise) is hashed on the password pool before the job
 * is queued. */
static int consume(core *c, int64_t tenant_id, const char *purpose, const char *token,
                   const char *new_password, session_opening *open, int64_t *account_id_out,
                   core_done_fn cb, void *ctx, error *err)
{
    if (!account_token_ok(token))
        return error_set(err, ERR_NOT_FOUND, "token", "unknown, used or expired token");
    consume_op *ca = core_op_new(sizeof *ca, apply_consume);
    if (!ca)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    ca->op.finish = finish_consume;
    ca->tenant_id = tenant_id;
    ca->purpose = purpose; /* a literal */
    core_hash_secret(c, token, ca->token_hash);
    ca->now = time_now();
    ca->open = open;
    ca->account_id_out = account_id_out;
    if (new_password)
        return core_op_submit_hashed(c, ca, new_password, ca->new_hash, cb, ctx, err);
    return core_op_submit(c, ca, cb, ctx, err);
}

int account_verify(core *c, int64_t tenant_id, const char *token, session_opening *open,
                   int64_t *account_id_out, core_done_fn cb, void *ctx, error *err)
{
    return consume(c, tenant_id, "verify", token, NULL, open, account_id_out, cb, ctx, err);
}

int account_reset_password(core *c, int64_t tenant_id, const char *token, const char *password,
                           session_opening *open, int64_t *account_id_out, core_done_fn cb,
                           void *ctx, error *err)
{
    if (password_check(password, err) != 0)
        return -1;
    return consume(c, tenant_id, "reset", token, password, open, account_id_out, cb, ctx, err);
}

int account_consume_login(core *c, int64_t tenant_id, const char *token, session_opening *open,
                          int64_t *account_id_out, core_done_fn cb, void *ctx, error *err)
{
    return consume(c, tenant_id, "login", token, NULL, open, account_id_out, cb, ctx, err);
}

/* ---- a new password, from «Mon compte» ---- */

typedef struct password_op {
    core_op op;
    core *c;
    int64_t tenant_id, id;
    int found, empty;
    char *new_password; /* a copy, in op->a, wiped at the end */
    char new_hash[PASSWORD_HASH_LEN];
    session_opening *open;
} password_op;

static int apply_password(store *s, core_op *op, error *err)
{
    password_op *po = (password_op *)op;
    store_account acc;
    if (job_account_get(s, po->tenant_id, po->id, &op->a, &acc, err) != 0)
        return -1;
    acc.password_hash = po->new_hash;
    /* Every session of the account ends (a thief's too); the browser that changed it gets a
     * new one, in the same transaction. */
    if (s->ops->accounts.tx_update(s, &acc, err) != 0 ||
        s->ops->sessions.tx_delete_account(s, po->tenant_id, po->id, err) != 0)
        return -1;
    return po->open
               ? session_open_tx(s, po->tenant_id, po->open, po->id, 0, SESSION_MAX_SECONDS, err)
               : 0;
}

static void finish_password(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    password_op *po = (password_op *)op;
    sodium_memzero(po->new_hash, sizeof po->new_hash);
    if (po->new_password)
        sodium_memzero(po->new_password, strlen(po->new_password));
}

/* The current password is checked (the pool's thread): then the new one is hashed there
 * too, and the job queued. */
static void password_verified(void *arg, int rc, int match, const error *err, core_done_fn cb,
                              void *ctx)
{
    password_op *po = arg;
    error e;
    error_clear(&e);
    if (rc != 0)
        e = *err;
    else if (!match || !po->found || po->empty)
        rc = error_set(&e, ERR_UNAUTHORIZED, "current_password", "wrong password");
    if (rc != 0) {
        finish_password(&po->op, &rc, &e);
        core_op_free(po);
        cb(ctx, rc, &e);
        return;
    }
    if (core_op_submit_hashed(po->c, po, po->new_password, po->new_hash, cb, ctx, &e) != 0)
        cb(ctx, -1, &e);
}

int account_change_password(core *c, int64_t tenant_id, int64_t id, const char *current,
                            const char *password, session_opening *open, core_done_fn cb, void *ctx,
                            error *err)
{
    if (password_check(password, err) != 0)
        return -1;
    password_op *po = core_op_new(sizeof *po, apply_password);
    if (!po)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    po->op.finish = finish_password;
    po->c = c;
    po->tenant_id = tenant_id;
    po->id = id;
    po->open = open;
    po->new_password = arena_strdup(&po->op.a, password);
    store_account acc;
    int found = 0;
    if (!po->new_password ||
        c->store->ops->accounts.get(c->store, tenant_id, id, &po->op.a, &acc, &found, err) != 0) {
        if (!po->new_password)
            error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        core_op_free(po);
        return -1;
    }
    po->found = found;
    po->empty = !current || !*current;
    /* The same Argon2id work as a login, on the password pool: never this thread's. */
    return core_verify_then(c, found ? acc.password_hash : NULL, current ? current : "",
                            password_verified, po, cb, ctx, err);
}

/* ---- login ---- */

/* A login's check while its Argon2id work runs on the pool. */
typedef struct login_check {
    store_account *out; /* the caller's, read before the check */
    int found, empty;
} login_check;

static void login_checked(void *arg, int rc, int match, const error *err, core_done_fn cb,
                          void *ctx)
{
    login_check *lc = arg;
    error e;
    error_clear(&e);
    if (rc != 0)
        e = *err;
    else if (!lc->found || !match || lc->empty)
        rc = error_set(&e, ERR_UNAUTHORIZED, "email", "wrong e-mail address or password");
    else if (!lc->out->email_verified_at)
        rc = error_set(&e, ERR_FORBIDDEN, "email", "the address is not verified yet");
    if (rc != 0 && e.code != ERR_FORBIDDEN)
        memset(lc->out, 0, sizeof *lc->out);
    free(lc);
    cb(ctx, rc, rc != 0 ? &e : NULL);
}

int account_login(core *c, int64_t tenant_id, const char *email, const char *password, arena *a,
                  store_account *out, core_done_fn cb, void *ctx, error *err)
{
    char addr[EMAIL_MAX + 1];
    _Static_assert(ACCOUNT_PASSWORD_MAX == PASSWORD_MAX, "one bound on what is hashed");
    const char *pw = password ? password : "";
    error e;
    int found = 0;
    memset(out, 0, sizeof *out);
    if (email_normalise(email, addr, &e) == 0) {
        if (c->store->ops->accounts.find_email(c->store, tenant_id, addr, a, out, &found, err) != 0)
            return -1;
    }
    login_check *lc = calloc(1, sizeof *lc);
    if (!lc)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    lc->out = out;
    lc->found = found;
    lc->empty = !*pw;
    /* An over-long password is checked as "" by the pool: the same bounded work, no match. */
    return core_verify_then(c, found ? out->password_hash : NULL, pw, login_checked, lc, cb, ctx,
                            err);
}

/* ---- links sent on request: reset, login ---- */

typedef struct link_op {
    core_op op;
    int64_t tenant_id, account_id;
    const char *purpose, *tmpl, *email, *lang_code; /* literals, or in op.a */
    char token_hash[65], link[LINK_MAX];
    int64_t now, ttl;
} link_op;

static int apply_link(store *s, core_op *op, error *err)
{
    link_op *la = (link_op *)op;
    if (!la->account_id)
        return 0; /* no account: the same commit, nothing written */
    store_token t = {.tenant_id = la->tenant_id,
                     .account_id = la->account_id,
                     .purpose = la->purpose,
                     .token_hash = la->token_hash,
                     .created_at = la->now,
                     .expires_at = la->now + la->ttl};
    if (s->ops->tokens.tx_insert(s, &t, err) != 0)
        return -1;
    return queue_mail(s, la->tenant_id, la->email, la->tmpl, NULL, la->link, la->lang_code, err);
}

static void finish_link(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    link_op *la = (link_op *)op;
    sodium_memzero(la->link, sizeof la->link);
}

int account_send_link(core *c, const store_tenant *t, const char *email, const char *purpose,
                      lang l, const char *base_url, core_done_fn cb, void *ctx, error *err)
{
    const char *tmpl, *path;
    int64_t ttl;
    if (purpose && strcmp(purpose, "reset") == 0) {
        purpose = "reset";
        tmpl = "account_reset";
        ttl = ACCOUNT_TOKEN_TTL_RESET;
        path = core_links_get(c)->reset;
    } else if (purpose && strcmp(purpose, "login") == 0) {
        purpose = "login";
        tmpl = "account_login";
        ttl = ACCOUNT_TOKEN_TTL_LOGIN;
        path = core_links_get(c)->login_link;
    } else {
        return error_set(err, ERR_INTERNAL, "purpose", "unknown link purpose");
    }
    char addr[EMAIL_MAX + 1];
    if (email_normalise(email, addr, err) != 0)
        return -1;
    link_op *la = core_op_new(sizeof *la, apply_link);
    if (!la)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    la->op.finish = finish_link;
    la->tenant_id = t->id;
    la->purpose = purpose;
    la->tmpl = tmpl;
    la->ttl = ttl;
    la->now = time_now();
    store_account acc;
    int found = 0;
    if (c->store->ops->accounts.find_email(c->store, t->id, addr, &la->op.a, &acc, &found, err) !=
        0) {
        core_op_free(la);
        return -1;
    }
    char token[64];
    core_new_secret("", token, sizeof token);
    core_hash_secret(c, token, la->token_hash);
    if (found) {
        la->account_id = acc.id;
        la->email = acc.email;
        la->lang_code = (acc.lang && strcmp(acc.lang, "en") == 0) ? "en" : lang_code_of(l);
        make_link(base_url, path, token, la->link);
    }
    sodium_memzero(token, sizeof token);
    /* A write job either way, so that the time taken does not tell whether it exists. */
    return core_op_submit(c, la, cb, ctx, err);
}

/* ---- reading and preferences ---- */

int account_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_account *out, error *err)
{
    int found = 0;
    if (c->store->ops->accounts.get(c->store, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    return 0;
}

int account_find(core *c, int64_t tenant_id, const char *email, arena *a, store_account *out,
                 error *err)
{
    char addr[EMAIL_MAX + 1];
    int found = 0;
    if (account_email_fold(email, addr) != 0 || !*addr)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    if (c->store->ops->accounts.find_email(c->store, tenant_id, addr, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    return 0;
}

typedef struct prefs_op {
    core_op op;
    int64_t tenant_id, id;
    const char *display_name, *phone, *notify, *lang_code; /* in op.a; NULL: kept */
} prefs_op;

static int apply_prefs(store *s, core_op *op, error *err)
{
    prefs_op *pa = (prefs_op *)op;
    store_account acc;
    /* Read in the job, not before it: what another change of this batch wrote is kept. */
    if (job_account_get(s, pa->tenant_id, pa->id, &op->a, &acc, err) != 0)
        return -1;
    if (pa->display_name)
        acc.display_name = pa->display_name;
    if (pa->phone) {
        /* Another number is not the one verified. */
        if (!acc.phone || strcmp(acc.phone, pa->phone) != 0)
            acc.phone_verified_at = 0;
        acc.phone = *pa->phone ? pa->phone : NULL;
    }
    if (pa->notify)
        acc.notify = pa->notify;
    if (pa->lang_code)
        acc.lang = pa->lang_code;
    if (acc.notify && strcmp(acc.notify, "sms") == 0 && (!acc.phone || !*acc.phone))
        return error_set(err, ERR_INVALID_ARG, "phone", "SMS notifications need a phone number");
    return s->ops->accounts.tx_update(s, &acc, err);
}

static void finish_prefs(core_op *op, int *rc, error *err)
{
    prefs_op *pa = (prefs_op *)op;
    if (*rc != 0 && err && err->code == ERR_NOT_FOUND)
        log_warn("account: preferences of a missing account %lld", (long long)pa->id);
}

/* A copy in a of an optional string; 0, or -1 when a is full. */
static int dup_kept(arena *a, const char *in, const char **out)
{
    *out = in ? arena_strdup(a, in) : NULL;
    return in && !*out ? -1 : 0;
}

int account_update_prefs(core *c, int64_t tenant_id, int64_t id, const char *display_name,
                         const char *phone, const char *notify, const char *lang_code,
                         core_done_fn cb, void *ctx, error *err)
{
    if (display_name && name_check(display_name, "display_name", 1, err) != 0)
        return -1;
    char phone_buf[PHONE_E164_MAX] = "";
    if (phone && *phone) {
        if (phone_normalise(phone, phone_buf, err) != 0)
            return -1;
        phone = phone_buf;
    }
    if (notify && strcmp(notify, "email") != 0 && strcmp(notify, "sms") != 0 &&
        strcmp(notify, "none") != 0)
        return error_set(err, ERR_INVALID_ARG, "notify", "email, sms or none");
    if (lang_code && strcmp(lang_code, "fr") != 0 && strcmp(lang_code, "en") != 0)
        return error_set(err, ERR_INVALID_ARG, "lang", "fr or en");
    prefs_op *pa = core_op_new(sizeof *pa, apply_prefs);
    if (!pa)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    pa->op.finish = finish_prefs;
    pa->tenant_id = tenant_id;
    pa->id = id;
    if (dup_kept(&pa->op.a, display_name, &pa->display_name) != 0 ||
        dup_kept(&pa->op.a, phone, &pa->phone) != 0 ||
        dup_kept(&pa->op.a, notify, &pa->notify) != 0 ||
        dup_kept(&pa->op.a, lang_code, &pa->lang_code) != 0) {
        core_op_free(pa);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_submit(c, pa, cb, ctx, err);
}

/* ---- deletion ---- */

/* The deletion's write job, then (account_delete_step) the erasure of what it left due. */
typedef struct delete_op {
    core_op op;
    core *c;
    const cat_tenant *t; /* the caller's, valid until cb */
    int64_t id;
    char supporter_key[65];
    core_actor who; /* strings in op.a */
    store_agent agent_room;
    const char *event_actor; /* who's timeline label */
    int64_t n_requests;
    account_deletion *out; /* the caller's, valid until cb; may be NULL */
    int found, empty_password; /* the account and the password the citizen typed */
    core_done_fn cb;
    void *ctx;
} delete_op;

/* Inside the job: the account as it is now (gone since the password was checked: not
 * found), removed with what hangs on it, and the entry the deletion always has. */
static int apply_delete(store *s, core_op *op, error *err)
{
    delete_op *d = (delete_op *)op;
    store_account acc;
    int found = 0;
    if (s->ops->accounts.get(s, d->t->rec.id, d->id, &op->a, &acc, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    if (s->ops->accounts.tx_delete(s, d->t->rec.id, d->id, acc.email_verified_at != 0,
                                   d->supporter_key, d->event_actor, time_now(), &d->n_requests,
                                   err) != 0)
        return -1;
    /* Deleting an account is audited whoever asks, the citizen as well as an agent. */
    return audit_append_who_tx(s, d->t->rec.id, &d->who, "delete", "account", &d->id, 1, err);
}

void account_support_secret(int64_t id, char *out, size_t size)
{
    snprintf(out, size, "support:account:%lld", (long long)id);
}

/* What the chain tells its caller once the deletion (and the erasure it leads to) is over. */
typedef struct delete_chain {
    int64_t id;
    size_t erased;
    account_deletion *out;
    core_done_fn cb;
    void *ctx;
} delete_chain;

/* The erasure's outcome (writer thread): the account is gone whatever it was; a failure
 * leaves the closed requests marked, and the next retention pass erases them. */
static void delete_erased(void *ctx, int rc, const error *err)
{
    delete_chain *ch = ctx;
    if (rc != 0)
        log_warn("account: deleted account %lld's closed requests wait for the next retention "
                 "pass: %s",
                 (long long)ch->id, err ? err->detail : "");
    if (ch->out)
        ch->out->n_anonymised = (int64_t)ch->erased;
    core_done_fn cb = ch->cb;
    void *cb_ctx = ch->ctx;
    free(ch);
    cb(cb_ctx, 0, NULL);
}

/* The report of a deletion op whose erasure took over telling the caller. */
static void report_dropped(void *ctx, int rc, const error *err)
{
    (void)ctx;
    (void)rc;
    (void)err;
}

/* The deletion is durable (writer thread): the account's closed requests, detached and
 * marked by it, are erased now, by the system (the erasure is the deletion's consequence;
 * the deletion itself is audited under who). It takes every closed request marked so,
 * which may include another deleted account's that closed since the last pass: they are
 * due as well. What is still open waits for its closure and the next retention pass. At
 * most the deleted account's count, rounded up to a batch: the answer never waits for a
 * backlog of others'. */
static void finish_delete(core_op *op, int *rc, error *err)
{
    delete_op *d = (delete_op *)op;
    if (*rc != 0)
        return;
    if (d->out)
        d->out->n_requests = d->n_requests;
    if (d->n_requests <= 0)
        return;
    delete_chain *ch = calloc(1, sizeof *ch);
    if (!ch) {
        log_warn("account: deleted account %lld's closed requests wait for the next retention "
                 "pass: out of memory",
                 (long long)d->id);
        return;
    }
    ch->id = d->id;
    ch->out = d->out;
    ch->cb = d->cb;
    ch->ctx = d->ctx;
    size_t max = ((size_t)d->n_requests + RETENTION_BATCH - 1) / RETENTION_BATCH * RETENTION_BATCH;
    erase_scope scope = {.max = max};
    core_actor sys = actor_system;
    sys.source = d->who.source;
    error e;
    if (request_erase_due(d->c, d->t, &scope, &sys, &ch->erased, delete_erased, ch, &e) != 0) {
        free(ch);
        log_warn("account: deleted account %lld's closed requests wait for the next retention "
                 "pass: %s",
                 (long long)d->id, e.detail);
        return;
    }
    /* The chain tells the caller: this op's own report goes nowhere. */
    d->op.cb = report_dropped;
    (void)err;
}

/* The chain's first job: the deletion, which reports to the chain's end (d->cb). */
static int delete_start(void *arg, error *err)
{
    delete_op *d = arg;
    return core_op_submit(d->c, d, d->cb, d->ctx, err);
}

/* The citizen's password is checked (the pool's thread): the deletion's chain goes on, its
 * end being the check's (cb). */
static void delete_verified(void *arg, int rc, int match, const error *err, core_done_fn cb,
                            void *ctx)
{
    delete_op *d = arg;
    error e;
    error_clear(&e);
    if (rc != 0)
        e = *err;
    else if (!match || !d->found || d->empty_password)
        rc = error_set(&e, ERR_UNAUTHORIZED, "password", "wrong password");
    if (rc != 0) {
        core_op_free(d);
        cb(ctx, rc, &e);
        return;
    }
    d->cb = cb;
    d->ctx = ctx;
    if (delete_start(d, &e) != 0)
        cb(ctx, -1, &e);
}

int account_delete(core *c, const cat_tenant *t, int64_t id, const char *password,
                   const core_actor *who, account_deletion *out, core_done_fn cb, void *ctx,
                   error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!t || id <= 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    delete_op *d = core_op_new(sizeof *d, apply_delete);
    if (!d)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    d->op.finish = finish_delete;
    d->c = c;
    d->t = t;
    d->id = id;
    d->out = out;
    char secret[64];
    account_support_secret(id, secret, sizeof secret);
    core_hash_secret(c, secret, d->supporter_key);
    if (actor_copy(&d->op.a, who, &actor_citizen, &d->who, &d->agent_room) != 0 ||
        !(d->event_actor = actor_event_label(&d->who, &d->op.a))) {
        core_op_free(d);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    if (!password)
        return core_op_chain(&d->cb, &d->ctx, cb, ctx, delete_start, d, err);
    /* The same work found or not, as at login: the answer tells nothing. The Argon2id work
     * runs on the password pool, never on the caller's thread nor the writer's. */
    store_account acc;
    int found = 0;
    if (c->store->ops->accounts.get(c->store, t->rec.id, id, &d->op.a, &acc, &found, err) != 0) {
        core_op_free(d);
        return -1;
    }
    d->empty_password = !*password;
    d->found = found;
    return core_verify_then(c, found ? acc.password_hash : NULL, password, delete_verified, d, cb,
                            ctx, err);
}

int account_tokens_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err)
{
    /* Spent or not, an expired token only answers «unknown or expired» (token_refusal) or
     * «already used»; the first is as true of a deleted row. */
    return core_purge_before(c, c->store->ops->tokens.tx_purge_expired, tenant_id, now, n, err);
}

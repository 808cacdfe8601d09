/*
 * phone_verify — an account's number verified by an SMS code (see phone_verify.h).
 */
#include "core/phone_verify.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/outbox.h"
#include "store/store.h"
#include "util/phone.h"
#include "util/timeutil.h"

#define PURPOSE "phone"
#define SCOPE "phone"

int phone_code_read(const char *s, char *out)
{
    size_t n = 0;
    for (; s && *s; s++) {
        if (*s == ' ' || *s == '\t')
            continue;
        if (*s < '0' || *s > '9' || n == PHONE_CODE_DIGITS)
            return 0;
        out[n++] = *s;
    }
    out[n] = '\0';
    return n == PHONE_CODE_DIGITS;
}

void phone_code_new(char out[PHONE_CODE_DIGITS + 1])
{
    snprintf(out, PHONE_CODE_DIGITS + 1, "%06u", (unsigned)randombytes_uniform(1000000));
}

void phone_code_hash(const core *c, const char *subject, const char *phone, const char *code,
                     char out[65])
{
    char secret[160];
    snprintf(secret, sizeof secret, "phone:%s:%s:%s", subject, phone, code);
    core_hash_secret(c, secret, out);
    sodium_memzero(secret, sizeof secret);
}

/* The code's keyed hash, bound to the account and its number. */
static void code_hash(const core *c, int64_t account_id, const char *phone, const char *code,
                      char out[65])
{
    char subject[24];
    snprintf(subject, sizeof subject, "%lld", (long long)account_id);
    phone_code_hash(c, subject, phone, code, out);
}

int phone_code_send_tx(store *s, int64_t tenant_id, const char *key, const char *phone,
                       const char *code, const char *lang_code, error *err)
{
    store_code_failures none = {0};
    if (s->ops->code_failures.tx_set(s, tenant_id, SCOPE, key, &none, err) != 0)
        return -1;
    json_t *params = json_pack("{s:s}", "code", code);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int rc = outbox_add_tx(s, tenant_id, "sms", phone, "phone_code", params,
                           lang_code && strcmp(lang_code, "en") == 0 ? "en" : "fr", 0, err);
    json_decref(params);
    return rc;
}

int phone_code_attempt_tx(store *s, int64_t tenant_id, const char *key, phone_code_match_fn match,
                          void *arg, phone_verify_outcome *out, error *err)
{
    store_code_failures f;
    if (s->ops->code_failures.get(s, tenant_id, SCOPE, key, &f, err) != 0)
        return -1;
    if (f.failures >= PHONE_CODE_ATTEMPTS) {
        *out = PHONE_CODE_SPENT;
        return 0;
    }
    int matched = 0;
    if (match(s, arg, &matched, err) != 0)
        return -1;
    if (!matched) {
        /* Counted, and the count kept: the job commits. */
        f.failures++;
        f.last_failure_at = time_now();
        *out = f.failures >= PHONE_CODE_ATTEMPTS ? PHONE_CODE_SPENT : PHONE_CODE_WRONG;
        return s->ops->code_failures.tx_set(s, tenant_id, SCOPE, key, &f, err);
    }
    store_code_failures none = {0};
    *out = PHONE_VERIFIED;
    return s->ops->code_failures.tx_set(s, tenant_id, SCOPE, key, &none, err);
}

typedef struct code_op {
    core_op op;
    int64_t tenant_id, account_id;
    char phone[PHONE_E164_MAX];
    char hash[65];
    char code[PHONE_CODE_DIGITS + 1]; /* send: the code the SMS carries */
    phone_verify_outcome *out;        /* check: the caller's */
} code_op;

/* The account in the job, with the number the code was made for still its own. */
static int job_account(store *s, code_op *o, store_account *acc, error *err)
{
    int found = 0;
    if (s->ops->accounts.get(s, o->tenant_id, o->account_id, &o->op.a, acc, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    if (!acc->phone || strcmp(acc->phone, o->phone) != 0)
        return error_set(err, ERR_CONFLICT, "phone", "the number changed meanwhile");
    return 0;
}

static const char *failures_key(code_op *o, char *buf, size_t size)
{
    snprintf(buf, size, "%lld", (long long)o->account_id);
    return buf;
}

static int apply_send(store *s, core_op *op, error *err)
{
    code_op *o = (code_op *)op;
    store_account acc;
    if (job_account(s, o, &acc, err) != 0)
        return -1;
    int64_t now = time_now();
    store_token t = {.tenant_id = o->tenant_id,
                     .account_id = o->account_id,
                     .purpose = PURPOSE,
                     .token_hash = o->hash,
                     .created_at = now,
                     .expires_at = now + PHONE_CODE_TTL_S};
    char key[24];
    if (s->ops->tokens.tx_insert(s, &t, err) != 0)
        return -1;
    return phone_code_send_tx(s, o->tenant_id, failures_key(o, key, sizeof key), acc.phone, o->code,
                              acc.lang, err);
}

static void finish_send(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    code_op *o = (code_op *)op;
    sodium_memzero(o->code, sizeof o->code);
}

/* The account's number, read before the job (the hash needs the core's key): 0, or -1 with
 * the errors of phone_verify_send. */
static int account_phone(core *c, int64_t tenant_id, int64_t account_id, code_op *o,
                         int64_t *verified_at, error *err)
{
    store_account acc;
    int found = 0;
    arena a;
    arena_init(&a, 0);
    int rc = c->store->ops->accounts.get(c->store, tenant_id, account_id, &a, &acc, &found, err);
    if (rc == 0 && !found)
        rc = error_set(err, ERR_NOT_FOUND, NULL, "no such account");
    if (rc == 0 && (!acc.phone || !phone_is_e164(acc.phone)))
        rc = error_set(err, ERR_MISSING_ARG, "phone", "the account has no mobile number");
    if (rc == 0) {
        snprintf(o->phone, sizeof o->phone, "%s", acc.phone);
        *verified_at = acc.phone_verified_at;
    }
    arena_free(&a);
    return rc;
}

int phone_verify_send(core *c, int64_t tenant_id, int64_t account_id, core_done_fn cb, void *ctx,
                      error *err)
{
    code_op *o = core_op_new(sizeof *o, apply_send);
    if (!o)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    o->op.finish = finish_send;
    o->tenant_id = tenant_id;
    o->account_id = account_id;
    int64_t verified_at = 0;
    if (account_phone(c, tenant_id, account_id, o, &verified_at, err) != 0) {
        core_op_free(o);
        return -1;
    }
    if (verified_at) {
        core_op_free(o);
        return error_set(err, ERR_CONFLICT, "phone_verified", "the number is verified already");
    }
    phone_code_new(o->code);
    code_hash(c, account_id, o->phone, o->code, o->hash);
    return core_op_submit(c, o, cb, ctx, err);
}

/* The account's code: its single-use token, spent when it is this account's. */
static int match_token(store *s, void *arg, int *matched, error *err)
{
    code_op *o = arg;
    store_token t;
    int found = 0;
    if (s->ops->tokens.tx_consume(s, o->tenant_id, PURPOSE, o->hash, time_now(), &o->op.a, &t,
                                  &found, err) != 0)
        return -1;
    *matched = found && t.account_id == o->account_id;
    return 0;
}

static int apply_check(store *s, core_op *op, error *err)
{
    code_op *o = (code_op *)op;
    store_account acc;
    if (job_account(s, o, &acc, err) != 0)
        return -1;
    char key[24];
    if (phone_code_attempt_tx(s, o->tenant_id, failures_key(o, key, sizeof key), match_token, o,
                              o->out, err) != 0)
        return -1;
    if (*o->out != PHONE_VERIFIED)
        return 0;
    acc.phone_verified_at = time_now();
    return s->ops->accounts.tx_update(s, &acc, err);
}

int phone_verified_account(core *c, int64_t tenant_id, const char *phone, int64_t *account_id,
                           error *err)
{
    *account_id = 0;
    if (!phone || !phone_is_e164(phone))
        return 0;
    arena a;
    arena_init(&a, 0);
    store_account acc;
    int found = 0;
    int rc = c->store->ops->accounts.find_verified_phone(c->store, tenant_id, phone, &a, &acc,
                                                         &found, err);
    if (rc == 0 && found)
        *account_id = acc.id;
    arena_free(&a);
    return rc;
}

int phone_verify_check(core *c, int64_t tenant_id, int64_t account_id, const char *code,
                       phone_verify_outcome *out, core_done_fn cb, void *ctx, error *err)
{
    char digits[PHONE_CODE_DIGITS + 1];
    if (!phone_code_read(code, digits))
        return error_set(err, ERR_INVALID_ARG, "code", "a code is %d digits", PHONE_CODE_DIGITS);
    code_op *o = core_op_new(sizeof *o, apply_check);
    if (!o)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    o->tenant_id = tenant_id;
    o->account_id = account_id;
    o->out = out;
    *out = PHONE_CODE_WRONG;
    int64_t verified_at = 0;
    if (account_phone(c, tenant_id, account_id, o, &verified_at, err) != 0) {
        core_op_free(o);
        return -1;
    }
    code_hash(c, account_id, o->phone, digits, o->hash);
    sodium_memzero(digits, sizeof digits);
    return core_op_submit(c, o, cb, ctx, err);
}

/*
 * request_code — the short tracking code at work (request.h): looking at a code typed on the
 * portal, with the delays that follow wrong entries counted in the store (so that they hold
 * across restarts and across the servers of one database), the passes that open the
 * tracking page once the code was right, and an agent's renewal of a request's code.
 */
#include "core/request.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request_internal.h"
#include "core/short_code.h"
#include "util/timeutil.h"

#define SCOPE_REFERENCE "reference"
#define SCOPE_ADDRESS "address"
/* A long tracking token: 32 random bytes in base64url (core_new_secret). */
#define TOKEN_CHARS 43
#define PASS_PREFIX "pass."

const char *request_lookup_url(core *c, arena *a, const char *base_url)
{
    const char *path = core_links_get(c)->tracking;
    size_t len = path ? strlen(path) : 0;
    if (len && path[len - 1] == '/')
        len--;
    return arena_printf(a, "%s%.*s", base_url ? base_url : "", (int)len, path ? path : "");
}

/* ---- passes ---- */

/* The MAC of a pass for r expiring at `expires`, as hex: over the request, the expiry and its
 * short code's hash, so that a new code (request_code_renew) or an anonymisation (which
 * removes the hash) ends every pass given before. -1 when r has no short code. */
static int pass_mac(const core *c, const store_request *r, int64_t expires, char out[65])
{
    if (!r->short_code_hash || strlen(r->short_code_hash) != 64)
        return -1;
    static const unsigned char label[] = "guichet tracking pass v1";
    char fields[96];
    int n = snprintf(fields, sizeof fields, "%" PRId64 ".%" PRId64 ".%" PRId64 ".", r->tenant_id,
                     r->id, expires);
    unsigned char h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, c->secret, sizeof c->secret, sizeof h);
    crypto_generichash_update(&st, label, sizeof label);
    crypto_generichash_update(&st, (const unsigned char *)fields, (size_t)n);
    crypto_generichash_update(&st, (const unsigned char *)r->short_code_hash, 64);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
    return 0;
}

static int pass_make(const core *c, const store_request *r, int64_t now, char out[REQUEST_PASS_MAX])
{
    int64_t expires = now + REQUEST_PASS_TTL;
    char mac[65];
    if (pass_mac(c, r, expires, mac) != 0)
        return -1;
    snprintf(out, REQUEST_PASS_MAX, PASS_PREFIX "%" PRId64 ".%s", expires, mac);
    return 0;
}

/* 1 when `pass` is a pass for r that has not expired. */
static int pass_ok(const core *c, const store_request *r, const char *pass)
{
    if (strncmp(pass, PASS_PREFIX, strlen(PASS_PREFIX)) != 0)
        return 0;
    const char *p = pass + strlen(PASS_PREFIX);
    char *end = NULL;
    long long expires = strtoll(p, &end, 10);
    if (end == p || *end != '.' || strlen(end + 1) != 64 || expires <= time_now() ||
        expires > time_now() + REQUEST_PASS_TTL)
        return 0;
    char mac[65];
    return pass_mac(c, r, (int64_t)expires, mac) == 0 && sodium_memcmp(mac, end + 1, 64) == 0;
}

/* 1 when `token` is r's long tracking token. */
static int token_ok(const core *c, const store_request *r, const char *token)
{
    if (!r->token_hash || strlen(r->token_hash) != 64)
        return 0;
    char hash[65];
    core_hash_secret(c, token, hash);
    return sodium_memcmp(hash, r->token_hash, 64) == 0;
}

int request_token_matches(core *c, const store_request *r, const char *token)
{
    if (!r || !token || !*token || strlen(token) >= REQUEST_PASS_MAX)
        return 0;
    return token_ok(c, r, token) || pass_ok(c, r, token);
}

int request_short_code_matches(core *c, const store_request *r, const char *code)
{
    char canonical[SHORT_CODE_LEN + 1], hash[65];
    if (!r || !r->short_code_hash || strlen(r->short_code_hash) != 64 ||
        short_code_normalise(code, canonical) != 0)
        return 0;
    short_code_hash(c, r->tenant_id, r->id, canonical, hash);
    return sodium_memcmp(hash, r->short_code_hash, 64) == 0;
}

/* ---- checking a typed code ---- */

/* 1 when s has the shape of a long tracking token (base64url, TOKEN_CHARS long). */
static int token_shaped(const char *s)
{
    size_t n = strlen(s);
    if (n != TOKEN_CHARS)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

typedef struct code_job {
    core_op op; /* first */
    core *core;
    int64_t tenant_id;
    const char *reference;   /* the reference's count is under it, known or not */
    const char *address_key; /* keyed hash of the client's network */
    int matched;             /* the code (or token) is the request's */
    store_request req;       /* id and short code hash, for the pass */
    const char *token;       /* the long token when that is what matched */
    int64_t now;
    request_code_result *res;
} code_job;

/* What is left of the longer of the two delays (reference, address) at now. */
static int running_wait(store *s, int64_t tenant_id, const char *reference, const char *address_key,
                        int64_t now, store_code_failures *by_ref, store_code_failures *by_addr,
                        int64_t *wait, error *err)
{
    if (s->ops->code_failures.get(s, tenant_id, SCOPE_REFERENCE, reference, by_ref, err) != 0 ||
        s->ops->code_failures.get(s, tenant_id, SCOPE_ADDRESS, address_key, by_addr, err) != 0)
        return -1;
    int64_t w1 = short_code_wait(by_ref, SHORT_CODE_DELAY_MAX_REFERENCE, now);
    int64_t w2 = short_code_wait(by_addr, SHORT_CODE_DELAY_MAX_ADDRESS, now);
    *wait = w1 > w2 ? w1 : w2;
    return 0;
}

static int code_apply(store *s, core_op *op, error *err)
{
    code_job *j = (code_job *)op;
    store_code_failures by_ref, by_addr;
    int64_t wait;
    /* Looked at again inside the transaction: two entries racing past the caller's first look
     * are counted one after the other, the second one then refused. */
    if (running_wait(s, j->tenant_id, j->reference, j->address_key, j->now, &by_ref, &by_addr,
                     &wait, err) != 0)
        return -1;
    if (wait > 0) {
        j->res->wait_seconds = wait;
        return 0;
    }
    if (j->matched) {
        /* The owner got in: strangers' failures on their reference stop slowing them down.
         * The network's count stays: a success on one's own request must not wipe the
         * failures one made on others'. */
        static const store_code_failures none = {0, 0};
        j->res->opened = 1;
        return by_ref.failures ? s->ops->code_failures.tx_set(s, j->tenant_id, SCOPE_REFERENCE,
                                                              j->reference, &none, err)
                               : 0;
    }
    store_code_failures ref_next = short_code_failed(&by_ref, j->now);
    store_code_failures addr_next = short_code_failed(&by_addr, j->now);
    if (s->ops->code_failures.tx_set(s, j->tenant_id, SCOPE_REFERENCE, j->reference, &ref_next,
                                     err) != 0 ||
        s->ops->code_failures.tx_set(s, j->tenant_id, SCOPE_ADDRESS, j->address_key, &addr_next,
                                     err) != 0 ||
        s->ops->code_failures.tx_purge(s, j->now - SHORT_CODE_FORGET_AFTER + 1, err) != 0)
        return -1;
    int64_t w1 = short_code_delay(ref_next.failures, SHORT_CODE_DELAY_MAX_REFERENCE);
    int64_t w2 = short_code_delay(addr_next.failures, SHORT_CODE_DELAY_MAX_ADDRESS);
    j->res->wait_seconds = w1 > w2 ? w1 : w2;
    return 0;
}

static void code_finish(core_op *op, int *rc, error *err)
{
    code_job *j = (code_job *)op;
    if (*rc != 0 || !j->res->opened)
        return;
    if (j->token) {
        snprintf(j->res->pass, sizeof j->res->pass, "%s", j->token);
    } else if (pass_make(j->core, &j->req, j->now, j->res->pass) != 0) {
        j->res->opened = 0;
        *rc = error_set(err, ERR_INTERNAL, NULL, "cannot make a tracking pass");
    }
}

int request_code_check(core *c, const cat_tenant *t, const char *reference, const char *code,
                       const char *network, request_code_result *res, core_done_fn cb, void *ctx,
                       error *err)
{
    memset(res, 0, sizeof *res);
    if (!request_reference_ok(reference))
        return error_set(err, ERR_INVALID_ARG, "reference", "not a reference");
    char canonical[SHORT_CODE_LEN + 1];
    int is_short = code && short_code_normalise(code, canonical) == 0;
    if (!is_short && !(code && token_shaped(code)))
        return error_set(err, ERR_INVALID_ARG, "code", "neither a short code nor a token");
    /* The network's count is kept under a keyed hash: the table never names an address.
     * A network is an IPv4 address or an IPv6 /64 in text (at most 45 characters). */
    char label[96], address_key[65];
    snprintf(label, sizeof label, "code-address:%.64s", network ? network : "");
    core_hash_secret(c, label, address_key);
    int64_t now = time_now();
    store_code_failures by_ref, by_addr;
    int64_t wait;
    /* A first look outside the writer: the entries of someone trying codes in a row are
     * mostly refused here, without a write. */
    if (running_wait(c->store, t->rec.id, reference, address_key, now, &by_ref, &by_addr, &wait,
                     err) != 0)
        return -1;
    if (wait > 0) {
        res->wait_seconds = wait;
        if (cb)
            cb(ctx, 0, NULL);
        return 0;
    }
    code_job *j = core_op_new(sizeof *j, code_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = code_finish;
    arena *a = &j->op.a;
    store_request r;
    error gerr;
    error_clear(&gerr);
    if (request_get(c, t, reference, a, &r, &gerr) == 0) {
        if (is_short)
            j->matched = request_short_code_matches(c, &r, canonical);
        else if ((j->matched = token_ok(c, &r, code)))
            j->token = arena_strdup(a, code);
        j->req = r;
    } else if (gerr.code != ERR_NOT_FOUND) {
        core_op_free(j);
        if (err)
            *err = gerr;
        return -1;
    }
    j->core = c;
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(a, reference);
    j->address_key = arena_strdup(a, address_key);
    j->now = now;
    j->res = res;
    if (!j->reference || !j->address_key || (j->matched && !is_short && !j->token)) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* ---- forgetting ---- */

static int purge_apply(store *s, void *arg, error *err)
{
    return s->ops->code_failures.tx_purge(s, *(const int64_t *)arg, err);
}

int request_code_forget(core *c, error *err)
{
    /* Forgotten from SHORT_CODE_FORGET_AFTER seconds on (short_code_wait): "before" is strict. */
    int64_t before = time_now() - SHORT_CODE_FORGET_AFTER + 1;
    return store_write_sync(c->store, purge_apply, &before, err);
}

/* ---- an agent's new code ---- */

typedef struct renew_job {
    core_op op; /* first */
    core *core;
    int64_t tenant_id;
    const char *reference;
    const char *base_url;  /* NULL: no e-mail */
    const char *procedure; /* the request's procedure's name, for the e-mail */
    core_actor who; /* copied */
    store_agent who_agent;
    char code[SHORT_CODE_LEN + 1];
    char *code_out;
} renew_job;

/* The new code by e-mail («request_code»), in the request's language, to a citizen who chose
 * news by e-mail: in the job's transaction, so that it leaves only with the code that works. */
static int queue_new_code(store *s, renew_job *j, const store_request *r, error *err)
{
    const char *to = NULL, *via = outbox_citizen_channel(r->notify, r->email, r->phone, &to);
    if (!j->base_url || !via)
        return 0;
    char shown[SHORT_CODE_DISPLAY_SIZE];
    short_code_format(j->code, shown);
    const char *lookup = request_lookup_url(j->core, &j->op.a, j->base_url);
    json_t *params = lookup ? json_pack("{s:s, s:s, s:s, s:s}", "reference", r->reference,
                                        "procedure", j->procedure ? j->procedure : "", "short_code",
                                        shown, "lookup_url", lookup)
                            : NULL;
    sodium_memzero(shown, sizeof shown);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the new code's e-mail");
    int rc = outbox_add_tx(s, j->tenant_id, via, to, "request_code", params, r->lang, r->id, err);
    json_decref(params);
    return rc;
}

static int renew_apply(store *s, core_op *op, error *err)
{
    renew_job *j = (renew_job *)op;
    store_request r;
    int found = 0;
    if (s->ops->requests.tx_get(s, j->tenant_id, j->reference, &j->op.a, &r, &found, err) != 0)
        return -1;
    const store_agent *ag = j->who.kind == ACTOR_AGENT ? j->who.agent : NULL;
    if (!found || (ag && !perm_can_view(ag, &r)))
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    if (ag && !perm_can_change(ag, &r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change this request");
    if (r.anonymised_at)
        return error_set(err, ERR_CONFLICT, "reference", "this request was anonymised");
    char hash[65];
    short_code_hash(j->core, j->tenant_id, r.id, j->code, hash);
    if (s->ops->requests.tx_set_short_code(s, j->tenant_id, r.id, hash, err) != 0 ||
        queue_new_code(s, j, &r, err) != 0)
        return -1;
    return audit_change_tx(s, j->tenant_id, &j->who, "renew_code", "request", &r.id, 1, err);
}

static void renew_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    renew_job *j = (renew_job *)op;
    if (*rc == 0)
        memcpy(j->code_out, j->code, sizeof j->code);
    sodium_memzero(j->code, sizeof j->code);
}

int request_code_renew(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                       const char *base_url, char *code_out, core_done_fn cb, void *ctx, error *err)
{
    code_out[0] = '\0';
    if (!request_reference_ok(reference))
        return error_set(err, ERR_NOT_FOUND, "reference", "no such request");
    renew_job *j = core_op_new(sizeof *j, renew_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = renew_finish;
    j->core = c;
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(&j->op.a, reference);
    if (base_url) {
        /* The procedure's name now, while the catalogue snapshot t is held (the job outlives
         * the caller's hold); the job reads the request again for everything else. */
        store_request r;
        error gerr;
        error_clear(&gerr);
        const cat_procedure *p = request_get(c, t, reference, &j->op.a, &r, &gerr) == 0
                                     ? catalogue_procedure_by_id(t, r.procedure_id)
                                     : NULL;
        j->base_url = arena_strdup(&j->op.a, base_url);
        j->procedure = p ? arena_strdup(&j->op.a, p->rec.name) : NULL;
    }
    j->code_out = code_out;
    short_code_new(j->code);
    if (!j->reference || actor_copy(&j->op.a, who, &actor_system, &j->who, &j->who_agent) != 0) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

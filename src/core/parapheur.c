/*
 * parapheur — élus' keys, signature circuits, délégations (see parapheur.h). What needs no
 * storage runs on the caller's thread (a key opened with its PIN, a PDF signed); each change
 * is then one write job that checks again, against the rows as the writer sees them, that the
 * circuit is still where the caller found it.
 */
#include "core/parapheur.h"

#include <inttypes.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/agent.h"
#include "core/agent_notices.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/document.h"
#include "core/jobs.h"
#include "core/letter_tpl.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/seal.h"
#include "core/short_code.h"
#include "sign/cms_sign.h"
#include "sign/crl.h"
#include "sign/pades.h"
#include "sign/pkcs11.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/utf8.h"

/* The module path, written once at start-up then only read. */
static char pkcs11_module[512];

void parapheur_set_pkcs11_module(const char *path)
{
    snprintf(pkcs11_module, sizeof pkcs11_module, "%s", path ? path : "");
}

const char *parapheur_pkcs11_module(void)
{
    return pkcs11_module[0] ? pkcs11_module : NULL;
}

/* B-LT's CRLs fetched from private addresses too (serve --crl-private-ok). */
static int crl_private_ok;

void parapheur_set_crl_private_ok(int ok)
{
    crl_private_ok = ok;
}

/* ---- the state machine ---- */

parapheur_as parapheur_may_act(const store_sign_circuit *c, int64_t agent_id, int delegated)
{
    if (!c->state || strcmp(c->state, "pending") != 0 || c->step < 0 || c->step >= c->steps ||
        agent_id <= 0 || c->signer_id <= 0)
        return PARAPHEUR_AS_NONE;
    if (c->signer_id == agent_id)
        return PARAPHEUR_AS_SELF;
    return delegated ? PARAPHEUR_AS_DELEGATE : PARAPHEUR_AS_NONE;
}

int parapheur_after_sign(store_sign_circuit *c, int64_t new_document, int64_t now)
{
    c->document_id = new_document;
    c->step++;
    c->reminded_at = 0;
    c->waiting_since = now;
    if (c->step < c->steps)
        return 0;
    c->state = "signed";
    c->ended_at = now;
    return 1;
}

void parapheur_after_refuse(store_sign_circuit *c, int64_t now)
{
    c->state = "refused";
    c->ended_at = now;
}

void parapheur_reason(parapheur_as as, const char *name, const char *quality, char *out,
                      size_t size)
{
    const char *q = quality ? quality : "";
    if (as == PARAPHEUR_AS_DELEGATE)
        snprintf(out, size, "Pour le maire et par délégation, %s%s%s", name ? name : "",
                 *q ? ", " : "", q);
    else
        snprintf(out, size, "%s", q);
}

void parapheur_today(const cat_tenant *t, int64_t now, char out[11])
{
    char iso[TIME_RFC3339_LEN];
    time_format_rfc3339(now, t->rec.timezone, iso);
    memcpy(out, iso, 10);
    out[10] = '\0';
}

/* A message or comment: valid UTF-8 of 1 to max characters, line breaks and tabs allowed but
 * no other control character. The trimmed text (in a) or NULL, with *empty. */
static const char *multiline(arena *a, const char *s, size_t max, int *empty)
{
    *empty = 0;
    const char *t = s ? text_trim(a, s) : NULL;
    if (!t || !*t) {
        *empty = 1;
        return NULL;
    }
    size_t n = strlen(t);
    if (!utf8_valid(t, n) || utf8_length(t, n) > max)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return NULL;
    return t;
}

static int is_signer(const store_agent *a, int64_t tenant_id)
{
    return a && a->active && a->tenant_id == tenant_id && perm_can_sign(a);
}

/* ---- keys ---- */

/* The certificate's name as one line of UTF-8 (RFC 2253 order reversed to read naturally). */
static const char *name_line(arena *a, const X509_NAME *n)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return NULL;
    X509_NAME_print_ex(b, n, 0,
                       (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT);
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    const char *out = NULL;
    if (len >= 0 && len < 2000) {
        char *copy = arena_alloc(a, (size_t)len + 1);
        if (copy) {
            memcpy(copy, data, (size_t)len);
            copy[len] = '\0';
            for (char *p = copy; *p; p++)
                if ((unsigned char)*p < 0x20)
                    *p = '?';
            out = copy;
        }
    }
    BIO_free(b);
    return out;
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* The élus' PKCS#12 files are sealed at rest (core/seal.h) for this purpose, owner the élu:
 * a copy of the database alone then gives no file to guess the PIN of offline. */
#define SEAL_P12 "sign_key_p12"

/* Opens k's PKCS#12 file with pin: sealed, it is opened into a buffer wiped and freed once
 * the key is read; one still unsealed (stored before sealing, until parapheur_seal_keys runs
 * at start-up; or a file checked before it is stored) is read as it is. */
static int p12_open(const core *c, const store_sign_key *k, const char *pin, sign_key *out,
                    error *err)
{
    size_t len = (size_t)k->p12_len;
    if (!seal_blob_is_sealed(k->p12, len))
        return sign_key_load_p12(k->p12, len, pin, out, err);
    if (len < SEAL_BLOB_OVERHEAD || len - SEAL_BLOB_OVERHEAD > SIGN_P12_MAX)
        return error_set(err, ERR_INTERNAL, "p12", "the stored PKCS#12 file is damaged");
    size_t n = len - SEAL_BLOB_OVERHEAD;
    unsigned char *plain = malloc(n ? n : 1);
    if (!plain)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    int rc;
    if (seal_blob_open(c, SEAL_P12, k->tenant_id, k->agent_id, k->p12, len, plain) != 0)
        rc = error_set(err, ERR_INTERNAL, "p12",
                       "the stored PKCS#12 file does not open with this instance's secret");
    else
        rc = sign_key_load_p12(plain, n, pin, out, err);
    sodium_memzero(plain, n);
    free(plain);
    return rc;
}

/* Opens k (its file or token) with pin. */
static int key_open(const core *c, const store_sign_key *k, const char *pin, sign_key *out,
                    error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(k->kind, "p12") == 0)
        return p12_open(c, k, pin, out, err);
    const char *module = parapheur_pkcs11_module();
    if (!module)
        return error_set(err, ERR_INVALID_ARG, "pkcs11-module",
                         "no PKCS#11 module is configured on this server");
    return sign_key_load_pkcs11(module, k->token_label, k->key_label, pin, out, err);
}

typedef struct key_op {
    core_op op;
    store_sign_key key;
    core_actor who;
    store_agent who_agent;
} key_op;

static int key_apply(store *s, core_op *op, error *err)
{
    key_op *o = (key_op *)op;
    store_agent ag;
    int found = 0;
    if (s->ops->agents.get(s, o->key.tenant_id, o->key.agent_id, &op->a, &ag, &found, err) != 0)
        return -1;
    if (!found || !is_signer(&ag, o->key.tenant_id))
        return error_set(err, ERR_INVALID_ARG, "agent", "not an élu of the collectivité");
    if (s->ops->sign.tx_key_set(s, &o->key, err) != 0)
        return -1;
    return audit_change_tx(s, o->key.tenant_id, &o->who, "sign_key", "agent", &o->key.agent_id, 1,
                           err);
}

int parapheur_key_set(core *c, const cat_tenant *t, const core_actor *who,
                      const parapheur_key_in *in, core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !perm_can_admin(who->agent))
        return error_set(err, ERR_FORBIDDEN, NULL, "only an administrator sets a signing key");
    store_agent ag;
    arena a;
    arena_init(&a, 64 * 1024);
    sign_key k;
    memset(&k, 0, sizeof k);
    key_op *o = NULL;
    int rc = -1;
    if (agent_get(c, t->rec.id, in->agent_id, &a, &ag, err) != 0 || !is_signer(&ag, t->rec.id)) {
        error_set(err, ERR_INVALID_ARG, "agent", "not an élu of the collectivité");
        goto cleanup;
    }
    const char *quality = NULL;
    text_verdict v = text_field(&a, in->quality, PARAPHEUR_QUALITY_MAX, &quality);
    if (v != TEXT_OK && v != TEXT_EMPTY) {
        error_set(err, ERR_INVALID_ARG, "quality", "not a valid quality");
        goto cleanup;
    }
    int p12 = in->kind && strcmp(in->kind, "p12") == 0;
    int p11 = in->kind && strcmp(in->kind, "pkcs11") == 0;
    if (!p12 && !p11) {
        error_set(err, ERR_INVALID_ARG, "kind", "p12 or pkcs11");
        goto cleanup;
    }
    if (!in->pin || strlen(in->pin) > PARAPHEUR_PIN_MAX) {
        error_set(err, ERR_INVALID_ARG, "pin", "no PIN");
        goto cleanup;
    }
    store_sign_key rec = {.agent_id = in->agent_id, .tenant_id = t->rec.id, .kind = in->kind};
    if (p12) {
        if (!in->p12 || in->p12_len == 0 || in->p12_len > SIGN_P12_MAX) {
            error_set(err, ERR_INVALID_ARG, "p12", "no PKCS#12 file, or over %u bytes",
                      SIGN_P12_MAX);
            goto cleanup;
        }
        rec.p12 = in->p12;
        rec.p12_len = (int64_t)in->p12_len;
    } else {
        if (!in->token || !*in->token || strlen(in->token) > SIGN_PKCS11_LABEL_MAX ||
            utf8_has_control(in->token, strlen(in->token))) {
            error_set(err, ERR_INVALID_ARG, "token", "not a token label");
            goto cleanup;
        }
        if (!in->key || !*in->key || strlen(in->key) > SIGN_PKCS11_LABEL_MAX ||
            utf8_has_control(in->key, strlen(in->key))) {
            error_set(err, ERR_INVALID_ARG, "key", "not a key label");
            goto cleanup;
        }
        rec.token_label = in->token;
        rec.key_label = in->key;
    }
    if (key_open(c, &rec, in->pin, &k, err) != 0) {
        if (strcmp(err->arg, "password") == 0)
            error_set(err, ERR_INVALID_ARG, "pin", "the PIN does not open the key");
        goto cleanup;
    }
    if (!(o = core_op_new(sizeof *o, key_apply))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    arena *oa = &o->op.a;
    o->key = rec;
    o->key.quality = quality ? arena_strdup(oa, quality) : "";
    o->key.subject = name_line(oa, X509_get_subject_name(k.cert));
    o->key.issuer = name_line(oa, X509_get_issuer_name(k.cert));
    o->key.not_before = asn1_epoch(X509_get0_notBefore(k.cert));
    o->key.not_after = asn1_epoch(X509_get0_notAfter(k.cert));
    o->key.updated_at = time_now();
    o->key.updated_by = who->agent->id;
    unsigned char *copy = p12 ? arena_alloc(oa, in->p12_len + SEAL_BLOB_OVERHEAD) : NULL;
    if (copy) {
        seal_blob(c, SEAL_P12, t->rec.id, in->agent_id, in->p12, in->p12_len, copy);
        o->key.p12_len = (int64_t)(in->p12_len + SEAL_BLOB_OVERHEAD);
    }
    o->key.p12 = copy;
    o->key.token_label = p11 ? arena_strdup(oa, in->token) : NULL;
    o->key.key_label = p11 ? arena_strdup(oa, in->key) : NULL;
    if ((p12 && !copy) || !o->key.subject || !o->key.issuer ||
        actor_copy(oa, who, &actor_system, &o->who, &o->who_agent) != 0) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    rc = core_op_submit(c, o, cb, ctx, err);
    o = NULL;
cleanup:
    core_op_free(o);
    sign_key_free(&k);
    arena_free(&a);
    return rc;
}

/* One stored PKCS#12 file to seal: its bytes as read, and sealed. */
typedef struct p12_to_seal {
    int64_t tenant_id, agent_id;
    const void *old;
    size_t old_len;
    unsigned char *sealed;
    struct p12_to_seal *next;
} p12_to_seal;

typedef struct seal_keys_op {
    core_op op;
    p12_to_seal *first;
    size_t sealed;
    size_t *sealed_out; /* the caller's, told by seal_keys_finish */
} seal_keys_op;

/* Each file replaced only if it is still the one read: a key an administrator set since is
 * already sealed and stays. */
static int seal_keys_apply(store *s, core_op *op, error *err)
{
    seal_keys_op *j = (seal_keys_op *)op;
    for (const p12_to_seal *p = j->first; p; p = p->next) {
        int replaced = 0;
        if (s->ops->sign.tx_key_p12_replace(s, p->tenant_id, p->agent_id, p->old, p->old_len,
                                            p->sealed, p->old_len + SEAL_BLOB_OVERHEAD, &replaced,
                                            err) != 0)
            return -1;
        j->sealed += (size_t)replaced;
    }
    return 0;
}

static void seal_keys_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    seal_keys_op *j = (seal_keys_op *)op;
    if (*rc == 0 && j->sealed_out)
        *j->sealed_out = j->sealed;
    /* The files in clear read into the op's arena: not left in freed memory. */
    for (p12_to_seal *p = j->first; p; p = p->next)
        sodium_memzero((void *)p->old, p->old_len);
}

/* Adds tenant_id's PKCS#12 files still in clear to j, read and sealed in j's arena. */
static int seal_keys_collect(core *c, seal_keys_op *j, int64_t tenant_id, error *err)
{
    arena a;
    arena_init(&a, 0);
    store_sign_key *list = NULL;
    size_t n = 0;
    int rc = c->store->ops->sign.keys_list(c->store, tenant_id, &a, &list, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(list[i].kind, "p12") != 0)
            continue;
        store_sign_key k;
        int found = 0;
        arena *oa = &j->op.a;
        if ((rc = c->store->ops->sign.key_get(c->store, tenant_id, list[i].agent_id, 1, oa, &k,
                                              &found, err)) != 0)
            break;
        if (!found || !k.p12 || k.p12_len <= 0 || seal_blob_is_sealed(k.p12, (size_t)k.p12_len))
            continue;
        p12_to_seal *p = arena_alloc(oa, sizeof *p);
        unsigned char *sealed = arena_alloc(oa, (size_t)k.p12_len + SEAL_BLOB_OVERHEAD);
        if (!p || !sealed) {
            rc = error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
            break;
        }
        seal_blob(c, SEAL_P12, tenant_id, k.agent_id, k.p12, (size_t)k.p12_len, sealed);
        *p = (p12_to_seal){.tenant_id = tenant_id,
                           .agent_id = k.agent_id,
                           .old = k.p12,
                           .old_len = (size_t)k.p12_len,
                           .sealed = sealed,
                           .next = j->first};
        j->first = p;
    }
    arena_free(&a);
    return rc;
}

int parapheur_seal_keys(core *c, size_t *sealed, error *err)
{
    if (sealed)
        *sealed = 0;
    seal_keys_op *j = core_op_new(sizeof *j, seal_keys_apply);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->op.finish = seal_keys_finish;
    j->sealed_out = sealed;
    const catalogue *cat = catalogue_acquire(c);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cat->n_tenants; i++)
        rc = seal_keys_collect(c, j, cat->tenants[i].rec.id, err);
    catalogue_release(c, cat);
    /* Nothing in clear (every start but the first after an upgrade): no write queued. */
    if (rc != 0 || !j->first) {
        seal_keys_finish(&j->op, &rc, err);
        core_op_free(j);
        return rc;
    }
    return core_op_submit(c, j, NULL, NULL, err);
}

int parapheur_keys(core *c, int64_t tenant_id, arena *a, store_sign_key **out, size_t *n,
                   error *err)
{
    return c->store->ops->sign.keys_list(c->store, tenant_id, a, out, n, err);
}

int parapheur_key_get(core *c, int64_t tenant_id, int64_t agent_id, arena *a, store_sign_key *out,
                      int *found, error *err)
{
    return c->store->ops->sign.key_get(c->store, tenant_id, agent_id, 0, a, out, found, err);
}

/* ---- reminders ---- */

/* Inside a write job: the reminder of circuit id's step `step`, waiting since `since`, due
 * after the collectivité's days. */
static int remind_schedule_tx(store *s, int64_t tenant_id, int64_t request_id, int64_t id, int step,
                              int64_t at, error *err)
{
    json_t *payload = json_pack("{s:I, s:i}", "circuit", (json_int_t)id, "step", step);
    if (!payload)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    char key[64];
    snprintf(key, sizeof key, "c%" PRId64 "-s%d-%" PRId64, id, step, at / 86400);
    int rc = jobs_schedule_tx(s, tenant_id, request_id, PARAPHEUR_REMIND_KIND, key, at, payload,
                              NULL, err);
    json_decref(payload);
    return rc;
}

/* The first reminder of a step that starts waiting at `since`. */
static int remind_first_tx(store *s, int64_t tenant_id, int64_t request_id, int64_t id, int step,
                           int64_t since, error *err)
{
    int days = 0;
    if (s->ops->sign.remind_days(s, 1, tenant_id, &days, err) != 0)
        return -1;
    if (days <= 0)
        days = PARAPHEUR_REMIND_DAYS;
    return remind_schedule_tx(s, tenant_id, request_id, id, step, since + (int64_t)days * 86400,
                              err);
}

size_t parapheur_delegates_on(const store_sign_delegation *d, size_t n, int64_t principal_id,
                              const char *today, int64_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        if (d[i].principal_id != principal_id || d[i].delegate_id == principal_id ||
            strcmp(d[i].starts_on, today) > 0 || strcmp(d[i].ends_on, today) < 0)
            continue;
        size_t j = 0;
        while (j < k && out[j] != d[i].delegate_id)
            j++;
        if (j == k)
            out[k++] = d[i].delegate_id;
    }
    return k;
}

/* The reminder's e-mail to agent_id (the élu, or for_name's delegate), when an active agent
 * with an address. */
static int remind_mail_tx(store *s, job_run *run, const store_sign_circuit *ci, int64_t agent_id,
                          const char *for_name, int *sent, error *err)
{
    const store_job_row *job = run->job;
    store_agent to;
    int found = 0;
    if (s->ops->agents.get(s, job->tenant_id, agent_id, run->a, &to, &found, err) != 0)
        return -1;
    if (!found || !to.active || !to.email || !*to.email)
        return 0;
    char base[CORE_URL_MAX] = "";
    if (run->tenant)
        core_base_url(run->core, run->tenant, base, sizeof base);
    const char *since = "";
    char date[TIME_RFC3339_LEN];
    if (run->tenant) {
        time_format_rfc3339(ci->waiting_since, run->tenant->rec.timezone, date);
        date[10] = '\0';
        since = date;
    }
    /* Reference, title and date only: no personal data of the citizen. */
    /* "document", not "title": the mail's context gives "title" its subject. */
    json_t *params = json_pack("{s:s, s:s, s:s}", "reference", ci->reference, "document",
                               ci->title ? ci->title : "", "since", since);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (*base)
        json_object_set_new(
            params, "link",
            json_string(arena_printf(run->a, "%s/agent/parapheur/%" PRId64, base, ci->id)));
    if (for_name)
        json_object_set_new(params, "for", json_string(for_name));
    int rc = outbox_add_tx(s, job->tenant_id, "email", to.email, "sign_remind", params, "fr",
                           job->request_id, err);
    json_decref(params);
    if (rc == 0)
        *sent = 1;
    return rc;
}

static int remind_run_tx(store *s, job_run *run, error *err)
{
    const store_job_row *job = run->job;
    json_t *payload = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    int64_t id = (int64_t)json_integer_value(json_object_get(payload, "circuit"));
    int step = (int)json_integer_value(json_object_get(payload, "step"));
    json_decref(payload);
    store_sign_circuit ci;
    int found = 0;
    if (s->ops->sign.circuit_get(s, 1, job->tenant_id, id, run->a, &ci, &found, err) != 0)
        return -1;
    /* Signed, refused or moved on meanwhile: nothing to remind. */
    if (!found || strcmp(ci.state, "pending") != 0 || ci.step != step || !ci.signer_id) {
        run->no_event = 1;
        return 0;
    }
    int sent = 0;
    if (remind_mail_tx(s, run, &ci, ci.signer_id, NULL, &sent, err) != 0)
        return -1;
    /* While a délégation holds today, its delegate may sign the step: reminded too. */
    if (run->tenant) {
        char today[11];
        parapheur_today(run->tenant, run->now, today);
        store_sign_delegation *d = NULL;
        size_t n = 0;
        int64_t delegates[PARAPHEUR_REMIND_DELEGATES_MAX];
        if (s->ops->sign.delegations_list(s, job->tenant_id, today, run->a, &d, &n, err) != 0)
            return -1;
        size_t k = parapheur_delegates_on(d, n, ci.signer_id, today, delegates,
                                          PARAPHEUR_REMIND_DELEGATES_MAX);
        store_agent elu;
        const char *for_name = NULL;
        if (k &&
            s->ops->agents.get(s, job->tenant_id, ci.signer_id, run->a, &elu, &found, err) != 0)
            return -1;
        if (k && found)
            for_name = elu.name;
        for (size_t i = 0; i < k; i++)
            if (remind_mail_tx(s, run, &ci, delegates[i], for_name, &sent, err) != 0)
                return -1;
    }
    if (!sent)
        run->no_event = 1;
    ci.reminded_at = run->now;
    /* Then once a day while it waits. */
    if (s->ops->sign.tx_circuit_update(s, &ci, err) != 0)
        return -1;
    return remind_schedule_tx(s, job->tenant_id, job->request_id, ci.id, ci.step, run->now + 86400,
                              err);
}

static const job_handler remind_handler = {
    .kind = PARAPHEUR_REMIND_KIND,
    .run_tx = remind_run_tx,
    .max_attempts = 5,
    .retry_base_s = 60,
    .retry_max_s = 3600,
};

int parapheur_register(core *c, error *err)
{
    return jobs_register(c, &remind_handler, err);
}

int parapheur_remind_days(core *c, int64_t tenant_id, int *days, error *err)
{
    if (c->store->ops->sign.remind_days(c->store, 0, tenant_id, days, err) != 0)
        return -1;
    if (*days <= 0)
        *days = PARAPHEUR_REMIND_DAYS;
    return 0;
}

typedef struct settings_op {
    core_op op;
    int64_t tenant_id;
    int days;                    /* the reminders' days, or… */
    store_sign_settings signing; /* …the signatures' settings (level set) */
    core_actor who;
    store_agent who_agent;
} settings_op;

static int settings_apply(store *s, core_op *op, error *err)
{
    settings_op *o = (settings_op *)op;
    if (o->signing.level ? s->ops->sign.tx_signing_set(s, o->tenant_id, &o->signing,
                                                       PARAPHEUR_REMIND_DAYS, err) != 0
                         : s->ops->sign.tx_remind_days_set(s, o->tenant_id, o->days, err) != 0)
        return -1;
    return audit_change_tx(s, o->tenant_id, &o->who, "sign_settings", "tenant", &o->tenant_id, 1,
                           err);
}

int parapheur_remind_days_set(core *c, const cat_tenant *t, const core_actor *who, int days,
                              core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !perm_can_admin(who->agent))
        return error_set(err, ERR_FORBIDDEN, NULL, "only an administrator sets the reminders");
    if (days < 1 || days > PARAPHEUR_REMIND_DAYS_MAX)
        return error_set(err, ERR_INVALID_ARG, "remind_days", "1 to %d days",
                         PARAPHEUR_REMIND_DAYS_MAX);
    settings_op *o = core_op_new(sizeof *o, settings_apply);
    if (!o || actor_copy(&o->op.a, who, &actor_system, &o->who, &o->who_agent) != 0) {
        core_op_free(o);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    o->tenant_id = t->rec.id;
    o->days = days;
    return core_op_submit(c, o, cb, ctx, err);
}

int parapheur_signing(core *c, int64_t tenant_id, arena *a, store_sign_settings *out, error *err)
{
    return c->store->ops->sign.signing_get(c->store, tenant_id, a, out, err);
}

/* A TSA's URL: http or https, at most PARAPHEUR_TSA_URL_MAX bytes, no space nor control
 * character. */
static int tsa_url_ok(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n == 0 || n > PARAPHEUR_TSA_URL_MAX ||
        (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
        !u[strncmp(u, "http://", 7) == 0 ? 7 : 8])
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return 0;
    return 1;
}

int parapheur_signing_set(core *c, const cat_tenant *t, const core_actor *who,
                          const store_sign_settings *in, core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !perm_can_admin(who->agent))
        return error_set(err, ERR_FORBIDDEN, NULL, "only an administrator sets the signatures");
    const char *level = in->level ? in->level : "";
    if (strcmp(level, "B-B") != 0 && strcmp(level, "B-T") != 0 && strcmp(level, "B-LT") != 0)
        return error_set(err, ERR_INVALID_ARG, "level", "B-B, B-T or B-LT");
    int stamped = strcmp(level, "B-B") != 0;
    const char *tsa = in->tsa_url && *in->tsa_url ? in->tsa_url : NULL;
    if ((stamped || tsa) && !tsa_url_ok(tsa))
        return error_set(err, ERR_INVALID_ARG, "tsa_url",
                         stamped ? "B-T and B-LT need the http(s) URL of a TSA"
                                 : "not an http(s) URL");
    settings_op *o = core_op_new(sizeof *o, settings_apply);
    if (!o || actor_copy(&o->op.a, who, &actor_system, &o->who, &o->who_agent) != 0) {
        core_op_free(o);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    o->tenant_id = t->rec.id;
    o->signing = (store_sign_settings){.level = arena_strdup(&o->op.a, level),
                                       .tsa_url = tsa ? arena_strdup(&o->op.a, tsa) : NULL,
                                       .visible = in->visible ? 1 : 0};
    if (!o->signing.level || (tsa && !o->signing.tsa_url)) {
        core_op_free(o);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_submit(c, o, cb, ctx, err);
}

/* ---- circuits ---- */

typedef struct send_op {
    core_op op;
    store_sign_circuit ci;
    int64_t elus[PARAPHEUR_STEPS_MAX];
    size_t n;
    const char *names; /* «A, B» for the event */
    core_actor who;
    store_agent who_agent;
    int64_t *id_out;
} send_op;

static int pending_of_document(store *s, arena *a, int64_t tenant_id, int64_t request_id,
                               int64_t document_id, error *err)
{
    /* A request has a handful of circuits: its list is the check. */
    store_sign_circuit *cs = NULL;
    size_t n = 0;
    if (s->ops->sign.of_request(s, tenant_id, request_id, a, &cs, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cs[i].state, "pending") == 0 && cs[i].document_id == document_id)
            return error_set(err, ERR_CONFLICT, "document",
                             "this document is already waiting for signatures");
    return 0;
}

/* Inside a write job: circuit ci (its request's) with elus[0..n) (names: «A, B»), the internal
 * event sign_sent by actor and the first élu's reminder; its id into *id. */
static int circuit_start_tx(store *s, arena *a, const store_sign_circuit *ci, const int64_t *elus,
                            size_t n, const char *names, const char *actor, const char *via,
                            int64_t *id, error *err)
{
    if (s->ops->sign.tx_circuit_insert(s, ci, elus, n, id, err) != 0 ||
        remind_first_tx(s, ci->tenant_id, ci->request_id, *id, 0, ci->created_at, err) != 0)
        return -1;
    const char *body =
        ci->message && *ci->message ? arena_printf(a, "%s\n\n%s", names, ci->message) : names;
    store_event e = {.tenant_id = ci->tenant_id,
                     .request_id = ci->request_id,
                     .created_at = ci->created_at,
                     .kind = PARAPHEUR_EVENT_SENT,
                     .body = body,
                     .is_public = 0,
                     .actor = actor,
                     .channel = via};
    if (!body)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

int parapheur_action_tx(store *s, const store_request *r, const char *signers, const char *actor,
                        const char *via, int64_t now, int *sent, error *err)
{
    *sent = 0;
    arena a;
    arena_init(&a, 256 * 1024);
    int rc = -1;
    store_document *docs = NULL;
    size_t nd = 0;
    store_agent *agents = NULL;
    size_t na = 0;
    if (s->ops->documents.list(s, r->tenant_id, r->id, NULL, &a, &docs, &nd, err) != 0 ||
        s->ops->agents.list(s, r->tenant_id, &a, &agents, &na, err) != 0)
        goto cleanup;
    /* The latest letter or decision (oldest first in the list). */
    const store_document *doc = NULL;
    for (size_t i = 0; i < nd; i++)
        if (strcmp(docs[i].kind, "letter") == 0 || strcmp(docs[i].kind, "decision") == 0)
            doc = &docs[i];
    int64_t elus[PARAPHEUR_STEPS_MAX];
    size_t n = 0;
    buf names;
    buf_init(&names, 4096);
    for (const char *p = signers ? signers : ""; *p && n < PARAPHEUR_STEPS_MAX;) {
        size_t len = strcspn(p, ",");
        for (size_t i = 0; i < na; i++)
            if (is_signer(&agents[i], r->tenant_id) && agents[i].email &&
                strlen(agents[i].email) == len && strncasecmp(agents[i].email, p, len) == 0) {
                elus[n++] = agents[i].id;
                buf_printf(&names, "%s%s", n > 1 ? ", " : "", agents[i].name);
                break;
            }
        p += len + (p[len] == ',');
    }
    rc = 0;
    /* Nothing to sign, nobody to sign it, or already on its way: the action is skipped. */
    if (!doc || !n) {
        if (!doc)
            log_info("workflow action: request %s has no letter or decision to send for "
                     "signature",
                     r->reference);
        buf_free(&names);
        goto cleanup;
    }
    rc = pending_of_document(s, &a, r->tenant_id, r->id, doc->id, err);
    if (rc != 0) {
        rc = err->code == ERR_CONFLICT ? 0 : -1;
        error_clear(err);
        buf_free(&names);
        goto cleanup;
    }
    store_sign_circuit ci = {.tenant_id = r->tenant_id,
                             .request_id = r->id,
                             .document_id = doc->id,
                             .message = "",
                             .created_at = now};
    int64_t id = 0;
    const char *who = arena_strndup(&a, names.data ? names.data : "", names.len);
    buf_free(&names);
    rc = who ? circuit_start_tx(s, &a, &ci, elus, n, who, actor, via, &id, err)
             : error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    *sent = rc == 0;
cleanup:
    arena_free(&a);
    return rc;
}

static int send_apply(store *s, core_op *op, error *err)
{
    send_op *o = (send_op *)op;
    store_request r;
    int found = 0;
    if (s->ops->requests.get_by_id(s, o->ci.tenant_id, o->ci.request_id, &op->a, &r, &found, err) !=
        0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "request", "request not found");
    if (o->who.kind == ACTOR_AGENT && !perm_can_change(o->who.agent, &r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change the request");
    if (r.anonymised_at)
        return error_set(err, ERR_CONFLICT, "request", "the request is anonymised");
    if (pending_of_document(s, &op->a, r.tenant_id, r.id, o->ci.document_id, err) != 0)
        return -1;
    int64_t id = 0;
    if (circuit_start_tx(s, &op->a, &o->ci, o->elus, o->n, o->names,
                         actor_event_label(&o->who, &op->a), "web", &id, err) != 0)
        return -1;
    if (o->id_out)
        *o->id_out = id;
    return audit_change_tx(s, r.tenant_id, &o->who, "sign_send", "request", &r.id, 1, err);
}

int parapheur_send(core *c, const cat_tenant *t, const core_actor *who, const parapheur_send_in *in,
                   int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT && who->kind != ACTOR_SYSTEM)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent sends for signature");
    arena a;
    arena_init(&a, 256 * 1024);
    send_op *o = NULL;
    int rc = -1;
    store_request r;
    if (request_get_as(c, t, who, in->reference, &a, &r, err) != 0)
        goto cleanup;
    if (who->kind == ACTOR_AGENT && !perm_can_change(who->agent, &r)) {
        error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change the request");
        goto cleanup;
    }
    store_document d;
    int found = 0;
    if (c->store->ops->documents.get(c->store, t->rec.id, in->document_id, &a, &d, &found, err) !=
        0)
        goto cleanup;
    if (!found || d.request_id != r.id) {
        error_set(err, ERR_NOT_FOUND, "document", "no such document of the request");
        goto cleanup;
    }
    if (strcmp(d.kind, DOCUMENT_KIND_RECEIPT) == 0) {
        error_set(err, ERR_INVALID_ARG, "document", "a receipt is not signed by an élu");
        goto cleanup;
    }
    if (in->n_elus == 0 || in->n_elus > PARAPHEUR_STEPS_MAX) {
        error_set(err, ERR_INVALID_ARG, "elus", "1 to %d élus", PARAPHEUR_STEPS_MAX);
        goto cleanup;
    }
    int empty = 0;
    const char *message = in->message && *in->message
                              ? multiline(&a, in->message, PARAPHEUR_MESSAGE_MAX, &empty)
                              : NULL;
    if (in->message && *in->message && !message && !empty) {
        error_set(err, ERR_INVALID_ARG, "message", "not a valid message");
        goto cleanup;
    }
    if (!(o = core_op_new(sizeof *o, send_apply))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    arena *oa = &o->op.a;
    buf names;
    buf_init(&names, 4096);
    for (size_t i = 0; i < in->n_elus; i++) {
        store_agent ag;
        for (size_t k = 0; k < i; k++)
            if (in->elus[k] == in->elus[i]) {
                buf_free(&names);
                error_set(err, ERR_INVALID_ARG, "elus", "an élu named twice");
                goto cleanup;
            }
        error e2;
        if (agent_get(c, t->rec.id, in->elus[i], &a, &ag, &e2) != 0 || !is_signer(&ag, t->rec.id)) {
            buf_free(&names);
            error_set(err, ERR_INVALID_ARG, "elus", "not an élu of the collectivité");
            goto cleanup;
        }
        o->elus[i] = ag.id;
        buf_printf(&names, "%s%s", i ? ", " : "", ag.name);
    }
    o->n = in->n_elus;
    o->names = arena_strndup(oa, names.data ? names.data : "", names.len);
    buf_free(&names);
    o->id_out = id_out;
    o->ci = (store_sign_circuit){
        .tenant_id = t->rec.id,
        .request_id = r.id,
        .document_id = d.id,
        .sent_by = actor_agent_id(who),
        .message = message ? arena_strdup(oa, message) : "",
        .created_at = time_now(),
    };
    if (!o->names || !o->ci.message ||
        actor_copy(oa, who, &actor_system, &o->who, &o->who_agent) != 0) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    rc = core_op_submit(c, o, cb, ctx, err);
    o = NULL;
cleanup:
    core_op_free(o);
    arena_free(&a);
    return rc;
}

int parapheur_queue(core *c, const cat_tenant *t, int64_t agent_id, arena *a,
                    store_sign_circuit **out, size_t *n, error *err)
{
    char today[11];
    parapheur_today(t, time_now(), today);
    return c->store->ops->sign.queue(c->store, t->rec.id, agent_id, today, PARAPHEUR_QUEUE_MAX, a,
                                     out, n, err);
}

int parapheur_circuit(core *c, const cat_tenant *t, int64_t id, arena *a, store_sign_circuit *out,
                      store_sign_step **steps, size_t *n_steps, int *found, error *err)
{
    *steps = NULL;
    *n_steps = 0;
    if (c->store->ops->sign.circuit_get(c->store, 0, t->rec.id, id, a, out, found, err) != 0)
        return -1;
    if (!*found)
        return 0;
    return c->store->ops->sign.steps_list(c->store, id, a, steps, n_steps, err);
}

int parapheur_of_request(core *c, const cat_tenant *t, int64_t request_id, arena *a,
                         store_sign_circuit **out, size_t *n, error *err)
{
    return c->store->ops->sign.of_request(c->store, t->rec.id, request_id, a, out, n, err);
}

/* How who may act on ci, the délégation read on conn writer (1) or a reader (0). */
static int how_on(store *s, int writer, const cat_tenant *t, const core_actor *who,
                  const store_sign_circuit *ci, parapheur_as *as, error *err)
{
    *as = PARAPHEUR_AS_NONE;
    if (who->kind != ACTOR_AGENT || !is_signer(who->agent, t->rec.id))
        return 0;
    int holds = 0;
    if (ci->signer_id && ci->signer_id != who->agent->id) {
        char today[11];
        parapheur_today(t, time_now(), today);
        if (s->ops->sign.delegation_holds(s, writer, t->rec.id, who->agent->id, ci->signer_id,
                                          today, &holds, err) != 0)
            return -1;
    }
    *as = parapheur_may_act(ci, who->agent->id, holds);
    return 0;
}

int parapheur_how(core *c, const cat_tenant *t, const core_actor *who, const store_sign_circuit *ci,
                  parapheur_as *as, error *err)
{
    return how_on(c->store, 0, t, who, ci, as, err);
}

/* What a signature or a refusal checks first, on the caller's thread: the circuit, and who
 * acts on it. */
static int decision_open(core *c, const cat_tenant *t, const core_actor *who, int64_t id, arena *a,
                         store_sign_circuit *ci, parapheur_as *as, error *err)
{
    int found = 0;
    if (c->store->ops->sign.circuit_get(c->store, 0, t->rec.id, id, a, ci, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "circuit", "no such circuit");
    if (strcmp(ci->state, "pending") != 0)
        return error_set(err, ERR_CONFLICT, "circuit", "the circuit is over");
    if (how_on(c->store, 0, t, who, ci, as, err) != 0)
        return -1;
    if (*as == PARAPHEUR_AS_NONE)
        return error_set(err, ERR_FORBIDDEN, NULL, "this document does not wait for this élu");
    return 0;
}

/* What a decision's job shares: the circuit as the caller saw it, who, and the step's
 * outcome. */
typedef struct decide_op {
    core_op op;
    const cat_tenant *t; /* the catalogue snapshot's, valid while the server runs */
    store_sign_circuit seen;
    parapheur_as as;
    core_actor who;
    store_agent who_agent;
    const char *principal; /* the élu of the step, for a délégation's words */
    const char *reason;    /* the signature's /Reason */
    const char *comment;   /* a refusal's */
    store_document doc;    /* a signature's new version */
    const char *procedure; /* for the citizen's notice */
    const char *tracking_url;
    int64_t *document_out;
    int failure; /* a wrong PIN's count: the job only counts it, then reports "pin" */
    int locked;  /* that count locked the key */
} decide_op;

/* The circuit again inside the job: still at the step the caller saw, and who still may act
 * on it. The request into r. */
static int decide_check(store *s, decide_op *o, store_sign_circuit *ci, store_request *r,
                        error *err)
{
    int found = 0;
    if (s->ops->sign.circuit_get(s, 1, o->seen.tenant_id, o->seen.id, &o->op.a, ci, &found, err) !=
        0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "circuit", "no such circuit");
    if (strcmp(ci->state, "pending") != 0 || ci->step != o->seen.step ||
        ci->document_id != o->seen.document_id)
        return error_set(err, ERR_CONFLICT, "circuit", "the circuit moved on meanwhile");
    parapheur_as as;
    if (how_on(s, 1, o->t, &o->who, ci, &as, err) != 0)
        return -1;
    if (as != o->as)
        return error_set(err, ERR_FORBIDDEN, NULL, "this document does not wait for this élu");
    if (s->ops->requests.get_by_id(s, ci->tenant_id, ci->request_id, &o->op.a, r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "request", "request not found");
    if (r->anonymised_at)
        return error_set(err, ERR_CONFLICT, "request", "the request is anonymised");
    return 0;
}

/* «Camille Maire» or «Dominique Adjoint pour Camille Maire (Pour le maire et par
 * délégation, …)»: who signed, for the timeline. */
static const char *signer_words(decide_op *o)
{
    const char *name = o->who.agent ? o->who.agent->name : "";
    if (o->as == PARAPHEUR_AS_DELEGATE)
        return arena_printf(&o->op.a, "%s pour %s (%s)", name, o->principal ? o->principal : "",
                            o->reason ? o->reason : "");
    return arena_strdup(&o->op.a, name);
}

static int event_tx(store *s, decide_op *o, const store_request *r, const char *kind,
                    const char *body, int is_public, int64_t now, error *err)
{
    store_event e = {.tenant_id = r->tenant_id,
                     .request_id = r->id,
                     .created_at = now,
                     .kind = kind,
                     .body = body,
                     .is_public = is_public,
                     .actor = actor_event_label(&o->who, &o->op.a),
                     .channel = "web"};
    if (!body)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

static int sign_apply(store *s, core_op *op, error *err)
{
    decide_op *o = (decide_op *)op;
    if (o->failure)
        return s->ops->sign.tx_key_wrong_pin(s, o->seen.tenant_id, o->who.agent->id, time_now(),
                                             PARAPHEUR_PIN_TRIES, PARAPHEUR_PIN_LOCK, &o->locked,
                                             err);
    /* The PIN was right, but wrong ones tried at the same time may have locked the key since
     * the caller read it: the lock wins, and a right PIN clears the count of wrong ones. */
    if (s->ops->sign.tx_key_right_pin(s, o->seen.tenant_id, o->who.agent->id, time_now(), err) != 0)
        return -1;
    store_sign_circuit ci;
    store_request r;
    if (decide_check(s, o, &ci, &r, err) != 0)
        return -1;
    int64_t now = time_now();
    if (now < r.updated_at)
        now = r.updated_at;
    o->doc.request_id = r.id;
    o->doc.created_at = now;
    int64_t doc_id = 0;
    if (s->ops->documents.tx_next_version(s, r.id, o->doc.kind, o->doc.title, &o->doc.version,
                                          err) != 0)
        return -1;
    int last = ci.step + 1 >= ci.steps;
    o->doc.citizen_visible = last;
    if (s->ops->documents.tx_insert(s, &o->doc, &doc_id, err) != 0)
        return -1;
    store_sign_step st = {.circuit_id = ci.id,
                          .position = ci.step,
                          .state = "signed",
                          .signed_by = o->who.agent->id,
                          .document_id = doc_id,
                          .decided_at = now};
    if (s->ops->sign.tx_step_decide(s, &st, err) != 0)
        return -1;
    parapheur_after_sign(&ci, doc_id, now);
    if (!last && remind_first_tx(s, r.tenant_id, r.id, ci.id, ci.step, now, err) != 0)
        return -1;
    if (s->ops->sign.tx_circuit_update(s, &ci, err) != 0 ||
        event_tx(s, o, &r, PARAPHEUR_EVENT_SIGNED, signer_words(o), 0, now, err) != 0 ||
        audit_change_tx(s, r.tenant_id, &o->who, "sign", "document", &doc_id, 1, err) != 0)
        return -1;
    if (last &&
        (event_tx(s, o, &r, PARAPHEUR_EVENT_PUBLIC, o->doc.title ? o->doc.title : "", 1, now,
                  err) != 0 ||
         letter_tpl_notify_tx(s, &r, o->procedure, &o->doc, doc_id, o->tracking_url, err) != 0))
        return -1;
    r.updated_at = now;
    if (s->ops->requests.tx_update(s, &r, err) != 0)
        return -1;
    if (o->document_out)
        *o->document_out = doc_id;
    return 0;
}

/* A wrong PIN's job committed: its outcome is the refusal. */
static void sign_finish(core_op *op, int *rc, error *err)
{
    decide_op *o = (decide_op *)op;
    if (o->failure && *rc == 0) {
        *rc = -1;
        if (o->locked)
            error_set(err, ERR_RATE_LIMITED, "pin", "too many wrong PINs: the key is locked");
        else
            error_set(err, ERR_INVALID_ARG, "pin", "the PIN does not open the key");
    }
}

/* A decision's op with who, the circuit seen and the principal's name. */
static decide_op *decide_new(const cat_tenant *t, const core_actor *who,
                             const store_sign_circuit *ci, parapheur_as as,
                             int (*apply)(store *s, core_op *op, error *err), error *err)
{
    decide_op *o = core_op_new(sizeof *o, apply);
    if (!o) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    o->t = t;
    /* The numbers the job checks again; the strings stay the caller's, so none is kept. */
    o->seen = (store_sign_circuit){.id = ci->id,
                                   .tenant_id = ci->tenant_id,
                                   .request_id = ci->request_id,
                                   .document_id = ci->document_id,
                                   .state = "pending",
                                   .step = ci->step,
                                   .steps = ci->steps,
                                   .signer_id = ci->signer_id};
    o->as = as;
    if (actor_copy(&o->op.a, who, &actor_system, &o->who, &o->who_agent) != 0) {
        core_op_free(o);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    return o;
}

/* The key of who, opened with pin into k (*key its row, strings in a). A wrong PIN is
 * counted by a job whose outcome is the refusal: *counted 1 then, and the call's return is
 * that submission's (cb follows). */
static int key_unlock(core *c, const cat_tenant *t, const core_actor *who, const char *pin,
                      arena *a, store_sign_key *key, sign_key *k, int *counted, core_done_fn cb,
                      void *ctx, error *err)
{
    *counted = 0;
    int found = 0;
    if (c->store->ops->sign.key_get(c->store, t->rec.id, who->agent->id, 1, a, key, &found, err) !=
        0)
        return -1;
    if (!found)
        return error_set(err, ERR_INVALID_ARG, "key", "no signing key is set for this élu");
    int64_t now = time_now();
    if (key->locked_until > now)
        return error_set(err, ERR_RATE_LIMITED, "pin", "too many wrong PINs: the key is locked");
    if (!pin || !*pin || strlen(pin) > PARAPHEUR_PIN_MAX)
        return error_set(err, ERR_INVALID_ARG, "pin", "no PIN");
    if (key_open(c, key, pin, k, err) == 0)
        return 0;
    if (strcmp(err->arg, "password") != 0 && strcmp(err->arg, "pin") != 0)
        return -1;
    decide_op *o = core_op_new(sizeof *o, sign_apply);
    if (!o || actor_copy(&o->op.a, who, &actor_system, &o->who, &o->who_agent) != 0) {
        core_op_free(o);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    o->op.finish = sign_finish;
    o->seen.tenant_id = t->rec.id;
    o->failure = 1;
    error_clear(err);
    *counted = 1;
    return core_op_submit(c, o, cb, ctx, err);
}

/* Signs circuit_id's waiting step with the opened key k (key: its row) and submits the job
 * that stores the version. */
static int sign_one(core *c, const cat_tenant *t, const core_actor *who, const store_sign_key *key,
                    const sign_key *k, int64_t circuit_id, const char *tracking_url,
                    int64_t *document_out, core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 1024 * 1024);
    buf signed_pdf;
    buf_init(&signed_pdf, 0);
    decide_op *o = NULL;
    int rc = -1;
    store_sign_circuit ci;
    parapheur_as as;
    if (decision_open(c, t, who, circuit_id, &a, &ci, &as, err) != 0)
        goto cleanup;
    if (!(o = decide_new(t, who, &ci, as, sign_apply, err)))
        goto cleanup;
    o->op.finish = sign_finish;
    store_document d;
    int found = 0;
    if (c->store->ops->documents.get(c->store, t->rec.id, ci.document_id, &a, &d, &found, err) != 0)
        goto cleanup;
    if (!found) {
        error_set(err, ERR_NOT_FOUND, "document", "the document is gone");
        goto cleanup;
    }
    store_agent principal;
    const char *principal_name = NULL;
    if (as == PARAPHEUR_AS_DELEGATE &&
        agent_get(c, t->rec.id, ci.signer_id, &a, &principal, err) == 0)
        principal_name = principal.name;
    error_clear(err);
    char reason[PDF_UPDATE_TEXT_MAX * 2];
    parapheur_reason(as, who->agent->name, key->quality, reason, sizeof reason);
    /* The collectivité's level and appearance, as its administrator set them. */
    store_sign_settings how;
    if (parapheur_signing(c, t->rec.id, &a, &how, err) != 0)
        goto cleanup;
    int lt = strcmp(how.level, "B-LT") == 0;
    const char *tsa = strcmp(how.level, "B-B") != 0 ? how.tsa_url : NULL;
    int64_t now = time_now();
    pdf_sig_meta m = {.reason = reason,
                      .location = t->rec.name,
                      .name = who->agent->name,
                      .when = (time_t)now,
                      .visible = how.visible};
    buf_free(&signed_pdf);
    /* B-LT's DSS carries the chains and a CRL per certificate. */
    buf_init(&signed_pdf, (size_t)d.size + 128 * 1024 + (lt ? 8u * CRL_MAX : 0));
    char field[32];
    if (pades_sign(d.content, (size_t)d.size, k, &m, tsa, &signed_pdf, field, err) != 0)
        goto cleanup;
    if (lt) {
        buf with_dss;
        buf_init(&with_dss, signed_pdf.max);
        if (pades_add_lt(signed_pdf.data, signed_pdf.len, crl_private_ok, &with_dss, err) != 0) {
            buf_free(&with_dss);
            goto cleanup;
        }
        buf_free(&signed_pdf);
        signed_pdf = with_dss;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)signed_pdf.data, signed_pdf.len);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char code[SHORT_CODE_LEN + 1];
    short_code_new(code);
    arena *oa = &o->op.a;
    void *content = arena_alloc(oa, signed_pdf.len);
    if (!content) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    memcpy(content, signed_pdf.data, signed_pdf.len);
    store_request r;
    const cat_procedure *p = NULL;
    if (request_get_by_id(c, t, ci.request_id, &a, &r, err) == 0)
        p = catalogue_procedure_by_id(t, r.procedure_id);
    error_clear(err);
    o->procedure = p ? arena_strdup(oa, p->rec.name) : NULL;
    o->tracking_url = tracking_url ? arena_strdup(oa, tracking_url) : NULL;
    o->principal = principal_name ? arena_strdup(oa, principal_name) : NULL;
    o->reason = arena_strdup(oa, reason);
    o->document_out = document_out;
    o->doc = (store_document){
        .tenant_id = t->rec.id,
        .kind = arena_strdup(oa, d.kind),
        .code = arena_strdup(oa, code),
        .sha256 = arena_strdup(oa, hex),
        .size = (int64_t)signed_pdf.len,
        .content = content,
        .title = d.title ? arena_strdup(oa, d.title) : NULL,
        .agent_id = who->agent->id,
    };
    rc = core_op_submit(c, o, cb, ctx, err);
    o = NULL;
cleanup:
    core_op_free(o);
    buf_free(&signed_pdf);
    arena_free(&a);
    return rc;
}

int parapheur_sign(core *c, const cat_tenant *t, const core_actor *who, int64_t circuit_id,
                   const char *pin, const char *tracking_url, int64_t *document_out,
                   core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 512 * 1024);
    sign_key k;
    memset(&k, 0, sizeof k);
    store_sign_circuit ci;
    parapheur_as as;
    store_sign_key key;
    int counted = 0, rc = -1;
    /* Who may sign is told before the PIN is tried: a stranger's PIN is never counted. */
    if (decision_open(c, t, who, circuit_id, &a, &ci, &as, err) == 0) {
        rc = key_unlock(c, t, who, pin, &a, &key, &k, &counted, cb, ctx, err);
        if (rc == 0 && !counted)
            rc =
                sign_one(c, t, who, &key, &k, circuit_id, tracking_url, document_out, cb, ctx, err);
    }
    sign_key_free(&k);
    arena_free(&a);
    return rc;
}

/* A batch's state, shared by its jobs' callbacks (on the writer thread): freed by the last. */
typedef struct batch_state {
    _Atomic size_t pending; /* jobs still to report, plus one for the submitting loop */
    parapheur_result *results;
    core_done_fn cb;
    void *ctx;
} batch_state;

typedef struct batch_item {
    batch_state *b;
    size_t i;
} batch_item;

static void batch_release(batch_state *b)
{
    if (atomic_fetch_sub(&b->pending, 1) == 1) {
        core_done_fn cb = b->cb;
        void *ctx = b->ctx;
        free(b);
        cb(ctx, 0, NULL);
    }
}

static void batch_done(void *arg, int rc, const error *err)
{
    batch_item *it = arg;
    parapheur_result *r = &it->b->results[it->i];
    r->rc = rc;
    if (rc != 0 && err)
        r->err = *err;
    batch_state *b = it->b;
    free(it);
    batch_release(b);
}

int parapheur_sign_batch(core *c, const cat_tenant *t, const core_actor *who, const int64_t *ids,
                         size_t n, const char *pin, const char *tracking_url,
                         parapheur_result *results, core_done_fn cb, void *ctx, error *err)
{
    if (n == 0 || n > PARAPHEUR_BATCH_MAX)
        return error_set(err, ERR_INVALID_ARG, "selection", "1 to %d documents",
                         PARAPHEUR_BATCH_MAX);
    if (who->kind != ACTOR_AGENT || !is_signer(who->agent, t->rec.id))
        return error_set(err, ERR_FORBIDDEN, NULL, "only an élu signs");
    for (size_t i = 0; i < n; i++)
        memset(&results[i], 0, sizeof results[i]);
    arena a;
    arena_init(&a, 512 * 1024);
    sign_key k;
    memset(&k, 0, sizeof k);
    store_sign_key key;
    int counted = 0;
    int rc = key_unlock(c, t, who, pin, &a, &key, &k, &counted, cb, ctx, err);
    batch_state *b = NULL;
    if (rc != 0 || counted)
        goto cleanup;
    if (!(b = calloc(1, sizeof *b))) {
        rc = error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    atomic_init(&b->pending, n + 1);
    b->results = results;
    b->cb = cb;
    b->ctx = ctx;
    for (size_t i = 0; i < n; i++) {
        batch_item *it = malloc(sizeof *it);
        error e;
        error_clear(&e);
        results[i].circuit_id = ids[i];
        if (!it) {
            results[i].rc = error_set(&results[i].err, ERR_UNAVAILABLE, NULL, "out of memory");
            atomic_fetch_sub(&b->pending, 1);
            continue;
        }
        *it = (batch_item){b, i};
        /* Each its own job: a failure undoes only its own version. */
        if (sign_one(c, t, who, &key, &k, ids[i], tracking_url, &results[i].document_id, batch_done,
                     it, &e) != 0) {
            results[i].rc = -1;
            results[i].err = e;
            free(it);
            atomic_fetch_sub(&b->pending, 1);
        }
    }
    batch_release(b);
    rc = 0;
cleanup:
    sign_key_free(&k);
    arena_free(&a);
    return rc;
}

/* The e-mail to the agent who sent a refused document. */
static int refused_notice_tx(store *s, decide_op *o, const store_sign_circuit *ci,
                             const store_request *r, error *err)
{
    if (!ci->sent_by)
        return 0;
    store_agent sender;
    int found = 0;
    if (s->ops->agents.get(s, ci->tenant_id, ci->sent_by, &o->op.a, &sender, &found, err) != 0)
        return -1;
    if (!found || !sender.active || !sender.email || !*sender.email)
        return 0;
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "reference", r->reference, "document",
                               ci->title ? ci->title : "", "by",
                               o->who.agent ? o->who.agent->name : "", "comment", o->comment);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "cannot build the refusal's notice");
    if (agent_link_put(params, "link", o->tracking_url, r->reference) != 0) {
        json_decref(params);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    int rc = outbox_add_tx(s, ci->tenant_id, "email", sender.email, "sign_refused", params, "fr",
                           r->id, err);
    json_decref(params);
    return rc;
}

static int refuse_apply(store *s, core_op *op, error *err)
{
    decide_op *o = (decide_op *)op;
    store_sign_circuit ci;
    store_request r;
    if (decide_check(s, o, &ci, &r, err) != 0)
        return -1;
    int64_t now = time_now();
    if (now < r.updated_at)
        now = r.updated_at;
    store_sign_step st = {.circuit_id = ci.id,
                          .position = ci.step,
                          .state = "refused",
                          .signed_by = o->who.agent->id,
                          .comment = o->comment,
                          .decided_at = now};
    if (s->ops->sign.tx_step_decide(s, &st, err) != 0)
        return -1;
    parapheur_after_refuse(&ci, now);
    const char *body = arena_printf(&op->a, "%s : %s", signer_words(o), o->comment);
    if (s->ops->sign.tx_circuit_update(s, &ci, err) != 0 ||
        event_tx(s, o, &r, PARAPHEUR_EVENT_REFUSED, body, 0, now, err) != 0 ||
        audit_change_tx(s, r.tenant_id, &o->who, "sign_refuse", "document", &ci.document_id, 1,
                        err) != 0 ||
        refused_notice_tx(s, o, &ci, &r, err) != 0)
        return -1;
    r.updated_at = now;
    return s->ops->requests.tx_update(s, &r, err);
}

int parapheur_refuse(core *c, const cat_tenant *t, const core_actor *who, int64_t circuit_id,
                     const char *comment, core_done_fn cb, void *ctx, error *err)
{
    arena a;
    arena_init(&a, 64 * 1024);
    decide_op *o = NULL;
    int rc = -1;
    store_sign_circuit ci;
    parapheur_as as;
    if (decision_open(c, t, who, circuit_id, &a, &ci, &as, err) != 0)
        goto cleanup;
    int empty = 0;
    const char *text = multiline(&a, comment, PARAPHEUR_COMMENT_MAX, &empty);
    if (!text) {
        error_set(err, ERR_INVALID_ARG, "comment",
                  empty ? "a refusal needs a comment" : "not a valid comment");
        goto cleanup;
    }
    if (!(o = decide_new(t, who, &ci, as, refuse_apply, err)))
        goto cleanup;
    store_agent principal;
    if (as == PARAPHEUR_AS_DELEGATE &&
        agent_get(c, t->rec.id, ci.signer_id, &a, &principal, err) == 0)
        o->principal = arena_strdup(&o->op.a, principal.name);
    error_clear(err);
    char reason[PDF_UPDATE_TEXT_MAX * 2];
    parapheur_reason(as, who->agent->name, "", reason, sizeof reason);
    o->reason = arena_strdup(&o->op.a, reason);
    o->comment = arena_strdup(&o->op.a, text);
    char base[CORE_URL_MAX];
    o->tracking_url =
        core_base_url(c, t, base, sizeof base) == 0 ? arena_strdup(&o->op.a, base) : NULL;
    if (!o->comment || !o->reason) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    rc = core_op_submit(c, o, cb, ctx, err);
    o = NULL;
cleanup:
    core_op_free(o);
    arena_free(&a);
    return rc;
}

/* ---- délégations ---- */

typedef struct delegation_op {
    core_op op;
    store_sign_delegation d;
    int64_t delete_id;
    core_actor who;
    store_agent who_agent;
} delegation_op;

/* A day as <input type=date> sends it: YYYY-MM-DD, a real date. */
static int date_ok(const char *s)
{
    if (!s || strlen(s) != 10)
        return 0;
    char wall[20];
    snprintf(wall, sizeof wall, "%sT00:00", s);
    int64_t t;
    return time_parse_local(wall, NULL, &t) == 0;
}

static int delegation_apply(store *s, core_op *op, error *err)
{
    delegation_op *o = (delegation_op *)op;
    int64_t id = o->delete_id;
    if (o->delete_id) {
        if (s->ops->sign.tx_delegation_delete(s, o->d.tenant_id, o->delete_id, err) != 0)
            return -1;
    } else if (s->ops->sign.tx_delegation_insert(s, &o->d, &id, err) != 0) {
        return -1;
    }
    return audit_change_tx(s, o->d.tenant_id, &o->who,
                           o->delete_id ? "sign_delegation_delete" : "sign_delegation",
                           "sign_delegation", &id, 1, err);
}

static delegation_op *delegation_new(const core_actor *who, int64_t tenant_id, error *err)
{
    delegation_op *o = core_op_new(sizeof *o, delegation_apply);
    if (!o || actor_copy(&o->op.a, who, &actor_system, &o->who, &o->who_agent) != 0) {
        core_op_free(o);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    o->d.tenant_id = tenant_id;
    return o;
}

int parapheur_delegation_add(core *c, const cat_tenant *t, const core_actor *who,
                             const parapheur_delegation_in *in, core_done_fn cb, void *ctx,
                             error *err)
{
    if (who->kind != ACTOR_AGENT || !who->agent)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent records a délégation");
    if (!perm_can_admin(who->agent) &&
        !(is_signer(who->agent, t->rec.id) && who->agent->id == in->principal_id))
        return error_set(err, ERR_FORBIDDEN, NULL,
                         "an administrator, or the élu who delegates, records a délégation");
    arena a;
    arena_init(&a, 16 * 1024);
    store_agent x, y;
    error e2;
    int rc = -1;
    if (agent_get(c, t->rec.id, in->principal_id, &a, &y, &e2) != 0 || !is_signer(&y, t->rec.id))
        error_set(err, ERR_INVALID_ARG, "principal", "not an élu of the collectivité");
    else if (agent_get(c, t->rec.id, in->delegate_id, &a, &x, &e2) != 0 ||
             !is_signer(&x, t->rec.id) || x.id == y.id)
        error_set(err, ERR_INVALID_ARG, "delegate", "not another élu of the collectivité");
    else if (!date_ok(in->starts_on))
        error_set(err, ERR_INVALID_ARG, "starts_on", "not a date");
    else if (!date_ok(in->ends_on) || strcmp(in->ends_on, in->starts_on) < 0)
        error_set(err, ERR_INVALID_ARG, "ends_on", "not a date on or after the first day");
    else {
        delegation_op *o = delegation_new(who, t->rec.id, err);
        if (o) {
            o->d.delegate_id = x.id;
            o->d.principal_id = y.id;
            o->d.starts_on = arena_strdup(&o->op.a, in->starts_on);
            o->d.ends_on = arena_strdup(&o->op.a, in->ends_on);
            o->d.created_at = time_now();
            o->d.created_by = who->agent->id;
            rc = core_op_submit(c, o, cb, ctx, err);
        }
    }
    arena_free(&a);
    return rc;
}

int parapheur_delegation_delete(core *c, const cat_tenant *t, const core_actor *who, int64_t id,
                                core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !who->agent)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent deletes a délégation");
    arena a;
    arena_init(&a, 64 * 1024);
    store_sign_delegation *ds = NULL;
    size_t n = 0;
    int rc = -1;
    if (c->store->ops->sign.delegations_list(c->store, t->rec.id, "", &a, &ds, &n, err) != 0)
        goto cleanup;
    const store_sign_delegation *d = NULL;
    for (size_t i = 0; i < n && !d; i++)
        if (ds[i].id == id)
            d = &ds[i];
    if (!d) {
        error_set(err, ERR_NOT_FOUND, "delegation", "no such délégation");
        goto cleanup;
    }
    if (!perm_can_admin(who->agent) && who->agent->id != d->principal_id) {
        error_set(err, ERR_FORBIDDEN, NULL, "an administrator, or its élu, deletes a délégation");
        goto cleanup;
    }
    delegation_op *o = delegation_new(who, t->rec.id, err);
    if (o) {
        o->delete_id = id;
        rc = core_op_submit(c, o, cb, ctx, err);
    }
cleanup:
    arena_free(&a);
    return rc;
}

int parapheur_delegations(core *c, const cat_tenant *t, arena *a, store_sign_delegation **out,
                          size_t *n, error *err)
{
    char today[11];
    parapheur_today(t, time_now(), today);
    return c->store->ops->sign.delegations_list(c->store, t->rec.id, today, a, out, n, err);
}

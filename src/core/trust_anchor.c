/*
 * trust_anchor — the collectivités' trust anchors (see trust_anchor.h). A certificate is read
 * once, when it is added: its PEM is stored re-encoded by OpenSSL (nothing else of the upload
 * is kept), with what the admin page shows beside it.
 */
#include "core/trust_anchor.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "sign/cms_sign.h"
#include "util/timeutil.h"

static int apply_insert(store *s, void *arg, int64_t *id, error *err)
{
    return s->ops->trust_anchors.tx_insert(s, arg, id, err);
}

static const change_def add_change = {"admin", "trust_anchor", apply_insert, 0};

/* An ASN1 time as Unix seconds (0 when unreadable). */
static int64_t unix_time(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

/* Fills row from x: its PEM, subject, validity and fingerprint, strings in a. 0, or -1. */
static int describe(X509 *x, arena *a, store_trust_anchor *row)
{
    int rc = -1;
    BIO *pem = BIO_new(BIO_s_mem()), *subject = BIO_new(BIO_s_mem());
    unsigned char md[32];
    unsigned mdlen = 0;
    char *text;
    long n;
    if (!pem || !subject || PEM_write_bio_X509(pem, x) != 1 ||
        X509_NAME_print_ex(subject, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
        X509_digest(x, EVP_sha256(), md, &mdlen) != 1)
        goto cleanup;
    n = BIO_get_mem_data(pem, &text);
    if (!(row->pem = arena_strndup(a, text, (size_t)n)))
        goto cleanup;
    n = BIO_get_mem_data(subject, &text);
    if (!(row->subject = arena_strndup(a, text, (size_t)n)))
        goto cleanup;
    char *fp = arena_alloc(a, 3 * sizeof md);
    if (!fp)
        goto cleanup;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
    row->fingerprint = fp;
    row->not_before = unix_time(X509_get0_notBefore(x));
    row->not_after = unix_time(X509_get0_notAfter(x));
    rc = 0;
cleanup:
    BIO_free(subject);
    BIO_free(pem);
    return rc;
}

int trust_anchor_add_as(core *c, const core_actor *who, int64_t tenant_id, const void *cert,
                        size_t len, arena *a, int64_t *id_out, core_done_fn cb, void *ctx,
                        error *err)
{
    X509 *x = len && len <= SIGN_CERT_MAX ? sign_cert_read(cert, len) : NULL;
    if (!x)
        return error_set(err, ERR_INVALID_ARG, "certificate",
                         "not a certificate (PEM or DER, at most %u bytes)", SIGN_CERT_MAX);
    store_trust_anchor row = {.tenant_id = tenant_id, .added_at = time_now()};
    int rc = -1;
    store_trust_anchor *have = NULL;
    size_t n = 0;
    if (X509_check_ca(x) < 1) {
        error_set(err, ERR_INVALID_ARG, "certificate",
                  "not a CA certificate (its basicConstraints do not say CA)");
    } else if (trust_anchor_list(c, tenant_id, a, &have, &n, err) != 0) {
        /* err set */
    } else if (n >= TRUST_ANCHORS_MAX) {
        error_set(err, ERR_TOO_LARGE, "certificate", "over %d trust anchors", TRUST_ANCHORS_MAX);
    } else if (describe(x, a, &row) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "the certificate cannot be described");
    } else {
        rc = change_run(c, who, tenant_id, &add_change, &row, sizeof row, id_out, cb, ctx, err);
    }
    X509_free(x);
    ERR_clear_error();
    return rc;
}

typedef struct remove_arg {
    int64_t tenant_id, id;
} remove_arg;

static int apply_remove(store *s, void *arg, int64_t *id, error *err)
{
    remove_arg *ra = arg;
    *id = ra->id;
    return s->ops->trust_anchors.tx_delete(s, ra->tenant_id, ra->id, err);
}

static const change_def remove_change = {"admin", "trust_anchor", apply_remove, 0};

int trust_anchor_remove_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                           core_done_fn cb, void *ctx, error *err)
{
    remove_arg ra = {tenant_id, id};
    return change_run(c, who, tenant_id, &remove_change, &ra, sizeof ra, NULL, cb, ctx, err);
}

int trust_anchor_list(core *c, int64_t tenant_id, arena *a, store_trust_anchor **out, size_t *n,
                      error *err)
{
    return c->store->ops->trust_anchors.list(c->store, tenant_id, a, out, n, err);
}

X509_STORE *trust_anchor_store(core *c, int64_t tenant_id, error *err)
{
    arena a;
    arena_init(&a, 4 * 1024 * 1024);
    store_trust_anchor *rows = NULL;
    size_t n = 0;
    X509_STORE *st = NULL;
    if (trust_anchor_list(c, tenant_id, &a, &rows, &n, err) != 0)
        goto cleanup;
    if (n == 0) {
        error_set(err, ERR_NOT_FOUND, "trust_anchors",
                  "the collectivité has no trust anchor (administration, «Certificats de "
                  "confiance»)");
        goto cleanup;
    }
    if (!(st = X509_STORE_new())) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        X509 *x = sign_cert_read(rows[i].pem, strlen(rows[i].pem));
        int ok = x && X509_STORE_add_cert(st, x) == 1;
        X509_free(x);
        if (!ok) {
            error_set(err, ERR_INTERNAL, NULL, "trust anchor %lld cannot be read",
                      (long long)rows[i].id);
            X509_STORE_free(st);
            st = NULL;
            goto cleanup;
        }
    }
cleanup:
    arena_free(&a);
    ERR_clear_error();
    return st;
}

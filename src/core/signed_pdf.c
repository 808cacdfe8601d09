/*
 * signed_pdf — an uploaded signed PDF checked for the public page (see signed_pdf.h). A
 * collectivité without trust anchors still gets its signatures read and their bytes checked;
 * none of them then chains, which the page says.
 */
#include "core/signed_pdf.h"

#include <sodium.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/trust_anchor.h"

int signed_pdf_check(core *c, int64_t tenant_id, const char *pdf, size_t len, arena *a,
                     signed_pdf_report *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (len > PDF_UPDATE_FILE_MAX || len < 8 || memcmp(pdf, "%PDF-", 5) != 0)
        return error_set(err, ERR_INVALID_ARG, "pdf", "not a PDF file of at most %u bytes",
                         PDF_UPDATE_FILE_MAX);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)pdf, len);
    sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
    if (c->store->ops->documents.code_by_sha256(c->store, tenant_id, out->sha256, a, &out->code,
                                                err) != 0)
        return -1;
    error anchors_err;
    X509_STORE *trust = trust_anchor_store(c, tenant_id, &anchors_err);
    out->has_anchors = trust != NULL;
    if (!trust && anchors_err.code != ERR_NOT_FOUND)
        return error_set(err, anchors_err.code, anchors_err.arg, "%s", anchors_err.detail);
    if (!trust && !(trust = X509_STORE_new()))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    out->sigs = arena_alloc(a, PADES_SIGS_MAX * sizeof *out->sigs);
    out->checks = arena_alloc(a, PADES_SIGS_MAX * sizeof *out->checks);
    int rc = -1;
    if (!out->sigs || !out->checks)
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
    else
        rc = pades_verify_all(pdf, len, trust, out->sigs, out->checks, PADES_SIGS_MAX, &out->n,
                              &out->after, err);
    X509_STORE_free(trust);
    return rc;
}

/*
 * signed_pdf — what the public /verifier page says of a signed PDF someone uploads: each
 * signature checked (sign/pades) against the collectivité's trust anchors
 * (core/trust_anchor.h), whether anything but validation data (DSS updates, document
 * timestamps) follows the last one, and
 * whether the file is one the mairie issued (its SHA-256 is a stored document version's).
 */
#ifndef GUICHET_CORE_SIGNED_PDF_H
#define GUICHET_CORE_SIGNED_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "sign/pades.h"
#include "util/arena.h"

typedef struct signed_pdf_report {
    pades_sig *sigs;     /* in the file's order (in a) */
    pades_check *checks; /* checks[i] for sigs[i] (in a) */
    size_t n;            /* 0: no signature */
    pades_after after;   /* what follows them: total, validation data only */
    int has_anchors;     /* the collectivité has trust anchors (else nothing chains) */
    char sha256[65];     /* the file's, lowercase hex */
    const char *code;    /* the verification code of the stored document with this SHA-256
                            (in a), NULL when the mairie issued no such file */
} signed_pdf_report;

/* Checks pdf (len bytes, at most PDF_UPDATE_FILE_MAX) for tenant_id into out. 0, or -1 with
 * err: ERR_INVALID_ARG (arg "pdf") for a file that is not a PDF or has over PADES_SIGS_MAX
 * signatures, the store's errors. */
int signed_pdf_check(core *c, int64_t tenant_id, const char *pdf, size_t len, arena *a,
                     signed_pdf_report *out, error *err);

#endif

/*
 * pades — PAdES baseline B-B signatures of PDF files (ETSI EN 319 142-1). Signing writes the
 * incremental update of pdf_update and puts in its /Contents the CMS of cms_sign over the
 * ByteRange's SHA-256. Verifying finds every signature dictionary in the file's bytes
 * (pades_scan: no OpenSSL, fuzzed) and checks each one: its ByteRange leaves out exactly its
 * /Contents, the CMS digest matches the bytes, the signature verifies, the signer chains to
 * the trust anchors given, and the attributes are the baseline's; a document timestamp
 * (/SubFilter /ETSI.RFC3161) is checked as the TSA's token over its ByteRange. When the file's
 * /DSS holds CRLs, the signer's chain is also checked against them.
 */
#ifndef GUICHET_SIGN_PADES_H
#define GUICHET_SIGN_PADES_H

#include <stddef.h>

#include <openssl/x509.h>

#include "sign/cms_sign.h"
#include "sign/pdf_update.h"
#include "util/buf.h"
#include "util/error.h"

/* The most signatures a verified file may have. */
#define PADES_SIGS_MAX 64
/* The largest /Contents read, in DER bytes (twice as many hex digits). */
#define PADES_CONTENTS_MAX 65536

/* Signs pdf (len bytes) with k as m says (m->name empty: the certificate's common name),
 * at level B-B, or B-T with tsa_url (the signature timestamped there: cms_sign_digest),
 * appending the signed file to out (empty, with a max of at least len plus 64 KiB). field
 * receives the new signature field's name. 0, or -1 with err (pdf_update_write's errors). */
int pades_sign(const char *pdf, size_t len, const sign_key *k, const pdf_sig_meta *m,
               const char *tsa_url, buf *out, char field[32], error *err);

/* PAdES B-LT (ETSI EN 319 142-1 5.4): pdf, whose last signature covers it whole (pades_sign
 * or pades_complete at B-T), with a further incremental update giving the catalog a /DSS that
 * holds the certificates the signature and its timestamp carry and, for each one that has an
 * issuer, its CRL, fetched from its distribution point (sign/crl.h; one on a private or
 * loopback address only when crl_private_ok), with the signature's
 * /VRI entry; appended to out (empty). 0, or -1 with err: arg "pdf" when the file does not
 * end with a readable signature or a certificate's issuer is not among them, arg "crl" when a
 * CRL cannot be had (ERR_UNAVAILABLE) or names a certificate as revoked (ERR_CONFLICT). */
int pades_add_lt(const char *pdf, size_t len, int crl_private_ok, buf *out, error *err);

/* A document timestamp (ETSI EN 319 142-1 5.4.3, B-LTA's building block): pdf with a further
 * incremental update whose invisible signature field holds a /DocTimeStamp dictionary, its
 * /Contents the token the TSA at tsa_url gives for the SHA-256 of its ByteRange; appended to
 * out (empty, with a max of at least len plus 64 KiB). field receives the field's name. 0, or
 * -1 with err (pdf_update_write's errors; tsa_stamp_digest's, arg "tsa"). */
int pades_timestamp(const char *pdf, size_t len, const char *tsa_url, buf *out, char field[32],
                    error *err);

/* The CRLs of pdf's /DSS (its /CRLs array, at most PDF_DSS_ITEMS_MAX streams, stored or
 * FlateDecode, of at most CRL_MAX bytes each once inflated), read with libqpdf. NULL with *crls set
 * (empty when the file has none; caller frees with sk_X509_CRL_pop_free and X509_CRL_free), or why
 * they cannot be read (a static English text, *crls NULL). */
const char *pades_dss_crls(const char *pdf, size_t len, STACK_OF(X509_CRL) * *crls);

/* Two-step signing, for a key held elsewhere (an élu's USB token, a remote signing service).
 * The first half writes pdf with its signature placeholder for cert, as pades_sign would, to
 * out, and gives the SHA-256 the key must sign (RSA PKCS#1 v1.5 over it) in to_sign. */
int pades_prepare(const char *pdf, size_t len, X509 *cert, const pdf_sig_meta *m, buf *out,
                  unsigned char to_sign[32], char field[32], error *err);

/* The second half: prep (pades_prepare's output, unchanged) with the signature made elsewhere
 * (k->external, k->cert; the rest of k empty), at B-B or with tsa_url B-T, appended to out.
 * 0, or -1 with err: arg "pdf" for a file that is not a prepared one, "signature" for a
 * signature that does not verify with the certificate over it. */
int pades_complete(const char *prep, size_t len, const sign_key *k, const char *tsa_url, buf *out,
                   error *err);

/* A signature dictionary found in a file's bytes. */
typedef struct pades_sig {
    size_t at;           /* the offset of its /ByteRange key */
    size_t range[4];     /* the ByteRange */
    size_t contents_at;  /* the '<' of /Contents (range[1]) */
    size_t contents_len; /* '<' to '>' included (range[2] - range[1]) */
    char when[40];       /* /M as written (D:…), "" when absent or unreadable */
    char subfilter[48];  /* /SubFilter's name without '/', "" when absent */
    char name[256];      /* /Name as UTF-8 (a literal ASCII string or a UTF-16BE hex one, as
                            guichet writes it; control characters as '?'), "" otherwise */
    char reason[256];    /* /Reason, likewise */
    const char *problem; /* why the dictionary cannot be checked (a static English text),
                            NULL when it can */
} pades_sig;

/* Finds the signature dictionaries of pdf, in the order of the file: every /ByteRange key
 * outside a /Contents string. Fills sigs[0 … *n), with a problem for one whose ByteRange is
 * malformed, lies outside the file or whose gap is not exactly a /Contents hex string of at
 * most PADES_CONTENTS_MAX bytes. 0, or -1 with err when there are more than max. */
int pades_scan(const char *pdf, size_t len, pades_sig *sigs, size_t max, size_t *n, error *err);

/* What verifying one signature found. */
typedef struct pades_check {
    char signer[160]; /* the signer's common name (UTF-8), "" when unknown */
    int covers_whole; /* the ByteRange runs to the end of the file */
    int valid;        /* digest, signature, attributes, chain and timestamp all good */
    char stamped[32]; /* the signature timestamp's time (B-T), "" when it has none */
    char why[240];    /* why not valid (English), "" when valid */
    char level[8];    /* "B-B"; "B-T" with a signature timestamp; "B-LT" when the file's
                         /DSS also has the signature's /VRI entry (pades_add_lt) and, when
                         the DSS holds CRLs, one current for every certificate of the chain;
                         "DocTS" for a document timestamp */
    int intact;       /* digest, signature and attributes good, whatever the chain: the bytes
                         it covers are the ones signed */
    int doc_timestamp; /* a document timestamp: signer is the TSA's name, stamped its time */
    char not_lt[120];  /* why a signature with a /VRI entry is not B-LT (English), "" else */
} pades_check;

/* Whether the bytes of pdf after a signature's coverage (signed_len: range[2] + range[3], less
 * than len) are updates that only give the catalog a /DSS (pades_add_lt's, or another tool's)
 * and, when timestamps_ok, add document timestamps (invisible fields whose /V is a
 * /DocTimeStamp dictionary, listed in /Fields and their page's /Annots, /SigFlags set):
 * everything else the signed revision shows, read from its catalog and its document
 * information, is unchanged. 0, or -1 with why (English) naming what changed. */
int pades_only_dss_after(const char *pdf, size_t len, size_t signed_len, int timestamps_ok,
                         char why[96]);

/* Loads the trust anchors of a PEM file (one or several certificates). NULL with err when
 * the file holds none; caller frees with X509_STORE_free. */
X509_STORE *pades_trust_load(const char *path, error *err);

/* Verifies sig (from pades_scan of the same bytes) against the trust anchors of trust. */
void pades_verify(const char *pdf, size_t len, const pades_sig *sig, X509_STORE *trust,
                  pades_check *out);

/* What follows the file's signatures. */
typedef struct pades_after {
    int total;            /* every signature and timestamp checked covers the bytes it should:
                             the last one covers the file or only DSS updates follow it, and
                             only DSS updates and document timestamps follow the last signature
                             (CAdES) */
    int validation_after; /* total, and validation data (DSS updates, document timestamps)
                             follows the last signature */
    size_t last_sig;      /* the index of the last signature that is no document timestamp,
                             n when every one is */
    char why[96];         /* why not total (English), "" when total or unknown */
} pades_after;

/* Everything a verifier says of pdf: its signatures (pades_scan) in sigs[0 … *n) each checked
 * against trust in checks[i] (pades_verify), and what follows them in *after
 * (pades_only_dss_after, with document timestamps allowed after the last signature and only
 * DSS updates after the last document timestamp). 0, or -1 with err (pades_scan's). */
int pades_verify_all(const char *pdf, size_t len, X509_STORE *trust, pades_sig *sigs,
                     pades_check *checks, size_t max, size_t *n, pades_after *after, error *err);

#endif

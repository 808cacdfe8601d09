/*
 * pdf_cmd — the signature commands (see pdf_cmd.h): files read whole with a bound, the work
 * done by sign/pades, the output written beside its destination and renamed into place.
 */
#include "cli/pdf_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/file_read.h"
#include "cli/file_write.h"
#include "cli/session.h"
#include "core/trust_anchor.h"
#include "sign/crl.h"
#include "sign/pades.h"
#include "sign/pkcs11.h"
#include "util/buf.h"
#include "util/error.h"

/* The room a signed file is given over its original: the signature's update (64 KiB), and
 * B-LT's DSS with its certificates and CRLs. */
#define PDF_LT_ROOM (64u * 1024 + 8u * CRL_MAX)

/* A password file's first line at most this long. */
#define PASSWORD_MAX 1024

/* The options of the signature's level and of its dictionary, which the one-step and the
 * two-step signing share. */
#define LEVEL_OPTS                                                                                 \
    {"level",                                                                                      \
     NULL,                                                                                         \
     OPT_STRING,                                                                                   \
     "B-B",                                                                                        \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     "B-B; B-T: the signature timestamped by the TSA of --tsa; B-LT: B-T, then the chains and "    \
     "their CRLs (fetched from the certificates' distribution points) added in a /DSS"},           \
        {"tsa", NULL, OPT_STRING, NULL,                                                            \
         0,     0,    0,          "the RFC 3161 timestamping authority's URL (B-T, B-LT)"},        \
    {                                                                                              \
        "crl-private-ok", NULL, OPT_FLAG, NULL, 0, 0, 0,                                           \
            "B-LT: fetch a CRL from a loopback or private address too (a CA on the mairie's own "  \
            "network); refused otherwise"                                                          \
    }
#define META_OPTS                                                                                   \
    {"visible",                                                                                     \
     NULL,                                                                                          \
     OPT_FLAG,                                                                                      \
     NULL,                                                                                          \
     0,                                                                                             \
     0,                                                                                             \
     0,                                                                                             \
     "show the signature in a box at the first page's bottom right (name, reason, date)"},          \
        {"reason", NULL, OPT_STRING, NULL,                                                          \
         0,        0,    0,          "why the document is signed, or in which capacity (/Reason)"}, \
        {"location", NULL, OPT_STRING, NULL, 0, 0, 0, "where it is signed (/Location)"},            \
    {                                                                                               \
        "name", NULL, OPT_STRING, NULL, 0, 0, 0,                                                    \
            "the signer's name (/Name; default: the certificate's common name)"                     \
    }

const opt_spec pdf_cmd_sign_opts[] = {
    {"p12", NULL, OPT_STRING, NULL, 0, 0, 0, "the signer's PKCS#12 file (key and certificates)"},
    {"password-file", NULL, OPT_STRING, NULL, 0, 0, 0,
     "a file whose first line is the PKCS#12 file's password"},
    {"pkcs11-module", NULL, OPT_STRING, NULL, 0, 0, 0,
     "instead of --p12: the PKCS#11 module (a .so) of the token holding the key"},
    {"token", NULL, OPT_STRING, NULL, 0, 0, 0, "the token's label (with --pkcs11-module)"},
    {"key", NULL, OPT_STRING, NULL, 0, 0, 0,
     "the label of the key on the token; its certificate has the key's id or label"},
    {"pin-file", NULL, OPT_STRING, NULL, 0, 0, 0, "a file whose first line is the token's PIN"},
    LEVEL_OPTS,
    META_OPTS,
    {"IN.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the PDF file to sign"},
    {"OUT.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the signed PDF file to write"},
    {0}};

const opt_spec pdf_cmd_prepare_opts[] = {
    {"cert", NULL, OPT_STRING, NULL, 1, 0, 0, "the signer's certificate (PEM or DER)"},
    META_OPTS,
    {"IN.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the PDF file to sign"},
    {"PREP.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the prepared file to write, for complete"},
    {0}};

const opt_spec pdf_cmd_complete_opts[] = {
    {"signature", NULL, OPT_STRING, NULL, 1, 0, 0,
     "the signature made elsewhere (RSA PKCS#1 v1.5 over the SHA-256 prepare printed), binary"},
    {"cert", NULL, OPT_STRING, NULL, 1, 0, 0, "the signer's certificate, as given to prepare"},
    LEVEL_OPTS,
    {"PREP.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the file prepare wrote"},
    {"OUT.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the signed PDF file to write"},
    {0}};

const opt_spec pdf_cmd_timestamp_opts[] = {
    {"tsa", NULL, OPT_STRING, NULL, 1, 0, 0, "the RFC 3161 timestamping authority's URL"},
    {"crl-private-ok", NULL, OPT_FLAG, NULL, 0, 0, 0,
     "fetch the TSA's CRL from a loopback or private address too (a CA on the mairie's own "
     "network); refused otherwise"},
    {"IN.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the signed PDF file to timestamp"},
    {"OUT.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the timestamped PDF file to write"},
    {0}};

const opt_spec pdf_cmd_verify_opts[] = {
    {"ca", NULL, OPT_STRING, NULL, 0, 0, 0, "the trusted CA certificates (PEM)"},
    {"db", NULL, OPT_STRING, NULL, 0, 0, 0,
     "instead of --ca: the database (SQLite) whose collectivité's trust anchors are used"},
    {"secret-file", "GUICHET_SECRET_FILE", OPT_STRING, NULL, 0, 0, 0,
     "with --db: the file holding the instance secret (default: the database's path with .key "
     "added)"},
    CLI_OPT_TENANT,
    {"FILE.pdf", NULL, OPT_ARG, NULL, 1, 0, 0, "the signed PDF file to check"},
    {0}};

static const char sign_cmd[] = "guichet pdf sign";
static const char prepare_cmd[] = "guichet pdf prepare";
static const char complete_cmd[] = "guichet pdf complete";
static const char timestamp_cmd[] = "guichet pdf timestamp";
static const char verify_cmd[] = "guichet pdf verify";

/* The first line of a password or PIN file, in pw (NUL-ended): 0, or -1 (printed). */
static int read_password(const char *cmd, const char *path, char *pw, size_t size)
{
    size_t len;
    int too_large;
    char *text = cli_file_read(cmd, path, PASSWORD_MAX, &len, &too_large);
    if (!text)
        return -1;
    size_t n = strcspn(text, "\r\n");
    int ok = n < size && memchr(text, '\0', n) == NULL;
    if (ok) {
        memcpy(pw, text, n);
        pw[n] = '\0';
    } else {
        fprintf(stderr, "%s: the secret in '%s' is over %zu bytes or holds a NUL byte\n", cmd, path,
                size - 1);
    }
    explicit_bzero(text, len);
    free(text);
    return ok ? 0 : -1;
}

/* --tsa URL: 0 when url is NULL or an http(s) URL, else -1 after a message. */
static int tsa_option(const char *cmd, const char *url)
{
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "%s: invalid value for --tsa: '%s' (an http or https URL)\n", cmd, url);
        return -1;
    }
    return 0;
}

/* The TSA of --level B-T|B-LT --tsa URL in *tsa (NULL for B-B), *lt set for B-LT: 0, or -1
 * after a message. */
static int level_option(const char *cmd, const opt_values *v, const char **tsa, int *lt)
{
    const char *level = opt_str(v, "level"), *url = opt_str(v, "tsa");
    *lt = strcmp(level, "B-LT") == 0;
    int bt = *lt || strcmp(level, "B-T") == 0;
    *tsa = bt ? url : NULL;
    if (!bt && strcmp(level, "B-B") != 0) {
        fprintf(stderr, "%s: invalid value for --level: '%s' (B-B, B-T or B-LT)\n", cmd, level);
        return -1;
    }
    if (bt != (url && *url)) {
        fprintf(stderr, "%s: --tsa URL goes with --level B-T or B-LT, and they need it\n", cmd);
        return -1;
    }
    return tsa_option(cmd, url);
}

/* The signature dictionary's texts and look, from the options, dated now. */
static pdf_sig_meta meta_option(const opt_values *v)
{
    return (pdf_sig_meta){.reason = opt_str(v, "reason"),
                          .location = opt_str(v, "location"),
                          .name = opt_str(v, "name"),
                          .when = time(NULL),
                          .visible = opt_flag(v, "visible")};
}

/* Says why in could not be signed: the exit status, 2 when an option's value is at fault
 * (a text refused, a signature that does not verify), 1 when the file is. */
static int sign_failed(const char *cmd, const char *in, const error *err)
{
    static const char *const options[] = {"reason", "location", "name", "signature", NULL};
    for (const char *const *o = options; *o; o++)
        if (strcmp(err->arg, *o) == 0) {
            fprintf(stderr, "%s: --%s: %s\n", cmd, err->arg, err->detail);
            return 2;
        }
    fprintf(stderr, "%s: '%s' cannot be signed: %s\n", cmd, in, err->detail);
    return 1;
}

/* B-LT: the signed file in *out gets its DSS update (pades_add_lt, CRLs on private addresses
 * fetched only with --crl-private-ok), *out replaced by the result. 0, or the exit status
 * after a message (1: the file, a CRL or a revocation). */
static int add_lt(const char *cmd, const opt_values *v, const char *in, buf *out)
{
    buf lt;
    buf_init(&lt, out->max);
    error err;
    error_clear(&err);
    int rc = pades_add_lt(out->data, out->len, opt_flag(v, "crl-private-ok"), &lt, &err);
    if (rc == 0) {
        buf_free(out);
        *out = lt;
        return 0;
    }
    buf_free(&lt);
    fprintf(stderr, "%s: '%s' cannot be %s: %s\n", cmd, in,
            cmd == timestamp_cmd ? "given the timestamp's DSS" : "signed at B-LT", err.detail);
    return 1;
}

/* The certificate of --cert, NULL after a message. */
static X509 *cert_option(const char *cmd, const opt_values *v)
{
    size_t len;
    int too_large;
    char *text = cli_file_read(cmd, opt_str(v, "cert"), SIGN_CERT_MAX, &len, &too_large);
    X509 *x = text ? sign_cert_read(text, len) : NULL;
    if (text && !x)
        fprintf(stderr, "%s: --cert: '%s' holds no certificate (PEM or DER)\n", cmd,
                opt_str(v, "cert"));
    free(text);
    return x;
}

int pdf_cmd_sign(const opt_values *v)
{
    int rc = 2;
    char pw[PASSWORD_MAX + 1];
    size_t p12_len = 0, pdf_len = 0;
    int too_large;
    char *p12 = NULL, *pdf = NULL;
    sign_key k = {0};
    error err;
    error_clear(&err);
    buf out;
    buf_init(&out, PDF_UPDATE_FILE_MAX + PDF_LT_ROOM);
    const char *tsa;
    int lt;
    if (level_option(sign_cmd, v, &tsa, &lt) != 0)
        goto cleanup;
    /* One key store: a PKCS#12 file and its password, or a token, its key and its PIN. */
    const char *p12_path = opt_str(v, "p12"), *module = opt_str(v, "pkcs11-module");
    const char *token = opt_str(v, "token"), *key = opt_str(v, "key");
    const char *secret = module ? opt_str(v, "pin-file") : opt_str(v, "password-file");
    if (!p12_path == !module || (p12_path && !secret) || (module && (!token || !key || !secret))) {
        fprintf(stderr,
                "%s: give --p12 FILE --password-file FILE, or --pkcs11-module LIB "
                "--token LABEL --key LABEL --pin-file FILE\n",
                sign_cmd);
        goto cleanup;
    }
    if (read_password(sign_cmd, secret, pw, sizeof pw) != 0)
        goto cleanup;
    int loaded;
    if (module) {
        loaded = sign_key_load_pkcs11(module, token, key, pw, &k, &err);
    } else {
        if (!(p12 = cli_file_read(sign_cmd, p12_path, SIGN_P12_MAX, &p12_len, &too_large)))
            goto cleanup;
        loaded = sign_key_load_p12(p12, p12_len, pw, &k, &err);
    }
    if (loaded != 0) {
        /* The secret comes from a file: name the option the user gave. */
        const char *arg = strcmp(err.arg, "password") == 0 ? "password-file"
                          : strcmp(err.arg, "pin") == 0    ? "pin-file"
                                                           : err.arg;
        fprintf(stderr, "%s: --%s: %s\n", sign_cmd, arg, err.detail);
        rc = err.code == ERR_INVALID_ARG ? 2 : 1;
        goto cleanup;
    }
    rc = 1;
    const char *in = opt_str(v, "IN.pdf");
    if (!(pdf = cli_file_read(sign_cmd, in, PDF_UPDATE_FILE_MAX, &pdf_len, &too_large)))
        goto cleanup;
    pdf_sig_meta m = meta_option(v);
    char field[32];
    if (pades_sign(pdf, pdf_len, &k, &m, tsa, &out, field, &err) != 0) {
        rc = sign_failed(sign_cmd, in, &err);
        goto cleanup;
    }
    if (lt && add_lt(sign_cmd, v, in, &out) != 0)
        goto cleanup;
    if (cli_file_write(sign_cmd, opt_str(v, "OUT.pdf"), out.data, out.len) != 0)
        goto cleanup;
    printf("%s: signed as field %s\n", opt_str(v, "OUT.pdf"), field);
    rc = 0;
cleanup:
    explicit_bzero(pw, sizeof pw);
    sign_key_free(&k);
    buf_free(&out);
    free(pdf);
    free(p12);
    return rc;
}

int pdf_cmd_timestamp(const opt_values *v)
{
    const char *url = opt_str(v, "tsa");
    if (tsa_option(timestamp_cmd, url) != 0)
        return 2;
    int rc = 1, too_large;
    size_t len;
    const char *in = opt_str(v, "IN.pdf");
    char *pdf = cli_file_read(timestamp_cmd, in, PDF_UPDATE_FILE_MAX, &len, &too_large);
    buf out;
    buf_init(&out, PDF_UPDATE_FILE_MAX + PDF_LT_ROOM);
    error err;
    error_clear(&err);
    char field[32];
    if (!pdf)
        goto cleanup;
    if (pades_timestamp(pdf, len, url, &out, field, &err) != 0) {
        fprintf(stderr, "%s: '%s' cannot be timestamped: %s\n", timestamp_cmd, in, err.detail);
        goto cleanup;
    }
    /* B-LTA: the timestamp's own validation data (the TSA's chain and CRLs) follows it in a
     * DSS, so that a later timestamp can renew it once the TSA's certificate expires. */
    if (add_lt(timestamp_cmd, v, in, &out) != 0)
        goto cleanup;
    if (cli_file_write(timestamp_cmd, opt_str(v, "OUT.pdf"), out.data, out.len) != 0)
        goto cleanup;
    printf("%s: document timestamp in field %s\n", opt_str(v, "OUT.pdf"), field);
    rc = 0;
cleanup:
    buf_free(&out);
    free(pdf);
    return rc;
}

int pdf_cmd_prepare(const opt_values *v)
{
    X509 *cert = cert_option(prepare_cmd, v);
    if (!cert)
        return 2;
    int rc = 1, too_large;
    size_t len;
    const char *in = opt_str(v, "IN.pdf");
    char *pdf = cli_file_read(prepare_cmd, in, PDF_UPDATE_FILE_MAX, &len, &too_large);
    buf out;
    buf_init(&out, PDF_UPDATE_FILE_MAX + 64 * 1024);
    error err;
    error_clear(&err);
    unsigned char to_sign[32];
    char field[32];
    pdf_sig_meta m = meta_option(v);
    if (!pdf)
        goto cleanup;
    if (pades_prepare(pdf, len, cert, &m, &out, to_sign, field, &err) != 0) {
        rc = sign_failed(prepare_cmd, in, &err);
        goto cleanup;
    }
    if (cli_file_write(prepare_cmd, opt_str(v, "PREP.pdf"), out.data, out.len) != 0)
        goto cleanup;
    /* The one line a script reads: the SHA-256 to sign, in hex. */
    for (size_t i = 0; i < sizeof to_sign; i++)
        printf("%02x", to_sign[i]);
    printf("\n");
    rc = 0;
cleanup:
    buf_free(&out);
    free(pdf);
    X509_free(cert);
    return rc;
}

int pdf_cmd_complete(const opt_values *v)
{
    const char *tsa;
    int lt;
    if (level_option(complete_cmd, v, &tsa, &lt) != 0)
        return 2;
    sign_key k = {0};
    if (!(k.cert = cert_option(complete_cmd, v)))
        return 2;
    int rc = 2, too_large;
    size_t sig_len = 0, len = 0;
    char *prep = NULL;
    char *sig = cli_file_read(complete_cmd, opt_str(v, "signature"), 2048, &sig_len, &too_large);
    buf out;
    buf_init(&out, PDF_UPDATE_FILE_MAX + PDF_LT_ROOM);
    error err;
    error_clear(&err);
    if (!sig || !(k.chain = sk_X509_new_null()))
        goto cleanup;
    k.external = (const unsigned char *)sig;
    k.external_len = sig_len;
    rc = 1;
    const char *in = opt_str(v, "PREP.pdf");
    if (!(prep =
              cli_file_read(complete_cmd, in, PDF_UPDATE_FILE_MAX + 64 * 1024, &len, &too_large)))
        goto cleanup;
    if (pades_complete(prep, len, &k, tsa, &out, &err) != 0) {
        rc = sign_failed(complete_cmd, in, &err);
        goto cleanup;
    }
    if (lt && add_lt(complete_cmd, v, in, &out) != 0)
        goto cleanup;
    if (cli_file_write(complete_cmd, opt_str(v, "OUT.pdf"), out.data, out.len) != 0)
        goto cleanup;
    printf("%s: signed\n", opt_str(v, "OUT.pdf"));
    rc = 0;
cleanup:
    k.external = NULL;
    sign_key_free(&k);
    buf_free(&out);
    free(prep);
    free(sig);
    return rc;
}

/* /M's "D:YYYYMMDDHHmmSS…" as "YYYY-MM-DD HH:mm:SS" and its zone, else as written. */
static void when_text(const char *m, char *out, size_t size)
{
    const char *d = strncmp(m, "D:", 2) == 0 ? m + 2 : m;
    size_t digits = strspn(d, "0123456789");
    if (!*m)
        snprintf(out, size, "unknown time");
    else if (digits >= 14)
        snprintf(out, size, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s%s%s", d, d + 4, d + 6, d + 8, d + 10,
                 d + 12, d[14] ? " " : "", d + 14);
    else
        snprintf(out, size, "%s", m);
}

/* The trust anchors of --ca FILE, or of the collectivité of --db FILE [--tenant SLUG]. NULL
 * after a message. */
static X509_STORE *trust_option(const opt_values *v)
{
    const char *ca = opt_str(v, "ca"), *db = opt_str(v, "db");
    error err;
    error_clear(&err);
    if (!ca == !db) {
        fprintf(stderr, "%s: give --ca FILE, or --db FILE [--tenant SLUG]\n", verify_cmd);
        return NULL;
    }
    if (ca) {
        X509_STORE *trust = pades_trust_load(ca, &err);
        if (!trust)
            fprintf(stderr, "%s: --ca: %s\n", verify_cmd, err.detail);
        return trust;
    }
    cli_session s;
    if (cli_session_open(verify_cmd, v, &s) != 0)
        return NULL;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant(verify_cmd, cat, v);
    X509_STORE *trust = t ? trust_anchor_store(s.core, t->rec.id, &err) : NULL;
    if (t && !trust)
        fprintf(stderr, "%s: %s: %s\n", verify_cmd, t->rec.slug, err.detail);
    catalogue_release(s.core, cat);
    cli_session_close(&s);
    return trust;
}

int pdf_cmd_verify(const opt_values *v)
{
    const char *path = opt_str(v, "FILE.pdf");
    error err;
    error_clear(&err);
    X509_STORE *trust = trust_option(v);
    if (!trust)
        return 2;
    size_t len;
    int too_large, rc = 2;
    pades_sig *sigs = NULL;
    pades_check *checks = NULL;
    char *pdf = cli_file_read(verify_cmd, path, PDF_UPDATE_FILE_MAX, &len, &too_large);
    if (!pdf)
        goto cleanup;
    rc = 1;
    size_t n = 0;
    if (!(sigs = calloc(PADES_SIGS_MAX, sizeof *sigs)) ||
        !(checks = calloc(PADES_SIGS_MAX, sizeof *checks))) {
        fprintf(stderr, "%s: out of memory\n", verify_cmd);
        goto cleanup;
    }
    pades_after after;
    if (pades_verify_all(pdf, len, trust, sigs, checks, PADES_SIGS_MAX, &n, &after, &err) != 0) {
        printf("%s: %s\n", path, err.detail);
        goto cleanup;
    }
    if (n == 0) {
        printf("%s: no signature\n", path);
        goto cleanup;
    }
    int all_valid = 1;
    const pades_sig *last = &sigs[n - 1];
    for (size_t i = 0; i < n; i++) {
        const pades_check *ci = &checks[i];
        char covers[96];
        /* From the last signature on, what follows may be validation data. */
        int then_data = after.validation_after && (i >= after.last_sig || after.last_sig == n);
        if (sigs[i].problem)
            snprintf(covers, sizeof covers, "unreadable ByteRange");
        else if (ci->covers_whole)
            snprintf(covers, sizeof covers, "covers the whole file");
        else
            snprintf(covers, sizeof covers, "covers %zu of %zu bytes%s",
                     sigs[i].range[2] + sigs[i].range[3], len,
                     !then_data   ? ""
                     : i + 1 == n ? ", then a DSS update"
                                  : ", then document timestamps");
        const char *verdict = ci->valid ? "valid" : "INVALID: ";
        if (ci->doc_timestamp) {
            printf("document timestamp %zu: TSA «%s», %s, %s, %s: %s%s\n", i + 1,
                   ci->signer[0] ? ci->signer : "unknown",
                   ci->stamped[0] ? ci->stamped : "unknown time", ci->level, covers, verdict,
                   ci->valid ? "" : ci->why);
        } else {
            char when[64], stamp[64] = "", not_lt[160] = "";
            when_text(sigs[i].when, when, sizeof when);
            if (ci->stamped[0])
                snprintf(stamp, sizeof stamp, ", timestamped %s", ci->stamped);
            if (ci->not_lt[0])
                snprintf(not_lt, sizeof not_lt, " (not B-LT: %s)", ci->not_lt);
            printf("signature %zu: signer «%s», %s%s, %s%s, %s: %s%s\n", i + 1,
                   ci->signer[0] ? ci->signer : "unknown", when, stamp,
                   ci->level[0] ? ci->level : "B-B", not_lt, covers, verdict,
                   ci->valid ? "" : ci->why);
        }
        all_valid = all_valid && ci->valid;
    }
    if (!last->problem && !after.total)
        printf("%s: not total: %s\n", path,
               after.why[0] ? after.why : "bytes after the last signature are not signed");
    else if (all_valid)
        printf("%s: every signature is valid and the last one covers the whole file%s\n", path,
               after.validation_after ? " but validation data (DSS, document timestamps)" : "");
    rc = all_valid && after.total ? 0 : 1;
cleanup:
    free(checks);
    free(sigs);
    free(pdf);
    X509_STORE_free(trust);
    return rc;
}

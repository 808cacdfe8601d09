/*
 * fuzz_pades_scan — the signature verifier's parser (sign/pades_scan) on arbitrary bytes:
 * never reads outside the input, never finds more signatures than it is given room for, and
 * every signature it accepts has a ByteRange inside the file whose gap is its /Contents hex
 * string, as the verifier relies on before hashing and decoding. What follows the last one, when
 * it does not cover the file, goes through pades_only_dss_after (libqpdf on both revisions,
 * document timestamps' fields taken out, the object walk), which answers without crashing and with
 * a printable reason. A file naming a /DSS has its CRLs read as the verifier reads them back
 * (pades_dss_crls: libqpdf, bounded inflating, DER).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/pades.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that ASan catches a read one byte past the end. */
    char *pdf = malloc(size ? size : 1);
    if (!pdf)
        return 0;
    memcpy(pdf, data, size);
    pades_sig sigs[8];
    size_t n = 99;
    error err;
    int rc = pades_scan(pdf, size, sigs, 8, &n, &err);
    CHECK(rc == 0 || rc == -1);
    CHECK(n <= 8);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const pades_sig *s = &sigs[i];
        CHECK(s->at < size);
        CHECK(strlen(s->when) < sizeof s->when && strlen(s->subfilter) < sizeof s->subfilter);
        CHECK(strlen(s->name) < sizeof s->name && strlen(s->reason) < sizeof s->reason);
        if (s->problem)
            continue;
        CHECK(s->range[0] == 0 && s->range[1] == s->contents_at);
        CHECK(s->range[2] == s->contents_at + s->contents_len);
        CHECK(s->range[2] + s->range[3] <= size);
        CHECK(s->contents_len >= 2 && s->contents_len <= 2 + 2 * (size_t)PADES_CONTENTS_MAX);
        CHECK(pdf[s->contents_at] == '<' && pdf[s->range[2] - 1] == '>');
    }
    const pades_sig *last = rc == 0 && n ? &sigs[n - 1] : NULL;
    if (last && !last->problem && last->range[2] + last->range[3] < size) {
        char why[96];
        /* With document timestamps allowed: the longer path, their fields taken out. */
        int after = pades_only_dss_after(pdf, size, last->range[2] + last->range[3], 1, why);
        CHECK(after == 0 || after == -1);
        CHECK(strlen(why) < sizeof why && (after == 0) == (why[0] == '\0'));
    }
    /* The DSS's CRLs the verifier reads back (libqpdf, zlib, the DER of each). */
    if (memmem(pdf, size, "/DSS", 4)) {
        STACK_OF(X509_CRL) *crls = NULL;
        const char *bad = pades_dss_crls(pdf, size, &crls);
        CHECK((bad == NULL) == (crls != NULL));
        CHECK(!crls || sk_X509_CRL_num(crls) <= PDF_DSS_ITEMS_MAX);
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
    }
    free(pdf);
    return 0;
}

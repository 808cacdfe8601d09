/*
 * fuzz_pdf_update — the signer's reading of a PDF (sign/pdf_update: libqpdf, then the
 * incremental update written from what it found) on arbitrary bytes: never a crash, and
 * whenever a file is accepted, its bytes come first, unchanged, the ByteRange fits its
 * placeholder and /Contents lies inside the output, as the signer relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/pdf_update.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *pdf = malloc(size ? size : 1);
    if (!pdf)
        return 0;
    memcpy(pdf, data, size);
    buf out;
    buf_init(&out, size + (1 << 20));
    pdf_update_pos pos;
    error err;
    const pdf_sig_meta m = {"raison", "lieu", "nom", 0, 0, 0};
    if (pdf_update_write(pdf, size, &m, &out, &pos, &err) == 0) {
        CHECK(out.len > size && memcmp(out.data, pdf, size) == 0);
        CHECK(pos.contents_at + pos.contents_len < out.len);
        CHECK(pos.byterange_at + PDF_UPDATE_BYTERANGE_LEN <= pos.contents_at);
        CHECK(pdf_update_set_byterange(&out, &pos, &err) == 0);
        CHECK(out.data[pos.contents_at] == '<');
    } else {
        CHECK(err.code != ERR_NONE);
    }
    buf_free(&out);
    free(pdf);
    return 0;
}

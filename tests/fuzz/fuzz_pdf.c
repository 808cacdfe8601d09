/*
 * fuzz_pdf — pdf_normalise on arbitrary bytes, an agent's uploaded PDF as it reaches
 * core/document_upload.c. Checks what the stored document relies on: a file accepted is
 * rewritten as a PDF that is accepted again with the same number of pages, and a refusal
 * writes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docs/pdf.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define OUT_MAX (4 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf out;
    buf_init(&out, OUT_MAX);
    pdf_upload_info info;
    error err;
    if (pdf_normalise(data, size, 50, &out, &info, &err) != 0) {
        CHECK(out.len == 0);
        CHECK(err.arg[0] != '\0' || err.code != ERR_INVALID_ARG);
        buf_free(&out);
        return 0;
    }
    CHECK(out.len > 5 && memcmp(out.data, "%PDF-", 5) == 0);
    CHECK(info.pages >= 1 && info.pages <= 50);
    buf again;
    buf_init(&again, OUT_MAX);
    pdf_upload_info info2;
    CHECK(pdf_normalise(out.data, out.len, 50, &again, &info2, &err) == 0);
    CHECK(info2.pages == info.pages && !info2.repaired);
    buf_free(&again);
    buf_free(&out);
    return 0;
}

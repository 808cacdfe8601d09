/*
 * fuzz_pdf_pages — pdf_pages on arbitrary bytes: the post room's cut of one letter out of a
 * scanned file, which came from outside (a scanner's folder, an agent's bulk upload) and was
 * read by poppler, never by qpdf, before. The input's first two bytes are the first and last
 * pages asked for, the rest the file. Checks what the request's attachment relies on: a
 * refusal writes nothing and names its reason; a cut is a PDF that qpdf reads back with
 * exactly the pages asked for (or refuses for what the upload check refuses, the cut not
 * having been checked yet).
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
    if (size < 2)
        return 0;
    int first = data[0] % 8, last = data[1] % 8;
    buf cut;
    buf_init(&cut, OUT_MAX);
    error err;
    if (pdf_pages(data + 2, size - 2, first, last, &cut, &err) != 0) {
        CHECK(cut.len == 0);
        CHECK(err.code != ERR_INVALID_ARG || err.arg[0] != '\0');
        buf_free(&cut);
        return 0;
    }
    CHECK(first >= 1 && last >= first);
    CHECK(cut.len > 5 && memcmp(cut.data, "%PDF-", 5) == 0);
    buf clean;
    buf_init(&clean, OUT_MAX);
    pdf_upload_info info;
    if (pdf_normalise(cut.data, cut.len, 50, &clean, &info, &err) == 0)
        CHECK(info.pages == last - first + 1);
    else
        CHECK(clean.len == 0 && err.arg[0] != '\0');
    buf_free(&clean);
    buf_free(&cut);
    return 0;
}

/*
 * document_cmd — the receipt command: finds the request through core, has core compose and
 * render its receipt, writes the file beside its destination and renames it into place, so
 * that FILE.pdf is never left half written.
 */
#include "cli/document_cmd.h"

#include <stdio.h>
#include <string.h>

#include "cli/file_write.h"
#include "cli/session.h"
#include "core/catalogue.h"
#include "core/document.h"
#include "core/request.h"
#include "docs/letter.h"
#include "present/present.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/timeutil.h"

const opt_spec document_cmd_receipt_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_TENANT,
    {"request", NULL, OPT_STRING, NULL, 1, 0, 0, "the request's reference (2026-000123)"},
    {"out", NULL, OPT_STRING, NULL, 1, 0, 0, "the PDF file to write"},
    {0}};

static const char cmd[] = "guichet document receipt";

int document_cmd_receipt(const opt_values *v)
{
    const char *reference = opt_str(v, "request");
    if (!request_reference_ok(reference)) {
        fprintf(stderr, "%s: invalid value for --request: '%s' (a reference: 2026-000123)\n", cmd,
                reference);
        return 2;
    }
    cli_session s;
    if (cli_session_open(cmd, v, &s) != 0)
        return 1;
    int rc = 1;
    error err;
    error_clear(&err);
    arena a;
    arena_init(&a, 4 * 1024 * 1024);
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    present *pr = NULL;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant(cmd, cat, v);
    store_request r;
    if (!t)
        goto cleanup;
    if (request_get(s.core, t, reference, &a, &r, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            fprintf(stderr, "%s: no request %s in %s\n", cmd, reference, t->rec.slug);
        else
            fprintf(stderr, "%s: %s\n", cmd, err.detail);
        goto cleanup;
    }
    /* The sentences are the pages' strings (embedded in the binary). */
    if (!(pr = present_open(NULL, &err))) {
        fprintf(stderr, "%s: %s\n", cmd, err.detail);
        goto cleanup;
    }
    document_receipt_in in = {
        .strings = present_strings(pr, document_lang(&r)),
        .issued_at = time_now(),
    };
    if (document_receipt_pdf(s.core, t, &r, &in, &pdf, &err) != 0) {
        fprintf(stderr, "%s: %s\n", cmd, err.detail);
        goto cleanup;
    }
    if (cli_file_write(cmd, opt_str(v, "out"), pdf.data, pdf.len) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    present_close(pr);
    catalogue_release(s.core, cat);
    buf_free(&pdf);
    arena_free(&a);
    cli_session_close(&s);
    return rc;
}

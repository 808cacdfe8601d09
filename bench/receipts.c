/*
 * receipts — the receipts' benchmark (bench/run scenario "receipts"): the accusé de réception
 * of one request of the demo database DB, rendered N times on one thread as the receipt job
 * renders it (document_receipt_pdf: composed from the strings, laid out by pango on the
 * letterhead with its logo, tagged, the QR code drawn, /Lang set by qpdf), against the
 * reference of the same run: cairo and pango writing the very same text — every character the
 * receipt draws, letterhead and footer included, read back from the rendered receipt by
 * poppler — as one plain layout on an A4 PDF page, without letterhead, tags, QR code nor qpdf. That
 * is the least any PDF of that text costs with the same libraries, so the ratio says what the
 * layout and finishing add. Then the peak memory of one receipt: the growth of the process's
 * resident high-water mark over one render done in a fresh child (ru_maxrss), after the setup's
 * own.
 *
 * usage: receipts DB REFERENCE [N]   (default 200). Prints one line of key=value pairs.
 */
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/document.h"
#include "core/request.h"
#include "docs/letter.h"
#include "present/present.h"
#include "store/store.h"
#include "util/buf.h"

/* The thread's CPU seconds: «per second on one core», whatever else the shared machine runs
 * meanwhile (both sides measured alike). */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* The reference: text in one 9.5 pt layout the width of the letter's column, on one A4 page,
 * written into *pdf emptied first (its memory kept from one call to the next, as the
 * receipts' loop keeps its own). */
static size_t plain_pdf(const char *text, buf *pdf)
{
    pdf->len = 0;
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, pdf, 595.276, 841.89);
    cairo_t *cr = cairo_create(s);
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans 9.5");
    pango_layout_set_font_description(l, fd);
    pango_layout_set_width(l, (int)((595.276 - 2 * 56.69) * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD);
    pango_layout_set_text(l, text, -1);
    cairo_move_to(cr, 56.69, 42.52);
    pango_cairo_show_layout(cr, l);
    cairo_show_page(cr);
    pango_font_description_free(fd);
    g_object_unref(l);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    return pdf->len;
}

/* The text receipt pdf draws, every page in reading order, as poppler reads it back: what the
 * reference writes. (The "documents.receipt" strings would not do: they hold every variant —
 * three delays, both silences, with and without a department — that one receipt chooses
 * from: 2,159 characters against the 1,504 a demo receipt draws, a reference made to lose.)
 * 0, or -1 when poppler cannot read it. */
static int receipt_text(const buf *pdf, buf *out)
{
    GBytes *bytes = g_bytes_new(pdf->data, pdf->len);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
    g_bytes_unref(bytes);
    if (!doc)
        return -1;
    for (int i = 0; i < poppler_document_get_n_pages(doc); i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        char *t = page ? poppler_page_get_text(page) : NULL;
        if (t)
            buf_printf(out, "%s\n", t);
        g_free(t);
        if (page)
            g_object_unref(page);
    }
    g_object_unref(doc);
    return out->len > 0 ? 0 : -1;
}

static long maxrss_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: receipts DB REFERENCE [N]\n");
        return 2;
    }
    long n = argc > 3 ? strtol(argv[3], NULL, 10) : 200;
    if (n < 1)
        n = 1;
    error err;
    error_clear(&err);
    store *s = store_sqlite_open(argv[1], &err);
    core *c = NULL;
    present *pr = NULL;
    if (!s || !(c = core_open(s, NULL, &err)) || !(pr = present_open(NULL, &err))) {
        fprintf(stderr, "receipts: %s\n", err.detail);
        return 1;
    }
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = cat->n_tenants ? &cat->tenants[0] : NULL;
    arena a;
    arena_init(&a, 0);
    store_request r;
    if (!t || request_get(c, t, argv[2], &a, &r, &err) != 0) {
        fprintf(stderr, "receipts: no request %s: %s\n", argv[2], err.detail);
        return 1;
    }
    const json_t *strings = present_strings(pr, document_lang(&r));
    document_receipt_in in = {.strings = strings,
                              .issued_at = r.created_at,
                              .base_url = "https://ville-demo.test",
                              .code = "K7QM-4TXH"};
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    /* Once before timing: fonts loaded and caches warm, as in a running server. */
    if (document_receipt_pdf(c, t, &r, &in, &pdf, &err) != 0) {
        fprintf(stderr, "receipts: %s\n", err.detail);
        return 1;
    }
    size_t bytes = pdf.len;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pdf.len = 0;
        if (document_receipt_pdf(c, t, &r, &in, &pdf, &err) != 0) {
            fprintf(stderr, "receipts: %s\n", err.detail);
            return 1;
        }
    }
    double receipts = (double)n / (now_s() - t0);

    buf text;
    buf_init(&text, 64 * 1024);
    if (receipt_text(&pdf, &text) != 0) {
        fprintf(stderr, "receipts: poppler cannot read the receipt back\n");
        return 1;
    }
    buf plain_out;
    buf_init(&plain_out, LETTER_PDF_MAX);
    plain_pdf(buf_cstr(&text), &plain_out);
    t0 = now_s();
    for (long i = 0; i < n; i++)
        plain_pdf(buf_cstr(&text), &plain_out);
    double plain = (double)n / (now_s() - t0);

    /* One receipt's peak: in a child whose high-water mark is the setup's (the parent's pages,
     * shared, count once it touches them), the growth over one render. */
    long peak_kb = -1;
    int fd[2];
    if (pipe(fd) == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            buf one;
            buf_init(&one, LETTER_PDF_MAX);
            long before = maxrss_kb();
            long grown = document_receipt_pdf(c, t, &r, &in, &one, &err) == 0
                             ? maxrss_kb() - before
                             : -1;
            ssize_t w = write(fd[1], &grown, sizeof grown);
            _exit(w == (ssize_t)sizeof grown ? 0 : 1);
        }
        close(fd[1]);
        if (pid > 0) {
            if (read(fd[0], &peak_kb, sizeof peak_kb) != (ssize_t)sizeof peak_kb)
                peak_kb = -1;
            waitpid(pid, NULL, 0);
        }
        close(fd[0]);
    }
    printf("receipts=%ld per_s=%.1f plain_per_s=%.1f bytes=%zu peak_kb=%ld\n", n, receipts, plain,
           bytes, peak_kb);
    buf_free(&plain_out);
    buf_free(&text);
    buf_free(&pdf);
    arena_free(&a);
    catalogue_release(c, cat);
    present_close(pr);
    core_close(c);
    s->ops->close(s);
    return peak_kb < 0 ? 1 : 0;
}

/*
 * scan — pages to text (scan.h). Each page becomes an 8-bit grey Leptonica image: a PDF page
 * drawn by poppler on a white cairo image surface, an image decoded by Leptonica after its
 * header said its size. A page with almost no ink is blank (a separator, not OCRed); the
 * others go to one Tesseract engine made for the call (French), under a deadline per page
 * and one for the file.
 */
#include "scan/scan.h"

#include <cairo.h>
#include <leptonica/allheaders.h>
#include <ctype.h>
#include <math.h>
#include <poppler.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>
#include <time.h>

#include "util/buf.h"
#include "util/collate.h"
#include "util/log.h"

/* Fraction of dark pixels under which a page may be blank (scanner dust stays under it). */
#define BLANK_INK 0.001
#define DARK_BELOW 128 /* grey level: darker is ink */
/* Letters and digits a separator sheet may carry besides its word (a collectivité's name,
 * «courrier suivant»). */
#define SEPARATOR_OTHER_MAX 40
#define PREVIEW_MAX_WIDTH 2000
#define PREVIEW_MAX_BYTES (16 * 1024 * 1024)

static const char *const problem_names[SCAN_PROBLEM_COUNT] = {
    "", "unreadable", "encrypted", "too_many_pages", "too_large", "timeout", "no_text", "engine"};

const char *scan_problem_name(scan_problem p)
{
    return p >= 0 && p < SCAN_PROBLEM_COUNT ? problem_names[p] : "";
}

static int fail(scan_problem *problem, scan_problem p, error *err, err_code code, const char *why)
{
    *problem = p;
    return error_set(err, code, code == ERR_INTERNAL ? NULL : "file", "%s", why);
}

/* Leptonica writes its own complaints to stderr; a corrupt scan is our caller's to report. */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void libs_init(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pages as grey images ---- */

/* A cairo RGB24 surface as an 8-bit grey PIX (caller destroys). */
static PIX *pix_of_surface(cairo_surface_t *s)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *src = cairo_image_surface_get_data(s);
    PIX *p = pixCreate(w, h, 8);
    if (!p || !src) {
        pixDestroy(&p);
        return NULL;
    }
    l_uint32 *data = pixGetData(p);
    int wpl = pixGetWpl(p);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(src + (size_t)y * (size_t)stride);
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++) {
            uint32_t v = row[x];
            unsigned r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
            l_setDataByte(line, x, (int)((r * 299 + g * 587 + b * 114) / 1000));
        }
    }
    return p;
}

/* Page i of a PDF at SCAN_DPI, or at the resolution that keeps it within max_pixels when
 * that is still legible (150 dpi); NULL with *problem otherwise. */
static PIX *render_pdf_page(PopplerDocument *doc, int i, double max_pixels, scan_problem *problem)
{
    PopplerPage *page = poppler_document_get_page(doc, i);
    if (!page) {
        *problem = SCAN_UNREADABLE;
        return NULL;
    }
    double wpt = 0, hpt = 0;
    poppler_page_get_size(page, &wpt, &hpt);
    double dpi = SCAN_DPI;
    double pixels = (wpt * dpi / 72.0) * (hpt * dpi / 72.0);
    if (pixels > max_pixels) {
        dpi = SCAN_DPI * sqrt(max_pixels / pixels);
        if (dpi < 150) {
            g_object_unref(page);
            *problem = SCAN_TOO_LARGE;
            return NULL;
        }
    }
    int w = (int)(wpt * dpi / 72.0), h = (int)(hpt * dpi / 72.0);
    if (w < 1 || h < 1) {
        g_object_unref(page);
        *problem = SCAN_UNREADABLE;
        return NULL;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 72.0, dpi / 72.0);
    poppler_page_render_for_printing(page, cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    PIX *p = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS ? pix_of_surface(s) : NULL;
    cairo_surface_destroy(s);
    g_object_unref(page);
    if (p)
        pixSetResolution(p, (int)dpi, (int)dpi);
    else
        *problem = SCAN_UNREADABLE;
    return p;
}

/* Any decoded image as 8-bit grey (takes pix). */
static PIX *grey(PIX *pix)
{
    if (!pix)
        return NULL;
    PIX *g = pixGetDepth(pix) == 8 && !pixGetColormap(pix) ? pixClone(pix) : pixConvertTo8(pix, 0);
    pixDestroy(&pix);
    return g;
}

/* ---- OCR ---- */

typedef struct engine {
    TessBaseAPI *api;
    ETEXT_DESC *monitor;
} engine;

static int engine_open(engine *e)
{
    memset(e, 0, sizeof *e);
    e->api = TessBaseAPICreate();
    if (!e->api)
        return -1;
    /* NULL datapath: Debian's (tesseract-ocr-fra), or TESSDATA_PREFIX. */
    if (TessBaseAPIInit3(e->api, NULL, "fra") != 0) {
        TessBaseAPIDelete(e->api);
        e->api = NULL;
        return -1;
    }
    TessBaseAPISetPageSegMode(e->api, PSM_AUTO);
    /* Tesseract writes its diagnostics («Detected 21 diacritics») to stderr: the server's log
     * is ours. */
    TessBaseAPISetVariable(e->api, "debug_file", "/dev/null");
    e->monitor = TessMonitorCreate();
    return e->monitor ? 0 : -1;
}

static void engine_close(engine *e)
{
    if (e->monitor)
        TessMonitorDelete(e->monitor);
    if (e->api) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
}

/* Letters and digits of a folded text outside the word «separateur». */
static size_t words_besides_separator(const char *folded, int *has_word)
{
    static const char word[] = "separateur";
    size_t n = 0;
    *has_word = 0;
    for (const char *p = folded; *p; p++) {
        if (strncmp(p, word, sizeof word - 1) == 0) {
            *has_word = 1;
            p += sizeof word - 2;
            continue;
        }
        n += isalnum((unsigned char)*p) != 0;
    }
    return n;
}

/* The separator sheet the collectivité prints carries the word «SÉPARATEUR» and little else
 * (OCR keeps or drops the accent; case folded): a letter that mentions a «séparateur de
 * voie» is a letter, never dropped. Returns 1 for such a sheet. */
static int says_separator(const char *text)
{
    size_t n = strlen(text);
    if (n > 1024)
        return 0; /* a page of text is a letter */
    char folded[1024 * 2 + 1];
    if (collate_fold(text, n, folded, sizeof folded) < 0)
        return 0;
    int has_word = 0;
    size_t others = words_besides_separator(folded, &has_word);
    return has_word && others <= SEPARATOR_OTHER_MAX;
}

/* 1 when an OCR text holds fewer than 3 letters or digits: scanner dust, not writing. */
static int no_writing(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p && n < 3; p++)
        n += isalnum((unsigned char)*p) != 0 || (unsigned char)*p >= 0xC3;
    return n < 3;
}

/* OCRs one grey page into pg (strings in a) within ms milliseconds. */
static int ocr_page(engine *e, PIX *pix, int ms, arena *a, scan_page *pg, scan_problem *problem)
{
    l_int32 dark = 0;
    PIX *bin = pixThresholdToBinary(pix, DARK_BELOW);
    if (!bin || pixCountPixels(bin, &dark, NULL) != 0) {
        pixDestroy(&bin);
        *problem = SCAN_UNREADABLE;
        return -1;
    }
    pixDestroy(&bin);
    double total = (double)pixGetWidth(pix) * (double)pixGetHeight(pix);
    if (total <= 0 || dark == 0) {
        pg->blank = pg->separator = 1;
        pg->text = "";
        return 0;
    }
    /* Almost no ink may still be a few words (a signature, «Fait à Lyon»): such a page is
     * read, and blank only when nothing written comes out of it. */
    int faint = dark / total < BLANK_INK;
    TessBaseAPISetImage2(e->api, pix);
    if (pixGetXRes(pix) <= 0)
        TessBaseAPISetSourceResolution(e->api, SCAN_DPI);
    TessMonitorSetDeadlineMSecs(e->monitor, ms);
    int64_t started = now_ms();
    int rc = TessBaseAPIRecognize(e->api, e->monitor);
    if (now_ms() - started >= ms) {
        *problem = SCAN_TIMEOUT;
        return -1;
    }
    if (rc != 0) {
        *problem = SCAN_UNREADABLE;
        return -1;
    }
    char *text = TessBaseAPIGetUTF8Text(e->api);
    if (!text) {
        *problem = SCAN_UNREADABLE;
        return -1;
    }
    size_t n = strlen(text);
    if (n > SCAN_PAGE_TEXT_MAX) {
        n = SCAN_PAGE_TEXT_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* cut at a character boundary */
    }
    pg->text = arena_strndup(a, text, n);
    TessDeleteText(text);
    if (!pg->text) {
        *problem = SCAN_ENGINE;
        return -1;
    }
    pg->confidence = TessBaseAPIMeanTextConf(e->api);
    TessBaseAPIClear(e->api);
    if (faint && no_writing(pg->text)) {
        pg->blank = pg->separator = 1;
        pg->text = "";
        pg->confidence = 0;
        return 0;
    }
    pg->separator = says_separator(pg->text);
    return 0;
}

/* ---- the file ---- */

typedef struct source {
    PopplerDocument *pdf; /* a PDF, or */
    const void *data;     /* an image's bytes */
    size_t len;
    int format; /* Leptonica's IFF_* of an image */
    int n_pages;
} source;

static int is_pdf(const void *data, size_t len)
{
    return len >= 5 && memcmp(data, "%PDF-", 5) == 0;
}

/* Opens data and counts its pages, checking each image page's size from its header. */
static int source_open(source *src, const void *data, size_t len, const scan_limits *lim,
                       scan_problem *problem)
{
    memset(src, 0, sizeof *src);
    src->data = data;
    src->len = len;
    if (is_pdf(data, len)) {
        GBytes *bytes = g_bytes_new_static(data, len);
        GError *gerr = NULL;
        src->pdf = poppler_document_new_from_bytes(bytes, NULL, &gerr);
        g_bytes_unref(bytes);
        if (!src->pdf) {
            *problem =
                gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED
                    ? SCAN_ENCRYPTED
                    : SCAN_UNREADABLE;
            if (gerr)
                g_error_free(gerr);
            return -1;
        }
        src->n_pages = poppler_document_get_n_pages(src->pdf);
    } else {
        l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
        if (pixReadHeaderMem(data, len, &format, &w, &h, &bps, &spp, &cmap) != 0 ||
            (format != IFF_PNG && format != IFF_JFIF_JPEG && format != IFF_TIFF &&
             format != IFF_TIFF_G4 && format != IFF_TIFF_G3 && format != IFF_TIFF_LZW &&
             format != IFF_TIFF_ZIP && format != IFF_TIFF_PACKBITS && format != IFF_TIFF_RLE &&
             format != IFF_TIFF_JPEG)) {
            *problem = SCAN_UNREADABLE;
            return -1;
        }
        src->format = format;
        src->n_pages = 1;
        if (format != IFF_PNG && format != IFF_JFIF_JPEG) {
            FILE *fp = fopenReadFromMemory(data, len);
            l_int32 n = 0;
            if (!fp || tiffGetCount(fp, &n) != 0 || n < 1) {
                if (fp)
                    fclose(fp);
                *problem = SCAN_UNREADABLE;
                return -1;
            }
            fclose(fp);
            src->n_pages = n;
        }
        /* Before any pixel is decoded: a decompression bomb is refused on its header. */
        for (int i = 0; i < src->n_pages && i < lim->max_pages; i++) {
            if (i > 0 || src->format != IFF_PNG) {
                if (src->format != IFF_PNG && src->format != IFF_JFIF_JPEG &&
                    readHeaderMemTiff(data, len, i, &w, &h, &bps, &spp, NULL, NULL, NULL) != 0) {
                    *problem = SCAN_UNREADABLE;
                    return -1;
                }
            }
            if ((double)w * (double)h > lim->max_pixels) {
                *problem = SCAN_TOO_LARGE;
                return -1;
            }
        }
    }
    if (src->n_pages < 1) {
        *problem = SCAN_UNREADABLE;
        return -1;
    }
    if (src->n_pages > lim->max_pages) {
        *problem = SCAN_TOO_MANY_PAGES;
        return -1;
    }
    return 0;
}

static void source_close(source *src)
{
    if (src->pdf)
        g_object_unref(src->pdf);
}

static PIX *source_page(const source *src, int i, const scan_limits *lim, scan_problem *problem)
{
    if (src->pdf)
        return render_pdf_page(src->pdf, i, lim->max_pixels, problem);
    PIX *p = src->format == IFF_PNG || src->format == IFF_JFIF_JPEG
                 ? pixReadMem(src->data, src->len)
                 : pixReadMemTiff(src->data, src->len, i);
    p = grey(p);
    if (!p)
        *problem = SCAN_UNREADABLE;
    return p;
}

static scan_limits limits_of(const scan_limits *lim)
{
    scan_limits l = lim ? *lim : (scan_limits){0};
    if (l.max_pages <= 0)
        l.max_pages = SCAN_MAX_PAGES;
    if (l.max_pixels <= 0)
        l.max_pixels = SCAN_MAX_PIXELS;
    if (l.page_ms <= 0)
        l.page_ms = SCAN_PAGE_MS;
    if (l.total_ms <= 0)
        l.total_ms = SCAN_TOTAL_MS;
    return l;
}

static const char *problem_detail(scan_problem p)
{
    switch (p) {
    case SCAN_ENCRYPTED:
        return "the PDF is protected by a password";
    case SCAN_TOO_MANY_PAGES:
        return "too many pages";
    case SCAN_TOO_LARGE:
        return "a page is over the pixel limit";
    case SCAN_TIMEOUT:
        return "OCR over its time budget";
    case SCAN_NO_TEXT:
        return "no page carries text";
    case SCAN_ENGINE:
        return "Tesseract (French) could not start";
    default:
        return "the file does not decode as a PDF or an image";
    }
}

int scan_read(const void *data, size_t len, const scan_limits *lim, arena *a, scan_doc *out,
              scan_problem *problem, error *err)
{
    memset(out, 0, sizeof *out);
    *problem = SCAN_OK;
    pthread_once(&g_once, libs_init);
    scan_limits l = limits_of(lim);
    source src;
    engine e;
    memset(&e, 0, sizeof e);
    int rc = -1;
    if (!data || len == 0 || source_open(&src, data, len, &l, problem) != 0) {
        if (*problem == SCAN_OK)
            *problem = SCAN_UNREADABLE;
        return fail(problem, *problem, err, ERR_INVALID_ARG, problem_detail(*problem));
    }
    out->pages = arena_alloc(a, (size_t)src.n_pages * sizeof *out->pages);
    if (!out->pages) {
        source_close(&src);
        return fail(problem, SCAN_ENGINE, err, ERR_INTERNAL, "out of memory");
    }
    memset(out->pages, 0, (size_t)src.n_pages * sizeof *out->pages);
    if (engine_open(&e) != 0) {
        log_error("scan: Tesseract could not start with the French data (tesseract-ocr-fra)");
        fail(problem, SCAN_ENGINE, err, ERR_INTERNAL, problem_detail(SCAN_ENGINE));
        goto cleanup;
    }
    int64_t deadline = now_ms() + l.total_ms;
    int any_text = 0;
    for (int i = 0; i < src.n_pages; i++) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            fail(problem, SCAN_TIMEOUT, err, ERR_INVALID_ARG, problem_detail(SCAN_TIMEOUT));
            goto cleanup;
        }
        PIX *pix = source_page(&src, i, &l, problem);
        if (!pix) {
            fail(problem, *problem, err, ERR_INVALID_ARG, problem_detail(*problem));
            goto cleanup;
        }
        int prc =
            ocr_page(&e, pix, left < l.page_ms ? (int)left : l.page_ms, a, &out->pages[i], problem);
        pixDestroy(&pix);
        if (prc != 0) {
            fail(problem, *problem, err, *problem == SCAN_ENGINE ? ERR_INTERNAL : ERR_INVALID_ARG,
                 problem_detail(*problem));
            goto cleanup;
        }
        out->n_pages++;
        if (!out->pages[i].blank && !out->pages[i].separator)
            any_text = 1;
    }
    if (!any_text) {
        fail(problem, SCAN_NO_TEXT, err, ERR_INVALID_ARG, problem_detail(SCAN_NO_TEXT));
        goto cleanup;
    }
    rc = 0;
cleanup:
    engine_close(&e);
    source_close(&src);
    return rc;
}

size_t scan_split(const scan_doc *d, scan_letter *out, size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (i < d->n_pages && n < max) {
        while (i < d->n_pages && d->pages[i].separator)
            i++;
        if (i >= d->n_pages)
            break;
        size_t first = i;
        if (n + 1 == max) {
            /* The last slot takes every page left, separators included: pages past the
             * limit stay with a letter an agent sees, never dropped. */
            size_t last = d->n_pages - 1;
            while (last > first && d->pages[last].separator)
                last--;
            out[n++] = (scan_letter){first, last};
            break;
        }
        while (i < d->n_pages && !d->pages[i].separator)
            i++;
        out[n++] = (scan_letter){first, i - 1};
    }
    return n;
}

const char *scan_letter_text(const scan_doc *d, const scan_letter *l, arena *a)
{
    size_t total = 1;
    for (size_t i = l->first; i <= l->last && i < d->n_pages; i++)
        total += strlen(d->pages[i].text) + 1;
    char *s = arena_alloc(a, total);
    if (!s)
        return NULL;
    size_t at = 0;
    for (size_t i = l->first; i <= l->last && i < d->n_pages; i++) {
        size_t k = strlen(d->pages[i].text);
        memcpy(s + at, d->pages[i].text, k);
        at += k;
        if (i < l->last)
            s[at++] = '\n';
    }
    s[at] = '\0';
    return s;
}

int scan_tiff_to_pdf(const void *data, size_t len, arena *a, void **pdf, size_t *pdf_len,
                     scan_problem *problem, error *err)
{
    *pdf = NULL;
    *pdf_len = 0;
    *problem = SCAN_OK;
    pthread_once(&g_once, libs_init);
    scan_limits l = limits_of(NULL);
    source src;
    if (source_open(&src, data, len, &l, problem) != 0 || src.pdf) {
        source_close(&src);
        if (*problem == SCAN_OK)
            *problem = SCAN_UNREADABLE;
        return fail(problem, *problem, err, ERR_INVALID_ARG, problem_detail(*problem));
    }
    PIXA *pixa = pixaCreate(src.n_pages);
    int rc = -1;
    for (int i = 0; pixa && i < src.n_pages; i++) {
        PIX *p = pixReadMemTiff(data, len, i);
        if (!p) {
            fail(problem, SCAN_UNREADABLE, err, ERR_INVALID_ARG, problem_detail(SCAN_UNREADABLE));
            goto cleanup;
        }
        pixaAddPix(pixa, p, L_INSERT);
    }
    l_uint8 *bytes = NULL;
    size_t n = 0;
    /* res 0: each image's own resolution (300 when it has none); the default encoding
     * (G4 for 1-bit pages, JPEG or Flate for the others). */
    if (!pixa || pixaConvertToPdfData(pixa, 0, 1.0, L_DEFAULT_ENCODE, 0, NULL, &bytes, &n) != 0 ||
        !bytes) {
        fail(problem, SCAN_UNREADABLE, err, ERR_INVALID_ARG, problem_detail(SCAN_UNREADABLE));
        goto cleanup;
    }
    *pdf = arena_alloc(a, n);
    if (*pdf) {
        memcpy(*pdf, bytes, n);
        *pdf_len = n;
        rc = 0;
    } else {
        fail(problem, SCAN_ENGINE, err, ERR_INTERNAL, "out of memory");
    }
    lept_free(bytes);
cleanup:
    pixaDestroy(&pixa);
    source_close(&src);
    return rc;
}

static cairo_status_t collect_png(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int scan_pdf_preview_png(const void *data, size_t len, int width, arena *a, void **png,
                         size_t *png_len, error *err)
{
    *png = NULL;
    *png_len = 0;
    if (width < 16 || width > PREVIEW_MAX_WIDTH)
        width = 800;
    if (!is_pdf(data, len))
        return error_set(err, ERR_INVALID_ARG, "file", "not a PDF");
    GBytes *bytes = g_bytes_new_static(data, len);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
    g_bytes_unref(bytes);
    PopplerPage *page = doc ? poppler_document_get_page(doc, 0) : NULL;
    if (!page) {
        if (doc)
            g_object_unref(doc);
        return error_set(err, ERR_INVALID_ARG, "file", "the PDF does not render");
    }
    double wpt = 0, hpt = 0;
    poppler_page_get_size(page, &wpt, &hpt);
    double scale = wpt > 0 ? width / wpt : 1;
    int h = (int)(hpt * scale);
    if (h < 1 || h > 4 * PREVIEW_MAX_WIDTH)
        h = width;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, scale, scale);
    poppler_page_render_for_printing(page, cr);
    cairo_destroy(cr);
    buf b;
    buf_init(&b, PREVIEW_MAX_BYTES);
    int rc = cairo_surface_write_to_png_stream(s, collect_png, &b) == CAIRO_STATUS_SUCCESS ? 0 : -1;
    cairo_surface_destroy(s);
    g_object_unref(page);
    g_object_unref(doc);
    if (rc == 0 && (*png = arena_alloc(a, b.len ? b.len : 1)) != NULL) {
        memcpy(*png, b.data, b.len);
        *png_len = b.len;
    } else {
        rc = -1;
    }
    buf_free(&b);
    return rc == 0 ? 0 : error_set(err, ERR_INTERNAL, NULL, "cannot write the preview");
}

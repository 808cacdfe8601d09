/*
 * letter_logo — a letterhead's logo made ready once for any number of letters: the PNG decoded
 * by cairo, its colour and alpha separated and un-premultiplied, each compressed with zlib as a
 * PDF image stream's (docs/pdf.h's pdf_image), so that pdf_finish copies the bytes into every
 * letter. cairo would decode and compress the same pixels again for each one: the dearest part
 * of a receipt.
 */
#include "docs/page.h"

#include <cairo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct letter_logo {
    pdf_image image;
    unsigned char *rgb, *alpha;
};

typedef struct mem_reader {
    const unsigned char *p;
    size_t left;
} mem_reader;

static cairo_status_t read_mem(void *ctx, unsigned char *data, unsigned int length)
{
    mem_reader *r = ctx;
    if (length > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, length);
    r->p += length;
    r->left -= length;
    return CAIRO_STATUS_SUCCESS;
}

/* The width and height a PNG's header says, before anything is decoded: 0, or -1 when the
 * bytes do not start as a PNG does. */
static int png_size(const unsigned char *p, size_t len, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 24 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return -1;
    *w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
    *h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
    return 0;
}

/* data[0..n) compressed into *out (malloc'd) and *out_len: 0, or -1 out of memory. Once per
 * logo: the best compression, whatever it costs. */
static int deflate_plane(const unsigned char *data, size_t n, unsigned char **out, size_t *out_len)
{
    uLongf cap = compressBound((uLong)n);
    *out = malloc(cap);
    if (!*out)
        return -1;
    if (compress2(*out, &cap, data, (uLong)n, Z_BEST_COMPRESSION) != Z_OK) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *out_len = cap;
    return 0;
}

int letter_logo_make(const void *png, size_t len, letter_logo **out, error *err)
{
    *out = NULL;
    uint32_t w, h;
    if (!png || png_size(png, len, &w, &h) != 0 || w == 0 || h == 0)
        return error_set(err, ERR_INVALID_ARG, "logo", "the logo is not a readable PNG");
    if ((uint64_t)w * h > LETTER_LOGO_PIXELS_MAX)
        return error_set(err, ERR_INVALID_ARG, "logo", "the logo has more than %d pixels",
                         LETTER_LOGO_PIXELS_MAX);
    mem_reader r = {png, len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
        (uint32_t)cairo_image_surface_get_width(s) != w ||
        (uint32_t)cairo_image_surface_get_height(s) != h) {
        cairo_surface_destroy(s);
        return error_set(err, ERR_INVALID_ARG, "logo", "the logo is not a readable PNG");
    }
    cairo_surface_flush(s);
    size_t n = (size_t)w * h;
    unsigned char *rgb = malloc(n * 3), *alpha = malloc(n);
    letter_logo *l = calloc(1, sizeof *l);
    int rc = -1;
    if (!rgb || !alpha || !l) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    int has_alpha = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32;
    int opaque = 1;
    for (uint32_t y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        for (uint32_t x = 0; x < w; x++) {
            uint32_t px = row[x];
            unsigned a = has_alpha ? px >> 24 : 255;
            unsigned c[3] = {(px >> 16) & 0xff, (px >> 8) & 0xff, px & 0xff};
            size_t i = (size_t)y * w + x;
            /* cairo keeps colours multiplied by their alpha; a PDF image with a soft mask
             * wants them whole. */
            for (int k = 0; k < 3; k++)
                rgb[i * 3 + (size_t)k] = (unsigned char)(a == 0     ? 0
                                                         : a == 255 ? c[k]
                                                                    : (c[k] * 255 + a / 2) / a);
            alpha[i] = (unsigned char)a;
            opaque &= a == 255;
        }
    }
    l->image.width = (int)w;
    l->image.height = (int)h;
    if (deflate_plane(rgb, n * 3, &l->rgb, &l->image.rgb_len) != 0 ||
        (!opaque && deflate_plane(alpha, n, &l->alpha, &l->image.alpha_len) != 0)) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    l->image.rgb = l->rgb;
    l->image.alpha = l->alpha;
    *out = l;
    l = NULL;
    rc = 0;
cleanup:
    letter_logo_free(l);
    free(rgb);
    free(alpha);
    cairo_surface_destroy(s);
    return rc;
}

const pdf_image *letter_logo_image(const letter_logo *l)
{
    return &l->image;
}

void letter_logo_free(letter_logo *l)
{
    if (!l)
        return;
    free(l->rgb);
    free(l->alpha);
    free(l);
}

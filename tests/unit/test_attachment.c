/*
 * Unit tests of core/attachment: type from content (photos and PDF accepted; HTML, EXE, ZIP
 * and HEIC refused naming the field), size and pixel limits, photos re-encoded upright
 * without EXIF/GPS and fitted into 2560 px with a 400 px thumbnail, file names sanitised,
 * stored files private (0600, random names) and recorded through the store; the files a
 * form keeps between its steps (upload_stash: kept, listed in order, removed, claimed for a
 * request, purged after their day). Test images are
 * made here with libvips; the EXIF block with GPS coordinates is written by hand so that
 * the test knows exactly which bytes must disappear.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/admin.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/upload_stash.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/utf8.h"

static char g_tmp[64];
static char g_uploads[96];
static attachment_dir g_dir; /* opened on g_uploads by main, as core opens its own */

/* ---- helpers ---- */

typedef struct blob {
    unsigned char *data;
    size_t len;
} blob;

static void blob_free(blob *b)
{
    g_free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* A w × h sRGB gradient (so that the encoder has real content), with alpha when asked,
 * saved in `format` ("jpeg", "png", "webp"). */
static blob make_image(int w, int h, const char *format, int alpha)
{
    VipsImage *x = NULL, *r = NULL, *g = NULL, *b = NULL, *rgb = NULL, *u = NULL, *out = NULL;
    assert_int_equal(vips_xyz(&x, w, h, NULL), 0);
    VipsImage *bands[2];
    assert_int_equal(vips_extract_band(x, &bands[0], 0, NULL), 0);
    assert_int_equal(vips_extract_band(x, &bands[1], 1, NULL), 0);
    assert_int_equal(vips_linear1(bands[0], &r, 255.0 / w, 0, NULL), 0);
    assert_int_equal(vips_linear1(bands[1], &g, 255.0 / h, 0, NULL), 0);
    assert_int_equal(vips_linear1(bands[0], &b, 0, 128, NULL), 0);
    VipsImage *parts[4] = {r, g, b, NULL};
    int n = 3;
    if (alpha) {
        assert_int_equal(vips_linear1(bands[1], &parts[3], 0, 128, NULL), 0);
        n = 4;
    }
    assert_int_equal(vips_bandjoin(parts, &rgb, n, NULL), 0);
    assert_int_equal(vips_cast(rgb, &u, VIPS_FORMAT_UCHAR, NULL), 0);
    assert_int_equal(vips_copy(u, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    blob res = {0};
    void *buf = NULL;
    if (strcmp(format, "jpeg") == 0)
        assert_int_equal(vips_jpegsave_buffer(out, &buf, &res.len, "Q", 90, NULL), 0);
    else if (strcmp(format, "png") == 0)
        assert_int_equal(vips_pngsave_buffer(out, &buf, &res.len, NULL), 0);
    else
        assert_int_equal(vips_webpsave_buffer(out, &buf, &res.len, NULL), 0);
    res.data = buf;
    VipsImage *all[] = {x, bands[0], bands[1], r, g, b, parts[3], rgb, u, out};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i])
            g_object_unref(all[i]);
    return res;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A little-endian EXIF APP1 segment: IFD0 with Orientation = `orientation`, Make "GuichetCam"
 * and a GPS IFD with latitude 45°45'51" N and longitude 4°50'9" E. */
static size_t make_exif_app1(unsigned char *seg, size_t size, unsigned orientation)
{
    unsigned char t[512];
    memset(t, 0, sizeof t);
    /* TIFF header */
    memcpy(t, "II*\0", 4);
    put32(t + 4, 8);
    /* IFD0 at 8: 3 entries (12 bytes each), next IFD 0 */
    size_t p = 8;
    put16(t + p, 3);
    p += 2;
    size_t ifd0_end = 8 + 2 + 3 * 12 + 4; /* 50 */
    size_t make_off = ifd0_end;           /* "GuichetCam\0" (11 bytes) */
    size_t gps_off = make_off + 12;       /* 62 */
    /* Make (0x010f) ASCII */
    put16(t + p, 0x010f);
    put16(t + p + 2, 2);
    put32(t + p + 4, 11);
    put32(t + p + 8, (uint32_t)make_off);
    p += 12;
    /* Orientation (0x0112) SHORT */
    put16(t + p, 0x0112);
    put16(t + p + 2, 3);
    put32(t + p + 4, 1);
    put16(t + p + 8, orientation);
    p += 12;
    /* GPS IFD pointer (0x8825) LONG */
    put16(t + p, 0x8825);
    put16(t + p + 2, 4);
    put32(t + p + 4, 1);
    put32(t + p + 8, (uint32_t)gps_off);
    p += 12;
    put32(t + p, 0);
    memcpy(t + make_off, "GuichetCam", 11);
    /* GPS IFD: 4 entries, then two arrays of 3 rationals */
    p = gps_off;
    put16(t + p, 4);
    p += 2;
    size_t gps_end = gps_off + 2 + 4 * 12 + 4;
    size_t lat_off = gps_end, lon_off = gps_end + 24;
    put16(t + p, 0x0001); /* GPSLatitudeRef "N" */
    put16(t + p + 2, 2);
    put32(t + p + 4, 2);
    t[p + 8] = 'N';
    p += 12;
    put16(t + p, 0x0002); /* GPSLatitude */
    put16(t + p + 2, 5);
    put32(t + p + 4, 3);
    put32(t + p + 8, (uint32_t)lat_off);
    p += 12;
    put16(t + p, 0x0003); /* GPSLongitudeRef "E" */
    put16(t + p + 2, 2);
    put32(t + p + 4, 2);
    t[p + 8] = 'E';
    p += 12;
    put16(t + p, 0x0004); /* GPSLongitude */
    put16(t + p + 2, 5);
    put32(t + p + 4, 3);
    put32(t + p + 8, (uint32_t)lon_off);
    p += 12;
    put32(t + p, 0);
    const uint32_t lat[6] = {45, 1, 45, 1, 51, 1}, lon[6] = {4, 1, 50, 1, 9, 1};
    for (int i = 0; i < 6; i++) {
        put32(t + lat_off + 4 * (size_t)i, lat[i]);
        put32(t + lon_off + 4 * (size_t)i, lon[i]);
    }
    size_t tiff_len = lon_off + 24;
    size_t seg_len = 2 + 6 + tiff_len; /* length field counts itself */
    assert_true(seg_len + 2 <= size);
    seg[0] = 0xff;
    seg[1] = 0xe1;
    seg[2] = (unsigned char)(seg_len >> 8);
    seg[3] = (unsigned char)(seg_len & 0xff);
    memcpy(seg + 4, "Exif\0\0", 6);
    memcpy(seg + 10, t, tiff_len);
    return seg_len + 2;
}

/* A w × h JPEG carrying the EXIF segment above right after SOI. */
static blob make_jpeg_with_gps(int w, int h, unsigned orientation)
{
    blob plain = make_image(w, h, "jpeg", 0);
    unsigned char seg[600];
    size_t seg_len = make_exif_app1(seg, sizeof seg, orientation);
    blob res = {g_malloc(plain.len + seg_len), plain.len + seg_len};
    memcpy(res.data, plain.data, 2); /* SOI */
    memcpy(res.data + 2, seg, seg_len);
    memcpy(res.data + 2 + seg_len, plain.data + 2, plain.len - 2);
    blob_free(&plain);
    return res;
}

static int contains(const unsigned char *d, size_t n, const void *needle, size_t m)
{
    return memmem(d, n, needle, m) != NULL;
}

/* Reads a stored file whole; caller frees with blob_free. */
static blob read_stored(const char *storage_name)
{
    arena a;
    arena_init(&a, 0);
    const char *path = attachment_path(&g_dir, &a, storage_name);
    assert_non_null(path);
    gchar *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    arena_free(&a);
    blob b = {(unsigned char *)data, len};
    return b;
}

static void image_size(const blob *b, int *w, int *h)
{
    VipsImage *im = vips_image_new_from_buffer(b->data, b->len, "", NULL);
    assert_non_null(im);
    *w = vips_image_get_width(im);
    *h = vips_image_get_height(im);
    g_object_unref(im);
}

static int storage_name_ok(const char *name, const char *ext)
{
    if (!name || strlen(name) != 32 + strlen(ext) || strcmp(name + 32, ext) != 0)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!strchr("0123456789abcdef", name[i]))
            return 0;
    return 1;
}

static size_t count_files(void)
{
    DIR *d = opendir(g_uploads);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Runs attachment_prepare on data and expects a refusal with `code` naming "photos". */
static void expect_refused(const void *data, size_t len, err_code code, const char *why)
{
    arena a;
    arena_init(&a, 0);
    size_t before = count_files();
    attachment_upload up = {.field = "photos", .filename = "x.bin", .data = data, .len = len};
    store_attachment at;
    error err;
    error_clear(&err);
    int rc = attachment_prepare(&g_dir, &up, &a, &at, &err);
    if (rc == 0)
        fail_msg("%s: accepted as %s", why, at.content_type);
    assert_int_equal(err.code, code);
    assert_string_equal(err.arg, "photos");
    assert_true(strlen(err.detail) > 0);
    assert_int_equal(count_files(), before); /* nothing left behind */
    arena_free(&a);
}

/* ---- tests ---- */

static void test_set_dir(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(stat(g_uploads, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_string_equal(g_dir.path, g_uploads);
    error err;
    attachment_dir other;
    assert_int_equal(attachment_dir_open(&other, "", &err), -1);
    assert_string_equal(other.path, "");
    /* a path under a regular file cannot be created */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/file", g_tmp);
    FILE *fp = fopen(bad, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(bad, sizeof bad, "%s/file/uploads", g_tmp);
    assert_int_equal(attachment_dir_open(&other, bad, &err), -1);
    assert_string_equal(other.path, "");
    /* A trailing slash is dropped: files are named "<dir>/<name>". */
    char slashed[128];
    snprintf(slashed, sizeof slashed, "%s/", g_uploads);
    assert_int_equal(attachment_dir_open(&other, slashed, &err), 0);
    assert_string_equal(other.path, g_uploads);
}

static void test_jpeg_gps_removed_and_rotated(void **state)
{
    (void)state;
    /* Orientation 6: the camera was turned; the stored photo must be upright (portrait). */
    blob in = make_jpeg_with_gps(300, 200, 6);
    assert_true(contains(in.data, in.len, "GuichetCam", 10));
    /* libvips itself must see the GPS block in the input, or the test would prove nothing. */
    VipsImage *check = vips_image_new_from_buffer(in.data, in.len, "", NULL);
    assert_non_null(check);
    assert_true(vips_image_get_typeof(check, "exif-data") != 0);
    assert_true(vips_image_get_typeof(check, "exif-ifd3-GPSLatitude") != 0);
    g_object_unref(check);

    arena a;
    arena_init(&a, 0);
    attachment_upload up = {
        .field = "photos", .filename = "IMG_0001.JPG", .data = (char *)in.data, .len = in.len};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    assert_int_equal(at.is_photo, 1);
    assert_string_equal(at.content_type, "image/jpeg");
    assert_string_equal(at.moderation, "pending");
    assert_string_equal(at.filename, "IMG_0001.JPG");
    assert_true(storage_name_ok(at.storage_name, ".jpg"));
    assert_true(storage_name_ok(at.thumb_name, ".jpg"));
    assert_string_not_equal(at.storage_name, at.thumb_name);

    blob out = read_stored(at.storage_name);
    assert_int_equal((int64_t)out.len, at.size);
    assert_int_equal(out.data[0], 0xff);
    assert_int_equal(out.data[1], 0xd8);
    assert_false(contains(out.data, out.len, "Exif", 4));
    assert_false(contains(out.data, out.len, "\xff\xe1", 2)); /* no APP1 (EXIF, XMP) */
    assert_false(contains(out.data, out.len, "GuichetCam", 10));
    const unsigned char lat[] = {45, 0, 0, 0, 1, 0, 0, 0, 45, 0, 0, 0};
    assert_false(contains(out.data, out.len, lat, sizeof lat));
    VipsImage *im = vips_image_new_from_buffer(out.data, out.len, "", NULL);
    assert_non_null(im);
    assert_int_equal(vips_image_get_typeof(im, "exif-data"), 0);
    assert_int_equal(vips_image_get_typeof(im, "exif-ifd3-GPSLatitude"), 0);
    assert_int_equal(vips_image_get_width(im), 200);
    assert_int_equal(vips_image_get_height(im), 300);
    g_object_unref(im);

    blob th = read_stored(at.thumb_name);
    assert_false(contains(th.data, th.len, "Exif", 4));
    int w, h;
    image_size(&th, &w, &h);
    assert_int_equal(h, 300); /* smaller than 400: never enlarged */
    assert_int_equal(w, 200);

    attachment_discard(&g_dir, &at);
    assert_int_equal(count_files(), 0);
    blob_free(&th);
    blob_free(&out);
    blob_free(&in);
    arena_free(&a);
}

static void test_png_resized_and_flattened(void **state)
{
    (void)state;
    blob in = make_image(3200, 1000, "png", 1);
    arena a;
    arena_init(&a, 0);
    attachment_upload up = {.field = "photos",
                            .filename = "plan du quartier.png",
                            .data = (char *)in.data,
                            .len = in.len};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    assert_string_equal(at.content_type, "image/jpeg");
    assert_string_equal(at.filename, "plan du quartier.jpg");
    blob out = read_stored(at.storage_name);
    VipsImage *im = vips_image_new_from_buffer(out.data, out.len, "", NULL);
    assert_non_null(im);
    assert_int_equal(vips_image_get_width(im), 2560);
    assert_int_equal(vips_image_get_height(im), 800);
    assert_int_equal(vips_image_get_bands(im), 3); /* alpha flattened */
    g_object_unref(im);
    blob th = read_stored(at.thumb_name);
    int w, h;
    image_size(&th, &w, &h);
    assert_int_equal(w, 400);
    assert_int_equal(h, 125);
    attachment_discard(&g_dir, &at);
    blob_free(&th);
    blob_free(&out);
    blob_free(&in);
    arena_free(&a);
}

static void test_webp_accepted(void **state)
{
    (void)state;
    blob in = make_image(640, 480, "webp", 0);
    arena a;
    arena_init(&a, 0);
    attachment_upload up = {
        .field = "photos", .filename = "chaussee.webp", .data = (char *)in.data, .len = in.len};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    assert_int_equal(at.is_photo, 1);
    assert_string_equal(at.filename, "chaussee.jpg");
    blob out = read_stored(at.storage_name);
    assert_int_equal(out.data[0], 0xff);
    int w, h;
    image_size(&out, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    attachment_discard(&g_dir, &at);
    blob_free(&out);
    blob_free(&in);
    arena_free(&a);
}

static const char PDF[] = "%PDF-1.4\n"
                          "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                          "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                          "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> "
                          "endobj\n"
                          "xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n"
                          "0000000058 00000 n \n0000000115 00000 n \n"
                          "trailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n";

static void test_pdf_kept_as_is(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    attachment_upload up = {.field = "justificatif",
                            .filename = "C:\\Users\\moi\\facture.PDF",
                            .data = PDF,
                            .len = sizeof PDF - 1};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    assert_int_equal(at.is_photo, 0);
    assert_string_equal(at.content_type, "application/pdf");
    assert_string_equal(at.filename, "facture.PDF");
    assert_null(at.thumb_name);
    assert_true(storage_name_ok(at.storage_name, ".pdf"));
    assert_int_equal(at.size, (int64_t)(sizeof PDF - 1));
    blob out = read_stored(at.storage_name);
    assert_int_equal(out.len, sizeof PDF - 1);
    assert_memory_equal(out.data, PDF, out.len);
    attachment_discard(&g_dir, &at);
    assert_int_equal(count_files(), 0);
    blob_free(&out);
    arena_free(&a);

    /* truncated: no %%EOF */
    expect_refused(PDF, sizeof PDF - 8, ERR_INVALID_ARG, "truncated PDF");
}

static void test_refused_types(void **state)
{
    (void)state;
    static const char html[] = "<!DOCTYPE html>\n<html><head><title>x</title></head>"
                               "<body><script>alert(1)</script></body></html>\n";
    expect_refused(html, sizeof html - 1, ERR_INVALID_ARG, "HTML");
    /* An SVG is an image that can carry scripts: refused too. */
    static const char svg[] = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/"
                              "svg\" width=\"10\" height=\"10\"><script>alert(1)</script>"
                              "</svg>\n";
    expect_refused(svg, sizeof svg - 1, ERR_INVALID_ARG, "SVG");
    /* A DOS/Windows executable header. */
    unsigned char exe[512];
    memset(exe, 0, sizeof exe);
    exe[0] = 'M';
    exe[1] = 'Z';
    put32(exe + 0x3c, 0x80);
    memcpy(exe + 0x80, "PE\0\0", 4);
    put16(exe + 0x84, 0x14c);
    expect_refused(exe, sizeof exe, ERR_INVALID_ARG, "EXE");
    /* An empty ZIP archive (end of central directory only) and one local header. */
    unsigned char zip[64];
    memset(zip, 0, sizeof zip);
    memcpy(zip, "PK\x03\x04\x14\0\0\0\0\0", 10);
    memcpy(zip + 30, "PK\x05\x06", 4);
    expect_refused(zip, sizeof zip, ERR_INVALID_ARG, "ZIP");
    /* A JPEG's name does not make a JPEG. */
    static const char text[] = "Ceci n'est pas une photo.\n";
    expect_refused(text, sizeof text - 1, ERR_INVALID_ARG, "text");
    /* HEIC (ftyp heic box): refused with its own explanation. */
    unsigned char heic[64];
    memset(heic, 0, sizeof heic);
    memcpy(heic,
           "\0\0\0\x18"
           "ftypheic\0\0\0\0mif1heic",
           24);
    expect_refused(heic, sizeof heic, ERR_INVALID_ARG, "HEIC");
    /* A JPEG start followed by garbage: libmagic says JPEG, libvips cannot decode it. */
    unsigned char broken[256];
    memset(broken, 0x41, sizeof broken);
    memcpy(broken, "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20);
    expect_refused(broken, sizeof broken, ERR_INVALID_ARG, "broken JPEG");
    /* empty */
    expect_refused("", 0, ERR_INVALID_ARG, "empty");
}

static void test_size_limit(void **state)
{
    (void)state;
    size_t n = ATTACHMENT_MAX_BYTES + 1;
    char *big = calloc(1, n);
    assert_non_null(big);
    memcpy(big, PDF, sizeof PDF - 1);
    memcpy(big + n - 6, "%%EOF\n", 6);
    expect_refused(big, n, ERR_INVALID_ARG, "11 MB PDF");
    /* exactly at the limit: accepted */
    arena a;
    arena_init(&a, 0);
    attachment_upload up = {
        .field = "photos", .filename = "gros.pdf", .data = big, .len = ATTACHMENT_MAX_BYTES};
    memcpy(big + ATTACHMENT_MAX_BYTES - 6, "%%EOF\n", 6);
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    assert_int_equal(at.size, ATTACHMENT_MAX_BYTES);
    attachment_discard(&g_dir, &at);
    /* the limit is the directory's (--max-upload), and the refusal says it is about size */
    attachment_dir lower = g_dir;
    lower.max_file_bytes = 1024 * 1024;
    up.len = 1024 * 1024 + 1;
    assert_int_equal(attachment_prepare(&lower, &up, &a, &at, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_true(attachment_is_too_large(&err));
    assert_false(attachment_is_damaged(&err));
    up.len = ATTACHMENT_MAX_BYTES + 1;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), -1);
    assert_true(attachment_is_too_large(&err));
    arena_free(&a);
    free(big);
}

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void put32be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void test_pixel_limit(void **state)
{
    (void)state;
    /* A small real PNG whose header claims 20000 × 20000 (400 Mpx): a decompression bomb
     * must be refused from its header, before any decoding. */
    blob in = make_image(16, 16, "png", 0);
    assert_memory_equal(in.data + 12, "IHDR", 4);
    put32be(in.data + 16, 20000);
    put32be(in.data + 20, 20000);
    put32be(in.data + 29, crc32_png(in.data + 12, 17));
    expect_refused(in.data, in.len, ERR_INVALID_ARG, "400 Mpx PNG");
    blob_free(&in);
    /* 8000 × 6000 = 48 Mpx: under the limit, accepted and reduced. */
    blob ok = make_image(8000, 6000, "jpeg", 0);
    arena a;
    arena_init(&a, 0);
    attachment_upload up = {
        .field = "photos", .filename = "grand.jpg", .data = (char *)ok.data, .len = ok.len};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    blob out = read_stored(at.storage_name);
    int w, h;
    image_size(&out, &w, &h);
    assert_int_equal(w, 2560);
    assert_int_equal(h, 1920);
    attachment_discard(&g_dir, &at);
    blob_free(&out);
    blob_free(&ok);
    arena_free(&a);
}

/* Cut-off photos (issue 9): libvips would complete them with grey; they must be refused as
 * damaged, in every format, and a whole one of the same kind still passes. */
static void test_truncated_refused(void **state)
{
    (void)state;
    static const char *const formats[] = {"png", "jpeg", "webp"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        blob in = make_image(640, 480, formats[i], 0);
        expect_refused(in.data, in.len * 6 / 10, ERR_INVALID_ARG, formats[i]);
        arena a;
        arena_init(&a, 0);
        attachment_upload up = {.field = "photos", .data = (char *)in.data, .len = in.len * 6 / 10};
        store_attachment at;
        error err;
        error_clear(&err);
        assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), -1);
        assert_true(attachment_is_damaged(&err));
        up.len = in.len;
        assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
        attachment_discard(&g_dir, &at);
        arena_free(&a);
        blob_free(&in);
    }
    error other;
    error_set(&other, ERR_INVALID_ARG, "photos", "not a photo");
    assert_false(attachment_is_damaged(&other));
}

/* The stored name of a 16 × 16 PNG uploaded as `name`. */
static const char *name_for(arena *a, const char *name)
{
    static blob png;
    if (!png.data)
        png = make_image(16, 16, "png", 0);
    attachment_upload up = {
        .field = "photos", .filename = name, .data = (char *)png.data, .len = png.len};
    store_attachment at;
    error err;
    assert_int_equal(attachment_prepare(&g_dir, &up, a, &at, &err), 0);
    attachment_discard(&g_dir, &at);
    return at.filename;
}

static void test_filename_sanitised(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    assert_string_equal(name_for(&a, "../../etc/pass\x01wd.png"), "passwd.jpg");
    assert_string_equal(name_for(&a, "C:\\Users\\Zoé\\trottoir.png"), "trottoir.jpg");
    assert_string_equal(name_for(&a, "photo.jpeg"), "photo.jpeg");
    assert_string_equal(name_for(&a, ""), "piece-jointe.jpg");
    assert_string_equal(name_for(&a, NULL), "piece-jointe.jpg");
    assert_string_equal(name_for(&a, "dossier/"), "piece-jointe.jpg");
    assert_string_equal(name_for(&a, ".."), "piece-jointe.jpg");
    assert_string_equal(name_for(&a, "\xff\xfe.png"), "piece-jointe.jpg"); /* not UTF-8 */
    /* no header injection through the name */
    assert_string_equal(name_for(&a, "a\r\nX-Injected: 1\t.png"), "aX-Injected: 1.jpg");
    assert_string_equal(name_for(&a, "   .cache.png  "), "cache.jpg");
    assert_string_equal(name_for(&a, "d\xc2\x85"
                                     "ef.png"),
                        "def.jpg"); /* C1 control */
    char longname[400];
    memset(longname, 0, sizeof longname);
    for (int i = 0; i < 150; i++)
        memcpy(longname + 2 * i, "\xc3\xa9", 2); /* é × 150 */
    memcpy(longname + 300, ".png", 5);
    const char *l = name_for(&a, longname);
    assert_true(utf8_valid(l, strlen(l)));
    assert_int_equal(utf8_length(l, strlen(l)), 120);
    assert_string_equal(l + strlen(l) - 4, ".jpg");
    assert_int_equal(count_files(), 0);
    arena_free(&a);
}

static void test_path(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    const char *good = "0123456789abcdef0123456789abcdef.jpg";
    const char *p = attachment_path(&g_dir, &a, good);
    assert_non_null(p);
    assert_true(strncmp(p, g_uploads, strlen(g_uploads)) == 0);
    assert_string_equal(p + strlen(g_uploads), "/0123456789abcdef0123456789abcdef.jpg");
    assert_null(attachment_path(&g_dir, &a, "../../../../etc/passwd"));
    assert_null(attachment_path(&g_dir, &a, "0123456789abcdef0123456789abcdef.html"));
    assert_null(attachment_path(&g_dir, &a, "0123456789ABCDEF0123456789abcdef.jpg"));
    assert_null(attachment_path(&g_dir, &a, NULL));
    arena_free(&a);
}

typedef struct save_job {
    int64_t tenant_id, request_id;
    store_attachment *at;
    size_t n;
} save_job;

static int save_apply(store *st, void *arg, error *e)
{
    save_job *j = arg;
    return attachment_save_tx(st, j->tenant_id, j->request_id, 0, j->at, j->n, e);
}

static void test_save_tx(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/t.db", g_tmp);
    error err;
    store *s = store_open(db, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s, &err), 0);
    /* The sweep reads core's directory: the same one the files were prepared in. */
    core *c = core_open_config(s, &(core_config){.uploads_dir = g_uploads}, &err);
    assert_non_null(c);
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    int64_t tenant_id = 0;
    assert_int_equal(admin_tenant_upsert(c, &t, &tenant_id, &err), 0);
    store_procedure p = {.tenant_id = tenant_id,
                         .code = "question",
                         .name = "Question",
                         .group_name = "Vie quotidienne",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(c, &p, NULL, &err), 0);
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *ct = catalogue_tenant_by_slug(cat, "ville-test");
    request_input in = {.tenant = ct,
                        .procedure = catalogue_procedure(ct, "question"),
                        .ch = CHANNEL_WEB,
                        .description = "Une question",
                        .email = "jeanne@exemple.fr"};
    request_created created;
    assert_int_equal(request_create(c, &in, &created, NULL, NULL, &err), 0);

    arena a;
    arena_init(&a, 0);
    store_attachment at[2];
    attachment_upload up1 = {.field = "f", .filename = "a.pdf", .data = PDF, .len = sizeof PDF - 1};
    blob png = make_image(32, 16, "png", 0);
    attachment_upload up2 = {
        .field = "f", .filename = "b.png", .data = (char *)png.data, .len = png.len};
    assert_int_equal(attachment_prepare(&g_dir, &up1, &a, &at[0], &err), 0);
    assert_int_equal(attachment_prepare(&g_dir, &up2, &a, &at[1], &err), 0);

    save_job j = {tenant_id, created.id, at, 2};
    assert_int_equal(store_write_sync(s, save_apply, &j, &err), 0);
    assert_true(at[0].id > 0);
    assert_true(at[1].id > at[0].id);

    store_attachment *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->attachments.list(s, tenant_id, created.id, &a, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].filename, "a.pdf");
    assert_string_equal(list[0].content_type, "application/pdf");
    assert_string_equal(list[0].storage_name, at[0].storage_name);
    assert_null(list[0].thumb_name);
    assert_int_equal(list[1].is_photo, 1);
    assert_string_equal(list[1].thumb_name, at[1].thumb_name);
    assert_string_equal(list[1].moderation, "pending");
    assert_int_equal(list[1].request_id, created.id);
    assert_int_equal(list[1].event_id, 0);
    store_attachment got;
    int found = 0;
    assert_int_equal(s->ops->attachments.get(s, tenant_id, at[1].id, &a, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(got.size, at[1].size);
    /* another tenant's id space: not found */
    assert_int_equal(s->ops->attachments.get(s, tenant_id + 1, at[1].id, &a, &got, &found, &err), 0);
    assert_int_equal(found, 0);

    /* A photo prepared but never saved, as a crash before the commit leaves it (file and
     * thumbnail), and a file guichet did not name: the sweep removes the first two only. */
    store_attachment orphan;
    assert_int_equal(attachment_prepare(&g_dir, &up2, &a, &orphan, &err), 0);
    char foreign[256];
    snprintf(foreign, sizeof foreign, "%s/LISEZMOI.txt", g_uploads);
    FILE *f = fopen(foreign, "w");
    assert_non_null(f);
    fclose(f);
    size_t removed = 0;
    assert_int_equal(attachment_sweep(c, &removed, &err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(access(attachment_path(&g_dir, &a, orphan.storage_name), F_OK), -1);
    assert_int_equal(access(attachment_path(&g_dir, &a, orphan.thumb_name), F_OK), -1);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(access(attachment_path(&g_dir, &a, at[i].storage_name), F_OK), 0);
    assert_int_equal(access(attachment_path(&g_dir, &a, at[1].thumb_name), F_OK), 0);
    assert_int_equal(access(foreign, F_OK), 0);
    assert_int_equal(attachment_sweep(c, &removed, &err), 0);
    assert_int_equal(removed, 0);
    unlink(foreign);

    attachment_discard(&g_dir, &at[0]);
    attachment_discard(&g_dir, &at[1]);
    blob_free(&png);
    arena_free(&a);
    catalogue_release(c, cat);
    core_close(c);
    store_close(s);
}

/* Uploads arrive on several server threads at once: libmagic's handle and libvips' start
 * must stand it. Each thread prepares a photo and a PDF; results are checked afterwards
 * (cmocka's assertions belong to the main thread). */
#define N_THREADS 4
typedef struct worker {
    pthread_t th;
    const blob *jpeg;
    int rc_photo, rc_pdf, photo_ok, pdf_ok;
    store_attachment photo, pdf;
    arena a;
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;
    error err;
    for (int round = 0; round < 3; round++) {
        attachment_upload up = {.field = "photos",
                                .filename = "p.jpg",
                                .data = (char *)w->jpeg->data,
                                .len = w->jpeg->len};
        w->rc_photo |= attachment_prepare(&g_dir, &up, &w->a, &w->photo, &err);
        if (w->rc_photo == 0 && w->photo.is_photo)
            w->photo_ok++;
        attachment_discard(&g_dir, &w->photo);
        attachment_upload pdf = {
            .field = "f", .filename = "d.pdf", .data = PDF, .len = sizeof PDF - 1};
        w->rc_pdf |= attachment_prepare(&g_dir, &pdf, &w->a, &w->pdf, &err);
        if (w->rc_pdf == 0 && !w->pdf.is_photo)
            w->pdf_ok++;
        attachment_discard(&g_dir, &w->pdf);
    }
    return NULL;
}

static void test_concurrent_prepares(void **state)
{
    (void)state;
    blob jpeg = make_jpeg_with_gps(800, 600, 1);
    worker w[N_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < N_THREADS; i++) {
        arena_init(&w[i].a, 0);
        w[i].jpeg = &jpeg;
        assert_int_equal(pthread_create(&w[i].th, NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(w[i].th, NULL);
        assert_int_equal(w[i].rc_photo, 0);
        assert_int_equal(w[i].rc_pdf, 0);
        assert_int_equal(w[i].photo_ok, 3);
        assert_int_equal(w[i].pdf_ok, 3);
        arena_free(&w[i].a);
    }
    assert_int_equal(count_files(), 0);
    blob_free(&jpeg);
}

/* Entries of directory path (0 when it does not exist). */
static size_t count_in(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_upload_stash(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    error err;
    error_clear(&err);
    upload_stash st;
    assert_int_equal(upload_stash_open(&g_dir, "../../etc", &st, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    char owner[65];
    memset(owner, 'a', 64);
    owner[64] = '\0';
    assert_int_equal(upload_stash_open(&g_dir, owner, &st, &err), 0);
    upload_kept *kept;
    size_t n;
    int64_t now = (int64_t)time(NULL);
    /* nothing kept yet, and nothing created by looking */
    assert_int_equal(upload_stash_list(&st, now, &a, &kept, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(count_in(st.dir.path), 0);

    blob photo = make_jpeg_with_gps(1200, 800, 1);
    attachment_upload up1 = {"files", "premier.jpg", (const char *)photo.data, photo.len};
    attachment_upload up2 = {"files", "second.pdf", PDF, sizeof PDF - 1};
    attachment_upload bad = {"files", "page.html", "<html><body>x</body></html>", 27};
    upload_kept k1, k2, k3;
    assert_int_equal(upload_stash_add(&st, &up1, &a, &k1, &err), 0);
    assert_int_equal(upload_stash_add(&st, &up2, &a, &k2, &err), 0);
    /* refused as attachment_prepare refuses, nothing kept */
    assert_int_equal(upload_stash_add(&st, &bad, &a, &k3, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(k1.sent_bytes, (int64_t)photo.len);
    assert_true(k1.at.is_photo && k1.at.thumb_name);
    struct stat sb;
    assert_int_equal(stat(st.dir.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    assert_int_equal(upload_stash_list(&st, now, &a, &kept, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(kept[0].at.filename, "premier.jpg"); /* in the order sent */
    assert_string_equal(kept[1].at.filename, "second.pdf");
    assert_int_equal(kept[1].sent_bytes, (int64_t)(sizeof PDF - 1));
    assert_string_equal(kept[0].at.content_type, "image/jpeg");

    /* another owner sees nothing */
    upload_stash other;
    char owner2[65];
    memset(owner2, 'b', 64);
    owner2[64] = '\0';
    assert_int_equal(upload_stash_open(&g_dir, owner2, &other, &err), 0);
    assert_int_equal(upload_stash_list(&other, now, &a, &kept, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(upload_stash_remove(&other, k1.at.storage_name), 0);

    /* claimed: linked into the uploads directory, the stash left as it is */
    size_t before = count_files();
    store_attachment *claimed;
    assert_int_equal(upload_stash_claim(&st, &g_dir, now, &a, &claimed, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(count_files(), before + 3); /* photo, its thumbnail, the PDF */
    assert_string_equal(claimed[0].filename, "premier.jpg");
    assert_string_not_equal(claimed[0].storage_name, k1.at.storage_name);
    blob back = read_stored(claimed[1].storage_name);
    assert_int_equal(back.len, sizeof PDF - 1);
    blob_free(&back);
    for (size_t i = 0; i < n; i++)
        attachment_discard(&g_dir, &claimed[i]);
    assert_int_equal(count_files(), before);

    /* removed by its identifier; a name not ours removes nothing */
    assert_int_equal(upload_stash_remove(&st, "../../x.jpg"), 0);
    assert_int_equal(upload_stash_remove(&st, k1.at.storage_name), 1);
    assert_int_equal(upload_stash_list(&st, now, &a, &kept, &n, &err), 0);
    assert_int_equal(n, 1);
    /* a day later it is gone from the list, and from the disk */
    assert_int_equal(upload_stash_list(&st, now + UPLOAD_STASH_MAX_AGE_S + 2, &a, &kept, &n, &err),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(count_in(st.dir.path), 0);

    /* cleared: files and directory */
    assert_int_equal(upload_stash_add(&st, &up2, &a, &k3, &err), 0);
    upload_stash_clear(&st);
    assert_int_equal(stat(st.dir.path, &sb), -1);

    /* purged: what a day left behind, and the stash once emptied; fresh ones stay */
    assert_int_equal(upload_stash_add(&st, &up2, &a, &k3, &err), 0);
    assert_int_equal(upload_stash_add(&other, &up2, &a, &k3, &err), 0);
    struct timespec old[2] = {{.tv_sec = now - UPLOAD_STASH_MAX_AGE_S - 60},
                              {.tv_sec = now - UPLOAD_STASH_MAX_AGE_S - 60}};
    DIR *d = opendir(st.dir.path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            assert_int_equal(utimensat(dirfd(d), e->d_name, old, 0), 0);
    closedir(d);
    assert_int_equal(utimensat(AT_FDCWD, st.dir.path, old, 0), 0);
    size_t removed = 0;
    assert_int_equal(upload_stash_purge(&g_dir, now, UPLOAD_STASH_MAX_AGE_S, &removed, &err), 0);
    assert_int_equal(removed, 2); /* the PDF and its description */
    assert_int_equal(stat(st.dir.path, &sb), -1);
    assert_int_equal(upload_stash_list(&other, now, &a, &kept, &n, &err), 0);
    assert_int_equal(n, 1);
    upload_stash_clear(&other);
    blob_free(&photo);
    arena_free(&a);
}

int main(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/guichet-attach-XXXXXX");
    if (!mkdtemp(g_tmp))
        return 1;
    snprintf(g_uploads, sizeof g_uploads, "%s/deep/uploads", g_tmp);
    error err;
    if (attachment_dir_open(&g_dir, g_uploads, &err) != 0 || VIPS_INIT("test_attachment") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_dir),
        cmocka_unit_test(test_jpeg_gps_removed_and_rotated),
        cmocka_unit_test(test_png_resized_and_flattened),
        cmocka_unit_test(test_webp_accepted),
        cmocka_unit_test(test_pdf_kept_as_is),
        cmocka_unit_test(test_refused_types),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_pixel_limit),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_filename_sanitised),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_concurrent_prepares),
        cmocka_unit_test(test_save_tx),
        cmocka_unit_test(test_upload_stash),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_tmp);
    return rc;
}

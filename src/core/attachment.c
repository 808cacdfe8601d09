/*
 * attachment — checks, re-encodes and stores the files attached to requests. The type is
 * taken from the bytes (libmagic), photos are decoded and re-encoded by libvips (which is
 * what drops EXIF, GPS and every other metadata) with a thumbnail, PDFs are kept as sent
 * after a sanity check, and every file lands under a random name in the uploads directory.
 */
#include "core/attachment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <magic.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/antivirus.h"
#include "store/store.h"
#include "util/log.h"
#include "util/utf8.h"

#define PHOTO_MAX_SIDE 2560         /* long side of the stored photo, pixels */
#define THUMB_MAX_SIDE 400          /* long side of the thumbnail */
#define PHOTO_QUALITY 85            /* JPEG quality of both */
#define PHOTO_MAX_PIXELS 50000000.0 /* refused before decoding: decompression bombs */
#define FILENAME_MAX_CHARS 120
#define FILENAME_DEFAULT "piece-jointe"
#define MAGIC_SNIFF_BYTES (256 * 1024) /* libmagic decides on the first bytes of these types */
#define RANDOM_NAME_BYTES 16           /* 32 hex characters */
/* The detail of a refused photo or PDF that does not decode whole (attachment_is_damaged). */
#define DAMAGED "damaged: the file does not decode whole (cut off or corrupt)"
/* Options of libvips' loaders: a truncated or undecodable image is an error, not a picture
 * completed with grey. */
#define LOAD_OPTIONS "fail_on=truncated"
/* The details of files the antivirus refused (attachment_is_infected) or could not scan
 * (attachment_is_unscanned); what follows them is for the log. */
#define INFECTED "infected: refused by the antivirus"
#define UNSCANNED "unscanned: the antivirus could not scan the file"
/* The detail of a file over the size limit (attachment_is_too_large). */
#define TOO_LARGE "too large: over the size limit of one file"

/* ---- the uploads directory ---- */

#define FILE_PATH_MAX (ATTACHMENT_DIR_MAX + 64)

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *dir)
{
    char tmp[PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int attachment_dir_open(attachment_dir *d, const char *dir, error *err)
{
    d->path[0] = '\0';
    d->max_file_bytes = ATTACHMENT_MAX_BYTES;
    d->max_files = ATTACHMENT_MAX_FILES;
    if (!dir || !*dir)
        return error_set(err, ERR_INVALID_ARG, "uploads-dir", "empty uploads directory");
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= sizeof d->path)
        return error_set(err, ERR_INVALID_ARG, "uploads-dir", "uploads directory path too long");
    char path[PATH_MAX];
    memcpy(path, dir, len);
    path[len] = '\0';
    if (make_dirs(path) != 0)
        return error_set(err, ERR_INTERNAL, "uploads-dir", "cannot create %.150s: %s", path,
                         strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(err, ERR_INTERNAL, "uploads-dir", "%.150s is not a directory", path);
    if (access(path, W_OK | X_OK) != 0)
        return error_set(err, ERR_INTERNAL, "uploads-dir", "cannot write into %.150s", path);
    /* Files hold citizens' personal data: nobody but the server's user reads them. */
    if ((st.st_mode & 077) != 0 && chmod(path, 0700) != 0)
        log_warn("attachment: uploads directory %s is readable by others and chmod failed", path);
    memcpy(d->path, path, len + 1);
    return 0;
}

/* 1 when d names a directory (core was given one). */
static int dir_set(const attachment_dir *d)
{
    return d && d->path[0];
}

/* ---- libraries, set up once ---- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_vips_ok;
static magic_t g_magic;
/* A libmagic handle is not safe to share between threads: every use holds this lock. */
static pthread_mutex_t g_magic_lock = PTHREAD_MUTEX_INITIALIZER;

static void libs_init(void)
{
    if (sodium_init() < 0)
        log_error("attachment: sodium_init failed");
    if (VIPS_INIT("guichet") == 0) {
        /* The operation cache would keep decoded citizens' photos in memory. */
        vips_cache_set_max(0);
        g_vips_ok = 1;
    } else {
        log_error("attachment: libvips did not start: %.200s", vips_error_buffer());
        vips_error_clear();
    }
    /* No decompression inside libmagic: a compressed file is refused anyway. */
    g_magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
    if (g_magic && magic_load(g_magic, NULL) != 0) {
        log_error("attachment: libmagic database: %.200s", magic_error(g_magic));
        magic_close(g_magic);
        g_magic = NULL;
    }
    if (!g_magic)
        log_error("attachment: libmagic did not start");
}

/* The MIME type of data copied into out ("" when unknown); -1 when libmagic is missing. */
static int sniff_type(const char *data, size_t len, char *out, size_t out_size)
{
    if (!g_magic)
        return -1;
    pthread_mutex_lock(&g_magic_lock);
    const char *t = magic_buffer(g_magic, data, len < MAGIC_SNIFF_BYTES ? len : MAGIC_SNIFF_BYTES);
    snprintf(out, out_size, "%s", t ? t : "");
    pthread_mutex_unlock(&g_magic_lock);
    return 0;
}

/* ---- file names ---- */

/* The client's name made harmless for a Content-Disposition: basename, no control
 * characters nor slashes, valid UTF-8, at most FILENAME_MAX_CHARS, with the extension of
 * what is stored (photos become JPEG). */
static const char *clean_filename(arena *a, const char *name, int is_photo)
{
    const char *ext = is_photo ? ".jpg" : ".pdf";
    if (!name)
        name = "";
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = strlen(base);
    if (!utf8_valid(base, n))
        n = 0;
    char tmp[FILENAME_MAX_CHARS * 4 + 8];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof tmp;) {
        unsigned char c = (unsigned char)base[i];
        if (c < 0x20 || c == 0x7f) {
            i++;
            continue;
        }
        /* C1 controls (U+0080–U+009F) are encoded C2 80–C2 9F. */
        if (c == 0xc2 && i + 1 < n && (unsigned char)base[i + 1] < 0xa0) {
            i += 2;
            continue;
        }
        tmp[o++] = base[i++];
    }
    tmp[o] = '\0';
    /* Cutting bytes above may leave half a character at the end: drop it. */
    while (o > 0 && !utf8_valid(tmp, o))
        tmp[--o] = '\0';
    size_t start = 0;
    while (tmp[start] == ' ' || tmp[start] == '.')
        start++;
    while (o > start && (tmp[o - 1] == ' ' || tmp[o - 1] == '.'))
        tmp[--o] = '\0';
    const char *s = tmp + start;
    size_t len = o - start;
    if (len == 0) {
        s = FILENAME_DEFAULT;
        len = strlen(s);
    }
    /* Drop the client's extension when it is not the stored type's, then add the right one. */
    const char *dot = memrchr(s, '.', len);
    if (dot && dot != s) {
        size_t el = len - (size_t)(dot - s);
        int keep = is_photo ? (el == 4 && strncasecmp(dot, ".jpg", 4) == 0) ||
                                  (el == 5 && strncasecmp(dot, ".jpeg", 5) == 0)
                            : el == 4 && strncasecmp(dot, ".pdf", 4) == 0;
        if (keep)
            ext = "";
        else if (el <= 6)
            len = (size_t)(dot - s);
    }
    size_t ext_len = strlen(ext);
    size_t stem = utf8_prefix_bytes(s, len, FILENAME_MAX_CHARS - utf8_length(ext, ext_len));
    return arena_printf(a, "%.*s%s", (int)stem, s, ext);
}

static void random_name(char out[RANDOM_NAME_BYTES * 2 + 1])
{
    unsigned char raw[RANDOM_NAME_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, RANDOM_NAME_BYTES * 2 + 1, raw, sizeof raw);
}

/* 1 when name is one of ours: 32 lowercase hex characters and .jpg, .pdf or .png (a post
 * room scan's preview). Names come from the database, but a path must never be built from
 * anything else. */
static int valid_storage_name(const char *name)
{
    if (!name || strlen(name) != RANDOM_NAME_BYTES * 2 + 4)
        return 0;
    for (size_t i = 0; i < RANDOM_NAME_BYTES * 2; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    const char *ext = name + RANDOM_NAME_BYTES * 2;
    return strcmp(ext, ".jpg") == 0 || strcmp(ext, ".pdf") == 0 || strcmp(ext, ".png") == 0;
}

const char *attachment_path(const attachment_dir *d, arena *a, const char *storage_name)
{
    if (!dir_set(d) || !valid_storage_name(storage_name))
        return NULL;
    return arena_printf(a, "%s/%s", d->path, storage_name);
}

/* Writes data durably to a new file under a fresh random name with extension ext; the name
 * goes to name_out. The file and its directory entry are synced: the row that points to it
 * is committed later, and a 2xx promises both survive a crash. */
static int write_new_file(const attachment_dir *d, const char *ext, const void *data, size_t len,
                          char name_out[RANDOM_NAME_BYTES * 2 + 5], error *err)
{
    char path[FILE_PATH_MAX];
    int fd = -1;
    for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
        char hex[RANDOM_NAME_BYTES * 2 + 1];
        random_name(hex);
        snprintf(name_out, RANDOM_NAME_BYTES * 2 + 5, "%s%s", hex, ext);
        snprintf(path, sizeof path, "%s/%s", d->path, name_out);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return error_set(err, ERR_UNAVAILABLE, NULL, "cannot create an attachment file: %s",
                         strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(path);
    name_out[0] = '\0';
    /* A full disk is an outage, not the citizen's fault: 503, retry later. */
    return error_set(err, ERR_UNAVAILABLE, NULL, "cannot write an attachment file: %s",
                     strerror(saved));
}

static int sync_dir(const attachment_dir *d, error *err)
{
    int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return error_set(err, ERR_UNAVAILABLE, NULL, "cannot sync the uploads directory: %s",
                         strerror(saved));
    }
    close(fd);
    return 0;
}

static void remove_stored(const attachment_dir *d, const char *name);

int attachment_store_bytes(const attachment_dir *d, const char *ext, const void *data, size_t len,
                           arena *a, const char **name, error *err)
{
    *name = NULL;
    char stored[RANDOM_NAME_BYTES * 2 + 5];
    if (!dir_set(d))
        return error_set(err, ERR_UNAVAILABLE, NULL, "no uploads directory");
    if (!ext || (strcmp(ext, ".png") != 0 && strcmp(ext, ".pdf") != 0))
        return error_set(err, ERR_INVALID_ARG, "ext",
                         "only previews (.png) and cut letters (.pdf) are stored so");
    if (write_new_file(d, ext, data, len, stored, err) != 0)
        return -1;
    int rc = sync_dir(d, err);
    if (rc == 0 && !(*name = arena_strdup(a, stored)))
        rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (rc != 0)
        remove_stored(d, stored);
    return rc;
}

static void remove_stored(const attachment_dir *d, const char *name)
{
    char path[FILE_PATH_MAX];
    if (!name || !valid_storage_name(name) || !dir_set(d))
        return;
    snprintf(path, sizeof path, "%s/%s", d->path, name);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("attachment: cannot remove %s: %s", name, strerror(errno));
}

/* A second name in directory d for file `name` of directory src (a hard link, the same
 * ext), into name_out. The bytes are not copied: the file lives until its last name is
 * removed, so either request may lose its copy (anonymisation, deletion) without the
 * other. */
static int link_new_name(const attachment_dir *src, const attachment_dir *d, const char *name,
                         char name_out[RANDOM_NAME_BYTES * 2 + 5], error *err)
{
    char from[FILE_PATH_MAX], to[FILE_PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", src->path, name);
    const char *ext = name + RANDOM_NAME_BYTES * 2;
    for (int attempt = 0; attempt < 4; attempt++) {
        char hex[RANDOM_NAME_BYTES * 2 + 1];
        random_name(hex);
        snprintf(name_out, RANDOM_NAME_BYTES * 2 + 5, "%s%s", hex, ext);
        snprintf(to, sizeof to, "%s/%s", d->path, name_out);
        if (link(from, to) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    int saved = errno;
    name_out[0] = '\0';
    return error_set(err, ERR_UNAVAILABLE, NULL, "cannot link an attachment file: %s",
                     strerror(saved));
}

int attachment_link(const attachment_dir *d, const store_attachment *src, arena *a,
                    store_attachment *out, error *err)
{
    return attachment_link_into(d, d, src, a, out, err);
}

int attachment_link_into(const attachment_dir *from, const attachment_dir *d,
                         const store_attachment *src, arena *a, store_attachment *out, error *err)
{
    if (!dir_set(from) || !dir_set(d) || !valid_storage_name(src->storage_name) ||
        (src->thumb_name && !valid_storage_name(src->thumb_name)))
        return error_set(err, ERR_INTERNAL, NULL, "attachment without a stored file");
    char main_name[RANDOM_NAME_BYTES * 2 + 5] = "", thumb_name[RANDOM_NAME_BYTES * 2 + 5] = "";
    if (link_new_name(from, d, src->storage_name, main_name, err) != 0)
        return -1;
    if ((src->thumb_name && link_new_name(from, d, src->thumb_name, thumb_name, err) != 0) ||
        sync_dir(d, err) != 0)
        goto fail;
    *out = *src;
    out->id = 0;
    out->storage_name = arena_strdup(a, main_name);
    out->thumb_name = thumb_name[0] ? arena_strdup(a, thumb_name) : NULL;
    if (!out->storage_name || (thumb_name[0] && !out->thumb_name)) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    return 0;
fail:
    remove_stored(d, main_name);
    if (thumb_name[0])
        remove_stored(d, thumb_name);
    return -1;
}

/* ---- photos ---- */

/* Logs libvips' error text (about the image, never its content) and clears it. */
static void vips_log_error(const char *what)
{
    log_warn("attachment: %s: %.200s", what, vips_error_buffer());
    vips_error_clear();
}

/* One re-encoding: decode the whole image (shrinking on load where the format allows it;
 * a truncated one fails, LOAD_OPTIONS), rotate upright by the EXIF orientation, fit in
 * max_side × max_side, convert to 8-bit sRGB over white, save as JPEG without any metadata.
 * Decoding is lazy: a cut-off file fails while saving. *jpeg is freed with g_free. */
static int encode_jpeg(const char *data, size_t len, int max_side, void **jpeg, size_t *jpeg_len)
{
    VipsImage *thumb = NULL, *srgb = NULL, *flat = NULL;
    int rc = -1;
    /* vips_thumbnail_buffer applies the orientation tag itself (no_rotate is FALSE). */
    if (vips_thumbnail_buffer((void *)data, len, &thumb, max_side, "height", max_side, "size",
                              VIPS_SIZE_DOWN, "option_string", LOAD_OPTIONS, NULL) != 0)
        goto cleanup;
    if (vips_colourspace(thumb, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0)
        goto cleanup;
    VipsImage *src = srgb;
    if (vips_image_hasalpha(srgb)) {
        VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
        int frc = vips_flatten(srgb, &flat, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (frc != 0)
            goto cleanup;
        src = flat;
    }
    if (vips_jpegsave_buffer(src, jpeg, jpeg_len, "Q", PHOTO_QUALITY, "strip", TRUE,
                             "optimize_coding", TRUE, NULL) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (flat)
        g_object_unref(flat);
    if (srgb)
        g_object_unref(srgb);
    if (thumb)
        g_object_unref(thumb);
    return rc;
}

/* The loader libvips picks for these bytes must be the one for the type libmagic saw: no
 * other decoder (ImageMagick, SVG, PDF…) ever runs on a citizen's file. */
static const char *expected_loader(const char *type)
{
    if (strcmp(type, "image/jpeg") == 0)
        return "jpegload";
    if (strcmp(type, "image/png") == 0)
        return "pngload";
    return "webpload";
}

static int prepare_photo(const attachment_dir *d, const attachment_upload *up, const char *type,
                         arena *a, store_attachment *out, error *err)
{
    VipsImage *head = NULL;
    void *main_jpeg = NULL, *thumb_jpeg = NULL;
    size_t main_len = 0, thumb_len = 0;
    char main_name[RANDOM_NAME_BYTES * 2 + 5] = "", thumb_name[RANDOM_NAME_BYTES * 2 + 5] = "";
    int rc = -1;

    /* Only the header is read here: the size is checked before any pixel is decoded. */
    head =
        vips_image_new_from_buffer(up->data, up->len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!head) {
        vips_log_error("image header");
        error_set(err, ERR_INVALID_ARG, up->field, DAMAGED);
        goto cleanup;
    }
    const char *loader = NULL;
    if (vips_image_get_string(head, VIPS_META_LOADER, &loader) != 0 || !loader ||
        strncmp(loader, expected_loader(type), strlen(expected_loader(type))) != 0) {
        vips_error_clear();
        error_set(err, ERR_INVALID_ARG, up->field, DAMAGED);
        goto cleanup;
    }
    double pixels = (double)vips_image_get_width(head) * (double)vips_image_get_height(head);
    if (pixels > PHOTO_MAX_PIXELS) {
        error_set(err, ERR_INVALID_ARG, up->field,
                  "La photo est trop grande (plus de 50 millions de pixels) : "
                  "envoyez-la en taille réduite.");
        goto cleanup;
    }
    if (encode_jpeg(up->data, up->len, PHOTO_MAX_SIDE, &main_jpeg, &main_len) != 0) {
        vips_log_error("photo re-encoding");
        error_set(err, ERR_INVALID_ARG, up->field, DAMAGED);
        goto cleanup;
    }
    /* The thumbnail comes from the cleaned JPEG: small, upright, already without metadata. */
    if (encode_jpeg(main_jpeg, main_len, THUMB_MAX_SIDE, &thumb_jpeg, &thumb_len) != 0) {
        vips_log_error("thumbnail");
        error_set(err, ERR_INTERNAL, NULL, "thumbnail of a re-encoded photo failed");
        goto cleanup;
    }
    if (write_new_file(d, ".jpg", main_jpeg, main_len, main_name, err) != 0)
        goto cleanup;
    if (write_new_file(d, ".jpg", thumb_jpeg, thumb_len, thumb_name, err) != 0)
        goto cleanup;
    if (sync_dir(d, err) != 0)
        goto cleanup;
    out->content_type = "image/jpeg";
    out->size = (int64_t)main_len;
    out->storage_name = arena_strdup(a, main_name);
    out->thumb_name = arena_strdup(a, thumb_name);
    out->is_photo = 1;
    if (!out->storage_name || !out->thumb_name) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (rc != 0) {
        if (main_name[0])
            remove_stored(d, main_name);
        if (thumb_name[0])
            remove_stored(d, thumb_name);
    }
    g_free(thumb_jpeg);
    g_free(main_jpeg);
    if (head)
        g_object_unref(head);
    return rc;
}

/* ---- PDF ---- */

static int prepare_pdf(const attachment_dir *d, const attachment_upload *up, arena *a,
                       store_attachment *out, error *err)
{
    /* A PDF ends with %%EOF, possibly followed by a few line ends or padding. */
    size_t tail = up->len < 1024 ? up->len : 1024;
    if (up->len < 5 || memcmp(up->data, "%PDF-", 5) != 0 ||
        !memmem(up->data + up->len - tail, tail, "%%EOF", 5))
        return error_set(err, ERR_INVALID_ARG, up->field, DAMAGED);
    char name[RANDOM_NAME_BYTES * 2 + 5];
    if (write_new_file(d, ".pdf", up->data, up->len, name, err) != 0)
        return -1;
    if (sync_dir(d, err) != 0) {
        remove_stored(d, name);
        return -1;
    }
    out->content_type = "application/pdf";
    out->size = (int64_t)up->len;
    out->storage_name = arena_strdup(a, name);
    out->thumb_name = NULL;
    out->is_photo = 0;
    if (!out->storage_name) {
        remove_stored(d, name);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* ---- antivirus ---- */

/* Has the configured antivirus scan the file as it was sent: 0 when clean (or no antivirus);
 * -1 when infected (ERR_INVALID_ARG) or not scanned (ERR_UNAVAILABLE: fail closed). Logged
 * with the signature or the cause, never the file's name, which may hold personal data. */
static int scan(const attachment_upload *up, error *err)
{
    if (!antivirus_enabled())
        return 0;
    antivirus_verdict verdict;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error aerr;
    error_clear(&aerr);
    if (antivirus_scan(up->data, up->len, &verdict, sig, sizeof sig, &aerr) != 0) {
        log_error("attachment: upload refused unscanned; every upload is refused until the "
                  "antivirus answers: %s",
                  aerr.detail);
        return error_set(err, ERR_UNAVAILABLE, up->field, UNSCANNED " (%.180s)", aerr.detail);
    }
    if (verdict == ANTIVIRUS_INFECTED) {
        log_warn("attachment: upload refused by the antivirus: signature %s (%zu bytes)", sig,
                 up->len);
        return error_set(err, ERR_INVALID_ARG, up->field, INFECTED " (%s)", sig);
    }
    return 0;
}

/* ---- public ---- */

int attachment_sniff(const void *data, size_t len, char *type, size_t size)
{
    pthread_once(&g_once, libs_init);
    if (!g_vips_ok)
        return -1;
    return sniff_type(data, len, type, size);
}

int attachment_scan(const void *data, size_t len, const char *field, error *err)
{
    attachment_upload up = {field, NULL, data, len};
    return scan(&up, err);
}

int attachment_prepare(const attachment_dir *d, const attachment_upload *up, arena *a,
                       store_attachment *out, error *err)
{
    memset(out, 0, sizeof *out);
    const char *field = up->field ? up->field : "file";
    attachment_upload u = *up;
    u.field = field;
    if (!dir_set(d))
        return error_set(err, ERR_INTERNAL, NULL, "uploads directory not set");
    size_t max = d->max_file_bytes ? d->max_file_bytes : ATTACHMENT_MAX_BYTES;
    if (u.len > max)
        return error_set(err, ERR_INVALID_ARG, field, TOO_LARGE " (%zu bytes, at most %zu)", u.len,
                         max);
    if (!u.data || u.len == 0)
        return error_set(err, ERR_INVALID_ARG, field, "Le fichier est vide.");
    /* Before libmagic and libvips read a byte of it (their bugs are an attack surface too),
     * and before re-encoding would change the bytes the signatures describe. */
    if (scan(&u, err) != 0)
        return -1;
    pthread_once(&g_once, libs_init);

    char type[128];
    if (sniff_type(u.data, u.len, type, sizeof type) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "libmagic unavailable");
    int is_photo = strcmp(type, "image/jpeg") == 0 || strcmp(type, "image/png") == 0 ||
                   strcmp(type, "image/webp") == 0;
    int is_pdf = strcmp(type, "application/pdf") == 0;
    if (strcmp(type, "image/heic") == 0 || strcmp(type, "image/heif") == 0)
        return error_set(err, ERR_INVALID_ARG, field,
                         "Les photos HEIC ne sont pas acceptées : envoyez-la en JPEG "
                         "(réglage « le plus compatible » de l'appareil).");
    if (!is_photo && !is_pdf)
        return error_set(err, ERR_INVALID_ARG, field,
                         "Le fichier n'est ni une photo (JPEG, PNG, WebP) ni un PDF.");
    if (is_photo && !g_vips_ok)
        return error_set(err, ERR_INTERNAL, NULL, "libvips unavailable");

    int rc = is_photo ? prepare_photo(d, &u, type, a, out, err) : prepare_pdf(d, &u, a, out, err);
    if (rc != 0)
        return -1;
    out->filename = clean_filename(a, u.filename, is_photo);
    out->moderation = "pending";
    out->created_at = (int64_t)time(NULL);
    if (!out->filename) {
        attachment_discard(d, out);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int attachment_sweep(core *c, size_t *removed, error *err)
{
    if (removed)
        *removed = 0;
    const attachment_dir *up = core_uploads(c);
    if (!dir_set(up))
        return error_set(err, ERR_INTERNAL, NULL, "uploads directory not set");
    DIR *d = opendir(up->path);
    if (!d)
        return error_set(err, ERR_INTERNAL, "uploads-dir", "cannot read %.150s: %s", up->path,
                         strerror(errno));
    store *s = core_store(c);
    size_t n_removed = 0, foreign = 0;
    int rc = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (strcmp(name, ATTACHMENT_STASH_DIR) == 0)
            continue; /* forms not sent yet: upload_stash_purge's */
        if (strncmp(name, ATTACHMENT_PARTIAL_PREFIX, strlen(ATTACHMENT_PARTIAL_PREFIX)) == 0) {
            if (unlinkat(dirfd(d), name, 0) == 0) {
                log_info("attachment: removed partial upload %s (left by a crash)", name);
                n_removed++;
            }
            continue;
        }
        if (!valid_storage_name(name)) {
            foreign++;
            continue;
        }
        int known = 1;
        if (s->ops->attachments.file_known(s, name, &known, err) != 0) {
            rc = -1;
            break;
        }
        if (known)
            continue;
        if (unlinkat(dirfd(d), name, 0) == 0) {
            log_info("attachment: removed orphan file %s (no attachment refers to it)", name);
            n_removed++;
        } else if (errno != ENOENT) {
            log_warn("attachment: cannot remove orphan file %s: %s", name, strerror(errno));
        }
    }
    closedir(d);
    if (foreign)
        log_warn("attachment: %zu entr%s of the uploads directory not named by guichet, left "
                 "alone",
                 foreign, foreign > 1 ? "ies" : "y");
    if (removed)
        *removed = n_removed;
    return rc;
}

int attachment_is_too_large(const error *err)
{
    return err && err->code == ERR_INVALID_ARG &&
           strncmp(err->detail, TOO_LARGE, sizeof TOO_LARGE - 1) == 0;
}

int attachment_is_damaged(const error *err)
{
    return err && err->code == ERR_INVALID_ARG && strcmp(err->detail, DAMAGED) == 0;
}

int attachment_is_infected(const error *err)
{
    return err && err->code == ERR_INVALID_ARG &&
           strncmp(err->detail, INFECTED, sizeof INFECTED - 1) == 0;
}

int attachment_is_unscanned(const error *err)
{
    return err && err->code == ERR_UNAVAILABLE &&
           strncmp(err->detail, UNSCANNED, sizeof UNSCANNED - 1) == 0;
}

void attachment_discard(const attachment_dir *d, const store_attachment *at)
{
    if (!at)
        return;
    remove_stored(d, at->storage_name);
    remove_stored(d, at->thumb_name);
}

int attachment_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_attachment *out,
                   int *found, error *err)
{
    store *s = core_store(c);
    return s->ops->attachments.get(s, tenant_id, id, a, out, found, err);
}

int attachment_list(core *c, int64_t tenant_id, int64_t request_id, arena *a,
                    store_attachment **out, size_t *n, error *err)
{
    store *s = core_store(c);
    return s->ops->attachments.list(s, tenant_id, request_id, a, out, n, err);
}

int attachment_is_public_photo(const store_attachment *at)
{
    return at->is_photo && at->moderation && strcmp(at->moderation, "approved") == 0;
}

int attachment_save_tx(store *s, int64_t tenant_id, int64_t request_id, int64_t event_id,
                       store_attachment *at, size_t n, error *err)
{
    for (size_t i = 0; i < n; i++) {
        at[i].tenant_id = tenant_id;
        at[i].request_id = request_id;
        at[i].event_id = event_id;
        if (!at[i].moderation)
            at[i].moderation = "pending";
        if (at[i].created_at == 0)
            at[i].created_at = (int64_t)time(NULL);
        int64_t id = 0;
        if (s->ops->attachments.tx_insert(s, &at[i], &id, err) != 0)
            return -1;
        at[i].id = id;
    }
    return 0;
}

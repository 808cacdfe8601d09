/*
 * upload_stash — files kept between the steps of a form (see upload_stash.h). Each kept file
 * is what attachment_prepare wrote into the stash's directory, and beside it
 * "<storage name>.json" describes it (the visitor's file name, type, size, thumbnail, when it
 * was kept); a file without its description is never listed, and purged with the others.
 */
#include "core/upload_stash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define SIDECAR_EXT ".json"
#define SIDECAR_MAX_BYTES 4096
/* Kept files listed at most: more than any form takes (add refuses nothing by count: the
 * entrance decides how many a form may keep). */
#define LIST_MAX 64

static int owner_ok(const char *owner)
{
    if (!owner || strlen(owner) != UPLOAD_STASH_OWNER_LEN)
        return 0;
    for (const char *c = owner; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

/* "<uploads>/stash" into out; -1 when it does not fit. */
static int stash_root(const attachment_dir *uploads, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/" ATTACHMENT_STASH_DIR, uploads->path);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int upload_stash_open(const attachment_dir *uploads, const char *owner, upload_stash *out,
                      error *err)
{
    memset(out, 0, sizeof *out);
    if (!uploads || !uploads->path[0])
        return error_set(err, ERR_INTERNAL, NULL, "uploads directory not set");
    if (!owner_ok(owner))
        return error_set(err, ERR_INVALID_ARG, "owner", "not a stash owner");
    int n = snprintf(out->dir.path, sizeof out->dir.path, "%s/" ATTACHMENT_STASH_DIR "/%s",
                     uploads->path, owner);
    if (n < 0 || (size_t)n >= sizeof out->dir.path) {
        out->dir.path[0] = '\0';
        return error_set(err, ERR_INTERNAL, NULL, "uploads directory path too long");
    }
    out->dir.max_file_bytes = uploads->max_file_bytes;
    out->dir.max_files = uploads->max_files;
    return 0;
}

/* The stash's directory and its parent, mode 0700 (files of citizens). */
static int make_stash_dir(const upload_stash *st, error *err)
{
    char parent[sizeof st->dir.path];
    snprintf(parent, sizeof parent, "%s", st->dir.path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    if ((mkdir(parent, 0700) != 0 && errno != EEXIST) ||
        (mkdir(st->dir.path, 0700) != 0 && errno != EEXIST))
        return error_set(err, ERR_UNAVAILABLE, NULL, "cannot create a stash directory: %s",
                         strerror(errno));
    return 0;
}

static const char *sidecar_path(const upload_stash *st, arena *a, const char *storage_name)
{
    return arena_printf(a, "%s/%s" SIDECAR_EXT, st->dir.path, storage_name);
}

/* Writes the description of kept file at: a temporary name renamed over the final one, so
 * that a description is whole or absent. */
static int write_sidecar(const upload_stash *st, const upload_kept *k, arena *a, error *err)
{
    const store_attachment *at = &k->at;
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:b, s:I, s:I}", "filename", at->filename, "content_type",
                  at->content_type, "size", (json_int_t)at->size, "photo", at->is_photo, "sent",
                  (json_int_t)k->sent_bytes, "at_us", (json_int_t)k->kept_us);
    if (o && at->thumb_name)
        json_object_set_new(o, "thumb", json_string(at->thumb_name));
    if (o && k->field)
        json_object_set_new(o, "field", json_string(k->field));
    const char *path = sidecar_path(st, a, at->storage_name);
    const char *tmp = path ? arena_printf(a, "%s.tmp", path) : NULL;
    int rc = -1;
    if (o && tmp && json_dump_file(o, tmp, JSON_COMPACT) == 0) {
        rc = rename(tmp, path);
        if (rc != 0)
            unlink(tmp);
    }
    json_decref(o);
    return rc == 0 ? 0
                   : error_set(err, ERR_UNAVAILABLE, NULL, "cannot describe a kept file: %s",
                               strerror(errno));
}

int upload_stash_add(const upload_stash *st, const attachment_upload *up, arena *a,
                     upload_kept *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (make_stash_dir(st, err) != 0)
        return -1;
    if (attachment_prepare(&st->dir, up, a, &out->at, err) != 0)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out->kept_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    out->at.created_at = (int64_t)ts.tv_sec;
    out->sent_bytes = (int64_t)up->len;
    out->field = arena_strdup(a, up->field ? up->field : "");
    if (!out->field) {
        attachment_discard(&st->dir, &out->at);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    if (write_sidecar(st, out, a, err) != 0) {
        attachment_discard(&st->dir, &out->at);
        return -1;
    }
    return 0;
}

/* Reads the description of kept file `storage_name` into *out (strings in a): 0, or -1
 * when it is missing, unreadable or names files that are not ours. */
static int read_sidecar(const upload_stash *st, const char *storage_name, arena *a, upload_kept *k)
{
    memset(k, 0, sizeof *k);
    store_attachment *out = &k->at;
    if (!attachment_path(&st->dir, a, storage_name))
        return -1; /* not a storage name: never a path */
    const char *path = sidecar_path(st, a, storage_name);
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > SIDECAR_MAX_BYTES)
        return -1;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    const char *filename = json_string_value(json_object_get(o, "filename"));
    const char *type = json_string_value(json_object_get(o, "content_type"));
    const char *thumb = json_string_value(json_object_get(o, "thumb"));
    const char *field = json_string_value(json_object_get(o, "field"));
    json_t *size = json_object_get(o, "size"), *at = json_object_get(o, "at_us");
    json_t *sent = json_object_get(o, "sent");
    int ok = filename && type && json_is_integer(size) && json_is_integer(at) &&
             json_is_integer(sent) && (!thumb || attachment_path(&st->dir, a, thumb));
    if (ok) {
        out->filename = arena_strdup(a, filename);
        out->content_type = arena_strdup(a, type);
        out->size = json_integer_value(size);
        out->storage_name = arena_strdup(a, storage_name);
        out->thumb_name = thumb ? arena_strdup(a, thumb) : NULL;
        out->is_photo = json_is_true(json_object_get(o, "photo"));
        out->moderation = "pending";
        k->kept_us = json_integer_value(at);
        k->sent_bytes = json_integer_value(sent);
        k->field = arena_strdup(a, field ? field : "");
        out->created_at = k->kept_us / 1000000;
        ok = out->filename && out->content_type && out->storage_name &&
             (!thumb || out->thumb_name) && k->field;
    }
    json_decref(o);
    return ok ? 0 : -1;
}

/* Removes kept file at: its bytes, its thumbnail and its description. */
static void remove_kept(const upload_stash *st, const store_attachment *at, arena *a)
{
    attachment_discard(&st->dir, at);
    const char *path = sidecar_path(st, a, at->storage_name);
    if (path && unlink(path) != 0 && errno != ENOENT)
        log_warn("upload_stash: cannot remove a description: %s", strerror(errno));
}

static int oldest_first(const void *x, const void *y)
{
    const upload_kept *a = x, *b = y;
    if (a->kept_us != b->kept_us)
        return a->kept_us < b->kept_us ? -1 : 1;
    return strcmp(a->at.storage_name, b->at.storage_name);
}

int upload_stash_list(const upload_stash *st, int64_t now, arena *a, upload_kept **out, size_t *n,
                      error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(st->dir.path);
    if (!d) {
        if (errno == ENOENT)
            return 0; /* nothing kept yet */
        return error_set(err, ERR_UNAVAILABLE, NULL, "cannot read a stash: %s", strerror(errno));
    }
    upload_kept *list = arena_alloc(a, LIST_MAX * sizeof *list);
    if (!list) {
        closedir(d);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    size_t count = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL && count < LIST_MAX) {
        size_t len = strlen(e->d_name);
        size_t ext = strlen(SIDECAR_EXT);
        if (len <= ext || strcmp(e->d_name + len - ext, SIDECAR_EXT) != 0)
            continue;
        char *name = arena_strndup(a, e->d_name, len - ext);
        upload_kept k;
        if (!name || read_sidecar(st, name, a, &k) != 0)
            continue;
        if (k.at.created_at + UPLOAD_STASH_MAX_AGE_S < now) {
            remove_kept(st, &k.at, a); /* its day is over */
            continue;
        }
        list[count++] = k;
    }
    closedir(d);
    qsort(list, count, sizeof *list, oldest_first);
    *out = list;
    *n = count;
    return 0;
}

int upload_stash_remove(const upload_stash *st, const char *id)
{
    arena a;
    arena_init(&a, 64 * 1024);
    upload_kept k;
    int found = read_sidecar(st, id, &a, &k) == 0;
    if (found)
        remove_kept(st, &k.at, &a);
    arena_free(&a);
    return found;
}

int upload_stash_claim(const upload_stash *st, const attachment_dir *uploads, int64_t now, arena *a,
                       store_attachment **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    upload_kept *kept;
    size_t n_kept;
    if (upload_stash_list(st, now, a, &kept, &n_kept, err) != 0)
        return -1;
    size_t max = st->dir.max_files ? st->dir.max_files : ATTACHMENT_MAX_FILES;
    if (n_kept > max)
        n_kept = max;
    if (n_kept == 0)
        return 0;
    store_attachment *linked = arena_alloc(a, n_kept * sizeof *linked);
    if (!linked)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < n_kept; i++) {
        if (attachment_link_into(&st->dir, uploads, &kept[i].at, a, &linked[i], err) != 0) {
            for (size_t j = 0; j < i; j++)
                attachment_discard(uploads, &linked[j]);
            return -1;
        }
        linked[i].created_at = now; /* attached now, with the request */
    }
    *out = linked;
    *n = n_kept;
    return 0;
}

/* Removes every entry of directory fd older than `before` (all when before is 0) and
 * counts them into *removed. */
static void remove_entries(int fd, int64_t before, size_t *removed)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return;
    }
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat sb;
        if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(sb.st_mode))
            continue;
        if (before && (int64_t)sb.st_mtime >= before)
            continue;
        if (unlinkat(fd, e->d_name, 0) == 0)
            (*removed)++;
    }
    closedir(d);
}

void upload_stash_clear(const upload_stash *st)
{
    int fd = open(st->dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    size_t removed = 0;
    remove_entries(fd, 0, &removed);
    close(fd);
    if (rmdir(st->dir.path) != 0 && errno != ENOENT && errno != ENOTEMPTY)
        log_warn("upload_stash: cannot remove a stash: %s", strerror(errno));
}

int upload_stash_purge(const attachment_dir *uploads, int64_t now, int64_t max_age_s,
                       size_t *removed, error *err)
{
    size_t count = 0;
    if (removed)
        *removed = 0;
    char root[sizeof uploads->path + 16];
    if (!uploads->path[0] || stash_root(uploads, root, sizeof root) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "uploads directory not set");
    DIR *d = opendir(root);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return error_set(err, ERR_UNAVAILABLE, "uploads-dir", "cannot read %.150s: %s", root,
                         strerror(errno));
    }
    int64_t before = now - max_age_s;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!owner_ok(e->d_name))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        /* Adding or removing a file touches the directory: untouched for the whole age, it
         * holds nothing newer, and may go once emptied. A fresher one may be in use. */
        struct stat sb;
        int stale = fstat(fd, &sb) == 0 && (int64_t)sb.st_mtime < before;
        remove_entries(fd, before, &count);
        close(fd);
        if (stale && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0 && errno != ENOTEMPTY)
            log_warn("upload_stash: cannot remove a stash: %s", strerror(errno));
    }
    closedir(d);
    if (removed)
        *removed = count;
    return 0;
}

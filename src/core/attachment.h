/*
 * attachment — files citizens and agents attach to requests. The type comes from the content
 * (libmagic), never from the name or the client; only images (JPEG, PNG, WebP, HEIC is
 * refused) and PDF are accepted. Photos are decoded and re-encoded with libvips, which drops
 * EXIF and GPS data, and get a thumbnail. Files are stored outside any web root under random
 * names and served only as attachments, after an access check. When an antivirus is
 * configured (antivirus.h), every file is scanned as sent, before anything else reads it,
 * and refused when infected or when it could not be scanned.
 */
#ifndef GUICHET_CORE_ATTACHMENT_H
#define GUICHET_CORE_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

/* The defaults of the limits every entrance announces and core enforces (attachment_dir,
 * core_set_upload_limits): --max-upload and --max-files. */
#define ATTACHMENT_MAX_BYTES (10 * 1024 * 1024) /* one file */
#define ATTACHMENT_MAX_FILES 5                  /* per submission */
/* The subdirectory of the uploads directory where the files of forms not sent yet wait
 * (core/upload_stash.h): not attachments yet, so attachment_sweep leaves it alone. */
#define ATTACHMENT_STASH_DIR "stash"
/* File parts of a form being received are streamed by the HTTP server into unlinked files
 * of the uploads directory named with this prefix; only a crash between a file's creation
 * and its unlinking leaves one behind, for attachment_sweep. */
#define ATTACHMENT_PARTIAL_PREFIX ".upload-"

/* Room is left for "/<32 hex>.jpg" after the directory in PATH_MAX. */
#define ATTACHMENT_DIR_MAX 4000

/* The uploads directory: where prepared files are written, read and removed. A value core
 * makes at open from core_config.uploads_dir and gives to whoever handles files
 * (core_uploads), so that no module keeps it in a global; the attachment module's own unit
 * tests, which run without core, open one themselves. */
typedef struct attachment_dir {
    char path[ATTACHMENT_DIR_MAX]; /* "" when none was given */
    size_t max_file_bytes;         /* one file at most (attachment_prepare refuses more) */
    size_t max_files;              /* files of one submission at most */
} attachment_dir;

/* Opens *d on `dir` (created when absent, mode 0700), with the default limits
 * (ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_FILES); -1 (and d->path empty) when it cannot be
 * created or written. */
int attachment_dir_open(attachment_dir *d, const char *dir, error *err);
/* Sets the limits of core's uploads directory (0 leaves one as it is): the server's
 * --max-upload and --max-files, so that what the HTTP server streams, what the forms
 * announce and what attachment_prepare accepts are the same numbers. Call before serving. */
void core_set_upload_limits(core *c, size_t max_file_bytes, size_t max_files);
/* Core's uploads directory (path "" when core was opened without one). Valid while c is
 * open. The server streams file parts there too (same file system). */
const attachment_dir *core_uploads(const core *c);

/* A file received with a form, before it is checked. */
typedef struct attachment_upload {
    const char *field;    /* form field name */
    const char *filename; /* as the client named it (untrusted) */
    const char *data;
    size_t len;
} attachment_upload;

/* Checks and prepares a file for directory d: size, antivirus scan (when configured), type from
 * content, re-encoding of photos. On success the prepared file is written under a random name and
 * *out is filled (strings in a) ready for attachment_save; -1 with ERR_INVALID_ARG naming
 * the field ("le fichier n'est ni une image ni un PDF", too big, unreadable image, infected),
 * ERR_UNSUPPORTED, or ERR_UNAVAILABLE (the antivirus could not scan it, the disk is full).
 * Runs on the caller's thread (CPU work and a local scanner, not storage); a scan waits for
 * clamd up to its timeout. */
int attachment_prepare(const attachment_dir *d, const attachment_upload *up, arena *a,
                       store_attachment *out, error *err);
/* 1 when err is attachment_prepare refusing a file over d->max_file_bytes (ERR_INVALID_ARG):
 * the visitor should choose a lighter file. 0 for any other error. */
int attachment_is_too_large(const error *err);
/* 1 when err is attachment_prepare refusing a photo or PDF that does not decode whole (cut
 * off during the transfer, corrupt): the visitor should send the file again rather than
 * another type. 0 for any other error. */
int attachment_is_damaged(const error *err);
/* 1 when err is attachment_prepare refusing a file the antivirus found malware in (the
 * signature is in err->detail, for logs): the visitor should check their device. */
int attachment_is_infected(const error *err);
/* 1 when err is attachment_prepare refusing a file because the configured antivirus could
 * not scan it (ERR_UNAVAILABLE): nothing is accepted unscanned; the visitor retries later. */
int attachment_is_unscanned(const error *err);
/* The scan attachment_prepare makes, for another kind of upload (a collectivité's logo): 0
 * when clean or no antivirus is configured; -1 as attachment_prepare (attachment_is_infected,
 * attachment_is_unscanned tell which), err naming field. */
int attachment_scan(const void *data, size_t len, const char *field, error *err);
/* The MIME type libmagic reads from the content into type ("" when unknown), libvips and
 * libmagic started once for the process: 0, or -1 when they could not start. */
int attachment_sniff(const void *data, size_t len, char *type, size_t size);
/* Writes data (bytes guichet made itself: a scan's preview, a letter's pages cut out of its
 * scan) durably under a new random name of directory d ending in ext (".png", ".pdf"), the
 * name in a: 0, or -1 with ERR_UNAVAILABLE. The
 * caller records it in a write job and discards it (attachment_discard) when that fails. */
int attachment_store_bytes(const attachment_dir *d, const char *ext, const void *data, size_t len,
                           arena *a, const char **name, error *err);
/* Removes a prepared file that will not be saved (e.g. the form had another error). */
void attachment_discard(const attachment_dir *d, const store_attachment *at);
/* A copy of stored attachment src for another request (a merge): the same file under new
 * names of directory d (hard links: no bytes copied, and removing one name leaves the other
 * whole), *out being src with those names and no id, ready for attachment_save_tx. Called
 * from a write job: the caller discards *out (attachment_discard) when the job fails. -1 with
 * ERR_UNAVAILABLE when the file system refuses. */
int attachment_link(const attachment_dir *d, const store_attachment *src, arena *a,
                    store_attachment *out, error *err);
/* attachment_link from a file prepared in directory `from` to new names in directory `to`
 * (the same file system: a kept upload joining the uploads directory); attachment_link is
 * this with from == to. */
int attachment_link_into(const attachment_dir *from, const attachment_dir *to,
                         const store_attachment *src, arena *a, store_attachment *out, error *err);
/* Records prepared attachments for request_id (event_id 0: filed with the request) from
 * inside a write job. */
int attachment_save_tx(store *s, int64_t tenant_id, int64_t request_id, int64_t event_id,
                       store_attachment *at, size_t n, error *err);
/* Removes from the uploads directory every file named like ours (attachment_path) that no
 * attachment row refers to: what a crash (kill -9, power loss) left between a file's write
 * and its row's commit. Each removal is logged; files named otherwise are left alone (not
 * ours to remove) and counted in the log. Call at start-up, before serving: a file being
 * prepared by a request in flight has no row yet. *removed (may be NULL) gets the count. */
int attachment_sweep(core *c, size_t *removed, error *err);
/* Attachment `id` of tenant_id (strings in a): *found 0 when there is none; -1 with err on a
 * storage failure. Whoever serves it decides access first (attachment_is_public_photo,
 * request_attachment_for_citizen, perm_can_view). */
int attachment_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_attachment *out,
                   int *found, error *err);
/* The attachments of request_id, oldest first (array and strings in a; *n may be 0). */
int attachment_list(core *c, int64_t tenant_id, int64_t request_id, arena *a,
                    store_attachment **out, size_t *n, error *err);
/* 1 when at is a photo a moderator approved: the only kind of file a public page may show
 * (of a request that is itself public). */
int attachment_is_public_photo(const store_attachment *at);
/* Full path of a stored file (in a). */
const char *attachment_path(const attachment_dir *d, arena *a, const char *storage_name);

#endif

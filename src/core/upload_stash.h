/*
 * upload_stash — the files a visitor sent with a form not sent yet (a multi-step report),
 * kept on the server between its steps so that nothing is asked twice: checked and
 * prepared as every attachment is (attachment_prepare: size, antivirus, type, photos
 * re-encoded), then waiting in a directory of their own until the form is sent, the visitor
 * removes them, or a day has passed.
 *
 * A stash is named by its owner, an opaque 64-hex string the entrance derives from a
 * secret of the visitor's browser (a keyed hash: the disk never holds the secret); it lives
 * in <uploads>/stash/<owner>/, one prepared file (and its thumbnail) per upload with a
 * small JSON description beside it. Nothing of it is in the database: a form not sent is
 * not a request, and whatever a crash leaves there is removed by upload_stash_purge.
 */
#ifndef GUICHET_CORE_UPLOAD_STASH_H
#define GUICHET_CORE_UPLOAD_STASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/attachment.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* How long a kept file waits for its form: a day, then it is removed. */
#define UPLOAD_STASH_MAX_AGE_S (24 * 3600)
/* Length of an owner: 64 lowercase hex characters. */
#define UPLOAD_STASH_OWNER_LEN 64

/* A file kept: what the request will hold, and what the visitor knows it by. */
typedef struct upload_kept {
    store_attachment at; /* as prepared (photos re-encoded), in the stash's directory */
    int64_t sent_bytes;  /* its size as the visitor sent it */
    int64_t kept_us;     /* when it was kept, µs since the epoch: the order it was sent in */
    const char *field;   /* the form field it came in ("attribute[CODE]" for a file question;
                            "" for files kept before fields were recorded) */
} upload_kept;

/* One visitor's stash: its directory, with the limits of the uploads directory it is in. */
typedef struct upload_stash {
    attachment_dir dir;
} upload_stash;

/* Names the stash of `owner` in `uploads` (nothing is created before a file is added);
 * -1 with ERR_INTERNAL when uploads is not set, ERR_INVALID_ARG when owner is not 64
 * lowercase hex characters. */
int upload_stash_open(const attachment_dir *uploads, const char *owner, upload_stash *out,
                      error *err);

/* Checks and prepares up as attachment_prepare does (same refusals, same errors) and keeps
 * it in the stash; *out (strings in a) describes the kept file. */
int upload_stash_add(const upload_stash *st, const attachment_upload *up, arena *a,
                     upload_kept *out, error *err);

/* The files kept, in the order they were sent (array and strings in a; *n may be 0): the
 * ones kept more than UPLOAD_STASH_MAX_AGE_S before `now` (seconds since the epoch) are
 * removed instead. Each file's at.storage_name is its identifier for upload_stash_remove. */
int upload_stash_list(const upload_stash *st, int64_t now, arena *a, upload_kept **out, size_t *n,
                      error *err);

/* Removes kept file `id` (a storage_name from upload_stash_list); 1 when it was there, 0
 * when not (already removed, or not a name of ours). */
int upload_stash_remove(const upload_stash *st, const char *id);

/* The kept files (at most st->dir.max_files, in the order sent), each given new names in
 * `uploads` (hard links: nothing copied), ready for request_create; the stash is left as it
 * is, so that a request refused keeps them: upload_stash_clear once the request is written,
 * attachment_discard on each of *out when it is not. Array and strings in a. */
int upload_stash_claim(const upload_stash *st, const attachment_dir *uploads, int64_t now, arena *a,
                       store_attachment **out, size_t *n, error *err);

/* Removes every kept file of the stash and its directory. */
void upload_stash_clear(const upload_stash *st);

/* Removes, in every stash of `uploads`, the files older than max_age_s before now (by their
 * modification time: a file whose description a crash never wrote goes too), then the
 * stashes left empty. For the scheduler and the server's start. *removed (may be NULL): the
 * entries removed (kept files, thumbnails and descriptions alike). -1 with err when the stash
 * directory cannot be read. */
int upload_stash_purge(const attachment_dir *uploads, int64_t now, int64_t max_age_s,
                       size_t *removed, error *err);

#endif

/*
 * export — a citizen's data in one ZIP archive (RGPD art. 15, access, and art. 20,
 * portability): their account, every request linked to their account or carrying their
 * e-mail address, each as JSON with what the citizen was shown of it (the public timeline:
 * their messages and the mairie's public replies; never internal notes, internal events or
 * which agent did what), and the files of those requests that the citizen sent or was sent.
 *
 * Which records go in is decided once (export_plan_*); the archive is then produced piece by
 * piece (export_stream_read): one request's JSON and one 64 KiB chunk of a file at a time, so
 * that memory stays bounded whatever the files weigh. The ZIP is written by libarchive
 * through a callback, never seeking, so it can go out as it is made.
 *
 * Layout (names in French, the citizen's language; JSON members in English, as in the JSON
 * API, with codes rather than labels so that another program can read them back):
 *   LISEZMOI.txt                                   what the files are (text from the caller)
 *   demandes/<référence>/demande.json              one request
 *   demandes/<référence>/pieces-jointes/<id>-<nom> its files, byte for byte as stored
 *   compte.json                                    the account, the address, the index of
 *                                                  the requests (written last: it lists
 *                                                  what the archive really holds)
 */
#ifndef GUICHET_CORE_EXPORT_H
#define GUICHET_CORE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* Requests one archive holds at most; compte.json says how many were left out. */
#define EXPORT_MAX_REQUESTS 10000
/* Largest demande.json (a request with an unusually long timeline fails the export). */
#define EXPORT_JSON_MAX (16u * 1024 * 1024)
/* The format compte.json announces, for programs reading archives back. */
#define EXPORT_FORMAT "guichet-export-1"

typedef struct export_plan export_plan;

/* The records of logged-in citizen acc: requests filed from the account, or carrying its
 * address once verified (the rule of «Mes demandes»), newest first. Read on the calling
 * thread. *out: caller frees with export_plan_free. */
int export_plan_citizen(core *c, int64_t tenant_id, const store_account *acc, export_plan **out,
                        error *err);

/* For `who`, an agent answering a citizen's request of access (perm_can_export_citizen; the
 * command line and the system may too; anyone else: ERR_FORBIDDEN at once): the account of
 * `email` (if any) and every request of that account or carrying that address, read in one
 * write job that also appends who exported whose data to the audit log (who's audit label
 * and source, action "export", kind "account" with the account's id, kind "request" with
 * the requests' ids; one entry with no id when nothing was found), so that the read and its
 * audit entries commit together or not at all. Asynchronous: *out is set before cb(ctx, 0,
 * NULL) (and left NULL on a failure); with cb NULL, waits and returns the outcome. -1 at once
 * with ERR_INVALID_ARG "email" when email is not an address. */
int export_plan_agent(core *c, int64_t tenant_id, const char *email, const core_actor *who,
                      export_plan **out, core_done_fn cb, void *ctx, error *err);

/* 1 when the plan found neither an account, nor a request, nor a broadcast subscription. */
int export_plan_empty(const export_plan *p);
/* The ids of the requests the plan holds (owned by it), newest first. */
const int64_t *export_plan_requests(const export_plan *p, size_t *n);
/* The account's id, 0 when none. */
int64_t export_plan_account_id(const export_plan *p);
void export_plan_free(export_plan *p);

typedef struct export_stream export_stream;

/* Starts the archive of plan, which it takes (freed with the stream, or at once on a
 * failure). readme: the text of LISEZMOI.txt (copied; NULL: no such file). NULL with err. */
export_stream *export_stream_open(core *c, export_plan *plan, const char *readme, error *err);
/* The next bytes of the archive, at most max, into out: their count (> 0), 0 once the
 * archive is complete, or -1 on a failure (logged: an attachment's file missing or changed,
 * a storage error), after which the archive is unusable. */
long export_stream_read(export_stream *s, char *out, size_t max);
/* s may be NULL. */
void export_stream_free(export_stream *s);

/* The archive's download name, "donnees-<slug>-<YYYY-MM-DD>.zip" (the date in zone tz), in
 * a. ASCII only: the slug's other characters become '-'. */
const char *export_filename(arena *a, const char *tenant_slug, int64_t now, const char *tz);

#endif

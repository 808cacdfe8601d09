/*
 * hasher — the small pool where Argon2id runs (core/password: tens of milliseconds and
 * 64 MiB each), so that a burst of logins takes at most its threads' cores and never holds
 * a server thread: a caller queues a job (hash a password, or verify one against a hash)
 * and is called back. The queue is bounded: when it is full, a job is refused at once with
 * ERR_UNAVAILABLE (entrances answer 503 with Retry-After) rather than left to wait for
 * seconds. Its threads run a little nicer than the server's, so that on busy cores reads
 * keep the larger share. Without a started pool (the command line, unit tests) a job runs at
 * once on its caller's thread, through the same code.
 */
#ifndef GUICHET_CORE_HASHER_H
#define GUICHET_CORE_HASHER_H

#include <stddef.h>

#include "core/password.h"
#include "util/error.h"

#define HASHER_THREADS_MAX 64
#define HASHER_QUEUE_MAX 4096

typedef struct hasher hasher;
typedef struct hasher_job hasher_job;

/* Called once with the job's outcome: on a pool thread, on the caller's thread when there
 * is no pool, or on hasher_stop's thread for a job still queued at the stop (rc -1,
 * ERR_UNAVAILABLE). It may free the job (nothing of it is read after). */
typedef void (*hasher_done_fn)(hasher_job *job);

typedef enum hasher_kind { HASHER_HASH, HASHER_VERIFY } hasher_kind;

/* One job, owned by the caller (usually inside its own state) until done is called. */
struct hasher_job {
    hasher_kind kind;
    char password[PASSWORD_MAX + 1]; /* a copy, wiped once the work is done */
    int too_long;                    /* the password was over PASSWORD_MAX (not copied) */
    /* HASHER_VERIFY: the stored hash, "" for none (the dummy hash: an unknown account costs
     * what a known one does). HASHER_HASH: the result when rc is 0. */
    char hash[PASSWORD_HASH_LEN];
    int rc; /* 0, or -1 with err */
    error err;
    int match; /* HASHER_VERIFY: 1 when the password matches the hash */
    hasher_done_fn done;
    void *ctx;        /* free for the caller */
    hasher_job *next; /* the queue's */
};

/* Prepares job to hash password (NULL counts as ""): a password over PASSWORD_MAX fails
 * with ERR_INVALID_ARG "password". */
void hasher_job_hash(hasher_job *job, const char *password, hasher_done_fn done, void *ctx);
/* Prepares job to verify password against hash (NULL: no account, the dummy). A password
 * over PASSWORD_MAX is checked as "" (the work stays bounded) and never matches. */
void hasher_job_verify(hasher_job *job, const char *hash, const char *password, hasher_done_fn done,
                       void *ctx);
/* Wipes the job's password and hash. */
void hasher_job_wipe(hasher_job *job);

/* Starts threads (1..HASHER_THREADS_MAX) threads with room for queue (1..HASHER_QUEUE_MAX)
 * jobs waiting besides those running. NULL with err on failure. Stop with hasher_stop. */
hasher *hasher_start(unsigned threads, size_t queue, error *err);
/* Queues job: 0, and job->done follows; or -1 with ERR_UNAVAILABLE when the queue is full
 * or the pool stops, and done is never called (nothing was queued). h NULL: runs the job on
 * this thread and calls done before returning 0. */
int hasher_submit(hasher *h, hasher_job *job, error *err);
/* Refuses new jobs, fails the queued ones (done with rc -1, ERR_UNAVAILABLE, on this
 * thread), waits for the running ones and frees the pool. Accepts NULL. */
void hasher_stop(hasher *h);
/* Jobs waiting now (not those running); for tests and statistics. */
size_t hasher_queued(hasher *h);

#endif

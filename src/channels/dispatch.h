/*
 * dispatch — the outbox dispatcher loop every channel shares (e-mail, SMS): one thread that
 * wakes every poll interval or when asked, reads its channel's due messages through core
 * (outbox_due), hands each one to the channel's send callback, records the outcome
 * (outbox_record: sent, retried with exponential backoff, or given up; a broadcast's
 * outcomes a pass's worth at a time, outbox_record_batch), throttles broadcast messages
 * (server-wide or per collectivité), stops trying a collectivité's gateway found down for
 * the rest of its pass, and finishes the message in progress before it stops. Also the
 * guard of the back office's test sends.
 */
#ifndef GUICHET_CHANNELS_DISPATCH_H
#define GUICHET_CHANNELS_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

#define DISPATCH_DEFAULT_POLL_MS 1000
#define DISPATCH_DEFAULT_BACKOFF_S 30
#define DISPATCH_DEFAULT_BACKOFF_MAX_S 3600
#define DISPATCH_DEFAULT_MAX_ATTEMPTS 24
/* Due messages read per pass; a full batch is followed by another pass at once. */
#define DISPATCH_BATCH 50
#define DISPATCH_WHY_MAX 200

/* Delay in seconds before the next attempt, after `attempts` failed ones (1, 2, ...):
 * base_s × 2^(attempts-1), capped at max_s. Pure, for tests. */
int64_t dispatch_backoff(int attempts, int base_s, int max_s);

/* The throttle of broadcast messages: a message may go when the clock (ms) has reached
 * next_ms; each one sent moves next_ms on by 1000 / rate (from now when the sender had been
 * idle, so that an idle spell earns no burst). rate 0: always. Pure, for tests. */
typedef struct dispatch_throttle {
    int rate;
    int64_t next_ms;
} dispatch_throttle;
/* 0 when a message may go at now_ms (and the slot is taken); otherwise the ms to wait. */
int64_t dispatch_throttle_take(dispatch_throttle *t, int64_t now_ms);

/* Whether the message's gateway was found unreachable. Every collectivité has its own relay
 * and its own Kannel, so one found down holds back only that collectivité's other messages
 * for the rest of the pass; the others' go on. */
typedef enum dispatch_down {
    DISPATCH_UP = 0,
    DISPATCH_DOWN_TENANT /* the message's collectivité's gateway: its other messages wait */
} dispatch_down;

/* What the channel's send callback did with one message. */
typedef struct dispatch_attempt {
    int sent;           /* 1: the relay or gateway took it */
    int permanent;      /* 1: refused for good (a 5xx, bad data): given up at once */
    dispatch_down down; /* unreachable: see dispatch_down */
    /* > 0: not tried, as there is nowhere to send it yet (no relay configured): due again
     * in that many seconds, no attempt counted, and not counted as handled either. */
    int64_t postpone_s;
    char why[DISPATCH_WHY_MAX]; /* when not sent: last_error, without personal data */
} dispatch_attempt;

/* Renders and sends msg (a row of the channel's, from outbox_due), filling *at (zeroed
 * before the call). Runs on the dispatcher's thread. */
typedef void (*dispatch_send_fn)(void *ctx, const store_outbox *msg, dispatch_attempt *at);

typedef struct dispatch_config {
    const char *channel;  /* the outbox channel it reads ("email", "sms"); static string */
    const char *log_name; /* its log lines' prefix ("mail", "sms"); static string */
    int poll_ms;          /* 0: DISPATCH_DEFAULT_POLL_MS */
    int backoff_s;        /* first retry delay; 0: DISPATCH_DEFAULT_BACKOFF_S */
    int backoff_max_s;    /* 0: DISPATCH_DEFAULT_BACKOFF_MAX_S */
    int max_attempts;     /* attempts before giving up; 0: DISPATCH_DEFAULT_MAX_ATTEMPTS */
    /* Broadcast messages (outbox priority > 0) sent per second at most; 0: no limit. The
     * others are never held back. */
    int broadcast_rate;
    /* When set, each collectivité's own rate of broadcast messages instead (per second; 0:
     * no limit), asked once a pass for each collectivité whose broadcast it meets; each
     * collectivité then has its own throttle. Runs on the dispatcher's thread with ctx. */
    int (*broadcast_rate_of)(void *ctx, int64_t tenant_id);
    dispatch_send_fn send;
    void *ctx; /* send's; must outlive the dispatcher */
} dispatch_config;

typedef struct dispatcher dispatcher;

/* Starts the thread over c (the store's writer must be running). cfg is copied, its
 * defaults applied. Caller stops it with dispatcher_stop before stopping the writer. NULL
 * with err when the thread cannot start. */
dispatcher *dispatcher_start(core *c, const dispatch_config *cfg, error *err);
/* Asks for a pass now; never blocks. d may be NULL. */
void dispatcher_wake(dispatcher *d);
/* Finishes the message in progress, then stops and frees; queued messages stay queued.
 * d may be NULL. */
void dispatcher_stop(dispatcher *d);
/* The effective configuration (defaults applied). */
const dispatch_config *dispatcher_config(const dispatcher *d);

/* ---- the back office's test sends ----
 * A test message goes out at once, on a thread of its own (a relay may take its whole
 * timeout): never on an HTTP thread, and not through the outbox, whose retries an
 * administrator checking a setting would not want. Those threads are counted so that the
 * server's stop waits for them before it frees the core they use. */

/* A test message on its way: the copies dispatch_test_send made of its arguments. */
typedef struct dispatch_test {
    core *core;
    int64_t tenant_id;
    char *to, *subject, *text; /* subject NULL for a channel without one (SMS) */
    char *answer;              /* the caller's, cap bytes, "" at the start */
    size_t cap;
} dispatch_test;

/* The channel's one try of its gateway: writes the gateway's words into t->answer; 0 when it
 * took the message, -1 with err otherwise. */
typedef int (*dispatch_test_fn)(const dispatch_test *t, error *err);

/* Sends a test message with send(…) on a counted thread: copies to, subject (may be NULL)
 * and text, then cb(ctx, rc, err) with send's outcome, on that thread. answer_out (cap > 0
 * bytes) must stay valid until cb. -1 with err when out of memory or the thread cannot
 * start: neither send nor cb is then called. */
int dispatch_test_send(core *c, int64_t tenant_id, const char *to, const char *subject,
                       const char *text, char *answer_out, size_t cap, dispatch_test_fn send,
                       core_done_fn cb, void *ctx, error *err);
/* Waits for every test thread to end. For the server's stop: after the HTTP server stopped
 * (no request can start one any more) and before the core is freed. */
void dispatch_test_drain(void);

#endif

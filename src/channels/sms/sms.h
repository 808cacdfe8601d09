/*
 * sms — outgoing SMS through Kannel. The dispatcher is one thread that takes the due SMS of
 * the outbox, renders each one's text (strings "sms.NAME" in the message's language, folded to
 * GSM-7 where the meaning allows and cut to one SMS with its link: util/sms_text), and hands
 * it to the collectivité's Kannel with an HTTP GET of its sendsms interface (libcurl),
 * recording the outcome: sent, retried later with exponential backoff (Kannel down or busy),
 * or given up (refused, no gateway set, the number opted out with STOP).
 */
#ifndef GUICHET_CHANNELS_SMS_H
#define GUICHET_CHANNELS_SMS_H

#include <stddef.h>

#include "core/core.h"
#include "core/sms.h"
#include "present/present.h"
#include "util/arena.h"
#include "util/error.h"

/* Bytes an SMS text may take once rendered (one SMS is at most 160 septets, 4 bytes each). */
#define SMS_TEXT_MAX 700

/* The text of outbox template `template_name` for params (a JSON object as text; NULL: {}),
 * in language l: strings "sms.<template_name>" with {tenant}, {reference}, {procedure},
 * {status}, {short_code}, {survivor}, {code} and {body} filled, typographic characters
 * folded (sms_text_fold) and the whole cut to one SMS followed by the link (params'
 * lookup_url, else tracking_url, else link) and, when params' "stop" is true and
 * reply_number is a number the citizen can answer (sms_sender_is_number), the mention
 * "sms.stop_mention" naming it. Into out (SMS_TEXT_MAX bytes). -1 with ERR_NOT_FOUND for a
 * template without SMS text, ERR_INVALID_ARG for params that are not an object or a text
 * that cannot fit. */
int sms_render(const present *p, lang l, const char *tenant_name, const char *template_name,
               const char *params, const char *reply_number, char out[SMS_TEXT_MAX], error *err);

/* The sendsms URL that sends text to `to` through g (username, password, to, text, and from
 * when g has a sender; charset=UTF-8, and coding=2 when the text needs UCS-2), every value
 * percent-encoded, in a. With message_id and a gateway that has a callback base and a key,
 * delivery reports are asked for: dlr-mask=31 and dlr-url=BASE/passerelle/sms/dlr?key=…&id=
 * MESSAGE_ID&status=%d. NULL when a is exhausted. */
const char *sms_sendsms_url(arena *a, const sms_gateway *g, const char *to, const char *text,
                            const char *message_id);

/* ---- the dispatcher ---- */

#define SMS_DEFAULT_TIMEOUT_S 10

/* The loop is channels/dispatch's: its defaults (DISPATCH_DEFAULT_*) apply to the zeros. */
typedef struct smser_config {
    int poll_ms;       /* 0: DISPATCH_DEFAULT_POLL_MS */
    int backoff_s;     /* first retry delay; 0: DISPATCH_DEFAULT_BACKOFF_S */
    int backoff_max_s; /* 0: DISPATCH_DEFAULT_BACKOFF_MAX_S */
    int max_attempts;  /* 0: DISPATCH_DEFAULT_MAX_ATTEMPTS */
    int timeout_s;     /* connect and transfer timeouts; 0: SMS_DEFAULT_TIMEOUT_S */
} smser_config;

typedef struct smser smser;

/* Starts the dispatcher thread over c (the store's writer must be running), rendering with p
 * (borrowed; must outlive it). Each collectivité's gateway is read from core at each message,
 * so that a change in the back office applies to the next SMS. Caller stops it with
 * smser_stop before stopping the writer. NULL with err when the thread cannot start. */
smser *smser_start(core *c, const present *p, const smser_config *cfg, error *err);
/* Asks for a pass over the outbox now; never blocks. s may be NULL. */
void smser_wake(smser *s);
/* Finishes the SMS in progress, then stops and frees. s may be NULL. */
void smser_stop(smser *s);

/* The longest number a test SMS goes to (E.164: "+" and 15 digits), and what it keeps of
 * Kannel's answer (SMS_TEST_ANSWER_MAX is enough room for it). */
#define SMS_TEST_TO_MAX 16
#define SMS_TEST_ANSWER_MAX 240

/* The back office's test button: one try of the collectivité's sendsms URL with text to `to`
 * (E.164), on a thread of its own since Kannel may take up to SMS_DEFAULT_TIMEOUT_S (counted:
 * the server's stop waits for it, dispatch_test_drain), then cb(ctx, rc, err) from that
 * thread: rc 0 when Kannel accepted it; else -1 with ERR_NOT_FOUND (arg "gateway") when the
 * collectivité has no gateway, ERR_UNAVAILABLE when Kannel refused it or could not be
 * reached, or the read's error. Either way answer (cap bytes, valid until the callback)
 * holds what Kannel said, or why nothing was said ("couldn't connect"), or "". -1 at once
 * (no callback) for a number that is too long or when the thread cannot start. */
int sms_test_send(core *c, int64_t tenant_id, const char *to, const char *text, char *answer,
                  size_t cap, core_done_fn cb, void *ctx, error *err);

#endif

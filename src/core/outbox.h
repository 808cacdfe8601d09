/*
 * outbox — messages to citizens (e-mail now, SMS with the channels issue). A message is a row
 * written in the same transaction as the change that causes it (outbox_add_tx, from a write
 * job) or on its own (outbox_add); each channel's dispatcher (channels/mail, channels/sms)
 * reads its due rows (outbox_due), renders and sends them later, and records each outcome
 * (outbox_record) — both through core, which is the only caller of the store. An outage of
 * the relay delays mail and loses none.
 */
#ifndef GUICHET_CORE_OUTBOX_H
#define GUICHET_CORE_OUTBOX_H

#include <jansson.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

/* Mail templates (templates/mail/NAME.txt and NAME.html, fr and en strings in the i18n
 * files under "mail.NAME") and the params each expects:
 *   request_ack    reference, procedure, tracking_url, service_notice, due_date, short_code
 *                  (displayed, "K7QM-4TXH"), lookup_url (where reference and code are typed)
 *   account_verify name, link
 *   account_exists link (login page: someone tried to sign up with this address)
 *   account_reset  link
 *   account_login  link
 *   request_reply  reference, procedure, message, tracking_url
 *   request_status reference, procedure, status_label, note, tracking_url
 *   request_merged reference, procedure, survivor (the reference now followed), tracking_url
 *   request_merged_here reference, procedure, tracking_url
 *   request_code   reference, procedure, short_code, lookup_url (an agent's new code)
 *   document_issued reference, procedure, document (its title: "title" is the mail's own),
 *                  tracking_url (where the citizen opens it: core/letter_tpl.h); on e-mail it
 *                  carries the document
 *                  (outbox_add_document_tx)
 *   agent_new_requests count, several, requests [{reference, procedure, department}],
 *                  others (not listed), at_least (more than counted), daily (core/agent_notices)
 * Every template also receives "tenant" (name, contact) from the dispatcher, and a message
 * that carries a document "attachment": {attached: true, filename} when the PDF is joined,
 * {too_large: true} when it went as the tracking link instead (channels/mail). */

/* 1 when addr is an e-mail address the outbox would send to (the one check, for every
 * address guichet keeps: recipients, a collectivité's public address). */
int outbox_email_ok(const char *addr);

/* The channel of a citizen's notice, after their choice (notify): "sms" to phone when they
 * chose news by SMS and have a number in E.164, "email" to email when they chose e-mail (or
 * made no choice, or chose SMS without a usable number) and have an address; NULL when
 * nothing is to be sent (notify "none", or no address at all). *recipient is set with the
 * channel (borrowed from the arguments). */
const char *outbox_citizen_channel(const char *notify, const char *email, const char *phone,
                                   const char **recipient);

/* Queues a message from inside a write job (same transaction as the change). params is
 * copied (serialised); the caller keeps its reference. */
int outbox_add_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                  const char *template_name, json_t *params, const char *lang_code,
                  int64_t request_id, error *err);
/* The issued document a citizen's e-mail carries as its attachment. */
typedef struct outbox_document_ref {
    int64_t id;         /* the document (table documents); 0: not issued yet */
    const char *sha256; /* its SHA-256, hex (document_row_fill's), with id */
    /* With id 0: the message waits until then for its document, which
     * outbox_attach_document_tx gives it and makes it due at once; then it goes without. */
    int64_t hold_until;
} outbox_document_ref;

/* outbox_add_tx for a message that carries document doc (may be NULL: none): on channel
 * email the row names the document and its hash — never its bytes, which the dispatcher
 * loads when it sends (outbox_document) —; on sms doc is ignored (the message keeps its
 * tracking link). ERR_INVALID_ARG "document" for a hash that is not 64 hex digits. */
int outbox_add_document_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                           const char *template_name, json_t *params, const char *lang_code,
                           int64_t request_id, const outbox_document_ref *doc, error *err);
/* Inside the job that issues document_id (its SHA-256 sha256) for request_id: request_id's
 * e-mails of template_name still queued carry it from now on and are due at once (*n how
 * many: 0 when they went already, without it). */
int outbox_attach_document_tx(store *s, int64_t tenant_id, int64_t request_id,
                              const char *template_name, int64_t document_id, const char *sha256,
                              size_t *n, error *err);
/* The document message m carries (m->document_id), with its bytes in a, only when they still
 * hash to the SHA-256 m was queued with (and the row's own): the frozen bytes, the same on
 * every attempt. ERR_NOT_FOUND (arg "document") when m carries none or it is gone (the
 * request was anonymised), ERR_CONFLICT when the hashes differ; else the store's errors. */
int outbox_document(core *c, const store_outbox *m, arena *a, store_document *out, error *err);

/* Queues one message of broadcast broadcast_id from inside its queuing job: priority 1, so
 * that the dispatchers send it after every request's notice that is due. */
int outbox_add_broadcast_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                            const char *template_name, json_t *params, const char *lang_code,
                            int64_t broadcast_id, error *err);
/* Queues a message in a transaction of its own and waits for it. */
int outbox_add(core *c, int64_t tenant_id, const char *channel, const char *recipient,
               const char *template_name, json_t *params, const char *lang_code,
               int64_t request_id, error *err);

/* The messages of channel `channel` ("email", "sms") due at `now` (next_attempt_at reached,
 * neither sent nor given up): a request's notices (priority 0) before broadcasts (1), each
 * oldest first; at most limit of them. One channel only, so that a backlog of another's
 * (a broadcast's SMS) never fills a dispatcher's batch. *out and its strings are in a. */
int outbox_due(core *c, const char *channel, int64_t now, size_t limit, arena *a,
               store_outbox **out, size_t *n, error *err);

/* What became of one attempt to send a message. */
typedef struct outbox_outcome {
    int64_t id;              /* the outbox row */
    int sent;                /* 1: the relay accepted it (its params are then cleared) */
    int64_t when;            /* when it was sent or tried */
    /* When not sent: */
    int attempts;            /* attempts made, this one included */
    int64_t next_attempt_at; /* when to try again */
    int failed;              /* 1: given up, never tried again */
    const char *last_error;  /* why, without personal data (copied) */
    /* The message's own id (copied; NULL: none): when given, a message sent or given up
     * writes its OUTBOX_DELIVERY_EVENT ("sent", or "failed" and last_error) on its request's
     * timeline in the same job. */
    const char *message_id;
} outbox_outcome;

/* Records o as one write job. cb NULL: waits for the commit and returns its outcome (a
 * dispatcher's own thread); otherwise 0 at once and cb(ctx, rc, err) once durable. A message
 * sent is then in state "sent", one given up in state "failed". */
int outbox_record(core *c, const outbox_outcome *o, core_done_fn cb, void *ctx, error *err);

/* Outcomes one write may record together. */
#define OUTBOX_RECORD_BATCH_MAX 500
/* Records o[n] (n at most OUTBOX_RECORD_BATCH_MAX) as ONE write job, each exactly as
 * outbox_record would, and waits for the commit: a broadcast's messages are many and
 * low-priority, and one commit for a dispatcher's batch instead of one per message leaves
 * the writer (and the disk's flushes) to the portal. All or none: a failure records none,
 * and those messages are sent again. n 0: nothing, 0. */
int outbox_record_batch(core *c, const outbox_outcome *o, size_t n, error *err);

/* ---- each message's own id and delivery state ---- */

/* The message id made at enqueue: 32 lowercase hex characters (an e-mail's Message-ID is
 * "<id@domain>", an SMS delivery report names it). */
#define OUTBOX_MESSAGE_ID_LEN 32

/* Delivery states: queued until the relay or gateway takes it, sent once it did; delivered,
 * bounced and failed are final (a report arriving after one of them changes nothing). */
#define OUTBOX_STATE_QUEUED "queued"
#define OUTBOX_STATE_SENT "sent"
#define OUTBOX_STATE_DELIVERED "delivered"
#define OUTBOX_STATE_BOUNCED "bounced"
#define OUTBOX_STATE_FAILED "failed"

/* The timeline event a change of delivery state writes on the message's request: kind
 * OUTBOX_DELIVERY_EVENT, internal, actor "system", channel the message's channel ("email",
 * "sms"), body the new state, then a space and the detail when there is one. */
#define OUTBOX_DELIVERY_EVENT "delivery"

/* A message found by its id. */
typedef struct outbox_message_ref {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id; /* 0: none (account mail) */
    char channel[16];
    char state[16];
} outbox_message_ref;

/* 1 when id has the form of a message id (exactly OUTBOX_MESSAGE_ID_LEN lowercase hex). */
int outbox_message_id_ok(const char *id);

/* The message of that id (its form checked first). ERR_NOT_FOUND when there is none. */
int outbox_find_message(core *c, const char *message_id, outbox_message_ref *out, error *err);

/* Where message m (a row outbox_due gave) stands in its request's thread: the request's
 * reference and the ids of the first and the last messages that went out to the same
 * recipient on the same channel before it (strings in a; all NULL when m has no request). */
int outbox_thread(core *c, const store_outbox *m, arena *a, store_outbox_thread *out, error *err);

/* A delivery report: moves the message to state (sent, delivered, bounced or failed) with
 * its detail (no personal data; cut to 200 bytes) and, when the message is about a request,
 * writes the OUTBOX_DELIVERY_EVENT on its timeline — one write job. A message already in a
 * final state stays as it is (a late or repeated report is ignored: 0), as does a report of
 * the state it is already in. ERR_NOT_FOUND for an unknown id (from the job), ERR_INVALID_ARG
 * for an unknown state (at once). cb NULL: waits for the commit and returns its outcome;
 * otherwise 0 at once and cb(ctx, rc, err) once durable (an HTTP entrance suspends
 * meanwhile); -1 at once (no callback) for what is refused before any write. */
int outbox_delivery(core *c, const char *message_id, const char *state, const char *detail,
                    core_done_fn cb, void *ctx, error *err);

#endif

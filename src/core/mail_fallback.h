/*
 * mail_fallback — what happens when a message can never reach the citizen by e-mail (the
 * relay refused it for good, the dispatcher gave up, or a bounce came back): the same notice
 * goes out on another channel the citizen has — SMS, when they gave a phone number and the
 * collectivité can send SMS —, or else the request is flagged «à envoyer par courrier», which
 * the back office shows on the request and as an inbox view until an agent records
 * «Courrier envoyé». Both happen in the write job that records the failure.
 */
#ifndef GUICHET_CORE_MAIL_FALLBACK_H
#define GUICHET_CORE_MAIL_FALLBACK_H

#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "store/store.h"
#include "util/error.h"

/* Timeline events (internal): the request flagged (body: the channel that failed), and the
 * flag cleared by an agent's «Courrier envoyé». */
#define MAIL_FALLBACK_LETTER_EVENT "letter_due"
#define MAIL_FALLBACK_LETTER_SENT_EVENT "letter_sent"

typedef enum mail_fallback {
    MAIL_FALLBACK_NONE,   /* not a notice to the request's citizen: nothing to do */
    MAIL_FALLBACK_SMS,    /* queue the same notice on channel sms */
    MAIL_FALLBACK_LETTER, /* flag the request «à envoyer par courrier» */
} mail_fallback;

/* The decision, pure: for a failed message on `channel` to `recipient` about a request whose
 * contact is `request_email` and `request_phone` (NULL or "": none), sms_ready 1 when the
 * collectivité can send SMS. Only the citizen's own e-mail falls back (agents' notices do
 * not), to SMS when there is a number and SMS can go, else to a letter. */
mail_fallback mail_fallback_decide(const char *channel, const char *recipient,
                                   const char *request_email, const char *request_phone,
                                   int sms_ready);

/* Inside the write job that records message m as failed for good (or bounced): applies the
 * decision — the same template, params and language queued on channel sms, or the request
 * flagged with its timeline event. A number the SMS channel refuses falls back to the
 * letter. */
int mail_fallback_tx(store *s, const store_outbox *m, int64_t now, error *err);

/* The request's flag (*on 1: a letter is due). */
int mail_fallback_letter_due(core *c, int64_t tenant_id, int64_t request_id, int *on, error *err);

/* «Courrier envoyé»: clears the flag of request_id as `who` (an agent who may change the
 * request), with its timeline event and audit entry ("letter_sent") in one job.
 * ERR_CONFLICT when no letter is due, ERR_NOT_FOUND when the request is not the tenant's,
 * ERR_FORBIDDEN when who may not change it. who->agent's strings must stay valid until the
 * outcome (the record itself is copied).
 * cb NULL: waits; else returns 0 once queued and cb(ctx, rc, err) follows the commit. */
int mail_fallback_letter_sent_as(core *c, const core_actor *who, int64_t tenant_id,
                                 int64_t request_id, core_done_fn cb, void *ctx, error *err);

#endif

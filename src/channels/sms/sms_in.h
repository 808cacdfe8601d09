/*
 * sms_in — what Kannel hands guichet, over HTTP (Kannel's get-url cannot send headers, so the
 * gateway key rides in key=): GET /passerelle/sms?key=…&from=%p&to=%P&text=%a&time=%t, an SMS
 * a citizen sent — STOP (or ARRET, STOP SMS…) opts the number out of every SMS; otherwise a
 * reply lands on the timeline of the request it names or of the number's last open request.
 * GET /passerelle/sms/dlr?key=…&id=MESSAGE_ID&status=%d, Kannel's delivery report of an SMS
 * guichet sent: the message's state (1 delivered, 2 failed, 8 sent — the SMSC took it —,
 * 16 failed — the SMSC refused it —, 4 buffered: kept as it is) and a delivery event on its
 * request's timeline (core/outbox.h's outbox_delivery).
 * Every parameter bounded and checked; answers are one line of plain text Kannel logs.
 */
#ifndef GUICHET_CHANNELS_SMS_IN_H
#define GUICHET_CHANNELS_SMS_IN_H

#include "http/http.h"

/* Bounds of the callback's parameters, in bytes. */
#define SMS_IN_KEY_MAX 128
#define SMS_IN_NUMBER_MAX 40
#define SMS_IN_TEXT_MAX 1600 /* ten concatenated SMS */
#define SMS_IN_TIME_MAX 32

/* The parameters of an inbound SMS, checked: from in E.164 (util/phone), text valid UTF-8
 * without control characters other than line ends, within the bounds above. 0, or -1 with
 * ERR_MISSING_ARG / ERR_INVALID_ARG naming the parameter. The fuzz target's entry. */
typedef struct sms_in_params {
    const char *key, *from_typed, *to, *text, *time;
    char from[24]; /* E.164 */
} sms_in_params;
int sms_in_check(sms_in_params *p, error *err);

/* Kannel's DLR status bits (one per report) as an outbox state: "delivered", "failed",
 * "sent", or "" for 4 (buffered at the SMSC: nothing to record). NULL for anything else
 * (digits only, one of 1, 2, 4, 8, 16). The fuzz target's other entry. */
const char *sms_dlr_state(const char *status);

/* The routes under /passerelle/, to mount for every Host (a single-collectivité database
 * serves its collectivité on any). */
extern const http_route sms_in_routes[];

#endif

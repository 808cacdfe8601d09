/*
 * sms — what core keeps for SMS: each collectivité's gateway (Kannel's sendsms interface, the
 * account there with its password sealed at rest, purpose "sms", and the sender id), and the
 * numbers that answered STOP, to which nothing is sent any more. The dispatcher
 * (channels/sms) reads both through here; the back office's page sets the gateway.
 */
#ifndef GUICHET_CORE_SMS_H
#define GUICHET_CORE_SMS_H

#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/seal.h"
#include "util/arena.h"
#include "util/error.h"

#define SMS_URL_MAX 512
#define SMS_USERNAME_MAX 64
#define SMS_PASSWORD_MAX SEAL_PLAIN_MAX
#define SMS_SENDER_MAX 16 /* an alphanumeric sender of 11 characters, or a number */

/* A collectivité's gateway, password opened. */
typedef struct sms_gateway {
    const char *sendsms_url; /* in the caller's arena */
    const char *username;
    const char *sender;        /* NULL: Kannel's default */
    const char *callback_base; /* guichet's base URL for Kannel; NULL: no delivery reports */
    char password[SMS_PASSWORD_MAX + 1];
    char dlr_key[SMS_PASSWORD_MAX + 1]; /* "": no delivery reports */
    int64_t updated_at;
    int broadcast_rate; /* broadcast SMS a second at most */
} sms_gateway;

/* Broadcast SMS a second a collectivité sends at most: its gateway's setting, bounded. */
#define SMS_BROADCAST_RATE_DEFAULT 10
#define SMS_BROADCAST_RATE_MAX 100
/* The rate of tenant_id's broadcast SMS (SMS_BROADCAST_RATE_DEFAULT when it has no gateway
 * or it cannot be read): what the SMS dispatcher throttles them at. */
int sms_broadcast_rate(core *c, int64_t tenant_id);

/* 1 when a gateway's sender is a number (a short number such as 38100, or +CC…): one the
 * citizen can answer, so SMS name it for STOP and START. An alphanumeric sender (MAIRIE)
 * takes no answer. */
int sms_sender_is_number(const char *sender);
/* tenant_id's gateway sender when it is a number citizens can answer (in a), else NULL: the
 * number pages name for STOP and START. */
const char *sms_reply_number(core *c, int64_t tenant_id, arena *a);

/* The gateway of tenant_id into *out (strings in a; *found 0 when none is set). -1 with
 * ERR_INTERNAL when the password does not open (another instance secret). */
int sms_gateway_get(core *c, int64_t tenant_id, arena *a, sms_gateway *out, int *found, error *err);

/* What an administrator sets. password NULL or "": the one stored is kept (a gateway set for
 * the first time needs one); dlr_key (a gateway-scope key, for Kannel's delivery reports) the
 * same, none at first meaning no reports asked for. callback_base: guichet's base URL, where
 * Kannel sends the reports (the page's own, never a client's Host). */
typedef struct sms_gateway_input {
    const char *sendsms_url, *username, *password, *sender, *dlr_key, *callback_base;
    const char *broadcast_rate; /* as typed; NULL or "": SMS_BROADCAST_RATE_DEFAULT */
} sms_gateway_input;

/* Checks in: ERR_MISSING_ARG or ERR_INVALID_ARG on "sendsms_url" (http:// or https://, at most
 * SMS_URL_MAX bytes, no blank or control character), "username" (1 to SMS_USERNAME_MAX
 * printable ASCII characters), "password" (at most SMS_PASSWORD_MAX bytes, no control
 * character), "sender" (letters and digits, at most 11, or a number of at most 16 digits
 * with an optional "+"), "broadcast_rate" (a whole number from 1 to SMS_BROADCAST_RATE_MAX).
 * had_password: whether one is stored already. */
int sms_gateway_check(const sms_gateway_input *in, int had_password, error *err);

/* Sets tenant_id's gateway as one audited administrative change ("admin", "sms_gateway"),
 * after sms_gateway_check. Returns as change_run does (cb NULL: waits). */
int sms_gateway_set(core *c, const core_actor *who, int64_t tenant_id, const sms_gateway_input *in,
                    core_done_fn cb, void *ctx, error *err);

/* Opts phone (E.164) out of every SMS of tenant_id and ends, in the same write, every
 * broadcast subscription of that number. cb NULL: waits for the commit; otherwise 0 once
 * queued and cb(ctx, rc, err) once durable. */
int sms_opt_out(core *c, int64_t tenant_id, const char *phone, core_done_fn cb, void *ctx,
                error *err);
/* Opts phone back in (it sent START): SMS may reach it again, and it may subscribe again
 * (its ended subscriptions stay ended). Same calling convention. */
int sms_opt_in(core *c, int64_t tenant_id, const char *phone, core_done_fn cb, void *ctx,
               error *err);
/* *out 1 when phone opted out of tenant_id's SMS. */
int sms_opted_out(core *c, int64_t tenant_id, const char *phone, int *out, error *err);

/* ---- SMS coming in ---- */

/* 1 when text asks to stop every SMS: STOP, ARRET, ARRÊT, STOP SMS, ARRET SMS, whatever the
 * case, blanks and final punctuation. */
int sms_is_stop(const char *text);
/* 1 when text asks to receive SMS again after a STOP: START or START SMS, read as
 * sms_is_stop reads. */
int sms_is_start(const char *text);

/* The request an SMS from `from` (E.164) answers: the one whose reference the text names
 * when that request has this number, else the most recently filed open request of this
 * number; its reference into ref (REQUEST_REFERENCE_MAX + 1 bytes). 1 when found, 0 when the
 * number has none, -1 with err. */
int sms_reply_target(core *c, const cat_tenant *t, const char *from, const char *text, char *ref,
                     size_t ref_size, error *err);

#endif

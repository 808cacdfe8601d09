/*
 * broadcast — the mairie writing to subscribers by topic, by e-mail and by SMS. Citizens
 * subscribe on the portal (double opt-in: nothing is sent before the e-mailed link is
 * followed, or the code sent by SMS typed back) and leave by the link every e-mail carries
 * (RFC 8058 one-click) or by STOP. A broadcast an agent sends is queued by a persistent job in
 * batches (BROADCAST_BATCH recipients per write job, never one huge transaction); its
 * messages enter the outbox with a lower priority than requests' notices, and the
 * dispatchers send them throttled (channels/dispatch).
 */
#ifndef GUICHET_CORE_BROADCAST_H
#define GUICHET_CORE_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "core/phone_verify.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define BROADCAST_KIND "broadcast_queue"  /* the queuing job's kind */
#define BROADCAST_BATCH 500               /* recipients queued per write job */
#define BROADCAST_CONFIRM_TTL (48 * 3600) /* the confirmation link's life */
#define BROADCAST_TOPICS_MAX 32           /* topics one subscription or broadcast names */
#define BROADCAST_AREAS_MAX 32            /* areas one broadcast targets */
#define BROADCAST_SUBJECT_MAX 150         /* characters of a subject */
#define BROADCAST_BODY_MAX 8000           /* characters of a text */
#define BROADCAST_LIST_MAX 100            /* broadcasts the back office lists */
#define BROADCAST_TEMPLATE "broadcast"    /* templates/mail/broadcast.{txt,html} */
#define BROADCAST_CONFIRM_TEMPLATE "broadcast_confirm"
/* The portal's paths the e-mails link to (the token follows). */
#define BROADCAST_CONFIRM_PATH "/abonnements/confirmer?jeton="
#define BROADCAST_LEAVE_PATH "/abonnements/quitter/"
/* The portal's subscriptions page: the link a broadcast SMS ends with (no broadcast has a
 * public page of its own). */
#define BROADCAST_PAGE_PATH "/abonnements"

/* The tenant's topics by position (active_only: those offered to citizens); *out in a. */
int broadcast_topics(core *c, int64_t tenant_id, int active_only, arena *a, store_topic **out,
                     size_t *n, error *err);

#define BROADCAST_TOPIC_NAME_MAX 80         /* characters of a topic's name */
#define BROADCAST_TOPIC_DESCRIPTION_MAX 300 /* characters of its description */

/* An administrator's edit of topic t->id of tenant_id (name required, name_en, description,
 * description_en, active), audited ("change", "topic") in the same write. ERR_FORBIDDEN when
 * who is not an admin, ERR_MISSING_ARG or ERR_INVALID_ARG naming "name", "name_en",
 * "description" or "description_en", ERR_NOT_FOUND for a topic of no such id. who's agent
 * and source must outlive the job. cb NULL: waits. */
int broadcast_topic_update(core *c, int64_t tenant_id, const core_actor *who, const store_topic *t,
                           core_done_fn cb, void *ctx, error *err);

/* Parses a list of topic ids given by a form (decimal strings), each one of the tenant's
 * active topics, into ids (room for BROADCAST_TOPICS_MAX); *n how many. ERR_MISSING_ARG
 * "topics" when none, ERR_INVALID_ARG "topics" for an unknown one. */
int broadcast_pick_topics(core *c, int64_t tenant_id, const char *const *values, size_t n_values,
                          int64_t *ids, size_t *n, error *err);

/* Where a subscriber lives, for broadcasts that target areas: has 0 when not given. */
typedef struct broadcast_point {
    int has;
    double lat, lon;
} broadcast_point;

/* 1 when broadcast_subscribe takes email as an address (the same rule), so that a form
 * giving an address and a number checks both before writing either; 0 otherwise. */
int broadcast_email_ok(const char *email);
/* A subscription to ids[n] (broadcast_pick_topics) for e-mail address `email` (checked:
 * ERR_INVALID_ARG "email"), in language lang_code ("fr", "en"), of account account_id (0:
 * none), at point at (may be NULL: none; checked: ERR_INVALID_ARG "lat"): a pending
 * subscriber and the confirmation e-mail with its link (base_url followed by
 * BROADCAST_CONFIRM_PATH and the token), in one write job. The answer is the same whether or
 * not the address is subscribed already. cb NULL: waits. */
int broadcast_subscribe(core *c, int64_t tenant_id, const char *email, const char *lang_code,
                        const int64_t *ids, size_t n, int64_t account_id, const broadcast_point *at,
                        const char *base_url, core_done_fn cb, void *ctx, error *err);
/* What a subscription by number came to. */
typedef struct broadcast_sms_signup {
    int confirmed; /* 1: active at once (the logged-in account's own verified number) */
    /* Otherwise a code went by SMS: the subscription's handle, which the page that asks for
     * the code keeps (a hidden field) and gives back with it (broadcast_confirm_code). */
    char handle[64];
} broadcast_sms_signup;

/* A subscription to ids[n] for the mobile number phone (E.164: ERR_INVALID_ARG "phone"
 * otherwise), the other arguments as broadcast_subscribe's. A number that opted out of the
 * collectivité's SMS (STOP) is refused: ERR_CONFLICT "phone_opted_out". When account_id's
 * own number is phone and verified, the subscription is active at once (it replaces the
 * number's earlier one); otherwise it is pending and a code (core/phone_verify) goes to the
 * number in the same write job, valid PHONE_CODE_TTL_S. *out (must outlive the job) is set
 * before cb. cb NULL: waits. */
int broadcast_subscribe_sms(core *c, int64_t tenant_id, const char *phone, const char *lang_code,
                            const int64_t *ids, size_t n, int64_t account_id,
                            const broadcast_point *at, broadcast_sms_signup *out, core_done_fn cb,
                            void *ctx, error *err);
/* The code typed for the pending subscription of that handle: *out (set before cb; must
 * outlive the job) PHONE_VERIFIED (the subscription counts from now and replaces the
 * number's earlier one), PHONE_CODE_WRONG (counted), PHONE_CODE_SPENT (PHONE_CODE_ATTEMPTS
 * wrong entries) or PHONE_CODE_EXPIRED. At once: ERR_INVALID_ARG "code" when not
 * PHONE_CODE_DIGITS digits, ERR_NOT_FOUND "token" when no pending subscription by number has
 * that handle. cb NULL: waits. */
int broadcast_confirm_code(core *c, int64_t tenant_id, const char *handle, const char *code,
                           phone_verify_outcome *out, core_done_fn cb, void *ctx, error *err);
/* Spends a confirmation token: the subscription counts from now and replaces the address's
 * earlier one. ERR_NOT_FOUND when unknown or expired, ERR_CONFLICT "token" when spent. */
int broadcast_confirm(core *c, int64_t tenant_id, const char *token, core_done_fn cb, void *ctx,
                      error *err);
/* Ends the subscription of that leave token (the unsubscribe link's); 0 when it had ended
 * already, ERR_NOT_FOUND when there is none. */
int broadcast_leave(core *c, int64_t tenant_id, const char *leave_token, core_done_fn cb, void *ctx,
                    error *err);
/* 1 when t has the shape of a token this module makes (base64url, 43 characters). */
int broadcast_token_ok(const char *t);

/* Days an ended subscription (left, or never confirmed before its link expired) is kept:
 * long enough for its unsubscribe link to answer «already left» to a late click, then
 * its address or number goes. */
#define BROADCAST_ENDED_KEEP_DAYS 30
/* Deletes tenant_id's subscriptions ended more than BROADCAST_ENDED_KEEP_DAYS before `now`
 * (the retention pass's); *n (may be NULL) gets how many. Waits for its write. */
int broadcast_subscribers_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err);
/* Days a broadcast message keeps its recipient (an address or number) once its delivery
 * state settled: long enough for late delivery reports and bounces; then only its state
 * stays, for the broadcast's figures. */
#define BROADCAST_SENT_KEEP_DAYS 30
/* Erases the recipients of tenant_id's broadcast messages settled more than
 * BROADCAST_SENT_KEEP_DAYS before `now` (the retention pass's); *n (may be NULL) gets how
 * many. Waits for its write. */
int broadcast_recipients_forget(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err);

/* The active subscriptions of an address (NULL: none), of an account (its id; 0: none) and
 * by SMS to a number (NULL: none; the account's once verified: subscriptions made while
 * logged out are the account holder's too), each once; *out in a. */
int broadcast_subscriptions(core *c, int64_t tenant_id, const char *address, int64_t account_id,
                            const char *phone, arena *a, store_subscriber **out, size_t *n,
                            error *err);

/* What an agent writes. */
typedef struct broadcast_draft {
    const char *subject, *subject_en; /* subject_en may be empty: subject for everyone */
    const char *body, *body_en;
    int email, sms; /* channels */
    int64_t topics[BROADCAST_TOPICS_MAX];
    size_t n_topics;
    /* Areas (broadcast or quartier areas, core/area.h) it is limited to: only subscribers
     * who gave a point inside one of them get it. None: every subscriber of the topics. */
    int64_t areas[BROADCAST_AREAS_MAX];
    size_t n_areas;
} broadcast_draft;

/* Parses area ids given by a form into d->areas (each one of the tenant's broadcast or
 * quartier areas: ERR_INVALID_ARG "areas" otherwise). */
int broadcast_pick_areas(core *c, int64_t tenant_id, const char *const *values, size_t n_values,
                         broadcast_draft *d, error *err);
/* 1 when a subscriber at (has_point, lat, lon) is reached by a broadcast limited to
 * areas[n] (n 0: everyone); its areas are looked up once per call. */
int broadcast_reaches(core *c, int64_t tenant_id, const int64_t *areas, size_t n, int has_point,
                      double lat, double lon);

/* Checks d: ERR_MISSING_ARG or ERR_INVALID_ARG naming "subject", "body", "subject_en",
 * "body_en", "channels" or "topics". */
int broadcast_check(const broadcast_draft *d, error *err);
/* How many subscribers d would reach now. */
int broadcast_count(core *c, int64_t tenant_id, const broadcast_draft *d, int64_t *count,
                    error *err);
/* Sends d: the broadcast, its queuing job and the audit entry in one write job (who must be
 * an agent who may broadcast: ERR_FORBIDDEN; who's agent and source must outlive the job).
 * base_url: the portal's, for the unsubscribe links. *id_out (may be NULL; must outlive the
 * job): the broadcast's id. cb NULL: waits. */
int broadcast_send(core *c, int64_t tenant_id, const core_actor *who, const broadcast_draft *d,
                   const char *base_url, int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* The tenant's broadcasts, newest first, and one of them (ERR_NOT_FOUND), with its delivery
 * figures (*states in a). */
int broadcast_list(core *c, int64_t tenant_id, arena *a, store_broadcast **out, size_t *n,
                   error *err);
int broadcast_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_broadcast *out,
                  store_state_count **states, size_t *n_states, error *err);

/* Registers the queuing job's kind (core_open does it). */
int broadcast_register(core *c, error *err);

#endif

/*
 * broadcast — subscriptions (double opt-in, leave by link) and broadcasts queued in batches
 * by an exactly-once job, so that a broadcast of 20,000 is forty short write jobs between
 * the portal's own instead of one long transaction.
 */
#include "core/broadcast.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/account.h"
#include "core/area.h"
#include "core/audit.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "core/phone_verify.h"
#include "store/store.h"
#include "util/phone.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define TOKEN_LEN 43 /* core_new_secret's 32 random bytes in base64url */
#define LINK_MAX 600

int broadcast_token_ok(const char *t)
{
    if (!t || strlen(t) != TOKEN_LEN)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int broadcast_topics(core *c, int64_t tenant_id, int active_only, arena *a, store_topic **out,
                     size_t *n, error *err)
{
    return c->store->ops->broadcasts.topics(c->store, tenant_id, active_only, a, out, n, err);
}

int broadcast_pick_topics(core *c, int64_t tenant_id, const char *const *values, size_t n_values,
                          int64_t *ids, size_t *n, error *err)
{
    *n = 0;
    if (n_values == 0)
        return error_set(err, ERR_MISSING_ARG, "topics", "choose at least one topic");
    if (n_values > BROADCAST_TOPICS_MAX)
        return error_set(err, ERR_INVALID_ARG, "topics", "too many topics");
    arena a;
    arena_init(&a, 0);
    store_topic *topics = NULL;
    size_t nt = 0;
    int rc = broadcast_topics(c, tenant_id, 1, &a, &topics, &nt, err);
    for (size_t i = 0; rc == 0 && i < n_values; i++) {
        char *end = NULL;
        const char *v = values[i] ? values[i] : "";
        long long id = strtoll(v, &end, 10);
        size_t k = 0;
        while (k < nt && topics[k].id != id)
            k++;
        if (!*v || *end || k == nt) {
            rc = error_set(err, ERR_INVALID_ARG, "topics", "unknown topic");
            break;
        }
        size_t j = 0;
        while (j < *n && ids[j] != id)
            j++;
        if (j == *n)
            ids[(*n)++] = id;
    }
    arena_free(&a);
    return rc;
}

typedef struct topic_op {
    core_op op;
    store_topic t;
    core_actor who;
} topic_op;

static int apply_topic(store *s, core_op *op, error *err)
{
    topic_op *to = (topic_op *)op;
    if (s->ops->broadcasts.tx_topic_update(s, &to->t, err) != 0)
        return -1;
    return audit_append_who_tx(s, to->t.tenant_id, &to->who, "change", "topic", &to->t.id, 1, err);
}

static int text_check(const char *v, const char *arg, size_t max_chars, int required, error *err);

int broadcast_topic_update(core *c, int64_t tenant_id, const core_actor *who, const store_topic *t,
                           core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !perm_can_admin(who->agent))
        return error_set(err, ERR_FORBIDDEN, NULL, "only administrators edit topics");
    if (text_check(t->name, "name", BROADCAST_TOPIC_NAME_MAX, 1, err) != 0 ||
        text_check(t->name_en, "name_en", BROADCAST_TOPIC_NAME_MAX, 0, err) != 0 ||
        text_check(t->description, "description", BROADCAST_TOPIC_DESCRIPTION_MAX, 0, err) != 0 ||
        text_check(t->description_en, "description_en", BROADCAST_TOPIC_DESCRIPTION_MAX, 0, err) !=
            0)
        return -1;
    topic_op *to = core_op_new(sizeof *to, apply_topic);
    if (!to)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    arena *a = &to->op.a;
    to->who = *who;
    to->t = (store_topic){
        .id = t->id,
        .tenant_id = tenant_id,
        .name = arena_printf(a, "%s", t->name),
        .name_en = arena_printf(a, "%s", t->name_en ? t->name_en : ""),
        .description = arena_printf(a, "%s", t->description ? t->description : ""),
        .description_en = arena_printf(a, "%s", t->description_en ? t->description_en : ""),
        .active = t->active ? 1 : 0};
    return core_op_submit(c, to, cb, ctx, err);
}

/* ---- subscribing ---- */

typedef struct subscribe_op {
    core_op op;
    store_subscriber sub;
    int64_t topics[BROADCAST_TOPICS_MAX];
    char address[ACCOUNT_EMAIL_MAX + 1];
    char lang[3];
    char confirm_hash[65];
    char leave_token[64];
    char link[LINK_MAX];
} subscribe_op;

static int apply_subscribe(store *s, core_op *op, error *err)
{
    subscribe_op *so = (subscribe_op *)op;
    if (s->ops->broadcasts.tx_subscriber_insert(s, &so->sub, NULL, err) != 0)
        return -1;
    json_t *params = json_pack("{s:s}", "link", so->link);
    if (!params)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int rc = outbox_add_tx(s, so->sub.tenant_id, "email", so->address, BROADCAST_CONFIRM_TEMPLATE,
                           params, so->lang, 0, err);
    json_decref(params);
    return rc;
}

static void finish_subscribe(core_op *op, int *rc, error *err)
{
    (void)rc;
    (void)err;
    subscribe_op *so = (subscribe_op *)op;
    sodium_memzero(so->link, sizeof so->link);
}

/* What an e-mail and a number sign-up both check: the point given, and 1 to
 * BROADCAST_TOPICS_MAX topics. */
static int check_signup(const broadcast_point *at, size_t n, error *err)
{
    if (at && at->has && !(at->lat >= -90 && at->lat <= 90 && at->lon >= -180 && at->lon <= 180))
        return error_set(err, ERR_INVALID_ARG, "lat", "position out of range");
    if (n == 0)
        return error_set(err, ERR_MISSING_ARG, "topics", "choose at least one topic");
    if (n > BROADCAST_TOPICS_MAX)
        return error_set(err, ERR_INVALID_ARG, "topics", "too many topics");
    return 0;
}

/* The row both sign-ups write (the channel's address, its language, topics, account, point
 * and leave token), created now; the caller sets how it is confirmed. */
static void subscriber_row(store_subscriber *sub, int64_t tenant_id, const char *channel,
                           const char *address, const char *lang_code, const char *leave_token,
                           int64_t account_id, const int64_t *topics, size_t n,
                           const broadcast_point *at)
{
    *sub = (store_subscriber){.tenant_id = tenant_id,
                              .channel = channel,
                              .address = address,
                              .lang = lang_code,
                              .account_id = account_id,
                              .leave_token = leave_token,
                              .created_at = time_now(),
                              .topic_ids = topics,
                              .n_topics = n,
                              .has_point = at && at->has,
                              .lat = at && at->has ? at->lat : 0,
                              .lon = at && at->has ? at->lon : 0};
}

/* The address as subscribed (folded) in out; -1 when it is not one broadcasts take. */
static int subscribe_address(const char *email, char out[ACCOUNT_EMAIL_MAX + 1])
{
    return email && account_email_fold(email, out) == 0 && outbox_email_ok(out) ? 0 : -1;
}

int broadcast_email_ok(const char *email)
{
    char addr[ACCOUNT_EMAIL_MAX + 1];
    return subscribe_address(email, addr) == 0;
}

int broadcast_subscribe(core *c, int64_t tenant_id, const char *email, const char *lang_code,
                        const int64_t *ids, size_t n, int64_t account_id, const broadcast_point *at,
                        const char *base_url, core_done_fn cb, void *ctx, error *err)
{
    if (check_signup(at, n, err) != 0)
        return -1;
    char addr[ACCOUNT_EMAIL_MAX + 1];
    if (subscribe_address(email, addr) != 0)
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    subscribe_op *so = core_op_new(sizeof *so, apply_subscribe);
    if (!so)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    so->op.finish = finish_subscribe;
    memcpy(so->address, addr, sizeof addr);
    snprintf(so->lang, sizeof so->lang, "%s",
             lang_code && strcmp(lang_code, "en") == 0 ? "en" : "fr");
    memcpy(so->topics, ids, n * sizeof *ids);
    char token[64];
    core_new_secret("", token, sizeof token);
    core_hash_secret(c, token, so->confirm_hash);
    snprintf(so->link, sizeof so->link, "%s%s%s", base_url ? base_url : "", BROADCAST_CONFIRM_PATH,
             token);
    sodium_memzero(token, sizeof token);
    core_new_secret("", so->leave_token, sizeof so->leave_token);
    subscriber_row(&so->sub, tenant_id, "email", so->address, so->lang, so->leave_token, account_id,
                   so->topics, n, at);
    so->sub.confirm_hash = so->confirm_hash;
    so->sub.confirm_expires_at = so->sub.created_at + BROADCAST_CONFIRM_TTL;
    return core_op_submit(c, so, cb, ctx, err);
}

/* ---- subscribing by number ---- */

/* The key of a pending subscription's wrong codes (code_failures, scope "phone"). */
static const char *code_key(char *out, size_t size, int64_t subscriber_id)
{
    snprintf(out, size, "sub:%lld", (long long)subscriber_id);
    return out;
}

/* The code's subject (core/phone_verify): the subscription's handle, so that a code is good
 * for the one pending subscription it was sent for. */
static void sms_code_hash(const core *c, const char *handle, const char *phone, const char *code,
                          char out[65])
{
    char subject[80];
    snprintf(subject, sizeof subject, "sub:%s", handle);
    phone_code_hash(c, subject, phone, code, out);
}

typedef struct sms_subscribe_op {
    core_op op;
    store_subscriber sub;
    int64_t topics[BROADCAST_TOPICS_MAX];
    char phone[PHONE_E164_MAX];
    char lang[3];
    char confirm_hash[65];
    char leave_token[64];
    char code[PHONE_CODE_DIGITS + 1]; /* "": confirmed at once, no code */
    broadcast_sms_signup *out;        /* the caller's */
} sms_subscribe_op;

static int apply_subscribe_sms(store *s, core_op *op, error *err)
{
    sms_subscribe_op *so = (sms_subscribe_op *)op;
    int opted_out = 0;
    int64_t id = 0;
    if (s->ops->sms.opted_out(s, so->sub.tenant_id, so->phone, &opted_out, err) != 0)
        return -1;
    if (opted_out)
        return error_set(err, ERR_CONFLICT, "phone_opted_out", "the number sent STOP");
    if (s->ops->broadcasts.tx_subscriber_insert(s, &so->sub, &id, err) != 0)
        return -1;
    if (!so->code[0])
        return s->ops->broadcasts.tx_subscriber_confirm(s, so->sub.tenant_id, id,
                                                        so->sub.created_at, err);
    char key[32];
    return phone_code_send_tx(s, so->sub.tenant_id, code_key(key, sizeof key, id), so->phone,
                              so->code, so->lang, err);
}

static void finish_subscribe_sms(core_op *op, int *rc, error *err)
{
    (void)err;
    sms_subscribe_op *so = (sms_subscribe_op *)op;
    if (*rc == 0) {
        so->out->confirmed = !so->code[0];
        snprintf(so->out->handle, sizeof so->out->handle, "%s", so->code[0] ? so->leave_token : "");
    }
    sodium_memzero(so->code, sizeof so->code);
}

/* 1 when account_id's own number is phone and verified: its owner proved it already. */
static int verified_own(core *c, int64_t tenant_id, int64_t account_id, const char *phone)
{
    int64_t owner = 0;
    error err;
    return account_id && phone_verified_account(c, tenant_id, phone, &owner, &err) == 0 &&
           owner == account_id;
}

int broadcast_subscribe_sms(core *c, int64_t tenant_id, const char *phone, const char *lang_code,
                            const int64_t *ids, size_t n, int64_t account_id,
                            const broadcast_point *at, broadcast_sms_signup *out, core_done_fn cb,
                            void *ctx, error *err)
{
    if (check_signup(at, n, err) != 0)
        return -1;
    if (!phone || !phone_is_e164(phone))
        return error_set(err, ERR_INVALID_ARG, "phone", "not a number in E.164");
    sms_subscribe_op *so = core_op_new(sizeof *so, apply_subscribe_sms);
    if (!so)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    so->op.finish = finish_subscribe_sms;
    so->out = out;
    memset(out, 0, sizeof *out);
    snprintf(so->phone, sizeof so->phone, "%s", phone);
    snprintf(so->lang, sizeof so->lang, "%s",
             lang_code && strcmp(lang_code, "en") == 0 ? "en" : "fr");
    memcpy(so->topics, ids, n * sizeof *ids);
    core_new_secret("", so->leave_token, sizeof so->leave_token);
    int confirmed = verified_own(c, tenant_id, account_id, phone);
    if (!confirmed) {
        phone_code_new(so->code);
        sms_code_hash(c, so->leave_token, so->phone, so->code, so->confirm_hash);
    }
    subscriber_row(&so->sub, tenant_id, "sms", so->phone, so->lang, so->leave_token, account_id,
                   so->topics, n, at);
    so->sub.confirm_hash = confirmed ? NULL : so->confirm_hash;
    so->sub.confirm_expires_at = so->sub.created_at + PHONE_CODE_TTL_S;
    return core_op_submit(c, so, cb, ctx, err);
}

typedef struct code_confirm_op {
    core_op op;
    int64_t tenant_id, id;
    int expired;
    char hash[65];
    phone_verify_outcome *out; /* the caller's */
} code_confirm_op;

/* The code typed is the one sent for this subscription, still valid: it is confirmed. */
static int match_subscription(store *s, void *arg, int *matched, error *err)
{
    code_confirm_op *co = arg;
    store_subscriber sub;
    int found = 0;
    if (s->ops->broadcasts.tx_subscriber_by_confirm(s, co->tenant_id, co->hash, &co->op.a, &sub,
                                                    &found, err) != 0)
        return -1;
    int64_t now = time_now();
    *matched = found && sub.id == co->id && sub.confirm_expires_at >= now;
    return *matched ? s->ops->broadcasts.tx_subscriber_confirm(s, co->tenant_id, co->id, now, err)
                    : 0;
}

static int apply_confirm_code(store *s, core_op *op, error *err)
{
    code_confirm_op *co = (code_confirm_op *)op;
    if (co->expired) {
        *co->out = PHONE_CODE_EXPIRED;
        return 0;
    }
    char key[32];
    return phone_code_attempt_tx(s, co->tenant_id, code_key(key, sizeof key, co->id),
                                 match_subscription, co, co->out, err);
}

int broadcast_confirm_code(core *c, int64_t tenant_id, const char *handle, const char *code,
                           phone_verify_outcome *out, core_done_fn cb, void *ctx, error *err)
{
    char digits[PHONE_CODE_DIGITS + 1];
    if (!phone_code_read(code, digits))
        return error_set(err, ERR_INVALID_ARG, "code", "a code is %d digits", PHONE_CODE_DIGITS);
    if (!broadcast_token_ok(handle))
        return error_set(err, ERR_NOT_FOUND, "token", "no such subscription");
    code_confirm_op *co = core_op_new(sizeof *co, apply_confirm_code);
    if (!co)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    store_subscriber sub;
    int found = 0;
    if (c->store->ops->broadcasts.subscriber_by_leave(c->store, tenant_id, handle, &co->op.a, &sub,
                                                      &found, err) != 0) {
        core_op_free(co);
        return -1;
    }
    /* Only a pending subscription by number takes a code (an e-mail's is a link). */
    if (!found || strcmp(sub.channel, "sms") != 0 || sub.confirmed_at || sub.left_at ||
        !sub.confirm_hash) {
        core_op_free(co);
        return error_set(err, ERR_NOT_FOUND, "token", "no pending subscription by number");
    }
    co->tenant_id = tenant_id;
    co->id = sub.id;
    co->expired = sub.confirm_expires_at < time_now();
    co->out = out;
    *out = PHONE_CODE_WRONG;
    sms_code_hash(c, handle, sub.address, digits, co->hash);
    sodium_memzero(digits, sizeof digits);
    return core_op_submit(c, co, cb, ctx, err);
}

typedef struct confirm_op {
    core_op op;
    int64_t tenant_id;
    char hash[65];
} confirm_op;

static int apply_confirm(store *s, core_op *op, error *err)
{
    confirm_op *co = (confirm_op *)op;
    store_subscriber sub;
    int found = 0;
    if (s->ops->broadcasts.tx_subscriber_by_confirm(s, co->tenant_id, co->hash, &op->a, &sub,
                                                    &found, err) != 0)
        return -1;
    int64_t now = time_now();
    if (!found)
        /* Spent tokens lose their hash: a second use is told apart by nothing stored, so
         * «unknown» covers both; the page says the same for either. */
        return error_set(err, ERR_NOT_FOUND, "token", "unknown or spent confirmation link");
    if (sub.confirm_expires_at < now)
        return error_set(err, ERR_NOT_FOUND, "token", "expired confirmation link");
    return s->ops->broadcasts.tx_subscriber_confirm(s, co->tenant_id, sub.id, now, err);
}

int broadcast_confirm(core *c, int64_t tenant_id, const char *token, core_done_fn cb, void *ctx,
                      error *err)
{
    if (!broadcast_token_ok(token))
        return error_set(err, ERR_NOT_FOUND, "token", "malformed confirmation link");
    confirm_op *co = core_op_new(sizeof *co, apply_confirm);
    if (!co)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    co->tenant_id = tenant_id;
    core_hash_secret(c, token, co->hash);
    return core_op_submit(c, co, cb, ctx, err);
}

typedef struct leave_op {
    core_op op;
    int64_t tenant_id, id;
} leave_op;

static int apply_leave(store *s, core_op *op, error *err)
{
    leave_op *lo = (leave_op *)op;
    return s->ops->broadcasts.tx_subscriber_leave(s, lo->tenant_id, lo->id, time_now(), err);
}

int broadcast_subscribers_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err)
{
    return core_purge_before(c, c->store->ops->broadcasts.tx_subscribers_purge, tenant_id,
                             now - (int64_t)BROADCAST_ENDED_KEEP_DAYS * 86400, n, err);
}

int broadcast_recipients_forget(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err)
{
    return core_purge_before(c, c->store->ops->broadcasts.tx_recipients_forget, tenant_id,
                             now - (int64_t)BROADCAST_SENT_KEEP_DAYS * 86400, n, err);
}

int broadcast_leave(core *c, int64_t tenant_id, const char *leave_token, core_done_fn cb, void *ctx,
                    error *err)
{
    if (!broadcast_token_ok(leave_token))
        return error_set(err, ERR_NOT_FOUND, "token", "malformed unsubscribe link");
    leave_op *lo = core_op_new(sizeof *lo, apply_leave);
    if (!lo)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    store_subscriber sub;
    int found = 0;
    if (c->store->ops->broadcasts.subscriber_by_leave(c->store, tenant_id, leave_token, &lo->op.a,
                                                      &sub, &found, err) != 0) {
        core_op_free(lo);
        return -1;
    }
    if (!found) {
        core_op_free(lo);
        return error_set(err, ERR_NOT_FOUND, "token", "unknown unsubscribe link");
    }
    lo->tenant_id = tenant_id;
    lo->id = sub.id;
    return core_op_submit(c, lo, cb, ctx, err);
}

int broadcast_subscriptions(core *c, int64_t tenant_id, const char *address, int64_t account_id,
                            const char *phone, arena *a, store_subscriber **out, size_t *n,
                            error *err)
{
    return c->store->ops->broadcasts.subscribers_of(c->store, tenant_id, address, account_id, phone,
                                                    a, out, n, err);
}

/* ---- areas ---- */

/* The kinds of area a broadcast may target. */
static const area_kind target_kinds[] = {AREA_BROADCAST, AREA_QUARTIER};

int broadcast_pick_areas(core *c, int64_t tenant_id, const char *const *values, size_t n_values,
                         broadcast_draft *d, error *err)
{
    d->n_areas = 0;
    if (n_values > BROADCAST_AREAS_MAX)
        return error_set(err, ERR_INVALID_ARG, "areas", "too many areas");
    arena a;
    arena_init(&a, 0);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_values; i++) {
        char *end = NULL;
        const char *v = values[i] ? values[i] : "";
        long long id = strtoll(v, &end, 10);
        int known = 0;
        for (size_t k = 0; rc == 0 && !known && *v && !*end && k < 2; k++) {
            store_area *list = NULL;
            size_t n = 0;
            rc = area_list(c, tenant_id, target_kinds[k], &a, &list, &n, err);
            for (size_t j = 0; rc == 0 && j < n; j++)
                known |= list[j].id == id;
        }
        if (rc == 0 && !known)
            rc = error_set(err, ERR_INVALID_ARG, "areas", "unknown area");
        if (rc == 0)
            d->areas[d->n_areas++] = id;
    }
    arena_free(&a);
    return rc;
}

int broadcast_reaches(core *c, int64_t tenant_id, const int64_t *areas, size_t n, int has_point,
                      double lat, double lon)
{
    if (n == 0)
        return 1;
    if (!has_point)
        return 0;
    arena a;
    arena_init(&a, 0);
    int hit = 0;
    for (size_t k = 0; !hit && k < 2; k++) {
        area_hit hits[16];
        size_t nh = 0;
        error err;
        if (area_at(c, tenant_id, target_kinds[k], lat, lon, &a, hits, 16, &nh, &err) != 0)
            continue;
        for (size_t i = 0; !hit && i < nh; i++)
            for (size_t j = 0; !hit && j < n; j++)
                hit = hits[i].id == areas[j];
    }
    arena_free(&a);
    return hit;
}

/* The area ids of a stored broadcast (its JSON array) into out (at most BROADCAST_AREAS_MAX). */
static size_t areas_of(const char *json, int64_t *out)
{
    json_t *arr = json_loads(json ? json : "[]", 0, NULL);
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (n < BROADCAST_AREAS_MAX && json_is_integer(v))
            out[n++] = (int64_t)json_integer_value(v);
    }
    json_decref(arr);
    return n;
}

/* ---- writing a broadcast ---- */

static int text_check(const char *v, const char *arg, size_t max_chars, int required, error *err)
{
    size_t len = v ? strlen(v) : 0;
    if (!len)
        return required ? error_set(err, ERR_MISSING_ARG, arg, "%s is required", arg) : 0;
    if (!utf8_valid(v, len) || utf8_length(v, len) > max_chars)
        return error_set(err, ERR_INVALID_ARG, arg, "%s is too long", arg);
    return 0;
}

int broadcast_check(const broadcast_draft *d, error *err)
{
    if (text_check(d->subject, "subject", BROADCAST_SUBJECT_MAX, 1, err) != 0 ||
        text_check(d->body, "body", BROADCAST_BODY_MAX, 1, err) != 0 ||
        text_check(d->subject_en, "subject_en", BROADCAST_SUBJECT_MAX, 0, err) != 0 ||
        text_check(d->body_en, "body_en", BROADCAST_BODY_MAX, 0, err) != 0)
        return -1;
    /* A subject is one header line: no line break may smuggle another header in. */
    if (strpbrk(d->subject, "\r\n") || (d->subject_en && strpbrk(d->subject_en, "\r\n")))
        return error_set(err, ERR_INVALID_ARG, "subject", "a subject is one line");
    if (!d->email && !d->sms)
        return error_set(err, ERR_MISSING_ARG, "channels", "choose at least one channel");
    if (d->n_topics == 0)
        return error_set(err, ERR_MISSING_ARG, "topics", "choose at least one topic");
    return 0;
}

/* d's channels and topics as the JSON arrays the store filters on; caller frees both. */
static int targets_json(const broadcast_draft *d, char **channels, char **topics, error *err)
{
    json_t *ch = json_array(), *tp = json_array();
    if (ch && d->email)
        json_array_append_new(ch, json_string("email"));
    if (ch && d->sms)
        json_array_append_new(ch, json_string("sms"));
    for (size_t i = 0; tp && i < d->n_topics; i++)
        json_array_append_new(tp, json_integer(d->topics[i]));
    *channels = ch ? json_dumps(ch, JSON_COMPACT) : NULL;
    *topics = tp ? json_dumps(tp, JSON_COMPACT) : NULL;
    json_decref(ch);
    json_decref(tp);
    if (!*channels || !*topics) {
        free(*channels);
        free(*topics);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int broadcast_count(core *c, int64_t tenant_id, const broadcast_draft *d, int64_t *count,
                    error *err)
{
    *count = 0;
    char *channels = NULL, *topics = NULL;
    if (targets_json(d, &channels, &topics, err) != 0)
        return -1;
    /* Walked in pages of ids so that a count never holds one huge result in memory. */
    int64_t after = 0;
    int rc = 0;
    for (;;) {
        arena a;
        arena_init(&a, 0);
        store_subscriber *subs = NULL;
        size_t n = 0;
        rc = c->store->ops->broadcasts.recipients(c->store, tenant_id, channels, topics, after,
                                                  BROADCAST_BATCH * 4, &a, &subs, &n, err);
        if (rc == 0 && n > 0)
            after = subs[n - 1].id;
        for (size_t i = 0; rc == 0 && i < n; i++)
            *count += broadcast_reaches(c, tenant_id, d->areas, d->n_areas, subs[i].has_point,
                                        subs[i].lat, subs[i].lon);
        arena_free(&a);
        if (rc != 0 || n < BROADCAST_BATCH * 4)
            break;
    }
    free(channels);
    free(topics);
    return rc;
}

typedef struct send_op {
    core_op op;
    int64_t tenant_id;
    store_broadcast b;
    core_actor who;
    int64_t id;
    int64_t *id_out; /* the waiting caller's */
} send_op;

static int schedule_batch(store *s, int64_t tenant_id, int64_t id, int64_t cursor, int64_t due,
                          error *err)
{
    char key[JOBS_KEY_MAX];
    snprintf(key, sizeof key, "%lld:%lld", (long long)id, (long long)cursor);
    json_t *payload = json_pack("{s:I}", "broadcast_id", (json_int_t)id);
    if (!payload)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    int rc = jobs_schedule_tx(s, tenant_id, 0, BROADCAST_KIND, key, due, payload, NULL, err);
    json_decref(payload);
    return rc;
}

static int apply_send(store *s, core_op *op, error *err)
{
    send_op *so = (send_op *)op;
    if (s->ops->broadcasts.tx_broadcast_insert(s, &so->b, &so->id, err) != 0 ||
        schedule_batch(s, so->tenant_id, so->id, 0, so->b.created_at, err) != 0)
        return -1;
    return audit_append_who_tx(s, so->tenant_id, &so->who, "send", "broadcast", &so->id, 1, err);
}

/* The op is freed once its outcome is reported: the id goes out before. */
static void finish_send(core_op *op, int *rc, error *err)
{
    (void)err;
    send_op *so = (send_op *)op;
    if (*rc == 0 && so->id_out)
        *so->id_out = so->id;
}

static const char *arena_dup(arena *a, const char *v)
{
    return arena_printf(a, "%s", v ? v : "");
}

/* d's areas as a JSON array of ids, in a ("[]" when out of memory never happens: a is the
 * op's). */
static const char *areas_json(arena *a, const broadcast_draft *d)
{
    const char *out = "[";
    for (size_t i = 0; i < d->n_areas; i++)
        out = arena_printf(a, "%s%s%lld", out, i ? "," : "", (long long)d->areas[i]);
    return arena_printf(a, "%s]", out);
}

int broadcast_send(core *c, int64_t tenant_id, const core_actor *who, const broadcast_draft *d,
                   const char *base_url, int64_t *id_out, core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !perm_can_broadcast(who->agent))
        return error_set(err, ERR_FORBIDDEN, NULL, "only managers and administrators broadcast");
    if (broadcast_check(d, err) != 0)
        return -1;
    char *channels = NULL, *topics = NULL;
    if (targets_json(d, &channels, &topics, err) != 0)
        return -1;
    send_op *so = core_op_new(sizeof *so, apply_send);
    if (!so) {
        free(channels);
        free(topics);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    arena *a = &so->op.a;
    so->tenant_id = tenant_id;
    so->who = *who;
    so->b = (store_broadcast){.tenant_id = tenant_id,
                              .subject = arena_dup(a, d->subject),
                              .subject_en = arena_dup(a, d->subject_en),
                              .body = arena_dup(a, d->body),
                              .body_en = arena_dup(a, d->body_en),
                              .channels = arena_dup(a, channels),
                              .topics = arena_dup(a, topics),
                              .areas = areas_json(a, d),
                              .base_url = arena_dup(a, base_url),
                              .created_by = actor_audit_label(who, a),
                              .created_at = time_now()};
    free(channels);
    free(topics);
    so->op.finish = finish_send;
    so->id_out = id_out;
    return core_op_submit(c, so, cb, ctx, err);
}

/* ---- the queuing job ---- */

/* One batch: the next BROADCAST_BATCH recipients after the cursor, each message in its own
 * language with its own unsubscribe link; then either the next batch's job or the end. */
static int queue_run_tx(store *s, job_run *r, error *err)
{
    r->no_event = 1;
    json_t *payload = json_loads(r->job->payload ? r->job->payload : "{}", 0, NULL);
    int64_t id = (int64_t)json_integer_value(json_object_get(payload, "broadcast_id"));
    json_decref(payload);
    store_broadcast b;
    int found = 0;
    if (s->ops->broadcasts.tx_broadcast_get(s, r->job->tenant_id, id, r->a, &b, &found, err) != 0)
        return -1;
    if (!found || b.queued_at) {
        r->cancelled_why = "broadcast gone or queued already";
        return 0;
    }
    store_subscriber *subs = NULL;
    size_t n = 0;
    if (s->ops->broadcasts.tx_recipients(s, b.tenant_id, b.channels, b.topics, b.cursor,
                                         BROADCAST_BATCH, r->a, &subs, &n, err) != 0)
        return -1;
    int64_t areas[BROADCAST_AREAS_MAX];
    size_t n_areas = areas_of(b.areas, areas);
    int64_t queued = 0;
    for (size_t i = 0; i < n; i++) {
        if (!broadcast_reaches(r->core, b.tenant_id, areas, n_areas, subs[i].has_point, subs[i].lat,
                               subs[i].lon))
            continue;
        queued++;
        int en = subs[i].lang && strcmp(subs[i].lang, "en") == 0;
        const char *subject = en && b.subject_en && *b.subject_en ? b.subject_en : b.subject;
        const char *body = en && b.body_en && *b.body_en ? b.body_en : b.body;
        char link[LINK_MAX];
        json_t *params;
        if (strcmp(subs[i].channel, "sms") == 0) {
            /* An SMS is left by STOP, not a link: it ends with the subscriptions page, and the
             * dispatcher adds «STOP au NUMÉRO» when the gateway's sender takes answers. */
            snprintf(link, sizeof link, "%s%s", b.base_url, BROADCAST_PAGE_PATH);
            params = json_pack("{s:s, s:s, s:b}", "body", body, "link", link, "stop", 1);
        } else {
            snprintf(link, sizeof link, "%s%s%s", b.base_url, BROADCAST_LEAVE_PATH,
                     subs[i].leave_token);
            params = json_pack("{s:s, s:s, s:s}", "subject", subject, "body", body,
                               "unsubscribe_url", link);
        }
        if (!params)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        int rc = outbox_add_broadcast_tx(s, b.tenant_id, subs[i].channel, subs[i].address,
                                         BROADCAST_TEMPLATE, params, en ? "en" : "fr", b.id, err);
        json_decref(params);
        if (rc != 0)
            return -1;
    }
    int64_t cursor = n ? subs[n - 1].id : b.cursor;
    int more = n == BROADCAST_BATCH;
    if (s->ops->broadcasts.tx_broadcast_progress(s, b.id, cursor, queued, more ? 0 : r->now, err) !=
        0)
        return -1;
    return more ? schedule_batch(s, b.tenant_id, b.id, cursor, r->now, err) : 0;
}

static const job_handler queue_handler = {
    .kind = BROADCAST_KIND,
    .run_tx = queue_run_tx,
    .max_attempts = 10,
    .retry_base_s = 30,
    .retry_max_s = 3600,
};

int broadcast_register(core *c, error *err)
{
    return jobs_register(c, &queue_handler, err);
}

/* ---- reading ---- */

int broadcast_list(core *c, int64_t tenant_id, arena *a, store_broadcast **out, size_t *n,
                   error *err)
{
    return c->store->ops->broadcasts.broadcasts(c->store, tenant_id, BROADCAST_LIST_MAX, a, out, n,
                                                err);
}

int broadcast_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_broadcast *out,
                  store_state_count **states, size_t *n_states, error *err)
{
    int found = 0;
    if (c->store->ops->broadcasts.broadcast_get(c->store, tenant_id, id, a, out, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "broadcast", "no such broadcast");
    return c->store->ops->broadcasts.broadcast_states(c->store, id, a, states, n_states, err);
}

/*
 * sms — gateways and opt-outs (see sms.h).
 */
#include "core/sms.h"

#include <stdio.h>
#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/request.h"
#include "util/phone.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define SEAL_PURPOSE "sms"
#define SENDER_ALPHA_MAX 11 /* GSM 03.40: an alphanumeric originator */

int sms_gateway_get(core *c, int64_t tenant_id, arena *a, sms_gateway *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    store_sms_gateway g;
    if (c->store->ops->sms.gateway(c->store, tenant_id, a, &g, found, err) != 0 || !*found)
        return *found ? -1 : 0;
    size_t n = 0;
    if (seal_open(c, SEAL_PURPOSE, tenant_id, 0, g.password_sealed, out->password,
                  sizeof out->password - 1, &n) != 0)
        return error_set(err, ERR_INTERNAL, "password", "the SMS gateway's password does not open");
    out->password[n] = '\0';
    /* The key is sealed for owner 1, the password for 0: neither opens as the other. */
    if (g.dlr_key_sealed) {
        if (seal_open(c, SEAL_PURPOSE, tenant_id, 1, g.dlr_key_sealed, out->dlr_key,
                      sizeof out->dlr_key - 1, &n) != 0)
            return error_set(err, ERR_INTERNAL, "dlr_key", "the SMS gateway's key does not open");
        out->dlr_key[n] = '\0';
    }
    out->callback_base = g.callback_base;
    out->sendsms_url = g.sendsms_url;
    out->username = g.username;
    out->sender = g.sender;
    out->updated_at = g.updated_at;
    out->broadcast_rate = g.broadcast_rate;
    return 0;
}

int sms_broadcast_rate(core *c, int64_t tenant_id)
{
    arena a;
    arena_init(&a, 0);
    store_sms_gateway g;
    int found = 0;
    error err;
    int rate = SMS_BROADCAST_RATE_DEFAULT;
    if (c->store->ops->sms.gateway(c->store, tenant_id, &a, &g, &found, &err) == 0 && found &&
        g.broadcast_rate >= 1 && g.broadcast_rate <= SMS_BROADCAST_RATE_MAX)
        rate = g.broadcast_rate;
    arena_free(&a);
    return rate;
}

int sms_sender_is_number(const char *sender)
{
    if (!sender || !*sender)
        return 0;
    const char *p = sender[0] == '+' ? sender + 1 : sender;
    if (!*p)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

const char *sms_reply_number(core *c, int64_t tenant_id, arena *a)
{
    store_sms_gateway g;
    int found = 0;
    error err;
    if (c->store->ops->sms.gateway(c->store, tenant_id, a, &g, &found, &err) != 0 || !found ||
        !sms_sender_is_number(g.sender))
        return NULL;
    return g.sender;
}

/* The broadcast rate as typed: *out the number, 0 for none typed; -1 when not 1 to the max. */
static int rate_read(const char *v, int *out)
{
    *out = 0;
    if (!v || !*v)
        return 0;
    int n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > SMS_BROADCAST_RATE_MAX)
            return -1;
        n = n * 10 + (*p - '0');
    }
    if (n < 1 || n > SMS_BROADCAST_RATE_MAX)
        return -1;
    *out = n;
    return 0;
}

static int printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return 0;
    return 1;
}

static int sender_ok(const char *s)
{
    size_t n = strlen(s), digits = 0, alnum = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9')
            digits++;
        else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
            alnum++;
        else if (!(ch == '+' && i == 0))
            return 0;
    }
    if (s[0] == '+' || alnum == 0)
        return digits > 0 && digits <= SMS_SENDER_MAX; /* a number */
    return s[0] != '+' && n <= SENDER_ALPHA_MAX;
}

int sms_gateway_check(const sms_gateway_input *in, int had_password, error *err)
{
    const char *url = in->sendsms_url;
    if (!url || !*url)
        return error_set(err, ERR_MISSING_ARG, "sendsms_url", "the sendsms URL is required");
    if (strlen(url) > SMS_URL_MAX || !printable_ascii(url) ||
        !(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0) ||
        !url[strncmp(url, "http://", 7) == 0 ? 7 : 8])
        return error_set(err, ERR_INVALID_ARG, "sendsms_url",
                         "an http:// or https:// URL of at most %d characters", SMS_URL_MAX);
    if (!in->username || !*in->username)
        return error_set(err, ERR_MISSING_ARG, "username", "the sendsms user is required");
    if (strlen(in->username) > SMS_USERNAME_MAX || !printable_ascii(in->username))
        return error_set(err, ERR_INVALID_ARG, "username",
                         "at most %d printable ASCII characters, no blank", SMS_USERNAME_MAX);
    const char *pw = in->password;
    if ((!pw || !*pw) && !had_password)
        return error_set(err, ERR_MISSING_ARG, "password", "the sendsms password is required");
    if (pw && *pw &&
        (strlen(pw) > SMS_PASSWORD_MAX || !utf8_valid(pw, strlen(pw)) ||
         utf8_has_control(pw, strlen(pw)) || strpbrk(pw, "\t\r\n")))
        return error_set(err, ERR_INVALID_ARG, "password", "at most %d bytes, no control character",
                         SMS_PASSWORD_MAX);
    if (in->dlr_key && *in->dlr_key &&
        (strlen(in->dlr_key) > SMS_PASSWORD_MAX || !printable_ascii(in->dlr_key)))
        return error_set(err, ERR_INVALID_ARG, "dlr_key", "a gateway key as its page showed it");
    if (in->sender && *in->sender && !sender_ok(in->sender))
        return error_set(err, ERR_INVALID_ARG, "sender",
                         "letters and digits (at most %d) or a number (at most %d digits)",
                         SENDER_ALPHA_MAX, SMS_SENDER_MAX);
    int rate;
    if (rate_read(in->broadcast_rate, &rate) != 0)
        return error_set(err, ERR_INVALID_ARG, "broadcast_rate", "a whole number from 1 to %d",
                         SMS_BROADCAST_RATE_MAX);
    return 0;
}

/* The job's own copy of what is set. */
typedef struct put_arg {
    int64_t tenant_id;
    char url[SMS_URL_MAX + 1];
    char username[SMS_USERNAME_MAX + 1];
    char sender[SMS_SENDER_MAX + 1];
    char sealed[SEAL_TEXT_MAX];     /* "": keep the stored password */
    char key_sealed[SEAL_TEXT_MAX]; /* "": keep the stored key (or none) */
    char callback_base[SMS_URL_MAX + 1];
    int broadcast_rate; /* 0: the default */
} put_arg;

static int put_apply(store *s, void *arg, int64_t *id, error *err)
{
    put_arg *p = arg;
    store_sms_gateway g = {.tenant_id = p->tenant_id,
                           .sendsms_url = p->url,
                           .username = p->username,
                           .password_sealed = p->sealed,
                           .sender = p->sender[0] ? p->sender : NULL,
                           .callback_base = p->callback_base[0] ? p->callback_base : NULL,
                           .dlr_key_sealed = p->key_sealed[0] ? p->key_sealed : NULL,
                           .updated_at = time_now(),
                           .broadcast_rate = p->broadcast_rate};
    arena a;
    arena_init(&a, 0);
    store_sms_gateway old;
    int found = 0;
    int rc = s->ops->sms.gateway(s, p->tenant_id, &a, &old, &found, err);
    if (rc == 0 && !p->sealed[0] && !found)
        rc = error_set(err, ERR_MISSING_ARG, "password", "the sendsms password is required");
    if (rc == 0 && !p->sealed[0])
        g.password_sealed = old.password_sealed;
    if (rc == 0 && !p->key_sealed[0] && found)
        g.dlr_key_sealed = old.dlr_key_sealed;
    if (rc == 0)
        rc = s->ops->sms.tx_put_gateway(s, &g, err);
    arena_free(&a);
    *id = p->tenant_id;
    return rc;
}

static const change_def put_def = {.action = "admin", .kind = "sms_gateway", .apply = put_apply};

int sms_gateway_set(core *c, const core_actor *who, int64_t tenant_id, const sms_gateway_input *in,
                    core_done_fn cb, void *ctx, error *err)
{
    /* The stored password's presence is checked again in the job; here, a first set without
     * one is refused as early as a missing URL. */
    int has_pw = in->password && *in->password;
    if (sms_gateway_check(in, 1, err) != 0)
        return -1;
    put_arg p = {.tenant_id = tenant_id};
    snprintf(p.url, sizeof p.url, "%s", in->sendsms_url);
    snprintf(p.username, sizeof p.username, "%s", in->username);
    snprintf(p.sender, sizeof p.sender, "%s", in->sender ? in->sender : "");
    snprintf(p.callback_base, sizeof p.callback_base, "%s",
             in->callback_base ? in->callback_base : "");
    rate_read(in->broadcast_rate, &p.broadcast_rate);
    if (in->dlr_key && *in->dlr_key &&
        seal_text(c, SEAL_PURPOSE, tenant_id, 1, in->dlr_key, strlen(in->dlr_key), p.key_sealed,
                  sizeof p.key_sealed) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "cannot seal the key");
    if (has_pw && seal_text(c, SEAL_PURPOSE, tenant_id, 0, in->password, strlen(in->password),
                            p.sealed, sizeof p.sealed) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "cannot seal the password");
    return change_run(c, who, tenant_id, &put_def, &p, sizeof p, NULL, cb, ctx, err);
}

typedef struct opt_out_op {
    core_op op;
    int64_t tenant_id;
    char phone[PHONE_E164_MAX];
} opt_out_op;

/* STOP: no SMS any more, and the broadcasts' subscriptions of the number end with it (a
 * START later lets it subscribe again, not resume what it stopped). */
static int opt_out_apply(store *s, core_op *op, error *err)
{
    opt_out_op *o = (opt_out_op *)op;
    int64_t now = time_now();
    if (s->ops->sms.tx_opt_out(s, o->tenant_id, o->phone, now, err) != 0)
        return -1;
    return s->ops->broadcasts.tx_subscribers_leave_address(s, o->tenant_id, "sms", o->phone, now,
                                                           NULL, err);
}

static int opt_in_apply(store *s, core_op *op, error *err)
{
    opt_out_op *o = (opt_out_op *)op;
    return s->ops->sms.tx_opt_in(s, o->tenant_id, o->phone, err);
}

static int opt_submit(core *c, int64_t tenant_id, const char *phone,
                      int (*apply)(store *s, core_op *op, error *err), core_done_fn cb, void *ctx,
                      error *err)
{
    if (!phone_is_e164(phone))
        return error_set(err, ERR_INVALID_ARG, "phone", "an E.164 number is expected");
    opt_out_op *o = core_op_new(sizeof *o, apply);
    if (!o)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    o->tenant_id = tenant_id;
    snprintf(o->phone, sizeof o->phone, "%s", phone);
    return core_op_submit(c, o, cb, ctx, err);
}

int sms_opt_out(core *c, int64_t tenant_id, const char *phone, core_done_fn cb, void *ctx,
                error *err)
{
    return opt_submit(c, tenant_id, phone, opt_out_apply, cb, ctx, err);
}

int sms_opt_in(core *c, int64_t tenant_id, const char *phone, core_done_fn cb, void *ctx,
               error *err)
{
    return opt_submit(c, tenant_id, phone, opt_in_apply, cb, ctx, err);
}

int sms_opted_out(core *c, int64_t tenant_id, const char *phone, int *out, error *err)
{
    return c->store->ops->sms.opted_out(c->store, tenant_id, phone, out, err);
}

/* ---- SMS coming in ---- */

#define STOP_WORDS_MAX 32 /* bytes of a text that may still be a stop word */

/* text as sms_is_stop and sms_is_start read it into w (STOP_WORDS_MAX + 1 bytes):
 * upper-cased letters, one blank between words, Ê as E, final punctuation dropped; 0 when it
 * has another character or is too long to be a command. */
static int command_words(const char *text, char *w)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char ch;
        if (*p >= 'a' && *p <= 'z')
            ch = (char)(*p - 'a' + 'A');
        else if (*p >= 'A' && *p <= 'Z')
            ch = (char)*p;
        else if (p[0] == 0xC3 && (p[1] == 0x8A || p[1] == 0xAA)) { /* Ê ê */
            ch = 'E';
            p++;
        } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            if (n && w[n - 1] != ' ' && n < STOP_WORDS_MAX)
                w[n++] = ' ';
            continue;
        } else if (strchr(".!", *p)) {
            continue;
        } else {
            return 0;
        }
        if (n >= STOP_WORDS_MAX)
            return 0;
        w[n++] = ch;
    }
    while (n && w[n - 1] == ' ')
        n--;
    w[n] = '\0';
    return 1;
}

/* 1 when text reads as one of words[n]. */
static int command_is(const char *text, const char *const *words, size_t n)
{
    char w[STOP_WORDS_MAX + 1];
    if (!command_words(text, w))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, words[i]) == 0)
            return 1;
    return 0;
}

int sms_is_stop(const char *text)
{
    static const char *const words[] = {"STOP", "ARRET", "STOP SMS", "ARRET SMS", "STOPSMS"};
    return command_is(text, words, sizeof words / sizeof words[0]);
}

int sms_is_start(const char *text)
{
    static const char *const words[] = {"START", "START SMS", "STARTSMS"};
    return command_is(text, words, sizeof words / sizeof words[0]);
}

/* The first word of text shaped like a reference ("2026-000123"), into ref; 1 when found. */
static int reference_in(const char *text, char *ref, size_t size)
{
    for (const char *p = text; *p;) {
        size_t n = strspn(p, "0123456789-");
        if (n >= 6 && n < size && strchr(p, '-') && (size_t)(strchr(p, '-') - p) < n) {
            memcpy(ref, p, n);
            ref[n] = '\0';
            if (request_reference_ok(ref))
                return 1;
        }
        p += n ? n : 1;
    }
    return 0;
}

int sms_reply_target(core *c, const cat_tenant *t, const char *from, const char *text, char *ref,
                     size_t ref_size, error *err)
{
    arena a;
    arena_init(&a, 0);
    int found = 0;
    store_request r;
    error miss;
    if (reference_in(text, ref, ref_size) && request_get(c, t, ref, &a, &r, &miss) == 0 &&
        r.phone && strcmp(r.phone, from) == 0)
        found = 1;
    if (!found) {
        /* The number's newest open request: a range of the requests_phone index on the
         * stored E.164 form (as the caller lookup reads it), newest first. */
        store_request_filter f;
        memset(&f, 0, sizeof f);
        f.tenant_id = t->rec.id;
        f.phone = from;
        f.only_open = 1;
        f.limit = 1;
        store_request *rows = NULL;
        size_t n = 0;
        if (request_search(c, &f, &a, &rows, &n, err) != 0) {
            arena_free(&a);
            return -1;
        }
        if (n == 1) {
            snprintf(ref, ref_size, "%s", rows[0].reference);
            found = 1;
        }
    }
    arena_free(&a);
    return found;
}

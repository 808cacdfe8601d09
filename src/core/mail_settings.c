/*
 * mail_settings — checks, seals and writes a collectivité's e-mail settings; opens the
 * relay's password for the dispatcher.
 */
#include "core/mail_settings.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"
#include "core/outbox.h"
#include "core/seal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define SEAL_PURPOSE "smtp"

int mail_settings_url_parse(const char *url, int *implicit_tls, char *host, size_t cap,
                            size_t *auth_len)
{
    const char *rest;
    if (strncmp(url, "smtp://", 7) == 0) {
        *implicit_tls = 0;
        rest = url + 7;
    } else if (strncmp(url, "smtps://", 8) == 0) {
        *implicit_tls = 1;
        rest = url + 8;
    } else {
        return -1;
    }
    if (strlen(url) > MAIL_SETTINGS_URL_MAX)
        return -1;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return -1;
    size_t n = strcspn(rest, "/?#");
    if (n == 0 || n >= cap || memchr(rest, '@', n) || rest[n] == '?' || rest[n] == '#' ||
        strchr(rest + n, '?') || strchr(rest + n, '#'))
        return -1;
    memcpy(host, rest, n);
    host[n] = '\0';
    /* The port: digits after the last colon, a bracketed IPv6 address kept whole. */
    char *end = host[0] == '[' ? strchr(host, ']') : host;
    if (!end)
        return -1;
    char *colon = strrchr(end, ':');
    if (colon) {
        if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
            strlen(colon + 1) > 5)
            return -1;
        *colon = '\0';
    }
    if (!host[0])
        return -1;
    *auth_len = (size_t)(rest - url) + n;
    return 0;
}

/* Printable text without control characters, at most max bytes: 0 good, else the problem. */
static int text_problem(const char *s, size_t max, mail_problem_kind *kind)
{
    size_t n = strlen(s);
    if (n > max) {
        *kind = MAIL_PROBLEM_TOO_LONG;
        return -1;
    }
    if (!utf8_valid(s, n) || utf8_has_control(s, n)) {
        *kind = MAIL_PROBLEM_BAD;
        return -1;
    }
    return 0;
}

/* 1 when local can be the left side of an address (no "+": it separates the token). */
static int local_ok(const char *local)
{
    char probe[MAIL_SETTINGS_LOCAL_MAX + 16];
    if (strchr(local, '+') || strlen(local) > MAIL_SETTINGS_LOCAL_MAX)
        return 0;
    snprintf(probe, sizeof probe, "%s@example.org", local);
    return outbox_email_ok(probe);
}

static int domain_ok(const char *domain)
{
    char probe[MAIL_SETTINGS_ADDR_MAX + 8];
    int n = snprintf(probe, sizeof probe, "x@%s", domain);
    return n > 0 && (size_t)n < sizeof probe && outbox_email_ok(probe);
}

size_t mail_settings_check(const mail_settings_input *in, mail_settings_problem *out, size_t cap)
{
    size_t n = 0;
    mail_problem_kind kind;
#define PROBLEM(F, K)                                                                              \
    do {                                                                                           \
        if (n < cap)                                                                               \
            out[n] = (mail_settings_problem){.field = (F), .kind = (K)};                           \
        n++;                                                                                       \
    } while (0)
    if (*in->smtp_url) {
        int tls;
        char host[MAIL_SETTINGS_URL_MAX + 1];
        size_t auth;
        if (strlen(in->smtp_url) > MAIL_SETTINGS_URL_MAX)
            PROBLEM("smtp_url", MAIL_PROBLEM_TOO_LONG);
        else if (mail_settings_url_parse(in->smtp_url, &tls, host, sizeof host, &auth) != 0)
            PROBLEM("smtp_url", MAIL_PROBLEM_BAD);
    }
    if (text_problem(in->smtp_user, MAIL_SETTINGS_USER_MAX, &kind) != 0 ||
        (strchr(in->smtp_user, ' ') && (kind = MAIL_PROBLEM_BAD)))
        PROBLEM("smtp_user", kind);
    if (text_problem(in->smtp_password, MAIL_SETTINGS_PASSWORD_MAX, &kind) != 0)
        PROBLEM("smtp_password", kind);
    if (!*in->from_addr) {
        /* A relay of its own needs a sender the relay accepts: the server's may not be. */
        if (*in->smtp_url)
            PROBLEM("from_addr", MAIL_PROBLEM_REQUIRED);
    } else if (strlen(in->from_addr) > MAIL_SETTINGS_ADDR_MAX) {
        PROBLEM("from_addr", MAIL_PROBLEM_TOO_LONG);
    } else if (!outbox_email_ok(in->from_addr)) {
        PROBLEM("from_addr", MAIL_PROBLEM_BAD);
    }
    if (text_problem(in->from_name, MAIL_SETTINGS_NAME_MAX, &kind) != 0)
        PROBLEM("from_name", kind);
    if (*in->reply_local && !local_ok(in->reply_local))
        PROBLEM("reply_local", strlen(in->reply_local) > MAIL_SETTINGS_LOCAL_MAX
                                   ? MAIL_PROBLEM_TOO_LONG
                                   : MAIL_PROBLEM_BAD);
    else if (!*in->reply_local && *in->reply_domain)
        PROBLEM("reply_local", MAIL_PROBLEM_REQUIRED);
    if (*in->reply_domain && !domain_ok(in->reply_domain))
        PROBLEM("reply_domain", MAIL_PROBLEM_BAD);
    else if (!*in->reply_domain && *in->reply_local)
        PROBLEM("reply_domain", MAIL_PROBLEM_REQUIRED);
#undef PROBLEM
    return n;
}

static int get_settings(core *c, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
                        error *err)
{
    return c->store->ops->mail.get(c->store, tenant_id, a, out, found, err);
}

int mail_settings_get(core *c, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
                      error *err)
{
    return get_settings(c, tenant_id, a, out, found, err);
}

int mail_settings_open(core *c, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
                       error *err)
{
    if (get_settings(c, tenant_id, a, out, found, err) != 0)
        return -1;
    if (!*found || !out->smtp_password)
        return 0;
    char plain[MAIL_SETTINGS_PASSWORD_MAX + 1];
    size_t n = 0;
    if (seal_open(c, SEAL_PURPOSE, tenant_id, tenant_id, out->smtp_password, plain,
                  sizeof plain - 1, &n) != 0) {
        log_error("mail: the SMTP password of tenant %lld does not open (instance secret "
                  "changed?); the relay is tried without it",
                  (long long)tenant_id);
        out->smtp_password = NULL;
        return 0;
    }
    plain[n] = '\0';
    out->smtp_password = arena_strdup(a, plain);
    sodium_memzero(plain, sizeof plain);
    if (!out->smtp_password)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

/* The job's own copy of the settings (change_run copies it: no pointer to the caller's). */
typedef struct put_arg {
    int64_t tenant_id;
    int keep_password; /* 1: the stored password stays */
    char smtp_url[MAIL_SETTINGS_URL_MAX + 1];
    char smtp_user[MAIL_SETTINGS_USER_MAX + 1];
    char sealed[SEAL_TEXT_MAX];
    char from_addr[MAIL_SETTINGS_ADDR_MAX + 1];
    char from_name[MAIL_SETTINGS_NAME_MAX + 1];
    char reply_local[MAIL_SETTINGS_LOCAL_MAX + 1];
    char reply_domain[MAIL_SETTINGS_ADDR_MAX + 1];
} put_arg;

static const char *or_null(const char *s)
{
    return *s ? s : NULL;
}

static int put_apply(store *s, void *arg, int64_t *id, error *err)
{
    put_arg *p = arg;
    *id = p->tenant_id;
    store_mail_settings m = {
        .tenant_id = p->tenant_id,
        .smtp_url = or_null(p->smtp_url),
        .smtp_user = or_null(p->smtp_user),
        .smtp_password = or_null(p->sealed),
        .from_addr = or_null(p->from_addr),
        .from_name = or_null(p->from_name),
        .reply_local = or_null(p->reply_local),
        .reply_domain = or_null(p->reply_domain),
        .updated_at = time_now(),
    };
    arena a;
    arena_init(&a, 0);
    if (p->keep_password) {
        store_mail_settings old;
        int found = 0;
        if (s->ops->mail.get(s, p->tenant_id, &a, &old, &found, err) != 0) {
            arena_free(&a);
            return -1;
        }
        m.smtp_password = found ? old.smtp_password : NULL;
    }
    int rc = s->ops->mail.tx_put(s, &m, err);
    arena_free(&a);
    return rc;
}

static const change_def put_def = {.action = "admin", .kind = "mail", .apply = put_apply};

int mail_settings_set_as(core *c, const core_actor *who, int64_t tenant_id,
                         const mail_settings_input *in, core_done_fn cb, void *ctx, error *err)
{
    mail_settings_problem pb[1];
    if (mail_settings_check(in, pb, 1) > 0)
        return error_set(err, ERR_INVALID_ARG, pb[0].field, "%s is not valid", pb[0].field);
    put_arg *p = calloc(1, sizeof *p);
    if (!p)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    p->tenant_id = tenant_id;
    snprintf(p->smtp_url, sizeof p->smtp_url, "%s", in->smtp_url);
    snprintf(p->smtp_user, sizeof p->smtp_user, "%s", in->smtp_user);
    snprintf(p->from_addr, sizeof p->from_addr, "%s", in->from_addr);
    snprintf(p->from_name, sizeof p->from_name, "%s", in->from_name);
    snprintf(p->reply_local, sizeof p->reply_local, "%s", in->reply_local);
    snprintf(p->reply_domain, sizeof p->reply_domain, "%s", in->reply_domain);
    /* No user, no password; a user and nothing typed: the stored password stays. */
    if (*in->smtp_user && *in->smtp_password) {
        if (seal_text(c, SEAL_PURPOSE, tenant_id, tenant_id, in->smtp_password,
                      strlen(in->smtp_password), p->sealed, sizeof p->sealed) != 0) {
            free(p);
            return error_set(err, ERR_INTERNAL, NULL, "cannot seal the SMTP password");
        }
    } else if (*in->smtp_user) {
        p->keep_password = 1;
    }
    int rc = change_run(c, who, tenant_id, &put_def, p, sizeof *p, NULL, cb, ctx, err);
    sodium_memzero(p, sizeof *p);
    free(p);
    return rc;
}

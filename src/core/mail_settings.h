/*
 * mail_settings — a collectivité's own e-mail settings: the SMTP relay it sends through (which
 * wins over the server's --smtp-url), its sender address and name, the reply address its
 * messages' Reply-To is made of (local part + "+" + the request's reply token + "@" domain).
 * The contact addresses where citizens' new mail arrives are core/mail_contact's.
 * The relay's password is kept sealed (core/seal.h, purpose "smtp") and opened only for the
 * dispatcher. Changes are checked field by field and written with their "admin" audit entry.
 */
#ifndef GUICHET_CORE_MAIL_SETTINGS_H
#define GUICHET_CORE_MAIL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define MAIL_SETTINGS_URL_MAX 255
#define MAIL_SETTINGS_USER_MAX 128
#define MAIL_SETTINGS_PASSWORD_MAX 64 /* SEAL_PLAIN_MAX */
#define MAIL_SETTINGS_ADDR_MAX 254
#define MAIL_SETTINGS_NAME_MAX 100
/* Room left in a local part's 64 bytes for "+" and a reply token ("2026-000123." and 16 hex
 * characters). */
#define MAIL_SETTINGS_LOCAL_MAX 30
#define MAIL_SETTINGS_PROBLEMS_MAX 16

/* Checks an SMTP relay URL: smtp[s]://host[:port][/ehlo-name], no user part (credentials
 * are fields of their own), at most MAIL_SETTINGS_URL_MAX bytes, printable ASCII. On success
 * *implicit_tls is 1 for smtps://, host (cap bytes) holds the host without the port, and
 * *auth_len is the length of scheme + authority (the URL's path starts there). -1 otherwise. */
int mail_settings_url_parse(const char *url, int *implicit_tls, char *host, size_t cap,
                            size_t *auth_len);

/* What the back office's form gives (every field as typed, "" when empty). */
typedef struct mail_settings_input {
    const char *smtp_url, *smtp_user;
    const char *smtp_password; /* "": keep the stored one (dropped when smtp_user is "") */
    const char *from_addr, *from_name;
    const char *reply_local, *reply_domain;
} mail_settings_input;

typedef enum mail_problem_kind {
    MAIL_PROBLEM_REQUIRED,
    MAIL_PROBLEM_TOO_LONG,
    MAIL_PROBLEM_BAD,
} mail_problem_kind;

typedef struct mail_settings_problem {
    const char *field; /* the input's field name: "smtp_url", "from_addr"... */
    mail_problem_kind kind;
} mail_settings_problem;

/* Checks every field; fills out (cap entries) with at most one problem per field, in the
 * form's order, and returns how many there are (0: all good). */
size_t mail_settings_check(const mail_settings_input *in, mail_settings_problem *out, size_t cap);

/* The collectivité's settings as stored (the password still sealed; *found 0: none), or, with
 * mail_settings_open, with the password opened (for the dispatcher only; strings in a).
 * An unopenable password (the instance secret changed) reads as none, with a log line. */
int mail_settings_get(core *c, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
                      error *err);
int mail_settings_open(core *c, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
                       error *err);

/* Writes the settings of tenant_id as `who` (an admin) with the "admin" audit entry ("mail")
 * in one job (change_run's contract for cb/ctx). -1 with ERR_INVALID_ARG (arg: the first
 * field at fault) when mail_settings_check finds a problem. */
int mail_settings_set_as(core *c, const core_actor *who, int64_t tenant_id,
                         const mail_settings_input *in, core_done_fn cb, void *ctx, error *err);

#endif

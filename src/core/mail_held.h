/*
 * mail_held — incoming e-mail's state in core: the mail the MTA flagged as spam, held for an
 * administrator to accept (it is then handled as any mail) or delete, never acknowledged;
 * and a collectivité's contact addresses, each filing new mail under its own procedure.
 * The parsing and routing of mail is channels/mail/inbound's; this module keeps what they
 * need stored.
 */
#ifndef GUICHET_CORE_MAIL_HELD_H
#define GUICHET_CORE_MAIL_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"

#define MAIL_ADDRESS_MAX 254 /* bytes of a contact address (RFC 5321's path limit) */
#define MAIL_SPAM_HEADER_MAX 120

/* The header the MTA's filter sets on spam besides X-Spam-Flag: YES ("Name: value", the
 * server's --mail-spam-header), set once before serving; -1 when it is not "Name: value"
 * of printable ASCII within MAIL_SPAM_HEADER_MAX bytes. "" or NULL: none. */
int mail_set_spam_header(core *c, const char *header);
/* That header, "" when none. */
const char *mail_spam_header(const core *c);

/* Days a held message waits for an administrator unless the server-wide setting
 * mail_held_retention_days (7 to 90) says otherwise: held mail is personal data (a sender, a
 * subject, a whole message) and spam ages fast. */
#define MAIL_HELD_RETENTION_DAYS_DEFAULT 30

/* The days held mail is kept (the setting, or the default) into *days. */
int mail_held_retention_days(core *c, int *days, error *err);
/* Deletes tenant_id's held messages older than mail_held_retention_days at `now` (the
 * retention pass's, so that held mail goes also when no new one comes); *n (may be NULL)
 * gets how many. Waits for its write. */
int mail_held_purge(core *c, int64_t tenant_id, int64_t now, int64_t *n, error *err);

/* Holds one message (the system's write: the gateway is no admin): sender, subject (UTF-8,
 * may be "") and the raw bytes, which must stay valid until the outcome; in the same job,
 * the collectivité's held messages past mail_held_retention_days are deleted. Asynchronous
 * as change_run (core/change.h): cb NULL waits. */
int mail_held_add(core *c, int64_t tenant_id, const char *sender, const char *subject,
                  const char *message, size_t len, core_done_fn cb, void *ctx, error *err);
/* tenant_id's held messages, newest first, without their bytes (strings in a). */
int mail_held_list(core *c, int64_t tenant_id, arena *a, store_mail_held **out, size_t *n,
                   error *err);
/* One held message with its bytes; ERR_NOT_FOUND when absent or of another tenant. */
int mail_held_get(core *c, int64_t tenant_id, int64_t id, arena *a, store_mail_held *out,
                  error *err);
/* Deletes held message id (an admin's change, audited); ERR_NOT_FOUND when absent.
 * Asynchronous as change_run. */
int mail_held_delete_as(core *c, const core_actor *who, int64_t tenant_id, int64_t id,
                        core_done_fn cb, void *ctx, error *err);

/* An address as contact addresses are kept: trimmed, lowercased, its "+tag" removed; 0 and
 * out (cap bytes), -1 when it is not one local@domain of at most MAIL_ADDRESS_MAX bytes. */
int mail_address_normalise(const char *in, char *out, size_t cap);
/* 1 when new mail can be filed under p: active, and none of its questions an e-mail cannot
 * answer is required (files and locations aside, which no e-mail entrance asks). */
int mail_procedure_ok(const cat_procedure *p);
/* tenant_id's contact addresses with their procedures (strings in a). */
int mail_address_list(core *c, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                      error *err);
/* The procedure new mail to one of addrs[0..n) is filed under: the first address that has
 * one that is mail_procedure_ok; NULL when none. */
const cat_procedure *mail_address_procedure(core *c, const cat_tenant *t, const char *const *addrs,
                                            size_t n);
/* Sets the procedure of a contact address (an admin's change, audited): ERR_INVALID_ARG
 * naming "address" (not an address) or "procedure" (not one of t's, or not
 * mail_procedure_ok). Asynchronous as
 * change_run; address and procedure strings are copied. */
int mail_address_set_as(core *c, const core_actor *who, const cat_tenant *t, const char *address,
                        const char *procedure_code, core_done_fn cb, void *ctx, error *err);
/* Removes a contact address's procedure (mail to it then goes to the default procedure);
 * ERR_NOT_FOUND when it had none. Asynchronous as change_run. */
int mail_address_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *address,
                           core_done_fn cb, void *ctx, error *err);

#endif

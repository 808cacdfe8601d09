/*
 * mail_held — incoming e-mail's state in core: the mail the MTA flagged as spam, held for an
 * administrator to accept (it is then handled as any mail) or delete, never acknowledged
 * (the contact addresses mail arrives at are core/mail_contact's).
 * The parsing and routing of mail is channels/mail/inbound's; this module keeps what they
 * need stored.
 */
#ifndef GUICHET_CORE_MAIL_HELD_H
#define GUICHET_CORE_MAIL_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "store/records.h"

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

#endif

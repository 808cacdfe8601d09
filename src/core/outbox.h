/*
 * outbox — messages to citizens (e-mail now, SMS with the channels issue). A message is a row
 * written in the same transaction as the change that causes it (outbox_add_tx, from a write
 * job) or on its own (outbox_add); the mail dispatcher (channels/mail) renders its template
 * and sends it later, with retries. An outage of the relay delays mail and loses none.
 */
#ifndef GUICHET_CORE_OUTBOX_H
#define GUICHET_CORE_OUTBOX_H

#include <jansson.h>
#include <stdint.h>

#include "core/core.h"
#include "store/records.h"
#include "util/error.h"

/* Mail templates (templates/mail/NAME.txt and NAME.html, fr and en strings in the i18n
 * files under "mail.NAME") and the params each expects:
 *   request_ack    reference, procedure, tracking_url, service_notice, due_date
 *   account_verify name, link
 *   account_exists link (login page: someone tried to sign up with this address)
 *   account_reset  link
 *   account_login  link
 *   request_reply  reference, procedure, message, tracking_url
 *   request_status reference, procedure, status_label, note, tracking_url
 * Every template also receives "tenant" (name, contact) from the dispatcher. */

/* Queues a message from inside a write job (same transaction as the change). params is
 * copied (serialised); the caller keeps its reference. */
int outbox_add_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                  const char *template_name, json_t *params, const char *lang_code,
                  int64_t request_id, error *err);
/* Queues a message in a transaction of its own and waits for it. */
int outbox_add(core *c, int64_t tenant_id, const char *channel, const char *recipient,
               const char *template_name, json_t *params, const char *lang_code,
               int64_t request_id, error *err);

#endif

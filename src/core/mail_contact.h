/*
 * mail_contact — a collectivité's contact addresses: where citizens' new mail arrives, each
 * address one collectivité's across the instance (the mail gateway finds the collectivité of
 * a message from its recipients here when its URL names none), with the procedure new mail
 * to it is filed under (none: «Question générale»). Changes are an admin's, checked and
 * written with their "admin" audit entry.
 */
#ifndef GUICHET_CORE_MAIL_CONTACT_H
#define GUICHET_CORE_MAIL_CONTACT_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define MAIL_ADDRESS_MAX 254 /* bytes of a contact address (RFC 5321's path limit) */
#define MAIL_CONTACTS_MAX 50 /* contact addresses of one collectivité */

/* An address as contact addresses are kept and compared: trimmed, lowercased, its "+tag"
 * removed (a reply token's, or a sender's own); 0 and out (cap bytes), -1 when it is not one
 * local@domain of at most MAIL_ADDRESS_MAX bytes. */
int mail_contact_normalise(const char *in, char *out, size_t cap);
/* 1 when new mail can be filed under p: active, and none of its questions an e-mail cannot
 * answer is required (files and locations aside, which no e-mail entrance asks). */
int mail_contact_procedure_ok(const cat_procedure *p);

/* tenant_id's contact addresses with their procedures, by address (strings in a). */
int mail_contact_list(core *c, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                      error *err);
/* The collectivité a message to addrs[0..n) (as written: normalised here) is for: `prefer`
 * when one of them is a contact address of prefer's (a message to two collectivités is
 * each one's), else the collectivité of the first that is a contact address; *tenant_id 0
 * when none is. prefer 0: none. */
int mail_contact_tenant(core *c, const char *const *addrs, size_t n, int64_t prefer,
                        int64_t *tenant_id, error *err);
/* The procedure new mail to one of addrs[0..n) is filed under: that of the first of t's
 * contact addresses among them that has one that is mail_contact_procedure_ok; NULL when
 * none (the caller's default). An unreadable list is logged and reads as none. */
const cat_procedure *mail_contact_procedure(core *c, const cat_tenant *t, const char *const *addrs,
                                            size_t n);

/* Adds a contact address of t, or changes its procedure when it is already t's (an admin's
 * change, audited). procedure_code NULL or "": the default. -1 at once with ERR_INVALID_ARG
 * naming "address" (not one address, or a "+" in it: the "+" carries reply tokens) or
 * "procedure" (not one of t's that mail_contact_procedure_ok). The outcome is ERR_CONFLICT
 * naming "address" when another collectivité has it, or "count" when t has
 * MAIL_CONTACTS_MAX already. Asynchronous as change_run (cb NULL waits); strings copied. */
int mail_contact_set_as(core *c, const core_actor *who, const cat_tenant *t, const char *address,
                        const char *procedure_code, core_done_fn cb, void *ctx, error *err);
/* Removes one of tenant_id's contact addresses; ERR_NOT_FOUND when it is not one. */
int mail_contact_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *address,
                           core_done_fn cb, void *ctx, error *err);

#endif

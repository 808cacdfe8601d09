/*
 * procedure_key — what the e-mail contact addresses (mail_contact.h) and the SMS keywords
 * (sms_keyword.h) share, private to core: a key an entrance reads (an address, a word), folded
 * by its owner, that files a bare text under one procedure of the collectivité; an admin adds
 * and removes keys, each change one job with its audit entry (core/change.h). The contact
 * addresses share the rule only: their add has checks of its own (one collectivité per address
 * across the instance, a limit), made in the same write.
 */
#ifndef GUICHET_CORE_PROCEDURE_KEY_H
#define GUICHET_CORE_PROCEDURE_KEY_H

#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/change.h"
#include "core/core.h"

#define PROCEDURE_KEY_MAX 254 /* bytes of a folded key: the longest, a contact address */

/* 1 when p is active and a request with a text alone (no answer, no file, no place) passes
 * its questions: what a bare e-mail or SMS can file. */
int procedure_key_text_ok(const cat_procedure *p);

/* A key's row as its change job carries it (change_run copies it whole, key included). */
typedef struct procedure_key {
    int64_t tenant_id;
    int64_t procedure_id; /* set by procedure_key_add; 0 in a removal */
    char key[PROCEDURE_KEY_MAX + 1];
} procedure_key;

/* Adds k (tenant_id t's, its key folded) under t's procedure procedure_code, as the admin
 * change def: refused with ERR_INVALID_ARG naming "procedure" (detail why) when t has no
 * such procedure or ok(p) is 0. Answers as change_run. */
int procedure_key_add(core *c, const core_actor *who, const cat_tenant *t, const change_def *def,
                      procedure_key *k, const char *procedure_code,
                      int (*ok)(const cat_procedure *p), const char *why, core_done_fn cb,
                      void *ctx, error *err);

#endif

/*
 * caller — who is calling: from a telephone number typed in any form (or given by a telephony
 * system's screen-pop), the caller's requests in the collectivité and their contact card (the
 * accounts with that number, the name and e-mail given on their latest request), as the actor
 * may see them. Every lookup that finds something is audited as a search of personal data.
 */
#ifndef GUICHET_CORE_CALLER_H
#define GUICHET_CORE_CALLER_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/phone.h"

/* Most requests a lookup returns (the most recent ones); the count says how many there are. */
#define CALLER_REQUESTS_MAX 50
/* Most accounts of one number shown (a household may share one). */
#define CALLER_ACCOUNTS_MAX 10

typedef struct caller_card {
    char phone[PHONE_E164_MAX]; /* the number as stored: "+33612345678" */
    /* The requests with that number the actor may see, most recent first (at most
     * CALLER_REQUESTS_MAX), and how many there are in all. */
    store_request *requests;
    size_t n_requests;
    int64_t count;
    /* Citizens' accounts with that number (whatever the actor's scope on requests: the
     * account is the caller's own card). */
    store_account *accounts;
    size_t n_accounts;
    /* The name and e-mail given on the latest request above; NULL when none. */
    const char *first_name, *last_name, *email;
} caller_card;

/* Looks the caller of number `tel` up in tenant t for `who`: an agent (their scope, per
 * core/perm) or an API key of the mairie (the whole collectivité). Strings and arrays in a.
 * -1 with ERR_INVALID_ARG on "phone" when tel is not a number (phone_e164's problem in
 * *problem, may be NULL, so that pages word it), ERR_FORBIDDEN for any other actor. An
 * unknown number is no error: an empty card. The requests and accounts read are recorded
 * in the audit log ("search" on "request" and on "account", with their ids). */
int caller_lookup(core *c, const cat_tenant *t, const core_actor *who, const char *tel, arena *a,
                  caller_card *out, phone_result *problem, error *err);

#endif

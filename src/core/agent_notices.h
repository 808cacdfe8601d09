/*
 * agent_notices — agents told of the requests filed in their departments, by e-mail, as each
 * chose: at once (one message every AGENT_NOTICES_PERIOD seconds at most, listing the
 * requests filed meanwhile) or once a day (a digest at AGENT_DIGEST_HOUR, the collectivité's
 * time, of the last 24 hours), or not at all. The messages name requests by reference,
 * procedure and department only: no personal data leaves by them.
 *
 * Both are exactly-once jobs (core/jobs.h), so that a crash neither loses nor repeats a
 * notice. Filing a request schedules the job of its period (one row per collectivité and
 * period, whatever the number of requests), and only when the catalogue says someone wants
 * notices at once: a collectivité where nobody does pays nothing per request. The digest is
 * scheduled by the choice of it and by each digest for the next day, while anyone wants it.
 */
#ifndef GUICHET_CORE_AGENT_NOTICES_H
#define GUICHET_CORE_AGENT_NOTICES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/store.h"
#include "util/error.h"

#define AGENT_NOTICES_KIND "agent_notices"
#define AGENT_DIGEST_KIND "agent_digest"
#define AGENT_NOTICES_PERIOD 300 /* seconds a notice at once waits to gather requests */
#define AGENT_NOTICES_DELAY 30   /* after its period's end: requests filed at its last second */
#define AGENT_DIGEST_HOUR 7      /* the digest's local hour */
#define AGENT_NOTICES_LISTED 50  /* requests one message lists by reference at most */

/* The back office's page of a request: base URL, this, the reference. */
#define AGENT_REQUEST_PATH "/agent/demandes/"

/* Sets member `key` of params to the back office link of request `reference`: base (a base
 * URL, core_base_url's) followed by AGENT_REQUEST_PATH and the reference. base NULL or "":
 * nothing set (no configured URL: the e-mail goes without a link). -1 when out of memory. */
int agent_link_put(json_t *params, const char *key, const char *base, const char *reference);
/* agent_link_put with "link" and the base URL of collectivité t (core_base_url): what agents'
 * e-mails about one request carry («Ouvrir la demande : …»). */
int agent_link_set(core *c, const cat_tenant *t, json_t *params, const char *reference);

/* An agent's choice. */
typedef enum agent_notice_mode {
    AGENT_NOTICE_NONE = 0,
    AGENT_NOTICE_IMMEDIATE,
    AGENT_NOTICE_DIGEST,
} agent_notice_mode;

/* "none", "immediate", "digest". */
const char *agent_notice_mode_name(agent_notice_mode m);
/* Parses a name; -1 when unknown. */
int agent_notice_mode_parse(const char *name, agent_notice_mode *out);

/* Registers both job kinds on c (core_open does). */
int agent_notices_register(core *c, error *err);

/* The agent's choice (AGENT_NOTICE_NONE when never made). */
int agent_notices_get(core *c, int64_t tenant_id, int64_t agent_id, agent_notice_mode *out,
                      error *err);

/* The agent `who` sets their own choice; the digest's next run is scheduled when it is
 * chosen. cb NULL: waits for the commit; otherwise 0 at once and cb(ctx, rc, err) once
 * durable. ERR_FORBIDDEN for anyone but an agent. */
int agent_notices_set(core *c, const core_actor *who, agent_notice_mode mode, core_done_fn cb,
                      void *ctx, error *err);

/* Inside a request's creation: schedules the notice job of the period holding created_at
 * when immediate (the collectivité's count of agents wanting notices at once, from the
 * catalogue) is not 0. */
int agent_notices_on_create_tx(store *s, int64_t tenant_id, int immediate, int64_t created_at,
                               error *err);

/* The next digest time after `now` in zone tz: AGENT_DIGEST_HOUR o'clock local. */
int64_t agent_notices_next_digest(int64_t now, const char *tz);

#endif

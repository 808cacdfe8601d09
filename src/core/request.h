/*
 * request — one case from any channel: creation (the single request_create for every
 * entrance), reads, status/assignee/priority changes and notes. Every change writes a timeline
 * event and moves updated_at. Writes go through the store's group-commit writer: with a
 * callback they return at once and the callback fires once the change is durable; without
 * one (cb NULL) they wait.
 */
#ifndef GUICHET_CORE_REQUEST_H
#define GUICHET_CORE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/routing.h"
#include "store/records.h"

typedef enum channel {
    CHANNEL_WEB = 0,
    CHANNEL_MOBILE,
    CHANNEL_EMAIL,
    CHANNEL_SMS,
    CHANNEL_PHONE,
    CHANNEL_COUNTER,
    CHANNEL_POST,
    CHANNEL_API,
    CHANNEL_COUNT
} channel;

const char *channel_name(channel ch);
int channel_parse(const char *name, channel *out);

#define REQUEST_DESCRIPTION_MAX 20000 /* characters, any channel */
#define REQUEST_FIELD_MAX 500         /* characters: names, address, e-mail, phone, ids */

typedef struct request_input {
    const cat_tenant *tenant;       /* required */
    const cat_procedure *procedure; /* required */
    channel ch;
    const char *description; /* may be NULL */
    size_t description_max;  /* characters; 0: REQUEST_DESCRIPTION_MAX */
    int has_location;
    double lat, lon;
    const char *address, *address_id, *zipcode;
    const attr_input *attrs;
    size_t n_attrs;
    int ignore_unknown_attrs; /* 1: codes the procedure does not define are dropped, logged */
    int attr_files;           /* 1: the files its file questions name are among `attachments` (the
                                 portal's form; attrs_policy.files) */
    int attr_locations;       /* 1: the entrance asks its location questions (the portal's and
                                 the counter's forms; attrs_policy.locations) */
    const char *first_name, *last_name, *email, *phone;
    const char *device_id, *account_id, *media_url;
    const core_actor *who;       /* who files it (creation event, audit); NULL: a citizen */
    int64_t api_key_id;          /* 0: none */
    const char *idempotency_key; /* with api_key_id: a retry returns the first result */
    int require_location;        /* 1: lat/long, address or address_id needed (incidents) */
    /* Portal: the citizen's account (0: none), the channel for news (email, sms, none;
     * NULL: email when an e-mail is given), prepared attachments (core/attachment.h) saved
     * with the request, and — when ack_base_url is set and an e-mail given — an
     * acknowledgement e-mail queued in the same transaction, whose tracking link starts with
     * ack_base_url. */
    int64_t citizen_id;
    const char *notify;
    store_attachment *attachments;
    size_t n_attachments;
    const char *ack_base_url;
    /* The request's language, kept with it: every message about it (the acknowledgement,
     * replies) is written in it. "en" for English; anything else, NULL included, French. */
    const char *lang_code;
    /* The department chosen by whoever files it (an agent's intake); 0: the routing rules
     * decide (core/routing.h), and the timeline says which rule did. */
    int64_t department_id;
    /* The e-mail entrance: the quoted history and signature folded away from the
     * description, kept as an internal "mail_history" event (the back office shows it
     * collapsed); and the reference the mail's subject cited when its sender is not that
     * request's contact, an internal "mail_cites" event for an agent to link them. NULL:
     * none. */
    const char *mail_history;
    const char *mail_cites;
    /* The SMS entrance: the text of a report whose address the list did not find, an
     * internal "sms_unplaced" event asking an agent to place the request. NULL: none. */
    const char *sms_unplaced;
    /* The post room's letter it is filed from (core/courrier.h): marked filed in the
     * request's own transaction, which fails with ERR_CONFLICT when another agent filed,
     * linked or discarded it first; 0: none. */
    int64_t post_letter_id;
    /* Imports and the demo only: history. 0/NULL for "now" and the defaults. */
    int64_t created_at;
    const char *initial_status;
} request_input;

typedef struct request_created {
    char reference[24];
    char token[64]; /* the citizen's secret tracking token, in clear: shown once, "" when
                       the result is a replay of an earlier idempotent POST */
    char short_code[12]; /* the short tracking code (core/short_code.h), canonical, in
                            clear: shown once, "" with the token */
    int64_t id;
    int replayed; /* 1: an earlier request with the same idempotency key */
} request_created;

/* Validates `in` at once (-1 with err: ERR_INVALID_ARG/ERR_MISSING_ARG naming the argument,
 * e.g. "lat", "description", "attribute[taille]"). Then writes the request, its creation
 * event and, when `in->who` is audited, its audit entry ("create" on "request") in one
 * transaction; `out` (which must stay valid until cb) is filled before cb(ctx, 0, NULL). With cb
 * NULL, waits and returns the outcome. Input strings are copied: they may go away after
 * this call returns. */
int request_create(core *c, const request_input *in, request_created *out, core_done_fn cb,
                   void *ctx, error *err);

/* Longest reference a request may have (request_created.reference holds it and its NUL). */
#define REQUEST_REFERENCE_MAX 23
/* 1 when s has the shape of a reference (1 to REQUEST_REFERENCE_MAX letters, digits and
 * dashes): what entrances check before asking for it, so that nothing else reaches a lookup. */
int request_reference_ok(const char *s);

/* The request `reference` of tenant t (strings in a); -1 with ERR_NOT_FOUND when absent. */
int request_get(core *c, const cat_tenant *t, const char *reference, arena *a,
                store_request *out, error *err);
/* The request of id `id` of tenant t (the entrances that find a request by a message about
 * it: the e-mail gateway); -1 with ERR_NOT_FOUND when absent or of another tenant. */
int request_get_by_id(core *c, const cat_tenant *t, int64_t id, arena *a, store_request *out,
                      error *err);
/* The same as `who` may see it: for an agent, ERR_NOT_FOUND too when the request is outside
 * their scope (perm_can_view), so that an entrance cannot tell it from an unknown one. */
int request_get_as(core *c, const cat_tenant *t, const core_actor *who, const char *reference,
                   arena *a, store_request *out, error *err);
int request_search(core *c, const store_request_filter *f, arena *a, store_request **out,
                   size_t *n, error *err);
int request_count(core *c, const store_request_filter *f, int64_t *count, error *err);
/* How many requests each procedure of tenant t received over the `days` days up to now
 * (today's UTC day included), from the counts the store keeps per day: cheap at any number
 * of requests. Procedures with none are left out; *out in a, any order. */
int request_procedure_counts(core *c, const cat_tenant *t, int days, arena *a,
                             store_procedure_count **out, size_t *n, error *err);
/* request_search and request_count for a text search in the default order (newest first,
 * offset paging), walked year by year from the newest (request_search.c): they stop when the
 * page is full (the count at its cap) or, between two years, once the core's search budget
 * is spent (core_set_search_budget). *searched_from is then the instant from which requests
 * were searched (the start of a year, UTC), 0 when every year was; the caller says so and
 * may ask again with created_to before it. Other filters: request_search/request_count,
 * *searched_from 0. */
int request_search_text(core *c, const store_request_filter *f, arena *a, store_request **out,
                        size_t *n, int64_t *searched_from, error *err);
int request_count_text(core *c, const store_request_filter *f, int64_t *count,
                       int64_t *searched_from, error *err);
/* Timeline, oldest first; public_only hides internal events. */
int request_timeline(core *c, const cat_tenant *t, int64_t request_id, int public_only,
                     arena *a, store_event **out, size_t *n, error *err);
int request_timelines(core *c, const cat_tenant *t, const int64_t *ids, size_t n_ids,
                      int public_only, arena *a, store_event **out, size_t *n, error *err);
/* Whether the citizen's side (their tracking page, their account) may have attachment `at`
 * of request r: a file filed with the request, or one of a public event of its timeline,
 * never one of an internal note (a field agent's photo, a document for the services only).
 * *visible 0 or 1; -1 with err on a storage failure. */
int request_attachment_for_citizen(core *c, const cat_tenant *t, const store_request *r,
                                   const store_attachment *at, arena *a, int *visible,
                                   error *err);

/* A change of a request's mutable fields; NULL / -1 fields stay as they are. */
typedef struct request_change {
    const char *status;        /* a status code */
    const char *note;          /* text for the status change event (public); may be NULL */
    const char *assignee;      /* "" unassigns */
    int priority;              /* 0..3, -1: unchanged */
    const char *department;    /* department code */
    const core_actor *who;     /* who changes it (events, audit); NULL: the system */
    channel ch;
} request_change;

/* Applies `ch` to request `reference` atomically, one event per changed field, with the
 * audit entry ("change" on "request") when `ch->who` is audited, in the same transaction.
 * An agent must be allowed to change the request (perm_can_change; ERR_FORBIDDEN). -1 with
 * ERR_NOT_FOUND, ERR_INVALID_ARG (unknown status/department, bad priority) or ERR_CONFLICT
 * (transition not allowed). Asynchronous as request_create. */
int request_update(core *c, const cat_tenant *t, const char *reference,
                   const request_change *ch, core_done_fn cb, void *ctx, error *err);

/* An agent's processing of a request in one step, written atomically (all of it or none):
 * a reply to the citizen (a public "note" event, and the "request_reply" e-mail queued in
 * the same transaction when the citizen chose news by e-mail; its link is reply_url), an
 * internal note, then the field changes of `change`. */
typedef struct request_processing {
    request_change change;
    const char *reply;         /* NULL: none */
    const char *internal_note; /* NULL: none */
    const char *reply_url;     /* link in the e-mail, e.g. base URL + "/suivi" */
    /* Prepared files (core/attachment.h) kept with the internal note (a field agent's
     * photos): saved in the same transaction; the caller discards them on failure. */
    store_attachment *note_attachments;
    size_t n_note_attachments;
} request_processing;

/* Asynchronous as request_create; -1 with the errors of request_update, or ERR_INVALID_ARG
 * naming "reply" / "internal_note", or ERR_MISSING_ARG when there is nothing to do. */
int request_process(core *c, const cat_tenant *t, const char *reference,
                    const request_processing *p, core_done_fn cb, void *ctx, error *err);

/* Processing of several requests as ONE write job (the back office's bulk actions): each
 * item runs in its own savepoint inside the job, so that a refused one (not found, not
 * allowed, a transition refused) is undone alone and skipped; one audit entry ("change" on
 * "request") names the ids changed. items[i].change.who is ignored: `who` acts for all.
 * *n_done and done_ids[0..*n_done) (room for n ids, may be NULL) are set before cb(ctx, 0,
 * NULL); they must stay valid until then. Asynchronous as request_create. */
typedef struct request_batch_item {
    const char *reference;
    request_processing p;
} request_batch_item;
int request_process_many(core *c, const cat_tenant *t, const core_actor *who,
                         const request_batch_item *items, size_t n, size_t *n_done,
                         int64_t *done_ids, core_done_fn cb, void *ctx, error *err);

/* What «Re-router» found. */
typedef struct request_reroute_result {
    int unchanged;         /* 1: the rules give the department it has: nothing was written */
    routing_source source; /* what gave the department */
    int64_t department_id; /* the department it has now (0: none) */
    char rule[ROUTING_NAME_MAX * 4 + 1]; /* ROUTING_RULE: the rule's name */
} request_reroute_result;

/* «Re-router»: runs the routing rules again (core/routing.h) with the request's procedure,
 * field values and location as they are now, and moves it to the department they give, with
 * a "department" event and one naming the rule (or the procedure's or the default
 * department) and the audit entry ("change" on "request") in one job. An agent must be
 * allowed to assign it (perm_can_assign: managers of its department, admins; ERR_FORBIDDEN).
 * When the rules give its current department, or none, nothing is written and out->unchanged
 * is 1. out must stay valid until cb. Asynchronous as request_create. */
int request_reroute(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                    request_reroute_result *out, core_done_fn cb, void *ctx, error *err);

/* «Re-router» on a selection (the back office's bulk action), as ONE write job: each
 * request evaluated as request_reroute does, those whose department the rules change moved
 * each in its own savepoint, one audit entry naming them; those out of who's scope, not
 * theirs to route, or already where the rules send them are skipped. *n_done (may be NULL)
 * is how many moved, set before cb(ctx, 0, NULL). Asynchronous as request_create. */
int request_reroute_many(core *c, const cat_tenant *t, const core_actor *who,
                         const char *const *references, size_t n, size_t *n_done, core_done_fn cb,
                         void *ctx, error *err);

/* Adds a note (public: visible to the citizen and on Open311 extensions), with its audit
 * entry ("change") when `who` is audited. who NULL: the system. */
int request_add_note(core *c, const cat_tenant *t, const char *reference, const char *body,
                     int is_public, const core_actor *who, channel ch, core_done_fn cb, void *ctx,
                     error *err);

/* ---- merging a duplicate («Fusionner», request_merge.c) ---- */

/* What a merge carried over to the survivor. */
typedef struct request_merge_result {
    int messages;    /* the duplicate's citizen messages, copied as internal events */
    int attachments; /* its files (filed with it or with a public event), linked */
    int supporters;  /* «moi aussi» the survivor counts more (keys already there not twice) */
} request_merge_result;

/* Merges request `duplicate` into request `survivor` of t, in ONE write job: the duplicate
 * is closed as a duplicate (status duplicate, a public status event and status_notes naming
 * the survivor's reference, merged_into set); the survivor gets an internal "merged_here"
 * event naming the duplicate, then internal copies of the duplicate citizen's messages
 * ("merged_message") and of its files, and its «moi aussi»; each citizen who chose news by
 * e-mail is told in their request's language ("request_merged", "request_merged_here";
 * links to their own tracking page: base_url + core_links.tracking + reference; base_url
 * NULL: no e-mail); one audit
 * entry ("merge" on "request") names both. Refused: ERR_INVALID_ARG (not a reference, the
 * same request), ERR_NOT_FOUND naming "duplicate" or "survivor" (unknown, or out of an
 * agent's sight), ERR_FORBIDDEN (an agent who may not change both), ERR_CONFLICT naming
 * "duplicate" (already a duplicate, or others were merged into it: keep it instead) or
 * "survivor" (itself a duplicate). *result (may be NULL; valid until cb) is set before
 * cb(ctx, 0, NULL). Asynchronous as request_create. */
int request_merge(core *c, const cat_tenant *t, const char *duplicate, const char *survivor,
                  const core_actor *who, const char *base_url, request_merge_result *result,
                  core_done_fn cb, void *ctx, error *err);
/* The requests merged into request survivor_id, oldest first (array and strings in a). */
int request_merged(core *c, const cat_tenant *t, int64_t survivor_id, arena *a, store_request **out,
                   size_t *n, error *err);
/* The request r was merged into (*out, strings in a); -1 with ERR_NOT_FOUND when r was not
 * merged. Whoever shows it decides what of it r's reader may see. */
int request_merged_into(core *c, const cat_tenant *t, const store_request *r, arena *a,
                        store_request *out, error *err);

/* ---- the citizen's side ---- */

/* 1 when event e was written by the citizen (actor "citizen" or "citizen:…"): the only author
 * the citizen's pages and archive name; every other one is «la mairie». */
int request_event_by_citizen(const store_event *e);
/* 1 when account acc owns r, the rule of the citizen's pages: it filed r from the account,
 * or r carries the address the account has verified (requests filed by e-mail or at the
 * counter). An unverified address proves nothing. */
int request_owned_by(const store_request *r, const store_account *acc);
/* Narrows filter f to the requests request_owned_by gives acc («Mes demandes», the latest
 * requests on the home page); f's other fields are left as they are. */
void request_filter_owned_by(store_request_filter *f, const store_account *acc);
/* 1 when `token` opens r's tracking page: r's tracking token, or a pass that
 * request_code_check gave for r and that has not expired (constant-time comparisons of
 * keyed hashes). */
int request_token_matches(core *c, const store_request *r, const char *token);

/* ---- the short tracking code (request_code.c, core/short_code.h) ----
 * Every request filed since migration 16 has one, shown once (request_created.short_code)
 * and kept as a keyed hash. Typed with the reference, it opens the request, but after each
 * wrong entry the next one waits: the delays are counted per reference and per client
 * network (short_code.h); an entry made while either delay runs is not even looked at, so
 * that the right code is refused then too and nothing can be learnt from the answer. */

/* Longest pass (request_code_result.pass), NUL included; how long a pass opens the page. */
#define REQUEST_PASS_MAX 96
#define REQUEST_PASS_TTL (6 * 3600)

typedef struct request_code_result {
    int opened;           /* 1: the code opened the request */
    int64_t wait_seconds; /* not opened: the next entry for this reference from this network
                             is looked at in this many seconds (the delay after a wrong
                             entry, or what is left of a running one) */
    /* opened: what opens the tracking page for REQUEST_PASS_TTL seconds, for
     * request_token_matches ("pass.<expiry>.<mac>"), or the tracking token itself when
     * that is what was typed */
    char pass[REQUEST_PASS_MAX];
} request_code_result;

/* Looks at `code` typed for request `reference` of t from client network `network` (an
 * IPv4 address or an IPv6 /64: a client's own, never a proxy's). code is the short code in
 * any of its typed forms, or the long tracking token (older requests only have that). -1
 * with ERR_INVALID_ARG naming "reference" or "code" when they cannot be one (nothing is
 * counted: a typo is not a guess); otherwise *res (valid until cb) is set before cb(ctx, 0,
 * NULL): opened, or not with the wait, the same whether the reference exists or not. The
 * counts change as one write job; an entry refused because a delay runs writes nothing.
 * Asynchronous as request_create. */
int request_code_check(core *c, const cat_tenant *t, const char *reference, const char *code,
                       const char *network, request_code_result *res, core_done_fn cb, void *ctx,
                       error *err);
/* Removes the counts of wrong entries that no longer count (a day after their last failure;
 * each failure also removes them, this is for when none comes): they name client networks,
 * even as keyed hashes. The retention pass calls it. Waits; 0 or -1 with err. */
int request_code_forget(core *c, error *err);
/* 1 when canonical or typed `code` is r's short code. No delay: only for pages already
 * opened by r's tracking token (the confirmation, the receipt), to show the code again. */
int request_short_code_matches(core *c, const store_request *r, const char *code);
/* A new short code for request `reference` of t, replacing the one it had (lost, or never
 * given: requests filed before migration 16), by an agent allowed to change the request
 * (perm_can_change; ERR_FORBIDDEN), audited ("renew_code" on "request") in the same
 * transaction, with the e-mail «request_code» (the code and the address of «Suivre une
 * demande», base_url + the tracking path; base_url NULL: none) queued when the citizen chose
 * news by e-mail. Passes given for the old code stop opening the request. code_out (canonical,
 * SHORT_CODE_LEN + 1 bytes, valid until cb) is set before cb(ctx, 0, NULL); ERR_NOT_FOUND
 * when absent or out of the agent's sight, ERR_CONFLICT when anonymised. Asynchronous as
 * request_create. */
int request_code_renew(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                       const char *base_url, char *code_out, core_done_fn cb, void *ctx,
                       error *err);

/* The citizen's operations on their request (the portal checked the tracking token or the
 * account's ownership). who: the citizen (ACTOR_CITIZEN, with their account's id when
 * logged in; NULL: anonymous), whose timeline label the event carries ("citizen"); anyone
 * else is refused with ERR_FORBIDDEN, nothing queued. who is copied. */

/* A message from the citizen on their request (public event "message"), with prepared
 * attachments; a closed request stays closed. Asynchronous as request_create. */
int request_citizen_message(core *c, const cat_tenant *t, const char *reference,
                            const core_actor *who, const char *body, store_attachment *attachments,
                            size_t n, channel ch, core_done_fn cb, void *ctx, error *err);
/* The same from the e-mail entrance (channel email): body is the mail's new words, folded
 * (may be NULL) its quoted history and signature, kept as an internal "mail_history" event
 * beside the message. Otherwise as request_citizen_message with an anonymous citizen. */
int request_citizen_mail(core *c, const cat_tenant *t, const char *reference, const char *body,
                         const char *folded, store_attachment *attachments, size_t n,
                         core_done_fn cb, void *ctx, error *err);
/* The citizen's answer to a request waiting for it (its status has an ask_citizen action,
 * core/workflow.h's workflow_ask_citizen): their message and files as a message, then the
 * request moved to the action's return_to with a public status event, and that status's
 * actions run (tracking_url, may be NULL: the link their e-mails carry). ERR_CONFLICT "status"
 * when the request is not waiting (any more). Otherwise as request_citizen_message. */
int request_citizen_answer(core *c, const cat_tenant *t, const char *reference,
                           const core_actor *who, const char *body, store_attachment *attachments,
                           size_t n, const char *tracking_url, channel ch, core_done_fn cb,
                           void *ctx, error *err);
/* Rates the answer to a closed request (1-5, optional comment); once only (ERR_CONFLICT). */
int request_rate(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                 int rating, const char *comment, core_done_fn cb, void *ctx, error *err);
/* The citizen chooses how to hear of the request: notify "email", "sms" or "none"
 * (ERR_INVALID_ARG "notify" otherwise, or when the request has no address or number for
 * it). An internal event "news" (body the channel) when it changes; nothing when it does
 * not. */
int request_set_news(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                     const char *notify, core_done_fn cb, void *ctx, error *err);
/* «Le problème n'est pas réglé»: reopens a resolved incident (in_progress, public event with
 * the citizen's words). ERR_CONFLICT unless it is resolved. */
int request_reopen(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                   const char *body, core_done_fn cb, void *ctx, error *err);
/* Most keys one «moi aussi» may name its supporter by. */
#define REQUEST_SUPPORT_MAX_KEYS 4

/* «Moi aussi» on a public request, by a supporter named by keys[0..n_keys) (hashes of the
 * account, the browser, the client's network…): it counts only when none of the keys
 * supported this request before, and every key is remembered. *added (may be NULL; it must
 * stay valid until cb) says whether it counted, filled before cb(ctx, 0, NULL) once the
 * write is durable. cb NULL waits and returns the outcome. Strings are copied. */
int request_support(core *c, const cat_tenant *t, const char *reference,
                    const char *const *keys, size_t n_keys, int *added, core_done_fn cb,
                    void *ctx, error *err);

/* 1 when a citizen may reopen a request of procedure p in status `status` («le problème
 * n'est pas réglé»): a resolved incident (status_now: its status code). The portal and Open311
 * updates ask the same. */
int request_reopen_allowed(const cat_procedure *p, const char *status_now);

/* ---- Open311 service request updates (mySociety's GeoReport v2 extension) ---- */

/* A comment an Open311 client (FixMyStreet…) relays from a citizen. Strings are copied. */
typedef struct request_client_update {
    const cat_tenant *tenant;
    const cat_procedure *procedure; /* the request's (the caller read it) */
    const char *reference;
    const core_actor *who; /* the client's key (ACTOR_KEY): the event's author label */
    int64_t api_key_id;
    const char *client_update_id; /* the client's id: sent again, it is the same update */
    const char *client_status;    /* OPEN, CLOSED, FIXED, …, REOPEN, as the client sent it */
    int64_t client_datetime;
    const char *description; /* required */
    const char *media_url;
    const char *first_name, *last_name, *email, *phone; /* the author: for agents only */
} request_client_update;

/* Records u on the request's timeline as a public event: "reopened" when REOPEN, or OPEN on a
 * request closed before client_datetime, finds it reopenable (request_reopen_allowed: it
 * goes back to in_progress), else "comment" (the status stays: clients send their own view
 * of it, which is kept beside the event). The key's update id seen before writes nothing
 * and gives the same *update_id (the event's id, set before cb; it must stay valid until
 * then). ERR_NOT_FOUND for an unknown request, ERR_CONFLICT when the key used the update id
 * for another request, ERR_INVALID_ARG for a bad text. Asynchronous as request_create. */
int request_client_update_add(core *c, const request_client_update *u, int64_t *update_id,
                              core_done_fn cb, void *ctx, error *err);

/* The event kinds the updates feed lists: status changes, reopenings, the mairie's public
 * replies and clients' comments (never internal notes, citizens' own portal messages or
 * ratings). */
extern const char *const request_update_kinds[];
extern const size_t request_update_n_kinds;

/* The updates feed of t: public events of request_update_kinds created in [from, to] on
 * requests of Open311-exposed procedures, oldest first, page by offset and limit. */
int request_public_updates(core *c, const cat_tenant *t, int64_t from, int64_t to, size_t offset,
                           size_t limit, arena *a, store_update **out, size_t *n, error *err);

/* When a request of procedure p filed at `filed` is expected to be answered: the end of the
 * last day of its delay in t's time zone — delay_days calendar days, a last day that is not
 * a working day moved to the next one, or delay_days jours ouvrés (util/workdays: the filing
 * day does not count), public holidays those of t's calendar (sla_holidays: national or
 * Alsace-Moselle) —; 0 when the procedure gives no delay. */
int64_t request_due_at(const cat_tenant *t, const cat_procedure *p, int64_t filed);

/* Priority names: "low", "normal", "high", "urgent"; parse returns -1 when unknown. */
const char *request_priority_name(int priority);
int request_priority_parse(const char *name);

#endif

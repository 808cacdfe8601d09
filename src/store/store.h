/*
 * store — the one interface between core and persistent storage: the operations, which only
 * core calls (and the command line, to open a database); the records and filters they
 * exchange are in records.h. Each backend (sqlite now, postgres later) provides the
 * function table below, one sub-table per area, and holds all of the SQL. Reads may be
 * called from any thread; writes happen only inside a write job run by the writer
 * (store_write), which commits concurrent jobs together (group commit) and reports each
 * job's outcome only once its commit is durable.
 */
#ifndef GUICHET_STORE_H
#define GUICHET_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct store_job store_job;

/* A unit of work for the writer. `apply` runs on the writer's connection inside a
 * transaction (and its own savepoint: when it returns -1 only its own changes are undone).
 * `done` is called once the batch containing it is committed (rc 0) or failed (rc -1, err
 * filled), from the writer thread or, without a writer thread, from store_write itself. */
struct store_job {
    int (*apply)(store *s, void *arg, error *err);
    void (*done)(void *arg, int rc, const error *err);
    void *arg;
    /* filled by the writer */
    int rc;
    error err;
    store_job *next;
};

/* Tenants, departments and procedures (read together as the catalogue) and the counter that
 * says when they changed. */
typedef struct store_catalogue_ops {
    /* Cheap: a counter bumped by every change to tenants, departments, procedures, keys. */
    int (*config_version)(store *s, int64_t *version, error *err);
    int (*load)(store *s, arena *a, store_catalogue *out, error *err);
    /* Inserts or updates the tenant t->slug. t->hosts NULL keeps its host names; otherwise
     * they are replaced, and a name another tenant holds is ERR_CONFLICT "hosts" (the
     * detail names it and that tenant's slug). */
    int (*tx_tenant_upsert)(store *s, const store_tenant *t, int64_t *id_out, error *err);
    int (*tx_department_upsert)(store *s, const store_department *d, int64_t *id_out,
                                error *err);
    /* Also adds the next version of its form (p->version_by, p->version_summary) when
     * p->attributes differ from the latest version's text, or it has none yet. */
    int (*tx_procedure_upsert)(store *s, const store_procedure *p, int64_t *id_out, error *err);
    /* The versions of procedure_id's form, newest first, without their definitions; *out
     * in a. */
    int (*procedure_versions)(store *s, int64_t tenant_id, int64_t procedure_id, arena *a,
                              store_procedure_version **out, size_t *n, error *err);
    /* Version `version` of procedure_id's form, definition included; *found 0 when none. */
    int (*procedure_version_get)(store *s, int64_t tenant_id, int64_t procedure_id, int version,
                                 arena *a, store_procedure_version *out, int *found, error *err);
    /* Sets the tenant's archives_visa (0 or 1); ERR_NOT_FOUND when no such tenant. */
    int (*tx_tenant_set_archives_visa)(store *s, int64_t tenant_id, int on, error *err);
    /* Writes b->tenant_id's branding and settings (every field of b but the logo's, which
     * stay as they are). */
    int (*tx_branding_set)(store *s, const store_branding *b, error *err);
    /* Replaces tenant_id's logo; logo NULL removes it. */
    int (*tx_logo_set)(store *s, int64_t tenant_id, const store_logo *logo, error *err);
    /* tenant_id's logo (bytes and hash in a); *found 0 when it has none. */
    int (*logo_get)(store *s, int64_t tenant_id, arena *a, store_logo *out, int *found, error *err);
} store_catalogue_ops;

/* Requests: the citizens' and agents' reads, and the changes core makes to them. */
typedef struct store_requests_ops {
    /* 0 and *found=1/0; strings in a. */
    int (*get)(store *s, int64_t tenant_id, const char *reference, arena *a,
               store_request *out, int *found, error *err);
    int (*search)(store *s, const store_request_filter *f, arena *a,
                  store_request **out, size_t *n, error *err);
    int (*count)(store *s, const store_request_filter *f, int64_t *count, error *err);
    /* Reads request `reference` on the writer's connection, inside the current transaction,
     * so that a job sees what earlier jobs of the same batch wrote. */
    int (*tx_get)(store *s, int64_t tenant_id, const char *reference, arena *a,
                  store_request *out, int *found, error *err);
    /* Inserts r (r->reference NULL: allocates the next "YYYY-NNNNNN" of r->created_at's year
     * for the tenant and returns it in *reference_out, allocated in a). Sets *id_out. */
    int (*tx_insert)(store *s, const store_request *r, arena *a, int64_t *id_out,
                     const char **reference_out, error *err);
    /* Rewrites the mutable fields of request r->id (status, department, assignee, priority,
     * status_notes, updated_at, closed_at, due_at, merged_into), and the citizen's:
     * citizen_id, notify, is_public, rating and rating_comment. */
    int (*tx_update)(store *s, const store_request *r, error *err);
    /* A «moi aussi» names its supporter by keys[0..n)
     * (hashes of the account, the browser, the client's network): every key is recorded,
     * and the request counts one more supporter only when none of them was known for it
     * (*added 1), so that a new browser on a known network, or a known browser on a new
     * network, adds nothing (*added 0). */
    int (*tx_support)(store *s, int64_t tenant_id, int64_t request_id,
                      const char *const *keys, size_t n_keys, int64_t when, int *added,
                      error *err);
    /* A merge's «moi aussi»: every supporter key of request from_id is recorded for to_id
     * as well (from_id keeps its own), and to_id counts *added more supporters: those of
     * from_id none of whose keys already supported to_id. A supporter is the keys one
     * «moi aussi» recorded together; at most from_id's own count is added. */
    int (*tx_support_copy)(store *s, int64_t tenant_id, int64_t from_id, int64_t to_id, int *added,
                           error *err);
    /* The requests merged into into_id (merged_into), oldest first; *out in a. */
    int (*merged)(store *s, int64_t tenant_id, int64_t into_id, arena *a, store_request **out,
                  size_t *n, error *err);
    /* Shows (1) or hides (0) a request on the public list; ERR_NOT_FOUND when absent. */
    int (*tx_set_public)(store *s, int64_t tenant_id, int64_t request_id, int is_public,
                         error *err);
    /* Sets (or, with text NULL, withdraws) the public text of request_id (an agent's);
     * ERR_NOT_FOUND when absent. */
    int (*tx_set_public_description)(store *s, int64_t tenant_id, int64_t request_id,
                                     const char *text, error *err);
    /* Sets (or, with hash NULL, removes) the keyed hash of request_id's short tracking code;
     * ERR_NOT_FOUND when absent. */
    int (*tx_set_short_code)(store *s, int64_t tenant_id, int64_t request_id, const char *hash,
                             error *err);
    /* A request by its id; *found 0 when absent or of another tenant. */
    int (*get_by_id)(store *s, int64_t tenant_id, int64_t id, arena *a,
                     store_request *out, int *found, error *err);
    /* The open (not closed) located requests within radius_m metres of (lat, lon), nearest
     * first, at most limit (> 0). *out and, when distance_m is not NULL, *distance_m (metres,
     * one per request) are in a. */
    int (*near)(store *s, int64_t tenant_id, double lat, double lon, double radius_m,
                size_t limit, arena *a, store_request **out, double **distance_m,
                size_t *n, error *err);
    /* The same, among the requests the public pages may show: shown publicly (is_public),
     * open, of a procedure whose requests are public (procedures.is_public). Bounds as near:
     * radius_m at most 100 km, limit at most 500. */
    int (*public_near)(store *s, int64_t tenant_id, double lat, double lon, double radius_m,
                       size_t limit, arena *a, store_request **out, double **distance_m, size_t *n,
                       error *err);
    /* How many requests each procedure of tenant_id received from UTC day since_day (unix
     * seconds / 86400) on, from the kept per-day counts (a few rows per procedure and day,
     * never the requests themselves); procedures with none are left out. *out in a, any
     * order. */
    int (*procedure_counts)(store *s, int64_t tenant_id, int64_t since_day, arena *a,
                            store_procedure_count **out, size_t *n, error *err);
    /* Calls row(ctx, fact) for the facts of each request f matches (its filters; neither
     * references, text, paging nor limit apply: a text or a reference list is refused with
     * ERR_INVALID_ARG), merged duplicates left out (they live on in the request they joined),
     * and, when closed_from > 0, only requests closed at or after it. Any order. A non-zero
     * return of row stops the walk and is returned (row sets err). With `locate`, each fact
     * comes with its request's location (which the facts keep); with STORE_FACTS_LOCATED,
     * those without one are left out (the incidents map). */
    int (*facts)(store *s, const store_request_filter *f, int64_t closed_from, int locate,
                 int (*row)(void *ctx, const store_request_fact *fact, error *err), void *ctx,
                 error *err);
    /* At most max facts of tenant_id whose quartier is not worked out yet, with their
     * request's location (the other figures left 0), through row as facts does. */
    int (*facts_unlocated)(store *s, int64_t tenant_id, size_t max,
                           int (*row)(void *ctx, const store_request_fact *fact, error *err),
                           void *ctx, error *err);
    /* Sets the quartier of the fact of (tenant_id, created_at, request_id) to area_id (0:
     * none) if it is still not worked out, the request is still at (lat, lon) (has 0:
     * without a location) and the configuration is still at config_version (the areas
     * area_id was found among): a move or a change of quartiers in between leaves it
     * unknown. *changed 1 when it was set. In a write job. */
    int (*tx_fact_area_set)(store *s, int64_t tenant_id, int64_t created_at, int64_t request_id,
                            int has, double lat, double lon, int64_t area_id,
                            int64_t config_version, int *changed, error *err);
} store_requests_ops;

/* A request's timeline. */
typedef struct store_events_ops {
    /* Events of a request, oldest first; public_only hides internal ones. */
    int (*list)(store *s, int64_t tenant_id, int64_t request_id, int public_only,
                arena *a, store_event **out, size_t *n, error *err);
    /* Events of many requests at once (ids[n_ids]), oldest first per request. */
    int (*list_many)(store *s, int64_t tenant_id, const int64_t *request_ids,
                     size_t n_ids, int public_only, arena *a, store_event **out,
                     size_t *n, error *err);
    int (*tx_insert)(store *s, const store_event *e, int64_t *id_out, error *err);
    /* The updates feed: public events of kinds[n_kinds] created in [from, to] on requests
     * of Open311-exposed procedures, oldest first (then by id), offset/limit applied. */
    int (*updates)(store *s, int64_t tenant_id, int64_t from, int64_t to, const char *const *kinds,
                   size_t n_kinds, size_t offset, size_t limit, arena *a, store_update **out,
                   size_t *n, error *err);
    /* The event an Open311 key's update id already made, in the write transaction: *found
     * 0 when none; else *event_id and *request_id. */
    int (*tx_client_update_find)(store *s, int64_t api_key_id, const char *client_update_id,
                                 int64_t *event_id, int64_t *request_id, int *found, error *err);
    int (*tx_client_update_insert)(store *s, const store_client_update *u, error *err);
} store_events_ops;

/* Files attached to requests. */
typedef struct store_attachments_ops {
    int (*tx_insert)(store *s, const store_attachment *at, int64_t *id_out,
                     error *err);
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a,
               store_attachment *out, int *found, error *err);
    /* Attachments of a request, oldest first. */
    int (*list)(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                store_attachment **out, size_t *n, error *err);
    int (*tx_moderate)(store *s, int64_t tenant_id, int64_t id,
                       const char *moderation, error *err);
    /* The first (oldest) photo of request_id a moderator approved that has a thumbnail:
     * *id its attachment id, 0 when none. */
    int (*first_public_photo)(store *s, int64_t tenant_id, int64_t request_id, int64_t *id,
                              error *err);
    /* *known 1 when an attachment of any tenant keeps its file or its thumbnail under the
     * storage name `name`: the uploads directory is the instance's, not a tenant's. For
     * the start-up sweep of files no row refers to. */
    int (*file_known)(store *s, const char *name, int *known, error *err);
} store_attachments_ops;

/* Messages to send, written with the change that causes them. */
/* Documents (core/document.h): written once, never updated (a trigger refuses it). */
typedef struct store_documents_ops {
    /* ERR_CONFLICT when the request already has that kind, title and version, or the code
     * is taken in the tenant. */
    int (*tx_insert)(store *s, const store_document *d, int64_t *id_out, error *err);
    /* The version a new document of request_id's kind and title (NULL: none) gets: one more
     * than the last, 1 for the first. In the writer's transaction, so that none comes between. */
    int (*tx_next_version)(store *s, int64_t request_id, const char *kind, const char *title,
                           int *out, error *err);
    /* request_id's documents of kind (NULL: of every kind), oldest first, without their
     * bytes. */
    int (*list)(store *s, int64_t tenant_id, int64_t request_id, const char *kind, arena *a,
                store_document **out, size_t *n, error *err);
    /* Every version of the document that carries verification code `code` (its request, kind
     * and title), oldest first, without their bytes; *n 0 when no document has that code. */
    int (*by_code)(store *s, int64_t tenant_id, const char *code, arena *a, store_document **out,
                   size_t *n, error *err);
    /* The verification code of tenant_id's latest document whose PDF has this SHA-256 (hex),
     * in a; *code NULL when none has. */
    int (*code_by_sha256)(store *s, int64_t tenant_id, const char *sha256, arena *a,
                          const char **code, error *err);
    /* Document id of tenant_id with its bytes (content and everything in a); *found 0 when
     * there is none. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_document *out, int *found,
               error *err);
    /* At most limit requests of every tenant created at or after `since`, not anonymised,
     * that have neither a receipt nor a receipt job (kind job_kind): each as a document row
     * with only tenant_id, request_id and created_at (the request's) set. */
    int (*without_receipt)(store *s, int64_t since, const char *job_kind, size_t limit, arena *a,
                           store_document **out, size_t *n, error *err);
} store_documents_ops;

/* The post room's letters (core/courrier.h). */
typedef struct store_post_ops {
    int (*tx_insert)(store *s, const store_post_letter *l, int64_t *id_out, error *err);
    /* The retention of dropped scans: deletes the rows of at most limit files of tenant_id
     * whose every letter is discarded or rejected, each decided (or, rejected without a
     * decision, received) before `before`; *files (in a) their storage names and their
     * previews', to unlink once durable, *n_rows the rows deleted. A file one of whose letters was
     * filed, linked or is still to process stays whole. */
    int (*tx_purge_dropped)(store *s, int64_t tenant_id, int64_t before, size_t limit, arena *a,
                            const char ***files, size_t *n_files, int64_t *n_rows, error *err);
    /* Writes l's state, reason, pages, text, confidence, proposals, request and decision
     * when its row (l->id of l->tenant_id) is still in state from_state; ERR_NOT_FOUND when
     * it is not (gone, or decided meanwhile). */
    int (*tx_set)(store *s, const store_post_letter *l, const char *from_state, error *err);
    /* Letter id of tenant_id (strings in a); *found 0 when there is none. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_post_letter *out,
               int *found, error *err);
    /* tenant_id's letters still to process (queued, pending, rejected), oldest first, at most
     * limit, without their text. */
    int (*list_open)(store *s, int64_t tenant_id, size_t limit, arena *a, store_post_letter **out,
                     size_t *n, error *err);
} store_post_ops;

typedef struct store_outbox_ops {
    int (*tx_insert)(store *s, const store_outbox *m, int64_t *id_out, error *err);
    /* Channel `channel`'s rows unsent, not given up, next_attempt_at <= now; by priority,
     * then oldest first, at most limit. */
    int (*due)(store *s, const char *channel, int64_t now, size_t limit, arena *a,
               store_outbox **out, size_t *n, error *err);
    /* Sent: sets sent_at and clears params (they may hold a tracking link); state "sent",
     * unless a delivery report already gave it a final one. */
    int (*tx_sent)(store *s, int64_t id, int64_t when, error *err);
    /* Not sent this time: attempts, next_attempt_at, failed and last_error as given. */
    int (*tx_retry)(store *s, int64_t id, int attempts, int64_t next_attempt_at,
                    int failed, const char *last_error, error *err);
    /* Messages of one request or one recipient (tests, the back office), oldest first. */
    int (*list)(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                store_outbox **out, size_t *n, error *err);
    /* The message of that id, whatever its tenant; *found 0 when none. From the writer
     * inside a transaction (tx_find_message) or a reader (find_message). */
    int (*find_message)(store *s, const char *message_id, arena *a, store_outbox *out, int *found,
                        error *err);
    int (*tx_find_message)(store *s, const char *message_id, arena *a, store_outbox *out,
                           int *found, error *err);
    /* Sets the delivery state, when it happened and its detail (no personal data). */
    int (*tx_state)(store *s, int64_t id, const char *state, int64_t when, const char *detail,
                    error *err);
    /* One query: the reference of request_id and the message ids of the first and the last
     * messages on `channel` to `recipient` about it that went out (sent or delivered) before
     * outbox row before_id. */
    int (*thread)(store *s, int64_t tenant_id, int64_t request_id, const char *channel,
                  const char *recipient, int64_t before_id, arena *a, store_outbox_thread *out,
                  error *err);
    /* Gives request_id's (of tenant_id) e-mails of template `template_name` still queued (not
     * sent, not given up) document document_id with its SHA-256 as their attachment, and
     * makes those not tried yet due at `now`; *n how many. */
    int (*tx_attach_document)(store *s, int64_t tenant_id, int64_t request_id,
                              const char *template_name, int64_t document_id, const char *sha256,
                              int64_t now, size_t *n, error *err);
} store_outbox_ops;

/* A collectivité's e-mail settings and its contact addresses (mail_settings, mail_contacts). */
typedef struct store_mail_ops {
    /* *found 0 when the collectivité has none (out then zeroed). */
    int (*get)(store *s, int64_t tenant_id, arena *a, store_mail_settings *out, int *found,
               error *err);
    /* Writes m->tenant_id's settings, replacing them. */
    int (*tx_put)(store *s, const store_mail_settings *m, error *err);
    /* The contact addresses of a collectivité with their procedures, by address. The tx_ one
     * reads inside the write job. */
    int (*contacts)(store *s, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                    error *err);
    int (*tx_contacts)(store *s, int64_t tenant_id, arena *a, store_mail_address **out, size_t *n,
                       error *err);
    /* The contact address `address` (lowercased), whichever collectivité's; *found 0: none. */
    int (*contact_find)(store *s, const char *address, arena *a, store_mail_address *out,
                        int *found, error *err);
    /* Adds m or changes its procedure when it is already m->tenant_id's; ERR_CONFLICT (arg
     * "address") when it is another collectivité's. */
    int (*tx_contact_put)(store *s, const store_mail_address *m, error *err);
    /* ERR_NOT_FOUND when it is not one of tenant_id's. */
    int (*tx_contact_delete)(store *s, int64_t tenant_id, const char *address, error *err);
    /* A request's «à envoyer par courrier» flag (requests.letter_due); *on 0 when absent. */
    int (*letter_due)(store *s, int64_t tenant_id, int64_t request_id, int *on, error *err);
    /* Sets or clears it; ERR_NOT_FOUND when the request is not the tenant's. */
    int (*tx_set_letter_due)(store *s, int64_t tenant_id, int64_t request_id, int on, error *err);
} store_mail_ops;
/* SMS: each collectivité's gateway, and the numbers that replied STOP. */
typedef struct store_sms_ops {
    /* The tenant's gateway; *found 0 when it has none. Strings in a. */
    int (*gateway)(store *s, int64_t tenant_id, arena *a, store_sms_gateway *out, int *found,
                   error *err);
    /* Creates or replaces the tenant's gateway. */
    int (*tx_put_gateway)(store *s, const store_sms_gateway *g, error *err);
    /* Opts phone (E.164) out of every SMS of the tenant; again: nothing changes. */
    int (*tx_opt_out)(store *s, int64_t tenant_id, const char *phone, int64_t when, error *err);
    /* Opts phone back in (START): its opt-out row goes; none: nothing changes. */
    int (*tx_opt_in)(store *s, int64_t tenant_id, const char *phone, error *err);
    /* *out 1 when phone opted out. Read on the caller's connection: a dispatcher's. */
    int (*opted_out)(store *s, int64_t tenant_id, const char *phone, int *out, error *err);
    /* The tenant's keywords, by keyword. Strings in a. */
    int (*keyword_list)(store *s, int64_t tenant_id, arena *a, store_sms_keyword **out, size_t *n,
                        error *err);
    /* Adds a keyword: ERR_CONFLICT when the tenant has it already. */
    int (*tx_keyword_add)(store *s, const store_sms_keyword *k, error *err);
    /* ERR_NOT_FOUND when absent. */
    int (*tx_keyword_delete)(store *s, int64_t tenant_id, const char *keyword, error *err);
} store_sms_ops;

/* Citizens' accounts on the portal. */
typedef struct store_accounts_ops {
    /* Accounts: reads anywhere, writes in a job. email is compared lowercased. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_account *out,
               int *found, error *err);
    int (*find_email)(store *s, int64_t tenant_id, const char *email, arena *a,
                      store_account *out, int *found, error *err);
    /* The accounts whose phone is `phone` (E.164, as stored), oldest first, at most max:
     * *out in a, *n of them (several citizens may give one household's number). */
    int (*find_phone)(store *s, int64_t tenant_id, const char *phone, size_t max, arena *a,
                      store_account **out, size_t *n, error *err);
    /* The account whose verified number is phone (E.164; the most recently verified when
     * several); *found 0 when none. */
    int (*find_verified_phone)(store *s, int64_t tenant_id, const char *phone, arena *a,
                               store_account *out, int *found, error *err);
    /* ERR_CONFLICT when the e-mail is taken. */
    int (*tx_insert)(store *s, const store_account *acc, int64_t *id_out, error *err);
    /* Rewrites password_hash, display_name, phone, notify, lang, email_verified_at,
     * phone_verified_at. */
    int (*tx_update)(store *s, const store_account *acc, error *err);
    /* A citizen deletes their account (or an administrator does it for them): the
     * requests of the account — citizen_id, and with by_email (a verified address) those
     * filed with the account's address — not yet anonymised get an internal
     * «account_deleted» event by actor, lose their link to the account and are marked
     * erase_requested_at = now (*n_requests: how many); the account's sessions and tokens,
     * its «moi aussi» key (supporter_key, may be NULL), the messages addressed to the
     * account alone (outbox rows of its address without a request), its broadcast
     * subscriptions and those of its address, and the account row go. ERR_NOT_FOUND when
     * the account is absent. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t account_id, int by_email,
                     const char *supporter_key, const char *actor, int64_t now,
                     int64_t *n_requests, error *err);
} store_accounts_ops;

/* Logged-in sessions of citizens and agents; only the keyed hash of a cookie is kept. */
typedef struct store_sessions_ops {
    int (*find)(store *s, int64_t tenant_id, const char *token_hash, arena *a,
                store_session *out, int *found, error *err);
    int (*tx_insert)(store *s, const store_session *se, int64_t *id_out, error *err);
    int (*tx_touch)(store *s, int64_t id, int64_t last_seen_at, error *err);
    int (*tx_delete)(store *s, int64_t tenant_id, const char *token_hash, error *err);
    /* Ends every session of an account (password reset). */
    int (*tx_delete_account)(store *s, int64_t tenant_id, int64_t account_id,
                             error *err);
    /* Ends every session of an agent (deactivated, password changed). */
    int (*tx_delete_agent)(store *s, int64_t tenant_id, int64_t agent_id, error *err);
} store_sessions_ops;

/* Single-use secrets sent by e-mail (verify, reset, login link). */
typedef struct store_tokens_ops {
    int (*tx_insert)(store *s, const store_token *t, error *err);
    /* Marks the token used and returns it when it exists for that purpose, is unused and
     * not expired at `now`; *found 0 otherwise (nothing changed). */
    int (*tx_consume)(store *s, int64_t tenant_id, const char *purpose,
                      const char *token_hash, int64_t now, arena *a, store_token *out,
                      int *found, error *err);
    /* The token of that purpose and hash whatever its state (its used_at and expires_at
     * tell), read inside a job: why tx_consume found nothing. *found 0: no such token. */
    int (*tx_find)(store *s, int64_t tenant_id, const char *purpose, const char *token_hash,
                   arena *a, store_token *out, int *found, error *err);
    /* Deletes the tenant's tokens expired at `before`, used or not; *n (may be NULL) how
     * many. */
    int (*tx_purge_expired)(store *s, int64_t tenant_id, int64_t before, int64_t *n, error *err);
} store_tokens_ops;

/* Agents of the collectivité, with their departments. */
typedef struct store_agents_ops {
    /* Agents, with their departments. email is compared lowercased. *found 0: none. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_agent *out,
               int *found, error *err);
    int (*find_email)(store *s, int64_t tenant_id, const char *email, arena *a,
                      store_agent *out, int *found, error *err);
    /* Every agent of the tenant (active or not), by name then id; arrays in a. */
    int (*list)(store *s, int64_t tenant_id, arena *a, store_agent **out, size_t *n,
                error *err);
    /* Inserts ag with its departments; ERR_CONFLICT when the e-mail is taken, ERR_INVALID_ARG
     * for an unknown role or a department of another tenant. */
    int (*tx_insert)(store *s, const store_agent *ag, int64_t *id_out, error *err);
    /* Rewrites name, role, password_hash, totp_secret, totp_enabled, active, last_login_at
     * of agent ag->id (in ag->tenant_id) and replaces its departments; ERR_NOT_FOUND when no
     * such agent. */
    int (*tx_update)(store *s, const store_agent *ag, error *err);
} store_agents_ops;

/* Agents' choice of new-request notices (core/agent_notices.h) and what the notices read. */
typedef struct store_agent_notices_ops {
    /* The agent's choice, "immediate" or "digest"; *mode NULL when none (strings in a). */
    int (*get)(store *s, int64_t tenant_id, int64_t agent_id, arena *a, const char **mode,
               error *err);
    /* Sets it (mode NULL: none). The agent must be of tenant_id: ERR_NOT_FOUND otherwise. */
    int (*tx_set)(store *s, int64_t tenant_id, int64_t agent_id, const char *mode, error *err);
    /* Every tenant's counts (tenants without a choice left out); array in a. */
    int (*counts)(store *s, arena *a, store_agent_notice_count **out, size_t *n, error *err);
    /* The active agents of tenant_id who chose mode, with their departments; arrays in a. */
    int (*watchers)(store *s, int64_t tenant_id, const char *mode, arena *a, store_agent **out,
                    size_t *n, error *err);
    /* The requests of tenant_id created in [from, to), oldest first, at most limit; *more 1
     * when there were more. */
    int (*new_requests)(store *s, int64_t tenant_id, int64_t from, int64_t to, size_t limit,
                        arena *a, store_new_request **out, size_t *n, int *more, error *err);
    /* The weekly digest (core/weekly_digest.h): whether the agent asked for it (*on 0 or 1);
     * set or clear it (ERR_NOT_FOUND for an agent of another tenant); the active agents of
     * tenant_id who asked for it, with their departments (arrays in a). */
    int (*weekly_get)(store *s, int64_t tenant_id, int64_t agent_id, int *on, error *err);
    int (*tx_weekly_set)(store *s, int64_t tenant_id, int64_t agent_id, int on, error *err);
    int (*weekly_recipients)(store *s, int64_t tenant_id, arena *a, store_agent **out, size_t *n,
                             error *err);
    /* Per department of tenant_id (and 0 for none): the requests filed and closed in
     * [from, to), open now and open past their due date at `now`; departments with nothing
     * left out; *out in a, by department id. Reads the indexes of the window and of the open
     * requests only, never every request. */
    int (*week_figures)(store *s, int64_t tenant_id, int64_t from, int64_t to, int64_t now,
                        arena *a, store_department_week **out, size_t *n, error *err);
} store_agent_notices_ops;

/* Inbox queries an agent saved under a name. */
typedef struct store_saved_filters_ops {
    /* An agent's saved filters, by name. */
    int (*list)(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                store_saved_filter **out, size_t *n, error *err);
    /* ERR_CONFLICT when the agent already has a filter of that name. */
    int (*tx_insert)(store *s, const store_saved_filter *f, int64_t *id_out,
                     error *err);
    /* Deletes filter id only when it belongs to that agent; ERR_NOT_FOUND otherwise. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t agent_id, int64_t id,
                     error *err);
} store_saved_filters_ops;

/* A tenant's reply templates. */
typedef struct store_reply_templates_ops {
    /* Reply templates of a tenant, by name. */
    int (*list)(store *s, int64_t tenant_id, arena *a,
                store_reply_template **out, size_t *n, error *err);
    /* t->id 0: inserts, or replaces the body of the tenant's template of the same name;
     * t->id set: rewrites that template's name and body (ERR_NOT_FOUND when absent,
     * ERR_CONFLICT when the new name is taken). Sets *id_out (may be NULL). */
    int (*tx_upsert)(store *s, const store_reply_template *t, int64_t *id_out,
                     error *err);
    /* ERR_NOT_FOUND when absent. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
} store_reply_templates_ops;

/* A tenant's letter templates (core/letter_tpl.h). */
typedef struct store_letter_templates_ops {
    /* The tenant's templates, by name. */
    int (*list)(store *s, int64_t tenant_id, arena *a, store_letter_template **out, size_t *n,
                error *err);
    /* Template id of tenant_id (strings in a); *found 0 when there is none. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_letter_template *out,
               int *found, error *err);
    /* t->id 0: inserts version 1; t->id set: rewrites that template as its next version
     * (ERR_NOT_FOUND when absent). Either way the version written is also kept in
     * letter_template_versions. ERR_CONFLICT when the name is taken. Sets *id_out (may be
     * NULL). */
    int (*tx_upsert)(store *s, const store_letter_template *t, int64_t *id_out, error *err);
    /* Deletes template id of tenant_id (its versions stay); ERR_NOT_FOUND when absent. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
} store_letter_templates_ops;

/* API keys: only their keyed hash is stored. */
typedef struct store_apikeys_ops {
    int (*find)(store *s, const char *key_hash, arena *a, store_apikey *out, int *found,
                error *err);
    int (*list)(store *s, int64_t tenant_id, arena *a, store_apikey **out, size_t *n,
                error *err);
    int (*tx_insert)(store *s, const store_apikey *k, int64_t *id_out, error *err);
    int (*tx_revoke)(store *s, int64_t tenant_id, int64_t id, int64_t when, error *err);
} store_apikeys_ops;

/* The trust anchors of signed PDF files, per collectivité. */
typedef struct store_trust_anchors_ops {
    /* Every anchor of tenant_id, oldest first, in a. */
    int (*list)(store *s, int64_t tenant_id, arena *a, store_trust_anchor **out, size_t *n,
                error *err);
    /* ERR_CONFLICT when the collectivité has this certificate already. */
    int (*tx_insert)(store *s, const store_trust_anchor *t, int64_t *id_out, error *err);
    /* ERR_NOT_FOUND when tenant_id has no anchor id. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
} store_trust_anchors_ops;

/* Idempotency keys of the API: the request a key already created. */
typedef struct store_idempotency_ops {
    /* The request created earlier under this idempotency key, if any: *reference in a. */
    int (*find)(store *s, int64_t tenant_id, int64_t api_key_id, const char *key,
                arena *a, const char **reference, error *err);
    int (*tx_insert)(store *s, int64_t tenant_id, int64_t api_key_id,
                     const char *key, int64_t request_id, int64_t created_at,
                     error *err);
} store_idempotency_ops;

/* Failed short-code entries (core/request.h, request_code_check) and phone codes
 * (core/phone_verify.h): counts per scope ("reference", "address" or "phone") and key. Core decides
 * what the counts mean. */
typedef struct store_code_failures_ops {
    /* The count under (scope, key); zeroes when there is none. Inside a job it sees the
     * job's own changes. */
    int (*get)(store *s, int64_t tenant_id, const char *scope, const char *key,
               store_code_failures *out, error *err);
    /* Replaces the count under (scope, key); failures 0 removes it. */
    int (*tx_set)(store *s, int64_t tenant_id, const char *scope, const char *key,
                  const store_code_failures *f, error *err);
    /* Removes every count whose last failure is before `before` (all tenants). */
    int (*tx_purge)(store *s, int64_t before, error *err);
} store_code_failures_ops;

/* Collectivités' address lists (core/address.h). A list is a set of rows (address_sets)
 * filled while it is 'loading', then made 'current' in one small write, the previous one
 * becoming 'old' and purged afterwards in bounded writes: a reader sees a whole list, the
 * old or the new, and no write holds the database for the length of an import. */
typedef struct store_addresses_ops {
    /* The tenant's current list: *set_id 0 when it has none; *count its addresses. */
    int (*current)(store *s, int64_t tenant_id, int64_t *set_id, int64_t *count, error *err);
    /* How many street words of list set_id lie in [from, to), counting up to cap at most
     * (so that a common prefix costs no more than a rare one): the search starts from its
     * rarest word. */
    int (*words_count)(store *s, int64_t set_id, const char *from, const char *to, size_t cap,
                       int64_t *count, error *err);
    /* Streets of list set_id with a word in [from, to) (a prefix's range), at most limit,
     * in no particular order; *out in a. */
    int (*streets_by_word)(store *s, int64_t set_id, const char *from, const char *to, size_t limit,
                           arena *a, store_address_street **out, size_t *n, error *err);
    /* The addresses of street_id numbered `number` (every rep), those without a rep
     * first; *out in a. */
    int (*by_number)(store *s, int64_t street_id, int number, arena *a, store_address **out,
                     size_t *n, error *err);
    /* Addresses of list set_id in the box [lat_min, lat_max] × [lon_min, lon_max], nearest
     * to (lat, lon) first by (Δlat² + (Δlon·coslat)²), at most limit; *out in a. */
    int (*in_box)(store *s, int64_t set_id, double lat_min, double lat_max, double lon_min,
                  double lon_max, double lat, double lon, double coslat, size_t limit, arena *a,
                  store_address **out, size_t *n, error *err);
    /* Starts a list for the tenant, 'loading' (*set_id): any other list it was loading
     * becomes 'old' (an import that stopped half-way, or one running now, which will then
     * fail at tx_set_finish). */
    int (*tx_set_begin)(store *s, int64_t tenant_id, int64_t now, int64_t *set_id, error *err);
    /* The street of list st->set_id with st's insee, postcode and name: its id, inserted
     * with its key's words (split at spaces) when new (*created 1). */
    int (*tx_street)(store *s, const store_address_street *st, int64_t *id_out, int *created,
                     error *err);
    /* Inserts address ad of street ad->street_id into list set_id. */
    int (*tx_insert)(store *s, int64_t tenant_id, int64_t set_id, const store_address *ad,
                     error *err);
    /* Places the streets of list set_id after id after_id, limit of them in id order, at
     * their middle address by number; *last_id the last one placed, 0 when none was left. */
    int (*tx_streets_place)(store *s, int64_t set_id, int64_t after_id, size_t limit,
                            int64_t *last_id, error *err);
    /* Completes list set_id: records count and makes it the tenant's current list (the
     * previous one 'old'). ERR_CONFLICT when it is no longer 'loading' (another import
     * started meanwhile). */
    int (*tx_set_finish)(store *s, int64_t tenant_id, int64_t set_id, int64_t count, error *err);
    /* Drops list set_id ('old' from now on), for an import given up. */
    int (*tx_set_drop)(store *s, int64_t tenant_id, int64_t set_id, error *err);
    /* Deletes at most max_rows rows of the tenant's 'old' lists (and a list's own row once
     * it is empty); *deleted how many: 0 when nothing is left to purge. */
    int (*tx_purge)(store *s, int64_t tenant_id, size_t max_rows, int64_t *deleted, error *err);
} store_addresses_ops;

/* Collectivités' areas (core/area.h), replaced a kind at a time. */
typedef struct store_areas_ops {
    /* The tenant's areas of `kind` (NULL: every kind), by kind then position; with_geometry
     * 0 leaves geometry NULL (a listing). *out in a. */
    int (*list)(store *s, int64_t tenant_id, const char *kind, int with_geometry, arena *a,
                store_area **out, size_t *n, error *err);
    /* Deletes the tenant's areas of kind whose code is not in keep (a JSON array of codes;
     * NULL: none is kept); *deleted how many. */
    int (*tx_delete_kind)(store *s, int64_t tenant_id, const char *kind, const char *keep,
                          int64_t *deleted, error *err);
    /* Inserts one area, or rewrites the tenant's area of its kind and code (name, department,
     * position, geometry), which keeps its id. ar->id is not read. */
    int (*tx_put)(store *s, const store_area *ar, error *err);
    /* The broadcasts not yet queued that target an area of kind whose code is not in keep
     * (a JSON array; NULL: none), one row per broadcast and area, by broadcast; *out in a. */
    int (*tx_drafts_losing)(store *s, int64_t tenant_id, const char *kind, const char *keep,
                            arena *a, store_area_use **out, size_t *n, error *err);
    /* One area of the tenant by id, without its geometry, inside a job; *found 0: none. */
    int (*tx_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_area *out, int *found,
                  error *err);
    /* Adds one area after the last of its kind (ar->position is not read); *id its id. */
    int (*tx_append)(store *s, const store_area *ar, int64_t *id, error *err);
    /* Sets area ar->id's name and, when ar->geometry is not NULL, its geometry, box and
     * vertices. ERR_NOT_FOUND when the tenant has no such area. */
    int (*tx_update)(store *s, const store_area *ar, error *err);
    /* Deletes one area of the tenant. ERR_NOT_FOUND when it has no such area. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
    /* What uses area id (code its code): the routing rules naming it (*rules) and the
     * broadcasts whose recipients are not all queued yet that target it (*broadcasts). */
    int (*tx_usage)(store *s, int64_t tenant_id, int64_t id, const char *code, int64_t *rules,
                    int64_t *broadcasts, error *err);
} store_areas_ops;

/* Instance settings (name, value). */
/* Instance settings (name, value). */
typedef struct store_settings_ops {
    /* A stored setting (e.g. "instance_secret"); *value NULL when absent. */
    int (*get)(store *s, const char *name, arena *a, const char **value, error *err);
    int (*tx_set)(store *s, const char *name, const char *value, error *err);
    /* Removes a setting (nothing when absent). */
    int (*tx_delete)(store *s, const char *name, error *err);
    /* A collectivité's costs of a request per channel (core/channel_cost.h): its rows, any
     * order, *out in a. */
    int (*channel_costs)(store *s, int64_t tenant_id, arena *a, store_channel_cost **out, size_t *n,
                         error *err);
    /* Replaces them with rows[0..n). */
    int (*tx_channel_costs_set)(store *s, int64_t tenant_id, const store_channel_cost *rows,
                                size_t n, error *err);
} store_settings_ops;

/* The append-only, hash-chained audit log. */
typedef struct store_audit_ops {
    /* Audit log. Appends one entry as given (hashes computed by core); sets *id_out. */
    int (*tx_append)(store *s, const store_audit *e, int64_t *id_out, error *err);
    /* The tenant's last entry, to chain the next one to: call it inside the job that appends,
     * where it reads the writer's view, so that no other entry slips in between. */
    int (*last)(store *s, int64_t tenant_id, arena *a, store_audit *out, int *found,
                error *err);
    /* Entries with id > after_id, oldest first, at most limit (> 0). */
    int (*list)(store *s, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                store_audit **out, size_t *n, error *err);
    /* Entries matching f, newest first (the requests an entry names are indexed apart, in
     * audit_log_requests, so that a request's readers are found without a scan). */
    int (*search)(store *s, const store_audit_filter *f, arena *a, store_audit **out, size_t *n,
                  error *err);
    /* The references of the tenant's requests among ids (n_ids at most
     * STORE_AUDIT_NAMES_MAX), in no particular order; unknown ids are left out. */
    int (*request_names)(store *s, int64_t tenant_id, const int64_t *ids, size_t n_ids, arena *a,
                         store_request_name **out, size_t *n, error *err);
    /* Retention: deletes the tenant's entries with at < before; *purged their count. The
     * oldest remaining entry's prev_hash then names a deleted entry: verification starts
     * from it. */
    int (*tx_purge_before)(store *s, int64_t tenant_id, int64_t before, int64_t *purged,
                           error *err);
} store_audit_ops;

/* Retention (RGPD): requests past their retention and their anonymisation. */
typedef struct store_retention_ops {
    /* Closed requests not yet anonymised, by id, at most limit (> 0): with procedure_id,
     * those of that procedure closed before closed_before; with procedure_id 0, those whose
     * erasure was asked (erase_requested_at), whenever closed. ids in a. */
    int (*due)(store *s, int64_t tenant_id, int64_t procedure_id,
               int64_t closed_before, size_t limit, arena *a, int64_t **ids,
               size_t *n, error *err);
    /* How many requests requests_retention_due would give without a limit. */
    int (*count)(store *s, int64_t tenant_id, int64_t procedure_id,
                 int64_t closed_before, int64_t *count, error *err);
    /* Erases the personal data of request request_id, in the current transaction: the
     * tracking token, description, address and address id, first and last name, e-mail,
     * phone, device and account ids, media URL, status notes, rating comment, the link to
     * a citizen's account (notify becomes none); the position and attributes become what
     * `keep` says; the body of every event but those that hold no citizen's text (assign:
     * an agent, priority, department: a code); its «moi aussi» keys; its outbox messages
     * (recipients); its attachment rows, returned in *removed (in a) so that the caller
     * deletes their files once the transaction is durable. Sets anonymised_at and
     * updated_at to now. Kept: reference, procedure, department, status, channel, zipcode,
     * priority, assignee, dates, rating, supporters count, publication. ERR_NOT_FOUND when
     * absent. */
    int (*tx_anonymise)(store *s, int64_t tenant_id, int64_t request_id,
                        const store_anonymised *keep, int64_t now, arena *a,
                        store_attachment **removed, size_t *n_removed, error *err);
} store_retention_ops;

/* Bordereaux d'élimination: what a pass found due, waiting for the archives' visa. */
typedef struct store_disposal_ops {
    /* Bordereaux d'élimination. Creates a pending one holding ids[n] (n > 0): *id_out. */
    int (*tx_create)(store *s, int64_t tenant_id, int64_t now, const int64_t *ids,
                     size_t n, int64_t *id_out, error *err);
    /* The tenant's bordereaux, newest first, at most limit, with their counts; out in a. */
    int (*list)(store *s, int64_t tenant_id, size_t limit, arena *a,
                store_disposal_list **out, size_t *n, error *err);
    /* One bordereau with its counts; *found 0 when absent or of another tenant. */
    int (*get)(store *s, int64_t tenant_id, int64_t id, arena *a,
               store_disposal_list *out, int *found, error *err);
    /* Items of bordereau list_id by request id, after after_request_id, at most limit;
     * state NULL: every item, else only those in that state. out in a. */
    int (*items)(store *s, int64_t tenant_id, int64_t list_id, const char *state,
                 int64_t after_request_id, size_t limit, arena *a,
                 store_disposal_item **out, size_t *n, error *err);
    /* Records the visa: pending → approved, by agent_id at now. ERR_NOT_FOUND when absent,
     * ERR_CONFLICT when not pending. */
    int (*tx_approve)(store *s, int64_t tenant_id, int64_t id, int64_t agent_id,
                      int64_t now, error *err);
    /* Sets the state (done, kept) of one item. */
    int (*tx_item_set)(store *s, int64_t list_id, int64_t request_id,
                       const char *state, error *err);
    /* approved → done at now when it has no item left in state due; *finished 1 then. */
    int (*tx_finish)(store *s, int64_t tenant_id, int64_t id, int64_t now,
                     int *finished, error *err);
} store_disposal_ops;

/* Persistent jobs (core/jobs.h) and webhook subscriptions (core/webhook.h). */
typedef struct store_jobs_ops {
    /* Inserts j (state pending, attempts 0; its id, state and dates but due_at and
     * created_at are not read). When a job with the same (tenant, kind, request, ukey)
     * exists, nothing is written unless it was cancelled: it then becomes pending again
     * with j's due_at and payload. *id_out (may be NULL): the row's id. */
    int (*tx_schedule)(store *s, const store_job_row *j, int64_t *id_out, error *err);
    /* Cancels the pending jobs of kind for request_id (done_at = now); *n how many (may be
     * NULL). */
    int (*tx_cancel)(store *s, int64_t tenant_id, int64_t request_id, const char *kind, int64_t now,
                     int64_t *n, error *err);
    /* Pending jobs with due_at <= now, by due_at then id, at most limit (> 0); in a. Read
     * on the calling thread's connection (the writer's inside a job). */
    int (*due)(store *s, int64_t now, size_t limit, arena *a, store_job_row **out, size_t *n,
               error *err);
    /* The earliest due_at of the pending jobs; *found 0 when there is none. */
    int (*next_due)(store *s, int64_t *due_at, int *found, error *err);
    /* Job id; *found 0 when absent. Read as `due` is. */
    int (*get)(store *s, int64_t id, arena *a, store_job_row *out, int *found, error *err);
    /* Rewrites state, attempts, due_at, last_error and done_at of job j->id. */
    int (*tx_update)(store *s, const store_job_row *j, error *err);
    /* Running jobs become pending again (a process that stopped during their run): *n. */
    int (*tx_requeue_running)(store *s, int64_t *n, error *err);
    /* The tenant's jobs of kind, newest first, at most limit; in a. */
    int (*list)(store *s, int64_t tenant_id, const char *kind, size_t limit, arena *a,
                store_job_row **out, size_t *n, error *err);
    /* The collectivité's days of warning before a request's due date; *days -1 when never
     * set (the default applies). */
    int (*due_warning_days)(store *s, int64_t tenant_id, int *days, error *err);
    int (*tx_set_due_warning_days)(store *s, int64_t tenant_id, int days, error *err);
    /* The tenant's webhook subscriptions, by id; in a. */
    int (*webhooks)(store *s, int64_t tenant_id, arena *a, store_webhook **out, size_t *n,
                    error *err);
    /* Subscription id of the tenant; *found 0 when absent. */
    int (*webhook_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_webhook *out,
                       int *found, error *err);
    /* w->id 0: inserts (*id_out); otherwise rewrites url, events, secret and active of that
     * subscription of w->tenant_id (ERR_NOT_FOUND when absent). */
    int (*tx_webhook_put)(store *s, const store_webhook *w, int64_t *id_out, error *err);
    /* The timeouts of status `status` in the workflow of procedure procedure_id (by
     * position; in a), with the tenant's zone and calendar of holidays (store_branding's
     * holidays), as a write job sees them: what a request entering that status schedules. */
    int (*status_timeouts)(store *s, int64_t tenant_id, int64_t procedure_id, const char *status,
                           arena *a, store_workflow_timeout **out, size_t *n, const char **tz,
                           int *holidays, error *err);
    /* request_id's pending jobs of kind, by due_at then id (at most limit); in a. */
    int (*request_pending)(store *s, int64_t tenant_id, int64_t request_id, const char *kind,
                           size_t limit, arena *a, store_job_row **out, size_t *n, error *err);
    /* The pending jobs of kind of the requests whose procedure follows workflow_id, by id;
     * in a. Read as `due` is (a workflow's save reschedules them in its own job). */
    int (*workflow_pending)(store *s, int64_t tenant_id, int64_t workflow_id, const char *kind,
                            arena *a, store_job_row **out, size_t *n, error *err);
    /* When request_id last entered a status: the latest of its events that name the status
     * they lead to (creation, status change, reopening); 0 when none. Read as `due` is. */
    int (*status_entered_at)(store *s, int64_t request_id, int64_t *at, error *err);
    /* The code of procedure id (in a), as a job's transaction sees it; NULL when absent. */
    int (*procedure_code)(store *s, int64_t id, arena *a, const char **code, error *err);
} store_jobs_ops;

/* Transactions, used by the generic writer (store.c) only. */
typedef struct store_tx_ops {
    int (*begin)(store *s, error *err);
    int (*commit)(store *s, error *err);
    void (*rollback)(store *s);
    int (*savepoint)(store *s, error *err);
    int (*release)(store *s, error *err);
    void (*rollback_to)(store *s);
} store_tx_ops;

/* Collectivités' routing rules and their last fallback (core/routing.h), read whole into
 * the catalogue's snapshot. */
typedef struct store_routing_ops {
    /* Every tenant's rules, by tenant then position, and every tenant's default that has
     * one; arrays and strings in a. */
    int (*load)(store *s, arena *a, store_routing_rule **rules, size_t *n_rules,
                store_routing_default **defaults, size_t *n_defaults, error *err);
    /* Inserts r after the tenant's last rule (r->position ignored); *id_out. ERR_CONFLICT
     * when the tenant has a rule of that name. */
    int (*tx_insert)(store *s, const store_routing_rule *r, int64_t *id_out, error *err);
    /* Rewrites rule r->id of r->tenant_id but its position; ERR_NOT_FOUND when absent,
     * ERR_CONFLICT for another rule's name. */
    int (*tx_update)(store *s, const store_routing_rule *r, error *err);
    /* ERR_NOT_FOUND when absent. */
    int (*tx_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
    /* Swaps rule id with the one before it (up) or after it; *moved 0 when it is first
     * (up) or last already. ERR_NOT_FOUND when absent. */
    int (*tx_move)(store *s, int64_t tenant_id, int64_t id, int up, int *moved, error *err);
    /* Sets the tenant's default department (0: none). */
    int (*tx_set_default)(store *s, int64_t tenant_id, int64_t department_id, error *err);
    /* Deletes every rule of the tenant (an import replacing them); *deleted how many. */
    int (*tx_clear)(store *s, int64_t tenant_id, int64_t *deleted, error *err);
} store_routing_ops;

/* Workflows' edits (tables workflows, workflow_statuses, workflow_transitions and their
 * versions, workflow_versions), the use their statuses have, and the move of a procedure's
 * requests to another workflow. */
typedef struct store_workflows_ops {
    /* Inserts workflow w (its tenant, code and names; no status yet); *id_out. ERR_CONFLICT
     * when the tenant has a workflow of that code. */
    int (*tx_create)(store *s, const store_workflow *w, int64_t *id_out, error *err);
    /* Makes workflow w->id (of w->tenant_id) hold exactly w's names, statuses[n] and
     * transitions[nt] (positions from their order): statuses are updated in place by code, so
     * that what other columns say of a kept status stays; statuses absent are deleted.
     * ERR_NOT_FOUND when no such workflow. */
    int (*tx_replace)(store *s, const store_workflow *w, const store_workflow_status *statuses,
                      size_t n, const store_workflow_transition *transitions, size_t nt,
                      error *err);
    /* Makes workflow_id's actions on entering a status, or its timeouts, exactly list[n]
     * (their workflow_id ignored; positions as given): those there are deleted first. Called
     * with n 0 before tx_replace removes a status (they refer to it), then with the list. */
    int (*tx_actions_replace)(store *s, int64_t workflow_id, const store_workflow_action *list,
                              size_t n, error *err);
    int (*tx_timeouts_replace)(store *s, int64_t workflow_id, const store_workflow_timeout *list,
                               size_t n, error *err);
    /* How many requests are in each status: those of the procedures of workflow_id, or of
     * procedure procedure_id when workflow_id is 0. Statuses without any are left out; *out
     * in a. The tx_ one reads inside the current write job. */
    int (*status_counts)(store *s, int64_t tenant_id, int64_t workflow_id, int64_t procedure_id,
                         arena *a, store_status_count **out, size_t *n, error *err);
    int (*tx_status_counts)(store *s, int64_t tenant_id, int64_t workflow_id, int64_t procedure_id,
                            arena *a, store_status_count **out, size_t *n, error *err);
    /* The latest version number of workflow_id (0: none yet), inside the job. */
    int (*tx_last_version)(store *s, int64_t workflow_id, int *version, error *err);
    /* Adds version v->version of v->workflow_id (v->created_at 0: now); ERR_CONFLICT when it
     * exists. */
    int (*tx_version_add)(store *s, const store_workflow_version *v, error *err);
    /* The versions of workflow_id of tenant_id, newest first, without their definitions. */
    int (*versions)(store *s, int64_t tenant_id, int64_t workflow_id, arena *a,
                    store_workflow_version **out, size_t *n, error *err);
    /* Version `version` of workflow_id, definition included; *found 0 when none. */
    int (*version_get)(store *s, int64_t tenant_id, int64_t workflow_id, int version, arena *a,
                       store_workflow_version *out, int *found, error *err);
    /* Moves the requests of procedure_id in status `from` to status `to` (closed: whether `to`
     * is closed, which sets closed_at to now when unset, or clears it), updated_at now; their
     * ids in *ids (in a), how many in *n. */
    int (*tx_restatus)(store *s, int64_t tenant_id, int64_t procedure_id, const char *from,
                       const char *to, int closed, int64_t now, arena *a, int64_t **ids, size_t *n,
                       error *err);
    /* Gives procedure_id the workflow workflow_id; ERR_NOT_FOUND when no such procedure. */
    int (*tx_procedure_set)(store *s, int64_t tenant_id, int64_t procedure_id, int64_t workflow_id,
                            error *err);
} store_workflows_ops;

/* Broadcasts: topics, subscribers (double opt-in), broadcasts and their delivery figures. */
typedef struct store_broadcasts_ops {
    /* The tenant's topics by position (active_only: those offered to citizens). */
    int (*topics)(store *s, int64_t tenant_id, int active_only, arena *a, store_topic **out,
                  size_t *n, error *err);
    /* Rewrites name, name_en, description, description_en, active of topic t->id (in
     * t->tenant_id); ERR_NOT_FOUND when none. */
    int (*tx_topic_update)(store *s, const store_topic *t, error *err);
    /* Inserts sub with its topics (leave_token and confirm_hash set by the caller). */
    int (*tx_subscriber_insert)(store *s, const store_subscriber *sub, int64_t *id_out, error *err);
    /* The subscriber whose confirm_hash is that, whatever its state; *found 0: none. */
    int (*tx_subscriber_by_confirm)(store *s, int64_t tenant_id, const char *confirm_hash, arena *a,
                                    store_subscriber *out, int *found, error *err);
    /* Confirms subscriber id at now (its confirm_hash cleared) and ends, at now, the other
     * active subscriptions of the same channel and address: the new one replaces them. */
    int (*tx_subscriber_confirm)(store *s, int64_t tenant_id, int64_t id, int64_t now, error *err);
    /* The subscriber of that leave token; *found 0: none. */
    int (*subscriber_by_leave)(store *s, int64_t tenant_id, const char *leave_token, arena *a,
                               store_subscriber *out, int *found, error *err);
    /* Ends subscriber id at now (nothing when it has left already). */
    int (*tx_subscriber_leave)(store *s, int64_t tenant_id, int64_t id, int64_t now, error *err);
    /* Ends at now every subscription, pending or active, of that channel and address (a
     * number that sent STOP); *n (may be NULL) how many. */
    int (*tx_subscribers_leave_address)(store *s, int64_t tenant_id, const char *channel,
                                        const char *address, int64_t now, int64_t *n, error *err);
    /* Deletes, with their topics, the tenant's subscriptions left before `before` or never
     * confirmed and expired before it; *n (may be NULL) how many. */
    int (*tx_subscribers_purge)(store *s, int64_t tenant_id, int64_t before, int64_t *n,
                                error *err);
    /* Erases the recipient, parameters and delivery detail of the tenant's broadcast
     * messages whose final state (sent, delivered, bounced, failed) dates from before
     * `before`, keeping the rows and their states for the broadcasts' figures; *n (may be
     * NULL) how many. */
    int (*tx_recipients_forget)(store *s, int64_t tenant_id, int64_t before, int64_t *n,
                                error *err);
    /* The active (confirmed, not left) subscriptions of an address, of an account or by SMS
     * to a number (NULL, 0, NULL: not that one), each once, with their topics; strings and
     * lists in a. */
    int (*subscribers_of)(store *s, int64_t tenant_id, const char *address, int64_t account_id,
                          const char *phone, arena *a, store_subscriber **out, size_t *n,
                          error *err);
    /* Active subscribers of one of the channels (JSON array) and one of the topics (JSON
     * array of ids) with id > after, by id, at most limit (topic_ids not read); never a
     * number that opted out of the tenant's SMS. The tx_ one reads inside the write job. */
    int (*tx_recipients)(store *s, int64_t tenant_id, const char *channels, const char *topics,
                         int64_t after, size_t limit, arena *a, store_subscriber **out, size_t *n,
                         error *err);
    int (*recipients)(store *s, int64_t tenant_id, const char *channels, const char *topics,
                      int64_t after, size_t limit, arena *a, store_subscriber **out, size_t *n,
                      error *err);
    int (*tx_broadcast_insert)(store *s, const store_broadcast *b, int64_t *id_out, error *err);
    int (*tx_broadcast_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_broadcast *out,
                            int *found, error *err);
    int (*broadcast_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_broadcast *out,
                         int *found, error *err);
    /* Moves the queuing on: cursor, recipients (added), queued_at (0: not finished). */
    int (*tx_broadcast_progress)(store *s, int64_t id, int64_t cursor, int64_t added,
                                 int64_t queued_at, error *err);
    /* The tenant's broadcasts, newest first, at most limit. */
    int (*broadcasts)(store *s, int64_t tenant_id, size_t limit, arena *a, store_broadcast **out,
                      size_t *n, error *err);
    /* How many of broadcast id's messages are in each delivery state, per channel (by
     * channel, then state). */
    int (*broadcast_states)(store *s, int64_t id, arena *a, store_state_count **out, size_t *n,
                            error *err);
} store_broadcasts_ops;

/* Incoming e-mail: messages held as spam (the contact addresses are store_mail_ops'). */
typedef struct store_mail_in_ops {
    int (*tx_held_insert)(store *s, const store_mail_held *m, int64_t *id_out, error *err);
    /* A tenant's held messages, newest first, without their bytes (message NULL). */
    int (*held_list)(store *s, int64_t tenant_id, arena *a, store_mail_held **out, size_t *n,
                     error *err);
    /* One held message with its bytes; *found 0 when absent or of another tenant. */
    int (*held_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_mail_held *out,
                    int *found, error *err);
    /* ERR_NOT_FOUND when absent. */
    int (*tx_held_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
    /* Deletes a tenant's held messages received before `before`; *n (may be NULL) how many. */
    int (*tx_held_purge)(store *s, int64_t tenant_id, int64_t before, int64_t *n, error *err);
} store_mail_in_ops;

/* The parapheur (core/parapheur.h): élus' keys, circuits and their steps, délégations. */
typedef struct store_sign_ops {
    /* agent_id's key; with_p12 also reads the file's bytes (in a). *found 0 when none. */
    int (*key_get)(store *s, int64_t tenant_id, int64_t agent_id, int with_p12, arena *a,
                   store_sign_key *out, int *found, error *err);
    /* The tenant's keys without their files, by élu's name. */
    int (*keys_list)(store *s, int64_t tenant_id, arena *a, store_sign_key **out, size_t *n,
                     error *err);
    /* Inserts or replaces k->agent_id's key (failures and lock cleared). */
    int (*tx_key_set)(store *s, const store_sign_key *k, error *err);
    /* Replaces agent_id's PKCS#12 file by sealed (sealed_len bytes) if it still is old
     * (old_len bytes), nothing else changed; *replaced 1 when it was. */
    int (*tx_key_p12_replace)(store *s, int64_t tenant_id, int64_t agent_id, const void *old,
                              size_t old_len, const void *sealed, size_t sealed_len, int *replaced,
                              error *err);
    /* Counts a wrong PIN on agent_id's key in one statement (concurrent attempts each count):
     * at the tries-th in a row the count restarts and the key is locked until now + lock_s,
     * a lock never shortened. *locked 1 when the key is locked after it. */
    int (*tx_key_wrong_pin)(store *s, int64_t tenant_id, int64_t agent_id, int64_t now, int tries,
                            int64_t lock_s, int *locked, error *err);
    /* A right PIN: clears the count, unless the key is locked at now (a wrong attempt locked
     * it meanwhile): then -1 with ERR_RATE_LIMITED, arg "pin". */
    int (*tx_key_right_pin)(store *s, int64_t tenant_id, int64_t agent_id, int64_t now, error *err);
    /* Inserts c (its id in *id_out) and its steps[0..n) (positions 0..n-1, waiting). */
    int (*tx_circuit_insert)(store *s, const store_sign_circuit *c, const int64_t *elus, size_t n,
                             int64_t *id_out, error *err);
    /* Circuit id of tenant_id; writer 1: on the writer's connection, inside the job. */
    int (*circuit_get)(store *s, int writer, int64_t tenant_id, int64_t id, arena *a,
                       store_sign_circuit *out, int *found, error *err);
    /* Writes c's state, step, document_id, waiting_since, reminded_at and ended_at. */
    int (*tx_circuit_update)(store *s, const store_sign_circuit *c, error *err);
    /* The steps of circuit_id in order. */
    int (*steps_list)(store *s, int64_t circuit_id, arena *a, store_sign_step **out, size_t *n,
                      error *err);
    /* Decides step (circuit_id, position): its state, signer, document and comment. */
    int (*tx_step_decide)(store *s, const store_sign_step *st, error *err);
    /* The pending circuits waiting for agent_id, or for an élu who delegated to agent_id on
     * day `today` (YYYY-MM-DD), oldest first; at most max. */
    int (*queue)(store *s, int64_t tenant_id, int64_t agent_id, const char *today, size_t max,
                 arena *a, store_sign_circuit **out, size_t *n, error *err);
    /* request_id's circuits, newest first. */
    int (*of_request)(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                      store_sign_circuit **out, size_t *n, error *err);
    /* Pending circuits of every tenant waiting since before `since` and not reminded after
     * `reminded_before`, oldest first; at most max. */
    int (*due)(store *s, int64_t since, int64_t reminded_before, size_t max, arena *a,
               store_sign_circuit **out, size_t *n, error *err);
    int (*tx_delegation_insert)(store *s, const store_sign_delegation *d, int64_t *id_out,
                                error *err);
    /* ERR_NOT_FOUND when no such délégation of tenant_id. */
    int (*tx_delegation_delete)(store *s, int64_t tenant_id, int64_t id, error *err);
    /* The tenant's délégations ending on or after `from` (YYYY-MM-DD), by start. */
    int (*delegations_list)(store *s, int64_t tenant_id, const char *from, arena *a,
                            store_sign_delegation **out, size_t *n, error *err);
    /* Whether delegate_id signs for principal_id on `today`; writer as circuit_get. */
    int (*delegation_holds)(store *s, int writer, int64_t tenant_id, int64_t delegate_id,
                            int64_t principal_id, const char *today, int *holds, error *err);
    /* The tenant's days before a waiting signature reminds its élu: *days 0 when never set;
     * writer as circuit_get. */
    int (*remind_days)(store *s, int writer, int64_t tenant_id, int *days, error *err);
    int (*tx_remind_days_set)(store *s, int64_t tenant_id, int days, error *err);
    /* The tenant's signature settings (strings in a); level "B-B", no TSA, not visible when
     * never set. */
    int (*signing_get)(store *s, int64_t tenant_id, arena *a, store_sign_settings *out, error *err);
    /* Sets them; a row made here reminds after default_days. */
    int (*tx_signing_set)(store *s, int64_t tenant_id, const store_sign_settings *in,
                          int default_days, error *err);
} store_sign_ops;

/* The operation table every backend provides, one sub-table per area (each backend file
 * defines its area's). Only core calls these, and the command line to open a database:
 * pages and dispatchers read records (records.h) through core. Reads may run on any
 * thread; the tx_ operations only inside a write job's apply(). */
typedef struct store_ops {
    const char *name;
    void (*close)(store *s);
    /* Creates or upgrades the schema; idempotent. */
    int (*migrate)(store *s, error *err);
    int (*schema_version)(store *s, int *version, error *err);
    store_catalogue_ops catalogue;
    store_requests_ops requests;
    store_events_ops events;
    store_attachments_ops attachments;
    store_outbox_ops outbox;
    store_documents_ops documents;
    store_sign_ops sign;
    store_post_ops post;
    store_mail_ops mail;
    store_sms_ops sms;
    store_accounts_ops accounts;
    store_sessions_ops sessions;
    store_tokens_ops tokens;
    store_agents_ops agents;
    store_agent_notices_ops agent_notices;
    store_saved_filters_ops saved_filters;
    store_reply_templates_ops reply_templates;
    store_letter_templates_ops letter_templates;
    store_apikeys_ops apikeys;
    store_trust_anchors_ops trust_anchors;
    store_idempotency_ops idempotency;
    store_settings_ops settings;
    store_code_failures_ops code_failures;
    store_addresses_ops addresses;
    store_areas_ops areas;
    store_routing_ops routing;
    store_workflows_ops workflows;
    store_audit_ops audit;
    store_retention_ops retention;
    store_disposal_ops disposal;
    store_jobs_ops jobs;
    store_broadcasts_ops broadcasts;
    store_mail_in_ops mail_in;
    store_tx_ops tx;
    /* Outside any job: rewrites what deleted or overwritten rows may have left behind in
     * the file — the full-text index's segments (merged into one) and the write-ahead log
     * (checkpointed and truncated). Blocks writers while it runs; for maintenance. */
    int (*compact)(store *s, error *err);
} store_ops;

typedef struct store_writer store_writer;

/* The common part of every backend's store; backends embed it first in their own struct. */
/* Writer statistics, for logs and benchmarks. */
typedef struct store_writer_stats {
    uint64_t batches, jobs, failed_batches;
} store_writer_stats;

struct store {
    const store_ops *ops;
    store_writer *writer;          /* NULL until store_writer_start */
    store_writer_stats last_stats; /* of the writer last stopped */
    _Atomic uint64_t generation;   /* bumped after every committed write batch */
};

/* A number that grows after every write this process committed: caches of data read from
 * the store stay valid while it does not move. */
uint64_t store_generation(store *s);

/* Opens the SQLite backend on a file (created when absent). Returns NULL and fills err on
 * failure. Caller frees with store_close. */
store *store_sqlite_open(const char *path, error *err);
/* Opens the backend that `url` names: a path or "sqlite:PATH" for now. */
store *store_open(const char *url, error *err);
/* Stops the writer (after draining its queue) and closes; s may be NULL. */
void store_close(store *s);

/* Starts the group-commit writer thread. Without it, store_write runs each job at once in
 * its own transaction on the calling thread (CLI commands). */
int store_writer_start(store *s, error *err);
/* Drains the queue, then stops the writer thread. */
void store_writer_stop(store *s);

/* Queues a job (writer running) or runs it at once (no writer). The job must stay valid
 * until its done() has been called. */
void store_write(store *s, store_job *job);
/* Runs apply(arg) as one job and waits for its durable commit; 0 or -1 with err filled. */
int store_write_sync(store *s, int (*apply)(store *s, void *arg, error *err), void *arg,
                     error *err);

/* Waits for one asynchronous outcome (a job's done, or a core operation's callback): pass
 * store_waiter_done as the callback and the waiter as its argument, then store_waiter_wait
 * blocks until it has been called. The one waiter of the tree: store_write_sync and core's
 * synchronous forms use it. */
typedef struct store_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int finished; /* under lock */
    int rc;
    error err;
} store_waiter;

void store_waiter_init(store_waiter *w);
/* The callback: records rc and err (copied) and wakes the waiter; arg is the waiter. */
void store_waiter_done(void *arg, int rc, const error *err);
/* Waits, copies the error into err (may be NULL), destroys the waiter, returns rc. */
int store_waiter_wait(store_waiter *w, error *err);

/* Statistics of the running writer, or of the last one stopped. */
void store_writer_get_stats(store *s, store_writer_stats *out);

#endif

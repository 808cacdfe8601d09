/*
 * store — the one interface between core and persistent storage. Core sees records and
 * filters; each backend (sqlite now, postgres later) provides the function table below and
 * holds all of the SQL. Reads may be called from any thread; writes happen only inside a
 * write job run by the writer (store_write), which commits concurrent jobs together (group
 * commit) and reports each job's outcome only once its commit is durable.
 */
#ifndef GUICHET_STORE_H
#define GUICHET_STORE_H

#include <stdint.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

/* ---- Records. Strings are owned by the arena passed to the read that filled them (or by
 * the caller for writes); NULL means SQL NULL. ---- */

typedef struct store_tenant {
    int64_t id;
    const char *slug;     /* "ville-demo": Open311 jurisdiction_id */
    const char *name;     /* "Ville de Démo" */
    const char *hosts;    /* host names it answers on, lowercase, one space apart; the
                             first one builds the links of its e-mails. Each name belongs to
                             one tenant only (the tenant_hosts table) */
    const char *timezone; /* IANA zone, e.g. "Europe/Paris" */
    const char *contact;  /* public contact shown in Open311 discovery */
    /* 1: requests past their retention wait on a bordereau d'élimination for the visa of the
     * archives service before they are anonymised. Read with the catalogue; written only by
     * tx_tenant_set_archives_visa (tx_tenant_upsert leaves it as it is). */
    int archives_visa;
} store_tenant;

typedef struct store_department {
    int64_t id;
    int64_t tenant_id;
    const char *code; /* "voirie" */
    const char *name; /* "Voirie" */
    const char *email;
} store_department;

typedef enum procedure_kind { PROCEDURE_INCIDENT = 0, PROCEDURE_DEMARCHE = 1 } procedure_kind;

/* How much of a procedure's requests the Open311 GET endpoints show. A procedure exposed on
 * Open311 takes POSTs whatever its level; the level only governs what is read back. */
typedef enum open311_detail {
    OPEN311_DETAIL_NONE = 0,   /* in no GET answer at all */
    OPEN311_DETAIL_STATUS = 1, /* reference, service, department, status and dates only */
    OPEN311_DETAIL_FULL = 2,   /* also description, location, media, attributes, public notes */
} open311_detail;

typedef struct store_procedure {
    int64_t id;
    int64_t tenant_id;
    const char *code;        /* Open311 service_code */
    const char *name;        /* Open311 service_name */
    const char *group_name;  /* Open311 group */
    const char *description;
    const char *keywords;    /* comma separated */
    const char *attributes;  /* JSON array of attribute definitions (see core/attrs.h) */
    const char *service_notice; /* what happens next, shown after filing */
    int64_t department_id;   /* 0: none */
    int kind;                /* procedure_kind */
    int is_public;           /* requests may be shown publicly (after moderation) */
    int auto_public;         /* public at once, without an agent's acceptance */
    int allow_anonymous;     /* may be filed without any contact detail */
    int open311;             /* exposed on Open311 */
    int open311_detail;      /* open311_detail: what Open311 GETs show of its requests */
    int delay_days;          /* expected processing time; 0: none */
    int active;
    int retention_months;    /* months a closed request is kept before it is anonymised
                                (1-1200); 0 on an upsert: the default of its kind */
} store_procedure;

/* Everything the catalogue cache needs, loaded in one call. Arrays and strings are owned by
 * the arena given to catalogue_load. */
typedef struct store_catalogue {
    store_tenant *tenants;
    size_t n_tenants;
    store_department *departments;
    size_t n_departments;
    store_procedure *procedures;
    size_t n_procedures;
    int64_t version; /* the config_version it was loaded at */
} store_catalogue;

typedef struct store_request {
    int64_t id;
    int64_t tenant_id;
    const char *reference;   /* "2026-000123": unique per tenant, Open311 service_request_id */
    const char *token_hash;  /* hex keyed hash of the citizen's tracking token */
    int64_t procedure_id;
    const char *status;      /* status code, see core/status.h */
    const char *channel;     /* web, mobile, email, sms, phone, counter, post, api */
    const char *description;
    int has_location;        /* lat/lon valid */
    double lat, lon;
    const char *address;
    const char *address_id;
    const char *zipcode;
    const char *attributes;  /* JSON object code -> string or array of strings */
    const char *first_name, *last_name, *email, *phone; /* personal data */
    const char *device_id, *account_id;
    const char *media_url;
    int64_t department_id;   /* 0: none */
    const char *assignee;    /* agent identifier; NULL: unassigned */
    int priority;            /* 0 low, 1 normal, 2 high, 3 urgent */
    const char *status_notes; /* last public note on the status */
    int64_t created_at, updated_at, closed_at, due_at; /* unix seconds; 0: none */
    int64_t api_key_id;      /* key that filed it; 0: none */
    int64_t citizen_id;      /* account of the citizen who filed it; 0: none */
    const char *notify;      /* channel the citizen chose for news: email, sms, none */
    int is_public;           /* shown on the public incidents list (accepted by an agent or
                                automatically) */
    int rating;              /* 1-5 once the citizen rated the answer; 0: not rated */
    const char *rating_comment;
    int supporters;          /* "moi aussi" count */
    int64_t anonymised_at;   /* when its personal data were erased; 0: not yet */
    int64_t erase_requested_at; /* its citizen deleted their account: anonymised once closed,
                                   whatever the retention; 0: no */
} store_request;

typedef struct store_event {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id;
    int64_t created_at;
    const char *kind;        /* created, status, note, assign, priority, department */
    int is_public;           /* shown to the citizen and on Open311 extensions */
    const char *actor;       /* "citizen", "api:<key name>", "agent:<id>", "system" */
    const char *channel;
    const char *status_from, *status_to;
    const char *body;
} store_event;

typedef struct store_apikey {
    int64_t id;
    int64_t tenant_id;
    const char *name;
    const char *scope;       /* open311, api, gateway */
    const char *key_hash;    /* hex keyed BLAKE2b of the key */
    const char *prefix;      /* first characters of the key, to recognise it in lists */
    int64_t created_at, revoked_at;
} store_apikey;

/* A citizen's account on the portal (personal data). */
typedef struct store_account {
    int64_t id;
    int64_t tenant_id;
    const char *email;          /* lowercased; unique per tenant */
    const char *password_hash;  /* Argon2id (libsodium crypto_pwhash_str); NULL: none set */
    const char *display_name;
    const char *phone;
    const char *notify;         /* email, sms, none */
    const char *lang;           /* fr, en */
    int64_t email_verified_at;  /* 0: not verified */
    int64_t created_at;
} store_account;

/* A logged-in session; only the keyed hash of its cookie is stored. */
typedef struct store_session {
    int64_t id;
    int64_t tenant_id;
    const char *token_hash;
    int64_t account_id;
    int64_t created_at, last_seen_at, expires_at; /* expires_at: absolute end */
    /* Exactly one of account_id (a citizen) and agent_id (a back-office agent) is set; the
     * other is 0. tx_session_insert refuses anything else (ERR_INVALID_ARG). */
    int64_t agent_id;
} store_session;

/* A single-use secret sent by e-mail: verify (sign-up), reset (password), login (link). */
typedef struct store_token {
    int64_t id;
    int64_t tenant_id;
    int64_t account_id;
    const char *purpose;
    const char *token_hash;
    int64_t created_at, expires_at, used_at;
} store_token;

/* A message waiting to be sent, written in the same transaction as the change that causes
 * it. The text is made at sending time from `template` and `params`. */
typedef struct store_outbox {
    int64_t id;
    int64_t tenant_id;
    const char *channel;    /* email, sms */
    const char *recipient;  /* address or number (personal data) */
    const char *template;   /* e.g. "request_ack" -> templates/mail/request_ack.{txt,html} */
    const char *params;     /* JSON object for the template; cleared once sent */
    const char *lang;       /* fr, en */
    int64_t request_id;     /* 0: none */
    int attempts;
    int64_t created_at, next_attempt_at, sent_at; /* sent_at 0: not yet */
    int failed;             /* 1: given up after too many attempts */
    const char *last_error; /* no personal data */
} store_outbox;

/* A file attached to a request (photo, scanned letter, PDF). */
typedef struct store_attachment {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id;
    int64_t event_id;         /* the message it came with; 0: filed with the request */
    const char *filename;     /* the sender's name for it, sanitised */
    const char *content_type; /* from the content (libmagic), never from the client */
    int64_t size;
    const char *storage_name; /* random name in the uploads directory */
    const char *thumb_name;   /* thumbnail's storage name; NULL: none */
    int is_photo;
    const char *moderation;   /* pending, approved, rejected (photos shown publicly only once
                                 approved) */
    int64_t created_at;
} store_attachment;

/* ---- Back office (agents). ---- */

/* An agent of the collectivité (personal data). */
typedef struct store_agent {
    int64_t id;
    int64_t tenant_id;
    const char *email;         /* lowercased by the store; unique per tenant */
    const char *name;
    const char *role;          /* agent, manager, elected, admin */
    const char *password_hash; /* Argon2id (crypto_pwhash_str); NULL: none set */
    const char *totp_secret;   /* sealed by core, opaque here; NULL until enrolled */
    int totp_enabled;
    int active;
    int64_t created_at, last_login_at; /* last_login_at 0: never */
    /* The agent's departments (ids), in the arena of the read; for writes, the caller's.
     * tx_agent_update replaces the whole set. */
    const int64_t *department_ids;
    size_t n_departments;
} store_agent;

/* One entry of the append-only, hash-chained audit log. It holds ids, never personal data,
 * so that anonymising a request never touches the chain. prev_hash and hash are computed by
 * core; the store only keeps them. */
typedef struct store_audit {
    int64_t id;
    int64_t tenant_id;
    int64_t at;               /* unix seconds */
    int64_t agent_id;         /* 0: none (API key, system) */
    const char *actor;        /* "agent:12", "api:3", "system" */
    const char *action;       /* view, search, list, export, change, login, login_failed, admin */
    const char *object_kind;  /* request, agent, account, apikey, ... */
    const char *object_ids;   /* comma-separated ids; NULL: none */
    const char *source;       /* client address; NULL: unknown */
    const char *prev_hash;    /* hex; the previous entry's hash ("" or NULL for the first) */
    const char *hash;         /* hex */
} store_audit;

/* A bordereau d'élimination: the requests a retention pass found past their retention in a
 * collectivité that requires the visa of its archives service. pending: waiting for the
 * visa; approved: visa recorded (approved_by, approved_at), its requests are being
 * anonymised; done: none left to do. */
typedef struct store_disposal_list {
    int64_t id;
    int64_t tenant_id;
    int64_t created_at;
    const char *status;  /* pending, approved, done */
    int64_t n_requests;
    int64_t approved_by; /* agent id; 0: none */
    int64_t approved_at, done_at;
    int64_t n_done, n_kept; /* items anonymised, items kept (reopened, or no longer due) */
} store_disposal_list;

/* One request of a bordereau, with what the bordereau shows of it (never personal data). */
typedef struct store_disposal_item {
    int64_t request_id;
    const char *reference;
    int64_t procedure_id;
    int64_t department_id;
    const char *status;
    int64_t created_at, closed_at, anonymised_at;
    const char *state; /* due, done (anonymised), kept (not destroyed after all) */
} store_disposal_item;

/* What anonymisation keeps of a request's location and attributes, decided by core; every
 * other personal field is erased by tx_request_anonymise. */
typedef struct store_anonymised {
    int has_location;       /* 0: the position is erased */
    double lat, lon;        /* the coarse position kept */
    const char *attributes; /* the attribute values kept (JSON object; NULL: none) */
} store_anonymised;

/* An inbox query an agent saved under a name. */
typedef struct store_saved_filter {
    int64_t id;
    int64_t tenant_id;
    int64_t agent_id;
    const char *name;  /* unique per agent */
    const char *query; /* the inbox query string, as in the URL */
} store_saved_filter;

/* A reply template; its body holds {{variables}} filled in by core. */
typedef struct store_reply_template {
    int64_t id;
    int64_t tenant_id;
    const char *name; /* unique per tenant */
    const char *body;
} store_reply_template;

/* request_search orders. Keyset paging (before_created_at/before_id) applies only to
 * STORE_SORT_CREATED_DESC; the others page with offset. */
typedef enum store_request_sort {
    STORE_SORT_CREATED_DESC = 0, /* newest first (default) */
    STORE_SORT_CREATED_ASC,      /* oldest first */
    STORE_SORT_UPDATED_DESC,     /* last changed first */
    STORE_SORT_DUE_ASC,          /* nearest due date first; no due date last */
    STORE_SORT_PRIORITY_DESC     /* most urgent first, then newest */
} store_request_sort;

/* Filter for request_search. Zero/NULL fields do not filter. */
#define STORE_FILTER_MAX_LIST 32
typedef struct store_request_filter {
    int64_t tenant_id;                 /* required */
    const char *references[STORE_FILTER_MAX_LIST];
    size_t n_references;               /* when > 0, the other filters are ignored, except
                                          citizen_id/citizen_email and only_public, which
                                          always restrict */
    int64_t procedure_ids[STORE_FILTER_MAX_LIST];
    size_t n_procedure_ids;
    int only_open311;                  /* only procedures exposed on Open311 whose requests its
                                          GETs show (open311_detail above NONE) */
    const char *statuses[STORE_FILTER_MAX_LIST];
    size_t n_statuses;
    const char *channel;
    int64_t department_id;
    const char *assignee;
    int by_priority;                   /* 1: only requests of `priority` */
    int priority;
    int64_t created_from, created_to;  /* inclusive bounds on created_at; 0: open */
    int64_t updated_since;             /* 0: any */
    /* A citizen's requests: citizen_id matches, or (when citizen_email is set) the e-mail
     * address matches, case-insensitively. Both 0/NULL: no such filter. */
    int64_t citizen_id;
    const char *citizen_email;
    int only_public;                   /* only requests shown publicly */
    /* Paging: newest first. Either offset paging (offset) or keyset paging after a cursor
     * (before_created_at, before_id: rows strictly older than that pair). */
    size_t offset;
    int64_t before_created_at, before_id;
    size_t limit;                      /* required, > 0 */
    /* ---- back office ---- */
    /* Full-text search over reference, description, address, first and last name, e-mail
     * and phone: every word must match (accents and case ignored), the last one as a
     * prefix. User input is quoted word by word: it is never FTS5 syntax. Blank: no filter. */
    const char *text;
    /* Only requests of one of these departments (an agent's departments). */
    int64_t department_ids[STORE_FILTER_MAX_LIST];
    size_t n_department_ids;
    int overdue;       /* 1: due_at < now and not closed */
    int64_t now;       /* the instant `overdue` compares with */
    int unassigned;    /* 1: only requests without an assignee */
    int sort;          /* store_request_sort; 0: newest first */
} store_request_filter;

typedef struct store store;
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

typedef struct store_ops {
    const char *name;
    void (*close)(store *s);
    /* Creates or upgrades the schema; idempotent. */
    int (*migrate)(store *s, error *err);
    int (*schema_version)(store *s, int *version, error *err);

    /* ---- reads (any thread) ---- */
    /* Cheap: a counter bumped by every change to tenants, departments, procedures, keys. */
    int (*config_version)(store *s, int64_t *version, error *err);
    int (*catalogue_load)(store *s, arena *a, store_catalogue *out, error *err);
    /* 0 and *found=1/0; strings in a. */
    int (*request_get)(store *s, int64_t tenant_id, const char *reference, arena *a,
                       store_request *out, int *found, error *err);
    int (*request_search)(store *s, const store_request_filter *f, arena *a,
                          store_request **out, size_t *n, error *err);
    int (*request_count)(store *s, const store_request_filter *f, int64_t *count, error *err);
    /* Events of a request, oldest first; public_only hides internal ones. */
    int (*events_list)(store *s, int64_t tenant_id, int64_t request_id, int public_only,
                       arena *a, store_event **out, size_t *n, error *err);
    /* Events of many requests at once (ids[n_ids]), oldest first per request. */
    int (*events_list_many)(store *s, int64_t tenant_id, const int64_t *request_ids,
                            size_t n_ids, int public_only, arena *a, store_event **out,
                            size_t *n, error *err);
    int (*apikey_find)(store *s, const char *key_hash, arena *a, store_apikey *out, int *found,
                       error *err);
    int (*apikey_list)(store *s, int64_t tenant_id, arena *a, store_apikey **out, size_t *n,
                       error *err);
    /* The request created earlier under this idempotency key, if any: *reference in a. */
    int (*idempotency_find)(store *s, int64_t tenant_id, int64_t api_key_id, const char *key,
                            arena *a, const char **reference, error *err);
    /* A stored setting (e.g. "instance_secret"); *value NULL when absent. */
    int (*setting_get)(store *s, const char *name, arena *a, const char **value, error *err);

    /* ---- writes: only from a job's apply() ---- */
    /* Reads request `reference` on the writer's connection, inside the current transaction,
     * so that a job sees what earlier jobs of the same batch wrote. */
    int (*tx_request_get)(store *s, int64_t tenant_id, const char *reference, arena *a,
                          store_request *out, int *found, error *err);
    /* Inserts r (r->reference NULL: allocates the next "YYYY-NNNNNN" of r->created_at's year
     * for the tenant and returns it in *reference_out, allocated in a). Sets *id_out. */
    int (*tx_request_insert)(store *s, const store_request *r, arena *a, int64_t *id_out,
                             const char **reference_out, error *err);
    /* Rewrites the mutable fields of request r->id (status, department, assignee, priority,
     * status_notes, updated_at, closed_at, due_at). */
    int (*tx_request_update)(store *s, const store_request *r, error *err);
    int (*tx_event_insert)(store *s, const store_event *e, int64_t *id_out, error *err);
    int (*tx_idempotency_insert)(store *s, int64_t tenant_id, int64_t api_key_id,
                                 const char *key, int64_t request_id, int64_t created_at,
                                 error *err);
    /* Inserts or updates the tenant t->slug. t->hosts NULL keeps its host names; otherwise
     * they are replaced, and a name another tenant holds is ERR_CONFLICT "hosts" (the
     * detail names it and that tenant's slug). */
    int (*tx_tenant_upsert)(store *s, const store_tenant *t, int64_t *id_out, error *err);
    int (*tx_department_upsert)(store *s, const store_department *d, int64_t *id_out,
                                error *err);
    int (*tx_procedure_upsert)(store *s, const store_procedure *p, int64_t *id_out, error *err);
    int (*tx_apikey_insert)(store *s, const store_apikey *k, int64_t *id_out, error *err);
    int (*tx_apikey_revoke)(store *s, int64_t tenant_id, int64_t id, int64_t when, error *err);
    int (*tx_setting_set)(store *s, const char *name, const char *value, error *err);
    /* Removes a setting (nothing when absent). */
    int (*tx_setting_delete)(store *s, const char *name, error *err);

    /* ---- citizens' side (portal) ---- */
    /* Accounts: reads anywhere, writes in a job. email is compared lowercased. */
    int (*account_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_account *out,
                       int *found, error *err);
    int (*account_find_email)(store *s, int64_t tenant_id, const char *email, arena *a,
                              store_account *out, int *found, error *err);
    /* ERR_CONFLICT when the e-mail is taken. */
    int (*tx_account_insert)(store *s, const store_account *acc, int64_t *id_out, error *err);
    /* Rewrites password_hash, display_name, phone, notify, lang, email_verified_at. */
    int (*tx_account_update)(store *s, const store_account *acc, error *err);

    int (*session_find)(store *s, int64_t tenant_id, const char *token_hash, arena *a,
                        store_session *out, int *found, error *err);
    int (*tx_session_insert)(store *s, const store_session *se, int64_t *id_out, error *err);
    int (*tx_session_touch)(store *s, int64_t id, int64_t last_seen_at, error *err);
    int (*tx_session_delete)(store *s, int64_t tenant_id, const char *token_hash, error *err);
    /* Ends every session of an account (password reset). */
    int (*tx_session_delete_account)(store *s, int64_t tenant_id, int64_t account_id,
                                     error *err);

    int (*tx_token_insert)(store *s, const store_token *t, error *err);
    /* Marks the token used and returns it when it exists for that purpose, is unused and
     * not expired at `now`; *found 0 otherwise (nothing changed). */
    int (*tx_token_consume)(store *s, int64_t tenant_id, const char *purpose,
                            const char *token_hash, int64_t now, arena *a, store_token *out,
                            int *found, error *err);

    int (*tx_outbox_insert)(store *s, const store_outbox *m, int64_t *id_out, error *err);
    /* Unsent, not given up, next_attempt_at <= now; oldest first, at most limit. */
    int (*outbox_due)(store *s, int64_t now, size_t limit, arena *a, store_outbox **out,
                      size_t *n, error *err);
    /* Sent: sets sent_at and clears params (they may hold a tracking link). */
    int (*tx_outbox_sent)(store *s, int64_t id, int64_t when, error *err);
    /* Not sent this time: attempts, next_attempt_at, failed and last_error as given. */
    int (*tx_outbox_retry)(store *s, int64_t id, int attempts, int64_t next_attempt_at,
                           int failed, const char *last_error, error *err);
    /* Messages of one request or one recipient (tests, the back office), oldest first. */
    int (*outbox_list)(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                       store_outbox **out, size_t *n, error *err);

    int (*tx_attachment_insert)(store *s, const store_attachment *at, int64_t *id_out,
                                error *err);
    int (*attachment_get)(store *s, int64_t tenant_id, int64_t id, arena *a,
                          store_attachment *out, int *found, error *err);
    /* Attachments of a request, oldest first. */
    int (*attachments_list)(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                            store_attachment **out, size_t *n, error *err);
    int (*tx_attachment_moderate)(store *s, int64_t tenant_id, int64_t id,
                                  const char *moderation, error *err);
    /* *known 1 when an attachment of any tenant keeps its file or its thumbnail under the
     * storage name `name`: the uploads directory is the instance's, not a tenant's. For
     * the start-up sweep of files no row refers to. */
    int (*attachment_file_known)(store *s, const char *name, int *known, error *err);

    /* Citizen's actions on a request. tx_request_update also writes citizen_id, notify,
     * is_public, rating and rating_comment. A «moi aussi» names its supporter by keys[0..n)
     * (hashes of the account, the browser, the client's network): every key is recorded,
     * and the request counts one more supporter only when none of them was known for it
     * (*added 1), so that a new browser on a known network, or a known browser on a new
     * network, adds nothing (*added 0). */
    int (*tx_request_support)(store *s, int64_t tenant_id, int64_t request_id,
                              const char *const *keys, size_t n_keys, int64_t when, int *added,
                              error *err);

    /* ---- back office ---- */
    /* Agents, with their departments. email is compared lowercased. *found 0: none. */
    int (*agent_get)(store *s, int64_t tenant_id, int64_t id, arena *a, store_agent *out,
                     int *found, error *err);
    int (*agent_find_email)(store *s, int64_t tenant_id, const char *email, arena *a,
                            store_agent *out, int *found, error *err);
    /* Every agent of the tenant (active or not), by name then id; arrays in a. */
    int (*agent_list)(store *s, int64_t tenant_id, arena *a, store_agent **out, size_t *n,
                      error *err);
    /* Inserts ag with its departments; ERR_CONFLICT when the e-mail is taken, ERR_INVALID_ARG
     * for an unknown role or a department of another tenant. */
    int (*tx_agent_insert)(store *s, const store_agent *ag, int64_t *id_out, error *err);
    /* Rewrites name, role, password_hash, totp_secret, totp_enabled, active, last_login_at
     * of agent ag->id (in ag->tenant_id) and replaces its departments; ERR_NOT_FOUND when no
     * such agent. */
    int (*tx_agent_update)(store *s, const store_agent *ag, error *err);

    /* Ends every session of an agent (deactivated, password changed). */
    int (*tx_session_delete_agent)(store *s, int64_t tenant_id, int64_t agent_id, error *err);

    /* Audit log. Appends one entry as given (hashes computed by core); sets *id_out. */
    int (*tx_audit_append)(store *s, const store_audit *e, int64_t *id_out, error *err);
    /* The tenant's last entry, to chain the next one to: call it inside the job that appends,
     * where it reads the writer's view, so that no other entry slips in between. */
    int (*audit_last)(store *s, int64_t tenant_id, arena *a, store_audit *out, int *found,
                      error *err);
    /* Entries with id > after_id, oldest first, at most limit (> 0). */
    int (*audit_list)(store *s, int64_t tenant_id, int64_t after_id, size_t limit, arena *a,
                      store_audit **out, size_t *n, error *err);
    /* Retention: deletes the tenant's entries with at < before; *purged their count. The
     * oldest remaining entry's prev_hash then names a deleted entry: verification starts
     * from it. */
    int (*tx_audit_purge_before)(store *s, int64_t tenant_id, int64_t before, int64_t *purged,
                                 error *err);

    /* An agent's saved filters, by name. */
    int (*saved_filter_list)(store *s, int64_t tenant_id, int64_t agent_id, arena *a,
                             store_saved_filter **out, size_t *n, error *err);
    /* ERR_CONFLICT when the agent already has a filter of that name. */
    int (*tx_saved_filter_insert)(store *s, const store_saved_filter *f, int64_t *id_out,
                                  error *err);
    /* Deletes filter id only when it belongs to that agent; ERR_NOT_FOUND otherwise. */
    int (*tx_saved_filter_delete)(store *s, int64_t tenant_id, int64_t agent_id, int64_t id,
                                  error *err);

    /* Reply templates of a tenant, by name. */
    int (*reply_template_list)(store *s, int64_t tenant_id, arena *a,
                               store_reply_template **out, size_t *n, error *err);
    /* t->id 0: inserts, or replaces the body of the tenant's template of the same name;
     * t->id set: rewrites that template's name and body (ERR_NOT_FOUND when absent,
     * ERR_CONFLICT when the new name is taken). Sets *id_out (may be NULL). */
    int (*tx_reply_template_upsert)(store *s, const store_reply_template *t, int64_t *id_out,
                                    error *err);
    /* ERR_NOT_FOUND when absent. */
    int (*tx_reply_template_delete)(store *s, int64_t tenant_id, int64_t id, error *err);

    /* Shows (1) or hides (0) a request on the public list; ERR_NOT_FOUND when absent. */
    int (*tx_request_set_public)(store *s, int64_t tenant_id, int64_t request_id, int is_public,
                                 error *err);
    /* A request by its id; *found 0 when absent or of another tenant. */
    int (*request_get_by_id)(store *s, int64_t tenant_id, int64_t id, arena *a,
                             store_request *out, int *found, error *err);
    /* The open (not closed) located requests within radius_m metres of (lat, lon), nearest
     * first, at most limit (> 0). *out and, when distance_m is not NULL, *distance_m (metres,
     * one per request) are in a. */
    int (*requests_near)(store *s, int64_t tenant_id, double lat, double lon, double radius_m,
                         size_t limit, arena *a, store_request **out, double **distance_m,
                         size_t *n, error *err);

    /* ---- retention (RGPD) ---- */
    /* Closed requests not yet anonymised, by id, at most limit (> 0): with procedure_id,
     * those of that procedure closed before closed_before; with procedure_id 0, those whose
     * erasure was asked (erase_requested_at), whenever closed. ids in a. */
    int (*requests_retention_due)(store *s, int64_t tenant_id, int64_t procedure_id,
                                  int64_t closed_before, size_t limit, arena *a, int64_t **ids,
                                  size_t *n, error *err);
    /* How many requests requests_retention_due would give without a limit. */
    int (*requests_retention_count)(store *s, int64_t tenant_id, int64_t procedure_id,
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
    int (*tx_request_anonymise)(store *s, int64_t tenant_id, int64_t request_id,
                                const store_anonymised *keep, int64_t now, arena *a,
                                store_attachment **removed, size_t *n_removed, error *err);
    /* Sets the tenant's archives_visa (0 or 1); ERR_NOT_FOUND when no such tenant. */
    int (*tx_tenant_set_archives_visa)(store *s, int64_t tenant_id, int on, error *err);
    /* A citizen deletes their account (or an administrator does it for them): the
     * requests of the account — citizen_id, and with by_email (a verified address) those
     * filed with the account's address — not yet anonymised get an internal
     * «account_deleted» event by actor, lose their link to the account and are marked
     * erase_requested_at = now (*n_requests: how many); the account's sessions and tokens,
     * its «moi aussi» key (supporter_key, may be NULL), the messages addressed to the
     * account alone (outbox rows of its address without a request) and the account row
     * go. ERR_NOT_FOUND when the account is absent. */
    int (*tx_account_delete)(store *s, int64_t tenant_id, int64_t account_id, int by_email,
                             const char *supporter_key, const char *actor, int64_t now,
                             int64_t *n_requests, error *err);
    /* Bordereaux d'élimination. Creates a pending one holding ids[n] (n > 0): *id_out. */
    int (*tx_disposal_create)(store *s, int64_t tenant_id, int64_t now, const int64_t *ids,
                              size_t n, int64_t *id_out, error *err);
    /* The tenant's bordereaux, newest first, at most limit, with their counts; out in a. */
    int (*disposal_list)(store *s, int64_t tenant_id, size_t limit, arena *a,
                         store_disposal_list **out, size_t *n, error *err);
    /* One bordereau with its counts; *found 0 when absent or of another tenant. */
    int (*disposal_get)(store *s, int64_t tenant_id, int64_t id, arena *a,
                        store_disposal_list *out, int *found, error *err);
    /* Items of bordereau list_id by request id, after after_request_id, at most limit;
     * state NULL: every item, else only those in that state. out in a. */
    int (*disposal_items)(store *s, int64_t tenant_id, int64_t list_id, const char *state,
                          int64_t after_request_id, size_t limit, arena *a,
                          store_disposal_item **out, size_t *n, error *err);
    /* Records the visa: pending → approved, by agent_id at now. ERR_NOT_FOUND when absent,
     * ERR_CONFLICT when not pending. */
    int (*tx_disposal_approve)(store *s, int64_t tenant_id, int64_t id, int64_t agent_id,
                               int64_t now, error *err);
    /* Sets the state (done, kept) of one item. */
    int (*tx_disposal_item_set)(store *s, int64_t list_id, int64_t request_id,
                                const char *state, error *err);
    /* approved → done at now when it has no item left in state due; *finished 1 then. */
    int (*tx_disposal_finish)(store *s, int64_t tenant_id, int64_t id, int64_t now,
                              int *finished, error *err);
    /* Outside any job: rewrites what deleted or overwritten rows may have left behind in
     * the file — the full-text index's segments (merged into one) and the write-ahead log
     * (checkpointed and truncated). Blocks writers while it runs; for maintenance. */
    int (*compact)(store *s, error *err);

    /* ---- transactions, used by the generic writer (store.c) only ---- */
    int (*tx_begin)(store *s, error *err);
    int (*tx_commit)(store *s, error *err);
    void (*tx_rollback)(store *s);
    int (*tx_savepoint)(store *s, error *err);
    int (*tx_release)(store *s, error *err);
    void (*tx_rollback_to)(store *s);
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

/* Statistics of the running writer, or of the last one stopped. */
void store_writer_get_stats(store *s, store_writer_stats *out);

#endif

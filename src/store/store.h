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
    const char *hosts;    /* host names it answers on, separated by spaces */
    const char *timezone; /* IANA zone, e.g. "Europe/Paris" */
    const char *contact;  /* public contact shown in Open311 discovery */
} store_tenant;

typedef struct store_department {
    int64_t id;
    int64_t tenant_id;
    const char *code; /* "voirie" */
    const char *name; /* "Voirie" */
    const char *email;
} store_department;

typedef enum procedure_kind { PROCEDURE_INCIDENT = 0, PROCEDURE_DEMARCHE = 1 } procedure_kind;

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
    int delay_days;          /* expected processing time; 0: none */
    int active;
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
    int only_open311;                  /* only procedures exposed on Open311 */
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
    int (*tx_tenant_upsert)(store *s, const store_tenant *t, int64_t *id_out, error *err);
    int (*tx_department_upsert)(store *s, const store_department *d, int64_t *id_out,
                                error *err);
    int (*tx_procedure_upsert)(store *s, const store_procedure *p, int64_t *id_out, error *err);
    int (*tx_apikey_insert)(store *s, const store_apikey *k, int64_t *id_out, error *err);
    int (*tx_apikey_revoke)(store *s, int64_t tenant_id, int64_t id, int64_t when, error *err);
    int (*tx_setting_set)(store *s, const char *name, const char *value, error *err);

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

    /* Citizen's actions on a request. tx_request_update also writes citizen_id, notify,
     * is_public, rating and rating_comment. A supporter key (a hash of the account or the
     * browser) counts once per request: *added 0 when it already did. */
    int (*tx_request_support)(store *s, int64_t tenant_id, int64_t request_id,
                              const char *supporter_key, int64_t when, int *added, error *err);

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

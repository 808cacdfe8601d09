/*
 * records — the records, filters and enumerations the store reads and writes: what pages,
 * dispatchers and core may hold and read. The operations that fill them (store.h) are
 * core's alone; this header carries no operation, so that including it grants none.
 */
#ifndef GUICHET_STORE_RECORDS_H
#define GUICHET_STORE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

/* The opaque handle of an open store: records.h users may pass it along, only store.h
 * users may call its operations. */
typedef struct store store;

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
     * catalogue.tx_tenant_set_archives_visa (catalogue.tx_tenant_upsert leaves it as it is). */
    int archives_visa;
} store_tenant;

/* A collectivité's branding and public settings (table tenant_branding, at most one row per
 * tenant), read with the catalogue; core checks every field before it is written
 * (core/branding.h). NULL strings and has_map 0 mean "not set": pages then show guichet's
 * defaults or nothing. The logo's bytes are not here (they stay out of the catalogue's
 * memory): only what names and sizes it (store_logo holds the bytes). */
typedef struct store_branding {
    int64_t tenant_id;
    const char *colour_primary;   /* "#rrggbb", lowercase: headers, buttons, links */
    const char *colour_secondary; /* "#rrggbb", lowercase: the navigation bar */
    const char *hours;            /* weekly opening hours, canonical (core/hours.h) */
    const char *hours_notes;      /* exceptions as typed: «Fermé le 25 décembre» */
    const char *address;          /* postal address, one line per line */
    const char *phone;            /* as typed: "04 72 00 00 00" */
    const char *email;
    const char *website; /* http:// or https:// URL */
    int has_map;         /* 1: map_lat, map_lon and map_zoom are set */
    double map_lat, map_lon;
    int map_zoom;
    const char *logo_hash; /* hex digest of the stored PNG (its URL's version); NULL: no logo */
    int logo_width, logo_height; /* pixels of the stored PNG */
    /* The legal notice's facts (mentions légales): who directs the publication, how to
     * reach the data protection officer, who hosts the service (name, address, phone). */
    const char *publication_director;
    const char *dpo;
    const char *host;
    /* The calendar of public holidays its delays are counted with (util/workdays'
     * workdays_region): 0 the national list, 1 Alsace-Moselle's (Good Friday, 26 December). */
    int holidays;
    /* Days before a request's due date its agents are warned (core/due_warning.h); -1 when
     * never set (the default applies). Read with the catalogue; set on its own. */
    int due_warning_days;
} store_branding;

/* A document issued about a request (table documents, core/document.h): never changed once
 * written; a new version is a new row. The PDF's bytes are read only when asked for. */
typedef struct store_document {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id;
    const char *reference; /* read only: its request's reference */
    const char *kind;      /* "receipt", "letter", "decision" or "upload" */
    int version;           /* from 1 */
    const char *code;      /* the short verification code (core/short_code.h's alphabet) */
    const char *sha256;    /* hex digest of the PDF */
    int64_t size;          /* bytes of the PDF */
    const void *content;   /* insert: the PDF; reads leave it NULL */
    int64_t created_at;
    const char *title;   /* NULL: the kind's own title */
    int64_t agent_id;    /* the agent who issued it; 0: guichet itself */
    int citizen_visible; /* shown to the citizen (tracking page, e-mail) */
} store_document;

/* How a collectivité's élus sign (table sign_settings, core/parapheur.h). */
typedef struct store_sign_settings {
    const char *level;   /* "B-B", "B-T" or "B-LT" */
    const char *tsa_url; /* B-T, B-LT: the TSA; NULL when none */
    int visible;         /* the signature's box on the first page */
} store_sign_settings;

/* An élu's signing key (table sign_keys, core/parapheur.h): a PKCS#12 file as uploaded, or
 * a PKCS#11 token's and key's labels; the certificate's description; the PIN's failures. */
typedef struct store_sign_key {
    int64_t agent_id;
    int64_t tenant_id;
    const char *kind; /* "p12" or "pkcs11" */
    const void *p12;  /* the file; reads leave it NULL unless asked for */
    int64_t p12_len;
    const char *token_label; /* pkcs11 */
    const char *key_label;   /* pkcs11 */
    const char *quality;     /* the élu's capacity: «Maire», «Adjoint à l'urbanisme» */
    const char *subject;     /* the certificate's subject, issuer (one line each) */
    const char *issuer;
    int64_t not_before, not_after;
    int pin_failures;     /* wrong PINs in a row */
    int64_t locked_until; /* no signing before then */
    int64_t updated_at;
    int64_t updated_by;
    const char *agent_name; /* read only */
} store_sign_key;

/* A signature circuit (table sign_circuits): one document sent to élus in order. */
typedef struct store_sign_circuit {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id;
    const char *reference; /* read only: its request's */
    int64_t document_id;   /* the version to sign next (the last signed one once over) */
    const char *title;     /* read only: that document's title and kind */
    const char *doc_kind;
    int64_t sent_by;
    const char *sent_by_name; /* read only */
    const char *message;
    const char *state; /* "pending", "signed", "refused" */
    int step;          /* the position (from 0) waiting; steps once signed by all */
    int steps;
    int64_t created_at;
    int64_t waiting_since; /* when the step waiting started */
    int64_t reminded_at;
    int64_t ended_at;
    int64_t signer_id; /* read only: the élu of the step waiting, 0 when over */
} store_sign_circuit;

/* One élu's step in a circuit (table sign_steps). */
typedef struct store_sign_step {
    int64_t circuit_id;
    int position; /* from 0 */
    int64_t agent_id;
    const char *agent_name;     /* read only */
    const char *state;          /* "waiting", "signed", "refused" */
    int64_t signed_by;          /* the agent who signed: agent_id, or a delegate */
    const char *signed_by_name; /* read only */
    int64_t document_id;        /* the signed version written */
    const char *comment;        /* a refusal's */
    int64_t decided_at;
} store_sign_step;

/* A délégation de signature (table sign_delegations): delegate signs for principal from
 * starts_on to ends_on (YYYY-MM-DD, the collectivité's days, both included). */
typedef struct store_sign_delegation {
    int64_t id;
    int64_t tenant_id;
    int64_t delegate_id;
    int64_t principal_id;
    const char *delegate_name;  /* read only */
    const char *principal_name; /* read only */
    const char *starts_on;
    const char *ends_on;
    int64_t created_at;
    int64_t created_by;
} store_sign_delegation;

/* A letter of the post room (table post_letters, core/courrier.h): a scanned file received,
 * then each letter the OCR found in it, until an agent files it as a request, links it to
 * one or discards it. The letters of one file share its stored bytes (storage_name). */
typedef struct store_post_letter {
    int64_t id;
    int64_t tenant_id;
    int64_t scan_id;          /* the file's first row (itself for that row) */
    const char *filename;     /* as the sender named it, sanitised */
    const char *content_type; /* application/pdf or image/jpeg (as stored) */
    const char *storage_name; /* in the uploads directory */
    int64_t size;
    int64_t received_at;
    const char *received_by;   /* the actor's label ("agent:12", "key:3") */
    const char *state;         /* queued, pending, rejected, filed, linked, discarded */
    const char *reason;        /* rejected: scan_problem_name; discarded: the agent's words */
    int first_page, last_page; /* 1-based, of the file; 0 until read */
    int pages;                 /* of the file; 0 until read */
    const char *text;          /* the OCR text; NULL until read */
    int confidence;            /* Tesseract's mean, 0–100 */
    const char *proposals;     /* JSON object of scan_proposals; NULL until read */
    int64_t request_id;        /* filed or linked: the request; 0 otherwise */
    const char *decided_by;    /* the agent's label; NULL until decided */
    int64_t decided_at;
    /* Page 1 of a PDF as a PNG in the uploads directory, rendered once by the OCR job and
     * shared by the file's letters; NULL: none (an image, not read yet, or it failed). */
    const char *preview;
} store_post_letter;

/* A collectivité's logo as served: a PNG guichet encoded itself (core/branding.h). */
typedef struct store_logo {
    const void *data;
    size_t size;
    const char *hash; /* hex digest of data */
    int width, height;
} store_logo;

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
    /* The same three in English (NULL: the French is shown to English visitors too). */
    const char *name_en, *description_en, *service_notice_en;
    const char *icon;        /* a name of the embedded icon set; NULL: its kind's default */
    int64_t department_id;   /* 0: none */
    int kind;                /* procedure_kind */
    int is_public;           /* requests may be shown publicly (after moderation) */
    int auto_public;         /* public at once, without an agent's acceptance */
    int allow_anonymous;     /* may be filed without any contact detail */
    int open311;             /* exposed on Open311 */
    int open311_detail;      /* open311_detail: what Open311 GETs show of its requests */
    int delay_days;          /* expected processing time; 0: none */
    int delay_working;       /* 1: delay_days counts jours ouvrés (no weekends, no public
                                holidays); 0: calendar days */
    int active;
    int retention_months;    /* months a closed request is kept before it is anonymised
                                (1-1200); 0 on an upsert: the default of its kind */
    int form_version;        /* read only: the latest version of its form (attributes) */
    /* Upsert only: who saves it ("agent:<id>", "cli") and a short summary of the change
     * (NULL: none), kept with the new version an upsert makes when attributes differ from
     * the latest version's. */
    const char *version_by, *version_summary;
    /* Upsert only: > 0, the version of the form the editor showed; the write is refused
     * (ERR_CONFLICT, arg "version") when the form's latest version is another one (someone
     * saved meanwhile). 0: not checked. */
    int seen_form_version;
    int64_t workflow_id;     /* its workflow (store_workflow); 0 on an upsert: a new procedure
                                takes the shipped workflow of its kind, an existing one keeps
                                its own */
} store_procedure;

/* One version of a procedure's form (table procedure_versions). */
typedef struct store_procedure_version {
    int64_t procedure_id;
    int version;            /* from 1 */
    const char *definition; /* the attributes' JSON (core/attrs.h) */
    int64_t created_at;     /* unix seconds */
    const char *created_by; /* "agent:<id>" or "cli" */
    const char *summary;    /* NULL when none */
    int64_t requests;       /* how many requests were filed under it (the list only; 0 else) */
} store_procedure_version;

/* A collectivité's workflow (tables workflows, workflow_statuses, workflow_transitions),
 * read with the catalogue; core/workflow.h gives it its meaning. */
typedef struct store_workflow {
    int64_t id;
    int64_t tenant_id;
    const char *code; /* "incident", "demarche", "question" for the shipped ones */
    const char *name, *name_en;
} store_workflow;

typedef struct store_workflow_status {
    int64_t workflow_id;
    const char *code; /* what requests.status holds */
    int position;     /* order of display */
    const char *agent_label, *agent_label_en;
    const char *citizen_label, *citizen_label_en;
    const char *colour;          /* a name of the badge palette: blue, purple, amber, … */
    int open311_closed;          /* 1: Open311 "closed"; 0: "open" */
    const char *extended_status; /* FixMyStreet's FIXED, IN_PROGRESS, …; NULL: none */
    int citizen_visible;
    int is_final;
    int is_initial;
    const char *reopen_to; /* final status the citizen may reopen: where to; NULL: none */
} store_workflow_status;

typedef struct store_workflow_transition {
    int64_t workflow_id;
    int position;
    const char *from_code, *to_code;
    const char *label, *label_en;
    const char *roles; /* agent role names, one space apart: "agent manager admin" */
    int comment_required;
} store_workflow_transition;

/* One saved version of a workflow (table workflow_versions): its whole definition as JSON
 * (core/workflow_edit.h), who saved it and what changed. */
typedef struct store_workflow_version {
    int64_t workflow_id;
    int version;            /* from 1 */
    const char *definition; /* NULL in a listing */
    int64_t created_at;     /* unix seconds */
    const char *created_by; /* "agent:<id>", "cli"; NULL: the definition found at the first save */
    const char *summary;    /* the changes, a JSON array (core/workflow_edit.h) */
} store_workflow_version;

/* How many requests are in one status (of a workflow's procedures, or of one procedure). */
typedef struct store_status_count {
    const char *status;
    int64_t n;
} store_status_count;

/* One action run when a request enters a status (table workflow_actions);
 * core/workflow_action.h gives the kinds and their params their meaning. */
typedef struct store_workflow_action {
    int64_t workflow_id;
    const char *status_code;
    int position;       /* order of running */
    const char *kind;   /* "notify_citizen", "ask_citizen", … */
    const char *params; /* a JSON object */
} store_workflow_action;
/* What happens when a request stays in a status (table workflow_timeouts; meaning and
 * rules in core/workflow_timeout.h). */
typedef struct store_workflow_timeout {
    int64_t workflow_id;
    const char *status_code; /* the status it runs in */
    int position;            /* order among the status's timeouts, from 1 */
    int delay;               /* in unit */
    const char *unit;        /* "days", "working_days", "months" */
    const char *kind;        /* "jump", "remind" */
    const char *target;      /* jump: the status it moves to; NULL otherwise */
    const char *meaning;     /* jump: "accord", "rejet" or "none" */
    const char *whom;        /* remind: "agents" or "citizen"; NULL otherwise */
    int repeat_days;         /* remind: days between reminders after the first; 0: none */
    int repeat_times;        /* remind: reminders after the first (with repeat_days) */
    int warn_before;         /* jump: days before it the agents are warned; 0: never */
} store_workflow_timeout;

/* How many requests a procedure received over a period (store requests.procedure_counts). */
typedef struct store_procedure_count {
    int64_t procedure_id;
    int64_t n;
} store_procedure_count;

/* Everything the catalogue cache needs, loaded in one call. Arrays and strings are owned by
 * the arena given to catalogue.load. */
typedef struct store_catalogue {
    store_tenant *tenants;
    size_t n_tenants;
    store_department *departments;
    size_t n_departments;
    store_procedure *procedures;
    size_t n_procedures;
    store_branding *brandings; /* one per tenant that has a row, any order */
    size_t n_brandings;
    store_workflow *workflows; /* by tenant then id */
    size_t n_workflows;
    store_workflow_status *workflow_statuses; /* by workflow then position */
    size_t n_workflow_statuses;
    store_workflow_transition *workflow_transitions; /* by workflow then position */
    size_t n_workflow_transitions;
    store_workflow_action *workflow_actions; /* by workflow, status, then position */
    size_t n_workflow_actions;
    store_workflow_timeout *workflow_timeouts; /* by workflow, status, position */
    size_t n_workflow_timeouts;
    struct store_webhook *webhooks; /* by tenant then id; secret NULL: the catalogue holds none */
    size_t n_webhooks;
    int64_t version; /* the config_version it was loaded at */
} store_catalogue;

typedef struct store_request {
    int64_t id;
    int64_t tenant_id;
    const char *reference;   /* "2026-000123": unique per tenant, Open311 service_request_id */
    const char *token_hash;  /* hex keyed hash of the citizen's tracking token */
    int64_t procedure_id;
    const char *status;      /* status code of its procedure's workflow (core/workflow.h) */
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
    const char *lang;           /* fr, en: the language of every message about it, chosen at
                                   filing; NULL on insert: fr. Never changed afterwards */
    int64_t merged_into;        /* the request this duplicate was merged into (request_merge);
                                   0: not merged */
    const char *merged_into_reference; /* read only: that request's reference, else NULL */
    const char *short_code_hash;       /* read only (written by tx_set_short_code): hex keyed hash
                                          of the short tracking code; NULL: the request has none
                                          (filed before migration 16, or anonymised) */
    const char *public_description;    /* the text an agent wrote or approved for the public
                                          pages and Open311, without personal data; NULL:
                                          none approved, nothing public shown. Changed by
                                          tx_set_public_description; an insert writes it only
                                          for imported requests (the demo's) */
    int procedure_version;             /* the version of its procedure's form it was filed
                                          under (store_procedure.form_version); 0 on insert:
                                          the procedure's latest */
} store_request;

/* Failed short-code entries counted under one key: a reference, or a client's network. */
typedef struct store_code_failures {
    int failures;            /* since the count was last forgotten; 0: none */
    int64_t last_failure_at; /* unix seconds; 0: none */
} store_code_failures;

/* A street of a collectivité's address list (table address_streets): the addresses that
 * share a commune, a postcode and a street name. */
typedef struct store_address_street {
    int64_t id;
    int64_t set_id; /* the list it belongs to (address_sets) */
    int64_t tenant_id;
    const char *name; /* «Rue de la Paix» */
    const char *postcode, *insee, *commune;
    const char *key;   /* the words it is searched by, folded, one space apart (core's) */
    const char *label; /* «Rue de la Paix, 69001 Lyon» */
    double lat, lon;   /* where its middle address is (set when the list is complete) */
} store_address_street;

/* An area of a collectivité (table areas, core/area.h): a department's territory, a
 * quartier or a broadcast area, with its geometry as GeoJSON and its box. */
typedef struct store_area {
    int64_t id;
    int64_t tenant_id;
    const char *kind; /* "department", "quartier" or "broadcast" */
    const char *code; /* unique per tenant and kind */
    const char *name;
    int64_t department_id; /* the department it names (kind "department"); 0: none */
    int64_t position;      /* its place in the file it was imported from (from 0) */
    double min_lat, min_lon, max_lat, max_lon;
    int64_t vertices;     /* positions of its geometry */
    const char *geometry; /* GeoJSON Polygon or MultiPolygon; NULL when not read */
} store_area;

/* A broadcast not yet queued that targets an area (store areas.tx_drafts_losing). */
typedef struct store_area_use {
    int64_t broadcast_id;
    const char *subject;
    const char *area_code;
} store_area_use;

/* A routing rule of a collectivité (table routing_rules, core/routing.h): its conditions,
 * each optional, and the department it gives. */
typedef struct store_routing_rule {
    int64_t id;
    int64_t tenant_id;
    int64_t position; /* the order rules are tried in, smallest first (gaps allowed) */
    const char *name;
    int active;
    int64_t procedure_id;    /* 0: any procedure */
    const char *field_code;  /* with field_value: one of the procedure's fields; NULL: none */
    const char *field_value; /* the value (a choice's key) it must hold */
    const char *area_mode;   /* "none", "own" (the department whose area holds the location)
                                or "named" (within area area_code) */
    const char *area_code;   /* a department area's code, area_mode "named" */
    int64_t department_id;   /* the department given; 0 with area_mode "own" */
    int64_t updated_at;
} store_routing_rule;

/* The department a collectivité's routing falls back to last (table routing_defaults). */
typedef struct store_routing_default {
    int64_t tenant_id;
    int64_t department_id; /* 0: none */
} store_routing_default;

/* An address of a collectivité's list, with its street's fields (read through a join). */
typedef struct store_address {
    int64_t id;
    int64_t street_id;
    const char *ban_id; /* the Base Adresse Nationale's id, e.g. "69381_7245_00012_bis" */
    int number;         /* 0: none (a lieu-dit) */
    const char *rep;    /* "bis", "ter", "a"…; NULL when none */
    const char *street, *postcode, *insee, *commune;
    double lat, lon;
    const char *label; /* «12 bis Rue de la Paix, 69001 Lyon» */
} store_address;

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
    /* Read only, from an Open311 client's update (open311_updates), else NULL: the author's
     * name as the client gave it (personal data: for agents only) and its media URL. */
    const char *author;
    const char *media_url;
    /* Written only: the request a merge copied this event (and its files) from, whose
     * anonymisation erases the copy too (request_merge); 0: none. */
    int64_t copied_from;
} store_event;

/* One entry of the Open311 updates feed: a public event, its request's reference and
 * procedure, and the request's status just after the event. */
typedef struct store_update {
    store_event ev;
    const char *reference;
    int64_t procedure_id;
    const char *status_after;
} store_update;

/* What an Open311 client's update brings beside its timeline event. */
typedef struct store_client_update {
    int64_t event_id;
    int64_t tenant_id;
    int64_t request_id;
    int64_t api_key_id;
    const char *client_update_id;
    const char *client_status;
    int64_t client_datetime;
    const char *media_url;
    const char *first_name, *last_name, *email, *phone;
} store_client_update;

typedef struct store_apikey {
    int64_t id;
    int64_t tenant_id;
    const char *name;
    const char *scope;       /* open311, api, gateway */
    const char *key_hash;    /* hex keyed BLAKE2b of the key */
    const char *prefix;      /* first characters of the key, to recognise it in lists */
    int64_t created_at, revoked_at;
} store_apikey;

/* A collectivité's trust anchor for signed PDF files: a CA certificate. */
typedef struct store_trust_anchor {
    int64_t id;
    int64_t tenant_id;
    const char *pem;     /* the certificate, PEM */
    const char *subject; /* its subject, one line (RFC 2253 in certificate order), UTF-8 */
    int64_t not_before, not_after;
    const char *fingerprint; /* SHA-256 of its DER, uppercase hex pairs joined by ':' */
    int64_t added_at;
} store_trust_anchor;

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
    int64_t phone_verified_at; /* 0: the number is not verified (core/phone_verify.h) */
} store_account;

/* A logged-in session; only the keyed hash of its cookie is stored. */
typedef struct store_session {
    int64_t id;
    int64_t tenant_id;
    const char *token_hash;
    int64_t account_id;
    int64_t created_at, last_seen_at, expires_at; /* expires_at: absolute end */
    /* Exactly one of account_id (a citizen) and agent_id (a back-office agent) is set; the
     * other is 0. sessions.tx_insert refuses anything else (ERR_INVALID_ARG). */
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
    /* The message's own id (32 hex characters, made at enqueue): the e-mail's Message-ID
     * local part, the SMS delivery report's id; the same on every attempt. */
    const char *message_id;
    /* queued, sent, delivered, bounced, failed (OUTBOX_STATE_* in core/outbox.h) */
    const char *state;
    int priority;         /* 0: a request's or an account's notice; 1: a broadcast (sent after) */
    int64_t broadcast_id; /* 0: none */
    /* The issued document (table documents) an e-mail carries as its attachment, and its
     * SHA-256 (hex) when queued: the dispatcher loads the frozen bytes when it sends and sends
     * them only if they still have that hash. 0 / NULL: none. */
    int64_t document_id;
    const char *document_sha256;
} store_outbox;

/* Where a message to a request's citizen stands in its thread (store outbox.thread). */
typedef struct store_outbox_thread {
    const char *reference; /* the request's; NULL when the request is not found */
    const char *root;      /* message_id of the first message sent to that recipient; NULL: none */
    const char *prev;      /* message_id of the last one before this one; NULL: none */
} store_outbox_thread;

/* A collectivité's own e-mail settings (mail_settings; core/mail_settings.h checks them). Any
 * field may be NULL: not set. */
typedef struct store_mail_settings {
    int64_t tenant_id;
    const char *smtp_url;      /* smtp:// or smtps://; NULL: the server's --smtp-url */
    const char *smtp_user;     /* SMTP AUTH user; NULL: none */
    const char *smtp_password; /* sealed (core/seal.h, purpose "smtp") in the store */
    const char *from_addr;     /* envelope sender and From: */
    const char *from_name;     /* From: display name */
    const char *reply_local;   /* Reply-To: reply_local+TOKEN@reply_domain */
    const char *reply_domain;
    int64_t updated_at;
} store_mail_settings;

/* A broadcast topic of a collectivité (travaux, alertes météo…). */
typedef struct store_topic {
    int64_t id;
    int64_t tenant_id;
    const char *code, *name, *name_en, *description, *description_en;
    int active;
    int position;
} store_topic;

/* One subscription to broadcasts: an address (channel email) or number (sms), confirmed by
 * the e-mailed link (double opt-in) before anything is sent to it. */
typedef struct store_subscriber {
    int64_t id;
    int64_t tenant_id;
    const char *channel, *address, *lang;
    int64_t account_id; /* 0: none */
    int has_point;      /* lat, lon given */
    double lat, lon;
    const char *confirm_hash; /* NULL once confirmed */
    int64_t confirm_expires_at, confirmed_at, left_at, created_at;
    const char *leave_token;  /* the unsubscribe link's secret */
    const int64_t *topic_ids; /* its topics (a list read with it, or to insert) */
    size_t n_topics;
} store_subscriber;

/* A message to subscribers, and how far its queuing got. */
typedef struct store_broadcast {
    int64_t id;
    int64_t tenant_id;
    const char *subject, *subject_en, *body, *body_en;
    const char *channels, *topics, *areas; /* JSON arrays: channel names, topic ids, area ids */
    const char *base_url;                  /* the portal's, for the unsubscribe links */
    const char *created_by;
    int64_t created_at;
    int64_t cursor;     /* the last subscriber queued (their ids grow) */
    int64_t recipients; /* messages queued so far */
    int64_t queued_at;  /* 0: still queuing */
} store_broadcast;

/* A broadcast's messages in one delivery state. */
typedef struct store_state_count {
    const char *channel; /* "email", "sms" */
    const char *state;
    int64_t count;
} store_state_count;

/* A collectivité's SMS gateway (Kannel's sendsms interface, core/sms.h). */
typedef struct store_sms_gateway {
    int64_t tenant_id;
    const char *sendsms_url;     /* http://HOST:PORT/cgi-bin/sendsms */
    const char *username;        /* a sendsms-user of Kannel */
    const char *password_sealed; /* core/seal.c, purpose "sms", owner the collectivité */
    const char *sender;          /* the sender id shown on phones ("from"); NULL: Kannel's */
    const char *callback_base;   /* guichet's base URL as Kannel reaches it; NULL: no DLR */
    const char *dlr_key_sealed;  /* the gateway key for delivery reports, sealed; NULL: none */
    int64_t updated_at;
    int broadcast_rate; /* broadcast SMS a second at most; 0 on write: the default */
} store_sms_gateway;

/* A persistent job (table jobs, core/jobs.h): work the scheduler does when due_at has
 * passed, that survives restarts. (tenant, kind, request, ukey) is unique: scheduling the
 * same cause twice gives one row. */
typedef struct store_job_row {
    int64_t id;
    int64_t tenant_id;
    int64_t request_id;  /* 0: none */
    const char *kind;    /* a registered handler's kind: "due_warning", "webhook"… */
    const char *ukey;    /* what makes the job unique with its kind and request; "" */
    int64_t due_at;      /* unix seconds: not run before */
    const char *payload; /* JSON object, the handler's */
    const char *state;   /* pending, running, done, failed, cancelled */
    int attempts;
    const char *last_error;      /* no personal data */
    int64_t created_at, done_at; /* done_at 0: not over */
} store_job_row;

/* A collectivité's webhook subscription (table webhooks, core/webhook.h). */
typedef struct store_webhook {
    int64_t id;
    int64_t tenant_id;
    const char *url;    /* https://…, or a local http:// URL when the server allows it */
    const char *events; /* event names, one space apart */
    const char *secret; /* the HMAC key, shown once to the administrator */
    int active;
    int64_t created_at;
} store_webhook;

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
     * agents.tx_update replaces the whole set. */
    const int64_t *department_ids;
    size_t n_departments;
} store_agent;

/* How many agents of a collectivité asked for new-request notices (table agent_notices), by
 * kind: read into the catalogue so that filing a request knows without a read whether
 * anyone is to be told. */
typedef struct store_agent_notice_count {
    int64_t tenant_id;
    int immediate, digest;
} store_agent_notice_count;

/* A request as a new-request notice names it: no personal data. */
typedef struct store_new_request {
    int64_t id;
    const char *reference;
    int64_t procedure_id;
    int64_t department_id; /* 0: none yet */
    const char *channel;
    int64_t created_at;
} store_new_request;

/* A department's figures over a window, for the managers' weekly digest
 * (core/weekly_digest.h): counts only. */
typedef struct store_department_week {
    int64_t department_id; /* 0: requests no department holds yet */
    int64_t created;       /* filed in the window (merged duplicates left out) */
    int64_t closed;        /* closed in the window */
    int64_t open;          /* open now (the backlog) */
    int64_t late;          /* open now and past their due date */
} store_department_week;

/* One entry of the append-only, hash-chained audit log. It holds ids, never personal data,
 * so that anonymising a request never touches the chain. prev_hash and hash are computed by
 * core; the store only keeps them. */
typedef struct store_audit {
    int64_t id;
    int64_t tenant_id;
    int64_t at;               /* unix seconds */
    int64_t agent_id;         /* 0: none (API key, system) */
    const char *actor;        /* "agent:12", "api:3", "system" */
    const char *action; /* view, search, list, export, change, merge, login, login_failed, admin */
    const char *object_kind;  /* request, agent, account, apikey, ... */
    const char *object_ids;   /* comma-separated ids; NULL: none */
    const char *source;       /* client address; NULL: unknown */
    const char *prev_hash;    /* hex; the previous entry's hash ("" or NULL for the first) */
    const char *hash;         /* hex */
} store_audit;

/* What the audit log's reader asks for, newest first. */
typedef struct store_audit_filter {
    int64_t tenant_id;  /* required */
    int64_t agent_id;   /* 0: any actor */
    int64_t request_id; /* 0: any; else the entries naming this request */
    int64_t from, to;   /* inclusive bounds on `at`; 0: open */
    int64_t before_id;  /* paging: entries older than this one; 0: from the newest */
    size_t limit;       /* required, > 0 */
} store_audit_filter;

/* A request's reference by its id (to name the requests an audit entry lists); at most this
 * many ids per read. */
#define STORE_AUDIT_NAMES_MAX 4096
typedef struct store_request_name {
    int64_t id;
    const char *reference;
} store_request_name;

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
 * other personal field is erased by retention.tx_anonymise. */
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

/* A letter template (table letter_templates, core/letter_tpl.h): an answer letter or an
 * arrêté / décision an agent issues from a request, its text holding {placeholders}. */
typedef struct store_letter_template {
    int64_t id;
    int64_t tenant_id;
    const char *name;         /* unique per tenant */
    const char *kind;         /* "letter" or "decision" */
    int64_t procedure_id;     /* 0: every procedure */
    const char *lang;         /* "fr", "en" */
    int version;              /* from 1; an edit makes the next one */
    const char *subject;      /* the letter's object, the decision's title */
    const char *body;         /* paragraphs (a decision's articles), blank-line separated */
    const char *visas;        /* decision: one «Vu …» a line */
    const char *considerants; /* decision: one «Considérant …» a line */
    const char *decides;      /* decision: the dispositive word, «ARRÊTE :» */
    const char *signatory;    /* the signatory's name */
    const char *quality; /* their quality: «Le Maire», «Pour le Maire et par délégation…» */
    int64_t updated_at;
    int64_t agent_id; /* who wrote this version; 0: guichet (seeded) or the command line */
} store_letter_template;

/* requests.search orders. Keyset paging (before_created_at/before_id) applies only to
 * STORE_SORT_CREATED_DESC; the others page with offset. */
typedef enum store_request_sort {
    STORE_SORT_CREATED_DESC = 0, /* newest first (default) */
    STORE_SORT_CREATED_ASC,      /* oldest first */
    STORE_SORT_UPDATED_DESC,     /* last changed first */
    STORE_SORT_DUE_ASC,          /* nearest due date first; no due date last */
    STORE_SORT_PRIORITY_DESC     /* most urgent first, then newest */
} store_request_sort;

/* Filter for requests.search (and requests.count). Zero/NULL fields do not filter. */
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
    /* Only requests whose contact number is this one (E.164, as stored): a caller's requests,
     * found through requests_phone. NULL: no such filter. */
    const char *phone;
    int only_public;                   /* only requests shown publicly */
    /* Paging: newest first. Either offset paging (offset) or keyset paging after a cursor
     * (before_created_at, before_id: rows strictly older than that pair). */
    size_t offset;
    int64_t before_created_at, before_id;
    size_t limit;                      /* required, > 0 */
    /* ---- back office ---- */
    /* Full-text search over reference, description, address, first and last name, e-mail
     * and phone: every word must match (accents and case ignored); a French word of four
     * letters or more in its singular and plural, masculine and feminine forms, the last word
     * otherwise as a prefix. User input is quoted word by word: it is never FTS5 syntax.
     * Blank: no filter. With created_from and created_to within a few years, the index
     * itself is narrowed to those years. */
    const char *text;
    /* Only requests of one of these departments (an agent's departments). */
    int64_t department_ids[STORE_FILTER_MAX_LIST];
    size_t n_department_ids;
    /* 1: only open requests (closed_at unset) due in [due_from, due_before) — the SLA views
     * (core/sla.h), which walk the index of open requests by due date. */
    int by_due;
    int64_t due_from, due_before;
    int unassigned;    /* 1: only requests without an assignee */
    int letter_due;    /* 1: only requests flagged «à envoyer par courrier» */
    int only_open;     /* 1: only requests not closed (closed_at unset) */
    int sort;          /* store_request_sort; 0: newest first */
    /* Counting: stop at this many (the count is then "at least count_cap"); 0: exact. Counts
     * by status, department and assignee alone are exact and cheap whatever the cap. */
    int64_t count_cap;
} store_request_filter;

/* A request's statistics facts (request_facts, kept with every change: core/stats.h). Strings
 * are valid during the callback that receives the row only. */
typedef struct store_request_fact {
    int64_t created_at;
    int64_t procedure_id;
    int64_t department_id; /* 0: none */
    const char *channel;
    const char *status;
    int64_t first_answer_at; /* 0: no public answer by an agent yet */
    int64_t closed_at;       /* 0: open */
    int64_t reopened;        /* times it went from closed to open */
    int64_t due_at;          /* the SLA's due date; 0: none */
    int64_t rating;          /* the citizen's rating, 1 to 5; 0: none */
    int64_t supporters;      /* «moi aussi» */
    /* The quartier's area id, 0 in none; -1 not worked out yet (core works it out from the
     * location below, read only then and only when the walk asked for it). */
    int64_t area_id;
    /* The current assignee's agent id; 0: unassigned; -1: an identifier no agent of the
     * collectivité carries (the API assigns free text). */
    int64_t assignee_id;
    int has_location;
    double lat, lon;
} store_request_fact;

/* The facts walk's `locate` for the incidents map: every fact with its request's location,
 * those without one left out (0: no location; 1: every fact with it, for the quartiers not
 * worked out yet). */
#define STORE_FACTS_LOCATED 2

/* What one request costs a collectivité on a channel (channel_costs). */
typedef struct store_channel_cost {
    const char *channel;
    int64_t cents;
} store_channel_cost;

/* An e-mail the MTA flagged as spam, held for an agent (core/mail_held.h): personal data. */
typedef struct store_mail_held {
    int64_t id;
    int64_t tenant_id;
    int64_t received_at;
    const char *sender;  /* the From address */
    const char *subject; /* UTF-8, may be "" */
    const char *message; /* the raw message (any bytes, NUL-terminated copy); NULL in lists */
    size_t message_len;
} store_mail_held;

/* A contact address of a collectivité (mail_contacts: each address one collectivité's across
 * the instance) and the procedure a new e-mail to it is filed under. */
typedef struct store_mail_address {
    int64_t tenant_id;
    const char *address;  /* lowercased */
    int64_t procedure_id; /* 0: none, the default «Question générale» */
} store_mail_address;

/* A collectivité's SMS keyword and the procedure an SMS starting with it is filed under. */
typedef struct store_sms_keyword {
    int64_t tenant_id;
    const char *keyword; /* folded: lowercase ASCII letters and digits */
    int64_t procedure_id;
} store_sms_keyword;

#endif

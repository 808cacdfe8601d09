/*
 * parapheur — the élus' signing of a request's documents (issue 16): each élu's key (a
 * PKCS#12 file sealed at rest with the instance secret, or a PKCS#11 token on the server), circuits
 * that send one document to élus in order, each signing it (PAdES, sign/pades.h) into a new version
 * of the same document or refusing it with a comment, délégations de signature (X signs for Y
 * between two days), the reminder of a signature waiting too long. The PIN that opens a key
 * is given at each signing and never stored; signing runs on the caller's thread (the key
 * opened, the PDF signed), then one write job stores the version and moves the circuit on.
 */
#ifndef GUICHET_CORE_PARAPHEUR_H
#define GUICHET_CORE_PARAPHEUR_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/records.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

#define PARAPHEUR_STEPS_MAX 5      /* élus in one circuit */
#define PARAPHEUR_MESSAGE_MAX 1000 /* characters of the sender's message */
#define PARAPHEUR_COMMENT_MAX 1000 /* characters of a refusal's comment */
#define PARAPHEUR_QUALITY_MAX 120  /* characters of an élu's quality */
#define PARAPHEUR_PIN_MAX 128      /* bytes of a PIN or PKCS#12 password */
#define PARAPHEUR_PIN_TRIES 5      /* wrong PINs in a row before the key is locked… */
#define PARAPHEUR_PIN_LOCK 900     /* …for this many seconds */
#define PARAPHEUR_QUEUE_MAX 200    /* documents one queue lists */

/* Internal timeline events (their body: names, and the comment or the capacity), and the
 * public one when the citizen gets the signed version (body: its title). */
#define PARAPHEUR_EVENT_SENT "sign_sent"
#define PARAPHEUR_EVENT_SIGNED "sign_signed"
#define PARAPHEUR_EVENT_REFUSED "sign_refused"
#define PARAPHEUR_EVENT_PUBLIC "document_signed"

/* The server's PKCS#11 module (a path; NULL or "": none, PKCS#11 keys refused). Set once at
 * start-up, before any signing. */
void parapheur_set_pkcs11_module(const char *path);
const char *parapheur_pkcs11_module(void);
/* Whether B-LT's CRLs may be fetched from loopback or private addresses (sign/crl.h; serve
 * --crl-private-ok). Set once at start-up. */
void parapheur_set_crl_private_ok(int ok);

/* ---- the circuit's state machine (pure) ---- */

/* How agent_id may act on circuit c's waiting step: PARAPHEUR_AS_SELF (its élu),
 * PARAPHEUR_AS_DELEGATE (delegated holds: a délégation from that élu covers today) or
 * PARAPHEUR_AS_NONE (not waiting for them, or the circuit is over). */
typedef enum parapheur_as {
    PARAPHEUR_AS_NONE = 0,
    PARAPHEUR_AS_SELF,
    PARAPHEUR_AS_DELEGATE
} parapheur_as;
parapheur_as parapheur_may_act(const store_sign_circuit *c, int64_t agent_id, int delegated);
/* After the waiting step signed new_document at now: the next step waits (1 returned when
 * that was the last: the circuit is "signed", ended). */
int parapheur_after_sign(store_sign_circuit *c, int64_t new_document, int64_t now);
/* After the waiting step refused at now: the circuit is "refused", ended. */
void parapheur_after_refuse(store_sign_circuit *c, int64_t now);
/* The signature's /Reason (into out, size bytes): the signer's quality when they sign for
 * themselves; «Pour le maire et par délégation, <name>, <quality>» for a delegate. */
void parapheur_reason(parapheur_as as, const char *name, const char *quality, char *out,
                      size_t size);

/* ---- keys ---- */

/* An élu's key as an administrator sets it. */
typedef struct parapheur_key_in {
    int64_t agent_id; /* an active élu (or admin) of the collectivité */
    const char *quality;
    const char *kind; /* "p12" or "pkcs11" */
    const void *p12;  /* p12: the file as uploaded */
    size_t p12_len;
    const char *token; /* pkcs11: labels */
    const char *key;
    const char *pin; /* opens it once, to check it and read its certificate; not kept */
} parapheur_key_in;

/* Checks the key (opened with in->pin: arg "pin" when refused; "p12" for no PKCS#12 file,
 * "token", "key", "pkcs11-module" as sign_key_load_pkcs11; "agent" for no such élu;
 * "quality") on the caller's thread, then stores it with its certificate's description in
 * one job with the audit entry "sign_key" (agent). who must be an admin (ERR_FORBIDDEN).
 * Asynchronous as core_op_submit. */
int parapheur_key_set(core *c, const cat_tenant *t, const core_actor *who,
                      const parapheur_key_in *in, core_done_fn cb, void *ctx, error *err);
/* Seals the élus' PKCS#12 files still stored in clear (kept so before they were sealed at
 * rest), in every collectivité, in one job; run at start-up, it does nothing once they all
 * are. *sealed (may be NULL) how many were. 0, or -1 with err. */
int parapheur_seal_keys(core *c, size_t *sealed, error *err);
/* The collectivité's keys, without their files. */
int parapheur_keys(core *c, int64_t tenant_id, arena *a, store_sign_key **out, size_t *n,
                   error *err);
/* agent_id's key without its file; *found 0 when none. */
int parapheur_key_get(core *c, int64_t tenant_id, int64_t agent_id, arena *a, store_sign_key *out,
                      int *found, error *err);

/* ---- circuits ---- */

typedef struct parapheur_send_in {
    const char *reference; /* the request */
    int64_t document_id;   /* one of its documents (letter, decision or upload) */
    const int64_t *elus;   /* 1 to PARAPHEUR_STEPS_MAX distinct élus, in signing order */
    size_t n_elus;
    const char *message; /* NULL or "": none */
} parapheur_send_in;

/* who (an agent who may change the request, or the system for a workflow action) sends the
 * document for signature: one job that inserts the circuit and its steps, the internal
 * event "sign_sent" and the audit entry "sign_send" (request). -1 with err: ERR_NOT_FOUND
 * (request, document), ERR_FORBIDDEN, ERR_INVALID_ARG ("elus": none, too many, twice, not
 * an élu; "message"; "document": a receipt), ERR_CONFLICT (a circuit of that document is
 * pending; the request is anonymised). *id_out (may be NULL) set before cb. */
int parapheur_send(core *c, const cat_tenant *t, const core_actor *who, const parapheur_send_in *in,
                   int64_t *id_out, core_done_fn cb, void *ctx, error *err);

/* The workflow action «send for signature» (core/status_actions.c), inside the status
 * change's job: the request's latest letter or decision sent to the active élus among
 * signers (e-mail addresses, comma-separated, in order), by actor on channel via at now. *sent 0
 * when skipped: no letter or decision, no such élu, or that document already waits for
 * signatures. */
int parapheur_action_tx(store *s, const store_request *r, const char *signers, const char *actor,
                        const char *via, int64_t now, int *sent, error *err);

/* The documents waiting for agent_id (theirs, and those of élus who delegated to them for
 * today), oldest first. */
int parapheur_queue(core *c, const cat_tenant *t, int64_t agent_id, arena *a,
                    store_sign_circuit **out, size_t *n, error *err);
/* Circuit id with its steps; *found 0 when none in t. */
int parapheur_circuit(core *c, const cat_tenant *t, int64_t id, arena *a, store_sign_circuit *out,
                      store_sign_step **steps, size_t *n_steps, int *found, error *err);
/* A request's circuits, newest first. */
int parapheur_of_request(core *c, const cat_tenant *t, int64_t request_id, arena *a,
                         store_sign_circuit **out, size_t *n, error *err);
/* How who may act on circuit ci now (délégations read for today in t's zone). */
int parapheur_how(core *c, const cat_tenant *t, const core_actor *who, const store_sign_circuit *ci,
                  parapheur_as *as, error *err);

/* Signs circuit_id's waiting step as who (its élu, or their delegate today) with who's key
 * opened by pin: the document's current version signed on the caller's thread, then one job
 * that writes it as the next version of the same document (its own hash and code), moves the
 * circuit on, writes the internal event "sign_signed" and the audit entry "sign"
 * (document) and, after the last élu, shows the version to the citizen (public event
 * "document_signed" and the "document_issued" notice with tracking_url). -1 with err:
 * ERR_NOT_FOUND, ERR_FORBIDDEN (not theirs to sign), ERR_CONFLICT (the circuit moved on
 * meanwhile, or is over), ERR_INVALID_ARG "key" (who has no key), "pin" (refused: counted,
 * the outcome comes after the count's job), ERR_RATE_LIMITED "pin" (locked after
 * PARAPHEUR_PIN_TRIES). *document_out (may be NULL) the version written. */
int parapheur_sign(core *c, const cat_tenant *t, const core_actor *who, int64_t circuit_id,
                   const char *pin, const char *tracking_url, int64_t *document_out,
                   core_done_fn cb, void *ctx, error *err);

#define PARAPHEUR_BATCH_MAX 50 /* documents one «Signer la sélection» signs */

/* One document's outcome in a batch. */
typedef struct parapheur_result {
    int64_t circuit_id;
    int rc; /* 0: signed */
    error err;
    int64_t document_id; /* the version written */
} parapheur_result;

/* «Signer la sélection»: who's key opened once with pin (a wrong PIN is counted once and is
 * the outcome of the whole call, as for parapheur_sign), then each of ids[0..n) signed on
 * its own, in its own job: results[i] (n of them, valid until cb) tells each, a failure on
 * one undoing none of the others. cb(ctx, 0, NULL) once every job reported; -1 at once
 * (no cb) as parapheur_sign refuses before signing. */
int parapheur_sign_batch(core *c, const cat_tenant *t, const core_actor *who, const int64_t *ids,
                         size_t n, const char *pin, const char *tracking_url,
                         parapheur_result *results, core_done_fn cb, void *ctx, error *err);

/* Refuses circuit_id's waiting step as who with comment (1 to PARAPHEUR_COMMENT_MAX
 * characters; arg "comment"): one job that ends the circuit, writes the internal event
 * "sign_refused", the audit entry "sign_refuse" (document) and the e-mail "sign_refused"
 * to the agent who sent it. Errors as parapheur_sign's. */
int parapheur_refuse(core *c, const cat_tenant *t, const core_actor *who, int64_t circuit_id,
                     const char *comment, core_done_fn cb, void *ctx, error *err);

/* ---- délégations ---- */

typedef struct parapheur_delegation_in {
    int64_t delegate_id;   /* X, an élu */
    int64_t principal_id;  /* Y, an élu */
    const char *starts_on; /* YYYY-MM-DD */
    const char *ends_on;
} parapheur_delegation_in;

/* Records «X signe pour Y du … au …»: who is an admin, or Y themselves. ERR_INVALID_ARG
 * ("delegate", "principal", "starts_on", "ends_on"), ERR_FORBIDDEN; audit "sign_delegation".
 * Asynchronous as core_op_submit. */
int parapheur_delegation_add(core *c, const cat_tenant *t, const core_actor *who,
                             const parapheur_delegation_in *in, core_done_fn cb, void *ctx,
                             error *err);
/* Deletes one (an admin, or its principal). */
int parapheur_delegation_delete(core *c, const cat_tenant *t, const core_actor *who, int64_t id,
                                core_done_fn cb, void *ctx, error *err);
/* The délégations not over today. */
int parapheur_delegations(core *c, const cat_tenant *t, arena *a, store_sign_delegation **out,
                          size_t *n, error *err);

/* ---- reminders ---- */

/* The job that reminds an élu of a signature waiting since more than the collectivité's
 * days (then once a day while it waits): an e-mail to the élu, with the link to the
 * document, and to each delegate whose délégation from the élu covers that day («par
 * délégation de …»). */
#define PARAPHEUR_REMIND_KIND "sign_remind"
#define PARAPHEUR_REMIND_DAYS 3 /* without a setting */
#define PARAPHEUR_REMIND_DAYS_MAX 60

#define PARAPHEUR_REMIND_DELEGATES_MAX 16 /* delegates of one élu reminded at once */

/* The delegates (their agent ids, each once, in d's order, at most max into out) whose
 * délégation from principal_id covers today (YYYY-MM-DD: starts_on <= today <= ends_on,
 * both days included) among d[0 … n): they are reminded with the élu. Their count. */
size_t parapheur_delegates_on(const store_sign_delegation *d, size_t n, int64_t principal_id,
                              const char *today, int64_t *out, size_t max);

/* The collectivité's days (PARAPHEUR_REMIND_DAYS when never set). */
int parapheur_remind_days(core *c, int64_t tenant_id, int *days, error *err);
/* Sets them (1 to PARAPHEUR_REMIND_DAYS_MAX, else ERR_INVALID_ARG "remind_days"): an admin,
 * audited ("sign_settings"); for the steps that start waiting from then on. Asynchronous as
 * core_op_submit. */
int parapheur_remind_days_set(core *c, const cat_tenant *t, const core_actor *who, int days,
                              core_done_fn cb, void *ctx, error *err);
/* ---- how élus sign ---- */

#define PARAPHEUR_TSA_URL_MAX 512 /* bytes of a TSA's URL */

/* The collectivité's signature settings (store_sign_settings; B-B, no TSA, no box when never
 * set), strings in a. The parapheur signs at that level, with that TSA, with or without the
 * visible box (name, capacity — «par délégation» for a delegate —, date). */
int parapheur_signing(core *c, int64_t tenant_id, arena *a, store_sign_settings *out, error *err);
/* Sets them: an admin (ERR_FORBIDDEN), audited ("sign_settings"); ERR_INVALID_ARG "level"
 * (B-B, B-T or B-LT), "tsa_url" (B-T and B-LT need an http or https URL of at most
 * PARAPHEUR_TSA_URL_MAX bytes, without space or control character). Asynchronous as
 * core_op_submit. */
int parapheur_signing_set(core *c, const cat_tenant *t, const core_actor *who,
                          const store_sign_settings *in, core_done_fn cb, void *ctx, error *err);

/* Registers the reminder job's kind on c (core_open does). */
int parapheur_register(core *c, error *err);

/* Today's date (YYYY-MM-DD) in t's zone. */
void parapheur_today(const cat_tenant *t, int64_t now, char out[11]);

#endif

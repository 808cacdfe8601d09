/*
 * bo_parapheur — the élus' parapheur (core/parapheur.h): /agent/parapheur, the documents
 * waiting for the élu (and for those who delegated to them today), oldest first, with
 * checkboxes for «Signer la sélection»; /agent/parapheur/{id}, one document to read, sign
 * (PIN) or refuse (comment); the selection's confirmation page listing each title, then its
 * signing, one result per document; /agent/parapheur/delegation, an élu's own délégation;
 * and /agent/demandes/{ref}/signature, where an agent sends a document for signature. No
 * script: every step is a form. The PIN is wiped from the request's memory once used.
 */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "core/agent.h"
#include "core/document.h"
#include "core/parapheur.h"
#include "core/perm.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

#define QUEUE "/agent/parapheur"

/* The élu of this request: 1 and *a, or 0 after answering (login, 403). */
static int signer(http_req *rq, store_agent *a)
{
    if (!bo_agent(rq, a))
        return 0;
    if (!perm_can_sign(a)) {
        bo_forbidden(rq);
        return 0;
    }
    return 1;
}

/* Wipes the PIN typed in f (its bytes live in the request's arena until the answer). */
static void pin_wipe(form *f)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->fields[i].name, "pin") == 0)
            sodium_memzero((char *)f->fields[i].value, f->fields[i].value_len);
}

static const char *since(http_req *rq, int64_t t)
{
    return bo_date(rq, rq->host_tenant, t, 1);
}

static const char *doc_url(http_req *rq, const char *reference, int64_t id)
{
    return arena_printf(rq->arena, "/documents/%s/%" PRId64, bo_url(rq, reference), id);
}

/* A circuit as the queue and the document page show it. */
static json_t *circuit_json(http_req *rq, const store_sign_circuit *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    present_set_str_opt(o, "reference", c->reference);
    present_set_str_opt(o, "title", c->title ? c->title : c->doc_kind);
    present_set_str_opt(o, "sent_by", c->sent_by_name ? c->sent_by_name : "—");
    present_set_str_opt(o, "since", since(rq, c->waiting_since));
    present_set_str_opt(o, "since_iso", bo_admin_iso(rq, c->waiting_since));
    present_set_str_opt(o, "message", c->message && *c->message ? c->message : NULL);
    present_set_str_opt(o, "href",
                        arena_printf(rq->arena, QUEUE "/%" PRId64 "%s", c->id,
                                     rq->lang == LANG_EN ? "?lang=en" : ""));
    present_set_str_opt(o, "pdf", doc_url(rq, c->reference, c->document_id));
    present_set_str_opt(o, "request_href",
                        arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, c->reference)));
    return o;
}

/* ---- the queue ---- */

static void queue_render(bo_page *p, const store_agent *a, int status)
{
    http_req *rq = p->rq;
    store_sign_circuit *cs = NULL;
    size_t n = 0;
    error e;
    if (parapheur_queue(rq->core, rq->host_tenant, a->id, rq->arena, &cs, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = circuit_json(rq, &cs[i]);
        if (cs[i].signer_id != a->id)
            json_object_set_new(o, "delegated", json_true());
        json_array_append_new(list, o);
    }
    bo_page_set(p, "queue", list);
    json_object_set_new(p->ctx, "has_queue", json_boolean(n > 0));
    store_agent *agents = NULL;
    size_t n_agents = 0;
    json_t *elus = json_array();
    if (agent_list(rq->core, a->tenant_id, rq->arena, &agents, &n_agents, &e) == 0)
        for (size_t i = 0; i < n_agents; i++)
            if (agents[i].active && perm_can_sign(&agents[i]) && agents[i].id != a->id) {
                json_t *o = json_object();
                json_object_set_new(o, "id", json_integer(agents[i].id));
                present_set_str(o, "name", agents[i].name);
                json_array_append_new(elus, o);
            }
    bo_page_set(p, "delegates", elus);
    store_sign_delegation *ds = NULL;
    size_t n_ds = 0;
    json_t *mine = json_array();
    if (parapheur_delegations(rq->core, rq->host_tenant, rq->arena, &ds, &n_ds, &e) == 0)
        for (size_t i = 0; i < n_ds; i++)
            if (ds[i].principal_id == a->id || ds[i].delegate_id == a->id) {
                json_t *o = json_object();
                json_object_set_new(o, "id", json_integer(ds[i].id));
                present_set_str(o, "delegate", ds[i].delegate_name);
                present_set_str(o, "principal", ds[i].principal_name);
                present_set_str(o, "from", ds[i].starts_on);
                present_set_str(o, "to", ds[i].ends_on);
                json_object_set_new(o, "mine", json_boolean(ds[i].principal_id == a->id));
                json_array_append_new(mine, o);
            }
    json_object_set_new(p->ctx, "has_delegations", json_boolean(json_array_size(mine) > 0));
    bo_page_set(p, "delegations", mine);
    bo_page_render(p, status, "agent/parapheur", bo_page_str(p, "parapheur.title"));
}

static void queue_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (!signer(rq, &a) || bo_page_start(&p, rq, &a) != 0)
        return;
    const char *done = form_get(&rq->query, "fait");
    if (done && strlen(done) < 30) {
        const char *key = arena_printf(rq->arena, "parapheur.done_%s", done);
        const char *text = bo_page_str(&p, key);
        if (text && strcmp(text, key) != 0)
            bo_page_notice(&p, "success", text);
    }
    queue_render(&p, &a, 200);
}

/* ---- one document ---- */

/* What a POST on a document keeps while its write commits. */
typedef struct doc_state {
    store_agent a;
    int64_t id;
    form f;
    int refusing; /* «Refuser» rather than «Signer» */
} doc_state;

static void doc_render(http_req *rq, const store_agent *a, int64_t id, int status,
                       const char *field, const char *msg_key, const form *f)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    store_sign_circuit c;
    store_sign_step *steps = NULL;
    size_t n = 0;
    int found = 0;
    error e;
    if (parapheur_circuit(rq->core, rq->host_tenant, id, rq->arena, &c, &steps, &n, &found, &e) !=
        0) {
        bo_page_fail(&p, &e);
        return;
    }
    if (!found) {
        bo_page_discard(&p);
        bo_not_found(rq);
        return;
    }
    core_actor who = bo_who(rq, a);
    parapheur_as as = PARAPHEUR_AS_NONE;
    if (parapheur_how(rq->core, rq->host_tenant, &who, &c, &as, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    /* An élu reads every request; the document page is for those it waits for, and for
     * admins (who sign too) reading where it stands. */
    if (as == PARAPHEUR_AS_NONE && !perm_can_admin(a)) {
        int was_in = 0;
        for (size_t i = 0; i < n; i++)
            was_in |= steps[i].agent_id == a->id || steps[i].signed_by == a->id;
        if (!was_in) {
            bo_page_discard(&p);
            bo_forbidden(rq);
            return;
        }
    }
    json_t *o = circuit_json(rq, &c);
    present_set_str_opt(o, "state_label",
                        bo_page_str(&p, arena_printf(rq->arena, "parapheur.state_%s", c.state)));
    bo_page_set(&p, "circuit", o);
    json_object_set_new(p.ctx, "can_decide", json_boolean(as != PARAPHEUR_AS_NONE));
    json_object_set_new(p.ctx, "delegated", json_boolean(as == PARAPHEUR_AS_DELEGATE));
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_object();
        json_object_set_new(s, "position", json_integer(steps[i].position + 1));
        present_set_str_opt(s, "name", steps[i].agent_name);
        present_set_str_opt(
            s, "state",
            bo_page_str(&p, arena_printf(rq->arena, "parapheur.step_%s", steps[i].state)));
        if (steps[i].signed_by && steps[i].signed_by != steps[i].agent_id)
            present_set_str_opt(s, "by", steps[i].signed_by_name);
        present_set_str_opt(s, "when", since(rq, steps[i].decided_at));
        present_set_str_opt(s, "comment", steps[i].comment);
        json_array_append_new(list, s);
    }
    bo_page_set(&p, "steps", list);
    if (field)
        bo_page_error_key(&p, field, msg_key);
    if (f)
        bo_page_value(&p, "comment", form_get(f, "comment"));
    bo_page_render(&p, status, "agent/parapheur_doc", c.title ? c.title : c.doc_kind);
}

static void doc_get(http_req *rq)
{
    store_agent a;
    int64_t id = bo_admin_id(rq->params[0]);
    if (!signer(rq, &a))
        return;
    if (!id) {
        bo_not_found(rq);
        return;
    }
    doc_render(rq, &a, id, 200, NULL, NULL, NULL);
}

/* The field and message of a refused signature or refusal; NULL for an error page. */
static const char *decision_refusal(const error *e, const char **field, int *status)
{
    *status = 400;
    /* The level the administrator chose cannot be reached now (its TSA silent, a CRL out of
     * reach) or the certificate is revoked: said beside the PIN, nothing signed. */
    if (strcmp(e->arg, "tsa") == 0 || strcmp(e->arg, "crl") == 0) {
        *status = e->code == ERR_CONFLICT ? 409 : 503;
        *field = "pin";
        return e->code == ERR_CONFLICT ? "parapheur.error_revoked" : "parapheur.error_level";
    }
    if (e->code == ERR_RATE_LIMITED) {
        *status = 429;
        *field = "pin";
        return "parapheur.error_locked";
    }
    if (e->code == ERR_CONFLICT) {
        *status = 409;
        *field = "pin";
        return "parapheur.error_moved";
    }
    if (e->code != ERR_INVALID_ARG && e->code != ERR_MISSING_ARG)
        return NULL;
    if (strcmp(e->arg, "comment") == 0) {
        *field = "comment";
        return "parapheur.error_comment";
    }
    *field = "pin";
    if (strcmp(e->arg, "key") == 0)
        return "parapheur.error_no_key";
    if (strcmp(e->arg, "pin") == 0)
        return "parapheur.error_pin";
    return "parapheur.error_key_unusable";
}

static void decided(http_req *rq)
{
    doc_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    pin_wipe(&st->f);
    if (w->rc == 0) {
        const char *what = st->refusing ? "refused" : "signed";
        web_redirect(rq, arena_printf(rq->arena, QUEUE "?fait=%s%s", what,
                                      rq->lang == LANG_EN ? "&lang=en" : ""));
        return;
    }
    const char *field = NULL;
    int status = 400;
    const char *key = decision_refusal(&w->err, &field, &status);
    if (!key) {
        bo_write_refused(rq, &w->err);
        return;
    }
    doc_render(rq, &st->a, st->id, status, field, key, &st->f);
}

/* size zeroed bytes of a POST's state in rq's arena; NULL after answering 500. */
static void *state_new(http_req *rq, size_t size)
{
    void *st = arena_alloc(rq->arena, size);
    if (!st) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return NULL;
    }
    memset(st, 0, size);
    return st;
}

/* The POST's state with the agent, the form and the circuit's id: NULL after answering. */
static doc_state *doc_post_open(http_req *rq)
{
    doc_state *st = state_new(rq, sizeof *st);
    if (!st)
        return NULL;
    if (!signer(rq, &st->a) || bo_form(rq, &st->f) != 0)
        return NULL;
    if (!(st->id = bo_admin_id(rq->params[0]))) {
        pin_wipe(&st->f);
        bo_not_found(rq);
        return NULL;
    }
    rq->user = st;
    return st;
}

static void sign_post(http_req *rq)
{
    doc_state *st = doc_post_open(rq);
    if (!st)
        return;
    core_actor who = bo_who(rq, &st->a);
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, decided);
    /* The PIN is used on this thread only (the key opened, the PDF signed) before the call
     * returns; decided wipes it. */
    int rc = parapheur_sign(rq->core, rq->host_tenant, &who, st->id, form_get(&st->f, "pin"),
                            arena_printf(rq->arena, "%s/suivi", http_base_url(rq, rq->host_tenant)),
                            NULL, http_wait_done, w, &e);
    pin_wipe(&st->f);
    http_wait_started(w, rc, &e);
}

static void refuse_post(http_req *rq)
{
    doc_state *st = doc_post_open(rq);
    if (!st)
        return;
    core_actor who = bo_who(rq, &st->a);
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, decided);
    const char *comment = form_get(&st->f, "comment");
    st->refusing = 1;
    int rc = parapheur_refuse(rq->core, rq->host_tenant, &who, st->id, comment ? comment : "",
                              http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- «Signer la sélection» ---- */

/* The ids checked (fields "c"), at most PARAPHEUR_BATCH_MAX, distinct; n 0 when none or one
 * is malformed. */
static size_t selection(const form *f, int64_t *ids)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->fields[i].name, "c") != 0)
            continue;
        int64_t id = bo_admin_id(f->fields[i].value);
        if (!id || n == PARAPHEUR_BATCH_MAX)
            return 0;
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= ids[k] == id;
        if (!dup)
            ids[n++] = id;
    }
    return n;
}

/* The confirmation page: each selected document's title, one PIN. Only documents waiting
 * for this élu are listed; results (NULL before signing) tell each one's outcome. */
static void batch_render(http_req *rq, const store_agent *a, const int64_t *ids, size_t n,
                         const parapheur_result *results, int status, const char *pin_error)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    store_sign_circuit *cs = NULL;
    size_t nq = 0;
    error e;
    if (parapheur_queue(rq->core, rq->host_tenant, a->id, rq->arena, &cs, &nq, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    json_t *list = json_array();
    size_t signed_n = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = NULL;
        if (results) {
            store_sign_circuit c;
            store_sign_step *steps = NULL;
            size_t ns = 0;
            int found = 0;
            if (parapheur_circuit(rq->core, rq->host_tenant, ids[i], rq->arena, &c, &steps, &ns,
                                  &found, &e) == 0 &&
                found)
                o = circuit_json(rq, &c);
            else {
                o = json_object();
                json_object_set_new(o, "id", json_integer(ids[i]));
            }
            const char *field = NULL;
            int st = 0;
            const char *key = "parapheur.batch_signed";
            if (results[i].rc != 0 && !(key = decision_refusal(&results[i].err, &field, &st)))
                key = results[i].err.code == ERR_FORBIDDEN ? "parapheur.batch_forbidden"
                                                           : "parapheur.batch_failed";
            present_set_str_opt(o, "outcome", bo_page_str(&p, key));
            json_object_set_new(o, "ok", json_boolean(results[i].rc == 0));
            signed_n += results[i].rc == 0;
        } else {
            for (size_t k = 0; k < nq && !o; k++)
                if (cs[k].id == ids[i])
                    o = circuit_json(rq, &cs[k]);
            if (!o)
                continue;
        }
        json_array_append_new(list, o);
    }
    json_object_set_new(p.ctx, "has_selected", json_boolean(json_array_size(list) > 0));
    bo_page_set(&p, "selected", list);
    json_object_set_new(p.ctx, "done", json_boolean(results != NULL));
    json_object_set_new(p.ctx, "signed_count", json_integer((json_int_t)signed_n));
    if (pin_error)
        bo_page_error_key(&p, "pin", pin_error);
    if (!results && json_array_size(list) == 0)
        bo_page_error_key(&p, "selection", "parapheur.error_selection");
    bo_page_render(&p, status, "agent/parapheur_batch", bo_page_str(&p, "parapheur.batch_title"));
}

static void batch_confirm_post(http_req *rq)
{
    store_agent a;
    form f;
    if (!signer(rq, &a) || bo_form(rq, &f) != 0)
        return;
    int64_t ids[PARAPHEUR_BATCH_MAX];
    size_t n = selection(&f, ids);
    batch_render(rq, &a, ids, n, NULL, n ? 200 : 400, NULL);
}

typedef struct batch_web {
    store_agent a;
    form f;
    int64_t ids[PARAPHEUR_BATCH_MAX];
    size_t n;
    parapheur_result results[PARAPHEUR_BATCH_MAX];
} batch_web;

static void batch_signed(http_req *rq)
{
    batch_web *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    pin_wipe(&st->f);
    if (w->rc != 0) {
        const char *field = NULL;
        int status = 400;
        const char *key = decision_refusal(&w->err, &field, &status);
        if (!key) {
            bo_write_refused(rq, &w->err);
            return;
        }
        batch_render(rq, &st->a, st->ids, st->n, NULL, status, key);
        return;
    }
    batch_render(rq, &st->a, st->ids, st->n, st->results, 200, NULL);
}

static void batch_sign_post(http_req *rq)
{
    batch_web *st = state_new(rq, sizeof *st);
    if (!st)
        return;
    if (!signer(rq, &st->a) || bo_form(rq, &st->f) != 0)
        return;
    st->n = selection(&st->f, st->ids);
    if (!st->n) {
        pin_wipe(&st->f);
        batch_render(rq, &st->a, st->ids, 0, NULL, 400, NULL);
        return;
    }
    rq->user = st;
    core_actor who = bo_who(rq, &st->a);
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, batch_signed);
    int rc = parapheur_sign_batch(
        rq->core, rq->host_tenant, &who, st->ids, st->n, form_get(&st->f, "pin"),
        arena_printf(rq->arena, "%s/suivi", http_base_url(rq, rq->host_tenant)), st->results,
        http_wait_done, w, &e);
    pin_wipe(&st->f);
    http_wait_started(w, rc, &e);
}

/* ---- an élu's own délégation ---- */

static void delegation_saved(http_req *rq)
{
    doc_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        web_redirect(rq, arena_printf(rq->arena, QUEUE "?fait=delegation%s",
                                      rq->lang == LANG_EN ? "&lang=en" : ""));
        return;
    }
    if (w->err.code != ERR_INVALID_ARG) {
        bo_write_refused(rq, &w->err);
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->a) != 0)
        return;
    static const char *const fields[] = {"delegate", "starts_on", "ends_on", NULL};
    const char *field = bo_admin_error_field(&w->err, fields, "delegate");
    bo_page_error_key(&p, field, arena_printf(rq->arena, "parapheur.error_%s", field));
    bo_page_value(&p, "starts_on", form_get(&st->f, "starts_on"));
    bo_page_value(&p, "ends_on", form_get(&st->f, "ends_on"));
    queue_render(&p, &st->a, 400);
}

static void delegation_post(http_req *rq)
{
    doc_state *st = state_new(rq, sizeof *st);
    if (!st)
        return;
    if (!signer(rq, &st->a) || bo_form(rq, &st->f) != 0)
        return;
    rq->user = st;
    core_actor who = bo_who(rq, &st->a);
    parapheur_delegation_in in = {.delegate_id = bo_admin_id(form_get(&st->f, "delegate")),
                                  .principal_id = st->a.id,
                                  .starts_on = form_get(&st->f, "starts_on"),
                                  .ends_on = form_get(&st->f, "ends_on")};
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, delegation_saved);
    int rc = parapheur_delegation_add(rq->core, rq->host_tenant, &who, &in, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void delegation_delete_post(http_req *rq)
{
    doc_state *st = state_new(rq, sizeof *st);
    if (!st)
        return;
    if (!signer(rq, &st->a) || bo_form(rq, &st->f) != 0)
        return;
    int64_t id = bo_admin_id(rq->params[0]);
    if (!id) {
        bo_not_found(rq);
        return;
    }
    rq->user = st;
    core_actor who = bo_who(rq, &st->a);
    error e;
    error_clear(&e);
    http_wait *w = bo_wait_redirect(rq, arena_printf(rq->arena, QUEUE "?fait=delegation_deleted%s",
                                                     rq->lang == LANG_EN ? "&lang=en" : ""));
    int rc =
        parapheur_delegation_delete(rq->core, rq->host_tenant, &who, id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- sending a document for signature ---- */

typedef struct send_state {
    store_agent a;
    store_request r;
    form f;
} send_state;

/* The request's documents that may be signed and the élus, with what was chosen. */
static void send_render(http_req *rq, const store_agent *a, const store_request *r, const form *f,
                        int status, const char *field, const char *msg_key)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    error e;
    store_document *docs = NULL;
    size_t n = 0;
    if (document_list(rq->core, rq->host_tenant->rec.id, r->id, NULL, rq->arena, &docs, &n, &e) !=
        0) {
        bo_page_fail(&p, &e);
        return;
    }
    const char *chosen = f ? form_get(f, "document") : NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(docs[i].kind, DOCUMENT_KIND_RECEIPT) == 0)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(docs[i].id));
        present_set_str_opt(
            o, "label",
            arena_printf(rq->arena, "%s (v%d)", web_document_label(rq, &docs[i]), docs[i].version));
        if (chosen && bo_admin_id(chosen) == docs[i].id)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(list, o);
    }
    bo_page_set(&p, "documents", list);
    store_agent *agents = NULL;
    size_t n_agents = 0;
    if (agent_list(rq->core, a->tenant_id, rq->arena, &agents, &n_agents, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    json_t *slots = json_array();
    for (int k = 0; k < PARAPHEUR_STEPS_MAX; k++) {
        const char *name = arena_printf(rq->arena, "elu%d", k + 1);
        const char *picked = f ? form_get(f, name) : NULL;
        json_t *slot = json_object();
        present_set_str(slot, "name", name);
        json_object_set_new(slot, "position", json_integer(k + 1));
        json_object_set_new(slot, "first", json_boolean(k == 0));
        json_t *opts = json_array();
        for (size_t i = 0; i < n_agents; i++) {
            if (!agents[i].active || !perm_can_sign(&agents[i]))
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(agents[i].id));
            present_set_str(o, "name", agents[i].name);
            if (picked && bo_admin_id(picked) == agents[i].id)
                json_object_set_new(o, "selected", json_true());
            json_array_append_new(opts, o);
        }
        json_object_set_new(slot, "options", opts);
        json_array_append_new(slots, slot);
    }
    bo_page_set(&p, "slots", slots);
    present_set_str(p.ctx, "reference", r->reference);
    present_set_str(p.ctx, "base",
                    arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, r->reference)));
    if (f)
        bo_page_value(&p, "message", form_get(f, "message"));
    if (field)
        bo_page_error_key(&p, field, msg_key);
    bo_page_render(&p, status, "agent/sign_send", bo_page_str(&p, "parapheur.send_title"));
}

/* Opens the request for an agent who may change it: 1, or 0 after answering. */
static int send_open(http_req *rq, store_agent *a, store_request *r)
{
    if (!bo_open_request(rq, a, rq->host_tenant, rq->params[0], r))
        return 0;
    if (!perm_can_change(a, r) || r->anonymised_at) {
        bo_forbidden(rq);
        return 0;
    }
    return 1;
}

static void send_get(http_req *rq)
{
    store_agent a;
    store_request r;
    if (!bo_agent(rq, &a) || !send_open(rq, &a, &r))
        return;
    send_render(rq, &a, &r, NULL, 200, NULL, NULL);
}

static void send_done(http_req *rq)
{
    send_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        web_redirect(rq, arena_printf(rq->arena, "/agent/demandes/%s?fait=signature%s#documents",
                                      bo_url(rq, st->r.reference),
                                      rq->lang == LANG_EN ? "&lang=en" : ""));
        return;
    }
    const char *field = NULL, *key = NULL;
    if (w->err.code == ERR_INVALID_ARG || w->err.code == ERR_CONFLICT ||
        (w->err.code == ERR_NOT_FOUND && strcmp(w->err.arg, "document") == 0)) {
        static const char *const fields[] = {"elus", "message", "document", NULL};
        field = bo_admin_error_field(&w->err, fields, "document");
        key = w->err.code == ERR_CONFLICT ? "parapheur.error_already"
                                          : arena_printf(rq->arena, "parapheur.error_%s", field);
        if (strcmp(field, "elus") == 0)
            field = "elu1";
    }
    if (!key) {
        bo_write_refused(rq, &w->err);
        return;
    }
    send_render(rq, &st->a, &st->r, &st->f, w->err.code == ERR_CONFLICT ? 409 : 400, field, key);
}

static void send_post(http_req *rq)
{
    send_state *st = state_new(rq, sizeof *st);
    if (!st)
        return;
    if (!bo_agent(rq, &st->a) || bo_form(rq, &st->f) != 0 || !send_open(rq, &st->a, &st->r))
        return;
    int64_t elus[PARAPHEUR_STEPS_MAX];
    size_t n = 0;
    for (int k = 0; k < PARAPHEUR_STEPS_MAX; k++) {
        int64_t id = bo_admin_id(form_get(&st->f, arena_printf(rq->arena, "elu%d", k + 1)));
        if (id)
            elus[n++] = id;
    }
    rq->user = st;
    core_actor who = bo_who(rq, &st->a);
    parapheur_send_in in = {.reference = st->r.reference,
                            .document_id = bo_admin_id(form_get(&st->f, "document")),
                            .elus = elus,
                            .n_elus = n,
                            .message = form_get(&st->f, "message")};
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, send_done);
    int rc = parapheur_send(rq->core, rq->host_tenant, &who, &in, NULL, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_parapheur_routes[] = {
    {HTTP_GET | HTTP_HEAD, QUEUE, queue_get},
    {HTTP_POST, QUEUE "/selection", batch_confirm_post},
    {HTTP_POST, QUEUE "/selection/signer", batch_sign_post},
    {HTTP_POST, QUEUE "/delegation", delegation_post},
    {HTTP_POST, QUEUE "/delegation/{}/supprimer", delegation_delete_post},
    {HTTP_GET | HTTP_HEAD, QUEUE "/{}", doc_get},
    {HTTP_POST, QUEUE "/{}/signer", sign_post},
    {HTTP_POST, QUEUE "/{}/refuser", refuse_post},
    {HTTP_GET | HTTP_HEAD, "/agent/demandes/{}/signature", send_get},
    {HTTP_POST, "/agent/demandes/{}/signature", send_post},
    {0, NULL, NULL},
};

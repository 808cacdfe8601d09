/*
 * gateway — POST /passerelle/courrier (one scan for the post room: the raw bytes, ?nom= its
 * name, the Host or ?tenant= its collectivité, a "gateway" key; 201 {"outcome": "queued",
 * "id"}, or a refusal whose "motif" the import writes beside the file) and
 * POST /passerelle/mail (gateway.h): the tenant (Host or ?tenant=; when neither
 * names one, the recipients' contact addresses, core/mail_contact.h), the "gateway" key, the
 * body checked as a message/rfc822 of bounded size, parsed (channels/mail/inbound) and
 * routed; the connection waits for the write, then answers what became of the mail. The
 * mailgate maps the answer to the MTA's exit codes: 2xx handled, 400/413/415 a message that
 * can never be taken, anything else to retry.
 */
#include "api/gateway/gateway.h"

#include <string.h>
#include <strings.h>

#include "api/json_error.h"
#include "channels/mail/inbound.h"
#include "core/apikey.h"
#include "core/attachment.h"
#include "core/courrier.h"
#include "core/mail_contact.h"
#include "core/mail_held.h"
#include "util/jsonw.h"
#include "present/present.h"
#include "util/log.h"

#define JSON_CTYPE "application/json; charset=utf-8"

/* What the handler keeps across the write's suspension. */
typedef struct mail_state {
    const cat_tenant *tenant;
    mail_in msg;
    mail_in_result result;
} mail_state;

void gateway_write_error(http_req *rq, const error *err)
{
    api_write_json_error(rq, err);
}

static void fail(http_req *rq, err_code code, const char *arg, const char *detail)
{
    error e;
    error_set(&e, code, arg, "%s", detail);
    http_respond_error(rq, &e);
}

static void answer(http_req *rq)
{
    mail_state *st = rq->user;
    const mail_in_result *r = &st->result;
    jsonw w;
    jsonw_init(&w, &rq->out);
    jsonw_object_begin(&w, NULL);
    static const char *const outcomes[] = {"created", "threaded", "dropped", "held"};
    jsonw_string(&w, "outcome", outcomes[r->outcome]);
    if (r->outcome == MAIL_IN_CREATED)
        jsonw_string(&w, "reference", r->created.reference);
    else if (r->outcome == MAIL_IN_THREADED)
        jsonw_string(&w, "reference", r->reference);
    else
        jsonw_string(&w, "reason", r->reason);
    jsonw_int(&w, "files_refused", r->files_refused);
    jsonw_object_end(&w);
    if (jsonw_finish(&w) != 0) {
        fail(rq, ERR_INTERNAL, NULL, "response over the output limit");
        return;
    }
    http_respond(rq, r->outcome == MAIL_IN_CREATED ? 201 : 200, JSON_CTYPE);
}

static void written(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        /* No result is no outcome: never a success the MTA would drop the message on. */
        error none;
        error_set(&none, ERR_UNAVAILABLE, NULL, "the write did not report");
        http_respond_error(rq, w ? &w->err : &none);
        return;
    }
    answer(rq);
}

/* The tenant the URL names (?tenant=, else the Host); NULL without err when it names none. */
static const cat_tenant *tenant_of(http_req *rq, error *err)
{
    const char *slug = form_get(&rq->query, "tenant");
    if (slug) {
        const cat_tenant *t = catalogue_tenant_by_slug(rq->cat, slug);
        if (!t)
            error_set(err, ERR_NOT_FOUND, "tenant", "unknown tenant");
        return t;
    }
    return rq->host_tenant;
}

/* The tenant of a message whose URL names none (one gateway URL for several collectivités):
 * the key's, when the envelope recipient (?recipient=, the mailgate's --recipient) or one of
 * the message's recipients is one of its contact addresses. A key files mail into its own
 * collectivité only: recipients that are only other collectivités' are refused (403), and
 * none known is an unknown tenant (404), as a wrong ?tenant= is. */
static const cat_tenant *tenant_of_recipients(http_req *rq, const store_apikey *key,
                                              const mail_in *m, error *err)
{
    const char *addrs[MAIL_IN_MAX_TAGS + 1];
    size_t n = 0;
    const char *envelope = form_get(&rq->query, "recipient");
    if (envelope && *envelope)
        addrs[n++] = envelope;
    for (size_t i = 0; i < m->n_to; i++)
        addrs[n++] = m->to[i];
    int64_t id = 0;
    if (mail_contact_tenant(rq->core, addrs, n, key->tenant_id, &id, err) != 0)
        return NULL;
    if (!id) {
        error_set(err, ERR_NOT_FOUND, "tenant",
                  "no recipient of the message is a collectivité's contact address");
        return NULL;
    }
    if (id != key->tenant_id) {
        error_set(err, ERR_FORBIDDEN, "api_key",
                  "the message is for another collectivité than the key's");
        return NULL;
    }
    const cat_tenant *t = catalogue_tenant_by_id(rq->cat, id);
    if (!t)
        error_set(err, ERR_NOT_FOUND, "tenant", "unknown tenant");
    return t;
}

/* The opening of both gateways: the handler's state (zeroed, kept as rq->user), the
 * collectivité the URL names, the "gateway" key (of that collectivité; of any when the URL
 * names none and tenant_optional allows it, the mail then being filed by its recipients) and
 * the key's rate. Nothing is read from the body for a caller without a key. Returns the state,
 * or NULL once the refusal is answered. */
static void *gateway_open(http_req *rq, size_t state_size, int tenant_optional,
                          const cat_tenant **tenant, store_apikey *key)
{
    error err;
    error_clear(&err);
    void *st = arena_alloc(rq->arena, state_size);
    if (!st) {
        fail(rq, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    memset(st, 0, state_size);
    rq->user = st;
    const char *secret = NULL;
    const cat_tenant *t = tenant_of(rq, &err);
    if (!t && err.code == ERR_NONE && !tenant_optional)
        error_set(&err, ERR_NOT_FOUND, "tenant", "name the collectivité (host or ?tenant=)");
    if ((!t && err.code != ERR_NONE) || !(secret = http_bearer(rq, &err)) ||
        (t ? apikey_authenticate(rq->core, t->rec.id, secret, SCOPE_GATEWAY, rq->arena, key, &err)
           : apikey_identify(rq->core, secret, SCOPE_GATEWAY, rq->arena, key, &err)) != 0 ||
        http_ratelimit_key(rq, key->id, &err) != 0) {
        http_respond_error(rq, &err);
        return NULL;
    }
    *tenant = t;
    return st;
}

static void route_mail(http_req *rq)
{
    error err;
    error_clear(&err);
    store_apikey key;
    const cat_tenant *t = NULL;
    mail_state *st = gateway_open(rq, sizeof *st, 1, &t, &key);
    if (!st)
        return;
    st->tenant = t;
    const char *ct = http_header(rq, "Content-Type");
    if (!ct || strncasecmp(ct, "message/rfc822", 14) != 0 ||
        (ct[14] != '\0' && ct[14] != ';' && ct[14] != ' ')) {
        fail(rq, ERR_UNSUPPORTED, "Content-Type", "send the e-mail as message/rfc822");
        return;
    }
    if (!rq->body || rq->body_len == 0) {
        fail(rq, ERR_MISSING_ARG, "message", "the body holds no e-mail");
        return;
    }
    mail_in_config cfg = {.spam_header = mail_spam_header(rq->core)};
    if (mail_in_parse(rq->body, rq->body_len, &cfg, rq->arena, &st->msg, &err) != 0) {
        log_info("mail in: refused (%s: %s)", err_name(err.code), err.detail);
        http_respond_error(rq, &err);
        return;
    }
    if (!st->tenant && !(st->tenant = tenant_of_recipients(rq, &key, &st->msg, &err))) {
        log_info("mail in: no collectivité of the key among its recipients (%s)",
                 err_name(err.code));
        http_respond_error(rq, &err);
        return;
    }
    http_wait *w = http_wait_begin(rq, written);
    int rc = mail_in_route(rq->core, st->tenant, &st->msg, http_base_url(rq, st->tenant), rq->arena,
                           &st->result, http_wait_done, w, &err);
    if (rc == 1) /* nothing to write: answer at once */
        http_wait_done(w, 0, NULL);
    else
        http_wait_started(w, rc, &err);
}

/* ---- POST /passerelle/courrier: one scan for the post room ---- */

#define SCAN_NAME_MAX 200 /* bytes of ?nom= */

typedef struct courrier_state {
    int64_t id;
    store_attachment file;
} courrier_state;

static void courrier_written(http_req *rq)
{
    courrier_state *st = rq->user;
    const http_wait *w = http_wait_result(rq);
    if (!w || w->rc != 0) {
        /* No result is no letter: the import must keep the file, not move it to traites/. */
        error none;
        error_set(&none, ERR_UNAVAILABLE, NULL, "the write did not report");
        attachment_discard(core_uploads(rq->core), &st->file);
        http_respond_error(rq, w ? &w->err : &none);
        return;
    }
    jsonw jw;
    jsonw_init(&jw, &rq->out);
    jsonw_object_begin(&jw, NULL);
    jsonw_string(&jw, "outcome", "queued");
    jsonw_int(&jw, "id", st->id);
    jsonw_object_end(&jw);
    if (jsonw_finish(&jw) != 0) {
        fail(rq, ERR_INTERNAL, NULL, "response over the output limit");
        return;
    }
    http_respond(rq, 201, JSON_CTYPE);
}

/* Why a file was refused, in French, for the scanner's folder (NAME.motif.txt). */
static const char *refusal_motif(http_req *rq, const error *err)
{
    const char *key = attachment_is_too_large(err)  ? "courrier.refused_too_large"
                      : attachment_is_damaged(err)  ? "courrier.refused_damaged"
                      : attachment_is_infected(err) ? "courrier.refused_infected"
                                                    : "courrier.refused_type";
    return present_string(rq->present, LANG_FR, key);
}

static void route_courrier(http_req *rq)
{
    error err;
    error_clear(&err);
    store_apikey key;
    const cat_tenant *t = NULL;
    courrier_state *st = gateway_open(rq, sizeof *st, 0, &t, &key);
    if (!st)
        return;
    const char *name = form_get(&rq->query, "nom");
    if (name && strlen(name) > SCAN_NAME_MAX) {
        fail(rq, ERR_INVALID_ARG, "nom", "the file name is over 200 bytes");
        return;
    }
    if (!rq->body || rq->body_len == 0) {
        fail(rq, ERR_MISSING_ARG, "file", "the body holds no file");
        return;
    }
    attachment_upload up = {"file", name, rq->body, rq->body_len};
    if (courrier_prepare(rq->core, &up, rq->arena, &st->file, &err) != 0) {
        log_info("courrier in: refused (%s: %s)", err_name(err.code), err.detail);
        api_write_json_error_motif(rq, &err,
                                   err.code == ERR_INVALID_ARG ? refusal_motif(rq, &err) : NULL);
        return;
    }
    core_actor who = {.kind = ACTOR_GATEWAY,
                      .id = key.id,
                      .name = key.name,
                      .source = http_audit_source(rq, "api")};
    http_wait *w = http_wait_begin(rq, courrier_written);
    int rc = courrier_queue(rq->core, t, &who, &st->file, 1, &st->id, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route gateway_routes[] = {
    {HTTP_POST | HTTP_ROUTE_LARGE, "/passerelle/mail", route_mail},
    {HTTP_POST | HTTP_ROUTE_LARGE, "/passerelle/courrier", route_courrier},
    {0, NULL, NULL},
};

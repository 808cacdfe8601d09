/*
 * mail_fallback — another channel or a letter when e-mail cannot reach the citizen, and the
 * agent's «Courrier envoyé» that ends the letter's wait.
 */
#include "core/mail_fallback.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/audit.h"
#include "core/core_op.h"
#include "core/outbox.h"
#include "core/perm.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Whether the collectivité can send SMS, read in the write job: its gateway is set. */
static int sms_ready(store *s, int64_t tenant_id)
{
    arena a;
    arena_init(&a, 4096);
    store_sms_gateway g;
    int found = 0;
    error err;
    if (s->ops->sms.gateway(s, tenant_id, &a, &g, &found, &err) != 0) {
        log_warn("mail fallback: cannot read the SMS gateway: %s", err.detail);
        found = 0; /* a letter then: never lose the notice */
    }
    int ready = found && g.sendsms_url && *g.sendsms_url;
    arena_free(&a);
    return ready;
}

mail_fallback mail_fallback_decide(const char *channel, const char *recipient,
                                   const char *request_email, const char *request_phone,
                                   int sms_ready)
{
    if (!channel || strcmp(channel, "email") != 0 || !recipient || !request_email ||
        strcasecmp(recipient, request_email) != 0)
        return MAIL_FALLBACK_NONE;
    if (sms_ready && request_phone && *request_phone)
        return MAIL_FALLBACK_SMS;
    return MAIL_FALLBACK_LETTER;
}

static int letter_tx(store *s, const store_outbox *m, int64_t now, error *err)
{
    if (s->ops->mail.tx_set_letter_due(s, m->tenant_id, m->request_id, 1, err) != 0)
        return -1;
    store_event e = {.tenant_id = m->tenant_id,
                     .request_id = m->request_id,
                     .created_at = now,
                     .kind = MAIL_FALLBACK_LETTER_EVENT,
                     .is_public = 0,
                     .actor = "system",
                     .channel = m->channel,
                     .body = NULL};
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

int mail_fallback_tx(store *s, const store_outbox *m, int64_t now, error *err)
{
    if (!m->request_id)
        return 0;
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0, rc = 0;
    json_t *params = NULL;
    if (s->ops->requests.get_by_id(s, m->tenant_id, m->request_id, &a, &r, &found, err) != 0) {
        rc = -1;
        goto cleanup;
    }
    if (!found)
        goto cleanup;
    mail_fallback d = mail_fallback_decide(m->channel, m->recipient, r.email, r.phone,
                                           sms_ready(s, m->tenant_id));
    /* A message sent, then bounced, has had its params cleared: its SMS could not say what
     * it was about. */
    if (d == MAIL_FALLBACK_SMS && !m->params)
        d = MAIL_FALLBACK_LETTER;
    if (d == MAIL_FALLBACK_SMS) {
        /* The same notice: the SMS dispatcher renders its own text of the template. */
        params = json_loads(m->params, 0, NULL);
        error serr;
        error_clear(&serr);
        if (params && outbox_add_tx(s, m->tenant_id, "sms", r.phone, m->template, params, m->lang,
                                    m->request_id, &serr) == 0)
            goto cleanup;
        /* A number the SMS channel cannot take (refused before anything was written): the
         * letter, then. Anything else fails the job. */
        if (params && serr.code != ERR_INVALID_ARG) {
            *err = serr;
            rc = -1;
            goto cleanup;
        }
        d = MAIL_FALLBACK_LETTER;
    }
    if (d == MAIL_FALLBACK_LETTER)
        rc = letter_tx(s, m, now, err);
cleanup:
    json_decref(params);
    arena_free(&a);
    return rc;
}

int mail_fallback_letter_due(core *c, int64_t tenant_id, int64_t request_id, int *on, error *err)
{
    return core_store(c)->ops->mail.letter_due(core_store(c), tenant_id, request_id, on, err);
}

typedef struct sent_job {
    core_op op; /* first: the write job (core/core_op.h) */
    int64_t tenant_id, request_id;
    core_actor who;
    store_agent agent; /* a copy; its strings stay the caller's (valid until the outcome) */
} sent_job;

static int apply_sent(store *s, core_op *op, error *err)
{
    sent_job *j = (sent_job *)op;
    store_request r;
    int found = 0, on = 0;
    if (s->ops->requests.get_by_id(s, j->tenant_id, j->request_id, &j->op.a, &r, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "request", "request not found");
    if (j->who.agent && !perm_can_change(j->who.agent, &r))
        return error_set(err, ERR_FORBIDDEN, NULL, "this agent may not change the request");
    if (s->ops->mail.letter_due(s, j->tenant_id, j->request_id, &on, err) != 0)
        return -1;
    if (!on)
        return error_set(err, ERR_CONFLICT, "letter", "no letter is due for this request");
    int64_t now = time_now();
    store_event e = {.tenant_id = j->tenant_id,
                     .request_id = j->request_id,
                     .created_at = now,
                     .kind = MAIL_FALLBACK_LETTER_SENT_EVENT,
                     .is_public = 0,
                     .actor = actor_event_label(&j->who, &j->op.a),
                     .channel = "post"};
    if (s->ops->mail.tx_set_letter_due(s, j->tenant_id, j->request_id, 0, err) != 0 ||
        s->ops->events.tx_insert(s, &e, NULL, err) != 0)
        return -1;
    return audit_change_tx(s, j->tenant_id, &j->who, "letter_sent", "request", &j->request_id, 1,
                           err);
}

int mail_fallback_letter_sent_as(core *c, const core_actor *who, int64_t tenant_id,
                                 int64_t request_id, core_done_fn cb, void *ctx, error *err)
{
    if (who->kind != ACTOR_AGENT || !who->agent)
        return error_set(err, ERR_FORBIDDEN, NULL, "only an agent records a letter sent");
    sent_job *j = core_op_new(sizeof *j, apply_sent);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->tenant_id = tenant_id;
    j->request_id = request_id;
    /* The actor copied: the caller's frame may be gone when the job runs (the agent's
     * strings stay the caller's, valid until the outcome). */
    j->agent = *who->agent;
    j->who = *who;
    j->who.agent = &j->agent;
    j->who.name = who->name ? arena_strdup(&j->op.a, who->name) : NULL;
    j->who.source = who->source ? arena_strdup(&j->op.a, who->source) : NULL;
    return core_op_submit(c, j, cb, ctx, err);
}

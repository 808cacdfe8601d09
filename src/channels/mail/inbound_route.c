/*
 * inbound_route — what an incoming e-mail becomes (see inbound.h): dropped with its reason,
 * a message threaded into its request, or a new request. Threading trusts only what the
 * sender could not guess: the Reply-To token (MAC'd by the instance secret) and the ids of
 * messages we sent; a reference in the subject is guessable, so it threads only when the
 * sender is that request's contact, and otherwise is kept on a new request for an agent.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "channels/mail/inbound.h"
#include "core/attachment.h"
#include "core/mail_contact.h"
#include "core/mail_held.h"
#include "core/outbox.h"
#include "core/reply_token.h"
#include "util/log.h"

/* Files kept with the portal's checks; a file refused is counted, not fatal, except the
 * antivirus or the disk being unavailable (the whole mail is retried later). */
static int prepare_files(core *c, const mail_in *m, arena *a, store_attachment *files, size_t *n,
                         int *refused, error *err)
{
    *n = 0;
    *refused = (int)m->n_files_left_out;
    for (size_t i = 0; i < m->n_files; i++) {
        attachment_upload up = {.field = "file",
                                .filename = m->files[i].filename,
                                .data = m->files[i].data,
                                .len = m->files[i].len};
        error e;
        error_clear(&e);
        if (attachment_prepare(core_uploads(c), &up, a, &files[*n], &e) == 0) {
            (*n)++;
            continue;
        }
        if (e.code == ERR_UNAVAILABLE || e.code == ERR_INTERNAL) {
            *err = e;
            return -1;
        }
        (*refused)++;
    }
    return 0;
}

/* The first word of the subject that is a reference of one of t's requests whose contact
 * is from_addr: 1 and *r; 0 when none. *cited gets the first reference found whatever its
 * contact (NULL when none). */
static int subject_reference(core *c, const cat_tenant *t, const mail_in *m, arena *a,
                             store_request *r, const char **cited, error *err)
{
    *cited = NULL;
    const char *s = m->subject;
    while (*s) {
        while (*s && !isalnum((unsigned char)*s))
            s++;
        size_t k = 0;
        int digits = 0, dash = 0;
        while (s[k] && (isalnum((unsigned char)s[k]) || s[k] == '-')) {
            digits += isdigit((unsigned char)s[k]) != 0;
            dash += s[k] == '-';
            k++;
        }
        if (k == 0)
            break;
        /* Only words shaped like a reference (digits and a dash) are looked up. */
        if (digits >= 4 && dash && k <= REQUEST_REFERENCE_MAX) {
            char word[REQUEST_REFERENCE_MAX + 1];
            memcpy(word, s, k);
            word[k] = '\0';
            if (request_reference_ok(word)) {
                error e;
                error_clear(&e);
                if (request_get(c, t, word, a, r, &e) == 0) {
                    if (!*cited)
                        *cited = arena_strdup(a, r->reference);
                    if (r->email && strcasecmp(r->email, m->from_addr) == 0)
                        return 1;
                } else if (e.code != ERR_NOT_FOUND) {
                    *err = e;
                    return -1;
                }
            }
        }
        s += k;
    }
    return 0;
}

/* Our message of id "<local>@domain" (OUTBOX_MESSAGE_ID_LEN hex before the @), when it is
 * t's: 1 and *ref; 0 when the id is not one of ours or of another collectivité. */
static int our_message(core *c, const cat_tenant *t, const char *id, outbox_message_ref *ref,
                       error *err)
{
    const char *at = id ? strchr(id, '@') : NULL;
    char local[OUTBOX_MESSAGE_ID_LEN + 1];
    if (!at || (size_t)(at - id) != OUTBOX_MESSAGE_ID_LEN)
        return 0;
    memcpy(local, id, OUTBOX_MESSAGE_ID_LEN);
    local[OUTBOX_MESSAGE_ID_LEN] = '\0';
    if (!outbox_message_id_ok(local))
        return 0;
    error e;
    error_clear(&e);
    if (outbox_find_message(c, local, ref, &e) != 0) {
        if (e.code == ERR_NOT_FOUND)
            return 0;
        *err = e;
        return -1;
    }
    return ref->tenant_id == t->rec.id;
}

/* The caller's callback of a bounce's write, and the mapping of its outcome. */
typedef struct bounce_done {
    core_done_fn cb;
    void *ctx;
} bounce_done;

/* A message found but gone by the write (retention deleted it meanwhile) is nothing to
 * record: the bounce is handled all the same. */
static int bounce_outcome(int rc, const error *err)
{
    return rc != 0 && err && err->code == ERR_NOT_FOUND ? 0 : rc;
}

static void bounce_recorded(void *arg, int rc, const error *err)
{
    bounce_done *b = arg;
    int out = bounce_outcome(rc, err);
    b->cb(b->ctx, out, out == 0 ? NULL : err);
}

/* A bounce: the delivery state of the message it returns, when it is one of t's. Never an
 * answer to anyone. 1 when it returns none of ours (nothing written); 0 when the write is
 * done (cb NULL) or queued (cb told, through a relay in a); -1 when the store could not be
 * reached (retried). */
static int record_bounce(core *c, const cat_tenant *t, const mail_in *m, arena *a, core_done_fn cb,
                         void *ctx, error *err)
{
    outbox_message_ref ref;
    int ours = our_message(c, t, m->bounce_of, &ref, err);
    if (ours < 0)
        return -1;
    if (!ours) {
        log_info("mail in: bounce of no message of ours dropped (tenant %s)", t->rec.slug);
        return 1;
    }
    char local[OUTBOX_MESSAGE_ID_LEN + 1];
    snprintf(local, sizeof local, "%.*s", OUTBOX_MESSAGE_ID_LEN, m->bounce_of);
    log_info("mail in: bounce of outbox message %lld recorded (tenant %s)", (long long)ref.id,
             t->rec.slug);
    if (!cb) {
        error e;
        error_clear(&e);
        int rc = bounce_outcome(
            outbox_delivery(c, local, "bounced", m->bounce_reason, NULL, NULL, &e), &e);
        if (rc != 0)
            *err = e;
        return rc;
    }
    bounce_done *b = arena_alloc(a, sizeof *b);
    if (!b)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    b->cb = cb;
    b->ctx = ctx;
    return outbox_delivery(c, local, "bounced", m->bounce_reason, bounce_recorded, b, err);
}

/* The request the mail answers by what the sender could not guess: the Reply-To token of
 * one of its recipients, then our Message-IDs in In-Reply-To and References. 1 and *r, 0
 * when none, -1 on a store error. */
static int threaded_request(core *c, const cat_tenant *t, const mail_in *m, arena *a,
                            store_request *r, const char **how, error *err)
{
    for (size_t i = 0; i < m->n_tags; i++) {
        char ref[REPLY_TOKEN_MAX];
        if (reply_token_check(c, t->rec.id, m->tags[i], ref, sizeof ref) != 0)
            continue;
        error e;
        error_clear(&e);
        if (request_get(c, t, ref, a, r, &e) == 0) {
            *how = "reply token";
            return 1;
        }
        if (e.code != ERR_NOT_FOUND) {
            *err = e;
            return -1;
        }
    }
    for (size_t i = 0; i < m->n_refs; i++) {
        outbox_message_ref ref;
        int ours = our_message(c, t, m->refs[i], &ref, err);
        if (ours < 0)
            return -1;
        if (!ours || ref.request_id == 0)
            continue;
        error e;
        error_clear(&e);
        if (request_get_by_id(c, t, ref.request_id, a, r, &e) == 0) {
            *how = "In-Reply-To";
            return 1;
        }
        if (e.code != ERR_NOT_FOUND) {
            *err = e;
            return -1;
        }
    }
    return 0;
}

/* "Prénom Nom" split at the first space; a single word is the last name. */
static void split_name(const char *name, arena *a, const char **first, const char **last)
{
    *first = *last = NULL;
    while (*name == ' ' || *name == '"')
        name++;
    if (!*name)
        return;
    const char *sp = strchr(name, ' ');
    if (sp && sp[1]) {
        *first = arena_strndup(a, name, (size_t)(sp - name));
        *last = arena_strdup(a, sp + 1);
    } else {
        *last = arena_strdup(a, name);
    }
}

static const char *drop_reason(mail_in_kind k)
{
    switch (k) {
    case MAIL_IN_BOUNCE:
        return "bounce";
    case MAIL_IN_AUTOREPLY:
        return "autoreply";
    default:
        return "empty";
    }
}

int mail_in_route(core *c, const cat_tenant *t, const mail_in *m, const char *base_url, arena *a,
                  mail_in_result *out, core_done_fn cb, void *ctx, error *err)
{
    memset(out, 0, sizeof *out);
    if (m->kind == MAIL_IN_BOUNCE) {
        /* Answered once its delivery state is durable, like every other write. */
        out->outcome = MAIL_IN_DROPPED;
        out->reason = drop_reason(m->kind);
        return record_bounce(c, t, m, a, cb, ctx, err);
    }
    if (m->kind == MAIL_IN_SPAM) {
        out->outcome = MAIL_IN_HELD;
        out->reason = "spam";
        log_info("mail in: spam held for an administrator (tenant %s)", t->rec.slug);
        return mail_held_add(c, t->rec.id, m->from_addr, m->subject, m->raw, m->raw_len, cb, ctx,
                             err);
    }
    if (m->kind != MAIL_IN_MESSAGE) {
        out->outcome = MAIL_IN_DROPPED;
        out->reason = drop_reason(m->kind);
        log_info("mail in: %s dropped (tenant %s)", out->reason, t->rec.slug);
        return 1;
    }
    if (!*m->text && m->n_files == 0 && !*m->subject) {
        out->outcome = MAIL_IN_DROPPED;
        out->reason = "empty";
        log_info("mail in: empty message dropped (tenant %s)", t->rec.slug);
        return 1;
    }
    store_attachment files[MAIL_IN_MAX_FILES];
    size_t n_files = 0;
    if (prepare_files(c, m, a, files, &n_files, &out->files_refused, err) != 0)
        return -1;
    store_request r;
    const char *cited = NULL, *how = NULL;
    int found = threaded_request(c, t, m, a, &r, &how, err);
    if (found == 0) {
        found = subject_reference(c, t, m, a, &r, &cited, err);
        how = "subject, sender is the contact";
    }
    if (found < 0)
        return -1;
    if (found) {
        out->outcome = MAIL_IN_THREADED;
        snprintf(out->reference, sizeof out->reference, "%s", r.reference);
        /* A message of files alone still needs words on the timeline. */
        const char *body = *m->text ? m->text : (*m->subject ? m->subject : "(pièces jointes)");
        log_info("mail in: threaded into %s (%s)", r.reference, how);
        return request_citizen_mail(c, t, r.reference, body, m->folded, files, n_files, cb, ctx,
                                    err);
    }
    const cat_procedure *p = mail_contact_procedure(c, t, m->to, m->n_to);
    if (!p)
        p = catalogue_procedure(t, MAIL_IN_PROCEDURE);
    if (!p || !p->rec.active)
        return error_set(err, ERR_CONFLICT, "procedure",
                         "the collectivité has no active procedure %s for e-mail",
                         MAIL_IN_PROCEDURE);
    const char *description = m->text;
    if (*m->subject)
        description = *m->text ? arena_printf(a, "%s\n\n%s", m->subject, m->text) : m->subject;
    if (!description)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    request_input in = {.tenant = t,
                        .procedure = p,
                        .ch = CHANNEL_EMAIL,
                        .description = description,
                        .ignore_unknown_attrs = 1,
                        .email = m->from_addr,
                        .notify = "email",
                        .attachments = files,
                        .n_attachments = n_files,
                        .ack_base_url = base_url,
                        .mail_history = m->folded,
                        .mail_cites = cited};
    split_name(m->from_name, a, &in.first_name, &in.last_name);
    out->outcome = MAIL_IN_CREATED;
    log_info("mail in: new request (tenant %s%s)", t->rec.slug,
             cited ? ", cites a request of another contact" : "");
    return request_create(c, &in, &out->created, cb, ctx, err);
}

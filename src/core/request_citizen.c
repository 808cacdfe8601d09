/*
 * request_citizen — what a citizen does on their own request (a message with files, a rating,
 * reopening a resolved incident, «moi aussi») and the rules of which requests and events are
 * theirs. The writes are change jobs (request_change.c applies them) or, for «moi aussi», a
 * job of its own.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/attachment.h"
#include "core/core_internal.h"
#include "core/request_internal.h"
#include "store/store.h"
#include "util/timeutil.h"

int request_event_by_citizen(const store_event *e)
{
    return actor_label_is_citizen(e->actor);
}

int request_owned_by(const store_request *r, const store_account *acc)
{
    if (r->citizen_id != 0 && r->citizen_id == acc->id)
        return 1;
    return acc->email_verified_at != 0 && acc->email && r->email &&
           strcasecmp(acc->email, r->email) == 0;
}

void request_filter_owned_by(store_request_filter *f, const store_account *acc)
{
    f->citizen_id = acc->id;
    /* Requests filed by e-mail or at the counter carry the address, not the account: only a
     * verified address proves they are this citizen's. */
    f->citizen_email = acc->email_verified_at ? acc->email : NULL;
}

/* The citizen acting on their request: who, or an anonymous citizen when NULL; NULL for any
 * other kind of actor (the caller refuses). */
static const core_actor *citizen_of(const core_actor *who)
{
    if (!who)
        return &actor_citizen;
    return who->kind == ACTOR_CITIZEN ? who : NULL;
}

/* A message's job failed: the files linked for a survivor's copy have no row. */
static void message_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    change_job *j = (change_job *)op;
    if (*rc != 0)
        request_linked_discard(j->uploads, &j->linked);
}

/* A message job of kind (CHANGE_MESSAGE, CHANGE_ANSWER) for the citizen, checked and
 * submitted; tracking_url (may be NULL) is the link the actions of a status entered send. */
static int message_submit(core *c, const cat_tenant *t, const char *reference,
                          const core_actor *who, change_kind kind, const char *body,
                          const char *folded, store_attachment *attachments, size_t n,
                          const char *tracking_url, channel ch, core_done_fn cb, void *ctx,
                          error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's message");
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "message", "the message is empty");
    if (request_check_text(body, "message", 10000, 1, err) != 0)
        return -1;
    if (n > ATTACHMENT_MAX_FILES)
        return error_set(err, ERR_INVALID_ARG, "files", "at most %d files", ATTACHMENT_MAX_FILES);
    change_job *j = request_change_new(c, t, reference, citizen_of(who), ch, err);
    if (!j)
        return -1;
    j->kind = kind;
    j->uploads = core_uploads(c);
    j->op.finish = message_finish;
    j->body = arena_strdup(&j->op.a, body);
    j->folded = request_dup_opt(&j->op.a, folded);
    j->env.tracking_url = request_dup_opt(&j->op.a, tracking_url);
    if (n) {
        j->attachments = arena_alloc(&j->op.a, sizeof *j->attachments * n);
        if (!j->attachments) {
            core_op_free(j);
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            request_copy_attachment(&j->op.a, &j->attachments[i], &attachments[i]);
        j->n_attachments = n;
    }
    if (!j->body || (tracking_url && *tracking_url && !j->env.tracking_url) ||
        (folded && *folded && !j->folded)) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

int request_citizen_message(core *c, const cat_tenant *t, const char *reference,
                            const core_actor *who, const char *body, store_attachment *attachments,
                            size_t n, channel ch, core_done_fn cb, void *ctx, error *err)
{
    return message_submit(c, t, reference, who, CHANGE_MESSAGE, body, NULL, attachments, n, NULL,
                          ch, cb, ctx, err);
}

int request_citizen_mail(core *c, const cat_tenant *t, const char *reference, const char *body,
                         const char *folded, store_attachment *attachments, size_t n,
                         core_done_fn cb, void *ctx, error *err)
{
    if (folded && request_check_text(folded, "message", REQUEST_DESCRIPTION_MAX, 1, err) != 0)
        return -1;
    return message_submit(c, t, reference, NULL, CHANGE_MESSAGE, body, folded, attachments, n, NULL,
                          CHANNEL_EMAIL, cb, ctx, err);
}

int request_citizen_answer(core *c, const cat_tenant *t, const char *reference,
                           const core_actor *who, const char *body, store_attachment *attachments,
                           size_t n, const char *tracking_url, channel ch, core_done_fn cb,
                           void *ctx, error *err)
{
    return message_submit(c, t, reference, who, CHANGE_ANSWER, body, NULL, attachments, n,
                          tracking_url, ch, cb, ctx, err);
}

int request_rate(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                 int rating, const char *comment, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's rating");
    if (rating < 1 || rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating from 1 to 5");
    if (request_check_text(comment, "comment", 2000, 1, err) != 0)
        return -1;
    change_job *j = request_change_new(c, t, reference, citizen_of(who), CHANNEL_WEB, err);
    if (!j)
        return -1;
    j->kind = CHANGE_RATE;
    j->rating = rating;
    j->body = request_dup_opt(&j->op.a, comment);
    return core_op_submit(c, j, cb, ctx, err);
}

int request_set_news(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                     const char *notify, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's choice of news");
    if (!notify ||
        (strcmp(notify, "email") != 0 && strcmp(notify, "sms") != 0 && strcmp(notify, "none") != 0))
        return error_set(err, ERR_INVALID_ARG, "notify", "news by email, sms or none");
    change_job *j = request_change_new(c, t, reference, citizen_of(who), CHANNEL_WEB, err);
    if (!j)
        return -1;
    j->kind = CHANGE_NEWS;
    /* Static spellings: the caller's string may be gone before the writer runs the job. */
    if (strcmp(notify, "email") == 0)
        j->body = "email";
    else if (strcmp(notify, "sms") == 0)
        j->body = "sms";
    else
        j->body = "none";
    return core_op_submit(c, j, cb, ctx, err);
}

int request_reopen(core *c, const cat_tenant *t, const char *reference, const core_actor *who,
                   const char *body, core_done_fn cb, void *ctx, error *err)
{
    if (!citizen_of(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "a citizen's reopening");
    if (!body || !*body)
        return error_set(err, ERR_MISSING_ARG, "message", "say in a few words what is still wrong");
    if (request_check_text(body, "message", 10000, 1, err) != 0)
        return -1;
    change_job *j = request_change_new(c, t, reference, citizen_of(who), CHANNEL_WEB, err);
    if (!j)
        return -1;
    j->kind = CHANGE_REOPEN;
    j->body = arena_strdup(&j->op.a, body);
    if (!j->body) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* A «moi aussi» write. It owns copies of the reference and the keys: in the callback form
 * the caller's strings may be gone before the writer runs it. */
typedef struct support_job {
    core_op op; /* first: the write job and its arena (core/core_op.h) */
    int64_t tenant_id;
    const char *reference;
    const char *keys[REQUEST_SUPPORT_MAX_KEYS];
    size_t n_keys;
    int added;
    int *added_out; /* the caller's, filled before cb */
} support_job;

static int support_apply(store *s, core_op *op, error *err)
{
    support_job *sa = (support_job *)op;
    arena a;
    arena_init(&a, 0);
    store_request r;
    int found = 0, rc = -1;
    if (s->ops->requests.tx_get(s, sa->tenant_id, sa->reference, &a, &r, &found, err) != 0)
        goto cleanup;
    if (!found || !r.is_public) {
        error_set(err, ERR_NOT_FOUND, "reference", "no such public request");
        goto cleanup;
    }
    /* A merged duplicate's supporters support the request its matter goes on in (its own
     * page offers no «moi aussi» any more: it is closed). */
    rc = s->ops->requests.tx_support(s, sa->tenant_id, r.merged_into ? r.merged_into : r.id,
                                     sa->keys, sa->n_keys, time_now(), &sa->added, err);
cleanup:
    arena_free(&a);
    return rc;
}

static void support_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    support_job *j = (support_job *)op;
    if (*rc == 0 && j->added_out)
        *j->added_out = j->added;
}

int request_support(core *c, const cat_tenant *t, const char *reference, const char *const *keys,
                    size_t n_keys, int *added, core_done_fn cb, void *ctx, error *err)
{
    if (!keys || n_keys == 0 || n_keys > REQUEST_SUPPORT_MAX_KEYS)
        return error_set(err, ERR_INVALID_ARG, "supporter", "no supporter key");
    for (size_t i = 0; i < n_keys; i++)
        if (!keys[i] || !*keys[i] || strlen(keys[i]) > 128)
            return error_set(err, ERR_INVALID_ARG, "supporter", "no supporter key");
    support_job *j = core_op_new(sizeof *j, support_apply);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    j->op.finish = support_finish;
    j->tenant_id = t->rec.id;
    j->reference = arena_strdup(&j->op.a, reference);
    int ok = j->reference != NULL;
    for (size_t i = 0; ok && i < n_keys; i++)
        ok = (j->keys[i] = arena_strdup(&j->op.a, keys[i])) != NULL;
    if (!ok) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    j->n_keys = n_keys;
    j->added_out = added;
    return core_op_submit(c, j, cb, ctx, err);
}

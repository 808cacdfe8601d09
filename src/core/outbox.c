/*
 * outbox — queues messages to citizens as rows of the store, checked before they are written
 * so that the dispatcher only ever meets well-formed recipients and template names.
 */
#include "core/outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/mail_fallback.h"
#include "store/store.h"
#include "util/phone.h"
#include "util/timeutil.h"

#define OUTBOX_EMAIL_MAX 254 /* RFC 5321 path limit */
#define OUTBOX_LOCAL_MAX 64
#define OUTBOX_TEMPLATE_MAX 64
#define OUTBOX_PARAMS_MAX (64 * 1024)

/* Characters allowed in the local part of an unquoted address (RFC 5322 atext and dots).
 * Quoted local parts and internationalised addresses are refused: relays and mailboxes
 * handle them unevenly, and a citizen can always give another address. */
static int local_char_ok(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", ch) != NULL;
}

/* A host name made of LDH labels with at least one dot; no leading, trailing or double dot,
 * no label starting or ending with a hyphen. */
static int domain_ok(const char *d)
{
    size_t label = 0, dots = 0;
    char prev = '.';
    for (const char *p = d; *p; p++) {
        char ch = *p;
        if (ch == '.') {
            if (prev == '.' || prev == '-')
                return 0;
            dots++;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '-') {
            if (ch == '-' && prev == '.')
                return 0;
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
        prev = ch;
    }
    return dots > 0 && prev != '.' && prev != '-';
}

int outbox_email_ok(const char *addr)
{
    size_t len = strlen(addr);
    const char *at = strchr(addr, '@');
    if (len > OUTBOX_EMAIL_MAX || !at || at == addr || strchr(at + 1, '@'))
        return 0;
    size_t local = (size_t)(at - addr);
    if (local > OUTBOX_LOCAL_MAX || addr[0] == '.' || at[-1] == '.')
        return 0;
    for (size_t i = 0; i < local; i++) {
        if (!local_char_ok((unsigned char)addr[i]))
            return 0;
        if (addr[i] == '.' && addr[i + 1] == '.')
            return 0;
    }
    return domain_ok(at + 1);
}

/* E.164: an optional "+" and 3 to 15 digits (short numbers of operators included). */
static int phone_ok(const char *num)
{
    const char *p = num[0] == '+' ? num + 1 : num;
    size_t n = 0;
    for (; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return 0;
    return n >= 3 && n <= 15;
}

const char *outbox_citizen_channel(const char *notify, const char *email, const char *phone,
                                   const char **recipient)
{
    *recipient = NULL;
    /* A number kept as typed (one the migration to E.164 could not read) takes no SMS: the
     * notice goes by e-mail when there is an address, else nowhere, and the change that
     * causes it is not refused for it. */
    if (notify && strcmp(notify, "sms") == 0 && phone_is_e164(phone)) {
        *recipient = phone;
        return "sms";
    }
    if ((!notify || strcmp(notify, "email") == 0 || strcmp(notify, "sms") == 0) && email &&
        *email) {
        *recipient = email;
        return "email";
    }
    return NULL;
}

/* A SHA-256 as documents store it: 64 lowercase hex digits. */
static int sha256_hex_ok(const char *h)
{
    size_t n = 0;
    for (; h && h[n]; n++)
        if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
            return 0;
    return n == 64;
}

static int template_ok(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return 0;
    return n > 0 && n <= OUTBOX_TEMPLATE_MAX;
}

/* Checks the arguments shared by both entry points; fills *lang_out with "fr" or "en". */
static int check_args(const char *channel, const char *recipient, const char *template_name,
                      json_t *params, const char *lang_code, const char **lang_out, error *err)
{
    if (!channel || (strcmp(channel, "email") != 0 && strcmp(channel, "sms") != 0))
        return error_set(err, ERR_INVALID_ARG, "channel", "outbox channel must be email or sms");
    if (!recipient || !*recipient)
        return error_set(err, ERR_MISSING_ARG, "recipient", "a message needs a recipient");
    if (strcmp(channel, "email") == 0 ? !outbox_email_ok(recipient) : !phone_ok(recipient))
        return error_set(err, ERR_INVALID_ARG, "recipient", "recipient is not a valid %s",
                         strcmp(channel, "email") == 0 ? "e-mail address" : "phone number");
    if (!template_name || !template_ok(template_name))
        return error_set(err, ERR_INVALID_ARG, "template", "template name must match [a-z_]+");
    if (params && !json_is_object(params))
        return error_set(err, ERR_INVALID_ARG, "params", "template params must be an object");
    if (!lang_code || !*lang_code || strcmp(lang_code, "fr") == 0)
        *lang_out = "fr";
    else if (strcmp(lang_code, "en") == 0)
        *lang_out = "en";
    else
        return error_set(err, ERR_INVALID_ARG, "lang", "language must be fr or en");
    return 0;
}

static int insert_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                     const char *template_name, json_t *params, const char *lang_code,
                     int64_t request_id, int64_t broadcast_id, const outbox_document_ref *doc,
                     error *err)
{
    const char *lang_name = NULL;
    if (check_args(channel, recipient, template_name, params, lang_code, &lang_name, err) != 0)
        return -1;
    char *text = params ? json_dumps(params, JSON_COMPACT) : strdup("{}");
    if (!text)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory serialising outbox params");
    if (strlen(text) > OUTBOX_PARAMS_MAX) {
        free(text);
        return error_set(err, ERR_TOO_LARGE, "params", "outbox params over %d bytes",
                         OUTBOX_PARAMS_MAX);
    }
    int64_t now = time_now();
    unsigned char raw[OUTBOX_MESSAGE_ID_LEN / 2];
    char message_id[OUTBOX_MESSAGE_ID_LEN + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(message_id, sizeof message_id, raw, sizeof raw);
    store_outbox m = {
        .tenant_id = tenant_id,
        .channel = channel,
        .recipient = recipient,
        .template = template_name,
        .params = text,
        .lang = lang_name,
        .request_id = request_id,
        .created_at = now,
        .next_attempt_at = now,
        .message_id = message_id,
        .priority = broadcast_id ? 1 : 0,
        .broadcast_id = broadcast_id,
    };
    /* Only an e-mail carries a document: an SMS keeps its tracking link. */
    if (doc && strcmp(channel, "email") == 0) {
        if (doc->id && !sha256_hex_ok(doc->sha256)) {
            free(text);
            return error_set(err, ERR_INVALID_ARG, "document", "the document's hash is not valid");
        }
        m.document_id = doc->id;
        m.document_sha256 = doc->id ? doc->sha256 : NULL;
        if (!doc->id && doc->hold_until > now)
            m.next_attempt_at = doc->hold_until;
    }
    int64_t id = 0;
    int rc = s->ops->outbox.tx_insert(s, &m, &id, err);
    free(text);
    return rc;
}

int outbox_add_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                  const char *template_name, json_t *params, const char *lang_code,
                  int64_t request_id, error *err)
{
    return insert_tx(s, tenant_id, channel, recipient, template_name, params, lang_code, request_id,
                     0, NULL, err);
}

int outbox_add_document_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                           const char *template_name, json_t *params, const char *lang_code,
                           int64_t request_id, const outbox_document_ref *doc, error *err)
{
    return insert_tx(s, tenant_id, channel, recipient, template_name, params, lang_code, request_id,
                     0, doc, err);
}

int outbox_attach_document_tx(store *s, int64_t tenant_id, int64_t request_id,
                              const char *template_name, int64_t document_id, const char *sha256,
                              size_t *n, error *err)
{
    *n = 0;
    if (!document_id || !sha256_hex_ok(sha256))
        return error_set(err, ERR_INVALID_ARG, "document", "the document's hash is not valid");
    return s->ops->outbox.tx_attach_document(s, tenant_id, request_id, template_name, document_id,
                                             sha256, time_now(), n, err);
}

int outbox_document(core *c, const store_outbox *m, arena *a, store_document *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (!m->document_id)
        return error_set(err, ERR_NOT_FOUND, "document", "the message carries no document");
    int found = 0;
    if (c->store->ops->documents.get(c->store, m->tenant_id, m->document_id, a, out, &found, err) !=
        0)
        return -1;
    /* Gone (the request was anonymised) or another request's: never sent in its place. */
    if (!found || out->request_id != m->request_id || !out->content || out->size <= 0)
        return error_set(err, ERR_NOT_FOUND, "document", "the message's document is gone");
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, out->content, (unsigned long long)out->size);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    /* The bytes must be those queued: the row's hash, the hash they have, and the message's. */
    if (!out->sha256 || !m->document_sha256 || strcmp(hex, out->sha256) != 0 ||
        strcmp(hex, m->document_sha256) != 0)
        return error_set(err, ERR_CONFLICT, "document",
                         "the message's document does not have the hash it was queued with");
    return 0;
}

int outbox_add_broadcast_tx(store *s, int64_t tenant_id, const char *channel, const char *recipient,
                            const char *template_name, json_t *params, const char *lang_code,
                            int64_t broadcast_id, error *err)
{
    return insert_tx(s, tenant_id, channel, recipient, template_name, params, lang_code, 0,
                     broadcast_id, NULL, err);
}

typedef struct add_job {
    int64_t tenant_id;
    const char *channel, *recipient, *template_name, *lang_code;
    json_t *params;
    int64_t request_id;
} add_job;

static int apply_add(store *s, void *arg, error *err)
{
    add_job *j = arg;
    return outbox_add_tx(s, j->tenant_id, j->channel, j->recipient, j->template_name, j->params,
                         j->lang_code, j->request_id, err);
}

int outbox_add(core *c, int64_t tenant_id, const char *channel, const char *recipient,
               const char *template_name, json_t *params, const char *lang_code, int64_t request_id,
               error *err)
{
    const char *lang_name = NULL;
    /* Checked here too so that a bad call fails without a trip through the writer. */
    if (check_args(channel, recipient, template_name, params, lang_code, &lang_name, err) != 0)
        return -1;
    add_job j = {
        .tenant_id = tenant_id,
        .channel = channel,
        .recipient = recipient,
        .template_name = template_name,
        .lang_code = lang_name,
        .params = params,
        .request_id = request_id,
    };
    return store_write_sync(core_store(c), apply_add, &j, err);
}

/* ---- the dispatchers' side ---- */

int outbox_due(core *c, const char *channel, int64_t now, size_t limit, arena *a,
               store_outbox **out, size_t *n, error *err)
{
    return c->store->ops->outbox.due(c->store, channel, now, limit, a, out, n, err);
}

/* One outcome as a write job; its copy of the error text is in the op's arena. */
typedef struct record_job {
    core_op op; /* first: the write job (core/core_op.h) */
    outbox_outcome o;
} record_job;

static int delivery_event_tx(store *s, const store_outbox *m, const char *state, const char *detail,
                             int64_t now, error *err);

/* One outcome inside the running job (the single record's and each of a batch's); its
 * reads go into a. */
static int record_one_tx(store *s, const outbox_outcome *o, arena *a, error *err)
{
    int rc = o->sent ? s->ops->outbox.tx_sent(s, o->id, o->when, err)
                     : s->ops->outbox.tx_retry(s, o->id, o->attempts, o->next_attempt_at, o->failed,
                                               o->last_error, err);
    if (rc != 0 || !o->message_id || (!o->sent && !o->failed))
        return rc;
    /* Sent or given up: the request's timeline says so in the same transaction (a retry
     * to come says nothing yet). */
    store_outbox m;
    int found = 0;
    if (s->ops->outbox.tx_find_message(s, o->message_id, a, &m, &found, err) != 0)
        return -1;
    if (!found)
        return 0;
    if (delivery_event_tx(s, &m, o->sent ? OUTBOX_STATE_SENT : OUTBOX_STATE_FAILED,
                          o->sent ? NULL : o->last_error, o->when, err) != 0)
        return -1;
    /* Given up: another channel, or a letter (core/mail_fallback.h). */
    return o->sent ? 0 : mail_fallback_tx(s, &m, o->when, err);
}

/* Copies o's strings into a (o's own pointers then point there); -1 when out of memory. */
static int outcome_own(arena *a, outbox_outcome *o)
{
    if (o->last_error && !(o->last_error = arena_strdup(a, o->last_error)))
        return -1;
    if (o->message_id && !(o->message_id = arena_strdup(a, o->message_id)))
        return -1;
    return 0;
}

static int apply_record(store *s, core_op *op, error *err)
{
    record_job *j = (record_job *)op;
    return record_one_tx(s, &j->o, &j->op.a, err);
}

int outbox_record(core *c, const outbox_outcome *o, core_done_fn cb, void *ctx, error *err)
{
    record_job *j = core_op_new(sizeof *j, apply_record);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory recording a message's outcome");
    j->o = *o;
    if (outcome_own(&j->op.a, &j->o) != 0) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory recording a message's outcome");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* Several outcomes as one write job. */
typedef struct record_batch_job {
    core_op op;        /* first: the write job (core/core_op.h) */
    outbox_outcome *o; /* n of them, in the op's arena */
    size_t n;
} record_batch_job;

static int apply_record_batch(store *s, core_op *op, error *err)
{
    record_batch_job *j = (record_batch_job *)op;
    for (size_t i = 0; i < j->n; i++)
        if (record_one_tx(s, &j->o[i], &j->op.a, err) != 0)
            return -1;
    return 0;
}

int outbox_record_batch(core *c, const outbox_outcome *o, size_t n, error *err)
{
    if (n == 0)
        return 0;
    if (n > OUTBOX_RECORD_BATCH_MAX)
        return error_set(err, ERR_INVALID_ARG, "outcomes", "at most %d outcomes in one write",
                         OUTBOX_RECORD_BATCH_MAX);
    record_batch_job *j = core_op_new(sizeof *j, apply_record_batch);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory recording messages' outcomes");
    j->o = arena_alloc(&j->op.a, n * sizeof *j->o);
    int oom = !j->o;
    for (size_t i = 0; !oom && i < n; i++) {
        j->o[i] = o[i];
        oom = outcome_own(&j->op.a, &j->o[i]) != 0;
    }
    if (oom) {
        core_op_free(j);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory recording messages' outcomes");
    }
    j->n = n;
    return core_op_submit(c, j, NULL, NULL, err);
}

/* ---- each message's own id and delivery state ---- */

#define OUTBOX_DETAIL_MAX 200

int outbox_message_id_ok(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return 0;
    return n == OUTBOX_MESSAGE_ID_LEN;
}

static void fill_ref(const store_outbox *m, outbox_message_ref *out)
{
    memset(out, 0, sizeof *out);
    out->id = m->id;
    out->tenant_id = m->tenant_id;
    out->request_id = m->request_id;
    snprintf(out->channel, sizeof out->channel, "%s", m->channel ? m->channel : "");
    snprintf(out->state, sizeof out->state, "%s", m->state ? m->state : "");
}

int outbox_find_message(core *c, const char *message_id, outbox_message_ref *out, error *err)
{
    if (!outbox_message_id_ok(message_id))
        return error_set(err, ERR_NOT_FOUND, "message_id", "no such message");
    arena a;
    arena_init(&a, 256 * 1024);
    store_outbox m;
    int found = 0;
    int rc = c->store->ops->outbox.find_message(c->store, message_id, &a, &m, &found, err);
    if (rc == 0 && !found)
        rc = error_set(err, ERR_NOT_FOUND, "message_id", "no such message");
    if (rc == 0)
        fill_ref(&m, out);
    arena_free(&a);
    return rc;
}

static int state_final(const char *state)
{
    return strcmp(state, OUTBOX_STATE_DELIVERED) == 0 || strcmp(state, OUTBOX_STATE_BOUNCED) == 0 ||
           strcmp(state, OUTBOX_STATE_FAILED) == 0;
}

/* The OUTBOX_DELIVERY_EVENT of message m moving to state, on its request's timeline (none
 * when it has no request). */
static int delivery_event_tx(store *s, const store_outbox *m, const char *state, const char *detail,
                             int64_t now, error *err)
{
    if (!m->request_id)
        return 0;
    char body[OUTBOX_DETAIL_MAX + 32];
    snprintf(body, sizeof body, "%s%s%.*s", state, detail ? " " : "", OUTBOX_DETAIL_MAX,
             detail ? detail : "");
    store_event e = {.tenant_id = m->tenant_id,
                     .request_id = m->request_id,
                     .created_at = now,
                     .kind = OUTBOX_DELIVERY_EVENT,
                     .is_public = 0,
                     .actor = "system",
                     .channel = m->channel,
                     .body = body};
    return s->ops->events.tx_insert(s, &e, NULL, err);
}

/* One report as a write job; its strings are copies (the caller may not wait). */
typedef struct delivery_job {
    core_op op; /* first: the write job (core/core_op.h) */
    char message_id[OUTBOX_MESSAGE_ID_LEN + 1];
    char state[16];
    char detail[OUTBOX_DETAIL_MAX + 1];
    int64_t now;
} delivery_job;

static int apply_delivery(store *s, core_op *op, error *err)
{
    delivery_job *j = (delivery_job *)op;
    store_outbox m;
    int found = 0;
    if (s->ops->outbox.tx_find_message(s, j->message_id, &j->op.a, &m, &found, err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "message_id", "no such message");
    /* Reports come late, twice or out of order (an SMSC acknowledgement after the handset's
     * delivery report): a final state is never left, and the same state is not told twice. */
    if (!m.state || state_final(m.state) || strcmp(m.state, j->state) == 0)
        return 0;
    const char *detail = j->detail[0] ? j->detail : NULL;
    if (s->ops->outbox.tx_state(s, m.id, j->state, j->now, detail, err) != 0 ||
        delivery_event_tx(s, &m, j->state, detail, j->now, err) != 0)
        return -1;
    /* A bounce or a failure reported: the citizen was not reached (core/mail_fallback.h). */
    if (strcmp(j->state, OUTBOX_STATE_BOUNCED) == 0 || strcmp(j->state, OUTBOX_STATE_FAILED) == 0)
        return mail_fallback_tx(s, &m, j->now, err);
    return 0;
}

/* Copies detail, cut at OUTBOX_DETAIL_MAX bytes on a character boundary, control characters
 * (a report's line breaks) turned into spaces. */
static void copy_detail(char *out, const char *detail)
{
    size_t n = 0;
    for (const char *p = detail ? detail : ""; *p && n < OUTBOX_DETAIL_MAX; p++)
        out[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    /* Cut before a character, never inside one: back to the lead byte of the one cut. */
    while (n > 0 && detail && ((unsigned char)detail[n] & 0xC0) == 0x80)
        n--;
    out[n] = 0;
}

int outbox_delivery(core *c, const char *message_id, const char *state, const char *detail,
                    core_done_fn cb, void *ctx, error *err)
{
    if (!outbox_message_id_ok(message_id))
        return error_set(err, ERR_NOT_FOUND, "message_id", "no such message");
    if (!state || (strcmp(state, OUTBOX_STATE_SENT) != 0 && !state_final(state)))
        return error_set(err, ERR_INVALID_ARG, "state",
                         "a delivery state is sent, delivered, bounced or failed");
    delivery_job *j = core_op_new(sizeof *j, apply_delivery);
    if (!j)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory recording a delivery report");
    snprintf(j->message_id, sizeof j->message_id, "%s", message_id);
    snprintf(j->state, sizeof j->state, "%s", state);
    copy_detail(j->detail, detail);
    j->now = time_now();
    return core_op_submit(c, j, cb, ctx, err);
}

int outbox_thread(core *c, const store_outbox *m, arena *a, store_outbox_thread *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (!m->request_id)
        return 0;
    return c->store->ops->outbox.thread(c->store, m->tenant_id, m->request_id, m->channel,
                                        m->recipient, m->id, a, out, err);
}

/*
 * sms_in — Kannel's callbacks (see sms_in.h). The handler checks the key and the parameters,
 * asks core what the SMS is (sms_is_stop, sms_is_start, sms_reply_target,
 * sms_keyword_procedure) and has core write it, waiting with its connection suspended; it
 * answers Kannel one line of text.
 */
#include "channels/sms/sms_in.h"

#include <string.h>

#include "core/apikey.h"
#include "core/outbox.h"
#include "core/request.h"
#include "core/sms.h"
#include "core/sms_keyword.h"
#include "util/phone.h"
#include "util/utf8.h"

/* A parameter within max bytes: NULL when absent or empty. */
static int bounded(const char *v, const char *name, size_t max, int required, error *err)
{
    if (!v || !*v)
        return required ? error_set(err, ERR_MISSING_ARG, name, "%s is required", name) : 0;
    if (strlen(v) > max)
        return error_set(err, ERR_INVALID_ARG, name, "%s: at most %zu bytes", name, max);
    return 0;
}

int sms_in_check(sms_in_params *p, error *err)
{
    if (bounded(p->key, "key", SMS_IN_KEY_MAX, 1, err) != 0 ||
        bounded(p->from_typed, "from", SMS_IN_NUMBER_MAX, 1, err) != 0 ||
        bounded(p->to, "to", SMS_IN_NUMBER_MAX, 0, err) != 0 ||
        bounded(p->text, "text", SMS_IN_TEXT_MAX, 0, err) != 0 ||
        bounded(p->time, "time", SMS_IN_TIME_MAX, 0, err) != 0)
        return -1;
    phone_result r;
    if (phone_e164(p->from_typed, p->from, &r) != 0)
        return error_set(err, ERR_INVALID_ARG, "from", "not a phone number (%s)",
                         phone_problem_name(r.problem));
    const char *text = p->text ? p->text : "";
    size_t n = strlen(text);
    if (!utf8_valid(text, n) || utf8_has_control(text, n))
        return error_set(err, ERR_INVALID_ARG, "text", "text: not UTF-8 text");
    return 0;
}

const char *sms_dlr_state(const char *status)
{
    static const struct {
        const char *status, *state;
    } map[] = {{"1", "delivered"}, {"2", "failed"}, {"4", ""}, {"8", "sent"}, {"16", "failed"}};
    for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(status, map[i].status) == 0)
            return map[i].state;
    return NULL;
}

static void answer(http_req *rq, int status, const char *line)
{
    http_respond_text(rq, status, line);
}

static void answer_error(http_req *rq, const error *err)
{
    answer(rq, err_http_status(err->code),
           arena_printf(rq->arena, "%s%s%s", err_name(err->code), *err->arg ? " " : "", err->arg));
}

/* The key of the host's collectivité, gateway scope; 0, or -1 after answering. */
static int gateway_key(http_req *rq, const char *key, const cat_tenant **t)
{
    error err;
    error_clear(&err);
    *t = rq->host_tenant;
    if (!*t)
        error_set(&err, ERR_MISDIRECTED, NULL, "no collectivité for this host");
    else if (bounded(key, "key", SMS_IN_KEY_MAX, 1, &err) == 0) {
        store_apikey k;
        if (apikey_authenticate(rq->core, (*t)->rec.id, key, SCOPE_GATEWAY, rq->arena, &k, &err) ==
            0)
            return 0;
    }
    answer_error(rq, &err);
    return -1;
}

/* After core's write: the line Kannel logs (http_respond_text ends it). rq->user holds what
 * was done. */
static void written(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc != 0) {
        answer_error(rq, &w->err);
        return;
    }
    answer(rq, 200, rq->user ? (const char *)rq->user : "ok");
}

/* After core filed a report: the reference, and whether the address was found. */
static void reported(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    const sms_report *r = rq->user;
    if (w->rc != 0) {
        answer_error(rq, &w->err);
        return;
    }
    answer(rq, 200,
           arena_printf(rq->arena, "report %s %s", r->created.reference,
                        r->placed ? "placed" : "unplaced"));
}

/* The procedure of text's first word when it is one of t's keywords (NULL: none), and in
 * *rest what follows it. */
static const cat_procedure *keyword_of(http_req *rq, const cat_tenant *t, const char *text,
                                       const char **rest)
{
    char word[SMS_KEYWORD_FOLDED_MAX + 1];
    *rest = "";
    if (!sms_keyword_first(text, word, sizeof word, rest))
        return NULL;
    return sms_keyword_procedure(rq->core, t, word);
}

/* A new report of procedure proc with text `rest` (what followed its keyword), at most one
 * a minute from a number: a flood files one request. */
static void report(http_req *rq, const cat_tenant *t, const char *from, const cat_procedure *proc,
                   const char *rest)
{
    if (utf8_length(rest, strlen(rest)) > SMS_REPORT_TEXT_MAX) {
        answer(rq, 200, "dropped: a report over its length");
        return;
    }
    error err;
    error_clear(&err);
    const char *bucket = arena_printf(rq->arena, "sms-report:%lld:%s", (long long)t->rec.id, from);
    if (http_ratelimit(rq, bucket, 1.0 / 60.0, 1, &err) != 0) {
        answer(rq, 200, "dropped: one report a minute from a number");
        return;
    }
    sms_report *r = arena_alloc(rq->arena, sizeof *r);
    if (!r) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        answer_error(rq, &err);
        return;
    }
    rq->user = r;
    http_wait *w = http_wait_begin(rq, reported);
    int rc = sms_report_file(rq->core, t, proc, from, rest, http_base_url(rq, t), r, http_wait_done,
                             w, &err);
    http_wait_started(w, rc, &err);
}

static void inbound_get(http_req *rq)
{
    const cat_tenant *t;
    if (gateway_key(rq, form_get(&rq->query, "key"), &t) != 0)
        return;
    error err;
    error_clear(&err);
    sms_in_params p = {.key = form_get(&rq->query, "key"),
                       .from_typed = form_get(&rq->query, "from"),
                       .to = form_get(&rq->query, "to"),
                       .text = form_get(&rq->query, "text"),
                       .time = form_get(&rq->query, "time")};
    if (sms_in_check(&p, &err) != 0) {
        answer_error(rq, &err);
        return;
    }
    const char *text = p.text ? p.text : "";
    int stop = sms_is_stop(text);
    if (stop || sms_is_start(text)) {
        rq->user = arena_strdup(rq->arena, stop ? "opted out" : "opted in");
        http_wait *w = http_wait_begin(rq, written);
        int rc =
            (stop ? sms_opt_out : sms_opt_in)(rq->core, t->rec.id, p.from, http_wait_done, w, &err);
        http_wait_started(w, rc, &err);
        return;
    }
    /* A keyword and a text file a new report even from a number with an open request:
     * «NID rue de la Paix» is a new pothole, not news of the old request. */
    const char *rest = "";
    const cat_procedure *proc = keyword_of(rq, t, text, &rest);
    if (proc && *rest) {
        report(rq, t, p.from, proc, rest);
        return;
    }
    char ref[REQUEST_REFERENCE_MAX + 1];
    int found = sms_reply_target(rq->core, t, p.from, text, ref, sizeof ref, &err);
    if (found < 0) {
        answer_error(rq, &err);
        return;
    }
    if (!found && *text) {
        /* Nothing to thread it into and no report to file, each said with its reason. */
        answer(rq, 200,
               proc ? "dropped: a keyword and nothing else"
                    : "dropped: no open request for this number and no keyword");
        return;
    }
    if (!found || !*text) {
        /* Nothing to thread it into: dropped, and said so (nothing is answered to the sender,
         * who may be anyone). */
        answer(rq, 200, "dropped: no open request for this number");
        return;
    }
    rq->user = arena_printf(rq->arena, "reply %s", ref);
    http_wait *w = http_wait_begin(rq, written);
    int rc = request_citizen_message(rq->core, t, ref, &actor_citizen, text, NULL, 0, CHANNEL_SMS,
                                     http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* The report is answered once its write is durable, the connection suspended meanwhile (a
 * broadcast's thousands of reports never hold the server's threads). */
static void dlr_get(http_req *rq)
{
    const cat_tenant *t;
    if (gateway_key(rq, form_get(&rq->query, "key"), &t) != 0)
        return;
    error err;
    error_clear(&err);
    const char *id = form_get(&rq->query, "id");
    const char *state = sms_dlr_state(form_get(&rq->query, "status"));
    outbox_message_ref m;
    if (!id || !outbox_message_id_ok(id))
        error_set(&err, ERR_INVALID_ARG, "id", "a message id is 32 lowercase hex digits");
    else if (!state)
        error_set(&err, ERR_INVALID_ARG, "status", "status: 1, 2, 4, 8 or 16");
    else if (outbox_find_message(rq->core, id, &m, &err) == 0 &&
             (m.tenant_id != t->rec.id || strcmp(m.channel, "sms") != 0))
        error_set(&err, ERR_NOT_FOUND, "id", "no such SMS"); /* another's: as unknown */
    if (err.code != ERR_NONE) {
        answer_error(rq, &err);
        return;
    }
    if (!*state) {
        answer(rq, 200, "buffered: kept");
        return;
    }
    const char *detail = arena_printf(rq->arena, "kannel dlr %s", form_get(&rq->query, "status"));
    rq->user = arena_strdup(rq->arena, state);
    http_wait *w = http_wait_begin(rq, written);
    int rc = outbox_delivery(rq->core, id, state, detail, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

const http_route sms_in_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/passerelle/sms", inbound_get},
    {HTTP_GET | HTTP_HEAD, "/passerelle/sms/dlr", dlr_get},
    {0, NULL, NULL},
};

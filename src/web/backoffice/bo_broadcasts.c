/*
 * bo_broadcasts — /agent/diffusions, for managers and administrators: the broadcasts sent,
 * with their delivery figures (the outbox states of their messages), one broadcast's page,
 * and the form to write one (topics, channel, subject and text in French and optionally in
 * English). «Envoyer» first shows a confirmation page with the number of subscribers it
 * will reach and the text as written; only its «Confirmer l'envoi» sends (core:
 * broadcast_send, audited; the messages are queued in batches by a job). No script.
 */
#include <stdlib.h>
#include <string.h>

#include "core/area.h"
#include "core/broadcast.h"
#include "core/perm.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "util/utf8.h"
#include "web/web.h"

#define BASE "/agent/diffusions"

/* The delivery states shown, in the order of the table's columns. */
static const char *const states[] = {"queued", "sent", "delivered", "bounced", "failed"};
#define N_STATES (sizeof states / sizeof states[0])

/* A manager or an admin: 1 and *a; otherwise answered (login or 403) and 0. */
static int broadcaster(http_req *rq, store_agent *a)
{
    if (!bo_agent(rq, a))
        return 0;
    if (!perm_can_broadcast(a)) {
        bo_forbidden(rq);
        return 0;
    }
    return 1;
}

static const char *tz_of(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    return t ? t->rec.timezone : NULL;
}

/* The figures of one broadcast on one channel (NULL: all of them together): {queued, sent,
 * delivered, bounced, failed}. */
static json_t *figures(const store_state_count *sc, size_t n, const char *channel)
{
    json_t *o = json_object();
    for (size_t i = 0; i < N_STATES; i++) {
        int64_t v = 0;
        for (size_t k = 0; k < n; k++)
            if (sc[k].state && strcmp(sc[k].state, states[i]) == 0 &&
                (!channel || (sc[k].channel && strcmp(sc[k].channel, channel) == 0)))
                v += sc[k].count;
        json_object_set_new(o, states[i], json_integer(v));
    }
    return o;
}

/* The figures per channel the broadcast went by (its channels, a JSON array): [{channel,
 * label key's channel word, figures}], one row each for the page's table. */
static json_t *figures_by_channel(const store_broadcast *b, const store_state_count *sc, size_t n)
{
    static const char *const channels[] = {"email", "sms"};
    json_t *rows = json_array();
    for (size_t i = 0; i < 2; i++)
        if (b->channels && strstr(b->channels, channels[i]))
            json_array_append_new(rows,
                                  json_pack("{s:s, s:b, s:o}", "channel", channels[i], "is_sms",
                                            i == 1, "figures", figures(sc, n, channels[i])));
    return rows;
}

/* The topics as checkboxes, those of `chosen` ticked. */
static json_t *topics_json(const store_topic *t, size_t n, const int64_t *chosen, size_t n_chosen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        int checked = 0;
        for (size_t k = 0; k < n_chosen; k++)
            checked |= chosen[k] == t[i].id;
        json_array_append_new(list, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)t[i].id, "name",
                                              t[i].name, "checked", checked));
    }
    return list;
}

/* The areas a broadcast may target (broadcast areas, then quartiers), each {id, name,
 * checked} (those of d ticked); only `chosen` ones when that is set. NULL and err when the
 * list cannot be read. */
static json_t *areas_json(http_req *rq, int64_t tenant_id, const int64_t *ids, size_t n_ids,
                          int chosen, error *err)
{
    static const area_kind kinds[] = {AREA_BROADCAST, AREA_QUARTIER};
    json_t *out = json_array();
    for (size_t k = 0; k < 2; k++) {
        store_area *list = NULL;
        size_t n = 0;
        if (area_list(rq->core, tenant_id, kinds[k], rq->arena, &list, &n, err) != 0) {
            json_decref(out);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            int checked = 0;
            for (size_t j = 0; j < n_ids; j++)
                checked |= ids[j] == list[i].id;
            if (!chosen || checked)
                json_array_append_new(out,
                                      json_pack("{s:I, s:s, s:b}", "id", (json_int_t)list[i].id,
                                                "name", list[i].name, "checked", checked));
        }
    }
    return out;
}

/* The list and the form (with what was typed, and errors, when given). */
static void list_page(http_req *rq, bo_page *p, const broadcast_draft *d)
{
    const cat_tenant *t = web_tenant(rq);
    error e;
    store_topic *topics = NULL;
    size_t nt = 0;
    store_broadcast *list = NULL;
    size_t nb = 0;
    if (broadcast_topics(rq->core, t->rec.id, 1, rq->arena, &topics, &nt, &e) != 0 ||
        broadcast_list(rq->core, t->rec.id, rq->arena, &list, &nb, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < nb; i++) {
        store_broadcast b;
        store_state_count *sc = NULL;
        size_t ns = 0;
        if (broadcast_get(rq->core, t->rec.id, list[i].id, rq->arena, &b, &sc, &ns, &e) != 0) {
            json_decref(rows);
            bo_page_fail(p, &e);
            return;
        }
        json_array_append_new(rows,
                              json_pack("{s:I, s:s, s:s, s:I, s:o, s:b}", "id", (json_int_t)b.id,
                                        "subject", b.subject, "date",
                                        present_date(rq->arena, p->l, b.created_at, tz_of(rq), 1),
                                        "recipients", (json_int_t)b.recipients, "figures",
                                        figures(sc, ns, NULL), "queuing", b.queued_at == 0));
    }
    bo_page_set(p, "has_broadcasts", json_boolean(nb > 0));
    bo_page_set(p, "broadcasts", rows);
    bo_page_set(p, "topics", topics_json(topics, nt, d ? d->topics : NULL, d ? d->n_topics : 0));
    bo_page_set(p, "email_checked", json_boolean(!d || d->email));
    bo_page_set(p, "sms_checked", json_boolean(d && d->sms));
    json_t *areas = areas_json(rq, t->rec.id, d ? d->areas : NULL, d ? d->n_areas : 0, 0, &e);
    if (!areas) {
        bo_page_fail(p, &e);
        return;
    }
    bo_page_set(p, "has_areas", json_boolean(json_array_size(areas) > 0));
    bo_page_set(p, "areas", areas);
    bo_page_render(p, bo_page_has_errors(p) ? 400 : 200, "agent/broadcasts",
                   bo_page_str(p, "broadcasts.title"));
}

static void list_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (!broadcaster(rq, &a) || bo_page_start(&p, rq, &a) != 0)
        return;
    if (form_get(&rq->query, "envoyee"))
        bo_page_notice(&p, "success", bo_page_str(&p, "broadcasts.sent_notice"));
    list_page(rq, &p, NULL);
}

/* The draft of a form, its values kept on the page; 0, or -1 with the errors on p. */
static int read_draft(bo_page *p, const form *f, broadcast_draft *d)
{
    http_req *rq = p->rq;
    memset(d, 0, sizeof *d);
    static const char *const fields[] = {"subject", "body", "subject_en", "body_en"};
    const char **slots[] = {&d->subject, &d->body, &d->subject_en, &d->body_en};
    for (size_t i = 0; i < 4; i++) {
        const char *v = form_get(f, fields[i]);
        *slots[i] = v ? v : "";
        bo_page_value(p, fields[i], *slots[i]);
    }
    d->email = form_get(f, "channel_email") != NULL;
    d->sms = form_get(f, "channel_sms") != NULL;
    /* The confirmation's hidden fields carry the channels chosen. */
    if (d->email)
        bo_page_value(p, "channel_email", "1");
    if (d->sms)
        bo_page_value(p, "channel_sms", "1");
    const char *values[BROADCAST_TOPICS_MAX + 1];
    size_t nv = 0;
    for (size_t i = 0; i < f->count && nv <= BROADCAST_TOPICS_MAX; i++)
        if (strcmp(f->fields[i].name, "topics") == 0)
            values[nv++] = f->fields[i].value;
    error e;
    const cat_tenant *t = web_tenant(rq);
    if (broadcast_pick_topics(rq->core, t->rec.id, values, nv, d->topics, &d->n_topics, &e) != 0)
        bo_page_error_key(p, "topics",
                          e.code == ERR_MISSING_ARG ? "broadcasts.errors.topics_required"
                                                    : "broadcasts.errors.topics_invalid");
    /* Each field's own message: core checks one at a time, the page shows them all. */
    static const struct {
        const char *field;
        size_t max;
        int required;
    } texts[] = {{"subject", BROADCAST_SUBJECT_MAX, 1},
                 {"body", BROADCAST_BODY_MAX, 1},
                 {"subject_en", BROADCAST_SUBJECT_MAX, 0},
                 {"body_en", BROADCAST_BODY_MAX, 0}};
    for (size_t i = 0; i < 4; i++) {
        const char *v = *slots[i];
        char key[64];
        if (!*v && texts[i].required) {
            snprintf(key, sizeof key, "broadcasts.errors.%s_required", texts[i].field);
            bo_page_error_key(p, texts[i].field, key);
        } else if (*v && (!utf8_valid(v, strlen(v)) || utf8_length(v, strlen(v)) > texts[i].max ||
                          (i % 2 == 0 && strpbrk(v, "\r\n")))) {
            snprintf(key, sizeof key, "broadcasts.errors.%s_invalid", texts[i].field);
            bo_page_error_key(p, texts[i].field, key);
        }
    }
    if (!d->email && !d->sms)
        bo_page_error_key(p, "channel_email", "broadcasts.errors.channel_required");
    const char *area_values[BROADCAST_AREAS_MAX + 1];
    size_t na = 0;
    for (size_t i = 0; i < f->count && na <= BROADCAST_AREAS_MAX; i++)
        if (strcmp(f->fields[i].name, "areas") == 0)
            area_values[na++] = f->fields[i].value;
    if (broadcast_pick_areas(rq->core, t->rec.id, area_values, na, d, &e) != 0)
        bo_page_error_key(p, "areas", "broadcasts.errors.areas_invalid");
    return bo_page_has_errors(p) ? -1 : 0;
}

typedef struct send_state {
    store_agent agent;
    int64_t id;
} send_state;

static void send_done(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    send_state *st = rq->user;
    if (!w || w->rc != 0) {
        error e;
        if (w)
            e = w->err;
        else
            error_set(&e, ERR_INTERNAL, NULL, "no write was waited for");
        web_write_error(rq, &e);
        return;
    }
    web_redirect(rq, arena_printf(rq->arena, BASE "/%lld?envoyee=1%s", (long long)st->id,
                                  rq->lang == LANG_EN ? "&lang=en" : ""));
}

static void list_post(http_req *rq)
{
    store_agent a;
    form f;
    bo_page p;
    if (!broadcaster(rq, &a) || bo_form(rq, &f) != 0 || bo_page_start(&p, rq, &a) != 0)
        return;
    broadcast_draft d;
    if (read_draft(&p, &f, &d) != 0) {
        list_page(rq, &p, &d);
        return;
    }
    const cat_tenant *t = web_tenant(rq);
    error e;
    if (!form_get(&f, "confirm")) {
        /* «Envoyer» asks first: the number reached and the text, with the button that
         * sends. */
        int64_t count = 0;
        if (broadcast_count(rq->core, t->rec.id, &d, &count, &e) != 0) {
            bo_page_fail(&p, &e);
            return;
        }
        store_topic *topics = NULL;
        size_t nt = 0;
        if (broadcast_topics(rq->core, t->rec.id, 1, rq->arena, &topics, &nt, &e) != 0) {
            bo_page_fail(&p, &e);
            return;
        }
        json_t *chosen = json_array();
        for (size_t i = 0; i < nt; i++)
            for (size_t k = 0; k < d.n_topics; k++)
                if (topics[i].id == d.topics[k])
                    json_array_append_new(chosen,
                                          json_pack("{s:I, s:s}", "id", (json_int_t)topics[i].id,
                                                    "name", topics[i].name));
        bo_page_set(&p, "chosen", chosen);
        json_t *chosen_areas = areas_json(rq, t->rec.id, d.areas, d.n_areas, 1, &e);
        if (!chosen_areas) {
            bo_page_fail(&p, &e);
            return;
        }
        bo_page_set(&p, "chosen_areas", chosen_areas);
        bo_page_set(&p, "count", json_integer(count));
        bo_page_render(&p, 200, "agent/broadcast_confirm",
                       bo_page_str(&p, "broadcasts.confirm_title"));
        return;
    }
    bo_page_discard(&p);
    send_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    memset(st, 0, sizeof *st);
    st->agent = a; /* its strings are in rq->arena: valid while the handler is suspended */
    core_actor *who = arena_alloc(rq->arena, sizeof *who);
    if (!who) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    *who = bo_who(rq, &st->agent);
    rq->user = st;
    http_wait *w = http_wait_begin(rq, send_done);
    int rc = broadcast_send(rq->core, t->rec.id, who, &d, http_base_url(rq, t), &st->id,
                            http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void one_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    int64_t id = bo_admin_id(rq->params[0]);
    if (!broadcaster(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    store_broadcast b;
    store_state_count *sc = NULL;
    size_t ns = 0;
    error e;
    if (!id || broadcast_get(rq->core, t->rec.id, id, rq->arena, &b, &sc, &ns, &e) != 0) {
        bo_not_found(rq);
        return;
    }
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    if (form_get(&rq->query, "envoyee"))
        bo_page_notice(&p, "success", bo_page_str(&p, "broadcasts.sent_notice"));
    store_topic *topics = NULL;
    size_t nt = 0;
    if (broadcast_topics(rq->core, t->rec.id, 0, rq->arena, &topics, &nt, &e) != 0) {
        bo_page_fail(&p, &e);
        return;
    }
    json_t *ids = json_loads(b.topics, 0, NULL), *names = json_array();
    size_t k;
    json_t *v;
    json_array_foreach(ids, k, v)
    {
        for (size_t i = 0; i < nt; i++)
            if (topics[i].id == json_integer_value(v))
                json_array_append_new(names, json_string(topics[i].name));
    }
    json_decref(ids);
    int64_t area_ids[BROADCAST_AREAS_MAX];
    size_t n_area_ids = 0;
    json_t *aj = json_loads(b.areas, 0, NULL);
    json_array_foreach(aj, k, v)
    {
        if (n_area_ids < BROADCAST_AREAS_MAX)
            area_ids[n_area_ids++] = (int64_t)json_integer_value(v);
    }
    json_decref(aj);
    json_t *areas = areas_json(rq, t->rec.id, area_ids, n_area_ids, 1, &e),
           *area_names = json_array();
    json_array_foreach(areas, k, v)
    {
        json_array_append(area_names, json_object_get(v, "name"));
    }
    json_decref(areas);
    bo_page_set(&p, "broadcast",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o, s:o}", "subject",
                          b.subject, "body", b.body, "subject_en", b.subject_en, "body_en",
                          b.body_en, "date",
                          present_date(rq->arena, p.l, b.created_at, tz_of(rq), 1), "recipients",
                          (json_int_t)b.recipients, "queuing", b.queued_at == 0, "topics", names,
                          "figures", figures_by_channel(&b, sc, ns), "areas", area_names));
    bo_page_render(&p, 200, "agent/broadcast", b.subject);
}

/* ---- the topics, for administrators ---- */

static void topics_page(http_req *rq, bo_page *p, int64_t failed_id)
{
    const cat_tenant *t = web_tenant(rq);
    store_topic *topics = NULL;
    size_t nt = 0;
    error e;
    if (broadcast_topics(rq->core, t->rec.id, 0, rq->arena, &topics, &nt, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < nt; i++) {
        /* The topic whose form was refused shows what was typed (the page's values). */
        int typed = topics[i].id == failed_id;
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "id", (json_int_t)topics[i].id,
                      "code", topics[i].code, "name", topics[i].name, "name_en", topics[i].name_en,
                      "description", topics[i].description, "description_en",
                      topics[i].description_en, "active", topics[i].active, "refused", typed);
        if (typed) {
            static const char *const fields[] = {"name", "name_en", "description",
                                                 "description_en"};
            for (size_t k = 0; k < 4; k++) {
                json_object_set(o, fields[k], json_object_get(p->values, fields[k]));
                const char *key =
                    arena_printf(rq->arena, "%s-%lld", fields[k], (long long)topics[i].id);
                json_t *msg = json_object_get(p->field_errors, key);
                if (msg)
                    json_object_set(o, arena_printf(rq->arena, "err_%s", fields[k]), msg);
            }
        }
        json_array_append_new(list, o);
    }
    bo_page_set(p, "topics", list);
    bo_page_render(p, bo_page_has_errors(p) ? 400 : 200, "agent/broadcast_topics",
                   bo_page_str(p, "broadcasts.topics_title"));
}

static void topics_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (!bo_admin(rq, &a) || bo_page_start(&p, rq, &a) != 0)
        return;
    if (form_get(&rq->query, "fait"))
        bo_page_notice(&p, "success", bo_page_str(&p, "broadcasts.topic_saved"));
    topics_page(rq, &p, 0);
}

typedef struct topic_state {
    store_agent agent;
    bo_page page;
    int64_t id;
} topic_state;

static void topic_done(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    topic_state *st = rq->user;
    if (w && w->rc == 0) {
        bo_page_discard(&st->page);
        web_redirect(rq, arena_printf(rq->arena, BASE "/sujets?fait=1%s",
                                      rq->lang == LANG_EN ? "&lang=en" : ""));
        return;
    }
    error e;
    if (w)
        e = w->err;
    else
        error_set(&e, ERR_INTERNAL, NULL, "no write was waited for");
    if (e.code == ERR_NOT_FOUND) {
        bo_page_discard(&st->page);
        bo_not_found(rq);
        return;
    }
    bo_page_fail(&st->page, &e);
}

static void topic_post(http_req *rq)
{
    form f;
    error e;
    topic_state *st = arena_alloc(rq->arena, sizeof *st);
    if (!st) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    memset(st, 0, sizeof *st);
    if (!bo_admin(rq, &st->agent) || bo_form(rq, &f) != 0 ||
        bo_page_start(&st->page, rq, &st->agent) != 0)
        return;
    bo_page *p = &st->page;
    st->id = bo_admin_id(rq->params[0]);
    store_topic t = {.id = st->id, .active = form_get(&f, "active") != NULL};
    static const struct {
        const char *field;
        size_t max;
        int required;
    } fields[] = {{"name", BROADCAST_TOPIC_NAME_MAX, 1},
                  {"name_en", BROADCAST_TOPIC_NAME_MAX, 0},
                  {"description", BROADCAST_TOPIC_DESCRIPTION_MAX, 0},
                  {"description_en", BROADCAST_TOPIC_DESCRIPTION_MAX, 0}};
    const char **slots[] = {&t.name, &t.name_en, &t.description, &t.description_en};
    for (size_t i = 0; i < 4; i++) {
        const char *v = form_get(&f, fields[i].field);
        v = v ? v : "";
        *slots[i] = v;
        bo_page_value(p, fields[i].field, v);
        char key[80];
        if (!*v && fields[i].required) {
            snprintf(key, sizeof key, "broadcasts.errors.topic_%s_required", fields[i].field);
            bo_page_error_key(
                p, arena_printf(rq->arena, "%s-%lld", fields[i].field, (long long)st->id), key);
        } else if (!utf8_valid(v, strlen(v)) || utf8_length(v, strlen(v)) > fields[i].max) {
            snprintf(key, sizeof key, "broadcasts.errors.topic_%s_invalid", fields[i].field);
            bo_page_error_key(
                p, arena_printf(rq->arena, "%s-%lld", fields[i].field, (long long)st->id), key);
        }
    }
    if (!st->id) {
        bo_page_discard(p);
        bo_not_found(rq);
        return;
    }
    if (bo_page_has_errors(p)) {
        topics_page(rq, p, st->id);
        return;
    }
    core_actor *who = arena_alloc(rq->arena, sizeof *who);
    if (!who) {
        error_set(&e, ERR_UNAVAILABLE, NULL, "out of memory");
        bo_page_fail(p, &e);
        return;
    }
    *who = bo_who(rq, &st->agent);
    rq->user = st;
    http_wait *w = http_wait_begin(rq, topic_done);
    int rc =
        broadcast_topic_update(rq->core, web_tenant(rq)->rec.id, who, &t, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_broadcast_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/diffusions/sujets", topics_get},
    {HTTP_POST, "/agent/diffusions/sujets/{}", topic_post},
    {HTTP_GET | HTTP_HEAD, "/agent/diffusions", list_get},
    {HTTP_POST, "/agent/diffusions", list_post},
    {HTTP_GET | HTTP_HEAD, "/agent/diffusions/{}", one_get},
    {0, NULL, NULL},
};

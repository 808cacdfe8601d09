/*
 * Unit tests of broadcasts (core/broadcast.c) on a real SQLite database: the double opt-in
 * (the confirmation link is single-use and expires; nothing counts before it), leaving by the
 * leave token, a broadcast of 1,201 subscribers queued by its job in batches of
 * BROADCAST_BATCH (one job per batch, each exactly once, the recipients counted once), the
 * outbox's due order (a request's notice before any broadcast message, whenever queued), the
 * right to broadcast, and the dispatcher's throttle (channels/dispatch: dispatch_throttle_take).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/dispatch.h"
#include "core/actor.h"
#include "core/admin.h"
#include "core/area.h"
#include "core/broadcast.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/outbox.h"
#include "core/sms.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

#define BASE_URL "https://ville-test.fr"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent manager, agent;
    int64_t works, water; /* two of the seeded topics */
} fixture;

static void shell(fixture *f, const char *sql)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"%s\"", f->db.path, sql);
    assert_int_equal(system(cmd), 0);
}

static int64_t topic_id(fixture *f, const char *code)
{
    store_topic *t = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(broadcast_topics(f->db.core, f->tenant_id, 1, &f->a, &t, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].code, code) == 0)
            return t[i].id;
    fail_msg("no topic %s", code);
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "broadcast", NULL), 0);
    arena_init(&f->a, 0);
    error err;
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t voirie = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &voirie, &err), 0);
    const char *dep = "voirie";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "resp@ville-test.fr",
                                       AGENT_ROLE_MANAGER, &dep, 1, &f->a, &f->manager),
                     0);
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "agent@ville-test.fr",
                                       AGENT_ROLE_AGENT, &dep, 1, &f->a, &f->agent),
                     0);
    f->works = topic_id(f, "travaux");
    f->water = topic_id(f, "coupure_eau");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

/* The token of the last confirmation e-mail queued for `to` (from its link). */
static const char *last_confirm_token(fixture *f, const char *to)
{
    store_outbox *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    for (size_t i = n; i-- > 0;) {
        if (strcmp(rows[i].template, BROADCAST_CONFIRM_TEMPLATE) != 0 ||
            strcmp(rows[i].recipient, to) != 0)
            continue;
        json_t *p = json_loads(rows[i].params, 0, NULL);
        const char *link = json_string_value(json_object_get(p, "link"));
        assert_non_null(link);
        const char *prefix = BASE_URL BROADCAST_CONFIRM_PATH;
        assert_memory_equal(link, prefix, strlen(prefix));
        const char *tok = arena_printf(&f->a, "%s", link + strlen(prefix));
        json_decref(p);
        return tok;
    }
    fail_msg("no confirmation queued for %s", to);
    return NULL;
}

static size_t active_of(fixture *f, const char *address)
{
    store_subscriber *s = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        broadcast_subscriptions(f->db.core, f->tenant_id, address, 0, NULL, &f->a, &s, &n, &err),
        0);
    return n;
}

static void subscribe(fixture *f, const char *email, const int64_t *ids, size_t n)
{
    error err;
    assert_int_equal(broadcast_subscribe(f->db.core, f->tenant_id, email, "fr", ids, n, 0, NULL,
                                         BASE_URL, NULL, NULL, &err),
                     0);
}

static void test_opt_in_tokens(void **state)
{
    fixture *f = *state;
    error err;
    int64_t ids[] = {f->works};
    subscribe(f, "Camille@Exemple.test ", ids, 1);
    /* Folded as every address guichet keeps. */
    const char *token = last_confirm_token(f, "camille@exemple.test");
    assert_true(broadcast_token_ok(token));
    assert_int_equal(active_of(f, "camille@exemple.test"), 0); /* nothing before confirmation */

    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id, "not-a-token", NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id, token, NULL, NULL, &err), 0);
    assert_int_equal(active_of(f, "camille@exemple.test"), 1);
    /* Single use. */
    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id, token, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* A new subscription of the same address replaces the first once confirmed. */
    int64_t both[] = {f->works, f->water};
    subscribe(f, "camille@exemple.test", both, 2);
    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id,
                                       last_confirm_token(f, "camille@exemple.test"), NULL, NULL,
                                       &err),
                     0);
    store_subscriber *s = NULL;
    size_t n = 0;
    assert_int_equal(broadcast_subscriptions(f->db.core, f->tenant_id, "camille@exemple.test", 0,
                                             NULL, &f->a, &s, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].n_topics, 2);

    /* Leaving by its token ends it; a second time changes nothing; an unknown one is 404. */
    const char *leave = arena_printf(&f->a, "%s", s[0].leave_token);
    assert_int_equal(broadcast_leave(f->db.core, f->tenant_id, leave, NULL, NULL, &err), 0);
    assert_int_equal(active_of(f, "camille@exemple.test"), 0);
    assert_int_equal(broadcast_leave(f->db.core, f->tenant_id, leave, NULL, NULL, &err), 0);
    char unknown[64];
    core_new_secret("", unknown, sizeof unknown);
    assert_int_equal(broadcast_leave(f->db.core, f->tenant_id, unknown, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* An expired link is refused. */
    subscribe(f, "dominique@exemple.test", ids, 1);
    const char *late = last_confirm_token(f, "dominique@exemple.test");
    shell(f, "UPDATE subscribers SET confirm_expires_at = 1 WHERE address = "
             "'dominique@exemple.test';");
    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id, late, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(active_of(f, "dominique@exemple.test"), 0);

    /* Bad inputs. */
    assert_int_equal(broadcast_subscribe(f->db.core, f->tenant_id, "pas une adresse", "fr", ids, 1,
                                         0, NULL, BASE_URL, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "email");
    const char *bad[] = {"999999"};
    int64_t picked[BROADCAST_TOPICS_MAX];
    size_t np = 0;
    assert_int_equal(broadcast_pick_topics(f->db.core, f->tenant_id, bad, 1, picked, &np, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(broadcast_pick_topics(f->db.core, f->tenant_id, NULL, 0, picked, &np, &err),
                     -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
}

/* The code of the last phone_code SMS queued for `to`. */
static const char *last_code(fixture *f, const char *to)
{
    store_outbox *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    for (size_t i = n; i-- > 0;) {
        if (strcmp(rows[i].template, "phone_code") != 0 || strcmp(rows[i].recipient, to) != 0)
            continue;
        json_t *p = json_loads(rows[i].params, 0, NULL);
        const char *code = arena_printf(&f->a, "%s", json_string_value(json_object_get(p, "code")));
        json_decref(p);
        return code;
    }
    fail_msg("no code queued for %s", to);
    return NULL;
}

/* Subscribing by number: a code by SMS, counted wrong entries, the right one confirms once;
 * a number that sent STOP is refused by the job itself, and STOP ends a subscription. */
static void test_sms_subscription(void **state)
{
    fixture *f = *state;
    error err;
    int64_t ids[] = {f->works};
    broadcast_sms_signup out;
    phone_verify_outcome o;
    assert_int_equal(sms_opt_out(f->db.core, f->tenant_id, "+33600000001", NULL, NULL, &err), 0);
    assert_int_equal(broadcast_subscribe_sms(f->db.core, f->tenant_id, "+33600000001", "fr", ids, 1,
                                             0, NULL, &out, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "phone_opted_out");
    assert_int_equal(broadcast_subscribe_sms(f->db.core, f->tenant_id, "06 00 00 00 02", "fr", ids,
                                             1, 0, NULL, &out, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "phone");

    /* Five wrong codes spend it: even the right one is refused then. */
    assert_int_equal(broadcast_subscribe_sms(f->db.core, f->tenant_id, "+33600000002", "fr", ids, 1,
                                             0, NULL, &out, NULL, NULL, &err),
                     0);
    assert_false(out.confirmed);
    assert_true(broadcast_token_ok(out.handle));
    const char *code = last_code(f, "+33600000002");
    const char *wrong = strcmp(code, "000000") == 0 ? "111111" : "000000";
    for (int i = 1; i <= PHONE_CODE_ATTEMPTS; i++) {
        assert_int_equal(broadcast_confirm_code(f->db.core, f->tenant_id, out.handle, wrong, &o,
                                                NULL, NULL, &err),
                         0);
        assert_int_equal(o, i < PHONE_CODE_ATTEMPTS ? PHONE_CODE_WRONG : PHONE_CODE_SPENT);
    }
    assert_int_equal(
        broadcast_confirm_code(f->db.core, f->tenant_id, out.handle, code, &o, NULL, NULL, &err),
        0);
    assert_int_equal(o, PHONE_CODE_SPENT);
    assert_int_equal(active_of(f, "+33600000002"), 0);

    /* Another: the right code confirms, once; the code of one subscription is no other's. */
    broadcast_sms_signup other;
    assert_int_equal(broadcast_subscribe_sms(f->db.core, f->tenant_id, "+33600000003", "en", ids, 1,
                                             0, NULL, &out, NULL, NULL, &err),
                     0);
    code = last_code(f, "+33600000003");
    assert_int_equal(broadcast_subscribe_sms(f->db.core, f->tenant_id, "+33600000004", "fr", ids, 1,
                                             0, NULL, &other, NULL, NULL, &err),
                     0);
    assert_int_equal(
        broadcast_confirm_code(f->db.core, f->tenant_id, other.handle, code, &o, NULL, NULL, &err),
        0);
    assert_int_equal(o, PHONE_CODE_WRONG);
    assert_int_equal(
        broadcast_confirm_code(f->db.core, f->tenant_id, out.handle, "12a", &o, NULL, NULL, &err),
        -1);
    assert_string_equal(err.arg, "code");
    assert_int_equal(
        broadcast_confirm_code(f->db.core, f->tenant_id, out.handle, code, &o, NULL, NULL, &err),
        0);
    assert_int_equal(o, PHONE_VERIFIED);
    assert_int_equal(active_of(f, "+33600000003"), 1);
    assert_int_equal(
        broadcast_confirm_code(f->db.core, f->tenant_id, out.handle, code, &o, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* STOP ends it, in the same write as the opt-out. */
    assert_int_equal(sms_opt_out(f->db.core, f->tenant_id, "+33600000003", NULL, NULL, &err), 0);
    assert_int_equal(active_of(f, "+33600000003"), 0);
}

static jobs_report run_jobs(fixture *f)
{
    jobs_report rep = {0};
    error err;
    assert_int_equal(jobs_run_due(f->db.core, time_now() + 1, 0, NULL, NULL, &rep, &err), 0);
    return rep;
}

static size_t outbox_of_broadcast(fixture *f, int64_t id, size_t *notices)
{
    store_outbox *rows = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    *notices = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].broadcast_id == id) {
            assert_int_equal(rows[i].priority, 1);
            k++;
        } else if (rows[i].priority == 0) {
            (*notices)++;
        }
    }
    return k;
}

static void test_batches(void **state)
{
    fixture *f = *state;
    error err;
    char sql[1024];
    /* 1,201 confirmed subscribers of «travaux», 3 of «coupure d'eau» only, 2 who left. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1206) "
             "INSERT INTO subscribers (tenant_id, channel, address, lang, confirmed_at, left_at, "
             "leave_token, created_at) SELECT %lld, 'email', 'a' || i || '@exemple.test', CASE "
             "WHEN i %% 2 = 0 THEN 'en' ELSE 'fr' END, 1, CASE WHEN i > 1204 THEN 2 END, "
             "'tok' || i, 1 FROM n; INSERT INTO subscriber_topics SELECT id, CASE WHEN "
             "address IN ('a1202@exemple.test', 'a1203@exemple.test', 'a1204@exemple.test') "
             "THEN %lld ELSE %lld END FROM subscribers WHERE leave_token LIKE 'tok%%';",
             (long long)f->tenant_id, (long long)f->water, (long long)f->works);
    shell(f, sql);

    broadcast_draft d = {.subject = "Travaux",
                         .subject_en = "Roadworks",
                         .body = "Rue fermée.",
                         .body_en = "Street closed.",
                         .email = 1,
                         .topics = {f->works},
                         .n_topics = 1};
    int64_t count = 0;
    assert_int_equal(broadcast_count(f->db.core, f->tenant_id, &d, &count, &err), 0);
    assert_int_equal(count, 1201);

    /* Only managers and admins broadcast. */
    core_actor agent = actor_of_agent(&f->agent, "test");
    int64_t id = 0;
    assert_int_equal(
        broadcast_send(f->db.core, f->tenant_id, &agent, &d, BASE_URL, &id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);

    core_actor manager = actor_of_agent(&f->manager, "test");
    assert_int_equal(
        broadcast_send(f->db.core, f->tenant_id, &manager, &d, BASE_URL, &id, NULL, NULL, &err), 0);
    assert_true(id > 0);

    size_t notices = 0;
    /* One batch per run: 500, 1000, then the last 201 and the end. */
    size_t expected[] = {BROADCAST_BATCH, 2 * BROADCAST_BATCH, 1201};
    for (size_t i = 0; i < 3; i++) {
        jobs_report rep = run_jobs(f);
        assert_int_equal(rep.done, 1);
        assert_int_equal(outbox_of_broadcast(f, id, &notices), expected[i]);
    }
    jobs_report rep = run_jobs(f);
    assert_int_equal(rep.done, 0); /* nothing left: no job ran twice */
    store_broadcast b;
    store_state_count *sc = NULL;
    size_t ns = 0;
    assert_int_equal(broadcast_get(f->db.core, f->tenant_id, id, &f->a, &b, &sc, &ns, &err), 0);
    assert_int_equal(b.recipients, 1201);
    assert_true(b.queued_at > 0);
    assert_int_equal(ns, 1);
    assert_string_equal(sc[0].state, "queued");
    assert_int_equal(sc[0].count, 1201);

    /* Each message has its own unsubscribe link and its reader's language. */
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].broadcast_id != id || strcmp(rows[i].recipient, "a2@exemple.test") != 0)
            continue;
        json_t *p = json_loads(rows[i].params, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(p, "unsubscribe_url")),
                            BASE_URL BROADCAST_LEAVE_PATH "tok2");
        assert_string_equal(json_string_value(json_object_get(p, "subject")), "Roadworks");
        assert_string_equal(rows[i].lang, "en");
        json_decref(p);
    }

    /* A notice queued after the whole broadcast is the first one due. */
    json_t *params = json_pack("{s:s}", "link", "https://ville-test.fr/x");
    assert_int_equal(outbox_add(f->db.core, f->tenant_id, "email", "urgent@exemple.test",
                                "account_login", params, "fr", 0, &err),
                     0);
    json_decref(params);
    store_outbox *due = NULL;
    size_t nd = 0;
    assert_int_equal(outbox_due(f->db.core, "email", time_now() + 1, 1, &f->a, &due, &nd, &err), 0);
    assert_int_equal(nd, 1);
    assert_string_equal(due[0].recipient, "urgent@exemple.test");
    assert_int_equal(due[0].priority, 0);
}

/* A broadcast area: the square 45.70–45.80 N, 4.80–4.90 E. */
#define CENTRE_GEOJSON                                                                             \
    "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{"         \
    "\"code\":\"centre\",\"nom\":\"Centre\"},\"geometry\":{\"type\":\"Polygon\","                  \
    "\"coordinates\":[[[4.8,45.7],[4.9,45.7],[4.9,45.8],[4.8,45.8],[4.8,45.7]]]}}]}"

static void test_areas(void **state)
{
    fixture *f = *state;
    error err;
    area_import_result res;
    long problems = 0;
    assert_int_equal(area_import(f->db.core, f->tenant_id, AREA_BROADCAST, CENTRE_GEOJSON,
                                 strlen(CENTRE_GEOJSON), NULL, NULL, &res, &problems, &err),
                     0);
    assert_int_equal(problems, 0);
    store_area *areas = NULL;
    size_t na = 0;
    assert_int_equal(area_list(f->db.core, f->tenant_id, AREA_BROADCAST, &f->a, &areas, &na, &err),
                     0);
    assert_int_equal(na, 1);

    /* Inside, outside, and without a point: all subscribed to «travaux» and confirmed. */
    int64_t ids[] = {f->works};
    const char *who[] = {"dedans@exemple.test", "dehors@exemple.test", "nulle.part@exemple.test"};
    broadcast_point at[] = {{1, 45.75, 4.85}, {1, 45.95, 4.85}, {0, 0, 0}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(broadcast_subscribe(f->db.core, f->tenant_id, who[i], "fr", ids, 1, 0,
                                             &at[i], BASE_URL, NULL, NULL, &err),
                         0);
        assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id, last_confirm_token(f, who[i]),
                                           NULL, NULL, &err),
                         0);
    }
    broadcast_point bad = {1, 123.0, 4.0};
    assert_int_equal(broadcast_subscribe(f->db.core, f->tenant_id, "x@exemple.test", "fr", ids, 1,
                                         0, &bad, BASE_URL, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "lat");

    broadcast_draft d = {.subject = "Coupure",
                         .body = "Rue fermée.",
                         .email = 1,
                         .topics = {f->works},
                         .n_topics = 1};
    const char *picked[] = {arena_printf(&f->a, "%lld", (long long)areas[0].id)};
    assert_int_equal(broadcast_pick_areas(f->db.core, f->tenant_id, picked, 1, &d, &err), 0);
    assert_int_equal(d.n_areas, 1);
    const char *unknown[] = {"424242"};
    broadcast_draft other = d;
    assert_int_equal(broadcast_pick_areas(f->db.core, f->tenant_id, unknown, 1, &other, &err), -1);
    assert_string_equal(err.arg, "areas");

    int64_t count = 0;
    assert_int_equal(broadcast_count(f->db.core, f->tenant_id, &d, &count, &err), 0);
    assert_int_equal(count, 1);
    core_actor manager = actor_of_agent(&f->manager, "test");
    int64_t id = 0;
    assert_int_equal(
        broadcast_send(f->db.core, f->tenant_id, &manager, &d, BASE_URL, &id, NULL, NULL, &err), 0);
    assert_int_equal(run_jobs(f).done, 1);
    size_t notices = 0;
    assert_int_equal(outbox_of_broadcast(f, id, &notices), 1);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, 0, &f->a, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (rows[i].broadcast_id == id)
            assert_string_equal(rows[i].recipient, "dedans@exemple.test");

    /* Without areas, all three. */
    d.n_areas = 0;
    assert_int_equal(broadcast_count(f->db.core, f->tenant_id, &d, &count, &err), 0);
    assert_int_equal(count, 3);
}

typedef struct account_job {
    store_account acc;
    int64_t id;
} account_job;

static int insert_account(store *s, void *arg, error *err)
{
    account_job *j = arg;
    return s->ops->accounts.tx_insert(s, &j->acc, &j->id, err);
}

static int delete_account(store *s, void *arg, error *err)
{
    account_job *j = arg;
    return s->ops->accounts.tx_delete(s, j->acc.tenant_id, j->id, 1, NULL, "citizen", time_now(),
                                      NULL, err);
}

/* A deleted account takes its subscriptions, and those of its address, with it (RGPD). */
static void test_account_deletion(void **state)
{
    fixture *f = *state;
    error err;
    account_job j = {.acc = {.tenant_id = f->tenant_id,
                             .email = "claude@exemple.test",
                             .password_hash = "x",
                             .display_name = "Claude",
                             .notify = "email",
                             .lang = "fr",
                             .created_at = time_now()}};
    assert_int_equal(store_write_sync(f->db.store, insert_account, &j, &err), 0);
    int64_t ids[] = {f->works};
    assert_int_equal(broadcast_subscribe(f->db.core, f->tenant_id, "claude@exemple.test", "fr", ids,
                                         1, j.id, NULL, BASE_URL, NULL, NULL, &err),
                     0);
    assert_int_equal(broadcast_confirm(f->db.core, f->tenant_id,
                                       last_confirm_token(f, "claude@exemple.test"), NULL, NULL,
                                       &err),
                     0);
    subscribe(f, "claude@exemple.test", ids, 1); /* pending, without the account */
    assert_int_equal(active_of(f, "claude@exemple.test"), 1);
    assert_int_equal(store_write_sync(f->db.store, delete_account, &j, &err), 0);
    assert_int_equal(active_of(f, "claude@exemple.test"), 0);
    store_subscriber *s = NULL;
    size_t n = 0;
    assert_int_equal(
        broadcast_subscriptions(f->db.core, f->tenant_id, NULL, j.id, NULL, &f->a, &s, &n, &err),
        0);
    assert_int_equal(n, 0);
}

static void test_draft_checks(void **state)
{
    (void)state;
    error err;
    broadcast_draft d = {.subject = "", .body = "x", .email = 1, .n_topics = 1};
    assert_int_equal(broadcast_check(&d, &err), -1);
    assert_string_equal(err.arg, "subject");
    d.subject = "Deux\r\nBcc: x@y";
    assert_int_equal(broadcast_check(&d, &err), -1);
    assert_string_equal(err.arg, "subject");
    d.subject = "Une ligne";
    d.email = 0;
    assert_int_equal(broadcast_check(&d, &err), -1);
    assert_string_equal(err.arg, "channels");
    d.email = 1;
    d.n_topics = 0;
    assert_int_equal(broadcast_check(&d, &err), -1);
    assert_string_equal(err.arg, "topics");
    d.n_topics = 1;
    assert_int_equal(broadcast_check(&d, &err), 0);
}

static void test_throttle(void **state)
{
    (void)state;
    dispatch_throttle t = {.rate = 10}; /* one every 100 ms */
    assert_int_equal(dispatch_throttle_take(&t, 1000), 0);
    assert_int_equal(dispatch_throttle_take(&t, 1000), 100);
    assert_int_equal(dispatch_throttle_take(&t, 1050), 50);
    assert_int_equal(dispatch_throttle_take(&t, 1100), 0);
    assert_int_equal(dispatch_throttle_take(&t, 1100), 100);
    /* An idle spell earns no burst: after a long pause, one, then the pace again. */
    assert_int_equal(dispatch_throttle_take(&t, 60000), 0);
    assert_int_equal(dispatch_throttle_take(&t, 60000), 100);
    dispatch_throttle none = {.rate = 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(dispatch_throttle_take(&none, 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_opt_in_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_areas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_deletion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sms_subscription, setup, teardown),
        cmocka_unit_test(test_draft_checks),
        cmocka_unit_test(test_throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dispatch — the dispatcher loop the channels share (channels/dispatch): a dispatcher
 * reads its own channel's due messages only, records what its send callback made of each
 * (sent; given up at once when refused for good; retried after the backoff; put off without
 * an attempt), and a collectivité's gateway found down holds back only that collectivité's
 * messages for the rest of the pass; the test sends' threads are waited for by
 * dispatch_test_drain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/dispatch.h"
#include "core/admin.h"
#include "core/outbox.h"
#include "util/arena.h"
#include "util/timeutil.h"

#include "test_db.h"

#define MAX_SEEN 16
/* The number whose SMS finds its collectivité's Kannel down; every other number's is sent. */
#define KANNEL_DOWN_NUMBER "+33600000000"

typedef struct fixture {
    test_db db;
    store_tenant tenant;
    arena a;
    /* What the send callback saw, from the dispatcher's thread. */
    pthread_mutex_t mu;
    int64_t seen[MAX_SEEN];
    char seen_channel[MAX_SEEN][8];
    int n_seen;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "dispatch", NULL), 0);
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    f->tenant = (store_tenant){.slug = "ville-test",
                               .name = "Ville Test",
                               .hosts = "a.test",
                               .timezone = "Europe/Paris",
                               .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &f->tenant, &f->tenant.id, &err), 0);
    arena_init(&f->a, 0);
    pthread_mutex_init(&f->mu, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_writer_stop(f->db.store);
    test_db_close(&f->db);
    arena_free(&f->a);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return 0;
}

/* The outcome is chosen by the recipient's local part. */
static void fake_send(void *ctx, const store_outbox *msg, dispatch_attempt *at)
{
    fixture *f = ctx;
    pthread_mutex_lock(&f->mu);
    if (f->n_seen < MAX_SEEN) {
        f->seen[f->n_seen] = msg->id;
        snprintf(f->seen_channel[f->n_seen], sizeof f->seen_channel[0], "%s", msg->channel);
        f->n_seen++;
    }
    pthread_mutex_unlock(&f->mu);
    const char *r = msg->recipient;
    if (strncmp(r, "ok@", 3) == 0) {
        at->sent = 1;
    } else if (strncmp(r, "refus@", 6) == 0) {
        at->permanent = 1;
        snprintf(at->why, sizeof at->why, "smtp 550: refused");
    } else if (strncmp(r, "nulle-part@", 11) == 0) {
        at->postpone_s = 300;
        snprintf(at->why, sizeof at->why, "no relay configured");
    } else if (strcmp(r, KANNEL_DOWN_NUMBER) == 0) {
        at->down = DISPATCH_DOWN_TENANT;
        snprintf(at->why, sizeof at->why, "couldn't connect");
    } else if (r[0] == '+') {
        at->sent = 1;
    } else {
        snprintf(at->why, sizeof at->why, "smtp 451: later");
    }
}

static int64_t queue_for(fixture *f, int64_t tenant_id, const char *channel, const char *recipient)
{
    error err;
    json_t *params = json_pack("{s:s}", "link", "https://a.test/l");
    assert_int_equal(outbox_add(f->db.core, tenant_id, channel, recipient, "account_login", params,
                                "fr", 0, &err),
                     0);
    json_decref(params);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, tenant_id, 0, &f->a, &rows, &n, &err), 0);
    assert_true(n > 0);
    return rows[n - 1].id;
}

static int64_t queue(fixture *f, const char *channel, const char *recipient)
{
    return queue_for(f, f->tenant.id, channel, recipient);
}

static int seen_count(fixture *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->n_seen;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Waits (up to 5 s) for the callback to have been called at least n times. */
static void wait_seen(fixture *f, int n)
{
    for (int i = 0; i < 500 && seen_count(f) < n; i++)
        usleep(10 * 1000);
    assert_true(seen_count(f) >= n);
}

static store_outbox row_of(fixture *f, int64_t tenant_id, int64_t id)
{
    error err;
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, tenant_id, 0, &f->a, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id)
            return rows[i];
    fail_msg("outbox row %lld not found", (long long)id);
    return (store_outbox){0};
}

static store_outbox row(fixture *f, int64_t id)
{
    return row_of(f, f->tenant.id, id);
}

static dispatcher *start(fixture *f, const char *channel)
{
    error err;
    /* A long poll: the first pass, at start, is the only one the test watches. */
    dispatch_config dc = {.channel = channel,
                          .log_name = "test",
                          .poll_ms = 60000,
                          .backoff_s = 30,
                          .send = fake_send,
                          .ctx = f};
    dispatcher *d = dispatcher_start(f->db.core, &dc, &err);
    assert_non_null(d);
    return d;
}

static void test_outcomes_recorded(void **state)
{
    fixture *f = *state;
    int64_t sms = queue(f, "sms", "+33612345678");
    int64_t ok = queue(f, "email", "ok@exemple.test");
    int64_t refused = queue(f, "email", "refus@exemple.test");
    int64_t later = queue(f, "email", "plus-tard@exemple.test");
    int64_t nowhere = queue(f, "email", "nulle-part@exemple.test");
    int64_t t0 = time_now();
    dispatcher *d = start(f, "email");
    wait_seen(f, 4);
    dispatcher_stop(d);

    /* The e-mail dispatcher never saw the SMS, which stays queued for its own. */
    assert_int_equal(seen_count(f), 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(f->seen_channel[i], "email");
        assert_true(f->seen[i] != sms);
    }
    assert_int_equal(row(f, sms).attempts, 0);
    assert_string_equal(row(f, sms).state, "queued");

    store_outbox r = row(f, ok);
    assert_string_equal(r.state, "sent");
    assert_true(r.sent_at >= t0);
    r = row(f, refused);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.last_error, "smtp 550: refused");
    r = row(f, later);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.attempts, 1);
    assert_true(r.next_attempt_at >= t0 + 30 && r.next_attempt_at <= time_now() + 30);
    /* Put off without an attempt counted. */
    r = row(f, nowhere);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.attempts, 0);
    assert_true(r.next_attempt_at >= t0 + 300);
    assert_string_equal(r.last_error, "no relay configured");
}

static void test_down_holds_its_tenant(void **state)
{
    fixture *f = *state;
    error err;
    store_tenant other = {.slug = "autre-ville",
                          .name = "Autre Ville",
                          .hosts = "b.test",
                          .timezone = "Europe/Paris",
                          .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &other, &other.id, &err), 0);
    /* The first SMS finds its collectivité's Kannel down: that collectivité's next one waits
     * for a later pass, the other collectivité's (behind both in the due list) goes. */
    int64_t down = queue(f, "sms", KANNEL_DOWN_NUMBER);
    int64_t held = queue(f, "sms", "+33611111111");
    int64_t elsewhere = queue_for(f, other.id, "sms", "+33622222222");
    dispatcher *d = start(f, "sms");
    wait_seen(f, 2);
    usleep(300 * 1000); /* the rest of the pass, had it gone on */
    dispatcher_stop(d);
    assert_int_equal(seen_count(f), 2);
    assert_int_equal(f->seen[0], down);
    assert_int_equal(f->seen[1], elsewhere);
    store_outbox r = row(f, down);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.failed, 0);
    assert_string_equal(r.last_error, "couldn't connect");
    r = row(f, held);
    assert_int_equal(r.attempts, 0);
    assert_string_equal(r.state, "queued");
    r = row_of(f, other.id, elsewhere);
    assert_string_equal(r.state, "sent");
}

/* Queues n broadcast messages (priority 1) of one broadcast to ok@ addresses. */
typedef struct bulk_arg {
    int64_t tenant_id;
    int n;
} bulk_arg;

static int apply_bulk(store *s, void *arg, error *err)
{
    bulk_arg *b = arg;
    store_broadcast bc = {.tenant_id = b->tenant_id,
                          .subject = "Travaux",
                          .body = "Rue fermée.",
                          .channels = "[\"email\"]",
                          .topics = "[]",
                          .base_url = "https://a.test",
                          .created_by = "test"};
    int64_t id = 0;
    if (s->ops->broadcasts.tx_broadcast_insert(s, &bc, &id, err) != 0)
        return -1;
    for (int i = 0; i < b->n; i++) {
        char to[64];
        snprintf(to, sizeof to, "ok@%d.exemple.test", i);
        json_t *params = json_pack("{s:s}", "body", "Rue fermée.");
        int rc = outbox_add_broadcast_tx(s, b->tenant_id, "email", to, "broadcast", params, "fr",
                                         id, err);
        json_decref(params);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int64_t rate_asked_for; /* the tenant the last rate was asked for */

static int rate_of(void *ctx, int64_t tenant_id)
{
    (void)ctx;
    rate_asked_for = tenant_id;
    return 10;
}

static void test_broadcast_outcomes_batched(void **state)
{
    fixture *f = *state;
    error err;
    bulk_arg b = {.tenant_id = f->tenant.id, .n = 6};
    assert_int_equal(store_write_sync(f->db.store, apply_bulk, &b, &err), 0);
    int64_t notice = queue(f, "email", "ok@notice.exemple.test");
    store_writer_stats before, after;
    store_writer_get_stats(f->db.store, &before);
    /* The collectivité's own rate, 10 a second: six broadcast messages wait for their slots
     * inside the pass (0.5 s at least), and their outcomes make one write. */
    dispatch_config dc = {.channel = "email",
                          .log_name = "test",
                          .poll_ms = 60000,
                          .broadcast_rate = 1000,
                          .broadcast_rate_of = rate_of,
                          .send = fake_send,
                          .ctx = f};
    int64_t t0 = time_mono_ms();
    dispatcher *d = dispatcher_start(f->db.core, &dc, &err);
    assert_non_null(d);
    wait_seen(f, 7);
    int64_t took = time_mono_ms() - t0;
    usleep(200 * 1000); /* the pass's end and its write */
    store_writer_get_stats(f->db.store, &after);
    dispatcher_stop(d);
    assert_int_equal(rate_asked_for, f->tenant.id);
    assert_true(took >= 450);
    /* The notice first, recorded alone; then the broadcast's six in one job. */
    assert_int_equal(f->seen[0], notice);
    assert_int_equal(after.jobs - before.jobs, 2);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant.id, 0, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].state, "sent");
}

/* A batch is all or nothing, each outcome as outbox_record writes it. */
static void test_record_batch(void **state)
{
    fixture *f = *state;
    error err;
    int64_t a = queue(f, "email", "ok@exemple.test");
    int64_t b = queue(f, "email", "plus-tard@exemple.test");
    int64_t c = queue(f, "email", "vite@exemple.test");
    /* The gateway reported c delivered before the send's outcome was recorded: it stays so. */
    assert_int_equal(
        outbox_delivery(f->db.core, row(f, c).message_id, "delivered", NULL, NULL, NULL, &err), 0);
    int64_t now = time_now();
    outbox_outcome o[3] = {
        {.id = a, .sent = 1, .attempts = 1, .when = now},
        {.id = b,
         .attempts = 1,
         .when = now,
         .next_attempt_at = now + 60,
         .last_error = "smtp 451: later"},
        {.id = c, .sent = 1, .attempts = 1, .when = now},
    };
    assert_int_equal(outbox_record_batch(f->db.core, o, 3, &err), 0);
    assert_string_equal(row(f, a).state, "sent");
    assert_string_equal(row(f, c).state, "delivered");
    assert_true(row(f, c).sent_at >= now);
    store_outbox r = row(f, b);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.next_attempt_at, now + 60);
    assert_string_equal(r.last_error, "smtp 451: later");
    assert_int_equal(outbox_record_batch(f->db.core, o, 0, &err), 0);
    assert_int_equal(outbox_record_batch(f->db.core, o, OUTBOX_RECORD_BATCH_MAX + 1, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
}

/* ---- the test threads ---- */

/* A test send that takes its time, as a relay reaching its timeout would. */
static int slow_try(const dispatch_test *t, error *err)
{
    (void)err;
    usleep(200 * 1000);
    snprintf(t->answer, t->cap, "250 ok %s", t->to);
    return 0;
}

typedef struct slow {
    pthread_mutex_t mu;
    int done, rc;
} slow;

static void slow_done(void *ctx, int rc, const error *err)
{
    (void)err;
    slow *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    s->rc = rc;
    pthread_mutex_unlock(&s->mu);
}

static void test_drain_waits(void **state)
{
    (void)state;
    slow s = {.done = 0};
    pthread_mutex_init(&s.mu, NULL);
    error err;
    char answer[64] = "stale";
    assert_int_equal(dispatch_test_send(NULL, 1, "ok@exemple.test", NULL, "essai", answer,
                                        sizeof answer, slow_try, slow_done, &s, &err),
                     0);
    dispatch_test_drain();
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.done, 1);
    assert_int_equal(s.rc, 0);
    pthread_mutex_unlock(&s.mu);
    assert_string_equal(answer, "250 ok ok@exemple.test");
    pthread_mutex_destroy(&s.mu);
    dispatch_test_drain(); /* none left: returns at once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outcomes_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_holds_its_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_outcomes_batched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_batch, setup, teardown),
        cmocka_unit_test(test_drain_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

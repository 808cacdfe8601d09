/*
 * Unit tests of what follows an e-mail that cannot reach the citizen (core/mail_fallback):
 * the decision (the citizen's own e-mail only; SMS when there is a number and SMS can go,
 * else a letter), and, on a real SQLite database, a message given up or bounced queuing the
 * same notice on channel sms, or flagging the request «à envoyer par courrier» with its
 * timeline event — in the job that records the failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/mail_fallback.h"
#include "core/sms.h"
#include "core/outbox.h"
#include "core/request.h"
#include "store/store.h"
#include "test_db.h"

static void test_decide(void **state)
{
    (void)state;
    const char *mail = "claire@example.org";
    assert_int_equal(mail_fallback_decide("email", mail, mail, "+33601020304", 1),
                     MAIL_FALLBACK_SMS);
    assert_int_equal(mail_fallback_decide("email", "CLAIRE@example.org", mail, "+33601020304", 1),
                     MAIL_FALLBACK_SMS);
    /* No SMS for the collectivité, or no number: a letter. */
    assert_int_equal(mail_fallback_decide("email", mail, mail, "+33601020304", 0),
                     MAIL_FALLBACK_LETTER);
    assert_int_equal(mail_fallback_decide("email", mail, mail, NULL, 1), MAIL_FALLBACK_LETTER);
    assert_int_equal(mail_fallback_decide("email", mail, mail, "", 1), MAIL_FALLBACK_LETTER);
    /* An agent's notice about the request, or an SMS that failed: nothing. */
    assert_int_equal(mail_fallback_decide("email", "agent@ville.fr", mail, "+33601020304", 1),
                     MAIL_FALLBACK_NONE);
    assert_int_equal(mail_fallback_decide("sms", "+33601020304", mail, "+33601020304", 1),
                     MAIL_FALLBACK_NONE);
    assert_int_equal(mail_fallback_decide("email", mail, NULL, "+33601020304", 1),
                     MAIL_FALLBACK_NONE);
}

typedef test_town fixture;

/* Gives the collectivité an SMS gateway: the fallback may then go by SMS. */
static void sms_on(fixture *f)
{
    sms_gateway_input in = {.sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms",
                            .username = "guichet",
                            .password = "secret"};
    error err;
    assert_int_equal(sms_gateway_set(f->db.core, &actor_cli, f->tenant_id, &in, NULL, NULL, &err),
                     0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(f, "mail-fallback"), 0);
    assert_int_equal(test_db_add_incident(&f->db, f->tenant_id, "voirie", "Voirie", 0), 0);
    assert_int_equal(test_town_read(f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_town_close(f);
    free(f);
    return 0;
}

/* Files a request (phone may be NULL); returns its id and, in *ack, its acknowledgement. */
static int64_t file(fixture *f, const char *phone, store_outbox *ack)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "voirie"),
                        .ch = CHANNEL_WEB,
                        .description = "Nid-de-poule devant l'école",
                        .email = "claire@example.org",
                        .phone = phone,
                        .ack_base_url = "https://ville-test.fr"};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, out.id, &f->a, &rows, &n, &err),
        0);
    assert_int_equal(n, 1);
    *ack = rows[0];
    return out.id;
}

/* The relay refused the message for good, as the dispatcher records it. */
static void refused(fixture *f, const store_outbox *m)
{
    outbox_outcome o = {.id = m->id,
                        .attempts = 1,
                        .when = 1790000000,
                        .next_attempt_at = 1790000030,
                        .failed = 1,
                        .last_error = "smtp 550: Failed sending data to the peer",
                        .message_id = m->message_id};
    error err;
    assert_int_equal(outbox_record(f->db.core, &o, NULL, NULL, &err), 0);
}

static size_t events_of(fixture *f, int64_t request_id, const char *kind)
{
    store_event *ev = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(f->db.store->ops->events.list(f->db.store, f->tenant_id, request_id, 0, &f->a,
                                                   &ev, &n, &err),
                     0);
    for (size_t i = 0; i < n; i++)
        k += strcmp(ev[i].kind, kind) == 0;
    return k;
}

static void test_sms_when_possible(void **state)
{
    fixture *f = *state;
    sms_on(f);
    store_outbox ack;
    int64_t id = file(f, "+33601020304", &ack);
    refused(f, &ack);
    store_outbox *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, id, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].state, OUTBOX_STATE_FAILED);
    /* The same notice on the other channel: template, params and language. */
    assert_string_equal(rows[1].channel, "sms");
    assert_string_equal(rows[1].recipient, "+33601020304");
    assert_string_equal(rows[1].template, ack.template);
    assert_string_equal(rows[1].params, ack.params);
    assert_string_equal(rows[1].lang, ack.lang);
    assert_string_equal(rows[1].state, OUTBOX_STATE_QUEUED);
    int on = 1;
    assert_int_equal(mail_fallback_letter_due(f->db.core, f->tenant_id, id, &on, &err), 0);
    assert_int_equal(on, 0);
    assert_int_equal(events_of(f, id, MAIL_FALLBACK_LETTER_EVENT), 0);
    assert_int_equal(events_of(f, id, OUTBOX_DELIVERY_EVENT), 1);
}

static void test_letter_otherwise(void **state)
{
    fixture *f = *state;
    /* A number, but no SMS for the collectivité: a letter. */
    store_outbox ack;
    int64_t id = file(f, "+33601020304", &ack);
    refused(f, &ack);
    int on = 0;
    error err;
    assert_int_equal(mail_fallback_letter_due(f->db.core, f->tenant_id, id, &on, &err), 0);
    assert_int_equal(on, 1);
    assert_int_equal(events_of(f, id, MAIL_FALLBACK_LETTER_EVENT), 1);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, id, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 1);

    /* A bounce reported after the relay took it: the same, once sent (params cleared). */
    sms_on(f);
    store_outbox ack2;
    int64_t id2 = file(f, "+33601020305", &ack2);
    outbox_outcome o = {
        .id = ack2.id, .sent = 1, .when = 1790000000, .message_id = ack2.message_id};
    assert_int_equal(outbox_record(f->db.core, &o, NULL, NULL, &err), 0);
    assert_int_equal(outbox_delivery(f->db.core, ack2.message_id, OUTBOX_STATE_BOUNCED,
                                     "550 5.1.1 mailbox unknown", NULL, NULL, &err),
                     0);
    assert_int_equal(mail_fallback_letter_due(f->db.core, f->tenant_id, id2, &on, &err), 0);
    assert_int_equal(on, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test_setup_teardown(test_sms_when_possible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_letter_otherwise, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

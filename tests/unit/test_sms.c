/*
 * test_sms — the SMS channel's pure parts: STOP, START and their variants and the senders
 * that take an answer (core/sms), the gateway settings' checks (the broadcast rate's bounds), the
 * channel a citizen's notice takes (core/outbox), the sendsms request (channels/sms: every value
 * percent-encoded, UCS-2 flagged, delivery reports asked with the message's id) and Kannel's
 * callback parameters and DLR statuses (channels/sms/sms_in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "channels/sms/sms.h"
#include "channels/sms/sms_in.h"
#include "core/outbox.h"
#include "core/sms.h"

static void stop_words(void **state)
{
    (void)state;
    static const char *const stops[] = {"STOP",  "stop",     " Stop. ",    "ARRET",     "Arrêt",
                                        "ARRÊT", "stop sms", "STOP  SMS!", "arret sms", "STOPSMS"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        assert_true(sms_is_stop(stops[i]));
    static const char *const others[] = {"",         "stopper", "STOP le bruit svp",
                                         "non stop", "ARRETEZ", "2026-000123 stop ?"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        assert_false(sms_is_stop(others[i]));
}

static void start_words(void **state)
{
    (void)state;
    static const char *const starts[] = {"START", "start", " Start! ", "start sms", "STARTSMS"};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        assert_true(sms_is_start(starts[i]));
        assert_false(sms_is_stop(starts[i]));
    }
    static const char *const others[] = {"", "starter", "START le chantier", "STOP", "re start"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        assert_false(sms_is_start(others[i]));
}

/* Only a number takes an answer (STOP, START): an alphanumeric sender does not. */
static void reply_numbers(void **state)
{
    (void)state;
    assert_true(sms_sender_is_number("38100"));
    assert_true(sms_sender_is_number("+33612345678"));
    assert_false(sms_sender_is_number("MAIRIE"));
    assert_false(sms_sender_is_number("3810A"));
    assert_false(sms_sender_is_number("+"));
    assert_false(sms_sender_is_number(""));
    assert_false(sms_sender_is_number(NULL));
}

static void gateway_checks(void **state)
{
    (void)state;
    error e;
    sms_gateway_input in = {.sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms",
                            .username = "guichet",
                            .password = "s3cret",
                            .sender = "MAIRIE"};
    assert_int_equal(sms_gateway_check(&in, 0, &e), 0);
    in.sender = "+33612345678";
    assert_int_equal(sms_gateway_check(&in, 0, &e), 0);
    in.sender = "MAIRIEDEDEMO"; /* 12 letters */
    assert_int_equal(sms_gateway_check(&in, 0, &e), -1);
    assert_string_equal(e.arg, "sender");
    in.sender = "";
    in.password = "";
    assert_int_equal(sms_gateway_check(&in, 0, &e), -1);
    assert_string_equal(e.arg, "password");
    assert_int_equal(sms_gateway_check(&in, 1, &e), 0); /* the stored one is kept */
    in.sendsms_url = "ftp://kannel/";
    assert_int_equal(sms_gateway_check(&in, 1, &e), -1);
    assert_string_equal(e.arg, "sendsms_url");
    in.sendsms_url = "http://kannel/ send";
    assert_int_equal(sms_gateway_check(&in, 1, &e), -1);
    in.sendsms_url = "https://kannel.ville.fr/cgi-bin/sendsms";
    in.username = "a b";
    assert_int_equal(sms_gateway_check(&in, 1, &e), -1);
    assert_string_equal(e.arg, "username");
    /* The broadcast rate: none (the default), or 1 to SMS_BROADCAST_RATE_MAX. */
    in.username = "guichet";
    static const char *const rates_ok[] = {"", "1", "10", "100"};
    for (size_t i = 0; i < sizeof rates_ok / sizeof rates_ok[0]; i++) {
        in.broadcast_rate = rates_ok[i];
        assert_int_equal(sms_gateway_check(&in, 1, &e), 0);
    }
    static const char *const rates_bad[] = {"0", "101", "99999999999", "-5", "1.5", "dix"};
    for (size_t i = 0; i < sizeof rates_bad / sizeof rates_bad[0]; i++) {
        in.broadcast_rate = rates_bad[i];
        assert_int_equal(sms_gateway_check(&in, 1, &e), -1);
        assert_string_equal(e.arg, "broadcast_rate");
    }
}

static void citizen_channel(void **state)
{
    (void)state;
    const char *to = NULL;
    assert_string_equal(outbox_citizen_channel("sms", "a@b.fr", "+33612345678", &to), "sms");
    assert_string_equal(to, "+33612345678");
    assert_string_equal(outbox_citizen_channel("email", "a@b.fr", "+33612345678", &to), "email");
    assert_string_equal(to, "a@b.fr");
    assert_string_equal(outbox_citizen_channel(NULL, "a@b.fr", NULL, &to), "email");
    assert_null(outbox_citizen_channel("none", "a@b.fr", "+33612345678", &to));
    assert_null(to);
    /* SMS chosen without a usable number: e-mail when there is an address. */
    assert_string_equal(outbox_citizen_channel("sms", "a@b.fr", "", &to), "email");
    assert_string_equal(outbox_citizen_channel("sms", "a@b.fr", "appelez la mairie", &to), "email");
    assert_null(outbox_citizen_channel("sms", NULL, "06 12", &to));
    assert_null(outbox_citizen_channel("email", NULL, "+33612345678", &to));
}

static void sendsms_request(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    sms_gateway g = {.sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms",
                     .username = "guichet",
                     .sender = "MAIRIE"};
    snprintf(g.password, sizeof g.password, "%s", "p&ss w");
    const char *u = sms_sendsms_url(&a, &g, "+33612345678", "Demande traitée", NULL);
    assert_string_equal(u, "http://127.0.0.1:13013/cgi-bin/sendsms?username=guichet&password="
                           "p%26ss%20w&to=%2B33612345678&text=Demande%20trait%C3%A9e&from=MAIRIE&"
                           "charset=UTF-8");
    /* A character outside GSM-7 (ç): UCS-2; a message id and a key: delivery reports. */
    g.sender = NULL;
    g.callback_base = "https://grc.ville.fr";
    snprintf(g.dlr_key, sizeof g.dlr_key, "%s", "k+y");
    u = sms_sendsms_url(&a, &g, "+33612345678", "Reçu", "0123456789abcdef0123456789abcdef");
    assert_non_null(strstr(u, "&text=Re%C3%A7u&charset=UTF-8&coding=2&dlr-mask=31&dlr-url="
                              "https%3A%2F%2Fgrc.ville.fr%2Fpasserelle%2Fsms%2Fdlr%3Fkey%3Dk%252By"
                              "%26id%3D0123456789abcdef0123456789abcdef%26status%3D%25d"));
    assert_null(strstr(u, "from="));
    /* Without a key, no report is asked for. */
    g.dlr_key[0] = '\0';
    u = sms_sendsms_url(&a, &g, "+33612345678", "x", "0123456789abcdef0123456789abcdef");
    assert_null(strstr(u, "dlr-"));
    arena_free(&a);
}

static void callback_params(void **state)
{
    (void)state;
    error e;
    sms_in_params p = {.key = "k", .from_typed = "06 12 34 56 78", .text = "Bonjour"};
    assert_int_equal(sms_in_check(&p, &e), 0);
    assert_string_equal(p.from, "+33612345678");
    p.from_typed = NULL;
    assert_int_equal(sms_in_check(&p, &e), -1);
    assert_int_equal(e.code, ERR_MISSING_ARG);
    assert_string_equal(e.arg, "from");
    p.from_typed = "+33612345678";
    p.text = "a\x01"
             "b";
    assert_int_equal(sms_in_check(&p, &e), -1);
    assert_string_equal(e.arg, "text");
    char long_text[SMS_IN_TEXT_MAX + 2];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    p.text = long_text;
    assert_int_equal(sms_in_check(&p, &e), -1);
    assert_string_equal(e.arg, "text");
    p.text = "ok";
    p.key = NULL;
    assert_int_equal(sms_in_check(&p, &e), -1);
    assert_string_equal(e.arg, "key");
}

static void dlr_states(void **state)
{
    (void)state;
    assert_string_equal(sms_dlr_state("1"), "delivered");
    assert_string_equal(sms_dlr_state("2"), "failed");
    assert_string_equal(sms_dlr_state("4"), "");
    assert_string_equal(sms_dlr_state("8"), "sent");
    assert_string_equal(sms_dlr_state("16"), "failed");
    assert_null(sms_dlr_state("3"));
    assert_null(sms_dlr_state("01"));
    assert_null(sms_dlr_state(""));
    assert_null(sms_dlr_state(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_words),      cmocka_unit_test(start_words),
        cmocka_unit_test(reply_numbers),   cmocka_unit_test(gateway_checks),
        cmocka_unit_test(citizen_channel), cmocka_unit_test(sendsms_request),
        cmocka_unit_test(callback_params), cmocka_unit_test(dlr_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

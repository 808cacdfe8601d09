/*
 * test_mail_settings — unit tests of a collectivité's e-mail settings' checks: the relay URL
 * (schemes, port, no user part, no query, length), and every field of the form with the
 * problem it is reported with (one per field, in the form's order).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mail_settings.h"

static void test_url_parse(void **state)
{
    (void)state;
    int tls = -1;
    char host[256];
    size_t auth = 0;
    assert_int_equal(
        mail_settings_url_parse("smtp://127.0.0.1:2525", &tls, host, sizeof host, &auth), 0);
    assert_int_equal(tls, 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(auth, strlen("smtp://127.0.0.1:2525"));
    assert_int_equal(mail_settings_url_parse("smtps://smtp.ville.fr:465/guichet.ville.fr", &tls,
                                             host, sizeof host, &auth),
                     0);
    assert_int_equal(tls, 1);
    assert_string_equal(host, "smtp.ville.fr");
    assert_int_equal(auth, strlen("smtps://smtp.ville.fr:465"));
    assert_int_equal(mail_settings_url_parse("smtp://[::1]:25", &tls, host, sizeof host, &auth), 0);
    assert_string_equal(host, "[::1]");
    const char *bad[] = {
        "http://smtp.ville.fr",      "smtp://",         "smtp://user:pw@smtp.ville.fr",
        "smtp://smtp.ville.fr:port", "smtp://h:123456", "smtp://smtp.ville.fr/?x=1",
        "smtp://smtp ville.fr",      "smtp://:25",      "smtp://smtp.ville.fr#x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mail_settings_url_parse(bad[i], &tls, host, sizeof host, &auth), -1);
    char longer[300];
    memset(longer, 'a', sizeof longer);
    memcpy(longer, "smtp://", 7);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(mail_settings_url_parse(longer, &tls, host, sizeof host, &auth), -1);
}

static mail_settings_input empty_input(void)
{
    mail_settings_input in = {
        .smtp_url = "",
        .smtp_user = "",
        .smtp_password = "",
        .from_addr = "",
        .from_name = "",
        .reply_local = "",
        .reply_domain = "",
    };
    return in;
}

static void test_check_good(void **state)
{
    (void)state;
    mail_settings_problem pb[MAIL_SETTINGS_PROBLEMS_MAX];
    mail_settings_input in = empty_input();
    /* Nothing set: the server's relay and sender. */
    assert_int_equal(mail_settings_check(&in, pb, MAIL_SETTINGS_PROBLEMS_MAX), 0);
    in.smtp_url = "smtps://smtp.ville.fr:465";
    in.smtp_user = "guichet@ville.fr";
    in.smtp_password = "s3cret pass";
    in.from_addr = "ne-pas-repondre@ville.fr";
    in.from_name = "Mairie de Démo";
    in.reply_local = "demandes";
    in.reply_domain = "reponses.ville.fr";
    assert_int_equal(mail_settings_check(&in, pb, MAIL_SETTINGS_PROBLEMS_MAX), 0);
}

static void expect(const mail_settings_problem *pb, size_t i, const char *field,
                   mail_problem_kind kind)
{
    assert_string_equal(pb[i].field, field);
    assert_int_equal(pb[i].kind, kind);
}

static void test_check_problems(void **state)
{
    (void)state;
    mail_settings_problem pb[MAIL_SETTINGS_PROBLEMS_MAX];
    mail_settings_input in = empty_input();
    in.smtp_url = "smtp://relais.ville.fr";
    in.smtp_user = "nom avec espace";
    in.reply_local = "demandes+1";
    size_t n = mail_settings_check(&in, pb, MAIL_SETTINGS_PROBLEMS_MAX);
    assert_int_equal(n, 4);
    expect(pb, 0, "smtp_user", MAIL_PROBLEM_BAD);
    /* A relay of its own needs its sender. */
    expect(pb, 1, "from_addr", MAIL_PROBLEM_REQUIRED);
    expect(pb, 2, "reply_local", MAIL_PROBLEM_BAD);
    /* The local part without a domain. */
    expect(pb, 3, "reply_domain", MAIL_PROBLEM_REQUIRED);

    in = empty_input();
    in.reply_domain = "ville.fr";
    in.from_addr = "pas-une-adresse";
    in.from_name = "Nom\x01";
    char pw[80];
    memset(pw, 'p', sizeof pw);
    pw[sizeof pw - 1] = '\0';
    in.smtp_password = pw;
    n = mail_settings_check(&in, pb, MAIL_SETTINGS_PROBLEMS_MAX);
    assert_int_equal(n, 4);
    expect(pb, 0, "smtp_password", MAIL_PROBLEM_TOO_LONG);
    expect(pb, 1, "from_addr", MAIL_PROBLEM_BAD);
    expect(pb, 2, "from_name", MAIL_PROBLEM_BAD);
    expect(pb, 3, "reply_local", MAIL_PROBLEM_REQUIRED);

    in = empty_input();
    in.smtp_url = "smtp://user@relais.ville.fr";
    in.from_addr = "x@ville.fr";
    in.reply_local = "une-partie-locale-bien-trop-longue-pour-un-jeton";
    in.reply_domain = "ville..fr";
    n = mail_settings_check(&in, pb, 2);
    /* All are counted; only cap are written. */
    assert_int_equal(n, 3);
    expect(pb, 0, "smtp_url", MAIL_PROBLEM_BAD);
    expect(pb, 1, "reply_local", MAIL_PROBLEM_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_check_good),
        cmocka_unit_test(test_check_problems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_sms_keyword — the SMS report keywords' pure parts (core/sms_keyword): a keyword as an
 * administrator types it (one word of letters and digits, case and accents aside, STOP and
 * ARRET kept for opting out), the first word of an SMS and what follows it, and the bucket
 * the SMS entrance limits reports with (one a minute from a number: http/ratelimit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/sms_keyword.h"
#include "http/ratelimit.h"

static void normalise_folds(void **state)
{
    (void)state;
    char out[SMS_KEYWORD_FOLDED_MAX + 1];
    static const struct {
        const char *typed, *folded;
    } ok[] = {{"TROU", "trou"},
              {" Trou\t", "trou"},
              {"Éclairage", "eclairage"},
              {"ÉCLAIRAGE", "eclairage"},
              {"voirie2", "voirie2"},
              {"Cœur", "coeur"},
              {"12", "12"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(sms_keyword_normalise(ok[i].typed, out, sizeof out), SMS_KEYWORD_OK);
        assert_string_equal(out, ok[i].folded);
    }
}

static void normalise_refusals(void **state)
{
    (void)state;
    char out[SMS_KEYWORD_FOLDED_MAX + 1];
    assert_int_equal(sms_keyword_normalise(NULL, out, sizeof out), SMS_KEYWORD_EMPTY);
    assert_int_equal(sms_keyword_normalise("  ", out, sizeof out), SMS_KEYWORD_EMPTY);
    assert_int_equal(sms_keyword_normalise("nid de poule", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_int_equal(sms_keyword_normalise("nid-de-poule", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_int_equal(sms_keyword_normalise("trou!", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_int_equal(sms_keyword_normalise("trou€", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_int_equal(sms_keyword_normalise("l’église", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_int_equal(sms_keyword_normalise("abcdefghijklmnopqrstu", out, sizeof out),
                     SMS_KEYWORD_TOO_LONG);
    assert_int_equal(sms_keyword_normalise("abcdefghijklmnopqrst", out, sizeof out),
                     SMS_KEYWORD_OK);
    assert_int_equal(sms_keyword_normalise("Stop", out, sizeof out), SMS_KEYWORD_RESERVED);
    assert_int_equal(sms_keyword_normalise("ARRÊT", out, sizeof out), SMS_KEYWORD_RESERVED);
    assert_int_equal(sms_keyword_normalise("stopsms", out, sizeof out), SMS_KEYWORD_RESERVED);
    assert_int_equal(sms_keyword_normalise("\xff\xfe", out, sizeof out), SMS_KEYWORD_NOT_WORD);
    assert_string_equal(sms_keyword_problem_name(SMS_KEYWORD_TAKEN), "taken");
    assert_string_equal(sms_keyword_problem_name(SMS_KEYWORD_NOT_WORD), "not_word");
}

static void first_word(void **state)
{
    (void)state;
    char w[SMS_KEYWORD_FOLDED_MAX + 1];
    const char *rest = NULL;
    assert_true(sms_keyword_first("TROU 12 rue de la Paix", w, sizeof w, &rest));
    assert_string_equal(w, "trou");
    assert_string_equal(rest, "12 rue de la Paix");
    assert_true(sms_keyword_first("  éclairage:  lampadaire éteint", w, sizeof w, &rest));
    assert_string_equal(w, "eclairage");
    assert_string_equal(rest, "lampadaire éteint");
    assert_true(sms_keyword_first("Trou, devant l'école", w, sizeof w, &rest));
    assert_string_equal(w, "trou");
    assert_string_equal(rest, "devant l'école");
    assert_true(sms_keyword_first("TROU", w, sizeof w, &rest));
    assert_string_equal(rest, "");
    assert_false(sms_keyword_first("", w, sizeof w, &rest));
    assert_false(sms_keyword_first("   ", w, sizeof w, &rest));
    assert_false(sms_keyword_first("?? trou", w, sizeof w, &rest));
    assert_false(sms_keyword_first("nid-de-poule rue X", w, sizeof w, &rest));
    assert_false(sms_keyword_first("abcdefghijklmnopqrstuvwxyz rue X", w, sizeof w, &rest));
    assert_false(sms_keyword_first("STOP", w, sizeof w, &rest)); /* never a keyword */
}

/* The entrance's bucket: 1/60 token a second, burst 1 — one report, then none for a minute. */
static void one_report_a_minute(void **state)
{
    (void)state;
    ratelimit *rl = ratelimit_new(1.0 / 60.0, 1);
    assert_non_null(rl);
    int64_t t0 = 1000000;
    assert_int_equal(ratelimit_take(rl, "sms-report:1:+33612345678", t0), 0);
    int wait = ratelimit_take(rl, "sms-report:1:+33612345678", t0 + 1000);
    assert_true(wait >= 1 && wait <= 60);
    /* Another number is not held back. */
    assert_int_equal(ratelimit_take(rl, "sms-report:1:+33698765432", t0 + 1000), 0);
    assert_true(ratelimit_take(rl, "sms-report:1:+33612345678", t0 + 59000) >= 1);
    assert_int_equal(ratelimit_take(rl, "sms-report:1:+33612345678", t0 + 60001), 0);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalise_folds),
        cmocka_unit_test(normalise_refusals),
        cmocka_unit_test(first_word),
        cmocka_unit_test(one_report_a_minute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

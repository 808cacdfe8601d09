/*
 * test_sms_text — phone numbers in E.164 (util/phone) and the length of an SMS as the
 * network counts it (util/sms_text): GSM-7 and its extension table, UCS-2, folding of French
 * typography, and cutting a long text with a link so that it fits in one SMS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/phone.h"
#include "util/sms_text.h"

static void expect_phone(const char *in, const char *e164)
{
    char out[PHONE_E164_MAX];
    phone_result r;
    int rc = phone_e164(in, out, &r);
    if (rc != 0)
        print_error("%s refused: %s\n", in, phone_problem_name(r.problem));
    assert_int_equal(rc, 0);
    assert_string_equal(out, e164);
    assert_true(phone_is_e164(out));
}

static void expect_refused(const char *in, phone_problem p, int got)
{
    char out[PHONE_E164_MAX];
    phone_result r;
    assert_int_equal(phone_e164(in, out, &r), -1);
    assert_int_equal(r.problem, p);
    assert_int_equal(r.got, got);
    assert_string_equal(out, "");
}

static void phone_french_forms(void **state)
{
    (void)state;
    expect_phone("06 12 34 56 78", "+33612345678");
    expect_phone("0612345678", "+33612345678");
    expect_phone("06.12.34.56.78", "+33612345678");
    expect_phone("06-12-34-56-78", "+33612345678");
    expect_phone("+33 6 12 34 56 78", "+33612345678");
    expect_phone("+33 (0)6 12 34 56 78", "+33612345678");
    expect_phone("0033 6 12 34 56 78", "+33612345678");
    expect_phone("01 23 45 67 89", "+33123456789");
    expect_phone("06\u00a012\u202f34 56 78", "+33612345678");
}

static void phone_overseas(void **state)
{
    (void)state;
    expect_phone("0692 12 34 56", "+262692123456"); /* La Réunion */
    expect_phone("0696 12 34 56", "+596696123456"); /* Martinique */
    expect_phone("+33 692 12 34 56", "+262692123456");
    expect_phone("+262 692 12 34 56", "+262692123456");
    expect_phone("0590 12 34 56", "+590590123456"); /* Guadeloupe */
}

static void phone_other_countries(void **state)
{
    (void)state;
    expect_phone("+49 151 12345678", "+4915112345678");
    expect_phone("0049 151 12345678", "+4915112345678");
    expect_phone("+32 470 12 34 56", "+32470123456");
    expect_phone("+1 (415) 555-0100", "+14155550100");
}

static void phone_refusals(void **state)
{
    (void)state;
    expect_refused("", PHONE_EMPTY, 0);
    expect_refused("   ", PHONE_EMPTY, 0);
    expect_refused("06 12 34 56 7x", PHONE_CHARACTERS, 0);
    expect_refused("06/12/34/56/78", PHONE_CHARACTERS, 0);
    expect_refused("6+12345678", PHONE_CHARACTERS, 0);
    expect_refused("06 12 34 56", PHONE_LENGTH, 8);
    expect_refused("06 12 34 56 78 9", PHONE_LENGTH, 11);
    expect_refused("+33 6 12 34 56", PHONE_LENGTH, 8);
    expect_refused("+0 612 345 678", PHONE_COUNTRY, 0);
    expect_refused("+49 151", PHONE_INTL_LENGTH, 5);
    expect_refused("+49 151 1234 5678 9012 34", PHONE_INTL_LENGTH, 19);
}

static void phone_stored_form(void **state)
{
    (void)state;
    assert_true(phone_is_e164("+33612345678"));
    assert_false(phone_is_e164("0612345678"));
    assert_false(phone_is_e164("+33 612345678"));
    assert_false(phone_is_e164("+0612345678"));
    assert_false(phone_is_e164("+1234567"));
    assert_false(phone_is_e164(NULL));
}

static sms_count count(const char *s)
{
    sms_count c;
    assert_int_equal(sms_text_count(s, &c), 0);
    return c;
}

/* A string of n copies of unit (n * strlen(unit) < size). */
static const char *repeat(char *buf, size_t size, const char *unit, size_t n)
{
    size_t u = strlen(unit);
    assert_true(n * u < size);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * u, unit, u);
    buf[n * u] = '\0';
    return buf;
}

static void counting(void **state)
{
    (void)state;
    char buf[1024];
    sms_count c = count("Votre demande 2026-000123 est traitée.");
    assert_int_equal(c.encoding, SMS_GSM7); /* é is in GSM-7's basic table */
    assert_int_equal(c.units, strlen("Votre demande 2026-000123 est traitee."));
    assert_int_equal(c.parts, 1);
    c = count("Prix : 5 € [TTC]"); /* € [ ] take two septets each */
    assert_int_equal(c.encoding, SMS_GSM7);
    assert_int_equal(c.units, 16 + 3);
    c = count("Ça a été reçu"); /* ç is not in GSM-7 (only Ç) */
    assert_int_equal(c.encoding, SMS_UCS2);
    assert_int_equal(c.units, 13);
    c = count("Signalé \xf0\x9f\x9a\xa7"); /* an emoji takes two UTF-16 units */
    assert_int_equal(c.encoding, SMS_UCS2);
    assert_int_equal(c.units, 10);
    assert_int_equal(count(repeat(buf, sizeof buf, "a", 160)).parts, 1);
    assert_int_equal(count(repeat(buf, sizeof buf, "a", 161)).parts, 2);
    assert_int_equal(count(repeat(buf, sizeof buf, "a", 306)).parts, 2);
    assert_int_equal(count(repeat(buf, sizeof buf, "a", 307)).parts, 3);
    assert_int_equal(count(repeat(buf, sizeof buf, "€", 80)).parts, 1);
    assert_int_equal(count(repeat(buf, sizeof buf, "€", 81)).parts, 2);
    assert_int_equal(count(repeat(buf, sizeof buf, "ç", 70)).parts, 1);
    assert_int_equal(count(repeat(buf, sizeof buf, "ç", 71)).parts, 2);
    assert_int_equal(count(repeat(buf, sizeof buf, "ç", 135)).parts, 3);
    assert_int_equal(sms_text_count("\xc3", &c), -1);
}

static void folding(void **state)
{
    (void)state;
    char s[] = "L\u2019agent a r\u00e9pondu\u00a0: \u00ab\u00a0c\u2019est fait\u00a0\u00bb \u2013 "
               "merci\u2026";
    sms_text_fold(s);
    assert_string_equal(s, "L'agent a répondu : \"c'est fait\" - merci...");
    assert_int_equal(count(s).encoding, SMS_GSM7);
}

static void fitting(void **state)
{
    (void)state;
    char out[512], text[1024];
    const char *link = "https://ville.fr/s/K7QM4TXH";
    assert_int_equal(sms_text_fit("Court.", link, out, sizeof out),
                     (long)strlen("Court. https://ville.fr/s/K7QM4TXH"));
    assert_string_equal(out, "Court. https://ville.fr/s/K7QM4TXH");
    /* 40 words of 4 letters: 199 septets, too long for one SMS with the link. */
    repeat(text, sizeof text, "mots ", 40);
    text[strlen(text) - 1] = '\0';
    long n = sms_text_fit(text, link, out, sizeof out);
    assert_true(n > 0);
    sms_count c = count(out);
    assert_int_equal(c.parts, 1);
    assert_true(c.units <= SMS_GSM7_SINGLE);
    /* Cut after a whole word, then the ellipsis and the link; one more word would not fit. */
    const char *tail = strstr(out, "... https://ville.fr/s/K7QM4TXH");
    assert_non_null(tail);
    assert_string_equal(tail, "... https://ville.fr/s/K7QM4TXH");
    assert_memory_equal(tail - 4, "mots", 4);
    assert_true(c.units + 5 > SMS_GSM7_SINGLE);
    /* UCS-2: the limit is 70 units. */
    repeat(text, sizeof text, "reçu ", 30);
    n = sms_text_fit(text, link, out, sizeof out);
    assert_true(n > 0);
    c = count(out);
    assert_int_equal(c.encoding, SMS_UCS2);
    assert_true(c.units <= SMS_UCS2_SINGLE && c.units + 5 > SMS_UCS2_SINGLE);
    /* No word fits before a link this long; a buffer too small; text not UTF-8. */
    repeat(text, sizeof text, "x", 158);
    assert_int_equal(sms_text_fit("un deux trois", text, out, sizeof out), -1);
    assert_int_equal(sms_text_fit("Court.", link, out, 10), -1);
    assert_int_equal(sms_text_fit("\xff", link, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phone_french_forms),
        cmocka_unit_test(phone_overseas),
        cmocka_unit_test(phone_other_countries),
        cmocka_unit_test(phone_refusals),
        cmocka_unit_test(phone_stored_form),
        cmocka_unit_test(counting),
        cmocka_unit_test(folding),
        cmocka_unit_test(fitting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

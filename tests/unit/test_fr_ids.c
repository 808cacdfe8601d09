/*
 * test_fr_ids — French identifiers (util/fr_ids): SIREN, SIRET, IBAN, code postal and
 * telephone. Valid numbers are made here by computing their check digits from an invented
 * body (no real company's or account's number): the tests carry the computation too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fr_ids.h"

/* body followed by the digit that makes it pass Luhn. */
static void luhn_complete(const char *body, char *out, size_t size)
{
    size_t n = strlen(body);
    assert_true(n + 2 <= size);
    memcpy(out, body, n);
    out[n + 1] = '\0';
    for (int k = 0; k < 10; k++) {
        out[n] = (char)('0' + k);
        if (fr_luhn_ok(out))
            return;
    }
    fail();
}

/* The two check digits of an IBAN from its country and BBAN, computed as ISO 13616 says
 * (98 minus the remainder of BBAN + country + "00" as digits), digit by digit. */
static void iban_make(const char *country, const char *bban, char *out, size_t size)
{
    char moved[64];
    snprintf(moved, sizeof moved, "%s%s00", bban, country);
    int m = 0;
    for (const char *p = moved; *p; p++)
        m = *p >= 'A' ? (m * 100 + (*p - 'A' + 10)) % 97 : (m * 10 + (*p - '0')) % 97;
    snprintf(out, size, "%s%02d%s", country, 98 - m, bban);
}

static void expect_ok(fr_id_kind kind, const char *value, const char *normalised)
{
    char out[FR_ID_OUT_MAX];
    fr_id_result r;
    int rc = fr_id_check(kind, value, out, &r);
    if (rc != 0)
        print_error("%s refused: %s\n", value, fr_id_problem_name(r.problem));
    assert_int_equal(rc, 0);
    assert_int_equal(r.problem, FR_ID_OK);
    assert_string_equal(out, normalised);
}

static fr_id_result expect_problem(fr_id_kind kind, const char *value, fr_id_problem p)
{
    char out[FR_ID_OUT_MAX];
    fr_id_result r;
    int rc = fr_id_check(kind, value, out, &r);
    if (r.problem != p)
        print_error("%s: %s instead of %s\n", value, fr_id_problem_name(r.problem),
                    fr_id_problem_name(p));
    assert_int_equal(rc, -1);
    assert_int_equal(r.problem, p);
    assert_string_equal(out, "");
    return r;
}

static void test_luhn(void **state)
{
    (void)state;
    char siren[16];
    luhn_complete("12345678", siren, sizeof siren);
    assert_string_equal(siren, "123456782");
    assert_true(fr_luhn_ok("79927398713")); /* the textbook example */
    assert_false(fr_luhn_ok("79927398710"));
    assert_false(fr_luhn_ok(""));
    assert_false(fr_luhn_ok("12a"));
}

static void test_siren(void **state)
{
    (void)state;
    char siren[16];
    luhn_complete("40428817", siren, sizeof siren);
    expect_ok(FR_ID_SIREN, siren, siren);
    char spaced[32];
    snprintf(spaced, sizeof spaced, " %.3s %.3s\xc2\xa0%.3s ", siren, siren + 3, siren + 6);
    expect_ok(FR_ID_SIREN, spaced, siren);
    char wrong[16];
    snprintf(wrong, sizeof wrong, "%.8s%c", siren, siren[8] == '9' ? '0' : siren[8] + 1);
    expect_problem(FR_ID_SIREN, wrong, FR_ID_CHECKSUM);
    fr_id_result r = expect_problem(FR_ID_SIREN, "12345678", FR_ID_LENGTH);
    assert_int_equal(r.got, 8);
    assert_int_equal(r.want, 9);
    expect_problem(FR_ID_SIREN, "12345678A", FR_ID_CHARACTERS);
    expect_problem(FR_ID_SIREN, "  ", FR_ID_EMPTY);
}

static void test_siret(void **state)
{
    (void)state;
    char siret[24], body[24];
    snprintf(body, sizeof body, "%s%s", "123456782", "0001");
    luhn_complete(body, siret, sizeof siret);
    assert_string_equal(siret, "12345678200010");
    expect_ok(FR_ID_SIRET, "123 456 782 00010", siret);
    expect_ok(FR_ID_SIRET, "123.456.782.00010", siret);
    fr_id_result r = expect_problem(FR_ID_SIRET, "123 456 782 0001", FR_ID_LENGTH);
    assert_int_equal(r.got, 13);
    assert_int_equal(r.want, 14);
    r = expect_problem(FR_ID_SIRET, "123456782000100", FR_ID_LENGTH);
    assert_int_equal(r.got, 15);
    expect_problem(FR_ID_SIRET, "12345678200011", FR_ID_CHECKSUM);
    expect_problem(FR_ID_SIRET, "12345678200010;", FR_ID_CHARACTERS);
    expect_problem(FR_ID_SIRET, "1234567820001+", FR_ID_CHARACTERS);
    /* A SIREN is no SIRET. */
    r = expect_problem(FR_ID_SIRET, "123456782", FR_ID_LENGTH);
    assert_int_equal(r.got, 9);
}

/* La Poste's establishments (SIREN 356000000): the sum of the digits is a multiple of 5,
 * with no Luhn key; the same digits under another SIREN are refused. */
static void test_siret_la_poste(void **state)
{
    (void)state;
    assert_true(fr_luhn_ok("356000000"));
    assert_false(fr_luhn_ok("35600000010000")); /* digit sum 15 */
    expect_ok(FR_ID_SIRET, "356 000 000 10000", "35600000010000");
    expect_problem(FR_ID_SIRET, "35600000010001", FR_ID_CHECKSUM); /* sum 16, no Luhn */
    /* Its head office has a Luhn key, whatever its sum. */
    char siret[24];
    luhn_complete("3560000000004", siret, sizeof siret);
    expect_ok(FR_ID_SIRET, siret, siret);
    /* Another SIREN with a sum multiple of 5 but no Luhn key. */
    assert_false(fr_luhn_ok("12345678200015"));
    expect_problem(FR_ID_SIRET, "12345678200015", FR_ID_CHECKSUM);
}

/* A French BBAN of bank, branch and account with its RIB key. */
static void fr_bban(const char *bank, const char *branch, const char *account, char *out,
                    size_t size)
{
    /* The key computed the long way round, by the letters' telegraphic digits. */
    static const char *const groups[] = {"AJ",  "BKS", "CLT", "DMU", "ENV",
                                         "FOW", "GPX", "HQY", "IRZ"};
    long long acc = 0;
    for (const char *p = account; *p; p++) {
        int v = *p - '0';
        for (int g = 0; *p >= 'A' && g < 9; g++)
            if (strchr(groups[g], *p))
                v = g + 1;
        acc = acc * 10 + v;
    }
    long long key = 97 - (89 * atoll(bank) + 15 * atoll(branch) + 3 * acc) % 97;
    snprintf(out, size, "%s%s%s%02lld", bank, branch, account, key);
}

static void test_iban(void **state)
{
    (void)state;
    char bban[40], iban[48];
    fr_bban("12345", "67890", "0123456789A", bban, sizeof bban);
    assert_string_equal(bban, "12345678900123456789A58");
    iban_make("FR", bban, iban, sizeof iban);
    assert_string_equal(iban, "FR0812345678900123456789A58");
    expect_ok(FR_ID_IBAN, iban, iban);
    expect_ok(FR_ID_IBAN, "fr08 1234 5678 9001 2345 6789 a58", iban);
    /* One digit changed: the check digits catch it. */
    expect_problem(FR_ID_IBAN, "FR0812345678900123456789A68", FR_ID_CHECKSUM);
    expect_problem(FR_ID_IBAN, "FR0912345678900123456789A58", FR_ID_CHECKSUM);
    /* Right check digits over a BBAN whose RIB key is wrong. */
    char bad_bban[40], bad[48];
    snprintf(bad_bban, sizeof bad_bban, "%.21s59", bban);
    iban_make("FR", bad_bban, bad, sizeof bad);
    expect_problem(FR_ID_IBAN, bad, FR_ID_RIB_KEY);
    /* Lengths by country. */
    fr_id_result r = expect_problem(FR_ID_IBAN, "FR08 1234 5678 9001 2345 6789 A5", FR_ID_LENGTH);
    assert_int_equal(r.got, 26);
    assert_int_equal(r.want, 27);
    assert_string_equal(r.country, "FR");
    iban_make("DE", "123456780123456789", iban, sizeof iban);
    assert_string_equal(iban, "DE58123456780123456789");
    expect_ok(FR_ID_IBAN, "DE58 1234 5678 0123 4567 89", iban);
    iban_make("BE", "123456789012", iban, sizeof iban);
    expect_ok(FR_ID_IBAN, iban, iban);
    r = expect_problem(FR_ID_IBAN, "DE58 1234 5678 0123 4567 8", FR_ID_LENGTH);
    assert_int_equal(r.want, 22);
    r = expect_problem(FR_ID_IBAN, "US12 3456 7890", FR_ID_IBAN_COUNTRY);
    assert_string_equal(r.country, "US");
    expect_problem(FR_ID_IBAN, "FR08-1234", FR_ID_CHARACTERS);
    expect_problem(FR_ID_IBAN, "", FR_ID_EMPTY);
    assert_int_equal(fr_iban_length("FR"), 27);
    assert_int_equal(fr_iban_length("MT"), 31);
    assert_int_equal(fr_iban_length("XX"), 0);
}

static void test_code_postal(void **state)
{
    (void)state;
    expect_ok(FR_ID_CODE_POSTAL, "75001", "75001");
    expect_ok(FR_ID_CODE_POSTAL, " 01000 ", "01000");
    expect_ok(FR_ID_CODE_POSTAL, "20000", "20000"); /* Ajaccio: Corsica is 20… */
    expect_ok(FR_ID_CODE_POSTAL, "97400", "97400"); /* La Réunion */
    expect_ok(FR_ID_CODE_POSTAL, "97133", "97133"); /* Saint-Barthélemy */
    expect_ok(FR_ID_CODE_POSTAL, "98000", "98000"); /* Monaco */
    expect_ok(FR_ID_CODE_POSTAL, "98800", "98800"); /* Nouméa */
    expect_problem(FR_ID_CODE_POSTAL, "2A000", FR_ID_POSTCODE_CORSE);
    expect_problem(FR_ID_CODE_POSTAL, "2b200", FR_ID_POSTCODE_CORSE);
    expect_problem(FR_ID_CODE_POSTAL, "00100", FR_ID_POSTCODE_AREA);
    expect_problem(FR_ID_CODE_POSTAL, "96000", FR_ID_POSTCODE_AREA);
    expect_problem(FR_ID_CODE_POSTAL, "99000", FR_ID_POSTCODE_AREA);
    expect_problem(FR_ID_CODE_POSTAL, "97900", FR_ID_POSTCODE_AREA);
    fr_id_result r = expect_problem(FR_ID_CODE_POSTAL, "7500", FR_ID_LENGTH);
    assert_int_equal(r.got, 4);
    expect_problem(FR_ID_CODE_POSTAL, "75-001", FR_ID_CHARACTERS);
}

static void test_telephone(void **state)
{
    (void)state;
    expect_ok(FR_ID_TELEPHONE, "06 12 34 56 78", "+33612345678");
    expect_ok(FR_ID_TELEPHONE, "01.23.45.67.89", "+33123456789");
    expect_ok(FR_ID_TELEPHONE, "+33 6 12 34 56 78", "+33612345678");
    expect_ok(FR_ID_TELEPHONE, "+33 (0)6 12 34 56 78", "+33612345678");
    expect_ok(FR_ID_TELEPHONE, "0033 612345678", "+33612345678");
    /* Overseas départements by their own country codes. */
    expect_ok(FR_ID_TELEPHONE, "0692 12 34 56", "+262692123456");
    expect_ok(FR_ID_TELEPHONE, "+262 692 12 34 56", "+262692123456");
    expect_ok(FR_ID_TELEPHONE, "+33 692 12 34 56", "+262692123456");
    expect_ok(FR_ID_TELEPHONE, "0590 12 34 56", "+590590123456");
    fr_id_result r = expect_problem(FR_ID_TELEPHONE, "06 12 34 56 7", FR_ID_LENGTH);
    assert_int_equal(r.got, 9);
    assert_int_equal(r.want, 10);
    r = expect_problem(FR_ID_TELEPHONE, "+33 6 12 34 56 789", FR_ID_LENGTH);
    assert_int_equal(r.got, 11);
    expect_problem(FR_ID_TELEPHONE, "+44 20 7946 0000", FR_ID_PHONE_PREFIX);
    expect_problem(FR_ID_TELEPHONE, "+269 12 34 56 78", FR_ID_PHONE_PREFIX); /* Comores */
    expect_problem(FR_ID_TELEPHONE, "00 12 34 56 78", FR_ID_PHONE_PREFIX);
    expect_problem(FR_ID_TELEPHONE, "16 12 34 56 78", FR_ID_PHONE_PREFIX);
    expect_problem(FR_ID_TELEPHONE, "06 12 34 56 78 poste 2", FR_ID_CHARACTERS);
    expect_problem(FR_ID_TELEPHONE, "06 12+34 56 78", FR_ID_CHARACTERS);
}

/* Long input is counted whole, never copied past the bound of what is kept; a character
 * that has no place in it is found however far it is. */
static void test_long_input(void **state)
{
    (void)state;
    char big[400];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fr_id_result r = expect_problem(FR_ID_SIRET, big, FR_ID_LENGTH);
    assert_int_equal(r.got, 399);
    char padded[400];
    memset(padded, ' ', sizeof padded - 1);
    memcpy(padded, "12345678200010", 14);
    padded[sizeof padded - 2] = 'X';
    padded[sizeof padded - 1] = '\0';
    expect_problem(FR_ID_SIRET, padded, FR_ID_CHARACTERS);
    padded[sizeof padded - 2] = ' ';
    expect_ok(FR_ID_SIRET, padded, "12345678200010");
    expect_problem(FR_ID_IBAN, big, FR_ID_IBAN_COUNTRY);
    expect_problem(FR_ID_TELEPHONE, big, FR_ID_LENGTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn),      cmocka_unit_test(test_siren),
        cmocka_unit_test(test_siret),     cmocka_unit_test(test_siret_la_poste),
        cmocka_unit_test(test_iban),      cmocka_unit_test(test_code_postal),
        cmocka_unit_test(test_telephone), cmocka_unit_test(test_long_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

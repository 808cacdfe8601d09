/*
 * test_csv — the one CSV writer (src/util/csv): RFC 4180 quoting in both modes and the
 * formula-injection guard, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/buf.h"
#include "util/csv.h"

static const char *row(buf *b, csv_quoting q, const char *const *fields, size_t n)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        csv_field(b, fields[i], q);
        csv_end(b, i + 1 == n);
    }
    return buf_cstr(b);
}

static void test_quote_needed(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    const char *plain[] = {"abc", "", NULL};
    assert_string_equal(row(&b, CSV_QUOTE_NEEDED, plain, 3), "abc;;\r\n");
    const char *special[] = {"a;b", "dit \"oui\"", "ligne\nsuite", "x\ry"};
    assert_string_equal(row(&b, CSV_QUOTE_NEEDED, special, 4),
                        "\"a;b\";\"dit \"\"oui\"\"\";\"ligne\nsuite\";\"x\ry\"\r\n");
    buf_free(&b);
}

static void test_quote_always(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    const char *fields[] = {"2026-000001", "Voirie \"nord\"", NULL};
    assert_string_equal(row(&b, CSV_QUOTE_ALWAYS, fields, 3),
                        "\"2026-000001\";\"Voirie \"\"nord\"\"\";\"\"\r\n");
    buf_free(&b);
}

static void test_formula_guard(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    const char *formulas[] = {"=1+1", "+33", "-2", "@SUM(A1)", "\tx"};
    assert_string_equal(row(&b, CSV_QUOTE_NEEDED, formulas, 5),
                        "'=1+1;'+33;'-2;'@SUM(A1);'\tx\r\n");
    assert_string_equal(row(&b, CSV_QUOTE_ALWAYS, formulas, 1), "\"'=1+1\"\r\n");
    /* A guarded field that also needs quotes: the apostrophe goes inside them. */
    const char *both[] = {"=A1;B1", "\rx"};
    assert_string_equal(row(&b, CSV_QUOTE_NEEDED, both, 2), "\"'=A1;B1\";\"'\rx\"\r\n");
    /* Inside a field, those characters are data. */
    const char *inner[] = {"a=b", "1-2"};
    assert_string_equal(row(&b, CSV_QUOTE_NEEDED, inner, 2), "a=b;1-2\r\n");
    buf_free(&b);
}

static void test_bounded(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 8);
    csv_field(&b, "0123456789", CSV_QUOTE_NEEDED);
    assert_true(b.failed);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_needed),
        cmocka_unit_test(test_quote_always),
        cmocka_unit_test(test_formula_guard),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ratelimit — token buckets: a burst then the rate, one bucket per key, and keys that
 * differ only past the stored length (an IPv6 address and an e-mail) kept apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/ratelimit.h"

static void test_burst_then_rate(void **state)
{
    (void)state;
    ratelimit *rl = ratelimit_new(2, 3); /* 2 per second, bursts of 3 */
    assert_non_null(rl);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(rl, "login:192.0.2.1", 1000), 0);
    int wait = ratelimit_take(rl, "login:192.0.2.1", 1000);
    assert_true(wait >= 1);
    assert_int_equal(ratelimit_take(rl, "login:192.0.2.2", 1000), 0); /* another key */
    assert_int_equal(ratelimit_take(rl, "login:192.0.2.1", 1600), 0); /* refilled */
    ratelimit_free(rl);
}

static void test_unlimited(void **state)
{
    (void)state;
    ratelimit *rl = ratelimit_new(0, 1);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_take(rl, "x", 0), 0);
    ratelimit_free(rl);
}

static void test_long_keys_kept_apart(void **state)
{
    (void)state;
    ratelimit *rl = ratelimit_new(0.001, 2);
    const char *ip = "forgot:recipient:2001:0db8:85a3:0000:0000:8a2e:0370:7334:";
    char a[160], b[160];
    snprintf(a, sizeof a, "%salice@example.org", ip);
    snprintf(b, sizeof b, "%sbob@example.org", ip);
    assert_true(strlen(ip) >= 47); /* the part that differs lies past 47 bytes */
    assert_int_equal(ratelimit_take(rl, a, 0), 0);
    assert_int_equal(ratelimit_take(rl, a, 0), 0);
    assert_true(ratelimit_take(rl, a, 0) >= 1);
    /* Before: both keys were cut to the same 47 bytes and shared one bucket. */
    assert_int_equal(ratelimit_take(rl, b, 0), 0);
    assert_int_equal(ratelimit_take(rl, b, 0), 0);
    assert_true(ratelimit_take(rl, b, 0) >= 1);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_long_keys_kept_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

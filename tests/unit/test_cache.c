/*
 * Unit tests of the HTTP response cache: hits, invalidation by write generation, catalogue
 * version and TTL, and the memory budget holding whatever is put.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/cache.h"

static void test_hit_and_invalidation(void **state)
{
    (void)state;
    http_cache *c = http_cache_new(1024 * 1024, 1000);
    assert_non_null(c);
    http_cache_stamp at = {.generation = 7, .catalogue_version = 3, .now_ms = 1000};
    const char *key = "h\nf\n/open311/v2/requests/2026-000001.json";
    http_cache_put(c, key, strlen(key), &at, "application/json; charset=utf-8", "[1]", 3);
    buf out;
    buf_init(&out, 1024);
    char ctype[64];
    assert_int_equal(http_cache_get(c, key, strlen(key), &at, &out, ctype, sizeof ctype), 1);
    assert_string_equal(buf_cstr(&out), "[1]");
    assert_string_equal(ctype, "application/json; charset=utf-8");
    buf_reset(&out);
    /* Another key, a later write, another catalogue, too old: all misses. */
    assert_int_equal(http_cache_get(c, "other", 5, &at, &out, ctype, sizeof ctype), 0);
    http_cache_stamp later = at;
    later.generation = 8;
    assert_int_equal(http_cache_get(c, key, strlen(key), &later, &out, ctype, sizeof ctype), 0);
    later = at;
    later.catalogue_version = 4;
    assert_int_equal(http_cache_get(c, key, strlen(key), &later, &out, ctype, sizeof ctype), 0);
    later = at;
    later.now_ms = at.now_ms + 1000;
    assert_int_equal(http_cache_get(c, key, strlen(key), &later, &out, ctype, sizeof ctype), 0);
    later.now_ms = at.now_ms + 999;
    assert_int_equal(http_cache_get(c, key, strlen(key), &later, &out, ctype, sizeof ctype), 1);
    assert_int_equal(out.len, 3);
    buf_free(&out);
    http_cache_free(c);
}

static void test_budget(void **state)
{
    (void)state;
    /* 64 KiB of budget, 4 KiB answers: at most 16 of them can be held at once. */
    http_cache *c = http_cache_new(64 * 1024, 60000);
    assert_non_null(c);
    http_cache_stamp at = {.generation = 1, .catalogue_version = 1, .now_ms = 0};
    static char body[4096];
    memset(body, 'x', sizeof body);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "/r/%d", i);
        http_cache_put(c, key, strlen(key), &at, "text/plain", body, sizeof body);
    }
    buf out;
    buf_init(&out, 1 << 20);
    char ctype[64];
    int held = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "/r/%d", i);
        held += http_cache_get(c, key, strlen(key), &at, &out, ctype, sizeof ctype);
    }
    assert_true(held > 0);
    assert_true(held <= 16);
    assert_int_equal(out.len, (size_t)held * sizeof body);
    buf_free(&out);
    http_cache_free(c);
    /* A zero budget is no cache at all. */
    assert_null(http_cache_new(0, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_invalidation),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

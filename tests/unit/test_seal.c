/*
 * Unit tests of core/seal: a sealed secret opens only for its own purpose, collectivité and
 * owner row under the instance secret it was sealed with; a byte changed, a clear text, a
 * value too long for the box or for the buffer are refused; two seals of one secret differ
 * (a fresh nonce each time), so equal secrets do not show in the database. Sealed blobs (the
 * élus' PKCS#12 files) likewise: bound to their row, a byte changed or cut refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/seal.h"
#include "test_db.h"

static int setup(void **state)
{
    test_db *db = calloc(1, sizeof *db);
    if (!db || test_db_open(db, "seal", NULL) != 0)
        return -1;
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    test_db *db = *state;
    test_db_close(db);
    free(db);
    return 0;
}

static const char SECRET[] = "whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

static void test_round_trip_and_binding(void **state)
{
    test_db *db = *state;
    char sealed[SEAL_TEXT_MAX], again[SEAL_TEXT_MAX];
    assert_int_equal(
        seal_text(db->core, "webhook", 7, 0, SECRET, strlen(SECRET), sealed, sizeof sealed), 0);
    assert_true(seal_is_sealed(sealed));
    assert_null(strstr(sealed, "whsec_"));
    assert_int_equal(
        seal_text(db->core, "webhook", 7, 0, SECRET, strlen(SECRET), again, sizeof again), 0);
    assert_string_not_equal(sealed, again);

    char plain[SEAL_PLAIN_MAX];
    size_t n = 0;
    assert_int_equal(seal_open(db->core, "webhook", 7, 0, sealed, plain, sizeof plain, &n), 0);
    assert_int_equal(n, strlen(SECRET));
    assert_memory_equal(plain, SECRET, n);
    assert_int_equal(seal_open(db->core, "webhook", 7, 0, again, plain, sizeof plain, &n), 0);
    assert_memory_equal(plain, SECRET, n);

    /* Another purpose, collectivité or row: it does not open. */
    assert_int_equal(seal_open(db->core, "totp", 7, 0, sealed, plain, sizeof plain, &n), -1);
    assert_int_equal(seal_open(db->core, "webhook", 8, 0, sealed, plain, sizeof plain, &n), -1);
    assert_int_equal(seal_open(db->core, "webhook", 7, 1, sealed, plain, sizeof plain, &n), -1);
}

static void test_refusals(void **state)
{
    test_db *db = *state;
    char sealed[SEAL_TEXT_MAX];
    assert_int_equal(
        seal_text(db->core, "totp", 1, 2, SECRET, strlen(SECRET), sealed, sizeof sealed), 0);
    char plain[SEAL_PLAIN_MAX];
    size_t n = 0;
    /* One character of the box changed. */
    char bad[SEAL_TEXT_MAX];
    snprintf(bad, sizeof bad, "%s", sealed);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(seal_open(db->core, "totp", 1, 2, bad, plain, sizeof plain, &n), -1);
    /* Cut short. */
    snprintf(bad, sizeof bad, "%s", sealed);
    bad[strlen(bad) - 4] = '\0';
    assert_int_equal(seal_open(db->core, "totp", 1, 2, bad, plain, sizeof plain, &n), -1);
    /* Not sealed text at all. */
    assert_false(seal_is_sealed(SECRET));
    assert_false(seal_is_sealed(NULL));
    assert_int_equal(seal_open(db->core, "totp", 1, 2, SECRET, plain, sizeof plain, &n), -1);
    assert_int_equal(seal_open(db->core, "totp", 1, 2, "v1.", plain, sizeof plain, &n), -1);
    /* The buffer too small for what is inside. */
    assert_int_equal(seal_open(db->core, "totp", 1, 2, sealed, plain, 10, &n), -1);
    /* More than the box holds, or an output too small. */
    char big[SEAL_PLAIN_MAX + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(seal_text(db->core, "totp", 1, 2, big, sizeof big, sealed, sizeof sealed), -1);
    assert_int_equal(seal_text(db->core, "totp", 1, 2, SECRET, strlen(SECRET), sealed, 20), -1);
    /* The largest secret fits SEAL_TEXT_MAX. */
    assert_int_equal(seal_text(db->core, "totp", 1, 2, big, SEAL_PLAIN_MAX, sealed, sizeof sealed),
                     0);
    assert_int_equal(seal_open(db->core, "totp", 1, 2, sealed, plain, sizeof plain, &n), 0);
    assert_int_equal(n, SEAL_PLAIN_MAX);
}

static void test_blobs(void **state)
{
    test_db *db = *state;
    /* A PKCS#12 file's size, beginning as DER does. */
    size_t n = 3000;
    unsigned char *plain = malloc(n), *sealed = malloc(n + SEAL_BLOB_OVERHEAD),
                  *again = malloc(n + SEAL_BLOB_OVERHEAD), *opened = malloc(n);
    assert_non_null(plain && sealed && again && opened);
    for (size_t i = 0; i < n; i++)
        plain[i] = (unsigned char)(i * 7 + 0x30);
    assert_false(seal_blob_is_sealed(plain, n));
    seal_blob(db->core, "sign_key_p12", 3, 42, plain, n, sealed);
    seal_blob(db->core, "sign_key_p12", 3, 42, plain, n, again);
    assert_true(seal_blob_is_sealed(sealed, n + SEAL_BLOB_OVERHEAD));
    assert_memory_not_equal(sealed, again, n + SEAL_BLOB_OVERHEAD);
    assert_null(memmem(sealed, n + SEAL_BLOB_OVERHEAD, plain, 32));
    assert_int_equal(
        seal_blob_open(db->core, "sign_key_p12", 3, 42, sealed, n + SEAL_BLOB_OVERHEAD, opened), 0);
    assert_memory_equal(opened, plain, n);
    /* Another row, collectivité or purpose: it does not open, and nothing is left. */
    assert_int_equal(
        seal_blob_open(db->core, "sign_key_p12", 3, 43, sealed, n + SEAL_BLOB_OVERHEAD, opened),
        -1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(opened[i], 0);
    assert_int_equal(
        seal_blob_open(db->core, "sign_key_p12", 4, 42, sealed, n + SEAL_BLOB_OVERHEAD, opened),
        -1);
    assert_int_equal(
        seal_blob_open(db->core, "totp", 3, 42, sealed, n + SEAL_BLOB_OVERHEAD, opened), -1);
    /* A byte changed, cut short, the magic alone, a plain file. */
    sealed[n] ^= 1;
    assert_int_equal(
        seal_blob_open(db->core, "sign_key_p12", 3, 42, sealed, n + SEAL_BLOB_OVERHEAD, opened),
        -1);
    sealed[n] ^= 1;
    assert_int_equal(seal_blob_open(db->core, "sign_key_p12", 3, 42, sealed, n, opened), -1);
    assert_int_equal(seal_blob_open(db->core, "sign_key_p12", 3, 42, sealed, 4, opened), -1);
    assert_int_equal(seal_blob_open(db->core, "sign_key_p12", 3, 42, plain, n, opened), -1);
    free(plain);
    free(sealed);
    free(again);
    free(opened);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_and_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

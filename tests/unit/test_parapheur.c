/*
 * Unit tests of the parapheur's circuit state machine (core/parapheur.c): who may act on a
 * circuit's waiting step (its élu, a delegate only when a délégation holds, nobody once the
 * circuit is over or for a malformed one), a signature moving to the next step and the last
 * one ending the circuit as signed, a refusal ending it at once, the signature's /Reason for
 * an élu and for a delegate, the collectivité's day a délégation is read on, and the
 * delegates reminded with an élu on a given day.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/catalogue.h"
#include "core/parapheur.h"

static store_sign_circuit pending(int step, int steps, int64_t signer)
{
    return (store_sign_circuit){.id = 7,
                                .state = "pending",
                                .step = step,
                                .steps = steps,
                                .document_id = 100,
                                .waiting_since = 1000,
                                .reminded_at = 1500,
                                .signer_id = signer};
}

static void test_who_may_act(void **state)
{
    (void)state;
    store_sign_circuit c = pending(0, 2, 42);
    assert_int_equal(parapheur_may_act(&c, 42, 0), PARAPHEUR_AS_SELF);
    /* The élu themselves, even with a délégation of their own in force. */
    assert_int_equal(parapheur_may_act(&c, 42, 1), PARAPHEUR_AS_SELF);
    assert_int_equal(parapheur_may_act(&c, 43, 0), PARAPHEUR_AS_NONE);
    assert_int_equal(parapheur_may_act(&c, 43, 1), PARAPHEUR_AS_DELEGATE);
    assert_int_equal(parapheur_may_act(&c, 0, 1), PARAPHEUR_AS_NONE);
    c.state = "signed";
    assert_int_equal(parapheur_may_act(&c, 42, 0), PARAPHEUR_AS_NONE);
    c.state = "refused";
    assert_int_equal(parapheur_may_act(&c, 43, 1), PARAPHEUR_AS_NONE);
    /* A step past the last, or a circuit with no élu waiting: nobody. */
    c = pending(2, 2, 42);
    assert_int_equal(parapheur_may_act(&c, 42, 0), PARAPHEUR_AS_NONE);
    c = pending(0, 2, 0);
    assert_int_equal(parapheur_may_act(&c, 42, 1), PARAPHEUR_AS_NONE);
}

static void test_signatures_move_on_then_end(void **state)
{
    (void)state;
    store_sign_circuit c = pending(0, 2, 42);
    assert_int_equal(parapheur_after_sign(&c, 101, 2000), 0);
    assert_string_equal(c.state, "pending");
    assert_int_equal(c.step, 1);
    assert_int_equal(c.document_id, 101);
    assert_int_equal(c.waiting_since, 2000);
    assert_int_equal(c.reminded_at, 0); /* the next élu's reminders start afresh */
    assert_int_equal(c.ended_at, 0);
    assert_int_equal(parapheur_after_sign(&c, 102, 3000), 1);
    assert_string_equal(c.state, "signed");
    assert_int_equal(c.step, 2);
    assert_int_equal(c.document_id, 102);
    assert_int_equal(c.ended_at, 3000);
    /* Over: nobody acts on it any more. */
    c.signer_id = 0;
    assert_int_equal(parapheur_may_act(&c, 42, 1), PARAPHEUR_AS_NONE);
}

static void test_refusal_ends_the_circuit(void **state)
{
    (void)state;
    store_sign_circuit c = pending(1, 3, 42);
    parapheur_after_refuse(&c, 5000);
    assert_string_equal(c.state, "refused");
    assert_int_equal(c.ended_at, 5000);
    assert_int_equal(c.step, 1); /* where it stopped */
    assert_int_equal(c.document_id, 100);
    assert_int_equal(parapheur_may_act(&c, 42, 0), PARAPHEUR_AS_NONE);
}

static void test_reason(void **state)
{
    (void)state;
    char out[200];
    parapheur_reason(PARAPHEUR_AS_SELF, "Camille Maire", "Maire", out, sizeof out);
    assert_string_equal(out, "Maire");
    parapheur_reason(PARAPHEUR_AS_SELF, "Camille Maire", "", out, sizeof out);
    assert_string_equal(out, "");
    parapheur_reason(PARAPHEUR_AS_DELEGATE, "Dominique Adjoint", "Premier adjoint", out,
                     sizeof out);
    assert_string_equal(out, "Pour le maire et par délégation, Dominique Adjoint, Premier adjoint");
    parapheur_reason(PARAPHEUR_AS_DELEGATE, "Dominique Adjoint", NULL, out, sizeof out);
    assert_string_equal(out, "Pour le maire et par délégation, Dominique Adjoint");
    /* Cut to the room given, NUL-ended. */
    char small[12];
    parapheur_reason(PARAPHEUR_AS_DELEGATE, "X", "Y", small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_today_in_the_collectivite_zone(void **state)
{
    (void)state;
    cat_tenant t;
    memset(&t, 0, sizeof t);
    t.rec.timezone = "Europe/Paris";
    char day[11];
    /* 2026-12-31 23:30 UTC is already 1 January in Paris. */
    parapheur_today(&t, 1798759800, day);
    assert_string_equal(day, "2027-01-01");
    t.rec.timezone = "UTC";
    parapheur_today(&t, 1798759800, day);
    assert_string_equal(day, "2026-12-31");
}

/* The reminder of a signature waiting for élu 42 also reaches whoever holds a délégation
 * from 42 that day: its first and last days included, each delegate once, never 42 itself
 * nor another élu's delegate. */
static void test_delegates_reminded_on_their_days(void **state)
{
    (void)state;
    const store_sign_delegation d[] = {
        {.delegate_id = 50, .principal_id = 42, .starts_on = "2026-12-01", .ends_on = "2026-12-07"},
        {.delegate_id = 51, .principal_id = 42, .starts_on = "2026-12-07", .ends_on = "2026-12-20"},
        {.delegate_id = 52, .principal_id = 42, .starts_on = "2026-12-08", .ends_on = "2026-12-31"},
        {.delegate_id = 53, .principal_id = 42, .starts_on = "2026-11-01", .ends_on = "2026-12-06"},
        {.delegate_id = 54, .principal_id = 43, .starts_on = "2026-12-01", .ends_on = "2026-12-31"},
        {.delegate_id = 50, .principal_id = 42, .starts_on = "2026-12-05", .ends_on = "2027-01-10"},
        {.delegate_id = 42, .principal_id = 42, .starts_on = "2026-12-01", .ends_on = "2026-12-31"},
    };
    size_t n = sizeof d / sizeof d[0];
    int64_t out[8];
    /* 7 December: the first one's last day and the second one's first; 50 named once. */
    assert_int_equal(parapheur_delegates_on(d, n, 42, "2026-12-07", out, 8), 2);
    assert_int_equal(out[0], 50);
    assert_int_equal(out[1], 51);
    /* 8 December: the first one over, the third begun; 50 still by its second délégation. */
    assert_int_equal(parapheur_delegates_on(d, n, 42, "2026-12-08", out, 8), 3);
    assert_int_equal(out[0], 51);
    assert_int_equal(out[1], 52);
    assert_int_equal(out[2], 50);
    /* 6 December: 53's last day; 31 October: nobody. */
    assert_int_equal(parapheur_delegates_on(d, n, 42, "2026-12-06", out, 8), 2);
    assert_int_equal(out[0], 50);
    assert_int_equal(out[1], 53);
    assert_int_equal(parapheur_delegates_on(d, n, 42, "2026-10-31", out, 8), 0);
    /* Another élu's delegates; a bound on how many. */
    assert_int_equal(parapheur_delegates_on(d, n, 43, "2026-12-07", out, 8), 1);
    assert_int_equal(out[0], 54);
    assert_int_equal(parapheur_delegates_on(d, n, 42, "2026-12-08", out, 1), 1);
    assert_int_equal(out[0], 51);
    assert_int_equal(parapheur_delegates_on(NULL, 0, 42, "2026-12-08", out, 8), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_may_act),
        cmocka_unit_test(test_signatures_move_on_then_end),
        cmocka_unit_test(test_refusal_ends_the_circuit),
        cmocka_unit_test(test_reason),
        cmocka_unit_test(test_today_in_the_collectivite_zone),
        cmocka_unit_test(test_delegates_reminded_on_their_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

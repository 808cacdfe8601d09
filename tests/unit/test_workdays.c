/*
 * test_workdays — French public holidays and delays (util/workdays): Easter of known years,
 * every holiday of a year, Alsace-Moselle's two more, working-day and calendar-day delays
 * across weekends and holidays, and due instants in Europe/Paris across a clock change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/timeutil.h"
#include "util/workdays.h"

#define D(y, m, d) workdays_day(y, m, d)

static void test_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(D(1970, 1, 1), 0);
    assert_int_equal(D(2000, 3, 1), 11017);
    for (int64_t day = D(1999, 12, 1); day < D(2033, 1, 1); day += 17) {
        int y, m, d;
        workdays_civil(day, &y, &m, &d);
        assert_int_equal(D(y, m, d), day);
    }
    assert_int_equal(workdays_weekday(D(1970, 1, 1)), 4);  /* a Thursday */
    assert_int_equal(workdays_weekday(D(2026, 12, 6)), 7); /* a Sunday */
    assert_int_equal(workdays_weekday(D(2024, 2, 29)), 4);
}

static void test_easter(void **state)
{
    (void)state;
    static const int known[][3] = {
        {2024, 3, 31}, {2025, 4, 20}, {2026, 4, 5},  {2027, 3, 28}, {2028, 4, 16}, {2029, 4, 1},
        {2030, 4, 21}, {1818, 3, 22}, {2038, 4, 25}, {2285, 3, 22}, {1943, 4, 25}, {2000, 4, 23},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int m, d;
        workdays_easter(known[i][0], &m, &d);
        assert_int_equal(m, known[i][1]);
        assert_int_equal(d, known[i][2]);
    }
}

/* Every holiday of 2026, and nothing else that year. */
static void test_holidays_2026(void **state)
{
    (void)state;
    static const struct {
        int m, d;
        const char *name;
    } want[] = {
        {1, 1, "Jour de l’an"},     {4, 6, "Lundi de Pâques"}, {5, 1, "Fête du Travail"},
        {5, 8, "Victoire 1945"},    {5, 14, "Ascension"},      {5, 25, "Lundi de Pentecôte"},
        {7, 14, "Fête nationale"},  {8, 15, "Assomption"},     {11, 1, "Toussaint"},
        {11, 11, "Armistice 1918"}, {12, 25, "Noël"},
    };
    size_t found = 0;
    for (int64_t day = D(2026, 1, 1); day <= D(2026, 12, 31); day++) {
        const char *name = workdays_holiday(day, WORKDAYS_FRANCE);
        if (!name)
            continue;
        int y, m, d;
        workdays_civil(day, &y, &m, &d);
        assert_true(found < sizeof want / sizeof want[0]);
        assert_int_equal(m, want[found].m);
        assert_int_equal(d, want[found].d);
        assert_string_equal(name, want[found].name);
        found++;
    }
    assert_int_equal(found, sizeof want / sizeof want[0]);
}

static void test_moving_holidays(void **state)
{
    (void)state;
    /* Ascension and Whit Monday of other years. */
    assert_string_equal(workdays_holiday(D(2024, 5, 9), WORKDAYS_FRANCE), "Ascension");
    assert_string_equal(workdays_holiday(D(2024, 5, 20), WORKDAYS_FRANCE), "Lundi de Pentecôte");
    assert_string_equal(workdays_holiday(D(2025, 4, 21), WORKDAYS_FRANCE), "Lundi de Pâques");
    assert_string_equal(workdays_holiday(D(2025, 5, 29), WORKDAYS_FRANCE), "Ascension");
    assert_string_equal(workdays_holiday(D(2027, 3, 29), WORKDAYS_FRANCE), "Lundi de Pâques");
    assert_string_equal(workdays_holiday(D(2030, 6, 10), WORKDAYS_FRANCE), "Lundi de Pentecôte");
    /* Easter Sunday and Whit Sunday are Sundays, not holidays of their own. */
    assert_null(workdays_holiday(D(2026, 4, 5), WORKDAYS_FRANCE));
    assert_null(workdays_holiday(D(2026, 5, 24), WORKDAYS_FRANCE));
    /* Alsace-Moselle: Good Friday and 26 December. */
    assert_null(workdays_holiday(D(2026, 4, 3), WORKDAYS_FRANCE));
    assert_string_equal(workdays_holiday(D(2026, 4, 3), WORKDAYS_ALSACE_MOSELLE), "Vendredi saint");
    assert_string_equal(workdays_holiday(D(2029, 3, 30), WORKDAYS_ALSACE_MOSELLE),
                        "Vendredi saint");
    assert_null(workdays_holiday(D(2026, 12, 26), WORKDAYS_FRANCE));
    assert_string_equal(workdays_holiday(D(2026, 12, 26), WORKDAYS_ALSACE_MOSELLE),
                        "Saint-Étienne");
    assert_string_equal(workdays_holiday(D(2026, 5, 14), WORKDAYS_ALSACE_MOSELLE), "Ascension");
}

static void test_working_days(void **state)
{
    (void)state;
    assert_true(workdays_is_working_day(D(2026, 12, 7), WORKDAYS_FRANCE));  /* Monday */
    assert_false(workdays_is_working_day(D(2026, 12, 5), WORKDAYS_FRANCE)); /* Saturday */
    assert_false(workdays_is_working_day(D(2026, 12, 6), WORKDAYS_FRANCE)); /* Sunday */
    assert_false(workdays_is_working_day(D(2026, 5, 14), WORKDAYS_FRANCE)); /* Ascension */
    assert_true(workdays_is_working_day(D(2026, 4, 3), WORKDAYS_FRANCE));
    assert_false(workdays_is_working_day(D(2026, 4, 3), WORKDAYS_ALSACE_MOSELLE));

    /* Over a weekend: Friday + 1 is Monday. */
    assert_int_equal(workdays_add_working(D(2026, 12, 4), 1, WORKDAYS_FRANCE), D(2026, 12, 7));
    /* Over Ascension (Thursday 14 May 2026). */
    assert_int_equal(workdays_add_working(D(2026, 5, 13), 1, WORKDAYS_FRANCE), D(2026, 5, 15));
    /* Over 1 May (Friday) and the weekend. */
    assert_int_equal(workdays_add_working(D(2026, 4, 30), 1, WORKDAYS_FRANCE), D(2026, 5, 4));
    /* Over Christmas and New Year: 24 Dec 2026 (Thursday) + 5: 28, 29, 30, 31 Dec, 4 Jan. */
    assert_int_equal(workdays_add_working(D(2026, 12, 24), 5, WORKDAYS_FRANCE), D(2027, 1, 4));
    /* Easter in Alsace-Moselle: Thursday 2 April + 1 skips Friday and Monday. */
    assert_int_equal(workdays_add_working(D(2026, 4, 2), 1, WORKDAYS_FRANCE), D(2026, 4, 3));
    assert_int_equal(workdays_add_working(D(2026, 4, 2), 1, WORKDAYS_ALSACE_MOSELLE),
                     D(2026, 4, 7));
    /* 0 from a Sunday is the next working day; 20 working days is four weeks without
     * holiday. */
    assert_int_equal(workdays_add_working(D(2026, 12, 6), 0, WORKDAYS_FRANCE), D(2026, 12, 7));
    assert_int_equal(workdays_add_working(D(2026, 2, 2), 20, WORKDAYS_FRANCE), D(2026, 3, 2));
    assert_int_equal(workdays_add_calendar(D(2026, 2, 20), 10), D(2026, 3, 2));
}

static void test_due_day(void **state)
{
    (void)state;
    /* Calendar days: the start day does not count, a last day that is not a working day is
     * extended to the next working day. */
    assert_int_equal(workdays_due_day(D(2026, 3, 2), 10, WORKDAYS_CALENDAR, WORKDAYS_FRANCE),
                     D(2026, 3, 12));
    /* Ending on Saturday 26 December 2026: Monday 28. */
    assert_int_equal(workdays_due_day(D(2026, 12, 16), 10, WORKDAYS_CALENDAR, WORKDAYS_FRANCE),
                     D(2026, 12, 28));
    /* Ending on Friday 8 May 2026 (a holiday): Monday 11. */
    assert_int_equal(workdays_due_day(D(2026, 5, 4), 4, WORKDAYS_CALENDAR, WORKDAYS_FRANCE),
                     D(2026, 5, 11));
    /* Two months in days from 1 July ending on a Sunday (30 August 2026): Monday 31. */
    assert_int_equal(workdays_due_day(D(2026, 7, 1), 60, WORKDAYS_CALENDAR, WORKDAYS_FRANCE),
                     D(2026, 8, 31));
    /* Working days: the n-th working day after the start day. Filed on a Saturday, 2
     * working days: Monday and Tuesday. */
    assert_int_equal(workdays_due_day(D(2026, 12, 5), 2, WORKDAYS_WORKING, WORKDAYS_FRANCE),
                     D(2026, 12, 8));
    /* Filed on Wednesday 13 May 2026, 3 working days: Friday 15, Monday 18, Tuesday 19. */
    assert_int_equal(workdays_due_day(D(2026, 5, 13), 3, WORKDAYS_WORKING, WORKDAYS_FRANCE),
                     D(2026, 5, 19));
    assert_int_equal(workdays_due_day(D(2026, 4, 2), 2, WORKDAYS_WORKING, WORKDAYS_ALSACE_MOSELLE),
                     D(2026, 4, 8));
}

static void expect_due(const char *filed, int n, workdays_count count, const char *want)
{
    int64_t t;
    assert_int_equal(time_parse_rfc3339(filed, &t), 0);
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(workdays_due_at(t, "Europe/Paris", n, count, WORKDAYS_FRANCE),
                        "Europe/Paris", out);
    assert_string_equal(out, want);
}

static void test_due_at(void **state)
{
    (void)state;
    /* Filed on Friday 27 March 2026 (winter time), 2 days end on Sunday 29 (the clocks go
     * forward): extended to Monday 30, to its last second of summer time. */
    expect_due("2026-03-27T10:00:00+01:00", 2, WORKDAYS_CALENDAR, "2026-03-30T23:59:59+02:00");
    /* Half past midnight in Paris is still the previous day in UTC: the local day counts. */
    expect_due("2026-07-01T00:30:00+02:00", 1, WORKDAYS_CALENDAR, "2026-07-02T23:59:59+02:00");
    expect_due("2026-06-30T23:30:00+02:00", 1, WORKDAYS_CALENDAR, "2026-07-01T23:59:59+02:00");
    /* Five working days from Friday 23 October 2026 cross the clocks going back. */
    expect_due("2026-10-23T16:00:00+02:00", 5, WORKDAYS_WORKING, "2026-10-30T23:59:59+01:00");
    assert_int_equal(workdays_local_day(0, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_numbers),   cmocka_unit_test(test_easter),
        cmocka_unit_test(test_holidays_2026), cmocka_unit_test(test_moving_holidays),
        cmocka_unit_test(test_working_days),  cmocka_unit_test(test_due_day),
        cmocka_unit_test(test_due_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

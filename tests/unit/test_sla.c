/*
 * test_sla — a collectivité's deadlines (core/sla): where a request stands against its due
 * date at the edges of today's local day in Europe/Paris (midnight, the days of 23 and 25
 * hours when the clocks change, a zone ahead of UTC), the window the inbox's views filter on,
 * and the calendar of public holidays the collectivité chose moving a due date computed by
 * request_due_at over Good Friday and Easter Monday.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/request.h"
#include "core/sla.h"
#include "util/timeutil.h"

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
    return t;
}

static cat_tenant tenant(const char *tz, int holidays)
{
    cat_tenant t;
    memset(&t, 0, sizeof t);
    t.rec.id = 1;
    t.rec.timezone = tz;
    t.branding.holidays = holidays;
    return t;
}

static void expect_today_end(const char *now, const char *want)
{
    cat_tenant t = tenant("Europe/Paris", 0);
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(sla_today_end(&t, at(now)), "Europe/Paris", out);
    assert_string_equal(out, want);
}

static void test_today_end(void **state)
{
    (void)state;
    expect_today_end("2026-06-10T12:00:00+02:00", "2026-06-11T00:00:00+02:00");
    expect_today_end("2026-06-10T00:00:00+02:00", "2026-06-11T00:00:00+02:00");
    expect_today_end("2026-06-10T23:59:59+02:00", "2026-06-11T00:00:00+02:00");
    /* 29 March 2026 has 23 hours, 25 October 2026 has 25: today still ends at midnight. */
    expect_today_end("2026-03-29T01:30:00+01:00", "2026-03-30T00:00:00+02:00");
    expect_today_end("2026-03-29T12:00:00+02:00", "2026-03-30T00:00:00+02:00");
    expect_today_end("2026-03-28T23:30:00+01:00", "2026-03-29T00:00:00+01:00");
    expect_today_end("2026-10-25T02:30:00+02:00", "2026-10-26T00:00:00+01:00");
    expect_today_end("2026-10-25T02:30:00+01:00", "2026-10-26T00:00:00+01:00");
    /* 23:30 in UTC is already tomorrow in Paris. */
    expect_today_end("2026-06-10T23:30:00Z", "2026-06-12T00:00:00+02:00");
    assert_int_equal(at("2026-10-26T00:00:00+01:00") - at("2026-10-25T00:00:00+02:00"), 25 * 3600);
}

/* The state of a request due at `due` (a due date as request_due_at writes it: a day's last
 * second) at `now`, for a collectivité in tz. */
static sla_state state_of(const char *tz, const char *due, const char *now)
{
    cat_tenant t = tenant(tz, 0);
    store_request r;
    memset(&r, 0, sizeof r);
    r.due_at = at(due);
    return sla_of(&t, &r, at(now));
}

static void test_midnight(void **state)
{
    (void)state;
    const char *tz = "Europe/Paris";
    /* Due on 10 June: due today all that day, to its last second; late from its end. */
    assert_int_equal(state_of(tz, "2026-06-10T23:59:59+02:00", "2026-06-09T23:59:59+02:00"),
                     SLA_ON_TIME);
    assert_int_equal(state_of(tz, "2026-06-10T23:59:59+02:00", "2026-06-10T00:00:00+02:00"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(tz, "2026-06-10T23:59:59+02:00", "2026-06-10T23:59:59+02:00"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(tz, "2026-06-10T23:59:59+02:00", "2026-06-11T00:00:00+02:00"),
                     SLA_LATE);
    /* The collectivité's clock, not UTC's: at 23:30 UTC on 9 June it is already 10 June in
     * Paris, and the request is due today; in UTC it would still be due tomorrow. */
    assert_int_equal(state_of(tz, "2026-06-10T23:59:59+02:00", "2026-06-09T22:30:00Z"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(NULL, "2026-06-10T23:59:59+02:00", "2026-06-09T22:30:00Z"),
                     SLA_ON_TIME);
}

static void test_clock_changes(void **state)
{
    (void)state;
    const char *tz = "Europe/Paris";
    /* Sunday 29 March 2026, 23 hours long: due that day from its first instant (winter
     * time) to its last (summer time). */
    assert_int_equal(state_of(tz, "2026-03-29T23:59:59+02:00", "2026-03-29T00:00:00+01:00"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(tz, "2026-03-29T23:59:59+02:00", "2026-03-28T23:59:59+01:00"),
                     SLA_ON_TIME);
    assert_int_equal(state_of(tz, "2026-03-29T23:59:59+02:00", "2026-03-30T00:00:00+02:00"),
                     SLA_LATE);
    /* Sunday 25 October 2026, 25 hours long: both 02:30 are that day. */
    assert_int_equal(state_of(tz, "2026-10-25T23:59:59+01:00", "2026-10-25T02:30:00+02:00"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(tz, "2026-10-25T23:59:59+01:00", "2026-10-25T02:30:00+01:00"),
                     SLA_DUE_TODAY);
    assert_int_equal(state_of(tz, "2026-10-26T23:59:59+01:00", "2026-10-25T23:59:59+01:00"),
                     SLA_ON_TIME);
}

static void test_none(void **state)
{
    (void)state;
    cat_tenant t = tenant("Europe/Paris", 0);
    store_request r;
    memset(&r, 0, sizeof r);
    int64_t now = at("2026-06-10T12:00:00+02:00");
    assert_int_equal(sla_of(&t, &r, now), SLA_NONE); /* no delay */
    r.due_at = now - 86400;
    assert_int_equal(sla_of(&t, &r, now), SLA_LATE);
    r.closed_at = now - 3600;
    assert_int_equal(sla_of(&t, &r, now), SLA_NONE); /* closed, even late */
    assert_null(sla_name(SLA_NONE));
    assert_string_equal(sla_name(SLA_LATE), "late");
    assert_string_equal(sla_name(SLA_DUE_TODAY), "today");
    assert_string_equal(sla_name(SLA_ON_TIME), "on_time");
}

static void test_filter(void **state)
{
    (void)state;
    cat_tenant t = tenant("Europe/Paris", 0);
    int64_t now = at("2026-03-29T12:00:00+02:00");
    store_request_filter f;
    memset(&f, 0, sizeof f);
    sla_filter(&t, &f, SLA_LATE, now);
    assert_int_equal(f.by_due, 1);
    assert_int_equal(f.due_from, 0);
    assert_int_equal(f.due_before, now);
    assert_int_equal(f.sort, STORE_SORT_DUE_ASC);
    memset(&f, 0, sizeof f);
    sla_filter(&t, &f, SLA_DUE_TODAY, now);
    assert_int_equal(f.by_due, 1);
    assert_int_equal(f.due_from, now);
    assert_int_equal(f.due_before, at("2026-03-30T00:00:00+02:00"));
    memset(&f, 0, sizeof f);
    sla_filter(&t, &f, SLA_ON_TIME, now);
    sla_filter(&t, &f, SLA_NONE, now);
    assert_int_equal(f.by_due, 0);
    assert_int_equal(f.sort, 0);
}

static void expect_due(int holidays, int working, int days, const char *filed, const char *want)
{
    cat_tenant t = tenant("Europe/Paris", holidays);
    cat_procedure p;
    memset(&p, 0, sizeof p);
    p.rec.delay_days = days;
    p.rec.delay_working = working;
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(request_due_at(&t, &p, at(filed)), "Europe/Paris", out);
    assert_string_equal(out, want);
}

static void test_alsace_moselle(void **state)
{
    (void)state;
    cat_tenant national = tenant("Europe/Paris", 0), alsace = tenant("Europe/Paris", 1);
    assert_int_equal(sla_holidays(&national), WORKDAYS_FRANCE);
    assert_int_equal(sla_holidays(&alsace), WORKDAYS_ALSACE_MOSELLE);
    assert_int_equal(sla_holidays(NULL), WORKDAYS_FRANCE);
    /* Filed on Wednesday 24 March 2027; Good Friday is the 26th, Easter Monday the 29th.
     * Two jours ouvrés: Thursday and Friday in the national calendar; in Alsace-Moselle
     * Friday is a holiday, and Monday too, so the second is Tuesday 30. */
    expect_due(0, 1, 2, "2027-03-24T10:00:00+01:00", "2027-03-26T23:59:59+01:00");
    expect_due(1, 1, 2, "2027-03-24T10:00:00+01:00", "2027-03-30T23:59:59+02:00");
    /* Two calendar days end on Good Friday: a working day nationally, not in Alsace-Moselle,
     * where the delay runs on to the next working day. */
    expect_due(0, 0, 2, "2027-03-24T10:00:00+01:00", "2027-03-26T23:59:59+01:00");
    expect_due(1, 0, 2, "2027-03-24T10:00:00+01:00", "2027-03-30T23:59:59+02:00");
    /* 26 December 2025 (a Friday): a delay ending on it moves to Monday 29 in Alsace-Moselle. */
    expect_due(0, 0, 2, "2025-12-24T09:00:00+01:00", "2025-12-26T23:59:59+01:00");
    expect_due(1, 0, 2, "2025-12-24T09:00:00+01:00", "2025-12-29T23:59:59+01:00");
    /* No delay, no due date, whatever the calendar. */
    cat_procedure none;
    memset(&none, 0, sizeof none);
    assert_int_equal(request_due_at(&alsace, &none, at("2027-03-24T10:00:00+01:00")), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_today_end),     cmocka_unit_test(test_midnight),
        cmocka_unit_test(test_clock_changes), cmocka_unit_test(test_none),
        cmocka_unit_test(test_filter),        cmocka_unit_test(test_alsace_moselle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

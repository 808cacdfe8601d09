/*
 * test_open311_params — the Open311 argument checks (src/api/open311/params) on urlencoded
 * bodies and query strings, for what issue 11 relaxed: long descriptions, date ranges of any
 * length, attribute codes left for core to sort out; and what stays refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/open311/params.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/form.h"

#define NOW ((int64_t)1795941000) /* 2026-11-29T08:30:00Z */
#define DAY ((int64_t)86400)

static int post(arena *a, const char *body, o311_post *p, error *err)
{
    form f;
    assert_int_equal(form_parse(a, body, strlen(body), &f, err), 0);
    error_clear(err);
    return o311_params_post(a, &f, p, err);
}

static int query(arena *a, const char *qs, o311_query *q, error *err)
{
    form f;
    assert_int_equal(form_parse(a, qs, strlen(qs), &f, err), 0);
    error_clear(err);
    return o311_params_query(a, &f, NOW, "Europe/Paris", q, err);
}

/* "service_code=x&description=" followed by n times "%C3%A9" (é, one character). */
static const char *body_with_description(buf *b, size_t n)
{
    buf_reset(b);
    buf_puts(b, "service_code=nid-de-poule&description=");
    for (size_t i = 0; i < n; i++)
        buf_puts(b, "%C3%A9");
    return buf_cstr(b);
}

static void test_description_up_to_request_max(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    buf b;
    buf_init(&b, 1 << 20);
    o311_post p;
    error err;
    /* Over the spec's 4,000 characters: kept whole (FixMyStreet does not cap its text). */
    assert_int_equal(post(&a, body_with_description(&b, O311_DESCRIPTION_MAX + 1), &p, &err), 0);
    assert_int_equal(strlen(p.description), 2 * (O311_DESCRIPTION_MAX + 1));
    assert_int_equal(post(&a, body_with_description(&b, REQUEST_DESCRIPTION_MAX), &p, &err), 0);
    assert_int_equal(strlen(p.description), 2 * REQUEST_DESCRIPTION_MAX);
    /* Over guichet's own maximum: refused, naming the argument and the limit. */
    assert_int_equal(post(&a, body_with_description(&b, REQUEST_DESCRIPTION_MAX + 1), &p, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "description");
    assert_string_equal(err.detail, "description: longer than 20000 characters");
    buf_free(&b);
    arena_free(&a);
}

/* params reads attribute[CODE] for any code: which ones a service defines is core's call
 * (attrs_validate with ignore_unknown); only malformed names are refused here. */
static void test_attribute_codes_pass_through(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    o311_post p;
    error err;
    assert_int_equal(post(&a,
                          "service_code=x&attribute%5Bfms_extra%5D=1&attribute%5Btaille%5D=petit"
                          "&attribute%5Bquand%5D=2026-12-05T14%3A30",
                          &p, &err),
                     0);
    assert_int_equal(p.n_attrs, 3);
    assert_string_equal(p.attrs[0].code, "fms_extra");
    assert_string_equal(p.attrs[2].value, "2026-12-05T14:30");
    assert_int_equal(post(&a, "service_code=x&attribute%5Bfms_extra=1", &p, &err), -1);
    assert_string_equal(err.arg, "attribute");
    arena_free(&a);
}

/* FixMyStreet's multi_photos sends every photo as media_url: each is checked, the first is
 * kept. Other arguments given twice stay refused. */
static void test_media_url_repeated(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    o311_post p;
    error err;
    assert_int_equal(post(&a,
                          "service_code=x&media_url=https%3A%2F%2Ff.example%2F1.jpeg"
                          "&media_url=https%3A%2F%2Ff.example%2F2.jpeg&media_url=",
                          &p, &err),
                     0);
    assert_string_equal(p.media_url, "https://f.example/1.jpeg");
    /* An empty first one is "not passed": the next is the first. */
    assert_int_equal(
        post(&a, "service_code=x&media_url=&media_url=https%3A%2F%2Ff.example%2F2", &p, &err), 0);
    assert_string_equal(p.media_url, "https://f.example/2");
    assert_int_equal(post(&a, "service_code=x&media_url=javascript%3Aalert(1)", &p, &err), -1);
    assert_string_equal(err.arg, "media_url");
    /* Each one is checked. */
    assert_int_equal(post(&a,
                          "service_code=x&media_url=https%3A%2F%2Ff.example%2F1&media_url=data%3Ax",
                          &p, &err),
                     -1);
    assert_string_equal(err.arg, "media_url");
    assert_int_equal(post(&a, "service_code=x&email=a%40b.fr&email=c%40d.fr", &p, &err), -1);
    assert_string_equal(err.arg, "email");
    arena_free(&a);
}

static void test_date_ranges_any_length(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    o311_query q;
    error err;
    /* A back-fill of several years: accepted as given, the page bounds the answer. */
    assert_int_equal(
        query(&a, "start_date=2020-01-01T00:00:00Z&end_date=2026-11-29T00:00:00Z", &q, &err), 0);
    assert_int_equal(q.created_from, 1577836800);
    assert_int_equal(q.created_to, 1795910400);
    assert_int_equal(q.page, 1);
    assert_int_equal(q.page_size, O311_MAX_RESULTS);
    assert_int_equal(
        query(&a, "start_date=2020-01-01&end_date=2026-11-29&page_size=50&page=3", &q, &err), 0);
    assert_int_equal(q.page_size, 50);
    assert_int_equal(q.page, 3);
    /* One day more than the spec's 90, the case clients hit first. */
    assert_int_equal(
        query(&a, "start_date=2026-08-30T00:00:00Z&end_date=2026-11-29T00:00:00Z", &q, &err), 0);
    assert_int_equal(q.created_to - q.created_from, 91 * DAY);

    /* Without both dates the window is still the spec's 90 days. */
    assert_int_equal(query(&a, "", &q, &err), 0);
    assert_int_equal(q.created_from, NOW - O311_RANGE_DAYS * DAY);
    assert_int_equal(q.created_to, NOW);
    assert_int_equal(query(&a, "start_date=2020-01-01", &q, &err), 0);
    assert_int_equal(q.created_to - q.created_from, O311_RANGE_DAYS * DAY);
    assert_int_equal(query(&a, "end_date=2020-01-01", &q, &err), 0);
    assert_int_equal(q.created_to - q.created_from, O311_RANGE_DAYS * DAY);

    /* Still refused: a reversed range, a bad date, a page too large. */
    assert_int_equal(query(&a, "start_date=2026-11-29&end_date=2020-01-01", &q, &err), -1);
    assert_string_equal(err.arg, "end_date");
    assert_int_equal(query(&a, "start_date=hier&end_date=2020-01-01", &q, &err), -1);
    assert_string_equal(err.arg, "start_date");
    /* A local time without offset is the collectivité's (Paris: +01:00 in November). */
    assert_int_equal(
        query(&a, "start_date=2026-11-29T09:30&end_date=2026-11-29T10:30:00", &q, &err), 0);
    assert_int_equal(q.created_from, NOW);
    assert_int_equal(q.created_to, NOW + 3600);
    assert_int_equal(
        query(&a, "start_date=2020-01-01&end_date=2026-11-29&page_size=1001", &q, &err), -1);
    assert_string_equal(err.arg, "page_size");
    arena_free(&a);
}

static int update_post(arena *a, const char *body, o311_update_post *u, error *err)
{
    form f;
    assert_int_equal(form_parse(a, body, strlen(body), &f, err), 0);
    error_clear(err);
    return o311_params_update_post(&f, "Europe/Paris", u, err);
}

#define UPDATE_BASE                                                                                \
    "service_request_id=2026-000001&update_id=42&updated_datetime=2026-11-29T09:30:00%2B01:00&"    \
    "description=Toujours+l%C3%A0"

static void test_update_post(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    o311_update_post u;
    error err;
    /* What FixMyStreet sends: "-" for a name it lacks, an extended status, extra fields. */
    assert_int_equal(update_post(&a,
                                 UPDATE_BASE "&status=fixed&first_name=-&last_name=Martin&"
                                             "service_code=nid&email_alerts_requested=1",
                                 &u, &err),
                     0);
    assert_string_equal(u.status, "FIXED");
    assert_null(u.first_name);
    assert_string_equal(u.last_name, "Martin");
    assert_int_equal(u.updated_at, NOW);
    assert_string_equal(u.update_id, "42");
    /* Several photos: each URL checked, the first kept. */
    assert_int_equal(update_post(&a,
                                 UPDATE_BASE "&status=OPEN&media_url=https://a.example/1.jpeg&"
                                             "media_url=https://a.example/2.jpeg",
                                 &u, &err),
                     0);
    assert_string_equal(u.media_url, "https://a.example/1.jpeg");
    assert_int_equal(update_post(&a,
                                 UPDATE_BASE "&status=OPEN&media_url=https://a.example/1.jpeg&"
                                             "media_url=javascript:alert(1)",
                                 &u, &err),
                     -1);
    assert_string_equal(err.arg, "media_url");
    /* Local time: the collectivité's. */
    assert_int_equal(update_post(&a,
                                 "service_request_id=2026-000001&update_id=42&status=REOPEN&"
                                 "updated_datetime=2026-11-29T09:30&description=x",
                                 &u, &err),
                     0);
    assert_int_equal(u.updated_at, NOW);
    assert_string_equal(u.status, "REOPEN");
    /* Each required field named when missing; an unknown status refused. */
    static const char *const required[] = {"service_request_id", "update_id", "updated_datetime",
                                           "status", "description"};
    static const char *const bodies[] = {
        "update_id=1&updated_datetime=2026-11-29&status=OPEN&description=x",
        "service_request_id=a&updated_datetime=2026-11-29&status=OPEN&description=x",
        "service_request_id=a&update_id=1&status=OPEN&description=x",
        "service_request_id=a&update_id=1&updated_datetime=2026-11-29&description=x",
        "service_request_id=a&update_id=1&updated_datetime=2026-11-29&status=OPEN"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(update_post(&a, bodies[i], &u, &err), -1);
        assert_int_equal(err.code, ERR_MISSING_ARG);
        assert_string_equal(err.arg, required[i]);
    }
    assert_int_equal(update_post(&a, UPDATE_BASE "&status=SOLVED", &u, &err), -1);
    assert_string_equal(err.arg, "status");
    assert_int_equal(update_post(&a, UPDATE_BASE "&status=OPEN&update_id=43", &u, &err), -1);
    assert_string_equal(err.arg, "update_id"); /* given twice */
    arena_free(&a);
}

static void test_updates_query(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    form f;
    error err;
    o311_updates_query q;
    const char *qs = "api_key=&start_date=2026-11-29T09:30&end_date=2026-11-30T00:00:00Z&page=2";
    assert_int_equal(form_parse(&a, qs, strlen(qs), &f, &err), 0);
    assert_int_equal(o311_params_updates(&f, NOW, "Europe/Paris", &q, &err), 0);
    assert_null(q.api_key); /* FixMyStreet sends an empty one: no key */
    assert_int_equal(q.from, NOW);
    assert_int_equal(q.to, 1795996800);
    assert_int_equal(q.page, 2);
    assert_int_equal(q.page_size, O311_MAX_RESULTS);
    assert_int_equal(form_parse(&a, "", 0, &f, &err), 0);
    assert_int_equal(o311_params_updates(&f, NOW, "Europe/Paris", &q, &err), 0);
    assert_int_equal(q.to - q.from, O311_RANGE_DAYS * DAY);
    qs = "start_date=2026-11-30&end_date=2026-11-29";
    assert_int_equal(form_parse(&a, qs, strlen(qs), &f, &err), 0);
    assert_int_equal(o311_params_updates(&f, NOW, "Europe/Paris", &q, &err), -1);
    assert_string_equal(err.arg, "end_date");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_description_up_to_request_max),
        cmocka_unit_test(test_attribute_codes_pass_through),
        cmocka_unit_test(test_media_url_repeated),
        cmocka_unit_test(test_date_ranges_any_length),
        cmocka_unit_test(test_update_post),
        cmocka_unit_test(test_updates_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

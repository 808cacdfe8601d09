/*
 * test_util — unit tests of src/util: buf, arena, the error registry, utf8, timeutil, form
 * and jsonw. Values are asserted exactly; JSON output is also checked with jansson.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/collate.h"
#include "util/error.h"
#include "util/form.h"
#include "util/jsonw.h"
#include "util/netaddr.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/utf8.h"

/* ---------------------------------------------------------------- buf */

static void test_buf_basic(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 100);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_putc(&b, 'd'), 0);
    assert_int_equal(buf_append(&b, "ef", 2), 0);
    assert_int_equal(buf_printf(&b, "-%d-%s", 42, "x"), 0);
    assert_string_equal(buf_cstr(&b), "abcdef-42-x");
    assert_int_equal(b.len, 11);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_free(&b);
    buf_free(NULL);
}

static void test_buf_max(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 5);
    assert_int_equal(buf_puts(&b, "12345"), 0);
    assert_int_equal(b.failed, 0);
    assert_int_equal(buf_putc(&b, '6'), -1);
    assert_int_equal(b.failed, 1);
    assert_string_equal(buf_cstr(&b), "12345");
    buf_reset(&b);
    assert_int_equal(b.failed, 0);
    assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_buf_long_printf_and_steal(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 10000);
    char big[1001];
    memset(big, 'z', 1000);
    big[1000] = '\0';
    assert_int_equal(buf_printf(&b, "<%s>", big), 0);
    assert_int_equal(b.len, 1002);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1001], '>');
    assert_int_equal(b.data[1002], '\0');
    size_t len = 0;
    char *s = buf_steal(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 1002);
    assert_int_equal(strlen(s), 1002);
    free(s);
    assert_int_equal(b.len, 0);
    s = buf_steal(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);
    buf_free(&b);
}

/* ---------------------------------------------------------------- arena */

/* A secret buffer (a request body holding a PIN): grown across several blocks, its content
 * kept; reset zeroes what it held; buf_free keeps the mark until buf_init. */
static void test_buf_secret(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    buf_set_secret(&b);
    char chunk[100];
    memset(chunk, 'p', sizeof chunk);
    for (int i = 0; i < 50; i++)
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 5000);
    assert_true(b.cap >= 5001);
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(b.data[i], 'p');
    const char *data = b.data;
    size_t len = b.len;
    buf_reset(&b);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(data[i], 0);
    assert_int_equal(buf_puts(&b, "pin=1234"), 0);
    assert_string_equal(buf_cstr(&b), "pin=1234");
    buf_free(&b);
    assert_true(b.secret);
    buf_init(&b, 10);
    assert_false(b.secret);
}

/* arena_wipe zeroes every byte handed out, in the first area and in the blocks. */
static void test_arena_wipe(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    char *small = arena_strdup(&a, "code élu 1234");
    char *big = arena_alloc(&a, 40000);
    assert_non_null(small && big);
    memset(big, 'x', 40000);
    char *last = arena_strdup(&a, "pin=5678");
    arena_wipe(&a);
    for (size_t i = 0; i < sizeof "code élu 1234"; i++)
        assert_int_equal(small[i], 0);
    for (size_t i = 0; i < 40000; i++)
        assert_int_equal(big[i], 0);
    for (size_t i = 0; i < sizeof "pin=5678"; i++)
        assert_int_equal(last[i], 0);
    arena_free(&a);
}

/* A URL from outside (a certificate's CRL distribution point, a webhook) must not reach the
 * server's own networks: every such address is refused, public ones are not, whatever form
 * the address takes; a text that is no address is refused too. */
static void test_netaddr_private(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        const char *kind; /* a word of the reason, NULL for a public address */
    } cases[] = {
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"10.1.2.3", "RFC 1918"},
        {"172.16.0.1", "RFC 1918"},
        {"172.31.255.255", "RFC 1918"},
        {"192.168.1.1", "RFC 1918"},
        {"169.254.169.254", "link-local"},
        {"100.64.0.1", "CGNAT"},
        {"100.127.255.255", "CGNAT"},
        {"224.0.0.1", "multicast"},
        {"0.0.0.0", "unspecified"},
        {"255.255.255.255", "broadcast"},
        {"240.0.0.1", "reserved"},
        {"172.15.255.255", NULL},
        {"172.32.0.1", NULL},
        {"100.63.255.255", NULL},
        {"100.128.0.1", NULL},
        {"192.169.0.1", NULL},
        {"8.8.8.8", NULL},
        {"93.184.216.34", NULL},
        {"::", "unspecified"},
        {"::1", "loopback"},
        {"fc00::1", "unique local"},
        {"fd12:3456::1", "unique local"},
        {"fe80::1", "link-local"},
        {"febf::1", "link-local"},
        {"fec0::1", "site-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:10.0.0.1", "RFC 1918"},
        {"::ffff:169.254.1.1", "link-local"},
        {"::10.0.0.1", "RFC 1918"},
        {"64:ff9b::192.168.0.1", "RFC 1918"},
        {"::ffff:8.8.8.8", NULL},
        {"64:ff9b::8.8.8.8", NULL},
        {"2001:db8::1", "documentation"},
        {"192.0.0.8", "IETF"},
        {"192.0.2.1", "documentation"},
        {"198.51.100.7", "documentation"},
        {"203.0.113.9", "documentation"},
        {"198.18.0.1", "benchmarking"},
        {"198.19.255.255", "benchmarking"},
        {"198.20.0.1", NULL},
        {"198.17.255.255", NULL},
        {"192.88.99.1", "6to4"},
        {"192.0.1.1", NULL},
        {"::ffff:0:10.0.0.1", "RFC 1918"},
        {"::ffff:0:8.8.8.8", NULL},
        {"2002:7f00:1::", "loopback"},
        {"2002:a00:1::1", "RFC 1918"},
        {"2002:808:808::1", NULL},
        {"64:ff9b:1::a00:1", "NAT64"},
        {"2001:0:4136:e378::1", "Teredo"},
        {"2001:4860::8888", NULL},
        {"100::1", "discard"},
        {"100:0:0:1::1", NULL},
        {"2a01:e0a::1", NULL},
        {"fbff::1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (strchr(cases[i].addr, ':')) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            s6->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, cases[i].addr, &s6->sin6_addr), 1);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            s4->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, cases[i].addr, &s4->sin_addr), 1);
        }
        const char *kind = netaddr_private((const struct sockaddr *)&ss);
        const char *text = netaddr_private_text(cases[i].addr);
        assert_true((kind == NULL) == (text == NULL));
        if (!cases[i].kind) {
            if (kind)
                fail_msg("%s: public, classified as %s", cases[i].addr, kind);
        } else if (!kind || !strstr(kind, cases[i].kind)) {
            fail_msg("%s: expected %s, got %s", cases[i].addr, cases[i].kind,
                     kind ? kind : "public");
        }
    }
    assert_string_equal(netaddr_private_text("ville.test"), "not an address");
    assert_string_equal(netaddr_private_text(""), "not an address");
    assert_string_equal(netaddr_private_text(NULL), "not an address");
}

static void test_arena_alloc(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    for (int i = 0; i < 100; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)(i * 37 + 1));
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        for (int k = 0; k < i * 37 + 1; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xAB, (size_t)(i * 37 + 1));
    }
    char *big = arena_alloc(&a, 100000); /* bigger than a block */
    assert_non_null(big);
    memset(big, 1, 100000);
    assert_string_equal(arena_strdup(&a, "bonjour"), "bonjour");
    assert_string_equal(arena_strndup(&a, "bonjour", 3), "bon");
    assert_null(arena_strdup(&a, NULL));
    assert_string_equal(arena_printf(&a, "%s-%03d", "n", 7), "n-007");
    arena_free(&a);
    assert_int_equal(a.total, 0);
    assert_non_null(arena_alloc(&a, 10)); /* usable again */
    arena_free(&a);
    arena_free(NULL);
}

static void test_arena_limit(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024);
    assert_non_null(arena_alloc(&a, 1000));
    assert_null(arena_alloc(&a, 100));
    assert_null(arena_alloc(&a, SIZE_MAX));
    assert_true(a.total <= 1024);
    arena_free(&a);
    arena_init(&a, 0);
    assert_null(arena_alloc(&a, SIZE_MAX - 3)); /* alignment overflow refused */
    arena_free(&a);
    arena_init(&a, 4096);
    assert_null(arena_strndup(&a, "x", 5000));
    arena_free(&a);
}

/* ---------------------------------------------------------------- error */

static void test_error_registry(void **state)
{
    (void)state;
    for (int c = ERR_NONE + 1; c < ERR_COUNT; c++) {
        int st = err_http_status((err_code)c);
        assert_true(st >= 400 && st <= 599);
        const char *name = err_name((err_code)c);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        for (int k = ERR_NONE + 1; k < c; k++)
            assert_string_not_equal(name, err_name((err_code)k));
        assert_true(strlen(err_message((err_code)c, LANG_FR)) > 0);
        assert_true(strlen(err_message((err_code)c, LANG_EN)) > 0);
        assert_string_not_equal(err_message((err_code)c, LANG_FR),
                                err_message((err_code)c, LANG_EN));
        assert_true(utf8_valid(err_message((err_code)c, LANG_FR),
                               strlen(err_message((err_code)c, LANG_FR))));
    }
    assert_int_equal(err_http_status(ERR_BAD_REQUEST), 400);
    assert_int_equal(err_http_status(ERR_UNAUTHORIZED), 401);
    assert_int_equal(err_http_status(ERR_FORBIDDEN), 403);
    assert_int_equal(err_http_status(ERR_NOT_FOUND), 404);
    assert_int_equal(err_http_status(ERR_METHOD), 405);
    assert_int_equal(err_http_status(ERR_CONFLICT), 409);
    assert_int_equal(err_http_status(ERR_TOO_LARGE), 413);
    assert_int_equal(err_http_status(ERR_UNSUPPORTED), 415);
    assert_int_equal(err_http_status(ERR_RATE_LIMITED), 429);
    assert_int_equal(err_http_status(ERR_INTERNAL), 500);
    assert_int_equal(err_http_status(ERR_UNAVAILABLE), 503);
    assert_int_equal(err_http_status((err_code)999), 500);
    assert_string_equal(err_name(ERR_INVALID_ARG), "invalid_argument");
    assert_non_null(err_message((err_code)999, LANG_FR));
}

static void test_error_set(void **state)
{
    (void)state;
    error e;
    error_clear(&e);
    assert_int_equal(e.code, ERR_NONE);
    assert_int_equal(error_set(&e, ERR_INVALID_ARG, "lat", "out of range: %d", 91), -1);
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_string_equal(e.arg, "lat");
    assert_string_equal(e.detail, "out of range: 91");
    char longarg[200];
    memset(longarg, 'a', sizeof longarg - 1);
    longarg[sizeof longarg - 1] = '\0';
    error_set(&e, ERR_MISSING_ARG, longarg, NULL);
    assert_int_equal(strlen(e.arg), sizeof e.arg - 1);
    assert_string_equal(e.detail, "");
    error_set(&e, ERR_INTERNAL, NULL, NULL);
    assert_string_equal(e.arg, "");
    assert_int_equal(error_set(NULL, ERR_INTERNAL, NULL, NULL), -1);
    error_clear(NULL);
}

/* ---------------------------------------------------------------- utf8 */

#define V(lit) utf8_valid(lit, sizeof(lit) - 1)

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(V(""));
    assert_true(V("plain ascii"));
    assert_true(V("rue de l'Église, 75001 Paris — ça marche"));
    assert_true(V("\x7F"));                /* U+007F */
    assert_true(V("\xC2\x80"));            /* U+0080 */
    assert_true(V("\xDF\xBF"));            /* U+07FF */
    assert_true(V("\xE0\xA0\x80"));        /* U+0800 */
    assert_true(V("\xED\x9F\xBF"));        /* U+D7FF, just below the surrogates */
    assert_true(V("\xEE\x80\x80"));        /* U+E000, just above */
    assert_true(V("\xEF\xBF\xBF"));        /* U+FFFF */
    assert_true(V("\xF0\x90\x80\x80"));    /* U+10000 */
    assert_true(V("\xF4\x8F\xBF\xBF"));    /* U+10FFFF */
    assert_true(V("\xF0\x9F\x98\x80 ok")); /* emoji */

    assert_false(V("a\0b"));                 /* NUL */
    assert_false(V("\x80"));                 /* lone continuation */
    assert_false(V("\xBF"));                 /* lone continuation */
    assert_false(V("\xC0\x80"));             /* overlong NUL */
    assert_false(V("\xC1\xBF"));             /* overlong */
    assert_false(V("\xE0\x80\x80"));         /* overlong 3-byte */
    assert_false(V("\xE0\x9F\xBF"));         /* overlong 3-byte */
    assert_false(V("\xF0\x80\x80\x80"));     /* overlong 4-byte */
    assert_false(V("\xF0\x8F\xBF\xBF"));     /* overlong 4-byte */
    assert_false(V("\xED\xA0\x80"));         /* U+D800 */
    assert_false(V("\xED\xBF\xBF"));         /* U+DFFF */
    assert_false(V("\xF4\x90\x80\x80"));     /* U+110000 */
    assert_false(V("\xF5\x80\x80\x80"));     /* F5 lead */
    assert_false(V("\xFF"));                 /* never valid */
    assert_false(V("\xFE"));                 /* never valid */
    assert_false(V("\xC3"));                 /* truncated */
    assert_false(V("\xE2\x82"));             /* truncated */
    assert_false(V("\xF0\x9F\x98"));         /* truncated */
    assert_false(V("\xC3\x28"));             /* bad continuation */
    assert_false(V("\xE2\x28\xA1"));         /* bad continuation */
    assert_false(V("\xF0\x9F\x28\x80"));     /* bad continuation */
    assert_false(V("ok\xC3"));               /* truncated at the end */
    assert_true(utf8_valid("\xC3\xA9", 2));  /* é */
    assert_false(utf8_valid("\xC3\xA9", 1)); /* cut in the middle */
}

/* The one check of a typed text field, back office and portal alike. */
static void test_text_field(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    const char *out = "x";
    assert_int_equal(text_field(&a, "  \r\n Bonjour\tà vous \n", 20, &out), TEXT_OK);
    assert_string_equal(out, "Bonjour\tà vous");
    assert_int_equal(text_field(&a, "ligne 1\nligne 2", 20, &out), TEXT_OK);
    assert_int_equal(text_field(&a, " \t\n ", 20, &out), TEXT_EMPTY);
    assert_null(out);
    assert_int_equal(text_field(&a, NULL, 20, &out), TEXT_EMPTY);
    assert_int_equal(text_field(&a, "a\x01b", 20, &out), TEXT_BAD_CHARACTERS);
    assert_null(out);
    assert_int_equal(text_field(&a, "\xC3", 20, &out), TEXT_BAD_CHARACTERS);
    /* Characters are counted, not bytes. */
    assert_int_equal(text_field(&a, "ééééé", 5, &out), TEXT_OK);
    assert_int_equal(text_field(&a, "éééééé", 5, &out), TEXT_TOO_LONG);
    assert_null(out);
    assert_string_equal(text_trim(&a, "\n x \t"), "x");
    assert_null(text_trim(&a, NULL));
    arena_free(&a);
}

/* A list's excerpt: whole when short, else cut between words with «…», within the limit. */
static void test_text_excerpt(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    assert_null(text_excerpt(&a, NULL, 10));
    const char *s = "Un trou";
    assert_ptr_equal(text_excerpt(&a, s, 7), s);
    assert_string_equal(text_excerpt(&a, "Un trou profond devant l'école", 12), "Un trou…");
    /* The cut falls on a blank: the words before it stay whole, the blank goes. */
    assert_string_equal(text_excerpt(&a, "Un trou profond devant", 9), "Un trou…");
    /* Line breaks are blanks too; characters, not bytes, are counted. */
    assert_string_equal(text_excerpt(&a, "Éé éé\nééé ééé", 9), "Éé éé…");
    /* A first word longer than the limit is cut inside it, rather than showing nothing. */
    assert_string_equal(text_excerpt(&a, "Anticonstitutionnellement dit", 6), "Antic…");
    const char *e = text_excerpt(&a, "mot mot mot mot mot mot mot mot", 14);
    assert_string_equal(e, "mot mot mot…");
    assert_true(utf8_length(e, strlen(e)) <= 14);
    arena_free(&a);
}

/* Decimal numbers as typed: a point or a comma, within bounds, nothing else. */
static void test_form_decimal(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(form_decimal("45.764", -90, 90, &v), 0);
    assert_true(v > 45.7639 && v < 45.7641);
    assert_int_equal(form_decimal("4,8357", -180, 180, &v), 0);
    assert_true(v > 4.8356 && v < 4.8358);
    assert_int_equal(form_decimal("-0.5", -1, 1, &v), 0);
    assert_int_equal(form_decimal("+12", 0, 20, &v), 0);
    assert_int_equal(form_decimal("300", 20, 5000, &v), 0);
    const char *bad[] = {NULL,  "",     "-",      ".",      "1e3",
                         " 45", "45 ",  "45.1.2", "45,1.2", "inf",
                         "nan", "0x10", "4-5",    "abc",    "123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(form_decimal(bad[i], -1e9, 1e9, &v), -1);
    assert_int_equal(form_decimal("91", -90, 90, &v), -1);
    assert_int_equal(form_decimal("19.9", 20, 5000, &v), -1);
}

static void test_text_file_size(void **state)
{
    (void)state;
    const text_size_units fr = {"octets", "Ko", "Mo", ','}, en = {"bytes", "KB", "MB", '.'};
    char out[32];
    assert_string_equal(text_file_size(out, sizeof out, 0, &fr), "0 octets");
    assert_string_equal(text_file_size(out, sizeof out, 1023, &fr), "1023 octets");
    assert_string_equal(text_file_size(out, sizeof out, 1024, &fr), "1 Ko");
    assert_string_equal(text_file_size(out, sizeof out, 1025, &fr), "2 Ko"); /* rounded up */
    assert_string_equal(text_file_size(out, sizeof out, 850 * 1024, &fr), "850 Ko");
    /* 2.3 MiB and a limit of 10 MiB, as the form's messages show them */
    assert_string_equal(text_file_size(out, sizeof out, 2411725, &fr), "2,3 Mo");
    assert_string_equal(text_file_size(out, sizeof out, 2411725, &en), "2.3 MB");
    assert_string_equal(text_file_size(out, sizeof out, 10 * 1024 * 1024, &fr), "10 Mo");
    assert_string_equal(text_file_size(out, sizeof out, 10 * 1024 * 1024 - 1, &fr), "10 Mo");
    assert_string_equal(text_file_size(out, sizeof out, 11 * 1024 * 1024 + 1, &en), "11 MB");
    assert_string_equal(text_file_size(out, sizeof out, 1024 * 1024, &fr), "1 Mo");
    assert_string_equal(text_file_size(out, sizeof out, 53477376, &fr), "51 Mo");
    assert_string_equal(text_file_size(out, sizeof out, -5, &fr), "0 octets");
    char small[4];
    assert_string_equal(text_file_size(small, sizeof small, 123456789, &fr), "117"); /* cut */
}

static void test_utf8_length_prefix_control(void **state)
{
    (void)state;
    const char *s = "aé€😀b"; /* 1 + 2 + 3 + 4 + 1 bytes */
    size_t n = strlen(s);
    assert_int_equal(n, 11);
    assert_int_equal(utf8_length(s, n), 5);
    assert_int_equal(utf8_length("", 0), 0);
    assert_int_equal(utf8_prefix_bytes(s, n, 0), 0);
    assert_int_equal(utf8_prefix_bytes(s, n, 1), 1);
    assert_int_equal(utf8_prefix_bytes(s, n, 2), 3);
    assert_int_equal(utf8_prefix_bytes(s, n, 3), 6);
    assert_int_equal(utf8_prefix_bytes(s, n, 4), 10);
    assert_int_equal(utf8_prefix_bytes(s, n, 5), 11);
    assert_int_equal(utf8_prefix_bytes(s, n, 100), 11);
    assert_int_equal(utf8_prefix_bytes(s, 5, 100), 3); /* never splits € */

    assert_false(utf8_has_control("a\tb\r\nc", 6));
    assert_true(utf8_has_control("a\x01", 2));
    assert_true(utf8_has_control("a\x1F", 2));
    assert_true(utf8_has_control("\x7F", 1));
    assert_true(utf8_has_control("a\0b", 3));
    assert_false(utf8_has_control("é", 2));
}

/* ---------------------------------------------------------------- timeutil */

static void fmt_eq(int64_t t, const char *tz, const char *want)
{
    char out[TIME_RFC3339_LEN];
    memset(out, 'X', sizeof out);
    time_format_rfc3339(t, tz, out);
    assert_string_equal(out, want);
}

static void test_time_format(void **state)
{
    (void)state;
    fmt_eq(0, NULL, "1970-01-01T00:00:00+00:00");
    fmt_eq(0, "", "1970-01-01T00:00:00+00:00");
    fmt_eq(0, "UTC", "1970-01-01T00:00:00+00:00");
    fmt_eq(1795941000, NULL, "2026-11-29T08:30:00+00:00");
    /* Europe/Paris: CET in winter, CEST in summer. */
    fmt_eq(1795941000, "Europe/Paris", "2026-11-29T09:30:00+01:00");
    fmt_eq(1782801000, "Europe/Paris", "2026-06-30T08:30:00+02:00");
    /* 2024 switches: 31 March 01:00 UTC and 27 October 01:00 UTC. */
    fmt_eq(1711846799, "Europe/Paris", "2024-03-31T01:59:59+01:00");
    fmt_eq(1711846800, "Europe/Paris", "2024-03-31T03:00:00+02:00");
    fmt_eq(1729990799, "Europe/Paris", "2024-10-27T02:59:59+02:00");
    fmt_eq(1729990800, "Europe/Paris", "2024-10-27T02:00:00+01:00");
    /* Past the transitions in the file: from the POSIX rule. */
    fmt_eq(4119724800, "Europe/Paris", "2100-07-20T02:00:00+02:00");
    fmt_eq(4102444800, "Europe/Paris", "2100-01-01T01:00:00+01:00");
    /* Other zones: negative offsets, southern hemisphere, half hours. */
    fmt_eq(1795941000, "America/New_York", "2026-11-29T03:30:00-05:00");
    fmt_eq(1782801000, "Australia/Sydney", "2026-06-30T16:30:00+10:00");
    fmt_eq(1795941000, "Australia/Sydney", "2026-11-29T19:30:00+11:00");
    fmt_eq(1795941000, "Asia/Kolkata", "2026-11-29T14:00:00+05:30");
    fmt_eq(1795941000, "America/St_Johns", "2026-11-29T05:00:00-03:30");
    fmt_eq(1795941000, "Indian/Reunion", "2026-11-29T12:30:00+04:00");
    /* Alternating zones in one thread must not confuse the per-thread cache. */
    fmt_eq(1795941000, "Europe/Paris", "2026-11-29T09:30:00+01:00");
    fmt_eq(1782801000, "Europe/Paris", "2026-06-30T08:30:00+02:00");
    fmt_eq(1782801000, NULL, "2026-06-30T06:30:00+00:00");
    fmt_eq(1782801000, "Europe/Paris", "2026-06-30T08:30:00+02:00");
    /* Unknown or hostile zone names: UTC. */
    fmt_eq(1795941000, "Nowhere/Atlantis", "2026-11-29T08:30:00+00:00");
    fmt_eq(1795941000, "../../etc/passwd", "2026-11-29T08:30:00+00:00");
    /* Out of 4-digit years: clamped. */
    fmt_eq(INT64_MAX, NULL, "9999-12-31T23:59:59+00:00");
    fmt_eq(INT64_MIN, NULL, "0000-01-01T00:00:00+00:00");
    fmt_eq(-1, NULL, "1969-12-31T23:59:59+00:00");
    fmt_eq(951782400, NULL, "2000-02-29T00:00:00+00:00");
}

static void parse_ok(const char *s, int64_t want)
{
    int64_t t = -12345;
    assert_int_equal(time_parse_rfc3339(s, &t), 0);
    assert_int_equal(t, want);
}

static void parse_bad(const char *s)
{
    int64_t t = -12345;
    assert_int_equal(time_parse_rfc3339(s, &t), -1);
}

static void test_time_parse(void **state)
{
    (void)state;
    parse_ok("2026-11-29T08:30:00Z", 1795941000);
    parse_ok("2026-11-29t08:30:00z", 1795941000);
    parse_ok("2026-11-29 08:30:00Z", 1795941000);
    parse_ok("2026-11-29T09:30:00+01:00", 1795941000);
    parse_ok("2026-11-29T09:30:00+0100", 1795941000);
    parse_ok("2026-11-29T03:30:00-05:00", 1795941000);
    parse_ok("2026-11-29T14:00:00+05:30", 1795941000);
    parse_ok("2026-11-29T08:30:00-00:00", 1795941000);
    parse_ok("2026-11-29T08:30:00.123456789Z", 1795941000);
    parse_ok("2026-11-29T08:30:00.9+00:00", 1795941000);
    parse_ok("2026-11-29", 1795910400);
    parse_ok("1970-01-01T00:00:00Z", 0);
    parse_ok("1969-12-31T23:59:59Z", -1);
    parse_ok("2024-02-29", 1709164800);
    parse_ok("2000-02-29T00:00:00Z", 951782400);
    parse_ok("2016-12-31T23:59:60Z", 1483228800); /* leap second: next second */
    parse_ok("0000-01-01T00:00:00Z", INT64_C(-62167219200));
    parse_ok("9999-12-31T23:59:59Z", INT64_C(253402300799));

    parse_bad(NULL);
    parse_bad("");
    parse_bad("2026");
    parse_bad("2026-11");
    parse_bad("2026-11-29T");
    parse_bad("2026-11-29T08:30Z");
    parse_bad("2026-11-29T08:30:00"); /* zone required */
    parse_bad("2026-11-29T08:30:00 Z");
    parse_bad("2026-11-29T08:30:00Z "); /* trailing text */
    parse_bad(" 2026-11-29");           /* leading text */
    parse_bad("2026-11-29x");
    parse_bad("2026-13-01");
    parse_bad("2026-00-01");
    parse_bad("2026-11-00");
    parse_bad("2026-11-31");
    parse_bad("2026-02-29"); /* not a leap year */
    parse_bad("1900-02-29"); /* not a leap year (century) */
    parse_bad("2026-04-31T00:00:00Z");
    parse_bad("2026-11-29T24:00:00Z");
    parse_bad("2026-11-29T23:60:00Z");
    parse_bad("2026-11-29T23:59:61Z");
    parse_bad("2026-11-29T08:30:00.Z"); /* empty fraction */
    parse_bad("2026-11-29T08:30:00+1:00");
    parse_bad("2026-11-29T08:30:00+01");
    parse_bad("2026-11-29T08:30:00+24:00");
    parse_bad("2026-11-29T08:30:00+01:60");
    parse_bad("2026-11-29T08:30:00+01:0");
    parse_bad("+2026-11-29");
    parse_bad("26-11-29");
    parse_bad("2026/11/29");
    parse_bad("2026-1-29");
    parse_bad("２０２６-11-29");
}

static void local_ok(const char *s, const char *tz, int64_t want)
{
    int64_t t = -12345;
    assert_int_equal(time_parse_local(s, tz, &t), 0);
    assert_int_equal(t, want);
}

/* Wall-clock times without offset (an HTML datetime-local value) read in a zone. */
static void test_time_parse_local(void **state)
{
    (void)state;
    local_ok("2026-11-29T09:30", "Europe/Paris", 1795941000);
    local_ok("2026-11-29T09:30:15", "Europe/Paris", 1795941015);
    local_ok("2026-11-29 09:30:00.250", "Europe/Paris", 1795941000);
    local_ok("2026-06-30T08:30", "Europe/Paris", 1782801000); /* summer time */
    local_ok("2026-11-29T03:30", "America/New_York", 1795941000);
    local_ok("2026-11-29T08:30", NULL, 1795941000);
    local_ok("2026-11-29T08:30", "", 1795941000);
    /* 02:30 on the night clocks go forward does not exist: either offset will do. */
    int64_t t;
    assert_int_equal(time_parse_local("2026-03-29T02:30", "Europe/Paris", &t), 0);
    assert_true(t == 1774751400 - 3600 || t == 1774751400 - 7200);

    const char *bad[] = {NULL,
                         "",
                         "2026-11-29",          /* a date alone: time_parse_rfc3339's */
                         "2026-11-29T09:30Z",   /* an offset: time_parse_rfc3339's */
                         "2026-11-29T09:30:00+01:00",
                         "2026-11-29T9:30",
                         "2026-11-29T09",
                         "2026-11-29T09:30:",
                         "2026-11-29T24:00",
                         "2026-11-29T09:60",
                         "2026-02-29T09:30",
                         "2026-11-29T09:30 ",
                         "29/11/2026 09:30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = -12345;
        assert_int_equal(time_parse_local(bad[i], "Europe/Paris", &t), -1);
        assert_int_equal(t, -12345);
    }
}

static void test_time_roundtrip_year_clock(void **state)
{
    (void)state;
    static const char *zones[] = {NULL, "Europe/Paris", "America/New_York", "Asia/Kolkata"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        for (int64_t t = -2000000000; t < 4200000000; t += 7777777) {
            char out[TIME_RFC3339_LEN];
            int64_t back;
            time_format_rfc3339(t, zones[z], out);
            assert_int_equal(strlen(out), 25);
            assert_int_equal(time_parse_rfc3339(out, &back), 0);
            assert_int_equal(back, t);
        }
    }
    assert_int_equal(time_year(1795941000, NULL), 2026);
    /* 2026-12-31T23:30:00Z is already 2027 in Paris. */
    assert_int_equal(time_year(1798759800, NULL), 2026);
    assert_int_equal(time_year(1798759800, "Europe/Paris"), 2027);
    assert_int_equal(time_year(1798759800, "America/New_York"), 2026);

    int64_t now = time_now();
    assert_true(now > 1700000000);
    int64_t a = time_mono_ms();
    int64_t b = time_mono_ms();
    assert_true(a > 0);
    assert_true(b >= a);
}

/* Many threads formatting in several zones at once (the server's situation): every result
 * must be exact, and zones are loaded once without a race. Run under TSan as well. */
static void *format_worker(void *arg)
{
    static const struct {
        int64_t t;
        const char *tz;
        const char *want;
    } cases[] = {
        {1795941000, "Europe/Paris", "2026-11-29T09:30:00+01:00"},
        {1782801000, "Europe/Paris", "2026-06-30T08:30:00+02:00"},
        {1795941000, "America/New_York", "2026-11-29T03:30:00-05:00"},
        {1782801000, NULL, "2026-06-30T06:30:00+00:00"},
        {1782801000, "Australia/Sydney", "2026-06-30T16:30:00+10:00"},
    };
    size_t start = (size_t)(uintptr_t)arg;
    for (int i = 0; i < 20000; i++) {
        size_t c = (start + (size_t)i) % (sizeof cases / sizeof *cases);
        char out[TIME_RFC3339_LEN];
        time_format_rfc3339(cases[c].t, cases[c].tz, out);
        if (strcmp(out, cases[c].want) != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_time_threads(void **state)
{
    (void)state;
    pthread_t th[8];
    for (uintptr_t i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, format_worker, (void *)i), 0);
    for (int i = 0; i < 8; i++) {
        void *rc = (void *)1;
        assert_int_equal(pthread_join(th[i], &rc), 0);
        assert_null(rc);
    }
}

/* The workers' pause: a flag already up returns at once; none up waits its time out; a flag
 * raised by another thread ends the wait early. */
typedef struct pause_fx {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, wake;
} pause_fx;

static void *raise_wake(void *arg)
{
    pause_fx *p = arg;
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&p->mu);
    p->wake = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void test_time_cond_wait(void **state)
{
    (void)state;
    pause_fx p = {.stop = 0, .wake = 0};
    pthread_mutex_init(&p.mu, NULL);
    assert_int_equal(time_cond_init(&p.cv), 0);
    pthread_mutex_lock(&p.mu);
    int64_t t0 = time_mono_ms();
    time_cond_wait_ms(&p.cv, &p.mu, 150, &p.stop, NULL);
    int64_t waited = time_mono_ms() - t0;
    assert_true(waited >= 150);
    p.stop = 1;
    t0 = time_mono_ms();
    time_cond_wait_ms(&p.cv, &p.mu, 10000, &p.stop, &p.wake);
    assert_true(time_mono_ms() - t0 < 1000);
    p.stop = 0;
    pthread_mutex_unlock(&p.mu);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, raise_wake, &p), 0);
    pthread_mutex_lock(&p.mu);
    t0 = time_mono_ms();
    time_cond_wait_ms(&p.cv, &p.mu, 10000, &p.stop, &p.wake);
    assert_int_equal(p.wake, 1);
    assert_true(time_mono_ms() - t0 < 5000);
    pthread_mutex_unlock(&p.mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
}

/* ---------------------------------------------------------------- form */

typedef struct fx {
    arena a;
    form f;
    error e;
} fx;

static int parse_form(fx *x, const char *s)
{
    error_clear(&x->e);
    return form_parse(&x->a, s, strlen(s), &x->f, &x->e);
}

static int fx_setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    arena_init(&x->a, 1 << 20);
    *state = x;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *x = *state;
    arena_free(&x->a);
    free(x);
    return 0;
}

static void test_form_basic(void **state)
{
    fx *x = *state;
    assert_int_equal(parse_form(x, "a=1&b=%C3%A9+x&c&d=&e=x%3Dy=z&a=2"), 0);
    assert_int_equal(x->f.count, 6);
    assert_string_equal(x->f.fields[0].name, "a");
    assert_string_equal(x->f.fields[0].value, "1");
    assert_string_equal(x->f.fields[1].name, "b");
    assert_string_equal(x->f.fields[1].value, "é x");
    assert_int_equal(x->f.fields[1].value_len, 4);
    assert_string_equal(x->f.fields[2].name, "c");
    assert_string_equal(x->f.fields[2].value, "");
    assert_int_equal(x->f.fields[2].value_len, 0);
    assert_string_equal(x->f.fields[3].value, "");
    assert_string_equal(x->f.fields[4].value, "x=y=z");
    assert_string_equal(form_get(&x->f, "a"), "1");
    assert_string_equal(form_get(&x->f, "e"), "x=y=z");
    assert_null(form_get(&x->f, "zz"));
    assert_null(form_get(NULL, "a"));
    assert_int_equal(form_count(&x->f, "a"), 2);
    assert_int_equal(form_count(&x->f, "b"), 1);
    assert_int_equal(form_count(&x->f, "zz"), 0);
}

static void test_form_empty_pairs_and_plus(void **state)
{
    fx *x = *state;
    assert_int_equal(parse_form(x, ""), 0);
    assert_int_equal(x->f.count, 0);
    assert_null(form_get(&x->f, "a"));
    assert_int_equal(parse_form(x, "&&&"), 0);
    assert_int_equal(x->f.count, 0);
    assert_int_equal(parse_form(x, "&a=1&&b=2&"), 0);
    assert_int_equal(x->f.count, 2);
    assert_string_equal(form_get(&x->f, "b"), "2");
    assert_int_equal(parse_form(x, "q=a+b%2Bc+&na+me=v"), 0);
    assert_string_equal(form_get(&x->f, "q"), "a b+c ");
    assert_string_equal(form_get(&x->f, "na me"), "v");
    assert_int_equal(parse_form(x, "h=%e2%82%AC"), 0); /* both hex cases */
    assert_string_equal(form_get(&x->f, "h"), "€");
    /* Only len bytes are read. */
    error_clear(&x->e);
    assert_int_equal(form_parse(&x->a, "a=12345", 4, &x->f, &x->e), 0);
    assert_string_equal(form_get(&x->f, "a"), "12");
}

static void test_form_bad_percent(void **state)
{
    fx *x = *state;
    static const char *bad[] = {"a=%", "a=%4", "a=%G0", "a=%0G", "a=1%", "a=%%41", "a=%-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse_form(x, bad[i]), -1);
        assert_int_equal(x->e.code, ERR_BAD_REQUEST);
        assert_string_equal(x->e.arg, "a");
    }
    assert_int_equal(parse_form(x, "ok=1&na%C3%A9me%ZZ=1"), -1);
    assert_int_equal(x->e.code, ERR_BAD_REQUEST);
    assert_string_equal(x->e.arg, "naéme"); /* the name decoded so far */
    assert_int_equal(parse_form(x, "%zz=1"), -1);
    assert_int_equal(x->e.code, ERR_BAD_REQUEST);
    assert_string_equal(x->e.arg, "");
}

static void test_form_invalid_utf8_and_nul(void **state)
{
    fx *x = *state;
    assert_int_equal(parse_form(x, "title=a%00b"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_string_equal(x->e.arg, "title");
    assert_int_equal(parse_form(x, "title=%C3"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_string_equal(x->e.arg, "title");
    assert_int_equal(parse_form(x, "title=%C0%80"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_int_equal(parse_form(x, "title=%ED%A0%80"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_int_equal(parse_form(x, "title=\xff"), -1); /* raw bad byte */
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_int_equal(parse_form(x, "ti%FFtle=1"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_string_equal(x->e.arg, "ti"); /* only the valid prefix is echoed */
    assert_int_equal(parse_form(x, "a%00=1"), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
    assert_string_equal(x->e.arg, "a");
    /* A raw NUL inside len. */
    error_clear(&x->e);
    assert_int_equal(form_parse(&x->a, "a=1\0b", 5, &x->f, &x->e), -1);
    assert_int_equal(x->e.code, ERR_INVALID_ARG);
}

static void test_form_limits(void **state)
{
    fx *x = *state;
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < FORM_MAX_FIELDS; i++)
        buf_printf(&b, "f%d=%d&", i, i);
    assert_int_equal(parse_form(x, buf_cstr(&b)), 0);
    assert_int_equal(x->f.count, FORM_MAX_FIELDS);
    assert_string_equal(form_get(&x->f, "f255"), "255");
    buf_puts(&b, "one=more");
    assert_int_equal(parse_form(x, buf_cstr(&b)), -1);
    assert_int_equal(x->e.code, ERR_TOO_LARGE);

    buf_reset(&b);
    for (int i = 0; i < FORM_MAX_NAME; i++)
        buf_putc(&b, 'n');
    buf_puts(&b, "=v");
    assert_int_equal(parse_form(x, buf_cstr(&b)), 0);
    assert_int_equal(x->f.count, 1);
    buf_reset(&b);
    for (int i = 0; i <= FORM_MAX_NAME; i++)
        buf_putc(&b, 'n');
    buf_puts(&b, "=v");
    assert_int_equal(parse_form(x, buf_cstr(&b)), -1);
    assert_int_equal(x->e.code, ERR_TOO_LARGE);
    assert_int_equal(strlen(x->e.arg), sizeof x->e.arg - 1);
    buf_free(&b);

    /* A small arena refuses a big form with ERR_TOO_LARGE instead of crashing. */
    arena small;
    arena_init(&small, 64);
    form f;
    error e;
    error_clear(&e);
    const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    assert_int_equal(form_parse(&small, s, strlen(s), &f, &e), -1);
    assert_int_equal(e.code, ERR_TOO_LARGE);
    arena_free(&small);
}

static void test_form_decode_component(void **state)
{
    fx *x = *state;
    assert_string_equal(form_decode_component(&x->a, "a%20b+c", 7, 0), "a b+c");
    assert_string_equal(form_decode_component(&x->a, "a%20b+c", 7, 1), "a b c");
    assert_string_equal(form_decode_component(&x->a, "%C3%A9t%C3%A9", 13, 0), "été");
    assert_string_equal(form_decode_component(&x->a, "", 0, 0), "");
    assert_string_equal(form_decode_component(&x->a, "abcdef", 3, 0), "abc");
    assert_null(form_decode_component(&x->a, "%", 1, 0));
    assert_null(form_decode_component(&x->a, "%2", 2, 0));
    assert_null(form_decode_component(&x->a, "%2x", 3, 0));
    assert_null(form_decode_component(&x->a, "%00", 3, 0));
    assert_null(form_decode_component(&x->a, "%FF", 3, 0));
    assert_null(form_decode_component(&x->a, "%C3", 3, 0));
    assert_null(form_decode_component(&x->a, NULL, 0, 0));
}

/* ---------------------------------------------------------------- jsonw */

typedef struct jx {
    buf b;
    jsonw w;
} jx;

static int jx_setup(void **state)
{
    jx *x = calloc(1, sizeof *x);
    buf_init(&x->b, 1 << 20);
    jsonw_init(&x->w, &x->b);
    *state = x;
    return 0;
}

static int jx_teardown(void **state)
{
    jx *x = *state;
    buf_free(&x->b);
    free(x);
    return 0;
}

static void assert_parses(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg("not JSON: %s (%s)", text, jerr.text);
    json_decref(j);
}

static void test_jsonw_structure(void **state)
{
    jx *x = *state;
    jsonw *w = &x->w;
    jsonw_object_begin(w, NULL);
    jsonw_string(w, "a", "x");
    jsonw_int(w, "n", -42);
    jsonw_int(w, "big", INT64_MAX);
    jsonw_bool(w, "t", 1);
    jsonw_bool(w, "f", 0);
    jsonw_null(w, "z");
    jsonw_string(w, "s", NULL);
    jsonw_array_begin(w, "arr");
    jsonw_int(w, NULL, 1);
    jsonw_object_begin(w, NULL);
    jsonw_object_end(w);
    jsonw_array_begin(w, NULL);
    jsonw_array_end(w);
    jsonw_raw(w, NULL, "{\"k\":[1,2]}");
    jsonw_array_end(w);
    jsonw_raw(w, "r", NULL);
    jsonw_object_end(w);
    assert_int_equal(jsonw_finish(w), 0);
    assert_string_equal(buf_cstr(&x->b),
                        "{\"a\":\"x\",\"n\":-42,\"big\":9223372036854775807,\"t\":true,"
                        "\"f\":false,\"z\":null,\"s\":null,\"arr\":[1,{},[],{\"k\":[1,2]}],"
                        "\"r\":null}");
    assert_parses(buf_cstr(&x->b));
}

static void test_jsonw_escaping(void **state)
{
    jx *x = *state;
    jsonw *w = &x->w;
    jsonw_array_begin(w, NULL);
    jsonw_string(w, NULL, "q\"b\\s/");
    jsonw_string(w, NULL, "\n\r\t\b\f\x01\x1f\x7f");
    jsonw_string(w, NULL, "</script><b>&amp;");
    jsonw_string(w, NULL, "été €😀");
    jsonw_string_n(w, NULL, "a\0b", 3);
    jsonw_string_n(w, NULL, "bad\xff\xc3(", 6);
    jsonw_string(w, NULL, "\xE2\x80\xA8\xE2\x80\xA9");
    jsonw_string(w, NULL, "");
    jsonw_array_end(w);
    assert_int_equal(jsonw_finish(w), 0);
    assert_string_equal(buf_cstr(&x->b), "[\"q\\\"b\\\\s/\","
                                         "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\","
                                         "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;\","
                                         "\"été €😀\","
                                         "\"a\\u0000b\","
                                         "\"bad\\ufffd\\ufffd(\","
                                         "\"\\u2028\\u2029\","
                                         "\"\"]");
    assert_parses(buf_cstr(&x->b));
    json_t *j = json_loads(buf_cstr(&x->b), JSON_ALLOW_NUL, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(j, 2)), "</script><b>&amp;");
    assert_string_equal(json_string_value(json_array_get(j, 3)), "été €😀");
    json_decref(j);

    /* Keys are escaped too. */
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_object_begin(w, NULL);
    jsonw_int(w, "k\"<", 1);
    jsonw_object_end(w);
    assert_int_equal(jsonw_finish(w), 0);
    assert_string_equal(buf_cstr(&x->b), "{\"k\\\"\\u003c\":1}");
}

static void test_jsonw_doubles(void **state)
{
    jx *x = *state;
    jsonw *w = &x->w;
    jsonw_array_begin(w, NULL);
    jsonw_double(w, NULL, 48.8566);
    jsonw_double(w, NULL, 2.3522);
    jsonw_double(w, NULL, 2.0);
    jsonw_double(w, NULL, 0.0);
    jsonw_double(w, NULL, -0.0);
    jsonw_double(w, NULL, -1.5);
    jsonw_double(w, NULL, 100.0);
    jsonw_double(w, NULL, 0.12345678);
    jsonw_double(w, NULL, 1e-9);
    jsonw_double(w, NULL, 1.0 / 0.0);
    jsonw_double(w, NULL, 0.0 / 0.0);
    jsonw_double(w, NULL, 1e300);
    jsonw_array_end(w);
    assert_int_equal(jsonw_finish(w), 0);
    const char *s = buf_cstr(&x->b);
    static const char want[] =
        "[48.8566,2.3522,2,0,0,-1.5,100,0.1234568,0,null,null,1.0000000000000001e+300]";
    assert_string_equal(s, want);
    assert_parses(s);
}

static void test_jsonw_misuse(void **state)
{
    jx *x = *state;
    jsonw *w = &x->w;
    /* Key missing inside an object. */
    jsonw_object_begin(w, NULL);
    jsonw_int(w, NULL, 1);
    assert_int_equal(w->failed, 1);
    assert_int_equal(jsonw_finish(w), -1);

    /* Key inside an array. */
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_array_begin(w, NULL);
    jsonw_int(w, "k", 1);
    assert_int_equal(jsonw_finish(w), -1);

    /* Mismatched end, unclosed container, two top-level values, empty output. */
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_array_begin(w, NULL);
    jsonw_object_end(w);
    assert_int_equal(jsonw_finish(w), -1);
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_array_begin(w, NULL);
    assert_int_equal(jsonw_finish(w), -1);
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_int(w, NULL, 1);
    assert_int_equal(jsonw_finish(w), 0);
    jsonw_int(w, NULL, 2);
    assert_int_equal(jsonw_finish(w), -1);
    assert_string_equal(buf_cstr(&x->b), "1");
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    assert_int_equal(jsonw_finish(w), -1);
    jsonw_array_end(w);
    assert_int_equal(w->failed, 1);

    /* A top-level scalar is valid JSON. */
    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    jsonw_string(w, NULL, "x");
    assert_int_equal(jsonw_finish(w), 0);
    assert_string_equal(buf_cstr(&x->b), "\"x\"");
}

static void test_jsonw_depth(void **state)
{
    jx *x = *state;
    jsonw *w = &x->w;
    for (int i = 0; i < JSONW_MAX_DEPTH - 1; i++)
        jsonw_array_begin(w, NULL);
    assert_int_equal(w->failed, 0);
    for (int i = 0; i < JSONW_MAX_DEPTH - 1; i++)
        jsonw_array_end(w);
    assert_int_equal(jsonw_finish(w), 0);
    assert_parses(buf_cstr(&x->b));

    buf_reset(&x->b);
    jsonw_init(w, &x->b);
    for (int i = 0; i < JSONW_MAX_DEPTH + 5; i++)
        jsonw_object_begin(w, i ? "k" : NULL);
    assert_int_equal(w->failed, 1);
    for (int i = 0; i < JSONW_MAX_DEPTH + 5; i++)
        jsonw_object_end(w);
    assert_int_equal(jsonw_finish(w), -1);
}

static void test_jsonw_buf_max(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 20);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_array_begin(&w, NULL);
    for (int i = 0; i < 20; i++)
        jsonw_string(&w, NULL, "abc");
    jsonw_array_end(&w);
    assert_int_equal(w.failed, 1);
    assert_int_equal(jsonw_finish(&w), -1);
    assert_true(b.len <= 20);
    buf_free(&b);
}

static void test_form_encode(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    assert_string_equal(form_encode(&a, "2026-000123", NULL), "2026-000123");
    assert_string_equal(form_encode(&a, "a b&c=d/é", NULL), "a%20b%26c%3Dd%2F%C3%A9");
    assert_string_equal(form_encode(&a, "/agent/?q=x", "/"), "/agent/%3Fq%3Dx");
    assert_string_equal(form_encode(&a, NULL, NULL), "");
    assert_string_equal(form_encode(&a, "A.b_c~d-e", NULL), "A.b_c~d-e");
    /* What form_encode writes, form_decode_component reads back. */
    const char *raw = "photo d'été #1 (100%).jpg";
    const char *enc = form_encode(&a, raw, NULL);
    assert_string_equal(form_decode_component(&a, enc, strlen(enc), 0), raw);
    arena_free(&a);
}

/* Redirect targets (issue 9): what a browser or another URL parser would read as another
 * host, a header injection or a control character is refused; paths of ours pass. */
static void test_form_local_path(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "x",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil",
        "\t//evil",
        "/ /evil",
        "/a b",
        "/\r\nSet-Cookie: x=1",
        "/x\ny",
        "/\x7f",
        "/\x0b/evil",
        "/\xc2\xa0/evil",
        "/a\\b",
        "/\xc3\xa9t\xc3\xa9",
        " /x",
        "/\x01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(form_local_path(bad[i]));
    assert_false(form_local_path(NULL));
    static const char *const good[] = {"/",
                                       "/mes-demandes",
                                       "/suivi?reference=2026-000001&x=%20",
                                       "/agent/?q=trou%20profond&onglet=tous",
                                       "/a//b",
                                       "/%2F%2Fx"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(form_local_path(good[i]));
    char long_path[FORM_LOCAL_PATH_MAX + 2];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[FORM_LOCAL_PATH_MAX] = '\0';
    assert_true(form_local_path(long_path));
    long_path[FORM_LOCAL_PATH_MAX] = 'a';
    long_path[FORM_LOCAL_PATH_MAX + 1] = '\0';
    assert_false(form_local_path(long_path));
}

static int fr_cmp(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    return collate_fr(a, strlen(a), b, strlen(b));
}

/* French order: accents and case folded first («Éclairage» with the E, «Œuvre» as «oeuvre»;
 * a space before any letter, as in a dictionary's «ça et là» before «cabane»), then the bytes (a
 * total order: «Eric» and «Éric» are not equal); invalid UTF-8 compares without crashing. */
static void test_collate_fr(void **state)
{
    (void)state;
    const char *names[] = {"Zoé",  "éric",       "Voirie", "Éclairage",    "Emma",   "eve",
                           "Eric", "Œuvres",     "Ocre",   "Çà et là",     "cabane", "Étienne",
                           "état", "Etat civil", "Éric",   "Espaces verts"};
    const char *sorted[] = {
        "Çà et là", "cabane",     "Éclairage", "Emma", "Eric", "Éric",   "éric",   "Espaces verts",
        "état",     "Etat civil", "Étienne",   "eve",  "Ocre", "Œuvres", "Voirie", "Zoé"};
    size_t n = sizeof names / sizeof names[0];
    qsort(names, n, sizeof names[0], fr_cmp);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], sorted[i]);
    assert_int_equal(collate_fr("abc", 3, "abc", 3), 0);
    assert_true(collate_fr("ab", 2, "abc", 3) < 0);
    assert_true(collate_fr("", 0, "a", 1) < 0);
    assert_true(collate_fr("\xff", 1, "a", 1) > 0);
    assert_true(collate_fr("a\xc3", 2, "a\xc3\xa9", 3) != 0); /* truncated sequence */
    assert_true(collate_fr("\xc3\x97", 2, "x", 1) > 0);       /* «×» is not a letter */
}

/* The folded key as a string: what the address search matches words by. */
static void test_collate_fold(void **state)
{
    (void)state;
    char out[64];
    const char *s = "Œuvre ÉGLISE Ça «x»";
    assert_int_equal(collate_fold(s, strlen(s), out, sizeof out),
                     (long)strlen("oeuvre eglise ca «x»"));
    assert_string_equal(out, "oeuvre eglise ca «x»");
    /* An invalid byte stays itself. */
    assert_int_equal(collate_fold("a\xff"
                                  "B",
                                  3, out, sizeof out),
                     3);
    assert_memory_equal(out,
                        "a\xff"
                        "b",
                        4);
    /* Too small for the key and its NUL: -1, never a cut key. */
    assert_int_equal(collate_fold("Æb", 3, out, 3), -1);
    assert_int_equal(collate_fold("Æb", 3, out, 4), 3);
    assert_string_equal(out, "aeb");
    assert_int_equal(collate_fold("", 0, out, 1), 0);
    assert_string_equal(out, "");
    /* A typographic apostrophe (a phone's) is the straight one: «l’éclairage» finds
     * «l'éclairage». */
    const char *typed = "L\u2019Éclairage";
    assert_int_equal(collate_fold(typed, strlen(typed), out, sizeof out), 11);
    assert_string_equal(out, "l'eclairage");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_local_path),
        cmocka_unit_test(test_text_field),
        cmocka_unit_test(test_text_excerpt),
        cmocka_unit_test(test_form_decimal),
        cmocka_unit_test(test_form_encode),
        cmocka_unit_test(test_buf_basic),
        cmocka_unit_test(test_buf_max),
        cmocka_unit_test(test_buf_long_printf_and_steal),
        cmocka_unit_test(test_netaddr_private),
        cmocka_unit_test(test_buf_secret),
        cmocka_unit_test(test_arena_wipe),
        cmocka_unit_test(test_arena_alloc),
        cmocka_unit_test(test_arena_limit),
        cmocka_unit_test(test_error_registry),
        cmocka_unit_test(test_error_set),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_length_prefix_control),
        cmocka_unit_test(test_text_file_size),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_parse_local),
        cmocka_unit_test(test_time_roundtrip_year_clock),
        cmocka_unit_test(test_time_threads),
        cmocka_unit_test(test_time_cond_wait),
        cmocka_unit_test_setup_teardown(test_form_basic, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_form_empty_pairs_and_plus, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_form_bad_percent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_form_invalid_utf8_and_nul, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_form_limits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_form_decode_component, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_jsonw_structure, jx_setup, jx_teardown),
        cmocka_unit_test_setup_teardown(test_jsonw_escaping, jx_setup, jx_teardown),
        cmocka_unit_test_setup_teardown(test_jsonw_doubles, jx_setup, jx_teardown),
        cmocka_unit_test_setup_teardown(test_jsonw_misuse, jx_setup, jx_teardown),
        cmocka_unit_test_setup_teardown(test_jsonw_depth, jx_setup, jx_teardown),
        cmocka_unit_test(test_jsonw_buf_max),
        cmocka_unit_test(test_collate_fr),
        cmocka_unit_test(test_collate_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

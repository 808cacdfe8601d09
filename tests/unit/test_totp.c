/*
 * Unit tests of core/totp: RFC 6238 appendix B vectors (SHA-1 seed), RFC 4226 appendix D
 * HOTP values, the ±1 step window and replay refusal of totp_verify, RFC 4648 §10 base32
 * vectors both ways, the otpauth URI's escaping, and the QR code SVG's accessibility markup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/totp.h"

static const unsigned char seed[] = "12345678901234567890"; /* RFC 6238 SHA-1 key */
#define SEED_LEN 20

static void test_rfc6238_vectors(void **state)
{
    (void)state;
    /* RFC 6238 appendix B, SHA1 column (8 digits). */
    static const struct {
        int64_t t;
        uint32_t code8;
    } v[] = {{59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
             {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t code = 0;
        assert_int_equal(totp_code_at_step(seed, SEED_LEN, totp_step(v[i].t), 8, &code), 0);
        assert_int_equal(code, v[i].code8);
        /* The 6-digit code is the same truncation modulo 10^6, with leading zeros. */
        char six[TOTP_DIGITS + 1], expect[TOTP_DIGITS + 1];
        assert_int_equal(totp_code(seed, SEED_LEN, v[i].t, six), 0);
        snprintf(expect, sizeof expect, "%06u", (unsigned)(v[i].code8 % 1000000));
        assert_string_equal(six, expect);
    }
}

static void test_rfc4226_hotp(void **state)
{
    (void)state;
    static const uint32_t expect[] = {755224, 287082, 359152, 969429, 338314,
                                      254676, 287922, 162583, 399871, 520489};
    for (int64_t c = 0; c < 10; c++) {
        uint32_t code = 0;
        assert_int_equal(totp_code_at_step(seed, SEED_LEN, c, 6, &code), 0);
        assert_int_equal(code, expect[c]);
    }
    uint32_t code = 0;
    assert_int_equal(totp_code_at_step(seed, SEED_LEN, 0, 5, &code), -1);
    assert_int_equal(totp_code_at_step(seed, 0, 0, 6, &code), -1);
}

static void test_step(void **state)
{
    (void)state;
    assert_int_equal(totp_step(0), 0);
    assert_int_equal(totp_step(29), 0);
    assert_int_equal(totp_step(30), 1);
    assert_int_equal(totp_step(59), 1);
    assert_int_equal(totp_step(-1), -1);
}

static void code_at(int64_t t, char out[TOTP_DIGITS + 1])
{
    assert_int_equal(totp_code(seed, SEED_LEN, t, out), 0);
}

static void test_verify_window_and_replay(void **state)
{
    (void)state;
    const int64_t now = 1111111111; /* step 37037037 */
    char prev[7], cur[7], next[7], far[7];
    code_at(now - 30, prev);
    code_at(now, cur);
    code_at(now + 30, next);
    code_at(now + 60, far);
    error err;
    int64_t last = 0;
    /* Outside the window (two steps ahead): refused. */
    assert_int_equal(totp_verify(seed, SEED_LEN, far, now, &last, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* The previous step (clock behind) is accepted... */
    assert_int_equal(totp_verify(seed, SEED_LEN, prev, now, &last, &err), 0);
    assert_int_equal(last, totp_step(now) - 1);
    /* ...then the same code again is a replay. */
    assert_int_equal(totp_verify(seed, SEED_LEN, prev, now, &last, &err), -1);
    /* The current step, with spaces as people type it. */
    char spaced[10] = {cur[0], cur[1], cur[2], ' ', cur[3], cur[4], cur[5], '\0'};
    assert_int_equal(totp_verify(seed, SEED_LEN, spaced, now, &last, &err), 0);
    assert_int_equal(last, totp_step(now));
    assert_int_equal(totp_verify(seed, SEED_LEN, cur, now, &last, &err), -1);
    /* Next step (clock ahead) once, and after that even the previous code is too old. */
    assert_int_equal(totp_verify(seed, SEED_LEN, next, now, &last, &err), 0);
    assert_int_equal(totp_verify(seed, SEED_LEN, prev, now, &last, &err), -1);
    /* Malformed codes. */
    int64_t none = 0;
    assert_int_equal(totp_verify(seed, SEED_LEN, "12345", now, &none, &err), -1);
    assert_int_equal(totp_verify(seed, SEED_LEN, "1234567", now, &none, &err), -1);
    assert_int_equal(totp_verify(seed, SEED_LEN, "12a456", now, &none, &err), -1);
    assert_int_equal(totp_verify(seed, SEED_LEN, NULL, now, &none, &err), -1);
    assert_int_equal(none, 0);
    /* A wrong digit. */
    char wrong[7];
    memcpy(wrong, cur, 7);
    wrong[5] = wrong[5] == '9' ? '0' : (char)(wrong[5] + 1);
    assert_int_equal(totp_verify(seed, SEED_LEN, wrong, now, NULL, &err), -1);
}

static void test_base32_vectors(void **state)
{
    (void)state;
    /* RFC 4648 §10, without padding. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",        "MY",       "MZXQ",      "MZXW6",
                                      "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    for (size_t i = 0; i < 7; i++) {
        char out[32];
        assert_int_equal(
            totp_base32_encode((const unsigned char *)plain[i], strlen(plain[i]), out, sizeof out),
            0);
        assert_string_equal(out, enc[i]);
        unsigned char back[32];
        size_t n = 99;
        assert_int_equal(totp_base32_decode(enc[i], back, sizeof back, &n), 0);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(back, plain[i], n);
    }
    /* Padded, lowercase, with spaces: as apps and people write it. */
    unsigned char back[32];
    size_t n = 0;
    assert_int_equal(totp_base32_decode("mzxw 6ytb oi======", back, sizeof back, &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(back, "foobar", 6);
    /* The RFC 6238 seed's well-known base32. */
    char out[40];
    assert_int_equal(totp_base32_encode(seed, SEED_LEN, out, sizeof out), 0);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    /* Refusals: alphabet, impossible lengths, non-zero spare bits, data after '=', room. */
    assert_int_equal(totp_base32_decode("MZ1Q", back, sizeof back, &n), -1);
    assert_int_equal(totp_base32_decode("M", back, sizeof back, &n), -1);
    assert_int_equal(totp_base32_decode("MZX", back, sizeof back, &n), -1);
    assert_int_equal(totp_base32_decode("MZ", back, sizeof back, &n), -1);
    assert_int_equal(totp_base32_decode("MY=A", back, sizeof back, &n), -1);
    assert_int_equal(totp_base32_decode("MZXW6YTBOI", back, 3, &n), -1);
    assert_int_equal(totp_base32_encode((const unsigned char *)"foobar", 6, out, 10), -1);
}

static void test_uri(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    assert_int_equal(
        totp_uri(&b, "Ville de Démo", "martin.durand+x@ville-demo.test", "GEZDGNBVGY3TQOJQ===="),
        0);
    assert_string_equal(buf_cstr(&b),
                        "otpauth://totp/Ville%20de%20D%C3%A9mo:martin.durand%2Bx%40ville-demo."
                        "test?secret=GEZDGNBVGY3TQOJQ&issuer=Ville%20de%20D%C3%A9mo&algorithm="
                        "SHA1&digits=6&period=30");
    /* A ':' or '&' in the issuer cannot split the label or add a parameter. */
    buf_reset(&b);
    assert_int_equal(totp_uri(&b, "A:B&c=d", "e", "MY"), 0);
    assert_string_equal(buf_cstr(&b), "otpauth://totp/A%3AB%26c%3Dd:e?secret=MY&issuer=A%3AB%26c%"
                                      "3Dd&algorithm=SHA1&digits=6&period=30");
    buf_free(&b);
}

static void test_qr_svg(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    error err;
    assert_int_equal(totp_qr_svg(&b, "otpauth://totp/X:y?secret=MY", "Code <QR> & \"titre\"", &err),
                     0);
    const char *svg = buf_cstr(&b);
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
    assert_non_null(strstr(svg, "aria-labelledby=\"totp-qr-title\""));
    assert_non_null(
        strstr(svg, "<title id=\"totp-qr-title\">Code &lt;QR&gt; &amp; &quot;titre&quot;</title>"));
    assert_non_null(strstr(svg, "<path d=\"M4 4h7v1h-7z")); /* the finder pattern's top row */
    assert_non_null(strstr(svg, "</svg>"));
    /* Too much for a buffer: an error, not a truncated drawing. */
    buf small;
    buf_init(&small, 200);
    assert_int_equal(totp_qr_svg(&small, "otpauth://totp/X:y?secret=MY", "t", &err), -1);
    buf_free(&small);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_vectors),
        cmocka_unit_test(test_rfc4226_hotp),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_verify_window_and_replay),
        cmocka_unit_test(test_base32_vectors),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_qr_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

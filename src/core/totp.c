/*
 * totp — RFC 6238 TOTP over RFC 4226 HOTP with HMAC-SHA1 (OpenSSL 3's one-shot HMAC()),
 * RFC 4648 base32, the otpauth:// URI of the Google Authenticator key-URI format, and an SVG
 * drawing of a QR code from util/qr.h's runs of modules.
 */
#include "core/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "util/qr.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int64_t totp_step(int64_t t)
{
    /* floor division: a time before 1970 still maps to one step, never to two */
    return t >= 0 ? t / TOTP_STEP_SECONDS : -((-t + TOTP_STEP_SECONDS - 1) / TOTP_STEP_SECONDS);
}

int totp_code_at_step(const unsigned char *key, size_t key_len, int64_t step, int digits,
                      uint32_t *code)
{
    if (digits < 6 || digits > 8 || !key || key_len == 0 || key_len > 1024)
        return -1;
    unsigned char msg[8];
    uint64_t counter = (uint64_t)step;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof msg, mac, &mac_len) || mac_len != 20)
        return -1;
    /* RFC 4226 §5.3 dynamic truncation */
    unsigned off = mac[19] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++)
        mod *= 10;
    *code = bin % mod;
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

static void format_code(uint32_t code, char out[TOTP_DIGITS + 1])
{
    for (int i = TOTP_DIGITS - 1; i >= 0; i--) {
        out[i] = (char)('0' + code % 10);
        code /= 10;
    }
    out[TOTP_DIGITS] = '\0';
}

int totp_code(const unsigned char *key, size_t key_len, int64_t t, char out[TOTP_DIGITS + 1])
{
    uint32_t code = 0;
    if (totp_code_at_step(key, key_len, totp_step(t), TOTP_DIGITS, &code) != 0)
        return -1;
    format_code(code, out);
    return 0;
}

int totp_verify(const unsigned char *key, size_t key_len, const char *code, int64_t t,
                int64_t *last_step, error *err)
{
    char typed[TOTP_DIGITS + 1];
    size_t n = 0;
    /* People type "123 456" or paste with spaces: keep digits, refuse anything else. */
    for (const char *p = code ? code : ""; *p; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (*p < '0' || *p > '9' || n == TOTP_DIGITS)
            return error_set(err, ERR_UNAUTHORIZED, "code", "wrong one-time code");
        typed[n++] = *p;
    }
    if (n != TOTP_DIGITS)
        return error_set(err, ERR_UNAUTHORIZED, "code", "wrong one-time code");
    typed[n] = '\0';
    int64_t now = totp_step(t);
    int64_t accepted = 0;
    int ok = 0;
    /* Every step of the window is computed, so the time taken does not tell which matched. */
    for (int64_t s = now - 1; s <= now + 1; s++) {
        uint32_t c = 0;
        char expect[TOTP_DIGITS + 1];
        if (totp_code_at_step(key, key_len, s, TOTP_DIGITS, &c) != 0)
            return error_set(err, ERR_INTERNAL, NULL, "HMAC-SHA1 failed");
        format_code(c, expect);
        int match = CRYPTO_memcmp(expect, typed, TOTP_DIGITS) == 0;
        if (match && !ok && (!last_step || s > *last_step)) {
            ok = 1;
            accepted = s;
        }
    }
    if (!ok)
        return error_set(err, ERR_UNAUTHORIZED, "code", "wrong or already used one-time code");
    if (last_step)
        *last_step = accepted;
    return 0;
}

int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t out_size)
{
    size_t need = (n * 8 + 4) / 5 + 1;
    if (!out || out_size < need)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return 0;
}

static int b32_value(char ch)
{
    if (ch >= 'a' && ch <= 'z')
        ch = (char)(ch - 'a' + 'A');
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= '2' && ch <= '7')
        return ch - '2' + 26;
    return -1;
}

int totp_base32_decode(const char *in, unsigned char *out, size_t out_size, size_t *n_out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0, chars = 0;
    int padding = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p == '=') {
            padding = 1;
            continue;
        }
        if (padding)
            return -1; /* data after padding */
        int v = b32_value(*p);
        if (v < 0)
            return -1;
        chars++;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (o >= out_size)
                return -1;
            out[o++] = (unsigned char)((acc >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    /* Valid lengths leave 0, 2, 4, 1 or 3 spare bits (chars mod 8 in 0,2,4,5,7), all zero. */
    size_t r = chars % 8;
    if (r == 1 || r == 3 || r == 6 || (acc & ((1u << bits) - 1)) != 0)
        return -1;
    if (n_out)
        *n_out = o;
    return 0;
}

/* RFC 3986: everything but unreserved characters is percent-encoded (so ':' in a label or an
 * issuer cannot be read as the issuer separator, and UTF-8 bytes are escaped). */
static int put_escaped(buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            if (buf_putc(b, (char)*p) != 0)
                return -1;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (buf_append(b, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

int totp_uri(buf *b, const char *issuer, const char *label, const char *secret_b32)
{
    if (buf_puts(b, "otpauth://totp/") != 0 || put_escaped(b, issuer) != 0 ||
        buf_puts(b, ":") != 0 || put_escaped(b, label) != 0 || buf_puts(b, "?secret=") != 0)
        return -1;
    for (const char *p = secret_b32; *p; p++)
        if (*p != '=' && buf_putc(b, *p) != 0)
            return -1;
    if (buf_puts(b, "&issuer=") != 0 || put_escaped(b, issuer) != 0 ||
        buf_printf(b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_STEP_SECONDS) != 0)
        return -1;
    return 0;
}

static int put_xml_text(buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        int rc;
        switch (*p) {
        case '<':
            rc = buf_puts(b, "&lt;");
            break;
        case '>':
            rc = buf_puts(b, "&gt;");
            break;
        case '&':
            rc = buf_puts(b, "&amp;");
            break;
        case '"':
            rc = buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = buf_puts(b, "&#39;");
            break;
        default:
            rc = buf_putc(b, *p);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The SVG's opening (it needs the symbol's width) and its squares, one path of runs. */
typedef struct svg_ctx {
    buf *b;
    const char *title;
} svg_ctx;

static int svg_begin(void *ctx, int width)
{
    svg_ctx *k = ctx;
    int size = width + 2 * QR_QUIET;
    /* Drawn 6 pixels per module at the default size; shape-rendering keeps modules sharp when
     * scaled. */
    if (buf_printf(k->b,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
                   "aria-labelledby=\"totp-qr-title\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" shape-rendering=\"crispEdges\"><title id=\"totp-qr-title\">",
                   size, size, size * 6, size * 6) != 0 ||
        put_xml_text(k->b, k->title) != 0 ||
        buf_printf(k->b, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"", size,
                   size) != 0)
        return -1;
    return 0;
}

static int svg_run(void *ctx, int x, int y, int len)
{
    svg_ctx *k = ctx;
    return buf_printf(k->b, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, len, len);
}

int totp_qr_svg(buf *b, const char *text, const char *title_text, error *err)
{
    svg_ctx k = {b, title_text ? title_text : ""};
    size_t before = b->len;
    if (qr_runs(text, svg_begin, svg_run, &k) != 0 || buf_puts(b, "\" fill=\"#000\"/></svg>") != 0)
        /* Nothing written: libqrencode refused the text; else the buffer was full. */
        return error_set(err, ERR_TOO_LARGE, NULL,
                         b->len == before ? "text does not fit in a QR code"
                                          : "QR code SVG exceeds its buffer");
    return 0;
}

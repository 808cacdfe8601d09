/*
 * totp — RFC 6238 time-based one-time passwords (HMAC-SHA1, 30-second steps, 6 digits) and
 * what enrolment needs around them: RFC 4648 base32, the otpauth:// URI that authenticator
 * apps read, and that URI drawn as an accessible SVG QR code (libqrencode). Pure functions:
 * no store, no clock (callers pass the time), so that the RFC vectors test them exactly.
 */
#ifndef GUICHET_CORE_TOTP_H
#define GUICHET_CORE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_SECRET_BYTES 20 /* 160 bits, the RFC 4226 recommendation for HMAC-SHA1 */
/* Base32 of TOTP_SECRET_BYTES without padding (32 characters) + NUL. */
#define TOTP_SECRET_B32_LEN 33

/* The time step of unix time `t`: floor(t / 30). */
int64_t totp_step(int64_t t);
/* The code (0 .. 10^digits - 1) of `key` at time step `step`: RFC 4226 HOTP with HMAC-SHA1
 * over the 8-byte big-endian step. digits is 6 to 8. -1 on a crypto failure. */
int totp_code_at_step(const unsigned char *key, size_t key_len, int64_t step, int digits,
                      uint32_t *code);
/* The 6-digit code at unix time t, written as text with leading zeros into out. */
int totp_code(const unsigned char *key, size_t key_len, int64_t t, char out[TOTP_DIGITS + 1]);
/* Checks a code typed by a person (spaces ignored, exactly 6 digits) against the steps
 * now-1, now, now+1 (clock drift), never accepting a step <= *last_step (replay). On
 * success returns 0 and sets *last_step to the accepted step; -1 with ERR_UNAUTHORIZED
 * otherwise. Digits are compared in constant time. */
int totp_verify(const unsigned char *key, size_t key_len, const char *code, int64_t t,
                int64_t *last_step, error *err);

/* RFC 4648 base32 (alphabet A-Z2-7) of n bytes, without '=' padding, into out (NUL
 * terminated). -1 when out_size is too small (needs ceil(n*8/5)+1). */
int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t out_size);
/* Decodes base32: case-insensitive, spaces, '-' and trailing '=' ignored. Sets *n_out.
 * -1 on a character outside the alphabet, a bad length, or when out is too small. */
int totp_base32_decode(const char *in, unsigned char *out, size_t out_size, size_t *n_out);

/* Appends otpauth://totp/ISSUER:LABEL?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
 * to b: issuer and label percent-encoded (RFC 3986 unreserved kept), secret in base32
 * without padding. */
int totp_uri(buf *b, const char *issuer, const char *label, const char *secret_b32);
/* Appends to b an SVG drawing of the QR code of `text` (error correction M), with role="img",
 * aria-labelledby and a <title> (title_text, escaped). -1 (ERR_INTERNAL) when libqrencode
 * fails, ERR_TOO_LARGE when text does not fit in a QR code. */
int totp_qr_svg(buf *b, const char *text, const char *title_text, error *err);

#endif

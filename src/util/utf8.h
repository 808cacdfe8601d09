/*
 * utf8 — validation and character-aware cutting of UTF-8 text. Every string from outside is
 * checked with utf8_valid before it is stored or echoed.
 */
#ifndef GUICHET_UTIL_UTF8_H
#define GUICHET_UTIL_UTF8_H

#include <stddef.h>

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and holds
 * no NUL byte; 0 otherwise. */
int utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8 s[0..n). */
size_t utf8_length(const char *s, size_t n);
/* Byte length of the longest prefix of valid UTF-8 s[0..n) holding at most max_chars code
 * points (never cuts a character in two). */
size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_chars);
/* 1 when s holds a control character other than tab, CR and LF (C0 or DEL). */
int utf8_has_control(const char *s, size_t n);

#endif

/*
 * form — our own strict parser for query strings and application/x-www-form-urlencoded
 * bodies ("a=1&b=%C3%A9+x"). libmicrohttpd keeps a malformed %XX as it is; this parser rejects
 * it, rejects invalid UTF-8 and NUL bytes, and bounds the number and size of fields.
 */
#ifndef GUICHET_UTIL_FORM_H
#define GUICHET_UTIL_FORM_H

#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

#define FORM_MAX_FIELDS 256
#define FORM_MAX_NAME 128

typedef struct form_field {
    const char *name;  /* decoded, NUL-terminated, owned by the arena */
    const char *value; /* decoded, NUL-terminated ("" for "a" or "a="), owned by the arena */
    size_t value_len;
} form_field;

typedef struct form {
    form_field *fields; /* in input order, owned by the arena */
    size_t count;
} form;

/* Parses s[0..len) into out (fields allocated in a). '+' decodes to a space. Empty pairs
 * ("a=1&&b=2") are skipped. Returns 0, or -1 with err: ERR_BAD_REQUEST for bad
 * percent-encoding (arg names the field when known), ERR_INVALID_ARG for invalid UTF-8 or a
 * NUL byte in a field (arg names it), ERR_TOO_LARGE for more than FORM_MAX_FIELDS fields, a
 * name over FORM_MAX_NAME bytes or a form that does not fit in the arena's limit. arg only
 * ever holds valid UTF-8 (the name is cut before its first invalid byte). */
int form_parse(arena *a, const char *s, size_t len, form *out, error *err);
/* The first value of `name`, or NULL. */
const char *form_get(const form *f, const char *name);
/* Number of fields called `name`. */
size_t form_count(const form *f, const char *name);
/* Decodes one percent-encoded component (path segment: '+' stays '+'). Returns the decoded
 * NUL-terminated copy in a, or NULL on bad encoding, invalid UTF-8 or NUL. */
char *form_decode_component(arena *a, const char *s, size_t len, int plus_is_space);

/* Percent-encodes s (UTF-8 bytes) for a URL component: RFC 3986 unreserved characters
 * (ALPHA DIGIT - . _ ~) and those in also_keep (may be NULL; e.g. "/" for a path given as a
 * query value) stay as they are, every other byte becomes %XX. The copy is in a; NULL when
 * out of memory (s NULL encodes ""). */
char *form_encode(arena *a, const char *s, const char *also_keep);

/* Longest path form_local_path accepts, in bytes. */
#define FORM_LOCAL_PATH_MAX 2000

/* 1 when s may follow a redirect as a path of this site, the same for every URL parser: a
 * "/" not followed by "/" or "\", then printable ASCII only, at most FORM_LOCAL_PATH_MAX
 * bytes. Browsers drop tabs and newlines and read "\" as "/", so "/\t/host" and "/\host"
 * name another host: no control character, space or "\" anywhere, nor any non-ASCII byte
 * (a path of ours is percent-encoded). 0 otherwise, NULL included. The one check of
 * redirect targets that come from outside (`retour` after a login, http_redirect). */
int form_local_path(const char *s);

/* A decimal number as a person or a browser types it in a field: optional sign, digits,
 * one decimal point or comma («45,76»), at most 32 characters, nothing else (no exponent,
 * no blanks, no «inf»). 0 and *out when it is one within [lo, hi]; -1 otherwise. */
int form_decimal(const char *s, double lo, double hi, double *out);

#endif

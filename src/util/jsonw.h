/*
 * jsonw — a streaming JSON writer into a buf. Responses are written straight out instead of
 * building a jansson tree first: the hot read paths (Open311 GET) then allocate nothing but the
 * output. Commas and escaping are handled here; the caller states the structure.
 */
#ifndef GUICHET_UTIL_JSONW_H
#define GUICHET_UTIL_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JSONW_MAX_DEPTH 32 /* levels including the top one: at most 31 open containers */

typedef struct jsonw {
    buf *out;
    int depth;
    unsigned char need_comma[JSONW_MAX_DEPTH];
    int failed; /* set when the depth limit or the buffer's max was exceeded, or on misuse
                 * (no key inside an object, a key elsewhere, a mismatched end) */
} jsonw;

void jsonw_init(jsonw *w, buf *out);
/* Containers. `key` is the member name when inside an object, NULL inside an array or at
 * top level. */
void jsonw_object_begin(jsonw *w, const char *key);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w, const char *key);
void jsonw_array_end(jsonw *w);
/* Scalars; a NULL string writes null. Strings are escaped (control characters as \u00XX;
 * "<", ">" and "&" too, so that JSON can be embedded in HTML safely). */
void jsonw_string(jsonw *w, const char *key, const char *value);
void jsonw_string_n(jsonw *w, const char *key, const char *value, size_t len);
void jsonw_int(jsonw *w, const char *key, int64_t value);
/* Finite doubles with up to 7 decimals (coordinates); non-finite writes null. */
void jsonw_double(jsonw *w, const char *key, double value);
void jsonw_bool(jsonw *w, const char *key, int value);
void jsonw_null(jsonw *w, const char *key);
/* Inserts already-serialised JSON text as a value (trusted, e.g. from the store). */
void jsonw_raw(jsonw *w, const char *key, const char *json);
/* 0 when everything was written, -1 otherwise. */
int jsonw_finish(jsonw *w);

#endif

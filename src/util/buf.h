/*
 * buf — a growable byte buffer with a hard maximum size.
 * Every response body, template output and serialised document is built in a buf, so that no
 * output can grow without bound: an append past `max` fails instead of allocating.
 */
#ifndef GUICHET_UTIL_BUF_H
#define GUICHET_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data; /* NUL-terminated after every successful append (when cap > 0) */
    size_t len;
    size_t cap;
    size_t max; /* appends that would make len exceed max fail */
    int failed; /* set once an append failed: the content is truncated */
    int secret; /* buf_set_secret: no copy of the content left in freed memory */
} buf;

/* Initialises an empty buffer that may hold at most `max` bytes. Allocates nothing. */
void buf_init(buf *b, size_t max);
/* Marks b's content as a secret (a request body holding a PIN or a password): from then on,
 * growing it moves the content without leaving the old block unwiped, and buf_reset and
 * buf_free zero what it held. Kept by buf_free, cleared by buf_init. */
void buf_set_secret(buf *b);
/* Releases the memory; b may be NULL. The buffer can be initialised again afterwards. */
void buf_free(buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(buf *b);
/* Appends n bytes; 0 on success, -1 (and b->failed) when over max or out of memory. */
int buf_append(buf *b, const void *p, size_t n);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Returns the content as a C string ("" when empty); the buffer keeps ownership. */
const char *buf_cstr(buf *b);
/* Hands the content to the caller (free() it) and leaves the buffer empty. Never NULL unless
 * out of memory. */
char *buf_steal(buf *b, size_t *len);

#endif

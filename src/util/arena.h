/*
 * arena — a bump allocator for memory that lives as long as one HTTP request, one CLI command
 * or one store read. Nothing is freed individually: arena_free() releases everything at once,
 * which is what makes per-request memory impossible to leak.
 */
#ifndef GUICHET_UTIL_ARENA_H
#define GUICHET_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
    size_t total;     /* bytes handed out so far */
    size_t max;       /* arena_alloc fails past this total (0: unbounded) */
    _Alignas(max_align_t) char first[2048]; /* the first allocations come from here, without malloc */
    size_t first_used;
} arena;

/* Prepares an arena that may hand out at most `max` bytes (0: no limit). */
void arena_init(arena *a, size_t max);
/* Releases every block; the arena can be used again afterwards. a may be NULL. */
void arena_free(arena *a);
/* Zeroes every byte a handed out (a request's copies of a form holding a PIN or a
 * password), keeping its memory: arena_free follows. */
void arena_wipe(arena *a);
/* Returns n bytes aligned for any type, zeroed, owned by the arena; NULL when over the
 * arena's limit or out of memory. */
void *arena_alloc(arena *a, size_t n);
/* Copies of strings, owned by the arena; NULL only when out of memory (s NULL gives NULL). */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    arena_block *next;
    size_t size;
    size_t used;
    max_align_t data[]; /* aligned storage */
};

#define ALIGN(n) (((n) + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1))

void arena_init(arena *a, size_t max)
{
    a->head = NULL;
    a->total = 0;
    a->max = max;
    a->first_used = 0;
}

void arena_free(arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
    a->first_used = 0;
}

void arena_wipe(arena *a)
{
    explicit_bzero(a->first, a->first_used);
    for (arena_block *b = a->head; b; b = b->next)
        explicit_bzero(b->data, b->used);
}

void *arena_alloc(arena *a, size_t n)
{
    size_t need = ALIGN(n ? n : 1);
    if (need < n || (a->max && (need > a->max || a->total > a->max - need)))
        return NULL;
    void *p;
    if (a->first_used + need <= sizeof a->first) {
        p = a->first + a->first_used;
        a->first_used += need;
    } else if (a->head && a->head->used + need <= a->head->size) {
        p = (char *)a->head->data + a->head->used;
        a->head->used += need;
    } else {
        size_t size = need > 16384 ? need : 16384;
        arena_block *b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = need;
        b->next = a->head;
        a->head = b;
        p = b->data;
    }
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/*
 * collate — French alphabetical order without a French locale: Debian's base system has
 * none, and the C library's order puts «Éclairage» after «Voirie». Two texts compare by a
 * key with accents and case folded («É» as «e», «œ» as «oe», «ç» as «c», «’» as «'»), then, when the
 * keys are equal, byte by byte, so that the order is total and stable. The store registers it
 * with SQLite as the collation FR (ORDER BY name COLLATE FR).
 */
#ifndef GUICHET_UTIL_COLLATE_H
#define GUICHET_UTIL_COLLATE_H

#include <stddef.h>

/* <0, 0 or >0 as a sorts before, with or after b (UTF-8, lengths in bytes; invalid bytes
 * compare as themselves). */
int collate_fr(const char *a, size_t an, const char *b, size_t bn);

/* The folded key collate_fr compares by, for searches that match words whatever their
 * accents and case («Église» and «eglise»): s[0..n) with ASCII letters lowercased, the
 * accented Latin letters and ligatures as ASCII («É» as "e", «œ» as "oe"), every other character
 * copied as it is. Written into out, NUL-terminated; its length, or -1 when it would not
 * fit in size bytes (the key is never longer than 2 × n). */
long collate_fold(const char *s, size_t n, char *out, size_t size);

#endif

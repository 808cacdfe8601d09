/*
 * icons — the procedures' icons: the names of the sprite embedded at build time
 * (static/vendor/icons.svg, made by tools/sprite from vendor/icons.txt out of the npm icon
 * set), which of them a procedure shows (its own, else its kind's default) and where pages
 * find them. Pages draw an icon as <svg aria-hidden="true"><use href="SPRITE#NAME"></svg>:
 * decorative, beside a name that says the same. Read-only after the first call, which
 * reads the sprite once (thread-safe).
 */
#ifndef GUICHET_PRESENT_ICONS_H
#define GUICHET_PRESENT_ICONS_H

#include <stddef.h>

#include "store/records.h"

/* The sprite's URL: pages append "#NAME". */
#define ICONS_SPRITE_URL "/static/vendor/icons.svg"
/* The longest icon name (the store's check, core/admin.c, allows no longer). */
#define ICONS_NAME_MAX 64

/* Number of icons, and the i-th name in the order of vendor/icons.txt (i < icons_count()). */
size_t icons_count(void);
const char *icons_at(size_t i);
/* 1 when name (NULL allowed) is an icon of the sprite. */
int icons_has(const char *name);
/* The default icon of a procedure kind (procedure_kind). */
const char *icons_kind_default(int kind);
/* The icon procedure p shows: its own when the sprite has it, else its kind's default. */
const char *icons_of(const store_procedure *p);

#endif

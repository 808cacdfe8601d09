/*
 * icons — the names of the embedded sprite (icons.h). They are read from the sprite itself,
 * the build's single list, rather than repeated in C.
 */
#include "present/icons.h"

#include <pthread.h>
#include <string.h>

#include "present/assets.h"
#include "util/log.h"

#define SPRITE_ASSET "static/vendor/icons.svg"
#define ICONS_MAX 256 /* the sprite holds a few dozen: vendor/icons.txt is a short list */

static char names[ICONS_MAX][ICONS_NAME_MAX + 1];
static size_t n_names;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Collects the id of every <symbol id="…"> of the sprite, in order. */
static void load(void)
{
    const web_asset *a = assets_find(SPRITE_ASSET);
    if (!a) {
        log_error("icons: %s is not embedded: procedures show no icon", SPRITE_ASSET);
        return;
    }
    static const char tag[] = "<symbol id=\"";
    for (const char *p = strstr(a->data, tag); p && n_names < ICONS_MAX; p = strstr(p, tag)) {
        p += sizeof tag - 1;
        const char *end = strchr(p, '"');
        if (!end || end - p > ICONS_NAME_MAX || end == p)
            break;
        memcpy(names[n_names], p, (size_t)(end - p));
        names[n_names][end - p] = '\0';
        n_names++;
        p = end;
    }
}

size_t icons_count(void)
{
    pthread_once(&once, load);
    return n_names;
}

const char *icons_at(size_t i)
{
    return i < icons_count() ? names[i] : NULL;
}

int icons_has(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < icons_count(); i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

const char *icons_kind_default(int kind)
{
    /* Both are on the first lines of vendor/icons.txt. */
    return kind == PROCEDURE_DEMARCHE ? "file-text" : "triangle-alert";
}

const char *icons_of(const store_procedure *p)
{
    return p->icon && icons_has(p->icon) ? p->icon : icons_kind_default(p->kind);
}

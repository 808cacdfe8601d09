/*
 * assets — the files embedded in the binary at build time (tools/embed writes the table into
 * build/gen/assets.c): templates and strings under "templates/", static files under
 * "static/", Leaflet under "static/vendor/leaflet/". Everything is read-only and lives for
 * the whole process.
 */
#ifndef GUICHET_PRESENT_ASSETS_H
#define GUICHET_PRESENT_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "templates/home.html", "static/css/guichet.css" */
    const char *data; /* len bytes, followed by a NUL */
    size_t len;
    const char *content_type; /* "text/css; charset=utf-8" */
    const char *etag;         /* a quoted strong validator: "\"0123456789abcdef\"" */
} web_asset;

/* The asset at path, or NULL. */
const web_asset *assets_find(const char *path);
/* Number of assets, and the i-th one (sorted by path) for i < assets_count(). */
size_t assets_count(void);
const web_asset *assets_at(size_t i);

/* The generated table, sorted by path (for assets.c; use the functions above). */
extern const web_asset assets_table[];
extern const size_t assets_table_len;

#endif

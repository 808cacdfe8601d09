/*
 * present — the presentation handle: builds the template set and the strings once from the
 * embedded files, keeps the view settings, and renders. Everything it holds is read-only
 * after present_open, which is what lets the server's threads and the mail dispatcher share
 * one handle without locks (jansson's reference counts are atomic).
 */
#include "present/present.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/i18n.h"
#include "util/wording.h"

#define TEMPLATES_PREFIX "templates/"
#define TEMPLATE_NAME_MAX 256

struct present {
    tmpl_set *templates; /* owned */
    json_t *strings[2];  /* owned: [LANG_FR], [LANG_EN] */
    present_config cfg;  /* strings below are owned copies */
    char *map_tiles_url, *map_attribution;
};

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n >= sn && memcmp(s + n - sn, suffix, sn) == 0;
}

/* Compiles every template among files into set. */
static int compile_all(tmpl_set *set, const web_asset *files, size_t n_files, error *err)
{
    size_t plen = strlen(TEMPLATES_PREFIX);
    char name[TEMPLATE_NAME_MAX];
    for (size_t i = 0; i < n_files; i++) {
        const web_asset *a = &files[i];
        if (strncmp(a->path, TEMPLATES_PREFIX, plen) != 0)
            continue;
        const char *rel = a->path + plen;
        size_t n = strlen(rel);
        if (ends_with(rel, n, ".html"))
            n -= 5;
        else if (!ends_with(rel, n, ".txt"))
            continue;
        if (n >= sizeof name)
            return error_set(err, ERR_INVALID_ARG, "template", "template name too long: %s",
                             a->path);
        memcpy(name, rel, n);
        name[n] = '\0';
        if (tmpl_add(set, name, a->data, a->len, err) != 0)
            return -1;
    }
    return 0;
}

/* A copy of s, or NULL for NULL; *failed set when the copy could not be made. */
static char *dup_opt(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

present *present_open_files(const present_config *cfg, const web_asset *files, size_t n, error *err)
{
    present *p = calloc(1, sizeof *p);
    if (!p) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory opening the presentation");
        return NULL;
    }
    if (!(p->templates = tmpl_set_new())) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory loading templates");
        goto fail;
    }
    if (compile_all(p->templates, files, n, err) != 0 ||
        i18n_build(files, n, &p->strings[LANG_FR], &p->strings[LANG_EN], err) != 0)
        goto fail;
    if (cfg) {
        int failed = 0;
        p->map_tiles_url = dup_opt(cfg->map_tiles_url, &failed);
        p->map_attribution = dup_opt(cfg->map_attribution, &failed);
        if (failed) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory copying the view settings");
            goto fail;
        }
    }
    p->cfg.map_tiles_url = p->map_tiles_url;
    p->cfg.map_attribution = p->map_attribution;
    return p;
fail:
    present_close(p);
    return NULL;
}

present *present_open(const present_config *cfg, error *err)
{
    return present_open_files(cfg, assets_table, assets_table_len, err);
}

void present_close(present *p)
{
    if (!p)
        return;
    free(p->map_attribution);
    free(p->map_tiles_url);
    json_decref(p->strings[LANG_EN]);
    json_decref(p->strings[LANG_FR]);
    tmpl_set_free(p->templates);
    free(p);
}

const tmpl_set *present_templates(const present *p)
{
    return p ? p->templates : NULL;
}

json_t *present_strings(const present *p, lang l)
{
    return p ? p->strings[l == LANG_EN ? LANG_EN : LANG_FR] : NULL;
}

const char *present_string(const present *p, lang l, const char *key)
{
    return i18n_lookup(present_strings(p, l), key);
}

const char *present_plural(const present *p, lang l, int64_t n, const char *key)
{
    char k[128];
    int one = l == LANG_FR ? (n == 0 || n == 1) : n == 1;
    snprintf(k, sizeof k, "%s_%s", key, one ? "one" : "other");
    return present_string(p, l, k);
}

const present_config *present_settings(const present *p)
{
    return p ? &p->cfg : NULL;
}

int present_render(const present *p, const char *name, json_t *ctx, buf *out, error *err)
{
    if (!p)
        return error_set(err, ERR_INTERNAL, NULL, "no presentation to render %s", name);
    return tmpl_render(p->templates, name, ctx, out, err);
}

/* ---- view helpers ---- */

void present_set_str(json_t *obj, const char *key, const char *s)
{
    /* json_string checks the UTF-8 itself (NULL when invalid): one pass over the text, on
     * every string of every page. */
    json_t *v = s ? json_string(s) : NULL;
    json_object_set_new(obj, key, v ? v : json_string(""));
}

void present_set_str_opt(json_t *obj, const char *key, const char *s)
{
    if (s)
        present_set_str(obj, key, s);
}

void present_fill(char *out, size_t size, const char *pattern, const char *name, const char *value)
{
    char key[40];
    snprintf(key, sizeof key, "{%s}", name);
    const char *at = pattern ? strstr(pattern, key) : NULL;
    if (!at) {
        snprintf(out, size, "%s", pattern ? pattern : "");
        return;
    }
    snprintf(out, size, "%.*s%s%s", (int)(at - pattern), pattern, value ? value : "",
             at + strlen(key));
}

char *present_subst(arena *a, const char *pattern, const char *const *names,
                    const char *const *values, size_t n)
{
    return wording_subst(a, pattern, names, values, n);
}

const char *present_month_name(lang l, int month)
{
    return wording_month(l, month);
}

const char *present_clock(arena *a, lang l, int64_t t, const char *tz)
{
    return wording_clock(a, l, t, tz);
}

const char *present_date(arena *a, lang l, int64_t t, const char *tz, int with_time)
{
    return wording_date(a, l, t, tz, with_time);
}

const char *present_day(arena *a, lang l, const char *day)
{
    int64_t t;
    /* Midnight UTC of that day, written in UTC: that very day whatever the tenant's zone. */
    if (!day || strlen(day) != 10 || time_parse_rfc3339(day, &t) != 0)
        return NULL;
    const char *words = present_date(a, l, t, NULL, 0);
    return words && *words ? words : NULL;
}

json_t *present_paragraphs(const char *s)
{
    json_t *arr = json_array();
    while (arr && s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        size_t end = n, start = 0;
        while (end > 0 && (s[end - 1] == '\r' || s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        while (start < end && (s[start] == ' ' || s[start] == '\t'))
            start++;
        /* json_stringn refuses invalid UTF-8: such a line is left out rather than mangled. */
        if (end > start)
            json_array_append_new(arr, json_stringn(s + start, end - start));
        s += n;
        if (*s == '\n')
            s++;
    }
    return arr;
}

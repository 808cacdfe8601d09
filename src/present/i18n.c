/*
 * i18n — loads templates/i18n/<lang>/<area>.json from the embedded assets, merges each
 * language's areas into one object and refuses the set unless French and English have the
 * same key paths, so that a page never shows a raw key in one language only. The merged
 * objects are built once and only read afterwards.
 */
#include "present/i18n.h"

#include "util/wording.h"

#include <stdlib.h>
#include <string.h>

#define I18N_PREFIX "templates/i18n/"
#define KEY_MAX 200

static const char *const lang_dirs[] = {[LANG_FR] = "fr", [LANG_EN] = "en"};

/* Adds one file's area to merged[l]. */
static int merge_file(const web_asset *a, json_t *merged, error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(a->data, a->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return error_set(err, ERR_INVALID_ARG, "i18n", "%s line %d: %s", a->path, jerr.line,
                         jerr.text);
    int rc = -1;
    const char *area = NULL;
    json_t *value = NULL;
    if (json_is_object(root) && json_object_size(root) == 1) {
        void *it = json_object_iter(root);
        area = json_object_iter_key(it);
        value = json_object_iter_value(it);
    }
    if (!area || !json_is_object(value)) {
        error_set(err, ERR_INVALID_ARG, "i18n",
                  "%s: must hold one object with a single key, its area ({\"area\": {...}})",
                  a->path);
        goto cleanup;
    }
    if (json_object_get(merged, area)) {
        error_set(err, ERR_INVALID_ARG, "i18n", "%s: area '%s' is already defined by another file",
                  a->path, area);
        goto cleanup;
    }
    if (json_object_set(merged, area, value) != 0) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory loading %s", a->path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(root);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Compares the key paths under fr and en (both objects) in sorted order, so that the key
 * reported is the same whatever the files' order. path[0..plen) is the prefix. */
static int compare(json_t *fr, json_t *en, char *path, size_t plen, error *err)
{
    size_t n = json_object_size(fr) + json_object_size(en), k = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory comparing strings");
    const char *key;
    json_t *v;
    json_object_foreach(fr, key, v) keys[k++] = key;
    json_object_foreach(en, key, v)
    {
        if (!json_object_get(fr, key))
            keys[k++] = key;
    }
    qsort(keys, k, sizeof *keys, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        size_t klen = strlen(keys[i]);
        if (plen + 1 + klen >= KEY_MAX) {
            rc =
                error_set(err, ERR_INVALID_ARG, "i18n", "key '%.*s…' is too long", (int)plen, path);
            break;
        }
        size_t len = plen;
        if (len)
            path[len++] = '.';
        memcpy(path + len, keys[i], klen + 1);
        len += klen;
        json_t *a = json_object_get(fr, keys[i]), *b = json_object_get(en, keys[i]);
        if (!a || !b)
            rc = error_set(err, ERR_INVALID_ARG, "i18n",
                           "strings differ: key '%s' is in %s but not in %s", path, a ? "fr" : "en",
                           a ? "en" : "fr");
        else if (json_is_object(a) != json_is_object(b))
            rc = error_set(err, ERR_INVALID_ARG, "i18n",
                           "strings differ: key '%s' holds keys in %s but a value in %s", path,
                           json_is_object(a) ? "fr" : "en", json_is_object(a) ? "en" : "fr");
        else if (json_is_object(a))
            rc = compare(a, b, path, len, err);
        path[plen] = '\0';
    }
    free(keys);
    return rc;
}

int i18n_build(const web_asset *assets, size_t n, json_t **fr, json_t **en, error *err)
{
    json_t *merged[2] = {json_object(), json_object()};
    int rc = -1;
    if (!merged[0] || !merged[1]) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory loading strings");
        goto cleanup;
    }
    size_t plen = strlen(I18N_PREFIX);
    for (size_t i = 0; i < n; i++) {
        const char *p = assets[i].path;
        size_t len = strlen(p);
        if (strncmp(p, I18N_PREFIX, plen) != 0 || len < 5 || strcmp(p + len - 5, ".json") != 0)
            continue;
        const char *rest = p + plen;
        int l = -1;
        for (int k = 0; k < 2; k++)
            if (strncmp(rest, lang_dirs[k], 2) == 0 && rest[2] == '/' && !strchr(rest + 3, '/'))
                l = k;
        if (l < 0) {
            error_set(err, ERR_INVALID_ARG, "i18n",
                      "%s: strings go in templates/i18n/fr/ or templates/i18n/en/ directly", p);
            goto cleanup;
        }
        if (merge_file(&assets[i], merged[l], err) != 0)
            goto cleanup;
    }
    char path[KEY_MAX] = "";
    if (compare(merged[LANG_FR], merged[LANG_EN], path, 0, err) != 0)
        goto cleanup;
    *fr = merged[LANG_FR];
    *en = merged[LANG_EN];
    merged[0] = merged[1] = NULL;
    rc = 0;
cleanup:
    json_decref(merged[1]);
    json_decref(merged[0]);
    return rc;
}

const char *i18n_lookup(json_t *strings, const char *key)
{
    return wording_lookup(strings, key);
}

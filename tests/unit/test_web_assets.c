/*
 * test_web_assets — unit tests of the embedded assets (tools/embed's table: every file of
 * templates/ and static/ and Leaflet's distribution, byte for byte, with type and ETag),
 * the i18n loader (merging, refusals, the fr/en key comparison, dotted lookups). The
 * presentation handle built from them is tested in test_present.
 * Runs from the repository root, where the source files are compared with their copies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "present/assets.h"
#include "present/i18n.h"

/* The whole file at path (caller frees), NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    char *data = malloc((size_t)st.st_size + 1);
    size_t n = data ? fread(data, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!data || n != (size_t)st.st_size) {
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

/* ---------------------------------------------------------------- assets */

static void check_same_as_file(const char *asset_path, const char *file)
{
    const web_asset *a = assets_find(asset_path);
    if (!a)
        fail_msg("%s is not embedded", asset_path);
    size_t len;
    char *data = slurp(file, &len);
    if (!data)
        fail_msg("cannot read %s", file);
    assert_int_equal(a->len, len);
    assert_memory_equal(a->data, data, len);
    assert_int_equal(a->data[a->len], '\0');
    free(data);
}

/* Every regular file under dir (but dotfiles) must be embedded under its own path. */
static size_t check_tree(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n += check_tree(path);
        } else if (S_ISREG(st.st_mode) && path[strlen(path) - 1] != '~') {
            check_same_as_file(path, path);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* The icons' sprite (tools/sprite): one <symbol> per name of vendor/icons.txt, in its order,
 * and nothing else. */
static void check_sprite(void)
{
    const web_asset *a = assets_find("static/vendor/icons.svg");
    assert_non_null(a);
    assert_string_equal(a->content_type, "image/svg+xml");
    FILE *f = fopen("vendor/icons.txt", "r");
    assert_non_null(f);
    char line[128];
    const char *at = a->data;
    size_t names = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char tag[160];
        snprintf(tag, sizeof tag, "<symbol id=\"%s\" ", line);
        const char *found = strstr(at, tag);
        if (!found)
            fail_msg("icon %s is not in the sprite, or not in the list's order", line);
        at = found + strlen(tag);
        names++;
    }
    fclose(f);
    size_t symbols = 0;
    for (const char *p = strstr(a->data, "<symbol "); p; p = strstr(p + 1, "<symbol "))
        symbols++;
    assert_true(names > 0);
    assert_int_equal(symbols, names);
}

static void test_assets_match_the_tree(void **state)
{
    (void)state;
    size_t n = check_tree("templates") + check_tree("static");
    assert_true(n > 0);
    check_same_as_file("static/vendor/leaflet/leaflet.js",
                       "vendor/node_modules/leaflet/dist/leaflet.js");
    check_same_as_file("static/vendor/leaflet/leaflet.css",
                       "vendor/node_modules/leaflet/dist/leaflet.css");
    check_same_as_file("static/vendor/leaflet/images/marker-icon.png",
                       "vendor/node_modules/leaflet/dist/images/marker-icon.png");
    check_same_as_file("static/vendor/leaflet/images/marker-shadow.png",
                       "vendor/node_modules/leaflet/dist/images/marker-shadow.png");
    check_sprite();
    /* Nothing but the tree, Leaflet's files (leaflet.js, leaflet.css, 5 images) and the
     * sprite. */
    assert_int_equal(assets_count(), n + 8);
}

static void test_assets_table(void **state)
{
    (void)state;
    assert_null(assets_find("nope"));
    assert_null(assets_find(NULL));
    assert_null(assets_find("static/vendor/leaflet/leaflet.js.map"));
    assert_null(assets_find("/static/vendor/leaflet/leaflet.js"));
    assert_null(assets_find("static/../templates/i18n/fr/_meta.json"));
    assert_null(assets_at(assets_count()));

    const web_asset *js = assets_find("static/vendor/leaflet/leaflet.js");
    assert_non_null(js);
    assert_string_equal(js->content_type, "text/javascript; charset=utf-8");
    assert_non_null(strstr(js->data, "Leaflet"));
    assert_string_equal(assets_find("static/vendor/leaflet/leaflet.css")->content_type,
                        "text/css; charset=utf-8");
    const web_asset *png = assets_find("static/vendor/leaflet/images/layers.png");
    assert_string_equal(png->content_type, "image/png");
    assert_memory_equal(png->data, "\x89PNG\r\n\x1a\n", 8);
    assert_string_equal(assets_find("templates/i18n/fr/_meta.json")->content_type,
                        "application/json");

    for (size_t i = 0; i < assets_count(); i++) {
        const web_asset *a = assets_at(i);
        /* Sorted (assets_find's binary search relies on it) and each one found. */
        if (i > 0)
            assert_true(strcmp(assets_at(i - 1)->path, a->path) < 0);
        assert_ptr_equal(assets_find(a->path), a);
        /* Quoted 64-bit hash: "\"" + 16 hex digits + "\"". */
        assert_int_equal(strlen(a->etag), 18);
        assert_int_equal(a->etag[0], '"');
        assert_int_equal(a->etag[17], '"');
        assert_int_equal(strspn(a->etag + 1, "0123456789abcdef"), 16);
        assert_true(strncmp(a->path, "templates/", 10) == 0 || strncmp(a->path, "static/", 7) == 0);
        const char *ext = strrchr(a->path, '.');
        assert_non_null(ext);
        if (strcmp(ext, ".html") == 0)
            assert_string_equal(a->content_type, "text/html; charset=utf-8");
        if (strcmp(ext, ".svg") == 0)
            assert_string_equal(a->content_type, "image/svg+xml");
        if (strcmp(ext, ".txt") == 0)
            assert_string_equal(a->content_type, "text/plain; charset=utf-8");
    }
    /* Different content, different ETag. */
    assert_string_not_equal(js->etag, assets_find("static/vendor/leaflet/leaflet.css")->etag);
}

/* ---------------------------------------------------------------- i18n */

#define ASSET(p, json)                                                                             \
    {                                                                                              \
        p, json, sizeof json - 1, "application/json", "\"0\""                                      \
    }

static void test_i18n_merge_and_lookup(void **state)
{
    (void)state;
    const web_asset files[] = {
        ASSET("templates/i18n/fr/common.json", "{\"common\": {\"yes\": \"Oui\", \"form\": "
                                               "{\"title\": \"Formulaire\"}}}"),
        ASSET("templates/i18n/en/common.json", "{\"common\": {\"form\": {\"title\": \"Form\"}, "
                                               "\"yes\": \"Yes\"}}"),
        ASSET("templates/i18n/fr/home.json", "{\"home\": {\"title\": \"Accueil\"}}"),
        ASSET("templates/i18n/en/home.json", "{\"home\": {\"title\": \"Home\"}}"),
        ASSET("templates/home.html", "not json, ignored"),
        ASSET("templates/i18n/fr/notes.txt", "ignored"),
    };
    json_t *fr = NULL, *en = NULL;
    error e;
    assert_int_equal(i18n_build(files, 6, &fr, &en, &e), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(fr, "home"), "title")),
                        "Accueil");
    assert_int_equal(json_object_size(en), 2);
    json_decref(fr);
    json_decref(en);

    assert_int_equal(i18n_build(files, 6, &fr, &en, &e), 0);
    assert_string_equal(i18n_lookup(fr, "common.form.title"), "Formulaire");
    assert_string_equal(i18n_lookup(en, "common.form.title"), "Form");
    assert_string_equal(i18n_lookup(en, "common.yes"), "Yes");
    /* Missing, not a string, or a path through a string: the key itself. */
    assert_string_equal(i18n_lookup(fr, "common.no"), "common.no");
    assert_string_equal(i18n_lookup(fr, "common.form"), "common.form");
    assert_string_equal(i18n_lookup(fr, "common.yes.x"), "common.yes.x");
    assert_string_equal(i18n_lookup(fr, ""), "");
    assert_string_equal(i18n_lookup(fr, "common..yes"), "common..yes");
    json_decref(fr);
    json_decref(en);
    /* No strings at all: the key itself. */
    assert_string_equal(i18n_lookup(NULL, "common.yes"), "common.yes");
}

/* i18n_build on files must fail with a detail holding frag. */
static void check_i18n_error(const web_asset *files, size_t n, const char *frag)
{
    json_t *fr = NULL, *en = NULL;
    error e;
    error_clear(&e);
    assert_int_equal(i18n_build(files, n, &fr, &en, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_ARG);
    if (!strstr(e.detail, frag))
        fail_msg("detail [%s] lacks [%s]", e.detail, frag);
    assert_null(fr);
    assert_null(en);
}

static void test_i18n_refusals(void **state)
{
    (void)state;
    const web_asset duplicate[] = {
        ASSET("templates/i18n/fr/a.json", "{\"area\": {\"k\": \"v\"}}"),
        ASSET("templates/i18n/fr/b.json", "{\"area\": {\"j\": \"w\"}}"),
    };
    check_i18n_error(duplicate, 2, "templates/i18n/fr/b.json: area 'area' is already defined");

    const web_asset bad_json[] = {
        ASSET("templates/i18n/en/x.json", "{\"x\": {\n\"k\": \"v\",\n}}"),
    };
    check_i18n_error(bad_json, 1, "templates/i18n/en/x.json line 3");

    const web_asset dup_key[] = {
        ASSET("templates/i18n/en/x.json", "{\"x\": {\"k\": \"v\", \"k\": \"w\"}}"),
    };
    check_i18n_error(dup_key, 1, "duplicate");

    const web_asset two_keys[] = {
        ASSET("templates/i18n/fr/x.json", "{\"x\": {}, \"y\": {}}"),
    };
    check_i18n_error(two_keys, 1, "single key");
    const web_asset not_object[] = {
        ASSET("templates/i18n/fr/x.json", "{\"x\": \"string\"}"),
    };
    check_i18n_error(not_object, 1, "single key");
    const web_asset array[] = {
        ASSET("templates/i18n/fr/x.json", "[1]"),
    };
    check_i18n_error(array, 1, "single key");

    const web_asset other_lang[] = {
        ASSET("templates/i18n/de/x.json", "{\"x\": {}}"),
    };
    check_i18n_error(other_lang, 1, "templates/i18n/fr/ or templates/i18n/en/");
    const web_asset subdir[] = {
        ASSET("templates/i18n/fr/sub/x.json", "{\"x\": {}}"),
    };
    check_i18n_error(subdir, 1, "directly");
}

static void test_i18n_keys_must_match(void **state)
{
    (void)state;
    const web_asset missing_en[] = {
        ASSET("templates/i18n/fr/a.json", "{\"a\": {\"z\": \"1\", \"m\": {\"b\": \"x\", "
                                          "\"c\": \"y\"}, \"n\": \"2\"}}"),
        ASSET("templates/i18n/en/a.json", "{\"a\": {\"z\": \"1\", \"m\": {\"b\": \"x\"}}}"),
    };
    /* Sorted order: a.m.c comes before a.n. */
    check_i18n_error(missing_en, 2, "key 'a.m.c' is in fr but not in en");

    const web_asset missing_fr[] = {
        ASSET("templates/i18n/fr/a.json", "{\"a\": {\"k\": \"1\"}}"),
        ASSET("templates/i18n/en/a.json", "{\"a\": {\"k\": \"1\", \"extra\": \"2\"}}"),
    };
    check_i18n_error(missing_fr, 2, "key 'a.extra' is in en but not in fr");

    const web_asset missing_area[] = {
        ASSET("templates/i18n/fr/a.json", "{\"a\": {\"k\": \"1\"}}"),
        ASSET("templates/i18n/fr/b.json", "{\"b\": {\"k\": \"1\"}}"),
        ASSET("templates/i18n/en/a.json", "{\"a\": {\"k\": \"1\"}}"),
    };
    check_i18n_error(missing_area, 3, "key 'b' is in fr but not in en");

    const web_asset shape[] = {
        ASSET("templates/i18n/fr/a.json", "{\"a\": {\"k\": {\"x\": \"1\"}}}"),
        ASSET("templates/i18n/en/a.json", "{\"a\": {\"k\": \"1\"}}"),
    };
    check_i18n_error(shape, 2, "key 'a.k' holds keys in fr but a value in en");

    /* Same keys in any order, values of any kind: accepted. */
    const web_asset same[] = {
        ASSET("templates/i18n/fr/a.json", "{\"a\": {\"k\": \"1\", \"l\": [\"x\"]}}"),
        ASSET("templates/i18n/en/a.json", "{\"a\": {\"l\": [\"y\", \"z\"], \"k\": \"2\"}}"),
    };
    json_t *fr, *en;
    error e;
    assert_int_equal(i18n_build(same, 2, &fr, &en, &e), 0);
    json_decref(fr);
    json_decref(en);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets_match_the_tree), cmocka_unit_test(test_assets_table),
        cmocka_unit_test(test_i18n_merge_and_lookup), cmocka_unit_test(test_i18n_refusals),
        cmocka_unit_test(test_i18n_keys_must_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

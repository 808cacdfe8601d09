/*
 * test_tabular — the row writer (src/docs/tabular): CSV byte for byte (BOM, headings, the
 * formula guard on text and not on numbers), GeoJSON read back with jansson, XLSX written in
 * a private directory that is gone once the file is read, and the stream pulling batches.
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
#include <unistd.h>

#include "docs/tabular.h"
#include "util/buf.h"

static const tabular_column cols[] = {
    {"référence", TABULAR_TEXT},
    {"latitude", TABULAR_NUMBER},
    {"longitude", TABULAR_NUMBER},
    {"note", TABULAR_TEXT},
};
#define N_COLS (sizeof cols / sizeof cols[0])

/* A source writing `left` rows, two a batch. */
typedef struct src {
    int left, calls;
} src;

static int source(void *ctx, tabular *t)
{
    src *s = ctx;
    s->calls++;
    for (int i = 0; i < 2 && s->left > 0; i++, s->left--) {
        char ref[32];
        snprintf(ref, sizeof ref, "2026-%06d", s->left);
        const char *cells[] = {ref, "48.857", "-1.682", s->left % 2 ? "=1+1" : NULL};
        if (tabular_row(t, cells, NULL) != 0)
            return -1;
    }
    return s->left > 0;
}

/* The whole stream of `rows` rows in format f, in small reads. */
static char *drain(tabular_format f, int rows, const char *tmp_root, size_t *len, int *calls)
{
    tabular_options o = {.sheet = "Demandes", .tmp_root = tmp_root, .lat_col = 1, .lon_col = 2};
    error err;
    tabular *t = tabular_open(f, cols, N_COLS, &o, &err);
    assert_non_null(t);
    src *s = calloc(1, sizeof *s);
    s->left = rows;
    tabular_stream *st = tabular_stream_new(t, source, s, NULL);
    assert_non_null(st);
    buf out;
    buf_init(&out, 64 * 1024 * 1024);
    char chunk[7];
    long n;
    while ((n = tabular_stream_read(st, chunk, sizeof chunk)) > 0)
        buf_append(&out, chunk, (size_t)n);
    assert_int_equal(n, 0);
    *calls = s->calls;
    tabular_stream_free(st);
    free(s);
    return buf_steal(&out, len);
}

static void test_csv(void **state)
{
    (void)state;
    size_t len;
    int calls;
    char *csv = drain(TABULAR_CSV, 3, NULL, &len, &calls);
    assert_int_equal(calls, 2);
    assert_string_equal(csv, "\xEF\xBB\xBF"
                             "référence;latitude;longitude;note\r\n"
                             "2026-000003;48.857;-1.682;'=1+1\r\n"
                             "2026-000002;48.857;-1.682;\r\n"
                             "2026-000001;48.857;-1.682;'=1+1\r\n");
    free(csv);
}

static int odd_source(void *ctx, tabular *t)
{
    (void)ctx;
    const char *cells[] = {"-x", "-1+1", "1e3", "nan"};
    return tabular_row(t, cells, NULL) == 0 ? 0 : -1;
}

static void test_number_guard(void **state)
{
    (void)state;
    /* A NUMBER cell that is not a plain number is text: guarded as text is. */
    tabular *t = tabular_open(TABULAR_CSV, cols, N_COLS, NULL, NULL);
    tabular_stream *st = tabular_stream_new(t, odd_source, NULL, NULL);
    char out[256];
    size_t len = 0;
    long n;
    while ((n = tabular_stream_read(st, out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    assert_int_equal(n, 0);
    out[len] = '\0';
    assert_non_null(strstr(out, "\r\n'-x;'-1+1;1e3;nan\r\n"));
    tabular_stream_free(st);
}

static void test_geojson(void **state)
{
    (void)state;
    size_t len;
    int calls;
    char *gj = drain(TABULAR_GEOJSON, 3, NULL, &len, &calls);
    json_error_t je;
    json_t *doc = json_loadb(gj, len, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "FeatureCollection");
    json_t *fs = json_object_get(doc, "features");
    assert_int_equal(json_array_size(fs), 3);
    json_t *f0 = json_array_get(fs, 0);
    json_t *c = json_object_get(json_object_get(f0, "geometry"), "coordinates");
    assert_true(json_real_value(json_array_get(c, 0)) == -1.682);
    assert_true(json_real_value(json_array_get(c, 1)) == 48.857);
    json_t *p = json_object_get(f0, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "note")), "=1+1");
    assert_null(json_object_get(p, "latitude"));
    assert_true(json_is_null(
        json_object_get(json_object_get(json_array_get(fs, 1), "properties"), "note")));
    json_decref(doc);
    free(gj);
    /* No point columns: refused. */
    error err;
    assert_null(tabular_open(TABULAR_GEOJSON, cols, N_COLS, NULL, &err));
    assert_int_equal(err.code, ERR_INVALID_ARG);
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_xlsx(void **state)
{
    (void)state;
    char root[] = "/tmp/test-tabular-XXXXXX";
    assert_non_null(mkdtemp(root));
    size_t len;
    int calls;
    char *x = drain(TABULAR_XLSX, 5, root, &len, &calls);
    assert_true(len > 1000);
    assert_memory_equal(x, "PK\x03\x04", 4); /* a ZIP container */
    assert_int_equal(calls, 3);
    /* The private directory went with the file. */
    assert_int_equal(dir_entries(root), 0);
    free(x);
    /* Abandoned half-way: nothing left either. */
    tabular_options o = {.tmp_root = root, .lat_col = -1, .lon_col = -1};
    tabular *t = tabular_open(TABULAR_XLSX, cols, N_COLS, &o, NULL);
    assert_non_null(t);
    assert_int_equal(dir_entries(root), 1);
    const char *cells[] = {"a", "1", "2", "b"};
    assert_int_equal(tabular_row(t, cells, NULL), 0);
    assert_int_equal(tabular_rows(t), 1);
    tabular_free(t);
    assert_int_equal(dir_entries(root), 0);
    rmdir(root);
}

static void test_formats(void **state)
{
    (void)state;
    tabular_format f;
    assert_int_equal(tabular_format_parse("xlsx", &f), 0);
    assert_int_equal(f, TABULAR_XLSX);
    assert_int_equal(tabular_format_parse("xls", &f), -1);
    assert_int_equal(tabular_format_parse(NULL, &f), -1);
    assert_string_equal(tabular_extension(TABULAR_GEOJSON), "geojson");
    assert_string_equal(tabular_content_type(TABULAR_CSV), "text/csv; charset=utf-8");
    error err;
    assert_null(tabular_open(TABULAR_CSV, cols, 0, NULL, &err));
    assert_int_equal(err.code, ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),     cmocka_unit_test(test_number_guard),
        cmocka_unit_test(test_geojson), cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

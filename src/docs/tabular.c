/*
 * tabular — CSV, XLSX and GeoJSON behind one row writer, and the stream that pulls rows from
 * a source as the bytes go out (see tabular.h).
 */
#include "docs/tabular.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "util/buf.h"
#include "util/csv.h"
#include "util/jsonw.h"
#include "util/log.h"

/* What one batch of CSV or GeoJSON rows may weigh before it is read out (a batch is the
 * source's: a few hundred rows of at most TABULAR_COLUMNS_MAX cells). */
#define PENDING_MAX (64u * 1024 * 1024)
/* XLSX's limits: rows a worksheet holds, characters a worksheet name holds. */
#define XLSX_ROWS_MAX 1048576u
#define XLSX_SHEET_MAX 31

static const char BOM[] = "\xEF\xBB\xBF";

struct tabular {
    tabular_format fmt;
    tabular_column cols[TABULAR_COLUMNS_MAX];
    char *names[TABULAR_COLUMNS_MAX]; /* owned copies of the headings */
    size_t n_cols;
    int lat_col, lon_col;
    size_t rows;
    int failed;
    /* CSV and GeoJSON: the bytes not yet read out, from `sent` on. */
    buf pending;
    size_t sent;
    jsonw json;
    /* XLSX: the workbook while rows come, then the finished file (already unlinked). */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    char dir[4096], path[4200];
    int fd;
};

const char *tabular_content_type(tabular_format f)
{
    switch (f) {
    case TABULAR_XLSX:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case TABULAR_GEOJSON:
        return "application/geo+json";
    default:
        return "text/csv; charset=utf-8";
    }
}

const char *tabular_extension(tabular_format f)
{
    return f == TABULAR_XLSX ? "xlsx" : f == TABULAR_GEOJSON ? "geojson" : "csv";
}

int tabular_format_parse(const char *s, tabular_format *out)
{
    static const struct {
        const char *name;
        tabular_format f;
    } names[] = {{"csv", TABULAR_CSV}, {"xlsx", TABULAR_XLSX}, {"geojson", TABULAR_GEOJSON}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

/* 1 when s is a plain decimal number (sign, digits, point, exponent): what a NUMBER cell may
 * be written as without quoting or guard. */
static int is_number(const char *s)
{
    if (!*s || strspn(s, "0123456789.-+eE") != strlen(s) || !strchr("0123456789-", *s))
        return 0;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && errno == 0 && isfinite(v);
}

/* Length of s cut to TABULAR_CELL_MAX bytes, never inside a UTF-8 sequence. */
static size_t cell_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= TABULAR_CELL_MAX)
        return n;
    n = TABULAR_CELL_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int xlsx_fail(tabular *t, lxw_error e, const char *what, error *err)
{
    t->failed = 1;
    log_error("xlsx %s: %s", what, lxw_strerror(e));
    return error_set(err, ERR_INTERNAL, NULL, "xlsx %s: %s", what, lxw_strerror(e));
}

static int xlsx_open(tabular *t, const tabular_options *o, error *err)
{
    const char *root = o && o->tmp_root ? o->tmp_root : getenv("TMPDIR");
    if (!root || !*root)
        root = "/tmp";
    int n = snprintf(t->dir, sizeof t->dir, "%s/guichet-table-XXXXXX", root);
    if (n < 0 || (size_t)n >= sizeof t->dir || !mkdtemp(t->dir)) {
        t->dir[0] = '\0';
        return error_set(err, ERR_INTERNAL, NULL, "temporary directory under %s: %s", root,
                         strerror(errno));
    }
    snprintf(t->path, sizeof t->path, "%s/table.xlsx", t->dir);
    /* Rows go to temporary files in the private directory as they are written: memory holds
     * one row whatever the count. */
    lxw_workbook_options wo = {.constant_memory = LXW_TRUE, .tmpdir = t->dir};
    t->wb = workbook_new_opt(t->path, &wo);
    if (!t->wb)
        return error_set(err, ERR_INTERNAL, NULL, "xlsx workbook");
    const char *sheet = o && o->sheet ? o->sheet : "Feuille1";
    if (strlen(sheet) > XLSX_SHEET_MAX)
        return error_set(err, ERR_INVALID_ARG, "sheet", "worksheet name too long");
    t->ws = workbook_add_worksheet(t->wb, sheet);
    if (!t->ws)
        return error_set(err, ERR_INVALID_ARG, "sheet", "worksheet name refused");
    lxw_format *bold = workbook_add_format(t->wb);
    format_set_bold(bold);
    for (size_t i = 0; i < t->n_cols; i++) {
        lxw_error e = worksheet_write_string(t->ws, 0, (lxw_col_t)i, t->names[i], bold);
        if (e != LXW_NO_ERROR)
            return xlsx_fail(t, e, "heading", err);
    }
    worksheet_freeze_panes(t->ws, 1, 0);
    return 0;
}

/* The headings as the first CSV row, after the BOM. */
static void csv_open(tabular *t)
{
    buf_puts(&t->pending, BOM);
    for (size_t i = 0; i < t->n_cols; i++) {
        csv_field(&t->pending, t->names[i], CSV_QUOTE_NEEDED);
        csv_end(&t->pending, i + 1 == t->n_cols);
    }
}

static void geojson_open(tabular *t)
{
    jsonw_init(&t->json, &t->pending);
    jsonw_object_begin(&t->json, NULL);
    jsonw_string(&t->json, "type", "FeatureCollection");
    jsonw_array_begin(&t->json, "features");
}

tabular *tabular_open(tabular_format fmt, const tabular_column *cols, size_t n_cols,
                      const tabular_options *o, error *err)
{
    if (n_cols == 0 || n_cols > TABULAR_COLUMNS_MAX) {
        error_set(err, ERR_INVALID_ARG, "columns", "1 to %d columns", TABULAR_COLUMNS_MAX);
        return NULL;
    }
    int lat = o ? o->lat_col : -1, lon = o ? o->lon_col : -1;
    if (fmt == TABULAR_GEOJSON &&
        (lat < 0 || lon < 0 || lat == lon || (size_t)lat >= n_cols || (size_t)lon >= n_cols ||
         cols[lat].kind != TABULAR_NUMBER || cols[lon].kind != TABULAR_NUMBER)) {
        error_set(err, ERR_INVALID_ARG, "lat_col", "GeoJSON needs two NUMBER point columns");
        return NULL;
    }
    tabular *t = calloc(1, sizeof *t);
    if (!t) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    t->fmt = fmt;
    t->fd = -1;
    t->lat_col = fmt == TABULAR_GEOJSON ? lat : -1;
    t->lon_col = fmt == TABULAR_GEOJSON ? lon : -1;
    t->n_cols = n_cols;
    buf_init(&t->pending, PENDING_MAX);
    for (size_t i = 0; i < n_cols; i++) {
        t->names[i] = strdup(cols[i].name ? cols[i].name : "");
        t->cols[i] = cols[i];
        t->cols[i].name = t->names[i];
        if (!t->names[i]) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory");
            tabular_free(t);
            return NULL;
        }
    }
    if (fmt == TABULAR_XLSX) {
        if (xlsx_open(t, o, err) != 0) {
            tabular_free(t);
            return NULL;
        }
    } else if (fmt == TABULAR_GEOJSON)
        geojson_open(t);
    else
        csv_open(t);
    return t;
}

static int xlsx_row(tabular *t, const char *const *cells, error *err)
{
    if (t->rows + 1 >= XLSX_ROWS_MAX) {
        t->failed = 1;
        return error_set(err, ERR_TOO_LARGE, "rows", "an XLSX sheet holds %u rows",
                         XLSX_ROWS_MAX - 1);
    }
    lxw_row_t r = (lxw_row_t)(t->rows + 1);
    for (size_t i = 0; i < t->n_cols; i++) {
        const char *s = cells[i];
        if (!s || !*s)
            continue;
        lxw_error e;
        if (t->cols[i].kind == TABULAR_NUMBER && is_number(s))
            e = worksheet_write_number(t->ws, r, (lxw_col_t)i, strtod(s, NULL), NULL);
        else {
            size_t n = cell_len(s);
            if (n < strlen(s)) {
                char *cut = strndup(s, n);
                if (!cut) {
                    t->failed = 1;
                    return error_set(err, ERR_INTERNAL, NULL, "out of memory");
                }
                e = worksheet_write_string(t->ws, r, (lxw_col_t)i, cut, NULL);
                free(cut);
            } else
                e = worksheet_write_string(t->ws, r, (lxw_col_t)i, s, NULL);
        }
        if (e != LXW_NO_ERROR)
            return xlsx_fail(t, e, "cell", err);
    }
    return 0;
}

static void csv_row(tabular *t, const char *const *cells)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        const char *s = cells[i] ? cells[i] : "";
        if (t->cols[i].kind == TABULAR_NUMBER && is_number(s))
            buf_puts(&t->pending, s);
        else {
            size_t n = cell_len(s);
            char *cut = n < strlen(s) ? strndup(s, n) : NULL;
            csv_field(&t->pending, cut ? cut : s, CSV_QUOTE_NEEDED);
            free(cut);
        }
        csv_end(&t->pending, i + 1 == t->n_cols);
    }
}

static void geojson_row(tabular *t, const char *const *cells)
{
    jsonw *w = &t->json;
    const char *lat = cells[t->lat_col], *lon = cells[t->lon_col];
    jsonw_object_begin(w, NULL);
    jsonw_string(w, "type", "Feature");
    if (lat && lon && is_number(lat) && is_number(lon)) {
        jsonw_object_begin(w, "geometry");
        jsonw_string(w, "type", "Point");
        jsonw_array_begin(w, "coordinates");
        jsonw_raw(w, NULL, lon); /* GeoJSON's order: longitude first */
        jsonw_raw(w, NULL, lat);
        jsonw_array_end(w);
        jsonw_object_end(w);
    } else
        jsonw_null(w, "geometry");
    jsonw_object_begin(w, "properties");
    for (size_t i = 0; i < t->n_cols; i++) {
        if ((int)i == t->lat_col || (int)i == t->lon_col)
            continue;
        const char *s = cells[i];
        if (!s || !*s)
            jsonw_null(w, t->names[i]);
        else if (t->cols[i].kind == TABULAR_NUMBER && is_number(s))
            jsonw_raw(w, t->names[i], s);
        else
            jsonw_string_n(w, t->names[i], s, cell_len(s));
    }
    jsonw_object_end(w);
    jsonw_object_end(w);
}

int tabular_row(tabular *t, const char *const *cells, error *err)
{
    if (t->failed)
        return error_set(err, ERR_INTERNAL, NULL, "table already failed");
    if (t->fmt == TABULAR_XLSX) {
        if (xlsx_row(t, cells, err) != 0)
            return -1;
    } else {
        if (t->fmt == TABULAR_GEOJSON)
            geojson_row(t, cells);
        else
            csv_row(t, cells);
        if (t->pending.failed || t->json.failed) {
            t->failed = 1;
            return error_set(err, ERR_TOO_LARGE, "rows", "a batch of rows over %u bytes",
                             PENDING_MAX);
        }
    }
    t->rows++;
    return 0;
}

size_t tabular_rows(const tabular *t)
{
    return t->rows;
}

/* The last bytes (GeoJSON's closing brackets) or, for XLSX, the workbook written out and
 * opened for reading; its file and directory are removed at once, the open descriptor
 * keeping the bytes until it is closed. */
static int finish(tabular *t, error *err)
{
    if (t->fmt == TABULAR_GEOJSON) {
        jsonw_array_end(&t->json);
        jsonw_object_end(&t->json);
        if (jsonw_finish(&t->json) != 0 || t->pending.failed)
            return error_set(err, ERR_INTERNAL, NULL, "geojson: unbalanced or too long");
        return 0;
    }
    if (t->fmt != TABULAR_XLSX)
        return 0;
    lxw_error e = workbook_close(t->wb);
    t->wb = NULL;
    if (e != LXW_NO_ERROR)
        return xlsx_fail(t, e, "close", err);
    t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
    int saved = errno;
    unlink(t->path);
    rmdir(t->dir);
    t->dir[0] = '\0';
    if (t->fd < 0)
        return error_set(err, ERR_INTERNAL, NULL, "xlsx reopen: %s", strerror(saved));
    return 0;
}

void tabular_free(tabular *t)
{
    if (!t)
        return;
    /* An abandoned workbook (a failure, a client gone): freed without writing it out. */
    lxw_workbook_free(t->wb);
    if (t->dir[0]) {
        unlink(t->path);
        rmdir(t->dir);
    }
    if (t->fd >= 0)
        close(t->fd);
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->names[i]);
    buf_free(&t->pending);
    free(t);
}

struct tabular_stream {
    tabular *t;
    tabular_source source;
    void *ctx;
    void (*ctx_free)(void *);
    int done; /* the source said no more and the file is finished */
    int failed;
};

tabular_stream *tabular_stream_new(tabular *t, tabular_source source, void *ctx,
                                   void (*ctx_free)(void *))
{
    tabular_stream *s = calloc(1, sizeof *s);
    if (!s) {
        tabular_free(t);
        if (ctx_free)
            ctx_free(ctx);
        return NULL;
    }
    s->t = t;
    s->source = source;
    s->ctx = ctx;
    s->ctx_free = ctx_free;
    return s;
}

long tabular_stream_read(void *stream, char *out, size_t max)
{
    tabular_stream *s = stream;
    tabular *t = s->t;
    if (s->failed)
        return -1;
    /* Pull batches until there are bytes to hand out (at once for CSV and GeoJSON; XLSX has
     * none until its workbook is complete). */
    while (t->sent == t->pending.len && !s->done) {
        buf_reset(&t->pending);
        t->sent = 0;
        int r = s->source(s->ctx, t);
        if (r < 0 || t->failed) {
            s->failed = 1;
            return -1;
        }
        if (r == 0) {
            error err;
            error_clear(&err);
            if (finish(t, &err) != 0) {
                log_error("table stream: %s", err.detail);
                s->failed = 1;
                return -1;
            }
            s->done = 1;
        }
    }
    if (t->sent < t->pending.len) {
        size_t n = t->pending.len - t->sent;
        if (n > max)
            n = max;
        memcpy(out, t->pending.data + t->sent, n);
        t->sent += n;
        return (long)n;
    }
    if (t->fd < 0)
        return 0;
    ssize_t n;
    do
        n = read(t->fd, out, max);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        log_error("table stream: read: %s", strerror(errno));
        s->failed = 1;
        return -1;
    }
    return (long)n;
}

void tabular_stream_free(void *stream)
{
    tabular_stream *s = stream;
    if (!s)
        return;
    tabular_free(s->t);
    if (s->ctx_free)
        s->ctx_free(s->ctx);
    free(s);
}

/*
 * tabular — one row writer for every table guichet hands out as a file (the inbox list, open
 * data, later the dashboards' tables): the caller states the columns once and feeds rows one
 * by one; CSV (RFC 4180 through util/csv, UTF-8 with a BOM so that Excel reads the accents),
 * XLSX (libxlsxwriter in constant_memory mode, in a private temporary directory removed once
 * the file is opened for reading) or GeoJSON (a FeatureCollection, one Point feature a row)
 * come out behind the same calls.
 *
 * tabular_stream pulls rows from a source a batch at a time and hands the bytes out as they
 * are made, so that a million rows go out in bounded memory: CSV and GeoJSON hold one batch,
 * XLSX one row in memory (the rest in its temporary files) until the workbook is complete.
 */
#ifndef GUICHET_DOCS_TABULAR_H
#define GUICHET_DOCS_TABULAR_H

#include <stddef.h>

#include "util/error.h"

typedef enum tabular_format {
    TABULAR_CSV = 0,
    TABULAR_XLSX,
    TABULAR_GEOJSON,
} tabular_format;

/* What a column holds. TEXT cells are guarded against formula injection in CSV; NUMBER cells
 * are written as given (a decimal number such as "-1.682" or "12") — as a number in XLSX and
 * GeoJSON — and a cell that is not a number is written as text. */
typedef enum tabular_kind {
    TABULAR_TEXT = 0,
    TABULAR_NUMBER,
} tabular_kind;

typedef struct tabular_column {
    const char *name; /* the heading (CSV, XLSX) or the property's name (GeoJSON) */
    tabular_kind kind;
} tabular_column;

/* At most this many columns a table. */
#define TABULAR_COLUMNS_MAX 64
/* Bytes one cell may hold (longer cells are cut at a character boundary). */
#define TABULAR_CELL_MAX 32767

typedef struct tabular_options {
    const char *sheet;    /* XLSX worksheet name (at most 31 characters); NULL: "Feuille1" */
    const char *tmp_root; /* where XLSX's private directory is made; NULL: $TMPDIR or /tmp */
    /* GeoJSON: the NUMBER columns holding the point's latitude and longitude (WGS 84); they are
     * the geometry, not properties. A row with either empty has a null geometry. -1 (and for
     * the other formats): none. */
    int lat_col, lon_col;
} tabular_options;

/* The MIME type and the file extension (without the dot) of format f. */
const char *tabular_content_type(tabular_format f);
const char *tabular_extension(tabular_format f);
/* Parses "csv", "xlsx" or "geojson" into *out: 0, or -1 for anything else. */
int tabular_format_parse(const char *s, tabular_format *out);

typedef struct tabular tabular;

/* A table of n_cols columns (copied) in format fmt; o may be NULL (defaults). NULL with err:
 * ERR_INVALID_ARG for no column, too many or a GeoJSON without point columns, ERR_INTERNAL
 * when libxlsxwriter or the temporary directory fails. Caller frees with tabular_free. */
tabular *tabular_open(tabular_format fmt, const tabular_column *cols, size_t n_cols,
                      const tabular_options *o, error *err);
/* Appends one row: cells[0..n_cols) (NULL: empty). 0, or -1 with err (the table is then
 * unusable). */
int tabular_row(tabular *t, const char *const *cells, error *err);
/* Rows written so far. */
size_t tabular_rows(const tabular *t);
void tabular_free(tabular *t);

/* A source of rows for a stream: writes a batch of rows into t and returns 1 when more may
 * follow, 0 when there are no more (rows written in that call count), -1 on a failure
 * (logged by the source). */
typedef int (*tabular_source)(void *ctx, tabular *t);

typedef struct tabular_stream tabular_stream;

/* A stream of table t (taken: freed with the stream, or at once on a failure) fed by
 * source(ctx); ctx_free(ctx) (may be NULL) when the stream is freed. NULL when out of
 * memory (then ctx is freed too). */
tabular_stream *tabular_stream_new(tabular *t, tabular_source source, void *ctx,
                                   void (*ctx_free)(void *));
/* The next bytes of the file, at most max, into out: their count (> 0), 0 once the file is
 * complete, -1 on a failure (logged), after which the file is unusable. The shape of
 * http_stream_read. */
long tabular_stream_read(void *stream, char *out, size_t max);
/* stream may be NULL. The shape of http_stream_free. */
void tabular_stream_free(void *stream);

#endif

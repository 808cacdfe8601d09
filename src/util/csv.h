/*
 * csv — one writer of CSV fields for every download (the RGPD register, the bordereaux
 * d'élimination): RFC 4180 quoting with the «;» separator that spreadsheets in French
 * expect, and a guard against formula injection, so that a name typed by a citizen or an
 * agent never runs as a formula when the file is opened.
 */
#ifndef GUICHET_UTIL_CSV_H
#define GUICHET_UTIL_CSV_H

#include "util/buf.h"

#define CSV_SEPARATOR ';'

/* How a field is quoted. */
typedef enum csv_quoting {
    CSV_QUOTE_NEEDED = 0, /* only when it holds the separator, a quote or a line break */
    CSV_QUOTE_ALWAYS,     /* every field (files whose readers expect it) */
} csv_quoting;

/* Appends field s (NULL: empty) to out: quoted as `quoting` says, inner quotes doubled, and a
 * field a spreadsheet would take for a formula ('=', '+', '-', '@', tab or CR first) starts
 * with an apostrophe instead. Separators and line ends are the caller's (csv_end). A failed
 * append sets out->failed, as every buf. */
void csv_field(buf *out, const char *s, csv_quoting quoting);
/* Ends a field: the separator, or "\r\n" after a row's last field. */
void csv_end(buf *out, int last);

#endif

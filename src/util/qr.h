/*
 * qr — a QR code's dark modules from libqrencode as horizontal runs, so that every drawing of
 * one (the SVG of TOTP enrolment, the vector squares of a document's verification code) reads
 * the same matrix the same way and only says how a run is drawn.
 */
#ifndef GUICHET_UTIL_QR_H
#define GUICHET_UTIL_QR_H

/* Modules of blank margin readers need around the symbol (ISO/IEC 18004's quiet zone). */
#define QR_QUIET 4

/* Called for each run of dark modules: row y, columns [x, x + len), counted from the symbol's
 * top left corner without the quiet zone. Returns 0 to go on, -1 to stop. */
typedef int (*qr_run_fn)(void *ctx, int x, int y, int len);

/* Encodes text (8-bit mode, error correction level M) and calls run for each dark run, row
 * after row. *width gets the symbol's modules per side, without the quiet zone, before the
 * first call (begin, when not NULL, is called with it first, for what must be known before
 * drawing). 0; -1 when text does not fit in a QR code, or a callback returned -1. */
int qr_runs(const char *text, int (*begin)(void *ctx, int width), qr_run_fn run, void *ctx);

#endif

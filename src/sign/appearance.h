/*
 * appearance — what a visible signature shows on the page: a framed box with «Signé
 * électroniquement par», the signer's name, the reason (the élu's capacity, a délégation) and
 * the date, drawn as a PDF content stream in Helvetica with WinAnsiEncoding (one of the
 * standard fonts every reader has, so nothing is embedded).
 */
#ifndef GUICHET_SIGN_APPEARANCE_H
#define GUICHET_SIGN_APPEARANCE_H

#include <time.h>

#include "util/buf.h"

/* The box's size in points. */
#define SIGN_APPEARANCE_W 220
#define SIGN_APPEARANCE_H 46

/* Appends the content stream of the box (SIGN_APPEARANCE_W × SIGN_APPEARANCE_H, the font as
 * /F1) for name and reason (UTF-8, reason NULL or "" when none) signed at when (UTC) to out.
 * Characters WinAnsiEncoding lacks are written as '?', each line cut to what the box holds. */
void sign_appearance_stream(const char *name, const char *reason, time_t when, buf *out);

#endif

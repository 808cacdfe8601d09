/*
 * docw — one document model written as JSON (util/jsonw) or as XML (libxml2 xmlTextWriter),
 * so that each Open311 endpoint states its output once for both formats. The mapping is the
 * Spark convention the GeoReport v2 text prescribes: an XML container of repeated elements is
 * a JSON array, the XML root element disappears in JSON, an empty XML element is JSON null.
 *
 * Callers always pass the XML element name; in JSON it becomes the member key when the
 * parent is an object and is dropped inside arrays and at the top level.
 */
#ifndef GUICHET_API_OPEN311_DOCW_H
#define GUICHET_API_OPEN311_DOCW_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/jsonw.h"

typedef enum docw_format { DOCW_JSON = 0, DOCW_XML = 1 } docw_format;

#define DOCW_MAX_DEPTH 16

typedef struct docw {
    docw_format fmt;
    jsonw json;
    void *xml; /* xmlTextWriterPtr, owned until docw_finish / docw_abort */
    buf *out;
    int depth;
    unsigned char in_list[DOCW_MAX_DEPTH]; /* 1: the container at this depth is an array */
    int failed;
} docw;

/* Parses a route's format capture: "json" or "xml"; -1 for anything else (NULL too). */
int docw_format_parse(const char *name, docw_format *out);
/* The Content-Type announced for a format ("application/json; charset=utf-8", …). */
const char *docw_content_type(docw_format f);

/* Starts a document written into out (which keeps its own max size). For XML the
 * declaration <?xml version="1.0" encoding="utf-8"?> is written first. 0, or -1 when the
 * XML writer cannot be created. */
int docw_begin(docw *w, docw_format f, buf *out);
/* Ends every open container, flushes, releases the XML writer. 0 when the whole document
 * was written, -1 when something failed (buffer max, depth, libxml2 error). */
int docw_finish(docw *w);

/* A container of repeated elements: JSON array, XML element `name`. */
void docw_list_begin(docw *w, const char *name);
void docw_list_end(docw *w);
/* A record: JSON object, XML element `name`. */
void docw_object_begin(docw *w, const char *name);
void docw_object_end(docw *w);

/* Scalars. A NULL string is JSON null and an empty XML element. Text is written as given
 * after dropping characters XML 1.0 cannot carry (C0 controls other than tab, CR, LF). */
void docw_string(docw *w, const char *name, const char *value);
void docw_string_n(docw *w, const char *name, const char *value, size_t len);
void docw_int(docw *w, const char *name, int64_t value);
/* Up to 7 decimals, trailing zeros removed (coordinates). */
void docw_double(docw *w, const char *name, double value);
void docw_bool(docw *w, const char *name, int value);
void docw_null(docw *w, const char *name);

#endif

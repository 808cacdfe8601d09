/*
 * docw — the Open311 document writer: one call sequence, JSON through util/jsonw or XML
 * through libxml2's xmlTextWriter, both straight into the response buffer. See docw.h for the
 * Spark mapping between the two.
 */
#include "api/open311/docw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>

typedef struct format_entry {
    const char *name;
    docw_format fmt;
    const char *content_type;
} format_entry;

static const format_entry formats[] = {
    {"json", DOCW_JSON, "application/json; charset=utf-8"},
    {"xml", DOCW_XML, "text/xml; charset=utf-8"},
};

int docw_format_parse(const char *name, docw_format *out)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return 0;
        }
    }
    return -1;
}

const char *docw_content_type(docw_format f)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].fmt == f)
            return formats[i].content_type;
    return formats[0].content_type;
}

/* libxml2 output callbacks: the document goes into the response buf, whose max size bounds
 * it; a refused append makes libxml2 report an error, which marks the document failed. */
static int xml_write(void *ctx, const char *data, int len)
{
    if (len < 0 || buf_append(ctx, data, (size_t)len) < 0)
        return -1;
    return len;
}

static int xml_close(void *ctx)
{
    (void)ctx;
    return 0;
}

static xmlTextWriterPtr xw(docw *w)
{
    return (xmlTextWriterPtr)w->xml;
}

static void xml_end(docw *w);

/* libxml2 prints its own errors on stderr; ours are reported through docw_finish. */
static void xml_silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int docw_begin(docw *w, docw_format f, buf *out)
{
    memset(w, 0, sizeof *w);
    w->fmt = f;
    w->out = out;
    if (f == DOCW_JSON) {
        jsonw_init(&w->json, out);
        return 0;
    }
    /* The declaration is written by hand: xmlTextWriterStartDocument would spell the
     * encoding "UTF-8" and route the output through a UTF-8 to UTF-8 encoder for nothing.
     * The spec's examples write encoding="utf-8". */
    if (buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n") < 0)
        return -1;
    xmlSetGenericErrorFunc(NULL, xml_silent); /* per thread in libxml2 */
    xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(xml_write, xml_close, out, NULL);
    if (ob == NULL)
        return -1;
    xmlTextWriterPtr x = xmlNewTextWriter(ob); /* takes ownership of ob */
    if (x == NULL) {
        xmlOutputBufferClose(ob);
        return -1;
    }
    w->xml = x;
    return 0;
}

int docw_finish(docw *w)
{
    if (w->fmt == DOCW_JSON) {
        while (w->depth > 0) {
            if (w->in_list[w->depth - 1])
                docw_list_end(w);
            else
                docw_object_end(w);
        }
        if (jsonw_finish(&w->json) < 0)
            w->failed = 1;
        return w->failed ? -1 : 0;
    }
    if (w->xml != NULL) {
        while (w->depth > 0) {
            w->depth--;
            xml_end(w);
        }
        if (xmlTextWriterFlush(xw(w)) < 0)
            w->failed = 1;
        xmlFreeTextWriter(xw(w));
        w->xml = NULL;
    }
    if (w->out->failed)
        w->failed = 1;
    return w->failed ? -1 : 0;
}

/* The JSON member key for `name` at the current position: none at top level or in arrays. */
static const char *json_key(const docw *w, const char *name)
{
    if (w->depth == 0 || w->in_list[w->depth - 1])
        return NULL;
    return name;
}

static void push(docw *w, int is_list)
{
    if (w->depth >= DOCW_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    w->in_list[w->depth++] = (unsigned char)is_list;
}

static void xml_start(docw *w, const char *name)
{
    if (xmlTextWriterStartElement(xw(w), (const xmlChar *)name) < 0)
        w->failed = 1;
}

static void xml_end(docw *w)
{
    if (xmlTextWriterEndElement(xw(w)) < 0)
        w->failed = 1;
}

void docw_list_begin(docw *w, const char *name)
{
    if (w->fmt == DOCW_JSON)
        jsonw_array_begin(&w->json, json_key(w, name));
    else
        xml_start(w, name);
    push(w, 1);
}

void docw_object_begin(docw *w, const char *name)
{
    if (w->fmt == DOCW_JSON)
        jsonw_object_begin(&w->json, json_key(w, name));
    else
        xml_start(w, name);
    push(w, 0);
}

static void pop(docw *w)
{
    if (w->depth > 0)
        w->depth--;
    else
        w->failed = 1;
}

void docw_list_end(docw *w)
{
    pop(w);
    if (w->fmt == DOCW_JSON)
        jsonw_array_end(&w->json);
    else
        xml_end(w);
}

void docw_object_end(docw *w)
{
    pop(w);
    if (w->fmt == DOCW_JSON)
        jsonw_object_end(&w->json);
    else
        xml_end(w);
}

/* 1 for bytes XML 1.0 forbids in character data (C0 controls but tab, LF, CR). */
static int xml_forbidden(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/* Writes one text element. libxml2 escapes markup but passes forbidden control bytes
 * through, which would make the document ill-formed, so those are dropped first; the copy is
 * made only when needed or when the text is not NUL-terminated at len. */
static void xml_text_element(docw *w, const char *name, const char *value, size_t len)
{
    int needs_copy = value[len] != '\0';
    for (size_t i = 0; i < len && !needs_copy; i++)
        if (xml_forbidden((unsigned char)value[i]))
            needs_copy = 1;
    char *copy = NULL;
    const char *text = value;
    if (needs_copy) {
        copy = malloc(len + 1);
        if (copy == NULL) {
            w->failed = 1;
            return;
        }
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if (!xml_forbidden((unsigned char)value[i]))
                copy[k++] = value[i];
        copy[k] = '\0';
        text = copy;
    }
    if (xmlTextWriterWriteElement(xw(w), (const xmlChar *)name, (const xmlChar *)text) < 0)
        w->failed = 1;
    free(copy);
}

void docw_string_n(docw *w, const char *name, const char *value, size_t len)
{
    if (value == NULL) {
        docw_null(w, name);
        return;
    }
    if (w->fmt == DOCW_JSON)
        jsonw_string_n(&w->json, json_key(w, name), value, len);
    else
        xml_text_element(w, name, value, len);
}

void docw_string(docw *w, const char *name, const char *value)
{
    docw_string_n(w, name, value, value != NULL ? strlen(value) : 0);
}

void docw_int(docw *w, const char *name, int64_t value)
{
    if (w->fmt == DOCW_JSON) {
        jsonw_int(&w->json, json_key(w, name), value);
        return;
    }
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%" PRId64, value);
    xml_text_element(w, name, tmp, strlen(tmp));
}

void docw_double(docw *w, const char *name, double value)
{
    if (w->fmt == DOCW_JSON) {
        jsonw_double(&w->json, json_key(w, name), value);
        return;
    }
    if (!isfinite(value)) {
        docw_null(w, name);
        return;
    }
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.7f", value);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        w->failed = 1;
        return;
    }
    size_t len = (size_t)n;
    while (len > 0 && tmp[len - 1] == '0')
        len--;
    if (len > 0 && tmp[len - 1] == '.')
        len--;
    tmp[len] = '\0';
    if (strcmp(tmp, "-0") == 0) /* -0.00000001 rounds to "-0" */
        memcpy(tmp, "0", 2);
    xml_text_element(w, name, tmp, strlen(tmp));
}

void docw_bool(docw *w, const char *name, int value)
{
    if (w->fmt == DOCW_JSON)
        jsonw_bool(&w->json, json_key(w, name), value);
    else
        xml_text_element(w, name, value ? "true" : "false", value ? 4 : 5);
}

void docw_null(docw *w, const char *name)
{
    if (w->fmt == DOCW_JSON) {
        jsonw_null(&w->json, json_key(w, name));
        return;
    }
    xml_start(w, name); /* <name/>: the empty element the spec uses for "no value" */
    xml_end(w);
}

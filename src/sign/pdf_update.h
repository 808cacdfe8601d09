/*
 * pdf_update — incremental updates: the original file's bytes untouched, then new versions of
 * some of its objects and new ones, and a new cross-reference section (a table, or a stream
 * when the file has one) pointing back to the previous one. The original is read with libqpdf
 * only to find those objects; nothing is rewritten by qpdf. The update a PAdES signature (or a
 * document timestamp) is written as — a signature dictionary with placeholders (ByteRange,
 * /Contents), a signature field merged with its invisible widget, the catalog, the first page
 * and the AcroForm as new versions —, the DSS's, and a general one (pdf_edit) for a caller
 * that changes a few objects of its own file.
 */
#ifndef GUICHET_SIGN_PDF_UPDATE_H
#define GUICHET_SIGN_PDF_UPDATE_H

#include <qpdf/qpdf-c.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/error.h"

/* The largest PDF signed or verified (bytes). */
#define PDF_UPDATE_FILE_MAX (64u * 1024 * 1024)
/* The longest --reason, --location or --name, in characters. */
#define PDF_UPDATE_TEXT_MAX 200
/* The bytes of DER reserved in /Contents (written as twice as many hex digits). A chain of
 * two RSA-3072 certificates makes a CMS of about 3 KB; B-T's timestamp adds as much again. */
#define PDF_UPDATE_CONTENTS_MAX 16384
/* The width reserved for the ByteRange array, brackets included: "[0 a b c]" with three
 * numbers of up to ten digits, the rest blanks. */
#define PDF_UPDATE_BYTERANGE_LEN 40

typedef struct pdf_sig_meta {
    const char *reason;   /* UTF-8, NULL or "" when none */
    const char *location; /* UTF-8, NULL or "" when none */
    const char *name;     /* UTF-8, NULL or "" when none */
    time_t when;          /* written as /M, in UTC */
    int visible;          /* 1: a box on the first page's bottom right (sign/appearance.h)
                             shows the name, the reason and the date; 0: invisible */
    int doc_timestamp;    /* 1: a document timestamp (ETSI EN 319 142-1 5.4.3): the dictionary
                             is /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161, without /M nor
                             the texts above, its field invisible; /Contents gets a TSA's
                             token (pades_timestamp) */
} pdf_sig_meta;

/* Where the placeholders of a written update are, as offsets in the output. */
typedef struct pdf_update_pos {
    size_t byterange_at; /* the '[' of the ByteRange array (PDF_UPDATE_BYTERANGE_LEN bytes) */
    size_t contents_at;  /* the '<' of /Contents */
    size_t contents_len; /* from '<' to '>' included: 2 + 2 * PDF_UPDATE_CONTENTS_MAX */
    char field[32];      /* the new signature field's name (/T): "Signature1", "Signature2"… */
} pdf_update_pos;

/* The offset of the last cross-reference section (the number after the last "startxref"
 * of the file's last 1024 bytes): 0, or -1 when there is none or it points outside. */
int pdf_update_startxref(const char *pdf, size_t len, size_t *offset);

/* Writes pdf (len bytes) to out, then the update that adds an empty signature described by m:
 * the ByteRange is left blank and /Contents all zeros, for pdf_update_set_byterange and the
 * signer. out must be empty; pos tells where the placeholders are. 0, or -1 with err
 * (ERR_INVALID_ARG with arg "pdf" for a file that cannot be signed: not a PDF, damaged,
 * encrypted, no page; arg "reason", "location" or "name" for a text too long, not UTF-8 or
 * with control characters). */
int pdf_update_write(const char *pdf, size_t len, const pdf_sig_meta *m, buf *out,
                     pdf_update_pos *pos, error *err);

/* Fills the ByteRange of a written update, once out holds the whole file: [0 a b c] where the
 * second range starts after /Contents' '>' and runs to the end of the file. 0, or -1. */
int pdf_update_set_byterange(buf *out, const pdf_update_pos *pos, error *err);

/* The deepest page tree an inherited page attribute is looked for in. */
#define PDF_PAGE_TREE_DEPTH_MAX 32

/* The value of key on page, or on the nearest of its parents where wanted(q, value) holds (a
 * page inherits /Resources, /MediaBox… from the page tree); qpdf's null when none. */
qpdf_oh pdf_inherited(qpdf_data q, qpdf_oh page, const char *key,
                      int (*wanted)(qpdf_data q, qpdf_oh value));

/* The most certificates, and the most CRLs, one DSS update adds. */
#define PDF_DSS_ITEMS_MAX 64

/* Bytes held elsewhere (a DER certificate or CRL); the holder owns them. */
typedef struct pdf_blob {
    const unsigned char *data;
    size_t len;
} pdf_blob;

/* The validation data of one signature, for the catalog's /DSS (ETSI EN 319 142-1 5.4.2). */
typedef struct pdf_dss {
    const pdf_blob *certs; /* DER certificates: the signer's chain and the TSA's */
    size_t ncerts;         /* at most PDF_DSS_ITEMS_MAX */
    const pdf_blob *crls;  /* DER CRLs, one per certificate that has an issuer */
    size_t ncrls;          /* at most PDF_DSS_ITEMS_MAX */
    char vri[41];          /* the signature's VRI key: SHA-1 of its /Contents, uppercase hex */
} pdf_dss;

/* Writes pdf (len bytes) to out (empty), then an incremental update that gives the catalog a
 * /DSS holding d's certificates and CRLs as streams, /OCSPs, and a /VRI entry for d->vri
 * naming them; a DSS the file already has keeps its items and entries. 0, or -1 with err
 * (ERR_INVALID_ARG with arg "pdf" for a file that cannot be read, ERR_TOO_LARGE when out's
 * maximum is reached). */
int pdf_update_write_dss(const char *pdf, size_t len, const pdf_dss *d, buf *out, error *err);

/* A general incremental update, for a caller that changes a few objects of a file it trusts
 * (docs/pdf.c finishing cairo's documents) without having qpdf parse and rewrite all of it:
 * the original's bytes, then the new versions of the objects the caller writes, then a
 * cross-reference section pointing back to the file's own. */
typedef struct pdf_edit pdf_edit;

/* Appends pdf (len bytes) to out and reads it with qpdf (lazily: only the objects looked at
 * are parsed). 0 with *ed set, or -1 with err (ERR_INVALID_ARG with arg "pdf": not a PDF,
 * unreadable, encrypted, no catalog). */
int pdf_edit_open(const char *pdf, size_t len, buf *out, pdf_edit **ed, error *err);
/* The file's qpdf handle and catalog, for the caller to read (and to unparse from). */
qpdf_data pdf_edit_qpdf(const pdf_edit *ed);
qpdf_oh pdf_edit_root(const pdf_edit *ed);
/* A number for a new object, above every number the file uses. */
int pdf_edit_new_id(pdf_edit *ed);
/* Starts writing object id gen (a new version of one of the file's objects, or a new one)
 * at the end of the update: the caller appends its value to pdf_edit_out and ends it with
 * pdf_edit_end. 0, or -1 out of memory (then pdf_edit_close reports it). */
int pdf_edit_begin(pdf_edit *ed, int id, int gen);
void pdf_edit_end(pdf_edit *ed);
buf *pdf_edit_out(pdf_edit *ed);
/* Appends "key value" lines for every key of dict but those of skip (NULL-terminated): values
 * as qpdf unparses them, indirect ones as references, direct ones whole. */
void pdf_edit_put_keys(pdf_edit *ed, qpdf_oh dict, const char *const *skip);
/* Ends the update (cross-reference section, trailer, startxref) and frees ed. 0, or -1 with
 * err (ERR_INVALID_ARG "pdf": qpdf found the objects read damaged; ERR_TOO_LARGE: out is
 * full; ERR_INTERNAL: out of memory). */
int pdf_edit_close(pdf_edit *ed, error *err);
/* Frees ed without ending the update (after an error); ed may be NULL. */
void pdf_edit_free(pdf_edit *ed);

#endif

/*
 * address_ban — the BAN CSV reader: header by name, fields split at ';' (a field may be
 * quoted, with "" for a quote), each line checked and handed to the import.
 */
#include "core/address_ban.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The columns read, by their name in the header; the others are skipped. */
enum {
    COL_ID,
    COL_NUMERO,
    COL_REP,
    COL_VOIE,
    COL_CP,
    COL_INSEE,
    COL_COMMUNE,
    COL_LON,
    COL_LAT,
    COL_COUNT
};
static const struct {
    const char *name;
    int required;
} columns[COL_COUNT] = {
    [COL_ID] = {"id", 1},
    [COL_NUMERO] = {"numero", 1},
    [COL_REP] = {"rep", 0},
    [COL_VOIE] = {"nom_voie", 1},
    [COL_CP] = {"code_postal", 1},
    [COL_INSEE] = {"code_insee", 1},
    [COL_COMMUNE] = {"nom_commune", 1},
    [COL_LON] = {"lon", 1},
    [COL_LAT] = {"lat", 1},
};

/* Fields of one line at most (the BAN has 23 columns). */
#define FIELDS_MAX 64

/* Reads one line into line (without its end of line): its length, -1 at the end of the
 * file, -2 when it is over ADDRESS_BAN_LINE_MAX bytes (the rest of it is skipped). */
static long read_line(FILE *in, char *line)
{
    if (!fgets(line, ADDRESS_BAN_LINE_MAX + 2, in))
        return -1;
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') {
        line[--n] = '\0';
    } else if (n == ADDRESS_BAN_LINE_MAX + 1) {
        int ch;
        while ((ch = fgetc(in)) != EOF && ch != '\n')
            ;
        return -2;
    }
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    if (memchr(line, '\0', n) != NULL)
        return -2;
    return (long)n;
}

/* Splits line in place at ';' into fields[] (quotes removed): their count, or -1 for an
 * unterminated quote or too many fields. */
static int split(char *line, char **fields)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == FIELDS_MAX)
            return -1;
        if (*p == '"') {
            char *w = ++p, *start = p;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            if (*p != ';' && *p != '\0')
                return -1;
            char end = *p;
            *w = '\0';
            fields[n++] = start;
            if (end == '\0')
                return n;
            p++;
        } else {
            fields[n++] = p;
            p += strcspn(p, ";");
            if (*p == '\0')
                return n;
            *p++ = '\0';
        }
    }
}

/* A number with '.' as its decimal mark: 0, or -1 when s is not one. */
static int parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_number(const char *s, int *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = v;
    return 0;
}

/* Reads the header: the index of each column (-1 when absent). */
static int read_header(FILE *in, char *line, int *index, error *err)
{
    long n = read_line(in, line);
    if (n == -1)
        return error_set(err, ERR_INVALID_ARG, "header", "the file is empty");
    if (n == -2)
        return error_set(err, ERR_INVALID_ARG, "header", "line 1: over %d bytes",
                         ADDRESS_BAN_LINE_MAX);
    char *p = line;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3; /* a byte order mark */
    char *fields[FIELDS_MAX];
    int nf = split(p, fields);
    if (nf < 0)
        return error_set(err, ERR_INVALID_ARG, "header", "line 1: not a ';'-separated header");
    for (int c = 0; c < COL_COUNT; c++) {
        index[c] = -1;
        for (int f = 0; f < nf; f++)
            if (strcmp(fields[f], columns[c].name) == 0)
                index[c] = f;
        if (index[c] < 0 && columns[c].required)
            return error_set(err, ERR_INVALID_ARG, "header",
                             "line 1: no column '%s' (is this a BAN adresses-XX.csv file, "
                             "';'-separated?)",
                             columns[c].name);
    }
    return nf;
}

/* Reads a data line's fields into *out: 0, or -1 with why. */
static int parse_line(char *line, int n_header, const int *index, address_input *out, char *why,
                      size_t why_size)
{
    char *fields[FIELDS_MAX];
    int nf = split(line, fields);
    if (nf < 0) {
        snprintf(why, why_size, "malformed line (a quote not closed, or over %d fields)",
                 FIELDS_MAX);
        return -1;
    }
    if (nf != n_header) {
        snprintf(why, why_size, "%d fields where the header has %d", nf, n_header);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->ban_id = fields[index[COL_ID]];
    out->rep = index[COL_REP] >= 0 ? fields[index[COL_REP]] : NULL;
    out->street = fields[index[COL_VOIE]];
    out->postcode = fields[index[COL_CP]];
    out->insee = fields[index[COL_INSEE]];
    out->commune = fields[index[COL_COMMUNE]];
    if (parse_number(fields[index[COL_NUMERO]], &out->number) != 0) {
        snprintf(why, why_size, "numero: not a number of at most 5 digits");
        return -1;
    }
    if (parse_double(fields[index[COL_LAT]], &out->lat) != 0) {
        snprintf(why, why_size, "lat: not a number");
        return -1;
    }
    if (parse_double(fields[index[COL_LON]], &out->lon) != 0) {
        snprintf(why, why_size, "lon: not a number");
        return -1;
    }
    error e;
    error_clear(&e);
    if (address_check(out, &e) != 0) {
        snprintf(why, why_size, "%s", e.detail);
        return -1;
    }
    return 0;
}

struct address_ban_reader {
    FILE *in;
    char *line; /* ADDRESS_BAN_LINE_MAX + 2 bytes */
    int index[COL_COUNT];
    int n_header;
    long lineno;
};

address_ban_reader *address_ban_reader_open(FILE *in, error *err)
{
    address_ban_reader *r = calloc(1, sizeof *r);
    if (r)
        r->line = malloc(ADDRESS_BAN_LINE_MAX + 2);
    if (!r || !r->line) {
        address_ban_reader_free(r);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    r->in = in;
    r->lineno = 1;
    r->n_header = read_header(in, r->line, r->index, err);
    if (r->n_header < 0) {
        address_ban_reader_free(r);
        return NULL;
    }
    return r;
}

int address_ban_reader_next(address_ban_reader *r, address_input *out, char *why, size_t why_size)
{
    for (;;) {
        long n = read_line(r->in, r->line);
        if (n == -1) {
            if (ferror(r->in)) {
                snprintf(why, why_size, "read error: %s", strerror(errno));
                return -2;
            }
            return 0;
        }
        r->lineno++;
        if (n == 0)
            continue; /* a blank line (the last one, often) */
        if (n == -2) {
            snprintf(why, why_size, "over %d bytes", ADDRESS_BAN_LINE_MAX);
            return -1;
        }
        return parse_line(r->line, r->n_header, r->index, out, why, why_size) == 0 ? 1 : -1;
    }
}

long address_ban_reader_line(const address_ban_reader *r)
{
    return r->lineno;
}

void address_ban_reader_free(address_ban_reader *r)
{
    if (!r)
        return;
    free(r->line);
    free(r);
}

int address_ban_import(core *c, int64_t tenant_id, FILE *in, address_ban_mode mode,
                       address_ban_bad_fn bad, void *ctx, address_ban_report *report, error *err)
{
    memset(report, 0, sizeof *report);
    address_ban_reader *r = address_ban_reader_open(in, err);
    if (!r)
        return -1;
    int rc = -1;
    address_import *im = NULL;
    if (address_import_begin(c, tenant_id, &im, err) != 0)
        goto cleanup;
    char why[300];
    for (;;) {
        address_input ad;
        int got = address_ban_reader_next(r, &ad, why, sizeof why);
        if (got == 0)
            break;
        if (got == -2) {
            error_set(err, ERR_UNAVAILABLE, "file", "%s", why);
            goto cleanup;
        }
        report->lines++;
        if (got < 0) {
            report->bad_lines++;
            if (bad)
                bad(ctx, address_ban_reader_line(r), why);
            continue;
        }
        /* Once a line is bad an all-or-nothing import only goes on checking. */
        if (report->bad_lines > 0 && mode == ADDRESS_BAN_ALL_OR_NOTHING)
            continue;
        if (address_import_add(im, &ad, err) != 0)
            goto cleanup;
    }
    if (report->bad_lines > 0 && mode == ADDRESS_BAN_ALL_OR_NOTHING) {
        rc = 0;
        goto cleanup;
    }
    if (report->lines - report->bad_lines == 0) {
        error_set(err, ERR_INVALID_ARG, "file", "the file holds no address");
        goto cleanup;
    }
    address_import *done = im;
    im = NULL;
    if (address_import_commit(done, &report->result, err) != 0)
        goto cleanup;
    report->imported = 1;
    rc = 0;
cleanup:
    address_import_abort(im);
    address_ban_reader_free(r);
    return rc;
}

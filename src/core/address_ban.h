/*
 * address_ban — the Base Adresse Nationale's CSV files (adresses-XX.csv of
 * adresse.data.gouv.fr: ';'-separated, a header naming the columns, which are found by name
 * so that their order may change) read as a stream, line by line in bounded memory, into a
 * collectivité's address list (core/address.h). Every line is checked; the first bad lines
 * are reported with their number.
 */
#ifndef GUICHET_CORE_ADDRESS_BAN_H
#define GUICHET_CORE_ADDRESS_BAN_H

#include <stdint.h>
#include <stdio.h>

#include "core/address.h"
#include "core/core.h"
#include "util/error.h"

/* The longest line read, in bytes (a line of the BAN is about 200). */
#define ADDRESS_BAN_LINE_MAX 4096

/* A reader of a BAN file: the header read at open, then one address per call. Pure: it
 * writes nothing (address_ban_import feeds the import with it). */
typedef struct address_ban_reader address_ban_reader;

/* Reads the header of in: the columns by name. NULL with err (ERR_INVALID_ARG naming
 * "header": empty file, a required column missing); caller frees with
 * address_ban_reader_free. */
address_ban_reader *address_ban_reader_open(FILE *in, error *err);
/* The next address: 1 and *out (its strings valid until the next call; checked with
 * address_check); 0 at the end of the file; -1 for a bad line (why says what is wrong, in
 * English, naming the column); -2 when the file cannot be read (why says so). Blank lines
 * are skipped. */
int address_ban_reader_next(address_ban_reader *r, address_input *out, char *why, size_t why_size);
/* The number of the line the last call read (the header is line 1). */
long address_ban_reader_line(const address_ban_reader *r);
void address_ban_reader_free(address_ban_reader *r);

/* What to do with bad lines. */
typedef enum address_ban_mode {
    /* Any bad line and nothing is imported: the collectivité keeps its list, and every bad
     * line is reported so that the file can be mended (the default: a list replaced whole
     * is expected to be whole). */
    ADDRESS_BAN_ALL_OR_NOTHING = 0,
    /* The good lines are imported, the bad ones reported and left out. */
    ADDRESS_BAN_SKIP_BAD,
} address_ban_mode;

/* Called for each bad line (up to the caller to print the first ones): its number (the
 * header is line 1) and why, in English, naming the column at fault. */
typedef void (*address_ban_bad_fn)(void *ctx, long line, const char *why);

typedef struct address_ban_report {
    long lines;     /* data lines read (the header aside) */
    long bad_lines; /* refused */
    int imported;   /* 1 when the list was replaced */
    address_import_result result;
} address_ban_report;

/* Reads the BAN CSV in `in` and replaces the tenant's address list with its addresses.
 * 0 and *report (imported 0 when bad lines stopped an all-or-nothing import); -1 with err
 * when the file cannot be read as the BAN's (no header, a required column missing:
 * ERR_INVALID_ARG naming "header"), when it has no address, or the store fails. */
int address_ban_import(core *c, int64_t tenant_id, FILE *in, address_ban_mode mode,
                       address_ban_bad_fn bad, void *ctx, address_ban_report *report, error *err);

#endif

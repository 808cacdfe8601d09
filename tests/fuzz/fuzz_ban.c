/*
 * fuzz_ban — the Base Adresse Nationale's CSV as `guichet address import` reads it
 * (core/address_ban.c: header by name, ';' fields with quotes, line bounds), on arbitrary
 * bytes. Checks what the import relies on: every address the reader gives passes
 * address_check and has its required fields; line numbers only grow; the reader ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/address_ban.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    error err;
    address_ban_reader *r = address_ban_reader_open(in, &err);
    if (!r) {
        CHECK(err.code == ERR_INVALID_ARG || err.code == ERR_UNAVAILABLE);
        fclose(in);
        return 0;
    }
    long last = address_ban_reader_line(r);
    char why[300];
    for (;;) {
        address_input ad;
        why[0] = '\0';
        int got = address_ban_reader_next(r, &ad, why, sizeof why);
        if (got == 0)
            break;
        CHECK(got == 1 || got == -1 || got == -2);
        if (got == -2)
            break;
        long line = address_ban_reader_line(r);
        CHECK(line > last);
        last = line;
        if (got < 0) {
            CHECK(why[0] != '\0');
            continue;
        }
        CHECK(address_check(&ad, &err) == 0);
        CHECK(ad.ban_id && *ad.ban_id && ad.street && *ad.street && ad.commune && *ad.commune);
        CHECK(strlen(ad.postcode) == 5 && strlen(ad.insee) == 5);
        CHECK(ad.number >= 0 && ad.number <= ADDRESS_NUMBER_MAX);
    }
    address_ban_reader_free(r);
    fclose(in);
    return 0;
}

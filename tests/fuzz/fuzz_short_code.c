/*
 * fuzz_short_code — short_code_normalise on arbitrary bytes, the typed short tracking code
 * as it reaches «Suivre une demande». Checks what request_code_check relies on: an accepted
 * code is exactly SHORT_CODE_LEN characters of the alphabet, normalising it again gives it
 * back, and its display reads back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/short_code.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char code[SHORT_CODE_LEN + 1];
    memset(code, 'x', sizeof code);
    if (short_code_normalise(s, code) == 0) {
        CHECK(strlen(code) == SHORT_CODE_LEN);
        CHECK(strspn(code, SHORT_CODE_ALPHABET) == SHORT_CODE_LEN);
        char again[SHORT_CODE_LEN + 1], shown[SHORT_CODE_DISPLAY_SIZE];
        CHECK(short_code_normalise(code, again) == 0 && strcmp(again, code) == 0);
        short_code_format(code, shown);
        CHECK(strlen(shown) == SHORT_CODE_LEN + 1);
        CHECK(short_code_normalise(shown, again) == 0 && strcmp(again, code) == 0);
    }
    free(s);
    return 0;
}

/*
 * fuzz_form — form_parse and form_decode_component on arbitrary bytes. Checks what the rest
 * of the server relies on: every accepted field is valid UTF-8 without NUL and within the
 * limits, every refusal carries a 4xx code and an error argument that is safe to echo.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/error.h"
#include "util/form.h"
#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    arena a;
    arena_init(&a, 1 << 22);
    form f;
    error e;
    error_clear(&e);
    if (form_parse(&a, s, size, &f, &e) == 0) {
        CHECK(f.count <= FORM_MAX_FIELDS);
        CHECK(f.count == 0 || f.fields != NULL);
        for (size_t i = 0; i < f.count; i++) {
            const form_field *fd = &f.fields[i];
            size_t nl = strlen(fd->name);
            CHECK(nl <= FORM_MAX_NAME);
            CHECK(utf8_valid(fd->name, nl));
            CHECK(strlen(fd->value) == fd->value_len);
            CHECK(utf8_valid(fd->value, fd->value_len));
            CHECK(form_get(&f, fd->name) != NULL);
            CHECK(form_count(&f, fd->name) >= 1);
        }
    } else {
        CHECK(e.code == ERR_BAD_REQUEST || e.code == ERR_INVALID_ARG || e.code == ERR_TOO_LARGE);
        CHECK(utf8_valid(e.arg, strlen(e.arg)));
    }

    for (int plus = 0; plus < 2; plus++) {
        char *c = form_decode_component(&a, s, size, plus);
        if (c) {
            size_t n = strlen(c);
            CHECK(n <= size);
            CHECK(utf8_valid(c, n));
            if (!plus && !memchr(s, '%', size))
                CHECK(n == size && memcmp(c, s, n) == 0);
        }
    }
    arena_free(&a);
    return 0;
}

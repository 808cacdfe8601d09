/*
 * fuzz_jsonw — drives the JSON writer with arbitrary strings, keys, numbers and structure,
 * then checks with jansson that whatever jsonw_finish accepts is valid JSON, and that
 * strings that were valid UTF-8 read back byte for byte: the proof that escaping is sound.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonw.h"
#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Mode 0: every chunk of the input (split at 0xFF bytes) becomes one array element; each
 * element must read back identical when it was valid UTF-8 (NUL included, as \u0000). */
static void strings_roundtrip(const uint8_t *data, size_t size)
{
    buf b;
    buf_init(&b, 1 << 20);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_array_begin(&w, NULL);
    size_t nchunks = 0;
    for (size_t i = 0; i <= size;) {
        const uint8_t *end = memchr(data + i, 0xFF, size - i);
        size_t len = end ? (size_t)(end - (data + i)) : size - i;
        jsonw_string_n(&w, NULL, (const char *)data + i, len);
        nchunks++;
        i += len + 1;
    }
    jsonw_array_end(&w);
    CHECK(jsonw_finish(&w) == 0);
    json_error_t jerr;
    json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &jerr);
    CHECK(j != NULL);
    CHECK(json_is_array(j) && json_array_size(j) == nchunks);
    size_t k = 0;
    for (size_t i = 0; i <= size; k++) {
        const uint8_t *end = memchr(data + i, 0xFF, size - i);
        size_t len = end ? (size_t)(end - (data + i)) : size - i;
        json_t *s = json_array_get(j, k);
        CHECK(json_is_string(s));
        /* NUL is only refused by utf8_valid, not by JSON: check the rest of the text. */
        int valid = 1;
        for (size_t p = 0; p < len;) {
            const uint8_t *z = memchr(data + i + p, 0, len - p);
            size_t seg = z ? (size_t)(z - (data + i + p)) : len - p;
            if (!utf8_valid((const char *)data + i + p, seg))
                valid = 0;
            p += seg + 1;
        }
        if (valid)
            CHECK(json_string_length(s) == len && memcmp(json_string_value(s), data + i, len) == 0);
        i += len + 1;
    }
    json_decref(j);
    buf_free(&b);
}

/* Mode 1: a little program. Each step takes an opcode byte and a length byte; mistakes are
 * allowed on purpose (odd opcodes with bit 4 set pass a wrong key), and jsonw must then refuse
 * rather than emit broken JSON. */
static void program(const uint8_t *data, size_t size, size_t max)
{
    buf b;
    buf_init(&b, max);
    jsonw w;
    jsonw_init(&w, &b);
    int stack[64];
    int depth = 0; /* our own view: 1 = object, 0 = array */
    size_t i = 0;
    while (i + 2 <= size) {
        uint8_t op = data[i], len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = (uint8_t)(size - i);
        const char *payload = (const char *)data + i;
        i += len;
        char key[256];
        memcpy(key, payload, len);
        key[len] = '\0';
        int in_object = depth > 0 && stack[depth - 1] == 1;
        const char *k = in_object ? key : NULL;
        if (op & 0x10)
            k = in_object ? NULL : key;
        switch (op & 0x0F) {
        case 0:
            jsonw_object_begin(&w, k);
            if (depth < 64)
                stack[depth++] = 1;
            break;
        case 1:
            jsonw_array_begin(&w, k);
            if (depth < 64)
                stack[depth++] = 0;
            break;
        case 2:
            if (depth > 0 && stack[depth - 1] == 1)
                depth--;
            jsonw_object_end(&w);
            break;
        case 3:
            if (depth > 0 && stack[depth - 1] == 0)
                depth--;
            jsonw_array_end(&w);
            break;
        case 4:
            jsonw_string_n(&w, k, payload, len);
            break;
        case 5:
            jsonw_string(&w, k, key);
            break;
        case 6: {
            int64_t v = 0;
            memcpy(&v, payload, len < 8 ? len : 8);
            jsonw_int(&w, k, v);
            break;
        }
        case 7: {
            double d = 0;
            memcpy(&d, payload, len < 8 ? len : 8);
            jsonw_double(&w, k, d);
            break;
        }
        case 8:
            jsonw_bool(&w, k, len & 1);
            break;
        case 9:
            jsonw_null(&w, k);
            break;
        case 10:
            jsonw_string(&w, k, NULL);
            break;
        default:
            break;
        }
    }
    while (depth > 0) {
        if (stack[--depth] == 1)
            jsonw_object_end(&w);
        else
            jsonw_array_end(&w);
    }
    if (jsonw_finish(&w) == 0) {
        json_error_t jerr;
        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        CHECK(j != NULL);
        json_decref(j);
    }
    CHECK(b.len <= max);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        program(data + 1, size - 1, data[0] & 2 ? 64 : 1 << 20);
    else
        strings_roundtrip(data + 1, size - 1);
    return 0;
}

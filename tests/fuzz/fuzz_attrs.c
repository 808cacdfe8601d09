/*
 * fuzz_attrs — a procedure's question definitions as an administrator types them into the
 * JSON editor (attrs_check, strict) and as the catalogue reads them back (attrs_parse_
 * definitions, lenient), on arbitrary bytes. Checks what the pages rely on: whatever the strict
 * check accepts the lenient parse accepts too; a refusal names a known problem, a question and
 * a value within range; every parsed question has a code, a known type, the values a list
 * needs, texts the helpers return for both languages, and conditions that evaluate (a question
 * no condition may hide is shown). The bytes are also read as a date
 * question's answer (attr_date_read): what it accepts is a real day, read back as itself; and
 * as a location question's (text or JSON): what it accepts is stored as an object with an
 * address, which given back as the answer is stored the same.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/attrs.h"

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
    attrs_problem pb;
    int strict = attrs_check(s, &pb);
    if (strict != 0) {
        CHECK(pb.kind > ATTRS_OK && pb.kind < ATTRS_PROBLEM_COUNT);
        CHECK(*attrs_problem_name(pb.kind) != '\0');
        CHECK(pb.item <= 100 && pb.value <= 200);
        CHECK(memchr(pb.code, '\0', sizeof pb.code) && memchr(pb.member, '\0', sizeof pb.member));
    }
    arena a;
    arena_init(&a, 0);
    attr_def *defs = NULL;
    size_t n = 0;
    error err;
    int lenient = attrs_parse_definitions(&a, s, &defs, &n, &err);
    CHECK(strict != 0 || lenient == 0);
    for (size_t i = 0; lenient == 0 && i < n; i++) {
        const attr_def *d = &defs[i];
        CHECK(d->code && *d->code);
        CHECK(d->type >= 0 && d->type < ATTR_TYPE_COUNT);
        int list = d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST;
        CHECK(!list || d->n_values > 0);
        CHECK(attr_label(d, LANG_FR) && attr_label(d, LANG_EN));
        for (size_t k = 0; k < d->n_values; k++) {
            CHECK(d->values[k].key && d->values[k].name);
            CHECK(attr_value_name(d, d->values[k].key, LANG_EN) != NULL);
        }
        CHECK(attrs_find(defs, n, d->code) != NULL);
        /* Conditions: evaluating one ends whatever the definitions; a question no condition
         * may hide is shown; a section asks nothing. */
        attr_input yes = {d->show_field ? d->show_field : "",
                          d->n_show_values ? d->show_values[0] : ""};
        int shown = attrs_shown(defs, n, d, NULL, 0);
        CHECK(shown == 0 || shown == 1);
        CHECK(d->conditional || shown == 1);
        CHECK(attrs_shown(defs, n, d, &yes, 1) <= 1);
        CHECK(d->type != ATTR_SECTION || (!d->variable && !d->required));
    }
    /* The same bytes as a date question's answer: a day read is a real YYYY-MM-DD, read back
     * as itself. */
    const char *iso = NULL;
    if (attr_date_read(&a, s, &iso) == 0) {
        const char *again = NULL;
        CHECK(iso && strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-');
        CHECK(attr_date_read(&a, iso, &again) == 0 && strcmp(again, iso) == 0);
    }
    /* The same bytes as a location question's answer. */
    static attr_def place = {.code = "lieu", .type = ATTR_LOCATION, .variable = 1};
    attr_input given = {"lieu", s};
    const char *stored = NULL;
    if (attrs_validate(&a, &place, 1, &given, 1, NULL, &stored, &err) == 0 && *s) {
        json_t *root = json_loads(stored, 0, NULL);
        json_t *v = json_object_get(root, "lieu");
        int has_pos;
        double lat, lon;
        const char *address = attr_location_of(v, &has_pos, &lat, &lon);
        CHECK(address && *address);
        CHECK(!has_pos || (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180));
        char *text = json_dumps(v, JSON_COMPACT);
        attr_input back = {"lieu", text};
        const char *again = NULL;
        CHECK(text && attrs_validate(&a, &place, 1, &back, 1, NULL, &again, &err) == 0);
        json_t *root2 = json_loads(again, 0, NULL);
        CHECK(json_equal(root, root2));
        json_decref(root2);
        free(text);
        json_decref(root);
    }
    arena_free(&a);
    free(s);
    return 0;
}

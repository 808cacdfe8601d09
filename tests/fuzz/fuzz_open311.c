/*
 * fuzz_open311 — the Open311 argument parser (api/open311/params) on arbitrary urlencoded
 * bodies: form_parse, then the POST Service Request reader and the GET Service Requests
 * filter reader. Checks the promises the handlers rely on: accepted values respect their
 * limits and ranges, and every refusal is a 4xx naming an argument that is safe to echo.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/open311/params.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/form.h"
#include "util/utf8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define FUZZ_NOW ((int64_t)1795000000) /* a fixed "now" keeps runs reproducible */

static void check_refusal(const error *e)
{
    CHECK(e->code == ERR_MISSING_ARG || e->code == ERR_INVALID_ARG);
    CHECK(e->arg[0] != '\0');
    CHECK(utf8_valid(e->arg, strlen(e->arg)));
    CHECK(utf8_valid(e->detail, strlen(e->detail)));
}

static void check_text(const char *s, size_t max_chars)
{
    if (s == NULL)
        return;
    size_t n = strlen(s);
    CHECK(n > 0);
    CHECK(utf8_valid(s, n));
    CHECK(utf8_length(s, n) <= max_chars);
}

static void check_post(arena *a, const form *f)
{
    o311_post p;
    error e;
    error_clear(&e);
    if (o311_params_post(a, f, &p, &e) != 0) {
        check_refusal(&e);
        return;
    }
    CHECK(p.service_code != NULL && p.service_code[0] != '\0');
    if (p.has_location) {
        CHECK(isfinite(p.lat) && p.lat >= -90.0 && p.lat <= 90.0);
        CHECK(isfinite(p.lon) && p.lon >= -180.0 && p.lon <= 180.0);
    } else {
        CHECK(p.lat_text == NULL && p.long_text == NULL);
    }
    check_text(p.description, O311_POST_DESCRIPTION_MAX);
    check_text(p.address_string, O311_FIELD_MAX);
    check_text(p.media_url, O311_FIELD_MAX);
    if (p.media_url != NULL)
        CHECK(strncasecmp(p.media_url, "http", 4) == 0);
    CHECK(p.n_attrs <= f->count);
    for (size_t i = 0; i < p.n_attrs; i++) {
        CHECK(p.attrs[i].code != NULL && p.attrs[i].code[0] != '\0');
        CHECK(strchr(p.attrs[i].code, ']') == NULL);
        CHECK(p.attrs[i].value != NULL && p.attrs[i].value[0] != '\0');
    }
}

static void check_query(arena *a, const form *f)
{
    o311_query q;
    error e;
    error_clear(&e);
    if (o311_params_query(a, f, FUZZ_NOW, "Europe/Paris", &q, &e) != 0) {
        check_refusal(&e);
        return;
    }
    CHECK(q.page >= 1);
    CHECK(q.page_size >= 1 && q.page_size <= O311_MAX_RESULTS);
    CHECK(q.n_ids <= O311_MAX_IDS);
    for (size_t i = 0; i < q.n_ids; i++)
        CHECK(q.ids[i] != NULL && q.ids[i][0] != '\0');
    if (q.n_ids > 0)
        return;
    CHECK(q.n_codes <= O311_MAX_CODES);
    CHECK(q.created_from <= q.created_to);
}

static void check_updates(const form *f)
{
    o311_updates_query q;
    error e;
    error_clear(&e);
    if (o311_params_updates(f, FUZZ_NOW, "Europe/Paris", &q, &e) != 0) {
        check_refusal(&e);
        return;
    }
    CHECK(q.page >= 1);
    CHECK(q.page_size >= 1 && q.page_size <= O311_MAX_RESULTS);
    CHECK(q.from <= q.to);
}

static void check_update_post(const form *f)
{
    o311_update_post u;
    error e;
    error_clear(&e);
    if (o311_params_update_post(f, "Europe/Paris", &u, &e) != 0) {
        check_refusal(&e);
        return;
    }
    CHECK(u.service_request_id != NULL && u.update_id != NULL && u.status != NULL);
    check_text(u.update_id, O311_UPDATE_ID_MAX);
    check_text(u.description, O311_POST_DESCRIPTION_MAX);
    check_text(u.media_url, O311_FIELD_MAX);
    if (u.media_url != NULL)
        CHECK(strncasecmp(u.media_url, "http", 4) == 0);
    CHECK(u.first_name == NULL || strcmp(u.first_name, "-") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 1 << 22);
    form f;
    error e;
    error_clear(&e);
    if (form_parse(&a, (const char *)data, size, &f, &e) == 0) {
        check_post(&a, &f);
        check_query(&a, &f);
        check_updates(&f);
        check_update_post(&f);
        const char *j = NULL;
        if (o311_params_jurisdiction(&f, &j, &e) == 0 && j != NULL)
            CHECK(j[0] != '\0');
        char key[O311_IDEMPOTENCY_KEY_MAX + 2];
        size_t n = size < sizeof key - 1 ? size : sizeof key - 1;
        memcpy(key, data, n);
        key[n] = '\0';
        if (o311_idempotency_key_valid(key))
            CHECK(strlen(key) > 0 && strlen(key) <= O311_IDEMPOTENCY_KEY_MAX);
    }
    arena_free(&a);
    return 0;
}

/*
 * Unit tests of the short tracking code (core/short_code.c, core/request_code.c): codes drawn
 * from the alphabet without look-alikes, the typed forms that stand for one (any case,
 * spaces, dashes, no-break spaces) and the ones that do not, the grouped display, the keyed
 * hash (a different one for the same code on another request), the delay's growth and
 * ceilings, and, on a real SQLite database, a request's code at work: found in its typed
 * forms, a wrong entry delaying the next one per reference and per network, the right code
 * refused while a delay runs, the other network delayed only by the reference's delay, an
 * unknown reference answered like a wrong code, the pass that opens the tracking page, and
 * an agent's new code replacing the old one (its passes too), audited.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/short_code.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"
#include "util/timeutil.h"

/* ---- pure functions ---- */

static void test_alphabet_has_no_look_alikes(void **state)
{
    (void)state;
    assert_int_equal(strlen(SHORT_CODE_ALPHABET), 26);
    for (const char *c = "01OILSZBGU"; *c; c++)
        assert_null(strchr(SHORT_CODE_ALPHABET, *c));
}

static void test_new_codes_are_valid_and_vary(void **state)
{
    (void)state;
    char first[SHORT_CODE_LEN + 1];
    short_code_new(first);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        char code[SHORT_CODE_LEN + 1], back[SHORT_CODE_LEN + 1];
        short_code_new(code);
        assert_int_equal(strlen(code), SHORT_CODE_LEN);
        assert_int_equal(strspn(code, SHORT_CODE_ALPHABET), SHORT_CODE_LEN);
        assert_int_equal(short_code_normalise(code, back), 0);
        assert_string_equal(back, code);
        differ |= strcmp(code, first) != 0;
    }
    assert_true(differ);
}

static void test_typed_forms(void **state)
{
    (void)state;
    static const char *const same[] = {
        "K7QM4TXH",
        "k7qm4txh",
        "K7QM-4TXH",
        " k7qm 4txh ",
        "k 7 q m - 4 t x h",
        "K7QM\xC2\xA0"
        "4TXH", /* no-break space */
        "K7QM\xE2\x80\xAF"
        "4TXH", /* narrow no-break space */
        "K7QM\xE2\x80\x93"
        "4TXH", /* en dash */
        "K7QM\t4TXH",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char out[SHORT_CODE_LEN + 1];
        assert_int_equal(short_code_normalise(same[i], out), 0);
        assert_string_equal(out, "K7QM4TXH");
    }
    static const char *const not_codes[] = {
        "",
        "K7QM4TX",
        "K7QM4TXH2",
        "K7QM40XH" /* zero */,
        "K7QMOTXH" /* O */,
        "K7QM1TXH",
        "K7QMLTXH",
        "K7QM_4TXH",
        "K7QM.4TXH",
        "K7QM4TXé",
        "\xC2\xA0",
        "K7QM4TX\xE2\x80",
        "K7QM-4TXH-K7QM-4TXH-K7QM-4TXH-K7QM-4TXH-K7QM-4TXH-K7QM-4TXH"};
    for (size_t i = 0; i < sizeof not_codes / sizeof not_codes[0]; i++) {
        char out[SHORT_CODE_LEN + 1];
        assert_int_equal(short_code_normalise(not_codes[i], out), -1);
    }
    char out[SHORT_CODE_LEN + 1];
    assert_int_equal(short_code_normalise(NULL, out), -1);
    char shown[SHORT_CODE_DISPLAY_SIZE];
    short_code_format("K7QM4TXH", shown);
    assert_string_equal(shown, "K7QM-4TXH");
}

static void test_delay_grows_to_its_ceilings(void **state)
{
    (void)state;
    assert_int_equal(short_code_delay(0, SHORT_CODE_DELAY_MAX_REFERENCE), 0);
    int64_t expect = SHORT_CODE_DELAY_FIRST;
    for (int n = 1; n <= 40; n++) {
        int64_t ref = short_code_delay(n, SHORT_CODE_DELAY_MAX_REFERENCE);
        int64_t addr = short_code_delay(n, SHORT_CODE_DELAY_MAX_ADDRESS);
        assert_int_equal(
            ref, expect < SHORT_CODE_DELAY_MAX_REFERENCE ? expect : SHORT_CODE_DELAY_MAX_REFERENCE);
        assert_int_equal(
            addr, expect < SHORT_CODE_DELAY_MAX_ADDRESS ? expect : SHORT_CODE_DELAY_MAX_ADDRESS);
        if (expect < SHORT_CODE_DELAY_MAX_ADDRESS)
            expect *= 2;
    }
    assert_int_equal(short_code_delay(1, 900), 2);
    assert_int_equal(short_code_delay(2, 900), 4);
    assert_int_equal(short_code_delay(10, 900), 900);
    assert_int_equal(short_code_delay(11, 3600), 2048);
    assert_int_equal(short_code_delay(12, 3600), 3600);

    int64_t now = 1800000000;
    store_code_failures none = {0, 0};
    assert_int_equal(short_code_wait(&none, 900, now), 0);
    store_code_failures one = short_code_failed(&none, now);
    assert_int_equal(one.failures, 1);
    assert_int_equal(short_code_wait(&one, 900, now), 2);
    assert_int_equal(short_code_wait(&one, 900, now + 1), 1);
    assert_int_equal(short_code_wait(&one, 900, now + 2), 0);
    store_code_failures two = short_code_failed(&one, now + 3);
    assert_int_equal(two.failures, 2);
    assert_int_equal(short_code_wait(&two, 900, now + 3), 4);
    /* A day after the last failure the count is forgotten: the next failure counts 1. */
    store_code_failures many = {30, now};
    assert_int_equal(short_code_wait(&many, 900, now + 899), 1);
    assert_int_equal(short_code_wait(&many, 900, now + SHORT_CODE_FORGET_AFTER), 0);
    store_code_failures again = short_code_failed(&many, now + SHORT_CODE_FORGET_AFTER);
    assert_int_equal(again.failures, 1);
}

/* ---- on a database ---- */

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent agent;
    core_actor who;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "short-code", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t voirie = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &voirie, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .group_name = "Signaler",
                         .department_id = voirie,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    const char *deps[] = {"voirie"};
    int64_t id = 0;
    assert_int_equal(agent_create(f->db.core, f->tenant_id, "agnes@ville-test.fr", "Agnès",
                                  AGENT_ROLE_AGENT, deps, 1, "un-mot-de-passe-solide", &id, &err),
                     0);
    assert_int_equal(agent_get(f->db.core, f->tenant_id, id, &f->a, &f->agent, &err), 0);
    f->who = actor_of_agent(&f->agent, "web 192.0.2.1");
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    catalogue_release(f->db.core, f->cat);
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

static request_created file(fixture *f)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "nid-de-poule"),
                        .ch = CHANNEL_PHONE,
                        .description = "Un trou devant l'école",
                        .address = "1 rue de la Paix"};
    request_created out = test_req_create(f->db.core, &in);
    assert_int_equal(strlen(out.short_code), SHORT_CODE_LEN);
    return out;
}

static store_request get(fixture *f, const char *reference)
{
    return test_req_get(f->db.core, f->t, reference, &f->a);
}

static request_code_result check(fixture *f, const char *reference, const char *code,
                                 const char *network)
{
    request_code_result res;
    error err;
    assert_int_equal(
        request_code_check(f->db.core, f->t, reference, code, network, &res, NULL, NULL, &err), 0);
    return res;
}

typedef struct age_arg {
    int64_t tenant_id;
    const char *scope, *key;
    int64_t seconds;
} age_arg;

static int age_apply(store *s, void *arg, error *err)
{
    age_arg *g = arg;
    store_code_failures c;
    if (s->ops->code_failures.get(s, g->tenant_id, g->scope, g->key, &c, err) != 0)
        return -1;
    if (c.failures == 0)
        return 0;
    c.last_failure_at -= g->seconds;
    return s->ops->code_failures.tx_set(s, g->tenant_id, g->scope, g->key, &c, err);
}

/* The counts of `reference` and of networks[0..n) as if `seconds` had gone by since their
 * last failure (the counts name a network by core's keyed hash of it). */
static void let_time_pass(fixture *f, const char *reference, const char *const *networks,
                          size_t n_networks, int64_t seconds)
{
    error err;
    age_arg g = {f->tenant_id, "reference", reference, seconds};
    assert_int_equal(store_write_sync(f->db.store, age_apply, &g, &err), 0);
    for (size_t i = 0; i < n_networks; i++) {
        char label[128], key[65];
        snprintf(label, sizeof label, "code-address:%s", networks[i]);
        core_hash_secret(f->db.core, label, key);
        age_arg h = {f->tenant_id, "address", key, seconds};
        assert_int_equal(store_write_sync(f->db.store, age_apply, &h, &err), 0);
    }
}

/* The lower-case, spaced form of a code, as someone reading it aloud would have it typed. */
static const char *spoken(fixture *f, const char *code)
{
    char *s = arena_printf(&f->a, "%c%c%c%c %c%c%c%c", code[0], code[1], code[2], code[3], code[4],
                           code[5], code[6], code[7]);
    for (char *c = s; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return s;
}

/* A valid code that is not `code`. */
static const char *wrong_code(const char *code)
{
    return strcmp(code, "22222222") == 0 ? "33333333" : "22222222";
}

static void test_code_is_kept_as_a_keyed_hash_of_the_request(void **state)
{
    fixture *f = *state;
    request_created a = file(f), b = file(f);
    store_request ra = get(f, a.reference), rb = get(f, b.reference);
    assert_non_null(ra.short_code_hash);
    assert_int_equal(strlen(ra.short_code_hash), 64);
    assert_null(strstr(ra.short_code_hash, a.short_code));
    assert_true(request_short_code_matches(f->db.core, &ra, a.short_code));
    assert_true(request_short_code_matches(f->db.core, &ra, spoken(f, a.short_code)));
    assert_false(request_short_code_matches(f->db.core, &ra, wrong_code(a.short_code)));
    assert_false(request_short_code_matches(f->db.core, &rb, a.short_code) &&
                 strcmp(a.short_code, b.short_code) != 0);
    /* The same code gives another hash on another request. */
    char h1[65], h2[65];
    short_code_hash(f->db.core, f->tenant_id, ra.id, "K7QM4TXH", h1);
    short_code_hash(f->db.core, f->tenant_id, rb.id, "K7QM4TXH", h2);
    assert_string_not_equal(h1, h2);
}

static void test_delays_per_reference_and_network(void **state)
{
    fixture *f = *state;
    request_created a = file(f), other = file(f);
    const char *net_a = "192.0.2.10", *net_b = "2001:db8:1:2::";

    /* Read aloud, typed in lower case with a space: it opens the request. */
    request_code_result ok = check(f, a.reference, spoken(f, a.short_code), net_a);
    assert_true(ok.opened);
    store_request r = get(f, a.reference);
    assert_true(request_token_matches(f->db.core, &r, ok.pass));
    store_request ro = get(f, other.reference);
    assert_false(request_token_matches(f->db.core, &ro, ok.pass));

    /* Network A fails twice on another request: its own count grows to 2. */
    request_code_result w = check(f, other.reference, wrong_code(other.short_code), net_a);
    assert_false(w.opened);
    assert_int_equal(w.wait_seconds, 2);
    const char *nets_a[] = {net_a};
    let_time_pass(f, other.reference, nets_a, 1, 2);
    w = check(f, other.reference, wrong_code(other.short_code), net_a);
    assert_int_equal(w.wait_seconds, 4);
    let_time_pass(f, other.reference, nets_a, 1, 4);

    /* Then once on request a: a's count is 1 (2 s), A's is 3 (8 s). */
    w = check(f, a.reference, wrong_code(a.short_code), net_a);
    assert_false(w.opened);
    assert_int_equal(w.wait_seconds, 8);
    /* The right code from A during the delay: refused, with the delay, not looked at. */
    w = check(f, a.reference, a.short_code, net_a);
    assert_false(w.opened);
    assert_true(w.wait_seconds > 0 && w.wait_seconds <= 8);
    /* From B: only the reference's delay applies. */
    w = check(f, a.reference, a.short_code, net_b);
    assert_false(w.opened);
    assert_true(w.wait_seconds > 0 && w.wait_seconds <= 2);
    /* Once the reference's delay is over B gets in, while A still waits. */
    let_time_pass(f, a.reference, NULL, 0, 2);
    w = check(f, a.reference, a.short_code, net_a);
    assert_false(w.opened);
    w = check(f, a.reference, a.short_code, net_b);
    assert_true(w.opened);

    /* An unknown reference is answered as a wrong code is. */
    const char *nets_b[] = {net_b};
    let_time_pass(f, a.reference, nets_b, 1, 3600);
    w = check(f, "1999-999999", a.short_code, net_b);
    assert_false(w.opened);
    assert_int_equal(w.wait_seconds, 2);

    /* Neither a reference nor a code: refused at once, counted nowhere. */
    request_code_result res;
    error err;
    assert_int_equal(
        request_code_check(f->db.core, f->t, a.reference, "K7QM", net_b, &res, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "code");
    assert_int_equal(
        request_code_check(f->db.core, f->t, "2026/1", a.short_code, net_b, &res, NULL, NULL, &err),
        -1);
    assert_string_equal(err.arg, "reference");

    /* Counts a day old are forgotten, and removed by the retention pass's call. */
    let_time_pass(f, "1999-999999", nets_b, 1, SHORT_CODE_FORGET_AFTER);
    assert_int_equal(request_code_forget(f->db.core, &err), 0);
    store_code_failures gone;
    assert_int_equal(f->db.store->ops->code_failures.get(f->db.store, f->tenant_id, "reference",
                                                         "1999-999999", &gone, &err),
                     0);
    assert_int_equal(gone.failures, 0);

    /* The long tracking token typed in the field still opens the request. */
    let_time_pass(f, "1999-999999", nets_b, 1, 3600);
    w = check(f, a.reference, a.token, net_b);
    assert_true(w.opened);
    assert_string_equal(w.pass, a.token);
}

static void test_renewed_code_replaces_the_old_one(void **state)
{
    fixture *f = *state;
    request_created a = file(f);
    request_code_result ok = check(f, a.reference, a.short_code, "192.0.2.20");
    assert_true(ok.opened);
    char code[SHORT_CODE_LEN + 1];
    error err;
    assert_int_equal(
        request_code_renew(f->db.core, f->t, a.reference, &f->who, NULL, code, NULL, NULL, &err),
        0);
    assert_int_equal(strlen(code), SHORT_CODE_LEN);
    store_request r = get(f, a.reference);
    assert_true(request_short_code_matches(f->db.core, &r, code));
    assert_true(strcmp(code, a.short_code) == 0 ||
                !request_short_code_matches(f->db.core, &r, a.short_code));
    assert_false(request_token_matches(f->db.core, &r, ok.pass));
    assert_true(request_token_matches(f->db.core, &r, a.token));
    /* Audited: who gave a new code, for which request. */
    store_audit *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a, &rows, &n, &err),
        0);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= strcmp(rows[i].action, "renew_code") == 0;
    assert_true(found);
    /* Unknown: not found. */
    assert_int_equal(
        request_code_renew(f->db.core, f->t, "1999-999999", &f->who, NULL, code, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet_has_no_look_alikes),
        cmocka_unit_test(test_new_codes_are_valid_and_vary),
        cmocka_unit_test(test_typed_forms),
        cmocka_unit_test(test_delay_grows_to_its_ceilings),
        cmocka_unit_test_setup_teardown(test_code_is_kept_as_a_keyed_hash_of_the_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delays_per_reference_and_network, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renewed_code_replaces_the_old_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

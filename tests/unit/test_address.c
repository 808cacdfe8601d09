/*
 * test_address — the collectivité's address list (src/core/address.c, address_ban.c): the
 * BAN CSV reader (columns by name, bad lines named, all or nothing), the search's matching
 * and ranking («12 r de la paix», «paix 12», accents, abbreviations, bis), the nearest
 * address, the words a text is searched by, and a re-import replacing the list whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/address.h"
#include "core/address_ban.h"
#include "core/admin.h"
#include "test_db.h"

#define HEADER                                                                                     \
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"                        \
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;"     \
    "libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;"        \
    "cad_parcelles\n"

/* A line of the BAN format for the fictional commune 99001. */
#define LINE(id, num, rep, voie, lon, lat)                                                         \
    id ";x;" num ";" rep ";" voie ";99100;99001;Bourg-Exemple;;;0;0;" lon ";" lat                  \
       ";entrée;;;BOURG;X;commune;commune;1;\n"

static const char base_file[] = HEADER LINE("a1", "12", "", "Rue de la Paix", "4.9000", "45.7000")
    LINE("a2", "12", "bis", "Rue de la Paix", "4.9001", "45.7001")
        LINE("a3", "14", "", "Rue de la Paix", "4.9002", "45.7002")
            LINE("a4", "12", "", "Rue de la Paix Prolongée", "4.9100", "45.7100")
                LINE("a5", "3", "", "Place de la Paix", "4.9200", "45.7200")
                    LINE("a6", "7", "", "Rue de l'Église", "4.9300", "45.6900")
                        LINE("a7", "5", "", "Boulevard Gambetta", "4.9400", "45.6800")
                            LINE("a8", "99999", "", "Les Grands Champs", "4.9500", "45.6700");

typedef struct fixture {
    test_db db;
    int64_t tenant;
    arena a;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (test_db_open(&f.db, "address", NULL) != 0)
        return -1;
    store_tenant t = {.slug = "bourg", .name = "Bourg-Exemple", .timezone = "Europe/Paris"};
    error err;
    if (admin_tenant_upsert(f.db.core, &t, &f.tenant, &err) != 0)
        return -1;
    arena_init(&f.a, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    return 0;
}

typedef struct bad_seen {
    long lines[16];
    char why[16][300];
    int n;
} bad_seen;

static void record_bad(void *ctx, long line, const char *why)
{
    bad_seen *b = ctx;
    if (b->n < 16) {
        b->lines[b->n] = line;
        snprintf(b->why[b->n], sizeof b->why[0], "%s", why);
        b->n++;
    }
}

/* Imports text as a BAN file; the report in *r and the bad lines in *bad (may be NULL). */
static int import_text(fixture *f, const char *text, address_ban_mode mode, address_ban_report *r,
                       bad_seen *bad, error *err)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(in);
    int rc =
        address_ban_import(f->db.core, f->tenant, in, mode, bad ? record_bad : NULL, bad, r, err);
    fclose(in);
    return rc;
}

static void load_base(fixture *f)
{
    address_ban_report r;
    error err;
    assert_int_equal(import_text(f, base_file, ADDRESS_BAN_ALL_OR_NOTHING, &r, NULL, &err), 0);
    assert_int_equal(r.imported, 1);
    assert_int_equal(r.result.addresses, 8);
}

/* The labels of a search, joined with " | ". */
static const char *search(fixture *f, const char *q, size_t limit)
{
    static char out[2048];
    store_address *hits = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(address_search(f->db.core, f->tenant, q, limit, &f->a, &hits, &n, &err), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " | " : "",
                 hits[i].label);
    return out;
}

static void test_words(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(address_words("  12 bis, Rue de l'Église — Œuvre  ", out, sizeof out),
                        "12 bis rue de l eglise oeuvre");
    assert_string_equal(address_words("l\u2019Église «Haute»", out, sizeof out), "l eglise haute");
    assert_string_equal(address_words("AVENUE SAINT-EXUPÉRY", out, sizeof out),
                        "avenue saint exupery");
    /* Cut at a word's end, never inside one. */
    assert_string_equal(address_words("boulevard gambetta", out, 12), "boulevard");
}

static void test_import_and_labels(void **state)
{
    fixture *f = *state;
    load_base(f);
    int64_t count = 0;
    error err;
    assert_int_equal(address_count(f->db.core, f->tenant, &count, &err), 0);
    assert_int_equal(count, 8);
    assert_string_equal(search(f, "12 bis rue de la paix", 1),
                        "12 bis Rue de la Paix, 99100 Bourg-Exemple");
    /* A lieu-dit (the BAN's 99999) has no number in its label. */
    assert_string_equal(search(f, "grands champs", 5), "Les Grands Champs, 99100 Bourg-Exemple");
}

static void test_search_ranking(void **state)
{
    fixture *f = *state;
    load_base(f);
    /* The number typed on the street typed, its bis after it, then the streets. */
    assert_string_equal(search(f, "12 r de la paix", 3),
                        "12 Rue de la Paix, 99100 Bourg-Exemple | 12 bis Rue de la Paix, 99100 "
                        "Bourg-Exemple | 12 Rue de la Paix Prolongée, 99100 Bourg-Exemple");
    /* The number after the words, in capitals. */
    assert_string_equal(search(f, "PAIX 12", 1), "12 Rue de la Paix, 99100 Bourg-Exemple");
    /* «12b» picks the bis first. */
    assert_string_equal(search(f, "12b rue de la paix", 1),
                        "12 bis Rue de la Paix, 99100 Bourg-Exemple");
    /* Without a number: streets, the one whose name the words fill best first. */
    assert_string_equal(search(f, "rue de la paix", 2),
                        "Rue de la Paix, 99100 Bourg-Exemple | Rue de la Paix Prolongée, 99100 "
                        "Bourg-Exemple");
    /* A street is placed at its middle address by number: 12, 12 bis, 14 → 12 bis. */
    store_address *hits = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        address_search(f->db.core, f->tenant, "rue de la paix", 1, &f->a, &hits, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].number, 0);
    assert_true(hits[0].lat == 45.7001 && hits[0].lon == 4.9001);
    /* Accents and case folded, a prefix for the last word. */
    assert_string_equal(search(f, "7 rue de l'eglis", 1), "7 Rue de l'Église, 99100 Bourg-Exemple");
    /* An abbreviation that is not a prefix. */
    assert_string_equal(search(f, "5 bd gambetta", 1), "5 Boulevard Gambetta, 99100 Bourg-Exemple");
    /* A number the street does not have: the street itself. */
    assert_string_equal(search(f, "99 place de la paix", 1),
                        "Place de la Paix, 99100 Bourg-Exemple");
    /* The commune's name and the postcode are words too. */
    assert_string_equal(search(f, "gambetta bourg 99100", 1),
                        "Boulevard Gambetta, 99100 Bourg-Exemple");
    /* Every word must match; a number alone finds nothing. */
    assert_string_equal(search(f, "rue de la paix lyon", 5), "");
    assert_string_equal(search(f, "12", 5), "");
    assert_string_equal(search(f, "", 5), "");
}

static void test_search_bounds(void **state)
{
    fixture *f = *state;
    store_address *hits = NULL;
    size_t n = 0;
    error err;
    char longq[ADDRESS_QUERY_MAX + 2];
    memset(longq, 'a', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    assert_int_equal(address_search(f->db.core, f->tenant, longq, 5, &f->a, &hits, &n, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "q");
    assert_int_equal(address_search(f->db.core, f->tenant, "paix", 0, &f->a, &hits, &n, &err), -1);
    assert_string_equal(err.arg, "limit");
    assert_int_equal(address_search(f->db.core, f->tenant, "paix", ADDRESS_LIMIT_MAX + 1, &f->a,
                                    &hits, &n, &err),
                     -1);
    assert_int_equal(address_search(f->db.core, f->tenant, "\xff", 5, &f->a, &hits, &n, &err), -1);
    assert_string_equal(err.arg, "q");
    /* A tenant without a list: no hit, no error. */
    assert_int_equal(address_search(f->db.core, f->tenant, "paix", 5, &f->a, &hits, &n, &err), 0);
    assert_int_equal(n, 0);
}

/* What a form sent without a script resolves to: the one numbered address, the street alone,
 * the citizen's choice by its label; nothing to take among several or none. */
static void test_resolve(void **state)
{
    fixture *f = *state;
    load_base(f);
    store_address *hits = NULL;
    const store_address *take = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(address_resolve(f->db.core, f->tenant, "5 bd gambetta", NULL, 5, &f->a, &hits,
                                     &n, &take, &err),
                     0);
    assert_non_null(take);
    assert_string_equal(take->label, "5 Boulevard Gambetta, 99100 Bourg-Exemple");
    assert_true(take->lat == 45.68 && take->lon == 4.94);
    /* Several streets: the citizen chooses, and the one chosen is taken. */
    assert_int_equal(address_resolve(f->db.core, f->tenant, "rue de la paix", "", 5, &f->a, &hits,
                                     &n, &take, &err),
                     0);
    assert_true(n >= 2);
    assert_null(take);
    assert_int_equal(address_resolve(f->db.core, f->tenant, "rue de la paix",
                                     "Rue de la Paix Prolongée, 99100 Bourg-Exemple", 5, &f->a,
                                     &hits, &n, &take, &err),
                     0);
    assert_non_null(take);
    assert_string_equal(take->label, "Rue de la Paix Prolongée, 99100 Bourg-Exemple");
    /* Several numbered addresses (12, 12 bis, 12 of the other street): none taken. */
    assert_int_equal(address_resolve(f->db.core, f->tenant, "12 rue de la paix", NULL, 5, &f->a,
                                     &hits, &n, &take, &err),
                     0);
    assert_null(take);
    /* Nothing found, or a query the search refuses: nothing, and no error. */
    assert_int_equal(address_resolve(f->db.core, f->tenant, "stade municipal", NULL, 5, &f->a,
                                     &hits, &n, &take, &err),
                     0);
    assert_int_equal(n, 0);
    assert_null(take);
    assert_int_equal(
        address_resolve(f->db.core, f->tenant, "\xff", NULL, 5, &f->a, &hits, &n, &take, &err), 0);
    assert_int_equal(n, 0);
    assert_null(take);
}

static void test_nearest(void **state)
{
    fixture *f = *state;
    load_base(f);
    store_address ad;
    double d = 0;
    int found = 0;
    error err;
    /* About 11 m north of «14 Rue de la Paix». */
    assert_int_equal(
        address_nearest(f->db.core, f->tenant, 45.7003, 4.9002, 150, &f->a, &ad, &d, &found, &err),
        0);
    assert_int_equal(found, 1);
    assert_string_equal(ad.label, "14 Rue de la Paix, 99100 Bourg-Exemple");
    assert_true(d > 10 && d < 12);
    assert_string_equal(ad.street, "Rue de la Paix");
    assert_string_equal(ad.insee, "99001");
    /* Nothing within 150 m of a field 2 km away. */
    assert_int_equal(
        address_nearest(f->db.core, f->tenant, 45.72, 4.88, 150, &f->a, &ad, &d, &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(
        address_nearest(f->db.core, f->tenant, 91, 4.9, 150, &f->a, &ad, &d, &found, &err), -1);
    assert_string_equal(err.arg, "lat");
    assert_int_equal(address_nearest(f->db.core, f->tenant, 45.7, 4.9, ADDRESS_NEAREST_MAX_M + 1,
                                     &f->a, &ad, &d, &found, &err),
                     -1);
    assert_string_equal(err.arg, "max");
}

static void test_bad_lines(void **state)
{
    fixture *f = *state;
    load_base(f);
    static const char bad_file[] = HEADER LINE("b1", "1", "", "Rue Neuve", "4.9", "45.7")
        LINE("b2", "2", "", "Rue Neuve", "4.9", "95.7")     /* line 3: lat out of range */
        LINE("b3", "douze", "", "Rue Neuve", "4.9", "45.7") /* line 4: numero */
        "b4;x;4;;Rue Neuve;99100\n"                         /* line 5: too few fields */
        LINE("b5", "5", "", "", "4.9", "45.7")              /* line 6: nom_voie empty */
        LINE("b6", "6", "", "Rue Neuve", "4.9", "45.7");
    address_ban_report r;
    bad_seen bad = {0};
    error err;
    assert_int_equal(import_text(f, bad_file, ADDRESS_BAN_ALL_OR_NOTHING, &r, &bad, &err), 0);
    assert_int_equal(r.imported, 0);
    assert_int_equal(r.lines, 6);
    assert_int_equal(r.bad_lines, 4);
    assert_int_equal(bad.n, 4);
    assert_int_equal(bad.lines[0], 3);
    assert_non_null(strstr(bad.why[0], "lat"));
    assert_int_equal(bad.lines[1], 4);
    assert_non_null(strstr(bad.why[1], "numero"));
    assert_int_equal(bad.lines[2], 5);
    assert_non_null(strstr(bad.why[2], "fields"));
    assert_int_equal(bad.lines[3], 6);
    assert_non_null(strstr(bad.why[3], "nom_voie"));
    /* Nothing imported: the list in place is the former one, whole. */
    int64_t count = 0;
    assert_int_equal(address_count(f->db.core, f->tenant, &count, &err), 0);
    assert_int_equal(count, 8);
    assert_string_equal(search(f, "rue neuve", 5), "");
    assert_string_equal(search(f, "12 paix", 1), "12 Rue de la Paix, 99100 Bourg-Exemple");

    /* --skip-invalid: the good lines replace the list. */
    bad.n = 0;
    assert_int_equal(import_text(f, bad_file, ADDRESS_BAN_SKIP_BAD, &r, &bad, &err), 0);
    assert_int_equal(r.imported, 1);
    assert_int_equal(r.result.addresses, 2);
    assert_int_equal(r.result.replaced, 8);
    assert_int_equal(bad.n, 4);
    assert_string_equal(search(f, "6 rue neuve", 1), "6 Rue Neuve, 99100 Bourg-Exemple");
    assert_string_equal(search(f, "paix", 5), "");
}

static void test_header_and_columns(void **state)
{
    fixture *f = *state;
    address_ban_report r;
    error err;
    /* Columns in another order, a byte order mark, CRLF line ends. */
    static const char reordered[] =
        "\xEF\xBB\xBFlat;lon;nom_commune;code_insee;code_postal;nom_voie;rep;numero;id\r\n"
        "45.70;4.90;Bourg-Exemple;99001;99100;Rue Haute;ter;3;c1\r\n";
    assert_int_equal(import_text(f, reordered, ADDRESS_BAN_ALL_OR_NOTHING, &r, NULL, &err), 0);
    assert_int_equal(r.imported, 1);
    assert_string_equal(search(f, "3 ter rue haute", 1), "3 ter Rue Haute, 99100 Bourg-Exemple");
    /* A required column missing: the header is refused, naming it. */
    static const char no_lat[] = "id;numero;nom_voie;code_postal;code_insee;nom_commune;lon\n"
                                 "c1;3;Rue Haute;99100;99001;Bourg;4.9\n";
    assert_int_equal(import_text(f, no_lat, ADDRESS_BAN_ALL_OR_NOTHING, &r, NULL, &err), -1);
    assert_string_equal(err.arg, "header");
    assert_non_null(strstr(err.detail, "'lat'"));
    /* A file with a header and no address. */
    assert_int_equal(import_text(f, HEADER, ADDRESS_BAN_ALL_OR_NOTHING, &r, NULL, &err), -1);
    assert_string_equal(err.arg, "file");
    assert_int_equal(import_text(f, "", ADDRESS_BAN_ALL_OR_NOTHING, &r, NULL, &err), -1);
    assert_string_equal(err.arg, "header");
}

static void test_long_line(void **state)
{
    fixture *f = *state;
    size_t n = strlen(HEADER) + ADDRESS_BAN_LINE_MAX + 200;
    char *text = test_malloc(n + 1);
    snprintf(text, n + 1, "%s", HEADER);
    size_t at = strlen(text);
    memset(text + at, 'x', ADDRESS_BAN_LINE_MAX + 100);
    snprintf(text + at + ADDRESS_BAN_LINE_MAX + 100, n + 1 - at - ADDRESS_BAN_LINE_MAX - 100, "\n");
    address_ban_report r;
    bad_seen bad = {0};
    error err;
    assert_int_equal(import_text(f, text, ADDRESS_BAN_ALL_OR_NOTHING, &r, &bad, &err), 0);
    assert_int_equal(r.imported, 0);
    assert_int_equal(bad.n, 1);
    assert_int_equal(bad.lines[0], 2);
    assert_non_null(strstr(bad.why[0], "bytes"));
    test_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test_setup_teardown(test_import_and_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_ranking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nearest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_and_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

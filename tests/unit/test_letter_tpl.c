/*
 * test_letter_tpl — the letter templates' text (core/letter_tpl.h): blanks found by
 * wording_blank_unknown (known ones pass, an unknown one is named, braces that open no
 * blank are text), a template's fields checked with the field and the placeholder named,
 * placeholders filled from a request, and the blocks of a letter and of a decision in their
 * order (visas, considérants, the dispositive word, numbered articles, the signatory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/letter_tpl.h"
#include "util/wording.h"

static void test_blank_unknown(void **state)
{
    (void)state;
    static const char *const names[] = {"reference", "nom"};
    size_t len = 99;
    assert_null(wording_blank_unknown("Demande {reference} de {nom}.", names, 2, &len));
    assert_int_equal(len, 0);
    assert_null(wording_blank_unknown(NULL, names, 2, &len));
    /* Braces that open no blank are text: a lone brace, an empty pair, a blank with a space
     * or an accent, a name longer than WORDING_BLANK_MAX. */
    assert_null(wording_blank_unknown("{ } {} { nom} {prénom} }{ x{", names, 2, &len));
    char longname[WORDING_BLANK_MAX + 4];
    longname[0] = '{';
    memset(longname + 1, 'a', WORDING_BLANK_MAX + 1);
    longname[WORDING_BLANK_MAX + 2] = '}';
    longname[WORDING_BLANK_MAX + 3] = '\0';
    assert_null(wording_blank_unknown(longname, names, 2, &len));
    const char *bad =
        wording_blank_unknown("{nom} et {montant_total} puis {autre}", names, 2, &len);
    assert_non_null(bad);
    assert_int_equal(len, strlen("montant_total"));
    assert_memory_equal(bad, "montant_total", len);
    /* A prefix of a known name is not that name. */
    bad = wording_blank_unknown("{no}", names, 2, &len);
    assert_non_null(bad);
    assert_int_equal(len, 2);
}

static store_letter_template sample(void)
{
    return (store_letter_template){.name = "Réponse",
                                   .kind = "letter",
                                   .lang = "fr",
                                   .subject = "Votre demande {reference}",
                                   .body = "Bonjour {prenom} {nom}.",
                                   .signatory = "{agent}",
                                   .quality = "Le Maire"};
}

static void test_check(void **state)
{
    (void)state;
    error err;
    error_clear(&err);
    store_letter_template t = sample();
    assert_int_equal(letter_tpl_check(&t, 1, &err), 0);

    t.body = "Bonjour {prenom}, votre {montant} est dû.";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "body");
    assert_non_null(strstr(err.detail, "placeholder {montant}"));

    t = sample();
    t.visas = "Vu le code ;\nVu {arrete_prefectoral} ;";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "visas");
    assert_non_null(strstr(err.detail, "{arrete_prefectoral}"));

    t = sample();
    t.name = "";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "name");
    /* A letter's text has no name of its own: only a template needs one. */
    assert_int_equal(letter_tpl_check(&t, 0, &err), 0);

    t = sample();
    t.kind = "lettre";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "kind");
    t = sample();
    t.lang = "de";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "lang");
    t = sample();
    t.subject = "";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "subject");
    t = sample();
    t.subject = "Objet\nsur deux lignes";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "subject");
    t = sample();
    t.quality = "Pour le Maire et par délégation,\nl’adjoint";
    assert_int_equal(letter_tpl_check(&t, 1, &err), 0);
    t = sample();
    t.subject = "Objet\x01";
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "subject");

    static char big[LETTER_TPL_BODY_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    t = sample();
    t.body = big;
    assert_int_equal(letter_tpl_check(&t, 1, &err), -1);
    assert_string_equal(err.arg, "body");
    big[LETTER_TPL_BODY_MAX] = '\0';
    assert_int_equal(letter_tpl_check(&t, 1, &err), 0);
}

static void test_fill(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024 * 1024);
    letter_tpl_values v = {0};
    v.v[LETTER_TPL_REFERENCE] = "2026-000042";
    v.v[LETTER_TPL_PRENOM] = "Hélène";
    v.v[LETTER_TPL_NOM] = "Œuvray";
    v.v[LETTER_TPL_AGENT] = "Martin Durand";
    store_letter_template t = sample(), out;
    t.body = "Bonjour {prenom} {nom} ({adresse}) : {reference}, {reference}. {x} reste.";
    assert_int_equal(letter_tpl_fill(&a, &t, &v, &out), 0);
    assert_string_equal(out.subject, "Votre demande 2026-000042");
    assert_string_equal(out.body,
                        "Bonjour Hélène Œuvray () : 2026-000042, 2026-000042. {x} reste.");
    assert_string_equal(out.signatory, "Martin Durand");
    assert_string_equal(out.quality, "Le Maire");
    assert_null(out.visas);
    assert_string_equal(out.name, "Réponse");
    arena_free(&a);
}

/* The strings a letter's blocks are written with (letters.doc). */
static json_t *strings(void)
{
    return json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:s}}}", "letters", "doc", "object",
                     "Objet : {subject}", "reference", "Référence : {reference}", "decides",
                     "ARRÊTE :", "article", "Article {n} : {text}", "verify",
                     "Vérifiable sur {url} ({code}).");
}

static void test_decision_blocks(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024 * 1024);
    json_t *s = strings();
    store_letter_template t = {
        .kind = "decision",
        .lang = "fr",
        .subject = "Arrêté de voirie",
        .visas = "Vu le code A ;\r\n\n  Vu le code B ;  \n",
        .considerants = "Considérant que C ;",
        .decides = "",
        .body = "Premier article.\n\n \n\nDeuxième article,\nsur deux lignes.\n\nTroisième.",
        .quality = "Le Maire",
        .signatory = "Jeanne Dupont",
    };
    letter_block b[LETTER_TPL_BLOCKS_MAX];
    size_t n = letter_tpl_blocks(&a, s, &t, "2026-000042", "Camille", "https://demo.example",
                                 "K7QM-4TXH", b);
    static const struct {
        letter_kind kind;
        const char *text;
    } want[] = {
        {LETTER_TITLE, "Arrêté de voirie"},
        {LETTER_PARAGRAPH, "Référence : 2026-000042"},
        {LETTER_PARAGRAPH, "Vu le code A ;"},
        {LETTER_PARAGRAPH, "Vu le code B ;"},
        {LETTER_PARAGRAPH, "Considérant que C ;"},
        {LETTER_HEADING, "ARRÊTE :"},
        {LETTER_PARAGRAPH, "Article 1 : Premier article."},
        {LETTER_PARAGRAPH, "Article 2 : Deuxième article,\nsur deux lignes."},
        {LETTER_PARAGRAPH, "Article 3 : Troisième."},
        {LETTER_RIGHT, "Le Maire\nJeanne Dupont"},
        {LETTER_VERIFY, "Vérifiable sur https://demo.example/verifier/K7QM-4TXH (K7QM-4TXH)."},
    };
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b[i].kind, want[i].kind);
        assert_string_equal(b[i].text, want[i].text);
    }
    /* The template's own dispositive word when it has one. */
    t.decides = "DÉCIDE :";
    n = letter_tpl_blocks(&a, s, &t, "2026-000042", NULL, NULL, NULL, b);
    assert_string_equal(b[5].text, "DÉCIDE :");
    assert_int_equal(b[n - 1].kind, LETTER_RIGHT);
    json_decref(s);
    arena_free(&a);
}

static void test_letter_blocks(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 1024 * 1024);
    json_t *s = strings();
    store_letter_template t = {.kind = "letter",
                               .lang = "fr",
                               .subject = "Votre demande",
                               .body = "Madame,\n\nTexte.",
                               .signatory = "Martin Durand"};
    letter_block b[LETTER_TPL_BLOCKS_MAX];
    size_t n =
        letter_tpl_blocks(&a, s, &t, "2026-000042", "Camille Exemple\n12 rue Haute", NULL, NULL, b);
    assert_int_equal(n, 6);
    assert_int_equal(b[0].kind, LETTER_PARAGRAPH);
    assert_string_equal(b[0].text, "Camille Exemple\n12 rue Haute");
    assert_int_equal(b[1].kind, LETTER_TITLE);
    assert_string_equal(b[1].text, "Objet : Votre demande");
    assert_string_equal(b[2].text, "Référence : 2026-000042");
    assert_string_equal(b[3].text, "Madame,");
    assert_string_equal(b[4].text, "Texte.");
    assert_int_equal(b[5].kind, LETTER_RIGHT);
    assert_string_equal(b[5].text, "Martin Durand");
    json_decref(s);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_unknown), cmocka_unit_test(test_check),
        cmocka_unit_test(test_fill),          cmocka_unit_test(test_decision_blocks),
        cmocka_unit_test(test_letter_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

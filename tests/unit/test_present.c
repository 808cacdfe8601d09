/*
 * test_present — unit tests of the presentation handle: built from the embedded files
 * (every template compiled under its name, both languages' strings, the view settings
 * copied), built from given files (refusals), rendering, the view helpers, two handles side
 * by side (no hidden global), an e-mail rendered through the handle alone, without the web
 * layer, and the procedures' icons. Runs from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/mail.h"
#include "cli/demo_data.h"
#include "present/icons.h"
#include "present/present.h"
#include "web/web.h"

#define FILE_OF(p, text)                                                                           \
    {                                                                                              \
        p, text, sizeof text - 1, "text/plain", "\"0\""                                            \
    }

/* A small set: one page, one mail text part, the strings of both languages. */
static const web_asset small_files[] = {
    FILE_OF("templates/hello.html", "<p>{{t.common.hello}} {{name}}</p>"),
    FILE_OF("templates/mail/note.txt", "{{t.common.hello}} {{name}}"),
    FILE_OF("templates/i18n/fr/common.json", "{\"common\": {\"hello\": \"Bonjour\"}}"),
    FILE_OF("templates/i18n/en/common.json", "{\"common\": {\"hello\": \"Hello\"}}"),
    FILE_OF("static/css/x.css", "ignored"),
};
#define N_SMALL (sizeof small_files / sizeof small_files[0])

static void test_open_embedded(void **state)
{
    (void)state;
    present_config cfg = {"https://tile.example.org/{z}/{x}/{y}.png", "© OpenStreetMap"};
    error e;
    error_clear(&e);
    present *p = present_open(&cfg, &e);
    if (!p)
        fail_msg("present_open: %s", e.detail);
    const tmpl_set *set = present_templates(p);
    assert_non_null(set);
    size_t html = 0;
    for (size_t i = 0; i < assets_count(); i++) {
        const char *path = assets_at(i)->path;
        if (strncmp(path, "templates/", 10) != 0)
            continue;
        char name[256];
        size_t n = strlen(path + 10);
        snprintf(name, sizeof name, "%s", path + 10);
        if (n > 5 && strcmp(name + n - 5, ".html") == 0) {
            name[n - 5] = '\0';
            html++;
            assert_true(tmpl_has(set, name));
            assert_false(tmpl_has(set, path + 10));
        } else if (n > 4 && strcmp(name + n - 4, ".txt") == 0) {
            assert_true(tmpl_has(set, name));
        } else {
            assert_false(tmpl_has(set, name));
        }
    }
    assert_true(html > 0);
    assert_string_equal(present_string(p, LANG_FR, "_meta.language_name"), "Français");
    assert_string_equal(present_string(p, LANG_EN, "_meta.language_name"), "English");
    assert_string_equal(present_string(p, LANG_EN, "_meta.nope"), "_meta.nope");
    assert_non_null(present_strings(p, LANG_FR));
    const present_config *got = present_settings(p);
    assert_non_null(got);
    assert_string_equal(got->map_tiles_url, cfg.map_tiles_url);
    assert_ptr_not_equal(got->map_tiles_url, cfg.map_tiles_url); /* copied */
    assert_string_equal(got->map_attribution, cfg.map_attribution);
    present_close(p);

    /* Without settings: no map. */
    p = present_open(NULL, &e);
    assert_non_null(p);
    assert_null(present_settings(p)->map_tiles_url);
    assert_null(present_settings(p)->map_attribution);
    present_close(p);
    present_close(NULL);
}

static void test_null_handle(void **state)
{
    (void)state;
    assert_null(present_templates(NULL));
    assert_null(present_strings(NULL, LANG_FR));
    assert_null(present_settings(NULL));
    assert_string_equal(present_string(NULL, LANG_FR, "common.hello"), "common.hello");
    buf out;
    buf_init(&out, 1024);
    error e;
    json_t *ctx = json_object();
    assert_int_equal(present_render(NULL, "hello", ctx, &out, &e), -1);
    assert_int_equal(e.code, ERR_INTERNAL);
    json_decref(ctx);
    buf_free(&out);
}

static void test_open_refusals(void **state)
{
    (void)state;
    error e;
    const web_asset differ[] = {
        FILE_OF("templates/i18n/fr/common.json", "{\"common\": {\"hello\": \"Bonjour\"}}"),
        FILE_OF("templates/i18n/en/common.json", "{\"common\": {\"bye\": \"Bye\"}}"),
    };
    error_clear(&e);
    assert_null(present_open_files(NULL, differ, 2, &e));
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_non_null(strstr(e.detail, "strings differ"));

    const web_asset broken[] = {
        FILE_OF("templates/broken.html", "{{#open}} never closed"),
    };
    error_clear(&e);
    assert_null(present_open_files(NULL, broken, 1, &e));
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_non_null(strstr(e.detail, "broken"));
}

static void test_render(void **state)
{
    (void)state;
    error e;
    error_clear(&e);
    present *p = present_open_files(NULL, small_files, N_SMALL, &e);
    if (!p)
        fail_msg("present_open_files: %s", e.detail);
    assert_true(tmpl_has(present_templates(p), "hello"));
    assert_true(tmpl_has(present_templates(p), "mail/note.txt"));
    assert_false(tmpl_has(present_templates(p), "css/x"));

    buf out;
    buf_init(&out, 4096);
    json_t *ctx = json_pack("{s:s, s:O}", "name", "<Camille>", "t", present_strings(p, LANG_EN));
    assert_int_equal(present_render(p, "hello", ctx, &out, &e), 0);
    assert_string_equal(buf_cstr(&out), "<p>Hello &lt;Camille&gt;</p>");
    buf_reset(&out);
    assert_int_equal(present_render(p, "nope", ctx, &out, &e), -1);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "nope"));
    assert_int_equal(out.len, 0);
    json_decref(ctx);
    buf_free(&out);
    present_close(p);
}

/* Two handles live side by side, each with its own settings and strings: nothing of one
 * leaks into the other (the settings were globals before). */
static void test_two_handles(void **state)
{
    (void)state;
    error e;
    present_config a = {"https://a.example/{z}/{x}/{y}.png", "A"};
    present_config b = {NULL, "B"};
    present *pa = present_open_files(&a, small_files, N_SMALL, &e);
    present *pb = present_open_files(&b, small_files, N_SMALL, &e);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_string_equal(present_settings(pa)->map_attribution, "A");
    assert_string_equal(present_settings(pb)->map_attribution, "B");
    assert_null(present_settings(pb)->map_tiles_url);
    present_close(pa);
    /* Closing one leaves the other whole. */
    assert_string_equal(present_string(pb, LANG_FR, "common.hello"), "Bonjour");
    assert_string_equal(present_settings(pb)->map_attribution, "B");
    present_close(pb);
}

static void test_set_str(void **state)
{
    (void)state;
    json_t *o = json_object();
    present_set_str(o, "a", "été");
    present_set_str(o, "b", NULL);
    present_set_str(o, "c", "bad \xff byte");
    present_set_str_opt(o, "d", NULL);
    present_set_str_opt(o, "e", "x");
    present_set_str_opt(o, "f", "\xc3");
    assert_string_equal(json_string_value(json_object_get(o, "a")), "été");
    assert_string_equal(json_string_value(json_object_get(o, "b")), "");
    assert_string_equal(json_string_value(json_object_get(o, "c")), "");
    assert_null(json_object_get(o, "d"));
    assert_string_equal(json_string_value(json_object_get(o, "e")), "x");
    assert_string_equal(json_string_value(json_object_get(o, "f")), "");
    json_decref(o);
}

static void test_month_names_and_paragraphs(void **state)
{
    (void)state;
    assert_string_equal(present_month_name(LANG_FR, 1), "janvier");
    assert_string_equal(present_month_name(LANG_FR, 8), "août");
    assert_string_equal(present_month_name(LANG_EN, 12), "December");
    assert_string_equal(present_month_name(LANG_EN, 0), "");
    assert_string_equal(present_month_name(LANG_FR, 13), "");

    json_t *p = present_paragraphs("  Bonjour,\r\n\n\t L'équipe passera. \nbad \xff\nFin");
    assert_int_equal(json_array_size(p), 3);
    assert_string_equal(json_string_value(json_array_get(p, 0)), "Bonjour,");
    assert_string_equal(json_string_value(json_array_get(p, 1)), "L'équipe passera.");
    assert_string_equal(json_string_value(json_array_get(p, 2)), "Fin");
    json_decref(p);
    p = present_paragraphs(NULL);
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
}

/* An e-mail renders with the handle alone: nothing of the web layer in this test. */
static void test_mail_renders_without_the_web_layer(void **state)
{
    (void)state;
    error e;
    error_clear(&e);
    present *p = present_open(NULL, &e);
    assert_non_null(p);
    json_t *params = json_pack("{s:s}", "link", "https://ville.test/compte/lien?jeton=abc");
    json_t *ctx = mail_context("account_login", params, present_strings(p, LANG_EN), "en",
                               "Ville de Démo", NULL);
    assert_non_null(ctx);
    char *text = NULL, *html = NULL;
    if (mail_render(present_templates(p), "account_login", ctx, &text, &html, &e) != 0)
        fail_msg("mail_render: %s", e.detail);
    assert_non_null(strstr(text, "https://ville.test/compte/lien?jeton=abc"));
    assert_non_null(html);
    const char *subject = json_string_value(json_object_get(ctx, "subject"));
    assert_string_equal(subject, present_string(p, LANG_EN, "mail.account_login.subject"));
    free(text);
    free(html);
    json_decref(ctx);
    json_decref(params);
    present_close(p);
}

/* The dispatcher cannot start without a presentation to render with. */
static void test_mailer_needs_a_presentation(void **state)
{
    (void)state;
    error e;
    error_clear(&e);
    mailer_config cfg = {0};
    assert_null(mailer_start(NULL, NULL, &cfg, &e));
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_string_equal(e.arg, "present");
}

/* Plural rules: French 0 and 1 singular, English 1 alone; the words from the embedded
 * strings, never «demande(s)». */
static void test_plural(void **state)
{
    (void)state;
    error e;
    error_clear(&e);
    present *p = present_open(NULL, &e);
    assert_non_null(p);
    assert_string_equal(present_plural(p, LANG_FR, 0, "inbox.requests"), "demande");
    assert_string_equal(present_plural(p, LANG_FR, 1, "inbox.requests"), "demande");
    assert_string_equal(present_plural(p, LANG_FR, 2, "inbox.requests"), "demandes");
    assert_string_equal(present_plural(p, LANG_EN, 0, "inbox.requests"), "requests");
    assert_string_equal(present_plural(p, LANG_EN, 1, "inbox.requests"), "request");
    assert_string_equal(present_plural(p, LANG_EN, 1000, "inbox.requests"), "requests");
    assert_string_equal(present_plural(p, LANG_FR, 1, "public.results"), "signalement publié");
    assert_string_equal(present_plural(p, LANG_FR, 3, "mine.requests"), "demandes");
    present_close(p);
}

/* Dates the French way («5 décembre 2026 à 22 h 19», «1er») and the English way, in the
 * collectivité's zone. */
static void test_dates(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    int64_t t = 1796505540; /* 2026-12-05T21:19:00Z */
    assert_string_equal(present_date(&a, LANG_FR, t, "Europe/Paris", 1),
                        "5 décembre 2026 à 22 h 19");
    assert_string_equal(present_date(&a, LANG_FR, t, "Europe/Paris", 0), "5 décembre 2026");
    assert_string_equal(present_date(&a, LANG_EN, t, "Europe/Paris", 1),
                        "5 December 2026 at 22:19");
    assert_string_equal(present_clock(&a, LANG_FR, t, "Europe/Paris"), "22 h 19");
    assert_string_equal(present_clock(&a, LANG_EN, t, NULL), "21:19");
    int64_t first = 1796083200; /* 2026-12-01T00:00:00Z */
    assert_string_equal(present_date(&a, LANG_FR, first, NULL, 0), "1er décembre 2026");
    assert_string_equal(present_date(&a, LANG_EN, first, NULL, 0), "1 December 2026");
    assert_string_equal(present_date(&a, LANG_FR, first, "America/New_York", 1),
                        "30 novembre 2026 à 19 h 00");
    /* A day with no time (a date question's answer): the same words, in no zone. */
    assert_string_equal(present_day(&a, LANG_FR, "2026-12-05"), "5 décembre 2026");
    assert_string_equal(present_day(&a, LANG_EN, "2026-12-05"), "5 December 2026");
    assert_string_equal(present_day(&a, LANG_FR, "2028-02-01"), "1er février 2028");
    assert_string_equal(present_day(&a, LANG_FR, "1987-12-31"), "31 décembre 1987");
    assert_null(present_day(&a, LANG_FR, "2026-02-29"));
    assert_null(present_day(&a, LANG_FR, "2026-12-05T10:00:00Z"));
    assert_null(present_day(&a, LANG_FR, "05/12/2026"));
    assert_null(present_day(&a, LANG_FR, NULL));
    arena_free(&a);
}

/* The icons: the sprite's names in the order of vendor/icons.txt, each with its label in both
 * languages; a procedure shows its own when the sprite has it, else its kind's default; the
 * demo's are all in the sprite. */
static void test_icons(void **state)
{
    (void)state;
    assert_true(icons_count() >= 20);
    assert_string_equal(icons_at(0), "triangle-alert");
    assert_null(icons_at(icons_count()));
    error e;
    present *p = present_open(NULL, &e);
    assert_non_null(p);
    for (size_t i = 0; i < icons_count(); i++) {
        char key[96];
        snprintf(key, sizeof key, "icons.%s", icons_at(i));
        if (strcmp(present_string(p, LANG_FR, key), key) == 0)
            fail_msg("%s has no label (templates/i18n/fr/icons.json)", icons_at(i));
        assert_true(icons_has(icons_at(i)));
    }
    present_close(p);
    assert_true(icons_has(icons_kind_default(PROCEDURE_INCIDENT)));
    assert_true(icons_has(icons_kind_default(PROCEDURE_DEMARCHE)));
    assert_false(icons_has("pas-une-icone"));
    assert_false(icons_has(""));
    assert_false(icons_has(NULL));
    store_procedure pr = {.kind = PROCEDURE_DEMARCHE, .icon = "bike"};
    assert_string_equal(icons_of(&pr), "bike");
    pr.icon = "retiree-du-jeu";
    assert_string_equal(icons_of(&pr), "file-text");
    pr.icon = NULL;
    pr.kind = PROCEDURE_INCIDENT;
    assert_string_equal(icons_of(&pr), "triangle-alert");
    for (size_t i = 0; i < demo_n_procedures; i++) {
        const char *icon = demo_procedure_icon(demo_procedures[i].code);
        if (!icon || !icons_has(icon))
            fail_msg("demo procedure %s: icon %s", demo_procedures[i].code, icon ? icon : "none");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_embedded),
        cmocka_unit_test(test_null_handle),
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_two_handles),
        cmocka_unit_test(test_set_str),
        cmocka_unit_test(test_month_names_and_paragraphs),
        cmocka_unit_test(test_mail_renders_without_the_web_layer),
        cmocka_unit_test(test_mailer_needs_a_presentation),
        cmocka_unit_test(test_plural),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_icons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_branding — unit tests of a collectivité's branding and settings: the WCAG contrast
 * computation and the colours it refuses, opening hours typed every way an administrator
 * does (and the mistakes each problem names), the canonical week, every field's check at
 * once, the settings written with their audit entry and read back through the catalogue,
 * logos (a text file, a scripted SVG and an SVG pointing outside refused; an SVG drawn as a
 * PNG), the words present_tenant gives templates (days grouped, French and English), and
 * the e-mails' signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/mail.h"
#include "core/actor.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/branding.h"
#include "core/sla.h"
#include "core/catalogue.h"
#include "core/document.h"
#include "docs/letter.h"
#include "core/hours.h"
#include "present/present.h"
#include "present/tenant.h"
#include "store/store.h"
#include "test_db.h"

/* ---- contrast ---- */

static void test_contrast(void **state)
{
    (void)state;
    assert_true(fabs(branding_contrast("#000000", "#ffffff") - 21.0) < 1e-9);
    assert_true(fabs(branding_contrast("#FFFFFF", "#ffffff") - 1.0) < 1e-9);
    /* Symmetric, and the reference values of WCAG's own examples. */
    assert_true(fabs(branding_contrast("#767676", "#ffffff") - 4.54) < 0.01);
    assert_true(fabs(branding_contrast("#ffffff", "#767676") - 4.54) < 0.01);
    assert_true(branding_contrast("#777777", "#ffffff") < 4.5);
    assert_true(branding_contrast(BRANDING_DEFAULT_PRIMARY, "#ffffff") > 8.0);
    /* The primary colour is judged on the lighter background it meets: the pages' grey. */
    assert_true(branding_primary_contrast("#767676") < BRANDING_MIN_CONTRAST);
    assert_true(branding_secondary_contrast("#767676") >= BRANDING_MIN_CONTRAST);
    assert_true(branding_primary_contrast(BRANDING_DEFAULT_PRIMARY) >= BRANDING_MIN_CONTRAST);
    assert_true(branding_secondary_contrast(BRANDING_DEFAULT_SECONDARY) >= BRANDING_MIN_CONTRAST);
    /* Not colours. */
    assert_true(branding_contrast("red", "#ffffff") < 0);
    assert_true(branding_contrast("#fff", "#ffffff") < 0);
    assert_true(branding_contrast("#12345g", "#ffffff") < 0);
    assert_true(branding_contrast(NULL, "#ffffff") < 0);
    char dark[8];
    branding_colour_darker("#Ff8000", dark);
    assert_string_equal(dark, "#bf6000");
    branding_colour_darker("nonsense", dark);
    assert_string_equal(dark, "#173a69");
}

/* ---- opening hours ---- */

static hours_problem day(const char *text, hours_day *d)
{
    memset(d, 0, sizeof *d);
    return hours_parse_day(text, d);
}

static void test_hours_typed(void **state)
{
    (void)state;
    hours_day d;
    char out[HOURS_DAY_INPUT_MAX + 1];
    static const char *const same[] = {
        "8:30-12:00, 13:30-17:30", "8h30-12h 13h30-17h30",       "08:30 – 12:00 / 13:30 – 17:30",
        "8.30-12 et 13.30-17.30",  "8h30 à 12h ; 13h30 à 17h30", "8:30 to 12 and 13:30 to 17:30",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(day(same[i], &d), HOURS_OK);
        hours_day_format(&d, out, sizeof out);
        assert_string_equal(out, "08:30-12:00, 13:30-17:30");
    }
    static const char *const closed[] = {"",      "   ",   "fermé",  "Fermé",
                                         "FERMÉ", "ferme", "closed", NULL};
    for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) {
        assert_int_equal(day(closed[i], &d), HOURS_OK);
        assert_int_equal(d.n, 0);
    }
    assert_int_equal(day("0-24", &d), HOURS_OK);
    assert_int_equal(d.r[0].end, 1440);
    assert_int_equal(day("9-12, 14-16, 17-19", &d), HOURS_OK);
    assert_int_equal(d.n, 3);

    assert_int_equal(day("8h30 à midi", &d), HOURS_SYNTAX);
    assert_int_equal(day("le matin", &d), HOURS_SYNTAX);
    assert_int_equal(day("8:30", &d), HOURS_SYNTAX);
    assert_int_equal(day("830-1200", &d), HOURS_SYNTAX);
    assert_int_equal(day("8:3-12", &d), HOURS_SYNTAX);
    assert_int_equal(day("fermé le lundi", &d), HOURS_SYNTAX);
    assert_int_equal(day("25:00-26:00", &d), HOURS_TIME);
    assert_int_equal(day("8:75-12", &d), HOURS_TIME);
    assert_int_equal(day("24:30-24:45", &d), HOURS_TIME);
    assert_int_equal(day("17:00-8:00", &d), HOURS_BACKWARD);
    assert_int_equal(day("12-12", &d), HOURS_BACKWARD);
    assert_int_equal(day("13-17, 8-12", &d), HOURS_OVERLAP);
    assert_int_equal(day("8-12, 11-14", &d), HOURS_OVERLAP);
    assert_int_equal(day("8-9, 10-11, 12-13, 14-15", &d), HOURS_TOO_MANY);
    char longer[HOURS_DAY_INPUT_MAX + 20];
    memset(longer, ' ', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer + 1, "8-9", 3);
    assert_int_equal(day(longer, &d), HOURS_SYNTAX);
}

static void test_hours_week(void **state)
{
    (void)state;
    hours_week w, back;
    memset(&w, 0, sizeof w);
    char out[HOURS_CANONICAL_MAX + 1];
    hours_format(&w, out, sizeof out);
    assert_string_equal(out, "");
    assert_int_equal(hours_parse("", &back), 0);
    assert_int_equal(hours_parse(NULL, &back), 0);
    assert_int_equal(day("8:30-12, 13:30-17:30", &w.day[0]), HOURS_OK);
    w.day[1] = w.day[0];
    assert_int_equal(day("9-12", &w.day[5]), HOURS_OK);
    hours_format(&w, out, sizeof out);
    assert_string_equal(out, "08:30-12:00,13:30-17:30|08:30-12:00,13:30-17:30||||09:00-12:00|");
    assert_int_equal(hours_parse(out, &back), 0);
    for (int i = 0; i < HOURS_DAYS; i++)
        assert_true(hours_day_equal(&w.day[i], &back.day[i]));
    /* The longest week fits. */
    for (int i = 0; i < HOURS_DAYS; i++)
        assert_int_equal(day("00:00-08:00, 09:00-12:00, 13:00-24:00", &w.day[i]), HOURS_OK);
    hours_format(&w, out, sizeof out);
    assert_int_equal(hours_parse(out, &back), 0);
    assert_true(hours_day_equal(&w.day[6], &back.day[6]));
    /* What hours_format did not write is refused. */
    assert_int_equal(hours_parse("08:00-12:00", &back), -1);
    assert_int_equal(hours_parse("a|b|c|d|e|f|g", &back), -1);
    assert_int_equal(hours_parse("||||||||", &back), -1);
}

/* ---- every field at once ---- */

static const branding_problem *find(const branding_problem *p, int n, const char *field)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].field, field) == 0)
            return &p[i];
    return NULL;
}

static void test_check(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    branding_problem probs[BRANDING_PROBLEMS_MAX];
    store_branding b = {.tenant_id = 7};
    const char *name = NULL, *contact = NULL;
    branding_input ok = {.name = "  Ville de Démo ",
                         .colour_primary = "1F4E8C",
                         .colour_secondary = "",
                         .hours_day = {"8:30-12", "", "", "", "", "9h-12h", "fermé"},
                         .phone = "+33 (0)4 72 10 30 30",
                         .email = "mairie@ville.fr",
                         .website = "https://www.ville.fr/mairie?x=1",
                         .map_lat = "45,764",
                         .map_lon = "4.8357",
                         .map_zoom = "14"};
    assert_int_equal(branding_check(&ok, &a, &b, &name, &contact, probs), 0);
    assert_int_equal(b.tenant_id, 7);
    assert_string_equal(name, "Ville de Démo");
    assert_null(contact);
    assert_string_equal(b.colour_primary, "#1f4e8c");
    assert_null(b.colour_secondary);
    assert_string_equal(b.hours, "08:30-12:00|||||09:00-12:00|");
    assert_true(b.has_map);
    assert_true(fabs(b.map_lat - 45.764) < 1e-9);
    assert_int_equal(b.map_zoom, 14);
    assert_int_equal(b.holidays, 0); /* none chosen: the national calendar */

    /* The calendar of public holidays: one of two, nothing else. */
    branding_input cal = {.name = "X", .holidays = BRANDING_HOLIDAYS_ALSACE_MOSELLE};
    assert_int_equal(branding_check(&cal, &a, &b, &name, &contact, probs), 0);
    assert_int_equal(b.holidays, 1);
    cal.holidays = BRANDING_HOLIDAYS_NATIONAL;
    assert_int_equal(branding_check(&cal, &a, &b, &name, &contact, probs), 0);
    assert_int_equal(b.holidays, 0);
    cal.holidays = "alsace";
    assert_int_equal(branding_check(&cal, &a, &b, &name, &contact, probs), 1);
    assert_string_equal(probs[0].field, "holidays");
    assert_int_equal(probs[0].kind, BRANDING_BAD_HOLIDAYS);

    branding_input bad = {.name = "",
                          .contact = "ligne\x01",
                          .colour_primary = "#ffcc00",
                          .colour_secondary = "bleu",
                          .hours_day = {"17-8"},
                          .phone = "appelez",
                          .email = "pas@",
                          .website = "javascript:alert(1)",
                          .map_lat = "45.7",
                          .map_zoom = "30"};
    int n = branding_check(&bad, &a, &b, &name, &contact, probs);
    assert_int_equal(n, 9);
    assert_int_equal(find(probs, n, "name")->kind, BRANDING_REQUIRED);
    assert_int_equal(find(probs, n, "contact")->kind, BRANDING_BAD_TEXT);
    const branding_problem *c = find(probs, n, "colour_primary");
    assert_int_equal(c->kind, BRANDING_LOW_CONTRAST);
    assert_true(c->ratio > 1.3 && c->ratio < 1.4);
    assert_int_equal(find(probs, n, "colour_secondary")->kind, BRANDING_BAD_COLOUR);
    const branding_problem *h = find(probs, n, "hours_0");
    assert_int_equal(h->kind, BRANDING_BAD_HOURS);
    assert_int_equal(h->hours, HOURS_BACKWARD);
    assert_int_equal(find(probs, n, "phone")->kind, BRANDING_BAD_PHONE);
    assert_int_equal(find(probs, n, "email")->kind, BRANDING_BAD_EMAIL);
    assert_int_equal(find(probs, n, "website")->kind, BRANDING_BAD_WEBSITE);
    assert_int_equal(find(probs, n, "map_zoom")->kind, BRANDING_BAD_MAP);
    assert_null(find(probs, n, "map_lat"));

    branding_input partial = {.name = "X", .map_lat = "45.7", .map_lon = "4.8"};
    n = branding_check(&partial, &a, &b, &name, &contact, probs);
    assert_int_equal(n, 1);
    assert_string_equal(probs[0].field, "map_zoom");
    assert_int_equal(probs[0].kind, BRANDING_MAP_PARTIAL);

    char longer[BRANDING_ADDRESS_MAX + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    branding_input too_long = {.name = "X", .address = longer, .website = "https:// x"};
    n = branding_check(&too_long, &a, &b, &name, &contact, probs);
    assert_int_equal(n, 2);
    assert_int_equal(find(probs, n, "address")->kind, BRANDING_TOO_LONG);
    assert_int_equal(branding_field_max("address"), BRANDING_ADDRESS_MAX);
    assert_int_equal(find(probs, n, "website")->kind, BRANDING_BAD_WEBSITE);
    arena_free(&a);
}

/* ---- written, audited, read back ---- */

typedef struct fixture {
    test_db db;
    int64_t tenant;
    store_agent admin;
    core_actor who;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "branding", NULL), 0);
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    store_tenant t = {.slug = "ville-test", .name = "Ville Test", .timezone = "Europe/Paris"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &t, &f->tenant, &err), 0);
    int64_t admin_id = 0;
    assert_int_equal(agent_create_as(f->db.core, &actor_cli, f->tenant, "admin@ville-test.fr",
                                     "Adèle Admin", AGENT_ROLE_ADMIN, NULL, 0,
                                     "un mot de passe long", &admin_id, NULL, NULL, &err),
                     0);
    f->admin = (store_agent){.id = admin_id, .tenant_id = f->tenant, .role = "admin", .active = 1};
    f->who = actor_of_agent(&f->admin, "web 192.0.2.1");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_db_close(&f->db);
    free(f);
    return 0;
}

static const cat_tenant *tenant_of(fixture *f, const catalogue **cat)
{
    *cat = catalogue_acquire(f->db.core);
    return catalogue_tenant_by_id(*cat, f->tenant);
}

static void test_settings_written(void **state)
{
    fixture *f = *state;
    error err;
    error_clear(&err);
    arena a;
    arena_init(&a, 0);
    const catalogue *cat;
    const cat_tenant *t = tenant_of(f, &cat);
    assert_null(t->branding.colour_primary);
    assert_false(t->branding.has_map);
    store_tenant rec = t->rec;
    catalogue_release(f->db.core, cat);

    branding_input in = {.name = "Ville Renommée",
                         .contact = "Accueil au rez-de-chaussée",
                         .colour_primary = "#7a1f1f",
                         .hours_day = {"9-12"},
                         .hours_notes = "Fermé le 25 décembre.",
                         .address = "1 place\n69000 Ville",
                         .map_lat = "45",
                         .map_lon = "4",
                         .map_zoom = "12",
                         .holidays = BRANDING_HOLIDAYS_ALSACE_MOSELLE};
    /* An admin's change is audited. */
    int rc = branding_settings_set_as(f->db.core, &f->who, &rec, &in, &a, NULL, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "settings: %s %s\n", err.arg, err.detail);
    assert_int_equal(rc, 0);
    t = tenant_of(f, &cat);
    assert_string_equal(t->rec.name, "Ville Renommée");
    assert_string_equal(t->rec.contact, "Accueil au rez-de-chaussée");
    assert_string_equal(t->rec.slug, "ville-test");
    assert_string_equal(t->branding.colour_primary, "#7a1f1f");
    assert_string_equal(t->branding.hours, "09:00-12:00||||||");
    assert_string_equal(t->branding.address, "1 place\n69000 Ville");
    assert_true(t->branding.has_map);
    assert_int_equal(t->branding.map_zoom, 12);
    assert_int_equal(t->branding.holidays, 1);
    assert_int_equal(sla_holidays(t), WORKDAYS_ALSACE_MOSELLE);
    catalogue_release(f->db.core, cat);
    store_audit *entries = NULL;
    size_t n = 0;
    assert_int_equal(admin_audit_list(f->db.core, f->tenant, 0, 10, &a, &entries, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(entries[0].action, "admin");
    assert_string_equal(entries[0].object_kind, "tenant");

    /* A wrong field: refused before anything is queued. */
    in.colour_primary = "#eeeeee";
    assert_int_equal(branding_settings_set_as(f->db.core, &f->who, &rec, &in, &a, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "colour_primary");
    /* Not an admin: refused. */
    in.colour_primary = "";
    store_agent agent = f->admin;
    agent.role = "agent";
    core_actor who = actor_of_agent(&agent, "web 192.0.2.1");
    assert_int_equal(branding_settings_set_as(f->db.core, &who, &rec, &in, &a, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    arena_free(&a);
}

/* The height of the image of width `width` the collectivité's letter draws, read in the PDF;
 * -1 when it has none that wide. With the collectivité as snapshot `old` says it (NULL: the
 * current catalogue's). */
static int letter_image_height_in(fixture *f, const cat_tenant *old, int width)
{
    const catalogue *cat = NULL;
    const cat_tenant *t = old ? old : tenant_of(f, &cat);
    json_t *strings = json_pack("{s:{s:s, s:s}}", "documents", "lang", "fr-FR", "page", "page");
    letter_block block = {LETTER_PARAGRAPH, "Lettre."};
    buf out;
    buf_init(&out, LETTER_PDF_MAX);
    error err;
    error_clear(&err);
    int rc = document_render(f->db.core, t, NULL, strings, "Lettre", NULL, &block, 1, &out, &err);
    if (cat)
        catalogue_release(f->db.core, cat);
    json_decref(strings);
    if (rc != 0)
        fail_msg("document_render: %s", err.detail);
    char want[32];
    snprintf(want, sizeof want, "/Width %d", width);
    int height = -1;
    const char *at = memmem(out.data, out.len, want, strlen(want));
    if (at) {
        /* The image's dictionary: /Height is near its /Width. */
        const char *h = memmem(at > out.data + 200 ? at - 200 : out.data, 400, "/Height ", 8);
        assert_non_null(h);
        height = (int)strtol(h + 8, NULL, 10);
    }
    buf_free(&out);
    return height;
}

static int letter_image_height(fixture *f, int width)
{
    return letter_image_height_in(f, NULL, width);
}

static void test_logo(void **state)
{
    fixture *f = *state;
    error err;
    error_clear(&err);
    arena a;
    arena_init(&a, 0);
    store_logo logo;
    branding_logo_problem problem;
    static const char text[] = "Ceci n'est pas une image, seulement du texte.\n";
    assert_int_equal(branding_logo_prepare(text, sizeof text - 1, &a, &logo, &problem, &err), -1);
    assert_int_equal(problem, BRANDING_LOGO_NOT_IMAGE);
    assert_int_equal(branding_logo_prepare(text, 0, &a, &logo, &problem, &err), -1);
    assert_int_equal(problem, BRANDING_LOGO_EMPTY);
    static const char *const unsafe[] = {
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg "
        "xmlns=\"http://www.w3.org/2000/svg\">&a;</svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
        "<image xlink:href=\"https://example.org/x.png\" width=\"9\" height=\"9\"/></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect style=\"fill:url('http://x/y')\" "
        "width=\"9\" height=\"9\"/></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject/></svg>",
    };
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
        assert_int_equal(
            branding_logo_prepare(unsafe[i], strlen(unsafe[i]), &a, &logo, &problem, &err), -1);
        assert_int_equal(problem, BRANDING_LOGO_SVG_UNSAFE);
    }
    /* A plain SVG, 20 × 10, with a gradient referenced inside the document: drawn at 256 × 128
     * as a PNG. */
    static const char svg[] =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"10\">"
        "<defs><linearGradient id=\"g\"><stop offset=\"0\" "
        "stop-color=\"#005a70\"/></linearGradient>"
        "</defs><rect width=\"20\" height=\"10\" fill=\"url(#g)\"/></svg>";
    int rc = branding_logo_prepare(svg, sizeof svg - 1, &a, &logo, &problem, &err);
    if (rc != 0)
        fprintf(stderr, "logo: %d %s\n", problem, err.detail);
    assert_int_equal(rc, 0);
    assert_int_equal(logo.width, 256);
    assert_int_equal(logo.height, 128);
    assert_memory_equal(logo.data, "\x89PNG", 4);
    assert_int_equal(strlen(logo.hash), 32);
    assert_int_equal(branding_logo_set_as(f->db.core, &f->who, f->tenant, &logo, NULL, NULL, &err),
                     0);
    const catalogue *cat;
    const cat_tenant *t = tenant_of(f, &cat);
    assert_string_equal(t->branding.logo_hash, logo.hash);
    assert_int_equal(t->branding.logo_width, 256);
    catalogue_release(f->db.core, cat);
    store_logo back;
    int found = 0;
    assert_int_equal(branding_logo_get(f->db.core, f->tenant, &a, &back, &found, &err), 0);
    assert_true(found);
    assert_int_equal(back.size, logo.size);
    assert_memory_equal(back.data, logo.data, logo.size);
    /* Letters draw it, from core's cache of logos made ready: a new logo replaces it there
     * (its hash is the catalogue's), and a removed one goes. */
    assert_true(letter_image_height(f, 256) == 128);
    static const char tall[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                               "height=\"20\"><rect width=\"10\" height=\"20\"/></svg>";
    store_logo second;
    assert_int_equal(branding_logo_prepare(tall, sizeof tall - 1, &a, &second, &problem, &err), 0);
    assert_int_equal(
        branding_logo_set_as(f->db.core, &f->who, f->tenant, &second, NULL, NULL, &err), 0);
    assert_int_equal(letter_image_height(f, second.width), second.height);
    assert_int_equal(letter_image_height(f, 256), -1);
    /* A letter drawn from a snapshot older than the store: the store's logo is drawn, but not
     * kept under the snapshot's hash — changed back to the first logo, letters draw it. */
    assert_int_equal(branding_logo_set_as(f->db.core, &f->who, f->tenant, &logo, NULL, NULL, &err),
                     0);
    const catalogue *first_cat;
    const cat_tenant *first_t = tenant_of(f, &first_cat);
    assert_int_equal(
        branding_logo_set_as(f->db.core, &f->who, f->tenant, &second, NULL, NULL, &err), 0);
    assert_int_equal(letter_image_height(f, second.width), second.height);
    assert_int_equal(letter_image_height_in(f, first_t, second.width), second.height);
    catalogue_release(f->db.core, first_cat);
    assert_int_equal(branding_logo_set_as(f->db.core, &f->who, f->tenant, &logo, NULL, NULL, &err),
                     0);
    assert_int_equal(letter_image_height(f, 256), 128);
    /* Removed: the settings stay. */
    assert_int_equal(branding_logo_set_as(f->db.core, &f->who, f->tenant, NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(branding_logo_get(f->db.core, f->tenant, &a, &back, &found, &err), 0);
    assert_false(found);
    /* Only a prepared logo is written. */
    store_logo forged = {.data = "x", .size = 1, .hash = "h", .width = 9999, .height = 1};
    assert_int_equal(
        branding_logo_set_as(f->db.core, &f->who, f->tenant, &forged, NULL, NULL, &err), -1);
    arena_free(&a);
}

/* ---- what templates get ---- */

static void test_present_tenant(void **state)
{
    (void)state;
    error err;
    present *p = present_open(NULL, &err);
    assert_non_null(p);
    store_tenant t = {.slug = "ville", .name = "Ville", .contact = "Accueil"};
    store_branding b = {
        .hours = "08:30-12:00,13:30-17:30|08:30-12:00,13:30-17:30|08:30-12:00,13:30-17:30|"
                 "08:30-12:00,13:30-17:30|08:30-12:00|09:00-12:00|",
        .phone = "+33 4 72 00 00 00",
        .logo_hash = "0123456789abcdef0123456789abcdef",
        .logo_width = 256,
        .logo_height = 128};
    json_t *o = present_tenant(p, LANG_FR, &t, &b);
    json_t *hours = json_object_get(o, "hours");
    assert_int_equal(json_array_size(hours), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 0), "days")),
                        "Du lundi au jeudi");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 0), "times")),
                        "8 h 30 – 12 h et 13 h 30 – 17 h 30");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 2), "days")),
                        "Samedi");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 3), "times")),
                        "fermé");
    assert_string_equal(json_string_value(json_object_get(o, "phone_href")), "tel:+33472000000");
    assert_string_equal(json_string_value(json_object_get(o, "logo_url")),
                        "/logo.png?v=0123456789abcdef0123456789abcdef");
    assert_int_equal(json_integer_value(json_object_get(o, "logo_width")), 96);
    assert_true(json_is_true(json_object_get(o, "has_details")));
    assert_string_equal(json_string_value(json_object_get(o, "colour")), BRANDING_DEFAULT_PRIMARY);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "map"), "zoom")), "6");
    json_decref(o);

    b.hours = "||||||09:00-12:00";
    o = present_tenant(p, LANG_EN, &t, &b);
    hours = json_object_get(o, "hours");
    assert_int_equal(json_array_size(hours), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 0), "days")),
                        "Monday to Saturday");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 0), "times")),
                        "closed");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hours, 1), "times")),
                        "9:00 – 12:00");
    json_decref(o);

    /* Nothing set: no hours, no details, the contact text alone; no tenant at all. */
    o = present_tenant(p, LANG_FR, &t, NULL);
    assert_int_equal(json_array_size(json_object_get(o, "hours")), 0);
    assert_true(json_is_false(json_object_get(o, "has_hours")));
    assert_true(json_is_false(json_object_get(o, "has_details")));
    assert_true(json_is_true(json_object_get(o, "has_contact")));
    assert_string_equal(json_string_value(json_object_get(o, "logo_url")), "");
    json_decref(o);
    o = present_tenant(p, LANG_FR, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "guichet");
    json_decref(o);
    present_close(p);
}

/* The e-mails' signature says what the footer says (as the mail dispatcher builds it: the
 * message's context, its tenant from present_tenant). */
static void test_mail_signature(void **state)
{
    (void)state;
    error err;
    error_clear(&err);
    present *p = present_open(NULL, &err);
    assert_non_null(p);
    store_tenant t = {.slug = "ville", .name = "Ville de Démo", .contact = "Accueil"};
    store_branding b = {.hours = "08:30-12:00|08:30-12:00|08:30-12:00|08:30-12:00|||",
                        .hours_notes = "Fermé le 25 décembre.",
                        .address = "1 place de la Mairie",
                        .phone = "01 23 45 67 89",
                        .colour_primary = "#7a1f1f"};
    json_t *params = json_pack("{s:s, s:s, s:s}", "reference", "2026-000001", "procedure",
                               "Nid de poule", "tracking_url", "http://x.test/suivi/2026-000001");
    json_t *ctx =
        mail_context("request_ack", params, present_strings(p, LANG_FR), "fr", t.name, t.contact);
    json_object_set_new(ctx, "tenant", present_tenant(p, LANG_FR, &t, &b));
    char *text = NULL, *html = NULL;
    assert_int_equal(mail_render(present_templates(p), "request_ack", ctx, &text, &html, &err), 0);
    assert_non_null(strstr(text, "1 place de la Mairie\n"));
    assert_non_null(strstr(text, "Téléphone : 01 23 45 67 89\n"));
    assert_non_null(strstr(text, "Du lundi au jeudi : 8 h 30 – 12 h\n"));
    assert_non_null(strstr(text, "Fermé le 25 décembre.\n"));
    assert_null(strstr(text, "Accueil"));
    assert_non_null(strstr(html, "<a href=\"tel:0123456789\" style=\"color:#7a1f1f\">"));
    assert_non_null(strstr(html, "Du lundi au jeudi : 8 h 30 – 12 h<br>"));
    free(text);
    free(html);
    json_decref(ctx);
    json_decref(params);
    present_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contrast),
        cmocka_unit_test(test_hours_typed),
        cmocka_unit_test(test_hours_week),
        cmocka_unit_test(test_check),
        cmocka_unit_test_setup_teardown(test_settings_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logo, setup, teardown),
        cmocka_unit_test(test_present_tenant),
        cmocka_unit_test(test_mail_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the monthly report (core/monthly_report.c drawn by docs/report.c): a fixed
 * dataset of November and October 2026 in Europe/Paris — a request at 00:30 local on the
 * first of November (UTC still says October), one at 00:30 on the first of December (UTC
 * says November: left out), one on the autumn daylight-saving day — rendered and read back
 * with pdftotext: the key figures, the month before's and their changes, the top tables,
 * computed by hand; one page (pdfinfo), tagged, titled, /Lang set, the French month name
 * (and the English one in English). Then the worst case: many procedures with long names
 * and a long letterhead still fit one page, the ninth procedure on summed up as «Autres».
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/monthly_report.h"
#include "core/stats.h"
#include "docs/report.h"
#include "present/present.h"
#include "test_db.h"
#include "test_req.h"
#include "util/buf.h"
#include "util/timeutil.h"

typedef struct fixture {
    test_town tt;
    sqlite3 *db;
    present *pr;
    int64_t voirie, eclairage, dept;
} fixture;

static int64_t at(const char *rfc3339)
{
    int64_t t;
    assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
    return t;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(&f->tt, "monthly_report"), 0);
    assert_int_equal(sqlite3_open(f->tt.db.path, &f->db), SQLITE_OK);
    sqlite3_busy_timeout(f->db, 5000);
    store_department d = {
        .tenant_id = f->tt.tenant_id, .code = "voirie", .name = "Voirie et espaces publics"};
    error err;
    error_clear(&err);
    if (admin_department_upsert(f->tt.db.core, &d, &f->dept, &err) != 0)
        fail_msg("admin_department_upsert: %s", err.detail);
    assert_int_equal(
        test_db_add_incident(&f->tt.db, f->tt.tenant_id, "voirie", "Nid-de-poule", f->dept), 0);
    assert_int_equal(
        test_db_add_incident(&f->tt.db, f->tt.tenant_id, "eclairage", "Éclairage public", 0), 0);
    assert_int_equal(test_town_read(&f->tt), 0);
    f->voirie = catalogue_procedure(f->tt.t, "voirie")->rec.id;
    f->eclairage = catalogue_procedure(f->tt.t, "eclairage")->rec.id;
    f->pr = present_open(NULL, &err);
    if (!f->pr)
        fail_msg("present_open: %s", err.detail);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    present_close(f->pr);
    sqlite3_close(f->db);
    test_town_close(&f->tt);
    free(f);
    return 0;
}

/* One request of the dataset: delays in seconds from its filing (-1: none); due, rating and
 * supporters 0 for none; reopened once when `reopened`. */
typedef struct row {
    const char *created, *channel;
    int eclairage;
    int64_t answer, close, due;
    int rating, supporters, reopened;
} row;

static void add(fixture *f, const row *r, int i)
{
    int64_t c = at(r->created);
    char sql[1024], closed[32] = "NULL", due[32] = "NULL";
    if (r->close >= 0)
        snprintf(closed, sizeof closed, "%lld", (long long)(c + r->close));
    if (r->due)
        snprintf(due, sizeof due, "%lld", (long long)(c + r->due));
    int64_t proc = r->eclairage ? f->eclairage : f->voirie;
    snprintf(sql, sizeof sql,
             "INSERT INTO requests (tenant_id, reference, procedure_id, department_id, status, "
             "channel, created_at, updated_at, closed_at, due_at, rating, supporters, "
             "first_name, email) VALUES (%lld, 'R-%03d', %lld, %s, '%s', '%s', %lld, %lld, %s, "
             "%s, %d, %d, 'Camille', 'camille@example.org')",
             (long long)f->tt.tenant_id, i, (long long)proc,
             r->eclairage ? "NULL" : "(SELECT id FROM departments WHERE code = 'voirie')",
             r->close >= 0 ? "resolved" : "new", r->channel, (long long)c, (long long)c, closed,
             due, r->rating, r->supporters);
    test_sql_exec(f->db, sql);
    int64_t id = sqlite3_last_insert_rowid(f->db);
    if (r->answer >= 0) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
                 "actor) VALUES (%lld, %lld, %lld, 'note', 1, 'agent:1')",
                 (long long)f->tt.tenant_id, (long long)id, (long long)(c + r->answer));
        test_sql_exec(f->db, sql);
    }
    if (r->reopened) { /* closed, then opened again: what the facts count as a reopening */
        snprintf(sql, sizeof sql,
                 "UPDATE requests SET closed_at = created_at + 40000, status = 'resolved' WHERE "
                 "id = %lld",
                 (long long)id);
        test_sql_exec(f->db, sql);
        snprintf(sql, sizeof sql,
                 "UPDATE requests SET closed_at = NULL, status = 'in_progress' WHERE id = %lld",
                 (long long)id);
        test_sql_exec(f->db, sql);
    }
}

/* The dataset, by hand:
 * November (6 requests; the one of 1 December 00:30 left out):
 *   N1 02/11 10:00 web     voirie     answer 1 h     closed 1 d   due 2 d (on time)  rated 4, 2
 * «moi aussi» N2 02/11 15:00 web     voirie     answer 2 h     closed 3 d   due 2 d (late) rated 5
 *   N3 05/11 09:00 phone   éclairage  answer 30 min  closed 2 h
 *   N4 30/11 23:30 email   éclairage  open, due 1 h (overdue now), 1 «moi aussi»
 *   N5 15/11 12:00 counter voirie     answer 10 min  open, reopened
 *   N6 01/11 00:30 web     voirie     open (UTC: 31 October 23:30)
 *   answered 4, closed 3; first answer {10 min, 30 min, 1 h, 2 h}: median (2nd) 30 min, p90
 *   (4th) 2 h; close {2 h, 1 d, 3 d}: median 1 j, p90 3 j; deadlines 1 of 2: 50,0 %;
 *   reopened 1 of 6: 16,7 %; rating 4,5; «moi aussi» 3.
 * October (4 requests):
 *   O1 10/10 10:00 web voirie      answer 1 h  closed 2 d  due 3 d (on time)  rated 3
 *   O2 20/10 10:00 phone voirie    open
 *   O3 31/10 23:30 web voirie      open (+01:00 after the change)
 *   O4 25/10 00:30 sms éclairage   answer 5 min  closed 10 min  (the autumn change day)
 *   answered 2, closed 2; first answer median 5 min; close median 10 min; deadlines 100 %;
 *   rating 3,0; «moi aussi» 0.
 * Changes: filed +2 (+50,0 %), answered +2 (+100,0 %), closed +1 (+50,0 %), median first
 * answer +25 min (+500,0 %), deadlines −50,0 pts, rating +1,5. */
static void load_dataset(fixture *f)
{
    static const row rows[] = {
        {"2026-11-02T10:00:00+01:00", "web", 0, 3600, 86400, 2 * 86400, 4, 2, 0},
        {"2026-11-02T15:00:00+01:00", "web", 0, 7200, 3 * 86400, 2 * 86400, 5, 0, 0},
        {"2026-11-05T09:00:00+01:00", "phone", 1, 1800, 7200, 0, 0, 0, 0},
        {"2026-11-30T23:30:00+01:00", "email", 1, -1, -1, 3600, 0, 1, 0},
        {"2026-11-15T12:00:00+01:00", "counter", 0, 600, -1, 0, 0, 0, 1},
        {"2026-11-01T00:30:00+01:00", "web", 0, -1, -1, 0, 0, 0, 0},
        {"2026-12-01T00:30:00+01:00", "web", 0, 60, -1, 0, 0, 0, 0},
        {"2026-10-10T10:00:00+02:00", "web", 0, 3600, 2 * 86400, 3 * 86400, 3, 0, 0},
        {"2026-10-20T10:00:00+02:00", "phone", 0, -1, -1, 0, 0, 0, 0},
        {"2026-10-31T23:30:00+01:00", "web", 0, -1, -1, 0, 0, 0, 0},
        {"2026-10-25T00:30:00+02:00", "sms", 1, 300, 600, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        add(f, &rows[i], (int)i);
}

/* Runs «prefix FILE suffix» on pdf written to FILE and returns its output (caller frees). */
static char *run_on(const buf *pdf, const char *prefix, const char *suffix)
{
    char path[] = "/tmp/test_monthly_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pdf->data, pdf->len), (ssize_t)pdf->len);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s %s", prefix, path, suffix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    buf t;
    buf_init(&t, 4 * 1024 * 1024);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0)
        assert_int_equal(buf_append(&t, chunk, got), 0);
    assert_int_equal(pclose(p), 0);
    unlink(path);
    size_t len;
    return buf_steal(&t, &len);
}

/* s without its spaces (in a buffer the caller frees): pdftotext's layout mode sometimes
 * drops the space of a short right-aligned cell («2h» for «2 h»), so cells are compared with
 * their spaces left out. */
static char *squeeze(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    assert_non_null(out);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ')
            out[n++] = s[i];
    out[n] = '\0';
    return out;
}

/* Asserts that text has a line holding label and then each of cells, in that order. */
static void line_has(const char *text, const char *label, const char *const *cells, size_t n)
{
    const char *p = text;
    while ((p = strstr(p, label))) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *line = squeeze(p + strlen(label), len - strlen(label));
        const char *q = line;
        size_t i = 0;
        for (; i < n; i++) {
            char *cell = squeeze(cells[i], strlen(cells[i]));
            q = strstr(q, cell);
            size_t cl = strlen(cell);
            free(cell);
            if (!q)
                break;
            q += cl;
        }
        free(line);
        if (i == n)
            return;
        p += strlen(label);
    }
    fail_msg("no line «%s» with its %zu cells in:\n%s", label, n, text);
}
#define LINE(text, label, ...)                                                                     \
    do {                                                                                           \
        const char *cells_[] = {__VA_ARGS__};                                                      \
        line_has(text, label, cells_, sizeof cells_ / sizeof cells_[0]);                           \
    } while (0)

static void render(fixture *f, lang l, int year, int month, const store_request_filter *flt,
                   const char *const *filters, size_t n_filters, buf *out)
{
    monthly_report_in in = {
        .strings = present_strings(f->pr, l),
        .lang = l,
        .year = year,
        .month = month,
        .f = flt,
        .area = STATS_AREA_ANY,
        .filters = filters,
        .n_filters = n_filters,
        .now = at("2026-12-07T12:00:00+01:00"),
    };
    error err;
    error_clear(&err);
    if (monthly_report_pdf(f->tt.db.core, f->tt.t, &in, out, &err) != 0)
        fail_msg("monthly_report_pdf: %s (%s)", err.detail, err.arg);
}

/* The value of pdfinfo's field `name` ("Pages") in info, spaces before it skipped. */
static const char *info_field(const char *info, const char *name)
{
    const char *p = strstr(info, name);
    if (!p)
        return "";
    p += strlen(name);
    while (*p == ' ')
        p++;
    return p;
}

static void check_one_page(const buf *pdf, const char *title)
{
    char *info = run_on(pdf, "pdfinfo", "");
    if (strncmp(info_field(info, "Pages:"), "1\n", 2) != 0 ||
        strncmp(info_field(info, "Tagged:"), "yes\n", 4) != 0 ||
        strncmp(info_field(info, "Title:"), title, strlen(title)) != 0)
        fail_msg("pdfinfo:\n%s", info);
    free(info);
}

static void test_figures_by_hand(void **state)
{
    fixture *f = *state;
    load_dataset(f);
    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = f->tt.tenant_id;
    buf pdf;
    buf_init(&pdf, REPORT_PDF_MAX);
    const char *filters[] = {"canal : tous"};
    render(f, LANG_FR, 2026, 11, &flt, filters, 1, &pdf);
    check_one_page(&pdf, "Rapport mensuel — novembre 2026");
    const char *lang_tag = "/Lang (fr-FR)";
    assert_non_null(memmem(pdf.data, pdf.len, lang_tag, strlen(lang_tag)));
    char *text = run_on(&pdf, "pdftotext -layout -enc UTF-8", "-");
    assert_non_null(strstr(text, "Rapport mensuel — novembre 2026"));
    assert_non_null(
        strstr(text, "du 1er novembre 2026 au 30 novembre 2026, comparée à octobre 2026"));
    assert_non_null(strstr(text, "Filtres : canal : tous."));
    assert_non_null(strstr(text, "Ville Test"));
    LINE(text, "Indicateur", "novembre 2026", "octobre 2026", "Évolution");
    LINE(text, "Demandes déposées", "6", "4", "+2 (+50,0 %)");
    LINE(text, "Avec une première réponse", "4", "2", "+2 (+100,0 %)");
    LINE(text, "Clôturées", "3", "2", "+1 (+50,0 %)");
    LINE(text, "Délai médian de première réponse", "30 min", "5 min", "+25 min (+500,0 %)");
    LINE(text, "1re réponse : 90 % en moins de", "2 h", "1 h", "+1 h (+100,0 %)");
    LINE(text, "Délai médian de clôture", "1 j", "10 min");
    LINE(text, "Clôture : 90 % en moins de", "3 j", "2 j", "+1 j (+50,0 %)");
    LINE(text, "Clôturées dans le délai", "50,0 %", "100,0 %", "−50,0 pts");
    LINE(text, "Taux de réouverture", "16,7 %", "0,0 %", "+16,7 pts");
    LINE(text, "Note moyenne (sur 5)", "4,5", "3,0", "+1,5");
    LINE(text, "«Moi aussi»", "3", "0", "+3");
    /* The top tables: channels and departments side by side, so their rows share lines. */
    LINE(text, "Site web", "3", "50,0 %", "1 j");
    LINE(text, "Accueil", "1", "16,7 %", "—");
    LINE(text, "Voirie et espaces publics", "4", "66,7 %", "1 j");
    LINE(text, "Sans service", "2", "33,3 %", "2 h");
    LINE(text, "Nid-de-poule", "4", "66,7 %", "1 j");
    LINE(text, "Éclairage public", "2", "33,3 %", "2 h");
    assert_null(strstr(text, "Autres"));
    free(text);

    /* In English: the English month and words. */
    buf_reset(&pdf);
    render(f, LANG_EN, 2026, 11, &flt, NULL, 0, &pdf);
    check_one_page(&pdf, "Monthly report — November 2026");
    text = run_on(&pdf, "pdftotext -layout -enc UTF-8", "-");
    LINE(text, "Requests filed", "6", "4", "+2 (+50.0 %)");
    LINE(text, "Median time to close", "1 d", "10 min");
    assert_non_null(strstr(text, "compared with October 2026"));
    free(text);

    /* A procedure's filter: its requests alone. */
    buf_reset(&pdf);
    flt.procedure_ids[flt.n_procedure_ids++] = f->eclairage;
    render(f, LANG_FR, 2026, 11, &flt, NULL, 0, &pdf);
    text = run_on(&pdf, "pdftotext -layout -enc UTF-8", "-");
    LINE(text, "Demandes déposées", "2", "1", "+1 (+100,0 %)");
    free(text);
    buf_free(&pdf);
}

static void test_month_parse(void **state)
{
    (void)state;
    int y = 0, m = 0;
    assert_int_equal(monthly_report_month_parse("2026-11", &y, &m), 0);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 11);
    static const char *const bad[] = {"2026-13", "2026-00",    "2026-1", "26-11",   "2026/11",
                                      "1999-12", "2026-11-01", "",       "2026-1a", "２026-11"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(monthly_report_month_parse(bad[i], &y, &m), -1);
    assert_int_equal(monthly_report_month_parse(NULL, &y, &m), -1);
}

/* The worst case: twelve procedures and twelve departments of long names with 12, 11, … 1
 * requests, over every channel, and a letterhead of the longest name and address a
 * collectivité may type: the eight largest shown, the four others summed as «Autres (4)»
 * (4 + 3 + 2 + 1 = 10 requests), and all of it on one page. */
static void test_worst_case_fits_one_page(void **state)
{
    fixture *f = *state;
    static const char *const channels[] = {"web",   "mobile",  "email", "sms",
                                           "phone", "counter", "post",  "api"};
    char sql[2048], name[512], longest[1024];
    /* Written before the procedures: their creation through core reloads the catalogue. */
    memset(longest, 0, sizeof longest);
    for (size_t i = 0; i < 200 / 20; i++)
        memcpy(longest + 20 * i, "Communauté urbaine ", 20);
    snprintf(sql, sizeof sql, "UPDATE tenants SET name = '%.199s' WHERE id = %lld", longest,
             (long long)f->tt.tenant_id);
    test_sql_exec(f->db, sql);
    snprintf(
        sql, sizeof sql,
        "INSERT OR REPLACE INTO tenant_branding (tenant_id, updated_at, address, phone, email, "
        "website) "
        "VALUES (%lld, 0, 'Hôtel de ville\n1 place de la République\nBP 42\n"
        "99999 Ville-Test Cedex\nBâtiment B, 3e étage', '01 02 03 04 05', "
        "'contact-des-services-municipaux@ville-test.example.org', "
        "'https://www.ville-test.example.org/services-en-ligne/demarches')",
        (long long)f->tt.tenant_id);
    test_sql_exec(f->db, sql);
    for (int p = 0; p < 12; p++) {
        char code[32];
        snprintf(code, sizeof code, "dep%02d", p);
        snprintf(name, sizeof name, "Service numéro %02d de la direction de l’espace public", p);
        store_department d = {.tenant_id = f->tt.tenant_id, .code = code, .name = name};
        int64_t id;
        error err;
        error_clear(&err);
        if (admin_department_upsert(f->tt.db.core, &d, &id, &err) != 0)
            fail_msg("admin_department_upsert: %s", err.detail);
        snprintf(code, sizeof code, "proc%02d", p);
        snprintf(name, sizeof name,
                 "Démarche numéro %02d au nom très long : demande d’autorisation d’occupation "
                 "temporaire du domaine public pour travaux, échafaudage et benne",
                 p);
        assert_int_equal(test_db_add_incident(&f->tt.db, f->tt.tenant_id, code, name, id), 0);
    }
    test_sql_exec(f->db, "BEGIN");
    for (int p = 0; p < 12; p++)
        for (int r = 0; r < 12 - p; r++) {
            int64_t created = at("2026-11-03T10:00:00+01:00") + r * 86400 * 2;
            snprintf(sql, sizeof sql,
                     "INSERT INTO requests (tenant_id, reference, procedure_id, department_id, "
                     "status, channel, created_at, updated_at) SELECT %lld, 'P-%02d-%02d', id, "
                     "department_id, 'new', '%s', %lld, %lld FROM procedures WHERE code = "
                     "'proc%02d'",
                     (long long)f->tt.tenant_id, p, r, channels[(p + r) % 8], (long long)created,
                     (long long)created, p);
            test_sql_exec(f->db, sql);
        }
    test_sql_exec(f->db, "COMMIT");
    catalogue_release(f->tt.db.core, f->tt.cat);
    f->tt.cat = NULL;
    assert_int_equal(test_town_read(&f->tt), 0);
    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = f->tt.tenant_id;
    const char *filters[] = {
        "canal : Site web",
        "démarche : Démarche numéro 01 au nom très long : demande d’autorisation d’occupation "
        "temporaire du domaine public pour travaux, échafaudage et benne",
        "service : Voirie et espaces publics, propreté urbaine, éclairage public et "
        "signalisation tricolore",
        "quartier : Centre-ville historique et faubourgs"};
    buf pdf;
    buf_init(&pdf, REPORT_PDF_MAX);
    render(f, LANG_FR, 2026, 11, &flt, filters, 4, &pdf);
    check_one_page(&pdf, "Rapport mensuel — novembre 2026");
    char *text = run_on(&pdf, "pdftotext -layout -enc UTF-8", "-");
    LINE(text, "Autres (4)", "10", "12,8 %", "—");
    LINE(text, "Demandes déposées", "78");
    assert_non_null(strstr(text, "Communauté urbaine"));
    free(text);
    buf_free(&pdf);
}

/* The renderer refuses what would not fit rather than spill onto a second page. */
static void test_overflow_refused(void **state)
{
    (void)state;
    static const double w[1] = {1.0};
    const char *head[1] = {"Colonne"};
    const char *cells[REPORT_ROWS_MAX];
    for (size_t i = 0; i < REPORT_ROWS_MAX; i++)
        cells[i] = "Ligne";
    report_table tables[REPORT_TABLES_MAX];
    for (size_t i = 0; i < REPORT_TABLES_MAX; i++)
        tables[i] = (report_table){"Tableau", head, w, 1, cells, REPORT_ROWS_MAX, 0};
    report r = {
        .title = "Trop long", .lang = "fr-FR", .tables = tables, .n_tables = REPORT_TABLES_MAX};
    letter_head h = {.name = "Ville Test"};
    buf out;
    buf_init(&out, REPORT_PDF_MAX);
    error err;
    error_clear(&err);
    assert_int_equal(report_render(&h, &r, &out, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "pages");
    r.n_tables = 1;
    assert_int_equal(report_render(&h, &r, &out, &err), 0);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_parse),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test_setup_teardown(test_figures_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worst_case_fits_one_page, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

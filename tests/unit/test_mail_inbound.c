/*
 * test_mail_inbound — unit tests of incoming e-mail parsing (channels/mail/inbound.h): the
 * sender, subject and threading headers, the +tags of the recipients, quoted history and
 * signatures folded away, HTML-only mail turned into text, the classification of spam,
 * bounces (DSN reports and MAILER-DAEMON notices, with the id of the message they return and
 * a reason without addresses) and auto-replies, files kept and counted, and the limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/inbound.h"

static int parse(const char *msg, const mail_in_config *cfg, arena *a, mail_in *out, error *err)
{
    return mail_in_parse(msg, strlen(msg), cfg, a, out, err);
}

static void test_plain_message(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    const char *msg = "From: =?UTF-8?Q?J=C3=A9r=C3=B4me_Martin?= <Jerome@Exemple.ORG>\r\n"
                      "To: Mairie <contact+2026-000123.abcdefghijkl@ville.test>\r\n"
                      "Subject: =?UTF-8?Q?Re=C2=A0:_Votre_demande?= 2026-000123\r\n"
                      "In-Reply-To: <b2@ville.test>\r\n"
                      "References: <a1@ville.test> <b2@ville.test>\r\n"
                      "Content-Type: text/plain; charset=iso-8859-1\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n"
                      "\r\n"
                      "Merci pour votre r=E9ponse.\r\n"
                      "\r\n"
                      "Le 3 mars 2026 =E0 10:12, Mairie <contact@ville.test> a =E9crit :\r\n"
                      "> Bonjour,\r\n"
                      "> votre demande est enregistr=E9e.\r\n";
    assert_int_equal(parse(msg, NULL, &a, &m, &err), 0);
    assert_int_equal(m.kind, MAIL_IN_MESSAGE);
    assert_string_equal(m.from_addr, "Jerome@exemple.org");
    assert_string_equal(m.from_name, "Jérôme Martin");
    assert_non_null(strstr(m.subject, "2026-000123"));
    assert_int_equal(m.n_refs, 2);
    assert_string_equal(m.refs[0], "b2@ville.test");
    assert_string_equal(m.refs[1], "a1@ville.test");
    assert_int_equal(m.n_tags, 1);
    assert_string_equal(m.tags[0], "2026-000123.abcdefghijkl");
    assert_string_equal(m.text, "Merci pour votre réponse.");
    assert_non_null(m.folded);
    assert_non_null(strstr(m.folded, "a écrit :"));
    assert_non_null(strstr(m.folded, "> votre demande est enregistrée."));
    arena_free(&a);
}

static void test_fold(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    const char *fresh, *folded;
    /* A signature. */
    assert_int_equal(
        mail_in_fold("Bonjour\nà lundi\n-- \nAlice\n06 00 00 00 00\n", &a, &fresh, &folded), 0);
    assert_string_equal(fresh, "Bonjour\nà lundi");
    assert_string_equal(folded, "-- \nAlice\n06 00 00 00 00\n");
    /* Outlook's separator and everything under it. */
    assert_int_equal(
        mail_in_fold("Oui.\n\n-----Original Message-----\nFrom: x\n", &a, &fresh, &folded), 0);
    assert_string_equal(fresh, "Oui.");
    assert_string_equal(folded, "-----Original Message-----\nFrom: x\n");
    /* A trailing quote without attribution. */
    assert_int_equal(mail_in_fold("D'accord\n> ancien\n>\n> texte\n", &a, &fresh, &folded), 0);
    assert_string_equal(fresh, "D'accord");
    assert_string_equal(folded, "> ancien\n>\n> texte\n");
    /* An answer between quotes keeps its quotes: only a trailing block is folded. */
    assert_int_equal(
        mail_in_fold("> question 1\nréponse 1\n> question 2\nréponse 2\n", &a, &fresh, &folded), 0);
    assert_string_equal(fresh, "> question 1\nréponse 1\n> question 2\nréponse 2");
    assert_null(folded);
    /* Nothing would stay: nothing is folded. */
    assert_int_equal(mail_in_fold("> tout cité\n", &a, &fresh, &folded), 0);
    assert_string_equal(fresh, "> tout cité");
    assert_null(folded);
    /* An English attribution. */
    assert_int_equal(
        mail_in_fold("Thanks\nOn Tue, 3 Mar 2026, Town wrote:\n\n> hello\n", &a, &fresh, &folded),
        0);
    assert_string_equal(fresh, "Thanks");
    assert_string_equal(folded, "On Tue, 3 Mar 2026, Town wrote:\n\n> hello\n");
    arena_free(&a);
}

static void test_html_only(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    const char *msg =
        "From: a@exemple.test\nTo: contact@ville.test\nSubject: Trottoir\n"
        "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><head><title>x</title><style>p{color:red}</style>"
        "<script>alert(1)</script></head><body><p>Le trottoir&nbsp;est  cass&eacute;.</p>"
        "<div>Rue&nbsp;<b>Victor Hugo</b><br>devant le 12</div><ul><li>un</li><li>deux</li></ul>"
        "<blockquote><p>ancien message</p></blockquote></body></html>";
    assert_int_equal(parse(msg, NULL, &a, &m, &err), 0);
    assert_string_equal(m.text, "Le trottoir\xc2\xa0"
                                "est cassé.\nRue\xc2\xa0Victor Hugo\n"
                                "devant le 12\nun\ndeux");
    assert_null(strstr(m.text, "alert"));
    assert_null(strstr(m.text, "color"));
    assert_non_null(m.folded);
    assert_string_equal(m.folded, "> ancien message\n");
    arena_free(&a);
}

static void test_alternative_prefers_plain_and_files(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    const char *msg = "From: a@exemple.test\nTo: contact@ville.test\nSubject: Photo\n"
                      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
                      "--M\nContent-Type: multipart/alternative; boundary=\"A\"\n\n"
                      "--A\nContent-Type: text/plain; charset=utf-8\n\nVoici la photo.\n"
                      "--A\nContent-Type: text/html; charset=utf-8\n\n<p>HTML</p>\n--A--\n"
                      "--M\nContent-Type: image/png\nContent-Disposition: attachment; "
                      "filename=\"trou.png\"\nContent-Transfer-Encoding: base64\n\n"
                      "iVBORw0KGgo=\n--M--\n";
    assert_int_equal(parse(msg, NULL, &a, &m, &err), 0);
    assert_string_equal(m.text, "Voici la photo.");
    assert_int_equal(m.n_files, 1);
    assert_string_equal(m.files[0].filename, "trou.png");
    assert_int_equal(m.files[0].len, 8);
    assert_memory_equal(m.files[0].data, "\x89PNG\r\n\x1a\n", 8);
    arena_free(&a);
}

static void test_files_beyond_the_limit_are_counted(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    char msg[8192];
    size_t n = (size_t)snprintf(msg, sizeof msg,
                                "From: a@exemple.test\nSubject: x\nMIME-Version: 1.0\n"
                                "Content-Type: multipart/mixed; boundary=\"M\"\n\n"
                                "--M\nContent-Type: text/plain\n\nTexte\n");
    for (int i = 0; i < MAIL_IN_MAX_FILES + 2; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n,
                              "--M\nContent-Type: application/pdf\nContent-Disposition: "
                              "attachment; filename=\"f%d.pdf\"\n\n%%PDF-1.4 %d\n",
                              i, i);
    snprintf(msg + n, sizeof msg - n, "--M--\n");
    mail_in m;
    error err;
    assert_int_equal(parse(msg, NULL, &a, &m, &err), 0);
    assert_int_equal(m.n_files, MAIL_IN_MAX_FILES);
    assert_int_equal(m.n_files_left_out, 2);
    arena_free(&a);
}

static void test_spam(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    assert_int_equal(
        parse("From: x@spam.test\nX-Spam-Flag: YES\nSubject: gain\n\nGagnez\n", NULL, &a, &m, &err),
        0);
    assert_int_equal(m.kind, MAIL_IN_SPAM);
    /* A configured header, a prefix of its value, case-insensitive. */
    mail_in_config cfg = {.spam_header = "X-Spam-Status: Yes"};
    const char *rspamd = "From: x@spam.test\nX-Spam-Status: yes, score=12\n\nGagnez\n";
    assert_int_equal(parse(rspamd, &cfg, &a, &m, &err), 0);
    assert_int_equal(m.kind, MAIL_IN_SPAM);
    assert_int_equal(parse(rspamd, NULL, &a, &m, &err), 0);
    assert_int_equal(m.kind, MAIL_IN_MESSAGE);
    assert_int_equal(parse("From: x@ok.test\nX-Spam-Flag: NO\n\nBonjour\n", NULL, &a, &m, &err), 0);
    assert_int_equal(m.kind, MAIL_IN_MESSAGE);
    arena_free(&a);
}

static void test_autoreplies(void **state)
{
    (void)state;
    static const char *const msgs[] = {
        "From: x@a.test\nAuto-Submitted: auto-replied\n\nAbsent\n",
        "From: x@a.test\nX-Autoreply: yes\n\nAbsent\n",
        "From: x@a.test\nPrecedence: bulk\n\nLettre\n",
        "From: x@a.test\nPrecedence: auto_reply\n\nAbsent\n",
        "From: x@a.test\nSubject: =?UTF-8?Q?R=C3=A9ponse_automatique?= : absent\n\nAbsent\n",
        "From: x@a.test\nSubject: Out of Office: until Monday\n\nAway\n",
    };
    arena a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
        mail_in m;
        error err;
        assert_int_equal(parse(msgs[i], NULL, &a, &m, &err), 0);
        assert_int_equal(m.kind, MAIL_IN_AUTOREPLY);
    }
    mail_in m;
    error err;
    assert_int_equal(parse("From: x@a.test\nAuto-Submitted: no\n\nBonjour\n", NULL, &a, &m, &err),
                     0);
    assert_int_equal(m.kind, MAIL_IN_MESSAGE);
    arena_free(&a);
}

static void test_dsn(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    const char *msg =
        "From: Mail Delivery System <MAILER-DAEMON@mx.ville.test>\n"
        "To: ne-pas-repondre@ville.test\nSubject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
        "--R\nContent-Type: text/plain\n\nThis is the mail system.\n"
        "--R\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.ville.test\n\n"
        "Final-Recipient: rfc822; camille@exemple.test\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <camille@exemple.test>: user unknown\n"
        "--R\nContent-Type: text/rfc822-headers\n\n"
        "From: ne-pas-repondre@ville.test\nTo: camille@exemple.test\n"
        "Message-ID: <0123456789abcdef0123456789abcdef@ville.test>\nSubject: x\n"
        "--R--\n";
    assert_int_equal(parse(msg, NULL, &a, &m, &err), 0);
    assert_int_equal(m.kind, MAIL_IN_BOUNCE);
    assert_string_equal(m.bounce_of, "0123456789abcdef0123456789abcdef@ville.test");
    assert_non_null(strstr(m.bounce_reason, "5.1.1"));
    assert_non_null(strstr(m.bounce_reason, "user unknown"));
    /* No personal data in the reason: the address is blanked. */
    assert_null(strstr(m.bounce_reason, "camille"));
    assert_null(strchr(m.bounce_reason, '@'));
    /* A notice of the null sender without a report names what it answers by In-Reply-To. */
    assert_int_equal(parse("Return-Path: <>\nFrom: postmaster@mx.test\n"
                           "In-Reply-To: <ffff@ville.test>\n\nCould not deliver\n",
                           NULL, &a, &m, &err),
                     0);
    assert_int_equal(m.kind, MAIL_IN_BOUNCE);
    assert_string_equal(m.bounce_of, "ffff@ville.test");
    arena_free(&a);
}

static void test_refused(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    mail_in m;
    error err;
    /* No sender. */
    assert_int_equal(parse("Subject: x\n\nBonjour\n", NULL, &a, &m, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    /* Nested too deep. */
    char deep[8192];
    size_t n = (size_t)snprintf(deep, sizeof deep, "From: a@b.test\nMIME-Version: 1.0\n");
    for (int i = 0; i <= MAIL_IN_MAX_DEPTH + 1; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n,
                              "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
    snprintf(deep + n, sizeof deep - n, "Content-Type: text/plain\n\nfond\n");
    assert_int_equal(parse(deep, NULL, &a, &m, &err), -1);
    assert_int_equal(err.code, ERR_TOO_LARGE);
    /* Too many parts, counted before GMime sees them. */
    size_t cap = 200000;
    char *many = malloc(cap);
    assert_non_null(many);
    n = (size_t)snprintf(many, cap,
                         "From: a@b.test\nMIME-Version: 1.0\n"
                         "Content-Type: multipart/mixed; boundary=\"M\"\n\n");
    for (int i = 0; i < MAIL_IN_MAX_PARTS + 1; i++)
        n += (size_t)snprintf(many + n, cap - n, "--M\nContent-Type: text/plain\n\n%d\n", i);
    snprintf(many + n, cap - n, "--M--\n");
    assert_int_equal(parse(many, NULL, &a, &m, &err), -1);
    assert_int_equal(err.code, ERR_TOO_LARGE);
    free(many);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_message),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_html_only),
        cmocka_unit_test(test_alternative_prefers_plain_and_files),
        cmocka_unit_test(test_files_beyond_the_limit_are_counted),
        cmocka_unit_test(test_spam),
        cmocka_unit_test(test_autoreplies),
        cmocka_unit_test(test_dsn),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

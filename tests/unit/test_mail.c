/*
 * test_mail — unit tests of outgoing e-mail: MIME composition (headers, RFC 2047 subject,
 * both parts, UTF-8 bodies, parsed back with GMime), header injection refused, the retry
 * backoff, the text part's unescaping, and the outbox's checks and serialisation (through a
 * store whose only operation records the row it is given), and every mail template
 * rendered in French and English from the files in templates/ (run from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/dispatch.h"
#include "channels/mail/mail.h"
#include "core/outbox.h"
#include "store/store.h"
#include "util/error.h"
#include "util/tmpl.h"

static const char *const SUBJECT = "Accusé de réception de votre demande — 2026-000123";
static const char *const TEXT_BODY = "Madame, Monsieur,\n\nNous avons bien reçu votre demande "
                                     "n° 2026-000123 « Œuvre » : 12,50 €.\n"
                                     "Suivi : https://ville.test/suivi/2026-000123?jeton=abc\n";
static const char *const HTML_BODY =
    "<!DOCTYPE html><html lang=\"fr\"><body><p>Nous avons bien reçu votre demande "
    "n° 2026-000123 « Œuvre ».</p></body></html>\n";

static mail_message sample(void)
{
    mail_message m = {
        .from_addr = "ne-pas-repondre@ville-demo.test",
        .from_name = "Ville de Démo",
        .to_addr = "camille.martin@exemple.test",
        .subject = SUBJECT,
        .text = TEXT_BODY,
        .html = HTML_BODY,
        .lang_code = "fr",
        .date = 1790000000,
    };
    return m;
}

/* Parses raw with GMime; caller unrefs. */
static GMimeMessage *parse(const char *raw, size_t len)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    assert_non_null(msg);
    return msg;
}

/* The decoded UTF-8 text of a text part; caller g_free()s. */
static char *part_text(GMimeObject *obj)
{
    assert_true(GMIME_IS_TEXT_PART(obj));
    return g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
}

static void test_compose_headers_and_parts(void **state)
{
    (void)state;
    mail_message m = sample();
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    assert_non_null(raw);
    assert_int_equal(strlen(raw), len);

    /* Raw form: 7-bit, CRLF line ends, encoded subject, required headers. */
    for (size_t i = 0; i < len; i++) {
        assert_true((unsigned char)raw[i] < 0x80);
        if (raw[i] == '\n')
            assert_true(i > 0 && raw[i - 1] == '\r');
    }
    assert_non_null(strstr(raw, "Subject: =?UTF-8?") ? strstr(raw, "Subject: =?UTF-8?")
                                                     : strstr(raw, "Subject: =?utf-8?"));
    assert_non_null(strstr(raw, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(raw, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(raw, "Content-Language: fr\r\n"));
    assert_non_null(strstr(raw, "To: camille.martin@exemple.test\r\n"));
    assert_non_null(strstr(raw, "<ne-pas-repondre@ville-demo.test>"));
    assert_non_null(strstr(raw, "From: Ville de =?UTF-8?"));
    assert_null(strstr(raw, "iso-8859"));
    assert_non_null(strstr(raw, "Date: "));
    assert_non_null(strstr(raw, "quoted-printable"));
    assert_non_null(strstr(raw, "multipart/alternative"));
    /* Message-ID at the sender's domain. */
    const char *mid = strstr(raw, "Message-Id: <");
    if (!mid)
        mid = strstr(raw, "Message-ID: <");
    assert_non_null(mid);
    const char *eol = strstr(mid, "\r\n");
    assert_non_null(eol);
    assert_non_null(memmem(mid, (size_t)(eol - mid), "@ville-demo.test>", 17));

    /* Parsed back: decoded subject and sender name, text/plain then text/html. */
    GMimeMessage *msg = parse(raw, len);
    assert_string_equal(g_mime_message_get_subject(msg), SUBJECT);
    InternetAddressList *from = g_mime_message_get_from(msg);
    assert_int_equal(internet_address_list_length(from), 1);
    InternetAddress *fa = internet_address_list_get_address(from, 0);
    assert_string_equal(internet_address_get_name(fa), "Ville de Démo");
    assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(fa)),
                        "ne-pas-repondre@ville-demo.test");
    GDateTime *d = g_mime_message_get_date(msg);
    assert_non_null(d);
    assert_int_equal(g_date_time_to_unix(d), 1790000000);

    GMimeObject *body = g_mime_message_get_mime_part(msg);
    assert_true(GMIME_IS_MULTIPART(body));
    GMimeContentType *ct = g_mime_object_get_content_type(body);
    assert_string_equal(g_mime_content_type_get_media_subtype(ct), "alternative");
    GMimeMultipart *mp = GMIME_MULTIPART(body);
    assert_int_equal(g_mime_multipart_get_count(mp), 2);
    GMimeObject *p0 = g_mime_multipart_get_part(mp, 0);
    GMimeObject *p1 = g_mime_multipart_get_part(mp, 1);
    assert_string_equal(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(p0)),
                        "plain");
    assert_string_equal(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(p1)),
                        "html");
    assert_string_equal(g_mime_object_get_content_type_parameter(p0, "charset"), "utf-8");
    assert_string_equal(g_mime_object_get_content_type_parameter(p1, "charset"), "utf-8");
    char *t0 = part_text(p0);
    char *t1 = part_text(p1);
    /* Line ends of the body come back as CRLF or LF depending on the parser: compare the
     * text without CRs. */
    char *w = t0;
    for (char *r = t0; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    assert_string_equal(t0, TEXT_BODY);
    assert_non_null(strstr(t1, "« Œuvre »"));
    assert_non_null(strstr(t1, "<html lang=\"fr\">"));
    g_free(t0);
    g_free(t1);
    g_object_unref(msg);
    free(raw);
}

static void test_compose_text_only_and_ascii_subject(void **state)
{
    (void)state;
    mail_message m = sample();
    m.html = NULL;
    m.from_name = NULL;
    m.subject = "Plain subject";
    m.message_id_domain = "mail.example.test";
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    assert_non_null(strstr(raw, "Subject: Plain subject\r\n"));
    assert_null(strstr(raw, "multipart"));
    assert_non_null(strstr(raw, "text/plain"));
    assert_non_null(strstr(raw, "@mail.example.test>"));
    GMimeMessage *msg = parse(raw, len);
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    char *t = part_text(body);
    assert_non_null(strstr(t, "Nous avons bien reçu votre demande"));
    g_free(t);
    g_object_unref(msg);
    free(raw);
}

static void test_compose_long_lines_are_folded(void **state)
{
    (void)state;
    /* 3,000 characters on one line must not make a line over 998 bytes (RFC 5322). */
    char *longtext = malloc(3001 * 2 + 1);
    size_t n = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(longtext + n, "é", 2);
        n += 2;
    }
    longtext[n] = '\0';
    mail_message m = sample();
    m.text = longtext;
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        if (raw[i] == '\n')
            line = 0;
        else
            assert_true(++line <= 998);
    }
    free(raw);
    free(longtext);
}

static void test_compose_refuses_injection(void **state)
{
    (void)state;
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    mail_message m = sample();
    m.to_addr = "a@b.test\r\nBcc: victim@c.test";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "to");
    assert_null(raw);

    m = sample();
    m.subject = "Objet\r\nBcc: victim@c.test";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "subject");

    m = sample();
    m.from_name = "Mairie\nX-Evil: 1";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "from_name");

    m = sample();
    m.from_addr = "Mairie <a@b.test>";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "from");

    m = sample();
    m.text = "bad \xff utf-8";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "text");

    m = sample();
    m.subject = "";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "subject");
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(dispatch_backoff(1, 30, 3600), 30);
    assert_int_equal(dispatch_backoff(2, 30, 3600), 60);
    assert_int_equal(dispatch_backoff(3, 30, 3600), 120);
    assert_int_equal(dispatch_backoff(7, 30, 3600), 1920);
    assert_int_equal(dispatch_backoff(8, 30, 3600), 3600);
    assert_int_equal(dispatch_backoff(24, 30, 3600), 3600);
    assert_int_equal(dispatch_backoff(1000, 30, 3600), 3600);
    assert_int_equal(dispatch_backoff(0, 30, 3600), 30);
    assert_int_equal(dispatch_backoff(3, 1, 3600), 4);
    assert_int_equal(dispatch_backoff(5, 2, 10), 10);
}

static void test_unescape_text(void **state)
{
    (void)state;
    char s[] = "l&#39;accus&amp;eacute; &lt;b&gt; &quot;x&quot; &#x27;y&#X27; &apos;z&apos; "
               "a=b&amp;c=d &unknown; & fin";
    mail_unescape_text(s);
    assert_string_equal(s, "l'accus&eacute; <b> \"x\" 'y' 'z' a=b&c=d &unknown; & fin");
    mail_unescape_text(NULL);
}

/* A document as the dispatcher joins it: the body in a multipart/mixed, then the PDF as an
 * attachment whose bytes, read back with GMime, are the document's, hash included. */
static void test_compose_attachment(void **state)
{
    (void)state;
    /* Binary bytes: NULs, CRs and LFs, every byte value, as a PDF's streams hold them. */
    unsigned char pdf[5000];
    memcpy(pdf, "%PDF-1.7\n", 9);
    for (size_t i = 9; i < sizeof pdf; i++)
        pdf[i] = (unsigned char)(i * 131 + 7);
    mail_message m = sample();
    m.attachment = pdf;
    m.attachment_len = sizeof pdf;
    m.attachment_name = "accuse-reception-2026-000123.pdf";
    m.attachment_type = "application/pdf";
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    GMimeMessage *msg = parse(raw, len);
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    assert_true(GMIME_IS_MULTIPART(body));
    assert_string_equal(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(body)),
                        "mixed");
    GMimeMultipart *mixed = GMIME_MULTIPART(body);
    assert_int_equal(g_mime_multipart_get_count(mixed), 2);
    /* The message as before, first. */
    GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
    assert_true(GMIME_IS_MULTIPART(alt));
    assert_string_equal(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(alt)),
                        "alternative");
    char *text = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0));
    assert_non_null(strstr(text, "« Œuvre » : 12,50 €."));
    g_free(text);
    /* Then the file. */
    GMimeObject *file = g_mime_multipart_get_part(mixed, 1);
    assert_true(GMIME_IS_PART(file));
    GMimeContentType *ct = g_mime_object_get_content_type(file);
    assert_string_equal(g_mime_content_type_get_media_type(ct), "application");
    assert_string_equal(g_mime_content_type_get_media_subtype(ct), "pdf");
    assert_string_equal(g_mime_object_get_disposition(file), "attachment");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(file)),
                        "accuse-reception-2026-000123.pdf");
    assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(file)),
                     GMIME_CONTENT_ENCODING_BASE64);
    GMimeStream *out = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(file)), out);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    assert_int_equal(bytes->len, sizeof pdf);
    assert_memory_equal(bytes->data, pdf, sizeof pdf);
    unsigned char want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(want, pdf, sizeof pdf);
    crypto_hash_sha256(got, bytes->data, bytes->len);
    assert_memory_equal(got, want, sizeof want);
    g_object_unref(out);
    g_object_unref(msg);
    free(raw);

    /* A text-only message: the text part, then the file. */
    m.html = NULL;
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    msg = parse(raw, len);
    mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(msg));
    assert_true(GMIME_IS_TEXT_PART(g_mime_multipart_get_part(mixed, 0)));
    assert_true(GMIME_IS_PART(g_mime_multipart_get_part(mixed, 1)));
    g_object_unref(msg);
    free(raw);

    /* Names and types that could bend a header, or nothing to join: refused. */
    static const char *const bad_names[] = {"",         "a b.pdf", "x\r\nBcc: v@c.test",
                                            "../x.pdf", "é.pdf",   "a\"b.pdf"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        m = sample();
        m.attachment = pdf;
        m.attachment_len = sizeof pdf;
        m.attachment_name = bad_names[i];
        raw = NULL;
        assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, "attachment");
        assert_null(raw);
    }
    m = sample();
    m.attachment = pdf;
    m.attachment_len = 0;
    m.attachment_name = "a.pdf";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    m.attachment_len = sizeof pdf;
    m.attachment_type = "application/pdf\r\nX-Evil: 1";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "attachment");
}

static void test_attachment_name(void **state)
{
    (void)state;
    char name[MAIL_ATTACHMENT_NAME_MAX + 1];
    assert_int_equal(mail_attachment_name("accuse-reception", "2026-000123", 1, name, sizeof name),
                     0);
    assert_string_equal(name, "accuse-reception-2026-000123.pdf");
    /* A signed version is the document's next version: its own name. */
    assert_int_equal(mail_attachment_name("decision", "2026-000123", 3, name, sizeof name), 0);
    assert_string_equal(name, "decision-2026-000123-v3.pdf");
    assert_int_equal(mail_attachment_name("courrier", "../etc", 1, name, sizeof name), -1);
    assert_int_equal(mail_attachment_name("cour rier", "2026-1", 1, name, sizeof name), -1);
    assert_int_equal(mail_attachment_name(NULL, "2026-1", 1, name, sizeof name), -1);
    assert_int_equal(mail_attachment_name("courrier", NULL, 1, name, sizeof name), -1);
    char longer[120];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(mail_attachment_name(longer, "2026-1", 1, name, sizeof name), -1);
    char small[12];
    assert_int_equal(mail_attachment_name("courrier", "2026-000123", 1, small, sizeof small), -1);
}

/* ---------------------------------------------------------------- outbox through a fake store */

static store_outbox captured;
static char captured_params[4096];
static int inserts;

static int capture_insert(store *s, const store_outbox *m, int64_t *id_out, error *err)
{
    (void)s;
    (void)err;
    captured = *m;
    snprintf(captured_params, sizeof captured_params, "%s", m->params);
    captured.params = captured_params;
    inserts++;
    *id_out = 7;
    return 0;
}

static const store_ops capture_ops = {.name = "capture", .outbox.tx_insert = capture_insert};

static void test_outbox_add_tx(void **state)
{
    (void)state;
    store s = {.ops = &capture_ops};
    error err = {0};
    json_t *params = json_pack("{s:s, s:s}", "reference", "2026-000123", "procedure", "Œuvre");
    inserts = 0;
    assert_int_equal(outbox_add_tx(&s, 3, "email", "Camille.Martin+mairie@exemple.test",
                                   "request_ack", params, "en", 42, &err),
                     0);
    assert_int_equal(inserts, 1);
    assert_int_equal(captured.tenant_id, 3);
    assert_string_equal(captured.channel, "email");
    assert_string_equal(captured.template, "request_ack");
    assert_string_equal(captured.lang, "en");
    assert_int_equal(captured.request_id, 42);
    assert_true(captured.next_attempt_at > 0);
    assert_int_equal(captured.next_attempt_at, captured.created_at);
    assert_int_equal(captured.attempts, 0);
    json_t *back = json_loads(captured_params, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(back, params));
    assert_null(strchr(captured_params, ' ')); /* compact */
    json_decref(back);
    /* The caller keeps its reference. */
    assert_int_equal(params->refcount, 1);

    /* NULL params and lang: "{}" and French. */
    assert_int_equal(
        outbox_add_tx(&s, 3, "sms", "+33612345678", "request_status", NULL, NULL, 0, &err), 0);
    assert_string_equal(captured_params, "{}");
    assert_string_equal(captured.lang, "fr");
    json_decref(params);
}

/* An e-mail that carries a document names it and its hash, never its bytes; an SMS does
 * not; an acknowledgement waiting for its receipt is due at its hold. */
static void test_outbox_add_document_tx(void **state)
{
    (void)state;
    store s = {.ops = &capture_ops};
    error err = {0};
    static const char sha[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    outbox_document_ref doc = {.id = 55, .sha256 = sha};
    assert_int_equal(outbox_add_document_tx(&s, 3, "email", "a@b.test", "document_issued", NULL,
                                            "fr", 42, &doc, &err),
                     0);
    assert_int_equal(captured.document_id, 55);
    assert_string_equal(captured.document_sha256, sha);
    assert_int_equal(captured.next_attempt_at, captured.created_at);
    assert_int_equal(outbox_add_document_tx(&s, 3, "sms", "+33612345678", "document_issued", NULL,
                                            "fr", 42, &doc, &err),
                     0);
    assert_int_equal(captured.document_id, 0);
    assert_null(captured.document_sha256);
    /* Waiting for a document not issued yet. */
    outbox_document_ref wait = {.hold_until = 4000000000};
    assert_int_equal(outbox_add_document_tx(&s, 3, "email", "a@b.test", "request_ack", NULL, "fr",
                                            42, &wait, &err),
                     0);
    assert_int_equal(captured.document_id, 0);
    assert_int_equal(captured.next_attempt_at, 4000000000);
    /* A hash that is not one. */
    inserts = 0;
    outbox_document_ref bad = {.id = 55, .sha256 = "9F86"};
    assert_int_equal(outbox_add_document_tx(&s, 3, "email", "a@b.test", "document_issued", NULL,
                                            "fr", 42, &bad, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "document");
    assert_int_equal(inserts, 0);
}

static void test_outbox_refusals(void **state)
{
    (void)state;
    store s = {.ops = &capture_ops};
    error err = {0};
    static const struct {
        const char *channel, *recipient, *tmpl, *lang, *arg;
    } bad[] = {
        {"fax", "a@b.test", "request_ack", "fr", "channel"},
        {NULL, "a@b.test", "request_ack", "fr", "channel"},
        {"email", "", "request_ack", "fr", "recipient"},
        {"email", "pas-une-adresse", "request_ack", "fr", "recipient"},
        {"email", "a@b", "request_ack", "fr", "recipient"},
        {"email", "a@@b.test", "request_ack", "fr", "recipient"},
        {"email", "a b@c.test", "request_ack", "fr", "recipient"},
        {"email", "a@b.test\r\nBcc: x@y.test", "request_ack", "fr", "recipient"},
        {"email", ".a@b.test", "request_ack", "fr", "recipient"},
        {"email", "a..b@c.test", "request_ack", "fr", "recipient"},
        {"email", "a@-b.test", "request_ack", "fr", "recipient"},
        {"email", "a@b..test", "request_ack", "fr", "recipient"},
        {"email", "a@b.test.", "request_ack", "fr", "recipient"},
        {"email", "<a@b.test>", "request_ack", "fr", "recipient"},
        {"sms", "06 12 34 56 78", "request_ack", "fr", "recipient"},
        {"sms", "+12", "request_ack", "fr", "recipient"},
        {"email", "a@b.test", "Request-Ack", "fr", "template"},
        {"email", "a@b.test", "../etc/passwd", "fr", "template"},
        {"email", "a@b.test", "", "fr", "template"},
        {"email", "a@b.test", "request_ack", "de", "lang"},
    };
    inserts = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error_clear(&err);
        assert_int_equal(outbox_add_tx(&s, 1, bad[i].channel, bad[i].recipient, bad[i].tmpl, NULL,
                                       bad[i].lang, 0, &err),
                         -1);
        assert_true(err.code == ERR_INVALID_ARG || err.code == ERR_MISSING_ARG);
        assert_string_equal(err.arg, bad[i].arg);
    }
    json_t *arr = json_array();
    assert_int_equal(outbox_add_tx(&s, 1, "email", "a@b.test", "request_ack", arr, "fr", 0, &err),
                     -1);
    assert_string_equal(err.arg, "params");
    json_decref(arr);
    assert_int_equal(inserts, 0);
}

/* ---------------------------------------------------------------- templates and strings */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = malloc(1024 * 1024);
    assert_non_null(data);
    size_t n = fread(data, 1, 1024 * 1024 - 1, f);
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

/* Every templates/mail file compiled under the names web.c gives them: "mail/NAME.txt" for
 * text templates, "mail/NAME" for NAME.html. */
static tmpl_set *load_templates(void)
{
    tmpl_set *set = tmpl_set_new();
    assert_non_null(set);
    DIR *d = opendir("templates/mail");
    assert_non_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char path[512], name[300];
        if (n > 5 && strcmp(e->d_name + n - 5, ".html") == 0)
            snprintf(name, sizeof name, "mail/%.*s", (int)(n - 5), e->d_name);
        else if (n > 4 && strcmp(e->d_name + n - 4, ".txt") == 0)
            snprintf(name, sizeof name, "mail/%s", e->d_name);
        else
            continue;
        snprintf(path, sizeof path, "templates/mail/%s", e->d_name);
        size_t len;
        char *src = slurp(path, &len);
        error err = {0};
        if (tmpl_add(set, name, src, len, &err) != 0)
            fail_msg("%s: %s", path, err.detail);
        free(src);
        count++;
    }
    closedir(d);
    assert_true(count >= 17);
    return set;
}

/* The "t" tree of a language, straight from templates/i18n/<l>/mail.json. */
static json_t *load_strings(const char *l)
{
    char path[128];
    snprintf(path, sizeof path, "templates/i18n/%s/mail.json", l);
    json_error_t je;
    json_t *t = json_load_file(path, 0, &je);
    if (!t)
        fail_msg("%s:%d: %s", path, je.line, je.text);
    return t;
}

static void collect_keys(json_t *node, const char *prefix, char keys[][96], size_t *n)
{
    const char *k;
    json_t *v;
    json_object_foreach(node, k, v)
    {
        char full[96];
        snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_is_object(v)) {
            collect_keys(v, full, keys, n);
        } else {
            assert_true(json_is_string(v));
            assert_true(*n < 256);
            snprintf(keys[(*n)++], 96, "%s", full);
        }
    }
}

static void test_strings_same_keys(void **state)
{
    (void)state;
    static char keys[2][256][96];
    size_t n[2] = {0, 0};
    for (int li = 0; li < 2; li++) {
        json_t *t = load_strings(li ? "en" : "fr");
        assert_int_equal(json_object_size(t), 1);
        collect_keys(json_object_get(t, "mail"), "", keys[li], &n[li]);
        json_decref(t);
    }
    assert_int_equal(n[0], n[1]);
    assert_true(n[0] > 30);
    for (size_t i = 0; i < n[0]; i++)
        assert_string_equal(keys[0][i], keys[1][i]);
}

static json_t *sample_params(const char *name)
{
    const char *url = "https://ville.test/suivi/2026-000123?jeton=a%2Bb&x=1";
    const char *link = "https://ville.test/compte/verifier?jeton=Zy_9-x";
    if (strcmp(name, "request_ack") == 0)
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "reference", "2026-000123", "procedure",
                         "Nid-de-poule & trottoir", "tracking_url", url, "service_notice",
                         "Le service voirie intervient sous 8 jours ; l'équipe vous tiendra "
                         "informé(e).",
                         "due_date", "2026-12-04T08:48:17+01:00");
    if (strcmp(name, "request_reply") == 0)
        return json_pack("{s:s, s:s, s:s, s:s}", "reference", "2026-000123", "procedure",
                         "Question générale", "message",
                         "Bonjour,\nL'équipe passera <mardi>.\nCordialement", "tracking_url", url);
    if (strcmp(name, "request_status") == 0)
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "reference", "2026-000123", "procedure",
                         "Question générale", "status_label", "Résolue", "note",
                         "Réparé le 3 décembre.", "tracking_url", url);
    if (strcmp(name, "account_verify") == 0)
        return json_pack("{s:s, s:s}", "name", "Camille d'Arc", "link", link);
    return json_pack("{s:s}", "link", link);
}

/* One message rendered for a test: its context (the subject in it), text and HTML parts. */
typedef struct rendered {
    json_t *ctx;
    char *text, *html;
} rendered;

/* Template `name` rendered with params in language lc (strings: its mail.json), sent by «Ville
 * de Démo» with contact (NULL: none); fails the test on an error. */
static rendered render_or_fail(tmpl_set *set, const char *name, json_t *params, json_t *strings,
                               const char *lc, const char *contact)
{
    rendered r = {0};
    r.ctx = mail_context(name, params, strings, lc, "Ville de Démo", contact);
    assert_non_null(r.ctx);
    error err = {0};
    if (mail_render(set, name, r.ctx, &r.text, &r.html, &err) != 0)
        fail_msg("%s (%s): %s", name, lc, err.detail);
    assert_non_null(r.text);
    assert_non_null(r.html);
    return r;
}

static void rendered_free(rendered *r)
{
    free(r->text);
    free(r->html);
    json_decref(r->ctx);
}

static void test_templates_render(void **state)
{
    (void)state;
    static const char *const names[] = {"request_ack",   "account_verify", "account_exists",
                                        "account_reset", "account_login",  "request_reply",
                                        "request_status"};
    tmpl_set *set = load_templates();
    for (int li = 0; li < 2; li++) {
        const char *lc = li ? "en" : "fr";
        json_t *strings = load_strings(lc);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            json_t *params = sample_params(names[i]);
            rendered r = render_or_fail(set, names[i], params, strings, lc,
                                        "mairie@ville-demo.test, 04 00 00 00 00");
            json_t *ctx = r.ctx;
            const char *text = r.text, *html = r.html;
            const char *subject = json_string_value(json_object_get(ctx, "subject"));
            const char *base = json_string_value(json_object_get(
                json_object_get(json_object_get(strings, "mail"), names[i]), "subject"));
            assert_non_null(base);
            assert_true(strncmp(subject, base, strlen(base)) == 0);
            const char *ref = json_string_value(json_object_get(params, "reference"));
            const char *url = json_string_value(json_object_get(params, "tracking_url"));
            const char *link = json_string_value(json_object_get(params, "link"));
            if (ref) {
                assert_non_null(strstr(subject, ref));
                assert_non_null(strstr(text, ref));
                assert_non_null(strstr(html, ref));
            }
            /* The link as it is in the text part, escaped in the HTML part's href. */
            const char *target = url ? url : link;
            assert_non_null(target);
            assert_non_null(strstr(text, target));
            char href[300];
            snprintf(href, sizeof href, "href=\"%s\"", target);
            char *amp = strstr(href, "&x=1");
            if (amp)
                snprintf(amp, sizeof href - (size_t)(amp - href), "&amp;x=1\"");
            if (!strstr(html, href))
                fail_msg("%s (%s): no %s in\n%s", names[i], lc, href, html);
            /* Who sends it, in both parts; plain text has no entity left; no tag is open. */
            assert_non_null(strstr(text, "Ville de Démo"));
            assert_non_null(strstr(text, "mairie@ville-demo.test"));
            assert_non_null(strstr(html, "Ville de Démo"));
            assert_non_null(strstr(html, "mairie@ville-demo.test"));
            assert_null(strstr(text, "&#39;"));
            assert_null(strstr(text, "&amp;"));
            assert_null(strstr(text, "{{"));
            assert_null(strstr(text, "\n\n\n"));
            assert_null(strstr(html, "{{"));
            assert_null(strstr(html, "<img"));
            char lang_attr[32];
            snprintf(lang_attr, sizeof lang_attr, "<html lang=\"%s\">", lc);
            assert_non_null(strstr(html, lang_attr));
            assert_non_null(strstr(html, "<title>"));
            /* Links that expire say so. */
            if (strncmp(names[i], "account_", 8) == 0 && strcmp(names[i], "account_exists") != 0)
                assert_non_null(strstr(text, li ? "valid for" : "valable"));
            if (strcmp(names[i], "request_reply") == 0) {
                assert_non_null(strstr(text, "L'équipe passera <mardi>."));
                assert_non_null(strstr(html, "L&#39;équipe passera &lt;mardi&gt;."));
            }
            if (strcmp(names[i], "request_ack") == 0) {
                assert_non_null(strstr(text, li ? "4 December 2026" : "4 décembre 2026"));
                assert_null(strstr(text, "2026-12-04"));
            }
            if (strcmp(names[i], "account_verify") == 0)
                assert_non_null(strstr(text, "Camille d'Arc,"));
            /* And it composes. */
            mail_message m = {.from_addr = "ne-pas-repondre@ville-demo.test",
                              .from_name = "Ville de Démo",
                              .to_addr = "camille@exemple.test",
                              .subject = subject,
                              .text = text,
                              .html = html,
                              .lang_code = lc,
                              .date = 1790000000};
            char *raw = NULL;
            size_t len = 0;
            error err = {0};
            assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
            free(raw);
            rendered_free(&r);
            json_decref(params);
        }
        json_decref(strings);
    }
    /* A template that does not exist. */
    char *text = NULL, *html = NULL;
    error err = {0};
    json_t *ctx = json_object();
    assert_int_equal(mail_render(set, "nope", ctx, &text, &html, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_null(text);
    json_decref(ctx);
    tmpl_set_free(set);
}

/* The parapheur's mails (core/parapheur.c) and the notice of an issued document
 * (core/letter_tpl.c) name the document (its "document" parameter: the context's "title" is the
 * subject); the reminder goes to the élu, and to a delegate whose
 * délégation covers the day, who is told for whom, in both parts and both languages. */
static void test_parapheur_mails(void **state)
{
    (void)state;
    tmpl_set *set = load_templates();
    for (int li = 0; li < 2; li++) {
        const char *lc = li ? "en" : "fr";
        const char *said = li ? "You may sign it on behalf of: Élu adjoint"
                              : "Vous pouvez le signer par délégation de : Élu adjoint";
        json_t *strings = load_strings(lc);
        for (int delegate = 0; delegate < 2; delegate++) {
            json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "reference", "2026-000123",
                                       "document", "Arrêté de voirie", "since", "2026-12-01",
                                       "link", "https://ville.test/agent/parapheur/7");
            if (delegate)
                json_object_set_new(params, "for", json_string("Élu adjoint"));
            rendered r =
                render_or_fail(set, "sign_remind", params, strings, lc, "mairie@ville-demo.test");
            const char *text = r.text, *html = r.html;
            assert_non_null(strstr(text, "Arrêté de voirie"));
            assert_non_null(strstr(html, "Arrêté de voirie"));
            if (delegate) {
                assert_non_null(strstr(text, said));
                assert_non_null(strstr(html, said));
            } else {
                assert_null(strstr(text, "Élu adjoint"));
                assert_null(strstr(html, "Élu adjoint"));
            }
            assert_null(strstr(text, "{{"));
            assert_null(strstr(text, "\n\n\n"));
            rendered_free(&r);
            json_decref(params);
        }
        /* The refusal to the agent, and the citizen's notice of an issued document. */
        static const char *const named[] = {"sign_refused", "document_issued"};
        for (int k = 0; k < 2; k++) {
            json_t *params =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "reference", "2026-000123", "document",
                          "Arrêté de voirie", "by", "Élu maire", "comment", "À revoir", "procedure",
                          "Voirie", "tracking_url", "https://ville.test/suivi/2026-000123");
            rendered r = render_or_fail(set, named[k], params, strings, lc, NULL);
            assert_non_null(strstr(r.text, "Arrêté de voirie"));
            assert_non_null(strstr(r.html, "Arrêté de voirie"));
            rendered_free(&r);
            json_decref(params);
        }
        json_decref(strings);
    }
    tmpl_set_free(set);
}

/* The workflow timeouts' messages (core/workflow_timeout.c): the citizen's reminder in both
 * languages, the agents' reminder and warning (French; the date in words); no link, since core
 * knows no portal address: they say where to look instead. */
static void test_workflow_templates_render(void **state)
{
    (void)state;
    static const struct {
        const char *name, *lang, *must;
    } cases[] = {
        {"workflow_remind", "fr", "Nous attendons toujours"},
        {"workflow_remind", "en", "We are still waiting"},
        {"workflow_remind_agents", "fr", "Correction demandée"},
        {"workflow_warn", "fr", "12 février 2027"},
    };
    tmpl_set *set = load_templates();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *strings = load_strings(cases[i].lang);
        json_t *params =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "reference", "2027-000042", "procedure",
                      "Permis de construire", "status", "Correction demandée", "next_status",
                      "acceptée", "due_date", "2027-02-12T23:59:59+01:00");
        rendered r = render_or_fail(set, cases[i].name, params, strings, cases[i].lang,
                                    "mairie@ville-demo.test");
        const char *subject = json_string_value(json_object_get(r.ctx, "subject"));
        assert_non_null(strstr(subject, "2027-000042"));
        for (int part = 0; part < 2; part++) {
            const char *body = part ? r.html : r.text;
            assert_non_null(strstr(body, "2027-000042"));
            assert_non_null(strstr(body, cases[i].must));
            assert_null(strstr(body, "{{"));
            assert_null(strstr(body, "2027-02-12"));
        }
        rendered_free(&r);
        json_decref(params);
        json_decref(strings);
    }
    tmpl_set_free(set);
}

/* A header's value in the raw message ("" when absent), folded lines unfolded. */
static void raw_header(const char *raw, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *h = strstr(raw, key);
    out[0] = '\0';
    if (!h)
        return;
    h += strlen(key);
    size_t n = 0;
    while (*h && n + 1 < cap) {
        if (h[0] == '\r' && h[1] == '\n') {
            if (h[2] != ' ' && h[2] != '\t')
                break;
            /* A folded line: its break and indent read as one space. */
            h += 2;
            while (*h == ' ' || *h == '\t')
                h++;
            out[n++] = ' ';
            continue;
        }
        out[n++] = *h++;
    }
    out[n] = '\0';
}

static void test_compose_thread_headers(void **state)
{
    (void)state;
    mail_message m = sample();
    const char *refs[] = {"0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210",
                          NULL};
    m.message_id = "aaaabbbbccccddddeeeeffff00001111";
    m.reply_to = "demandes+2026-000123.9f3a0c1d2e4b5a67@reponses.ville-demo.test";
    m.references = refs;
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    char v[600];
    raw_header(raw, "Message-Id", v, sizeof v);
    if (!v[0])
        raw_header(raw, "Message-ID", v, sizeof v);
    /* The stored id: the same on every attempt. */
    assert_string_equal(v, "<aaaabbbbccccddddeeeeffff00001111@ville-demo.test>");
    raw_header(raw, "In-Reply-To", v, sizeof v);
    assert_string_equal(v, "<fedcba9876543210fedcba9876543210@ville-demo.test>");
    raw_header(raw, "References", v, sizeof v);
    assert_string_equal(v, "<0123456789abcdef0123456789abcdef@ville-demo.test> "
                           "<fedcba9876543210fedcba9876543210@ville-demo.test>");
    GMimeMessage *msg = parse(raw, len);
    InternetAddressList *rt = g_mime_message_get_reply_to(msg);
    assert_int_equal(internet_address_list_length(rt), 1);
    assert_string_equal(internet_address_mailbox_get_addr(
                            INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(rt, 0))),
                        m.reply_to);
    g_object_unref(msg);
    char *again = NULL;
    size_t again_len = 0;
    assert_int_equal(mail_compose(&m, &again, &again_len, &err), 0);
    char v2[600];
    raw_header(again, "Message-Id", v, sizeof v);
    raw_header(raw, "Message-Id", v2, sizeof v2);
    assert_string_equal(v, v2);
    free(again);
    free(raw);

    /* The first message of a thread: no In-Reply-To, no References. */
    const char *none[] = {NULL};
    m.references = none;
    assert_int_equal(mail_compose(&m, &raw, &len, &err), 0);
    assert_null(strstr(raw, "In-Reply-To"));
    assert_null(strstr(raw, "References"));
    free(raw);

    /* Nothing bends a header through an id or the reply address. */
    m.message_id = "abc>\r\nBcc: x@y.test";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "message_id");
    m.message_id = "abc";
    const char *bad[] = {"ok", "no@at", NULL};
    m.references = bad;
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "references");
    m.references = NULL;
    m.reply_to = "x@y.test\r\nBcc: z@w.test";
    assert_int_equal(mail_compose(&m, &raw, &len, &err), -1);
    assert_string_equal(err.arg, "reply_to");
}

/* Subjects carry no personal data: the template's fixed words, then at most the reference,
 * whatever the params hold (a name, an address, a message). */
static void test_subjects_without_personal_data(void **state)
{
    (void)state;
    for (int li = 0; li < 2; li++) {
        const char *lc = li ? "en" : "fr";
        json_t *strings = load_strings(lc);
        json_t *mail = json_object_get(strings, "mail");
        const char *name;
        json_t *section;
        json_object_foreach(mail, name, section)
        {
            const char *base = json_string_value(json_object_get(section, "subject"));
            if (!base)
                continue;
            /* Fixed words: no placeholder a param could fill. */
            assert_null(strchr(base, '{'));
            json_t *params =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "reference", "2026-000123", "procedure",
                          "Question générale", "name", "Jeanne Témoin", "address", "12 rue Témoin",
                          "message", "Texte libre témoin", "email", "jeanne@exemple.test");
            json_t *ctx = mail_context(name, params, strings, lc, "Ville de Démo", NULL);
            assert_non_null(ctx);
            char want[300];
            snprintf(want, sizeof want, "%s – 2026-000123", base);
            assert_string_equal(json_string_value(json_object_get(ctx, "subject")), want);
            json_decref(ctx);
            json_decref(params);
        }
        json_decref(strings);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_headers_and_parts),
        cmocka_unit_test(test_compose_text_only_and_ascii_subject),
        cmocka_unit_test(test_compose_long_lines_are_folded),
        cmocka_unit_test(test_compose_refuses_injection),
        cmocka_unit_test(test_compose_thread_headers),
        cmocka_unit_test(test_compose_attachment),
        cmocka_unit_test(test_attachment_name),
        cmocka_unit_test(test_outbox_add_document_tx),
        cmocka_unit_test(test_subjects_without_personal_data),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_unescape_text),
        cmocka_unit_test(test_outbox_add_tx),
        cmocka_unit_test(test_outbox_refusals),
        cmocka_unit_test(test_strings_same_keys),
        cmocka_unit_test(test_templates_render),
        cmocka_unit_test(test_workflow_templates_render),
        cmocka_unit_test(test_parapheur_mails),
    };
    /* mail_compose initialises GMime on first use; the parser used here needs it too. */
    mail_message m = sample();
    char *raw = NULL;
    size_t len = 0;
    error err = {0};
    if (mail_compose(&m, &raw, &len, &err) == 0)
        free(raw);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

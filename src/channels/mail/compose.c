/*
 * compose — pure helpers of the mail channel: the MIME message built with GMime, the retry
 * backoff, and the unescaping of the text part rendered by the HTML-escaping template engine.
 */
#include "channels/mail/mail.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/utf8.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* g_mime_init is not thread-safe and must run once per process. GMime is never shut down:
 * its tables live as long as the process. */
static void gmime_setup(void)
{
    g_mime_init();
}

void mail_gmime_init(void)
{
    pthread_once(&gmime_once, gmime_setup);
}

/* Entities written by util/tmpl's HTML escaping, and their characters. */
static const struct {
    const char *entity;
    char ch;
} entities[] = {
    {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},    {"&quot;", '"'},  {"&#34;", '"'},
    {"&#x22;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}, {"&apos;", '\''}, {"&#x2F;", '/'},
    {"&#47;", '/'},  {"&#x3D;", '='}, {"&#61;", '='},   {"&#x60;", '`'},  {"&#96;", '`'},
};

void mail_unescape_text(char *s)
{
    if (!s)
        return;
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == '&') {
            size_t i;
            for (i = 0; i < sizeof entities / sizeof entities[0]; i++) {
                size_t n = strlen(entities[i].entity);
                if (strncasecmp(r, entities[i].entity, n) == 0) {
                    *w++ = entities[i].ch;
                    r += n;
                    break;
                }
            }
            if (i < sizeof entities / sizeof entities[0])
                continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

/* 1 when s is non-empty UTF-8 without any control character (CR and LF included). */
static int header_value_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s);
    if (!utf8_valid(s, n) || utf8_has_control(s, n))
        return 0;
    return strchr(s, '\r') == NULL && strchr(s, '\n') == NULL && strchr(s, '\t') == NULL;
}

/* An address for headers and the envelope: plain ASCII, one "@", no spaces or brackets. */
static int address_ok(const char *a)
{
    if (!header_value_ok(a))
        return 0;
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("<>()[],;:\\\"", *p))
            return 0;
    return 1;
}

#define MAIL_ID_MAX 64
#define MAIL_REFERENCES_MAX 8

/* A Message-ID's left side as guichet makes them (the outbox's hex ids): nothing a header
 * could be bent with. */
static int id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > MAIL_ID_MAX)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._-", *p)))
            return 0;
    return 1;
}

/* The thread's References and In-Reply-To from m->references, or -1 for a bad id. */
static int thread_headers(GMimeObject *obj, const mail_message *m, const char *domain)
{
    if (!m->references || !m->references[0])
        return 0;
    char refs[MAIL_REFERENCES_MAX * (MAIL_ID_MAX + 260)] = "";
    size_t used = 0;
    const char *last = NULL;
    for (size_t i = 0; m->references[i]; i++) {
        if (i == MAIL_REFERENCES_MAX || !id_ok(m->references[i]))
            return -1;
        int n = snprintf(refs + used, sizeof refs - used, "%s<%s@%s>", used ? " " : "",
                         m->references[i], domain);
        if (n < 0 || (size_t)n >= sizeof refs - used)
            return -1;
        used += (size_t)n;
        last = m->references[i];
    }
    char irt[MAIL_ID_MAX + 260];
    snprintf(irt, sizeof irt, "<%s@%s>", last, domain);
    g_mime_object_set_header(obj, "In-Reply-To", irt, NULL);
    g_mime_object_set_header(obj, "References", refs, NULL);
    return 0;
}

static GMimeObject *text_part(const char *subtype, const char *content)
{
    /* The bytes are given as they are, with charset=utf-8: g_mime_text_part_set_text would
     * convert them to the "best" charset (ISO-8859-1 for most French text). */
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(content, strlen(content));
    GMimeDataWrapper *wrapper =
        g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(GMIME_PART(part), wrapper);
    g_object_unref(wrapper);
    g_object_unref(stream);
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
    /* Quoted-printable keeps French text readable in the raw message and lines under 76
     * characters whatever the template makes. */
    g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    return GMIME_OBJECT(part);
}

/* Adds a mailbox whose display name is encoded as UTF-8 (GMime would pick ISO-8859-1). */
static void add_mailbox(InternetAddressList *list, const char *name, const char *addr)
{
    InternetAddress *ia = internet_address_mailbox_new(name && *name ? name : NULL, addr);
    internet_address_set_charset(ia, "utf-8");
    internet_address_list_add(list, ia);
    g_object_unref(ia);
}

/* An unsubscribe URL that can stand between angle brackets in a header. */
static int unsubscribe_url_ok(const char *u)
{
    if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
        return 0;
    size_t n = 0;
    for (const char *p = u; *p; p++, n++)
        if (*p <= ' ' || *p > '~' || *p == '<' || *p == '>')
            return 0;
    return n <= 900;
}

/* A file name or a part of one: letters, digits, and "._-" where allowed. */
static int name_chars_ok(const char *s, const char *extra)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(extra, *p)))
            return 0;
    return 1;
}

int mail_attachment_name(const char *stem, const char *reference, int version, char *out,
                         size_t cap)
{
    if (!stem || !*stem || !reference || !*reference || !name_chars_ok(stem, "_-") ||
        !name_chars_ok(reference, "_-") || cap == 0)
        return -1;
    char v[24] = "";
    if (version > 1)
        snprintf(v, sizeof v, "-v%d", version);
    size_t limit = cap < MAIL_ATTACHMENT_NAME_MAX + 1 ? cap : MAIL_ATTACHMENT_NAME_MAX + 1;
    int n = snprintf(out, limit, "%s-%s%s.pdf", stem, reference, v);
    if (n < 0 || (size_t)n >= limit) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* A content type as "type/subtype" of token characters. */
static int media_type_ok(const char *t)
{
    const char *slash = strchr(t, '/');
    return slash && slash != t && slash[1] && !strchr(slash + 1, '/') && strlen(t) <= 100 &&
           name_chars_ok(t, "/.+-");
}

/* The attachment's part: base64, Content-Disposition attachment with its file name. */
static GMimeObject *attachment_part(const mail_message *m)
{
    const char *type = m->attachment_type ? m->attachment_type : "application/pdf";
    const char *slash = strchr(type, '/');
    char major[64];
    snprintf(major, sizeof major, "%.*s", (int)(slash - type), type);
    GMimePart *part = g_mime_part_new_with_type(major, slash + 1);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(m->attachment, m->attachment_len);
    GMimeDataWrapper *wrapper =
        g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, wrapper);
    g_object_unref(wrapper);
    g_object_unref(stream);
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_part_set_filename(part, m->attachment_name);
    g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
    return GMIME_OBJECT(part);
}

int mail_compose(const mail_message *m, char **out, size_t *out_len, error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!address_ok(m->from_addr))
        return error_set(err, ERR_INVALID_ARG, "from", "sender address is not valid");
    if (!address_ok(m->to_addr))
        return error_set(err, ERR_INVALID_ARG, "to", "recipient address is not valid");
    if (m->from_name && *m->from_name && !header_value_ok(m->from_name))
        return error_set(err, ERR_INVALID_ARG, "from_name", "sender name is not valid");
    if (!header_value_ok(m->subject))
        return error_set(err, ERR_INVALID_ARG, "subject", "subject is empty or not valid");
    if (!m->text || !utf8_valid(m->text, strlen(m->text)))
        return error_set(err, ERR_INVALID_ARG, "text", "text part is missing or not UTF-8");
    if (m->html && !utf8_valid(m->html, strlen(m->html)))
        return error_set(err, ERR_INVALID_ARG, "html", "HTML part is not UTF-8");
    if (m->reply_to && !address_ok(m->reply_to))
        return error_set(err, ERR_INVALID_ARG, "reply_to", "reply address is not valid");
    if (m->message_id && !id_ok(m->message_id))
        return error_set(err, ERR_INVALID_ARG, "message_id", "message id is not valid");
    if (m->list_unsubscribe && !unsubscribe_url_ok(m->list_unsubscribe))
        return error_set(err, ERR_INVALID_ARG, "list_unsubscribe", "unsubscribe URL is not valid");
    if (m->attachment && (m->attachment_len == 0 || !m->attachment_name || !*m->attachment_name ||
                          strlen(m->attachment_name) > MAIL_ATTACHMENT_NAME_MAX ||
                          !name_chars_ok(m->attachment_name, "._-") ||
                          (m->attachment_type && !media_type_ok(m->attachment_type))))
        return error_set(err, ERR_INVALID_ARG, "attachment", "the attachment is not valid");
    const char *domain = m->message_id_domain && *m->message_id_domain
                             ? m->message_id_domain
                             : strchr(m->from_addr, '@') + 1;

    pthread_once(&gmime_once, gmime_setup);

    int rc = -1;
    GMimeMessage *msg = NULL;
    GMimeFormatOptions *opts = NULL;
    GDateTime *date = NULL;
    char *msgid = NULL;
    char *text = NULL;

    msg = g_mime_message_new(TRUE);
    add_mailbox(g_mime_message_get_from(msg), m->from_name, m->from_addr);
    add_mailbox(g_mime_message_get_to(msg), NULL, m->to_addr);
    g_mime_message_set_subject(msg, m->subject, "utf-8");
    date = g_date_time_new_from_unix_utc(m->date);
    if (!date) {
        error_set(err, ERR_INVALID_ARG, "date", "date out of range");
        goto cleanup;
    }
    g_mime_message_set_date(msg, date);
    if (strlen(domain) > 255 ||
        strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789.-") != strlen(domain)) {
        error_set(err, ERR_INVALID_ARG, "message_id_domain", "message id domain is not valid");
        goto cleanup;
    }
    msgid = m->message_id ? g_strdup_printf("%s@%s", m->message_id, domain)
                          : g_mime_utils_generate_message_id(domain);
    g_mime_message_set_message_id(msg, msgid);
    GMimeObject *obj = GMIME_OBJECT(msg);
    if (m->reply_to)
        add_mailbox(g_mime_message_get_reply_to(msg), NULL, m->reply_to);
    if (thread_headers(obj, m, domain) != 0) {
        error_set(err, ERR_INVALID_ARG, "references", "a thread's message id is not valid");
        goto cleanup;
    }
    g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);
    /* RFC 3834: automatic replies must not answer this message. */
    g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated", NULL);
    g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All", NULL);
    if (m->lang_code && *m->lang_code && header_value_ok(m->lang_code))
        g_mime_object_set_header(obj, "Content-Language", m->lang_code, NULL);
    if (m->list_unsubscribe) {
        char *lu = g_strdup_printf("<%s>", m->list_unsubscribe);
        g_mime_object_set_header(obj, "List-Unsubscribe", lu, NULL);
        g_free(lu);
        g_mime_object_set_header(obj, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click", NULL);
    }

    GMimeObject *body = text_part("plain", m->text);
    if (m->html) {
        GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
        GMimeObject *html = text_part("html", m->html);
        /* RFC 2046: the preferred rendering last. */
        g_mime_multipart_add(alt, body);
        g_mime_multipart_add(alt, html);
        g_object_unref(body);
        g_object_unref(html);
        body = GMIME_OBJECT(alt);
    }
    if (m->attachment) {
        /* RFC 2046 5.1.3: the message first, then the file it announces. */
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
        GMimeObject *file = attachment_part(m);
        g_mime_multipart_add(mixed, body);
        g_mime_multipart_add(mixed, file);
        g_object_unref(body);
        g_object_unref(file);
        body = GMIME_OBJECT(mixed);
    }
    g_mime_message_set_mime_part(msg, body);
    g_object_unref(body);

    opts = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_DOS);
    text = g_mime_object_to_string(obj, opts);
    if (!text) {
        error_set(err, ERR_INTERNAL, NULL, "GMime could not serialise the message");
        goto cleanup;
    }
    size_t len = strlen(text);
    *out = malloc(len + 1);
    if (!*out) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory composing a message");
        goto cleanup;
    }
    memcpy(*out, text, len + 1);
    *out_len = len;
    rc = 0;
cleanup:
    g_free(text);
    if (opts)
        g_mime_format_options_free(opts);
    g_free(msgid);
    if (date)
        g_date_time_unref(date);
    if (msg)
        g_object_unref(msg);
    return rc;
}

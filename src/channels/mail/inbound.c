/*
 * inbound — parsing of one incoming e-mail with GMime (see inbound.h). GMime's parser recurses
 * into nested parts, so the message's Content-Type headers are counted on the raw bytes first:
 * a message that could nest deeper than the limits never reaches it.
 */
#include "channels/mail/inbound.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#include "channels/mail/mail.h"
#include "util/utf8.h"

const char *mail_in_kind_name(mail_in_kind k)
{
    switch (k) {
    case MAIL_IN_SPAM:
        return "spam";
    case MAIL_IN_BOUNCE:
        return "bounce";
    case MAIL_IN_AUTOREPLY:
        return "autoreply";
    default:
        return "message";
    }
}

/* Occurrences of "content-type:" at the start of a line, case-insensitive: an upper bound
 * of the parts GMime will build. */
static size_t count_content_types(const char *s, size_t len)
{
    static const char key[] = "content-type:";
    size_t k = sizeof key - 1, n = 0;
    for (size_t i = 0; i + k <= len; i++)
        if ((i == 0 || s[i - 1] == '\n') && strncasecmp(s + i, key, k) == 0)
            n++;
    return n;
}

/* A header value, raw and bounded, trimmed; NULL when absent. */
static const char *header_raw(GMimeObject *o, const char *name)
{
    const char *v = g_mime_object_get_header(o, name);
    if (!v || strnlen(v, MAIL_IN_MAX_HEADER + 1) > MAIL_IN_MAX_HEADER)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    return v;
}

static int starts_icase(const char *v, const char *prefix)
{
    return v && strncasecmp(v, prefix, strlen(prefix)) == 0;
}

/* ---- addresses ---- */

/* The first mailbox of an address list header, lowercased domain; sets *addr, *name. */
static int first_mailbox(GMimeMessage *m, GMimeAddressType type, arena *a, const char **addr,
                         const char **name)
{
    *addr = "", *name = "";
    InternetAddressList *l = g_mime_message_get_addresses(m, type);
    int n = l ? internet_address_list_length(l) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(l, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        const char *e = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        const char *nm = internet_address_get_name(ia);
        if (!e || strnlen(e, 255) >= 255 || !utf8_valid(e, strlen(e)))
            return 0;
        char *copy = arena_strdup(a, e);
        if (!copy)
            return -1;
        char *at = strrchr(copy, '@');
        for (char *p = at ? at : copy + strlen(copy); *p; p++)
            *p = (char)tolower((unsigned char)*p);
        *addr = copy;
        if (nm && strnlen(nm, 201) <= 200 && utf8_valid(nm, strlen(nm))) {
            char *nc = arena_strdup(a, nm);
            if (!nc)
                return -1;
            for (char *p = nc; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = ' ';
            *name = nc;
        }
        return 0;
    }
    return 0;
}

/* Adds one recipient address (as written) and its +tag. */
static int add_recipient(mail_in *out, const char *e, arena *a)
{
    if (!e || out->n_to >= MAIL_IN_MAX_TAGS || strnlen(e, 255) >= 255)
        return 0;
    char *lc = arena_strdup(a, e);
    if (!lc)
        return -1;
    for (char *p = lc; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < out->n_to; i++)
        if (strcmp(out->to[i], lc) == 0)
            return 0;
    out->to[out->n_to++] = lc;
    const char *plus = strchr(e, '+'), *at = strrchr(e, '@');
    if (plus && at && plus < at && out->n_tags < MAIL_IN_MAX_TAGS) {
        char *tag = arena_strndup(a, plus + 1, (size_t)(at - plus - 1));
        if (!tag)
            return -1;
        if (*tag)
            out->tags[out->n_tags++] = tag;
    }
    return 0;
}

static int add_list(mail_in *out, InternetAddressList *l, arena *a)
{
    int n = l ? internet_address_list_length(l) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia) &&
            add_recipient(out, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
                          a) != 0)
            return -1;
    }
    return 0;
}

/* A header holding one bare address (Delivered-To, X-Original-To). */
static int add_header_address(mail_in *out, GMimeObject *o, const char *name, arena *a)
{
    const char *v = header_raw(o, name);
    if (!v)
        return 0;
    InternetAddressList *l = internet_address_list_parse(NULL, v);
    int rc = add_list(out, l, a);
    if (l)
        g_object_unref(l);
    return rc;
}

/* ---- threading ---- */

static int add_ref(mail_in *out, const char *id, arena *a)
{
    if (!id || !*id || strlen(id) > 250 || out->n_refs >= MAIL_IN_MAX_REFS)
        return 0;
    for (size_t i = 0; i < out->n_refs; i++)
        if (strcmp(out->refs[i], id) == 0)
            return 0;
    const char *c = arena_strdup(a, id);
    if (!c)
        return -1;
    out->refs[out->n_refs++] = c;
    return 0;
}

/* The ids of a References-like header, newest (last) first. */
static int add_refs(mail_in *out, GMimeObject *o, const char *name, arena *a)
{
    const char *v = header_raw(o, name);
    if (!v)
        return 0;
    GMimeReferences *r = g_mime_references_parse(NULL, v);
    if (!r)
        return 0;
    int rc = 0;
    for (int i = g_mime_references_length(r) - 1; i >= 0 && rc == 0; i--)
        rc = add_ref(out, g_mime_references_get_message_id(r, i), a);
    g_mime_references_free(r);
    return rc;
}

/* ---- classification ---- */

static int is_spam(GMimeObject *o, const mail_in_config *cfg)
{
    const char *flag = header_raw(o, "X-Spam-Flag");
    if (starts_icase(flag, "yes"))
        return 1;
    if (!cfg || !cfg->spam_header || !*cfg->spam_header)
        return 0;
    const char *colon = strchr(cfg->spam_header, ':');
    if (!colon || colon == cfg->spam_header || colon - cfg->spam_header > 100)
        return 0;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(colon - cfg->spam_header), cfg->spam_header);
    const char *want = colon + 1;
    while (*want == ' ')
        want++;
    const char *v = header_raw(o, name);
    return v && *want && starts_icase(v, want);
}

static int is_autoreply(GMimeObject *o, const char *subject)
{
    const char *as = header_raw(o, "Auto-Submitted");
    if (as && !starts_icase(as, "no"))
        return 1;
    if (header_raw(o, "X-Autoreply") || header_raw(o, "X-Autorespond"))
        return 1;
    const char *prec = header_raw(o, "Precedence");
    if (starts_icase(prec, "bulk") || starts_icase(prec, "auto_reply") ||
        starts_icase(prec, "junk") || starts_icase(prec, "list"))
        return 1;
    const char *ms = header_raw(o, "X-MS-Exchange-Inbox-Rules-Loop");
    if (ms)
        return 1;
    static const char *const subjects[] = {
        "Out of Office", "Absence", "R\xc3\xa9ponse automatique", "Automatic reply", "Auto:",
        "Autoreply",     NULL};
    for (size_t i = 0; subjects[i]; i++)
        if (starts_icase(subject, subjects[i]))
            return 1;
    return 0;
}

static int null_sender(GMimeObject *o, const char *from_addr)
{
    const char *rp = header_raw(o, "Return-Path");
    if (rp && (strcmp(rp, "<>") == 0 || strcmp(rp, "") == 0))
        return 1;
    return starts_icase(from_addr, "mailer-daemon@") || starts_icase(from_addr, "postmaster@");
}

/* ---- the walk over the parts ---- */

typedef struct walk_state {
    mail_in *out;
    arena *a;
    int parts;
    const char *plain, *html;
    size_t html_len;
    int in_report; /* inside a multipart/report */
    error *err;
} walk_state;

/* The decoded bytes of a part, in the arena (NUL-terminated); NULL when out of memory. */
static const char *part_bytes(GMimePart *p, size_t *len, arena *a)
{
    GMimeDataWrapper *w = g_mime_part_get_content(p);
    *len = 0;
    if (!w)
        return arena_strdup(a, "");
    GMimeStream *s = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, s);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    char *copy = NULL;
    if (ba->len <= MAIL_IN_MAX_BYTES) {
        /* An empty GByteArray may have no data at all. */
        copy = arena_strndup(a, ba->len ? (const char *)ba->data : "", ba->len);
        *len = ba->len;
    }
    g_object_unref(s);
    return copy;
}

/* A text part in UTF-8 (GMime converts from the declared charset); NULL when none. */
static const char *text_utf8(GMimeTextPart *tp, size_t *len, arena *a)
{
    char *t = g_mime_text_part_get_text(tp);
    if (!t)
        return NULL;
    size_t n = strlen(t);
    if (n > 8 * (size_t)MAIL_IN_MAX_TEXT)
        n = 8 * (size_t)MAIL_IN_MAX_TEXT;
    char *c = arena_strndup(a, t, n);
    g_free(t);
    *len = c ? n : 0;
    return c;
}

/* Reads a delivery-status part: the first Status and Diagnostic-Code of a recipient. */
static void read_status(walk_state *st, const char *s)
{
    char reason[300] = "";
    const char *status = strcasestr(s, "\nStatus:");
    const char *diag = strcasestr(s, "\nDiagnostic-Code:");
    size_t used = 0;
    if (status) {
        status += 8;
        while (*status == ' ')
            status++;
        size_t k = strcspn(status, "\r\n");
        used = (size_t)snprintf(reason, sizeof reason, "%.*s", (int)(k > 20 ? 20 : k), status);
    }
    if (diag && used < sizeof reason - 2) {
        diag += 17;
        while (*diag == ' ')
            diag++;
        size_t k = strcspn(diag, "\r\n");
        snprintf(reason + used, sizeof reason - used, "%s%.*s", used ? " " : "",
                 (int)(k > 200 ? 200 : k), diag);
    }
    /* No personal data in the state's detail: the diagnostic's addresses are blanked. */
    for (char *p = reason; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = ' ';
    char *at;
    while ((at = strchr(reason, '@')) != NULL) {
        char *b = at, *e = at;
        while (b > reason && !strchr(" <>;:,()", b[-1]))
            b--;
        while (*e && !strchr(" <>;:,()", *e))
            e++;
        memset(b, '-', (size_t)(e - b));
        memcpy(b, "[adresse]", (size_t)(e - b) < 9 ? (size_t)(e - b) : 9);
    }
    if (reason[0])
        st->out->bounce_reason = arena_strdup(st->a, reason);
}

/* The id of the message a report returns (its headers as text/rfc822-headers or a
 * message/rfc822 part). */
static void read_returned_id(walk_state *st, GMimeObject *headers)
{
    if (st->out->bounce_of)
        return;
    const char *id = g_mime_object_get_header(headers, "Message-ID");
    if (!id)
        return;
    char *dec = g_mime_utils_decode_message_id(id);
    if (dec && strlen(dec) < 250)
        st->out->bounce_of = arena_strdup(st->a, dec);
    g_free(dec);
}

static int walk(walk_state *st, GMimeObject *o, int depth);

static int walk_part(walk_state *st, GMimeObject *o)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
    GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
    int attachment = cd && g_mime_content_disposition_is_attachment(cd);
    GMimePart *part = GMIME_PART(o);
    if (st->in_report && strcasecmp(type, "message") == 0 &&
        strcasecmp(sub, "delivery-status") == 0) {
        size_t n;
        const char *s = part_bytes(part, &n, st->a);
        if (s) {
            char *nl = arena_printf(st->a, "\n%s", s);
            if (nl)
                read_status(st, nl);
        }
        return 0;
    }
    if (st->in_report && strcasecmp(type, "text") == 0 && strcasecmp(sub, "rfc822-headers") == 0) {
        size_t n;
        const char *s = part_bytes(part, &n, st->a);
        if (s) {
            GMimeStream *ms = g_mime_stream_mem_new_with_buffer(s, n);
            GMimeParser *p = g_mime_parser_new_with_stream(ms);
            GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
            if (m) {
                read_returned_id(st, GMIME_OBJECT(m));
                g_object_unref(m);
            }
            g_object_unref(p);
            g_object_unref(ms);
        }
        return 0;
    }
    if (!attachment && GMIME_IS_TEXT_PART(o) && strcasecmp(sub, "plain") == 0 && !st->plain) {
        size_t n;
        st->plain = text_utf8(GMIME_TEXT_PART(o), &n, st->a);
        return 0;
    }
    if (!attachment && GMIME_IS_TEXT_PART(o) && strcasecmp(sub, "html") == 0 && !st->html) {
        st->html = text_utf8(GMIME_TEXT_PART(o), &st->html_len, st->a);
        return 0;
    }
    if (!attachment && strcasecmp(type, "text") == 0)
        return 0; /* another body alternative (text/enriched…): the first plain one stands */
    mail_in *out = st->out;
    if (out->n_files >= MAIL_IN_MAX_FILES) {
        out->n_files_left_out++;
        return 0;
    }
    const char *fn = g_mime_part_get_filename(part);
    size_t n;
    const char *data = part_bytes(part, &n, st->a);
    if (!data)
        return error_set(st->err, ERR_INTERNAL, NULL, "out of memory");
    if (n == 0)
        return 0;
    char *name =
        arena_strdup(st->a, fn && strlen(fn) < 200 && utf8_valid(fn, strlen(fn)) ? fn : "");
    if (!name)
        return error_set(st->err, ERR_INTERNAL, NULL, "out of memory");
    out->files[out->n_files++] = (mail_in_file){.filename = name, .data = data, .len = n};
    return 0;
}

static int walk(walk_state *st, GMimeObject *o, int depth)
{
    if (!o)
        return 0;
    if (depth > MAIL_IN_MAX_DEPTH)
        return error_set(st->err, ERR_TOO_LARGE, "message", "parts nested too deep");
    if (++st->parts > MAIL_IN_MAX_PARTS)
        return error_set(st->err, ERR_TOO_LARGE, "message", "too many parts");
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        GMimeContentType *ct = g_mime_object_get_content_type(o);
        int report = ct && g_mime_content_type_is_type(ct, "multipart", "report");
        int was = st->in_report;
        st->in_report = st->in_report || report;
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            if (walk(st, g_mime_multipart_get_part(mp, i), depth + 1) != 0)
                return -1;
        st->in_report = was;
        return 0;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        if (!m)
            return 0;
        if (st->in_report) {
            /* The returned message: its id says which of ours bounced; its text is not the
             * sender's words. */
            read_returned_id(st, GMIME_OBJECT(m));
            return 0;
        }
        /* A forwarded message is a file of the request, as the citizen attached it. */
        mail_in *out = st->out;
        if (out->n_files >= MAIL_IN_MAX_FILES) {
            out->n_files_left_out++;
            return 0;
        }
        char *s = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
        const char *copy = s ? arena_strdup(st->a, s) : NULL;
        size_t n = s ? strlen(s) : 0;
        g_free(s);
        if (!copy)
            return error_set(st->err, ERR_INTERNAL, NULL, "out of memory");
        out->files[out->n_files++] =
            (mail_in_file){.filename = "message.eml", .data = copy, .len = n};
        return 0;
    }
    if (GMIME_IS_PART(o))
        return walk_part(st, o);
    return 0;
}

/* Valid UTF-8 of at most MAIL_IN_MAX_TEXT characters, CR removed: a cut may have split a
 * character, and mail programs end lines with CRLF. */
static const char *clean_text(const char *t, arena *a)
{
    if (!t)
        return "";
    size_t n = strlen(t);
    char *c = arena_strndup(a, t, n);
    if (!c)
        return NULL;
    char *w = c;
    for (const char *r = c; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    n = (size_t)(w - c);
    while (n > 0 && !utf8_valid(c, n))
        c[--n] = '\0';
    c[utf8_prefix_bytes(c, n, MAIL_IN_MAX_TEXT)] = '\0';
    return c;
}

int mail_in_parse(const char *msg, size_t len, const mail_in_config *cfg, arena *a, mail_in *out,
                  error *err)
{
    memset(out, 0, sizeof *out);
    out->from_addr = out->from_name = out->subject = out->text = "";
    out->raw = msg;
    out->raw_len = len;
    if (len > MAIL_IN_MAX_BYTES)
        return error_set(err, ERR_TOO_LARGE, "message", "over %d bytes", MAIL_IN_MAX_BYTES);
    if (count_content_types(msg, len) > MAIL_IN_MAX_PARTS)
        return error_set(err, ERR_TOO_LARGE, "message", "too many parts");
    mail_gmime_init();
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    g_object_unref(p);
    g_object_unref(s);
    if (!m)
        return error_set(err, ERR_INVALID_ARG, "message", "not an e-mail message");
    GMimeObject *o = GMIME_OBJECT(m);
    int rc = -1;
    walk_state st = {.out = out, .a = a, .err = err};
    if (first_mailbox(m, GMIME_ADDRESS_TYPE_FROM, a, &out->from_addr, &out->from_name) != 0)
        goto oom;
    const char *subject = g_mime_message_get_subject(m);
    /* GMime decodes RFC 2047; a subject too long or not UTF-8 is left out. */
    size_t sn = subject ? strnlen(subject, MAIL_IN_MAX_HEADER + 1) : 0;
    if (subject && sn <= MAIL_IN_MAX_HEADER && utf8_valid(subject, sn)) {
        char *c = arena_strndup(a, subject, sn);
        if (!c)
            goto oom;
        for (char *q = c; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                *q = ' ';
        out->subject = c;
    }
    if (add_list(out, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO), a) != 0 ||
        add_header_address(out, o, "Delivered-To", a) != 0 ||
        add_header_address(out, o, "X-Original-To", a) != 0 ||
        add_list(out, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC), a) != 0 ||
        add_refs(out, o, "In-Reply-To", a) != 0 || add_refs(out, o, "References", a) != 0)
        goto oom;
    GMimeObject *body = g_mime_message_get_mime_part(m);
    GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;
    int report = ct && g_mime_content_type_is_type(ct, "multipart", "report");
    if (walk(&st, body, 0) != 0)
        goto done;
    if (report || null_sender(o, out->from_addr)) {
        out->kind = MAIL_IN_BOUNCE;
        if (!out->bounce_of && out->n_refs)
            out->bounce_of = out->refs[0];
        if (!out->bounce_reason)
            out->bounce_reason = "non distribu\xc3\xa9";
        rc = 0;
        goto done;
    }
    if (!*out->from_addr || !strchr(out->from_addr, '@')) {
        error_set(err, ERR_INVALID_ARG, "from", "no sender address");
        goto done;
    }
    if ((!cfg || !cfg->accept_spam) && is_spam(o, cfg))
        out->kind = MAIL_IN_SPAM;
    else if (is_autoreply(o, out->subject))
        out->kind = MAIL_IN_AUTOREPLY;
    const char *text = st.plain;
    if ((!text || !*text) && st.html)
        text = mail_in_html_text(st.html, st.html_len, a);
    text = clean_text(text, a);
    if (!text || mail_in_fold(text, a, &out->text, &out->folded) != 0)
        goto oom;
    rc = 0;
    goto done;
oom:
    error_set(err, ERR_INTERNAL, NULL, "out of memory");
done:
    g_object_unref(m);
    return rc;
}

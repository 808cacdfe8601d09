/*
 * mail — outgoing e-mail. The dispatcher is one thread that takes the due e-mails of the
 * outbox, renders each one's template (text and HTML, in the message's language), composes a
 * UTF-8 MIME message with GMime, hands it to the configured SMTP relay with libcurl and
 * records the outcome: sent, or retried later with exponential backoff. Each message goes
 * through its collectivité's own relay when it has one, else the server's. The relay being
 * down delays mail and loses none. The loop is channels/dispatch's. mail_compose is pure,
 * for tests.
 */
#ifndef GUICHET_CHANNELS_MAIL_H
#define GUICHET_CHANNELS_MAIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "present/present.h"
#include "util/error.h"
#include "util/tmpl.h"

/* ---- composing ---- */

typedef struct mail_message {
    const char *from_addr;         /* required, e.g. "ne-pas-repondre@ville-demo.fr" */
    const char *from_name;         /* display name (UTF-8); NULL or "": none */
    const char *to_addr;           /* required */
    const char *subject;           /* UTF-8; RFC 2047-encoded when not plain ASCII */
    const char *text;              /* UTF-8 text/plain part, required */
    const char *html;              /* UTF-8 text/html part; NULL: a text-only message */
    const char *lang_code;         /* Content-Language ("fr", "en"); NULL: none */
    int64_t date;                  /* unix seconds, for the Date header */
    const char *message_id_domain; /* right side of Message-ID; NULL: from_addr's domain */
    /* Left side of Message-ID: the outbox row's own id, the same on every attempt (a resent
     * message is recognised as the same one); NULL: a random one. */
    const char *message_id;
    const char *reply_to; /* Reply-To address; NULL: none */
    /* Left sides of the thread's earlier Message-IDs (same domain), oldest first,
     * NULL-terminated: the first is the thread's root, the last the message this one follows
     * (In-Reply-To); References lists them all. NULL or empty: a message of its own. */
    const char *const *references;
    /* A broadcast's unsubscribe URL (http or https, printable ASCII without spaces or angle
     * brackets); NULL: none. It becomes List-Unsubscribe with List-Unsubscribe-Post (RFC
     * 8058 one-click: a POST to it unsubscribes). */
    const char *list_unsubscribe;
    /* A file joined to the message (an issued document, loaded by the dispatcher): the body
     * then becomes the first part of a multipart/mixed, the file the second, base64, as an
     * attachment named attachment_name. NULL: none. */
    const void *attachment;
    size_t attachment_len;
    const char *attachment_name; /* 1 to MAIL_ATTACHMENT_NAME_MAX of [A-Za-z0-9._-] */
    const char *attachment_type; /* "type/subtype"; NULL: application/pdf */
} mail_message;

#define MAIL_ATTACHMENT_NAME_MAX 100

/* The name an issued document is joined under: stem (the kind's, from the strings, e.g.
 * "accuse-reception"), the request's reference, "-v<version>" after the first version, and
 * ".pdf" — no personal data. 0, or -1 when a part holds another character than
 * [A-Za-z0-9_-] or the name would be longer than MAIL_ATTACHMENT_NAME_MAX. */
int mail_attachment_name(const char *stem, const char *reference, int version, char *out,
                         size_t cap);

/* Builds the RFC 5322 message (CRLF line ends, ready for SMTP DATA): From, To, Subject,
 * Date, Message-ID, Reply-To, In-Reply-To and References when given, MIME-Version,
 * Auto-Submitted: auto-generated, List-Unsubscribe and List-Unsubscribe-Post when the message
 * has list_unsubscribe, and a
 * multipart/alternative body (text/plain then text/html, UTF-8, quoted-printable) or a
 * single text/plain part — inside a multipart/mixed with the attachment when there is one. *out is
 * malloc'ed (caller frees), NUL-terminated, *out_len bytes. -1 with ERR_INVALID_ARG when a field is
 * missing, not UTF-8, an address or the subject holds a control character (header injection), a
 * message id is not 1 to 64 letters, digits, dots, hyphens or underscores, or an attachment has no
 * bytes, a bad name or type (arg "attachment"). Thread-safe. */
int mail_compose(const mail_message *m, char **out, size_t *out_len, error *err);

/* Replaces the HTML entities the template engine writes (&amp; &lt; &gt; &quot; &#39; and
 * their numeric forms) by their characters, in place: the text part is rendered by the
 * same escaping engine as the HTML part and must read as plain text. */
void mail_unescape_text(char *s);

/* Initialises GMime once per process (g_mime_init is not thread-safe): before any use of it
 * outside mail_compose, which calls it itself (the incoming mail's parser). */
void mail_gmime_init(void);

/* ---- rendering (templates/mail/NAME.txt and NAME.html, strings "mail.*") ---- */

/* The context of a mail template: a deep copy of params (an object, or NULL) plus
 *   t        strings: the language's i18n tree, with "mail" (a reference is taken)
 *   lang     lang_code
 *   tenant   {name, contact}
 *   title    strings.mail.<template_name>.subject
 *   subject  params.subject (a broadcast's) or else title, followed by " – " and
 *            params.reference when there is one.
 * Caller decrefs. NULL when out of memory. */
json_t *mail_context(const char *template_name, json_t *params, json_t *strings,
                     const char *lang_code, const char *tenant_name, const char *tenant_contact);
/* Renders "mail/<name>.txt" into *text (entities unescaped, blank lines tidied) and, when the
 * set has it, "mail/<name>" into *html (else NULL). Both malloc'ed: caller frees. -1 with
 * ERR_NOT_FOUND when the text template is missing, or tmpl's error. */
int mail_render(const tmpl_set *set, const char *template_name, json_t *ctx, char **text,
                char **html, error *err);

/* ---- the dispatcher ---- */

#define MAIL_DEFAULT_TIMEOUT_S 10
/* The largest document joined to an e-mail: a larger one is announced with the tracking
 * page's link instead (mail servers commonly refuse messages of 10 MB and more, and base64
 * adds a third). */
#define MAIL_DEFAULT_ATTACHMENT_MAX (5 * 1024 * 1024)

typedef struct mailer_config {
    /* smtp://host:port (opportunistic STARTTLS, none on a loopback host), smtps://host:port
     * (implicit TLS): the server-wide default. A collectivité's own relay
     * (core/mail_settings.h) wins over it for its messages. NULL or "": the messages of a
     * collectivité without a relay of its own stay queued. */
    const char *smtp_url;
    const char *from_addr; /* envelope sender and From:, required with smtp_url */
    const char *from_name; /* From: display name; NULL or "": the collectivité's name */
    const char *helo;      /* EHLO name; NULL or "": the domain of from_addr */
    int poll_ms;           /* 0: DISPATCH_DEFAULT_POLL_MS (channels/dispatch.h) */
    int backoff_s;         /* first retry delay; 0: DISPATCH_DEFAULT_BACKOFF_S */
    int backoff_max_s;     /* 0: DISPATCH_DEFAULT_BACKOFF_MAX_S */
    int max_attempts;      /* attempts before giving up; 0: DISPATCH_DEFAULT_MAX_ATTEMPTS */
    int timeout_s;         /* SMTP connect and transfer timeouts; 0: MAIL_DEFAULT_TIMEOUT_S */
    /* Broadcast messages (outbox priority > 0) sent per second at most; 0: no limit. The
     * others are never held back. */
    int broadcast_rate;
    /* Bytes of a document joined to an e-mail at most (core/outbox.h's outbox_document);
     * 0: MAIL_DEFAULT_ATTACHMENT_MAX. A larger one goes as the tracking link, said in the
     * text (the template's "attachment.too_large"). */
    size_t attachment_max;
} mailer_config;

typedef struct mailer mailer;

/* Starts the dispatcher thread over c (the store's writer must be running), rendering with
 * p (borrowed: templates/mail/NAME.txt and NAME.html, strings "mail.*"; p must outlive the
 * mailer). cfg is copied. With an empty smtp_url the returned mailer sends nothing. Caller
 * stops it with mailer_stop before stopping the store's writer and closing p. NULL with err
 * (ERR_MISSING_ARG "mail-from", ERR_INVALID_ARG "smtp-url" or "present").
 */
mailer *mailer_start(core *c, const present *p, const mailer_config *cfg, error *err);
/* Asks for a pass over the outbox now (after queuing a message); never blocks. m may be
 * NULL. */
void mailer_wake(mailer *m);
/* Finishes the message in progress, then stops and frees; queued messages stay queued.
 * m may be NULL. */
void mailer_stop(mailer *m);

#define MAIL_TEST_ANSWER_MAX 200

/* Sends a message (subject and text given, UTF-8) to `to` through the collectivité's own
 * relay, on a thread of its own since SMTP may take up to MAIL_DEFAULT_TIMEOUT_S (counted:
 * the server's stop waits for it, dispatch_test_drain), and calls
 * cb(ctx, rc, err) from that thread: rc 0 when the relay accepted it, its last answer line
 * then written to answer (cap bytes, MAIL_TEST_ANSWER_MAX is enough; it must stay valid until
 * the callback); else -1 with err->detail the relay's answer or why it could not be reached
 * (ERR_UNAVAILABLE), or ERR_NOT_FOUND (arg "smtp_url") when the collectivité has no relay of
 * its own. -1 at once (no callback) for an address outbox_email_ok refuses (ERR_INVALID_ARG
 * "to") or when the thread cannot start. */
int mail_test_send(core *c, int64_t tenant_id, const char *to, const char *subject,
                   const char *text, char *answer, size_t cap, core_done_fn cb, void *ctx,
                   error *err);

#endif

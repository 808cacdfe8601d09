/*
 * inbound — e-mail coming in (the mailgate's POST /passerelle/mail): one RFC 5322 message
 * parsed with GMime under limits, classified (a citizen's message, spam, a bounce, an
 * auto-reply), its sender, threading headers and text taken out (HTML-only mail turned into
 * text with libxml2's HTML parser), the quoted history and signature folded away from the new
 * words, and its files listed for the portal's upload checks. Pure: no store, no clock; the
 * decision of what to do with it is mail_in_route's (inbound_route.c).
 */
#ifndef GUICHET_CHANNELS_MAIL_INBOUND_H
#define GUICHET_CHANNELS_MAIL_INBOUND_H

#include <stddef.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "util/arena.h"
#include "util/error.h"

/* The limits of one message. Anything over them is refused whole (never taken in part),
 * except files beyond MAIL_IN_MAX_FILES, which are left out and counted. */
#define MAIL_IN_MAX_BYTES (25 * 1024 * 1024) /* the whole message, as the mailgate sends it */
#define MAIL_IN_MAX_PARTS 64                 /* MIME parts, every level */
#define MAIL_IN_MAX_DEPTH 8                  /* nested multiparts and messages */
#define MAIL_IN_MAX_HEADER 4096              /* bytes of one header we read (Subject, From…) */
#define MAIL_IN_MAX_REFS 20                  /* message ids read from In-Reply-To, References */
#define MAIL_IN_MAX_TAGS 8                   /* recipients whose +tag is read */
#define MAIL_IN_MAX_FILES 5                  /* files kept (ATTACHMENT_MAX_FILES) */
#define MAIL_IN_MAX_TEXT 10000               /* characters of text kept (a citizen's message) */

typedef enum mail_in_kind {
    MAIL_IN_MESSAGE = 0, /* a person wrote: a new request or a reply */
    MAIL_IN_SPAM,        /* the MTA's filter flagged it: quarantined, answered to no one */
    MAIL_IN_BOUNCE,      /* a delivery report (DSN) or a MAILER-DAEMON notice */
    MAIL_IN_AUTOREPLY,   /* Auto-Submitted, X-Autoreply, Precedence bulk/auto_reply, absence */
} mail_in_kind;

const char *mail_in_kind_name(mail_in_kind k); /* "message", "spam", "bounce", "autoreply" */

typedef struct mail_in_file {
    const char *filename; /* as the sender named it (untrusted; "" when none) */
    const char *data;     /* decoded bytes, in the arena */
    size_t len;
} mail_in_file;

typedef struct mail_in {
    mail_in_kind kind;
    const char *from_addr; /* lowercased domain, as written local part; "" when none */
    const char *from_name; /* UTF-8 display name; "" when none */
    const char *subject;   /* UTF-8, decoded, no control characters; "" when none */
    /* Message ids (without <>) of In-Reply-To then References, newest first, deduplicated. */
    const char *refs[MAIL_IN_MAX_REFS];
    size_t n_refs;
    /* The "+tag" of each recipient (To, Cc, Delivered-To, X-Original-To) that has one:
     * "contact+2026-000123.abc" gives "2026-000123.abc". */
    const char *tags[MAIL_IN_MAX_TAGS];
    size_t n_tags;
    /* The recipients' addresses as written (To, Delivered-To, X-Original-To), lowercased:
     * which contact address the mail was sent to. */
    const char *to[MAIL_IN_MAX_TAGS];
    size_t n_to;
    const char *text;   /* the new words (UTF-8, CR removed); "" when none */
    const char *folded; /* quoted history and signature, NULL when none */
    mail_in_file files[MAIL_IN_MAX_FILES];
    size_t n_files;
    size_t n_files_left_out; /* files beyond MAIL_IN_MAX_FILES */
    /* MAIL_IN_BOUNCE: the id (without <>) of our message it reports on, NULL when the report
     * names none; the reason (a DSN Status and its diagnostic, ASCII, bounded), never NULL. */
    const char *bounce_of;
    const char *bounce_reason;
    /* The message as given to mail_in_parse (not copied): what is held when it is spam. */
    const char *raw;
    size_t raw_len;
} mail_in;

typedef struct mail_in_config {
    /* A header the MTA's filter sets on spam besides X-Spam-Flag: YES, as "Name: value"
     * (value compared case-insensitively, a prefix: "X-Spam-Status: Yes"); NULL: none. */
    const char *spam_header;
    int accept_spam; /* 1: an administrator accepted it: spam flags are not looked at */
} mail_in_config;

/* Parses msg (len bytes, any bytes) into *out, strings in a. -1 with ERR_TOO_LARGE (over
 * MAIL_IN_MAX_BYTES, too many parts or too deep), ERR_INVALID_ARG (not a message: no
 * header, no From of a person that is not a bounce) or ERR_INTERNAL (out of memory): a
 * message refused that way can never be taken. Thread-safe. cfg may be NULL. */
int mail_in_parse(const char *msg, size_t len, const mail_in_config *cfg, arena *a, mail_in *out,
                  error *err);

/* ---- text helpers (inbound_text.c), pure ---- */

/* The text of an HTML document (UTF-8, or the charset it declares): paragraphs, line breaks
 * and list items become lines, script and style are left out, entities decoded. In a;
 * NULL when out of memory. */
char *mail_in_html_text(const char *html, size_t len, arena *a);
/* Splits text at the start of its quoted history or signature: the attribution line
 * («Le … a écrit :», «On … wrote:») before a trailing block of quoted lines, «-----Original
 * Message-----» and its French forms, a trailing block of "> " lines, or the signature
 * separator "-- ". *fresh is the words before it (trailing blank lines removed), *folded the
 * rest or NULL when there is none. When nothing would stay, nothing is folded (*fresh is then
 * the whole text without its trailing blank lines). Strings in a;
 * -1 when out of memory. */
int mail_in_fold(const char *text, arena *a, const char **fresh, const char **folded);

/* ---- what to do with it (inbound_route.c) ---- */

/* The procedure a new e-mail is filed under (the shipped «Question générale»). */
#define MAIL_IN_PROCEDURE "question-generale"

typedef enum mail_in_outcome {
    MAIL_IN_CREATED = 0, /* a new request */
    MAIL_IN_THREADED,    /* a message on an existing request */
    MAIL_IN_DROPPED,     /* nothing stored as the citizen's: see reason */
    MAIL_IN_HELD,        /* spam: held for an administrator (core/mail_held.h) */
} mail_in_outcome;

typedef struct mail_in_result {
    mail_in_outcome outcome;
    char reference[REQUEST_REFERENCE_MAX + 1]; /* created or threaded into; "" when dropped */
    const char *reason;      /* DROPPED: "autoreply", "bounce", "spam", "empty"; static */
    int files_refused;       /* files the portal's checks refused, or beyond the limit */
    request_created created; /* CREATED: filled before cb */
} mail_in_result;

/* Decides what m becomes for tenant t and writes it: a message on the request its threading
 * names (the Reply-To token's +tag, our Message-IDs in In-Reply-To/References, or a
 * reference in the subject when the sender is that request's contact), else a new request
 * of the procedure of the contact address it was sent to (core/mail_contact.h), or
 * MAIL_IN_PROCEDURE (channel email, the sender's name and address, the acknowledgement
 * queued with links on base_url), files prepared with the portal's checks. Spam is held for
 * an administrator (m->raw must then stay valid until cb); bounces update the delivery state
 * of our message they return (out->outcome DROPPED, reason "bounce"; the relay cb goes
 * through is in a); neither, nor auto-replies, is stored as the citizen's or answered to
 * anyone. 1 when nothing is written (out->outcome DROPPED, cb never called); 0 when the write
 * is queued and cb(ctx, rc, err) will tell its outcome (cb NULL: when it is done), out (valid
 * until then) filled; -1 with err: ERR_UNAVAILABLE
 * (the antivirus or the store is busy: retry), ERR_CONFLICT "procedure" (t has no procedure
 * for e-mail: a configuration to fix, retry later), others. */
int mail_in_route(core *c, const cat_tenant *t, const mail_in *m, const char *base_url, arena *a,
                  mail_in_result *out, core_done_fn cb, void *ctx, error *err);

#endif

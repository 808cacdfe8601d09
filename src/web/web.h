/*
 * web — what every HTML page shares (the citizens' portal and the agents' back office): the page
 * context (collectivité branding, language, logged-in citizen, CSRF token), rendering with
 * the request's presentation handle (rq->present: templates, strings and view settings,
 * present/present.h), redirects, the HTML error page, sessions and CSRF checks. Page
 * handlers live in web/portal/ and web/backoffice/.
 *
 * Page context given to every template (web_context), to which handlers add their own:
 *   t        the strings of the page's language (the merged templates/i18n/<lang>/ files)
 *   lang     "fr" or "en";  other_lang: the other one (for the language switch)
 *   tenant   {name, slug, contact, hours, logo_url, colour, colour_text}
 *   user     {name, email} when a citizen is logged in, absent otherwise
 *   csrf     the CSRF token for hidden inputs named "csrf_token"
 *   path     the current path (for the language switch and "back" links)
 *   map      {tiles_url, attribution} for the optional map enhancement
 */
#ifndef GUICHET_WEB_WEB_H
#define GUICHET_WEB_WEB_H

#include <jansson.h>

#include "core/core.h"
#include "core/export.h"
#include "core/session.h"
#include "http/http.h"
#include "present/present.h"
#include "store/records.h"
#include "util/tmpl.h"

/* The session cookie's name: the server never answers a request carrying it from the
 * response cache. */
#define WEB_SESSION_COOKIE "guichet_session"
/* The agents' session cookie (distinct from the citizens' one: an agent can be a citizen too). */
#define WEB_AGENT_COOKIE "guichet_agent"
/* The agent of this request's agent session cookie (web_agent.c), answering nothing: 1 and
 * *out (strings in rq's arena), 0 when there is no live session (on a tenant's host).
 * *had_cookie says whether the browser sent one (an expired session). For the back office
 * and for the pages agents share with citizens (attachments). */
int web_agent(http_req *rq, store_agent *out, int *had_cookie);

/* Frees the shared pages (at shutdown, once no page is served). Pages render with the
 * presentation handle their request carries (rq->present, from http_config.present). */
void web_shutdown(void);

/* The portal's pages that core's e-mails link to (the tracking page, the account's
 * verification, login, reset and login-link pages): the server and the CLI give them to
 * core at open (core_config.links), since core does not know the portal's routes. */
extern const core_links web_portal_links;

/* 1 when an If-None-Match list ("a", W/"b", or *) names etag; weak comparison, as RFC 9110
 * asks for If-None-Match. */
int web_etag_matches(const char *header, const char *etag);

/* The static assets' route (/static/…, embedded in the binary). */
extern const http_route web_static_routes[];
/* The "/" mount's error writer: an HTML error page in the visitor's language. */
void web_write_error(http_req *rq, const error *err);

/* A form refused for now, its work not done (ERR_UNAVAILABLE: the password pool's queue is
 * full, the database is busy): 1 after adding Retry-After, and the caller shows the form
 * again with status 503, what was typed but never a password, and the message
 * "errors.busy_form" on the password field, which must be typed again; 0 for any other
 * error. */
int web_busy(http_req *rq, const error *err);

/* How a form tells about a file attachment_prepare refused. 0 when err is not about the
 * file (our fault, the disk): the caller answers it as an error page. Otherwise the status
 * of the form shown again with what was typed (400; 503 with Retry-After when the antivirus
 * could not scan the file) and *key, the string for the file input: `base` for a wrong type
 * or size, base + "_damaged", "_infected" or "_unscanned" (every area has all four). */
int web_file_refusal(http_req *rq, const char *base, const error *err, const char **key);

/* The tenant of this request (Host), or NULL after answering 404 itself. */
const cat_tenant *web_tenant(http_req *rq);
/* A new page context (see above); the caller adds its fields and passes it to web_render. */
json_t *web_context(http_req *rq);
/* The context of a page without any form, for anonymous visitors: no CSRF token, no cookie,
 * so the page is the same for everyone and *cacheable is 1. For a logged-in citizen it is
 * web_context (the layout's logout form needs the token) and *cacheable is 0. */
json_t *web_context_public(http_req *rq, int *cacheable);
/* Renders template `name` with ctx (its reference is taken) as the response. */
void web_render(http_req *rq, int status, const char *name, json_t *ctx);
/* Form pages that are the same for every anonymous visitor but for the CSRF token: 1 when
 * the page `key` (unique for the page's content: procedure, step…; the tenant and language
 * are added) was answered from memory with this visitor's token; 0 when the caller must
 * build its context and call web_render_shared. Logged-in visitors always get 0. */
int web_shared_page(http_req *rq, const char *key);
void web_render_shared(http_req *rq, const char *key, int status, const char *name,
                       json_t *ctx);
/* Frees the shared pages (at shutdown). */
void web_shared_pages_free(void);
/* 303 to a local path, adding nothing else. */
void web_redirect(http_req *rq, const char *path);

/* Takes a token from the bucket "name:<client address>[:extra]" (extra NULL: the address
 * alone). When it is empty, answers 429 (the HTML error page, with Retry-After) and returns
 * -1: the handler must return at once. */
int web_limit(http_req *rq, const char *name, const char *extra, double rate, double burst);
/* The same for a bucket every client shares, "name:extra": e.g. the e-mails one address is
 * sent, whoever asks for them. */
int web_limit_shared(http_req *rq, const char *name, const char *extra, double rate,
                     double burst);
/* The same for a bucket of one account or one agent, "name:<id>" (an export, a deletion):
 * from any address, so that a stolen session does not multiply the allowance. */
int web_limit_id(http_req *rq, const char *name, int64_t id, double rate, double burst);
/* The limits of a login form, the same for the portal and the back office: a bucket per
 * client address ("<name>-ip") and one per address and e-mail as typed ("<name>", folded by
 * web_email_key). When one is empty, answers 429 and returns -1: the handler must return. */
int web_limit_login(http_req *rq, const char *name, const char *email);
/* An e-mail address as rate limits count it: folded as lookups fold it (account_email_fold,
 * for citizens and agents), so that " Alice@x" and "alice@x" share a bucket. In the
 * request's arena. */
const char *web_email_key(http_req *rq, const char *email);

/* Where this request comes from, as core's audit log writes it: "web <client address>"
 * (http_audit_source), for the portal and the back office alike. */
const char *web_audit_source(http_req *rq);
/* fr, or en for an English visitor when the administrator gave it. */
const char *web_in_lang(http_req *rq, const char *fr, const char *en);
/* A procedure's name, description and after-filing notice in the visitor's language (the
 * French where the administrator gave no English). */
const char *web_procedure_name(http_req *rq, const cat_procedure *p);
const char *web_procedure_description(http_req *rq, const cat_procedure *p);
const char *web_procedure_notice(http_req *rq, const cat_procedure *p);
/* The name of the icon procedure p shows (present/icons.h); a report's default when p is
 * NULL (a procedure no longer in the catalogue). Static storage. */
const char *web_procedure_icon(const cat_procedure *p);

/* Who reads a status: an agent (the workflow's agent labels, every status) or a citizen (the
 * citizen labels; a status hidden from citizens shows as the one before it, core/workflow.h). */
typedef enum web_reader { WEB_CITIZEN = 0, WEB_AGENT = 1 } web_reader;
/* label with its first letter (ASCII) as a capital, in rq's arena (label itself when out of
 * memory). */
const char *web_capitalised(http_req *rq, const char *label);
/* The same in arena a (a stream's rows, after the request's arena is gone). */
const char *web_capitalised_in(arena *a, const char *label);
/* The label of status code of a request of procedure p (NULL: no longer in the catalogue, then
 * the code itself), starting with a capital as it stands alone. In rq's arena. */
const char *web_status_label(http_req *rq, const cat_procedure *p, const char *code, lang l,
                             web_reader who);
/* Sets in o "status" (the code the reader sees), "status_label" (web_status_label) and
 * "status_colour" (the badge's palette name: .badge--blue…); returns the label. */
const char *web_set_status(http_req *rq, json_t *o, const cat_procedure *p, const char *code,
                           lang l, web_reader who);
/* The network a client address stands for, as the counts kept per client (rate limits
 * aside) name it: an IPv4 address itself (an IPv4-mapped IPv6 address too), an IPv6
 * address its /64, since one host may use a whole /64. In the request's arena; the address
 * as given when it does not parse. */
const char *web_client_network(http_req *rq);

/* The message keys of a typed text's refusals, in the strings of one area. */
typedef struct web_text_messages {
    const char *empty, *characters, *too_long;
} web_text_messages;

/* A text typed into a form (util/text's one check: trimmed, valid UTF-8, no control
 * characters but line breaks and tabs, at most max_chars): the text in rq's arena, or NULL
 * with *msg_key set to m's key for the refusal (nothing set when it is empty and not
 * required). */
const char *web_text_field(http_req *rq, const char *s, size_t max_chars, int required,
                           const web_text_messages *m, const char **msg_key);

/* The form of a page that takes files (a route flagged HTTP_ROUTE_FILES): its fields in *f
 * and its files in *files and *n_files, after the CSRF check; files the server did not keep
 * are listed with their reason (http_file.refused: over --max-upload, beyond --max-files),
 * for the page to tell. 0, or -1 once the refusal is answered. */
int web_form_and_files(http_req *rq, form *f, http_file **files, size_t *n_files);
/* web_form_and_files for a page that does not tell about files beyond --max-files: such a
 * form is answered with an error page (400 naming the limit). A file over --max-upload
 * comes with data "" and its length, which attachment_prepare refuses as too large. */
int web_form_with_files(http_req *rq, form *f, http_file **files, size_t *n_files);
/* A file's size in the page's language («2,3 Mo», «2.3 MB»; util/text's text_file_size with
 * the strings common.size_*), in rq's arena. */
const char *web_file_size(http_req *rq, int64_t bytes);
/* What a document is called on a page: its title, else its kind's name in the page's language
 * (documents.verify.kinds.*). In rq's arena or the strings'. */
const char *web_document_label(http_req *rq, const store_document *d);
/* The limits of files sent with a form (--max-files, --max-upload, as core's uploads
 * directory holds them), and how pages say them («5», «10 Mo»; in rq's arena). */
typedef struct web_upload_limits {
    size_t files, file_bytes;
    const char *files_words, *size_words;
} web_upload_limits;
web_upload_limits web_upload_limits_of(http_req *rq);
/* `pattern` (a string of the page's language, e.g. a file input's hint) with «{count}» and
 * «{size}» replaced by the limits' words, in rq's arena. */
const char *web_upload_hint(http_req *rq, const char *pattern);
/* The owner of this browser's kept uploads for `scope` (core/upload_stash.h: e.g. the
 * collectivité and the procedure of a form), 64 hex characters into out: a keyed hash of
 * the browser's CSRF cookie, so that they follow the browser and no one else. -1 when the
 * browser has no CSRF cookie. */
int web_upload_owner(http_req *rq, const char *scope, char out[65]);

/* The CSRF token of this browser (sets its cookie on first use). */
const char *web_csrf_token(http_req *rq);
/* 0 when form's "csrf_token" matches this browser's; otherwise answers 403 with a clear
 * page and returns -1: the handler must return at once. */
int web_check_csrf(http_req *rq, const form *f);

/* The admission of the web's forms (an http_admit): a body is read only from a browser that
 * holds a CSRF cookie, since every form checks its token against it; otherwise answers 403
 * as web_check_csrf does, before the body is sent. */
int web_admit_form(http_req *rq);

/* The logged-in citizen: 1 and *out (strings in rq->arena), or 0. Looked up once per
 * request. */
int web_account(http_req *rq, store_account *out);
/* Logging a citizen in: the session is opened by the write that proves who they are
 * (session_open after a checked password, or the job that spends an e-mailed link), so that
 * the proof and the session commit together. web_login_prepare makes the opening (a fresh
 * session id, ending this browser's current one: no fixation; in rq's arena, NULL when out
 * of memory) to pass to that write; once it is durable, web_login_done(rq, o, 1) sets the
 * cookie and a fresh CSRF secret. web_login_done(rq, o, 0) after a failure only wipes it. */
session_opening *web_login_prepare(http_req *rq);
void web_login_done(http_req *rq, session_opening *o, int ok);
/* Logout: clears the session cookie and renews the CSRF secret at once, and ends the
 * session's row with session_destroy (cb, ctx and the return value as there; without a
 * session cb is called at once). */
int web_logout(http_req *rq, core_done_fn cb, void *ctx, error *err);
/* Only the browser's side of a logout (the row went already, e.g. with the account). */
void web_logout_cookies(http_req *rq);

/* Answers with the citizen's archive of plan (core/export.h), which it takes: a ZIP
 * streamed as it is made, with a LISEZMOI.txt in the visitor's language, as an attachment
 * named after the collectivité and the day, never stored by any cache. On a failure before
 * the first byte, the HTML error page. (export_send.c) */
void web_send_export(http_req *rq, const cat_tenant *t, export_plan *plan);

#endif

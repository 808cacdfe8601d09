/*
 * http — the HTTP entrance: a libmicrohttpd server (epoll thread pool), strict parsing of the
 * query string and urlencoded bodies, a route table, per-request arenas, rate limits,
 * security headers, one log line per request, and suspension of a connection while its
 * write waits for the group commit.
 *
 * Handlers (in api/ and web/) receive an http_req, read its inputs, and either answer with
 * http_respond*() or suspend with http_suspend() and answer later from http_resume()'s
 * continuation.
 */
#ifndef GUICHET_HTTP_HTTP_H
#define GUICHET_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/form.h"

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS_OUT 12

typedef struct http_req http_req;
typedef void (*http_handler)(http_req *rq);

typedef enum http_method {
    HTTP_GET = 1,
    HTTP_POST = 2,
    HTTP_PATCH = 4,
    HTTP_PUT = 8,
    HTTP_DELETE = 16,
    HTTP_HEAD = 32,
    HTTP_OPTIONS = 64,
} http_method;

/* Or-ed into a route's methods: the route takes multipart/form-data with files. Its body
 * may reach max_upload × max_files + max_body, and file parts are streamed to temporary
 * files as they arrive (http_form_files); a part over max_upload, or beyond max_files, is
 * read and dropped, and the form still reaches its handler. Other routes take max_body and
 * no file. */
#define HTTP_ROUTE_FILES (1u << 16)

/* Or-ed into a route's methods: its raw body (not a form) may be as long as a form with
 * files, max_upload × max_files + max_body: the e-mail gateway's messages. */
#define HTTP_ROUTE_LARGE (1u << 17)

/* One route. Patterns are literal segments and "{}" captures; a last segment may end in
 * ".{fmt}" to capture a format suffix: "/open311/v2/requests/{}.{fmt}". */
typedef struct http_route {
    unsigned methods; /* http_method bits, and HTTP_ROUTE_FILES */
    const char *pattern;
    http_handler handler;
} http_route;

struct http_req {
    arena *arena;         /* freed when the response is done */
    core *core;
    /* The presentation (templates, strings, view settings) for the pages; borrowed from
     * http_config.present, opaque to the server. NULL when the server has none. */
    const struct present *present;
    const catalogue *cat; /* acquired for the request's lifetime */
    const cat_tenant *host_tenant; /* tenant chosen by Host; NULL if none matches */
    http_method method;
    const char *path;      /* decoded path */
    const char *params[HTTP_MAX_PARAMS]; /* decoded "{}" captures, in order */
    const char *format;    /* ".{fmt}" capture ("json", "xml"), NULL when none */
    form query;            /* parsed query string */
    const char *body;      /* raw body, NUL-terminated; NULL when none */
    size_t body_len;
    const char *client_ip;
    lang lang;             /* from ?lang= or Accept-Language: fr by default */
    void *user;            /* free for the handler: state kept across suspension */
    int cacheable;         /* set by http_cacheable */
    /* response, filled by http_respond* */
    int status;
    const char *content_type;
    buf out;               /* response body */
    const char *headers_out[HTTP_MAX_HEADERS_OUT][2];
    size_t n_headers_out;
    /* private to the server */
    void *priv;
};

/* How an entrance writes an error in its own format (Open311 errors list, JSON API error
 * object…). The server uses it for what it detects before a handler runs: a malformed query
 * string, a body over the limit, a rate limit, an unknown path or method under the prefix. */
typedef void (*http_error_writer)(http_req *rq, const error *err);

/* Decides, on the headers alone, whether a request with a body may send it: 0 to read the
 * body and run the handler, or -1 after answering (a missing session, a missing CSRF
 * cookie…), and the body is never read. rq has its route, host tenant, query and cookies;
 * not its body. */
typedef int (*http_admit)(http_req *rq);

/* A set of routes under a path prefix, with its error format. */
typedef struct http_mount {
    const char *prefix; /* "/open311/v2/" */
    const http_route *routes;
    http_error_writer write_error; /* NULL: plain text */
    http_admit admit;              /* NULL: every body is read */
    /* 1: served whatever the Host, because its routes choose their collectivité themselves
     * (Open311 jurisdiction_id, ?tenant=) or need none (static files). 0: when the database
     * holds several collectivités, a Host that names none of them is refused with 421. */
    int any_host;
} http_mount;

typedef struct http_config {
    const char *listen;     /* "127.0.0.1:8080" */
    unsigned threads;       /* pool size; 0: number of cores */
    size_t max_body;        /* urlencoded and JSON bodies; default 1 MiB */
    double rate_ip;         /* requests per second per client address (0: unlimited) */
    double burst_ip;
    double rate_key;        /* writes per second per API key (0: unlimited) */
    double burst_key;
    const char *public_url; /* base URL of every link (http_base_url); NULL: from each
                               collectivité's first host name */
    size_t max_upload;      /* one file part of a form, on routes taking files; 10 MiB */
    size_t max_files;       /* file parts kept per request at most; default 5. A form with
                               files may be max_upload × max_files + max_body long */
    const char *upload_tmp_dir; /* where file parts are streamed (unlinked files); NULL:
                                   /tmp */
    unsigned conn_per_address;  /* open connections per client address; 0: no cap;
                                   default 128 */
    int header_timeout_ms;  /* request headers must arrive within this of the connection's
                               start or previous answer; also a body's grace period;
                               default 20 s; 0: none */
    size_t min_body_rate;   /* bytes/s a body must average after its grace; default 1024 */
    /* Reverse proxies in front of the server: their connections are not capped, and the
     * client address of their requests is read from X-Forwarded-For. */
    const char *const *trusted_proxies;
    size_t n_trusted_proxies;
    int secure_cookies;     /* add Secure to every cookie (behind TLS); without public_url,
                               cookies get it anyway when the collectivité's links are
                               https */
    const char *csp;        /* Content-Security-Policy of every response; NULL: a strict
                               default (self only, no frames) */
    size_t cache_bytes;     /* response cache for GETs marked cacheable; 0: none */
    const char *session_cookie; /* a request carrying this cookie is personal: never answered
                                   from the cache */
    int cache_ttl_ms;       /* longest life of a cached response */
    const struct present *present; /* handed to every request (rq->present); borrowed, must
                                      outlive the server; NULL: none */
} http_config;

/* Fills cfg with the defaults. */
void http_config_defaults(http_config *cfg);

typedef struct http_server http_server;
/* Starts serving the mounts (array terminated by a NULL prefix; routes NULL-handler
 * terminated, tried in order). NULL and err on failure (e.g. address in use). */
http_server *http_server_start(core *c, const http_config *cfg, const http_mount *mounts,
                               error *err);
/* Stops accepting, lets the requests in flight finish (up to timeout_ms), stops. */
void http_server_stop(http_server *srv, int timeout_ms);
/* Bound port (useful with port 0). */
int http_server_port(const http_server *srv);
/* Requests between their request line and their completion, now. */
int http_server_in_flight(const http_server *srv);
const http_config *http_server_config(const http_server *srv);

/* ---- for handlers ---- */

/* A request header (case-insensitive), NULL when absent. */
const char *http_header(http_req *rq, const char *name);
/* Adds a response header; both strings must live until the response is sent (literals or
 * the request's arena). */
void http_add_header(http_req *rq, const char *name, const char *value);
/* Sets status and content type; the body is whatever the handler wrote into rq->out. */
void http_respond(http_req *rq, int status, const char *content_type);
/* A body produced piece by piece, for downloads too large to hold in memory (a citizen's
 * archive with their files). read(cls, out, max) writes up to max bytes into out and returns
 * how many (> 0), 0 at the end, or -1 on a failure: the connection is then cut, so that the
 * client sees a broken download, never a complete-looking truncated one. It runs on the
 * connection's server thread, after the handler returned. */
typedef long (*http_stream_read)(void *cls, char *out, size_t max);
/* Answers with a streamed body: status, content type and headers as usual, the body from
 * read (rq->out is ignored). cls is owned by the response from now on: free_fn(cls) (may be
 * NULL) is called once the response is done or could not be sent, whatever happened. cls
 * must not point into rq's arena, which may be freed first. */
void http_respond_stream(http_req *rq, int status, const char *content_type,
                         http_stream_read read, void (*free_fn)(void *cls), void *cls);
/* A small plain-text answer (used for 404 on unknown routes and similar). */
void http_respond_text(http_req *rq, int status, const char *text);
/* Answers err in the format of the mount the request came in on; adds Retry-After for
 * ERR_UNAVAILABLE and ERR_RATE_LIMITED. */
void http_respond_error(http_req *rq, const error *err);
/* The application/x-www-form-urlencoded body parsed strictly (empty form when no body).
 * -1 with err (bad encoding, invalid UTF-8, too many fields) or ERR_UNSUPPORTED when the
 * body is of another type. multipart/form-data bodies are accepted too: their text fields
 * end up in the same form (file parts are refused with ERR_UNSUPPORTED for now). */
int http_form_body(http_req *rq, form *out, error *err);
/* Why a file part's bytes were not kept (http_file.refused). The form and the part's name
 * still reach the handler, which tells the visitor. */
typedef enum http_file_refusal {
    HTTP_FILE_KEPT = 0,
    HTTP_FILE_TOO_LARGE, /* over max_upload: read and dropped; len is the bytes that came */
    HTTP_FILE_TOO_MANY,  /* beyond the files a request may keep: read and dropped */
} http_file_refusal;

/* A file part of a multipart/form-data body. It was streamed to an unlinked temporary file
 * while the body arrived (the heap never holds it); data maps that file read-only. A part
 * refused has data "" and len the bytes received. */
typedef struct http_file {
    const char *field;    /* form field name */
    const char *filename; /* as sent by the client: untrusted, may be "" */
    const char *data;     /* valid until the response is done */
    size_t len;
    http_file_refusal refused;
} http_file;

/* The greatest number of file parts one body may name (kept or refused); a body with more is
 * refused whole (ERR_INVALID_ARG naming the field): past a browser's use, not a citizen's. */
#define HTTP_FILE_PARTS_MAX(max_files) ((max_files) + 16)

/* Like http_form_body, but file parts of a multipart body are returned in *files (in the
 * arena) instead of refused: the first max_files kept (unless over the size limit), the
 * others marked HTTP_FILE_TOO_MANY. Empty file inputs (no name, no data) are skipped. */
int http_form_files(http_req *rq, form *out, http_file **files, size_t *n_files,
                    size_t max_files, error *err);

/* The key of `Authorization: Bearer <key>` (blanks around it trimmed), in rq's arena; NULL
 * with ERR_UNAUTHORIZED when the header is absent, of another scheme or empty. */
const char *http_bearer(http_req *rq, error *err);

/* A request cookie, NULL when absent. */
const char *http_cookie(http_req *rq, const char *name);
/* Adds a Set-Cookie header: Path=/, SameSite=Lax, HttpOnly when http_only, Secure when the
 * server is configured so; max_age < 0: a browser-session cookie, 0: delete it. name and
 * value must be cookie-safe (base64url tokens, short codes). */
void http_set_cookie(http_req *rq, const char *name, const char *value, long max_age,
                     int http_only);
/* 303 See Other to a local path ("/suivi/2026-000001?…"); anything form_local_path refuses
 * is replaced by "/" (no open redirects). */
void http_redirect(http_req *rq, const char *location);

/* Consumes one token from the per-key bucket: 0, or -1 with ERR_RATE_LIMITED (and a
 * Retry-After header prepared). */
int http_ratelimit_key(http_req *rq, int64_t key_id, error *err);
/* The same for a named bucket (e.g. "login:<ip>", "signup:<ip>") with its own rate (per
 * second) and burst: forms that must resist guessing and flooding. */
int http_ratelimit(http_req *rq, const char *bucket, double rate, double burst, error *err);
/* Base URL of links to collectivité t's pages ("https://grc.ville.fr", no trailing
 * slash), from the configuration only, never from the request's Host header (the links go
 * into e-mails: a client must not choose where they lead). In order: public_url when set;
 * else t's first host name, as http://NAME:PORT (this server's port) for a name of the local
 * machine or a test domain (localhost, *.localhost, *.test, 127.x.x.x, [::1]) and as
 * https://NAME for any other; else (t NULL or without host names) http://LISTEN-ADDRESS:PORT.
 * The string lives in the arena or the configuration. */
const char *http_base_url(http_req *rq, const cat_tenant *t);

/* Where this request comes from, as core's audit log writes it: "<entrance> <client
 * address>" ("web 192.0.2.1", "api 2001:db8::1"; "unknown" without an address), in rq's
 * arena; the entrance alone when the arena is full. The one spelling of a source for every
 * entrance served over HTTP. */
const char *http_audit_source(http_req *rq, const char *entrance);

/* Marks a GET response as cacheable: public data whose bytes depend only on the Host, the
 * language and the URI (path and query). The server keeps it until the next write, a
 * catalogue change or the TTL, whichever comes first. */
void http_cacheable(http_req *rq);

/* ---- waiting for a durable write ----
 * A handler that writes suspends its connection until the group commit made the change
 * durable, then answers from a continuation:
 *     http_wait *w = http_wait_begin(rq, cont);
 *     int rc = request_update(…, http_wait_done, w, &err);
 *     http_wait_started(w, rc, &err);
 * and in cont, http_wait_result(rq) gives the outcome. */
typedef struct http_wait {
    int rc;    /* 0: written and durable */
    error err; /* when rc is -1 */
} http_wait;

/* Suspends rq for one write whose outcome goes to cont. The result lives in the request's
 * arena. */
http_wait *http_wait_begin(http_req *rq, http_handler cont);
/* The core_done_fn to give the write, with the http_wait as its context. */
void http_wait_done(void *ctx, int rc, const error *err);
/* Call with the write call's own return value: a write refused at once (rc -1, nothing
 * queued, no callback to come) resumes at once with that error. */
void http_wait_started(http_wait *w, int rc, const error *err);
/* In the continuation: the outcome of the write (NULL when none was started). */
const http_wait *http_wait_result(http_req *rq);

/* Suspends the connection: the handler returns without answering; later, from any thread,
 * http_resume(rq, cont) makes the server call cont(rq) on a server thread, and cont
 * answers. Call http_suspend BEFORE starting the asynchronous work. */
void http_suspend(http_req *rq);
void http_resume(http_req *rq, http_handler cont);

#endif

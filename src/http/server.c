/*
 * server — libmicrohttpd glue: connection state, body collection with limits, routing to
 * the mounted tables, suspension for asynchronous writes, response headers and the access
 * log line. The response is always queued on a handler call after the first one, which is
 * what keeps libmicrohttpd's keep-alive working (FIELD-NOTES: libmicrohttpd).
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/attachment.h"
#include "http/cache.h"
#include "http/conns.h"
#include "http/ratelimit.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define URI_MAX 8192
#define ARENA_MAX (64u * 1024 * 1024)
#define OUT_MAX (32u * 1024 * 1024)
/* Bytes asked of a streamed body at a time: libmicrohttpd's write buffer for it. */
#define STREAM_BLOCK (64u * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    core *core;
    http_config cfg;
    const http_mount *mounts;
    ratelimit *rl_ip;
    ratelimit *rl_key;
    http_cache *cache;
    conns *conns;
    /* Limiters of http_ratelimit, one per (rate, burst) pair, made on first use. */
    pthread_mutex_t named_lock;
    struct {
        double rate, burst;
        ratelimit *rl;
    } named[16];
    atomic_int in_flight;
    atomic_int suspended; /* requests waiting for their write */
    atomic_int stopping;  /* set by http_server_stop: admit nothing new */
    int port;
    char listen_url[300]; /* "http://" + listen address with the bound port */
};

typedef enum conn_state {
    STATE_HEADERS = 0, /* first handler call not seen yet */
    STATE_BODY,        /* collecting the body */
    STATE_SUSPENDED,   /* waiting for http_resume */
    STATE_RESUMED,     /* continuation ready to run */
    STATE_ANSWERED,
} conn_state;

/* A file part of a multipart body, streamed to an unlinked temporary file. */
typedef struct upload_part {
    const char *field;
    const char *filename;
    int fd; /* -1 when the part was refused (or empty) */
    size_t len;
    http_file_refusal refused;
    void *map; /* mapped by http_form_files; unmapped when the request ends */
} upload_part;

/* multipart/form-data through libmicrohttpd's post processor: text fields are collected
 * into the request's arena; file parts go to temporary files when the route takes files
 * (parts != NULL), else they are refused. */
typedef struct mp_state {
    arena *arena;
    form_field *fields;
    size_t count;
    upload_part *parts; /* NULL: files refused */
    size_t n_parts, max_parts;
    size_t n_stored;       /* parts written to a file */
    size_t max_stored;     /* parts written at most: max_files */
    size_t max_file_bytes; /* one part at most: max_upload */
    const char *tmp_dir;
    size_t text_left; /* bytes of text fields still allowed */
    buf value;        /* the text field being received */
    const char *key;
    const char *filename; /* NULL for a text field */
    int fd;               /* the file part being received, -1 when none */
    size_t file_len;
    http_file_refusal file_refused; /* the file part being received is being dropped */
    int announced; /* the current part got only libmicrohttpd's empty first call so far */
    int failed;    /* err says why */
    error err;
} mp_state;

/* A streamed body (http_respond_stream): handed to libmicrohttpd, which frees it. */
typedef struct stream_body {
    http_stream_read read;
    void (*free_fn)(void *cls);
    void *cls;
} stream_body;

/* A write a request waits for (http_wait_begin). */
typedef struct wait_state {
    http_wait pub; /* first: an http_wait * is a wait_state * */
    http_req *rq;
    http_handler cont;
} wait_state;

typedef struct conn_ctx {
    http_req rq;
    http_server *srv;
    struct MHD_Connection *conn;
    const http_mount *mount;
    _Atomic conn_state state; /* written by http_resume from the writer thread too */
    const char *raw_uri;
    const char *method_name;
    buf body;
    int body_too_large;
    int body_oom; /* the body fitted its limit but not in memory */
    int uri_too_long;
    int has_body;       /* announced by Content-Length or Transfer-Encoding */
    size_t body_seen;   /* bytes of body received */
    int answered_early; /* refused on its headers: the body is not read */
    const http_route *route;
    conn_entry *entry;            /* the connection's watch entry; NULL when unwatched */
    struct MHD_PostProcessor *pp; /* a multipart body being streamed */
    mp_state mp;
    int streamed; /* the body went through pp: the form is in mp */
    http_handler cont;
    int64_t start_ms;
    wait_state wait_store; /* one write per request at most */
    wait_state *wait;      /* &wait_store once a write started */
    const char *cache_key; /* GETs only */
    size_t cache_key_len;
    http_cache_stamp cache_stamp; /* taken before the handler read anything */
    stream_body stream;           /* read set: the body is streamed (not yet handed over) */
    /* Last: everything above is zeroed for each request, the arena's 2 KiB first block is
     * not (arena_init makes it empty; each allocation zeroes its own bytes). */
    arena arena;
} conn_ctx;

void http_config_defaults(http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->threads = 0;
    cfg->max_body = 1024 * 1024;
    cfg->rate_ip = 50;
    cfg->burst_ip = 200;
    cfg->rate_key = 20;
    cfg->burst_key = 100;
    cfg->max_upload = 10u * 1024 * 1024;
    cfg->max_files = 5;
    cfg->conn_per_address = 128;
    cfg->header_timeout_ms = 20000;
    cfg->min_body_rate = 1024;
    cfg->cache_bytes = 64u * 1024 * 1024;
    cfg->cache_ttl_ms = 1000;
}

void http_cacheable(http_req *rq)
{
    rq->cacheable = 1;
}

/* ---- responses ---- */

void http_add_header(http_req *rq, const char *name, const char *value)
{
    if (rq->n_headers_out < HTTP_MAX_HEADERS_OUT) {
        rq->headers_out[rq->n_headers_out][0] = name;
        rq->headers_out[rq->n_headers_out][1] = value;
        rq->n_headers_out++;
    }
}

void http_respond(http_req *rq, int status, const char *content_type)
{
    rq->status = status;
    rq->content_type = content_type;
}

void http_respond_stream(http_req *rq, int status, const char *content_type, http_stream_read read,
                         void (*free_fn)(void *cls), void *cls)
{
    conn_ctx *ctx = rq->priv;
    if (ctx->stream.read && ctx->stream.free_fn)
        ctx->stream.free_fn(ctx->stream.cls);
    ctx->stream.read = read;
    ctx->stream.free_fn = free_fn;
    ctx->stream.cls = cls;
    http_respond(rq, status, content_type);
}

/* Releases a streamed body that was never handed to libmicrohttpd. */
static void stream_drop(conn_ctx *ctx)
{
    if (ctx->stream.read && ctx->stream.free_fn)
        ctx->stream.free_fn(ctx->stream.cls);
    memset(&ctx->stream, 0, sizeof ctx->stream);
}

/* libmicrohttpd's content reader over http_stream_read: 0 from read is the end (MHD reads a
 * 0 as "nothing yet, ask again"), -1 cuts the connection. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    stream_body *sb = cls;
    long n = sb->read(sb->cls, out, max);
    if (n > 0)
        return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    stream_body *sb = cls;
    if (sb->free_fn)
        sb->free_fn(sb->cls);
    free(sb);
}

void http_respond_text(http_req *rq, int status, const char *text)
{
    buf_reset(&rq->out);
    buf_puts(&rq->out, text);
    buf_putc(&rq->out, '\n');
    http_respond(rq, status, "text/plain; charset=utf-8");
}

/* 1 when the response already has header `name`. */
static int has_response_header(const http_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_headers_out; i++)
        if (strcasecmp(rq->headers_out[i][0], name) == 0)
            return 1;
    return 0;
}

void http_respond_error(http_req *rq, const error *err)
{
    conn_ctx *ctx = rq->priv;
    if ((err->code == ERR_UNAVAILABLE || err->code == ERR_RATE_LIMITED) &&
        !has_response_header(rq, "Retry-After"))
        http_add_header(rq, "Retry-After", err->code == ERR_UNAVAILABLE ? "2" : "1");
    if (err->code == ERR_INTERNAL)
        log_error("internal error on %s %s: %s", ctx->method_name, rq->path ? rq->path : "?",
                  err->detail);
    buf_reset(&rq->out);
    stream_drop(ctx);
    if (ctx->mount && ctx->mount->write_error) {
        ctx->mount->write_error(rq, err);
        if (rq->status == 0)
            http_respond(rq, err_http_status(err->code), "text/plain; charset=utf-8");
        return;
    }
    http_respond_text(rq, err_http_status(err->code), err_message(err->code, rq->lang));
}

/* Headers every response carries (docs/security.md, V14.4), with the Content-Security-Policy
 * from the configuration (it names the map tile server when there is one). A handler may
 * set a stricter value of its own (a page holding an e-mailed token says
 * Referrer-Policy: no-referrer): its value then replaces the default one. */
static const char *const security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "same-origin"},
};

#define DEFAULT_CSP                                                                                \
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "        \
    "base-uri 'self'; form-action 'self'"

/* 1 when the handler set header `name` itself. */
static int handler_header(const http_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_headers_out; i++)
        if (strcasecmp(rq->headers_out[i][0], name) == 0)
            return 1;
    return 0;
}

static enum MHD_Result queue(conn_ctx *ctx)
{
    http_req *rq = &ctx->rq;
    if (rq->status == 0) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "handler answered nothing");
        http_respond_error(rq, &e);
    }
    if (rq->out.failed) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "response larger than the output limit");
        buf_reset(&rq->out);
        rq->n_headers_out = 0;
        http_respond_error(rq, &e);
    }
    if (rq->cacheable && rq->status == 200 && rq->n_headers_out == 0 && ctx->cache_key &&
        rq->content_type)
        http_cache_put(ctx->srv->cache, ctx->cache_key, ctx->cache_key_len, &ctx->cache_stamp,
                       rq->content_type, buf_cstr(&rq->out), rq->out.len);
    struct MHD_Response *resp;
    if (ctx->stream.read) {
        stream_body *sb = malloc(sizeof *sb);
        if (!sb) {
            stream_drop(ctx);
            return MHD_NO;
        }
        *sb = ctx->stream;
        memset(&ctx->stream, 0, sizeof ctx->stream);
        /* Unknown length: chunked under HTTP/1.1, so a cut connection is seen as one. */
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader, sb,
                                                 stream_free);
        if (!resp) {
            stream_free(sb);
            return MHD_NO;
        }
    } else {
        size_t len = 0;
        char *body = buf_steal(&rq->out, &len);
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(body);
            return MHD_NO;
        }
    }
    if (rq->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rq->content_type);
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        if (!handler_header(rq, security_headers[i][0]))
            MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    MHD_add_response_header(resp, "Content-Security-Policy",
                            ctx->srv->cfg.csp ? ctx->srv->cfg.csp : DEFAULT_CSP);
    for (size_t i = 0; i < rq->n_headers_out; i++)
        MHD_add_response_header(resp, rq->headers_out[i][0], rq->headers_out[i][1]);
    enum MHD_Result r = MHD_queue_response(ctx->conn, (unsigned)rq->status, resp);
    MHD_destroy_response(resp);
    ctx->state = STATE_ANSWERED;
    return r;
}

/* ---- request inputs ---- */

const char *http_header(http_req *rq, const char *name)
{
    conn_ctx *ctx = rq->priv;
    return MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, name);
}

const char *http_audit_source(http_req *rq, const char *entrance)
{
    const char *source =
        arena_printf(rq->arena, "%s %s", entrance, rq->client_ip ? rq->client_ip : "unknown");
    return source ? source : entrance;
}

const char *http_base_url(http_req *rq, const cat_tenant *t)
{
    conn_ctx *ctx = rq->priv;
    const http_server *srv = ctx->srv;
    /* Core's rule, which jobs without a request use too; the listen URL when nothing makes
     * one (the server is listening, so that happens only before core knows its port). */
    char *url = arena_alloc(rq->arena, CORE_URL_MAX);
    if (!url || core_base_url(rq->core, t, url, CORE_URL_MAX) != 0)
        return srv->listen_url;
    return url;
}

static const struct {
    const char *name;
    http_method m;
} methods[] = {
    {"GET", HTTP_GET},       {"POST", HTTP_POST}, {"PATCH", HTTP_PATCH},     {"PUT", HTTP_PUT},
    {"DELETE", HTTP_DELETE}, {"HEAD", HTTP_HEAD}, {"OPTIONS", HTTP_OPTIONS},
};

static http_method parse_method(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].m;
    return 0;
}

static lang pick_lang(http_req *rq)
{
    const char *q = form_get(&rq->query, "lang");
    if (q)
        return strcmp(q, "en") == 0 ? LANG_EN : LANG_FR;
    const char *al = http_header(rq, "Accept-Language");
    if (al) {
        while (*al == ' ')
            al++;
        if (strncasecmp(al, "en", 2) == 0)
            return LANG_EN;
    }
    return LANG_FR;
}

/* Ends the part being received: a text field joins the form, a file part its list. -1 with
 * st->err. */
static int mp_flush(mp_state *st)
{
    if (!st->key)
        return 0;
    const char *key = st->key;
    st->key = NULL;
    if (st->filename) {
        const char *name = st->filename;
        int fd = st->fd;
        size_t len = st->file_len;
        http_file_refusal refused = st->file_refused;
        st->filename = NULL;
        st->fd = -1;
        st->file_len = 0;
        st->file_refused = HTTP_FILE_KEPT;
        if (fd < 0 && !*name && !refused)
            return 0; /* an empty file input (no name, no data) */
        if (st->n_parts >= st->max_parts) {
            if (fd >= 0)
                close(fd);
            return error_set(&st->err, ERR_INVALID_ARG, key, "at most %zu files at once",
                             st->max_parts);
        }
        upload_part *p = &st->parts[st->n_parts++];
        p->field = key;
        p->filename = name;
        p->fd = fd;
        p->len = len;
        p->refused = refused;
        return 0;
    }
    if (st->count >= FORM_MAX_FIELDS)
        return error_set(&st->err, ERR_TOO_LARGE, NULL, "too many fields");
    form_field *f = &st->fields[st->count++];
    f->name = key;
    f->value = arena_strndup(st->arena, buf_cstr(&st->value), st->value.len);
    f->value_len = st->value.len;
    buf_reset(&st->value);
    return f->value ? 0 : error_set(&st->err, ERR_INTERNAL, NULL, "out of memory");
}

/* A new unlinked temporary file for a file part: nothing is left behind by a crash. */
static int mp_open_file(mp_state *st)
{
    const char *path =
        arena_printf(st->arena, "%s/" ATTACHMENT_PARTIAL_PREFIX "XXXXXX", st->tmp_dir);
    char *tmpl = path ? arena_strdup(st->arena, path) : NULL;
    int fd = tmpl ? mkostemp(tmpl, O_CLOEXEC) : -1;
    if (fd < 0)
        return error_set(&st->err, ERR_UNAVAILABLE, NULL, "cannot store an uploaded file");
    unlink(tmpl);
    st->fd = fd;
    st->file_len = 0;
    return 0;
}

static int mp_write(mp_state *st, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(st->fd, data, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return error_set(&st->err, ERR_UNAVAILABLE, NULL, "cannot store an uploaded file");
        data += w;
        size -= (size_t)w;
        st->file_len += (size_t)w;
    }
    return 0;
}

static enum MHD_Result mp_iterator(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *transfer_encoding, const char *data, uint64_t off,
                                   size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    mp_state *st = cls;
    if (st->failed)
        return MHD_NO;
    if (filename && !st->parts) {
        error_set(&st->err, ERR_UNSUPPORTED, "media",
                  "file uploads are not accepted here; give a media_url instead");
        st->failed = 1;
        return MHD_NO;
    }
    if (off == 0) {
        /* libmicrohttpd announces a part with an empty call (offset 0, no data) when its first
         * bytes have not arrived yet, then calls again at offset 0 with them: the same part,
         * not a second one. Taken as two, a slow client's field read as an empty value
         * followed by the real one (form_get finds the empty one: a CSRF token lost, a
         * choice ignored) and a file as an empty part plus the file. */
        int repeated = st->key && st->announced && key && strcmp(st->key, key) == 0 &&
                       (st->filename == NULL) == (filename == NULL) &&
                       (!filename || strcmp(st->filename, filename) == 0);
        if (!repeated) {
            if (mp_flush(st) != 0) {
                st->failed = 1;
                return MHD_NO;
            }
            st->key = arena_strdup(st->arena, key);
            st->filename = filename ? arena_strdup(st->arena, filename) : NULL;
            if (!st->key || (filename && !st->filename)) {
                error_set(&st->err, ERR_INTERNAL, NULL, "out of memory");
                st->failed = 1;
                return MHD_NO;
            }
        }
        st->announced = size == 0;
    } else if (size > 0) {
        st->announced = 0;
    }
    if (st->filename) {
        if (size == 0)
            return MHD_YES;
        if (st->fd < 0 && !st->file_refused) {
            if (st->n_parts >= st->max_parts) {
                error_set(&st->err, ERR_INVALID_ARG, st->key, "at most %zu files at once",
                          st->max_parts);
                st->failed = 1;
                return MHD_NO;
            }
            if (st->n_stored >= st->max_stored) {
                st->file_refused = HTTP_FILE_TOO_MANY;
            } else {
                if (mp_open_file(st) != 0) {
                    st->failed = 1;
                    return MHD_NO;
                }
                st->n_stored++;
            }
        }
        if (!st->file_refused && st->file_len + size > st->max_file_bytes) {
            /* Over the limit of one file: the rest of the part is read and dropped, so that
             * the form's other fields still arrive and the visitor is told which file. */
            st->file_refused = HTTP_FILE_TOO_LARGE;
            if (st->fd >= 0) {
                close(st->fd);
                st->fd = -1;
                st->n_stored--; /* its place goes to the next file */
            }
        }
        if (st->file_refused) {
            st->file_len += size;
            return MHD_YES;
        }
        if (mp_write(st, data, size) != 0) {
            st->failed = 1;
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (size > st->text_left) {
        error_set(&st->err, ERR_TOO_LARGE, st->key, "the form's text is over the body limit");
        st->failed = 1;
        return MHD_NO;
    }
    if (buf_append(&st->value, data, size) != 0) {
        error_set(&st->err, ERR_UNAVAILABLE, st->key, "out of memory receiving the form");
        st->failed = 1;
        return MHD_NO;
    }
    st->text_left -= size;
    return MHD_YES;
}

/* Prepares st for a body; parts: room for HTTP_FILE_PARTS_MAX(max_files) parts, of which
 * max_files are written (each up to max_file_bytes), or NULL to refuse files. */
static int mp_init(mp_state *st, arena *a, size_t text_max, upload_part *parts, size_t max_files,
                   size_t max_file_bytes, const char *tmp_dir)
{
    memset(st, 0, sizeof *st);
    st->arena = a;
    st->fd = -1;
    st->text_left = text_max;
    st->parts = parts;
    st->max_parts = parts ? HTTP_FILE_PARTS_MAX(max_files) : 0;
    st->max_stored = max_files;
    st->max_file_bytes = max_file_bytes;
    st->tmp_dir = tmp_dir;
    buf_init(&st->value, text_max);
    buf_set_secret(&st->value);
    st->fields = arena_alloc(a, sizeof *st->fields * FORM_MAX_FIELDS);
    return st->fields ? 0 : error_set(&st->err, ERR_INTERNAL, NULL, "out of memory");
}

/* Ends a body fed to pp: the last part is flushed, the parser must have seen the end. */
static void mp_finish(mp_state *st, struct MHD_PostProcessor *pp)
{
    if (!st->failed && mp_flush(st) != 0)
        st->failed = 1;
    enum MHD_Result r = MHD_destroy_post_processor(pp);
    if (!st->failed && (r != MHD_YES || st->key)) {
        error_set(&st->err, ERR_BAD_REQUEST, NULL, "malformed multipart body");
        st->failed = 1;
    }
    if (!st->failed)
        for (size_t i = 0; i < st->count; i++)
            if (!utf8_valid(st->fields[i].name, strlen(st->fields[i].name)) ||
                !utf8_valid(st->fields[i].value, st->fields[i].value_len)) {
                error_set(&st->err, ERR_INVALID_ARG, st->fields[i].name, "not valid UTF-8");
                st->failed = 1;
                break;
            }
    buf_free(&st->value);
}

/* Closes the temporary files of st (and their mappings). */
static void mp_release(mp_state *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    for (size_t i = 0; i < st->n_parts; i++) {
        if (st->parts[i].map)
            munmap(st->parts[i].map, st->parts[i].len);
        if (st->parts[i].fd >= 0)
            close(st->parts[i].fd);
    }
    st->n_parts = 0;
    buf_free(&st->value);
}

/* The form of a body held in memory (urlencoded, or multipart without files). */
static int parse_buffered_form(http_req *rq, form *out, error *err)
{
    conn_ctx *ctx = rq->priv;
    if (!rq->body || rq->body_len == 0)
        return 0;
    const char *ct = http_header(rq, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
        return form_parse(rq->arena, rq->body, rq->body_len, out, err);
    if (strncasecmp(ct, "multipart/form-data", 19) != 0)
        return error_set(err, ERR_UNSUPPORTED, NULL,
                         "send application/x-www-form-urlencoded or multipart/form-data");
    mp_state st;
    if (mp_init(&st, rq->arena, ctx->srv->cfg.max_body, NULL, 0, 0, NULL) != 0) {
        *err = st.err;
        return -1;
    }
    struct MHD_PostProcessor *pp =
        MHD_create_post_processor(ctx->conn, 16 * 1024, mp_iterator, &st);
    if (!pp) {
        buf_free(&st.value);
        return error_set(err, ERR_BAD_REQUEST, NULL, "malformed multipart body");
    }
    if (MHD_post_process(pp, rq->body, rq->body_len) != MHD_YES && !st.failed) {
        error_set(&st.err, ERR_BAD_REQUEST, NULL, "malformed multipart body");
        st.failed = 1;
    }
    mp_finish(&st, pp);
    if (st.failed) {
        *err = st.err;
        return -1;
    }
    out->fields = st.fields;
    out->count = st.count;
    return 0;
}

/* The form of the request; its file parts in *files when files is not NULL. */
static int parse_form(http_req *rq, form *out, http_file **files, size_t *n_files, size_t max_files,
                      error *err)
{
    conn_ctx *ctx = rq->priv;
    out->fields = NULL;
    out->count = 0;
    if (files) {
        *files = NULL;
        *n_files = 0;
    }
    if (!ctx->streamed)
        return parse_buffered_form(rq, out, err);
    mp_state *st = &ctx->mp;
    if (st->failed) {
        *err = st->err;
        return -1;
    }
    if (st->n_parts > 0 && !files)
        return error_set(err, ERR_UNSUPPORTED, "media", "file uploads are not accepted here");
    if (files && st->n_parts > 0) {
        http_file *f = arena_alloc(rq->arena, sizeof *f * st->n_parts);
        if (!f)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        size_t kept = 0;
        for (size_t i = 0; i < st->n_parts; i++) {
            upload_part *p = &st->parts[i];
            f[i].field = p->field;
            f[i].filename = p->filename;
            f[i].data = "";
            f[i].len = p->len;
            f[i].refused = p->refused;
            if (!p->refused && kept++ >= max_files)
                f[i].refused = HTTP_FILE_TOO_MANY; /* the caller takes fewer than the server */
            if (f[i].refused || p->fd < 0)
                continue;
            /* Mapped, not read: the pages stay in the page cache, not in the heap. */
            if (!p->map && p->len > 0) {
                void *m = mmap(NULL, p->len, PROT_READ, MAP_PRIVATE, p->fd, 0);
                if (m == MAP_FAILED)
                    return error_set(err, ERR_UNAVAILABLE, NULL, "cannot read an uploaded file");
                p->map = m;
            }
            f[i].data = p->map ? p->map : "";
        }
        *files = f;
        *n_files = st->n_parts;
    }
    out->fields = st->fields;
    out->count = st->count;
    return 0;
}

int http_form_body(http_req *rq, form *out, error *err)
{
    return parse_form(rq, out, NULL, NULL, 0, err);
}

int http_form_files(http_req *rq, form *out, http_file **files, size_t *n_files, size_t max_files,
                    error *err)
{
    return parse_form(rq, out, files, n_files, max_files, err);
}

/* ---- cookies and redirects ---- */

const char *http_cookie(http_req *rq, const char *name)
{
    conn_ctx *ctx = rq->priv;
    return MHD_lookup_connection_value(ctx->conn, MHD_COOKIE_KIND, name);
}

void http_set_cookie(http_req *rq, const char *name, const char *value, long max_age, int http_only)
{
    conn_ctx *ctx = rq->priv;
    char age[48] = "";
    if (max_age >= 0)
        snprintf(age, sizeof age, "; Max-Age=%ld", max_age);
    /* Secure when configured, or when the links of this collectivité are https: the
     * browser reaches it through TLS then. */
    const http_config *cfg = &ctx->srv->cfg;
    int secure =
        cfg->secure_cookies ||
        (!cfg->public_url && strncmp(http_base_url(rq, rq->host_tenant), "https://", 8) == 0);
    const char *c = arena_printf(rq->arena, "%s=%s; Path=/%s; SameSite=Lax%s%s", name,
                                 max_age == 0 ? "" : value, age, http_only ? "; HttpOnly" : "",
                                 secure ? "; Secure" : "");
    if (c)
        http_add_header(rq, "Set-Cookie", c);
}

void http_redirect(http_req *rq, const char *location)
{
    /* Only paths of this site, read so by every URL parser (no header injection either). */
    if (!form_local_path(location))
        location = "/";
    http_add_header(rq, "Location", arena_strdup(rq->arena, location));
    http_add_header(rq, "Cache-Control", "no-store");
    buf_reset(&rq->out);
    http_respond(rq, 303, "text/plain; charset=utf-8");
}

int http_ratelimit(http_req *rq, const char *bucket, double rate, double burst, error *err)
{
    conn_ctx *ctx = rq->priv;
    http_server *srv = ctx->srv;
    /* Disabling the per-address limit (benchmarks, tests) disables these too. */
    if (srv->cfg.rate_ip <= 0)
        return 0;
    ratelimit *rl = NULL;
    pthread_mutex_lock(&srv->named_lock);
    size_t i = 0, n = sizeof srv->named / sizeof srv->named[0];
    for (; i < n && srv->named[i].rl; i++)
        if (srv->named[i].rate == rate && srv->named[i].burst == burst)
            break;
    if (i < n) {
        if (!srv->named[i].rl) {
            srv->named[i].rate = rate;
            srv->named[i].burst = burst;
            srv->named[i].rl = ratelimit_new(rate, burst);
        }
        rl = srv->named[i].rl;
    }
    pthread_mutex_unlock(&srv->named_lock);
    if (!rl)
        return error_set(err, ERR_INTERNAL, NULL, "too many distinct rate limits");
    int wait = ratelimit_take(rl, bucket, time_mono_ms());
    if (!wait)
        return 0;
    http_add_header(rq, "Retry-After", arena_printf(rq->arena, "%d", wait));
    return error_set(err, ERR_RATE_LIMITED, NULL, "too many attempts");
}

int http_ratelimit_key(http_req *rq, int64_t key_id, error *err)
{
    conn_ctx *ctx = rq->priv;
    char key[32];
    snprintf(key, sizeof key, "k%lld", (long long)key_id);
    int wait = ratelimit_take(ctx->srv->rl_key, key, time_mono_ms());
    if (!wait)
        return 0;
    http_add_header(rq, "Retry-After", arena_printf(rq->arena, "%d", wait));
    return error_set(err, ERR_RATE_LIMITED, NULL, "too many requests for this API key");
}

/* ---- suspension ---- */

void http_suspend(http_req *rq)
{
    conn_ctx *ctx = rq->priv;
    atomic_fetch_add(&ctx->srv->suspended, 1);
    ctx->state = STATE_SUSPENDED;
    MHD_suspend_connection(ctx->conn);
}

void http_resume(http_req *rq, http_handler cont)
{
    conn_ctx *ctx = rq->priv;
    http_server *srv = ctx->srv; /* once resumed, the request may end and ctx go at once */
    ctx->cont = cont;
    ctx->state = STATE_RESUMED;
    MHD_resume_connection(ctx->conn);
    atomic_fetch_sub(&srv->suspended, 1);
}

/* ---- waiting for a durable write ---- */

http_wait *http_wait_begin(http_req *rq, http_handler cont)
{
    conn_ctx *ctx = rq->priv;
    wait_state *w = &ctx->wait_store;
    memset(w, 0, sizeof *w);
    w->rq = rq;
    w->cont = cont;
    ctx->wait = w;
    http_suspend(rq);
    return &w->pub;
}

void http_wait_done(void *arg, int rc, const error *err)
{
    wait_state *w = arg;
    w->pub.rc = rc;
    if (rc != 0) {
        if (err)
            w->pub.err = *err;
        else
            error_set(&w->pub.err, ERR_INTERNAL, NULL, "write failed without an error");
    }
    http_resume(w->rq, w->cont);
}

void http_wait_started(http_wait *pub, int rc, const error *err)
{
    if (rc == 0)
        return; /* queued: http_wait_done will resume */
    http_wait_done(pub, rc, err);
}

const char *http_bearer(http_req *rq, error *err)
{
    const char *h = http_header(rq, "Authorization");
    if (!h) {
        error_set(err, ERR_UNAUTHORIZED, NULL, "send Authorization: Bearer <key>");
        return NULL;
    }
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t')) {
        error_set(err, ERR_UNAUTHORIZED, NULL, "only the Bearer scheme is accepted");
        return NULL;
    }
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t len = strlen(h);
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    if (len == 0) {
        error_set(err, ERR_UNAUTHORIZED, NULL, "empty key");
        return NULL;
    }
    const char *key = arena_strndup(rq->arena, h, len);
    if (!key)
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return key;
}

const http_wait *http_wait_result(http_req *rq)
{
    conn_ctx *ctx = rq->priv;
    return ctx->wait ? &ctx->wait->pub : NULL;
}

/* ---- routing ---- */

/* Matches one pattern segment against one decoded path segment; captures go to rq. */
static int match_segment(http_req *rq, const char *pat, size_t plen, const char *seg,
                         size_t *n_params)
{
    const char *fmt = NULL;
    if (plen > 6 && memcmp(pat + plen - 6, ".{fmt}", 6) == 0) {
        const char *dot = strrchr(seg, '.');
        if (!dot || !dot[1])
            return 0;
        fmt = dot + 1;
        plen -= 6;
        seg = arena_strndup(rq->arena, seg, (size_t)(dot - seg));
        if (!seg)
            return 0;
    }
    if (plen == 2 && memcmp(pat, "{}", 2) == 0) {
        if (!*seg || *n_params >= HTTP_MAX_PARAMS)
            return 0;
        rq->params[(*n_params)++] = seg;
    } else if (strlen(seg) != plen || memcmp(pat, seg, plen) != 0) {
        return 0;
    }
    if (fmt)
        rq->format = fmt;
    return 1;
}

/* 1 when segs (n of them) match pattern; fills params and format. */
static int match_route(http_req *rq, const char *pattern, char **segs, size_t n)
{
    size_t i = 0, n_params = 0;
    const char *p = pattern;
    rq->format = NULL;
    while (*p == '/')
        p++;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (i >= n || !match_segment(rq, p, plen, segs[i], &n_params))
            return 0;
        i++;
        p += plen;
        while (*p == '/')
            p++;
    }
    return i == n;
}

#define MAX_SEGMENTS 16

/* Splits and decodes the path; -1 on bad percent-encoding or too many segments. */
static int split_path(arena *a, const char *path, size_t len, char **segs, size_t *n)
{
    *n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && path[i] == '/')
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        if (*n >= MAX_SEGMENTS)
            return -1;
        segs[*n] = form_decode_component(a, path + start, i - start, 0);
        if (!segs[*n])
            return -1;
        (*n)++;
    }
    return 0;
}

/* Answers from the cache when it holds a fresh copy; otherwise remembers the key and the
 * stamp to store the answer under. 1 when answered. */
static int serve_cached(conn_ctx *ctx)
{
    http_req *rq = &ctx->rq;
    const char *host = http_header(rq, "Host");
    /* host \n language \n URI, assembled without printf: this runs for every GET. */
    const char *uri = ctx->raw_uri ? ctx->raw_uri : "/";
    size_t hl = host ? strlen(host) : 0, ul = strlen(uri);
    char *key = arena_alloc(rq->arena, hl + ul + 4);
    if (!key)
        return 0;
    memcpy(key, host ? host : "", hl);
    key[hl] = '\n';
    key[hl + 1] = rq->lang == LANG_EN ? 'e' : 'f';
    key[hl + 2] = '\n';
    memcpy(key + hl + 3, uri, ul + 1);
    ctx->cache_key = key;
    ctx->cache_key_len = hl + ul + 3;
    ctx->cache_stamp.generation = core_generation(rq->core);
    ctx->cache_stamp.catalogue_version = rq->cat->version;
    ctx->cache_stamp.now_ms = time_mono_ms();
    char ctype[64];
    if (!http_cache_get(ctx->srv->cache, ctx->cache_key, ctx->cache_key_len, &ctx->cache_stamp,
                        &rq->out, ctype, sizeof ctype))
        return 0;
    http_respond(rq, 200, arena_strdup(rq->arena, ctype));
    return 1;
}

/* The mount whose prefix the URI falls under (for the error format), NULL when none. */
static const http_mount *mount_of(const http_server *srv, const char *uri, size_t path_len)
{
    for (const http_mount *m = srv->mounts; m->prefix; m++)
        if (strncmp(uri, m->prefix, strlen(m->prefix)) == 0 ||
            (strlen(m->prefix) == path_len + 1 && strncmp(uri, m->prefix, path_len) == 0))
            return m;
    return NULL;
}

/* Finds the route of the request (ctx->route, ctx->mount, rq->params); -1 with err (404,
 * or 405 with an Allow header) when none takes it. */
static int route_request(conn_ctx *ctx, const char *uri, size_t path_len, error *err)
{
    http_req *rq = &ctx->rq;
    char *segs[MAX_SEGMENTS];
    size_t n = 0;
    if (split_path(rq->arena, uri, path_len, segs, &n) != 0)
        return error_set(err, ERR_BAD_REQUEST, "path", "malformed path");
    unsigned allowed = 0;
    for (const http_mount *m = ctx->srv->mounts; m->prefix; m++)
        for (const http_route *r = m->routes; r->handler; r++) {
            if (!match_route(rq, r->pattern, segs, n))
                continue;
            if (!(r->methods & rq->method)) {
                allowed |= r->methods;
                continue;
            }
            ctx->mount = m;
            ctx->route = r;
            return 0;
        }
    memset(rq->params, 0, sizeof rq->params);
    rq->format = NULL;
    if (!allowed)
        return error_set(err, ERR_NOT_FOUND, "path", "no such resource");
    buf allow;
    buf_init(&allow, 128);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (allowed & methods[i].m)
            buf_printf(&allow, "%s%s", allow.len ? ", " : "", methods[i].name);
    http_add_header(rq, "Allow", arena_strdup(rq->arena, buf_cstr(&allow)));
    buf_free(&allow);
    return error_set(err, ERR_METHOD, NULL, "method not allowed on this resource");
}

/* Whether the headers announce a body. */
static int announces_body(struct MHD_Connection *conn)
{
    if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return 1;
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl && strcmp(cl, "0") != 0;
}

/* Sets the body's limit from the route and, for a form with files on a route that takes
 * them, starts streaming it; -1 with err when the announced size is over the limit. */
static int prepare_body(conn_ctx *ctx, error *err)
{
    http_req *rq = &ctx->rq;
    const http_config *cfg = &ctx->srv->cfg;
    const char *ct = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
    int multipart = ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
    int files = multipart && (ctx->route->methods & HTTP_ROUTE_FILES);
    /* Every file at its largest, and the text fields: a form within the announced limits
     * is never cut off, so that a file too many or too large is told about on the form. */
    size_t limit = files || (ctx->route->methods & HTTP_ROUTE_LARGE)
                       ? cfg->max_upload * cfg->max_files + cfg->max_body
                       : cfg->max_body;
    ctx->body.max = limit;
    const char *cl = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (end == cl || *end || errno || v > limit)
            return error_set(err, ERR_TOO_LARGE, NULL, "the body is over %zu bytes", limit);
    }
    if (!files)
        return 0;
    upload_part *parts =
        arena_alloc(rq->arena, sizeof *parts * HTTP_FILE_PARTS_MAX(cfg->max_files));
    if (!parts || mp_init(&ctx->mp, rq->arena, cfg->max_body, parts, cfg->max_files,
                          cfg->max_upload, cfg->upload_tmp_dir ? cfg->upload_tmp_dir : "/tmp") != 0)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    ctx->pp = MHD_create_post_processor(ctx->conn, 16 * 1024, mp_iterator, &ctx->mp);
    if (!ctx->pp)
        return error_set(err, ERR_BAD_REQUEST, NULL, "malformed multipart body");
    ctx->streamed = 1;
    return 0;
}

/* Everything decided on the headers alone, before any byte of the body is read: the request
 * target, the rate limit, the route, the body's limit and the mount's admission (a session,
 * a CSRF cookie). 0: go on; -1: the answer is ready. */
static int admit(conn_ctx *ctx)
{
    http_req *rq = &ctx->rq;
    http_server *srv = ctx->srv;
    error err;
    error_clear(&err);

    const char *uri = ctx->raw_uri ? ctx->raw_uri : "/";
    const char *qmark = strchr(uri, '?');
    size_t path_len = qmark ? (size_t)(qmark - uri) : strlen(uri);
    rq->path = arena_strndup(rq->arena, uri, path_len);
    ctx->mount = mount_of(srv, uri, path_len);
    rq->host_tenant = catalogue_tenant_for_host(rq->cat, http_header(rq, "Host"));
    if (atomic_load(&srv->stopping)) {
        /* Kept-alive clients go on sending while the server drains: nothing new may start
         * (a write suspended now would outlive the daemon), and the connection closes. */
        rq->lang = pick_lang(rq);
        http_add_header(rq, "Connection", "close");
        error_set(&err, ERR_UNAVAILABLE, NULL, "the server is stopping");
        goto refuse;
    }
    if (ctx->uri_too_long) {
        rq->lang = pick_lang(rq);
        error_set(&err, ERR_URI_TOO_LONG, NULL, "the request target is over %d bytes", URI_MAX);
        goto refuse;
    }
    if (qmark && form_parse(rq->arena, qmark + 1, strlen(qmark + 1), &rq->query, &err) != 0) {
        if (err.code == ERR_TOO_LARGE) /* too many parameters: the target, not a body */
            err.code = ERR_URI_TOO_LONG;
        rq->lang = pick_lang(rq);
        goto refuse;
    }
    rq->lang = pick_lang(rq);
    if (!rq->method) {
        http_add_header(rq, "Allow", "GET, POST, PATCH");
        error_set(&err, ERR_METHOD, NULL, "unknown method");
        goto refuse;
    }
    int wait = ratelimit_take(srv->rl_ip, rq->client_ip, time_mono_ms());
    if (wait) {
        http_add_header(rq, "Retry-After", arena_printf(rq->arena, "%d", wait));
        error_set(&err, ERR_RATE_LIMITED, NULL, "too many requests from this address");
        goto refuse;
    }
    if (route_request(ctx, uri, path_len, &err) != 0)
        goto refuse;
    if (!rq->host_tenant && rq->cat->n_tenants > 1 && !ctx->mount->any_host) {
        /* Pages and forms work for the collectivité of the Host: a name none of them holds
         * gets a clear refusal rather than some collectivité's pages. */
        error_set(&err, ERR_MISDIRECTED, "Host", "no collectivité answers on this host name");
        goto refuse;
    }
    if (ctx->has_body) {
        if (prepare_body(ctx, &err) != 0)
            goto refuse;
        if (ctx->mount->admit && ctx->mount->admit(rq) != 0)
            return -1;
    }
    return 0;
refuse:
    http_respond_error(rq, &err);
    return -1;
}

/* Runs the route's handler on a complete request. */
static void dispatch(conn_ctx *ctx)
{
    http_req *rq = &ctx->rq;
    http_server *srv = ctx->srv;
    if (ctx->body_too_large) {
        error err;
        error_set(&err, ERR_TOO_LARGE, NULL, "the body is over %zu bytes", ctx->body.max);
        http_respond_error(rq, &err);
        return;
    }
    if (ctx->body_oom) {
        error err;
        error_set(&err, ERR_UNAVAILABLE, NULL, "out of memory receiving the body");
        http_respond_error(rq, &err);
        return;
    }
    rq->body = ctx->body.len ? buf_cstr(&ctx->body) : NULL;
    rq->body_len = ctx->body.len;
    if (rq->method == HTTP_GET && srv->cache &&
        !(srv->cfg.session_cookie && http_cookie(rq, srv->cfg.session_cookie)) && serve_cached(ctx))
        return;
    ctx->route->handler(rq);
}

/* ---- libmicrohttpd callbacks ---- */

/* Called with the request line, before libmicrohttpd parses the query string. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    http_server *srv = cls;
    conn_ctx *ctx = malloc(sizeof *ctx);
    if (!ctx)
        return NULL;
    memset(ctx, 0, offsetof(conn_ctx, arena));
    atomic_fetch_add(&srv->in_flight, 1);
    ctx->srv = srv;
    ctx->conn = conn;
    ctx->start_ms = time_mono_ms();
    ctx->mp.fd = -1;
    arena_init(&ctx->arena, ARENA_MAX);
    size_t len = strnlen(uri, URI_MAX + 1);
    ctx->uri_too_long = len > URI_MAX;
    size_t keep = len;
    if (ctx->uri_too_long) {
        /* The refusal is written by the mount the client addressed (an Open311 errors
         * document, the JSON API's error object): keep the path when it fits, drop the query. */
        const char *qm = memchr(uri, '?', len);
        keep = qm ? (size_t)(qm - uri) : 0;
    }
    ctx->raw_uri = arena_strndup(&ctx->arena, uri, keep);
    /* guichet parses the query string itself (strictly, from raw_uri). libmicrohttpd would
     * parse it too, into the connection's small memory pool: about a thousand arguments
     * exhaust the pool, and libmicrohttpd 0.9.75 then neither answers nor calls the handler
     * (the client waits for the timeout). Ending the string right after the '?' leaves it
     * nothing to parse; it calls this function before it looks at the arguments. */
    char *q = strchr(uri, '?'); /* libmicrohttpd's own buffer: writable */
    if (q)
        q[1] = '\0';
    buf_init(&ctx->body, srv->cfg.max_body);
    /* A body may hold a PIN or a password: wiped when freed, never left behind by a realloc. */
    buf_set_secret(&ctx->body);
    http_req *rq = &ctx->rq;
    rq->arena = &ctx->arena;
    rq->core = srv->core;
    rq->present = srv->cfg.present;
    rq->priv = ctx;
    buf_init(&rq->out, OUT_MAX);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    ctx->entry = ci ? ci->socket_context : NULL;
    /* Until libmicrohttpd hands the context back to on_completed, the connection owes it. */
    conns_owe(ctx->entry, ctx);
    return ctx;
}

/* Whether addr is one of the configured reverse proxies. */
static int trusted_proxy(const http_server *srv, const char *addr)
{
    for (size_t i = 0; i < srv->cfg.n_trusted_proxies; i++)
        if (strcmp(srv->cfg.trusted_proxies[i], addr) == 0)
            return 1;
    return 0;
}

/* The client's address: the peer's, or behind a trusted proxy the last address of
 * X-Forwarded-For that is not itself a trusted proxy (the ones before it are the client's
 * word, not the proxies'). */
static void client_address(conn_ctx *ctx)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(ctx->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[INET6_ADDRSTRLEN];
    conns_address(ci ? ci->client_addr : NULL, host, sizeof host);
    const char *xff = NULL;
    if (ctx->srv->cfg.n_trusted_proxies && trusted_proxy(ctx->srv, host))
        xff = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (xff && strlen(xff) < 4096) {
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *comma = end;
            while (comma > xff && comma[-1] != ',')
                comma--;
            const char *a = comma, *b = end;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            char cand[INET6_ADDRSTRLEN];
            unsigned char bin[sizeof(struct in6_addr)];
            size_t n = (size_t)(b - a);
            if (n == 0 || n >= sizeof cand)
                break;
            memcpy(cand, a, n);
            cand[n] = '\0';
            /* Only a well-formed address is taken; anything else ends the walk. */
            if (inet_pton(AF_INET, cand, bin) != 1 && inet_pton(AF_INET6, cand, bin) != 1)
                break;
            snprintf(host, sizeof host, "%s", cand);
            if (!trusted_proxy(ctx->srv, cand))
                break;
            end = comma > xff ? comma - 1 : xff;
        }
    }
    ctx->rq.client_ip = arena_strdup(&ctx->arena, host);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    conn_ctx *ctx = *req_cls;
    if (!ctx)
        return MHD_NO;
    http_req *rq = &ctx->rq;
    switch ((conn_state)atomic_load(&ctx->state)) {
    case STATE_HEADERS:
        ctx->method_name = arena_strdup(&ctx->arena, method);
        rq->method = parse_method(method);
        client_address(ctx);
        rq->cat = catalogue_acquire(ctx->srv->core);
        ctx->has_body = announces_body(conn);
        conns_headers_done(ctx->entry, ctx->has_body);
        ctx->state = STATE_BODY;
        if (admit(ctx) != 0) {
            ctx->answered_early = 1;
            /* With a body: answer now, and libmicrohttpd closes the connection without
             * reading it. Without: answer on the next call, which keeps the connection. */
            if (ctx->has_body)
                return queue(ctx);
        }
        return MHD_YES;
    case STATE_BODY:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            conns_body_bytes(ctx->entry, n);
            if (ctx->answered_early)
                return MHD_YES;
            ctx->body_seen += n;
            if (ctx->body_seen > ctx->body.max) {
                ctx->body_too_large = 1;
            } else if (ctx->pp) {
                if (!ctx->mp.failed && MHD_post_process(ctx->pp, upload_data, n) != MHD_YES &&
                    !ctx->mp.failed) {
                    error_set(&ctx->mp.err, ERR_BAD_REQUEST, NULL, "malformed multipart body");
                    ctx->mp.failed = 1;
                }
            } else if (!ctx->body_oom && buf_append(&ctx->body, upload_data, n) != 0) {
                ctx->body_oom = 1; /* within the limit (checked above): out of memory */
            }
            /* A body without a declared length that outgrew its limit: read a bounded amount
             * more to answer 413, then give up on the connection. */
            if (ctx->body_too_large && ctx->body_seen > 2 * ctx->body.max + 1024 * 1024)
                return MHD_NO;
            return MHD_YES;
        }
        conns_body_done(ctx->entry);
        if (!ctx->answered_early) {
            if (ctx->pp) {
                mp_finish(&ctx->mp, ctx->pp);
                ctx->pp = NULL;
            }
            dispatch(ctx);
        }
        if (ctx->state == STATE_SUSPENDED || ctx->state == STATE_RESUMED)
            return MHD_YES;
        return queue(ctx);
    case STATE_RESUMED:
        ctx->state = STATE_BODY; /* the continuation may suspend again */
        ctx->cont(rq);
        if (ctx->state == STATE_SUSPENDED || ctx->state == STATE_RESUMED)
            return MHD_YES;
        return queue(ctx);
    case STATE_SUSPENDED:
        /* Woken without a continuation: nothing to do until http_resume. */
        return MHD_YES;
    case STATE_ANSWERED:
    default:
        *upload_data_size = 0;
        return MHD_YES;
    }
}

/* Releases everything a request holds. */
static void ctx_free(http_server *srv, conn_ctx *ctx)
{
    http_req *rq = &ctx->rq;
    if (rq->cat)
        catalogue_release(srv->core, rq->cat);
    stream_drop(ctx);
    if (ctx->pp)
        MHD_destroy_post_processor(ctx->pp);
    mp_release(&ctx->mp);
    buf_free(&rq->out);
    /* A request that sent a body has its form's decoded values (a PIN, a password) in the
     * arena, whichever way its handler ended: wiped (only these requests, the reads stay
     * cheap). */
    if (ctx->body.cap || ctx->streamed)
        arena_wipe(&ctx->arena);
    buf_free(&ctx->body);
    arena_free(&ctx->arena);
    free(ctx);
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    http_server *srv = cls;
    conn_ctx *ctx = *req_cls;
    if (!ctx)
        return;
    http_req *rq = &ctx->rq;
    /* The access log: no query string (it may carry personal data or keys), no body. */
    log_info("%s %s %d %lldms tenant=%s%s", ctx->method_name ? ctx->method_name : "-",
             rq->path && *rq->path ? rq->path : "-", rq->status, (long long)(time_mono_ms() - ctx->start_ms),
             rq->host_tenant ? rq->host_tenant->rec.slug : "-",
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
    conns_owe(ctx->entry, NULL);
    conns_answered(ctx->entry);
    ctx_free(srv, ctx);
    *req_cls = NULL;
}

/* Connections come and go: register them for the per-address cap and the deadlines, and
 * free a request context libmicrohttpd never handed back. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context =
            fd ? conns_open(srv->conns, ad ? ad->client_addr : NULL, fd->connect_fd) : NULL;
        return;
    }
    conn_ctx *owed = conns_close(srv->conns, *socket_context);
    *socket_context = NULL;
    if (owed && atomic_load(&owed->state) == STATE_SUSPENDED) {
        /* A write still holds it (only at shutdown past its grace period): a leak is the
         * safe side of a use after free. */
        log_warn("a request waiting for its write outlived its connection; its context is "
                 "left to the process's end");
    } else if (owed) {
        log_warn("freed the context of a request libmicrohttpd ended without completing it");
        ctx_free(srv, owed);
    }
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    http_server *srv = cls;
    return conns_admit(srv->conns, addr) ? MHD_YES : MHD_NO;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    log_warn("libmicrohttpd: %s", line);
}

/* ---- start and stop ---- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, error *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1] || (size_t)(colon - listen) >= sizeof host)
        return error_set(err, ERR_INVALID_ARG, "listen", "expected ADDRESS:PORT, got '%s'", listen);
    const char *h = listen;
    size_t hlen = (size_t)(colon - listen);
    if (h[0] == '[' && hlen > 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return error_set(err, ERR_INVALID_ARG, "listen", "invalid port in '%s'", listen);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return error_set(err, ERR_INVALID_ARG, "listen", "'%s' is not a numeric address", host);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    return 0;
}

http_server *http_server_start(core *c, const http_config *cfg, const http_mount *mounts,
                               error *err)
{
    struct sockaddr_storage ss;
    if (parse_listen(cfg->listen, &ss, err) != 0)
        return NULL;
    http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    srv->core = c;
    srv->cfg = *cfg;
    srv->mounts = mounts;
    srv->rl_ip = ratelimit_new(cfg->rate_ip, cfg->burst_ip);
    srv->rl_key = ratelimit_new(cfg->rate_key, cfg->burst_key);
    srv->cache = http_cache_new(cfg->cache_bytes, cfg->cache_ttl_ms);
    conns_config cc = {.max_per_address = cfg->conn_per_address,
                       .header_timeout_ms = cfg->header_timeout_ms,
                       .min_body_rate = cfg->min_body_rate,
                       .body_grace_ms = cfg->header_timeout_ms,
                       .exempt = cfg->trusted_proxies,
                       .n_exempt = cfg->n_trusted_proxies};
    srv->conns = conns_new(&cc);
    pthread_mutex_init(&srv->named_lock, NULL);
    unsigned threads = cfg->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 2;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->rl_ip && srv->rl_key && srv->conns)
        srv->daemon = MHD_start_daemon(
            flags, 0, on_accept, srv, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
            NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
            threads, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    if (!srv->daemon) {
        error_set(err, ERR_UNAVAILABLE, "listen", "cannot listen on %s (address in use?)",
                  cfg->listen);
        ratelimit_free(srv->rl_ip);
        ratelimit_free(srv->rl_key);
        http_cache_free(srv->cache);
        conns_free(srv->conns);
        pthread_mutex_destroy(&srv->named_lock);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : 0;
    /* parse_listen checked the form ADDRESS:PORT; the port may have been 0. */
    snprintf(srv->listen_url, sizeof srv->listen_url, "http://%.*s:%d",
             (int)(strrchr(cfg->listen, ':') - cfg->listen), cfg->listen, srv->port);
    /* From now on core builds links as this server does, for the jobs' e-mails too. */
    if (core_set_link_origin(c, cfg->public_url, srv->listen_url, srv->port) != 0)
        log_warn("public-url over %d bytes: links fall back to the host names", CORE_URL_MAX - 1);
    return srv;
}

int http_server_port(const http_server *srv)
{
    return srv->port;
}

int http_server_in_flight(const http_server *srv)
{
    return atomic_load(&srv->in_flight);
}

const http_config *http_server_config(const http_server *srv)
{
    return &srv->cfg;
}

void http_server_stop(http_server *srv, int timeout_ms)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1);
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    int64_t deadline = time_mono_ms() + timeout_ms;
    while (atomic_load(&srv->in_flight) > 0 && time_mono_ms() < deadline)
        usleep(10 * 1000);
    if (atomic_load(&srv->in_flight) > 0)
        log_warn("stopping with %d requests still in flight", atomic_load(&srv->in_flight));
    /* libmicrohttpd aborts the process when stopped with a suspended connection: a write
     * still running (a database locked by another process) is waited for a while more; past
     * that, the daemon is left to the process's end rather than crash it. */
    int64_t write_deadline = time_mono_ms() + 30000;
    while (atomic_load(&srv->suspended) > 0 && time_mono_ms() < write_deadline)
        usleep(10 * 1000);
    if (atomic_load(&srv->suspended) > 0) {
        log_error("%d requests still wait for their write: the HTTP daemon is left running",
                  atomic_load(&srv->suspended));
        return;
    }
    MHD_stop_daemon(srv->daemon);
    conns_free(srv->conns);
    ratelimit_free(srv->rl_ip);
    ratelimit_free(srv->rl_key);
    http_cache_free(srv->cache);
    for (size_t i = 0; i < sizeof srv->named / sizeof srv->named[0]; i++)
        ratelimit_free(srv->named[i].rl);
    pthread_mutex_destroy(&srv->named_lock);
    free(srv);
}

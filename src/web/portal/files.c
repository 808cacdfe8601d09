/*
 * files — serves the files attached to requests, at /pieces-jointes/{reference}/{id}, after
 * an access check on every download: the request's tracking token (?jeton=) or the logged-in
 * citizen who owns the request, for the files their tracking page shows (never those of an
 * internal note); an agent allowed to see the request; or, for a moderated photo of a public
 * request, anyone.
 * Whoever is not allowed gets the same 404 as for a file that does not exist. Files are
 * always sent as downloads, except thumbnails (?miniature=1) shown in <img>.
 * The documents the mairie issued about a request (its accusé de réception) are served the
 * same way at /documents/{reference}/{id}, to its citizen (token or account; only those made
 * visible to them) and its agents (each reading audited).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/audit.h"
#include "core/document.h"
#include "core/perm.h"
#include "core/request.h"
#include "util/form.h"
#include "util/log.h"
#include "web/portal/portal.h"
#include "web/web.h"

/* Answers the same 404 whatever the reason: no leak of what exists. */
static void not_found(http_req *rq)
{
    error e;
    error_set(&e, ERR_NOT_FOUND, NULL, "no such attachment");
    http_respond_error(rq, &e);
}

/* A positive decimal id without sign, spaces or leading zeros; 0 when s is not one. */
static int64_t parse_id(const char *s)
{
    if (!s || !*s || *s == '0' || strlen(s) > 18)
        return 0;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* 1 when the logged-in citizen owns r (request_owned_by: their account or its verified
 * address). */
static int citizen_owns(http_req *rq, const store_request *r)
{
    store_account acc;
    return web_account(rq, &acc) && request_owned_by(r, &acc);
}

/* 1 when a logged-in agent may see r, *ag that agent (the back office previews attachments
 * and opens documents). */
static int agent_viewer(http_req *rq, const store_request *r, store_agent *ag)
{
    int had_cookie;
    return web_agent(rq, ag, &had_cookie) && perm_can_view(ag, r);
}

static int agent_may_view(http_req *rq, const store_request *r)
{
    store_agent ag;
    return agent_viewer(rq, r, &ag);
}

/* 1 when anyone may see the file: an approved photo of a request shown publicly, of a
 * procedure that allows it (some, such as parking complaints, are never public). */
static int publicly_visible(const cat_tenant *t, const store_request *r, const store_attachment *at)
{
    if (!attachment_is_public_photo(at) || !r->is_public)
        return 0;
    const cat_procedure *p = catalogue_procedure_by_id(t, r->procedure_id);
    return p && p->rec.is_public;
}

/* RFC 8187 ext-value: UTF-8 bytes, everything but attr-char percent-encoded. */
static const char *encode_ext_value(arena *a, const char *s)
{
    return form_encode(a, s, "!#$&+^`|");
}

/* An ASCII fallback for old clients: each non-ASCII character, quote, backslash or control
 * character becomes one '_'. */
static const char *ascii_fallback(arena *a, const char *s)
{
    char *out = arena_alloc(a, strlen(s) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue; /* UTF-8 continuation byte: its character is already replaced */
        out[o++] = *p >= 0x7f || *p < 0x20 || *p == '"' || *p == '\\' ? '_' : (char)*p;
    }
    out[o] = '\0';
    return out;
}

/* Reads the stored file into the response body; -1 when it cannot (logged). */
static int read_stored(http_req *rq, const char *storage_name)
{
    const char *path = attachment_path(core_uploads(rq->core), rq->arena, storage_name);
    if (!path) {
        log_error("files: attachment with an invalid storage name or no uploads directory");
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        log_error("files: cannot open stored file %s: %s", storage_name, strerror(errno));
        return -1;
    }
    int rc = -1;
    struct stat st;
    char chunk[65536];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ATTACHMENT_MAX_BYTES * 2)
        goto cleanup;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto cleanup;
        if (r == 0)
            break;
        if (buf_append(&rq->out, chunk, (size_t)r) != 0)
            goto cleanup;
    }
    rc = 0;
cleanup:
    if (rc != 0)
        log_error("files: cannot read stored file %s", storage_name);
    close(fd);
    return rc;
}

/* Finds the attachment and decides access; 0 and *r, *at filled when the visitor may have
 * it, -1 after answering (404 for anything not allowed, 5xx for storage errors). */
static int load_allowed(http_req *rq, const cat_tenant *t, store_request *r, store_attachment *at,
                        int *is_public)
{
    const char *reference = rq->params[0];
    int64_t id = parse_id(rq->params[1]);
    error err;
    if (!reference || id == 0)
        goto not_found;
    if (request_get(rq->core, t, reference, rq->arena, r, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            goto not_found;
        http_respond_error(rq, &err);
        return -1;
    }
    int found = 0;
    if (attachment_get(rq->core, t->rec.id, id, rq->arena, at, &found, &err) != 0) {
        http_respond_error(rq, &err);
        return -1;
    }
    if (!found || at->request_id != r->id)
        goto not_found;
    *is_public = publicly_visible(t, r, at);
    if (*is_public || agent_may_view(rq, r))
        return 0;
    /* The citizen's side: their request, and only what their tracking page shows. */
    const char *token = form_get(&rq->query, "jeton");
    if ((token && *token && request_token_matches(rq->core, r, token)) || citizen_owns(rq, r)) {
        int visible = 0;
        if (request_attachment_for_citizen(rq->core, t, r, at, rq->arena, &visible, &err) != 0) {
            http_respond_error(rq, &err);
            return -1;
        }
        if (visible)
            return 0;
    }
not_found:
    not_found(rq);
    return -1;
}

static void handle_download(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request r;
    store_attachment at;
    int is_public = 0;
    if (load_allowed(rq, t, &r, &at, &is_public) != 0)
        return;
    const char *thumb_param = form_get(&rq->query, "miniature");
    int want_thumb = thumb_param && strcmp(thumb_param, "1") == 0;
    if (want_thumb && !at.thumb_name) {
        not_found(rq);
        return;
    }
    if (read_stored(rq, want_thumb ? at.thumb_name : at.storage_name) != 0) {
        error err;
        buf_reset(&rq->out);
        error_set(&err, ERR_INTERNAL, NULL, "stored attachment unreadable");
        http_respond_error(rq, &err);
        return;
    }
    const char *name = at.filename && *at.filename ? at.filename : "piece-jointe";
    const char *ext = encode_ext_value(rq->arena, name);
    const char *ascii = ascii_fallback(rq->arena, name);
    const char *disposition =
        ext && ascii ? arena_printf(rq->arena, "%s; filename=\"%s\"; filename*=UTF-8''%s",
                                    want_thumb ? "inline" : "attachment", ascii, ext)
                     : NULL;
    http_add_header(rq, "Content-Disposition",
                    disposition ? disposition : (want_thumb ? "inline" : "attachment"));
    /* Citizens' files stay out of shared caches; approved public photos may be kept a
     * little (a moderator's change of mind is seen within minutes). */
    http_add_header(rq, "Cache-Control", is_public ? "public, max-age=300" : "private, no-store");
    /* A PDF or photo must never run as a page of ours, even if a browser sniffed it. */
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond(rq, 200, want_thumb ? "image/jpeg" : at.content_type);
}

/* /documents/{reference}/{id}: a document issued about the request, as a PDF download. */
static void handle_document(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    int64_t id = parse_id(rq->params[1]);
    store_request r;
    store_document d;
    error err;
    int found = 0;
    if (!rq->params[0] || id == 0)
        goto not_found;
    if (request_get(rq->core, t, rq->params[0], rq->arena, &r, &err) != 0) {
        if (err.code == ERR_NOT_FOUND)
            goto not_found;
        http_respond_error(rq, &err);
        return;
    }
    const char *token = form_get(&rq->query, "jeton");
    store_agent ag;
    int agent = agent_viewer(rq, &r, &ag);
    if (!agent && !(token && *token && request_token_matches(rq->core, &r, token)) &&
        !citizen_owns(rq, &r))
        goto not_found;
    if (document_get(rq->core, t->rec.id, id, rq->arena, &d, &found, &err) != 0) {
        http_respond_error(rq, &err);
        return;
    }
    /* A document kept for the agents (an internal upload) is theirs only. */
    if (!found || d.request_id != r.id || (!d.citizen_visible && !agent))
        goto not_found;
    if (buf_append(&rq->out, d.content, (size_t)d.size) != 0) {
        buf_reset(&rq->out);
        error_set(&err, ERR_INTERNAL, NULL, "document over the response's limit");
        http_respond_error(rq, &err);
        return;
    }
    if (agent) {
        /* A document names the citizen: an agent's reading is audited as the request's. */
        core_actor who = actor_of_agent(&ag, web_audit_source(rq));
        audit_record_access(rq->core, t->rec.id, &who, "view_document", "request", &r.id, 1);
    }
    /* The reference is letters, digits and dashes (request_reference_ok): safe in a name. */
    http_add_header(rq, "Content-Disposition",
                    arena_printf(rq->arena, "attachment; filename=\"%s-%s-v%d.pdf\"", d.kind,
                                 r.reference, d.version));
    http_add_header(rq, "Cache-Control", "private, no-store");
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond(rq, 200, "application/pdf");
    return;
not_found:
    not_found(rq);
}

const http_route portal_files_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/documents/{}/{}", handle_document},
    {HTTP_GET | HTTP_HEAD, "/pieces-jointes/{}/{}", handle_download},
    {0, NULL, NULL},
};

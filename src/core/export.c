/*
 * export — the citizen's archive. A plan (which account, which requests) is read once; the
 * stream then walks it as a small state machine, each step writing one piece into libarchive,
 * whose output lands in a pending buffer that export_stream_read hands out. Photos and PDFs
 * are stored as they are (already compressed), JSON and text are deflated.
 */
#include "core/export.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/account.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/catalogue.h"
#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/forms.h"
#include "core/perm.h"
#include "core/request.h"
#include "util/buf.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define LIST_PAGE 500     /* requests read per query while listing */
#define CHUNK (64 * 1024) /* bytes of a file written at a time */
#define PENDING_MAX                                                                                \
    (64u * 1024 * 1024)              /* archive made but not yet read: the central                 \
                                        directory, written at the end, is the largest */
#define INDEX_MAX (8u * 1024 * 1024) /* compte.json */
#define NAME_MAX_BYTES 100           /* an attachment's name inside the archive */
#define README_MAX (64 * 1024)

/* ---- the plan ---- */

struct export_plan {
    int64_t tenant_id;
    int has_account;
    store_account account; /* strings in a */
    const char *email;     /* the address the export is for, folded; NULL: none */
    int64_t *ids;          /* newest first */
    size_t n, cap;
    int64_t left_out; /* requests past EXPORT_MAX_REQUESTS */
    /* Broadcast subscriptions of the account or the address (core/broadcast.h), and the
     * tenant's topics to name theirs. */
    store_subscriber *subs;
    size_t n_subs;
    store_topic *topics;
    size_t n_topics;
    int sms_opted_out; /* the account's verified number answered STOP */
    arena a;
};

static export_plan *plan_new(int64_t tenant_id)
{
    export_plan *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tenant_id = tenant_id;
    arena_init(&p->a, 0);
    return p;
}

void export_plan_free(export_plan *p)
{
    if (!p)
        return;
    free(p->ids);
    arena_free(&p->a);
    free(p);
}

int export_plan_empty(const export_plan *p)
{
    return !p || (!p->has_account && p->n == 0 && p->n_subs == 0);
}

const int64_t *export_plan_requests(const export_plan *p, size_t *n)
{
    *n = p ? p->n : 0;
    return p ? p->ids : NULL;
}

int64_t export_plan_account_id(const export_plan *p)
{
    return p && p->has_account ? p->account.id : 0;
}

static int plan_push(export_plan *p, int64_t id, error *err)
{
    if (p->n >= EXPORT_MAX_REQUESTS) {
        p->left_out++;
        return 0;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        int64_t *ids = realloc(p->ids, cap * sizeof *ids);
        if (!ids)
            return error_set(err, ERR_INTERNAL, NULL, "out of memory");
        p->ids = ids;
        p->cap = cap;
    }
    p->ids[p->n++] = id;
    return 0;
}

/* Copies acc into the plan's arena. */
static int plan_set_account(export_plan *p, const store_account *acc, error *err)
{
    arena *a = &p->a;
    p->account = *acc;
    p->account.password_hash = NULL; /* never exported, never kept */
    p->account.email = arena_strdup(a, acc->email);
    p->account.display_name = arena_strdup(a, acc->display_name);
    p->account.phone = arena_strdup(a, acc->phone);
    p->account.notify = arena_strdup(a, acc->notify);
    p->account.lang = arena_strdup(a, acc->lang);
    if ((acc->email && !p->account.email) || (acc->display_name && !p->account.display_name) ||
        (acc->phone && !p->account.phone) || (acc->notify && !p->account.notify) ||
        (acc->lang && !p->account.lang))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    p->has_account = 1;
    return 0;
}

/* Adds the ids of the requests of account_id (0: none) or carrying `email` (NULL: none),
 * newest first, paging by the (created_at, id) cursor so that memory holds one page. Reads
 * through s: the writer's connection when called inside a job. */
static int plan_list(store *s, export_plan *p, int64_t account_id, const char *email, error *err)
{
    if (!account_id && !email)
        return 0;
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = p->tenant_id;
    f.citizen_id = account_id;
    f.citizen_email = email;
    f.limit = LIST_PAGE;
    for (;;) {
        arena a;
        arena_init(&a, 0);
        store_request *rows = NULL;
        size_t n = 0;
        if (s->ops->requests.search(s, &f, &a, &rows, &n, err) != 0) {
            arena_free(&a);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (plan_push(p, rows[i].id, err) != 0) {
                arena_free(&a);
                return -1;
            }
        if (n > 0) {
            f.before_created_at = rows[n - 1].created_at;
            f.before_id = rows[n - 1].id;
        }
        arena_free(&a);
        if (n < LIST_PAGE)
            return 0;
    }
}

/* The account's verified number (a number proves nothing until verified, as an address);
 * NULL without one. */
static const char *plan_verified_phone(const export_plan *p)
{
    const store_account *acc = &p->account;
    return p->has_account && acc->phone && acc->phone_verified_at ? acc->phone : NULL;
}

/* The subscriptions to broadcasts of account_id (0: none), of email (NULL: none) and by SMS
 * to the account's verified number, linked to the account or not. */
static int plan_subscriptions(store *s, export_plan *p, int64_t account_id, const char *email,
                              error *err)
{
    if (s->ops->broadcasts.subscribers_of(s, p->tenant_id, email, account_id,
                                          plan_verified_phone(p), &p->a, &p->subs, &p->n_subs,
                                          err) != 0)
        return -1;
    if (p->n_subs == 0)
        return 0;
    return s->ops->broadcasts.topics(s, p->tenant_id, 0, &p->a, &p->topics, &p->n_topics, err);
}

/* Whether the account's verified number opted out of SMS. */
static int plan_phone(store *s, export_plan *p, error *err)
{
    const char *phone = plan_verified_phone(p);
    if (!phone)
        return 0;
    return s->ops->sms.opted_out(s, p->tenant_id, phone, &p->sms_opted_out, err);
}

int export_plan_citizen(core *c, int64_t tenant_id, const store_account *acc, export_plan **out,
                        error *err)
{
    *out = NULL;
    if (!acc || acc->id <= 0 || acc->tenant_id != tenant_id)
        return error_set(err, ERR_INVALID_ARG, "account", "no account to export");
    export_plan *p = plan_new(tenant_id);
    if (!p)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    /* Requests filed by e-mail or at the counter carry the address, not the account: only a
     * verified address proves they are this citizen's. */
    const char *email = acc->email_verified_at && acc->email ? acc->email : NULL;
    if (plan_set_account(p, acc, err) != 0 || plan_list(c->store, p, acc->id, email, err) != 0 ||
        plan_subscriptions(c->store, p, acc->id, email, err) != 0 ||
        plan_phone(c->store, p, err) != 0) {
        export_plan_free(p);
        return -1;
    }
    p->email = p->account.email;
    *out = p;
    return 0;
}

/* An agent's export: the job that reads and audits in one transaction. */
typedef struct agent_op {
    core_op op;
    int64_t tenant_id;
    char email[ACCOUNT_EMAIL_MAX + 1];
    core_actor who; /* strings in op.a */
    store_agent agent_room;
    export_plan *plan;
    export_plan **out; /* the caller's, valid until the outcome */
} agent_op;

static int agent_apply(store *s, core_op *op, error *err)
{
    agent_op *j = (agent_op *)op;
    /* A batch that failed may run its jobs again: start afresh. */
    export_plan_free(j->plan);
    j->plan = plan_new(j->tenant_id);
    if (!j->plan)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    export_plan *p = j->plan;
    p->email = arena_strdup(&p->a, j->email);
    if (!p->email)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    store_account acc;
    int found = 0;
    if (s->ops->accounts.find_email(s, j->tenant_id, j->email, &p->a, &acc, &found, err) != 0)
        return -1;
    if (found && plan_set_account(p, &acc, err) != 0)
        return -1;
    if (plan_list(s, p, found ? acc.id : 0, j->email, err) != 0 ||
        plan_subscriptions(s, p, found ? acc.id : 0, j->email, err) != 0 ||
        plan_phone(s, p, err) != 0)
        return -1;
    /* Who exported whose data, by ids only, in this transaction, whoever asked. An export
     * that found nothing is recorded too: asking whether an address is known is itself a
     * look-up. */
    if (found &&
        audit_append_who_tx(s, j->tenant_id, &j->who, "export", "account", &acc.id, 1, err) != 0)
        return -1;
    if ((p->n > 0 || !found) &&
        audit_append_who_tx(s, j->tenant_id, &j->who, "export", "request", p->ids, p->n, err) != 0)
        return -1;
    return 0;
}

static void agent_finish(core_op *op, int *rc, error *err)
{
    (void)err;
    agent_op *j = (agent_op *)op;
    if (*rc == 0) {
        *j->out = j->plan;
        j->plan = NULL;
    }
    export_plan_free(j->plan);
    j->plan = NULL;
}

/* Folds email as look-ups do and checks it looks like an address: one '@' inside, printable
 * ASCII without blanks. 0, or -1 with ERR_INVALID_ARG "email". */
static int email_key(const char *email, char out[ACCOUNT_EMAIL_MAX + 1], error *err)
{
    if (!email || account_email_fold(email, out) != 0)
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    const char *at = strchr(out, '@');
    if (!at || at == out || !at[1] || strchr(at + 1, '@'))
        return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    for (const char *q = out; *q; q++)
        if (*q <= ' ' || *q >= 0x7f)
            return error_set(err, ERR_INVALID_ARG, "email", "not an e-mail address");
    return 0;
}

/* Who may export a citizen's data for an address: an agent whose role allows it
 * (perm_can_export_citizen), the command line or the system. */
static int may_export(const core_actor *who)
{
    if (!who)
        return 0;
    if (who->kind == ACTOR_AGENT)
        return who->agent && perm_can_export_citizen(who->agent);
    return who->kind == ACTOR_CLI || who->kind == ACTOR_SYSTEM;
}

int export_plan_agent(core *c, int64_t tenant_id, const char *email, const core_actor *who,
                      export_plan **out, core_done_fn cb, void *ctx, error *err)
{
    *out = NULL;
    if (!may_export(who))
        return error_set(err, ERR_FORBIDDEN, NULL, "export: not allowed");
    char key[ACCOUNT_EMAIL_MAX + 1];
    if (email_key(email, key, err) != 0)
        return -1;
    if (who->source && strlen(who->source) >= AUDIT_SOURCE_MAX)
        return error_set(err, ERR_INVALID_ARG, "source", "export: invalid source");
    agent_op *j = core_op_new(sizeof *j, agent_apply);
    if (!j)
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    j->op.finish = agent_finish;
    j->tenant_id = tenant_id;
    snprintf(j->email, sizeof j->email, "%s", key);
    j->out = out;
    if (actor_copy(&j->op.a, who, NULL, &j->who, &j->agent_room) != 0) {
        core_op_free(j);
        return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
    }
    return core_op_submit(c, j, cb, ctx, err);
}

/* ---- the archive ---- */

typedef enum stream_state {
    ST_README = 0,
    ST_REQUEST, /* the next request's JSON */
    ST_FILE,    /* its files, one chunk at a time */
    ST_INDEX,   /* compte.json */
    ST_CLOSE,   /* the central directory */
    ST_DONE,
    ST_FAILED
} stream_state;

/* A file of the current request: where it is stored, its name in the archive. */
typedef struct file_item {
    const char *storage_name;
    const char *path; /* in the archive */
    int64_t size;
    int64_t created_at;
} file_item;

struct export_stream {
    core *c;
    export_plan *plan;
    const catalogue *cat;
    const cat_tenant *tenant;
    const char *tz;
    struct archive *ar;
    buf pending; /* archive bytes not yet read */
    size_t pending_off;
    char *readme;
    stream_state state;
    int64_t now;
    size_t next; /* index of the next request in the plan */
    arena ra;    /* the current request's reads */
    file_item *files;
    size_t n_files, file_i;
    int fd; /* the file being copied, -1 when none */
    int64_t file_left;
    buf index; /* compte.json's list of requests, built as they are written */
    jsonw iw;
    size_t n_written;
    char chunk[CHUNK];
};

static la_ssize_t on_archive_write(struct archive *ar, void *cls, const void *data, size_t len)
{
    (void)ar;
    export_stream *s = cls;
    if (buf_append(&s->pending, data, len) != 0)
        return -1;
    return (la_ssize_t)len;
}

static void fail(export_stream *s, const char *what)
{
    const char *why = s->ar ? archive_error_string(s->ar) : NULL;
    log_error("export: %s: %s", what, why ? why : "");
    s->state = ST_FAILED;
}

/* Starts entry `path` of `size` bytes, deflated or stored. 0 or -1 (logged). */
static int entry_begin(export_stream *s, const char *path, int64_t size, int64_t mtime, int deflate)
{
    struct archive_entry *e = archive_entry_new();
    if (!e) {
        fail(s, "out of memory");
        return -1;
    }
    archive_entry_set_pathname_utf8(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, mtime > 0 ? mtime : s->now, 0);
    int rc = (deflate ? archive_write_zip_set_compression_deflate(s->ar)
                      : archive_write_zip_set_compression_store(s->ar)) == ARCHIVE_OK &&
                     archive_write_header(s->ar, e) == ARCHIVE_OK
                 ? 0
                 : -1;
    archive_entry_free(e);
    if (rc != 0)
        fail(s, path);
    return rc;
}

/* One whole entry from memory. */
static int entry_bytes(export_stream *s, const char *path, const char *data, size_t len,
                       int64_t mtime)
{
    if (entry_begin(s, path, (int64_t)len, mtime, 1) != 0)
        return -1;
    if (len && archive_write_data(s->ar, data, len) != (la_ssize_t)len) {
        fail(s, path);
        return -1;
    }
    return 0;
}

/* One JSON entry, indented: people open these files in a text editor. The document is
 * written compact by jsonw and re-indented by jansson; when that cannot be done (out of
 * memory), it goes as it is, still valid. */
static int entry_json(export_stream *s, const char *path, const buf *compact, int64_t mtime)
{
    json_t *tree = json_loadb(compact->data, compact->len, 0, NULL);
    char *pretty = tree ? json_dumps(tree, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(tree);
    int rc = pretty ? entry_bytes(s, path, pretty, strlen(pretty), mtime)
                    : entry_bytes(s, path, compact->data, compact->len, mtime);
    free(pretty);
    return rc;
}

static void json_time(export_stream *s, jsonw *w, const char *key, int64_t t)
{
    if (t <= 0) {
        jsonw_null(w, key);
        return;
    }
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, s->tz, out);
    jsonw_string(w, key, out);
}

/* A name safe inside the archive and on any file system: no directory separator, control
 * character, colon or leading dot; valid UTF-8 (else ASCII with '_'); at most
 * NAME_MAX_BYTES; never empty. In a. */
static const char *safe_name(arena *a, const char *name, const char *fallback)
{
    if (!name || !*name)
        name = fallback;
    size_t n = strlen(name);
    int utf8 = utf8_valid(name, n);
    if (utf8)
        n = utf8_prefix_bytes(name, n, NAME_MAX_BYTES / 4);
    if (n > NAME_MAX_BYTES)
        n = NAME_MAX_BYTES;
    char *out = arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        int bad = ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\' || ch == ':' ||
                  (!utf8 && ch >= 0x80) || (i == 0 && ch == '.');
        out[i] = bad ? '_' : (char)ch;
    }
    out[n] = '\0';
    return out;
}

/* The attributes as [{code, label, value, value_label}]: labels from the definitions
 * defs[0..n) of the form's version the request was filed under, in language l (the
 * request's), list keys with their names (value_label only for lists). */
static void write_attributes(jsonw *w, const attr_def *defs, size_t n, const char *stored, lang l)
{
    jsonw_array_begin(w, "attributes");
    json_t *vals = stored ? json_loads(stored, 0, NULL) : NULL;
    const char *code;
    json_t *v;
    if (json_is_object(vals))
        json_object_foreach(vals, code, v)
        {
            const attr_def *d = attrs_find(defs, n, code);
            int is_list = d && (d->type == ATTR_SINGLEVALUELIST || d->type == ATTR_MULTIVALUELIST);
            jsonw_object_begin(w, NULL);
            jsonw_string(w, "code", code);
            jsonw_string(w, "label", d ? attr_label(d, l) : code);
            int has_pos;
            double lat, lon;
            const char *place =
                d && d->type == ATTR_LOCATION ? attr_location_of(v, &has_pos, &lat, &lon) : NULL;
            if (place) {
                /* A place: its address, and its position when it has one. */
                jsonw_string(w, "value", place);
                if (has_pos) {
                    jsonw_double(w, "lat", lat);
                    jsonw_double(w, "lon", lon);
                }
            } else if (json_is_array(v)) {
                size_t k;
                json_t *e;
                jsonw_array_begin(w, "value");
                json_array_foreach(v, k, e) jsonw_string(w, NULL, json_string_value(e));
                jsonw_array_end(w);
                if (is_list) {
                    jsonw_array_begin(w, "value_label");
                    json_array_foreach(v, k, e)
                        jsonw_string(w, NULL, attr_value_name(d, json_string_value(e), l));
                    jsonw_array_end(w);
                }
            } else {
                jsonw_string(w, "value", json_string_value(v));
                if (is_list)
                    jsonw_string(w, "value_label", attr_value_name(d, json_string_value(v), l));
            }
            jsonw_object_end(w);
        }
    json_decref(vals);
    jsonw_array_end(w);
}

/* The archive path of an attachment, under dir ("demandes/<ref>/"). */
static const char *attachment_entry(arena *a, const char *dir, const store_attachment *at)
{
    const char *fallback = at->is_photo ? "photo.jpg"
                           : at->content_type && strcmp(at->content_type, "application/pdf") == 0
                               ? "document.pdf"
                               : "piece-jointe";
    const char *name = safe_name(a, at->filename, fallback);
    return name ? arena_printf(a, "%spieces-jointes/%" PRId64 "-%s", dir, at->id, name) : NULL;
}

/* The file's size on disk, or -1 when it is missing or not a regular file. */
static int64_t stored_size(const attachment_dir *d, arena *a, const char *storage_name)
{
    const char *path = attachment_path(d, a, storage_name);
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return (int64_t)st.st_size;
}

/* Writes demande.json of request r and prepares its files. 0 or -1 (logged). */
static int write_request(export_stream *s, const store_request *r)
{
    store *st = s->c->store;
    arena *a = &s->ra;
    error err;
    store_event *ev = NULL;
    size_t n_ev = 0;
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    /* Public events only: internal notes and internal changes never leave the back office. */
    if (st->ops->events.list(st, s->tenant->rec.id, r->id, 1, a, &ev, &n_ev, &err) != 0 ||
        st->ops->attachments.list(st, s->tenant->rec.id, r->id, a, &atts, &n_atts, &err) != 0) {
        log_error("export: reading request %" PRId64 ": %s", r->id, err.detail);
        s->state = ST_FAILED;
        return -1;
    }
    const char *ref = safe_name(a, r->reference, "demande");
    const char *dir = ref ? arena_printf(a, "demandes/%s/", ref) : NULL;
    s->files = n_atts ? arena_alloc(a, n_atts * sizeof *s->files) : NULL;
    const char **paths = n_atts ? arena_alloc(a, n_atts * sizeof *paths) : NULL;
    if (!dir || (n_atts && (!s->files || !paths))) {
        fail(s, "out of memory");
        return -1;
    }
    /* The files the citizen could see: sent with the request, or with a public event (their
     * messages, the mairie's replies). A field agent's photo on an internal note stays. */
    s->n_files = 0;
    for (size_t i = 0; i < n_atts; i++) {
        paths[i] = NULL;
        int visible = atts[i].event_id == 0;
        for (size_t k = 0; !visible && k < n_ev; k++)
            visible = ev[k].id == atts[i].event_id;
        if (!visible)
            continue;
        int64_t size = stored_size(core_uploads(s->c), a, atts[i].storage_name);
        if (size < 0) {
            log_error("export: the file of attachment %" PRId64 " is missing", atts[i].id);
            s->state = ST_FAILED;
            return -1;
        }
        paths[i] = attachment_entry(a, dir, &atts[i]);
        if (!paths[i]) {
            fail(s, "out of memory");
            return -1;
        }
        s->files[s->n_files++] =
            (file_item){atts[i].storage_name, paths[i], size, atts[i].created_at};
    }
    const cat_procedure *p = catalogue_procedure_by_id(s->tenant, r->procedure_id);
    buf out;
    buf_init(&out, EXPORT_JSON_MAX);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "reference", r->reference);
    jsonw_object_begin(&w, "procedure");
    jsonw_string(&w, "code", p ? p->rec.code : NULL);
    jsonw_string(&w, "name", p ? p->rec.name : NULL);
    jsonw_object_end(&w);
    jsonw_string(&w, "channel", r->channel);
    jsonw_string(&w, "status", r->status);
    json_time(s, &w, "created_at", r->created_at);
    json_time(s, &w, "updated_at", r->updated_at);
    json_time(s, &w, "closed_at", r->closed_at);
    jsonw_string(&w, "description", r->description);
    /* Labels in the language the citizen chose for the request, as its messages. */
    const attr_def *defs = NULL;
    size_t n_defs = 0;
    if (p)
        forms_at(s->c, p, r->procedure_version, a, &defs, &n_defs);
    write_attributes(&w, defs, n_defs, r->attributes,
                     r->lang && strcmp(r->lang, "en") == 0 ? LANG_EN : LANG_FR);
    jsonw_object_begin(&w, "location");
    if (r->has_location) {
        jsonw_double(&w, "lat", r->lat);
        jsonw_double(&w, "long", r->lon);
    } else {
        jsonw_null(&w, "lat");
        jsonw_null(&w, "long");
    }
    jsonw_string(&w, "address", r->address);
    jsonw_string(&w, "address_id", r->address_id);
    jsonw_string(&w, "zipcode", r->zipcode);
    jsonw_object_end(&w);
    jsonw_object_begin(&w, "contact");
    jsonw_string(&w, "first_name", r->first_name);
    jsonw_string(&w, "last_name", r->last_name);
    jsonw_string(&w, "email", r->email);
    jsonw_string(&w, "phone", r->phone);
    jsonw_string(&w, "notify", r->notify);
    jsonw_string(&w, "lang", r->lang); /* the language of the messages about the request */
    jsonw_object_end(&w);
    /* What an application filing through Open311 said about the citizen. */
    jsonw_string(&w, "device_id", r->device_id);
    jsonw_string(&w, "open311_account_id", r->account_id);
    jsonw_string(&w, "media_url", r->media_url);
    jsonw_bool(&w, "shown_publicly", r->is_public);
    if (r->rating > 0) {
        jsonw_object_begin(&w, "rating");
        jsonw_int(&w, "value", r->rating);
        jsonw_string(&w, "comment", r->rating_comment);
        jsonw_object_end(&w);
    } else {
        jsonw_null(&w, "rating");
    }
    jsonw_array_begin(&w, "timeline");
    for (size_t k = 0; k < n_ev; k++) {
        const store_event *e = &ev[k];
        jsonw_object_begin(&w, NULL);
        json_time(s, &w, "date", e->created_at);
        jsonw_string(&w, "kind", e->kind);
        /* The citizen and «la mairie» are the only authors, as on the tracking page. */
        jsonw_string(&w, "by", request_event_by_citizen(e) ? "citizen" : "mairie");
        jsonw_string(&w, "channel", e->channel);
        jsonw_string(&w, "status_from", e->status_from);
        jsonw_string(&w, "status_to", e->status_to);
        /* The creation event repeats the description. */
        jsonw_string(&w, "text", e->kind && strcmp(e->kind, "created") == 0 ? NULL : e->body);
        jsonw_array_begin(&w, "attachments");
        for (size_t i = 0; i < n_atts; i++)
            if (paths[i] && atts[i].event_id == e->id)
                jsonw_string(&w, NULL, paths[i] + strlen(dir));
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_array_begin(&w, "attachments");
    for (size_t i = 0; i < n_atts; i++) {
        if (!paths[i])
            continue;
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "file", paths[i] + strlen(dir));
        jsonw_string(&w, "name", atts[i].filename);
        jsonw_string(&w, "content_type", atts[i].content_type);
        jsonw_int(&w, "size", atts[i].size);
        json_time(s, &w, "sent_at", atts[i].created_at);
        jsonw_bool(&w, "with_the_request", atts[i].event_id == 0);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    int rc = -1;
    if (jsonw_finish(&w) != 0) {
        log_error("export: request %" PRId64 " is over %u bytes of JSON", r->id, EXPORT_JSON_MAX);
        s->state = ST_FAILED;
        goto cleanup;
    }
    if (entry_json(s, arena_printf(a, "%sdemande.json", dir), &out, r->updated_at) != 0)
        goto cleanup;
    /* compte.json's index line. */
    jsonw_object_begin(&s->iw, NULL);
    jsonw_string(&s->iw, "reference", r->reference);
    jsonw_string(&s->iw, "procedure", p ? p->rec.name : NULL);
    json_time(s, &s->iw, "created_at", r->created_at);
    jsonw_string(&s->iw, "status", r->status);
    jsonw_string(&s->iw, "file", arena_printf(a, "%sdemande.json", dir));
    jsonw_int(&s->iw, "attachments", (int64_t)s->n_files);
    jsonw_object_end(&s->iw);
    s->n_written++;
    rc = 0;
cleanup:
    buf_free(&out);
    return rc;
}

/* The next request of the plan (skipping any that disappeared since, e.g. anonymised). */
static int step_request(export_stream *s)
{
    arena_free(&s->ra);
    s->files = NULL;
    s->n_files = s->file_i = 0;
    while (s->next < s->plan->n) {
        int64_t id = s->plan->ids[s->next++];
        store *st = s->c->store;
        store_request r;
        int found = 0;
        error err;
        if (st->ops->requests.get_by_id(st, s->tenant->rec.id, id, &s->ra, &r, &found, &err) != 0) {
            log_error("export: reading request %" PRId64 ": %s", id, err.detail);
            s->state = ST_FAILED;
            return -1;
        }
        if (!found)
            continue;
        if (write_request(s, &r) != 0)
            return -1;
        s->state = ST_FILE;
        return 0;
    }
    s->state = ST_INDEX;
    return 0;
}

/* One chunk of the current file, or its header, or on to the next request. */
static int step_file(export_stream *s)
{
    if (s->fd < 0) {
        if (s->file_i >= s->n_files) {
            s->state = ST_REQUEST;
            return 0;
        }
        const file_item *f = &s->files[s->file_i];
        const char *path = attachment_path(core_uploads(s->c), &s->ra, f->storage_name);
        s->fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (s->fd < 0) {
            log_error("export: cannot open stored file %s: %s", f->storage_name, strerror(errno));
            s->state = ST_FAILED;
            return -1;
        }
        s->file_left = f->size;
        /* Photos are JPEG and PDFs compressed already: stored as they are. */
        return entry_begin(s, f->path, f->size, f->created_at, 0);
    }
    const file_item *f = &s->files[s->file_i];
    if (s->file_left == 0) {
        /* The header announced this size: a file that grew since would break the entry. */
        char extra;
        ssize_t more = read(s->fd, &extra, 1);
        close(s->fd);
        s->fd = -1;
        if (more != 0) {
            log_error("export: stored file %s changed while it was exported", f->storage_name);
            s->state = ST_FAILED;
            return -1;
        }
        s->file_i++;
        return 0;
    }
    size_t want = s->file_left < CHUNK ? (size_t)s->file_left : CHUNK;
    ssize_t got;
    do
        got = read(s->fd, s->chunk, want);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        log_error("export: stored file %s is shorter than it was", f->storage_name);
        s->state = ST_FAILED;
        return -1;
    }
    s->file_left -= got;
    if (archive_write_data(s->ar, s->chunk, (size_t)got) != got) {
        fail(s, f->path);
        return -1;
    }
    return 0;
}

/* compte.json: who the archive is about and what it holds. */
static int step_index(export_stream *s)
{
    jsonw_array_end(&s->iw);
    if (jsonw_finish(&s->iw) != 0) {
        log_error("export: index over %u bytes", INDEX_MAX);
        s->state = ST_FAILED;
        return -1;
    }
    const export_plan *p = s->plan;
    buf out;
    buf_init(&out, INDEX_MAX + 64 * 1024);
    jsonw w;
    jsonw_init(&w, &out);
    jsonw_object_begin(&w, NULL);
    jsonw_string(&w, "format", EXPORT_FORMAT);
    json_time(s, &w, "generated_at", s->now);
    jsonw_object_begin(&w, "collectivite");
    jsonw_string(&w, "name", s->tenant->rec.name);
    jsonw_string(&w, "contact", s->tenant->rec.contact);
    jsonw_object_end(&w);
    jsonw_string(&w, "email", p->email);
    if (p->has_account) {
        const store_account *acc = &p->account;
        jsonw_object_begin(&w, "account");
        jsonw_string(&w, "email", acc->email);
        jsonw_string(&w, "display_name", acc->display_name);
        jsonw_string(&w, "phone", acc->phone);
        jsonw_string(&w, "notify", acc->notify);
        jsonw_string(&w, "lang", acc->lang);
        json_time(s, &w, "created_at", acc->created_at);
        json_time(s, &w, "email_verified_at", acc->email_verified_at);
        json_time(s, &w, "phone_verified_at", acc->phone_verified_at);
        /* Only a verified number is the citizen's: whether it answered STOP. */
        if (acc->phone && acc->phone_verified_at)
            jsonw_bool(&w, "sms_opted_out", p->sms_opted_out);
        jsonw_object_end(&w);
    } else {
        jsonw_null(&w, "account");
    }
    jsonw_array_begin(&w, "subscriptions");
    for (size_t i = 0; i < p->n_subs; i++) {
        const store_subscriber *sub = &p->subs[i];
        jsonw_object_begin(&w, NULL);
        jsonw_string(&w, "channel", sub->channel);
        jsonw_string(&w, "address", sub->address);
        jsonw_string(&w, "lang", sub->lang);
        json_time(s, &w, "confirmed_at", sub->confirmed_at);
        if (sub->has_point) {
            jsonw_double(&w, "lat", sub->lat);
            jsonw_double(&w, "long", sub->lon);
        }
        jsonw_array_begin(&w, "topics");
        for (size_t k = 0; k < sub->n_topics; k++)
            for (size_t t = 0; t < p->n_topics; t++)
                if (p->topics[t].id == sub->topic_ids[k])
                    jsonw_string(&w, NULL, p->topics[t].name);
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_int(&w, "request_count", (int64_t)s->n_written);
    jsonw_int(&w, "requests_left_out", p->left_out);
    jsonw_raw(&w, "requests", buf_cstr(&s->index));
    jsonw_object_end(&w);
    int rc = -1;
    if (jsonw_finish(&w) != 0) {
        log_error("export: compte.json over its limit");
        s->state = ST_FAILED;
    } else if (entry_json(s, "compte.json", &out, s->now) == 0) {
        s->state = ST_CLOSE;
        rc = 0;
    }
    buf_free(&out);
    return rc;
}

/* Makes the next piece of the archive (into s->pending). */
static int step(export_stream *s)
{
    switch (s->state) {
    case ST_README:
        s->state = ST_REQUEST;
        return s->readme ? entry_bytes(s, "LISEZMOI.txt", s->readme, strlen(s->readme), s->now) : 0;
    case ST_REQUEST:
        return step_request(s);
    case ST_FILE:
        return step_file(s);
    case ST_INDEX:
        return step_index(s);
    case ST_CLOSE:
        if (archive_write_close(s->ar) != ARCHIVE_OK) {
            fail(s, "closing the archive");
            return -1;
        }
        s->state = ST_DONE;
        return 0;
    case ST_DONE:
    case ST_FAILED:
    default:
        return -1;
    }
}

long export_stream_read(export_stream *s, char *out, size_t max)
{
    while (s->pending_off >= s->pending.len) {
        if (s->state == ST_DONE)
            return 0;
        if (s->state == ST_FAILED)
            return -1;
        buf_reset(&s->pending);
        s->pending_off = 0;
        if (step(s) != 0 || s->pending.failed) {
            if (s->pending.failed)
                log_error("export: over %u bytes pending", PENDING_MAX);
            s->state = ST_FAILED;
            return -1;
        }
    }
    size_t n = s->pending.len - s->pending_off;
    if (n > max)
        n = max;
    memcpy(out, s->pending.data + s->pending_off, n);
    s->pending_off += n;
    return (long)n;
}

void export_stream_free(export_stream *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->ar)
        archive_write_free(s->ar);
    if (s->cat)
        catalogue_release(s->c, s->cat);
    arena_free(&s->ra);
    buf_free(&s->pending);
    buf_free(&s->index);
    free(s->readme);
    export_plan_free(s->plan);
    free(s);
}

export_stream *export_stream_open(core *c, export_plan *plan, const char *readme, error *err)
{
    export_stream *s = calloc(1, sizeof *s);
    if (!s) {
        export_plan_free(plan);
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    s->c = c;
    s->plan = plan;
    s->fd = -1;
    s->now = time_now();
    arena_init(&s->ra, 0);
    buf_init(&s->pending, PENDING_MAX);
    buf_init(&s->index, INDEX_MAX);
    jsonw_init(&s->iw, &s->index);
    jsonw_array_begin(&s->iw, NULL);
    s->cat = catalogue_acquire(c);
    s->tenant = catalogue_tenant_by_id(s->cat, plan->tenant_id);
    if (!s->tenant) {
        error_set(err, ERR_NOT_FOUND, NULL, "no such collectivité");
        goto fail;
    }
    s->tz = s->tenant->rec.timezone;
    if (readme && !(s->readme = strndup(readme, README_MAX))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    s->ar = archive_write_new();
    /* Bytes go to the callback as they are made (no 10 KiB blocking, no padding at the end);
     * names are UTF-8 with the ZIP flag saying so. */
    if (!s->ar || archive_write_set_format_zip(s->ar) != ARCHIVE_OK ||
        archive_write_set_options(s->ar, "zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(s->ar, 0) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(s->ar, 1) != ARCHIVE_OK ||
        archive_write_open2(s->ar, s, NULL, on_archive_write, NULL, NULL) != ARCHIVE_OK) {
        const char *why = s->ar ? archive_error_string(s->ar) : "out of memory";
        error_set(err, ERR_INTERNAL, NULL, "cannot start the archive: %s", why ? why : "");
        goto fail;
    }
    s->state = ST_README;
    return s;
fail:
    export_stream_free(s);
    return NULL;
}

const char *export_filename(arena *a, const char *tenant_slug, int64_t now, const char *tz)
{
    char date[TIME_RFC3339_LEN];
    time_format_rfc3339(now, tz, date);
    date[10] = '\0';
    char *slug = arena_strdup(a, tenant_slug && *tenant_slug ? tenant_slug : "guichet");
    if (!slug)
        return NULL;
    for (char *q = slug; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            *q = '-';
    return arena_printf(a, "donnees-%s-%s.zip", slug, date);
}

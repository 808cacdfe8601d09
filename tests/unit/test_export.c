/*
 * Unit tests of core/export on a real SQLite database and uploads directory: which requests a
 * citizen's plan holds (the account's, and the address's once verified, never another's);
 * the agent's plan and its audit entries in one transaction (and an intact chain); the
 * archive read back with libarchive: the JSON of each request (public timeline only, the
 * citizen and «mairie» as the only authors), the files of the request and of public events
 * byte for byte, never a file of an internal event, safe names; reading by tiny pieces; a
 * missing file fails the archive rather than ending it; the download name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/audit.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/export.h"
#include "core/request.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/timeutil.h"

/* The agents' software acting through an API key (audited: the audit log names no agent that
 * the database does not hold). */
static const core_actor test_agent_3 = {.kind = ACTOR_KEY, .id = 3, .name = "logiciel-3"};

static const char PDF[] =
    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
    "xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    "0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n";

#define ATTRS                                                                                      \
    "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"required\":true,\"order\":1,"        \
    "\"description\":\"Taille du trou\",\"description_en\":\"Size of the hole\","                  \
    "\"values\":[{\"key\":\"grand\",\"name\":\"Grand\",\"name_en\":\"Large\"}]},"                  \
    "{\"code\":\"vu_le\",\"datatype\":\"date\",\"order\":2,\"description\":\"Vu le\"},"            \
    "{\"code\":\"garage\",\"datatype\":\"location\",\"order\":3,\"description\":\"Garage\"}]"

typedef struct fixture {
    char dir[64];
    char path[96];
    char uploads[96];
    store *store;
    core *core;
    int64_t tenant;
    int64_t account;
    char mine_email[24], mine_acct[24], theirs[24]; /* references */
} fixture;

typedef struct account_job {
    store_account acc;
    int64_t id;
} account_job;

static int insert_account(store *s, void *arg, error *err)
{
    account_job *j = arg;
    return s->ops->accounts.tx_insert(s, &j->acc, &j->id, err);
}

/* A request of the fixture's incident procedure, its messages in language lang_code ("fr",
 * "en"); reference into ref. */
static void file(fixture *f, const char *email, int64_t citizen_id, const char *description,
                 const char *lang_code, char ref[24])
{
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-test");
    /* The day typed the French way: stored, and so exported, as YYYY-MM-DD. */
    /* A place with its position, as the portal gives it. */
    static const attr_input attrs[] = {
        {"taille", "grand"},
        {"vu_le", "05/12/2026"},
        {"garage", "{\"address\":\"2 rue du Dépôt\",\"lat\":45.75,\"lon\":4.85}"}};
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, "nid-de-poule"),
                        .ch = CHANNEL_WEB,
                        .description = description,
                        .has_location = 1,
                        .lat = 45.76,
                        .lon = 4.83,
                        .attrs = attrs,
                        .n_attrs = 3,
                        .attr_locations = 1,
                        .email = email,
                        .last_name = "Martin",
                        .citizen_id = citizen_id,
                        .lang_code = lang_code,
                        .require_location = 1};
    request_created out;
    error err;
    assert_int_equal(request_create(f->core, &in, &out, NULL, NULL, &err), 0);
    snprintf(ref, 24, "%s", out.reference);
    catalogue_release(f->core, cat);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/guichet-export-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->uploads, sizeof f->uploads, "%s/uploads", f->dir);
    error err;
    f->store = store_open(f->path, &err);
    assert_non_null(f->store);
    assert_int_equal(f->store->ops->migrate(f->store, &err), 0);
    f->core = core_open_config(f->store, &(core_config){.uploads_dir = f->uploads}, &err);
    assert_non_null(f->core);
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie@ville-test.fr"};
    assert_int_equal(admin_tenant_upsert(f->core, &t, &f->tenant, &err), 0);
    store_procedure p = {.tenant_id = f->tenant,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .attributes = ATTRS,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->core, &p, NULL, &err), 0);
    account_job j = {.acc = {.tenant_id = f->tenant,
                             .email = "jeanne@exemple.fr",
                             .display_name = "Jeanne",
                             .notify = "email",
                             .lang = "fr",
                             .created_at = time_now()}};
    assert_int_equal(store_write_sync(f->store, insert_account, &j, &err), 0);
    f->account = j.id;
    /* Filed by e-mail with her address (another case), from her account with another
     * address, and another citizen's. */
    file(f, "Jeanne@Exemple.fr", 0, "Un trou devant chez moi", "en", f->mine_email);
    file(f, "bureau@exemple.fr", f->account, "Un trou devant le bureau", "fr", f->mine_acct);
    file(f, "paul@exemple.fr", 0, "Le trou de Paul", "fr", f->theirs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    core_close(f->core);
    store_close(f->store);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void load_account(fixture *f, arena *a, store_account *acc)
{
    int found = 0;
    error err;
    assert_int_equal(
        f->store->ops->accounts.get(f->store, f->tenant, f->account, a, acc, &found, &err), 0);
    assert_true(found);
}

static int64_t request_id(fixture *f, const char *ref)
{
    const catalogue *cat = catalogue_acquire(f->core);
    arena a;
    arena_init(&a, 0);
    store_request r;
    error err;
    assert_int_equal(
        request_get(f->core, catalogue_tenant_by_slug(cat, "ville-test"), ref, &a, &r, &err), 0);
    arena_free(&a);
    catalogue_release(f->core, cat);
    return r.id;
}

static int holds(const export_plan *p, int64_t id)
{
    size_t n = 0;
    const int64_t *ids = export_plan_requests(p, &n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

typedef struct verify_job {
    int64_t tenant, account;
} verify_job;

static int mark_verified(store *s, void *arg, error *err)
{
    verify_job *j = arg;
    arena a;
    arena_init(&a, 0);
    store_account acc;
    int found = 0;
    int rc = s->ops->accounts.get(s, j->tenant, j->account, &a, &acc, &found, err);
    if (rc == 0) {
        acc.email_verified_at = time_now();
        rc = s->ops->accounts.tx_update(s, &acc, err);
    }
    arena_free(&a);
    return rc;
}

static void test_plan_citizen(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    store_account acc;
    load_account(f, &a, &acc);
    error err;
    export_plan *p = NULL;
    /* Not verified yet: only what was filed from the account. */
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    size_t n = 0;
    export_plan_requests(p, &n);
    assert_int_equal(n, 1);
    assert_true(holds(p, request_id(f, f->mine_acct)));
    assert_int_equal(export_plan_account_id(p), f->account);
    export_plan_free(p);

    verify_job vj = {f->tenant, f->account};
    assert_int_equal(store_write_sync(f->store, mark_verified, &vj, &err), 0);
    arena_free(&a);
    load_account(f, &a, &acc);
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    export_plan_requests(p, &n);
    assert_int_equal(n, 2);
    assert_true(holds(p, request_id(f, f->mine_email)));
    assert_true(holds(p, request_id(f, f->mine_acct)));
    assert_false(holds(p, request_id(f, f->theirs)));
    export_plan_free(p);

    /* Another collectivité's account is refused. */
    acc.tenant_id = f->tenant + 1;
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), -1);
    assert_null(p);
    arena_free(&a);
}

/* The audit entries after id `after`: "action kind ids" lines. */
static void audit_lines(fixture *f, int64_t after, char *out, size_t size)
{
    arena a;
    arena_init(&a, 0);
    store_audit *e = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(f->store->ops->audit.list(f->store, f->tenant, after, 100, &a, &e, &n, &err),
                     0);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s %s %s %s|", e[i].actor, e[i].action,
                                e[i].object_kind ? e[i].object_kind : "-",
                                e[i].object_ids ? e[i].object_ids : "-");
    arena_free(&a);
}

static void test_plan_agent_audited(void **state)
{
    fixture *f = *state;
    error err;
    export_plan *p = NULL;
    int64_t agent = 0;
    assert_int_equal(agent_create(f->core, f->tenant, "claire@ville-test.fr", "Claire",
                                  AGENT_ROLE_ADMIN, NULL, 0, "un mot de passe long", &agent, &err),
                     0);
    char actor[32];
    snprintf(actor, sizeof actor, "agent:%" PRId64, agent);
    store_agent admin = {.id = agent, .tenant_id = f->tenant, .role = "admin", .active = 1};
    core_actor who = actor_of_agent(&admin, "web 192.0.2.1");
    /* Core applies the rule: an agent whose role may not export is refused, nothing read. */
    store_agent plain = {.id = agent, .tenant_id = f->tenant, .role = "agent", .active = 1};
    core_actor not_allowed = actor_of_agent(&plain, "web 192.0.2.1");
    assert_int_equal(export_plan_agent(f->core, f->tenant, "jeanne@exemple.fr", &not_allowed, &p,
                                       NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_null(p);
    assert_int_equal(export_plan_agent(f->core, f->tenant, "jeanne@exemple.fr", &actor_citizen, &p,
                                       NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    int rc =
        export_plan_agent(f->core, f->tenant, " JEANNE@exemple.fr ", &who, &p, NULL, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "export_plan_agent: %s\n", err.detail);
    assert_int_equal(rc, 0);
    assert_non_null(p);
    size_t n = 0;
    export_plan_requests(p, &n);
    /* The address matches one request, the account found by it the other. */
    assert_int_equal(n, 2);
    assert_int_equal(export_plan_account_id(p), f->account);
    char lines[1024], want[256];
    audit_lines(f, 0, lines, sizeof lines);
    const int64_t *ids = export_plan_requests(p, &n);
    snprintf(want, sizeof want,
             "%s export account %" PRId64 "|%s export request %" PRId64 ",%" PRId64 "|", actor,
             f->account, actor, ids[0], ids[1]);
    assert_string_equal(lines, want);
    assert_null(strchr(lines, '@'));
    export_plan_free(p);

    /* Nobody: answered (an empty plan) and audited without ids. */
    assert_int_equal(
        export_plan_agent(f->core, f->tenant, "personne@exemple.fr", &who, &p, NULL, NULL, &err),
        0);
    assert_true(export_plan_empty(p));
    export_plan_free(p);
    audit_lines(f, 0, lines, sizeof lines);
    snprintf(want, sizeof want, "|%s export request -|", actor);
    assert_non_null(strstr(lines, want));

    /* Not an address: refused at once, nothing audited. */
    p = (export_plan *)&err; /* must be reset to NULL */
    assert_int_equal(
        export_plan_agent(f->core, f->tenant, "pas une adresse", &who, &p, NULL, NULL, &err), -1);
    assert_null(p);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "email");
    char after[1024];
    audit_lines(f, 0, after, sizeof after);
    assert_string_equal(after, lines);
    int64_t bad = 0, checked = 0;
    assert_int_equal(audit_verify(f->core, f->tenant, &bad, &checked, &err), 0);
    assert_int_equal(checked, 3);
}

typedef struct internal_job {
    int64_t tenant, request;
    store_attachment *at;
} internal_job;

/* A field agent's photo on an internal note, as bo_mobile writes it. */
static int internal_with_file(store *s, void *arg, error *err)
{
    internal_job *j = arg;
    store_event e = {.tenant_id = j->tenant,
                     .request_id = j->request,
                     .created_at = time_now(),
                     .kind = "note",
                     .is_public = 0,
                     .actor = "agent:3",
                     .body = "Photo interne du chantier"};
    int64_t id = 0;
    return s->ops->events.tx_insert(s, &e, &id, err) != 0
               ? -1
               : attachment_save_tx(s, j->tenant, j->request, id, j->at, 1, err);
}

static void prepare_pdf(fixture *f, arena *a, const char *name, store_attachment *at)
{
    attachment_upload up = {"fichiers", name, PDF, sizeof PDF - 1};
    error err;
    assert_int_equal(attachment_prepare(core_uploads(f->core), &up, a, at, &err), 0);
}

/* The archive's entries read back with libarchive: names and contents, in order. */
typedef struct entries {
    char *name[64];
    buf data[64];
    size_t n;
} entries;

static void read_zip(const char *zip, size_t len, entries *out)
{
    memset(out, 0, sizeof *out);
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip(ar);
    assert_int_equal(archive_read_open_memory(ar, zip, len), ARCHIVE_OK);
    struct archive_entry *e;
    while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
        assert_true(out->n < 64);
        out->name[out->n] = strdup(archive_entry_pathname_utf8(e));
        buf_init(&out->data[out->n], 64 * 1024 * 1024);
        char chunk[4096];
        la_ssize_t got;
        while ((got = archive_read_data(ar, chunk, sizeof chunk)) > 0)
            buf_append(&out->data[out->n], chunk, (size_t)got);
        assert_int_equal(got, 0);
        out->n++;
    }
    archive_read_free(ar);
}

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->name[i]);
        buf_free(&e->data[i]);
    }
}

static const buf *entry(const entries *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->name[i], name) == 0)
            return &e->data[i];
    return NULL;
}

/* The whole archive of plan, read by pieces of at most `piece` bytes. */
static long archive_of(fixture *f, export_plan *p, size_t piece, buf *zip)
{
    error err;
    export_stream *s = export_stream_open(f->core, p, "Lisez-moi\n", &err);
    assert_non_null(s);
    char chunk[70000];
    long got, calls = 0;
    while ((got = export_stream_read(s, chunk, piece)) > 0) {
        assert_true((size_t)got <= piece);
        buf_append(zip, chunk, (size_t)got);
        calls++;
    }
    export_stream_free(s);
    return got < 0 ? -1 : calls;
}

static void test_archive(void **state)
{
    fixture *f = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, "ville-test");
    /* Her message with a PDF whose name tries to leave the archive's folder; the mairie's
     * public reply; an internal note; an internal photo. */
    store_attachment mine;
    prepare_pdf(f, &a, "justificatif.pdf", &mine);
    /* attachment_prepare keeps only a base name; a row written otherwise (an import) must
     * still not lead out of the request's folder. */
    mine.filename = "../../etc/passwd.pdf";
    assert_int_equal(request_citizen_message(f->core, t, f->mine_acct, NULL,
                                             "Voici le justificatif", &mine, 1, CHANNEL_WEB, NULL,
                                             NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->core, t, f->mine_acct, "Réponse publique", 1,
                                      &test_agent_3, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->core, t, f->mine_acct, "Note interne secrète", 0,
                                      &test_agent_3, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    store_attachment internal;
    prepare_pdf(f, &a, "interne.pdf", &internal);
    internal_job ij = {f->tenant, request_id(f, f->mine_acct), &internal};
    assert_int_equal(store_write_sync(f->store, internal_with_file, &ij, &err), 0);
    catalogue_release(f->core, cat);
    /* Verified: the request she filed by e-mail (in English) is hers too. */
    verify_job vj = {f->tenant, f->account};
    assert_int_equal(store_write_sync(f->store, mark_verified, &vj, &err), 0);

    store_account acc;
    load_account(f, &a, &acc);
    export_plan *p = NULL;
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    buf zip;
    buf_init(&zip, 64 * 1024 * 1024);
    assert_true(archive_of(f, p, 65536, &zip) > 0);
    entries e;
    read_zip(zip.data, zip.len, &e);

    assert_string_equal(e.name[0], "LISEZMOI.txt");
    assert_string_equal(e.name[e.n - 1], "compte.json");
    char name[128];
    snprintf(name, sizeof name, "demandes/%s/demande.json", f->mine_acct);
    const buf *json = entry(&e, name);
    assert_non_null(json);
    json_t *d = json_loadb(json->data, json->len, 0, NULL);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "description")),
                        "Un trou devant le bureau");
    json_t *attr = json_array_get(json_object_get(d, "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(attr, "label")), "Taille du trou");
    assert_string_equal(json_string_value(json_object_get(attr, "value_label")), "Grand");
    /* A date question's answer: the day as stored, for a program to read back. */
    json_t *day = json_array_get(json_object_get(d, "attributes"), 1);
    assert_string_equal(json_string_value(json_object_get(day, "label")), "Vu le");
    assert_string_equal(json_string_value(json_object_get(day, "value")), "2026-12-05");
    /* A location's: its address, and its position beside it. */
    json_t *place = json_array_get(json_object_get(d, "attributes"), 2);
    assert_string_equal(json_string_value(json_object_get(place, "label")), "Garage");
    assert_string_equal(json_string_value(json_object_get(place, "value")), "2 rue du Dépôt");
    assert_true(json_real_value(json_object_get(place, "lat")) == 45.75);
    assert_true(json_real_value(json_object_get(place, "lon")) == 4.85);
    /* The one she filed in English: its question and answer in English. */
    snprintf(name, sizeof name, "demandes/%s/demande.json", f->mine_email);
    const buf *json_en = entry(&e, name);
    assert_non_null(json_en);
    json_t *d_en = json_loadb(json_en->data, json_en->len, 0, NULL);
    json_t *attr_en = json_array_get(json_object_get(d_en, "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(attr_en, "label")), "Size of the hole");
    assert_string_equal(json_string_value(json_object_get(attr_en, "value_label")), "Large");
    json_decref(d_en);
    /* created, her message, the reply: no internal event. */
    json_t *tl = json_object_get(d, "timeline");
    assert_int_equal(json_array_size(tl), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 1), "by")), "citizen");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 2), "by")), "mairie");
    assert_int_equal(json_array_size(json_object_get(d, "attachments")), 1);
    json_decref(d);

    /* Her PDF, as sent, under a name that stays in its folder; not the internal one. */
    size_t files = 0;
    for (size_t i = 0; i < e.n; i++) {
        assert_null(strstr(e.name[i], "../"));
        assert_null(memmem(e.data[i].data, e.data[i].len, "secrète", strlen("secrète")));
        assert_null(memmem(e.data[i].data, e.data[i].len, "agent:3", 7));
        assert_null(memmem(e.data[i].data, e.data[i].len, "logiciel-3", 10));
        assert_null(memmem(e.data[i].data, e.data[i].len, "Le trou de Paul", 15));
        if (strstr(e.name[i], "/pieces-jointes/")) {
            files++;
            assert_non_null(strstr(e.name[i], "-_._.._etc_passwd.pdf"));
            assert_int_equal(e.data[i].len, sizeof PDF - 1);
            assert_memory_equal(e.data[i].data, PDF, sizeof PDF - 1);
        }
    }
    assert_int_equal(files, 1);
    json_t *idx =
        json_loadb(entry(&e, "compte.json")->data, entry(&e, "compte.json")->len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(idx, "format")), EXPORT_FORMAT);
    assert_int_equal(json_integer_value(json_object_get(idx, "request_count")), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(idx, "account"), "display_name")),
        "Jeanne");
    json_decref(idx);
    entries_free(&e);

    /* Read seven bytes at a time, the archive is as good. */
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    buf small;
    buf_init(&small, 64 * 1024 * 1024);
    assert_true(archive_of(f, p, 7, &small) > (long)(zip.len / 7));
    read_zip(small.data, small.len, &e);
    assert_int_equal(e.n, 5); /* LISEZMOI, two demande.json, her PDF, compte.json */
    entries_free(&e);
    buf_free(&small);
    buf_free(&zip);
    arena_free(&a);
}

/* Her verified number, opted out of SMS, with an SMS subscription of its own. */
static int verify_phone(store *s, void *arg, error *err)
{
    verify_job *j = arg;
    arena a;
    arena_init(&a, 0);
    store_account acc;
    int found = 0;
    int rc = s->ops->accounts.get(s, j->tenant, j->account, &a, &acc, &found, err);
    if (rc == 0) {
        acc.phone = "+33612345678";
        acc.phone_verified_at = 1700000000;
        rc = s->ops->accounts.tx_update(s, &acc, err);
    }
    store_topic *topics = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = s->ops->broadcasts.topics(s, j->tenant, 1, &a, &topics, &n, err);
    if (rc == 0) {
        store_subscriber sub = {.tenant_id = j->tenant,
                                .channel = "sms",
                                .address = "+33612345678",
                                .lang = "fr",
                                .confirmed_at = 1700000000,
                                .created_at = 1700000000,
                                .leave_token = "leave-phone",
                                .topic_ids = &topics[0].id,
                                .n_topics = 1};
        int64_t id = 0;
        rc = s->ops->broadcasts.tx_subscriber_insert(s, &sub, &id, err);
        if (rc == 0)
            rc = s->ops->broadcasts.tx_subscriber_confirm(s, j->tenant, id, 1700000000, err);
    }
    if (rc == 0)
        rc = s->ops->sms.tx_opt_out(s, j->tenant, "+33612345678", 1700000000, err);
    arena_free(&a);
    return rc;
}

/* compte.json says when her number was verified, whether it answered STOP, and lists the
 * SMS subscription of that number; an unverified number says neither. */
static void test_phone(void **state)
{
    fixture *f = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    verify_job vj = {f->tenant, f->account};
    assert_int_equal(store_write_sync(f->store, verify_phone, &vj, &err), 0);
    store_account acc;
    load_account(f, &a, &acc);
    export_plan *p = NULL;
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    buf zip;
    buf_init(&zip, 64 * 1024 * 1024);
    assert_true(archive_of(f, p, 64 * 1024, &zip) > 0);
    entries e;
    read_zip(zip.data, zip.len, &e);
    json_t *idx =
        json_loadb(entry(&e, "compte.json")->data, entry(&e, "compte.json")->len, 0, NULL);
    json_t *account = json_object_get(idx, "account");
    assert_non_null(json_string_value(json_object_get(account, "phone_verified_at")));
    assert_true(json_is_true(json_object_get(account, "sms_opted_out")));
    json_t *subs = json_object_get(idx, "subscriptions");
    assert_int_equal(json_array_size(subs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(subs, 0), "address")),
                        "+33612345678");
    json_decref(idx);
    entries_free(&e);
    buf_free(&zip);

    /* The number unverified: nothing of it beyond the account's own field. */
    acc.phone_verified_at = 0;
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    buf_init(&zip, 64 * 1024 * 1024);
    assert_true(archive_of(f, p, 64 * 1024, &zip) > 0);
    read_zip(zip.data, zip.len, &e);
    idx = json_loadb(entry(&e, "compte.json")->data, entry(&e, "compte.json")->len, 0, NULL);
    account = json_object_get(idx, "account");
    assert_true(json_is_null(json_object_get(account, "phone_verified_at")));
    assert_null(json_object_get(account, "sms_opted_out"));
    assert_int_equal(json_array_size(json_object_get(idx, "subscriptions")), 0);
    json_decref(idx);
    entries_free(&e);
    buf_free(&zip);
    arena_free(&a);
}

static void test_missing_file_fails(void **state)
{
    fixture *f = *state;
    error err;
    arena a;
    arena_init(&a, 0);
    const catalogue *cat = catalogue_acquire(f->core);
    store_attachment at;
    prepare_pdf(f, &a, "perdu.pdf", &at);
    assert_int_equal(request_citizen_message(f->core, catalogue_tenant_by_slug(cat, "ville-test"),
                                             f->mine_acct, NULL, "Pièce", &at, 1, CHANNEL_WEB, NULL,
                                             NULL, &err),
                     0);
    catalogue_release(f->core, cat);
    const char *path = attachment_path(core_uploads(f->core), &a, at.storage_name);
    assert_int_equal(unlink(path), 0);
    store_account acc;
    load_account(f, &a, &acc);
    export_plan *p = NULL;
    assert_int_equal(export_plan_citizen(f->core, f->tenant, &acc, &p, &err), 0);
    buf zip;
    buf_init(&zip, 64 * 1024 * 1024);
    /* A failure, never an end that would look like a complete archive. */
    assert_int_equal(archive_of(f, p, 65536, &zip), -1);
    buf_free(&zip);
    arena_free(&a);
}

static void test_filename(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    /* 2026-03-01 00:30 in Paris is still 28 February in UTC. */
    int64_t when = 1772321400;
    assert_string_equal(export_filename(&a, "ville-demo", when, "Europe/Paris"),
                        "donnees-ville-demo-2026-03-01.zip");
    assert_string_equal(export_filename(&a, "saint-étienne", when, "UTC"),
                        "donnees-saint---tienne-2026-02-28.zip");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_citizen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_agent_audited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_fails, setup, teardown),
        cmocka_unit_test(test_filename),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

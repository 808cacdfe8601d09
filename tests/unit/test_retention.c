/*
 * Unit tests of core/retention and account deletion on a real SQLite database and uploads
 * directory: a request carrying every kind of personal data (contact fields, description,
 * address, free-text and list attributes, a citizen's message with a file, a photo with its
 * thumbnail, an internal note, a reply e-mailed to the citizen, a rating comment, «moi
 * aussi» keys) is anonymised once past its procedure's retention — no marker of it is left
 * in any column of any table, its files are gone, and after compaction its words are in
 * neither the database file nor its log; what the figures need stays. Passes are
 * idempotent, leave open and recent requests alone, honour each procedure's period, work in
 * bounded jobs (one audit entry per job, in its transaction), build a bordereau when the
 * archives' visa is required and anonymise only once it is recorded; deleting an account
 * checks the password, removes the account and erases its closed requests at once and its
 * open ones after their closure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/account.h"
#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/broadcast.h"
#include "core/document.h"
#include "present/present.h"
#include "core/core.h"
#include "core/mail_held.h"
#include "core/request.h"
#include "core/retention.h"
#include "core/work.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "web/web.h"

#include "test_db.h"

/* An agent acting without a session (no access rules; audited). */
static const core_actor test_agent_1 = {.kind = ACTOR_AGENT, .id = 1};

#define MONTH (31 * 86400)
#define PASSWORD "une phrase de passe assez longue"

/* Two list attributes (kept for an incident) and two free ones (always erased). */
static const char *ATTRS =
    "[{\"code\":\"taille\",\"datatype\":\"singlevaluelist\",\"order\":1,"
    "\"values\":[{\"key\":\"petit\",\"name\":\"Petit\"},{\"key\":\"grand\",\"name\":\"Grand\"}]},"
    "{\"code\":\"dechets\",\"datatype\":\"multivaluelist\",\"order\":2,"
    "\"values\":[{\"key\":\"verre\",\"name\":\"Verre\"},{\"key\":\"bois\",\"name\":\"Bois\"}]},"
    "{\"code\":\"plaque\",\"datatype\":\"string\",\"order\":3},"
    "{\"code\":\"details\",\"datatype\":\"text\",\"order\":4}]";

/* Every personal datum filed carries one of these, so that a scan of the whole database can
 * tell whether anything of it is left. */
static const char *const MARKERS[] = {
    "Prenomzorg",   "Nomzorg",         "zorg.usager@exemple.fr",
    "33611223344",  "Descriptionzorg", "Adressezorg",
    "ADRZORG1",     "Plaquezorg",      "Detailszorg",
    "Messagezorg",  "Notezorg",        "Reponsezorg",
    "Avisgzorg",    "devicezorg",      "https://media.exemple.fr/zorg.jpg",
    "compte-zorg",  "zorg.pdf",        "Textepubliczorg",
    "Courrierzorg",
};
#define N_MARKERS (sizeof MARKERS / sizeof MARKERS[0])

typedef struct fixture {
    char dir[64];
    char path[96];
    char uploads[96];
    store *store;
    core *core;
    int64_t tenant_id;
    int64_t agent_id;
} fixture;

/* An admin of collectivité tenant_id acting from `source`, as a page gives it to core (rec
 * holds the agent's role for core's access rule). */
static core_actor admin_of(fixture *f, int64_t tenant_id, store_agent *rec, const char *source)
{
    *rec = (store_agent){.id = f->agent_id, .tenant_id = tenant_id, .role = "admin", .active = 1};
    return actor_of_agent(rec, source);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/guichet-retention-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->uploads, sizeof f->uploads, "%s/uploads", f->dir);
    error err;
    f->store = store_open(f->path, &err);
    assert_non_null(f->store);
    assert_int_equal(f->store->ops->migrate(f->store, &err), 0);
    /* As the server opens it: the uploads directory and the portal's links. */
    core_config cfg = {.uploads_dir = f->uploads, .links = web_portal_links};
    f->core = core_open_config(f->store, &cfg, &err);
    assert_non_null(f->core);
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->core, &t, &f->tenant_id, &err), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep = 0;
    assert_int_equal(admin_department_upsert(f->core, &d, &dep, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "trou",
                         .name = "Trou",
                         .attributes = ATTRS,
                         .department_id = dep,
                         .kind = PROCEDURE_INCIDENT,
                         .is_public = 1,
                         .auto_public = 1,
                         .open311 = 1,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->core, &p, NULL, &err), 0);
    /* Retention does not depend on the workflow: this démarche names the incident one, whose
     * statuses the requests below are closed with. */
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "ccas",
                         .name = "Aide CCAS",
                         .attributes = ATTRS,
                         .department_id = dep,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1,
                         .workflow_id = test_db_workflow_id(f->core, f->tenant_id, "incident")};
    assert_int_equal(admin_procedure_upsert(f->core, &q, NULL, &err), 0);
    static const char *const depts[] = {"voirie"};
    assert_int_equal(agent_create(f->core, f->tenant_id, "admin@ville-test.fr", "Admin Test",
                                  AGENT_ROLE_ADMIN, depts, 1, PASSWORD, &f->agent_id, &err),
                     0);
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

/* ---- helpers ---- */

static const cat_tenant *tenant(const catalogue *cat)
{
    return catalogue_tenant_by_slug(cat, "ville-test");
}

/* A file in the uploads directory under a name guichet could have given it. */
static const char *new_file(fixture *f, arena *a, const char *ext)
{
    static unsigned counter;
    const char *name = arena_printf(a, "%024x%08x%s", 0xabcdefu, ++counter, ext);
    const char *path = arena_printf(a, "%s/%s", f->uploads, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "Messagezorg", 11), 11);
    close(fd);
    return name;
}

static int file_exists(fixture *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->uploads, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Files a request had, to check they leave the disk with it. */
typedef struct filed {
    char reference[24];
    int64_t id;
    const char *files[4];
    size_t n_files;
} filed;

/* Files a request of procedure `code` as citizen_id (0: none), closed when `closed`, with
 * every kind of personal data. */
static void file_full(fixture *f, const char *code, int closed, int64_t citizen_id, arena *a,
                      filed *out)
{
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = tenant(cat);
    static const attr_input attrs[] = {{"taille", "grand"},
                                       {"dechets", "verre"},
                                       {"dechets", "bois"},
                                       {"plaque", "Plaquezorg AB-123-CD"},
                                       {"details", "Detailszorg au 2e étage"}};
    store_attachment files[2];
    memset(files, 0, sizeof files);
    files[0].filename = "zorg.pdf";
    files[0].content_type = "application/pdf";
    files[0].size = 11;
    files[0].storage_name = new_file(f, a, ".pdf");
    files[1].filename = "photo.jpg";
    files[1].content_type = "image/jpeg";
    files[1].size = 11;
    files[1].is_photo = 1;
    files[1].storage_name = new_file(f, a, ".jpg");
    files[1].thumb_name = new_file(f, a, ".jpg");
    request_input in = {.tenant = t,
                        .procedure = catalogue_procedure(t, code),
                        .ch = CHANNEL_WEB,
                        .description = "Descriptionzorg devant chez moi",
                        .has_location = 1,
                        .lat = 45.764321,
                        .lon = 4.835678,
                        .address = "12 rue Adressezorg",
                        .address_id = "ADRZORG1",
                        .zipcode = "69001",
                        .attrs = attrs,
                        .n_attrs = 5,
                        .first_name = "Prenomzorg",
                        .last_name = "Nomzorg",
                        .email = "zorg.usager@exemple.fr",
                        .phone = "0611223344", /* stored as +33611223344 */
                        .device_id = "devicezorg",
                        .account_id = "compte-zorg",
                        .media_url = "https://media.exemple.fr/zorg.jpg",
                        .citizen_id = citizen_id,
                        .attachments = files,
                        .n_attachments = 2,
                        .ack_base_url = "https://ville-test.fr",
                        .lang_code = "fr"};
    request_created rc;
    error err;
    assert_int_equal(request_create(f->core, &in, &rc, NULL, NULL, &err), 0);
    snprintf(out->reference, sizeof out->reference, "%s", rc.reference);
    out->id = rc.id;
    out->files[0] = files[0].storage_name;
    out->files[1] = files[1].storage_name;
    out->files[2] = files[1].thumb_name;
    out->n_files = 3;
    /* The citizen writes, with a file; an agent notes, replies (e-mailed) and closes. */
    store_attachment msg_file = {.filename = "lettre.pdf",
                                 .content_type = "application/pdf",
                                 .size = 11,
                                 .storage_name = new_file(f, a, ".pdf")};
    out->files[out->n_files++] = msg_file.storage_name;
    assert_int_equal(request_citizen_message(f->core, t, rc.reference, NULL, "Messagezorg encore",
                                             &msg_file, 1, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->core, t, rc.reference, "Notezorg interne", 0,
                                      &test_agent_1, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    request_processing pr = {.change = {.priority = -1,
                                        .who = &test_agent_1,
                                        .assignee = "agent:martin",
                                        .department = "voirie",
                                        .note = closed ? "Reponsezorg : réparé" : NULL,
                                        .status = closed ? "resolved" : NULL},
                             .reply = "Reponsezorg Madame",
                             .reply_url = "https://ville-test.fr/suivi"};
    pr.change.priority = 3;
    assert_int_equal(request_process(f->core, t, rc.reference, &pr, NULL, NULL, &err), 0);
    if (closed)
        assert_int_equal(
            request_rate(f->core, t, rc.reference, NULL, 4, "Avisgzorg merci", NULL, NULL, &err),
            0);
    if (strcmp(code, "trou") == 0) /* a public text, approved: moderated, erased all the same */
        assert_int_equal(work_set_public_text(f->core, t, rc.reference, "Textepubliczorg approuvé",
                                              &test_agent_1, NULL, NULL, &err),
                         0);
    if (strcmp(code, "trou") == 0) { /* only public requests take a «moi aussi» */
        const char *keys[] = {"supportzorgkey1", "supportzorgkey2"};
        int added = 0;
        assert_int_equal(
            request_support(f->core, t, rc.reference, keys, 2, &added, NULL, NULL, &err), 0);
    }
    catalogue_release(f->core, cat);
}

/* Occurrences of `needle` in any column of any table, as bytes. The full-text index's
 * tables are left out: a contentless index keeps erased words in its old segments until
 * they are merged (retention_compact, checked with fts_term). */
static int64_t db_hits(fixture *f, const char *needle)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *tables = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' AND "
                                        "name NOT LIKE 'requests_fts%'",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    int64_t hits = 0;
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(tables, 0);
        char *q = sqlite3_mprintf("SELECT * FROM \"%w\"", table);
        sqlite3_stmt *rows = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &rows, NULL), SQLITE_OK);
        sqlite3_free(q);
        while (sqlite3_step(rows) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                const void *v = sqlite3_column_blob(rows, c);
                int len = sqlite3_column_bytes(rows, c);
                if (v && memmem(v, (size_t)len, needle, strlen(needle)))
                    hits++;
            }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return hits;
}

/* 1 when the bytes of needle are anywhere in file path (the database or its log). */
static int file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *data = malloc(size > 0 ? (size_t)size : 1);
    assert_non_null(data);
    size_t got = fread(data, 1, size > 0 ? (size_t)size : 0, fp);
    fclose(fp);
    int found = memmem(data, got, needle, strlen(needle)) != NULL;
    free(data);
    return found;
}

static int64_t scalar(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t count_where(fixture *f, const char *table, const char *where, int64_t id)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    char *q = strstr(sql, "?");
    if (q) {
        char tail[256];
        snprintf(tail, sizeof tail, "%s", q + 1);
        snprintf(q, sizeof sql - (size_t)(q - sql), "%" PRId64 "%s", id, tail);
    }
    return scalar(f, sql);
}

static store_request get(fixture *f, arena *a, const char *ref)
{
    store_request r;
    int found = 0;
    error err;
    assert_int_equal(f->store->ops->requests.get(f->store, f->tenant_id, ref, a, &r, &found, &err),
                     0);
    assert_int_equal(found, 1);
    return r;
}

static retention_report pass_at(fixture *f, int64_t now, size_t max)
{
    retention_opts o = {.now = now, .max_per_tenant = max, .source = "test"};
    retention_report rep = {0};
    error err;
    assert_int_equal(retention_run(f->core, &o, &rep, &err), 0);
    return rep;
}

/* The audit entries of an action: count, and the ids of the largest. */
static size_t audit_entries(fixture *f, const char *action, size_t *max_ids)
{
    arena a;
    arena_init(&a, 0);
    store_audit *e = NULL;
    size_t n = 0, hits = 0;
    error err;
    assert_int_equal(f->store->ops->audit.list(f->store, f->tenant_id, 0, 10000, &a, &e, &n, &err),
                     0);
    if (max_ids)
        *max_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].action, action) != 0)
            continue;
        hits++;
        size_t ids = e[i].object_ids && *e[i].object_ids ? 1 : 0;
        for (const char *p = e[i].object_ids; p && *p; p++)
            ids += *p == ',';
        if (max_ids && ids > *max_ids)
            *max_ids = ids;
    }
    arena_free(&a);
    return hits;
}

/* ---- tests ---- */

static void test_cutoff(void **state)
{
    (void)state;
    store_procedure p = {.retention_months = 24};
    int64_t t = 0;
    assert_int_equal(time_parse_rfc3339("2026-05-15T10:00:00Z", &t), 0);
    int64_t want = 0;
    assert_int_equal(time_parse_rfc3339("2024-05-15T10:00:00Z", &want), 0);
    assert_int_equal(retention_cutoff(&p, t), want);
    p.retention_months = 1;
    assert_int_equal(time_parse_rfc3339("2026-01-10T00:00:00Z", &t), 0);
    assert_int_equal(time_parse_rfc3339("2025-12-10T00:00:00Z", &want), 0);
    assert_int_equal(retention_cutoff(&p, t), want);
    /* 0 (never stored, but defended): the default of the kind. */
    store_procedure d = {.kind = PROCEDURE_DEMARCHE};
    assert_int_equal(time_parse_rfc3339("2029-01-10T00:00:00Z", &t), 0);
    assert_int_equal(time_parse_rfc3339("2026-01-10T00:00:00Z", &want), 0);
    assert_int_equal(retention_cutoff(&d, t), want);
}

static void exec_sql(fixture *f, const char *sql);

/* A letter of the post room on file `name` (its first letter when first is 0), received
 * and decided (0: not) at these instants. */
static void post_letter(fixture *f, int64_t id, int64_t first, const char *name, const char *state,
                        int64_t received, int64_t decided)
{
    char sql[1024];
    char scan[24] = "NULL", when[24] = "NULL";
    if (first)
        snprintf(scan, sizeof scan, "%" PRId64, first);
    if (decided)
        snprintf(when, sizeof when, "%" PRId64, decided);
    snprintf(sql, sizeof sql,
             "INSERT INTO post_letters (id, tenant_id, scan_id, filename, content_type, "
             "storage_name, size, received_at, received_by, state, reason, decided_by, "
             "decided_at) VALUES (%" PRId64 ", %" PRId64 ", %s, 'lettre.pdf', 'application/pdf', "
             "'%s', 11, %" PRId64 ", 'agent:1', '%s', 'Messagezorg', 'agent:1', %s);",
             id, f->tenant_id, scan, name, received, state, when);
    exec_sql(f, sql);
}

static void test_anonymise_erases_everything_personal(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    filed r;
    file_full(f, "trou", 1, 0, &a, &r);
    /* It came by post: its letter, read and filed as it, with the scan's preview. */
    const char *scan = new_file(f, &a, ".pdf"), *scan_preview = new_file(f, &a, ".png");
    post_letter(f, 91, 0, scan, "filed", time_now() - 86400, time_now() - 3600);
    char post_sql[512];
    snprintf(post_sql, sizeof post_sql,
             "UPDATE post_letters SET request_id = %" PRId64 ", text = 'Courrierzorg, 3 rue', "
             "proposals = '{\"nom\":\"Courrierzorg\"}', preview = '%s' WHERE id = 91;",
             r.id, scan_preview);
    exec_sql(f, post_sql);
    /* Sanity: every marker is in the database before, and every file on disk. */
    for (size_t i = 0; i < N_MARKERS; i++)
        if (db_hits(f, MARKERS[i]) == 0)
            fail_msg("marker %s was never stored: the test proves nothing", MARKERS[i]);
    for (size_t i = 0; i < r.n_files; i++)
        assert_true(file_exists(f, r.files[i]));
    assert_true(count_where(f, "outbox", "request_id = ?", r.id) >= 2);
    assert_int_equal(count_where(f, "request_supports", "request_id = ?", r.id), 2);
    store_request before = get(f, &a, r.reference);
    assert_int_equal(before.supporters, 1);
    /* Its receipt names the citizen: issued once (a second call finds it), erased with it. */
    error err;
    present *pr = present_open(NULL, &err);
    assert_non_null(pr);
    document_set_strings(f->core, present_strings(pr, LANG_FR), present_strings(pr, LANG_EN));
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = catalogue_tenant_by_id(cat, f->tenant_id);
    int issued = 0;
    assert_int_equal(document_issue_receipt(f->core, t, r.id, time_now(), &issued, &err), 0);
    assert_int_equal(issued, 1);
    assert_int_equal(document_issue_receipt(f->core, t, r.id, time_now(), &issued, &err), 0);
    assert_int_equal(issued, 0);
    catalogue_release(f->core, cat);
    present_close(pr);
    assert_int_equal(count_where(f, "documents", "request_id = ?", r.id), 1);
    /* The receipt went through the parapheur: a refused circuit, its step's comment naming
     * the citizen. Both go with the documents (their keys name them). */
    char *sign_sql = NULL;
    assert_true(asprintf(&sign_sql,
                         "INSERT INTO sign_circuits (id, tenant_id, request_id, document_id, "
                         "sent_by, message, state, step, steps, created_at, waiting_since) "
                         "SELECT 77, tenant_id, request_id, id, %" PRId64 ", 'pour Mme Marqueur', "
                         "'refused', 1, 1, 1, 1 FROM documents WHERE request_id = %" PRId64 ";"
                         "INSERT INTO sign_steps (circuit_id, position, agent_id, state, "
                         "document_id, comment, decided_at) SELECT 77, 1, %" PRId64
                         ", 'refused', document_id, 'adresse fausse', 2 FROM sign_circuits "
                         "WHERE id = 77;",
                         f->agent_id, r.id, f->agent_id) > 0);
    exec_sql(f, sign_sql);
    free(sign_sql);
    assert_int_equal(count_where(f, "sign_circuits", "request_id = ?", r.id), 1);

    /* 23 months after: not yet. 25 months after: erased. */
    retention_report rep = pass_at(f, time_now() + 23 * MONTH - 86400, 0);
    assert_int_equal(rep.anonymised, 0);
    assert_int_equal(get(f, &a, r.reference).anonymised_at, 0);
    rep = pass_at(f, time_now() + 25 * MONTH, 0);
    assert_int_equal(rep.anonymised, 1);
    assert_int_equal(rep.left, 0);

    for (size_t i = 0; i < N_MARKERS; i++)
        if (db_hits(f, MARKERS[i]) != 0)
            fail_msg("marker %s is still in the database after anonymisation", MARKERS[i]);
    for (size_t i = 0; i < r.n_files; i++)
        if (file_exists(f, r.files[i]))
            fail_msg("file %s is still in the uploads directory", r.files[i]);
    assert_int_equal(count_where(f, "attachments", "request_id = ?", r.id), 0);
    assert_int_equal(count_where(f, "outbox", "request_id = ?", r.id), 0);
    assert_int_equal(count_where(f, "request_supports", "request_id = ?", r.id), 0);
    assert_int_equal(count_where(f, "documents", "request_id = ?", r.id), 0);
    assert_int_equal(count_where(f, "sign_circuits", "request_id = ?", r.id), 0);
    assert_int_equal(count_where(f, "sign_steps", "circuit_id = ?", 77), 0);
    /* Its letter: nothing of it left but a dropped row, whose file and preview the next pass
     * removes with it. */
    assert_int_equal(count_where(f, "post_letters", "request_id = ?", r.id), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM post_letters WHERE id = 91 AND state = "
                               "'discarded' AND text IS NULL AND proposals IS NULL"),
                     1);
    assert_true(file_exists(f, scan));
    rep = pass_at(f, time_now() + 25 * MONTH, 0);
    assert_int_equal(rep.post_purged, 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM post_letters"), 0);
    assert_false(file_exists(f, scan));
    assert_false(file_exists(f, scan_preview));

    store_request after = get(f, &a, r.reference);
    /* Erased, column by column. */
    assert_null(after.token_hash);
    assert_null(after.description);
    assert_null(after.address);
    assert_null(after.address_id);
    assert_null(after.first_name);
    assert_null(after.last_name);
    assert_null(after.email);
    assert_null(after.phone);
    assert_null(after.device_id);
    assert_null(after.account_id);
    assert_null(after.media_url);
    assert_null(after.status_notes);
    assert_null(after.rating_comment);
    assert_int_equal(after.citizen_id, 0);
    assert_string_equal(after.notify, "none");
    assert_true(after.anonymised_at > 0);
    /* Kept for the figures: an incident keeps a coarse position and its list values. */
    assert_string_equal(after.reference, before.reference);
    assert_int_equal(after.procedure_id, before.procedure_id);
    assert_int_equal(after.department_id, before.department_id);
    assert_string_equal(after.status, "resolved");
    assert_string_equal(after.channel, "web");
    assert_string_equal(after.zipcode, "69001");
    assert_int_equal(after.created_at, before.created_at);
    assert_int_equal(after.closed_at, before.closed_at);
    assert_int_equal(after.priority, 3);
    assert_int_equal(after.rating, 4);
    assert_int_equal(after.supporters, 1);
    assert_int_equal(after.is_public, 1);
    assert_int_equal(after.has_location, 1);
    assert_true(fabs(after.lat - 45.764) < 1e-9);
    assert_true(fabs(after.lon - 4.836) < 1e-9);
    assert_string_equal(after.attributes,
                        "{\"dechets\":[\"verre\",\"bois\"],\"taille\":\"grand\"}");

    /* The timeline keeps its shape, without a word of the citizen's or the agents'. */
    store_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(f->store->ops->events.list(f->store, f->tenant_id, r.id, 0, &a, &ev, &n, &err),
                     0);
    int anonymised_events = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].kind, "assign") == 0)
            assert_string_equal(ev[i].body, "agent:martin");
        else if (strcmp(ev[i].kind, "priority") == 0)
            assert_string_equal(ev[i].body, "urgent");
        else if (strcmp(ev[i].kind, "department") != 0)
            assert_null(ev[i].body);
        if (strcmp(ev[i].kind, "anonymised") == 0) {
            anonymised_events++;
            assert_int_equal(ev[i].is_public, 0);
            assert_string_equal(ev[i].actor, "system");
        }
    }
    assert_int_equal(anonymised_events, 1);
    assert_true(n >= 6);

    /* Search no longer finds it by any of its former words. */
    store_request_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.tenant_id = f->tenant_id;
    flt.limit = 10;
    flt.text = "Nomzorg";
    store_request *found = NULL;
    size_t nf = 9;
    assert_int_equal(f->store->ops->requests.search(f->store, &flt, &a, &found, &nf, &err), 0);
    assert_int_equal(nf, 0);
    /* One audit entry names it; the entry itself holds no personal data. */
    size_t ids = 0;
    assert_int_equal(audit_entries(f, "anonymise", &ids), 1);
    assert_int_equal(ids, 1);

    /* Compaction. Before it, the contentless index still holds the erased words in its old
     * segments (search no longer finds them, the file does); after it, not a byte of them,
     * nor of what the rows held, is in the database file or its log (secure_delete zeroed
     * the rows, 'optimize' rewrote the index, the log is truncated). */
    char wal[128];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    static const char *const terms[] = {"nomzorg", "prenomzorg", "descriptionzorg", "adressezorg",
                                        "33611223344"};
    int remnants = 0;
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        remnants += file_holds(f->path, terms[i]) || file_holds(wal, terms[i]);
    assert_true(remnants > 0);
    assert_int_equal(retention_compact(f->core, &err), 0);
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        if (file_holds(f->path, terms[i]) || file_holds(wal, terms[i]))
            fail_msg("«%s» is still in the database's files after compaction", terms[i]);
    static const char *const words[] = {"Nomzorg",     "Descriptionzorg", "zorg.usager",
                                        "Messagezorg", "Reponsezorg",     "Plaquezorg"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (file_holds(f->path, words[i]) || file_holds(wal, words[i]))
            fail_msg("«%s» is still in the database's files after compaction", words[i]);
    }
    arena_free(&a);
}

static void test_idempotent_and_selective(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    filed old_incident, open_incident, old_demarche;
    file_full(f, "trou", 1, 0, &a, &old_incident);
    file_full(f, "trou", 0, 0, &a, &open_incident);
    file_full(f, "ccas", 1, 0, &a, &old_demarche);
    int64_t at = time_now() + 30 * MONTH; /* past 24 months, not 36 */
    retention_report rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 1);
    assert_true(get(f, &a, old_incident.reference).anonymised_at > 0);
    /* Open: whatever its age. A démarche: 36 months. */
    store_request o = get(f, &a, open_incident.reference);
    assert_int_equal(o.anonymised_at, 0);
    assert_string_equal(o.last_name, "Nomzorg");
    for (size_t i = 0; i < open_incident.n_files; i++)
        assert_true(file_exists(f, open_incident.files[i]));
    assert_int_equal(get(f, &a, old_demarche.reference).anonymised_at, 0);

    /* Again: nothing more, not one event more. */
    int64_t events = scalar(f, "SELECT count(*) FROM request_events");
    int64_t audits = scalar(f, "SELECT count(*) FROM audit_log");
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM request_events"), events);
    assert_int_equal(scalar(f, "SELECT count(*) FROM audit_log"), audits);
    /* Asked directly, a request already anonymised, or not due, is left as it is. */
    const catalogue *cat = catalogue_acquire(f->core);
    int64_t ids[] = {old_incident.id, open_incident.id, old_demarche.id};
    size_t done = 9;
    error err;
    assert_int_equal(request_anonymise(f->core, tenant(cat), ids, 3, at, 0, NULL, &done, &err), 0);
    catalogue_release(f->core, cat);
    assert_int_equal(done, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM request_events"), events);

    /* The démarche, 37 months on: no position, no attribute at all. */
    rep = pass_at(f, time_now() + 37 * MONTH, 0);
    assert_int_equal(rep.anonymised, 1);
    store_request d = get(f, &a, old_demarche.reference);
    assert_true(d.anonymised_at > 0);
    assert_int_equal(d.has_location, 0);
    assert_string_equal(d.attributes, "{}");
    arena_free(&a);
}

/* Many due requests: anonymised RETENTION_BATCH per job, each job with its audit entry,
 * within the pass's cap; the next pass takes the rest. */
static void test_bounded_batches(void **state)
{
    fixture *f = *state;
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = tenant(cat);
    enum { N = 2 * RETENTION_BATCH + 20 };
    error err;
    for (int i = 0; i < N; i++) {
        request_input in = {.tenant = t,
                            .procedure = catalogue_procedure(t, "trou"),
                            .ch = CHANNEL_API,
                            .description = "Descriptionzorg",
                            .email = "zorg.usager@exemple.fr",
                            .address = "1 rue Adressezorg",
                            .initial_status = "resolved"};
        request_created rc;
        assert_int_equal(request_create(f->core, &in, &rc, NULL, NULL, &err), 0);
    }
    catalogue_release(f->core, cat);
    int64_t at = time_now() + 25 * MONTH;
    retention_report rep = pass_at(f, at, 2 * RETENTION_BATCH);
    assert_int_equal(rep.anonymised, 2 * RETENTION_BATCH);
    assert_int_equal(rep.left, 20);
    size_t max_ids = 0;
    assert_int_equal(audit_entries(f, "anonymise", &max_ids), 2);
    assert_int_equal(max_ids, RETENTION_BATCH);
    assert_int_equal(scalar(f, "SELECT count(*) FROM requests WHERE anonymised_at IS NOT NULL"),
                     2 * RETENTION_BATCH);
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 20);
    assert_int_equal(rep.left, 0);
    assert_int_equal(audit_entries(f, "anonymise", NULL), 3);
    assert_int_equal(db_hits(f, "Descriptionzorg"), 0);
    assert_int_equal(db_hits(f, "zorg.usager"), 0);
}

/* With the archives' visa required: a bordereau first, nothing erased until its visa. */
static void test_bordereau(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    error err;
    assert_int_equal(
        retention_set_archives_visa(f->core, &actor_cli, f->tenant_id, 1, NULL, NULL, &err), 0);
    filed r1, r2, r3;
    file_full(f, "trou", 1, 0, &a, &r1);
    file_full(f, "trou", 1, 0, &a, &r2);
    file_full(f, "trou", 0, 0, &a, &r3); /* open: not on the bordereau */
    int64_t at = time_now() + 25 * MONTH;

    retention_opts dry = {.now = at, .dry_run = 1};
    retention_report rep = {0};
    assert_int_equal(retention_run(f->core, &dry, &rep, &err), 0);
    assert_int_equal(rep.lists_created, 1);
    assert_int_equal(rep.listed, 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM disposal_lists"), 0);

    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 0);
    assert_int_equal(rep.lists_created, 1);
    assert_int_equal(rep.listed, 2);
    assert_int_equal(rep.awaiting_visa, 2);
    assert_int_equal(get(f, &a, r1.reference).anonymised_at, 0);
    assert_int_equal(audit_entries(f, "disposal_create", NULL), 1);
    /* While it waits, no other bordereau and no erasure. */
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.lists_created, 0);
    assert_int_equal(rep.anonymised, 0);
    assert_int_equal(rep.awaiting_visa, 2);

    store_disposal_list *lists = NULL;
    size_t n = 0;
    assert_int_equal(disposal_lists(f->core, f->tenant_id, 10, &a, &lists, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(lists[0].status, "pending");
    assert_int_equal(lists[0].n_requests, 2);
    store_disposal_item *items = NULL;
    assert_int_equal(
        disposal_items(f->core, f->tenant_id, lists[0].id, 0, 100, &a, &items, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].reference, r1.reference);
    assert_string_equal(items[0].state, "due");
    /* Another collectivité's visa, or a second one, is refused. */
    store_agent rec;
    core_actor other = admin_of(f, f->tenant_id + 1, &rec, "test");
    assert_int_equal(
        disposal_approve(f->core, &other, f->tenant_id + 1, lists[0].id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    core_actor who = admin_of(f, f->tenant_id, &rec, "web 192.0.2.1");
    assert_int_equal(disposal_approve(f->core, &who, f->tenant_id, lists[0].id, NULL, NULL, &err),
                     0);
    assert_int_equal(disposal_approve(f->core, &who, f->tenant_id, lists[0].id, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(audit_entries(f, "approve", NULL), 1);

    /* r2 is reopened meanwhile: kept, not destroyed. */
    const catalogue *cat = catalogue_acquire(f->core);
    assert_int_equal(
        request_reopen(f->core, tenant(cat), r2.reference, NULL, "Toujours là", NULL, NULL, &err),
        0);
    catalogue_release(f->core, cat);
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 1);
    assert_true(get(f, &a, r1.reference).anonymised_at > 0);
    assert_int_equal(get(f, &a, r2.reference).anonymised_at, 0);
    assert_int_equal(get(f, &a, r3.reference).anonymised_at, 0);
    store_disposal_list l;
    assert_int_equal(disposal_get(f->core, f->tenant_id, lists[0].id, &a, &l, &err), 0);
    assert_string_equal(l.status, "done");
    assert_int_equal(l.approved_by, f->agent_id);
    assert_true(l.approved_at > 0 && l.done_at >= l.approved_at);
    assert_int_equal(l.n_done, 1);
    assert_int_equal(l.n_kept, 1);
    arena_free(&a);
}

/* The visa no longer required while a bordereau waits: the pass anonymises what is due, and
 * the bordereau, approved later, records those requests as destroyed, not kept. */
static void test_bordereau_visa_dropped(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    error err;
    assert_int_equal(
        retention_set_archives_visa(f->core, &actor_cli, f->tenant_id, 1, NULL, NULL, &err), 0);
    filed r;
    file_full(f, "trou", 1, 0, &a, &r);
    int64_t at = time_now() + 25 * MONTH;
    retention_report rep = pass_at(f, at, 0);
    assert_int_equal(rep.lists_created, 1);
    assert_int_equal(
        retention_set_archives_visa(f->core, &actor_cli, f->tenant_id, 0, NULL, NULL, &err), 0);
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 1);
    assert_true(get(f, &a, r.reference).anonymised_at > 0);
    assert_int_equal(
        retention_set_archives_visa(f->core, &actor_cli, f->tenant_id, 1, NULL, NULL, &err), 0);
    int64_t list = scalar(f, "SELECT max(id) FROM disposal_lists");
    store_agent rec;
    core_actor who = admin_of(f, f->tenant_id, &rec, "test");
    assert_int_equal(disposal_approve(f->core, &who, f->tenant_id, list, NULL, NULL, &err), 0);
    rep = pass_at(f, at, 0);
    assert_int_equal(rep.anonymised, 0);
    store_disposal_list l;
    assert_int_equal(disposal_get(f->core, f->tenant_id, list, &a, &l, &err), 0);
    assert_string_equal(l.status, "done");
    assert_int_equal(l.n_done, 1);
    assert_int_equal(l.n_kept, 0);
    arena_free(&a);
}

static int64_t verified_account(fixture *f, const char *email)
{
    store_tenant t = {.id = f->tenant_id, .slug = "ville-test", .name = "Ville Test"};
    error err;
    assert_int_equal(account_signup(f->core, &t, email, PASSWORD, "Jeanne Zorg", LANG_FR,
                                    "https://x.test", NULL, NULL, &err),
                     0);
    arena a;
    arena_init(&a, 0);
    store_outbox *rows = NULL;
    size_t n = 0;
    assert_int_equal(f->store->ops->outbox.list(f->store, f->tenant_id, 0, &a, &rows, &n, &err), 0);
    const char *token = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, "account_verify") == 0 && rows[i].params)
            token = strstr(rows[i].params, "jeton=");
    assert_non_null(token);
    char tok[128];
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(token + 6, "\""), token + 6);
    int64_t id = 0;
    assert_int_equal(account_verify(f->core, f->tenant_id, tok, NULL, &id, NULL, NULL, &err), 0);
    arena_free(&a);
    return id;
}

static void test_account_delete(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    error err;
    int64_t id = verified_account(f, "zorg.usager@exemple.fr");
    /* Filed while logged in (citizen_id), and without an account but from its address. */
    filed closed_mine, open_mine, closed_by_address;
    file_full(f, "trou", 1, id, &a, &closed_mine);
    file_full(f, "trou", 0, id, &a, &open_mine);
    file_full(f, "ccas", 1, 0, &a, &closed_by_address);

    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = tenant(cat);
    account_deletion out;
    core_actor citizen = actor_citizen;
    citizen.id = id;
    citizen.source = "web 192.0.2.1";
    /* A wrong password changes nothing. */
    assert_int_equal(
        account_delete(f->core, t, id, "pas le bon mot de passe", &citizen, &out, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(count_where(f, "accounts", "id = ?", id), 1);
    assert_int_equal(account_delete(f->core, t, id, PASSWORD, &citizen, &out, NULL, NULL, &err), 0);
    assert_int_equal(out.n_requests, 3);
    assert_int_equal(out.n_anonymised, 2);
    /* Deleted twice: not found, as the job reads it; with a password, the same answer as a
     * wrong one. */
    assert_int_equal(account_delete(f->core, t, id, NULL, &test_agent_1, NULL, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(account_delete(f->core, t, id, PASSWORD, &citizen, NULL, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* The deletion's entry names the citizen and where from; the erasure's, the system. */
    assert_int_equal(count_where(f, "audit_log",
                                 "action = 'delete' AND actor = 'citizen' AND "
                                 "source = 'web 192.0.2.1' AND object_ids = ?",
                                 id),
                     1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM audit_log WHERE action = 'anonymise' AND "
                               "actor = 'system' AND source = 'web 192.0.2.1'"),
                     1);

    assert_int_equal(count_where(f, "accounts", "id = ?", id), 0);
    assert_int_equal(count_where(f, "sessions", "account_id = ?", id), 0);
    assert_int_equal(count_where(f, "account_tokens", "account_id = ?", id), 0);
    assert_int_equal(count_where(f, "requests", "citizen_id = ?", id), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM outbox WHERE request_id IS NULL AND "
                               "recipient = 'zorg.usager@exemple.fr'"),
                     0);
    /* Closed ones erased now, whatever their retention; the open one keeps what the mairie
     * needs to answer, detached, with an internal event saying why. */
    assert_true(get(f, &a, closed_mine.reference).anonymised_at > 0);
    assert_true(get(f, &a, closed_by_address.reference).anonymised_at > 0);
    store_request o = get(f, &a, open_mine.reference);
    assert_int_equal(o.anonymised_at, 0);
    assert_true(o.erase_requested_at > 0);
    assert_int_equal(o.citizen_id, 0);
    assert_string_equal(o.email, "zorg.usager@exemple.fr");
    assert_int_equal(
        count_where(f, "request_events", "kind = 'account_deleted' AND request_id = ?", o.id), 1);
    assert_int_equal(audit_entries(f, "delete", NULL), 1);

    /* Closed later: the next pass erases it, long before its retention. */
    request_change ch = {.status = "resolved", .priority = -1, .who = &test_agent_1};
    assert_int_equal(request_update(f->core, t, open_mine.reference, &ch, NULL, NULL, &err), 0);
    catalogue_release(f->core, cat);
    retention_report rep = pass_at(f, 0, 0);
    assert_int_equal(rep.anonymised, 1);
    assert_int_equal(rep.on_request, 1);
    assert_true(get(f, &a, open_mine.reference).anonymised_at > 0);
    for (size_t i = 0; i < N_MARKERS; i++)
        if (db_hits(f, MARKERS[i]) != 0)
            fail_msg("marker %s is still in the database after the account's deletion", MARKERS[i]);
    /* The deleted account was the newest: its id is not given again (the audit log names
     * accounts by id). */
    assert_true(verified_account(f, "suivant@exemple.fr") > id);
    arena_free(&a);
}

/* The outcome of an asynchronous core call, waited for. */
typedef struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, calls, rc;
    error err;
    fixture *f;
    int64_t account_id;
    int64_t rows_at_callback; /* the account's rows when the callback came */
} outcome;

static void on_done(void *ctx, int rc, const error *err)
{
    outcome *o = ctx;
    /* Called once everything is durable: another connection no longer sees the account. */
    int64_t rows = count_where(o->f, "accounts", "id = ?", o->account_id);
    pthread_mutex_lock(&o->lock);
    o->rc = rc;
    if (err)
        o->err = *err;
    o->rows_at_callback = rows;
    o->calls++;
    o->done = 1;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

static void wait_for(outcome *o)
{
    pthread_mutex_lock(&o->lock);
    while (!o->done)
        pthread_cond_wait(&o->cond, &o->lock);
    pthread_mutex_unlock(&o->lock);
}

/* The callback form the back office uses: an agent deletes an account on the citizen's
 * request; the callback comes once, after the deletion and the erasure are durable, with
 * what was done; the entry names the agent. Refused inside the job (no such account), the
 * callback carries the error. */
static void test_account_delete_callback(void **state)
{
    fixture *f = *state;
    arena a;
    arena_init(&a, 0);
    int64_t id = verified_account(f, "rendu.usager@exemple.fr");
    filed closed_mine, open_mine;
    file_full(f, "trou", 1, id, &a, &closed_mine);
    file_full(f, "trou", 0, id, &a, &open_mine);
    const catalogue *cat = catalogue_acquire(f->core);
    const cat_tenant *t = tenant(cat);
    store_agent rec;
    core_actor agent = admin_of(f, f->tenant_id, &rec, "web 198.51.100.7");
    account_deletion out;
    outcome o = {.f = f, .account_id = id};
    pthread_mutex_init(&o.lock, NULL);
    pthread_cond_init(&o.cond, NULL);
    error err;
    assert_int_equal(account_delete(f->core, t, id, NULL, &agent, &out, on_done, &o, &err), 0);
    wait_for(&o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.rows_at_callback, 0);
    assert_int_equal(out.n_requests, 2);
    assert_int_equal(out.n_anonymised, 1);
    assert_true(get(f, &a, closed_mine.reference).anonymised_at > 0);
    assert_int_equal(get(f, &a, open_mine.reference).anonymised_at, 0);
    char where[160];
    snprintf(where, sizeof where,
             "action = 'delete' AND actor = 'agent:%lld' AND source = 'web 198.51.100.7' AND "
             "object_ids = ?",
             (long long)f->agent_id);
    assert_int_equal(count_where(f, "audit_log", where, id), 1);
    assert_int_equal(count_where(f, "request_events", "kind = 'account_deleted' AND request_id = ?",
                                 open_mine.id),
                     1);

    /* Gone: the job finds nothing and says so through the callback. */
    o.done = 0;
    assert_int_equal(account_delete(f->core, t, id, NULL, &agent, &out, on_done, &o, &err), 0);
    wait_for(&o);
    assert_int_equal(o.rc, -1);
    assert_int_equal(o.err.code, ERR_NOT_FOUND);
    assert_int_equal(o.calls, 2);
    catalogue_release(f->core, cat);
    pthread_cond_destroy(&o.cond);
    pthread_mutex_destroy(&o.lock);
    arena_free(&a);
}

static void exec_sql(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "");
    sqlite3_close(db);
}

/* The channels' personal data outside requests go by their own periods: held mail after
 * the mail_held_retention_days setting, ended subscriptions after BROADCAST_ENDED_KEEP_DAYS,
 * the recipients of settled broadcast messages after BROADCAST_SENT_KEEP_DAYS; what is
 * younger, a running subscription and a message still queued stay. */
static void test_channels_purge(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(core_setting_set(f->core, "mail_held_retention_days", "7", &err), 0);
    int64_t now = time(NULL);
    assert_int_equal(
        mail_held_add(f->core, f->tenant_id, "a@example.org", "Promo", "x", 1, NULL, NULL, &err),
        0);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO subscribers (tenant_id, channel, address, leave_token, created_at, "
             "confirmed_at, left_at, confirm_expires_at) VALUES "
             "(%" PRId64 ", 'email', 'left@example.org', 'l1', %" PRId64 ", %" PRId64 ", %" PRId64
             ", NULL), "
             "(%" PRId64 ", 'email', 'on@example.org', 'l2', %" PRId64 ", %" PRId64
             ", NULL, NULL), "
             "(%" PRId64 ", 'sms', '+33612345678', 'l3', %" PRId64 ", NULL, NULL, %" PRId64 ");"
             "INSERT INTO subscriber_topics SELECT s.id, t.id FROM subscribers s, topics t "
             "WHERE t.tenant_id = s.tenant_id AND t.code = 'travaux';"
             /* A broadcast: one message delivered, one still queued. */
             "INSERT INTO broadcasts (id, tenant_id, subject, body, base_url, created_by, "
             "created_at) VALUES (1, %" PRId64 ", 'Travaux', 'Rue barrée', 'https://x', 'a', "
             "%" PRId64 ");"
             "INSERT INTO outbox (tenant_id, channel, recipient, template, params, created_at, "
             "next_attempt_at, sent_at, message_id, state, state_at, priority, broadcast_id) "
             "VALUES (%" PRId64 ", 'email', 'on@example.org', 'broadcast', '{}', %" PRId64
             ", %" PRId64 ", %" PRId64 ", 'm1', 'delivered', %" PRId64 ", 1, 1), "
             "(%" PRId64 ", 'email', 'late@example.org', 'broadcast', '{}', %" PRId64 ", %" PRId64
             ", NULL, 'm2', 'queued', NULL, 1, 1);",
             f->tenant_id, now, now, now, f->tenant_id, now, now, f->tenant_id, now, now,
             f->tenant_id, now, f->tenant_id, now, now, now, now, f->tenant_id, now, now);
    exec_sql(f, sql);

    retention_report rep = pass_at(f, now + 6 * 86400, 0);
    assert_int_equal(rep.mail_purged, 0);
    assert_int_equal(rep.subscribers_purged, 0);
    assert_int_equal(rep.recipients_forgotten, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM mail_held"), 1);

    rep = pass_at(f, now + 8 * 86400, 0);
    assert_int_equal(rep.mail_purged, 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM mail_held"), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM subscribers"), 3);

    rep = pass_at(f, now + (BROADCAST_ENDED_KEEP_DAYS + 1) * 86400, 0);
    assert_int_equal(rep.subscribers_purged, 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM subscribers WHERE address = 'on@example.org'"),
                     1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM subscribers"), 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM subscriber_topics"), 1);
    /* The delivered message lost its recipient and kept its state (the figures); the one
     * still queued is as it was. */
    assert_int_equal(rep.recipients_forgotten, 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM outbox WHERE broadcast_id = 1 AND "
                               "recipient = '' AND state = 'delivered' AND params IS NULL"),
                     1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM outbox WHERE recipient = 'late@example.org'"),
                     1);
}

/* Expired single-use links and codes go with the pass, spent or not; their accounts stay,
 * and a link still valid stays. */
static void test_tokens_purge(void **state)
{
    fixture *f = *state;
    int64_t now = time(NULL);
    verified_account(f, "spent@example.org"); /* its confirmation link, used */
    store_tenant t = {.id = f->tenant_id, .slug = "ville-test", .name = "Ville Test"};
    error err;
    assert_int_equal(account_signup(f->core, &t, "unused@example.org", PASSWORD, "Jean Zorg",
                                    LANG_FR, "https://x.test", NULL, NULL, &err),
                     0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM account_tokens"), 2);

    retention_report rep = pass_at(f, now + 3600, 0);
    assert_int_equal(rep.tokens_purged, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM account_tokens"), 2);

    rep = pass_at(f, now + ACCOUNT_TOKEN_TTL_VERIFY + 60, 0);
    assert_int_equal(rep.tokens_purged, 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM account_tokens"), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM accounts"), 2);
}

/* Scans dropped — every letter of the file discarded or rejected — go with their file (and its
 * preview) after
 * post_dropped_retention_days, counted from the last decision (or the reception of a letter
 * rejected by the reading); a file with a letter filed or still to process stays whole. */
static void test_post_dropped_purge(void **state)
{
    fixture *f = *state;
    int64_t now = time(NULL), day = 86400;
    arena a;
    arena_init(&a, 0);
    const char *discarded = new_file(f, &a, ".pdf"), *recent = new_file(f, &a, ".pdf");
    const char *rejected = new_file(f, &a, ".pdf"), *half = new_file(f, &a, ".pdf");
    const char *kept = new_file(f, &a, ".pdf"), *both = new_file(f, &a, ".pdf");
    post_letter(f, 1, 0, discarded, "discarded", now - 50 * day, now - 40 * day);
    /* Its page-1 preview, which goes with it. */
    const char *preview = new_file(f, &a, ".png");
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE post_letters SET preview = '%s' WHERE id = 1;", preview);
    exec_sql(f, sql);
    post_letter(f, 2, 0, recent, "discarded", now - 50 * day, now - 10 * day);
    post_letter(f, 3, 0, rejected, "rejected", now - 40 * day, 0);
    post_letter(f, 4, 0, half, "discarded", now - 50 * day, now - 40 * day);
    post_letter(f, 5, 4, half, "pending", now - 50 * day, 0);
    post_letter(f, 6, 0, kept, "filed", now - 50 * day, now - 40 * day);
    post_letter(f, 7, 0, both, "discarded", now - 50 * day, now - 35 * day);
    post_letter(f, 8, 7, both, "rejected", now - 50 * day, 0);

    /* Within the 30 days by default: nothing. */
    retention_report rep = pass_at(f, now - 15 * day, 0);
    assert_int_equal(rep.post_purged, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM post_letters"), 8);

    rep = pass_at(f, now, 0);
    assert_int_equal(rep.post_purged, 4);
    /* Left: the recent one (2), the file with a letter still pending (4, 5), the filed one. */
    assert_int_equal(scalar(f, "SELECT sum(1 << id) FROM post_letters"),
                     (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6));
    assert_false(file_exists(f, discarded));
    assert_false(file_exists(f, preview));
    assert_false(file_exists(f, rejected));
    assert_false(file_exists(f, both));
    assert_true(file_exists(f, recent));
    assert_true(file_exists(f, half));
    assert_true(file_exists(f, kept));
    /* Idempotent; a shorter setting takes the recent one too. */
    rep = pass_at(f, now, 0);
    assert_int_equal(rep.post_purged, 0);
    error err;
    assert_int_equal(core_setting_set(f->core, "post_dropped_retention_days", "7", &err), 0);
    rep = pass_at(f, now, 0);
    assert_int_equal(rep.post_purged, 1);
    assert_false(file_exists(f, recent));
    assert_int_equal(scalar(f, "SELECT sum(1 << id) FROM post_letters"),
                     (1 << 4) | (1 << 5) | (1 << 6));
    /* Out of the setting's bounds: refused. */
    assert_int_equal(core_setting_set(f->core, "post_dropped_retention_days", "2", &err), -1);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cutoff),
        cmocka_unit_test_setup_teardown(test_anonymise_erases_everything_personal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_and_selective, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bordereau, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bordereau_visa_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_delete_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channels_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_dropped_purge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of «Fusionner» (core/request_merge.c): a duplicate merged into the request that
 * goes on — the duplicate closed as a duplicate naming the survivor, its citizen's messages,
 * files and «moi aussi» copied to the survivor as internal records (the duplicate's timeline
 * untouched, the survivor's citizen seeing nothing new), each citizen's e-mail queued, one
 * audit entry naming both — all of it one write job and one transaction; the refusals (same
 * request, unknown, out of an agent's scope, already merged, a survivor that is itself a
 * duplicate, a duplicate others were merged into, cycles) write nothing; a failure half-way
 * (a file that cannot be linked) leaves no trace, neither rows nor files — on a real SQLite
 * database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/retention.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"

#define BASE "https://grc.ville-test.fr"

static const char PDF[] =
    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
    "xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    "0000000115 00000 n \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n";

typedef struct fixture {
    test_db db;
    char uploads[64];
    int64_t tenant_id;
    arena a;
    store_agent voirie, proprete;
    core_actor who_voirie, who_proprete;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static void add_agent(fixture *f, const char *email, const char *dep, store_agent *out)
{
    assert_int_equal(
        test_db_add_agent(&f->db, f->tenant_id, email, AGENT_ROLE_AGENT, &dep, 1, &f->a, out), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->uploads, sizeof f->uploads, "/tmp/guichet-merge-up-XXXXXX");
    assert_non_null(mkdtemp(f->uploads));
    core_config cfg = {.uploads_dir = f->uploads,
                       .links = {.tracking = "/suivi/", .tracking_token = "?jeton="}};
    assert_int_equal(test_db_open(&f->db, "merge", &cfg), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    int64_t voirie = 0, proprete = 0;
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    assert_int_equal(admin_department_upsert(f->db.core, &d, &voirie, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->db.core, &d2, &proprete, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "nid-de-poule",
                         .name = "Nid de poule",
                         .group_name = "Signaler",
                         .department_id = voirie,
                         .kind = PROCEDURE_INCIDENT,
                         .is_public = 1,
                         .auto_public = 1,
                         .open311 = 1,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    store_procedure q = {.tenant_id = f->tenant_id,
                         .code = "depot",
                         .name = "Dépôt sauvage",
                         .group_name = "Signaler",
                         .department_id = proprete,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &q, NULL, &err), 0);
    add_agent(f, "agnes@ville-test.fr", "voirie", &f->voirie);
    add_agent(f, "paul@ville-test.fr", "proprete", &f->proprete);
    f->who_voirie = actor_of_agent(&f->voirie, "web 192.0.2.1");
    f->who_proprete = actor_of_agent(&f->proprete, "web 192.0.2.2");
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    catalogue_release(f->db.core, f->cat);
    arena_free(&f->a);
    test_db_close(&f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->uploads);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A request of `procedure` filed by a citizen with e-mail address `email`, with n files, in
 * language lang_code (NULL: French). */
static request_created file_lang(fixture *f, const char *procedure, const char *email,
                                 store_attachment *atts, size_t n, const char *lang_code)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, procedure),
                        .ch = CHANNEL_WEB,
                        .description = "Un trou devant l'école",
                        .address = "1 rue de la Paix",
                        .first_name = "Camille",
                        .email = email,
                        .attachments = atts,
                        .n_attachments = n,
                        .lang_code = lang_code};
    assert_non_null(in.procedure);
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    return out;
}

static request_created file_with(fixture *f, const char *procedure, const char *email,
                                 store_attachment *atts, size_t n)
{
    return file_lang(f, procedure, email, atts, n, NULL);
}

static request_created file(fixture *f, const char *procedure, const char *email)
{
    return file_with(f, procedure, email, NULL, 0);
}

static store_request get(fixture *f, const char *reference)
{
    return test_req_get(f->db.core, f->t, reference, &f->a);
}

static size_t timeline(fixture *f, int64_t id, int public_only, store_event **ev)
{
    size_t n = 0;
    error err;
    assert_int_equal(request_timeline(f->db.core, f->t, id, public_only, &f->a, ev, &n, &err), 0);
    return n;
}

static size_t attachments(fixture *f, int64_t id, store_attachment **out)
{
    size_t n = 0;
    error err;
    assert_int_equal(attachment_list(f->db.core, f->tenant_id, id, &f->a, out, &n, &err), 0);
    return n;
}

static size_t audit_count(fixture *f)
{
    store_audit *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a, &rows, &n, &err),
        0);
    return n;
}

static size_t outbox(fixture *f, int64_t request_id, store_outbox **rows)
{
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, request_id, &f->a, rows, &n, &err),
        0);
    return n;
}

static size_t files_in_uploads(fixture *f)
{
    DIR *d = opendir(f->uploads);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A prepared PDF (its file written in the uploads directory). */
static store_attachment prepared_pdf(fixture *f, const char *name)
{
    store_attachment at;
    memset(&at, 0, sizeof at);
    error err;
    attachment_upload up = {"fichiers", name, PDF, sizeof PDF - 1};
    assert_int_equal(attachment_prepare(core_uploads(f->db.core), &up, &f->a, &at, &err), 0);
    return at;
}

static void support(fixture *f, const char *reference, const char *const *keys, size_t n)
{
    error err;
    int added = 0;
    assert_int_equal(
        request_support(f->db.core, f->t, reference, keys, n, &added, NULL, NULL, &err), 0);
}

/* Merges with cb NULL (waits); the error is in *err. */
static int merge(fixture *f, const char *dup, const char *surv, const core_actor *who,
                 request_merge_result *res, error *err)
{
    error_clear(err);
    return request_merge(f->db.core, f->t, dup, surv, who, BASE, res, NULL, NULL, err);
}

static void test_merge_carries_everything_over(void **state)
{
    fixture *f = *state;
    error err;
    request_created v = file_lang(f, "nid-de-poule", "survivant@example.org", NULL, 0, "en");
    /* The duplicate's citizen files a document, then writes with another; the mairie notes
     * internally. */
    store_attachment filed = prepared_pdf(f, "plan.pdf");
    request_created d = file_with(f, "nid-de-poule", "doublon@example.org", &filed, 1);
    store_attachment sent = prepared_pdf(f, "photo-du-trou.pdf");
    assert_int_equal(request_citizen_message(f->db.core, f->t, d.reference, NULL,
                                             "Le trou s'agrandit, voici une photo.", &sent, 1,
                                             CHANNEL_WEB, NULL, NULL, &err),
                     0);
    assert_int_equal(request_add_note(f->db.core, f->t, d.reference, "Vu avec le chef d'équipe", 0,
                                      &f->who_voirie, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    /* «Moi aussi»: one supporter on both (key k3), one on the duplicate only (k1 + k2). */
    const char *both[] = {"k3"};
    const char *dup_only[] = {"k1", "k2"};
    support(f, v.reference, both, 1);
    support(f, d.reference, both, 1);
    support(f, d.reference, dup_only, 2);
    store_request before_v = get(f, v.reference);
    assert_int_equal(before_v.supporters, 1);
    store_event *ev;
    size_t dup_public_before = timeline(f, d.id, 1, &ev);
    size_t surv_public_before = timeline(f, v.id, 1, &ev);
    size_t audit_before = audit_count(f);
    size_t files_before = files_in_uploads(f);
    uint64_t gen = core_generation(f->db.core);

    request_merge_result res = {0};
    assert_int_equal(merge(f, d.reference, v.reference, &f->who_voirie, &res, &err), 0);
    /* One write job, one transaction: one commit. */
    assert_int_equal(core_generation(f->db.core), gen + 1);
    assert_int_equal(res.messages, 1);
    assert_int_equal(res.attachments, 2);
    /* k3 already supported the survivor: only the k1+k2 supporter counts. */
    assert_int_equal(res.supporters, 1);

    /* The duplicate: closed as a duplicate, naming the survivor; its timeline kept whole. */
    store_request dr = get(f, d.reference);
    assert_string_equal(dr.status, "duplicate");
    assert_int_equal(dr.merged_into, v.id);
    assert_true(dr.closed_at > 0);
    char note[64];
    snprintf(note, sizeof note, "Fusionnée avec la demande %s", v.reference);
    assert_string_equal(dr.status_notes, note);
    size_t n = timeline(f, d.id, 1, &ev);
    assert_int_equal(n, dup_public_before + 1);
    assert_string_equal(ev[n - 1].kind, "status");
    assert_string_equal(ev[n - 1].status_to, "duplicate");
    assert_string_equal(ev[n - 1].body, note);
    int has_message = 0;
    for (size_t i = 0; i < n; i++)
        has_message |= strcmp(ev[i].kind, "message") == 0;
    assert_true(has_message);
    store_attachment *datts;
    assert_int_equal(attachments(f, d.id, &datts), 2);

    /* The survivor: nothing new its citizen sees; agents see the merge and the copies. */
    store_request vr = get(f, v.reference);
    assert_int_equal(vr.merged_into, 0);
    assert_string_equal(vr.status, before_v.status);
    assert_int_equal(vr.supporters, 2);
    assert_int_equal(timeline(f, v.id, 1, &ev), surv_public_before);
    n = timeline(f, v.id, 0, &ev);
    assert_string_equal(ev[n - 2].kind, "merged_here");
    assert_string_equal(ev[n - 2].body, d.reference);
    assert_false(ev[n - 2].is_public);
    assert_string_equal(ev[n - 1].kind, "merged_message");
    assert_string_equal(ev[n - 1].body, "Le trou s'agrandit, voici une photo.");
    assert_false(ev[n - 1].is_public);
    store_attachment *vatts;
    assert_int_equal(attachments(f, v.id, &vatts), 2);
    /* The file filed with the duplicate goes with the merge's event, the message's with its
     * copy: both internal, so the survivor's citizen never gets them. */
    for (size_t i = 0; i < 2; i++) {
        const store_attachment *src =
            strcmp(vatts[i].filename, datts[0].filename) == 0 ? &datts[0] : &datts[1];
        assert_string_equal(vatts[i].filename, src->filename);
        assert_int_equal(vatts[i].event_id,
                         strcmp(src->filename, "plan.pdf") == 0 ? ev[n - 2].id : ev[n - 1].id);
        assert_string_not_equal(vatts[i].storage_name, src->storage_name);
        assert_int_equal(vatts[i].size, src->size);
        int visible = 1;
        assert_int_equal(
            request_attachment_for_citizen(f->db.core, f->t, &vr, &vatts[i], &f->a, &visible, &err),
            0);
        assert_false(visible);
    }
    /* The same bytes under a second name: removing the duplicate's leaves the survivor's. */
    assert_int_equal(files_in_uploads(f), files_before + 2);
    const store_attachment *copy =
        strcmp(vatts[0].filename, datts[0].filename) == 0 ? &vatts[0] : &vatts[1];
    unlink(attachment_path(core_uploads(f->db.core), &f->a, datts[0].storage_name));
    assert_int_equal(
        access(attachment_path(core_uploads(f->db.core), &f->a, copy->storage_name), R_OK), 0);

    /* Each citizen is told, in their request's language, with a link to their own page and no
     * token. */
    store_outbox *mail;
    size_t nm = outbox(f, d.id, &mail);
    assert_string_equal(mail[nm - 1].template, "request_merged");
    assert_string_equal(mail[nm - 1].recipient, "doublon@example.org");
    assert_string_equal(mail[nm - 1].lang, "fr");
    char url[128];
    snprintf(url, sizeof url, "\"" BASE "/suivi/%s\"", d.reference);
    assert_non_null(strstr(mail[nm - 1].params, url));
    assert_non_null(strstr(mail[nm - 1].params, v.reference));
    assert_null(strstr(mail[nm - 1].params, "survivant@example.org"));
    assert_null(strstr(mail[nm - 1].params, "jeton"));
    nm = outbox(f, v.id, &mail);
    assert_string_equal(mail[nm - 1].template, "request_merged_here");
    assert_string_equal(mail[nm - 1].recipient, "survivant@example.org");
    assert_string_equal(mail[nm - 1].lang, "en");
    assert_null(strstr(mail[nm - 1].params, d.reference));
    assert_null(strstr(mail[nm - 1].params, "doublon@example.org"));

    /* One audit entry naming both. */
    store_audit *rows = NULL;
    size_t na = 0;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a, &rows, &na, &err),
        0);
    assert_int_equal(na, audit_before + 1);
    assert_string_equal(rows[na - 1].action, "merge");
    char ids[64];
    snprintf(ids, sizeof ids, "%" PRId64 ",%" PRId64, d.id, v.id);
    assert_string_equal(rows[na - 1].object_ids, ids);

    /* Reads: the survivor lists it, the duplicate names the survivor. */
    store_request *merged;
    size_t nmerged = 0;
    assert_int_equal(request_merged(f->db.core, f->t, v.id, &f->a, &merged, &nmerged, &err), 0);
    assert_int_equal(nmerged, 1);
    assert_string_equal(merged[0].reference, d.reference);
    store_request into;
    assert_int_equal(request_merged_into(f->db.core, f->t, &dr, &f->a, &into, &err), 0);
    assert_string_equal(into.reference, v.reference);
    assert_int_equal(request_merged_into(f->db.core, f->t, &vr, &f->a, &into, &err), -1);

    /* A message its citizen writes afterwards reaches the survivor's agents too. */
    store_attachment later = prepared_pdf(f, "apres.pdf");
    assert_int_equal(request_citizen_message(f->db.core, f->t, d.reference, NULL, "Et maintenant ?",
                                             &later, 1, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    n = timeline(f, v.id, 0, &ev);
    assert_string_equal(ev[n - 1].kind, "merged_message");
    assert_string_equal(ev[n - 1].body, "Et maintenant ?");
    assert_false(ev[n - 1].is_public);
    assert_int_equal(attachments(f, v.id, &vatts), 3);
    assert_int_equal(vatts[2].event_id, ev[n - 1].id);
    assert_string_equal(vatts[2].filename, "apres.pdf");
    assert_int_equal(timeline(f, v.id, 1, &ev), surv_public_before);

    /* A «moi aussi» sent to the duplicate counts for the survivor. */
    const char *newcomer[] = {"k9"};
    support(f, d.reference, newcomer, 1);
    assert_int_equal(get(f, v.reference).supporters, 3);
    assert_int_equal(get(f, d.reference).supporters, 2);

    /* A merged duplicate is not reopened: its life goes on in the survivor. */
    request_change ch = {.status = "in_progress", .priority = -1, .who = &f->who_voirie};
    assert_int_equal(request_update(f->db.core, f->t, d.reference, &ch, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
}

/* Asserts a refused merge with code and arg, and that nothing was written. */
static void refused(fixture *f, const char *dup, const char *surv, const core_actor *who,
                    err_code code, const char *arg)
{
    error err;
    size_t audit_before = audit_count(f);
    store_event *ev;
    store_request r1, r2;
    int f1 = 0, f2 = 0;
    f->db.store->ops->requests.get(f->db.store, f->tenant_id, dup, &f->a, &r1, &f1, &err);
    f->db.store->ops->requests.get(f->db.store, f->tenant_id, surv, &f->a, &r2, &f2, &err);
    size_t n1 = f1 ? timeline(f, r1.id, 0, &ev) : 0, n2 = f2 ? timeline(f, r2.id, 0, &ev) : 0;
    assert_int_equal(merge(f, dup, surv, who, NULL, &err), -1);
    assert_int_equal(err.code, code);
    if (arg)
        assert_string_equal(err.arg, arg);
    assert_int_equal(audit_count(f), audit_before);
    if (f1) {
        assert_int_equal(timeline(f, r1.id, 0, &ev), n1);
        assert_string_equal(get(f, dup).status, r1.status);
    }
    if (f2)
        assert_int_equal(timeline(f, r2.id, 0, &ev), n2);
}

static void test_merge_refusals(void **state)
{
    fixture *f = *state;
    error err;
    request_created a = file(f, "nid-de-poule", "a@example.org");
    request_created b = file(f, "nid-de-poule", "b@example.org");
    request_created c = file(f, "nid-de-poule", NULL);
    request_created x = file(f, "depot", NULL); /* another department's */
    refused(f, a.reference, a.reference, &f->who_voirie, ERR_INVALID_ARG, "survivor");
    refused(f, "2099-999999", b.reference, &f->who_voirie, ERR_NOT_FOUND, "duplicate");
    refused(f, a.reference, "2099-999999", &f->who_voirie, ERR_NOT_FOUND, "survivor");
    refused(f, "../etc", b.reference, &f->who_voirie, ERR_INVALID_ARG, "duplicate");
    /* Out of the agent's scope: the same as unknown; in sight but not theirs to change. */
    refused(f, a.reference, x.reference, &f->who_voirie, ERR_NOT_FOUND, "survivor");
    refused(f, a.reference, b.reference, &f->who_proprete, ERR_NOT_FOUND, "duplicate");

    assert_int_equal(merge(f, a.reference, b.reference, &f->who_voirie, NULL, &err), 0);
    /* Already merged; a survivor that is itself merged; the cycle b → a. */
    refused(f, a.reference, c.reference, &f->who_voirie, ERR_CONFLICT, "duplicate");
    refused(f, c.reference, a.reference, &f->who_voirie, ERR_CONFLICT, "survivor");
    refused(f, b.reference, a.reference, &f->who_voirie, ERR_CONFLICT, "survivor");
    /* b has a merged into it: it goes on, c may join it instead. */
    refused(f, b.reference, c.reference, &f->who_voirie, ERR_CONFLICT, "duplicate");
    assert_int_equal(merge(f, c.reference, b.reference, &f->who_voirie, NULL, &err), 0);
    store_request *merged;
    size_t n = 0;
    assert_int_equal(
        request_merged(f->db.core, f->t, get(f, b.reference).id, &f->a, &merged, &n, &err), 0);
    assert_int_equal(n, 2);

    /* A request closed as a duplicate the old way (a status change) is not merged again. */
    request_created d = file(f, "nid-de-poule", NULL);
    request_change ch = {.status = "duplicate", .priority = -1, .who = &f->who_voirie};
    assert_int_equal(request_update(f->db.core, f->t, d.reference, &ch, NULL, NULL, &err), 0);
    refused(f, d.reference, b.reference, &f->who_voirie, ERR_CONFLICT, "duplicate");
    refused(f, c.reference, d.reference, &f->who_voirie, ERR_CONFLICT, "duplicate");
    request_created e = file(f, "nid-de-poule", NULL);
    refused(f, e.reference, d.reference, &f->who_voirie, ERR_CONFLICT, "survivor");
}

/* A failure half-way (the file of an attachment to copy is gone) rolls everything back:
 * the copies already written, the duplicate's closing, the e-mails, the audit entry, and
 * the names already linked in the uploads directory. */
static void test_merge_is_one_transaction(void **state)
{
    fixture *f = *state;
    error err;
    request_created v = file(f, "nid-de-poule", "v@example.org");
    request_created d = file(f, "nid-de-poule", "d@example.org");
    store_attachment one = prepared_pdf(f, "un.pdf");
    store_attachment two = prepared_pdf(f, "deux.pdf");
    store_attachment both[2] = {one, two};
    assert_int_equal(request_citizen_message(f->db.core, f->t, d.reference, NULL, "Deux fichiers",
                                             both, 2, CHANNEL_WEB, NULL, NULL, &err),
                     0);
    const char *keys[] = {"k"};
    support(f, d.reference, keys, 1);
    /* The second file vanished (a disk fault): the first is linked before the failure. */
    unlink(attachment_path(core_uploads(f->db.core), &f->a, two.storage_name));
    size_t files_before = files_in_uploads(f);
    store_event *ev;
    size_t nd = timeline(f, d.id, 0, &ev), nv = timeline(f, v.id, 0, &ev);
    size_t audit_before = audit_count(f);
    store_outbox *mail;
    size_t md = outbox(f, d.id, &mail), mv = outbox(f, v.id, &mail);

    assert_int_equal(merge(f, d.reference, v.reference, &f->who_voirie, NULL, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    store_request dr = get(f, d.reference), vr = get(f, v.reference);
    assert_string_equal(dr.status, "new");
    assert_int_equal(dr.merged_into, 0);
    assert_int_equal(vr.supporters, 0);
    assert_int_equal(timeline(f, d.id, 0, &ev), nd);
    assert_int_equal(timeline(f, v.id, 0, &ev), nv);
    store_attachment *atts;
    assert_int_equal(attachments(f, v.id, &atts), 0);
    assert_int_equal(audit_count(f), audit_before);
    assert_int_equal(outbox(f, d.id, &mail), md);
    assert_int_equal(outbox(f, v.id, &mail), mv);
    assert_int_equal(files_in_uploads(f), files_before);
}

/* The copies follow their original: anonymising the duplicate (its retention is over, or
 * its citizen deleted their account) erases their text on the survivor and removes the
 * copied files, rows and bytes; the survivor's own timeline and files stay. */
static void test_merge_copies_erased_with_the_duplicate(void **state)
{
    fixture *f = *state;
    error err;
    store_attachment own = prepared_pdf(f, "a-moi.pdf");
    request_created v = file_with(f, "nid-de-poule", "v@example.org", &own, 1);
    store_attachment filed = prepared_pdf(f, "plan.pdf");
    request_created d = file_with(f, "nid-de-poule", "d@example.org", &filed, 1);
    store_attachment sent = prepared_pdf(f, "photo.pdf");
    assert_int_equal(request_citizen_message(f->db.core, f->t, d.reference, NULL,
                                             "Mon numéro : 06 12 34 56 78", &sent, 1, CHANNEL_WEB,
                                             NULL, NULL, &err),
                     0);
    assert_int_equal(merge(f, d.reference, v.reference, &f->who_voirie, NULL, &err), 0);
    store_attachment *atts;
    assert_int_equal(attachments(f, v.id, &atts), 3);
    size_t files = files_in_uploads(f);

    size_t n_done = 0;
    int64_t ids[] = {d.id};
    int64_t later = (int64_t)time(NULL) + 200LL * 366 * 86400;
    assert_int_equal(request_anonymise(f->db.core, f->t, ids, 1, later, 0, NULL, &n_done, &err), 0);
    assert_int_equal(n_done, 1);
    store_event *ev;
    size_t n = timeline(f, v.id, 0, &ev);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, "merged_message") == 0 || strcmp(ev[i].kind, "merged_here") == 0)
            assert_null(ev[i].body);
    assert_int_equal(attachments(f, v.id, &atts), 1);
    assert_string_equal(atts[0].filename, "a-moi.pdf");
    /* The duplicate's two files and the survivor's two copies are gone. */
    assert_int_equal(files_in_uploads(f), files - 4);
    assert_int_equal(get(f, d.reference).merged_into, v.id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_carries_everything_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_is_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_copies_erased_with_the_duplicate, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the actions on entering a status (core/status_actions, core/workflow_action):
 * the shipped démarche workflow's actions run in position order in the change's own job
 * (their events right after the status event, the due date and the e-mail committed with
 * it); notify_citizen follows the citizen's choice of news and language, and is refused on a
 * status hidden from citizens; ask_citizen needs the words asking, then the citizen's answer
 * (a message with a file) brings the request back under review, once; set_due_date counts
 * working days over a public holiday; every rule of workflow_action_check — on a real SQLite
 * database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/routing.h"
#include "core/webhook.h"
#include "core/workflow_action.h"
#include "core/parapheur.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"
#include "util/timeutil.h"
#include "util/workdays.h"

typedef struct fixture {
    test_db db;
    int64_t tenant_id;
    arena a;
    store_agent agent;
    core_actor who;
    const catalogue *cat;
    const cat_tenant *t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "status-actions", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "urbanisme", .name = "Urbanisme"};
    int64_t dep_id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep_id, &err), 0);
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = "terrasse",
                         .name = "Autorisation de terrasse",
                         .name_en = "Terrace permit",
                         .group_name = "Commerce",
                         .department_id = dep_id,
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1,
                         .workflow_id = test_db_workflow_id(f->db.core, f->tenant_id, "demarche")};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
    const char *dep = "urbanisme";
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "ines@ville-test.fr", AGENT_ROLE_AGENT,
                                       &dep, 1, &f->a, &f->agent),
                     0);
    f->who = actor_of_agent(&f->agent, "web 192.0.2.1");
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
    free(f);
    return 0;
}

/* A request filed on the web with e-mail `email`, news `notify` (NULL: e-mail) and language
 * lang_code. */
static request_created file(fixture *f, const char *email, const char *notify,
                            const char *lang_code)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "terrasse"),
                        .ch = CHANNEL_WEB,
                        .description = "Terrasse de 12 m² devant le café",
                        .email = email,
                        .notify = notify,
                        .lang_code = lang_code,
                        .ack_base_url = "https://ville-test.fr"};
    return test_req_create(f->db.core, &in);
}

/* Moves request ref to status with a reply (may be NULL); returns request_process's rc. */
static int move(fixture *f, const char *ref, const char *status, const char *reply, error *err)
{
    request_processing p = {
        .change = {.status = status, .priority = -1, .who = &f->who, .ch = CHANNEL_WEB},
        .reply = reply,
        .reply_url = "https://ville-test.fr/suivi"};
    return request_process(f->db.core, f->t, ref, &p, NULL, NULL, err);
}

static size_t timeline(fixture *f, int64_t id, store_event **ev)
{
    size_t n = 0;
    error err;
    assert_int_equal(request_timeline(f->db.core, f->t, id, 0, &f->a, ev, &n, &err), 0);
    return n;
}

static size_t mails(fixture *f, int64_t id, store_outbox **out)
{
    return test_req_mails(f->db.store, f->tenant_id, id, NULL, &f->a, out);
}

static store_request get(fixture *f, const char *ref)
{
    return test_req_get(f->db.core, f->t, ref, &f->a);
}

static void test_order_in_the_change(void **state)
{
    fixture *f = *state;
    error err;
    request_created c = file(f, "lea@example.org", NULL, NULL);
    /* Filed: the acknowledgement is the citizen's news; «déposée» has no action. */
    assert_int_equal(mails(f, c.id, &(store_outbox *){NULL}), 1);
    int64_t before = time_now();
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    store_event *ev = NULL;
    size_t n = timeline(f, c.id, &ev);
    /* created, status, then under_review's two actions in position order */
    assert_int_equal(n, 4);
    assert_string_equal(ev[1].kind, "status");
    assert_string_equal(ev[2].kind, "action");
    assert_string_equal(ev[2].body, "set_due_date");
    assert_string_equal(ev[3].kind, "action");
    assert_string_equal(ev[3].body, "notify_citizen");
    assert_false(ev[2].is_public || ev[3].is_public);
    /* Both written by the change's job: its due date and its e-mail are there with it. */
    store_request r = get(f, c.reference);
    assert_int_equal(
        r.due_at, workdays_due_at(before, "Europe/Paris", 60, WORKDAYS_CALENDAR, WORKDAYS_FRANCE));
    store_outbox *m = NULL;
    assert_int_equal(mails(f, c.id, &m), 2);
    assert_string_equal(m[1].template, "request_status");
    assert_string_equal(m[1].lang, "fr");
    assert_non_null(strstr(m[1].params, "en instruction"));
    assert_non_null(strstr(m[1].params, "https://ville-test.fr/suivi"));
}

static void test_notify_follows_the_citizen(void **state)
{
    fixture *f = *state;
    error err;
    /* No news wanted: nothing queued, the timeline says the action had nothing to do. */
    request_created quiet = file(f, "sam@example.org", "none", NULL);
    size_t before = mails(f, quiet.id, &(store_outbox *){NULL});
    assert_int_equal(move(f, quiet.reference, "under_review", NULL, &err), 0);
    assert_int_equal(mails(f, quiet.id, &(store_outbox *){NULL}), before);
    store_event *ev = NULL;
    size_t n = timeline(f, quiet.id, &ev);
    assert_string_equal(ev[n - 1].body, "notify_citizen_skipped");

    /* Filed in English: told in English, the status and the procedure in English. */
    request_created en = file(f, "kim@example.org", NULL, "en");
    assert_int_equal(move(f, en.reference, "under_review", NULL, &err), 0);
    store_outbox *m = NULL;
    size_t k = mails(f, en.id, &m);
    assert_string_equal(m[k - 1].template, "request_status");
    assert_string_equal(m[k - 1].lang, "en");
    assert_non_null(strstr(m[k - 1].params, "under review"));
    assert_non_null(strstr(m[k - 1].params, "Terrace permit"));
}

static void test_ask_citizen_round_trip(void **state)
{
    fixture *f = *state;
    error err;
    request_created c = file(f, "lea@example.org", NULL, NULL);
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    /* Asking needs the words asking: an internal note would not reach the citizen. */
    request_processing silent = {
        .change = {.status = "correction_requested", .priority = -1, .who = &f->who},
        .internal_note = "Plan manquant"};
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &silent, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_string_equal(get(f, c.reference).status, "under_review");

    size_t mails_before = mails(f, c.id, &(store_outbox *){NULL});
    assert_int_equal(move(f, c.reference, "correction_requested",
                          "Merci de joindre le plan de la terrasse.", &err),
                     0);
    store_request r = get(f, c.reference);
    assert_string_equal(r.status_notes, "Merci de joindre le plan de la terrasse.");
    /* One e-mail: the status's, carrying the reply (no second one for the reply). */
    store_outbox *m = NULL;
    assert_int_equal(mails(f, c.id, &m), mails_before + 1);
    assert_string_equal(m[mails_before].template, "request_status");
    assert_non_null(strstr(m[mails_before].params, "Merci de joindre le plan"));

    /* The citizen answers with the plan: back under review, its actions run again. */
    store_attachment plan = {.filename = "plan.pdf",
                             .content_type = "application/pdf",
                             .size = 10,
                             .storage_name = "plan-terrasse"};
    assert_int_equal(
        request_citizen_answer(f->db.core, f->t, c.reference, NULL, "Voici le plan demandé.", &plan,
                               1, "https://ville-test.fr/suivi", CHANNEL_WEB, NULL, NULL, &err),
        0);
    r = get(f, c.reference);
    assert_string_equal(r.status, "under_review");
    store_event *ev = NULL;
    size_t n = timeline(f, c.id, &ev);
    /* message, status back, then under_review's actions */
    assert_string_equal(ev[n - 4].kind, "message");
    assert_true(ev[n - 4].is_public);
    assert_string_equal(ev[n - 4].body, "Voici le plan demandé.");
    assert_string_equal(ev[n - 3].kind, "status");
    assert_string_equal(ev[n - 3].status_from, "correction_requested");
    assert_string_equal(ev[n - 3].status_to, "under_review");
    assert_string_equal(ev[n - 2].body, "set_due_date");
    assert_string_equal(ev[n - 1].body, "notify_citizen");
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    assert_int_equal(attachment_list(f->db.core, f->tenant_id, c.id, &f->a, &atts, &n_atts, &err),
                     0);
    assert_int_equal(n_atts, 1);
    assert_int_equal(atts[0].event_id, ev[n - 4].id);

    /* Answered: a second answer is refused, nothing written. */
    assert_int_equal(request_citizen_answer(f->db.core, f->t, c.reference, NULL, "Encore moi.",
                                            NULL, 0, NULL, CHANNEL_WEB, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(timeline(f, c.id, &ev), n);
}

/* Runs sql on the fixture's database, then reloads the catalogue. */
static void exec_reload(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    error err;
    catalogue_release(f->db.core, f->cat);
    assert_int_equal(catalogue_reload(f->db.core, &err), 0);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
}

static void test_due_date_in_working_days(void **state)
{
    fixture *f = *state;
    error err;
    exec_reload(f, "UPDATE workflow_actions SET params = '{\"days\": 10, \"working\": true}' "
                   "WHERE kind = 'set_due_date'");
    const cat_action *acts[4];
    const cat_procedure *p = catalogue_procedure(f->t, "terrasse");
    assert_int_equal(workflow_actions_on(p->workflow, "under_review", acts, 4), 2);
    assert_int_equal(acts[0]->kind, WORKFLOW_ACTION_SET_DUE_DATE);
    assert_int_equal(acts[0]->days, 10);
    assert_true(acts[0]->working);
    request_created c = file(f, NULL, NULL, NULL);
    int64_t before = time_now();
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    int64_t due = get(f, c.reference).due_at;
    assert_int_equal(
        due, workdays_due_at(before, "Europe/Paris", 10, WORKDAYS_WORKING, WORKDAYS_FRANCE));
    /* Ten working days always span two weekends: later than ten calendar days. */
    assert_true(due >
                workdays_due_at(before, "Europe/Paris", 10, WORKDAYS_CALENDAR, WORKDAYS_FRANCE));

    /* A bad action leaves its workflow out: the procedure with it is disabled. */
    exec_reload(f, "UPDATE workflow_actions SET params = '{\"days\": 0}' "
                   "WHERE kind = 'set_due_date'");
    assert_null(catalogue_procedure(f->t, "terrasse"));
    exec_reload(f, "UPDATE workflow_actions SET params = '{\"days\": 60, \"working\": false}' "
                   "WHERE kind = 'set_due_date'");
    assert_non_null(catalogue_procedure(f->t, "terrasse"));
}

/* The first column of the rows sql reads, one per line, in f->a. */
static const char *query(fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    const char *out = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        out = arena_printf(&f->a, "%s%s%s", out, *out ? "\n" : "", v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* Accepted routes again, tells the department and calls one subscription, after telling the
 * citizen: each in its place, each on the timeline. */
static void test_route_department_webhook(void **state)
{
    fixture *f = *state;
    error err;
    store_department voirie = {.tenant_id = f->tenant_id,
                               .code = "voirie",
                               .name = "Voirie",
                               .email = "voirie@ville-test.fr"};
    assert_int_equal(admin_department_upsert(f->db.core, &voirie, NULL, &err), 0);
    const char *events[] = {"request.created", NULL};
    webhook_input hook = {
        .url = "https://hooks.example.org/terrasses", .events = events, .active = 1};
    char secret[WEBHOOK_SECRET_LEN];
    assert_int_equal(webhook_put_as(f->db.core, &actor_cli, f->tenant_id, 0, &hook, secret, NULL,
                                    NULL, NULL, &err),
                     0);
    exec_reload(f,
                "INSERT INTO workflow_actions (workflow_id, status_code, position, kind, params) "
                "SELECT id, 'accepted', v.column1, v.column2, v.column3 FROM workflows, (VALUES "
                "(2, 'assign_by_rule', '{}'), (3, 'notify_department', '{}'), "
                "(4, 'webhook', '{\"url\": \"https://hooks.example.org/terrasses\"}'), "
                "(5, 'webhook', '{\"url\": \"https://hooks.example.org/disparu\"}')) v "
                "WHERE code = 'demarche'");
    request_created c = file(f, "lea@example.org", NULL, NULL);
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    /* A rule added after the filing: the terrasses go to the roads department. */
    routing_rule_input rule = {.name = "Terrasses à la voirie",
                               .active = 1,
                               .procedure = "terrasse",
                               .department = "voirie"};
    assert_int_equal(routing_rule_save(f->db.core, &actor_cli, f->t, &rule, NULL, NULL, NULL, &err),
                     0);
    catalogue_release(f->db.core, f->cat);
    assert_int_equal(catalogue_reload(f->db.core, &err), 0);
    f->cat = catalogue_acquire(f->db.core);
    f->t = catalogue_tenant_by_slug(f->cat, "ville-test");
    assert_int_equal(move(f, c.reference, "accepted", NULL, &err), 0);

    store_event *ev = NULL;
    size_t n = timeline(f, c.id, &ev);
    const char *want[][2] = {{"status", NULL},
                             {"action", "notify_citizen"},
                             {"department", "voirie"},
                             {"routed_rule", "Terrasses à la voirie"},
                             {"action", "assign_by_rule"},
                             {"action", "notify_department"},
                             {"action", "webhook"},
                             {"action", "webhook_skipped"}};
    size_t k = sizeof want / sizeof want[0];
    assert_true(n > k);
    for (size_t i = 0; i < k; i++) {
        assert_string_equal(ev[n - k + i].kind, want[i][0]);
        if (want[i][1])
            assert_string_equal(ev[n - k + i].body, want[i][1]);
    }
    assert_string_equal(ev[n - k].status_to, "accepted");
    assert_int_equal(get(f, c.reference).department_id,
                     catalogue_department(f->t, "voirie")->rec.id);
    /* The department's address, reference and status only. */
    assert_string_equal(query(f, "SELECT recipient || ' ' || template FROM outbox "
                                 "WHERE template = 'department_status'"),
                        "voirie@ville-test.fr department_status");
    const char *params = query(f, "SELECT params FROM outbox WHERE template = 'department_status'");
    assert_non_null(strstr(params, c.reference));
    assert_null(strstr(params, "lea@example.org"));
    /* Beside the event it chose (request.created), the subscription named gets one
     * request.entered_status with the status entered, through the same delivery jobs. */
    const char *body = query(f, "SELECT json_extract(payload, '$.event') || ' ' || "
                                "json_extract(json_extract(payload, '$.body'), '$.request.status') "
                                "FROM jobs WHERE kind = 'webhook' ORDER BY id");
    assert_string_equal(body, "request.created submitted\nrequest.entered_status accepted");
}

/* send_for_signature: the request's latest letter or decision to the active élus it names
 * (an unknown address left out), in the status change's job; skipped without one. */
static void test_send_for_signature(void **state)
{
    fixture *f = *state;
    error err;
    store_agent maire;
    assert_int_equal(test_db_add_agent(&f->db, f->tenant_id, "maire@ville-test.fr",
                                       AGENT_ROLE_ELECTED, NULL, 0, &f->a, &maire),
                     0);
    exec_reload(f, "INSERT INTO workflow_actions (workflow_id, status_code, position, kind, "
                   "params) SELECT id, 'under_review', 9, 'send_for_signature', '{\"elus\": "
                   "[\"MAIRE@ville-test.fr\", \"inconnu@ville-test.fr\"]}' FROM workflows "
                   "WHERE code = 'demarche'");
    request_created bare = file(f, "lea@example.org", NULL, NULL);
    assert_int_equal(move(f, bare.reference, "under_review", NULL, &err), 0);
    assert_string_equal(query(f, "SELECT count(*) FROM sign_circuits"), "0");
    store_event *ev = NULL;
    size_t n = timeline(f, bare.id, &ev);
    int skipped = 0;
    for (size_t i = 0; i < n; i++)
        skipped |= ev[i].body && strcmp(ev[i].body, "send_for_signature_skipped") == 0;
    assert_true(skipped);

    request_created c = file(f, "lea@example.org", NULL, NULL);
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO documents (tenant_id, request_id, kind, version, code, sha256, size, "
             "content, created_at, title, citizen_visible) VALUES (%lld, %lld, 'letter', 1, "
             "'ABCDEFGH', printf('%%064d', 1), 4, X'25504446', 1, 'Réponse', 1)",
             (long long)f->tenant_id, (long long)c.id);
    exec_reload(f, sql);
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    snprintf(sql, sizeof sql,
             "SELECT c.state || '|' || c.steps || '|' || s.agent_id || '|' || d.title FROM "
             "sign_circuits c JOIN sign_steps s ON s.circuit_id = c.id JOIN documents d ON d.id "
             "= c.document_id WHERE c.request_id = %lld",
             (long long)c.id);
    char want[64];
    snprintf(want, sizeof want, "pending|1|%lld|Réponse", (long long)maire.id);
    assert_string_equal(query(f, sql), want);
    n = timeline(f, c.id, &ev);
    int sent = 0;
    for (size_t i = 0; i < n; i++)
        sent |= strcmp(ev[i].kind, PARAPHEUR_EVENT_SENT) == 0 && !ev[i].is_public;
    assert_true(sent);
}

/* workflow_action_check's answer for kind on status with params: 0, or the arg at fault. */
static const char *check(const cat_workflow *wf, const char *status, const char *kind,
                         const char *params)
{
    static char arg[64];
    arena a;
    arena_init(&a, 0);
    store_workflow_action in = {.status_code = status, .kind = kind, .params = params};
    cat_action out;
    error err;
    error_clear(&err);
    int rc = workflow_action_check(&a, wf, &in, &out, &err);
    snprintf(arg, sizeof arg, "%s", rc == 0 ? "" : err.arg);
    arena_free(&a);
    return arg;
}

/* generate_document: the entry schedules one job, keyed by the entry, with the template's
 * name and the document's visibility, in the change's own transaction (the event naming the
 * action beside the status one); an action for a silence only is not the occasion of an
 * agent's move, and says nothing. */
static void test_generate_document_scheduled(void **state)
{
    fixture *f = *state;
    error err;
    exec_reload(f,
                "INSERT INTO workflow_actions (workflow_id, status_code, position, kind, params) "
                "SELECT id, 'under_review', 3, 'generate_document', "
                "'{\"template\": \"Lettre de prise en charge\", \"citizen_visible\": false}' "
                "FROM workflows WHERE code = 'demarche'");
    request_created c = file(f, "lea@example.org", NULL, NULL);
    assert_int_equal(move(f, c.reference, "under_review", NULL, &err), 0);
    const char *job = query(f, "SELECT json_extract(payload, '$.template') || ' ' || "
                               "json_extract(payload, '$.citizen_visible') || ' ' || state || ' ' "
                               "|| (ukey LIKE 'under_review:3:%') FROM jobs "
                               "WHERE kind = 'document_generate'");
    assert_string_equal(job, "Lettre de prise en charge 0 pending 1");
    store_event *ev = NULL;
    size_t n = timeline(f, c.id, &ev);
    assert_true(n >= 1);
    assert_string_equal(ev[n - 1].kind, "action");
    assert_string_equal(ev[n - 1].body, "generate_document");
    /* The shipped attestation waits for a silence: an agent's acceptance is no occasion. */
    assert_int_equal(move(f, c.reference, "accepted", NULL, &err), 0);
    assert_string_equal(query(f, "SELECT count(*) FROM jobs WHERE kind = 'document_generate'"),
                        "1");
    n = timeline(f, c.id, &ev);
    assert_string_equal(ev[n - 1].kind, "action");
    assert_string_equal(ev[n - 1].body, "notify_citizen");
}

static void test_check_rules(void **state)
{
    (void)state;
    store_workflow_status st[] = {
        {.code = "new", .citizen_visible = 1, .is_initial = 1},
        {.code = "triage", .citizen_visible = 0},
        {.code = "waiting", .citizen_visible = 1},
        {.code = "done", .citizen_visible = 1, .open311_closed = 1, .is_final = 1},
    };
    cat_workflow wf = {.rec = {.code = "essai"}, .statuses = st, .n_statuses = 4};
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "{}"), "");
    assert_string_equal(
        check(&wf, "waiting", "notify_citizen",
              "{\"text\": \"Demande {reference} : {statut}. {procedure} — {lien}\", "
              "\"text_en\": \"Request {reference}\"}"),
        "");
    /* Never told of a status they do not see. */
    assert_string_equal(check(&wf, "triage", "notify_citizen", "{}"), "status");
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "{\"text\": \"{nom}\"}"), "text");
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "{\"text_en\": \"Hi\"}"),
                        "text_en");
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "{\"text\": \"\"}"), "text");
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "{\"sujet\": \"x\"}"), "params");
    assert_string_equal(check(&wf, "waiting", "notify_citizen", "[]"), "params");
    assert_string_equal(check(&wf, "nowhere", "notify_citizen", "{}"), "status");
    assert_string_equal(check(&wf, "waiting", "generate_document", "{}"), "template");
    assert_string_equal(check(&wf, "waiting", "generate_document", "{\"template\": \"\"}"),
                        "template");
    assert_string_equal(check(&wf, "waiting", "generate_document", "{\"template\": 3}"),
                        "template");
    assert_string_equal(
        check(&wf, "waiting", "generate_document", "{\"template\": \"A\", \"silence_only\": 1}"),
        "silence_only");
    assert_string_equal(check(&wf, "waiting", "generate_document",
                              "{\"template\": \"A\", \"citizen_visible\": \"oui\"}"),
                        "citizen_visible");
    assert_string_equal(check(&wf, "triage", "generate_document",
                              "{\"template\": \"Attestation\", \"citizen_visible\": false}"),
                        "");
    assert_string_equal(check(&wf, "triage", "notify_department", "{}"), "");
    assert_string_equal(check(&wf, "triage", "assign_by_rule", "{}"), "");
    assert_string_equal(check(&wf, "triage", "set_due_date", "{\"days\": 60}"), "");
    assert_string_equal(check(&wf, "triage", "set_due_date", "{\"days\": 0}"), "days");
    assert_string_equal(check(&wf, "triage", "set_due_date", "{\"days\": 3651}"), "days");
    assert_string_equal(check(&wf, "triage", "set_due_date", "{\"days\": \"60\"}"), "days");
    assert_string_equal(check(&wf, "triage", "set_due_date", "{\"days\": 5, \"working\": 1}"),
                        "working");
    assert_string_equal(check(&wf, "waiting", "ask_citizen", "{\"return_to\": \"new\"}"), "");
    assert_string_equal(check(&wf, "waiting", "ask_citizen", "{}"), "return_to");
    assert_string_equal(check(&wf, "waiting", "ask_citizen", "{\"return_to\": \"waiting\"}"),
                        "return_to");
    assert_string_equal(check(&wf, "waiting", "ask_citizen", "{\"return_to\": \"done\"}"),
                        "return_to");
    assert_string_equal(check(&wf, "triage", "ask_citizen", "{\"return_to\": \"new\"}"), "status");
    assert_string_equal(check(&wf, "new", "webhook", "{\"url\": \"https://hooks.example/in\"}"),
                        "");
    assert_string_equal(check(&wf, "new", "webhook", "{\"url\": \"ftp://hooks.example/in\"}"),
                        "url");
    assert_string_equal(
        check(&wf, "new", "webhook", "{\"url\": \"https://hooks.example/in\", \"secret\": \"x\"}"),
        "params");
    assert_string_equal(
        check(&wf, "triage", "send_for_signature", "{\"elus\": [\"a@ville.fr\", \"b@ville.fr\"]}"),
        "");
    assert_string_equal(check(&wf, "triage", "send_for_signature", "{}"), "elus");
    assert_string_equal(check(&wf, "triage", "send_for_signature", "{\"elus\": []}"), "elus");
    assert_string_equal(
        check(&wf, "triage", "send_for_signature", "{\"elus\": [\"pas-une-adresse\"]}"), "elus");
    assert_string_equal(
        check(&wf, "triage", "send_for_signature", "{\"elus\": [\"a@ville.fr\", \"A@ville.fr\"]}"),
        "elus");
    assert_string_equal(
        check(&wf, "triage", "send_for_signature", "{\"elus\": [\"a,b@ville.fr\"]}"), "elus");
    assert_string_equal(check(&wf, "triage", "send_for_signature", "{\"elus\": [1]}"), "elus");
    assert_string_equal(
        check(
            &wf, "triage", "send_for_signature",
            "{\"elus\": [\"a@v.fr\", \"b@v.fr\", \"c@v.fr\", \"d@v.fr\", \"e@v.fr\", \"f@v.fr\"]}"),
        "elus");
    /* Written back as it was read. */
    cat_action sig = {.kind = WORKFLOW_ACTION_SEND_FOR_SIGNATURE,
                      .signers = "a@ville.fr,b@ville.fr"};
    json_t *back = workflow_action_params_json(&sig);
    char *text = json_dumps(back, JSON_COMPACT);
    assert_string_equal(text, "{\"elus\":[\"a@ville.fr\",\"b@ville.fr\"]}");
    free(text);
    json_decref(back);
    /* Placeholders replaced, text around them kept, a brace alone kept. */
    arena a;
    arena_init(&a, 0);
    assert_string_equal(workflow_action_text(&a, "{reference} est {statut} {x} ({lien})",
                                             "2026-000001", "acceptée", "Terrasse", NULL),
                        "2026-000001 est acceptée {x} ()");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_in_the_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_follows_the_citizen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ask_citizen_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_date_in_working_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_department_webhook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_document_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_for_signature, setup, teardown),
        cmocka_unit_test(test_check_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of request_public and the public text (core/request_public.h, work.h): a public
 * text is approved and withdrawn as one audited job with its internal event, bounded and
 * checked, only by an agent in scope and only where a text is shown; the cards carry the
 * approved text and the first approved photo; request_public_nearby returns the public open
 * incidents within the radius, nearest first, bounded by its limit and its arguments — on
 * a real SQLite database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/agent.h"
#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/work.h"
#include "store/store.h"
#include "test_db.h"
#include "test_req.h"

#define LAT0 45.75
#define LON0 4.85
#define METRES_PER_DEGREE_LAT 111195.0

typedef struct fixture {
    test_db db;
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

static void add_procedure(fixture *f, const char *code, int kind, int is_public, int64_t dep_id)
{
    error err;
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = code,
                         .name = code,
                         .group_name = "Signaler",
                         .department_id = dep_id,
                         .kind = kind,
                         .is_public = is_public,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "request_public", NULL), 0);
    error err;
    arena_init(&f->a, 0);
    assert_int_equal(test_db_add_tenant(&f->db, &f->tenant_id), 0);
    store_department d = {.tenant_id = f->tenant_id, .code = "voirie", .name = "Voirie"};
    int64_t dep_id = 0;
    assert_int_equal(admin_department_upsert(f->db.core, &d, &dep_id, &err), 0);
    store_department d2 = {.tenant_id = f->tenant_id, .code = "proprete", .name = "Propreté"};
    assert_int_equal(admin_department_upsert(f->db.core, &d2, NULL, &err), 0);
    add_procedure(f, "trou", PROCEDURE_INCIDENT, 1, dep_id);
    /* Licence plates and the reporter's street: an incident never shown publicly. */
    add_procedure(f, "stationnement", PROCEDURE_INCIDENT, 0, dep_id);
    add_procedure(f, "question", PROCEDURE_DEMARCHE, 0, dep_id);
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
    free(f);
    return 0;
}

/* A request of `procedure` filed by a citizen, `north_m` metres north of (LAT0, LON0). */
static request_created file_at(fixture *f, const char *procedure, double north_m)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, procedure),
                        .ch = CHANNEL_WEB,
                        .description = "Jean Dupont, 06 12 34 56 78 : un trou devant chez moi",
                        .has_location = 1,
                        .lat = LAT0 + north_m / METRES_PER_DEGREE_LAT,
                        .lon = LON0};
    assert_non_null(in.procedure);
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    return out;
}

static void publish(fixture *f, const request_created *c)
{
    error err;
    assert_int_equal(
        work_set_public(f->db.core, f->t, c->reference, 1, &f->who_voirie, NULL, NULL, &err), 0);
}

static store_request get(fixture *f, const char *reference)
{
    return test_req_get(f->db.core, f->t, reference, &f->a);
}

static size_t audit_count(fixture *f)
{
    store_audit *e = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->audit.list(f->db.store, f->tenant_id, 0, 1000, &f->a, &e, &n, &err), 0);
    return n;
}

/* The last event of request id (internal ones included). */
static store_event last_event(fixture *f, int64_t id)
{
    store_event *ev = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(request_timeline(f->db.core, f->t, id, 0, &f->a, &ev, &n, &err), 0);
    assert_true(n > 0);
    return ev[n - 1];
}

static void test_public_text(void **state)
{
    fixture *f = *state;
    error err;
    request_created c = file_at(f, "trou", 0);
    store_request r = get(f, c.reference);
    assert_null(request_public_text(&r));
    size_t audits = audit_count(f);

    /* Approved, trimmed: the row, an internal event with the text, an audit entry. */
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference,
                                          "  Un trou devant le numéro 12.\n", &f->who_voirie, NULL,
                                          NULL, &err),
                     0);
    r = get(f, c.reference);
    assert_string_equal(request_public_text(&r), "Un trou devant le numéro 12.");
    assert_string_equal(r.description, "Jean Dupont, 06 12 34 56 78 : un trou devant chez moi");
    store_event e = last_event(f, c.id);
    assert_string_equal(e.kind, "public_text");
    assert_string_equal(e.body, "Un trou devant le numéro 12.");
    assert_false(e.is_public);
    assert_int_equal(audit_count(f), audits + 1);

    /* Bounded and checked, nothing written when refused. */
    char *long_text = malloc(REQUEST_PUBLIC_TEXT_MAX + 2);
    memset(long_text, 'a', REQUEST_PUBLIC_TEXT_MAX + 1);
    long_text[REQUEST_PUBLIC_TEXT_MAX + 1] = '\0';
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, long_text, &f->who_voirie,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "public_text");
    long_text[REQUEST_PUBLIC_TEXT_MAX] = '\0'; /* exactly the maximum: accepted */
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, long_text, &f->who_voirie,
                                          NULL, NULL, &err),
                     0);
    free(long_text);
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, "bip\x07", &f->who_voirie,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    /* Only an agent in scope, only where a text is shown. */
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, "Autre", &f->who_proprete,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    request_created q = file_at(f, "question", 0);
    assert_int_equal(work_set_public_text(f->db.core, f->t, q.reference, "Texte", &f->who_voirie,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(audit_count(f), audits + 2);

    /* Withdrawn (blank): nothing public again, an event without text. */
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, " \n", &f->who_voirie,
                                          NULL, NULL, &err),
                     0);
    r = get(f, c.reference);
    assert_null(request_public_text(&r));
    e = last_event(f, c.id);
    assert_string_equal(e.kind, "public_text");
    assert_null(e.body);
    assert_int_equal(audit_count(f), audits + 3);
}

static void test_card(void **state)
{
    fixture *f = *state;
    error err;
    request_created c = file_at(f, "trou", 0);
    request_public_card card;
    store_request r = get(f, c.reference);
    /* Not accepted yet: no card. */
    assert_int_equal(request_public_card_of(f->db.core, f->t, &r, &card, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    publish(f, &c);
    r = get(f, c.reference);
    assert_int_equal(request_public_card_of(f->db.core, f->t, &r, &card, &err), 0);
    assert_string_equal(card.reference, c.reference);
    assert_string_equal(card.procedure->rec.code, "trou");
    assert_null(card.text);
    assert_int_equal(card.photo_id, 0);

    /* Two photos on an internal note, the second approved: the card shows that one. */
    store_attachment photos[2] = {
        {.filename = "a.jpg",
         .content_type = "image/jpeg",
         .size = 10,
         .storage_name = "s-1",
         .thumb_name = "t-1",
         .is_photo = 1},
        {.filename = "b.jpg",
         .content_type = "image/jpeg",
         .size = 10,
         .storage_name = "s-2",
         .thumb_name = "t-2",
         .is_photo = 1},
    };
    request_processing p = {.change = {.priority = -1, .who = &f->who_voirie, .ch = CHANNEL_WEB},
                            .internal_note = "Photos",
                            .note_attachments = photos,
                            .n_note_attachments = 2};
    assert_int_equal(request_process(f->db.core, f->t, c.reference, &p, NULL, NULL, &err), 0);
    store_attachment *atts = NULL;
    size_t n = 0;
    assert_int_equal(attachment_list(f->db.core, f->t->rec.id, c.id, &f->a, &atts, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(request_public_card_of(f->db.core, f->t, &r, &card, &err), 0);
    assert_int_equal(card.photo_id, 0); /* none approved */
    assert_int_equal(work_moderate_photo(f->db.core, f->t, c.reference, atts[1].id, "approved",
                                         &f->who_voirie, NULL, NULL, &err),
                     0);
    assert_int_equal(work_set_public_text(f->db.core, f->t, c.reference, "Un trou.", &f->who_voirie,
                                          NULL, NULL, &err),
                     0);
    r = get(f, c.reference);
    assert_int_equal(request_public_card_of(f->db.core, f->t, &r, &card, &err), 0);
    assert_int_equal(card.photo_id, atts[1].id);
    assert_string_equal(card.text, "Un trou.");
}

static void test_nearby(void **state)
{
    fixture *f = *state;
    error err;
    /* Public and open at 0, 120 and 480 m; at 900 m (outside 500 m); closed at 30 m; not
     * accepted at 10 m; of a procedure never public at 5 m. */
    request_created a = file_at(f, "trou", 0), b = file_at(f, "trou", 120),
                    c = file_at(f, "trou", 480), far = file_at(f, "trou", 900),
                    closed = file_at(f, "trou", 30), hidden = file_at(f, "trou", 10),
                    parking = file_at(f, "stationnement", 5);
    /* Filed in an order that is not the distance's. */
    publish(f, &c);
    publish(f, &far);
    publish(f, &b);
    publish(f, &a);
    publish(f, &closed);
    request_change done = {.status = "resolved", .priority = -1, .who = &f->who_voirie};
    assert_int_equal(request_update(f->db.core, f->t, closed.reference, &done, NULL, NULL, &err),
                     0);
    f->db.store->ops->requests.tx_set_public(f->db.store, f->tenant_id, parking.id, 1, &err);
    (void)hidden;

    request_public_card *cards = NULL;
    size_t n = 0;
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, LAT0, LON0, 500, 10, &f->a, &cards, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(cards[0].reference, a.reference);
    assert_string_equal(cards[1].reference, b.reference);
    assert_string_equal(cards[2].reference, c.reference);
    assert_true(cards[0].has_distance);
    assert_true(cards[0].distance_m < 1);
    assert_true(cards[1].distance_m > 115 && cards[1].distance_m < 125);
    assert_true(cards[2].distance_m > 470 && cards[2].distance_m < 490);
    assert_string_equal(cards[1].procedure->rec.code, "trou");
    assert_string_equal(cards[1].status, "new");
    assert_int_equal(cards[1].supporters, 0);

    /* The limit keeps the nearest; a wider radius reaches the far one. */
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, LAT0, LON0, 500, 2, &f->a, &cards, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(cards[1].reference, b.reference);
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, LAT0, LON0, 1000, 10, &f->a, &cards, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(cards[3].reference, far.reference);
    /* From the far one's place, the nearest is itself. */
    assert_int_equal(request_public_nearby(f->db.core, f->t, LAT0 + 900 / METRES_PER_DEGREE_LAT,
                                           LON0, 50, 10, &f->a, &cards, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(cards[0].reference, far.reference);
    /* Nothing around elsewhere. */
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, 48.85, 2.35, 5000, 10, &f->a, &cards, &n, &err), 0);
    assert_int_equal(n, 0);

    /* Bounded arguments. */
    const struct {
        double lat, lon, metres;
        size_t limit;
        const char *arg;
    } bad[] = {
        {91, LON0, 500, 10, "lat"},    {LAT0, -181, 500, 10, "lon"},
        {LAT0, LON0, 0, 10, "metres"}, {LAT0, LON0, REQUEST_NEARBY_MAX_METRES + 1, 10, "metres"},
        {LAT0, LON0, 500, 0, "limit"}, {LAT0, LON0, 500, REQUEST_NEARBY_MAX_LIMIT + 1, "limit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(request_public_nearby(f->db.core, f->t, bad[i].lat, bad[i].lon,
                                               bad[i].metres, bad[i].limit, &f->a, &cards, &n,
                                               &err),
                         -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, bad[i].arg);
    }
}

/* The nearby query reads the partial index of public open requests (a bounding box of it),
 * never a scan of the table: without the index it fails instead of slowing down unseen. */
static void test_nearby_uses_its_index(void **state)
{
    fixture *f = *state;
    error err;
    request_created a = file_at(f, "trou", 0);
    publish(f, &a);
    request_public_card *cards = NULL;
    size_t n = 0;
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, LAT0, LON0, 100, 5, &f->a, &cards, &n, &err), 0);
    assert_int_equal(n, 1);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "DROP INDEX requests_public_open_geo", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(
        request_public_nearby(f->db.core, f->t, LAT0, LON0, 100, 5, &f->a, &cards, &n, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_public_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nearby, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nearby_uses_its_index, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of each message's own id and delivery state (core/outbox) and of the reply
 * token that routes an e-mail answer back to its request (core/reply_token): the id made at
 * enqueue and found again, reports moving the state forward with their timeline event and
 * never back from a final state, and tokens refused when forged, cut or made for another
 * collectivité — on a real SQLite database in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/document.h"
#include "core/outbox.h"
#include "core/reply_token.h"
#include "core/request.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

typedef test_town fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(f, "outbox-delivery"), 0);
    assert_int_equal(test_db_add_incident(&f->db, f->tenant_id, "voirie", "Voirie", 0), 0);
    assert_int_equal(test_town_read(f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_town_close(f);
    free(f);
    return 0;
}

/* Files a request with an e-mail address; its acknowledgement is then queued. */
static int64_t file(fixture *f)
{
    request_input in = {.tenant = f->t,
                        .procedure = catalogue_procedure(f->t, "voirie"),
                        .ch = CHANNEL_WEB,
                        .description = "Nid-de-poule devant l'école",
                        .email = "claire@example.org",
                        .ack_base_url = "https://ville-test.fr"};
    request_created out;
    error err;
    assert_int_equal(request_create(f->db.core, &in, &out, NULL, NULL, &err), 0);
    return out.id;
}

static store_outbox *messages(fixture *f, int64_t request_id, size_t *n)
{
    store_outbox *rows = NULL;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, request_id, &f->a, &rows, n, &err),
        0);
    return rows;
}

/* The delivery events of a request, in order. */
static size_t deliveries(fixture *f, int64_t request_id, store_event **out)
{
    store_event *ev = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(f->db.store->ops->events.list(f->db.store, f->tenant_id, request_id, 0, &f->a,
                                                   &ev, &n, &err),
                     0);
    *out = arena_alloc(&f->a, (n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, OUTBOX_DELIVERY_EVENT) == 0)
            (*out)[k++] = ev[i];
    return k;
}

static void test_message_id_made_at_enqueue(void **state)
{
    fixture *f = *state;
    int64_t id = file(f), other = file(f);
    size_t n = 0, m = 0;
    store_outbox *rows = messages(f, id, &n), *rows2 = messages(f, other, &m);
    assert_int_equal(n, 1);
    assert_int_equal(m, 1);
    assert_true(outbox_message_id_ok(rows[0].message_id));
    assert_string_not_equal(rows[0].message_id, rows2[0].message_id);
    assert_string_equal(rows[0].state, OUTBOX_STATE_QUEUED);

    outbox_message_ref ref;
    error err;
    assert_int_equal(outbox_find_message(f->db.core, rows[0].message_id, &ref, &err), 0);
    assert_int_equal(ref.id, rows[0].id);
    assert_int_equal(ref.tenant_id, f->tenant_id);
    assert_int_equal(ref.request_id, id);
    assert_string_equal(ref.channel, "email");
    assert_string_equal(ref.state, OUTBOX_STATE_QUEUED);

    /* Unknown and malformed ids are not found; the malformed ones never reach the store. */
    assert_int_equal(
        outbox_find_message(f->db.core, "0123456789abcdef0123456789abcdef", &ref, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(outbox_find_message(f->db.core, "' OR 1=1 --", &ref, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_false(outbox_message_id_ok("0123456789ABCDEF0123456789ABCDEF"));
    assert_false(outbox_message_id_ok("0123456789abcdef0123456789abcde"));
}

static void test_sent_by_dispatcher_sets_state(void **state)
{
    fixture *f = *state;
    int64_t id = file(f);
    size_t n = 0;
    store_outbox *rows = messages(f, id, &n);
    outbox_outcome o = {.id = rows[0].id, .sent = 1, .when = 1767225600};
    error err;
    assert_int_equal(outbox_record(f->db.core, &o, NULL, NULL, &err), 0);
    rows = messages(f, id, &n);
    assert_string_equal(rows[0].state, OUTBOX_STATE_SENT);

    int64_t id2 = file(f);
    rows = messages(f, id2, &n);
    outbox_outcome given_up = {.id = rows[0].id,
                               .attempts = 8,
                               .next_attempt_at = 1767225600,
                               .failed = 1,
                               .last_error = "550 no such user"};
    assert_int_equal(outbox_record(f->db.core, &given_up, NULL, NULL, &err), 0);
    rows = messages(f, id2, &n);
    assert_string_equal(rows[0].state, OUTBOX_STATE_FAILED);
}

static void test_reports_move_forward_only(void **state)
{
    fixture *f = *state;
    int64_t id = file(f);
    size_t n = 0;
    store_outbox *rows = messages(f, id, &n);
    const char *mid = rows[0].message_id;
    error err;
    assert_int_equal(outbox_delivery(f->db.core, mid, OUTBOX_STATE_SENT, NULL, NULL, NULL, &err),
                     0);
    /* The same report twice is told once. */
    assert_int_equal(outbox_delivery(f->db.core, mid, OUTBOX_STATE_SENT, NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(outbox_delivery(f->db.core, mid, OUTBOX_STATE_BOUNCED,
                                     "550 5.1.1 mailbox unknown\r\nline two", NULL, NULL, &err),
                     0);
    /* Final: a late delivery report changes nothing. */
    assert_int_equal(
        outbox_delivery(f->db.core, mid, OUTBOX_STATE_DELIVERED, NULL, NULL, NULL, &err), 0);

    rows = messages(f, id, &n);
    assert_string_equal(rows[0].state, OUTBOX_STATE_BOUNCED);
    store_event *ev;
    assert_int_equal(deliveries(f, id, &ev), 2);
    assert_string_equal(ev[0].body, "sent");
    assert_string_equal(ev[0].channel, "email");
    assert_string_equal(ev[0].actor, "system");
    assert_false(ev[0].is_public);
    /* The report's line breaks do not reach the timeline. */
    assert_string_equal(ev[1].body, "bounced 550 5.1.1 mailbox unknown  line two");

    assert_int_equal(outbox_delivery(f->db.core, mid, "lost", NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(outbox_delivery(f->db.core, "0123456789abcdef0123456789abcdef",
                                     OUTBOX_STATE_DELIVERED, NULL, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

static void test_detail_cut_on_a_character(void **state)
{
    fixture *f = *state;
    int64_t id = file(f);
    size_t n = 0;
    store_outbox *rows = messages(f, id, &n);
    char detail[400];
    /* 199 ASCII bytes then "é" (2 bytes): byte 200 is inside the character. */
    memset(detail, 'x', 199);
    snprintf(detail + 199, sizeof detail - 199, "%s", "\xc3\xa9 and more");
    error err;
    assert_int_equal(outbox_delivery(f->db.core, rows[0].message_id, OUTBOX_STATE_FAILED, detail,
                                     NULL, NULL, &err),
                     0);
    store_event *ev;
    assert_int_equal(deliveries(f, id, &ev), 1);
    assert_int_equal(strlen(ev[0].body), strlen("failed ") + 199);
}

static void test_reply_token(void **state)
{
    fixture *f = *state;
    char token[REPLY_TOKEN_MAX], ref[REPLY_TOKEN_REF_MAX + 1];
    assert_int_equal(reply_token_make(f->db.core, f->tenant_id, "2026-000123", token, sizeof token),
                     0);
    assert_int_equal(strlen(token), strlen("2026-000123.") + REPLY_TOKEN_MAC_LEN);
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, token, ref, sizeof ref), 0);
    assert_string_equal(ref, "2026-000123");

    /* An MTA that changes the case changes nothing. */
    char upper[REPLY_TOKEN_MAX];
    for (size_t i = 0; i <= strlen(token); i++)
        upper[i] = token[i] >= 'a' && token[i] <= 'z' ? (char)(token[i] - 32) : token[i];
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, upper, ref, sizeof ref), 0);

    /* Another collectivité, another reference with this MAC, a cut or altered MAC: refused. */
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id + 1, token, ref, sizeof ref), -1);
    char forged[REPLY_TOKEN_MAX];
    snprintf(forged, sizeof forged, "%s", token);
    forged[10] = forged[10] == '3' ? '4' : '3';
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, forged, ref, sizeof ref), -1);
    snprintf(forged, sizeof forged, "%s", token);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, forged, ref, sizeof ref), -1);
    snprintf(forged, sizeof forged, "%s", token);
    forged[strlen(forged) - 1] = 0;
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, forged, ref, sizeof ref), -1);
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, "2026-000123", ref, sizeof ref),
                     -1);
    assert_int_equal(reply_token_check(f->db.core, f->tenant_id, "", ref, sizeof ref), -1);

    /* What an address cannot carry is never made into a token. */
    assert_int_equal(reply_token_make(f->db.core, f->tenant_id, "2026 000123", token, sizeof token),
                     -1);
    assert_int_equal(reply_token_make(f->db.core, f->tenant_id, "", token, sizeof token), -1);
    assert_int_equal(reply_token_make(f->db.core, f->tenant_id, "2026-000123", token, 12), -1);
}

/* A message queued with a document id and hash (the hash given, the request's id). */
typedef struct doc_msg {
    int64_t request_id, document_id;
    const char *sha256;
} doc_msg;

static int queue_doc_msg(store *s, void *arg, error *err)
{
    doc_msg *d = arg;
    outbox_document_ref ref = {.id = d->document_id, .sha256 = d->sha256};
    return outbox_add_document_tx(s, 1, "email", "claire@example.org", "document_issued", NULL,
                                  "fr", d->request_id, &ref, err);
}

/* The acknowledgement waits for the receipt, whose issue gives it the receipt's id and hash
 * and makes it due; the dispatcher's read gives the frozen bytes only while they have the
 * hash queued. */
static void test_ack_carries_the_receipt(void **state)
{
    fixture *f = *state;
    /* Documents can be written: the server's strings (its language tag; keys for words). */
    json_t *fr = json_pack("{s:{s:s}}", "documents", "lang", "fr-FR");
    json_t *en = json_pack("{s:{s:s}}", "documents", "lang", "en");
    document_set_strings(f->db.core, fr, en);
    int64_t id = file(f);
    size_t n = 0;
    store_outbox *rows = messages(f, id, &n);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].template, "request_ack");
    assert_int_equal(rows[0].document_id, 0);
    assert_int_equal(rows[0].next_attempt_at, rows[0].created_at + DOCUMENT_RECEIPT_HOLD_S);
    error err;
    store_document doc;
    assert_int_equal(outbox_document(f->db.core, &rows[0], &f->a, &doc, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    int issued = 0;
    assert_int_equal(document_issue_receipt(f->db.core, f->t, id, time_now(), &issued, &err), 0);
    assert_int_equal(issued, 1);
    rows = messages(f, id, &n);
    assert_int_equal(n, 1);
    assert_true(rows[0].document_id > 0);
    assert_true(rows[0].next_attempt_at <= time_now());
    store_document *receipts = NULL;
    size_t k = 0;
    assert_int_equal(document_list(f->db.core, f->tenant_id, id, DOCUMENT_KIND_RECEIPT, &f->a,
                                   &receipts, &k, &err),
                     0);
    assert_int_equal(k, 1);
    assert_int_equal(rows[0].document_id, receipts[0].id);
    assert_string_equal(rows[0].document_sha256, receipts[0].sha256);
    assert_int_equal(outbox_document(f->db.core, &rows[0], &f->a, &doc, &err), 0);
    assert_int_equal(doc.size, receipts[0].size);
    assert_memory_equal(doc.content, "%PDF-", 5);
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(digest, doc.content, (unsigned long long)doc.size);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    assert_string_equal(hex, rows[0].document_sha256);

    /* Another hash than the document's: never sent in its place. */
    doc_msg other = {id, receipts[0].id,
                     "0000000000000000000000000000000000000000000000000000000000000000"};
    assert_int_equal(store_write_sync(f->db.store, queue_doc_msg, &other, &err), 0);
    /* Another request's document, and one that does not exist. */
    int64_t id2 = file(f);
    doc_msg stranger = {id2, receipts[0].id, receipts[0].sha256};
    assert_int_equal(store_write_sync(f->db.store, queue_doc_msg, &stranger, &err), 0);
    doc_msg gone = {id, receipts[0].id + 1000, receipts[0].sha256};
    assert_int_equal(store_write_sync(f->db.store, queue_doc_msg, &gone, &err), 0);
    rows = messages(f, id, &n);
    assert_int_equal(n, 3);
    assert_int_equal(outbox_document(f->db.core, &rows[1], &f->a, &doc, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(outbox_document(f->db.core, &rows[2], &f->a, &doc, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    rows = messages(f, id2, &n);
    assert_int_equal(n, 2);
    assert_int_equal(outbox_document(f->db.core, &rows[1], &f->a, &doc, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* A receipt issued after its acknowledgement went attaches to nothing. */
    assert_int_equal(
        outbox_record(f->db.core,
                      &(outbox_outcome){.id = rows[0].id, .sent = 1, .when = time_now()}, NULL,
                      NULL, &err),
        0);
    assert_int_equal(document_issue_receipt(f->db.core, f->t, id2, time_now(), &issued, &err), 0);
    assert_int_equal(issued, 1);
    rows = messages(f, id2, &n);
    assert_int_equal(rows[0].document_id, 0);
    document_set_strings(f->db.core, NULL, NULL);
    json_decref(fr);
    json_decref(en);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_message_id_made_at_enqueue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_carries_the_receipt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sent_by_dispatcher_sets_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reports_move_forward_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detail_cut_on_a_character, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_token, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mail_route — what an incoming e-mail becomes (channels/mail/inbound_route.c) on a real
 * store: a new request with its acknowledgement; a reply threaded by the Reply-To token of its
 * recipient whoever sent it, a forged token threading nothing; a reply threaded by our
 * Message-ID in In-Reply-To; a bounce moving our message to "bounced" with a reason and
 * storing no message; an auto-reply writing nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/mail/inbound.h"
#include "core/admin.h"
#include "core/catalogue.h"
#include "core/outbox.h"
#include "core/reply_token.h"
#include "store/store.h"
#include "test_db.h"

typedef test_town fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_town_open(f, "mailroute"), 0);
    error err;
    store_procedure p = {.tenant_id = f->tenant_id,
                         .code = MAIL_IN_PROCEDURE,
                         .name = "Question générale",
                         .group_name = "Vie quotidienne",
                         .kind = PROCEDURE_DEMARCHE,
                         .active = 1};
    assert_int_equal(admin_procedure_upsert(f->db.core, &p, NULL, &err), 0);
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

/* Parses msg and routes it, waiting for the write; the result's outcome. */
static mail_in_outcome route(fixture *f, const char *msg, mail_in_result *r)
{
    mail_in m;
    error err;
    error_clear(&err);
    assert_int_equal(mail_in_parse(msg, strlen(msg), NULL, &f->a, &m, &err), 0);
    int rc =
        mail_in_route(f->db.core, f->t, &m, "https://ville-test.fr", &f->a, r, NULL, NULL, &err);
    if (rc < 0)
        fail_msg("mail_in_route: %s", err.detail);
    return r->outcome;
}

static const char *created_ref(const mail_in_result *r)
{
    return r->outcome == MAIL_IN_CREATED ? r->created.reference : r->reference;
}

/* The events of request `reference` of kind `kind`: how many, and the last one's body. */
static size_t events_of(fixture *f, const char *reference, const char *kind, const char **body)
{
    store_request rq;
    error err;
    assert_int_equal(request_get(f->db.core, f->t, reference, &f->a, &rq, &err), 0);
    store_event *ev = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(
        f->db.store->ops->events.list(f->db.store, f->tenant_id, rq.id, 0, &f->a, &ev, &n, &err),
        0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, kind) == 0) {
            k++;
            if (body)
                *body = ev[i].body;
        }
    return k;
}

/* The outbox messages of a request (oldest first). */
static size_t outbox_of(fixture *f, const char *reference, store_outbox **out)
{
    store_request rq;
    error err;
    assert_int_equal(request_get(f->db.core, f->t, reference, &f->a, &rq, &err), 0);
    size_t n = 0;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant_id, rq.id, &f->a, out, &n, &err), 0);
    return n;
}

static void test_new_then_replies(void **state)
{
    fixture *f = *state;
    mail_in_result r;
    assert_int_equal(route(f,
                           "From: Camille Durand <camille@exemple.test>\n"
                           "To: contact@ville-test.fr\nSubject: Horaires\n\nBonjour ?\n",
                           &r),
                     MAIL_IN_CREATED);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", created_ref(&r));
    store_outbox *ob;
    assert_int_equal(outbox_of(f, ref, &ob), 1);
    assert_string_equal(ob[0].template, "request_ack");
    assert_string_equal(ob[0].recipient, "camille@exemple.test");

    /* The Reply-To token threads, whoever answers (a forward from another address). */
    char token[REPLY_TOKEN_MAX], msg[1024];
    assert_int_equal(reply_token_make(f->db.core, f->tenant_id, ref, token, sizeof token), 0);
    snprintf(msg, sizeof msg,
             "From: autre@exemple.test\nTo: contact+%s@ville-test.fr\nSubject: Re: votre "
             "demande\n\nVoici la suite.\n",
             token);
    assert_int_equal(route(f, msg, &r), MAIL_IN_THREADED);
    assert_string_equal(r.reference, ref);
    const char *body = NULL;
    assert_int_equal(events_of(f, ref, "message", &body), 1);
    assert_string_equal(body, "Voici la suite.");

    /* A forged token (another MAC) threads nothing: a new request. */
    char forged[REPLY_TOKEN_MAX];
    snprintf(forged, sizeof forged, "%s", token);
    char *dot = strrchr(forged, '.');
    dot[1] = dot[1] == '0' ? '1' : '0';
    snprintf(msg, sizeof msg,
             "From: autre@exemple.test\nTo: contact+%s@ville-test.fr\nSubject: x\n\nFaux.\n",
             forged);
    assert_int_equal(route(f, msg, &r), MAIL_IN_CREATED);
    assert_string_not_equal(r.created.reference, ref);

    /* Our acknowledgement's Message-ID in In-Reply-To threads too. */
    snprintf(msg, sizeof msg,
             "From: camille@exemple.test\nTo: contact@ville-test.fr\nSubject: Re: accuse\n"
             "In-Reply-To: <%s@ville-test.fr>\n\nMerci.\n",
             ob[0].message_id);
    assert_int_equal(route(f, msg, &r), MAIL_IN_THREADED);
    assert_string_equal(r.reference, ref);
    assert_int_equal(events_of(f, ref, "message", NULL), 2);
}

static void test_bounce_and_autoreply(void **state)
{
    fixture *f = *state;
    mail_in_result r;
    assert_int_equal(route(f,
                           "From: dominique@exemple.test\nTo: contact@ville-test.fr\n"
                           "Subject: Question\n\nBonjour\n",
                           &r),
                     MAIL_IN_CREATED);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", created_ref(&r));
    store_outbox *ob;
    assert_int_equal(outbox_of(f, ref, &ob), 1);
    char msg[2048];
    snprintf(msg, sizeof msg,
             "From: MAILER-DAEMON@mx.exemple.test\nTo: ne-pas-repondre@ville-test.fr\n"
             "Subject: Undelivered\nMIME-Version: 1.0\n"
             "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
             "--R\nContent-Type: text/plain\n\nfailed\n"
             "--R\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n"
             "Diagnostic-Code: smtp; 550 <dominique@exemple.test> unknown\n"
             "--R\nContent-Type: text/rfc822-headers\n\nMessage-ID: <%s@ville-test.fr>\n"
             "--R--\n",
             ob[0].message_id);
    assert_int_equal(route(f, msg, &r), MAIL_IN_DROPPED);
    assert_string_equal(r.reason, "bounce");
    assert_int_equal(outbox_of(f, ref, &ob), 1);
    assert_string_equal(ob[0].state, "bounced");
    assert_int_equal(events_of(f, ref, "message", NULL), 0);
    const char *detail = NULL;
    assert_int_equal(events_of(f, ref, OUTBOX_DELIVERY_EVENT, &detail), 1);

    assert_int_equal(route(f,
                           "From: dominique@exemple.test\nAuto-Submitted: auto-replied\n"
                           "Subject: Re: "
                           "x\n\nAbsent\n",
                           &r),
                     MAIL_IN_DROPPED);
    assert_string_equal(r.reason, "autoreply");
    assert_int_equal(outbox_of(f, ref, &ob), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_then_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounce_and_autoreply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

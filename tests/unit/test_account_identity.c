/*
 * Unit tests of what citizens' and agents' identities share and of the account writes'
 * callback form: the one Argon2id (a hash stored by earlier versions still verifies; an
 * unknown account and an over-long password never match), the one session-opening path (a
 * login ends the browser's previous session; a spent link and its session commit together
 * or not at all), preferences read inside their job (two forms sent at once, each
 * changing its own field, both kept), and logins checked on the password pool (told from its
 * thread; refused at once when its queue is full).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/account.h"
#include "core/admin.h"
#include "core/core.h"
#include "core/password.h"
#include "core/session.h"
#include "store/store.h"
#include "test_db.h"
#include "web/web.h"

#define PASSWORD "une phrase de passe solide"
#define BASE "https://ville-test.fr"

/* Made by crypto_pwhash_str with libsodium's interactive limits, as every earlier version
 * stored them, for the password below. */
#define STORED_HASH                                                                                \
    "$argon2id$v=19$m=65536,t=2,p=1$qLhTC/X2pxQUfK0s8lUvRg$m0SHmn/fFGCrnKdRAE2SmlX/"               \
    "bP+JSRF+1jSSLggdWis"
#define STORED_PASSWORD "une phrase de passe de 2025"

typedef struct fixture {
    test_db db;
    store_tenant tenant;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "identity", &(core_config){.links = web_portal_links}),
                     0);
    error err;
    f->tenant = (store_tenant){.slug = "ville-test",
                               .name = "Ville Test",
                               .hosts = "ville-test.fr",
                               .timezone = "Europe/Paris",
                               .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->db.core, &f->tenant, &f->tenant.id, &err), 0);
    arena_init(&f->a, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
    test_db_close(&f->db);
    free(f);
    return 0;
}

/* The token of the newest e-mailed link of template tmpl (in the fixture's arena). */
static const char *last_token(fixture *f, const char *tmpl)
{
    store_outbox *rows;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant.id, 0, &f->a, &rows, &n, &err), 0);
    const char *token = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].template, tmpl) != 0)
            continue;
        json_error_t je;
        json_t *p = json_loads(rows[i].params, 0, &je);
        assert_non_null(p);
        const char *j = strstr(json_string_value(json_object_get(p, "link")), "jeton=");
        token = j ? arena_strdup(&f->a, j + 6) : NULL;
        json_decref(p);
    }
    assert_non_null(token);
    return token;
}

static int64_t verified_account(fixture *f, const char *email)
{
    error err;
    assert_int_equal(account_signup(f->db.core, &f->tenant, email, PASSWORD, "Jeanne Martin",
                                    LANG_FR, BASE, NULL, NULL, &err),
                     0);
    int64_t id = 0;
    assert_int_equal(account_verify(f->db.core, f->tenant.id, last_token(f, "account_verify"), NULL,
                                    &id, NULL, NULL, &err),
                     0);
    return id;
}

static int session_of(fixture *f, const char *token, int64_t *account_id)
{
    store_session se;
    store_account acc;
    error err;
    if (session_lookup(f->db.core, f->tenant.id, token, &f->a, &se, &acc, &err) != 0)
        return 0;
    *account_id = acc.id;
    return 1;
}

static void test_password(void **state)
{
    (void)state;
    assert_true(password_verify(STORED_HASH, STORED_PASSWORD));
    assert_false(password_verify(STORED_HASH, "une phrase de passe de 2026"));
    assert_false(password_verify(STORED_HASH, NULL));
    /* No account: the work is spent and the answer is no, whatever is typed. */
    assert_false(password_verify(NULL, STORED_PASSWORD));
    assert_false(password_verify(NULL, ""));

    char hash[PASSWORD_HASH_LEN];
    error err;
    assert_int_equal(password_hash(PASSWORD, hash, &err), 0);
    assert_int_equal(strncmp(hash, "$argon2id$v=19$m=65536,t=2,p=1$", 31), 0);
    assert_true(password_verify(hash, PASSWORD));
    /* Over the bound, a password is checked as "": never the one hashed. */
    char long_pw[PASSWORD_MAX + 2];
    memset(long_pw, 'x', sizeof long_pw - 1);
    long_pw[sizeof long_pw - 1] = '\0';
    assert_int_equal(password_hash(long_pw, hash, &err), 0);
    assert_false(password_verify(hash, long_pw));
}

static void test_login_ends_previous_session(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "ana@exemple.fr");
    error err;
    char old[SESSION_TOKEN_LEN];
    assert_int_equal(session_create(f->db.core, f->tenant.id, id, old, &err), 0);
    int64_t who = 0;
    assert_true(session_of(f, old, &who));

    session_opening o;
    session_opening_prepare(f->db.core, old, &o);
    assert_int_equal(session_open_account(f->db.core, f->tenant.id, id, &o, NULL, NULL, &err), 0);
    assert_true(session_of(f, o.token, &who));
    assert_int_equal(who, id);
    assert_false(session_of(f, old, &who));
    session_opening_wipe(&o);
    assert_int_equal(o.token[0], '\0');
}

static void test_link_and_session_commit_together(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "bruno@exemple.fr");
    error err;
    assert_int_equal(account_send_link(f->db.core, &f->tenant, "bruno@exemple.fr", "login", LANG_FR,
                                       BASE, NULL, NULL, &err),
                     0);
    const char *token = last_token(f, "account_login");

    session_opening o;
    session_opening_prepare(f->db.core, NULL, &o);
    int64_t got = 0, who = 0;
    assert_int_equal(
        account_consume_login(f->db.core, f->tenant.id, token, &o, &got, NULL, NULL, &err), 0);
    assert_int_equal(got, id);
    assert_true(session_of(f, o.token, &who));
    assert_int_equal(who, id);

    /* Spent already: the job fails, and the session it would have opened does not exist. */
    session_opening o2;
    session_opening_prepare(f->db.core, o.token, &o2);
    got = 0;
    assert_int_equal(
        account_consume_login(f->db.core, f->tenant.id, token, &o2, &got, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(got, 0);
    assert_false(session_of(f, o2.token, &who));
    assert_true(session_of(f, o.token, &who)); /* nor did it end the previous one */
    session_opening_wipe(&o);
    session_opening_wipe(&o2);
}

typedef struct waits {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int left, failures;
} waits;

static void on_done(void *ctx, int rc, const error *err)
{
    (void)err;
    waits *w = ctx;
    pthread_mutex_lock(&w->mu);
    if (rc != 0)
        w->failures++;
    w->left--;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void test_prefs_concurrent(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "chloe@exemple.fr");
    error err;
    assert_int_equal(store_writer_start(f->db.store, &err), 0);
    waits w = {.left = 2};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    /* Queued one after the other without waiting: they commit in one batch or two, and
     * each job reads the account as the one before it left it. */
    assert_int_equal(account_update_prefs(f->db.core, f->tenant.id, id, "Chloé Durand", NULL, NULL,
                                          NULL, on_done, &w, &err),
                     0);
    assert_int_equal(account_update_prefs(f->db.core, f->tenant.id, id, NULL, "06 12 34 56 78",
                                          "sms", "en", on_done, &w, &err),
                     0);
    pthread_mutex_lock(&w.mu);
    while (w.left > 0)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    store_writer_stop(f->db.store);
    assert_int_equal(w.failures, 0);
    store_account acc;
    assert_int_equal(account_get(f->db.core, f->tenant.id, id, &f->a, &acc, &err), 0);
    assert_string_equal(acc.display_name, "Chloé Durand");
    assert_string_equal(acc.phone, "+33612345678");
    assert_string_equal(acc.notify, "sms");
    assert_string_equal(acc.lang, "en");
    /* A refused value is refused at once: nothing queued, no callback. */
    w.left = 0;
    assert_int_equal(account_update_prefs(f->db.core, f->tenant.id, id, NULL, NULL, "pigeon", NULL,
                                          on_done, &w, &err),
                     -1);
    assert_int_equal(w.left, 0);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

/* One login's outcome, told by the password pool's thread. */
typedef struct login_outcome {
    waits *w;
    int calls, rc;
    err_code code;
    store_account acc;
} login_outcome;

static void on_login(void *ctx, int rc, const error *err)
{
    login_outcome *o = ctx;
    pthread_mutex_lock(&o->w->mu);
    o->calls++;
    o->rc = rc;
    o->code = rc != 0 && err ? err->code : ERR_NONE;
    o->w->left--;
    pthread_cond_signal(&o->w->cv);
    pthread_mutex_unlock(&o->w->mu);
}

/* With the pool started (one thread, room for one waiting check), logins are told from its
 * thread: the right password logs in, an unknown address does not; checks beyond the queue
 * are refused at once with ERR_UNAVAILABLE and never told. */
static void test_login_through_pool(void **state)
{
    fixture *f = *state;
    verified_account(f, "pool@exemple.fr");
    error err;
    assert_int_equal(core_hasher_start(f->db.core, 1, 1, &err), 0);
    waits w = {.left = 0};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    enum { N = 12 };
    login_outcome o[N];
    memset(o, 0, sizeof o);
    int queued = 0, refused = 0;
    /* One check runs, one waits: twelve sent at once (each takes tens of milliseconds)
     * cannot all find room. */
    for (int i = 0; i < N; i++) {
        o[i].w = &w;
        const char *email = i == 0 ? "pool@exemple.fr" : "personne@exemple.fr";
        pthread_mutex_lock(&w.mu);
        w.left++;
        pthread_mutex_unlock(&w.mu);
        error_clear(&err);
        if (account_login(f->db.core, f->tenant.id, email, PASSWORD, &f->a, &o[i].acc, on_login,
                          &o[i], &err) == 0) {
            queued++;
            continue;
        }
        assert_int_equal(err.code, ERR_UNAVAILABLE);
        refused++;
        pthread_mutex_lock(&w.mu);
        w.left--;
        o[i].calls = -1; /* refused: must stay so */
        pthread_mutex_unlock(&w.mu);
    }
    assert_true(queued >= 1);
    assert_true(refused >= 1);
    pthread_mutex_lock(&w.mu);
    while (w.left > 0)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    core_hasher_stop(f->db.core);
    assert_int_equal(o[0].calls, 1); /* the first one always finds the queue empty */
    assert_int_equal(o[0].rc, 0);
    assert_string_equal(o[0].acc.email, "pool@exemple.fr");
    for (int i = 1; i < N; i++) {
        if (o[i].calls == -1)
            continue;
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].rc, -1);
        assert_int_equal(o[i].code, ERR_UNAUTHORIZED);
    }
    /* Stopped: the caller's thread hashes again, as the command line does. */
    store_account acc;
    assert_int_equal(account_login(f->db.core, f->tenant.id, "pool@exemple.fr", PASSWORD, &f->a,
                                   &acc, NULL, NULL, &err),
                     0);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password),
        cmocka_unit_test_setup_teardown(test_login_ends_previous_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_and_session_commit_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefs_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_through_pool, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

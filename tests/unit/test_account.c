/*
 * Unit tests of accounts and sessions on a real SQLite database in a temporary directory:
 * sign-up (new and already registered addresses), verification, login, password reset,
 * one-time login links, preferences, phone numbers verified by an SMS code (expiry, bounded
 * attempts, a new number clearing it), and session lifetimes (idle and absolute), with the
 * messages they queue read back from the outbox.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/account.h"
#include "core/admin.h"
#include "core/core.h"
#include "core/phone_verify.h"
#include "core/session.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "web/web.h"

#define BASE "https://ville-test.fr"
#define PASSWORD "une phrase de passe assez longue"
#define PASSWORD2 "une autre phrase, tout aussi longue"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *store;
    core *core;
    store_tenant tenant;
    arena a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/guichet-account-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    error err;
    f->store = store_open(f->path, &err);
    assert_non_null(f->store);
    assert_int_equal(f->store->ops->migrate(f->store, &err), 0);
    /* The portal's own paths, as the server gives them: the links are checked below. */
    f->core = core_open_config(f->store, &(core_config){.links = web_portal_links}, &err);
    assert_non_null(f->core);
    f->tenant = (store_tenant){.slug = "ville-test",
                               .name = "Ville Test",
                               .hosts = "ville-test.fr",
                               .timezone = "Europe/Paris",
                               .contact = "mairie"};
    assert_int_equal(admin_tenant_upsert(f->core, &f->tenant, &f->tenant.id, &err), 0);
    arena_init(&f->a, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->a);
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

/* The outbox rows of the tenant, oldest first. */
static size_t outbox(fixture *f, store_outbox **rows)
{
    size_t n = 0;
    error err;
    assert_int_equal(f->store->ops->outbox.list(f->store, f->tenant.id, 0, &f->a, rows, &n, &err),
                     0);
    return n;
}

static size_t count_template(fixture *f, const char *tmpl)
{
    store_outbox *rows;
    size_t n = outbox(f, &rows), c = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, tmpl) == 0)
            c++;
    return c;
}

/* The token of the link in the newest message of template tmpl (in the fixture's arena). */
static const char *last_token(fixture *f, const char *tmpl, const char *expect_path)
{
    store_outbox *rows;
    size_t n = outbox(f, &rows);
    const char *token = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].template, tmpl) != 0)
            continue;
        json_error_t je;
        json_t *p = json_loads(rows[i].params, 0, &je);
        assert_non_null(p);
        const char *link = json_string_value(json_object_get(p, "link"));
        assert_non_null(link);
        assert_non_null(strstr(link, BASE));
        assert_non_null(strstr(link, expect_path));
        const char *j = strstr(link, "jeton=");
        token = j ? arena_strdup(&f->a, j + 6) : NULL;
        json_decref(p);
    }
    assert_non_null(token);
    return token;
}

static void signup(fixture *f, const char *email)
{
    error err;
    assert_int_equal(account_signup(f->core, &f->tenant, email, PASSWORD, "Jeanne Martin", LANG_FR,
                                    BASE, NULL, NULL, &err),
                     0);
}

/* Signs up and verifies email; returns the account id. */
static int64_t verified_account(fixture *f, const char *email)
{
    signup(f, email);
    int64_t id = 0;
    error err;
    assert_int_equal(account_verify(f->core, f->tenant.id,
                                    last_token(f, "account_verify", "/compte/verifier?jeton="),
                                    NULL, &id, NULL, NULL, &err),
                     0);
    assert_true(id > 0);
    return id;
}

typedef struct raw_write {
    store_session se;
    store_token tok;
    int64_t touch_id, touch_at;
    int64_t id;
} raw_write;

static int apply_session_insert(store *s, void *arg, error *err)
{
    raw_write *w = arg;
    return s->ops->sessions.tx_insert(s, &w->se, &w->id, err);
}

static int apply_session_touch(store *s, void *arg, error *err)
{
    raw_write *w = arg;
    return s->ops->sessions.tx_touch(s, w->touch_id, w->touch_at, err);
}

static int apply_token_insert(store *s, void *arg, error *err)
{
    raw_write *w = arg;
    return s->ops->tokens.tx_insert(s, &w->tok, err);
}

/* ---- tests ---- */

static void test_signup_creates_unverified(void **state)
{
    fixture *f = *state;
    signup(f, "  Jeanne.Martin@Exemple.FR ");
    store_account acc;
    int found = 0;
    error err;
    assert_int_equal(f->store->ops->accounts.find_email(f->store, f->tenant.id,
                                                       "jeanne.martin@exemple.fr", &f->a, &acc,
                                                       &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_string_equal(acc.email, "jeanne.martin@exemple.fr");
    assert_int_equal(acc.email_verified_at, 0);
    assert_string_equal(acc.display_name, "Jeanne Martin");
    assert_non_null(strstr(acc.password_hash, "$argon2id$"));
    assert_null(strstr(acc.password_hash, PASSWORD));

    store_outbox *rows;
    assert_int_equal(outbox(f, &rows), 1);
    assert_string_equal(rows[0].template, "account_verify");
    assert_string_equal(rows[0].recipient, "jeanne.martin@exemple.fr");
    assert_string_equal(rows[0].channel, "email");
    assert_string_equal(rows[0].lang, "fr");
    assert_non_null(strstr(rows[0].params, "Jeanne Martin"));
    const char *token = last_token(f, "account_verify", "/compte/verifier?jeton=");
    assert_true(strlen(token) >= 43);
}

static void test_signup_duplicate(void **state)
{
    fixture *f = *state;
    signup(f, "paul@exemple.fr");
    error err;
    /* Same address, other case, other password and name: the same answer, nothing new. */
    assert_int_equal(account_signup(f->core, &f->tenant, "PAUL@exemple.fr", PASSWORD2, "Intrus",
                                    LANG_EN, BASE, NULL, NULL, &err),
                     0);
    store_account acc;
    int found = 0;
    assert_int_equal(f->store->ops->accounts.find_email(f->store, f->tenant.id, "paul@exemple.fr",
                                                       &f->a, &acc, &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_string_equal(acc.display_name, "Jeanne Martin");
    assert_int_equal(count_template(f, "account_verify"), 1);
    assert_int_equal(count_template(f, "account_exists"), 1);
    store_outbox *rows;
    size_t n = outbox(f, &rows);
    assert_int_equal(n, 2);
    assert_string_equal(rows[1].recipient, "paul@exemple.fr");
    assert_non_null(strstr(rows[1].params, "/compte/connexion"));
    /* The original password still works, the intruder's does not. */
    account_verify(f->core, f->tenant.id, last_token(f, "account_verify", "jeton="), NULL, NULL,
                   NULL, NULL, &err);
    assert_int_equal(account_login(f->core, f->tenant.id, "paul@exemple.fr", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     0);
    assert_int_equal(account_login(f->core, f->tenant.id, "paul@exemple.fr", PASSWORD2, &f->a, &acc,
                                   NULL, NULL, &err),
                     -1);
}

static void test_signup_invalid(void **state)
{
    fixture *f = *state;
    error err;
    static const struct {
        const char *email, *password, *name, *arg;
    } cases[] = {
        {"pas-une-adresse", PASSWORD, "Jeanne", "email"},
        {"a@b", PASSWORD, "Jeanne", "email"},
        {"jeanne@exemple..fr", PASSWORD, "Jeanne", "email"},
        {"jeanne@-exemple.fr", PASSWORD, "Jeanne", "email"},
        {"jea nne@exemple.fr", PASSWORD, "Jeanne", "email"},
        {"jeanne@exemple.fr", "court", "Jeanne", "password"},
        {"jeanne@exemple.fr", "onze carac", "Jeanne", "password"},
        {"jeanne@exemple.fr", "MotDePasse123", "Jeanne", "password"},
        {"jeanne@exemple.fr", "aaaaaaaaaaaaaaaaaaaa", "Jeanne", "password"},
        {"jeanne@exemple.fr", PASSWORD, "", "display_name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        error_clear(&err);
        assert_int_equal(account_signup(f->core, &f->tenant, cases[i].email, cases[i].password,
                                        cases[i].name, LANG_FR, BASE, NULL, NULL, &err),
                         -1);
        assert_int_equal(err.code, ERR_INVALID_ARG);
        assert_string_equal(err.arg, cases[i].arg);
    }
    char long_pw[300];
    memset(long_pw, 'x', sizeof long_pw - 2);
    long_pw[0] = 'y';
    long_pw[sizeof long_pw - 2] = 'z';
    long_pw[sizeof long_pw - 1] = '\0';
    assert_int_equal(account_signup(f->core, &f->tenant, "jeanne@exemple.fr", long_pw, "Jeanne",
                                    LANG_FR, BASE, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "password");
    /* 12 characters of accented text is 12 characters, even in more bytes. */
    assert_int_equal(account_signup(f->core, &f->tenant, "jeanne@exemple.fr", "éléphantôme!",
                                    "Jeanne", LANG_FR, BASE, NULL, NULL, &err),
                     0);
    store_outbox *rows;
    assert_int_equal(outbox(f, &rows), 1);
}

static void test_verify_once(void **state)
{
    fixture *f = *state;
    signup(f, "lea@exemple.fr");
    const char *token = last_token(f, "account_verify", "/compte/verifier?jeton=");
    int64_t id = 0;
    error err;
    assert_int_equal(account_verify(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), 0);
    store_account acc;
    assert_int_equal(account_get(f->core, f->tenant.id, id, &f->a, &acc, &err), 0);
    assert_true(acc.email_verified_at > 0);
    assert_string_equal(acc.email, "lea@exemple.fr");
    /* Used once: a second use fails, as do forged, empty and other tenants' tokens. */
    assert_int_equal(account_verify(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "token"); /* used: told apart from unknown */
    assert_int_equal(account_verify(f->core, f->tenant.id,
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                    "AAAAAAA",
                                    NULL, &id, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    assert_int_equal(account_verify(f->core, f->tenant.id, "", NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(account_verify(f->core, f->tenant.id, NULL, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(account_verify(f->core, f->tenant.id, "'; DROP TABLE accounts; --", NULL, &id,
                                    NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* A verification token is not a login token. */
    signup(f, "max@exemple.fr");
    token = last_token(f, "account_verify", "jeton=");
    assert_int_equal(
        account_consume_login(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(
        account_verify(f->core, f->tenant.id + 1000, token, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(account_verify(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), 0);
}

static void test_login(void **state)
{
    fixture *f = *state;
    signup(f, "zoe@exemple.fr");
    store_account acc;
    error err;
    /* Right password, address not verified yet. */
    assert_int_equal(account_login(f->core, f->tenant.id, "zoe@exemple.fr", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_FORBIDDEN);
    assert_int_equal(account_verify(f->core, f->tenant.id,
                                    last_token(f, "account_verify", "jeton="), NULL, NULL, NULL,
                                    NULL, &err),
                     0);
    assert_int_equal(account_login(f->core, f->tenant.id, "Zoe@Exemple.fr", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     0);
    assert_string_equal(acc.email, "zoe@exemple.fr");
    assert_true(acc.id > 0);
    /* Wrong password and unknown address: the same error. */
    assert_int_equal(account_login(f->core, f->tenant.id, "zoe@exemple.fr", PASSWORD2, &f->a, &acc,
                                   NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(account_login(f->core, f->tenant.id, "nobody@exemple.fr", PASSWORD, &f->a,
                                   &acc, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(
        account_login(f->core, f->tenant.id, "zoe@exemple.fr", "", &f->a, &acc, NULL, NULL, &err),
        -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(account_login(f->core, f->tenant.id, "n'importe quoi", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* Accounts belong to their tenant. */
    assert_int_equal(account_login(f->core, f->tenant.id + 1000, "zoe@exemple.fr", PASSWORD, &f->a,
                                   &acc, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
}

static void test_reset_flow(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "remi@exemple.fr");
    char session[SESSION_TOKEN_LEN];
    error err;
    assert_int_equal(session_create(f->core, f->tenant.id, id, session, &err), 0);
    store_session se;
    store_account acc;
    assert_int_equal(session_lookup(f->core, f->tenant.id, session, &f->a, &se, &acc, &err), 0);

    /* Unknown addresses: success, and nothing queued. */
    size_t before = count_template(f, "account_reset");
    assert_int_equal(account_send_link(f->core, &f->tenant, "inconnu@exemple.fr", "reset", LANG_FR,
                                       BASE, NULL, NULL, &err),
                     0);
    assert_int_equal(count_template(f, "account_reset"), before);
    assert_int_equal(account_send_link(f->core, &f->tenant, "REMI@exemple.fr", "reset", LANG_FR,
                                       BASE, NULL, NULL, &err),
                     0);
    assert_int_equal(count_template(f, "account_reset"), before + 1);
    const char *token = last_token(f, "account_reset", "/compte/nouveau-mot-de-passe?jeton=");

    /* A weak password is refused before the token is spent. */
    int64_t got = 0;
    assert_int_equal(account_reset_password(f->core, f->tenant.id, token, "trop court", NULL, &got,
                                            NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "password");
    assert_int_equal(account_reset_password(f->core, f->tenant.id, token, PASSWORD2, NULL, &got,
                                            NULL, NULL, &err),
                     0);
    assert_int_equal(got, id);
    /* Every session ended; the old password is dead, the new one works. */
    assert_int_equal(session_lookup(f->core, f->tenant.id, session, &f->a, &se, &acc, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(account_login(f->core, f->tenant.id, "remi@exemple.fr", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     -1);
    assert_int_equal(account_login(f->core, f->tenant.id, "remi@exemple.fr", PASSWORD2, &f->a, &acc,
                                   NULL, NULL, &err),
                     0);
    /* Single use. */
    assert_int_equal(account_reset_password(f->core, f->tenant.id, token,
                                            "encore un autre mot de passe", NULL, &got, NULL, NULL,
                                            &err),
                     -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "token"); /* used: told apart from unknown */
    /* Invalid addresses are the caller's mistake, said as such. */
    assert_int_equal(account_send_link(f->core, &f->tenant, "pas une adresse", "reset", LANG_FR,
                                       BASE, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
}

static void test_login_link(void **state)
{
    fixture *f = *state;
    /* A login link also proves the address of an unverified account. */
    signup(f, "ines@exemple.fr");
    error err;
    assert_int_equal(account_send_link(f->core, &f->tenant, "ines@exemple.fr", "login", LANG_EN,
                                       BASE, NULL, NULL, &err),
                     0);
    const char *token = last_token(f, "account_login", "/compte/lien?jeton=");
    int64_t id = 0;
    assert_int_equal(
        account_consume_login(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), 0);
    store_account acc;
    assert_int_equal(account_get(f->core, f->tenant.id, id, &f->a, &acc, &err), 0);
    assert_true(acc.email_verified_at > 0);
    assert_int_equal(
        account_consume_login(f->core, f->tenant.id, token, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_string_equal(err.arg, "token"); /* used: told apart from unknown */
    /* A login token is not a reset token. */
    assert_int_equal(account_send_link(f->core, &f->tenant, "ines@exemple.fr", "login", LANG_EN,
                                       BASE, NULL, NULL, &err),
                     0);
    token = last_token(f, "account_login", "jeton=");
    assert_int_equal(account_reset_password(f->core, f->tenant.id, token, PASSWORD2, NULL, NULL,
                                            NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);

    /* Expired: a token written directly with its expiry in the past. */
    char secret[64], hash[65];
    core_new_secret("", secret, sizeof secret);
    core_hash_secret(f->core, secret, hash);
    int64_t now = time_now();
    raw_write w = {.tok = {.tenant_id = f->tenant.id,
                           .account_id = id,
                           .purpose = "login",
                           .token_hash = hash,
                           .created_at = now - ACCOUNT_TOKEN_TTL_LOGIN - 10,
                           .expires_at = now - 10}};
    assert_int_equal(store_write_sync(f->store, apply_token_insert, &w, &err), 0);
    assert_int_equal(
        account_consume_login(f->core, f->tenant.id, secret, NULL, &id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    /* The same token, still valid, works: the expiry is what refused it. */
    core_new_secret("", secret, sizeof secret);
    core_hash_secret(f->core, secret, hash);
    w.tok.expires_at = now + 60;
    assert_int_equal(store_write_sync(f->store, apply_token_insert, &w, &err), 0);
    assert_int_equal(
        account_consume_login(f->core, f->tenant.id, secret, NULL, &id, NULL, NULL, &err), 0);
    /* Links use the account's language when it has one, and nothing goes to strangers. */
    size_t before = count_template(f, "account_login");
    assert_int_equal(account_send_link(f->core, &f->tenant, "personne@exemple.fr", "login", LANG_FR,
                                       BASE, NULL, NULL, &err),
                     0);
    assert_int_equal(count_template(f, "account_login"), before);
}

static void test_sessions(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "sam@exemple.fr");
    char token[SESSION_TOKEN_LEN], other[SESSION_TOKEN_LEN];
    error err;
    assert_int_equal(session_create(f->core, f->tenant.id, id, token, &err), 0);
    assert_int_equal(session_create(f->core, f->tenant.id, id, other, &err), 0);
    assert_string_not_equal(token, other);
    store_session se;
    store_account acc;
    assert_int_equal(session_lookup(f->core, f->tenant.id, token, &f->a, &se, &acc, &err), 0);
    assert_int_equal(se.account_id, id);
    assert_string_equal(acc.email, "sam@exemple.fr");
    assert_null(strstr(se.token_hash, token)); /* only the hash is stored */
    assert_int_equal(se.expires_at - se.created_at, SESSION_MAX_SECONDS);
    /* Other tenants and garbage. */
    assert_int_equal(session_lookup(f->core, f->tenant.id + 1000, token, &f->a, &se, &acc, &err),
                     -1);
    assert_int_equal(session_lookup(f->core, f->tenant.id, "x", &f->a, &se, &acc, &err), -1);
    assert_int_equal(session_lookup(f->core, f->tenant.id, "", &f->a, &se, &acc, &err), -1);
    assert_int_equal(session_lookup(f->core, f->tenant.id, NULL, &f->a, &se, &acc, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);

    /* Logout ends this session only. */
    assert_int_equal(session_destroy(f->core, f->tenant.id, token, NULL, NULL, &err), 0);
    assert_int_equal(session_lookup(f->core, f->tenant.id, token, &f->a, &se, &acc, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    assert_int_equal(session_lookup(f->core, f->tenant.id, other, &f->a, &se, &acc, &err), 0);
    assert_int_equal(session_destroy(f->core, f->tenant.id, "inconnu", NULL, NULL, &err), 0);

    /* Idle: last seen longer ago than the idle timeout. */
    int64_t now = time_now();
    raw_write w = {.touch_id = se.id, .touch_at = now - SESSION_IDLE_SECONDS - 5};
    assert_int_equal(store_write_sync(f->store, apply_session_touch, &w, &err), 0);
    assert_int_equal(session_lookup(f->core, f->tenant.id, other, &f->a, &se, &acc, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* ... and deleted, not merely refused. */
    char hash[65];
    int found = 1;
    core_hash_secret(f->core, other, hash);
    assert_int_equal(
        f->store->ops->sessions.find(f->store, f->tenant.id, hash, &f->a, &se, &found, &err), 0);
    assert_int_equal(found, 0);

    /* Absolute: used a minute ago, but past its end of life. */
    char secret[64];
    core_new_secret("", secret, sizeof secret);
    core_hash_secret(f->core, secret, hash);
    raw_write s = {.se = {.tenant_id = f->tenant.id,
                          .token_hash = hash,
                          .account_id = id,
                          .created_at = now - SESSION_MAX_SECONDS - 60,
                          .last_seen_at = now - 60,
                          .expires_at = now - 1}};
    assert_int_equal(store_write_sync(f->store, apply_session_insert, &s, &err), 0);
    assert_int_equal(session_lookup(f->core, f->tenant.id, secret, &f->a, &se, &acc, &err), -1);
    assert_int_equal(err.code, ERR_UNAUTHORIZED);
    /* The same row within its life is accepted, and an old last_seen_at is refreshed. */
    core_new_secret("", secret, sizeof secret);
    core_hash_secret(f->core, secret, hash);
    s.se.last_seen_at = now - SESSION_IDLE_SECONDS + 600;
    s.se.expires_at = now + 60;
    assert_int_equal(store_write_sync(f->store, apply_session_insert, &s, &err), 0);
    assert_int_equal(session_lookup(f->core, f->tenant.id, secret, &f->a, &se, &acc, &err), 0);
    assert_int_equal(
        f->store->ops->sessions.find(f->store, f->tenant.id, hash, &f->a, &se, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_true(se.last_seen_at >= now);
}

/* The code the newest phone_code SMS carries (in the fixture's arena). */
static const char *last_code(fixture *f)
{
    store_outbox *rows;
    size_t n = outbox(f, &rows);
    const char *code = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].template, "phone_code") != 0)
            continue;
        assert_string_equal(rows[i].channel, "sms");
        json_error_t je;
        json_t *p = json_loads(rows[i].params, 0, &je);
        assert_non_null(p);
        code = arena_strdup(&f->a, json_string_value(json_object_get(p, "code")));
        json_decref(p);
    }
    assert_non_null(code);
    assert_int_equal(strlen(code), PHONE_CODE_DIGITS);
    return code;
}

static void sql(fixture *f, const char *statement)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, statement, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static phone_verify_outcome check_code(fixture *f, int64_t id, const char *code)
{
    phone_verify_outcome o;
    error err;
    assert_int_equal(phone_verify_check(f->core, f->tenant.id, id, code, &o, NULL, NULL, &err), 0);
    return o;
}

static int64_t phone_verified_at(fixture *f, int64_t id)
{
    store_account acc;
    error err;
    assert_int_equal(account_get(f->core, f->tenant.id, id, &f->a, &acc, &err), 0);
    return acc.phone_verified_at;
}

static void test_phone_code_read(void **state)
{
    (void)state;
    char d[PHONE_CODE_DIGITS + 1];
    assert_true(phone_code_read("123456", d));
    assert_string_equal(d, "123456");
    assert_true(phone_code_read(" 123 456 ", d));
    assert_string_equal(d, "123456");
    assert_false(phone_code_read("12345", d));
    assert_false(phone_code_read("1234567", d));
    assert_false(phone_code_read("12a456", d));
    assert_false(phone_code_read("", d));
    assert_false(phone_code_read(NULL, d));
}

static void test_phone_verify(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "paul@exemple.fr");
    error err;
    /* No number yet. */
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_MISSING_ARG);
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "06 12 34 56 78", NULL,
                                          NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), 0);
    const char *code = last_code(f);
    /* Sent to the number, in E.164. */
    store_outbox *rows;
    size_t n = outbox(f, &rows);
    assert_string_equal(rows[n - 1].recipient, "+33612345678");
    const char *wrong = strcmp(code, "000000") == 0 ? "111111" : "000000";
    assert_int_equal(phone_verify_check(f->core, f->tenant.id, id, "12x",
                                        &(phone_verify_outcome){0}, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_int_equal(check_code(f, id, wrong), PHONE_CODE_WRONG);
    assert_int_equal(phone_verified_at(f, id), 0);
    assert_int_equal(check_code(f, id, code), PHONE_VERIFIED);
    assert_true(phone_verified_at(f, id) > 0);
    /* Verified: no new code; the same number saved again keeps it, another clears it. */
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), -1);
    assert_int_equal(err.code, ERR_CONFLICT);
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "+33612345678", NULL,
                                          NULL, NULL, NULL, &err),
                     0);
    assert_true(phone_verified_at(f, id) > 0);
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "06 12 34 56 79", NULL,
                                          NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(phone_verified_at(f, id), 0);

    /* A code past its ten minutes is no code. */
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), 0);
    code = last_code(f);
    sql(f, "UPDATE account_tokens SET expires_at = expires_at - 601 WHERE purpose = 'phone'");
    assert_int_equal(check_code(f, id, code), PHONE_CODE_WRONG);
    assert_int_equal(phone_verified_at(f, id), 0);

    /* PHONE_CODE_ATTEMPTS wrong entries spend the code, the right one included after. */
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), 0);
    code = last_code(f);
    wrong = strcmp(code, "000000") == 0 ? "111111" : "000000";
    for (int i = 1; i < PHONE_CODE_ATTEMPTS; i++)
        assert_int_equal(check_code(f, id, wrong), PHONE_CODE_WRONG);
    assert_int_equal(check_code(f, id, wrong), PHONE_CODE_SPENT);
    assert_int_equal(check_code(f, id, code), PHONE_CODE_SPENT);
    assert_int_equal(phone_verified_at(f, id), 0);
    /* A new code starts the count again. */
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), 0);
    assert_int_equal(check_code(f, id, last_code(f)), PHONE_VERIFIED);
    /* A code sent for another number does not verify this one. */
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "06 12 34 56 70", NULL,
                                          NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(phone_verify_send(f->core, f->tenant.id, id, NULL, NULL, &err), 0);
    code = last_code(f);
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "06 12 34 56 71", NULL,
                                          NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(check_code(f, id, code), PHONE_CODE_WRONG);
}

static void test_prefs(void **state)
{
    fixture *f = *state;
    int64_t id = verified_account(f, "eva@exemple.fr");
    error err;
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, "Eva Durand", "06 12 34 56 78",
                                          "sms", "en", NULL, NULL, &err),
                     0);
    store_account acc;
    assert_int_equal(account_get(f->core, f->tenant.id, id, &f->a, &acc, &err), 0);
    assert_string_equal(acc.display_name, "Eva Durand");
    assert_string_equal(acc.phone, "+33612345678"); /* stored in E.164 */
    assert_string_equal(acc.notify, "sms");
    assert_string_equal(acc.lang, "en");
    assert_true(acc.email_verified_at > 0);
    /* NULL keeps a field; the password is untouched. */
    assert_int_equal(
        account_update_prefs(f->core, f->tenant.id, id, NULL, NULL, "none", NULL, NULL, NULL, &err),
        0);
    assert_int_equal(account_get(f->core, f->tenant.id, id, &f->a, &acc, &err), 0);
    assert_string_equal(acc.display_name, "Eva Durand");
    assert_string_equal(acc.notify, "none");
    assert_string_equal(acc.phone, "+33612345678");
    assert_int_equal(account_login(f->core, f->tenant.id, "eva@exemple.fr", PASSWORD, &f->a, &acc,
                                   NULL, NULL, &err),
                     0);
    /* Refusals. */
    assert_int_equal(
        account_update_prefs(f->core, f->tenant.id, id, NULL, "", "sms", NULL, NULL, NULL, &err),
        -1);
    assert_string_equal(err.arg, "phone");
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, "appelez-moi", NULL,
                                          NULL, NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "phone");
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id, NULL, NULL, "pigeon", NULL,
                                          NULL, NULL, &err),
                     -1);
    assert_string_equal(err.arg, "notify");
    assert_int_equal(
        account_update_prefs(f->core, f->tenant.id, id, NULL, NULL, NULL, "de", NULL, NULL, &err),
        -1);
    assert_string_equal(err.arg, "lang");
    assert_int_equal(
        account_update_prefs(f->core, f->tenant.id, id, "", NULL, NULL, NULL, NULL, NULL, &err),
        -1);
    assert_string_equal(err.arg, "display_name");
    assert_int_equal(account_update_prefs(f->core, f->tenant.id, id + 99, "X", NULL, NULL, NULL,
                                          NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
}

/* Lookups and rate limits see one address however it is typed (issue 9). */
static void test_email_fold(void **state)
{
    (void)state;
    char out[ACCOUNT_EMAIL_MAX + 1];
    static const char *const same[] = {"alice@example.org", " alice@example.org",
                                       "ALICE@Example.ORG\t", "\t\r\n Alice@example.org \f\v"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(account_email_fold(same[i], out), 0);
        assert_string_equal(out, "alice@example.org");
    }
    assert_int_equal(account_email_fold("a b@x", out), 0);
    assert_string_equal(out, "a b@x"); /* inner spaces are the checks' business */
    assert_int_equal(account_email_fold("ÉLODIE@x", out), 0);
    assert_string_equal(out, "Élodie@x"); /* ASCII only: the checks refuse the rest */
    assert_int_equal(account_email_fold(NULL, out), 0);
    assert_string_equal(out, "");
    char longer[ACCOUNT_EMAIL_MAX + 10];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(account_email_fold(longer, out), -1);
    assert_int_equal(strlen(out), ACCOUNT_EMAIL_MAX);
    assert_int_equal(out[0], 'a');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_fold),
        cmocka_unit_test(test_phone_code_read),
        cmocka_unit_test_setup_teardown(test_phone_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signup_creates_unverified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signup_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signup_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

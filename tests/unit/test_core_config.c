/*
 * test_core_config — what core is told at open (core_config) on a real SQLite database in a
 * temporary directory: the portal's links its e-mails carry come from the configuration
 * (none of them is core's own), the uploads directory is handed to the attachment module
 * through core, and the outbox operations the dispatchers use (outbox_due, outbox_record,
 * waiting or with a callback) read and write through core.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/account.h"
#include "core/admin.h"
#include "core/attachment.h"
#include "core/core.h"
#include "core/outbox.h"
#include "store/store.h"
#include "test_db.h"
#include "util/timeutil.h"

#define BASE "https://ville-test.fr"

typedef struct fixture {
    test_db db;
    store_tenant tenant;
    arena a;
} fixture;

/* Links no portal has: what the e-mails hold must come from here. */
static const core_links test_links = {
    .tracking = "/t/",
    .tracking_token = "?k=",
    .verify = "/v?k=",
    .login = "/in",
    .reset = "/r?k=",
    .login_link = "/l?k=",
};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(test_db_open(&f->db, "corecfg", &(core_config){.links = test_links}), 0);
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

/* The params of the only outbox row of template tmpl (in f->a). */
static const char *params_of(fixture *f, const char *tmpl)
{
    store_outbox *rows = NULL;
    size_t n = 0;
    error err;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant.id, 0, &f->a, &rows, &n, &err), 0);
    const char *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].template, tmpl) == 0) {
            assert_null(found);
            found = rows[i].params;
        }
    assert_non_null(found);
    return found;
}

static void test_links_come_from_the_configuration(void **state)
{
    fixture *f = *state;
    error err;
    assert_int_equal(account_signup(f->db.core, &f->tenant, "camille@example.org",
                                    "une phrase de passe assez longue", "Camille", LANG_FR, BASE,
                                    NULL, NULL, &err),
                     0);
    const char *p = params_of(f, "account_verify");
    assert_non_null(strstr(p, BASE "/v?k="));
    assert_null(strstr(p, "/compte/"));
    assert_int_equal(account_send_link(f->db.core, &f->tenant, "camille@example.org", "reset",
                                       LANG_FR, BASE, NULL, NULL, &err),
                     0);
    assert_non_null(strstr(params_of(f, "account_reset"), BASE "/r?k="));
    assert_int_equal(account_send_link(f->db.core, &f->tenant, "camille@example.org", "login",
                                       LANG_FR, BASE, NULL, NULL, &err),
                     0);
    assert_non_null(strstr(params_of(f, "account_login"), BASE "/l?k="));
    /* Core keeps its own copies. */
    const core_links *l = core_links_get(f->db.core);
    assert_string_equal(l->tracking, "/t/");
    assert_ptr_not_equal(l->tracking, test_links.tracking);
}

static void test_uploads_dir_through_core(void **state)
{
    fixture *f = *state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/files/deeper", f->db.dir);
    error err;
    core *c = core_open_config(f->db.store, &(core_config){.uploads_dir = dir}, &err);
    assert_non_null(c);
    assert_string_equal(core_uploads(c)->path, dir);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    core_close(c);

    /* A directory that cannot be made: core does not open, and says which setting. */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/t.db/under-a-file", f->db.dir);
    error_clear(&err);
    assert_null(core_open_config(f->db.store, &(core_config){.uploads_dir = bad}, &err));
    assert_string_equal(err.arg, "uploads-dir");
    /* Without one, core has none: a file cannot be prepared, nothing is written anywhere. */
    c = core_open_config(f->db.store, &(core_config){0}, &err);
    assert_non_null(c);
    assert_string_equal(core_uploads(c)->path, "");
    store_attachment at;
    attachment_upload up = {"photo", "x.pdf", "%PDF-1.4", 8};
    assert_int_equal(attachment_prepare(core_uploads(c), &up, NULL, &at, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    core_close(c);
}

typedef struct cb_state {
    int calls, rc;
} cb_state;

static void on_done(void *ctx, int rc, const error *err)
{
    cb_state *s = ctx;
    (void)err;
    s->calls++;
    s->rc = rc;
}

static void test_outbox_through_core(void **state)
{
    fixture *f = *state;
    error err;
    json_t *params = json_pack("{s:s}", "link", "https://x.test/l");
    for (int i = 0; i < 3; i++)
        assert_int_equal(outbox_add(f->db.core, f->tenant.id, "email", "a@example.org",
                                    "account_login", params, "fr", 0, &err),
                         0);
    json_decref(params);
    int64_t now = time_now();
    store_outbox *due = NULL;
    size_t n = 0;
    assert_int_equal(outbox_due(f->db.core, "email", now, 10, &f->a, &due, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(outbox_due(f->db.core, "email", now, 2, &f->a, &due, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(outbox_due(f->db.core, "email", now, 10, &f->a, &due, &n, &err), 0);
    int64_t a = due[0].id, b = due[1].id, c = due[2].id;

    /* Sent, waiting for the commit: never due again, params cleared. */
    outbox_outcome sent = {.id = a, .sent = 1, .when = now};
    assert_int_equal(outbox_record(f->db.core, &sent, NULL, NULL, &err), 0);
    /* Retried later: not due now, due at its time; the error text is kept. */
    char why[] = "smtp 451: try later";
    outbox_outcome retry = {
        .id = b, .attempts = 1, .when = now, .next_attempt_at = now + 60, .last_error = why};
    assert_int_equal(outbox_record(f->db.core, &retry, NULL, NULL, &err), 0);
    /* Given up, with the callback form. */
    cb_state cs = {0};
    outbox_outcome given_up = {.id = c,
                               .attempts = 24,
                               .when = now,
                               .failed = 1,
                               .next_attempt_at = now + 60,
                               .last_error = "smtp 550"};
    assert_int_equal(outbox_record(f->db.core, &given_up, on_done, &cs, &err), 0);
    assert_int_equal(cs.calls, 1); /* no writer thread: run at once */
    assert_int_equal(cs.rc, 0);

    assert_int_equal(outbox_due(f->db.core, "email", now, 10, &f->a, &due, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(outbox_due(f->db.core, "email", now + 61, 10, &f->a, &due, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(due[0].id, b);
    assert_int_equal(due[0].attempts, 1);
    assert_string_equal(due[0].last_error, "smtp 451: try later");

    store_outbox *rows = NULL;
    assert_int_equal(
        f->db.store->ops->outbox.list(f->db.store, f->tenant.id, 0, &f->a, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].id == a) {
            assert_true(rows[i].sent_at > 0);
            assert_true(!rows[i].params || strstr(rows[i].params, "x.test") == NULL);
        } else if (rows[i].id == c) {
            assert_int_equal(rows[i].failed, 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_links_come_from_the_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploads_dir_through_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_through_core, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

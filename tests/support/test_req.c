/*
 * test_req — the request helpers of the unit tests (see test_req.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_req.h"

#include <string.h>

#include "store/store.h"

request_created test_req_create(core *c, const request_input *in)
{
    assert_non_null(in->procedure);
    request_created out;
    error err;
    assert_int_equal(request_create(c, in, &out, NULL, NULL, &err), 0);
    return out;
}

store_request test_req_get(core *c, const cat_tenant *t, const char *reference, arena *a)
{
    store_request r;
    error err;
    assert_int_equal(request_get(c, t, reference, a, &r, &err), 0);
    return r;
}

void test_req_set_status(core *c, const cat_tenant *t, const char *reference, const char *status,
                         const char *note)
{
    request_change ch = {.status = status, .note = note, .priority = -1, .ch = CHANNEL_WEB};
    error err;
    assert_int_equal(request_update(c, t, reference, &ch, NULL, NULL, &err), 0);
}

jobs_report test_req_run(core *c, int64_t now)
{
    jobs_report rep = {0};
    error err;
    assert_int_equal(jobs_run_due(c, now, 0, NULL, NULL, &rep, &err), 0);
    return rep;
}

size_t test_req_jobs_of(core *c, int64_t tenant_id, int64_t request_id, const char *kind, arena *a,
                        store_job_row **out)
{
    store_job_row *all = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(jobs_list(c, tenant_id, kind, 1000, a, &all, &n, &err), 0);
    *out = arena_alloc(a, sizeof **out * (n ? n : 1));
    assert_non_null(*out);
    /* jobs_list gives the newest first. */
    for (size_t i = n; i-- > 0;)
        if (all[i].request_id == request_id)
            (*out)[k++] = all[i];
    return k;
}

size_t test_req_mails(store *s, int64_t tenant_id, int64_t request_id, const char *template_name,
                      arena *a, store_outbox **out)
{
    store_outbox *rows = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(s->ops->outbox.list(s, tenant_id, request_id, a, &rows, &n, &err), 0);
    if (out)
        *out = rows;
    for (size_t i = 0; i < n; i++)
        k += !template_name || strcmp(rows[i].template, template_name) == 0;
    return k;
}

size_t test_req_events(core *c, const cat_tenant *t, int64_t request_id, const char *kind,
                       const char *body, int *public_out, arena *a)
{
    store_event *ev = NULL;
    size_t n = 0, k = 0;
    error err;
    assert_int_equal(request_timeline(c, t, request_id, 0, a, &ev, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, kind) == 0 && (!body || (ev[i].body && !strcmp(ev[i].body, body)))) {
            k++;
            if (public_out)
                *public_out = ev[i].is_public;
        }
    return k;
}

void test_sql_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

int64_t test_sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/*
 * test_req — what the unit tests of a request's life share on top of test_db: filing one,
 * reading it back, moving it, running the jobs due with a controllable clock, and counting
 * its jobs, e-mails and timeline events. Each helper asserts (cmocka) that its call
 * succeeded, so a test says only what it checks; it links with the unit tests alone.
 */
#ifndef GUICHET_TESTS_TEST_REQ_H
#define GUICHET_TESTS_TEST_REQ_H

#include <stddef.h>
#include <sqlite3.h>
#include <stdint.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "core/jobs.h"
#include "core/request.h"
#include "store/records.h"
#include "util/arena.h"

/* request_create(in) without a callback, asserted to succeed. */
request_created test_req_create(core *c, const request_input *in);
/* Request `reference` of t (strings in a). */
store_request test_req_get(core *c, const cat_tenant *t, const char *reference, arena *a);
/* Moves `reference` to status on the web (note: its public comment, may be NULL). */
void test_req_set_status(core *c, const cat_tenant *t, const char *reference, const char *status,
                         const char *note);
/* jobs_run_due at now: what it did. */
jobs_report test_req_run(core *c, int64_t now);
/* request_id's jobs of kind, oldest first, into *out (in a); their number. */
size_t test_req_jobs_of(core *c, int64_t tenant_id, int64_t request_id, const char *kind, arena *a,
                        store_job_row **out);
/* request_id's outbox rows (in a, into *out when out is not NULL): how many there are of
 * template_name, or of every template when it is NULL. */
size_t test_req_mails(store *s, int64_t tenant_id, int64_t request_id, const char *template_name,
                      arena *a, store_outbox **out);
/* How many events of kind (and body, when not NULL) the timeline of request_id has;
 * *public_out (may be NULL) whether the last of them is public. */
size_t test_req_events(core *c, const cat_tenant *t, int64_t request_id, const char *kind,
                       const char *body, int *public_out, arena *a);

/* Runs sql (any number of statements) on db; fails the test with SQLite's message. */
void test_sql_exec(sqlite3 *db, const char *sql);

/* The first column of sql's first row as an integer; fails the test when there is no row. */
int64_t test_sql_int(sqlite3 *db, const char *sql);

#endif

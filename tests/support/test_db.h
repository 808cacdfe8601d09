/*
 * test_db — the database every core unit test starts from: a temporary directory holding a
 * migrated SQLite store and core opened over it, removed again at the end. One fixture so
 * that each test file says only what is particular to it (its procedures, its agents).
 */
#ifndef GUICHET_TESTS_TEST_DB_H
#define GUICHET_TESTS_TEST_DB_H

#include <stdint.h>

#include "core/agent.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "store/store.h"

typedef struct test_db {
    char dir[64];  /* /tmp/guichet-NAME-XXXXXX */
    char path[96]; /* dir/t.db */
    store *store;
    core *core;
} test_db;

/* Creates the directory (name in its name, for whoever finds one left behind), opens and
 * migrates the store, opens core with cfg (NULL: the defaults — the instance secret in the
 * database, no links, no uploads directory). 0, or -1 after saying why on stderr. */
int test_db_open(test_db *db, const char *name, const core_config *cfg);
/* Closes core and the store and removes the directory. */
void test_db_close(test_db *db);
/* The id of the shipped workflow `code` ("incident", "demarche", "question") of tenant_id, for
 * a procedure that names it; 0 when there is none. */
int64_t test_db_workflow_id(core *c, int64_t tenant_id, const char *code);
/* Creates an agent of tenant_id named by its e-mail, of role, in the departments
 * deps[0..n) (codes), and reads it back into *out (strings in a). 0, or -1 after saying why
 * on stderr. One helper so that the core tests that need agents do not each spell it. */
int test_db_add_agent(test_db *db, int64_t tenant_id, const char *email, agent_role role,
                      const char *const *deps, size_t n, arena *a, store_agent *out);
/* The collectivité most core tests work in: "ville-test" («Ville Test», host ville-test.fr,
 * Europe/Paris, contact "mairie"), its id in *tenant_id. 0, or -1 after saying why on
 * stderr. */
int test_db_add_tenant(test_db *db, int64_t *tenant_id);
/* An active incident procedure of tenant_id, code and name, in department_id (0: none), on
 * the shipped workflow "incident". 0, or -1 after saying why on stderr. */
int test_db_add_incident(test_db *db, int64_t tenant_id, const char *code, const char *name,
                         int64_t department_id);

/* The fixture of the core tests that need nothing else: a test_db, the collectivité
 * "ville-test" in it (test_db_add_tenant), an arena for what the test reads, and the
 * catalogue once the test's own procedures are written (test_town_read). */
typedef struct test_town {
    test_db db;
    int64_t tenant_id;
    arena a;
    const catalogue *cat; /* NULL until test_town_read */
    const cat_tenant *t;  /* "ville-test" in cat */
} test_town;

/* Opens tt->db (name as test_db_open's, default configuration) with the collectivité, and
 * the arena. 0, or -1 after saying why on stderr. */
int test_town_open(test_town *tt, const char *name);
/* Reads the catalogue, with what was written since the opening, into tt->cat and tt->t.
 * 0, or -1 after saying why on stderr. */
int test_town_read(test_town *tt);
/* Releases the catalogue, frees the arena and closes the database. */
void test_town_close(test_town *tt);

#endif

/*
 * test_db — a migrated store and core in a temporary directory (see test_db.h).
 */
#include "test_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin.h"
#include "core/catalogue.h"

int test_db_open(test_db *db, const char *name, const core_config *cfg)
{
    memset(db, 0, sizeof *db);
    snprintf(db->dir, sizeof db->dir, "/tmp/guichet-%.20s-XXXXXX", name);
    if (!mkdtemp(db->dir)) {
        perror("test_db: mkdtemp");
        return -1;
    }
    snprintf(db->path, sizeof db->path, "%s/t.db", db->dir);
    error err;
    error_clear(&err);
    db->store = store_open(db->path, &err);
    if (!db->store || db->store->ops->migrate(db->store, &err) != 0 ||
        !(db->core = core_open_config(db->store, cfg, &err))) {
        fprintf(stderr, "test_db: %s\n", err.detail);
        test_db_close(db);
        return -1;
    }
    return 0;
}

void test_db_close(test_db *db)
{
    if (db->core)
        core_close(db->core);
    if (db->store)
        store_close(db->store);
    db->core = NULL;
    db->store = NULL;
    if (db->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", db->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_db: could not remove %s\n", db->dir);
        db->dir[0] = '\0';
    }
}

int64_t test_db_workflow_id(core *c, int64_t tenant_id, const char *code)
{
    const catalogue *cat = catalogue_acquire(c);
    const cat_workflow *wf = workflow_by_code(catalogue_tenant_by_id(cat, tenant_id), code);
    int64_t id = wf ? wf->rec.id : 0;
    catalogue_release(c, cat);
    return id;
}

int test_db_add_agent(test_db *db, int64_t tenant_id, const char *email, agent_role role,
                      const char *const *deps, size_t n, arena *a, store_agent *out)
{
    error err;
    error_clear(&err);
    int64_t id = 0;
    if (agent_create(db->core, tenant_id, email, email, role, deps, n, "un-mot-de-passe-solide",
                     &id, &err) != 0 ||
        agent_get(db->core, tenant_id, id, a, out, &err) != 0) {
        fprintf(stderr, "test_db: agent %s: %s\n", email, err.detail);
        return -1;
    }
    return 0;
}

int test_db_add_tenant(test_db *db, int64_t *tenant_id)
{
    store_tenant t = {.slug = "ville-test",
                      .name = "Ville Test",
                      .hosts = "ville-test.fr",
                      .timezone = "Europe/Paris",
                      .contact = "mairie"};
    error err;
    error_clear(&err);
    if (admin_tenant_upsert(db->core, &t, tenant_id, &err) != 0) {
        fprintf(stderr, "test_db: tenant: %s\n", err.detail);
        return -1;
    }
    return 0;
}

int test_db_add_incident(test_db *db, int64_t tenant_id, const char *code, const char *name,
                         int64_t department_id)
{
    store_procedure p = {.tenant_id = tenant_id,
                         .code = code,
                         .name = name,
                         .department_id = department_id,
                         .kind = PROCEDURE_INCIDENT,
                         .active = 1,
                         .workflow_id = test_db_workflow_id(db->core, tenant_id, "incident")};
    error err;
    error_clear(&err);
    if (admin_procedure_upsert(db->core, &p, NULL, &err) != 0) {
        fprintf(stderr, "test_db: procedure %s: %s\n", code, err.detail);
        return -1;
    }
    return 0;
}

int test_town_open(test_town *tt, const char *name)
{
    memset(tt, 0, sizeof *tt);
    arena_init(&tt->a, 0);
    if (test_db_open(&tt->db, name, NULL) != 0)
        return -1;
    return test_db_add_tenant(&tt->db, &tt->tenant_id);
}

int test_town_read(test_town *tt)
{
    tt->cat = catalogue_acquire(tt->db.core);
    tt->t = catalogue_tenant_by_id(tt->cat, tt->tenant_id);
    if (!tt->t) {
        fprintf(stderr, "test_db: the collectivité is not in the catalogue\n");
        return -1;
    }
    return 0;
}

void test_town_close(test_town *tt)
{
    if (tt->cat)
        catalogue_release(tt->db.core, tt->cat);
    tt->cat = NULL;
    tt->t = NULL;
    arena_free(&tt->a);
    test_db_close(&tt->db);
}

/*
 * sqlite_routing — the collectivités' routing rules (table routing_rules) and the department
 * their routing falls back to last (routing_defaults): the load the catalogue's snapshot is
 * built from, and the administration's writes.
 */
#include "store/sqlite/sq.h"

#include <string.h>

#define SQ_RULE_COLUMNS                                                                            \
    "id, tenant_id, position, name, active, procedure_id, field_code, field_value, area_mode, "    \
    "area_code, department_id, updated_at"

static int read_rule(sqlite3_stmt *st, arena *a, void *p)
{
    store_routing_rule *r = p;
    int oom = 0;
    r->id = sqlite3_column_int64(st, 0);
    r->tenant_id = sqlite3_column_int64(st, 1);
    r->position = sqlite3_column_int64(st, 2);
    r->name = store_sqlite_col_text(st, 3, a, &oom);
    r->active = sqlite3_column_int(st, 4);
    r->procedure_id = sqlite3_column_int64(st, 5);
    r->field_code = store_sqlite_col_text(st, 6, a, &oom);
    r->field_value = store_sqlite_col_text(st, 7, a, &oom);
    r->area_mode = store_sqlite_col_text(st, 8, a, &oom);
    r->area_code = store_sqlite_col_text(st, 9, a, &oom);
    r->department_id = sqlite3_column_int64(st, 10);
    r->updated_at = sqlite3_column_int64(st, 11);
    return oom ? -1 : 0;
}

static int read_default(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    store_routing_default *d = p;
    d->tenant_id = sqlite3_column_int64(st, 0);
    d->department_id = sqlite3_column_int64(st, 1);
    return 0;
}

static sq_stmt sq_rules_all =
    SQ_STMT("SELECT " SQ_RULE_COLUMNS " FROM routing_rules ORDER BY tenant_id, position, id");
static sq_stmt sq_defaults_all = SQ_STMT("SELECT tenant_id, department_id FROM routing_defaults "
                                         "WHERE department_id IS NOT NULL");

static int store_sqlite_routing_load(store *s, arena *a, store_routing_rule **rules,
                                     size_t *n_rules, store_routing_default **defaults,
                                     size_t *n_defaults, error *err)
{
    *rules = NULL;
    *defaults = NULL;
    *n_rules = *n_defaults = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rules_all, err);
    if (!st || store_sqlite_read_all(c, st, read_rule, a, sizeof **rules, (void **)rules, n_rules,
                                     "routing_load", err) != 0)
        return -1;
    st = store_sqlite_stmt(c, &sq_defaults_all, err);
    if (!st)
        return -1;
    return store_sqlite_read_all(c, st, read_default, a, sizeof **defaults, (void **)defaults,
                                 n_defaults, "routing_load", err);
}

/* The rule's columns but its id, tenant and position, bound from ?3 on. */
static void bind_rule(sqlite3_stmt *st, const store_routing_rule *r)
{
    store_sqlite_bind_text(st, 3, r->name);
    sqlite3_bind_int(st, 4, r->active ? 1 : 0);
    store_sqlite_bind_id(st, 5, r->procedure_id);
    store_sqlite_bind_text(st, 6, r->field_code);
    store_sqlite_bind_text(st, 7, r->field_value);
    store_sqlite_bind_text(st, 8, r->area_mode ? r->area_mode : "none");
    store_sqlite_bind_text(st, 9, r->area_code);
    store_sqlite_bind_id(st, 10, r->department_id);
    sqlite3_bind_int64(st, 11, store_sqlite_now_or(r->updated_at));
}

static sq_stmt sq_rule_insert = SQ_STMT(
    "INSERT INTO routing_rules (tenant_id, position, name, active, procedure_id, field_code, "
    "field_value, area_mode, area_code, department_id, updated_at) VALUES (?1, "
    "(SELECT coalesce(max(position), 0) + 1 FROM routing_rules WHERE tenant_id = ?1), ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id");

static int store_sqlite_tx_rule_insert(store *s, const store_routing_rule *r, int64_t *id_out,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rule_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->tenant_id);
    bind_rule(st, r);
    return store_sqlite_run_write(c, st, id_out, "routing_rule_insert", err);
}

static sq_stmt sq_rule_update =
    SQ_STMT("UPDATE routing_rules SET name = ?3, active = ?4, procedure_id = ?5, field_code = ?6, "
            "field_value = ?7, area_mode = ?8, area_code = ?9, department_id = ?10, updated_at = "
            "?11 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_rule_update(store *s, const store_routing_rule *r, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rule_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->tenant_id);
    sqlite3_bind_int64(st, 2, r->id);
    bind_rule(st, r);
    return store_sqlite_run_update(c, st, "routing_rule_update", "routing rule", err);
}

static sq_stmt sq_rule_delete =
    SQ_STMT("DELETE FROM routing_rules WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_rule_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rule_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "routing_rule_delete", "routing rule", err);
}

/* The neighbour of rule ?2 before it (?3 = 1) or after it (?3 = 0), with its position and the
 * rule's own: one row, or none when the rule is absent or has no such neighbour. */
static sq_stmt sq_rule_neighbour = SQ_STMT(
    "SELECT n.id, n.position, r.position FROM routing_rules r JOIN routing_rules n ON "
    "n.tenant_id = r.tenant_id AND n.id <> r.id AND CASE WHEN ?3 THEN (n.position, n.id) < "
    "(r.position, r.id) ELSE (n.position, n.id) > (r.position, r.id) END WHERE r.tenant_id = ?1 "
    "AND r.id = ?2 ORDER BY CASE WHEN ?3 THEN n.position END DESC, CASE WHEN ?3 THEN n.id END "
    "DESC, n.position, n.id LIMIT 1");
static sq_stmt sq_rule_exists =
    SQ_STMT("SELECT id FROM routing_rules WHERE tenant_id = ?1 AND id = ?2");
static sq_stmt sq_rule_set_position =
    SQ_STMT("UPDATE routing_rules SET position = ?3 WHERE tenant_id = ?1 AND id = ?2");

typedef struct neighbour {
    int64_t id, position, own_position;
} neighbour;

static int read_neighbour(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    neighbour *n = p;
    n->id = sqlite3_column_int64(st, 0);
    n->position = sqlite3_column_int64(st, 1);
    n->own_position = sqlite3_column_int64(st, 2);
    return 0;
}

static int set_position(store_sqlite_conn *c, int64_t tenant_id, int64_t id, int64_t position,
                        error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rule_set_position, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, position);
    return store_sqlite_run_update(c, st, "routing_rule_move", "routing rule", err);
}

static int store_sqlite_tx_rule_move(store *s, int64_t tenant_id, int64_t id, int up, int *moved,
                                     error *err)
{
    *moved = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rule_exists, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    int64_t own = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &own, &found,
                              "routing_rule_move", err) != 0)
        return -1;
    if (!found)
        return error_set(err, ERR_NOT_FOUND, NULL, "routing rule not found");
    st = store_sqlite_stmt(c, &sq_rule_neighbour, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int(st, 3, up ? 1 : 0);
    neighbour n;
    if (store_sqlite_read_one(c, st, read_neighbour, NULL, &n, &found, "routing_rule_move", err) !=
        0)
        return -1;
    if (!found)
        return 0;
    /* Equal positions (rules written at once) would swap into the same order: the one moved
     * takes a place strictly on the other side. */
    int64_t mine = n.position, theirs = n.own_position;
    if (mine == theirs)
        mine = up ? theirs - 1 : theirs + 1;
    if (set_position(c, tenant_id, id, mine, err) != 0 ||
        set_position(c, tenant_id, n.id, theirs, err) != 0)
        return -1;
    *moved = 1;
    return 0;
}

static sq_stmt sq_default_set =
    SQ_STMT("INSERT INTO routing_defaults (tenant_id, department_id) VALUES (?1, ?2) "
            "ON CONFLICT (tenant_id) DO UPDATE SET department_id = excluded.department_id");

static int store_sqlite_tx_default_set(store *s, int64_t tenant_id, int64_t department_id,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_default_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_id(st, 2, department_id);
    return store_sqlite_run_write(c, st, NULL, "routing_default_set", err);
}

static sq_stmt sq_rules_clear = SQ_STMT("DELETE FROM routing_rules WHERE tenant_id = ?1");

static int store_sqlite_tx_rules_clear(store *s, int64_t tenant_id, int64_t *deleted, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_rules_clear, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "routing_rules_clear", err) != 0)
        return -1;
    if (deleted)
        *deleted = sqlite3_changes64(c->db);
    return 0;
}

const store_routing_ops store_sqlite_routing_ops = {
    .load = store_sqlite_routing_load,
    .tx_insert = store_sqlite_tx_rule_insert,
    .tx_update = store_sqlite_tx_rule_update,
    .tx_delete = store_sqlite_tx_rule_delete,
    .tx_move = store_sqlite_tx_rule_move,
    .tx_set_default = store_sqlite_tx_default_set,
    .tx_clear = store_sqlite_tx_rules_clear,
};

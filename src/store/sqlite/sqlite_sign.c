/*
 * sqlite_sign — the parapheur's tables (migration 49): the élus' signing keys, the signature
 * circuits and their steps, the délégations de signature. A key's PKCS#12 bytes are read
 * only when signing asks for them; lists never carry them.
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* ---- keys ---- */

#define SQ_KEY_COLUMNS                                                                             \
    "k.agent_id, k.tenant_id, k.kind, k.token_label, k.key_label, k.quality, k.subject, "          \
    "k.issuer, k.not_before, k.not_after, k.pin_failures, k.locked_until, k.updated_at, "          \
    "k.updated_by, a.name"

static int read_key(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_key *k = p;
    int oom = 0;
    k->agent_id = sqlite3_column_int64(st, 0);
    k->tenant_id = sqlite3_column_int64(st, 1);
    k->kind = store_sqlite_col_text(st, 2, a, &oom);
    k->token_label = store_sqlite_col_text(st, 3, a, &oom);
    k->key_label = store_sqlite_col_text(st, 4, a, &oom);
    k->quality = store_sqlite_col_text(st, 5, a, &oom);
    k->subject = store_sqlite_col_text(st, 6, a, &oom);
    k->issuer = store_sqlite_col_text(st, 7, a, &oom);
    k->not_before = sqlite3_column_int64(st, 8);
    k->not_after = sqlite3_column_int64(st, 9);
    k->pin_failures = sqlite3_column_int(st, 10);
    k->locked_until = sqlite3_column_int64(st, 11);
    k->updated_at = sqlite3_column_int64(st, 12);
    k->updated_by = sqlite3_column_int64(st, 13);
    k->agent_name = store_sqlite_col_text(st, 14, a, &oom);
    return oom ? -1 : 0;
}

/* read_key and the file (column 15), copied into a. */
static int read_key_p12(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_key *k = p;
    if (read_key(st, a, k) != 0)
        return -1;
    int n = sqlite3_column_bytes(st, 15);
    if (n <= 0)
        return 0;
    void *copy = arena_alloc(a, (size_t)n);
    if (!copy)
        return -1;
    memcpy(copy, sqlite3_column_blob(st, 15), (size_t)n);
    k->p12 = copy;
    k->p12_len = n;
    return 0;
}

static sq_stmt sq_key_get =
    SQ_STMT("SELECT " SQ_KEY_COLUMNS ", k.p12 FROM sign_keys k JOIN agents a "
            "ON a.id = k.agent_id WHERE k.tenant_id = ?1 AND k.agent_id = ?2");

static int sign_key_get(store *s, int64_t tenant_id, int64_t agent_id, int with_p12, arena *a,
                        store_sign_key *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_key_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    return store_sqlite_read_one(c, st, with_p12 ? read_key_p12 : read_key, a, out, found,
                                 "sign_key_get", err);
}

static sq_stmt sq_keys_list =
    SQ_STMT("SELECT " SQ_KEY_COLUMNS " FROM sign_keys k JOIN agents a ON a.id = k.agent_id "
            "WHERE k.tenant_id = ?1 ORDER BY a.name, k.agent_id");

static int sign_keys_list(store *s, int64_t tenant_id, arena *a, store_sign_key **out, size_t *n,
                          error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_keys_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_all(c, st, read_key, a, sizeof **out, (void **)out, n,
                                 "sign_keys_list", err);
}

static sq_stmt sq_key_set = SQ_STMT(
    "INSERT OR REPLACE INTO sign_keys (agent_id, tenant_id, kind, p12, token_label, key_label, "
    "quality, subject, issuer, not_before, not_after, pin_failures, locked_until, updated_at, "
    "updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, 0, ?12, ?13)");

static int sign_tx_key_set(store *s, const store_sign_key *k, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_key_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, k->agent_id);
    sqlite3_bind_int64(st, 2, k->tenant_id);
    store_sqlite_bind_text(st, 3, k->kind);
    if (k->p12 && k->p12_len > 0)
        sqlite3_bind_blob64(st, 4, k->p12, (sqlite3_uint64)k->p12_len, SQLITE_STATIC);
    store_sqlite_bind_text(st, 5, k->token_label);
    store_sqlite_bind_text(st, 6, k->key_label);
    store_sqlite_bind_text(st, 7, k->quality ? k->quality : "");
    store_sqlite_bind_text(st, 8, k->subject);
    store_sqlite_bind_text(st, 9, k->issuer);
    sqlite3_bind_int64(st, 10, k->not_before);
    sqlite3_bind_int64(st, 11, k->not_after);
    sqlite3_bind_int64(st, 12, store_sqlite_now_or(k->updated_at));
    store_sqlite_bind_id(st, 13, k->updated_by);
    return store_sqlite_run_write(c, st, NULL, "sign_key_set", err);
}

static sq_stmt sq_key_p12_replace =
    SQ_STMT("UPDATE sign_keys SET p12 = ?3 WHERE tenant_id = ?1 AND agent_id = ?2 AND p12 = ?4");

static int sign_tx_key_p12_replace(store *s, int64_t tenant_id, int64_t agent_id, const void *old,
                                   size_t old_len, const void *sealed, size_t sealed_len,
                                   int *replaced, error *err)
{
    *replaced = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_key_p12_replace, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_blob64(st, 3, sealed, (sqlite3_uint64)sealed_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 4, old, (sqlite3_uint64)old_len, SQLITE_STATIC);
    if (store_sqlite_run_update(c, st, "sign_key_p12_replace", "key", err) != 0) {
        if (err && err->code == ERR_NOT_FOUND) {
            /* Replaced meanwhile (a new key set): nothing to seal any more. */
            error_clear(err);
            return 0;
        }
        return -1;
    }
    *replaced = 1;
    return 0;
}

static sq_stmt sq_key_wrong_pin = SQ_STMT(
    "UPDATE sign_keys SET pin_failures = CASE WHEN pin_failures + 1 >= ?4 THEN 0 ELSE "
    "pin_failures + 1 END, locked_until = CASE WHEN pin_failures + 1 >= ?4 THEN max(locked_until, "
    "?3 + ?5) ELSE locked_until END WHERE tenant_id = ?1 AND agent_id = ?2");
static sq_stmt sq_key_locked =
    SQ_STMT("SELECT locked_until > ?3 FROM sign_keys WHERE tenant_id = ?1 AND agent_id = ?2");

static int sign_tx_key_wrong_pin(store *s, int64_t tenant_id, int64_t agent_id, int64_t now,
                                 int tries, int64_t lock_s, int *locked, error *err)
{
    *locked = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_key_wrong_pin, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, tries);
    sqlite3_bind_int64(st, 5, lock_s);
    if (store_sqlite_run_update(c, st, "sign_key_wrong_pin", "key", err) != 0)
        return -1;
    if (!(st = store_sqlite_stmt(c, &sq_key_locked, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_int64(st, 3, now);
    int64_t v = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found, "sign_key_locked",
                              err) != 0)
        return -1;
    *locked = found && v;
    return 0;
}

static sq_stmt sq_key_right_pin =
    SQ_STMT("UPDATE sign_keys SET pin_failures = 0 WHERE tenant_id = ?1 AND agent_id = ?2 AND "
            "locked_until <= ?3");

static int sign_tx_key_right_pin(store *s, int64_t tenant_id, int64_t agent_id, int64_t now,
                                 error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_key_right_pin, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    sqlite3_bind_int64(st, 3, now);
    if (store_sqlite_run_update(c, st, "sign_key_right_pin", "key", err) != 0) {
        if (err && err->code == ERR_NOT_FOUND)
            return error_set(err, ERR_RATE_LIMITED, "pin",
                             "too many wrong PINs: the key is locked");
        return -1;
    }
    return 0;
}

/* ---- circuits and steps ---- */

#define SQ_CIRCUIT_COLUMNS                                                                         \
    "c.id, c.tenant_id, c.request_id, r.reference, c.document_id, d.title, d.kind, c.sent_by, "    \
    "sa.name, c.message, c.state, c.step, c.steps, c.created_at, c.waiting_since, c.reminded_at, " \
    "c.ended_at, (SELECT w.agent_id FROM sign_steps w WHERE w.circuit_id = c.id AND w.position = " \
    "c.step AND c.state = 'pending')"
#define SQ_CIRCUIT_FROM                                                                            \
    " FROM sign_circuits c JOIN requests r ON r.id = c.request_id JOIN documents d ON d.id = "     \
    "c.document_id LEFT JOIN agents sa ON sa.id = c.sent_by"

static int read_circuit(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_circuit *c = p;
    int oom = 0;
    c->id = sqlite3_column_int64(st, 0);
    c->tenant_id = sqlite3_column_int64(st, 1);
    c->request_id = sqlite3_column_int64(st, 2);
    c->reference = store_sqlite_col_text(st, 3, a, &oom);
    c->document_id = sqlite3_column_int64(st, 4);
    c->title = store_sqlite_col_text(st, 5, a, &oom);
    c->doc_kind = store_sqlite_col_text(st, 6, a, &oom);
    c->sent_by = sqlite3_column_int64(st, 7);
    c->sent_by_name = store_sqlite_col_text(st, 8, a, &oom);
    c->message = store_sqlite_col_text(st, 9, a, &oom);
    c->state = store_sqlite_col_text(st, 10, a, &oom);
    c->step = sqlite3_column_int(st, 11);
    c->steps = sqlite3_column_int(st, 12);
    c->created_at = sqlite3_column_int64(st, 13);
    c->waiting_since = sqlite3_column_int64(st, 14);
    c->reminded_at = sqlite3_column_int64(st, 15);
    c->ended_at = sqlite3_column_int64(st, 16);
    c->signer_id = sqlite3_column_int64(st, 17);
    return oom ? -1 : 0;
}

static sq_stmt sq_circuit_insert = SQ_STMT(
    "INSERT INTO sign_circuits (tenant_id, request_id, document_id, sent_by, message, state, "
    "step, steps, created_at, waiting_since) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, "
    "?7)");
static sq_stmt sq_step_insert = SQ_STMT("INSERT INTO sign_steps (circuit_id, position, agent_id, "
                                        "state) VALUES (?1, ?2, ?3, 'waiting')");

static int sign_tx_circuit_insert(store *s, const store_sign_circuit *ci, const int64_t *elus,
                                  size_t n, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_circuit_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ci->tenant_id);
    sqlite3_bind_int64(st, 2, ci->request_id);
    sqlite3_bind_int64(st, 3, ci->document_id);
    store_sqlite_bind_id(st, 4, ci->sent_by);
    store_sqlite_bind_text(st, 5, ci->message ? ci->message : "");
    sqlite3_bind_int64(st, 6, (sqlite3_int64)n);
    sqlite3_bind_int64(st, 7, store_sqlite_now_or(ci->created_at));
    if (store_sqlite_run_write(c, st, NULL, "sign_circuit_insert", err) != 0)
        return -1;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    for (size_t i = 0; i < n; i++) {
        if (!(st = store_sqlite_stmt(c, &sq_step_insert, err)))
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_int64(st, 3, elus[i]);
        if (store_sqlite_run_write(c, st, NULL, "sign_step_insert", err) != 0)
            return -1;
    }
    *id_out = id;
    return 0;
}

static sq_stmt sq_circuit_get =
    SQ_STMT("SELECT " SQ_CIRCUIT_COLUMNS SQ_CIRCUIT_FROM " WHERE c.tenant_id = ?1 AND c.id = ?2");

static int sign_circuit_get(store *s, int writer, int64_t tenant_id, int64_t id, arena *a,
                            store_sign_circuit *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = writer ? store_sqlite_writer(s, err) : store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_circuit_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_circuit, a, out, found, "sign_circuit_get", err);
}

static sq_stmt sq_circuit_update =
    SQ_STMT("UPDATE sign_circuits SET state = ?3, step = ?4, document_id = ?5, waiting_since = ?6, "
            "reminded_at = ?7, ended_at = ?8 WHERE tenant_id = ?1 AND id = ?2");

static int sign_tx_circuit_update(store *s, const store_sign_circuit *ci, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_circuit_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ci->tenant_id);
    sqlite3_bind_int64(st, 2, ci->id);
    store_sqlite_bind_text(st, 3, ci->state);
    sqlite3_bind_int(st, 4, ci->step);
    sqlite3_bind_int64(st, 5, ci->document_id);
    sqlite3_bind_int64(st, 6, ci->waiting_since);
    sqlite3_bind_int64(st, 7, ci->reminded_at);
    sqlite3_bind_int64(st, 8, ci->ended_at);
    return store_sqlite_run_update(c, st, "sign_circuit_update", "circuit", err);
}

static int read_step(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_step *x = p;
    int oom = 0;
    x->circuit_id = sqlite3_column_int64(st, 0);
    x->position = sqlite3_column_int(st, 1);
    x->agent_id = sqlite3_column_int64(st, 2);
    x->agent_name = store_sqlite_col_text(st, 3, a, &oom);
    x->state = store_sqlite_col_text(st, 4, a, &oom);
    x->signed_by = sqlite3_column_int64(st, 5);
    x->signed_by_name = store_sqlite_col_text(st, 6, a, &oom);
    x->document_id = sqlite3_column_int64(st, 7);
    x->comment = store_sqlite_col_text(st, 8, a, &oom);
    x->decided_at = sqlite3_column_int64(st, 9);
    return oom ? -1 : 0;
}

static sq_stmt sq_steps_list = SQ_STMT(
    "SELECT s.circuit_id, s.position, s.agent_id, a.name, s.state, s.signed_by, b.name, "
    "s.document_id, s.comment, s.decided_at FROM sign_steps s JOIN agents a ON a.id = s.agent_id "
    "LEFT JOIN agents b ON b.id = s.signed_by WHERE s.circuit_id = ?1 ORDER BY s.position");

static int sign_steps_list(store *s, int64_t circuit_id, arena *a, store_sign_step **out, size_t *n,
                           error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_steps_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, circuit_id);
    return store_sqlite_read_all(c, st, read_step, a, sizeof **out, (void **)out, n,
                                 "sign_steps_list", err);
}

static sq_stmt sq_step_decide =
    SQ_STMT("UPDATE sign_steps SET state = ?3, signed_by = ?4, document_id = ?5, comment = ?6, "
            "decided_at = ?7 WHERE circuit_id = ?1 AND position = ?2 AND state = 'waiting'");

static int sign_tx_step_decide(store *s, const store_sign_step *x, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_step_decide, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->circuit_id);
    sqlite3_bind_int(st, 2, x->position);
    store_sqlite_bind_text(st, 3, x->state);
    store_sqlite_bind_id(st, 4, x->signed_by);
    store_sqlite_bind_id(st, 5, x->document_id);
    store_sqlite_bind_text(st, 6, x->comment);
    sqlite3_bind_int64(st, 7, store_sqlite_now_or(x->decided_at));
    return store_sqlite_run_update(c, st, "sign_step_decide", "step", err);
}

static sq_stmt sq_queue = SQ_STMT(
    "SELECT " SQ_CIRCUIT_COLUMNS SQ_CIRCUIT_FROM
    " JOIN sign_steps w ON w.circuit_id = c.id AND w.position = c.step WHERE c.tenant_id = ?1 "
    "AND c.state = 'pending' AND (w.agent_id = ?2 OR EXISTS (SELECT 1 FROM sign_delegations g "
    "WHERE g.tenant_id = ?1 AND g.delegate_id = ?2 AND g.principal_id = w.agent_id AND "
    "g.starts_on <= ?3 AND g.ends_on >= ?3)) ORDER BY c.waiting_since, c.id LIMIT ?4");

static int sign_queue(store *s, int64_t tenant_id, int64_t agent_id, const char *today, size_t max,
                      arena *a, store_sign_circuit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_queue, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, agent_id);
    store_sqlite_bind_text(st, 3, today);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
    return store_sqlite_read_all(c, st, read_circuit, a, sizeof **out, (void **)out, n,
                                 "sign_queue", err);
}

static sq_stmt sq_of_request =
    SQ_STMT("SELECT " SQ_CIRCUIT_COLUMNS SQ_CIRCUIT_FROM
            " WHERE c.tenant_id = ?1 AND c.request_id = ?2 ORDER BY c.created_at DESC, c.id DESC");

static int sign_of_request(store *s, int64_t tenant_id, int64_t request_id, arena *a,
                           store_sign_circuit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_of_request, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    return store_sqlite_read_all(c, st, read_circuit, a, sizeof **out, (void **)out, n,
                                 "sign_of_request", err);
}

/* Walks sign_circuits_pending by state and date for each tenant. */
static sq_stmt sq_due = SQ_STMT("SELECT " SQ_CIRCUIT_COLUMNS SQ_CIRCUIT_FROM
                                " WHERE c.state = 'pending' AND c.waiting_since < ?1 AND "
                                "c.reminded_at < ?2 ORDER BY c.waiting_since, c.id LIMIT ?3");

static int sign_due(store *s, int64_t since, int64_t reminded_before, size_t max, arena *a,
                    store_sign_circuit **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, reminded_before);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    return store_sqlite_read_all(c, st, read_circuit, a, sizeof **out, (void **)out, n, "sign_due",
                                 err);
}

/* ---- délégations ---- */

static sq_stmt sq_delegation_insert =
    SQ_STMT("INSERT INTO sign_delegations (tenant_id, delegate_id, principal_id, starts_on, "
            "ends_on, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

static int sign_tx_delegation_insert(store *s, const store_sign_delegation *d, int64_t *id_out,
                                     error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_delegation_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->tenant_id);
    sqlite3_bind_int64(st, 2, d->delegate_id);
    sqlite3_bind_int64(st, 3, d->principal_id);
    store_sqlite_bind_text(st, 4, d->starts_on);
    store_sqlite_bind_text(st, 5, d->ends_on);
    sqlite3_bind_int64(st, 6, store_sqlite_now_or(d->created_at));
    store_sqlite_bind_id(st, 7, d->created_by);
    if (store_sqlite_run_write(c, st, NULL, "sign_delegation_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_delegation_delete =
    SQ_STMT("DELETE FROM sign_delegations WHERE tenant_id = ?1 AND id = ?2");

static int sign_tx_delegation_delete(store *s, int64_t tenant_id, int64_t id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_delegation_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_run_update(c, st, "sign_delegation_delete", "delegation", err);
}

static int read_delegation(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_delegation *d = p;
    int oom = 0;
    d->id = sqlite3_column_int64(st, 0);
    d->tenant_id = sqlite3_column_int64(st, 1);
    d->delegate_id = sqlite3_column_int64(st, 2);
    d->principal_id = sqlite3_column_int64(st, 3);
    d->delegate_name = store_sqlite_col_text(st, 4, a, &oom);
    d->principal_name = store_sqlite_col_text(st, 5, a, &oom);
    d->starts_on = store_sqlite_col_text(st, 6, a, &oom);
    d->ends_on = store_sqlite_col_text(st, 7, a, &oom);
    d->created_at = sqlite3_column_int64(st, 8);
    d->created_by = sqlite3_column_int64(st, 9);
    return oom ? -1 : 0;
}

static sq_stmt sq_delegations_list = SQ_STMT(
    "SELECT g.id, g.tenant_id, g.delegate_id, g.principal_id, x.name, y.name, g.starts_on, "
    "g.ends_on, g.created_at, g.created_by FROM sign_delegations g JOIN agents x ON x.id = "
    "g.delegate_id JOIN agents y ON y.id = g.principal_id WHERE g.tenant_id = ?1 AND g.ends_on "
    ">= ?2 ORDER BY g.starts_on, g.id");

static int sign_delegations_list(store *s, int64_t tenant_id, const char *from, arena *a,
                                 store_sign_delegation **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_delegations_list, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, from);
    return store_sqlite_read_all(c, st, read_delegation, a, sizeof **out, (void **)out, n,
                                 "sign_delegations_list", err);
}

static sq_stmt sq_delegation_holds =
    SQ_STMT("SELECT count(*) FROM sign_delegations WHERE tenant_id = ?1 AND delegate_id = ?2 AND "
            "principal_id = ?3 AND starts_on <= ?4 AND ends_on >= ?4");

static int sign_delegation_holds(store *s, int writer, int64_t tenant_id, int64_t delegate_id,
                                 int64_t principal_id, const char *today, int *holds, error *err)
{
    *holds = 0;
    store_sqlite_conn *c = writer ? store_sqlite_writer(s, err) : store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_delegation_holds, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, delegate_id);
    sqlite3_bind_int64(st, 3, principal_id);
    store_sqlite_bind_text(st, 4, today);
    int64_t count = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &count, &found,
                              "sign_delegation_holds", err) != 0)
        return -1;
    *holds = count > 0;
    return 0;
}

/* ---- settings ---- */

static sq_stmt sq_remind_days =
    SQ_STMT("SELECT remind_days FROM sign_settings WHERE tenant_id = ?1");

static int sign_remind_days(store *s, int writer, int64_t tenant_id, int *days, error *err)
{
    *days = 0;
    store_sqlite_conn *c = writer ? store_sqlite_writer(s, err) : store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_remind_days, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t v = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found, "sign_remind_days",
                              err) != 0)
        return -1;
    *days = found ? (int)v : 0;
    return 0;
}

static sq_stmt sq_signing_get =
    SQ_STMT("SELECT level, tsa_url, visible FROM sign_settings WHERE tenant_id = ?1");

static int read_signing(sqlite3_stmt *st, arena *a, void *p)
{
    store_sign_settings *o = p;
    int oom = 0;
    o->level = store_sqlite_col_text(st, 0, a, &oom);
    o->tsa_url = store_sqlite_col_text(st, 1, a, &oom);
    o->visible = sqlite3_column_int(st, 2);
    return oom ? -1 : 0;
}

static int sign_signing_get(store *s, int64_t tenant_id, arena *a, store_sign_settings *out,
                            error *err)
{
    *out = (store_sign_settings){.level = "B-B"};
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_signing_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int found = 0;
    if (store_sqlite_read_one(c, st, read_signing, a, out, &found, "sign_signing_get", err) != 0)
        return -1;
    if (!found || !out->level)
        *out = (store_sign_settings){.level = "B-B"};
    return 0;
}

static sq_stmt sq_signing_set = SQ_STMT(
    "INSERT INTO sign_settings (tenant_id, remind_days, level, tsa_url, visible) VALUES (?1, ?5, "
    "?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET level = excluded.level, tsa_url = "
    "excluded.tsa_url, visible = excluded.visible");

static int sign_tx_signing_set(store *s, int64_t tenant_id, const store_sign_settings *in,
                               int default_days, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_signing_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, in->level);
    store_sqlite_bind_text(st, 3, in->tsa_url);
    sqlite3_bind_int(st, 4, in->visible ? 1 : 0);
    sqlite3_bind_int(st, 5, default_days);
    return store_sqlite_run_write(c, st, NULL, "sign_signing_set", err);
}

static sq_stmt sq_remind_days_set = SQ_STMT(
    "INSERT INTO sign_settings (tenant_id, remind_days) VALUES (?1, ?2) ON CONFLICT (tenant_id) "
    "DO UPDATE SET remind_days = excluded.remind_days");

static int sign_tx_remind_days_set(store *s, int64_t tenant_id, int days, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_remind_days_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int(st, 2, days);
    return store_sqlite_run_write(c, st, NULL, "sign_remind_days_set", err);
}

const store_sign_ops store_sqlite_sign_ops = {
    .key_get = sign_key_get,
    .keys_list = sign_keys_list,
    .tx_key_set = sign_tx_key_set,
    .tx_key_p12_replace = sign_tx_key_p12_replace,
    .signing_get = sign_signing_get,
    .tx_signing_set = sign_tx_signing_set,
    .tx_key_wrong_pin = sign_tx_key_wrong_pin,
    .tx_key_right_pin = sign_tx_key_right_pin,
    .tx_circuit_insert = sign_tx_circuit_insert,
    .circuit_get = sign_circuit_get,
    .tx_circuit_update = sign_tx_circuit_update,
    .steps_list = sign_steps_list,
    .tx_step_decide = sign_tx_step_decide,
    .queue = sign_queue,
    .of_request = sign_of_request,
    .due = sign_due,
    .tx_delegation_insert = sign_tx_delegation_insert,
    .tx_delegation_delete = sign_tx_delegation_delete,
    .delegations_list = sign_delegations_list,
    .delegation_holds = sign_delegation_holds,
    .remind_days = sign_remind_days,
    .tx_remind_days_set = sign_tx_remind_days_set,
};

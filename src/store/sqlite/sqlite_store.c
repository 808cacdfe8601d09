/*
 * sqlite_store — the SQLite backend's plumbing: opening the database (WAL, synchronous=FULL),
 * the writer connection and the per-thread read connections with their statement caches,
 * the mapping of SQLite result codes to guichet errors, transactions and migrations. The
 * reads and writes themselves are in sqlite_reads.c and sqlite_writes.c.
 */
#include "store/sqlite/sq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

/* The store whose write transaction this thread holds, if any: reads made by a job's apply()
 * then go to the writer connection and see the job's own uncommitted changes. */
static _Thread_local store_sqlite_store *tls_tx_store;

const char *const store_sqlite_stmt_sql[SQ_STMT_COUNT] = {
    [SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_SAVEPOINT] = "SAVEPOINT job",
    [SQ_RELEASE] = "RELEASE job",
    [SQ_ROLLBACK_TO] = "ROLLBACK TO job",
    [SQ_CONFIG_VERSION] = "SELECT version FROM config_version WHERE id = 1",
    [SQ_TENANTS_ALL] =
        "SELECT id, slug, name, hosts, timezone, contact, archives_visa FROM tenants ORDER BY id",
    [SQ_DEPARTMENTS_ALL] =
        "SELECT id, tenant_id, code, name, email FROM departments ORDER BY tenant_id, id",
    [SQ_PROCEDURES_ALL] =
        "SELECT id, tenant_id, code, name, group_name, description, keywords, attributes, "
        "service_notice, department_id, kind, is_public, open311, delay_days, active, "
        "auto_public, allow_anonymous, open311_detail, retention_months FROM procedures "
        "ORDER BY tenant_id, id",
    [SQ_REQUEST_GET] =
        "SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND r.reference = ?2",
    [SQ_EVENTS_LIST] = "SELECT id, tenant_id, request_id, created_at, kind, is_public, actor, "
                       "channel, status_from, status_to, body FROM request_events "
                       "WHERE request_id = ?2 AND tenant_id = ?1 AND (?3 = 0 OR is_public = 1) "
                       "ORDER BY id",
    /* The ids come as one bound JSON array, so one statement serves any number of them. */
    [SQ_EVENTS_LIST_MANY] =
        "SELECT id, tenant_id, request_id, created_at, kind, is_public, actor, "
        "channel, status_from, status_to, body FROM request_events "
        "WHERE request_id IN (SELECT value FROM json_each(?2)) AND tenant_id = ?1 "
        "AND (?3 = 0 OR is_public = 1) ORDER BY request_id, id",
    [SQ_APIKEY_FIND] = "SELECT id, tenant_id, name, scope, key_hash, prefix, created_at, "
                       "revoked_at FROM api_keys WHERE key_hash = ?1",
    [SQ_APIKEY_LIST] = "SELECT id, tenant_id, name, scope, key_hash, prefix, created_at, "
                       "revoked_at FROM api_keys WHERE tenant_id = ?1 ORDER BY id",
    [SQ_IDEMPOTENCY_FIND] = "SELECT r.reference FROM idempotency_keys k JOIN requests r "
                            "ON r.id = k.request_id WHERE k.tenant_id = ?1 AND "
                            "k.api_key_id = ?2 AND k.key = ?3",
    [SQ_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
    [SQ_REF_NEXT] = "INSERT INTO reference_counters (tenant_id, year, last) VALUES (?1, ?2, 1) "
                    "ON CONFLICT (tenant_id, year) DO UPDATE SET last = last + 1 "
                    "RETURNING last",
    [SQ_REF_AT_LEAST] =
        "INSERT INTO reference_counters (tenant_id, year, last) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (tenant_id, year) DO UPDATE SET last = max(last, excluded.last)",
    [SQ_REQUEST_INSERT] =
        "INSERT INTO requests (tenant_id, reference, token_hash, procedure_id, status, "
        "channel, description, lat, lon, address, address_id, zipcode, attributes, "
        "first_name, last_name, email, phone, device_id, account_id, media_url, "
        "department_id, assignee, priority, status_notes, created_at, updated_at, "
        "closed_at, due_at, api_key_id, citizen_id, notify, is_public, rating, "
        "rating_comment, supporters) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
        "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
    [SQ_REQUEST_UPDATE] =
        "UPDATE requests SET status = ?3, department_id = ?4, assignee = ?5, priority = ?6, "
        "status_notes = ?7, updated_at = ?8, closed_at = ?9, due_at = ?10, citizen_id = ?11, "
        "notify = ?12, is_public = ?13, rating = ?14, rating_comment = ?15 "
        "WHERE id = ?1 AND tenant_id = ?2",
    [SQ_EVENT_INSERT] =
        "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, "
        "actor, channel, status_from, status_to, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10)",
    [SQ_IDEMPOTENCY_INSERT] = "INSERT INTO idempotency_keys (tenant_id, api_key_id, key, "
                              "request_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQ_TENANT_UPSERT] =
        "INSERT INTO tenants (slug, name, hosts, timezone, contact, created_at) "
        "VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, 'Europe/Paris'), ?5, ?6) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, hosts = coalesce(?3, hosts), "
        "timezone = excluded.timezone, contact = excluded.contact RETURNING id",
    [SQ_TENANT_HOSTS_CLEAR] = "DELETE FROM tenant_hosts WHERE tenant_id = ?1",
    [SQ_TENANT_HOST_OWNER] = "SELECT t.slug FROM tenant_hosts h JOIN tenants t ON t.id = "
                             "h.tenant_id WHERE h.host = ?1 AND h.tenant_id <> ?2",
    [SQ_TENANT_HOST_ADD] =
        "INSERT INTO tenant_hosts (host, tenant_id, position) VALUES (?1, ?2, ?3)",
    [SQ_DEPARTMENT_UPSERT] =
        "INSERT INTO departments (tenant_id, code, name, email) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, "
        "email = excluded.email RETURNING id",
    [SQ_PROCEDURE_UPSERT] =
        "INSERT INTO procedures (tenant_id, code, name, group_name, description, keywords, "
        "attributes, service_notice, department_id, kind, is_public, open311, delay_days, "
        "active, auto_public, allow_anonymous, open311_detail, retention_months) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        /* 0: the default of its kind, as migration 7 gave existing procedures */
        "CASE WHEN ?18 BETWEEN 1 AND 1200 THEN ?18 WHEN ?10 = 1 THEN 36 ELSE 24 END) "
        "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, "
        "group_name = excluded.group_name, description = excluded.description, "
        "keywords = excluded.keywords, attributes = excluded.attributes, "
        "service_notice = excluded.service_notice, department_id = excluded.department_id, "
        "kind = excluded.kind, is_public = excluded.is_public, open311 = excluded.open311, "
        "delay_days = excluded.delay_days, active = excluded.active, "
        "auto_public = excluded.auto_public, allow_anonymous = excluded.allow_anonymous, "
        "open311_detail = excluded.open311_detail, "
        "retention_months = excluded.retention_months RETURNING id",
    [SQ_APIKEY_INSERT] = "INSERT INTO api_keys (tenant_id, name, scope, key_hash, prefix, "
                         "created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* Revoking twice keeps the first instant. */
    [SQ_APIKEY_REVOKE] = "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) "
                         "WHERE tenant_id = ?1 AND id = ?2",
    [SQ_SETTING_SET] = "INSERT INTO settings (name, value) VALUES (?1, ?2) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    [SQ_SETTING_DELETE] = "DELETE FROM settings WHERE name = ?1",
    /* ---- citizens' portal ---- */
    [SQ_ACCOUNT_GET] =
        "SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND id = ?2",
    /* The column's NOCASE collation makes the comparison case-insensitive (ASCII, as SQLite's
     * lower() that stores it). */
    [SQ_ACCOUNT_FIND_EMAIL] =
        "SELECT " SQ_ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = ?1 AND email = ?2",
    /* Ids are never reused, even the last one deleted (accounts_retired, migration 7). */
    [SQ_ACCOUNT_INSERT] =
        "INSERT INTO accounts (id, tenant_id, email, password_hash, display_name, phone, notify, "
        "lang, email_verified_at, created_at) VALUES (1 + max(coalesce((SELECT max(id) FROM "
        "accounts), 0), coalesce((SELECT last FROM accounts_retired), 0)), ?1, lower(?2), ?3, "
        "?4, ?5, coalesce(?6, 'email'), coalesce(?7, 'fr'), ?8, ?9)",
    [SQ_ACCOUNT_UPDATE] =
        "UPDATE accounts SET password_hash = ?3, display_name = ?4, phone = ?5, "
        "notify = coalesce(?6, 'email'), lang = coalesce(?7, 'fr'), email_verified_at = ?8 "
        "WHERE tenant_id = ?1 AND id = ?2",
    [SQ_SESSION_FIND] = "SELECT id, tenant_id, token_hash, account_id, created_at, last_seen_at, "
                        "expires_at, agent_id FROM sessions WHERE token_hash = ?2 AND "
                        "tenant_id = ?1",
    [SQ_SESSION_INSERT] =
        "INSERT INTO sessions (tenant_id, token_hash, account_id, created_at, last_seen_at, "
        "expires_at, agent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1",
    [SQ_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?2 AND tenant_id = ?1",
    [SQ_SESSION_DELETE_ACCOUNT] = "DELETE FROM sessions WHERE tenant_id = ?1 AND account_id = ?2",
    [SQ_TOKEN_INSERT] =
        "INSERT INTO account_tokens (tenant_id, account_id, purpose, token_hash, created_at, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* One statement checks and spends the token, so two concurrent uses cannot both win. */
    [SQ_TOKEN_CONSUME] =
        "UPDATE account_tokens SET used_at = ?4 WHERE tenant_id = ?1 AND purpose = ?2 AND "
        "token_hash = ?3 AND used_at IS NULL AND expires_at > ?4 RETURNING id, tenant_id, "
        "account_id, purpose, token_hash, created_at, expires_at, used_at",
    [SQ_OUTBOX_INSERT] =
        "INSERT INTO outbox (tenant_id, channel, recipient, template, params, lang, request_id, "
        "attempts, created_at, next_attempt_at, sent_at, failed, last_error) VALUES (?1, ?2, "
        "?3, ?4, ?5, coalesce(?6, 'fr'), ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* Its conditions are those of the partial index outbox_due, which it then walks in order. */
    [SQ_OUTBOX_DUE] = "SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE sent_at IS NULL AND "
                      "failed = 0 AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id "
                      "LIMIT ?2",
    [SQ_OUTBOX_SENT] = "UPDATE outbox SET sent_at = ?2, params = NULL WHERE id = ?1",
    [SQ_OUTBOX_RETRY] = "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, failed = ?4, "
                        "last_error = ?5 WHERE id = ?1",
    [SQ_OUTBOX_LIST_REQUEST] = "SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE request_id = ?2 "
                               "AND tenant_id = ?1 ORDER BY id",
    [SQ_OUTBOX_LIST_TENANT] =
        "SELECT " SQ_OUTBOX_COLUMNS " FROM outbox WHERE tenant_id = ?1 ORDER BY id",
    [SQ_ATTACHMENT_INSERT] =
        "INSERT INTO attachments (tenant_id, request_id, event_id, filename, content_type, "
        "size, storage_name, thumb_name, is_photo, moderation, created_at) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, 'pending'), ?11)",
    [SQ_ATTACHMENT_GET] =
        "SELECT " SQ_ATTACHMENT_COLUMNS " FROM attachments WHERE tenant_id = ?1 AND id = ?2",
    [SQ_ATTACHMENTS_LIST] = "SELECT " SQ_ATTACHMENT_COLUMNS " FROM attachments WHERE "
                            "request_id = ?2 AND tenant_id = ?1 ORDER BY id",
    /* Both columns are indexed (the thumbnail's by migration 5). */
    [SQ_ATTACHMENT_FILE_KNOWN] = "SELECT 1 FROM attachments WHERE storage_name = ?1 UNION ALL "
                                 "SELECT 1 FROM attachments WHERE thumb_name = ?1 LIMIT 1",
    [SQ_ATTACHMENT_MODERATE] =
        "UPDATE attachments SET moderation = ?3 WHERE tenant_id = ?1 AND id = ?2",
    /* Only for a request of that tenant; an existing (request, key) pair is left alone. */
    [SQ_SUPPORT_INSERT] = "INSERT OR IGNORE INTO request_supports (tenant_id, request_id, "
                          "supporter_key, created_at) SELECT tenant_id, id, ?3, ?4 FROM "
                          "requests WHERE id = ?2 AND tenant_id = ?1",
    [SQ_SUPPORT_BUMP] =
        "UPDATE requests SET supporters = supporters + 1 WHERE id = ?2 AND tenant_id = ?1",
    [SQ_REQUEST_EXISTS] = "SELECT 1 FROM requests WHERE id = ?2 AND tenant_id = ?1",
    /* ---- back office ---- */
    [SQ_AGENT_GET] = "SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND id = ?2",
    /* NOCASE column: the comparison ignores (ASCII) case. */
    [SQ_AGENT_FIND_EMAIL] =
        "SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 AND email = ?2",
    [SQ_AGENT_LIST] = "SELECT " SQ_AGENT_COLUMNS " FROM agents WHERE tenant_id = ?1 "
                      "ORDER BY name COLLATE NOCASE, id",
    [SQ_AGENT_DEPTS] =
        "SELECT department_id FROM agent_departments WHERE agent_id = ?1 ORDER BY department_id",
    [SQ_AGENT_DEPTS_TENANT] = "SELECT ad.agent_id, ad.department_id FROM agent_departments ad "
                              "JOIN agents a ON a.id = ad.agent_id WHERE a.tenant_id = ?1 "
                              "ORDER BY ad.agent_id, ad.department_id",
    [SQ_AGENT_INSERT] = "INSERT INTO agents (tenant_id, email, name, role, password_hash, "
                        "totp_secret, totp_enabled, active, created_at, last_login_at) VALUES "
                        "(?1, lower(?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQ_AGENT_UPDATE] = "UPDATE agents SET name = ?3, role = ?4, password_hash = ?5, "
                        "totp_secret = ?6, totp_enabled = ?7, active = ?8, last_login_at = ?9 "
                        "WHERE tenant_id = ?1 AND id = ?2",
    [SQ_AGENT_DEPTS_CLEAR] = "DELETE FROM agent_departments WHERE agent_id = ?1",
    [SQ_AGENT_DEPT_ADD] = "INSERT OR IGNORE INTO agent_departments (agent_id, department_id) "
                          "VALUES (?1, ?2)",
    [SQ_DEPARTMENT_OF_TENANT] = "SELECT 1 FROM departments WHERE id = ?2 AND tenant_id = ?1",
    [SQ_SESSION_DELETE_AGENT] = "DELETE FROM sessions WHERE tenant_id = ?1 AND agent_id = ?2",
    [SQ_AUDIT_INSERT] = "INSERT INTO audit_log (tenant_id, at, agent_id, actor, action, "
                        "object_kind, object_ids, source, prev_hash, hash) VALUES (?1, ?2, ?3, "
                        "?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQ_AUDIT_LAST] = "SELECT " SQ_AUDIT_COLUMNS " FROM audit_log WHERE tenant_id = ?1 "
                      "ORDER BY id DESC LIMIT 1",
    [SQ_AUDIT_LIST] = "SELECT " SQ_AUDIT_COLUMNS " FROM audit_log WHERE tenant_id = ?1 AND "
                      "id > ?2 ORDER BY id LIMIT ?3",
    [SQ_AUDIT_PURGE] = "DELETE FROM audit_log WHERE tenant_id = ?1 AND at < ?2",
    [SQ_SAVED_FILTER_LIST] = "SELECT id, tenant_id, agent_id, name, query FROM saved_filters "
                             "WHERE tenant_id = ?1 AND agent_id = ?2 ORDER BY name, id",
    /* The agent must be of the same tenant: otherwise nothing is inserted. */
    [SQ_SAVED_FILTER_INSERT] = "INSERT INTO saved_filters (tenant_id, agent_id, name, query) "
                               "SELECT tenant_id, id, ?3, ?4 FROM agents WHERE tenant_id = ?1 "
                               "AND id = ?2",
    [SQ_SAVED_FILTER_DELETE] =
        "DELETE FROM saved_filters WHERE tenant_id = ?1 AND agent_id = ?2 AND id = ?3",
    [SQ_TEMPLATE_LIST] = "SELECT id, tenant_id, name, body FROM reply_templates "
                         "WHERE tenant_id = ?1 ORDER BY name, id",
    [SQ_TEMPLATE_UPSERT] = "INSERT INTO reply_templates (tenant_id, name, body) VALUES "
                           "(?1, ?2, ?3) ON CONFLICT (tenant_id, name) DO UPDATE SET "
                           "body = excluded.body RETURNING id",
    [SQ_TEMPLATE_UPDATE] =
        "UPDATE reply_templates SET name = ?3, body = ?4 WHERE tenant_id = ?1 AND id = ?2",
    [SQ_TEMPLATE_DELETE] = "DELETE FROM reply_templates WHERE tenant_id = ?1 AND id = ?2",
    [SQ_REQUEST_SET_PUBLIC] = "UPDATE requests SET is_public = ?3 WHERE tenant_id = ?1 AND id = ?2",
    [SQ_REQUEST_GET_BY_ID] =
        "SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND r.id = ?2",
    /* A bounding box on the requests_geo index, ordered by the flat-earth distance (?8 is
     * cos(latitude)), which orders like the true distance at these scales; the caller computes
     * the exact distance, filters the radius and sorts again. */
    [SQ_REQUESTS_NEAR] =
        "SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND "
        "r.lat BETWEEN ?2 AND ?3 AND r.lon BETWEEN ?4 AND ?5 AND r.closed_at IS NULL "
        "ORDER BY (r.lat - ?6) * (r.lat - ?6) + (r.lon - ?7) * ?8 * (r.lon - ?7) * ?8, r.id "
        "LIMIT ?9",
    /* ---- retention (RGPD) ----
     * Each search states the conditions of its partial index (requests_retention,
     * requests_erase), so that anonymised history is never scanned. */
    [SQ_RETENTION_DUE] = "SELECT id FROM requests WHERE tenant_id = ?1 AND procedure_id = ?2 AND "
                         "closed_at IS NOT NULL AND anonymised_at IS NULL AND closed_at < ?3 "
                         "ORDER BY closed_at, id LIMIT ?4",
    [SQ_RETENTION_COUNT] = "SELECT count(*) FROM requests WHERE tenant_id = ?1 AND "
                           "procedure_id = ?2 AND closed_at IS NOT NULL AND anonymised_at IS "
                           "NULL AND closed_at < ?3 AND erase_requested_at IS NULL",
    [SQ_ERASE_DUE] = "SELECT id FROM requests WHERE tenant_id = ?1 AND erase_requested_at IS NOT "
                     "NULL AND anonymised_at IS NULL AND closed_at IS NOT NULL "
                     "ORDER BY closed_at, id LIMIT ?2",
    [SQ_ERASE_COUNT] = "SELECT count(*) FROM requests WHERE tenant_id = ?1 AND "
                       "erase_requested_at IS NOT NULL AND anonymised_at IS NULL AND "
                       "closed_at IS NOT NULL",
    /* The full-text index follows through its update trigger. */
    [SQ_ANON_REQUEST] =
        "UPDATE requests SET token_hash = NULL, description = NULL, lat = ?3, lon = ?4, "
        "address = NULL, address_id = NULL, attributes = ?5, first_name = NULL, last_name = NULL, "
        "email = NULL, phone = NULL, device_id = NULL, account_id = NULL, media_url = NULL, "
        "status_notes = NULL, citizen_id = NULL, notify = 'none', rating_comment = NULL, "
        "anonymised_at = ?6, updated_at = max(updated_at, ?6) WHERE id = ?2 AND tenant_id = ?1",
    /* Kept: bodies that name an agent (assign), a priority or a department code. */
    [SQ_ANON_EVENTS] = "UPDATE request_events SET body = NULL WHERE request_id = ?1 AND body IS "
                       "NOT NULL AND kind NOT IN ('assign', 'priority', 'department')",
    [SQ_ANON_SUPPORTS] = "DELETE FROM request_supports WHERE request_id = ?1",
    [SQ_ANON_OUTBOX] = "DELETE FROM outbox WHERE request_id = ?1",
    [SQ_ANON_ATTACHMENTS] = "DELETE FROM attachments WHERE request_id = ?2 AND tenant_id = ?1 "
                            "RETURNING storage_name, thumb_name",
    [SQ_TENANT_SET_VISA] = "UPDATE tenants SET archives_visa = ?2 WHERE id = ?1",
    /* The requests of an account, as «Mes demandes» finds them (partial indexes
     * requests_citizen and requests_email); ?3 NULL matches no e-mail. */
    [SQ_ACCDEL_EVENTS] =
        "INSERT INTO request_events (tenant_id, request_id, created_at, kind, is_public, actor) "
        "SELECT tenant_id, id, max(updated_at, ?4), 'account_deleted', 0, ?5 FROM requests "
        "WHERE tenant_id = ?1 AND anonymised_at IS NULL AND (citizen_id = ?2 OR "
        "email = ?3 COLLATE NOCASE)",
    [SQ_ACCDEL_REQUESTS] =
        "UPDATE requests SET citizen_id = NULL, erase_requested_at = ?4, "
        "updated_at = max(updated_at, ?4) WHERE tenant_id = ?1 AND anonymised_at IS NULL AND "
        "(citizen_id = ?2 OR email = ?3 COLLATE NOCASE)",
    [SQ_ACCDEL_TOKENS] = "DELETE FROM account_tokens WHERE account_id = ?2 AND tenant_id = ?1",
    [SQ_ACCDEL_SUPPORT] = "DELETE FROM request_supports WHERE supporter_key = ?2 AND "
                          "tenant_id = ?1",
    [SQ_ACCDEL_OUTBOX] = "DELETE FROM outbox WHERE tenant_id = ?1 AND recipient = ?2 COLLATE "
                         "NOCASE AND request_id IS NULL",
    [SQ_ACCDEL_ACCOUNT] = "DELETE FROM accounts WHERE tenant_id = ?1 AND id = ?2",
    [SQ_DISPOSAL_INSERT] = "INSERT INTO disposal_lists (tenant_id, created_at, status, "
                           "n_requests) VALUES (?1, ?2, 'pending', 0) RETURNING id",
    /* The ids come as one bound JSON array; only requests of the tenant are taken. */
    [SQ_DISPOSAL_ITEMS_ADD] =
        "INSERT INTO disposal_items (list_id, request_id) SELECT ?1, r.id FROM requests r "
        "WHERE r.id IN (SELECT value FROM json_each(?2)) AND r.tenant_id = ?3",
    [SQ_DISPOSAL_COUNT_SET] = "UPDATE disposal_lists SET n_requests = (SELECT count(*) FROM "
                              "disposal_items WHERE list_id = ?1) WHERE id = ?1",
#define SQ_DISPOSAL_COLUMNS                                                                        \
    "l.id, l.tenant_id, l.created_at, l.status, l.n_requests, l.approved_by, l.approved_at, "      \
    "l.done_at, (SELECT count(*) FROM disposal_items i WHERE i.list_id = l.id AND "                \
    "i.state = 'done'), (SELECT count(*) FROM disposal_items i WHERE i.list_id = l.id AND "        \
    "i.state = 'kept')"
    [SQ_DISPOSAL_LIST] = "SELECT " SQ_DISPOSAL_COLUMNS " FROM disposal_lists l WHERE "
                         "l.tenant_id = ?1 ORDER BY l.id DESC LIMIT ?2",
    [SQ_DISPOSAL_GET] = "SELECT " SQ_DISPOSAL_COLUMNS " FROM disposal_lists l WHERE "
                        "l.tenant_id = ?1 AND l.id = ?2",
    [SQ_DISPOSAL_ITEMS] =
        "SELECT i.request_id, r.reference, r.procedure_id, r.department_id, r.status, "
        "r.created_at, r.closed_at, r.anonymised_at, i.state FROM disposal_items i "
        "JOIN disposal_lists l ON l.id = i.list_id JOIN requests r ON r.id = i.request_id "
        "WHERE i.list_id = ?2 AND l.tenant_id = ?1 AND (?3 IS NULL OR i.state = ?3) AND "
        "i.request_id > ?4 ORDER BY i.request_id LIMIT ?5",
    [SQ_DISPOSAL_APPROVE] = "UPDATE disposal_lists SET status = 'approved', approved_by = ?3, "
                            "approved_at = ?4 WHERE tenant_id = ?1 AND id = ?2 AND "
                            "status = 'pending'",
    [SQ_DISPOSAL_ITEM_SET] =
        "UPDATE disposal_items SET state = ?3 WHERE list_id = ?1 AND request_id = ?2",
    [SQ_DISPOSAL_FINISH] = "UPDATE disposal_lists SET status = 'done', done_at = ?3 WHERE "
                           "tenant_id = ?1 AND id = ?2 AND status = 'approved' AND NOT EXISTS "
                           "(SELECT 1 FROM disposal_items WHERE list_id = ?2 AND state = 'due')",
};

int store_sqlite_oom(error *err)
{
    return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory (arena full)");
}

int store_sqlite_run_write(store_sqlite_conn *c, sqlite3_stmt *st, int64_t *id_out,
                           const char *what, error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (id_out)
            *id_out = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, what, err);
    return 0;
}

int store_sqlite_fail(sqlite3 *db, int rc, const char *what, error *err)
{
    const char *w = what ? what : "sqlite";
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
        return error_set(err, ERR_UNAVAILABLE, NULL, "%s: %s", w, sqlite3_errstr(rc));
    case SQLITE_CONSTRAINT:
        /* SQLite's constraint messages name tables and columns, never the values. */
        return error_set(err, ERR_CONFLICT, NULL, "%s: %s", w,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    default:
        log_error("store: %s: %s (%d)", w, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
        return error_set(err, ERR_INTERNAL, NULL, "%s: %s", w, sqlite3_errstr(rc));
    }
}

void store_sqlite_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

sqlite3_stmt *store_sqlite_stmt(store_sqlite_conn *c, store_sqlite_stmt_id id, error *err)
{
    if (c->stmts[id])
        return c->stmts[id];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, store_sqlite_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        store_sqlite_fail(c->db, rc, "prepare", err);
        return NULL;
    }
    c->stmts[id] = st;
    return st;
}

sqlite3_stmt *store_sqlite_stmt_dyn(store_sqlite_conn *c, const char *sql, error *err)
{
    for (unsigned i = 0; i < SQ_DYN_CACHE; i++)
        if (c->dyn[i].sql && strcmp(c->dyn[i].sql, sql) == 0)
            return c->dyn[i].stmt;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        store_sqlite_fail(c->db, rc, "prepare", err);
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    unsigned slot = c->dyn_next++ % SQ_DYN_CACHE;
    sqlite3_finalize(c->dyn[slot].stmt);
    free(c->dyn[slot].sql);
    c->dyn[slot].sql = copy;
    c->dyn[slot].stmt = st;
    return st;
}

int store_sqlite_exec_stmt(store_sqlite_conn *c, store_sqlite_stmt_id id, const char *what,
                           error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, id, err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_fail(c->db, rc, what, err);
    return 0;
}

int store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int store_sqlite_bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

const char *store_sqlite_col_text(sqlite3_stmt *st, int i, arena *a, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *p = arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
    if (!p)
        *oom = 1;
    return p;
}

void *store_sqlite_grow(arena *a, void *arr, size_t *cap, size_t n, size_t size)
{
    if (arr && n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap < n + 1)
        ncap = n + 1;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, ncap * size);
    if (!p)
        return NULL;
    /* n is the count needed, not the count held: never copy past the old capacity. */
    size_t keep = n < *cap ? n : *cap;
    if (arr && keep)
        memcpy(p, arr, keep * size);
    *cap = ncap;
    return p;
}

static void conn_close(store_sqlite_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    for (unsigned i = 0; i < SQ_DYN_CACHE; i++) {
        sqlite3_finalize(c->dyn[i].stmt);
        free(c->dyn[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

/* Opens a connection with the pragmas every connection needs; the writer also sets the
 * database-wide ones (WAL) and the durability ones. */
static store_sqlite_conn *conn_open(store_sqlite_store *s, int writer, error *err)
{
    store_sqlite_conn *c = calloc(1, sizeof *c);
    if (!c) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    c->owner = s;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (writer)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(c->db, rc, "open", err);
        goto cleanup;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->busy_timeout_ms);
    /* The writer gets the larger page cache: index pages it updates stay in memory between
     * batches. No memory map: remapping a growing file costs TLB shootdowns on every core,
     * and measured reads were no faster with it. */
    /* secure_delete: what a deletion or an anonymisation removes is overwritten with zeros
     * in the file, not merely unlinked from the b-tree (every write goes through the
     * writer, so the read connections need not set it). */
    const char *pragmas = writer ? "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
                                   "PRAGMA cache_size = -32768; PRAGMA secure_delete = ON;"
                                 /* a read connection must never write by mistake */
                                 : "PRAGMA foreign_keys = ON; PRAGMA query_only = ON;"
                                   "PRAGMA cache_size = -8192;";
    rc = sqlite3_exec(c->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(c->db, rc, "pragma", err);
        goto cleanup;
    }
    if (writer) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            if (!mode || strcmp((const char *)mode, "wal") != 0)
                log_warn("store: journal_mode is %s, not wal", mode ? (const char *)mode : "?");
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(c->db, rc, "journal_mode", err);
            goto cleanup;
        }
    }
    return c;
cleanup:
    conn_close(c);
    return NULL;
}

/* Runs when a thread that read through a store exits: its connection goes with it. */
static void reader_destroy(void *p)
{
    store_sqlite_conn *c = p;
    if (!c)
        return;
    store_sqlite_store *s = c->owner;
    pthread_mutex_lock(&s->readers_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->readers = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&s->readers_mu);
    conn_close(c);
}

store_sqlite_conn *store_sqlite_read_conn(store_sqlite_store *s, error *err)
{
    if (tls_tx_store == s)
        return s->wconn;
    store_sqlite_conn *c = pthread_getspecific(s->read_key);
    if (c)
        return c;
    c = conn_open(s, 0, err);
    if (!c)
        return NULL;
    if (pthread_setspecific(s->read_key, c) != 0) {
        conn_close(c);
        error_set(err, ERR_UNAVAILABLE, NULL, "pthread_setspecific failed");
        return NULL;
    }
    pthread_mutex_lock(&s->readers_mu);
    c->next = s->readers;
    if (s->readers)
        s->readers->prev = c;
    s->readers = c;
    pthread_mutex_unlock(&s->readers_mu);
    return c;
}

store_sqlite_conn *store_sqlite_write_conn(store_sqlite_store *s, error *err)
{
    if (tls_tx_store != s) {
        error_set(err, ERR_INTERNAL, NULL, "store write outside a write job");
        return NULL;
    }
    return s->wconn;
}

/* ---- transactions ---- */

/* Takes the writer connection for this thread and begins an IMMEDIATE transaction, so that
 * a concurrent writer in another process shows up here (busy, after busy_timeout) rather
 * than in the middle of a job. */
static int store_sqlite_tx_begin(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    pthread_mutex_lock(&s->write_mu);
    if (store_sqlite_exec_stmt(s->wconn, SQ_BEGIN_IMMEDIATE, "begin", err) != 0) {
        pthread_mutex_unlock(&s->write_mu);
        return -1;
    }
    tls_tx_store = s;
    return 0;
}

static void tx_end(store_sqlite_store *s)
{
    tls_tx_store = NULL;
    pthread_mutex_unlock(&s->write_mu);
}

/* On failure the transaction stays open (unless SQLite already rolled it back) and the
 * caller must call tx_rollback, which ends it and releases the writer connection. */
static int store_sqlite_tx_commit(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return error_set(err, ERR_UNAVAILABLE, NULL,
                         "commit: the transaction was rolled back by an earlier error");
    if (store_sqlite_exec_stmt(s->wconn, SQ_COMMIT, "commit", err) != 0)
        return -1;
    tx_end(s);
    return 0;
}

static void store_sqlite_tx_rollback(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (!sqlite3_get_autocommit(s->wconn->db)) {
        error e;
        if (store_sqlite_exec_stmt(s->wconn, SQ_ROLLBACK, "rollback", &e) != 0)
            log_error("store: rollback failed: %s", e.detail);
    }
    tx_end(s);
}

/* Refuses to start a savepoint when SQLite has already rolled the whole transaction back
 * (after an I/O error or a full disk): outside a transaction, SAVEPOINT would silently start
 * and RELEASE commit a new one, and the job would be reported failed yet be durable. */
static int store_sqlite_tx_savepoint(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return error_set(err, ERR_UNAVAILABLE, NULL,
                         "savepoint: the transaction was rolled back by an earlier error");
    return store_sqlite_exec_stmt(s->wconn, SQ_SAVEPOINT, "savepoint", err);
}

static int store_sqlite_tx_release(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    return store_sqlite_exec_stmt(s->wconn, SQ_RELEASE, "release", err);
}

/* Undoes the job's changes and also releases the savepoint, so that the next job starts
 * from the same nesting level. */
static void store_sqlite_tx_rollback_to(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (sqlite3_get_autocommit(s->wconn->db))
        return;
    error e;
    if (store_sqlite_exec_stmt(s->wconn, SQ_ROLLBACK_TO, "rollback to", &e) != 0 ||
        store_sqlite_exec_stmt(s->wconn, SQ_RELEASE, "release", &e) != 0)
        log_error("store: rollback to savepoint failed: %s", e.detail);
}

/* ---- migrations ---- */

static int migration_applied(sqlite3 *db, int version, int *applied, error *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE version = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 1, version);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        *applied = rc == SQLITE_ROW;
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(db, rc, "migrate", err);
}

static int migration_record(sqlite3 *db, int version, error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO schema_migrations (version, applied_at) "
                                "VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 1, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(db, rc, "migrate", err);
}

/* Applies each missing migration in its own IMMEDIATE transaction, checking inside it that
 * no other process applied it meanwhile. */
int store_sqlite_migrate(store *st, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    int ret = -1;
    pthread_mutex_lock(&s->write_mu);
    sqlite3 *db = s->wconn->db;
    int rc = sqlite3_exec(db,
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_fail(db, rc, "migrate", err);
        goto cleanup;
    }
    for (int v = 1; v <= store_sqlite_migration_count; v++) {
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(db, rc, "migrate", err);
            goto cleanup;
        }
        int applied = 0;
        if (migration_applied(db, v, &applied, err) != 0)
            goto rollback;
        if (!applied) {
            rc = sqlite3_exec(db, store_sqlite_migrations[v - 1], NULL, NULL, NULL);
            if (rc != SQLITE_OK) {
                store_sqlite_fail(db, rc, "migrate", err);
                log_error("store: migration %d failed", v);
                goto rollback;
            }
            if (migration_record(db, v, err) != 0)
                goto rollback;
        }
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_sqlite_fail(db, rc, "migrate", err);
            goto rollback;
        }
        if (!applied)
            log_info("store: applied migration %d", v);
    }
    ret = 0;
    goto cleanup;
rollback:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
    pthread_mutex_unlock(&s->write_mu);
    return ret;
}

int store_sqlite_schema_version(store *st, int *version, error *err)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    store_sqlite_conn *c = store_sqlite_read_conn(s, err);
    if (!c)
        return -1;
    *version = 0;
    sqlite3_stmt *q = NULL;
    /* A database that was never migrated has no schema_migrations table: version 0. */
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_schema WHERE "
                                "type = 'table' AND name = 'schema_migrations') THEN 1 ELSE 0 END",
                                -1, &q, NULL);
    int exists = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            exists = sqlite3_column_int(q, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_OK && exists) {
        rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                -1, &q, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(q);
            if (rc == SQLITE_ROW) {
                *version = sqlite3_column_int(q, 0);
                rc = SQLITE_OK;
            }
        }
        sqlite3_finalize(q);
    }
    return rc == SQLITE_OK ? 0 : store_sqlite_fail(c->db, rc, "schema_version", err);
}

/* ---- open and close ---- */

static void store_sqlite_close(store *st)
{
    store_sqlite_store *s = (store_sqlite_store *)st;
    if (!s)
        return;
    pthread_mutex_lock(&s->readers_mu);
    store_sqlite_conn *c = s->readers;
    s->readers = NULL;
    pthread_mutex_unlock(&s->readers_mu);
    while (c) {
        store_sqlite_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    /* Deleting the key runs no destructor; glibc stops returning the old values. */
    pthread_key_delete(s->read_key);
    conn_close(s->wconn);
    pthread_mutex_destroy(&s->readers_mu);
    pthread_mutex_destroy(&s->write_mu);
    free(s->path);
    free(s);
}

static const store_ops sqlite_ops = {
    .name = "sqlite",
    .close = store_sqlite_close,
    .migrate = store_sqlite_migrate,
    .schema_version = store_sqlite_schema_version,
    .compact = store_sqlite_compact,
    .catalogue = {
        .config_version = store_sqlite_config_version,
        .load = store_sqlite_catalogue_load,
        .tx_tenant_upsert = store_sqlite_tx_tenant_upsert,
        .tx_department_upsert = store_sqlite_tx_department_upsert,
        .tx_procedure_upsert = store_sqlite_tx_procedure_upsert,
        .tx_tenant_set_archives_visa = store_sqlite_tx_tenant_set_archives_visa,
    },
    .requests = {
        .get = store_sqlite_request_get,
        .get_by_id = store_sqlite_request_get_by_id,
        .search = store_sqlite_request_search,
        .count = store_sqlite_request_count,
        .near = store_sqlite_requests_near,
        .tx_get = store_sqlite_request_get, /* inside a job, reads use the writer connection */
        .tx_insert = store_sqlite_tx_request_insert,
        .tx_update = store_sqlite_tx_request_update,
        .tx_set_public = store_sqlite_tx_request_set_public,
        .tx_support = store_sqlite_tx_request_support,
    },
    .events = {
        .list = store_sqlite_events_list,
        .list_many = store_sqlite_events_list_many,
        .tx_insert = store_sqlite_tx_event_insert,
    },
    .attachments = {
        .tx_insert = store_sqlite_tx_attachment_insert,
        .get = store_sqlite_attachment_get,
        .list = store_sqlite_attachments_list,
        .tx_moderate = store_sqlite_tx_attachment_moderate,
        .file_known = store_sqlite_attachment_file_known,
    },
    .outbox = {
        .tx_insert = store_sqlite_tx_outbox_insert,
        .due = store_sqlite_outbox_due,
        .tx_sent = store_sqlite_tx_outbox_sent,
        .tx_retry = store_sqlite_tx_outbox_retry,
        .list = store_sqlite_outbox_list,
    },
    .accounts = {
        .get = store_sqlite_account_get,
        .find_email = store_sqlite_account_find_email,
        .tx_insert = store_sqlite_tx_account_insert,
        .tx_update = store_sqlite_tx_account_update,
        .tx_delete = store_sqlite_tx_account_delete,
    },
    .sessions = {
        .find = store_sqlite_session_find,
        .tx_insert = store_sqlite_tx_session_insert,
        .tx_touch = store_sqlite_tx_session_touch,
        .tx_delete = store_sqlite_tx_session_delete,
        .tx_delete_account = store_sqlite_tx_session_delete_account,
        .tx_delete_agent = store_sqlite_tx_session_delete_agent,
    },
    .tokens = {
        .tx_insert = store_sqlite_tx_token_insert,
        .tx_consume = store_sqlite_tx_token_consume,
    },
    .agents = {
        .get = store_sqlite_agent_get,
        .find_email = store_sqlite_agent_find_email,
        .list = store_sqlite_agent_list,
        .tx_insert = store_sqlite_tx_agent_insert,
        .tx_update = store_sqlite_tx_agent_update,
    },
    .saved_filters = {
        .list = store_sqlite_saved_filter_list,
        .tx_insert = store_sqlite_tx_saved_filter_insert,
        .tx_delete = store_sqlite_tx_saved_filter_delete,
    },
    .reply_templates = {
        .list = store_sqlite_reply_template_list,
        .tx_upsert = store_sqlite_tx_reply_template_upsert,
        .tx_delete = store_sqlite_tx_reply_template_delete,
    },
    .apikeys = {
        .find = store_sqlite_apikey_find,
        .list = store_sqlite_apikey_list,
        .tx_insert = store_sqlite_tx_apikey_insert,
        .tx_revoke = store_sqlite_tx_apikey_revoke,
    },
    .idempotency = {
        .find = store_sqlite_idempotency_find,
        .tx_insert = store_sqlite_tx_idempotency_insert,
    },
    .settings = {
        .get = store_sqlite_setting_get,
        .tx_set = store_sqlite_tx_setting_set,
        .tx_delete = store_sqlite_tx_setting_delete,
    },
    .audit = {
        .tx_append = store_sqlite_tx_audit_append,
        .last = store_sqlite_audit_last,
        .list = store_sqlite_audit_list,
        .tx_purge_before = store_sqlite_tx_audit_purge_before,
    },
    .retention = {
        .due = store_sqlite_requests_retention_due,
        .count = store_sqlite_requests_retention_count,
        .tx_anonymise = store_sqlite_tx_request_anonymise,
    },
    .disposal = {
        .tx_create = store_sqlite_tx_disposal_create,
        .list = store_sqlite_disposal_list,
        .get = store_sqlite_disposal_get,
        .items = store_sqlite_disposal_items,
        .tx_approve = store_sqlite_tx_disposal_approve,
        .tx_item_set = store_sqlite_tx_disposal_item_set,
        .tx_finish = store_sqlite_tx_disposal_finish,
    },
    .tx = {
        .begin = store_sqlite_tx_begin,
        .commit = store_sqlite_tx_commit,
        .rollback = store_sqlite_tx_rollback,
        .savepoint = store_sqlite_tx_savepoint,
        .release = store_sqlite_tx_release,
        .rollback_to = store_sqlite_tx_rollback_to,
    },
};

static int busy_timeout_from_env(void)
{
    const char *v = getenv("GUICHET_BUSY_TIMEOUT_MS");
    if (!v || !*v)
        return DEFAULT_BUSY_TIMEOUT_MS;
    char *end = NULL;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < 0 || ms > 600000) {
        log_warn("store: ignoring invalid GUICHET_BUSY_TIMEOUT_MS");
        return DEFAULT_BUSY_TIMEOUT_MS;
    }
    return (int)ms;
}

/* Process-wide SQLite settings, made once before the library initialises: without memory
 * statistics, SQLite's allocator takes no global mutex, which the pool threads would
 * otherwise contend on for every read. */
static void configure_sqlite_once(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

store *store_sqlite_open(const char *path, error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite_once);
    if (!path || !*path) {
        error_set(err, ERR_MISSING_ARG, "path", "database path is empty");
        return NULL;
    }
    store_sqlite_store *s = calloc(1, sizeof *s);
    if (!s) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        return NULL;
    }
    if (pthread_key_create(&s->read_key, reader_destroy) != 0) {
        free(s);
        error_set(err, ERR_UNAVAILABLE, NULL, "pthread_key_create failed");
        return NULL;
    }
    /* From here on store_sqlite_close releases whatever was set up. */
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_mutex_init(&s->readers_mu, NULL);
    s->base.ops = &sqlite_ops;
    s->busy_timeout_ms = busy_timeout_from_env();
    s->path = strdup(path);
    if (!s->path) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    s->wconn = conn_open(s, 1, err);
    if (!s->wconn)
        goto cleanup;
    return &s->base;
cleanup:
    store_sqlite_close(&s->base);
    return NULL;
}

/*
 * migrations — the SQLite schema, as numbered migrations embedded in the binary. A migration
 * is never edited once released: a change to the schema is a new entry at the end. Each runs
 * in its own transaction together with its row in schema_migrations (see store_sqlite_migrate).
 */
#include "store/sqlite/sq.h"

/* Bumps config_version after every change to a catalogue table, so that a server notices
 * changes made by a CLI command in another process by polling one row. */
#define CONFIG_TRIGGERS(t)                                                                         \
    "CREATE TRIGGER " t "_config_ai AFTER INSERT ON " t " BEGIN "                                  \
    "UPDATE config_version SET version = version + 1 WHERE id = 1; END;\n"                         \
    "CREATE TRIGGER " t "_config_au AFTER UPDATE ON " t " BEGIN "                                  \
    "UPDATE config_version SET version = version + 1 WHERE id = 1; END;\n"                         \
    "CREATE TRIGGER " t "_config_ad AFTER DELETE ON " t " BEGIN "                                  \
    "UPDATE config_version SET version = version + 1 WHERE id = 1; END;\n"

static const char migration_1[] =
    "CREATE TABLE tenants (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  slug TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL,\n"
    "  hosts TEXT NOT NULL DEFAULT '',\n"
    "  timezone TEXT NOT NULL DEFAULT 'Europe/Paris',\n"
    "  contact TEXT,\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TABLE departments (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  email TEXT,\n"
    "  UNIQUE (tenant_id, code)\n"
    ") STRICT;\n"
    "CREATE TABLE procedures (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  group_name TEXT,\n"
    "  description TEXT,\n"
    "  keywords TEXT,\n"
    "  attributes TEXT,\n"
    "  service_notice TEXT,\n"
    "  department_id INTEGER REFERENCES departments(id),\n"
    "  kind INTEGER NOT NULL DEFAULT 0,\n"
    "  is_public INTEGER NOT NULL DEFAULT 0,\n"
    "  open311 INTEGER NOT NULL DEFAULT 0,\n"
    "  delay_days INTEGER NOT NULL DEFAULT 0,\n"
    "  active INTEGER NOT NULL DEFAULT 1,\n"
    "  UNIQUE (tenant_id, code)\n"
    ") STRICT;\n"
    "CREATE TABLE api_keys (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  name TEXT NOT NULL,\n"
    "  scope TEXT NOT NULL CHECK (scope IN ('open311', 'api', 'gateway')),\n"
    "  key_hash TEXT NOT NULL UNIQUE,\n"
    "  prefix TEXT,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  revoked_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);\n"
    "CREATE TABLE requests (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  reference TEXT NOT NULL,\n"
    "  token_hash TEXT,\n"
    "  procedure_id INTEGER NOT NULL REFERENCES procedures(id),\n"
    "  status TEXT NOT NULL,\n"
    "  channel TEXT NOT NULL,\n"
    "  description TEXT,\n"
    "  lat REAL,\n"
    "  lon REAL,\n"
    "  address TEXT,\n"
    "  address_id TEXT,\n"
    "  zipcode TEXT,\n"
    "  attributes TEXT,\n"
    "  first_name TEXT,\n"
    "  last_name TEXT,\n"
    "  email TEXT,\n"
    "  phone TEXT,\n"
    "  device_id TEXT,\n"
    "  account_id TEXT,\n"
    "  media_url TEXT,\n"
    "  department_id INTEGER REFERENCES departments(id),\n"
    "  assignee TEXT,\n"
    "  priority INTEGER NOT NULL DEFAULT 1,\n"
    "  status_notes TEXT,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  closed_at INTEGER,\n"
    "  due_at INTEGER,\n"
    "  api_key_id INTEGER REFERENCES api_keys(id),\n"
    "  UNIQUE (tenant_id, reference)\n"
    ") STRICT;\n"
    "CREATE INDEX requests_created ON requests (tenant_id, created_at DESC, id DESC);\n"
    "CREATE INDEX requests_procedure ON requests (tenant_id, procedure_id, status, created_at);\n"
    "CREATE INDEX requests_status ON requests (tenant_id, status, created_at);\n"
    "CREATE INDEX requests_updated ON requests (tenant_id, updated_at);\n"
    "CREATE TABLE request_events (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  is_public INTEGER NOT NULL DEFAULT 0,\n"
    "  actor TEXT,\n"
    "  channel TEXT,\n"
    "  status_from TEXT,\n"
    "  status_to TEXT,\n"
    "  body TEXT\n"
    ") STRICT;\n"
    "CREATE INDEX request_events_request ON request_events (request_id, id);\n"
    "CREATE TABLE reference_counters (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  year INTEGER NOT NULL,\n"
    "  last INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, year)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TABLE idempotency_keys (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  api_key_id INTEGER NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, api_key_id, key)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TABLE settings (\n"
    "  name TEXT PRIMARY KEY,\n"
    "  value TEXT\n"
    ") STRICT;\n"
    "CREATE TABLE config_version (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  version INTEGER NOT NULL\n"
    ") STRICT;\n"
    "INSERT INTO config_version (id, version) VALUES (1, 1);\n" CONFIG_TRIGGERS("tenants")
        CONFIG_TRIGGERS("departments") CONFIG_TRIGGERS("procedures") CONFIG_TRIGGERS("api_keys");

/* The citizens' portal: accounts, sessions, single-use tokens, the outbox, attachments,
 * "moi aussi" supports, and the request and procedure columns they need. None of the new
 * tables is configuration: they bump no config_version. */
static const char migration_2[] =
    "CREATE TABLE accounts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    /* stored lowercased by the store; NOCASE also keeps older mixed-case rows unique */
    "  email TEXT NOT NULL COLLATE NOCASE,\n"
    "  password_hash TEXT,\n"
    "  display_name TEXT,\n"
    "  phone TEXT,\n"
    "  notify TEXT NOT NULL DEFAULT 'email' CHECK (notify IN ('email', 'sms', 'none')),\n"
    "  lang TEXT NOT NULL DEFAULT 'fr',\n"
    "  email_verified_at INTEGER,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  UNIQUE (tenant_id, email)\n"
    ") STRICT;\n"
    "CREATE TABLE sessions (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  token_hash TEXT NOT NULL UNIQUE,\n"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  last_seen_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX sessions_account ON sessions (tenant_id, account_id);\n"
    "CREATE TABLE account_tokens (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),\n"
    "  purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'login')),\n"
    "  token_hash TEXT NOT NULL UNIQUE,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL,\n"
    "  used_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX account_tokens_account ON account_tokens (account_id);\n"
    "ALTER TABLE requests ADD COLUMN citizen_id INTEGER REFERENCES accounts(id);\n"
    "ALTER TABLE requests ADD COLUMN notify TEXT;\n"
    "ALTER TABLE requests ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE requests ADD COLUMN rating INTEGER NOT NULL DEFAULT 0 "
    "CHECK (rating BETWEEN 0 AND 5);\n"
    "ALTER TABLE requests ADD COLUMN rating_comment TEXT;\n"
    "ALTER TABLE requests ADD COLUMN supporters INTEGER NOT NULL DEFAULT 0;\n"
    /* A citizen's requests are `citizen_id = ? OR email = ? COLLATE NOCASE`: with an index on
     * each side SQLite answers the OR with two index lookups instead of a scan. */
    "CREATE INDEX requests_citizen ON requests (tenant_id, citizen_id, created_at);\n"
    "CREATE INDEX requests_email ON requests (tenant_id, email COLLATE NOCASE, created_at);\n"
    "CREATE INDEX requests_public ON requests (tenant_id, is_public, created_at);\n"
    "ALTER TABLE procedures ADD COLUMN auto_public INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE procedures ADD COLUMN allow_anonymous INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE TABLE outbox (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  channel TEXT NOT NULL,\n"
    "  recipient TEXT NOT NULL,\n"
    "  template TEXT NOT NULL,\n"
    "  params TEXT,\n"
    "  lang TEXT NOT NULL DEFAULT 'fr',\n"
    "  request_id INTEGER REFERENCES requests(id),\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  next_attempt_at INTEGER NOT NULL,\n"
    "  sent_at INTEGER,\n"
    "  failed INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT\n"
    ") STRICT;\n"
    /* outbox_due's scan: only messages still to send are in it, so sent mail piling up
     * costs the dispatcher nothing. */
    "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed = 0;\n"
    "CREATE INDEX outbox_request ON outbox (request_id);\n"
    "CREATE INDEX outbox_tenant ON outbox (tenant_id, id);\n"
    "CREATE TABLE attachments (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  event_id INTEGER REFERENCES request_events(id),\n"
    "  filename TEXT,\n"
    "  content_type TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  storage_name TEXT NOT NULL UNIQUE,\n"
    "  thumb_name TEXT,\n"
    "  is_photo INTEGER NOT NULL DEFAULT 0,\n"
    "  moderation TEXT NOT NULL DEFAULT 'pending' "
    "CHECK (moderation IN ('pending', 'approved', 'rejected')),\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX attachments_request ON attachments (request_id);\n"
    "CREATE TABLE request_supports (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  supporter_key TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (request_id, supporter_key)\n"
    ") STRICT, WITHOUT ROWID;\n";

/* The phone number as the search index holds it: as written and digits only, so that
 * "06 12 34" and "0612" both find "06 12 34 56 78". Used identically by every trigger, as
 * the contentless index's 'delete' needs exactly the values once inserted. */
#define FTS_PHONE(row)                                                                             \
    "coalesce(" row ".phone, '') || ' ' || replace(replace(replace(replace(replace("               \
    "coalesce(" row ".phone, ''), ' ', ''), '.', ''), '-', ''), '+', ''), '/', '')"
#define FTS_VALUES(row)                                                                            \
    row ".id, " row ".reference, " row ".description, " row ".address, " row ".first_name, " row   \
        ".last_name, " row ".email, " FTS_PHONE(row)
#define FTS_COLUMNS "rowid, reference, description, address, first_name, last_name, email, phone"

/* The back office: agents and their departments, agent sessions, the hash-chained audit log,
 * saved filters, reply templates, full-text search over requests, and the indexes of the
 * inbox (departments, assignee, overdue) and of the mobile view (nearby requests). */
static const char migration_3[] =
    "CREATE TABLE agents (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  email TEXT NOT NULL COLLATE NOCASE,\n"
    "  name TEXT NOT NULL,\n"
    "  role TEXT NOT NULL CHECK (role IN ('agent', 'manager', 'elected', 'admin')),\n"
    "  password_hash TEXT,\n"
    "  totp_secret TEXT,\n"
    "  totp_enabled INTEGER NOT NULL DEFAULT 0,\n"
    "  active INTEGER NOT NULL DEFAULT 1,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  last_login_at INTEGER,\n"
    "  UNIQUE (tenant_id, email)\n"
    ") STRICT;\n"
    "CREATE TABLE agent_departments (\n"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,\n"
    "  department_id INTEGER NOT NULL REFERENCES departments(id),\n"
    "  PRIMARY KEY (agent_id, department_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX agent_departments_department ON agent_departments (department_id);\n"
    /* A session belongs to a citizen or to an agent. account_id was NOT NULL and a CHECK
     * cannot be added by ALTER TABLE, so the table is rebuilt (nothing references it). */
    "CREATE TABLE sessions_v3 (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  token_hash TEXT NOT NULL UNIQUE,\n"
    "  account_id INTEGER REFERENCES accounts(id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  last_seen_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL,\n"
    "  agent_id INTEGER REFERENCES agents(id),\n"
    "  CHECK ((account_id IS NULL) <> (agent_id IS NULL))\n"
    ") STRICT;\n"
    "INSERT INTO sessions_v3 (id, tenant_id, token_hash, account_id, created_at, last_seen_at, "
    "expires_at) SELECT id, tenant_id, token_hash, account_id, created_at, last_seen_at, "
    "expires_at FROM sessions;\n"
    "DROP TABLE sessions;\n"
    "ALTER TABLE sessions_v3 RENAME TO sessions;\n"
    "CREATE INDEX sessions_account ON sessions (tenant_id, account_id);\n"
    "CREATE INDEX sessions_agent ON sessions (tenant_id, agent_id);\n"
    /* AUTOINCREMENT: an id is never reused, even after retention emptied the log. */
    "CREATE TABLE audit_log (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  at INTEGER NOT NULL,\n"
    "  agent_id INTEGER REFERENCES agents(id),\n"
    "  actor TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  object_kind TEXT,\n"
    "  object_ids TEXT,\n"
    "  source TEXT,\n"
    "  prev_hash TEXT,\n"
    "  hash TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);\n"
    "CREATE INDEX audit_log_at ON audit_log (tenant_id, at);\n"
    /* Append-only for the application; someone bypassing this with the sqlite3 shell is
     * what the hash chain detects. Retention deletes old rows: DELETE stays allowed. */
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN "
    "SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"
    "CREATE TABLE saved_filters (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL,\n"
    "  query TEXT NOT NULL,\n"
    "  UNIQUE (tenant_id, agent_id, name)\n"
    ") STRICT;\n"
    "CREATE TABLE reply_templates (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  name TEXT NOT NULL,\n"
    "  body TEXT NOT NULL,\n"
    "  UNIQUE (tenant_id, name)\n"
    ") STRICT;\n"
    /* Contentless: the index holds derived values (see FTS_PHONE) and request_search only
     * needs the rowids. remove_diacritics 2 folds accents, so "eclairage" finds "éclairage". */
    "CREATE VIRTUAL TABLE requests_fts USING fts5 (reference, description, address, "
    "first_name, last_name, email, phone, content = '', "
    "tokenize = 'unicode61 remove_diacritics 2');\n"
    "INSERT INTO requests_fts (" FTS_COLUMNS ") SELECT " FTS_VALUES(
        "r") " FROM requests r;\n"
             "CREATE TRIGGER requests_fts_ai AFTER INSERT ON requests BEGIN "
             "INSERT INTO requests_fts (" FTS_COLUMNS ") VALUES (" FTS_VALUES(
                 "new") "); END;\n"
                        "CREATE TRIGGER requests_fts_ad AFTER DELETE ON requests BEGIN "
                        "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS
                        ") VALUES ('delete', " FTS_VALUES(
                            "old") "); END;\n"
                                   "CREATE TRIGGER requests_fts_au AFTER UPDATE OF reference, "
                                   "description, address, "
                                   "first_name, last_name, email, phone ON requests BEGIN "
                                   "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS
                                   ") VALUES ('delete', " FTS_VALUES(
                                       "old") "); "
                                              "INSERT INTO requests_fts (" FTS_COLUMNS
                                              ") VALUES (" FTS_VALUES(
                                                  "new") "); END;\n"
                                                         "CREATE INDEX requests_geo ON requests "
                                                         "(tenant_id, lat, lon);\n"
                                                         "CREATE INDEX requests_due ON requests "
                                                         "(tenant_id, due_at);\n"
                                                         "CREATE INDEX requests_department ON "
                                                         "requests (tenant_id, department_id, "
                                                         "created_at);\n"
                                                         "CREATE INDEX requests_assignee ON "
                                                         "requests (tenant_id, assignee, "
                                                         "created_at);\n";

/* Indexes that only some rows need become partial: a request filed without an account, an
 * e-mail, an assignee or publication (most Open311 reports) then writes none of them, which
 * made durable creates about 15 % faster (make bench). Every query that uses them states
 * the same condition (citizen_id = ?, email = ?, assignee = ?, is_public = 1,
 * closed_at IS NULL). */
static const char migration_4[] =
    "DROP INDEX requests_citizen;\n"
    "CREATE INDEX requests_citizen ON requests (tenant_id, citizen_id, created_at)"
    " WHERE citizen_id IS NOT NULL;\n"
    "DROP INDEX requests_email;\n"
    "CREATE INDEX requests_email ON requests (tenant_id, email COLLATE NOCASE, created_at)"
    " WHERE email IS NOT NULL;\n"
    "DROP INDEX requests_public;\n"
    "CREATE INDEX requests_public ON requests (tenant_id, created_at) WHERE is_public = 1;\n"
    "DROP INDEX requests_assignee;\n"
    "CREATE INDEX requests_assignee ON requests (tenant_id, assignee, created_at)"
    " WHERE assignee IS NOT NULL;\n"
    "DROP INDEX requests_due;\n"
    "CREATE INDEX requests_due ON requests (tenant_id, due_at) WHERE closed_at IS NULL;\n";

/* Host names choose the tenant of a request and build the links of its e-mails, so a name
 * belongs to one tenant only: tenant_hosts holds every name of tenants.hosts, keyed by the
 * name. Lists written before were not checked: they are split here (commas too), and a name
 * two tenants listed stays with the older one, which is the one that answered on it. The
 * lists that differ are then rewritten from the table, lowercase and one space apart (only
 * those: a clean database sees no configuration change). */
static const char migration_5[] =
    "CREATE TABLE tenant_hosts (\n"
    "  host TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  position INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX tenant_hosts_tenant ON tenant_hosts (tenant_id, position);\n"
    "WITH RECURSIVE split (tenant_id, position, name, rest) AS (\n"
    "  SELECT id, 0, '', ltrim(replace(lower(hosts), ',', ' ')) || ' ' FROM tenants\n"
    "  UNION ALL\n"
    "  SELECT tenant_id, position + 1, substr(rest, 1, instr(rest, ' ') - 1),\n"
    "         ltrim(substr(rest, instr(rest, ' ') + 1)) FROM split WHERE rest <> ''\n"
    ")\n"
    "INSERT OR IGNORE INTO tenant_hosts (host, tenant_id, position)\n"
    "  SELECT name, tenant_id, position FROM split WHERE name <> '' ORDER BY tenant_id, position;\n"
    "UPDATE tenants SET hosts = l.hosts FROM (SELECT t.id, coalesce((SELECT group_concat(host, "
    "' ') FROM (SELECT host FROM tenant_hosts h WHERE h.tenant_id = t.id ORDER BY position)), '')"
    " AS hosts FROM tenants t) AS l WHERE l.id = tenants.id AND l.hosts <> tenants.hosts;\n";

/* Hardening (issue 9). What Open311 GETs show of each procedure's requests
 * (open311_detail: 0 nothing, 1 status only, 2 everything but personal data): procedures
 * that are not public start at nothing, public ones keep what they showed so far. The
 * thumbnail index lets the start-up sweep of the uploads directory tell orphan files from
 * referenced ones without a scan per file. */
static const char migration_6[] =
    "ALTER TABLE procedures ADD COLUMN open311_detail INTEGER NOT NULL DEFAULT 0"
    " CHECK (open311_detail IN (0, 1, 2));\n"
    "UPDATE procedures SET open311_detail = 2 WHERE is_public = 1;\n"
    "CREATE INDEX attachments_thumb ON attachments (thumb_name) WHERE thumb_name IS NOT NULL;\n";

/* RGPD retention (issue «Hardening»). Each procedure keeps its closed requests for
 * retention_months before they are anonymised (24 for incidents, 36 for démarches until an
 * administrator says otherwise); a collectivité may require the visa of its archives service
 * before anything is destroyed (tenants.archives_visa), and the requests then wait on a
 * bordereau d'élimination (disposal_lists, whose numbers are never reused: an archivist
 * cites them) until an administrator records the visa. anonymised_at marks a request whose
 * personal data are gone; erase_requested_at one whose citizen deleted their account, to be
 * anonymised as soon as it is closed. The partial indexes hold only what a retention pass
 * still has to look at, so anonymised history costs it nothing. */
static const char migration_7[] =
    "ALTER TABLE procedures ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 24"
    " CHECK (retention_months BETWEEN 1 AND 1200);\n"
    "UPDATE procedures SET retention_months = 36 WHERE kind = 1;\n"
    "ALTER TABLE tenants ADD COLUMN archives_visa INTEGER NOT NULL DEFAULT 0"
    " CHECK (archives_visa IN (0, 1));\n"
    "ALTER TABLE requests ADD COLUMN anonymised_at INTEGER;\n"
    "ALTER TABLE requests ADD COLUMN erase_requested_at INTEGER;\n"
    "CREATE INDEX requests_retention ON requests (tenant_id, procedure_id, closed_at)"
    " WHERE closed_at IS NOT NULL AND anonymised_at IS NULL;\n"
    "CREATE INDEX requests_erase ON requests (tenant_id, closed_at)"
    " WHERE erase_requested_at IS NOT NULL AND anonymised_at IS NULL;\n"
    "CREATE TABLE disposal_lists (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'done')),\n"
    "  n_requests INTEGER NOT NULL,\n"
    "  approved_by INTEGER REFERENCES agents(id),\n"
    "  approved_at INTEGER,\n"
    "  done_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX disposal_lists_tenant ON disposal_lists (tenant_id, id);\n"
    "CREATE TABLE disposal_items (\n"
    "  list_id INTEGER NOT NULL REFERENCES disposal_lists(id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  state TEXT NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'done', 'kept')),\n"
    "  PRIMARY KEY (list_id, request_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX disposal_items_due ON disposal_items (list_id, request_id) WHERE state = 'due';\n"
    /* Deleting an account removes its «moi aussi» key and the e-mails addressed to it alone
     * (verification, reset): these find them without a scan. */
    "CREATE INDEX request_supports_key ON request_supports (supporter_key);\n"
    "CREATE INDEX outbox_account_mail ON outbox (tenant_id, recipient COLLATE NOCASE)"
    " WHERE request_id IS NULL;\n"
    /* Accounts can now be deleted: an id must never come back, or the audit log's entries
     * about a deleted account would seem to name whoever got its id next. The table has no
     * AUTOINCREMENT (rebuilding it under its foreign keys is not worth it), so the highest
     * id ever deleted is kept here and account inserts start above it. */
    "CREATE TABLE accounts_retired (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  last INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TRIGGER accounts_retire AFTER DELETE ON accounts BEGIN "
    "INSERT INTO accounts_retired (id, last) VALUES (1, old.id) "
    "ON CONFLICT (id) DO UPDATE SET last = max(last, excluded.last); END;\n";

/* Version 8: Open311 service request updates. A comment an Open311 client posts is a public
 * timeline event; the row beside it keeps what only that channel brings (the client's own
 * update id, which makes a repeated POST the same update, the status it sent, its date, the
 * author's name and contact, a media URL). The partial index serves the updates feed, which
 * lists a collectivité's public events by date. */
static const char migration_8[] =
    "CREATE TABLE open311_updates (\n"
    "  event_id INTEGER PRIMARY KEY REFERENCES request_events(id),\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests(id),\n"
    "  api_key_id INTEGER NOT NULL REFERENCES api_keys(id),\n"
    "  client_update_id TEXT NOT NULL,\n"
    "  client_status TEXT NOT NULL,\n"
    "  client_datetime INTEGER NOT NULL,\n"
    "  media_url TEXT,\n"
    "  first_name TEXT,\n"
    "  last_name TEXT,\n"
    "  email TEXT,\n"
    "  phone TEXT,\n"
    "  UNIQUE (api_key_id, client_update_id)\n"
    ") STRICT;\n"
    "CREATE INDEX open311_updates_request ON open311_updates (request_id);\n"
    "CREATE INDEX request_events_public_time ON request_events (tenant_id, created_at, id)"
    " WHERE is_public = 1;\n";

/* Version 9: the inbox's counts kept up to date. Each tab of the back office's inbox counts
 * requests by status, department and assignee; at ten million requests a count(*) walks
 * hundreds of thousands of index entries per tab and page load. These counters, maintained
 * by triggers in the writing transaction itself (so they can never drift from the rows),
 * answer those counts by summing a few dozen rows. NULL department and assignee count as 0
 * and '' (no department, nobody). */
static const char migration_9[] =
    "CREATE TABLE request_counts (\n"
    "  tenant_id INTEGER NOT NULL,\n"
    "  department_id INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL,\n"
    "  assignee TEXT NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, status, department_id, assignee)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO request_counts (tenant_id, department_id, status, assignee, n) "
    "SELECT tenant_id, coalesce(department_id, 0), status, coalesce(assignee, ''), count(*) "
    "FROM requests GROUP BY 1, 2, 3, 4;\n"
    "CREATE TRIGGER requests_count_insert AFTER INSERT ON requests BEGIN "
    "INSERT INTO request_counts (tenant_id, department_id, status, assignee, n) VALUES "
    "(new.tenant_id, coalesce(new.department_id, 0), new.status, coalesce(new.assignee, ''), 1) "
    "ON CONFLICT DO UPDATE SET n = n + 1; END;\n"
    "CREATE TRIGGER requests_count_delete AFTER DELETE ON requests BEGIN "
    "UPDATE request_counts SET n = n - 1 WHERE tenant_id = old.tenant_id AND "
    "department_id = coalesce(old.department_id, 0) AND status = old.status AND "
    "assignee = coalesce(old.assignee, ''); END;\n"
    "CREATE TRIGGER requests_count_update AFTER UPDATE OF tenant_id, department_id, status, "
    "assignee ON requests WHEN old.tenant_id IS NOT new.tenant_id OR old.department_id IS NOT "
    "new.department_id OR old.status IS NOT new.status OR old.assignee IS NOT new.assignee BEGIN "
    "UPDATE request_counts SET n = n - 1 WHERE tenant_id = old.tenant_id AND "
    "department_id = coalesce(old.department_id, 0) AND status = old.status AND "
    "assignee = coalesce(old.assignee, ''); "
    "INSERT INTO request_counts (tenant_id, department_id, status, assignee, n) VALUES "
    "(new.tenant_id, coalesce(new.department_id, 0), new.status, coalesce(new.assignee, ''), 1) "
    "ON CONFLICT DO UPDATE SET n = n + 1; END;\n";

/* Version 10: the language of a request (issue 11): every message about it (acknowledgement,
 * replies) is written in the language its citizen used when filing, not in French whatever
 * they read. Requests filed before had no such column: their acknowledgement, queued in the
 * language of the form, is the best witness left of it (its row keeps its language after
 * being sent), so requests acknowledged in English become English ones. */
static const char migration_10[] =
    "ALTER TABLE requests ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr'"
    " CHECK (lang IN ('fr', 'en'));\n"
    "UPDATE requests SET lang = 'en' WHERE id IN (SELECT request_id FROM outbox"
    " WHERE template = 'request_ack' AND lang = 'en' AND request_id IS NOT NULL);\n";

/* Version 11: a collectivité's branding and public settings (issue 11): its colours (checked
 * for contrast by core), opening hours, contact details, the centre of its maps and its logo.
 * One row per tenant, none until an administrator sets something: every column may be NULL,
 * which means guichet's default. The logo is a PNG guichet encoded itself, bounded by core;
 * the catalogue reads every column but the logo's bytes. A change is configuration: it bumps
 * config_version, so that every server process reloads its catalogue. */
static const char migration_11[] = "CREATE TABLE tenant_branding (\n"
                                   "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),\n"
                                   "  colour_primary TEXT,\n"
                                   "  colour_secondary TEXT,\n"
                                   "  hours TEXT,\n"
                                   "  hours_notes TEXT,\n"
                                   "  address TEXT,\n"
                                   "  phone TEXT,\n"
                                   "  email TEXT,\n"
                                   "  website TEXT,\n"
                                   "  map_lat REAL CHECK (map_lat BETWEEN -90 AND 90),\n"
                                   "  map_lon REAL CHECK (map_lon BETWEEN -180 AND 180),\n"
                                   "  map_zoom INTEGER CHECK (map_zoom BETWEEN 1 AND 19),\n"
                                   "  logo BLOB,\n"
                                   "  logo_hash TEXT,\n"
                                   "  logo_width INTEGER,\n"
                                   "  logo_height INTEGER,\n"
                                   "  updated_at INTEGER NOT NULL\n"
                                   ") STRICT;\n" CONFIG_TRIGGERS("tenant_branding");

/* Version 12: the full-text index knows each request's department. A search within an
 * agent's departments used to walk every match of its words and look each request up to
 * test its department: a word common elsewhere («lampadaire» for the voirie) meant tens of
 * thousands of lookups for a page. A `scope` column holding one token, "d<department id>"
 * ("d0": none), lets the index intersect the two lists itself; request_search keeps the
 * citizen's words to the other columns. The last word of a search is a prefix: «rue» is
 * also «ruelle», «rues»…, and FTS5 merges every such term's list at each search (30-70 ms for
 * a three-letter word at a million requests); prefix indexes of 2 and 3 characters answer
 * those at once, for 13 % more database (measured: 1.75 → 1.97 KB per request). The index is
 * rebuilt from the rows as they are now (anonymised ones included, whose personal columns are
 * already empty). */
#define FTS_SCOPE(row) "'d' || coalesce(" row ".department_id, 0)"
#define FTS_VALUES_SCOPED(row) FTS_VALUES(row) ", " FTS_SCOPE(row)
#define FTS_COLUMNS_SCOPED FTS_COLUMNS ", scope"
static const char migration_12[] =
    "DROP TRIGGER requests_fts_ai;\n"
    "DROP TRIGGER requests_fts_ad;\n"
    "DROP TRIGGER requests_fts_au;\n"
    "DROP TABLE requests_fts;\n"
    "CREATE VIRTUAL TABLE requests_fts USING fts5 (reference, description, address, "
    "first_name, last_name, email, phone, scope, content = '', prefix = '2 3', "
    "tokenize = 'unicode61 remove_diacritics 2');\n"
    "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED ") SELECT " FTS_VALUES_SCOPED(
        "r") " FROM requests r;\n"
             "CREATE TRIGGER requests_fts_ai AFTER INSERT ON requests BEGIN "
             "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED ") VALUES (" FTS_VALUES_SCOPED(
                 "new") "); END;\n"
                        "CREATE TRIGGER requests_fts_ad AFTER DELETE ON requests BEGIN "
                        "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS_SCOPED
                        ") VALUES ('delete', " FTS_VALUES_SCOPED(
                            "old") "); END;\n"
                                   "CREATE TRIGGER requests_fts_au AFTER UPDATE OF reference, "
                                   "description, address, "
                                   "first_name, last_name, email, phone, department_id ON requests "
                                   "BEGIN "
                                   "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS_SCOPED
                                   ") VALUES ('delete', " FTS_VALUES_SCOPED(
                                       "old") "); "
                                              "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED
                                              ") VALUES (" FTS_VALUES_SCOPED("new") "); END;\n";

/* Version 13: merging a duplicate into the request that goes on (request_merge). The
 * duplicate keeps its own row and timeline, closed, and names the survivor; the partial
 * index holds only merged requests, for the survivor's list of them. A «moi aussi» now
 * marks the keys it records together with one random number (`supporter`), so that a
 * merge can tell the duplicate's supporters apart and count each one once on the survivor;
 * older rows have none and are told apart by their second. The survivor's copies of what
 * the duplicate's citizen wrote (events, and through them their files) name the request
 * they were copied from (`copied_from`), so that erasing that request erases them too. */
static const char migration_13[] =
    "ALTER TABLE requests ADD COLUMN merged_into INTEGER REFERENCES requests(id);\n"
    "ALTER TABLE request_supports ADD COLUMN supporter INTEGER;\n"
    "ALTER TABLE request_events ADD COLUMN copied_from INTEGER REFERENCES requests(id);\n"
    "CREATE INDEX request_events_copied_from ON request_events (copied_from)"
    " WHERE copied_from IS NOT NULL;\n"
    "CREATE INDEX requests_merged_into ON requests (tenant_id, merged_into)"
    " WHERE merged_into IS NOT NULL;\n";

/* Version 14: searches bounded at ten million requests. The index's `scope` column also
 * holds "o1" for an open request and "o0" for a closed one (closed_at), and "y<year>" for
 * the year it was filed (UTC), so that the index itself intersects a search with the open
 * requests an inbox tab shows and with the years a search walks, newest first (an AND of
 * lists ends when its shortest ends: a year's list bounds the walk even when nothing
 * matches, which a rowid range does not). The update trigger now re-indexes a request only
 * when an indexed value changes: the update statement sets every column, so the trigger
 * used to re-index the whole row at each status change or assignment. */
#define FTS_SCOPE_14(row)                                                                          \
    "'d' || coalesce(" row ".department_id, 0) || ' o' || (" row ".closed_at IS NULL) || "         \
    "' y' || strftime('%Y', " row ".created_at, 'unixepoch')"
#define FTS_VALUES_14(row) FTS_VALUES(row) ", " FTS_SCOPE_14(row)
static const char migration_14[] =
    "DROP TRIGGER requests_fts_ai;\n"
    "DROP TRIGGER requests_fts_ad;\n"
    "DROP TRIGGER requests_fts_au;\n"
    "DROP TABLE requests_fts;\n"
    "CREATE VIRTUAL TABLE requests_fts USING fts5 (reference, description, address, "
    "first_name, last_name, email, phone, scope, content = '', prefix = '2 3', "
    "tokenize = 'unicode61 remove_diacritics 2');\n"
    "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED ") SELECT " FTS_VALUES_14(
        "r") " FROM requests r;\n"
             "CREATE TRIGGER requests_fts_ai AFTER INSERT ON requests BEGIN "
             "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED ") VALUES (" FTS_VALUES_14(
                 "new") "); END;\n"
                        "CREATE TRIGGER requests_fts_ad AFTER DELETE ON requests BEGIN "
                        "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS_SCOPED
                        ") VALUES ('delete', " FTS_VALUES_14(
                            "old") "); END;\n"
                                   "CREATE TRIGGER requests_fts_au AFTER UPDATE OF reference, "
                                   "description, address, "
                                   "first_name, last_name, email, phone, department_id, closed_at, "
                                   "created_at ON requests "
                                   "WHEN old.reference IS NOT new.reference OR old.description IS "
                                   "NOT new.description "
                                   "OR old.address IS NOT new.address OR old.first_name IS NOT "
                                   "new.first_name "
                                   "OR old.last_name IS NOT new.last_name OR old.email IS NOT "
                                   "new.email "
                                   "OR old.phone IS NOT new.phone OR old.department_id IS NOT "
                                   "new.department_id "
                                   "OR (old.closed_at IS NULL) IS NOT (new.closed_at IS NULL) "
                                   "OR old.created_at IS NOT new.created_at BEGIN "
                                   "INSERT INTO requests_fts (requests_fts, " FTS_COLUMNS_SCOPED
                                   ") VALUES ('delete', " FTS_VALUES_14(
                                       "old") "); "
                                              "INSERT INTO requests_fts (" FTS_COLUMNS_SCOPED
                                              ") VALUES (" FTS_VALUES_14("new") "); END;\n";

/* Version 15: the audit log read by request and by agent. Who read a citizen's request is
 * the question an RGPD access request asks; the entries name requests in a comma-separated
 * list (a page of the inbox names 25), so each request an entry names also gets a row of its
 * own, written with the entry (sqlite_audit.c) and deleted with it; the entries already
 * there are split once here. */
static const char migration_15[] =
    "CREATE TABLE audit_log_requests (\n"
    "  request_id INTEGER NOT NULL,\n"
    "  audit_id INTEGER NOT NULL REFERENCES audit_log(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (request_id, audit_id)\n"
    ") WITHOUT ROWID, STRICT;\n"
    "CREATE INDEX audit_log_requests_audit ON audit_log_requests (audit_id);\n"
    "CREATE INDEX audit_log_agent ON audit_log (tenant_id, agent_id, id);\n"
    "WITH RECURSIVE split(audit_id, rest, id) AS (\n"
    "  SELECT id, object_ids || ',', NULL FROM audit_log\n"
    "   WHERE object_kind = 'request' AND object_ids IS NOT NULL AND object_ids <> ''\n"
    "  UNION ALL\n"
    "  SELECT audit_id, substr(rest, instr(rest, ',') + 1),\n"
    "         CAST(substr(rest, 1, instr(rest, ',') - 1) AS INTEGER)\n"
    "    FROM split WHERE rest <> '')\n"
    "INSERT OR IGNORE INTO audit_log_requests (request_id, audit_id)\n"
    "  SELECT id, audit_id FROM split WHERE id > 0;\n";

/* Version 16: the short tracking code (issue 12). A citizen can dictate or copy a request's
 * reference and an 8-character code, which the request keeps only as a keyed hash
 * (short_code_hash, NULL for requests filed before: they keep their long link). Wrong
 * codes slow the next attempt down: code_failures counts them per reference and per client
 * network (scope "reference" / "address"; the network only as a keyed hash), each row
 * forgotten a day after its last failure; the index on last_failure_at lets that purge find
 * them. */
static const char migration_16[] =
    "ALTER TABLE requests ADD COLUMN short_code_hash TEXT;\n"
    "CREATE TABLE code_failures (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  scope TEXT NOT NULL CHECK (scope IN ('reference', 'address')),\n"
    "  key TEXT NOT NULL,\n"
    "  failures INTEGER NOT NULL CHECK (failures > 0),\n"
    "  last_failure_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, scope, key)\n"
    ") WITHOUT ROWID, STRICT;\n"
    "CREATE INDEX code_failures_last ON code_failures (last_failure_at);\n";

/* Version 17: the legal notice's facts in the collectivité's settings — the publication's
 * director, the data protection officer's contact, the host — edited in the back office
 * beside the branding, so that «Mentions légales» names them instead of a generic text. */
static const char migration_17[] =
    "ALTER TABLE tenant_branding ADD COLUMN publication_director TEXT;\n"
    "ALTER TABLE tenant_branding ADD COLUMN dpo TEXT;\n"
    "ALTER TABLE tenant_branding ADD COLUMN host TEXT;\n";

/* Version 18: procedures in English — the name, the description and the notice shown after
 * filing, each optional (the French is shown where none is given), edited in the back
 * office beside the French. */
static const char migration_18[] = "ALTER TABLE procedures ADD COLUMN name_en TEXT;\n"
                                   "ALTER TABLE procedures ADD COLUMN description_en TEXT;\n"
                                   "ALTER TABLE procedures ADD COLUMN service_notice_en TEXT;\n";

/* Version 19: the collectivité's address list (the Base Adresse Nationale's, imported by
 * `guichet address import`), searched as a citizen types an address and read back from a
 * position. A list is a set of rows: an import fills a 'loading' set, then one small write
 * makes it 'current' (at most one per tenant) and the former one 'old', purged afterwards in
 * bounded writes, so that readers always see one whole list. Addresses are grouped by
 * street (commune, postcode, name: the fields they share); a street's words, folded
 * («eglise» for «Église»), are indexed in address_words so that a prefix typed finds its
 * streets by a range scan. addresses_geo serves the nearest address by a bounding box. */
static const char migration_19[] =
    "CREATE TABLE address_sets (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  state TEXT NOT NULL CHECK (state IN ('loading', 'current', 'old')),\n"
    "  count INTEGER NOT NULL DEFAULT 0,\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE UNIQUE INDEX address_sets_current ON address_sets (tenant_id) WHERE state = "
    "'current';\n"
    "CREATE INDEX address_sets_state ON address_sets (tenant_id, state);\n"
    "CREATE TABLE address_streets (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  set_id INTEGER NOT NULL REFERENCES address_sets(id),\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  name TEXT NOT NULL,\n"
    "  postcode TEXT NOT NULL,\n"
    "  insee TEXT NOT NULL,\n"
    "  commune TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  label TEXT NOT NULL,\n"
    "  lat REAL,\n"
    "  lon REAL,\n"
    "  UNIQUE (set_id, insee, postcode, name)\n"
    ") STRICT;\n"
    "CREATE TABLE address_words (\n"
    "  set_id INTEGER NOT NULL,\n"
    "  word TEXT NOT NULL,\n"
    "  street_id INTEGER NOT NULL,\n"
    "  PRIMARY KEY (set_id, word, street_id)\n"
    ") WITHOUT ROWID, STRICT;\n"
    "CREATE TABLE addresses (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  set_id INTEGER NOT NULL REFERENCES address_sets(id),\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  street_id INTEGER NOT NULL REFERENCES address_streets(id),\n"
    "  ban_id TEXT NOT NULL,\n"
    "  number INTEGER NOT NULL,\n"
    "  rep TEXT,\n"
    "  lat REAL NOT NULL,\n"
    "  lon REAL NOT NULL,\n"
    "  label TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX addresses_street ON addresses (street_id, number);\n"
    "CREATE INDEX addresses_geo ON addresses (set_id, lat, lon);\n";

/* Version 20 (issue 12, «A look a mairie is proud of»): each procedure's icon, a name from
 * the icon set embedded in the binary (vendor/icons.txt), NULL for its kind's default; and
 * how many requests each procedure received each day, so that the portal's home page can
 * name the three most used procedures of the last 90 days by summing at most 90 rows per
 * procedure instead of walking hundreds of thousands of requests at ten million. The counts
 * are kept by triggers in the writing transaction itself, as request_counts are (version 9),
 * so they never drift from the rows; day is created_at's UTC day (unix seconds / 86400). */
static const char migration_20[] =
    "ALTER TABLE procedures ADD COLUMN icon TEXT;\n"
    "CREATE TABLE procedure_day_counts (\n"
    "  tenant_id INTEGER NOT NULL,\n"
    "  procedure_id INTEGER NOT NULL,\n"
    "  day INTEGER NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, day, procedure_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO procedure_day_counts (tenant_id, procedure_id, day, n) "
    "SELECT tenant_id, procedure_id, created_at / 86400, count(*) FROM requests "
    "GROUP BY 1, 2, 3;\n"
    "CREATE TRIGGER requests_day_count_insert AFTER INSERT ON requests BEGIN "
    "INSERT INTO procedure_day_counts (tenant_id, procedure_id, day, n) VALUES "
    "(new.tenant_id, new.procedure_id, new.created_at / 86400, 1) "
    "ON CONFLICT DO UPDATE SET n = n + 1; END;\n"
    "CREATE TRIGGER requests_day_count_delete AFTER DELETE ON requests BEGIN "
    "UPDATE procedure_day_counts SET n = n - 1 WHERE tenant_id = old.tenant_id AND "
    "day = old.created_at / 86400 AND procedure_id = old.procedure_id; END;\n"
    "CREATE TRIGGER requests_day_count_update AFTER UPDATE OF tenant_id, procedure_id, "
    "created_at ON requests WHEN old.tenant_id IS NOT new.tenant_id OR old.procedure_id IS NOT "
    "new.procedure_id OR old.created_at IS NOT new.created_at BEGIN "
    "UPDATE procedure_day_counts SET n = n - 1 WHERE tenant_id = old.tenant_id AND "
    "day = old.created_at / 86400 AND procedure_id = old.procedure_id; "
    "INSERT INTO procedure_day_counts (tenant_id, procedure_id, day, n) VALUES "
    "(new.tenant_id, new.procedure_id, new.created_at / 86400, 1) "
    "ON CONFLICT DO UPDATE SET n = n + 1; END;\n";

/* Version 21: the public text of a request (issue 12). Citizens write names, phone numbers
 * and plates in their descriptions, so the public pages and Open311 show instead a text an
 * agent wrote or approved (public_description; NULL: none approved, nothing shown). The
 * partial index holds only the located requests a public page may show that are still
 * open: «déjà signalé près d'ici» walks a bounding box of it, a few hundred rows even at ten
 * million requests, instead of every request ever filed in the box (requests_geo). */
static const char migration_21[] =
    "ALTER TABLE requests ADD COLUMN public_description TEXT;\n"
    "CREATE INDEX requests_public_open_geo ON requests (tenant_id, lat, lon)"
    " WHERE is_public = 1 AND closed_at IS NULL AND lat IS NOT NULL;\n";

/* Version 22: a procedure's delay counted in jours ouvrés rather than calendar days (the
 * French public holidays of util/workdays, weekends), 0 for every procedure until an
 * administrator chooses it. */
static const char migration_22[] =
    "ALTER TABLE procedures ADD COLUMN delay_working INTEGER NOT NULL DEFAULT 0;\n";

/* Version 23 (issue 13, «Routing»): each collectivité's areas — the territories of its
 * departments (routing), its quartiers and its broadcast areas —, imported a kind at a time
 * by `guichet area import`. The geometry is the GeoJSON text; lookups do not read it here:
 * core builds an in-memory grid from these rows (faster than an R*Tree query per point) and
 * rebuilds it when config_version moves, which the triggers bump as for the catalogue.
 * position keeps the file's order, the order in which a point's areas are tried. */
static const char migration_23[] =
    "CREATE TABLE areas (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('department', 'quartier', 'broadcast')),\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  department_id INTEGER REFERENCES departments(id),\n"
    "  position INTEGER NOT NULL,\n"
    "  min_lat REAL NOT NULL,\n"
    "  min_lon REAL NOT NULL,\n"
    "  max_lat REAL NOT NULL,\n"
    "  max_lon REAL NOT NULL,\n"
    "  vertices INTEGER NOT NULL,\n"
    "  geometry TEXT NOT NULL,\n"
    "  UNIQUE (tenant_id, kind, code)\n"
    ") STRICT;\n"
    "CREATE INDEX areas_order ON areas (tenant_id, kind, position);\n" CONFIG_TRIGGERS("areas");

/* Version 24 (issue 13, «Routing»): each collectivité's routing rules, tried in position order
 * (the first that matches gives the request's department), and the department routing falls
 * back to after the procedure's own. A rule's conditions are all optional: a procedure, one
 * of its fields holding a value, a location within a department area — the area's own
 * department (area_mode 'own', no department of the rule) or a named one (by code: an
 * import replaces the areas' rows). Both tables are configuration: the catalogue reads them
 * into its snapshot, so that routing a request reads nothing here. */
static const char migration_24[] =
    "CREATE TABLE routing_rules (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),\n"
    "  procedure_id INTEGER REFERENCES procedures(id),\n"
    "  field_code TEXT,\n"
    "  field_value TEXT,\n"
    "  area_mode TEXT NOT NULL DEFAULT 'none' CHECK (area_mode IN ('none', 'own', 'named')),\n"
    "  area_code TEXT,\n"
    "  department_id INTEGER REFERENCES departments(id),\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  UNIQUE (tenant_id, name),\n"
    "  CHECK ((field_code IS NULL) = (field_value IS NULL)),\n"
    "  CHECK ((area_mode = 'named') = (area_code IS NOT NULL)),\n"
    "  CHECK (area_mode = 'own' OR department_id IS NOT NULL)\n"
    ") STRICT;\n"
    "CREATE INDEX routing_rules_order ON routing_rules (tenant_id, position);\n"
    "CREATE TABLE routing_defaults (\n"
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),\n"
    "  department_id INTEGER REFERENCES departments(id)\n"
    ") STRICT;\n" CONFIG_TRIGGERS("routing_rules") CONFIG_TRIGGERS("routing_defaults");

/* Version 25 (issue 13, «Forms»): a procedure's form is versioned. Every upsert whose
 * attribute definitions differ from the latest version's adds the next version (who and
 * why with it); a request keeps the version it was filed under (procedure_version), so that
 * a form changed later never changes how it shows. Existing procedures get their version 1
 * from their current attributes, and existing requests point at it. */
static const char migration_25[] =
    "CREATE TABLE procedure_versions (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  procedure_id INTEGER NOT NULL REFERENCES procedures(id),\n"
    "  version INTEGER NOT NULL CHECK (version >= 1),\n"
    "  definition TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  created_by TEXT NOT NULL,\n"
    "  summary TEXT,\n"
    "  PRIMARY KEY (procedure_id, version)\n"
    ") STRICT;\n"
    "INSERT INTO procedure_versions (tenant_id, procedure_id, version, definition, created_at, "
    "created_by, summary) SELECT tenant_id, id, 1, coalesce(attributes, '[]'), "
    "CAST(strftime('%s', 'now') AS INTEGER), 'cli', 'Version initiale' FROM procedures;\n"
    "ALTER TABLE requests ADD COLUMN procedure_version INTEGER NOT NULL DEFAULT 1;\n";

/* Version 26 (issue 13, «Workflows»): statuses and transitions become data, per collectivité.
 * A workflow has its statuses (labels for agents and for citizens, a colour of the badge
 * palette whose every value passes AA contrast with its text, the Open311 open/closed and
 * extended status, visible to citizens or not, final, initial: one per workflow, which core
 * checks on load) and its transitions (from and to a status code, a label, the agent roles
 * that may take it, whether a comment is required). A closed status (open311 'closed': the
 * request is done, closed_at is set) may still be left — an incident resolved, then reopened —
 * and may name reopen_to, where the citizen's «pas réglé» (Open311 REOPEN) takes the request;
 * a final status is a closed one with no transition out (a démarche accepted or refused). Status
 * rows are kept narrow and keyed by (workflow, code) so that later columns (timeouts, actions) fit
 * beside them.
 *
 * Three workflows ship with every collectivité: those of today's tenants are seeded here and
 * a trigger gives them to every tenant created afterwards, from the same SQL (SEED_WORKFLOWS),
 * so the two cannot drift. Every existing procedure gets the incident workflow, whose codes
 * are exactly the fixed statuses of before (no request row changes) and whose transitions are
 * exactly those core/status.c allowed: an open status to any other but back to new; a closed
 * one to in_progress, acknowledged or another closed one. A procedure created afterwards
 * takes the workflow of its kind unless one is named (catalogue.tx_procedure_upsert). */
#define WF_ROLES "'agent manager admin'"
/* The rows of the shipped workflows' statuses and transitions, each VALUES tuple led by its
 * workflow's code; the démarche's take that code as W, since SEED_SVA seeds a copy of it
 * («demarche_sva») from the same rows. */
#define WF_INCIDENT_STATUSES                                                                       \
    "('incident', 'new', 1, 'nouvelle', 'new', 'blue', 'open', NULL, 0, 1, NULL), "                \
    "('incident', 'acknowledged', 2, 'prise en compte', 'acknowledged', 'purple', 'open', "        \
    "'INVESTIGATING', 0, 0, NULL), "                                                               \
    "('incident', 'in_progress', 3, 'en cours', 'in progress', 'amber', 'open', 'IN_PROGRESS', "   \
    "0, 0, NULL), "                                                                                \
    "('incident', 'resolved', 4, 'résolue', 'resolved', 'green', 'closed', 'FIXED', 0, 0, "       \
    "'in_progress'), "                                                                             \
    "('incident', 'rejected', 5, 'rejetée', 'rejected', 'red', 'closed', 'NO_FURTHER_ACTION', "   \
    "0, 0, NULL), "                                                                                \
    "('incident', 'duplicate', 6, 'doublon', 'duplicate', 'grey', 'closed', 'DUPLICATE', 0, 0, "   \
    "NULL)"
#define WF_DEMARCHE_STATUSES(W)                                                                    \
    "('" W "', 'submitted', 1, 'déposée', 'submitted', 'blue', 'open', NULL, 0, 1, NULL), "      \
    "('" W "', 'under_review', 2, 'en instruction', 'under review', 'amber', 'open', "             \
    "'IN_PROGRESS', 0, 0, NULL), "                                                                 \
    "('" W "', 'correction_requested', 3, 'correction demandée', 'correction requested', "        \
    "'purple', 'open', 'ACTION_SCHEDULED', 0, 0, NULL), "                                          \
    "('" W "', 'accepted', 4, 'acceptée', 'accepted', 'green', 'closed', 'FIXED', 1, 0, NULL), "  \
    "('" W "', 'refused', 5, 'refusée', 'refused', 'red', 'closed', 'NO_FURTHER_ACTION', 1, 0, "  \
    "NULL), "                                                                                      \
    "('" W "', 'dropped', 6, 'classée sans suite', 'dropped', 'grey', 'closed', 'CANCELLED', 1, " \
    "0, NULL)"
#define WF_QUESTION_STATUSES                                                                       \
    "('question', 'new', 1, 'nouvelle', 'new', 'blue', 'open', NULL, 0, 1, NULL), "                \
    "('question', 'answered', 2, 'répondue', 'answered', 'green', 'closed', 'FIXED', 1, 0, NULL)"
#define WF_INCIDENT_TRANSITIONS                                                                    \
    "('incident', 1, 'new', 'acknowledged', 'Prendre en compte', 'Acknowledge', 0), "              \
    "('incident', 2, 'new', 'in_progress', 'Passer en cours', 'Start work', 0), "                  \
    "('incident', 3, 'new', 'resolved', 'Résoudre', 'Resolve', 0), "                              \
    "('incident', 4, 'new', 'rejected', 'Rejeter', 'Reject', 0), "                                 \
    "('incident', 5, 'new', 'duplicate', 'Classer en doublon', 'Close as duplicate', 0), "         \
    "('incident', 6, 'acknowledged', 'in_progress', 'Passer en cours', 'Start work', 0), "         \
    "('incident', 7, 'acknowledged', 'resolved', 'Résoudre', 'Resolve', 0), "                     \
    "('incident', 8, 'acknowledged', 'rejected', 'Rejeter', 'Reject', 0), "                        \
    "('incident', 9, 'acknowledged', 'duplicate', 'Classer en doublon', 'Close as duplicate', "    \
    "0), "                                                                                         \
    "('incident', 10, 'in_progress', 'acknowledged', 'Revenir à prise en compte', "               \
    "'Back to acknowledged', 0), "                                                                 \
    "('incident', 11, 'in_progress', 'resolved', 'Résoudre', 'Resolve', 0), "                     \
    "('incident', 12, 'in_progress', 'rejected', 'Rejeter', 'Reject', 0), "                        \
    "('incident', 13, 'in_progress', 'duplicate', 'Classer en doublon', 'Close as duplicate', "    \
    "0), "                                                                                         \
    "('incident', 14, 'resolved', 'acknowledged', 'Rouvrir (prise en compte)', "                   \
    "'Reopen (acknowledged)', 0), "                                                                \
    "('incident', 15, 'resolved', 'in_progress', 'Rouvrir (en cours)', 'Reopen (in progress)', "   \
    "0), "                                                                                         \
    "('incident', 16, 'resolved', 'rejected', 'Rejeter', 'Reject', 0), "                           \
    "('incident', 17, 'resolved', 'duplicate', 'Classer en doublon', 'Close as duplicate', 0), "   \
    "('incident', 18, 'rejected', 'acknowledged', 'Rouvrir (prise en compte)', "                   \
    "'Reopen (acknowledged)', 0), "                                                                \
    "('incident', 19, 'rejected', 'in_progress', 'Rouvrir (en cours)', 'Reopen (in progress)', "   \
    "0), "                                                                                         \
    "('incident', 20, 'rejected', 'resolved', 'Résoudre', 'Resolve', 0), "                        \
    "('incident', 21, 'rejected', 'duplicate', 'Classer en doublon', 'Close as duplicate', 0), "   \
    "('incident', 22, 'duplicate', 'acknowledged', 'Rouvrir (prise en compte)', "                  \
    "'Reopen (acknowledged)', 0), "                                                                \
    "('incident', 23, 'duplicate', 'in_progress', 'Rouvrir (en cours)', 'Reopen (in progress)', "  \
    "0), "                                                                                         \
    "('incident', 24, 'duplicate', 'resolved', 'Résoudre', 'Resolve', 0), "                       \
    "('incident', 25, 'duplicate', 'rejected', 'Rejeter', 'Reject', 0)"
#define WF_DEMARCHE_TRANSITIONS(W)                                                                 \
    "('" W "', 1, 'submitted', 'under_review', 'Mettre en instruction', 'Start the review', 0), "  \
    "('" W "', 2, 'under_review', 'accepted', 'Accepter', 'Accept', 0), "                          \
    "('" W "', 3, 'under_review', 'refused', 'Refuser', 'Refuse', 1), "                            \
    "('" W "', 4, 'under_review', 'dropped', 'Classer sans suite', 'Drop', 1), "                   \
    "('" W "', 5, 'under_review', 'correction_requested', 'Demander une correction', "             \
    "'Ask for a correction', 1), "                                                                 \
    "('" W "', 6, 'correction_requested', 'under_review', 'Reprendre l''instruction', "            \
    "'Resume the review', 0)"
#define WF_QUESTION_TRANSITIONS "('question', 1, 'new', 'answered', 'Répondre', 'Answer', 1)"
/* INSERTs of status and transition rows: ROWS of VALUES for the workflows of the TENANTS
 * (a SELECT of tenant ids) whose codes lead them. */
#define WF_STATUSES_INSERT(ROWS, TENANTS)                                                          \
    "INSERT INTO workflow_statuses (workflow_id, code, position, agent_label, agent_label_en, "    \
    "citizen_label, citizen_label_en, colour, open311, extended_status, citizen_visible, "         \
    "is_final, is_initial, reopen_to) SELECT w.id, v.column2, v.column3, v.column4, v.column5, "   \
    "v.column4, v.column5, v.column6, v.column7, v.column8, 1, v.column9, v.column10, "            \
    "v.column11 FROM workflows w JOIN (VALUES " ROWS ") v ON v.column1 = w.code WHERE "            \
    "w.tenant_id IN (" TENANTS ");\n"
#define WF_TRANSITIONS_INSERT(ROWS, TENANTS)                                                       \
    "INSERT INTO workflow_transitions (workflow_id, position, from_code, to_code, label, "         \
    "label_en, roles, comment_required) SELECT w.id, v.column2, v.column3, v.column4, v.column5, " \
    "v.column6, " WF_ROLES ", v.column7 FROM workflows w JOIN (VALUES " ROWS ") v ON "             \
    "v.column1 = w.code WHERE w.tenant_id IN (" TENANTS ");\n"
#define SEED_WORKFLOWS(TENANTS)                                                                    \
    "INSERT INTO workflows (tenant_id, code, name, name_en) SELECT t.id, v.column1, v.column2, "   \
    "v.column3 FROM (" TENANTS ") t, (VALUES ('incident', 'Signalement', 'Incident report'), "     \
    "('demarche', 'Démarche administrative', 'Administrative procedure'), "                       \
    "('question', 'Question simple', 'Simple question')) v;\n" WF_STATUSES_INSERT(                 \
        WF_INCIDENT_STATUSES ", " WF_DEMARCHE_STATUSES("demarche") ", " WF_QUESTION_STATUSES,      \
        TENANTS)                                                                                   \
        WF_TRANSITIONS_INSERT(WF_INCIDENT_TRANSITIONS ", " WF_DEMARCHE_TRANSITIONS(                \
                                  "demarche") ", " WF_QUESTION_TRANSITIONS,                        \
                              TENANTS)

static const char migration_26[] =
    "CREATE TABLE workflows (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  name_en TEXT,\n"
    "  UNIQUE (tenant_id, code)\n"
    ") STRICT;\n"
    "CREATE TABLE workflow_statuses (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  code TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  agent_label TEXT NOT NULL,\n"
    "  agent_label_en TEXT,\n"
    "  citizen_label TEXT NOT NULL,\n"
    "  citizen_label_en TEXT,\n"
    "  colour TEXT NOT NULL CHECK (colour IN ('blue', 'purple', 'amber', 'green', 'red', "
    "'grey', 'teal')),\n"
    "  open311 TEXT NOT NULL CHECK (open311 IN ('open', 'closed')),\n"
    "  extended_status TEXT CHECK (extended_status IN ('FIXED', 'IN_PROGRESS', "
    "'ACTION_SCHEDULED', 'INVESTIGATING', 'DUPLICATE', 'NOT_COUNCILS_RESPONSIBILITY', "
    "'NO_FURTHER_ACTION', 'INTERNAL_REFERRAL', 'FOR_TRIAGE', 'CANCELLED')),\n"
    "  citizen_visible INTEGER NOT NULL DEFAULT 1,\n"
    "  is_final INTEGER NOT NULL DEFAULT 0,\n"
    "  is_initial INTEGER NOT NULL DEFAULT 0,\n"
    "  reopen_to TEXT,\n"
    "  UNIQUE (workflow_id, code)\n"
    ") STRICT;\n"
    "CREATE UNIQUE INDEX workflow_statuses_initial ON workflow_statuses (workflow_id) "
    "WHERE is_initial = 1;\n"
    "CREATE TABLE workflow_transitions (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  position INTEGER NOT NULL,\n"
    "  from_code TEXT NOT NULL,\n"
    "  to_code TEXT NOT NULL,\n"
    "  label TEXT NOT NULL,\n"
    "  label_en TEXT,\n"
    "  roles TEXT NOT NULL,\n"
    "  comment_required INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (workflow_id, from_code, to_code),\n"
    "  FOREIGN KEY (workflow_id, from_code) REFERENCES workflow_statuses (workflow_id, code),\n"
    "  FOREIGN KEY (workflow_id, to_code) REFERENCES workflow_statuses (workflow_id, code)\n"
    ") STRICT;\n"
    "ALTER TABLE procedures ADD COLUMN workflow_id INTEGER REFERENCES "
    "workflows(id);\n" SEED_WORKFLOWS(
        "SELECT id FROM tenants") "UPDATE procedures SET workflow_id = (SELECT w.id FROM workflows "
                                  "w WHERE w.tenant_id = "
                                  "procedures.tenant_id AND w.code = 'incident');\n"
                                  "CREATE TRIGGER tenants_workflows AFTER INSERT ON tenants "
                                  "BEGIN " SEED_WORKFLOWS(
                                      "SELECT new.id AS id") "END;\n" CONFIG_TRIGGERS("workflows")
                                      CONFIG_TRIGGERS("workflow_statuses")
                                          CONFIG_TRIGGERS("workflow_transitions");

/* Version 27 (issue 13, «Timeouts»): the collectivité's calendar of public holidays, which
 * every delay it counts in days follows: 0 the national list, 1 Alsace-Moselle's with Good
 * Friday and 26 December (util/workdays' workdays_region). A setting beside the branding's,
 * edited on the same page; 0 for every collectivité until an administrator chooses.
 * And requests_due, the open requests by due date that the inbox's SLA views and their
 * counts walk, now also holds what the tabs filter on (status, department, assignee): a
 * view of a tab then tests each request in the index, never reading its row — on the bench's
 * million requests, 91,000 of them open and late, the count of «Nouvelles» that are late went
 * from 41 ms to 3 ms, that of one agent's from 270 ms to 13 ms. One agent's own open requests
 * by due date (requests_due_assignee, «À traiter» in a view, and the views' counts on that
 * tab) are a range of their own, which a new, unassigned request never writes: 0.1 ms. */
static const char migration_27[] =
    "ALTER TABLE tenant_branding ADD COLUMN holidays INTEGER NOT NULL DEFAULT 0"
    " CHECK (holidays IN (0, 1));\n"
    "DROP INDEX requests_due;\n"
    "CREATE INDEX requests_due ON requests (tenant_id, due_at, status, department_id, assignee)"
    " WHERE closed_at IS NULL;\n"
    "CREATE INDEX requests_due_assignee ON requests (tenant_id, assignee, due_at)"
    " WHERE closed_at IS NULL AND assignee IS NOT NULL;\n";

/* Version 28 (issue 13, «Scheduler»): persistent jobs and webhooks. A job is a row that
 * survives restarts: the scheduler runs the pending ones whose due_at has passed (those due
 * while the server was down at start-up), walking the index (state, due_at). The unique
 * key (tenant, kind, request, ukey) makes scheduling idempotent: a job scheduled twice by
 * the same cause is one row. Webhook subscriptions keep their secret in the clear: it keys
 * an HMAC the server computes, so a hash would not do; it is shown once to the
 * administrator. due_warning_days is a collectivité's setting (NULL: the default, 2 days;
 * 0: no warning). */
static const char migration_28[] =
    "CREATE TABLE jobs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  request_id INTEGER REFERENCES requests(id),\n"
    "  kind TEXT NOT NULL,\n"
    "  ukey TEXT NOT NULL DEFAULT '',\n"
    "  due_at INTEGER NOT NULL,\n"
    "  payload TEXT NOT NULL DEFAULT '{}',\n"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', "
    "'failed', 'cancelled')),\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  done_at INTEGER\n"
    ") STRICT;\n"
    "CREATE UNIQUE INDEX jobs_key ON jobs (tenant_id, kind, coalesce(request_id, 0), ukey);\n"
    "CREATE INDEX jobs_due ON jobs (state, due_at);\n"
    "CREATE INDEX jobs_request ON jobs (request_id, kind) WHERE request_id IS NOT NULL;\n"
    "CREATE TABLE webhooks (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  url TEXT NOT NULL,\n"
    "  events TEXT NOT NULL,\n"
    "  secret TEXT NOT NULL,\n"
    "  active INTEGER NOT NULL DEFAULT 1,\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX webhooks_tenant ON webhooks (tenant_id);\n"
    "ALTER TABLE tenant_branding ADD COLUMN due_warning_days INTEGER;\n";

/* Version 29 (issue 13, «Editing»): the versions of each workflow the back office's editor
 * saves, each with its whole definition as JSON (so that a version reads alone, whatever
 * became of the statuses since), who saved it and the changes it made (a JSON array core
 * computes from the difference with the version before). No version exists until a first
 * save, which keeps the definition it found as version 1. */
static const char migration_29[] = "CREATE TABLE workflow_versions (\n"
                                   "  id INTEGER PRIMARY KEY,\n"
                                   "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
                                   "  version INTEGER NOT NULL,\n"
                                   "  definition TEXT NOT NULL,\n"
                                   "  created_at INTEGER NOT NULL,\n"
                                   "  created_by TEXT,\n"
                                   "  summary TEXT NOT NULL DEFAULT '[]',\n"
                                   "  UNIQUE (workflow_id, version)\n"
                                   ") STRICT;\n";

/* Version 30 (issue 13, «Actions on entering a status»): what happens when a request enters
 * a status of its workflow, in order (position): notify the citizen or the department, route
 * again, set a new due date, ask the citizen for a correction, call one webhook. params is a
 * JSON object whose keys depend on the kind; core/workflow_action.h checks it when the
 * catalogue is loaded (a workflow with a bad action is left out, as for a bad transition).
 * The shipped workflows get theirs, those of today's collectivités here and those of
 * collectivités created afterwards from the trigger, which is made again with both seeds
 * (SQLite fires the most recent trigger first, so a second trigger would run before the
 * workflows it refers to exist). Incident: the citizen told when it is acknowledged,
 * resolved or rejected; démarche: told of every status after its filing (whose own e-mail is
 * the acknowledgement), asked for a correction that brings the request back under review,
 * and given two months (60 calendar days) of instruction each time the review starts;
 * question: told when it is answered. */
#define SEED_ACTIONS_OF(TENANTS, WORKFLOWS)                                                        \
    "INSERT INTO workflow_actions (workflow_id, status_code, position, kind, params) SELECT "      \
    "w.id, v.column2, v.column3, v.column4, v.column5 FROM workflows w JOIN (VALUES "              \
    "('incident', 'acknowledged', 1, 'notify_citizen', '{}'), "                                    \
    "('incident', 'resolved', 1, 'notify_citizen', '{}'), "                                        \
    "('incident', 'rejected', 1, 'notify_citizen', '{}'), "                                        \
    "('demarche', 'under_review', 1, 'set_due_date', '{\"days\":60,\"working\":false}'), "         \
    "('demarche', 'under_review', 2, 'notify_citizen', '{}'), "                                    \
    "('demarche', 'correction_requested', 1, 'notify_citizen', '{}'), "                            \
    "('demarche', 'correction_requested', 2, 'ask_citizen', '{\"return_to\":\"under_review\"}'), " \
    "('demarche', 'accepted', 1, 'notify_citizen', '{}'), "                                        \
    "('demarche', 'refused', 1, 'notify_citizen', '{}'), "                                         \
    "('demarche', 'dropped', 1, 'notify_citizen', '{}'), "                                         \
    "('question', 'answered', 1, 'notify_citizen', '{}')) v "                                      \
    "ON v.column1 = CASE w.code WHEN 'demarche_sva' THEN 'demarche' ELSE w.code END "              \
    "WHERE w.tenant_id IN (" TENANTS ") AND w.code IN (" WORKFLOWS ");\n"
/* The shipped workflows' actions; demarche_sva (migration 31) takes the démarche's. */
#define SEED_WORKFLOW_ACTIONS(TENANTS)                                                             \
    SEED_ACTIONS_OF(TENANTS, "'incident', 'demarche', 'question', 'demarche_sva'")

#define TENANTS_WORKFLOWS_TRIGGER                                                                  \
    "DROP TRIGGER tenants_workflows;\n"                                                            \
    "CREATE TRIGGER tenants_workflows AFTER INSERT ON tenants BEGIN " SEED_WORKFLOWS(              \
        "SELECT new.id AS id") SEED_WORKFLOW_ACTIONS("SELECT new.id AS id") "END;\n"

static const char migration_30[] =
    "CREATE TABLE workflow_actions (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  status_code TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('notify_citizen', 'notify_department', "
    "'assign_by_rule', 'set_due_date', 'ask_citizen', 'webhook')),\n"
    "  params TEXT NOT NULL DEFAULT '{}',\n"
    "  FOREIGN KEY (workflow_id, status_code) REFERENCES workflow_statuses (workflow_id, code)\n"
    ") STRICT;\n"
    "CREATE INDEX workflow_actions_status ON workflow_actions (workflow_id, status_code, "
    "position);\n" SEED_WORKFLOW_ACTIONS("SELECT id FROM tenants")
        TENANTS_WORKFLOWS_TRIGGER CONFIG_TRIGGERS("workflow_actions");

/* Version 31 (issue 13, «Timeouts»): what happens when a request stays in a status — after a
 * delay counted in calendar days, working days (the collectivité's holidays) or calendar
 * months (the law's «deux mois»), either a jump to another status of the workflow (which must
 * be a transition from that status; meaning says what the silence of the administration
 * means: accord, rejet or none), or a reminder to the agents (the assignee, else the
 * department's) or to the citizen, repeated every repeat_days days repeat_times more times.
 * warn_before: the agents are warned that many days before a jump. Keyed by (workflow,
 * status, position); core (core/workflow_timeout.h) checks the rest.
 *
 * The shipped workflows get none, but a fourth one ships, «demarche_sva»: the démarche's
 * statuses and transitions (the same rows as SEED_WORKFLOWS'), with silence vaut accord two
 * months after the request entered under_review — the law counts from the receipt of a
 * complete file (CRPA L231-1, L114-5), which «déposée» is not yet: its review starts once
 * the file is found complete, and a correction asked sets the clock again when the
 * instruction resumes —, the agents warned 7 days before; and a reminder to the citizen 15
 * days into correction_requested, repeated twice every 15 days. Seeded for today's
 * collectivités and, for every new one, by migration 26's trigger made again to seed it after
 * the three others (one trigger, so that the order of the workflows — the shipped ones by
 * id — does not hang on the order SQLite fires two triggers in), with the démarche's actions
 * (migration 30) for it too. */
#define SVA_TIMEOUTS(TENANTS)                                                                      \
    "INSERT INTO workflow_timeouts (workflow_id, status_code, position, delay, unit, kind, "       \
    "target, meaning, whom, repeat_days, repeat_times, warn_before) SELECT w.id, v.column1, 1, "   \
    "v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, "     \
    "v.column10 FROM workflows w, (VALUES ('under_review', 2, 'months', 'jump', 'accepted', "      \
    "'accord', NULL, 0, 0, 7), ('correction_requested', 15, 'days', 'remind', NULL, 'none', "      \
    "'citizen', 15, 2, 0)) v WHERE w.code = 'demarche_sva' AND w.tenant_id IN (" TENANTS ");\n"
#define SVA_WORKFLOW(TENANTS)                                                                      \
    "INSERT INTO workflows (tenant_id, code, name, name_en) SELECT t.id, 'demarche_sva', "         \
    "'Démarche — silence vaut accord (2 mois)', 'Procedure — silence means consent (2 "       \
    "months)' FROM (" TENANTS ") t;\n"
#define SEED_SVA(TENANTS)                                                                          \
    SVA_WORKFLOW(TENANTS)                                                                          \
    WF_STATUSES_INSERT(WF_DEMARCHE_STATUSES("demarche_sva"), TENANTS)                              \
    WF_TRANSITIONS_INSERT(WF_DEMARCHE_TRANSITIONS("demarche_sva"), TENANTS)                        \
    SVA_TIMEOUTS(TENANTS)

static const char migration_31[] =
    "CREATE TABLE workflow_timeouts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  status_code TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  delay INTEGER NOT NULL,\n"
    "  unit TEXT NOT NULL CHECK (unit IN ('days', 'working_days', 'months')),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('jump', 'remind')),\n"
    "  target TEXT,\n"
    "  meaning TEXT NOT NULL DEFAULT 'none' CHECK (meaning IN ('accord', 'rejet', 'none')),\n"
    "  whom TEXT CHECK (whom IN ('agents', 'citizen')),\n"
    "  repeat_days INTEGER NOT NULL DEFAULT 0,\n"
    "  repeat_times INTEGER NOT NULL DEFAULT 0,\n"
    "  warn_before INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (workflow_id, status_code, position),\n"
    "  FOREIGN KEY (workflow_id, status_code) REFERENCES workflow_statuses (workflow_id, code)\n"
    ") STRICT;\n" SEED_SVA("SELECT id FROM tenants") SEED_ACTIONS_OF(
        "SELECT id FROM tenants",
        "'demarche_sva'") "DROP TRIGGER tenants_workflows;\n"
                          "CREATE TRIGGER tenants_workflows AFTER INSERT ON tenants "
                          "BEGIN " SEED_WORKFLOWS("SELECT new.id AS id") SEED_SVA(
                              "SELECT new.id AS id")
                              SEED_WORKFLOW_ACTIONS("SELECT new.id AS id") "END;\n" CONFIG_TRIGGERS(
                                  "workflow_timeouts");

/* Version 32: every message's own id and delivery state (issue 14). message_id is made at
 * enqueue, so that every attempt — after a crash too — carries the same e-mail Message-ID or
 * SMS delivery-report id, and replies and bounces find their message by it. The state follows
 * the message through the relay and the reports that come back. */
static const char migration_32[] =
    "ALTER TABLE outbox ADD COLUMN message_id TEXT;\n"
    "UPDATE outbox SET message_id = lower(hex(randomblob(16)));\n"
    "CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);\n"
    "ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN "
    "('queued', 'sent', 'delivered', 'bounced', 'failed'));\n"
    "ALTER TABLE outbox ADD COLUMN state_at INTEGER;\n"
    "ALTER TABLE outbox ADD COLUMN state_detail TEXT;\n"
    "UPDATE outbox SET state = 'sent', state_at = sent_at WHERE sent_at IS NOT NULL;\n"
    "UPDATE outbox SET state = 'failed', state_at = next_attempt_at WHERE sent_at IS NULL AND "
    "failed = 1;\n";

/* Version 33: agents' new-request notices (issue 14): each agent may ask to be told of the
 * requests filed in their departments at once (every few minutes) or once a day. A table of
 * its own rather than a column of agents, so that its changes alone refresh the catalogue
 * (which counts them) and an agent's login does not. */
static const char migration_33[] =
    "CREATE TABLE agent_notices (\n"
    "  agent_id INTEGER PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  mode TEXT NOT NULL CHECK (mode IN ('immediate', 'digest'))\n"
    ") STRICT;\n"
    "CREATE INDEX agent_notices_tenant ON agent_notices (tenant_id, mode);\n" CONFIG_TRIGGERS(
        "agent_notices");

/* Version 34: a collectivité's own e-mail settings (core/mail_settings.h): the relay it sends through
 * instead of the server's --smtp-url, its sender, the reply address its Reply-To is made of,
 * and the contact addresses where citizens' new mail arrives (read by the mail gateway: an
 * address belongs to one collectivité). The relay's password is sealed (core/seal.h). And
 * the requests to answer by post. */
static const char migration_34[] =
    "CREATE TABLE mail_settings (\n"
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),\n"
    "  smtp_url TEXT,\n"
    "  smtp_user TEXT,\n"
    "  smtp_password TEXT,\n"
    "  from_addr TEXT,\n"
    "  from_name TEXT,\n"
    "  reply_local TEXT,\n"
    "  reply_domain TEXT,\n"
    "  updated_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE TABLE mail_contacts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  address TEXT NOT NULL COLLATE NOCASE UNIQUE\n"
    ") STRICT;\n"
    "CREATE INDEX mail_contacts_tenant ON mail_contacts (tenant_id, id);\n"
    /* A request whose citizen no message reaches: «à envoyer par courrier» until an agent
     * says the letter went (core/mail_fallback.h). Few at a time: a partial index. */
    "ALTER TABLE requests ADD COLUMN letter_due INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE INDEX requests_letter_due ON requests (tenant_id, created_at) WHERE letter_due = 1;\n";

/* Version 35: webhook subscriptions join the catalogue (a request's creation finds there whom its
 * request.created goes to, without a read of its own): their changes bump config_version,
 * so that every server process reloads it. */
static const char migration_35[] = CONFIG_TRIGGERS("webhooks");

/* Version 36 (issue 14, «Broadcasts»): the mairie writes to subscribers by topic. topics are
 * per collectivité (four seeded for today's and, by their own trigger, for new ones; each
 * trigger seeds its own tables, so the order SQLite fires them in does not matter).
 * subscribers: one row per subscription attempt (an address or number and its channel, its
 * language, an optional point for area targeting); it counts only once confirmed (double
 * opt-in: the keyed hash of the e-mailed token, single-use, expiring) and until left_at.
 * leave_token is kept in clear because every message carries it in its unsubscribe link: it
 * grants nothing but leaving. broadcasts: what an agent sent, its targets as JSON arrays of
 * ids, and how far the queuing job got (cursor: the last subscriber queued). The outbox gains
 * a priority (0: a request's notices, 1: broadcasts) that leads its due scan, so that a
 * broadcast of 20,000 never delays a request's acknowledgement, and the broadcast each message
 * belongs to, for its delivery figures. */
#define SEED_TOPICS(TENANTS)                                                                       \
    "INSERT INTO topics (tenant_id, code, name, name_en, description, description_en, position) "  \
    "SELECT t.id, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM (" TENANTS \
    ") t, (VALUES "                                                                                \
    "('travaux', 'Travaux', 'Roadworks', 'Chantiers et circulation perturbée.', "                 \
    "'Works and traffic disruption.', 1), "                                                        \
    "('alertes_meteo', 'Alertes météo', 'Weather alerts', 'Vigilances et intempéries.', "       \
    "'Weather warnings.', 2), "                                                                    \
    "('coupure_eau', 'Coupures d''eau', 'Water cuts', 'Coupures et travaux sur le réseau "        \
    "d''eau.', 'Cuts and works on the water network.', 3), "                                       \
    "('vie_associative', 'Vie associative', 'Community life', 'Associations, fêtes et "           \
    "événements.', 'Clubs, festivals and events.', 4)) v;\n"

static const char migration_36[] =
    "CREATE TABLE topics (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  code TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  name_en TEXT NOT NULL DEFAULT '',\n"
    "  description TEXT NOT NULL DEFAULT '',\n"
    "  description_en TEXT NOT NULL DEFAULT '',\n"
    "  active INTEGER NOT NULL DEFAULT 1,\n"
    "  position INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (tenant_id, code)\n"
    ") STRICT;\n"
    "CREATE TABLE subscribers (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
    "  address TEXT NOT NULL,\n"
    "  lang TEXT NOT NULL DEFAULT 'fr',\n"
    "  account_id INTEGER REFERENCES accounts(id),\n"
    "  lat REAL,\n"
    "  lon REAL,\n"
    "  confirm_hash TEXT UNIQUE,\n"
    "  confirm_expires_at INTEGER,\n"
    "  confirmed_at INTEGER,\n"
    "  left_at INTEGER,\n"
    "  leave_token TEXT NOT NULL UNIQUE,\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX subscribers_active ON subscribers (tenant_id, id) WHERE confirmed_at IS NOT "
    "NULL AND left_at IS NULL;\n"
    "CREATE INDEX subscribers_address ON subscribers (tenant_id, address COLLATE NOCASE);\n"
    "CREATE INDEX subscribers_account ON subscribers (account_id) WHERE account_id IS NOT NULL;\n"
    "CREATE TABLE subscriber_topics (\n"
    "  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),\n"
    "  topic_id INTEGER NOT NULL REFERENCES topics(id),\n"
    "  PRIMARY KEY (subscriber_id, topic_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE TABLE broadcasts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  subject TEXT NOT NULL,\n"
    "  subject_en TEXT NOT NULL DEFAULT '',\n"
    "  body TEXT NOT NULL,\n"
    "  body_en TEXT NOT NULL DEFAULT '',\n"
    "  channels TEXT NOT NULL DEFAULT '[\"email\"]',\n"
    "  topics TEXT NOT NULL DEFAULT '[]',\n"
    "  areas TEXT NOT NULL DEFAULT '[]',\n"
    "  base_url TEXT NOT NULL,\n"
    "  created_by TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  cursor INTEGER NOT NULL DEFAULT 0,\n"
    "  recipients INTEGER NOT NULL DEFAULT 0,\n"
    "  queued_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX broadcasts_tenant ON broadcasts (tenant_id, id);\n"
    "ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts(id);\n"
    "CREATE INDEX outbox_broadcast ON outbox (broadcast_id, state) WHERE broadcast_id IS NOT "
    "NULL;\n"
    "DROP INDEX outbox_due;\n"
    "CREATE INDEX outbox_due ON outbox (priority, next_attempt_at) WHERE sent_at IS NULL AND "
    "failed = 0;\n" SEED_TOPICS("SELECT id FROM tenants") "CREATE TRIGGER tenants_topics AFTER "
                                                          "INSERT ON tenants BEGIN " SEED_TOPICS(
                                                              "SELECT new.id AS id") "END;\n";

/* Version 37: SMS (issue 14). The phone numbers stored before they were normalised (as typed,
 * or digits only: "06 12 34 56 78", "0612345678") in E.164 ("+33612345678"), as SMS are sent
 * and numbers matched; phone_e164() is util/phone's, registered on the writer's connection
 * (store_sqlite_conn_open), and keeps a number it cannot read as it was typed. Each
 * collectivité's SMS gateway, and the numbers opted out of SMS. */
static const char migration_37[] =
    "UPDATE accounts SET phone = phone_e164(phone) "
    "WHERE phone IS NOT NULL AND phone IS NOT phone_e164(phone);\n"
    "UPDATE requests SET phone = phone_e164(phone) "
    "WHERE phone IS NOT NULL AND phone IS NOT phone_e164(phone);\n"
    "UPDATE open311_updates SET phone = phone_e164(phone) "
    "WHERE phone IS NOT NULL AND phone IS NOT phone_e164(phone);\n"
    /* Each collectivité's Kannel: its sendsms interface and the account there (password
     * sealed by core). */
    "CREATE TABLE sms_gateways (\n"
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),\n"
    "  sendsms_url TEXT NOT NULL,\n"
    "  username TEXT NOT NULL,\n"
    "  password_sealed TEXT NOT NULL,\n"
    "  sender TEXT,\n"
    "  callback_base TEXT,\n"
    "  dlr_key_sealed TEXT,\n"
    "  updated_at INTEGER NOT NULL\n"
    ") STRICT;\n"
    /* Numbers that answered STOP: the dispatcher sends them nothing more. */
    "CREATE TABLE sms_optouts (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  phone TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, phone)\n"
    ") STRICT, WITHOUT ROWID;\n";

/* Version 38: incoming e-mail (issue 14). Mail the MTA flagged as spam waits in mail_held for
 * an agent to accept or delete it (the raw message, bounded by the gateway's limit); a
 * collectivité's contact addresses may each file new mail under their own procedure. */
static const char migration_38[] =
    "CREATE TABLE mail_held (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  received_at INTEGER NOT NULL,\n"
    "  sender TEXT NOT NULL,\n"
    "  subject TEXT NOT NULL,\n"
    "  message BLOB NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX mail_held_tenant ON mail_held (tenant_id, received_at);\n"
    "CREATE TABLE mail_addresses (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  address TEXT NOT NULL,\n"
    "  procedure_id INTEGER NOT NULL REFERENCES procedures (id),\n"
    "  PRIMARY KEY (tenant_id, address)\n"
    ") STRICT;\n";

/* Version 39: caller lookup (issue 14). A telephone call opens the caller's requests and the
 * accounts with that number (core/caller.h): both are index ranges on the stored E.164 form,
 * never a scan. Partial: most requests carry no number. */
static const char migration_39[] =
    "CREATE INDEX requests_phone ON requests (tenant_id, phone, created_at DESC, id DESC)"
    " WHERE phone IS NOT NULL;\n"
    "CREATE INDEX accounts_phone ON accounts (tenant_id, phone) WHERE phone IS NOT NULL;\n";

/* Version 40: SMS keywords and verified numbers (issue 14). An SMS whose first word is one of
 * a collectivité's keywords (stored folded: lowercase ASCII, accents aside) files a new
 * request under its procedure; an account's phone number is verified by a code sent to it
 * (the code itself is a single-use token of account_tokens, purpose "phone"; its wrong
 * entries are counted in code_failures under a new scope "phone": both tables' CHECKs must
 * allow them, so both are rebuilt). */
static const char migration_40[] = "ALTER TABLE accounts ADD COLUMN phone_verified_at INTEGER;\n"
                                   "CREATE INDEX accounts_verified_phone ON accounts "
                                   "(tenant_id, phone) WHERE phone_verified_at IS NOT NULL;\n"
                                   "CREATE TABLE code_failures_39 (\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
                                   "  scope TEXT NOT NULL CHECK (scope IN ('reference', "
                                   "'address', 'phone')),\n"
                                   "  key TEXT NOT NULL,\n"
                                   "  failures INTEGER NOT NULL CHECK (failures > 0),\n"
                                   "  last_failure_at INTEGER NOT NULL,\n"
                                   "  PRIMARY KEY (tenant_id, scope, key)\n"
                                   ") WITHOUT ROWID, STRICT;\n"
                                   "INSERT INTO code_failures_39 SELECT tenant_id, scope, key, "
                                   "failures, last_failure_at FROM code_failures;\n"
                                   "DROP TABLE code_failures;\n"
                                   "ALTER TABLE code_failures_39 RENAME TO code_failures;\n"
                                   "CREATE INDEX code_failures_last ON code_failures "
                                   "(last_failure_at);\n"
                                   "CREATE TABLE account_tokens_39 (\n"
                                   "  id INTEGER PRIMARY KEY,\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
                                   "  account_id INTEGER NOT NULL REFERENCES accounts(id),\n"
                                   "  purpose TEXT NOT NULL CHECK (purpose IN ('verify', "
                                   "'reset', 'login', 'phone')),\n"
                                   "  token_hash TEXT NOT NULL UNIQUE,\n"
                                   "  created_at INTEGER NOT NULL,\n"
                                   "  expires_at INTEGER NOT NULL,\n"
                                   "  used_at INTEGER\n"
                                   ") STRICT;\n"
                                   "INSERT INTO account_tokens_39 SELECT id, tenant_id, "
                                   "account_id, purpose, token_hash, created_at, expires_at, "
                                   "used_at FROM account_tokens;\n"
                                   "DROP TABLE account_tokens;\n"
                                   "ALTER TABLE account_tokens_39 RENAME TO account_tokens;\n"
                                   "CREATE INDEX account_tokens_account ON account_tokens "
                                   "(account_id);\n"
                                   "CREATE TABLE sms_keywords (\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
                                   "  keyword TEXT NOT NULL,\n"
                                   "  procedure_id INTEGER NOT NULL REFERENCES procedures (id),\n"
                                   "  PRIMARY KEY (tenant_id, keyword)\n"
                                   ") STRICT, WITHOUT ROWID;\n";

/* Version 41: one table of contact addresses (issue 14). mail_contacts (34: which collectivité
 * an address is) and mail_addresses (38: the procedure of new mail to it) held the same
 * addresses twice; they become one list, each address a single collectivité's across the
 * instance, with its procedure (NULL: the default «Question générale»). Addresses are kept
 * lowercased, as the gateway compares them. A mail_addresses row whose address another
 * collectivité has in mail_contacts loses its procedure there (the address is that one's);
 * two collectivités mapping the same address: the older one keeps it. */
static const char migration_41[] =
    "CREATE TABLE mail_contacts_41 (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  address TEXT NOT NULL COLLATE NOCASE UNIQUE,\n"
    "  procedure_id INTEGER REFERENCES procedures (id)\n"
    ") STRICT;\n"
    "INSERT INTO mail_contacts_41 (id, tenant_id, address, procedure_id)\n"
    "  SELECT c.id, c.tenant_id, lower(c.address), a.procedure_id FROM mail_contacts c\n"
    "  LEFT JOIN mail_addresses a ON a.tenant_id = c.tenant_id AND a.address = lower(c.address)\n"
    "  ORDER BY c.id;\n"
    "INSERT OR IGNORE INTO mail_contacts_41 (tenant_id, address, procedure_id)\n"
    "  SELECT tenant_id, lower(address), procedure_id FROM mail_addresses\n"
    "  ORDER BY tenant_id, address;\n"
    "DROP TABLE mail_addresses;\n"
    "DROP TABLE mail_contacts;\n"
    "ALTER TABLE mail_contacts_41 RENAME TO mail_contacts;\n"
    "CREATE INDEX mail_contacts_tenant ON mail_contacts (tenant_id, address);\n";

/* Version 42: each dispatcher reads its own channel's due messages (issue 14). The partial
 * index outbox_due leads with the channel, so that the e-mail dispatcher's due list is a range
 * of its own rows in (priority, next_attempt_at) order and a backlog of SMS (a broadcast's)
 * costs it nothing, nor the SMS dispatcher a backlog of e-mail. */
static const char migration_42[] =
    "DROP INDEX outbox_due;\n"
    "CREATE INDEX outbox_due ON outbox (channel, priority, next_attempt_at) WHERE sent_at IS NULL "
    "AND failed = 0;\n";

/* Version 43: one index of accounts by number. accounts_phone (tenant_id, phone) WHERE phone
 * IS NOT NULL answers both the caller lookup and the verified number's account (phone = ?
 * implies phone IS NOT NULL, so SQLite uses the partial index; the verified accounts of a
 * number are among its few rows): accounts_verified_phone, the same columns, only cost
 * writes. */
static const char migration_43[] = "DROP INDEX accounts_verified_phone;\n";

/* Version 44: issue 15's documents (core/document.h): each version of a request's document
 * with its verification code (unique in the collectivité), its SHA-256 and its bytes, kept in
 * the database so that a document and its row are committed together (no file without a row,
 * none to sweep) and backed up with it. A trigger refuses any UPDATE: a document never
 * changes once issued; a new version is a new row. */
static const char migration_44[] = "CREATE TABLE documents (\n"
                                   "  id INTEGER PRIMARY KEY,\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
                                   "  request_id INTEGER NOT NULL REFERENCES requests (id),\n"
                                   "  kind TEXT NOT NULL CHECK (kind IN ('receipt')),\n"
                                   "  version INTEGER NOT NULL CHECK (version >= 1),\n"
                                   "  code TEXT NOT NULL,\n"
                                   "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),\n"
                                   "  size INTEGER NOT NULL,\n"
                                   "  content BLOB NOT NULL,\n"
                                   "  created_at INTEGER NOT NULL,\n"
                                   "  UNIQUE (request_id, kind, version),\n"
                                   "  UNIQUE (tenant_id, code)\n"
                                   ") STRICT;\n"
                                   "CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents "
                                   "BEGIN SELECT RAISE(ABORT, 'documents are immutable'); END;\n";

/* Version 45: documents of every kind issue 15 and 16 make — `receipt` (the accusé de
 * réception), `letter` (an answer letter), `decision` (an arrêté or décision), `upload` (a PDF
 * an agent prepared elsewhere, normalised) —, each with an optional title, the agent who
 * issued it (NULL: guichet itself) and whether the citizen sees it (tracking page, e-mail). A
 * document is a request's kind and title (NULL for a receipt), its versions numbered within
 * them: the unique index documents_version on (request_id, kind, ifnull(title, ''), version)
 * replaces UNIQUE (request_id, kind, version), so that a request holds several uploads or
 * letters, each with its versions, and NULL titles are one document, as a receipt must stay
 * one. The table is made again because SQLite can neither widen a CHECK nor drop a
 * constraint, its rows and trigger kept. */
static const char migration_45[] =
    "CREATE TABLE documents_v45 (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests (id),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('receipt', 'letter', 'decision', 'upload')),\n"
    "  version INTEGER NOT NULL CHECK (version >= 1),\n"
    "  code TEXT NOT NULL,\n"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),\n"
    "  size INTEGER NOT NULL,\n"
    "  content BLOB NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  title TEXT,\n"
    "  agent_id INTEGER REFERENCES agents (id),\n"
    "  citizen_visible INTEGER NOT NULL DEFAULT 1 CHECK (citizen_visible IN (0, 1)),\n"
    "  UNIQUE (tenant_id, code)\n"
    ") STRICT;\n"
    "INSERT INTO documents_v45 (id, tenant_id, request_id, kind, version, code, sha256, size, "
    "content, created_at) SELECT id, tenant_id, request_id, kind, version, code, sha256, size, "
    "content, created_at FROM documents;\n"
    "DROP TRIGGER documents_immutable;\n"
    "DROP TABLE documents;\n"
    "ALTER TABLE documents_v45 RENAME TO documents;\n"
    "CREATE UNIQUE INDEX documents_version ON documents (request_id, kind, ifnull(title, ''), "
    "version);\n"
    "CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents "
    "BEGIN SELECT RAISE(ABORT, 'documents are immutable'); END;\n";

/* Version 46: broadcasts by SMS (issue 14). Each collectivité's gateway gets its own rate
 * of broadcast SMS (a second, 1 to 100; 10 unless set), which the SMS dispatcher throttles
 * each collectivité's broadcasts at: operators and Kannel's SMSC links have their own
 * limits, unlike the server-wide rate of e-mail. Subscriptions by number need no new
 * column: a subscriber of channel 'sms' has its number in E.164 as its address, and its
 * pending code's keyed hash as its confirm_hash. */
static const char migration_46[] =
    "ALTER TABLE sms_gateways ADD COLUMN broadcast_rate INTEGER NOT NULL DEFAULT 10 "
    "CHECK (broadcast_rate BETWEEN 1 AND 100);\n";

/* Version 47: the collectivité's letter templates (issue 15): answer letters (`letter`) and
 * arrêtés or décisions (`decision`: their visas, considérants and dispositive word beside
 * the articles of the body), each for one procedure or all (NULL), in one language, with
 * the signatory's name and quality. An edit rewrites the row with its version + 1 and keeps
 * every version, the first included, in `letter_template_versions` (what an admin wrote and
 * when), which outlive a template deleted (no foreign key; ids never reused: AUTOINCREMENT);
 * documents issued from a template keep their own bytes anyway. */
static const char migration_47[] = "CREATE TABLE letter_templates (\n"
                                   "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
                                   "  name TEXT NOT NULL,\n"
                                   "  kind TEXT NOT NULL CHECK (kind IN ('letter', 'decision')),\n"
                                   "  procedure_id INTEGER REFERENCES procedures (id),\n"
                                   "  lang TEXT NOT NULL CHECK (lang IN ('fr', 'en')),\n"
                                   "  version INTEGER NOT NULL CHECK (version >= 1),\n"
                                   "  subject TEXT NOT NULL,\n"
                                   "  body TEXT NOT NULL,\n"
                                   "  visas TEXT NOT NULL DEFAULT '',\n"
                                   "  considerants TEXT NOT NULL DEFAULT '',\n"
                                   "  decides TEXT NOT NULL DEFAULT '',\n"
                                   "  signatory TEXT NOT NULL DEFAULT '',\n"
                                   "  quality TEXT NOT NULL DEFAULT '',\n"
                                   "  updated_at INTEGER NOT NULL,\n"
                                   "  agent_id INTEGER REFERENCES agents (id),\n"
                                   "  UNIQUE (tenant_id, name)\n"
                                   ") STRICT;\n"
                                   "CREATE TABLE letter_template_versions (\n"
                                   "  template_id INTEGER NOT NULL,\n"
                                   "  version INTEGER NOT NULL,\n"
                                   "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
                                   "  name TEXT NOT NULL,\n"
                                   "  kind TEXT NOT NULL,\n"
                                   "  procedure_id INTEGER,\n"
                                   "  lang TEXT NOT NULL,\n"
                                   "  subject TEXT NOT NULL,\n"
                                   "  body TEXT NOT NULL,\n"
                                   "  visas TEXT NOT NULL,\n"
                                   "  considerants TEXT NOT NULL,\n"
                                   "  decides TEXT NOT NULL,\n"
                                   "  signatory TEXT NOT NULL,\n"
                                   "  quality TEXT NOT NULL,\n"
                                   "  created_at INTEGER NOT NULL,\n"
                                   "  agent_id INTEGER,\n"
                                   "  PRIMARY KEY (template_id, version)\n"
                                   ") STRICT, WITHOUT ROWID;\n";

/* Version 48: the post room (core/courrier.h) — a scanned letter received (bulk upload,
 * `guichet courrier import`) waits as a row until an agent files it as a request of channel
 * post, links it to a request it cites, or discards it with a reason (kept for the audit). A
 * file the OCR cuts into several letters gives a row per letter, sharing its bytes. */
static const char migration_48[] =
    "CREATE TABLE post_letters (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  scan_id INTEGER REFERENCES post_letters (id),\n"
    "  filename TEXT NOT NULL,\n"
    "  content_type TEXT NOT NULL,\n"
    "  storage_name TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  received_at INTEGER NOT NULL,\n"
    "  received_by TEXT NOT NULL,\n"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'pending', 'rejected', 'filed', "
    "'linked', 'discarded')),\n"
    "  reason TEXT,\n"
    "  first_page INTEGER NOT NULL DEFAULT 0,\n"
    "  last_page INTEGER NOT NULL DEFAULT 0,\n"
    "  pages INTEGER NOT NULL DEFAULT 0,\n"
    "  text TEXT,\n"
    "  confidence INTEGER NOT NULL DEFAULT 0,\n"
    "  proposals TEXT,\n"
    "  request_id INTEGER REFERENCES requests (id),\n"
    "  decided_by TEXT,\n"
    "  decided_at INTEGER\n"
    ") STRICT;\n"
    "CREATE INDEX post_letters_open ON post_letters (tenant_id, state, received_at);\n"
    "CREATE INDEX post_letters_file ON post_letters (storage_name);\n";

/* Version 49: the statistics' facts (core/stats.h, issue 17). One narrow row per request —
 * when it was filed, its channel, procedure, department and status, when an agent first
 * answered in public, when it was closed, how often it was reopened, whether it was merged
 * into another — kept by triggers in the very transaction of each change, so that a crash
 * keeps both or neither and no writer of requests or events has to know about it. Clustered
 * by (tenant, creation time) without rowid, a period of a metropolis is one contiguous walk
 * over ~50-byte rows instead of the wide requests rows; request_facts_closed serves the
 * portal's «closed in the last 90 days». The first answer is the first public event written
 * by an agent or by the agents' software (an API key), not the request's own creation and
 * not an event a merge copied from another request. Filled here from history; reopenings
 * before this version are those of the citizens' «reopened» events (which statuses were
 * closed is workflow data the SQL cannot read); from now on every move from closed to open
 * counts. */
#define FACT_ANSWER(e)                                                                             \
    e ".is_public = 1 AND " e ".copied_from IS NULL AND " e ".kind <> 'created' AND "              \
      "(substr(" e ".actor, 1, 6) = 'agent:' OR substr(" e ".actor, 1, 4) = 'api:')"
/* The facts row of request `row` (old or new), by its primary key. */
#define FACT_OF(row)                                                                               \
    "tenant_id = " row ".tenant_id AND created_at = " row ".created_at AND "                       \
    "request_id = " row ".id"
/* clang-format off */
static const char migration_49[] =
    "CREATE TABLE request_facts (\n"
    "  tenant_id INTEGER NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  request_id INTEGER NOT NULL,\n"
    "  procedure_id INTEGER NOT NULL,\n"
    "  department_id INTEGER,\n"
    "  channel TEXT NOT NULL,\n"
    "  status TEXT NOT NULL,\n"
    "  first_answer_at INTEGER,\n"
    "  closed_at INTEGER,\n"
    "  reopened INTEGER NOT NULL DEFAULT 0,\n"
    "  merged INTEGER NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (tenant_id, created_at, request_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX request_facts_closed ON request_facts (tenant_id, closed_at, procedure_id)"
    " WHERE closed_at IS NOT NULL;\n"
    "INSERT INTO request_facts SELECT r.tenant_id, r.created_at, r.id, r.procedure_id, "
    "r.department_id, r.channel, r.status, (SELECT min(e.created_at) FROM request_events e "
    "WHERE e.request_id = r.id AND "
    FACT_ANSWER("e")
    "), r.closed_at, (SELECT count(*) FROM "
    "request_events e WHERE e.request_id = r.id AND e.kind = 'reopened'), "
    "r.merged_into IS NOT NULL FROM requests r;\n"
    "CREATE TRIGGER request_facts_ai AFTER INSERT ON requests BEGIN "
    "INSERT INTO request_facts (tenant_id, created_at, request_id, procedure_id, "
    "department_id, "
    "channel, status, closed_at, merged) VALUES (new.tenant_id, new.created_at, new.id, "
    "new.procedure_id, new.department_id, new.channel, new.status, new.closed_at, "
    "new.merged_into IS NOT NULL); END;\n"
    /* The store's update sets every column: only a change of a kept value touches the row. */
    "CREATE TRIGGER request_facts_au AFTER UPDATE OF created_at, procedure_id, "
    "department_id, "
    "channel, status, closed_at, merged_into ON requests WHEN old.created_at IS NOT "
    "new.created_at OR old.procedure_id IS NOT new.procedure_id OR old.department_id IS "
    "NOT "
    "new.department_id OR old.channel IS NOT new.channel OR old.status IS NOT new.status "
    "OR "
    "old.closed_at IS NOT new.closed_at OR old.merged_into IS NOT new.merged_into BEGIN "
    "UPDATE request_facts SET created_at = new.created_at, procedure_id = "
    "new.procedure_id, "
    "department_id = new.department_id, channel = new.channel, status = new.status, "
    "closed_at = new.closed_at, reopened = reopened + (old.closed_at IS NOT NULL AND "
    "new.closed_at IS NULL), merged = new.merged_into IS NOT NULL WHERE "
    FACT_OF("old")
    "; "
    "END;\n"
    "CREATE TRIGGER request_facts_ad AFTER DELETE ON requests BEGIN "
    "DELETE FROM request_facts WHERE "
    FACT_OF("old")
    "; END;\n"
    "CREATE TRIGGER request_facts_answer AFTER INSERT ON "
    "request_events WHEN "
    FACT_ANSWER("new")
    " BEGIN UPDATE request_facts SET first_answer_at = "
    "min(coalesce(first_answer_at, "
    "new.created_at), new.created_at) WHERE tenant_id = "
    "new.tenant_id AND "
    "request_id = new.request_id AND created_at = "
    "(SELECT created_at FROM requests "
    "WHERE id = new.request_id); END;\n";
/* clang-format on */

/* Version 50: the collectivité's trust anchors for signed PDF files (core/trust_anchor.h):
 * CA certificates an admin uploads, against which `guichet pdf verify --db` and the public
 * /verifier page check signatures. Subject, validity and SHA-256 fingerprint are kept beside
 * the PEM so that the admin page lists them without parsing; a certificate is there once.
 * Documents get an index by SHA-256: /verifier finds whether an uploaded signed PDF is one the
 * mairie issued. */
static const char migration_50[] =
    "CREATE TABLE trust_anchors (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  pem TEXT NOT NULL,\n"
    "  subject TEXT NOT NULL,\n"
    "  not_before INTEGER NOT NULL,\n"
    "  not_after INTEGER NOT NULL,\n"
    "  fingerprint TEXT NOT NULL,\n"
    "  added_at INTEGER NOT NULL,\n"
    "  UNIQUE (tenant_id, fingerprint)\n"
    ") STRICT;\n"
    "CREATE INDEX documents_sha256 ON documents (tenant_id, sha256);\n";

/* Version 51 (issue 15): the workflow action «generate a document» and the silence vaut accord
 * attestation. workflow_actions is made again to widen its kind CHECK with
 * 'generate_document' (SQLite can neither widen a CHECK nor drop one), its rows, index and
 * triggers kept; the tenants' trigger, which inserts into it, is dropped first and made again
 * after (a rename re-reads every trigger, and this one would name a table that is gone).
 * Every collectivité gets the decision template «Attestation de décision implicite
 * d'acceptation» (CRPA L232-3: the receipt's date, the day the silence became a decision),
 * unless it has one of that name, with its version 1 kept as an edit would keep it; and the
 * shipped démarche workflows (demarche, demarche_sva) a generate_document action on `accepted`
 * naming it, for a silence only (an agent's acceptance is an express decision, no implicit
 * one), after the status's other actions. New collectivités get both through their triggers. */
#define SVA_TEMPLATE_NAME "Attestation de décision implicite d''acceptation"
#define SEED_SVA_TEMPLATE(TENANTS)                                                                  \
    "INSERT INTO letter_templates (tenant_id, name, kind, procedure_id, lang, version, subject, "   \
    "body, visas, considerants, decides, signatory, quality, updated_at, agent_id) SELECT t.id, "   \
    "'" SVA_TEMPLATE_NAME "', 'decision', NULL, 'fr', 1, '" SVA_TEMPLATE_NAME " — demande "       \
    "{reference}', 'Il est attesté que la demande « {demarche} » n° {reference}, reçue le "    \
    "{date_depot}, a fait l''objet d''une décision implicite d''acceptation, née le "             \
    "{date_decision} à l''expiration du délai d''instruction sans qu''une décision expresse "    \
    "ait été notifiée.\n\nLa présente attestation est délivrée en application de l''article " \
    "L232-3 du code des relations entre le public et l''administration.', 'Vu le code des "         \
    "relations entre le public et l''administration, notamment ses articles L231-1 et L232-3 "      \
    ";\nVu la demande « {demarche} » n° {reference}, reçue le {date_depot} ;', 'Considérant "  \
    "que le délai au terme duquel le silence gardé par l''administration sur cette demande "      \
    "vaut décision d''acceptation a expiré le {date_decision} ;', 'ATTESTE :', '', 'Pour "        \
    "{collectivite}', CAST(strftime('%s', 'now') AS INTEGER), NULL FROM (" TENANTS ") t WHERE "     \
    "NOT EXISTS (SELECT 1 FROM letter_templates l WHERE l.tenant_id = t.id AND l.name = "           \
    "'" SVA_TEMPLATE_NAME "');\n"                                                                   \
    "INSERT INTO letter_template_versions (template_id, version, tenant_id, name, kind, "           \
    "procedure_id, lang, subject, body, visas, considerants, decides, signatory, quality, "         \
    "created_at, agent_id) SELECT l.id, l.version, l.tenant_id, l.name, l.kind, l.procedure_id, "   \
    "l.lang, l.subject, l.body, l.visas, l.considerants, l.decides, l.signatory, l.quality, "       \
    "l.updated_at, l.agent_id FROM letter_templates l WHERE l.name = '" SVA_TEMPLATE_NAME "' AND "  \
    "l.tenant_id IN (" TENANTS ") AND NOT EXISTS (SELECT 1 FROM letter_template_versions v "        \
    "WHERE v.template_id = l.id AND v.version = l.version);\n"
#define SEED_SVA_ACTION(TENANTS)                                                                   \
    "INSERT INTO workflow_actions (workflow_id, status_code, position, kind, params) SELECT "      \
    "w.id, "                                                                                       \
    "'accepted', (SELECT ifnull(max(a.position), 0) + 1 FROM workflow_actions a WHERE "            \
    "a.workflow_id = w.id AND a.status_code = 'accepted'), 'generate_document', "                  \
    "'{\"template\":\"" SVA_TEMPLATE_NAME "\",\"citizen_visible\":true,\"silence_only\":true}' "   \
    "FROM workflows w WHERE w.code IN ('demarche', 'demarche_sva') AND w.tenant_id IN (" TENANTS   \
    ") AND EXISTS (SELECT 1 FROM workflow_statuses s WHERE s.workflow_id = w.id AND s.code = "     \
    "'accepted') AND NOT EXISTS (SELECT 1 FROM workflow_actions a WHERE a.workflow_id = w.id AND " \
    "a.kind = 'generate_document');\n"

/* clang-format off */
static const char migration_51[] =
    "DROP TRIGGER tenants_workflows;\n"
    "CREATE TABLE workflow_actions_v51 (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  status_code TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('notify_citizen', 'notify_department', "
    "'assign_by_rule', 'set_due_date', 'ask_citizen', 'webhook', 'generate_document')),\n"
    "  params TEXT NOT NULL DEFAULT '{}',\n"
    "  FOREIGN KEY (workflow_id, status_code) REFERENCES workflow_statuses (workflow_id, code)\n"
    ") STRICT;\n"
    "INSERT INTO workflow_actions_v51 (id, workflow_id, status_code, position, kind, params) "
    "SELECT id, workflow_id, status_code, position, kind, params FROM workflow_actions;\n"
    "DROP TABLE workflow_actions;\n"
    "ALTER TABLE workflow_actions_v51 RENAME TO workflow_actions;\n"
    "CREATE INDEX workflow_actions_status ON workflow_actions (workflow_id, status_code, "
    "position);\n"
    CONFIG_TRIGGERS("workflow_actions")
    SEED_SVA_TEMPLATE("SELECT id FROM tenants")
    SEED_SVA_ACTION("SELECT id FROM tenants")
    "CREATE TRIGGER tenants_workflows AFTER INSERT ON tenants "
    "BEGIN "
    SEED_WORKFLOWS("SELECT new.id AS id")
    SEED_SVA("SELECT new.id AS id")
    SEED_WORKFLOW_ACTIONS("SELECT new.id AS id")
    SEED_SVA_TEMPLATE("SELECT new.id AS id")
    SEED_SVA_ACTION("SELECT new.id AS id")
    "END;\n";
/* clang-format on */

/* Version 52: the managers' weekly digest (core/weekly_digest.h): the managers and
 * administrators who asked for their departments' figures of the week by e-mail. A table of
 * its own, as agent_notices, so that an agent's login does not touch it. */
static const char migration_52[] =
    "CREATE TABLE agent_weekly_digest (\n"
    "  agent_id INTEGER PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id)\n"
    ") STRICT;\n"
    "CREATE INDEX agent_weekly_digest_tenant ON agent_weekly_digest (tenant_id);\n";

/* Version 53: the élus' parapheur (issue 16, core/parapheur.h). Each élu's signing key
 * (`sign_keys`): a PKCS#12 file as uploaded (encrypted by its own password, the élu's PIN,
 * which is never stored) or a PKCS#11 token's and key's labels, the certificate's subject,
 * issuer and validity to show, the élu's quality (the signature's capacity) and the PIN
 * failures that lock it for a while. A circuit (`sign_circuits`) sends one document (its
 * latest version, replaced by each signed version) to élus in order (`sign_steps`, one row
 * per élu, decided once: signed by them or their delegate, or refused with a comment).
 * Délégations (`sign_delegations`): X signs for Y from one day to another, both included.
 * Each collectivité's days before a waiting signature reminds its élu (`sign_settings`; 3
 * without a row). The workflow actions may be send_for_signature (the request's latest
 * letter or decision sent to the élus the action names). */
static const char migration_53[] =
    "CREATE TABLE sign_keys (\n"
    "  agent_id INTEGER PRIMARY KEY REFERENCES agents (id),\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('p12', 'pkcs11')),\n"
    "  p12 BLOB,\n"
    "  token_label TEXT,\n"
    "  key_label TEXT,\n"
    "  quality TEXT NOT NULL DEFAULT '',\n"
    "  subject TEXT NOT NULL,\n"
    "  issuer TEXT NOT NULL,\n"
    "  not_before INTEGER NOT NULL,\n"
    "  not_after INTEGER NOT NULL,\n"
    "  pin_failures INTEGER NOT NULL DEFAULT 0,\n"
    "  locked_until INTEGER NOT NULL DEFAULT 0,\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  updated_by INTEGER\n"
    ") STRICT;\n"
    "CREATE TABLE sign_circuits (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  request_id INTEGER NOT NULL REFERENCES requests (id),\n"
    "  document_id INTEGER NOT NULL REFERENCES documents (id),\n"
    "  sent_by INTEGER REFERENCES agents (id),\n"
    "  message TEXT NOT NULL DEFAULT '',\n"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'signed', 'refused')),\n"
    "  step INTEGER NOT NULL,\n"
    "  steps INTEGER NOT NULL CHECK (steps >= 1),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  waiting_since INTEGER NOT NULL,\n"
    "  reminded_at INTEGER NOT NULL DEFAULT 0,\n"
    "  ended_at INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE INDEX sign_circuits_pending ON sign_circuits (tenant_id, state, waiting_since);\n"
    "CREATE INDEX sign_circuits_request ON sign_circuits (request_id);\n"
    "CREATE TABLE sign_steps (\n"
    "  circuit_id INTEGER NOT NULL REFERENCES sign_circuits (id),\n"
    "  position INTEGER NOT NULL,\n"
    "  agent_id INTEGER NOT NULL REFERENCES agents (id),\n"
    "  state TEXT NOT NULL CHECK (state IN ('waiting', 'signed', 'refused')),\n"
    "  signed_by INTEGER REFERENCES agents (id),\n"
    "  document_id INTEGER REFERENCES documents (id),\n"
    "  comment TEXT,\n"
    "  decided_at INTEGER NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (circuit_id, position)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX sign_steps_agent ON sign_steps (agent_id, state);\n"
    "CREATE TABLE sign_delegations (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  delegate_id INTEGER NOT NULL REFERENCES agents (id),\n"
    "  principal_id INTEGER NOT NULL REFERENCES agents (id),\n"
    "  starts_on TEXT NOT NULL,\n"
    "  ends_on TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  created_by INTEGER,\n"
    "  CHECK (delegate_id <> principal_id AND starts_on <= ends_on)\n"
    ") STRICT;\n"
    "CREATE INDEX sign_delegations_delegate ON sign_delegations (delegate_id, ends_on);\n"
    "CREATE TABLE sign_settings (\n"
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id),\n"
    "  remind_days INTEGER NOT NULL CHECK (remind_days BETWEEN 1 AND 60)\n"
    ") STRICT;\n"
    /* The workflow action send_for_signature: the kinds' CHECK rebuilt with it. The rows go
     * through a copy, not a rename, so that the tenants_workflows trigger, which names
     * workflow_actions, is never parsed while the table is missing. */
    "CREATE TABLE workflow_actions_copy AS SELECT * FROM workflow_actions;\n"
    "DROP TABLE workflow_actions;\n"
    "CREATE TABLE workflow_actions (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id),\n"
    "  status_code TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('notify_citizen', 'notify_department', "
    "'assign_by_rule', 'set_due_date', 'ask_citizen', 'webhook', 'generate_document', "
    "'send_for_signature')),\n"
    "  params TEXT NOT NULL DEFAULT '{}',\n"
    "  FOREIGN KEY (workflow_id, status_code) REFERENCES workflow_statuses (workflow_id, code)\n"
    ") STRICT;\n"
    "INSERT INTO workflow_actions (id, workflow_id, status_code, position, kind, params) SELECT "
    "id, workflow_id, status_code, position, kind, params FROM workflow_actions_copy;\n"
    "DROP TABLE workflow_actions_copy;\n"
    "CREATE INDEX workflow_actions_status ON workflow_actions (workflow_id, status_code, "
    "position);\n" CONFIG_TRIGGERS("workflow_actions");

/* Version 54 (issue 15): an e-mail carries the document it announces. The outbox row names
 * the issued document and its SHA-256 rather than holding its bytes: the dispatcher loads the
 * frozen document when it sends (a message sent again after a crash carries the same bytes)
 * and sends it only if its hash is the one queued. No foreign key: a request's anonymisation
 * deletes its documents, and a message about it then fails rather than blocking that. And
 * the post room's page-1 preview, rendered once by the OCR job and stored beside the scan
 * (post_letters.preview: its file in the uploads directory, shared by the file's letters;
 * NULL: none), indexed for the start-up sweep's look-up of a file's name. */
static const char migration_54[] =
    "ALTER TABLE outbox ADD COLUMN document_id INTEGER;\n"
    "ALTER TABLE outbox ADD COLUMN document_sha256 TEXT;\n"
    "ALTER TABLE post_letters ADD COLUMN preview TEXT;\n"
    "CREATE INDEX post_letters_preview ON post_letters (preview) WHERE preview IS NOT NULL;\n";

/* Version 55: the parapheur's signature settings per collectivité (issue 16): the PAdES level
 * its élus sign at (B-B, B-T timestamped by the TSA at tsa_url, B-LT adding the revocation
 * data), and whether the signature shows as a box on the first page. */
static const char migration_55[] =
    "ALTER TABLE sign_settings ADD COLUMN level TEXT NOT NULL DEFAULT 'B-B' CHECK (level IN "
    "('B-B', 'B-T', 'B-LT'));\n"
    "ALTER TABLE sign_settings ADD COLUMN tsa_url TEXT;\n"
    "ALTER TABLE sign_settings ADD COLUMN visible INTEGER NOT NULL DEFAULT 0 CHECK (visible IN "
    "(0, 1));\n";

/* Version 56 (issue 17): more figures in the statistics' facts. `area_id` is the request's
 * quartier (the first area of kind quartier holding its location, as core/area.h finds it:
 * 0 in none or without a location), which SQL cannot work out from polygons: NULL means
 * «not worked out yet», and core fills it (stats_areas_fill, at start and after each
 * change) and works it out itself at query time for a row still NULL, so that a figure by
 * quartier is exact at every moment. A move of the request, or a quartier added, removed,
 * redrawn or put in another order (not renamed), sets it back to NULL
 * (request_facts_area_known keeps the rows to reset few after the first reset of an import).
 * `due_at`, `rating` and `supporters` (the SLA's due date,
 * the citizen's 1–5 rating or 0, the «moi aussi» count) follow the request through the
 * insert and update triggers, made again with them. `channel_costs`: what one request costs
 * the collectivité on each channel, in euro cents, as its administrator typed it (no row: not
 * given), for the dashboards' savings. */
/* clang-format off */
static const char migration_56[] =
    "ALTER TABLE request_facts ADD COLUMN area_id INTEGER;\n"
    "ALTER TABLE request_facts ADD COLUMN due_at INTEGER;\n"
    "ALTER TABLE request_facts ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE request_facts ADD COLUMN supporters INTEGER NOT NULL DEFAULT 0;\n"
    "UPDATE request_facts SET due_at = r.due_at, rating = r.rating, supporters = r.supporters "
    "FROM requests r WHERE r.id = request_facts.request_id;\n"
    "CREATE INDEX request_facts_area_known ON request_facts (tenant_id) "
    "WHERE area_id IS NOT NULL;\n"
    "CREATE INDEX request_facts_area_unknown ON request_facts (tenant_id) "
    "WHERE area_id IS NULL;\n"
    "DROP TRIGGER request_facts_ai;\n"
    "DROP TRIGGER request_facts_au;\n"
    "CREATE TRIGGER request_facts_ai AFTER INSERT ON requests BEGIN "
    "INSERT INTO request_facts (tenant_id, created_at, request_id, procedure_id, "
    "department_id, channel, status, closed_at, merged, due_at, rating, supporters) VALUES "
    "(new.tenant_id, new.created_at, new.id, new.procedure_id, new.department_id, "
    "new.channel, new.status, new.closed_at, new.merged_into IS NOT NULL, new.due_at, "
    "new.rating, new.supporters); END;\n"
    "CREATE TRIGGER request_facts_au AFTER UPDATE OF created_at, procedure_id, "
    "department_id, channel, status, closed_at, merged_into, due_at, rating, supporters, lat, "
    "lon ON requests WHEN old.created_at IS NOT new.created_at OR old.procedure_id IS NOT "
    "new.procedure_id OR old.department_id IS NOT new.department_id OR old.channel IS NOT "
    "new.channel OR old.status IS NOT new.status OR old.closed_at IS NOT new.closed_at OR "
    "old.merged_into IS NOT new.merged_into OR old.due_at IS NOT new.due_at OR old.rating IS "
    "NOT new.rating OR old.supporters IS NOT new.supporters OR old.lat IS NOT new.lat OR "
    "old.lon IS NOT new.lon BEGIN "
    "UPDATE request_facts SET created_at = new.created_at, procedure_id = new.procedure_id, "
    "department_id = new.department_id, channel = new.channel, status = new.status, "
    "closed_at = new.closed_at, reopened = reopened + (old.closed_at IS NOT NULL AND "
    "new.closed_at IS NULL), merged = new.merged_into IS NOT NULL, due_at = new.due_at, "
    "rating = new.rating, supporters = new.supporters, area_id = CASE WHEN old.lat IS "
    "new.lat AND old.lon IS new.lon THEN area_id END WHERE "
    FACT_OF("old")
    "; END;\n"
    "CREATE TRIGGER request_facts_areas_ai AFTER INSERT ON areas WHEN new.kind = 'quartier' "
    "BEGIN UPDATE request_facts SET area_id = NULL WHERE tenant_id = new.tenant_id AND "
    "area_id IS NOT NULL; END;\n"
    "CREATE TRIGGER request_facts_areas_au AFTER UPDATE OF kind, position, geometry ON areas "
    "WHEN (old.kind = 'quartier' OR new.kind = 'quartier') AND (old.kind IS NOT new.kind OR "
    "old.position IS NOT new.position OR old.geometry IS NOT new.geometry) BEGIN UPDATE "
    "request_facts SET area_id = NULL WHERE tenant_id = new.tenant_id AND area_id IS NOT NULL; "
    "END;\n"
    "CREATE TRIGGER request_facts_areas_ad AFTER DELETE ON areas WHEN old.kind = 'quartier' "
    "BEGIN UPDATE request_facts SET area_id = NULL WHERE tenant_id = old.tenant_id AND "
    "area_id IS NOT NULL; END;\n"
    "CREATE TABLE channel_costs (\n"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants (id),\n"
    "  channel TEXT NOT NULL,\n"
    "  cents INTEGER NOT NULL CHECK (cents BETWEEN 0 AND 100000),\n"
    "  PRIMARY KEY (tenant_id, channel)\n"
    ") STRICT, WITHOUT ROWID;\n";
/* clang-format on */

/* Version 57 (issue 17): the statistics' facts know each request's current assignee, for the
 * managers' figures per agent. `assignee_id` is the agent whose assignee identifier
 * (core/agent.h: "agent:" and the e-mail's local part, which never changes) the request
 * carries: 0 when it is unassigned, -1 when it carries an identifier no agent of its
 * collectivité has (the JSON API assigns free text). An integer rather than the identifier
 * itself keeps the facts narrow; the insert and update triggers look the agent up through
 * agents_assignee (an index on the identifier's expression, the very expression of
 * agent_assignee_id, compared byte for byte as perm.c's strcmp does; named, since without
 * ANALYZE's statistics the planner prefers the covering (tenant, email) index and evaluates
 * the expression on each of the collectivité's agents) in the transaction of
 * the change, only when the assignee is set or changes, and an agent created later takes the
 * facts of the requests that already carried their identifier. Filled here from requests. */
#define AGENT_ASSIGNEE_SQL(a) "('agent:' || substr(" a ".email, 1, instr(" a ".email, '@') - 1))"
#define FACT_ASSIGNEE(row)                                                                         \
    "CASE WHEN " row                                                                               \
    ".assignee IS NULL THEN 0 ELSE coalesce((SELECT g.id FROM agents g INDEXED BY "                \
    "agents_assignee WHERE "                                                                       \
    "g.tenant_id = " row ".tenant_id AND " AGENT_ASSIGNEE_SQL("g") " = " row ".assignee), -1) END"
/* The update trigger of migration 57 up to its SET list's end, which migration 58 extends. */
#define FACTS_AU_57                                                                                \
    "CREATE TRIGGER request_facts_au AFTER UPDATE OF created_at, procedure_id, " \
    "department_id, channel, status, closed_at, merged_into, due_at, rating, supporters, lat, " \
    "lon, assignee ON requests WHEN old.created_at IS NOT new.created_at OR old.procedure_id IS " \
    "NOT new.procedure_id OR old.department_id IS NOT new.department_id OR old.channel IS NOT " \
    "new.channel OR old.status IS NOT new.status OR old.closed_at IS NOT new.closed_at OR " \
    "old.merged_into IS NOT new.merged_into OR old.due_at IS NOT new.due_at OR old.rating IS " \
    "NOT new.rating OR old.supporters IS NOT new.supporters OR old.lat IS NOT new.lat OR " \
    "old.lon IS NOT new.lon OR old.assignee IS NOT new.assignee BEGIN " \
    "UPDATE request_facts SET created_at = new.created_at, procedure_id = new.procedure_id, " \
    "department_id = new.department_id, channel = new.channel, status = new.status, " \
    "closed_at = new.closed_at, reopened = reopened + (old.closed_at IS NOT NULL AND " \
    "new.closed_at IS NULL), merged = new.merged_into IS NOT NULL, due_at = new.due_at, " \
    "rating = new.rating, supporters = new.supporters, area_id = CASE WHEN old.lat IS " \
    "new.lat AND old.lon IS new.lon THEN area_id END, assignee_id = CASE WHEN old.assignee IS " \
    "new.assignee THEN assignee_id ELSE " FACT_ASSIGNEE("new") " END"
/* clang-format off */
static const char migration_57[] =
    "ALTER TABLE request_facts ADD COLUMN assignee_id INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE INDEX agents_assignee ON agents (tenant_id, ('agent:' || substr(email, 1, "
    "instr(email, '@') - 1)));\n"
    "UPDATE request_facts SET assignee_id = " FACT_ASSIGNEE("r") " FROM requests r "
    "WHERE r.id = request_facts.request_id AND r.assignee IS NOT NULL;\n"
    "DROP TRIGGER request_facts_ai;\n"
    "DROP TRIGGER request_facts_au;\n"
    "CREATE TRIGGER request_facts_ai AFTER INSERT ON requests BEGIN "
    "INSERT INTO request_facts (tenant_id, created_at, request_id, procedure_id, "
    "department_id, channel, status, closed_at, merged, due_at, rating, supporters, "
    "assignee_id) VALUES (new.tenant_id, new.created_at, new.id, new.procedure_id, "
    "new.department_id, new.channel, new.status, new.closed_at, new.merged_into IS NOT NULL, "
    "new.due_at, new.rating, new.supporters, " FACT_ASSIGNEE("new") "); END;\n"
    FACTS_AU_57 " WHERE "
    FACT_OF("old")
    "; END;\n"
    /* Through requests_assignee: the requests that carry the new agent's identifier. */
    "CREATE TRIGGER request_facts_agents_ai AFTER INSERT ON agents BEGIN "
    "UPDATE request_facts SET assignee_id = new.id WHERE tenant_id = new.tenant_id AND "
    "(created_at, request_id) IN (SELECT q.created_at, q.id FROM requests q WHERE "
    "q.tenant_id = new.tenant_id AND q.assignee = " AGENT_ASSIGNEE_SQL("new") "); END;\n";
/* clang-format on */

/* Version 58 (issue 17): the request's location in its facts. The incidents map walks a
 * period's located facts and, until now, read each one's position from its request (one
 * random read of a wide row a fact: most of the map's time at a metropolis' scale); the facts
 * not worked out into a quartier yet did the same. `lat` and `lon` follow the request through
 * the insert and update triggers, made again with them, so the map and the quartiers' pass
 * read the narrow facts alone. Filled here from requests. */
/* clang-format off */
static const char migration_58[] =
    "ALTER TABLE request_facts ADD COLUMN lat REAL;\n"
    "ALTER TABLE request_facts ADD COLUMN lon REAL;\n"
    "UPDATE request_facts SET lat = r.lat, lon = r.lon FROM requests r "
    "WHERE r.id = request_facts.request_id AND r.lat IS NOT NULL;\n"
    "DROP TRIGGER request_facts_ai;\n"
    "DROP TRIGGER request_facts_au;\n"
    "CREATE TRIGGER request_facts_ai AFTER INSERT ON requests BEGIN "
    "INSERT INTO request_facts (tenant_id, created_at, request_id, procedure_id, "
    "department_id, channel, status, closed_at, merged, due_at, rating, supporters, "
    "assignee_id, lat, lon) VALUES (new.tenant_id, new.created_at, new.id, new.procedure_id, "
    "new.department_id, new.channel, new.status, new.closed_at, new.merged_into IS NOT NULL, "
    "new.due_at, new.rating, new.supporters, " FACT_ASSIGNEE("new") ", new.lat, new.lon); "
    "END;\n"
    FACTS_AU_57 ", lat = new.lat, lon = new.lon WHERE "
    FACT_OF("old")
    "; END;\n";
/* clang-format on */

/* Indexed by version - 1. */
const char *const store_sqlite_migrations[] = {
    migration_1,  migration_2,  migration_3,  migration_4,  migration_5,  migration_6,
    migration_7,  migration_8,  migration_9,  migration_10, migration_11, migration_12,
    migration_13, migration_14, migration_15, migration_16, migration_17, migration_18,
    migration_19, migration_20, migration_21, migration_22, migration_23, migration_24,
    migration_25, migration_26, migration_27, migration_28, migration_29, migration_30,
    migration_31, migration_32, migration_33, migration_34, migration_35, migration_36,
    migration_37, migration_38, migration_39, migration_40, migration_41, migration_42,
    migration_43, migration_44, migration_45, migration_46, migration_47, migration_48,
    migration_49, migration_50, migration_51, migration_52, migration_53, migration_54,
    migration_55, migration_56, migration_57, migration_58};
const int store_sqlite_migration_count =
    (int)(sizeof store_sqlite_migrations / sizeof store_sqlite_migrations[0]);
